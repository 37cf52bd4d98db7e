/* tessera-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "tessera-application.h"
#include "tessera-project.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_WINDOW (tessera_window_get_type ())
G_DECLARE_FINAL_TYPE (TesseraWindow, tessera_window, TESSERA, WINDOW, AdwApplicationWindow)

TesseraWindow  *tessera_window_new                     (TesseraApplication *application);
/* NULL while the start page shows. */
TesseraProject *tessera_window_get_project             (TesseraWindow      *self);
/* The root of the project that is open or being opened, or NULL. */
GFile          *tessera_window_get_root                (TesseraWindow      *self);
/* TRUE when the window shows the start page and is opening nothing. */
gboolean        tessera_window_is_empty                (TesseraWindow      *self);
/* Opens @location (folder or .tessera file); with @create_missing, a
 * missing folder is created as a new project. Errors are shown in the
 * window. */
void            tessera_window_open_project            (TesseraWindow      *self,
                                                        GFile              *location,
                                                        gboolean            create_missing);
/* Sends @prompt as the next AI turn once the project is open. */
void            tessera_window_queue_prompt            (TesseraWindow      *self,
                                                        const char         *prompt);
/* Creates a new project named after @prompt in the projects folder and
 * sends @prompt to it. */
void            tessera_window_new_project_from_prompt (TesseraWindow      *self,
                                                        const char         *prompt);
/* Asks for a description of the app, then does the above. */
void            tessera_window_ask_for_prompt          (TesseraWindow      *self);
void            tessera_window_add_toast               (TesseraWindow      *self,
                                                        const char         *message);

G_END_DECLS
