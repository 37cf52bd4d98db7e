/* tessera-project.c: one project folder on disk, confined to its root
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Threading: the blocking work of every operation runs in a GTask thread
 * (or in the caller's thread for the blocking variants) and only touches
 * what never changes after loading (the root paths). Everything that
 * changes (the known files, the monitors, the debounce queue, the
 * manifest) lives on the main context the project was opened on, and
 * ::file-changed is always emitted there.
 */

#define _GNU_SOURCE
#define G_LOG_DOMAIN "tessera-project"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "tessera-ignore.h"
#include "tessera-manifest.h"
#include "tessera-path.h"
#include "tessera-project.h"

/* External changes to one path within this window are reported once. */
#define DEBOUNCE_MS 100
/* A .gitignore larger than this is not a real one; it is not read. */
#define MAX_GITIGNORE_SIZE (1024 * 1024)

enum { KNOWN_FILE = 1, KNOWN_DIR = 2 };

/* What a file looked like right after we changed it, so that the monitor's
 * echo of our own write is not reported a second time. */
typedef struct
{
  gboolean exists;
  dev_t    dev;
  ino_t    ino;
  off_t    size;
  gint64   mtime_ns;
  gint64   ctime_ns;
} Stamp;

typedef struct
{
  TesseraFileChange  change;
  char              *path;
  char              *old_path;
  gboolean           is_dir;
  gboolean           has_stamp;
  Stamp              stamp;
} Change;

typedef enum
{
  OP_WRITE,
  OP_READ,
  OP_DELETE,
  OP_RENAME,
  OP_MKDIR,
} OpKind;

typedef struct
{
  OpKind          kind;
  char           *path;
  char           *path2;
  GBytes         *contents;
  gboolean        to_trash;
  GArray         *changes;
  GBytes         *result;
  TesseraProject *self;
} Op;

typedef struct
{
  guint64  seq;
  gint64   deadline;
  char    *renamed_from;
} Pending;

struct _TesseraProject
{
  GObject        parent_instance;

  GFile         *root;
  char          *root_path;
  /* The root with every symlink resolved: confinement compares to this. */
  char          *root_real;
  GFile         *manifest_file;
  char          *manifest_rel;
  GFile         *state_dir;
  JsonObject    *manifest;
  GDateTime     *created;

  GMutex         ignore_lock;
  TesseraIgnore *ignore;

  /* Main-context state. */
  GMainContext  *context;
  /* The thread that opened the project: the one that iterates context. */
  GThread       *owner_thread;
  GHashTable    *known;
  GHashTable    *echoes;
  GHashTable    *monitors;
  GHashTable    *pending;
  GHashTable    *in_flight;
  GSource       *flush_source;
  guint64        seq;
  /* Folders found while loading, watched once the main context is known. */
  GPtrArray     *initial_dirs;
};

G_DEFINE_FINAL_TYPE (TesseraProject, tessera_project, G_TYPE_OBJECT)

G_DEFINE_QUARK (tessera-project-error-quark, tessera_project_error)

G_DEFINE_ENUM_TYPE (TesseraFileChange, tessera_file_change,
  G_DEFINE_ENUM_VALUE (TESSERA_FILE_CREATED, "created"),
  G_DEFINE_ENUM_VALUE (TESSERA_FILE_CHANGED, "changed"),
  G_DEFINE_ENUM_VALUE (TESSERA_FILE_DELETED, "deleted"),
  G_DEFINE_ENUM_VALUE (TESSERA_FILE_RENAMED, "renamed"))

enum {
  PROP_0,
  PROP_ROOT,
  PROP_MANIFEST_FILE,
  PROP_NAME,
  N_PROPS
};

enum {
  FILE_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void add_monitor (TesseraProject *self,
                         const char     *rel);

static void
source_destroy_and_unref (GSource *source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

/* Stamps and changes */

static void
stamp_from_stat (Stamp             *stamp,
                 const struct stat *st)
{
  stamp->exists = TRUE;
  stamp->dev = st->st_dev;
  stamp->ino = st->st_ino;
  stamp->size = st->st_size;
  stamp->mtime_ns = (gint64) st->st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st->st_mtim.tv_nsec;
  stamp->ctime_ns = (gint64) st->st_ctim.tv_sec * G_GINT64_CONSTANT (1000000000) + st->st_ctim.tv_nsec;
}

static void
stamp_path (Stamp      *stamp,
            const char *path)
{
  struct stat st;

  memset (stamp, 0, sizeof *stamp);
  if (stat (path, &st) == 0 || lstat (path, &st) == 0)
    stamp_from_stat (stamp, &st);
}

static gboolean
stamp_equal (const Stamp *a,
             const Stamp *b)
{
  if (!a->exists || !b->exists)
    return a->exists == b->exists;

  return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
         a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

static void
change_clear (gpointer data)
{
  Change *change = data;

  g_free (change->path);
  g_free (change->old_path);
}

static void
add_change (GArray            *changes,
            TesseraFileChange  kind,
            const char        *path,
            const char        *old_path,
            gboolean           is_dir,
            const char        *stamp_from)
{
  Change change = { 0 };

  change.change = kind;
  change.path = g_strdup (path);
  change.old_path = g_strdup (old_path);
  change.is_dir = is_dir;
  if (stamp_from != NULL)
    {
      change.has_stamp = TRUE;
      stamp_path (&change.stamp, stamp_from);
    }
  g_array_append_val (changes, change);
}

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  g_free (pending->renamed_from);
  g_free (pending);
}

static void
monitor_cancel_and_unref (gpointer data)
{
  GFileMonitor *monitor = data;

  g_signal_handlers_disconnect_matched (monitor, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, NULL);
  g_file_monitor_cancel (monitor);
  g_object_unref (monitor);
}

static char *
child_rel (const char *dir,
           const char *name)
{
  if (dir == NULL || dir[0] == '\0')
    return g_strdup (name);
  return g_strconcat (dir, "/", name, NULL);
}

static gboolean
has_path_prefix (const char *path,
                 const char *prefix)
{
  gsize len = strlen (prefix);

  return strncmp (path, prefix, len) == 0 && path[len] == '/';
}

static gboolean
is_temp_name (const char *rel)
{
  const char *base = strrchr (rel, '/');

  base = base != NULL ? base + 1 : rel;
  return g_str_has_prefix (base, TESSERA_TEMP_PREFIX);
}

static void
set_not_found_error (GError     **error,
                     const char  *display)
{
  g_set_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_NOT_FOUND,
               _("“%s” does not exist."), display);
}

static char *
absolute_path (TesseraProject *self,
               const char     *rel)
{
  return g_build_filename (self->root_path, rel, NULL);
}

/* Ignore rules */

static gboolean
is_builtin_ignored (const char *rel)
{
  static const char * const names[] = { ".git", TESSERA_PROJECT_STATE_DIR, "node_modules" };
  const char *p = rel;

  while (p != NULL && *p != '\0')
    {
      const char *slash = strchr (p, '/');
      gsize len = slash != NULL ? (gsize) (slash - p) : strlen (p);

      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        {
          if (strlen (names[i]) == len && strncmp (p, names[i], len) == 0)
            return TRUE;
        }
      p = slash != NULL ? slash + 1 : NULL;
    }

  return FALSE;
}

static TesseraIgnore *
load_gitignore (const char *root_path)
{
  g_autofree char *path = g_build_filename (root_path, ".gitignore", NULL);
  g_autofree char *contents = NULL;
  struct stat st;
  gsize len = 0;

  if (stat (path, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size > MAX_GITIGNORE_SIZE)
    return tessera_ignore_new (NULL, 0);
  if (!g_file_get_contents (path, &contents, &len, NULL))
    return tessera_ignore_new (NULL, 0);

  return tessera_ignore_new (contents, len);
}

static void
reload_gitignore (TesseraProject *self)
{
  TesseraIgnore *ignore = load_gitignore (self->root_path);

  g_mutex_lock (&self->ignore_lock);
  g_clear_pointer (&self->ignore, tessera_ignore_free);
  self->ignore = ignore;
  g_mutex_unlock (&self->ignore_lock);
}

/* Scanning */

static void
scan_dir (TesseraProject *self,
          const char     *rel_dir,
          GHashTable     *known,
          GPtrArray      *dirs,
          guint           depth)
{
  g_autofree char *path = rel_dir[0] ? absolute_path (self, rel_dir) : g_strdup (self->root_path);
  struct dirent *entry;
  DIR *dir;

  /* Deeper than any real project; guards against pathological trees. */
  if (depth > 64)
    return;

  if (!(dir = opendir (path)))
    return;

  while ((entry = readdir (dir)))
    {
      g_autofree char *rel = NULL;
      g_autofree char *abs = NULL;
      struct stat st;
      gboolean is_dir;

      if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0 ||
          g_str_has_prefix (entry->d_name, TESSERA_TEMP_PREFIX))
        continue;

      rel = child_rel (rel_dir, entry->d_name);
      abs = absolute_path (self, rel);
      /* lstat: a symlink to a folder is never descended into. */
      if (lstat (abs, &st) != 0)
        continue;
      is_dir = S_ISDIR (st.st_mode);
      if (tessera_project_is_ignored (self, rel, is_dir))
        continue;

      if (known != NULL && g_hash_table_contains (known, rel))
        continue;

      if (known != NULL)
        g_hash_table_insert (known, g_strdup (rel), GINT_TO_POINTER (is_dir ? KNOWN_DIR : KNOWN_FILE));
      if (is_dir)
        {
          g_ptr_array_add (dirs, g_strdup (rel));
          scan_dir (self, rel, known, dirs, depth + 1);
        }
    }

  closedir (dir);
}

/* Applying changes (main context) */

static void
remove_subtree (GHashTable *table,
                const char *rel)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_remove (table, rel);
  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      if (has_path_prefix (key, rel))
        g_hash_table_iter_remove (&iter);
    }
}

