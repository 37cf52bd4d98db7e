/* llm-test-util.c: running a stream to its end in a test
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

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
  g_string_append (run->deltas, text);
  run->n_deltas++;
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
