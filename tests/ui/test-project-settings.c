/* test-project-settings.c: the project settings dialog and the sandbox status
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "tessera-e2b-sandbox.h"
#include "tessera-e2b-test-server.h"
#include "tessera-fake-llm-server.h"
#include "tessera-llm-registry.h"
#include "tessera-local-sandbox.h"
#include "tessera-project-settings-dialog.h"
#include "tessera-sandbox-status.h"
#include "tessera-secrets.h"

#define API_KEY "e2b_test_settings_key"

/* Runs the main loop until @condition holds; fails after a generous
 * deadline instead of hanging forever. */
#define WAIT_UNTIL(condition)                                                   \
  G_STMT_START {                                                                \
    gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;            \
    while (!(condition))                                                        \
      {                                                                         \
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);                 \
        g_main_context_iteration (NULL, TRUE);                                  \
      }                                                                         \
  } G_STMT_END

typedef struct
{
  char           *tmpdir;
  TesseraProject *project;
  GFile          *root;
} Fixture;

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children = NULL;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (children != NULL)
    {
      GFileInfo *info;

      while ((info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
        {
          g_autoptr(GFileInfo) owned = info;
          g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (owned));

          remove_tree (child);
        }
    }

  g_file_delete (file, NULL, NULL);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) parent = NULL;

  f->tmpdir = g_dir_make_tmp ("test-project-settings-XXXXXX", &error);
  g_assert_no_error (error);
  parent = g_file_new_for_path (f->tmpdir);
  f->project = tessera_project_create (parent, "Demo", NULL, &error);
  g_assert_no_error (error);
  f->root = g_object_ref (tessera_project_get_root (f->project));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GFile) parent = g_file_new_for_path (f->tmpdir);

  g_clear_object (&f->project);
  g_clear_object (&f->root);
  remove_tree (parent);
  g_free (f->tmpdir);
}

static void
reopen (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_clear_object (&f->project);
  f->project = tessera_project_open (f->root, NULL, &error);
  g_assert_no_error (error);
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Lets pending layout and drawing happen. */
static void
settle (void)
{
  gboolean done = FALSE;

  g_timeout_add (100, timeout_cb, &done);
  WAIT_UNTIL (done);
}

static void
after_paint_cb (GdkFrameClock *clock,
                gboolean      *painted)
{
  *painted = TRUE;
}

static void
save_png (GtkWidget  *widget,
          const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  gboolean painted = FALSE;
  gulong handler;
  int width, height;

  settle ();
  g_assert_nonnull (clock);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &painted);
  gtk_widget_queue_draw (widget);
  WAIT_UNTIL (painted);
  g_signal_handler_disconnect (clock, handler);

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_test_build_filename (G_TEST_BUILT, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

static gpointer
child (gpointer    widget,
       GType       type,
       const char *id)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (widget), type, id);

  g_assert_nonnull (object);
  return object;
}

#define DIALOG_CHILD(dialog, id) child (dialog, TESSERA_TYPE_PROJECT_SETTINGS_DIALOG, id)
#define STATUS_CHILD(status, id) child (status, TESSERA_TYPE_SANDBOX_STATUS, id)

static guint
preset_index (const char *id)
{
  const TesseraLlmPreset *presets;
  guint n_presets = 0;

  presets = tessera_llm_presets_get (&n_presets);
  for (guint i = 0; i < n_presets; i++)
    if (g_strcmp0 (presets[i].id, id) == 0)
      return i + 1; /* after "Default (from Preferences)" */

  g_assert_not_reached ();
}

static void
destroy_dialog (TesseraProjectSettingsDialog *dialog)
{
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  gtk_window_destroy (GTK_WINDOW (dialog));
  WAIT_UNTIL (dialog == NULL);
}

