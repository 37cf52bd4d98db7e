/* tessera-e2b-process.c: a process running in an E2B sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-e2b-process"

#include "config.h"

#include <signal.h>

#include <glib/gi18n.h>

#include "tessera-e2b-process.h"

#define MAX_REATTACH 4

struct _TesseraE2bProcess
{
  TesseraProcess          parent_instance;

  TesseraE2bClient       *client;
  TesseraE2bSandboxInfo  *info;
  char                   *shell_command;
  char                   *cwd;
  char                  **env;
  char                   *tag;
  guint                   timeout_ms;

  TesseraE2bStream       *stream;
  GCancellable           *cancellable;
  guint                   pid;
  guint                   reattach_attempts;
  guint                   reattach_source;
  gboolean                killed;
};

enum {
  SANDBOX_LOST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TesseraE2bProcess, tessera_e2b_process, TESSERA_TYPE_PROCESS)

static void reattach (TesseraE2bProcess *self);

static void
drop_stream (TesseraE2bProcess *self)
{
  if (self->stream == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->stream, self);
  tessera_e2b_stream_close (self->stream);
  g_clear_object (&self->stream);
}

static void
on_output (TesseraE2bStream  *stream,
           int                which,
           GBytes            *data,
           TesseraE2bProcess *self)
{
  tessera_process_emit_output (TESSERA_PROCESS (self), (TesseraProcessStream) which, data);
}

static void
on_ended (TesseraE2bStream  *stream,
          int                exit_status,
          const char        *error,
          TesseraE2bProcess *self)
{
  g_autoptr(TesseraE2bProcess) hold = g_object_ref (self);

  drop_stream (self);
  tessera_process_set_exited (TESSERA_PROCESS (self), exit_status,
                              self->killed ? _("The process was stopped.") : NULL);
}

static void
on_reattached (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TesseraE2bProcess) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_e2b_process_attach_finish (self, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          !tessera_process_get_running (TESSERA_PROCESS (self)))
        return;
      if (g_error_matches (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_EXPIRED))
        {
          g_signal_emit (self, signals[SANDBOX_LOST], 0, error);
          return;
        }
      if (g_error_matches (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NOT_RUNNING) ||
          self->reattach_attempts >= MAX_REATTACH)
        {
          /* Its end went by while nobody listened. */
          tessera_process_set_exited (TESSERA_PROCESS (self), 128 + SIGKILL,
                                      _("The connection to the cloud sandbox was lost."));
          return;
        }
      reattach (self);
      return;
    }
  self->reattach_attempts = 0;
}

static gboolean
on_reattach_timeout (gpointer data)
{
  TesseraE2bProcess *self = data;

  self->reattach_source = 0;
  tessera_e2b_process_attach_async (self, self->pid, self->cancellable, on_reattached, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
reattach (TesseraE2bProcess *self)
{
  /* Back off a little between attempts: 0, 250, 500, 1000 ms. */
  guint delay = self->reattach_attempts == 0 ? 0 : 125u << self->reattach_attempts;

  self->reattach_attempts++;
  g_clear_handle_id (&self->reattach_source, g_source_remove);
  self->reattach_source = g_timeout_add (delay, on_reattach_timeout, self);
}

static void
on_lost (TesseraE2bStream  *stream,
         GError            *error,
         TesseraE2bProcess *self)
{
  g_autoptr(TesseraE2bProcess) hold = g_object_ref (self);

  drop_stream (self);
  if (g_error_matches (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_TIMED_OUT))
    {
      tessera_process_set_exited (TESSERA_PROCESS (self), 128 + SIGKILL, error->message);
      return;
    }
  if (self->killed)
    {
      tessera_process_set_exited (TESSERA_PROCESS (self), 128 + SIGKILL, _("The process was stopped."));
      return;
    }
  /* The stream broke, not the process: envd keeps it running. */
  g_debug ("Stream of %u lost (%s); re-attaching", self->pid, error->message);
  reattach (self);
}

static void
set_stream (TesseraE2bProcess *self,
            TesseraE2bStream  *stream)
{
  drop_stream (self);
  self->stream = g_object_ref (stream);
  self->pid = tessera_e2b_stream_get_pid (stream);
  g_signal_connect (stream, "output", G_CALLBACK (on_output), self);
  g_signal_connect (stream, "ended", G_CALLBACK (on_ended), self);
  g_signal_connect (stream, "lost", G_CALLBACK (on_lost), self);
}

static void
on_stream_ready (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraE2bProcess *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(TesseraE2bStream) stream = NULL;

  if (g_task_get_source_tag (task) == tessera_e2b_process_attach_async)
    stream = tessera_e2b_client_connect_process_finish (TESSERA_E2B_CLIENT (source), result, &error);
  else
    stream = tessera_e2b_client_start_finish (TESSERA_E2B_CLIENT (source), result, &error);

  if (stream == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  set_stream (self, stream);
  g_task_return_boolean (task, TRUE);
}

void
tessera_e2b_process_start_async (TesseraE2bProcess   *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TESSERA_IS_E2B_PROCESS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_e2b_process_start_async);
  tessera_e2b_client_start_async (self->client, self->info, self->shell_command, self->cwd,
                                  (const char * const *) self->env, self->tag, self->timeout_ms,
                                  cancellable, on_stream_ready, g_steal_pointer (&task));
}

gboolean
tessera_e2b_process_start_finish (TesseraE2bProcess  *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
tessera_e2b_process_attach_async (TesseraE2bProcess   *self,
                                  guint                pid,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TESSERA_IS_E2B_PROCESS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_e2b_process_attach_async);
  tessera_e2b_client_connect_process_async (self->client, self->info, pid, cancellable,
                                            on_stream_ready, g_steal_pointer (&task));
}

gboolean
tessera_e2b_process_attach_finish (TesseraE2bProcess  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
tessera_e2b_process_respawn_async (TesseraE2bProcess           *self,
                                   const TesseraE2bSandboxInfo *info,
                                   GCancellable                *cancellable,
                                   GAsyncReadyCallback          callback,
                                   gpointer                     user_data)
{
  g_return_if_fail (TESSERA_IS_E2B_PROCESS (self));
  g_return_if_fail (info != NULL);

  drop_stream (self);
  g_clear_handle_id (&self->reattach_source, g_source_remove);
  self->reattach_attempts = 0;
  self->pid = 0;
  g_clear_pointer (&self->info, tessera_e2b_sandbox_info_free);
  self->info = tessera_e2b_sandbox_info_copy (info);
  tessera_e2b_process_start_async (self, cancellable, callback, user_data);
}

gboolean
tessera_e2b_process_respawn_finish (TesseraE2bProcess  *self,
                                    GAsyncResult       *result,
                                    GError            **error)
{
  return tessera_e2b_process_start_finish (self, result, error);
}

void
tessera_e2b_process_detach (TesseraE2bProcess *self,
                            const char        *message)
{
  g_return_if_fail (TESSERA_IS_E2B_PROCESS (self));

  g_clear_handle_id (&self->reattach_source, g_source_remove);
  drop_stream (self);
  tessera_process_set_exited (TESSERA_PROCESS (self), 128 + SIGKILL, message);
}

guint
tessera_e2b_process_get_pid (TesseraE2bProcess *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_PROCESS (self), 0);
  return self->pid;
}

gboolean
tessera_e2b_process_is_server (TesseraE2bProcess *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_PROCESS (self), FALSE);
  return self->timeout_ms == 0;
}

const char *
tessera_e2b_process_get_sandbox_id (TesseraE2bProcess *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_PROCESS (self), NULL);
  return self->info->sandbox_id;
}

