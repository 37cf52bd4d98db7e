/* test-ui-common.c: the helpers the widget areas share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "tessera-frame-pacer.h"
#include "tessera-repaint-bin.h"
#include "tessera-test-ui.h"
#include "tessera-tooltip.h"

static gboolean
query (GtkWidget *widget)
{
  GtkTooltip *tooltip = g_object_new (GTK_TYPE_TOOLTIP, NULL);
  gboolean shown = FALSE;

  g_signal_emit_by_name (widget, "query-tooltip", 1, 1, FALSE, tooltip, &shown);
  g_object_unref (tooltip);

  return shown;
}

/* The text is there when GTK asks for the tooltip, and gone with it. */
static void
test_tooltip (void)
{
  GtkWidget *button = g_object_ref_sink (gtk_button_new_with_label ("Open"));

  g_assert_false (gtk_widget_get_has_tooltip (button));
  tessera_tooltip_set_text (button, "Open in Editor");
  g_assert_true (gtk_widget_get_has_tooltip (button));
  g_assert_true (query (button));

  /* Set again, changed, cleared. */
  tessera_tooltip_set_text (button, "Open in Editor");
  tessera_tooltip_set_text (button, "Applied");
  g_assert_true (query (button));
  tessera_tooltip_set_text (button, NULL);
  g_assert_false (gtk_widget_get_has_tooltip (button));
  g_assert_false (query (button));

  g_object_unref (button);
}

