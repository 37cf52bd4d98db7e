/* tessera-local-process.h: a process of the local (bwrap) sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-launcher.h"
#include "tessera-process.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_LOCAL_PROCESS (tessera_local_process_get_type ())
G_DECLARE_FINAL_TYPE (TesseraLocalProcess, tessera_local_process, TESSERA, LOCAL_PROCESS, TesseraProcess)

/* Spawns @argv confined by @launcher to @root_path. The process keeps
 * itself alive until it exited, so dropping every reference never leaves
 * a child unreaped; @timeout_ms 0 means no limit. */
TesseraLocalProcess *tessera_local_process_spawn (TesseraLauncher     *launcher,
                                                  const char          *root_path,
                                                  const char          *cwd,
                                                  const char * const  *argv,
                                                  const char * const  *env,
                                                  guint                timeout_ms,
                                                  GError             **error);
/* Starts delivering ::output (and so ::exited, which follows the last
 * output). Separate from spawning so that nothing is emitted before the
 * caller could connect its handlers. */
void                 tessera_local_process_start_reading (TesseraLocalProcess *self);
/* The host pid of the outermost process (bwrap), 0 once it exited. */
GPid                 tessera_local_process_get_pid (TesseraLocalProcess *self);
/* Ends the process with @error_message as the reason ("Cancelled"...). */
void                 tessera_local_process_kill_with_message (TesseraLocalProcess *self,
                                                              const char          *error_message);

G_END_DECLS
