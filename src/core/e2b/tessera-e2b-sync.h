/* tessera-e2b-sync.h: keeps a sandbox's copy of the project up to date
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-e2b-client.h"
#include "tessera-project.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_E2B_SYNC (tessera_e2b_sync_get_type ())
G_DECLARE_FINAL_TYPE (TesseraE2bSync, tessera_e2b_sync, TESSERA, E2B_SYNC, GObject)

/* Mirrors @project into TESSERA_E2B_PROJECT_DIR of the sandbox set with
 * tessera_e2b_sync_set_sandbox(). The local folder is the source of
 * truth: changes (TesseraProject::file-changed) are gathered for
 * "debounce-ms" (default 100) and sent together, deletions first, then all
 * new contents in batched uploads. A failed sync keeps its changes and is
 * retried with backoff (0.5 s doubling to 30 s) until it succeeds.
 *
 * Properties: "pending" (guint, changed paths not yet in the sandbox),
 * "error-message" (the last failure as a sentence, NULL once synced),
 * "debounce-ms".
 * Signals:
 *   ::synced (self, guint n_files)  a sync reached the sandbox
 *   ::failed (self, GError *error)  a sync failed; it will be retried
 *   ::expired (self, GError *error) the sandbox is gone; syncing waits for
 *                                   a new one (set_sandbox + upload_all) */
TesseraE2bSync *tessera_e2b_sync_new              (TesseraProject              *project,
                                                   TesseraE2bClient            *client);
/* NULL stops syncing; changes keep being gathered. */
void            tessera_e2b_sync_set_sandbox      (TesseraE2bSync              *self,
                                                   const TesseraE2bSandboxInfo *info);
/* Uploads every file of the project that is not ignored. Changes gathered
 * before are covered by it. */
void            tessera_e2b_sync_upload_all_async (TesseraE2bSync              *self,
                                                   GCancellable                *cancellable,
                                                   GAsyncReadyCallback          callback,
                                                   gpointer                     user_data);
gboolean        tessera_e2b_sync_upload_all_finish (TesseraE2bSync             *self,
                                                   GAsyncResult                *result,
                                                   GError                     **error);
/* Sends what is pending now, without waiting for the debounce, and
 * completes once the sandbox has every change made so far (or with the
 * error of the sync that failed). Commands run after it see the files as
 * they are on disk. */
void            tessera_e2b_sync_flush_async      (TesseraE2bSync              *self,
                                                   GCancellable                *cancellable,
                                                   GAsyncReadyCallback          callback,
                                                   gpointer                     user_data);
gboolean        tessera_e2b_sync_flush_finish     (TesseraE2bSync              *self,
                                                   GAsyncResult                *result,
                                                   GError                     **error);
guint           tessera_e2b_sync_get_pending      (TesseraE2bSync              *self);
const char     *tessera_e2b_sync_get_error_message (TesseraE2bSync             *self);
void            tessera_e2b_sync_set_debounce_ms  (TesseraE2bSync              *self,
                                                   guint                        debounce_ms);

G_END_DECLS
