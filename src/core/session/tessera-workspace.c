/* tessera-workspace.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-workspace"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-e2b-client.h"
#include "tessera-e2b-sandbox.h"
#include "tessera-history.h"
#include "tessera-llm-registry.h"
#include "tessera-local-sandbox.h"
#include "tessera-secrets.h"
#include "tessera-workspace.h"

struct _TesseraWorkspace
{
  GObject          parent_instance;

  TesseraProject  *project;
  GSettings       *settings;
  TesseraSecrets  *secrets;
  TesseraSandbox  *sandbox;
  TesseraRunner   *runner;
  TesseraSession  *session;
  TesseraHistory  *history;
  /* Cancelled on shutdown and whenever the provider is looked up again. */
  GCancellable    *provider_cancellable;
  GCancellable    *cancellable;
  char            *backend;
  char            *provider_status;
  char            *wanted_model;
  guint            provider_ready : 1;
};

G_DEFINE_FINAL_TYPE (TesseraWorkspace, tessera_workspace, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROJECT,
  PROP_SETTINGS,
  PROP_PROVIDER_STATUS,
  PROP_PROVIDER_READY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A project setting, else the application's, else NULL (never ""). */
static char *
dup_setting (TesseraWorkspace *self,
             const char       *project_key,
             const char       *settings_key)
{
  const char *value = project_key ? tessera_project_get_setting (self->project, project_key) : NULL;

  if (value != NULL && value[0] != '\0')
    return g_strdup (value);

  if (self->settings != NULL && settings_key != NULL)
    {
      g_autofree char *from_settings = g_settings_get_string (self->settings, settings_key);

      if (from_settings[0] != '\0')
        return g_steal_pointer (&from_settings);
    }

  return NULL;
}

static guint
get_uint_setting (TesseraWorkspace *self,
                  const char       *key,
                  guint             fallback)
{
  return self->settings != NULL ? g_settings_get_uint (self->settings, key) : fallback;
}

static char *
choose_backend (TesseraWorkspace *self)
{
  const char *chosen = tessera_project_get_setting (self->project, "sandbox");
  const char *env = g_getenv ("TESSERA_SANDBOX");
  g_autofree char *fallback = NULL;

  /* The project's own choice first; TESSERA_SANDBOX only for projects
   * that have not chosen, like the application's default. */
  if (chosen == NULL || chosen[0] == '\0')
    chosen = env;
  if (chosen == NULL || chosen[0] == '\0')
    chosen = fallback = dup_setting (self, NULL, "default-sandbox");

  return g_strdup (g_strcmp0 (chosen, "e2b") == 0 ? "e2b" : "local");
}

static TesseraSandbox *
create_local_sandbox (TesseraWorkspace *self)
{
  const char *network = tessera_project_get_setting (self->project, "network");
  const char *unsandboxed = tessera_project_get_setting (self->project, "allow-unsandboxed");
  TesseraLocalSandbox *sandbox = tessera_local_sandbox_new (tessera_project_get_root (self->project));

  g_object_set (sandbox,
                "network", g_strcmp0 (network, "off") != 0,
                "memory-mb", get_uint_setting (self, "sandbox-memory-limit-mb", 4096),
                "cpu-seconds", get_uint_setting (self, "sandbox-cpu-limit-seconds", 3600),
                "allow-unsandboxed", g_strcmp0 (unsandboxed, "yes") == 0,
                NULL);

  return TESSERA_SANDBOX (sandbox);
}

static TesseraSandbox *
create_e2b_sandbox (TesseraWorkspace *self)
{
  g_autoptr(TesseraE2bClient) client = tessera_e2b_client_new ();
  g_autofree char *domain = dup_setting (self, NULL, "e2b-domain");
  g_autofree char *api_url = dup_setting (self, NULL, "e2b-api-url");
  g_autofree char *sandbox_url = dup_setting (self, NULL, "e2b-sandbox-url");
  g_autofree char *template_id = dup_setting (self, "e2b-template", "e2b-template");
  const char *keep_alive = tessera_project_get_setting (self->project, "e2b-keep-alive");
  const char *pin = tessera_project_get_setting (self->project, "e2b-pin");
  TesseraE2bSandbox *sandbox;

  /* Settings are given only when set, so that E2B's own environment
   * variables work as with E2B's SDKs. */
  if (domain != NULL && g_getenv ("E2B_DOMAIN") == NULL)
    tessera_e2b_client_set_domain (client, domain);
  if (api_url != NULL)
    tessera_e2b_client_set_api_url (client, api_url);
  if (sandbox_url != NULL)
    tessera_e2b_client_set_sandbox_url (client, sandbox_url);

  sandbox = tessera_e2b_sandbox_new (self->project, client);
  if (template_id != NULL)
    tessera_e2b_sandbox_set_template (sandbox, template_id);
  if (keep_alive != NULL)
    tessera_e2b_sandbox_set_keep_alive (sandbox, g_strcmp0 (keep_alive, "no") != 0);
  else if (self->settings != NULL)
    tessera_e2b_sandbox_set_keep_alive (sandbox, g_settings_get_boolean (self->settings, "e2b-keep-alive"));
  tessera_e2b_sandbox_set_pinned (sandbox, g_strcmp0 (pin, "yes") == 0);

  return TESSERA_SANDBOX (sandbox);
}

static void
set_provider_status (TesseraWorkspace *self,
                     const char       *status,
                     gboolean          ready)
{
  if (g_strcmp0 (self->provider_status, status) != 0)
    {
      g_free (self->provider_status);
      self->provider_status = g_strdup (status);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROVIDER_STATUS]);
    }

  if (self->provider_ready != !!ready)
    {
      self->provider_ready = !!ready;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROVIDER_READY]);
    }
}

