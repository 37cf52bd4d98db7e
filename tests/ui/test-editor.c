/* test-editor.c: the file tree and the editor, driven like a user would
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "tessera-test-ui.h"

#include <string.h>
#include <glib/gstdio.h>
#include <adwaita.h>

#include "tessera-editor-panel.h"

typedef struct
{
  /* GTK 4.8 keeps a text buffer that ever had a selection alive (a plain
   * GtkTextView does it too), so such documents cannot be checked for
   * leaks. */
  gboolean            selection_made;
  char               *tmpdir;
  TesseraProject     *project;
  GtkWindow          *window;
  TesseraEditorPanel *panel;
} Fixture;

/* Iterates the main loop until @cond holds. Blocking iterations wake on
 * every event (I/O completions, timeouts, frames), so this never sleeps a
 * fixed time; a condition that never comes true ends in the test timeout. */
#define WAIT_UNTIL(cond) \
  G_STMT_START { while (!(cond)) g_main_context_iteration (NULL, TRUE); } G_STMT_END

static char *
project_path (Fixture    *f,
              const char *path)
{
  return g_build_filename (g_file_peek_path (tessera_project_get_root (f->project)), path, NULL);
}

static void
write_file (Fixture    *f,
            const char *path,
            const char *contents,
            gssize      len)
{
  g_autofree char *full = project_path (f, path);
  g_autofree char *dir = g_path_get_dirname (full);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (full, contents, len, &error);
  g_assert_no_error (error);
}

static char *
read_file (Fixture    *f,
           const char *path)
{
  g_autofree char *full = project_path (f, path);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (full, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static char *
buffer_text (TesseraDocument *doc)
{
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (GTK_TEXT_BUFFER (doc), &start, &end);
  return gtk_text_buffer_get_text (GTK_TEXT_BUFFER (doc), &start, &end, TRUE);
}

/* Compares the buffer with a file's contents: GtkSourceView keeps a file's
 * final newline implicit (the loader drops it and the saver adds it). */
static gboolean
buffer_equals (TesseraDocument *doc,
               const char      *text)
{
  g_autofree char *current = buffer_text (doc);
  g_autofree char *as_file = NULL;

  if (gtk_source_buffer_get_implicit_trailing_newline (GTK_SOURCE_BUFFER (doc)))
    as_file = g_strconcat (current, "\n", NULL);
  else
    as_file = g_strdup (current);

  return g_strcmp0 (as_file, text) == 0;
}

static gboolean
buffer_equals_raw (TesseraDocument *doc,
                   const char      *text)
{
  g_autofree char *current = buffer_text (doc);

  return g_strcmp0 (current, text) == 0;
}

static void
rm_rf (GFile *file)
{
  g_autoptr(GFileEnumerator) enumerator = NULL;

  enumerator = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                          G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (enumerator != NULL)
    {
      GFileInfo *info;
      GFile *child;

      while (g_file_enumerator_iterate (enumerator, &info, &child, NULL, NULL) && info != NULL)
        rm_rf (child);
    }
  g_file_delete (file, NULL, NULL);
}

static void
open_window (Fixture *f)
{
  f->panel = tessera_editor_panel_new (f->project);
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 900, 600);
  gtk_window_set_child (f->window, GTK_WIDGET (f->panel));
  gtk_window_present (f->window);

  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (f->panel)));
  WAIT_UNTIL (!tessera_file_tree_get_loading (tessera_editor_panel_get_file_tree (f->panel)));
}

/* Drops the window and checks that nothing kept the panel alive. */
static void
close_window (Fixture *f)
{
  TesseraEditorPanel *panel = g_object_ref (f->panel);
  AdwTabView *tabs = tessera_editor_panel_get_tab_view (f->panel);
  g_autoptr(GPtrArray) docs = g_ptr_array_new ();

  for (int i = 0; i < adw_tab_view_get_n_pages (tabs); i++)
    {
      GtkWidget *child = adw_tab_page_get_child (adw_tab_view_get_nth_page (tabs, i));

      g_ptr_array_add (docs, g_object_ref (tessera_editor_page_get_document (TESSERA_EDITOR_PAGE (child))));
    }

  gtk_window_destroy (f->window);
  f->window = NULL;
  f->panel = NULL;
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (panel);

  /* Work still in flight (a draft being written) holds a document until it
   * completes; after that, nothing may. */
  for (guint i = 0; i < docs->len && !f->selection_made; i++)
    {
      GObject *doc = g_ptr_array_index (docs, i);

      WAIT_UNTIL (g_atomic_int_get ((int *)&doc->ref_count) == 1);
      g_assert_finalize_object (doc);
    }
  for (guint i = 0; i < docs->len && f->selection_made; i++)
    g_object_unref (g_ptr_array_index (docs, i));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GFile) parent = NULL;
  g_autoptr(GError) error = NULL;

  f->tmpdir = g_dir_make_tmp ("tessera-editor-XXXXXX", &error);
  g_assert_no_error (error);
  parent = g_file_new_for_path (f->tmpdir);
  f->project = tessera_project_create (parent, "demo", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->project);

  write_file (f, "src/app.js", "console.log ('hello');\n", -1);
  write_file (f, "styles.css", "body { color: red; }\n", -1);
  write_file (f, "Beta.md", "# Beta\n", -1);
  write_file (f, "zeta.txt", "zeta\n", -1);
  write_file (f, "assets/logo.txt", "logo\n", -1);
  write_file (f, "node_modules/left-pad/index.js", "module.exports = 1;\n", -1);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GFile) dir = g_file_new_for_path (f->tmpdir);

  if (f->window != NULL)
    close_window (f);
  g_clear_object (&f->project);
  rm_rf (dir);
  g_free (f->tmpdir);
}

