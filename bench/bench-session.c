/* bench-session.c: a whole turn with a 1 MB answer, end to end
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A loopback SoupServer answers with a generated 1 MB multi-file answer in
 * the OpenAI streaming wire format (one event per 16 bytes of text, about
 * four tokens, as real servers send them), prepared before the clock
 * starts and sent as fast as the socket goes; the real session and
 * provider parse it, write every file through the project and save the
 * conversation. Prints the turn's duration, the time to the first file
 * byte, and the longest gap between two main-loop iterations (a 1 ms
 * timer; the server shares the loop, so this is pessimistic).
 *
 * (The shared fake LLM server is not used: it appends one body chunk per
 * event, which libsoup walks in quadratic time for 65,000 events.)
 */

#include "config.h"

#include <string.h>

#include "tessera-llm.h"
#include "tessera-session.h"

#define ANSWER_SIZE (1024 * 1024)
#define DELTA_SIZE 16

typedef struct
{
  gint64   start;
  gint64   first_delta;
  gint64   last_tick;
  gint64   longest_gap;
  gboolean done;
  guint    n_files;
} Timing;

static gboolean
tick (gpointer user_data)
{
  Timing *timing = user_data;
  gint64 now = g_get_monotonic_time ();

  if (timing->last_tick != 0)
    timing->longest_gap = MAX (timing->longest_gap, now - timing->last_tick);
  timing->last_tick = now;
  return G_SOURCE_CONTINUE;
}

static void
on_delta (TesseraSession     *session,
          TesseraChatMessage *message,
          TesseraAction      *action,
          const char         *chunk,
          gsize               len,
          Timing             *timing)
{
  if (timing->first_delta == 0)
    timing->first_delta = g_get_monotonic_time ();
}

static void
on_end (TesseraSession     *session,
        TesseraChatMessage *message,
        TesseraAction      *action,
        Timing             *timing)
{
  if (tessera_action_get_status (action) == TESSERA_ACTION_APPLIED &&
      tessera_action_get_kind (action) == TESSERA_ACTION_WRITE)
    timing->n_files++;
}

static void
sent (GObject      *object,
      GAsyncResult *result,
      gpointer      user_data)
{
  Timing *timing = user_data;
  g_autoptr(GError) error = NULL;
  TesseraTurnStatus status = tessera_session_send_finish (TESSERA_SESSION (object), result, &error);

  if (status != TESSERA_TURN_COMPLETE)
    g_error ("the turn ended with status %s: %s", tessera_turn_status_to_string (status),
             error ? error->message : "no error");
  timing->done = TRUE;
}

static void
count_delta (TesseraLlmStream *stream,
             const char       *text,
             gsize            *total)
{
  *total += strlen (text);
}

static void
streamed (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  gboolean *done = user_data;

  if (!tessera_llm_stream_finish (TESSERA_LLM_STREAM (object), result, NULL))
    g_error ("the stream failed");
  *done = TRUE;
}

/* The provider and HTTP alone, for comparison: the part of the turn that
 * is not the session's. */
static double
time_stream_only (TesseraLlmProvider *provider)
{
  g_autoptr(TesseraLlmRequest) request = tessera_llm_request_new ("fake-large");
  g_autoptr(TesseraLlmStream) stream = NULL;
  gboolean done = FALSE;
  gsize total = 0;
  gint64 start;

  tessera_llm_request_add_message (request, TESSERA_LLM_ROLE_USER, "Build it");
  start = g_get_monotonic_time ();
  stream = tessera_llm_provider_stream_async (provider, request, NULL, streamed, &done);
  g_signal_connect (stream, "delta", G_CALLBACK (count_delta), &total);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  return (g_get_monotonic_time () - start) / 1000.0;
}

static GString *
make_answer (void)
{
  GString *answer = g_string_new ("I'll build the whole app now.\n\n");
  guint n = 0;

  while (answer->len < ANSWER_SIZE)
    {
      g_string_append_printf (answer, "<tessera-write path=\"src/part%u.js\">\n", n++);
      for (guint line = 0; line < 80; line++)
        g_string_append_printf (answer, "export const row%u = items.filter((x) => x.id < %u).map((x) => `<li>${x.title}</li>`);\n",
                                line, line);
      g_string_append (answer, "</tessera-write>\n\n");
    }
  return answer;
}

