/* tessera-editor-style.h: the editor area's style sheet
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Adds the area's CSS to the default display once: every widget of the
 * area that it styles calls this, so that the file tree is styled before
 * any file is open. */
void _tessera_editor_ensure_style (void);

G_END_DECLS
