/* tessera-console-panel.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-console-panel"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-console-panel.h"
#include "tessera-style-sheet.h"

/* Beyond this the oldest entries go: a page logging in a loop must not grow
 * the list without bound. */
#define MAX_ENTRIES 300

typedef struct
{
  TesseraConsoleLevel level;
  char *message;
  char *source;
  guint line;
  guint count;
  char *key;
  GtkLabel *count_label;
} ConsoleEntry;

struct _TesseraConsolePanel
{
  GtkWidget parent_instance;

  GtkStack *stack;
  GtkListBox *list_box;

  /* key -> GtkListBoxRow (owned by the list box) */
  GHashTable *rows;
  GQueue order;
  guint n_messages;
  guint n_errors;
};

G_DEFINE_FINAL_TYPE (TesseraConsolePanel, tessera_console_panel, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_N_MESSAGES,
  PROP_N_ERRORS,
  N_PROPS
};

enum {
  FIX_WITH_AI,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
console_entry_free (gpointer data)
{
  ConsoleEntry *entry = data;

  g_free (entry->message);
  g_free (entry->source);
  g_free (entry->key);
  g_free (entry);
}

static char *
make_key (TesseraConsoleLevel  level,
          const char          *message,
          const char          *source,
          guint                line)
{
  return g_strdup_printf ("%d\x1f%s\x1f%s\x1f%u", level, message, source, line);
}

static void
update_count_label (ConsoleEntry *entry)
{
  g_autofree char *text = g_strdup_printf ("%u", entry->count);

  gtk_label_set_label (entry->count_label, text);
  gtk_widget_set_visible (GTK_WIDGET (entry->count_label), entry->count > 1);
}

static void
on_fix_clicked (TesseraConsolePanel *self,
                GtkButton           *button)
{
  GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (button), GTK_TYPE_LIST_BOX_ROW);
  ConsoleEntry *entry = g_object_get_data (G_OBJECT (row), "tessera-console-entry");

  g_return_if_fail (entry != NULL);

  g_signal_emit (self, signals[FIX_WITH_AI], 0, entry->message, entry->source, entry->line);
}

static char *
format_location (const char *source,
                 guint       line)
{
  if (source == NULL || source[0] == '\0')
    return NULL;
  if (line > 0)
    return g_strdup_printf ("%s:%u", source, line);
  return g_strdup (source);
}

static GtkWidget *
create_row (TesseraConsolePanel *self,
            ConsoleEntry        *entry)
{
  g_autofree char *location = format_location (entry->source, entry->line);
  GtkWidget *row;
  GtkWidget *box;
  GtkWidget *icon;
  GtkWidget *text_box;
  GtkWidget *label;

  row = gtk_list_box_row_new ();
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_add_css_class (row, entry->level == TESSERA_CONSOLE_LEVEL_ERROR ? "error" : "warning");

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);

  icon = gtk_image_new_from_icon_name (entry->level == TESSERA_CONSOLE_LEVEL_ERROR
                                       ? "dialog-error-symbolic"
                                       : "dialog-warning-symbolic");
  gtk_widget_add_css_class (icon, "level");
  gtk_widget_set_valign (icon, GTK_ALIGN_START);
  gtk_widget_set_margin_top (icon, 2);
  gtk_widget_set_tooltip_text (icon, entry->level == TESSERA_CONSOLE_LEVEL_ERROR
                                     ? _("Error") : _("Warning"));
  gtk_box_append (GTK_BOX (box), icon);

  text_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_hexpand (text_box, TRUE);
  gtk_box_append (GTK_BOX (box), text_box);

  label = gtk_label_new (entry->message);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_lines (GTK_LABEL (label), 6);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (label, "monospace");
  gtk_box_append (GTK_BOX (text_box), label);

  if (location != NULL)
    {
      label = gtk_label_new (location);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_START);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_widget_add_css_class (label, "caption");
      gtk_box_append (GTK_BOX (text_box), label);
    }

  entry->count_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (entry->count_label), "tessera-count-badge");
  gtk_widget_set_valign (GTK_WIDGET (entry->count_label), GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (GTK_WIDGET (entry->count_label), _("Times repeated"));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (entry->count_label));
  update_count_label (entry);

  if (entry->level == TESSERA_CONSOLE_LEVEL_ERROR)
    {
      GtkWidget *button = gtk_button_new_with_label (_("Fix with AI"));

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (button, _("Ask the AI to fix this error"));
      gtk_widget_add_css_class (button, "tessera-fix-button");
      g_signal_connect_object (button, "clicked", G_CALLBACK (on_fix_clicked), self,
                               G_CONNECT_SWAPPED);
      gtk_box_append (GTK_BOX (box), button);
    }

  g_object_set_data_full (G_OBJECT (row), "tessera-console-entry", entry, console_entry_free);

  return row;
}

static void
set_counts (TesseraConsolePanel *self,
            guint                n_messages,
            guint                n_errors)
{
  if (self->n_messages != n_messages)
    {
      self->n_messages = n_messages;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_MESSAGES]);
    }
  if (self->n_errors != n_errors)
    {
      self->n_errors = n_errors;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ERRORS]);
    }

  gtk_stack_set_visible_child_name (self->stack, n_messages > 0 ? "list" : "empty");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "console.clear", n_messages > 0);
}

