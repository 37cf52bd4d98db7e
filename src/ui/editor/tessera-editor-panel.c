/* tessera-editor-panel.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-editor-panel"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "tessera-editor-panel.h"
#include "tessera-frame-pacer.h"
#include "tessera-repaint-bin.h"
#include "tessera-unsaved-dialog.h"

struct _TesseraEditorPanel
{
  GtkWidget        parent_instance;

  TesseraProject  *project;
  GCancellable    *cancellable;
  TesseraFileTree *tree;

  AdwToastOverlay *toast_overlay;
  GtkPaned        *paned;
  AdwTabBar       *tab_bar;
  AdwTabView      *tab_view;
  AdwStatusPage   *empty_page;

  /* The tab a model is writing into: deltas come a few bytes at a time,
   * far too often to search the tabs or scroll for each. */
  AdwTabPage      *stream_page;
  /* The tab the last file a model wrote was written into: past
   * MAX_STREAMED_TABS, the next file is written into it too. */
  AdwTabPage      *live_page;
  /* What a model writes, not yet in its tab (StreamPiece, in the order
   * it came): tabs open, and text goes in, once a frame, as much as the
   * pacer allows. */
  GQueue             stream_queue;
  guint              stream_tick_id;
  guint              stream_insert_id;
  gsize              stream_budget;
  gboolean           stream_settling;
  TesseraFramePacer *stream_pacer;
  /* The reader picked a tab while a model wrote: the tabs that open for
   * it afterwards leave the selection alone, until it is done. */
  gboolean           reader_chose_tab;
  gboolean           stream_selecting;
};

typedef struct
{
  char            *path;
  /* NULL until its tab is open (or if it could not be). */
  TesseraDocument *document;
  GString         *text;
  gsize            done;
  /* Open the tab and begin its stream, first. */
  gboolean         begin;
  /* The stream of this text ended: end the document's stream once it is
   * all in. */
  gboolean         ended;
} StreamPiece;

/* Set on the tabs that a model's writing opened, until the reader opens
 * or edits them. */
#define OPENED_BY_STREAM "tessera-opened-by-stream"

G_DEFINE_FINAL_TYPE (TesseraEditorPanel, tessera_editor_panel, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_PROJECT,
  PROP_HAS_UNSAVED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Loads and saves outlive a closed window's panel by a moment; they hold it
 * weakly so that closing never waits for them. */
static GWeakRef *
weak_panel_new (TesseraEditorPanel *self)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, self);
  return ref;
}

static TesseraEditorPanel *
weak_panel_steal (GWeakRef *ref)
{
  TesseraEditorPanel *self = g_weak_ref_get (ref);

  g_weak_ref_clear (ref);
  g_free (ref);
  return self;
}

static void
show_error (TesseraEditorPanel *self,
            const GError       *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->toast_overlay == NULL)
    return;
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
}

static TesseraEditorPage *
page_child (AdwTabPage *page)
{
  return TESSERA_EDITOR_PAGE (adw_tab_page_get_child (page));
}

static TesseraDocument *
page_document (AdwTabPage *page)
{
  return tessera_editor_page_get_document (page_child (page));
}

static AdwTabPage *
find_tab (TesseraEditorPanel *self,
          const char         *path)
{
  int n;

  if (self->tab_view == NULL)
    return NULL;

  n = adw_tab_view_get_n_pages (self->tab_view);
  for (int i = 0; i < n; i++)
    {
      AdwTabPage *page = adw_tab_view_get_nth_page (self->tab_view, i);

      if (g_strcmp0 (tessera_document_get_path (page_document (page)), path) == 0)
        return page;
    }

  return NULL;
}

static AdwTabPage *
find_tab_for_document (TesseraEditorPanel *self,
                       TesseraDocument    *document)
{
  int n;

  if (self->tab_view == NULL)
    return NULL;

  n = adw_tab_view_get_n_pages (self->tab_view);
  for (int i = 0; i < n; i++)
    {
      AdwTabPage *page = adw_tab_view_get_nth_page (self->tab_view, i);

      if (page_document (page) == document)
        return page;
    }

  return NULL;
}

static GPtrArray *
list_unsaved (TesseraEditorPanel *self)
{
  GPtrArray *docs = g_ptr_array_new_with_free_func (g_object_unref);
  int n = self->tab_view ? adw_tab_view_get_n_pages (self->tab_view) : 0;

  for (int i = 0; i < n; i++)
    {
      TesseraDocument *doc = page_document (adw_tab_view_get_nth_page (self->tab_view, i));

      if (gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (doc)) &&
          tessera_document_get_kind (doc) == TESSERA_DOCUMENT_KIND_TEXT &&
          !tessera_document_get_streaming (doc))
        g_ptr_array_add (docs, g_object_ref (doc));
    }

  return docs;
}

static void
update_tab (TesseraEditorPanel *self,
            TesseraDocument    *document)
{
  AdwTabPage *page = find_tab_for_document (self, document);
  g_autofree char *name = NULL;
  g_autofree char *title = NULL;

  if (page == NULL)
    return;

  name = tessera_document_dup_title (document);
  /* What the AI writes goes to disk: not an unsaved change. */
  if (gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (document)) && !tessera_document_get_streaming (document))
    /* Translators: the tab title of a file with unsaved changes */
    title = g_strdup_printf (_("• %s"), name);
  else
    title = g_steal_pointer (&name);

  adw_tab_page_set_title (page, title);
  adw_tab_page_set_tooltip (page, tessera_document_get_path (document));
  adw_tab_page_set_loading (page, tessera_document_get_loading (document) ||
                                  tessera_document_get_streaming (document));

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_UNSAVED]);
}

