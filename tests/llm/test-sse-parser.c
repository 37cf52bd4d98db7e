/* test-sse-parser.c: the SSE parser under every split of real streams
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "tessera-sse-parser.h"

/* Events rendered as "type|id|data" lines, to compare whole runs. */
static void
collect_cb (const char *event_type,
            const char *data,
            gsize       data_len,
            const char *last_event_id,
            gpointer    user_data)
{
  GString *out = user_data;

  g_assert_cmpuint (strlen (data), ==, data_len);
  g_string_append_printf (out, "%s|%s|%s\n", event_type, last_event_id, data);
}

static char *
parse_split (const char *input,
             gsize       len,
             gsize       split,
             gsize       split2)
{
  GString *out = g_string_new (NULL);
  g_autoptr(TesseraSseParser) parser = tessera_sse_parser_new (collect_cb, out);

  g_assert_cmpuint (split, <=, split2);
  g_assert_cmpuint (split2, <=, len);
  tessera_sse_parser_feed (parser, input, split);
  tessera_sse_parser_feed (parser, input + split, split2 - split);
  tessera_sse_parser_feed (parser, input + split2, len - split2);

  return g_string_free (out, FALSE);
}

static char *
parse_bytewise (const char *input,
                gsize       len)
{
  GString *out = g_string_new (NULL);
  g_autoptr(TesseraSseParser) parser = tessera_sse_parser_new (collect_cb, out);

  for (gsize i = 0; i < len; i++)
    tessera_sse_parser_feed (parser, input + i, 1);

  return g_string_free (out, FALSE);
}

/* Every way of cutting @input in two and three pieces, and one byte at a
 * time, must give @expected. */
static void
check_all_splits (const char *input,
                  gsize       len,
                  const char *expected)
{
  g_autofree char *bytewise = parse_bytewise (input, len);

  g_assert_cmpstr (bytewise, ==, expected);

  for (gsize i = 0; i <= len; i++)
    {
      g_autofree char *two = parse_split (input, len, i, i);

      g_assert_cmpstr (two, ==, expected);
    }

  /* Three pieces: quadratic, so only for the small fixtures. */
  if (len <= 400)
    for (gsize i = 0; i <= len; i++)
      for (gsize j = i; j <= len; j++)
        {
          g_autofree char *three = parse_split (input, len, i, j);

          g_assert_cmpstr (three, ==, expected);
        }
}

/* The same stream with LF, CRLF and CR line ends. */
static void
check_all_line_ends (const char *lf_input,
                     const char *expected)
{
  const char *ends[] = { "\n", "\r\n", "\r" };

  for (guint e = 0; e < G_N_ELEMENTS (ends); e++)
    {
      g_auto(GStrv) lines = g_strsplit (lf_input, "\n", -1);
      g_autofree char *input = g_strjoinv (ends[e], lines);

      check_all_splits (input, strlen (input), expected);
    }
}

/* A real OpenAI Chat Completions stream, shortened. */
static const char openai_stream[] =
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n"
  "\n"
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Héllo\"},\"finish_reason\":null}]}\n"
  "\n"
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n"
  "\n"
  "data: [DONE]\n"
  "\n";

static void
test_openai_stream (void)
{
  const char *expected =
    "message||{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n"
    "message||{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Héllo\"},\"finish_reason\":null}]}\n"
    "message||{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n"
    "message||[DONE]\n";

  check_all_line_ends (openai_stream, expected);
}

/* A real Anthropic Messages stream, shortened. */
static const char anthropic_stream[] =
  "event: message_start\n"
  "data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n"
  "\n"
  "event: ping\n"
  "data: {\"type\": \"ping\"}\n"
  "\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n"
  "\n"
  "event: message_stop\n"
  "data: {\"type\":\"message_stop\"}\n"
  "\n";

static void
test_anthropic_stream (void)
{
  const char *expected =
    "message_start||{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n"
    "ping||{\"type\": \"ping\"}\n"
    "content_block_delta||{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n"
    "message_stop||{\"type\":\"message_stop\"}\n";

  check_all_line_ends (anthropic_stream, expected);
}

