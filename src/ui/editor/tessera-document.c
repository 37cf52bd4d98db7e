/* tessera-document.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-document"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "tessera-document.h"

/* Long enough that a burst of typing writes one draft, short enough that a
 * crash loses at most a second of work. */
#define DRAFT_DELAY_MSEC 1000
#define FILE_ATTRIBUTES \
  G_FILE_ATTRIBUTE_STANDARD_TYPE "," \
  G_FILE_ATTRIBUTE_STANDARD_SIZE "," \
  G_FILE_ATTRIBUTE_ETAG_VALUE "," \
  G_FILE_ATTRIBUTE_TIME_MODIFIED "," \
  G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC

struct _TesseraDocument
{
  GtkSourceBuffer      parent_instance;

  TesseraProject      *project;
  char                *path;
  GtkSourceFile       *file;
  GCancellable        *cancellable;
  /* The file's etag as of our last load or save: anything else on disk is
   * somebody else's change. */
  char                *etag;
  guint64              size;
  TesseraDocumentKind  kind;
  guint                draft_source;

  guint                loading : 1;
  guint                loaded : 1;
  guint                read_only : 1;
  guint                recovered : 1;
  guint                externally_modified : 1;
  guint                streaming : 1;
  guint                saving : 1;
  guint                draft_writing : 1;
  guint                draft_pending : 1;
  guint                check_pending : 1;
};

G_DEFINE_FINAL_TYPE (TesseraDocument, tessera_document, GTK_SOURCE_TYPE_BUFFER)

enum {
  PROP_0,
  PROP_PROJECT,
  PROP_PATH,
  PROP_TITLE,
  PROP_KIND,
  PROP_LOADING,
  PROP_LOADED,
  PROP_READ_ONLY,
  PROP_RECOVERED,
  PROP_EXTERNALLY_MODIFIED,
  PROP_STREAMING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  GFile               *file;
  GFile               *draft;
  char                *basename;
  gboolean             skip_draft;
  gboolean             keep_cursor;
  int                  cursor_line;
  int                  cursor_offset;

  gboolean             exists;
  TesseraDocumentKind  kind;
  guint64              size;
  GBytes              *contents;
  char                *etag;
  char                *content_type;
  char                *draft_text;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_clear_object (&data->file);
  g_clear_object (&data->draft);
  g_clear_pointer (&data->basename, g_free);
  g_clear_pointer (&data->contents, g_bytes_unref);
  g_clear_pointer (&data->etag, g_free);
  g_clear_pointer (&data->content_type, g_free);
  g_clear_pointer (&data->draft_text, g_free);
  g_free (data);
}

typedef struct
{
  GFile  *draft;
  GBytes *text;
} DraftData;

static void
draft_data_free (DraftData *data)
{
  g_clear_object (&data->draft);
  g_clear_pointer (&data->text, g_bytes_unref);
  g_free (data);
}

static void tessera_document_start_load (TesseraDocument *self,
                                         gboolean         reload,
                                         GCancellable    *cancellable,
                                         GTask           *task);
static void tessera_document_run_check  (TesseraDocument *self);

static TesseraDocumentKind
sniff_contents (const char *data,
                gsize       len)
{
  /* Text never holds NUL bytes; anything else that is not UTF-8 would show
   * as garbage (or be silently re-encoded on save), so treat it as binary. */
  if (memchr (data, '\0', len) != NULL)
    return TESSERA_DOCUMENT_KIND_BINARY;
  if (!g_utf8_validate (data, len, NULL))
    return TESSERA_DOCUMENT_KIND_BINARY;
  return TESSERA_DOCUMENT_KIND_TEXT;
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData *data = task_data;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GDateTime) file_time = NULL;
  g_autoptr(GError) error = NULL;

  info = g_file_query_info (data->file, FILE_ATTRIBUTES, G_FILE_QUERY_INFO_NONE, cancellable, &error);
  if (info == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_clear_error (&error);
      data->exists = FALSE;
      data->kind = TESSERA_DOCUMENT_KIND_TEXT;
    }
  else if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY,
                               _("“%s” is a folder, not a file."), data->basename);
      return;
    }
  else
    {
      data->exists = TRUE;
      data->size = g_file_info_get_size (info);
      data->etag = g_strdup (g_file_info_get_etag (info));
      file_time = g_file_info_get_modification_date_time (info);

      if (data->size > TESSERA_DOCUMENT_MAX_TEXT_SIZE)
        {
          data->kind = TESSERA_DOCUMENT_KIND_TOO_LARGE;
        }
      else
        {
          char *contents = NULL;
          gsize len = 0;

          if (!g_file_load_contents (data->file, cancellable, &contents, &len, NULL, &error))
            {
              g_task_return_error (task, g_steal_pointer (&error));
              return;
            }

          data->size = len;
          data->kind = sniff_contents (contents, len);
          data->content_type = g_content_type_guess (data->basename, (const guchar *)contents,
                                                     MIN (len, 4096), NULL);
          data->contents = g_bytes_new_take (contents, len);
        }
    }

  if (data->draft == NULL || data->kind != TESSERA_DOCUMENT_KIND_TEXT)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (data->skip_draft)
    {
      g_file_delete (data->draft, NULL, NULL);
    }
  else
    {
      g_autoptr(GFileInfo) draft_info = NULL;
      g_autoptr(GDateTime) draft_time = NULL;

      draft_info = g_file_query_info (data->draft, FILE_ATTRIBUTES, G_FILE_QUERY_INFO_NONE,
                                      cancellable, NULL);
      if (draft_info != NULL)
        draft_time = g_file_info_get_modification_date_time (draft_info);

      /* An older draft means the file was saved (or changed) after it: the
       * file wins. */
      if (draft_time != NULL &&
          (file_time == NULL || g_date_time_compare (draft_time, file_time) > 0))
        {
          char *text = NULL;
          gsize len = 0;

          if (g_file_load_contents (data->draft, cancellable, &text, &len, NULL, NULL))
            {
              if (g_utf8_validate (text, len, NULL))
                data->draft_text = text;
              else
                g_free (text);
            }
        }
    }

  g_task_return_boolean (task, TRUE);
}

