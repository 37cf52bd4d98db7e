/* bench-llm.c: SSE + OpenAI delta parsing throughput, and a 1 MB answer
 * streamed over loopback from the fake server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <time.h>

#include "tessera-llm.h"
#include "tessera-llm-stream-private.h"
#include "tessera-fake-llm-server.h"

#define ANSWER_SIZE (1024 * 1024)
#define FEED_CHUNK (16 * 1024)
#define RUNS 10

/* A 1 MB answer shaped like a multi-file app in the protocol. */
static char *
make_answer (void)
{
  GString *answer = g_string_sized_new (ANSWER_SIZE + 4096);
  guint file = 0;

  while (answer->len < ANSWER_SIZE)
    {
      g_string_append_printf (answer, "Now the component number %u.\n<file path=\"src/c%u.js\">\n", file, file);
      for (guint line = 0; line < 40; line++)
        g_string_append_printf (answer,
                                "  const item%u = document.querySelector(\"#item-%u\"); // “%u” ✓\n",
                                line, line, file);
      g_string_append (answer, "</file>\n");
      file++;
    }
  g_string_truncate (answer, ANSWER_SIZE);
  /* Never end inside a UTF-8 sequence. */
  while (!g_utf8_validate (answer->str, answer->len, NULL))
    g_string_truncate (answer, answer->len - 1);

  return g_string_free (answer, FALSE);
}

/* The OpenAI wire format of @answer, as the fake server would send it:
 * one chat.completion.chunk event per token of about four bytes. */
static GString *
make_openai_stream (const char *answer)
{
  GString *sse = g_string_new (NULL);
  const char *p = answer;

  while (*p != '\0')
    {
      const char *start = p;
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *token = NULL;
      g_autofree char *json = NULL;

      while (*p != '\0' && p - start < 4)
        p = g_utf8_next_char (p);
      token = g_strndup (start, p - start);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, "chatcmpl-bench");
      json_builder_set_member_name (b, "object");
      json_builder_add_string_value (b, "chat.completion.chunk");
      json_builder_set_member_name (b, "created");
      json_builder_add_int_value (b, 1732233600);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, "gpt-bench");
      json_builder_set_member_name (b, "choices");
      json_builder_begin_array (b);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "index");
      json_builder_add_int_value (b, 0);
      json_builder_set_member_name (b, "delta");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "content");
      json_builder_add_string_value (b, token);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "finish_reason");
      json_builder_add_null_value (b);
      json_builder_end_object (b);
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json = json_to_string (root, FALSE);
      g_string_append_printf (sse, "data: %s\n\n", json);
    }
  g_string_append (sse, "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
  g_string_append (sse, "data: [DONE]\n\n");

  return sse;
}

typedef struct
{
  TesseraLlmProvider *provider;
  TesseraLlmStream   *stream;
  guint               n_events;
} Ctx;

static void
count_cb (const char *event_type,
          const char *data,
          gsize       data_len,
          const char *last_event_id,
          gpointer    user_data)
{
  ((Ctx *) user_data)->n_events++;
}

static void
handle_cb (const char *event_type,
           const char *data,
           gsize       data_len,
           const char *last_event_id,
           gpointer    user_data)
{
  Ctx *ctx = user_data;

  TESSERA_LLM_PROVIDER_GET_CLASS (ctx->provider)->handle_event (ctx->provider, ctx->stream,
                                                                 event_type, data, data_len, NULL);
  ctx->n_events++;
}

/* CPU time of this thread: on a shared, loaded machine wall time says
 * more about the neighbours than about the parser. */
static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
run_parse (GString             *sse,
           TesseraSseEventFunc  func,
           Ctx                 *ctx)
{
  g_autoptr(TesseraSseParser) parser = tessera_sse_parser_new (func, ctx);
  double start = cpu_seconds ();

  for (gsize off = 0; off < sse->len; off += FEED_CHUNK)
    tessera_sse_parser_feed (parser, sse->str + off, MIN (FEED_CHUNK, sse->len - off));

  return cpu_seconds () - start;
}

