/* tessera-editor-panel.h: the middle pane: file tree and editor tabs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "tessera-project.h"
#include "tessera-document.h"
#include "tessera-editor-page.h"
#include "tessera-file-tree.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_EDITOR_PANEL (tessera_editor_panel_get_type ())
G_DECLARE_FINAL_TYPE (TesseraEditorPanel, tessera_editor_panel, TESSERA, EDITOR_PANEL, GtkWidget)

TesseraEditorPanel *tessera_editor_panel_new              (TesseraProject       *project);
TesseraProject     *tessera_editor_panel_get_project      (TesseraEditorPanel   *self);
TesseraFileTree    *tessera_editor_panel_get_file_tree    (TesseraEditorPanel   *self);
AdwTabView         *tessera_editor_panel_get_tab_view     (TesseraEditorPanel   *self);
/* The open page/document of @path, or NULL. */
TesseraEditorPage  *tessera_editor_panel_get_page         (TesseraEditorPanel   *self,
                                                           const char           *path);
TesseraDocument    *tessera_editor_panel_get_document     (TesseraEditorPanel   *self,
                                                           const char           *path);

/* Opens @path (relative to the project root) in a tab, or focuses its tab. */
void                tessera_editor_panel_open_file        (TesseraEditorPanel   *self,
                                                           const char           *path);
gboolean            tessera_editor_panel_get_has_unsaved  (TesseraEditorPanel   *self);
void                tessera_editor_panel_save_all_async   (TesseraEditorPanel   *self,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
gboolean            tessera_editor_panel_save_all_finish  (TesseraEditorPanel   *self,
                                                           GAsyncResult         *result,
                                                           GError              **error);
/* Asks about unsaved documents (Cancel / Discard / Save) with a dialog
 * transient for @parent. Completes with TRUE when the window may close. */
void                tessera_editor_panel_close_async      (TesseraEditorPanel   *self,
                                                           GtkWindow            *parent,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
gboolean            tessera_editor_panel_close_finish     (TesseraEditorPanel   *self,
                                                           GAsyncResult         *result,
                                                           GError              **error);

/* Live text from the AI. begin opens (or creates) the tab read-only and
 * empties it; append adds text at the end; end makes it editable again and
 * reloads it from disk, where an applied edit now is. */
void                tessera_editor_panel_stream_begin     (TesseraEditorPanel   *self,
                                                           const char           *path);
void                tessera_editor_panel_stream_append    (TesseraEditorPanel   *self,
                                                           const char           *path,
                                                           const char           *text,
                                                           gssize                len);
void                tessera_editor_panel_stream_end       (TesseraEditorPanel   *self,
                                                           const char           *path,
                                                           gboolean              applied);

G_END_DECLS