static void
set_flag_and_notify (TesseraDocument *self,
                     guint            prop_id,
                     gboolean         value)
{
  gboolean old = FALSE;

  switch (prop_id)
    {
    case PROP_LOADING: old = self->loading; self->loading = !!value; break;
    case PROP_LOADED: old = self->loaded; self->loaded = !!value; break;
    case PROP_RECOVERED: old = self->recovered; self->recovered = !!value; break;
    case PROP_EXTERNALLY_MODIFIED: old = self->externally_modified; self->externally_modified = !!value; break;
    case PROP_STREAMING: old = self->streaming; self->streaming = !!value; break;
    default: g_assert_not_reached ();
    }

  if (old != !!value)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
      if (prop_id == PROP_STREAMING)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READ_ONLY]);
    }
}

static void
apply_language (TesseraDocument *self,
                LoadData        *data)
{
  GtkSourceLanguageManager *manager = gtk_source_language_manager_get_default ();
  GtkSourceLanguage *language;

  language = gtk_source_language_manager_guess_language (manager, data->basename, data->content_type);
  gtk_source_buffer_set_language (GTK_SOURCE_BUFFER (self), language);
}

static void
finish_loading (TesseraDocument *self,
                GTask           *task,
                GError          *error)
{
  LoadData *data = g_task_get_task_data (task);

  if (data != NULL && error == NULL)
    apply_language (self, data);
  set_flag_and_notify (self, PROP_LOADING, FALSE);

  if (error != NULL)
    {
      g_task_return_error (task, error);
    }
  else
    {
      set_flag_and_notify (self, PROP_LOADED, TRUE);
      g_task_return_boolean (task, TRUE);
    }

  if (self->check_pending)
    {
      self->check_pending = FALSE;
      tessera_document_run_check (self);
    }
}

static void
place_cursor (TesseraDocument *self,
              LoadData        *data)
{
  GtkTextBuffer *buffer = GTK_TEXT_BUFFER (self);
  GtkTextIter iter;

  if (data->keep_cursor)
    {
      gtk_text_buffer_get_iter_at_line_offset (buffer, &iter, data->cursor_line, 0);
      if (gtk_text_iter_get_chars_in_line (&iter) > data->cursor_offset)
        gtk_text_iter_set_line_offset (&iter, data->cursor_offset);
    }
  else
    {
      gtk_text_buffer_get_start_iter (buffer, &iter);
    }

  gtk_text_buffer_select_range (buffer, &iter, &iter);
}

