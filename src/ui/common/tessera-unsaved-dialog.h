/* tessera-unsaved-dialog.h: asking before something unsaved is lost
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* An AdwMessageDialog with the responses "cancel", "discard" (destructive,
 * labelled @discard_label) and "save" (suggested, the default, labelled
 * @save_label); closing it is "cancel". */
GtkWidget *tessera_unsaved_dialog_new (GtkWindow  *parent,
                                       const char *heading,
                                       const char *body,
                                       const char *discard_label,
                                       const char *save_label);

G_END_DECLS
