/* tessera-e2b-client.h: E2B's control plane and envd over HTTP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "tessera-e2b-stream.h"
#include "tessera-sandbox.h"

G_BEGIN_DECLS

#define TESSERA_E2B_DEFAULT_DOMAIN "e2b.app"
#define TESSERA_E2B_ENVD_PORT      49983
/* Where Tessera keeps a project inside the sandbox. */
#define TESSERA_E2B_PROJECT_DIR    "/home/user/project"

/* What the control plane says about one sandbox. */
typedef struct
{
  char       *sandbox_id;
  char       *template_id;
  char       *envd_version;
  char       *envd_access_token;
  /* Set when the sandbox's ports need the e2b-traffic-access-token header. */
  char       *traffic_access_token;
  /* The sandbox's own domain, or NULL for the client's. */
  char       *domain;
  /* "running" or "paused"; NULL when the answer did not say. */
  char       *state;
  GDateTime  *started_at;
  GDateTime  *end_at;
  GHashTable *metadata;
} TesseraE2bSandboxInfo;

#define TESSERA_TYPE_E2B_SANDBOX_INFO (tessera_e2b_sandbox_info_get_type ())
GType                  tessera_e2b_sandbox_info_get_type (void);
TesseraE2bSandboxInfo *tessera_e2b_sandbox_info_copy     (const TesseraE2bSandboxInfo *info);
void                   tessera_e2b_sandbox_info_free     (TesseraE2bSandboxInfo       *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraE2bSandboxInfo, tessera_e2b_sandbox_info_free)

/* One process envd runs, from Process.List. */
typedef struct
{
  guint   pid;
  char   *cmd;
  char  **args;
  char   *cwd;
  char   *tag;
} TesseraE2bProcessInfo;

void tessera_e2b_process_info_free (TesseraE2bProcessInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraE2bProcessInfo, tessera_e2b_process_info_free)

#define TESSERA_TYPE_E2B_CLIENT (tessera_e2b_client_get_type ())
G_DECLARE_FINAL_TYPE (TesseraE2bClient, tessera_e2b_client, TESSERA, E2B_CLIENT, GObject)

/* Configuration resolves as E2B's SDKs do: a value set here (from the
 * settings) wins, then E2B_API_KEY / E2B_DOMAIN / E2B_API_URL /
 * E2B_SANDBOX_URL / E2B_DEBUG=true from the environment (read at
 * construction), then the defaults: domain e2b.app, API
 * https://api.{domain} (debug: http://localhost:3000), envd per sandbox
 * (debug: http://localhost:49983). Properties: "api-key", "domain",
 * "api-url", "sandbox-url" (NULL or "" = unset), "debug". */
TesseraE2bClient *tessera_e2b_client_new              (void);

void              tessera_e2b_client_set_api_key      (TesseraE2bClient *self,
                                                       const char       *api_key);
void              tessera_e2b_client_set_domain       (TesseraE2bClient *self,
                                                       const char       *domain);
void              tessera_e2b_client_set_api_url      (TesseraE2bClient *self,
                                                       const char       *api_url);
void              tessera_e2b_client_set_sandbox_url  (TesseraE2bClient *self,
                                                       const char       *sandbox_url);
void              tessera_e2b_client_set_debug        (TesseraE2bClient *self,
                                                       gboolean          debug);
/* TRUE when an API key is configured (here or in the environment). */
gboolean          tessera_e2b_client_has_api_key      (TesseraE2bClient *self);
/* The resolved values. */
const char       *tessera_e2b_client_get_domain       (TesseraE2bClient *self);
char             *tessera_e2b_client_get_api_url      (TesseraE2bClient *self);
gboolean          tessera_e2b_client_get_debug        (TesseraE2bClient *self);
char             *tessera_e2b_client_get_envd_url     (TesseraE2bClient            *self,
                                                       const TesseraE2bSandboxInfo *info);
/* "{port}-{id}.{domain}" ("localhost:{port}" in debug mode), as getHost(). */
char             *tessera_e2b_client_get_host         (TesseraE2bClient            *self,
                                                       const TesseraE2bSandboxInfo *info,
                                                       guint                        port);
/* The URL the preview loads for @port; when info->traffic_access_token is
 * set, requests to it need the header "e2b-traffic-access-token". */
char             *tessera_e2b_client_get_port_url     (TesseraE2bClient            *self,
                                                       const TesseraE2bSandboxInfo *info,
                                                       guint                        port);
