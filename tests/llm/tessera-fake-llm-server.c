/* tessera-fake-llm-server.c: a loopback LLM server for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "tessera-fake-llm-server.h"

typedef enum
{
  WIRE_OPENAI,
  WIRE_ANTHROPIC,
} Wire;

struct _TesseraFakeLlmServer
{
  SoupServer   *server;
  char         *url;
  char         *openai_url;
  guint16       port;

  GQueue        replies;
  char         *default_text;
  GStrv         models;
  gboolean      models_unauthorized;

  GPtrArray    *requests;
  /* Responses still being written, for drain(). */
  guint         in_flight;
  guint         serial;

  /* The writes of the last big answer and what they were made from:
   * rendering a quarter of a million events takes the server longer
   * than the client takes to read them, and a benchmark that asks for
   * the same answer again measures the client, not this. */
  GPtrArray    *cached_writes;
  char         *cached_key;
};

/* A response written piece by piece (trickle, endless). */
typedef struct
{
  TesseraFakeLlmServer *server;
  SoupServerMessage    *msg;
  Wire                  wire;
  /* TRICKLE: the whole body, sent one byte per write. */
  GBytes               *body;
  gsize                 offset;
  guint                 ticks;
  guint                 idle_id;
  gulong                wrote_id;
  gulong                finished_id;
  gulong                disconnected_id;
  gboolean              done;
} Pump;

static void
reply_free (TesseraFakeLlmReply *reply)
{
  g_free ((char *) reply->text);
  g_free ((char *) reply->retry_after);
  g_free ((char *) reply->cost);
  g_free (reply);
}

static void
request_free (TesseraFakeLlmRequest *request)
{
  g_free (request->method);
  g_free (request->path);
  g_clear_pointer (&request->headers, soup_message_headers_unref);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_clear_pointer (&request->json, json_node_unref);
  g_free (request);
}

/* Splits @text the way tokenizers roughly do: a word with its leading
 * space, long words cut into pieces of a few bytes, newlines alone; never
 * inside a UTF-8 sequence. */
static GPtrArray *
split_tokens (const char *text)
{
  GPtrArray *tokens = g_ptr_array_new_with_free_func (g_free);
  const char *p = text;

  while (*p != '\0')
    {
      const char *start = p;
      gsize n = 0;

      if (*p == '\n')
        p++;
      else
        {
          if (*p == ' ')
            p++;
          while (*p != '\0' && *p != ' ' && *p != '\n' && (p - start) < 7)
            p = g_utf8_next_char (p);
          if (p == start)
            p = g_utf8_next_char (p);
        }
      n = p - start;
      g_ptr_array_add (tokens, g_strndup (start, n));
    }

  return tokens;
}

static char *
node_to_string (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  return json_to_string (root, FALSE);
}

/* A JSON string literal for @text. The events carrying tokens are built
 * from a fixed prefix and suffix around it: a JsonBuilder per token made a
 * 1 MB answer take seconds to generate, which benchmarks would measure. */
static void
append_json_string (GString    *out,
                    const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = *p;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, c);
        }
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, c);
    }
  g_string_append_c (out, '"');
}

static char *
openai_token_chunk (guint       serial,
                    const char *model,
                    const char *content,
                    gboolean    with_usage_member)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (out,
                          "{\"id\":\"chatcmpl-fake%u\",\"object\":\"chat.completion.chunk\","
                          "\"created\":1732233600,\"model\":",
                          serial);
  append_json_string (out, model);
  g_string_append (out, ",\"system_fingerprint\":\"fp_fake\",\"choices\":[{\"index\":0,"
                        "\"delta\":{\"content\":");
  append_json_string (out, content);
  g_string_append (out, "},\"logprobs\":null,\"finish_reason\":null}]");
  if (with_usage_member)
    g_string_append (out, ",\"usage\":null");
  g_string_append_c (out, '}');

  return g_string_free (out, FALSE);
}

static char *
anthropic_token_delta (const char *text)
{
  GString *out = g_string_new ("{\"type\":\"content_block_delta\",\"index\":0,"
                               "\"delta\":{\"type\":\"text_delta\",\"text\":");

  append_json_string (out, text);
  g_string_append (out, "}}");

  return g_string_free (out, FALSE);
}

