/* tessera-run-panel.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-run-panel"

#include "config.h"

#include <glib/gi18n.h>
#include <vte/vte.h>

#include "tessera-style-sheet.h"
#include "tessera-run-panel.h"

/* Bounded: a chatty dev server runs for hours. */
#define SCROLLBACK_LINES 5000
#define MAX_PLAIN_TEXT (64 * 1024)
#define FIX_OUTPUT_LINES 30

struct _TesseraRunPanel
{
  GtkWidget parent_instance;

  TesseraRunner *runner;
  TesseraProcess *command;
  GCancellable *cancellable;

  /* Template children */
  GtkSpinner *spinner;
  GtkLabel *status_label;
  GtkButton *fix_button;
  GtkBox *terminal_box;
  GtkEntry *command_entry;

  VteTerminal *terminal;

  /* The output without escape sequences, for the AI and for tests. */
  GString *plain;
  /* Where the last command's output starts in @plain. */
  gsize command_start;
  char *failed_command;
  /* An escape sequence split across two chunks. */
  guint in_escape : 2;
};

G_DEFINE_FINAL_TYPE (TesseraRunPanel, tessera_run_panel, GTK_TYPE_WIDGET)

enum {
  FIX_WITH_AI,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  ESCAPE_NONE,
  ESCAPE_START,
  ESCAPE_CSI,
  ESCAPE_OSC,
};

static void
append_plain (TesseraRunPanel *self,
              const char      *data,
              gsize            length)
{
  for (gsize i = 0; i < length; i++)
    {
      guchar c = data[i];

      switch (self->in_escape)
        {
        case ESCAPE_START:
          self->in_escape = c == '[' ? ESCAPE_CSI : c == ']' ? ESCAPE_OSC : ESCAPE_NONE;
          continue;

        case ESCAPE_CSI:
          if (c >= 0x40 && c <= 0x7e)
            self->in_escape = ESCAPE_NONE;
          continue;

        case ESCAPE_OSC:
          if (c == '\a' || c == 0x1b)
            self->in_escape = ESCAPE_NONE;
          continue;

        case ESCAPE_NONE:
        default:
          break;
        }

      if (c == 0x1b)
        self->in_escape = ESCAPE_START;
      else if (c == '\n' || c == '\t' || c >= 0x20)
        g_string_append_c (self->plain, c);
    }

  if (self->plain->len > MAX_PLAIN_TEXT)
    {
      gsize cut = self->plain->len - MAX_PLAIN_TEXT / 2;

      g_string_erase (self->plain, 0, cut);
      self->command_start = self->command_start > cut ? self->command_start - cut : 0;
    }
}

void
tessera_run_panel_append (TesseraRunPanel *self,
                          const char      *data,
                          gssize           length)
{
  g_autoptr(GString) converted = NULL;

  g_return_if_fail (TESSERA_IS_RUN_PANEL (self));
  g_return_if_fail (data != NULL || length == 0);

  if (length < 0)
    length = strlen (data);
  if (length == 0)
    return;

  append_plain (self, data, length);

  /* Processes write bare newlines (there is no tty to translate them); the
   * terminal needs a carriage return too. */
  converted = g_string_sized_new (length + 16);
  for (gssize i = 0; i < length; i++)
    {
      if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
        g_string_append_c (converted, '\r');
      g_string_append_c (converted, data[i]);
    }
  vte_terminal_feed (self->terminal, converted->str, converted->len);
}

char *
tessera_run_panel_get_text (TesseraRunPanel *self)
{
  g_return_val_if_fail (TESSERA_IS_RUN_PANEL (self), NULL);

  return g_strndup (self->plain->str, self->plain->len);
}

void
tessera_run_panel_clear (TesseraRunPanel *self)
{
  g_return_if_fail (TESSERA_IS_RUN_PANEL (self));

  vte_terminal_reset (self->terminal, TRUE, TRUE);
  /* A reset keeps the screen: clear it, and hide the cursor of a terminal
   * nobody types into. */
  vte_terminal_feed (self->terminal, "\033[2J\033[H\033[?25l", -1);
  g_string_truncate (self->plain, 0);
  self->command_start = 0;
  self->in_escape = ESCAPE_NONE;
}

