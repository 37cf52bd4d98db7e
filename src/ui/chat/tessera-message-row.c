/* tessera-message-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-message-row"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-action-card.h"
#include "tessera-image-loading.h"
#include "tessera-image-window.h"
#include "tessera-message-row.h"
#include "tessera-tooltip.h"
#include "tessera-markdown-view.h"
#include "tessera-writing-indicator.h"

struct _TesseraMessageRow
{
  GtkWidget  parent_instance;

  GString   *text;
  char      *problem_action;
  guint      from_user : 1;
  guint      n_actions;
  /* Past the first few, cards are made only when asked for: an answer
   * that writes a hundred files made a hundred cards while it streamed,
   * a third of the window's work. Failures always get theirs. */
  GPtrArray *hidden_actions;
  GtkWidget *more_button;
  /* The model's closing words on what it changed, shown once written. */
  TesseraAction *summary_action;

  GtkWidget *bubble;
  GtkWidget *images;
  guint      n_images;
  GtkWidget *markdown;
  GtkWidget *actions;
  GtkWidget *summary;
  GtkWidget *problem;
  GtkWidget *problem_label;
  GtkWidget *problem_button;
  GtkWidget *footer;
  GtkWidget *writing;
  GtkWidget *usage;
  GtkWidget *copy_button;
  GtkWidget *regenerate_button;
  GtkWidget *undo_button;
};

G_DEFINE_FINAL_TYPE (TesseraMessageRow, tessera_message_row, GTK_TYPE_WIDGET)

enum {
  OPEN_FILE,
  RETRY,
  CONTINUE,
  UNDO,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

gboolean
tessera_message_row_get_from_user (TesseraMessageRow *self)
{
  g_return_val_if_fail (TESSERA_IS_MESSAGE_ROW (self), FALSE);

  return self->from_user;
}

const char *
tessera_message_row_get_text (TesseraMessageRow *self)
{
  g_return_val_if_fail (TESSERA_IS_MESSAGE_ROW (self), NULL);

  return self->text->str;
}

static void
text_changed (TesseraMessageRow *self)
{
  tessera_markdown_view_set_text (TESSERA_MARKDOWN_VIEW (self->markdown), self->text->str);
  gtk_widget_set_visible (self->markdown, self->text->len > 0);
}

void
tessera_message_row_set_text (TesseraMessageRow *self,
                               const char         *text)
{
  g_return_if_fail (TESSERA_IS_MESSAGE_ROW (self));

  g_string_assign (self->text, text ? text : "");
  text_changed (self);
}

void
tessera_message_row_append_text (TesseraMessageRow *self,
                                  const char         *text)
{
  g_return_if_fail (TESSERA_IS_MESSAGE_ROW (self));

  g_string_append (self->text, text);
  text_changed (self);
}

static void
card_open_file_cb (TesseraMessageRow *self,
                   const char         *path)
{
  g_signal_emit (self, signals[OPEN_FILE], 0, path);
}

#define MAX_SHOWN_CARDS 8

static void
add_card (TesseraMessageRow *self,
          TesseraAction     *action)
{
  GtkWidget *card = tessera_action_card_new (action);

  g_signal_connect_object (card, "open-file", G_CALLBACK (card_open_file_cb), self, G_CONNECT_SWAPPED);
  /* Before the "more" button, when there is one. */
  gtk_widget_insert_before (card, self->actions, self->more_button);
}

static void hidden_status_cb (TesseraMessageRow *self,
                              GParamSpec        *pspec,
                              TesseraAction     *action);

static void
update_more_button (TesseraMessageRow *self)
{
  g_autofree char *label = NULL;

  if (self->hidden_actions->len == 0)
    {
      g_clear_pointer (&self->more_button, gtk_widget_unparent);
      return;
    }

  label = g_strdup_printf (ngettext ("Show %u More Change", "Show %u More Changes",
                                     self->hidden_actions->len),
                           self->hidden_actions->len);
  gtk_button_set_label (GTK_BUTTON (self->more_button), label);
}

/* Makes the card of a hidden action. */
static void
reveal (TesseraMessageRow *self,
        TesseraAction     *action)
{
  g_signal_handlers_disconnect_by_func (action, hidden_status_cb, self);
  add_card (self, action);
  g_ptr_array_remove (self->hidden_actions, action);
}

static void
hidden_status_cb (TesseraMessageRow *self,
                  GParamSpec        *pspec,
                  TesseraAction     *action)
{
  TesseraActionStatus status = tessera_action_get_status (action);

  if (status == TESSERA_ACTION_FAILED || status == TESSERA_ACTION_REFUSED)
    {
      reveal (self, action);
      update_more_button (self);
    }
}

static void
more_clicked_cb (TesseraMessageRow *self)
{
  while (self->hidden_actions->len > 0)
    reveal (self, g_ptr_array_index (self->hidden_actions, 0));
  update_more_button (self);
}

/* Shows the summary once the model has written it all. */
static void
summary_status_cb (TesseraMessageRow *self)
{
  const char *content;
  g_autofree char *text = NULL;

  if (tessera_action_get_status (self->summary_action) == TESSERA_ACTION_PENDING)
    return;

  content = tessera_action_get_content (self->summary_action, NULL);
  text = g_strstrip (g_strdup (content != NULL ? content : ""));
  tessera_markdown_view_set_text (TESSERA_MARKDOWN_VIEW (self->summary), text);
  gtk_widget_set_visible (self->summary, text[0] != '\0');
}

/* An answer has one summary; should the model write another, the later
 * one is shown. */
static void
set_summary_action (TesseraMessageRow *self,
                    TesseraAction     *action)
{
  if (self->summary_action != NULL)
    g_signal_handlers_disconnect_by_func (self->summary_action, summary_status_cb, self);
  g_set_object (&self->summary_action, action);
  g_signal_connect_swapped (action, "notify::status", G_CALLBACK (summary_status_cb), self);
  summary_status_cb (self);
}

void
tessera_message_row_add_action (TesseraMessageRow *self,
                                 TesseraAction      *action)
{
  g_return_if_fail (TESSERA_IS_MESSAGE_ROW (self));

  /* The summary is text for the reader, not a card. */
  if (tessera_action_get_kind (action) == TESSERA_ACTION_SUMMARY)
    {
      set_summary_action (self, action);
      return;
    }

  self->n_actions++;
  gtk_widget_set_visible (self->actions, TRUE);

  if (self->n_actions <= MAX_SHOWN_CARDS)
    {
      add_card (self, action);
      return;
    }

  if (self->more_button == NULL)
    {
      self->more_button = gtk_button_new ();
      gtk_widget_add_css_class (self->more_button, "flat");
      gtk_widget_set_halign (self->more_button, GTK_ALIGN_START);
      g_signal_connect_swapped (self->more_button, "clicked", G_CALLBACK (more_clicked_cb), self);
      gtk_box_append (GTK_BOX (self->actions), self->more_button);
    }
  g_ptr_array_add (self->hidden_actions, g_object_ref (action));
  g_signal_connect_object (action, "notify::status", G_CALLBACK (hidden_status_cb), self, G_CONNECT_SWAPPED);
  hidden_status_cb (self, NULL, action);
  update_more_button (self);
}

/* Three thumbnails a line fit the narrowest chat. */
#define IMAGES_PER_LINE 3
#define IMAGE_SIZE 64

static void
image_clicked_cb (GtkButton *button)
{
  TesseraImage *image = g_object_get_data (G_OBJECT (button), "image");
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (button));

