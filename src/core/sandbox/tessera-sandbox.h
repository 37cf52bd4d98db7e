/* tessera-sandbox.h: where a project's code runs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "tessera-process.h"

G_BEGIN_DECLS

typedef enum
{
  TESSERA_SANDBOX_STOPPED,
  TESSERA_SANDBOX_STARTING,
  TESSERA_SANDBOX_READY,
  TESSERA_SANDBOX_FAILED,
  /* The backend lost the sandbox (a cloud sandbox timed out). */
  TESSERA_SANDBOX_EXPIRED,
} TesseraSandboxState;

#define TESSERA_SANDBOX_ERROR (tessera_sandbox_error_quark ())

typedef enum
{
  TESSERA_SANDBOX_ERROR_FAILED,
  /* bwrap (or flatpak-spawn) is missing: the UI offers an explicit,
   * per-project opt-in to run unsandboxed. */
  TESSERA_SANDBOX_ERROR_UNAVAILABLE,
  TESSERA_SANDBOX_ERROR_NOT_RUNNING,
  TESSERA_SANDBOX_ERROR_EXPIRED,
  TESSERA_SANDBOX_ERROR_TIMED_OUT,
  TESSERA_SANDBOX_ERROR_INVALID_PATH,
  TESSERA_SANDBOX_ERROR_AUTH,
  TESSERA_SANDBOX_ERROR_RATE_LIMITED,
  TESSERA_SANDBOX_ERROR_NETWORK,
} TesseraSandboxError;

/* One file of a batch write: a path relative to the project root. */
typedef struct
{
  char   *path;
  GBytes *contents;
} TesseraSandboxFile;

TesseraSandboxFile *tessera_sandbox_file_new  (const char         *path,
                                               GBytes             *contents);
void                tessera_sandbox_file_free (TesseraSandboxFile *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraSandboxFile, tessera_sandbox_file_free)

#define TESSERA_TYPE_SANDBOX (tessera_sandbox_get_type ())
G_DECLARE_INTERFACE (TesseraSandbox, tessera_sandbox, TESSERA, SANDBOX, GObject)

struct _TesseraSandboxInterface
{
  GTypeInterface parent_iface;

