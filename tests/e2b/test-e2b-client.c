/* test-e2b-client.c: Tessera's E2B client against the loopback E2B server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>

#include "e2b-test-util.h"
#include "tessera-e2b-client.h"
#include "tessera-e2b-test-server.h"

typedef struct
{
  TesseraE2bTestServer *server;
  TesseraE2bClient     *client;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->server = tessera_e2b_test_server_new (E2B_TEST_API_KEY, &error);
  g_assert_no_error (error);
  f->client = e2b_test_client_new (f->server);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (f->client);
  g_assert_finalize_object (f->server);
  /* The killed processes' last callbacks. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Takes @contents. */
static TesseraSandboxFile *
make_file (const char *path,
           GBytes     *contents)
{
  g_autoptr(GBytes) owned = contents;

  return tessera_sandbox_file_new (path, owned);
}

static TesseraE2bSandboxInfo *
create_sandbox (Fixture    *f,
                const char *project_id)
{
  g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TesseraE2bSandboxInfo *info;

  g_hash_table_insert (metadata, "tesseraProjectId", (gpointer) project_id);
  tessera_e2b_client_create_async (f->client, "base", 300, metadata, NULL, e2b_test_on_result, &result);
  info = tessera_e2b_client_create_finish (f->client, e2b_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (info);
  return info;
}

static void
test_config (void)
{
  g_autoptr(TesseraE2bClient) client = NULL;
  TesseraE2bSandboxInfo info = { .sandbox_id = (char *) "abcdefghij0123456789" };
  g_autofree char *api = NULL;
  g_autofree char *envd = NULL;
  g_autofree char *host = NULL;
  g_autofree char *url = NULL;

  g_unsetenv ("E2B_API_KEY");
  g_unsetenv ("E2B_DOMAIN");
  g_unsetenv ("E2B_API_URL");
  g_unsetenv ("E2B_SANDBOX_URL");
  g_unsetenv ("E2B_DEBUG");

  /* E2B's public service by default. */
  client = tessera_e2b_client_new ();
  g_assert_false (tessera_e2b_client_has_api_key (client));
  g_assert_cmpstr (tessera_e2b_client_get_domain (client), ==, "e2b.app");
  api = tessera_e2b_client_get_api_url (client);
  g_assert_cmpstr (api, ==, "https://api.e2b.app");
  envd = tessera_e2b_client_get_envd_url (client, &info);
  g_assert_cmpstr (envd, ==, "https://sandbox.e2b.app");
  url = tessera_e2b_client_get_port_url (client, &info, 3000);
  g_assert_cmpstr (url, ==, "https://3000-abcdefghij0123456789.e2b.app/");
  g_clear_pointer (&api, g_free);
  g_clear_pointer (&envd, g_free);
  g_clear_pointer (&url, g_free);

  /* A self-hosted domain: envd through the sandbox's own host name. */
  tessera_e2b_client_set_domain (client, "e2b.example.org");
  api = tessera_e2b_client_get_api_url (client);
  g_assert_cmpstr (api, ==, "https://api.e2b.example.org");
  envd = tessera_e2b_client_get_envd_url (client, &info);
  g_assert_cmpstr (envd, ==, "https://49983-abcdefghij0123456789.e2b.example.org");
  g_clear_pointer (&api, g_free);
  g_clear_pointer (&envd, g_free);
  g_clear_object (&client);

  /* The SDK's environment variables. */
  g_setenv ("E2B_API_KEY", E2B_TEST_API_KEY, TRUE);
  g_setenv ("E2B_DOMAIN", "e2b.dev", TRUE);
  client = tessera_e2b_client_new ();
  g_assert_true (tessera_e2b_client_has_api_key (client));
  g_assert_cmpstr (tessera_e2b_client_get_domain (client), ==, "e2b.dev");
  host = tessera_e2b_client_get_host (client, &info, 8080);
  g_assert_cmpstr (host, ==, "8080-abcdefghij0123456789.e2b.dev");
  g_clear_pointer (&host, g_free);
  /* A setting wins over the environment. */
  tessera_e2b_client_set_domain (client, "e2b.pro");
  envd = tessera_e2b_client_get_envd_url (client, &info);
  g_assert_cmpstr (envd, ==, "https://sandbox.e2b.pro");
  g_clear_pointer (&envd, g_free);
  g_clear_object (&client);

  g_setenv ("E2B_API_URL", "http://127.0.0.1:1234/", TRUE);
  g_setenv ("E2B_SANDBOX_URL", "http://127.0.0.1:5678", TRUE);
  client = tessera_e2b_client_new ();
  api = tessera_e2b_client_get_api_url (client);
  g_assert_cmpstr (api, ==, "http://127.0.0.1:1234");
  envd = tessera_e2b_client_get_envd_url (client, &info);
  g_assert_cmpstr (envd, ==, "http://127.0.0.1:5678");
  g_clear_pointer (&api, g_free);
  g_clear_pointer (&envd, g_free);
  g_clear_object (&client);
  g_unsetenv ("E2B_API_URL");
  g_unsetenv ("E2B_SANDBOX_URL");

  /* Debug mode: plain HTTP to a local API and envd. */
  g_setenv ("E2B_DEBUG", "true", TRUE);
  client = tessera_e2b_client_new ();
  g_assert_true (tessera_e2b_client_get_debug (client));
  api = tessera_e2b_client_get_api_url (client);
  g_assert_cmpstr (api, ==, "http://localhost:3000");
  envd = tessera_e2b_client_get_envd_url (client, &info);
  g_assert_cmpstr (envd, ==, "http://localhost:49983");
  url = tessera_e2b_client_get_port_url (client, &info, 5173);
  g_assert_cmpstr (url, ==, "http://localhost:5173/");

  /* ...and, as E2B's SDK, no control plane: nothing listens on
   * localhost:3000 here, yet the lifecycle calls succeed. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(TesseraE2bSandboxInfo) created = NULL;
    g_autoptr(GPtrArray) list = NULL;

    tessera_e2b_client_create_async (client, "base", 300, NULL, NULL, e2b_test_on_result, &result);
    created = tessera_e2b_client_create_finish (client, e2b_test_wait_for (&result), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (created->sandbox_id, ==, "debug_sandbox_id");
    g_clear_object (&result);
    tessera_e2b_client_list_async (client, NULL, NULL, e2b_test_on_result, &result);
    list = tessera_e2b_client_list_finish (client, e2b_test_wait_for (&result), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (list->len, ==, 0);
    g_clear_object (&result);
    tessera_e2b_client_kill_async (client, created->sandbox_id, NULL, e2b_test_on_result, &result);
    g_assert_true (tessera_e2b_client_kill_finish (client, e2b_test_wait_for (&result), &error));
    g_assert_no_error (error);
    g_assert_cmpuint (tessera_e2b_client_get_request_count (client), ==, 0);
  }

  g_unsetenv ("E2B_API_KEY");
  g_unsetenv ("E2B_DOMAIN");
  g_unsetenv ("E2B_DEBUG");
}

static void
test_lifecycle (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(TesseraE2bSandboxInfo) info = create_sandbox (f, "project-one");
  g_autoptr(TesseraE2bSandboxInfo) other = create_sandbox (f, "project two & more");
  g_autoptr(TesseraE2bSandboxInfo) got = NULL;
  g_autoptr(TesseraE2bSandboxInfo) connected = NULL;
  g_autoptr(GHashTable) filter = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) before = NULL;
  g_autoptr(GBytes) bytes = NULL;

  g_assert_cmpuint (strlen (info->sandbox_id), ==, 20);
  g_assert_nonnull (info->envd_access_token);
  g_assert_null (info->traffic_access_token);
  g_assert_cmpuint (tessera_e2b_test_server_get_n_sandboxes (f->server), ==, 2);
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, "POST", "/v2/sandboxes"), ==, 2);

  tessera_e2b_client_get_async (f->client, info->sandbox_id, NULL, e2b_test_on_result, &result);
  got = tessera_e2b_client_get_finish (f->client, e2b_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got->state, ==, "running");
  g_assert_cmpstr (g_hash_table_lookup (got->metadata, "tesseraProjectId"), ==, "project-one");
  g_assert_nonnull (got->end_at);
  before = g_date_time_ref (got->end_at);
  g_clear_object (&result);

  /* The metadata filter must survive its layers of encoding. */
  g_hash_table_insert (filter, "tesseraProjectId", "project two & more");
  tessera_e2b_client_list_async (f->client, filter, NULL, e2b_test_on_result, &result);
  list = tessera_e2b_client_list_finish (f->client, e2b_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (((TesseraE2bSandboxInfo *) list->pdata[0])->sandbox_id, ==, other->sandbox_id);
  g_clear_pointer (&list, g_ptr_array_unref);
  g_clear_object (&result);

  tessera_e2b_client_list_async (f->client, NULL, NULL, e2b_test_on_result, &result);
  list = tessera_e2b_client_list_finish (f->client, e2b_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_clear_pointer (&list, g_ptr_array_unref);
  g_clear_object (&result);

  tessera_e2b_client_set_timeout_async (f->client, info->sandbox_id, 3600, NULL, e2b_test_on_result, &result);
  g_assert_true (tessera_e2b_client_set_timeout_finish (f->client, e2b_test_wait_for (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_clear_pointer (&got, tessera_e2b_sandbox_info_free);
  tessera_e2b_client_get_async (f->client, info->sandbox_id, NULL, e2b_test_on_result, &result);
  got = tessera_e2b_client_get_finish (f->client, e2b_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_date_time_compare (got->end_at, before), >, 0);
  g_clear_object (&result);

  /* Pausing twice is fine; envd of a paused sandbox says so. */
  for (guint i = 0; i < 2; i++)
    {
      tessera_e2b_client_pause_async (f->client, info->sandbox_id, NULL, e2b_test_on_result, &result);
      g_assert_true (tessera_e2b_client_pause_finish (f->client, e2b_test_wait_for (&result), &error));
      g_assert_no_error (error);
      g_clear_object (&result);
    }
  g_assert_cmpstr (tessera_e2b_test_server_get_sandbox_state (f->server, info->sandbox_id), ==, "paused");
  tessera_e2b_client_read_file_async (f->client, info, "x", NULL, e2b_test_on_result, &result);
  bytes = tessera_e2b_client_read_file_finish (f->client, e2b_test_wait_for (&result), &error);
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NOT_RUNNING);
  g_assert_null (bytes);
  g_clear_error (&error);
  g_clear_object (&result);

  tessera_e2b_client_connect_async (f->client, info->sandbox_id, 300, NULL, e2b_test_on_result, &result);
  connected = tessera_e2b_client_connect_finish (f->client, e2b_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (connected->sandbox_id, ==, info->sandbox_id);
  g_assert_cmpstr (tessera_e2b_test_server_get_sandbox_state (f->server, info->sandbox_id), ==, "running");
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, "POST", NULL), >, 0);
  g_clear_object (&result);

  /* Killing a gone sandbox is not an error; getting it is "expired". */
  for (guint i = 0; i < 2; i++)
    {
      tessera_e2b_client_kill_async (f->client, info->sandbox_id, NULL, e2b_test_on_result, &result);
      g_assert_true (tessera_e2b_client_kill_finish (f->client, e2b_test_wait_for (&result), &error));
      g_assert_no_error (error);
      g_clear_object (&result);
    }
  g_assert_cmpuint (tessera_e2b_test_server_get_n_sandboxes (f->server), ==, 1);
  g_clear_pointer (&got, tessera_e2b_sandbox_info_free);
  tessera_e2b_client_get_async (f->client, info->sandbox_id, NULL, e2b_test_on_result, &result);
  got = tessera_e2b_client_get_finish (f->client, e2b_test_wait_for (&result), &error);
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_EXPIRED);
  g_assert_null (got);
}

static void
test_bad_key (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraE2bSandboxInfo) info = NULL;

  tessera_e2b_client_set_api_key (f->client, "e2b_deadbeef");
  tessera_e2b_client_create_async (f->client, "base", 300, NULL, NULL, e2b_test_on_result, &result);
  info = tessera_e2b_client_create_finish (f->client, e2b_test_wait_for (&result), &error);
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_AUTH);
  g_assert_true (strstr (error->message, "API key") != NULL);
  g_assert_null (info);
  g_assert_cmpuint (tessera_e2b_test_server_get_n_sandboxes (f->server), ==, 0);
}

static char *
read_home_file (Fixture                     *f,
                const TesseraE2bSandboxInfo *info,
                const char                  *path)
{
  g_autoptr(GFile) home = tessera_e2b_test_server_get_sandbox_home (f->server, info->sandbox_id);
  g_autoptr(GFile) file = g_file_resolve_relative_path (home, path);
  char *contents = NULL;

  if (!g_file_load_contents (file, NULL, &contents, NULL, NULL, NULL))
    return NULL;
  return contents;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static void
test_files (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(TesseraE2bSandboxInfo) info = create_sandbox (f, "files");
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_sandbox_file_free);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonNode) listing = NULL;
  g_autofree char *text = NULL;
  JsonArray *entries;

  /* 250 small files: three multipart requests of at most 100 files. */
  for (guint i = 0; i < 250; i++)
    {
      g_autofree char *path = g_strdup_printf ("src/dir%u/file %u.txt", i % 7, i);
      char *contents = g_strdup_printf ("contents of %u\n", i);
      gsize len = strlen (contents);

      g_ptr_array_add (files, make_file (path, g_bytes_new_take (contents, len)));
    }
  tessera_e2b_test_server_reset_counts (f->server);
  tessera_e2b_client_write_files_async (f->client, info, TESSERA_E2B_PROJECT_DIR, files, NULL, e2b_test_on_result, &result);
  g_assert_true (tessera_e2b_client_write_files_finish (f->client, e2b_test_wait_for (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, "POST", "/files"), ==, 3);
  text = read_home_file (f, info, "project/src/dir3/file 248.txt");
  g_assert_cmpstr (text, ==, "contents of 248\n");
  g_clear_pointer (&text, g_free);

  /* Three files of 1 MB: the byte budget splits them. */
  g_ptr_array_set_size (files, 0);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *path = g_strdup_printf ("big%u.bin", i);

      g_ptr_array_add (files, make_file (path, g_bytes_new_take (g_malloc0 (1024 * 1024), 1024 * 1024)));
    }
  tessera_e2b_test_server_reset_counts (f->server);
  tessera_e2b_client_write_files_async (f->client, info, TESSERA_E2B_PROJECT_DIR, files, NULL, e2b_test_on_result, &result);
  g_assert_true (tessera_e2b_client_write_files_finish (f->client, e2b_test_wait_for (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, "POST", "/files"), ==, 3);

  /* Paths that would leave the project never reach the wire. */
  g_ptr_array_set_size (files, 0);
  g_ptr_array_add (files, make_file ("../escape.txt", g_bytes_new_static ("x", 1)));
  tessera_e2b_test_server_reset_counts (f->server);
  tessera_e2b_client_write_files_async (f->client, info, TESSERA_E2B_PROJECT_DIR, files, NULL, e2b_test_on_result, &result);
  g_assert_false (tessera_e2b_client_write_files_finish (f->client, e2b_test_wait_for (&result), &error));
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_INVALID_PATH);
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, NULL, NULL), ==, 0);
  g_clear_error (&error);
  g_clear_object (&result);

  tessera_e2b_client_read_file_async (f->client, info, TESSERA_E2B_PROJECT_DIR "/src/dir0/file 0.txt",
                                      NULL, e2b_test_on_result, &result);
  bytes = tessera_e2b_client_read_file_finish (f->client, e2b_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "contents of 0\n", 14);
  g_clear_pointer (&bytes, g_bytes_unref);
  g_clear_object (&result);

  tessera_e2b_client_read_file_async (f->client, info, "project/missing", NULL, e2b_test_on_result, &result);
  bytes = tessera_e2b_client_read_file_finish (f->client, e2b_test_wait_for (&result), &error);
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED);
  g_assert_null (bytes);
  g_clear_error (&error);
  g_clear_object (&result);

  tessera_e2b_client_move_async (f->client, info, TESSERA_E2B_PROJECT_DIR "/big0.bin",
                                 TESSERA_E2B_PROJECT_DIR "/moved/big.bin", NULL, e2b_test_on_result, &result);
  g_assert_true (tessera_e2b_client_move_finish (f->client, e2b_test_wait_for (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  tessera_e2b_client_remove_async (f->client, info, TESSERA_E2B_PROJECT_DIR "/src", NULL, e2b_test_on_result, &result);
  g_assert_true (tessera_e2b_client_remove_finish (f->client, e2b_test_wait_for (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  /* Already gone counts as removed. */
  tessera_e2b_client_remove_async (f->client, info, TESSERA_E2B_PROJECT_DIR "/src", NULL, e2b_test_on_result, &result);
  g_assert_true (tessera_e2b_client_remove_finish (f->client, e2b_test_wait_for (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  for (guint i = 0; i < 2; i++)
    {
      tessera_e2b_client_make_dir_async (f->client, info, TESSERA_E2B_PROJECT_DIR "/empty", NULL, e2b_test_on_result, &result);
      g_assert_true (tessera_e2b_client_make_dir_finish (f->client, e2b_test_wait_for (&result), &error));
      g_assert_no_error (error);
      g_clear_object (&result);
    }

  {
    g_autoptr(JsonNode) request = json_from_string ("{\"path\":\"" TESSERA_E2B_PROJECT_DIR "\"}", NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new ();

    tessera_e2b_client_call_async (f->client, info, "filesystem.Filesystem/ListDir", request, NULL, e2b_test_on_result, &result);
    listing = tessera_e2b_client_call_finish (f->client, e2b_test_wait_for (&result), NULL, &error);
    g_assert_no_error (error);
    entries = json_object_get_array_member (json_node_get_object (listing), "entries");
    for (guint i = 0; i < json_array_get_length (entries); i++)
      g_ptr_array_add (names, (gpointer) json_object_get_string_member (json_array_get_object_element (entries, i), "name"));
    g_ptr_array_sort (names, compare_strings);
    g_assert_cmpuint (names->len, ==, 4);
    g_assert_cmpstr (names->pdata[0], ==, "big1.bin");
    g_assert_cmpstr (names->pdata[1], ==, "big2.bin");
    g_assert_cmpstr (names->pdata[2], ==, "empty");
    g_assert_cmpstr (names->pdata[3], ==, "moved");
    g_clear_object (&result);
  }

  {
    g_autoptr(JsonNode) request = json_from_string ("{\"path\":\"/home/user/nope\"}", NULL);
    g_autoptr(JsonNode) stat = NULL;
    g_autofree char *code = NULL;

    tessera_e2b_client_call_async (f->client, info, "filesystem.Filesystem/Stat", request, NULL, e2b_test_on_result, &result);
    stat = tessera_e2b_client_call_finish (f->client, e2b_test_wait_for (&result), &code, &error);
    g_assert_null (stat);
    g_assert_cmpstr (code, ==, "not_found");
    g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED);
  }
}

typedef struct
{
  GString *out;
  GString *err;
  int      exit_status;
  char    *end_error;
  GError  *lost;
  gboolean done;
} Collected;

static void
on_output (TesseraE2bStream *stream,
           int               which,
           GBytes           *bytes,
           Collected        *c)
{
  GString *s = which == TESSERA_PROCESS_STDOUT ? c->out : c->err;

  g_string_append_len (s, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
on_ended (TesseraE2bStream *stream,
          int               exit_status,
          const char       *error,
          Collected        *c)
{
  g_assert_false (c->done);
  c->exit_status = exit_status;
  c->end_error = g_strdup (error);
  c->done = TRUE;
}

static void
on_lost (TesseraE2bStream *stream,
         GError           *error,
         Collected        *c)
{
  g_assert_false (c->done);
  c->lost = g_error_copy (error);
  c->done = TRUE;
}

static Collected *
collect (TesseraE2bStream *stream)
{
  Collected *c = g_new0 (Collected, 1);

  c->out = g_string_new (NULL);
  c->err = g_string_new (NULL);
  c->exit_status = -1;
  g_signal_connect (stream, "output", G_CALLBACK (on_output), c);
  g_signal_connect (stream, "ended", G_CALLBACK (on_ended), c);
  g_signal_connect (stream, "lost", G_CALLBACK (on_lost), c);
  return c;
}

static void
collected_free (Collected *c)
{
  g_string_free (c->out, TRUE);
  g_string_free (c->err, TRUE);
  g_free (c->end_error);
  g_clear_error (&c->lost);
  g_free (c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Collected, collected_free)

static void
wait_done (Collected *c)
{
  while (!c->done)
    g_main_context_iteration (NULL, TRUE);
}

static TesseraE2bStream *
start (Fixture                     *f,
       const TesseraE2bSandboxInfo *info,
       const char                  *command,
       const char                  *cwd,
       const char * const          *env,
       const char                  *tag,
       guint                        timeout_ms)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TesseraE2bStream *stream;

  tessera_e2b_client_start_async (f->client, info, command, cwd, env, tag, timeout_ms, NULL, e2b_test_on_result, &result);
  stream = tessera_e2b_client_start_finish (f->client, e2b_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tessera_e2b_stream_get_pid (stream), >, 0);
  return stream;
}

static void
test_process_output (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(TesseraE2bSandboxInfo) info = create_sandbox (f, "process");
  const char * const env[] = { "GREETING=hello there", NULL };
  g_autoptr(TesseraE2bStream) stream = NULL;
  g_autoptr(Collected) c = NULL;
  g_autoptr(GFile) home = tessera_e2b_test_server_get_sandbox_home (f->server, info->sandbox_id);
  g_autoptr(GFile) sub = g_file_get_child (home, "sub");

  g_assert_true (g_file_make_directory (sub, NULL, NULL));
  stream = start (f, info, "echo \"$GREETING\"; pwd; echo oops >&2; exit 3", "/home/user/sub", env, NULL, 60000);
  c = collect (stream);
  wait_done (c);
  g_assert_no_error (c->lost);
  g_assert_cmpint (c->exit_status, ==, 3);
  g_assert_cmpstr (c->end_error, ==, "exit status 3");
  g_assert_true (g_str_has_prefix (c->out->str, "hello there\n"));
  g_assert_true (g_str_has_suffix (c->out->str, "/sub\n"));
  g_assert_cmpstr (c->err->str, ==, "oops\n");

  /* A clean exit: envd omits the zero exit code. */
  g_clear_object (&stream);
  g_clear_pointer (&c, collected_free);
  stream = start (f, info, "printf '%s' abc", NULL, NULL, NULL, 60000);
  c = collect (stream);
  wait_done (c);
  g_assert_cmpint (c->exit_status, ==, 0);
  g_assert_null (c->end_error);
  g_assert_cmpstr (c->out->str, ==, "abc");
}

static void
test_process_kill (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(TesseraE2bSandboxInfo) info = create_sandbox (f, "kill");
  g_autoptr(TesseraE2bStream) stream = NULL;
  g_autoptr(Collected) c = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) processes = NULL;
  gboolean found = FALSE;

  /* A server: no Connect-Timeout-Ms, so nothing but a signal ends it. */
  stream = start (f, info, "exec sleep 600", NULL, NULL, "dev-server", 0);
  c = collect (stream);
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, "POST", "/process.Process/Start"), ==, 1);

  tessera_e2b_client_list_processes_async (f->client, info, NULL, e2b_test_on_result, &result);
  processes = tessera_e2b_client_list_processes_finish (f->client, e2b_test_wait_for (&result), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < processes->len; i++)
    {
      TesseraE2bProcessInfo *p = processes->pdata[i];

      if (p->pid == tessera_e2b_stream_get_pid (stream))
        {
          found = TRUE;
          g_assert_cmpstr (p->cmd, ==, "/bin/bash");
          g_assert_cmpstr (p->args[2], ==, "exec sleep 600");
          g_assert_cmpstr (p->tag, ==, "dev-server");
        }
    }
  g_assert_true (found);
  g_clear_object (&result);

  tessera_e2b_client_send_signal_async (f->client, info, tessera_e2b_stream_get_pid (stream), SIGKILL,
                                        NULL, e2b_test_on_result, &result);
  g_assert_true (tessera_e2b_client_send_signal_finish (f->client, e2b_test_wait_for (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  wait_done (c);
  g_assert_no_error (c->lost);
  g_assert_cmpint (c->exit_status, ==, 128 + SIGKILL);

  tessera_e2b_client_send_signal_async (f->client, info, tessera_e2b_stream_get_pid (stream), SIGKILL,
                                        NULL, e2b_test_on_result, &result);
  g_assert_false (tessera_e2b_client_send_signal_finish (f->client, e2b_test_wait_for (&result), &error));
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NOT_RUNNING);
  g_clear_error (&error);
  g_clear_object (&result);

  /* Nothing to re-attach to either: the stream's own error says so. */
  {
    g_autoptr(TesseraE2bStream) gone = NULL;

    tessera_e2b_client_connect_process_async (f->client, info, tessera_e2b_stream_get_pid (stream),
                                              NULL, e2b_test_on_result, &result);
    gone = tessera_e2b_client_connect_process_finish (f->client, e2b_test_wait_for (&result), &error);
    g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NOT_RUNNING);
    g_assert_null (gone);
  }
}

/* The process waits for a file that the test writes when it is ready. */
#define WAIT_FOR_GO "while [ ! -e go ]; do sleep 0.01; done; echo after; exit 5"

static void
write_go (Fixture                     *f,
          const TesseraE2bSandboxInfo *info)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_sandbox_file_free);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (files, make_file ("go", g_bytes_new_static ("", 0)));
  tessera_e2b_client_write_files_async (f->client, info, "/home/user", files, NULL, e2b_test_on_result, &result);
  g_assert_true (tessera_e2b_client_write_files_finish (f->client, e2b_test_wait_for (&result), &error));
  g_assert_no_error (error);
}

static TesseraE2bStream *
reattach (Fixture                     *f,
          const TesseraE2bSandboxInfo *info,
          const char                  *tag)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) processes = NULL;
  TesseraE2bStream *stream;
  guint pid = 0;

  tessera_e2b_client_list_processes_async (f->client, info, NULL, e2b_test_on_result, &result);
  processes = tessera_e2b_client_list_processes_finish (f->client, e2b_test_wait_for (&result), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < processes->len; i++)
    if (g_strcmp0 (((TesseraE2bProcessInfo *) processes->pdata[i])->tag, tag) == 0)
      pid = ((TesseraE2bProcessInfo *) processes->pdata[i])->pid;
  g_assert_cmpuint (pid, >, 0);
  g_clear_object (&result);

  tessera_e2b_client_connect_process_async (f->client, info, pid, NULL, e2b_test_on_result, &result);
  stream = tessera_e2b_client_connect_process_finish (f->client, e2b_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tessera_e2b_stream_get_pid (stream), ==, pid);
  return stream;
}

static void
test_process_reconnect (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(TesseraE2bSandboxInfo) info = create_sandbox (f, "reconnect");
  g_autoptr(TesseraE2bStream) stream = NULL;
  g_autoptr(TesseraE2bStream) again = NULL;
  g_autoptr(Collected) c = NULL;

  /* As after a restart of Tessera: the first stream is simply gone. */
  stream = start (f, info, WAIT_FOR_GO, NULL, NULL, "app", 0);
  tessera_e2b_stream_close (stream);
  g_clear_object (&stream);

  again = reattach (f, info, "app");
  c = collect (again);
  write_go (f, info);
  wait_done (c);
  g_assert_no_error (c->lost);
  g_assert_cmpint (c->exit_status, ==, 5);
  g_assert_cmpstr (c->out->str, ==, "after\n");
}

static void
test_dropped_stream (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(TesseraE2bSandboxInfo) info = create_sandbox (f, "dropped");
  g_autoptr(TesseraE2bStream) stream = NULL;
  g_autoptr(TesseraE2bStream) again = NULL;
  g_autoptr(Collected) c = NULL;
  g_autoptr(Collected) c2 = NULL;

  tessera_e2b_test_server_inject_fault (f->server, TESSERA_E2B_TEST_FAULT_DROP_STREAM, 1);
  stream = start (f, info, WAIT_FOR_GO, NULL, NULL, "app", 0);
  c = collect (stream);
  wait_done (c);
  /* A cut stream is not an exit: the process still runs. */
  g_assert_error (c->lost, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NETWORK);
  g_assert_cmpint (c->exit_status, ==, -1);

  again = reattach (f, info, "app");
  c2 = collect (again);
  write_go (f, info);
  wait_done (c2);
  g_assert_cmpint (c2->exit_status, ==, 5);
}

static void
test_deadline (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(TesseraE2bSandboxInfo) info = create_sandbox (f, "deadline");
  g_autoptr(TesseraE2bStream) stream = NULL;
  g_autoptr(Collected) c = NULL;

  stream = start (f, info, "exec sleep 600", NULL, NULL, NULL, 100);
  c = collect (stream);
  wait_done (c);
  g_assert_error (c->lost, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_TIMED_OUT);
}

static void
test_rate_limit (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(TesseraE2bSandboxInfo) info = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* Two 429s, then success: the caller never sees them. */
  tessera_e2b_test_server_inject_fault (f->server, TESSERA_E2B_TEST_FAULT_RATE_LIMIT, 2);
  info = create_sandbox (f, "limited");
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, "POST", "/v2/sandboxes"), ==, 3);
  g_assert_cmpuint (tessera_e2b_test_server_get_n_sandboxes (f->server), ==, 1);

  /* Persistently limited: a clear error after a bounded number of tries. */
  tessera_e2b_test_server_reset_counts (f->server);
  tessera_e2b_test_server_inject_fault (f->server, TESSERA_E2B_TEST_FAULT_RATE_LIMIT, 100);
  tessera_e2b_client_kill_async (f->client, info->sandbox_id, NULL, e2b_test_on_result, &result);
  g_assert_false (tessera_e2b_client_kill_finish (f->client, e2b_test_wait_for (&result), &error));
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_RATE_LIMITED);
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, NULL, NULL), ==, 5);
  g_assert_cmpuint (tessera_e2b_test_server_get_n_sandboxes (f->server), ==, 1);
}

