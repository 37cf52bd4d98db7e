/* tessera-e2b-sandbox.c: the E2B cloud backend of TesseraSandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-e2b-sandbox"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "tessera-e2b-process.h"
#include "tessera-e2b-sandbox.h"

#define DEFAULT_TIMEOUT_S 300

struct _TesseraE2bSandbox
{
  GObject                parent_instance;

  TesseraProject        *project;
  TesseraE2bClient      *client;
  TesseraE2bSync        *sync;
  TesseraE2bSandboxInfo *info;
  GDateTime             *end_time;
  GCancellable          *cancellable;

  char                  *template_id;
  guint                  timeout_s;
  gboolean               keep_alive;
  gboolean               pinned;
  guint                  static_port;

  /* Running processes we started, strong references. */
  GPtrArray             *processes;
  TesseraE2bProcess     *static_server;
  guint                  keepalive_id;
  gboolean               recovering;
};

enum {
  PROP_0,
  PROP_PROJECT,
  PROP_CLIENT,
  PROP_TEMPLATE,
  PROP_TIMEOUT,
  PROP_KEEP_ALIVE,
  PROP_PINNED,
  PROP_STATIC_PORT,
  PROP_SANDBOX_ID,
  PROP_END_TIME,
  PROP_TRAFFIC_ACCESS_TOKEN,
  N_PROPS,
  PROP_STATE = N_PROPS,
  PROP_STATUS_MESSAGE,
};

enum {
  REPLACED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void sandbox_iface_init (TesseraSandboxInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TesseraE2bSandbox, tessera_e2b_sandbox, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TESSERA_TYPE_SANDBOX, sandbox_iface_init))

static void handle_expired (TesseraE2bSandbox *self);

/* State ------------------------------------------------------------------ */

static void
set_state (TesseraE2bSandbox   *self,
           TesseraSandboxState  state,
           const char          *message)
{
  tessera_sandbox_set_state (TESSERA_SANDBOX (self), state, message);
}

static void
set_end_time (TesseraE2bSandbox *self,
              GDateTime         *end_time)
{
  if (self->end_time == end_time ||
      (self->end_time && end_time && g_date_time_equal (self->end_time, end_time)))
    return;
  g_clear_pointer (&self->end_time, g_date_time_unref);
  self->end_time = end_time ? g_date_time_ref (end_time) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_END_TIME]);
}

static void
end_in (TesseraE2bSandbox *self,
        guint              seconds)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) end = g_date_time_add_seconds (now, seconds);

  set_end_time (self, end);
}

static void
set_info (TesseraE2bSandbox           *self,
          const TesseraE2bSandboxInfo *info)
{
  g_autofree char *old_id = self->info ? g_strdup (self->info->sandbox_id) : NULL;
  g_autofree char *old_token = self->info ? g_strdup (self->info->traffic_access_token) : NULL;

  g_clear_pointer (&self->info, tessera_e2b_sandbox_info_free);
  self->info = tessera_e2b_sandbox_info_copy (info);
  tessera_e2b_sync_set_sandbox (self->sync, info);

  if (info == NULL)
    set_end_time (self, NULL);
  else if (info->end_at)
    set_end_time (self, info->end_at);
  else
    end_in (self, self->timeout_s);

  if (g_strcmp0 (old_id, info ? info->sandbox_id : NULL) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SANDBOX_ID]);
  if (g_strcmp0 (old_token, info ? info->traffic_access_token : NULL) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRAFFIC_ACCESS_TOKEN]);
}

static GHashTable *
project_metadata (TesseraE2bSandbox *self)
{
  GHashTable *metadata = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (metadata, (gpointer) TESSERA_E2B_PROJECT_METADATA,
                       (gpointer) tessera_project_get_id (self->project));
  return metadata;
}

static gboolean
is_expired (const GError *error)
{
  return g_error_matches (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_EXPIRED);
}

/* Fails @task with @error, taking it; an expired sandbox is replaced so
 * that the next call finds a fresh one. */
static void
return_error (TesseraE2bSandbox *self,
              GTask             *task,
              GError            *error)
{
  if (is_expired (error))
    handle_expired (self);
  g_task_return_error (task, error);
}

/* Processes -------------------------------------------------------------- */

static void
detach_all (TesseraE2bSandbox *self,
            const char        *message,
            gboolean           keep_servers)
{
  g_autoptr(GPtrArray) processes = g_ptr_array_copy (self->processes, (GCopyFunc) g_object_ref, NULL);

  g_ptr_array_set_free_func (processes, g_object_unref);
  for (guint i = 0; i < processes->len; i++)
    {
      TesseraE2bProcess *process = g_ptr_array_index (processes, i);

      if (!keep_servers || !tessera_e2b_process_is_server (process))
        tessera_e2b_process_detach (process, message);
    }
}

static void
on_process_exited (TesseraProcess    *process,
                   int                exit_status,
                   TesseraE2bSandbox *self)
{
  g_signal_handlers_disconnect_by_data (process, self);
  if (self->static_server == (TesseraE2bProcess *) process)
    g_clear_object (&self->static_server);
  g_ptr_array_remove (self->processes, process);
}

static void
on_process_sandbox_lost (TesseraE2bProcess *process,
                         GError            *error,
                         TesseraE2bSandbox *self)
{
  handle_expired (self);
}

