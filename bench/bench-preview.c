/* bench-preview.c: edit-to-preview latency and the memory of the whole
 * process tree with a static project previewed; with --screenshots DIR it
 * also renders the pane's states to PNG files (light and dark) to look at.
 *
 * Needs a display: run it under xvfb-run (see bench/README.md).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <stdlib.h>

#include "tessera-console-panel.h"
#include "tessera-local-sandbox.h"
#include "tessera-preview-pane.h"
#include "tessera-run-panel.h"

#define RUNS 30

static gboolean verbose;

static gboolean load_finished;

static gboolean
on_failsafe (gpointer data)
{
  g_error ("Timed out waiting for %s", (const char *)data);
  return G_SOURCE_REMOVE;
}

#define WAIT_FOR(condition, what)                                              \
  G_STMT_START {                                                               \
    guint failsafe_ = g_timeout_add_seconds (60, on_failsafe, (gpointer)(what)); \
    while (!(condition))                                                       \
      g_main_context_iteration (NULL, TRUE);                                   \
    g_source_remove (failsafe_);                                               \
  } G_STMT_END

static void
on_load_changed (WebKitWebView   *view,
                 WebKitLoadEvent  event,
                 gpointer         user_data)
{
  if (event == WEBKIT_LOAD_FINISHED)
    load_finished = TRUE;
}

static void
write_file (TesseraProject *project,
            const char     *path,
            const char     *contents)
{
  g_autoptr(GBytes) bytes = g_bytes_new (contents, strlen (contents));
  g_autoptr(GError) error = NULL;

  if (!tessera_project_write (project, path, bytes, NULL, &error))
    g_error ("Could not write %s: %s", path, error->message);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *)a;
  double y = *(const double *)b;

  return x < y ? -1 : x > y;
}

/* Sums a field (in kB) of /proc/PID/FILE over @pid and its descendants. */
static guint64
tree_kib (pid_t       root,
          const char *file,
          const char *field,
          guint      *n_processes)
{
  g_autoptr(GHashTable) parents = g_hash_table_new (NULL, NULL);
  g_autoptr(GArray) tree = g_array_new (FALSE, FALSE, sizeof (pid_t));
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint64 total = 0;

  while ((name = g_dir_read_name (proc)))
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      const char *paren;
      int ppid = 0;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_strdup_printf ("/proc/%s/stat", name);
      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue;
      /* The command name may hold spaces: the fields follow its ')'. */
      paren = strrchr (stat, ')');
      if (paren == NULL || sscanf (paren + 2, "%*c %d", &ppid) != 1)
        continue;
      g_hash_table_insert (parents, GINT_TO_POINTER (atoi (name)), GINT_TO_POINTER (ppid));
    }

  g_array_append_val (tree, root);
  for (guint i = 0; i < tree->len; i++)
    {
      GHashTableIter iter;
      gpointer pid, ppid;

      g_hash_table_iter_init (&iter, parents);
      while (g_hash_table_iter_next (&iter, &pid, &ppid))
        if (GPOINTER_TO_INT (ppid) == g_array_index (tree, pid_t, i))
          {
            pid_t child = GPOINTER_TO_INT (pid);
            g_array_append_val (tree, child);
          }
    }

  for (guint i = 0; i < tree->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%d/%s", g_array_index (tree, pid_t, i), file);
      g_autofree char *contents = NULL;
      const char *line;

      if (!g_file_get_contents (path, &contents, NULL, NULL))
        continue;
      line = strstr (contents, field);
      if (line != NULL)
        {
          g_autofree char *comm_path = g_strdup_printf ("/proc/%d/comm", g_array_index (tree, pid_t, i));
          g_autofree char *comm = NULL;
          guint64 kib = g_ascii_strtoull (line + strlen (field), NULL, 10);

          if (verbose && g_file_get_contents (comm_path, &comm, NULL, NULL))
            g_print ("    %-8s %-24s %7.1f MiB\n", field, g_strchomp (comm), kib / 1024.0);
          total += kib;
        }
    }

  *n_processes = tree->len;
  return total;
}

static void
wait_frames (GtkWidget *widget,
             guint      n)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gint64 start = gdk_frame_clock_get_frame_counter (clock);

  while (gdk_frame_clock_get_frame_counter (clock) < start + n)
    {
      gtk_widget_queue_draw (widget);
      g_main_context_iteration (NULL, TRUE);
    }
}

/* Grabs the window from the X server as it is shown, WebKit's rendering
 * included (ImageMagick's import, which the test dependencies install). */
