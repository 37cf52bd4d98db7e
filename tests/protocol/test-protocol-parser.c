/* test-protocol-parser.c: the streaming parser against realistic answers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "tessera-edit-applier.h"
#include "tessera-protocol-parser.h"

typedef struct
{
  GString   *text;
  GString   *deltas;
  GString   *trace;
  gboolean   open;
} Recorder;

static void
on_text (TesseraProtocolParser *parser,
         const char            *chunk,
         gsize                  len,
         Recorder              *rec)
{
  g_assert_cmpuint (len, >, 0);
  g_string_append_len (rec->text, chunk, len);
}

static void
on_begin (TesseraProtocolParser *parser,
          TesseraAction         *action,
          Recorder              *rec)
{
  gsize len;

  g_assert_false (rec->open);
  tessera_action_get_content (action, &len);
  g_assert_cmpuint (len, ==, 0);
  rec->open = TRUE;
  g_string_truncate (rec->deltas, 0);
}

static void
on_delta (TesseraProtocolParser *parser,
          TesseraAction         *action,
          const char            *chunk,
          gsize                  len,
          Recorder              *rec)
{
  g_assert_true (rec->open);
  g_assert_cmpuint (len, >, 0);
  g_string_append_len (rec->deltas, chunk, len);
}

static void
on_end (TesseraProtocolParser *parser,
        TesseraAction         *action,
        Recorder              *rec)
{
  gsize len;
  const char *content = tessera_action_get_content (action, &len);
  g_autofree char *desc = tessera_action_describe (action);

  g_assert_true (rec->open);
  rec->open = FALSE;
  /* What streamed is exactly what the action holds. */
  g_assert_cmpuint (rec->deltas->len, ==, len);
  g_assert_true (memcmp (rec->deltas->str, content, len) == 0);

  g_string_append_printf (rec->trace, "[%s%s%s%s|%zu]\n", desc,
                          tessera_action_get_truncated (action) ? " (truncated)" : "",
                          tessera_action_get_to (action) ? " to=" : "",
                          tessera_action_get_to (action) ?: "", len);
  g_string_append_len (rec->trace, content, len);
  g_string_append (rec->trace, "\n[/]\n");
}

/* Parses @data split at every offset in @splits (sorted, inside @len) and
 * returns the prose followed by the trace of actions. */
static char *
parse_split (const char  *data,
             gsize        len,
             const gsize *splits,
             guint        n_splits)
{
  g_autoptr(TesseraProtocolParser) parser = tessera_protocol_parser_new ();
  Recorder rec = { g_string_new (NULL), g_string_new (NULL), g_string_new (NULL), FALSE };
  gsize at = 0;
  char *result;

  g_signal_connect (parser, "text", G_CALLBACK (on_text), &rec);
  g_signal_connect (parser, "action-begin", G_CALLBACK (on_begin), &rec);
  g_signal_connect (parser, "action-delta", G_CALLBACK (on_delta), &rec);
  g_signal_connect (parser, "action-end", G_CALLBACK (on_end), &rec);

  for (guint i = 0; i < n_splits; i++)
    {
      tessera_protocol_parser_feed (parser, data + at, splits[i] - at);
      at = splits[i];
    }
  tessera_protocol_parser_feed (parser, data + at, len - at);
  tessera_protocol_parser_finish (parser);

  g_assert_false (rec.open);
  g_assert_cmpstr (rec.text->str, ==, tessera_protocol_parser_get_text (parser));
  result = g_strdup_printf ("TEXT<<%s>>\n%s", rec.text->str, rec.trace->str);
  g_string_free (rec.text, TRUE);
  g_string_free (rec.deltas, TRUE);
  g_string_free (rec.trace, TRUE);
  return result;
}

static char *
parse_whole (const char *data,
             gsize       len)
{
  return parse_split (data, len, NULL, 0);
}

static char *
load_fixture (const char *name,
              gsize      *len)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "protocol", "fixtures", name, NULL);
  g_autoptr(GError) error = NULL;
  char *data = NULL;

  g_file_get_contents (path, &data, len, &error);
  g_assert_no_error (error);
  return data;
}

static char *
to_crlf (const char *data,
         gsize      *len)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (gsize i = 0; i < *len; i++)
    {
      if (data[i] == '\n')
        g_string_append_c (out, '\r');
      g_string_append_c (out, data[i]);
    }
  *len = out->len;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Every two-way split, byte at a time, and seeded random many-way splits
 * must give the one-shot result byte for byte. */
