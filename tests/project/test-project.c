/* test-project.c: TesseraProject on a real file system
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-project"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tessera-path.h"
#include "tessera-project.h"

/* Helpers */

static char *
make_tmp (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("tessera-project-XXXXXX", &error);

  g_assert_no_error (error);
  g_assert_nonnull (dir);
  return dir;
}

static void
remove_tmp (const char *dir)
{
  g_autoptr(GError) error = NULL;

  /* A test may have made folders read-only on purpose. */
  tessera_path_remove_tree (dir, dir, NULL, &error);
  g_assert_no_error (error);
}

static void
write_file (const char *dir,
            const char *name,
            const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

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
assert_file (const char *dir,
             const char *name,
             const char *expected)
{
  g_autofree char *contents = read_file (dir, name);

  g_assert_cmpstr (contents, ==, expected);
}

/* A blocking operation that must fail with @code; clears *@error for the
 * next one. */
static void
assert_refused (gboolean   ok,
                GError   **error,
                GQuark     domain,
                int        code)
{
  g_assert_false (ok);
  g_assert_error (*error, domain, code);
  g_clear_error (error);
}

static TesseraProject *
open_dir (const char *dir)
{
  g_autoptr(GFile) location = g_file_new_for_path (dir);
  g_autoptr(GError) error = NULL;
  TesseraProject *project = tessera_project_open (location, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (TESSERA_IS_PROJECT (project));
  return project;
}

static void
mkdir_in (const char *dir,
          const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
}

static gboolean
test_in (const char *dir,
         const char *name,
         GFileTest   test)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_test (path, test);
}

static GBytes *
bytes (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

static guint
count_entries (const char *dir,
               const char *prefix)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)))
    {
      if (prefix == NULL || g_str_has_prefix (name, prefix))
        n++;
    }
  return n;
}

/* Records ::file-changed as "created:path", "renamed:old>new"... */
typedef struct
{
  GPtrArray *events;
} Recorder;

static void
on_file_changed (TesseraProject    *project,
                 const char        *path,
                 TesseraFileChange  change,
                 const char        *old_path,
                 Recorder          *recorder)
{
  static const char * const names[] = { "created", "changed", "deleted", "renamed" };

  g_assert_cmpint (change, <=, TESSERA_FILE_RENAMED);
  if (change == TESSERA_FILE_RENAMED)
    {
      g_assert_nonnull (old_path);
      g_ptr_array_add (recorder->events, g_strdup_printf ("renamed:%s>%s", old_path, path));
    }
  else
    {
      g_assert_null (old_path);
      g_ptr_array_add (recorder->events, g_strdup_printf ("%s:%s", names[change], path));
    }
}

static void
recorder_init (Recorder       *recorder,
               TesseraProject *project)
{
  recorder->events = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (project, "file-changed", G_CALLBACK (on_file_changed), recorder);
}

static void
recorder_clear (Recorder       *recorder,
                TesseraProject *project)
{
  g_signal_handlers_disconnect_by_func (project, on_file_changed, recorder);
  g_clear_pointer (&recorder->events, g_ptr_array_unref);
}

static guint
recorder_count (Recorder   *recorder,
                const char *event)
{
  guint n = 0;

  for (guint i = 0; i < recorder->events->len; i++)
    {
      if (g_strcmp0 (g_ptr_array_index (recorder->events, i), event) == 0)
        n++;
    }
  return n;
}

/* Runs the main loop until @event has been seen: the test's own timeout
 * catches an event that never comes. */
static void
recorder_wait (Recorder   *recorder,
               const char *event)
{
  while (recorder_count (recorder, event) == 0)
    g_main_context_iteration (NULL, TRUE);
}

static void
async_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
assert_invalid (TesseraProject *project,
                const char     *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = tessera_project_resolve (project, path, &error);

  if (file != NULL)
    g_test_message ("“%s” was not refused", path);
  g_assert_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH);
  g_assert_null (file);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

static void
assert_resolves_to (TesseraProject *project,
                    const char     *path,
                    const char     *expected_rel)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = tessera_project_resolve (project, path, &error);
  g_autofree char *rel = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (file);
  rel = tessera_project_get_relative_path (project, file);
  g_assert_cmpstr (rel, ==, expected_rel);
}

/* Manifest */