static void
test_dialog_writes_manifest (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  TesseraProjectSettingsDialog *dialog;
  guint ollama = preset_index ("ollama");

  /* As if the user had agreed earlier to run without a sandbox. */
  tessera_project_set_setting (f->project, "allow-unsandboxed", "yes", &error);
  g_assert_no_error (error);

  dialog = tessera_project_settings_dialog_new (NULL, f->project);
  gtk_window_present (GTK_WINDOW (dialog));

  /* Nothing chosen yet: the application's default, this computer. */
  g_assert_cmpuint (adw_combo_row_get_selected (DIALOG_CHILD (dialog, "run_in_row")), ==, 0);
  g_assert_true (gtk_widget_get_visible (DIALOG_CHILD (dialog, "local_group")));
  g_assert_false (gtk_widget_get_visible (DIALOG_CHILD (dialog, "e2b_group")));
  g_assert_true (gtk_widget_get_visible (DIALOG_CHILD (dialog, "revoke_button")));
  g_assert_true (gtk_switch_get_active (DIALOG_CHILD (dialog, "network_switch")));
  /* Opening the dialog writes nothing. */
  g_assert_null (tessera_project_get_setting (f->project, "sandbox"));
  g_assert_null (tessera_project_get_setting (f->project, "network"));
  save_png (GTK_WIDGET (dialog), "project-settings-local.png");

  gtk_switch_set_active (DIALOG_CHILD (dialog, "network_switch"), FALSE);
  g_assert_cmpstr (tessera_project_get_setting (f->project, "network"), ==, "off");

  g_signal_emit_by_name (DIALOG_CHILD (dialog, "revoke_button"), "clicked");
  g_assert_null (tessera_project_get_setting (f->project, "allow-unsandboxed"));
  g_assert_false (gtk_widget_get_visible (DIALOG_CHILD (dialog, "revoke_button")));

  /* Run in: E2B Cloud is written at once and shows the cloud rows. */
  adw_combo_row_set_selected (DIALOG_CHILD (dialog, "run_in_row"), 1);
  g_assert_cmpstr (tessera_project_get_setting (f->project, "sandbox"), ==, "e2b");
  g_assert_false (gtk_widget_get_visible (DIALOG_CHILD (dialog, "local_group")));
  g_assert_true (gtk_widget_get_visible (DIALOG_CHILD (dialog, "e2b_group")));
  g_assert_false (gtk_widget_get_visible (DIALOG_CHILD (dialog, "custom_template_row")));

  adw_combo_row_set_selected (DIALOG_CHILD (dialog, "template_row"), 2);
  g_assert_cmpstr (tessera_project_get_setting (f->project, "e2b-template"), ==, "python");
  adw_combo_row_set_selected (DIALOG_CHILD (dialog, "template_row"), 3);
  g_assert_true (gtk_widget_get_visible (DIALOG_CHILD (dialog, "custom_template_row")));
  gtk_switch_set_active (DIALOG_CHILD (dialog, "pin_switch"), TRUE);
  g_assert_cmpstr (tessera_project_get_setting (f->project, "e2b-pin"), ==, "yes");
  gtk_switch_set_active (DIALOG_CHILD (dialog, "keep_alive_switch"), FALSE);
  g_assert_cmpstr (tessera_project_get_setting (f->project, "e2b-keep-alive"), ==, "no");

  /* Typing is written once it pauses... */
  gtk_editable_set_text (DIALOG_CHILD (dialog, "command_row"), "  npm run serve ");
  WAIT_UNTIL (tessera_project_get_setting (f->project, "run-command") != NULL);
  g_assert_cmpstr (tessera_project_get_setting (f->project, "run-command"), ==, "npm run serve");
  save_png (GTK_WIDGET (dialog), "project-settings-e2b.png");

  /* ...and at the latest when the window closes. */
  gtk_editable_set_text (DIALOG_CHILD (dialog, "custom_template_row"), "team/my-template");

  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (dialog), "ai");
  g_assert_false (gtk_widget_get_visible (DIALOG_CHILD (dialog, "base_url_row")));
  adw_combo_row_set_selected (DIALOG_CHILD (dialog, "provider_row"), ollama);
  g_assert_cmpstr (tessera_project_get_setting (f->project, "ai-provider"), ==, "ollama");
  g_assert_true (gtk_widget_get_visible (DIALOG_CHILD (dialog, "base_url_row")));
  gtk_editable_set_text (DIALOG_CHILD (dialog, "model_row"), "qwen2.5-coder:7b");
  gtk_editable_set_text (DIALOG_CHILD (dialog, "base_url_row"), "http://127.0.0.1:11435/v1");
  save_png (GTK_WIDGET (dialog), "project-settings-ai.png");

  destroy_dialog (dialog);

  /* What is on disk, as the next session reads it. */
  reopen (f);
  g_assert_cmpstr (tessera_project_get_setting (f->project, "sandbox"), ==, "e2b");
  g_assert_cmpstr (tessera_project_get_setting (f->project, "run-command"), ==, "npm run serve");
  g_assert_cmpstr (tessera_project_get_setting (f->project, "e2b-template"), ==, "team/my-template");
  g_assert_cmpstr (tessera_project_get_setting (f->project, "e2b-pin"), ==, "yes");
  g_assert_cmpstr (tessera_project_get_setting (f->project, "e2b-keep-alive"), ==, "no");
  g_assert_cmpstr (tessera_project_get_setting (f->project, "network"), ==, "off");
  g_assert_null (tessera_project_get_setting (f->project, "allow-unsandboxed"));
  g_assert_cmpstr (tessera_project_get_setting (f->project, "ai-provider"), ==, "ollama");
  g_assert_cmpstr (tessera_project_get_setting (f->project, "ai-model"), ==, "qwen2.5-coder:7b");
  g_assert_cmpstr (tessera_project_get_setting (f->project, "ai-base-url"), ==, "http://127.0.0.1:11435/v1");

  /* A new dialog shows what the manifest holds. */
  dialog = tessera_project_settings_dialog_new (NULL, f->project);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_cmpuint (adw_combo_row_get_selected (DIALOG_CHILD (dialog, "run_in_row")), ==, 1);
  g_assert_cmpuint (adw_combo_row_get_selected (DIALOG_CHILD (dialog, "template_row")), ==, 3);
  g_assert_cmpstr (gtk_editable_get_text (DIALOG_CHILD (dialog, "custom_template_row")), ==, "team/my-template");
  g_assert_cmpstr (gtk_editable_get_text (DIALOG_CHILD (dialog, "command_row")), ==, "npm run serve");
  g_assert_true (gtk_switch_get_active (DIALOG_CHILD (dialog, "pin_switch")));
  g_assert_false (gtk_switch_get_active (DIALOG_CHILD (dialog, "keep_alive_switch")));
  g_assert_cmpuint (adw_combo_row_get_selected (DIALOG_CHILD (dialog, "provider_row")), ==, ollama);
  g_assert_cmpstr (gtk_editable_get_text (DIALOG_CHILD (dialog, "model_row")), ==, "qwen2.5-coder:7b");

  /* Another provider: the model and address belonged to the old one. */
  adw_combo_row_set_selected (DIALOG_CHILD (dialog, "provider_row"), 0);
  g_assert_null (tessera_project_get_setting (f->project, "ai-provider"));
  g_assert_null (tessera_project_get_setting (f->project, "ai-model"));
  g_assert_null (tessera_project_get_setting (f->project, "ai-base-url"));
  g_assert_false (gtk_widget_get_visible (DIALOG_CHILD (dialog, "base_url_row")));

  /* Dark, and as narrow as a phone. */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gtk_window_set_default_size (GTK_WINDOW (dialog), 360, 640);
  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (dialog), "run");
  save_png (GTK_WIDGET (dialog), "project-settings-dark-narrow.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  destroy_dialog (dialog);
}

