/* test-runner.c: real projects run in the real bwrap sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "sandbox-test-util.h"
#include "tessera-local-sandbox.h"
#include "tessera-runner.h"

typedef struct
{
  char                *tmp;
  char                *dir;
  TesseraProject      *project;
  TesseraLocalSandbox *sandbox;
  TesseraRunner       *runner;
  GString             *output;
  GPtrArray           *states;
} Fixture;

static void
output_cb (TesseraRunner        *runner,
           TesseraProcessStream  stream,
           const char           *text,
           Fixture              *fixture)
{
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_string_append (fixture->output, text);
}

static void
state_cb (TesseraRunner *runner,
          GParamSpec    *pspec,
          Fixture       *fixture)
{
  g_ptr_array_add (fixture->states, GINT_TO_POINTER (tessera_runner_get_state (runner)));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->tmp = g_dir_make_tmp ("tessera-runner-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->dir = g_build_filename (fixture->tmp, "app", NULL);
  g_assert_cmpint (g_mkdir (fixture->dir, 0755), ==, 0);
  fixture->output = g_string_new (NULL);
  fixture->states = g_ptr_array_new ();
}

/* Opens the project once its files are written. */
static void
open_project (Fixture *fixture)
{
  g_autoptr(GFile) location = g_file_new_for_path (fixture->dir);
  g_autoptr(GError) error = NULL;

  fixture->project = tessera_project_open (location, NULL, &error);
  g_assert_no_error (error);

  fixture->sandbox = tessera_local_sandbox_new (location);
  fixture->runner = tessera_runner_new (fixture->project, TESSERA_SANDBOX (fixture->sandbox));
  g_signal_connect (fixture->runner, "output", G_CALLBACK (output_cb), fixture);
  g_signal_connect (fixture->runner, "notify::state", G_CALLBACK (state_cb), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->runner != NULL)
    {
      g_autoptr(GAsyncResult) result = NULL;

      /* Everything the test started ends before the folder goes. */
      tessera_runner_stop (fixture->runner);
      tessera_sandbox_stop_async (TESSERA_SANDBOX (fixture->sandbox), NULL, sandbox_test_store_result, &result);
      g_assert_true (tessera_sandbox_stop_finish (TESSERA_SANDBOX (fixture->sandbox),
                                                  sandbox_test_wait_result (&result), NULL));

      g_signal_handlers_disconnect_by_data (fixture->runner, fixture);
      g_clear_object (&fixture->runner);
      g_clear_object (&fixture->sandbox);
      g_clear_object (&fixture->project);
    }

  sandbox_test_remove_tree (fixture->tmp);
  g_clear_pointer (&fixture->tmp, g_free);
  g_clear_pointer (&fixture->dir, g_free);
  g_string_free (fixture->output, TRUE);
  g_ptr_array_unref (fixture->states);
}

/* Runs the loop until the runner settles: ready, crashed or stopped. */
static TesseraRunnerState
wait_settled (TesseraRunner *runner)
{
  for (;;)
    {
      TesseraRunnerState state = tessera_runner_get_state (runner);

      if (state == TESSERA_RUNNER_READY || state == TESSERA_RUNNER_CRASHED ||
          state == TESSERA_RUNNER_STOPPED)
        return state;

      g_main_context_iteration (NULL, TRUE);
    }
}

static char *
fetch (const char *url)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, sandbox_test_store_result, &result);
  bytes = soup_session_send_and_read_finish (session, sandbox_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);

  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static guint
free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

#define SKIP_UNLESS(program) \
  G_STMT_START { \
    if (!sandbox_test_have_program ("bwrap")) \
      { \
        g_test_skip ("bwrap is not installed"); \
        return; \
      } \
    if (!sandbox_test_have_program (program)) \
      { \
        g_test_skip (program " is not installed"); \
        return; \
      } \
  } G_STMT_END