static void
check_all_splits (const char *data,
                  gsize       len)
{
  g_autofree char *whole = parse_whole (data, len);
  g_autofree gsize *ones = g_new (gsize, len + 1);
  GRand *rand = g_rand_new_with_seed (4);

  for (gsize k = 0; k <= len; k++)
    {
      g_autofree char *split = parse_split (data, len, &k, 1);

      if (g_strcmp0 (split, whole) != 0)
        {
          g_printerr ("split at %zu differs\n--- whole\n%s\n--- split\n%s\n", k, whole, split);
          g_assert_not_reached ();
        }
    }

  for (gsize k = 0; k + 1 < len; k++)
    ones[k] = k + 1;
  if (len > 1)
    {
      g_autofree char *bytewise = parse_split (data, len, ones, len - 1);
      g_assert_cmpstr (bytewise, ==, whole);
    }

  for (guint round = 0; round < 50 && len > 4; round++)
    {
      gsize splits[8];
      guint n = g_rand_int_range (rand, 2, 8);
      g_autofree char *split = NULL;

      for (guint i = 0; i < n; i++)
        splits[i] = g_rand_int_range (rand, 0, (gint32)len + 1);
      for (guint i = 1; i < n; i++)
        for (guint j = i; j > 0 && splits[j - 1] > splits[j]; j--)
          {
            gsize t = splits[j];
            splits[j] = splits[j - 1];
            splits[j - 1] = t;
          }
      split = parse_split (data, len, splits, n);
      g_assert_cmpstr (split, ==, whole);
    }

  g_rand_free (rand);
}

static void
test_splits (gconstpointer user_data)
{
  const char *name = user_data;
  gsize len;
  g_autofree char *data = load_fixture (name, &len);
  g_autofree char *crlf = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *whole_crlf = NULL;
  gsize crlf_len = len;

  check_all_splits (data, len);

  /* CRLF answers parse to the same result as LF ones. */
  crlf = to_crlf (data, &crlf_len);
  whole = parse_whole (data, len);
  whole_crlf = parse_whole (crlf, crlf_len);
  g_assert_cmpstr (whole_crlf, ==, whole);
  check_all_splits (crlf, crlf_len);
}

static GPtrArray *
parse_actions (const char *name,
               char      **text)
{
  gsize len;
  g_autofree char *data = load_fixture (name, &len);
  g_autoptr(TesseraProtocolParser) parser = tessera_protocol_parser_new ();

  tessera_protocol_parser_feed (parser, data, len);
  tessera_protocol_parser_finish (parser);
  if (text != NULL)
    *text = g_strdup (tessera_protocol_parser_get_text (parser));
  return g_ptr_array_ref (tessera_protocol_parser_get_actions (parser));
}

static void
assert_action (GPtrArray         *actions,
               guint              i,
               TesseraActionKind  kind,
               const char        *path,
               const char        *content,
               gboolean           truncated)
{
  TesseraAction *action;

  g_assert_cmpuint (i, <, actions->len);
  action = g_ptr_array_index (actions, i);
  g_assert_cmpint (tessera_action_get_kind (action), ==, kind);
  g_assert_cmpstr (tessera_action_get_path (action), ==, path);
  if (content != NULL)
    g_assert_cmpstr (tessera_action_get_content (action, NULL), ==, content);
  g_assert_cmpint (tessera_action_get_truncated (action), ==, truncated);
}

static void
test_todo_app (void)
{
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) actions = parse_actions ("todo-app.txt", &text);
  TesseraAction *action;
  const char *content;

  g_assert_cmpuint (actions->len, ==, 4);
  assert_action (actions, 0, TESSERA_ACTION_WRITE, "index.html", NULL, FALSE);
  assert_action (actions, 1, TESSERA_ACTION_WRITE, "style.css", NULL, FALSE);
  assert_action (actions, 2, TESSERA_ACTION_WRITE, "app.js", NULL, FALSE);
  assert_action (actions, 3, TESSERA_ACTION_SUMMARY, NULL,
                 "Created a todo app (index.html, style.css, app.js) that saves its items in local storage.",
                 FALSE);

  content = tessera_action_get_content (g_ptr_array_index (actions, 0), NULL);
  g_assert_true (g_str_has_prefix (content, "<!DOCTYPE html>\n<html lang=\"en\">\n"));
  g_assert_true (g_str_has_suffix (content, "</body>\n</html>\n"));

  action = g_ptr_array_index (actions, 2);
  content = tessera_action_get_content (action, NULL);
  /* A template literal with markup and comparisons is content. */
  g_assert_nonnull (strstr (content, "li.innerHTML = `<input type=\"checkbox\""));
  g_assert_nonnull (strstr (content, "todos.length > 100 && todos.length < 0"));
  g_assert_true (g_str_has_suffix (content, "render();\n"));

  g_assert_true (g_str_has_prefix (text, "I'll create a simple todo app"));
  g_assert_null (strstr (text, "tessera"));
  g_assert_null (strstr (text, "localStorage"));
}

