/* tessera-test-ui.h: helpers for tests that drive widgets under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* Runs the main loop until @condition holds; fails after a generous
 * deadline instead of hanging forever. */
#define TESSERA_WAIT_UNTIL(condition)                                           \
  G_STMT_START {                                                                \
    gint64 deadline_ = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;           \
    while (!(condition))                                                        \
      {                                                                         \
        g_assert_cmpint (g_get_monotonic_time (), <, deadline_);                \
        g_main_context_iteration (NULL, TRUE);                                  \
      }                                                                         \
  } G_STMT_END

/* Warnings stay fatal, but for one that libadwaita 1.2's AdwTabView
 * gives now and then without fault of ours ("Trying to snapshot
 * AdwTabView … without a current allocation"). Call after gtk_test_init. */
void       tessera_test_init_log     (void);
/* TRUE when @needle was in a message logged since tessera_test_init_log(),
 * debug messages included. */
gboolean   tessera_test_log_contains (const char *needle);
/* The first (depth-first) or last widget of @type under @widget. */
GtkWidget *tessera_test_find_first   (GtkWidget  *widget,
                                      GType       type);
GtkWidget *tessera_test_find_last    (GtkWidget  *widget,
                                      GType       type);
/* Waits until @widget's window has drawn a frame with what changed. */
void       tessera_test_wait_for_frame (GtkWidget *widget);
/* Lets pending layout and drawing happen for a moment. */
void       tessera_test_settle       (void);
/* @widget's render node as it is on screen, once it has one. */
GskRenderNode *tessera_test_snapshot     (GtkWidget  *widget);
/* @widget rendered as it is on screen, by its window's renderer. */
GdkTexture *tessera_test_render_texture (GtkWidget  *widget);
/* Renders @widget as it is on screen into the PNG file @path. */
void       tessera_test_render_png   (GtkWidget  *widget,
                                      const char *path);
/* Renders @widget as it is on screen into G_TEST_BUILT/@name. */
void       tessera_test_save_png     (GtkWidget  *widget,
                                      const char *name);
/* The first window of @type (or a subtype) on screen, or NULL. */
GtkWidget *tessera_test_find_toplevel (GType type);
/* The message dialog on screen, or NULL. */
AdwMessageDialog *tessera_test_find_message_dialog (void);
/* What a click on one of @dialog's buttons does: the response, then the
 * dialog closes. */
void       tessera_test_respond      (AdwMessageDialog *dialog,
                                      const char       *response);

G_END_DECLS