static void
move_known_subtree (TesseraProject *self,
                    const char     *from,
                    const char     *to,
                    gboolean        is_dir)
{
  g_autoptr(GPtrArray) moved = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key, value;
  gsize from_len = strlen (from);

  g_hash_table_iter_init (&iter, self->known);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (has_path_prefix (key, from))
        {
          g_ptr_array_add (moved, g_strconcat (to, (char *) key + from_len, NULL));
          g_ptr_array_add (moved, value);
          g_hash_table_iter_remove (&iter);
        }
    }
  g_hash_table_remove (self->known, from);
  g_hash_table_insert (self->known, g_strdup (to), GINT_TO_POINTER (is_dir ? KNOWN_DIR : KNOWN_FILE));

  for (guint i = 0; i < moved->len; i += 2)
    {
      g_hash_table_insert (self->known, g_steal_pointer (&moved->pdata[i]), moved->pdata[i + 1]);
      moved->pdata[i + 1] = NULL;
    }
}

static void
remove_monitors_under (TesseraProject *self,
                       const char     *rel)
{
  remove_subtree (self->monitors, rel);
}

static void
monitor_known_dirs_under (TesseraProject *self,
                          const char     *rel)
{
  g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key, value;

  add_monitor (self, rel);
  g_hash_table_iter_init (&iter, self->known);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (GPOINTER_TO_INT (value) == KNOWN_DIR && has_path_prefix (key, rel))
        g_ptr_array_add (dirs, g_strdup (key));
    }
  for (guint i = 0; i < dirs->len; i++)
    add_monitor (self, g_ptr_array_index (dirs, i));
}

static void
apply_change (TesseraProject    *self,
              TesseraFileChange  change,
              const char        *path,
              const char        *old_path,
              gboolean           is_dir,
              const Stamp       *stamp)
{
  gboolean tracked = !tessera_project_is_ignored (self, path, is_dir);

  switch (change)
    {
    case TESSERA_FILE_CREATED:
    case TESSERA_FILE_CHANGED:
      if (tracked)
        {
          g_hash_table_insert (self->known, g_strdup (path),
                               GINT_TO_POINTER (is_dir ? KNOWN_DIR : KNOWN_FILE));
          if (is_dir)
            add_monitor (self, path);
        }
      break;

    case TESSERA_FILE_DELETED:
      remove_subtree (self->known, path);
      remove_subtree (self->echoes, path);
      remove_monitors_under (self, path);
      break;

    case TESSERA_FILE_RENAMED:
      remove_subtree (self->echoes, old_path);
      remove_monitors_under (self, old_path);
      if (tracked)
        {
          move_known_subtree (self, old_path, path, is_dir);
          if (is_dir)
            monitor_known_dirs_under (self, path);
        }
      else
        {
          remove_subtree (self->known, old_path);
        }
      break;

    default:
      g_assert_not_reached ();
    }

  if (stamp != NULL && tracked)
    g_hash_table_insert (self->echoes, g_strdup (path), g_memdup2 (stamp, sizeof *stamp));

  if (g_strcmp0 (path, ".gitignore") == 0 || g_strcmp0 (old_path, ".gitignore") == 0)
    reload_gitignore (self);

  g_signal_emit (self, signals[FILE_CHANGED], 0, path, change, old_path);
}

static void
apply_changes (TesseraProject *self,
               GArray         *changes)
{
  for (guint i = 0; i < changes->len; i++)
    {
      const Change *change = &g_array_index (changes, Change, i);

      apply_change (self, change->change, change->path, change->old_path, change->is_dir,
                    change->has_stamp ? &change->stamp : NULL);
    }
}

/* Monitoring (main context) */

static void
report_new_dir_contents (TesseraProject *self,
                         const char     *rel)
{
  g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GList) keys = NULL;

  /* Whatever appeared before the folder's own monitor existed (mkdir -p
   * followed by a quick write) would otherwise never be reported. */
  scan_dir (self, rel, found, dirs, 0);
  keys = g_hash_table_get_keys (found);
  keys = g_list_sort (keys, (GCompareFunc) strcmp);
  for (const GList *l = keys; l != NULL; l = l->next)
    {
      if (!g_hash_table_contains (self->known, l->data))
        apply_change (self, TESSERA_FILE_CREATED, l->data, NULL,
                      GPOINTER_TO_INT (g_hash_table_lookup (found, l->data)) == KNOWN_DIR, NULL);
    }
}

static void
process_one (TesseraProject *self,
             const char     *rel)
{
  g_autofree char *abs = absolute_path (self, rel);
  gpointer known_value = g_hash_table_lookup (self->known, rel);
  struct stat st;
  gboolean exists;
  gboolean is_dir;
  Stamp now;
  Stamp *echo;

  exists = lstat (abs, &st) == 0;
  is_dir = exists && S_ISDIR (st.st_mode);

  if (exists && tessera_project_is_ignored (self, rel, is_dir))
    return;

  if (!exists)
    {
      if (known_value != NULL)
        apply_change (self, TESSERA_FILE_DELETED, rel, NULL,
                      GPOINTER_TO_INT (known_value) == KNOWN_DIR, NULL);
      return;
    }

  stamp_path (&now, abs);
  echo = g_hash_table_lookup (self->echoes, rel);
  if (echo != NULL)
    {
      if (stamp_equal (echo, &now) && known_value != NULL)
        return;
      g_hash_table_remove (self->echoes, rel);
    }

  if (known_value == NULL)
    {
      apply_change (self, TESSERA_FILE_CREATED, rel, NULL, is_dir, NULL);
      if (is_dir)
        report_new_dir_contents (self, rel);
    }
  else if (!is_dir)
    {
      /* A folder's own "change" is only its listing, reported per child. */
      apply_change (self, TESSERA_FILE_CHANGED, rel, NULL, FALSE, NULL);
    }
}

static void
process_pending (TesseraProject *self,
                 const char     *rel,
                 const char     *renamed_from)
{
  if (renamed_from != NULL)
    {
      g_autofree char *old_abs = absolute_path (self, renamed_from);
      g_autofree char *new_abs = absolute_path (self, rel);
      gpointer old_known = g_hash_table_lookup (self->known, renamed_from);
      struct stat st;

      if (old_known != NULL &&
          !g_hash_table_contains (self->known, rel) &&
          lstat (old_abs, &st) != 0 &&
          lstat (new_abs, &st) == 0 &&
          !tessera_project_is_ignored (self, rel, S_ISDIR (st.st_mode)))
        {
          apply_change (self, TESSERA_FILE_RENAMED, rel, renamed_from, S_ISDIR (st.st_mode), NULL);
          return;
        }

      process_one (self, renamed_from);
    }

  process_one (self, rel);
}

