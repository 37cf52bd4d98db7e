/* tessera-openai-provider.c: OpenAI-compatible Chat Completions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-openai-provider"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "tessera-llm-provider-private.h"
#include "tessera-llm-stream-private.h"
#include "tessera-json-scan.h"
#include "tessera-openai-provider.h"

struct _TesseraOpenaiProvider
{
  TesseraLlmProvider  parent_instance;

  /* Reused for every event: one parser per event would dominate the cost
   * of a fast stream. */
  JsonParser         *parser;
  /* Cleared for servers that reject the newer request members. */
  guint               send_stream_options : 1;
  guint               use_max_completion_tokens : 1;
};

G_DEFINE_FINAL_TYPE (TesseraOpenaiProvider, tessera_openai_provider, TESSERA_TYPE_LLM_PROVIDER)

static void
add_content (JsonBuilder       *builder,
             TesseraLlmMessage *message)
{
  const char * const *images = tessera_llm_message_get_images (message);

  json_builder_set_member_name (builder, "content");
  if (images == NULL)
    {
      json_builder_add_string_value (builder, tessera_llm_message_get_text (message));
      return;
    }

  json_builder_begin_array (builder);
  /* A message of images alone has no text part: an empty one is refused. */
  if (tessera_llm_message_get_text (message)[0] != '\0')
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "text");
      json_builder_set_member_name (builder, "text");
      json_builder_add_string_value (builder, tessera_llm_message_get_text (message));
      json_builder_end_object (builder);
    }
  for (guint i = 0; images[i] != NULL; i++)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "image_url");
      json_builder_set_member_name (builder, "image_url");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "url");
      json_builder_add_string_value (builder, images[i]);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static SoupMessage *
tessera_openai_provider_build_stream_message (TesseraLlmProvider  *provider,
                                              TesseraLlmRequest   *request,
                                              GError             **error)
{
  TesseraOpenaiProvider *self = TESSERA_OPENAI_PROVIDER (provider);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *url = tessera_llm_provider_build_url (provider, "chat/completions");
  g_autoptr(GBytes) body = NULL;
  const char *system = tessera_llm_request_get_system (request);
  const char *api_key = tessera_llm_provider_get_api_key (provider);
  guint max_tokens = tessera_llm_request_get_max_tokens (request);
  double temperature = tessera_llm_request_get_temperature (request);
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

  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  if (system != NULL && system[0] != '\0')
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, "system");
      json_builder_set_member_name (builder, "content");
      json_builder_add_string_value (builder, system);
      json_builder_end_object (builder);
    }
  for (guint i = 0; i < tessera_llm_request_get_n_messages (request); i++)
    {
      TesseraLlmMessage *message = tessera_llm_request_get_message (request, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder,
                                     tessera_llm_message_get_role (message) == TESSERA_LLM_ROLE_ASSISTANT
                                       ? "assistant" : "user");
      add_content (builder, message);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "stream");
  json_builder_add_boolean_value (builder, TRUE);

  if (self->send_stream_options)
    {
      json_builder_set_member_name (builder, "stream_options");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "include_usage");
      json_builder_add_boolean_value (builder, TRUE);
      json_builder_end_object (builder);
    }

  if (max_tokens > 0)
    {
      json_builder_set_member_name (builder, self->use_max_completion_tokens
                                               ? "max_completion_tokens" : "max_tokens");
      json_builder_add_int_value (builder, max_tokens);
    }

  if (temperature >= 0)
    {
      json_builder_set_member_name (builder, "temperature");
      json_builder_add_double_value (builder, temperature);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, &len);
  body = g_bytes_new_take (json, len);

  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Accept", "text/event-stream");
  /* Local servers take no key: sending an empty Bearer makes some of them
   * (and proxies in front of them) refuse the request. */
  if (api_key != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", api_key, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg),
                                    "Authorization", auth);
    }

  return msg;
}

static const char *
get_string_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

/* -1 when it is missing or not a number. */
static double
get_number_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_DOUBLE && json_node_get_value_type (node) != G_TYPE_INT64))
    return -1;

  return json_node_get_double (node);
}

