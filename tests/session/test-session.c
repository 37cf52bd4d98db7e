/* test-session.c: whole AI turns through the real session, project,
 * provider (over loopback HTTP to the fake LLM server) and sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "tessera-fake-llm-server.h"
#include "tessera-context-builder.h"
#include "tessera-diff.h"
#include "tessera-llm.h"
#include "tessera-local-sandbox.h"
#include "tessera-session.h"
#include "tiny-pngs.h"

typedef struct
{
  char                 *tmp;
  GFile                *root;
  TesseraProject       *project;
  TesseraFakeLlmServer *server;
  TesseraLlmProvider   *provider;
  TesseraSession       *session;

  /* Recorded signals. */
  guint                 n_added;
  guint                 n_finished;
  GString              *text;
  GHashTable           *streamed;
  guint                 cancel_at_end;
  guint                 n_ends;
} Fixture;

static void
on_message_added (TesseraSession     *session,
                  TesseraChatMessage *message,
                  Fixture            *fixture)
{
  fixture->n_added++;
}

static void
on_text_delta (TesseraSession     *session,
               TesseraChatMessage *message,
               const char         *text,
               Fixture            *fixture)
{
  g_string_append (fixture->text, text);
}

static void
on_action_delta (TesseraSession     *session,
                 TesseraChatMessage *message,
                 TesseraAction      *action,
                 const char         *chunk,
                 gsize               len,
                 Fixture            *fixture)
{
  GString *s = g_hash_table_lookup (fixture->streamed, action);

  if (s == NULL)
    g_hash_table_insert (fixture->streamed, action, s = g_string_new (NULL));
  g_string_append_len (s, chunk, len);
}

static void
on_action_end (TesseraSession     *session,
               TesseraChatMessage *message,
               TesseraAction      *action,
               Fixture            *fixture)
{
  g_assert_cmpint (tessera_action_get_status (action), !=, TESSERA_ACTION_PENDING);
  fixture->n_ends++;
  if (fixture->cancel_at_end != 0 && fixture->n_ends == fixture->cancel_at_end)
    tessera_session_cancel (session);
}

static void
on_turn_finished (TesseraSession     *session,
                  TesseraChatMessage *message,
                  int                 status,
                  const GError       *error,
                  Fixture            *fixture)
{
  fixture->n_finished++;
}

static void
string_free (gpointer data)
{
  g_string_free (data, TRUE);
}

static TesseraSession *
new_session (Fixture *fixture)
{
  TesseraSession *session = tessera_session_new (fixture->project);

  tessera_session_set_provider (session, fixture->provider);
  tessera_session_set_model (session, "fake-large");
  g_signal_connect (session, "message-added", G_CALLBACK (on_message_added), fixture);
  g_signal_connect (session, "text-delta", G_CALLBACK (on_text_delta), fixture);
  g_signal_connect (session, "action-delta", G_CALLBACK (on_action_delta), fixture);
  g_signal_connect (session, "action-end", G_CALLBACK (on_action_end), fixture);
  g_signal_connect (session, "turn-finished", G_CALLBACK (on_turn_finished), fixture);
  return session;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) parent = NULL;

  fixture->tmp = g_dir_make_tmp ("tessera-session-XXXXXX", &error);
  g_assert_no_error (error);
  parent = g_file_new_for_path (fixture->tmp);
  fixture->project = tessera_project_create (parent, "app", NULL, &error);
  g_assert_no_error (error);
  fixture->root = g_object_ref (tessera_project_get_root (fixture->project));

  fixture->server = tessera_fake_llm_server_new ();
  fixture->provider = tessera_openai_provider_new ("openai", "Fake",
                                                   tessera_fake_llm_server_get_openai_url (fixture->server),
                                                   "sk-test-session");
  tessera_llm_provider_set_max_retries (fixture->provider, 0);
  fixture->text = g_string_new (NULL);
  fixture->streamed = g_hash_table_new_full (NULL, NULL, NULL, string_free);
  fixture->session = new_session (fixture);
}

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) enumerator = NULL;

  if (g_file_query_file_type (file, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL) == G_FILE_TYPE_DIRECTORY)
    {
      enumerator = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                              G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
      while (enumerator != NULL)
        {
          GFile *child = NULL;

          if (!g_file_enumerator_iterate (enumerator, NULL, &child, NULL, NULL) || child == NULL)
            break;
          remove_tree (child);
        }
    }
  g_file_delete (file, NULL, NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GFile) tmp = g_file_new_for_path (fixture->tmp);

  tessera_fake_llm_server_drain (fixture->server);
  g_assert_finalize_object (fixture->session);
  g_clear_object (&fixture->provider);
  g_clear_pointer (&fixture->server, tessera_fake_llm_server_free);
  g_clear_object (&fixture->project);
  g_clear_object (&fixture->root);
  g_hash_table_unref (fixture->streamed);
  g_string_free (fixture->text, TRUE);
  remove_tree (tmp);
  g_free (fixture->tmp);
}

static void
store_result (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **)user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static TesseraTurnStatus
finish (Fixture       *fixture,
        GAsyncResult **result,
        GError       **error)
{
  TesseraTurnStatus status = tessera_session_send_finish (fixture->session, wait_for (result), error);

  g_clear_object (result);
  g_assert_false (tessera_session_get_busy (fixture->session));
  return status;
}

static TesseraTurnStatus
send (Fixture     *fixture,
      const char  *prompt,
      GError     **error)
{
  GAsyncResult *result = NULL;

  tessera_session_send_async (fixture->session, prompt, NULL, store_result, &result);
  g_assert_true (tessera_session_get_busy (fixture->session));
  return finish (fixture, &result, error);
}

static char *
read_file (Fixture    *fixture,
           const char *path)
{
  g_autoptr(GFile) file = g_file_resolve_relative_path (fixture->root, path);
  char *contents = NULL;

  if (!g_file_load_contents (file, NULL, &contents, NULL, NULL, NULL))
    return NULL;
  return contents;
}

static void
write_file (Fixture    *fixture,
            const char *path,
            const char *contents)
{
  g_autoptr(GFile) file = g_file_resolve_relative_path (fixture->root, path);
  g_autoptr(GFile) parent = g_file_get_parent (file);
  g_autoptr(GError) error = NULL;

  g_file_make_directory_with_parents (parent, NULL, NULL);
  g_file_replace_contents (file, contents, strlen (contents), NULL, FALSE, G_FILE_CREATE_NONE, NULL, NULL, &error);
  g_assert_no_error (error);
}

static TesseraChatMessage *
message_at (Fixture *fixture,
            guint    i)
{
  g_autoptr(TesseraChatMessage) message = g_list_model_get_item (tessera_session_get_messages (fixture->session), i);
  return message;
}

static guint
n_messages (Fixture *fixture)
{
  return g_list_model_get_n_items (tessera_session_get_messages (fixture->session));
}

/* The text of the last user message of the request the server got. */
static const char *
last_user_text (const TesseraFakeLlmRequest *request)
{
  JsonObject *body = tessera_fake_llm_request_get_object (request);
  JsonArray *messages = json_object_get_array_member (body, "messages");
  JsonObject *last = json_array_get_object_element (messages, json_array_get_length (messages) - 1);

  g_assert_cmpstr (json_object_get_string_member (last, "role"), ==, "user");
  return json_object_get_string_member (last, "content");
}

static const char *
system_text (const TesseraFakeLlmRequest *request)
{
  JsonObject *body = tessera_fake_llm_request_get_object (request);
  JsonArray *messages = json_object_get_array_member (body, "messages");
  JsonObject *first = json_array_get_object_element (messages, 0);

  g_assert_cmpstr (json_object_get_string_member (first, "role"), ==, "system");
  return json_object_get_string_member (first, "content");
}

static const char todo_answer[] =
  "I'll make a small todo app.\n\n"
  "<tessera-write path=\"index.html\">\n"
  "<!doctype html>\n<title>Todos</title>\n<ul id=\"list\"></ul>\n<script src=\"js/app.js\"></script>\n"
  "</tessera-write>\n"
  "<tessera-write path=\"js/app.js\">\n"
  "```js\nconst items = JSON.parse(localStorage.getItem('items') || '[]');\nif (items.length < 1 && true) console.log('empty');\n```\n"
  "</tessera-write>\n"
  "<tessera-summary>Created index.html and js/app.js.</tessera-summary>\n";

