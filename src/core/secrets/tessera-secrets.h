/* tessera-secrets.h: API keys in the system keyring (libsecret)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

G_BEGIN_DECLS

/* Well-known provider identifiers. The llm presets use their preset id
 * ("openai", "openrouter", "groq", "ollama", "custom"...) as provider. */
#define TESSERA_SECRETS_PROVIDER_OPENAI    "openai"
#define TESSERA_SECRETS_PROVIDER_ANTHROPIC "anthropic"
#define TESSERA_SECRETS_PROVIDER_E2B       "e2b"

/* Where a key came from. */
typedef enum
{
  TESSERA_SECRET_SOURCE_NONE,
  /* An environment variable such as OPENAI_API_KEY: it wins over the
   * keyring, and the UI should say so instead of offering to edit it. */
  TESSERA_SECRET_SOURCE_ENVIRONMENT,
  TESSERA_SECRET_SOURCE_KEYRING,
} TesseraSecretSource;

#define TESSERA_TYPE_SECRETS (tessera_secrets_get_type ())
G_DECLARE_FINAL_TYPE (TesseraSecrets, tessera_secrets, TESSERA, SECRETS, GObject)

/* The one schema, "io.github.tessera.Tessera.ApiKey", with the string
 * attributes "provider" and "base-url". */
const SecretSchema *tessera_secrets_get_schema      (void) G_GNUC_CONST;

TesseraSecrets     *tessera_secrets_new             (void);

/* The environment variable that overrides the keyring for @provider
 * (OPENAI_API_KEY for "openai", ANTHROPIC_API_KEY for "anthropic",
 * E2B_API_KEY for "e2b", OPENROUTER_API_KEY, GROQ_API_KEY, MISTRAL_API_KEY,
 * DEEPSEEK_API_KEY, TOGETHER_API_KEY, GEMINI_API_KEY for those presets), or
 * NULL when there is none. */
const char         *tessera_secrets_get_env_var     (const char           *provider);

/* The key set in the environment for @provider (non-empty only), or NULL.
 * Free with tessera_secrets_key_free(). */
char               *tessera_secrets_dup_env_key     (const char           *provider);

/* Stores @key for (@provider, @base_url). @base_url may be NULL or "" for
 * a provider's default endpoint; the same value must be given to lookup.
 * @label is the keyring item's label shown by Passwords and Keys; NULL
 * makes one up ("Tessera API key for PROVIDER"). */
void                tessera_secrets_store_async     (TesseraSecrets       *self,
                                                     const char           *provider,
                                                     const char           *base_url,
                                                     const char           *key,
                                                     const char           *label,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean            tessera_secrets_store_finish    (TesseraSecrets       *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* Looks up the key for (@provider, @base_url). Precedence: the provider's
 * environment variable when set and non-empty, then the keyring. The
 * environment is read when lookup is called. */
void                tessera_secrets_lookup_async    (TesseraSecrets       *self,
                                                     const char           *provider,
                                                     const char           *base_url,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
/* Returns the key (free with tessera_secrets_key_free(), which wipes it),
 * or NULL: with @error set on failure (no keyring service...), or with no
 * error when no key is stored. @source (nullable) tells where it came
 * from. */
char               *tessera_secrets_lookup_finish   (TesseraSecrets       *self,
                                                     GAsyncResult         *result,
                                                     TesseraSecretSource  *source,
                                                     GError              **error);

/* Removes the stored key for (@provider, @base_url) from the keyring (the
 * environment is untouched). Succeeds when there was nothing to remove. */
void                tessera_secrets_clear_async     (TesseraSecrets       *self,
                                                     const char           *provider,
                                                     const char           *base_url,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean            tessera_secrets_clear_finish    (TesseraSecrets       *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* Overwrites the key's memory before freeing it. NULL-safe. */
void                tessera_secrets_key_free        (char                 *key);

G_END_DECLS
