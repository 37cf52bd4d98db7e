/* tessera-action-card.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-action-card"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>

#include "tessera-action-card.h"
#include "tessera-source-style.h"
#include "tessera-tooltip.h"

struct _TesseraActionCard
{
  GtkWidget      parent_instance;

  TesseraAction *action;

  GtkWidget     *button;
  GtkWidget     *icon;
  GtkWidget     *title;
  GtkWidget     *status_stack;
  GtkWidget     *spinner;
  GtkWidget     *status_icon;
  GtkWidget     *message;
  GtkWidget     *output_expander;
  GtkWidget     *output;
  GtkWidget     *counts;
  GtkWidget     *added;
  GtkWidget     *removed;
  GtkWidget     *changes_expander;
  GtkSourceBuffer *changes;
};

G_DEFINE_FINAL_TYPE (TesseraActionCard, tessera_action_card, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ACTION,
  N_PROPS
};

enum {
  OPEN_FILE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char *
icon_for_kind (TesseraActionKind kind)
{
  switch (kind)
    {
    case TESSERA_ACTION_WRITE: return "document-new-symbolic";
    case TESSERA_ACTION_EDIT: return "document-edit-symbolic";
    case TESSERA_ACTION_DELETE: return "user-trash-symbolic";
    case TESSERA_ACTION_RENAME: return "document-save-as-symbolic";
    case TESSERA_ACTION_RUN: return "utilities-terminal-symbolic";
    case TESSERA_ACTION_ADD_DEPENDENCY: return "package-x-generic-symbolic";
    case TESSERA_ACTION_SUMMARY: return "emblem-documents-symbolic";
    default: return "emblem-system-symbolic";
    }
}

/* A sentence for the card's title, in the tense of the action's state. */
static char *
describe (TesseraAction *action)
{
  TesseraActionStatus status = tessera_action_get_status (action);
  gboolean pending = status == TESSERA_ACTION_PENDING;
  const char *path = tessera_action_get_path (action);
  const char *shown = path ? path : _("(no path)");

  switch (tessera_action_get_kind (action))
    {
    case TESSERA_ACTION_WRITE:
      return g_strdup_printf (pending ? _("Writing %s…") : _("Write %s"), shown);
    case TESSERA_ACTION_EDIT:
      return g_strdup_printf (pending ? _("Editing %s…") : _("Edit %s"), shown);
    case TESSERA_ACTION_DELETE:
      return g_strdup_printf (_("Delete %s"), shown);
    case TESSERA_ACTION_RENAME:
      return g_strdup_printf (_("Rename %s to %s"), shown,
                              tessera_action_get_to (action) ? tessera_action_get_to (action) : _("(no path)"));
    case TESSERA_ACTION_RUN:
      {
        const char *command = tessera_action_get_command (action);
        return g_strdup_printf (_("Run “%s”"), command ? command : "");
      }
    case TESSERA_ACTION_ADD_DEPENDENCY:
      {
        const char * const *packages = tessera_action_get_packages (action);
        g_autofree char *joined = packages ? g_strjoinv (" ", (char **) packages) : g_strdup ("");
        return g_strdup_printf (_("Add %s"), joined);
      }
    case TESSERA_ACTION_SUMMARY:
      return g_strdup (_("Summary"));
    default:
      return g_strdup ("");
    }
}

/* The message and the output are rare: made when first needed, so that
 * the hundred cards of a big answer cost less to make. */
static void
set_message (TesseraActionCard *self,
             const char        *message)
{
  gboolean shown = message != NULL && message[0] != '\0';

  if (self->message == NULL && !shown)
    return;

  if (self->message == NULL)
    {
      self->message = gtk_label_new (NULL);
      gtk_label_set_wrap (GTK_LABEL (self->message), TRUE);
      gtk_label_set_xalign (GTK_LABEL (self->message), 0);
      gtk_label_set_selectable (GTK_LABEL (self->message), TRUE);
      gtk_widget_add_css_class (self->message, "caption");
      gtk_widget_set_margin_start (self->message, 12);
      gtk_widget_set_margin_end (self->message, 12);
      gtk_widget_set_margin_bottom (self->message, 8);
      gtk_widget_insert_after (self->message, GTK_WIDGET (self), self->button);
    }

  gtk_label_set_text (GTK_LABEL (self->message), shown ? message : "");
  gtk_widget_set_visible (self->message, shown);
}

