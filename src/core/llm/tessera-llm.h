/* tessera-llm.h: everything of the llm layer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-llm-request.h"
#include "tessera-llm-stream.h"
#include "tessera-llm-provider.h"
#include "tessera-openai-provider.h"
#include "tessera-anthropic-provider.h"
#include "tessera-llm-registry.h"
#include "tessera-sse-parser.h"