static void
document_notify_cb (TesseraEditorPanel *self,
                    GParamSpec         *pspec,
                    TesseraDocument    *document)
{
  update_tab (self, document);
}

static void
document_modified_cb (TesseraEditorPanel *self,
                      TesseraDocument    *document)
{
  AdwTabPage *page;

  /* A tab the reader edited is theirs: a model's next file does not take
   * it over (see reusable_live_page()), saved or not. */
  if (gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (document)) &&
      !tessera_document_get_streaming (document) &&
      (page = find_tab_for_document (self, document)))
    g_object_set_data (G_OBJECT (page), OPENED_BY_STREAM, NULL);

  update_tab (self, document);
}

static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TesseraEditorPanel) self = weak_panel_steal (user_data);
  TesseraDocument *document = TESSERA_DOCUMENT (object);
  g_autoptr(GError) error = NULL;

  if (!tessera_document_load_finish (document, result, &error) && self != NULL)
    {
      AdwTabPage *page = find_tab_for_document (self, document);

      show_error (self, error);
      if (page != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        adw_tab_view_close_page (self->tab_view, page);
      return;
    }

  if (self != NULL)
    update_tab (self, document);
}

static AdwTabPage *
add_tab (TesseraEditorPanel *self,
         const char         *path,
         gboolean            load)
{
  g_autoptr(TesseraDocument) document = tessera_document_new (self->project, path);
  TesseraEditorPage *editor_page = tessera_editor_page_new (document);
  AdwTabPage *page;

  g_signal_connect_object (document, "modified-changed", G_CALLBACK (document_modified_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (document, "notify::loading", G_CALLBACK (document_notify_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (document, "notify::streaming", G_CALLBACK (document_notify_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (document, "notify::path", G_CALLBACK (document_notify_cb), self, G_CONNECT_SWAPPED);

  page = adw_tab_view_append (self->tab_view, GTK_WIDGET (editor_page));
  update_tab (self, document);

  if (load)
    tessera_document_load_async (document, self->cancellable, load_cb, weak_panel_new (self));

  return page;
}

static void stream_drain (TesseraEditorPanel *self);

void
tessera_editor_panel_open_file (TesseraEditorPanel *self,
                                const char         *path)
{
  AdwTabPage *page;

  g_return_if_fail (TESSERA_IS_EDITOR_PANEL (self));
  g_return_if_fail (path != NULL);

  /* What the model wrote goes in first: a streamed tab that opened later
   * would take the selection from the file asked for. */
  stream_drain (self);

  if (!(page = find_tab (self, path)))
    page = add_tab (self, path, TRUE);
  /* Asked for by the reader, it is theirs (see reusable_live_page()). */
  g_object_set_data (G_OBJECT (page), OPENED_BY_STREAM, NULL);

  adw_tab_view_set_selected_page (self->tab_view, page);
  gtk_widget_grab_focus (GTK_WIDGET (page_child (page)));
}

static void
file_activated_cb (TesseraEditorPanel *self,
                   const char         *path)
{
  tessera_editor_panel_open_file (self, path);
}

static void
file_changed_cb (TesseraEditorPanel *self,
                 const char         *path,
                 TesseraFileChange   change,
                 const char         *old_path)
{
  AdwTabPage *page;

  switch (change)
    {
    case TESSERA_FILE_RENAMED:
      if (old_path != NULL && (page = find_tab (self, old_path)) && find_tab (self, path) == NULL)
        tessera_document_set_path (page_document (page), path);
      break;

    case TESSERA_FILE_CREATED:
    case TESSERA_FILE_CHANGED:
      if ((page = find_tab (self, path)))
        tessera_document_check_disk (page_document (page));
      break;

    case TESSERA_FILE_DELETED:
    default:
      /* The open text is all that is left of the file: keep it, so that
       * saving brings it back. */
      break;
    }
}

static void
update_empty (TesseraEditorPanel *self)
{
  gboolean empty = adw_tab_view_get_n_pages (self->tab_view) == 0;

  gtk_widget_set_visible (GTK_WIDGET (self->empty_page), empty);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_UNSAVED]);
}

static TesseraEditorPage *
selected_editor_page (TesseraEditorPanel *self)
{
  AdwTabPage *page = self->tab_view ? adw_tab_view_get_selected_page (self->tab_view) : NULL;

  return page ? page_child (page) : NULL;
}

static void
selected_page_cb (TesseraEditorPanel *self)
{
  gboolean has_page = selected_editor_page (self) != NULL;

  if (!self->stream_selecting && self->stream_tick_id != 0)
    self->reader_chose_tab = TRUE;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.save", has_page);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.close-tab", has_page);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.find", has_page);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.replace", has_page);
}

/* Saving */

static void
save_one_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TesseraEditorPanel) self = weak_panel_steal (user_data);
  g_autoptr(GError) error = NULL;

  if (!tessera_document_save_finish (TESSERA_DOCUMENT (object), result, &error) && self != NULL)
    show_error (self, error);
}

typedef struct
{
  guint   pending;
  GError *error;
} SaveAll;

static void
save_all_free (SaveAll *state)
{
  g_clear_error (&state->error);
  g_free (state);
}