static void
test_static (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *body = NULL;

  SKIP_UNLESS ("sh");

  sandbox_test_write_file (fixture->dir, "index.html", "<html><body>static site</body></html>");
  open_project (fixture);

  tessera_runner_start (fixture->runner);
  g_assert_cmpint (wait_settled (fixture->runner), ==, TESSERA_RUNNER_READY);
  g_assert_cmpint (tessera_runner_get_kind (fixture->runner), ==, TESSERA_RUNNER_KIND_STATIC);
  g_assert_true (tessera_runner_get_live_reload (fixture->runner));
  g_assert_true (g_str_has_prefix (tessera_runner_get_url (fixture->runner), "http://127.0.0.1:"));
  g_assert_true (g_str_has_prefix (tessera_runner_get_status_message (fixture->runner), "Ready at http://127.0.0.1:"));

  body = fetch (tessera_runner_get_url (fixture->runner));
  g_assert_nonnull (strstr (body, "static site"));

  /* A write through the project reaches open pages as a reload event. */
  {
    g_autofree char *events_url = g_strconcat (tessera_runner_get_url (fixture->runner), "__tessera/events", NULL);
    g_autoptr(SoupSession) session = soup_session_new ();
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", events_url);
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GInputStream) stream = NULL;
    g_autoptr(GBytes) contents = g_bytes_new_static ("<html><body>edited</body></html>", 32);
    g_autoptr(GString) received = g_string_new (NULL);
    g_autoptr(GError) error = NULL;

    soup_session_send_async (session, msg, G_PRIORITY_DEFAULT, NULL, sandbox_test_store_result, &result);
    stream = soup_session_send_finish (session, sandbox_test_wait_result (&result), &error);
    g_assert_no_error (error);
    g_clear_object (&result);

    tessera_project_write (fixture->project, "index.html", contents, NULL, &error);
    g_assert_no_error (error);

    while (strstr (received->str, "event: reload\n") == NULL)
      {
        g_autoptr(GBytes) bytes = NULL;

        g_input_stream_read_bytes_async (stream, 4096, G_PRIORITY_DEFAULT, NULL, sandbox_test_store_result, &result);
        bytes = g_input_stream_read_bytes_finish (stream, sandbox_test_wait_result (&result), &error);
        g_clear_object (&result);
        g_assert_no_error (error);
        g_assert_cmpuint (g_bytes_get_size (bytes), >, 0);
        g_string_append_len (received, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      }

    g_clear_pointer (&body, g_free);
    body = fetch (tessera_runner_get_url (fixture->runner));
    g_assert_nonnull (strstr (body, "edited"));
  }
}

