/* tessera-llm-provider.c: HTTP, retries and error mapping for providers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-llm-provider"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "tessera-llm-provider-private.h"
#include "tessera-llm-stream-private.h"

/* Local models may think for minutes over a long prompt before the first
 * byte; anything slower than this is a hung server. */
#define IO_TIMEOUT_SECONDS 300
#define MAX_SERVER_MESSAGE 300

typedef struct
{
  char        *id;
  char        *name;
  char        *base_url;
  char        *api_key;
  guint        max_retries;
  guint        retry_base_ms;
  guint        max_retry_delay_ms;
  SoupSession *session;
} TesseraLlmProviderPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (TesseraLlmProvider, tessera_llm_provider, G_TYPE_OBJECT)

G_DEFINE_QUARK (tessera-llm-error-quark, tessera_llm_error)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_BASE_URL,
  PROP_API_KEY,
  PROP_MAX_RETRIES,
  PROP_RETRY_BASE_MS,
  PROP_MAX_RETRY_DELAY_MS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
wipe_key (char **key)
{
  if (*key != NULL)
    {
      for (volatile char *p = *key; *p != '\0'; p++)
        *p = '\0';
      g_clear_pointer (key, g_free);
    }
}

static void
tessera_llm_provider_dispose (GObject *object)
{
  TesseraLlmProvider *self = (TesseraLlmProvider *)object;
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  if (priv->session != NULL)
    soup_session_abort (priv->session);
  g_clear_object (&priv->session);

  G_OBJECT_CLASS (tessera_llm_provider_parent_class)->dispose (object);
}

static void
tessera_llm_provider_finalize (GObject *object)
{
  TesseraLlmProvider *self = (TesseraLlmProvider *)object;
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  g_clear_pointer (&priv->id, g_free);
  g_clear_pointer (&priv->name, g_free);
  g_clear_pointer (&priv->base_url, g_free);
  wipe_key (&priv->api_key);

  G_OBJECT_CLASS (tessera_llm_provider_parent_class)->finalize (object);
}

static void
tessera_llm_provider_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  TesseraLlmProvider *self = TESSERA_LLM_PROVIDER (object);
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, priv->id);
      break;

    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;

    case PROP_BASE_URL:
      g_value_set_string (value, priv->base_url);
      break;

    case PROP_MAX_RETRIES:
      g_value_set_uint (value, priv->max_retries);
      break;

    case PROP_RETRY_BASE_MS:
      g_value_set_uint (value, priv->retry_base_ms);
      break;

    case PROP_MAX_RETRY_DELAY_MS:
      g_value_set_uint (value, priv->max_retry_delay_ms);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_llm_provider_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  TesseraLlmProvider *self = TESSERA_LLM_PROVIDER (object);
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ID:
      priv->id = g_value_dup_string (value);
      break;

    case PROP_NAME:
      priv->name = g_value_dup_string (value);
      break;

    case PROP_BASE_URL:
      {
        const char *url = g_value_get_string (value);
        gsize len = url != NULL ? strlen (url) : 0;

        /* Subclasses append paths; one trailing slash less keeps
         * "…/v1/" and "…/v1" the same endpoint. */
        while (len > 0 && url[len - 1] == '/')
          len--;
        priv->base_url = g_strndup (url != NULL ? url : "", len);
      }
      break;

    case PROP_API_KEY:
      tessera_llm_provider_set_api_key (self, g_value_get_string (value));
      break;

    case PROP_MAX_RETRIES:
      tessera_llm_provider_set_max_retries (self, g_value_get_uint (value));
      break;

    case PROP_RETRY_BASE_MS:
      tessera_llm_provider_set_retry_base_ms (self, g_value_get_uint (value));
      break;

    case PROP_MAX_RETRY_DELAY_MS:
      tessera_llm_provider_set_max_retry_delay_ms (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_llm_provider_class_init (TesseraLlmProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_llm_provider_dispose;
  object_class->finalize = tessera_llm_provider_finalize;
  object_class->get_property = tessera_llm_provider_get_property;
  object_class->set_property = tessera_llm_provider_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* Write-only, so that no property dump or binding can read the key. */
  properties[PROP_API_KEY] =
    g_param_spec_string ("api-key", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_RETRIES] =
    g_param_spec_uint ("max-retries", NULL, NULL, 0, 20, 3,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRY_BASE_MS] =
    g_param_spec_uint ("retry-base-ms", NULL, NULL, 0, 600000, 1000,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_RETRY_DELAY_MS] =
    g_param_spec_uint ("max-retry-delay-ms", NULL, NULL, 0, G_MAXUINT, 60000,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_llm_provider_init (TesseraLlmProvider *self)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);
  const char *base_env = g_getenv ("TESSERA_LLM_RETRY_BASE_MS");

  priv->max_retries = 3;
  priv->retry_base_ms = 1000;
  priv->max_retry_delay_ms = 60000;

  /* Lets tests of the layers above (session, UI) make retries instant
   * without reaching into the provider. */
  if (base_env != NULL && base_env[0] != '\0')
    {
      guint64 value;

      if (g_ascii_string_to_unsigned (base_env, 10, 0, 600000, &value, NULL))
        priv->retry_base_ms = value;
    }

  priv->session = soup_session_new_with_options ("timeout", IO_TIMEOUT_SECONDS,
                                                 "user-agent", "Tessera/" PACKAGE_VERSION,
                                                 NULL);
}

const char *
tessera_llm_provider_get_id (TesseraLlmProvider *self)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  g_return_val_if_fail (TESSERA_IS_LLM_PROVIDER (self), NULL);

  return priv->id;
}

