/* tessera-markdown-view.h: chat text rendered from Markdown (cmark-gfm)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_MARKDOWN_VIEW (tessera_markdown_view_get_type ())
G_DECLARE_FINAL_TYPE (TesseraMarkdownView, tessera_markdown_view, TESSERA, MARKDOWN_VIEW, GtkWidget)

GtkWidget  *tessera_markdown_view_new      (void);
const char *tessera_markdown_view_get_text (TesseraMarkdownView *self);
/* Renders @text. While text streams in, calls are coalesced into at most
 * one render per frame. */
void        tessera_markdown_view_set_text (TesseraMarkdownView *self,
                                            const char          *text);

G_END_DECLS