static void
test_node (Fixture       *fixture,
           gconstpointer  data)
{
  g_autofree char *server = NULL;
  g_autofree char *expected_url = NULL;
  g_autofree char *body = NULL;
  g_autofree char *stamp = NULL;
  guint port;

  SKIP_UNLESS ("node");
  if (!sandbox_test_have_program ("npm"))
    {
      g_test_skip ("npm is not installed");
      return;
    }

  /* A port of its own choosing that it only announces in its output, as
   * many dev servers do, rather than the PORT it is given. */
  port = free_port ();
  server = g_strdup_printf ("const http = require('http');\n"
                            "const port = %u;\n"
                            "http.createServer((req, res) => res.end('hello from node'))\n"
                            "  .listen(port, '127.0.0.1', () => console.log(`Server ready at http://localhost:${port}/`));\n",
                            port);
  sandbox_test_write_file (fixture->dir, "server.js", server);
  sandbox_test_write_file (fixture->dir, "package.json",
              "{ \"name\": \"app\", \"version\": \"1.0.0\", \"private\": true,\n"
              "  \"scripts\": { \"dev\": \"node server.js\", \"start\": \"node missing.js\" } }\n");
  open_project (fixture);

  tessera_runner_start (fixture->runner);
  g_assert_cmpint (wait_settled (fixture->runner), ==, TESSERA_RUNNER_READY);
  g_assert_cmpint (tessera_runner_get_kind (fixture->runner), ==, TESSERA_RUNNER_KIND_NODE);
  g_assert_false (tessera_runner_get_live_reload (fixture->runner));

  expected_url = g_strdup_printf ("http://127.0.0.1:%u/", port);
  g_assert_cmpstr (tessera_runner_get_url (fixture->runner), ==, expected_url);
  body = fetch (expected_url);
  g_assert_cmpstr (body, ==, "hello from node");

  /* Installed first (nothing to download), then the dev script. */
  g_assert_true (g_ptr_array_find (fixture->states, GINT_TO_POINTER (TESSERA_RUNNER_INSTALLING), NULL));
  g_assert_nonnull (strstr (fixture->output->str, "$ npm install\n"));
  g_assert_nonnull (strstr (fixture->output->str, "$ npm run dev\n"));
  g_assert_nonnull (strstr (tessera_runner_get_log (fixture->runner), "Server ready at"));
  stamp = g_build_filename (fixture->dir, ".tessera", "npm-install.stamp", NULL);
  g_assert_true (g_file_test (stamp, G_FILE_TEST_EXISTS));

  /* A restart finds the install up to date. */
  g_ptr_array_set_size (fixture->states, 0);
  tessera_runner_restart (fixture->runner);
  while (tessera_runner_get_state (fixture->runner) == TESSERA_RUNNER_STOPPED)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (wait_settled (fixture->runner), ==, TESSERA_RUNNER_READY);
  g_assert_false (g_ptr_array_find (fixture->states, GINT_TO_POINTER (TESSERA_RUNNER_INSTALLING), NULL));
  g_assert_cmpstr (tessera_runner_get_url (fixture->runner), ==, expected_url);

  tessera_runner_stop (fixture->runner);
  g_assert_cmpint (tessera_runner_get_state (fixture->runner), ==, TESSERA_RUNNER_STOPPED);
  g_assert_null (tessera_runner_get_url (fixture->runner));
}

static void
test_python (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *body = NULL;

  SKIP_UNLESS ("python3");

  /* The stdlib server on the PORT it is given, announced the way
   * "python3 -m http.server" does. */
  sandbox_test_write_file (fixture->dir, "app.py",
              "import http.server, os\n"
              "port = int(os.environ['PORT'])\n"
              "class Handler(http.server.BaseHTTPRequestHandler):\n"
              "    def do_GET(self):\n"
              "        self.send_response(200)\n"
              "        self.end_headers()\n"
              "        self.wfile.write(b'hello from python')\n"
              "    do_HEAD = do_GET\n"
              "server = http.server.HTTPServer(('127.0.0.1', port), Handler)\n"
              "print(f'Serving HTTP on 127.0.0.1 port {port} (http://127.0.0.1:{port}/) ...')\n"
              "server.serve_forever()\n");
  open_project (fixture);

  tessera_runner_start (fixture->runner);
  g_assert_cmpint (wait_settled (fixture->runner), ==, TESSERA_RUNNER_READY);
  g_assert_cmpint (tessera_runner_get_kind (fixture->runner), ==, TESSERA_RUNNER_KIND_PYTHON);
  g_assert_nonnull (strstr (fixture->output->str, "$ python app.py\n"));
  g_assert_nonnull (strstr (fixture->output->str, "Serving HTTP on 127.0.0.1 port"));

  body = fetch (tessera_runner_get_url (fixture->runner));
  g_assert_cmpstr (body, ==, "hello from python");

  /* The sandbox stopping under the app (a project closing) is no crash. */
  {
    g_autoptr(GAsyncResult) result = NULL;

    tessera_sandbox_stop_async (TESSERA_SANDBOX (fixture->sandbox), NULL, sandbox_test_store_result, &result);
    g_assert_true (tessera_sandbox_stop_finish (TESSERA_SANDBOX (fixture->sandbox),
                                                sandbox_test_wait_result (&result), NULL));
    g_assert_cmpint (wait_settled (fixture->runner), ==, TESSERA_RUNNER_STOPPED);
    g_assert_cmpstr (tessera_runner_get_status_message (fixture->runner), ==, "Stopped");
    g_assert_null (tessera_runner_get_url (fixture->runner));
  }
}