/* Tree helpers */

static GFileInfo *
row_info (GListModel *model,
          guint       position)
{
  g_autoptr(GtkTreeListRow) row = g_list_model_get_item (model, position);

  return gtk_tree_list_row_get_item (row);
}

static int
find_row (Fixture    *f,
          const char *path)
{
  GListModel *model = tessera_file_tree_get_model (tessera_editor_panel_get_file_tree (f->panel));
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GFileInfo) info = row_info (model, i);

      if (g_strcmp0 (g_file_info_get_attribute_string (info, TESSERA_FILE_TREE_ATTRIBUTE_PATH), path) == 0)
        return i;
    }

  return -1;
}

static void
activate_row (Fixture    *f,
              const char *path)
{
  GtkListView *list = tessera_file_tree_get_list_view (tessera_editor_panel_get_file_tree (f->panel));
  int position = find_row (f, path);

  g_assert_cmpint (position, >=, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (list), "list.activate-item", "u", position));
}

static TesseraDocument *
open_and_wait (Fixture    *f,
               const char *path)
{
  TesseraDocument *doc;

  tessera_editor_panel_open_file (f->panel, path);
  doc = tessera_editor_panel_get_document (f->panel, path);
  g_assert_nonnull (doc);
  WAIT_UNTIL (tessera_document_get_loaded (doc) && !tessera_document_get_loading (doc));
  return doc;
}

static void
wait_for_draft (TesseraDocument *doc,
                gboolean         exists)
{
  g_autoptr(GFile) draft = tessera_document_get_draft_file (doc);

  WAIT_UNTIL (g_file_query_exists (draft, NULL) == exists);
}

/* Tests */

