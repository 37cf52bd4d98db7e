/* test-llm-registry.c: presets, environment, keyring keys, Ollama detection,
 * and that no key ever reaches the log
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "llm-test-util.h"

static const char *env_vars[] = {
  "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
  "OLLAMA_HOST", "GROQ_API_KEY",
};

static void
clear_env (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (env_vars); i++)
    g_unsetenv (env_vars[i]);
}

static void
test_presets (void)
{
  const TesseraLlmPreset *presets;
  const char *expected[] = {
    "openai", "anthropic", "openrouter", "groq", "mistral", "deepseek", "together",
    "gemini", "ollama", "lmstudio", "llamacpp", "vllm", "custom",
  };
  guint n;

  presets = tessera_llm_presets_get (&n);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (expected));

  for (guint i = 0; i < n; i++)
    {
      const TesseraLlmPreset *p = &presets[i];

      g_assert_cmpstr (p->id, ==, expected[i]);
      g_assert_true (tessera_llm_preset_lookup (p->id) == p);
      /* The keyring layer and the presets agree on the variable. */
      g_assert_cmpstr (p->key_env, ==, tessera_secrets_get_env_var (p->id));
      if (p->base_url != NULL)
        {
          g_assert_true (g_str_has_prefix (p->base_url, p->local ? "http://127.0.0.1:" : "https://"));
          g_assert_false (g_str_has_suffix (p->base_url, "/"));
        }
      g_assert_true (p->needs_key == (p->key_env != NULL));
    }

  g_assert_cmpstr (tessera_llm_preset_lookup ("ollama")->base_url, ==, "http://127.0.0.1:11434/v1");
  g_assert_cmpstr (tessera_llm_preset_lookup ("gemini")->base_url, ==,
                   "https://generativelanguage.googleapis.com/v1beta/openai");
  g_assert_null (tessera_llm_preset_lookup ("custom")->base_url);
  g_assert_null (tessera_llm_preset_lookup ("nope"));
}