static char *
openai_chunk (guint       serial,
              const char *model,
              const char *content,
              const char *finish_reason,
              gboolean    with_usage_member,
              gboolean    first)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  {
    g_autofree char *id = g_strdup_printf ("chatcmpl-fake%u", serial);
    json_builder_add_string_value (b, id);
  }
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, "chat.completion.chunk");
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, 1732233600);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model);
  json_builder_set_member_name (b, "system_fingerprint");
  json_builder_add_string_value (b, "fp_fake");
  json_builder_set_member_name (b, "choices");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "index");
  json_builder_add_int_value (b, 0);
  json_builder_set_member_name (b, "delta");
  json_builder_begin_object (b);
  if (first)
    {
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, "assistant");
    }
  if (content != NULL)
    {
      json_builder_set_member_name (b, "content");
      json_builder_add_string_value (b, content);
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "logprobs");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "finish_reason");
  if (finish_reason != NULL)
    json_builder_add_string_value (b, finish_reason);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  if (with_usage_member)
    {
      json_builder_set_member_name (b, "usage");
      json_builder_add_null_value (b);
    }
  json_builder_end_object (b);

  return node_to_string (b);
}

/* With @cost, as OpenRouter sends it: the credits (US dollars) the
 * request cost, after the token counts. */
static char *
openai_usage_chunk (guint       serial,
                    const char *model,
                    guint       input_tokens,
                    guint       output_tokens,
                    const char *cost)
{
  g_autofree char *cost_member = cost != NULL ? g_strdup_printf (",\"cost\":%s", cost) : NULL;

  return g_strdup_printf ("{\"id\":\"chatcmpl-fake%u\",\"object\":\"chat.completion.chunk\","
                          "\"created\":1732233600,\"model\":\"%s\",\"system_fingerprint\":\"fp_fake\","
                          "\"choices\":[],\"usage\":{\"prompt_tokens\":%u,\"completion_tokens\":%u,"
                          "\"total_tokens\":%u%s}}",
                          serial, model, input_tokens, output_tokens, input_tokens + output_tokens,
                          cost_member != NULL ? cost_member : "");
}

static char *
anthropic_text_delta (const char *text)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "content_block_delta");
  json_builder_set_member_name (b, "index");
  json_builder_add_int_value (b, 0);
  json_builder_set_member_name (b, "delta");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "text_delta");
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, text);
  json_builder_end_object (b);
  json_builder_end_object (b);

  return node_to_string (b);
}

static void
append_event (GString    *out,
              Wire        wire,
              const char *event,
              const char *data)
{
  if (wire == WIRE_ANTHROPIC && event != NULL)
    g_string_append_printf (out, "event: %s\n", event);
  g_string_append_printf (out, "data: %s\n\n", data);
}

static const char broken_json[] = "{\"id\":\"chatcmpl-broken\",\"choices\":[{\"delta\":{\"content\":\"lost";

/* The complete SSE body of an answer, as a list of events (one per
 * write). */
