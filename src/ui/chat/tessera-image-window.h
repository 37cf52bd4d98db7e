/* tessera-image-window.h: an attached image, large
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "tessera-image.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_IMAGE_WINDOW (tessera_image_window_get_type ())
G_DECLARE_FINAL_TYPE (TesseraImageWindow, tessera_image_window, TESSERA, IMAGE_WINDOW, AdwWindow)

/* A window over @parent that shows @image as large as it fits. */
GtkWidget *tessera_image_window_new (TesseraImage *image,
                                     GtkWindow    *parent);

G_END_DECLS
