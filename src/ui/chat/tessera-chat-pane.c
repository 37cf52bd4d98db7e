/* tessera-chat-pane.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-chat-pane"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-chat-pane.h"
#include "tessera-frame-pacer.h"
#include "tessera-image-loading.h"
#include "tessera-message-row.h"
#include "tessera-style-sheet.h"
#include "tessera-unsaved-dialog.h"

/* A message carries at most this many images: enough for a few
 * screenshots of an app, well under what providers accept. */
#define MAX_IMAGES 8
#define CHIP_SIZE 48

struct _TesseraChatPane
{
  GtkWidget       parent_instance;

  TesseraSession *session;
  GCancellable   *cancellable;
  /* TesseraChatMessage → TesseraMessageRow (borrowed: rows live in the box). */
  GHashTable     *rows;
  guint           scroll_id;
  /* The reader is at the end of the conversation: it stays there as the
   * answer grows, until they scroll up. */
  gboolean        stick_to_end;
  /* The answer of the latest turn that changed files (borrowed). */
  TesseraMessageRow *undo_row;
  GtkNativeDialog *chooser;

  GtkRevealer    *save_banner;
  GtkLabel       *save_banner_label;
  GtkStack       *stack;
  AdwStatusPage  *empty_page;
  GtkBox         *examples_box;
  GtkScrolledWindow *scroller;
  GtkBox         *messages_box;
  GtkTextView    *prompt_view;
  GtkBox         *attachments_box;
  GtkBox         *element_box;
  GtkLabel       *element_label;
  /* The element picked in the preview, that the next message is about. */
  char           *element_selector;
  char           *element_html;
  GtkLabel       *attach_problem_label;
  GtkStack       *send_stack;
  GtkButton      *send_button;
  GtkButton      *stop_button;
  GtkLabel       *status_label;
};

G_DEFINE_FINAL_TYPE (TesseraChatPane, tessera_chat_pane, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SESSION,
  N_PROPS
};

enum {
  OPEN_FILE,
  UNDO_TURN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char *example_prompts[] = {
  N_("A to-do list that remembers its items"),
  N_("A landing page for a coffee shop"),
  N_("A pomodoro timer with a progress ring"),
  N_("A Markdown notes app with a live preview"),
};

TesseraSession *
tessera_chat_pane_get_session (TesseraChatPane *self)
{
  g_return_val_if_fail (TESSERA_IS_CHAT_PANE (self), NULL);

  return self->session;
}

GtkTextView *
tessera_chat_pane_get_prompt_view (TesseraChatPane *self)
{
  g_return_val_if_fail (TESSERA_IS_CHAT_PANE (self), NULL);

  return self->prompt_view;
}

void
tessera_chat_pane_set_status (TesseraChatPane *self,
                              const char      *status)
{
  g_return_if_fail (TESSERA_IS_CHAT_PANE (self));

  gtk_label_set_text (self->status_label, status ? status : "");
}

static gboolean
scroll_to_end_cb (GtkWidget     *widget,
                  GdkFrameClock *clock,
                  gpointer       user_data)
{
  TesseraChatPane *self = TESSERA_CHAT_PANE (widget);
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);

  /* A chat scrolled is a chat drawn again, all of it: in its own frames
   * (see TesseraFrameSlot), with what came meanwhile. */
  if (!tessera_frame_slot_is_now (TESSERA_FRAME_SLOT_CHAT_SCROLL, clock))
    return G_SOURCE_CONTINUE;

  self->scroll_id = 0;
  /* Unless the reader scrolled away since this was asked for. */
  if (self->stick_to_end)
    gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));

  return G_SOURCE_REMOVE;
}

static double
distance_to_end (GtkAdjustment *adjustment)
{
  return gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment) -
         gtk_adjustment_get_value (adjustment);
}

/* Follows the answer as it grows, unless the reader scrolled up to read
 * something earlier; @force brings them back to the end (a new message). */
static void
follow_end (TesseraChatPane *self,
            gboolean         force)
{
  if (force)
    self->stick_to_end = TRUE;
  if (self->stick_to_end && self->scroll_id == 0)
    self->scroll_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), scroll_to_end_cb, NULL, NULL);
}

/* Scrolled, by the reader or to the end. */
static void
value_changed_cb (TesseraChatPane *self,
                  GtkAdjustment   *adjustment)
{
  self->stick_to_end = distance_to_end (adjustment) < 80;
}

/* The conversation grew (or shrank): what follows an answer as it comes,
 * since it renders a frame at a time, well after the text that makes it. */
static void
adjustment_changed_cb (TesseraChatPane *self,
                       GtkAdjustment   *adjustment)
{
  if (distance_to_end (adjustment) > 0)
    follow_end (self, FALSE);
}