static void
test_tree_lists_files (Fixture       *f,
                       gconstpointer  data)
{
  GListModel *model;
  gboolean seen_file = FALSE;
  g_autofree char *previous_key = NULL;
  GtkWidget *first_row;
  guint n;
  int src;

  open_window (f);
  model = tessera_file_tree_get_model (tessera_editor_panel_get_file_tree (f->panel));
  n = g_list_model_get_n_items (model);
  g_assert_cmpuint (n, >, 0);

  /* Styled before any file is open (this is the first test: no editor
   * page has been made yet): rows as tall as the area's CSS says. */
  first_row = gtk_widget_get_first_child (GTK_WIDGET (tessera_file_tree_get_list_view (tessera_editor_panel_get_file_tree (f->panel))));
  WAIT_UNTIL (gtk_widget_get_height (first_row) > 0);
  g_assert_cmpint (gtk_widget_get_height (first_row), >=, 28);

  /* Folders first, then files, each group in name order. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GFileInfo) info = row_info (model, i);
      gboolean is_dir = g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY;
      g_autofree char *key = g_utf8_collate_key_for_filename (g_file_info_get_display_name (info), -1);

      if (is_dir)
        g_assert_false (seen_file);
      else if (!seen_file)
        g_clear_pointer (&previous_key, g_free);
      seen_file |= !is_dir;

      if (previous_key != NULL)
        g_assert_cmpstr (previous_key, <, key);
      g_free (previous_key);
      previous_key = g_steal_pointer (&key);
    }

  g_assert_cmpint (find_row (f, "node_modules"), ==, -1);
  g_assert_cmpint (find_row (f, ".tessera"), ==, -1);
  /* The manifest is Tessera's, not the app's. */
  g_assert_cmpint (find_row (f, "demo.tessera"), ==, -1);
  g_assert_cmpint (find_row (f, "assets"), <, find_row (f, "src"));
  g_assert_cmpint (find_row (f, "src"), <, find_row (f, "Beta.md"));
  g_assert_cmpint (find_row (f, "Beta.md"), <, find_row (f, "index.html"));
  g_assert_cmpint (find_row (f, "index.html"), <, find_row (f, "zeta.txt"));

  /* Lazy: a folder's children appear only once it is expanded. */
  g_assert_cmpint (find_row (f, "src/app.js"), ==, -1);
  activate_row (f, "src");
  WAIT_UNTIL (find_row (f, "src/app.js") >= 0);
  src = find_row (f, "src");
  g_assert_cmpint (find_row (f, "src/app.js"), ==, src + 1);

  /* Live: rows follow the project's changes without a rebuild. */
  {
    g_autoptr(GBytes) bytes = g_bytes_new_static ("x", 1);
    g_autoptr(GError) error = NULL;

    tessera_project_write (f->project, "src/new.js", bytes, NULL, &error);
    g_assert_no_error (error);
    WAIT_UNTIL (find_row (f, "src/new.js") >= 0);

    tessera_project_rename (f->project, "zeta.txt", "Alpha.txt", NULL, &error);
    g_assert_no_error (error);
    WAIT_UNTIL (find_row (f, "Alpha.txt") >= 0 && find_row (f, "zeta.txt") < 0);
    g_assert_cmpint (find_row (f, "Alpha.txt"), <, find_row (f, "Beta.md"));

    tessera_project_delete (f->project, "src/new.js", FALSE, NULL, &error);
    g_assert_no_error (error);
    WAIT_UNTIL (find_row (f, "src/new.js") < 0);

    /* Collapsed and expanded again, the folder still follows changes. */
    activate_row (f, "src");
    WAIT_UNTIL (find_row (f, "src/app.js") < 0);
    activate_row (f, "src");
    WAIT_UNTIL (find_row (f, "src/app.js") >= 0);
    tessera_project_write (f->project, "src/again.js", bytes, NULL, &error);
    g_assert_no_error (error);
    WAIT_UNTIL (find_row (f, "src/again.js") >= 0);
  }

  /* Files never activate as folders do: opening one opens a tab. */
  activate_row (f, "src/app.js");
  g_assert_nonnull (tessera_editor_panel_get_document (f->panel, "src/app.js"));
}

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, type);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static void
test_tree_create (Fixture       *f,
                  gconstpointer  data)
{
  TesseraFileTree *tree;
  GtkWidget *entry;
  g_autofree char *folder = NULL;

  open_window (f);
  tree = tessera_editor_panel_get_file_tree (f->panel);

  /* The context menu's "New Folder…" asks for a name in a popover. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (tree), "tree.new-folder", NULL));
  entry = find_descendant (GTK_WIDGET (tree), GTK_TYPE_ENTRY);
  g_assert_nonnull (entry);
  g_assert_nonnull (gtk_widget_get_ancestor (entry, GTK_TYPE_POPOVER));

  /* A name with a slash is refused in place. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "a/b");
  g_signal_emit_by_name (entry, "activate");
  g_assert_cmpint (find_row (f, "a"), ==, -1);

  gtk_editable_set_text (GTK_EDITABLE (entry), "lib");
  g_signal_emit_by_name (entry, "activate");
  WAIT_UNTIL (find_row (f, "lib") >= 0);
  folder = project_path (f, "lib");
  g_assert_true (g_file_test (folder, G_FILE_TEST_IS_DIR));
  g_assert_cmpint (find_row (f, "lib"), <, find_row (f, "src"));

  /* "New File" (the panel's action) creates it and opens it in a tab. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->panel), "editor.new-file", NULL));
  gtk_editable_set_text (GTK_EDITABLE (entry), "notes.md");
  g_signal_emit_by_name (entry, "activate");
  WAIT_UNTIL (find_row (f, "notes.md") >= 0);
  g_assert_nonnull (tessera_editor_panel_get_document (f->panel, "notes.md"));
  WAIT_UNTIL (tessera_document_get_loaded (tessera_editor_panel_get_document (f->panel, "notes.md")));
}

static void
test_edit_and_save (Fixture       *f,
                    gconstpointer  data)
{
  AdwTabView *tabs;
  TesseraDocument *doc;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  GtkTextIter iter;

  open_window (f);
  before = read_file (f, "index.html");

  activate_row (f, "index.html");
  doc = tessera_editor_panel_get_document (f->panel, "index.html");
  g_assert_nonnull (doc);
  WAIT_UNTIL (tessera_document_get_loaded (doc));
  g_assert_true (buffer_equals (doc, before));
  g_assert_false (gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (doc)));
  g_assert_nonnull (gtk_source_buffer_get_language (GTK_SOURCE_BUFFER (doc)));
  g_assert_cmpstr (gtk_source_language_get_id (gtk_source_buffer_get_language (GTK_SOURCE_BUFFER (doc))), ==, "html");

  tabs = tessera_editor_panel_get_tab_view (f->panel);
  g_assert_cmpint (adw_tab_view_get_n_pages (tabs), ==, 1);

  /* Opening the same file again focuses its tab instead of a second one. */
  activate_row (f, "index.html");
  g_assert_cmpint (adw_tab_view_get_n_pages (tabs), ==, 1);

  gtk_text_buffer_get_start_iter (GTK_TEXT_BUFFER (doc), &iter);
  gtk_text_buffer_insert (GTK_TEXT_BUFFER (doc), &iter, "<!-- edited -->\n", -1);
  g_assert_true (gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (doc)));
  g_assert_true (tessera_editor_panel_get_has_unsaved (f->panel));
  g_assert_true (g_str_has_prefix (adw_tab_page_get_title (adw_tab_view_get_selected_page (tabs)), "•"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->panel), "editor.save", NULL));
  WAIT_UNTIL (!gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (doc)));

  after = read_file (f, "index.html");
  g_assert_true (g_str_has_prefix (after, "<!-- edited -->\n"));
  g_assert_cmpstr (after + strlen ("<!-- edited -->\n"), ==, before);
  g_assert_false (tessera_editor_panel_get_has_unsaved (f->panel));
  g_assert_false (g_str_has_prefix (adw_tab_page_get_title (adw_tab_view_get_selected_page (tabs)), "•"));

  /* Our own save is not an outside change: no banner, no reload. */
  g_assert_false (tessera_editor_page_get_banner_visible (tessera_editor_panel_get_page (f->panel, "index.html")));

}

