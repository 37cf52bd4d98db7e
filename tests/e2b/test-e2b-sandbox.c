/* test-e2b-sandbox.c: the E2B backend with a real project and the loopback E2B server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "e2b-test-util.h"
#include "tessera-e2b-process.h"
#include "tessera-e2b-sandbox.h"
#include "tessera-e2b-test-server.h"

typedef struct
{
  TesseraE2bTestServer *server;
  TesseraE2bClient     *client;
  TesseraProject       *project;
  TesseraE2bSandbox    *sandbox;
  char                 *tmpdir;
  guint                 synced;
  guint                 failed;
  guint                 replaced;
} Fixture;

static void
write_file (Fixture    *f,
            const char *path,
            const char *contents)
{
  g_autoptr(GBytes) bytes = g_bytes_new (contents, strlen (contents));
  g_autoptr(GError) error = NULL;

  g_assert_true (tessera_project_write (f->project, path, bytes, NULL, &error));
  g_assert_no_error (error);
}

static char *
remote_contents (Fixture    *f,
                 const char *path)
{
  g_autoptr(GFile) home = NULL;
  g_autoptr(GFile) file = NULL;
  char *contents = NULL;

  home = tessera_e2b_test_server_get_sandbox_home (f->server, tessera_e2b_sandbox_get_sandbox_id (f->sandbox));
  g_assert_nonnull (home);
  file = g_file_resolve_relative_path (home, path);
  if (!g_file_load_contents (file, NULL, &contents, NULL, NULL, NULL))
    return NULL;
  return contents;
}

static void
on_synced (TesseraE2bSync *sync,
           guint           n_files,
           Fixture        *f)
{
  f->synced++;
}

static void
on_failed (TesseraE2bSync *sync,
           GError         *error,
           Fixture        *f)
{
  f->failed++;
}

static void
on_replaced (TesseraE2bSandbox *sandbox,
             const char        *old_id,
             const char        *new_id,
             Fixture           *f)
{
  g_assert_cmpstr (old_id, !=, new_id);
  f->replaced++;
}

static TesseraE2bSandbox *
new_sandbox (Fixture *f)
{
  TesseraE2bSandbox *sandbox = tessera_e2b_sandbox_new (f->project, f->client);

  g_signal_connect (tessera_e2b_sandbox_get_sync (sandbox), "synced", G_CALLBACK (on_synced), f);
  g_signal_connect (tessera_e2b_sandbox_get_sync (sandbox), "failed", G_CALLBACK (on_failed), f);
  g_signal_connect (sandbox, "replaced", G_CALLBACK (on_replaced), f);
  /* No timer may fire during a test. */
  tessera_e2b_sandbox_set_keep_alive (sandbox, FALSE);
  return sandbox;
}

