/* tessera-providers-page.c: choose the AI provider, its key and model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-providers-page"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-llm-registry.h"
#include "tessera-providers-page.h"
#include "tessera-secrets.h"

struct _TesseraProvidersPage
{
  AdwPreferencesPage   parent_instance;

  GSettings           *settings;
  TesseraSecrets      *secrets;
  /* Cancelled whenever the provider changes, so stale answers are ignored. */
  GCancellable        *cancellable;
  GtkStringList       *models;
  guint                updating : 1;

  AdwComboRow         *provider_row;
  AdwEntryRow         *base_url_row;
  AdwPasswordEntryRow *key_row;
  GtkButton           *forget_key_button;
  AdwComboRow         *model_row;
  GtkButton           *refresh_models_button;
  GtkLabel            *status_label;
  AdwPreferencesGroup *e2b_group;
  AdwPasswordEntryRow *e2b_key_row;
  AdwEntryRow         *e2b_domain_row;
};

G_DEFINE_FINAL_TYPE (TesseraProvidersPage, tessera_providers_page, ADW_TYPE_PREFERENCES_PAGE)

static const TesseraLlmPreset *
selected_preset (TesseraProvidersPage *self)
{
  guint n_presets;
  const TesseraLlmPreset *presets = tessera_llm_presets_get (&n_presets);
  guint selected = adw_combo_row_get_selected (self->provider_row);

  return selected < n_presets ? &presets[selected] : &presets[0];
}

/* The base URL the user gave, or NULL for the preset's own. */
static char *
dup_base_url (TesseraProvidersPage *self)
{
  g_autofree char *base_url = g_settings_get_string (self->settings, "default-base-url");

  return base_url[0] != '\0' ? g_steal_pointer (&base_url) : NULL;
}

static void
set_status (TesseraProvidersPage *self,
            const char           *message)
{
  gtk_label_set_text (self->status_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), message != NULL);
}

static void
models_listed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  TesseraLlmProvider *provider = TESSERA_LLM_PROVIDER (object);
  g_autoptr(TesseraProvidersPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = tessera_llm_provider_list_models_finish (provider, result, &error);
  g_autofree char *current = NULL;
  guint n_models;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  gtk_widget_set_sensitive (GTK_WIDGET (self->refresh_models_button), TRUE);

  if (models == NULL)
    {
      set_status (self, error->message);
      return;
    }

  current = g_settings_get_string (self->settings, "default-model");
  n_models = g_strv_length (models);

  self->updating = TRUE;
  gtk_string_list_splice (self->models, 0, g_list_model_get_n_items (G_LIST_MODEL (self->models)),
                          (const char * const *) models);
  for (guint i = 0; i < n_models; i++)
    {
      if (g_strcmp0 (models[i], current) == 0)
        {
          adw_combo_row_set_selected (self->model_row, i);
          break;
        }
    }
  self->updating = FALSE;

  if (n_models == 0)
    set_status (self, _("The provider offers no models."));
  else
    set_status (self, NULL);
}

static void
provider_ready_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TesseraProvidersPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraLlmProvider) provider = tessera_llm_provider_new_with_secrets_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (provider == NULL)
    {
      gtk_widget_set_sensitive (GTK_WIDGET (self->refresh_models_button), TRUE);
      set_status (self, error->message);
      return;
    }

  tessera_llm_provider_list_models_async (provider, self->cancellable, models_listed_cb, g_object_ref (self));
}

static void
refresh_models (TesseraProvidersPage *self)
{
  g_autofree char *base_url = dup_base_url (self);

  gtk_widget_set_sensitive (GTK_WIDGET (self->refresh_models_button), FALSE);
  set_status (self, _("Loading models…"));
  tessera_llm_provider_new_with_secrets_async (self->secrets, selected_preset (self)->id, base_url,
                                               self->cancellable, provider_ready_cb, g_object_ref (self));
}

