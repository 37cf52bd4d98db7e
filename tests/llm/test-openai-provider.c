/* test-openai-provider.c: Chat Completions streaming against the fake server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "llm-test-util.h"

typedef ProviderFixture Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->server = tessera_fake_llm_server_new ();
  f->provider = tessera_openai_provider_new ("openai", "OpenAI",
                                             tessera_fake_llm_server_get_openai_url (f->server),
                                             "sk-test-0123456789");
  /* Retries in a millisecond or two: the behaviour, not the wait, is
   * under test. */
  tessera_llm_provider_set_retry_base_ms (f->provider, 1);
}

static TesseraLlmRequest *
full_request (void)
{
  TesseraLlmRequest *request = tessera_llm_request_new ("gpt-fake");

  tessera_llm_request_set_system (request, "You write web apps.");
  tessera_llm_request_add_message (request, TESSERA_LLM_ROLE_USER, "Make a todo app");
  tessera_llm_request_add_message (request, TESSERA_LLM_ROLE_ASSISTANT, "<file path=\"a\">x</file>");
  tessera_llm_request_add_message (request, TESSERA_LLM_ROLE_USER, "Make it darker");
  tessera_llm_request_set_max_tokens (request, 1000);
  tessera_llm_request_set_temperature (request, 0.25);

  return request;
}

static void
test_stream_happy (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = full_request ();
  g_autoptr(StreamRun) run = NULL;
  const TesseraFakeLlmRequest *received;
  JsonObject *body;
  JsonArray *messages;
  JsonObject *options;

  tessera_fake_llm_server_push_text (f->server, test_answer);
  run = stream_run (f->provider, request, 0, FALSE);

  g_assert_no_error (run->error);
  g_assert_cmpstr (tessera_llm_stream_get_text (run->stream), ==, test_answer);
  /* All of it arrives at once: what a read brings is one ::delta, never
   * one per event (the server counts an output token per event). */
  g_assert_cmpuint (run->n_deltas, >=, 1);
  g_assert_cmpint (tessera_llm_stream_get_stop_reason (run->stream), ==, TESSERA_LLM_STOP_END);
  g_assert_cmpuint (run->n_usage, ==, 1);
  g_assert_cmpuint (tessera_llm_stream_get_input_tokens (run->stream), ==, 42);
  g_assert_cmpuint (tessera_llm_stream_get_output_tokens (run->stream), >, 10);
  g_assert_cmpuint (run->n_deltas, <, tessera_llm_stream_get_output_tokens (run->stream));
  /* OpenAI does not say what a request cost. */
  g_assert_cmpfloat (tessera_llm_stream_get_cost (run->stream), <, 0);
  g_assert_cmpuint (tessera_llm_stream_get_attempts (run->stream), ==, 1);
  g_assert_cmpuint (run->retry_delays->len, ==, 0);

  g_assert_cmpuint (tessera_fake_llm_server_get_n_requests (f->server), ==, 1);
  received = tessera_fake_llm_server_get_last_request (f->server);
  g_assert_cmpstr (received->method, ==, "POST");
  g_assert_cmpstr (received->path, ==, "/v1/chat/completions");
  g_assert_cmpstr (tessera_fake_llm_request_get_header (received, "Authorization"), ==,
                   "Bearer sk-test-0123456789");
  g_assert_cmpstr (tessera_fake_llm_request_get_header (received, "Accept"), ==, "text/event-stream");
  g_assert_cmpstr (tessera_fake_llm_request_get_header (received, "Content-Type"), ==, "application/json");
  g_assert_null (tessera_fake_llm_request_get_header (received, "x-api-key"));

  body = tessera_fake_llm_request_get_object (received);
  g_assert_nonnull (body);
  g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, "gpt-fake");
  g_assert_true (json_object_get_boolean_member (body, "stream"));
  options = json_object_get_object_member (body, "stream_options");
  g_assert_true (json_object_get_boolean_member (options, "include_usage"));
  g_assert_cmpint (json_object_get_int_member (body, "max_tokens"), ==, 1000);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (body, "temperature"), 0.25, 1e-9);

  messages = json_object_get_array_member (body, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "role"), ==, "system");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "content"), ==, "You write web apps.");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "role"), ==, "user");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "content"), ==, "Make a todo app");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 2), "role"), ==, "assistant");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 2), "content"), ==, "<file path=\"a\">x</file>");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 3), "content"), ==, "Make it darker");
}

