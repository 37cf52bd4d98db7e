/* test-diff.c: unified diffs, checked against GNU diff itself
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "tessera-diff.h"

/* Where the texts go for diff to read. */
static char *path_a;
static char *path_b;

/* What `diff -U @context` prints for the two texts, without its two
 * header lines, as the text a chat can show. */
static char *
gnu_diff (const char *before,
          gsize       before_len,
          const char *after,
          gsize       after_len,
          guint       context)
{
  g_autofree char *unified = g_strdup_printf ("-U%u", context);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GBytes) output = NULL;
  g_autoptr(GError) error = NULL;
  const char *data, *end, *hunks;
  gsize len;

  g_file_set_contents (path_a, before, before_len, &error);
  g_assert_no_error (error);
  g_file_set_contents (path_b, after, after_len, &error);
  g_assert_no_error (error);

  /* English, and text however binary the bytes look. */
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, "/usr/bin/diff", "-a", unified, path_a, path_b, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate (process, NULL, NULL, &output, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), <=, 1);

  data = g_bytes_get_data (output, &len);
  if (len == 0)
    return NULL;
  end = data + len;
  hunks = (const char *)memchr (data, '\n', len) + 1;
  g_assert_true (g_str_has_prefix (data, "--- "));
  g_assert_true (g_str_has_prefix (hunks, "+++ "));
  hunks = (const char *)memchr (hunks, '\n', end - hunks) + 1;
  return g_utf8_make_valid (hunks, end - hunks);
}

static void
assert_like_gnu_len (const char *before,
                     gsize       before_len,
                     const char *after,
                     gsize       after_len,
                     guint       context)
{
  g_autofree char *expected = gnu_diff (before, before_len, after, after_len, context);
  g_autofree char *diff = tessera_diff_unified (before, before_len, after, after_len, context, NULL, NULL);

  g_assert_cmpstr (diff, ==, expected);
}

static void
assert_like_gnu (const char *before,
                 const char *after)
{
  assert_like_gnu_len (before, strlen (before), after, strlen (after), 3);
}

/* "line 1\n" to "line @n\n". */
static GString *
numbered (guint n)
{
  GString *text = g_string_new (NULL);

  for (guint i = 1; i <= n; i++)
    g_string_append_printf (text, "line %u\n", i);
  return text;
}

/* @text with its line @line (from 1) replaced by @replacement, which may
 * be several lines or none. */
static void
replace_line (GString    *text,
              guint       line,
              const char *replacement)
{
  const char *start = text->str;
  const char *end;

  for (guint i = 1; i < line; i++)
    start = strchr (start, '\n') + 1;
  end = strchr (start, '\n') + 1;
  g_string_erase (text, start - text->str, end - start);
  g_string_insert (text, start - text->str, replacement);
}

static void
test_identical (void)
{
  g_autoptr(GString) text = numbered (20);
  guint added = 1, removed = 1;

  g_assert_null (tessera_diff_unified (text->str, text->len, text->str, text->len, 3, &added, &removed));
  g_assert_cmpuint (added, ==, 0);
  g_assert_cmpuint (removed, ==, 0);
  g_assert_null (tessera_diff_unified (NULL, 0, "", 0, 3, &added, &removed));
  g_assert_cmpuint (added, ==, 0);
  g_assert_cmpuint (removed, ==, 0);
  assert_like_gnu (text->str, text->str);
}

static void
test_new_and_deleted (void)
{
  g_autoptr(GString) text = numbered (5);
  g_autofree char *created = tessera_diff_unified (NULL, 0, text->str, text->len, 3, NULL, NULL);

  g_assert_true (g_str_has_prefix (created, "@@ -0,0 +1,5 @@\n+line 1\n"));
  assert_like_gnu ("", text->str);
  assert_like_gnu (text->str, "");
  assert_like_gnu ("", "one line\n");
  assert_like_gnu ("one line\n", "");
  assert_like_gnu ("", "no newline");
  assert_like_gnu ("no newline", "");
}