static void
test_manifest_roundtrip (void)
{
  g_autofree char *tmp = make_tmp ();
  g_autofree char *root = g_build_filename (tmp, "Shop", NULL);
  g_autofree char *manifest_path = g_build_filename (root, "Shop.tessera", NULL);
  g_autofree char *text = NULL;
  g_autofree char *extended = NULL;
  g_autofree char *id = NULL;
  g_autoptr(GFile) parent = g_file_new_for_path (tmp);
  g_autoptr(GFile) manifest_file = g_file_new_for_path (manifest_path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  TesseraProject *project;

  project = tessera_project_create (parent, "Shop", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tessera_project_get_name (project), ==, "Shop");
  g_assert_cmpstr (tessera_project_get_template (project), ==, "blank");
  g_assert_true (g_uuid_string_is_valid (tessera_project_get_id (project)));
  g_assert_nonnull (tessera_project_get_created (project));
  g_assert_cmpint (g_date_time_difference (now, tessera_project_get_created (project)), <, G_TIME_SPAN_HOUR);
  g_assert_true (g_file_equal (tessera_project_get_manifest_file (project), manifest_file));
  g_assert_null (tessera_project_get_setting (project, "model"));
  id = g_strdup (tessera_project_get_id (project));

  {
    /* What the getters returned outlives a settings change. */
    const char *name = tessera_project_get_name (project);
    const char *template_name = tessera_project_get_template (project);

    g_assert_true (tessera_project_set_setting (project, "model", "qwen2.5-coder", &error));
    g_assert_no_error (error);
    g_assert_cmpstr (name, ==, "Shop");
    g_assert_cmpstr (template_name, ==, "blank");
  }
  g_assert_true (tessera_project_set_setting (project, "sandbox", "local", &error));
  g_assert_cmpstr (tessera_project_get_setting (project, "model"), ==, "qwen2.5-coder");
  g_assert_finalize_object (project);

  /* Reopen through the manifest file itself. */
  project = tessera_project_open (manifest_file, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tessera_project_get_id (project), ==, id);
  g_assert_cmpstr (tessera_project_get_name (project), ==, "Shop");
  g_assert_cmpstr (tessera_project_get_setting (project, "model"), ==, "qwen2.5-coder");
  g_assert_cmpstr (tessera_project_get_setting (project, "sandbox"), ==, "local");
  g_assert_true (tessera_project_set_setting (project, "sandbox", NULL, &error));
  g_assert_null (tessera_project_get_setting (project, "sandbox"));
  g_assert_finalize_object (project);

  /* Members this version does not know survive a rewrite. */
  text = read_file (root, "Shop.tessera");
  g_assert_nonnull (text);
  g_assert_true (g_str_has_suffix (text, "}\n"));
  extended = g_strdup_printf ("%.*s,\n  \"from-the-future\" : { \"keep\" : [ 1, 2 ] }\n}\n",
                              (int) (strrchr (text, '}') - text - 1), text);
  write_file (root, "Shop.tessera", extended);
  project = open_dir (root);
  g_assert_true (tessera_project_set_setting (project, "model", "other", &error));
  g_assert_no_error (error);
  g_assert_finalize_object (project);
  g_free (text);
  text = read_file (root, "Shop.tessera");
  g_assert_nonnull (strstr (text, "\"from-the-future\""));
  g_assert_nonnull (strstr (text, "\"keep\""));
  g_assert_nonnull (strstr (text, "\"other\""));
  g_assert_nonnull (strstr (text, id));
  g_assert_cmpuint (count_entries (root, TESSERA_TEMP_PREFIX), ==, 0);

  remove_tmp (tmp);
}

static void
test_manifest_adopt_folder (void)
{
  g_autofree char *tmp = make_tmp ();
  g_autofree char *root = g_build_filename (tmp, "old-site", NULL);
  g_autofree char *text = NULL;
  TesseraProject *project;

  g_assert_cmpint (g_mkdir (root, 0755), ==, 0);
  write_file (root, "index.html", "<p>hi</p>");

  project = open_dir (root);
  g_assert_cmpstr (tessera_project_get_name (project), ==, "old-site");
  g_assert_null (tessera_project_get_template (project));
  text = read_file (root, "old-site.tessera");
  g_assert_nonnull (text);
  g_assert_nonnull (strstr (text, "\"tessera\" : 1"));
  g_assert_finalize_object (project);

  /* The second open finds the manifest instead of adding another. */
  project = open_dir (root);
  g_assert_cmpuint (count_entries (root, NULL), ==, 2);
  g_assert_finalize_object (project);

  remove_tmp (tmp);
}

static void
check_refused (const char *contents,
               int         expected_code)
{
  g_autofree char *tmp = make_tmp ();
  g_autofree char *manifest_path = g_build_filename (tmp, "app.tessera", NULL);
  g_autoptr(GFile) dir = g_file_new_for_path (tmp);
  g_autoptr(GFile) manifest = g_file_new_for_path (manifest_path);
  struct stat before_st, after_st;
  TesseraProject *project;

  write_file (tmp, "app.tessera", contents);
  g_assert_cmpint (g_stat (manifest_path, &before_st), ==, 0);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GError) error = NULL;

      project = tessera_project_open (i == 0 ? dir : manifest, NULL, &error);
      g_assert_null (project);
      g_assert_error (error, TESSERA_PROJECT_ERROR, expected_code);
      /* The message names the file so that the person knows which one. */
      g_assert_nonnull (strstr (error->message, "app.tessera"));
      if (expected_code == TESSERA_PROJECT_ERROR_FUTURE_MANIFEST)
        g_assert_nonnull (strstr (error->message, "newer version of Tessera"));
    }

  assert_file (tmp, "app.tessera", contents);
  g_assert_cmpint (g_stat (manifest_path, &after_st), ==, 0);
  g_assert_cmpint (after_st.st_ino, ==, before_st.st_ino);
  g_assert_cmpint (after_st.st_mtim.tv_nsec, ==, before_st.st_mtim.tv_nsec);
  g_assert_cmpint (after_st.st_mtim.tv_sec, ==, before_st.st_mtim.tv_sec);
  /* Nothing was added beside it either. */
  g_assert_cmpuint (count_entries (tmp, NULL), ==, 1);

  remove_tmp (tmp);
}

#define VALID_REST "\"id\": \"0b5f1c2e-8d7a-4f7e-9a51-1c2d3e4f5a6b\", \"name\": \"App\", " \
                   "\"created\": \"2026-01-02T03:04:05Z\""

static void
test_manifest_corrupt (void)
{
  static const char * const corrupt[] = {
    "",
    "{",
    "not json at all",
    "[1, 2, 3]",
    "\"text\"",
    "{ " VALID_REST " }",
    "{ \"tessera\": \"1\", " VALID_REST " }",
    "{ \"tessera\": 1.5, " VALID_REST " }",
    "{ \"tessera\": 0, " VALID_REST " }",
    "{ \"tessera\": 1, \"name\": \"App\", \"created\": \"2026-01-02T03:04:05Z\" }",
    "{ \"tessera\": 1, \"id\": \"x\", \"name\": 42, \"created\": \"2026-01-02T03:04:05Z\" }",
    "{ \"tessera\": 1, \"id\": \"x\", \"name\": \"App\", \"created\": \"yesterday\" }",
    "{ \"tessera\": 1, " VALID_REST ", \"template\": 3 }",
    "{ \"tessera\": 1, " VALID_REST ", \"settings\": [] }",
    "{ \"tessera\": 1, " VALID_REST ", \"settings\": { \"model\": 7 } }",
    "{ \"tessera\": 1, \"id\": \"x\", \"name\": \"\xff\xfe\", \"created\": \"2026-01-02T03:04:05Z\" }",
  };

  for (guint i = 0; i < G_N_ELEMENTS (corrupt); i++)
    check_refused (corrupt[i], TESSERA_PROJECT_ERROR_CORRUPT_MANIFEST);
}

