/* tessera-start-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-start-page"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-start-page.h"
#include "tessera-ui-util.h"

struct _TesseraStartPage
{
  GtkWidget             parent_instance;

  GSettings            *settings;

  GtkScrolledWindow    *scroller;
  GtkImage             *app_icon;
  AdwPreferencesGroup  *recent_group;
  GtkListBox           *recent_list;
};

G_DEFINE_FINAL_TYPE (TesseraStartPage, tessera_start_page, GTK_TYPE_WIDGET)

static GtkWidget *
recent_row_new (const char *path)
{
  g_autofree char *basename = g_path_get_basename (path);
  g_autofree char *name = g_filename_display_name (basename);
  g_autofree char *subtitle = tessera_ui_display_path (path);
  g_autofree char *remove_label = g_strdup_printf (_("Remove “%s” From Recent Projects"), name);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *remove = gtk_button_new_from_icon_name ("edit-delete-symbolic");
  GtkWidget *arrow = gtk_image_new_from_icon_name ("go-next-symbolic");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "win.open-recent");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", path);

  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_tooltip_text (remove, remove_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, remove_label,
                                  -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (remove), "win.remove-recent");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (remove), "s", path);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), arrow);

  return row;
}

static void
reload_recent (TesseraStartPage *self)
{
  g_auto(GStrv) recent = g_settings_get_strv (self->settings, "recent-projects");
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->recent_list))))
    gtk_list_box_remove (self->recent_list, child);

  for (guint i = 0; recent[i] != NULL; i++)
    gtk_list_box_append (self->recent_list, recent_row_new (recent[i]));

  gtk_widget_set_visible (GTK_WIDGET (self->recent_group), recent[0] != NULL);
}

static void
tessera_start_page_dispose (GObject *object)
{
  TesseraStartPage *self = TESSERA_START_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_START_PAGE);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (tessera_start_page_parent_class)->dispose (object);
}

static void
tessera_start_page_class_init (TesseraStartPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_start_page_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/tessera-start-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraStartPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, TesseraStartPage, app_icon);
  gtk_widget_class_bind_template_child (widget_class, TesseraStartPage, recent_group);
  gtk_widget_class_bind_template_child (widget_class, TesseraStartPage, recent_list);
}

static void
tessera_start_page_init (TesseraStartPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_image_set_from_icon_name (self->app_icon, APP_ID);

  self->settings = g_settings_new (SCHEMA_ID);
  g_signal_connect_object (self->settings, "changed::recent-projects",
                           G_CALLBACK (reload_recent), self, G_CONNECT_SWAPPED);
  reload_recent (self);
}