static void
key_looked_up_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TesseraProvidersPage) self = user_data;
  g_autoptr(GError) error = NULL;
  TesseraSecretSource source = TESSERA_SECRET_SOURCE_NONE;
  char *key = tessera_secrets_lookup_finish (TESSERA_SECRETS (object), result, &source, &error);
  const TesseraLlmPreset *preset;

  tessera_secrets_key_free (key);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  preset = selected_preset (self);
  gtk_widget_set_visible (GTK_WIDGET (self->forget_key_button), source == TESSERA_SECRET_SOURCE_KEYRING);
  gtk_widget_set_sensitive (GTK_WIDGET (self->key_row), source != TESSERA_SECRET_SOURCE_ENVIRONMENT);

  if (error != NULL)
    set_status (self, error->message);
  else if (source == TESSERA_SECRET_SOURCE_ENVIRONMENT)
    {
      g_autofree char *message = g_strdup_printf (_("The key comes from the %s environment variable."),
                                                  preset->key_env);
      set_status (self, message);
    }
  else if (source == TESSERA_SECRET_SOURCE_NONE && preset->needs_key)
    set_status (self, _("Enter an API key to use this provider."));

  if (source != TESSERA_SECRET_SOURCE_NONE || !preset->needs_key)
    refresh_models (self);
}

static void
reload_provider (TesseraProvidersPage *self)
{
  const TesseraLlmPreset *preset = selected_preset (self);
  g_autofree char *base_url = dup_base_url (self);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  self->updating = TRUE;
  gtk_string_list_splice (self->models, 0, g_list_model_get_n_items (G_LIST_MODEL (self->models)), NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->base_url_row),
                         base_url ? base_url : (preset->base_url ? preset->base_url : ""));
  gtk_editable_set_text (GTK_EDITABLE (self->key_row), "");
  self->updating = FALSE;

  gtk_widget_set_visible (GTK_WIDGET (self->key_row), preset->needs_key || !preset->local);
  set_status (self, NULL);

  tessera_secrets_lookup_async (self->secrets, preset->id, base_url, self->cancellable,
                                key_looked_up_cb, g_object_ref (self));
}

static void
provider_selected_cb (TesseraProvidersPage *self)
{
  if (self->updating)
    return;

  g_settings_set_string (self->settings, "default-provider", selected_preset (self)->id);
  g_settings_set_string (self->settings, "default-base-url", "");
  g_settings_set_string (self->settings, "default-model", "");
  reload_provider (self);
}

static void
base_url_applied_cb (TesseraProvidersPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->base_url_row));
  const TesseraLlmPreset *preset = selected_preset (self);

  if (!g_str_has_prefix (text, "http://") && !g_str_has_prefix (text, "https://"))
    {
      set_status (self, _("The server address must start with http:// or https://."));
      return;
    }

  g_settings_set_string (self->settings, "default-base-url",
                         g_strcmp0 (text, preset->base_url) == 0 ? "" : text);
  reload_provider (self);
}

static void
key_stored_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TesseraProvidersPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_secrets_store_finish (TESSERA_SECRETS (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_status (self, error->message);
      return;
    }

  reload_provider (self);
}

static void
key_applied_cb (TesseraProvidersPage *self)
{
  const TesseraLlmPreset *preset = selected_preset (self);
  g_autofree char *base_url = dup_base_url (self);
  g_autofree char *key = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->key_row))));

  /* Do not leave the key in the entry longer than needed. */
  gtk_editable_set_text (GTK_EDITABLE (self->key_row), "");
  if (key[0] == '\0')
    return;

  tessera_secrets_store_async (self->secrets, preset->id, base_url, key, NULL, self->cancellable,
                               key_stored_cb, g_object_ref (self));
  memset (key, 0, strlen (key));
}

static void
key_cleared_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TesseraProvidersPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_secrets_clear_finish (TESSERA_SECRETS (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_status (self, error->message);
      return;
    }

  reload_provider (self);
}

static void
forget_key_clicked_cb (TesseraProvidersPage *self)
{
  g_autofree char *base_url = dup_base_url (self);

  tessera_secrets_clear_async (self->secrets, selected_preset (self)->id, base_url, self->cancellable,
                               key_cleared_cb, g_object_ref (self));
}

