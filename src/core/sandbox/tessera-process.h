/* tessera-process.h: a process running in a sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  TESSERA_PROCESS_STDOUT,
  TESSERA_PROCESS_STDERR,
} TesseraProcessStream;

#define TESSERA_TYPE_PROCESS_STREAM (tessera_process_stream_get_type ())
GType tessera_process_stream_get_type (void);

#define TESSERA_TYPE_PROCESS (tessera_process_get_type ())
G_DECLARE_DERIVABLE_TYPE (TesseraProcess, tessera_process, TESSERA, PROCESS, GObject)

/* Each backend subclasses TesseraProcess and reports what happens with
 * tessera_process_emit_output() and tessera_process_set_exited(). */
struct _TesseraProcessClass
{
  GObjectClass parent_class;

  /* Ends the process (and everything it started). Must be safe to call
   * more than once and after exit. */
  void (*kill) (TesseraProcess *self);

  gpointer padding[8];
};

/* The command line as given, for display. */
const char *tessera_process_get_command_line (TesseraProcess        *self);
gboolean    tessera_process_get_running      (TesseraProcess        *self);
/* Valid once the process exited: the exit code, or 128 + signal number. */
int         tessera_process_get_exit_status  (TesseraProcess        *self);
/* Set when the process was ended by a timeout, a kill, or a lost backend. */
const char *tessera_process_get_error_message (TesseraProcess       *self);
void        tessera_process_kill             (TesseraProcess        *self);

/* Completes when the process has exited; returns its exit status.
 * Cancelling @cancellable stops waiting, it does not kill the process. */
void        tessera_process_wait_async       (TesseraProcess        *self,
                                              GCancellable          *cancellable,
                                              GAsyncReadyCallback    callback,
                                              gpointer               user_data);
gboolean    tessera_process_wait_finish      (TesseraProcess        *self,
                                              GAsyncResult          *result,
                                              int                   *exit_status,
                                              GError               **error);

/* For backends. */
void        tessera_process_emit_output      (TesseraProcess        *self,
                                              TesseraProcessStream   stream,
                                              GBytes                *data);
void        tessera_process_set_exited       (TesseraProcess        *self,
                                              int                    exit_status,
                                              const char            *error_message);

/* Signals:
 *   ::output (TesseraProcess *self, TesseraProcessStream stream, GBytes *data)
 *   ::exited (TesseraProcess *self, int exit_status)
 * Properties: "command-line", "running", "exit-status".
 */

G_END_DECLS