static void
test_middle_change (void)
{
  g_autoptr(GString) before = numbered (200);
  g_autoptr(GString) after = numbered (200);
  guint added, removed;
  g_autofree char *diff = NULL;

  replace_line (after, 100, "line one hundred\n");
  diff = tessera_diff_unified (before->str, before->len, after->str, after->len, 3, &added, &removed);
  g_assert_cmpstr (diff, ==,
                   "@@ -97,7 +97,7 @@\n"
                   " line 97\n line 98\n line 99\n"
                   "-line 100\n"
                   "+line one hundred\n"
                   " line 101\n line 102\n line 103\n");
  g_assert_cmpuint (added, ==, 1);
  g_assert_cmpuint (removed, ==, 1);
  assert_like_gnu (before->str, after->str);
}

static void
test_start_and_end (void)
{
  g_autoptr(GString) before = numbered (10);
  g_autoptr(GString) at_start = g_string_new ("first\nsecond\n");
  g_autoptr(GString) at_end = numbered (10);
  g_autoptr(GString) changed_ends = numbered (10);

  g_string_append (at_start, before->str);
  g_string_append (at_end, "eleven\n");
  replace_line (changed_ends, 1, "");
  replace_line (changed_ends, 9, "");
  g_string_append (changed_ends, "last\n");

  assert_like_gnu (before->str, at_start->str);
  assert_like_gnu (at_start->str, before->str);
  assert_like_gnu (before->str, at_end->str);
  assert_like_gnu (at_end->str, before->str);
  assert_like_gnu (before->str, changed_ends->str);
}

static void
test_hunks (void)
{
  /* Two changes with 7 unchanged lines between them make two hunks; with
   * 6, their 3 lines of context meet and make one. */
  static const struct { guint first, second; guint n_hunks; } cases[] = {
    { 10, 40, 2 },
    { 10, 18, 2 },
    { 10, 17, 1 },
    { 10, 12, 1 },
    { 2, 48, 2 },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(GString) before = numbered (50);
      g_autoptr(GString) after = numbered (50);
      g_autofree char *diff = NULL;
      guint n_hunks = 0;

      replace_line (after, cases[c].first, "changed\n");
      replace_line (after, cases[c].second, "also\nchanged\n");
      diff = tessera_diff_unified (before->str, before->len, after->str, after->len, 3, NULL, NULL);
      for (const char *p = diff; (p = strstr (p, "@@ -")) != NULL; p++)
        n_hunks++;
      g_assert_cmpuint (n_hunks, ==, cases[c].n_hunks);
      assert_like_gnu (before->str, after->str);
      for (guint context = 0; context < 6; context++)
        assert_like_gnu_len (before->str, before->len, after->str, after->len, context);
    }
}

