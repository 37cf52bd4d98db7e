/* tessera-secrets.c: API keys in the system keyring (libsecret)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-secrets"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "tessera-secrets.h"

struct _TesseraSecrets
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (TesseraSecrets, tessera_secrets, G_TYPE_OBJECT)

/* The variables the providers' own SDKs read, so that a key exported for
 * them works here too. */
static const struct
{
  const char *provider;
  const char *env_var;
} env_vars[] = {
  { "openai", "OPENAI_API_KEY" },
  { "anthropic", "ANTHROPIC_API_KEY" },
  { "e2b", "E2B_API_KEY" },
  { "openrouter", "OPENROUTER_API_KEY" },
  { "groq", "GROQ_API_KEY" },
  { "mistral", "MISTRAL_API_KEY" },
  { "deepseek", "DEEPSEEK_API_KEY" },
  { "together", "TOGETHER_API_KEY" },
  { "gemini", "GEMINI_API_KEY" },
};

const SecretSchema *
tessera_secrets_get_schema (void)
{
  static const SecretSchema schema = {
    "io.github.tessera.Tessera.ApiKey",
    SECRET_SCHEMA_NONE,
    {
      { "provider", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "base-url", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

static void
tessera_secrets_class_init (TesseraSecretsClass *klass)
{
}

static void
tessera_secrets_init (TesseraSecrets *self)
{
}

TesseraSecrets *
tessera_secrets_new (void)
{
  return g_object_new (TESSERA_TYPE_SECRETS, NULL);
}

const char *
tessera_secrets_get_env_var (const char *provider)
{
  g_return_val_if_fail (provider != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (env_vars); i++)
    if (g_str_equal (env_vars[i].provider, provider))
      return env_vars[i].env_var;

  return NULL;
}

char *
tessera_secrets_dup_env_key (const char *provider)
{
  const char *var = tessera_secrets_get_env_var (provider);
  const char *value;

  if (var == NULL)
    return NULL;

  value = g_getenv (var);
  if (value == NULL || value[0] == '\0')
    return NULL;

  return g_strdup (value);
}

void
tessera_secrets_key_free (char *key)
{
  if (key == NULL)
    return;

  /* volatile keeps the compiler from dropping the wipe of memory that is
   * about to be freed. */
  for (volatile char *p = key; *p != '\0'; p++)
    *p = '\0';
  g_free (key);
}

static const char *
normalize_base_url (const char *base_url)
{
  return base_url != NULL ? base_url : "";
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
tessera_secrets_store_async (TesseraSecrets      *self,
                             const char          *provider,
                             const char          *base_url,
                             const char          *key,
                             const char          *label,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *default_label = NULL;

  g_return_if_fail (TESSERA_IS_SECRETS (self));
  g_return_if_fail (provider != NULL);
  g_return_if_fail (key != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_secrets_store_async);

  if (key[0] == '\0')
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The API key is empty."));
      return;
    }

  if (label == NULL)
    label = default_label = g_strdup_printf (_("Tessera API key for %s"), provider);

  secret_password_store (tessera_secrets_get_schema (),
                         SECRET_COLLECTION_DEFAULT,
                         label, key, cancellable,
                         store_cb, g_steal_pointer (&task),
                         "provider", provider,
                         "base-url", normalize_base_url (base_url),
                         NULL);
}

gboolean
tessera_secrets_store_finish (TesseraSecrets  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  char                *key;
  TesseraSecretSource  source;
} LookupResult;

static void
lookup_result_free (gpointer data)
{
  LookupResult *lr = data;

  tessera_secrets_key_free (lr->key);
  g_free (lr);
}

static void
return_key (GTask               *task,
            char                *key,
            TesseraSecretSource  source)
{
  LookupResult *lr = g_new0 (LookupResult, 1);

  lr->key = key;
  lr->source = key != NULL ? source : TESSERA_SECRET_SOURCE_NONE;
  g_task_return_pointer (task, lr, lookup_result_free);
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *secret;

  secret = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Move the key out of libsecret's secure memory into ordinary memory
   * that tessera_secrets_key_free() wipes, so callers need one free
   * function whatever the source. */
  return_key (task, g_strdup (secret), TESSERA_SECRET_SOURCE_KEYRING);
  secret_password_free (secret);
}

void
tessera_secrets_lookup_async (TesseraSecrets      *self,
                              const char          *provider,
                              const char          *base_url,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  char *env_key;

  g_return_if_fail (TESSERA_IS_SECRETS (self));
  g_return_if_fail (provider != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_secrets_lookup_async);

  env_key = tessera_secrets_dup_env_key (provider);
  if (env_key != NULL)
    {
      return_key (task, env_key, TESSERA_SECRET_SOURCE_ENVIRONMENT);
      return;
    }

  secret_password_lookup (tessera_secrets_get_schema (), cancellable,
                          lookup_cb, g_steal_pointer (&task),
                          "provider", provider,
                          "base-url", normalize_base_url (base_url),
                          NULL);
}

char *
tessera_secrets_lookup_finish (TesseraSecrets       *self,
                               GAsyncResult         *result,
                               TesseraSecretSource  *source,
                               GError              **error)
{
  LookupResult *lr;
  char *key;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (source != NULL)
    *source = TESSERA_SECRET_SOURCE_NONE;

  lr = g_task_propagate_pointer (G_TASK (result), error);
  if (lr == NULL)
    return NULL;

  key = g_steal_pointer (&lr->key);
  if (source != NULL)
    *source = lr->source;
  lookup_result_free (lr);

  return key;
}

static void
clear_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* FALSE without an error only means there was nothing to remove. */
  secret_password_clear_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
tessera_secrets_clear_async (TesseraSecrets      *self,
                             const char          *provider,
                             const char          *base_url,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TESSERA_IS_SECRETS (self));
  g_return_if_fail (provider != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_secrets_clear_async);

  secret_password_clear (tessera_secrets_get_schema (), cancellable,
                         clear_cb, g_steal_pointer (&task),
                         "provider", provider,
                         "base-url", normalize_base_url (base_url),
                         NULL);
}

gboolean
tessera_secrets_clear_finish (TesseraSecrets  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
