/* tessera-style-sheet.h: an area's style sheet, added once
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void tessera_style_sheet_ensure (const char *resource_path);

G_END_DECLS