static void
save_all_one_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaveAll *state = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!tessera_document_save_finish (TESSERA_DOCUMENT (object), result, &error) && state->error == NULL)
    state->error = g_steal_pointer (&error);

  if (--state->pending > 0)
    return;

  if (state->error != NULL)
    g_task_return_error (task, g_steal_pointer (&state->error));
  else
    g_task_return_boolean (task, TRUE);
}

void
tessera_editor_panel_save_all_async (TesseraEditorPanel  *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) docs = NULL;
  SaveAll *state;

  g_return_if_fail (TESSERA_IS_EDITOR_PANEL (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_editor_panel_save_all_async);

  docs = list_unsaved (self);
  if (docs->len == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  state = g_new0 (SaveAll, 1);
  state->pending = docs->len;
  g_task_set_task_data (task, state, (GDestroyNotify)save_all_free);

  for (guint i = 0; i < docs->len; i++)
    tessera_document_save_async (g_ptr_array_index (docs, i), cancellable,
                                 save_all_one_cb, g_object_ref (task));
}

gboolean
tessera_editor_panel_save_all_finish (TesseraEditorPanel  *self,
                                      GAsyncResult        *result,
                                      GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
tessera_editor_panel_get_has_unsaved (TesseraEditorPanel *self)
{
  g_autoptr(GPtrArray) docs = NULL;

  g_return_val_if_fail (TESSERA_IS_EDITOR_PANEL (self), FALSE);

  docs = list_unsaved (self);
  return docs->len > 0;
}

/* Closing */

static GtkWidget *
create_unsaved_dialog (GtkWindow *parent,
                       GPtrArray *docs)
{
  g_autoptr(GString) body = g_string_new (NULL);

  if (docs->len == 1)
    {
      g_autofree char *name = tessera_document_dup_title (g_ptr_array_index (docs, 0));

      /* Translators: %s is a file name */
      g_string_append_printf (body, _("“%s” has unsaved changes. Changes which are not saved will be lost."), name);
    }
  else
    {
      g_string_append (body, _("These files have unsaved changes. Changes which are not saved will be lost."));
      g_string_append_c (body, '\n');
      for (guint i = 0; i < docs->len; i++)
        g_string_append_printf (body, "\n%s", tessera_document_get_path (g_ptr_array_index (docs, i)));
    }

  return tessera_unsaved_dialog_new (parent, _("Save Changes?"), body->str, _("_Discard"), _("_Save"));
}

static void
discard_all (GPtrArray *docs)
{
  for (guint i = 0; i < docs->len; i++)
    {
      TesseraDocument *doc = g_ptr_array_index (docs, i);

      tessera_document_discard_draft (doc);
      /* Nobody will be asked twice about text the user threw away. */
      gtk_text_buffer_set_modified (GTK_TEXT_BUFFER (doc), FALSE);
    }
}

static void
close_save_all_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  TesseraEditorPanel *self = TESSERA_EDITOR_PANEL (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_editor_panel_save_all_finish (self, result, &error))
    {
      show_error (self, error);
      g_task_return_boolean (task, FALSE);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
close_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   GTask            *task)
{
  TesseraEditorPanel *self = g_task_get_source_object (task);
  GPtrArray *docs = g_task_get_task_data (task);

  if (g_str_equal (response, "discard"))
    {
      discard_all (docs);
      g_task_return_boolean (task, TRUE);
    }
  else if (g_str_equal (response, "save"))
    {
      tessera_editor_panel_save_all_async (self, NULL, close_save_all_cb, g_object_ref (task));
    }
  else
    {
      g_task_return_boolean (task, FALSE);
    }

  g_object_unref (task);
}

void
tessera_editor_panel_close_async (TesseraEditorPanel  *self,
                                  GtkWindow           *parent,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) docs = NULL;
  GtkWidget *dialog;

  g_return_if_fail (TESSERA_IS_EDITOR_PANEL (self));
  g_return_if_fail (!parent || GTK_IS_WINDOW (parent));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, tessera_editor_panel_close_async);

  docs = list_unsaved (self);
  if (docs->len == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  dialog = create_unsaved_dialog (parent, docs);
  g_task_set_task_data (task, g_steal_pointer (&docs), (GDestroyNotify)g_ptr_array_unref);
  g_signal_connect (dialog, "response", G_CALLBACK (close_response_cb), g_object_ref (task));
  gtk_window_present (GTK_WINDOW (dialog));
}

gboolean
tessera_editor_panel_close_finish (TesseraEditorPanel  *self,
                                   GAsyncResult        *result,
                                   GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  TesseraEditorPanel *self;
  AdwTabPage         *page;
} ClosePage;

static void
close_page_free (ClosePage *state)
{
  g_clear_object (&state->self);
  g_clear_object (&state->page);
  g_free (state);
}

static void
close_page_done (TesseraEditorPanel *self,
                 AdwTabPage         *page,
                 gboolean            confirm)
{
  /* The page may already be gone if the whole panel went away. */
  if (self->tab_view != NULL && adw_tab_view_get_page_position (self->tab_view, page) >= 0)
    adw_tab_view_close_page_finish (self->tab_view, page, confirm);
}

static void
close_page_saved_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  ClosePage *state = user_data;
  g_autoptr(GError) error = NULL;
  gboolean saved;

  saved = tessera_document_save_finish (TESSERA_DOCUMENT (object), result, &error);
  if (!saved)
    show_error (state->self, error);
  close_page_done (state->self, state->page, saved);
  close_page_free (state);
}

