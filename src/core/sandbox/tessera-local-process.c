/* tessera-local-process.c: a process of the local (bwrap) sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-local-process"

#include "config.h"

#include <signal.h>
#include <sys/types.h>

#include <glib/gi18n.h>

#include "tessera-local-process.h"

#define READ_CHUNK_SIZE 16384
/* How long a Flatpak child gets to forward SIGTERM before SIGKILL. */
#define FLATPAK_KILL_GRACE_SECONDS 2
/* How long the output of a killed process that exited is still read. */
#define KILLED_OUTPUT_GRACE_MS 1000

struct _TesseraLocalProcess
{
  TesseraProcess  parent_instance;

  GSubprocess    *subprocess;
  GCancellable   *cancellable;
  char           *error_message;
  GPid            pid;
  guint           timeout_ms;
  guint           timeout_source;
  guint           grace_source;
  guint           drain_source;
  int             exit_status;
  guint           open_streams;
  guint           waited : 1;
  guint           reading : 1;
  guint           gentle_kill : 1;
};

G_DEFINE_FINAL_TYPE (TesseraLocalProcess, tessera_local_process, TESSERA_TYPE_PROCESS)

static void
tessera_local_process_signal_group (TesseraLocalProcess *self,
                                    int                  signum)
{
  if (self->pid <= 0)
    return;

  /* The child made itself a group leader before exec. */
  if (kill (-self->pid, signum) != 0)
    kill (self->pid, signum);
}

static gboolean
grace_expired_cb (gpointer user_data)
{
  TesseraLocalProcess *self = user_data;

  self->grace_source = 0;
  tessera_local_process_signal_group (self, SIGKILL);

  return G_SOURCE_REMOVE;
}

void
tessera_local_process_kill_with_message (TesseraLocalProcess *self,
                                         const char          *error_message)
{
  g_return_if_fail (TESSERA_IS_LOCAL_PROCESS (self));

  if (self->waited || self->pid <= 0)
    return;

  if (self->error_message == NULL)
    self->error_message = g_strdup (error_message);

  g_clear_handle_id (&self->timeout_source, g_source_remove);

  if (self->gentle_kill)
    {
      /* flatpak-spawn forwards SIGTERM to its child but cannot forward
       * SIGKILL; give it a moment before ending it for good. */
      tessera_local_process_signal_group (self, SIGTERM);
      if (self->grace_source == 0)
        self->grace_source = g_timeout_add_seconds (FLATPAK_KILL_GRACE_SECONDS,
                                                    grace_expired_cb, self);
    }
  else
    {
      /* bwrap's --die-with-parent and pid namespace end everything inside
       * once the outer bwrap is gone. */
      tessera_local_process_signal_group (self, SIGKILL);
    }
}

static void
tessera_local_process_kill (TesseraProcess *process)
{
  tessera_local_process_kill_with_message (TESSERA_LOCAL_PROCESS (process), _("Stopped"));
}

static void
maybe_finish (TesseraLocalProcess *self)
{
  /* Report the exit only once all output was delivered, so that a reader
   * of ::exited has seen every line. */
  if (!self->waited || !self->reading || self->open_streams > 0)
    return;

  g_clear_handle_id (&self->timeout_source, g_source_remove);
  g_clear_handle_id (&self->grace_source, g_source_remove);
  g_clear_handle_id (&self->drain_source, g_source_remove);

  tessera_process_set_exited (TESSERA_PROCESS (self), self->exit_status, self->error_message);

  /* The reference taken at spawn. */
  g_object_unref (self);
}

typedef struct
{
  TesseraLocalProcess  *self;
  GInputStream         *stream;
  TesseraProcessStream  kind;
} ReadState;

static void read_next (ReadState *state);

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  ReadState *state = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);

  if (bytes != NULL && g_bytes_get_size (bytes) > 0)
    {
      tessera_process_emit_output (TESSERA_PROCESS (state->self), state->kind, bytes);
      read_next (state);
      return;
    }

  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Reading the output of a process failed: %s", error->message);

  state->self->open_streams--;
  maybe_finish (state->self);

  g_object_unref (state->stream);
  g_free (state);
}

static void
read_next (ReadState *state)
{
  g_input_stream_read_bytes_async (state->stream,
                                   READ_CHUNK_SIZE,
                                   G_PRIORITY_DEFAULT,
                                   state->self->cancellable,
                                   read_cb,
                                   state);
}

static void
start_reading (TesseraLocalProcess  *self,
               GInputStream         *stream,
               TesseraProcessStream  kind)
{
  ReadState *state = g_new0 (ReadState, 1);

  state->self = self;
  state->stream = g_object_ref (stream);
  state->kind = kind;
  self->open_streams++;

  read_next (state);
}

static gboolean
drain_expired_cb (gpointer user_data)
{
  TesseraLocalProcess *self = user_data;

  self->drain_source = 0;
  g_debug ("The output of a killed process did not end; not reading it any more");
  g_cancellable_cancel (self->cancellable);

  return G_SOURCE_REMOVE;
}

static void
wait_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  TesseraLocalProcess *self = user_data;
  GSubprocess *subprocess = G_SUBPROCESS (object);
  g_autoptr(GError) error = NULL;

  if (!g_subprocess_wait_finish (subprocess, result, &error))
    g_debug ("Waiting for a process failed: %s", error->message);

  if (g_subprocess_get_if_exited (subprocess))
    self->exit_status = g_subprocess_get_exit_status (subprocess);
  else if (g_subprocess_get_if_signaled (subprocess))
    self->exit_status = 128 + g_subprocess_get_term_sig (subprocess);
  else
    self->exit_status = 255;

  self->waited = TRUE;
  self->pid = 0;

  /* Killed, bwrap takes what runs inside with it (--die-with-parent),
   * but a kill that lands while it is starting its child can leave that
   * child running, in a session of its own, with the output pipes open:
   * the exit would wait for their end as long as it lives. A moment
   * after a killed process exited, its output is not waited for any
   * more. */
  if (self->error_message != NULL && self->reading && self->open_streams > 0)
    self->drain_source = g_timeout_add (KILLED_OUTPUT_GRACE_MS, drain_expired_cb, self);

  maybe_finish (self);
}

