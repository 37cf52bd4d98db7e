/* tessera-preferences-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "tessera-application.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_PREFERENCES_WINDOW (tessera_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (TesseraPreferencesWindow, tessera_preferences_window, TESSERA, PREFERENCES_WINDOW, AdwPreferencesWindow)

TesseraPreferencesWindow *tessera_preferences_window_new (TesseraApplication *application);

G_END_DECLS