  gtk_window_present (GTK_WINDOW (tessera_image_window_new (image, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL)));
}

void
tessera_message_row_add_image (TesseraMessageRow *self,
                               TesseraImage      *image)
{
  GtkWidget *button;

  g_return_if_fail (TESSERA_IS_MESSAGE_ROW (self));
  g_return_if_fail (TESSERA_IS_IMAGE (image));

  /* A thumbnail opens the image large. */
  button = gtk_button_new ();
  gtk_button_set_child (GTK_BUTTON (button), tessera_image_thumbnail_new (image, IMAGE_SIZE));
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "tessera-image-button");
  gtk_widget_set_tooltip_text (button, _("View Image"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, _("View Image"), -1);
  g_object_set_data_full (G_OBJECT (button), "image", g_object_ref (image), g_object_unref);
  g_signal_connect (button, "clicked", G_CALLBACK (image_clicked_cb), NULL);
  gtk_grid_attach (GTK_GRID (self->images), button,
                   self->n_images % IMAGES_PER_LINE, self->n_images / IMAGES_PER_LINE, 1, 1);
  self->n_images++;
  gtk_widget_set_visible (self->images, TRUE);
}

guint
tessera_message_row_get_n_actions (TesseraMessageRow *self)
{
  g_return_val_if_fail (TESSERA_IS_MESSAGE_ROW (self), 0);

  return self->n_actions;
}

void
tessera_message_row_set_streaming (TesseraMessageRow *self,
                                    gboolean            streaming)
{
  g_return_if_fail (TESSERA_IS_MESSAGE_ROW (self));

  gtk_widget_set_visible (self->writing, streaming);
  gtk_widget_set_visible (self->copy_button, !streaming && !self->from_user);
  gtk_widget_set_visible (self->regenerate_button, !streaming && !self->from_user);
}

/* Cents for what costs cents or more; below that, enough digits to
 * tell a cheap answer from a free one. */
