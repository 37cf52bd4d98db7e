/* test-chat.c: a whole AI turn, typed into the chat as a person would
 *
 * The fake LLM server speaks OpenAI's streaming wire format; the window
 * finds it through OPENAI_BASE_URL like the OpenAI SDKs do, writes the
 * files it answers with, and the preview shows the app.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gtksourceview/gtksource.h>
#include <webkit/webkit.h>

#include "tessera-application.h"
#include "tessera-action-card.h"
#include "tessera-chat-pane.h"
#include "tessera-fake-llm-server.h"
#include "tessera-image-window.h"
#include "tessera-markdown-view.h"
#include "tessera-message-row.h"
#include "tessera-preview-pane.h"
#include "tessera-test-ui.h"
#include "tessera-window.h"

static const char answer[] =
  "I'll build a small to-do app with an HTML page and a stylesheet:\n\n"
  "- `index.html` holds the list;\n"
  "- `style.css` gives it a calm, **light** look, and keeps long item titles readable when they wrap.\n\n"
  "<tessera-write path=\"index.html\">\n"
  "<!doctype html>\n"
  "<html>\n"
  "<head><link rel=\"stylesheet\" href=\"style.css\"><title>Todo</title></head>\n"
  "<body><h1 id=\"title\">My Todo List</h1><ul id=\"items\"></ul></body>\n"
  "</html>\n"
  "</tessera-write>\n"
  "<tessera-write path=\"style.css\">\n"
  "body { font-family: sans-serif; background: #fafafa; }\n"
  "</tessera-write>\n"
  "<tessera-summary>Created a to-do page with its stylesheet.</tessera-summary>\n";

static const char second_answer[] =
  "Here it is again, with a subtitle.\n"
  "<tessera-edit path=\"index.html\">\n"
  "<<<<<<< SEARCH\n"
  "<body><h1 id=\"title\">My Todo List</h1><ul id=\"items\"></ul></body>\n"
  "=======\n"
  "<body><h1 id=\"title\">My Todo List 2</h1><ul id=\"items\"></ul></body>\n"
  ">>>>>>> REPLACE\n"
  "</tessera-edit>\n";

/* Types @text into the prompt, sends it and waits for the whole turn. */
static void
send_and_wait (TesseraChatPane *chat,
               const char      *text)
{
  TesseraSession *session = tessera_chat_pane_get_session (chat);

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (tessera_chat_pane_get_prompt_view (chat)), text, -1);
  gtk_widget_activate_action (GTK_WIDGET (chat), "chat.send", NULL);
  TESSERA_WAIT_UNTIL (tessera_session_get_busy (session));
  TESSERA_WAIT_UNTIL (!tessera_session_get_busy (session));
}

/* TRUE when a mapped label under @widget shows @text: as all of its text
 * (@whole), or among other words. */
static gboolean
shows_label_where (GtkWidget  *widget,
                   const char *text,
                   gboolean    whole)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget))
    {
      const char *shown = gtk_label_get_text (GTK_LABEL (widget));

      if (whole ? g_str_equal (shown, text) : strstr (shown, text) != NULL)
        return TRUE;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      if (shows_label_where (child, text, whole))
        return TRUE;
    }

  return FALSE;
}

/* TRUE when a label showing @text is somewhere under @widget. */
static gboolean
shows_label (GtkWidget  *widget,
             const char *text)
{
  return shows_label_where (widget, text, TRUE);
}

/* TRUE when a label showing @text among other words is under @widget. */
static gboolean
shows_label_containing (GtkWidget  *widget,
                        const char *text)
{
  return shows_label_where (widget, text, FALSE);
}

/* TRUE when any file under @dir (recursively) contains @needle. */
static gboolean
tree_contains (const char *dir,
               const char *needle)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  if (handle == NULL)
    return FALSE;

  while ((name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          if (tree_contains (path, needle))
            {
              g_test_message ("the key is in a file under %s", path);
              return TRUE;
            }
          continue;
        }
      if (g_file_get_contents (path, &contents, &length, NULL) &&
          g_strstr_len (contents, length, needle) != NULL)
        {
          g_test_message ("the key is in %s", path);
          return TRUE;
        }
    }

  return FALSE;
}

static gboolean
index_has (GFile      *index,
           const char *text)
{
  g_autofree char *contents = NULL;

  return g_file_load_contents (index, NULL, &contents, NULL, NULL, NULL) && strstr (contents, text) != NULL;
}

static void
evaluated_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  char **text = user_data;
  g_autoptr(JSCValue) value = webkit_web_view_evaluate_javascript_finish (WEBKIT_WEB_VIEW (object), result, NULL);

  *text = value != NULL && jsc_value_is_string (value) ? jsc_value_to_string (value) : g_strdup ("");
}

static char *
page_title_text (WebKitWebView *web_view)
{
  static const char script[] = "(document.getElementById('title') || {}).textContent || ''";
  char *text = NULL;

  webkit_web_view_evaluate_javascript (web_view, script, -1, NULL, NULL, NULL, evaluated_cb, &text);
  TESSERA_WAIT_UNTIL (text != NULL);
  return text;
}

