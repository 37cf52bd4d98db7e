/* tessera-workspace.h: one open project's working parts, put together
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "tessera-history.h"
#include "tessera-project.h"
#include "tessera-runner.h"
#include "tessera-sandbox.h"
#include "tessera-session.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_WORKSPACE (tessera_workspace_get_type ())
G_DECLARE_FINAL_TYPE (TesseraWorkspace, tessera_workspace, TESSERA, WORKSPACE, GObject)

/* @settings (nullable) is the application's GSettings: defaults for the
 * sandbox, its limits and the AI provider. The project's own settings
 * (manifest) win over them, and TESSERA_SANDBOX over the default backend. */
TesseraWorkspace *tessera_workspace_new                   (TesseraProject       *project,
                                                           GSettings            *settings);
TesseraProject   *tessera_workspace_get_project           (TesseraWorkspace     *self);
/* Valid after construction. */
TesseraSandbox   *tessera_workspace_get_sandbox           (TesseraWorkspace     *self);
TesseraRunner    *tessera_workspace_get_runner            (TesseraWorkspace     *self);
TesseraSession   *tessera_workspace_get_session           (TesseraWorkspace     *self);
/* The project's versions: one per AI turn, and one before it. */
TesseraHistory   *tessera_workspace_get_history           (TesseraWorkspace     *self);
/* "local" or "e2b". */
const char       *tessera_workspace_get_backend           (TesseraWorkspace     *self);

/* Restores the conversation and starts the app; the AI provider is
 * resolved in the background (watch "provider-status"). */
void              tessera_workspace_start_async           (TesseraWorkspace     *self,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
gboolean          tessera_workspace_start_finish          (TesseraWorkspace     *self,
                                                           GAsyncResult         *result,
                                                           GError              **error);
/* Looks the AI provider up again (after the preferences changed). */
void              tessera_workspace_reload_provider       (TesseraWorkspace     *self);
/* A sentence for the chat: "gpt-4o-mini · OpenAI", or what is missing. */
const char       *tessera_workspace_get_provider_status   (TesseraWorkspace     *self);
/* TRUE once a provider and a model are set on the session. */
gboolean          tessera_workspace_get_provider_ready    (TesseraWorkspace     *self);
/* Stops the app and the sandbox: no process is left behind. */
void              tessera_workspace_shutdown              (TesseraWorkspace     *self);

G_END_DECLS
