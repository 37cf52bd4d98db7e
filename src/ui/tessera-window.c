/* tessera-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-window"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-chat-pane.h"
#include "tessera-e2b-sandbox.h"
#include "tessera-editor-panel.h"
#include "tessera-new-project-dialog.h"
#include "tessera-preview-pane.h"
#include "tessera-project-settings-dialog.h"
#include "tessera-run-panel.h"
#include "tessera-sandbox-status.h"
#include "tessera-start-page.h"
#include "tessera-ui-util.h"
#include "tessera-window.h"
#include "tessera-workspace.h"

struct _TesseraWindow
{
  AdwApplicationWindow  parent_instance;

  GSettings            *settings;
  GCancellable         *cancellable;
  TesseraProject       *project;
  TesseraWorkspace     *workspace;
  /* The root being opened, or of the open project. */
  GFile                *root;
  char                 *pending_prompt;

  AdwToastOverlay      *toast_overlay;
  AdwWindowTitle       *window_title;
  GtkStack             *stack;
  TesseraStartPage     *start_page;
  GtkSpinner           *loading_spinner;
  GtkPaned             *outer_paned;
  GtkPaned             *inner_paned;
  GtkPaned             *editor_paned;
  AdwBin               *chat_area;
  AdwBin               *editor_area;
  AdwBin               *run_area;
  AdwBin               *preview_area;
  GtkToggleButton      *chat_toggle;
  GtkToggleButton      *preview_toggle;
  GtkToggleButton      *run_toggle;
  TesseraSandboxStatus *sandbox_status;

  /* The panes of the open project. */
  TesseraChatPane      *chat_pane;
  TesseraEditorPanel   *editor_panel;
  TesseraRunPanel      *run_panel;
  TesseraPreviewPane   *preview_pane;

  /* Opening a missing folder creates the project (tessera --prompt). */
  guint                 create_missing : 1;
  guint                 edits_confirmed : 1;
  guint                 conversation_confirmed : 1;
};

G_DEFINE_FINAL_TYPE (TesseraWindow, tessera_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_PROJECT,
  PROP_PICKING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

TesseraProject *
tessera_window_get_project (TesseraWindow *self)
{
  g_return_val_if_fail (TESSERA_IS_WINDOW (self), NULL);

  return self->project;
}

GFile *
tessera_window_get_root (TesseraWindow *self)
{
  g_return_val_if_fail (TESSERA_IS_WINDOW (self), NULL);

  return self->root;
}

gboolean
tessera_window_is_empty (TesseraWindow *self)
{
  g_return_val_if_fail (TESSERA_IS_WINDOW (self), FALSE);

  return self->root == NULL;
}

void
tessera_window_add_toast (TesseraWindow *self,
                          const char    *message)
{
  g_return_if_fail (TESSERA_IS_WINDOW (self));

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static void
send_pending_prompt (TesseraWindow *self)
{
  g_autofree char *prompt = NULL;

  if (self->pending_prompt == NULL || self->workspace == NULL ||
      !tessera_workspace_get_provider_ready (self->workspace))
    return;

  prompt = g_steal_pointer (&self->pending_prompt);
  tessera_chat_pane_send (self->chat_pane, prompt);
}

static void
provider_status_changed_cb (TesseraWindow *self)
{
  tessera_chat_pane_set_status (self->chat_pane, tessera_workspace_get_provider_status (self->workspace));
  send_pending_prompt (self);
}

static void
turn_undone_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TesseraWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = tessera_history_undo_last_turn_finish (TESSERA_HISTORY (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  tessera_window_add_toast (self, id != NULL ? _("The AI’s last changes were undone.") : error->message);
}

static void
undo_turn_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);

  if (self->workspace == NULL || tessera_session_get_busy (tessera_workspace_get_session (self->workspace)))
    return;

  tessera_history_undo_last_turn_async (tessera_workspace_get_history (self->workspace), self->cancellable,
                                        turn_undone_cb, g_object_ref (self));
}

static void
chat_undo_turn_cb (TesseraWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.undo-turn", NULL);
}

static void
chat_open_file_cb (TesseraWindow *self,
                   const char    *path)
{
  tessera_editor_panel_open_file (self->editor_panel, path);
}

static void show_area (TesseraWindow *self,
                       AdwBin        *area,
                       const char    *key,
                       gboolean       visible);

static void
preview_picking_cb (TesseraWindow *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PICKING]);
}