static gboolean
preview_shows (WebKitWebView *web_view,
               const char    *expected)
{
  g_autofree char *text = page_title_text (web_view);

  return g_strcmp0 (text, expected) == 0;
}

static void
scroll_to_top_cb (TesseraSession     *session,
                  TesseraChatMessage *message,
                  const char         *text,
                  GtkAdjustment      *adjustment)
{
  gtk_adjustment_set_value (adjustment, 0);
  g_signal_handlers_disconnect_by_func (session, scroll_to_top_cb, adjustment);
}

/* An answer longer than the chat renders a frame at a time, well after
 * its text came: the chat still ends at its last words, unless the
 * reader scrolled up meanwhile. */
static void
check_follows_long_answer (TesseraFakeLlmServer *server,
                           TesseraChatPane      *chat)
{
  TesseraSession *session = tessera_chat_pane_get_session (chat);
  GtkWidget *row = tessera_test_find_first (GTK_WIDGET (chat), TESSERA_TYPE_MESSAGE_ROW);
  GtkWidget *scroller = gtk_widget_get_ancestor (row, GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < 80; i++)
    g_string_append_printf (text, "Paragraph %u of a long answer, long enough to wrap in the chat pane.\n\n", i);
  g_string_append (text, "The last words.\n");

  for (guint reader_scrolls = 0; reader_scrolls < 2; reader_scrolls++)
    {
      tessera_fake_llm_server_push_text (server, text->str);
      if (reader_scrolls)
        g_signal_connect (session, "text-delta", G_CALLBACK (scroll_to_top_cb), adjustment);
      send_and_wait (chat, "Explain it at length");
      TESSERA_WAIT_UNTIL (shows_label (GTK_WIDGET (chat), "The last words."));
      for (guint i = 0; i < 5; i++)
        tessera_test_settle ();

      g_assert_cmpfloat (gtk_adjustment_get_upper (adjustment), >, 4 * gtk_adjustment_get_page_size (adjustment));
      if (reader_scrolls)
        g_assert_cmpfloat (gtk_adjustment_get_value (adjustment), <, gtk_adjustment_get_page_size (adjustment));
      else
        g_assert_cmpfloat (gtk_adjustment_get_value (adjustment), >=,
                           gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment) - 1);
    }
}

static void
count_frame_cb (GdkFrameClock *clock,
                guint         *n_frames)
{
  (*n_frames)++;
}

/* While the model thinks, the window is at rest: no spinner or blinking
 * caret draws at the frame rate (on the CPU a local model needs), so the
 * frame with the first words is drawn as soon as they come, not at the
 * next tick of a running clock. The caret comes back with the reader. */
static void
check_rests_while_model_thinks (TesseraFakeLlmServer *server,
                                TesseraChatPane      *chat)
{
  TesseraFakeLlmReply reply = { .mode = TESSERA_FAKE_LLM_ANSWER, .text = "Thought it over.", .think_ms = 4000 };
  TesseraSession *session = tessera_chat_pane_get_session (chat);
  GtkTextView *prompt = tessera_chat_pane_get_prompt_view (chat);
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (chat));
  guint n_frames = 0;
  gulong handler;

  tessera_fake_llm_server_push (server, &reply);
  gtk_widget_grab_focus (GTK_WIDGET (prompt));
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (prompt)));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (prompt), "Think first", -1);
  gtk_widget_activate_action (GTK_WIDGET (chat), "chat.send", NULL);
  TESSERA_WAIT_UNTIL (tessera_session_get_busy (session));
  g_assert_false (gtk_text_view_get_cursor_visible (prompt));

  /* Past the frames that show the sent message, a second of waiting. */
  tessera_test_settle ();
  tessera_test_settle ();
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (count_frame_cb), &n_frames);
  for (guint i = 0; i < 10; i++)
    tessera_test_settle ();
  g_signal_handler_disconnect (clock, handler);
  g_test_message ("%u frames in a second of the model thinking", n_frames);
  tessera_test_save_png (gtk_widget_get_ancestor (GTK_WIDGET (chat), GTK_TYPE_WINDOW), "chat-thinking.png");
  g_assert_true (tessera_session_get_busy (session));
  /* The writing indicator steps 2.5 times a second; a spinner or a
   * blinking caret would make it 60. */
  g_assert_cmpuint (n_frames, <=, 10);

  TESSERA_WAIT_UNTIL (!tessera_session_get_busy (session));
  TESSERA_WAIT_UNTIL (shows_label (GTK_WIDGET (chat), "Thought it over."));
  /* The answer is in: the caret is back. */
  g_assert_true (gtk_text_view_get_cursor_visible (prompt));

  /* And it comes back with the reader, too. */
  gtk_text_view_set_cursor_visible (prompt, FALSE);
  gtk_root_set_focus (gtk_widget_get_root (GTK_WIDGET (chat)), NULL);
  gtk_widget_grab_focus (GTK_WIDGET (prompt));
  g_assert_true (gtk_text_view_get_cursor_visible (prompt));
}