static gboolean
count_frames_cb (GtkWidget     *widget,
                 GdkFrameClock *clock,
                 gpointer       user_data)
{
  GArray *slots = user_data;
  guint now = TESSERA_FRAME_SLOT_PERIOD;

  /* At most one slot is now. */
  for (guint slot = TESSERA_FRAME_SLOT_NEW_CONTENT; slot <= TESSERA_FRAME_SLOT_EDITOR_SCROLL; slot++)
    if (tessera_frame_slot_is_now (slot, clock))
      {
        g_assert_cmpuint (now, ==, TESSERA_FRAME_SLOT_PERIOD);
        now = slot;
      }
  g_array_append_val (slots, now);

  return slots->len < TESSERA_FRAME_SLOT_PERIOD ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

typedef struct
{
  TesseraFramePacer *pacer;
  GArray            *sizes;
} Pacing;

/* Adds content each frame, the first two frames slowly. */
static gboolean
pace_frames_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  Pacing *pacing = user_data;
  gsize bytes = tessera_frame_pacer_begin (pacing->pacer, clock, 0);

  g_array_append_val (pacing->sizes, bytes);
  if (pacing->sizes->len <= 2)
    g_usleep (20 * 1000);

  return pacing->sizes->len < 4 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* Frames go round the slots; a pacer starts at its first size, halves
 * it after a slow frame, but not below its least, and gives more when
 * much waits. */
static void
test_pacer (void)
{
  GtkWidget *window = gtk_window_new ();
  g_autoptr(GArray) slots = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(TesseraFramePacer) pacer = tessera_frame_pacer_new (TESSERA_FRAME_SLOT_NEW_CONTENT, 2048, 700, 65536);
  g_autoptr(GArray) sizes = g_array_new (FALSE, FALSE, sizeof (gsize));
  Pacing pacing = { pacer, sizes };

  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_add_tick_callback (window, count_frames_cb, slots, NULL);
  while (slots->len < TESSERA_FRAME_SLOT_PERIOD)
    g_main_context_iteration (NULL, TRUE);
  /* Each slot comes round once in a period: in any run of frames as long
   * as it, each slot is now exactly once. */
  for (guint slot = TESSERA_FRAME_SLOT_NEW_CONTENT; slot <= TESSERA_FRAME_SLOT_EDITOR_SCROLL; slot++)
    {
      guint seen = 0;

      for (guint i = 0; i < TESSERA_FRAME_SLOT_PERIOD; i++)
        seen += g_array_index (slots, guint, i) == slot;
      g_assert_cmpuint (seen, ==, 1);
    }

  gtk_widget_add_tick_callback (window, pace_frames_cb, &pacing, NULL);
  while (sizes->len < 4)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (g_array_index (sizes, gsize, 0), ==, 2048);
  g_assert_cmpuint (g_array_index (sizes, gsize, 1), ==, 1024);
  g_assert_cmpuint (g_array_index (sizes, gsize, 2), ==, 700);
  /* The third frame was quick, or not: never more than a quarter more. */
  g_assert_cmpuint (g_array_index (sizes, gsize, 3), >=, 700);
  g_assert_cmpuint (g_array_index (sizes, gsize, 3), <=, 875);

  /* A first frame after a pause takes a frame's share (1/30) of what
   * waits, when that is more. */
  tessera_frame_pacer_stop (pacer);
  g_clear_pointer (&pacer, tessera_frame_pacer_free);
  pacer = tessera_frame_pacer_new (TESSERA_FRAME_SLOT_NEW_CONTENT, 2048, 256, 65536);
  g_assert_cmpuint (tessera_frame_pacer_begin (pacer, gtk_widget_get_frame_clock (window), 3000 * 1000), >=, 3000 * 1000 / 31);

  tessera_frame_pacer_stop (pacer);
  gtk_window_destroy (GTK_WINDOW (window));
}

static guchar *
download (GdkTexture *texture,
          gsize      *stride)
{
  guchar *pixels;

  *stride = gdk_texture_get_width (texture) * 4;
  pixels = g_malloc (*stride * gdk_texture_get_height (texture));
  gdk_texture_download (texture, pixels, *stride);

  return pixels;
}

/* The bin draws its child as the child draws itself, inside one node
 * that GSK repaints whole when it changes (a repeat node of its size). */
static void
test_repaint_bin (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *bin = tessera_repaint_bin_new ();
  GtkWidget *label = gtk_label_new ("Tessera writes index.html");
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) with_texture = NULL;
  g_autoptr(GdkTexture) without_texture = NULL;
  g_autofree guchar *with_bin = NULL;
  g_autofree guchar *without_bin = NULL;
  gsize stride;
  guint differ = 0;
  graphene_rect_t bounds;

  gtk_widget_set_margin_top (bin, 17);
  gtk_widget_set_margin_start (bin, 23);
  gtk_widget_add_css_class (label, "title-1");
  tessera_repaint_bin_set_child (TESSERA_REPAINT_BIN (bin), label);
  g_assert_true (tessera_repaint_bin_get_child (TESSERA_REPAINT_BIN (bin)) == label);
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (bin)), ==, GTK_ACCESSIBLE_ROLE_GENERIC);
  gtk_box_append (GTK_BOX (box), bin);
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));
  while (gtk_widget_get_width (label) == 0 || !gtk_widget_get_mapped (label))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (gtk_widget_get_width (bin), ==, gtk_widget_get_width (label));
  g_assert_cmpint (gtk_widget_get_height (bin), ==, gtk_widget_get_height (label));

  node = tessera_test_snapshot (bin);
  g_assert_cmpint (gsk_render_node_get_node_type (node), ==, GSK_REPEAT_NODE);
  gsk_render_node_get_bounds (node, &bounds);
  g_assert_cmpfloat (bounds.origin.x, ==, 0);
  g_assert_cmpfloat (bounds.origin.y, ==, 0);
  g_assert_cmpfloat (bounds.size.width, ==, gtk_widget_get_width (bin));
  g_assert_cmpfloat (bounds.size.height, ==, gtk_widget_get_height (bin));
  g_assert_true (graphene_rect_equal (&bounds, gsk_repeat_node_get_child_bounds (node)));

  /* The same pixels, but for the rounding of glyph edges blended twice. */
  with_texture = tessera_test_render_texture (bin);
  without_texture = tessera_test_render_texture (label);
  g_assert_cmpint (gdk_texture_get_width (with_texture), ==, gtk_widget_get_width (label));
  g_assert_cmpint (gdk_texture_get_height (with_texture), ==, gtk_widget_get_height (label));
  g_assert_cmpint (gdk_texture_get_width (without_texture), ==, gtk_widget_get_width (label));
  g_assert_cmpint (gdk_texture_get_height (without_texture), ==, gtk_widget_get_height (label));
  with_bin = download (with_texture, &stride);
  without_bin = download (without_texture, &stride);
  for (gsize i = 0; i < stride * gtk_widget_get_height (label); i++)
    if (ABS (with_bin[i] - without_bin[i]) > 4)
      differ++;
  g_assert_cmpuint (differ, ==, 0);

  /* A child taken out is unparented. */
  g_object_ref (label);
  tessera_repaint_bin_set_child (TESSERA_REPAINT_BIN (bin), NULL);
  g_assert_null (gtk_widget_get_parent (label));
  g_object_unref (label);

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui-common/tooltip", test_tooltip);
  g_test_add_func ("/ui-common/pacer", test_pacer);
  g_test_add_func ("/ui-common/repaint-bin", test_repaint_bin);

  return g_test_run ();
}
