/* tessera-history.c: a project's versions in git, one per AI turn
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The history never touches what the user's own git sees: commits go to
 * refs/tessera/history only, and the staging area is a private index in
 * .tessera/history/index (set as the repository's index in memory only),
 * so HEAD, branches and .git/index stay as they were. Restores write the
 * files through TesseraProject instead of a git checkout, so that the
 * editor, preview and sandbox hear about every change.
 */

#define G_LOG_DOMAIN "tessera-history"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <git2.h>
#include <git2/sys/repository.h>

#include "tessera-history.h"

#define TRAILER_KIND "Tessera-Kind"
#define TRAILER_TARGET "Tessera-Restore-Target"
#define MAX_MESSAGE_CHARS 2000

/* Never saved, whatever .gitignore says: our own state, dependencies that
 * npm puts back, and the VCS folder. */
#define BUILTIN_IGNORE_RULES ".tessera/\nnode_modules/\n.git/\n"

struct _TesseraHistory
{
  GObject         parent_instance;

  TesseraProject *project;
  char           *root_path;
  char           *state_path;
  /* The manifest's path relative to the root, or NULL. */
  char           *manifest_path;

  /* Jobs run one at a time, in the order they were started. */
  GMutex          queue_lock;
  GQueue          queue;
  gboolean        running;

  /* Owned by the worker thread while it runs. */
  git_repository *repo;
  git_index      *index;
  GPtrArray      *changes;
};

