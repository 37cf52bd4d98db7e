/* test-history.c: TesseraHistory on real git repositories
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every result is checked with the git command line as well, so the
 * history is what git itself sees.
 */

#define G_LOG_DOMAIN "test-history"

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tessera-history.h"
#include "tessera-project.h"

typedef struct
{
  char           *dir;
  TesseraProject *project;
  TesseraHistory *history;
  /* git's --git-dir for the history's repository. */
  char           *git_dir;
  GHashTable     *changed_paths;
  guint           n_changed_signals;
} Fixture;

/* Helpers */

static void
write_file (const char *dir,
            const char *name,
            const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static char *
read_file (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return contents;
}

static void
remove_file (const char *dir,
             const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_assert_cmpint (g_unlink (path), ==, 0);
}

static void
remove_tree (const char *path)
{
  const char *rm[] = { "rm", "-rf", path, NULL };
  int status;

  g_spawn_sync (NULL, (char **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, NULL);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static void
assert_file (const char *dir,
             const char *name,
             const char *expected)
{
  g_autofree char *contents = read_file (dir, name);

  g_assert_cmpstr (contents, ==, expected);
}

/* Runs git with @argv (NULL-terminated, without "git") in @cwd; returns
 * stdout with the trailing newline removed and asserts success. */
static char *
git_at (const char  *cwd,
        const char  *git_dir,
        const char **argv)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status = 0;
  gsize len;

  g_ptr_array_add (args, g_strdup ("git"));
  if (git_dir != NULL)
    g_ptr_array_add (args, g_strdup_printf ("--git-dir=%s", git_dir));
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, g_strdup (argv[i]));
  g_ptr_array_add (args, NULL);

  g_spawn_sync (cwd, (char **)args->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("git %s failed: %s", (char *)args->pdata[1], err);

  len = strlen (out);
  while (len > 0 && out[len - 1] == '\n')
    out[--len] = '\0';
  return out;
}

#define GIT(f, ...) git_at ((f)->dir, (f)->git_dir, (const char *[]){ __VA_ARGS__, NULL })

static void
on_file_changed (TesseraProject    *project,
                 const char        *path,
                 TesseraFileChange  change,
                 const char        *old_path,
                 Fixture           *f)
{
  guint seen = GPOINTER_TO_UINT (g_hash_table_lookup (f->changed_paths, path));

  /* Every kind of change seen, so a later event cannot hide an earlier one. */
  g_hash_table_insert (f->changed_paths, g_strdup (path), GUINT_TO_POINTER (seen | (1u << change)));
}

static void
on_history_changed (TesseraHistory *history,
                    const char     *id,
                    Fixture        *f)
{
  g_assert_cmpuint (strlen (id), ==, 40);
  f->n_changed_signals++;
}

static void
fixture_open (Fixture *f)
{
  g_autoptr(GFile) location = g_file_new_for_path (f->dir);
  g_autoptr(GError) error = NULL;

  f->project = tessera_project_open (location, NULL, &error);
  g_assert_no_error (error);
  f->history = tessera_history_new (f->project);
  g_assert_true (tessera_history_get_project (f->history) == f->project);
  f->changed_paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_signal_connect (f->project, "file-changed", G_CALLBACK (on_file_changed), f);
  g_signal_connect (f->history, "changed", G_CALLBACK (on_history_changed), f);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("tessera-history-XXXXXX", &error);
  g_assert_no_error (error);
  f->git_dir = g_build_filename (f->dir, ".tessera", "history", "git", NULL);
  write_file (f->dir, "index.html", "<h1>Hello</h1>\n");
  write_file (f->dir, "style.css", "h1 { color: red; }\n");

  /* Tests that start from a repository of the user's own open later. */
  if (data == NULL)
    fixture_open (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->history != NULL)
    g_assert_finalize_object (f->history);
  g_clear_object (&f->project);
  g_clear_pointer (&f->changed_paths, g_hash_table_unref);

  remove_tree (f->dir);
  g_free (f->git_dir);
  g_free (f->dir);
}

static void
got_result (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static char *
history_commit (Fixture             *f,
                TesseraHistoryKind   kind,
                const char          *message,
                GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tessera_history_commit_async (f->history, kind, message, NULL, got_result, &result);
  return tessera_history_commit_finish (f->history, wait_for (&result), error);
}

static char *
commit_ok (Fixture            *f,
           TesseraHistoryKind  kind,
           const char         *message)
{
  g_autoptr(GError) error = NULL;
  char *id = history_commit (f, kind, message, &error);

  g_assert_no_error (error);
  g_assert_nonnull (id);
  g_assert_cmpuint (strlen (id), ==, 40);
  return id;
}

static GListModel *
history_list (Fixture *f,
              guint    max_entries)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *list;

  tessera_history_list_async (f->history, max_entries, NULL, got_result, &result);
  list = tessera_history_list_finish (f->history, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (list);
  return list;
}

static char *
history_diff (Fixture     *f,
              const char  *id,
              GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tessera_history_diff_async (f->history, id, NULL, got_result, &result);
  return tessera_history_diff_finish (f->history, wait_for (&result), error);
}

static char *
history_restore (Fixture     *f,
                 const char  *id,
                 GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tessera_history_restore_async (f->history, id, NULL, got_result, &result);
  return tessera_history_restore_finish (f->history, wait_for (&result), error);
}

static char *
history_undo (Fixture  *f,
              GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tessera_history_undo_last_turn_async (f->history, NULL, got_result, &result);
  return tessera_history_undo_last_turn_finish (f->history, wait_for (&result), error);
}

static char *
tree_files (Fixture    *f,
            const char *rev)
{
  return GIT (f, "ls-tree", "-r", "--name-only", rev);
}

/* Signals emitted from the worker arrive on the main context; wait for
 * the ones a restore must have caused. */
static void
wait_for_change (Fixture           *f,
                 const char        *path,
                 TesseraFileChange  change)
{
  while ((GPOINTER_TO_UINT (g_hash_table_lookup (f->changed_paths, path)) & (1u << change)) == 0)
    g_main_context_iteration (NULL, TRUE);
}

/* @result and *@error of a job given an id the history does not hold. */
static void
assert_no_such_version (char    *result,
                        GError **error)
{
  g_assert_error (*error, TESSERA_HISTORY_ERROR, TESSERA_HISTORY_ERROR_NOT_FOUND);
  g_assert_null (result);
  g_clear_error (error);
}

static void
assert_nothing_to_undo (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  char *none = history_undo (f, &error);

  g_assert_error (error, TESSERA_HISTORY_ERROR, TESSERA_HISTORY_ERROR_NOTHING_TO_UNDO);
  g_assert_null (none);
}

/* The newest version holds exactly the files of version @id. */
static void
assert_tip_tree_is (Fixture    *f,
                    const char *id)
{
  g_autofree char *rev = g_strconcat (id, "^{tree}", NULL);
  g_autofree char *tree = GIT (f, "rev-parse", rev);
  g_autofree char *tip_tree = GIT (f, "rev-parse", TESSERA_HISTORY_REF "^{tree}");

  g_assert_cmpstr (tip_tree, ==, tree);
}

/* Tests */

static void
test_commit (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *id = commit_ok (f, TESSERA_HISTORY_KIND_TURN, "Add a page\n");
  g_autofree char *tip = GIT (f, "rev-parse", TESSERA_HISTORY_REF);
  g_autofree char *files = tree_files (f, TESSERA_HISTORY_REF);
  g_autofree char *body = GIT (f, "log", "-1", "--format=%B", TESSERA_HISTORY_REF);
  g_autofree char *author = GIT (f, "log", "-1", "--format=%an <%ae>", TESSERA_HISTORY_REF);
  g_autofree char *kind = GIT (f, "log", "-1", "--format=%(trailers:key=Tessera-Kind,valueonly)", TESSERA_HISTORY_REF);
  g_autofree char *dotgit = g_build_filename (f->dir, ".git", NULL);
  g_autofree char *fsck = GIT (f, "fsck", "--no-progress", "--no-dangling");

  g_assert_cmpstr (id, ==, tip);
  /* The manifest and our state folder are not part of the app. */
  g_assert_cmpstr (files, ==, "index.html\nstyle.css");
  g_assert_true (g_str_has_prefix (body, "Add a page\n\n"));
  g_assert_cmpstr (author, ==, "Tessera <tessera@localhost>");
  g_assert_cmpstr (kind, ==, "turn");
  /* A plain folder stays a plain folder. */
  g_assert_false (g_file_test (dotgit, G_FILE_TEST_EXISTS));
  g_assert_cmpstr (fsck, ==, "");

  /* The history's own signal arrives before the callback. */
  g_assert_cmpuint (f->n_changed_signals, ==, 1);
}

static void
test_no_empty_commit (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *first = commit_ok (f, TESSERA_HISTORY_KIND_TURN, "First");
  g_autofree char *again = commit_ok (f, TESSERA_HISTORY_KIND_SNAPSHOT, "Nothing new");
  g_autofree char *count = NULL;
  g_autofree char *changed = NULL;
  g_autofree char *count2 = NULL;

  g_assert_cmpstr (first, ==, again);
  count = GIT (f, "rev-list", "--count", TESSERA_HISTORY_REF);
  g_assert_cmpstr (count, ==, "1");
  g_assert_cmpuint (f->n_changed_signals, ==, 1);

  /* Touching a file without changing it is no change either. */
  write_file (f->dir, "style.css", "h1 { color: red; }\n");
  g_free (again);
  again = commit_ok (f, TESSERA_HISTORY_KIND_SNAPSHOT, "Same bytes");
  g_assert_cmpstr (first, ==, again);

  write_file (f->dir, "style.css", "h1 { color: blue; }\n");
  changed = commit_ok (f, TESSERA_HISTORY_KIND_SNAPSHOT, "Blue");
  g_assert_cmpstr (changed, !=, first);
  count2 = GIT (f, "rev-list", "--count", TESSERA_HISTORY_REF);
  g_assert_cmpstr (count2, ==, "2");
}

static void
test_list (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GListModel) empty = history_list (f, 0);
  g_autoptr(GListModel) list = NULL;
  g_autoptr(GListModel) two = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;
  g_autoptr(TesseraHistoryEntry) newest = NULL;
  g_autoptr(TesseraHistoryEntry) middle = NULL;
  g_autoptr(TesseraHistoryEntry) oldest = NULL;
  g_autofree char *git_time = NULL;
  g_autofree char *expected_time = NULL;

  g_assert_cmpuint (g_list_model_get_n_items (empty), ==, 0);

  a = commit_ok (f, TESSERA_HISTORY_KIND_SNAPSHOT, "Start");
  write_file (f->dir, "app.js", "console.log (1);\n");
  write_file (f->dir, "index.html", "<h1>Hi</h1>\n");
  b = commit_ok (f, TESSERA_HISTORY_KIND_TURN, "Add a script\n\nWith a body.");
  remove_file (f->dir, "style.css");
  c = commit_ok (f, TESSERA_HISTORY_KIND_TURN, "Drop the styles");

  list = history_list (f, 0);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 3);
  g_assert_true (g_list_model_get_item_type (list) == TESSERA_TYPE_HISTORY_ENTRY);
  newest = g_list_model_get_item (list, 0);
  middle = g_list_model_get_item (list, 1);
  oldest = g_list_model_get_item (list, 2);

  g_assert_cmpstr (tessera_history_entry_get_id (newest), ==, c);
  g_assert_cmpstr (tessera_history_entry_get_message (newest), ==, "Drop the styles");
  g_assert_cmpint (tessera_history_entry_get_kind (newest), ==, TESSERA_HISTORY_KIND_TURN);
  g_assert_cmpuint (tessera_history_entry_get_files_changed (newest), ==, 1);

  g_assert_cmpstr (tessera_history_entry_get_id (middle), ==, b);
  g_assert_cmpstr (tessera_history_entry_get_message (middle), ==, "Add a script\n\nWith a body.");
  g_assert_cmpuint (tessera_history_entry_get_files_changed (middle), ==, 2);

  g_assert_cmpstr (tessera_history_entry_get_id (oldest), ==, a);
  g_assert_cmpint (tessera_history_entry_get_kind (oldest), ==, TESSERA_HISTORY_KIND_SNAPSHOT);
  g_assert_cmpuint (tessera_history_entry_get_files_changed (oldest), ==, 2);

  /* The time is the commit's, as git reports it. */
  git_time = GIT (f, "log", "-1", "--format=%at", c);
  expected_time = g_strdup_printf ("%" G_GINT64_FORMAT,
                                   g_date_time_to_unix (tessera_history_entry_get_time (newest)));
  g_assert_cmpstr (git_time, ==, expected_time);

  two = history_list (f, 2);
  g_assert_cmpuint (g_list_model_get_n_items (two), ==, 2);
}

static void
test_message (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *base = commit_ok (f, TESSERA_HISTORY_KIND_SNAPSHOT, NULL);
  g_autofree char *spoof = NULL;
  g_autofree char *long_id = NULL;
  g_autofree char *spoof_message = NULL;
  g_autofree char *undone = NULL;
  g_autoptr(GString) long_message = g_string_new (NULL);
  g_autoptr(GListModel) list = NULL;
  g_autoptr(TesseraHistoryEntry) newest = NULL;
  g_autoptr(TesseraHistoryEntry) middle = NULL;
  g_autoptr(TesseraHistoryEntry) oldest = NULL;
  g_autoptr(GError) error = NULL;
  const char *text;

  /* A prompt that ends like our trailers is still the turn it was. */
  spoof_message = g_strdup_printf ("Make it blue\n\nTessera-Kind: restore\nTessera-Restore-Target: %s", base);
  write_file (f->dir, "style.css", "h1 { color: blue; }\n");
  spoof = commit_ok (f, TESSERA_HISTORY_KIND_TURN, spoof_message);

  for (guint i = 0; i < 500; i++)
    g_string_append (long_message, "Ünïcode ");
  write_file (f->dir, "style.css", "h1 { color: green; }\n");
  long_id = commit_ok (f, TESSERA_HISTORY_KIND_TURN, long_message->str);

  list = history_list (f, 0);
  newest = g_list_model_get_item (list, 0);
  middle = g_list_model_get_item (list, 1);
  oldest = g_list_model_get_item (list, 2);

  text = tessera_history_entry_get_message (newest);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_cmpuint (g_utf8_strlen (text, -1), ==, 2001);
  g_assert_true (g_str_has_suffix (text, "…"));

  g_assert_cmpint (tessera_history_entry_get_kind (middle), ==, TESSERA_HISTORY_KIND_TURN);
  g_assert_cmpstr (tessera_history_entry_get_message (middle), ==, spoof_message);
  g_assert_cmpstr (tessera_history_entry_get_message (oldest), ==, "Saved version");

  /* Undo goes back before the long turn, to the spoofing turn's files. */
  undone = history_undo (f, &error);
  g_assert_no_error (error);
  assert_file (f->dir, "style.css", "h1 { color: blue; }\n");
  /* And the spoofing turn is undone as a turn, not followed as a restore. */
  g_free (undone);
  undone = history_undo (f, &error);
  g_assert_no_error (error);
  assert_file (f->dir, "style.css", "h1 { color: red; }\n");
}

static void
test_diff (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *first = commit_ok (f, TESSERA_HISTORY_KIND_SNAPSHOT, "Start");
  g_autofree char *second = NULL;
  g_autofree char *diff = NULL;
  g_autofree char *root_diff = NULL;
  g_autofree char *short_id = NULL;
  g_autofree char *short_diff = NULL;
  g_autofree char *git_stat = NULL;
  g_autoptr(GError) error = NULL;

  write_file (f->dir, "index.html", "<h1>Hello</h1>\n<p>More</p>\n");
  write_file (f->dir, "new.txt", "new\n");
  second = commit_ok (f, TESSERA_HISTORY_KIND_TURN, "More");

  diff = history_diff (f, second, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (diff, "diff --git a/index.html b/index.html\n"));
  g_assert_nonnull (strstr (diff, "\n <h1>Hello</h1>\n+<p>More</p>\n"));
  g_assert_nonnull (strstr (diff, "diff --git a/new.txt b/new.txt\nnew file mode 100644\n"));
  g_assert_nonnull (strstr (diff, "+new\n"));
  g_assert_null (strstr (diff, "style.css"));

  /* git applies our patch in reverse to the newer tree, proving it is a
   * real unified diff of exactly these changes. */
  {
    g_autofree char *patch = g_build_filename (f->dir, ".tessera", "test.patch", NULL);
    g_file_set_contents (patch, diff, -1, &error);
    g_assert_no_error (error);
    git_stat = GIT (f, "apply", "--numstat", patch);
    g_assert_cmpstr (git_stat, ==, "1\t0\tindex.html\n1\t0\tnew.txt");
  }

  /* The first version is compared with nothing. */
  root_diff = history_diff (f, first, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (root_diff, "+<h1>Hello</h1>\n"));
  g_assert_nonnull (strstr (root_diff, "+h1 { color: red; }\n"));

  short_id = g_strndup (second, 8);
  short_diff = history_diff (f, short_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (short_diff, ==, diff);

  assert_no_such_version (history_diff (f, "0123456789abcdef0123456789abcdef01234567", &error), &error);
  assert_no_such_version (history_diff (f, "HEAD~1", &error), &error);
}

static void
test_restore (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *v1 = NULL;
  g_autofree char *v2 = NULL;
  g_autofree char *restored = NULL;
  g_autofree char *kind = NULL;
  g_autofree char *target = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *again = NULL;
  g_autofree char *back = NULL;
  g_autoptr(GError) error = NULL;

  write_file (f->dir, ".gitignore", "*.log\n");
  write_file (f->dir, "js/app.js", "let a = 1;\n");
  v1 = commit_ok (f, TESSERA_HISTORY_KIND_TURN, "Version one");

  write_file (f->dir, "index.html", "<h1>Changed</h1>\n");
  remove_file (f->dir, "style.css");
  remove_file (f->dir, "js/app.js");
  write_file (f->dir, "js/extra.js", "extra\n");
  v2 = commit_ok (f, TESSERA_HISTORY_KIND_TURN, "Version two");
  /* Ignored and so never saved: a restore must not touch it. */
  write_file (f->dir, "debug.log", "keep me\n");

  g_hash_table_remove_all (f->changed_paths);
  restored = history_restore (f, v1, &error);
  g_assert_no_error (error);

  assert_file (f->dir, "index.html", "<h1>Hello</h1>\n");
  assert_file (f->dir, "style.css", "h1 { color: red; }\n");
  assert_file (f->dir, "js/app.js", "let a = 1;\n");
  g_assert_null (read_file (f->dir, "js/extra.js"));
  assert_file (f->dir, "debug.log", "keep me\n");

  /* Through the project, so the editor and preview hear of it. */
  wait_for_change (f, "index.html", TESSERA_FILE_CHANGED);
  wait_for_change (f, "style.css", TESSERA_FILE_CREATED);
  wait_for_change (f, "js/app.js", TESSERA_FILE_CREATED);
  wait_for_change (f, "js/extra.js", TESSERA_FILE_DELETED);

  /* Recorded as a version of its own, with v1's exact tree. */
  g_assert_cmpstr (restored, !=, v1);
  g_assert_cmpstr (restored, !=, v2);
  assert_tip_tree_is (f, v1);
  kind = GIT (f, "log", "-1", "--format=%(trailers:key=Tessera-Kind,valueonly)", TESSERA_HISTORY_REF);
  g_assert_cmpstr (kind, ==, "restore");
  target = GIT (f, "log", "-1", "--format=%(trailers:key=Tessera-Restore-Target,valueonly)", TESSERA_HISTORY_REF);
  g_assert_cmpstr (target, ==, v1);
  subject = GIT (f, "log", "-1", "--format=%s", TESSERA_HISTORY_REF);
  g_assert_cmpstr (subject, ==, "Restored to “Version one”");

  /* Restoring what is already there changes nothing and saves nothing. */
  again = history_restore (f, v1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, restored);

  /* A restore can itself be undone by restoring the newer version. */
  back = history_restore (f, v2, &error);
  g_assert_no_error (error);
  assert_file (f->dir, "index.html", "<h1>Changed</h1>\n");
  g_assert_null (read_file (f->dir, "style.css"));
  assert_file (f->dir, "js/extra.js", "extra\n");
}

static void
test_restore_keeps_edits (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *v1 = commit_ok (f, TESSERA_HISTORY_KIND_TURN, "One");
  g_autofree char *restored = NULL;
  g_autofree char *log = NULL;
  g_autofree char *saved = NULL;
  g_autoptr(GError) error = NULL;

  /* Unsaved edits by hand... */
  write_file (f->dir, "index.html", "<h1>By hand</h1>\n");
  restored = history_restore (f, v1, &error);
  g_assert_no_error (error);
  assert_file (f->dir, "index.html", "<h1>Hello</h1>\n");

  /* ...were saved as a version first. */
  log = GIT (f, "log", "--format=%s", TESSERA_HISTORY_REF);
  g_assert_cmpstr (log, ==, "Restored to “One”\nEdits before restoring\nOne");
  saved = GIT (f, "show", TESSERA_HISTORY_REF "~1:index.html");
  g_assert_cmpstr (saved, ==, "<h1>By hand</h1>");

  assert_no_such_version (history_restore (f, "not-an-id", &error), &error);
}

static void
test_undo_last_turn (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *base = NULL;
  g_autofree char *t1 = NULL;
  g_autofree char *t2 = NULL;
  g_autofree char *u1 = NULL;
  g_autofree char *u2 = NULL;
  g_autoptr(GError) error = NULL;

  /* Nothing saved yet: nothing to undo. */
  assert_nothing_to_undo (f);

  base = commit_ok (f, TESSERA_HISTORY_KIND_SNAPSHOT, "Before the first turn");
  write_file (f->dir, "index.html", "<h1>Turn one</h1>\n");
  t1 = commit_ok (f, TESSERA_HISTORY_KIND_TURN, "Turn one");
  write_file (f->dir, "index.html", "<h1>Turn two</h1>\n");
  write_file (f->dir, "two.js", "2\n");
  t2 = commit_ok (f, TESSERA_HISTORY_KIND_TURN, "Turn two");

  u1 = history_undo (f, &error);
  g_assert_no_error (error);
  assert_file (f->dir, "index.html", "<h1>Turn one</h1>\n");
  g_assert_null (read_file (f->dir, "two.js"));
  assert_tip_tree_is (f, t1);

  /* A second undo goes back another turn, not to the first undo's spot. */
  u2 = history_undo (f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (u2, !=, u1);
  assert_file (f->dir, "index.html", "<h1>Hello</h1>\n");
  assert_tip_tree_is (f, base);

  /* Only the snapshot before the first turn is left. */
  assert_nothing_to_undo (f);
  assert_file (f->dir, "index.html", "<h1>Hello</h1>\n");
}

static void
test_undo_first_turn (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *t1 = commit_ok (f, TESSERA_HISTORY_KIND_TURN, "Turn one");

  /* Without a version before it, undoing would delete every file: refuse. */
  assert_nothing_to_undo (f);
  assert_file (f->dir, "index.html", "<h1>Hello</h1>\n");
  assert_file (f->dir, "style.css", "h1 { color: red; }\n");
}

static void
test_own_repository (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *dotgit = g_build_filename (f->dir, ".git", NULL);
  g_autofree char *index_path = g_build_filename (dotgit, "index", NULL);
  g_autofree char *private_dir = g_build_filename (f->dir, ".tessera", "history", "git", NULL);
  g_autofree char *head_before = NULL;
  g_autofree char *branches_before = NULL;
  g_autofree char *status_before = NULL;
  g_autofree char *index_before = NULL;
  g_autofree char *head_after = NULL;
  g_autofree char *branches_after = NULL;
  g_autofree char *index_after = NULL;
  g_autofree char *status_after = NULL;
  g_autofree char *symref = NULL;
  g_autofree char *id = NULL;
  g_autofree char *turn = NULL;
  g_autofree char *tip = NULL;
  g_autofree char *author = NULL;
  g_autofree char *restored = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  gsize len, len_after;
  guint n = 0;

  /* The user's repository: a commit on their branch and a staged change. */
  g_clear_pointer (&f->git_dir, g_free);
  g_free (GIT (f, "init", "-q", "-b", "main"));
  g_free (GIT (f, "config", "user.name", "Ada Lovelace"));
  g_free (GIT (f, "config", "user.email", "ada@example.org"));
  g_free (GIT (f, "add", "index.html"));
  g_free (GIT (f, "commit", "-q", "-m", "Mine"));
  write_file (f->dir, "style.css", "h1 { color: green; }\n");
  g_free (GIT (f, "add", "style.css"));

  head_before = GIT (f, "rev-parse", "HEAD");
  branches_before = GIT (f, "for-each-ref", "refs/heads");
  status_before = GIT (f, "status", "--porcelain");
  g_assert_cmpstr (status_before, ==, "A  style.css");
  g_assert_true (g_file_get_contents (index_path, &index_before, &len, NULL));

  fixture_open (f);

  id = commit_ok (f, TESSERA_HISTORY_KIND_SNAPSHOT, "Start");
  write_file (f->dir, "app.js", "1\n");
  turn = commit_ok (f, TESSERA_HISTORY_KIND_TURN, "Turn");
  restored = history_restore (f, id, &error);
  g_assert_no_error (error);
  g_assert_null (read_file (f->dir, "app.js"));
  assert_file (f->dir, "style.css", "h1 { color: green; }\n");

  /* Versions live in the user's repository, under our ref only... */
  tip = GIT (f, "rev-parse", TESSERA_HISTORY_REF);
  g_assert_cmpstr (tip, ==, restored);
  g_assert_false (g_file_test (private_dir, G_FILE_TEST_EXISTS));
  /* ...with the user's own identity... */
  author = GIT (f, "log", "-1", "--format=%an <%ae>", TESSERA_HISTORY_REF);
  g_assert_cmpstr (author, ==, "Ada Lovelace <ada@example.org>");
  /* ...unrelated to their branch... */
  {
    const char *argv[] = { "git", "merge-base", "HEAD", TESSERA_HISTORY_REF, NULL };
    int status = 0;

    g_spawn_sync (f->dir, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                  NULL, NULL, NULL, NULL, &status, NULL);
    g_assert_false (g_spawn_check_wait_status (status, NULL));
  }

  /* ...and HEAD, the branches and the staging area are as before. */
  g_assert_true (g_file_get_contents (index_path, &index_after, &len_after, NULL));
  g_assert_cmpuint (len_after, ==, len);
  g_assert_true (memcmp (index_before, index_after, len) == 0);
  head_after = GIT (f, "rev-parse", "HEAD");
  g_assert_cmpstr (head_after, ==, head_before);
  symref = GIT (f, "symbolic-ref", "HEAD");
  g_assert_cmpstr (symref, ==, "refs/heads/main");
  branches_after = GIT (f, "for-each-ref", "refs/heads");
  g_assert_cmpstr (branches_after, ==, branches_before);

  /* Only the project's own files (state folder, manifest) are new. */
  status_after = GIT (f, "status", "--porcelain");
  lines = g_strsplit (status_after, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (!g_str_equal (lines[i], "?? .tessera/") && !g_str_has_suffix (lines[i], ".tessera"))
      {
        g_assert_cmpstr (lines[i], ==, "A  style.css");
        n++;
      }
  g_assert_cmpuint (n, ==, 1);
}

static void
test_ignored (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autofree char *files = NULL;
  g_autofree char *id2 = NULL;
  g_autofree char *files2 = NULL;
  g_autofree char *diff = NULL;
  g_autofree char *linkpath = g_build_filename (f->dir, "etc-link", NULL);
  g_autofree char *link_mode = NULL;
  g_autoptr(GError) error = NULL;

  write_file (f->dir, ".gitignore", "*.log\nbuild/\n.env\n");
  write_file (f->dir, "debug.log", "log\n");
  write_file (f->dir, "build/out.js", "built\n");
  write_file (f->dir, ".env", "API_KEY=secret\n");
  write_file (f->dir, "node_modules/left-pad/index.js", "module.exports = 1;\n");
  write_file (f->dir, "src/node_modules/x.js", "nested\n");
  write_file (f->dir, ".tessera/chat/conversation.json", "{}\n");
  write_file (f->dir, "notes.txt", "notes\n");
  /* A repository cloned inside the project is not ours to save. */
  write_file (f->dir, "vendor/lib/lib.js", "lib\n");
  g_free (git_at (f->dir, NULL, (const char *[]){ "init", "-q", "vendor/lib", NULL }));
  /* A link is saved as a link, never followed out of the project. */
  g_assert_cmpint (symlink ("/etc", linkpath), ==, 0);

  id = commit_ok (f, TESSERA_HISTORY_KIND_TURN, "Ignore things");
  files = tree_files (f, TESSERA_HISTORY_REF);
  g_assert_cmpstr (files, ==, ".gitignore\netc-link\nindex.html\nnotes.txt\nstyle.css");
  link_mode = GIT (f, "ls-tree", TESSERA_HISTORY_REF, "etc-link");
  g_assert_true (g_str_has_prefix (link_mode, "120000 blob "));

  /* A file saved before it became ignored leaves the next version. */
  write_file (f->dir, ".gitignore", "*.log\nbuild/\n.env\nnotes.txt\n");
  id2 = commit_ok (f, TESSERA_HISTORY_KIND_TURN, "Ignore notes");
  files2 = tree_files (f, TESSERA_HISTORY_REF);
  g_assert_cmpstr (files2, ==, ".gitignore\netc-link\nindex.html\nstyle.css");
  diff = history_diff (f, id2, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (diff, "secret"));
  g_assert_nonnull (strstr (diff, "deleted file mode 100644"));
  /* The file itself stays on disk. */
  assert_file (f->dir, "notes.txt", "notes\n");
}

static void
test_repository_replaced (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *first = commit_ok (f, TESSERA_HISTORY_KIND_TURN, "One");
  g_autofree char *second = NULL;
  g_autofree char *files = NULL;
  g_autofree char *fsck = NULL;

  /* The private repository is lost while its index stays behind: the next
   * version must still carry every file, not blobs the new one lacks. */
  g_assert_finalize_object (g_steal_pointer (&f->history));
  remove_tree (f->git_dir);

  f->history = tessera_history_new (f->project);
  second = commit_ok (f, TESSERA_HISTORY_KIND_TURN, "Again");
  files = tree_files (f, TESSERA_HISTORY_REF);
  g_assert_cmpstr (files, ==, "index.html\nstyle.css");
  fsck = GIT (f, "fsck", "--no-progress", "--no-dangling", "--strict");
  g_assert_cmpstr (fsck, ==, "");
}

static void
test_queue_order (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GListModel) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id1 = NULL;
  g_autofree char *id2 = NULL;

  /* Started back to back, the jobs still run in order: the list sees
   * both commits, and the no-op commit returns the first one's id. */
  tessera_history_commit_async (f->history, TESSERA_HISTORY_KIND_TURN, "One", NULL, got_result, &r1);
  tessera_history_commit_async (f->history, TESSERA_HISTORY_KIND_TURN, "Two", NULL, got_result, &r2);
  tessera_history_list_async (f->history, 0, NULL, got_result, &r3);

  list = tessera_history_list_finish (f->history, wait_for (&r3), &error);
  g_assert_no_error (error);
  id1 = tessera_history_commit_finish (f->history, wait_for (&r1), &error);
  g_assert_no_error (error);
  id2 = tessera_history_commit_finish (f->history, wait_for (&r2), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id1, ==, id2);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 1);
}

static void
test_cancelled (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *id;

  g_cancellable_cancel (cancellable);
  tessera_history_commit_async (f->history, TESSERA_HISTORY_KIND_TURN, "Never", cancellable,
                                got_result, &result);
  id = tessera_history_commit_finish (f->history, wait_for (&result), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (id);
  /* Cancelled before it started: not even a repository was made. */
  g_assert_false (g_file_test (f->git_dir, G_FILE_TEST_EXISTS));
}

int
main (int   argc,
      char *argv[])
{
  char *home;
  int status;

  g_test_init (&argc, &argv, NULL);

  /* No identity or settings from the developer's own git configuration,
   * for libgit2 and the git command line alike. */
  home = g_dir_make_tmp ("tessera-history-home-XXXXXX", NULL);
  g_assert_nonnull (home);
  g_setenv ("HOME", home, TRUE);
  g_unsetenv ("XDG_CONFIG_HOME");
  g_setenv ("GIT_CONFIG_NOSYSTEM", "1", TRUE);

#define ADD(name, fn, data) \
  g_test_add (name, Fixture, data, fixture_setup, fn, fixture_teardown)
  ADD ("/history/commit", test_commit, NULL);
  ADD ("/history/no-empty-commit", test_no_empty_commit, NULL);
  ADD ("/history/list", test_list, NULL);
  ADD ("/history/message", test_message, NULL);
  ADD ("/history/diff", test_diff, NULL);
  ADD ("/history/restore", test_restore, NULL);
  ADD ("/history/restore-keeps-edits", test_restore_keeps_edits, NULL);
  ADD ("/history/undo-last-turn", test_undo_last_turn, NULL);
  ADD ("/history/undo-first-turn", test_undo_first_turn, NULL);
  ADD ("/history/own-repository", test_own_repository, "own");
  ADD ("/history/ignored", test_ignored, NULL);
  ADD ("/history/repository-replaced", test_repository_replaced, NULL);
  ADD ("/history/queue-order", test_queue_order, NULL);
  ADD ("/history/cancelled", test_cancelled, NULL);
#undef ADD

  status = g_test_run ();
  g_rmdir (home);
  g_free (home);

  return status;
}