static void
test_search_replace (Fixture       *f,
                     gconstpointer  data)
{
  TesseraEditorPage *page;
  TesseraDocument *doc;
  g_autofree char *text = NULL;

  write_file (f, "notes.txt", "one fish\ntwo fish\nred fish\n", -1);
  open_window (f);
  doc = open_and_wait (f, "notes.txt");
  page = tessera_editor_panel_get_page (f->panel, "notes.txt");
  f->selection_made = TRUE;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->panel), "editor.find", NULL));
  g_assert_true (tessera_editor_page_get_search_visible (page));
  tessera_editor_page_set_search_text (page, "fish");
  {
    GtkTextIter start, end;
    g_autofree char *selected = NULL;

    g_assert_true (gtk_text_buffer_get_selection_bounds (GTK_TEXT_BUFFER (doc), &start, &end));
    selected = gtk_text_iter_get_slice (&start, &end);
    g_assert_cmpstr (selected, ==, "fish");
    g_assert_cmpint (gtk_text_iter_get_line (&start), ==, 0);

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "search.next", NULL));
    g_assert_true (gtk_text_buffer_get_selection_bounds (GTK_TEXT_BUFFER (doc), &start, &end));
    g_assert_cmpint (gtk_text_iter_get_line (&start), ==, 1);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "search.previous", NULL));
    g_assert_true (gtk_text_buffer_get_selection_bounds (GTK_TEXT_BUFFER (doc), &start, &end));
    g_assert_cmpint (gtk_text_iter_get_line (&start), ==, 0);
  }

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->panel), "editor.replace", NULL));
  tessera_editor_page_replace_all (page);
  /* Nothing to replace with: every "fish" goes. */
  g_assert_true (buffer_equals (doc, "one \ntwo \nred \n"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "search.close", NULL));
  g_assert_false (tessera_editor_page_get_search_visible (page));

  gtk_text_buffer_set_modified (GTK_TEXT_BUFFER (doc), FALSE);
}

static void
test_external_changes (Fixture       *f,
                       gconstpointer  data)
{
  TesseraDocument *doc;
  TesseraEditorPage *page;
  GtkTextIter iter;

  open_window (f);
  doc = open_and_wait (f, "styles.css");
  page = tessera_editor_panel_get_page (f->panel, "styles.css");

  /* Unmodified: the buffer follows the disk silently. */
  write_file (f, "styles.css", "body { color: blue; }\n", -1);
  WAIT_UNTIL (buffer_equals (doc, "body { color: blue; }\n"));
  g_assert_false (gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (doc)));
  g_assert_false (tessera_editor_page_get_banner_visible (page));

  /* Modified: the user's text stays and the banner asks. */
  gtk_text_buffer_get_end_iter (GTK_TEXT_BUFFER (doc), &iter);
  gtk_text_buffer_insert (GTK_TEXT_BUFFER (doc), &iter, "\n/* mine */", -1);
  write_file (f, "styles.css", "body { color: green; }\n", -1);
  WAIT_UNTIL (tessera_document_get_externally_modified (doc));
  g_assert_true (tessera_editor_page_get_banner_visible (page));
  g_assert_true (buffer_equals (doc, "body { color: blue; }\n/* mine */\n"));

  /* "Reload" takes the disk's version. */
  tessera_document_reload_async (doc, NULL, NULL, NULL);
  WAIT_UNTIL (buffer_equals (doc, "body { color: green; }\n") && !tessera_document_get_loading (doc));
  g_assert_false (tessera_editor_page_get_banner_visible (page));
  g_assert_false (gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (doc)));
}


static void
close_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  int *outcome = user_data;
  g_autoptr(GError) error = NULL;

  *outcome = tessera_editor_panel_close_finish (TESSERA_EDITOR_PANEL (object), result, &error) ? 1 : 0;
  g_assert_no_error (error);
}

static void
test_close_unsaved (Fixture       *f,
                    gconstpointer  data)
{
  TesseraDocument *doc;
  AdwMessageDialog *dialog;
  AdwTabView *tabs;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  GtkTextIter iter;
  int outcome = -1;

  open_window (f);
  before = read_file (f, "Beta.md");
  doc = open_and_wait (f, "Beta.md");
  tabs = tessera_editor_panel_get_tab_view (f->panel);

  /* Without changes, closing asks nothing. */
  tessera_editor_panel_close_async (f->panel, f->window, close_cb, &outcome);
  WAIT_UNTIL (outcome != -1);
  g_assert_cmpint (outcome, ==, 1);
  g_assert_null (tessera_test_find_message_dialog ());

  gtk_text_buffer_get_end_iter (GTK_TEXT_BUFFER (doc), &iter);
  gtk_text_buffer_insert (GTK_TEXT_BUFFER (doc), &iter, "unsaved words\n", -1);

  /* Closing the tab asks; Cancel keeps it open. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->panel), "editor.close-tab", NULL));
  WAIT_UNTIL ((dialog = tessera_test_find_message_dialog ()) != NULL);
  tessera_test_respond (dialog, "cancel");
  WAIT_UNTIL (tessera_test_find_message_dialog () == NULL);
  g_assert_cmpint (adw_tab_view_get_n_pages (tabs), ==, 1);
  g_assert_true (gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (doc)));

  /* Closing the window asks; Cancel refuses, Discard allows. */
  outcome = -1;
  tessera_editor_panel_close_async (f->panel, f->window, close_cb, &outcome);
  WAIT_UNTIL ((dialog = tessera_test_find_message_dialog ()) != NULL);
  g_assert_true (adw_message_dialog_has_response (dialog, "save"));
  tessera_test_respond (dialog, "cancel");
  WAIT_UNTIL (outcome != -1);
  g_assert_cmpint (outcome, ==, 0);

  outcome = -1;
  tessera_editor_panel_close_async (f->panel, f->window, close_cb, &outcome);
  WAIT_UNTIL ((dialog = tessera_test_find_message_dialog ()) != NULL);
  tessera_test_respond (dialog, "discard");
  WAIT_UNTIL (outcome != -1);
  g_assert_cmpint (outcome, ==, 1);

  after = read_file (f, "Beta.md");
  g_assert_cmpstr (after, ==, before);
  wait_for_draft (doc, FALSE);
  WAIT_UNTIL (tessera_test_find_message_dialog () == NULL);
}

