/* tessera-fake-llm-server.h: a loopback LLM server for tests
 *
 * Speaks the real wire formats: OpenAI Chat Completions streaming
 * (POST …/chat/completions, chat.completion.chunk events, "data: [DONE]"),
 * Anthropic Messages streaming (POST /v1/messages, event:+data: lines),
 * the model listings (GET …/models, GET /v1/models, GET /api/tags), and
 * misbehaves on request. It runs on the thread-default main context of its
 * creator, so a test spinning that context serves requests.
 *
 * Base URLs to give providers:
 *   OpenAI-compatible: tessera_fake_llm_server_get_openai_url() ("…/v1")
 *   Anthropic:         tessera_fake_llm_server_get_url()
 *   Ollama root:       tessera_fake_llm_server_get_url()
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef enum
{
  /* Stream the reply's text in token-sized chunks, then a normal end. */
  TESSERA_FAKE_LLM_ANSWER,
  /* The same, one byte per write. */
  TESSERA_FAKE_LLM_TRICKLE,
  /* 401 with the provider's error body. */
  TESSERA_FAKE_LLM_UNAUTHORIZED,
  /* 403. */
  TESSERA_FAKE_LLM_FORBIDDEN,
  /* 404 "model not found". */
  TESSERA_FAKE_LLM_MODEL_NOT_FOUND,
  /* 429 with Retry-After: retry_after (NULL: no header). */
  TESSERA_FAKE_LLM_RATE_LIMITED,
  /* 500. */
  TESSERA_FAKE_LLM_SERVER_ERROR,
  /* Anthropic: 200, then an "overloaded_error" error event; OpenAI: 200,
   * then an in-stream {"error":{"type":"server_error"}}. */
  TESSERA_FAKE_LLM_OVERLOADED,
  /* 400 whose body says the context is too long (in each API's words). */
  TESSERA_FAKE_LLM_CONTEXT_TOO_LONG,
  /* 400 "Unrecognized request argument supplied: stream_options" when the
   * body has stream_options, else like ANSWER. */
  TESSERA_FAKE_LLM_REJECT_STREAM_OPTIONS,
  /* The answer's events, every other one with broken JSON. */
  TESSERA_FAKE_LLM_MALFORMED,
  /* Only broken JSON events. */
  TESSERA_FAKE_LLM_ALL_MALFORMED,
  /* The full headers and the first drop_after bytes of the answer's SSE
   * body, then the connection is closed (without the final chunk). */
  TESSERA_FAKE_LLM_DROP,
  /* Text deltas ("tick ") forever, until the client goes away. */
  TESSERA_FAKE_LLM_ENDLESS,
  /* 200 with the whole answer as one JSON document, as a server that
   * ignores "stream": true would send. */
  TESSERA_FAKE_LLM_NOT_STREAMED,
} TesseraFakeLlmMode;

typedef struct
{
  TesseraFakeLlmMode  mode;
  /* The answer, split into token-sized chunks when streamed. */
  const char         *text;
  /* RATE_LIMITED: the Retry-After value, or NULL. */
  const char         *retry_after;
  /* DROP: how many bytes of the SSE body go out before the close. */
  gsize               drop_after;
  /* End with finish_reason "length" / stop_reason "max_tokens". */
  gboolean            max_tokens;
  /* Reported usage; 0 and 0 report made-up counts from the text. */
  guint               input_tokens;
  guint               output_tokens;
  /* OpenAI wire: a "cost" in the usage, as OpenRouter reports what it
   * charged (the member's JSON text, "0.0042"), or NULL for none. */
  const char         *cost;
  /* Milliseconds before any of the response, as a model takes before
   * its first token. */
  guint               think_ms;
} TesseraFakeLlmReply;

/* One request the server received. */
typedef struct
{
  char               *method;
  /* Path without query. */
  char               *path;
  SoupMessageHeaders *headers;
  GBytes             *body;
  /* The body parsed as JSON, or NULL. */
  JsonNode           *json;
} TesseraFakeLlmRequest;

typedef struct _TesseraFakeLlmServer TesseraFakeLlmServer;

/* Listens on 127.0.0.1, on a free port. Aborts the test on failure. */
TesseraFakeLlmServer        *tessera_fake_llm_server_new          (void);
void                         tessera_fake_llm_server_free         (TesseraFakeLlmServer *self);

/* "http://127.0.0.1:PORT" (no trailing slash). */
const char                  *tessera_fake_llm_server_get_url      (TesseraFakeLlmServer *self);
/* "http://127.0.0.1:PORT/v1". */
const char                  *tessera_fake_llm_server_get_openai_url (TesseraFakeLlmServer *self);
guint16                      tessera_fake_llm_server_get_port     (TesseraFakeLlmServer *self);

/* Queues a reply; each completion request takes the next one. With the
 * queue empty, requests get an ANSWER of the default text. @reply is
 * copied. */
void                         tessera_fake_llm_server_push         (TesseraFakeLlmServer      *self,
                                                                   const TesseraFakeLlmReply *reply);
/* Shorthand for an ANSWER of @text. */
void                         tessera_fake_llm_server_push_text    (TesseraFakeLlmServer      *self,
                                                                   const char                *text);
/* Shorthand for a reply of @mode with no text. */
void                         tessera_fake_llm_server_push_mode    (TesseraFakeLlmServer      *self,
                                                                   TesseraFakeLlmMode         mode);
guint                        tessera_fake_llm_server_get_n_queued (TesseraFakeLlmServer      *self);
/* Default "OK." */
void                         tessera_fake_llm_server_set_default_text
                                                                  (TesseraFakeLlmServer      *self,
                                                                   const char                *text);
/* What the listings answer; default { "fake-large", "fake-small" }. */
void                         tessera_fake_llm_server_set_models   (TesseraFakeLlmServer      *self,
                                                                   const char * const        *models);
/* Requests to the listings answer 401 when set. */
void                         tessera_fake_llm_server_set_models_unauthorized
                                                                  (TesseraFakeLlmServer      *self,
                                                                   gboolean                   unauthorized);

/* Every request received, in order (listings included). */
guint                        tessera_fake_llm_server_get_n_requests (TesseraFakeLlmServer    *self);
const TesseraFakeLlmRequest *tessera_fake_llm_server_get_request  (TesseraFakeLlmServer      *self,
                                                                   guint                      position);
/* The last request, or NULL. */
const TesseraFakeLlmRequest *tessera_fake_llm_server_get_last_request
                                                                  (TesseraFakeLlmServer      *self);
void                         tessera_fake_llm_server_clear_requests (TesseraFakeLlmServer    *self);
/* Header of a recorded request, or NULL. */
const char                  *tessera_fake_llm_request_get_header  (const TesseraFakeLlmRequest *request,
                                                                   const char                  *name);
/* The JSON body's root object, or NULL. */
JsonObject                  *tessera_fake_llm_request_get_object  (const TesseraFakeLlmRequest *request);

/* Spins the thread-default main context until every response the server
 * started has been written or abandoned (for leak-free teardown). */
void                         tessera_fake_llm_server_drain        (TesseraFakeLlmServer      *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraFakeLlmServer, tessera_fake_llm_server_free)

G_END_DECLS
