/* tessera-ui-util.h: small helpers shared by the window and its pages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A path for people: in UTF-8, with the home folder as "~". */
char  *tessera_ui_display_path          (const char *path);
/* The project folder @location names: the folder itself, or the one
 * holding a NAME.tessera manifest. Decided by the name alone, so it does
 * no I/O. */
GFile *tessera_ui_project_root_for      (GFile      *location);

G_END_DECLS