/* OpenRouter reports what it charged with the usage; what is not a
 * price is ignored. */
static void
test_cost (Fixture       *f,
           gconstpointer  data)
{
  static const struct {
    const char *cost;
    double      expected;
  } cases[] = {
    { "0.0042", 0.0042 },
    { "3", 3 },
    { "0", 0 },
    { "\"0.5\"", -1 },
    { "-0.25", -1 },
    { "null", -1 },
    { "{\"total\":1}", -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TesseraLlmRequest) request = simple_request ("openrouter/fake", "hi");
      g_autoptr(StreamRun) run = NULL;
      TesseraFakeLlmReply reply = {
        .mode = TESSERA_FAKE_LLM_ANSWER, .text = "Hello there.", .input_tokens = 12,
        .output_tokens = 3, .cost = cases[i].cost,
      };

      tessera_fake_llm_server_push (f->server, &reply);
      run = stream_run (f->provider, request, 0, FALSE);
      g_assert_no_error (run->error);
      g_assert_cmpuint (run->n_usage, ==, 1);
      g_assert_cmpuint (tessera_llm_stream_get_input_tokens (run->stream), ==, 12);
      g_assert_cmpfloat_with_epsilon (tessera_llm_stream_get_cost (run->stream), cases[i].expected, 1e-12);
    }
}

static void
test_no_key_no_auth_header (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(TesseraLlmProvider) local = NULL;
  g_autoptr(TesseraLlmRequest) request = simple_request ("llama3.2", "hi");
  g_autoptr(StreamRun) run = NULL;
  const TesseraFakeLlmRequest *received;
  JsonObject *body;

  local = tessera_openai_provider_new ("ollama", "Ollama",
                                       tessera_fake_llm_server_get_openai_url (f->server), NULL);
  g_assert_false (tessera_llm_provider_has_api_key (local));
  tessera_llm_request_set_max_tokens (request, 0);

  run = stream_run (local, request, 0, FALSE);
  g_assert_no_error (run->error);
  g_assert_cmpstr (tessera_llm_stream_get_text (run->stream), ==, "OK.");

  received = tessera_fake_llm_server_get_last_request (f->server);
  g_assert_null (tessera_fake_llm_request_get_header (received, "Authorization"));
  body = tessera_fake_llm_request_get_object (received);
  /* Unset values are left to the server. */
  g_assert_false (json_object_has_member (body, "max_tokens"));
  g_assert_false (json_object_has_member (body, "temperature"));

  /* An empty key counts as none. */
  tessera_llm_provider_set_api_key (local, "");
  g_assert_false (tessera_llm_provider_has_api_key (local));
}

static void
test_images (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = tessera_llm_request_new ("gpt-fake");
  g_autoptr(StreamRun) run = NULL;
  const char *images[] = { "data:image/png;base64,iVBORw0KGgo=", NULL };
  JsonArray *messages;
  JsonArray *content;

  tessera_llm_request_add_message_with_images (request, "Like this screenshot", images);
  run = stream_run (f->provider, request, 0, FALSE);
  g_assert_no_error (run->error);

  messages = json_object_get_array_member (tessera_fake_llm_request_get_object (tessera_fake_llm_server_get_last_request (f->server)), "messages");
  content = json_object_get_array_member (json_array_get_object_element (messages, 0), "content");
  g_assert_cmpuint (json_array_get_length (content), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (content, 0), "text"), ==, "Like this screenshot");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_array_get_object_element (content, 1), "image_url"), "url"), ==, images[0]);

  check_images_only (f, "gpt-fake", images, "image_url");
}

