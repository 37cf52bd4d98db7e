/* tessera-editor-page.h: the editing widget around one document
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "tessera-document.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_EDITOR_PAGE (tessera_editor_page_get_type ())
G_DECLARE_FINAL_TYPE (TesseraEditorPage, tessera_editor_page, TESSERA, EDITOR_PAGE, GtkWidget)

TesseraEditorPage *tessera_editor_page_new                (TesseraDocument   *document);
TesseraDocument   *tessera_editor_page_get_document       (TesseraEditorPage *self);
GtkSourceView     *tessera_editor_page_get_view           (TesseraEditorPage *self);
/* Opens the search bar (with the replace row when @replace), seeded with
 * the selection, and focuses it. */
void               tessera_editor_page_show_search        (TesseraEditorPage *self,
                                                           gboolean           replace);
void               tessera_editor_page_hide_search        (TesseraEditorPage *self);
gboolean           tessera_editor_page_get_search_visible (TesseraEditorPage *self);
void               tessera_editor_page_set_search_text    (TesseraEditorPage *self,
                                                           const char        *text);
void               tessera_editor_page_find_next          (TesseraEditorPage *self);
void               tessera_editor_page_find_previous      (TesseraEditorPage *self);
void               tessera_editor_page_replace            (TesseraEditorPage *self);
void               tessera_editor_page_replace_all        (TesseraEditorPage *self);
/* Whether the reload or recovered-changes banner is showing. */
gboolean           tessera_editor_page_get_banner_visible (TesseraEditorPage *self);
/* The name of the visible state: "loading", "text" or "info". */
const char        *tessera_editor_page_get_state          (TesseraEditorPage *self);
/* Keeps the end of the buffer in view while text streams in. */
void               tessera_editor_page_scroll_to_end      (TesseraEditorPage *self);

G_END_DECLS