/* The whole response, in the wire format, cut on UTF-8 boundaries (the
 * answer is ASCII). */
static GBytes *
make_sse (const GString *answer)
{
  g_autoptr(GString) sse = g_string_sized_new (answer->len * 8);

  for (gsize at = 0; at < answer->len; at += DELTA_SIZE)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *piece = g_strndup (answer->str + at, MIN (DELTA_SIZE, answer->len - at));
      g_autofree char *json = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "choices");
      json_builder_begin_array (builder);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "index");
      json_builder_add_int_value (builder, 0);
      json_builder_set_member_name (builder, "delta");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "content");
      json_builder_add_string_value (builder, piece);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      json = json_generator_to_data (generator, NULL);
      g_string_append_printf (sse, "data: %s\n\n", json);
    }
  g_string_append (sse, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
  g_string_append (sse, "data: [DONE]\n\n");
  return g_string_free_to_bytes (g_steal_pointer (&sse));
}

static void
handle_completion (SoupServer        *server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  GBytes *sse = user_data;

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg), "text/event-stream", NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), sse);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("tessera-bench-session-XXXXXX", &error);
  g_autoptr(GFile) parent = g_file_new_for_path (tmp);
  g_autoptr(TesseraProject) project = NULL;
  g_autoptr(TesseraLlmProvider) provider = NULL;
  g_autoptr(TesseraSession) session = NULL;
  g_autoptr(GString) answer = make_answer ();
  g_autofree char *command = NULL;
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GBytes) sse = make_sse (answer);
  g_autoptr(GSList) uris = NULL;
  g_autofree char *base_url = NULL;
  Timing timing = { 0, };
  guint timer;
  gint64 end;
  double stream_ms;

  project = tessera_project_create (parent, "bench", NULL, &error);
  g_assert_no_error (error);

  soup_server_add_handler (server, "/v1/chat/completions", handle_completion, sse, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  base_url = g_strdup_printf ("http://127.0.0.1:%d/v1", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify)g_uri_unref);
  provider = tessera_openai_provider_new ("openai", "Bench", base_url, NULL);

  session = tessera_session_new (project);
  tessera_session_set_provider (session, provider);
  tessera_session_set_model (session, "fake-large");
  g_signal_connect (session, "action-delta", G_CALLBACK (on_delta), &timing);
  g_signal_connect (session, "action-end", G_CALLBACK (on_end), &timing);

  stream_ms = time_stream_only (provider);

  timer = g_timeout_add (1, tick, &timing);
  timing.start = g_get_monotonic_time ();
  tessera_session_send_async (session, "Build it", NULL, sent, &timing);
  while (!timing.done)
    g_main_context_iteration (NULL, TRUE);
  end = g_get_monotonic_time ();
  g_source_remove (timer);

  g_print ("bench-session: %.2f MB answer in %zu events (%.1f MB on the wire), %u files written\n",
           answer->len / (1024.0 * 1024.0), (answer->len + DELTA_SIZE - 1) / DELTA_SIZE,
           g_bytes_get_size (sse) / (1024.0 * 1024.0), timing.n_files);
  g_print ("bench-session: turn %.0f ms (target < 1000 ms), first file byte after %.1f ms\n",
           (end - timing.start) / 1000.0, (timing.first_delta - timing.start) / 1000.0);
  g_print ("bench-session: of which the provider and HTTP alone take %.0f ms\n", stream_ms);
  g_print ("bench-session: longest main-loop gap %.1f ms (target < 16 ms; includes the server)\n",
           timing.longest_gap / 1000.0);

  g_clear_object (&session);
  g_clear_object (&project);
  command = g_strdup_printf ("rm -rf '%s'", tmp);
  if (system (command) != 0)
    g_printerr ("could not remove %s\n", tmp);
  return 0;
}
