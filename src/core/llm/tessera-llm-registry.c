/* tessera-llm-registry.c: provider presets, and providers from them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-llm-registry"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "tessera-anthropic-provider.h"
#include "tessera-llm-registry.h"
#include "tessera-openai-provider.h"

#define OLLAMA_DEFAULT_ROOT "http://127.0.0.1:11434"
/* Ollama on this machine answers in milliseconds; anything slower is not
 * worth holding up the provider list for. */
#define DETECT_TIMEOUT_MS 1500

/* Local servers use 127.0.0.1, not localhost: localhost may resolve to
 * ::1 first while the server listens on IPv4 only. */
static const TesseraLlmPreset presets[] = {
  { "openai", "OpenAI", TESSERA_LLM_API_OPENAI, "https://api.openai.com/v1", TRUE, "OPENAI_API_KEY", FALSE },
  { "anthropic", "Anthropic", TESSERA_LLM_API_ANTHROPIC, "https://api.anthropic.com", TRUE, "ANTHROPIC_API_KEY", FALSE },
  { "openrouter", "OpenRouter", TESSERA_LLM_API_OPENAI, "https://openrouter.ai/api/v1", TRUE, "OPENROUTER_API_KEY", FALSE },
  { "groq", "Groq", TESSERA_LLM_API_OPENAI, "https://api.groq.com/openai/v1", TRUE, "GROQ_API_KEY", FALSE },
  { "mistral", "Mistral", TESSERA_LLM_API_OPENAI, "https://api.mistral.ai/v1", TRUE, "MISTRAL_API_KEY", FALSE },
  { "deepseek", "DeepSeek", TESSERA_LLM_API_OPENAI, "https://api.deepseek.com/v1", TRUE, "DEEPSEEK_API_KEY", FALSE },
  { "together", "Together", TESSERA_LLM_API_OPENAI, "https://api.together.xyz/v1", TRUE, "TOGETHER_API_KEY", FALSE },
  { "gemini", "Google Gemini", TESSERA_LLM_API_OPENAI, "https://generativelanguage.googleapis.com/v1beta/openai", TRUE, "GEMINI_API_KEY", FALSE },
  { "ollama", "Ollama", TESSERA_LLM_API_OPENAI, OLLAMA_DEFAULT_ROOT "/v1", FALSE, NULL, TRUE },
  { "lmstudio", "LM Studio", TESSERA_LLM_API_OPENAI, "http://127.0.0.1:1234/v1", FALSE, NULL, TRUE },
  { "llamacpp", "llama.cpp", TESSERA_LLM_API_OPENAI, "http://127.0.0.1:8080/v1", FALSE, NULL, TRUE },
  { "vllm", "vLLM", TESSERA_LLM_API_OPENAI, "http://127.0.0.1:8000/v1", FALSE, NULL, TRUE },
  { "custom", "Custom", TESSERA_LLM_API_OPENAI, NULL, FALSE, NULL, FALSE },
};

const TesseraLlmPreset *
tessera_llm_presets_get (guint *n_presets)
{
  if (n_presets != NULL)
    *n_presets = G_N_ELEMENTS (presets);

  return presets;
}

const TesseraLlmPreset *
tessera_llm_preset_lookup (const char *id)
{
  if (id == NULL)
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    if (g_str_equal (presets[i].id, id))
      return &presets[i];

  return NULL;
}

static gboolean
is_http_url (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  return uri != NULL &&
         g_uri_get_host (uri) != NULL && g_uri_get_host (uri)[0] != '\0' &&
         (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") == 0 ||
          g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0);
}

TesseraLlmProvider *
tessera_llm_provider_new_for_preset (const char  *preset_id,
                                     const char  *base_url,
                                     const char  *api_key,
                                     GError     **error)
{
  const TesseraLlmPreset *preset = tessera_llm_preset_lookup (preset_id);

  if (preset == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a known provider."), preset_id ? preset_id : "");
      return NULL;
    }

  if (base_url == NULL || base_url[0] == '\0')
    base_url = preset->base_url;

  if (base_url == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("A custom provider needs a base URL, such as http://127.0.0.1:8080/v1."));
      return NULL;
    }

  if (!is_http_url (base_url))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a web address. A base URL starts with http:// or https://."),
                   base_url);
      return NULL;
    }

  if (preset->api == TESSERA_LLM_API_ANTHROPIC)
    return tessera_anthropic_provider_new (base_url, api_key);

  return tessera_openai_provider_new (preset->id, preset->name, base_url, api_key);
}

typedef struct
{
  char *preset_id;
  char *base_url;
} NewData;

static void
new_data_free (gpointer data)
{
  NewData *nd = data;

  g_free (nd->preset_id);
  g_free (nd->base_url);
  g_free (nd);
}

static void
new_lookup_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NewData *nd = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  TesseraLlmProvider *provider;
  char *key;

  key = tessera_secrets_lookup_finish (TESSERA_SECRETS (object), result, NULL, &error);
  if (error != NULL)
    {
      /* No keyring (a bare session) still lets keyless and environment
       * setups work; the key-needing provider will then say AUTH. */
      g_debug ("No key from the keyring: %s", error->message);
      g_clear_error (&error);
    }

  provider = tessera_llm_provider_new_for_preset (nd->preset_id, nd->base_url, key, &error);
  tessera_secrets_key_free (key);

  if (provider == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, provider, g_object_unref);
}