static gboolean
timeout_cb (gpointer user_data)
{
  TesseraLocalProcess *self = user_data;
  g_autofree char *message = NULL;

  self->timeout_source = 0;
  if (self->timeout_ms % 1000 == 0)
    message = g_strdup_printf (_("Timed out after %u s"), self->timeout_ms / 1000);
  else
    message = g_strdup_printf (_("Timed out after %u ms"), self->timeout_ms);
  tessera_local_process_kill_with_message (self, message);

  return G_SOURCE_REMOVE;
}

static void
tessera_local_process_dispose (GObject *object)
{
  TesseraLocalProcess *self = (TesseraLocalProcess *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->timeout_source, g_source_remove);
  g_clear_handle_id (&self->grace_source, g_source_remove);
  g_clear_handle_id (&self->drain_source, g_source_remove);

  G_OBJECT_CLASS (tessera_local_process_parent_class)->dispose (object);
}

static void
tessera_local_process_finalize (GObject *object)
{
  TesseraLocalProcess *self = (TesseraLocalProcess *)object;

  g_clear_object (&self->subprocess);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->error_message, g_free);

  G_OBJECT_CLASS (tessera_local_process_parent_class)->finalize (object);
}

static void
tessera_local_process_class_init (TesseraLocalProcessClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  TesseraProcessClass *process_class = TESSERA_PROCESS_CLASS (klass);

  object_class->dispose = tessera_local_process_dispose;
  object_class->finalize = tessera_local_process_finalize;

  process_class->kill = tessera_local_process_kill;
}

static void
tessera_local_process_init (TesseraLocalProcess *self)
{
  self->cancellable = g_cancellable_new ();
  self->exit_status = -1;
}

TesseraLocalProcess *
tessera_local_process_spawn (TesseraLauncher     *launcher,
                             const char          *root_path,
                             const char          *cwd,
                             const char * const  *argv,
                             const char * const  *env,
                             guint                timeout_ms,
                             GError             **error)
{
  g_autoptr(TesseraLocalProcess) self = NULL;
  g_autoptr(GSubprocessLauncher) spawner = NULL;
  g_auto(GStrv) host_argv = NULL;
  g_auto(GStrv) host_envp = NULL;
  g_autofree char *command_line = NULL;
  g_autofree char *host_cwd = NULL;
  const char *identifier;
  TesseraLauncherKind kind;

  g_return_val_if_fail (TESSERA_IS_LAUNCHER (launcher), NULL);
  g_return_val_if_fail (root_path != NULL, NULL);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);

  if (!tessera_launcher_build (launcher, root_path, cwd, argv, env,
                               &host_argv, &host_envp, error))
    return NULL;

  command_line = g_strjoinv (" ", (char **)argv);
  self = g_object_new (TESSERA_TYPE_LOCAL_PROCESS,
                       "command-line", command_line,
                       NULL);

  kind = tessera_launcher_get_kind (launcher);
  self->gentle_kill = kind == TESSERA_LAUNCHER_FLATPAK_SPAWN ||
                      kind == TESSERA_LAUNCHER_FLATPAK_HOST_BWRAP;

  spawner = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_environ (spawner, host_envp);
  g_subprocess_launcher_set_child_setup (spawner,
                                         tessera_launcher_child_setup,
                                         g_object_ref (launcher),
                                         g_object_unref);

  /* bwrap changes directory itself; without it the host cwd is the
   * command's (already checked to stay in the project). */
  if (kind == TESSERA_LAUNCHER_UNSANDBOXED)
    host_cwd = g_build_filename (root_path, cwd, NULL);
  else
    host_cwd = g_strdup (root_path);
  g_subprocess_launcher_set_cwd (spawner, host_cwd);

  self->subprocess = g_subprocess_launcher_spawnv (spawner, (const char * const *)host_argv, error);
  if (self->subprocess == NULL)
    return NULL;

  identifier = g_subprocess_get_identifier (self->subprocess);
  self->pid = identifier != NULL ? (GPid)g_ascii_strtoll (identifier, NULL, 10) : 0;

  /* Alive until it exited: released in maybe_finish(). */
  g_object_ref (self);

  g_subprocess_wait_async (self->subprocess, NULL, wait_cb, self);

  if (timeout_ms > 0)
    {
      self->timeout_ms = timeout_ms;
      self->timeout_source = g_timeout_add (timeout_ms, timeout_cb, self);
    }

  return g_steal_pointer (&self);
}

void
tessera_local_process_start_reading (TesseraLocalProcess *self)
{
  g_return_if_fail (TESSERA_IS_LOCAL_PROCESS (self));

  if (self->reading)
    return;

  self->reading = TRUE;
  start_reading (self, g_subprocess_get_stdout_pipe (self->subprocess), TESSERA_PROCESS_STDOUT);
  start_reading (self, g_subprocess_get_stderr_pipe (self->subprocess), TESSERA_PROCESS_STDERR);
}

GPid
tessera_local_process_get_pid (TesseraLocalProcess *self)
{
  g_return_val_if_fail (TESSERA_IS_LOCAL_PROCESS (self), 0);

  return self->pid;
}
