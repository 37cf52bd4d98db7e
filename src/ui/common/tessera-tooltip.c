/* tessera-tooltip.c: tooltips set without a round trip to the display
 *
 * gtk_widget_set_tooltip_text() on a visible widget asks the display
 * where the pointer is (XIQueryPointer on X11, a synchronous round trip),
 * in case a tooltip for it is showing and needs updating. Widgets made or
 * updated as an answer streams in (action cards and their status) set
 * tooltips dozens of times a second, and under load each of those waits
 * for the X server. Here the text is kept with the widget and given to
 * GTK when it asks for the tooltip (GtkWidget::query-tooltip), and it is
 * the widget's accessible description, as GTK's own tooltips are.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "tessera-tooltip.h"

#define TOOLTIP_KEY "tessera-tooltip-text"

static gboolean
query_tooltip_cb (GtkWidget  *widget,
                  int         x,
                  int         y,
                  gboolean    keyboard,
                  GtkTooltip *tooltip,
                  gpointer    user_data)
{
  const char *text = g_object_get_data (G_OBJECT (widget), TOOLTIP_KEY);

  if (text == NULL)
    return FALSE;

  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

void
tessera_tooltip_set_text (GtkWidget  *widget,
                          const char *text)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  if (g_strcmp0 (text, g_object_get_data (G_OBJECT (widget), TOOLTIP_KEY)) == 0)
    return;

  if (g_signal_handler_find (widget, G_SIGNAL_MATCH_FUNC, 0, 0, NULL, query_tooltip_cb, NULL) == 0)
    g_signal_connect (widget, "query-tooltip", G_CALLBACK (query_tooltip_cb), NULL);

  g_object_set_data_full (G_OBJECT (widget), TOOLTIP_KEY, g_strdup (text), g_free);
  gtk_widget_set_has_tooltip (widget, text != NULL);
  if (text != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}
