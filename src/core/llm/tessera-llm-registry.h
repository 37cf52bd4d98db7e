/* tessera-llm-registry.h: provider presets, and providers from them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "tessera-llm-provider.h"
#include "tessera-secrets.h"

G_BEGIN_DECLS

typedef enum
{
  TESSERA_LLM_API_OPENAI,
  TESSERA_LLM_API_ANTHROPIC,
} TesseraLlmApi;

typedef struct
{
  /* "openai", "openrouter", "groq", "mistral", "deepseek", "together",
   * "gemini", "anthropic", "ollama", "lmstudio", "llamacpp", "vllm",
   * "custom". Also the keyring's provider attribute. */
  const char    *id;
  /* Untranslated brand name (brands are not translated). */
  const char    *name;
  TesseraLlmApi  api;
  /* Default base URL; NULL for "custom" (the user gives one). */
  const char    *base_url;
  /* TRUE when the service refuses requests without a key. */
  gboolean       needs_key;
  /* Environment variable holding the key (wins over the keyring), or
   * NULL. */
  const char    *key_env;
  /* TRUE for servers that run on this machine. */
  gboolean       local;
} TesseraLlmPreset;

/* Every preset, in the order the preferences list them. */
const TesseraLlmPreset *tessera_llm_presets_get       (guint      *n_presets);
/* NULL for an unknown id. */
const TesseraLlmPreset *tessera_llm_preset_lookup     (const char *id);

/* A provider for preset @preset_id. @base_url NULL or "" takes the
 * preset's; "custom" requires one (an OpenAI-compatible endpoint).
 * Returns NULL with G_IO_ERROR_INVALID_ARGUMENT for an unknown preset or a
 * base URL that is not http(s). */
TesseraLlmProvider     *tessera_llm_provider_new_for_preset
                                                      (const char  *preset_id,
                                                       const char  *base_url,
                                                       const char  *api_key,
                                                       GError     **error);

/* Same, with the key from @secrets (environment first, then the keyring
 * entry for (preset id, base URL as given)). A missing key is not an
 * error: the provider then gets AUTH errors from services that need one. */
void                    tessera_llm_provider_new_with_secrets_async
                                                      (TesseraSecrets      *secrets,
                                                       const char          *preset_id,
                                                       const char          *base_url,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
TesseraLlmProvider     *tessera_llm_provider_new_with_secrets_finish
                                                      (GAsyncResult        *result,
                                                       GError             **error);

/* For a project with no provider chosen: the first of OPENAI_API_KEY or
 * OPENAI_BASE_URL (preset "openai", base from OPENAI_BASE_URL),
 * ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL (preset "anthropic"), OLLAMA_HOST
 * (preset "ollama") that is set, or NULL when none is. The caller then
 * uses the first model the provider lists. */
TesseraLlmProvider     *tessera_llm_provider_new_from_env (void);

/* The OpenAI-compatible base URL for an OLLAMA_HOST value ("host",
 * "host:port", "http://host:port"): "http://127.0.0.1:11434/v1" style.
 * "localhost" and "0.0.0.0" become 127.0.0.1 (a server listening on IPv4
 * only is not reached through ::1). NULL for an invalid value. */
char                   *tessera_llm_ollama_base_url_from_host (const char *host);

/* Probes for a running Ollama: GET {root}/api/tags with a short timeout.
 * @root NULL means "http://127.0.0.1:11434". Finishes with the
 * OpenAI-compatible base URL to use ("…/v1"), or NULL (no error) when
 * nothing answers like Ollama. */
void                    tessera_llm_detect_ollama_async   (const char          *root,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
char                   *tessera_llm_detect_ollama_finish  (GAsyncResult        *result,
                                                           GError             **error);

G_END_DECLS
