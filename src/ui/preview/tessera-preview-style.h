/* tessera-preview-style.h: the preview area's style sheet
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Adds the area's CSS to the default display once. */
void _tessera_preview_ensure_style (void);

G_END_DECLS
