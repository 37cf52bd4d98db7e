/* tessera-local-sandbox.c: the sandbox on this machine (bubblewrap)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-local-sandbox"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "tessera-local-process.h"
#include "tessera-local-sandbox.h"
#include "tessera-sandbox-private.h"

struct _TesseraLocalSandbox
{
  GObject              parent_instance;

  GFile               *root;
  TesseraLauncher     *launcher;
  TesseraStaticServer *static_server;
  /* Tracked: every process started and not yet exited. */
  GPtrArray           *processes;

  guint                memory_mb;
  guint                cpu_seconds;
  guint                network : 1;
  guint                allow_unsandboxed : 1;
  guint                unavailable : 1;
};

enum {
  PROP_0,
  PROP_ROOT,
  PROP_NETWORK,
  PROP_MEMORY_MB,
  PROP_CPU_SECONDS,
  PROP_ALLOW_UNSANDBOXED,
  PROP_UNAVAILABLE,
  N_PROPS,

  PROP_STATE = N_PROPS,
  PROP_STATUS_MESSAGE,
};

static GParamSpec *properties[N_PROPS];

/* Generous: the first run may wait for a cold disk. */
#define PROBE_TIMEOUT_MS 30000

static void sandbox_iface_init (TesseraSandboxInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TesseraLocalSandbox, tessera_local_sandbox, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TESSERA_TYPE_SANDBOX, sandbox_iface_init))

typedef struct
{
  TesseraLocalSandbox *self;
  TesseraLocalProcess *process;
  GSource             *cancel_source;
} Tracked;

static void
tracked_free (Tracked *tracked)
{
  g_signal_handlers_disconnect_by_data (tracked->process, tracked);
  if (tracked->cancel_source != NULL)
    {
      g_source_destroy (tracked->cancel_source);
      g_source_unref (tracked->cancel_source);
    }
  g_object_unref (tracked->process);
  g_free (tracked);
}

static void
kill_all (TesseraLocalSandbox *self)
{
  /* Killing only signals: the array changes later, as each one exits. */
  for (guint i = 0; i < self->processes->len; i++)
    {
      Tracked *tracked = g_ptr_array_index (self->processes, i);

      tessera_process_kill (TESSERA_PROCESS (tracked->process));
    }
}

static void
tessera_local_sandbox_dispose (GObject *object)
{
  TesseraLocalSandbox *self = (TesseraLocalSandbox *)object;

  /* Each process keeps itself alive until it is reaped, so nothing is
   * left behind, not even a zombie. */
  kill_all (self);
  g_ptr_array_set_size (self->processes, 0);

  if (self->static_server != NULL)
    tessera_static_server_stop (self->static_server);
  g_clear_object (&self->static_server);
  g_clear_object (&self->launcher);

  G_OBJECT_CLASS (tessera_local_sandbox_parent_class)->dispose (object);
}

static void
tessera_local_sandbox_finalize (GObject *object)
{
  TesseraLocalSandbox *self = (TesseraLocalSandbox *)object;

  g_clear_object (&self->root);
  g_clear_pointer (&self->processes, g_ptr_array_unref);

  G_OBJECT_CLASS (tessera_local_sandbox_parent_class)->finalize (object);
}