const char *
tessera_llm_provider_get_name (TesseraLlmProvider *self)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  g_return_val_if_fail (TESSERA_IS_LLM_PROVIDER (self), NULL);

  return priv->name != NULL ? priv->name : priv->id;
}

const char *
tessera_llm_provider_get_base_url (TesseraLlmProvider *self)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  g_return_val_if_fail (TESSERA_IS_LLM_PROVIDER (self), NULL);

  return priv->base_url;
}

void
tessera_llm_provider_set_api_key (TesseraLlmProvider *self,
                                  const char         *api_key)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  g_return_if_fail (TESSERA_IS_LLM_PROVIDER (self));

  if (g_strcmp0 (priv->api_key, api_key) == 0)
    return;

  wipe_key (&priv->api_key);
  if (api_key != NULL && api_key[0] != '\0')
    priv->api_key = g_strdup (api_key);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_API_KEY]);
}

gboolean
tessera_llm_provider_has_api_key (TesseraLlmProvider *self)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  g_return_val_if_fail (TESSERA_IS_LLM_PROVIDER (self), FALSE);

  return priv->api_key != NULL;
}

const char *
tessera_llm_provider_get_api_key (TesseraLlmProvider *self)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  g_return_val_if_fail (TESSERA_IS_LLM_PROVIDER (self), NULL);

  return priv->api_key;
}

guint
tessera_llm_provider_get_max_retries (TesseraLlmProvider *self)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  g_return_val_if_fail (TESSERA_IS_LLM_PROVIDER (self), 0);

  return priv->max_retries;
}

void
tessera_llm_provider_set_max_retries (TesseraLlmProvider *self,
                                      guint               max_retries)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  g_return_if_fail (TESSERA_IS_LLM_PROVIDER (self));

  if (priv->max_retries != max_retries)
    {
      priv->max_retries = max_retries;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_RETRIES]);
    }
}

guint
tessera_llm_provider_get_retry_base_ms (TesseraLlmProvider *self)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  g_return_val_if_fail (TESSERA_IS_LLM_PROVIDER (self), 0);

  return priv->retry_base_ms;
}