static char *
format_cost (double cost)
{
  if (cost == 0)
    /* Translators: what an AI answer cost, in US dollars */
    return g_strdup (_("$0"));
  if (cost < 0.01)
    /* Translators: what an AI answer cost, in US dollars */
    return g_strdup_printf (_("$%.4f"), cost);
  /* Translators: what an AI answer cost, in US dollars */
  return g_strdup_printf (_("$%.2f"), cost);
}

void
tessera_message_row_set_usage (TesseraMessageRow *self,
                                guint               input_tokens,
                                guint               output_tokens,
                                double              cost)
{
  g_autofree char *tokens = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (TESSERA_IS_MESSAGE_ROW (self));

  if (input_tokens == 0 && output_tokens == 0 && cost < 0)
    {
      gtk_widget_set_visible (self->usage, FALSE);
      return;
    }

  /* Translators: token counts of one AI answer: sent and received. */
  tokens = g_strdup_printf (_("%'u tokens in · %'u out"), input_tokens, output_tokens);
  if (cost >= 0)
    {
      g_autofree char *price = format_cost (cost);

      /* Translators: token counts, then what the answer cost */
      text = g_strdup_printf (_("%s · %s"), tokens, price);
      tessera_tooltip_set_text (self->usage, _("Tokens and cost as the provider reported them"));
    }
  else
    {
      text = g_steal_pointer (&tokens);
      tessera_tooltip_set_text (self->usage, NULL);
    }
  gtk_label_set_text (GTK_LABEL (self->usage), text);
  gtk_widget_set_visible (self->usage, TRUE);
}

void
tessera_message_row_set_problem (TesseraMessageRow *self,
                                  const char         *message,
                                  const char         *action)
{
  g_return_if_fail (TESSERA_IS_MESSAGE_ROW (self));

  g_free (self->problem_action);
  self->problem_action = g_strdup (action);

  gtk_label_set_text (GTK_LABEL (self->problem_label), message ? message : "");
  gtk_widget_set_visible (self->problem, message != NULL);

  if (g_strcmp0 (action, "continue") == 0)
    gtk_button_set_label (GTK_BUTTON (self->problem_button), _("_Continue"));
  else
    gtk_button_set_label (GTK_BUTTON (self->problem_button), _("_Retry"));
  gtk_widget_set_visible (self->problem_button, action != NULL);
}

static void
problem_clicked_cb (TesseraMessageRow *self)
{
  gtk_widget_set_visible (self->problem_button, FALSE);

  if (g_strcmp0 (self->problem_action, "continue") == 0)
    g_signal_emit (self, signals[CONTINUE], 0);
  else
    g_signal_emit (self, signals[RETRY], 0);
}

void
tessera_message_row_set_can_undo (TesseraMessageRow *self,
                                  gboolean           can_undo)
{
  g_return_if_fail (TESSERA_IS_MESSAGE_ROW (self));

  gtk_widget_set_visible (self->undo_button, can_undo);
}

static void
undo_clicked_cb (TesseraMessageRow *self)
{
  gtk_widget_set_visible (self->undo_button, FALSE);
  g_signal_emit (self, signals[UNDO], 0);
}

static void
regenerate_clicked_cb (TesseraMessageRow *self)
{
  g_signal_emit (self, signals[RETRY], 0);
}

static void
copy_clicked_cb (TesseraMessageRow *self)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->text->str);
}

static void
tessera_message_row_dispose (GObject *object)
{
  TesseraMessageRow *self = TESSERA_MESSAGE_ROW (object);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);
  self->more_button = NULL;
  for (guint i = 0; i < self->hidden_actions->len; i++)
    g_signal_handlers_disconnect_by_func (g_ptr_array_index (self->hidden_actions, i), hidden_status_cb, self);
  g_ptr_array_set_size (self->hidden_actions, 0);
  if (self->summary_action != NULL)
    g_signal_handlers_disconnect_by_func (self->summary_action, summary_status_cb, self);
  g_clear_object (&self->summary_action);

  G_OBJECT_CLASS (tessera_message_row_parent_class)->dispose (object);
}

static void
tessera_message_row_finalize (GObject *object)
{
  TesseraMessageRow *self = TESSERA_MESSAGE_ROW (object);

  g_string_free (self->text, TRUE);
  g_free (self->problem_action);
  g_ptr_array_unref (self->hidden_actions);

  G_OBJECT_CLASS (tessera_message_row_parent_class)->finalize (object);
}