static void
set_output (TesseraActionCard *self,
            const char        *output)
{
  gboolean shown = output != NULL && output[0] != '\0';

  if (self->output_expander == NULL && !shown)
    return;

  if (self->output_expander == NULL)
    {
      self->output = gtk_label_new (NULL);
      gtk_label_set_xalign (GTK_LABEL (self->output), 0);
      gtk_label_set_wrap (GTK_LABEL (self->output), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (self->output), PANGO_WRAP_CHAR);
      gtk_label_set_selectable (GTK_LABEL (self->output), TRUE);
      gtk_widget_add_css_class (self->output, "monospace");
      gtk_widget_add_css_class (self->output, "caption");
      self->output_expander = gtk_expander_new (_("Output"));
      gtk_expander_set_child (GTK_EXPANDER (self->output_expander), self->output);
      gtk_widget_set_margin_start (self->output_expander, 12);
      gtk_widget_set_margin_end (self->output_expander, 12);
      gtk_widget_set_margin_bottom (self->output_expander, 8);
      gtk_widget_set_parent (self->output_expander, GTK_WIDGET (self));
    }

  gtk_label_set_text (GTK_LABEL (self->output), shown ? output : "");
  gtk_widget_set_visible (self->output_expander, shown);
}

#define MAX_SHOWN_LINES 20
#define LONG_DIFF_HEIGHT 320

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (; text != NULL && *text != '\0'; text++)
    n += *text == '\n';

  return n;
}

/* The diff itself is shown only when asked for: a view of it for each of
 * the hundred cards of a big answer would cost more than all the rest. */
static void
changes_expanded_cb (TesseraActionCard *self)
{
  GtkWidget *scroller;
  GtkWidget *view;

  if (self->changes != NULL || !gtk_expander_get_expanded (GTK_EXPANDER (self->changes_expander)))
    return;

  self->changes = gtk_source_buffer_new_with_language (
    gtk_source_language_manager_get_language (gtk_source_language_manager_get_default (), "diff"));
  gtk_text_buffer_set_text (GTK_TEXT_BUFFER (self->changes), tessera_action_get_diff (self->action), -1);
  tessera_source_buffer_follow_style (self->changes);

  view = gtk_source_view_new_with_buffer (self->changes);
  gtk_text_view_set_editable (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_cursor_visible (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 4);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 4);
  gtk_widget_add_css_class (view, "tessera-changes");
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Changes"), -1);

  /* The chat gives each block its minimum height: a short diff is shown
   * whole, a long one scrolls in a fixed height. */
  scroller = gtk_scrolled_window_new ();
  if (count_lines (tessera_action_get_diff (self->action)) <= MAX_SHOWN_LINES)
    gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_AUTOMATIC, GTK_POLICY_NEVER);
  else
    gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller), LONG_DIFF_HEIGHT);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
  gtk_expander_set_child (GTK_EXPANDER (self->changes_expander), scroller);
}

