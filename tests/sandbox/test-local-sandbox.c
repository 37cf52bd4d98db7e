/* test-local-sandbox.c: the bwrap backend, with the real bwrap
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "sandbox-test-util.h"
#include "tessera-local-process.h"
#include "tessera-local-sandbox.h"

typedef struct
{
  char                *tmp;
  GFile               *root;
  TesseraLocalSandbox *sandbox;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *project = NULL;

  fixture->tmp = g_dir_make_tmp ("tessera-sandbox-XXXXXX", &error);
  g_assert_no_error (error);

  project = g_build_filename (fixture->tmp, "project", NULL);
  g_assert_cmpint (g_mkdir (project, 0755), ==, 0);

  fixture->root = g_file_new_for_path (project);
  fixture->sandbox = tessera_local_sandbox_new (fixture->root);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_assert_finalize_object (fixture->sandbox);
  sandbox_test_remove_tree (fixture->tmp);
  g_clear_object (&fixture->root);
  g_clear_pointer (&fixture->tmp, g_free);
}

static void
start_sandbox (TesseraLocalSandbox *sandbox)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  tessera_sandbox_start_async (TESSERA_SANDBOX (sandbox), NULL, sandbox_test_store_result, &result);
  g_assert_true (tessera_sandbox_start_finish (TESSERA_SANDBOX (sandbox),
                                               sandbox_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpint (tessera_sandbox_get_state (TESSERA_SANDBOX (sandbox)), ==, TESSERA_SANDBOX_READY);
}

static TesseraProcess *
spawn (TesseraLocalSandbox *sandbox,
       const char * const  *argv,
       const char * const  *env,
       guint                timeout_ms,
       GCancellable        *cancellable)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TesseraProcess *process;

  tessera_sandbox_spawn_async (TESSERA_SANDBOX (sandbox), argv, NULL, env, timeout_ms,
                               cancellable, sandbox_test_store_result, &result);
  process = tessera_sandbox_spawn_finish (TESSERA_SANDBOX (sandbox),
                                          sandbox_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (process);

  return process;
}

typedef struct
{
  GString *out;
  GString *err;
  /* Output seen after ::exited would mean lost ordering. */
  gboolean exited;
  gboolean output_after_exit;
} Collected;

static void
output_cb (TesseraProcess       *process,
           TesseraProcessStream  stream,
           GBytes               *data,
           Collected            *collected)
{
  gsize size = 0;
  const char *text = g_bytes_get_data (data, &size);

  if (collected->exited)
    collected->output_after_exit = TRUE;

  g_string_append_len (stream == TESSERA_PROCESS_STDOUT ? collected->out : collected->err, text, size);
}

static void
exited_cb (TesseraProcess *process,
           int             status,
           Collected      *collected)
{
  collected->exited = TRUE;
}

static int
wait_process (TesseraProcess *process)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;

  tessera_process_wait_async (process, NULL, sandbox_test_store_result, &result);
  g_assert_true (tessera_process_wait_finish (process, sandbox_test_wait_result (&result), &status, &error));
  g_assert_no_error (error);
  g_assert_false (tessera_process_get_running (process));

  return status;
}

/* Runs @argv to the end and returns its exit status and output. */
static int
run (TesseraLocalSandbox  *sandbox,
     const char * const   *argv,
     char                **out,
     char                **err)
{
  g_autoptr(TesseraProcess) process = NULL;
  Collected collected = { g_string_new (NULL), g_string_new (NULL), FALSE, FALSE };
  int status;

  process = spawn (sandbox, argv, NULL, 0, NULL);
  g_signal_connect (process, "output", G_CALLBACK (output_cb), &collected);
  g_signal_connect (process, "exited", G_CALLBACK (exited_cb), &collected);
  status = wait_process (process);
  g_signal_handlers_disconnect_by_data (process, &collected);

  g_assert_true (collected.exited);
  g_assert_false (collected.output_after_exit);

  if (out != NULL)
    *out = g_string_free (collected.out, FALSE);
  else
    g_string_free (collected.out, TRUE);
  if (err != NULL)
    *err = g_string_free (collected.err, FALSE);
  else
    g_string_free (collected.err, TRUE);

  return status;
}