static guint count_chips (TesseraChatPane *self, gboolean only_loading);

/* The prompt as typed, without the spaces around it. */
static char *
dup_prompt (TesseraChatPane *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->prompt_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return g_strstrip (gtk_text_buffer_get_text (buffer, &start, &end, FALSE));
}

/* Whether a message can go now: no turn running, no image still loading. */
static gboolean
can_send_now (TesseraChatPane *self)
{
  return self->session != NULL && !tessera_session_get_busy (self->session) && count_chips (self, TRUE) == 0;
}

/* Whether the send button's message can: @text or an image to send. */
static gboolean
can_send (TesseraChatPane *self,
          const char      *text)
{
  return can_send_now (self) && (text[0] != '\0' || count_chips (self, FALSE) > 0);
}

static void
update_state (TesseraChatPane *self)
{
  gboolean busy = self->session != NULL && tessera_session_get_busy (self->session);
  g_autofree char *text = dup_prompt (self);

  gtk_stack_set_visible_child (self->send_stack,
                               GTK_WIDGET (busy ? self->stop_button : self->send_button));
  gtk_widget_set_sensitive (GTK_WIDGET (self->send_button), can_send (self, text));
  gtk_widget_set_visible (GTK_WIDGET (self->attachments_box), count_chips (self, FALSE) > 0);
  gtk_stack_set_visible_child_name (self->stack,
                                    gtk_widget_get_first_child (GTK_WIDGET (self->messages_box))
                                      ? "messages" : "empty");
}

static void
row_open_file_cb (TesseraChatPane *self,
                  const char      *path)
{
  g_signal_emit (self, signals[OPEN_FILE], 0, path);
}

static void send_finished_cb (GObject *object, GAsyncResult *result, gpointer user_data);

/* The session knows the last prompt, also after a restart. */
static void
row_retry_cb (TesseraChatPane *self)
{
  if (self->session == NULL || tessera_session_get_busy (self->session))
    return;

  tessera_session_regenerate_async (self->session, self->cancellable, send_finished_cb, g_object_ref (self));
  update_state (self);
}

static void
row_undo_cb (TesseraChatPane   *self,
             TesseraMessageRow *row)
{
  if (row == self->undo_row)
    self->undo_row = NULL;
  g_signal_emit (self, signals[UNDO_TURN], 0);
}

static void
row_continue_cb (TesseraChatPane *self)
{
  if (self->session == NULL || tessera_session_get_busy (self->session))
    return;

  tessera_session_continue_async (self->session, self->cancellable, send_finished_cb, g_object_ref (self));
  update_state (self);
}

static void
set_row_problem (TesseraMessageRow *row,
                 TesseraTurnStatus  status,
                 const GError      *error)
{
  switch (status)
    {
    case TESSERA_TURN_NOTHING_APPLIED:
      tessera_message_row_set_problem (row,
                                       _("The answer contained code, but no change could be applied to the project."),
                                       "retry");
      break;

    case TESSERA_TURN_INCOMPLETE:
      tessera_message_row_set_problem (row,
                                       error ? error->message : _("The answer was cut off."),
                                       "continue");
      break;

    case TESSERA_TURN_PARTIAL:
      tessera_message_row_set_problem (row, _("Some changes could not be applied; see the cards above."), NULL);
      break;

    case TESSERA_TURN_CANCELLED:
      tessera_message_row_set_problem (row, _("Stopped. The files are as they were before this answer."), NULL);
      break;

    case TESSERA_TURN_FAILED:
      tessera_message_row_set_problem (row, error ? error->message : _("The answer failed."), "retry");
      break;

    case TESSERA_TURN_RUNNING:
    case TESSERA_TURN_COMPLETE:
    default:
      tessera_message_row_set_problem (row, NULL, NULL);
      break;
    }
}