static void
loader_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GtkSourceFileLoader *loader = GTK_SOURCE_FILE_LOADER (object);
  g_autoptr(GTask) task = user_data;
  TesseraDocument *self = g_task_get_source_object (task);
  LoadData *data = g_task_get_task_data (task);
  GtkTextBuffer *buffer = GTK_TEXT_BUFFER (self);
  GError *error = NULL;

  if (!gtk_source_file_loader_load_finish (loader, result, &error))
    {
      finish_loading (self, task, error);
      return;
    }

  gtk_text_buffer_set_modified (buffer, FALSE);

  if (data->draft_text != NULL)
    {
      /* Restored as an ordinary edit, so that undo goes back to the file. */
      GtkTextIter start, end;

      gtk_text_buffer_begin_user_action (buffer);
      gtk_text_buffer_get_bounds (buffer, &start, &end);
      gtk_text_buffer_delete (buffer, &start, &end);
      gtk_text_buffer_insert (buffer, &start, data->draft_text, -1);
      gtk_text_buffer_end_user_action (buffer);
      gtk_text_buffer_set_modified (buffer, TRUE);
      set_flag_and_notify (self, PROP_RECOVERED, TRUE);
    }

  place_cursor (self, data);
  finish_loading (self, task, NULL);
}

/* TRUE when the buffer already holds exactly @contents, as the loader
 * would leave them (without the final newline, which the buffer keeps
 * implicit): a file the assistant has just streamed into its tab. Text
 * with carriage returns always goes through the loader, which notes the
 * line endings to save them back. */
static gboolean
buffer_holds (TesseraDocument *self,
              GBytes          *contents)
{
  GtkTextBuffer *buffer = GTK_TEXT_BUFFER (self);
  gsize len;
  const char *bytes = g_bytes_get_data (contents, &len);
  g_autofree char *text = NULL;
  GtkTextIter start, end;

  if (len > 0 && memchr (bytes, '\r', len) != NULL)
    return FALSE;
  if (gtk_source_buffer_get_implicit_trailing_newline (GTK_SOURCE_BUFFER (self)) &&
      len > 0 && bytes[len - 1] == '\n')
    len--;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, TRUE);

  return strlen (text) == len && memcmp (text, bytes, len) == 0;
}

static void
load_thread_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  TesseraDocument *self = TESSERA_DOCUMENT (object);
  g_autoptr(GTask) task = user_data;
  LoadData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GtkSourceFileLoader) loader = NULL;
  g_autoptr(GInputStream) stream = NULL;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      finish_loading (self, task, error);
      return;
    }

  g_clear_pointer (&self->etag, g_free);
  self->etag = g_steal_pointer (&data->etag);
  self->size = data->size;
  if (self->kind != data->kind)
    {
      self->kind = data->kind;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KIND]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READ_ONLY]);
    }

  if (data->contents == NULL)
    data->contents = g_bytes_new_static ("", 0);

  /* Replacing the text with the same text would only cost a full
   * re-highlight (tens of milliseconds a file, in one go). */
  if (data->keep_cursor && data->draft_text == NULL &&
      self->kind == TESSERA_DOCUMENT_KIND_TEXT && buffer_holds (self, data->contents))
    {
      gtk_text_buffer_set_modified (GTK_TEXT_BUFFER (self), FALSE);
      finish_loading (self, task, NULL);
      return;
    }

  /* The language comes after the text: a highlighter present during the
   * load would re-examine every chunk the loader inserts. */
  gtk_source_buffer_set_language (GTK_SOURCE_BUFFER (self), NULL);

  if (self->kind != TESSERA_DOCUMENT_KIND_TEXT)
    {
      gtk_text_buffer_set_text (GTK_TEXT_BUFFER (self), "", 0);
      gtk_text_buffer_set_modified (GTK_TEXT_BUFFER (self), FALSE);
      finish_loading (self, task, NULL);
      return;
    }

  /* The worker already read and checked the bytes: the loader decodes them
   * from memory instead of reading the file a second time. */
  stream = g_memory_input_stream_new_from_bytes (data->contents);
  loader = gtk_source_file_loader_new_from_stream (GTK_SOURCE_BUFFER (self), self->file, stream);
  gtk_source_file_loader_load_async (loader,
                                     G_PRIORITY_DEFAULT,
                                     g_task_get_cancellable (task),
                                     NULL, NULL, NULL,
                                     loader_cb,
                                     g_object_ref (task));
}

static GFile *
resolve_location (TesseraDocument  *self,
                  GError          **error)
{
  g_autoptr(GFile) location = tessera_project_resolve (self->project, self->path, error);

  if (location != NULL)
    gtk_source_file_set_location (self->file, location);
  return g_steal_pointer (&location);
}