static void
start_sandbox (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  tessera_sandbox_start_async (TESSERA_SANDBOX (f->sandbox), NULL, e2b_test_on_result, &result);
  g_assert_true (tessera_sandbox_start_finish (TESSERA_SANDBOX (f->sandbox), e2b_test_wait_for (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpint (tessera_sandbox_get_state (TESSERA_SANDBOX (f->sandbox)), ==, TESSERA_SANDBOX_READY);
}

static void
stop_sandbox (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  tessera_sandbox_stop_async (TESSERA_SANDBOX (f->sandbox), NULL, e2b_test_on_result, &result);
  g_assert_true (tessera_sandbox_stop_finish (TESSERA_SANDBOX (f->sandbox), e2b_test_wait_for (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpint (tessera_sandbox_get_state (TESSERA_SANDBOX (f->sandbox)), ==, TESSERA_SANDBOX_STOPPED);
}

static void
wait_synced (Fixture *f,
             guint    before)
{
  while (f->synced == before)
    g_main_context_iteration (NULL, TRUE);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) parent = NULL;

  f->server = tessera_e2b_test_server_new (E2B_TEST_API_KEY, &error);
  g_assert_no_error (error);
  f->client = e2b_test_client_new (f->server);

  f->tmpdir = g_dir_make_tmp ("test-e2b-sandbox-XXXXXX", &error);
  g_assert_no_error (error);
  parent = g_file_new_for_path (f->tmpdir);
  f->project = tessera_project_create (parent, "demo", NULL, &error);
  g_assert_no_error (error);
  write_file (f, "css/style.css", "body { color: red }");
  write_file (f, "node_modules/lib/index.js", "ignored");
  f->sandbox = new_sandbox (f);
}

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                                                   G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  GFileInfo *info;

  while (children && (info = g_file_enumerator_next_file (children, NULL, NULL)))
    {
      g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (info));

      remove_tree (child);
      g_object_unref (info);
    }
  g_file_delete (file, NULL, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GFile) tmp = g_file_new_for_path (f->tmpdir);

  g_assert_finalize_object (f->sandbox);
  g_assert_finalize_object (f->project);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (f->client);
  g_assert_finalize_object (f->server);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  remove_tree (tmp);
  g_free (f->tmpdir);
}

static void
test_start_and_sync (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *text = NULL;
  const TesseraE2bSandboxInfo *info;
  guint before;

  start_sandbox (f);
  info = tessera_e2b_sandbox_get_info (f->sandbox);
  g_assert_nonnull (info);
  g_assert_cmpuint (tessera_e2b_test_server_get_n_sandboxes (f->server), ==, 1);
  g_assert_cmpstr (tessera_e2b_test_server_get_sandbox_state (f->server, info->sandbox_id), ==, "running");
  g_assert_nonnull (tessera_e2b_sandbox_get_end_time (f->sandbox));

  /* Everything the project holds, nothing it ignores, in one request. */
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, "POST", "/files"), ==, 1);
  text = remote_contents (f, "project/css/style.css");
  g_assert_cmpstr (text, ==, "body { color: red }");
  g_clear_pointer (&text, g_free);
  text = remote_contents (f, "project/index.html");
  g_assert_nonnull (text);
  g_clear_pointer (&text, g_free);
  text = remote_contents (f, "project/node_modules/lib/index.js");
  g_assert_null (text);

  /* A burst of edits (as the AI writes files) becomes one request. */
  tessera_e2b_test_server_reset_counts (f->server);
  before = f->synced;
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *path = g_strdup_printf ("js/part%u.js", i);
      g_autofree char *contents = g_strdup_printf ("export const n = %u;", i);

      write_file (f, path, contents);
    }
  wait_synced (f, before);
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, "POST", "/files"), ==, 1);
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, NULL, NULL), ==, 1);
  text = remote_contents (f, "project/js/part4.js");
  g_assert_cmpstr (text, ==, "export const n = 4;");
  g_clear_pointer (&text, g_free);

  /* One changed file: one round trip. */
  tessera_e2b_test_server_reset_counts (f->server);
  before = f->synced;
  write_file (f, "css/style.css", "body { color: blue }");
  wait_synced (f, before);
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, NULL, NULL), ==, 1);
  text = remote_contents (f, "project/css/style.css");
  g_assert_cmpstr (text, ==, "body { color: blue }");
  g_clear_pointer (&text, g_free);

  /* Deleting and renaming follow. */
  before = f->synced;
  g_assert_true (tessera_project_delete (f->project, "js/part0.js", FALSE, NULL, NULL));
  g_assert_true (tessera_project_rename (f->project, "js/part1.js", "js/renamed.js", NULL, NULL));
  wait_synced (f, before);
  text = remote_contents (f, "project/js/part0.js");
  g_assert_null (text);
  text = remote_contents (f, "project/js/part1.js");
  g_assert_null (text);
  text = remote_contents (f, "project/js/renamed.js");
  g_assert_cmpstr (text, ==, "export const n = 1;");
  g_clear_pointer (&text, g_free);
  g_assert_cmpuint (f->failed, ==, 0);
  g_assert_null (tessera_e2b_sync_get_error_message (tessera_e2b_sandbox_get_sync (f->sandbox)));

  stop_sandbox (f);
  g_assert_cmpuint (tessera_e2b_test_server_get_n_sandboxes (f->server), ==, 0);
  g_assert_null (tessera_e2b_sandbox_get_sandbox_id (f->sandbox));
}

static void
test_sync_retry (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *text = NULL;
  guint before;

  start_sandbox (f);
  /* More 502s than the client retries: the sync fails, says so, and
   * succeeds on its own later. */
  tessera_e2b_test_server_inject_fault (f->server, TESSERA_E2B_TEST_FAULT_PROXY_ERROR, 6);
  before = f->synced;
  write_file (f, "late.txt", "eventually");
  wait_synced (f, before);
  g_assert_cmpuint (f->failed, ==, 1);
  g_assert_null (tessera_e2b_sync_get_error_message (tessera_e2b_sandbox_get_sync (f->sandbox)));
  text = remote_contents (f, "project/late.txt");
  g_assert_cmpstr (text, ==, "eventually");
  stop_sandbox (f);
}

typedef struct
{
  GString *out;
  gboolean exited;
  int      status;
} Output;