/* The next message is about the element picked in the preview. */
static void
element_picked_cb (TesseraWindow *self,
                   const char    *selector,
                   const char    *html)
{
  show_area (self, self->chat_area, "show-chat", TRUE);
  tessera_chat_pane_set_element (self->chat_pane, selector, html);
}

static void
fix_with_ai_cb (TesseraWindow *self,
                const char    *message,
                const char    *source,
                guint          line)
{
  show_area (self, self->chat_area, "show-chat", TRUE);
  tessera_chat_pane_fix (self->chat_pane, message, source, line);
}

/* A file the AI writes streams into its editor tab as it arrives. Edits
 * are applied whole at the end; the editor reloads them from disk. */
static void
action_begin_cb (TesseraWindow      *self,
                 TesseraChatMessage *message,
                 TesseraAction      *action)
{
  if (tessera_action_get_kind (action) == TESSERA_ACTION_WRITE && tessera_action_get_path (action) != NULL)
    tessera_editor_panel_stream_begin (self->editor_panel, tessera_action_get_path (action));
}

static void
action_delta_cb (TesseraWindow      *self,
                 TesseraChatMessage *message,
                 TesseraAction      *action,
                 const char         *chunk,
                 gsize               len)
{
  if (tessera_action_get_kind (action) == TESSERA_ACTION_WRITE && tessera_action_get_path (action) != NULL)
    tessera_editor_panel_stream_append (self->editor_panel, tessera_action_get_path (action), chunk, len);
}

static void
action_end_cb (TesseraWindow      *self,
               TesseraChatMessage *message,
               TesseraAction      *action)
{
  if (tessera_action_get_kind (action) == TESSERA_ACTION_WRITE && tessera_action_get_path (action) != NULL)
    tessera_editor_panel_stream_end (self->editor_panel, tessera_action_get_path (action),
                                     tessera_action_get_status (action) == TESSERA_ACTION_APPLIED);
}