static TesseraMessageRow *
add_row (TesseraChatPane    *self,
         TesseraChatMessage *message)
{
  TesseraChatRole role = tessera_chat_message_get_role (message);
  GtkWidget *row = tessera_message_row_new (role == TESSERA_CHAT_ROLE_USER);
  GPtrArray *actions = tessera_chat_message_get_actions (message);
  GPtrArray *images;

  if (role == TESSERA_CHAT_ROLE_NOTICE)
    gtk_widget_add_css_class (row, "notice");

  tessera_message_row_set_text (TESSERA_MESSAGE_ROW (row), tessera_chat_message_get_text (message));
  images = tessera_chat_message_get_images (message);
  for (guint i = 0; images != NULL && i < images->len; i++)
    tessera_message_row_add_image (TESSERA_MESSAGE_ROW (row), g_ptr_array_index (images, i));
  for (guint i = 0; actions != NULL && i < actions->len; i++)
    tessera_message_row_add_action (TESSERA_MESSAGE_ROW (row), g_ptr_array_index (actions, i));
  tessera_message_row_set_usage (TESSERA_MESSAGE_ROW (row),
                                 tessera_chat_message_get_input_tokens (message),
                                 tessera_chat_message_get_output_tokens (message),
                                 tessera_chat_message_get_cost (message));
  tessera_message_row_set_streaming (TESSERA_MESSAGE_ROW (row),
                                     tessera_chat_message_get_status (message) == TESSERA_TURN_RUNNING &&
                                     role == TESSERA_CHAT_ROLE_ASSISTANT);
  if (role == TESSERA_CHAT_ROLE_ASSISTANT)
    set_row_problem (TESSERA_MESSAGE_ROW (row), tessera_chat_message_get_status (message), NULL);

  g_signal_connect_object (row, "open-file", G_CALLBACK (row_open_file_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (row, "retry", G_CALLBACK (row_retry_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (row, "continue", G_CALLBACK (row_continue_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (row, "undo", G_CALLBACK (row_undo_cb), self, G_CONNECT_SWAPPED);

  gtk_box_append (self->messages_box, row);
  g_hash_table_insert (self->rows, message, row);
  update_state (self);
  follow_end (self, TRUE);

  return TESSERA_MESSAGE_ROW (row);
}

static void
message_added_cb (TesseraChatPane    *self,
                  TesseraChatMessage *message)
{
  if (g_hash_table_lookup (self->rows, message) == NULL)
    add_row (self, message);
}

static TesseraMessageRow *
row_for (TesseraChatPane    *self,
         TesseraChatMessage *message)
{
  TesseraMessageRow *row = g_hash_table_lookup (self->rows, message);

  return row != NULL ? row : add_row (self, message);
}

static void
text_delta_cb (TesseraChatPane    *self,
               TesseraChatMessage *message,
               const char         *text)
{
  tessera_message_row_append_text (row_for (self, message), text);
}

static void
action_begin_cb (TesseraChatPane    *self,
                 TesseraChatMessage *message,
                 TesseraAction      *action)
{
  tessera_message_row_add_action (row_for (self, message), action);
}

static void
usage_cb (TesseraChatPane    *self,
          TesseraChatMessage *message,
          guint               input_tokens,
          guint               output_tokens)
{
  tessera_message_row_set_usage (row_for (self, message), input_tokens, output_tokens,
                                 tessera_chat_message_get_cost (message));
}

/* After a send the caret rests, hidden, until the answer is in or the
 * reader comes back to the prompt: GTK's caret blinks by redrawing at
 * the frame rate for ten seconds after the last key, just while the
 * model thinks (see TesseraWritingIndicator). GTK 4.8 stops the
 * blinking only when the caret is hidden in a focused view (and aborts
 * on a hidden caret that still blinks): the prompt takes the focus back
 * first, where a sent message leaves the reader anyway. */
static void
rest_caret (TesseraChatPane *self)
{
  GtkWidget *prompt = GTK_WIDGET (self->prompt_view);

  gtk_widget_grab_focus (prompt);
  if (gtk_widget_has_focus (prompt))
    gtk_text_view_set_cursor_visible (self->prompt_view, FALSE);
}

static void
wake_caret (TesseraChatPane *self)
{
  gtk_text_view_set_cursor_visible (self->prompt_view, TRUE);
}

static void
turn_finished_cb (TesseraChatPane    *self,
                  TesseraChatMessage *message,
                  TesseraTurnStatus   status,
                  const GError       *error)
{
  if (message != NULL)
    {
      TesseraMessageRow *row = row_for (self, message);

      tessera_message_row_set_streaming (row, FALSE);
      set_row_problem (row, status, error);

      /* Only the latest turn that changed files can be undone. */
      if (status == TESSERA_TURN_COMPLETE || status == TESSERA_TURN_PARTIAL || status == TESSERA_TURN_INCOMPLETE)
        {
          if (self->undo_row != NULL)
            tessera_message_row_set_can_undo (self->undo_row, FALSE);
          self->undo_row = row;
          tessera_message_row_set_can_undo (row, tessera_message_row_get_n_actions (row) > 0);
        }
    }

  wake_caret (self);
  update_state (self);
}

static void
send_finished_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TesseraChatPane) self = user_data;
  g_autoptr(GError) error = NULL;

  /* Everything the user needs to know arrives through ::turn-finished. */
  tessera_session_send_finish (TESSERA_SESSION (object), result, &error);
  if (error != NULL)
    g_debug ("Turn ended: %s", error->message);

  update_state (self);
}

static void
set_attach_problem (TesseraChatPane *self,
                    const char      *problem)
{
  gtk_label_set_text (self->attach_problem_label, problem ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->attach_problem_label), problem != NULL);
}

/* The chips above the prompt hold the images for the next message, in
 * the order they were attached: each its TesseraImage ("image") once it
 * is read, a placeholder until then. */
static guint
count_chips (TesseraChatPane *self,
             gboolean         only_loading)
{
  guint n = 0;

  for (GtkWidget *chip = gtk_widget_get_first_child (GTK_WIDGET (self->attachments_box));
       chip != NULL; chip = gtk_widget_get_next_sibling (chip))
    {
      if (!only_loading || g_object_get_data (G_OBJECT (chip), "image") == NULL)
        n++;
    }

  return n;
}

static gboolean
is_attached (TesseraChatPane *self,
             TesseraImage    *image)
{
  for (GtkWidget *chip = gtk_widget_get_first_child (GTK_WIDGET (self->attachments_box));
       chip != NULL; chip = gtk_widget_get_next_sibling (chip))
    {
      TesseraImage *other = g_object_get_data (G_OBJECT (chip), "image");

      if (other != NULL && g_str_equal (tessera_image_get_name (other), tessera_image_get_name (image)))
        return TRUE;
    }

  return FALSE;
}

/* Takes the images out of their chips, for a message. */
static GPtrArray *
take_images (TesseraChatPane *self)
{
  GPtrArray *images = g_ptr_array_new_with_free_func (g_object_unref);
  GtkWidget *chip;

  while ((chip = gtk_widget_get_first_child (GTK_WIDGET (self->attachments_box))) != NULL)
    {
      TesseraImage *image = g_object_get_data (G_OBJECT (chip), "image");

      if (image != NULL)
        g_ptr_array_add (images, g_object_ref (image));
      gtk_box_remove (self->attachments_box, chip);
    }

  return images;
}

static void
remove_image_clicked_cb (GtkWidget       *button,
                         TesseraChatPane *self)
{
  gtk_box_remove (self->attachments_box, gtk_widget_get_parent (button));
  set_attach_problem (self, NULL);
  update_state (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->prompt_view));
}

/* A chip for an image being read, with a button that takes it out. */
static GtkWidget *
add_chip (TesseraChatPane *self)
{
  GtkWidget *chip = gtk_overlay_new ();
  GtkWidget *placeholder = gtk_image_new_from_icon_name ("image-loading-symbolic");
  GtkWidget *remove = gtk_button_new_from_icon_name ("window-close-symbolic");

  gtk_widget_set_size_request (placeholder, CHIP_SIZE, CHIP_SIZE);
  gtk_widget_add_css_class (placeholder, "tessera-image-placeholder");
  gtk_accessible_update_property (GTK_ACCESSIBLE (placeholder), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Reading the image…"), -1);
  gtk_overlay_set_child (GTK_OVERLAY (chip), placeholder);
  gtk_widget_set_halign (remove, GTK_ALIGN_END);
  gtk_widget_set_valign (remove, GTK_ALIGN_START);
  gtk_widget_add_css_class (remove, "circular");
  gtk_widget_add_css_class (remove, "osd");
  gtk_widget_add_css_class (remove, "tessera-remove-image");
  gtk_widget_set_tooltip_text (remove, _("Remove Image"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Remove Image"), -1);
  g_signal_connect (remove, "clicked", G_CALLBACK (remove_image_clicked_cb), self);
  gtk_overlay_add_overlay (GTK_OVERLAY (chip), remove);

  gtk_box_append (self->attachments_box, chip);

  return chip;
}

static void
image_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GtkWidget) chip = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraImage) image = tessera_image_load_finish (result, &error);
  TesseraChatPane *self;

  /* Taken out meanwhile, or the chat is gone. */
  if (gtk_widget_get_parent (chip) == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = TESSERA_CHAT_PANE (gtk_widget_get_ancestor (chip, TESSERA_TYPE_CHAT_PANE));
  if (image == NULL || is_attached (self, image))
    {
      if (image == NULL)
        set_attach_problem (self, error->message);
      gtk_box_remove (self->attachments_box, chip);
    }
  else
    {
      g_object_set_data_full (G_OBJECT (chip), "image", g_object_ref (image), g_object_unref);
      gtk_overlay_set_child (GTK_OVERLAY (chip), tessera_image_thumbnail_new (image, CHIP_SIZE));
    }

  update_state (self);
}

/* A chip for the next image, unless the message has all it can take. */
static GtkWidget *
start_attaching (TesseraChatPane *self)
{
  GtkWidget *chip;

  if (count_chips (self, FALSE) >= MAX_IMAGES)
    {
      g_autofree char *problem = g_strdup_printf (ngettext ("A message can take at most %u image.",
                                                            "A message can take at most %u images.",
                                                            MAX_IMAGES),
                                                  MAX_IMAGES);

      set_attach_problem (self, problem);
      return NULL;
    }

  set_attach_problem (self, NULL);
  chip = add_chip (self);
  update_state (self);

  return g_object_ref (chip);
}

/* Reads @file, off the main thread, into an image for the next message
 * (as "Attach Images" does, and dropping files on the chat). */
void
tessera_chat_pane_attach_file (TesseraChatPane *self,
                               GFile           *file)
{
  GtkWidget *chip;

  g_return_if_fail (TESSERA_IS_CHAT_PANE (self));
  g_return_if_fail (G_IS_FILE (file));

  if ((chip = start_attaching (self)) != NULL)
    tessera_image_load_file_async (file, self->cancellable, image_loaded_cb, chip);
}

static void
attach_texture (TesseraChatPane *self,
                GdkTexture      *texture)
{
  GtkWidget *chip;

  if ((chip = start_attaching (self)) != NULL)
    tessera_image_load_texture_async (texture, self->cancellable, image_loaded_cb, chip);
}

static void
chooser_response_cb (GtkNativeDialog *chooser,
                     int              response,
                     TesseraChatPane *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (chooser));

      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        {
          g_autoptr(GFile) file = g_list_model_get_item (files, i);

          tessera_chat_pane_attach_file (self, file);
        }
    }

  g_clear_object (&self->chooser);
}

static void
attach_clicked_cb (TesseraChatPane *self)
{
  GtkFileFilter *filter;

  if (self->chooser != NULL)
    return;

  self->chooser = GTK_NATIVE_DIALOG (gtk_file_chooser_native_new (_("Attach Images"),
                                                                  GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                                                  GTK_FILE_CHOOSER_ACTION_OPEN,
                                                                  _("_Attach"), _("_Cancel")));
  gtk_native_dialog_set_modal (self->chooser, TRUE);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (self->chooser), TRUE);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Images"));
  gtk_file_filter_add_pixbuf_formats (filter);
  gtk_file_filter_add_mime_type (filter, "image/webp");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_object_unref (filter);
  g_signal_connect (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (self->chooser);
}

static void
pasted_texture_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TesseraChatPane) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (texture == NULL)
    set_attach_problem (self, _("The image on the clipboard could not be read."));
  else
    attach_texture (self, texture);
}

