/* tessera-anthropic-provider.c: Anthropic Messages API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-anthropic-provider"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "tessera-anthropic-provider.h"
#include "tessera-json-scan.h"
#include "tessera-llm-provider-private.h"
#include "tessera-llm-stream-private.h"

struct _TesseraAnthropicProvider
{
  TesseraLlmProvider  parent_instance;

  JsonParser         *parser;
};

G_DEFINE_FINAL_TYPE (TesseraAnthropicProvider, tessera_anthropic_provider, TESSERA_TYPE_LLM_PROVIDER)

static void
add_headers (TesseraLlmProvider *provider,
             SoupMessage        *msg)
{
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  const char *api_key = tessera_llm_provider_get_api_key (provider);

  if (api_key != NULL)
    soup_message_headers_replace (headers, "x-api-key", api_key);
  soup_message_headers_replace (headers, "anthropic-version", TESSERA_ANTHROPIC_VERSION);
}

/* "data:image/png;base64,AAAA" → media type and data, or FALSE. */
static gboolean
split_data_url (const char  *url,
                char       **media_type,
                const char **data)
{
  const char *semi;
  const char *comma;

  if (!g_str_has_prefix (url, "data:"))
    return FALSE;
  url += 5;
  semi = strstr (url, ";base64,");
  comma = strchr (url, ',');
  if (semi == NULL || comma == NULL || comma < semi)
    return FALSE;

  *media_type = g_strndup (url, semi - url);
  *data = semi + strlen (";base64,");
  return TRUE;
}

static void
add_message (JsonBuilder *builder,
             const char  *role,
             GPtrArray   *messages)
{
  gboolean has_images = FALSE;

  for (guint i = 0; i < messages->len; i++)
    if (tessera_llm_message_get_images (g_ptr_array_index (messages, i)) != NULL)
      has_images = TRUE;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, role);
  json_builder_set_member_name (builder, "content");

  if (!has_images)
    {
      g_autoptr(GString) text = g_string_new (NULL);

      /* The API wants roles to alternate: consecutive messages of one
       * role become one. */
      for (guint i = 0; i < messages->len; i++)
        {
          if (i > 0)
            g_string_append (text, "\n\n");
          g_string_append (text, tessera_llm_message_get_text (g_ptr_array_index (messages, i)));
        }
      json_builder_add_string_value (builder, text->str);
    }
  else
    {
      json_builder_begin_array (builder);
      for (guint i = 0; i < messages->len; i++)
        {
          TesseraLlmMessage *message = g_ptr_array_index (messages, i);
          const char * const *images = tessera_llm_message_get_images (message);

          for (guint j = 0; images != NULL && images[j] != NULL; j++)
            {
              g_autofree char *media_type = NULL;
              const char *data;

              if (!split_data_url (images[j], &media_type, &data))
                continue;

              json_builder_begin_object (builder);
              json_builder_set_member_name (builder, "type");
              json_builder_add_string_value (builder, "image");
              json_builder_set_member_name (builder, "source");
              json_builder_begin_object (builder);
              json_builder_set_member_name (builder, "type");
              json_builder_add_string_value (builder, "base64");
              json_builder_set_member_name (builder, "media_type");
              json_builder_add_string_value (builder, media_type);
              json_builder_set_member_name (builder, "data");
              json_builder_add_string_value (builder, data);
              json_builder_end_object (builder);
              json_builder_end_object (builder);
            }

          /* The API refuses an empty text block (a message of images
           * alone). */
          if (tessera_llm_message_get_text (message)[0] == '\0')
            continue;
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "type");
          json_builder_add_string_value (builder, "text");
          json_builder_set_member_name (builder, "text");
          json_builder_add_string_value (builder, tessera_llm_message_get_text (message));
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
    }

  json_builder_end_object (builder);
}