static void
test_dialog_lists_models (Fixture       *f,
                          gconstpointer  data)
{
  static const char * const models[] = { "coder_large", "coder-small", NULL };
  g_autoptr(TesseraFakeLlmServer) server = tessera_fake_llm_server_new ();
  TesseraProjectSettingsDialog *dialog;
  GtkMenuButton *models_button;
  GMenuModel *menu;
  g_autofree char *label = NULL;

  tessera_fake_llm_server_set_models (server, models);
  dialog = tessera_project_settings_dialog_new (NULL, f->project);
  models_button = DIALOG_CHILD (dialog, "models_button");
  gtk_window_present (GTK_WINDOW (dialog));
  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (dialog), "ai");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (models_button)));

  /* A custom server lists its models once its address is known. */
  adw_combo_row_set_selected (DIALOG_CHILD (dialog, "provider_row"), preset_index ("custom"));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (models_button)));
  gtk_editable_set_text (DIALOG_CHILD (dialog, "base_url_row"), tessera_fake_llm_server_get_openai_url (server));
  WAIT_UNTIL (gtk_widget_get_visible (GTK_WIDGET (models_button)));
  g_assert_cmpstr (tessera_project_get_setting (f->project, "ai-base-url"), ==,
                   tessera_fake_llm_server_get_openai_url (server));

  menu = gtk_menu_button_get_menu_model (models_button);
  g_assert_cmpint (g_menu_model_get_n_items (menu), ==, 2);
  g_assert_true (g_menu_model_get_item_attribute (menu, 0, G_MENU_ATTRIBUTE_LABEL, "s", &label));
  g_assert_cmpstr (label, ==, "coder__large");

  save_png (GTK_WIDGET (dialog), "project-settings-models.png");

  /* Picking one fills the field and writes it at once. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "settings.use-model", "s", "coder_large"));
  g_assert_cmpstr (gtk_editable_get_text (DIALOG_CHILD (dialog, "model_row")), ==, "coder_large");
  g_assert_cmpstr (tessera_project_get_setting (f->project, "ai-model"), ==, "coder_large");

  /* Back to the default: nothing to list. */
  adw_combo_row_set_selected (DIALOG_CHILD (dialog, "provider_row"), 0);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (models_button)));

  destroy_dialog (dialog);
}

