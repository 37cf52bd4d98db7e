/* tessera-llm-stream-private.h: what providers report to a stream
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-llm-provider.h"
#include "tessera-llm-stream.h"

G_BEGIN_DECLS

TesseraLlmStream *_tessera_llm_stream_new              (TesseraLlmProvider   *provider,
                                                        TesseraLlmRequest    *request);
void              _tessera_llm_stream_start            (TesseraLlmStream     *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);

/* Appends to the text, reported by ::delta once the read that brought it
 * is parsed. Empty text is ignored. */
void              _tessera_llm_stream_add_text         (TesseraLlmStream     *self,
                                                        const char           *text,
                                                        gssize                len);
/* Each is kept when the others are reported (a negative value is not a
 * report); ::usage follows, with both counts, once the text that came
 * before the report is out (reports that arrive together are emitted
 * once). */
void              _tessera_llm_stream_set_usage        (TesseraLlmStream     *self,
                                                        gint64                input_tokens,
                                                        gint64                output_tokens,
                                                        double                cost);
void              _tessera_llm_stream_set_stop_reason  (TesseraLlmStream     *self,
                                                        TesseraLlmStopReason  reason);
/* TRUE once text arrived in this attempt: errors are no longer retried. */
gboolean          _tessera_llm_stream_has_text         (TesseraLlmStream     *self);

G_END_DECLS