static GPtrArray *
build_events (TesseraFakeLlmServer      *self,
              Wire                       wire,
              const TesseraFakeLlmReply *reply,
              const char                *model,
              gboolean                   include_usage)
{
  GPtrArray *events = g_ptr_array_new_with_free_func (g_free);
  const char *text = reply->text != NULL ? reply->text : self->default_text;
  g_autoptr(GPtrArray) tokens = split_tokens (text);
  guint input_tokens = reply->input_tokens;
  guint output_tokens = reply->output_tokens;
  gboolean malformed = reply->mode == TESSERA_FAKE_LLM_MALFORMED;
  guint serial = ++self->serial;

  if (input_tokens == 0 && output_tokens == 0)
    {
      input_tokens = 42;
      output_tokens = MAX (tokens->len, 1);
    }

  if (reply->mode == TESSERA_FAKE_LLM_ALL_MALFORMED)
    {
      for (guint i = 0; i < 3; i++)
        {
          GString *e = g_string_new (NULL);

          append_event (e, wire, "content_block_delta", broken_json);
          g_ptr_array_add (events, g_string_free (e, FALSE));
        }
      if (wire == WIRE_OPENAI)
        g_ptr_array_add (events, g_strdup ("data: [DONE]\n\n"));
      return events;
    }

  if (wire == WIRE_OPENAI)
    {
      GString *e = g_string_new (NULL);
      g_autofree char *first = openai_chunk (serial, model, "", NULL, include_usage, TRUE);

      append_event (e, wire, NULL, first);
      g_ptr_array_add (events, g_string_free (e, FALSE));

      for (guint i = 0; i < tokens->len; i++)
        {
          g_autofree char *chunk = openai_token_chunk (serial, model, g_ptr_array_index (tokens, i),
                                                       include_usage);

          e = g_string_new (NULL);
          append_event (e, wire, NULL, chunk);
          if (malformed)
            append_event (e, wire, NULL, broken_json);
          g_ptr_array_add (events, g_string_free (e, FALSE));
        }

      {
        g_autofree char *last = openai_chunk (serial, model, NULL,
                                              reply->max_tokens ? "length" : "stop",
                                              include_usage, FALSE);
        e = g_string_new (NULL);
        append_event (e, wire, NULL, last);
        g_ptr_array_add (events, g_string_free (e, FALSE));
      }

      if (include_usage)
        {
          g_autofree char *usage = openai_usage_chunk (serial, model, input_tokens, output_tokens, reply->cost);

          e = g_string_new (NULL);
          append_event (e, wire, NULL, usage);
          g_ptr_array_add (events, g_string_free (e, FALSE));
        }

      g_ptr_array_add (events, g_strdup ("data: [DONE]\n\n"));
    }
  else
    {
      GString *e = g_string_new (NULL);
      g_autofree char *start = NULL;

      start = g_strdup_printf ("{\"type\":\"message_start\",\"message\":{\"id\":\"msg_fake%u\","
                               "\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
                               "\"model\":\"%s\",\"stop_reason\":null,\"stop_sequence\":null,"
                               "\"usage\":{\"input_tokens\":%u,\"output_tokens\":1}}}",
                               serial, model, input_tokens);
      append_event (e, wire, "message_start", start);
      append_event (e, wire, "content_block_start",
                    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
      append_event (e, wire, "ping", "{\"type\": \"ping\"}");
      g_ptr_array_add (events, g_string_free (e, FALSE));

      for (guint i = 0; i < tokens->len; i++)
        {
          g_autofree char *delta = anthropic_token_delta (g_ptr_array_index (tokens, i));

          e = g_string_new (NULL);
          append_event (e, wire, "content_block_delta", delta);
          if (malformed)
            append_event (e, wire, "content_block_delta", broken_json);
          g_ptr_array_add (events, g_string_free (e, FALSE));
        }

      {
        g_autofree char *delta = NULL;

        delta = g_strdup_printf ("{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"%s\","
                                 "\"stop_sequence\":null},\"usage\":{\"output_tokens\":%u}}",
                                 reply->max_tokens ? "max_tokens" : "end_turn", output_tokens);
        e = g_string_new (NULL);
        append_event (e, wire, "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
        append_event (e, wire, "message_delta", delta);
        append_event (e, wire, "message_stop", "{\"type\":\"message_stop\"}");
        g_ptr_array_add (events, g_string_free (e, FALSE));
      }
    }

  return events;
}

static void
set_json_body (SoupServerMessage *msg,
               guint              status,
               const char        *json)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
}

static void
error_body (SoupServerMessage *msg,
            Wire               wire,
            guint              status,
            const char        *type,
            const char        *code,
            const char        *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *json = NULL;

  json_builder_begin_object (b);
  if (wire == WIRE_ANTHROPIC)
    {
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, "error");
    }
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  if (wire == WIRE_OPENAI)
    {
      json_builder_set_member_name (b, "param");
      json_builder_add_null_value (b);
      json_builder_set_member_name (b, "code");
      if (code != NULL)
        json_builder_add_string_value (b, code);
      else
        json_builder_add_null_value (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);

  json = node_to_string (b);
  set_json_body (msg, status, json);
}

static void
start_event_stream (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
}

static void
pump_free (Pump *pump)
{
  if (pump->idle_id != 0)
    g_source_remove (pump->idle_id);
  if (pump->wrote_id != 0)
    g_signal_handler_disconnect (pump->msg, pump->wrote_id);
  if (pump->finished_id != 0)
    g_signal_handler_disconnect (pump->msg, pump->finished_id);
  if (pump->disconnected_id != 0)
    g_signal_handler_disconnect (pump->msg, pump->disconnected_id);
  g_clear_pointer (&pump->body, g_bytes_unref);
  g_object_unref (pump->msg);
  g_free (pump);
}

static char *
endless_event (Pump *pump)
{
  g_autoptr(GString) e = g_string_new (NULL);
  g_autofree char *data = NULL;

  if (pump->wire == WIRE_OPENAI)
    data = openai_chunk (0, "fake-large", "tick ", NULL, FALSE, FALSE);
  else
    data = anthropic_text_delta ("tick ");
  append_event (e, pump->wire, "content_block_delta", data);

  return g_string_free (g_steal_pointer (&e), FALSE);
}

static gboolean
pump_next_cb (gpointer user_data)
{
  Pump *pump = user_data;
  SoupMessageBody *body = soup_server_message_get_response_body (pump->msg);

  pump->idle_id = 0;
  if (pump->done)
    return G_SOURCE_REMOVE;

  if (pump->body != NULL)
    {
      gsize len;
      const char *data = g_bytes_get_data (pump->body, &len);

      soup_message_body_append (body, SOUP_MEMORY_COPY, data + pump->offset, 1);
      pump->offset++;
      /* Completing with the last byte, not after it: once the client has
       * its final event it may hang up before another write. */
      if (pump->offset == len)
        {
          pump->done = TRUE;
          soup_message_body_complete (body);
        }
    }
  else
    {
      g_autofree char *event = endless_event (pump);

      soup_message_body_append (body, SOUP_MEMORY_COPY, event, strlen (event));
    }

  soup_server_message_unpause (pump->msg);
  return G_SOURCE_REMOVE;
}

static void
pump_wrote_chunk_cb (SoupServerMessage *msg,
                     Pump              *pump)
{
  /* From an idle: appending from inside the writer is reentrant. */
  if (pump->idle_id == 0 && !pump->done)
    pump->idle_id = g_idle_add (pump_next_cb, pump);
}

static void
pump_finished_cb (SoupServerMessage *msg,
                  Pump              *pump)
{
  /* Written, or the client went away: either way nothing more to send. */
  pump->done = TRUE;
}

static void
start_pump (TesseraFakeLlmServer *self,
            SoupServerMessage    *msg,
            Wire                  wire,
            GBytes               *body)
{
  Pump *pump = g_new0 (Pump, 1);
  g_autofree char *first = NULL;

  pump->server = self;
  pump->msg = g_object_ref (msg);
  pump->wire = wire;
  pump->body = body != NULL ? g_bytes_ref (body) : NULL;
  g_object_set_data_full (G_OBJECT (msg), "tessera-fake-pump", pump, (GDestroyNotify) pump_free);

  start_event_stream (msg);
  pump->wrote_id = g_signal_connect (msg, "wrote-chunk", G_CALLBACK (pump_wrote_chunk_cb), pump);
  pump->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (pump_finished_cb), pump);
  pump->disconnected_id = g_signal_connect (msg, "disconnected", G_CALLBACK (pump_finished_cb), pump);

  if (body != NULL)
    {
      soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_COPY,
                                g_bytes_get_data (body, NULL), 1);
      pump->offset = 1;
    }
  else
    {
      first = endless_event (pump);
      soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_COPY,
                                first, strlen (first));
    }
}

