/* tessera-e2b-process.h: a process running in an E2B sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-e2b-client.h"
#include "tessera-process.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_E2B_PROCESS (tessera_e2b_process_get_type ())
G_DECLARE_FINAL_TYPE (TesseraE2bProcess, tessera_e2b_process, TESSERA, E2B_PROCESS, TesseraProcess)

/* Runs "/bin/bash -l -c @shell_command" in the sandbox @info describes.
 * @timeout_ms 0: no deadline (a server); @tag names it for envd so that it
 * can be found again after a restart. */
TesseraE2bProcess *tessera_e2b_process_new            (TesseraE2bClient            *client,
                                                       const TesseraE2bSandboxInfo *info,
                                                       const char                  *command_line,
                                                       const char                  *shell_command,
                                                       const char                  *cwd,
                                                       const char * const          *env,
                                                       const char                  *tag,
                                                       guint                        timeout_ms);
/* Starts it; completes once envd reports the start. */
void               tessera_e2b_process_start_async    (TesseraE2bProcess           *self,
                                                       GCancellable                *cancellable,
                                                       GAsyncReadyCallback          callback,
                                                       gpointer                     user_data);
gboolean           tessera_e2b_process_start_finish   (TesseraE2bProcess           *self,
                                                       GAsyncResult                *result,
                                                       GError                     **error);
/* Attaches to an already running process instead (Process.Connect). */
void               tessera_e2b_process_attach_async   (TesseraE2bProcess           *self,
                                                       guint                        pid,
                                                       GCancellable                *cancellable,
                                                       GAsyncReadyCallback          callback,
                                                       gpointer                     user_data);
gboolean           tessera_e2b_process_attach_finish  (TesseraE2bProcess           *self,
                                                       GAsyncResult                *result,
                                                       GError                     **error);
/* After the sandbox was replaced: starts the same command in @info's
 * sandbox, keeping this object (and its listeners) running. */
void               tessera_e2b_process_respawn_async  (TesseraE2bProcess           *self,
                                                       const TesseraE2bSandboxInfo *info,
                                                       GCancellable                *cancellable,
                                                       GAsyncReadyCallback          callback,
                                                       gpointer                     user_data);
gboolean           tessera_e2b_process_respawn_finish (TesseraE2bProcess           *self,
                                                       GAsyncResult                *result,
                                                       GError                     **error);
/* Stops following it without touching it in the sandbox (the sandbox is
 * being paused, or is gone): it counts as exited with @message. */
void               tessera_e2b_process_detach         (TesseraE2bProcess           *self,
                                                       const char                  *message);
guint              tessera_e2b_process_get_pid        (TesseraE2bProcess           *self);
/* TRUE for a process started without a deadline (a server). */
gboolean           tessera_e2b_process_is_server      (TesseraE2bProcess           *self);
const char        *tessera_e2b_process_get_sandbox_id (TesseraE2bProcess           *self);

/* Signals:
 *   ::sandbox-lost (self, GError *error)
 *     the stream broke and re-attaching failed because the sandbox is
 *     gone (TESSERA_SANDBOX_ERROR_EXPIRED). The process stays "running"
 *     so that its owner can respawn it in a new sandbox; the owner must
 *     either respawn it or end it with tessera_process_set_exited().
 */

G_END_DECLS