static gboolean flush_pending (gpointer user_data);

static void
schedule_flush (TesseraProject *self,
                gint64          deadline)
{
  gint64 now = g_get_monotonic_time ();
  guint delay = deadline > now ? (guint) ((deadline - now + 999) / 1000) : 0;

  if (self->flush_source != NULL)
    return;

  self->flush_source = g_timeout_source_new (delay);
  g_source_set_static_name (self->flush_source, "[tessera-project-flush]");
  g_source_set_callback (self->flush_source, flush_pending, self, NULL);
  g_source_attach (self->flush_source, self->context);
}

typedef struct
{
  guint64  seq;
  char    *rel;
  Pending *pending;
} Ready;

static int
compare_ready (gconstpointer a,
               gconstpointer b)
{
  const Ready *ra = a;
  const Ready *rb = b;

  return ra->seq < rb->seq ? -1 : ra->seq > rb->seq;
}

static gboolean
flush_pending (gpointer user_data)
{
  TesseraProject *self = user_data;
  g_autoptr(GArray) ready = g_array_new (FALSE, FALSE, sizeof (Ready));
  g_autoptr(GObject) hold = g_object_ref (G_OBJECT (self));
  gint64 now = g_get_monotonic_time ();
  gint64 next = G_MAXINT64;
  GHashTableIter iter;
  gpointer key, value;

  g_clear_pointer (&self->flush_source, source_destroy_and_unref);

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Pending *pending = value;

      /* Our own operation on this path is still running: its result will
       * say what happened, and the echo must not overtake it. */
      if (g_hash_table_contains (self->in_flight, key) ||
          (pending->renamed_from && g_hash_table_contains (self->in_flight, pending->renamed_from)))
        pending->deadline = now + DEBOUNCE_MS * 1000;

      if (pending->deadline <= now)
        {
          Ready r = { pending->seq, key, pending };

          g_hash_table_iter_steal (&iter);
          g_array_append_val (ready, r);
        }
      else
        {
          next = MIN (next, pending->deadline);
        }
    }

  g_array_sort (ready, compare_ready);
  for (guint i = 0; i < ready->len; i++)
    {
      Ready *r = &g_array_index (ready, Ready, i);

      process_pending (self, r->rel, r->pending->renamed_from);
      g_free (r->rel);
      pending_free (r->pending);
    }

  if (next != G_MAXINT64 && self->flush_source == NULL && self->context != NULL)
    schedule_flush (self, next);

  return G_SOURCE_REMOVE;
}

static void
queue_event (TesseraProject *self,
             const char     *rel,
             const char     *renamed_from)
{
  g_autofree char *origin = g_strdup (renamed_from);
  Pending *pending;

  if (renamed_from != NULL)
    {
      Pending *previous = g_hash_table_lookup (self->pending, renamed_from);

      /* a -> b -> c within one window is a -> c. */
      if (previous != NULL && previous->renamed_from != NULL)
        {
          g_free (origin);
          origin = g_strdup (previous->renamed_from);
        }
      g_hash_table_remove (self->pending, renamed_from);
    }

  pending = g_hash_table_lookup (self->pending, rel);
  if (pending == NULL)
    {
      pending = g_new0 (Pending, 1);
      g_hash_table_insert (self->pending, g_strdup (rel), pending);
    }
  pending->seq = ++self->seq;
  pending->deadline = g_get_monotonic_time () + DEBOUNCE_MS * 1000;
  if (origin != NULL)
    {
      g_free (pending->renamed_from);
      pending->renamed_from = g_steal_pointer (&origin);
    }

  schedule_flush (self, pending->deadline);
}

static void
on_monitor_changed (GFileMonitor      *monitor,
                    GFile             *file,
                    GFile             *other,
                    GFileMonitorEvent  event,
                    gpointer           user_data)
{
  TesseraProject *self = user_data;
  g_autofree char *rel = tessera_project_get_relative_path (self, file);
  g_autofree char *other_rel = other != NULL ? tessera_project_get_relative_path (self, other) : NULL;

  if (rel == NULL)
    return;

  switch (event)
    {
    case G_FILE_MONITOR_EVENT_RENAMED:
      if (other_rel == NULL)
        queue_event (self, rel, NULL);
      else if (is_temp_name (rel))
        queue_event (self, other_rel, NULL);
      else
        queue_event (self, other_rel, rel);
      break;

    case G_FILE_MONITOR_EVENT_CHANGED:
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
      if (!is_temp_name (rel))
        queue_event (self, rel, NULL);
      break;

    case G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED:
    case G_FILE_MONITOR_EVENT_PRE_UNMOUNT:
    case G_FILE_MONITOR_EVENT_UNMOUNTED:
    case G_FILE_MONITOR_EVENT_MOVED:
    default:
      break;
    }
}

static void
add_monitor (TesseraProject *self,
             const char     *rel)
{
  g_autoptr(GFileMonitor) monitor = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) dir = NULL;

  if (self->context == NULL || g_hash_table_contains (self->monitors, rel))
    return;

  dir = rel[0] ? g_file_resolve_relative_path (self->root, rel) : g_object_ref (self->root);
  monitor = g_file_monitor_directory (dir, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (monitor == NULL)
    {
      /* Typically the inotify watch limit: the project still works, only
       * outside changes in this folder go unnoticed. */
      g_debug ("Cannot watch “%s”: %s", rel, error->message);
      return;
    }

  g_signal_connect (monitor, "changed", G_CALLBACK (on_monitor_changed), self);
  g_hash_table_insert (self->monitors, g_strdup (rel), g_steal_pointer (&monitor));
}

static void
start_monitoring (TesseraProject *self)
{
  g_autoptr(GPtrArray) dirs = g_steal_pointer (&self->initial_dirs);

  if (self->context != NULL)
    return;

  self->context = g_main_context_ref_thread_default ();
  self->owner_thread = g_thread_self ();
  add_monitor (self, "");
  for (guint i = 0; dirs != NULL && i < dirs->len; i++)
    add_monitor (self, g_ptr_array_index (dirs, i));
}

/* GObject */

static void
tessera_project_dispose (GObject *object)
{
  TesseraProject *self = (TesseraProject *) object;

  g_hash_table_remove_all (self->monitors);
  g_hash_table_remove_all (self->pending);
  if (self->flush_source != NULL)
    g_clear_pointer (&self->flush_source, source_destroy_and_unref);

  G_OBJECT_CLASS (tessera_project_parent_class)->dispose (object);
}