static GtkWidget *
find_by_tooltip (GtkWidget  *widget,
                 const char *tooltip)
{
  if (g_strcmp0 (gtk_widget_get_tooltip_text (widget), tooltip) == 0)
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_by_tooltip (child, tooltip);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* Mapped pictures of attached images under @widget. */
static guint
count_pictures (GtkWidget *widget)
{
  guint n = gtk_widget_has_css_class (widget, "tessera-attached-image") && gtk_widget_get_mapped (widget) ? 1 : 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    n += count_pictures (child);

  return n;
}

static GdkPixbuf *
solid_pixbuf (int     width,
              int     height,
              guint32 rgba)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, width, height);

  gdk_pixbuf_fill (pixbuf, rgba);

  return pixbuf;
}

/* The picture a data URL carries. */
static GdkPixbuf *
decode_data_url (const char *url)
{
  const char *comma = strchr (url, ',');
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autofree guchar *data = NULL;
  gsize length = 0;

  g_assert_nonnull (comma);
  data = g_base64_decode (comma + 1, &length);
  g_assert_true (gdk_pixbuf_loader_write (loader, data, length, NULL));
  g_assert_true (gdk_pixbuf_loader_close (loader, NULL));

  return g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
}

/* Images go with a message: a file attached (a screenshot too large for
 * the providers, scaled down) and a picture pasted into the prompt show
 * as chips, go to the model with the prompt, and show in the sent
 * message. A file that is not an image is refused, saying why. */
static void
check_attach_images (TesseraFakeLlmServer *server,
                     TesseraChatPane      *chat,
                     const char           *dir)
{
  g_autofree char *png_path = g_build_filename (dir, "screenshot.png", NULL);
  g_autofree char *text_path = g_build_filename (dir, "notes.txt", NULL);
  g_autoptr(GFile) png = g_file_new_for_path (png_path);
  g_autoptr(GFile) notes = g_file_new_for_path (text_path);
  g_autoptr(GdkPixbuf) large = solid_pixbuf (2400, 1200, 0x3366ccff);
  g_autoptr(GdkPixbuf) small = solid_pixbuf (64, 48, 0xcc3333ff);
  g_autoptr(GdkTexture) pasted = gdk_texture_new_for_pixbuf (small);
  g_autoptr(GdkPixbuf) first = NULL;
  g_autoptr(GdkPixbuf) second = NULL;
  GtkTextView *prompt = tessera_chat_pane_get_prompt_view (chat);
  GtkWidget *send_button;
  GtkWidget *row;
  JsonArray *messages;
  JsonArray *content;

  g_assert_true (gdk_pixbuf_save (large, png_path, "png", NULL, NULL));
  g_assert_true (g_file_set_contents (text_path, "Not a picture.", -1, NULL));

  /* Before this, the conversation shows no pictures. */
  g_assert_cmpuint (count_pictures (GTK_WIDGET (chat)), ==, 0);

  tessera_chat_pane_attach_file (chat, notes);
  TESSERA_WAIT_UNTIL (shows_label_containing (GTK_WIDGET (chat), "“notes.txt” is not an image"));

  tessera_chat_pane_attach_file (chat, png);
  gdk_clipboard_set_texture (gtk_widget_get_clipboard (GTK_WIDGET (prompt)), pasted);
  g_signal_emit_by_name (prompt, "paste-clipboard");
  TESSERA_WAIT_UNTIL (count_pictures (GTK_WIDGET (chat)) == 2);
  /* The problem with the text file went with the next image. */
  g_assert_false (shows_label_containing (GTK_WIDGET (chat), "“notes.txt” is not an image"));
  /* The paste attached the picture and typed nothing. */
  g_assert_cmpint (gtk_text_buffer_get_char_count (gtk_text_view_get_buffer (prompt)), ==, 0);

  /* The same picture again is not attached twice. Sending waits for
   * the images being read. */
  send_button = find_by_tooltip (GTK_WIDGET (chat), "Send (Enter)");
  g_assert_nonnull (send_button);
  g_assert_true (gtk_widget_get_sensitive (send_button));
  tessera_chat_pane_attach_file (chat, png);
  g_assert_false (gtk_widget_get_sensitive (send_button));
  TESSERA_WAIT_UNTIL (gtk_widget_get_sensitive (send_button));
  g_assert_cmpuint (count_pictures (GTK_WIDGET (chat)), ==, 2);
  for (guint i = 0; i < 3; i++)
    tessera_test_settle ();
  tessera_test_save_png (gtk_widget_get_ancestor (GTK_WIDGET (chat), GTK_TYPE_WINDOW), "chat-images.png");

  tessera_fake_llm_server_push_text (server, "A blue band and a red square: noted.");
  send_and_wait (chat, "Make it look like these");
  TESSERA_WAIT_UNTIL (shows_label (GTK_WIDGET (chat), "A blue band and a red square: noted."));

  /* The prompt went with both pictures, the screenshot scaled down to
   * what the providers take. */
  messages = json_object_get_array_member (tessera_fake_llm_request_get_object (
                                             tessera_fake_llm_server_get_last_request (server)), "messages");
  content = json_object_get_array_member (json_array_get_object_element (messages, json_array_get_length (messages) - 1),
                                          "content");
  g_assert_cmpuint (json_array_get_length (content), ==, 3);
  first = decode_data_url (json_object_get_string_member (json_object_get_object_member (
                                                            json_array_get_object_element (content, 1), "image_url"), "url"));
  second = decode_data_url (json_object_get_string_member (json_object_get_object_member (
                                                             json_array_get_object_element (content, 2), "image_url"), "url"));
  /* In the order they were attached, though the small one was read
   * first. */
  g_assert_cmpint (gdk_pixbuf_get_width (first), ==, 1568);
  g_assert_cmpint (gdk_pixbuf_get_height (first), ==, 784);
  g_assert_cmpint (gdk_pixbuf_get_width (second), ==, 64);

  /* Shown in the sent message, and no longer above the prompt. */
  row = tessera_test_find_last (GTK_WIDGET (chat), TESSERA_TYPE_MESSAGE_ROW);
  while (row != NULL && !tessera_message_row_get_from_user (TESSERA_MESSAGE_ROW (row)))
    row = gtk_widget_get_prev_sibling (row);
  g_assert_nonnull (row);
  TESSERA_WAIT_UNTIL (count_pictures (row) == 2);
  g_assert_cmpuint (count_pictures (GTK_WIDGET (chat)), ==, 2);
  for (guint i = 0; i < 3; i++)
    tessera_test_settle ();
  tessera_test_save_png (gtk_widget_get_ancestor (GTK_WIDGET (chat), GTK_TYPE_WINDOW), "chat-images-sent.png");

  /* A thumbnail opens its image large, over the window; Escape closes it. */
  {
    GtkWidget *view_button = find_by_tooltip (row, "View Image");
    g_autoptr(GtkWidget) viewer = NULL;
    GtkPicture *picture;

    g_assert_nonnull (view_button);
    g_signal_emit_by_name (view_button, "clicked");
    viewer = tessera_test_find_toplevel (TESSERA_TYPE_IMAGE_WINDOW);
    g_assert_nonnull (viewer);
    g_object_ref (viewer);
    g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (viewer)) ==
                   GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (chat))));
    picture = GTK_PICTURE (tessera_test_find_first (viewer, GTK_TYPE_PICTURE));
    TESSERA_WAIT_UNTIL (gtk_picture_get_paintable (picture) != NULL);
    /* The whole screenshot, as sent: not the thumbnail's square. */
    g_assert_cmpint (gdk_paintable_get_intrinsic_width (gtk_picture_get_paintable (picture)), ==, 1568);
    g_assert_cmpint (gdk_paintable_get_intrinsic_height (gtk_picture_get_paintable (picture)), ==, 784);
    tessera_test_settle ();
    tessera_test_save_png (viewer, "chat-image-window.png");
    gtk_widget_activate_action (viewer, "window.close", NULL);
    TESSERA_WAIT_UNTIL (!gtk_widget_get_visible (viewer));
  }
}