/* Ctrl+V with a picture on the clipboard (a screenshot, an image copied
 * from a page) attaches it; text pastes as text. */
static void
prompt_paste_cb (TesseraChatPane *self,
                 GtkTextView     *view)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (view));
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);
  const char * const *mime_types = gdk_content_formats_get_mime_types (formats, NULL);
  gboolean image = gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE);

  if (gdk_content_formats_contain_gtype (formats, G_TYPE_STRING))
    return;
  for (guint i = 0; mime_types != NULL && mime_types[i] != NULL; i++)
    {
      if (g_str_has_prefix (mime_types[i], "text/plain"))
        return;
      image |= g_str_has_prefix (mime_types[i], "image/");
    }
  if (!image)
    return;

  g_signal_stop_emission_by_name (view, "paste-clipboard");
  gdk_clipboard_read_texture_async (clipboard, self->cancellable, pasted_texture_cb, g_object_ref (self));
}

/* Image files from a file manager, or a picture from another app. */
static gboolean
drop_cb (TesseraChatPane *self,
         const GValue    *value,
         double           x,
         double           y)
{
  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      g_autoptr(GSList) files = gdk_file_list_get_files (g_value_get_boxed (value));

      for (GSList *l = files; l != NULL; l = l->next)
        tessera_chat_pane_attach_file (self, l->data);
      return TRUE;
    }

  if (G_VALUE_HOLDS (value, GDK_TYPE_TEXTURE))
    {
      attach_texture (self, g_value_get_object (value));
      return TRUE;
    }

  return FALSE;
}