static void
test_full_turn (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *index = NULL;
  g_autofree char *app = NULL;
  TesseraChatMessage *assistant;
  GPtrArray *actions;
  const TesseraFakeLlmRequest *request;

  tessera_fake_llm_server_push_text (fixture->server, todo_answer);
  g_assert_cmpint (send (fixture, "Create a todo app with local storage", &error), ==, TESSERA_TURN_COMPLETE);
  g_assert_no_error (error);

  index = read_file (fixture, "index.html");
  app = read_file (fixture, "js/app.js");
  g_assert_cmpstr (index, ==, "<!doctype html>\n<title>Todos</title>\n<ul id=\"list\"></ul>\n<script src=\"js/app.js\"></script>\n");
  g_assert_cmpstr (app, ==, "const items = JSON.parse(localStorage.getItem('items') || '[]');\nif (items.length < 1 && true) console.log('empty');\n");

  g_assert_cmpuint (n_messages (fixture), ==, 2);
  g_assert_cmpuint (fixture->n_added, ==, 2);
  g_assert_cmpuint (fixture->n_finished, ==, 1);
  g_assert_cmpint (tessera_chat_message_get_role (message_at (fixture, 0)), ==, TESSERA_CHAT_ROLE_USER);
  assistant = message_at (fixture, 1);
  g_assert_cmpint (tessera_chat_message_get_status (assistant), ==, TESSERA_TURN_COMPLETE);
  g_assert_cmpstr (fixture->text->str, ==, tessera_chat_message_get_text (assistant));
  g_assert_true (g_str_has_prefix (fixture->text->str, "I'll make a small todo app."));
  g_assert_cmpuint (tessera_chat_message_get_output_tokens (assistant), >, 0);
  g_assert_cmpuint (tessera_chat_message_get_estimated_tokens (assistant), >, 0);

  actions = tessera_chat_message_get_actions (assistant);
  g_assert_cmpuint (actions->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (tessera_action_get_status (g_ptr_array_index (actions, i)), ==, TESSERA_ACTION_APPLIED);
  /* What streamed to the editor is what landed on disk. */
  g_assert_cmpstr (((GString *)g_hash_table_lookup (fixture->streamed, g_ptr_array_index (actions, 1)))->str, ==, app);

  /* The request carried the protocol, the project's files and the prompt. */
  request = tessera_fake_llm_server_get_last_request (fixture->server);
  g_assert_cmpstr (tessera_fake_llm_request_get_header (request, "Authorization"), ==, "Bearer sk-test-session");
  g_assert_nonnull (strstr (system_text (request), "<tessera-write path="));
  g_assert_nonnull (strstr (system_text (request), "Files in the project:\n- index.html"));
  g_assert_cmpstr (last_user_text (request), ==, "Create a todo app with local storage");
}

static void
test_anthropic (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraLlmProvider) anthropic =
    tessera_anthropic_provider_new (tessera_fake_llm_server_get_url (fixture->server), "sk-ant-test");
  const TesseraFakeLlmRequest *request;
  JsonObject *body;
  JsonArray *messages;
  g_autofree char *index = NULL;

  tessera_llm_provider_set_max_retries (anthropic, 0);
  tessera_session_set_provider (fixture->session, anthropic);
  tessera_session_set_model (fixture->session, "claude-test");

  /* A failed turn first: its empty answer must not reach the next request. */
  tessera_fake_llm_server_push_mode (fixture->server, TESSERA_FAKE_LLM_SERVER_ERROR);
  g_assert_cmpint (send (fixture, "First try", &error), ==, TESSERA_TURN_FAILED);
  g_clear_error (&error);

  tessera_fake_llm_server_push_text (fixture->server, todo_answer);
  g_assert_cmpint (send (fixture, "Create a todo app", &error), ==, TESSERA_TURN_COMPLETE);
  g_assert_no_error (error);
  index = read_file (fixture, "index.html");
  g_assert_true (g_str_has_prefix (index, "<!doctype html>"));

  request = tessera_fake_llm_server_get_last_request (fixture->server);
  g_assert_cmpstr (request->path, ==, "/v1/messages");
  body = tessera_fake_llm_request_get_object (request);
  g_assert_nonnull (strstr (json_object_get_string_member (body, "system"), "<tessera-write path="));
  /* Claude's context is known: no 32k default. */
  g_assert_cmpint (json_object_get_int_member (body, "max_tokens"), ==, TESSERA_LLM_DEFAULT_MAX_TOKENS);
  messages = json_object_get_array_member (body, "messages");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "role"), ==, "user");
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonNode *content = json_object_get_member (json_array_get_object_element (messages, i), "content");

      if (JSON_NODE_HOLDS_VALUE (content))
        g_assert_cmpstr (json_node_get_string (content), !=, "");
    }
}

static void
test_provider_fallbacks (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const TesseraFakeLlmRequest *request;
  static const char *vars[] = {
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OLLAMA_HOST",
  };
  gboolean env_clean = TRUE;

  g_assert_finalize_object (fixture->session);
  fixture->session = tessera_session_new (fixture->project);

  /* Without a provider and without the providers' variables (build-aux/test
   * unsets them; the environment is not changed here, other threads may
   * read it): a clear sentence. */
  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    env_clean &= g_getenv (vars[i]) == NULL;
  if (env_clean)
    {
      GAsyncResult *result = NULL;

      tessera_session_send_async (fixture->session, "Hello", NULL, store_result, &result);
      g_assert_false (tessera_session_get_busy (fixture->session));
      g_assert_cmpint (finish (fixture, &result, &error), ==, TESSERA_TURN_FAILED);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
      g_clear_error (&error);
    }

  /* A provider but no model: the first one the provider lists. */
  tessera_session_set_provider (fixture->session, fixture->provider);
  tessera_fake_llm_server_push_text (fixture->server, "<tessera-write path=\"first.txt\">first</tessera-write>");
  g_assert_cmpint (send (fixture, "Use the first model", &error), ==, TESSERA_TURN_COMPLETE);
  g_assert_no_error (error);

  g_assert_cmpstr (tessera_session_get_model (fixture->session), ==, "fake-large");
  request = tessera_fake_llm_server_get_last_request (fixture->server);
  g_assert_cmpstr (json_object_get_string_member (tessera_fake_llm_request_get_object (request), "model"), ==, "fake-large");
  /* The prompt went once, as the last message. */
  g_assert_cmpstr (last_user_text (request), ==, "Use the first model");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (tessera_fake_llm_request_get_object (request), "messages")), ==, 2);
}

static void
test_refused_path (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *outside_path = g_build_filename (fixture->tmp, "escape.txt", NULL);
  g_autofree char *ok = NULL;
  GPtrArray *actions;
  TesseraAction *refused;

  tessera_fake_llm_server_push_text (fixture->server,
                                     "<tessera-write path=\"../escape.txt\">owned</tessera-write>\n"
                                     "<tessera-write path=\".tessera/chat/conversation.json\">{}</tessera-write>\n"
                                     "<tessera-write path=\"ok.txt\">fine</tessera-write>\n");
  g_assert_cmpint (send (fixture, "Write files", &error), ==, TESSERA_TURN_PARTIAL);
  g_assert_no_error (error);

  g_assert_false (g_file_test (outside_path, G_FILE_TEST_EXISTS));
  ok = read_file (fixture, "ok.txt");
  g_assert_cmpstr (ok, ==, "fine");

  actions = tessera_chat_message_get_actions (message_at (fixture, 1));
  g_assert_cmpuint (actions->len, ==, 3);
  refused = g_ptr_array_index (actions, 0);
  g_assert_cmpint (tessera_action_get_status (refused), ==, TESSERA_ACTION_REFUSED);
  g_assert_nonnull (strstr (tessera_action_get_message (refused), "../escape.txt"));
  refused = g_ptr_array_index (actions, 1);
  g_assert_cmpint (tessera_action_get_status (refused), ==, TESSERA_ACTION_REFUSED);
  g_assert_nonnull (strstr (tessera_action_get_message (refused), "belongs to Tessera"));
  g_assert_cmpint (tessera_action_get_status (g_ptr_array_index (actions, 2)), ==, TESSERA_ACTION_APPLIED);
}

static void
test_size_limit (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  TesseraAction *action;

  /* The project's own setting wins over the default. */
  g_assert_true (tessera_project_set_setting (fixture->project, "max-file-size", "16", &error));
  g_assert_no_error (error);
  g_assert_finalize_object (fixture->session);
  fixture->session = new_session (fixture);
  g_assert_cmpuint (tessera_session_get_max_file_size (fixture->session), ==, 16);
  tessera_fake_llm_server_push_text (fixture->server,
                                     "<tessera-write path=\"big.txt\">0123456789abcdefghij</tessera-write>");
  g_assert_cmpint (send (fixture, "Write a big file", &error), ==, TESSERA_TURN_NOTHING_APPLIED);
  g_assert_no_error (error);
  g_assert_null (read_file (fixture, "big.txt"));
  action = g_ptr_array_index (tessera_chat_message_get_actions (message_at (fixture, 1)), 0);
  g_assert_cmpint (tessera_action_get_status (action), ==, TESSERA_ACTION_REFUSED);
  g_assert_nonnull (strstr (tessera_action_get_message (action), "limit"));
}