/* The card of an edit says how many lines it added and removed, and
 * shows the change itself when asked. */
static void
check_shows_changes (TesseraChatPane *chat)
{
  GtkWidget *card = tessera_test_find_last (GTK_WIDGET (chat), TESSERA_TYPE_ACTION_CARD);
  GtkWidget *expander;
  GtkWidget *view;
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  g_autofree char *diff = NULL;

  g_assert_nonnull (card);
  TESSERA_WAIT_UNTIL (shows_label (card, "+1"));
  g_assert_true (shows_label (card, "−1"));

  expander = tessera_test_find_first (card, GTK_TYPE_EXPANDER);
  g_assert_nonnull (expander);
  g_assert_cmpstr (gtk_expander_get_label (GTK_EXPANDER (expander)), ==, "Changes");
  g_assert_null (tessera_test_find_first (card, GTK_SOURCE_TYPE_VIEW));
  gtk_expander_set_expanded (GTK_EXPANDER (expander), TRUE);
  view = tessera_test_find_first (card, GTK_SOURCE_TYPE_VIEW);
  g_assert_nonnull (view);
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  diff = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_assert_nonnull (strstr (diff, "\n-<body><h1 id=\"title\">My Todo List</h1>"));
  g_assert_nonnull (strstr (diff, "\n+<body><h1 id=\"title\">My Todo List 2</h1>"));
  for (guint i = 0; i < 3; i++)
    tessera_test_settle ();
  /* Shown whole: the chat gives it its minimum height. */
  g_assert_cmpint (gtk_widget_get_height (view), >=, 8 * 12);
  tessera_test_save_png (gtk_widget_get_ancestor (GTK_WIDGET (chat), GTK_TYPE_WINDOW), "chat-changes.png");
  gtk_expander_set_expanded (GTK_EXPANDER (expander), FALSE);
}

/* An element picked in the preview goes with the next message: the window
 * hands it to the chat, which shows it above the prompt and sends what it
 * is with the words typed. */