static void
save_png (GtkWidget  *widget,
          const char *dir,
          const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *geometry = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *root = GTK_WIDGET (gtk_widget_get_root (widget));
  int status = 0;

  wait_frames (widget, 3);
  geometry = g_strdup_printf ("%dx%d+0+0", gtk_widget_get_width (root), gtk_widget_get_height (root));
  {
    const char *argv[] = { "import", "-window", "root", "-crop", geometry, path, NULL };

    if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                       NULL, NULL, &status, &error))
      g_error ("Could not run import: %s", error->message);
  }
  g_print ("wrote %s\n", path);
}

static const char page_template[] =
  "<!doctype html><html><head><meta name='viewport' content='width=device-width'>"
  "<style>body{font-family:sans-serif;margin:0;background:#f6f5f4;color:#241f31}"
  "header{background:#3584e4;color:white;padding:24px 32px}"
  "main{padding:24px 32px}.card{background:white;border-radius:12px;padding:16px;"
  "margin-bottom:16px;box-shadow:0 1px 3px rgba(0,0,0,.12)}</style></head>"
  "<body><header><h1>Todo</h1><p>Edit %u</p></header><main>"
  "<div class='card'>Buy milk</div><div class='card'>Write the report</div>"
  "<div class='card'>Call the plumber</div></main>"
  "<script>console.error('TypeError: items.map is not a function');"
  "console.warn('Deprecated API used')</script></body></html>";