static void
test_max_tokens_stop (Fixture       *f,
                      gconstpointer  data)
{
  check_max_tokens_stop (f, "gpt-fake", "<file path=\"a.js\">let x");
}

/* Failures no retry could mend: each ends the stream at the first
 * request. */
static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  static const StreamErrorCase cases[] = {
    /* The fake server echoes the key in its 401 body, as OpenAI does. */
    { TESSERA_FAKE_LLM_UNAUTHORIZED, TESSERA_LLM_ERROR_AUTH,
      "The API key was rejected by OpenAI. Check it in Preferences › Providers." },
    { TESSERA_FAKE_LLM_FORBIDDEN, TESSERA_LLM_ERROR_AUTH, "rejected by OpenAI" },
    { TESSERA_FAKE_LLM_MODEL_NOT_FOUND, TESSERA_LLM_ERROR_MODEL_NOT_FOUND, "gpt-missing" },
    { TESSERA_FAKE_LLM_CONTEXT_TOO_LONG, TESSERA_LLM_ERROR_CONTEXT_TOO_LONG, "too long" },
    { TESSERA_FAKE_LLM_ALL_MALFORMED, TESSERA_LLM_ERROR_BAD_RESPONSE, "OpenAI" },
    /* A clean 200 without one event: the same request would get the
     * same, so no retry, and no "could not reach". */
    { TESSERA_FAKE_LLM_NOT_STREAMED, TESSERA_LLM_ERROR_BAD_RESPONSE, "OpenAI" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    check_stream_error (f, "gpt-missing", &cases[i], "sk-test-0123456789");
}

static void
test_rate_limited_then_ok (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = simple_request ("gpt-fake", "hi");
  g_autoptr(StreamRun) run = NULL;
  TesseraFakeLlmReply limited = { .mode = TESSERA_FAKE_LLM_RATE_LIMITED, .retry_after = "0" };

  tessera_fake_llm_server_push (f->server, &limited);
  tessera_fake_llm_server_push_text (f->server, "after the wait");
  run = stream_run (f->provider, request, 0, FALSE);

  g_assert_no_error (run->error);
  g_assert_cmpstr (tessera_llm_stream_get_text (run->stream), ==, "after the wait");
  g_assert_cmpuint (tessera_llm_stream_get_attempts (run->stream), ==, 2);
  g_assert_cmpuint (run->retry_delays->len, ==, 1);
  g_assert_cmpint (g_array_index (run->retry_codes, int, 0), ==, TESSERA_LLM_ERROR_RATE_LIMITED);
  /* Retry-After 0 is less than the backoff: the backoff wins. */
  g_assert_cmpuint (g_array_index (run->retry_delays, guint, 0), ==, 1);
}

static void
test_retry_after_honoured (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = simple_request ("gpt-fake", "hi");
  g_autoptr(StreamRun) run = NULL;
  TesseraFakeLlmReply limited = { .mode = TESSERA_FAKE_LLM_RATE_LIMITED, .retry_after = "7" };

  /* The wait announced is the server's 7 s, not the 1 ms backoff; the test
   * cancels during it, which must end the wait at once. */
  tessera_fake_llm_server_push (f->server, &limited);
  tessera_fake_llm_server_push_text (f->server, "never sent");
  run = stream_run (f->provider, request, 0, TRUE);

  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (run->retry_delays->len, ==, 1);
  g_assert_cmpuint (g_array_index (run->retry_delays, guint, 0), ==, 7000);
  g_assert_cmpuint (tessera_fake_llm_server_get_n_requests (f->server), ==, 1);
  g_assert_cmpuint (tessera_fake_llm_server_get_n_queued (f->server), ==, 1);
}

static void
test_retry_after_too_long (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = simple_request ("gpt-fake", "hi");
  g_autoptr(StreamRun) run = NULL;
  TesseraFakeLlmReply limited = { .mode = TESSERA_FAKE_LLM_RATE_LIMITED, .retry_after = "3600" };

  /* An hour is past max-retry-delay: fail now instead of hanging. */
  tessera_fake_llm_server_push (f->server, &limited);
  run = stream_run (f->provider, request, 0, FALSE);

  g_assert_error (run->error, TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_RATE_LIMITED);
  g_assert_cmpuint (run->retry_delays->len, ==, 0);
  g_assert_cmpuint (tessera_fake_llm_server_get_n_requests (f->server), ==, 1);
}

static void
test_rate_limited_gives_up (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = simple_request ("gpt-fake", "hi");
  g_autoptr(StreamRun) run = NULL;

  tessera_llm_provider_set_max_retries (f->provider, 2);
  tessera_llm_provider_set_retry_base_ms (f->provider, 3);
  for (guint i = 0; i < 3; i++)
    tessera_fake_llm_server_push_mode (f->server, TESSERA_FAKE_LLM_RATE_LIMITED);
  tessera_fake_llm_server_push_text (f->server, "never sent");
  run = stream_run (f->provider, request, 0, FALSE);

  g_assert_error (run->error, TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_RATE_LIMITED);
  g_assert_cmpuint (tessera_fake_llm_server_get_n_requests (f->server), ==, 3);
  /* Exponential backoff: base, 2 × base. */
  g_assert_cmpuint (run->retry_delays->len, ==, 2);
  g_assert_cmpuint (g_array_index (run->retry_delays, guint, 0), ==, 3);
  g_assert_cmpuint (g_array_index (run->retry_delays, guint, 1), ==, 6);
}

static void
test_server_error_then_ok (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = simple_request ("gpt-fake", "hi");
  g_autoptr(StreamRun) run = NULL;

  tessera_fake_llm_server_push_mode (f->server, TESSERA_FAKE_LLM_SERVER_ERROR);
  tessera_fake_llm_server_push_mode (f->server, TESSERA_FAKE_LLM_OVERLOADED);
  tessera_fake_llm_server_push_text (f->server, test_answer);
  run = stream_run (f->provider, request, 0, FALSE);

  g_assert_no_error (run->error);
  g_assert_cmpstr (tessera_llm_stream_get_text (run->stream), ==, test_answer);
  g_assert_cmpuint (tessera_llm_stream_get_attempts (run->stream), ==, 3);
  g_assert_cmpuint (run->retry_codes->len, ==, 2);
  g_assert_cmpint (g_array_index (run->retry_codes, int, 0), ==, TESSERA_LLM_ERROR_SERVER);
  g_assert_cmpint (g_array_index (run->retry_codes, int, 1), ==, TESSERA_LLM_ERROR_SERVER);
}

static void
test_server_error_gives_up (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = simple_request ("gpt-fake", "hi");
  g_autoptr(StreamRun) run = NULL;

  for (guint i = 0; i < 4; i++)
    tessera_fake_llm_server_push_mode (f->server, TESSERA_FAKE_LLM_SERVER_ERROR);
  run = stream_run (f->provider, request, 0, FALSE);

  g_assert_error (run->error, TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_SERVER);
  g_assert_nonnull (strstr (run->error->message, "500"));
  g_assert_cmpuint (tessera_fake_llm_server_get_n_requests (f->server), ==, 4);
  g_assert_cmpuint (run->retry_delays->len, ==, 3);
}

static void
test_network_error (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(TesseraLlmProvider) provider = NULL;
  g_autoptr(TesseraLlmRequest) request = simple_request ("gpt-fake", "hi");
  g_autoptr(StreamRun) run = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autofree char *url = NULL;
  guint16 port;

  socket = refusing_socket (&port);
  url = g_strdup_printf ("http://127.0.0.1:%u/v1", port);
  provider = tessera_openai_provider_new ("llamacpp", "llama.cpp", url, NULL);
  tessera_llm_provider_set_retry_base_ms (provider, 1);
  tessera_llm_provider_set_max_retries (provider, 2);

  run = stream_run (provider, request, 0, FALSE);
  g_assert_error (run->error, TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_NETWORK);
  g_assert_true (g_str_has_prefix (run->error->message, "Could not reach llama.cpp at 127.0.0.1:"));
  g_assert_cmpuint (tessera_llm_stream_get_attempts (run->stream), ==, 3);
  g_assert_cmpuint (run->retry_codes->len, ==, 2);
  g_assert_cmpint (g_array_index (run->retry_codes, int, 0), ==, TESSERA_LLM_ERROR_NETWORK);
}

static void
test_drop_mid_stream (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = simple_request ("gpt-fake", "hi");
  g_autoptr(StreamRun) run = NULL;
  TesseraFakeLlmReply drop = { .mode = TESSERA_FAKE_LLM_DROP, .text = test_answer, .drop_after = 1500 };

  tessera_fake_llm_server_push (f->server, &drop);
  tessera_fake_llm_server_push_text (f->server, "must not be fetched");
  run = stream_run (f->provider, request, 0, FALSE);

  g_assert_error (run->error, TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_INTERRUPTED);
  /* Some, not all, of the answer, and exactly its beginning. */
  assert_answer_prefix (tessera_llm_stream_get_text (run->stream));
  g_assert_cmpint (tessera_llm_stream_get_stop_reason (run->stream), ==, TESSERA_LLM_STOP_NONE);
  /* Shown text is never silently retried. */
  g_assert_cmpuint (tessera_fake_llm_server_get_n_requests (f->server), ==, 1);
  g_assert_cmpuint (run->retry_delays->len, ==, 0);
}

static void
test_drop_before_first_token (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = simple_request ("gpt-fake", "hi");
  g_autoptr(StreamRun) run = NULL;
  TesseraFakeLlmReply drop = { .mode = TESSERA_FAKE_LLM_DROP, .text = test_answer, .drop_after = 0 };

  tessera_fake_llm_server_push (f->server, &drop);
  tessera_fake_llm_server_push_text (f->server, test_answer);
  run = stream_run (f->provider, request, 0, FALSE);

  g_assert_no_error (run->error);
  g_assert_cmpstr (tessera_llm_stream_get_text (run->stream), ==, test_answer);
  g_assert_cmpuint (run->retry_codes->len, ==, 1);
  g_assert_cmpint (g_array_index (run->retry_codes, int, 0), ==, TESSERA_LLM_ERROR_NETWORK);
}

static void
test_malformed_events_skipped (Fixture       *f,
                               gconstpointer  data)
{
  stream_run_free (check_answer_through (f, "gpt-fake", TESSERA_FAKE_LLM_MALFORMED));
}

/* An answer that arrives all at once is reported in bounded pieces, the
 * usage after all of them. */
static void
test_big_answer_in_pieces (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = full_request ();
  g_autoptr(GString) answer = g_string_new (NULL);
  g_autoptr(StreamRun) run = NULL;

  g_string_append (answer, "\n  A first line, for the first frame.\n");
  while (answer->len < 200 * 1024)
    g_string_append (answer, "Ünïcödé line of a big answer, € and 𝄞 included.\n");
  tessera_fake_llm_server_push_text (f->server, answer->str);
  run = stream_run (f->provider, request, 0, FALSE);

  g_assert_no_error (run->error);
  g_assert_cmpstr (run->deltas->str, ==, answer->str);
  g_assert_true (g_utf8_validate (run->deltas->str, -1, NULL));
  g_assert_cmpuint (run->n_deltas, >=, 200 / 16);
  g_assert_cmpuint (run->longest_delta, <=, 16 * 1024);
  /* The first words come alone: at most up to the end of the first line
   * that has any (less if that is all that came yet). */
  g_assert_cmpuint (run->first_delta, <=, strlen ("\n  A first line, for the first frame.\n"));
  g_assert_cmpuint (run->n_usage, ==, 1);
  g_assert_cmpuint (run->deltas_at_usage, ==, run->n_deltas);
}

static void
test_trickle (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(StreamRun) run = check_answer_through (f, "gpt-fake", TESSERA_FAKE_LLM_TRICKLE);

  /* A byte at a time, the text is reported as it comes, in many pieces,
   * never more than one per event. */
  g_assert_cmpuint (run->n_deltas, >, 10);
  g_assert_cmpuint (run->n_deltas, <=, tessera_llm_stream_get_output_tokens (run->stream));
}

static void
test_cancel_endless (Fixture       *f,
                     gconstpointer  data)
{
  check_cancel_endless (f, "gpt-fake", 25);
}

static void
cancel_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GError **error = user_data;

  g_assert_false (tessera_llm_stream_finish (TESSERA_LLM_STREAM (object), result, error));
}