static void
test_new_for_preset (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraLlmProvider) groq = NULL;
  g_autoptr(TesseraLlmProvider) anthropic = NULL;
  g_autoptr(TesseraLlmProvider) custom = NULL;
  TesseraLlmProvider *bad;

  groq = tessera_llm_provider_new_for_preset ("groq", NULL, "gsk_x", &error);
  g_assert_no_error (error);
  g_assert_true (TESSERA_IS_OPENAI_PROVIDER (groq));
  g_assert_cmpstr (tessera_llm_provider_get_base_url (groq), ==, "https://api.groq.com/openai/v1");
  g_assert_cmpstr (tessera_llm_provider_get_name (groq), ==, "Groq");
  g_assert_true (tessera_llm_provider_has_api_key (groq));

  anthropic = tessera_llm_provider_new_for_preset ("anthropic", "", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (TESSERA_IS_ANTHROPIC_PROVIDER (anthropic));

  custom = tessera_llm_provider_new_for_preset ("custom", "http://192.168.1.5:8080/v1/", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tessera_llm_provider_get_base_url (custom), ==, "http://192.168.1.5:8080/v1");

  bad = tessera_llm_provider_new_for_preset ("custom", NULL, NULL, &error);
  g_assert_null (bad);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  bad = tessera_llm_provider_new_for_preset ("custom", "file:///etc/passwd", NULL, &error);
  g_assert_null (bad);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  bad = tessera_llm_provider_new_for_preset ("skynet", NULL, NULL, &error);
  g_assert_null (bad);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_ollama_host (void)
{
  const struct { const char *host; const char *url; } cases[] = {
    { "127.0.0.1:11434", "http://127.0.0.1:11434/v1" },
    { "localhost", "http://127.0.0.1:11434/v1" },
    { "0.0.0.0:9999", "http://127.0.0.1:9999/v1" },
    { "http://gpu-box:11434", "http://gpu-box:11434/v1" },
    { "https://ollama.example.com", "https://ollama.example.com:443/v1" },
    { " 10.0.0.2 ", "http://10.0.0.2:11434/v1" },
    { "", NULL },
    { "ftp://x", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *url = tessera_llm_ollama_base_url_from_host (cases[i].host);

      g_assert_cmpstr (url, ==, cases[i].url);
    }
}

static void
test_from_env_precedence (void)
{
  TesseraLlmProvider *provider;

  clear_env ();
  g_assert_null (tessera_llm_provider_new_from_env ());

  g_setenv ("OLLAMA_HOST", "127.0.0.1:4321", TRUE);
  g_setenv ("ANTHROPIC_API_KEY", "sk-ant-env", TRUE);
  g_setenv ("OPENAI_API_KEY", "sk-openai-env", TRUE);

  /* OpenAI first, then Anthropic, then Ollama. */
  provider = tessera_llm_provider_new_from_env ();
  g_assert_cmpstr (tessera_llm_provider_get_id (provider), ==, "openai");
  g_assert_cmpstr (tessera_llm_provider_get_base_url (provider), ==, "https://api.openai.com/v1");
  g_assert_cmpstr (tessera_llm_provider_get_api_key (provider), ==, "sk-openai-env");
  g_assert_finalize_object (provider);

  g_setenv ("OPENAI_API_KEY", "", TRUE);
  provider = tessera_llm_provider_new_from_env ();
  g_assert_cmpstr (tessera_llm_provider_get_id (provider), ==, "anthropic");
  g_assert_cmpstr (tessera_llm_provider_get_api_key (provider), ==, "sk-ant-env");
  g_assert_finalize_object (provider);

  g_unsetenv ("ANTHROPIC_API_KEY");
  g_setenv ("ANTHROPIC_BASE_URL", "http://127.0.0.1:7777", TRUE);
  provider = tessera_llm_provider_new_from_env ();
  g_assert_cmpstr (tessera_llm_provider_get_id (provider), ==, "anthropic");
  g_assert_cmpstr (tessera_llm_provider_get_base_url (provider), ==, "http://127.0.0.1:7777");
  g_assert_false (tessera_llm_provider_has_api_key (provider));
  g_assert_finalize_object (provider);

  g_unsetenv ("ANTHROPIC_BASE_URL");
  provider = tessera_llm_provider_new_from_env ();
  g_assert_cmpstr (tessera_llm_provider_get_id (provider), ==, "ollama");
  g_assert_cmpstr (tessera_llm_provider_get_base_url (provider), ==, "http://127.0.0.1:4321/v1");
  g_assert_finalize_object (provider);

  /* A base URL alone picks OpenAI-compatible, keyless (a local server). */
  g_setenv ("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1", TRUE);
  provider = tessera_llm_provider_new_from_env ();
  g_assert_cmpstr (tessera_llm_provider_get_id (provider), ==, "openai");
  g_assert_cmpstr (tessera_llm_provider_get_base_url (provider), ==, "http://127.0.0.1:8080/v1");
  g_assert_false (tessera_llm_provider_has_api_key (provider));
  g_assert_finalize_object (provider);

  clear_env ();
}

/* The flow of a project with no provider: from the environment, first
 * listed model, one answer. */
static void
test_from_env_end_to_end (void)
{
  g_autoptr(TesseraFakeLlmServer) server = tessera_fake_llm_server_new ();
  g_autoptr(TesseraLlmProvider) provider = NULL;
  g_autoptr(TesseraLlmRequest) request = NULL;
  g_autoptr(StreamRun) run = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = NULL;

  clear_env ();
  g_setenv ("OPENAI_BASE_URL", tessera_fake_llm_server_get_openai_url (server), TRUE);
  g_setenv ("OPENAI_API_KEY", "sk-from-env", TRUE);

  provider = tessera_llm_provider_new_from_env ();
  models = list_models (provider, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (models[0], ==, "fake-large");

  request = simple_request (models[0], "hi");
  tessera_fake_llm_server_push_text (server, "Hello from the environment.");
  run = stream_run (provider, request, 0, FALSE);
  g_assert_no_error (run->error);
  g_assert_cmpstr (tessera_llm_stream_get_text (run->stream), ==, "Hello from the environment.");
  g_assert_cmpstr (tessera_fake_llm_request_get_header (tessera_fake_llm_server_get_last_request (server), "Authorization"),
                   ==, "Bearer sk-from-env");
  clear_env ();
}

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static TesseraLlmProvider *
provider_with_secrets (TesseraSecrets *secrets,
                       const char     *preset,
                       const char     *base_url)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TesseraLlmProvider *provider;

  tessera_llm_provider_new_with_secrets_async (secrets, preset, base_url, NULL, result_cb, &result);
  provider = tessera_llm_provider_new_with_secrets_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (provider);

  return provider;
}

/* Keys from the real keyring, and the environment winning over it. */
static void
test_with_secrets (void)
{
  g_autoptr(TesseraFakeLlmServer) server = tessera_fake_llm_server_new ();
  g_autoptr(TesseraSecrets) secrets = tessera_secrets_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *base = tessera_fake_llm_server_get_openai_url (server);
  TesseraLlmProvider *provider;
  g_autoptr(TesseraLlmRequest) request = simple_request ("fake-large", "hi");

  clear_env ();

  /* Nothing stored: a provider without a key. */
  provider = provider_with_secrets (secrets, "groq", base);
  g_assert_false (tessera_llm_provider_has_api_key (provider));
  g_assert_finalize_object (provider);

  tessera_secrets_store_async (secrets, "groq", base, "gsk-from-keyring", NULL, NULL, result_cb, &result);
  g_assert_true (tessera_secrets_store_finish (secrets, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  provider = provider_with_secrets (secrets, "groq", base);
  {
    g_autoptr(StreamRun) run = stream_run (provider, request, 0, FALSE);

    g_assert_no_error (run->error);
    g_assert_cmpstr (tessera_fake_llm_request_get_header (tessera_fake_llm_server_get_last_request (server), "Authorization"),
                     ==, "Bearer gsk-from-keyring");
  }
  g_assert_finalize_object (provider);

  g_setenv ("GROQ_API_KEY", "gsk-from-env", TRUE);
  provider = provider_with_secrets (secrets, "groq", base);
  {
    g_autoptr(StreamRun) run = stream_run (provider, request, 0, FALSE);

    g_assert_no_error (run->error);
    g_assert_cmpstr (tessera_fake_llm_request_get_header (tessera_fake_llm_server_get_last_request (server), "Authorization"),
                     ==, "Bearer gsk-from-env");
  }
  g_assert_finalize_object (provider);
  g_unsetenv ("GROQ_API_KEY");

  tessera_secrets_clear_async (secrets, "groq", base, NULL, result_cb, &result);
  g_assert_true (tessera_secrets_clear_finish (secrets, wait_result (&result), &error));
  g_assert_no_error (error);
}

static char *
detect (const char *root)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *url;

  tessera_llm_detect_ollama_async (root, NULL, result_cb, &result);
  url = tessera_llm_detect_ollama_finish (wait_result (&result), &error);
  g_assert_no_error (error);

  return url;
}

static void
not_ollama_cb (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, "<h1>hello</h1>", 14);
}

static void
test_detect_ollama (void)
{
  g_autoptr(TesseraFakeLlmServer) ollama = tessera_fake_llm_server_new ();
  g_autoptr(SoupServer) other = soup_server_new (NULL, NULL);
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *found = NULL;
  g_autofree char *refused_root = NULL;
  g_autofree char *other_root = NULL;
  g_autofree char *nothing = NULL;
  g_autofree char *wrong = NULL;
  g_autofree char *expected = NULL;
  GSList *uris;
  guint16 port;

  found = detect (tessera_fake_llm_server_get_url (ollama));
  expected = g_strconcat (tessera_fake_llm_server_get_url (ollama), "/v1", NULL);
  g_assert_cmpstr (found, ==, expected);
  g_assert_cmpstr (tessera_fake_llm_server_get_last_request (ollama)->path, ==, "/api/tags");

  socket = refusing_socket (&port);
  refused_root = g_strdup_printf ("http://127.0.0.1:%u", port);
  nothing = detect (refused_root);
  g_assert_null (nothing);

  /* Something else on the port is not Ollama. */
  soup_server_add_handler (other, NULL, not_ollama_cb, NULL, NULL);
  soup_server_listen_local (other, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (other);
  other_root = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  wrong = detect (other_root);
  g_assert_null (wrong);
  soup_server_disconnect (other);
}

/* Everything logged while the test runs, debug messages included. */
static GString *captured_log;

static GLogWriterOutput
capture_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    {
      if (fields[i].length < 0)
        g_string_append_printf (captured_log, "%s=%s ", fields[i].key, (const char *) fields[i].value);
      else
        {
          g_string_append_printf (captured_log, "%s=", fields[i].key);
          g_string_append_len (captured_log, fields[i].value, fields[i].length);
          g_string_append_c (captured_log, ' ');
        }
    }
  g_string_append_c (captured_log, '\n');

  /* Keep fatal handling: criticals and warnings still fail the test. */
  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (log_level, fields, n_fields, user_data);

  return G_LOG_WRITER_HANDLED;
}

#define LEAK_KEY "sk-LEAKCHECK-7f3a9c1e5b2d8f4a6c0e"

static void
test_key_never_logged (void)
{
  g_autoptr(TesseraFakeLlmServer) server = tessera_fake_llm_server_new ();
  g_autoptr(TesseraLlmProvider) openai = NULL;
  g_autoptr(TesseraLlmProvider) anthropic = NULL;
  g_autoptr(TesseraLlmRequest) request = simple_request ("fake-large", "hi");
  g_autoptr(GError) error = NULL;
  TesseraFakeLlmMode modes[] = {
    TESSERA_FAKE_LLM_ANSWER, TESSERA_FAKE_LLM_UNAUTHORIZED, TESSERA_FAKE_LLM_SERVER_ERROR,
    TESSERA_FAKE_LLM_OVERLOADED, TESSERA_FAKE_LLM_CONTEXT_TOO_LONG, TESSERA_FAKE_LLM_MALFORMED,
    TESSERA_FAKE_LLM_MODEL_NOT_FOUND,
  };

  openai = tessera_openai_provider_new ("openai", "OpenAI", tessera_fake_llm_server_get_openai_url (server), LEAK_KEY);
  anthropic = tessera_anthropic_provider_new (tessera_fake_llm_server_get_url (server), LEAK_KEY);
  tessera_llm_provider_set_retry_base_ms (openai, 1);
  tessera_llm_provider_set_retry_base_ms (anthropic, 1);
  tessera_llm_provider_set_max_retries (openai, 0);
  tessera_llm_provider_set_max_retries (anthropic, 0);

  for (guint p = 0; p < 2; p++)
    for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
      {
        g_autoptr(StreamRun) run = NULL;

        tessera_fake_llm_server_push_mode (server, modes[i]);
        run = stream_run (p == 0 ? openai : anthropic, request, 0, FALSE);
        if (run->error != NULL)
          g_assert_null (strstr (run->error->message, LEAK_KEY));
      }

  {
    g_auto(GStrv) models = list_models (openai, &error);

    g_assert_no_error (error);
  }
  {
    g_auto(GStrv) models = NULL;

    tessera_fake_llm_server_set_models_unauthorized (server, TRUE);
    models = list_models (anthropic, &error);
    g_assert_error (error, TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_AUTH);
    g_assert_null (strstr (error->message, LEAK_KEY));
  }

  /* The key did reach the server (so it was in play)... */
  g_assert_cmpstr (tessera_fake_llm_request_get_header (tessera_fake_llm_server_get_request (server, 0), "Authorization"),
                   ==, "Bearer " LEAK_KEY);
  /* ...the log did capture this layer's messages (so the scan can fail)... */
  g_assert_nonnull (strstr (captured_log->str, "GLIB_DOMAIN=tessera-llm-stream"));
  g_assert_nonnull (strstr (captured_log->str, "answered HTTP 401"));
  /* ...and the key is nowhere in it, not even a part of it. */
  g_assert_null (strstr (captured_log->str, LEAK_KEY));
  g_assert_null (strstr (captured_log->str, "LEAKCHECK"));
}

int
main (int   argc,
      char *argv[])
{
  /* Debug messages are where a careless header dump would go. */
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  captured_log = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/registry/presets", test_presets);
  g_test_add_func ("/registry/new-for-preset", test_new_for_preset);
  g_test_add_func ("/registry/ollama-host", test_ollama_host);
  g_test_add_func ("/registry/from-env-precedence", test_from_env_precedence);
  g_test_add_func ("/registry/from-env-end-to-end", test_from_env_end_to_end);
  g_test_add_func ("/registry/with-secrets", test_with_secrets);
  g_test_add_func ("/registry/detect-ollama", test_detect_ollama);
  g_test_add_func ("/registry/key-never-logged", test_key_never_logged);

  {
    int ret = g_test_run ();

    g_string_free (captured_log, TRUE);
    return ret;
  }
}