void
tessera_chat_pane_set_element (TesseraChatPane *self,
                               const char      *selector,
                               const char      *html)
{
  g_return_if_fail (TESSERA_IS_CHAT_PANE (self));
  g_return_if_fail ((selector == NULL) == (html == NULL));

  g_free (self->element_selector);
  g_free (self->element_html);
  self->element_selector = g_strdup (selector);
  self->element_html = g_strdup (html);

  if (selector != NULL)
    {
      gtk_label_set_label (self->element_label, selector);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->element_label), html);
      gtk_widget_grab_focus (GTK_WIDGET (self->prompt_view));
    }
  gtk_widget_set_visible (GTK_WIDGET (self->element_box), selector != NULL);
}

static void
element_remove_clicked_cb (TesseraChatPane *self)
{
  tessera_chat_pane_set_element (self, NULL, NULL);
  gtk_widget_grab_focus (GTK_WIDGET (self->prompt_view));
}

void
tessera_chat_pane_send (TesseraChatPane *self,
                        const char      *prompt)
{
  g_autoptr(GPtrArray) images = NULL;
  g_autofree char *about = NULL;

  g_return_if_fail (TESSERA_IS_CHAT_PANE (self));
  g_return_if_fail (prompt != NULL);

  if (!can_send_now (self))
    return;

  /* The attached images go with it, and the picked element: what it is
   * and where, in the message itself, so that the model and whoever reads
   * the conversation later see the same. */
  images = take_images (self);
  set_attach_problem (self, NULL);
  if (self->element_selector != NULL)
    {
      /* Translators: %s is a CSS selector; the rest is a Markdown code block */
      about = g_strdup_printf (_("%s\n\nThe element I mean, picked in the preview (`%s`):\n\n```html\n%s\n```"),
                               prompt, self->element_selector, self->element_html);
      prompt = about;
      tessera_chat_pane_set_element (self, NULL, NULL);
    }

  rest_caret (self);
  tessera_session_send_with_images_async (self->session, prompt, images, self->cancellable,
                                          send_finished_cb, g_object_ref (self));
  update_state (self);
}