static void
test_cancel_restores (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *index = NULL;
  g_autoptr(GString) answer = g_string_new (NULL);
  GPtrArray *actions;
  TesseraFakeLlmReply reply = { TESSERA_FAKE_LLM_TRICKLE, };

  write_file (fixture, "index.html", "original\n");
  write_file (fixture, "gone.txt", "keep me\n");

  g_string_append (answer, "<tessera-write path=\"index.html\">changed\n</tessera-write>\n");
  g_string_append (answer, "<tessera-delete path=\"gone.txt\"/>\n");
  g_string_append (answer, "<tessera-write path=\"new/created.js\">new file\n</tessera-write>\n");
  g_string_append (answer, "And more prose that never arrives because the user stops the turn.\n");
  g_string_append (answer, "<tessera-write path=\"late.txt\">late</tessera-write>\n");
  reply.text = answer->str;
  tessera_fake_llm_server_push (fixture->server, &reply);

  /* Stop once the third action is on disk. */
  fixture->cancel_at_end = 3;
  g_assert_cmpint (send (fixture, "Change things", &error), ==, TESSERA_TURN_CANCELLED);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  index = read_file (fixture, "index.html");
  g_assert_cmpstr (index, ==, "original\n");
  {
    g_autofree char *gone = read_file (fixture, "gone.txt");
    g_assert_cmpstr (gone, ==, "keep me\n");
  }
  g_assert_null (read_file (fixture, "new/created.js"));
  g_assert_null (read_file (fixture, "late.txt"));

  actions = tessera_chat_message_get_actions (message_at (fixture, 1));
  g_assert_cmpuint (actions->len, >=, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (tessera_action_get_status (g_ptr_array_index (actions, i)), ==, TESSERA_ACTION_REVERTED);
  g_assert_cmpint (tessera_chat_message_get_status (message_at (fixture, 1)), ==, TESSERA_TURN_CANCELLED);
}

static gboolean
cancel_cb (gpointer user_data)
{
  tessera_session_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* Stopped while the model still thinks: nothing arrived, nothing is
 * applied, and the next turn goes through. */
static void
test_cancel_while_thinking (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *index = NULL;
  TesseraFakeLlmReply reply = {
    .mode = TESSERA_FAKE_LLM_ANSWER,
    .text = "<tessera-write path=\"index.html\">thought</tessera-write>\n",
    .think_ms = 500,
  };

  write_file (fixture, "index.html", "original\n");
  tessera_fake_llm_server_push (fixture->server, &reply);
  g_timeout_add (100, cancel_cb, fixture->session);
  g_assert_cmpint (send (fixture, "Think it over", &error), ==, TESSERA_TURN_CANCELLED);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpstr (fixture->text->str, ==, "");
  index = read_file (fixture, "index.html");
  g_assert_cmpstr (index, ==, "original\n");

  /* The server's think ends on a closed request; the next turn is answered. */
  tessera_fake_llm_server_drain (fixture->server);
  tessera_fake_llm_server_push_text (fixture->server, "Ready now.");
  g_assert_cmpint (send (fixture, "Again", &error), ==, TESSERA_TURN_COMPLETE);
  g_assert_no_error (error);
  g_assert_cmpstr (fixture->text->str, ==, "Ready now.");
}

static void
test_followup_after_failed_edit (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *app = NULL;
  const TesseraFakeLlmRequest *request;
  TesseraAction *failed;

  write_file (fixture, "app.js", "function add (a, b) {\n  return a + b;\n}\n");

  /* The model misremembers the file, then fixes its edit. */
  tessera_fake_llm_server_push_text (fixture->server,
                                     "<tessera-edit path=\"app.js\">\n<<<<<<< SEARCH\n  return a - b;\n=======\n  return a * b;\n>>>>>>> REPLACE\n</tessera-edit>\n");
  tessera_fake_llm_server_push_text (fixture->server,
                                     "Sorry.\n<tessera-edit path=\"app.js\">\n<<<<<<< SEARCH\n  return a + b;\n=======\n  return a * b;\n>>>>>>> REPLACE\n</tessera-edit>\n");

  g_assert_cmpint (send (fixture, "Multiply instead", &error), ==, TESSERA_TURN_COMPLETE);
  g_assert_no_error (error);

  app = read_file (fixture, "app.js");
  g_assert_cmpstr (app, ==, "function add (a, b) {\n  return a * b;\n}\n");

  /* user, assistant, automatic follow-up, assistant */
  g_assert_cmpuint (n_messages (fixture), ==, 4);
  g_assert_true (tessera_chat_message_get_automatic (message_at (fixture, 2)));
  failed = g_ptr_array_index (tessera_chat_message_get_actions (message_at (fixture, 1)), 0);
  g_assert_cmpint (tessera_action_get_status (failed), ==, TESSERA_ACTION_FAILED);
  g_assert_nonnull (strstr (tessera_action_get_message (failed), "matched 0 places"));

  request = tessera_fake_llm_server_get_last_request (fixture->server);
  g_assert_nonnull (strstr (last_user_text (request), "matched 0 places"));
  g_assert_nonnull (strstr (last_user_text (request), "nearest line is line 2"));
}

static void
test_followups_are_bounded (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  static const char bad[] =
    "<tessera-edit path=\"a.txt\">\n<<<<<<< SEARCH\nnope\n=======\nyes\n>>>>>>> REPLACE\n</tessera-edit>\n";
  guint requests;

  write_file (fixture, "a.txt", "alpha\n");
  for (guint i = 0; i < 4; i++)
    tessera_fake_llm_server_push_text (fixture->server, bad);

  requests = tessera_fake_llm_server_get_n_requests (fixture->server);
  g_assert_cmpint (send (fixture, "Change a", &error), ==, TESSERA_TURN_NOTHING_APPLIED);
  g_assert_no_error (error);
  /* The first answer and two follow-ups. */
  g_assert_cmpuint (tessera_fake_llm_server_get_n_requests (fixture->server) - requests, ==, 3);
  g_assert_cmpuint (tessera_fake_llm_server_get_n_queued (fixture->server), ==, 1);
}

static void
test_drop_and_continue (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) answer = g_string_new ("Here.\n<tessera-write path=\"done.txt\">finished\n</tessera-write>\n"
                                            "<tessera-write path=\"cut.txt\">\n");
  TesseraFakeLlmReply reply = { TESSERA_FAKE_LLM_DROP, };
  g_autofree char *done = NULL;
  g_autofree char *cut = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  const TesseraFakeLlmRequest *request;
  TesseraTurnStatus status;

  for (guint i = 0; i < 300; i++)
    g_string_append_printf (answer, "line %u\n", i);
  g_string_append (answer, "</tessera-write>\n");
  reply.text = answer->str;
  reply.drop_after = 12000;
  tessera_fake_llm_server_push (fixture->server, &reply);

  g_assert_cmpint (send (fixture, "Make two files", &error), ==, TESSERA_TURN_INCOMPLETE);
  g_assert_no_error (error);
  done = read_file (fixture, "done.txt");
  g_assert_cmpstr (done, ==, "finished\n");
  g_assert_null (read_file (fixture, "cut.txt"));
  g_assert_true (tessera_session_get_can_continue (fixture->session));
  g_assert_cmpint (tessera_chat_message_get_status (message_at (fixture, 1)), ==, TESSERA_TURN_INCOMPLETE);

  tessera_fake_llm_server_push_text (fixture->server, "<tessera-write path=\"cut.txt\">all of it\n</tessera-write>\n");
  tessera_session_continue_async (fixture->session, NULL, store_result, &result);
  status = tessera_session_send_finish (fixture->session, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, TESSERA_TURN_COMPLETE);
  cut = read_file (fixture, "cut.txt");
  g_assert_cmpstr (cut, ==, "all of it\n");
  g_assert_false (tessera_session_get_can_continue (fixture->session));
  g_assert_true (tessera_chat_message_get_automatic (message_at (fixture, 2)));

  request = tessera_fake_llm_server_get_last_request (fixture->server);
  g_assert_nonnull (strstr (last_user_text (request), "cut off"));
  g_assert_nonnull (strstr (last_user_text (request), "cut.txt"));
  /* The kept part of the answer is history: done.txt was written. */
  {
    g_autofree char *all = json_to_string (json_object_get_member (tessera_fake_llm_request_get_object (request), "messages"), FALSE);
    g_assert_nonnull (strstr (all, "[write done.txt: done]"));
  }
}

static void
test_persisted (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraSession) again = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *json = NULL;
  TesseraChatMessage *restored;
  GPtrArray *actions;
  TesseraFakeLlmReply reply = { .mode = TESSERA_FAKE_LLM_ANSWER, .text = todo_answer, .cost = "0.0042" };

  /* Priced as OpenRouter prices it. */
  tessera_fake_llm_server_push (fixture->server, &reply);
  g_assert_cmpint (send (fixture, "Create a todo app", &error), ==, TESSERA_TURN_COMPLETE);
  g_assert_cmpfloat_with_epsilon (tessera_chat_message_get_cost (message_at (fixture, 1)), 0.0042, 1e-12);
  g_assert_cmpfloat (tessera_chat_message_get_cost (message_at (fixture, 0)), <, 0);

  json = read_file (fixture, ".tessera/chat/conversation.json");
  g_assert_nonnull (json);
  g_assert_nonnull (strstr (json, "\"Create a todo app\""));
  /* Keys never reach the project. */
  g_assert_null (strstr (json, "sk-test-session"));

  again = tessera_session_new (fixture->project);
  tessera_session_load_async (again, NULL, store_result, &result);
  g_assert_true (tessera_session_load_finish (again, wait_for (&result), &error));
  g_assert_no_error (error);

  g_assert_cmpuint (g_list_model_get_n_items (tessera_session_get_messages (again)), ==, 2);
  restored = g_list_model_get_item (tessera_session_get_messages (again), 1);
  g_object_unref (restored);
  g_assert_cmpstr (tessera_chat_message_get_text (restored), ==, tessera_chat_message_get_text (message_at (fixture, 1)));
  g_assert_cmpint (tessera_chat_message_get_status (restored), ==, TESSERA_TURN_COMPLETE);
  g_assert_true (g_date_time_equal (tessera_chat_message_get_time (restored),
                                    tessera_chat_message_get_time (message_at (fixture, 1))));
  g_assert_cmpuint (tessera_chat_message_get_input_tokens (restored), ==,
                    tessera_chat_message_get_input_tokens (message_at (fixture, 1)));
  g_assert_cmpuint (tessera_chat_message_get_output_tokens (restored), ==,
                    tessera_chat_message_get_output_tokens (message_at (fixture, 1)));
  g_assert_cmpfloat_with_epsilon (tessera_chat_message_get_cost (restored), 0.0042, 1e-12);
  actions = tessera_chat_message_get_actions (restored);
  g_assert_cmpuint (actions->len, ==, 3);
  g_assert_cmpstr (tessera_action_get_path (g_ptr_array_index (actions, 1)), ==, "js/app.js");
  g_assert_cmpint (tessera_action_get_status (g_ptr_array_index (actions, 1)), ==, TESSERA_ACTION_APPLIED);
  g_assert_cmpstr (tessera_action_get_content (g_ptr_array_index (actions, 2), NULL), ==, "Created index.html and js/app.js.");
}