static void
close_page_response_cb (AdwMessageDialog *dialog,
                        const char       *response,
                        ClosePage        *state)
{
  TesseraDocument *doc = page_document (state->page);

  if (g_str_equal (response, "discard"))
    {
      tessera_document_discard_draft (doc);
      close_page_done (state->self, state->page, TRUE);
    }
  else if (g_str_equal (response, "save"))
    {
      tessera_document_save_async (doc, NULL, close_page_saved_cb, state);
      return;
    }
  else
    {
      close_page_done (state->self, state->page, FALSE);
    }

  close_page_free (state);
}

static gboolean
close_page_cb (TesseraEditorPanel *self,
               AdwTabPage         *page,
               AdwTabView         *view)
{
  TesseraDocument *doc = page_document (page);
  g_autoptr(GPtrArray) docs = NULL;
  GtkRoot *root;
  GtkWidget *dialog;
  ClosePage *state;

  if (!gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (doc)) ||
      tessera_document_get_kind (doc) != TESSERA_DOCUMENT_KIND_TEXT ||
      tessera_document_get_streaming (doc))
    {
      adw_tab_view_close_page_finish (view, page, TRUE);
      return GDK_EVENT_STOP;
    }

  docs = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (docs, g_object_ref (doc));
  root = gtk_widget_get_root (GTK_WIDGET (self));
  dialog = create_unsaved_dialog (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, docs);

  state = g_new0 (ClosePage, 1);
  state->self = g_object_ref (self);
  state->page = g_object_ref (page);
  g_signal_connect (dialog, "response", G_CALLBACK (close_page_response_cb), state);
  gtk_window_present (GTK_WINDOW (dialog));

  return GDK_EVENT_STOP;
}

/* Streaming */

#define MAX_STREAMED_TABS 8
#define STREAM_INSERT_MAX 1024
/* How far past its budget a piece goes to end at a line end. */
#define LINE_SLACK 512
/* Above the redraw's priority: all of a frame's text is in before the
 * next frame (GtkSourceView highlights each piece in an idle of higher
 * priority still, between them). */
#define STREAM_INSERT_PRIORITY (GDK_PRIORITY_REDRAW - 5)

static void
stream_piece_free (StreamPiece *piece)
{
  g_free (piece->path);
  g_clear_object (&piece->document);
  g_string_free (piece->text, TRUE);
  g_free (piece);
}

static StreamPiece *
stream_piece_new (const char      *path,
                  TesseraDocument *document)
{
  StreamPiece *piece = g_new0 (StreamPiece, 1);

  piece->path = g_strdup (path);
  piece->document = document ? g_object_ref (document) : NULL;
  piece->text = g_string_new (NULL);

  return piece;
}

static void
stream_reload_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TesseraEditorPanel) self = weak_panel_steal (user_data);
  g_autoptr(GError) error = NULL;

  if (!tessera_document_reload_finish (TESSERA_DOCUMENT (object), result, &error) && self != NULL)
    show_error (self, error);
}

/* Whether a file with no tab yet finds no room for one. */
static gboolean
tabs_full (TesseraEditorPanel *self)
{
  return adw_tab_view_get_n_pages (self->tab_view) >= MAX_STREAMED_TABS;
}

/* The tab the next file a model writes can take over, past
 * MAX_STREAMED_TABS: the one the file before was written into, if the
 * stream opened it, it holds nothing of the reader's (never opened from
 * the tree or a card, never edited, not the tab they chose while files
 * were written) and it shows what is on disk (its reload after the
 * stream is done). */
static AdwTabPage *
reusable_live_page (TesseraEditorPanel *self)
{
  TesseraDocument *doc;

  if (self->live_page == NULL || !g_object_get_data (G_OBJECT (self->live_page), OPENED_BY_STREAM))
    return NULL;

  doc = page_document (self->live_page);
  if (tessera_document_get_streaming (doc) || tessera_document_get_loading (doc) ||
      gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (doc)) ||
      tessera_document_get_kind (doc) != TESSERA_DOCUMENT_KIND_TEXT ||
      (self->reader_chose_tab && adw_tab_view_get_selected_page (self->tab_view) == self->live_page))
    return NULL;

  return self->live_page;
}

/* Opens @path's tab for a model to write into, selected and read-only;
 * past MAX_STREAMED_TABS, only if @newest (no file after it is on its
 * way: a view that fell behind the model skips to what it writes now).
 * Returns its document, or NULL if there is no tab for it. */
static TesseraDocument *
begin_stream (TesseraEditorPanel *self,
              const char         *path,
              gboolean            newest)
{
  AdwTabPage *page = find_tab (self, path);

  /* An answer can write a hundred files; a tab for each made every frame
   * lay out a hundred tabs (the tab bar animating all the while), which
   * cost more than the rest of the turn together, and closing older tabs
   * to make room measured as slow. Past a few tabs, the last one goes on
   * to the next file, as an editor's preview tab does; when it cannot
   * (see reusable_live_page()), the file is only shown in the tree. */
  if (page == NULL && tabs_full (self))
    {
      page = newest ? reusable_live_page (self) : NULL;
      if (page == NULL)
        return NULL;
      tessera_document_set_path (page_document (page), path);
      /* Highlighted as the new file's name says (see
       * tessera_document_stream_begin()). */
      gtk_source_buffer_set_language (GTK_SOURCE_BUFFER (page_document (page)), NULL);
    }

  /* The selection that follows is the stream's, not the reader's. */
  self->stream_selecting = TRUE;
  if (page == NULL)
    {
      page = add_tab (self, path, FALSE);
      g_object_set_data (G_OBJECT (page), OPENED_BY_STREAM, GINT_TO_POINTER (TRUE));
    }
  if (!self->reader_chose_tab)
    adw_tab_view_set_selected_page (self->tab_view, page);
  self->stream_selecting = FALSE;

  g_set_object (&self->stream_page, page);
  g_set_object (&self->live_page, page);
  tessera_document_stream_begin (page_document (page));

  return page_document (page);
}

