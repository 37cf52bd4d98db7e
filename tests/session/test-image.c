/* test-image.c: an image attached to a prompt
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "tessera-image.h"
#include "tiny-pngs.h"

static TesseraImage *
image_from (const void  *data,
            gsize        len,
            const char  *mime_type,
            GError     **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);

  return tessera_image_new (bytes, mime_type, error);
}

static void
test_types (void)
{
  g_assert_true (tessera_image_type_is_supported ("image/png"));
  g_assert_true (tessera_image_type_is_supported ("image/jpeg"));
  g_assert_true (tessera_image_type_is_supported ("image/webp"));
  g_assert_true (tessera_image_type_is_supported ("image/gif"));
  /* MIME types are case-insensitive. */
  g_assert_true (tessera_image_type_is_supported ("Image/PNG"));
  g_assert_false (tessera_image_type_is_supported ("image/bmp"));
  g_assert_false (tessera_image_type_is_supported ("image/svg+xml"));
  g_assert_false (tessera_image_type_is_supported ("text/plain"));
  g_assert_false (tessera_image_type_is_supported (""));
  g_assert_false (tessera_image_type_is_supported (NULL));
}

static void
test_png (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraImage) image = image_from (red_png, sizeof red_png, "Image/PNG", &error);
  g_autofree char *hash = g_compute_checksum_for_data (G_CHECKSUM_SHA256, red_png, sizeof red_png);
  g_autofree char *name = g_strconcat (hash, ".png", NULL);
  g_autofree char *base64 = g_base64_encode (red_png, sizeof red_png);
  g_autofree char *url = g_strconcat ("data:image/png;base64,", base64, NULL);
  g_autofree char *data_url = NULL;
  gsize len;
  const guint8 *data;

  g_assert_no_error (error);
  g_assert_nonnull (image);
  g_assert_cmpstr (tessera_image_get_mime_type (image), ==, "image/png");
  data = g_bytes_get_data (tessera_image_get_bytes (image), &len);
  g_assert_cmpmem (data, len, red_png, sizeof red_png);

  /* The SHA-256 of the bytes, in lowercase hex, and the type's extension. */
  g_assert_cmpstr (tessera_image_get_name (image), ==, name);
  g_assert_cmpstr (name, ==, "49e1dad481e94dfab7c9573a9a81d56aa2ca629fe15a3f7a910aa4f47601c00d.png");

  data_url = tessera_image_dup_data_url (image);
  g_assert_cmpstr (data_url, ==, url);
}

static void
test_formats (void)
{
  static const struct {
    const char *mime_type;
    const char *data;
    gsize       len;
    const char *extension;
  } good[] = {
    { "image/jpeg", "\xff\xd8\xff\xe0\0\x10JFIF", 10, ".jpg" },
    { "image/webp", "RIFF\x1a\0\0\0WEBPVP8L", 16, ".webp" },
    { "image/gif", "GIF87a\x01\0\x01\0", 10, ".gif" },
    { "image/gif", "GIF89a\x01\0\x01\0", 10, ".gif" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TesseraImage) image = image_from (good[i].data, good[i].len, good[i].mime_type, &error);
      g_autofree char *hash = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guint8 *)good[i].data, good[i].len);
      g_autofree char *name = g_strconcat (hash, good[i].extension, NULL);

      g_assert_no_error (error);
      g_assert_cmpstr (tessera_image_get_mime_type (image), ==, good[i].mime_type);
      g_assert_cmpstr (tessera_image_get_name (image), ==, name);
    }
}

static void
test_errors (void)
{
  static const struct {
    const char *mime_type;
    const char *data;
    gsize       len;
    const char *message;
  } bad[] = {
    /* Another format's bytes. */
    { "image/jpeg", (const char *)red_png, sizeof red_png, "The file is not a JPEG image." },
    { "image/gif", (const char *)red_png, sizeof red_png, "The file is not a GIF image." },
    { "image/png", "\xff\xd8\xff\xe0", 4, "The file is not a PNG image." },
    /* A RIFF file that is not WebP (a WAV file). */
    { "image/webp", "RIFF\x1a\0\0\0WAVEfmt ", 16, "The file is not a WebP image." },
    { "image/gif", "GIF88a\x01\0", 8, "The file is not a GIF image." },
    /* Cut short of the magic, or empty. */
    { "image/png", "\x89PNG\r\n", 6, "The file is not a PNG image." },
    { "image/webp", "RIFF\x1a\0\0\0WEB", 11, "The file is not a WebP image." },
    { "image/png", "", 0, "The file is not a PNG image." },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraImage) image = NULL;
  g_autofree guint8 *large = NULL;

  image = image_from (red_png, sizeof red_png, "image/bmp", &error);
  g_assert_null (image);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_cmpstr (error->message, ==, "Tessera can attach PNG, JPEG, WebP and GIF images.");
  g_clear_error (&error);

  /* One byte past the limit, with a good PNG start. */
  large = g_malloc0 (TESSERA_IMAGE_MAX_BYTES + 1);
  memcpy (large, red_png, sizeof red_png);
  image = image_from (large, TESSERA_IMAGE_MAX_BYTES + 1, "image/png", &error);
  g_assert_null (image);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_assert_cmpstr (error->message, ==, "The image is larger than 5 MB.");
  g_clear_error (&error);
  /* At the limit it is taken. */
  image = image_from (large, TESSERA_IMAGE_MAX_BYTES, "image/png", &error);
  g_assert_no_error (error);
  g_assert_nonnull (image);
  g_clear_object (&image);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      image = image_from (bad[i].data, bad[i].len, bad[i].mime_type, &error);
      g_assert_null (image);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_cmpstr (error->message, ==, bad[i].message);
      g_clear_error (&error);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/image/types", test_types);
  g_test_add_func ("/image/png", test_png);
  g_test_add_func ("/image/formats", test_formats);
  g_test_add_func ("/image/errors", test_errors);

  return g_test_run ();
}