static void
check_pick_element (TesseraFakeLlmServer *server,
                    TesseraPreviewPane   *preview,
                    TesseraChatPane      *chat)
{
  JsonArray *messages;
  const char *sent;

  /* The button beside the prompt starts picking in the preview, showing
   * it first when it was hidden, and stops it again. */
  gtk_widget_activate_action (GTK_WIDGET (chat), "win.toggle-preview", NULL);
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (preview)));
  gtk_widget_activate_action (GTK_WIDGET (chat), "win.pick-element", NULL);
  TESSERA_WAIT_UNTIL (tessera_preview_pane_get_picking (preview));
  g_assert_true (gtk_widget_get_visible (gtk_widget_get_parent (GTK_WIDGET (preview))));
  gtk_widget_activate_action (GTK_WIDGET (chat), "win.pick-element", NULL);
  TESSERA_WAIT_UNTIL (!tessera_preview_pane_get_picking (preview));

  g_signal_emit_by_name (preview, "element-picked", "main > h1", "<h1>My Todo List</h1>");
  TESSERA_WAIT_UNTIL (shows_label (GTK_WIDGET (chat), "main > h1"));
  tessera_test_save_png (GTK_WIDGET (chat), "chat-picked-element.png");

  tessera_fake_llm_server_push_text (server, "Bigger it is.");
  send_and_wait (chat, "Make this bigger");

  messages = json_object_get_array_member (tessera_fake_llm_request_get_object (
                                             tessera_fake_llm_server_get_last_request (server)), "messages");
  sent = json_object_get_string_member (json_array_get_object_element (messages, json_array_get_length (messages) - 1),
                                        "content");
  g_assert_cmpstr (sent, ==,
                   "Make this bigger\n\nThe element I mean, picked in the preview (`main > h1`):\n\n"
                   "```html\n<h1>My Todo List</h1>\n```");
  /* It went with that message only. */
  g_assert_false (shows_label (GTK_WIDGET (chat), "main > h1"));
}

/* A provider that says what an answer cost (OpenRouter does) has it shown
 * beside the answer's tokens. */
static void
check_cost (TesseraFakeLlmServer *server,
            TesseraChatPane      *chat)
{
  TesseraFakeLlmReply reply = {
    .mode = TESSERA_FAKE_LLM_ANSWER, .text = "About half a cent.", .input_tokens = 42,
    .output_tokens = 5, .cost = "0.0042",
  };

  tessera_fake_llm_server_push (server, &reply);
  send_and_wait (chat, "What did that cost?");
  TESSERA_WAIT_UNTIL (shows_label (GTK_WIDGET (chat), "42 tokens in · 5 out · $0.0042"));
  for (guint i = 0; i < 10; i++)
    tessera_test_settle ();
  tessera_test_save_png (GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (chat))), "chat-cost.png");
}

