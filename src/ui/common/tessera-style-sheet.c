/* tessera-style-sheet.c: an area's style sheet, added once
 *
 * Each area (chat, editor, preview) keeps its CSS in its own resource.
 * Every widget of an area that the sheet styles asks for it when it is
 * made, so that none is shown unstyled because another was made first.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "tessera-style-sheet.h"

/* Adds the sheet at @resource_path to the default display, at the
 * application's priority, the first time it is asked for there. */
void
tessera_style_sheet_ensure (const char *resource_path)
{
  GdkDisplay *display = gdk_display_get_default ();
  g_autoptr(GtkCssProvider) provider = NULL;

  g_return_if_fail (resource_path != NULL);

  if (display == NULL || g_object_get_data (G_OBJECT (display), resource_path) != NULL)
    return;

  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, resource_path);
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_set_data_full (G_OBJECT (display), resource_path, g_steal_pointer (&provider), g_object_unref);
}
