/* tessera-test-ui.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "tessera-test-ui.h"

/* Everything logged, to check that no secret was. */
static GString *logged;

gboolean
tessera_test_log_contains (const char *needle)
{
  return logged != NULL && strstr (logged->str, needle) != NULL;
}

static GLogWriterOutput
log_writer_cb (GLogLevelFlags   log_level,
               const GLogField *fields,
               gsize            n_fields,
               gpointer         user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE"))
        message = fields[i].value;
    }

  if (message != NULL)
    {
      if (logged == NULL)
        logged = g_string_new (NULL);
      g_string_append_printf (logged, "%s\n", message);
    }

  if ((log_level & G_LOG_LEVEL_WARNING) != 0 &&
      g_strcmp0 (domain, "Gtk") == 0 && message != NULL &&
      strstr (message, "Trying to snapshot AdwTabView") != NULL &&
      strstr (message, "without a current allocation") != NULL)
    return g_log_writer_standard_streams (log_level, fields, n_fields, user_data);

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

void
tessera_test_init_log (void)
{
  g_log_set_writer_func (log_writer_cb, NULL, NULL);
}

GtkWidget *
tessera_test_find_first (GtkWidget *widget,
                         GType      type)
{
  if (g_type_is_a (G_OBJECT_TYPE (widget), type))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = tessera_test_find_first (child, type);

      if (found != NULL)
        return found;
    }

  return NULL;
}

GtkWidget *
tessera_test_find_last (GtkWidget *widget,
                        GType      type)
{
  GtkWidget *found = g_type_is_a (G_OBJECT_TYPE (widget), type) ? widget : NULL;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *last = tessera_test_find_last (child, type);

      if (last != NULL)
        found = last;
    }

  return found;
}

static void
after_paint_cb (GdkFrameClock *clock,
                gboolean      *painted)
{
  *painted = TRUE;
}

void
tessera_test_wait_for_frame (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gboolean painted = FALSE;
  gulong handler;

  g_assert_nonnull (clock);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &painted);
  gtk_widget_queue_draw (widget);
  TESSERA_WAIT_UNTIL (painted);
  g_signal_handler_disconnect (clock, handler);
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
tessera_test_settle (void)
{
  gboolean done = FALSE;

  g_timeout_add (100, timeout_cb, &done);
  TESSERA_WAIT_UNTIL (done);
}

GskRenderNode *
tessera_test_snapshot (GtkWidget *widget)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GskRenderNode *node = NULL;

  /* Right after a resize the widget may have nothing to draw yet: take
   * the first frame that has. */
  for (guint attempt = 0; node == NULL; attempt++)
    {
      GtkSnapshot *snapshot = gtk_snapshot_new ();

      g_assert_cmpuint (attempt, <, 100);
      tessera_test_wait_for_frame (widget);
      gdk_paintable_snapshot (paintable, snapshot, gtk_widget_get_width (widget), gtk_widget_get_height (widget));
      node = gtk_snapshot_free_to_node (snapshot);
    }

  return node;
}

GdkTexture *
tessera_test_render_texture (GtkWidget *widget)
{
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  g_autoptr(GskRenderNode) node = tessera_test_snapshot (widget);

  return gsk_renderer_render_texture (renderer, node,
                                      &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (widget),
                                                           gtk_widget_get_height (widget)));
}

void
tessera_test_render_png (GtkWidget  *widget,
                         const char *path)
{
  g_autoptr(GdkTexture) texture = tessera_test_render_texture (widget);

  g_assert_true (gdk_texture_save_to_png (texture, path));
}

void
tessera_test_save_png (GtkWidget  *widget,
                       const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, name, NULL);

  tessera_test_render_png (widget, path);
  g_test_message ("screenshot: %s", path);
}

GtkWidget *
tessera_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (g_type_is_a (G_OBJECT_TYPE (window), type) && gtk_widget_get_visible (window))
        return window;
    }

  return NULL;
}

AdwMessageDialog *
tessera_test_find_message_dialog (void)
{
  return (AdwMessageDialog *) tessera_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
}

void
tessera_test_respond (AdwMessageDialog *dialog,
                      const char       *response)
{
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
}