/* How many host processes carry @marker in their command line. */
static guint
count_processes (const char *marker)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint count = 0;

  g_assert_nonnull (dir);

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *cmdline = NULL;
      gsize length = 0;

      if (!g_ascii_isdigit (name[0]))
        continue;

      path = g_build_filename ("/proc", name, "cmdline", NULL);
      if (!g_file_get_contents (path, &cmdline, &length, NULL))
        continue;

      for (gsize i = 0; i < length; i++)
        if (cmdline[i] == '\0')
          cmdline[i] = ' ';

      if (length > 0 && strstr (cmdline, marker) != NULL)
        count++;
    }

  return count;
}

#define SKIP_WITHOUT_BWRAP() \
  G_STMT_START { \
    if (!sandbox_test_have_program ("bwrap")) \
      { \
        g_test_skip ("bwrap is not installed"); \
        return; \
      } \
  } G_STMT_END

static void
test_home_unreadable (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *secret = g_build_filename (g_get_home_dir (), "tessera-secret.txt", NULL);
  g_autofree char *inside = NULL;
  g_autofree char *out = NULL;
  g_autofree char *home = NULL;
  g_autoptr(GError) error = NULL;

  SKIP_WITHOUT_BWRAP ();

  g_file_set_contents (secret, "the user's secret", -1, &error);
  g_assert_no_error (error);
  inside = g_build_filename (fixture->tmp, "project", "inside.txt", NULL);
  g_file_set_contents (inside, "project file", -1, &error);
  g_assert_no_error (error);

  start_sandbox (fixture->sandbox);

  /* The project is there, at /project, and the command starts in it. */
  g_assert_cmpint (run (fixture->sandbox, (const char * const[]) { "cat", "inside.txt", NULL }, &out, NULL), ==, 0);
  g_assert_cmpstr (out, ==, "project file");
  g_clear_pointer (&out, g_free);

  /* The user's home is not. */
  g_assert_cmpint (run (fixture->sandbox, (const char * const[]) { "cat", secret, NULL }, &out, NULL), !=, 0);
  g_assert_null (strstr (out, "secret"));
  g_clear_pointer (&out, g_free);

  /* Nor is HOME the user's. */
  g_assert_cmpint (run (fixture->sandbox,
                        (const char * const[]) { "sh", "-c", "echo \"$HOME\"; pwd", NULL },
                        &home, NULL), ==, 0);
  g_assert_cmpstr (home, ==, "/tmp/home\n/project\n");

  g_unlink (secret);
}

static void
test_writes_confined (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *home_file = g_build_filename (g_get_home_dir (), "tessera-written", NULL);
  g_autofree char *tmp_name = g_strdup_printf ("tessera-written-%u", g_random_int ());
  g_autofree char *host_tmp = g_build_filename ("/tmp", tmp_name, NULL);
  g_autofree char *sandbox_tmp = g_build_filename ("/tmp", tmp_name, NULL);
  g_autofree char *project_file = g_build_filename (fixture->tmp, "project", "made-inside", NULL);

  SKIP_WITHOUT_BWRAP ();

  start_sandbox (fixture->sandbox);

  g_assert_cmpint (run (fixture->sandbox, (const char * const[]) { "touch", "/usr/tessera-x", NULL }, NULL, NULL), !=, 0);
  g_assert_false (g_file_test ("/usr/tessera-x", G_FILE_TEST_EXISTS));

  g_assert_cmpint (run (fixture->sandbox, (const char * const[]) { "touch", home_file, NULL }, NULL, NULL), !=, 0);
  g_assert_false (g_file_test (home_file, G_FILE_TEST_EXISTS));

  g_assert_cmpint (run (fixture->sandbox, (const char * const[]) { "touch", "/etc/tessera-x", NULL }, NULL, NULL), !=, 0);
  g_assert_false (g_file_test ("/etc/tessera-x", G_FILE_TEST_EXISTS));

  /* /tmp is writable but private. */
  g_assert_cmpint (run (fixture->sandbox, (const char * const[]) { "touch", sandbox_tmp, NULL }, NULL, NULL), ==, 0);
  g_assert_false (g_file_test (host_tmp, G_FILE_TEST_EXISTS));

  /* The project is the one writable place that lasts. */
  g_assert_cmpint (run (fixture->sandbox, (const char * const[]) { "touch", "/project/made-inside", NULL }, NULL, NULL), ==, 0);
  g_assert_true (g_file_test (project_file, G_FILE_TEST_EXISTS));
}

