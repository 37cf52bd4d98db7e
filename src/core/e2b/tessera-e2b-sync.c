/* tessera-e2b-sync.c: keeps a sandbox's copy of the project up to date
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-e2b-sync"

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "tessera-e2b-sync.h"

#define FIRST_RETRY_MS 500
#define MAX_RETRY_MS   30000
/* Bigger files are not copied: a project this size belongs elsewhere. */
#define MAX_FILE_SIZE  (64 * 1024 * 1024)
#define MAX_DEPTH      64

typedef enum
{
  OP_UPLOAD = 1,
  OP_DELETE,
} Op;

struct _TesseraE2bSync
{
  GObject                parent_instance;

  TesseraProject        *project;
  TesseraE2bClient      *client;
  TesseraE2bSandboxInfo *info;
  GCancellable          *cancellable;

  /* path -> Op: what the sandbox does not have yet. */
  GHashTable            *pending;
  gboolean               full_pending;
  /* upload_all callers, and flush callers. */
  GPtrArray             *waiters;
  GPtrArray             *flush_waiters;

  guint                  debounce_ms;
  guint                  debounce_id;
  guint                  retry_id;
  guint                  retry_ms;
  guint                  generation;
  gboolean               flushing;
  char                  *error_message;
};

enum {
  PROP_0,
  PROP_PENDING,
  PROP_ERROR_MESSAGE,
  PROP_DEBOUNCE_MS,
  N_PROPS
};

enum {
  SYNCED,
  FAILED,
  EXPIRED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TesseraE2bSync, tessera_e2b_sync, G_TYPE_OBJECT)

static void flush (TesseraE2bSync *self);

static void
set_error_message (TesseraE2bSync *self,
                   const char     *message)
{
  if (g_strcmp0 (self->error_message, message) == 0)
    return;
  g_free (self->error_message);
  self->error_message = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
}

static gboolean
on_debounce (gpointer data)
{
  TesseraE2bSync *self = data;

  self->debounce_id = 0;
  flush (self);
  return G_SOURCE_REMOVE;
}

static void
schedule (TesseraE2bSync *self,
          guint           delay_ms)
{
  if (self->info == NULL || self->flushing || self->debounce_id || self->retry_id)
    return;
  if (g_hash_table_size (self->pending) == 0 && !self->full_pending)
    return;
  /* The window opens at the first change, so a steady stream of changes
   * still reaches the sandbox every @delay_ms. */
  self->debounce_id = g_timeout_add (delay_ms, on_debounce, self);
}

static void
queue (TesseraE2bSync *self,
       const char     *path,
       Op              op)
{
  if (path == NULL || *path == '\0')
    return;
  g_hash_table_replace (self->pending, g_strdup (path), GINT_TO_POINTER (op));
}

static void
on_file_changed (TesseraProject    *project,
                 const char        *path,
                 TesseraFileChange  change,
                 const char        *old_path,
                 TesseraE2bSync    *self)
{
  guint before = g_hash_table_size (self->pending);

  switch (change)
    {
    case TESSERA_FILE_CREATED:
    case TESSERA_FILE_CHANGED:
      if (!tessera_project_is_ignored (project, path, FALSE))
        queue (self, path, OP_UPLOAD);
      break;
    case TESSERA_FILE_DELETED:
      queue (self, path, OP_DELETE);
      break;
    case TESSERA_FILE_RENAMED:
      queue (self, old_path, OP_DELETE);
      if (!tessera_project_is_ignored (project, path, FALSE))
        queue (self, path, OP_UPLOAD);
      break;
    default:
      break;
    }

  if (g_hash_table_size (self->pending) != before)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING]);
  schedule (self, self->debounce_ms);
}

/* Gathering (worker thread) ---------------------------------------------- */

typedef struct
{
  TesseraProject        *project;
  char                  *root;
  GHashTable            *snapshot;
  gboolean               full;
  guint                  generation;
  TesseraE2bSandboxInfo *info;
  /* Results. */
  GPtrArray             *files;
  /* A folder and a file in it may both have changed: send each once. */
  GHashTable            *seen;
  GPtrArray             *deletes;
  guint                  deletes_left;
  GError                *error;
} Flush;

static void
flush_free (Flush *f)
{
  g_clear_object (&f->project);
  g_free (f->root);
  g_clear_pointer (&f->snapshot, g_hash_table_unref);
  g_clear_pointer (&f->info, tessera_e2b_sandbox_info_free);
  g_clear_pointer (&f->files, g_ptr_array_unref);
  g_clear_pointer (&f->seen, g_hash_table_unref);
  g_clear_pointer (&f->deletes, g_ptr_array_unref);
  g_clear_error (&f->error);
  g_free (f);
}