static gboolean
have_ipv6_loopback (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);

  return socket != NULL && g_socket_bind (socket, address, FALSE, NULL);
}

static void
test_ipv6_localhost (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *body = NULL;

  SKIP_UNLESS ("python3");
  if (!have_ipv6_loopback ())
    {
      g_test_skip ("no IPv6 loopback here");
      return;
    }

  /* As Vite does under Node when "localhost" resolves to ::1 first. */
  sandbox_test_write_file (fixture->dir, "app.py",
              "import http.server, os, socket\n"
              "class Server(http.server.HTTPServer):\n"
              "    address_family = socket.AF_INET6\n"
              "port = int(os.environ['PORT'])\n"
              "print(f'  Local:   http://localhost:{port}/')\n"
              "Server(('::1', port), http.server.SimpleHTTPRequestHandler).serve_forever()\n");
  open_project (fixture);

  tessera_runner_start (fixture->runner);
  g_assert_cmpint (wait_settled (fixture->runner), ==, TESSERA_RUNNER_READY);
  g_assert_true (g_str_has_prefix (tessera_runner_get_url (fixture->runner), "http://localhost:"));
  body = fetch (tessera_runner_get_url (fixture->runner));
  g_assert_nonnull (strstr (body, "app.py"));
}

static void
test_python_requirements (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *venv = NULL;
  g_autofree char *body = NULL;

  SKIP_UNLESS ("python3");

  sandbox_test_write_file (fixture->dir, "requirements.txt", "# nothing to download\n");
  sandbox_test_write_file (fixture->dir, "main.py",
              "import http.server, os, sys\n"
              "assert sys.prefix.endswith('.tessera/venv'), sys.prefix\n"
              "port = int(os.environ['PORT'])\n"
              "http.server.HTTPServer(('127.0.0.1', port), http.server.SimpleHTTPRequestHandler).serve_forever()\n");
  open_project (fixture);

  tessera_runner_start (fixture->runner);
  g_assert_cmpint (wait_settled (fixture->runner), ==, TESSERA_RUNNER_READY);
  g_assert_true (g_ptr_array_find (fixture->states, GINT_TO_POINTER (TESSERA_RUNNER_INSTALLING), NULL));
  venv = g_build_filename (fixture->dir, ".tessera", "venv", "bin", "python", NULL);
  g_assert_true (g_file_test (venv, G_FILE_TEST_IS_EXECUTABLE));
  body = fetch (tessera_runner_get_url (fixture->runner));
  g_assert_nonnull (strstr (body, "main.py"));
}

static void
test_crash (Fixture       *fixture,
            gconstpointer  data)
{
  SKIP_UNLESS ("python3");

  sandbox_test_write_file (fixture->dir, "main.py", "import sys\nprint('oops', file=sys.stderr)\nsys.exit(3)\n");
  open_project (fixture);

  tessera_runner_start (fixture->runner);
  g_assert_cmpint (wait_settled (fixture->runner), ==, TESSERA_RUNNER_CRASHED);
  g_assert_cmpstr (tessera_runner_get_status_message (fixture->runner), ==, "Crashed: exit 3");
  g_assert_null (tessera_runner_get_url (fixture->runner));
  g_assert_nonnull (strstr (tessera_runner_get_log (fixture->runner), "oops\n"));
}

static void
test_run_command_setting (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;

  SKIP_UNLESS ("python3");

  /* The override wins over the detected kind (here: Node). */
  sandbox_test_write_file (fixture->dir, "package.json", "{ \"scripts\": { \"dev\": \"exit 1\" } }");
  sandbox_test_write_file (fixture->dir, "hello.txt", "served by http.server");
  open_project (fixture);
  tessera_project_set_setting (fixture->project, TESSERA_RUNNER_SETTING_RUN_COMMAND,
                               "exec python3 -m http.server 0 --bind 127.0.0.1", &error);
  g_assert_no_error (error);

  tessera_runner_start (fixture->runner);
  g_assert_cmpint (wait_settled (fixture->runner), ==, TESSERA_RUNNER_READY);
  g_assert_cmpint (tessera_runner_get_kind (fixture->runner), ==, TESSERA_RUNNER_KIND_CUSTOM);

  /* Port 0: found only through "Serving HTTP on … port N". */
  {
    g_autofree char *url = g_strconcat (tessera_runner_get_url (fixture->runner), "hello.txt", NULL);

    body = fetch (url);
  }
  g_assert_cmpstr (body, ==, "served by http.server");
}