static void
use_model (TesseraWorkspace *self,
           const char       *model)
{
  TesseraLlmProvider *provider = tessera_session_get_provider (self->session);
  g_autofree char *status = NULL;

  tessera_session_set_model (self->session, model);
  /* Translators: the AI model in use and who provides it, e.g.
   * "gpt-4o-mini · OpenAI". */
  status = g_strdup_printf (_("%s · %s"), model, tessera_llm_provider_get_name (provider));
  set_provider_status (self, status, TRUE);
}

static void
models_listed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TesseraWorkspace) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = tessera_llm_provider_list_models_finish (TESSERA_LLM_PROVIDER (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (models == NULL || models[0] == NULL)
    {
      g_autofree char *status = g_strdup_printf (_("Could not list the models of %s: %s"),
                                                 tessera_llm_provider_get_name (TESSERA_LLM_PROVIDER (object)),
                                                 error ? error->message : _("it offers none"));
      set_provider_status (self, status, FALSE);
      return;
    }

  use_model (self, models[0]);
}

static void
use_provider (TesseraWorkspace   *self,
              TesseraLlmProvider *provider)
{
  tessera_session_set_provider (self->session, provider);

  if (self->wanted_model != NULL)
    {
      use_model (self, self->wanted_model);
      return;
    }

  /* No model chosen: the first the provider lists, as its SDKs do. */
  set_provider_status (self, _("Looking for models…"), FALSE);
  tessera_llm_provider_list_models_async (provider, self->provider_cancellable,
                                          models_listed_cb, g_object_ref (self));
}

static void
provider_created_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(TesseraWorkspace) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraLlmProvider) provider = tessera_llm_provider_new_with_secrets_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (provider == NULL)
    {
      set_provider_status (self, error->message, FALSE);
      return;
    }

  use_provider (self, provider);
}

static void
ollama_detected_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TesseraWorkspace) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *base_url = tessera_llm_detect_ollama_finish (result, &error);
  g_autoptr(TesseraLlmProvider) provider = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (base_url != NULL)
    provider = tessera_llm_provider_new_for_preset ("ollama", base_url, NULL, NULL);

  if (provider == NULL)
    {
      set_provider_status (self, _("No AI provider is set up. Choose one in Preferences › Providers."), FALSE);
      return;
    }

  use_provider (self, provider);
}

