/* tessera-project-settings-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-project-settings-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-llm-registry.h"
#include "tessera-project-settings-dialog.h"
#include "tessera-secrets.h"

/* How long typing must pause before a text field is written: the manifest
 * is rewritten whole, and once per keystroke would be wasteful. */
#define SAVE_DELAY_MS 400
/* A menu longer than this is no help; the entry takes any id. */
#define MAX_LISTED_MODELS 100

enum {
  RUN_IN_LOCAL,
  RUN_IN_E2B,
};

enum {
  TEMPLATE_BASE,
  TEMPLATE_NODE,
  TEMPLATE_PYTHON,
  TEMPLATE_CUSTOM,
};

static const char * const template_ids[] = { "base", "node", "python" };

/* Text fields waiting to be written. */
typedef enum {
  DIRTY_COMMAND         = 1 << 0,
  DIRTY_CUSTOM_TEMPLATE = 1 << 1,
  DIRTY_MODEL           = 1 << 2,
  DIRTY_BASE_URL        = 1 << 3,
} DirtyFields;

struct _TesseraProjectSettingsDialog
{
  AdwPreferencesWindow  parent_instance;

  TesseraProject       *project;
  GSettings            *settings;
  /* Preset id for each provider_row item; NULL for the default. */
  GPtrArray            *provider_ids;
  /* For the key needed to list the provider's models. */
  TesseraSecrets       *secrets;
  GCancellable         *models_cancellable;
  /* Keyring calls; cancelled when the window goes. */
  GCancellable         *cancellable;

  guint                 save_source;
  DirtyFields           dirty;
  /* Set while the rows are filled from the manifest, so that filling them
   * writes nothing back. */
  gboolean              loading;

  AdwComboRow          *run_in_row;
  AdwEntryRow          *command_row;
  AdwPreferencesGroup  *local_group;
  GtkSwitch            *network_switch;
  AdwActionRow         *unsandboxed_row;
  GtkButton            *revoke_button;
  AdwPreferencesGroup  *e2b_group;
  AdwActionRow         *e2b_key_row;
  GtkButton            *e2b_key_button;
  AdwComboRow          *template_row;
  AdwEntryRow          *custom_template_row;
  GtkSwitch            *keep_alive_switch;
  GtkSwitch            *pin_switch;
  AdwComboRow          *provider_row;
  AdwEntryRow          *model_row;
  GtkMenuButton        *models_button;
  AdwEntryRow          *base_url_row;
};

G_DEFINE_FINAL_TYPE (TesseraProjectSettingsDialog, tessera_project_settings_dialog, ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
is_empty (const char *value)
{
  return value == NULL || value[0] == '\0';
}

static void
save (TesseraProjectSettingsDialog *self,
      const char                   *key,
      const char                   *value)
{
  g_autoptr(GError) error = NULL;

  if (self->project == NULL)
    return;

  if (is_empty (value))
    value = NULL;

  if (g_strcmp0 (tessera_project_get_setting (self->project, key), value) == 0)
    return;

  if (!tessera_project_set_setting (self->project, key, value, &error))
    {
      g_autofree char *message = NULL;

      /* Translators: %s is the reason, e.g. "Permission denied". */
      message = g_strdup_printf (_("Could not save the project’s settings: %s"), error->message);
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (message));
    }
}

static const char *
entry_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
set_placeholder (AdwEntryRow *row,
                 const char  *placeholder)
{
  /* AdwEntryRow 1.2 has no placeholder of its own; its text widget has. */
  GtkEditable *delegate = gtk_editable_get_delegate (GTK_EDITABLE (row));

  if (GTK_IS_TEXT (delegate))
    gtk_text_set_placeholder_text (GTK_TEXT (delegate), placeholder);
}

static const TesseraLlmPreset *
selected_preset (TesseraProjectSettingsDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->provider_row);

  if (selected >= self->provider_ids->len)
    return NULL;

  return tessera_llm_preset_lookup (g_ptr_array_index (self->provider_ids, selected));
}