static void
workspace_started_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(TesseraWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_workspace_start_finish (TESSERA_WORKSPACE (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    tessera_window_add_toast (self, error->message);
}

/* The preview shows the app once the turn has written it, not each
 * half-written state on the way. */
static void
session_busy_cb (TesseraWindow *self)
{
  tessera_preview_pane_set_held (self->preview_pane,
                                 tessera_session_get_busy (tessera_workspace_get_session (self->workspace)));
}

/* The cloud sandbox's static server does not reload the page itself. */
static void
e2b_synced_cb (TesseraWindow *self)
{
  /* Held, the pane reloads when the turn ends. */
  if (!tessera_preview_pane_get_held (self->preview_pane))
    gtk_widget_activate_action (GTK_WIDGET (self->preview_pane), "preview.reload", NULL);
}

static void
settings_provider_changed_cb (TesseraWindow *self)
{
  if (self->workspace != NULL)
    tessera_workspace_reload_provider (self->workspace);
}

/* Connects the panes to @workspace, replacing the one before (after the
 * project settings changed where or how the app runs). */
static void
attach_workspace (TesseraWindow    *self,
                  TesseraWorkspace *workspace)
{
  TesseraSession *session = tessera_workspace_get_session (workspace);
  TesseraRunner *runner = tessera_workspace_get_runner (workspace);
  TesseraSandbox *sandbox = tessera_workspace_get_sandbox (workspace);

  if (self->workspace != NULL)
    {
      g_signal_handlers_disconnect_by_data (tessera_workspace_get_session (self->workspace), self);
      g_signal_handlers_disconnect_by_data (self->workspace, self);
      tessera_workspace_shutdown (self->workspace);
      g_clear_object (&self->workspace);
    }
  self->workspace = g_object_ref (workspace);

  tessera_chat_pane_set_session (self->chat_pane, session);
  tessera_run_panel_set_runner (self->run_panel, runner);
  tessera_preview_pane_set_runner (self->preview_pane, runner);
  tessera_sandbox_status_set_sandbox (self->sandbox_status, sandbox);

  g_signal_connect_object (session, "action-begin", G_CALLBACK (action_begin_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "action-delta", G_CALLBACK (action_delta_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "action-end", G_CALLBACK (action_end_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "notify::busy", G_CALLBACK (session_busy_cb), self, G_CONNECT_SWAPPED);
  session_busy_cb (self);
  g_signal_connect_object (workspace, "notify::provider-status",
                           G_CALLBACK (provider_status_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (workspace, "notify::provider-ready",
                           G_CALLBACK (provider_status_changed_cb), self, G_CONNECT_SWAPPED);
  if (TESSERA_IS_E2B_SANDBOX (sandbox))
    g_signal_connect_object (tessera_e2b_sandbox_get_sync (TESSERA_E2B_SANDBOX (sandbox)),
                             "synced", G_CALLBACK (e2b_synced_cb), self, G_CONNECT_SWAPPED);

  tessera_workspace_start_async (workspace, self->cancellable, workspace_started_cb, g_object_ref (self));
  provider_status_changed_cb (self);
}

/* Fills the panes for the open project: each area is a widget of its own,
 * and the workspace puts the project's sandbox, app and AI together. */
static void
build_workspace (TesseraWindow *self)
{
  g_autoptr(TesseraWorkspace) workspace = NULL;

  self->chat_pane = TESSERA_CHAT_PANE (tessera_chat_pane_new ());
  self->editor_panel = tessera_editor_panel_new (self->project);
  self->run_panel = tessera_run_panel_new ();
  self->preview_pane = tessera_preview_pane_new (self->project);

  adw_bin_set_child (self->chat_area, GTK_WIDGET (self->chat_pane));
  adw_bin_set_child (self->editor_area, GTK_WIDGET (self->editor_panel));
  adw_bin_set_child (self->run_area, GTK_WIDGET (self->run_panel));
  adw_bin_set_child (self->preview_area, GTK_WIDGET (self->preview_pane));

  g_signal_connect_object (self->chat_pane, "open-file", G_CALLBACK (chat_open_file_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->chat_pane, "undo-turn", G_CALLBACK (chat_undo_turn_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->preview_pane, "fix-with-ai", G_CALLBACK (fix_with_ai_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->preview_pane, "element-picked", G_CALLBACK (element_picked_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->preview_pane, "notify::picking", G_CALLBACK (preview_picking_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->run_panel, "fix-with-ai", G_CALLBACK (fix_with_ai_cb), self, G_CONNECT_SWAPPED);
  for (guint i = 0; i < 3; i++)
    {
      static const char *keys[] = { "changed::default-provider", "changed::default-model",
                                    "changed::default-base-url" };
      g_signal_connect_object (self->settings, keys[i], G_CALLBACK (settings_provider_changed_cb),
                               self, G_CONNECT_SWAPPED);
    }

  workspace = tessera_workspace_new (self->project, self->settings);
  attach_workspace (self, workspace);
  gtk_widget_grab_focus (GTK_WIDGET (tessera_chat_pane_get_prompt_view (self->chat_pane)));
}

/* The project settings that decide how the app runs: when one of them
 * changed, the workspace is made anew; the AI's only need a new lookup. */
static const char *sandbox_settings[] = {
  "sandbox", "network", "allow-unsandboxed", "run-command", "e2b-template",
};
static const char *ai_settings[] = {
  "ai-provider", "ai-model", "ai-base-url",
};

static char *
settings_fingerprint (TesseraProject *project,
                      const char    **keys,
                      guint           n_keys)
{
  GString *fingerprint = g_string_new (NULL);

  for (guint i = 0; i < n_keys; i++)
    {
      const char *value = tessera_project_get_setting (project, keys[i]);

      g_string_append_printf (fingerprint, "%s=%s\n", keys[i], value ? value : "");
    }

  return g_string_free (fingerprint, FALSE);
}

static void
project_settings_closed_cb (TesseraWindow *self,
                            GtkWidget     *dialog)
{
  g_autofree char *sandbox_before = g_object_steal_data (G_OBJECT (dialog), "sandbox-settings");
  g_autofree char *ai_before = g_object_steal_data (G_OBJECT (dialog), "ai-settings");
  g_autofree char *sandbox_after = NULL;
  g_autofree char *ai_after = NULL;

  if (self->project == NULL || self->workspace == NULL)
    return;

  sandbox_after = settings_fingerprint (self->project, sandbox_settings, G_N_ELEMENTS (sandbox_settings));
  ai_after = settings_fingerprint (self->project, ai_settings, G_N_ELEMENTS (ai_settings));

  if (g_strcmp0 (sandbox_before, sandbox_after) != 0)
    {
      g_autoptr(TesseraWorkspace) workspace = tessera_workspace_new (self->project, self->settings);

      attach_workspace (self, workspace);
      tessera_window_add_toast (self, _("The app restarts with the new settings."));
    }
  else if (g_strcmp0 (ai_before, ai_after) != 0)
    tessera_workspace_reload_provider (self->workspace);
}

static void
project_settings_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);
  TesseraProjectSettingsDialog *dialog;

  if (self->project == NULL)
    return;

  dialog = tessera_project_settings_dialog_new (GTK_WINDOW (self), self->project);
  g_object_set_data_full (G_OBJECT (dialog), "sandbox-settings",
                          settings_fingerprint (self->project, sandbox_settings, G_N_ELEMENTS (sandbox_settings)),
                          g_free);
  g_object_set_data_full (G_OBJECT (dialog), "ai-settings",
                          settings_fingerprint (self->project, ai_settings, G_N_ELEMENTS (ai_settings)),
                          g_free);
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (project_settings_closed_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
set_pane_toggles_visible (TesseraWindow *self,
                          gboolean       visible)
{
  gtk_widget_set_visible (GTK_WIDGET (self->chat_toggle), visible);
  gtk_widget_set_visible (GTK_WIDGET (self->preview_toggle), visible);
  gtk_widget_set_visible (GTK_WIDGET (self->run_toggle), visible);
  gtk_widget_set_visible (GTK_WIDGET (self->sandbox_status), visible);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.project-settings", visible);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.undo-turn", visible);
}

static void
show_error_dialog (TesseraWindow *self,
                   const char    *heading,
                   const char    *body)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Opening failed: the start page again, and why. */
static void
back_to_start (TesseraWindow *self,
               const char    *heading,
               const char    *message)
{
  g_clear_object (&self->root);
  gtk_stack_set_visible_child_name (self->stack, "start");
  show_error_dialog (self, heading, message);
}

static void project_created_cb (GObject      *source,
                                GAsyncResult *result,
                                gpointer      user_data);

static void
project_opened_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TesseraWindow) self = user_data;
  g_autoptr(TesseraProject) project = NULL;
  g_autoptr(GError) error = NULL;
  TesseraApplication *app;

  project = tessera_project_open_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (self->create_missing &&
      g_error_matches (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_NOT_FOUND))
    {
      g_autoptr(GFile) parent = g_file_get_parent (self->root);
      g_autofree char *name = g_file_get_basename (self->root);

      self->create_missing = FALSE;
      tessera_project_create_async (parent, name, self->cancellable,
                                    project_created_cb, g_object_ref (self));
      return;
    }

  gtk_spinner_stop (self->loading_spinner);

  if (project == NULL)
    {
      back_to_start (self, _("Could Not Open Project"), error->message);
      return;
    }

  g_set_object (&self->project, project);
  g_set_object (&self->root, tessera_project_get_root (project));

  app = TESSERA_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  if (app != NULL)
    tessera_application_add_recent (app, self->root);

  adw_window_title_set_title (self->window_title, tessera_project_get_name (project));
  {
    g_autofree char *path = g_file_get_path (self->root);
    g_autofree char *display = path ? tessera_ui_display_path (path) : NULL;

    adw_window_title_set_subtitle (self->window_title, display);
  }
  gtk_window_set_title (GTK_WINDOW (self), tessera_project_get_name (project));

  build_workspace (self);
  set_pane_toggles_visible (self, TRUE);
  gtk_stack_set_visible_child_name (self->stack, "workspace");

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

static void
project_created_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TesseraWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraProject) project = tessera_project_create_finish (result, &error);

  if (project == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      gtk_spinner_stop (self->loading_spinner);
      back_to_start (self, _("Could Not Create Project"), error->message);
      return;
    }

  /* Go through the normal open path so both end the same way. */
  tessera_project_open_async (tessera_project_get_root (project), self->cancellable,
                              project_opened_cb, g_object_ref (self));
}

void
tessera_window_open_project (TesseraWindow *self,
                             GFile         *location,
                             gboolean       create_missing)
{
  gboolean is_manifest;

  g_return_if_fail (TESSERA_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (location));
  g_return_if_fail (self->root == NULL);

  self->root = tessera_ui_project_root_for (location);
  is_manifest = !g_file_equal (self->root, location);
  self->create_missing = create_missing && !is_manifest;

  gtk_stack_set_visible_child_name (self->stack, "loading");
  gtk_spinner_start (self->loading_spinner);

  tessera_project_open_async (location, self->cancellable, project_opened_cb, g_object_ref (self));
}

void
tessera_window_queue_prompt (TesseraWindow *self,
                             const char    *prompt)
{
  g_return_if_fail (TESSERA_IS_WINDOW (self));

  g_free (self->pending_prompt);
  self->pending_prompt = g_strdup (prompt);
  send_pending_prompt (self);
}

/* A folder name from the first words of a prompt: "Create a todo app!" →
 * "create-a-todo-app". */
static char *
slug_from_prompt (const char *prompt)
{
  g_autofree char *ascii = g_str_to_ascii (prompt, NULL);
  GString *slug = g_string_new (NULL);
  gboolean dash = FALSE;

  for (const char *c = ascii; *c != '\0' && slug->len < 40; c++)
    {
      if (g_ascii_isalnum (*c))
        {
          if (dash && slug->len > 0)
            g_string_append_c (slug, '-');
          g_string_append_c (slug, g_ascii_tolower (*c));
          dash = FALSE;
        }
      else
        dash = TRUE;
    }

  if (slug->len == 0)
    g_string_append (slug, "new-app");

  return g_string_free (slug, FALSE);
}

/* Finds a folder for a new project in ~/Projects that holds nothing yet;
 * in a thread, since it touches the disk. */
static void
pick_project_folder_thread (GTask        *task,
                            gpointer      source_object,
                            gpointer      task_data,
                            GCancellable *cancellable)
{
  const char *slug = task_data;
  g_autoptr(GFile) parent = g_file_new_build_filename (g_get_home_dir (), "Projects", NULL);
  g_autoptr(GFile) location = g_file_get_child (parent, slug);
  g_autoptr(GError) error = NULL;

  if (!g_file_make_directory_with_parents (parent, cancellable, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Never reuse a folder that holds something else. */
  for (guint i = 2; g_file_query_exists (location, cancellable); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%u", slug, i);

      g_object_unref (location);
      location = g_file_get_child (parent, name);
    }

  g_task_return_pointer (task, g_steal_pointer (&location), g_object_unref);
}

static void
project_folder_picked_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  TesseraWindow *self = TESSERA_WINDOW (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) location = g_task_propagate_pointer (G_TASK (result), &error);

  if (location == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_dialog (self, _("Could Not Create Project"), error->message);
      return;
    }

  if (self->root == NULL)
    tessera_window_open_project (self, location, TRUE);
}

void
tessera_window_new_project_from_prompt (TesseraWindow *self,
                                        const char    *prompt)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TESSERA_IS_WINDOW (self));

  tessera_window_queue_prompt (self, prompt);

  task = g_task_new (self, self->cancellable, project_folder_picked_cb, NULL);
  g_task_set_source_tag (task, tessera_window_new_project_from_prompt);
  g_task_set_task_data (task, slug_from_prompt (prompt), g_free);
  g_task_run_in_thread (task, pick_project_folder_thread);
}

static void
prompt_dialog_response_cb (AdwMessageDialog *dialog,
                           const char       *response,
                           TesseraWindow    *self)
{
  GtkWidget *entry = adw_message_dialog_get_extra_child (dialog);
  g_autofree char *prompt = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));

  if (g_strcmp0 (response, "create") == 0 && prompt[0] != '\0')
    tessera_window_new_project_from_prompt (self, prompt);
}

static void
prompt_entry_changed_cb (GtkEditable      *entry,
                         AdwMessageDialog *dialog)
{
  g_autofree char *prompt = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  adw_message_dialog_set_response_enabled (dialog, "create", prompt[0] != '\0');
}

void
tessera_window_ask_for_prompt (TesseraWindow *self)
{
  GtkWidget *dialog;
  GtkWidget *entry;

  g_return_if_fail (TESSERA_IS_WINDOW (self));

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("New App from Prompt"),
                                   _("Describe the app you want. Tessera creates a project for it in your Projects folder."));
  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("A to-do list that remembers its items"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Describe the app"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "create", _("C_reate"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "create", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "create");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "create", FALSE);
  g_signal_connect (entry, "changed", G_CALLBACK (prompt_entry_changed_cb), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (prompt_dialog_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
new_project_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);
  TesseraNewProjectDialog *dialog = tessera_new_project_dialog_new (GTK_WINDOW (self));

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
open_chooser_response_cb (GtkNativeDialog *chooser,
                          int              response,
                          gpointer         user_data)
{
  TesseraWindow *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      TesseraApplication *app = TESSERA_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

      tessera_application_open_project (app, file, NULL);
    }

  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

/* GtkFileDialog needs GTK 4.10; Debian 12 has 4.8, so the native chooser
 * (portal-backed inside Flatpak) it is. */
static void
show_open_chooser (TesseraWindow        *self,
                   GtkFileChooserAction  action)
{
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (action == GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                           ? _("Open Project Folder")
                                           : _("Open Project File"),
                                         GTK_WINDOW (self), action, _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);

  if (action == GTK_FILE_CHOOSER_ACTION_OPEN)
    {
      g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, _("Tessera Projects"));
      gtk_file_filter_add_mime_type (filter, "application/x-tessera-project");
      gtk_file_filter_add_suffix (filter, "tessera");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
    }

  g_signal_connect (chooser, "response", G_CALLBACK (open_chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
open_project_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  show_open_chooser (TESSERA_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
}

static void
open_project_file_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  show_open_chooser (TESSERA_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
open_recent_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);
  g_autoptr(GFile) file = g_file_new_for_path (g_variant_get_string (param, NULL));
  TesseraApplication *app = TESSERA_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

  tessera_application_open_project (app, file, NULL);
}

static void
remove_recent_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  TesseraApplication *app = TESSERA_APPLICATION (gtk_window_get_application (GTK_WINDOW (widget)));

  tessera_application_remove_recent (app, g_variant_get_string (param, NULL));
}

static void
update_toggles (TesseraWindow *self)
{
  gtk_toggle_button_set_active (self->chat_toggle, gtk_widget_get_visible (GTK_WIDGET (self->chat_area)));
  gtk_toggle_button_set_active (self->preview_toggle, gtk_widget_get_visible (GTK_WIDGET (self->preview_area)));
  gtk_toggle_button_set_active (self->run_toggle, gtk_widget_get_visible (GTK_WIDGET (self->run_area)));
}

/* Shows or hides one of the window's areas, as its toggle does. */
static void
show_area (TesseraWindow *self,
           AdwBin        *area,
           const char    *key,
           gboolean       visible)
{
  gtk_widget_set_visible (GTK_WIDGET (area), visible);
  g_settings_set_boolean (self->settings, key, visible);
  update_toggles (self);
}

static void
toggle_area (TesseraWindow *self,
             AdwBin        *area,
             const char    *key)
{
  show_area (self, area, key, !gtk_widget_get_visible (GTK_WIDGET (area)));
}

static void
toggle_chat_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);

  toggle_area (self, self->chat_area, "show-chat");
}

static void
toggle_preview_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);

  toggle_area (self, self->preview_area, "show-preview");
}

static void
toggle_run_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);

  toggle_area (self, self->run_area, "show-run");
}

static void
close_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  gtk_window_close (GTK_WINDOW (widget));
}