typedef struct
{
  TesseraFakeLlmServer *server;
  GIOStream            *stream;
  GBytes               *data;
} Drop;

static void
drop_closed_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Drop *drop = user_data;

  g_io_stream_close_finish (G_IO_STREAM (object), result, NULL);
  drop->server->in_flight--;
  g_object_unref (drop->stream);
  g_bytes_unref (drop->data);
  g_free (drop);
}

static void
drop_written_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Drop *drop = user_data;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, NULL);
  g_io_stream_close_async (drop->stream, G_PRIORITY_DEFAULT, NULL, drop_closed_cb, drop);
}

/* Takes the connection from the server and writes the response by hand, so
 * that it can end where a real network failure would. */
static void
drop_after (TesseraFakeLlmServer *self,
            SoupServerMessage    *msg,
            const char           *body,
            gsize                 body_len,
            gsize                 keep)
{
  GString *raw = g_string_new ("HTTP/1.1 200 OK\r\n"
                               "Content-Type: text/event-stream\r\n"
                               "Cache-Control: no-cache\r\n"
                               "Transfer-Encoding: chunked\r\n"
                               "\r\n");
  Drop *drop = g_new0 (Drop, 1);
  gsize len;

  keep = MIN (keep, body_len);
  if (keep > 0)
    {
      g_string_append_printf (raw, "%zx\r\n", keep);
      g_string_append_len (raw, body, keep);
      g_string_append (raw, "\r\n");
    }

  drop->server = self;
  drop->stream = soup_server_message_steal_connection (msg);
  len = raw->len;
  drop->data = g_bytes_new_take (g_string_free (raw, FALSE), len);
  self->in_flight++;

  g_output_stream_write_all_async (g_io_stream_get_output_stream (drop->stream),
                                   g_bytes_get_data (drop->data, NULL), len,
                                   G_PRIORITY_DEFAULT, NULL, drop_written_cb, drop);
}

static const char *
request_model (const TesseraFakeLlmRequest *request)
{
  JsonObject *object = tessera_fake_llm_request_get_object (request);

  if (object != NULL && json_object_has_member (object, "model") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (object, "model")))
    return json_object_get_string_member (object, "model");

  return "fake-large";
}