void
tessera_llm_provider_set_retry_base_ms (TesseraLlmProvider *self,
                                        guint               retry_base_ms)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  g_return_if_fail (TESSERA_IS_LLM_PROVIDER (self));

  if (priv->retry_base_ms != retry_base_ms)
    {
      priv->retry_base_ms = retry_base_ms;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_BASE_MS]);
    }
}

guint
tessera_llm_provider_get_max_retry_delay_ms (TesseraLlmProvider *self)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  g_return_val_if_fail (TESSERA_IS_LLM_PROVIDER (self), 0);

  return priv->max_retry_delay_ms;
}

void
tessera_llm_provider_set_max_retry_delay_ms (TesseraLlmProvider *self,
                                             guint               max_retry_delay_ms)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  g_return_if_fail (TESSERA_IS_LLM_PROVIDER (self));

  if (priv->max_retry_delay_ms != max_retry_delay_ms)
    {
      priv->max_retry_delay_ms = max_retry_delay_ms;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_RETRY_DELAY_MS]);
    }
}

char *
tessera_llm_provider_build_url (TesseraLlmProvider *self,
                                const char         *path)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  g_return_val_if_fail (TESSERA_IS_LLM_PROVIDER (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  while (path[0] == '/')
    path++;

  return g_strconcat (priv->base_url, "/", path, NULL);
}

SoupSession *
_tessera_llm_provider_get_session (TesseraLlmProvider *self)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);

  return priv->session;
}

char *
_tessera_llm_provider_dup_host (TesseraLlmProvider *self)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);
  g_autoptr(GUri) uri = g_uri_parse (priv->base_url, G_URI_FLAGS_NONE, NULL);

  /* Only host and port: a base URL may carry credentials in its userinfo
   * or query, which must not reach a message. */
  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return g_strdup (_("the configured address"));

  if (g_uri_get_port (uri) > 0)
    return g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri));

  return g_strdup (g_uri_get_host (uri));
}

char *
_tessera_llm_provider_scrub (TesseraLlmProvider *self,
                             const char         *text)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);
  g_autoptr(GString) str = NULL;

  if (text == NULL)
    return NULL;

  str = g_string_new (text);
  if (priv->api_key != NULL)
    g_string_replace (str, priv->api_key, "…", 0);

  if (str->len > MAX_SERVER_MESSAGE)
    {
      const char *end = str->str + MAX_SERVER_MESSAGE;

      /* Cut at a character boundary, not inside a UTF-8 sequence. */
      while (end > str->str && (*end & 0xC0) == 0x80)
        end--;
      g_string_truncate (str, end - str->str);
      g_string_append (str, "…");
    }

  g_strstrip (str->str);
  str->len = strlen (str->str);
  if (!g_utf8_validate (str->str, str->len, NULL))
    return g_utf8_make_valid (str->str, str->len);

  return g_string_free (g_steal_pointer (&str), FALSE);
}

gboolean
_tessera_llm_text_is_context_too_long (const char *text)
{
  static const char * const patterns[] = {
    "context_length_exceeded",
    "maximum context length",
    "prompt is too long",
    "context window",
    "too many tokens",
  };
  g_autofree char *lower = NULL;

  if (text == NULL)
    return FALSE;

  lower = g_ascii_strdown (text, -1);
  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    if (strstr (lower, patterns[i]) != NULL)
      return TRUE;

  return FALSE;
}

gint64
tessera_llm_parse_retry_after (const char *value,
                               GDateTime  *now)
{
  g_autoptr(GDateTime) local_now = NULL;
  g_autoptr(GDateTime) when = NULL;
  guint64 seconds;
  GTimeSpan span;

  if (value == NULL)
    return -1;

  while (g_ascii_isspace (*value))
    value++;

  if (g_ascii_isdigit (*value))
    {
      g_autofree char *copy = g_strstrip (g_strdup (value));

      if (!g_ascii_string_to_unsigned (copy, 10, 0, G_MAXINT64 / 1000, &seconds, NULL))
        return -1;
      return (gint64) seconds * 1000;
    }

  when = soup_date_time_new_from_http_string (value);
  if (when == NULL)
    return -1;

  if (now == NULL)
    now = local_now = g_date_time_new_now_utc ();

  span = g_date_time_difference (when, now);
  if (span <= 0)
    return 0;

  return span / 1000;
}

