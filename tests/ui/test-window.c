/* test-window.c: the application window, driven as a person would
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "tessera-application.h"
#include "tessera-chat-pane.h"
#include "tessera-document.h"
#include "tessera-editor-panel.h"
#include "tessera-file-tree.h"
#include "tessera-new-project-dialog.h"
#include "tessera-test-ui.h"
#include "tessera-window.h"

static TesseraApplication *app;

static GFile *
make_project (const char *name)
{
  g_autofree char *tmp = g_dir_make_tmp ("tessera-window-XXXXXX", NULL);
  g_autoptr(GFile) parent = g_file_new_for_path (tmp);
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraProject) project = tessera_project_create (parent, name, NULL, &error);

  g_assert_no_error (error);
  return g_object_ref (tessera_project_get_root (project));
}

static void
test_start_page (void)
{
  TesseraWindow *window = tessera_window_new (app);

  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  TESSERA_WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)));
  tessera_test_settle ();

  g_assert_true (tessera_window_is_empty (window));
  g_assert_null (tessera_window_get_project (window));
  tessera_test_save_png (GTK_WIDGET (window), "window-start.png");

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_open_project (void)
{
  g_autoptr(GFile) root = make_project ("Demo App");
  TesseraWindow *window = tessera_window_new (app);
  TesseraWindow *again;
  g_auto(GStrv) recent = NULL;
  g_autofree char *root_path = g_file_get_path (root);

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  TESSERA_WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)));
  tessera_window_open_project (window, root, FALSE);
  TESSERA_WAIT_UNTIL (tessera_window_get_project (window) != NULL);
  tessera_test_settle ();

  g_assert_cmpstr (tessera_project_get_name (tessera_window_get_project (window)), ==, "Demo App");

  /* The three panes, side by side. */
  TESSERA_WAIT_UNTIL (gtk_widget_get_width (gtk_paned_get_start_child (GTK_PANED (tessera_test_find_first (GTK_WIDGET (window), GTK_TYPE_PANED)))) > 0);
  {
    GtkWidget *outer = tessera_test_find_first (GTK_WIDGET (window), GTK_TYPE_PANED);
    GtkWidget *chat, *rest;

    g_assert_nonnull (outer);
    chat = gtk_paned_get_start_child (GTK_PANED (outer));
    rest = gtk_paned_get_end_child (GTK_PANED (outer));
    g_assert_true (gtk_widget_get_mapped (chat));
    g_assert_true (GTK_IS_PANED (rest));
    g_assert_true (gtk_widget_get_mapped (gtk_paned_get_start_child (GTK_PANED (rest))));
    g_assert_true (gtk_widget_get_mapped (gtk_paned_get_end_child (GTK_PANED (rest))));
    g_assert_cmpint (gtk_widget_get_width (chat), >, 0);
  }

  /* Hiding the chat is remembered. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.toggle-chat", NULL);
  tessera_test_settle ();
  {
    g_autoptr(GSettings) settings = g_settings_new (SCHEMA_ID);
    g_assert_false (g_settings_get_boolean (settings, "show-chat"));
  }
  gtk_widget_activate_action (GTK_WIDGET (window), "win.toggle-chat", NULL);

  /* The project became the most recent one. */
  recent = g_settings_get_strv (tessera_application_get_settings (app), "recent-projects");
  g_assert_nonnull (recent[0]);
  g_assert_cmpstr (recent[0], ==, root_path);

  /* Opening it again presents the same window. */
  tessera_application_open_project (app, root, NULL);
  again = NULL;
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l; l = l->next)
    {
      if (TESSERA_IS_WINDOW (l->data) && tessera_window_get_root (l->data) &&
          g_file_equal (tessera_window_get_root (l->data), root))
        {
          g_assert_null (again);
          again = l->data;
        }
    }
  g_assert_true (again == window);

  tessera_test_settle ();
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_LIGHT);
  tessera_test_settle ();
  tessera_test_save_png (GTK_WIDGET (window), "window-light.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  tessera_test_settle ();
  tessera_test_save_png (GTK_WIDGET (window), "window-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* Down to 800 px wide, every pane keeps a usable width. */
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  tessera_test_settle ();
  tessera_test_save_png (GTK_WIDGET (window), "window-narrow.png");
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), <=, 800);

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_corrupt_project (void)
{
  g_autoptr(GFile) root = make_project ("Broken");
  g_autoptr(GFile) manifest = g_file_get_child (root, "Broken.tessera");
  static const char garbage[] = "{ this is not json";
  g_autofree char *after = NULL;
  TesseraWindow *window = tessera_window_new (app);
  AdwMessageDialog *dialog = NULL;

  g_assert_true (g_file_replace_contents (manifest, garbage, strlen (garbage), NULL, FALSE,
                                          G_FILE_CREATE_NONE, NULL, NULL, NULL));

  gtk_window_present (GTK_WINDOW (window));
  tessera_window_open_project (window, root, FALSE);

  /* An error dialog appears, the window returns to its start page and
   * the manifest is left exactly as it was. */
  TESSERA_WAIT_UNTIL ((dialog = tessera_test_find_message_dialog ()) != NULL);
  g_assert_true (tessera_window_is_empty (window));
  g_assert_true (g_file_load_contents (manifest, NULL, &after, NULL, NULL, NULL));
  g_assert_cmpstr (after, ==, garbage);

  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
set_true_cb (GtkWidget *widget,
             gboolean  *flag)
{
  *flag = TRUE;
}

/* A file opened from the tree, edited and saved with Ctrl+S's action;
 * edited again, and closing the window asks about it. */
static void
test_edit_save_close (void)
{
  g_autoptr(GFile) root = make_project ("Editable");
  g_autoptr(GFile) index = g_file_get_child (root, "index.html");
  TesseraWindow *window = tessera_window_new (app);
  TesseraEditorPanel *editor;
  TesseraDocument *document;
  AdwMessageDialog *dialog = NULL;
  GtkTextIter start;
  g_autofree char *saved = NULL;
  g_autofree char *after_close = NULL;
  gboolean closed = FALSE;

  gtk_window_present (GTK_WINDOW (window));
  tessera_window_open_project (window, root, FALSE);
  TESSERA_WAIT_UNTIL (tessera_window_get_project (window) != NULL);

  editor = TESSERA_EDITOR_PANEL (tessera_test_find_first (GTK_WIDGET (window), TESSERA_TYPE_EDITOR_PANEL));
  g_assert_nonnull (editor);
  g_signal_emit_by_name (tessera_editor_panel_get_file_tree (editor), "file-activated", "index.html");
  TESSERA_WAIT_UNTIL ((document = tessera_editor_panel_get_document (editor, "index.html")) != NULL &&
                      tessera_document_get_loaded (document));

  gtk_text_buffer_get_start_iter (GTK_TEXT_BUFFER (document), &start);
  gtk_text_buffer_insert (GTK_TEXT_BUFFER (document), &start, "<!-- saved -->\n", -1);
  gtk_widget_activate_action (GTK_WIDGET (editor), "editor.save", NULL);
  TESSERA_WAIT_UNTIL (!gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (document)));
  g_assert_true (g_file_load_contents (index, NULL, &saved, NULL, NULL, NULL));
  g_assert_true (g_str_has_prefix (saved, "<!-- saved -->\n"));

  /* A conversation that cannot be written (its folder is a file in the
   * way) is asked about too, after the edits. */
  {
    TesseraChatPane *chat = TESSERA_CHAT_PANE (tessera_test_find_first (GTK_WIDGET (window), TESSERA_TYPE_CHAT_PANE));
    TesseraConversation *conversation = tessera_session_get_conversation (tessera_chat_pane_get_session (chat));
    g_autoptr(GFile) chat_dir = g_file_resolve_relative_path (root, ".tessera/chat");
    g_autoptr(TesseraChatMessage) prompt = tessera_chat_message_new (TESSERA_CHAT_ROLE_USER, "Hello");

    g_file_delete (chat_dir, NULL, NULL);
    g_assert_true (g_file_replace_contents (chat_dir, "x", 1, NULL, FALSE, 0, NULL, NULL, NULL));
    tessera_conversation_append (conversation, prompt);
    tessera_conversation_save (conversation);
    TESSERA_WAIT_UNTIL (tessera_conversation_get_save_error (conversation) != NULL);
  }

  /* Unsaved again: closing asks, and Discard leaves the file as saved;
   * then about the conversation, and Cancel keeps the window open. */
  gtk_text_buffer_get_start_iter (GTK_TEXT_BUFFER (document), &start);
  gtk_text_buffer_insert (GTK_TEXT_BUFFER (document), &start, "<!-- not saved -->\n", -1);
  g_signal_connect (window, "destroy", G_CALLBACK (set_true_cb), &closed);
  gtk_window_close (GTK_WINDOW (window));
  TESSERA_WAIT_UNTIL ((dialog = tessera_test_find_message_dialog ()) != NULL);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Save Changes?");
  tessera_test_respond (dialog, "discard");
  TESSERA_WAIT_UNTIL ((dialog = tessera_test_find_message_dialog ()) != NULL &&
                      g_strcmp0 (adw_message_dialog_get_heading (dialog), "Conversation Not Saved") == 0);
  tessera_test_respond (dialog, "cancel");
  /* The answer reaches the window through the main loop. */
  for (guint i = 0; i < 5; i++)
    tessera_test_settle ();
  g_assert_false (closed);

  /* Closing without the conversation closes the window. */
  gtk_window_close (GTK_WINDOW (window));
  TESSERA_WAIT_UNTIL ((dialog = tessera_test_find_message_dialog ()) != NULL &&
                      g_strcmp0 (adw_message_dialog_get_heading (dialog), "Conversation Not Saved") == 0);
  g_assert_false (closed);
  tessera_test_respond (dialog, "discard");
  TESSERA_WAIT_UNTIL (closed);

  g_assert_true (g_file_load_contents (index, NULL, &after_close, NULL, NULL, NULL));
  g_assert_cmpstr (after_close, ==, saved);
}