static void
test_run_command (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) wait_result = NULL;
  g_autoptr(TesseraProcess) process = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;

  SKIP_UNLESS ("sh");

  open_project (fixture);

  /* Starts the sandbox by itself. */
  tessera_runner_run_command_async (fixture->runner, "echo hi from the sandbox; echo ünïcode >&2; exit 2",
                                    NULL, sandbox_test_store_result, &result);
  process = tessera_runner_run_command_finish (fixture->runner, sandbox_test_wait_result (&result), &error);
  g_assert_no_error (error);

  tessera_process_wait_async (process, NULL, sandbox_test_store_result, &wait_result);
  g_assert_true (tessera_process_wait_finish (process, sandbox_test_wait_result (&wait_result), &status, &error));
  g_assert_cmpint (status, ==, 2);

  g_assert_nonnull (strstr (fixture->output->str, "$ echo hi from the sandbox; echo ünïcode >&2; exit 2\n"));
  g_assert_nonnull (strstr (fixture->output->str, "hi from the sandbox\n"));
  g_assert_nonnull (strstr (tessera_runner_get_log (fixture->runner), "ünïcode\n"));
  g_assert_cmpint (tessera_runner_get_state (fixture->runner), ==, TESSERA_RUNNER_IDLE);

  /* The log keeps the last 200 KiB, in whole lines. */
  {
    g_autoptr(GAsyncResult) spawned = NULL;
    g_autoptr(GAsyncResult) waited = NULL;
    g_autoptr(TesseraProcess) big = NULL;
    const char *log;

    tessera_runner_run_command_async (fixture->runner, "seq 1 60000", NULL, sandbox_test_store_result, &spawned);
    big = tessera_runner_run_command_finish (fixture->runner, sandbox_test_wait_result (&spawned), &error);
    g_assert_no_error (error);
    tessera_process_wait_async (big, NULL, sandbox_test_store_result, &waited);
    g_assert_true (tessera_process_wait_finish (big, sandbox_test_wait_result (&waited), &status, &error));
    g_assert_cmpint (status, ==, 0);

    log = tessera_runner_get_log (fixture->runner);
    g_assert_cmpuint (strlen (log), <=, TESSERA_RUNNER_LOG_LIMIT);
    g_assert_cmpuint (strlen (log), >, TESSERA_RUNNER_LOG_LIMIT - 16);
    g_assert_true (g_str_has_suffix (log, "\n59999\n60000\n"));
    g_assert_null (strstr (log, "hi from the sandbox"));
    /* Starts with a whole number: cut after a newline. */
    {
      g_autofree char *first = g_strndup (log, strcspn (log, "\n"));
      guint64 n = g_ascii_strtoull (first, NULL, 10);
      g_autofree char *next = g_strdup_printf ("%" G_GUINT64_FORMAT "\n%" G_GUINT64_FORMAT "\n", n, n + 1);

      g_assert_cmpuint (n, >, 1);
      g_assert_true (g_str_has_prefix (log, next));
    }
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/sandbox/runner/static", test_static);
  ADD ("/sandbox/runner/node", test_node);
  ADD ("/sandbox/runner/python", test_python);
  ADD ("/sandbox/runner/ipv6-localhost", test_ipv6_localhost);
  ADD ("/sandbox/runner/python-requirements", test_python_requirements);
  ADD ("/sandbox/runner/crash", test_crash);
  ADD ("/sandbox/runner/run-command-setting", test_run_command_setting);
  ADD ("/sandbox/runner/run-command", test_run_command);

#undef ADD

  return g_test_run ();
}
