/* tessera-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_APPLICATION (tessera_application_get_type ())
G_DECLARE_FINAL_TYPE (TesseraApplication, tessera_application, TESSERA, APPLICATION, AdwApplication)

TesseraApplication *tessera_application_new                (void);
GSettings          *tessera_application_get_settings       (TesseraApplication *self);
/* Opens the project at @location (folder or .tessera file) in its own
 * window, or presents the window that already has it open. @prompt, when
 * set, is sent as the project's next AI turn. */
void                tessera_application_open_project       (TesseraApplication *self,
                                                            GFile              *location,
                                                            const char         *prompt);
void                tessera_application_add_recent        (TesseraApplication *self,
                                                            GFile              *root);
void                tessera_application_remove_recent     (TesseraApplication *self,
                                                            const char         *path);

G_END_DECLS