static void
test_draft_recovery (Fixture       *f,
                     gconstpointer  data)
{
  TesseraDocument *doc;
  TesseraEditorPage *page;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  GtkTextIter iter;

  open_window (f);
  before = read_file (f, "src/app.js");
  doc = open_and_wait (f, "src/app.js");

  gtk_text_buffer_get_end_iter (GTK_TEXT_BUFFER (doc), &iter);
  gtk_text_buffer_insert (GTK_TEXT_BUFFER (doc), &iter, "\nlet unsaved = 42;", -1);
  wait_for_draft (doc, TRUE);
  WAIT_UNTIL (!tessera_document_get_loading (doc));

  /* A crash: the window goes away without saving or asking. */
  close_window (f);
  after = read_file (f, "src/app.js");
  g_assert_cmpstr (after, ==, before);

  open_window (f);
  doc = open_and_wait (f, "src/app.js");
  page = tessera_editor_panel_get_page (f->panel, "src/app.js");
  {
    g_autofree char *expected = g_strconcat (before, "let unsaved = 42;\n", NULL);

    g_assert_true (buffer_equals (doc, expected));
  }
  g_assert_true (gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (doc)));
  g_assert_true (tessera_document_get_recovered (doc));
  g_assert_true (tessera_editor_page_get_banner_visible (page));

  /* Saving makes the draft unnecessary. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->panel), "editor.save", NULL));
  WAIT_UNTIL (!gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (doc)));
  wait_for_draft (doc, FALSE);
  g_assert_false (tessera_editor_page_get_banner_visible (page));
}

static void
test_binary_and_large (Fixture       *f,
                       gconstpointer  data)
{
  static const char binary[] = { 'P', 'N', 'G', 0, 1, 2, 3, 0, (char)0xff };
  TesseraDocument *doc;
  TesseraEditorPage *page;
  g_autofree char *large = NULL;
  gsize large_size = TESSERA_DOCUMENT_MAX_TEXT_SIZE + 1024;

  write_file (f, "image.png", binary, sizeof binary);
  write_file (f, "latin1.txt", "caf\xe9\n", -1);
  large = g_malloc (large_size + 1);
  memset (large, 'a', large_size);
  large[large_size] = '\0';
  write_file (f, "huge.js", large, large_size);

  open_window (f);

  doc = open_and_wait (f, "image.png");
  page = tessera_editor_panel_get_page (f->panel, "image.png");
  g_assert_cmpint (tessera_document_get_kind (doc), ==, TESSERA_DOCUMENT_KIND_BINARY);
  g_assert_cmpstr (tessera_editor_page_get_state (page), ==, "info");
  g_assert_true (tessera_document_get_read_only (doc));
  g_assert_cmpint (gtk_text_buffer_get_char_count (GTK_TEXT_BUFFER (doc)), ==, 0);

  doc = open_and_wait (f, "latin1.txt");
  g_assert_cmpint (tessera_document_get_kind (doc), ==, TESSERA_DOCUMENT_KIND_BINARY);

  doc = open_and_wait (f, "huge.js");
  page = tessera_editor_panel_get_page (f->panel, "huge.js");
  g_assert_cmpint (tessera_document_get_kind (doc), ==, TESSERA_DOCUMENT_KIND_TOO_LARGE);
  g_assert_cmpuint (tessera_document_get_size (doc), ==, large_size);
  g_assert_cmpstr (tessera_editor_page_get_state (page), ==, "info");
  g_assert_cmpint (gtk_text_buffer_get_char_count (GTK_TEXT_BUFFER (doc)), ==, 0);

  /* A text file still opens as text next to them. */
  doc = open_and_wait (f, "styles.css");
  page = tessera_editor_panel_get_page (f->panel, "styles.css");
  g_assert_cmpstr (tessera_editor_page_get_state (page), ==, "text");
  g_assert_false (tessera_document_get_read_only (doc));
}

static void
test_streaming (Fixture       *f,
                gconstpointer  data)
{
  static const char *chunks[] = { "export function ", "add (a, b)\n{\n", "  return a + b;\n", "}\n" };
  TesseraDocument *doc;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  GtkTextView *view;

  open_window (f);
  tessera_editor_panel_stream_begin (f->panel, "src/math.js");
  /* Shown, the tab opens with the next frame. */
  WAIT_UNTIL ((doc = tessera_editor_panel_get_document (f->panel, "src/math.js")));
  g_assert_true (tessera_document_get_read_only (doc));
  view = GTK_TEXT_VIEW (tessera_editor_page_get_view (tessera_editor_panel_get_page (f->panel, "src/math.js")));
  g_assert_false (gtk_text_view_get_editable (view));

  for (guint i = 0; i < G_N_ELEMENTS (chunks); i++)
    tessera_editor_panel_stream_append (f->panel, "src/math.js", chunks[i], -1);
  /* Shown, the text comes in with the next frames. */
  WAIT_UNTIL (buffer_equals_raw (doc, "export function add (a, b)\n{\n  return a + b;\n}\n"));
  g_assert_false (tessera_editor_panel_get_has_unsaved (f->panel));

  /* What lands on disk is what the tab shows at the end. */
  bytes = g_bytes_new_static ("export const add = (a, b) => a + b;\n", 36);
  tessera_project_write (f->project, "src/math.js", bytes, NULL, &error);
  g_assert_no_error (error);
  tessera_editor_panel_stream_end (f->panel, "src/math.js", TRUE);
  WAIT_UNTIL (buffer_equals (doc, "export const add = (a, b) => a + b;\n") && !tessera_document_get_loading (doc));
  g_assert_false (tessera_document_get_read_only (doc));
  g_assert_true (gtk_text_view_get_editable (view));
  g_assert_false (gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (doc)));
}