static void
test_proxy_error (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(TesseraE2bSandboxInfo) info = create_sandbox (f, "proxy");
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_sandbox_file_free);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  /* A passing 502 from the edge proxy is retried... */
  g_ptr_array_add (files, make_file ("index.html", g_bytes_new_static ("<p>hi</p>", 9)));
  tessera_e2b_test_server_inject_fault (f->server, TESSERA_E2B_TEST_FAULT_PROXY_ERROR, 2);
  tessera_e2b_client_write_files_async (f->client, info, TESSERA_E2B_PROJECT_DIR, files, NULL, e2b_test_on_result, &result);
  g_assert_true (tessera_e2b_client_write_files_finish (f->client, e2b_test_wait_for (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, "POST", "/files"), ==, 3);
  text = read_home_file (f, info, "project/index.html");
  g_assert_cmpstr (text, ==, "<p>hi</p>");
  g_clear_object (&result);

  /* ...one that persists becomes a network error. */
  tessera_e2b_test_server_inject_fault (f->server, TESSERA_E2B_TEST_FAULT_PROXY_ERROR, 100);
  tessera_e2b_client_write_files_async (f->client, info, TESSERA_E2B_PROJECT_DIR, files, NULL, e2b_test_on_result, &result);
  g_assert_false (tessera_e2b_client_write_files_finish (f->client, e2b_test_wait_for (&result), &error));
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NETWORK);
}