static void
model_selected_cb (TesseraProvidersPage *self)
{
  GtkStringObject *item;

  if (self->updating)
    return;

  item = adw_combo_row_get_selected_item (self->model_row);
  if (item != NULL)
    g_settings_set_string (self->settings, "default-model", gtk_string_object_get_string (item));
}

static void
refresh_models_clicked_cb (TesseraProvidersPage *self)
{
  refresh_models (self);
}

static void
e2b_key_stored_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TesseraProvidersPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_secrets_store_finish (TESSERA_SECRETS (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        adw_preferences_group_set_description (self->e2b_group, error->message);
      return;
    }

  gtk_editable_set_text (GTK_EDITABLE (self->e2b_key_row), "");
  adw_preferences_group_set_description (self->e2b_group, _("The E2B API key is saved in the keyring."));
}

static void
e2b_key_applied_cb (TesseraProvidersPage *self)
{
  g_autofree char *key = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->e2b_key_row))));

  if (key[0] == '\0')
    return;

  tessera_secrets_store_async (self->secrets, TESSERA_SECRETS_PROVIDER_E2B, NULL, key,
                               _("Tessera: E2B API key"), NULL, e2b_key_stored_cb, g_object_ref (self));
  memset (key, 0, strlen (key));
}

static void
e2b_domain_applied_cb (TesseraProvidersPage *self)
{
  g_autofree char *domain = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->e2b_domain_row))));

  g_settings_set_string (self->settings, "e2b-domain", domain[0] ? domain : "e2b.app");
}

static void
tessera_providers_page_dispose (GObject *object)
{
  TesseraProvidersPage *self = TESSERA_PROVIDERS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_PROVIDERS_PAGE);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_clear_object (&self->secrets);
  g_clear_object (&self->models);

  G_OBJECT_CLASS (tessera_providers_page_parent_class)->dispose (object);
}

static void
tessera_providers_page_class_init (TesseraProvidersPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_providers_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/tessera-providers-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraProvidersPage, provider_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraProvidersPage, base_url_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraProvidersPage, key_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraProvidersPage, forget_key_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraProvidersPage, model_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraProvidersPage, refresh_models_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraProvidersPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraProvidersPage, e2b_group);
  gtk_widget_class_bind_template_child (widget_class, TesseraProvidersPage, e2b_key_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraProvidersPage, e2b_domain_row);
  gtk_widget_class_bind_template_callback (widget_class, provider_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, base_url_applied_cb);
  gtk_widget_class_bind_template_callback (widget_class, key_applied_cb);
  gtk_widget_class_bind_template_callback (widget_class, forget_key_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, model_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, refresh_models_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, e2b_key_applied_cb);
  gtk_widget_class_bind_template_callback (widget_class, e2b_domain_applied_cb);
}

static void
tessera_providers_page_init (TesseraProvidersPage *self)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autofree char *current = NULL;
  g_autofree char *domain = NULL;
  const TesseraLlmPreset *presets;
  guint n_presets;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (SCHEMA_ID);
  self->secrets = tessera_secrets_new ();
  self->cancellable = g_cancellable_new ();
  self->models = gtk_string_list_new (NULL);
  adw_combo_row_set_model (self->model_row, G_LIST_MODEL (self->models));

  current = g_settings_get_string (self->settings, "default-provider");
  presets = tessera_llm_presets_get (&n_presets);

  self->updating = TRUE;
  for (guint i = 0; i < n_presets; i++)
    gtk_string_list_append (names, presets[i].name);
  adw_combo_row_set_model (self->provider_row, G_LIST_MODEL (names));
  for (guint i = 0; i < n_presets; i++)
    {
      if (g_strcmp0 (presets[i].id, current) == 0)
        adw_combo_row_set_selected (self->provider_row, i);
    }
  self->updating = FALSE;

  domain = g_settings_get_string (self->settings, "e2b-domain");
  gtk_editable_set_text (GTK_EDITABLE (self->e2b_domain_row), domain);

  reload_provider (self);
}
