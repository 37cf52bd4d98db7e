/* test-edit-applier.c: SEARCH/REPLACE matching, strict and tolerant
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "tessera-edit-applier.h"

static const char source[] =
  "function greet (name) {\n"
  "  const message = 'Hello, ' + name;\n"
  "  console.log(message);\n"
  "  return message;\n"
  "}\n"
  "\n"
  "function part () {\n"
  "  return 1;\n"
  "}\n"
  "\n"
  "function other () {\n"
  "  return 1;\n"
  "}\n";

static TesseraEditBlock *
block_new (const char *search,
           const char *replace)
{
  TesseraEditBlock *block = g_new0 (TesseraEditBlock, 1);

  block->search = g_strdup (search);
  block->search_len = strlen (search);
  block->replace = g_strdup (replace);
  block->replace_len = strlen (replace);
  return block;
}

static char *
apply_one (const char  *text,
           const char  *search,
           const char  *replace,
           gboolean    *fuzzy,
           GError     **error)
{
  g_autoptr(TesseraEditApplier) applier = tessera_edit_applier_new (text, strlen (text));
  TesseraEditBlock *block = block_new (search, replace);
  gboolean ok = tessera_edit_applier_apply_block (applier, block, 0, 1, error);
  char *result = NULL;

  if (fuzzy != NULL)
    *fuzzy = tessera_edit_applier_get_fuzzy (applier);
  tessera_edit_block_free (block);
  if (ok)
    result = g_strdup (tessera_edit_applier_get_text (applier, NULL));
  else
    /* A failed block leaves the text as it was. */
    g_assert_cmpstr (tessera_edit_applier_get_text (applier, NULL), ==, text);
  return result;
}

static void
test_exact (void)
{
  g_autoptr(GError) error = NULL;
  gboolean fuzzy = TRUE;
  g_autofree char *result = apply_one (source, "  console.log(message);\n", "  console.info(message);\n", &fuzzy, &error);

  g_assert_no_error (error);
  g_assert_false (fuzzy);
  g_assert_nonnull (strstr (result, "  console.info(message);\n  return message;"));
  g_assert_null (strstr (result, "console.log"));
  g_assert_cmpuint (strlen (result), ==, strlen (source) + 1);
}

static void
test_fuzzy_indentation (void)
{
  g_autoptr(GError) error = NULL;
  gboolean fuzzy = FALSE;
  /* The model dropped the indentation and left trailing spaces. */
  g_autofree char *result = apply_one (source,
                                       "const message = 'Hello, ' + name;  \nconsole.log(message);\n",
                                       "const message = `Hi, ${name}`;\nif (name)\n  console.log(message);\n",
                                       &fuzzy, &error);

  g_assert_no_error (error);
  g_assert_true (fuzzy);
  /* The replacement takes the file's indentation. */
  g_assert_nonnull (strstr (result,
                            "function greet (name) {\n"
                            "  const message = `Hi, ${name}`;\n"
                            "  if (name)\n"
                            "    console.log(message);\n"
                            "  return message;\n"));
}

static void
test_fuzzy_crlf (void)
{
  g_autoptr(GError) error = NULL;
  gboolean fuzzy = FALSE;
  g_autofree char *result = apply_one ("a = 1;\r\nb = 2;\r\nc = 3;\r\n", "b = 2;\nc = 3;\n", "b = 20;\nc = 30;\n", &fuzzy, &error);

  g_assert_no_error (error);
  g_assert_true (fuzzy);
  g_assert_cmpstr (result, ==, "a = 1;\r\nb = 20;\nc = 30;\n");
}

static void
test_ambiguous (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *result = apply_one (source, "  return 1;\n", "  return 2;\n", NULL, &error);

  g_assert_null (result);
  g_assert_error (error, TESSERA_EDIT_ERROR, TESSERA_EDIT_ERROR_AMBIGUOUS);
  g_assert_nonnull (strstr (error->message, "Block 1 of 1"));
  g_assert_nonnull (strstr (error->message, "matched 2 places"));
}

static void
test_ambiguous_fuzzy (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *result = apply_one (source, "return 1;\n  }\n", "return 3;\n}\n", NULL, &error);

  g_assert_null (result);
  g_assert_error (error, TESSERA_EDIT_ERROR, TESSERA_EDIT_ERROR_AMBIGUOUS);
  g_assert_nonnull (strstr (error->message, "matched 2 places (at lines 8, 12)"));
}

static void
test_no_match (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *result = apply_one (source, "  console.log(msg);\n", "  console.warn(msg);\n", NULL, &error);

  g_assert_null (result);
  g_assert_error (error, TESSERA_EDIT_ERROR, TESSERA_EDIT_ERROR_NO_MATCH);
  g_assert_nonnull (strstr (error->message, "matched 0 places"));
  g_assert_nonnull (strstr (error->message, "line 3: “  console.log(message);”"));
}

static void
test_no_match_nothing_alike (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *result = apply_one (source, "zzz\n", "y\n", NULL, &error);

  g_assert_null (result);
  g_assert_error (error, TESSERA_EDIT_ERROR, TESSERA_EDIT_ERROR_NO_MATCH);
  g_assert_nonnull (strstr (error->message, "no line of the file resembles it"));
}

static void
test_empty_search (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *created = apply_one ("", "", "new file\n", NULL, &error);
  g_autofree char *refused = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (created, ==, "new file\n");

  refused = apply_one (source, "\n", "x\n", NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, TESSERA_EDIT_ERROR, TESSERA_EDIT_ERROR_MALFORMED);
}

static void
test_apply_all (void)
{
  g_autoptr(TesseraEditApplier) applier = tessera_edit_applier_new (source, strlen (source));
  g_autoptr(GPtrArray) blocks = g_ptr_array_new_with_free_func ((GDestroyNotify)tessera_edit_block_free);
  g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func (g_free);
  const char *text;

  g_ptr_array_add (blocks, block_new ("function part () {\n", "function piece () {\n"));
  g_ptr_array_add (blocks, block_new ("nothing like it\n", "x\n"));
  /* Blocks apply in order: this one sees the first one's result. */
  g_ptr_array_add (blocks, block_new ("function piece () {\n  return 1;\n", "function piece () {\n  return 5;\n"));

  g_assert_cmpuint (tessera_edit_applier_apply_all (applier, blocks, failures), ==, 2);
  g_assert_cmpuint (failures->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (failures, 0), "Block 2 of 3"));
  text = tessera_edit_applier_get_text (applier, NULL);
  g_assert_nonnull (strstr (text, "function piece () {\n  return 5;\n}"));
  g_assert_nonnull (strstr (text, "function other () {\n  return 1;\n}"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/protocol/edit/exact", test_exact);
  g_test_add_func ("/protocol/edit/fuzzy-indentation", test_fuzzy_indentation);
  g_test_add_func ("/protocol/edit/fuzzy-crlf", test_fuzzy_crlf);
  g_test_add_func ("/protocol/edit/ambiguous", test_ambiguous);
  g_test_add_func ("/protocol/edit/ambiguous-fuzzy", test_ambiguous_fuzzy);
  g_test_add_func ("/protocol/edit/no-match", test_no_match);
  g_test_add_func ("/protocol/edit/no-match-nothing-alike", test_no_match_nothing_alike);
  g_test_add_func ("/protocol/edit/empty-search", test_empty_search);
  g_test_add_func ("/protocol/edit/apply-all", test_apply_all);

  return g_test_run ();
}