static void
track (TesseraE2bSandbox *self,
       TesseraE2bProcess *process)
{
  g_ptr_array_add (self->processes, g_object_ref (process));
  g_signal_connect (process, "exited", G_CALLBACK (on_process_exited), self);
  g_signal_connect (process, "sandbox-lost", G_CALLBACK (on_process_sandbox_lost), self);
}

/* Keep-alive ------------------------------------------------------------- */

static void
on_keepalive_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TesseraE2bSandbox) self = user_data;
  g_autoptr(GError) error = NULL;

  if (tessera_e2b_client_set_timeout_finish (TESSERA_E2B_CLIENT (source), result, &error))
    end_in (self, self->timeout_s);
  else if (is_expired (error))
    handle_expired (self);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Keep-alive failed: %s", error->message);
}

static gboolean
on_keepalive (gpointer data)
{
  TesseraE2bSandbox *self = data;

  if (self->info && !self->recovering)
    tessera_e2b_client_set_timeout_async (self->client, self->info->sandbox_id, self->timeout_s,
                                          self->cancellable, on_keepalive_done, g_object_ref (self));
  return G_SOURCE_CONTINUE;
}

static void
update_keepalive (TesseraE2bSandbox *self)
{
  gboolean want = self->keep_alive && self->info != NULL;

  if (!want)
    {
      g_clear_handle_id (&self->keepalive_id, g_source_remove);
      return;
    }
  if (self->keepalive_id == 0)
    /* Well before the end, so that one failed extension is not fatal. */
    self->keepalive_id = g_timeout_add_seconds (MAX (self->timeout_s / 3, 10), on_keepalive, self);
}

/* Expiry ----------------------------------------------------------------- */

typedef struct
{
  TesseraE2bSandbox *self;
  char              *old_id;
  guint              respawning;
} Recovery;

static void
recovery_free (Recovery *r)
{
  g_object_unref (r->self);
  g_free (r->old_id);
  g_free (r);
}

static void
recovery_failed (Recovery     *r,
                 const GError *error)
{
  TesseraE2bSandbox *self = r->self;
  g_autofree char *message = g_strdup_printf (_("The cloud sandbox expired and a new one could not be started: %s"),
                                              error->message);

  self->recovering = FALSE;
  detach_all (self, _("The cloud sandbox expired."), FALSE);
  set_info (self, NULL);
  update_keepalive (self);
  set_state (self, TESSERA_SANDBOX_FAILED, message);
  recovery_free (r);
}

static void
recovery_done (Recovery *r)
{
  TesseraE2bSandbox *self = r->self;

  self->recovering = FALSE;
  update_keepalive (self);
  set_state (self, TESSERA_SANDBOX_READY, _("The cloud sandbox expired; started a new one"));
  g_signal_emit (self, signals[REPLACED], 0, r->old_id, self->info->sandbox_id);
  recovery_free (r);
}

static void
on_respawned (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Recovery *r = user_data;
  TesseraE2bProcess *process = TESSERA_E2B_PROCESS (source);
  g_autoptr(GError) error = NULL;

  if (!tessera_e2b_process_respawn_finish (process, result, &error))
    tessera_e2b_process_detach (process, error->message);
  if (--r->respawning == 0)
    recovery_done (r);
}

static void
on_resynced (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Recovery *r = user_data;
  TesseraE2bSandbox *self = r->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) servers = NULL;

  if (!tessera_e2b_sync_upload_all_finish (TESSERA_E2B_SYNC (source), result, &error))
    {
      recovery_failed (r, error);
      return;
    }

  /* Commands cannot be resumed; servers (the app) start again. */
  detach_all (self, _("The cloud sandbox expired."), TRUE);
  servers = g_ptr_array_copy (self->processes, (GCopyFunc) g_object_ref, NULL);
  g_ptr_array_set_free_func (servers, g_object_unref);
  if (servers->len == 0)
    {
      recovery_done (r);
      return;
    }
  r->respawning = servers->len;
  for (guint i = 0; i < servers->len; i++)
    tessera_e2b_process_respawn_async (g_ptr_array_index (servers, i), self->info, self->cancellable,
                                       on_respawned, r);
}

static void
on_recreated_dir_made (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Recovery *r = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_e2b_client_make_dir_finish (TESSERA_E2B_CLIENT (source), result, &error))
    {
      recovery_failed (r, error);
      return;
    }
  tessera_e2b_sync_upload_all_async (r->self->sync, r->self->cancellable, on_resynced, r);
}

static void
on_recreated (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Recovery *r = user_data;
  TesseraE2bSandbox *self = r->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraE2bSandboxInfo) info = tessera_e2b_client_create_finish (TESSERA_E2B_CLIENT (source), result, &error);

  if (info == NULL)
    {
      recovery_failed (r, error);
      return;
    }
  set_info (self, info);
  tessera_e2b_client_make_dir_async (self->client, self->info, TESSERA_E2B_PROJECT_DIR, self->cancellable,
                                     on_recreated_dir_made, r);
}

/* The sandbox is gone (timed out, killed elsewhere): a new one takes its
 * place with the same files and the same servers, so the preview does not
 * stay on a dead "sandbox not found". */