static gint64
get_int_member (JsonObject *object,
                const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return -1;

  return json_node_get_int (node);
}

static JsonObject *
get_object_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  return json_node_get_object (node);
}

typedef enum
{
  FAST_HANDLED,
  FAST_MALFORMED,
  FAST_UNSURE,
} FastResult;

static void
set_finish_reason (TesseraLlmStream *stream,
                   const char       *finish_reason)
{
  if (g_str_equal (finish_reason, "stop"))
    _tessera_llm_stream_set_stop_reason (stream, TESSERA_LLM_STOP_END);
  else if (g_str_equal (finish_reason, "length"))
    _tessera_llm_stream_set_stop_reason (stream, TESSERA_LLM_STOP_MAX_TOKENS);
  else
    _tessera_llm_stream_set_stop_reason (stream, TESSERA_LLM_STOP_OTHER);
}

/* The ordinary chunk ({"choices":[{"delta":{"content":"…"}}]}) without
 * building a tree; errors, usage and anything unexpected are UNSURE and
 * go through json-glib. Touches nothing but its arguments: it also runs
 * in the stream's worker thread. On FAST_HANDLED, @content and
 * @finish_reason are set when the chunk has them. */
static FastResult
scan_chunk (const char  *data,
            gsize        data_len,
            char       **content,
            char       **finish_reason)
{
  enum { ERROR, USAGE, CHOICES, N_MEMBERS };
  static const char * const members[] = { "error", "usage", "choices", NULL };
  static const char * const first_path[] = { "0", NULL };
  static const char * const content_path[] = { "delta", "content", NULL };
  static const char * const finish_path[] = { "finish_reason", NULL };
  const char *values[N_MEMBERS];
  gsize value_lens[N_MEMBERS];
  TesseraJsonScanResult result = TESSERA_JSON_SCAN_MISSING;
  TesseraJsonScanResult finish_result = TESSERA_JSON_SCAN_MISSING;
  const char *choice;
  gsize choice_len;

  *content = NULL;
  *finish_reason = NULL;

  if (data_len == 0 || data[0] != '{')
    return FAST_UNSURE;
  /* The chunk checked and its three members found in one pass. */
  if (!_tessera_json_scan_members (data, data_len, members, values, value_lens))
    return FAST_MALFORMED;
  if (values[ERROR] != NULL ||
      (values[USAGE] != NULL && values[USAGE][0] != 'n'))
    return FAST_UNSURE;

  /* The first choice's members are looked up in it alone. */
  if (values[CHOICES] != NULL &&
      _tessera_json_scan_lookup_span (values[CHOICES], value_lens[CHOICES], first_path, &choice, &choice_len))
    {
      result = _tessera_json_scan_lookup (choice, choice_len, content_path, content);
      if (result == TESSERA_JSON_SCAN_INVALID)
        {
          g_clear_pointer (content, g_free);
          return FAST_UNSURE;
        }
      finish_result = _tessera_json_scan_lookup (choice, choice_len, finish_path, finish_reason);
    }

  /* Neither, and no list of choices at all: not the chunk this path
   * knows. (A string or null is no list; an empty one is.) */
  if (result == TESSERA_JSON_SCAN_MISSING && finish_result == TESSERA_JSON_SCAN_MISSING &&
      (values[CHOICES] == NULL || values[CHOICES][0] == '"' || values[CHOICES][0] == 'n'))
    {
      g_clear_pointer (content, g_free);
      g_clear_pointer (finish_reason, g_free);
      return FAST_UNSURE;
    }

  /* Only strings count: a null content or finish reason is none. */
  if (result != TESSERA_JSON_SCAN_STRING)
    g_clear_pointer (content, g_free);
  if (finish_result != TESSERA_JSON_SCAN_STRING)
    g_clear_pointer (finish_reason, g_free);

  return FAST_HANDLED;
}

