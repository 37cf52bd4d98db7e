/* tessera-image.h: an image attached to a prompt
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What every provider takes: at most this many bytes an image (Anthropic's
 * limit) and this many pixels on its long side (past it, providers scale
 * the image down themselves, and the tokens are spent all the same). */
#define TESSERA_IMAGE_MAX_BYTES (5 * 1024 * 1024)
#define TESSERA_IMAGE_MAX_SIDE 1568

/* Each image counts for this many tokens in a request's budget: about
 * what a TESSERA_IMAGE_MAX_SIDE image costs at Anthropic and OpenAI. */
#define TESSERA_IMAGE_TOKENS 1600

#define TESSERA_TYPE_IMAGE (tessera_image_get_type ())
G_DECLARE_FINAL_TYPE (TesseraImage, tessera_image, TESSERA, IMAGE, GObject)

/* PNG, JPEG, WebP and GIF: the formats every provider takes. */
gboolean      tessera_image_type_is_supported (const char   *mime_type);

/* @bytes of an image in @mime_type. Returns NULL with a translated
 * G_IO_ERROR_NOT_SUPPORTED for another type, G_IO_ERROR_MESSAGE_TOO_LARGE
 * past TESSERA_IMAGE_MAX_BYTES, and G_IO_ERROR_INVALID_DATA when the
 * bytes do not start as that type's files do. */
TesseraImage *tessera_image_new               (GBytes       *bytes,
                                               const char   *mime_type,
                                               GError      **error);

GBytes       *tessera_image_get_bytes         (TesseraImage *self);
const char   *tessera_image_get_mime_type     (TesseraImage *self);
/* The file it is kept in under the project's .tessera/chat/attachments: its
 * SHA-256 in hex and its type's extension ("….png"). */
const char   *tessera_image_get_name          (TesseraImage *self);
/* "data:MIME;base64,…", as tessera_llm_request_add_message_with_images()
 * takes it. */
char         *tessera_image_dup_data_url      (TesseraImage *self);

G_END_DECLS