static void
test_streaming (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char * const argv[] = {
    "sh", "-c", "echo out1; echo err1 >&2; echo \"$GREETING\"; exit 3", NULL
  };
  g_autoptr(TesseraProcess) process = NULL;
  Collected collected = { g_string_new (NULL), g_string_new (NULL), FALSE, FALSE };

  SKIP_WITHOUT_BWRAP ();

  start_sandbox (fixture->sandbox);

  process = spawn (fixture->sandbox, argv, (const char * const[]) { "GREETING=hello", NULL }, 0, NULL);
  g_assert_true (tessera_process_get_running (process));
  g_assert_cmpstr (tessera_process_get_command_line (process), ==,
                   "sh -c echo out1; echo err1 >&2; echo \"$GREETING\"; exit 3");
  g_signal_connect (process, "output", G_CALLBACK (output_cb), &collected);
  g_signal_connect (process, "exited", G_CALLBACK (exited_cb), &collected);

  g_assert_cmpint (wait_process (process), ==, 3);
  g_assert_cmpint (tessera_process_get_exit_status (process), ==, 3);
  g_assert_null (tessera_process_get_error_message (process));
  g_assert_true (collected.exited);
  g_assert_false (collected.output_after_exit);

  out = g_string_free (collected.out, FALSE);
  err = g_string_free (collected.err, FALSE);
  g_assert_cmpstr (out, ==, "out1\nhello\n");
  g_assert_cmpstr (err, ==, "err1\n");

  /* A larger output arrives whole, in several chunks. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run (fixture->sandbox,
                        (const char * const[]) { "sh", "-c", "seq 1 50000", NULL },
                        &out, NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "1\n2\n3\n"));
  g_assert_true (g_str_has_suffix (out, "\n49999\n50000\n"));

  /* Exit codes pass through bwrap unchanged. */
  g_assert_cmpint (run (fixture->sandbox, (const char * const[]) { "true", NULL }, NULL, NULL), ==, 0);
  g_assert_cmpint (run (fixture->sandbox, (const char * const[]) { "sh", "-c", "exit 42", NULL }, NULL, NULL), ==, 42);
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(TesseraProcess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  SKIP_WITHOUT_BWRAP ();

  start_sandbox (fixture->sandbox);

  process = spawn (fixture->sandbox, (const char * const[]) { "sleep", "300", NULL }, NULL, 0, cancellable);
  g_cancellable_cancel (cancellable);

  g_assert_cmpint (wait_process (process), ==, 128 + 9);
  g_assert_cmpstr (tessera_process_get_error_message (process), ==, "Cancelled");

  /* An already cancelled spawn does not start anything. */
  tessera_sandbox_spawn_async (TESSERA_SANDBOX (fixture->sandbox),
                               (const char * const[]) { "true", NULL }, NULL, NULL, 0,
                               cancellable, sandbox_test_store_result, &result);
  g_assert_null (tessera_sandbox_spawn_finish (TESSERA_SANDBOX (fixture->sandbox),
                                               sandbox_test_wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_wait_cancel (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GCancellable) stop_waiting = g_cancellable_new ();
  g_autoptr(GCancellable) unused = g_cancellable_new ();
  g_autoptr(TesseraProcess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;

  SKIP_WITHOUT_BWRAP ();

  start_sandbox (fixture->sandbox);
  process = spawn (fixture->sandbox, (const char * const[]) { "sleep", "300", NULL }, NULL, 0, NULL);

  /* Cancelling a wait stops waiting, not the process. */
  tessera_process_wait_async (process, stop_waiting, sandbox_test_store_result, &result);
  g_cancellable_cancel (stop_waiting);
  g_assert_false (tessera_process_wait_finish (process, sandbox_test_wait_result (&result), &status, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (tessera_process_get_running (process));
  g_clear_object (&result);
  g_clear_error (&error);

  /* A wait with a cancellable that is never cancelled completes on exit
   * and leaves nothing attached (ASan would see the leak). */
  tessera_process_wait_async (process, unused, sandbox_test_store_result, &result);
  tessera_process_kill (process);
  g_assert_true (tessera_process_wait_finish (process, sandbox_test_wait_result (&result), &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 128 + 9);
  g_assert_cmpstr (tessera_process_get_error_message (process), ==, "Stopped");

  /* Killing again, after the exit, is harmless. */
  tessera_process_kill (process);
}

static void
test_timeout (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(TesseraProcess) process = NULL;

  SKIP_WITHOUT_BWRAP ();

  start_sandbox (fixture->sandbox);

  process = spawn (fixture->sandbox, (const char * const[]) { "sleep", "300", NULL }, NULL, 200, NULL);
  g_assert_cmpint (wait_process (process), ==, 128 + 9);
  g_assert_cmpstr (tessera_process_get_error_message (process), ==, "Timed out after 200 ms");

  /* A command that ends in time is not touched by its limit. */
  g_clear_object (&process);
  process = spawn (fixture->sandbox, (const char * const[]) { "true", NULL }, NULL, 60000, NULL);
  g_assert_cmpint (wait_process (process), ==, 0);
  g_assert_null (tessera_process_get_error_message (process));
}

static void
line_cb (TesseraProcess       *process,
         TesseraProcessStream  stream,
         GBytes               *data,
         guint                *started)
{
  gsize size = 0;
  const char *text = g_bytes_get_data (data, &size);
  g_autofree char *copy = g_strndup (text, size);

  if (strstr (copy, "started") != NULL)
    (*started)++;
}

/* Spawns a command that forks children, all carrying @marker, and returns
 * once they are all running. */
static TesseraProcess *
spawn_tree (TesseraLocalSandbox *sandbox,
            const char          *marker)
{
  const char * const argv[] = {
    "sh", "-c", "(sleep 300) & (sleep 301) & echo started; wait", marker, NULL
  };
  TesseraProcess *process;
  guint started = 0;

  process = spawn (sandbox, argv, NULL, 0, NULL);
  g_signal_connect (process, "output", G_CALLBACK (line_cb), &started);
  /* A tree that ended before it said so fails here, not by a timeout. */
  while (started == 0 && tessera_process_get_running (process))
    g_main_context_iteration (NULL, TRUE);
  g_signal_handlers_disconnect_by_data (process, &started);
  if (started == 0)
    g_error ("the process tree ended before it started: %s",
             tessera_process_get_error_message (process) ?: "no message");

  return process;
}

static void
test_stop_ends_everything (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *marker = g_strdup_printf ("tessera-marker-%08x", g_random_int ());
  g_autoptr(TesseraProcess) first = NULL;
  g_autoptr(TesseraProcess) second = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  SKIP_WITHOUT_BWRAP ();

  start_sandbox (fixture->sandbox);

  first = spawn_tree (fixture->sandbox, marker);
  second = spawn_tree (fixture->sandbox, marker);

  /* Per tree: bwrap, its init in the namespace, sh and two subshells. */
  g_assert_cmpuint (count_processes (marker), >=, 2 * 3);

  tessera_sandbox_stop_async (TESSERA_SANDBOX (fixture->sandbox), NULL, sandbox_test_store_result, &result);
  g_assert_true (tessera_sandbox_stop_finish (TESSERA_SANDBOX (fixture->sandbox),
                                              sandbox_test_wait_result (&result), &error));
  g_assert_no_error (error);

  g_assert_cmpuint (count_processes (marker), ==, 0);
  g_assert_false (tessera_process_get_running (first));
  g_assert_false (tessera_process_get_running (second));
  g_assert_cmpstr (tessera_process_get_error_message (first), ==, "Stopped");
  g_assert_cmpint (tessera_sandbox_get_state (TESSERA_SANDBOX (fixture->sandbox)), ==, TESSERA_SANDBOX_STOPPED);
}

static void
test_dispose_ends_everything (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *marker = g_strdup_printf ("tessera-marker-%08x", g_random_int ());
  g_autoptr(TesseraProcess) process = NULL;
  TesseraLocalSandbox *sandbox;

  SKIP_WITHOUT_BWRAP ();

  /* A second sandbox that is simply dropped, as when a project closes. */
  sandbox = tessera_local_sandbox_new (fixture->root);
  start_sandbox (sandbox);
  process = spawn_tree (sandbox, marker);
  g_assert_cmpuint (count_processes (marker), >=, 3);

  g_assert_finalize_object (sandbox);

  g_assert_cmpint (wait_process (process), ==, 128 + 9);
  g_assert_cmpuint (count_processes (marker), ==, 0);
}

static void
test_not_started (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  tessera_sandbox_spawn_async (TESSERA_SANDBOX (fixture->sandbox),
                               (const char * const[]) { "true", NULL }, NULL, NULL, 0,
                               NULL, sandbox_test_store_result, &result);
  g_assert_null (tessera_sandbox_spawn_finish (TESSERA_SANDBOX (fixture->sandbox),
                                               sandbox_test_wait_result (&result), &error));
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NOT_RUNNING);
}

static void
test_bwrap_missing (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *saved_path = g_strdup (g_getenv ("PATH"));
  g_autofree char *empty = g_build_filename (fixture->tmp, "empty-bin", NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  g_assert_cmpint (g_mkdir (empty, 0755), ==, 0);
  g_setenv ("PATH", empty, TRUE);

  tessera_sandbox_start_async (TESSERA_SANDBOX (fixture->sandbox), NULL, sandbox_test_store_result, &result);
  g_assert_false (tessera_sandbox_start_finish (TESSERA_SANDBOX (fixture->sandbox),
                                                sandbox_test_wait_result (&result), &error));
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "bubblewrap"));
  g_assert_cmpint (tessera_sandbox_get_state (TESSERA_SANDBOX (fixture->sandbox)), ==, TESSERA_SANDBOX_FAILED);
  g_assert_cmpstr (tessera_sandbox_get_status_message (TESSERA_SANDBOX (fixture->sandbox)), ==, error->message);
  g_assert_true (tessera_local_sandbox_get_unavailable (fixture->sandbox));

  /* Only the user's explicit opt-in runs it without a sandbox. */
  g_object_set (fixture->sandbox, "allow-unsandboxed", TRUE, NULL);
  start_sandbox (fixture->sandbox);
  g_assert_cmpint (tessera_launcher_get_kind (tessera_local_sandbox_get_launcher (fixture->sandbox)),
                   ==, TESSERA_LAUNCHER_UNSANDBOXED);
  g_assert_false (tessera_local_sandbox_get_unavailable (fixture->sandbox));
  g_assert_cmpint (run (fixture->sandbox, (const char * const[]) { "/bin/sh", "-c", "echo ran", NULL }, &out, NULL), ==, 0);
  g_assert_cmpstr (out, ==, "ran\n");

  /* A killed process ends even when something it started, out of its
   * reach in a session of its own, still holds its output open (as a
   * child bwrap had just started can). */
  {
    g_autoptr(TesseraProcess) process = spawn (fixture->sandbox,
                                               (const char * const[]) { "/bin/sh", "-c",
                                                                        "/usr/bin/setsid /bin/sleep 20 & exec /bin/sleep 20",
                                                                        NULL },
                                               NULL, 0, NULL);
    gint64 start;

    /* Time for the shell to start it. */
    g_usleep (300 * 1000);
    start = g_get_monotonic_time ();
    tessera_process_kill (process);
    g_assert_cmpint (wait_process (process), ==, 128 + 9);
    g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  }

  g_setenv ("PATH", saved_path, TRUE);
}

static void
test_bwrap_broken (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *saved_path = g_strdup (g_getenv ("PATH"));
  g_autofree char *bin = g_build_filename (fixture->tmp, "broken-bin", NULL);
  g_autofree char *fake = g_build_filename (bin, "bwrap", NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *new_path = NULL;

  /* A bwrap that cannot make namespaces, as where user namespaces are
   * turned off: starting says so instead of failing every command later. */
  g_assert_cmpint (g_mkdir (bin, 0755), ==, 0);
  g_file_set_contents (fake, "#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (fake, 0755), ==, 0);
  new_path = g_strconcat (bin, ":", saved_path, NULL);
  g_setenv ("PATH", new_path, TRUE);

  tessera_sandbox_start_async (TESSERA_SANDBOX (fixture->sandbox), NULL, sandbox_test_store_result, &result);
  g_assert_false (tessera_sandbox_start_finish (TESSERA_SANDBOX (fixture->sandbox),
                                                sandbox_test_wait_result (&result), &error));
  g_setenv ("PATH", saved_path, TRUE);

  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_UNAVAILABLE);
  g_assert_cmpstr (error->message, ==,
                   "The sandbox could not be set up on this system: bwrap: setting up uid map: Permission denied");
  g_assert_cmpint (tessera_sandbox_get_state (TESSERA_SANDBOX (fixture->sandbox)), ==, TESSERA_SANDBOX_FAILED);
  g_assert_null (tessera_local_sandbox_get_launcher (fixture->sandbox));
  g_assert_true (tessera_local_sandbox_get_unavailable (fixture->sandbox));
}

static void
test_limits (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *out = NULL;

  SKIP_WITHOUT_BWRAP ();

  g_object_set (fixture->sandbox, "memory-mb", 512, "cpu-seconds", 77, NULL);
  start_sandbox (fixture->sandbox);

  /* dash reports the data limit in KiB. */
  g_assert_cmpint (run (fixture->sandbox,
                        (const char * const[]) { "sh", "-c", "ulimit -d; ulimit -t", NULL },
                        &out, NULL), ==, 0);
  g_assert_cmpstr (out, ==, "524288\n77\n");
}

static int
connect_from_sandbox (TesseraLocalSandbox *sandbox,
                      guint                port)
{
  g_autofree char *script = g_strdup_printf ("import socket; socket.create_connection(('127.0.0.1', %u), timeout=10)", port);

  return run (sandbox, (const char * const[]) { "python3", "-c", script, NULL }, NULL, NULL);
}

static void
test_network_switch (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *python = g_find_program_in_path ("python3");
  TesseraLocalSandbox *offline;
  guint port;

  SKIP_WITHOUT_BWRAP ();
  if (python == NULL)
    {
      g_test_skip ("python3 is not installed");
      return;
    }

  /* A listening socket on the host's loopback: the kernel completes the
   * handshake without anyone accepting. */
  g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &bound, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  start_sandbox (fixture->sandbox);
  g_assert_cmpint (connect_from_sandbox (fixture->sandbox, port), ==, 0);

  offline = tessera_local_sandbox_new (fixture->root);
  g_object_set (offline, "network", FALSE, NULL);
  start_sandbox (offline);
  g_assert_cmpint (connect_from_sandbox (offline, port), !=, 0);
  g_assert_finalize_object (offline);
}

static gboolean
file_op_finish (TesseraLocalSandbox  *sandbox,
                GAsyncResult        **result,
                gboolean            (*finish) (TesseraSandbox *, GAsyncResult *, GError **),
                GError              **error)
{
  gboolean ok = finish (TESSERA_SANDBOX (sandbox), sandbox_test_wait_result (result), error);

  g_clear_object (result);
  return ok;
}

static void
test_files (Fixture       *fixture,
            gconstpointer  data)
{
  TesseraSandbox *sandbox = TESSERA_SANDBOX (fixture->sandbox);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify)tessera_sandbox_file_free);
  g_autoptr(GBytes) hello = g_bytes_new_static ("hello", 5);
  g_autoptr(GBytes) read = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *outside = g_build_filename (fixture->tmp, "outside.txt", NULL);
  g_autofree char *link = g_build_filename (fixture->tmp, "project", "link", NULL);

  g_ptr_array_add (files, tessera_sandbox_file_new ("a/b/c.txt", hello));
  g_ptr_array_add (files, tessera_sandbox_file_new ("top.txt", hello));
  tessera_sandbox_write_files_async (sandbox, files, NULL, sandbox_test_store_result, &result);
  g_assert_true (file_op_finish (fixture->sandbox, &result, tessera_sandbox_write_files_finish, &error));
  g_assert_no_error (error);

  tessera_sandbox_read_async (sandbox, "a/b/c.txt", NULL, sandbox_test_store_result, &result);
  read = tessera_sandbox_read_finish (sandbox, sandbox_test_wait_result (&result), &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (read, hello));

  tessera_sandbox_rename_async (sandbox, "top.txt", "moved/top.txt", NULL, sandbox_test_store_result, &result);
  g_assert_true (file_op_finish (fixture->sandbox, &result, tessera_sandbox_rename_finish, &error));
  g_assert_no_error (error);

  tessera_sandbox_delete_async (sandbox, "a", NULL, sandbox_test_store_result, &result);
  g_assert_true (file_op_finish (fixture->sandbox, &result, tessera_sandbox_delete_finish, &error));
  g_assert_no_error (error);

  tessera_sandbox_read_async (sandbox, "a/b/c.txt", NULL, sandbox_test_store_result, &result);
  g_assert_null (tessera_sandbox_read_finish (sandbox, sandbox_test_wait_result (&result), &error));
  g_clear_object (&result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Escapes: by "..", by an absolute path, through a symlink. */
  g_file_set_contents (outside, "outside", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (symlink (outside, link), ==, 0);

  g_ptr_array_set_size (files, 0);
  g_ptr_array_add (files, tessera_sandbox_file_new ("../escaped.txt", hello));
  tessera_sandbox_write_files_async (sandbox, files, NULL, sandbox_test_store_result, &result);
  g_assert_false (file_op_finish (fixture->sandbox, &result, tessera_sandbox_write_files_finish, &error));
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_INVALID_PATH);
  g_clear_error (&error);

  g_ptr_array_set_size (files, 0);
  g_ptr_array_add (files, tessera_sandbox_file_new ("link", hello));
  tessera_sandbox_write_files_async (sandbox, files, NULL, sandbox_test_store_result, &result);
  g_assert_false (file_op_finish (fixture->sandbox, &result, tessera_sandbox_write_files_finish, &error));
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_INVALID_PATH);
  g_clear_error (&error);

  tessera_sandbox_read_async (sandbox, "/etc/passwd", NULL, sandbox_test_store_result, &result);
  g_assert_null (tessera_sandbox_read_finish (sandbox, sandbox_test_wait_result (&result), &error));
  g_clear_object (&result);
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_INVALID_PATH);
  g_clear_error (&error);

  tessera_sandbox_delete_async (sandbox, ".", NULL, sandbox_test_store_result, &result);
  g_assert_false (file_op_finish (fixture->sandbox, &result, tessera_sandbox_delete_finish, &error));
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_INVALID_PATH);
  g_clear_error (&error);

  g_assert_true (g_file_test (outside, G_FILE_TEST_EXISTS));
  {
    g_autofree char *contents = NULL;

    g_file_get_contents (outside, &contents, NULL, NULL);
    g_assert_cmpstr (contents, ==, "outside");
  }
}

static void
test_expose_port (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  TesseraLocalSandbox *offline;

  SKIP_WITHOUT_BWRAP ();

  start_sandbox (fixture->sandbox);
  tessera_sandbox_expose_port_async (TESSERA_SANDBOX (fixture->sandbox), 5173, NULL, sandbox_test_store_result, &result);
  url = tessera_sandbox_expose_port_finish (TESSERA_SANDBOX (fixture->sandbox), sandbox_test_wait_result (&result), &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, "http://127.0.0.1:5173/");

  offline = tessera_local_sandbox_new (fixture->root);
  g_object_set (offline, "network", FALSE, NULL);
  start_sandbox (offline);
  g_assert_nonnull (strstr (tessera_sandbox_get_status_message (TESSERA_SANDBOX (offline)), "network"));
  tessera_sandbox_expose_port_async (TESSERA_SANDBOX (offline), 5173, NULL, sandbox_test_store_result, &result);
  g_assert_null (tessera_sandbox_expose_port_finish (TESSERA_SANDBOX (offline), sandbox_test_wait_result (&result), &error));
  g_clear_object (&result);
  g_assert_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NETWORK);
  g_assert_finalize_object (offline);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/sandbox/local/home-unreadable", test_home_unreadable);
  ADD ("/sandbox/local/writes-confined", test_writes_confined);
  ADD ("/sandbox/local/streaming", test_streaming);
  ADD ("/sandbox/local/cancel", test_cancel);
  ADD ("/sandbox/local/wait-cancel", test_wait_cancel);
  ADD ("/sandbox/local/timeout", test_timeout);
  ADD ("/sandbox/local/stop-ends-everything", test_stop_ends_everything);
  ADD ("/sandbox/local/dispose-ends-everything", test_dispose_ends_everything);
  ADD ("/sandbox/local/not-started", test_not_started);
  ADD ("/sandbox/local/bwrap-missing", test_bwrap_missing);
  ADD ("/sandbox/local/bwrap-broken", test_bwrap_broken);
  ADD ("/sandbox/local/limits", test_limits);
  ADD ("/sandbox/local/network-switch", test_network_switch);
  ADD ("/sandbox/local/files", test_files);
  ADD ("/sandbox/local/expose-port", test_expose_port);

#undef ADD

  return g_test_run ();
}