static void
on_result (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  WAIT_UNTIL (*result != NULL);
  return *result;
}

static char *
look_up_e2b_key (TesseraSecrets      *secrets,
                 TesseraSecretSource *where)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *key;

  tessera_secrets_lookup_async (secrets, TESSERA_SECRETS_PROVIDER_E2B, NULL, NULL, on_result, &result);
  WAIT_UNTIL (result != NULL);
  key = tessera_secrets_lookup_finish (secrets, result, where, &error);
  g_assert_no_error (error);
  return key;
}

static void
store_e2b_key (TesseraSecrets *secrets,
               const char     *key)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (key != NULL)
    {
      tessera_secrets_store_async (secrets, TESSERA_SECRETS_PROVIDER_E2B, NULL, key, NULL, NULL, on_result, &result);
      g_assert_true (tessera_secrets_store_finish (secrets, wait_for (&result), &error));
    }
  else
    {
      tessera_secrets_clear_async (secrets, TESSERA_SECRETS_PROVIDER_E2B, NULL, NULL, on_result, &result);
      g_assert_true (tessera_secrets_clear_finish (secrets, wait_for (&result), &error));
    }
  g_assert_no_error (error);
}

static void
test_dialog_tells_e2b_key (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(TesseraSecrets) secrets = tessera_secrets_new ();
  TesseraSecretSource where = TESSERA_SECRET_SOURCE_ENVIRONMENT;
  TesseraProjectSettingsDialog *dialog;
  AdwActionRow *key_row;

  g_assert_null (look_up_e2b_key (secrets, &where));

  dialog = tessera_project_settings_dialog_new (NULL, f->project);
  key_row = DIALOG_CHILD (dialog, "e2b_key_row");
  gtk_window_present (GTK_WINDOW (dialog));
  adw_combo_row_set_selected (DIALOG_CHILD (dialog, "run_in_row"), 1);
  WAIT_UNTIL (g_str_has_prefix (adw_action_row_get_subtitle (key_row), "Not set"));
  g_assert_true (gtk_widget_has_css_class (DIALOG_CHILD (dialog, "e2b_key_button"), "suggested-action"));
  destroy_dialog (dialog);

  store_e2b_key (secrets, "e2b_0123456789abcdef");
  dialog = tessera_project_settings_dialog_new (NULL, f->project);
  key_row = DIALOG_CHILD (dialog, "e2b_key_row");
  gtk_window_present (GTK_WINDOW (dialog));
  WAIT_UNTIL (g_strcmp0 (adw_action_row_get_subtitle (key_row), "Saved in your keyring") == 0);
  g_assert_false (gtk_widget_has_css_class (DIALOG_CHILD (dialog, "e2b_key_button"), "suggested-action"));
  save_png (GTK_WIDGET (dialog), "project-settings-e2b-key.png");
  destroy_dialog (dialog);

  store_e2b_key (secrets, NULL);
}

typedef struct
{
  TesseraSandboxStatus *status;
  gboolean              saw_spinner;
  gboolean              saw_expired;
} StateWatch;

/* Connected after the widget's own handler: sees what the widget shows in
 * each state. */