void
tessera_llm_provider_new_with_secrets_async (TesseraSecrets      *secrets,
                                             const char          *preset_id,
                                             const char          *base_url,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  NewData *nd;

  g_return_if_fail (TESSERA_IS_SECRETS (secrets));
  g_return_if_fail (preset_id != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_llm_provider_new_with_secrets_async);

  nd = g_new0 (NewData, 1);
  nd->preset_id = g_strdup (preset_id);
  nd->base_url = g_strdup (base_url);
  g_task_set_task_data (task, nd, new_data_free);

  tessera_secrets_lookup_async (secrets, preset_id, base_url, cancellable,
                                new_lookup_cb, g_steal_pointer (&task));
}

TesseraLlmProvider *
tessera_llm_provider_new_with_secrets_finish (GAsyncResult  *result,
                                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
tessera_llm_ollama_base_url_from_host (const char *host)
{
  g_autofree char *value = NULL;
  g_autofree char *with_scheme = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *hostname;
  int port;

  if (host == NULL)
    return NULL;

  value = g_strstrip (g_strdup (host));
  if (value[0] == '\0')
    return NULL;

  if (strstr (value, "://") == NULL)
    with_scheme = g_strconcat ("http://", value, NULL);
  else
    with_scheme = g_strdup (value);

  uri = g_uri_parse (with_scheme, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || !is_http_url (with_scheme))
    return NULL;

  hostname = g_uri_get_host (uri);
  /* OLLAMA_HOST is often the server's bind address. */
  if (g_ascii_strcasecmp (hostname, "localhost") == 0 || g_str_equal (hostname, "0.0.0.0"))
    hostname = "127.0.0.1";

  port = g_uri_get_port (uri);
  if (port <= 0)
    port = g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 11434;

  return g_strdup_printf ("%s://%s%s%s:%d/v1",
                          g_uri_get_scheme (uri),
                          strchr (hostname, ':') != NULL ? "[" : "",
                          hostname,
                          strchr (hostname, ':') != NULL ? "]" : "",
                          port);
}

static const char *
getenv_nonempty (const char *name)
{
  const char *value = g_getenv (name);

  return value != NULL && value[0] != '\0' ? value : NULL;
}

TesseraLlmProvider *
tessera_llm_provider_new_from_env (void)
{
  const char *key;
  const char *base;
  const char *ollama_host;

  key = getenv_nonempty ("OPENAI_API_KEY");
  base = getenv_nonempty ("OPENAI_BASE_URL");
  if (key != NULL || base != NULL)
    return tessera_llm_provider_new_for_preset ("openai", base, key, NULL);

  key = getenv_nonempty ("ANTHROPIC_API_KEY");
  base = getenv_nonempty ("ANTHROPIC_BASE_URL");
  if (key != NULL || base != NULL)
    return tessera_llm_provider_new_for_preset ("anthropic", base, key, NULL);

  ollama_host = getenv_nonempty ("OLLAMA_HOST");
  if (ollama_host != NULL)
    {
      g_autofree char *url = tessera_llm_ollama_base_url_from_host (ollama_host);

      if (url != NULL)
        return tessera_llm_provider_new_for_preset ("ollama", url, NULL, NULL);
    }

  return NULL;
}

typedef struct
{
  SoupSession *session;
  SoupMessage *message;
  GSource     *timeout;
  char        *base_url;
} DetectData;

static void
detect_data_free (gpointer data)
{
  DetectData *dd = data;

  if (dd->timeout != NULL)
    {
      g_source_destroy (dd->timeout);
      g_source_unref (dd->timeout);
    }
  g_clear_object (&dd->message);
  g_clear_object (&dd->session);
  g_free (dd->base_url);
  g_free (dd);
}

static gboolean
detect_timeout_cb (gpointer user_data)
{
  DetectData *dd = user_data;

  /* Ends the request; its callback then reports "not found". */
  soup_session_abort (dd->session);

  return G_SOURCE_REMOVE;
}

static void
detect_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DetectData *dd = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (body == NULL)
    {
      if (g_task_return_error_if_cancelled (task))
        return;
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  /* Something answers on the port; only Ollama answers with models. */
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (dd->message)) ||
      !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root) ||
      !json_object_has_member (json_node_get_object (root), "models"))
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  g_task_return_pointer (task, g_strdup (dd->base_url), g_free);
}

void
tessera_llm_detect_ollama_async (const char          *root,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *clean_root = NULL;
  g_autofree char *url = NULL;
  DetectData *dd;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_llm_detect_ollama_async);

  clean_root = g_strdup (root != NULL ? root : OLLAMA_DEFAULT_ROOT);
  while (g_str_has_suffix (clean_root, "/"))
    clean_root[strlen (clean_root) - 1] = '\0';
  url = g_strconcat (clean_root, "/api/tags", NULL);

  dd = g_new0 (DetectData, 1);
  dd->base_url = g_strconcat (clean_root, "/v1", NULL);
  dd->session = soup_session_new_with_options ("timeout", 2, NULL);
  dd->message = soup_message_new (SOUP_METHOD_GET, url);
  g_task_set_task_data (task, dd, detect_data_free);

  if (dd->message == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("“%s” is not a web address."), clean_root);
      return;
    }
  soup_message_add_flags (dd->message, SOUP_MESSAGE_NO_REDIRECT);

  dd->timeout = g_timeout_source_new (DETECT_TIMEOUT_MS);
  g_source_set_callback (dd->timeout, detect_timeout_cb, dd, NULL);
  g_source_set_static_name (dd->timeout, "[tessera] ollama detect timeout");
  g_source_attach (dd->timeout, g_task_get_context (task));

  soup_session_send_and_read_async (dd->session, dd->message, G_PRIORITY_DEFAULT,
                                    cancellable, detect_cb, g_object_ref (task));
}

char *
tessera_llm_detect_ollama_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