/* Preferences open from the application's action, with the providers
 * page (the keyring and the presets behind it are real). */
static void
test_preferences (void)
{
  TesseraWindow *window = tessera_window_new (app);
  GtkWidget *prefs = NULL;

  gtk_window_present (GTK_WINDOW (window));
  TESSERA_WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)));
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  TESSERA_WAIT_UNTIL ((prefs = tessera_test_find_toplevel (ADW_TYPE_PREFERENCES_WINDOW)) != NULL &&
                      gtk_widget_get_mapped (prefs));
  g_assert_nonnull (tessera_test_find_first (prefs, ADW_TYPE_PREFERENCES_PAGE));

  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (prefs), "providers");
  tessera_test_settle ();
  tessera_test_save_png (prefs, "preferences-providers.png");

  gtk_window_destroy (GTK_WINDOW (prefs));

  /* The shortcuts and About windows build from their definitions. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
  TESSERA_WAIT_UNTIL (tessera_test_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW) != NULL);
  gtk_window_close (GTK_WINDOW (tessera_test_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW)));
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  TESSERA_WAIT_UNTIL (tessera_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW) != NULL);
  gtk_window_destroy (GTK_WINDOW (tessera_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW)));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* New Project: a name typed, Create, and the project opens in the window
 * it was asked from (~/Projects is made when missing). */