void
tessera_run_panel_set_status (TesseraRunPanel *self,
                              const char      *status_message,
                              gboolean         busy)
{
  g_return_if_fail (TESSERA_IS_RUN_PANEL (self));

  gtk_label_set_label (self->status_label,
                       status_message != NULL && status_message[0] != '\0'
                       ? status_message : _("Not running"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), status_message);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
}

static char *
last_lines (const char *text,
            guint       n_lines)
{
  const char *end = text + strlen (text);
  const char *p = end;
  guint seen = 0;

  while (p > text && (p[-1] == '\n' || p[-1] == ' '))
    p--;
  end = p;

  while (p > text)
    {
      if (p[-1] == '\n' && ++seen == n_lines)
        break;
      p--;
    }

  return g_strndup (p, end - p);
}

/* Called when a command the user ran has ended. */
static void
command_finished (TesseraRunPanel *self,
                  const char      *command_line,
                  int              exit_status,
                  const char      *error_message)
{
  g_autofree char *line = NULL;

  if (error_message != NULL)
    line = g_strdup_printf (_("“%s” failed: %s"), command_line, error_message);
  else if (exit_status == 0)
    line = g_strdup_printf (_("“%s” finished"), command_line);
  else
    line = g_strdup_printf (_("“%s” failed with exit status %d"), command_line, exit_status);

  tessera_run_panel_append (self, "\n\033[1m", -1);
  tessera_run_panel_append (self, line, -1);
  tessera_run_panel_append (self, "\033[0m\n", -1);

  g_clear_pointer (&self->failed_command, g_free);
  if (exit_status != 0 || error_message != NULL)
    self->failed_command = g_strdup (command_line);

  gtk_widget_set_visible (GTK_WIDGET (self->fix_button), self->failed_command != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "run.fix-with-ai", self->failed_command != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->command_entry), TRUE);
}

static void
fix_with_ai_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  TesseraRunPanel *self = TESSERA_RUN_PANEL (widget);
  g_autofree char *tail = NULL;
  g_autofree char *message = NULL;

  if (self->failed_command == NULL)
    return;

  tail = last_lines (self->plain->str + MIN (self->command_start, self->plain->len), FIX_OUTPUT_LINES);
  message = g_strdup_printf (_("The command “%s” failed:\n%s"), self->failed_command, tail);

  g_signal_emit (self, signals[FIX_WITH_AI], 0, message, self->failed_command, 0u);
}

static void
clear_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  tessera_run_panel_clear (TESSERA_RUN_PANEL (widget));
}

static void
update_colors (TesseraRunPanel *self)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  gboolean dark = adw_style_manager_get_dark (manager);
  GdkRGBA foreground;
  GdkRGBA background;

  /* libadwaita's view colours, so the log looks part of the window. */
  gdk_rgba_parse (&foreground, dark ? "#ffffff" : "#000000");
  gdk_rgba_parse (&background, dark ? "#1e1e1e" : "#ffffff");
  foreground.alpha = dark ? 1.0 : 0.8;
  vte_terminal_set_colors (self->terminal, &foreground, &background, NULL, 0);
}

static void
tessera_run_panel_dispose (GObject *object)
{
  TesseraRunPanel *self = (TesseraRunPanel *)object;
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->command);
  if (self->runner != NULL)
    g_signal_handlers_disconnect_by_data (self->runner, self);
  g_clear_object (&self->runner);

  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_RUN_PANEL);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);
  self->terminal = NULL;

  G_OBJECT_CLASS (tessera_run_panel_parent_class)->dispose (object);
}

static void
tessera_run_panel_finalize (GObject *object)
{
  TesseraRunPanel *self = (TesseraRunPanel *)object;

  g_clear_object (&self->cancellable);
  g_string_free (self->plain, TRUE);
  g_free (self->failed_command);

  G_OBJECT_CLASS (tessera_run_panel_parent_class)->finalize (object);
}