static void
tessera_document_start_load (TesseraDocument *self,
                             gboolean         reload,
                             GCancellable    *cancellable,
                             GTask           *task)
{
  g_autoptr(GTask) thread_task = NULL;
  g_autoptr(GFile) location = NULL;
  LoadData *data;
  GError *error = NULL;

  set_flag_and_notify (self, PROP_LOADING, TRUE);

  if (!(location = resolve_location (self, &error)))
    {
      finish_loading (self, task, error);
      return;
    }

  g_clear_handle_id (&self->draft_source, g_source_remove);

  data = g_new0 (LoadData, 1);
  data->file = g_steal_pointer (&location);
  data->draft = tessera_document_get_draft_file (self);
  data->basename = g_path_get_basename (self->path);
  data->skip_draft = reload;
  data->keep_cursor = reload;

  if (reload)
    {
      GtkTextIter iter;

      gtk_text_buffer_get_iter_at_mark (GTK_TEXT_BUFFER (self), &iter,
                                        gtk_text_buffer_get_insert (GTK_TEXT_BUFFER (self)));
      data->cursor_line = gtk_text_iter_get_line (&iter);
      data->cursor_offset = gtk_text_iter_get_line_offset (&iter);
      set_flag_and_notify (self, PROP_RECOVERED, FALSE);
      set_flag_and_notify (self, PROP_EXTERNALLY_MODIFIED, FALSE);
    }

  /* The outer task owns the data: the loader still needs it after the
   * thread is done. */
  g_task_set_task_data (task, data, (GDestroyNotify)load_data_free);
  thread_task = g_task_new (self, cancellable, load_thread_cb, g_object_ref (task));
  g_task_set_source_tag (thread_task, tessera_document_start_load);
  g_task_set_task_data (thread_task, data, NULL);
  g_task_run_in_thread (thread_task, load_thread);
}

void
tessera_document_load_async (TesseraDocument     *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TESSERA_IS_DOCUMENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_document_load_async);
  tessera_document_start_load (self, FALSE, cancellable, task);
}

gboolean
tessera_document_load_finish (TesseraDocument  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
tessera_document_reload_async (TesseraDocument     *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TESSERA_IS_DOCUMENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_document_reload_async);
  tessera_document_start_load (self, TRUE, cancellable, task);
}

gboolean
tessera_document_reload_finish (TesseraDocument  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Drafts */

GFile *
tessera_document_get_draft_file (TesseraDocument *self)
{
  g_autoptr(GFile) drafts = NULL;
  g_autofree char *escaped = NULL;
  GFile *state_dir;

  g_return_val_if_fail (TESSERA_IS_DOCUMENT (self), NULL);

  state_dir = tessera_project_get_state_dir (self->project);
  if (state_dir == NULL)
    return NULL;

  /* One flat folder: escaping '/' keeps every draft a direct child, so a
   * path can never reach outside it. */
  escaped = g_uri_escape_string (self->path, NULL, FALSE);
  drafts = g_file_get_child (state_dir, "drafts");
  return g_file_get_child (drafts, escaped);
}

static void
draft_delete_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_file_delete_finish (G_FILE (object), result, NULL);
}

static void
delete_draft (TesseraDocument *self)
{
  g_autoptr(GFile) draft = tessera_document_get_draft_file (self);

  if (draft != NULL)
    g_file_delete_async (draft, G_PRIORITY_DEFAULT, NULL, draft_delete_cb, NULL);
}

static void
draft_write_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  DraftData *data = task_data;
  g_autoptr(GFile) parent = g_file_get_parent (data->draft);
  g_autoptr(GError) error = NULL;

  if (!g_file_make_directory_with_parents (parent, cancellable, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* g_file_replace_contents() writes a temporary file and renames it, so a
   * crash mid-write keeps the previous draft. */
  if (!g_file_replace_contents (data->draft,
                                g_bytes_get_data (data->text, NULL),
                                g_bytes_get_size (data->text),
                                NULL, FALSE, G_FILE_CREATE_PRIVATE, NULL,
                                cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void write_draft (TesseraDocument *self);

static void
draft_write_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  TesseraDocument *self = TESSERA_DOCUMENT (object);
  g_autoptr(GError) error = NULL;

  self->draft_writing = FALSE;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_debug ("Could not write the draft of %s: %s", self->path, error->message);
    }

  if (self->draft_pending)
    {
      self->draft_pending = FALSE;
      write_draft (self);
    }
  else if (!gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (self)))
    {
      /* Saved or undone while the draft was being written. */
      delete_draft (self);
    }
}

static void
write_draft (TesseraDocument *self)
{
  GtkTextBuffer *buffer = GTK_TEXT_BUFFER (self);
  g_autoptr(GTask) task = NULL;
  GtkTextIter start, end;
  DraftData *data;
  char *text;

  if (self->loading || self->streaming || self->kind != TESSERA_DOCUMENT_KIND_TEXT)
    return;

  if (!gtk_text_buffer_get_modified (buffer))
    {
      delete_draft (self);
      return;
    }

  if (self->draft_writing)
    {
      self->draft_pending = TRUE;
      return;
    }

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, TRUE);

  data = g_new0 (DraftData, 1);
  data->draft = tessera_document_get_draft_file (self);
  data->text = g_bytes_new_take (text, strlen (text));
  if (data->draft == NULL)
    {
      draft_data_free (data);
      return;
    }

  self->draft_writing = TRUE;
  task = g_task_new (self, self->cancellable, draft_write_cb, NULL);
  g_task_set_source_tag (task, write_draft);
  g_task_set_task_data (task, data, (GDestroyNotify)draft_data_free);
  g_task_run_in_thread (task, draft_write_thread);
}