static void
handle_expired (TesseraE2bSandbox *self)
{
  g_autoptr(GHashTable) metadata = NULL;
  Recovery *r;
  TesseraSandboxState state = tessera_sandbox_get_state (TESSERA_SANDBOX (self));

  /* While starting, the start itself fails and says why. */
  if (self->recovering || self->info == NULL || state != TESSERA_SANDBOX_READY)
    return;

  g_debug ("Sandbox %s expired; creating a new one", self->info->sandbox_id);
  self->recovering = TRUE;
  r = g_new0 (Recovery, 1);
  r->self = g_object_ref (self);
  r->old_id = g_strdup (self->info->sandbox_id);
  tessera_e2b_sync_set_sandbox (self->sync, NULL);
  set_state (self, TESSERA_SANDBOX_EXPIRED, _("The cloud sandbox expired; starting a new one…"));

  metadata = project_metadata (self);
  tessera_e2b_client_create_async (self->client, self->template_id, self->timeout_s, metadata,
                                   self->cancellable, on_recreated, r);
}

static void
on_sync_expired (TesseraE2bSync    *sync,
                 GError            *error,
                 TesseraE2bSandbox *self)
{
  handle_expired (self);
}

/* Start ------------------------------------------------------------------ */

static void
start_failed (GTask  *task,
              GError *error)
{
  TesseraE2bSandbox *self = g_task_get_source_object (task);

  set_info (self, NULL);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    set_state (self, TESSERA_SANDBOX_STOPPED, NULL);
  else
    set_state (self, TESSERA_SANDBOX_FAILED, error->message);
  g_task_return_error (task, error);
}

static void
on_uploaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraE2bSandbox *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!tessera_e2b_sync_upload_all_finish (TESSERA_E2B_SYNC (source), result, &error))
    {
      start_failed (task, error);
      return;
    }
  update_keepalive (self);
  set_state (self, TESSERA_SANDBOX_READY, _("Running in the cloud sandbox"));
  g_task_return_boolean (task, TRUE);
}

static void
on_project_dir_made (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraE2bSandbox *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!tessera_e2b_client_make_dir_finish (TESSERA_E2B_CLIENT (source), result, &error))
    {
      start_failed (task, error);
      return;
    }
  set_state (self, TESSERA_SANDBOX_STARTING, _("Copying the project to the cloud sandbox…"));
  tessera_e2b_sync_upload_all_async (self->sync, g_task_get_cancellable (task), on_uploaded, g_object_ref (task));
}

static void
adopt (GTask                       *owned_task,
       const TesseraE2bSandboxInfo *info)
{
  g_autoptr(GTask) task = owned_task;
  TesseraE2bSandbox *self = g_task_get_source_object (task);

  set_info (self, info);
  /* Commands run in the project folder, which must exist even when the
   * project has no file yet. */
  tessera_e2b_client_make_dir_async (self->client, self->info, TESSERA_E2B_PROJECT_DIR,
                                     g_task_get_cancellable (task), on_project_dir_made, g_object_ref (task));
}

static void
on_created (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(TesseraE2bSandboxInfo) info = tessera_e2b_client_create_finish (TESSERA_E2B_CLIENT (source), result, &error);

  if (info == NULL)
    {
      start_failed (task, error);
      return;
    }
  adopt (g_steal_pointer (&task), info);
}

static void
create (GTask *owned_task)
{
  g_autoptr(GTask) task = owned_task;
  TesseraE2bSandbox *self = g_task_get_source_object (task);
  g_autoptr(GHashTable) metadata = project_metadata (self);
  GCancellable *cancellable = g_task_get_cancellable (task);

  set_state (self, TESSERA_SANDBOX_STARTING, _("Starting a cloud sandbox…"));
  tessera_e2b_client_create_async (self->client, self->template_id, self->timeout_s, metadata,
                                   cancellable, on_created, g_steal_pointer (&task));
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(TesseraE2bSandboxInfo) info = tessera_e2b_client_connect_finish (TESSERA_E2B_CLIENT (source), result, &error);

  if (info == NULL)
    {
      /* It went away between listing and connecting. */
      if (is_expired (error))
        {
          g_error_free (error);
          create (g_steal_pointer (&task));
          return;
        }
      start_failed (task, error);
      return;
    }
  adopt (g_steal_pointer (&task), info);
}

static void
on_listed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraE2bSandbox *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(GPtrArray) list = tessera_e2b_client_list_finish (TESSERA_E2B_CLIENT (source), result, &error);
  const TesseraE2bSandboxInfo *found = NULL;
  GCancellable *cancellable;

  if (list == NULL)
    {
      start_failed (task, error);
      return;
    }
  /* A running one first; a paused (pinned) one resumes. */
  for (guint i = 0; i < list->len; i++)
    {
      const TesseraE2bSandboxInfo *info = g_ptr_array_index (list, i);

      if (found == NULL || (g_strcmp0 (info->state, "running") == 0 && g_strcmp0 (found->state, "running") != 0))
        found = info;
    }
  if (found == NULL)
    {
      create (g_steal_pointer (&task));
      return;
    }
  set_state (self, TESSERA_SANDBOX_STARTING,
             g_strcmp0 (found->state, "paused") == 0 ? _("Resuming the cloud sandbox…")
                                                      : _("Connecting to the cloud sandbox…"));
  cancellable = g_task_get_cancellable (task);
  tessera_e2b_client_connect_async (self->client, found->sandbox_id, self->timeout_s, cancellable,
                                    on_connected, g_steal_pointer (&task));
}

