/* tessera-document.h: one file of the project as a text buffer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtksourceview/gtksource.h>

#include "tessera-project.h"

G_BEGIN_DECLS

/* Files above this size are not loaded as text. */
#define TESSERA_DOCUMENT_MAX_TEXT_SIZE (5 * 1024 * 1024)

typedef enum
{
  TESSERA_DOCUMENT_KIND_TEXT,
  TESSERA_DOCUMENT_KIND_BINARY,
  TESSERA_DOCUMENT_KIND_TOO_LARGE,
} TesseraDocumentKind;

#define TESSERA_TYPE_DOCUMENT (tessera_document_get_type ())
G_DECLARE_FINAL_TYPE (TesseraDocument, tessera_document, TESSERA, DOCUMENT, GtkSourceBuffer)

TesseraDocument     *tessera_document_new                   (TesseraProject       *project,
                                                             const char           *path);
TesseraProject      *tessera_document_get_project           (TesseraDocument      *self);
/* The path relative to the project root, with '/' separators. */
const char          *tessera_document_get_path              (TesseraDocument      *self);
/* Follows a rename: the document keeps its text and now saves to @path. */
void                 tessera_document_set_path              (TesseraDocument      *self,
                                                             const char           *path);
char                *tessera_document_dup_title             (TesseraDocument      *self);
TesseraDocumentKind  tessera_document_get_kind              (TesseraDocument      *self);
/* Size on disk in bytes, as of the last load. */
guint64              tessera_document_get_size              (TesseraDocument      *self);
gboolean             tessera_document_get_loading           (TesseraDocument      *self);
gboolean             tessera_document_get_loaded            (TesseraDocument      *self);
gboolean             tessera_document_get_read_only         (TesseraDocument      *self);
void                 tessera_document_set_read_only         (TesseraDocument      *self,
                                                             gboolean              read_only);
/* TRUE after a load that restored a draft newer than the file. */
gboolean             tessera_document_get_recovered         (TesseraDocument      *self);
void                 tessera_document_dismiss_recovered     (TesseraDocument      *self);
/* TRUE when the file changed on disk while the buffer had unsaved edits. */
gboolean             tessera_document_get_externally_modified (TesseraDocument    *self);
/* Keeps the buffer's text: the next save overwrites the file on disk. */
void                 tessera_document_keep_mine             (TesseraDocument      *self);

/* Loads the file (and a newer draft, if one exists). A missing file gives an
 * empty document that saving creates. */
void                 tessera_document_load_async            (TesseraDocument      *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean             tessera_document_load_finish           (TesseraDocument      *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
/* Reloads from disk, dropping unsaved edits and the draft. The cursor stays
 * on the same line. */
void                 tessera_document_reload_async          (TesseraDocument      *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean             tessera_document_reload_finish         (TesseraDocument      *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                 tessera_document_save_async            (TesseraDocument      *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean             tessera_document_save_finish           (TesseraDocument      *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
/* Forgets the unsaved edits' draft (the user chose to discard them). */
void                 tessera_document_discard_draft         (TesseraDocument      *self);
/* The draft file of this document in the project's state folder. */
GFile               *tessera_document_get_draft_file        (TesseraDocument      *self);
/* Called when the project reports that the file changed on disk: reloads
 * silently when unmodified, otherwise sets :externally-modified. */
void                 tessera_document_check_disk            (TesseraDocument      *self);

/* Stops all background work (drafts, disk checks, loads): the document's
 * page is gone. Unsaved text stays in its draft. */
void                 tessera_document_close                 (TesseraDocument      *self);

/* Live streaming of generated text: the buffer becomes read-only and is
 * emptied; appends go to the end without undo history. */
void                 tessera_document_stream_begin          (TesseraDocument      *self);
void                 tessera_document_stream_append         (TesseraDocument      *self,
                                                             const char           *text,
                                                             gssize                len);
void                 tessera_document_stream_end            (TesseraDocument      *self);
gboolean             tessera_document_get_streaming         (TesseraDocument      *self);

/* Loads the highlighting definitions of the languages of the web in the
 * background, once per process, so that the first file of each kind the
 * assistant writes does not stall the window. */
void                 tessera_document_preload_languages     (void);

G_END_DECLS
