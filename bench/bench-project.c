/* bench-project.c: opening a large project and file operations
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Builds a project of 20,000 files (1,000 of the app's own in 50 folders,
 * 19,000 in node_modules) in a temporary folder, then prints:
 * - open: tessera_project_open() (manifest, .gitignore, scan of the
 *   non-ignored tree) and the async variant to its callback, median of 10;
 * - resolve: tessera_project_resolve() of a 3-level path;
 * - write: tessera_project_write() of 2 KiB over an existing file (atomic,
 *   with fdatasync) and into a new file, with ::file-changed;
 * - outside change: from g_file_set_contents() by "someone else" to the
 *   debounced ::file-changed (includes the 100 ms coalescing window).
 */

#define G_LOG_DOMAIN "bench-project"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "tessera-path.h"
#include "tessera-project.h"

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof *values, compare_double);
  return values[n / 2];
}

static void
make_tree (const char *root)
{
  g_autoptr(GError) error = NULL;

  for (guint d = 0; d < 50; d++)
    for (guint f = 0; f < 20; f++)
      {
        g_autofree char *dir = g_strdup_printf ("%s/src/dir%u", root, d);
        g_autofree char *file = g_strdup_printf ("%s/file%u.js", dir, f);

        g_mkdir_with_parents (dir, 0755);
        if (!g_file_set_contents (file, "export default 1;\n", -1, &error))
          g_error ("%s", error->message);
      }

  for (guint d = 0; d < 950; d++)
    for (guint f = 0; f < 20; f++)
      {
        g_autofree char *dir = g_strdup_printf ("%s/node_modules/pkg%u/lib", root, d);
        g_autofree char *file = g_strdup_printf ("%s/mod%u.js", dir, f);

        g_mkdir_with_parents (dir, 0755);
        if (!g_file_set_contents (file, "module.exports = 1;\n", -1, &error))
          g_error ("%s", error->message);
      }
}

static void
open_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  TesseraProject **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = tessera_project_open_finish (result, &error);
  if (*out == NULL)
    g_error ("%s", error->message);
}

static void
on_changed (TesseraProject    *project,
            const char        *path,
            TesseraFileChange  change,
            const char        *old_path,
            gpointer           user_data)
{
  gboolean *seen = user_data;

  if (g_str_has_prefix (path, "outside"))
    *seen = TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("tessera-bench-project-XXXXXX", &error);
  g_autoptr(GFile) location = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autofree char *payload = g_strnfill (2048, 'x');
  TesseraProject *project;
  double times[20];
  gint64 start;
  guint n;

  if (tmp == NULL)
    g_error ("%s", error->message);
  make_tree (tmp);
  location = g_file_new_for_path (tmp);
  contents = g_bytes_new (payload, strlen (payload));

  /* The first open adds the manifest; it is not counted. */
  project = tessera_project_open (location, NULL, &error);
  if (project == NULL)
    g_error ("%s", error->message);
  g_object_unref (project);

  for (n = 0; n < 10; n++)
    {
      start = g_get_monotonic_time ();
      project = tessera_project_open (location, NULL, NULL);
      times[n] = (g_get_monotonic_time () - start) / 1000.0;
      g_object_unref (project);
    }
  g_print ("open (20,000 files, 19,000 in node_modules), blocking: %.2f ms median\n", median (times, 10));

  for (n = 0; n < 10; n++)
    {
      project = NULL;
      start = g_get_monotonic_time ();
      tessera_project_open_async (location, NULL, open_done, &project);
      while (project == NULL)
        g_main_context_iteration (NULL, TRUE);
      times[n] = (g_get_monotonic_time () - start) / 1000.0;
      if (n < 9)
        g_object_unref (project);
    }
  g_print ("open, async to callback: %.2f ms median\n", median (times, 10));

  start = g_get_monotonic_time ();
  for (n = 0; n < 100000; n++)
    {
      GFile *file = tessera_project_resolve (project, "src/dir7/file3.js", NULL);

      g_object_unref (file);
    }
  g_print ("resolve (3 levels): %.2f us per path\n", (g_get_monotonic_time () - start) / 100000.0);

  start = g_get_monotonic_time ();
  for (n = 0; n < 1000; n++)
    {
      g_autofree char *path = g_strdup_printf ("src/dir%u/file%u.js", n % 50, n % 20);

      if (!tessera_project_write (project, path, contents, NULL, &error))
        g_error ("%s", error->message);
    }
  g_print ("write 2 KiB over an existing file: %.1f us per write\n", (g_get_monotonic_time () - start) / 1000.0);

  start = g_get_monotonic_time ();
  for (n = 0; n < 1000; n++)
    {
      g_autofree char *path = g_strdup_printf ("new/file%u.js", n);

      if (!tessera_project_write (project, path, contents, NULL, &error))
        g_error ("%s", error->message);
    }
  g_print ("write 2 KiB to a new file: %.1f us per write\n", (g_get_monotonic_time () - start) / 1000.0);

  start = g_get_monotonic_time ();
  for (n = 0; n < 1000; n++)
    {
      g_autofree char *path = g_strdup_printf ("%s/new/plain%u.js", tmp, n);

      if (!g_file_set_contents (path, payload, -1, &error))
        g_error ("%s", error->message);
    }
  g_print ("for comparison, g_file_set_contents() to a new file: %.1f us per write\n",
           (g_get_monotonic_time () - start) / 1000.0);

  /* Let the monitor's echoes of those writes drain first. */
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < G_USEC_PER_SEC / 2)
    g_main_context_iteration (NULL, FALSE);

  for (n = 0; n < 10; n++)
    {
      g_autofree char *name = g_strdup_printf ("%s/outside%u.txt", tmp, n);
      gboolean seen = FALSE;
      gulong id = g_signal_connect (project, "file-changed", G_CALLBACK (on_changed), &seen);

      start = g_get_monotonic_time ();
      g_file_set_contents (name, "x", -1, NULL);
      while (!seen)
        g_main_context_iteration (NULL, TRUE);
      times[n] = (g_get_monotonic_time () - start) / 1000.0;
      g_signal_handler_disconnect (project, id);
    }
  g_print ("outside change to ::file-changed: %.1f ms median (100 ms of it is debounce)\n", median (times, 10));

  g_object_unref (project);
  if (!tessera_path_remove_tree (tmp, tmp, NULL, &error))
    g_printerr ("%s\n", error->message);
  return 0;
}
