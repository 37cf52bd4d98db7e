/* tessera-ui-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "tessera-project.h"
#include "tessera-ui-util.h"

char *
tessera_ui_display_path (const char *path)
{
  const char *home = g_get_home_dir ();
  g_autofree char *display = g_filename_display_name (path);
  gsize home_len = strlen (home);

  if (home_len > 1 && g_str_has_prefix (display, home) && display[home_len] == '/')
    return g_strconcat ("~", display + home_len, NULL);

  return g_steal_pointer (&display);
}

GFile *
tessera_ui_project_root_for (GFile *location)
{
  g_autofree char *basename = g_file_get_basename (location);

  if (basename != NULL && g_str_has_suffix (basename, TESSERA_PROJECT_MANIFEST_SUFFIX))
    return g_file_get_parent (location);

  return g_object_ref (location);
}
