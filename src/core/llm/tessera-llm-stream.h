/* tessera-llm-stream.h: one streaming answer from a model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  /* The answer is not over (or it failed or was cancelled). */
  TESSERA_LLM_STOP_NONE,
  /* The model finished its answer. */
  TESSERA_LLM_STOP_END,
  /* The answer hit max_tokens: the session asks the model to continue. */
  TESSERA_LLM_STOP_MAX_TOKENS,
  /* Any other reason the server gave (content filter, tool use...). */
  TESSERA_LLM_STOP_OTHER,
} TesseraLlmStopReason;

#define TESSERA_TYPE_LLM_STREAM (tessera_llm_stream_get_type ())
G_DECLARE_FINAL_TYPE (TesseraLlmStream, tessera_llm_stream, TESSERA, LLM_STREAM, GObject)

/* A stream is created by tessera_llm_provider_stream_async(), which starts
 * it. Every signal is emitted from the main context that was the thread
 * default when the stream was started, and never before
 * tessera_llm_provider_stream_async() has returned, so connecting right
 * after the call misses nothing.
 *
 * Signals:
 *   ::delta (TesseraLlmStream *self, const char *text)
 *     A piece of the answer's text (UTF-8, never empty), in order: all
 *     that arrived since the last ::delta, so a fast stream gives few
 *     long pieces and a slow one many short ones.
 *   ::usage (TesseraLlmStream *self, guint input_tokens, guint output_tokens)
 *     Token usage as the server reports it (either may still be 0 when
 *     the server reports it in two steps, like Anthropic).
 *   ::retrying (TesseraLlmStream *self, guint attempt, guint delay_ms,
 *               const GError *error)
 *     Before the first token only: the request failed with @error (a
 *     TESSERA_LLM_ERROR: RATE_LIMITED, SERVER or NETWORK) and is sent
 *     again in @delay_ms (attempt 1 is the first retry). For "Rate
 *     limited, retrying in 4 s" in the UI.
 *
 * Properties (read-only): "text" (not notified: use ::delta),
 * "stop-reason", "input-tokens", "output-tokens", "running" (notified).
 */

/* Ends the stream; the callback then gets G_IO_ERROR_CANCELLED and the
 * text received so far stays readable. Same as cancelling the
 * GCancellable given to stream_async. */
void                  tessera_llm_stream_cancel            (TesseraLlmStream  *self);

/* For the GAsyncReadyCallback given to tessera_llm_provider_stream_async()
 * (its source object is the stream). Returns TRUE when the answer
 * completed (see get_stop_reason); FALSE with a TESSERA_LLM_ERROR or
 * G_IO_ERROR_CANCELLED. On TESSERA_LLM_ERROR_INTERRUPTED (and on cancel)
 * get_text() holds the partial answer: mark the turn incomplete and offer
 * "Continue". */
gboolean              tessera_llm_stream_finish            (TesseraLlmStream  *self,
                                                            GAsyncResult      *result,
                                                            GError           **error);

/* All text received so far (the concatenation of every ::delta). */
const char           *tessera_llm_stream_get_text          (TesseraLlmStream  *self);
TesseraLlmStopReason  tessera_llm_stream_get_stop_reason   (TesseraLlmStream  *self);
guint                 tessera_llm_stream_get_input_tokens  (TesseraLlmStream  *self);
guint                 tessera_llm_stream_get_output_tokens (TesseraLlmStream  *self);
/* What the request cost, as the provider reports it with the usage
 * (OpenRouter does, in US dollars), or a negative value when it does not
 * say. */
double                tessera_llm_stream_get_cost          (TesseraLlmStream  *self);
gboolean              tessera_llm_stream_get_running       (TesseraLlmStream  *self);
/* How many times the request was sent (1 without retries). */
guint                 tessera_llm_stream_get_attempts      (TesseraLlmStream  *self);

G_END_DECLS
