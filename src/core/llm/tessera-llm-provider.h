/* tessera-llm-provider.h: a model provider (OpenAI-compatible, Anthropic)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "tessera-llm-request.h"
#include "tessera-llm-stream.h"

G_BEGIN_DECLS

#define TESSERA_LLM_ERROR (tessera_llm_error_quark ())

/* Every error message is a plain sentence for the user; it never contains
 * the API key. */
typedef enum
{
  TESSERA_LLM_ERROR_FAILED,
  /* 401/403: "The API key was rejected by PROVIDER. Check it in
   * Preferences › Providers." */
  TESSERA_LLM_ERROR_AUTH,
  /* 404: the model (or the endpoint) does not exist. */
  TESSERA_LLM_ERROR_MODEL_NOT_FOUND,
  /* 429 after the retries (or a Retry-After longer than max-retry-delay). */
  TESSERA_LLM_ERROR_RATE_LIMITED,
  /* 5xx or an overloaded error after the retries. */
  TESSERA_LLM_ERROR_SERVER,
  /* Connection refused, DNS, TLS... after the retries: "Could not reach". */
  TESSERA_LLM_ERROR_NETWORK,
  /* The connection dropped after the first token: the stream's text holds
   * the partial answer. */
  TESSERA_LLM_ERROR_INTERRUPTED,
  /* The prompt does not fit the model's context window. */
  TESSERA_LLM_ERROR_CONTEXT_TOO_LONG,
  /* Nothing the server sent could be understood. */
  TESSERA_LLM_ERROR_BAD_RESPONSE,
  /* Another 4xx: the message quotes the server's explanation. */
  TESSERA_LLM_ERROR_BAD_REQUEST,
} TesseraLlmError;

/* What a subclass's handle_event() made of one server-sent event. */
typedef enum
{
  TESSERA_LLM_EVENT_CONTINUE,
  /* The answer is complete: the stream stops reading. */
  TESSERA_LLM_EVENT_DONE,
  /* The event was not valid JSON (or not of the expected shape): skipped;
   * the stream fails with BAD_RESPONSE only when no event parsed. */
  TESSERA_LLM_EVENT_MALFORMED,
  /* An error sent inside the stream: @error is set (a TESSERA_LLM_ERROR;
   * SERVER and RATE_LIMITED are retried before the first token). */
  TESSERA_LLM_EVENT_ERROR,
} TesseraLlmEventResult;

#define TESSERA_TYPE_LLM_PROVIDER (tessera_llm_provider_get_type ())
G_DECLARE_DERIVABLE_TYPE (TesseraLlmProvider, tessera_llm_provider, TESSERA, LLM_PROVIDER, GObject)

/* The wire format is the subclass's; HTTP, retries, backoff, SSE parsing
 * and error mapping are the base class's. */
struct _TesseraLlmProviderClass
{
  GObjectClass parent_class;

  /* The POST for a streaming completion, with body and auth headers. */
  SoupMessage           *(*build_stream_message) (TesseraLlmProvider  *self,
                                                  TesseraLlmRequest   *request,
                                                  GError             **error);
  /* One SSE event of the answer. Report progress through the stream's
   * private API (tessera-llm-stream-private.h). */
  TesseraLlmEventResult  (*handle_event)         (TesseraLlmProvider  *self,
                                                  TesseraLlmStream    *stream,
                                                  const char          *event_type,
                                                  const char          *data,
                                                  gsize                data_len,
                                                  GError             **error);
  /* Optional. Called from a worker thread, so it may use nothing but its
   * arguments (not @self's state): when the event is an ordinary piece
   * of text, the bulk of every answer, appends the text to @text and
   * returns TRUE. Any other event returns FALSE and reaches
   * handle_event() on the main thread, in order. */
  gboolean               (*scan_text)            (TesseraLlmProvider  *self,
                                                  const char          *event_type,
                                                  const char          *data,
                                                  gsize                data_len,
                                                  GString             *text);
  /* After an HTTP error: TRUE when the subclass changed how it builds the
   * request and it should be sent again at once (OpenAI-compatible servers
   * that reject stream_options). Optional. */
  gboolean               (*adapt_to_error)       (TesseraLlmProvider  *self,
                                                  guint                status,
                                                  const char          *body);
  SoupMessage           *(*build_models_message) (TesseraLlmProvider  *self);
  char                 **(*parse_models)         (TesseraLlmProvider  *self,
                                                  JsonNode            *root,
                                                  GError             **error);