/* Answers @msg with @reply (taken; NULL: the default text). */
static void
answer_completion (TesseraFakeLlmServer        *self,
                   SoupServerMessage           *msg,
                   Wire                         wire,
                   const TesseraFakeLlmRequest *request,
                   TesseraFakeLlmReply         *reply)
{
  g_autofree TesseraFakeLlmReply *fallback = NULL;
  const char *model = request_model (request);
  JsonObject *object = tessera_fake_llm_request_get_object (request);
  gboolean include_usage = FALSE;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GString) body = NULL;
  g_autofree char *cache_key = NULL;
  SoupMessageBody *response_body;

  if (reply == NULL)
    {
      reply = fallback = g_new0 (TesseraFakeLlmReply, 1);
      fallback->mode = TESSERA_FAKE_LLM_ANSWER;
    }

  if (wire == WIRE_OPENAI && object != NULL && json_object_has_member (object, "stream_options"))
    {
      JsonNode *options = json_object_get_member (object, "stream_options");

      include_usage = JSON_NODE_HOLDS_OBJECT (options) &&
                      json_object_get_boolean_member_with_default (json_node_get_object (options),
                                                                   "include_usage", FALSE);
    }

  switch (reply->mode)
    {
    case TESSERA_FAKE_LLM_UNAUTHORIZED:
      {
        /* OpenAI quotes (part of) the key back: a leak test must see that
         * it does not travel further. */
        const char *auth = soup_message_headers_get_one (request->headers, "Authorization");
        g_autofree char *message = g_strdup_printf ("Incorrect API key provided: %s.",
                                                    auth != NULL ? auth : "none");

        if (wire == WIRE_OPENAI)
          error_body (msg, wire, 401, "invalid_request_error", "invalid_api_key", message);
        else
          error_body (msg, wire, 401, "authentication_error", NULL, "invalid x-api-key");
      }
      goto out;

    case TESSERA_FAKE_LLM_FORBIDDEN:
      error_body (msg, wire, 403, "permission_error", NULL,
                  "Your API key does not have permission to use the specified resource.");
      goto out;

    case TESSERA_FAKE_LLM_MODEL_NOT_FOUND:
      {
        g_autofree char *message = g_strdup_printf ("The model `%s` does not exist or you do not have access to it.", model);

        error_body (msg, wire, 404, wire == WIRE_OPENAI ? "invalid_request_error" : "not_found_error",
                    "model_not_found", message);
      }
      goto out;

    case TESSERA_FAKE_LLM_RATE_LIMITED:
      error_body (msg, wire, 429, wire == WIRE_OPENAI ? "requests" : "rate_limit_error",
                  "rate_limit_exceeded", "Rate limit reached for requests. Please try again later.");
      if (reply->retry_after != NULL)
        soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                      "Retry-After", reply->retry_after);
      goto out;

    case TESSERA_FAKE_LLM_SERVER_ERROR:
      error_body (msg, wire, 500, wire == WIRE_OPENAI ? "server_error" : "api_error", NULL,
                  "The server had an error while processing your request. Sorry about that!");
      goto out;

    case TESSERA_FAKE_LLM_CONTEXT_TOO_LONG:
      if (wire == WIRE_OPENAI)
        error_body (msg, wire, 400, "invalid_request_error", "context_length_exceeded",
                    "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.");
      else
        error_body (msg, wire, 400, "invalid_request_error", NULL,
                    "prompt is too long: 210000 tokens > 200000 maximum");
      goto out;

    case TESSERA_FAKE_LLM_REJECT_STREAM_OPTIONS:
      if (object != NULL && json_object_has_member (object, "stream_options"))
        {
          error_body (msg, wire, 400, "invalid_request_error", NULL,
                      "Unrecognized request argument supplied: stream_options");
          goto out;
        }
      break;

    case TESSERA_FAKE_LLM_OVERLOADED:
      start_event_stream (msg);
      response_body = soup_server_message_get_response_body (msg);
      if (wire == WIRE_OPENAI)
        {
          const char *e = "data: {\"error\":{\"message\":\"The server is overloaded, please try again later.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n";
          soup_message_body_append (response_body, SOUP_MEMORY_STATIC, e, strlen (e));
        }
      else
        {
          const char *e = "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n";
          soup_message_body_append (response_body, SOUP_MEMORY_STATIC, e, strlen (e));
        }
      soup_message_body_complete (response_body);
      goto out;

    case TESSERA_FAKE_LLM_ENDLESS:
      start_pump (self, msg, wire, NULL);
      goto out;

    case TESSERA_FAKE_LLM_NOT_STREAMED:
      {
        GString *json = g_string_new (NULL);
        const char *text = reply->text != NULL ? reply->text : self->default_text;

        if (wire == WIRE_OPENAI)
          {
            g_string_append (json, "{\"id\":\"chatcmpl-whole\",\"object\":\"chat.completion\","
                                   "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
            append_json_string (json, text);
            g_string_append (json, "},\"finish_reason\":\"stop\"}]}");
          }
        else
          {
            g_string_append (json, "{\"id\":\"msg_whole\",\"type\":\"message\",\"role\":\"assistant\","
                                   "\"content\":[{\"type\":\"text\",\"text\":");
            append_json_string (json, text);
            g_string_append (json, "}],\"stop_reason\":\"end_turn\"}");
          }
        set_json_body (msg, SOUP_STATUS_OK, json->str);
        g_string_free (json, TRUE);
      }
      goto out;

    case TESSERA_FAKE_LLM_ANSWER:
    case TESSERA_FAKE_LLM_TRICKLE:
    case TESSERA_FAKE_LLM_MALFORMED:
    case TESSERA_FAKE_LLM_ALL_MALFORMED:
    case TESSERA_FAKE_LLM_DROP:
    default:
      break;
    }

  if (reply->mode == TESSERA_FAKE_LLM_ANSWER)
    {
      const char *text = reply->text != NULL ? reply->text : self->default_text;

      cache_key = g_strdup_printf ("%d %s %d %u %u %s %s", wire, model, include_usage,
                                   reply->input_tokens, reply->output_tokens,
                                   reply->cost != NULL ? reply->cost : "-", text);
      if (self->cached_key != NULL && g_str_equal (cache_key, self->cached_key))
        {
          start_event_stream (msg);
          response_body = soup_server_message_get_response_body (msg);
          for (guint i = 0; i < self->cached_writes->len; i++)
            soup_message_body_append_bytes (response_body, g_ptr_array_index (self->cached_writes, i));
          soup_message_body_complete (response_body);
          goto out;
        }
    }

  events = build_events (self, wire, reply, model, include_usage);

  if (reply->mode == TESSERA_FAKE_LLM_DROP || reply->mode == TESSERA_FAKE_LLM_TRICKLE)
    {
      gsize len;
      g_autoptr(GBytes) bytes = NULL;

      body = g_string_new (NULL);
      for (guint i = 0; i < events->len; i++)
        g_string_append (body, g_ptr_array_index (events, i));

      if (reply->mode == TESSERA_FAKE_LLM_DROP)
        {
          drop_after (self, msg, body->str, body->len, reply->drop_after);
          goto out;
        }

      len = body->len;
      bytes = g_bytes_new_take (g_string_free (g_steal_pointer (&body), FALSE), len);
      start_pump (self, msg, wire, bytes);
      goto out;
    }

  start_event_stream (msg);
  response_body = soup_server_message_get_response_body (msg);
  {
    g_autoptr(GString) write = g_string_new (NULL);
    g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
    gsize total = 0;
    gsize write_size;

    for (guint i = 0; i < events->len; i++)
      total += strlen (g_ptr_array_index (events, i));
    /* One event per write for ordinary answers; big ones are grouped into
     * a few hundred writes, because SoupMessageBody finds each chunk by
     * walking its list and a quarter of a million chunks turns quadratic. */
    write_size = total > 64 * 1024 ? total / 256 : 0;

    for (guint i = 0; i < events->len; i++)
      {
        g_string_append (write, g_ptr_array_index (events, i));
        if (write->len >= write_size || i + 1 == events->len)
          {
            g_ptr_array_add (writes, g_bytes_new (write->str, write->len));
            soup_message_body_append_bytes (response_body, g_ptr_array_index (writes, writes->len - 1));
            g_string_truncate (write, 0);
          }
      }

    if (cache_key != NULL && write_size > 0)
      {
        g_clear_pointer (&self->cached_writes, g_ptr_array_unref);
        g_free (self->cached_key);
        self->cached_writes = g_steal_pointer (&writes);
        self->cached_key = g_steal_pointer (&cache_key);
      }
  }
  soup_message_body_complete (response_body);