static void
test_cancel_before_start (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = simple_request ("gpt-fake", "hi");
  TesseraLlmStream *stream;
  GError *error = NULL;

  /* The caller drops its reference at once: the stream lives until its
   * callback has run. */
  stream = tessera_llm_provider_stream_async (f->provider, request, NULL, cancel_done_cb, &error);
  tessera_llm_stream_cancel (stream);
  g_object_unref (stream);

  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpuint (tessera_fake_llm_server_get_n_requests (f->server), ==, 0);
}

static void
test_stream_options_rejected (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = simple_request ("gpt-fake", "hi");
  g_autoptr(StreamRun) run = NULL;
  g_autoptr(StreamRun) second = NULL;
  const TesseraFakeLlmRequest *received;

  tessera_fake_llm_server_push_mode (f->server, TESSERA_FAKE_LLM_REJECT_STREAM_OPTIONS);
  tessera_fake_llm_server_push_text (f->server, "plain");
  run = stream_run (f->provider, request, 0, FALSE);

  g_assert_no_error (run->error);
  g_assert_cmpstr (tessera_llm_stream_get_text (run->stream), ==, "plain");
  g_assert_cmpuint (tessera_fake_llm_server_get_n_requests (f->server), ==, 2);
  received = tessera_fake_llm_server_get_request (f->server, 0);
  g_assert_true (json_object_has_member (tessera_fake_llm_request_get_object (received), "stream_options"));
  received = tessera_fake_llm_server_get_request (f->server, 1);
  g_assert_false (json_object_has_member (tessera_fake_llm_request_get_object (received), "stream_options"));
  /* Without stream_options the server reports no usage. */
  g_assert_cmpuint (run->n_usage, ==, 0);
  /* The adaptation is not a retry. */
  g_assert_cmpuint (run->retry_delays->len, ==, 0);

  /* And it is remembered. */
  second = stream_run (f->provider, request, 0, FALSE);
  g_assert_no_error (second->error);
  g_assert_cmpstr (tessera_llm_stream_get_text (second->stream), ==, "OK.");
  received = tessera_fake_llm_server_get_last_request (f->server);
  g_assert_false (json_object_has_member (tessera_fake_llm_request_get_object (received), "stream_options"));
}