static void
on_signal_sent (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TesseraE2bProcess) self = user_data;
  g_autoptr(GError) error = NULL;

  if (tessera_e2b_client_send_signal_finish (TESSERA_E2B_CLIENT (source), result, &error))
    return;
  /* Gone already, or unreachable: no end event will come. */
  drop_stream (self);
  tessera_process_set_exited (TESSERA_PROCESS (self), 128 + SIGKILL, _("The process was stopped."));
}

static void
tessera_e2b_process_kill (TesseraProcess *process)
{
  TesseraE2bProcess *self = TESSERA_E2B_PROCESS (process);

  if (!tessera_process_get_running (process))
    return;
  self->killed = TRUE;
  if (self->pid == 0 || self->stream == NULL)
    {
      g_clear_handle_id (&self->reattach_source, g_source_remove);
      drop_stream (self);
      tessera_process_set_exited (process, 128 + SIGKILL, _("The process was stopped."));
      if (self->pid == 0)
        return;
    }
  tessera_e2b_client_send_signal_async (self->client, self->info, self->pid, SIGKILL, NULL,
                                        on_signal_sent, g_object_ref (self));
}

static void
tessera_e2b_process_dispose (GObject *object)
{
  TesseraE2bProcess *self = TESSERA_E2B_PROCESS (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->reattach_source, g_source_remove);
  drop_stream (self);

  G_OBJECT_CLASS (tessera_e2b_process_parent_class)->dispose (object);
}

static void
tessera_e2b_process_finalize (GObject *object)
{
  TesseraE2bProcess *self = TESSERA_E2B_PROCESS (object);

  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->info, tessera_e2b_sandbox_info_free);
  g_free (self->shell_command);
  g_free (self->cwd);
  g_strfreev (self->env);
  g_free (self->tag);

  G_OBJECT_CLASS (tessera_e2b_process_parent_class)->finalize (object);
}

static void
tessera_e2b_process_class_init (TesseraE2bProcessClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  TesseraProcessClass *process_class = TESSERA_PROCESS_CLASS (klass);

  object_class->dispose = tessera_e2b_process_dispose;
  object_class->finalize = tessera_e2b_process_finalize;
  process_class->kill = tessera_e2b_process_kill;

  signals[SANDBOX_LOST] = g_signal_new ("sandbox-lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
tessera_e2b_process_init (TesseraE2bProcess *self)
{
  self->cancellable = g_cancellable_new ();
}

TesseraE2bProcess *
tessera_e2b_process_new (TesseraE2bClient            *client,
                         const TesseraE2bSandboxInfo *info,
                         const char                  *command_line,
                         const char                  *shell_command,
                         const char                  *cwd,
                         const char * const          *env,
                         const char                  *tag,
                         guint                        timeout_ms)
{
  TesseraE2bProcess *self;

  g_return_val_if_fail (TESSERA_IS_E2B_CLIENT (client), NULL);
  g_return_val_if_fail (info != NULL, NULL);
  g_return_val_if_fail (shell_command != NULL, NULL);

  self = g_object_new (TESSERA_TYPE_E2B_PROCESS,
                       "command-line", command_line ? command_line : shell_command,
                       NULL);
  self->client = g_object_ref (client);
  self->info = tessera_e2b_sandbox_info_copy (info);
  self->shell_command = g_strdup (shell_command);
  self->cwd = g_strdup (cwd);
  self->env = g_strdupv ((char **) env);
  self->tag = g_strdup (tag);
  self->timeout_ms = timeout_ms;
  return self;
}