out:
  if (reply != fallback)
    reply_free (reply);
}

/* A completion whose model thinks first: what it needs of the request
 * is kept, as the tests may clear the server's record of requests. */
typedef struct
{
  TesseraFakeLlmServer  *server;
  SoupServerMessage     *msg;
  Wire                   wire;
  TesseraFakeLlmRequest *request;
  TesseraFakeLlmReply   *reply;
} Thinking;

static gboolean
thought_cb (gpointer user_data)
{
  Thinking *thinking = user_data;

  soup_server_message_unpause (thinking->msg);
  answer_completion (thinking->server, thinking->msg, thinking->wire, thinking->request, thinking->reply);
  thinking->server->in_flight--;
  request_free (thinking->request);
  g_object_unref (thinking->msg);
  g_free (thinking);

  return G_SOURCE_REMOVE;
}

static void
handle_completion (TesseraFakeLlmServer        *self,
                   SoupServerMessage           *msg,
                   Wire                         wire,
                   const TesseraFakeLlmRequest *request)
{
  TesseraFakeLlmReply *reply = g_queue_pop_head (&self->replies);
  Thinking *thinking;

  if (reply == NULL || reply->think_ms == 0)
    {
      answer_completion (self, msg, wire, request, reply);
      return;
    }

  thinking = g_new0 (Thinking, 1);
  thinking->server = self;
  thinking->msg = g_object_ref (msg);
  thinking->wire = wire;
  thinking->request = g_new0 (TesseraFakeLlmRequest, 1);
  thinking->request->headers = soup_message_headers_ref (request->headers);
  thinking->request->json = request->json != NULL ? json_node_ref (request->json) : NULL;
  thinking->reply = reply;
  self->in_flight++;
  soup_server_message_pause (msg);
  g_timeout_add (reply->think_ms, thought_cb, thinking);
}