static void
test_manifest_future (void)
{
  check_refused ("{ \"tessera\": 2, " VALID_REST " }", TESSERA_PROJECT_ERROR_FUTURE_MANIFEST);
  /* A newer schema may change anything else: the version decides first. */
  check_refused ("{ \"tessera\": 99, \"id\": [], \"whatever\": true }", TESSERA_PROJECT_ERROR_FUTURE_MANIFEST);
}

/* Create */

static void
test_create (void)
{
  g_autofree char *tmp = make_tmp ();
  g_autofree char *root = g_build_filename (tmp, "Hello World", NULL);
  g_autofree char *html = NULL;
  g_autoptr(GFile) parent = g_file_new_for_path (tmp);
  g_autoptr(GFile) missing = g_file_new_for_path ("/nonexistent-tessera-parent");
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  TesseraProject *project;
  static const char * const bad_names[] = { "", "a/b", "/", ".", "..", ".tessera" };

  project = tessera_project_create (parent, "Hello World", NULL, &error);
  g_assert_no_error (error);
  html = read_file (root, "index.html");
  g_assert_nonnull (html);
  g_assert_true (g_str_has_prefix (html, "<!DOCTYPE html>\n"));
  g_assert_nonnull (strstr (html, "<style>"));
  g_assert_nonnull (strstr (html, "<title>Hello World</title>"));
  g_assert_nonnull (strstr (html, "</html>"));
  g_assert_true (g_file_test (root, G_FILE_TEST_IS_DIR));
  g_assert_cmpuint (count_entries (root, NULL), ==, 2);
  g_assert_finalize_object (project);

  /* An existing, non-empty folder is refused and left alone. */
  project = tessera_project_create (parent, "Hello World", NULL, &error);
  g_assert_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_EXISTS);
  g_assert_null (project);
  g_clear_error (&error);
  g_assert_cmpuint (count_entries (root, NULL), ==, 2);

  /* A file in the way is refused too. */
  write_file (tmp, "taken", "x");
  project = tessera_project_create (parent, "taken", NULL, &error);
  g_assert_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_EXISTS);
  g_clear_error (&error);

  for (guint i = 0; i < G_N_ELEMENTS (bad_names); i++)
    {
      project = tessera_project_create (parent, bad_names[i], NULL, &error);
      g_assert_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH);
      g_assert_null (project);
      g_clear_error (&error);
    }
  g_assert_cmpuint (count_entries (tmp, NULL), ==, 2);

  project = tessera_project_create (missing, "x", NULL, &error);
  g_assert_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* An existing empty folder is fine (a folder picked in a file chooser). */
  mkdir_in (tmp, "empty");
  tessera_project_create_async (parent, "empty", NULL, async_done, &result);
  project = tessera_project_create_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tessera_project_get_name (project), ==, "empty");
  g_assert_finalize_object (project);

  remove_tmp (tmp);
}

static void
test_open_errors (void)
{
  g_autofree char *tmp = make_tmp ();
  g_autofree char *missing_path = g_build_filename (tmp, "missing", NULL);
  g_autofree char *plain_path = g_build_filename (tmp, "notes.txt", NULL);
  g_autoptr(GFile) missing = g_file_new_for_path (missing_path);
  g_autoptr(GFile) plain = g_file_new_for_path (plain_path);
  g_autoptr(GFile) dir = g_file_new_for_path (tmp);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TesseraProject *project;

  project = tessera_project_open (missing, NULL, &error);
  g_assert_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_NOT_FOUND);
  g_assert_null (project);
  g_clear_error (&error);

  write_file (tmp, "notes.txt", "x");
  project = tessera_project_open (plain, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  tessera_project_open_async (dir, NULL, async_done, &result);
  project = tessera_project_open_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (project);
  g_assert_finalize_object (project);

  remove_tmp (tmp);
}

/* Confinement */