void
tessera_console_panel_add (TesseraConsolePanel *self,
                           TesseraConsoleLevel  level,
                           const char          *message,
                           const char          *source,
                           guint                line)
{
  g_autofree char *key = NULL;
  GtkWidget *row;
  ConsoleEntry *entry;

  g_return_if_fail (TESSERA_IS_CONSOLE_PANEL (self));
  g_return_if_fail (message != NULL);

  if (source == NULL)
    source = "";

  key = make_key (level, message, source, line);
  row = g_hash_table_lookup (self->rows, key);

  if (row != NULL)
    {
      entry = g_object_get_data (G_OBJECT (row), "tessera-console-entry");
      entry->count++;
      update_count_label (entry);
    }
  else
    {
      if (g_queue_get_length (&self->order) >= MAX_ENTRIES)
        {
          GtkWidget *oldest = g_queue_pop_head (&self->order);
          ConsoleEntry *old_entry = g_object_get_data (G_OBJECT (oldest), "tessera-console-entry");

          g_hash_table_remove (self->rows, old_entry->key);
          gtk_list_box_remove (self->list_box, oldest);
        }

      entry = g_new0 (ConsoleEntry, 1);
      entry->level = level;
      entry->message = g_strdup (message);
      entry->source = g_strdup (source);
      entry->line = line;
      entry->count = 1;
      entry->key = g_steal_pointer (&key);

      row = create_row (self, entry);
      g_hash_table_insert (self->rows, entry->key, row);
      g_queue_push_tail (&self->order, row);
      gtk_list_box_append (self->list_box, row);
    }

  set_counts (self,
              self->n_messages + 1,
              self->n_errors + (level == TESSERA_CONSOLE_LEVEL_ERROR ? 1 : 0));
}

void
tessera_console_panel_clear (TesseraConsolePanel *self)
{
  GtkWidget *row;

  g_return_if_fail (TESSERA_IS_CONSOLE_PANEL (self));

  g_hash_table_remove_all (self->rows);
  while ((row = g_queue_pop_head (&self->order)))
    gtk_list_box_remove (self->list_box, row);

  set_counts (self, 0, 0);
}

guint
tessera_console_panel_get_n_messages (TesseraConsolePanel *self)
{
  g_return_val_if_fail (TESSERA_IS_CONSOLE_PANEL (self), 0);

  return self->n_messages;
}

guint
tessera_console_panel_get_n_errors (TesseraConsolePanel *self)
{
  g_return_val_if_fail (TESSERA_IS_CONSOLE_PANEL (self), 0);

  return self->n_errors;
}

guint
tessera_console_panel_get_n_entries (TesseraConsolePanel *self)
{
  g_return_val_if_fail (TESSERA_IS_CONSOLE_PANEL (self), 0);

  return g_queue_get_length (&self->order);
}

static void
clear_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  tessera_console_panel_clear (TESSERA_CONSOLE_PANEL (widget));
}

static void
tessera_console_panel_dispose (GObject *object)
{
  TesseraConsolePanel *self = (TesseraConsolePanel *)object;
  GtkWidget *child;

  g_queue_clear (&self->order);
  g_clear_pointer (&self->rows, g_hash_table_unref);

  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_CONSOLE_PANEL);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (tessera_console_panel_parent_class)->dispose (object);
}

static void
tessera_console_panel_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  TesseraConsolePanel *self = TESSERA_CONSOLE_PANEL (object);

  switch (prop_id)
    {
    case PROP_N_MESSAGES:
      g_value_set_uint (value, self->n_messages);
      break;

    case PROP_N_ERRORS:
      g_value_set_uint (value, self->n_errors);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_console_panel_class_init (TesseraConsolePanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_console_panel_dispose;
  object_class->get_property = tessera_console_panel_get_property;

  properties[PROP_N_MESSAGES] =
    g_param_spec_uint ("n-messages", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ERRORS] =
    g_param_spec_uint ("n-errors", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[FIX_WITH_AI] =
    g_signal_new ("fix-with-ai",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_UINT);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/preview/tessera-console-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraConsolePanel, stack);
  gtk_widget_class_bind_template_child (widget_class, TesseraConsolePanel, list_box);

  gtk_widget_class_install_action (widget_class, "console.clear", NULL, clear_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "tessera-console-panel");
}

static void
tessera_console_panel_init (TesseraConsolePanel *self)
{
  GtkLayoutManager *layout;

  tessera_style_sheet_ensure (RESOURCE_BASE "/preview/style.css");

  gtk_widget_init_template (GTK_WIDGET (self));

  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);

  self->rows = g_hash_table_new (g_str_hash, g_str_equal);
  g_queue_init (&self->order);
  set_counts (self, 0, 0);
}

TesseraConsolePanel *
tessera_console_panel_new (void)
{
  return g_object_new (TESSERA_TYPE_CONSOLE_PANEL, NULL);
}