static void
tessera_project_finalize (GObject *object)
{
  TesseraProject *self = (TesseraProject *) object;

  g_clear_object (&self->root);
  g_clear_object (&self->manifest_file);
  g_clear_object (&self->state_dir);
  g_clear_pointer (&self->root_path, g_free);
  g_clear_pointer (&self->root_real, g_free);
  g_clear_pointer (&self->manifest_rel, g_free);
  g_clear_pointer (&self->manifest, json_object_unref);
  g_clear_pointer (&self->created, g_date_time_unref);
  g_clear_pointer (&self->ignore, tessera_ignore_free);
  g_mutex_clear (&self->ignore_lock);
  g_clear_pointer (&self->known, g_hash_table_unref);
  g_clear_pointer (&self->echoes, g_hash_table_unref);
  g_clear_pointer (&self->monitors, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->in_flight, g_hash_table_unref);
  g_clear_pointer (&self->initial_dirs, g_ptr_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (tessera_project_parent_class)->finalize (object);
}

static void
tessera_project_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  TesseraProject *self = TESSERA_PROJECT (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      g_value_set_object (value, self->root);
      break;

    case PROP_MANIFEST_FILE:
      g_value_set_object (value, self->manifest_file);
      break;

    case PROP_NAME:
      g_value_set_string (value, tessera_project_get_name (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_project_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  TesseraProject *self = TESSERA_PROJECT (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      g_set_object (&self->root, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_project_class_init (TesseraProjectClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_project_dispose;
  object_class->finalize = tessera_project_finalize;
  object_class->get_property = tessera_project_get_property;
  object_class->set_property = tessera_project_set_property;

  properties[PROP_ROOT] =
    g_param_spec_object ("root", NULL, NULL,
                         G_TYPE_FILE,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_MANIFEST_FILE] =
    g_param_spec_object ("manifest-file", NULL, NULL,
                         G_TYPE_FILE,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[FILE_CHANGED] =
    g_signal_new ("file-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE,
                  3,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  TESSERA_TYPE_FILE_CHANGE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
tessera_project_init (TesseraProject *self)
{
  g_mutex_init (&self->ignore_lock);
  self->known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->echoes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->monitors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, monitor_cancel_and_unref);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, pending_free);
  self->in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* Loading and creating (any thread) */

static char *
find_manifest (const char *root_path)
{
  g_autofree char *base = g_path_get_basename (root_path);
  g_autofree char *preferred = g_strconcat (base, TESSERA_PROJECT_MANIFEST_SUFFIX, NULL);
  g_autofree char *first = NULL;
  struct dirent *entry;
  DIR *dir;

  if (!(dir = opendir (root_path)))
    return NULL;

  while ((entry = readdir (dir)))
    {
      g_autofree char *path = NULL;
      struct stat st;

      /* ".tessera" alone is the state folder, not a manifest. */
      if (!g_str_has_suffix (entry->d_name, TESSERA_PROJECT_MANIFEST_SUFFIX) ||
          strcmp (entry->d_name, TESSERA_PROJECT_MANIFEST_SUFFIX) == 0)
        continue;

      path = g_build_filename (root_path, entry->d_name, NULL);
      if (stat (path, &st) != 0 || !S_ISREG (st.st_mode))
        continue;

      if (strcmp (entry->d_name, preferred) == 0)
        {
          g_clear_pointer (&first, g_free);
          first = g_steal_pointer (&path);
          break;
        }
      /* Several manifests: the alphabetically first one, so that the
       * choice is the same every time. */
      if (first == NULL || strcmp (path, first) < 0)
        {
          g_free (first);
          first = g_steal_pointer (&path);
        }
    }

  closedir (dir);
  return g_steal_pointer (&first);
}

static TesseraProject *
project_load (GFile         *location,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(TesseraProject) self = NULL;
  g_autoptr(JsonObject) manifest = NULL;
  g_autoptr(GFile) root = NULL;
  g_autofree char *path = g_file_get_path (location);
  g_autofree char *root_path = NULL;
  g_autofree char *manifest_path = NULL;
  g_autofree char *display = g_file_get_parse_name (location);
  g_autofree char *root_real = NULL;
  struct stat st;

  if (path == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("“%s” is not a local folder. Only folders on this computer can be opened as projects."),
                   display);
      return NULL;
    }

  if (stat (path, &st) != 0)
    {
      set_not_found_error (error, display);
      return NULL;
    }

  if (S_ISDIR (st.st_mode))
    {
      root_path = g_steal_pointer (&path);
      manifest_path = find_manifest (root_path);
    }
  else if (S_ISREG (st.st_mode) && g_str_has_suffix (path, TESSERA_PROJECT_MANIFEST_SUFFIX))
    {
      root_path = g_path_get_dirname (path);
      manifest_path = g_steal_pointer (&path);
    }
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is neither a folder nor a Tessera project file."), display);
      return NULL;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  if (manifest_path != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_path (manifest_path);
      g_autofree char *manifest_display = g_file_get_parse_name (file);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) local_error = NULL;

      if (stat (manifest_path, &st) == 0 && st.st_size > MAX_GITIGNORE_SIZE)
        {
          g_set_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_CORRUPT_MANIFEST,
                       _("The project file “%s” is damaged and cannot be opened: %s."),
                       manifest_display, _("it is far too large"));
          return NULL;
        }
      if (!(bytes = g_file_load_bytes (file, cancellable, NULL, &local_error)))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       _("Could not read the project file “%s”: %s"),
                       manifest_display, local_error->message);
          return NULL;
        }
      if (!(manifest = tessera_manifest_parse (bytes, manifest_display, error)))
        return NULL;
    }
  if (!(root_real = realpath (root_path, NULL)))
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not open “%s”: %s."), display, g_strerror (errsv));
      return NULL;
    }

  if (manifest_path == NULL)
    {
      g_autofree char *base = g_path_get_basename (root_path);
      g_autofree char *name = g_filename_display_name (base);
      g_autofree char *file_name = g_strconcat (base, TESSERA_PROJECT_MANIFEST_SUFFIX, NULL);
      g_autofree char *real_path = g_build_filename (root_real, file_name, NULL);
      g_autoptr(GBytes) bytes = NULL;
      gsize len;
      const guint8 *data;

      manifest = tessera_manifest_new (name, NULL);
      bytes = tessera_manifest_serialize (manifest);
      data = g_bytes_get_data (bytes, &len);
      if (!tessera_path_write_atomic (root_real, real_path, file_name, data, len, cancellable, error))
        return NULL;
      manifest_path = g_build_filename (root_path, file_name, NULL);
    }

  root = g_file_new_for_path (root_path);
  self = g_object_new (TESSERA_TYPE_PROJECT, "root", root, NULL);
  self->root_path = g_file_get_path (root);
  self->root_real = g_steal_pointer (&root_real);
  self->manifest_file = g_file_new_for_path (manifest_path);
  self->manifest_rel = g_path_get_basename (manifest_path);
  self->state_dir = g_file_get_child (root, TESSERA_PROJECT_STATE_DIR);
  self->created = g_date_time_new_from_iso8601 (json_object_get_string_member (manifest, "created"), NULL);
  self->manifest = g_steal_pointer (&manifest);
  self->ignore = load_gitignore (self->root_path);
  self->initial_dirs = g_ptr_array_new_with_free_func (g_free);
  scan_dir (self, "", self->known, self->initial_dirs, 0);

  return g_steal_pointer (&self);
}

static const char starter_html[] =
  "<!DOCTYPE html>\n"
  "<html lang=\"en\">\n"
  "<head>\n"
  "  <meta charset=\"utf-8\">\n"
  "  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
  "  <title>%s</title>\n"
  "  <style>\n"
  "    :root { color-scheme: light dark; }\n"
  "    body {\n"
  "      margin: 0;\n"
  "      min-height: 100vh;\n"
  "      display: grid;\n"
  "      place-items: center;\n"
  "      font-family: system-ui, -apple-system, \"Cantarell\", sans-serif;\n"
  "      background: linear-gradient(135deg, #e0ecff, #f6e8ff);\n"
  "      color: #241f31;\n"
  "    }\n"
  "    @media (prefers-color-scheme: dark) {\n"
  "      body { background: linear-gradient(135deg, #1c2333, #2a1f33); color: #f6f5f4; }\n"
  "    }\n"
  "    main { text-align: center; padding: 2rem; }\n"
  "    h1 { font-size: clamp(2rem, 6vw, 3.5rem); margin: 0 0 0.5rem; }\n"
  "    p { font-size: 1.2rem; opacity: 0.8; }\n"
  "  </style>\n"
  "</head>\n"
  "<body>\n"
  "  <main>\n"
  "    <h1>%s</h1>\n"
  "    <p>Describe the app you want in the chat, and it will appear here.</p>\n"
  "  </main>\n"
  "</body>\n"
  "</html>\n";

static gboolean
validate_project_name (const char  *name,
                       GError     **error)
{
  if (name == NULL || name[0] == '\0')
    {
      g_set_error_literal (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH,
                           _("A project needs a name."));
      return FALSE;
    }
  if (strchr (name, '/') != NULL)
    {
      g_set_error_literal (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH,
                           _("A project name cannot contain “/”."));
      return FALSE;
    }
  if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0 ||
      strcmp (name, TESSERA_PROJECT_STATE_DIR) == 0)
    {
      g_set_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH,
                   _("“%s” cannot be used as a project name."), name);
      return FALSE;
    }
  if (strlen (name) + strlen (TESSERA_PROJECT_MANIFEST_SUFFIX) > NAME_MAX)
    {
      g_set_error_literal (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH,
                           _("The project name is too long."));
      return FALSE;
    }
  return TRUE;
}

