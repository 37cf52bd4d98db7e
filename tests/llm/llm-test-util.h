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
  gsize             longest_delta;
  gsize             first_delta;
  /* n_deltas when the last ::usage came. */
  guint             deltas_at_usage;
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

/* The provider tests' fixture: a fake server and a provider speaking to it.
 * Each test file sets it up with its own provider. */
typedef struct
{
  TesseraFakeLlmServer *server;
  TesseraLlmProvider   *provider;
} ProviderFixture;

void       provider_fixture_tear_down (ProviderFixture *f,
                                       gconstpointer    data);

/* Checks that text is a non-empty, strict beginning of test_answer: what an
 * interrupted stream must have shown. */
void       assert_answer_prefix  (const char         *text);

/* A failure the fake server is told to give, and the error it must
 * become: that code, with in_message in its text. */
typedef struct
{
  TesseraFakeLlmMode  mode;
  TesseraLlmError     code;
  const char         *in_message;
} StreamErrorCase;

/* Runs one request against a server that fails it as error_case says, and
 * checks the error, that it never shows api_key, and that it came after
 * one request and no retry. */
void       check_stream_error    (ProviderFixture       *f,
                                  const char            *model,
                                  const StreamErrorCase *error_case,
                                  const char            *api_key);

/* An answer cut at max_tokens ends without error, with that stop reason. */
void       check_max_tokens_stop (ProviderFixture    *f,
                                  const char         *model,
                                  const char         *text);

/* A message of images alone goes as one part, of @part_type: no empty
 * text part, which the APIs refuse. */
void       check_images_only     (ProviderFixture    *f,
                                  const char         *model,
                                  const char *const  *images,
                                  const char         *part_type);

/* The answer of a reply in mode (malformed events, trickle…) comes through
 * whole. Returns the run for further checks. */
StreamRun *check_answer_through  (ProviderFixture    *f,
                                  const char         *model,
                                  TesseraFakeLlmMode  mode);

/* An endless answer cancelled at the n_deltas-th delta reports nothing
 * after it. */
void       check_cancel_endless  (ProviderFixture    *f,
                                  const char         *model,
                                  guint               n_deltas);

/* Lists the models the server is given and checks they come back as they
 * are. Returns the server's record of the GET. */
const TesseraFakeLlmRequest *
           check_list_models     (ProviderFixture    *f,
                                  const char *const  *ids);

G_END_DECLS