static void
save_window_state (TesseraWindow *self)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));

  if (self->project != NULL)
    {
      g_settings_set_int (self->settings, "chat-pane-position", gtk_paned_get_position (self->outer_paned));
      /* The preview is the end child: store its width, which survives a
       * change of window size better than the handle's offset. */
      g_settings_set_int (self->settings, "preview-pane-position",
                          gtk_widget_get_width (GTK_WIDGET (self->inner_paned)) -
                          gtk_paned_get_position (self->inner_paned));
      g_settings_set_int (self->settings, "run-pane-position",
                          gtk_widget_get_height (GTK_WIDGET (self->editor_paned)) -
                          gtk_paned_get_position (self->editor_paned));
    }
}

/* The inner panes can only be positioned once they know their size. */
static void
restore_pane_positions (TesseraWindow *self)
{
  int inner_width = gtk_widget_get_width (GTK_WIDGET (self->inner_paned));
  int editor_height = gtk_widget_get_height (GTK_WIDGET (self->editor_paned));
  int preview_width = g_settings_get_int (self->settings, "preview-pane-position");
  int run_height = g_settings_get_int (self->settings, "run-pane-position");

  if (inner_width > 0 && preview_width > 0)
    gtk_paned_set_position (self->inner_paned, MAX (280, inner_width - preview_width));
  if (editor_height > 0 && run_height > 0)
    gtk_paned_set_position (self->editor_paned, MAX (120, editor_height - run_height));
}

