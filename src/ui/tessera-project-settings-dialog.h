/* tessera-project-settings-dialog.h: one project's settings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "tessera-project.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_PROJECT_SETTINGS_DIALOG (tessera_project_settings_dialog_get_type ())
G_DECLARE_FINAL_TYPE (TesseraProjectSettingsDialog, tessera_project_settings_dialog, TESSERA, PROJECT_SETTINGS_DIALOG, AdwPreferencesWindow)

/* A modal window, transient for @parent, editing @project's manifest
 * settings ("sandbox", "network", "allow-unsandboxed", "run-command",
 * "e2b-template", "e2b-keep-alive", "e2b-pin", "ai-provider", "ai-model",
 * "ai-base-url"). Every change is written at once (text fields after a
 * short pause in typing, and at the latest when the window closes). The
 * settings take effect the next time the project's sandbox or session is
 * created; the owner may watch the manifest or re-read on close. */
TesseraProjectSettingsDialog *tessera_project_settings_dialog_new         (GtkWindow                    *parent,
                                                                           TesseraProject               *project);
TesseraProject               *tessera_project_settings_dialog_get_project (TesseraProjectSettingsDialog *self);
/* Writes text fields still waiting for the pause in typing. */
void                          tessera_project_settings_dialog_flush       (TesseraProjectSettingsDialog *self);

G_END_DECLS