static void
finish_stream (TesseraEditorPanel *self,
               TesseraDocument    *doc)
{
  tessera_document_stream_end (doc);
  if (self->stream_page != NULL && page_document (self->stream_page) == doc)
    g_clear_object (&self->stream_page);

  /* Applied, the file on disk is what the model wrote, in its final form;
   * not applied, the disk still has the truth. Either way the tab shows
   * the disk, never a half-streamed text nobody saved. */
  tessera_document_reload_async (doc, self->cancellable, stream_reload_cb, weak_panel_new (self));
}

/* Moves about @budget bytes of @piece into its buffer, whole lines: up
 * to the last line end within @budget, or else to the first after it if
 * that is near (a very long line is cut). Returns how many it moved. */
static gsize
stream_piece_advance (StreamPiece *piece,
                      gsize        budget)
{
  const char *text = piece->text->str + piece->done;
  gsize n = piece->text->len - piece->done;

  if (n > budget)
    {
      const char *line_end = g_strrstr_len (text, budget, "\n");

      if (line_end == NULL)
        line_end = memchr (text + budget, '\n', MIN (n - budget, LINE_SLACK));
      if (line_end != NULL)
        n = line_end + 1 - text;
      else
        {
          n = g_utf8_find_prev_char (text, text + budget + 1) - text;
          if (n == 0)
            n = g_utf8_next_char (text) - text;
        }
    }

  if (piece->document != NULL && tessera_document_get_streaming (piece->document))
    tessera_document_stream_append (piece->document, text, n);
  piece->done += n;

  return n;
}

/* Whether a file after the one at the head of the queue is on its way. */
static gboolean
newer_file_queued (TesseraEditorPanel *self)
{
  for (GList *l = self->stream_queue.head->next; l != NULL; l = l->next)
    {
      StreamPiece *piece = l->data;

      if (piece->begin)
        return TRUE;
    }

  return FALSE;
}

/* Whether @path waits for the live tab, which is reloading the file
 * written before from disk: a model often begins a file as soon as it
 * ended the one before, and its tab is then free in a moment. While
 * shown only: the text of an unmapped panel goes straight in. */
static gboolean
live_page_reloading (TesseraEditorPanel *self,
                     const char         *path)
{
  return gtk_widget_get_mapped (GTK_WIDGET (self)) &&
         self->live_page != NULL &&
         tessera_document_get_loading (page_document (self->live_page)) &&
         find_tab (self, path) == NULL && tabs_full (self);
}

/* Works through the queue: opens the first waiting tab, or moves up to
 * *@budget bytes of text into the tabs, and takes what it moved from
 * *@budget. A tab opening is the whole of a dispatch: making an editor
 * page costs as much as a frame; a file that gets no tab costs nothing.
 * Returns FALSE once the queue is empty, or while it waits for the live
 * tab (see live_page_reloading()). */
static gboolean
stream_work (TesseraEditorPanel *self,
             gsize              *budget)
{
  StreamPiece *piece;

  while ((piece = g_queue_peek_head (&self->stream_queue)))
    {
      if (piece->begin)
        {
          gboolean newest = !newer_file_queued (self);

          if (newest && live_page_reloading (self, piece->path))
            return FALSE;

          piece->begin = FALSE;
          g_set_object (&piece->document, begin_stream (self, piece->path, newest));
          if (piece->document != NULL)
            return TRUE;
        }

      /* The text of a file with no tab to show it in takes no time. */
      if (piece->document == NULL)
        piece->done = piece->text->len;

      if (piece->done < piece->text->len)
        {
          if (*budget == 0)
            return TRUE;
          *budget -= MIN (*budget, stream_piece_advance (piece, *budget));
          if (piece->done < piece->text->len)
            return TRUE;
        }

      /* All that came is in, and more may come. */
      if (!piece->ended && piece == g_queue_peek_tail (&self->stream_queue))
        {
          g_string_truncate (piece->text, 0);
          piece->done = 0;
          return FALSE;
        }

      g_queue_pop_head (&self->stream_queue);
      if (piece->ended && piece->document != NULL)
        finish_stream (self, piece->document);
      stream_piece_free (piece);
    }

  return FALSE;
}

/* Everything at once: when the panel is not shown, it gets no frames. */
static void
stream_drain (TesseraEditorPanel *self)
{
  gsize budget = G_MAXSIZE;

  while (stream_work (self, &budget))
    budget = G_MAXSIZE;
}