static gboolean
restore_pane_positions_cb (gpointer user_data)
{
  restore_pane_positions (user_data);
  return G_SOURCE_REMOVE;
}

static void
inner_paned_mapped_cb (TesseraWindow *self)
{
  /* Wait for the first allocation; at default priority, so that a busy
   * redraw cannot postpone it indefinitely. */
  g_idle_add_full (G_PRIORITY_DEFAULT, G_SOURCE_FUNC (restore_pane_positions_cb),
                   g_object_ref (self), g_object_unref);
}

static void
editor_closed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TesseraWindow) self = user_data;

  if (tessera_editor_panel_close_finish (TESSERA_EDITOR_PANEL (object), result, NULL))
    {
      self->edits_confirmed = TRUE;
      gtk_window_close (GTK_WINDOW (self));
    }
}

static void
chat_closed_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TesseraWindow) self = user_data;

  if (tessera_chat_pane_close_finish (TESSERA_CHAT_PANE (object), result, NULL))
    {
      self->conversation_confirmed = TRUE;
      gtk_window_close (GTK_WINDOW (self));
    }
  else
    {
      /* The window stays: the next close asks about everything again. */
      self->edits_confirmed = FALSE;
    }
}

static gboolean
tessera_window_close_request (GtkWindow *window)
{
  TesseraWindow *self = TESSERA_WINDOW (window);

  /* Unsaved edits are asked about first, then a conversation that could
   * not be saved; each dialog closes the window again once the user
   * decided. */
  if (!self->edits_confirmed && self->editor_panel != NULL &&
      tessera_editor_panel_get_has_unsaved (self->editor_panel))
    {
      tessera_editor_panel_close_async (self->editor_panel, window, editor_closed_cb, g_object_ref (self));
      return GDK_EVENT_STOP;
    }
  if (!self->conversation_confirmed && self->chat_pane != NULL &&
      tessera_chat_pane_get_has_unsaved (self->chat_pane))
    {
      tessera_chat_pane_close_async (self->chat_pane, window, chat_closed_cb, g_object_ref (self));
      return GDK_EVENT_STOP;
    }

  save_window_state (self);
  g_cancellable_cancel (self->cancellable);
  if (self->workspace != NULL)
    tessera_workspace_shutdown (self->workspace);

  return GTK_WINDOW_CLASS (tessera_window_parent_class)->close_request (window);
}