void
tessera_chat_pane_fix (TesseraChatPane *self,
                       const char      *message,
                       const char      *source,
                       guint            line)
{
  g_return_if_fail (TESSERA_IS_CHAT_PANE (self));

  if (self->session == NULL || tessera_session_get_busy (self->session))
    return;

  tessera_session_fix_async (self->session, message, source, line, self->cancellable,
                             send_finished_cb, g_object_ref (self));
  update_state (self);
}

static void
send_clicked_cb (TesseraChatPane *self)
{
  g_autofree char *text = dup_prompt (self);

  if (!can_send (self, text))
    return;

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->prompt_view), "", 0);
  tessera_chat_pane_send (self, text);
}

static void
stop_clicked_cb (TesseraChatPane *self)
{
  if (self->session != NULL)
    tessera_session_cancel (self->session);
}

static gboolean
prompt_key_pressed_cb (TesseraChatPane       *self,
                       guint                  keyval,
                       guint                  keycode,
                       GdkModifierType        state,
                       GtkEventControllerKey *controller)
{
  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter) &&
      (state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_ALT_MASK)) == 0)
    {
      send_clicked_cb (self);
      return GDK_EVENT_STOP;
    }

  if (keyval == GDK_KEY_Escape && self->session != NULL && tessera_session_get_busy (self->session))
    {
      stop_clicked_cb (self);
      return GDK_EVENT_STOP;
    }

  wake_caret (self);

  return GDK_EVENT_PROPAGATE;
}

static void
example_clicked_cb (GtkButton       *button,
                    TesseraChatPane *self)
{
  const char *prompt = g_object_get_data (G_OBJECT (button), "prompt");

  tessera_chat_pane_send (self, prompt);
}

static void
clear_rows (TesseraChatPane *self)
{
  GtkWidget *child;

  self->undo_row = NULL;
  g_hash_table_remove_all (self->rows);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->messages_box))))
    gtk_box_remove (self->messages_box, child);
}

/* Why a save failed, in words that fit "could not be saved: …", or NULL
 * when only the system's own message says it. */
static const char *
describe_save_error (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    return _("the disk is full");
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_READ_ONLY) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY))
    return _("its folder cannot be written to");
  return NULL;
}

/* The messages stay in memory when they cannot be written; the reader
 * learns why, and can try again once they have made room. */
static void
update_save_banner (TesseraChatPane *self)
{
  const GError *error = NULL;

  if (self->session != NULL)
    error = tessera_conversation_get_save_error (tessera_session_get_conversation (self->session));

  if (error != NULL)
    {
      const char *reason = describe_save_error (error);
      g_autofree char *text = NULL;

      if (reason != NULL)
        /* Translators: %s says why, as “the disk is full” */
        text = g_strdup_printf (_("The conversation could not be saved: %s"), reason);
      else
        text = g_strdup (_("The conversation could not be saved"));

      gtk_label_set_label (self->save_banner_label, text);
      /* The details, for whoever needs the path. */
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->save_banner_label), error->message);
    }
  gtk_revealer_set_reveal_child (self->save_banner, error != NULL);
}

