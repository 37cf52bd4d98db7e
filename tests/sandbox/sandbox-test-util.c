/* sandbox-test-util.c: helpers the sandbox layer's tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "sandbox-test-util.h"

/* Tests that need a tool the machine lacks skip instead of failing. */
gboolean
sandbox_test_have_program (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);

  return path != NULL;
}

void
sandbox_test_write_file (const char *dir,
                         const char *name,
                         const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* Never follows links: a test may plant one pointing outside its folder. */
void
sandbox_test_remove_tree (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) enumerator = NULL;

  if (g_file_query_file_type (file, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL) == G_FILE_TYPE_DIRECTORY)
    {
      enumerator = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                              G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
      while (enumerator != NULL)
        {
          GFile *child = NULL;
          g_autofree char *child_path = NULL;

          if (!g_file_enumerator_iterate (enumerator, NULL, &child, NULL, NULL) || child == NULL)
            break;
          child_path = g_file_get_path (child);
          sandbox_test_remove_tree (child_path);
        }
    }

  g_file_delete (file, NULL, NULL);
}

/* An async callback that keeps the result in the GAsyncResult* that
 * @user_data points to, for sandbox_test_wait_result(). */
void
sandbox_test_store_result (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static gboolean
wait_timed_out_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

GAsyncResult *
sandbox_test_wait_result (GAsyncResult **slot)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (60, wait_timed_out_cb, &timed_out);

  /* A clear failure rather than the test runner's kill. */
  while (*slot == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (*slot == NULL)
    g_error ("an asynchronous sandbox call did not finish within 60 s");
  g_source_remove (id);

  return *slot;
}