static const char *
selected_provider_id (TesseraProjectSettingsDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->provider_row);

  if (selected >= self->provider_ids->len)
    return NULL;

  return g_ptr_array_index (self->provider_ids, selected);
}

static void
update_visibility (TesseraProjectSettingsDialog *self)
{
  const TesseraLlmPreset *preset = selected_preset (self);
  gboolean e2b = adw_combo_row_get_selected (self->run_in_row) == RUN_IN_E2B;
  gboolean custom = adw_combo_row_get_selected (self->template_row) == TEMPLATE_CUSTOM;
  gboolean allowed = g_strcmp0 (tessera_project_get_setting (self->project, "allow-unsandboxed"), "yes") == 0;
  /* Only servers the user runs or names need an address; a custom id
   * that is not a preset keeps its address too. */
  gboolean needs_url = selected_provider_id (self) != NULL
                       && (preset == NULL || preset->local || preset->base_url == NULL);

  gtk_widget_set_visible (GTK_WIDGET (self->local_group), !e2b);
  gtk_widget_set_visible (GTK_WIDGET (self->e2b_group), e2b);
  gtk_widget_set_visible (GTK_WIDGET (self->custom_template_row), custom);

  adw_action_row_set_subtitle (self->unsandboxed_row,
                               allowed
                               ? _("Allowed for this project, on computers that cannot sandbox")
                               : _("Not allowed: the app only runs in a sandbox"));
  gtk_widget_set_visible (GTK_WIDGET (self->revoke_button), allowed);

  gtk_widget_set_visible (GTK_WIDGET (self->base_url_row), needs_url);
  set_placeholder (self->base_url_row, preset != NULL && preset->base_url != NULL ? preset->base_url
                                                                                  : "https://example.com/v1");
}

static void
models_listed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  TesseraProjectSettingsDialog *self;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = NULL;
  g_autoptr(GMenu) menu = NULL;

  models = tessera_llm_provider_list_models_finish (TESSERA_LLM_PROVIDER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = user_data;
  /* Without a listing (no key yet, server not running) the model stays a
   * free text field: no error to show for a convenience. */
  if (models == NULL || models[0] == NULL)
    {
      if (error != NULL)
        g_debug ("Could not list the provider’s models: %s", error->message);
      return;
    }

  menu = g_menu_new ();
  for (guint i = 0; models[i] != NULL && i < MAX_LISTED_MODELS; i++)
    {
      g_autoptr(GMenuItem) item = NULL;
      g_auto(GStrv) parts = g_strsplit (models[i], "_", -1);
      /* Menu labels treat "_" as a mnemonic mark. */
      g_autofree char *label = g_strjoinv ("__", parts);

      item = g_menu_item_new (label, NULL);
      g_menu_item_set_action_and_target_value (item, "settings.use-model", g_variant_new_string (models[i]));
      g_menu_append_item (menu, item);
    }

  gtk_menu_button_set_menu_model (self->models_button, G_MENU_MODEL (menu));
  gtk_widget_set_visible (GTK_WIDGET (self->models_button), TRUE);
}

static void
provider_ready_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  TesseraProjectSettingsDialog *self;
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraLlmProvider) provider = NULL;

  provider = tessera_llm_provider_new_with_secrets_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = user_data;
  if (provider == NULL)
    {
      g_debug ("No provider to list models from: %s", error->message);
      return;
    }

  tessera_llm_provider_list_models_async (provider, self->models_cancellable, models_listed_cb, self);
}

/* Offers the chosen provider's models beside the model field. */
static void
refresh_models (TesseraProjectSettingsDialog *self)
{
  const TesseraLlmPreset *preset = selected_preset (self);
  const char *base_url = entry_text (self->base_url_row);

  g_cancellable_cancel (self->models_cancellable);
  g_clear_object (&self->models_cancellable);
  gtk_widget_set_visible (GTK_WIDGET (self->models_button), FALSE);
  gtk_menu_button_set_menu_model (self->models_button, NULL);

  if (preset == NULL || (preset->base_url == NULL && is_empty (base_url)))
    return;

  self->models_cancellable = g_cancellable_new ();
  tessera_llm_provider_new_with_secrets_async (self->secrets, preset->id, base_url,
                                               self->models_cancellable, provider_ready_cb, self);
}