static void
test_corrupt_conversation (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) chat = g_file_resolve_relative_path (fixture->root, ".tessera/chat");
  g_autoptr(GFileEnumerator) enumerator = NULL;
  TesseraChatMessage *notice;
  gboolean found_backup = FALSE;

  write_file (fixture, ".tessera/chat/conversation.json", "{\"version\": 1, \"messages\": [ {\"role\": ");

  tessera_session_load_async (fixture->session, NULL, store_result, &result);
  g_assert_true (tessera_session_load_finish (fixture->session, wait_for (&result), &error));
  g_assert_no_error (error);

  g_assert_cmpuint (n_messages (fixture), ==, 1);
  notice = message_at (fixture, 0);
  g_assert_cmpint (tessera_chat_message_get_role (notice), ==, TESSERA_CHAT_ROLE_NOTICE);
  g_assert_nonnull (strstr (tessera_chat_message_get_text (notice), "could not be read"));

  /* The unreadable file is kept beside the new one, unchanged. */
  enumerator = g_file_enumerate_children (chat, G_FILE_ATTRIBUTE_STANDARD_NAME, 0, NULL, &error);
  g_assert_no_error (error);
  for (;;)
    {
      GFileInfo *info = NULL;

      g_assert_true (g_file_enumerator_iterate (enumerator, &info, NULL, NULL, NULL));
      if (info == NULL)
        break;
      if (g_str_has_prefix (g_file_info_get_name (info), "conversation.json.corrupt-"))
        {
          g_autofree char *path = g_strdup_printf (".tessera/chat/%s", g_file_info_get_name (info));
          g_autofree char *kept = read_file (fixture, path);

          g_assert_cmpstr (kept, ==, "{\"version\": 1, \"messages\": [ {\"role\": ");
          found_backup = TRUE;
        }
    }
  g_assert_true (found_backup);
}

static void
test_budget (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) filler = g_string_new (NULL);
  const TesseraFakeLlmRequest *request;
  JsonObject *body;
  JsonArray *messages;
  gsize total = 0;
  guint context = 8192;
  guint max_tokens;

  for (guint i = 0; i < 40; i++)
    g_string_append_printf (filler, "export const value%u = %u; // some code to fill the file\n", i, i);
  for (guint i = 0; i < 150; i++)
    {
      g_autofree char *path = g_strdup_printf ("src/module%03u.js", i);
      write_file (fixture, path, filler->str);
    }
  write_file (fixture, "src/special.js", "export const special = 'the needle';\n");

  tessera_session_set_context_tokens (fixture->session, context);
  /* Earlier turns fill the history too. */
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *prompt = g_strdup_printf ("Turn %u: %s", i, filler->str);

      tessera_fake_llm_server_push_text (fixture->server, filler->str);
      g_assert_cmpint (send (fixture, prompt, &error), ==, TESSERA_TURN_COMPLETE);
    }

  tessera_fake_llm_server_push_text (fixture->server, "OK.");
  g_assert_cmpint (send (fixture, "Change src/special.js", &error), ==, TESSERA_TURN_COMPLETE);

  request = tessera_fake_llm_server_get_last_request (fixture->server);
  body = tessera_fake_llm_request_get_object (request);
  messages = json_object_get_array_member (body, "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++)
    total += strlen (json_object_get_string_member (json_array_get_object_element (messages, i), "content"));
  max_tokens = json_object_get_int_member (body, "max_tokens");

  /* Within the context, with room for the answer. */
  g_assert_cmpuint (max_tokens, >, 0);
  g_assert_cmpuint (tessera_estimate_tokens (total) + max_tokens, <=, context);
  /* Some history and some files had to go; the file the prompt names did not. */
  g_assert_cmpuint (json_array_get_length (messages), <, 2 + 6 * 2);
  g_assert_nonnull (strstr (system_text (request), "the needle"));
  g_assert_nonnull (strstr (system_text (request), "- src/module149.js"));
  g_assert_null (strstr (system_text (request), "<file path=\"src/module149.js\">"));
  g_assert_cmpstr (last_user_text (request), ==, "Change src/special.js");
}

static void
test_fix_with_ai (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  const TesseraFakeLlmRequest *request;
  TesseraTurnStatus status;

  write_file (fixture, "js/main.js", "const x = undefinedThing + 1;\n");
  tessera_fake_llm_server_push_text (fixture->server,
                                     "<tessera-write path=\"js/main.js\">const x = 1;\n</tessera-write>");

  tessera_session_fix_async (fixture->session, "ReferenceError: undefinedThing is not defined",
                             "http://127.0.0.1:4321/js/main.js?reload=3", 1, NULL, store_result, &result);
  status = tessera_session_send_finish (fixture->session, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, TESSERA_TURN_COMPLETE);

  request = tessera_fake_llm_server_get_last_request (fixture->server);
  g_assert_nonnull (strstr (last_user_text (request), "ReferenceError: undefinedThing is not defined"));
  g_assert_nonnull (strstr (last_user_text (request), "js/main.js at line 1"));
  g_assert_nonnull (strstr (system_text (request), "<file path=\"js/main.js\">\nconst x = undefinedThing + 1;\n</file>"));
  {
    g_autofree char *fixed = read_file (fixture, "js/main.js");
    g_assert_cmpstr (fixed, ==, "const x = 1;\n");
  }
}

static void
test_nothing_applied (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  tessera_fake_llm_server_push_text (fixture->server,
                                     "Here is the page:\n\n```html\n<h1>Hello</h1>\n```\n");
  g_assert_cmpint (send (fixture, "Make a page", &error), ==, TESSERA_TURN_NOTHING_APPLIED);
  g_assert_no_error (error);
}

static void
test_provider_error (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  tessera_fake_llm_server_push_mode (fixture->server, TESSERA_FAKE_LLM_UNAUTHORIZED);
  g_assert_cmpint (send (fixture, "Hello", &error), ==, TESSERA_TURN_FAILED);
  g_assert_error (error, TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_AUTH);
  g_assert_null (strstr (error->message, "sk-test-session"));
  g_assert_cmpint (tessera_chat_message_get_status (message_at (fixture, 1)), ==, TESSERA_TURN_FAILED);
}

static void
test_run_in_sandbox (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraLocalSandbox) sandbox = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *bwrap = g_find_program_in_path ("bwrap");
  GPtrArray *actions;
  TesseraAction *run;

  if (bwrap == NULL)
    {
      g_test_skip ("bwrap is not installed");
      return;
    }

  sandbox = tessera_local_sandbox_new (fixture->root);
  tessera_sandbox_start_async (TESSERA_SANDBOX (sandbox), NULL, store_result, &result);
  if (!tessera_sandbox_start_finish (TESSERA_SANDBOX (sandbox), wait_for (&result), &error))
    {
      g_test_skip (error->message);
      return;
    }
  g_clear_object (&result);
  tessera_session_set_sandbox (fixture->session, TESSERA_SANDBOX (sandbox));

  tessera_fake_llm_server_push_text (fixture->server,
                                     "<tessera-run>cat data.txt; echo from-the-sandbox</tessera-run>\n"
                                     "<tessera-write path=\"data.txt\">written first\n</tessera-write>\n"
                                     "<tessera-run>exit 3</tessera-run>\n");
  g_assert_cmpint (send (fixture, "Run it", &error), ==, TESSERA_TURN_PARTIAL);
  g_assert_no_error (error);

  actions = tessera_chat_message_get_actions (message_at (fixture, 1));
  run = g_ptr_array_index (actions, 0);
  g_assert_cmpint (tessera_action_get_status (run), ==, TESSERA_ACTION_APPLIED);
  /* Commands run after the files are written, whatever their order. */
  g_assert_nonnull (strstr (tessera_action_get_output (run), "written first\nfrom-the-sandbox"));
  run = g_ptr_array_index (actions, 2);
  g_assert_cmpint (tessera_action_get_status (run), ==, TESSERA_ACTION_FAILED);
  g_assert_nonnull (strstr (tessera_action_get_message (run), "3"));

  tessera_session_set_sandbox (fixture->session, NULL);
  tessera_sandbox_stop_async (TESSERA_SANDBOX (sandbox), NULL, store_result, &result);
  tessera_sandbox_stop_finish (TESSERA_SANDBOX (sandbox), wait_for (&result), NULL);
}

static void
test_no_sandbox (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  TesseraAction *run;

  tessera_fake_llm_server_push_text (fixture->server, "<tessera-add-dependency packages=\"left-pad\"/>");
  g_assert_cmpint (send (fixture, "Add left-pad", &error), ==, TESSERA_TURN_PARTIAL);
  run = g_ptr_array_index (tessera_chat_message_get_actions (message_at (fixture, 1)), 0);
  g_assert_cmpint (tessera_action_get_status (run), ==, TESSERA_ACTION_REFUSED);
  g_assert_nonnull (strstr (tessera_action_get_message (run), "sandbox"));
}

static void
test_busy (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;

  tessera_fake_llm_server_push_text (fixture->server, "One.");
  tessera_session_send_async (fixture->session, "first", NULL, store_result, &first);
  tessera_session_send_async (fixture->session, "second", NULL, store_result, &second);
  g_assert_cmpint (tessera_session_send_finish (fixture->session, wait_for (&second), &error), ==, TESSERA_TURN_FAILED);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_cmpint (tessera_session_send_finish (fixture->session, wait_for (&first), &error), ==, TESSERA_TURN_COMPLETE);
}