static void
tessera_e2b_sandbox_start_async (TesseraSandbox      *sandbox,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  TesseraE2bSandbox *self = TESSERA_E2B_SANDBOX (sandbox);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GHashTable) metadata = NULL;

  g_task_set_source_tag (task, tessera_e2b_sandbox_start_async);
  if (self->info != NULL && tessera_sandbox_get_state (sandbox) == TESSERA_SANDBOX_READY)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  set_state (self, TESSERA_SANDBOX_STARTING, _("Looking for this project’s cloud sandbox…"));
  metadata = project_metadata (self);
  tessera_e2b_client_list_async (self->client, metadata, cancellable, on_listed, g_steal_pointer (&task));
}

static gboolean
tessera_e2b_sandbox_start_finish (TesseraSandbox  *sandbox,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Stop and close --------------------------------------------------------- */

static void
on_stopped (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraE2bSandbox *self = g_task_get_source_object (task);
  GError *error = NULL;
  gboolean ok;

  if (g_task_get_task_data (task))
    ok = tessera_e2b_client_pause_finish (TESSERA_E2B_CLIENT (source), result, &error);
  else
    ok = tessera_e2b_client_kill_finish (TESSERA_E2B_CLIENT (source), result, &error);

  /* Gone already is as good as stopped. */
  if (!ok && is_expired (error))
    {
      g_clear_error (&error);
      ok = TRUE;
    }
  set_state (self, TESSERA_SANDBOX_STOPPED, NULL);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
stop (TesseraE2bSandbox   *self,
      gboolean             pause,
      gpointer             source_tag,
      GCancellable        *cancellable,
      GAsyncReadyCallback  callback,
      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *id = self->info ? g_strdup (self->info->sandbox_id) : NULL;

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, GINT_TO_POINTER (pause), NULL);

  detach_all (self, pause ? _("The cloud sandbox was paused.") : _("The cloud sandbox was closed."), FALSE);
  set_info (self, NULL);
  update_keepalive (self);
  if (id == NULL)
    {
      set_state (self, TESSERA_SANDBOX_STOPPED, NULL);
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (pause)
    tessera_e2b_client_pause_async (self->client, id, cancellable, on_stopped, g_steal_pointer (&task));
  else
    tessera_e2b_client_kill_async (self->client, id, cancellable, on_stopped, g_steal_pointer (&task));
}

static void
tessera_e2b_sandbox_stop_async (TesseraSandbox      *sandbox,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  TesseraE2bSandbox *self = TESSERA_E2B_SANDBOX (sandbox);

  stop (self, self->pinned, tessera_e2b_sandbox_stop_async, cancellable, callback, user_data);
}

static gboolean
tessera_e2b_sandbox_stop_finish (TesseraSandbox  *sandbox,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
tessera_e2b_sandbox_close_async (TesseraE2bSandbox   *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_E2B_SANDBOX (self));
  stop (self, FALSE, tessera_e2b_sandbox_close_async, cancellable, callback, user_data);
}

gboolean
tessera_e2b_sandbox_close_finish (TesseraE2bSandbox  *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Extend ----------------------------------------------------------------- */

static void
on_extended (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraE2bSandbox *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!tessera_e2b_client_set_timeout_finish (TESSERA_E2B_CLIENT (source), result, &error))
    {
      return_error (self, task, error);
      return;
    }
  end_in (self, GPOINTER_TO_UINT (g_task_get_task_data (task)));
  g_task_return_boolean (task, TRUE);
}

void
tessera_e2b_sandbox_extend_async (TesseraE2bSandbox   *self,
                                  guint                seconds,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TESSERA_IS_E2B_SANDBOX (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_e2b_sandbox_extend_async);
  if (seconds == 0)
    seconds = self->timeout_s;
  g_task_set_task_data (task, GUINT_TO_POINTER (seconds), NULL);
  if (self->info == NULL)
    {
      g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NOT_RUNNING,
                               _("The cloud sandbox is not running."));
      return;
    }
  tessera_e2b_client_set_timeout_async (self->client, self->info->sandbox_id, seconds, cancellable,
                                        on_extended, g_steal_pointer (&task));
}

gboolean
tessera_e2b_sandbox_extend_finish (TesseraE2bSandbox  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Files ------------------------------------------------------------------ */

static gboolean
check_running (TesseraE2bSandbox *self,
               GTask             *task)
{
  if (self->info != NULL)
    return TRUE;
  g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NOT_RUNNING,
                           _("The cloud sandbox is not running."));
  return FALSE;
}

static char *
remote_path (const char  *path,
             GError     **error)
{
  g_auto(GStrv) parts = NULL;

  if (path == NULL || *path == '\0')
    return g_strdup (TESSERA_E2B_PROJECT_DIR);
  if (path[0] == '/')
    goto invalid;
  parts = g_strsplit (path, "/", -1);
  for (guint i = 0; parts[i]; i++)
    if (g_str_equal (parts[i], ".."))
      goto invalid;
  return g_strconcat (TESSERA_E2B_PROJECT_DIR "/", path, NULL);

invalid:
  g_set_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_INVALID_PATH,
               _("“%s” is not a path inside the project."), path);
  return NULL;
}

/* remote_path() for an operation: on failure @task gets the error. */
static char *
task_remote_path (GTask      *task,
                  const char *path)
{
  GError *error = NULL;
  char *remote = remote_path (path, &error);

  if (remote == NULL)
    g_task_return_error (task, error);
  return remote;
}

/* Completes @task from a boolean client call, noticing an expired sandbox. */
static void
on_bool_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraE2bSandbox *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  return_error (self, task, error);
}

