/* test-anthropic-provider.c: Messages API streaming against the fake server
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
  f->provider = tessera_anthropic_provider_new (tessera_fake_llm_server_get_url (f->server),
                                                "sk-ant-test-0123456789");
  tessera_llm_provider_set_retry_base_ms (f->provider, 1);
}

static void
test_stream_happy (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = tessera_llm_request_new ("claude-fake");
  g_autoptr(StreamRun) run = NULL;
  const TesseraFakeLlmRequest *received;
  JsonObject *body;
  JsonArray *messages;
  TesseraFakeLlmReply reply = { .mode = TESSERA_FAKE_LLM_ANSWER, .text = test_answer,
                                .input_tokens = 1234, .output_tokens = 567 };

  tessera_llm_request_set_system (request, "You write web apps.");
  tessera_llm_request_add_message (request, TESSERA_LLM_ROLE_USER, "Make a todo app");
  tessera_llm_request_add_message (request, TESSERA_LLM_ROLE_ASSISTANT, "Done.");
  /* Two user messages in a row: merged, as the API wants alternation. */
  tessera_llm_request_add_message (request, TESSERA_LLM_ROLE_USER, "Console: error at line 3");
  tessera_llm_request_add_message (request, TESSERA_LLM_ROLE_USER, "Fix it");
  tessera_llm_request_set_temperature (request, 0.5);

  tessera_fake_llm_server_push (f->server, &reply);
  run = stream_run (f->provider, request, 0, FALSE);

  g_assert_no_error (run->error);
  g_assert_cmpstr (tessera_llm_stream_get_text (run->stream), ==, test_answer);
  g_assert_cmpuint (run->n_deltas, >=, 1);
  g_assert_cmpint (tessera_llm_stream_get_stop_reason (run->stream), ==, TESSERA_LLM_STOP_END);
  /* Input from message_start, output from message_delta. */
  g_assert_cmpuint (tessera_llm_stream_get_input_tokens (run->stream), ==, 1234);
  g_assert_cmpuint (tessera_llm_stream_get_output_tokens (run->stream), ==, 567);
  g_assert_cmpuint (run->input_tokens, ==, 1234);
  g_assert_cmpuint (run->output_tokens, ==, 567);

  received = tessera_fake_llm_server_get_last_request (f->server);
  g_assert_cmpstr (received->method, ==, "POST");
  g_assert_cmpstr (received->path, ==, "/v1/messages");
  g_assert_cmpstr (tessera_fake_llm_request_get_header (received, "x-api-key"), ==, "sk-ant-test-0123456789");
  g_assert_cmpstr (tessera_fake_llm_request_get_header (received, "anthropic-version"), ==, "2023-06-01");
  g_assert_cmpstr (tessera_fake_llm_request_get_header (received, "content-type"), ==, "application/json");
  g_assert_null (tessera_fake_llm_request_get_header (received, "Authorization"));

  body = tessera_fake_llm_request_get_object (received);
  g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, "claude-fake");
  g_assert_cmpstr (json_object_get_string_member (body, "system"), ==, "You write web apps.");
  g_assert_cmpint (json_object_get_int_member (body, "max_tokens"), ==, TESSERA_LLM_DEFAULT_MAX_TOKENS);
  g_assert_true (json_object_get_boolean_member (body, "stream"));
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (body, "temperature"), 0.5, 1e-9);
  messages = json_object_get_array_member (body, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "role"), ==, "user");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "role"), ==, "assistant");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 2), "role"), ==, "user");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 2), "content"), ==,
                   "Console: error at line 3\n\nFix it");
}

static void
test_images (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = tessera_llm_request_new ("claude-fake");
  g_autoptr(StreamRun) run = NULL;
  const char *images[] = { "data:image/jpeg;base64,/9j/4AAQ", NULL };
  JsonArray *messages;
  JsonArray *content;
  JsonObject *source;

  tessera_llm_request_add_message_with_images (request, "Like this", images);
  run = stream_run (f->provider, request, 0, FALSE);
  g_assert_no_error (run->error);

  messages = json_object_get_array_member (tessera_fake_llm_request_get_object (tessera_fake_llm_server_get_last_request (f->server)), "messages");
  content = json_object_get_array_member (json_array_get_object_element (messages, 0), "content");
  g_assert_cmpuint (json_array_get_length (content), ==, 2);
  source = json_object_get_object_member (json_array_get_object_element (content, 0), "source");
  g_assert_cmpstr (json_object_get_string_member (source, "type"), ==, "base64");
  g_assert_cmpstr (json_object_get_string_member (source, "media_type"), ==, "image/jpeg");
  g_assert_cmpstr (json_object_get_string_member (source, "data"), ==, "/9j/4AAQ");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (content, 1), "text"), ==, "Like this");

  check_images_only (f, "claude-fake", images, "image");
}

static void
test_max_tokens_stop (Fixture       *f,
                      gconstpointer  data)
{
  check_max_tokens_stop (f, "claude-fake", "<file path=\"a.js\">let");
}