void
tessera_workspace_reload_provider (TesseraWorkspace *self)
{
  g_autofree char *preset = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *model = NULL;
  g_autoptr(TesseraLlmProvider) from_env = NULL;

  g_return_if_fail (TESSERA_IS_WORKSPACE (self));

  g_cancellable_cancel (self->provider_cancellable);
  g_clear_object (&self->provider_cancellable);
  self->provider_cancellable = g_cancellable_new ();

  /* The project's choice, then the preferences', then the providers'
   * usual environment variables, then a local Ollama. A provider's
   * address and model go with it: they are never mixed between the two. */
  if (tessera_project_get_setting (self->project, "ai-provider") != NULL &&
      tessera_project_get_setting (self->project, "ai-provider")[0] != '\0')
    {
      preset = dup_setting (self, "ai-provider", NULL);
      base_url = dup_setting (self, "ai-base-url", NULL);
      model = dup_setting (self, "ai-model", NULL);
    }
  else
    {
      preset = dup_setting (self, NULL, "default-provider");
      base_url = dup_setting (self, NULL, "default-base-url");
      model = dup_setting (self, NULL, "default-model");
    }
  g_free (self->wanted_model);
  self->wanted_model = g_steal_pointer (&model);

  set_provider_status (self, _("Connecting to the AI provider…"), FALSE);

  if (preset != NULL)
    {
      tessera_llm_provider_new_with_secrets_async (self->secrets, preset, base_url, self->provider_cancellable,
                                                   provider_created_cb, g_object_ref (self));
      return;
    }

  if ((from_env = tessera_llm_provider_new_from_env ()) != NULL)
    {
      /* A model from the preferences belongs to their provider, not this one. */
      g_clear_pointer (&self->wanted_model, g_free);
      use_provider (self, from_env);
      return;
    }

  tessera_llm_detect_ollama_async (NULL, self->provider_cancellable, ollama_detected_cb, g_object_ref (self));
}

static void
session_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraWorkspace *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  /* A conversation that cannot be read is set aside by the session and
   * explained in the chat; the project opens all the same. */
  if (!tessera_session_load_finish (TESSERA_SESSION (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_warning ("Could not restore the conversation: %s", error->message);
    }

  tessera_runner_start (self->runner);
  g_task_return_boolean (task, TRUE);
}

static void
e2b_key_looked_up_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraWorkspace *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  char *key = tessera_secrets_lookup_finish (TESSERA_SECRETS (object), result, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Without a key the sandbox fails to start and says so; the rest of
   * the project works all the same. */
  if (key != NULL)
    tessera_e2b_client_set_api_key (tessera_e2b_sandbox_get_client (TESSERA_E2B_SANDBOX (self->sandbox)), key);
  tessera_secrets_key_free (key);

  tessera_session_load_async (self->session, g_task_get_cancellable (task), session_loaded_cb, g_steal_pointer (&task));
}

void
tessera_workspace_start_async (TesseraWorkspace    *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TESSERA_IS_WORKSPACE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_workspace_start_async);

  tessera_workspace_reload_provider (self);

  if (TESSERA_IS_E2B_SANDBOX (self->sandbox))
    {
      /* The cloud sandbox needs its key before anything starts in it. */
      tessera_secrets_lookup_async (self->secrets, TESSERA_SECRETS_PROVIDER_E2B, NULL, cancellable,
                                    e2b_key_looked_up_cb, g_steal_pointer (&task));
      return;
    }

  tessera_session_load_async (self->session, cancellable, session_loaded_cb, g_steal_pointer (&task));
}