static void
count_inserts_cb (GtkTextBuffer *buffer,
                  GtkTextIter   *location,
                  const char    *text,
                  int            len,
                  guint         *n_inserts)
{
  g_assert_cmpint (len, >, 0);
  g_assert_cmpint (text[len - 1], ==, '\n');
  (*n_inserts)++;
}

/* A file written faster than frames goes into its tab a frame at a time,
 * whole lines each time, and its stream ends (the tab reloads from disk,
 * writable again) only once all of it is in, even when the model ended
 * it long before. */
static void
test_streaming_paced (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  TesseraDocument *doc;
  guint n_inserts = 0;

  for (guint i = 0; i < 3000; i++)
    g_string_append_printf (text, "export const value%u = %u; // ünïcödé\n", i, i * 7);

  open_window (f);
  tessera_editor_panel_stream_begin (f->panel, "src/values.js");
  WAIT_UNTIL ((doc = tessera_editor_panel_get_document (f->panel, "src/values.js")));
  g_signal_connect (doc, "insert-text", G_CALLBACK (count_inserts_cb), &n_inserts);

  tessera_editor_panel_stream_append (f->panel, "src/values.js", text->str, text->len);
  bytes = g_bytes_new (text->str, text->len);
  tessera_project_write (f->project, "src/values.js", bytes, NULL, &error);
  g_assert_no_error (error);
  tessera_editor_panel_stream_end (f->panel, "src/values.js", TRUE);
  g_assert_true (tessera_document_get_streaming (doc));
  g_assert_cmpint (gtk_text_buffer_get_char_count (GTK_TEXT_BUFFER (doc)), <, 10);

  WAIT_UNTIL (!tessera_document_get_streaming (doc));
  WAIT_UNTIL (!tessera_document_get_loading (doc) && tessera_document_get_loaded (doc));
  g_assert_true (buffer_equals (doc, text->str));
  g_assert_false (tessera_document_get_read_only (doc));
  g_assert_false (gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (doc)));
  /* Pieces, not one insert: 130 KB in at most 64 KB a frame. */
  g_assert_cmpuint (n_inserts, >=, 3);
  g_signal_handlers_disconnect_by_func (doc, count_inserts_cb, &n_inserts);
}

/* A streamed file that lands on disk as it was streamed is not loaded
 * again: the tab keeps its text (and its highlighting). */
static void
test_streaming_same_text (Fixture       *f,
                          gconstpointer  data)
{
  static const char text[] = "export function add (a, b)\n{\n  return a + b;\n}\n";
  TesseraDocument *doc;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  GtkTextMark *mark;
  GtkTextIter iter;

  open_window (f);
  tessera_editor_panel_stream_begin (f->panel, "src/math.js");
  WAIT_UNTIL ((doc = tessera_editor_panel_get_document (f->panel, "src/math.js")));
  tessera_editor_panel_stream_append (f->panel, "src/math.js", text, -1);
  g_assert_nonnull (gtk_source_buffer_get_language (GTK_SOURCE_BUFFER (doc)));
  WAIT_UNTIL (buffer_equals_raw (doc, text));

  gtk_text_buffer_get_iter_at_offset (GTK_TEXT_BUFFER (doc), &iter, 7);
  mark = gtk_text_buffer_create_mark (GTK_TEXT_BUFFER (doc), NULL, &iter, TRUE);

  bytes = g_bytes_new_static (text, strlen (text));
  tessera_project_write (f->project, "src/math.js", bytes, NULL, &error);
  g_assert_no_error (error);
  tessera_editor_panel_stream_end (f->panel, "src/math.js", TRUE);
  WAIT_UNTIL (!tessera_document_get_loading (doc) && tessera_document_get_loaded (doc));

  g_assert_true (buffer_equals (doc, text));
  g_assert_false (gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (doc)));
  g_assert_false (tessera_document_get_read_only (doc));
  /* Not replaced: a mark in the text stays where it was. */
  gtk_text_buffer_get_iter_at_mark (GTK_TEXT_BUFFER (doc), &iter, mark);
  g_assert_cmpint (gtk_text_iter_get_offset (&iter), ==, 7);
  gtk_text_buffer_delete_mark (GTK_TEXT_BUFFER (doc), mark);
}

static void wait_frames (GtkWidget *widget,
                         guint      n);

/* A file opened while the editor still shows what a model wrote is the
 * one selected: a streamed tab opening later does not take it. */
static void
test_open_while_streaming (Fixture       *f,
                           gconstpointer  data)
{
  static const char *paths[] = { "src/one.js", "src/two.js" };
  AdwTabPage *selected;

  open_window (f);
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new_static ("export const x = 1;\n", 20);
      g_autoptr(GError) error = NULL;

      tessera_editor_panel_stream_begin (f->panel, paths[i]);
      tessera_editor_panel_stream_append (f->panel, paths[i], "export const x = 1;\n", -1);
      tessera_project_write (f->project, paths[i], bytes, NULL, &error);
      g_assert_no_error (error);
      tessera_editor_panel_stream_end (f->panel, paths[i], TRUE);
    }
  tessera_editor_panel_open_file (f->panel, "styles.css");
  wait_frames (GTK_WIDGET (f->window), 20);

  selected = adw_tab_view_get_selected_page (tessera_editor_panel_get_tab_view (f->panel));
  g_assert_nonnull (tessera_editor_panel_get_document (f->panel, "src/two.js"));
  g_assert_cmpstr (tessera_document_get_path (tessera_editor_page_get_document (TESSERA_EDITOR_PAGE (adw_tab_page_get_child (selected)))),
                   ==, "styles.css");
}

