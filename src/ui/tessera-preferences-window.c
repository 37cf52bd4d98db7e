/* tessera-preferences-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-preferences-window.h"
#include "tessera-providers-page.h"

struct _TesseraPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;

  AdwComboRow          *style_row;
  GtkFontButton        *font_button;
  GtkSpinButton        *tab_width_spin;
  GtkSwitch            *spaces_switch;
  GtkSwitch            *line_numbers_switch;
  GtkSwitch            *wrap_switch;
  GtkSpinButton        *memory_spin;
  GtkSpinButton        *cpu_spin;
};

G_DEFINE_FINAL_TYPE (TesseraPreferencesWindow, tessera_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static gboolean
enum_to_selected (GValue   *value,
                  GVariant *variant,
                  gpointer  user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);
  guint selected = 0;

  if (g_strcmp0 (nick, "light") == 0)
    selected = 1;
  else if (g_strcmp0 (nick, "dark") == 0)
    selected = 2;

  g_value_set_uint (value, selected);
  return TRUE;
}

static GVariant *
selected_to_enum (const GValue       *value,
                  const GVariantType *type,
                  gpointer            user_data)
{
  static const char *nicks[] = { "follow", "light", "dark" };
  guint selected = g_value_get_uint (value);

  return g_variant_new_string (nicks[MIN (selected, G_N_ELEMENTS (nicks) - 1)]);
}

static void
tessera_preferences_window_dispose (GObject *object)
{
  TesseraPreferencesWindow *self = TESSERA_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (tessera_preferences_window_parent_class)->dispose (object);
}

static void
tessera_preferences_window_class_init (TesseraPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_preferences_window_dispose;

  g_type_ensure (TESSERA_TYPE_PROVIDERS_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/tessera-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraPreferencesWindow, style_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreferencesWindow, font_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreferencesWindow, tab_width_spin);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreferencesWindow, spaces_switch);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreferencesWindow, line_numbers_switch);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreferencesWindow, wrap_switch);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreferencesWindow, memory_spin);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreferencesWindow, cpu_spin);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
tessera_preferences_window_init (TesseraPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (SCHEMA_ID);

  g_settings_bind_with_mapping (self->settings, "color-scheme", self->style_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, enum_to_selected, selected_to_enum, NULL, NULL);
  g_settings_bind (self->settings, "editor-font", self->font_button, "font", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "tab-width", self->tab_width_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "insert-spaces", self->spaces_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "show-line-numbers", self->line_numbers_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "wrap-text", self->wrap_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "sandbox-memory-limit-mb", self->memory_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "sandbox-cpu-limit-seconds", self->cpu_spin, "value", G_SETTINGS_BIND_DEFAULT);
}

TesseraPreferencesWindow *
tessera_preferences_window_new (TesseraApplication *application)
{
  return g_object_new (TESSERA_TYPE_PREFERENCES_WINDOW, NULL);
}