static gboolean
tessera_openai_provider_scan_text (TesseraLlmProvider *provider,
                                   const char         *event_type,
                                   const char         *data,
                                   gsize               data_len,
                                   GString            *text)
{
  g_autofree char *content = NULL;
  g_autofree char *finish_reason = NULL;

  /* The end of the answer is for handle_event(). */
  if (scan_chunk (data, data_len, &content, &finish_reason) != FAST_HANDLED || finish_reason != NULL)
    return FALSE;

  if (content != NULL)
    g_string_append (text, content);
  return TRUE;
}

static TesseraLlmEventResult
tessera_openai_provider_handle_event (TesseraLlmProvider  *provider,
                                      TesseraLlmStream    *stream,
                                      const char          *event_type,
                                      const char          *data,
                                      gsize                data_len,
                                      GError             **error)
{
  TesseraOpenaiProvider *self = TESSERA_OPENAI_PROVIDER (provider);
  g_autofree char *fast_content = NULL;
  g_autofree char *fast_finish = NULL;
  JsonNode *root;
  JsonObject *object;
  JsonObject *error_object;
  JsonObject *usage;
  JsonNode *choices;

  if (data_len == 6 && memcmp (data, "[DONE]", 6) == 0)
    return TESSERA_LLM_EVENT_DONE;

  switch (scan_chunk (data, data_len, &fast_content, &fast_finish))
    {
    case FAST_HANDLED:
      if (fast_content != NULL)
        _tessera_llm_stream_add_text (stream, fast_content, -1);
      if (fast_finish != NULL)
        set_finish_reason (stream, fast_finish);
      return TESSERA_LLM_EVENT_CONTINUE;

    case FAST_MALFORMED:
      return TESSERA_LLM_EVENT_MALFORMED;

    case FAST_UNSURE:
    default:
      break;
    }

  if (!json_parser_load_from_data (self->parser, data, data_len, NULL))
    return TESSERA_LLM_EVENT_MALFORMED;

  root = json_parser_get_root (self->parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return TESSERA_LLM_EVENT_MALFORMED;
  object = json_node_get_object (root);

  if ((error_object = get_object_member (object, "error")) != NULL)
    {
      const char *type = get_string_member (error_object, "type");
      const char *code = get_string_member (error_object, "code");
      const char *message = get_string_member (error_object, "message");
      g_autofree char *kind = g_strjoin (" ", type ? type : "", code ? code : "", NULL);

      g_propagate_error (error, _tessera_llm_provider_stream_error (provider, kind, message, NULL));
      return TESSERA_LLM_EVENT_ERROR;
    }

  choices = json_object_get_member (object, "choices");
  if (choices != NULL && JSON_NODE_HOLDS_ARRAY (choices) &&
      json_array_get_length (json_node_get_array (choices)) > 0)
    {
      JsonNode *choice_node = json_array_get_element (json_node_get_array (choices), 0);
      JsonObject *choice;
      JsonObject *delta;
      const char *finish_reason;

      if (!JSON_NODE_HOLDS_OBJECT (choice_node))
        return TESSERA_LLM_EVENT_MALFORMED;
      choice = json_node_get_object (choice_node);

      if ((delta = get_object_member (choice, "delta")) != NULL)
        {
          const char *content = get_string_member (delta, "content");

          if (content != NULL)
            _tessera_llm_stream_add_text (stream, content, -1);
        }

      finish_reason = get_string_member (choice, "finish_reason");
      if (finish_reason != NULL)
        set_finish_reason (stream, finish_reason);
    }
  else if (!json_object_has_member (object, "usage"))
    return TESSERA_LLM_EVENT_MALFORMED;

  if ((usage = get_object_member (object, "usage")) != NULL)
    /* The cost is OpenRouter's: what it charged, in US dollars. */
    _tessera_llm_stream_set_usage (stream,
                                   get_int_member (usage, "prompt_tokens"),
                                   get_int_member (usage, "completion_tokens"),
                                   get_number_member (usage, "cost"));

  return TESSERA_LLM_EVENT_CONTINUE;
}

static gboolean
tessera_openai_provider_adapt_to_error (TesseraLlmProvider *provider,
                                        guint               status,
                                        const char         *body)
{
  TesseraOpenaiProvider *self = TESSERA_OPENAI_PROVIDER (provider);

  if ((status != SOUP_STATUS_BAD_REQUEST && status != 422) || body == NULL)
    return FALSE;

  /* Older OpenAI-compatible servers validate strictly and refuse what
   * they do not know; usage is optional, the answer is not. */
  if (self->send_stream_options && strstr (body, "stream_options") != NULL)
    {
      g_debug ("%s refuses stream_options; sending without",
               tessera_llm_provider_get_name (provider));
      self->send_stream_options = FALSE;
      return TRUE;
    }

  /* OpenAI's reasoning models refuse max_tokens and name its successor. */
  if (!self->use_max_completion_tokens && strstr (body, "max_completion_tokens") != NULL)
    {
      self->use_max_completion_tokens = TRUE;
      return TRUE;
    }

  return FALSE;
}

static gboolean
is_ollama (TesseraLlmProvider *provider)
{
  return g_strcmp0 (tessera_llm_provider_get_id (provider), "ollama") == 0;
}

static SoupMessage *
tessera_openai_provider_build_models_message (TesseraLlmProvider *provider)
{
  g_autofree char *url = NULL;
  const char *api_key = tessera_llm_provider_get_api_key (provider);
  SoupMessage *msg;

  if (is_ollama (provider))
    {
      const char *base = tessera_llm_provider_get_base_url (provider);
      gsize len = strlen (base);

      /* Ollama's own listing lives at the root, beside /v1. */
      if (g_str_has_suffix (base, "/v1"))
        len -= 3;
      url = g_strdup_printf ("%.*s/api/tags", (int) len, base);
    }
  else
    url = tessera_llm_provider_build_url (provider, "models");

  msg = soup_message_new (SOUP_METHOD_GET, url);
  if (msg == NULL)
    return NULL;

  if (api_key != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", api_key, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg),
                                    "Authorization", auth);
    }

  return msg;
}