static void
test_regenerate_and_clear (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *json = NULL;
  TesseraTurnStatus status;

  tessera_session_regenerate_async (fixture->session, NULL, store_result, &result);
  g_assert_cmpint (tessera_session_send_finish (fixture->session, wait_for (&result), &error), ==, TESSERA_TURN_FAILED);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_object (&result);

  tessera_fake_llm_server_push_text (fixture->server, "<tessera-write path=\"a.txt\">one</tessera-write>");
  g_assert_cmpint (send (fixture, "Write a", &error), ==, TESSERA_TURN_COMPLETE);
  tessera_fake_llm_server_push_text (fixture->server, "<tessera-write path=\"a.txt\">two</tessera-write>");
  tessera_session_regenerate_async (fixture->session, NULL, store_result, &result);
  status = tessera_session_send_finish (fixture->session, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, TESSERA_TURN_COMPLETE);
  g_assert_cmpstr (last_user_text (tessera_fake_llm_server_get_last_request (fixture->server)), ==, "Write a");
  {
    g_autofree char *a = read_file (fixture, "a.txt");
    g_assert_cmpstr (a, ==, "two");
  }
  g_assert_cmpuint (n_messages (fixture), ==, 4);

  g_assert_true (tessera_session_clear_conversation (fixture->session));
  g_assert_cmpuint (n_messages (fixture), ==, 0);
  /* The next save writes the empty conversation. */
  g_clear_object (&result);
  tessera_conversation_flush_async (tessera_session_get_conversation (fixture->session), NULL, store_result, &result);
  g_assert_true (tessera_conversation_flush_finish (tessera_session_get_conversation (fixture->session),
                                                    wait_for (&result), NULL));
  json = read_file (fixture, ".tessera/chat/conversation.json");
  g_assert_null (strstr (json, "Write a"));
}

/* Images */

static TesseraImage *
png_image (const guint8 *data,
           gsize         len)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static (data, len);
  g_autoptr(GError) error = NULL;
  TesseraImage *image = tessera_image_new (bytes, "image/png", &error);

  g_assert_no_error (error);
  return image;
}

static TesseraTurnStatus
send_with_image (Fixture       *fixture,
                 const char    *prompt,
                 TesseraImage  *image,
                 GError       **error)
{
  g_autoptr(GPtrArray) images = g_ptr_array_new ();
  GAsyncResult *result = NULL;

  g_ptr_array_add (images, image);
  tessera_session_send_with_images_async (fixture->session, prompt, images, NULL, store_result, &result);
  g_assert_true (tessera_session_get_busy (fixture->session));
  return finish (fixture, &result, error);
}

/* The user message of the request whose text starts with @text, or NULL. */
static JsonObject *
find_user_message (const TesseraFakeLlmRequest *request,
                   const char                  *text)
{
  JsonArray *messages = json_object_get_array_member (tessera_fake_llm_request_get_object (request), "messages");

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);
      JsonNode *content = json_object_get_member (message, "content");
      const char *first;

      if (g_strcmp0 (json_object_get_string_member (message, "role"), "user") != 0)
        continue;
      if (JSON_NODE_HOLDS_VALUE (content))
        first = json_node_get_string (content);
      else
        first = json_object_get_string_member (json_array_get_object_element (json_node_get_array (content), 0), "text");
      if (g_str_has_prefix (first, text))
        return message;
    }
  return NULL;
}

/* The text of a message of the request, and the URLs of its images. */
static GPtrArray *
message_parts (JsonObject  *message,
               const char **text)
{
  JsonNode *content = json_object_get_member (message, "content");
  GPtrArray *urls = g_ptr_array_new ();
  JsonArray *parts;

  if (JSON_NODE_HOLDS_VALUE (content))
    {
      *text = json_node_get_string (content);
      return urls;
    }

  parts = json_node_get_array (content);
  *text = NULL;
  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      JsonObject *part = json_array_get_object_element (parts, i);
      const char *type = json_object_get_string_member (part, "type");

      if (g_str_equal (type, "text"))
        *text = json_object_get_string_member (part, "text");
      else if (g_str_equal (type, "image_url"))
        g_ptr_array_add (urls, (gpointer)json_object_get_string_member (json_object_get_object_member (part, "image_url"), "url"));
      else
        g_assert_not_reached ();
    }
  return urls;
}

static void
assert_sent_with (const TesseraFakeLlmRequest *request,
                  const char                  *text,
                  TesseraImage                *image)
{
  JsonObject *message = find_user_message (request, text);
  g_autofree char *url = image ? tessera_image_dup_data_url (image) : NULL;
  g_autoptr(GPtrArray) urls = NULL;
  const char *sent;

  g_assert_nonnull (message);
  urls = message_parts (message, &sent);
  if (image == NULL)
    g_assert_cmpuint (urls->len, ==, 0);
  else
    {
      g_assert_cmpstr (sent, ==, text);
      g_assert_cmpuint (urls->len, ==, 1);
      g_assert_true (g_str_has_prefix (g_ptr_array_index (urls, 0), "data:image/png;base64,"));
      g_assert_cmpstr (g_ptr_array_index (urls, 0), ==, url);
    }
}

static void
assert_message_image (TesseraChatMessage *message,
                      TesseraImage       *image)
{
  GPtrArray *images = tessera_chat_message_get_images (message);
  TesseraImage *got;

  g_assert_nonnull (images);
  g_assert_cmpuint (images->len, ==, 1);
  got = g_ptr_array_index (images, 0);
  g_assert_cmpstr (tessera_image_get_name (got), ==, tessera_image_get_name (image));
  g_assert_cmpstr (tessera_image_get_mime_type (got), ==, "image/png");
  g_assert_true (g_bytes_equal (tessera_image_get_bytes (got), tessera_image_get_bytes (image)));
}

static void
reload (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  g_assert_finalize_object (fixture->session);
  fixture->session = new_session (fixture);
  tessera_session_load_async (fixture->session, NULL, store_result, &result);
  g_assert_true (tessera_session_load_finish (fixture->session, wait_for (&result), &error));
  g_assert_no_error (error);
}

/* A conversation edited by hand, or written by another version, with
 * counts and a cost that are not numbers: the messages load, those
 * values are taken as unknown. */
static void
test_odd_usage_values (Fixture       *fixture,
                       gconstpointer  data)
{
  TesseraChatMessage *answer;

  write_file (fixture, ".tessera/chat/conversation.json",
              "{\"version\": 1, \"messages\": ["
              "{\"role\": \"user\", \"text\": \"Make a page\", \"time\": \"2026-11-22T10:00:00Z\"},"
              "{\"role\": \"assistant\", \"text\": \"Done.\", \"time\": \"2026-11-22T10:00:05Z\","
              " \"status\": \"complete\", \"input-tokens\": {\"n\": 1}, \"output-tokens\": -5,"
              " \"cost\": \"cheap\"}]}");

  reload (fixture);

  g_assert_cmpuint (n_messages (fixture), ==, 2);
  answer = message_at (fixture, 1);
  g_assert_cmpstr (tessera_chat_message_get_text (answer), ==, "Done.");
  g_assert_cmpuint (tessera_chat_message_get_input_tokens (answer), ==, 0);
  g_assert_cmpuint (tessera_chat_message_get_output_tokens (answer), ==, 0);
  g_assert_cmpfloat (tessera_chat_message_get_cost (answer), <, 0);
}

static void
test_image_sent (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraImage) image = png_image (red_png, sizeof red_png);
  g_autofree char *path = g_strconcat (".tessera/chat/attachments/", tessera_image_get_name (image), NULL);
  g_autoptr(GFile) file = g_file_resolve_relative_path (fixture->root, path);
  g_autoptr(GBytes) saved = NULL;
  g_autofree char *json = NULL;
  const TesseraFakeLlmRequest *request;
  JsonArray *messages;

  tessera_fake_llm_server_push_text (fixture->server, "A red page, then.");
  g_assert_cmpint (send_with_image (fixture, "Make it look like this", image, &error), ==, TESSERA_TURN_COMPLETE);
  g_assert_no_error (error);

  /* The prompt went as text and image, last. */
  request = tessera_fake_llm_server_get_last_request (fixture->server);
  messages = json_object_get_array_member (tessera_fake_llm_request_get_object (request), "messages");
  g_assert_true (find_user_message (request, "Make it look like this") ==
                 json_array_get_object_element (messages, json_array_get_length (messages) - 1));
  assert_sent_with (request, "Make it look like this", image);

  /* The UI sees it with the message. */
  g_assert_cmpuint (n_messages (fixture), ==, 2);
  assert_message_image (message_at (fixture, 0), image);
  g_assert_null (tessera_chat_message_get_images (message_at (fixture, 1)));

  /* Kept once, under its name, beside the conversation that names it. */
  saved = g_file_load_bytes (file, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (saved, tessera_image_get_bytes (image)));
  json = read_file (fixture, ".tessera/chat/conversation.json");
  g_assert_nonnull (strstr (json, tessera_image_get_name (image)));
  g_assert_nonnull (strstr (json, "\"image/png\""));

  /* Clearing the conversation deletes its images, and nothing else. */
  {
    g_autoptr(GFile) other = g_file_resolve_relative_path (fixture->root, ".tessera/chat/attachments/notes.txt");
    g_autoptr(GAsyncResult) result = NULL;

    g_assert_true (g_file_replace_contents (other, "mine", 4, NULL, FALSE, 0, NULL, NULL, NULL));
    g_assert_true (tessera_session_clear_conversation (fixture->session));
    tessera_conversation_flush_async (tessera_session_get_conversation (fixture->session), NULL, store_result, &result);
    g_assert_true (tessera_conversation_flush_finish (tessera_session_get_conversation (fixture->session),
                                                      wait_for (&result), NULL));
    g_assert_false (g_file_query_exists (file, NULL));
    g_assert_true (g_file_query_exists (other, NULL));
  }
}