static SoupMessage *
tessera_anthropic_provider_build_stream_message (TesseraLlmProvider  *provider,
                                                 TesseraLlmRequest   *request,
                                                 GError             **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) run = g_ptr_array_new ();
  g_autofree char *url = tessera_llm_provider_build_url (provider, "v1/messages");
  g_autoptr(GBytes) body = NULL;
  const char *system = tessera_llm_request_get_system (request);
  guint max_tokens = tessera_llm_request_get_max_tokens (request);
  double temperature = tessera_llm_request_get_temperature (request);
  TesseraLlmRole run_role = TESSERA_LLM_ROLE_USER;
  SoupMessage *msg;
  char *json;
  gsize len;

  msg = soup_message_new (SOUP_METHOD_POST, url);
  if (msg == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The base URL of %s is not a valid address."),
                   tessera_llm_provider_get_name (provider));
      return NULL;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, tessera_llm_request_get_model (request));
  json_builder_set_member_name (builder, "max_tokens");
  json_builder_add_int_value (builder, max_tokens > 0 ? max_tokens : TESSERA_LLM_DEFAULT_MAX_TOKENS);
  if (system != NULL && system[0] != '\0')
    {
      json_builder_set_member_name (builder, "system");
      json_builder_add_string_value (builder, system);
    }
  if (temperature >= 0)
    {
      json_builder_set_member_name (builder, "temperature");
      json_builder_add_double_value (builder, MIN (temperature, 1.0));
    }
  json_builder_set_member_name (builder, "stream");
  json_builder_add_boolean_value (builder, TRUE);

  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  for (guint i = 0; i < tessera_llm_request_get_n_messages (request); i++)
    {
      TesseraLlmMessage *message = tessera_llm_request_get_message (request, i);
      TesseraLlmRole role = tessera_llm_message_get_role (message);

      if (run->len > 0 && role != run_role)
        {
          add_message (builder, run_role == TESSERA_LLM_ROLE_USER ? "user" : "assistant", run);
          g_ptr_array_set_size (run, 0);
        }
      run_role = role;
      g_ptr_array_add (run, message);
    }
  if (run->len > 0)
    add_message (builder, run_role == TESSERA_LLM_ROLE_USER ? "user" : "assistant", run);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, &len);
  body = g_bytes_new_take (json, len);

  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Accept", "text/event-stream");
  add_headers (provider, msg);

  return msg;
}

static const char *
get_string_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static gint64
get_int_member (JsonObject *object,
                const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return -1;

  return json_node_get_int (node);
}

static JsonObject *
get_object_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  return json_node_get_object (node);
}

/* content_block_delta events are nearly all of a stream: read their text
 * without building a tree (see tessera-json-scan.h). FALSE leaves the event
 * to json-glib. */
/* A content_block_delta without building a tree. Touches nothing but its
 * arguments: it also runs in the stream's worker thread. Returns FALSE
 * when the event is not one it knows; otherwise sets @result, and @text
 * to a text delta's text (NULL for other deltas). */
static gboolean
scan_delta (const char             *event_type,
            const char             *data,
            gsize                   data_len,
            char                  **text,
            TesseraLlmEventResult  *result)
{
  enum { TYPE, DELTA, N_MEMBERS };
  static const char * const members[] = { "type", "delta", NULL };
  /* A path of no steps: the value found, read as it is. */
  static const char * const itself[] = { NULL };
  /* In the delta. */
  static const char * const type_path[] = { "type", NULL };
  static const char * const text_path[] = { "text", NULL };
  const char *values[N_MEMBERS];
  gsize value_lens[N_MEMBERS];
  g_autofree char *type = NULL;
  g_autofree char *delta_type = NULL;

  *text = NULL;

  if (!g_str_equal (event_type, "content_block_delta") || data_len == 0 || data[0] != '{')
    return FALSE;

  /* The event checked and its two members found in one pass. */
  if (!_tessera_json_scan_members (data, data_len, members, values, value_lens))
    {
      *result = TESSERA_LLM_EVENT_MALFORMED;
      return TRUE;
    }

  if (values[TYPE] == NULL || values[DELTA] == NULL ||
      _tessera_json_scan_lookup (values[TYPE], value_lens[TYPE], itself, &type) != TESSERA_JSON_SCAN_STRING ||
      !g_str_equal (type, "content_block_delta") ||
      _tessera_json_scan_lookup (values[DELTA], value_lens[DELTA], type_path, &delta_type) != TESSERA_JSON_SCAN_STRING)
    return FALSE;

  if (g_str_equal (delta_type, "text_delta") &&
      _tessera_json_scan_lookup (values[DELTA], value_lens[DELTA], text_path, text) != TESSERA_JSON_SCAN_STRING)
    {
      g_clear_pointer (text, g_free);
      return FALSE;
    }

  *result = TESSERA_LLM_EVENT_CONTINUE;
  return TRUE;
}