static void
handle_models (TesseraFakeLlmServer        *self,
               SoupServerMessage           *msg,
               const TesseraFakeLlmRequest *request,
               gboolean                     ollama)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *json = NULL;
  gboolean anthropic = soup_message_headers_get_one (request->headers, "anthropic-version") != NULL;

  if (self->models_unauthorized)
    {
      error_body (msg, anthropic ? WIRE_ANTHROPIC : WIRE_OPENAI, 401,
                  anthropic ? "authentication_error" : "invalid_request_error",
                  "invalid_api_key", "Invalid API key.");
      return;
    }

  json_builder_begin_object (b);
  if (!ollama && !anthropic)
    {
      json_builder_set_member_name (b, "object");
      json_builder_add_string_value (b, "list");
    }
  json_builder_set_member_name (b, ollama ? "models" : "data");
  json_builder_begin_array (b);
  for (guint i = 0; self->models[i] != NULL; i++)
    {
      json_builder_begin_object (b);
      if (ollama)
        {
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, self->models[i]);
          json_builder_set_member_name (b, "model");
          json_builder_add_string_value (b, self->models[i]);
          json_builder_set_member_name (b, "size");
          json_builder_add_int_value (b, 2019393189);
        }
      else
        {
          json_builder_set_member_name (b, "id");
          json_builder_add_string_value (b, self->models[i]);
          json_builder_set_member_name (b, anthropic ? "type" : "object");
          json_builder_add_string_value (b, "model");
          if (anthropic)
            {
              json_builder_set_member_name (b, "display_name");
              json_builder_add_string_value (b, self->models[i]);
            }
          else
            {
              json_builder_set_member_name (b, "owned_by");
              json_builder_add_string_value (b, "fake");
            }
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (anthropic)
    {
      json_builder_set_member_name (b, "has_more");
      json_builder_add_boolean_value (b, FALSE);
    }
  json_builder_end_object (b);

  json = node_to_string (b);
  set_json_body (msg, SOUP_STATUS_OK, json);
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  TesseraFakeLlmServer *self = user_data;
  TesseraFakeLlmRequest *request = g_new0 (TesseraFakeLlmRequest, 1);
  SoupMessageHeadersIter iter;
  const char *name;
  const char *value;
  const char *method = soup_server_message_get_method (msg);

  request->method = g_strdup (method);
  request->path = g_strdup (path);
  request->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  soup_message_headers_iter_init (&iter, soup_server_message_get_request_headers (msg));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    soup_message_headers_append (request->headers, name, value);
  request->body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  if (g_bytes_get_size (request->body) > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, g_bytes_get_data (request->body, NULL),
                                      g_bytes_get_size (request->body), NULL))
        request->json = json_node_ref (json_parser_get_root (parser));
    }
  g_ptr_array_add (self->requests, request);

  if (g_str_equal (method, "POST") && g_str_has_suffix (path, "/chat/completions"))
    handle_completion (self, msg, WIRE_OPENAI, request);
  else if (g_str_equal (method, "POST") && g_str_equal (path, "/v1/messages"))
    handle_completion (self, msg, WIRE_ANTHROPIC, request);
  else if (g_str_equal (method, "GET") && g_str_equal (path, "/api/tags"))
    handle_models (self, msg, request, TRUE);
  else if (g_str_equal (method, "GET") && g_str_has_suffix (path, "/models"))
    handle_models (self, msg, request, FALSE);
  else
    set_json_body (msg, SOUP_STATUS_NOT_FOUND, "{\"error\":\"not found\"}");
}

TesseraFakeLlmServer *
tessera_fake_llm_server_new (void)
{
  TesseraFakeLlmServer *self = g_new0 (TesseraFakeLlmServer, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;

  self->server = soup_server_new ("server-header", "tessera-fake-llm ", NULL);
  g_queue_init (&self->replies);
  self->default_text = g_strdup ("OK.");
  self->models = g_strdupv ((char *[]) { (char *) "fake-large", (char *) "fake-small", NULL });
  self->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) request_free);

  soup_server_add_handler (self->server, NULL, server_cb, self, NULL);

  if (!soup_server_listen (self->server, address, 0, &error))
    g_error ("The fake LLM server could not listen: %s", error->message);

  uris = soup_server_get_uris (self->server);
  g_assert (uris != NULL);
  self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  self->url = g_strdup_printf ("http://127.0.0.1:%u", self->port);
  self->openai_url = g_strdup_printf ("http://127.0.0.1:%u/v1", self->port);

  return self;
}