/* "+12 −3" beside the title, and the diff under it. */
static void
set_changes (TesseraActionCard *self)
{
  const char *diff = tessera_action_get_diff (self->action);
  guint added = tessera_action_get_n_added (self->action);
  guint removed = tessera_action_get_n_removed (self->action);
  g_autofree char *added_text = NULL;
  g_autofree char *removed_text = NULL;
  g_autofree char *added_lines = NULL;
  g_autofree char *removed_lines = NULL;
  g_autofree char *description = NULL;

  if (diff == NULL && added == 0 && removed == 0 && self->counts == NULL)
    return;

  if (self->counts == NULL)
    {
      self->counts = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
      self->added = gtk_label_new (NULL);
      self->removed = gtk_label_new (NULL);
      gtk_widget_add_css_class (self->added, "success");
      gtk_widget_add_css_class (self->removed, "error");
      gtk_widget_add_css_class (self->counts, "caption");
      gtk_widget_add_css_class (self->counts, "numeric");
      gtk_box_append (GTK_BOX (self->counts), self->added);
      gtk_box_append (GTK_BOX (self->counts), self->removed);
      gtk_widget_insert_before (self->counts, gtk_widget_get_parent (self->status_stack), self->status_stack);

      self->changes_expander = gtk_expander_new (_("Changes"));
      gtk_widget_set_margin_start (self->changes_expander, 12);
      gtk_widget_set_margin_end (self->changes_expander, 12);
      gtk_widget_set_margin_bottom (self->changes_expander, 8);
      g_signal_connect_object (self->changes_expander, "notify::expanded",
                               G_CALLBACK (changes_expanded_cb), self, G_CONNECT_SWAPPED);
      gtk_widget_insert_after (self->changes_expander, GTK_WIDGET (self), self->button);
    }

  /* Translators: lines added to a file, as in "+12 −3". */
  added_text = g_strdup_printf (_("+%u"), added);
  /* Translators: lines removed from a file, as in "+12 −3". */
  removed_text = g_strdup_printf (_("−%u"), removed);
  gtk_label_set_text (GTK_LABEL (self->added), added_text);
  gtk_label_set_text (GTK_LABEL (self->removed), removed_text);
  gtk_widget_set_visible (self->added, added > 0);
  gtk_widget_set_visible (self->removed, removed > 0);
  added_lines = g_strdup_printf (ngettext ("%u line added", "%u lines added", added), added);
  removed_lines = g_strdup_printf (ngettext ("%u line removed", "%u lines removed", removed), removed);
  /* Translators: "12 lines added, 3 lines removed", for screen readers. */
  description = g_strdup_printf (_("%s, %s"), added_lines, removed_lines);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->counts), GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
  gtk_widget_set_visible (self->counts, added > 0 || removed > 0);
  gtk_widget_set_visible (self->changes_expander, diff != NULL);
  if (self->changes != NULL && diff != NULL)
    gtk_text_buffer_set_text (GTK_TEXT_BUFFER (self->changes), diff, -1);
}

static void
update (TesseraActionCard *self)
{
  TesseraActionStatus status = tessera_action_get_status (self->action);
  const char *message = tessera_action_get_message (self->action);
  const char *output = tessera_action_get_output (self->action);
  g_autofree char *title = describe (self->action);
  const char *status_icon = NULL;
  const char *status_label = NULL;

  gtk_label_set_text (GTK_LABEL (self->title), title);

  switch (status)
    {
    case TESSERA_ACTION_PENDING:
      status_label = _("In progress");
      break;
    case TESSERA_ACTION_APPLIED:
      status_icon = "emblem-ok-symbolic";
      status_label = _("Done");
      break;
    case TESSERA_ACTION_REFUSED:
      status_icon = "action-unavailable-symbolic";
      status_label = _("Refused");
      break;
    case TESSERA_ACTION_FAILED:
      status_icon = "dialog-error-symbolic";
      status_label = _("Failed");
      break;
    case TESSERA_ACTION_REVERTED:
      status_icon = "edit-undo-symbolic";
      status_label = _("Undone");
      break;
    default:
      break;
    }

  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), status == TESSERA_ACTION_PENDING);
  gtk_stack_set_visible_child (GTK_STACK (self->status_stack),
                               status == TESSERA_ACTION_PENDING ? self->spinner : self->status_icon);
  if (status_icon != NULL)
    gtk_image_set_from_icon_name (GTK_IMAGE (self->status_icon), status_icon);
  tessera_tooltip_set_text (self->status_stack, status_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->status_stack),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, status_label, -1);

  gtk_widget_remove_css_class (GTK_WIDGET (self), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self), "success");
  if (status == TESSERA_ACTION_REFUSED || status == TESSERA_ACTION_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self), "error");

  set_message (self, message);
  set_output (self, output);

  /* Only cards about a file that exists now lead to it. */
  gtk_widget_set_sensitive (self->button,
                            tessera_action_get_path (self->action) != NULL &&
                            status == TESSERA_ACTION_APPLIED &&
                            (tessera_action_get_kind (self->action) == TESSERA_ACTION_WRITE ||
                             tessera_action_get_kind (self->action) == TESSERA_ACTION_EDIT));
}