static gboolean
draft_timeout_cb (gpointer user_data)
{
  TesseraDocument *self = user_data;

  self->draft_source = 0;
  write_draft (self);
  return G_SOURCE_REMOVE;
}

void
tessera_document_discard_draft (TesseraDocument *self)
{
  g_return_if_fail (TESSERA_IS_DOCUMENT (self));

  g_clear_handle_id (&self->draft_source, g_source_remove);
  self->draft_pending = FALSE;
  delete_draft (self);
}

/* Saving */

static void
save_done_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GFile *file = G_FILE (task_data);
  GFile *draft = g_object_get_data (G_OBJECT (task), "draft");
  g_autoptr(GFileInfo) info = NULL;

  if (draft != NULL)
    g_file_delete (draft, NULL, NULL);

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_ETAG_VALUE, G_FILE_QUERY_INFO_NONE, cancellable, NULL);
  g_task_return_pointer (task, info ? g_strdup (g_file_info_get_etag (info)) : NULL, g_free);
}

static void
save_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  TesseraDocument *self = TESSERA_DOCUMENT (object);
  g_autoptr(GTask) task = user_data;
  g_autofree char *etag = g_task_propagate_pointer (G_TASK (result), NULL);

  self->saving = FALSE;
  if (etag != NULL)
    {
      g_free (self->etag);
      self->etag = g_steal_pointer (&etag);
    }

  g_task_return_boolean (task, TRUE);

  if (self->check_pending)
    {
      self->check_pending = FALSE;
      tessera_document_run_check (self);
    }
}

static void
saver_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  GtkSourceFileSaver *saver = GTK_SOURCE_FILE_SAVER (object);
  g_autoptr(GTask) task = user_data;
  TesseraDocument *self = g_task_get_source_object (task);
  g_autoptr(GTask) done_task = NULL;
  g_autoptr(GError) error = NULL;
  GFile *location;

  if (!gtk_source_file_saver_save_finish (saver, result, &error))
    {
      self->saving = FALSE;
      g_task_return_new_error (task, error->domain, error->code,
                               _("Could not save “%s”: %s"), self->path, error->message);
      return;
    }

  gtk_text_buffer_set_modified (GTK_TEXT_BUFFER (self), FALSE);
  g_clear_handle_id (&self->draft_source, g_source_remove);
  self->draft_pending = FALSE;
  set_flag_and_notify (self, PROP_RECOVERED, FALSE);
  set_flag_and_notify (self, PROP_EXTERNALLY_MODIFIED, FALSE);

  /* Learn the new etag before anybody asks whether the file changed, so
   * that our own save is never mistaken for somebody else's edit. */
  location = gtk_source_file_saver_get_location (saver);
  done_task = g_task_new (self, NULL, save_done_cb, g_object_ref (task));
  g_task_set_source_tag (done_task, saver_cb);
  g_task_set_task_data (done_task, g_object_ref (location), g_object_unref);
  g_object_set_data_full (G_OBJECT (done_task), "draft", tessera_document_get_draft_file (self),
                          g_object_unref);
  g_task_run_in_thread (done_task, save_done_thread);
}