  void            (*start_async)       (TesseraSandbox       *self,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
  gboolean        (*start_finish)      (TesseraSandbox       *self,
                                        GAsyncResult         *result,
                                        GError              **error);
  /* Ends every process the sandbox started. */
  void            (*stop_async)        (TesseraSandbox       *self,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
  gboolean        (*stop_finish)       (TesseraSandbox       *self,
                                        GAsyncResult         *result,
                                        GError              **error);

  /* Files, by paths relative to the project root. A backend that runs on
   * the project folder itself (local) has nothing to copy. */
  void            (*write_files_async) (TesseraSandbox       *self,
                                        GPtrArray            *files,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
  gboolean        (*write_files_finish)(TesseraSandbox       *self,
                                        GAsyncResult         *result,
                                        GError              **error);
  void            (*delete_async)      (TesseraSandbox       *self,
                                        const char           *path,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
  gboolean        (*delete_finish)     (TesseraSandbox       *self,
                                        GAsyncResult         *result,
                                        GError              **error);
  void            (*rename_async)      (TesseraSandbox       *self,
                                        const char           *from,
                                        const char           *to,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
  gboolean        (*rename_finish)     (TesseraSandbox       *self,
                                        GAsyncResult         *result,
                                        GError              **error);
  void            (*read_async)        (TesseraSandbox       *self,
                                        const char           *path,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
  GBytes         *(*read_finish)       (TesseraSandbox       *self,
                                        GAsyncResult         *result,
                                        GError              **error);

  /* Starts @argv in the sandbox; completes once it has started (so that
   * long-running servers work the same as short commands). @cwd is
   * relative to the project root (NULL: the root); @env holds extra
   * KEY=VALUE pairs; @timeout_ms 0 means no limit. The process emits
   * ::output only after the callback returned, so that handlers connected
   * there miss nothing. Cancelling @cancellable after the start kills the
   * process (error message "Cancelled"). */
  void            (*spawn_async)       (TesseraSandbox       *self,
                                        const char * const   *argv,
                                        const char           *cwd,
                                        const char * const   *env,
                                        guint                 timeout_ms,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
  TesseraProcess *(*spawn_finish)      (TesseraSandbox       *self,
                                        GAsyncResult         *result,
                                        GError              **error);

  /* The URL at which the preview reaches @port inside the sandbox. */
  void            (*expose_port_async) (TesseraSandbox       *self,
                                        guint                 port,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
  char           *(*expose_port_finish)(TesseraSandbox       *self,
                                        GAsyncResult         *result,
                                        GError              **error);

  /* Serves the project's files as a static site (with live reload where
   * the backend can) and returns its URL. */
  void            (*serve_static_async) (TesseraSandbox      *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
  char           *(*serve_static_finish)(TesseraSandbox      *self,
                                         GAsyncResult        *result,
                                         GError             **error);

  gpointer padding[8];
};

GQuark              tessera_sandbox_error_quark        (void);

#define TESSERA_TYPE_SANDBOX_STATE (tessera_sandbox_state_get_type ())
GType               tessera_sandbox_state_get_type     (void);

/* Properties of every sandbox: "state" (TesseraSandboxState) and
 * "status-message" (a translated sentence for the UI, e.g. "Starting
 * sandbox…" or "Sandbox expired; starting a new one"). Implementations
 * call tessera_sandbox_set_state(), and declare both properties with
 * g_object_class_override_property(), answering them in get_property()
 * with tessera_sandbox_get_state() and tessera_sandbox_get_status_message()
 * (the interface keeps the values). */
TesseraSandboxState tessera_sandbox_get_state          (TesseraSandbox       *self);
const char         *tessera_sandbox_get_status_message (TesseraSandbox       *self);
void                tessera_sandbox_set_state          (TesseraSandbox       *self,
                                                        TesseraSandboxState   state,
                                                        const char           *status_message);

void                tessera_sandbox_start_async        (TesseraSandbox       *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean            tessera_sandbox_start_finish       (TesseraSandbox       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
void                tessera_sandbox_stop_async         (TesseraSandbox       *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean            tessera_sandbox_stop_finish        (TesseraSandbox       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
void                tessera_sandbox_write_files_async  (TesseraSandbox       *self,
                                                        GPtrArray            *files,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean            tessera_sandbox_write_files_finish (TesseraSandbox       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
void                tessera_sandbox_delete_async       (TesseraSandbox       *self,
                                                        const char           *path,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean            tessera_sandbox_delete_finish      (TesseraSandbox       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
void                tessera_sandbox_rename_async       (TesseraSandbox       *self,
                                                        const char           *from,
                                                        const char           *to,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean            tessera_sandbox_rename_finish      (TesseraSandbox       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
void                tessera_sandbox_read_async         (TesseraSandbox       *self,
                                                        const char           *path,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
GBytes             *tessera_sandbox_read_finish        (TesseraSandbox       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
void                tessera_sandbox_spawn_async        (TesseraSandbox       *self,
                                                        const char * const   *argv,
                                                        const char           *cwd,
                                                        const char * const   *env,
                                                        guint                 timeout_ms,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
TesseraProcess     *tessera_sandbox_spawn_finish       (TesseraSandbox       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
void                tessera_sandbox_expose_port_async  (TesseraSandbox       *self,
                                                        guint                 port,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
char               *tessera_sandbox_expose_port_finish (TesseraSandbox       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
void                tessera_sandbox_serve_static_async (TesseraSandbox       *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
char               *tessera_sandbox_serve_static_finish(TesseraSandbox       *self,
                                                        GAsyncResult         *result,
                                                        GError             **error);

G_END_DECLS