static void
flush (TesseraProjectSettingsDialog *self)
{
  DirtyFields dirty = self->dirty;

  g_clear_handle_id (&self->save_source, g_source_remove);
  self->dirty = 0;

  if (dirty & DIRTY_COMMAND)
    {
      g_autofree char *command = g_strstrip (g_strdup (entry_text (self->command_row)));

      save (self, "run-command", command);
    }
  if ((dirty & DIRTY_CUSTOM_TEMPLATE)
      && adw_combo_row_get_selected (self->template_row) == TEMPLATE_CUSTOM
      && !is_empty (entry_text (self->custom_template_row)))
    save (self, "e2b-template", entry_text (self->custom_template_row));
  if (dirty & DIRTY_MODEL)
    save (self, "ai-model", entry_text (self->model_row));
  if (dirty & DIRTY_BASE_URL)
    {
      save (self, "ai-base-url", entry_text (self->base_url_row));
      refresh_models (self);
    }
}

static gboolean
save_timeout_cb (gpointer user_data)
{
  TesseraProjectSettingsDialog *self = user_data;

  self->save_source = 0;
  flush (self);

  return G_SOURCE_REMOVE;
}

static void
mark_dirty (TesseraProjectSettingsDialog *self,
            DirtyFields                   field)
{
  if (self->loading)
    return;

  self->dirty |= field;
  g_clear_handle_id (&self->save_source, g_source_remove);
  self->save_source = g_timeout_add (SAVE_DELAY_MS, save_timeout_cb, self);
}

static void
command_changed_cb (TesseraProjectSettingsDialog *self)
{
  mark_dirty (self, DIRTY_COMMAND);
}

static void
custom_template_changed_cb (TesseraProjectSettingsDialog *self)
{
  mark_dirty (self, DIRTY_CUSTOM_TEMPLATE);
}

static void
model_changed_cb (TesseraProjectSettingsDialog *self)
{
  mark_dirty (self, DIRTY_MODEL);
}

static void
base_url_changed_cb (TesseraProjectSettingsDialog *self)
{
  mark_dirty (self, DIRTY_BASE_URL);
}

static void
run_in_changed_cb (TesseraProjectSettingsDialog *self)
{
  update_visibility (self);

  if (!self->loading)
    save (self, "sandbox", adw_combo_row_get_selected (self->run_in_row) == RUN_IN_E2B ? "e2b" : "local");
}

static void
template_changed_cb (TesseraProjectSettingsDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->template_row);

  update_visibility (self);

  if (self->loading)
    return;

  if (selected < G_N_ELEMENTS (template_ids))
    save (self, "e2b-template", template_ids[selected]);
  else if (!is_empty (entry_text (self->custom_template_row)))
    save (self, "e2b-template", entry_text (self->custom_template_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->custom_template_row));
}

static void
network_changed_cb (TesseraProjectSettingsDialog *self)
{
  if (!self->loading)
    save (self, "network", gtk_switch_get_active (self->network_switch) ? "on" : "off");
}

static void
keep_alive_changed_cb (TesseraProjectSettingsDialog *self)
{
  if (!self->loading)
    save (self, "e2b-keep-alive", gtk_switch_get_active (self->keep_alive_switch) ? "yes" : "no");
}

static void
pin_changed_cb (TesseraProjectSettingsDialog *self)
{
  if (!self->loading)
    save (self, "e2b-pin", gtk_switch_get_active (self->pin_switch) ? "yes" : "no");
}

static void
revoke_clicked_cb (TesseraProjectSettingsDialog *self)
{
  save (self, "allow-unsandboxed", NULL);
  update_visibility (self);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (_("This project no longer runs without a sandbox")));
}