static void
tessera_e2b_sandbox_write_files_async (TesseraSandbox      *sandbox,
                                       GPtrArray           *files,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  TesseraE2bSandbox *self = TESSERA_E2B_SANDBOX (sandbox);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, tessera_e2b_sandbox_write_files_async);
  if (!check_running (self, task))
    return;
  tessera_e2b_client_write_files_async (self->client, self->info, TESSERA_E2B_PROJECT_DIR, files,
                                        cancellable, on_bool_done, g_steal_pointer (&task));
}

static gboolean
tessera_e2b_sandbox_bool_finish (TesseraSandbox  *sandbox,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
tessera_e2b_sandbox_delete_async (TesseraSandbox      *sandbox,
                                  const char          *path,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  TesseraE2bSandbox *self = TESSERA_E2B_SANDBOX (sandbox);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *remote = NULL;

  g_task_set_source_tag (task, tessera_e2b_sandbox_delete_async);
  if (!check_running (self, task) || (remote = task_remote_path (task, path)) == NULL)
    return;
  tessera_e2b_client_remove_async (self->client, self->info, remote, cancellable, on_bool_done,
                                   g_steal_pointer (&task));
}

static void
tessera_e2b_sandbox_rename_async (TesseraSandbox      *sandbox,
                                  const char          *from,
                                  const char          *to,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  TesseraE2bSandbox *self = TESSERA_E2B_SANDBOX (sandbox);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *remote_from = NULL;
  g_autofree char *remote_to = NULL;

  g_task_set_source_tag (task, tessera_e2b_sandbox_rename_async);
  if (!check_running (self, task) ||
      (remote_from = task_remote_path (task, from)) == NULL ||
      (remote_to = task_remote_path (task, to)) == NULL)
    return;
  tessera_e2b_client_move_async (self->client, self->info, remote_from, remote_to, cancellable,
                                 on_bool_done, g_steal_pointer (&task));
}

static void
on_read_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraE2bSandbox *self = g_task_get_source_object (task);
  GError *error = NULL;
  GBytes *bytes = tessera_e2b_client_read_file_finish (TESSERA_E2B_CLIENT (source), result, &error);

  if (bytes == NULL)
    {
      return_error (self, task, error);
      return;
    }
  g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
}

static void
tessera_e2b_sandbox_read_async (TesseraSandbox      *sandbox,
                                const char          *path,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  TesseraE2bSandbox *self = TESSERA_E2B_SANDBOX (sandbox);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *remote = NULL;

  g_task_set_source_tag (task, tessera_e2b_sandbox_read_async);
  if (!check_running (self, task) || (remote = task_remote_path (task, path)) == NULL)
    return;
  tessera_e2b_client_read_file_async (self->client, self->info, remote, cancellable, on_read_done,
                                      g_steal_pointer (&task));
}

static GBytes *
tessera_e2b_sandbox_read_finish (TesseraSandbox  *sandbox,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Spawn ------------------------------------------------------------------ */

typedef struct
{
  TesseraE2bProcess *process;
  char              *tag;
} Spawn;

static void
spawn_free (Spawn *s)
{
  g_clear_object (&s->process);
  g_free (s->tag);
  g_free (s);
}

static void
on_process_started (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraE2bSandbox *self = g_task_get_source_object (task);
  TesseraE2bProcess *process = TESSERA_E2B_PROCESS (source);
  GError *error = NULL;
  gboolean ok;

  if (g_async_result_is_tagged (result, tessera_e2b_process_attach_async))
    ok = tessera_e2b_process_attach_finish (process, result, &error);
  else
    ok = tessera_e2b_process_start_finish (process, result, &error);

  if (!ok)
    {
      return_error (self, task, error);
      return;
    }
  track (self, process);
  g_task_return_pointer (task, g_object_ref (process), g_object_unref);
}

static void
on_processes_listed (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Spawn *s = g_task_get_task_data (task);
  g_autoptr(GPtrArray) processes = tessera_e2b_client_list_processes_finish (TESSERA_E2B_CLIENT (source), result, NULL);
  GCancellable *cancellable = g_task_get_cancellable (task);

  /* The same server still runs (Tessera restarted, or the pinned sandbox
   * resumed): follow it instead of starting a second one. */
  for (guint i = 0; processes && i < processes->len; i++)
    {
      TesseraE2bProcessInfo *info = g_ptr_array_index (processes, i);

      if (g_strcmp0 (info->tag, s->tag) == 0)
        {
          tessera_e2b_process_attach_async (s->process, info->pid, cancellable, on_process_started,
                                            g_steal_pointer (&task));
          return;
        }
    }
  tessera_e2b_process_start_async (s->process, cancellable, on_process_started, g_steal_pointer (&task));
}

static void
on_flushed_before_spawn (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraE2bSandbox *self = g_task_get_source_object (task);
  Spawn *s = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GError) error = NULL;

  if (!tessera_e2b_sync_flush_finish (TESSERA_E2B_SYNC (source), result, &error))
    {
      if (g_task_return_error_if_cancelled (task))
        return;
      /* The sync reports its own failure and keeps retrying; the command
       * still runs. */
      g_debug ("Running before the sync completed: %s", error->message);
    }
  if (self->info == NULL)
    {
      g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NOT_RUNNING,
                               _("The cloud sandbox is not running."));
      return;
    }
  if (s->tag)
    tessera_e2b_client_list_processes_async (self->client, self->info, cancellable, on_processes_listed,
                                             g_steal_pointer (&task));
  else
    tessera_e2b_process_start_async (s->process, cancellable, on_process_started, g_steal_pointer (&task));
}

