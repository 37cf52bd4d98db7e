/* llm-test-util.c: running a stream to its end in a test
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "llm-test-util.h"

const char *const test_answer =
  "Here is your app.\n"
  "\n"
  "<file path=\"index.html\">\n"
  "<!doctype html>\n"
  "<h1 class=\"title\">Todo — “Ünïcode” ✓ 日本語 🎉</h1>\n"
  "<script>const s = \"quote \\\" backslash \\\\ tab\\t\";</script>\n"
  "</file>\n"
  "Done.";

static void
delta_cb (TesseraLlmStream *stream,
          const char       *text,
          StreamRun        *run)
{
  g_assert_cmpstr (text, !=, "");
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_string_append (run->deltas, text);
  if (run->n_deltas == 0)
    run->first_delta = strlen (text);
  run->n_deltas++;
  run->longest_delta = MAX (run->longest_delta, strlen (text));
  if (run->cancel_after_deltas > 0 && run->n_deltas == run->cancel_after_deltas)
    g_cancellable_cancel (run->cancellable);
}

static void
usage_cb (TesseraLlmStream *stream,
          guint             input_tokens,
          guint             output_tokens,
          StreamRun        *run)
{
  run->n_usage++;
  run->deltas_at_usage = run->n_deltas;
  run->input_tokens = input_tokens;
  run->output_tokens = output_tokens;
}

static void
retrying_cb (TesseraLlmStream *stream,
             guint             attempt,
             guint             delay_ms,
             const GError     *error,
             StreamRun        *run)
{
  int code = error->code;

  g_assert_cmpuint (attempt, ==, run->retry_delays->len + 1);
  g_assert_true (error->domain == TESSERA_LLM_ERROR);
  g_array_append_val (run->retry_delays, delay_ms);
  g_array_append_val (run->retry_codes, code);
  if (run->cancel_on_retry)
    g_cancellable_cancel (run->cancellable);
}

static void
finished_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  StreamRun *run = user_data;

  g_assert_true (object == G_OBJECT (run->stream));
  run->ok = tessera_llm_stream_finish (TESSERA_LLM_STREAM (object), result, &run->error);
  g_assert_true (run->ok == (run->error == NULL));
  run->done = TRUE;
}

StreamRun *
stream_run (TesseraLlmProvider *provider,
            TesseraLlmRequest  *request,
            guint               cancel_after_deltas,
            gboolean            cancel_on_retry)
{
  StreamRun *run = g_new0 (StreamRun, 1);

  run->deltas = g_string_new (NULL);
  run->retry_delays = g_array_new (FALSE, FALSE, sizeof (guint));
  run->retry_codes = g_array_new (FALSE, FALSE, sizeof (int));
  run->cancellable = g_cancellable_new ();
  run->cancel_after_deltas = cancel_after_deltas;
  run->cancel_on_retry = cancel_on_retry;

  run->stream = tessera_llm_provider_stream_async (provider, request, run->cancellable,
                                                   finished_cb, run);
  g_assert_true (tessera_llm_stream_get_running (run->stream));
  g_signal_connect (run->stream, "delta", G_CALLBACK (delta_cb), run);
  g_signal_connect (run->stream, "usage", G_CALLBACK (usage_cb), run);
  g_signal_connect (run->stream, "retrying", G_CALLBACK (retrying_cb), run);

  while (!run->done)
    g_main_context_iteration (NULL, TRUE);

  g_assert_false (tessera_llm_stream_get_running (run->stream));
  /* The deltas are the text, whatever happened. */
  g_assert_cmpstr (run->deltas->str, ==, tessera_llm_stream_get_text (run->stream));

  return run;
}

void
stream_run_free (StreamRun *run)
{
  g_signal_handlers_disconnect_by_data (run->stream, run);
  g_assert_finalize_object (run->stream);
  g_clear_error (&run->error);
  g_string_free (run->deltas, TRUE);
  g_array_unref (run->retry_delays);
  g_array_unref (run->retry_codes);
  g_object_unref (run->cancellable);
  g_free (run);
}

static void
models_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

char **
list_models (TesseraLlmProvider  *provider,
             GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tessera_llm_provider_list_models_async (provider, NULL, models_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return tessera_llm_provider_list_models_finish (provider, result, error);
}

TesseraLlmRequest *
simple_request (const char *model,
                const char *prompt)
{
  TesseraLlmRequest *request = tessera_llm_request_new (model);

  tessera_llm_request_set_system (request, "You write web apps.");
  tessera_llm_request_add_message (request, TESSERA_LLM_ROLE_USER, prompt);

  return request;
}

GSocket *
refusing_socket (guint16 *port)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  return g_steal_pointer (&socket);
}

void
provider_fixture_tear_down (ProviderFixture *f,
                            gconstpointer    data)
{
  g_assert_finalize_object (f->provider);
  tessera_fake_llm_server_free (f->server);
}