static void
tessera_window_dispose (GObject *object)
{
  TesseraWindow *self = TESSERA_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  if (self->workspace != NULL)
    tessera_workspace_shutdown (self->workspace);
  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_WINDOW);
  g_clear_object (&self->workspace);

  G_OBJECT_CLASS (tessera_window_parent_class)->dispose (object);
}

static void
tessera_window_finalize (GObject *object)
{
  TesseraWindow *self = TESSERA_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->project);
  g_clear_object (&self->root);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->pending_prompt, g_free);

  G_OBJECT_CLASS (tessera_window_parent_class)->finalize (object);
}

static void
tessera_window_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TesseraWindow *self = TESSERA_WINDOW (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;

    case PROP_PICKING:
      g_value_set_boolean (value, self->preview_pane != NULL &&
                                  tessera_preview_pane_get_picking (self->preview_pane));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_window_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  TesseraWindow *self = TESSERA_WINDOW (object);

  switch (prop_id)
    {
    case PROP_PICKING:
      if (self->preview_pane == NULL)
        break;
      /* The element is picked where the app is shown. */
      if (g_value_get_boolean (value))
        show_area (self, self->preview_area, "show-preview", TRUE);
      tessera_preview_pane_set_picking (self->preview_pane, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_window_class_init (TesseraWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = tessera_window_dispose;
  object_class->finalize = tessera_window_finalize;
  object_class->get_property = tessera_window_get_property;
  object_class->set_property = tessera_window_set_property;

  window_class->close_request = tessera_window_close_request;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL,
                         TESSERA_TYPE_PROJECT,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  /* Whether the preview picks an element for the chat (win.pick-element,
   * the button beside the prompt). */
  properties[PROP_PICKING] =
    g_param_spec_boolean ("picking", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (TESSERA_TYPE_START_PAGE);
  g_type_ensure (TESSERA_TYPE_SANDBOX_STATUS);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/tessera-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, start_page);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, outer_paned);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, inner_paned);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, editor_paned);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, chat_area);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, editor_area);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, run_area);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, preview_area);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, chat_toggle);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, preview_toggle);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, run_toggle);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, sandbox_status);
  gtk_widget_class_bind_template_callback (widget_class, inner_paned_mapped_cb);

  gtk_widget_class_install_action (widget_class, "win.new-project", NULL, new_project_action);
  gtk_widget_class_install_action (widget_class, "win.open-project", NULL, open_project_action);
  gtk_widget_class_install_action (widget_class, "win.open-project-file", NULL, open_project_file_action);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent_action);
  gtk_widget_class_install_action (widget_class, "win.remove-recent", "s", remove_recent_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-chat", NULL, toggle_chat_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-preview", NULL, toggle_preview_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-run", NULL, toggle_run_action);
  gtk_widget_class_install_property_action (widget_class, "win.pick-element", "picking");
  gtk_widget_class_install_action (widget_class, "win.close", NULL, close_action);
  gtk_widget_class_install_action (widget_class, "win.project-settings", NULL, project_settings_action);
  gtk_widget_class_install_action (widget_class, "win.undo-turn", NULL, undo_turn_action);
}

static void
tessera_window_init (TesseraWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (SCHEMA_ID);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  gtk_paned_set_position (self->outer_paned, g_settings_get_int (self->settings, "chat-pane-position"));
  gtk_widget_set_visible (GTK_WIDGET (self->chat_area), g_settings_get_boolean (self->settings, "show-chat"));
  gtk_widget_set_visible (GTK_WIDGET (self->preview_area), g_settings_get_boolean (self->settings, "show-preview"));
  gtk_widget_set_visible (GTK_WIDGET (self->run_area), g_settings_get_boolean (self->settings, "show-run"));
  update_toggles (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.project-settings", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.undo-turn", FALSE);

#if DEVELOPMENT
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif
}

TesseraWindow *
tessera_window_new (TesseraApplication *application)
{
  return g_object_new (TESSERA_TYPE_WINDOW, "application", application, NULL);
}