static gboolean
tessera_anthropic_provider_scan_text (TesseraLlmProvider *provider,
                                      const char         *event_type,
                                      const char         *data,
                                      gsize               data_len,
                                      GString            *text)
{
  g_autofree char *delta = NULL;
  TesseraLlmEventResult result;

  /* A malformed event is counted by handle_event(). */
  if (!scan_delta (event_type, data, data_len, &delta, &result) || result != TESSERA_LLM_EVENT_CONTINUE)
    return FALSE;

  if (delta != NULL)
    g_string_append (text, delta);
  return TRUE;
}

static TesseraLlmEventResult
tessera_anthropic_provider_handle_event (TesseraLlmProvider  *provider,
                                         TesseraLlmStream    *stream,
                                         const char          *event_type,
                                         const char          *data,
                                         gsize                data_len,
                                         GError             **error)
{
  TesseraAnthropicProvider *self = TESSERA_ANTHROPIC_PROVIDER (provider);
  JsonNode *root;
  JsonObject *object;
  const char *type;
  TesseraLlmEventResult fast_result;
  g_autofree char *text = NULL;

  if (scan_delta (event_type, data, data_len, &text, &fast_result))
    {
      if (text != NULL)
        _tessera_llm_stream_add_text (stream, text, -1);
      return fast_result;
    }

  if (!json_parser_load_from_data (self->parser, data, data_len, NULL))
    return TESSERA_LLM_EVENT_MALFORMED;

  root = json_parser_get_root (self->parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return TESSERA_LLM_EVENT_MALFORMED;
  object = json_node_get_object (root);

  /* The data's "type" repeats the event name; it is the one the API
   * documents as authoritative. */
  type = get_string_member (object, "type");
  if (type == NULL)
    type = event_type;

  if (g_str_equal (type, "content_block_delta"))
    {
      JsonObject *delta = get_object_member (object, "delta");
      const char *delta_type = get_string_member (delta, "type");

      if (delta == NULL)
        return TESSERA_LLM_EVENT_MALFORMED;
      /* Thinking and tool input deltas are not part of the answer. */
      if (g_strcmp0 (delta_type, "text_delta") == 0)
        _tessera_llm_stream_add_text (stream, get_string_member (delta, "text"), -1);
    }
  else if (g_str_equal (type, "content_block_start"))
    {
      JsonObject *block = get_object_member (object, "content_block");

      if (g_strcmp0 (get_string_member (block, "type"), "text") == 0)
        _tessera_llm_stream_add_text (stream, get_string_member (block, "text"), -1);
    }
  else if (g_str_equal (type, "message_start"))
    {
      JsonObject *usage = get_object_member (get_object_member (object, "message"), "usage");

      if (usage != NULL)
        _tessera_llm_stream_set_usage (stream,
                                       get_int_member (usage, "input_tokens"),
                                       get_int_member (usage, "output_tokens"), -1);
    }
  else if (g_str_equal (type, "message_delta"))
    {
      const char *stop_reason = get_string_member (get_object_member (object, "delta"), "stop_reason");
      JsonObject *usage = get_object_member (object, "usage");

      if (stop_reason != NULL)
        {
          if (g_str_equal (stop_reason, "end_turn") || g_str_equal (stop_reason, "stop_sequence"))
            _tessera_llm_stream_set_stop_reason (stream, TESSERA_LLM_STOP_END);
          else if (g_str_equal (stop_reason, "max_tokens"))
            _tessera_llm_stream_set_stop_reason (stream, TESSERA_LLM_STOP_MAX_TOKENS);
          else
            _tessera_llm_stream_set_stop_reason (stream, TESSERA_LLM_STOP_OTHER);
        }
      if (usage != NULL)
        _tessera_llm_stream_set_usage (stream,
                                       get_int_member (usage, "input_tokens"),
                                       get_int_member (usage, "output_tokens"), -1);
    }
  else if (g_str_equal (type, "message_stop"))
    return TESSERA_LLM_EVENT_DONE;
  else if (g_str_equal (type, "error"))
    {
      JsonObject *error_object = get_object_member (object, "error");

      g_propagate_error (error,
                         _tessera_llm_provider_stream_error (provider,
                                                             get_string_member (error_object, "type"),
                                                             get_string_member (error_object, "message"),
                                                             NULL));
      return TESSERA_LLM_EVENT_ERROR;
    }
  /* ping, content_block_stop and event types added later: nothing to do. */

  return TESSERA_LLM_EVENT_CONTINUE;
}

static SoupMessage *
tessera_anthropic_provider_build_models_message (TesseraLlmProvider *provider)
{
  g_autofree char *url = tessera_llm_provider_build_url (provider, "v1/models?limit=1000");
  SoupMessage *msg = soup_message_new (SOUP_METHOD_GET, url);

  if (msg != NULL)
    add_headers (provider, msg);

  return msg;
}

static char **
tessera_anthropic_provider_parse_models (TesseraLlmProvider  *provider,
                                         JsonNode            *root,
                                         GError             **error)
{
  return _tessera_llm_provider_parse_model_list (provider, root, "data", "id", error);
}

static void
tessera_anthropic_provider_finalize (GObject *object)
{
  TesseraAnthropicProvider *self = (TesseraAnthropicProvider *)object;

  g_clear_object (&self->parser);

  G_OBJECT_CLASS (tessera_anthropic_provider_parent_class)->finalize (object);
}

static void
tessera_anthropic_provider_class_init (TesseraAnthropicProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  TesseraLlmProviderClass *provider_class = TESSERA_LLM_PROVIDER_CLASS (klass);

  object_class->finalize = tessera_anthropic_provider_finalize;

  provider_class->build_stream_message = tessera_anthropic_provider_build_stream_message;
  provider_class->handle_event = tessera_anthropic_provider_handle_event;
  provider_class->scan_text = tessera_anthropic_provider_scan_text;
  provider_class->build_models_message = tessera_anthropic_provider_build_models_message;
  provider_class->parse_models = tessera_anthropic_provider_parse_models;
}

static void
tessera_anthropic_provider_init (TesseraAnthropicProvider *self)
{
  self->parser = json_parser_new_immutable ();
}

TesseraLlmProvider *
tessera_anthropic_provider_new (const char *base_url,
                                const char *api_key)
{
  g_autofree char *root = NULL;

  if (base_url == NULL || base_url[0] == '\0')
    base_url = TESSERA_ANTHROPIC_DEFAULT_BASE_URL;

  /* The SDKs take the root; people paste ".../v1" too. */
  root = g_strdup (base_url);
  while (g_str_has_suffix (root, "/"))
    root[strlen (root) - 1] = '\0';
  if (g_str_has_suffix (root, "/v1"))
    root[strlen (root) - 3] = '\0';

  return g_object_new (TESSERA_TYPE_ANTHROPIC_PROVIDER,
                       "id", "anthropic",
                       "name", "Anthropic",
                       "base-url", root,
                       "api-key", api_key,
                       NULL);
}