static void
test_list_models (Fixture       *f,
                  gconstpointer  data)
{
  const char *custom[] = { "gpt-4o", "gpt-4o-mini", "o3", NULL };
  const TesseraFakeLlmRequest *received = check_list_models (f, custom);

  g_assert_cmpstr (tessera_fake_llm_request_get_header (received, "Authorization"), ==,
                   "Bearer sk-test-0123456789");
}

static void
test_list_models_ollama (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(TesseraLlmProvider) ollama = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = NULL;
  const char *tags[] = { "llama3.2:latest", "qwen2.5-coder:7b", NULL };

  ollama = tessera_openai_provider_new ("ollama", "Ollama",
                                        tessera_fake_llm_server_get_openai_url (f->server), NULL);
  tessera_fake_llm_server_set_models (f->server, tags);
  models = list_models (ollama, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (models, tags);
  g_assert_cmpstr (tessera_fake_llm_server_get_last_request (f->server)->path, ==, "/api/tags");
}

static void
test_list_models_unauthorized (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = NULL;

  tessera_fake_llm_server_set_models_unauthorized (f->server, TRUE);
  models = list_models (f->provider, &error);
  g_assert_null (models);
  g_assert_error (error, TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_AUTH);
}

static void
test_request_copy (void)
{
  g_autoptr(TesseraLlmRequest) request = full_request ();
  g_autoptr(TesseraLlmRequest) copy = tessera_llm_request_copy (request);

  tessera_llm_request_add_message (copy, TESSERA_LLM_ROLE_USER, "continue");
  g_assert_cmpuint (tessera_llm_request_get_n_messages (request), ==, 3);
  g_assert_cmpuint (tessera_llm_request_get_n_messages (copy), ==, 4);
  g_assert_cmpstr (tessera_llm_request_get_model (copy), ==, "gpt-fake");
  g_assert_cmpstr (tessera_llm_request_get_system (copy), ==, "You write web apps.");
  g_assert_cmpuint (tessera_llm_request_get_max_tokens (copy), ==, 1000);
  g_assert_cmpfloat (tessera_llm_request_get_temperature (copy), ==, 0.25);
  g_assert_true (tessera_llm_request_get_message (copy, 1) == tessera_llm_request_get_message (request, 1));
  g_assert_cmpint (tessera_llm_message_get_role (tessera_llm_request_get_message (copy, 1)), ==, TESSERA_LLM_ROLE_ASSISTANT);
  g_assert_cmpstr (tessera_llm_message_get_text (tessera_llm_request_get_message (copy, 3)), ==, "continue");
}

static void
test_parse_retry_after (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 11, 22, 1, 0, 0);

  g_assert_cmpint (tessera_llm_parse_retry_after ("120", now), ==, 120000);
  g_assert_cmpint (tessera_llm_parse_retry_after (" 0 ", now), ==, 0);
  g_assert_cmpint (tessera_llm_parse_retry_after ("Sun, 22 Nov 2026 01:00:30 GMT", now), ==, 30000);
  /* A date in the past means now. */
  g_assert_cmpint (tessera_llm_parse_retry_after ("Sat, 21 Nov 2026 23:00:00 GMT", now), ==, 0);
  g_assert_cmpint (tessera_llm_parse_retry_after ("soon", now), ==, -1);
  g_assert_cmpint (tessera_llm_parse_retry_after ("-5", now), ==, -1);
  g_assert_cmpint (tessera_llm_parse_retry_after ("12abc", now), ==, -1);
  g_assert_cmpint (tessera_llm_parse_retry_after (NULL, now), ==, -1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/openai/" path, Fixture, NULL, fixture_set_up, func, provider_fixture_tear_down)
  ADD ("stream-happy", test_stream_happy);
  ADD ("cost", test_cost);
  ADD ("no-key-no-auth-header", test_no_key_no_auth_header);
  ADD ("images", test_images);
  ADD ("max-tokens-stop", test_max_tokens_stop);
  ADD ("errors", test_errors);
  ADD ("rate-limited-then-ok", test_rate_limited_then_ok);
  ADD ("retry-after-honoured", test_retry_after_honoured);
  ADD ("retry-after-too-long", test_retry_after_too_long);
  ADD ("rate-limited-gives-up", test_rate_limited_gives_up);
  ADD ("server-error-then-ok", test_server_error_then_ok);
  ADD ("server-error-gives-up", test_server_error_gives_up);
  ADD ("network-error", test_network_error);
  ADD ("drop-mid-stream", test_drop_mid_stream);
  ADD ("drop-before-first-token", test_drop_before_first_token);
  ADD ("malformed-events-skipped", test_malformed_events_skipped);
  ADD ("trickle", test_trickle);
  ADD ("big-answer-in-pieces", test_big_answer_in_pieces);
  ADD ("cancel-endless", test_cancel_endless);
  ADD ("cancel-before-start", test_cancel_before_start);
  ADD ("stream-options-rejected", test_stream_options_rejected);
  ADD ("list-models", test_list_models);
  ADD ("list-models-ollama", test_list_models_ollama);
  ADD ("list-models-unauthorized", test_list_models_unauthorized);
#undef ADD
  g_test_add_func ("/openai/parse-retry-after", test_parse_retry_after);
  g_test_add_func ("/openai/request-copy", test_request_copy);

  return g_test_run ();
}