static void
provider_changed_cb (TesseraProjectSettingsDialog *self)
{
  update_visibility (self);

  if (self->loading)
    return;

  /* A model name or address belongs to the provider it was chosen for. */
  self->loading = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->model_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->base_url_row), "");
  self->loading = FALSE;
  self->dirty &= ~(DIRTY_MODEL | DIRTY_BASE_URL);

  save (self, "ai-provider", selected_provider_id (self));
  save (self, "ai-model", NULL);
  save (self, "ai-base-url", NULL);
  refresh_models (self);
}

static void
use_model_cb (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  TesseraProjectSettingsDialog *self = TESSERA_PROJECT_SETTINGS_DIALOG (widget);

  gtk_editable_set_text (GTK_EDITABLE (self->model_row), g_variant_get_string (parameter, NULL));
  flush (self);
}

static void
e2b_key_looked_up_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  TesseraProjectSettingsDialog *self;
  TesseraSecretSource where = TESSERA_SECRET_SOURCE_KEYRING;
  g_autoptr(GError) error = NULL;
  char *key;
  gboolean found;

  key = tessera_secrets_lookup_finish (TESSERA_SECRETS (source), result, &where, &error);
  /* Only whether there is one matters here. */
  found = key != NULL;
  tessera_secrets_key_free (key);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = user_data;
  if (error != NULL)
    adw_action_row_set_subtitle (self->e2b_key_row, _("The keyring is not available"));
  else if (!found)
    adw_action_row_set_subtitle (self->e2b_key_row, _("Not set: the cloud sandbox needs one"));
  else if (where == TESSERA_SECRET_SOURCE_ENVIRONMENT)
    adw_action_row_set_subtitle (self->e2b_key_row, _("Set by E2B_API_KEY"));
  else
    adw_action_row_set_subtitle (self->e2b_key_row, _("Saved in your keyring"));

  if (!found)
    gtk_widget_add_css_class (GTK_WIDGET (self->e2b_key_button), "suggested-action");
}

/* Keys are managed in Preferences; this only tells whether E2B has one,
 * where the user chooses E2B. */
static void
look_up_e2b_key (TesseraProjectSettingsDialog *self)
{
  tessera_secrets_lookup_async (self->secrets, TESSERA_SECRETS_PROVIDER_E2B, NULL,
                                self->cancellable, e2b_key_looked_up_cb, self);
}

static void
e2b_key_button_clicked_cb (TesseraProjectSettingsDialog *self)
{
  /* Preferences opens as its own window; a modal dialog would sit above
   * it. */
  gtk_window_close (GTK_WINDOW (self));
}

static void
fill_providers (TesseraProjectSettingsDialog *self)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  const TesseraLlmPreset *presets;
  const char *current = tessera_project_get_setting (self->project, "ai-provider");
  guint n_presets = 0;
  guint selected = 0;

  presets = tessera_llm_presets_get (&n_presets);

  gtk_string_list_append (names, _("Default (from Preferences)"));
  g_ptr_array_add (self->provider_ids, NULL);

  for (guint i = 0; i < n_presets; i++)
    {
      gtk_string_list_append (names, presets[i].name);
      g_ptr_array_add (self->provider_ids, g_strdup (presets[i].id));
      if (g_strcmp0 (current, presets[i].id) == 0)
        selected = self->provider_ids->len - 1;
    }

  /* A provider this build does not know (a newer Tessera wrote it) stays
   * selected rather than being silently replaced. */
  if (!is_empty (current) && selected == 0)
    {
      gtk_string_list_append (names, current);
      g_ptr_array_add (self->provider_ids, g_strdup (current));
      selected = self->provider_ids->len - 1;
    }

  adw_combo_row_set_model (self->provider_row, G_LIST_MODEL (names));
  adw_combo_row_set_selected (self->provider_row, selected);
}

static char *
default_sandbox (TesseraProjectSettingsDialog *self)
{
  const char *env = g_getenv ("TESSERA_SANDBOX");

  if (!is_empty (env))
    return g_strdup (env);

  return g_settings_get_string (self->settings, "default-sandbox");
}