static void
test_new_project (void)
{
  TesseraWindow *window = tessera_window_new (app);
  g_autoptr(GFile) index = g_file_new_build_filename (g_get_home_dir (), "Projects", "Fresh App", "index.html", NULL);
  GtkWidget *dialog = NULL;
  GtkWidget *name_row;

  gtk_window_present (GTK_WINDOW (window));
  TESSERA_WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-project", NULL);
  TESSERA_WAIT_UNTIL ((dialog = tessera_test_find_toplevel (TESSERA_TYPE_NEW_PROJECT_DIALOG)) != NULL);
  tessera_test_save_png (dialog, "new-project.png");

  name_row = tessera_test_find_first (dialog, ADW_TYPE_ENTRY_ROW);
  g_assert_nonnull (name_row);
  gtk_editable_set_text (GTK_EDITABLE (name_row), "Fresh App");
  g_signal_emit_by_name (name_row, "entry-activated");

  TESSERA_WAIT_UNTIL (tessera_window_get_project (window) != NULL);
  g_assert_cmpstr (tessera_project_get_name (tessera_window_get_project (window)), ==, "Fresh App");
  g_assert_true (g_file_query_exists (index, NULL));
  g_assert_null (tessera_test_find_toplevel (TESSERA_TYPE_NEW_PROJECT_DIALOG));

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  tessera_test_init_log ();

  app = tessera_application_new ();
  g_application_set_flags (G_APPLICATION (app),
                           g_application_get_flags (G_APPLICATION (app)) | G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));

  g_test_add_func ("/window/start-page", test_start_page);
  g_test_add_func ("/window/open-project", test_open_project);
  g_test_add_func ("/window/corrupt-project", test_corrupt_project);
  g_test_add_func ("/window/edit-save-close", test_edit_save_close);
  g_test_add_func ("/window/preferences", test_preferences);
  g_test_add_func ("/window/new-project", test_new_project);

  ret = g_test_run ();

  g_clear_object (&app);
  return ret;
}
