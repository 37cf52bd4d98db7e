/* tessera-image.c: an image attached to a prompt
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Immutable once made, so that the conversation's worker threads may save
 * and send it while the UI shows it.
 */

#define G_LOG_DOMAIN "tessera-image"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "tessera-image.h"

struct _TesseraImage
{
  GObject     parent_instance;

  GBytes     *bytes;
  const char *mime_type;
  char       *name;
};

G_DEFINE_FINAL_TYPE (TesseraImage, tessera_image, G_TYPE_OBJECT)

typedef struct
{
  const char *mime_type;
  const char *extension;
  /* For "The file is not a … image." */
  const char *label;
  /* How every file of the format starts ('?': any byte): what a renamed
   * file or a mislabelled paste lacks, and what providers check. */
  const char *magic[2];
} Format;

static const Format formats[] = {
  { "image/png", "png", "PNG", { "\x89PNG\r\n\x1a\n" } },
  { "image/jpeg", "jpg", "JPEG", { "\xff\xd8\xff" } },
  { "image/webp", "webp", "WebP", { "RIFF????WEBP" } },
  { "image/gif", "gif", "GIF", { "GIF87a", "GIF89a" } },
};

static const Format *
find_format (const char *mime_type)
{
  if (mime_type != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
      if (g_ascii_strcasecmp (mime_type, formats[i].mime_type) == 0)
        return &formats[i];
  return NULL;
}

static gboolean
has_magic (const Format *format,
           const guint8 *data,
           gsize         len)
{
  for (guint i = 0; i < G_N_ELEMENTS (format->magic) && format->magic[i] != NULL; i++)
    {
      const char *magic = format->magic[i];
      gsize n = strlen (magic);
      gsize j;

      for (j = 0; j < n && j < len; j++)
        if (magic[j] != '?' && (guint8)magic[j] != data[j])
          break;
      if (j == n)
        return TRUE;
    }
  return FALSE;
}

static void
tessera_image_finalize (GObject *object)
{
  TesseraImage *self = (TesseraImage *)object;

  g_bytes_unref (self->bytes);
  g_free (self->name);

  G_OBJECT_CLASS (tessera_image_parent_class)->finalize (object);
}

static void
tessera_image_class_init (TesseraImageClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tessera_image_finalize;
}

static void
tessera_image_init (TesseraImage *self)
{
}

gboolean
tessera_image_type_is_supported (const char *mime_type)
{
  return find_format (mime_type) != NULL;
}

TesseraImage *
tessera_image_new (GBytes      *bytes,
                   const char  *mime_type,
                   GError     **error)
{
  const Format *format = find_format (mime_type);
  TesseraImage *self;
  g_autofree char *hash = NULL;
  const guint8 *data;
  gsize len;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (format == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("Tessera can attach PNG, JPEG, WebP and GIF images."));
      return NULL;
    }

  data = g_bytes_get_data (bytes, &len);
  if (len > TESSERA_IMAGE_MAX_BYTES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   _("The image is larger than %d MB."), TESSERA_IMAGE_MAX_BYTES / (1024 * 1024));
      return NULL;
    }
  if (!has_magic (format, data, len))
    {
      /* TRANSLATORS: %s is an image format: PNG, JPEG, WebP or GIF. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The file is not a %s image."), format->label);
      return NULL;
    }

  self = g_object_new (TESSERA_TYPE_IMAGE, NULL);
  self->bytes = g_bytes_ref (bytes);
  self->mime_type = format->mime_type;
  /* Computed here, once: the name is what saving and loading compare. */
  hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  self->name = g_strconcat (hash, ".", format->extension, NULL);
  return self;
}

GBytes *
tessera_image_get_bytes (TesseraImage *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE (self), NULL);
  return self->bytes;
}

const char *
tessera_image_get_mime_type (TesseraImage *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE (self), NULL);
  return self->mime_type;
}

const char *
tessera_image_get_name (TesseraImage *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE (self), NULL);
  return self->name;
}

char *
tessera_image_dup_data_url (TesseraImage *self)
{
  g_autofree char *base64 = NULL;
  const guint8 *data;
  gsize len;

  g_return_val_if_fail (TESSERA_IS_IMAGE (self), NULL);

  data = g_bytes_get_data (self->bytes, &len);
  base64 = g_base64_encode (data, len);
  return g_strconcat ("data:", self->mime_type, ";base64,", base64, NULL);
}