static void
save_again_clicked_cb (TesseraChatPane *self)
{
  if (self->session != NULL)
    tessera_conversation_save (tessera_session_get_conversation (self->session));
}

gboolean
tessera_chat_pane_get_has_unsaved (TesseraChatPane *self)
{
  g_return_val_if_fail (TESSERA_IS_CHAT_PANE (self), FALSE);

  return self->session != NULL &&
         tessera_conversation_get_save_error (tessera_session_get_conversation (self->session)) != NULL;
}

static void
close_saved_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  /* Saved: the window closes. Still failing: it stays open, and the
   * banner says why. */
  g_task_return_boolean (task, tessera_conversation_flush_finish (TESSERA_CONVERSATION (object), result, NULL));
}

static void
close_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraChatPane *self = g_task_get_source_object (task);

  if (g_str_equal (response, "save") && self->session != NULL)
    {
      TesseraConversation *conversation = tessera_session_get_conversation (self->session);

      tessera_conversation_save (conversation);
      tessera_conversation_flush_async (conversation, NULL, close_saved_cb, g_steal_pointer (&task));
    }
  else
    {
      g_task_return_boolean (task, g_str_equal (response, "discard"));
    }
}

void
tessera_chat_pane_close_async (TesseraChatPane     *self,
                               GtkWindow           *parent,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *body = NULL;
  const GError *error;
  const char *reason;
  GtkWidget *dialog;

  g_return_if_fail (TESSERA_IS_CHAT_PANE (self));
  g_return_if_fail (!parent || GTK_IS_WINDOW (parent));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, tessera_chat_pane_close_async);

  if (!tessera_chat_pane_get_has_unsaved (self))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  error = tessera_conversation_get_save_error (tessera_session_get_conversation (self->session));
  reason = describe_save_error (error);
  if (reason != NULL)
    /* Translators: %s says why, as “the disk is full” */
    body = g_strdup_printf (_("The conversation could not be saved: %s. Its messages will be lost if the window closes now."),
                            reason);
  else
    /* Translators: %s is the system's own account of the failure */
    body = g_strdup_printf (_("The conversation could not be saved. Its messages will be lost if the window closes now.\n\n%s"),
                            error->message);
  dialog = tessera_unsaved_dialog_new (parent, _("Conversation Not Saved"), body,
                                       _("_Close Without Saving"), _("_Try Again"));
  g_signal_connect (dialog, "response", G_CALLBACK (close_response_cb), g_steal_pointer (&task));
  gtk_window_present (GTK_WINDOW (dialog));
}