static void
test_expired (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(TesseraE2bSandboxInfo) info = create_sandbox (f, "expired");
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_sandbox_file_free);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraE2bStream) stream = NULL;

  g_assert_true (tessera_e2b_test_server_expire_sandbox (f->server, info->sandbox_id));
  tessera_e2b_test_server_reset_counts (f->server);

  /* envd's proxy says "not found": that is final, not retried. */
  g_ptr_array_add (files, make_file ("a.txt", g_bytes_new_static ("a", 1)));
  tessera_e2b_client_write_files_async (f->client, info, TESSERA_E2B_PROJECT_DIR, files, NULL, e2b_test_on_result, &result);
  g_assert_false (tessera_e2b_client_write_files_finish (f->client, e2b_test_wait_for (&result), &error));
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_EXPIRED);
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, NULL, NULL), ==, 1);
  g_clear_error (&error);
  g_clear_object (&result);

  tessera_e2b_client_start_async (f->client, info, "true", NULL, NULL, NULL, 0, NULL, e2b_test_on_result, &result);
  stream = tessera_e2b_client_start_finish (f->client, e2b_test_wait_for (&result), &error);
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_EXPIRED);
  g_assert_null (stream);
  g_clear_error (&error);
  g_clear_object (&result);

  tessera_e2b_client_set_timeout_async (f->client, info->sandbox_id, 60, NULL, e2b_test_on_result, &result);
  g_assert_false (tessera_e2b_client_set_timeout_finish (f->client, e2b_test_wait_for (&result), &error));
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_EXPIRED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/e2b/client/config", test_config);
#define ADD(path, fn) g_test_add ("/e2b/client/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("lifecycle", test_lifecycle);
  ADD ("bad-key", test_bad_key);
  ADD ("files", test_files);
  ADD ("process-output", test_process_output);
  ADD ("process-kill", test_process_kill);
  ADD ("process-reconnect", test_process_reconnect);
  ADD ("dropped-stream", test_dropped_stream);
  ADD ("deadline", test_deadline);
  ADD ("rate-limit", test_rate_limit);
  ADD ("proxy-error", test_proxy_error);
  ADD ("expired", test_expired);
#undef ADD

  return g_test_run ();
}