static void
on_output (TesseraProcess       *process,
           TesseraProcessStream  stream,
           GBytes               *bytes,
           Output               *o)
{
  g_string_append_len (o->out, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
on_exited (TesseraProcess *process,
           int             status,
           Output         *o)
{
  o->exited = TRUE;
  o->status = status;
}

static TesseraProcess *
spawn (Fixture            *f,
       const char * const *argv,
       guint               timeout_ms)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TesseraProcess *process;

  tessera_sandbox_spawn_async (TESSERA_SANDBOX (f->sandbox), argv, NULL, NULL, timeout_ms, NULL, e2b_test_on_result, &result);
  process = tessera_sandbox_spawn_finish (TESSERA_SANDBOX (f->sandbox), e2b_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_true (tessera_process_get_running (process));
  return process;
}

#define WAIT_FOR_GO "while [ ! -e go ]; do sleep 0.01; done; echo \"done $(cat go)\"; exit 4"

static void
test_spawn_and_reattach (Fixture       *f,
                         gconstpointer  data)
{
  const char * const argv[] = { "sh", "-c", WAIT_FOR_GO, NULL };
  g_autoptr(TesseraProcess) first = NULL;
  g_autoptr(TesseraProcess) second = NULL;
  Output o = { g_string_new (NULL), FALSE, -1 };
  g_autofree char *url = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint before;

  start_sandbox (f);
  first = spawn (f, argv, 0);
  g_assert_cmpstr (tessera_process_get_command_line (first), ==, "sh -c " WAIT_FOR_GO);

  /* Tessera quits without stopping the sandbox, then opens the project
   * again: the same sandbox, and the server still running is followed
   * instead of started twice. */
  g_clear_object (&first);
  g_assert_finalize_object (f->sandbox);
  f->sandbox = new_sandbox (f);
  tessera_e2b_test_server_reset_counts (f->server);
  start_sandbox (f);
  g_assert_cmpuint (tessera_e2b_test_server_get_n_sandboxes (f->server), ==, 1);
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, "POST", "/v2/sandboxes"), ==, 0);

  second = spawn (f, argv, 0);
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, "POST", "/process.Process/Start"), ==, 0);
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, "POST", "/process.Process/Connect"), ==, 1);
  g_signal_connect (second, "output", G_CALLBACK (on_output), &o);
  g_signal_connect (second, "exited", G_CALLBACK (on_exited), &o);

  before = f->synced;
  write_file (f, "go", "now");
  wait_synced (f, before);
  while (!o.exited)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (o.status, ==, 4);
  g_assert_cmpstr (o.out->str, ==, "done now\n");

  tessera_sandbox_expose_port_async (TESSERA_SANDBOX (f->sandbox), 5173, NULL, e2b_test_on_result, &result);
  url = tessera_sandbox_expose_port_finish (TESSERA_SANDBOX (f->sandbox), e2b_test_wait_for (&result), &error);
  g_assert_no_error (error);
  expected = g_strdup_printf ("https://5173-%s.e2b.test/", tessera_e2b_sandbox_get_sandbox_id (f->sandbox));
  g_assert_cmpstr (url, ==, expected);

  g_string_free (o.out, TRUE);
  stop_sandbox (f);
}

static void
test_empty_project (Fixture       *f,
                    gconstpointer  data)
{
  const char * const argv[] = { "pwd", NULL };
  g_autoptr(TesseraProcess) process = NULL;
  Output o = { g_string_new (NULL), FALSE, -1 };

  g_assert_true (tessera_project_delete (f->project, "index.html", FALSE, NULL, NULL));
  g_assert_true (tessera_project_delete (f->project, "css", FALSE, NULL, NULL));
  start_sandbox (f);
  /* Nothing to upload, yet commands have their folder. */
  process = spawn (f, argv, 10000);
  g_signal_connect (process, "output", G_CALLBACK (on_output), &o);
  g_signal_connect (process, "exited", G_CALLBACK (on_exited), &o);
  while (!o.exited)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (o.status, ==, 0);
  g_assert_true (g_str_has_suffix (o.out->str, "/project\n"));
  g_string_free (o.out, TRUE);
  stop_sandbox (f);
}

static void
test_run_after_edit (Fixture       *f,
                     gconstpointer  data)
{
  const char * const argv[] = { "cat", "data/fresh.txt", NULL };
  g_autoptr(TesseraProcess) process = NULL;
  Output o = { g_string_new (NULL), FALSE, -1 };

  start_sandbox (f);
  /* The AI writes a file and runs a command at once: the command must not
   * race the sync's debounce. */
  write_file (f, "data/fresh.txt", "written just now");
  process = spawn (f, argv, 10000);
  g_signal_connect (process, "output", G_CALLBACK (on_output), &o);
  g_signal_connect (process, "exited", G_CALLBACK (on_exited), &o);
  while (!o.exited)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (o.status, ==, 0);
  g_assert_cmpstr (o.out->str, ==, "written just now");
  g_string_free (o.out, TRUE);
  stop_sandbox (f);
}

