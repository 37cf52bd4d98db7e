/* bench-protocol.c: edit-protocol parser throughput
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Generates a 1 MB answer of many realistic files (HTML, CSS, JavaScript
 * with markup in template strings, prose between them), feeds it to the
 * parser in 4 KB chunks like a network stream would (or in the chunk size
 * given as the argument), and prints MB/s. Target: at least 200 MB/s.
 */

#include "config.h"

#include <string.h>

#include "tessera-protocol-parser.h"

#define ANSWER_SIZE (1024 * 1024)

static void
on_delta (TesseraProtocolParser *parser,
          TesseraAction         *action,
          const char            *chunk,
          gsize                  len,
          gsize                 *total)
{
  *total += len;
}

static GString *
make_answer (void)
{
  GString *answer = g_string_new ("I'll build the whole app now, one file at a time.\n\n");
  guint n = 0;

  while (answer->len < ANSWER_SIZE)
    {
      g_string_append_printf (answer, "<tessera-write path=\"src/components/part%u.js\">\n", n);
      for (guint line = 0; line < 60; line++)
        g_string_append_printf (answer,
                                "  const row%u = items.filter((x) => x.id < %u && x.done).map((x) => `<li class=\"item\">${x.title}</li>`);\n",
                                line, line * 7);
      g_string_append (answer, "</tessera-write>\n\n");
      g_string_append_printf (answer, "<tessera-write path=\"styles/part%u.css\">\n", n);
      for (guint line = 0; line < 20; line++)
        g_string_append_printf (answer, ".card-%u > .title { color: #%06x; margin: %upx 0; }\n", line, line * 4099, line);
      g_string_append (answer, "</tessera-write>\n\nNext, the page for this part.\n\n");
      g_string_append_printf (answer, "<tessera-write path=\"pages/part%u.html\">\n", n);
      for (guint line = 0; line < 20; line++)
        g_string_append_printf (answer, "<section id=\"s%u\"><h2>Section %u</h2><p>Text &amp; more</p></section>\n", line, line);
      g_string_append (answer, "</tessera-write>\n\n");
      n++;
    }
  g_string_append (answer, "<tessera-summary>Built the app.</tessera-summary>\n");
  return answer;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GString) answer = make_answer ();
  double best = 0;
  guint n_actions = 0;
  gsize content = 0;
  /* The chunk size as an argument: 16 is what a model streams (a few
   * tokens per event), 4096 what a socket read gives. */
  gsize chunk = argc > 1 ? (gsize)g_ascii_strtoull (argv[1], NULL, 10) : 4096;

  if (chunk == 0)
    chunk = 4096;

  for (guint round = 0; round < 20; round++)
    {
      g_autoptr(TesseraProtocolParser) parser = tessera_protocol_parser_new ();
      gsize total = 0;
      gint64 start, end;
      double mbs;

      g_signal_connect (parser, "action-delta", G_CALLBACK (on_delta), &total);
      start = g_get_monotonic_time ();
      for (gsize at = 0; at < answer->len; at += chunk)
        tessera_protocol_parser_feed (parser, answer->str + at, MIN (chunk, answer->len - at));
      tessera_protocol_parser_finish (parser);
      end = g_get_monotonic_time ();

      mbs = (answer->len / (1024.0 * 1024.0)) / ((end - start) / 1e6);
      best = MAX (best, mbs);
      n_actions = tessera_protocol_parser_get_actions (parser)->len;
      content = total;
    }

  g_print ("bench-protocol: answer %.2f MB, %u actions, %.2f MB of file content, %u-byte chunks\n",
           answer->len / (1024.0 * 1024.0), n_actions, content / (1024.0 * 1024.0), (guint)chunk);
  g_print ("bench-protocol: parser throughput %.0f MB/s (best of 20; target >= 200 MB/s)\n", best);

  return 0;
}
