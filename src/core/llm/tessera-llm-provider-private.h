/* tessera-llm-provider-private.h: shared by the stream and the subclasses
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-llm-provider.h"

G_BEGIN_DECLS

SoupSession *_tessera_llm_provider_get_session    (TesseraLlmProvider *self);

/* The error for an HTTP failure. @retryable tells whether to try again,
 * @retry_after_ms is the server's Retry-After (-1 when none). */
GError      *_tessera_llm_provider_http_error     (TesseraLlmProvider *self,
                                                   guint               status,
                                                   GBytes             *body,
                                                   SoupMessageHeaders *headers,
                                                   const char         *model,
                                                   gboolean           *retryable,
                                                   gint64             *retry_after_ms);
/* NETWORK error for a transport failure (refused, DNS, TLS, reset). */
GError      *_tessera_llm_provider_network_error  (TesseraLlmProvider *self);
/* The error for an error object sent inside a stream, from its type (as
 * the API names it, may be NULL) and message. */
GError      *_tessera_llm_provider_stream_error   (TesseraLlmProvider *self,
                                                   const char         *type,
                                                   const char         *message,
                                                   const char         *model);
/* @text with the API key cut out and at most a few hundred bytes. */
char        *_tessera_llm_provider_scrub          (TesseraLlmProvider *self,
                                                   const char         *text);
/* "host:port" of the base URL, for messages. */
char        *_tessera_llm_provider_dup_host       (TesseraLlmProvider *self);

/* TRUE when @text says the prompt exceeded the context window. */
gboolean     _tessera_llm_text_is_context_too_long (const char        *text);
/* The model ids of a listing: the string @id_member of each object in
 * the array @list_member of @root. */
char       **_tessera_llm_provider_parse_model_list (TesseraLlmProvider *self,
                                                     JsonNode           *root,
                                                     const char         *list_member,
                                                     const char         *id_member,
                                                     GError            **error);

G_END_DECLS