static char *
extract_server_message (GBytes      *body,
                        const char **type_out)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *data;
  gsize len;
  JsonNode *root;
  JsonObject *object;

  *type_out = NULL;
  if (body == NULL)
    return NULL;

  data = g_bytes_get_data (body, &len);
  if (len == 0)
    return NULL;

  if (!json_parser_load_from_data (parser, data, len, NULL))
    {
      /* Proxies answer with HTML pages: not worth quoting. */
      if (data[0] == '<' || !g_utf8_validate (data, MIN (len, 400), NULL))
        return NULL;
      return g_strndup (data, MIN (len, 400));
    }

  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  object = json_node_get_object (root);

  if (json_object_has_member (object, "error"))
    {
      JsonNode *error = json_object_get_member (object, "error");

      if (JSON_NODE_HOLDS_VALUE (error) && json_node_get_value_type (error) == G_TYPE_STRING)
        return g_strdup (json_node_get_string (error));
      if (JSON_NODE_HOLDS_OBJECT (error))
        object = json_node_get_object (error);
    }

  if (json_object_has_member (object, "type"))
    {
      JsonNode *type = json_object_get_member (object, "type");

      /* Interned: the parser (and its strings) die with this function. */
      if (JSON_NODE_HOLDS_VALUE (type) && json_node_get_value_type (type) == G_TYPE_STRING)
        *type_out = g_intern_string (json_node_get_string (type));
    }
  if (json_object_has_member (object, "code") && *type_out == NULL)
    {
      JsonNode *code = json_object_get_member (object, "code");

      if (JSON_NODE_HOLDS_VALUE (code) && json_node_get_value_type (code) == G_TYPE_STRING)
        *type_out = g_intern_string (json_node_get_string (code));
    }

  for (const char * const *m = (const char * const[]) { "message", "detail", "error", NULL }; *m; m++)
    {
      JsonNode *node = json_object_get_member (object, *m);

      if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
          json_node_get_value_type (node) == G_TYPE_STRING)
        return g_strdup (json_node_get_string (node));
    }

  return NULL;
}

GError *
_tessera_llm_provider_network_error (TesseraLlmProvider *self)
{
  g_autofree char *host = _tessera_llm_provider_dup_host (self);

  return g_error_new (TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_NETWORK,
                      _("Could not reach %s at %s. Check the network connection, or that the server is running."),
                      tessera_llm_provider_get_name (self), host);
}

static GError *
server_error (TesseraLlmProvider *self,
              guint               status)
{
  if (status == 0)
    return g_error_new (TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_SERVER,
                        _("%s is overloaded or having problems. Try again in a few minutes."),
                        tessera_llm_provider_get_name (self));

  return g_error_new (TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_SERVER,
                      _("%s is having problems (HTTP error %u). Try again in a few minutes."),
                      tessera_llm_provider_get_name (self), status);
}

static GError *
auth_error (TesseraLlmProvider *self)
{
  return g_error_new (TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_AUTH,
                      _("The API key was rejected by %s. Check it in Preferences › Providers."),
                      tessera_llm_provider_get_name (self));
}

static GError *
rate_limited_error (TesseraLlmProvider *self)
{
  return g_error_new (TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_RATE_LIMITED,
                      _("%s is receiving too many requests from this account. Wait a minute, then try again."),
                      tessera_llm_provider_get_name (self));
}

static GError *
context_error (TesseraLlmProvider *self)
{
  return g_error_new (TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_CONTEXT_TOO_LONG,
                      _("The conversation is too long for the model’s context window. Start a new conversation or choose a model with a larger context."));
}