static void
test_prompt_to_preview (void)
{
  g_autoptr(TesseraFakeLlmServer) server = tessera_fake_llm_server_new ();
  g_autofree char *tmp = g_dir_make_tmp ("tessera-chat-XXXXXX", NULL);
  g_autoptr(GFile) root = g_file_new_build_filename (tmp, "todo", NULL);
  g_autoptr(GFile) index = g_file_get_child (root, "index.html");
  g_autoptr(TesseraApplication) app = tessera_application_new ();
  static const char *models[] = { "fake-coder", NULL };
  TesseraWindow *window;
  TesseraChatPane *chat;
  TesseraPreviewPane *preview;
  WebKitWebView *web_view;
  GtkTextBuffer *buffer;
  g_autofree char *contents = NULL;

  tessera_fake_llm_server_set_models (server, models);
  tessera_fake_llm_server_push_text (server, answer);
  g_setenv ("OPENAI_BASE_URL", tessera_fake_llm_server_get_openai_url (server), TRUE);
  g_setenv ("OPENAI_API_KEY", "sk-test-chat-ui", TRUE);

  g_application_set_flags (G_APPLICATION (app),
                           g_application_get_flags (G_APPLICATION (app)) | G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));

  /* A folder that does not exist yet becomes a new project. */
  window = tessera_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  gtk_window_present (GTK_WINDOW (window));
  tessera_window_open_project (window, root, TRUE);
  TESSERA_WAIT_UNTIL (tessera_window_get_project (window) != NULL);

  chat = TESSERA_CHAT_PANE (tessera_test_find_first (GTK_WIDGET (window), TESSERA_TYPE_CHAT_PANE));
  preview = TESSERA_PREVIEW_PANE (tessera_test_find_first (GTK_WIDGET (window), TESSERA_TYPE_PREVIEW_PANE));
  g_assert_nonnull (chat);
  g_assert_nonnull (preview);
  web_view = tessera_preview_pane_get_web_view (preview);

  /* The provider from the environment, with the first model it lists. */
  TESSERA_WAIT_UNTIL (tessera_session_get_model (tessera_chat_pane_get_session (chat)) != NULL);
  g_assert_cmpstr (tessera_session_get_model (tessera_chat_pane_get_session (chat)), ==, "fake-coder");

  /* The starter page is previewed before anything is asked. */
  TESSERA_WAIT_UNTIL (webkit_web_view_get_uri (web_view) != NULL && !webkit_web_view_is_loading (web_view));

  buffer = gtk_text_view_get_buffer (tessera_chat_pane_get_prompt_view (chat));
  send_and_wait (chat, "Create a todo app");

  /* On disk, in the tree, and running in the preview. */
  g_assert_true (g_file_load_contents (index, NULL, &contents, NULL, NULL, NULL));
  g_assert_nonnull (strstr (contents, "My Todo List"));
  TESSERA_WAIT_UNTIL (shows_label (GTK_WIDGET (window), "style.css"));
  TESSERA_WAIT_UNTIL (preview_shows (web_view, "My Todo List"));
  /* The model's summary, under the cards. */
  TESSERA_WAIT_UNTIL (shows_label (GTK_WIDGET (chat), "Created a to-do page with its stylesheet."));

  /* The file opens from its card in the chat; this is what the user sees
   * after a first turn (the metainfo's screenshots come from here). */
  g_signal_emit_by_name (chat, "open-file", "index.html");
  /* The page is drawn in WebKit's own process: give it time to show. */
  for (guint i = 0; i < 10; i++)
    tessera_test_settle ();
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_LIGHT);
  tessera_test_save_png (GTK_WIDGET (window), "chat-turn.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  tessera_test_save_png (GTK_WIDGET (window), "chat-turn-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  check_rests_while_model_thinks (server, chat);

  /* Regenerate (on the answer's row) sends the prompt again; the edit it
   * brings reaches the preview without a reload by hand. */
  tessera_fake_llm_server_push_text (server, second_answer);
  {
    GtkWidget *row = tessera_test_find_last (GTK_WIDGET (chat), TESSERA_TYPE_MESSAGE_ROW);

    g_assert_nonnull (row);
    g_assert_false (tessera_message_row_get_from_user (TESSERA_MESSAGE_ROW (row)));
    g_signal_emit_by_name (row, "retry");
  }
  TESSERA_WAIT_UNTIL (!tessera_session_get_busy (tessera_chat_pane_get_session (chat)));
  TESSERA_WAIT_UNTIL (preview_shows (web_view, "My Todo List 2"));
  check_shows_changes (chat);

  check_follows_long_answer (server, chat);
  check_attach_images (server, chat, tmp);
  check_pick_element (server, preview, chat);
  check_cost (server, chat);

  /* Stop puts the files back as they were before the turn. */
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_load_contents (index, NULL, &contents, NULL, NULL, NULL));
  tessera_fake_llm_server_push_mode (server, TESSERA_FAKE_LLM_ENDLESS);
  gtk_text_buffer_set_text (buffer, "Make it blue", -1);
  gtk_widget_activate_action (GTK_WIDGET (chat), "chat.send", NULL);
  TESSERA_WAIT_UNTIL (tessera_session_get_busy (tessera_chat_pane_get_session (chat)));
  gtk_widget_activate_action (GTK_WIDGET (chat), "chat.stop", NULL);
  TESSERA_WAIT_UNTIL (!tessera_session_get_busy (tessera_chat_pane_get_session (chat)));
  {
    g_autofree char *after = NULL;

    g_assert_true (g_file_load_contents (index, NULL, &after, NULL, NULL, NULL));
    g_assert_cmpstr (after, ==, contents);
  }

  /* Undo takes back the latest turn that changed files (the regenerated
   * one, the stopped one changed nothing), through the project's history:
   * the file and the preview are back at the first answer. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo-turn", NULL);
  TESSERA_WAIT_UNTIL (index_has (index, "My Todo List</h1>"));
  TESSERA_WAIT_UNTIL (preview_shows (web_view, "My Todo List"));

  gtk_window_destroy (GTK_WINDOW (window));

  /* The key reached the provider, and nothing else: no file Tessera wrote
   * in the project, its state, its settings or the (throwaway) home. */
  {
    const TesseraFakeLlmRequest *request = tessera_fake_llm_server_get_request (server, 0);

    g_assert_cmpstr (tessera_fake_llm_request_get_header (request, "Authorization"), ==,
                     "Bearer sk-test-chat-ui");
    g_assert_false (tree_contains (tmp, "sk-test-chat-ui"));
    g_assert_false (tree_contains (g_get_home_dir (), "sk-test-chat-ui"));
    g_assert_false (tessera_test_log_contains ("sk-test-chat-ui"));
  }
  g_unsetenv ("OPENAI_BASE_URL");
  g_unsetenv ("OPENAI_API_KEY");
}

static guint
count_cards (GtkWidget *widget)
{
  guint n = TESSERA_IS_ACTION_CARD (widget) ? 1 : 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    n += count_cards (child);

  return n;
}

static GtkWidget *
find_button (GtkWidget  *widget,
             const char *prefix)
{
  if (GTK_IS_BUTTON (widget) && g_str_has_prefix (gtk_button_get_label (GTK_BUTTON (widget)) ?: "", prefix))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, prefix);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* An answer that writes many files shows the first cards, and the rest
 * behind a button; a failure shows its card all the same. */