static void
test_resolve (void)
{
  g_autofree char *tmp = make_tmp ();
  g_autofree char *outside = make_tmp ();
  g_autofree char *long_name = g_strnfill (NAME_MAX + 1, 'a');
  g_autofree char *ok_name = g_strnfill (NAME_MAX, 'b');
  g_autoptr(GString) long_path = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *link_dir = g_build_filename (tmp, "out", NULL);
  g_autofree char *link_file = g_build_filename (tmp, "passwd", NULL);
  g_autofree char *link_in = g_build_filename (tmp, "alias", NULL);
  g_autofree char *link_up = g_build_filename (tmp, "sub", "up", NULL);
  g_autofree char *dangling = g_build_filename (tmp, "dangling", NULL);
  g_autofree char *secret = g_build_filename (outside, "secret.txt", NULL);
  g_autofree char *abs = g_build_filename (tmp, "index.html", NULL);
  TesseraProject *project;
  static const char * const invalid[] = {
    "", ".", "./", "..", "../x", "a/../b", "a/..", "x/../../etc/passwd", "/etc/passwd", "//x",
  };

  write_file (outside, "secret.txt", "top secret");
  mkdir_in (tmp, "sub");
  write_file (tmp, "sub/real.txt", "real");
  g_assert_cmpint (symlink (outside, link_dir), ==, 0);
  g_assert_cmpint (symlink (secret, link_file), ==, 0);
  g_assert_cmpint (symlink ("sub", link_in), ==, 0);
  g_assert_cmpint (symlink ("../..", link_up), ==, 0);
  g_assert_cmpint (symlink ("/nonexistent/tessera", dangling), ==, 0);

  project = open_dir (tmp);

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    assert_invalid (project, invalid[i]);
  assert_invalid (project, abs);
  assert_invalid (project, NULL);
  assert_invalid (project, long_name);
  while (long_path->len < PATH_MAX + 10)
    g_string_append (long_path, "dir/");
  assert_invalid (project, long_path->str);

  /* Through symlinks that lead outside: a file, a folder, a loop upwards,
   * and a broken one that a write would otherwise follow. */
  assert_invalid (project, "passwd");
  assert_invalid (project, "out");
  assert_invalid (project, "out/secret.txt");
  assert_invalid (project, "out/new.txt");
  assert_invalid (project, "sub/up");
  assert_invalid (project, "sub/up/anything");
  assert_invalid (project, "dangling");

  /* An embedded NUL byte must not cut "x\0/../../etc" down to "x". */
  file = tessera_project_resolve_len (project, "index.html\0../../etc/passwd", 27, &error);
  g_assert_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH);
  g_assert_null (file);
  g_clear_error (&error);

  assert_resolves_to (project, "index.html", "index.html");
  assert_resolves_to (project, "./sub//real.txt", "sub/real.txt");
  assert_resolves_to (project, "sub/new/deeper.txt", "sub/new/deeper.txt");
  assert_resolves_to (project, "alias/real.txt", "alias/real.txt");
  assert_resolves_to (project, ok_name, ok_name);
  /* A backslash is an ordinary character on Linux, not a separator. */
  assert_resolves_to (project, "a\\..\\b", "a\\..\\b");
  file = tessera_project_resolve_len (project, "index.htmlXXX", 10, &error);
  g_assert_no_error (error);
  g_clear_object (&file);

  /* Operations are confined the same way, and touch nothing. */
  {
    g_autoptr(GBytes) evil = bytes ("pwned");
    g_autoptr(GBytes) read = NULL;

    assert_refused (tessera_project_write (project, "passwd", evil, NULL, &error), &error,
                    TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH);
    assert_refused (tessera_project_write (project, "out/new.txt", evil, NULL, &error), &error,
                    TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH);
    assert_refused (tessera_project_write (project, "dangling", evil, NULL, &error), &error,
                    TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH);
    assert_refused (tessera_project_write (project, "../escape.txt", evil, NULL, &error), &error,
                    TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH);
    read = tessera_project_read (project, "passwd", NULL, &error);
    g_assert_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH);
    g_assert_null (read);
    g_clear_error (&error);
    assert_refused (tessera_project_rename (project, "sub/real.txt", "out/real.txt", NULL, &error), &error,
                    TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH);
    assert_refused (tessera_project_make_directory (project, "out/dir", &error), &error,
                    TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH);

    assert_file (outside, "secret.txt", "top secret");
    g_assert_cmpuint (count_entries (outside, NULL), ==, 1);
    g_assert_false (g_file_test ("/nonexistent/tessera", G_FILE_TEST_EXISTS));

    /* Deleting a link that points outside removes the link only. */
    g_assert_true (tessera_project_delete (project, "out", FALSE, NULL, &error));
    g_assert_no_error (error);
    g_assert_false (g_file_test (link_dir, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (secret, G_FILE_TEST_IS_REGULAR));

    /* Writing through a link that stays inside keeps it a link. */
    g_assert_true (tessera_project_write (project, "alias/real.txt", evil, NULL, &error));
    g_assert_no_error (error);
    assert_file (tmp, "sub/real.txt", "pwned");
    g_assert_true (g_file_test (link_in, G_FILE_TEST_IS_SYMLINK));
  }

  g_assert_finalize_object (project);
  remove_tmp (tmp);
  remove_tmp (outside);
}

static void
test_resolve_symlinked_root (void)
{
  g_autofree char *tmp = make_tmp ();
  g_autofree char *real = g_build_filename (tmp, "real", NULL);
  g_autofree char *link = g_build_filename (tmp, "link", NULL);
  g_autoptr(GBytes) contents = bytes ("ok");
  g_autoptr(GError) error = NULL;
  TesseraProject *project;

  g_assert_cmpint (g_mkdir (real, 0755), ==, 0);
  g_assert_cmpint (symlink ("real", link), ==, 0);
  write_file (real, "inner", "x");
  /* A link to the real root, from inside, is inside. */
  {
    g_autofree char *self_link = g_build_filename (real, "self", NULL);

    g_assert_cmpint (symlink (real, self_link), ==, 0);
  }

  project = open_dir (link);
  assert_resolves_to (project, "inner", "inner");
  assert_resolves_to (project, "self/inner", "self/inner");
  g_assert_true (tessera_project_write (project, "sub/file.txt", contents, NULL, &error));
  g_assert_no_error (error);
  assert_file (real, "sub/file.txt", "ok");
  g_assert_finalize_object (project);

  remove_tmp (tmp);
}

/* Atomic writes */