static void
load (TesseraProjectSettingsDialog *self)
{
  const char *sandbox = tessera_project_get_setting (self->project, "sandbox");
  const char *template_id = tessera_project_get_setting (self->project, "e2b-template");
  const char *keep_alive = tessera_project_get_setting (self->project, "e2b-keep-alive");
  g_autofree char *fallback_sandbox = NULL;
  g_autofree char *fallback_template = NULL;
  guint template_index = TEMPLATE_CUSTOM;

  self->loading = TRUE;

  if (is_empty (sandbox))
    sandbox = fallback_sandbox = default_sandbox (self);
  adw_combo_row_set_selected (self->run_in_row, g_strcmp0 (sandbox, "e2b") == 0 ? RUN_IN_E2B : RUN_IN_LOCAL);

  gtk_editable_set_text (GTK_EDITABLE (self->command_row),
                         tessera_project_get_setting (self->project, "run-command") ?: "");
  gtk_switch_set_active (self->network_switch,
                         g_strcmp0 (tessera_project_get_setting (self->project, "network"), "off") != 0);

  if (is_empty (template_id))
    template_id = fallback_template = g_settings_get_string (self->settings, "e2b-template");
  for (guint i = 0; i < G_N_ELEMENTS (template_ids); i++)
    if (g_strcmp0 (template_id, template_ids[i]) == 0)
      template_index = i;
  adw_combo_row_set_selected (self->template_row, template_index);
  gtk_editable_set_text (GTK_EDITABLE (self->custom_template_row),
                         template_index == TEMPLATE_CUSTOM && template_id != NULL ? template_id : "");

  if (keep_alive != NULL)
    gtk_switch_set_active (self->keep_alive_switch, g_strcmp0 (keep_alive, "no") != 0);
  else
    gtk_switch_set_active (self->keep_alive_switch, g_settings_get_boolean (self->settings, "e2b-keep-alive"));
  gtk_switch_set_active (self->pin_switch,
                         g_strcmp0 (tessera_project_get_setting (self->project, "e2b-pin"), "yes") == 0);

  fill_providers (self);
  gtk_editable_set_text (GTK_EDITABLE (self->model_row),
                         tessera_project_get_setting (self->project, "ai-model") ?: "");
  gtk_editable_set_text (GTK_EDITABLE (self->base_url_row),
                         tessera_project_get_setting (self->project, "ai-base-url") ?: "");

  update_visibility (self);

  self->loading = FALSE;

  refresh_models (self);
  look_up_e2b_key (self);
}

static void
tessera_project_settings_dialog_constructed (GObject *object)
{
  TesseraProjectSettingsDialog *self = TESSERA_PROJECT_SETTINGS_DIALOG (object);

  G_OBJECT_CLASS (tessera_project_settings_dialog_parent_class)->constructed (object);

  g_return_if_fail (TESSERA_IS_PROJECT (self->project));

  load (self);

  g_signal_connect_swapped (self->run_in_row, "notify::selected", G_CALLBACK (run_in_changed_cb), self);
  g_signal_connect_swapped (self->command_row, "changed", G_CALLBACK (command_changed_cb), self);
  g_signal_connect_swapped (self->network_switch, "notify::active", G_CALLBACK (network_changed_cb), self);
  g_signal_connect_swapped (self->revoke_button, "clicked", G_CALLBACK (revoke_clicked_cb), self);
  g_signal_connect_swapped (self->template_row, "notify::selected", G_CALLBACK (template_changed_cb), self);
  g_signal_connect_swapped (self->e2b_key_button, "clicked", G_CALLBACK (e2b_key_button_clicked_cb), self);
  g_signal_connect_swapped (self->custom_template_row, "changed", G_CALLBACK (custom_template_changed_cb), self);
  g_signal_connect_swapped (self->keep_alive_switch, "notify::active", G_CALLBACK (keep_alive_changed_cb), self);
  g_signal_connect_swapped (self->pin_switch, "notify::active", G_CALLBACK (pin_changed_cb), self);
  g_signal_connect_swapped (self->provider_row, "notify::selected", G_CALLBACK (provider_changed_cb), self);
  g_signal_connect_swapped (self->model_row, "changed", G_CALLBACK (model_changed_cb), self);
  g_signal_connect_swapped (self->base_url_row, "changed", G_CALLBACK (base_url_changed_cb), self);
}

