/* tessera-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-window"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-window.h"

struct _TesseraWindow
{
  AdwApplicationWindow parent_instance;
};

G_DEFINE_FINAL_TYPE (TesseraWindow, tessera_window, ADW_TYPE_APPLICATION_WINDOW)

static void
tessera_window_class_init (TesseraWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/tessera-window.ui");
}

static void
tessera_window_init (TesseraWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

TesseraWindow *
tessera_window_new (TesseraApplication *application)
{
  return g_object_new (TESSERA_TYPE_WINDOW, "application", application, NULL);
}
