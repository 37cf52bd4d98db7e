/* tessera-image-window.c: an attached image, large
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-image-window"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-image-loading.h"
#include "tessera-image-window.h"

/* Large enough for any screen's window; the image is no larger anyway
 * (TESSERA_IMAGE_MAX_SIDE), unless a saved one was. */
#define MAX_SIDE 2048

struct _TesseraImageWindow
{
  AdwWindow     parent_instance;

  GtkPicture   *picture;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (TesseraImageWindow, tessera_image_window, ADW_TYPE_WINDOW)

static void
texture_ready_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  TesseraImageWindow *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = tessera_image_texture_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (texture != NULL)
    gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
  else
    gtk_widget_set_visible (GTK_WIDGET (self->picture), FALSE);
}

static void
tessera_image_window_dispose (GObject *object)
{
  TesseraImageWindow *self = TESSERA_IMAGE_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (tessera_image_window_parent_class)->dispose (object);
}

static void
tessera_image_window_class_init (TesseraImageWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_image_window_dispose;

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
tessera_image_window_init (TesseraImageWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  self->cancellable = g_cancellable_new ();
  self->picture = GTK_PICTURE (gtk_picture_new ());
  gtk_picture_set_can_shrink (self->picture, TRUE);
  gtk_picture_set_content_fit (self->picture, GTK_CONTENT_FIT_CONTAIN);
  gtk_picture_set_alternative_text (self->picture, _("Attached image"));
  gtk_widget_set_vexpand (GTK_WIDGET (self->picture), TRUE);
  gtk_widget_set_margin_start (GTK_WIDGET (self->picture), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self->picture), 12);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->picture), 12);

  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->picture));
  adw_window_set_content (ADW_WINDOW (self), box);

  gtk_window_set_title (GTK_WINDOW (self), _("Attached Image"));
  gtk_window_set_default_size (GTK_WINDOW (self), 900, 700);
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (self), TRUE);
}

GtkWidget *
tessera_image_window_new (TesseraImage *image,
                          GtkWindow    *parent)
{
  TesseraImageWindow *self;

  g_return_val_if_fail (TESSERA_IS_IMAGE (image), NULL);
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  self = g_object_new (TESSERA_TYPE_IMAGE_WINDOW, "transient-for", parent, NULL);
  tessera_image_texture_async (image, MAX_SIDE, FALSE, self->cancellable, texture_ready_cb, self);

  return GTK_WIDGET (self);
}
