/* bench-sandbox.c: how long one command takes through the local sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs `true` 100 times through TesseraLocalSandbox (spawn, output pipes,
 * exit, all through the main loop as the app does), 100 times with the
 * same bwrap command line but a blocking wait (bwrap's own share), and 100
 * times as a minimal `bwrap … true` through GSubprocess, for comparison, and
 * prints median and p90 of the round trips. Target: median under 20 ms.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib/gstdio.h>

#include "tessera-local-sandbox.h"

#define RUNS 100

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static GAsyncResult *
wait_for_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *slot;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *)a;
  double y = *(const double *)b;

  return x < y ? -1 : x > y;
}

static void
report (const char *label,
        double     *ms,
        guint       n)
{
  qsort (ms, n, sizeof (double), compare_doubles);
  printf ("%-34s median %6.2f ms   p90 %6.2f ms   min %6.2f ms   max %6.2f ms\n",
          label, ms[n / 2], ms[(n * 9) / 10], ms[0], ms[n - 1]);
}

static double
sandbox_round_trip (TesseraLocalSandbox *sandbox)
{
  const char * const argv[] = { "true", NULL };
  g_autoptr(GAsyncResult) spawned = NULL;
  g_autoptr(GAsyncResult) waited = NULL;
  g_autoptr(TesseraProcess) process = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  int status = -1;

  tessera_sandbox_spawn_async (TESSERA_SANDBOX (sandbox), argv, NULL, NULL, 0, NULL,
                               store_result_cb, &spawned);
  process = tessera_sandbox_spawn_finish (TESSERA_SANDBOX (sandbox), wait_for_result (&spawned), &error);
  if (process == NULL)
    g_error ("spawn failed: %s", error->message);

  tessera_process_wait_async (process, NULL, store_result_cb, &waited);
  tessera_process_wait_finish (process, wait_for_result (&waited), &status, NULL);
  if (status != 0)
    g_error ("true exited with %d", status);

  return (g_get_monotonic_time () - start) / 1000.0;
}

/* The same confinement as the sandbox, without the main loop: how much of
 * the round trip is bwrap's own work. */
static double
launcher_round_trip (TesseraLauncher *launcher,
                     const char      *project)
{
  const char * const argv[] = { "true", NULL };
  g_autoptr(GSubprocessLauncher) spawner = NULL;
  g_autoptr(GSubprocess) subprocess = NULL;
  g_auto(GStrv) host_argv = NULL;
  g_auto(GStrv) host_envp = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  if (!tessera_launcher_build (launcher, project, NULL, argv, NULL, &host_argv, &host_envp, &error))
    g_error ("%s", error->message);

  spawner = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_environ (spawner, host_envp);
  g_subprocess_launcher_set_child_setup (spawner, tessera_launcher_child_setup, launcher, NULL);
  subprocess = g_subprocess_launcher_spawnv (spawner, (const char * const *)host_argv, &error);
  if (subprocess == NULL || !g_subprocess_wait_check (subprocess, NULL, &error))
    g_error ("launcher's bwrap failed: %s", error->message);

  return (g_get_monotonic_time () - start) / 1000.0;
}

static double
raw_round_trip (const char *project)
{
  g_autoptr(GSubprocess) subprocess = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  subprocess = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error,
                                 "bwrap", "--die-with-parent", "--new-session", "--unshare-all",
                                 "--share-net", "--cap-drop", "ALL",
                                 "--ro-bind", "/usr", "/usr",
                                 "--symlink", "usr/bin", "/bin",
                                 "--symlink", "usr/lib", "/lib",
                                 "--symlink", "usr/lib64", "/lib64",
                                 "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
                                 "--bind", project, "/project", "--chdir", "/project",
                                 "true", NULL);
  if (subprocess == NULL || !g_subprocess_wait_check (subprocess, NULL, &error))
    g_error ("raw bwrap failed: %s", error->message);

  return (g_get_monotonic_time () - start) / 1000.0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autoptr(GFile) root = NULL;
  g_autoptr(TesseraLocalSandbox) sandbox = NULL;
  g_autoptr(GAsyncResult) started = NULL;
  double sandbox_ms[RUNS];
  double raw_ms[RUNS];
  double launcher_ms[RUNS];

  tmp = g_dir_make_tmp ("bench-sandbox-XXXXXX", &error);
  g_assert_no_error (error);
  root = g_file_new_for_path (tmp);
  sandbox = tessera_local_sandbox_new (root);

  tessera_sandbox_start_async (TESSERA_SANDBOX (sandbox), NULL, store_result_cb, &started);
  if (!tessera_sandbox_start_finish (TESSERA_SANDBOX (sandbox), wait_for_result (&started), &error))
    {
      fprintf (stderr, "The sandbox did not start: %s\n", error->message);
      return 1;
    }

  /* Warm the page cache and the first-use paths. */
  for (guint i = 0; i < 5; i++)
    {
      sandbox_round_trip (sandbox);
      launcher_round_trip (tessera_local_sandbox_get_launcher (sandbox), tmp);
      raw_round_trip (tmp);
    }

  for (guint i = 0; i < RUNS; i++)
    {
      sandbox_ms[i] = sandbox_round_trip (sandbox);
      launcher_ms[i] = launcher_round_trip (tessera_local_sandbox_get_launcher (sandbox), tmp);
      raw_ms[i] = raw_round_trip (tmp);
    }

  printf ("%u runs of `true` (target: median under 20 ms)\n", RUNS);
  report ("TesseraLocalSandbox spawn → exit", sandbox_ms, RUNS);
  report ("same bwrap argv, blocking wait", launcher_ms, RUNS);
  report ("minimal bwrap via GSubprocess", raw_ms, RUNS);

  g_clear_object (&sandbox);
  g_rmdir (tmp);

  return 0;
}