static void
screenshots (const char *dir)
{
  g_autofree char *project_dir = g_dir_make_tmp ("tessera-bench-XXXXXX", NULL);
  g_autoptr(GFile) parent = g_file_new_for_path (project_dir);
  g_autoptr(TesseraProject) project = tessera_project_create (parent, "shots", NULL, NULL);
  g_autoptr(TesseraLocalSandbox) sandbox = tessera_local_sandbox_new (tessera_project_get_root (project));
  g_autoptr(TesseraRunner) runner = tessera_runner_new (project, TESSERA_SANDBOX (sandbox));
  g_autofree char *page = g_strdup_printf (page_template, 1u);
  AdwStyleManager *style = adw_style_manager_get_default ();
  TesseraPreviewPane *pane;
  TesseraRunPanel *run_panel;
  GtkWindow *window;
  GtkWidget *paned;

  g_mkdir_with_parents (dir, 0755);
  write_file (project, "index.html", page);

  pane = tessera_preview_pane_new (project);
  run_panel = tessera_run_panel_new ();
  g_signal_connect (tessera_preview_pane_get_web_view (pane), "load-changed",
                    G_CALLBACK (on_load_changed), NULL);

  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 1000, 860);
  paned = gtk_paned_new (GTK_ORIENTATION_VERTICAL);
  gtk_paned_set_start_child (GTK_PANED (paned), GTK_WIDGET (pane));
  gtk_paned_set_end_child (GTK_PANED (paned), GTK_WIDGET (run_panel));
  gtk_paned_set_position (GTK_PANED (paned), 620);
  gtk_window_set_child (window, paned);
  gtk_window_present (window);

  for (guint dark = 0; dark <= 1; dark++)
    {
      const char *suffix = dark ? "dark" : "light";
      g_autofree char *name = NULL;

      adw_style_manager_set_color_scheme (style, dark ? ADW_COLOR_SCHEME_FORCE_DARK
                                                      : ADW_COLOR_SCHEME_FORCE_LIGHT);
      tessera_preview_pane_set_runner (pane, NULL);
      tessera_run_panel_set_runner (run_panel, NULL);
      tessera_preview_pane_set_status (pane, "Installing dependencies…", TRUE);
      tessera_run_panel_set_status (run_panel, "Installing dependencies…", TRUE);
      tessera_run_panel_append (run_panel,
                                "$ npm install\n\033[1madded 212 packages\033[0m in 4s\n"
                                "\033[33mnpm WARN\033[0m deprecated inflight@1.0.6\n", -1);
      name = g_strdup_printf ("preview-waiting-%s.png", suffix);
      save_png (paned, dir, name);

      tessera_preview_pane_set_status (pane, NULL, FALSE);
      tessera_preview_pane_show_crashed (pane, "Crashed: exit 1",
                                         "> vite\n\nnode:events:491\n      throw er;\n"
                                         "Error: listen EADDRINUSE: address already in use :::5173\n"
                                         "    at Server.setupListenHandle [as _listen2]\n");
      g_free (name);
      name = g_strdup_printf ("preview-crashed-%s.png", suffix);
      save_png (paned, dir, name);

      load_finished = FALSE;
      tessera_preview_pane_set_runner (pane, runner);
      tessera_run_panel_set_runner (run_panel, runner);
      tessera_runner_start (runner);
      WAIT_FOR (load_finished, "the page");
      g_object_set (pane, "console-visible", TRUE, NULL);
      WAIT_FOR (tessera_console_panel_get_n_messages (TESSERA_CONSOLE_PANEL (tessera_preview_pane_get_console_panel (pane))) >= 2,
                "the console messages");
      g_free (name);
      name = g_strdup_printf ("preview-ready-%s.png", suffix);
      save_png (paned, dir, name);

      tessera_preview_pane_set_device (pane, "phone");
      g_object_set (pane, "console-visible", FALSE, NULL);
      g_free (name);
      name = g_strdup_printf ("preview-phone-%s.png", suffix);
      save_png (paned, dir, name);
      tessera_preview_pane_set_device (pane, "full");

      tessera_runner_stop (runner);
    }

  gtk_window_destroy (window);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *project_dir = NULL;
  g_autoptr(GFile) parent = NULL;
  g_autoptr(TesseraProject) project = NULL;
  g_autoptr(TesseraLocalSandbox) sandbox = NULL;
  g_autoptr(TesseraRunner) runner = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *page = NULL;
  TesseraPreviewPane *pane;
  GtkWindow *window;
  double times[RUNS];
  guint n_processes = 0;
  guint64 rss;
  guint64 pss;

  /* Under Xvfb, pages drawn through DMA-BUF do not reach the X server's
   * image that import grabs. */
  if (argc == 3 && g_str_equal (argv[1], "--screenshots"))
    g_setenv ("WEBKIT_DISABLE_DMABUF_RENDERER", "1", TRUE);

  gtk_init ();
  adw_init ();

  verbose = argc == 2 && g_str_equal (argv[1], "--verbose");
  if (argc == 3 && g_str_equal (argv[1], "--screenshots"))
    {
      screenshots (argv[2]);
      return EXIT_SUCCESS;
    }

  project_dir = g_dir_make_tmp ("tessera-bench-XXXXXX", &error);
  g_assert_no_error (error);
  parent = g_file_new_for_path (project_dir);
  project = tessera_project_create (parent, "bench", NULL, &error);
  g_assert_no_error (error);
  page = g_strdup_printf (page_template, 0u);
  write_file (project, "index.html", page);

  sandbox = tessera_local_sandbox_new (tessera_project_get_root (project));
  runner = tessera_runner_new (project, TESSERA_SANDBOX (sandbox));

  pane = tessera_preview_pane_new (project);
  g_signal_connect (tessera_preview_pane_get_web_view (pane), "load-changed",
                    G_CALLBACK (on_load_changed), NULL);
  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 1000, 800);
  gtk_window_set_child (window, GTK_WIDGET (pane));
  gtk_window_present (window);

  tessera_preview_pane_set_runner (pane, runner);
  tessera_runner_start (runner);
  WAIT_FOR (load_finished, "the first load");

  /* (a) From the write to the page loaded again, through the static
   * server's live reload. Each edit is written as soon as the previous
   * one is shown, often before the reloaded page has reconnected to the
   * server's event stream: the hello it gets then must reload it. */
  for (guint i = 0; i < RUNS; i++)
    {
      gint64 start;

      g_free (page);
      page = g_strdup_printf (page_template, i + 1);
      load_finished = FALSE;
      start = g_get_monotonic_time ();
      write_file (project, "index.html", page);
      WAIT_FOR (load_finished, "the reload");
      times[i] = (g_get_monotonic_time () - start) / 1000.0;
    }
  qsort (times, RUNS, sizeof (double), compare_doubles);
  g_print ("edit-to-preview (static project, local sandbox, live reload), %d runs:\n", RUNS);
  g_print ("  median %.1f ms, p90 %.1f ms, min %.1f ms, max %.1f ms (target: median < 100 ms)\n",
           times[RUNS / 2], times[(RUNS * 9) / 10], times[0], times[RUNS - 1]);

  /* (b) The whole tree: this process and WebKit's web and network
   * processes (and anything else we started). */
  wait_frames (GTK_WIDGET (window), 3);
  rss = tree_kib (getpid (), "status", "VmRSS:", &n_processes);
  pss = tree_kib (getpid (), "smaps_rollup", "Pss:", &n_processes);
  g_print ("memory with the project previewed (%u processes):\n", n_processes);
  g_print ("  RSS %.1f MiB, PSS %.1f MiB (target: < 250 MiB)\n", rss / 1024.0, pss / 1024.0);

  tessera_runner_stop (runner);
  gtk_window_destroy (window);

  return EXIT_SUCCESS;
}
