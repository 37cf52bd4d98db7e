/* test-app-icon.c: the uninstalled app finds its own icons
 *
 * build-aux/run starts Tessera from the build folder with <build>/data/share
 * first in XDG_DATA_DIRS. This checks, with GTK's real icon theme, that the
 * icons staged there are the ones the window and the shell would show.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gtk/gtk.h>

static void
assert_staged_icon (const char *icon_name,
                    gboolean    symbolic)
{
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (gdk_display_get_default ());
  g_autoptr(GtkIconPaintable) paintable = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFile) staged_root = g_file_new_for_path (STAGED_DATA_DIR);
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *path = NULL;

  g_assert_true (gtk_icon_theme_has_icon (theme, icon_name));

  paintable = gtk_icon_theme_lookup_icon (theme, icon_name, NULL, 128, 1,
                                          GTK_TEXT_DIR_NONE, 0);
  g_assert_nonnull (paintable);
  g_assert_cmpint (gtk_icon_paintable_is_symbolic (paintable), ==, symbolic);

  /* An icon installed system-wide under the same name must not hide a
   * missing staged copy. */
  file = gtk_icon_paintable_get_file (paintable);
  g_assert_nonnull (file);
  path = g_file_get_path (file);
  g_assert_true (g_file_has_prefix (file, staged_root));
  g_assert_true (g_str_has_suffix (path, symbolic ? "-symbolic.svg" : ".svg"));

  bytes = g_file_load_bytes (file, NULL, NULL, NULL);
  g_assert_nonnull (bytes);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "<svg"));
}

static void
test_app_icon (void)
{
  assert_staged_icon (APP_ID, FALSE);
}

static void
test_symbolic_icon (void)
{
  assert_staged_icon (APP_ID "-symbolic", TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gtk_init ();

  g_test_add_func ("/data/icon/app", test_app_icon);
  g_test_add_func ("/data/icon/symbolic", test_symbolic_icon);

  return g_test_run ();
}