void
tessera_document_save_async (TesseraDocument     *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GtkSourceFileSaver) saver = NULL;
  g_autoptr(GFile) location = NULL;
  GError *error = NULL;

  g_return_if_fail (TESSERA_IS_DOCUMENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_document_save_async);

  if (self->kind != TESSERA_DOCUMENT_KIND_TEXT || self->loading || self->streaming || self->saving)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY,
                               _("“%s” cannot be saved right now."), self->path);
      return;
    }

  if (!(location = resolve_location (self, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  self->saving = TRUE;
  saver = gtk_source_file_saver_new (GTK_SOURCE_BUFFER (self), self->file);
  /* Conflicts with changes on disk are settled before saving, through the
   * reload banner; by now the user has chosen their text. */
  gtk_source_file_saver_set_flags (saver, GTK_SOURCE_FILE_SAVER_FLAGS_IGNORE_MODIFICATION_TIME);
  gtk_source_file_saver_save_async (saver, G_PRIORITY_DEFAULT, cancellable,
                                    NULL, NULL, NULL,
                                    saver_cb, g_object_ref (task));
}

gboolean
tessera_document_save_finish (TesseraDocument  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Changes on disk */

static void
reload_silently_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!tessera_document_reload_finish (TESSERA_DOCUMENT (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Could not reload: %s", error->message);
}

static void
check_disk_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TesseraDocument) self = user_data;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = g_file_query_info_finish (G_FILE (object), result, &error);
  if (info == NULL)
    return;

  if (self->loading || self->saving)
    {
      self->check_pending = TRUE;
      return;
    }

  if (g_strcmp0 (g_file_info_get_etag (info), self->etag) == 0)
    return;

  if (self->streaming)
    return;

  if (!gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (self)))
    tessera_document_reload_async (self, self->cancellable, reload_silently_cb, NULL);
  else
    set_flag_and_notify (self, PROP_EXTERNALLY_MODIFIED, TRUE);
}

static void
tessera_document_run_check (TesseraDocument *self)
{
  g_autoptr(GFile) location = NULL;

  if (self->loading || self->saving)
    {
      self->check_pending = TRUE;
      return;
    }

  location = tessera_project_resolve (self->project, self->path, NULL);
  if (location == NULL)
    return;

  g_file_query_info_async (location, G_FILE_ATTRIBUTE_ETAG_VALUE, G_FILE_QUERY_INFO_NONE,
                           G_PRIORITY_DEFAULT, self->cancellable,
                           check_disk_cb, g_object_ref (self));
}

void
tessera_document_check_disk (TesseraDocument *self)
{
  g_return_if_fail (TESSERA_IS_DOCUMENT (self));

  if (!self->loaded && !self->loading)
    return;
  tessera_document_run_check (self);
}

void
tessera_document_keep_mine (TesseraDocument *self)
{
  g_return_if_fail (TESSERA_IS_DOCUMENT (self));

  set_flag_and_notify (self, PROP_EXTERNALLY_MODIFIED, FALSE);
}

void
tessera_document_dismiss_recovered (TesseraDocument *self)
{
  g_return_if_fail (TESSERA_IS_DOCUMENT (self));

  set_flag_and_notify (self, PROP_RECOVERED, FALSE);
}

/* Streaming */

/* Language preloading */

/* A language's definitions (its .lang files, parsed and their regular
 * expressions compiled: 25 to 85 ms for JavaScript or HTML here) are read
 * when the first buffer uses it and dropped with the last one. A buffer
 * per language, kept for the life of the process, keeps them loaded. */
static const char * const preloaded_languages[] = { "html", "css", "js", "json" };
static GPtrArray *language_buffers;

static gboolean
preload_next_language_cb (gpointer user_data)
{
  GtkSourceLanguageManager *manager = gtk_source_language_manager_get_default ();
  guint i = language_buffers->len;
  GtkSourceLanguage *language;

  if (i >= G_N_ELEMENTS (preloaded_languages))
    return G_SOURCE_REMOVE;

  language = gtk_source_language_manager_get_language (manager, preloaded_languages[i]);
  g_ptr_array_add (language_buffers, gtk_source_buffer_new_with_language (language));

  return i + 1 < G_N_ELEMENTS (preloaded_languages) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void
tessera_document_preload_languages (void)
{
  if (language_buffers != NULL)
    return;

  language_buffers = g_ptr_array_new_with_free_func (g_object_unref);
  /* One language per idle, so that input and frames go in between. */
  g_idle_add_full (G_PRIORITY_LOW, preload_next_language_cb, NULL, NULL);
}

void
tessera_document_stream_begin (TesseraDocument *self)
{
  g_return_if_fail (TESSERA_IS_DOCUMENT (self));

  if (self->streaming)
    return;

  g_clear_handle_id (&self->draft_source, g_source_remove);
  set_flag_and_notify (self, PROP_STREAMING, TRUE);
  gtk_text_buffer_begin_irreversible_action (GTK_TEXT_BUFFER (self));
  gtk_text_buffer_set_text (GTK_TEXT_BUFFER (self), "", 0);

  /* Highlighted as it comes, a little at a time, rather than all at
   * once when it is reloaded at the end. */
  if (gtk_source_buffer_get_language (GTK_SOURCE_BUFFER (self)) == NULL)
    {
      g_autofree char *basename = g_path_get_basename (self->path);

      gtk_source_buffer_set_language (GTK_SOURCE_BUFFER (self),
                                      gtk_source_language_manager_guess_language (gtk_source_language_manager_get_default (),
                                                                                  basename, NULL));
    }
}

void
tessera_document_stream_append (TesseraDocument *self,
                                const char      *text,
                                gssize           len)
{
  GtkTextIter end;

  g_return_if_fail (TESSERA_IS_DOCUMENT (self));
  g_return_if_fail (self->streaming);

  gtk_text_buffer_get_end_iter (GTK_TEXT_BUFFER (self), &end);
  gtk_text_buffer_insert (GTK_TEXT_BUFFER (self), &end, text, len);

  /* Into an emptied buffer the first insert carries the cursor along;
   * back at the start it stays put for the rest of the stream, so the
   * views have no cursor to follow and redraw for each piece. */
  if (gtk_text_buffer_get_char_count (GTK_TEXT_BUFFER (self)) == g_utf8_strlen (text, len))
    {
      GtkTextIter start;

      gtk_text_buffer_get_start_iter (GTK_TEXT_BUFFER (self), &start);
      gtk_text_buffer_place_cursor (GTK_TEXT_BUFFER (self), &start);
    }
}

void
tessera_document_stream_end (TesseraDocument *self)
{
  g_return_if_fail (TESSERA_IS_DOCUMENT (self));

  if (!self->streaming)
    return;

  /* As the loader would leave it: the final newline is implicit. Then
   * the reload that follows finds the text it would load already there. */
  if (gtk_source_buffer_get_implicit_trailing_newline (GTK_SOURCE_BUFFER (self)))
    {
      GtkTextIter start, end;

      gtk_text_buffer_get_end_iter (GTK_TEXT_BUFFER (self), &end);
      start = end;
      if (gtk_text_iter_backward_char (&start) && gtk_text_iter_get_char (&start) == '\n')
        gtk_text_buffer_delete (GTK_TEXT_BUFFER (self), &start, &end);
    }

  gtk_text_buffer_end_irreversible_action (GTK_TEXT_BUFFER (self));
  /* Streamed text is what the model wrote, not the user's edit: it is on
   * disk when applied and meaningless otherwise. */
  gtk_text_buffer_set_modified (GTK_TEXT_BUFFER (self), FALSE);
  set_flag_and_notify (self, PROP_STREAMING, FALSE);
}

gboolean
tessera_document_get_streaming (TesseraDocument *self)
{
  g_return_val_if_fail (TESSERA_IS_DOCUMENT (self), FALSE);

  return self->streaming;
}

void
tessera_document_close (TesseraDocument *self)
{
  g_return_if_fail (TESSERA_IS_DOCUMENT (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->draft_source, g_source_remove);
  self->draft_pending = FALSE;
  self->check_pending = FALSE;
}

/* Accessors */

TesseraDocument *
tessera_document_new (TesseraProject *project,
                      const char     *path)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT (project), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  return g_object_new (TESSERA_TYPE_DOCUMENT,
                       "project", project,
                       "path", path,
                       NULL);
}

TesseraProject *
tessera_document_get_project (TesseraDocument *self)
{
  g_return_val_if_fail (TESSERA_IS_DOCUMENT (self), NULL);

  return self->project;
}

const char *
tessera_document_get_path (TesseraDocument *self)
{
  g_return_val_if_fail (TESSERA_IS_DOCUMENT (self), NULL);

  return self->path;
}

void
tessera_document_set_path (TesseraDocument *self,
                           const char      *path)
{
  g_return_if_fail (TESSERA_IS_DOCUMENT (self));
  g_return_if_fail (path != NULL);

  if (g_strcmp0 (self->path, path) == 0)
    return;

  /* The old draft would be found by nobody: drop it and write a new one. */
  if (self->path != NULL && self->project != NULL)
    delete_draft (self);

  g_free (self->path);
  self->path = g_strdup (path);

  if (self->project != NULL)
    {
      g_autoptr(GFile) location = resolve_location (self, NULL);

      if (gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (self)) && self->loaded)
        write_draft (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PATH]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

char *
tessera_document_dup_title (TesseraDocument *self)
{
  g_return_val_if_fail (TESSERA_IS_DOCUMENT (self), NULL);

  return g_path_get_basename (self->path);
}

TesseraDocumentKind
tessera_document_get_kind (TesseraDocument *self)
{
  g_return_val_if_fail (TESSERA_IS_DOCUMENT (self), TESSERA_DOCUMENT_KIND_TEXT);

  return self->kind;
}

guint64
tessera_document_get_size (TesseraDocument *self)
{
  g_return_val_if_fail (TESSERA_IS_DOCUMENT (self), 0);

  return self->size;
}

gboolean
tessera_document_get_loading (TesseraDocument *self)
{
  g_return_val_if_fail (TESSERA_IS_DOCUMENT (self), FALSE);

  return self->loading;
}

gboolean
tessera_document_get_loaded (TesseraDocument *self)
{
  g_return_val_if_fail (TESSERA_IS_DOCUMENT (self), FALSE);

  return self->loaded;
}

gboolean
tessera_document_get_read_only (TesseraDocument *self)
{
  g_return_val_if_fail (TESSERA_IS_DOCUMENT (self), TRUE);

  return self->read_only || self->streaming || self->kind != TESSERA_DOCUMENT_KIND_TEXT;
}

void
tessera_document_set_read_only (TesseraDocument *self,
                                gboolean         read_only)
{
  g_return_if_fail (TESSERA_IS_DOCUMENT (self));

  read_only = !!read_only;
  if (self->read_only != read_only)
    {
      self->read_only = read_only;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READ_ONLY]);
    }
}

gboolean
tessera_document_get_recovered (TesseraDocument *self)
{
  g_return_val_if_fail (TESSERA_IS_DOCUMENT (self), FALSE);

  return self->recovered;
}

gboolean
tessera_document_get_externally_modified (TesseraDocument *self)
{
  g_return_val_if_fail (TESSERA_IS_DOCUMENT (self), FALSE);

  return self->externally_modified;
}

/* GObject */

static void
tessera_document_changed (GtkTextBuffer *buffer)
{
  TesseraDocument *self = TESSERA_DOCUMENT (buffer);

  GTK_TEXT_BUFFER_CLASS (tessera_document_parent_class)->changed (buffer);

  if (self->loading || self->streaming || !self->loaded ||
      g_cancellable_is_cancelled (self->cancellable))
    return;

  g_clear_handle_id (&self->draft_source, g_source_remove);
  self->draft_source = g_timeout_add (DRAFT_DELAY_MSEC, draft_timeout_cb, self);
}

static void
tessera_document_dispose (GObject *object)
{
  TesseraDocument *self = (TesseraDocument *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->draft_source, g_source_remove);
  g_clear_object (&self->file);

  G_OBJECT_CLASS (tessera_document_parent_class)->dispose (object);
}

static void
tessera_document_finalize (GObject *object)
{
  TesseraDocument *self = (TesseraDocument *)object;

  g_clear_object (&self->project);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->etag, g_free);

  G_OBJECT_CLASS (tessera_document_parent_class)->finalize (object);
}