static char *
server_tag (const char * const *argv,
            const char         *cwd,
            const char * const *env)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *hex = NULL;

  for (guint i = 0; argv[i]; i++)
    g_checksum_update (sum, (const guchar *) argv[i], strlen (argv[i]) + 1);
  g_checksum_update (sum, (const guchar *) "\1", 1);
  if (cwd)
    g_checksum_update (sum, (const guchar *) cwd, strlen (cwd) + 1);
  g_checksum_update (sum, (const guchar *) "\1", 1);
  for (guint i = 0; env && env[i]; i++)
    g_checksum_update (sum, (const guchar *) env[i], strlen (env[i]) + 1);
  hex = g_strndup (g_checksum_get_string (sum), 16);
  return g_strconcat ("tessera-", hex, NULL);
}

static void
tessera_e2b_sandbox_spawn_async (TesseraSandbox      *sandbox,
                                 const char * const  *argv,
                                 const char          *cwd,
                                 const char * const  *env,
                                 guint                timeout_ms,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  TesseraE2bSandbox *self = TESSERA_E2B_SANDBOX (sandbox);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GString) command = g_string_new (NULL);
  g_autofree char *remote_cwd = NULL;
  g_autofree char *display = NULL;
  GError *error = NULL;
  Spawn *s;

  g_task_set_source_tag (task, tessera_e2b_sandbox_spawn_async);
  if (!check_running (self, task))
    return;
  if (argv == NULL || argv[0] == NULL)
    {
      g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED,
                               _("There is no command to run."));
      return;
    }
  if ((remote_cwd = remote_path (cwd, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* envd runs commands through bash -l -c, as E2B's SDK does. */
  for (guint i = 0; argv[i]; i++)
    {
      g_autofree char *quoted = g_shell_quote (argv[i]);

      if (i > 0)
        g_string_append_c (command, ' ');
      g_string_append (command, quoted);
    }
  display = g_strjoinv (" ", (char **) argv);

  s = g_new0 (Spawn, 1);
  g_task_set_task_data (task, s, (GDestroyNotify) spawn_free);
  if (timeout_ms == 0)
    s->tag = server_tag (argv, cwd, env);
  s->process = tessera_e2b_process_new (self->client, self->info, display, command->str, remote_cwd,
                                        env, s->tag, timeout_ms);

  /* The command must see the files as they are on disk now, even edits
   * made a moment ago and still inside the sync's debounce. */
  tessera_e2b_sync_flush_async (self->sync, cancellable, on_flushed_before_spawn, g_steal_pointer (&task));
}

static TesseraProcess *
tessera_e2b_sandbox_spawn_finish (TesseraSandbox  *sandbox,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Ports ------------------------------------------------------------------ */

static void
tessera_e2b_sandbox_expose_port_async (TesseraSandbox      *sandbox,
                                       guint                port,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  TesseraE2bSandbox *self = TESSERA_E2B_SANDBOX (sandbox);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, tessera_e2b_sandbox_expose_port_async);
  if (!check_running (self, task))
    return;
  /* E2B's edge proxy already forwards every port. */
  g_task_return_pointer (task, tessera_e2b_client_get_port_url (self->client, self->info, port), g_free);
}

static char *
tessera_e2b_sandbox_string_finish (TesseraSandbox  *sandbox,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_static_spawned (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraE2bSandbox *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(TesseraProcess) process = tessera_sandbox_spawn_finish (TESSERA_SANDBOX (source), result, &error);

  if (process == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_set_object (&self->static_server, TESSERA_E2B_PROCESS (process));
  g_task_return_pointer (task, tessera_e2b_client_get_port_url (self->client, self->info, self->static_port),
                         g_free);
}

static void
tessera_e2b_sandbox_serve_static_async (TesseraSandbox      *sandbox,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  TesseraE2bSandbox *self = TESSERA_E2B_SANDBOX (sandbox);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *port = g_strdup_printf ("%u", self->static_port);
  const char * const argv[] = { "python3", "-m", "http.server", port, "--bind", "0.0.0.0", NULL };

  g_task_set_source_tag (task, tessera_e2b_sandbox_serve_static_async);
  if (!check_running (self, task))
    return;
  if (self->static_server && tessera_process_get_running (TESSERA_PROCESS (self->static_server)))
    {
      g_task_return_pointer (task, tessera_e2b_client_get_port_url (self->client, self->info, self->static_port),
                             g_free);
      return;
    }
  /* python3's http.server exists in E2B's base template; the preview
   * reloads on ::synced instead of a live-reload script. */
  tessera_sandbox_spawn_async (sandbox, argv, NULL, NULL, 0, cancellable, on_static_spawned,
                               g_steal_pointer (&task));
}

static void
sandbox_iface_init (TesseraSandboxInterface *iface)
{
  iface->start_async = tessera_e2b_sandbox_start_async;
  iface->start_finish = tessera_e2b_sandbox_start_finish;
  iface->stop_async = tessera_e2b_sandbox_stop_async;
  iface->stop_finish = tessera_e2b_sandbox_stop_finish;
  iface->write_files_async = tessera_e2b_sandbox_write_files_async;
  iface->write_files_finish = tessera_e2b_sandbox_bool_finish;
  iface->delete_async = tessera_e2b_sandbox_delete_async;
  iface->delete_finish = tessera_e2b_sandbox_bool_finish;
  iface->rename_async = tessera_e2b_sandbox_rename_async;
  iface->rename_finish = tessera_e2b_sandbox_bool_finish;
  iface->read_async = tessera_e2b_sandbox_read_async;
  iface->read_finish = tessera_e2b_sandbox_read_finish;
  iface->spawn_async = tessera_e2b_sandbox_spawn_async;
  iface->spawn_finish = tessera_e2b_sandbox_spawn_finish;
  iface->expose_port_async = tessera_e2b_sandbox_expose_port_async;
  iface->expose_port_finish = tessera_e2b_sandbox_string_finish;
  iface->serve_static_async = tessera_e2b_sandbox_serve_static_async;
  iface->serve_static_finish = tessera_e2b_sandbox_string_finish;
}

/* Properties ------------------------------------------------------------- */

TesseraProject *
tessera_e2b_sandbox_get_project (TesseraE2bSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_SANDBOX (self), NULL);
  return self->project;
}

TesseraE2bClient *
tessera_e2b_sandbox_get_client (TesseraE2bSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_SANDBOX (self), NULL);
  return self->client;
}

TesseraE2bSync *
tessera_e2b_sandbox_get_sync (TesseraE2bSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_SANDBOX (self), NULL);
  return self->sync;
}

const char *
tessera_e2b_sandbox_get_template (TesseraE2bSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_SANDBOX (self), NULL);
  return self->template_id;
}