G_DEFINE_FINAL_TYPE (TesseraHistory, tessera_history, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef enum
{
  JOB_COMMIT,
  JOB_LIST,
  JOB_DIFF,
  JOB_RESTORE,
  JOB_UNDO,
} JobType;

typedef struct
{
  JobType             type;
  TesseraHistoryKind  kind;
  char               *message;
  char               *id;
  guint               max_entries;

  /* Set by the worker, handed to the task on the main context. */
  gpointer            result;
  GDestroyNotify      result_destroy;
  GError             *error;
  GPtrArray          *changes;
} Job;

static void
job_free (gpointer data)
{
  Job *job = data;

  g_free (job->message);
  g_free (job->id);
  if (job->result != NULL && job->result_destroy != NULL)
    job->result_destroy (job->result);
  g_clear_error (&job->error);
  g_clear_pointer (&job->changes, g_ptr_array_unref);
  g_free (job);
}

static void
job_return_error (Job    *job,
                  GError *error)
{
  g_assert (job->error == NULL && job->result == NULL);
  job->error = error;
}

static void
job_return_pointer (Job            *job,
                    gpointer        result,
                    GDestroyNotify  result_destroy)
{
  g_assert (job->error == NULL && job->result == NULL);
  job->result = result;
  job->result_destroy = result_destroy;
}

/* Jobs that make a version return its full id. */
static void
job_return_oid (Job           *job,
                const git_oid *id)
{
  char hex[GIT_OID_HEXSZ + 1];

  git_oid_tostr (hex, sizeof hex, id);
  job_return_pointer (job, g_strdup (hex), g_free);
}

G_DEFINE_QUARK (tessera-history-error-quark, tessera_history_error)

/* Helpers for libgit2 objects. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (git_commit, git_commit_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (git_tree, git_tree_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (git_diff, git_diff_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (git_blob, git_blob_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (git_signature, git_signature_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (git_revwalk, git_revwalk_free)

static gboolean
set_git_error (GError     **error,
               int          code,
               const char  *summary)
{
  const git_error *gerr = git_error_last ();

  if (gerr != NULL && gerr->message != NULL && gerr->message[0] != '\0')
    g_set_error (error, TESSERA_HISTORY_ERROR, code, "%s (%s)", summary, gerr->message);
  else
    g_set_error_literal (error, TESSERA_HISTORY_ERROR, code, summary);

  return FALSE;
}

/* Repository */

static gboolean
index_matches_repository (git_index      *index,
                          git_repository *repo)
{
  git_odb *odb = NULL;
  gboolean matches = TRUE;

  if (git_repository_odb (&odb, repo) != 0)
    return FALSE;

  for (size_t i = 0; matches && i < git_index_entrycount (index); i++)
    {
      const git_index_entry *entry = git_index_get_byindex (index, i);

      if (entry->mode != GIT_FILEMODE_COMMIT && !git_odb_exists (odb, &entry->id))
        matches = FALSE;
    }

  git_odb_free (odb);
  return matches;
}

static gboolean
open_repository (TesseraHistory  *self,
                 GError         **error)
{
  g_autofree char *history_dir = NULL;
  g_autofree char *private_dir = NULL;
  g_autofree char *private_head = NULL;
  g_autofree char *index_path = NULL;
  git_repository *repo = NULL;

  if (self->repo != NULL)
    return TRUE;

  history_dir = g_build_filename (self->state_path, "history", NULL);
  private_dir = g_build_filename (history_dir, "git", NULL);
  private_head = g_build_filename (private_dir, "HEAD", NULL);
  index_path = g_build_filename (history_dir, "index", NULL);

  if (g_mkdir_with_parents (history_dir, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, TESSERA_HISTORY_ERROR, TESSERA_HISTORY_ERROR_FAILED,
                   _("Could not create the folder for the project’s history: %s"),
                   g_strerror (errsv));
      return FALSE;
    }

  /* A private repository, once made, stays the history even if the user
   * runs git init later: otherwise the older versions would vanish. */
  if (g_file_test (private_head, G_FILE_TEST_IS_REGULAR))
    {
      if (git_repository_open_ext (&repo, private_dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0)
        return set_git_error (error, TESSERA_HISTORY_ERROR_FAILED,
                              _("Could not open the project’s history."));
    }
  else if (git_repository_open_ext (&repo, self->root_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0)
    {
      const char *workdir = git_repository_workdir (repo);
      g_autofree char *canon_root = g_canonicalize_filename (self->root_path, NULL);
      g_autofree char *canon_workdir = workdir ? g_canonicalize_filename (workdir, NULL) : NULL;

      /* A .git that is not this folder's own work tree (core.worktree
       * elsewhere, bare) is not ours to use. */
      if (canon_workdir == NULL || !g_str_equal (canon_root, canon_workdir))
        g_clear_pointer (&repo, git_repository_free);
    }

  if (repo == NULL)
    {
      git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;

      /* Bare, and given its work tree at each open, so that no .git link
       * appears in the project folder and moving the folder just works. */
      opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
      opts.description = "Tessera project history";
      if (git_repository_init_ext (&repo, private_dir, &opts) != 0)
        return set_git_error (error, TESSERA_HISTORY_ERROR_FAILED,
                              _("Could not create the project’s history."));
    }

  if (git_repository_is_bare (repo) &&
      git_repository_set_workdir (repo, self->root_path, 0) != 0)
    goto failed;

  if (git_ignore_add_rule (repo, BUILTIN_IGNORE_RULES) != 0)
    goto failed;

  if (git_index_open (&self->index, index_path) != 0 ||
      git_repository_set_index (repo, self->index) != 0)
    goto failed;

  if (!index_matches_repository (self->index, repo))
    {
      /* Staged for another repository (the user's .git came or went):
       * its stat cache would vouch for blobs this one lacks. */
      g_debug ("Rebuilding the history's index for %s", self->root_path);
      if (git_index_clear (self->index) != 0)
        goto failed;
    }

  self->repo = repo;
  return TRUE;

failed:
  set_git_error (error, TESSERA_HISTORY_ERROR_FAILED, _("Could not open the project’s history."));
  g_clear_pointer (&self->index, git_index_free);
  git_repository_free (repo);
  return FALSE;
}

static gboolean
is_excluded (TesseraHistory *self,
             const char     *path)
{
  if (self->manifest_path != NULL && g_str_equal (path, self->manifest_path))
    return TRUE;

  if (g_str_has_prefix (path, ".tessera/") || g_str_has_prefix (path, ".git/") ||
      g_str_has_prefix (path, "node_modules/") || strstr (path, "/node_modules/") != NULL)
    return TRUE;

  return FALSE;
}

/* The project refuses to read files this large, so the editor could never
 * show them; keeping copies of them would only bloat the history. */
static gboolean
is_too_large (TesseraHistory *self,
              const char     *path)
{
  g_autofree char *full = g_build_filename (self->root_path, path, NULL);
  GStatBuf st;

  return g_lstat (full, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > TESSERA_PROJECT_MAX_READ_SIZE;
}

static int
add_filter_cb (const char *path,
               const char *matched_pathspec,
               void       *payload)
{
  TesseraHistory *self = payload;
  g_autofree char *full = NULL;
  GStatBuf st;

  if (is_excluded (self, path) || is_too_large (self, path))
    return 1;

  /* git hands over a folder only for a repository nested in the project
   * (a clone, a submodule): its files are its own history's business. */
  full = g_build_filename (self->root_path, path, NULL);
  if (g_str_has_suffix (path, "/") || (g_lstat (full, &st) == 0 && S_ISDIR (st.st_mode)))
    return 1;

  return 0;
}

/* *@tip is @buf, or NULL while the history has no version yet; only a
 * failure to read the ref returns FALSE. */
static gboolean
lookup_tip (TesseraHistory  *self,
            git_oid         *buf,
            const git_oid  **tip,
            GError         **error)
{
  int rc = git_reference_name_to_id (buf, self->repo, TESSERA_HISTORY_REF);

  *tip = rc == 0 ? buf : NULL;
  if (rc == GIT_ENOTFOUND)
    {
      git_error_clear ();
      return TRUE;
    }
  if (rc != 0)
    return set_git_error (error, TESSERA_HISTORY_ERROR_FAILED, _("Could not read the project’s history."));

  return TRUE;
}

/* Commit messages */

static char *
trailer_value (const char *message,
               const char *key)
{
  git_message_trailer_array trailers = { 0 };
  char *value = NULL;

  if (git_message_trailers (&trailers, message) != 0)
    {
      git_error_clear ();
      return NULL;
    }

  for (gsize i = 0; i < trailers.count; i++)
    if (g_ascii_strcasecmp (trailers.trailers[i].key, key) == 0)
      value = g_strdup (trailers.trailers[i].value);

  git_message_trailer_array_free (&trailers);

  return value;
}

static TesseraHistoryKind
commit_kind (const git_commit *commit,
             char            **target)
{
  const char *message = git_commit_message (commit);
  g_autofree char *kind = NULL;
  TesseraHistoryKind result = TESSERA_HISTORY_KIND_SNAPSHOT;

  if (target != NULL)
    *target = NULL;
  if (message == NULL)
    return result;

  kind = trailer_value (message, TRAILER_KIND);
  if (g_strcmp0 (kind, "turn") == 0)
    result = TESSERA_HISTORY_KIND_TURN;
  else if (g_strcmp0 (kind, "restore") == 0)
    {
      result = TESSERA_HISTORY_KIND_RESTORE;
      if (target != NULL)
        *target = trailer_value (message, TRAILER_TARGET);
    }

  return result;
}

/* The message as the user should see it: without our trailer paragraph. */
static char *
commit_display_message (const git_commit *commit)
{
  const char *message = git_commit_message (commit);
  const char *trailers;
  char *text;

  if (message == NULL)
    return g_strdup ("");

  trailers = g_strrstr (message, "\n\n" TRAILER_KIND ":");
  text = g_utf8_make_valid (message, trailers ? trailers - message : -1);

  return g_strstrip (text);
}

static char *
commit_summary (const git_commit *commit)
{
  g_autofree char *message = commit_display_message (commit);
  const char *nl = strchr (message, '\n');

  return nl ? g_strndup (message, nl - message) : g_strdup (message);
}

static const char *
kind_to_string (TesseraHistoryKind kind)
{
  switch (kind)
    {
    case TESSERA_HISTORY_KIND_TURN:
      return "turn";
    case TESSERA_HISTORY_KIND_RESTORE:
      return "restore";
    case TESSERA_HISTORY_KIND_SNAPSHOT:
    default:
      return "snapshot";
    }
}

static char *
build_message (TesseraHistoryKind  kind,
               const char         *message,
               const char         *target)
{
  g_autofree char *text = g_strstrip (g_utf8_make_valid (message ? message : "", -1));
  GString *s = g_string_new (NULL);

  if (text[0] == '\0')
    {
      g_free (text);
      text = g_strdup (_("Saved version"));
    }
  else if (g_utf8_strlen (text, -1) > MAX_MESSAGE_CHARS)
    {
      /* A whole pasted prompt is not a useful version label. */
      g_autofree char *head = g_utf8_substring (text, 0, MAX_MESSAGE_CHARS);

      g_free (text);
      text = g_strconcat (head, "…", NULL);
    }

  /* Our trailers always form the last paragraph, so a message that ends
   * in lines looking like trailers cannot pass for another kind. */
  g_string_append_printf (s, "%s\n\n%s: %s\n", text, TRAILER_KIND, kind_to_string (kind));
  if (target != NULL)
    g_string_append_printf (s, "%s: %s\n", TRAILER_TARGET, target);

  return g_string_free (s, FALSE);
}

/* ::changed is emitted with the job's result, on the caller's context. */
static void
queue_changed (TesseraHistory *self,
               const git_oid  *id)
{
  char hex[GIT_OID_HEXSZ + 1];

  git_oid_tostr (hex, sizeof hex, id);
  if (self->changes == NULL)
    self->changes = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->changes, g_strdup (hex));
}

/* Snapshots */

static gboolean
prune_index (TesseraHistory  *self,
             GError         **error)
{
  size_t i = 0;

  /* Entries saved before their path became ignored (or before it grew
   * too large) must leave, as git add -A would not do for us. */
  while (i < git_index_entrycount (self->index))
    {
      const git_index_entry *entry = git_index_get_byindex (self->index, i);
      int ignored = 0;

      /* Nested repositories (gitlinks) cannot be restored file by file. */
      if (entry->mode == GIT_FILEMODE_COMMIT || is_excluded (self, entry->path) ||
          (git_ignore_path_is_ignored (&ignored, self->repo, entry->path) == 0 && ignored) ||
          is_too_large (self, entry->path))
        {
          if (git_index_remove (self->index, entry->path, git_index_entry_stage (entry)) != 0)
            return set_git_error (error, TESSERA_HISTORY_ERROR_FAILED,
                                  _("Could not save a version of the project."));
          continue;
        }
      i++;
    }

  return TRUE;
}

static git_signature *
make_signature (TesseraHistory *self)
{
  git_signature *sig = NULL;

  /* The user's own identity when git has one, as a commit made by hand
   * would have. */
  if (git_signature_default (&sig, self->repo) == 0)
    return sig;

  git_error_clear ();
  if (git_signature_now (&sig, "Tessera", "tessera@localhost") == 0)
    return sig;

  return NULL;
}

/* Saves the working tree. *@out is the new commit, or the tip when nothing
 * changed (then *@created is FALSE). */
static gboolean
snapshot (TesseraHistory      *self,
          TesseraHistoryKind   kind,
          const char          *message,
          const char          *target,
          git_oid             *out,
          gboolean            *created,
          GError             **error)
{
  g_autoptr(git_tree) tree = NULL;
  g_autoptr(git_commit) parent = NULL;
  g_autoptr(git_signature) sig = NULL;
  g_autofree char *full_message = NULL;
  git_oid tree_id, tip_buf;
  const git_oid *tip;
  const git_commit *parents[1];

  if (created != NULL)
    *created = FALSE;

  if (!open_repository (self, error))
    return FALSE;

  if (git_index_add_all (self->index, NULL, GIT_INDEX_ADD_DEFAULT, add_filter_cb, self) != 0 ||
      git_index_update_all (self->index, NULL, add_filter_cb, self) != 0)
    return set_git_error (error, TESSERA_HISTORY_ERROR_FAILED,
                          _("Could not read the project’s files to save a version."));

  if (!prune_index (self, error))
    return FALSE;

  if (git_index_write_tree (&tree_id, self->index) != 0 ||
      git_index_write (self->index) != 0)
    return set_git_error (error, TESSERA_HISTORY_ERROR_FAILED,
                          _("Could not save a version of the project."));

  if (!lookup_tip (self, &tip_buf, &tip, error))
    return FALSE;

  if (tip != NULL)
    {
      if (git_commit_lookup (&parent, self->repo, tip) != 0)
        return set_git_error (error, TESSERA_HISTORY_ERROR_FAILED,
                              _("Could not read the project’s history."));

      if (git_oid_equal (git_commit_tree_id (parent), &tree_id))
        {
          git_oid_cpy (out, tip);
          return TRUE;
        }
    }

  if (git_tree_lookup (&tree, self->repo, &tree_id) != 0 ||
      (sig = make_signature (self)) == NULL)
    return set_git_error (error, TESSERA_HISTORY_ERROR_FAILED,
                          _("Could not save a version of the project."));

  full_message = build_message (kind, message, target);
  parents[0] = parent;

  /* libgit2 refuses to move the ref if it no longer points at @parent,
   * which guards against another program writing our ref meanwhile. */
  if (git_commit_create (out, self->repo, TESSERA_HISTORY_REF, sig, sig, NULL,
                         full_message, tree, parent ? 1 : 0, parents) != 0)
    return set_git_error (error, TESSERA_HISTORY_ERROR_FAILED,
                          _("Could not save a version of the project."));

  if (created != NULL)
    *created = TRUE;
  queue_changed (self, out);

  return TRUE;
}

/* Finds commit @id (maybe abbreviated) among the history's commits. */
static git_commit *
resolve_commit (TesseraHistory  *self,
                const char      *id,
                GError         **error)
{
  g_autoptr(git_commit) commit = NULL;
  git_oid oid, tip_buf;
  const git_oid *tip;
  gsize len = strlen (id);

  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (id[i]))
      len = 0;

  if (len < 4 || len > GIT_OID_HEXSZ ||
      git_oid_fromstrn (&oid, id, len) != 0 ||
      git_commit_lookup_prefix (&commit, self->repo, &oid, len) != 0)
    goto not_found;

  if (!lookup_tip (self, &tip_buf, &tip, error))
    return NULL;

  /* In a repository of the user's own, other commits exist too; only our
   * versions may be restored or shown as versions. */
  if (tip == NULL ||
      (!git_oid_equal (tip, git_commit_id (commit)) &&
       git_graph_descendant_of (self->repo, tip, git_commit_id (commit)) != 1))
    goto not_found;

  return g_steal_pointer (&commit);

not_found:
  git_error_clear ();
  g_set_error (error, TESSERA_HISTORY_ERROR, TESSERA_HISTORY_ERROR_NOT_FOUND,
               _("There is no version “%s” in this project’s history."), id);
  return NULL;
}

static gboolean
diff_commit (TesseraHistory  *self,
             git_commit      *commit,
             git_diff       **out)
{
  g_autoptr(git_commit) parent = NULL;
  g_autoptr(git_tree) parent_tree = NULL;
  g_autoptr(git_tree) tree = NULL;

  if (git_commit_parentcount (commit) > 0 &&
      (git_commit_parent (&parent, commit, 0) != 0 ||
       git_commit_tree (&parent_tree, parent) != 0))
    return FALSE;

  if (git_commit_tree (&tree, commit) != 0)
    return FALSE;

  return git_diff_tree_to_tree (out, self->repo, parent_tree, tree, NULL) == 0;
}

/* Jobs */

static void
run_commit (TesseraHistory *self,
            GTask          *task,
            Job            *job)
{
  GError *error = NULL;
  git_oid id;

  if (!snapshot (self, job->kind == TESSERA_HISTORY_KIND_RESTORE ? TESSERA_HISTORY_KIND_SNAPSHOT : job->kind,
                 job->message, NULL, &id, NULL, &error))
    {
      job_return_error (job, error);
      return;
    }

  job_return_oid (job, &id);
}

static void
run_list (TesseraHistory *self,
          GTask          *task,
          Job            *job)
{
  g_autoptr(GListStore) store = g_list_store_new (TESSERA_TYPE_HISTORY_ENTRY);
  g_autoptr(git_revwalk) walk = NULL;
  GError *error = NULL;
  git_oid tip_buf, oid;
  const git_oid *tip;
  guint n = 0;

  if (!open_repository (self, &error))
    {
      job_return_error (job, error);
      return;
    }

  if (!lookup_tip (self, &tip_buf, &tip, &error))
    {
      job_return_error (job, error);
      return;
    }

  if (tip != NULL)
    {
      if (git_revwalk_new (&walk, self->repo) != 0 ||
          git_revwalk_push (walk, tip) != 0)
        goto failed;
      git_revwalk_simplify_first_parent (walk);

      while ((job->max_entries == 0 || n < job->max_entries) &&
             git_revwalk_next (&oid, walk) == 0)
        {
          g_autoptr(git_commit) commit = NULL;
          g_autoptr(git_diff) diff = NULL;
          g_autoptr(GDateTime) utc = NULL;
          g_autoptr(GDateTime) time = NULL;
          g_autoptr(GTimeZone) tz = NULL;
          g_autoptr(TesseraHistoryEntry) entry = NULL;
          g_autofree char *message = NULL;
          char hex[GIT_OID_HEXSZ + 1];
          int offset;

          if (git_commit_lookup (&commit, self->repo, &oid) != 0 ||
              !diff_commit (self, commit, &diff))
            goto failed;

          offset = git_commit_time_offset (commit);
          tz = g_time_zone_new_offset (offset * 60);
          utc = g_date_time_new_from_unix_utc (git_commit_time (commit));
          time = g_date_time_to_timezone (utc, tz);
          message = commit_display_message (commit);
          git_oid_tostr (hex, sizeof hex, &oid);

          entry = tessera_history_entry_new (hex, commit_kind (commit, NULL), message, time,
                                             (guint)git_diff_num_deltas (diff));
          g_list_store_append (store, entry);
          n++;
        }
      git_error_clear ();
    }

  job_return_pointer (job, g_steal_pointer (&store), g_object_unref);
  return;

failed:
  set_git_error (&error, TESSERA_HISTORY_ERROR_FAILED, _("Could not read the project’s history."));
  job_return_error (job, error);
}

static void
run_diff (TesseraHistory *self,
          GTask          *task,
          Job            *job)
{
  g_autoptr(git_commit) commit = NULL;
  g_autoptr(git_diff) diff = NULL;
  git_buf buf = GIT_BUF_INIT;
  GError *error = NULL;
  char *text;

  if (!open_repository (self, &error) ||
      (commit = resolve_commit (self, job->id, &error)) == NULL)
    {
      job_return_error (job, error);
      return;
    }

  if (!diff_commit (self, commit, &diff) ||
      git_diff_find_similar (diff, NULL) != 0 ||
      git_diff_to_buf (&buf, diff, GIT_DIFF_FORMAT_PATCH) != 0)
    {
      set_git_error (&error, TESSERA_HISTORY_ERROR_FAILED,
                     _("Could not compare this version with the one before it."));
      job_return_error (job, error);
      return;
    }

  text = g_strndup (buf.ptr ? buf.ptr : "", buf.size);
  git_buf_dispose (&buf);
  job_return_pointer (job, text, g_free);
}

static gboolean
write_blob (TesseraHistory  *self,
            const char      *path,
            const git_oid   *blob_id,
            GCancellable    *cancellable,
            GError         **error)
{
  g_autoptr(git_blob) blob = NULL;
  g_autoptr(GBytes) bytes = NULL;
  git_blob_filter_options opts = GIT_BLOB_FILTER_OPTIONS_INIT;
  git_buf buf = GIT_BUF_INIT;

  if (git_blob_lookup (&blob, self->repo, blob_id) != 0 ||
      git_blob_filter (&buf, blob, path, &opts) != 0)
    return set_git_error (error, TESSERA_HISTORY_ERROR_FAILED,
                          _("Could not read a file of the saved version."));

  /* Filters (line endings from .gitattributes) apply as git checkout
   * would apply them. */
  bytes = g_bytes_new (buf.ptr, buf.size);
  git_buf_dispose (&buf);

  return tessera_project_write (self->project, path, bytes, cancellable, error);
}

/* Puts the files back as in @target and records that. */
static gboolean
restore_to (TesseraHistory  *self,
            git_commit      *target,
            GCancellable    *cancellable,
            git_oid         *out,
            GError         **error)
{
  g_autoptr(git_commit) head = NULL;
  g_autoptr(git_tree) head_tree = NULL;
  g_autoptr(git_tree) target_tree = NULL;
  g_autoptr(git_diff) diff = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *message = NULL;
  char hex[GIT_OID_HEXSZ + 1];
  git_oid head_id;
  size_t n;

  /* Unsaved edits become a version first, so a restore never loses work. */
  if (!snapshot (self, TESSERA_HISTORY_KIND_SNAPSHOT, _("Edits before restoring"), NULL,
                 &head_id, NULL, error))
    return FALSE;

  if (git_commit_lookup (&head, self->repo, &head_id) != 0 ||
      git_commit_tree (&head_tree, head) != 0 ||
      git_commit_tree (&target_tree, target) != 0 ||
      git_diff_tree_to_tree (&diff, self->repo, head_tree, target_tree, NULL) != 0)
    return set_git_error (error, TESSERA_HISTORY_ERROR_FAILED,
                          _("Could not compare the project with the saved version."));

  n = git_diff_num_deltas (diff);

  /* Deletions first: a file may give way to a folder of the same name. */
  for (size_t i = 0; i < n; i++)
    {
      const git_diff_delta *delta = git_diff_get_delta (diff, i);
      g_autoptr(GError) local_error = NULL;

      if (delta->status != GIT_DELTA_DELETED || delta->old_file.mode == GIT_FILEMODE_COMMIT)
        continue;

      if (!tessera_project_delete (self->project, delta->old_file.path, FALSE, cancellable, &local_error) &&
          !g_error_matches (local_error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_NOT_FOUND) &&
          !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }

  for (size_t i = 0; i < n; i++)
    {
      const git_diff_delta *delta = git_diff_get_delta (diff, i);

      if (delta->status != GIT_DELTA_ADDED && delta->status != GIT_DELTA_MODIFIED)
        continue;

      /* Symbolic links are not written back: their target could lead out
       * of the project, and the project cannot create them anyway. */
      if (delta->new_file.mode != GIT_FILEMODE_BLOB &&
          delta->new_file.mode != GIT_FILEMODE_BLOB_EXECUTABLE)
        {
          g_debug ("Not restoring %s (mode %o)", delta->new_file.path, delta->new_file.mode);
          continue;
        }

      if (!write_blob (self, delta->new_file.path, &delta->new_file.id, cancellable, error))
        return FALSE;
    }

  summary = commit_summary (target);
  git_oid_tostr (hex, sizeof hex, git_commit_id (target));
  message = g_strdup_printf (_("Restored to “%s”"), summary);

  return snapshot (self, TESSERA_HISTORY_KIND_RESTORE, message, hex, out, NULL, error);
}

/* The commit to go back to: the parent of the newest turn still in
 * effect. A restore stands for the version it restored, so undos after
 * undos keep walking back. */
static git_commit *
find_undo_target (TesseraHistory  *self,
                  GError         **error)
{
  g_autoptr(git_commit) commit = NULL;
  git_oid tip_buf;
  const git_oid *tip;

  if (!lookup_tip (self, &tip_buf, &tip, error))
    return NULL;

  if (tip == NULL)
    goto nothing;

  if (git_commit_lookup (&commit, self->repo, tip) != 0)
    goto failed;

  /* Restores always point further back, so this ends; the bound only
   * protects against a hand-edited history. */
  for (guint steps = 0; steps < 100000; steps++)
    {
      g_autofree char *target = NULL;
      g_autoptr(git_commit) next = NULL;
      TesseraHistoryKind kind = commit_kind (commit, &target);

      if (kind == TESSERA_HISTORY_KIND_RESTORE && target != NULL)
        {
          git_oid target_id;

          if (git_oid_fromstr (&target_id, target) != 0 ||
              git_commit_lookup (&next, self->repo, &target_id) != 0)
            goto failed;
        }
      else if (git_commit_parentcount (commit) == 0)
        {
          if (kind == TESSERA_HISTORY_KIND_TURN)
            {
              g_set_error_literal (error, TESSERA_HISTORY_ERROR, TESSERA_HISTORY_ERROR_NOTHING_TO_UNDO,
                                   _("There is no version from before the first AI turn to go back to."));
              return NULL;
            }
          goto nothing;
        }
      else
        {
          if (git_commit_parent (&next, commit, 0) != 0)
            goto failed;
          if (kind == TESSERA_HISTORY_KIND_TURN)
            return g_steal_pointer (&next);
        }

      g_clear_pointer (&commit, git_commit_free);
      commit = g_steal_pointer (&next);
    }

nothing:
  g_set_error_literal (error, TESSERA_HISTORY_ERROR, TESSERA_HISTORY_ERROR_NOTHING_TO_UNDO,
                       _("There is no AI turn to undo."));
  return NULL;

failed:
  set_git_error (error, TESSERA_HISTORY_ERROR_FAILED, _("Could not read the project’s history."));
  return NULL;
}

/* A restore goes to the version the job names, an undo to the one before
 * the last turn; both the same way from there. */
static void
run_restore (TesseraHistory *self,
             GTask          *task,
             Job            *job)
{
  g_autoptr(git_commit) target = NULL;
  GError *error = NULL;
  git_oid id;

  if (open_repository (self, &error))
    {
      if (job->type == JOB_UNDO)
        target = find_undo_target (self, &error);
      else
        target = resolve_commit (self, job->id, &error);
    }

  if (target == NULL ||
      !restore_to (self, target, g_task_get_cancellable (task), &id, &error))
    {
      job_return_error (job, error);
      return;
    }

  job_return_oid (job, &id);
}

typedef struct
{
  GTask          *task;
  /* The worker's own reference, when this was its last job. */
  TesseraHistory *self;
} Completion;

static void
completion_free (gpointer data)
{
  Completion *c = data;

  g_object_unref (c->task);
  g_clear_object (&c->self);
  g_free (c);
}

static gboolean
complete_cb (gpointer data)
{
  Completion *c = data;
  TesseraHistory *self = g_task_get_source_object (c->task);
  Job *job = g_task_get_task_data (c->task);

  for (guint i = 0; job->changes != NULL && i < job->changes->len; i++)
    g_signal_emit (self, signals[CHANGED], 0, g_ptr_array_index (job->changes, i));

  if (job->error != NULL)
    g_task_return_error (c->task, g_steal_pointer (&job->error));
  else
    g_task_return_pointer (c->task, g_steal_pointer (&job->result), job->result_destroy);

  return G_SOURCE_REMOVE;
}

/* Results go back through the caller's main context, together with the
 * last references, so the history is always finalized there and is gone
 * by the time the last callback has returned. */
static void
complete (GTask          *task,
          TesseraHistory *self)
{
  Completion *c = g_new0 (Completion, 1);
  g_autoptr(GSource) source = g_idle_source_new ();

  c->task = task;
  c->self = self;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, complete_cb, c, completion_free);
  g_source_set_static_name (source, "[tessera-history] complete");
  g_source_attach (source, g_task_get_context (task));
}

static void
run_job (TesseraHistory *self,
         GTask          *task,
         Job            *job)
{
  GError *error = NULL;

  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    {
      job_return_error (job, error);
      return;
    }

  switch (job->type)
    {
    case JOB_COMMIT:
      run_commit (self, task, job);
      break;
    case JOB_LIST:
      run_list (self, task, job);
      break;
    case JOB_DIFF:
      run_diff (self, task, job);
      break;
    case JOB_RESTORE:
    case JOB_UNDO:
      run_restore (self, task, job);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* One thread per burst of jobs: they run in the order they came, and
 * libgit2's repository is never used by two threads at once. */
static gpointer
history_thread (gpointer data)
{
  TesseraHistory *self = data;

  for (;;)
    {
      GTask *task;
      Job *job;
      gboolean last;

      g_mutex_lock (&self->queue_lock);
      task = g_queue_pop_head (&self->queue);
      g_mutex_unlock (&self->queue_lock);
      g_assert (task != NULL);

      job = g_task_get_task_data (task);
      run_job (self, task, job);
      job->changes = g_steal_pointer (&self->changes);
      /* libgit2 keeps its last error per thread. */
      git_error_clear ();

      g_mutex_lock (&self->queue_lock);
      last = g_queue_is_empty (&self->queue);
      if (last)
        self->running = FALSE;
      g_mutex_unlock (&self->queue_lock);

      /* After this, @self may be gone unless more jobs hold it. */
      complete (task, last ? self : NULL);
      if (last)
        return NULL;
    }
}

static void
enqueue (TesseraHistory *self,
         GTask          *task)
{
  gboolean start;

  g_mutex_lock (&self->queue_lock);
  g_queue_push_tail (&self->queue, g_object_ref (task));
  start = !self->running;
  self->running = TRUE;
  g_mutex_unlock (&self->queue_lock);

  if (start)
    g_thread_unref (g_thread_new ("tessera-history", history_thread, g_object_ref (self)));
}

static GTask *
new_job (TesseraHistory      *self,
         JobType              type,
         gpointer             source_tag,
         GCancellable        *cancellable,
         GAsyncReadyCallback  callback,
         gpointer             user_data,
         Job                **out_job)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Job *job = g_new0 (Job, 1);

  job->type = type;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, job_free);
  *out_job = job;

  return task;
}

/* Diff and restore are about one version. */
static void
enqueue_id_job (TesseraHistory      *self,
                JobType              type,
                const char          *id,
                gpointer             source_tag,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  task = new_job (self, type, source_tag, cancellable, callback, user_data, &job);
  job->id = g_strdup (id);
  enqueue (self, task);
}

/* Every job hands back a pointer (an id, a list, a diff) or an error. */
static gpointer
finish_job (TesseraHistory  *self,
            GAsyncResult    *result,
            GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* GObject */

static void
tessera_history_constructed (GObject *object)
{
  TesseraHistory *self = TESSERA_HISTORY (object);
  GFile *manifest;

  G_OBJECT_CLASS (tessera_history_parent_class)->constructed (object);

  g_assert (self->project != NULL);

  self->root_path = g_file_get_path (tessera_project_get_root (self->project));
  self->state_path = g_file_get_path (tessera_project_get_state_dir (self->project));
  manifest = tessera_project_get_manifest_file (self->project);
  if (manifest != NULL)
    self->manifest_path = tessera_project_get_relative_path (self->project, manifest);
}

static void
tessera_history_dispose (GObject *object)
{
  TesseraHistory *self = TESSERA_HISTORY (object);

  /* Queued jobs hold a reference to us, so there are none left here. */
  g_assert (g_queue_is_empty (&self->queue));

  g_clear_object (&self->project);

  G_OBJECT_CLASS (tessera_history_parent_class)->dispose (object);
}

static void
tessera_history_finalize (GObject *object)
{
  TesseraHistory *self = TESSERA_HISTORY (object);

  g_clear_pointer (&self->index, git_index_free);
  g_clear_pointer (&self->repo, git_repository_free);
  g_clear_pointer (&self->root_path, g_free);
  g_clear_pointer (&self->state_path, g_free);
  g_clear_pointer (&self->manifest_path, g_free);
  g_clear_pointer (&self->changes, g_ptr_array_unref);
  g_mutex_clear (&self->queue_lock);

  G_OBJECT_CLASS (tessera_history_parent_class)->finalize (object);
}

static void
tessera_history_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  TesseraHistory *self = TESSERA_HISTORY (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_history_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  TesseraHistory *self = TESSERA_HISTORY (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      self->project = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_history_class_init (TesseraHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = tessera_history_constructed;
  object_class->dispose = tessera_history_dispose;
  object_class->finalize = tessera_history_finalize;
  object_class->get_property = tessera_history_get_property;
  object_class->set_property = tessera_history_set_property;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL, TESSERA_TYPE_PROJECT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /* Reference-counted by libgit2; never shut down, since other objects
   * of the process may still use it. */
  git_libgit2_init ();
}

static void
tessera_history_init (TesseraHistory *self)
{
  g_mutex_init (&self->queue_lock);
  g_queue_init (&self->queue);
}

TesseraHistory *
tessera_history_new (TesseraProject *project)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT (project), NULL);

  return g_object_new (TESSERA_TYPE_HISTORY, "project", project, NULL);
}

TesseraProject *
tessera_history_get_project (TesseraHistory *self)
{
  g_return_val_if_fail (TESSERA_IS_HISTORY (self), NULL);

  return self->project;
}

void
tessera_history_commit_async (TesseraHistory      *self,
                              TesseraHistoryKind   kind,
                              const char          *message,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (TESSERA_IS_HISTORY (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = new_job (self, JOB_COMMIT, tessera_history_commit_async, cancellable, callback, user_data, &job);
  job->kind = kind;
  job->message = g_strdup (message);
  enqueue (self, task);
}

char *
tessera_history_commit_finish (TesseraHistory  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  return finish_job (self, result, error);
}

void
tessera_history_list_async (TesseraHistory      *self,
                            guint                max_entries,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (TESSERA_IS_HISTORY (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = new_job (self, JOB_LIST, tessera_history_list_async, cancellable, callback, user_data, &job);
  job->max_entries = max_entries;
  enqueue (self, task);
}

GListModel *
tessera_history_list_finish (TesseraHistory  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  return finish_job (self, result, error);
}

void
tessera_history_diff_async (TesseraHistory      *self,
                            const char          *id,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_HISTORY (self));
  g_return_if_fail (id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  enqueue_id_job (self, JOB_DIFF, id, tessera_history_diff_async, cancellable, callback, user_data);
}

char *
tessera_history_diff_finish (TesseraHistory  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  return finish_job (self, result, error);
}

void
tessera_history_restore_async (TesseraHistory      *self,
                               const char          *id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_HISTORY (self));
  g_return_if_fail (id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  enqueue_id_job (self, JOB_RESTORE, id, tessera_history_restore_async, cancellable, callback, user_data);
}

char *
tessera_history_restore_finish (TesseraHistory  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  return finish_job (self, result, error);
}

void
tessera_history_undo_last_turn_async (TesseraHistory      *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (TESSERA_IS_HISTORY (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = new_job (self, JOB_UNDO, tessera_history_undo_last_turn_async, cancellable, callback, user_data, &job);
  enqueue (self, task);
}

char *
tessera_history_undo_last_turn_finish (TesseraHistory  *self,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  return finish_job (self, result, error);
}
