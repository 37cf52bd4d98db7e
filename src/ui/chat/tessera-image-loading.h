/* tessera-image-loading.h: images for a prompt, read and scaled off the main thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "tessera-image.h"

G_BEGIN_DECLS

/* Reads @file as an image a provider takes: one larger than that (in
 * pixels or bytes), or in another format GdkPixbuf reads, is scaled to fit
 * TESSERA_IMAGE_MAX_SIDE and saved again as PNG (JPEG when that is still
 * too large). Fails with a translated message that names the file. */
void          tessera_image_load_file_async     (GFile               *file,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
/* The same for a pasted or dropped picture, as PNG. */
void          tessera_image_load_texture_async  (GdkTexture          *texture,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
TesseraImage *tessera_image_load_finish         (GAsyncResult        *result,
                                                 GError             **error);

/* @image at most @size pixels on its long side, or its middle square
 * at most @size pixels wide, to show it. */
void          tessera_image_texture_async       (TesseraImage        *image,
                                                 int                  size,
                                                 gboolean             square,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
GdkTexture   *tessera_image_texture_finish      (GAsyncResult        *result,
                                                 GError             **error);

/* A @size × @size thumbnail of @image (its middle square), which shows
 * once it is made. */
GtkWidget    *tessera_image_thumbnail_new       (TesseraImage        *image,
                                                 int                  size);

G_END_DECLS