static void
test_image_reloaded (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraImage) image = png_image (red_png, sizeof red_png);
  const TesseraFakeLlmRequest *request;

  tessera_fake_llm_server_push_text (fixture->server, "A red page, then.");
  g_assert_cmpint (send_with_image (fixture, "Make it look like this", image, &error), ==, TESSERA_TURN_COMPLETE);

  reload (fixture);
  g_assert_cmpuint (n_messages (fixture), ==, 2);
  assert_message_image (message_at (fixture, 0), image);

  /* The earlier message still shows the model what it was about. */
  tessera_fake_llm_server_push_text (fixture->server, "Bigger.");
  g_assert_cmpint (send (fixture, "Now make it bigger", &error), ==, TESSERA_TURN_COMPLETE);
  g_assert_no_error (error);
  request = tessera_fake_llm_server_get_last_request (fixture->server);
  assert_sent_with (request, "Make it look like this", image);
  g_assert_cmpstr (last_user_text (request), ==, "Now make it bigger");
  g_assert_null (tessera_chat_message_get_images (message_at (fixture, 2)));
}

static void
test_image_budget (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraImage) red = png_image (red_png, sizeof red_png);
  g_autoptr(TesseraImage) blue = png_image (blue_png, sizeof blue_png);
  const TesseraFakeLlmRequest *request;
  JsonObject *older;
  g_autoptr(GPtrArray) urls = NULL;
  const char *text;
  guint first, context;

  tessera_fake_llm_server_push_text (fixture->server, "A red page, then.");
  g_assert_cmpint (send_with_image (fixture, "Make it look like this", red, &error), ==, TESSERA_TURN_COMPLETE);
  first = tessera_chat_message_get_estimated_tokens (message_at (fixture, 1));

  /* Room for the new image, not for the older one too (the answer keeps
   * a quarter of a small context). */
  context = (first + TESSERA_IMAGE_TOKENS / 2) * 4 / 3;
  tessera_session_set_context_tokens (fixture->session, context);
  tessera_fake_llm_server_push_text (fixture->server, "Blue it is.");
  g_assert_cmpint (send_with_image (fixture, "Rather like this", blue, &error), ==, TESSERA_TURN_COMPLETE);
  g_assert_no_error (error);

  request = tessera_fake_llm_server_get_last_request (fixture->server);
  assert_sent_with (request, "Rather like this", blue);
  /* The older message stays, its image replaced by a word about it. */
  older = find_user_message (request, "Make it look like this");
  g_assert_nonnull (older);
  urls = message_parts (older, &text);
  g_assert_cmpuint (urls->len, ==, 0);
  g_assert_cmpstr (text, ==, "Make it look like this\n(an image was attached here)");
  g_assert_cmpuint (tessera_chat_message_get_estimated_tokens (message_at (fixture, 3))
                    + json_object_get_int_member (tessera_fake_llm_request_get_object (request), "max_tokens"),
                    <=, context);

  /* An image the model cannot take at all: the turn says so. */
  tessera_session_set_context_tokens (fixture->session, TESSERA_IMAGE_TOKENS);
  g_assert_cmpint (send_with_image (fixture, "And this", blue, &error), ==, TESSERA_TURN_FAILED);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_nonnull (strstr (error->message, "The message and its images are too large for this model"));
  g_assert_true (tessera_fake_llm_server_get_last_request (fixture->server) == request);
}

/* Earlier images go again with each turn, but only the newest four,
 * however large the context: each costs as much every time. */
static void
test_image_earlier_capped (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraImage) red = png_image (red_png, sizeof red_png);
  const TesseraFakeLlmRequest *request;
  JsonArray *messages;
  guint n_sent = 0;

  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *prompt = g_strdup_printf ("Like this, part %u", i);

      tessera_fake_llm_server_push_text (fixture->server, "Noted.");
      g_assert_cmpint (send_with_image (fixture, prompt, red, &error), ==, TESSERA_TURN_COMPLETE);
      g_assert_no_error (error);
    }

  request = tessera_fake_llm_server_get_last_request (fixture->server);
  messages = json_object_get_array_member (tessera_fake_llm_request_get_object (request), "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);
      const char *text;
      g_autoptr(GPtrArray) urls = NULL;

      if (g_strcmp0 (json_object_get_string_member (message, "role"), "user") != 0)
        continue;
      urls = message_parts (message, &text);
      n_sent += urls->len;
      /* The oldest went as words. */
      if (g_str_has_prefix (text, "Like this, part 0"))
        {
          g_assert_cmpuint (urls->len, ==, 0);
          g_assert_cmpstr (text, ==, "Like this, part 0\n(an image was attached here)");
        }
    }
  /* Four earlier images, and this turn's own. */
  g_assert_cmpuint (n_sent, ==, 5);
}

static void
test_image_regenerate (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TesseraImage) image = png_image (red_png, sizeof red_png);
  const TesseraFakeLlmRequest *request;
  JsonArray *messages;

  tessera_fake_llm_server_push_text (fixture->server, "A red page, then.");
  g_assert_cmpint (send_with_image (fixture, "Make it look like this", image, &error), ==, TESSERA_TURN_COMPLETE);

  tessera_fake_llm_server_push_text (fixture->server, "Another red page.");
  tessera_session_regenerate_async (fixture->session, NULL, store_result, &result);
  g_assert_cmpint (tessera_session_send_finish (fixture->session, wait_for (&result), &error), ==, TESSERA_TURN_COMPLETE);
  g_assert_no_error (error);

  /* The prompt went again with its image, as the last message. */
  request = tessera_fake_llm_server_get_last_request (fixture->server);
  messages = json_object_get_array_member (tessera_fake_llm_request_get_object (request), "messages");
  {
    g_autoptr(GPtrArray) urls = NULL;
    g_autofree char *url = tessera_image_dup_data_url (image);
    const char *text;

    urls = message_parts (json_array_get_object_element (messages, json_array_get_length (messages) - 1), &text);
    g_assert_cmpstr (text, ==, "Make it look like this");
    g_assert_cmpuint (urls->len, ==, 1);
    g_assert_cmpstr (g_ptr_array_index (urls, 0), ==, url);
  }
  g_assert_cmpuint (n_messages (fixture), ==, 4);
  assert_message_image (message_at (fixture, 2), image);
}