static void
tessera_document_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TesseraDocument *self = TESSERA_DOCUMENT (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;

    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;

    case PROP_TITLE:
      g_value_take_string (value, tessera_document_dup_title (self));
      break;

    case PROP_KIND:
      g_value_set_uint (value, self->kind);
      break;

    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;

    case PROP_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;

    case PROP_READ_ONLY:
      g_value_set_boolean (value, tessera_document_get_read_only (self));
      break;

    case PROP_RECOVERED:
      g_value_set_boolean (value, self->recovered);
      break;

    case PROP_EXTERNALLY_MODIFIED:
      g_value_set_boolean (value, self->externally_modified);
      break;

    case PROP_STREAMING:
      g_value_set_boolean (value, self->streaming);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_document_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  TesseraDocument *self = TESSERA_DOCUMENT (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      self->project = g_value_dup_object (value);
      break;

    case PROP_PATH:
      tessera_document_set_path (self, g_value_get_string (value));
      break;

    case PROP_READ_ONLY:
      tessera_document_set_read_only (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_document_class_init (TesseraDocumentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkTextBufferClass *buffer_class = GTK_TEXT_BUFFER_CLASS (klass);

  object_class->dispose = tessera_document_dispose;
  object_class->finalize = tessera_document_finalize;
  object_class->get_property = tessera_document_get_property;
  object_class->set_property = tessera_document_set_property;

  buffer_class->changed = tessera_document_changed;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL,
                         TESSERA_TYPE_PROJECT,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  properties[PROP_KIND] =
    g_param_spec_uint ("kind", NULL, NULL,
                       TESSERA_DOCUMENT_KIND_TEXT, TESSERA_DOCUMENT_KIND_TOO_LARGE,
                       TESSERA_DOCUMENT_KIND_TEXT,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  properties[PROP_READ_ONLY] =
    g_param_spec_boolean ("read-only", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_RECOVERED] =
    g_param_spec_boolean ("recovered", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  properties[PROP_EXTERNALLY_MODIFIED] =
    g_param_spec_boolean ("externally-modified", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  properties[PROP_STREAMING] =
    g_param_spec_boolean ("streaming", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_document_init (TesseraDocument *self)
{
  self->cancellable = g_cancellable_new ();
  self->file = gtk_source_file_new ();
  self->kind = TESSERA_DOCUMENT_KIND_TEXT;
}
