/* tessera-image-loading.c: images for a prompt, read and scaled off the main thread
 *
 * Decoding a screenshot takes tens of milliseconds, and scaling it more:
 * all of it happens in a worker thread, and the window only gets the
 * finished TesseraImage, or a small texture to show.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-image-loading"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-image-loading.h"

/* Past this a file is not read at all: no picture worth sending is larger. */
#define MAX_FILE_BYTES (64 * 1024 * 1024)

/* The picture in @bytes, upright, or NULL when GdkPixbuf cannot read it. */
static GdkPixbuf *
decode (GBytes *bytes)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  GdkPixbuf *pixbuf;

  if (!gdk_pixbuf_loader_write_bytes (loader, bytes, NULL) || !gdk_pixbuf_loader_close (loader, NULL))
    return NULL;

  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  /* A photo's EXIF orientation, as viewers show it. */
  return pixbuf != NULL ? gdk_pixbuf_apply_embedded_orientation (pixbuf) : NULL;
}

static GdkPixbuf *
scale_to_fit (GdkPixbuf *pixbuf,
              int        size)
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  double scale = (double) size / MAX (width, height);

  if (scale >= 1)
    return g_object_ref (pixbuf);

  return gdk_pixbuf_scale_simple (pixbuf, MAX (1, (int) (width * scale + 0.5)),
                                  MAX (1, (int) (height * scale + 0.5)), GDK_INTERP_BILINEAR);
}

/* @bytes (@mime_type, from @name) as an image a provider takes. */
static TesseraImage *
prepare (GBytes      *bytes,
         const char  *mime_type,
         const char  *name,
         GError     **error)
{
  g_autoptr(GdkPixbuf) pixbuf = decode (bytes);
  g_autoptr(GdkPixbuf) scaled = NULL;
  g_autofree char *buffer = NULL;
  gsize length = 0;
  const char *type = "image/png";
  gboolean supported = tessera_image_type_is_supported (mime_type);

  if (pixbuf == NULL)
    {
      /* A WebP file, say, where no GdkPixbuf loader reads it: the
       * providers still do. */
      if (supported && g_bytes_get_size (bytes) <= TESSERA_IMAGE_MAX_BYTES)
        return tessera_image_new (bytes, mime_type, error);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("“%s” is not an image Tessera can read."), name);
      return NULL;
    }

  if (supported && g_bytes_get_size (bytes) <= TESSERA_IMAGE_MAX_BYTES &&
      MAX (gdk_pixbuf_get_width (pixbuf), gdk_pixbuf_get_height (pixbuf)) <= TESSERA_IMAGE_MAX_SIDE)
    return tessera_image_new (bytes, mime_type, error);

  scaled = scale_to_fit (pixbuf, TESSERA_IMAGE_MAX_SIDE);
  if (!gdk_pixbuf_save_to_buffer (scaled, &buffer, &length, "png", error, NULL))
    return NULL;
  /* A photo as PNG can still be too large; as JPEG it is not (the saver
   * leaves out transparency). */
  if (length > TESSERA_IMAGE_MAX_BYTES)
    {
      g_clear_pointer (&buffer, g_free);
      if (!gdk_pixbuf_save_to_buffer (scaled, &buffer, &length, "jpeg", error, "quality", "85", NULL))
        return NULL;
      type = "image/jpeg";
    }

  {
    g_autoptr(GBytes) encoded = g_bytes_new_take (g_steal_pointer (&buffer), length);

    return tessera_image_new (encoded, type, error);
  }
}

static void
return_image (GTask        *task,
              TesseraImage *image,
              GError       *error)
{
  if (image == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, image, g_object_unref);
}

static void
run_load (gpointer             source_tag,
          gpointer             data,
          GTaskThreadFunc      thread,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, g_object_ref (data), g_object_unref);
  g_task_run_in_thread (task, thread);
}