static GError *
model_error (TesseraLlmProvider *self,
             const char         *model)
{
  return g_error_new (TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_MODEL_NOT_FOUND,
                      _("%s does not offer the model “%s”. Choose another model."),
                      tessera_llm_provider_get_name (self), model != NULL ? model : "");
}

GError *
_tessera_llm_provider_http_error (TesseraLlmProvider *self,
                                  guint               status,
                                  GBytes             *body,
                                  SoupMessageHeaders *headers,
                                  const char         *model,
                                  gboolean           *retryable,
                                  gint64             *retry_after_ms)
{
  g_autofree char *raw_message = NULL;
  g_autofree char *message = NULL;
  const char *type = NULL;
  const char *body_text = NULL;
  g_autofree char *body_copy = NULL;

  *retryable = FALSE;
  *retry_after_ms = -1;

  raw_message = extract_server_message (body, &type);
  /* Never quote a key, even one the server echoed back. */
  message = _tessera_llm_provider_scrub (self, raw_message);

  if (body != NULL)
    body_text = body_copy = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    return auth_error (self);

  if (status == SOUP_STATUS_NOT_FOUND)
    return model_error (self, model);

  if (status == 429)
    {
      /* A spent quota does not come back by waiting. */
      if (g_strcmp0 (type, "insufficient_quota") == 0)
        return g_error_new (TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_RATE_LIMITED,
                            _("%s says this account has no credit or quota left. Check the plan and billing on its website."),
                            tessera_llm_provider_get_name (self));

      *retryable = TRUE;
      if (headers != NULL)
        *retry_after_ms = tessera_llm_parse_retry_after (soup_message_headers_get_one (headers, "Retry-After"), NULL);
      return rate_limited_error (self);
    }

  if (_tessera_llm_text_is_context_too_long (body_text) && status >= 400 && status < 500)
    return context_error (self);

  if (status >= 500 || status == SOUP_STATUS_REQUEST_TIMEOUT)
    {
      *retryable = TRUE;
      if (headers != NULL)
        *retry_after_ms = tessera_llm_parse_retry_after (soup_message_headers_get_one (headers, "Retry-After"), NULL);
      return server_error (self, status);
    }

  if (status >= 300 && status < 400)
    return g_error_new (TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_FAILED,
                        _("%s answered with a redirection, which Tessera does not follow so that the API key is never sent elsewhere. Check the base URL."),
                        tessera_llm_provider_get_name (self));

  if (message != NULL && message[0] != '\0')
    return g_error_new (TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_BAD_REQUEST,
                        _("%s refused the request: %s"),
                        tessera_llm_provider_get_name (self), message);

  return g_error_new (TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_BAD_REQUEST,
                      _("%s refused the request (HTTP error %u)."),
                      tessera_llm_provider_get_name (self), status);
}

GError *
_tessera_llm_provider_stream_error (TesseraLlmProvider *self,
                                    const char         *type,
                                    const char         *message,
                                    const char         *model)
{
  g_autofree char *scrubbed = _tessera_llm_provider_scrub (self, message);

  if (type == NULL)
    type = "";

  if (strstr (type, "authentication") || strstr (type, "permission") ||
      strstr (type, "invalid_api_key"))
    return auth_error (self);
  if (strstr (type, "rate_limit"))
    return rate_limited_error (self);
  if (strstr (type, "not_found") || strstr (type, "model_not_found"))
    return model_error (self, model);
  if (_tessera_llm_text_is_context_too_long (type) || _tessera_llm_text_is_context_too_long (message))
    return context_error (self);
  if (strstr (type, "overloaded") || strstr (type, "server_error") ||
      strstr (type, "api_error") || strstr (type, "internal"))
    return server_error (self, 0);

  if (scrubbed != NULL && scrubbed[0] != '\0')
    return g_error_new (TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_FAILED,
                        _("%s reported an error: %s"),
                        tessera_llm_provider_get_name (self), scrubbed);

  return g_error_new (TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_FAILED,
                      _("%s reported an error without explaining it."),
                      tessera_llm_provider_get_name (self));
}