static void
stream_follow_end (TesseraEditorPanel *self)
{
  GtkSourceView *view;
  GtkAdjustment *adjustment;

  if (self->stream_page == NULL)
    return;

  /* Through the adjustment, not a mark scrolled onscreen: a view left
   * with a pending scroll to a mark, then reloaded and closed (or its
   * window destroyed), crashes GTK 4.8's text view in a later validation
   * ("gtk_text_btree_line_number couldn't find line"). Its upper bound is
   * that of the last layout, which has the text that went in before. */
  view = tessera_editor_page_get_view (page_child (self->stream_page));
  adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));
  if (adjustment != NULL)
    gtk_adjustment_set_value (adjustment,
                              gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment));
}

/* Right after a frame, in dispatches of their own: text inserted during
 * the frame would be laid out by the text view in the middle of its
 * allocation. At most STREAM_INSERT_MAX bytes each: GtkSourceView
 * highlights what changed in an idle of 10 ms first (of a higher
 * priority, so it runs between these), then in idles of 30 ms if that
 * was not enough, and a text view lays out new lines 2,000 pixels an
 * idle; small pieces keep each of those short. */
static gboolean
stream_insert_cb (gpointer user_data)
{
  TesseraEditorPanel *self = user_data;
  gsize piece = MIN (self->stream_budget, STREAM_INSERT_MAX);
  gsize left = piece;

  if (stream_work (self, &left) && self->stream_budget > piece)
    {
      self->stream_budget -= piece - left;
      if (piece - left > 0)
        return G_SOURCE_CONTINUE;
    }

  self->stream_insert_id = 0;
  return G_SOURCE_REMOVE;
}

/* Whether a tab waits to open or text to go in: not so when all that
 * came of the file being written is in. */
static gboolean
stream_has_work (TesseraEditorPanel *self)
{
  StreamPiece *piece = g_queue_peek_head (&self->stream_queue);

  return piece != NULL &&
         (self->stream_queue.length > 1 || piece->begin || piece->ended || piece->done < piece->text->len);
}

/* Bytes of text not yet in their tabs. */
static gsize
stream_waiting (TesseraEditorPanel *self)
{
  gsize waiting = 0;

  for (GList *l = self->stream_queue.head; l != NULL; l = l->next)
    {
      StreamPiece *piece = l->data;

      waiting += piece->text->len - piece->done;
    }

  return waiting;
}

/* A model writes far faster than a person reads, and a text view lays
 * out, and GtkSourceView highlights, what comes in one go in slices of
 * 20 to 100 ms that stall the window. A frame at a time, as much as the
 * frames before took in a few milliseconds, they keep up smoothly. */
static gboolean
stream_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  TesseraEditorPanel *self = TESSERA_EDITOR_PANEL (widget);

  /* A text view drawn again costs more than anything else in a frame
   * (the glyphs of a whole screen of code, with cairo), and it is drawn
   * again for any change to its text, in view or not. So it changes once
   * a round of slots (see TesseraFrameSlot): new text goes in right
   * after the CHAT_SCROLL frame, all of it before the next frame, the
   * EDITOR_SCROLL one, which also scrolls to the text that went in a
   * round before (the view follows a round behind, which the eye does
   * not see). */
  if (tessera_frame_slot_is_now (TESSERA_FRAME_SLOT_EDITOR_SCROLL, clock))
    {
      stream_follow_end (self);

      /* Once nothing waits, one more round to follow the last lines. */
      if (!stream_has_work (self))
        {
          if (!self->stream_settling)
            {
              self->stream_settling = TRUE;
              return G_SOURCE_CONTINUE;
            }
          self->stream_settling = FALSE;
          self->stream_tick_id = 0;
          self->reader_chose_tab = FALSE;
          return G_SOURCE_REMOVE;
        }
      self->stream_settling = FALSE;
      return G_SOURCE_CONTINUE;
    }

  if (!stream_has_work (self) || !tessera_frame_pacer_is_turn (self->stream_pacer, clock))
    return G_SOURCE_CONTINUE;

  self->stream_budget = tessera_frame_pacer_begin (self->stream_pacer, clock, stream_waiting (self));
  if (self->stream_insert_id == 0)
    self->stream_insert_id = g_idle_add_full (STREAM_INSERT_PRIORITY, stream_insert_cb, self, NULL);

  return G_SOURCE_CONTINUE;
}

static void
stream_wake (TesseraEditorPanel *self)
{
  if (self->stream_tick_id == 0)
    self->stream_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), stream_tick_cb, NULL, NULL);
}

static void
page_detached_cb (TesseraEditorPanel *self,
                  AdwTabPage         *page)
{
  TesseraDocument *doc = page_document (page);

  if (page == self->stream_page)
    g_clear_object (&self->stream_page);
  if (page == self->live_page)
    g_clear_object (&self->live_page);

  /* Closed while being written: what was still to come has no view. */
  for (GList *l = self->stream_queue.head; l != NULL; l = l->next)
    {
      StreamPiece *piece = l->data;

      if (piece->document == doc)
        g_clear_object (&piece->document);
    }
}

void
tessera_editor_panel_stream_begin (TesseraEditorPanel *self,
                                   const char         *path)
{
  StreamPiece *piece;

  g_return_if_fail (TESSERA_IS_EDITOR_PANEL (self));
  g_return_if_fail (path != NULL);

  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      stream_drain (self);
      begin_stream (self, path, TRUE);
      return;
    }

  piece = stream_piece_new (path, NULL);
  piece->begin = TRUE;
  g_queue_push_tail (&self->stream_queue, piece);
  stream_wake (self);
}