static void
state_changed_cb (TesseraSandbox *sandbox,
                  GParamSpec     *pspec,
                  StateWatch     *watch)
{
  GtkStack *stack = STATUS_CHILD (watch->status, "icon_stack");

  if (tessera_sandbox_get_state (sandbox) == TESSERA_SANDBOX_STARTING)
    {
      g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "spinner");
      watch->saw_spinner = TRUE;
    }
  else if (tessera_sandbox_get_state (sandbox) == TESSERA_SANDBOX_EXPIRED)
    {
      g_assert_true (gtk_widget_has_css_class (STATUS_CHILD (watch->status, "button"), "error"));
      g_assert_cmpstr (gtk_label_get_text (STATUS_CHILD (watch->status, "state_label")), ==,
                       tessera_sandbox_get_status_message (sandbox));
      watch->saw_expired = TRUE;
    }
}

static void
project_settings_cb (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  (*(guint *) user_data)++;
}

/* Shows @status in a header bar, as the project window does, with the
 * window's "win.project-settings" action counting into @activations. */
static GtkWidget *
show_in_window (GtkWidget *status,
                guint     *activations)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *header = adw_header_bar_new ();
  g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();
  g_autoptr(GSimpleAction) action = g_simple_action_new ("project-settings", NULL);

  g_signal_connect (action, "activate", G_CALLBACK (project_settings_cb), activations);
  g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (action));
  gtk_widget_insert_action_group (window, "win", G_ACTION_GROUP (group));

  adw_header_bar_pack_end (ADW_HEADER_BAR (header), status);
  gtk_window_set_titlebar (GTK_WINDOW (window), header);
  gtk_window_set_default_size (GTK_WINDOW (window), 480, 360);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
