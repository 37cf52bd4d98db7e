/* test-secrets.c: keys in the real keyring the test harness unlocks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "tessera-secrets.h"

static GAsyncResult *
wait_for_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
store (TesseraSecrets  *secrets,
       const char      *provider,
       const char      *base_url,
       const char      *key,
       GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tessera_secrets_store_async (secrets, provider, base_url, key, NULL, NULL,
                               store_result_cb, &result);
  return tessera_secrets_store_finish (secrets, wait_for_result (&result), error);
}

static char *
lookup (TesseraSecrets       *secrets,
        const char           *provider,
        const char           *base_url,
        TesseraSecretSource  *source,
        GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tessera_secrets_lookup_async (secrets, provider, base_url, NULL,
                                store_result_cb, &result);
  return tessera_secrets_lookup_finish (secrets, wait_for_result (&result), source, error);
}

static gboolean
clear (TesseraSecrets  *secrets,
       const char      *provider,
       const char      *base_url,
       GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tessera_secrets_clear_async (secrets, provider, base_url, NULL,
                               store_result_cb, &result);
  return tessera_secrets_clear_finish (secrets, wait_for_result (&result), error);
}

static void
test_round_trip (void)
{
  g_autoptr(TesseraSecrets) secrets = tessera_secrets_new ();
  g_autoptr(GError) error = NULL;
  TesseraSecretSource source = TESSERA_SECRET_SOURCE_ENVIRONMENT;
  char *key;

  g_unsetenv ("OPENROUTER_API_KEY");

  /* Nothing stored yet: no key, no error. */
  key = lookup (secrets, "openrouter", "https://openrouter.ai/api/v1", &source, &error);
  g_assert_no_error (error);
  g_assert_null (key);
  g_assert_cmpint (source, ==, TESSERA_SECRET_SOURCE_NONE);

  g_assert_true (store (secrets, "openrouter", "https://openrouter.ai/api/v1", "sk-or-first", &error));
  g_assert_no_error (error);
  /* Storing again replaces the item instead of adding a second one. */
  g_assert_true (store (secrets, "openrouter", "https://openrouter.ai/api/v1", "sk-or-second", &error));
  g_assert_no_error (error);
  /* Same provider, another endpoint: a separate item. */
  g_assert_true (store (secrets, "openrouter", "https://proxy.example/v1", "sk-or-proxy", &error));
  g_assert_no_error (error);

  key = lookup (secrets, "openrouter", "https://openrouter.ai/api/v1", &source, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "sk-or-second");
  g_assert_cmpint (source, ==, TESSERA_SECRET_SOURCE_KEYRING);
  tessera_secrets_key_free (key);

  key = lookup (secrets, "openrouter", "https://proxy.example/v1", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "sk-or-proxy");
  tessera_secrets_key_free (key);

  g_assert_true (clear (secrets, "openrouter", "https://openrouter.ai/api/v1", &error));
  g_assert_no_error (error);
  key = lookup (secrets, "openrouter", "https://openrouter.ai/api/v1", &source, &error);
  g_assert_no_error (error);
  g_assert_null (key);
  g_assert_cmpint (source, ==, TESSERA_SECRET_SOURCE_NONE);

  /* The other endpoint's key survived. */
  key = lookup (secrets, "openrouter", "https://proxy.example/v1", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "sk-or-proxy");
  tessera_secrets_key_free (key);

  g_assert_true (clear (secrets, "openrouter", "https://proxy.example/v1", &error));
  g_assert_no_error (error);
  /* Clearing what is not there is fine. */
  g_assert_true (clear (secrets, "openrouter", "https://proxy.example/v1", &error));
  g_assert_no_error (error);
}

static void
test_default_base_url (void)
{
  g_autoptr(TesseraSecrets) secrets = tessera_secrets_new ();
  g_autoptr(GError) error = NULL;
  char *key;

  g_unsetenv ("E2B_API_KEY");

  /* NULL and "" name the same item. */
  g_assert_true (store (secrets, "e2b", NULL, "e2b_0123", &error));
  g_assert_no_error (error);
  key = lookup (secrets, "e2b", "", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "e2b_0123");
  tessera_secrets_key_free (key);
  g_assert_true (clear (secrets, "e2b", "", &error));
  g_assert_no_error (error);
  key = lookup (secrets, "e2b", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (key);
}

static void
test_env_override (void)
{
  g_autoptr(TesseraSecrets) secrets = tessera_secrets_new ();
  g_autoptr(GError) error = NULL;
  TesseraSecretSource source = TESSERA_SECRET_SOURCE_NONE;
  char *key;

  g_assert_cmpstr (tessera_secrets_get_env_var ("openai"), ==, "OPENAI_API_KEY");
  g_assert_cmpstr (tessera_secrets_get_env_var ("anthropic"), ==, "ANTHROPIC_API_KEY");
  g_assert_cmpstr (tessera_secrets_get_env_var ("e2b"), ==, "E2B_API_KEY");
  g_assert_null (tessera_secrets_get_env_var ("ollama"));

  g_assert_true (store (secrets, "anthropic", NULL, "sk-ant-keyring", &error));
  g_assert_no_error (error);

  /* Set: the environment wins over the keyring. */
  g_setenv ("ANTHROPIC_API_KEY", "sk-ant-environment", TRUE);
  key = lookup (secrets, "anthropic", NULL, &source, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "sk-ant-environment");
  g_assert_cmpint (source, ==, TESSERA_SECRET_SOURCE_ENVIRONMENT);
  tessera_secrets_key_free (key);

  /* Set but empty counts as unset, as in the providers' SDKs. */
  g_setenv ("ANTHROPIC_API_KEY", "", TRUE);
  key = lookup (secrets, "anthropic", NULL, &source, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "sk-ant-keyring");
  g_assert_cmpint (source, ==, TESSERA_SECRET_SOURCE_KEYRING);
  tessera_secrets_key_free (key);

  /* Another provider's variable does not apply. */
  g_setenv ("OPENAI_API_KEY", "sk-openai-environment", TRUE);
  g_unsetenv ("ANTHROPIC_API_KEY");
  key = lookup (secrets, "anthropic", NULL, &source, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "sk-ant-keyring");
  tessera_secrets_key_free (key);

  /* Clearing leaves the environment alone. */
  g_assert_true (clear (secrets, "openai", NULL, &error));
  g_assert_no_error (error);
  key = lookup (secrets, "openai", NULL, &source, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "sk-openai-environment");
  g_assert_cmpint (source, ==, TESSERA_SECRET_SOURCE_ENVIRONMENT);
  tessera_secrets_key_free (key);

  g_unsetenv ("OPENAI_API_KEY");
  g_assert_true (clear (secrets, "anthropic", NULL, &error));
  g_assert_no_error (error);
}

static void
test_empty_key_refused (void)
{
  g_autoptr(TesseraSecrets) secrets = tessera_secrets_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (store (secrets, "groq", NULL, "", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/secrets/round-trip", test_round_trip);
  g_test_add_func ("/secrets/default-base-url", test_default_base_url);
  g_test_add_func ("/secrets/env-override", test_env_override);
  g_test_add_func ("/secrets/empty-key-refused", test_empty_key_refused);

  return g_test_run ();
}