void
tessera_editor_panel_stream_append (TesseraEditorPanel *self,
                                    const char         *path,
                                    const char         *text,
                                    gssize              len)
{
  StreamPiece *piece;
  AdwTabPage *page;

  g_return_if_fail (TESSERA_IS_EDITOR_PANEL (self));
  g_return_if_fail (path != NULL);

  if (len < 0)
    len = strlen (text);

  piece = g_queue_peek_tail (&self->stream_queue);
  if (piece == NULL || piece->ended || g_strcmp0 (piece->path, path) != 0)
    {
      TesseraDocument *doc;

      if (self->stream_page != NULL &&
          g_strcmp0 (tessera_document_get_path (page_document (self->stream_page)), path) == 0)
        page = self->stream_page;
      else if (!(page = find_tab (self, path)))
        return;
      doc = page_document (page);
      if (!tessera_document_get_streaming (doc))
        return;

      /* Not on screen, no frames: straight in. */
      if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
        {
          stream_drain (self);
          tessera_document_stream_append (doc, text, len);
          return;
        }

      piece = stream_piece_new (path, doc);
      g_queue_push_tail (&self->stream_queue, piece);
    }

  g_string_append_len (piece->text, text, len);
  stream_wake (self);
}

void
tessera_editor_panel_stream_end (TesseraEditorPanel *self,
                                 const char         *path,
                                 gboolean            applied)
{
  AdwTabPage *page;

  g_return_if_fail (TESSERA_IS_EDITOR_PANEL (self));
  g_return_if_fail (path != NULL);

  /* Whether applied or not, the tab ends showing the disk (see
   * finish_stream()): once the text still on its way is in. */
  (void)applied;
  for (GList *l = self->stream_queue.tail; l != NULL; l = l->prev)
    {
      StreamPiece *piece = l->data;

      if (g_strcmp0 (piece->path, path) == 0)
        {
          piece->ended = TRUE;
          stream_wake (self);
          return;
        }
    }

  if ((page = find_tab (self, path)))
    finish_stream (self, page_document (page));
}

/* Actions */

static void
panel_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  TesseraEditorPanel *self = TESSERA_EDITOR_PANEL (widget);
  TesseraEditorPage *page = selected_editor_page (self);

  if (g_str_equal (action_name, "editor.save"))
    {
      TesseraDocument *doc = page ? tessera_editor_page_get_document (page) : NULL;

      /* Binary and oversized files were never loaded: nothing to write. */
      if (doc != NULL && tessera_document_get_kind (doc) == TESSERA_DOCUMENT_KIND_TEXT)
        tessera_document_save_async (doc, self->cancellable, save_one_cb, weak_panel_new (self));
    }
  else if (g_str_equal (action_name, "editor.save-all"))
    {
      g_autoptr(GPtrArray) docs = list_unsaved (self);

      for (guint i = 0; i < docs->len; i++)
        tessera_document_save_async (g_ptr_array_index (docs, i), self->cancellable,
                                     save_one_cb, weak_panel_new (self));
    }
  else if (g_str_equal (action_name, "editor.close-tab"))
    {
      AdwTabPage *tab = adw_tab_view_get_selected_page (self->tab_view);

      if (tab != NULL)
        adw_tab_view_close_page (self->tab_view, tab);
    }
  else if (g_str_equal (action_name, "editor.find"))
    {
      if (page != NULL)
        tessera_editor_page_show_search (page, FALSE);
    }
  else if (g_str_equal (action_name, "editor.replace"))
    {
      if (page != NULL)
        tessera_editor_page_show_search (page, TRUE);
    }
  else if (g_str_equal (action_name, "editor.new-file"))
    {
      tessera_file_tree_new_file (self->tree, "");
    }
}

/* Public */

TesseraEditorPanel *
tessera_editor_panel_new (TesseraProject *project)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT (project), NULL);

  return g_object_new (TESSERA_TYPE_EDITOR_PANEL, "project", project, NULL);
}

TesseraProject *
tessera_editor_panel_get_project (TesseraEditorPanel *self)
{
  g_return_val_if_fail (TESSERA_IS_EDITOR_PANEL (self), NULL);

  return self->project;
}

TesseraFileTree *
tessera_editor_panel_get_file_tree (TesseraEditorPanel *self)
{
  g_return_val_if_fail (TESSERA_IS_EDITOR_PANEL (self), NULL);

  return self->tree;
}

AdwTabView *
tessera_editor_panel_get_tab_view (TesseraEditorPanel *self)
{
  g_return_val_if_fail (TESSERA_IS_EDITOR_PANEL (self), NULL);

  return self->tab_view;
}

TesseraEditorPage *
tessera_editor_panel_get_page (TesseraEditorPanel *self,
                               const char         *path)
{
  AdwTabPage *page;

  g_return_val_if_fail (TESSERA_IS_EDITOR_PANEL (self), NULL);

  page = find_tab (self, path);
  return page ? page_child (page) : NULL;
}

TesseraDocument *
tessera_editor_panel_get_document (TesseraEditorPanel *self,
                                   const char         *path)
{
  AdwTabPage *page;

  g_return_val_if_fail (TESSERA_IS_EDITOR_PANEL (self), NULL);

  page = find_tab (self, path);
  return page ? page_document (page) : NULL;
}

/* GObject */