static gboolean
dir_is_empty (const char *path)
{
  struct dirent *entry;
  gboolean empty = TRUE;
  DIR *dir;

  if (!(dir = opendir (path)))
    return FALSE;
  while (empty && (entry = readdir (dir)))
    {
      if (strcmp (entry->d_name, ".") != 0 && strcmp (entry->d_name, "..") != 0)
        empty = FALSE;
    }
  closedir (dir);
  return empty;
}

static TesseraProject *
project_create (GFile         *parent,
                const char    *name,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autofree char *parent_path = g_file_get_path (parent);
  g_autofree char *dir = NULL;
  g_autofree char *dir_real = NULL;
  g_autofree char *index = NULL;
  g_autofree char *manifest_name = NULL;
  g_autofree char *manifest_path = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *html = NULL;
  g_autoptr(JsonObject) manifest = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GFile) dir_file = NULL;
  const guint8 *data;
  gsize len;

  if (!validate_project_name (name, error))
    return NULL;

  if (parent_path == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("Projects can only be created in folders on this computer."));
      return NULL;
    }

  dir = g_build_filename (parent_path, name, NULL);
  if (mkdir (dir, 0777) != 0)
    {
      int errsv = errno;
      struct stat st;

      if (errsv == EEXIST)
        {
          if (lstat (dir, &st) != 0 || !S_ISDIR (st.st_mode) || !dir_is_empty (dir))
            {
              g_set_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_EXISTS,
                           _("“%s” already exists and is not empty. Choose another name."), name);
              return NULL;
            }
        }
      else
        {
          g_autofree char *parent_display = g_file_get_parse_name (parent);

          g_set_error (error,
                       errsv == ENOENT ? TESSERA_PROJECT_ERROR : G_IO_ERROR,
                       errsv == ENOENT ? TESSERA_PROJECT_ERROR_NOT_FOUND : g_io_error_from_errno (errsv),
                       _("Could not create the project folder in “%s”: %s."),
                       parent_display, g_strerror (errsv));
          return NULL;
        }
    }

  if (!(dir_real = realpath (dir, NULL)))
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not create the project folder “%s”: %s."), name, g_strerror (errsv));
      return NULL;
    }

  escaped = g_markup_escape_text (name, -1);
  html = g_strdup_printf (starter_html, escaped, escaped);
  index = g_build_filename (dir_real, "index.html", NULL);
  if (!tessera_path_write_atomic (dir_real, index, "index.html", (const guint8 *) html, strlen (html),
                                  cancellable, error))
    return NULL;

  manifest_name = g_strconcat (name, TESSERA_PROJECT_MANIFEST_SUFFIX, NULL);
  manifest_path = g_build_filename (dir_real, manifest_name, NULL);
  manifest = tessera_manifest_new (name, "blank");
  bytes = tessera_manifest_serialize (manifest);
  data = g_bytes_get_data (bytes, &len);
  if (!tessera_path_write_atomic (dir_real, manifest_path, manifest_name, data, len, cancellable, error))
    return NULL;

  dir_file = g_file_new_for_path (dir);
  return project_load (dir_file, cancellable, error);
}

typedef struct
{
  GFile *location;
  char  *name;
} LoadData;

static void
load_data_free (gpointer data)
{
  LoadData *load = data;

  g_clear_object (&load->location);
  g_free (load->name);
  g_free (load);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData *load = task_data;
  TesseraProject *project;
  GError *error = NULL;

  if (load->name != NULL)
    project = project_create (load->location, load->name, cancellable, &error);
  else
    project = project_load (load->location, cancellable, &error);

  if (project == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, project, g_object_unref);
}

static void
load_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  TesseraProject *project;
  GError *error = NULL;

  /* Monitors deliver on the context they are made in: the caller's. */
  project = g_task_propagate_pointer (G_TASK (result), &error);
  if (project == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }
  start_monitoring (project);
  g_task_return_pointer (outer, project, g_object_unref);
}

static void
load_async (GFile               *location,
            const char          *name,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data,
            gpointer             source_tag)
{
  GTask *outer;
  g_autoptr(GTask) inner = NULL;
  LoadData *load;

  outer = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (outer, source_tag);

  load = g_new0 (LoadData, 1);
  load->location = g_object_ref (location);
  load->name = g_strdup (name);

  inner = g_task_new (NULL, cancellable, load_done, outer);
  g_task_set_source_tag (inner, load_async);
  g_task_set_task_data (inner, load, load_data_free);
  g_task_run_in_thread (inner, load_thread);
}

void
tessera_project_open_async (GFile               *location,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (G_IS_FILE (location));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  load_async (location, NULL, cancellable, callback, user_data, tessera_project_open_async);
}

TesseraProject *
tessera_project_open_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

TesseraProject *
tessera_project_open (GFile         *location,
                      GCancellable  *cancellable,
                      GError       **error)
{
  TesseraProject *self;

  g_return_val_if_fail (G_IS_FILE (location), NULL);

  if ((self = project_load (location, cancellable, error)))
    start_monitoring (self);
  return self;
}

void
tessera_project_create_async (GFile               *parent,
                              const char          *name,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (G_IS_FILE (parent));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  /* An empty name still goes through the thread, which reports it. */
  load_async (parent, name != NULL ? name : "", cancellable, callback, user_data,
              tessera_project_create_async);
}

TesseraProject *
tessera_project_create_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

TesseraProject *
tessera_project_create (GFile         *parent,
                        const char    *name,
                        GCancellable  *cancellable,
                        GError       **error)
{
  TesseraProject *self;

  g_return_val_if_fail (G_IS_FILE (parent), NULL);

  if ((self = project_create (parent, name, cancellable, error)))
    start_monitoring (self);
  return self;
}

/* Accessors */

GFile *
tessera_project_get_root (TesseraProject *self)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT (self), NULL);

  return self->root;
}

GFile *
tessera_project_get_manifest_file (TesseraProject *self)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT (self), NULL);

  return self->manifest_file;
}

GFile *
tessera_project_get_state_dir (TesseraProject *self)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (TESSERA_IS_PROJECT (self), NULL);

  /* Private by default: chat history and drafts are nobody else's. */
  path = g_file_get_path (self->state_dir);
  if (mkdir (path, 0700) != 0 && errno != EEXIST)
    g_debug ("Cannot create %s: %s", path, g_strerror (errno));

  return self->state_dir;
}

const char *
tessera_project_get_name (TesseraProject *self)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT (self), NULL);

  return self->manifest ? json_object_get_string_member (self->manifest, "name") : NULL;
}

const char *
tessera_project_get_id (TesseraProject *self)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT (self), NULL);

  return json_object_get_string_member (self->manifest, "id");
}

GDateTime *
tessera_project_get_created (TesseraProject *self)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT (self), NULL);

  return self->created;
}

const char *
tessera_project_get_template (TesseraProject *self)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT (self), NULL);

  return json_object_get_string_member_with_default (self->manifest, "template", NULL);
}

