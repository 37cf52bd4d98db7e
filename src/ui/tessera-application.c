/* tessera-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-application"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-application.h"
#include "tessera-preferences-window.h"
#include "tessera-ui-util.h"
#include "tessera-window.h"

#define MAX_RECENT_PROJECTS 12

struct _TesseraApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
};

G_DEFINE_FINAL_TYPE (TesseraApplication, tessera_application, ADW_TYPE_APPLICATION)

static const GOptionEntry main_entries[] = {
  { "prompt", 'p', 0, G_OPTION_ARG_STRING, NULL,
    N_("Send TEXT to the AI as the project’s next message (creates the project when the folder is missing or empty)"),
    N_("TEXT") },
  { "new-window", 'n', 0, G_OPTION_ARG_NONE, NULL, N_("Open a new window"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and exit"), NULL },
  { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, NULL, NULL, N_("[PROJECT]") },
  { NULL }
};

GSettings *
tessera_application_get_settings (TesseraApplication *self)
{
  g_return_val_if_fail (TESSERA_IS_APPLICATION (self), NULL);

  return self->settings;
}

static TesseraWindow *
find_window_for_root (TesseraApplication *self,
                      GFile              *root)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    {
      GFile *window_root;

      if (!TESSERA_IS_WINDOW (l->data))
        continue;

      window_root = tessera_window_get_root (l->data);
      if (window_root != NULL && g_file_equal (window_root, root))
        return l->data;
    }

  return NULL;
}

static TesseraWindow *
find_empty_window (TesseraApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    {
      if (TESSERA_IS_WINDOW (l->data) && tessera_window_is_empty (l->data))
        return l->data;
    }

  return NULL;
}

void
tessera_application_open_project (TesseraApplication *self,
                                  GFile              *location,
                                  const char         *prompt)
{
  g_autoptr(GFile) root = NULL;
  TesseraWindow *window;

  g_return_if_fail (TESSERA_IS_APPLICATION (self));
  g_return_if_fail (G_IS_FILE (location));

  root = tessera_ui_project_root_for (location);

  /* One window per project: opening it again presents that window. */
  if ((window = find_window_for_root (self, root)) == NULL)
    {
      if ((window = find_empty_window (self)) == NULL)
        window = tessera_window_new (self);
      tessera_window_open_project (window, location, prompt != NULL);
    }

  if (prompt != NULL)
    tessera_window_queue_prompt (window, prompt);

  gtk_window_present (GTK_WINDOW (window));
}

void
tessera_application_add_recent (TesseraApplication *self,
                                GFile              *root)
{
  g_autofree char *path = NULL;
  g_auto(GStrv) old = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) recent = NULL;
  guint count = 1;

  g_return_if_fail (TESSERA_IS_APPLICATION (self));

  if ((path = g_file_get_path (root)) == NULL)
    return;

  old = g_settings_get_strv (self->settings, "recent-projects");
  builder = g_strv_builder_new ();
  g_strv_builder_add (builder, path);
  for (guint i = 0; old[i] != NULL && count < MAX_RECENT_PROJECTS; i++)
    {
      if (g_strcmp0 (old[i], path) == 0)
        continue;
      g_strv_builder_add (builder, old[i]);
      count++;
    }

  recent = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "recent-projects", (const char * const *) recent);
}

void
tessera_application_remove_recent (TesseraApplication *self,
                                   const char         *path)
{
  g_auto(GStrv) old = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) recent = NULL;

  g_return_if_fail (TESSERA_IS_APPLICATION (self));

  old = g_settings_get_strv (self->settings, "recent-projects");
  builder = g_strv_builder_new ();
  for (guint i = 0; old[i] != NULL; i++)
    {
      if (g_strcmp0 (old[i], path) != 0)
        g_strv_builder_add (builder, old[i]);
    }

  recent = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "recent-projects", (const char * const *) recent);
}