/* As an answer begins to write @path: its tab streams @text. */
static void
stream_file (Fixture    *f,
             const char *path,
             const char *text)
{
  tessera_editor_panel_stream_begin (f->panel, path);
  tessera_editor_panel_stream_append (f->panel, path, text, -1);
}

/* As the answer ends @path: it is on disk, its stream done. */
static void
end_stream_file (Fixture    *f,
                 const char *path,
                 const char *text)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));
  g_autoptr(GError) error = NULL;

  tessera_project_write (f->project, path, bytes, NULL, &error);
  g_assert_no_error (error);
  tessera_editor_panel_stream_end (f->panel, path, TRUE);
}

/* A tab the reader picks while files are written stays selected: the
 * tabs of files written after it open behind it. */
static void
test_tab_chosen_while_streaming (Fixture       *f,
                                 gconstpointer  data)
{
  AdwTabView *tab_view;
  AdwTabPage *chosen;

  open_window (f);
  tab_view = tessera_editor_panel_get_tab_view (f->panel);
  tessera_editor_panel_open_file (f->panel, "styles.css");
  chosen = adw_tab_view_get_selected_page (tab_view);

  stream_file (f, "src/one.js", "export const one = 1;\n");
  wait_frames (GTK_WIDGET (f->window), 10);
  g_assert_true (adw_tab_view_get_selected_page (tab_view) != chosen);

  /* As a click in the tab bar does. */
  adw_tab_view_set_selected_page (tab_view, chosen);
  end_stream_file (f, "src/one.js", "export const one = 1;\n");
  stream_file (f, "src/two.js", "export const two = 2;\n");
  end_stream_file (f, "src/two.js", "export const two = 2;\n");
  wait_frames (GTK_WIDGET (f->window), 20);

  g_assert_nonnull (tessera_editor_panel_get_document (f->panel, "src/two.js"));
  g_assert_true (adw_tab_view_get_selected_page (tab_view) == chosen);
}

/* Waits until @doc shows its file as on disk: written, and reloaded. */
static void
wait_shows_disk (TesseraDocument *doc)
{
  WAIT_UNTIL (!tessera_document_get_streaming (doc) && !tessera_document_get_loading (doc));
}

/* Streams @path as an answer writes it, and waits until its tab (if it
 * got one) shows the file on disk. */
static TesseraDocument *
write_file_and_wait (Fixture    *f,
                     const char *path,
                     const char *text)
{
  TesseraDocument *doc;

  stream_file (f, path, text);
  end_stream_file (f, path, text);
  wait_frames (GTK_WIDGET (f->window), 10);
  doc = tessera_editor_panel_get_document (f->panel, path);
  if (doc != NULL)
    wait_shows_disk (doc);

  return doc;
}

/* Past the tabs there is room for (eight), the tab of the file written
 * last goes on to the next one, when it is ready; the others stay. A tab
 * the reader opened or edited is not taken. */
static void
test_streamed_tabs_past_limit (Fixture       *f,
                               gconstpointer  data)
{
  AdwTabView *tab_view;
  TesseraDocument *doc = NULL;
  GtkTextIter end;

  open_window (f);
  tab_view = tessera_editor_panel_get_tab_view (f->panel);
  for (guint i = 0; i < 9; i++)
    {
      g_autofree char *path = g_strdup_printf ("src/part%u.js", i);
      g_autofree char *content = g_strdup_printf ("export const part = %u;\n", i);

      doc = write_file_and_wait (f, path, content);
      g_assert_nonnull (doc);
    }

  /* The ninth file took the eighth's tab. */
  g_assert_cmpint (adw_tab_view_get_n_pages (tab_view), ==, 8);
  g_assert_null (tessera_editor_panel_get_document (f->panel, "src/part7.js"));
  g_assert_nonnull (tessera_editor_panel_get_document (f->panel, "src/part6.js"));
  g_assert_true (buffer_equals (doc, "export const part = 8;\n"));
  g_assert_false (gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (doc)));
  g_assert_true (tessera_editor_page_get_document (TESSERA_EDITOR_PAGE (adw_tab_page_get_child (adw_tab_view_get_selected_page (tab_view)))) == doc);

  /* Highlighted as its own kind of file. */
  g_assert_true (write_file_and_wait (f, "styles/extra.css", "body { color: red; }\n") == doc);
  g_assert_cmpstr (tessera_document_get_path (doc), ==, "styles/extra.css");
  g_assert_cmpstr (gtk_source_language_get_id (gtk_source_buffer_get_language (GTK_SOURCE_BUFFER (doc))), ==, "css");

  /* A file begun as the one before ends waits for the tab to show that
   * one from disk first. */
  stream_file (f, "src/a.js", "export const a = 1;\n");
  WAIT_UNTIL (g_strcmp0 (tessera_document_get_path (doc), "src/a.js") == 0);
  end_stream_file (f, "src/a.js", "export const a = 1;\n");
  write_file_and_wait (f, "src/b.js", "export const b = 2;\n");
  for (guint i = 0; i < 30 && g_strcmp0 (tessera_document_get_path (doc), "src/b.js") != 0; i++)
    wait_frames (GTK_WIDGET (f->window), 1);
  g_assert_cmpstr (tessera_document_get_path (doc), ==, "src/b.js");
  wait_shows_disk (doc);
  g_assert_true (buffer_equals (doc, "export const b = 2;\n"));

  /* The reader opened it (from the tree, or a card): the next file gets
   * no tab. */
  tessera_editor_panel_open_file (f->panel, "src/b.js");
  g_assert_null (write_file_and_wait (f, "src/part9.js", "export const part = 9;\n"));
  g_assert_cmpstr (tessera_document_get_path (doc), ==, "src/b.js");

  /* With a tab closed, the next file opens a new one, the live tab. */
  adw_tab_view_close_page (tab_view, adw_tab_view_get_page (tab_view, GTK_WIDGET (tessera_editor_panel_get_page (f->panel, "src/part0.js"))));
  g_assert_cmpint (adw_tab_view_get_n_pages (tab_view), ==, 7);
  doc = write_file_and_wait (f, "src/part10.js", "export const part = 10;\n");
  g_assert_nonnull (doc);
  g_assert_cmpint (adw_tab_view_get_n_pages (tab_view), ==, 8);

  /* The reader typed in it: the next file gets no tab, nor does one
   * after the edit was saved. */
  gtk_text_buffer_get_end_iter (GTK_TEXT_BUFFER (doc), &end);
  gtk_text_buffer_insert (GTK_TEXT_BUFFER (doc), &end, "/* mine */\n", -1);
  g_assert_null (write_file_and_wait (f, "src/part11.js", "export const part = 11;\n"));
  gtk_text_buffer_set_modified (GTK_TEXT_BUFFER (doc), FALSE);
  g_assert_null (write_file_and_wait (f, "src/part12.js", "export const part = 12;\n"));
  g_assert_cmpstr (tessera_document_get_path (doc), ==, "src/part10.js");
  g_assert_cmpint (adw_tab_view_get_n_pages (tab_view), ==, 8);
}

