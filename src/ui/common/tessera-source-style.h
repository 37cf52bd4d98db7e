/* tessera-source-style.h: code coloured to match the light or dark style
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtksourceview/gtksource.h>

G_BEGIN_DECLS

void tessera_source_buffer_follow_style (GtkSourceBuffer *buffer);

G_END_DECLS