static void
tessera_local_sandbox_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  TesseraLocalSandbox *self = TESSERA_LOCAL_SANDBOX (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      g_value_set_object (value, self->root);
      break;

    case PROP_NETWORK:
      g_value_set_boolean (value, self->network);
      break;

    case PROP_MEMORY_MB:
      g_value_set_uint (value, self->memory_mb);
      break;

    case PROP_CPU_SECONDS:
      g_value_set_uint (value, self->cpu_seconds);
      break;

    case PROP_ALLOW_UNSANDBOXED:
      g_value_set_boolean (value, self->allow_unsandboxed);
      break;

    case PROP_UNAVAILABLE:
      g_value_set_boolean (value, self->unavailable);
      break;

    case PROP_STATE:
      g_value_set_enum (value, tessera_sandbox_get_state (TESSERA_SANDBOX (self)));
      break;

    case PROP_STATUS_MESSAGE:
      g_value_set_string (value, tessera_sandbox_get_status_message (TESSERA_SANDBOX (self)));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_local_sandbox_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  TesseraLocalSandbox *self = TESSERA_LOCAL_SANDBOX (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      self->root = g_value_dup_object (value);
      break;

    case PROP_NETWORK:
      if (self->network != g_value_get_boolean (value))
        {
          self->network = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_MEMORY_MB:
      if (self->memory_mb != g_value_get_uint (value))
        {
          self->memory_mb = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_CPU_SECONDS:
      if (self->cpu_seconds != g_value_get_uint (value))
        {
          self->cpu_seconds = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_ALLOW_UNSANDBOXED:
      if (self->allow_unsandboxed != g_value_get_boolean (value))
        {
          self->allow_unsandboxed = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_local_sandbox_class_init (TesseraLocalSandboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_local_sandbox_dispose;
  object_class->finalize = tessera_local_sandbox_finalize;
  object_class->get_property = tessera_local_sandbox_get_property;
  object_class->set_property = tessera_local_sandbox_set_property;

  properties[PROP_ROOT] =
    g_param_spec_object ("root", NULL, NULL,
                         G_TYPE_FILE,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  properties[PROP_NETWORK] =
    g_param_spec_boolean ("network", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  properties[PROP_MEMORY_MB] =
    g_param_spec_uint ("memory-mb", NULL, NULL,
                       0, G_MAXUINT, TESSERA_LAUNCHER_DEFAULT_MEMORY_MB,
                       (G_PARAM_READWRITE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  properties[PROP_CPU_SECONDS] =
    g_param_spec_uint ("cpu-seconds", NULL, NULL,
                       0, G_MAXUINT, TESSERA_LAUNCHER_DEFAULT_CPU_SECONDS,
                       (G_PARAM_READWRITE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  properties[PROP_ALLOW_UNSANDBOXED] =
    g_param_spec_boolean ("allow-unsandboxed", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  properties[PROP_UNAVAILABLE] =
    g_param_spec_boolean ("unavailable", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_object_class_override_property (object_class, PROP_STATE, "state");
  g_object_class_override_property (object_class, PROP_STATUS_MESSAGE, "status-message");
}

static void
tessera_local_sandbox_init (TesseraLocalSandbox *self)
{
  self->network = TRUE;
  self->memory_mb = TESSERA_LAUNCHER_DEFAULT_MEMORY_MB;
  self->cpu_seconds = TESSERA_LAUNCHER_DEFAULT_CPU_SECONDS;
  self->processes = g_ptr_array_new_with_free_func ((GDestroyNotify)tracked_free);
}

TesseraLocalSandbox *
tessera_local_sandbox_new (GFile *root)
{
  g_return_val_if_fail (G_IS_FILE (root), NULL);
  g_return_val_if_fail (g_file_is_native (root), NULL);

  return g_object_new (TESSERA_TYPE_LOCAL_SANDBOX,
                       "root", root,
                       NULL);
}

GFile *
tessera_local_sandbox_get_root (TesseraLocalSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_LOCAL_SANDBOX (self), NULL);

  return self->root;
}

TesseraLauncher *
tessera_local_sandbox_get_launcher (TesseraLocalSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_LOCAL_SANDBOX (self), NULL);

  return self->launcher;
}

static void
set_unavailable (TesseraLocalSandbox *self,
                 gboolean             unavailable)
{
  unavailable = !!unavailable;
  if (self->unavailable == unavailable)
    return;

  self->unavailable = unavailable;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNAVAILABLE]);
}

gboolean
tessera_local_sandbox_get_unavailable (TesseraLocalSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_LOCAL_SANDBOX (self), FALSE);

  return self->unavailable;
}

TesseraStaticServer *
tessera_local_sandbox_get_static_server (TesseraLocalSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_LOCAL_SANDBOX (self), NULL);

  return self->static_server;
}

void
tessera_local_sandbox_notify_changed (TesseraLocalSandbox *self,
                                      const char          *path)
{
  g_return_if_fail (TESSERA_IS_LOCAL_SANDBOX (self));
  g_return_if_fail (path != NULL);

  if (self->static_server != NULL)
    tessera_static_server_notify_changed (self->static_server, path);
}

static gboolean
check_running (TesseraLocalSandbox  *self,
               GError              **error)
{
  if (self->launcher != NULL &&
      tessera_sandbox_get_state (TESSERA_SANDBOX (self)) == TESSERA_SANDBOX_READY)
    return TRUE;

  g_set_error_literal (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NOT_RUNNING,
                       _("The sandbox is not running."));
  return FALSE;
}

static void
start_succeeded (TesseraLocalSandbox *self,
                 GTask               *task)
{
  const char *message;

  if (tessera_launcher_get_kind (self->launcher) == TESSERA_LAUNCHER_UNSANDBOXED)
    message = _("Running without a sandbox, as allowed for this project");
  else if (!self->network)
    message = _("Sandbox ready. The network is off, so running apps cannot be previewed.");
  else
    message = _("Sandbox ready");

  set_unavailable (self, FALSE);
  tessera_sandbox_set_state (TESSERA_SANDBOX (self), TESSERA_SANDBOX_READY, message);
  g_task_return_boolean (task, TRUE);
}

static void
start_failed (TesseraLocalSandbox *self,
              GTask               *task,
              const char          *detail)
{
  g_autofree char *message = NULL;

  /* bwrap exists but cannot make namespaces here (user namespaces turned
   * off, a restrictive container): say so at start, not as a mysterious
   * crash of the first command. */
  message = g_strdup_printf (_("The sandbox could not be set up on this system: %s"), detail);
  g_clear_object (&self->launcher);
  set_unavailable (self, TRUE);
  tessera_sandbox_set_state (TESSERA_SANDBOX (self), TESSERA_SANDBOX_FAILED, message);
  g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_UNAVAILABLE,
                           "%s", message);
}

static void
string_free (gpointer data)
{
  g_string_free (data, TRUE);
}

static void
probe_output_cb (TesseraProcess       *process,
                 TesseraProcessStream  stream,
                 GBytes               *data,
                 GString              *errors)
{
  if (stream == TESSERA_PROCESS_STDERR && errors->len < 4096)
    g_string_append_len (errors, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
}

static void
probe_wait_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraLocalSandbox *self = g_task_get_source_object (task);
  GString *errors = g_task_get_task_data (task);
  int exit_status = -1;

  tessera_process_wait_finish (TESSERA_PROCESS (object), result, &exit_status, NULL);
  g_signal_handlers_disconnect_by_data (object, errors);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (exit_status == 0)
    {
      start_succeeded (self, task);
      return;
    }

  g_strstrip (errors->str);
  errors->len = strlen (errors->str);
  if (errors->len == 0)
    g_string_printf (errors, _("exit %d"), exit_status);
  start_failed (self, task, errors->str);
}

/* Runs `true` once through the launcher: proves that this system lets
 * bwrap build its namespaces. */
static void
start_probe (TesseraLocalSandbox *self,
             GTask               *task)
{
  const char * const argv[] = { "true", NULL };
  g_autoptr(TesseraLocalProcess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *root_path = g_file_get_path (self->root);
  GString *errors = g_string_new (NULL);

  g_task_set_task_data (task, errors, string_free);

  process = tessera_local_process_spawn (self->launcher, root_path, NULL, argv, NULL,
                                         PROBE_TIMEOUT_MS, &error);
  if (process == NULL)
    {
      start_failed (self, task, error->message);
      g_object_unref (task);
      return;
    }

  g_signal_connect (process, "output", G_CALLBACK (probe_output_cb), errors);
  tessera_process_wait_async (TESSERA_PROCESS (process), NULL, probe_wait_cb, task);
  tessera_local_process_start_reading (process);
}

/* Start and stop */

static void
tessera_local_sandbox_start_async (TesseraSandbox      *sandbox,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  TesseraLocalSandbox *self = TESSERA_LOCAL_SANDBOX (sandbox);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_local_sandbox_start_async);

  if (g_task_return_error_if_cancelled (task))
    return;

  tessera_sandbox_set_state (sandbox, TESSERA_SANDBOX_STARTING, _("Starting sandbox…"));

  g_clear_object (&self->launcher);
  self->launcher = tessera_launcher_new_for_host (self->allow_unsandboxed, &error);
  if (self->launcher == NULL)
    {
      set_unavailable (self, TRUE);
      tessera_sandbox_set_state (sandbox, TESSERA_SANDBOX_FAILED, error->message);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  tessera_launcher_set_network (self->launcher, self->network);
  tessera_launcher_set_memory_mb (self->launcher, self->memory_mb);
  tessera_launcher_set_cpu_seconds (self->launcher, self->cpu_seconds);

  if (tessera_launcher_get_kind (self->launcher) == TESSERA_LAUNCHER_UNSANDBOXED)
    {
      start_succeeded (self, task);
      return;
    }

  start_probe (self, g_steal_pointer (&task));
}

static gboolean
tessera_local_sandbox_start_finish (TesseraSandbox  *sandbox,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
stop_wait_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  guint *pending = g_task_get_task_data (task);

  tessera_process_wait_finish (TESSERA_PROCESS (object), result, NULL, NULL);

  if (--(*pending) == 0)
    g_task_return_boolean (task, TRUE);
}

static void
tessera_local_sandbox_stop_async (TesseraSandbox      *sandbox,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  TesseraLocalSandbox *self = TESSERA_LOCAL_SANDBOX (sandbox);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) running = NULL;
  guint *pending;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_local_sandbox_stop_async);

  if (self->static_server != NULL)
    tessera_static_server_stop (self->static_server);

  running = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->processes->len; i++)
    {
      Tracked *tracked = g_ptr_array_index (self->processes, i);

      g_ptr_array_add (running, g_object_ref (tracked->process));
    }

  kill_all (self);
  tessera_sandbox_set_state (sandbox, TESSERA_SANDBOX_STOPPED, NULL);

  if (running->len == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* Done only when every process was reaped: callers (and the test that
   * counts processes) may rely on nothing being left. */
  pending = g_new (guint, 1);
  *pending = running->len;
  g_task_set_task_data (task, pending, g_free);

  for (guint i = 0; i < running->len; i++)
    tessera_process_wait_async (g_ptr_array_index (running, i), NULL,
                                stop_wait_cb, g_object_ref (task));
}

static gboolean
tessera_local_sandbox_stop_finish (TesseraSandbox  *sandbox,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Files: the project folder is the sandbox's file system, so these work on
 * it directly, confined to the root in the same way as the project. */

typedef struct
{
  GFile     *root;
  GPtrArray *files;
  char      *path;
  char      *to;
  gboolean   read;
} FileOp;

static void
file_op_free (FileOp *op)
{
  g_clear_object (&op->root);
  g_clear_pointer (&op->files, g_ptr_array_unref);
  g_free (op->path);
  g_free (op->to);
  g_free (op);
}

static FileOp *
file_op_new (TesseraLocalSandbox *self,
             const char          *path,
             const char          *to)
{
  FileOp *op = g_new0 (FileOp, 1);

  op->root = g_object_ref (self->root);
  op->path = g_strdup (path);
  op->to = g_strdup (to);
  return op;
}

static gboolean
make_parents (GFile   *file,
              GError **error)
{
  g_autoptr(GFile) parent = g_file_get_parent (file);
  g_autoptr(GError) local_error = NULL;

  if (parent == NULL)
    return TRUE;

  if (!g_file_make_directory_with_parents (parent, NULL, &local_error) &&
      !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return TRUE;
}

static GFile *
resolve_not_root (GFile       *root,
                  const char  *path,
                  GError     **error)
{
  g_autoptr(GFile) file = tessera_sandbox_resolve_path (root, path, error);

  if (file != NULL && g_file_equal (file, root))
    {
      g_set_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_INVALID_PATH,
                   _("“%s” is not a path inside the project."), path);
      return NULL;
    }

  return g_steal_pointer (&file);
}

static void
write_files_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  FileOp *op = task_data;
  GError *error = NULL;

  for (guint i = 0; i < op->files->len; i++)
    {
      TesseraSandboxFile *entry = g_ptr_array_index (op->files, i);
      g_autoptr(GFile) file = NULL;
      gsize size = 0;
      const char *data = g_bytes_get_data (entry->contents, &size);

      if (!(file = resolve_not_root (op->root, entry->path, &error)) ||
          !make_parents (file, &error) ||
          !g_file_replace_contents (file, data, size, NULL, FALSE,
                                    G_FILE_CREATE_REPLACE_DESTINATION,
                                    NULL, cancellable, &error))
        {
          g_task_return_error (task, error);
          return;
        }
    }

  g_task_return_boolean (task, TRUE);
}

static void
notify_paths_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *outer = user_data;
  TesseraLocalSandbox *self = g_task_get_source_object (outer);
  FileOp *op = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  if (op->read)
    {
      GBytes *bytes = g_task_propagate_pointer (G_TASK (result), &error);

      if (bytes == NULL)
        g_task_return_error (outer, error);
      else
        g_task_return_pointer (outer, bytes, (GDestroyNotify)g_bytes_unref);
      g_object_unref (outer);
      return;
    }

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (outer, error);
      g_object_unref (outer);
      return;
    }

  if (op->files != NULL)
    {
      for (guint i = 0; i < op->files->len; i++)
        {
          TesseraSandboxFile *entry = g_ptr_array_index (op->files, i);

          tessera_local_sandbox_notify_changed (self, entry->path);
        }
    }
  if (op->path != NULL && !op->read)
    tessera_local_sandbox_notify_changed (self, op->path);
  if (op->to != NULL)
    tessera_local_sandbox_notify_changed (self, op->to);

  g_task_return_boolean (outer, TRUE);
  g_object_unref (outer);
}

/* Runs @func in a thread, then tells the static server what changed
 * before completing @outer. The thread's task has no source object: the
 * worker may drop its reference last, and the sandbox must never be
 * disposed there. */
static void
run_file_op (TesseraLocalSandbox *self,
             GTask               *outer,
             FileOp              *op,
             GTaskThreadFunc      func)
{
  g_autoptr(GTask) inner = NULL;

  inner = g_task_new (NULL, g_task_get_cancellable (outer), notify_paths_cb, g_object_ref (outer));
  g_task_set_source_tag (inner, run_file_op);
  g_task_set_task_data (inner, op, (GDestroyNotify)file_op_free);
  g_task_run_in_thread (inner, func);
}

static void
tessera_local_sandbox_write_files_async (TesseraSandbox      *sandbox,
                                         GPtrArray           *files,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  TesseraLocalSandbox *self = TESSERA_LOCAL_SANDBOX (sandbox);
  g_autoptr(GTask) task = NULL;
  FileOp *op;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_local_sandbox_write_files_async);

  op = file_op_new (self, NULL, NULL);
  op->files = g_ptr_array_new_with_free_func ((GDestroyNotify)tessera_sandbox_file_free);
  for (guint i = 0; i < files->len; i++)
    {
      TesseraSandboxFile *entry = g_ptr_array_index (files, i);

      g_ptr_array_add (op->files, tessera_sandbox_file_new (entry->path, entry->contents));
    }

  run_file_op (self, task, op, write_files_thread);
}

static gboolean
tessera_local_sandbox_write_files_finish (TesseraSandbox  *sandbox,
                                          GAsyncResult    *result,
                                          GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
delete_recursively (GFile         *file,
                    GCancellable  *cancellable,
                    GError       **error)
{
  /* Never follow a symlink into a folder: only the link goes. */
  if (g_file_query_file_type (file, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable) ==
      G_FILE_TYPE_DIRECTORY)
    {
      g_autoptr(GFileEnumerator) enumerator = NULL;

      enumerator = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                              G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                              cancellable, error);
      if (enumerator == NULL)
        return FALSE;

      for (;;)
        {
          GFile *child = NULL;

          if (!g_file_enumerator_iterate (enumerator, NULL, &child, cancellable, error))
            return FALSE;
          if (child == NULL)
            break;
          if (!delete_recursively (child, cancellable, error))
            return FALSE;
        }
    }

  return g_file_delete (file, cancellable, error);
}

static void
delete_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  FileOp *op = task_data;
  g_autoptr(GFile) file = NULL;
  GError *error = NULL;

  if (!(file = resolve_not_root (op->root, op->path, &error)) ||
      !delete_recursively (file, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
tessera_local_sandbox_delete_async (TesseraSandbox      *sandbox,
                                    const char          *path,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  TesseraLocalSandbox *self = TESSERA_LOCAL_SANDBOX (sandbox);
  g_autoptr(GTask) task = NULL;
  FileOp *op;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_local_sandbox_delete_async);

  op = file_op_new (self, path, NULL);
  run_file_op (self, task, op, delete_thread);
}

static gboolean
tessera_local_sandbox_delete_finish (TesseraSandbox  *sandbox,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
rename_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  FileOp *op = task_data;
  g_autoptr(GFile) from = NULL;
  g_autoptr(GFile) to = NULL;
  GError *error = NULL;

  if (!(from = resolve_not_root (op->root, op->path, &error)) ||
      !(to = resolve_not_root (op->root, op->to, &error)) ||
      !make_parents (to, &error) ||
      !g_file_move (from, to, G_FILE_COPY_NOFOLLOW_SYMLINKS | G_FILE_COPY_NO_FALLBACK_FOR_MOVE,
                    cancellable, NULL, NULL, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
tessera_local_sandbox_rename_async (TesseraSandbox      *sandbox,
                                    const char          *from,
                                    const char          *to,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  TesseraLocalSandbox *self = TESSERA_LOCAL_SANDBOX (sandbox);
  g_autoptr(GTask) task = NULL;
  FileOp *op;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_local_sandbox_rename_async);

  op = file_op_new (self, from, to);
  run_file_op (self, task, op, rename_thread);
}

static gboolean
tessera_local_sandbox_rename_finish (TesseraSandbox  *sandbox,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
read_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  FileOp *op = task_data;
  g_autoptr(GFile) file = NULL;
  GError *error = NULL;
  char *data = NULL;
  gsize size = 0;

  if (!(file = resolve_not_root (op->root, op->path, &error)) ||
      !g_file_load_contents (file, cancellable, &data, &size, NULL, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, g_bytes_new_take (data, size), (GDestroyNotify)g_bytes_unref);
}

static void
tessera_local_sandbox_read_async (TesseraSandbox      *sandbox,
                                  const char          *path,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  TesseraLocalSandbox *self = TESSERA_LOCAL_SANDBOX (sandbox);
  g_autoptr(GTask) task = NULL;
  FileOp *op;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_local_sandbox_read_async);

  op = file_op_new (self, path, NULL);
  op->read = TRUE;

  run_file_op (self, task, op, read_thread);
}

static GBytes *
tessera_local_sandbox_read_finish (TesseraSandbox  *sandbox,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Processes */

static void
process_exited_cb (TesseraProcess *process,
                   int             exit_status,
                   Tracked        *tracked)
{
  g_ptr_array_remove (tracked->self->processes, tracked);
}

static gboolean
process_cancelled_cb (GCancellable *cancellable,
                      gpointer      user_data)
{
  Tracked *tracked = user_data;

  tessera_local_process_kill_with_message (tracked->process, _("Cancelled"));

  return G_SOURCE_REMOVE;
}

static void
spawn_completed_cb (TesseraLocalProcess *process)
{
  tessera_local_process_start_reading (process);
}

static void
tessera_local_sandbox_spawn_async (TesseraSandbox      *sandbox,
                                   const char * const  *argv,
                                   const char          *cwd,
                                   const char * const  *env,
                                   guint                timeout_ms,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  TesseraLocalSandbox *self = TESSERA_LOCAL_SANDBOX (sandbox);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *root_path = NULL;
  TesseraLocalProcess *process;
  Tracked *tracked;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_local_sandbox_spawn_async);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (!check_running (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  root_path = g_file_get_path (self->root);
  process = tessera_local_process_spawn (self->launcher, root_path, cwd, argv, env,
                                         timeout_ms, &error);
  if (process == NULL)
    {
      g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED,
                               _("Could not start “%s”: %s"), argv[0], error->message);
      return;
    }

  tracked = g_new0 (Tracked, 1);
  tracked->self = self;
  tracked->process = process;
  g_signal_connect (process, "exited", G_CALLBACK (process_exited_cb), tracked);

  /* Cancelling the spawn's cancellable later ends the process: that is
   * how a "Stop" button of a command works. A source, not a handler, so
   * that a cancel from another thread acts on our main context. */
  if (cancellable != NULL)
    {
      tracked->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (tracked->cancel_source, G_SOURCE_FUNC (process_cancelled_cb),
                             tracked, NULL);
      g_source_attach (tracked->cancel_source, g_task_get_context (task));
    }

  g_ptr_array_add (self->processes, tracked);

  /* Output flows once the caller's callback ran (and connected to
   * ::output): "completed" is notified right after it. */
  g_signal_connect_data (task, "notify::completed",
                         G_CALLBACK (spawn_completed_cb),
                         g_object_ref (process),
                         (GClosureNotify)(void (*) (void))g_object_unref,
                         G_CONNECT_SWAPPED);

  g_task_return_pointer (task, g_object_ref (process), g_object_unref);
}

static TesseraProcess *
tessera_local_sandbox_spawn_finish (TesseraSandbox  *sandbox,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Ports */

static void
tessera_local_sandbox_expose_port_async (TesseraSandbox      *sandbox,
                                         guint                port,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  TesseraLocalSandbox *self = TESSERA_LOCAL_SANDBOX (sandbox);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_local_sandbox_expose_port_async);

  if (!check_running (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Sharing the host's network namespace is what makes the app's port
   * reachable from here; without it the app listens on a loopback that
   * only the sandbox sees. */
  if (!self->network &&
      tessera_launcher_get_kind (self->launcher) != TESSERA_LAUNCHER_UNSANDBOXED)
    {
      g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NETWORK,
                               _("The network is off for this project’s sandbox, so the "
                                 "preview cannot reach the app. Turn the network on in the "
                                 "project settings to preview it."));
      return;
    }

  g_task_return_pointer (task, g_strdup_printf ("http://127.0.0.1:%u/", port), g_free);
}

static char *
tessera_local_sandbox_expose_port_finish (TesseraSandbox  *sandbox,
                                          GAsyncResult    *result,
                                          GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
tessera_local_sandbox_serve_static_async (TesseraSandbox      *sandbox,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  TesseraLocalSandbox *self = TESSERA_LOCAL_SANDBOX (sandbox);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_local_sandbox_serve_static_async);

  /* No process runs for a static site: the files are only read, by our
   * own server, which never leaves the project folder. */
  if (self->static_server == NULL)
    self->static_server = tessera_static_server_new (self->root);

  if (!tessera_static_server_start (self->static_server, &error))
    {
      g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED,
                               _("Could not start the preview server: %s"), error->message);
      return;
    }

  g_task_return_pointer (task, g_strdup (tessera_static_server_get_url (self->static_server)), g_free);
}

static char *
tessera_local_sandbox_serve_static_finish (TesseraSandbox  *sandbox,
                                           GAsyncResult    *result,
                                           GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
sandbox_iface_init (TesseraSandboxInterface *iface)
{
  iface->start_async = tessera_local_sandbox_start_async;
  iface->start_finish = tessera_local_sandbox_start_finish;
  iface->stop_async = tessera_local_sandbox_stop_async;
  iface->stop_finish = tessera_local_sandbox_stop_finish;
  iface->write_files_async = tessera_local_sandbox_write_files_async;
  iface->write_files_finish = tessera_local_sandbox_write_files_finish;
  iface->delete_async = tessera_local_sandbox_delete_async;
  iface->delete_finish = tessera_local_sandbox_delete_finish;
  iface->rename_async = tessera_local_sandbox_rename_async;
  iface->rename_finish = tessera_local_sandbox_rename_finish;
  iface->read_async = tessera_local_sandbox_read_async;
  iface->read_finish = tessera_local_sandbox_read_finish;
  iface->spawn_async = tessera_local_sandbox_spawn_async;
  iface->spawn_finish = tessera_local_sandbox_spawn_finish;
  iface->expose_port_async = tessera_local_sandbox_expose_port_async;
  iface->expose_port_finish = tessera_local_sandbox_expose_port_finish;
  iface->serve_static_async = tessera_local_sandbox_serve_static_async;
  iface->serve_static_finish = tessera_local_sandbox_serve_static_finish;
}