void
tessera_e2b_sandbox_set_template (TesseraE2bSandbox *self,
                                  const char        *template_id)
{
  g_return_if_fail (TESSERA_IS_E2B_SANDBOX (self));
  if (template_id == NULL || *template_id == '\0')
    template_id = "base";
  if (g_strcmp0 (self->template_id, template_id) == 0)
    return;
  g_free (self->template_id);
  self->template_id = g_strdup (template_id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEMPLATE]);
}

guint
tessera_e2b_sandbox_get_timeout (TesseraE2bSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_SANDBOX (self), 0);
  return self->timeout_s;
}

void
tessera_e2b_sandbox_set_timeout (TesseraE2bSandbox *self,
                                 guint              timeout_s)
{
  g_return_if_fail (TESSERA_IS_E2B_SANDBOX (self));
  timeout_s = MAX (timeout_s, 30);
  if (self->timeout_s == timeout_s)
    return;
  self->timeout_s = timeout_s;
  g_clear_handle_id (&self->keepalive_id, g_source_remove);
  update_keepalive (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

gboolean
tessera_e2b_sandbox_get_keep_alive (TesseraE2bSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_SANDBOX (self), FALSE);
  return self->keep_alive;
}

void
tessera_e2b_sandbox_set_keep_alive (TesseraE2bSandbox *self,
                                    gboolean           keep_alive)
{
  g_return_if_fail (TESSERA_IS_E2B_SANDBOX (self));
  keep_alive = !!keep_alive;
  if (self->keep_alive == keep_alive)
    return;
  self->keep_alive = keep_alive;
  update_keepalive (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEEP_ALIVE]);
}

gboolean
tessera_e2b_sandbox_get_pinned (TesseraE2bSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_SANDBOX (self), FALSE);
  return self->pinned;
}

void
tessera_e2b_sandbox_set_pinned (TesseraE2bSandbox *self,
                                gboolean           pinned)
{
  g_return_if_fail (TESSERA_IS_E2B_SANDBOX (self));
  pinned = !!pinned;
  if (self->pinned == pinned)
    return;
  self->pinned = pinned;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PINNED]);
}

guint
tessera_e2b_sandbox_get_static_port (TesseraE2bSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_SANDBOX (self), 0);
  return self->static_port;
}

void
tessera_e2b_sandbox_set_static_port (TesseraE2bSandbox *self,
                                     guint              port)
{
  g_return_if_fail (TESSERA_IS_E2B_SANDBOX (self));
  g_return_if_fail (port > 0 && port < 65536);
  if (self->static_port == port)
    return;
  self->static_port = port;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATIC_PORT]);
}

const char *
tessera_e2b_sandbox_get_sandbox_id (TesseraE2bSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_SANDBOX (self), NULL);
  return self->info ? self->info->sandbox_id : NULL;
}

GDateTime *
tessera_e2b_sandbox_get_end_time (TesseraE2bSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_SANDBOX (self), NULL);
  return self->end_time;
}

const char *
tessera_e2b_sandbox_get_traffic_access_token (TesseraE2bSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_SANDBOX (self), NULL);
  return self->info ? self->info->traffic_access_token : NULL;
}

const TesseraE2bSandboxInfo *
tessera_e2b_sandbox_get_info (TesseraE2bSandbox *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_SANDBOX (self), NULL);
  return self->info;
}

static void
tessera_e2b_sandbox_dispose (GObject *object)
{
  TesseraE2bSandbox *self = TESSERA_E2B_SANDBOX (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->keepalive_id, g_source_remove);
  if (self->sync)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  for (guint i = 0; self->processes && i < self->processes->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->processes, i), self);
  g_clear_pointer (&self->processes, g_ptr_array_unref);
  g_clear_object (&self->static_server);
  g_clear_object (&self->sync);
  g_clear_object (&self->client);
  g_clear_object (&self->project);

  G_OBJECT_CLASS (tessera_e2b_sandbox_parent_class)->dispose (object);
}