static void
test_kill (Fixture       *f,
           gconstpointer  data)
{
  const char * const argv[] = { "sleep", "600", NULL };
  g_autoptr(TesseraProcess) process = NULL;
  Output o = { g_string_new (NULL), FALSE, -1 };

  start_sandbox (f);
  process = spawn (f, argv, 0);
  g_signal_connect (process, "exited", G_CALLBACK (on_exited), &o);
  tessera_process_kill (process);
  while (!o.exited)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (o.status, ==, 128 + 9);
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, "POST", "/process.Process/SendSignal"), ==, 1);
  /* Safe to call again after exit. */
  tessera_process_kill (process);
  g_string_free (o.out, TRUE);
  stop_sandbox (f);
}

static void
test_expired (Fixture       *f,
              gconstpointer  data)
{
  const char * const server_argv[] = { "sleep", "600", NULL };
  g_autoptr(TesseraProcess) server = NULL;
  g_autofree char *old_id = NULL;
  g_autofree char *text = NULL;
  Output o = { g_string_new (NULL), FALSE, -1 };

  start_sandbox (f);
  server = spawn (f, server_argv, 0);
  g_signal_connect (server, "exited", G_CALLBACK (on_exited), &o);
  old_id = g_strdup (tessera_e2b_sandbox_get_sandbox_id (f->sandbox));

  /* E2B ends the sandbox; its streams break and re-attaching finds no
   * sandbox: a new one replaces it with the files and the server. */
  g_assert_true (tessera_e2b_test_server_expire_sandbox (f->server, old_id));
  while (f->replaced == 0)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpint (tessera_sandbox_get_state (TESSERA_SANDBOX (f->sandbox)), ==, TESSERA_SANDBOX_READY);
  g_assert_cmpstr (tessera_sandbox_get_status_message (TESSERA_SANDBOX (f->sandbox)), ==,
                   "The cloud sandbox expired; started a new one");
  g_assert_cmpstr (tessera_e2b_sandbox_get_sandbox_id (f->sandbox), !=, old_id);
  g_assert_cmpuint (tessera_e2b_test_server_get_n_sandboxes (f->server), ==, 1);
  text = remote_contents (f, "project/css/style.css");
  g_assert_cmpstr (text, ==, "body { color: red }");
  g_assert_true (tessera_process_get_running (server));
  g_assert_false (o.exited);
  g_assert_cmpstr (tessera_e2b_process_get_sandbox_id (TESSERA_E2B_PROCESS (server)), ==,
                   tessera_e2b_sandbox_get_sandbox_id (f->sandbox));

  /* An expired sandbox found by the keep-alive path works the same. */
  g_free (old_id);
  old_id = g_strdup (tessera_e2b_sandbox_get_sandbox_id (f->sandbox));
  tessera_process_kill (server);
  while (!o.exited)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (tessera_e2b_test_server_expire_sandbox (f->server, old_id));
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    tessera_e2b_sandbox_extend_async (f->sandbox, 600, NULL, e2b_test_on_result, &result);
    g_assert_false (tessera_e2b_sandbox_extend_finish (f->sandbox, e2b_test_wait_for (&result), &error));
    g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_EXPIRED);
  }
  while (f->replaced == 1)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (tessera_e2b_test_server_get_n_sandboxes (f->server), ==, 1);

  g_string_free (o.out, TRUE);
  stop_sandbox (f);
  g_assert_cmpuint (tessera_e2b_test_server_get_n_sandboxes (f->server), ==, 0);
}