/* The standard's corner cases in one stream. */
static const char tricky_stream[] =
  "\xEF\xBB\xBF"                  /* BOM, dropped */
  ": a comment\n"                 /* ignored */
  "data: first\n"
  "data:second\n"                 /* no space after the colon */
  "data:  two spaces\n"           /* only one space is removed */
  "id: 7\n"
  "\n"
  "event: custom\n"
  "data\n"                        /* field without colon: empty value */
  "data\n"
  "\n"
  "event: empty\n"                /* no data: not dispatched, type reset */
  "\n"
  "data: after empty\n"
  "retry: 2500\n"
  "unknown: ignored\n"
  "id\n"                          /* id reset to "" */
  "\n"
  "data: unterminated\n";         /* no blank line: never dispatched */

static void
test_tricky_stream (void)
{
  const char *expected =
    "message|7|first\nsecond\n two spaces\n"
    "custom|7|\n\n"
    "message||after empty\n";

  check_all_line_ends (tricky_stream, expected);
}

static void
test_retry_field (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(TesseraSseParser) parser = tessera_sse_parser_new (collect_cb, out);
  const char *input = "retry: 1500\n\nretry: 12x\n\n";

  g_assert_cmpint (tessera_sse_parser_get_retry (parser), ==, -1);
  tessera_sse_parser_feed (parser, input, strlen (input));
  /* "12x" is not all digits: ignored. */
  g_assert_cmpint (tessera_sse_parser_get_retry (parser), ==, 1500);
  g_assert_cmpstr (out->str, ==, "");
}

static void
test_bom_only_at_start (void)
{
  const char *input = "data: a\n\n\xEF\xBB\xBF" "data: b\n\n";
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(TesseraSseParser) parser = tessera_sse_parser_new (collect_cb, out);

  /* Later, the bytes of a BOM are part of the field name: an unknown
   * field, ignored. */
  tessera_sse_parser_feed (parser, input, strlen (input));
  g_assert_cmpstr (out->str, ==, "message||a\n");
}

static void
test_partial_bom_is_data (void)
{
  /* "\xEF" alone at the start is not a BOM: it stays, making the first
   * line an unknown field. */
  const char *input = "\xEF" "data: x\n\ndata: y\n\n";

  check_all_splits (input, strlen (input), "message||y\n");
}

static void
test_reset (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(TesseraSseParser) parser = tessera_sse_parser_new (collect_cb, out);
  const char *before = "id: 3\n\ndata: half";
  const char *after = "data: whole\n\n";

  tessera_sse_parser_feed (parser, before, strlen (before));
  tessera_sse_parser_reset (parser);
  tessera_sse_parser_feed (parser, after, strlen (after));
  g_assert_cmpstr (out->str, ==, "message|3|whole\n");
}

static void
test_long_event (void)
{
  g_autoptr(GString) input = g_string_new (NULL);
  g_autoptr(GString) expected = g_string_new ("message||");
  g_autofree char *result = NULL;

  /* A large data field across many lines, as a big JSON event may be. */
  for (guint i = 0; i < 200; i++)
    {
      g_string_append_printf (input, "data: line %u\n", i);
      g_string_append_printf (expected, "%sline %u", i > 0 ? "\n" : "", i);
    }
  g_string_append (input, "\n");
  g_string_append (expected, "\n");

  result = parse_bytewise (input->str, input->len);
  g_assert_cmpstr (result, ==, expected->str);
  for (gsize i = 0; i <= input->len; i += 7)
    {
      g_autofree char *two = parse_split (input->str, input->len, i, i);

      g_assert_cmpstr (two, ==, expected->str);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sse/openai-stream", test_openai_stream);
  g_test_add_func ("/sse/anthropic-stream", test_anthropic_stream);
  g_test_add_func ("/sse/tricky-stream", test_tricky_stream);
  g_test_add_func ("/sse/retry-field", test_retry_field);
  g_test_add_func ("/sse/bom-only-at-start", test_bom_only_at_start);
  g_test_add_func ("/sse/partial-bom-is-data", test_partial_bom_is_data);
  g_test_add_func ("/sse/reset", test_reset);
  g_test_add_func ("/sse/long-event", test_long_event);

  return g_test_run ();
}