static void
load_file_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *mime_type = NULL;
  const char *name;
  GError *error = NULL;
  TesseraImage *image;

  info = g_file_query_info (file,
                            G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME ","
                            G_FILE_ATTRIBUTE_STANDARD_CONTENT_TYPE ","
                            G_FILE_ATTRIBUTE_STANDARD_SIZE,
                            G_FILE_QUERY_INFO_NONE, cancellable, &error);
  if (info == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  name = g_file_info_get_display_name (info);
  mime_type = g_content_type_get_mime_type (g_file_info_get_content_type (info));
  if (mime_type == NULL || !g_str_has_prefix (mime_type, "image/"))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("“%s” is not an image. Tessera can attach PNG, JPEG, WebP and GIF images."),
                               name);
      return;
    }
  if (g_file_info_get_size (info) > MAX_FILE_BYTES)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                               _("“%s” is too large to attach."), name);
      return;
    }

  bytes = g_file_load_bytes (file, cancellable, NULL, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  image = prepare (bytes, mime_type, name, &error);
  return_image (task, image, error);
}

void
tessera_image_load_file_async (GFile               *file,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (G_IS_FILE (file));

  run_load (tessera_image_load_file_async, file, load_file_thread, cancellable, callback, user_data);
}

static void
load_texture_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  g_autoptr(GBytes) bytes = gdk_texture_save_to_png_bytes (task_data);
  GError *error = NULL;
  TesseraImage *image = prepare (bytes, "image/png", _("The pasted image"), &error);

  return_image (task, image, error);
}

void
tessera_image_load_texture_async (GdkTexture          *texture,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (GDK_IS_TEXTURE (texture));

  run_load (tessera_image_load_texture_async, texture, load_texture_thread, cancellable, callback, user_data);
}

TesseraImage *
tessera_image_load_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  int      size;
  gboolean square;
} TextureRequest;

static void
texture_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  TesseraImage *image = source_object;
  TextureRequest *request = task_data;
  g_autoptr(GdkPixbuf) pixbuf = decode (tessera_image_get_bytes (image));
  g_autoptr(GdkPixbuf) scaled = NULL;

  if (pixbuf == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "No GdkPixbuf loader reads %s", tessera_image_get_mime_type (image));
      return;
    }

  /* The middle square of it, as a thumbnail shows a picture. */
  if (request->square)
    {
      int width = gdk_pixbuf_get_width (pixbuf);
      int height = gdk_pixbuf_get_height (pixbuf);
      int side = MIN (width, height);
      GdkPixbuf *square = gdk_pixbuf_new_subpixbuf (pixbuf, (width - side) / 2, (height - side) / 2, side, side);

      g_object_unref (pixbuf);
      pixbuf = square;
    }

  scaled = scale_to_fit (pixbuf, request->size);
  g_task_return_pointer (task, gdk_texture_new_for_pixbuf (scaled), g_object_unref);
}

void
tessera_image_texture_async (TesseraImage        *image,
                             int                  size,
                             gboolean             square,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  TextureRequest *request;

  g_return_if_fail (TESSERA_IS_IMAGE (image));
  g_return_if_fail (size > 0);

  request = g_new (TextureRequest, 1);
  request->size = size;
  request->square = square;
  task = g_task_new (image, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_image_texture_async);
  g_task_set_task_data (task, request, g_free);
  g_task_run_in_thread (task, texture_thread);
}

GdkTexture *
tessera_image_texture_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
thumbnail_ready_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GtkImage) view = user_data;
  g_autoptr(GdkTexture) texture = tessera_image_texture_finish (result, NULL);

  /* Sent all the same, but not shown: a generic picture instead. */
  if (texture == NULL)
    gtk_image_set_from_icon_name (view, "image-x-generic-symbolic");
  else
    gtk_image_set_from_paintable (view, GDK_PAINTABLE (texture));
}

GtkWidget *
tessera_image_thumbnail_new (TesseraImage *image,
                             int           size)
{
  GtkWidget *view;

  g_return_val_if_fail (TESSERA_IS_IMAGE (image), NULL);

  view = gtk_image_new ();
  gtk_image_set_pixel_size (GTK_IMAGE (view), size);
  gtk_widget_set_overflow (view, GTK_OVERFLOW_HIDDEN);
  gtk_widget_add_css_class (view, "tessera-attached-image");
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Attached image"), -1);

  /* Sharp on a high-resolution screen too. */
  tessera_image_texture_async (image, size * MAX (2, gtk_widget_get_scale_factor (view)), TRUE, NULL,
                               thumbnail_ready_cb, g_object_ref (view));

  return view;
}