static void
test_fenced (void)
{
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) actions = parse_actions ("fenced.txt", &text);

  g_assert_cmpuint (actions->len, ==, 3);
  assert_action (actions, 0, TESSERA_ACTION_WRITE, "index.html",
                 "<!doctype html>\n<h1>Hello</h1>\n<pre>\n```\nnested fence stays\n```\n</pre>\n"
                 "<script src=\"main.js\"></script>\n",
                 FALSE);
  assert_action (actions, 1, TESSERA_ACTION_WRITE, "main.js",
                 "console.log(`template ${1 + 1}`);\n", FALSE);
  /* A file that merely contains a fence keeps it. */
  assert_action (actions, 2, TESSERA_ACTION_WRITE, "README.md",
                 "# Demo\n\n```sh\nnpm start\n```\n", FALSE);
  g_assert_cmpstr (text, ==, "Here is the page, with a small script:\n\n\n\n\nDone.\n");
}

static void
test_sloppy (void)
{
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) actions = parse_actions ("sloppy.txt", &text);
  TesseraAction *action;
  const char * const *packages;

  g_assert_cmpuint (actions->len, ==, 10);
  assert_action (actions, 0, TESSERA_ACTION_WRITE, "src/one.js", "export const one = 1;\n", FALSE);
  assert_action (actions, 1, TESSERA_ACTION_WRITE, "src/two.js", "export const two = 2;\n", FALSE);
  assert_action (actions, 2, TESSERA_ACTION_WRITE, "src/three.js", "export const three = 3;", FALSE);
  assert_action (actions, 3, TESSERA_ACTION_DELETE, "old.js", "", FALSE);
  assert_action (actions, 4, TESSERA_ACTION_DELETE, "older.js", "", FALSE);
  assert_action (actions, 5, TESSERA_ACTION_RENAME, "a.txt", "", FALSE);
  g_assert_cmpstr (tessera_action_get_to (g_ptr_array_index (actions, 5)), ==, "b/a.txt");

  action = g_ptr_array_index (actions, 6);
  g_assert_cmpint (tessera_action_get_kind (action), ==, TESSERA_ACTION_ADD_DEPENDENCY);
  packages = tessera_action_get_packages (action);
  g_assert_cmpuint (g_strv_length ((char **)packages), ==, 2);
  g_assert_cmpstr (packages[0], ==, "react");
  g_assert_cmpstr (packages[1], ==, "react-dom");
  g_assert_null (tessera_action_get_manager (action));

  action = g_ptr_array_index (actions, 7);
  g_assert_cmpstr (tessera_action_get_packages (action)[0], ==, "flask");
  g_assert_cmpstr (tessera_action_get_manager (action), ==, "pip");

  action = g_ptr_array_index (actions, 8);
  g_assert_cmpint (tessera_action_get_kind (action), ==, TESSERA_ACTION_RUN);
  g_assert_cmpstr (tessera_action_get_command (action), ==, "npm test");
  action = g_ptr_array_index (actions, 9);
  g_assert_cmpstr (tessera_action_get_command (action), ==, "npm run build");

  /* Not tags: an unknown name, a comparison, prose that starts like a tag. */
  g_assert_nonnull (strstr (text, "a < b and a <tessera-unknown> tag stay text"));
  g_assert_nonnull (strstr (text, "<tessera-write without a closing bracket\nand the end."));
}

static void
test_escaped (void)
{
  g_autoptr(GPtrArray) actions = parse_actions ("escaped.txt", NULL);

  g_assert_cmpuint (actions->len, ==, 3);
  assert_action (actions, 0, TESSERA_ACTION_WRITE, "index.html",
                 "<!DOCTYPE html>\n<p class=\"x\">Fish &amp; chips & peas</p>\n"
                 "<script>if (a && b) alert('hi');</script>\n",
                 FALSE);
  /* Content that is not escaped as a whole keeps its ampersands. */
  assert_action (actions, 1, TESSERA_ACTION_WRITE, "style.css", "p::after { content: \"&amp;\"; }\n", FALSE);
  assert_action (actions, 2, TESSERA_ACTION_WRITE, "logic.js", "if (a && b) x = \"&lt; literal\";\n", FALSE);
}

