/* fuzz-resolve.c: path confinement against hostile paths
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A libFuzzer target (LLVMFuzzerTestOneInput), and with
 * -DTESSERA_FUZZ_STANDALONE a deterministic driver that throws a few
 * hundred thousand generated paths at the same checks (a meson test of the
 * project layer). The fixture is a project whose folder contains symlinks
 * that stay inside, leave it, dangle and loop.
 *
 * Invariants: a path that tessera_path_normalize() accepts is relative,
 * clean and short enough; a path that tessera_project_resolve_len() accepts
 * names a file under the root whose deepest existing ancestor, with every
 * symlink resolved, is still under the real root.
 */

#define G_LOG_DOMAIN "fuzz-resolve"

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tessera-path.h"
#include "tessera-project.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static TesseraProject *project;
static char *root_real;
static char *fixture;

static void
make_link (const char *target,
           const char *name)
{
  g_autofree char *path = g_build_filename (fixture, "root", name, NULL);

  if (symlink (target, path) != 0)
    g_error ("symlink %s: %s", name, g_strerror (errno));
}

static void
setup (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = NULL;
  g_autofree char *deep = NULL;
  g_autoptr(GFile) location = NULL;

  fixture = g_dir_make_tmp ("tessera-fuzz-XXXXXX", &error);
  g_assert_no_error (error);
  root = g_build_filename (fixture, "root", NULL);
  deep = g_build_filename (root, "a", "b", NULL);
  g_assert_cmpint (g_mkdir_with_parents (deep, 0755), ==, 0);
  {
    g_autofree char *file = g_build_filename (deep, "c.txt", NULL);
    g_autofree char *outside = g_build_filename (fixture, "secret", NULL);

    g_file_set_contents (file, "c", -1, &error);
    g_assert_no_error (error);
    g_file_set_contents (outside, "s", -1, &error);
    g_assert_no_error (error);
  }

  make_link ("a", "in");
  make_link ("a/b/c.txt", "file");
  make_link ("/", "out");
  make_link ("..", "up");
  make_link ("../secret", "secret");
  make_link ("loop", "loop");
  make_link ("/nonexistent/tessera-fuzz", "dang");
  make_link ("../..", "a/deep");
  make_link (".", "a/self");
  make_link ("../../root/a", "a/b/back");

  location = g_file_new_for_path (root);
  project = tessera_project_open (location, NULL, &error);
  g_assert_no_error (error);
  root_real = realpath (root, NULL);
  g_assert_nonnull (root_real);
}

static void
check_normalized (const char *rel)
{
  g_auto(GStrv) parts = g_strsplit (rel, "/", -1);

  g_assert_cmpuint (strlen (rel), <, PATH_MAX);
  g_assert_true (rel[0] != '/' && rel[0] != '\0');
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_assert_cmpstr (parts[i], !=, "");
      g_assert_cmpstr (parts[i], !=, ".");
      g_assert_cmpstr (parts[i], !=, "..");
      g_assert_cmpuint (strlen (parts[i]), <=, NAME_MAX);
    }
}

static void
check_one (const char *data,
           gsize       size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  g_autofree char *rel = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;
  gboolean normalized;

  normalized = tessera_path_normalize (data, size, &rel, &error);
  if (!normalized)
    {
      g_assert_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      g_assert_null (rel);
    }
  else
    {
      g_assert_no_error (error);
      check_normalized (rel);
    }

  file = tessera_project_resolve_len (project, data, size, &error2);
  if (file == NULL)
    {
      g_assert_error (error2, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH);
      return;
    }

  g_assert_true (normalized);
  path = g_file_get_path (file);
  {
    g_autofree char *back = tessera_project_get_relative_path (project, file);

    g_assert_cmpstr (back, ==, rel);
  }

  /* The deepest existing ancestor, symlinks resolved, is inside. */
  for (;;)
    {
      g_autofree char *real = realpath (path, NULL);
      char *slash;

      if (real != NULL)
        {
          if (!tessera_path_is_inside (root_real, real))
            g_error ("“%s” escaped to “%s”", rel, real);
          break;
        }
      slash = strrchr (path, '/');
      g_assert_nonnull (slash);
      *slash = '\0';
    }
}

static void
remove_fixture (void)
{
  if (fixture != NULL)
    tessera_path_remove_tree (fixture, fixture, NULL, NULL);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  setup ();
  /* libFuzzer exits without a teardown hook. */
  atexit (remove_fixture);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  check_one ((const char *) data, size);
  return 0;
}

#ifdef TESSERA_FUZZ_STANDALONE

static const char * const tokens[] = {
  "a", "b", "c.txt", "in", "file", "out", "up", "secret", "loop", "dang", "deep",
  "self", "back", "x", ".", "..", "...", "/", "/", "/", "//", "\\", "\\..", "~",
  "%2e%2e", "\xc0\xae", "\xff", " ", "\n", "etc", "passwd", ".tessera", ".git",
  "node_modules",
};

static void
test_generated_paths (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261122);
  g_autoptr(GString) buffer = g_string_new (NULL);
  g_autofree char *long_name = g_strnfill (NAME_MAX + 1, 'n');
  guint iterations = 50000;

  if (g_getenv ("TESSERA_FUZZ_ITERATIONS"))
    iterations = atoi (g_getenv ("TESSERA_FUZZ_ITERATIONS"));

  setup ();
  g_test_message ("fixture in %s, %u paths", fixture, iterations);

  for (guint i = 0; i < iterations; i++)
    {
      guint n = g_rand_int_range (rand, 1, 9);

      g_string_truncate (buffer, 0);
      for (guint j = 0; j < n; j++)
        {
          guint pick = g_rand_int_range (rand, 0, 100);

          if (pick < 80)
            g_string_append (buffer, tokens[g_rand_int_range (rand, 0, G_N_ELEMENTS (tokens))]);
          else if (pick < 85)
            g_string_append_c (buffer, '\0');
          else if (pick < 87)
            g_string_append (buffer, long_name);
          else
            g_string_append_c (buffer, (char) g_rand_int_range (rand, 1, 256));
          if (g_rand_int_range (rand, 0, 3) != 0)
            g_string_append_c (buffer, '/');
        }
      check_one (buffer->str, buffer->len);
    }

  g_assert_finalize_object (g_steal_pointer (&project));
  {
    g_autoptr(GError) error = NULL;

    tessera_path_remove_tree (fixture, fixture, NULL, &error);
    g_assert_no_error (error);
  }
  g_clear_pointer (&fixture, g_free);
  g_clear_pointer (&root_real, free);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fuzz/resolve", test_generated_paths);
  return g_test_run ();
}

#endif
