/* tessera-llm-request.h: what is sent to a model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  TESSERA_LLM_ROLE_USER,
  TESSERA_LLM_ROLE_ASSISTANT,
} TesseraLlmRole;

/* One message of the conversation: immutable once added to a request,
 * reference counted. */
typedef struct _TesseraLlmMessage TesseraLlmMessage;

#define TESSERA_TYPE_LLM_MESSAGE (tessera_llm_message_get_type ())
GType               tessera_llm_message_get_type   (void) G_GNUC_CONST;

TesseraLlmMessage  *tessera_llm_message_ref        (TesseraLlmMessage *message);
void                tessera_llm_message_unref      (TesseraLlmMessage *message);
TesseraLlmRole      tessera_llm_message_get_role   (TesseraLlmMessage *message);
const char         *tessera_llm_message_get_text   (TesseraLlmMessage *message);
/* Images attached to a user message, as "data:image/png;base64,..." URLs,
 * or NULL. */
const char * const *tessera_llm_message_get_images (TesseraLlmMessage *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraLlmMessage, tessera_llm_message_unref)

/* The default for max-tokens: enough for a few whole files. Anthropic
 * requires a value; OpenAI-compatible servers get it as max_tokens. */
#define TESSERA_LLM_DEFAULT_MAX_TOKENS 8192

#define TESSERA_TYPE_LLM_REQUEST (tessera_llm_request_get_type ())
G_DECLARE_FINAL_TYPE (TesseraLlmRequest, tessera_llm_request, TESSERA, LLM_REQUEST, GObject)

/* Properties: "model" (string), "system" (string, nullable), "max-tokens"
 * (uint, 0 = let the server decide where it may), "temperature" (double,
 * negative = not sent; default -1). */
TesseraLlmRequest  *tessera_llm_request_new             (const char        *model);

const char         *tessera_llm_request_get_model       (TesseraLlmRequest *self);
void                tessera_llm_request_set_model       (TesseraLlmRequest *self,
                                                         const char        *model);
const char         *tessera_llm_request_get_system      (TesseraLlmRequest *self);
void                tessera_llm_request_set_system      (TesseraLlmRequest *self,
                                                         const char        *system);
guint               tessera_llm_request_get_max_tokens  (TesseraLlmRequest *self);
void                tessera_llm_request_set_max_tokens  (TesseraLlmRequest *self,
                                                         guint              max_tokens);
double              tessera_llm_request_get_temperature (TesseraLlmRequest *self);
void                tessera_llm_request_set_temperature (TesseraLlmRequest *self,
                                                         double             temperature);

/* Appends a message. Consecutive messages of the same role are allowed;
 * providers that require alternation merge them. */
void                tessera_llm_request_add_message     (TesseraLlmRequest *self,
                                                         TesseraLlmRole     role,
                                                         const char        *text);
/* Appends a user message with images (data: URLs; NULL-terminated). */
void                tessera_llm_request_add_message_with_images
                                                        (TesseraLlmRequest *self,
                                                         const char        *text,
                                                         const char * const *images);
/* A new request with the same settings and messages (messages are shared:
 * they are immutable), to extend for a follow-up such as "continue". */
TesseraLlmRequest  *tessera_llm_request_copy            (TesseraLlmRequest *self);
guint               tessera_llm_request_get_n_messages  (TesseraLlmRequest *self);
/* Returns: (transfer none) */
TesseraLlmMessage  *tessera_llm_request_get_message     (TesseraLlmRequest *self,
                                                         guint              position);

G_END_DECLS
