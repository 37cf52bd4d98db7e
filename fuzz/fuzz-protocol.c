/* fuzz-protocol.c: the edit-protocol parser and applier against any input
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A libFuzzer target (LLVMFuzzerTestOneInput), and with
 * -DTESSERA_FUZZ_STANDALONE a deterministic driver that mutates seed
 * answers with the tokens that matter (tags, fences, entities, markers,
 * CRLF) and runs the same checks (a meson test of the protocol layer).
 *
 * Invariants: the parser never crashes or reads out of bounds; its result
 * (prose and every action with its content) is the same whether the input
 * comes in one piece or split anywhere; what ::action-delta streams is
 * exactly each action's content; the applier never crashes and a block it
 * reports as applied leaves the text containing the replacement.
 */

#define G_LOG_DOMAIN "fuzz-protocol"

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tessera-edit-applier.h"
#include "tessera-protocol-parser.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
on_text (TesseraProtocolParser *parser,
         const char            *chunk,
         gsize                  len,
         GString               *out)
{
  g_string_append (out, "T:");
  g_string_append_len (out, chunk, len);
  g_string_append_c (out, '\n');
}

static void
on_delta (TesseraProtocolParser *parser,
          TesseraAction         *action,
          const char            *chunk,
          gsize                  len,
          GString               *streamed)
{
  g_string_append_len (streamed, chunk, len);
}

/* The parse as one canonical string; prose is joined since its chunking
 * may differ between splits. */
