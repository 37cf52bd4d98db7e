/* test-markdown-view.c: Markdown rendered as it streams in
 *
 * The view parses again only from its last block while text grows; what
 * it shows must not depend on how the text arrived.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "tessera-markdown-view.h"

static const char document[] =
  "I'll build it in three steps:\n\n"
  "1. a page,\n"
  "2. a stylesheet,\n\n"
  "3. a script that keeps the list.\n\n"
  "Setext Heading\n"
  "==============\n\n"
  "A paragraph with **bold**, `code` and a [link](https://example.org)\n"
  "that goes on over a second line.\n\n"
  "> A quote\n"
  "continued lazily.\n\n"
  "- one\n"
  "- two\n\n"
  "- three, after a blank line: the same list\n\n"
  "```js\n"
  "const x = 1;\n\n"
  "console.log (x);\n"
  "```\n\n"
  "| a | b |\n"
  "|---|---|\n"
  "| 1 | 2 |\n\n"
  "A paragraph that turns\n"
  "into a heading\n"
  "---\n\n"
  "- outer\n\n"
  "  - inner, after a blank line\n\n"
  "    indented code after it\n\n"
  "> - a list\n"
  "> - in a quote\n\n"
  "<details>\n"
  "<summary>HTML</summary>\n"
  "</details>\n\n"
  "***\n\n"
  "Last words.\n";

static const char with_references[] =
  "[docs]: https://example.org/docs\n\n"
  "First paragraph.\n\n"
  "Second paragraph.\n\n"
  "See [the docs][docs].\n";

/* The widget tree as text: each widget's type, and a label's text. */
static void
dump (GtkWidget *widget,
      GString   *out,
      guint      depth)
{
  g_string_append_printf (out, "%*s%s", depth * 2, "", G_OBJECT_TYPE_NAME (widget));
  if (GTK_IS_LABEL (widget))
    g_string_append_printf (out, " \"%s\"", gtk_label_get_label (GTK_LABEL (widget)));
  g_string_append_c (out, '\n');

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    dump (child, out, depth + 1);
}

static char *
render_at_once (const char *text)
{
  GtkWidget *view = g_object_ref_sink (tessera_markdown_view_new ());
  GString *out = g_string_new (NULL);

  tessera_markdown_view_set_text (TESSERA_MARKDOWN_VIEW (view), text);
  dump (view, out, 0);
  g_object_unref (view);

  return g_string_free (out, FALSE);
}

/* Grows the text by @step bytes at a time, as a stream would. */
static char *
render_growing (const char *text,
                gsize       step)
{
  GtkWidget *view = g_object_ref_sink (tessera_markdown_view_new ());
  gsize len = strlen (text);
  GString *out = g_string_new (NULL);

  for (gsize end = MIN (step, len);; end = MIN (end + step, len))
    {
      g_autofree char *part = g_strndup (text, end);

      tessera_markdown_view_set_text (TESSERA_MARKDOWN_VIEW (view), part);
      if (end == len)
        break;
    }
  dump (view, out, 0);
  g_object_unref (view);

  return g_string_free (out, FALSE);
}

static void
test_growing_same_as_whole (void)
{
  g_autofree char *whole = render_at_once (document);
  static const gsize steps[] = { 1, 2, 3, 5, 7, 11, 16, 64 };

  /* Sanity: the document did render into its blocks. */
  g_assert_nonnull (strstr (whole, "\"Setext Heading\""));
  g_assert_nonnull (strstr (whole, "three, after a blank line"));
  g_assert_nonnull (strstr (whole, "\"A paragraph that turns into a heading\""));
  g_assert_nonnull (strstr (whole, "inner, after a blank line"));

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autofree char *growing = render_growing (document, steps[i]);

      g_assert_cmpstr (growing, ==, whole);
    }
}

/* A reference defined at the top still applies to a link far below it. */
static void
test_link_references (void)
{
  g_autofree char *whole = render_at_once (with_references);
  g_autofree char *growing = render_growing (with_references, 5);

  g_assert_null (strstr (whole, "[docs]"));
  g_assert_cmpstr (growing, ==, whole);
}

/* Shown, it renders a frame at a time and ends with the same widgets. */
static void
test_shown (void)
{
  g_autofree char *whole = render_at_once (document);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = tessera_markdown_view_new ();
  gsize len = strlen (document);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *dumped = NULL;

  gtk_window_set_default_size (GTK_WINDOW (window), 500, 400);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (view))
    g_main_context_iteration (NULL, TRUE);

  for (gsize end = 11;; end = MIN (end + 11, len))
    {
      g_autofree char *part = g_strndup (document, end);

      tessera_markdown_view_set_text (TESSERA_MARKDOWN_VIEW (view), part);
      g_main_context_iteration (NULL, FALSE);
      if (end == len)
        break;
    }

  /* Done when a whole frame passes without a change. */
  for (;;)
    {
      g_autoptr(GString) before = g_string_new (NULL);
      gint64 until = g_get_monotonic_time () + 100 * 1000;

      dump (view, before, 0);
      while (g_get_monotonic_time () < until)
        g_main_context_iteration (NULL, FALSE);
      g_string_truncate (out, 0);
      dump (view, out, 0);
      if (g_str_equal (out->str, before->str))
        break;
    }

  g_assert_cmpstr (out->str, ==, whole);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/markdown-view/growing-same-as-whole", test_growing_same_as_whole);
  g_test_add_func ("/markdown-view/link-references", test_link_references);
  g_test_add_func ("/markdown-view/shown", test_shown);

  return g_test_run ();
}
