/* tessera-local-sandbox.h: the sandbox on this machine (bubblewrap)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-launcher.h"
#include "tessera-sandbox.h"
#include "tessera-static-server.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_LOCAL_SANDBOX (tessera_local_sandbox_get_type ())
G_DECLARE_FINAL_TYPE (TesseraLocalSandbox, tessera_local_sandbox, TESSERA, LOCAL_SANDBOX, GObject)

/* Runs commands confined to @root (the project folder, bound read-write
 * at /project). Options are properties, read when the sandbox starts:
 *   "network" (gboolean, default TRUE), "memory-mb" (guint, default 4096,
 *   0: none), "cpu-seconds" (guint, default 3600, 0: none),
 *   "allow-unsandboxed" (gboolean, default FALSE: the user's explicit,
 *   per-project opt-in to run without bwrap when it is missing). */
TesseraLocalSandbox *tessera_local_sandbox_new            (GFile               *root);
GFile               *tessera_local_sandbox_get_root       (TesseraLocalSandbox *self);
/* The launcher chosen at start, NULL before. */
TesseraLauncher     *tessera_local_sandbox_get_launcher   (TesseraLocalSandbox *self);
/* Forwards a change of @path (relative to the root) to the live reload of
 * the static server; the owner calls it on TesseraProject::file-changed. */
void                 tessera_local_sandbox_notify_changed (TesseraLocalSandbox *self,
                                                           const char          *path);
/* TRUE after a start failed because this machine cannot sandbox (bwrap
 * missing, or unable to build namespaces): the moment for the UI to offer
 * the per-project opt-in ("allow-unsandboxed", then start again). Also the
 * read-only property "unavailable". */
gboolean             tessera_local_sandbox_get_unavailable (TesseraLocalSandbox *self);
/* The built-in server once serve_static ran, else NULL. */
TesseraStaticServer *tessera_local_sandbox_get_static_server (TesseraLocalSandbox *self);

G_END_DECLS