static void
test_overloaded_then_ok (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = simple_request ("claude-fake", "hi");
  g_autoptr(StreamRun) run = NULL;

  tessera_fake_llm_server_push_mode (f->server, TESSERA_FAKE_LLM_OVERLOADED);
  tessera_fake_llm_server_push_text (f->server, test_answer);
  run = stream_run (f->provider, request, 0, FALSE);

  g_assert_no_error (run->error);
  g_assert_cmpstr (tessera_llm_stream_get_text (run->stream), ==, test_answer);
  g_assert_cmpuint (tessera_llm_stream_get_attempts (run->stream), ==, 2);
  g_assert_cmpuint (run->retry_codes->len, ==, 1);
  g_assert_cmpint (g_array_index (run->retry_codes, int, 0), ==, TESSERA_LLM_ERROR_SERVER);
}

static void
test_overloaded_gives_up (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = simple_request ("claude-fake", "hi");
  g_autoptr(StreamRun) run = NULL;

  tessera_llm_provider_set_max_retries (f->provider, 1);
  tessera_fake_llm_server_push_mode (f->server, TESSERA_FAKE_LLM_OVERLOADED);
  tessera_fake_llm_server_push_mode (f->server, TESSERA_FAKE_LLM_OVERLOADED);
  run = stream_run (f->provider, request, 0, FALSE);

  g_assert_error (run->error, TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_SERVER);
  g_assert_nonnull (strstr (run->error->message, "Anthropic"));
  g_assert_cmpuint (tessera_fake_llm_server_get_n_requests (f->server), ==, 2);
}

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  static const StreamErrorCase cases[] = {
    { TESSERA_FAKE_LLM_UNAUTHORIZED, TESSERA_LLM_ERROR_AUTH,
      "The API key was rejected by Anthropic. Check it in Preferences › Providers." },
    { TESSERA_FAKE_LLM_MODEL_NOT_FOUND, TESSERA_LLM_ERROR_MODEL_NOT_FOUND, "claude-missing" },
    { TESSERA_FAKE_LLM_CONTEXT_TOO_LONG, TESSERA_LLM_ERROR_CONTEXT_TOO_LONG, "too long" },
    { TESSERA_FAKE_LLM_ALL_MALFORMED, TESSERA_LLM_ERROR_BAD_RESPONSE, "Anthropic" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    check_stream_error (f, "claude-missing", &cases[i], "sk-ant-test");
}

static void
test_drop_mid_stream (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(TesseraLlmRequest) request = simple_request ("claude-fake", "hi");
  g_autoptr(StreamRun) run = NULL;
  TesseraFakeLlmReply drop = { .mode = TESSERA_FAKE_LLM_DROP, .text = test_answer, .drop_after = 2000 };

  tessera_fake_llm_server_push (f->server, &drop);
  run = stream_run (f->provider, request, 0, FALSE);

  g_assert_error (run->error, TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_INTERRUPTED);
  assert_answer_prefix (tessera_llm_stream_get_text (run->stream));
  /* message_start came through: its usage is kept. */
  g_assert_cmpuint (tessera_llm_stream_get_input_tokens (run->stream), ==, 42);
  g_assert_cmpuint (tessera_fake_llm_server_get_n_requests (f->server), ==, 1);
}

static void
test_malformed_and_trickle (Fixture       *f,
                            gconstpointer  data)
{
  stream_run_free (check_answer_through (f, "claude-fake", TESSERA_FAKE_LLM_MALFORMED));
  stream_run_free (check_answer_through (f, "claude-fake", TESSERA_FAKE_LLM_TRICKLE));
}

static void
test_cancel_endless (Fixture       *f,
                     gconstpointer  data)
{
  check_cancel_endless (f, "claude-fake", 40);
}

static void
test_list_models (Fixture       *f,
                  gconstpointer  data)
{
  const char *ids[] = { "claude-sonnet-4-5", "claude-haiku-4-5", NULL };
  const TesseraFakeLlmRequest *received = check_list_models (f, ids);

  g_assert_cmpstr (tessera_fake_llm_request_get_header (received, "x-api-key"), ==, "sk-ant-test-0123456789");
  g_assert_cmpstr (tessera_fake_llm_request_get_header (received, "anthropic-version"), ==, "2023-06-01");
}

static void
test_base_url_forms (void)
{
  g_autoptr(TesseraLlmProvider) a = tessera_anthropic_provider_new (NULL, NULL);
  g_autoptr(TesseraLlmProvider) b = tessera_anthropic_provider_new ("https://proxy.example/v1/", NULL);

  g_assert_cmpstr (tessera_llm_provider_get_base_url (a), ==, "https://api.anthropic.com");
  g_assert_cmpstr (tessera_llm_provider_get_base_url (b), ==, "https://proxy.example");
  g_assert_cmpstr (tessera_llm_provider_get_id (a), ==, "anthropic");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/anthropic/" path, Fixture, NULL, fixture_set_up, func, provider_fixture_tear_down)
  ADD ("stream-happy", test_stream_happy);
  ADD ("images", test_images);
  ADD ("max-tokens-stop", test_max_tokens_stop);
  ADD ("overloaded-then-ok", test_overloaded_then_ok);
  ADD ("overloaded-gives-up", test_overloaded_gives_up);
  ADD ("errors", test_errors);
  ADD ("drop-mid-stream", test_drop_mid_stream);
  ADD ("malformed-and-trickle", test_malformed_and_trickle);
  ADD ("cancel-endless", test_cancel_endless);
  ADD ("list-models", test_list_models);
#undef ADD
  g_test_add_func ("/anthropic/base-url-forms", test_base_url_forms);

  return g_test_run ();
}