void
tessera_fake_llm_server_drain (TesseraFakeLlmServer *self)
{
  while (self->in_flight > 0)
    g_main_context_iteration (NULL, TRUE);
}

void
tessera_fake_llm_server_free (TesseraFakeLlmServer *self)
{
  if (self == NULL)
    return;

  soup_server_disconnect (self->server);
  tessera_fake_llm_server_drain (self);
  /* Let the sockets' close notifications run before the server goes. */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  g_clear_object (&self->server);
  g_queue_clear_full (&self->replies, (GDestroyNotify) reply_free);
  g_ptr_array_unref (self->requests);
  g_strfreev (self->models);
  g_free (self->default_text);
  g_clear_pointer (&self->cached_writes, g_ptr_array_unref);
  g_free (self->cached_key);
  g_free (self->url);
  g_free (self->openai_url);
  g_free (self);
}

const char *
tessera_fake_llm_server_get_url (TesseraFakeLlmServer *self)
{
  return self->url;
}

const char *
tessera_fake_llm_server_get_openai_url (TesseraFakeLlmServer *self)
{
  return self->openai_url;
}

guint16
tessera_fake_llm_server_get_port (TesseraFakeLlmServer *self)
{
  return self->port;
}

void
tessera_fake_llm_server_push (TesseraFakeLlmServer      *self,
                              const TesseraFakeLlmReply *reply)
{
  TesseraFakeLlmReply *copy = g_memdup2 (reply, sizeof *reply);

  copy->text = g_strdup (reply->text);
  copy->retry_after = g_strdup (reply->retry_after);
  copy->cost = g_strdup (reply->cost);
  g_queue_push_tail (&self->replies, copy);
}

void
tessera_fake_llm_server_push_text (TesseraFakeLlmServer *self,
                                   const char           *text)
{
  TesseraFakeLlmReply reply = { .mode = TESSERA_FAKE_LLM_ANSWER, .text = text };

  tessera_fake_llm_server_push (self, &reply);
}

void
tessera_fake_llm_server_push_mode (TesseraFakeLlmServer *self,
                                   TesseraFakeLlmMode    mode)
{
  TesseraFakeLlmReply reply = { .mode = mode };

  tessera_fake_llm_server_push (self, &reply);
}

guint
tessera_fake_llm_server_get_n_queued (TesseraFakeLlmServer *self)
{
  return self->replies.length;
}

void
tessera_fake_llm_server_set_default_text (TesseraFakeLlmServer *self,
                                          const char           *text)
{
  g_free (self->default_text);
  self->default_text = g_strdup (text != NULL ? text : "");
}

void
tessera_fake_llm_server_set_models (TesseraFakeLlmServer *self,
                                    const char * const   *models)
{
  g_strfreev (self->models);
  self->models = g_strdupv ((char **) models);
}

void
tessera_fake_llm_server_set_models_unauthorized (TesseraFakeLlmServer *self,
                                                 gboolean              unauthorized)
{
  self->models_unauthorized = unauthorized;
}

guint
tessera_fake_llm_server_get_n_requests (TesseraFakeLlmServer *self)
{
  return self->requests->len;
}

const TesseraFakeLlmRequest *
tessera_fake_llm_server_get_request (TesseraFakeLlmServer *self,
                                     guint                 position)
{
  g_assert_cmpuint (position, <, self->requests->len);

  return g_ptr_array_index (self->requests, position);
}

const TesseraFakeLlmRequest *
tessera_fake_llm_server_get_last_request (TesseraFakeLlmServer *self)
{
  if (self->requests->len == 0)
    return NULL;

  return g_ptr_array_index (self->requests, self->requests->len - 1);
}

void
tessera_fake_llm_server_clear_requests (TesseraFakeLlmServer *self)
{
  g_ptr_array_set_size (self->requests, 0);
}

const char *
tessera_fake_llm_request_get_header (const TesseraFakeLlmRequest *request,
                                     const char                  *name)
{
  return soup_message_headers_get_one (request->headers, name);
}

JsonObject *
tessera_fake_llm_request_get_object (const TesseraFakeLlmRequest *request)
{
  if (request->json == NULL || !JSON_NODE_HOLDS_OBJECT (request->json))
    return NULL;

  return json_node_get_object (request->json);
}