gboolean
tessera_chat_pane_close_finish (TesseraChatPane  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
tessera_chat_pane_set_session (TesseraChatPane *self,
                               TesseraSession  *session)
{
  GListModel *messages;

  g_return_if_fail (TESSERA_IS_CHAT_PANE (self));
  g_return_if_fail (!session || TESSERA_IS_SESSION (session));

  if (self->session == session)
    return;

  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      g_signal_handlers_disconnect_by_data (tessera_session_get_conversation (self->session), self);
      g_clear_object (&self->session);
    }

  clear_rows (self);

  if (session != NULL)
    {
      self->session = g_object_ref (session);
      g_signal_connect_object (session, "message-added", G_CALLBACK (message_added_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (session, "text-delta", G_CALLBACK (text_delta_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (session, "action-begin", G_CALLBACK (action_begin_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (session, "usage", G_CALLBACK (usage_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (session, "turn-finished", G_CALLBACK (turn_finished_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (session, "notify::busy", G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (tessera_session_get_conversation (session), "notify::save-error",
                               G_CALLBACK (update_save_banner), self, G_CONNECT_SWAPPED);

      messages = tessera_session_get_messages (session);
      for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
        {
          g_autoptr(TesseraChatMessage) message = g_list_model_get_item (messages, i);

          add_row (self, message);
        }
    }

  update_state (self);
  update_save_banner (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSION]);
}

static void
tessera_chat_pane_dispose (GObject *object)
{
  TesseraChatPane *self = TESSERA_CHAT_PANE (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  if (self->scroll_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->scroll_id);
      self->scroll_id = 0;
    }
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  g_clear_pointer (&self->rows, g_hash_table_unref);
  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (self->chooser);
      g_clear_object (&self->chooser);
    }

  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_CHAT_PANE);
  /* The template's root box has no id, so it is ours to unparent. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (tessera_chat_pane_parent_class)->dispose (object);
}

static void
tessera_chat_pane_finalize (GObject *object)
{
  TesseraChatPane *self = TESSERA_CHAT_PANE (object);

  g_clear_object (&self->cancellable);
  g_free (self->element_selector);
  g_free (self->element_html);

  G_OBJECT_CLASS (tessera_chat_pane_parent_class)->finalize (object);
}

static void
tessera_chat_pane_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TesseraChatPane *self = TESSERA_CHAT_PANE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_chat_pane_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  TesseraChatPane *self = TESSERA_CHAT_PANE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      tessera_chat_pane_set_session (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  send_clicked_cb (TESSERA_CHAT_PANE (widget));
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  stop_clicked_cb (TESSERA_CHAT_PANE (widget));
}

static void
tessera_chat_pane_class_init (TesseraChatPaneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_chat_pane_dispose;
  object_class->finalize = tessera_chat_pane_finalize;
  object_class->get_property = tessera_chat_pane_get_property;
  object_class->set_property = tessera_chat_pane_set_property;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL,
                         TESSERA_TYPE_SESSION,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[OPEN_FILE] =
    g_signal_new ("open-file", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[UNDO_TURN] =
    g_signal_new ("undo-turn", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "chatpane");
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/chat/tessera-chat-pane.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraChatPane, save_banner);
  gtk_widget_class_bind_template_child (widget_class, TesseraChatPane, save_banner_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraChatPane, stack);
  gtk_widget_class_bind_template_child (widget_class, TesseraChatPane, empty_page);
  gtk_widget_class_bind_template_child (widget_class, TesseraChatPane, examples_box);
  gtk_widget_class_bind_template_child (widget_class, TesseraChatPane, scroller);
  gtk_widget_class_bind_template_child (widget_class, TesseraChatPane, messages_box);
  gtk_widget_class_bind_template_child (widget_class, TesseraChatPane, prompt_view);
  gtk_widget_class_bind_template_child (widget_class, TesseraChatPane, attachments_box);
  gtk_widget_class_bind_template_child (widget_class, TesseraChatPane, element_box);
  gtk_widget_class_bind_template_child (widget_class, TesseraChatPane, element_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraChatPane, attach_problem_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraChatPane, send_stack);
  gtk_widget_class_bind_template_child (widget_class, TesseraChatPane, send_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraChatPane, stop_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraChatPane, status_label);
  gtk_widget_class_bind_template_callback (widget_class, send_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_again_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, element_remove_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, attach_clicked_cb);

  gtk_widget_class_install_action (widget_class, "chat.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "chat.stop", NULL, stop_action);
}

static void
tessera_chat_pane_init (TesseraChatPane *self)
{
  GtkEventController *keys;
  GtkEventController *focus;
  GtkGesture *click;
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));
  tessera_style_sheet_ensure (RESOURCE_BASE "/chat/chat.css");

  self->cancellable = g_cancellable_new ();
  self->rows = g_hash_table_new (NULL, NULL);
  self->stick_to_end = TRUE;
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->scroller), "value-changed",
                           G_CALLBACK (value_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->scroller), "changed",
                           G_CALLBACK (adjustment_changed_cb), self, G_CONNECT_SWAPPED);

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (keys, "key-pressed", G_CALLBACK (prompt_key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->prompt_view), keys);
  click = gtk_gesture_click_new ();
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (click), GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (click, "pressed", G_CALLBACK (wake_caret), self);
  gtk_widget_add_controller (GTK_WIDGET (self->prompt_view), GTK_EVENT_CONTROLLER (click));
  focus = gtk_event_controller_focus_new ();
  g_signal_connect_swapped (focus, "enter", G_CALLBACK (wake_caret), self);
  gtk_widget_add_controller (GTK_WIDGET (self->prompt_view), focus);
  g_signal_connect_object (gtk_text_view_get_buffer (self->prompt_view), "changed",
                           G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_swapped (self->prompt_view, "paste-clipboard", G_CALLBACK (prompt_paste_cb), self);

  drop = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (drop, (GType[]) { GDK_TYPE_FILE_LIST, GDK_TYPE_TEXTURE }, 2);
  g_signal_connect_swapped (drop, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  for (guint i = 0; i < G_N_ELEMENTS (example_prompts); i++)
    {
      GtkWidget *button = gtk_button_new ();
      GtkWidget *label = gtk_label_new (_(example_prompts[i]));

      /* Wrapping keeps a narrow chat pane narrow. */
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
      gtk_button_set_child (GTK_BUTTON (button), label);
      gtk_widget_add_css_class (button, "pill");
      g_object_set_data (G_OBJECT (button), "prompt", (gpointer) _(example_prompts[i]));
      g_signal_connect (button, "clicked", G_CALLBACK (example_clicked_cb), self);
      gtk_box_append (self->examples_box, button);
    }

  update_state (self);
}

GtkWidget *
tessera_chat_pane_new (void)
{
  return g_object_new (TESSERA_TYPE_CHAT_PANE, NULL);
}