static void
put_attachment (Fixture    *fixture,
                const char *name,
                const void *data,
                gsize       len)
{
  g_autofree char *path = g_build_filename (g_file_peek_path (fixture->root), ".tessera", "chat", "attachments", name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
}

static void
test_image_bad_attachments (Fixture       *fixture,
                            gconstpointer  data)
{
  static const char gif[] = "GIF89a\x01\0\x01\0";
  g_autoptr(TesseraImage) red = png_image (red_png, sizeof red_png);
  g_autoptr(TesseraImage) blue = png_image (blue_png, sizeof blue_png);
  g_autoptr(GBytes) gif_bytes = g_bytes_new_static (gif, sizeof gif - 1);
  g_autoptr(TesseraImage) other = tessera_image_new (gif_bytes, "image/gif", NULL);
  g_autofree char *attachments = g_build_filename (g_file_peek_path (fixture->root), ".tessera", "chat", "attachments", NULL);
  g_autofree char *outside = g_build_filename (fixture->tmp, "outside.png", NULL);
  g_autofree char *link = g_build_filename (attachments, tessera_image_get_name (blue), NULL);
  g_autofree char *missing = g_strnfill (64, 'a');
  g_autofree char *json = NULL;
  g_autoptr(GError) error = NULL;

  /* The red image, as Tessera saved it. */
  g_assert_cmpint (g_mkdir_with_parents (attachments, 0700), ==, 0);
  put_attachment (fixture, tessera_image_get_name (red), red_png, sizeof red_png);
  /* The blue one outside, behind a symlink of the right name. */
  g_file_set_contents (outside, (const char *)blue_png, sizeof blue_png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (symlink (outside, link), ==, 0);
  /* Another GIF under the name of this one. */
  put_attachment (fixture, tessera_image_get_name (other), "GIF89a\x02\0\x02\0", 10);

  json = g_strdup_printf ("{\"version\": 1, \"messages\": ["
                          " {\"role\": \"user\", \"text\": \"Like these\", \"images\": ["
                          "   {\"name\": \"../../etc/passwd\", \"type\": \"image/png\"},"
                          "   {\"name\": \"../../../outside.png\", \"type\": \"image/png\"},"
                          "   {\"name\": \"%s.png\", \"type\": \"image/png\"},"
                          "   {\"name\": \"%s\", \"type\": \"image/png\"},"
                          "   {\"name\": \"%s\", \"type\": \"image/gif\"},"
                          "   {\"name\": \"%s\", \"type\": \"image/jpeg\"},"
                          "   {\"name\": \"%s\", \"type\": \"image/png\"},"
                          "   {\"type\": \"image/png\"},"
                          "   42"
                          " ]},"
                          " {\"role\": \"assistant\", \"text\": \"Done.\", \"status\": \"complete\"},"
                          " {\"role\": \"user\", \"text\": \"And this\", \"images\": \"%s\"}"
                          "]}",
                          /* No file by that name. */
                          missing,
                          /* The symlink. */
                          tessera_image_get_name (blue),
                          /* Not the image its name says. */
                          tessera_image_get_name (other),
                          /* Not the type its name says. */
                          tessera_image_get_name (red),
                          /* The one that is fine. */
                          tessera_image_get_name (red),
                          tessera_image_get_name (red));
  write_file (fixture, ".tessera/chat/conversation.json", json);

  reload (fixture);

  /* Every message is kept, not set aside as corrupt; only the good image
   * came back. */
  g_assert_cmpuint (n_messages (fixture), ==, 3);
  g_assert_cmpstr (tessera_chat_message_get_text (message_at (fixture, 0)), ==, "Like these");
  assert_message_image (message_at (fixture, 0), red);
  g_assert_cmpstr (tessera_chat_message_get_text (message_at (fixture, 2)), ==, "And this");
  g_assert_null (tessera_chat_message_get_images (message_at (fixture, 2)));
}

/* Each file action's diff is there once the action is applied. */
static void
on_diff_status (TesseraAction *action,
                GParamSpec    *pspec,
                guint         *n_seen)
{
  if (tessera_action_get_status (action) != TESSERA_ACTION_APPLIED)
    return;
  g_assert_nonnull (tessera_action_get_diff (action));
  (*n_seen)++;
}

static void
on_diff_action_begin (TesseraSession     *session,
                      TesseraChatMessage *message,
                      TesseraAction      *action,
                      guint              *n_seen)
{
  if (tessera_action_get_kind (action) != TESSERA_ACTION_RENAME)
    g_signal_connect (action, "notify::status", G_CALLBACK (on_diff_status), n_seen);
}

static void
assert_diff (TesseraAction *action,
             const char    *before,
             const char    *after)
{
  guint added, removed;
  g_autofree char *expected = tessera_diff_unified (before, strlen (before), after, strlen (after), 3,
                                                    &added, &removed);

  g_assert_nonnull (expected);
  g_assert_cmpstr (tessera_action_get_diff (action), ==, expected);
  g_assert_cmpuint (tessera_action_get_n_added (action), ==, added);
  g_assert_cmpuint (tessera_action_get_n_removed (action), ==, removed);
}

static const char diff_answer[] =
  "<tessera-write path=\"notes.txt\">\nfirst\nsecond\n</tessera-write>\n"
  "<tessera-edit path=\"app.js\">\n<<<<<<< SEARCH\n  return a + b;\n=======\n  return a * b;\n>>>>>>> REPLACE\n</tessera-edit>\n"
  "<tessera-delete path=\"old.txt\"/>\n"
  "<tessera-edit path=\"notes.txt\">\n<<<<<<< SEARCH\nsecond\n=======\nsecond\nthird\n>>>>>>> REPLACE\n</tessera-edit>\n"
  "<tessera-rename from=\"a.txt\" to=\"b.txt\"/>\n";

static const char diff_app_before[] = "function add (a, b) {\n  return a + b;\n}\n";
static const char diff_app_after[] = "function add (a, b) {\n  return a * b;\n}\n";

static void
test_diffs (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *actions;
  guint n_seen = 0;

  write_file (fixture, "app.js", diff_app_before);
  write_file (fixture, "old.txt", "gone\nsoon\n");
  write_file (fixture, "a.txt", "renamed\n");
  g_signal_connect (fixture->session, "action-begin", G_CALLBACK (on_diff_action_begin), &n_seen);

  tessera_fake_llm_server_push_text (fixture->server, diff_answer);
  g_assert_cmpint (send (fixture, "Change the files", &error), ==, TESSERA_TURN_COMPLETE);
  g_assert_no_error (error);

  actions = tessera_chat_message_get_actions (message_at (fixture, 1));
  g_assert_cmpuint (actions->len, ==, 5);
  for (guint i = 0; i < actions->len; i++)
    g_assert_cmpint (tessera_action_get_status (g_ptr_array_index (actions, i)), ==, TESSERA_ACTION_APPLIED);
  g_assert_cmpuint (n_seen, ==, 4);

  /* A new file, all added. */
  assert_diff (g_ptr_array_index (actions, 0), "", "first\nsecond\n");
  g_assert_cmpstr (tessera_action_get_diff (g_ptr_array_index (actions, 0)), ==,
                   "@@ -0,0 +1,2 @@\n+first\n+second\n");
  /* An edit: its line, with the lines around it. */
  assert_diff (g_ptr_array_index (actions, 1), diff_app_before, diff_app_after);
  g_assert_nonnull (strstr (tessera_action_get_diff (g_ptr_array_index (actions, 1)),
                            "\n-  return a + b;\n+  return a * b;\n"));
  g_assert_cmpuint (tessera_action_get_n_added (g_ptr_array_index (actions, 1)), ==, 1);
  g_assert_cmpuint (tessera_action_get_n_removed (g_ptr_array_index (actions, 1)), ==, 1);
  /* A deleted file, all removed. */
  assert_diff (g_ptr_array_index (actions, 2), "gone\nsoon\n", "");
  g_assert_cmpuint (tessera_action_get_n_removed (g_ptr_array_index (actions, 2)), ==, 2);
  /* A second change to a file in the turn: from what the first left. */
  assert_diff (g_ptr_array_index (actions, 3), "first\nsecond\n", "first\nsecond\nthird\n");
  /* A rename changes no line. */
  g_assert_null (tessera_action_get_diff (g_ptr_array_index (actions, 4)));
}

/* An undone turn puts the files back; the diffs still say what each
 * action did. */
static void
test_diffs_reverted (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *app = NULL;
  TesseraFakeLlmReply reply = { TESSERA_FAKE_LLM_TRICKLE, };
  GPtrArray *actions;

  write_file (fixture, "app.js", diff_app_before);
  reply.text = diff_answer;
  tessera_fake_llm_server_push (fixture->server, &reply);
  fixture->cancel_at_end = 2;
  g_assert_cmpint (send (fixture, "Change the files", &error), ==, TESSERA_TURN_CANCELLED);
  g_clear_error (&error);

  app = read_file (fixture, "app.js");
  g_assert_cmpstr (app, ==, diff_app_before);
  actions = tessera_chat_message_get_actions (message_at (fixture, 1));
  g_assert_cmpint (tessera_action_get_status (g_ptr_array_index (actions, 1)), ==, TESSERA_ACTION_REVERTED);
  assert_diff (g_ptr_array_index (actions, 0), "", "first\nsecond\n");
  assert_diff (g_ptr_array_index (actions, 1), diff_app_before, diff_app_after);
}

/* A binary file's change has no diff: bytes as lines say nothing. */
static void
test_diffs_binary (Fixture       *fixture,
                   gconstpointer  data)
{
  static const char logo[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
  g_autoptr(GFile) file = g_file_resolve_relative_path (fixture->root, "logo.png");
  g_autoptr(GError) error = NULL;
  TesseraAction *action;

  g_assert_true (g_file_replace_contents (file, logo, sizeof logo - 1, NULL, FALSE, G_FILE_CREATE_NONE,
                                          NULL, NULL, NULL));
  tessera_fake_llm_server_push_text (fixture->server, "<tessera-delete path=\"logo.png\"/>\n");
  g_assert_cmpint (send (fixture, "Drop the logo", &error), ==, TESSERA_TURN_COMPLETE);
  g_assert_no_error (error);

  action = g_ptr_array_index (tessera_chat_message_get_actions (message_at (fixture, 1)), 0);
  g_assert_cmpint (tessera_action_get_status (action), ==, TESSERA_ACTION_APPLIED);
  g_assert_false (g_file_query_exists (file, NULL));
  g_assert_null (tessera_action_get_diff (action));
}

static void
test_diffs_persisted (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func (g_object_unref);
  GPtrArray *actions;

  write_file (fixture, "app.js", diff_app_before);
  write_file (fixture, "old.txt", "gone\nsoon\n");
  write_file (fixture, "a.txt", "renamed\n");
  tessera_fake_llm_server_push_text (fixture->server, diff_answer);
  g_assert_cmpint (send (fixture, "Change the files", &error), ==, TESSERA_TURN_COMPLETE);
  actions = tessera_chat_message_get_actions (message_at (fixture, 1));
  for (guint i = 0; i < actions->len; i++)
    g_ptr_array_add (sent, g_object_ref (g_ptr_array_index (actions, i)));

  reload (fixture);

  actions = tessera_chat_message_get_actions (message_at (fixture, 1));
  g_assert_cmpuint (actions->len, ==, sent->len);
  for (guint i = 0; i < sent->len; i++)
    {
      TesseraAction *before = g_ptr_array_index (sent, i);
      TesseraAction *after = g_ptr_array_index (actions, i);

      /* A new file's diff is the file: only its counts are kept. */
      if (g_str_has_prefix (tessera_action_get_diff (before) ?: "", "@@ -0,0 "))
        g_assert_null (tessera_action_get_diff (after));
      else
        g_assert_cmpstr (tessera_action_get_diff (after), ==, tessera_action_get_diff (before));
      g_assert_cmpuint (tessera_action_get_n_added (after), ==, tessera_action_get_n_added (before));
      g_assert_cmpuint (tessera_action_get_n_removed (after), ==, tessera_action_get_n_removed (before));
    }
  g_assert_nonnull (strstr (tessera_action_get_diff (g_ptr_array_index (actions, 1)), "+  return a * b;\n"));
  g_assert_null (tessera_action_get_diff (g_ptr_array_index (actions, 4)));
}

/* The file keeps an answer's diffs up to 64 KB in all; the others come
 * back with their counts only. */
static void
test_diffs_saved_budget (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) answer = g_string_new (NULL);
  GPtrArray *actions;

  /* Two files of 500 lines, each changed on every line: about 39 KB of
   * diff each. */
  for (guint file = 0; file < 2; file++)
    {
      g_autoptr(GString) old = g_string_new (NULL);
      g_autofree char *path = g_strdup_printf ("big%u.js", file);

      g_string_append_printf (answer, "<tessera-write path=\"%s\">\n", path);
      for (guint line = 0; line < 500; line++)
        {
          g_string_append_printf (old, "export const value%04u = %u; // old %u\n", line, line, file);
          g_string_append_printf (answer, "export const value%04u = %u; // new %u\n", line, line, file);
        }
      g_string_append (answer, "</tessera-write>\n");
      write_file (fixture, path, old->str);
    }
  tessera_fake_llm_server_push_text (fixture->server, answer->str);
  g_assert_cmpint (send (fixture, "Rewrite two big files", &error), ==, TESSERA_TURN_COMPLETE);
  g_assert_no_error (error);

  reload (fixture);

  actions = tessera_chat_message_get_actions (message_at (fixture, 1));
  g_assert_cmpuint (actions->len, ==, 2);
  g_assert_nonnull (tessera_action_get_diff (g_ptr_array_index (actions, 0)));
  g_assert_null (tessera_action_get_diff (g_ptr_array_index (actions, 1)));
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpuint (tessera_action_get_n_added (g_ptr_array_index (actions, i)), ==, 500);
      g_assert_cmpuint (tessera_action_get_n_removed (g_ptr_array_index (actions, i)), ==, 500);
    }
}

/* A diff the file gets wrong is left out, the rest of the conversation
 * kept. */
static void
test_diffs_malformed (Fixture       *fixture,
                      gconstpointer  data)
{
  GPtrArray *actions;

  write_file (fixture, ".tessera/chat/conversation.json",
              "{\"version\": 1, \"messages\": ["
              " {\"role\": \"user\", \"text\": \"Change\"},"
              " {\"role\": \"assistant\", \"text\": \"Done.\", \"status\": \"complete\", \"actions\": ["
              "   {\"kind\": \"write\", \"path\": \"a\", \"status\": \"applied\", \"diff\": 42, \"added\": 1},"
              "   {\"kind\": \"write\", \"path\": \"b\", \"status\": \"applied\", \"diff\": \"@@ -0,0 +1 @@\\n+b\\n\","
              "    \"added\": \"one\", \"removed\": -1},"
              "   {\"kind\": \"write\", \"path\": \"c\", \"status\": \"applied\", \"diff\": [\"x\"],"
              "    \"added\": 4294967296, \"removed\": {}},"
              "   {\"kind\": \"delete\", \"path\": \"d\", \"status\": \"applied\", \"diff\": \"@@ -1 +0,0 @@\\n-d\\n\","
              "    \"added\": 0, \"removed\": 1}"
              " ]}"
              "]}");

  reload (fixture);

  g_assert_cmpuint (n_messages (fixture), ==, 2);
  actions = tessera_chat_message_get_actions (message_at (fixture, 1));
  g_assert_cmpuint (actions->len, ==, 4);
  /* A diff that is not text is left out; its counts stay. */
  g_assert_null (tessera_action_get_diff (g_ptr_array_index (actions, 0)));
  g_assert_cmpuint (tessera_action_get_n_added (g_ptr_array_index (actions, 0)), ==, 1);
  g_assert_cmpstr (tessera_action_get_diff (g_ptr_array_index (actions, 1)), ==, "@@ -0,0 +1 @@\n+b\n");
  g_assert_cmpuint (tessera_action_get_n_added (g_ptr_array_index (actions, 1)), ==, 0);
  g_assert_cmpuint (tessera_action_get_n_removed (g_ptr_array_index (actions, 1)), ==, 0);
  g_assert_null (tessera_action_get_diff (g_ptr_array_index (actions, 2)));
  g_assert_cmpstr (tessera_action_get_diff (g_ptr_array_index (actions, 3)), ==, "@@ -1 +0,0 @@\n-d\n");
  g_assert_cmpuint (tessera_action_get_n_removed (g_ptr_array_index (actions, 3)), ==, 1);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *counter)
{
  (*counter)++;
}

static gboolean
flush_conversation (Fixture  *fixture,
                    GError  **error)
{
  TesseraConversation *conversation = tessera_session_get_conversation (fixture->session);
  g_autoptr(GAsyncResult) result = NULL;

  tessera_conversation_save (conversation);
  tessera_conversation_flush_async (conversation, NULL, store_result, &result);
  return tessera_conversation_flush_finish (conversation, wait_for (&result), error);
}

/* A conversation that cannot be written (here its folder is a file in the
 * way; a full disk fails the same write) says why, keeps its messages and
 * is written once the way is clear. */
static void
test_save_failure (Fixture       *fixture,
                   gconstpointer  data)
{
  TesseraConversation *conversation = tessera_session_get_conversation (fixture->session);
  g_autoptr(GFile) chat = g_file_resolve_relative_path (fixture->root, ".tessera/chat");
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  guint n_notified = 0;

  write_file (fixture, ".tessera/chat", "in the way");
  g_signal_connect (conversation, "notify::save-error", G_CALLBACK (count_notify), &n_notified);

  tessera_fake_llm_server_push_text (fixture->server, todo_answer);
  g_assert_cmpint (send (fixture, "Create a todo app", &error), ==, TESSERA_TURN_COMPLETE);
  g_assert_no_error (error);

  g_assert_nonnull (tessera_conversation_get_save_error (conversation));
  g_assert_cmpuint (n_notified, ==, 1);
  g_assert_cmpuint (n_messages (fixture), ==, 2);
  g_assert_false (flush_conversation (fixture, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  g_assert_true (g_file_delete (chat, NULL, NULL));
  g_assert_true (flush_conversation (fixture, &error));
  g_assert_no_error (error);
  g_assert_null (tessera_conversation_get_save_error (conversation));
  g_assert_cmpuint (n_notified, ==, 2);
  json = read_file (fixture, ".tessera/chat/conversation.json");
  g_assert_nonnull (json);
  g_assert_nonnull (strstr (json, "\"Create a todo app\""));
}

/* An image that cannot be written does not keep the messages from being
 * saved; it is reported, and written with the next save. */
static void
test_image_save_failure (Fixture       *fixture,
                         gconstpointer  data)
{
  TesseraConversation *conversation = tessera_session_get_conversation (fixture->session);
  g_autoptr(TesseraImage) image = png_image (red_png, sizeof red_png);
  g_autoptr(GFile) attachments = g_file_resolve_relative_path (fixture->root, ".tessera/chat/attachments");
  g_autoptr(GFile) file = g_file_get_child (attachments, tessera_image_get_name (image));
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;

  write_file (fixture, ".tessera/chat/attachments", "in the way");

  tessera_fake_llm_server_push_text (fixture->server, "A red page, then.");
  g_assert_cmpint (send_with_image (fixture, "Make it look like this", image, &error), ==, TESSERA_TURN_COMPLETE);
  g_assert_no_error (error);

  g_assert_nonnull (tessera_conversation_get_save_error (conversation));
  json = read_file (fixture, ".tessera/chat/conversation.json");
  g_assert_nonnull (strstr (json, "\"Make it look like this\""));
  assert_message_image (message_at (fixture, 0), image);

  g_assert_true (g_file_delete (attachments, NULL, NULL));
  g_assert_true (flush_conversation (fixture, &error));
  g_assert_no_error (error);
  g_assert_null (tessera_conversation_get_save_error (conversation));
  g_assert_true (g_file_query_exists (file, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/session/full-turn", test_full_turn);
  ADD ("/session/anthropic", test_anthropic);
  ADD ("/session/provider-fallbacks", test_provider_fallbacks);
  ADD ("/session/refused-path", test_refused_path);
  ADD ("/session/size-limit", test_size_limit);
  ADD ("/session/cancel-restores", test_cancel_restores);
  ADD ("/session/cancel-while-thinking", test_cancel_while_thinking);
  ADD ("/session/followup-after-failed-edit", test_followup_after_failed_edit);
  ADD ("/session/followups-are-bounded", test_followups_are_bounded);
  ADD ("/session/drop-and-continue", test_drop_and_continue);
  ADD ("/session/persisted", test_persisted);
  ADD ("/session/corrupt-conversation", test_corrupt_conversation);
  ADD ("/session/odd-usage-values", test_odd_usage_values);
  ADD ("/session/save-failure", test_save_failure);
  ADD ("/session/budget", test_budget);
  ADD ("/session/fix-with-ai", test_fix_with_ai);
  ADD ("/session/nothing-applied", test_nothing_applied);
  ADD ("/session/provider-error", test_provider_error);
  ADD ("/session/run-in-sandbox", test_run_in_sandbox);
  ADD ("/session/no-sandbox", test_no_sandbox);
  ADD ("/session/busy", test_busy);
  ADD ("/session/regenerate-and-clear", test_regenerate_and_clear);
  ADD ("/session/image/sent", test_image_sent);
  ADD ("/session/image/reloaded", test_image_reloaded);
  ADD ("/session/image/budget", test_image_budget);
  ADD ("/session/image/earlier-capped", test_image_earlier_capped);
  ADD ("/session/image/regenerate", test_image_regenerate);
  ADD ("/session/image/bad-attachments", test_image_bad_attachments);
  ADD ("/session/image/save-failure", test_image_save_failure);
  ADD ("/session/diff/applied", test_diffs);
  ADD ("/session/diff/reverted", test_diffs_reverted);
  ADD ("/session/diff/binary", test_diffs_binary);
  ADD ("/session/diff/persisted", test_diffs_persisted);
  ADD ("/session/diff/saved-budget", test_diffs_saved_budget);
  ADD ("/session/diff/malformed", test_diffs_malformed);

  return g_test_run ();
}