static void
tessera_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (tessera_window_new (TESSERA_APPLICATION (app)));

  gtk_window_present (window);
}

static void
tessera_application_open (GApplication  *app,
                          GFile        **files,
                          int            n_files,
                          const char    *hint)
{
  for (int i = 0; i < n_files; i++)
    tessera_application_open_project (TESSERA_APPLICATION (app), files[i], NULL);
}

static int
tessera_application_handle_local_options (GApplication *app,
                                          GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("%s %s\n", "Tessera", PACKAGE_VERSION);
      return 0;
    }

  return -1;
}

/* Runs in the primary instance, also for a command line typed while
 * Tessera is already running: the prompt goes to that instance. */
static int
tessera_application_command_line (GApplication            *app,
                                  GApplicationCommandLine *command_line)
{
  TesseraApplication *self = TESSERA_APPLICATION (app);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  g_autofree char *prompt = NULL;
  g_autofree const char **paths = NULL;

  g_variant_dict_lookup (options, "prompt", "s", &prompt);
  g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&ay", &paths);

  /* An empty prompt (the desktop file's "New App from Prompt") asks for
   * one. */
  if (prompt != NULL && *prompt == '\0')
    {
      g_action_group_activate_action (G_ACTION_GROUP (self), "new-app-from-prompt", NULL);
      return 0;
    }

  if (paths != NULL && paths[0] != NULL)
    {
      for (guint i = 0; paths[i] != NULL; i++)
        {
          g_autoptr(GFile) file = g_application_command_line_create_file_for_arg (command_line, paths[i]);

          tessera_application_open_project (self, file, prompt);
        }
    }
  else if (g_variant_dict_contains (options, "new-window"))
    {
      gtk_window_present (GTK_WINDOW (tessera_window_new (self)));
    }
  else
    {
      g_application_activate (app);

      if (prompt != NULL)
        {
          GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

          /* A prompt without a folder starts a new project from it. */
          tessera_window_new_project_from_prompt (TESSERA_WINDOW (window), prompt);
        }
    }

  return 0;
}

static void
apply_color_scheme (TesseraApplication *self)
{
  static const AdwColorScheme schemes[] = {
    ADW_COLOR_SCHEME_DEFAULT,
    ADW_COLOR_SCHEME_FORCE_LIGHT,
    ADW_COLOR_SCHEME_FORCE_DARK,
  };
  int scheme = g_settings_get_enum (self->settings, "color-scheme");

  if (scheme < 0 || scheme >= (int) G_N_ELEMENTS (schemes))
    scheme = 0;

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), schemes[scheme]);
}