static void
test_write_failure_keeps_old (void)
{
  g_autofree char *tmp = make_tmp ();
  g_autoptr(GBytes) big = NULL;
  g_autoptr(GBytes) small = bytes ("new");
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree guint8 *data = g_malloc (1024 * 1024);
  struct rlimit old_limit, limit;
  void (*old_handler) (int);
  TesseraProject *project;

  memset (data, 'x', 1024 * 1024);
  big = g_bytes_new (data, 1024 * 1024);
  write_file (tmp, "app.js", "old content");
  project = open_dir (tmp);

  /* The kernel stops the write part-way (EFBIG) once the file reaches
   * the limit: a real failure in the middle of writing. */
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &old_limit), ==, 0);
  limit = old_limit;
  limit.rlim_cur = 200 * 1024;
  old_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  g_assert_false (tessera_project_write (project, "app.js", big, NULL, &error));
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &old_limit), ==, 0);
  signal (SIGXFSZ, old_handler);
  g_assert_nonnull (error);
  g_assert_true (g_str_has_prefix (error->message, "Could not save “app.js”"));
  g_clear_error (&error);

  assert_file (tmp, "app.js", "old content");
  g_assert_cmpuint (count_entries (tmp, TESSERA_TEMP_PREFIX), ==, 0);

  /* Cancelled before it could start: same guarantee. */
  g_cancellable_cancel (cancellable);
  assert_refused (tessera_project_write (project, "app.js", small, cancellable, &error), &error,
                  G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_file (tmp, "app.js", "old content");
  g_assert_cmpuint (count_entries (tmp, TESSERA_TEMP_PREFIX), ==, 0);

  /* A folder where the file should go. */
  mkdir_in (tmp, "blocked");
  assert_refused (tessera_project_write (project, "blocked", small, NULL, &error), &error,
                  G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY);
  /* A file where a folder should go. */
  assert_refused (tessera_project_write (project, "app.js/inner.js", small, NULL, &error), &error,
                  G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);

  g_assert_true (tessera_project_write (project, "app.js", small, NULL, &error));
  g_assert_no_error (error);
  assert_file (tmp, "app.js", "new");
  g_assert_cmpuint (count_entries (tmp, TESSERA_TEMP_PREFIX), ==, 0);

  g_assert_finalize_object (project);
  remove_tmp (tmp);
}

/* Cancelled while the data is half written. The bytes to write live in
 * memory whose second part is missing under userfaultfd: the writer thread
 * stops inside write(2) right after the first 64 KiB chunk, the test
 * cancels, then lets it go on. No timing involved. */

typedef struct
{
  TesseraProject *project;
  GBytes         *contents;
  GCancellable   *cancellable;
  GError         *error;
  gboolean        ok;
} MidWrite;

static gpointer
mid_write_thread (gpointer user_data)
{
  MidWrite *m = user_data;

  m->ok = tessera_project_write (m->project, "big.bin", m->contents, m->cancellable, &m->error);
  return NULL;
}

static void
test_write_cancelled_midway (void)
{
  const gsize chunk = 64 * 1024;
  const gsize size = 4 * chunk;
  g_autofree char *tmp = make_tmp ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  struct uffdio_api api = { .api = UFFD_API };
  struct uffdio_register reg = { 0 };
  struct uffdio_zeropage zero = { 0 };
  struct uffd_msg msg;
  MidWrite m = { 0 };
  GThread *thread;
  guint8 *region;
  int uffd;

  uffd = syscall (SYS_userfaultfd, O_CLOEXEC);
  if (uffd < 0 || ioctl (uffd, UFFDIO_API, &api) != 0)
    {
      if (uffd >= 0)
        close (uffd);
      g_test_skip ("userfaultfd is not available here");
      remove_tmp (tmp);
      return;
    }

  region = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  g_assert_true (region != MAP_FAILED);
  memset (region, 'a', chunk);
  reg.range.start = (guintptr) region + chunk;
  reg.range.len = size - chunk;
  reg.mode = UFFDIO_REGISTER_MODE_MISSING;
  g_assert_cmpint (ioctl (uffd, UFFDIO_REGISTER, &reg), ==, 0);

  write_file (tmp, "big.bin", "old content");
  m.project = open_dir (tmp);
  m.contents = g_bytes_new_static (region, size);
  m.cancellable = cancellable;
  thread = g_thread_new ("writer", mid_write_thread, &m);

  /* Blocks until the writer touches the missing memory. */
  g_assert_cmpint (read (uffd, &msg, sizeof msg), ==, sizeof msg);
  g_assert_cmpint (msg.event, ==, UFFD_EVENT_PAGEFAULT);
  g_assert_cmpuint (count_entries (tmp, TESSERA_TEMP_PREFIX), ==, 1);
  g_cancellable_cancel (cancellable);

  zero.range.start = (guintptr) region + chunk;
  zero.range.len = size - chunk;
  g_assert_cmpint (ioctl (uffd, UFFDIO_ZEROPAGE, &zero), ==, 0);
  g_thread_join (thread);

  g_assert_false (m.ok);
  g_assert_error (m.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&m.error);
  assert_file (tmp, "big.bin", "old content");
  g_assert_cmpuint (count_entries (tmp, TESSERA_TEMP_PREFIX), ==, 0);

  g_bytes_unref (m.contents);
  g_assert_finalize_object (m.project);
  munmap (region, size);
  close (uffd);
  remove_tmp (tmp);
}