static gboolean
valid_relative (const char *path)
{
  g_auto(GStrv) parts = NULL;

  if (path == NULL || *path == '\0' || path[0] == '/')
    return FALSE;
  parts = g_strsplit (path, "/", -1);
  for (guint i = 0; parts[i]; i++)
    if (*parts[i] == '\0' || g_str_equal (parts[i], ".") || g_str_equal (parts[i], ".."))
      return FALSE;
  return TRUE;
}

static void
add_file (Flush      *f,
          const char *rel,
          const char *abs)
{
  g_autofree char *contents = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize length;

  if (g_hash_table_contains (f->seen, rel))
    return;
  if (!g_file_get_contents (abs, &contents, &length, NULL))
    return;
  g_hash_table_add (f->seen, g_strdup (rel));
  bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
  g_ptr_array_add (f->files, tessera_sandbox_file_new (rel, bytes));
}

static void gather_path (Flush *f, const char *rel, guint depth, gboolean from_walk);

static void
gather_dir (Flush      *f,
            const char *rel,
            guint       depth)
{
  g_autofree char *abs = rel ? g_build_filename (f->root, rel, NULL) : g_strdup (f->root);
  GDir *dir;
  const char *name;

  if (depth > MAX_DEPTH || (dir = g_dir_open (abs, 0, NULL)) == NULL)
    return;
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *child = rel ? g_strconcat (rel, "/", name, NULL) : g_strdup (name);

      gather_path (f, child, depth + 1, TRUE);
    }
  g_dir_close (dir);
}

static void
gather_path (Flush      *f,
             const char *rel,
             guint       depth,
             gboolean    from_walk)
{
  g_autofree char *abs = g_build_filename (f->root, rel, NULL);
  GStatBuf st;

  if (!valid_relative (rel))
    return;
  if (g_lstat (abs, &st) != 0)
    {
      /* Gone since it changed: the sandbox must not keep it. */
      if (!from_walk)
        g_ptr_array_add (f->deletes, g_strdup (rel));
      return;
    }
  /* Symlinks are never followed: they could point outside the project. */
  if (S_ISLNK (st.st_mode))
    return;
  if (tessera_project_is_ignored (f->project, rel, S_ISDIR (st.st_mode)))
    return;
  if (S_ISDIR (st.st_mode))
    gather_dir (f, rel, depth);
  else if (S_ISREG (st.st_mode) && st.st_size <= MAX_FILE_SIZE)
    add_file (f, rel, abs);
}

static void
gather_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Flush *f = task_data;
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, f->snapshot);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (GPOINTER_TO_INT (value) == OP_DELETE)
        {
          if (valid_relative (key))
            g_ptr_array_add (f->deletes, g_strdup (key));
        }
      else if (!f->full)
        gather_path (f, key, 0, FALSE);
    }
  if (f->full)
    gather_dir (f, NULL, 0);
  g_task_return_boolean (task, TRUE);
}

/* Sending (main thread) -------------------------------------------------- */

static void
complete_list (GPtrArray    **list,
               const GError  *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (list);

  *list = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

static void
complete_waiters (TesseraE2bSync *self,
                  const GError   *error)
{
  complete_list (&self->waiters, error);
}

static gboolean
is_idle (TesseraE2bSync *self)
{
  return !self->flushing && !self->full_pending && g_hash_table_size (self->pending) == 0;
}

static gboolean
on_retry (gpointer data)
{
  TesseraE2bSync *self = data;

  self->retry_id = 0;
  flush (self);
  return G_SOURCE_REMOVE;
}

static void
flush_done (TesseraE2bSync *self,
            Flush          *f)
{
  GHashTableIter iter;
  gpointer key, value;
  gboolean stale = f->generation != self->generation;

  self->flushing = FALSE;

  if (f->error == NULL && !stale)
    {
      self->retry_ms = 0;
      set_error_message (self, NULL);
      if (f->full)
        complete_waiters (self, NULL);
      g_signal_emit (self, signals[SYNCED], 0, f->files->len);
      if (is_idle (self))
        complete_list (&self->flush_waiters, NULL);
      else if (self->flush_waiters->len > 0)
        flush (self);
      else
        schedule (self, self->full_pending ? 0 : self->debounce_ms);
      return;
    }

  /* Nothing is lost: what did not make it goes back, unless something
   * newer about the same path came in meanwhile. */
  g_hash_table_iter_init (&iter, f->snapshot);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (self->pending, key))
      g_hash_table_insert (self->pending, g_strdup (key), value);
  if (f->full)
    self->full_pending = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING]);

  if (stale)
    {
      schedule (self, 0);
      return;
    }

  if (f->full)
    complete_waiters (self, f->error);
  complete_list (&self->flush_waiters, f->error);

  if (g_error_matches (f->error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_EXPIRED))
    {
      /* Retrying cannot help; the owner brings a new sandbox. */
      set_error_message (self, f->error->message);
      g_signal_emit (self, signals[EXPIRED], 0, f->error);
      return;
    }
  if (g_error_matches (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_error_message (self, f->error->message);
  g_signal_emit (self, signals[FAILED], 0, f->error);
  self->retry_ms = self->retry_ms ? MIN (self->retry_ms * 2, MAX_RETRY_MS) : FIRST_RETRY_MS;
  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->retry_id = g_timeout_add (self->retry_ms, on_retry, self);
}

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraE2bSync *self = g_task_get_source_object (task);
  Flush *f = g_task_get_task_data (task);

  tessera_e2b_client_write_files_finish (TESSERA_E2B_CLIENT (source), result, &f->error);
  flush_done (self, f);
}