static void
show_about (GSimpleAction *action,
            GVariant      *param,
            gpointer       user_data)
{
  TesseraApplication *self = user_data;
  static const char *developers[] = { "The Tessera developers", NULL };
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  adw_show_about_window (parent,
                         "application-name", _("Tessera"),
                         "application-icon", APP_ID,
                         "developer-name", _("The Tessera developers"),
                         "developers", developers,
                         "version", PACKAGE_VERSION,
                         "website", "https://github.com/tessera/tessera",
                         "issue-url", "https://github.com/tessera/tessera/issues",
                         "comments", _("Describe a web app, watch it being written, and see it running beside its code."),
                         "copyright", "© 2026 The Tessera developers",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         /* Translators: put your names here, one per line. */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
show_preferences (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  TesseraApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  TesseraPreferencesWindow *prefs = tessera_preferences_window_new (self);

  gtk_window_set_transient_for (GTK_WINDOW (prefs), parent);
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
new_app_from_prompt (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  TesseraApplication *self = user_data;
  TesseraWindow *window = NULL;

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    {
      if (TESSERA_IS_WINDOW (l->data) && tessera_window_is_empty (l->data))
        window = l->data;
    }

  if (window == NULL)
    window = tessera_window_new (self);

  gtk_window_present (GTK_WINDOW (window));
  tessera_window_ask_for_prompt (window);
}

static void
new_window (GSimpleAction *action,
            GVariant      *param,
            gpointer       user_data)
{
  gtk_window_present (GTK_WINDOW (tessera_window_new (user_data)));
}

static void
quit (GSimpleAction *action,
      GVariant      *param,
      gpointer       user_data)
{
  TesseraApplication *self = user_data;

  /* Close every window through its own close request, so unsaved work is
   * asked about; the application ends when the last window is gone. */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; )
    {
      GtkWindow *window = l->data;

      l = l->next;
      gtk_window_close (window);
    }
}

static const GActionEntry app_actions[] = {
  { "about", show_about },
  { "preferences", show_preferences },
  { "new-window", new_window },
  { "new-app-from-prompt", new_app_from_prompt },
  { "quit", quit },
};

/* TRUE when the system has a GPU that OpenGL can use (a DRM render node). */
static gboolean
has_render_node (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/dev/dri", 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "renderD"))
      return TRUE;

  return FALSE;
}

static void
tessera_application_startup (GApplication *app)
{
  TesseraApplication *self = TESSERA_APPLICATION (app);
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.preferences", { "<Control>comma", NULL } },
    { "app.new-window", { "<Control><Shift>n", NULL } },
    { "app.quit", { "<Control>q", NULL } },
    { "win.new-project", { "<Control>n", NULL } },
    { "win.open-project", { "<Control>o", NULL } },
    { "win.toggle-chat", { "<Control><Shift>c", "F9", NULL } },
    { "win.toggle-preview", { "<Control><Shift>p", NULL } },
    { "win.toggle-run", { "<Control><Shift>r", NULL } },
    { "win.pick-element", { "<Control><Shift>e", NULL } },
    { "win.undo-turn", { "<Control><Alt>z", NULL } },
    { "win.close", { "<Control><Shift>w", NULL } },
  };

  /* Without a GPU (a virtual machine, a remote session), OpenGL is
   * Mesa's software rasteriser, which redraws the whole window on every
   * core for each frame; GTK's cairo renderer draws only what changed.
   * Under Xvfb a streamed 1 MB answer took 2.5 s with GL and 1.25 s with
   * cairo (bench-chat), and a previewed project's process tree about
   * 70 MiB less memory (bench-preview). GTK reads the
   * variable when it makes the first window's renderer, after this; one
   * set by the user wins. */
  if (g_getenv ("GSK_RENDERER") == NULL && !has_render_node ())
    g_setenv ("GSK_RENDERER", "cairo", FALSE);

  G_APPLICATION_CLASS (tessera_application_parent_class)->startup (app);

  gtk_window_set_default_icon_name (APP_ID);

  self->settings = g_settings_new (SCHEMA_ID);
  g_signal_connect_object (self->settings, "changed::color-scheme",
                           G_CALLBACK (apply_color_scheme), self, G_CONNECT_SWAPPED);
  apply_color_scheme (self);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action, accels[i].accels);
}

static void
tessera_application_dispose (GObject *object)
{
  TesseraApplication *self = TESSERA_APPLICATION (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (tessera_application_parent_class)->dispose (object);
}

static void
tessera_application_class_init (TesseraApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = tessera_application_dispose;

  app_class->activate = tessera_application_activate;
  app_class->open = tessera_application_open;
  app_class->startup = tessera_application_startup;
  app_class->command_line = tessera_application_command_line;
  app_class->handle_local_options = tessera_application_handle_local_options;
}

static void
tessera_application_init (TesseraApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), main_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[PROJECT]"));
}

TesseraApplication *
tessera_application_new (void)
{
  return g_object_new (TESSERA_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "resource-base-path", RESOURCE_BASE,
                       "flags", G_APPLICATION_HANDLES_OPEN | G_APPLICATION_HANDLES_COMMAND_LINE,
                       NULL);
}
