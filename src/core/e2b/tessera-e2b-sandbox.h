/* tessera-e2b-sandbox.h: the E2B cloud backend of TesseraSandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-e2b-client.h"
#include "tessera-e2b-sync.h"
#include "tessera-project.h"
#include "tessera-sandbox.h"

G_BEGIN_DECLS

/* The default port of the static file server serve_static starts in the
 * sandbox ("static-port"). */
#define TESSERA_E2B_STATIC_PORT 8000
/* The metadata key that ties a sandbox to its project. */
#define TESSERA_E2B_PROJECT_METADATA "tesseraProjectId"

#define TESSERA_TYPE_E2B_SANDBOX (tessera_e2b_sandbox_get_type ())
G_DECLARE_FINAL_TYPE (TesseraE2bSandbox, tessera_e2b_sandbox, TESSERA, E2B_SANDBOX, GObject)

/* Properties (for the sandbox manager):
 *   "template"     string, read-write: E2B template id ("base", "node",
 *                  "python" or a custom id), read at start. Default "base".
 *   "timeout"      guint seconds, read-write: the sandbox's lifetime from
 *                  each extension. Default 300.
 *   "keep-alive"   gboolean, read-write: extend the timeout periodically
 *                  while the project is open. Default TRUE.
 *   "pinned"       gboolean, read-write: stop pauses the sandbox instead of
 *                  killing it; the next start resumes it and re-attaches
 *                  to the app still running there. Default FALSE.
 *   "static-port"  guint, read-write: where serve_static's server listens.
 *   "sandbox-id"   string, read-only, NULL when none.
 *   "end-time"     GDateTime, read-only: when E2B will end the sandbox.
 *   "traffic-access-token" string, read-only: when set, the preview must
 *                  send it as the "e2b-traffic-access-token" header.
 *   "state", "status-message" as every TesseraSandbox.
 * Signals:
 *   ::replaced (self, const char *old_id, const char *new_id)
 *     the sandbox expired and a new one took its place: files were
 *     uploaded again and servers started again, port URLs changed (call
 *     expose_port again, or restart the runner). */
TesseraE2bSandbox *tessera_e2b_sandbox_new              (TesseraProject    *project,
                                                         TesseraE2bClient  *client);
TesseraProject    *tessera_e2b_sandbox_get_project      (TesseraE2bSandbox *self);
TesseraE2bClient  *tessera_e2b_sandbox_get_client       (TesseraE2bSandbox *self);
TesseraE2bSync    *tessera_e2b_sandbox_get_sync         (TesseraE2bSandbox *self);
const char        *tessera_e2b_sandbox_get_template     (TesseraE2bSandbox *self);
void               tessera_e2b_sandbox_set_template     (TesseraE2bSandbox *self,
                                                         const char        *template_id);
guint              tessera_e2b_sandbox_get_timeout      (TesseraE2bSandbox *self);
void               tessera_e2b_sandbox_set_timeout      (TesseraE2bSandbox *self,
                                                         guint              timeout_s);
gboolean           tessera_e2b_sandbox_get_keep_alive   (TesseraE2bSandbox *self);
void               tessera_e2b_sandbox_set_keep_alive   (TesseraE2bSandbox *self,
                                                         gboolean           keep_alive);
gboolean           tessera_e2b_sandbox_get_pinned       (TesseraE2bSandbox *self);
void               tessera_e2b_sandbox_set_pinned       (TesseraE2bSandbox *self,
                                                         gboolean           pinned);
guint              tessera_e2b_sandbox_get_static_port  (TesseraE2bSandbox *self);
void               tessera_e2b_sandbox_set_static_port  (TesseraE2bSandbox *self,
                                                         guint              port);
const char        *tessera_e2b_sandbox_get_sandbox_id   (TesseraE2bSandbox *self);
GDateTime         *tessera_e2b_sandbox_get_end_time     (TesseraE2bSandbox *self);
const char        *tessera_e2b_sandbox_get_traffic_access_token (TesseraE2bSandbox *self);
/* The sandbox as the control plane described it last; NULL when none. */
const TesseraE2bSandboxInfo *tessera_e2b_sandbox_get_info (TesseraE2bSandbox *self);

/* "Extend": the sandbox ends @seconds from now (0: the "timeout"). */
void               tessera_e2b_sandbox_extend_async     (TesseraE2bSandbox   *self,
                                                         guint                seconds,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean           tessera_e2b_sandbox_extend_finish    (TesseraE2bSandbox   *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);
/* "Close sandbox": kills it (even when pinned); state STOPPED. */
void               tessera_e2b_sandbox_close_async      (TesseraE2bSandbox   *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean           tessera_e2b_sandbox_close_finish     (TesseraE2bSandbox   *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

G_END_DECLS