const char *
tessera_project_get_setting (TesseraProject *self,
                             const char     *key)
{
  JsonObject *settings;

  g_return_val_if_fail (TESSERA_IS_PROJECT (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  if (!json_object_has_member (self->manifest, "settings"))
    return NULL;
  settings = json_object_get_object_member (self->manifest, "settings");
  return json_object_get_string_member_with_default (settings, key, NULL);
}

gboolean
tessera_project_set_setting (TesseraProject  *self,
                             const char      *key,
                             const char      *value,
                             GError         **error)
{
  g_autoptr(JsonObject) updated = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *path = NULL;
  JsonObject *settings = NULL;
  GList *members;
  const guint8 *data;
  Stamp stamp;
  gsize len;

  g_return_val_if_fail (TESSERA_IS_PROJECT (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  if (g_strcmp0 (tessera_project_get_setting (self, key), value) == 0)
    return TRUE;

  settings = json_object_new ();
  if (json_object_has_member (self->manifest, "settings"))
    {
      JsonObject *old = json_object_get_object_member (self->manifest, "settings");

      members = json_object_get_members (old);
      for (const GList *l = members; l != NULL; l = l->next)
        {
          if (strcmp (l->data, key) != 0)
            json_object_set_member (settings, l->data, json_object_dup_member (old, l->data));
        }
      g_list_free (members);
    }
  if (value != NULL)
    json_object_set_string_member (settings, key, value);

  /* The document to write shares every other member with the current one;
   * the current one only changes once the write succeeded, and keeps its
   * other strings (the name a caller may hold) where they are. */
  updated = json_object_new ();
  members = json_object_get_members (self->manifest);
  for (const GList *l = members; l != NULL; l = l->next)
    {
      if (strcmp (l->data, "settings") != 0)
        json_object_set_member (updated, l->data,
                                json_node_ref (json_object_get_member (self->manifest, l->data)));
    }
  g_list_free (members);
  json_object_set_object_member (updated, "settings", json_object_ref (settings));

  bytes = tessera_manifest_serialize (updated);
  data = g_bytes_get_data (bytes, &len);
  path = g_build_filename (self->root_real, self->manifest_rel, NULL);
  if (!tessera_path_write_atomic (self->root_real, path, self->manifest_rel, data, len, NULL, error))
    {
      json_object_unref (settings);
      return FALSE;
    }

  json_object_set_object_member (self->manifest, "settings", settings);

  stamp_path (&stamp, path);
  apply_change (self, TESSERA_FILE_CHANGED, self->manifest_rel, NULL, FALSE, &stamp);
  return TRUE;
}

/* Confinement */

GFile *
tessera_project_resolve_len (TesseraProject  *self,
                             const char      *path,
                             gssize           len,
                             GError         **error)
{
  g_autofree char *rel = NULL;
  g_autofree char *real = NULL;

  g_return_val_if_fail (TESSERA_IS_PROJECT (self), NULL);

  if (!tessera_path_normalize (path, len, &rel, error) ||
      !tessera_path_confine (self->root_real, rel, TRUE, &real, error))
    return NULL;

  return g_file_resolve_relative_path (self->root, rel);
}

GFile *
tessera_project_resolve (TesseraProject  *self,
                         const char      *path,
                         GError         **error)
{
  return tessera_project_resolve_len (self, path, -1, error);
}

char *
tessera_project_get_relative_path (TesseraProject *self,
                                   GFile          *file)
{
  g_autofree char *path = NULL;
  const char *prefixes[2];

  g_return_val_if_fail (TESSERA_IS_PROJECT (self), NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  if (!(path = g_file_get_path (file)))
    return NULL;

  prefixes[0] = self->root_path;
  prefixes[1] = self->root_real;
  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      if (has_path_prefix (path, prefixes[i]) && path[strlen (prefixes[i]) + 1] != '\0')
        return g_strdup (path + strlen (prefixes[i]) + 1);
    }

  return NULL;
}

gboolean
tessera_project_is_ignored (TesseraProject *self,
                            const char     *path,
                            gboolean        is_directory)
{
  gboolean ignored;

  g_return_val_if_fail (TESSERA_IS_PROJECT (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (is_builtin_ignored (path))
    return TRUE;

  g_mutex_lock (&self->ignore_lock);
  ignored = tessera_ignore_match (self->ignore, path, is_directory);
  g_mutex_unlock (&self->ignore_lock);

  return ignored;
}

/* Operations (worker side) */

static void
op_free (gpointer data)
{
  Op *op = data;

  g_free (op->path);
  g_free (op->path2);
  g_clear_pointer (&op->contents, g_bytes_unref);
  g_clear_pointer (&op->result, g_bytes_unref);
  g_clear_pointer (&op->changes, g_array_unref);
  g_clear_object (&op->self);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Op, op_free)

static Op *
op_new (TesseraProject *self,
        OpKind          kind)
{
  Op *op = g_new0 (Op, 1);

  op->kind = kind;
  op->self = g_object_ref (self);
  op->changes = g_array_new (FALSE, TRUE, sizeof (Change));
  g_array_set_clear_func (op->changes, change_clear);
  return op;
}

/* mkdir(2) through the parent's no-follow descriptor. */
static void
set_mkdir_error (GError     **error,
                 const char  *display,
                 int          errsv)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
               _("Could not create the folder “%s”: %s."), display, g_strerror (errsv));
}

static void
set_too_large_error (GError     **error,
                     const char  *display)
{
  g_set_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_TOO_LARGE,
               _("“%s” is too large to open."), display);
}

static gboolean
mkdir_in_root (TesseraProject  *self,
               const char      *real,
               const char      *display,
               gboolean        *existed,
               GError         **error)
{
  const char *base;
  int dirfd;
  int errsv = 0;

  *existed = FALSE;
  if ((dirfd = tessera_path_open_parent (self->root_real, real, display, &base, error)) < 0)
    return FALSE;
  if (mkdirat (dirfd, base, 0777) != 0)
    errsv = errno;
  close (dirfd);

  if (errsv == EEXIST)
    *existed = TRUE;
  else if (errsv != 0)
    {
      set_mkdir_error (error, display, errsv);
      return FALSE;
    }
  return TRUE;
}

/* Creates the missing parent folders of @rel, each one confined. */
static gboolean
make_parents (TesseraProject  *self,
              const char      *rel,
              GArray          *changes,
              GError         **error)
{
  g_autofree char *copy = g_strdup (rel);

  for (char *slash = strchr (copy, '/'); slash != NULL; slash = strchr (slash + 1, '/'))
    {
      g_autofree char *real = NULL;
      g_autofree char *display = NULL;
      struct stat st;

      *slash = '\0';
      display = tessera_path_display (copy, -1);
      if (!tessera_path_confine (self->root_real, copy, TRUE, &real, error))
        return FALSE;

      if (lstat (real, &st) != 0)
        {
          int errsv = errno;
          gboolean existed;

          if (errsv != ENOENT)
            {
              set_mkdir_error (error, display, errsv);
              return FALSE;
            }
          if (!mkdir_in_root (self, real, display, &existed, error))
            return FALSE;
          if (!existed)
            add_change (changes, TESSERA_FILE_CREATED, copy, NULL, TRUE, NULL);
        }
      else if (!S_ISDIR (st.st_mode))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY,
                       _("“%s” is a file, so nothing can be put inside it."), display);
          return FALSE;
        }
      *slash = '/';
    }

  return TRUE;
}

static gboolean
op_write (TesseraProject  *self,
          Op              *op,
          GCancellable    *cancellable,
          GError         **error)
{
  g_autofree char *display = tessera_path_display (op->path, -1);
  g_autofree char *real = NULL;
  const guint8 *data;
  struct stat st;
  gboolean existed;
  gsize len;

  if (!make_parents (self, op->path, op->changes, error))
    return FALSE;
  /* Following the last symlink is safe: confine() checked where it leads,
   * and writing through it keeps the link a link. */
  if (!tessera_path_confine (self->root_real, op->path, TRUE, &real, error))
    return FALSE;

  existed = lstat (real, &st) == 0;
  data = g_bytes_get_data (op->contents, &len);
  if (!tessera_path_write_atomic (self->root_real, real, display, data, len, cancellable, error))
    return FALSE;

  add_change (op->changes, existed ? TESSERA_FILE_CHANGED : TESSERA_FILE_CREATED,
              op->path, NULL, FALSE, real);
  return TRUE;
}

static gboolean
op_read (TesseraProject  *self,
         Op              *op,
         GCancellable    *cancellable,
         GError         **error)
{
  g_autofree char *display = tessera_path_display (op->path, -1);
  g_autofree char *real = NULL;
  g_autoptr(GByteArray) buffer = NULL;
  const char *base;
  struct stat st;
  int dirfd;
  int errsv;
  int fd;

  if (!tessera_path_confine (self->root_real, op->path, TRUE, &real, error))
    return FALSE;

  if ((dirfd = tessera_path_open_parent (self->root_real, real, display, &base, error)) < 0)
    return FALSE;

  /* O_NONBLOCK: a FIFO planted in the project must not hang the thread.
   * O_NOFOLLOW: confine() resolved every link, so one here is new. */
  fd = openat (dirfd, base, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
  errsv = errno;
  close (dirfd);
  if (fd < 0 && errsv == ELOOP)
    {
      g_set_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH,
                   _("“%s” was replaced by a symbolic link while it was being opened."), display);
      return FALSE;
    }
  if (fd < 0)
    {
      if (errsv == ENOENT)
        set_not_found_error (error, display);
      else
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                     _("Could not open “%s”: %s."), display, g_strerror (errsv));
      return FALSE;
    }

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, G_IO_ERROR,
                   S_ISDIR (st.st_mode) ? G_IO_ERROR_IS_DIRECTORY : G_IO_ERROR_NOT_REGULAR_FILE,
                   _("“%s” is not a file that can be opened."), display);
      return FALSE;
    }

  if (st.st_size > TESSERA_PROJECT_MAX_READ_SIZE)
    {
      close (fd);
      set_too_large_error (error, display);
      return FALSE;
    }

  buffer = g_byte_array_sized_new (st.st_size + 1);
  for (;;)
    {
      guint8 chunk[16 * 1024];
      gssize n;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          close (fd);
          return FALSE;
        }

      n = read (fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          errsv = errno;
          close (fd);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       _("Could not read “%s”: %s."), display, g_strerror (errsv));
          return FALSE;
        }
      if (n == 0)
        break;
      if (buffer->len + n > TESSERA_PROJECT_MAX_READ_SIZE)
        {
          close (fd);
          set_too_large_error (error, display);
          return FALSE;
        }
      g_byte_array_append (buffer, chunk, n);
    }

  close (fd);
  op->result = g_byte_array_free_to_bytes (g_steal_pointer (&buffer));
  return TRUE;
}

