/* tessera-new-project-dialog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_NEW_PROJECT_DIALOG (tessera_new_project_dialog_get_type ())
G_DECLARE_FINAL_TYPE (TesseraNewProjectDialog, tessera_new_project_dialog, TESSERA, NEW_PROJECT_DIALOG, AdwWindow)

TesseraNewProjectDialog *tessera_new_project_dialog_new (GtkWindow *parent);

G_END_DECLS