  gpointer padding[7];
};

GQuark              tessera_llm_error_quark                  (void);

/* Properties:
 *   "id" (string, construct-only): the preset id ("openai", "ollama"...)
 *     and the keyring's provider attribute.
 *   "name" (string, construct-only): shown to the user ("OpenAI").
 *   "base-url" (string, construct-only): e.g. "https://api.openai.com/v1".
 *   "api-key" (string, write-only): NULL or "" sends no auth header.
 *   "max-retries" (uint, default 3): retries before the first token.
 *   "retry-base-ms" (uint, default 1000, or $TESSERA_LLM_RETRY_BASE_MS):
 *     backoff is base * 2^(attempt-1), at least Retry-After.
 *   "max-retry-delay-ms" (uint, default 60000): a Retry-After longer than
 *     this fails at once with RATE_LIMITED instead of waiting.
 */
const char         *tessera_llm_provider_get_id              (TesseraLlmProvider  *self);
const char         *tessera_llm_provider_get_name            (TesseraLlmProvider  *self);
const char         *tessera_llm_provider_get_base_url        (TesseraLlmProvider  *self);
void                tessera_llm_provider_set_api_key         (TesseraLlmProvider  *self,
                                                              const char          *api_key);
gboolean            tessera_llm_provider_has_api_key         (TesseraLlmProvider  *self);
guint               tessera_llm_provider_get_max_retries     (TesseraLlmProvider  *self);
void                tessera_llm_provider_set_max_retries     (TesseraLlmProvider  *self,
                                                              guint                max_retries);
guint               tessera_llm_provider_get_retry_base_ms   (TesseraLlmProvider  *self);
void                tessera_llm_provider_set_retry_base_ms   (TesseraLlmProvider  *self,
                                                              guint                retry_base_ms);
guint               tessera_llm_provider_get_max_retry_delay_ms
                                                             (TesseraLlmProvider  *self);
void                tessera_llm_provider_set_max_retry_delay_ms
                                                             (TesseraLlmProvider  *self,
                                                              guint                max_retry_delay_ms);

/* Streams one answer. Returns the stream (transfer full): connect to its
 * signals, then wait for @callback, whose source object is the stream;
 * call tessera_llm_stream_finish() there. @request is not modified and
 * may be reused. */
TesseraLlmStream   *tessera_llm_provider_stream_async        (TesseraLlmProvider  *self,
                                                              TesseraLlmRequest   *request,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);

/* The model ids the server offers, in its order (OpenAI-compatible:
 * GET {base}/models; Anthropic: GET {base}/v1/models; Ollama: GET
 * {root}/api/tags). */
void                tessera_llm_provider_list_models_async   (TesseraLlmProvider  *self,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);
char              **tessera_llm_provider_list_models_finish  (TesseraLlmProvider  *self,
                                                              GAsyncResult        *result,
                                                              GError             **error);

/* For subclasses. */
/* The key, or NULL when none is set. Never log it. */
const char         *tessera_llm_provider_get_api_key         (TesseraLlmProvider  *self);
/* "{base-url}{path}" with exactly one '/' between them. */
char               *tessera_llm_provider_build_url           (TesseraLlmProvider  *self,
                                                              const char          *path);

/* Milliseconds to wait for a Retry-After header value (delta-seconds or
 * an HTTP-date, relative to @now; NULL for the current time), or -1 when
 * @value is not valid. */
gint64              tessera_llm_parse_retry_after            (const char          *value,
                                                              GDateTime           *now);

G_END_DECLS