static void
tessera_message_row_class_init (TesseraMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_message_row_dispose;
  object_class->finalize = tessera_message_row_finalize;

  signals[OPEN_FILE] =
    g_signal_new ("open-file", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[RETRY] =
    g_signal_new ("retry", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[CONTINUE] =
    g_signal_new ("continue", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[UNDO] =
    g_signal_new ("undo", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "messagerow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
tessera_message_row_init (TesseraMessageRow *self)
{
  GtkWidget *problem_icon;

  self->text = g_string_new (NULL);
  self->hidden_actions = g_ptr_array_new_with_free_func (g_object_unref);

  self->bubble = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  gtk_widget_set_parent (self->bubble, GTK_WIDGET (self));

  self->images = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (self->images), 6);
  gtk_grid_set_row_spacing (GTK_GRID (self->images), 6);
  gtk_widget_set_halign (self->images, GTK_ALIGN_END);
  gtk_widget_set_visible (self->images, FALSE);
  gtk_box_append (GTK_BOX (self->bubble), self->images);

  self->markdown = tessera_markdown_view_new ();
  gtk_widget_set_visible (self->markdown, FALSE);
  gtk_box_append (GTK_BOX (self->bubble), self->markdown);

  self->actions = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_visible (self->actions, FALSE);
  gtk_box_append (GTK_BOX (self->bubble), self->actions);

  self->summary = tessera_markdown_view_new ();
  gtk_widget_set_visible (self->summary, FALSE);
  gtk_box_append (GTK_BOX (self->bubble), self->summary);

  self->problem = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  problem_icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
  gtk_widget_set_valign (problem_icon, GTK_ALIGN_START);
  self->problem_label = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->problem_label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->problem_label), 0);
  gtk_widget_set_hexpand (self->problem_label, TRUE);
  self->problem_button = gtk_button_new_with_mnemonic (_("_Retry"));
  gtk_widget_set_valign (self->problem_button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->problem_button, "clicked", G_CALLBACK (problem_clicked_cb), self);
  gtk_box_append (GTK_BOX (self->problem), problem_icon);
  gtk_box_append (GTK_BOX (self->problem), self->problem_label);
  gtk_box_append (GTK_BOX (self->problem), self->problem_button);
  gtk_widget_add_css_class (self->problem, "warning");
  gtk_widget_set_visible (self->problem, FALSE);
  gtk_box_append (GTK_BOX (self->bubble), self->problem);

  self->footer = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  self->writing = tessera_writing_indicator_new ();
  gtk_widget_set_valign (self->writing, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (self->writing, FALSE);
  self->usage = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->usage, "caption");
  gtk_widget_add_css_class (self->usage, "dim-label");
  gtk_widget_set_hexpand (self->usage, TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->usage), 0);
  gtk_widget_set_visible (self->usage, FALSE);
  self->copy_button = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  gtk_widget_add_css_class (self->copy_button, "flat");
  tessera_tooltip_set_text (self->copy_button, _("Copy Message"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->copy_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Copy Message"), -1);
  gtk_widget_set_visible (self->copy_button, FALSE);
  g_signal_connect_swapped (self->copy_button, "clicked", G_CALLBACK (copy_clicked_cb), self);
  self->regenerate_button = gtk_button_new_from_icon_name ("view-refresh-symbolic");
  gtk_widget_add_css_class (self->regenerate_button, "flat");
  tessera_tooltip_set_text (self->regenerate_button, _("Regenerate"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->regenerate_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Regenerate"), -1);
  gtk_widget_set_visible (self->regenerate_button, FALSE);
  g_signal_connect_swapped (self->regenerate_button, "clicked", G_CALLBACK (regenerate_clicked_cb), self);
  self->undo_button = gtk_button_new_from_icon_name ("edit-undo-symbolic");
  gtk_widget_add_css_class (self->undo_button, "flat");
  tessera_tooltip_set_text (self->undo_button, _("Undo These Changes"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->undo_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Undo These Changes"), -1);
  gtk_widget_set_visible (self->undo_button, FALSE);
  g_signal_connect_swapped (self->undo_button, "clicked", G_CALLBACK (undo_clicked_cb), self);
  gtk_box_append (GTK_BOX (self->footer), self->writing);
  gtk_box_append (GTK_BOX (self->footer), self->usage);
  gtk_box_append (GTK_BOX (self->footer), self->undo_button);
  gtk_box_append (GTK_BOX (self->footer), self->regenerate_button);
  gtk_box_append (GTK_BOX (self->footer), self->copy_button);
  gtk_box_append (GTK_BOX (self->bubble), self->footer);
}

GtkWidget *
tessera_message_row_new (gboolean from_user)
{
  TesseraMessageRow *self = g_object_new (TESSERA_TYPE_MESSAGE_ROW, NULL);

  self->from_user = !!from_user;
  if (from_user)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self), "from-user");
      gtk_widget_set_halign (GTK_WIDGET (self), GTK_ALIGN_END);
    }
  else
    gtk_widget_add_css_class (GTK_WIDGET (self), "from-assistant");

  return GTK_WIDGET (self);
}
