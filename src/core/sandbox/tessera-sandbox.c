/* tessera-sandbox.c: where a project's code runs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-sandbox"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>

#include "tessera-sandbox.h"
#include "tessera-sandbox-private.h"

/* The interface keeps state and message itself, so that every backend
 * reports them the same way and none can forget to notify. */
typedef struct
{
  TesseraSandboxState  state;
  char                *status_message;
} SandboxStatus;

static GQuark status_quark;

G_DEFINE_QUARK (tessera-sandbox-error-quark, tessera_sandbox_error)
G_DEFINE_INTERFACE (TesseraSandbox, tessera_sandbox, G_TYPE_OBJECT)

GType
tessera_sandbox_state_get_type (void)
{
  static gsize type_id;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { TESSERA_SANDBOX_STOPPED, "TESSERA_SANDBOX_STOPPED", "stopped" },
        { TESSERA_SANDBOX_STARTING, "TESSERA_SANDBOX_STARTING", "starting" },
        { TESSERA_SANDBOX_READY, "TESSERA_SANDBOX_READY", "ready" },
        { TESSERA_SANDBOX_FAILED, "TESSERA_SANDBOX_FAILED", "failed" },
        { TESSERA_SANDBOX_EXPIRED, "TESSERA_SANDBOX_EXPIRED", "expired" },
        { 0, NULL, NULL },
      };
      GType type = g_enum_register_static ("TesseraSandboxState", values);

      g_once_init_leave (&type_id, type);
    }

  return type_id;
}

TesseraSandboxFile *
tessera_sandbox_file_new (const char *path,
                          GBytes     *contents)
{
  TesseraSandboxFile *file;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (contents != NULL, NULL);

  file = g_new0 (TesseraSandboxFile, 1);
  file->path = g_strdup (path);
  file->contents = g_bytes_ref (contents);

  return file;
}

void
tessera_sandbox_file_free (TesseraSandboxFile *file)
{
  if (file == NULL)
    return;

  g_free (file->path);
  g_clear_pointer (&file->contents, g_bytes_unref);
  g_free (file);
}

static void
sandbox_status_free (gpointer data)
{
  SandboxStatus *status = data;

  g_free (status->status_message);
  g_free (status);
}

static SandboxStatus *
get_status (TesseraSandbox *self)
{
  SandboxStatus *status = g_object_get_qdata (G_OBJECT (self), status_quark);

  if (status == NULL)
    {
      status = g_new0 (SandboxStatus, 1);
      status->state = TESSERA_SANDBOX_STOPPED;
      g_object_set_qdata_full (G_OBJECT (self), status_quark, status, sandbox_status_free);
    }

  return status;
}

static void
tessera_sandbox_default_init (TesseraSandboxInterface *iface)
{
  status_quark = g_quark_from_static_string ("tessera-sandbox-status");

  g_object_interface_install_property (iface,
                                       g_param_spec_enum ("state", NULL, NULL,
                                                          TESSERA_TYPE_SANDBOX_STATE,
                                                          TESSERA_SANDBOX_STOPPED,
                                                          G_PARAM_READABLE |
                                                          G_PARAM_EXPLICIT_NOTIFY |
                                                          G_PARAM_STATIC_STRINGS));
  g_object_interface_install_property (iface,
                                       g_param_spec_string ("status-message", NULL, NULL,
                                                            NULL,
                                                            G_PARAM_READABLE |
                                                            G_PARAM_EXPLICIT_NOTIFY |
                                                            G_PARAM_STATIC_STRINGS));
}

TesseraSandboxState
tessera_sandbox_get_state (TesseraSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_SANDBOX (self), TESSERA_SANDBOX_STOPPED);

  return get_status (self)->state;
}

const char *
tessera_sandbox_get_status_message (TesseraSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_SANDBOX (self), NULL);

  return get_status (self)->status_message;
}

void
tessera_sandbox_set_state (TesseraSandbox      *self,
                           TesseraSandboxState  state,
                           const char          *status_message)
{
  SandboxStatus *status;
  gboolean state_changed;
  gboolean message_changed;

  g_return_if_fail (TESSERA_IS_SANDBOX (self));

  status = get_status (self);
  state_changed = status->state != state;
  message_changed = g_strcmp0 (status->status_message, status_message) != 0;

  status->state = state;
  if (message_changed)
    {
      g_free (status->status_message);
      status->status_message = g_strdup (status_message);
    }

  /* Message first: a handler of ::notify::state reads both. */
  if (message_changed)
    g_object_notify (G_OBJECT (self), "status-message");
  if (state_changed)
    g_object_notify (G_OBJECT (self), "state");
}

#define SANDBOX_IFACE(self) (TESSERA_SANDBOX_GET_IFACE (self))

