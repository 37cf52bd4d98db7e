/* tessera-new-project-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-new-project-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-application.h"
#include "tessera-new-project-dialog.h"
#include "tessera-project.h"
#include "tessera-ui-util.h"

struct _TesseraNewProjectDialog
{
  AdwWindow     parent_instance;

  GCancellable *cancellable;
  GFile        *location;

  AdwEntryRow  *name_row;
  AdwActionRow *location_row;
  GtkButton    *create_button;
  GtkLabel     *error_label;
};

G_DEFINE_FINAL_TYPE (TesseraNewProjectDialog, tessera_new_project_dialog, ADW_TYPE_WINDOW)

static void
set_error (TesseraNewProjectDialog *self,
           const char              *message)
{
  gtk_label_set_text (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static void
set_location (TesseraNewProjectDialog *self,
              GFile                   *location)
{
  g_autofree char *path = g_file_get_path (location);
  g_autofree char *display = path ? tessera_ui_display_path (path) : g_file_get_uri (location);

  g_set_object (&self->location, location);
  adw_action_row_set_subtitle (self->location_row, display);
}

static gboolean
name_is_valid (const char *name)
{
  return name[0] != '\0' && strchr (name, '/') == NULL &&
         strcmp (name, ".") != 0 && strcmp (name, "..") != 0;
}

static void
name_changed_cb (TesseraNewProjectDialog *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  g_autofree char *stripped = g_strstrip (g_strdup (name));
  gboolean valid = name_is_valid (stripped);

  gtk_widget_set_sensitive (GTK_WIDGET (self->create_button), valid);
  if (stripped[0] != '\0' && !valid)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->name_row), "error");
      set_error (self, _("A project name cannot contain “/”."));
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");
      set_error (self, NULL);
    }
}

static void
chooser_response_cb (GtkNativeDialog *chooser,
                     int              response,
                     gpointer         user_data)
{
  TesseraNewProjectDialog *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      set_location (self, folder);
    }

  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
choose_location_cb (TesseraNewProjectDialog *self)
{
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Choose Location"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                         _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), self->location, NULL);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TesseraNewProjectDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraProject) project = tessera_project_create_finish (result, &error);
  GtkWindow *parent;
  GtkApplication *app;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  gtk_widget_set_sensitive (GTK_WIDGET (self), TRUE);

  if (project == NULL)
    {
      set_error (self, error->message);
      return;
    }

  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  app = parent ? gtk_window_get_application (parent) : NULL;
  if (app != NULL)
    tessera_application_open_project (TESSERA_APPLICATION (app), tessera_project_get_root (project), NULL);

  gtk_window_destroy (GTK_WINDOW (self));
}

/* The default location (~/Projects) may not exist yet. */
static void
make_location_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;

  if (!g_file_make_directory_with_parents (task_data, cancellable, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
location_made_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  TesseraNewProjectDialog *self = TESSERA_NEW_PROJECT_DIALOG (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          gtk_widget_set_sensitive (GTK_WIDGET (self), TRUE);
          set_error (self, error->message);
        }
      return;
    }

  tessera_project_create_async (self->location, name, self->cancellable, created_cb, g_object_ref (self));
}

static void
create_clicked_cb (TesseraNewProjectDialog *self)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  g_autoptr(GTask) task = NULL;

  if (!name_is_valid (name))
    return;

  set_error (self, NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self), FALSE);

  task = g_task_new (self, self->cancellable, location_made_cb, NULL);
  g_task_set_source_tag (task, create_clicked_cb);
  g_task_set_task_data (task, g_object_ref (self->location), g_object_unref);
  g_task_run_in_thread (task, make_location_thread);
}

static void
tessera_new_project_dialog_dispose (GObject *object)
{
  TesseraNewProjectDialog *self = TESSERA_NEW_PROJECT_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_NEW_PROJECT_DIALOG);

  G_OBJECT_CLASS (tessera_new_project_dialog_parent_class)->dispose (object);
}

static void
tessera_new_project_dialog_finalize (GObject *object)
{
  TesseraNewProjectDialog *self = TESSERA_NEW_PROJECT_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->location);

  G_OBJECT_CLASS (tessera_new_project_dialog_parent_class)->finalize (object);
}

static void
tessera_new_project_dialog_class_init (TesseraNewProjectDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_new_project_dialog_dispose;
  object_class->finalize = tessera_new_project_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/tessera-new-project-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraNewProjectDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraNewProjectDialog, location_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraNewProjectDialog, create_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraNewProjectDialog, error_label);
  gtk_widget_class_bind_template_callback (widget_class, name_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, choose_location_cb);
  gtk_widget_class_bind_template_callback (widget_class, create_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
tessera_new_project_dialog_init (TesseraNewProjectDialog *self)
{
  g_autoptr(GFile) projects = g_file_new_build_filename (g_get_home_dir (), "Projects", NULL);

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  set_location (self, projects);
}

TesseraNewProjectDialog *
tessera_new_project_dialog_new (GtkWindow *parent)
{
  return g_object_new (TESSERA_TYPE_NEW_PROJECT_DIALOG,
                       "transient-for", parent,
                       "application", parent ? gtk_window_get_application (parent) : NULL,
                       NULL);
}
