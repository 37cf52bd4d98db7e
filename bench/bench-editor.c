/* bench-editor.c: the editor panel on a large project and a large file
 *
 * (a) A 20,000-file project (1,000 files of its own in 20 folders, 19,000
 *     in node_modules): time from tessera_editor_panel_new() to the end of
 *     the first frame (GdkFrameClock::after-paint) that shows tree rows.
 * (b) A 5 MB JavaScript file: time from tessera_editor_panel_open_file() to
 *     editable (document loaded, view mapped) and to its first frame.
 *
 * Prints medians over several runs; asserts nothing. Needs a display: run
 * it under xvfb-run (see bench/README.md).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <adwaita.h>

#include "tessera-editor-panel.h"

#define RUNS 7
#define OWN_FOLDERS 20
#define OWN_FILES_PER_FOLDER 45
#define OWN_ROOT_FILES 100
#define NM_PACKAGES 190
#define NM_FILES_PER_PACKAGE 100
#define LARGE_FILE_SIZE 5000000

#define WAIT_UNTIL(cond) \
  G_STMT_START { while (!(cond)) g_main_context_iteration (NULL, TRUE); } G_STMT_END

static void
write_or_die (const char *path,
              const char *contents,
              gssize      len)
{
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents (path, contents, len, &error))
    g_error ("%s", error->message);
}

static void
make_tree (const char *root)
{
  char path[4096];

  for (int d = 0; d < OWN_FOLDERS; d++)
    {
      g_snprintf (path, sizeof path, "%s/module-%02d", root, d);
      g_mkdir_with_parents (path, 0755);
      for (int f = 0; f < OWN_FILES_PER_FOLDER; f++)
        {
          g_snprintf (path, sizeof path, "%s/module-%02d/file-%03d.js", root, d, f);
          write_or_die (path, "export default 1;\n", -1);
        }
    }

  for (int f = 0; f < OWN_ROOT_FILES - 1; f++)
    {
      g_snprintf (path, sizeof path, "%s/page-%03d.html", root, f);
      write_or_die (path, "<p>hello</p>\n", -1);
    }

  for (int p = 0; p < NM_PACKAGES; p++)
    {
      g_snprintf (path, sizeof path, "%s/node_modules/pkg-%03d", root, p);
      g_mkdir_with_parents (path, 0755);
      for (int f = 0; f < NM_FILES_PER_PACKAGE; f++)
        {
          g_snprintf (path, sizeof path, "%s/node_modules/pkg-%03d/f%03d.js", root, p, f);
          write_or_die (path, "module.exports = 1;\n", -1);
        }
    }
}

static void
make_large_js (const char *path)
{
  g_autoptr(GString) js = g_string_sized_new (LARGE_FILE_SIZE + 256);
  guint i = 0;

  while (js->len < LARGE_FILE_SIZE - 128)
    {
      g_string_append_printf (js,
                              "function handler%u (event, options) {\n"
                              "  const value = options.values[%u] ?? 'default-%u';\n"
                              "  return event.target.dataset.id === value;\n"
                              "}\n",
                              i, i % 97, i);
      i++;
    }

  write_or_die (path, js->str, js->len);
}

static void
rm_rf (GFile *file)
{
  g_autoptr(GFileEnumerator) enumerator = NULL;

  enumerator = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                          G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (enumerator != NULL)
    {
      GFileInfo *info;
      GFile *child;

      while (g_file_enumerator_iterate (enumerator, &info, &child, NULL, NULL) && info != NULL)
        rm_rf (child);
    }
  g_file_delete (file, NULL, NULL);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof *values, compare_doubles);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

typedef struct
{
  gboolean (*ready) (gpointer data);
  gpointer   data;
  gint64     painted_at;
} PaintWatch;

static void
after_paint_cb (GdkFrameClock *clock,
                PaintWatch    *watch)
{
  if (watch->painted_at == 0 && watch->ready (watch->data))
    watch->painted_at = g_get_monotonic_time ();
}

static gboolean
tree_has_rows (gpointer data)
{
  TesseraEditorPanel *panel = data;
  GListModel *model = tessera_file_tree_get_model (tessera_editor_panel_get_file_tree (panel));

  return g_list_model_get_n_items (model) > 0;
}

static gboolean
view_shown (gpointer data)
{
  TesseraEditorPage *page = data;

  return gtk_widget_get_mapped (GTK_WIDGET (tessera_editor_page_get_view (page)));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraProject) project = NULL;
  g_autoptr(GFile) parent = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *large = NULL;
  double tree_ms[RUNS], editable_ms[RUNS], painted_ms[RUNS];
  GdkFrameClock *clock;
  GtkWindow *window;
  const char *root;
  gint64 start;

  adw_init ();
  gtk_source_init ();

  tmp = g_dir_make_tmp ("tessera-bench-editor-XXXXXX", &error);
  g_assert_no_error (error);
  parent = g_file_new_for_path (tmp);
  project = tessera_project_create (parent, "bench", NULL, &error);
  g_assert_no_error (error);
  root = g_file_peek_path (tessera_project_get_root (project));

  g_print ("Generating %d files...\n",
           OWN_FOLDERS * OWN_FILES_PER_FOLDER + OWN_ROOT_FILES + NM_PACKAGES * NM_FILES_PER_PACKAGE);
  make_tree (root);
  large = g_build_filename (root, "large.js", NULL);
  make_large_js (large);

  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 1200, 800);
  gtk_window_present (window);
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)));
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));

  /* (a) the tree's first frame */
  for (guint run = 0; run < RUNS; run++)
    {
      TesseraEditorPanel *panel;
      PaintWatch watch = { tree_has_rows, NULL, 0 };
      gulong id;

      start = g_get_monotonic_time ();
      panel = tessera_editor_panel_new (project);
      watch.data = panel;
      gtk_window_set_child (window, GTK_WIDGET (panel));
      id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &watch);
      WAIT_UNTIL (watch.painted_at != 0);
      g_signal_handler_disconnect (clock, id);
      tree_ms[run] = (watch.painted_at - start) / 1000.0;

      /* (b) a 5 MB file, in the same panel */
      {
        TesseraEditorPage *page;
        TesseraDocument *doc;
        PaintWatch file_watch = { view_shown, NULL, 0 };
        gint64 editable_at;

        start = g_get_monotonic_time ();
        tessera_editor_panel_open_file (panel, "large.js");
        page = tessera_editor_panel_get_page (panel, "large.js");
        doc = tessera_editor_page_get_document (page);
        file_watch.data = page;
        id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &file_watch);
        WAIT_UNTIL (tessera_document_get_loaded (doc) && !tessera_document_get_loading (doc) &&
                    gtk_widget_get_mapped (GTK_WIDGET (tessera_editor_page_get_view (page))));
        editable_at = g_get_monotonic_time ();
        WAIT_UNTIL (file_watch.painted_at != 0);
        g_signal_handler_disconnect (clock, id);

        if (tessera_document_get_kind (doc) != TESSERA_DOCUMENT_KIND_TEXT)
          g_error ("large.js did not open as text");
        editable_ms[run] = (editable_at - start) / 1000.0;
        painted_ms[run] = (MAX (file_watch.painted_at, editable_at) - start) / 1000.0;
      }

      g_print ("run %u: tree first frame %.1f ms, 5 MB file editable %.1f ms, painted %.1f ms\n",
               run + 1, tree_ms[run], editable_ms[run], painted_ms[run]);

      gtk_window_set_child (window, NULL);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }

  g_print ("\n20,000-file project (19,000 in node_modules), panel to first tree frame: "
           "median %.1f ms (target < 100 ms)\n", median (tree_ms, RUNS));
  g_print ("5 MB JavaScript file, open to editable (loaded, view mapped): "
           "median %.1f ms (target < 300 ms)\n", median (editable_ms, RUNS));
  g_print ("5 MB JavaScript file, open to its first frame: median %.1f ms\n",
           median (painted_ms, RUNS));

  gtk_window_destroy (window);
  g_clear_object (&project);
  rm_rf (parent);
  return 0;
}