static void on_command_activate (TesseraRunPanel *self,
                                 GtkEntry        *entry);
static void stop_action         (GtkWidget       *widget,
                                 const char      *action_name,
                                 GVariant        *parameter);
static void restart_action      (GtkWidget       *widget,
                                 const char      *action_name,
                                 GVariant        *parameter);

static void
tessera_run_panel_class_init (TesseraRunPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_run_panel_dispose;
  object_class->finalize = tessera_run_panel_finalize;

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
                                               RESOURCE_BASE "/preview/tessera-run-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraRunPanel, spinner);
  gtk_widget_class_bind_template_child (widget_class, TesseraRunPanel, status_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraRunPanel, fix_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraRunPanel, terminal_box);
  gtk_widget_class_bind_template_child (widget_class, TesseraRunPanel, command_entry);
  gtk_widget_class_bind_template_callback (widget_class, on_command_activate);

  gtk_widget_class_install_action (widget_class, "run.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "run.restart", NULL, restart_action);
  gtk_widget_class_install_action (widget_class, "run.clear", NULL, clear_action);
  gtk_widget_class_install_action (widget_class, "run.fix-with-ai", NULL, fix_with_ai_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "tessera-run-panel");
}

static void
tessera_run_panel_init (TesseraRunPanel *self)
{
  g_autoptr(PangoFontDescription) font = NULL;
  GtkLayoutManager *layout;

  tessera_style_sheet_ensure (RESOURCE_BASE "/preview/style.css");

  gtk_widget_init_template (GTK_WIDGET (self));

  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);

  self->cancellable = g_cancellable_new ();
  self->plain = g_string_new (NULL);

  /* A terminal renders the colours and progress bars of npm, vite and pip
   * as they are meant to look. It only displays: there is no pty behind. */
  self->terminal = VTE_TERMINAL (vte_terminal_new ());
  gtk_widget_set_hexpand (GTK_WIDGET (self->terminal), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self->terminal), TRUE);
  vte_terminal_set_scrollback_lines (self->terminal, SCROLLBACK_LINES);
  vte_terminal_set_input_enabled (self->terminal, FALSE);
  vte_terminal_set_cursor_blink_mode (self->terminal, VTE_CURSOR_BLINK_OFF);
  vte_terminal_set_scroll_on_output (self->terminal, TRUE);
  font = pango_font_description_from_string ("Monospace 10");
  vte_terminal_set_font (self->terminal, font);
  gtk_widget_set_margin_start (GTK_WIDGET (self->terminal), 8);
  gtk_widget_set_margin_top (GTK_WIDGET (self->terminal), 4);
  vte_terminal_feed (self->terminal, "\033[?25l", -1);
  gtk_box_append (self->terminal_box, GTK_WIDGET (self->terminal));

  update_colors (self);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (update_colors), self, G_CONNECT_SWAPPED);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "run.fix-with-ai", FALSE);
  tessera_run_panel_set_runner (self, NULL);
}

TesseraRunPanel *
tessera_run_panel_new (void)
{
  return g_object_new (TESSERA_TYPE_RUN_PANEL, NULL);
}

/* Runner following */

static void
sync_status (TesseraRunPanel *self)
{
  TesseraRunnerState state;

  if (self->runner == NULL)
    {
      tessera_run_panel_set_status (self, NULL, FALSE);
      return;
    }

  state = tessera_runner_get_state (self->runner);
  tessera_run_panel_set_status (self,
                                tessera_runner_get_status_message (self->runner),
                                state == TESSERA_RUNNER_INSTALLING || state == TESSERA_RUNNER_STARTING);
}

static void
on_runner_output (TesseraRunPanel      *self,
                  TesseraProcessStream  stream,
                  const char           *text,
                  TesseraRunner        *runner)
{
  tessera_run_panel_append (self, text, -1);
}

typedef struct
{
  TesseraRunPanel *self;
  char *command_line;
} CommandData;