static void
test_no_newline (void)
{
  g_autofree char *diff = tessera_diff_unified ("a\nb", 3, "a\nb\n", 4, 3, NULL, NULL);

  g_assert_cmpstr (diff, ==, "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
  assert_like_gnu ("a\nb", "a\nb\n");
  assert_like_gnu ("a\nb\n", "a\nb");
  assert_like_gnu ("a\nb", "a\nc");
  assert_like_gnu ("x\na\nb", "y\na\nb");
  assert_like_gnu ("1\n2\n3\n4\n5\n6\n7\n8\n9", "0\n2\n3\n4\n5\n6\n7\n8\n9");
  assert_like_gnu ("1\n2\n3\n4\n5\n6\n7\n8\n9", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10");
}

static void
test_crlf_and_empty_lines (void)
{
  assert_like_gnu ("one\r\ntwo\r\nthree\r\n", "one\r\n2\r\nthree\r\n");
  assert_like_gnu ("one\r\ntwo\r\nthree\r\n", "one\ntwo\nthree\n");
  assert_like_gnu ("one\r\ntwo\r\n", "one\r\ntwo\r\n\r\n");
  assert_like_gnu ("a\n\n\nb\n\n", "a\n\nb\n\n\n\nc\n");
  assert_like_gnu ("\n\n\n", "\n\n\n\n\n");
  assert_like_gnu ("\n", "");
  assert_like_gnu ("x\n\n}\n\n}\n}\n\ny\n", "x\n}\n\n}\n\n}\n}\n\ny\n");
}

static void
test_large (void)
{
  g_autoptr(GString) before = numbered (5000);
  g_autoptr(GString) after = numbered (5000);
  guint added, removed;
  g_autofree char *diff = NULL;

  /* From the end, so that the line numbers still hold. */
  for (guint i = 50; i > 0; i--)
    {
      guint line = i * 97 + (i % 7) * 3;

      if (i % 3 == 0)
        replace_line (after, line, "");
      else if (i % 3 == 1)
        replace_line (after, line, "changed\n");
      else
        replace_line (after, line, "added\nbefore\nline\n");
    }
  diff = tessera_diff_unified (before->str, before->len, after->str, after->len, 3, &added, &removed);
  g_assert_cmpuint (removed, ==, 50);
  g_assert_cmpuint (added, ==, 17 * 1 + 17 * 3);
  assert_like_gnu (before->str, after->str);
}

static void
test_counts (void)
{
  guint added, removed;
  g_autofree char *diff = tessera_diff_unified ("a\nb\nc\nd\n", 8, "a\nB\nC\nd\ne\nf\n", 12, 0, &added, &removed);

  g_assert_cmpuint (added, ==, 4);
  g_assert_cmpuint (removed, ==, 2);
  g_assert_cmpstr (diff, ==, "@@ -2,2 +2,2 @@\n-b\n-c\n+B\n+C\n@@ -4,0 +5,2 @@\n+e\n+f\n");
  /* Either count may be left out. */
  g_clear_pointer (&diff, g_free);
  diff = tessera_diff_unified ("a\n", 2, "b\n", 2, 3, NULL, &removed);
  g_assert_cmpuint (removed, ==, 1);
}

static void
test_size_cap (void)
{
  g_autoptr(GString) after = g_string_new (NULL);
  g_autofree char *diff = NULL;
  const char *note;
  guint added, removed;

  for (guint i = 0; i < 20000; i++)
    g_string_append_printf (after, "const value%05u = 'a line of some forty bytes';\n", i);
  diff = tessera_diff_unified ("old\n", 4, after->str, after->len, 3, &added, &removed);
  g_assert_cmpuint (added, ==, 20000);
  g_assert_cmpuint (removed, ==, 1);

  /* Whole lines up to the cap, then the note. */
  note = strrchr (diff, '\n');
  while (note > diff && note[-1] != '\n')
    note--;
  g_assert_cmpstr (note, ==, "… (the rest of the changes are left out)\n");
  g_assert_cmpuint (note - diff, <=, TESSERA_DIFF_MAX_BYTES);
  g_assert_cmpuint (note - diff, >, TESSERA_DIFF_MAX_BYTES - 100);
  g_assert_true (g_str_has_prefix (diff, "@@ -1 +1,20000 @@\n-old\n+const value00000"));
}

static void
test_work_cap (void)
{
  g_autoptr(GString) before = g_string_new ("header\n");
  g_autoptr(GString) after = g_string_new ("header\n");
  g_autoptr(GString) reversed = g_string_new ("header\n");
  g_autofree char *diff = NULL;
  guint added, removed;

  for (guint i = 0; i < 30000; i++)
    {
      g_string_append_printf (before, "before %u\n", i);
      g_string_append_printf (after, "after %u\n", i);
      g_string_append_printf (reversed, "before %u\n", 29999 - i);
    }
  g_string_append (before, "footer\n");
  g_string_append (after, "footer\n");
  g_string_append (reversed, "footer\n");

  /* Nothing in common. */
  diff = tessera_diff_unified (before->str, before->len, after->str, after->len, 3, &added, &removed);
  g_assert_cmpuint (added, ==, 30000);
  g_assert_cmpuint (removed, ==, 30000);
  g_assert_true (g_str_has_prefix (diff, "@@ -1,30002 +1,30002 @@\n header\n-before 0\n"));
  g_clear_pointer (&diff, g_free);

  /* All in common, in an order that would take some 60,000 edits to
   * follow: the comparison gives up, and all of the middle goes. */
  diff = tessera_diff_unified (before->str, before->len, reversed->str, reversed->len, 3, &added, &removed);
  g_assert_cmpuint (added, ==, 30000);
  g_assert_cmpuint (removed, ==, 30000);
  g_assert_true (g_str_has_prefix (diff, "@@ -1,30002 +1,30002 @@\n header\n-before 0\n-before 1\n"));
}

static void
test_bytes (void)
{
  static const char before[] = "text\nnul \0 here\nlatin-1 caf\xe9\nend\n";
  static const char after[] = "text\nnul \0 there\nlatin-1 caf\xe9\n\xff\xfe\nend";
  g_autofree char *diff = tessera_diff_unified (before, sizeof before - 1, after, sizeof after - 1, 3, NULL, NULL);

  g_assert_true (g_utf8_validate (diff, -1, NULL));
  g_assert_nonnull (strstr (diff, "-nul \xef\xbf\xbd here\n+nul \xef\xbf\xbd there\n"));
  assert_like_gnu_len (before, sizeof before - 1, after, sizeof after - 1, 3);
}

/* Code-like lines, many of them alike, as models write them. */
static char *
random_line (void)
{
  static const char *common[] = { "", "}", "  }", "{", "  return 0;", "\t}\r", "end" };

  if (g_test_rand_int_range (0, 10) < 4)
    return g_strdup (common[g_test_rand_int_range (0, G_N_ELEMENTS (common))]);
  return g_strdup_printf ("  value = %d;", g_test_rand_int_range (0, 1000));
}

static char *
join_lines (GPtrArray *lines)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (text, "%s\n", (const char *)g_ptr_array_index (lines, i));
  /* Now and then without the last newline. */
  if (text->len > 0 && g_test_rand_int_range (0, 5) == 0)
    g_string_truncate (text, text->len - 1);
  return g_string_free (text, FALSE);
}

static void
test_random (void)
{
  for (guint round = 0; round < 200; round++)
    {
      g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *before = NULL;
      g_autofree char *after = NULL;
      guint n_mutations = g_test_rand_int_range (1, 9);

      for (guint i = 0; i < 100; i++)
        g_ptr_array_add (lines, random_line ());
      before = join_lines (lines);

      for (guint m = 0; m < n_mutations && lines->len > 0; m++)
        {
          guint at = g_test_rand_int_range (0, lines->len);

          switch (g_test_rand_int_range (0, 5))
            {
            case 0:
              g_ptr_array_remove_index (lines, at);
              break;
            case 1:
              g_ptr_array_insert (lines, at, random_line ());
              break;
            case 2:
              g_free (g_ptr_array_index (lines, at));
              g_ptr_array_index (lines, at) = random_line ();
              break;
            case 3:
              g_ptr_array_insert (lines, at, g_strdup (g_ptr_array_index (lines, at)));
              break;
            default:
              /* A few lines moved elsewhere. */
              for (guint k = 0; k < 3 && at < lines->len; k++)
                {
                  gpointer line = g_ptr_array_steal_index (lines, at);

                  g_ptr_array_insert (lines, g_test_rand_int_range (0, lines->len + 1), line);
                }
              break;
            }
        }
      after = join_lines (lines);

      assert_like_gnu_len (before, strlen (before), after, strlen (after), g_test_rand_int_range (0, 6));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp_dir = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  tmp_dir = g_dir_make_tmp ("tessera-diff-XXXXXX", &error);
  g_assert_no_error (error);
  path_a = g_build_filename (tmp_dir, "a", NULL);
  path_b = g_build_filename (tmp_dir, "b", NULL);

  g_test_add_func ("/protocol/diff/identical", test_identical);
  g_test_add_func ("/protocol/diff/new-and-deleted", test_new_and_deleted);
  g_test_add_func ("/protocol/diff/middle-change", test_middle_change);
  g_test_add_func ("/protocol/diff/start-and-end", test_start_and_end);
  g_test_add_func ("/protocol/diff/hunks", test_hunks);
  g_test_add_func ("/protocol/diff/no-newline", test_no_newline);
  g_test_add_func ("/protocol/diff/crlf-and-empty-lines", test_crlf_and_empty_lines);
  g_test_add_func ("/protocol/diff/large", test_large);
  g_test_add_func ("/protocol/diff/counts", test_counts);
  g_test_add_func ("/protocol/diff/size-cap", test_size_cap);
  g_test_add_func ("/protocol/diff/work-cap", test_work_cap);
  g_test_add_func ("/protocol/diff/bytes", test_bytes);
  g_test_add_func ("/protocol/diff/random", test_random);

  status = g_test_run ();

  g_unlink (path_a);
  g_unlink (path_b);
  g_rmdir (tmp_dir);
  g_clear_pointer (&path_a, g_free);
  g_clear_pointer (&path_b, g_free);
  return status;
}
