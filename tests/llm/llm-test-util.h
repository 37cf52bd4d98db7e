/* llm-test-util.h: running a stream to its end in a test
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-llm.h"
#include "tessera-fake-llm-server.h"

G_BEGIN_DECLS

typedef struct
{
  TesseraLlmStream *stream;
  GError           *error;
  gboolean          ok;
  GString          *deltas;
  guint             n_deltas;
  guint             n_usage;
  guint             input_tokens;
  guint             output_tokens;
  /* guint delay_ms and int error codes of each ::retrying. */
  GArray           *retry_delays;
  GArray           *retry_codes;
  /* Cancel after this many deltas (0: never) or at the first retry. */
  guint             cancel_after_deltas;
  gboolean          cancel_on_retry;
  GCancellable     *cancellable;
  gboolean          done;
} StreamRun;

StreamRun *stream_run           (TesseraLlmProvider *provider,
                                 TesseraLlmRequest  *request,
                                 guint               cancel_after_deltas,
                                 gboolean            cancel_on_retry);
void       stream_run_free      (StreamRun          *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StreamRun, stream_run_free)

char     **list_models          (TesseraLlmProvider *provider,
                                 GError            **error);

/* A request with a system prompt and a user message. */
TesseraLlmRequest *simple_request (const char *model,
                                   const char *prompt);

/* A socket bound on 127.0.0.1 but not listening: connections to *port are
 * refused for as long as the socket lives. */
GSocket   *refusing_socket      (guint16 *port);

/* A multi-line answer with code, Unicode and JSON-hostile characters. */
extern const char *const test_answer;

G_END_DECLS