TesseraLlmStream *
tessera_llm_provider_stream_async (TesseraLlmProvider  *self,
                                   TesseraLlmRequest   *request,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  TesseraLlmStream *stream;

  g_return_val_if_fail (TESSERA_IS_LLM_PROVIDER (self), NULL);
  g_return_val_if_fail (TESSERA_IS_LLM_REQUEST (request), NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);

  stream = _tessera_llm_stream_new (self, request);
  _tessera_llm_stream_start (stream, cancellable, callback, user_data);

  return stream;
}

static void
list_models_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraLlmProvider *self = g_task_get_source_object (task);
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = NULL;
  guint status;
  char **models;

  body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, _tessera_llm_provider_network_error (self));
      return;
    }

  status = soup_message_get_status (msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      gboolean retryable;
      gint64 retry_after;

      /* 404 here means the endpoint, not a model. */
      if (status == SOUP_STATUS_NOT_FOUND)
        g_task_return_new_error (task, TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_BAD_RESPONSE,
                                 _("%s does not list its models at this address. Check the base URL."),
                                 tessera_llm_provider_get_name (self));
      else
        g_task_return_error (task,
                             _tessera_llm_provider_http_error (self, status, body,
                                                               soup_message_get_response_headers (msg),
                                                               NULL, &retryable, &retry_after));
      return;
    }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL))
    {
      g_task_return_new_error (task, TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_BAD_RESPONSE,
                               _("%s sent a list of models Tessera could not understand."),
                               tessera_llm_provider_get_name (self));
      return;
    }

  models = TESSERA_LLM_PROVIDER_GET_CLASS (self)->parse_models (self, json_parser_get_root (parser), &error);
  if (models == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, models, (GDestroyNotify) g_strfreev);
}

void
tessera_llm_provider_list_models_async (TesseraLlmProvider  *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  TesseraLlmProviderPrivate *priv = tessera_llm_provider_get_instance_private (self);
  g_autoptr(GTask) task = NULL;
  SoupMessage *msg;

  g_return_if_fail (TESSERA_IS_LLM_PROVIDER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_llm_provider_list_models_async);

  msg = TESSERA_LLM_PROVIDER_GET_CLASS (self)->build_models_message (self);
  if (msg == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The base URL of %s is not a valid address."),
                               tessera_llm_provider_get_name (self));
      return;
    }

  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  g_task_set_task_data (task, msg, g_object_unref);
  soup_session_send_and_read_async (priv->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    list_models_cb, g_steal_pointer (&task));
}

char **
tessera_llm_provider_list_models_finish (TesseraLlmProvider  *self,
                                         GAsyncResult        *result,
                                         GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

char **
_tessera_llm_provider_parse_model_list (TesseraLlmProvider  *self,
                                        JsonNode            *root,
                                        const char          *list_member,
                                        const char          *id_member,
                                        GError             **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonNode *list;
  JsonArray *array;

  if (!JSON_NODE_HOLDS_OBJECT (root) ||
      (list = json_object_get_member (json_node_get_object (root), list_member)) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (list))
    {
      g_set_error (error, TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_BAD_RESPONSE,
                   _("%s sent a list of models Tessera could not understand."),
                   tessera_llm_provider_get_name (self));
      return NULL;
    }

  array = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      JsonNode *id;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        continue;
      id = json_object_get_member (json_node_get_object (item), id_member);
      if (id != NULL && JSON_NODE_HOLDS_VALUE (id) && json_node_get_value_type (id) == G_TYPE_STRING &&
          json_node_get_string (id)[0] != '\0')
        g_strv_builder_add (builder, json_node_get_string (id));
    }

  return g_strv_builder_end (builder);
}