static void
send_files (GTask *owned_task)
{
  g_autoptr(GTask) task = owned_task;
  TesseraE2bSync *self = g_task_get_source_object (task);
  Flush *f = g_task_get_task_data (task);

  if (f->error || f->files->len == 0)
    {
      flush_done (self, f);
      return;
    }
  tessera_e2b_client_write_files_async (self->client, f->info, TESSERA_E2B_PROJECT_DIR, f->files,
                                        self->cancellable, on_written, g_object_ref (task));
}

static void
on_removed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flush *f = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!tessera_e2b_client_remove_finish (TESSERA_E2B_CLIENT (source), result, &error) && f->error == NULL)
    f->error = g_steal_pointer (&error);
  if (--f->deletes_left == 0)
    send_files (g_steal_pointer (&task));
}

static void
on_gathered (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  TesseraE2bSync *self = TESSERA_E2B_SYNC (source);
  g_autoptr(GTask) task = G_TASK (g_object_ref (result));
  Flush *f = g_task_get_task_data (task);

  /* Deletions first, so that a path removed and written again ends up
   * written. */
  if (f->deletes->len == 0)
    {
      send_files (g_steal_pointer (&task));
      return;
    }
  f->deletes_left = f->deletes->len;
  for (guint i = 0; i < f->deletes->len; i++)
    {
      g_autofree char *remote = g_strconcat (TESSERA_E2B_PROJECT_DIR "/", (char *) f->deletes->pdata[i], NULL);

      tessera_e2b_client_remove_async (self->client, f->info, remote, self->cancellable,
                                       on_removed, g_object_ref (task));
    }
}

static void
flush (TesseraE2bSync *self)
{
  g_autoptr(GTask) task = NULL;
  GFile *root;
  Flush *f;

  g_clear_handle_id (&self->debounce_id, g_source_remove);
  if (self->info == NULL || self->flushing)
    return;
  if (g_hash_table_size (self->pending) == 0 && !self->full_pending)
    return;

  f = g_new0 (Flush, 1);
  f->project = g_object_ref (self->project);
  root = tessera_project_get_root (self->project);
  f->root = g_file_get_path (root);
  f->snapshot = g_steal_pointer (&self->pending);
  f->full = self->full_pending;
  f->generation = self->generation;
  f->info = tessera_e2b_sandbox_info_copy (self->info);
  f->files = g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_sandbox_file_free);
  f->deletes = g_ptr_array_new_with_free_func (g_free);
  f->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->full_pending = FALSE;
  self->flushing = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING]);

  task = g_task_new (self, NULL, on_gathered, NULL);
  g_task_set_source_tag (task, flush);
  g_task_set_task_data (task, f, (GDestroyNotify) flush_free);
  g_task_run_in_thread (task, gather_thread);
}

/* Public ----------------------------------------------------------------- */

void
tessera_e2b_sync_set_sandbox (TesseraE2bSync              *self,
                              const TesseraE2bSandboxInfo *info)
{
  g_return_if_fail (TESSERA_IS_E2B_SYNC (self));

  self->generation++;
  g_clear_pointer (&self->info, tessera_e2b_sandbox_info_free);
  self->info = tessera_e2b_sandbox_info_copy (info);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->retry_ms = 0;
  if (info == NULL)
    {
      g_clear_handle_id (&self->debounce_id, g_source_remove);
      /* Nothing to wait for without a sandbox. */
      complete_list (&self->flush_waiters, NULL);
    }
  else
    schedule (self, self->debounce_ms);
}