void
tessera_sandbox_start_async (TesseraSandbox      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_SANDBOX (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  SANDBOX_IFACE (self)->start_async (self, cancellable, callback, user_data);
}

gboolean
tessera_sandbox_start_finish (TesseraSandbox  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (TESSERA_IS_SANDBOX (self), FALSE);

  return SANDBOX_IFACE (self)->start_finish (self, result, error);
}

void
tessera_sandbox_stop_async (TesseraSandbox      *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_SANDBOX (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  SANDBOX_IFACE (self)->stop_async (self, cancellable, callback, user_data);
}

gboolean
tessera_sandbox_stop_finish (TesseraSandbox  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (TESSERA_IS_SANDBOX (self), FALSE);

  return SANDBOX_IFACE (self)->stop_finish (self, result, error);
}

void
tessera_sandbox_write_files_async (TesseraSandbox      *self,
                                   GPtrArray           *files,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_SANDBOX (self));
  g_return_if_fail (files != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  SANDBOX_IFACE (self)->write_files_async (self, files, cancellable, callback, user_data);
}

gboolean
tessera_sandbox_write_files_finish (TesseraSandbox  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (TESSERA_IS_SANDBOX (self), FALSE);

  return SANDBOX_IFACE (self)->write_files_finish (self, result, error);
}

void
tessera_sandbox_delete_async (TesseraSandbox      *self,
                              const char          *path,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_SANDBOX (self));
  g_return_if_fail (path != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  SANDBOX_IFACE (self)->delete_async (self, path, cancellable, callback, user_data);
}

gboolean
tessera_sandbox_delete_finish (TesseraSandbox  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (TESSERA_IS_SANDBOX (self), FALSE);

  return SANDBOX_IFACE (self)->delete_finish (self, result, error);
}

void
tessera_sandbox_rename_async (TesseraSandbox      *self,
                              const char          *from,
                              const char          *to,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_SANDBOX (self));
  g_return_if_fail (from != NULL);
  g_return_if_fail (to != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  SANDBOX_IFACE (self)->rename_async (self, from, to, cancellable, callback, user_data);
}

gboolean
tessera_sandbox_rename_finish (TesseraSandbox  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (TESSERA_IS_SANDBOX (self), FALSE);

  return SANDBOX_IFACE (self)->rename_finish (self, result, error);
}

void
tessera_sandbox_read_async (TesseraSandbox      *self,
                            const char          *path,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_SANDBOX (self));
  g_return_if_fail (path != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  SANDBOX_IFACE (self)->read_async (self, path, cancellable, callback, user_data);
}

GBytes *
tessera_sandbox_read_finish (TesseraSandbox  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (TESSERA_IS_SANDBOX (self), NULL);

  return SANDBOX_IFACE (self)->read_finish (self, result, error);
}

void
tessera_sandbox_spawn_async (TesseraSandbox      *self,
                             const char * const  *argv,
                             const char          *cwd,
                             const char * const  *env,
                             guint                timeout_ms,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_SANDBOX (self));
  g_return_if_fail (argv != NULL && argv[0] != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  SANDBOX_IFACE (self)->spawn_async (self, argv, cwd, env, timeout_ms,
                                     cancellable, callback, user_data);
}

TesseraProcess *
tessera_sandbox_spawn_finish (TesseraSandbox  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (TESSERA_IS_SANDBOX (self), NULL);

  return SANDBOX_IFACE (self)->spawn_finish (self, result, error);
}

void
tessera_sandbox_expose_port_async (TesseraSandbox      *self,
                                   guint                port,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_SANDBOX (self));
  g_return_if_fail (port > 0 && port < 65536);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  SANDBOX_IFACE (self)->expose_port_async (self, port, cancellable, callback, user_data);
}

char *
tessera_sandbox_expose_port_finish (TesseraSandbox  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (TESSERA_IS_SANDBOX (self), NULL);

  return SANDBOX_IFACE (self)->expose_port_finish (self, result, error);
}

void
tessera_sandbox_serve_static_async (TesseraSandbox      *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_SANDBOX (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  SANDBOX_IFACE (self)->serve_static_async (self, cancellable, callback, user_data);
}

char *
tessera_sandbox_serve_static_finish (TesseraSandbox  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (TESSERA_IS_SANDBOX (self), NULL);

  return SANDBOX_IFACE (self)->serve_static_finish (self, result, error);
}

#define MAX_PATH_LENGTH 1024

gboolean
tessera_sandbox_check_relative_path (const char  *path,
                                     GError     **error)
{
  g_auto(GStrv) parts = NULL;

  if (path == NULL || path[0] == '\0' || path[0] == '/' ||
      strlen (path) > MAX_PATH_LENGTH || strchr (path, '\\') != NULL ||
      !g_utf8_validate (path, -1, NULL))
    goto invalid;

  parts = g_strsplit (path, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (g_str_equal (parts[i], ".."))
        goto invalid;
    }

  return TRUE;

invalid:
  g_set_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_INVALID_PATH,
               _("“%s” is not a path inside the project."),
               path != NULL ? path : "");
  return FALSE;
}

GFile *
tessera_sandbox_resolve_path (GFile       *root,
                              const char  *path,
                              GError     **error)
{
  g_autofree char *root_path = NULL;
  g_autofree char *real_root = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFile) existing = NULL;
  g_autofree char *real_existing = NULL;
  g_autofree char *existing_path = NULL;

  if (!tessera_sandbox_check_relative_path (path, error))
    return NULL;

  root_path = g_file_get_path (root);
  real_root = realpath (root_path, NULL);
  if (real_root == NULL)
    {
      g_set_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED,
                   _("The project folder “%s” does not exist."), root_path);
      return NULL;
    }

  file = g_file_resolve_relative_path (root, path);

  /* The deepest part that exists decides where the path really leads:
   * a symlink anywhere in it could point out of the project. */
  existing = g_object_ref (file);
  while (existing != NULL)
    {
      g_autoptr(GFile) parent = NULL;

      existing_path = g_file_get_path (existing);
      real_existing = realpath (existing_path, NULL);
      if (real_existing != NULL)
        break;

      /* A dangling symlink could still be written through. */
      if (g_file_query_file_type (existing, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL) ==
          G_FILE_TYPE_SYMBOLIC_LINK)
        break;
      g_clear_pointer (&existing_path, g_free);

      parent = g_file_get_parent (existing);
      g_set_object (&existing, parent);
    }

  if (real_existing == NULL ||
      !(g_str_equal (real_existing, real_root) ||
        (g_str_has_prefix (real_existing, real_root) &&
         real_existing[strlen (real_root)] == '/')))
    {
      g_set_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_INVALID_PATH,
                   _("“%s” is not a path inside the project."), path);
      return NULL;
    }

  return g_steal_pointer (&file);
}
