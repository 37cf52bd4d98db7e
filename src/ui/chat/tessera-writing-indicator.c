/* tessera-writing-indicator.c: three dots, one lit at a time
 *
 * Shown while an answer is being written. A GtkSpinner turns at the
 * frame rate, so the window draws sixty frames a second for as long as
 * a model thinks, on the CPU a local model needs, and the frame that
 * shows its first words has to wait for the next of those ticks (8 ms
 * on average). These dots step a few times a second from a timeout
 * instead: in between, the frame clock is idle, and the first words are
 * drawn as soon as they come.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-writing-indicator.h"

#define N_DOTS 3
#define DOT_SIZE 7
#define DOT_SPACING 5
#define STEP_MSEC 400

struct _TesseraWritingIndicator
{
  GtkWidget parent_instance;

  guint     step_id;
  guint     lit;
};

G_DEFINE_FINAL_TYPE (TesseraWritingIndicator, tessera_writing_indicator, GTK_TYPE_WIDGET)

static gboolean
animates (TesseraWritingIndicator *self)
{
  gboolean enabled = TRUE;

  g_object_get (gtk_widget_get_settings (GTK_WIDGET (self)), "gtk-enable-animations", &enabled, NULL);

  return enabled;
}

static gboolean
step_cb (gpointer user_data)
{
  TesseraWritingIndicator *self = user_data;

  self->lit = (self->lit + 1) % N_DOTS;
  gtk_widget_queue_draw (GTK_WIDGET (self));

  return G_SOURCE_CONTINUE;
}

static void
tessera_writing_indicator_map (GtkWidget *widget)
{
  TesseraWritingIndicator *self = TESSERA_WRITING_INDICATOR (widget);

  GTK_WIDGET_CLASS (tessera_writing_indicator_parent_class)->map (widget);

  self->lit = 0;
  if (animates (self))
    {
      self->step_id = g_timeout_add (STEP_MSEC, step_cb, self);
      g_source_set_static_name (g_main_context_find_source_by_id (NULL, self->step_id),
                                "[tessera] writing indicator");
    }
}

static void
tessera_writing_indicator_unmap (GtkWidget *widget)
{
  TesseraWritingIndicator *self = TESSERA_WRITING_INDICATOR (widget);

  g_clear_handle_id (&self->step_id, g_source_remove);

  GTK_WIDGET_CLASS (tessera_writing_indicator_parent_class)->unmap (widget);
}

static void
tessera_writing_indicator_measure (GtkWidget      *widget,
                                   GtkOrientation  orientation,
                                   int             for_size,
                                   int            *minimum,
                                   int            *natural,
                                   int            *minimum_baseline,
                                   int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = *natural = N_DOTS * DOT_SIZE + (N_DOTS - 1) * DOT_SPACING;
  else
    *minimum = *natural = DOT_SIZE;
}

static void
tessera_writing_indicator_snapshot (GtkWidget   *widget,
                                    GtkSnapshot *snapshot)
{
  TesseraWritingIndicator *self = TESSERA_WRITING_INDICATOR (widget);
  gboolean stepping = self->step_id != 0;
  GdkRGBA color;
  int y = (gtk_widget_get_height (widget) - DOT_SIZE) / 2;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);

  for (guint i = 0; i < N_DOTS; i++)
    {
      GdkRGBA dot = color;
      GskRoundedRect rounded;
      graphene_rect_t bounds = GRAPHENE_RECT_INIT (i * (DOT_SIZE + DOT_SPACING), y, DOT_SIZE, DOT_SIZE);

      /* Without animations, all three at rest. */
      dot.alpha *= !stepping ? 0.55 : i == self->lit ? 0.9 : 0.3;
      gsk_rounded_rect_init_from_rect (&rounded, &bounds, DOT_SIZE / 2.0);
      gtk_snapshot_push_rounded_clip (snapshot, &rounded);
      gtk_snapshot_append_color (snapshot, &dot, &bounds);
      gtk_snapshot_pop (snapshot);
    }
}

static void
tessera_writing_indicator_class_init (TesseraWritingIndicatorClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->map = tessera_writing_indicator_map;
  widget_class->unmap = tessera_writing_indicator_unmap;
  widget_class->measure = tessera_writing_indicator_measure;
  widget_class->snapshot = tessera_writing_indicator_snapshot;

  gtk_widget_class_set_css_name (widget_class, "writingindicator");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_PROGRESS_BAR);
}

static void
tessera_writing_indicator_init (TesseraWritingIndicator *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Writing"), -1);
}

GtkWidget *
tessera_writing_indicator_new (void)
{
  return g_object_new (TESSERA_TYPE_WRITING_INDICATOR, NULL);
}