static void
button_clicked_cb (TesseraActionCard *self)
{
  const char *path = tessera_action_get_path (self->action);

  if (path != NULL)
    g_signal_emit (self, signals[OPEN_FILE], 0, path);
}

TesseraAction *
tessera_action_card_get_action (TesseraActionCard *self)
{
  g_return_val_if_fail (TESSERA_IS_ACTION_CARD (self), NULL);

  return self->action;
}

static void
tessera_action_card_constructed (GObject *object)
{
  TesseraActionCard *self = TESSERA_ACTION_CARD (object);

  G_OBJECT_CLASS (tessera_action_card_parent_class)->constructed (object);

  gtk_image_set_from_icon_name (GTK_IMAGE (self->icon), icon_for_kind (tessera_action_get_kind (self->action)));
  g_signal_connect_object (self->action, "notify", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  /* Not on every change: an open diff would be set again, and lose its
   * scroll position. */
  g_signal_connect_object (self->action, "notify::diff", G_CALLBACK (set_changes), self, G_CONNECT_SWAPPED);
  update (self);
  set_changes (self);
}

static void
tessera_action_card_dispose (GObject *object)
{
  TesseraActionCard *self = TESSERA_ACTION_CARD (object);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);
  g_clear_object (&self->changes);
  g_clear_object (&self->action);

  G_OBJECT_CLASS (tessera_action_card_parent_class)->dispose (object);
}

static void
tessera_action_card_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TesseraActionCard *self = TESSERA_ACTION_CARD (object);

  switch (prop_id)
    {
    case PROP_ACTION:
      g_value_set_object (value, self->action);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_action_card_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  TesseraActionCard *self = TESSERA_ACTION_CARD (object);

  switch (prop_id)
    {
    case PROP_ACTION:
      self->action = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_action_card_class_init (TesseraActionCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = tessera_action_card_constructed;
  object_class->dispose = tessera_action_card_dispose;
  object_class->get_property = tessera_action_card_get_property;
  object_class->set_property = tessera_action_card_set_property;

  properties[PROP_ACTION] =
    g_param_spec_object ("action", NULL, NULL,
                         TESSERA_TYPE_ACTION,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[OPEN_FILE] =
    g_signal_new ("open-file",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "actioncard");
}

static void
tessera_action_card_init (TesseraActionCard *self)
{
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);

  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);
  gtk_widget_add_css_class (GTK_WIDGET (self), "card");

  self->icon = gtk_image_new ();
  self->title = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (self->title), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (self->title, TRUE);

  self->status_stack = gtk_stack_new ();
  self->spinner = gtk_spinner_new ();
  self->status_icon = gtk_image_new ();
  gtk_stack_add_child (GTK_STACK (self->status_stack), self->spinner);
  gtk_stack_add_child (GTK_STACK (self->status_stack), self->status_icon);

  gtk_box_append (GTK_BOX (header), self->icon);
  gtk_box_append (GTK_BOX (header), self->title);
  gtk_box_append (GTK_BOX (header), self->status_stack);

  self->button = gtk_button_new ();
  gtk_button_set_child (GTK_BUTTON (self->button), header);
  gtk_widget_add_css_class (self->button, "flat");
  tessera_tooltip_set_text (self->button, _("Open in Editor"));
  g_signal_connect_swapped (self->button, "clicked", G_CALLBACK (button_clicked_cb), self);
  gtk_widget_set_parent (self->button, GTK_WIDGET (self));
}

GtkWidget *
tessera_action_card_new (TesseraAction *action)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (action), NULL);

  return g_object_new (TESSERA_TYPE_ACTION_CARD, "action", action, NULL);
}