static gboolean
op_delete (TesseraProject  *self,
           Op              *op,
           GCancellable    *cancellable,
           GError         **error)
{
  g_autofree char *display = tessera_path_display (op->path, -1);
  g_autofree char *real = NULL;
  struct stat st;

  /* The last component is not followed: deleting a symlink deletes the
   * link, wherever it points. */
  if (!tessera_path_confine (self->root_real, op->path, FALSE, &real, error))
    return FALSE;

  if (lstat (real, &st) != 0)
    {
      set_not_found_error (error, display);
      return FALSE;
    }

  if (op->to_trash)
    {
      g_autoptr(GFile) file = g_file_new_for_path (real);

      if (!g_file_trash (file, cancellable, error))
        {
          g_prefix_error (error, _("Could not move “%s” to the trash: "), display);
          return FALSE;
        }
    }
  else if (!tessera_path_remove_tree_in (self->root_real, real, display, cancellable, error))
    {
      /* Part of a folder may be gone: the monitor reports what is left. */
      return FALSE;
    }

  add_change (op->changes, TESSERA_FILE_DELETED, op->path, NULL, S_ISDIR (st.st_mode), NULL);
  return TRUE;
}

static gboolean
op_rename (TesseraProject  *self,
           Op              *op,
           GCancellable    *cancellable,
           GError         **error)
{
  g_autofree char *from_display = tessera_path_display (op->path, -1);
  g_autofree char *to_display = tessera_path_display (op->path2, -1);
  g_autofree char *from_real = NULL;
  g_autofree char *to_real = NULL;
  const char *from_base;
  const char *to_base;
  struct stat st;
  int errsv = 0;
  int from_fd;
  int to_fd;

  if (strcmp (op->path, op->path2) == 0)
    return TRUE;

  if (has_path_prefix (op->path2, op->path))
    {
      g_set_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH,
                   _("“%s” cannot be moved into itself."), from_display);
      return FALSE;
    }

  if (!tessera_path_confine (self->root_real, op->path, FALSE, &from_real, error))
    return FALSE;
  if (lstat (from_real, &st) != 0)
    {
      set_not_found_error (error, from_display);
      return FALSE;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  if (!make_parents (self, op->path2, op->changes, error) ||
      !tessera_path_confine (self->root_real, op->path2, FALSE, &to_real, error))
    return FALSE;

  if ((from_fd = tessera_path_open_parent (self->root_real, from_real, from_display, &from_base, error)) < 0)
    return FALSE;
  if ((to_fd = tessera_path_open_parent (self->root_real, to_real, to_display, &to_base, error)) < 0)
    {
      close (from_fd);
      return FALSE;
    }

  /* Never replace: a rename that would destroy another file is refused. */
  if (renameat2 (from_fd, from_base, to_fd, to_base, RENAME_NOREPLACE) != 0)
    {
      errsv = errno;
      if (errsv == EINVAL || errsv == ENOSYS)
        {
          struct stat target;

          /* Without RENAME_NOREPLACE (some file systems) the check and the
           * rename are two steps; good enough for those. */
          if (fstatat (to_fd, to_base, &target, AT_SYMLINK_NOFOLLOW) == 0)
            errsv = EEXIST;
          else
            errsv = renameat (from_fd, from_base, to_fd, to_base) == 0 ? 0 : errno;
        }
    }
  close (from_fd);
  close (to_fd);

  if (errsv == EEXIST)
    {
      g_set_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_EXISTS,
                   _("Could not rename “%s”: “%s” already exists."), from_display, to_display);
      return FALSE;
    }
  if (errsv != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not rename “%s” to “%s”: %s."),
                   from_display, to_display, g_strerror (errsv));
      return FALSE;
    }

  add_change (op->changes, TESSERA_FILE_RENAMED, op->path2, op->path, S_ISDIR (st.st_mode), to_real);
  return TRUE;
}

static gboolean
op_mkdir (TesseraProject  *self,
          Op              *op,
          GError         **error)
{
  g_autofree char *display = tessera_path_display (op->path, -1);
  g_autofree char *real = NULL;
  gboolean existed;

  if (!make_parents (self, op->path, op->changes, error) ||
      !tessera_path_confine (self->root_real, op->path, TRUE, &real, error))
    return FALSE;

  if (!mkdir_in_root (self, real, display, &existed, error))
    return FALSE;
  if (existed)
    {
      g_set_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_EXISTS,
                   _("“%s” already exists."), display);
      return FALSE;
    }

  add_change (op->changes, TESSERA_FILE_CREATED, op->path, NULL, TRUE, NULL);
  return TRUE;
}

static gboolean
op_run (Op            *op,
        GCancellable  *cancellable,
        GError       **error)
{
  switch (op->kind)
    {
    case OP_WRITE:
      return op_write (op->self, op, cancellable, error);
    case OP_READ:
      return op_read (op->self, op, cancellable, error);
    case OP_DELETE:
      return op_delete (op->self, op, cancellable, error);
    case OP_RENAME:
      return op_rename (op->self, op, cancellable, error);
    case OP_MKDIR:
      return op_mkdir (op->self, op, error);
    default:
      g_assert_not_reached ();
    }
}

/* Operations (main side) */

static void
in_flight_update (TesseraProject *self,
                  const char     *path,
                  int             delta)
{
  int count;

  if (path == NULL)
    return;

  count = GPOINTER_TO_INT (g_hash_table_lookup (self->in_flight, path)) + delta;
  if (count > 0)
    g_hash_table_insert (self->in_flight, g_strdup (path), GINT_TO_POINTER (count));
  else
    g_hash_table_remove (self->in_flight, path);
}

static gboolean
emit_op_changes (gpointer data)
{
  Op *op = data;

  apply_changes (op->self, op->changes);
  return G_SOURCE_REMOVE;
}

/* The blocking variants may run in any thread (the session applies a
 * model's edits in a worker); the signal still belongs to the project's
 * main context, whose handlers may touch widgets. */