static void
test_many_cards (void)
{
  g_autoptr(GPtrArray) actions = g_ptr_array_new_with_free_func (g_object_unref);
  GtkWidget *row = g_object_ref_sink (tessera_message_row_new (FALSE));
  GtkWidget *more;

  for (guint i = 0; i < 12; i++)
    {
      TesseraAction *action = tessera_action_new (TESSERA_ACTION_WRITE);
      g_autofree char *path = g_strdup_printf ("part%u.js", i);

      tessera_action_set_path (action, path);
      tessera_message_row_add_action (TESSERA_MESSAGE_ROW (row), action);
      g_ptr_array_add (actions, action);
    }

  g_assert_cmpuint (tessera_message_row_get_n_actions (TESSERA_MESSAGE_ROW (row)), ==, 12);
  g_assert_cmpuint (count_cards (row), ==, 8);
  more = find_button (row, "Show 4 More");
  g_assert_nonnull (more);

  tessera_action_set_status (g_ptr_array_index (actions, 10), TESSERA_ACTION_FAILED, "Disk full");
  g_assert_cmpuint (count_cards (row), ==, 9);
  g_assert_true (find_button (row, "Show 3 More") == more);

  g_signal_emit_by_name (more, "clicked");
  g_assert_cmpuint (count_cards (row), ==, 12);
  g_assert_null (find_button (row, "Show "));

  g_object_unref (row);
}

/* Whether a visible Markdown view under @widget shows @text. */
static gboolean
shows_markdown (GtkWidget  *widget,
                const char *text)
{
  if (!gtk_widget_get_visible (widget))
    return FALSE;

  if (TESSERA_IS_MARKDOWN_VIEW (widget))
    {
      g_autofree char *shown = NULL;

      g_object_get (widget, "text", &shown, NULL);
      if (g_strcmp0 (shown, text) == 0)
        return TRUE;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      if (shows_markdown (child, text))
        return TRUE;
    }

  return FALSE;
}

static TesseraAction *
summary_new (const char *text)
{
  TesseraAction *summary = tessera_action_new (TESSERA_ACTION_SUMMARY);

  tessera_action_append_content (summary, text, strlen (text));

  return summary;
}

/* The model's summary shows under the cards once it is written, and at
 * once in a saved conversation that comes back; it is not a card. */