static char *
parse (const uint8_t *data,
       size_t         size,
       const gsize   *splits,
       guint          n_splits)
{
  g_autoptr(TesseraProtocolParser) parser = tessera_protocol_parser_new ();
  g_autoptr(GString) ignored = g_string_new (NULL);
  g_autoptr(GString) streamed = g_string_new (NULL);
  g_autoptr(GString) out = g_string_new (NULL);
  GPtrArray *actions;
  gsize at = 0;
  gsize total = 0;

  g_signal_connect (parser, "text", G_CALLBACK (on_text), ignored);
  g_signal_connect (parser, "action-delta", G_CALLBACK (on_delta), streamed);

  for (guint i = 0; i < n_splits; i++)
    {
      tessera_protocol_parser_feed (parser, (const char *)data + at, splits[i] - at);
      at = splits[i];
    }
  tessera_protocol_parser_feed (parser, (const char *)data + at, size - at);
  tessera_protocol_parser_finish (parser);

  g_string_append (out, tessera_protocol_parser_get_text (parser));
  actions = tessera_protocol_parser_get_actions (parser);
  for (guint i = 0; i < actions->len; i++)
    {
      TesseraAction *action = g_ptr_array_index (actions, i);
      g_autofree char *desc = tessera_action_describe (action);
      gsize len;
      const char *content = tessera_action_get_content (action, &len);

      g_string_append_printf (out, "\n[%s|%s|%d|%zu]", desc,
                              tessera_action_get_to (action) ?: "",
                              tessera_action_get_truncated (action), len);
      g_string_append_len (out, content, len);
      total += len;
    }

  /* Streamed content is exactly the actions' content, in order. */
  if (streamed->len != total)
    g_error ("streamed %zu bytes, actions hold %zu", streamed->len, total);

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
check_edits (const uint8_t *data,
             size_t         size)
{
  g_autoptr(TesseraProtocolParser) parser = tessera_protocol_parser_new ();
  GPtrArray *actions;

  tessera_protocol_parser_feed (parser, (const char *)data, size);
  tessera_protocol_parser_finish (parser);
  actions = tessera_protocol_parser_get_actions (parser);

  for (guint i = 0; i < actions->len; i++)
    {
      TesseraAction *action = g_ptr_array_index (actions, i);
      g_autoptr(GPtrArray) blocks = NULL;
      g_autoptr(TesseraEditApplier) applier = NULL;

      if (tessera_action_get_kind (action) != TESSERA_ACTION_EDIT)
        continue;
      if (!(blocks = tessera_action_parse_edit_blocks (action, NULL)))
        continue;

      /* Apply the blocks to the whole input: a text that contains most
       * of their SEARCH sections, plus everything else. */
      applier = tessera_edit_applier_new ((const char *)data, size);
      for (guint j = 0; j < blocks->len; j++)
        {
          TesseraEditBlock *block = g_ptr_array_index (blocks, j);
          gsize len;
          const char *text;

          if (!tessera_edit_applier_apply_block (applier, block, j, blocks->len, NULL))
            continue;
          text = tessera_edit_applier_get_text (applier, &len);
          /* Exact matches put the replacement in verbatim. */
          if (!tessera_edit_applier_get_fuzzy (applier) && block->replace_len > 0 &&
              memmem (text, len, block->replace, block->replace_len) == NULL)
            g_error ("an applied block's replacement is not in the result");
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *whole = NULL;
  gsize splits[4] = { 0, };
  guint n = 0;
  guint32 seed = 2166136261u;

  whole = parse (data, size, NULL, 0);

  /* Split points derived from the input itself, so runs are replayable. */
  for (size_t i = 0; i < size; i++)
    seed = (seed ^ data[i]) * 16777619u;
  if (size > 0)
    {
      for (n = 0; n < G_N_ELEMENTS (splits); n++)
        {
          seed = seed * 1103515245u + 12345u;
          splits[n] = (seed >> 8) % (size + 1);
        }
      for (guint i = 1; i < n; i++)
        for (guint j = i; j > 0 && splits[j - 1] > splits[j]; j--)
          {
            gsize t = splits[j];
            splits[j] = splits[j - 1];
            splits[j - 1] = t;
          }
    }

  {
    g_autofree char *split = parse (data, size, splits, n);

    if (strcmp (whole, split) != 0)
      g_error ("the parse depends on how the input is split:\n--- whole\n%s\n--- split\n%s", whole, split);
  }

  /* Every single split point of short inputs. */
  if (size <= 256)
    for (gsize k = 0; k <= size; k++)
      {
        g_autofree char *split = parse (data, size, &k, 1);

        if (strcmp (whole, split) != 0)
          g_error ("the parse depends on a split at %zu:\n--- whole\n%s\n--- split\n%s", k, whole, split);
      }

  check_edits (data, size);
  return 0;
}

#ifdef TESSERA_FUZZ_STANDALONE
static const char *seeds[] = {
  "Intro.\n<tessera-write path=\"a.html\">\n<p>a &amp; b</p>\n</tessera-write>\nDone.",
  "```xml\n<tessera-write path='x.js'>\n```js\nlet a = `x`;\n```\n</tessera-write>\n```\n",
  "<tessera-edit path=\"a.html\">\n<<<<<<< SEARCH\n<p>a &amp; b</p>\n=======\n<p>c</p>\n>>>>>>> REPLACE\n</tessera-edit>",
  "<tessera-write path=e.html>&lt;div&gt;&#39;hi&#39;&lt;/div&gt;</tessera-write><tessera-delete path=x/>",
  "{\"files\": {\"a.txt\": \"A\", \"b/c.txt\": \"<b>\"}}",
  "Explaining:\n```\n<tessera-run>npm test</tessera-run>\n```\n<tessera-rename from=a to=b/>",
};

static const char *tokens[] = {
  "<", ">", "/", "`", "```", "```js\n", "\n", "\r\n", "\r", " ", "&", "&lt;", "&amp;", "&#x41;", "&#",
  "<tessera-write path=\"p.txt\">", "</tessera-write>", "< / tessera-write >", "<tessera-edit path=q>",
  "</tessera-edit>", "<<<<<<< SEARCH\n", "=======\n", ">>>>>>> REPLACE\n", "<tessera-delete path='d'/>",
  "<tessera-summary>", "</tessera-summary>", "<tessera-", "{", "\"files\"", "\xc3\xa9", "\xff",
};

int
main (int   argc,
      char *argv[])
{
  const char *env = g_getenv ("TESSERA_FUZZ_ITERATIONS");
  guint iterations = env ? (guint)atoi (env) : 2500;
  GRand *rand = g_rand_new_with_seed (20261122);

  /* TAP, like the other tests. */
  g_print ("1..1\n");

  for (guint i = 0; i < iterations; i++)
    {
      g_autoptr(GString) input = g_string_new (seeds[g_rand_int_range (rand, 0, G_N_ELEMENTS (seeds))]);
      guint mutations = g_rand_int_range (rand, 1, 8);

      for (guint m = 0; m < mutations; m++)
        {
          gsize at = g_rand_int_range (rand, 0, input->len + 1);

          switch (g_rand_int_range (rand, 0, 3))
            {
            case 0:
              g_string_insert (input, at, tokens[g_rand_int_range (rand, 0, G_N_ELEMENTS (tokens))]);
              break;
            case 1:
              {
                gsize n = g_rand_int_range (rand, 1, 6);

                if (at < input->len)
                  g_string_erase (input, at, MIN (n, input->len - at));
              }
              break;
            default:
              /* A truncated answer. */
              g_string_truncate (input, at);
              break;
            }
        }
      LLVMFuzzerTestOneInput ((const uint8_t *)input->str, input->len);
    }

  g_rand_free (rand);
  g_print ("ok 1 /protocol/fuzz (%u inputs)\n", iterations);
  return 0;
}
#endif