test_status_local (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(TesseraLocalSandbox) sandbox = tessera_local_sandbox_new (f->root);
  g_autoptr(GAsyncResult) started = NULL;
  g_autoptr(GAsyncResult) stopped = NULL;
  g_autoptr(GError) error = NULL;
  TesseraSandboxStatus *status = TESSERA_SANDBOX_STATUS (tessera_sandbox_status_new ());
  guint activations = 0;
  GtkWidget *window = show_in_window (GTK_WIDGET (status), &activations);
  GtkWidget *button = STATUS_CHILD (status, "button");
  GtkPopover *popover = STATUS_CHILD (status, "popover");
  StateWatch watch = { status, FALSE, FALSE };

  tessera_sandbox_status_set_sandbox (status, TESSERA_SANDBOX (sandbox));
  g_assert_true (tessera_sandbox_status_get_sandbox (status) == TESSERA_SANDBOX (sandbox));
  g_assert_cmpstr (gtk_image_get_icon_name (STATUS_CHILD (status, "icon")), ==, "computer-symbolic");
  g_assert_false (gtk_widget_get_visible (STATUS_CHILD (status, "e2b_box")));
  g_assert_false (gtk_widget_has_css_class (button, "error"));

  g_signal_connect (sandbox, "notify::state", G_CALLBACK (state_changed_cb), &watch);
  tessera_sandbox_start_async (TESSERA_SANDBOX (sandbox), NULL, on_result, &started);
  g_assert_true (tessera_sandbox_start_finish (TESSERA_SANDBOX (sandbox), wait_for (&started), &error));
  g_assert_no_error (error);
  g_assert_true (watch.saw_spinner);

  g_assert_cmpstr (gtk_stack_get_visible_child_name (STATUS_CHILD (status, "icon_stack")), ==, "icon");
  g_assert_true (g_str_has_prefix (gtk_widget_get_tooltip_text (button), "This Computer"));
  g_assert_nonnull (strstr (gtk_label_get_text (STATUS_CHILD (status, "detail_label")), "bubblewrap"));
  if (tessera_sandbox_get_status_message (TESSERA_SANDBOX (sandbox)) != NULL)
    g_assert_cmpstr (gtk_label_get_text (STATUS_CHILD (status, "state_label")), ==,
                     tessera_sandbox_get_status_message (TESSERA_SANDBOX (sandbox)));

  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (popover)));
  save_png (GTK_WIDGET (popover), "sandbox-status-local.png");

  /* The way to change where the app runs. */
  g_signal_emit_by_name (STATUS_CHILD (status, "settings_button"), "clicked");
  g_assert_cmpuint (activations, ==, 1);
  WAIT_UNTIL (!gtk_widget_get_visible (GTK_WIDGET (popover)));

  /* A failure shows in the header bar, with the backend's sentence. */
  tessera_sandbox_set_state (TESSERA_SANDBOX (sandbox), TESSERA_SANDBOX_FAILED,
                             "The app could not start: port 5173 is taken");
  g_assert_true (gtk_widget_has_css_class (button, "error"));
  g_assert_cmpstr (gtk_image_get_icon_name (STATUS_CHILD (status, "icon")), ==, "dialog-warning-symbolic");
  g_assert_cmpstr (gtk_label_get_text (STATUS_CHILD (status, "state_label")), ==,
                   "The app could not start: port 5173 is taken");

  tessera_sandbox_stop_async (TESSERA_SANDBOX (sandbox), NULL, on_result, &stopped);
  g_assert_true (tessera_sandbox_stop_finish (TESSERA_SANDBOX (sandbox), wait_for (&stopped), &error));
  g_assert_no_error (error);
  g_assert_false (gtk_widget_has_css_class (button, "error"));
  g_assert_cmpstr (gtk_image_get_icon_name (STATUS_CHILD (status, "icon")), ==, "computer-symbolic");

  /* The widget lets go of the sandbox. */
  tessera_sandbox_status_set_sandbox (status, NULL);
  g_assert_null (tessera_sandbox_status_get_sandbox (status));
  g_signal_handlers_disconnect_by_data (sandbox, &watch);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_status_e2b (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraE2bTestServer) server = tessera_e2b_test_server_new (API_KEY, &error);
  g_autoptr(TesseraE2bClient) client = tessera_e2b_client_new ();
  g_autoptr(TesseraE2bSandbox) sandbox = NULL;
  g_autoptr(GAsyncResult) started = NULL;
  g_autoptr(GDateTime) first_end = NULL;
  g_autofree char *sandbox_id = NULL;
  TesseraSandboxStatus *status = TESSERA_SANDBOX_STATUS (tessera_sandbox_status_new ());
  guint activations = 0;
  GtkWidget *window = show_in_window (GTK_WIDGET (status), &activations);
  GtkWidget *button = STATUS_CHILD (status, "button");
  GtkLabel *time_left = STATUS_CHILD (status, "time_left_label");
  GtkWidget *extend = STATUS_CHILD (status, "extend_button");
  GtkWidget *close = STATUS_CHILD (status, "close_button");
  StateWatch watch = { status, FALSE, FALSE };
  gint64 first_left, extended_left;

  g_assert_no_error (error);
  tessera_e2b_client_set_api_key (client, API_KEY);
  tessera_e2b_client_set_domain (client, "e2b.test");
  tessera_e2b_client_set_api_url (client, tessera_e2b_test_server_get_url (server));
  tessera_e2b_client_set_sandbox_url (client, tessera_e2b_test_server_get_url (server));
  sandbox = tessera_e2b_sandbox_new (f->project, client);
  /* No timer may extend the sandbox behind the test's back. */
  tessera_e2b_sandbox_set_keep_alive (sandbox, FALSE);

  tessera_sandbox_status_set_sandbox (status, TESSERA_SANDBOX (sandbox));
  g_assert_cmpstr (gtk_image_get_icon_name (STATUS_CHILD (status, "icon")), ==, "weather-overcast-symbolic");
  g_assert_true (gtk_widget_get_visible (STATUS_CHILD (status, "e2b_box")));
  g_assert_true (g_str_has_prefix (gtk_widget_get_tooltip_text (button), "E2B Cloud"));
  g_assert_false (gtk_widget_get_sensitive (extend));
  g_assert_false (gtk_widget_get_sensitive (close));
  g_assert_false (gtk_switch_get_active (STATUS_CHILD (status, "keep_alive_switch")));

  /* The switches act on the sandbox and are remembered by the project. */
  gtk_switch_set_active (STATUS_CHILD (status, "pin_switch"), TRUE);
  g_assert_true (tessera_e2b_sandbox_get_pinned (sandbox));
  g_assert_cmpstr (tessera_project_get_setting (f->project, "e2b-pin"), ==, "yes");
  tessera_e2b_sandbox_set_pinned (sandbox, FALSE);
  g_assert_false (gtk_switch_get_active (STATUS_CHILD (status, "pin_switch")));

  tessera_sandbox_start_async (TESSERA_SANDBOX (sandbox), NULL, on_result, &started);
  g_assert_true (tessera_sandbox_start_finish (TESSERA_SANDBOX (sandbox), wait_for (&started), &error));
  g_assert_no_error (error);
  sandbox_id = g_strdup (tessera_e2b_sandbox_get_sandbox_id (sandbox));
  g_assert_nonnull (sandbox_id);
  g_assert_nonnull (strstr (gtk_label_get_text (STATUS_CHILD (status, "detail_label")), sandbox_id));
  g_assert_true (gtk_widget_get_sensitive (extend));
  g_assert_true (gtk_widget_get_sensitive (close));
  save_png (window, "sandbox-status-e2b-button.png");

  /* The time left is counted from the end time E2B gave. */
  g_assert_nonnull (tessera_e2b_sandbox_get_end_time (sandbox));
  first_end = g_date_time_ref (tessera_e2b_sandbox_get_end_time (sandbox));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (time_left), "Time left: "));
  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  WAIT_UNTIL (gtk_widget_get_mapped (STATUS_CHILD (status, "popover")));
  save_png (STATUS_CHILD (status, "popover"), "sandbox-status-e2b.png");

  /* Extend adds five minutes to what was left. */
  g_signal_emit_by_name (extend, "clicked");
  g_assert_false (gtk_widget_get_sensitive (extend));
  WAIT_UNTIL (gtk_widget_get_sensitive (extend));
  g_assert_false (gtk_widget_get_visible (STATUS_CHILD (status, "error_label")));
  first_left = g_date_time_difference (first_end, tessera_e2b_sandbox_get_end_time (sandbox));
  extended_left = -first_left / G_USEC_PER_SEC;
  g_assert_cmpint (extended_left, >=, 5 * 60 - 5);
  g_assert_cmpint (extended_left, <=, 5 * 60 + 5);
  gtk_menu_button_popdown (GTK_MENU_BUTTON (button));

  /* E2B ended it: the button says so while a new one takes its place. */
  g_signal_connect (sandbox, "notify::state", G_CALLBACK (state_changed_cb), &watch);
  g_assert_true (tessera_e2b_test_server_expire_sandbox (server, sandbox_id));
  g_signal_emit_by_name (extend, "clicked");
  WAIT_UNTIL (tessera_sandbox_get_state (TESSERA_SANDBOX (sandbox)) == TESSERA_SANDBOX_READY
              && g_strcmp0 (tessera_e2b_sandbox_get_sandbox_id (sandbox), sandbox_id) != 0
              && gtk_widget_get_sensitive (extend));
  g_assert_true (watch.saw_expired);
  g_assert_false (gtk_widget_get_visible (STATUS_CHILD (status, "error_label")));
  g_assert_false (gtk_widget_has_css_class (button, "error"));
  g_free (sandbox_id);
  sandbox_id = g_strdup (tessera_e2b_sandbox_get_sandbox_id (sandbox));
  g_assert_nonnull (strstr (gtk_label_get_text (STATUS_CHILD (status, "detail_label")), sandbox_id));
  g_signal_handlers_disconnect_by_data (sandbox, &watch);

  /* Close kills it, even though the app may still be wanted later. */
  g_signal_emit_by_name (close, "clicked");
  WAIT_UNTIL (tessera_sandbox_get_state (TESSERA_SANDBOX (sandbox)) == TESSERA_SANDBOX_STOPPED
              && gtk_widget_get_sensitive (extend) == FALSE
              && tessera_e2b_test_server_get_sandbox_state (server, sandbox_id) == NULL);
  g_assert_false (gtk_widget_has_css_class (button, "error"));

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  adw_init ();
  /* What TesseraApplication's resource base path gives the real app. */
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                    RESOURCE_BASE "/icons");

  g_test_add ("/project-settings/dialog/writes-manifest", Fixture, NULL,
              fixture_setup, test_dialog_writes_manifest, fixture_teardown);
  g_test_add ("/project-settings/dialog/lists-models", Fixture, NULL,
              fixture_setup, test_dialog_lists_models, fixture_teardown);
  g_test_add ("/project-settings/dialog/tells-e2b-key", Fixture, NULL,
              fixture_setup, test_dialog_tells_e2b_key, fixture_teardown);
  g_test_add ("/project-settings/status/local", Fixture, NULL,
              fixture_setup, test_status_local, fixture_teardown);
  g_test_add ("/project-settings/status/e2b", Fixture, NULL,
              fixture_setup, test_status_e2b, fixture_teardown);

  return g_test_run ();
}