void
tessera_e2b_sync_flush_async (TesseraE2bSync      *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TESSERA_IS_E2B_SYNC (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_e2b_sync_flush_async);
  if (self->info == NULL || is_idle (self))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_ptr_array_add (self->flush_waiters, g_steal_pointer (&task));
  g_clear_handle_id (&self->retry_id, g_source_remove);
  if (!self->flushing)
    flush (self);
}

gboolean
tessera_e2b_sync_flush_finish (TesseraE2bSync  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
tessera_e2b_sync_upload_all_async (TesseraE2bSync      *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TESSERA_IS_E2B_SYNC (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_e2b_sync_upload_all_async);
  if (self->info == NULL)
    {
      g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NOT_RUNNING,
                               _("The cloud sandbox is not running."));
      return;
    }
  g_ptr_array_add (self->waiters, g_steal_pointer (&task));
  self->full_pending = TRUE;
  g_clear_handle_id (&self->retry_id, g_source_remove);
  if (!self->flushing)
    flush (self);
}

gboolean
tessera_e2b_sync_upload_all_finish (TesseraE2bSync  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

guint
tessera_e2b_sync_get_pending (TesseraE2bSync *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_SYNC (self), 0);
  return g_hash_table_size (self->pending);
}

const char *
tessera_e2b_sync_get_error_message (TesseraE2bSync *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_SYNC (self), NULL);
  return self->error_message;
}

void
tessera_e2b_sync_set_debounce_ms (TesseraE2bSync *self,
                                  guint           debounce_ms)
{
  g_return_if_fail (TESSERA_IS_E2B_SYNC (self));
  if (self->debounce_ms == debounce_ms)
    return;
  self->debounce_ms = debounce_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEBOUNCE_MS]);
}

static void
tessera_e2b_sync_dispose (GObject *object)
{
  TesseraE2bSync *self = TESSERA_E2B_SYNC (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->debounce_id, g_source_remove);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  if (self->project)
    g_signal_handlers_disconnect_by_data (self->project, self);
  if ((self->waiters && self->waiters->len > 0) || (self->flush_waiters && self->flush_waiters->len > 0))
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Sync closed");
      complete_list (&self->waiters, error);
      complete_list (&self->flush_waiters, error);
    }
  g_clear_object (&self->project);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (tessera_e2b_sync_parent_class)->dispose (object);
}

static void
tessera_e2b_sync_finalize (GObject *object)
{
  TesseraE2bSync *self = TESSERA_E2B_SYNC (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->info, tessera_e2b_sandbox_info_free);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->waiters, g_ptr_array_unref);
  g_clear_pointer (&self->flush_waiters, g_ptr_array_unref);
  g_free (self->error_message);

  G_OBJECT_CLASS (tessera_e2b_sync_parent_class)->finalize (object);
}

static void
tessera_e2b_sync_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TesseraE2bSync *self = TESSERA_E2B_SYNC (object);

  switch (prop_id)
    {
    case PROP_PENDING:
      g_value_set_uint (value, tessera_e2b_sync_get_pending (self));
      break;
    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error_message);
      break;
    case PROP_DEBOUNCE_MS:
      g_value_set_uint (value, self->debounce_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_e2b_sync_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  TesseraE2bSync *self = TESSERA_E2B_SYNC (object);

  switch (prop_id)
    {
    case PROP_DEBOUNCE_MS:
      tessera_e2b_sync_set_debounce_ms (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_e2b_sync_class_init (TesseraE2bSyncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_e2b_sync_dispose;
  object_class->finalize = tessera_e2b_sync_finalize;
  object_class->get_property = tessera_e2b_sync_get_property;
  object_class->set_property = tessera_e2b_sync_set_property;

  properties[PROP_PENDING] =
    g_param_spec_uint ("pending", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEBOUNCE_MS] =
    g_param_spec_uint ("debounce-ms", NULL, NULL, 0, 10000, 100,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SYNCED] = g_signal_new ("synced", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[EXPIRED] = g_signal_new ("expired", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
tessera_e2b_sync_init (TesseraE2bSync *self)
{
  self->cancellable = g_cancellable_new ();
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->flush_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->debounce_ms = 100;
}

TesseraE2bSync *
tessera_e2b_sync_new (TesseraProject   *project,
                      TesseraE2bClient *client)
{
  TesseraE2bSync *self;

  g_return_val_if_fail (TESSERA_IS_PROJECT (project), NULL);
  g_return_val_if_fail (TESSERA_IS_E2B_CLIENT (client), NULL);

  self = g_object_new (TESSERA_TYPE_E2B_SYNC, NULL);
  self->project = g_object_ref (project);
  self->client = g_object_ref (client);
  g_signal_connect (project, "file-changed", G_CALLBACK (on_file_changed), self);
  return self;
}