void
assert_answer_prefix (const char *text)
{
  g_assert_cmpuint (strlen (text), >, 0);
  g_assert_cmpuint (strlen (text), <, strlen (test_answer));
  g_assert_true (g_str_has_prefix (test_answer, text));
}

void
check_stream_error (ProviderFixture       *f,
                    const char            *model,
                    const StreamErrorCase *error_case,
                    const char            *api_key)
{
  g_autoptr(TesseraLlmRequest) request = simple_request (model, "hi");
  g_autoptr(StreamRun) run = NULL;

  tessera_fake_llm_server_clear_requests (f->server);
  tessera_fake_llm_server_push_mode (f->server, error_case->mode);
  run = stream_run (f->provider, request, 0, FALSE);

  g_assert_error (run->error, TESSERA_LLM_ERROR, (int) error_case->code);
  g_assert_nonnull (strstr (run->error->message, error_case->in_message));
  g_assert_null (strstr (run->error->message, api_key));
  g_assert_cmpuint (tessera_fake_llm_server_get_n_requests (f->server), ==, 1);
  g_assert_cmpuint (run->retry_delays->len, ==, 0);
  g_assert_cmpstr (tessera_llm_stream_get_text (run->stream), ==, "");
}

void
check_max_tokens_stop (ProviderFixture *f,
                       const char      *model,
                       const char      *text)
{
  g_autoptr(TesseraLlmRequest) request = simple_request (model, "long");
  g_autoptr(StreamRun) run = NULL;
  TesseraFakeLlmReply reply = { .mode = TESSERA_FAKE_LLM_ANSWER, .text = text, .max_tokens = TRUE };

  tessera_fake_llm_server_push (f->server, &reply);
  run = stream_run (f->provider, request, 0, FALSE);
  g_assert_no_error (run->error);
  g_assert_cmpint (tessera_llm_stream_get_stop_reason (run->stream), ==, TESSERA_LLM_STOP_MAX_TOKENS);
  g_assert_cmpstr (tessera_llm_stream_get_text (run->stream), ==, text);
}

void
check_images_only (ProviderFixture   *f,
                   const char        *model,
                   const char *const *images,
                   const char        *part_type)
{
  g_autoptr(TesseraLlmRequest) request = tessera_llm_request_new (model);
  g_autoptr(StreamRun) run = NULL;
  JsonArray *messages;
  JsonArray *content;

  tessera_llm_request_add_message_with_images (request, "", images);
  run = stream_run (f->provider, request, 0, FALSE);
  g_assert_no_error (run->error);
  messages = json_object_get_array_member (tessera_fake_llm_request_get_object (tessera_fake_llm_server_get_last_request (f->server)), "messages");
  content = json_object_get_array_member (json_array_get_object_element (messages, 0), "content");
  g_assert_cmpuint (json_array_get_length (content), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (content, 0), "type"), ==, part_type);
}

StreamRun *
check_answer_through (ProviderFixture    *f,
                      const char         *model,
                      TesseraFakeLlmMode  mode)
{
  g_autoptr(TesseraLlmRequest) request = simple_request (model, "hi");
  StreamRun *run;
  TesseraFakeLlmReply reply = { .mode = mode, .text = test_answer };

  tessera_fake_llm_server_push (f->server, &reply);
  run = stream_run (f->provider, request, 0, FALSE);
  g_assert_no_error (run->error);
  g_assert_cmpstr (tessera_llm_stream_get_text (run->stream), ==, test_answer);

  return run;
}

void
check_cancel_endless (ProviderFixture *f,
                      const char      *model,
                      guint            n_deltas)
{
  g_autoptr(TesseraLlmRequest) request = simple_request (model, "hi");
  g_autoptr(StreamRun) run = NULL;
  const char *text;

  tessera_fake_llm_server_push_mode (f->server, TESSERA_FAKE_LLM_ENDLESS);
  run = stream_run (f->provider, request, n_deltas, FALSE);

  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  text = tessera_llm_stream_get_text (run->stream);
  /* Nothing after the cancel; a delta carries whole events, one or more
   * (ticks that arrive together come as one). */
  g_assert_cmpuint (run->n_deltas, ==, n_deltas);
  g_assert_cmpuint (strlen (text) % strlen ("tick "), ==, 0);
  g_assert_cmpuint (strlen (text), >=, n_deltas * strlen ("tick "));
  g_assert_true (g_str_has_prefix (text, "tick tick "));
  tessera_fake_llm_server_drain (f->server);
}

const TesseraFakeLlmRequest *
check_list_models (ProviderFixture   *f,
                   const char *const *ids)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = NULL;
  const TesseraFakeLlmRequest *received;

  tessera_fake_llm_server_set_models (f->server, ids);
  models = list_models (f->provider, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (models, ids);

  received = tessera_fake_llm_server_get_last_request (f->server);
  g_assert_cmpstr (received->method, ==, "GET");
  g_assert_cmpstr (received->path, ==, "/v1/models");

  return received;
}