static void
tessera_e2b_sandbox_finalize (GObject *object)
{
  TesseraE2bSandbox *self = TESSERA_E2B_SANDBOX (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->info, tessera_e2b_sandbox_info_free);
  g_clear_pointer (&self->end_time, g_date_time_unref);
  g_free (self->template_id);

  G_OBJECT_CLASS (tessera_e2b_sandbox_parent_class)->finalize (object);
}

static void
tessera_e2b_sandbox_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TesseraE2bSandbox *self = TESSERA_E2B_SANDBOX (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_TEMPLATE:
      g_value_set_string (value, self->template_id);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout_s);
      break;
    case PROP_KEEP_ALIVE:
      g_value_set_boolean (value, self->keep_alive);
      break;
    case PROP_PINNED:
      g_value_set_boolean (value, self->pinned);
      break;
    case PROP_STATIC_PORT:
      g_value_set_uint (value, self->static_port);
      break;
    case PROP_SANDBOX_ID:
      g_value_set_string (value, tessera_e2b_sandbox_get_sandbox_id (self));
      break;
    case PROP_END_TIME:
      g_value_set_boxed (value, self->end_time);
      break;
    case PROP_TRAFFIC_ACCESS_TOKEN:
      g_value_set_string (value, tessera_e2b_sandbox_get_traffic_access_token (self));
      break;
    case PROP_STATE:
      g_value_set_enum (value, tessera_sandbox_get_state (TESSERA_SANDBOX (self)));
      break;
    case PROP_STATUS_MESSAGE:
      g_value_set_string (value, tessera_sandbox_get_status_message (TESSERA_SANDBOX (self)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_e2b_sandbox_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  TesseraE2bSandbox *self = TESSERA_E2B_SANDBOX (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      self->project = g_value_dup_object (value);
      break;
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    case PROP_TEMPLATE:
      tessera_e2b_sandbox_set_template (self, g_value_get_string (value));
      break;
    case PROP_TIMEOUT:
      tessera_e2b_sandbox_set_timeout (self, g_value_get_uint (value));
      break;
    case PROP_KEEP_ALIVE:
      tessera_e2b_sandbox_set_keep_alive (self, g_value_get_boolean (value));
      break;
    case PROP_PINNED:
      tessera_e2b_sandbox_set_pinned (self, g_value_get_boolean (value));
      break;
    case PROP_STATIC_PORT:
      tessera_e2b_sandbox_set_static_port (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_e2b_sandbox_constructed (GObject *object)
{
  TesseraE2bSandbox *self = TESSERA_E2B_SANDBOX (object);

  G_OBJECT_CLASS (tessera_e2b_sandbox_parent_class)->constructed (object);

  g_assert (TESSERA_IS_PROJECT (self->project));
  g_assert (TESSERA_IS_E2B_CLIENT (self->client));
  self->sync = tessera_e2b_sync_new (self->project, self->client);
  g_signal_connect (self->sync, "expired", G_CALLBACK (on_sync_expired), self);
}

static void
tessera_e2b_sandbox_class_init (TesseraE2bSandboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = tessera_e2b_sandbox_constructed;
  object_class->dispose = tessera_e2b_sandbox_dispose;
  object_class->finalize = tessera_e2b_sandbox_finalize;
  object_class->get_property = tessera_e2b_sandbox_get_property;
  object_class->set_property = tessera_e2b_sandbox_set_property;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL, TESSERA_TYPE_PROJECT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, TESSERA_TYPE_E2B_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TEMPLATE] =
    g_param_spec_string ("template", NULL, NULL, "base",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 30, 24 * 3600, DEFAULT_TIMEOUT_S,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KEEP_ALIVE] =
    g_param_spec_boolean ("keep-alive", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PINNED] =
    g_param_spec_boolean ("pinned", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATIC_PORT] =
    g_param_spec_uint ("static-port", NULL, NULL, 1, 65535, TESSERA_E2B_STATIC_PORT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SANDBOX_ID] =
    g_param_spec_string ("sandbox-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_END_TIME] =
    g_param_spec_boxed ("end-time", NULL, NULL, G_TYPE_DATE_TIME,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TRAFFIC_ACCESS_TOKEN] =
    g_param_spec_string ("traffic-access-token", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_object_class_override_property (object_class, PROP_STATE, "state");
  g_object_class_override_property (object_class, PROP_STATUS_MESSAGE, "status-message");

  signals[REPLACED] = g_signal_new ("replaced", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
tessera_e2b_sandbox_init (TesseraE2bSandbox *self)
{
  self->cancellable = g_cancellable_new ();
  self->processes = g_ptr_array_new_with_free_func (g_object_unref);
  self->template_id = g_strdup ("base");
  self->timeout_s = DEFAULT_TIMEOUT_S;
  self->keep_alive = TRUE;
  self->static_port = TESSERA_E2B_STATIC_PORT;
}

TesseraE2bSandbox *
tessera_e2b_sandbox_new (TesseraProject   *project,
                         TesseraE2bClient *client)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT (project), NULL);
  g_return_val_if_fail (TESSERA_IS_E2B_CLIENT (client), NULL);

  return g_object_new (TESSERA_TYPE_E2B_SANDBOX,
                       "project", project,
                       "client", client,
                       NULL);
}