static void
test_explain (void)
{
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) actions = parse_actions ("explain.txt", &text);
  gsize len;
  g_autofree char *data = load_fixture ("explain.txt", &len);
  g_autoptr(TesseraProtocolParser) parser = tessera_protocol_parser_new ();

  tessera_protocol_parser_feed (parser, data, len);
  tessera_protocol_parser_finish (parser);
  g_assert_cmpuint (tessera_protocol_parser_get_fenced_examples (parser), ==, 1);

  g_assert_cmpuint (actions->len, ==, 2);
  assert_action (actions, 0, TESSERA_ACTION_WRITE, "real.txt", "real content\n", FALSE);
  assert_action (actions, 1, TESSERA_ACTION_DELETE, "gone.txt", "", FALSE);
  g_assert_nonnull (strstr (text, "```xml\n<tessera-write path=\"example.txt\">\nhello\n</tessera-write>\n```"));
  g_assert_nonnull (strstr (text, "`<tessera-delete path=\"x\"/>`"));
}

static void
test_wrapped (void)
{
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) actions = parse_actions ("wrapped.txt", &text);
  g_autoptr(GPtrArray) blocks = NULL;
  g_autoptr(GError) error = NULL;
  TesseraEditBlock *block;

  g_assert_cmpuint (actions->len, ==, 2);
  assert_action (actions, 0, TESSERA_ACTION_WRITE, "a.html", "<p>A</p>\n", FALSE);
  assert_action (actions, 1, TESSERA_ACTION_EDIT, "b.js", NULL, FALSE);
  blocks = tessera_action_parse_edit_blocks (g_ptr_array_index (actions, 1), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (blocks->len, ==, 1);
  block = g_ptr_array_index (blocks, 0);
  g_assert_cmpstr (block->search, ==, "let b = 1;\n");
  g_assert_cmpstr (block->replace, ==, "let b = 2;\n");
  g_assert_null (strstr (text, "```"));
  g_assert_nonnull (strstr (text, "All set."));
}

static void
test_truncated (void)
{
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) actions = parse_actions ("truncated.txt", &text);
  const char *content;

  g_assert_cmpuint (actions->len, ==, 1);
  assert_action (actions, 0, TESSERA_ACTION_WRITE, "game.js", NULL, TRUE);
  content = tessera_action_get_content (g_ptr_array_index (actions, 0), NULL);
  g_assert_true (g_str_has_prefix (content, "const canvas"));
  g_assert_true (g_str_has_suffix (content, "    x++;\n"));
  g_assert_cmpstr (text, ==, "Building the game now.\n\n");
}

static void
test_unclosed (void)
{
  g_autoptr(GPtrArray) actions = parse_actions ("unclosed.txt", NULL);

  g_assert_cmpuint (actions->len, ==, 4);
  assert_action (actions, 0, TESSERA_ACTION_WRITE, "a.js", "const a = 1;\n", FALSE);
  /* A tag inside a line of code is content. */
  assert_action (actions, 1, TESSERA_ACTION_WRITE, "b.js", "const b = `<tessera-write path=\"not-a-tag.js\">`;\n", FALSE);
  assert_action (actions, 2, TESSERA_ACTION_EDIT, "c.js", "<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n", FALSE);
  assert_action (actions, 3, TESSERA_ACTION_SUMMARY, NULL, "Done", FALSE);
}

static void
test_json (void)
{
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) actions = parse_actions ("json-files.txt", &text);
  g_autoptr(GPtrArray) array_actions = NULL;
  g_autoptr(GPtrArray) other_actions = NULL;
  g_autofree char *other_text = NULL;

  g_assert_cmpuint (actions->len, ==, 2);
  assert_action (actions, 0, TESSERA_ACTION_WRITE, "index.html", "<h1>Hi</h1>\n", FALSE);
  assert_action (actions, 1, TESSERA_ACTION_WRITE, "js/app.js", "console.log(\"a & b\");\n", FALSE);
  g_assert_cmpstr (text, ==, "");

  array_actions = parse_actions ("json-array.txt", NULL);
  g_assert_cmpuint (array_actions->len, ==, 2);
  assert_action (array_actions, 0, TESSERA_ACTION_WRITE, "a.txt", "A", FALSE);
  assert_action (array_actions, 1, TESSERA_ACTION_WRITE, "b.txt", "B\xc3\xa9", FALSE);

  /* Any other JSON is prose. */
  other_actions = parse_actions ("json-other.txt", &other_text);
  g_assert_cmpuint (other_actions->len, ==, 0);
  g_assert_cmpstr (other_text, ==, "{\"name\": \"not files\", \"value\": \"<b>\"}");
}