static void
tessera_project_settings_dialog_dispose (GObject *object)
{
  TesseraProjectSettingsDialog *self = TESSERA_PROJECT_SETTINGS_DIALOG (object);

  /* Closing the window must not lose what was typed last. */
  if (self->dirty != 0 && self->command_row != NULL)
    flush (self);
  g_clear_handle_id (&self->save_source, g_source_remove);
  g_cancellable_cancel (self->models_cancellable);
  g_clear_object (&self->models_cancellable);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->secrets);

  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_PROJECT_SETTINGS_DIALOG);
  g_clear_object (&self->project);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (tessera_project_settings_dialog_parent_class)->dispose (object);
}

static void
tessera_project_settings_dialog_finalize (GObject *object)
{
  TesseraProjectSettingsDialog *self = TESSERA_PROJECT_SETTINGS_DIALOG (object);

  g_clear_pointer (&self->provider_ids, g_ptr_array_unref);

  G_OBJECT_CLASS (tessera_project_settings_dialog_parent_class)->finalize (object);
}

static void
tessera_project_settings_dialog_get_property (GObject    *object,
                                              guint       prop_id,
                                              GValue     *value,
                                              GParamSpec *pspec)
{
  TesseraProjectSettingsDialog *self = TESSERA_PROJECT_SETTINGS_DIALOG (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_project_settings_dialog_set_property (GObject      *object,
                                              guint         prop_id,
                                              const GValue *value,
                                              GParamSpec   *pspec)
{
  TesseraProjectSettingsDialog *self = TESSERA_PROJECT_SETTINGS_DIALOG (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      self->project = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_project_settings_dialog_class_init (TesseraProjectSettingsDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = tessera_project_settings_dialog_constructed;
  object_class->dispose = tessera_project_settings_dialog_dispose;
  object_class->finalize = tessera_project_settings_dialog_finalize;
  object_class->get_property = tessera_project_settings_dialog_get_property;
  object_class->set_property = tessera_project_settings_dialog_set_property;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL,
                         TESSERA_TYPE_PROJECT,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/tessera-project-settings-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, run_in_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, command_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, local_group);
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, network_switch);
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, unsandboxed_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, revoke_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, e2b_group);
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, e2b_key_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, e2b_key_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, template_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, custom_template_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, keep_alive_switch);
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, pin_switch);
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, provider_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, model_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, models_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraProjectSettingsDialog, base_url_row);

  gtk_widget_class_install_action (widget_class, "settings.use-model", "s", use_model_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
tessera_project_settings_dialog_init (TesseraProjectSettingsDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (SCHEMA_ID);
  self->provider_ids = g_ptr_array_new_with_free_func (g_free);
  self->secrets = tessera_secrets_new ();
  self->cancellable = g_cancellable_new ();

  set_placeholder (self->command_row, _("Detected automatically"));
  set_placeholder (self->custom_template_row, _("For example, my-team/my-template"));
  set_placeholder (self->model_row, _("Chosen automatically"));
}

TesseraProjectSettingsDialog *
tessera_project_settings_dialog_new (GtkWindow      *parent,
                                     TesseraProject *project)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (TESSERA_IS_PROJECT (project), NULL);

  return g_object_new (TESSERA_TYPE_PROJECT_SETTINGS_DIALOG,
                       "project", project,
                       "transient-for", parent,
                       NULL);
}

TesseraProject *
tessera_project_settings_dialog_get_project (TesseraProjectSettingsDialog *self)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT_SETTINGS_DIALOG (self), NULL);

  return self->project;
}

void
tessera_project_settings_dialog_flush (TesseraProjectSettingsDialog *self)
{
  g_return_if_fail (TESSERA_IS_PROJECT_SETTINGS_DIALOG (self));

  flush (self);
}
