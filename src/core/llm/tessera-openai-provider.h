/* tessera-openai-provider.h: OpenAI-compatible Chat Completions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-llm-provider.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_OPENAI_PROVIDER (tessera_openai_provider_get_type ())
G_DECLARE_FINAL_TYPE (TesseraOpenaiProvider, tessera_openai_provider, TESSERA, OPENAI_PROVIDER, TesseraLlmProvider)

/* POST {base}/chat/completions with stream: true. @base_url ends in the
 * API version ("https://api.openai.com/v1"). With @id "ollama" the model
 * list comes from Ollama's own GET {root}/api/tags. @api_key may be NULL
 * (local servers): then no Authorization header is sent. */
TesseraLlmProvider *tessera_openai_provider_new (const char *id,
                                                 const char *name,
                                                 const char *base_url,
                                                 const char *api_key);

G_END_DECLS