static void
test_edit_blocks (void)
{
  static const char body[] =
    "<tessera-edit path=\"a.js\">\n"
    "<<<<<<< SEARCH\nold one\n=======\nnew one\n>>>>>>> REPLACE\n"
    "\n"
    "<<<<<<<\n  two\n=======\n>>>>>>>\n"
    "</tessera-edit>\n"
    "<tessera-edit path=\"b.js\">\n<<<<<<< SEARCH\nx\n>>>>>>> REPLACE\n</tessera-edit>\n";
  g_autoptr(TesseraProtocolParser) parser = tessera_protocol_parser_new ();
  g_autoptr(GPtrArray) blocks = NULL;
  g_autoptr(GPtrArray) bad = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *actions;
  TesseraEditBlock *block;

  tessera_protocol_parser_feed (parser, body, strlen (body));
  tessera_protocol_parser_finish (parser);
  actions = tessera_protocol_parser_get_actions (parser);
  g_assert_cmpuint (actions->len, ==, 2);

  blocks = tessera_action_parse_edit_blocks (g_ptr_array_index (actions, 0), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (blocks->len, ==, 2);
  block = g_ptr_array_index (blocks, 1);
  g_assert_cmpstr (block->search, ==, "  two\n");
  g_assert_cmpstr (block->replace, ==, "");

  bad = tessera_action_parse_edit_blocks (g_ptr_array_index (actions, 1), &error);
  g_assert_null (bad);
  g_assert_error (error, TESSERA_EDIT_ERROR, TESSERA_EDIT_ERROR_MALFORMED);
}

static void
test_system_prompt (void)
{
  g_autoptr(GBytes) prompt = tessera_protocol_get_system_prompt ();
  const char *data;

  g_assert_nonnull (prompt);
  data = g_bytes_get_data (prompt, NULL);
  g_assert_nonnull (g_strstr_len (data, g_bytes_get_size (prompt), "<tessera-write path="));
  g_assert_nonnull (g_strstr_len (data, g_bytes_get_size (prompt), "<<<<<<< SEARCH"));

  /* The examples of the system prompt are themselves valid protocol. */
  {
    g_autoptr(TesseraProtocolParser) parser = tessera_protocol_parser_new ();

    tessera_protocol_parser_feed (parser, data, g_bytes_get_size (prompt));
    tessera_protocol_parser_finish (parser);
    g_assert_cmpuint (tessera_protocol_parser_get_actions (parser)->len, >=, 7);
  }
}

int
main (int   argc,
      char *argv[])
{
  static const char *fixtures[] = {
    "todo-app.txt", "fenced.txt", "sloppy.txt", "escaped.txt", "explain.txt",
    "wrapped.txt", "truncated.txt", "unclosed.txt", "json-files.txt", "json-array.txt", "json-other.txt",
  };

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/protocol/parser/todo-app", test_todo_app);
  g_test_add_func ("/protocol/parser/fenced", test_fenced);
  g_test_add_func ("/protocol/parser/sloppy", test_sloppy);
  g_test_add_func ("/protocol/parser/escaped", test_escaped);
  g_test_add_func ("/protocol/parser/explain", test_explain);
  g_test_add_func ("/protocol/parser/wrapped", test_wrapped);
  g_test_add_func ("/protocol/parser/truncated", test_truncated);
  g_test_add_func ("/protocol/parser/unclosed", test_unclosed);
  g_test_add_func ("/protocol/parser/json", test_json);
  g_test_add_func ("/protocol/parser/edit-blocks", test_edit_blocks);
  g_test_add_func ("/protocol/parser/system-prompt", test_system_prompt);
  for (guint i = 0; i < G_N_ELEMENTS (fixtures); i++)
    {
      g_autofree char *path = g_strdup_printf ("/protocol/parser/splits/%s", fixtures[i]);
      g_test_add_data_func (path, fixtures[i], test_splits);
    }

  return g_test_run ();
}
