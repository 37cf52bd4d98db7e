/* bench-e2b.c: syncing a project to an E2B sandbox over a slow link
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Generates a 300-file, 2 MB project, starts the loopback E2B server with
 * 50 ms of latency on every request, and prints the time and the number of
 * requests of the initial upload (target: under 1 s), then of the sync of
 * one changed file (target: under 2 round trips).
 *
 *   bench-e2b [--files N] [--bytes TOTAL] [--latency MS] [--runs N]
 */

#define G_LOG_DOMAIN "bench-e2b"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tessera-e2b-sync.h"
#include "tessera-e2b-test-server.h"

#define API_KEY "e2b_0123456789abcdef0123456789abcdef01234567"

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
on_result (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
on_synced (TesseraE2bSync *sync,
           guint           n_files,
           guint          *count)
{
  (*count)++;
}

static void
generate_project (const char *root,
                  guint       n_files,
                  gsize       total_bytes)
{
  gsize per_file = total_bytes / n_files;

  for (guint i = 0; i < n_files; i++)
    {
      g_autofree char *dir = g_strdup_printf ("%s/src/module%02u", root, i % 20);
      g_autofree char *path = g_strdup_printf ("%s/file%03u.js", dir, i);
      g_autoptr(GString) text = g_string_sized_new (per_file + 64);

      g_mkdir_with_parents (dir, 0755);
      while (text->len < per_file)
        g_string_append_printf (text, "export const value%u_%zu = %u; // padding text\n", i, text->len, g_random_int ());
      g_string_truncate (text, per_file);
      g_assert_true (g_file_set_contents (path, text->str, text->len, NULL));
    }
}

static void
remove_tree (const char *path)
{
  GDir *dir;
  const char *name;

  if ((dir = g_dir_open (path, 0, NULL)))
    {
      while ((name = g_dir_read_name (dir)))
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraE2bTestServer) server = NULL;
  g_autoptr(TesseraE2bClient) client = NULL;
  g_autoptr(TesseraProject) project = NULL;
  g_autoptr(TesseraE2bSync) sync = NULL;
  g_autoptr(TesseraE2bSandboxInfo) info = NULL;
  g_autoptr(GFile) root_file = NULL;
  g_autofree char *root = NULL;
  g_autofree double *full_times = NULL;
  int n_files = 300;
  int total_kb = 2048;
  int latency = 50;
  int runs = 5;
  guint synced = 0;
  guint full_requests = 0;
  guint incr_requests = 0;
  double incr_time = 0;
  double first_time = 0;
  GOptionEntry entries[] = {
    { "files", 0, 0, G_OPTION_ARG_INT, &n_files, "Files in the project", "N" },
    { "kbytes", 0, 0, G_OPTION_ARG_INT, &total_kb, "Project size in KiB", "KB" },
    { "latency", 0, 0, G_OPTION_ARG_INT, &latency, "Latency of every request", "MS" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Runs of the full upload", "N" },
    { NULL }
  };

  /* The sandbox's disk is another machine's: keep this one's file
   * creation (slow on some virtual disks) out of the figures. */
  if (g_getenv ("TMPDIR") == NULL && g_access ("/dev/shm", W_OK) == 0)
    g_setenv ("TMPDIR", "/dev/shm", TRUE);

  context = g_option_context_new ("- E2B sync benchmark");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }
  n_files = MAX (n_files, 1);
  runs = MAX (runs, 1);

  root = g_dir_make_tmp ("bench-e2b-XXXXXX", &error);
  g_assert_no_error (error);
  generate_project (root, n_files, (gsize) total_kb * 1024);
  root_file = g_file_new_for_path (root);
  project = tessera_project_open (root_file, NULL, &error);
  g_assert_no_error (error);

  server = tessera_e2b_test_server_new (API_KEY, &error);
  g_assert_no_error (error);
  tessera_e2b_test_server_set_latency (server, latency);
  client = tessera_e2b_client_new ();
  tessera_e2b_client_set_api_key (client, API_KEY);
  tessera_e2b_client_set_domain (client, "e2b.test");
  tessera_e2b_client_set_api_url (client, tessera_e2b_test_server_get_url (server));
  tessera_e2b_client_set_sandbox_url (client, tessera_e2b_test_server_get_url (server));

  {
    g_autoptr(GAsyncResult) result = NULL;

    tessera_e2b_client_create_async (client, "base", 300, NULL, NULL, on_result, &result);
    info = tessera_e2b_client_create_finish (client, wait_for (&result), &error);
    g_assert_no_error (error);
  }

  sync = tessera_e2b_sync_new (project, client);
  g_signal_connect (sync, "synced", G_CALLBACK (on_synced), &synced);
  tessera_e2b_sync_set_sandbox (sync, info);

  full_times = g_new0 (double, runs);
  for (int run = 0; run < runs; run++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      gint64 start;

      tessera_e2b_test_server_reset_counts (server);
      start = g_get_monotonic_time ();
      tessera_e2b_sync_upload_all_async (sync, NULL, on_result, &result);
      g_assert_true (tessera_e2b_sync_upload_all_finish (sync, wait_for (&result), &error));
      g_assert_no_error (error);
      full_times[run] = (g_get_monotonic_time () - start) / 1000.0;
      full_requests = tessera_e2b_test_server_get_request_count (server, NULL, NULL);
      if (run == 0)
        first_time = full_times[0];
    }
  qsort (full_times, runs, sizeof (double), compare_doubles);

  /* One changed file, as after an edit in the editor. The time includes
   * the debounce that gathers a burst of edits. */
  {
    g_autoptr(GBytes) bytes = g_bytes_new_static ("export const changed = true;\n", 29);
    guint before = synced;
    gint64 start;

    tessera_e2b_test_server_reset_counts (server);
    start = g_get_monotonic_time ();
    g_assert_true (tessera_project_write (project, "src/module00/file000.js", bytes, NULL, &error));
    g_assert_no_error (error);
    while (synced == before)
      g_main_context_iteration (NULL, TRUE);
    incr_time = (g_get_monotonic_time () - start) / 1000.0;
    incr_requests = tessera_e2b_test_server_get_request_count (server, NULL, NULL);
  }

  g_print ("E2B sync, %d files, %d KiB, %d ms latency per request (files in %s)\n",
           n_files, total_kb, latency, g_get_tmp_dir ());
  g_print ("  full upload:        first %.0f ms; median %.0f ms (min %.0f, max %.0f over %d runs); "
           "%u requests (target < 1000 ms)\n",
           first_time, full_times[runs / 2], full_times[0], full_times[runs - 1], runs, full_requests);
  g_print ("  one request a file: would be at least %d ms (%d requests x %d ms)\n",
           n_files * latency, n_files, latency);
  g_print ("  one changed file:   %u round trip(s) (target < 2), %.0f ms including the %u ms debounce\n",
           incr_requests, incr_time, 100);

  g_clear_object (&sync);
  g_clear_object (&project);
  remove_tree (root);
  return EXIT_SUCCESS;
}