static void
command_data_free (CommandData *data)
{
  g_clear_object (&data->self);
  g_free (data->command_line);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CommandData, command_data_free)

static void
on_command_exited (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(CommandData) data = user_data;
  TesseraProcess *process = TESSERA_PROCESS (object);
  g_autoptr(GError) error = NULL;
  int exit_status = 0;

  if (!tessera_process_wait_finish (process, result, &exit_status, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      command_finished (data->self, data->command_line, -1, error->message);
    }
  else
    {
      command_finished (data->self, data->command_line, exit_status,
                        tessera_process_get_error_message (process));
    }

  if (data->self->command == process)
    g_clear_object (&data->self->command);
}

static void
on_command_started (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(CommandData) data = user_data;
  g_autoptr(TesseraProcess) process = NULL;
  g_autoptr(GError) error = NULL;
  TesseraRunPanel *self = data->self;

  process = tessera_runner_run_command_finish (TESSERA_RUNNER (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (process == NULL)
    {
      command_finished (self, data->command_line, -1, error->message);
      return;
    }

  g_set_object (&self->command, process);
  tessera_process_wait_async (process, self->cancellable, on_command_exited,
                              g_steal_pointer (&data));
}

static void
on_command_activate (TesseraRunPanel *self,
                     GtkEntry        *entry)
{
  CommandData *data;
  g_autofree char *command_line = NULL;

  command_line = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));
  if (command_line[0] == '\0' || self->runner == NULL || self->command != NULL)
    return;

  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  gtk_widget_set_sensitive (GTK_WIDGET (entry), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->fix_button), FALSE);
  self->command_start = self->plain->len;

  data = g_new0 (CommandData, 1);
  data->self = g_object_ref (self);
  data->command_line = g_steal_pointer (&command_line);
  tessera_runner_run_command_async (self->runner, data->command_line, self->cancellable,
                                    on_command_started, data);
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  TesseraRunPanel *self = TESSERA_RUN_PANEL (widget);

  /* A running command goes first; the app only when none is running. */
  if (self->command != NULL && tessera_process_get_running (self->command))
    tessera_process_kill (self->command);
  else if (self->runner != NULL)
    tessera_runner_stop (self->runner);
}

static void
restart_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  TesseraRunPanel *self = TESSERA_RUN_PANEL (widget);

  if (self->runner != NULL)
    tessera_runner_restart (self->runner);
}

void
tessera_run_panel_set_runner (TesseraRunPanel *self,
                              TesseraRunner   *runner)
{
  g_return_if_fail (TESSERA_IS_RUN_PANEL (self));
  g_return_if_fail (runner == NULL || TESSERA_IS_RUNNER (runner));

  if (self->runner != NULL && runner == self->runner)
    return;

  if (self->runner != NULL)
    g_signal_handlers_disconnect_by_data (self->runner, self);
  g_set_object (&self->runner, runner);
  if (self->command != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      self->cancellable = g_cancellable_new ();
      g_clear_object (&self->command);
    }

  if (self->terminal != NULL)
    tessera_run_panel_clear (self);

  if (self->runner != NULL)
    {
      const char *log = tessera_runner_get_log (self->runner);

      /* The panel may open after the app started: show what was said. */
      if (log != NULL)
        tessera_run_panel_append (self, log, -1);

      g_signal_connect_object (self->runner, "notify::status-message",
                               G_CALLBACK (sync_status), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->runner, "notify::state",
                               G_CALLBACK (sync_status), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->runner, "output",
                               G_CALLBACK (on_runner_output), self, G_CONNECT_SWAPPED);
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "run.stop", self->runner != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "run.restart", self->runner != NULL);
  if (self->command_entry != NULL)
    gtk_widget_set_sensitive (GTK_WIDGET (self->command_entry), self->runner != NULL);
  if (self->status_label != NULL)
    sync_status (self);
}

TesseraRunner *
tessera_run_panel_get_runner (TesseraRunPanel *self)
{
  g_return_val_if_fail (TESSERA_IS_RUN_PANEL (self), NULL);

  return self->runner;
}