static gboolean
run_sync (Op            *op,
          GCancellable  *cancellable,
          GError       **error)
{
  TesseraProject *self = op->self;
  gboolean ok = op_run (op, cancellable, error);

  if (op->changes->len == 0)
    return ok;

  if (g_thread_self () == self->owner_thread || g_main_context_is_owner (self->context))
    {
      apply_changes (self, op->changes);
    }
  else
    {
      g_autoptr(GSource) source = g_idle_source_new ();
      Op *emit = op_new (self, op->kind);

      g_array_unref (emit->changes);
      emit->changes = g_steal_pointer (&op->changes);
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_static_name (source, "[tessera-project-emit]");
      g_source_set_callback (source, emit_op_changes, emit, op_free);
      g_source_attach (source, self->context);
    }

  return ok;
}

static void
op_thread (GTask        *task,
           gpointer      source_object,
           gpointer      task_data,
           GCancellable *cancellable)
{
  GError *error = NULL;

  if (op_run (task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
op_done (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  Op *op = g_task_get_task_data (G_TASK (result));
  /* The worker thread may drop its reference to the inner task (and so to
   * the op) a little after this callback: nothing there may keep the
   * project alive, or closing it would race with that thread. */
  g_autoptr(TesseraProject) self = g_steal_pointer (&op->self);
  GError *error = NULL;

  in_flight_update (self, op->path, -1);
  in_flight_update (self, op->path2, -1);

  /* Listeners hear about the change before the caller's callback runs. */
  apply_changes (self, op->changes);

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_error (outer, error);
  else if (op->kind == OP_READ)
    g_task_return_pointer (outer, g_steal_pointer (&op->result), (GDestroyNotify) g_bytes_unref);
  else
    g_task_return_boolean (outer, TRUE);
}

static void
run_async (Op                  *op,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data,
           gpointer             source_tag)
{
  TesseraProject *self = op->self;
  g_autoptr(GTask) inner = NULL;
  GTask *outer;

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, source_tag);
  /* What happened on disk is the answer, even if cancelled too late. */
  g_task_set_check_cancellable (outer, FALSE);

  in_flight_update (self, op->path, 1);
  in_flight_update (self, op->path2, 1);

  inner = g_task_new (NULL, cancellable, op_done, outer);
  g_task_set_source_tag (inner, run_async);
  g_task_set_check_cancellable (inner, FALSE);
  g_task_set_task_data (inner, op, op_free);
  g_task_run_in_thread (inner, op_thread);
}

/* Normalizes the caller's path on the caller's thread: a bad path fails
 * before any thread is involved. */
static Op *
op_prepare (TesseraProject  *self,
            OpKind           kind,
            const char      *path,
            const char      *path2,
            GError         **error)
{
  g_autoptr(Op) op = op_new (self, kind);

  if (!tessera_path_normalize (path, -1, &op->path, error))
    return NULL;
  if (kind == OP_RENAME && !tessera_path_normalize (path2, -1, &op->path2, error))
    return NULL;

  return g_steal_pointer (&op);
}

/* op_prepare for the async variants: a bad path is reported through the
 * callback, and NULL returned. */
static Op *
op_prepare_async (TesseraProject      *self,
                  OpKind               kind,
                  const char          *path,
                  const char          *path2,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data,
                  gpointer             source_tag)
{
  GError *error = NULL;
  Op *op;

  if (!(op = op_prepare (self, kind, path, path2, &error)))
    g_task_report_error (self, callback, user_data, source_tag, error);

  return op;
}

static gboolean
finish_boolean (TesseraProject  *self,
                GAsyncResult    *result,
                gpointer         source_tag,
                GError         **error)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
tessera_project_write_async (TesseraProject      *self,
                             const char          *path,
                             GBytes              *contents,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  Op *op;

  g_return_if_fail (TESSERA_IS_PROJECT (self));
  g_return_if_fail (contents != NULL);

  if (!(op = op_prepare_async (self, OP_WRITE, path, NULL, callback, user_data,
                               tessera_project_write_async)))
    return;
  op->contents = g_bytes_ref (contents);
  run_async (op, cancellable, callback, user_data, tessera_project_write_async);
}

gboolean
tessera_project_write_finish (TesseraProject  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  return finish_boolean (self, result, tessera_project_write_async, error);
}

gboolean
tessera_project_write (TesseraProject  *self,
                       const char      *path,
                       GBytes          *contents,
                       GCancellable    *cancellable,
                       GError         **error)
{
  g_autoptr(Op) op = NULL;

  g_return_val_if_fail (TESSERA_IS_PROJECT (self), FALSE);
  g_return_val_if_fail (contents != NULL, FALSE);

  if (!(op = op_prepare (self, OP_WRITE, path, NULL, error)))
    return FALSE;
  op->contents = g_bytes_ref (contents);
  return run_sync (op, cancellable, error);
}

void
tessera_project_read_async (TesseraProject      *self,
                            const char          *path,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  Op *op;

  g_return_if_fail (TESSERA_IS_PROJECT (self));

  if (!(op = op_prepare_async (self, OP_READ, path, NULL, callback, user_data,
                               tessera_project_read_async)))
    return;
  run_async (op, cancellable, callback, user_data, tessera_project_read_async);
}

GBytes *
tessera_project_read_finish (TesseraProject  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

GBytes *
tessera_project_read (TesseraProject  *self,
                      const char      *path,
                      GCancellable    *cancellable,
                      GError         **error)
{
  g_autoptr(Op) op = NULL;

  g_return_val_if_fail (TESSERA_IS_PROJECT (self), NULL);

  if (!(op = op_prepare (self, OP_READ, path, NULL, error)))
    return NULL;
  if (!op_run (op, cancellable, error))
    return NULL;
  return g_steal_pointer (&op->result);
}

void
tessera_project_delete_async (TesseraProject      *self,
                              const char          *path,
                              gboolean             to_trash,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  Op *op;

  g_return_if_fail (TESSERA_IS_PROJECT (self));

  if (!(op = op_prepare_async (self, OP_DELETE, path, NULL, callback, user_data,
                               tessera_project_delete_async)))
    return;
  op->to_trash = !!to_trash;
  run_async (op, cancellable, callback, user_data, tessera_project_delete_async);
}

gboolean
tessera_project_delete_finish (TesseraProject  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  return finish_boolean (self, result, tessera_project_delete_async, error);
}

gboolean
tessera_project_delete (TesseraProject  *self,
                        const char      *path,
                        gboolean         to_trash,
                        GCancellable    *cancellable,
                        GError         **error)
{
  g_autoptr(Op) op = NULL;

  g_return_val_if_fail (TESSERA_IS_PROJECT (self), FALSE);

  if (!(op = op_prepare (self, OP_DELETE, path, NULL, error)))
    return FALSE;
  op->to_trash = !!to_trash;
  return run_sync (op, cancellable, error);
}

void
tessera_project_rename_async (TesseraProject      *self,
                              const char          *from,
                              const char          *to,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  Op *op;

  g_return_if_fail (TESSERA_IS_PROJECT (self));

  if (!(op = op_prepare_async (self, OP_RENAME, from, to, callback, user_data,
                               tessera_project_rename_async)))
    return;
  run_async (op, cancellable, callback, user_data, tessera_project_rename_async);
}

gboolean
tessera_project_rename_finish (TesseraProject  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  return finish_boolean (self, result, tessera_project_rename_async, error);
}

gboolean
tessera_project_rename (TesseraProject  *self,
                        const char      *from,
                        const char      *to,
                        GCancellable    *cancellable,
                        GError         **error)
{
  g_autoptr(Op) op = NULL;

  g_return_val_if_fail (TESSERA_IS_PROJECT (self), FALSE);

  if (!(op = op_prepare (self, OP_RENAME, from, to, error)))
    return FALSE;
  return run_sync (op, cancellable, error);
}

gboolean
tessera_project_make_directory (TesseraProject  *self,
                                const char      *path,
                                GError         **error)
{
  g_autoptr(Op) op = NULL;

  g_return_val_if_fail (TESSERA_IS_PROJECT (self), FALSE);

  if (!(op = op_prepare (self, OP_MKDIR, path, NULL, error)))
    return FALSE;
  return run_sync (op, NULL, error);
}