/* HTTP requests sent so far, retries included (for tests and benchmarks). */
guint             tessera_e2b_client_get_request_count (TesseraE2bClient *self);
/* The first wait before retrying a 429/502/503/504 (doubling each time,
 * unless the server sends Retry-After). Default 250 ms. */
void              tessera_e2b_client_set_retry_delay  (TesseraE2bClient *self,
                                                       guint             delay_ms);

/* Control plane. Errors are TESSERA_SANDBOX_ERROR: AUTH (401/403),
 * RATE_LIMITED (429 after retries), EXPIRED (404), NETWORK, FAILED. */
void                   tessera_e2b_client_create_async      (TesseraE2bClient    *self,
                                                             const char          *template_id,
                                                             guint                timeout_s,
                                                             GHashTable          *metadata,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
TesseraE2bSandboxInfo *tessera_e2b_client_create_finish     (TesseraE2bClient    *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
void                   tessera_e2b_client_get_async         (TesseraE2bClient    *self,
                                                             const char          *sandbox_id,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
TesseraE2bSandboxInfo *tessera_e2b_client_get_finish        (TesseraE2bClient    *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
/* Running and paused sandboxes whose metadata holds every pair of
 * @metadata (NULL: all). Returns TesseraE2bSandboxInfo elements. */
void                   tessera_e2b_client_list_async        (TesseraE2bClient    *self,
                                                             GHashTable          *metadata,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
GPtrArray             *tessera_e2b_client_list_finish       (TesseraE2bClient    *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
/* A sandbox that is already gone counts as killed. */
void                   tessera_e2b_client_kill_async        (TesseraE2bClient    *self,
                                                             const char          *sandbox_id,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean               tessera_e2b_client_kill_finish       (TesseraE2bClient    *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
/* The sandbox ends @timeout_s from now (may shorten it). */
void                   tessera_e2b_client_set_timeout_async (TesseraE2bClient    *self,
                                                             const char          *sandbox_id,
                                                             guint                timeout_s,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean               tessera_e2b_client_set_timeout_finish (TesseraE2bClient   *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
/* An already paused sandbox counts as paused. */
void                   tessera_e2b_client_pause_async       (TesseraE2bClient    *self,
                                                             const char          *sandbox_id,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean               tessera_e2b_client_pause_finish      (TesseraE2bClient    *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
/* Resumes a paused sandbox or reaches a running one (POST /v2/.../connect),
 * extending its time to at least @timeout_s. */
void                   tessera_e2b_client_connect_async     (TesseraE2bClient    *self,
                                                             const char          *sandbox_id,
                                                             guint                timeout_s,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
TesseraE2bSandboxInfo *tessera_e2b_client_connect_finish    (TesseraE2bClient    *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);

/* envd files. Paths are sandbox paths: absolute, or relative to /home/user. */

/* Writes @files (TesseraSandboxFile, paths relative to @remote_root, which
 * must not leave it) in as few multipart requests as possible: batches of
 * at most 100 files or ~1.5 MB, at most 4 requests in flight. */
void                   tessera_e2b_client_write_files_async (TesseraE2bClient            *self,
                                                             const TesseraE2bSandboxInfo *info,
                                                             const char                  *remote_root,
                                                             GPtrArray                   *files,
                                                             GCancellable                *cancellable,
                                                             GAsyncReadyCallback          callback,
                                                             gpointer                     user_data);
gboolean               tessera_e2b_client_write_files_finish (TesseraE2bClient           *self,
                                                             GAsyncResult                *result,
                                                             GError                     **error);
void                   tessera_e2b_client_read_file_async   (TesseraE2bClient            *self,
                                                             const TesseraE2bSandboxInfo *info,
                                                             const char                  *path,
                                                             GCancellable                *cancellable,
                                                             GAsyncReadyCallback          callback,
                                                             gpointer                     user_data);
GBytes                *tessera_e2b_client_read_file_finish  (TesseraE2bClient            *self,
                                                             GAsyncResult                *result,
                                                             GError                     **error);

/* A Connect unary call, e.g. "filesystem.Filesystem/ListDir", JSON codec.
 * @request may be NULL ({}). A Connect error becomes a GError; its Connect
 * code (e.g. "not_found") is in @connect_code when that is not NULL. */
void                   tessera_e2b_client_call_async        (TesseraE2bClient            *self,
                                                             const TesseraE2bSandboxInfo *info,
                                                             const char                  *procedure,
                                                             JsonNode                    *request,
                                                             GCancellable                *cancellable,
                                                             GAsyncReadyCallback          callback,
                                                             gpointer                     user_data);
JsonNode              *tessera_e2b_client_call_finish       (TesseraE2bClient            *self,
                                                             GAsyncResult                *result,
                                                             char                       **connect_code,
                                                             GError                     **error);
/* Filesystem helpers over call_async. remove: a missing path counts as
 * removed; make_dir: an existing folder counts as made. */
void                   tessera_e2b_client_remove_async      (TesseraE2bClient            *self,
                                                             const TesseraE2bSandboxInfo *info,
                                                             const char                  *path,
                                                             GCancellable                *cancellable,
                                                             GAsyncReadyCallback          callback,
                                                             gpointer                     user_data);
gboolean               tessera_e2b_client_remove_finish     (TesseraE2bClient            *self,
                                                             GAsyncResult                *result,
                                                             GError                     **error);
void                   tessera_e2b_client_move_async        (TesseraE2bClient            *self,
                                                             const TesseraE2bSandboxInfo *info,
                                                             const char                  *from,
                                                             const char                  *to,
                                                             GCancellable                *cancellable,
                                                             GAsyncReadyCallback          callback,
                                                             gpointer                     user_data);
gboolean               tessera_e2b_client_move_finish       (TesseraE2bClient            *self,
                                                             GAsyncResult                *result,
                                                             GError                     **error);
void                   tessera_e2b_client_make_dir_async    (TesseraE2bClient            *self,
                                                             const TesseraE2bSandboxInfo *info,
                                                             const char                  *path,
                                                             GCancellable                *cancellable,
                                                             GAsyncReadyCallback          callback,
                                                             gpointer                     user_data);
gboolean               tessera_e2b_client_make_dir_finish   (TesseraE2bClient            *self,
                                                             GAsyncResult                *result,
                                                             GError                     **error);

/* Processes. start runs "/bin/bash -l -c @command" as E2B's SDK does and
 * completes once envd reports the start. @timeout_ms 0 sends no
 * Connect-Timeout-Ms (envd would kill the process at that deadline), which
 * is what long-running servers need. @env holds KEY=VALUE strings. */
void                   tessera_e2b_client_start_async       (TesseraE2bClient            *self,
                                                             const TesseraE2bSandboxInfo *info,
                                                             const char                  *command,
                                                             const char                  *cwd,
                                                             const char * const          *env,
                                                             const char                  *tag,
                                                             guint                        timeout_ms,
                                                             GCancellable                *cancellable,
                                                             GAsyncReadyCallback          callback,
                                                             gpointer                     user_data);
TesseraE2bStream      *tessera_e2b_client_start_finish      (TesseraE2bClient            *self,
                                                             GAsyncResult                *result,
                                                             GError                     **error);
/* Re-attaches to a running process: its live output from now on, and its end. */
void                   tessera_e2b_client_connect_process_async  (TesseraE2bClient            *self,
                                                                  const TesseraE2bSandboxInfo *info,
                                                                  guint                        pid,
                                                                  GCancellable                *cancellable,
                                                                  GAsyncReadyCallback          callback,
                                                                  gpointer                     user_data);
TesseraE2bStream      *tessera_e2b_client_connect_process_finish (TesseraE2bClient            *self,
                                                                  GAsyncResult                *result,
                                                                  GError                     **error);
/* Returns TesseraE2bProcessInfo elements. */
void                   tessera_e2b_client_list_processes_async  (TesseraE2bClient            *self,
                                                                 const TesseraE2bSandboxInfo *info,
                                                                 GCancellable                *cancellable,
                                                                 GAsyncReadyCallback          callback,
                                                                 gpointer                     user_data);
GPtrArray             *tessera_e2b_client_list_processes_finish (TesseraE2bClient            *self,
                                                                 GAsyncResult                *result,
                                                                 GError                     **error);
/* @signum is SIGTERM or SIGKILL. A process that is already gone makes
 * it fail with TESSERA_SANDBOX_ERROR_NOT_RUNNING. */
void                   tessera_e2b_client_send_signal_async (TesseraE2bClient            *self,
                                                             const TesseraE2bSandboxInfo *info,
                                                             guint                        pid,
                                                             int                          signum,
                                                             GCancellable                *cancellable,
                                                             GAsyncReadyCallback          callback,
                                                             gpointer                     user_data);
gboolean               tessera_e2b_client_send_signal_finish (TesseraE2bClient           *self,
                                                             GAsyncResult                *result,
                                                             GError                     **error);

G_END_DECLS