static char **
tessera_openai_provider_parse_models (TesseraLlmProvider  *provider,
                                      JsonNode            *root,
                                      GError             **error)
{
  /* Ollama's own /api/tags lists "models" by "name". */
  if (is_ollama (provider))
    return _tessera_llm_provider_parse_model_list (provider, root, "models", "name", error);

  return _tessera_llm_provider_parse_model_list (provider, root, "data", "id", error);
}

static void
tessera_openai_provider_finalize (GObject *object)
{
  TesseraOpenaiProvider *self = (TesseraOpenaiProvider *)object;

  g_clear_object (&self->parser);

  G_OBJECT_CLASS (tessera_openai_provider_parent_class)->finalize (object);
}

static void
tessera_openai_provider_class_init (TesseraOpenaiProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  TesseraLlmProviderClass *provider_class = TESSERA_LLM_PROVIDER_CLASS (klass);

  object_class->finalize = tessera_openai_provider_finalize;

  provider_class->build_stream_message = tessera_openai_provider_build_stream_message;
  provider_class->handle_event = tessera_openai_provider_handle_event;
  provider_class->scan_text = tessera_openai_provider_scan_text;
  provider_class->adapt_to_error = tessera_openai_provider_adapt_to_error;
  provider_class->build_models_message = tessera_openai_provider_build_models_message;
  provider_class->parse_models = tessera_openai_provider_parse_models;
}

static void
tessera_openai_provider_init (TesseraOpenaiProvider *self)
{
  self->parser = json_parser_new_immutable ();
  self->send_stream_options = TRUE;
}

TesseraLlmProvider *
tessera_openai_provider_new (const char *id,
                             const char *name,
                             const char *base_url,
                             const char *api_key)
{
  g_return_val_if_fail (base_url != NULL, NULL);

  return g_object_new (TESSERA_TYPE_OPENAI_PROVIDER,
                       "id", id != NULL ? id : "custom",
                       "name", name != NULL ? name : _("Custom provider"),
                       "base-url", base_url,
                       "api-key", api_key,
                       NULL);
}
