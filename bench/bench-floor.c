/* bench-floor.c: the longest main-loop stall of a window that does nothing
 *
 * bench-chat's target is a longest main-loop stall under 16 ms while a
 * 1 MB answer streams in. This measures what that figure cannot go below
 * on the machine at hand: a plain GTK window of Tessera's size, probed by
 * the same 1 ms timeout over windows as long as bench-chat's turns, with
 * as little as GTK does:
 *
 * - "spinner": one spinner turning, so that the frame clock ticks at 60
 *   frames a second and each frame draws a few pixels;
 * - "label": a label whose text changes every frame, so that each frame
 *   also measures and lays the window out (what every frame of a
 *   streaming answer does at the least);
 * and each again with one thread of the process busy on the CPU meanwhile,
 * as the stream's own work (reading, parsing, writing files) keeps a core
 * busy during a turn.
 *
 * Run (one X server, as bench-chat):
 *   xvfb-run -a -s "-screen 0 1600x1000x24" _build/NAME/bench/bench-floor [RUNS [MS]]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>

#include <gtk/gtk.h>

#define PROBE_MS 1

typedef struct
{
  gint64 last_tick;
  gint64 longest_gap;
} Probe;

static gboolean
probe_cb (gpointer user_data)
{
  Probe *probe = user_data;
  gint64 now = g_get_monotonic_time ();

  if (probe->last_tick != 0)
    probe->longest_gap = MAX (probe->longest_gap, now - probe->last_tick);
  probe->last_tick = now;

  return G_SOURCE_CONTINUE;
}

static gboolean
change_label_cb (GtkWidget     *widget,
                 GdkFrameClock *clock,
                 gpointer       user_data)
{
  g_autofree char *text = g_strdup_printf ("Frame %" G_GINT64_FORMAT,
                                           gdk_frame_clock_get_frame_counter (clock));

  gtk_label_set_text (GTK_LABEL (widget), text);

  return G_SOURCE_CONTINUE;
}

static gint busy;

static gpointer
busy_main (gpointer data)
{
  volatile guint64 n = 0;

  while (g_atomic_int_get (&busy))
    n++;

  return NULL;
}

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Blocking between events, as an application's main loop does (and
 * bench-chat's): a loop that spins would keep its CPU from ever idling.
 * A timeout wakes it at the end. */
static void
iterate_for (gint64 usec)
{
  gint64 end = g_get_monotonic_time () + usec;
  GSource *wake = g_timeout_source_new (usec / 1000 + 1);

  g_source_set_callback (wake, wake_cb, NULL, NULL);
  g_source_attach (wake, NULL);
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (wake);
  g_source_unref (wake);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The longest gap between two probes in each of @n_runs windows of @ms. */
static void
measure (const char *name,
         gboolean    label,
         gboolean    with_busy_thread,
         guint       n_runs,
         guint       ms)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *child;
  GThread *thread = NULL;
  double gaps[64];

  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  if (label)
    {
      child = gtk_label_new ("");
      gtk_widget_add_tick_callback (child, change_label_cb, NULL, NULL);
    }
  else
    {
      child = gtk_spinner_new ();
      gtk_spinner_start (GTK_SPINNER (child));
    }
  gtk_box_append (GTK_BOX (box), child);
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));
  iterate_for (G_USEC_PER_SEC / 2);

  if (with_busy_thread)
    {
      g_atomic_int_set (&busy, TRUE);
      thread = g_thread_new ("busy", busy_main, NULL);
    }

  for (guint i = 0; i < n_runs; i++)
    {
      Probe probe = { 0 };
      guint id = g_timeout_add_full (G_PRIORITY_HIGH, PROBE_MS, probe_cb, &probe, NULL);

      iterate_for ((gint64) ms * 1000);
      g_source_remove (id);
      gaps[i] = probe.longest_gap / 1000.0;
      /* A pause between windows, as between bench-chat's turns. */
      iterate_for (G_USEC_PER_SEC / 10);
    }

  if (thread != NULL)
    {
      g_atomic_int_set (&busy, FALSE);
      g_thread_join (thread);
    }
  gtk_window_destroy (GTK_WINDOW (window));
  iterate_for (G_USEC_PER_SEC / 10);

  qsort (gaps, n_runs, sizeof gaps[0], compare_doubles);
  g_print ("  %-32s median %5.1f ms  (%.1f to %.1f)\n", name, gaps[n_runs / 2], gaps[0], gaps[n_runs - 1]);
}

int
main (int   argc,
      char *argv[])
{
  guint n_runs = argc > 1 ? CLAMP (atoi (argv[1]), 1, 64) : 12;
  guint ms = argc > 2 ? CLAMP (atoi (argv[2]), 100, 10000) : 600;

  /* Tessera draws with cairo where there is no GPU (tessera-application.c),
   * as on this kind of machine; GSK_RENDERER=ngl measures GL instead. */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  gtk_init ();

  g_print ("longest main-loop stall in each of %u windows of %u ms, probed every %d ms:\n",
           n_runs, ms, PROBE_MS);
  measure ("spinner", FALSE, FALSE, n_runs, ms);
  measure ("spinner, one thread busy", FALSE, TRUE, n_runs, ms);
  measure ("label changed every frame", TRUE, FALSE, n_runs, ms);
  measure ("label, one thread busy", TRUE, TRUE, n_runs, ms);

  return 0;
}