static void
test_pinned (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *id = NULL;

  tessera_e2b_sandbox_set_pinned (f->sandbox, TRUE);
  start_sandbox (f);
  id = g_strdup (tessera_e2b_sandbox_get_sandbox_id (f->sandbox));
  stop_sandbox (f);
  g_assert_cmpstr (tessera_e2b_test_server_get_sandbox_state (f->server, id), ==, "paused");

  /* Opening the project again resumes it. */
  start_sandbox (f);
  g_assert_cmpstr (tessera_e2b_sandbox_get_sandbox_id (f->sandbox), ==, id);
  g_assert_cmpstr (tessera_e2b_test_server_get_sandbox_state (f->server, id), ==, "running");
  g_assert_cmpuint (tessera_e2b_test_server_get_n_sandboxes (f->server), ==, 1);

  /* "Close sandbox" kills even a pinned one. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    tessera_e2b_sandbox_close_async (f->sandbox, NULL, e2b_test_on_result, &result);
    g_assert_true (tessera_e2b_sandbox_close_finish (f->sandbox, e2b_test_wait_for (&result), &error));
    g_assert_no_error (error);
  }
  g_assert_cmpuint (tessera_e2b_test_server_get_n_sandboxes (f->server), ==, 0);
}

static guint
free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (any, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, address, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

typedef struct
{
  SoupSession *session;
  char        *url;
  GBytes      *body;
  guint        status;
  guint        attempts;
} Probe;

static void probe_once (Probe *probe);

static gboolean
on_probe_again (gpointer data)
{
  probe_once (data);
  return G_SOURCE_REMOVE;
}

static void
on_probed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);

  /* The server is up once it accepts connections: probe, never sleep a
   * fixed time. */
  if (body == NULL)
    {
      g_assert_true (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED));
      g_assert_cmpuint (++probe->attempts, <, 1000);
      g_timeout_add (10, on_probe_again, probe);
      return;
    }
  probe->status = soup_message_get_status (soup_session_get_async_result_message (SOUP_SESSION (source), result));
  probe->body = g_steal_pointer (&body);
}

static void
probe_once (Probe *probe)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", probe->url);

  soup_session_send_and_read_async (probe->session, msg, G_PRIORITY_DEFAULT, NULL, on_probed, probe);
}

static void
test_serve_static (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *again = NULL;
  g_autofree char *expected = NULL;
  guint port = free_port ();
  Probe probe = { 0 };

  tessera_e2b_sandbox_set_static_port (f->sandbox, port);
  start_sandbox (f);
  tessera_sandbox_serve_static_async (TESSERA_SANDBOX (f->sandbox), NULL, e2b_test_on_result, &result);
  url = tessera_sandbox_serve_static_finish (TESSERA_SANDBOX (f->sandbox), e2b_test_wait_for (&result), &error);
  g_assert_no_error (error);
  expected = g_strdup_printf ("https://%u-%s.e2b.test/", port, tessera_e2b_sandbox_get_sandbox_id (f->sandbox));
  g_assert_cmpstr (url, ==, expected);
  g_clear_object (&result);

  /* Asking again reuses the running server. */
  tessera_sandbox_serve_static_async (TESSERA_SANDBOX (f->sandbox), NULL, e2b_test_on_result, &result);
  again = tessera_sandbox_serve_static_finish (TESSERA_SANDBOX (f->sandbox), e2b_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, url);
  g_assert_cmpuint (tessera_e2b_test_server_get_request_count (f->server, "POST", "/process.Process/Start"), ==, 1);

  /* The test server's "sandbox" is this machine: the project's files are
   * served from the synced copy. */
  probe.session = soup_session_new ();
  probe.url = g_strdup_printf ("http://127.0.0.1:%u/css/style.css", port);
  probe_once (&probe);
  while (probe.body == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (probe.status, ==, 200);
  g_assert_cmpmem (g_bytes_get_data (probe.body, NULL), g_bytes_get_size (probe.body), "body { color: red }", 19);

  g_bytes_unref (probe.body);
  g_free (probe.url);
  g_object_unref (probe.session);
  stop_sandbox (f);
}

static void
test_bad_key (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  tessera_e2b_client_set_api_key (f->client, "e2b_00");
  tessera_sandbox_start_async (TESSERA_SANDBOX (f->sandbox), NULL, e2b_test_on_result, &result);
  g_assert_false (tessera_sandbox_start_finish (TESSERA_SANDBOX (f->sandbox), e2b_test_wait_for (&result), &error));
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_AUTH);
  g_assert_cmpint (tessera_sandbox_get_state (TESSERA_SANDBOX (f->sandbox)), ==, TESSERA_SANDBOX_FAILED);
  g_assert_cmpstr (tessera_sandbox_get_status_message (TESSERA_SANDBOX (f->sandbox)), ==, error->message);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add ("/e2b/sandbox/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("start-and-sync", test_start_and_sync);
  ADD ("sync-retry", test_sync_retry);
  ADD ("spawn-and-reattach", test_spawn_and_reattach);
  ADD ("empty-project", test_empty_project);
  ADD ("run-after-edit", test_run_after_edit);
  ADD ("kill", test_kill);
  ADD ("expired", test_expired);
  ADD ("pinned", test_pinned);
  ADD ("serve-static", test_serve_static);
  ADD ("bad-key", test_bad_key);
#undef ADD

  return g_test_run ();
}