static void
test_summary (void)
{
  static const char text[] = "Added a dark theme (`theme.css`) and a toggle.";
  GtkWidget *row = g_object_ref_sink (tessera_message_row_new (FALSE));
  GtkWidget *restored = g_object_ref_sink (tessera_message_row_new (FALSE));
  g_autoptr(TesseraAction) write = tessera_action_new (TESSERA_ACTION_WRITE);
  g_autoptr(TesseraAction) summary = summary_new ("\n Added a dark theme ");
  g_autoptr(TesseraAction) saved = summary_new (text);

  tessera_action_set_path (write, "theme.css");
  tessera_message_row_add_action (TESSERA_MESSAGE_ROW (row), write);
  tessera_message_row_add_action (TESSERA_MESSAGE_ROW (row), summary);
  g_assert_false (shows_markdown (row, "Added a dark theme"));

  tessera_action_append_content (summary, text + strlen ("Added a dark theme "),
                                 strlen (text) - strlen ("Added a dark theme "));
  tessera_action_set_status (summary, TESSERA_ACTION_APPLIED, NULL);
  g_assert_true (shows_markdown (row, text));
  g_assert_cmpuint (tessera_message_row_get_n_actions (TESSERA_MESSAGE_ROW (row)), ==, 1);
  g_assert_cmpuint (count_cards (row), ==, 1);

  tessera_action_set_status (saved, TESSERA_ACTION_APPLIED, NULL);
  tessera_message_row_add_action (TESSERA_MESSAGE_ROW (restored), saved);
  g_assert_true (shows_markdown (restored, text));
  g_assert_cmpuint (count_cards (restored), ==, 0);

  g_object_unref (restored);
  g_object_unref (row);
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Closes @window's chat as the window would, answering its dialog with
 * @response (NULL: no dialog is expected); @body, when given, gets a copy
 * of what the dialog said. */
static gboolean
ask_close (GtkWidget   *chat,
           GtkWidget   *window,
           const char  *response,
           const char  *png,
           char       **body)
{
  g_autoptr(GAsyncResult) result = NULL;
  AdwMessageDialog *dialog;

  tessera_chat_pane_close_async (TESSERA_CHAT_PANE (chat), GTK_WINDOW (window), store_result_cb, &result);
  if (response != NULL)
    {
      TESSERA_WAIT_UNTIL ((dialog = tessera_test_find_message_dialog ()) != NULL);
      g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Conversation Not Saved");
      if (body != NULL)
        *body = g_strdup (adw_message_dialog_get_body (dialog));
      if (png != NULL)
        {
          for (guint i = 0; i < 5; i++)
            tessera_test_settle ();
          tessera_test_save_png (GTK_WIDGET (dialog), png);
        }
      tessera_test_respond (dialog, response);
    }
  TESSERA_WAIT_UNTIL (result != NULL);
  return tessera_chat_pane_close_finish (TESSERA_CHAT_PANE (chat), result, NULL);
}

/* A conversation that cannot be written says so above the messages, and
 * is written when the reader tries again with the way clear. */
static void
test_save_failure (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("tessera-chat-XXXXXX", NULL);
  g_autoptr(GFile) parent = g_file_new_for_path (tmp);
  g_autoptr(TesseraProject) project = NULL;
  g_autoptr(TesseraSession) session = NULL;
  g_autoptr(TesseraChatMessage) prompt = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) chat_dir = NULL;
  g_autoptr(GFile) saved = NULL;
  g_autoptr(GFile) blocker = NULL;
  g_autofree char *body = NULL;
  g_autofree char *system_words = NULL;
  g_autoptr(GError) error = NULL;
  TesseraConversation *conversation;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *chat = tessera_chat_pane_new ();
  GtkWidget *banner;
  GtkWidget *again;

  project = tessera_project_create (parent, "app", NULL, &error);
  g_assert_no_error (error);
  session = tessera_session_new (project);
  tessera_session_load_async (session, NULL, store_result_cb, &result);
  TESSERA_WAIT_UNTIL (result != NULL);
  g_assert_true (tessera_session_load_finish (session, result, &error));
  g_assert_no_error (error);
  conversation = tessera_session_get_conversation (session);

  tessera_chat_pane_set_session (TESSERA_CHAT_PANE (chat), session);
  gtk_window_set_child (GTK_WINDOW (window), chat);
  gtk_window_set_default_size (GTK_WINDOW (window), 480, 600);
  gtk_window_present (GTK_WINDOW (window));
  banner = tessera_test_find_first (chat, GTK_TYPE_REVEALER);
  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (banner)));

  /* The folder the conversation goes in is a file in the way. */
  chat_dir = g_file_resolve_relative_path (tessera_project_get_root (project), ".tessera/chat");
  g_file_delete (chat_dir, NULL, NULL);
  {
    g_autoptr(GFile) state = g_file_get_parent (chat_dir);

    g_file_make_directory_with_parents (state, NULL, NULL);
  }
  g_assert_true (g_file_replace_contents (chat_dir, "x", 1, NULL, FALSE, 0, NULL, NULL, NULL));

  prompt = tessera_chat_message_new (TESSERA_CHAT_ROLE_USER, "A landing page for a coffee shop");
  tessera_conversation_append (conversation, prompt);
  tessera_conversation_save (conversation);
  TESSERA_WAIT_UNTIL (gtk_revealer_get_child_revealed (GTK_REVEALER (banner)));
  g_assert_true (shows_label_containing (banner, "The conversation could not be saved: its folder cannot be written to"));
  tessera_test_save_png (window, "chat-save-failed.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  tessera_test_settle ();
  tessera_test_save_png (window, "chat-save-failed-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* Closing the window asks first; trying again while the way is still
   * blocked keeps it open, as does Cancel. */
  g_assert_true (tessera_chat_pane_get_has_unsaved (TESSERA_CHAT_PANE (chat)));
  g_assert_false (ask_close (chat, window, "cancel", "chat-save-failed-close.png", NULL));
  g_assert_false (ask_close (chat, window, "save", NULL, NULL));
  g_assert_true (ask_close (chat, window, "discard", NULL, NULL));

  /* A failure that has no plain words here shows the system's own
   * account of it, once, in the dialog: the conversation's file is a
   * folder. */
  g_assert_true (g_file_delete (chat_dir, NULL, NULL));
  saved = g_file_get_child (chat_dir, "conversation.json");
  blocker = g_file_get_child (saved, "in-the-way");
  g_assert_true (g_file_make_directory_with_parents (saved, NULL, NULL));
  g_assert_true (g_file_replace_contents (blocker, "x", 1, NULL, FALSE, 0, NULL, NULL, NULL));
  again = find_button (banner, "_Try Again");
  g_assert_nonnull (again);
  g_signal_emit_by_name (again, "clicked");
  TESSERA_WAIT_UNTIL (!shows_label_containing (banner, "its folder"));
  g_assert_true (shows_label_containing (banner, "The conversation could not be saved"));
  g_assert_false (ask_close (chat, window, "cancel", "chat-save-failed-other.png", &body));
  system_words = g_strconcat ("\n\n", tessera_conversation_get_save_error (conversation)->message, NULL);
  g_assert_true (g_str_has_prefix (body, "The conversation could not be saved. "));
  g_assert_true (g_str_has_suffix (body, system_words));

  /* Room made, the reader tries again. */
  g_assert_true (g_file_delete (blocker, NULL, NULL));
  g_assert_true (g_file_delete (saved, NULL, NULL));
  g_signal_emit_by_name (again, "clicked");
  TESSERA_WAIT_UNTIL (!gtk_revealer_get_reveal_child (GTK_REVEALER (banner)));
  g_assert_true (g_file_query_exists (saved, NULL));
  g_assert_false (tessera_chat_pane_get_has_unsaved (TESSERA_CHAT_PANE (chat)));
  g_assert_true (ask_close (chat, window, NULL, NULL, NULL));

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  tessera_test_init_log ();

  g_test_add_func ("/chat/prompt-to-preview", test_prompt_to_preview);
  g_test_add_func ("/chat/many-cards", test_many_cards);
  g_test_add_func ("/chat/summary", test_summary);
  g_test_add_func ("/chat/save-failure", test_save_failure);

  return g_test_run ();
}