static gint64 first_delta_time;

static void
first_delta_cb (TesseraLlmStream *stream,
                const char       *text,
                gpointer          user_data)
{
  if (first_delta_time == 0)
    first_delta_time = g_get_monotonic_time ();
}

static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!tessera_llm_stream_finish (TESSERA_LLM_STREAM (object), result, &error))
    g_error ("The benchmark stream failed: %s", error->message);
  *(gboolean *) user_data = TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *answer = make_answer ();
  g_autoptr(GString) sse = make_openai_stream (answer);
  g_autoptr(TesseraLlmProvider) provider = NULL;
  g_autoptr(TesseraLlmRequest) request = tessera_llm_request_new ("gpt-bench");
  double best_sse = G_MAXDOUBLE;
  double best_full = G_MAXDOUBLE;
  double best_loopback = G_MAXDOUBLE;
  double best_client = G_MAXDOUBLE;
  guint n_events = 0;
  gsize answer_len = strlen (answer);

  provider = tessera_openai_provider_new ("openai", "OpenAI", "http://127.0.0.1:9/v1", NULL);

  g_print ("answer: %.2f MB of text, %.2f MB as OpenAI SSE\n",
           answer_len / 1048576.0, sse->len / 1048576.0);

  for (guint run = 0; run < RUNS; run++)
    {
      Ctx ctx = { provider, NULL, 0 };
      g_autoptr(TesseraLlmStream) stream = _tessera_llm_stream_new (provider, request);
      double t;

      t = run_parse (sse, count_cb, &ctx);
      best_sse = MIN (best_sse, t);

      ctx.n_events = 0;
      ctx.stream = stream;
      t = run_parse (sse, handle_cb, &ctx);
      best_full = MIN (best_full, t);
      n_events = ctx.n_events;
      g_assert (strcmp (tessera_llm_stream_get_text (stream), answer) == 0);
    }

  g_print ("SSE parsing only:          %7.1f MB/s of stream (CPU time, best of %u)\n",
           sse->len / 1048576.0 / best_sse, RUNS);
  g_print ("SSE + OpenAI delta JSON:   %7.1f MB/s of stream, %.1f MB/s of answer text, %.0f events/s (%u events, CPU time)\n",
           sse->len / 1048576.0 / best_full, answer_len / 1048576.0 / best_full,
           n_events / best_full, n_events);

  /* The same answer through HTTP on loopback, from the fake server. */
  for (guint run = 0; run < 3; run++)
    {
      g_autoptr(TesseraFakeLlmServer) server = tessera_fake_llm_server_new ();
      g_autoptr(TesseraLlmProvider) remote = NULL;
      g_autoptr(TesseraLlmStream) stream = NULL;
      gboolean done = FALSE;
      gint64 start;

      remote = tessera_openai_provider_new ("openai", "OpenAI",
                                            tessera_fake_llm_server_get_openai_url (server), "sk-bench");
      tessera_fake_llm_server_push_text (server, answer);
      start = g_get_monotonic_time ();
      first_delta_time = 0;
      stream = tessera_llm_provider_stream_async (remote, request, NULL, done_cb, &done);
      g_signal_connect (stream, "delta", G_CALLBACK (first_delta_cb), NULL);
      while (!done)
        g_main_context_iteration (NULL, TRUE);
      best_loopback = MIN (best_loopback, (g_get_monotonic_time () - start) / 1e6);
      best_client = MIN (best_client, (g_get_monotonic_time () - first_delta_time) / 1e6);
      g_assert (strcmp (tessera_llm_stream_get_text (stream), answer) == 0);
      g_clear_object (&stream);
      g_clear_object (&remote);
    }

  g_print ("fake server over loopback: %7.1f ms for the 1 MB answer, request to end (best of 3; includes the\n"
           "                           fake server generating 254,000 events in the same thread)\n",
           best_loopback * 1000);
  g_print ("                           %7.1f ms from the first delta to the end\n", best_client * 1000);

  return 0;
}