static void
tessera_editor_panel_constructed (GObject *object)
{
  TesseraEditorPanel *self = (TesseraEditorPanel *)object;

  G_OBJECT_CLASS (tessera_editor_panel_parent_class)->constructed (object);

  g_assert (TESSERA_IS_PROJECT (self->project));

  tessera_document_preload_languages ();
  self->tree = tessera_file_tree_new (self->project);
  gtk_widget_set_size_request (GTK_WIDGET (self->tree), 160, -1);
  gtk_paned_set_start_child (self->paned, GTK_WIDGET (self->tree));
  g_signal_connect_object (self->tree, "file-activated", G_CALLBACK (file_activated_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->project, "file-changed", G_CALLBACK (file_changed_cb), self, G_CONNECT_SWAPPED);

  update_empty (self);
  selected_page_cb (self);
}

/* Hidden, the panel gets no frames: what is still to come goes in now. */
static void
tessera_editor_panel_unmap (GtkWidget *widget)
{
  stream_drain (TESSERA_EDITOR_PANEL (widget));

  GTK_WIDGET_CLASS (tessera_editor_panel_parent_class)->unmap (widget);
}

/* The frame clock goes with the surface: let go of it first. */
static void
tessera_editor_panel_unrealize (GtkWidget *widget)
{
  tessera_frame_pacer_stop (TESSERA_EDITOR_PANEL (widget)->stream_pacer);

  GTK_WIDGET_CLASS (tessera_editor_panel_parent_class)->unrealize (widget);
}

static void
tessera_editor_panel_dispose (GObject *object)
{
  TesseraEditorPanel *self = (TesseraEditorPanel *)object;

  g_cancellable_cancel (self->cancellable);
  if (self->stream_tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->stream_tick_id);
      self->stream_tick_id = 0;
    }
  g_clear_handle_id (&self->stream_insert_id, g_source_remove);
  g_queue_clear_full (&self->stream_queue, (GDestroyNotify) stream_piece_free);
  g_clear_pointer (&self->stream_pacer, tessera_frame_pacer_free);
  g_clear_object (&self->stream_page);
  g_clear_object (&self->live_page);
  self->tree = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_EDITOR_PANEL);
  self->tab_view = NULL;

  G_OBJECT_CLASS (tessera_editor_panel_parent_class)->dispose (object);
}

static void
tessera_editor_panel_finalize (GObject *object)
{
  TesseraEditorPanel *self = (TesseraEditorPanel *)object;

  g_clear_object (&self->project);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (tessera_editor_panel_parent_class)->finalize (object);
}

static void
tessera_editor_panel_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  TesseraEditorPanel *self = TESSERA_EDITOR_PANEL (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;

    case PROP_HAS_UNSAVED:
      g_value_set_boolean (value, tessera_editor_panel_get_has_unsaved (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_editor_panel_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  TesseraEditorPanel *self = TESSERA_EDITOR_PANEL (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      self->project = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_editor_panel_class_init (TesseraEditorPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = tessera_editor_panel_constructed;
  object_class->dispose = tessera_editor_panel_dispose;
  object_class->finalize = tessera_editor_panel_finalize;
  object_class->get_property = tessera_editor_panel_get_property;
  object_class->set_property = tessera_editor_panel_set_property;

  widget_class->unmap = tessera_editor_panel_unmap;
  widget_class->unrealize = tessera_editor_panel_unrealize;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL,
                         TESSERA_TYPE_PROJECT,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties[PROP_HAS_UNSAVED] =
    g_param_spec_boolean ("has-unsaved", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_source_init ();
  g_type_ensure (TESSERA_TYPE_EDITOR_PAGE);
  g_type_ensure (TESSERA_TYPE_FILE_TREE);
  g_type_ensure (TESSERA_TYPE_REPAINT_BIN);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/editor/tessera-editor-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraEditorPanel, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, TesseraEditorPanel, paned);
  gtk_widget_class_bind_template_child (widget_class, TesseraEditorPanel, tab_bar);
  gtk_widget_class_bind_template_child (widget_class, TesseraEditorPanel, tab_view);
  gtk_widget_class_bind_template_child (widget_class, TesseraEditorPanel, empty_page);
  gtk_widget_class_bind_template_callback (widget_class, close_page_cb);
  gtk_widget_class_bind_template_callback (widget_class, update_empty);
  gtk_widget_class_bind_template_callback (widget_class, selected_page_cb);

  gtk_widget_class_install_action (widget_class, "editor.save", NULL, panel_action);
  gtk_widget_class_install_action (widget_class, "editor.save-all", NULL, panel_action);
  gtk_widget_class_install_action (widget_class, "editor.close-tab", NULL, panel_action);
  gtk_widget_class_install_action (widget_class, "editor.find", NULL, panel_action);
  gtk_widget_class_install_action (widget_class, "editor.replace", NULL, panel_action);
  gtk_widget_class_install_action (widget_class, "editor.new-file", NULL, panel_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "editor.save", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "editor.save-all", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "editor.close-tab", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "editor.find", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_h, GDK_CONTROL_MASK, "editor.replace", NULL);
}

static void
tessera_editor_panel_init (TesseraEditorPanel *self)
{
  self->cancellable = g_cancellable_new ();
  /* It measures the CHAT_SCROLL frame, before the editor's own: what
   * mostly sets the editor's pace is its share of what waits. */
  self->stream_pacer = tessera_frame_pacer_new (TESSERA_FRAME_SLOT_CHAT_SCROLL, 2048, 256, 64 * 1024);
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_object (self->tab_view, "page-detached", G_CALLBACK (page_detached_cb), self, G_CONNECT_SWAPPED);
}