/* Screenshots */

static gboolean
frame_cb (GtkWidget     *widget,
          GdkFrameClock *clock,
          gpointer       user_data)
{
  guint *frames = user_data;

  (*frames)++;
  return G_SOURCE_CONTINUE;
}

static void
wait_frames (GtkWidget *widget,
             guint      count)
{
  guint frames = 0;
  guint id = gtk_widget_add_tick_callback (widget, frame_cb, &frames, NULL);

  WAIT_UNTIL (frames >= count);
  gtk_widget_remove_tick_callback (widget, id);
}

static void
save_screenshot (GtkWindow  *window,
                 const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  int width = gtk_widget_get_width (GTK_WIDGET (window));
  int height = gtk_widget_get_height (GTK_WIDGET (window));
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_test_build_filename (G_TEST_BUILT, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Screenshot: %s", path);
}

static void
test_screenshots (Fixture       *f,
                  gconstpointer  data)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  TesseraDocument *doc;
  GtkTextIter iter;

  open_window (f);
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  wait_frames (GTK_WIDGET (f->window), 5);
  save_screenshot (f->window, "editor-empty.png");

  activate_row (f, "src");
  WAIT_UNTIL (find_row (f, "src/app.js") >= 0);
  doc = open_and_wait (f, "styles.css");
  doc = open_and_wait (f, "index.html");
  gtk_text_buffer_get_start_iter (GTK_TEXT_BUFFER (doc), &iter);
  gtk_text_buffer_insert (GTK_TEXT_BUFFER (doc), &iter, "<!-- draft -->\n", -1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->panel), "editor.find", NULL));
  f->selection_made = TRUE;
  tessera_editor_page_set_search_text (tessera_editor_panel_get_page (f->panel, "index.html"), "html");

  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  wait_frames (GTK_WIDGET (f->window), 10);
  save_screenshot (f->window, "editor-light.png");

  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_DARK);
  wait_frames (GTK_WIDGET (f->window), 10);
  save_screenshot (f->window, "editor-dark.png");
  g_assert_cmpstr (gtk_source_style_scheme_get_id (gtk_source_buffer_get_style_scheme (GTK_SOURCE_BUFFER (doc))),
                   ==, "Adwaita-dark");

  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
  gtk_text_buffer_set_modified (GTK_TEXT_BUFFER (doc), FALSE);
  tessera_document_discard_draft (doc);
  wait_for_draft (doc, FALSE);
}


int
main (int   argc,
      char *argv[])
{
  tessera_test_init_log ();
  g_test_init (&argc, &argv, NULL);
  adw_init ();
  gtk_source_init ();

#define ADD(name, func) \
  g_test_add ("/editor/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("tree", test_tree_lists_files);
  ADD ("tree-create", test_tree_create);
  ADD ("edit-save", test_edit_and_save);
  ADD ("search-replace", test_search_replace);
  ADD ("external-changes", test_external_changes);
  ADD ("close-unsaved", test_close_unsaved);
  ADD ("draft-recovery", test_draft_recovery);
  ADD ("binary-and-large", test_binary_and_large);
  ADD ("streaming", test_streaming);
  ADD ("streaming-same-text", test_streaming_same_text);
  ADD ("streaming-paced", test_streaming_paced);
  ADD ("open-while-streaming", test_open_while_streaming);
  ADD ("tab-chosen-while-streaming", test_tab_chosen_while_streaming);
  ADD ("streamed-tabs-past-limit", test_streamed_tabs_past_limit);
  ADD ("screenshots", test_screenshots);
#undef ADD

  return g_test_run ();
}