static void
test_write_keeps_mode (void)
{
  g_autofree char *tmp = make_tmp ();
  g_autofree char *path = g_build_filename (tmp, "run.sh", NULL);
  g_autoptr(GBytes) contents = bytes ("#!/bin/sh\necho hi\n");
  g_autoptr(GError) error = NULL;
  TesseraProject *project;
  struct stat st;

  write_file (tmp, "run.sh", "#!/bin/sh\n");
  g_assert_cmpint (g_chmod (path, 0750), ==, 0);
  project = open_dir (tmp);
  g_assert_true (tessera_project_write (project, "run.sh", contents, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0750);
  g_assert_finalize_object (project);
  remove_tmp (tmp);
}

/* A symlink swapped in after a path was checked (by code running in the
 * sandbox, say) must not redirect the operation outside. */
static void
test_no_follow_after_check (void)
{
  g_autofree char *tmp = make_tmp ();
  g_autofree char *outside = make_tmp ();
  g_autofree char *root_real = realpath (tmp, NULL);
  g_autofree char *sub = g_build_filename (root_real, "sub", NULL);
  g_autofree char *through = g_build_filename (root_real, "sub", "x.txt", NULL);
  g_autofree char *doomed = g_build_filename (root_real, "sub", "secret.txt", NULL);
  g_autofree char *link = g_build_filename (root_real, "link", NULL);
  g_autofree char *secret = g_build_filename (outside, "secret.txt", NULL);
  g_autoptr(GError) error = NULL;
  struct stat st;

  write_file (outside, "secret.txt", "top secret");
  g_assert_cmpint (symlink (outside, sub), ==, 0);
  g_assert_cmpint (symlink (secret, link), ==, 0);

  g_assert_false (tessera_path_write_atomic (root_real, through, "sub/x.txt", (const guint8 *) "x", 1, NULL, &error));
  g_assert_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH);
  g_clear_error (&error);
  g_assert_false (tessera_path_remove_tree_in (root_real, doomed, "sub/secret.txt", NULL, &error));
  g_assert_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH);
  g_clear_error (&error);
  g_assert_cmpuint (count_entries (outside, NULL), ==, 1);

  /* A link planted as the last component is replaced, not written through. */
  g_assert_true (tessera_path_write_atomic (root_real, link, "link", (const guint8 *) "mine", 4, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (lstat (link, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  assert_file (outside, "secret.txt", "top secret");

  remove_tmp (tmp);
  remove_tmp (outside);
}

/* Operations and their signals */

static void
test_operations (void)
{
  g_autofree char *tmp = make_tmp ();
  g_autoptr(GBytes) hello = bytes ("hello");
  g_autoptr(GBytes) read = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Recorder recorder;
  TesseraProject *project;

  project = open_dir (tmp);
  recorder_init (&recorder, project);

  /* Blocking: the signal is emitted before the call returns. */
  g_assert_true (tessera_project_write (project, "src/app/main.js", hello, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (recorder.events->len, ==, 3);
  g_assert_cmpstr (recorder.events->pdata[0], ==, "created:src");
  g_assert_cmpstr (recorder.events->pdata[1], ==, "created:src/app");
  g_assert_cmpstr (recorder.events->pdata[2], ==, "created:src/app/main.js");

  g_assert_true (tessera_project_write (project, "src/app/main.js", hello, NULL, &error));
  g_assert_cmpstr (recorder.events->pdata[3], ==, "changed:src/app/main.js");

  read = tessera_project_read (project, "src/app/main.js", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (read, NULL), g_bytes_get_size (read), "hello", 5);
  g_clear_pointer (&read, g_bytes_unref);

  read = tessera_project_read (project, "missing.txt", NULL, &error);
  g_assert_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  read = tessera_project_read (project, "src", NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY);
  g_clear_error (&error);
  /* A FIFO must not block the reader forever. */
  {
    g_autofree char *fifo = g_build_filename (tmp, "pipe", NULL);

    g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
    read = tessera_project_read (project, "pipe", NULL, &error);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);
    g_assert_null (read);
    g_clear_error (&error);
  }

  /* Async: the signal comes before the callback. */
  tessera_project_write_async (project, "style.css", hello, NULL, async_done, &result);
  g_assert_cmpuint (recorder_count (&recorder, "created:style.css"), ==, 0);
  wait_result (&result);
  g_assert_cmpuint (recorder_count (&recorder, "created:style.css"), ==, 1);
  g_assert_true (tessera_project_write_finish (project, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  tessera_project_read_async (project, "style.css", NULL, async_done, &result);
  read = tessera_project_read_finish (project, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (read), ==, 5);
  g_clear_object (&result);

  tessera_project_write_async (project, "../x", hello, NULL, async_done, &result);
  assert_refused (tessera_project_write_finish (project, wait_result (&result), &error), &error,
                  TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH);
  g_clear_object (&result);

  /* Rename never replaces. */
  assert_refused (tessera_project_rename (project, "style.css", "src/app/main.js", NULL, &error), &error,
                  TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_EXISTS);
  assert_refused (tessera_project_rename (project, "src", "src/app/inside", NULL, &error), &error,
                  TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH);
  assert_refused (tessera_project_rename (project, "nope", "other", NULL, &error), &error,
                  TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_NOT_FOUND);

  tessera_project_rename_async (project, "style.css", "css/site.css", NULL, async_done, &result);
  g_assert_true (tessera_project_rename_finish (project, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (recorder_count (&recorder, "created:css"), ==, 1);
  g_assert_cmpuint (recorder_count (&recorder, "renamed:style.css>css/site.css"), ==, 1);
  g_assert_true (test_in (tmp, "css/site.css", G_FILE_TEST_IS_REGULAR));

  g_assert_true (tessera_project_make_directory (project, "assets/img", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (recorder_count (&recorder, "created:assets"), ==, 1);
  g_assert_cmpuint (recorder_count (&recorder, "created:assets/img"), ==, 1);
  assert_refused (tessera_project_make_directory (project, "assets/img", &error), &error,
                  TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_EXISTS);

  tessera_project_delete_async (project, "src", FALSE, NULL, async_done, &result);
  g_assert_true (tessera_project_delete_finish (project, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (recorder_count (&recorder, "deleted:src"), ==, 1);
  g_assert_false (test_in (tmp, "src", G_FILE_TEST_EXISTS));

  assert_refused (tessera_project_delete (project, "src", FALSE, NULL, &error), &error,
                  TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_NOT_FOUND);

  /* To the trash (the harness's throwaway HOME holds it). */
  g_assert_true (tessera_project_delete (project, "css/site.css", TRUE, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (recorder_count (&recorder, "deleted:css/site.css"), ==, 1);
  g_assert_false (test_in (tmp, "css/site.css", G_FILE_TEST_EXISTS));

  recorder_clear (&recorder, project);
  g_assert_finalize_object (project);
  remove_tmp (tmp);
}

/* A worker thread's blocking write still signals on the main thread. */

typedef struct
{
  TesseraProject *project;
  GThread        *handler_thread;
  gboolean        seen;
} ThreadData;

static void
on_thread_file_changed (TesseraProject    *project,
                        const char        *path,
                        TesseraFileChange  change,
                        const char        *old_path,
                        ThreadData        *data)
{
  if (g_strcmp0 (path, "from-thread.txt") == 0)
    {
      data->handler_thread = g_thread_self ();
      data->seen = TRUE;
    }
}

static gpointer
write_in_thread (gpointer user_data)
{
  ThreadData *data = user_data;
  g_autoptr(GBytes) contents = bytes ("threaded");
  g_autoptr(GError) error = NULL;

  g_assert_true (tessera_project_write (data->project, "from-thread.txt", contents, NULL, &error));
  g_assert_no_error (error);
  return NULL;
}

static void
test_write_from_thread (void)
{
  g_autofree char *tmp = make_tmp ();
  ThreadData data = { 0 };
  GThread *thread;

  data.project = open_dir (tmp);
  g_signal_connect (data.project, "file-changed", G_CALLBACK (on_thread_file_changed), &data);
  thread = g_thread_new ("writer", write_in_thread, &data);
  g_thread_join (thread);
  g_assert_false (data.seen);
  while (!data.seen)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (data.handler_thread == g_thread_self ());

  g_signal_handlers_disconnect_by_func (data.project, on_thread_file_changed, &data);
  g_assert_finalize_object (data.project);
  remove_tmp (tmp);
}

/* Outside changes */

static void
test_external_changes (void)
{
  g_autofree char *tmp = make_tmp ();
  g_autofree char *path = g_build_filename (tmp, "ext.txt", NULL);
  g_autofree char *renamed = g_build_filename (tmp, "renamed.txt", NULL);
  g_autofree char *deep = g_build_filename (tmp, "d", "e", NULL);
  g_autoptr(GBytes) hello = bytes ("hello");
  g_autoptr(GError) error = NULL;
  Recorder recorder;
  TesseraProject *project;
  FILE *f;

  write_file (tmp, "existing.txt", "x");
  mkdir_in (tmp, "sub");
  project = open_dir (tmp);
  recorder_init (&recorder, project);

  /* Created with stdio, in pieces: reported once as a creation. */
  f = fopen (path, "w");
  g_assert_nonnull (f);
  fputs ("one", f);
  fflush (f);
  fputs ("two", f);
  fclose (f);
  recorder_wait (&recorder, "created:ext.txt");

  /* Edited in place. */
  f = fopen (path, "a");
  fputs ("three", f);
  fclose (f);
  recorder_wait (&recorder, "changed:ext.txt");

  /* Replaced the way editors save (temp file + rename): a change. */
  write_file (tmp, "existing.txt", "edited elsewhere");
  recorder_wait (&recorder, "changed:existing.txt");

  g_assert_cmpint (g_rename (path, renamed), ==, 0);
  recorder_wait (&recorder, "renamed:ext.txt>renamed.txt");

  g_assert_cmpint (g_unlink (renamed), ==, 0);
  recorder_wait (&recorder, "deleted:renamed.txt");

  /* In a subfolder watched from the start, and in brand-new folders. */
  write_file (tmp, "sub/inner.txt", "x");
  recorder_wait (&recorder, "created:sub/inner.txt");
  g_assert_cmpint (g_mkdir_with_parents (deep, 0755), ==, 0);
  write_file (tmp, "d/e/f.txt", "x");
  recorder_wait (&recorder, "created:d/e/f.txt");
  g_assert_cmpuint (recorder_count (&recorder, "created:d"), ==, 1);
  g_assert_cmpuint (recorder_count (&recorder, "created:d/e"), ==, 1);
  write_file (tmp, "d/e/g.txt", "x");
  recorder_wait (&recorder, "created:d/e/g.txt");

  /* Ignored folders are neither watched nor reported; the marker written
   * after them arrives after anything they could have caused. */
  mkdir_in (tmp, "node_modules/pkg");
  write_file (tmp, "node_modules/pkg/index.js", "x");
  write_file (tmp, ".git-not-ignored", "x");
  recorder_wait (&recorder, "created:.git-not-ignored");
  for (guint i = 0; i < recorder.events->len; i++)
    g_assert_null (strstr (recorder.events->pdata[i], "node_modules"));

  /* Our own write is reported once, not again when the monitor sees it. */
  g_assert_true (tessera_project_write (project, "mine.txt", hello, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (tessera_project_write (project, "sub/inner.txt", hello, NULL, &error));
  g_assert_true (tessera_project_rename (project, "existing.txt", "moved.txt", NULL, &error));
  g_assert_no_error (error);
  write_file (tmp, "marker.txt", "x");
  recorder_wait (&recorder, "created:marker.txt");
  g_assert_cmpuint (recorder_count (&recorder, "created:mine.txt"), ==, 1);
  g_assert_cmpuint (recorder_count (&recorder, "changed:mine.txt"), ==, 0);
  g_assert_cmpuint (recorder_count (&recorder, "changed:sub/inner.txt"), ==, 1);
  g_assert_cmpuint (recorder_count (&recorder, "renamed:existing.txt>moved.txt"), ==, 1);
  g_assert_cmpuint (recorder_count (&recorder, "created:moved.txt"), ==, 0);
  g_assert_cmpuint (recorder_count (&recorder, "changed:moved.txt"), ==, 0);
  g_assert_cmpuint (recorder_count (&recorder, "deleted:existing.txt"), ==, 0);

  /* Folders renamed, by us and from outside, stay watched under their
   * new names. */
  g_assert_true (tessera_project_rename (project, "d", "dd", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (recorder_count (&recorder, "renamed:d>dd"), ==, 1);
  write_file (tmp, "dd/e/h.txt", "x");
  recorder_wait (&recorder, "created:dd/e/h.txt");
  {
    g_autofree char *from = g_build_filename (tmp, "sub", NULL);
    g_autofree char *to = g_build_filename (tmp, "sub2", NULL);

    g_assert_cmpint (g_rename (from, to), ==, 0);
    recorder_wait (&recorder, "renamed:sub>sub2");
    write_file (tmp, "sub2/z.txt", "x");
    recorder_wait (&recorder, "created:sub2/z.txt");
    write_file (tmp, "sub2/inner.txt", "changed again");
    recorder_wait (&recorder, "changed:sub2/inner.txt");
  }

  /* A folder deleted from outside. */
  {
    g_autofree char *dd_e = g_build_filename (tmp, "dd", "e", NULL);

    g_assert_true (tessera_path_remove_tree (dd_e, "dd/e", NULL, &error));
    g_assert_no_error (error);
    recorder_wait (&recorder, "deleted:dd/e");
  }

  recorder_clear (&recorder, project);
  g_assert_finalize_object (project);
  remove_tmp (tmp);
}

/* Ignore rules */

static void
test_ignored (void)
{
  g_autofree char *tmp = make_tmp ();
  TesseraProject *project;

  write_file (tmp, ".gitignore",
              "# build output\n"
              "dist/\n"
              "*.log\n"
              "!keep.log\n"
              "/root-only.txt\n"
              "docs/*.tmp\n"
              "**/cache\n"
              "secret?.env\n"
              "\n"
              "coverage/**\n");
  project = open_dir (tmp);

  g_assert_true (tessera_project_is_ignored (project, ".git", TRUE));
  g_assert_true (tessera_project_is_ignored (project, ".git/config", FALSE));
  g_assert_true (tessera_project_is_ignored (project, ".tessera", TRUE));
  g_assert_true (tessera_project_is_ignored (project, ".tessera/drafts/a", FALSE));
  g_assert_true (tessera_project_is_ignored (project, "node_modules", TRUE));
  g_assert_true (tessera_project_is_ignored (project, "web/node_modules/x/y.js", FALSE));
  g_assert_false (tessera_project_is_ignored (project, ".gitignore", FALSE));
  g_assert_false (tessera_project_is_ignored (project, "index.html", FALSE));
  g_assert_false (tessera_project_is_ignored (project, "node_modules.txt", FALSE));

  g_assert_true (tessera_project_is_ignored (project, "dist", TRUE));
  g_assert_false (tessera_project_is_ignored (project, "dist", FALSE));
  g_assert_true (tessera_project_is_ignored (project, "dist/app.js", FALSE));
  g_assert_true (tessera_project_is_ignored (project, "web/dist/app.js", FALSE));
  g_assert_true (tessera_project_is_ignored (project, "error.log", FALSE));
  g_assert_true (tessera_project_is_ignored (project, "logs/deep/error.log", FALSE));
  g_assert_false (tessera_project_is_ignored (project, "keep.log", FALSE));
  g_assert_true (tessera_project_is_ignored (project, "root-only.txt", FALSE));
  g_assert_false (tessera_project_is_ignored (project, "sub/root-only.txt", FALSE));
  g_assert_true (tessera_project_is_ignored (project, "docs/a.tmp", FALSE));
  g_assert_false (tessera_project_is_ignored (project, "docs/deep/a.tmp", FALSE));
  g_assert_false (tessera_project_is_ignored (project, "other/docs/a.tmp", FALSE));
  g_assert_true (tessera_project_is_ignored (project, "a/b/cache", TRUE));
  g_assert_true (tessera_project_is_ignored (project, "a/b/cache/x", FALSE));
  g_assert_true (tessera_project_is_ignored (project, "secret1.env", FALSE));
  g_assert_false (tessera_project_is_ignored (project, "secret10.env", FALSE));
  g_assert_true (tessera_project_is_ignored (project, "coverage/index.html", FALSE));

  /* Rules follow .gitignore when it changes through the project. */
  {
    g_autoptr(GBytes) rules = bytes ("*.html\n");
    g_autoptr(GError) error = NULL;

    g_assert_true (tessera_project_write (project, ".gitignore", rules, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (tessera_project_is_ignored (project, "index.html", FALSE));
    g_assert_false (tessera_project_is_ignored (project, "error.log", FALSE));
  }

  g_assert_finalize_object (project);
  remove_tmp (tmp);
}

static void
test_state_dir (void)
{
  g_autofree char *tmp = make_tmp ();
  g_autofree char *state = g_build_filename (tmp, ".tessera", NULL);
  TesseraProject *project;
  GFile *dir;

  project = open_dir (tmp);
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
  dir = tessera_project_get_state_dir (project);
  g_assert_nonnull (dir);
  g_assert_true (g_file_test (state, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_equal (dir, tessera_project_get_state_dir (project)));
  g_assert_finalize_object (project);

  /* The state folder is never mistaken for a manifest. */
  project = open_dir (tmp);
  g_assert_finalize_object (project);
  remove_tmp (tmp);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/project/manifest/roundtrip", test_manifest_roundtrip);
  g_test_add_func ("/project/manifest/adopt-folder", test_manifest_adopt_folder);
  g_test_add_func ("/project/manifest/corrupt", test_manifest_corrupt);
  g_test_add_func ("/project/manifest/future", test_manifest_future);
  g_test_add_func ("/project/create", test_create);
  g_test_add_func ("/project/open-errors", test_open_errors);
  g_test_add_func ("/project/resolve/confinement", test_resolve);
  g_test_add_func ("/project/resolve/symlinked-root", test_resolve_symlinked_root);
  g_test_add_func ("/project/write/failure-keeps-old", test_write_failure_keeps_old);
  g_test_add_func ("/project/write/cancelled-midway", test_write_cancelled_midway);
  g_test_add_func ("/project/write/keeps-mode", test_write_keeps_mode);
  g_test_add_func ("/project/operations", test_operations);
  g_test_add_func ("/project/write/from-thread", test_write_from_thread);
  g_test_add_func ("/project/write/no-follow-after-check", test_no_follow_after_check);
  g_test_add_func ("/project/monitor/external", test_external_changes);
  g_test_add_func ("/project/ignored", test_ignored);
  g_test_add_func ("/project/state-dir", test_state_dir);

  return g_test_run ();
}