gboolean
tessera_workspace_start_finish (TesseraWorkspace  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
tessera_workspace_shutdown (TesseraWorkspace *self)
{
  g_return_if_fail (TESSERA_IS_WORKSPACE (self));

  g_cancellable_cancel (self->provider_cancellable);
  g_cancellable_cancel (self->cancellable);
  if (self->session != NULL)
    tessera_session_cancel (self->session);
  if (self->runner != NULL)
    tessera_runner_stop (self->runner);
  if (self->sandbox != NULL)
    tessera_sandbox_stop_async (self->sandbox, NULL, NULL, NULL);
}

TesseraProject *
tessera_workspace_get_project (TesseraWorkspace *self)
{
  g_return_val_if_fail (TESSERA_IS_WORKSPACE (self), NULL);
  return self->project;
}

TesseraSandbox *
tessera_workspace_get_sandbox (TesseraWorkspace *self)
{
  g_return_val_if_fail (TESSERA_IS_WORKSPACE (self), NULL);
  return self->sandbox;
}

TesseraRunner *
tessera_workspace_get_runner (TesseraWorkspace *self)
{
  g_return_val_if_fail (TESSERA_IS_WORKSPACE (self), NULL);
  return self->runner;
}

TesseraSession *
tessera_workspace_get_session (TesseraWorkspace *self)
{
  g_return_val_if_fail (TESSERA_IS_WORKSPACE (self), NULL);
  return self->session;
}

const char *
tessera_workspace_get_backend (TesseraWorkspace *self)
{
  g_return_val_if_fail (TESSERA_IS_WORKSPACE (self), NULL);
  return self->backend;
}

const char *
tessera_workspace_get_provider_status (TesseraWorkspace *self)
{
  g_return_val_if_fail (TESSERA_IS_WORKSPACE (self), NULL);
  return self->provider_status;
}

gboolean
tessera_workspace_get_provider_ready (TesseraWorkspace *self)
{
  g_return_val_if_fail (TESSERA_IS_WORKSPACE (self), FALSE);
  return self->provider_ready;
}

/* The first line of a prompt, as a version's message. */
static char *
summary_of (const char *text)
{
  const char *end = text ? strchr (text, '\n') : NULL;
  g_autofree char *line = text ? g_strndup (text, end ? (gsize) (end - text) : strlen (text)) : g_strdup ("");

  return g_strstrip (g_steal_pointer (&line));
}

static void
history_committed_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = tessera_history_commit_finish (TESSERA_HISTORY (object), result, &error);

  /* History is a convenience: a project keeps working without it. */
  if (id == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not record the project's history: %s", error->message);
}

/* Before a turn: the files as the user left them, so that undoing the
 * turn brings back the user's own edits too. */
static void
message_added_cb (TesseraWorkspace   *self,
                  TesseraChatMessage *message)
{
  g_autofree char *summary = NULL;
  g_autofree char *text = NULL;

  if (tessera_chat_message_get_role (message) != TESSERA_CHAT_ROLE_USER ||
      tessera_chat_message_get_automatic (message))
    return;

  summary = summary_of (tessera_chat_message_get_text (message));
  /* Translators: the message of the version saved before an AI turn. */
  text = g_strdup_printf (_("Before: %s"), summary);
  tessera_history_commit_async (self->history, TESSERA_HISTORY_KIND_SNAPSHOT, text, self->cancellable,
                                history_committed_cb, NULL);
}

/* After a turn that changed something: one version per turn. */
static void
turn_finished_cb (TesseraWorkspace   *self,
                  TesseraChatMessage *message,
                  TesseraTurnStatus   status,
                  const GError       *error)
{
  GListModel *messages = tessera_session_get_messages (self->session);
  g_autofree char *summary = NULL;

  if (status != TESSERA_TURN_COMPLETE && status != TESSERA_TURN_PARTIAL && status != TESSERA_TURN_INCOMPLETE)
    return;

  for (guint i = g_list_model_get_n_items (messages); i > 0 && summary == NULL; i--)
    {
      g_autoptr(TesseraChatMessage) item = g_list_model_get_item (messages, i - 1);

      if (tessera_chat_message_get_role (item) == TESSERA_CHAT_ROLE_USER &&
          !tessera_chat_message_get_automatic (item))
        summary = summary_of (tessera_chat_message_get_text (item));
    }

  tessera_history_commit_async (self->history, TESSERA_HISTORY_KIND_TURN,
                                summary && summary[0] ? summary : _("AI changes"), self->cancellable,
                                history_committed_cb, NULL);
}

TesseraHistory *
tessera_workspace_get_history (TesseraWorkspace *self)
{
  g_return_val_if_fail (TESSERA_IS_WORKSPACE (self), NULL);
  return self->history;
}

static void
tessera_workspace_constructed (GObject *object)
{
  TesseraWorkspace *self = TESSERA_WORKSPACE (object);

  G_OBJECT_CLASS (tessera_workspace_parent_class)->constructed (object);

  self->backend = choose_backend (self);
  self->sandbox = g_str_equal (self->backend, "e2b") ? create_e2b_sandbox (self) : create_local_sandbox (self);
  self->runner = tessera_runner_new (self->project, self->sandbox);
  self->session = tessera_session_new (self->project);
  tessera_session_set_sandbox (self->session, self->sandbox);

  self->history = tessera_history_new (self->project);
  g_signal_connect_object (self->session, "message-added", G_CALLBACK (message_added_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "turn-finished", G_CALLBACK (turn_finished_cb), self, G_CONNECT_SWAPPED);

  /* A cloud sandbox that expired comes back as a new one with the files
   * uploaded again; the app has to be started in it again. */
  if (TESSERA_IS_E2B_SANDBOX (self->sandbox))
    g_signal_connect_object (self->sandbox, "replaced", G_CALLBACK (tessera_runner_restart),
                             self->runner, G_CONNECT_SWAPPED);
}

static void
tessera_workspace_dispose (GObject *object)
{
  TesseraWorkspace *self = TESSERA_WORKSPACE (object);

  tessera_workspace_shutdown (self);

  g_clear_object (&self->history);
  g_clear_object (&self->session);
  g_clear_object (&self->runner);
  g_clear_object (&self->sandbox);
  g_clear_object (&self->secrets);
  g_clear_object (&self->settings);
  g_clear_object (&self->project);

  G_OBJECT_CLASS (tessera_workspace_parent_class)->dispose (object);
}

static void
tessera_workspace_finalize (GObject *object)
{
  TesseraWorkspace *self = TESSERA_WORKSPACE (object);

  g_clear_object (&self->provider_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->backend, g_free);
  g_clear_pointer (&self->provider_status, g_free);
  g_clear_pointer (&self->wanted_model, g_free);

  G_OBJECT_CLASS (tessera_workspace_parent_class)->finalize (object);
}

static void
tessera_workspace_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TesseraWorkspace *self = TESSERA_WORKSPACE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;

    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    case PROP_PROVIDER_STATUS:
      g_value_set_string (value, self->provider_status);
      break;

    case PROP_PROVIDER_READY:
      g_value_set_boolean (value, self->provider_ready);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_workspace_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  TesseraWorkspace *self = TESSERA_WORKSPACE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      self->project = g_value_dup_object (value);
      break;

    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_workspace_class_init (TesseraWorkspaceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = tessera_workspace_constructed;
  object_class->dispose = tessera_workspace_dispose;
  object_class->finalize = tessera_workspace_finalize;
  object_class->get_property = tessera_workspace_get_property;
  object_class->set_property = tessera_workspace_set_property;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL, TESSERA_TYPE_PROJECT,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  properties[PROP_PROVIDER_STATUS] =
    g_param_spec_string ("provider-status", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_PROVIDER_READY] =
    g_param_spec_boolean ("provider-ready", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_workspace_init (TesseraWorkspace *self)
{
  self->secrets = tessera_secrets_new ();
  self->cancellable = g_cancellable_new ();
  self->provider_cancellable = g_cancellable_new ();
}

TesseraWorkspace *
tessera_workspace_new (TesseraProject *project,
                       GSettings      *settings)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT (project), NULL);
  g_return_val_if_fail (!settings || G_IS_SETTINGS (settings), NULL);

  return g_object_new (TESSERA_TYPE_WORKSPACE,
                       "project", project,
                       "settings", settings,
                       NULL);
}
