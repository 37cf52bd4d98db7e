/* tessera-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-application"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-application.h"
#include "tessera-window.h"

struct _TesseraApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (TesseraApplication, tessera_application, ADW_TYPE_APPLICATION)

static void
tessera_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (tessera_window_new (TESSERA_APPLICATION (app)));

  gtk_window_present (window);
}

static void
tessera_application_class_init (TesseraApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = tessera_application_activate;
}

static void
tessera_application_init (TesseraApplication *self)
{
}

TesseraApplication *
tessera_application_new (void)
{
  return g_object_new (TESSERA_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "resource-base-path", RESOURCE_BASE,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       NULL);
}
