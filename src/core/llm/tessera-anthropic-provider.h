/* tessera-anthropic-provider.h: Anthropic Messages API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-llm-provider.h"

G_BEGIN_DECLS

#define TESSERA_ANTHROPIC_VERSION "2023-06-01"
#define TESSERA_ANTHROPIC_DEFAULT_BASE_URL "https://api.anthropic.com"

#define TESSERA_TYPE_ANTHROPIC_PROVIDER (tessera_anthropic_provider_get_type ())
G_DECLARE_FINAL_TYPE (TesseraAnthropicProvider, tessera_anthropic_provider, TESSERA, ANTHROPIC_PROVIDER, TesseraLlmProvider)

/* POST {base}/v1/messages with stream: true; @base_url is the API root
 * without "/v1" (NULL for the default). */
TesseraLlmProvider *tessera_anthropic_provider_new (const char *base_url,
                                                    const char *api_key);

G_END_DECLS
