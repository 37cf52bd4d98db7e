/* bench-history.c: how long versions take on a mid-sized project
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Builds a project of 1,000 files (20 folders of 50 files of 2 KB) plus
 * 10,000 files in node_modules, then times: the first commit, a commit with
 * nothing changed, a commit after a turn that changed 10 files, listing 100
 * versions, a diff, an undo of the last turn and a restore of the first version.
 */

#define G_LOG_DOMAIN "bench-history"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "tessera-history.h"
#include "tessera-project.h"

static void
got_result (GObject      *object,
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

static void
write_file (const char *root,
            const char *rel,
            const char *data)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  g_mkdir_with_parents (dir, 0755);
  /* No fsync: the setup is not what is measured. */
  if (!g_file_set_contents_full (path, data, -1, G_FILE_SET_CONTENTS_NONE, 0644, NULL))
    g_error ("Cannot write %s", path);
}

static char *
commit (TesseraHistory     *history,
        TesseraHistoryKind  kind,
        const char         *message,
        double             *ms)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  char *id;

  tessera_history_commit_async (history, kind, message, NULL, got_result, &result);
  id = tessera_history_commit_finish (history, wait_for (&result), &error);
  *ms = (g_get_monotonic_time () - start) / 1000.0;
  if (id == NULL)
    g_error ("%s", error->message);
  return id;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bench-history-XXXXXX", &error);
  g_autoptr(GFile) location = NULL;
  g_autoptr(TesseraProject) project = NULL;
  g_autoptr(TesseraHistory) history = NULL;
  g_autoptr(GString) content = g_string_new (NULL);
  g_autofree char *first = NULL;
  g_autofree char *last = NULL;
  double ms, total = 0;
  gint64 start;

  g_assert_no_error (error);
  for (guint i = 0; i < 40; i++)
    g_string_append (content, "function example () { return 42; } // padding.\n");

  for (guint d = 0; d < 20; d++)
    for (guint f = 0; f < 50; f++)
      {
        g_autofree char *rel = g_strdup_printf ("src/dir%02u/file%02u.js", d, f);
        write_file (dir, rel, content->str);
      }
  for (guint p = 0; p < 100; p++)
    for (guint f = 0; f < 100; f++)
      {
        g_autofree char *rel = g_strdup_printf ("node_modules/pkg%03u/f%03u.js", p, f);
        write_file (dir, rel, "module.exports = 1;\n");
      }

  location = g_file_new_for_path (dir);
  project = tessera_project_open (location, NULL, &error);
  g_assert_no_error (error);
  history = tessera_history_new (project);

  g_print ("project: 1,000 files of %zu bytes + 10,000 in node_modules\n", content->len);

  first = commit (history, TESSERA_HISTORY_KIND_SNAPSHOT, "Start", &ms);
  g_print ("first commit (creates the repository): %8.1f ms\n", ms);

  for (guint i = 0; i < 5; i++)
    {
      g_free (commit (history, TESSERA_HISTORY_KIND_SNAPSHOT, "Nothing", &ms));
      total += ms;
    }
  g_print ("commit, nothing changed (mean of 5):   %8.1f ms\n", total / 5);

  total = 0;
  for (guint turn = 0; turn < 100; turn++)
    {
      for (guint f = 0; f < 10; f++)
        {
          g_autofree char *rel = g_strdup_printf ("src/dir%02u/file%02u.js", turn % 20, f);
          g_autofree char *data = g_strdup_printf ("%s// turn %u\n", content->str, turn);
          write_file (dir, rel, data);
        }
      g_free (last);
      last = commit (history, TESSERA_HISTORY_KIND_TURN, "A turn", &ms);
      total += ms;
    }
  g_print ("commit, a turn changed 10 files (mean of 100): %8.1f ms\n", total / 100);

  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GListModel) list = NULL;

    start = g_get_monotonic_time ();
    tessera_history_list_async (history, 100, NULL, got_result, &result);
    list = tessera_history_list_finish (history, wait_for (&result), &error);
    g_assert_no_error (error);
    g_print ("list 100 versions with files changed:  %8.1f ms\n",
             (g_get_monotonic_time () - start) / 1000.0);
  }

  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autofree char *diff = NULL;

    start = g_get_monotonic_time ();
    tessera_history_diff_async (history, last, NULL, got_result, &result);
    diff = tessera_history_diff_finish (history, wait_for (&result), &error);
    g_assert_no_error (error);
    g_print ("diff of a 10-file turn (%zu bytes):    %8.1f ms\n", strlen (diff),
             (g_get_monotonic_time () - start) / 1000.0);
  }

  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autofree char *id = NULL;

    start = g_get_monotonic_time ();
    tessera_history_undo_last_turn_async (history, NULL, got_result, &result);
    id = tessera_history_undo_last_turn_finish (history, wait_for (&result), &error);
    g_assert_no_error (error);
    g_print ("undo the last turn (10 files):         %8.1f ms\n",
             (g_get_monotonic_time () - start) / 1000.0);
  }

  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autofree char *id = NULL;

    start = g_get_monotonic_time ();
    tessera_history_restore_async (history, first, NULL, got_result, &result);
    id = tessera_history_restore_finish (history, wait_for (&result), &error);
    g_assert_no_error (error);
    g_print ("restore the first version (200 files): %8.1f ms\n",
             (g_get_monotonic_time () - start) / 1000.0);
  }

  g_clear_object (&history);
  g_clear_object (&project);
  {
    const char *rm[] = { "rm", "-rf", dir, NULL };
    g_spawn_sync (NULL, (char **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
  }

  return 0;
}
