/* tessera-repaint-bin.c: a container whose child is repainted whole
 *
 * GTK repaints only what changed between two frames, found by comparing
 * their render nodes. When that comparison collects more than 30
 * rectangles (GSK's MAX_RECTS_IN_DIFF), it gives up and repaints the
 * whole of the container it was in: while an answer streams, that is
 * the window's panes, 1390 × 843 pixels, a 30 to 45 ms frame with cairo.
 * A tab bar that animates (tabs opening, sliding, being retitled) is
 * the widget that gives most of those rectangles: its separators, titles
 * and icons move a few pixels each, and each cuts the other panes'
 * damage into more bands. Put in this bin, a widget that changed is
 * repainted whole instead, as one rectangle: its render node is wrapped
 * in a repeat node of its own size, which GSK does not compare inside
 * and which draws its child once, through an offscreen surface of its
 * size. So it suits a small widget that changes in many small places,
 * not a large one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "tessera-repaint-bin.h"

struct _TesseraRepaintBin
{
  GtkWidget  parent_instance;

  GtkWidget *child;
};

G_DEFINE_FINAL_TYPE (TesseraRepaintBin, tessera_repaint_bin, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CHILD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
tessera_repaint_bin_snapshot (GtkWidget   *widget,
                              GtkSnapshot *snapshot)
{
  TesseraRepaintBin *self = TESSERA_REPAINT_BIN (widget);
  graphene_rect_t bounds;

  if (self->child == NULL)
    return;

  graphene_rect_init (&bounds, 0, 0, gtk_widget_get_width (widget), gtk_widget_get_height (widget));
  gtk_snapshot_push_repeat (snapshot, &bounds, &bounds);
  gtk_widget_snapshot_child (widget, self->child, snapshot);
  gtk_snapshot_pop (snapshot);
}

GtkWidget *
tessera_repaint_bin_get_child (TesseraRepaintBin *self)
{
  g_return_val_if_fail (TESSERA_IS_REPAINT_BIN (self), NULL);

  return self->child;
}

void
tessera_repaint_bin_set_child (TesseraRepaintBin *self,
                               GtkWidget         *child)
{
  g_return_if_fail (TESSERA_IS_REPAINT_BIN (self));
  g_return_if_fail (child == NULL || GTK_IS_WIDGET (child));

  if (self->child == child)
    return;

  g_clear_pointer (&self->child, gtk_widget_unparent);
  if (child != NULL)
    {
      self->child = child;
      gtk_widget_set_parent (child, GTK_WIDGET (self));
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHILD]);
}

GtkWidget *
tessera_repaint_bin_new (void)
{
  return g_object_new (TESSERA_TYPE_REPAINT_BIN, NULL);
}

static void
tessera_repaint_bin_dispose (GObject *object)
{
  TesseraRepaintBin *self = TESSERA_REPAINT_BIN (object);

  g_clear_pointer (&self->child, gtk_widget_unparent);

  G_OBJECT_CLASS (tessera_repaint_bin_parent_class)->dispose (object);
}

static void
tessera_repaint_bin_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TesseraRepaintBin *self = TESSERA_REPAINT_BIN (object);

  switch (prop_id)
    {
    case PROP_CHILD:
      g_value_set_object (value, self->child);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_repaint_bin_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  TesseraRepaintBin *self = TESSERA_REPAINT_BIN (object);

  switch (prop_id)
    {
    case PROP_CHILD:
      tessera_repaint_bin_set_child (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_repaint_bin_class_init (TesseraRepaintBinClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_repaint_bin_dispose;
  object_class->get_property = tessera_repaint_bin_get_property;
  object_class->set_property = tessera_repaint_bin_set_property;

  widget_class->snapshot = tessera_repaint_bin_snapshot;

  properties[PROP_CHILD] =
    g_param_spec_object ("child", NULL, NULL,
                         GTK_TYPE_WIDGET,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  /* Only a drawing matter: nothing for assistive technologies. */
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GENERIC);
}

static void
tessera_repaint_bin_init (TesseraRepaintBin *self)
{
}
