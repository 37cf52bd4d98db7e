/* tessera-e2b-client.c: E2B's control plane and envd over HTTP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The wire format follows E2B's OpenAPI and envd specs, and what E2B's
 * JavaScript SDK was seen to send.
 */

#define G_LOG_DOMAIN "tessera-e2b-client"

#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "tessera-e2b-client.h"

#define MAX_ATTEMPTS       5
#define MAX_RETRY_DELAY_MS 30000
#define BATCH_FILES        100
#define BATCH_BYTES        (1536 * 1024)
#define BATCHES_IN_FLIGHT  4
/* envd sends a keepalive after this many seconds without output; the
 * session's read timeout must be longer. */
#define KEEPALIVE_S        50
#define READ_TIMEOUT_S     120

struct _TesseraE2bClient
{
  GObject      parent_instance;

  SoupSession *session;
  char        *api_key;
  char        *domain;
  char        *api_url;
  char        *sandbox_url;
  gboolean     debug;

  /* From the environment, read once. */
  char        *env_api_key;
  char        *env_domain;
  char        *env_api_url;
  char        *env_sandbox_url;
  gboolean     env_debug;

  guint        request_count;
  guint        retry_delay_ms;
};

enum {
  PROP_0,
  PROP_API_KEY,
  PROP_DOMAIN,
  PROP_API_URL,
  PROP_SANDBOX_URL,
  PROP_DEBUG,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (TesseraE2bClient, tessera_e2b_client, G_TYPE_OBJECT)

/* Boxed types ------------------------------------------------------------ */

TesseraE2bSandboxInfo *
tessera_e2b_sandbox_info_copy (const TesseraE2bSandboxInfo *info)
{
  TesseraE2bSandboxInfo *copy;

  if (info == NULL)
    return NULL;
  copy = g_new0 (TesseraE2bSandboxInfo, 1);
  copy->sandbox_id = g_strdup (info->sandbox_id);
  copy->template_id = g_strdup (info->template_id);
  copy->envd_version = g_strdup (info->envd_version);
  copy->envd_access_token = g_strdup (info->envd_access_token);
  copy->traffic_access_token = g_strdup (info->traffic_access_token);
  copy->domain = g_strdup (info->domain);
  copy->state = g_strdup (info->state);
  copy->started_at = info->started_at ? g_date_time_ref (info->started_at) : NULL;
  copy->end_at = info->end_at ? g_date_time_ref (info->end_at) : NULL;
  copy->metadata = info->metadata ? g_hash_table_ref (info->metadata) : NULL;
  return copy;
}

void
tessera_e2b_sandbox_info_free (TesseraE2bSandboxInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->sandbox_id);
  g_free (info->template_id);
  g_free (info->envd_version);
  /* The token grants access to the sandbox: do not leave it in freed memory. */
  if (info->envd_access_token)
    memset (info->envd_access_token, 0, strlen (info->envd_access_token));
  g_free (info->envd_access_token);
  g_free (info->traffic_access_token);
  g_free (info->domain);
  g_free (info->state);
  g_clear_pointer (&info->started_at, g_date_time_unref);
  g_clear_pointer (&info->end_at, g_date_time_unref);
  g_clear_pointer (&info->metadata, g_hash_table_unref);
  g_free (info);
}

G_DEFINE_BOXED_TYPE (TesseraE2bSandboxInfo, tessera_e2b_sandbox_info,
                     tessera_e2b_sandbox_info_copy, tessera_e2b_sandbox_info_free)

void
tessera_e2b_process_info_free (TesseraE2bProcessInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->cmd);
  g_strfreev (info->args);
  g_free (info->cwd);
  g_free (info->tag);
  g_free (info);
}

static const char *
json_string_or_null (JsonObject *obj,
                     const char *member)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static TesseraE2bSandboxInfo *
sandbox_info_from_json (JsonNode *node)
{
  TesseraE2bSandboxInfo *info;
  JsonObject *obj;
  const char *s;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  obj = json_node_get_object (node);
  if (json_string_or_null (obj, "sandboxID") == NULL)
    return NULL;

  info = g_new0 (TesseraE2bSandboxInfo, 1);
  info->sandbox_id = g_strdup (json_string_or_null (obj, "sandboxID"));
  info->template_id = g_strdup (json_string_or_null (obj, "templateID"));
  info->envd_version = g_strdup (json_string_or_null (obj, "envdVersion"));
  info->envd_access_token = g_strdup (json_string_or_null (obj, "envdAccessToken"));
  info->traffic_access_token = g_strdup (json_string_or_null (obj, "trafficAccessToken"));
  if ((s = json_string_or_null (obj, "domain")) && *s)
    info->domain = g_strdup (s);
  info->state = g_strdup (json_string_or_null (obj, "state"));
  if ((s = json_string_or_null (obj, "startedAt")))
    info->started_at = g_date_time_new_from_iso8601 (s, NULL);
  if ((s = json_string_or_null (obj, "endAt")))
    info->end_at = g_date_time_new_from_iso8601 (s, NULL);
  info->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (json_object_has_member (obj, "metadata") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (obj, "metadata")))
    {
      JsonObject *md = json_object_get_object_member (obj, "metadata");
      g_autoptr(GList) members = json_object_get_members (md);

      for (GList *l = members; l; l = l->next)
        if ((s = json_string_or_null (md, l->data)))
          g_hash_table_insert (info->metadata, g_strdup (l->data), g_strdup (s));
    }
  return info;
}

/* Configuration ---------------------------------------------------------- */

static const char *
nonempty (const char *s)
{
  return s && *s ? s : NULL;
}

const char *
tessera_e2b_client_get_domain (TesseraE2bClient *self)
{
  const char *d;

  g_return_val_if_fail (TESSERA_IS_E2B_CLIENT (self), NULL);
  if ((d = nonempty (self->domain)) || (d = nonempty (self->env_domain)))
    return d;
  return TESSERA_E2B_DEFAULT_DOMAIN;
}

gboolean
tessera_e2b_client_get_debug (TesseraE2bClient *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_CLIENT (self), FALSE);
  return self->debug || self->env_debug;
}

static const char *
get_api_key (TesseraE2bClient *self)
{
  const char *k;

  if ((k = nonempty (self->api_key)) || (k = nonempty (self->env_api_key)))
    return k;
  return NULL;
}

gboolean
tessera_e2b_client_has_api_key (TesseraE2bClient *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_CLIENT (self), FALSE);
  return get_api_key (self) != NULL;
}

static char *
strip_slash (const char *url)
{
  char *s = g_strdup (url);
  gsize len = strlen (s);

  while (len > 0 && s[len - 1] == '/')
    s[--len] = '\0';
  return s;
}

char *
tessera_e2b_client_get_api_url (TesseraE2bClient *self)
{
  const char *u;

  g_return_val_if_fail (TESSERA_IS_E2B_CLIENT (self), NULL);
  if ((u = nonempty (self->api_url)) || (u = nonempty (self->env_api_url)))
    return strip_slash (u);
  if (tessera_e2b_client_get_debug (self))
    return g_strdup ("http://localhost:3000");
  return g_strdup_printf ("https://api.%s", tessera_e2b_client_get_domain (self));
}

static const char *
sandbox_domain (TesseraE2bClient            *self,
                const TesseraE2bSandboxInfo *info)
{
  return info && info->domain ? info->domain : tessera_e2b_client_get_domain (self);
}

char *
tessera_e2b_client_get_envd_url (TesseraE2bClient            *self,
                                 const TesseraE2bSandboxInfo *info)
{
  static const char * const shared_domains[] = { "e2b.app", "e2b.dev", "e2b.pro", "e2b-staging.dev", NULL };
  const char *u;
  const char *domain;

  g_return_val_if_fail (TESSERA_IS_E2B_CLIENT (self), NULL);
  g_return_val_if_fail (info != NULL, NULL);

  if ((u = nonempty (self->sandbox_url)) || (u = nonempty (self->env_sandbox_url)))
    return strip_slash (u);
  if (tessera_e2b_client_get_debug (self))
    return g_strdup_printf ("http://localhost:%d", TESSERA_E2B_ENVD_PORT);
  domain = sandbox_domain (self, info);
  if (g_strv_contains (shared_domains, domain))
    return g_strdup_printf ("https://sandbox.%s", domain);
  return g_strdup_printf ("https://%d-%s.%s", TESSERA_E2B_ENVD_PORT, info->sandbox_id, domain);
}

char *
tessera_e2b_client_get_host (TesseraE2bClient            *self,
                             const TesseraE2bSandboxInfo *info,
                             guint                        port)
{
  g_return_val_if_fail (TESSERA_IS_E2B_CLIENT (self), NULL);
  g_return_val_if_fail (info != NULL, NULL);

  if (tessera_e2b_client_get_debug (self))
    return g_strdup_printf ("localhost:%u", port);
  return g_strdup_printf ("%u-%s.%s", port, info->sandbox_id, sandbox_domain (self, info));
}

char *
tessera_e2b_client_get_port_url (TesseraE2bClient            *self,
                                 const TesseraE2bSandboxInfo *info,
                                 guint                        port)
{
  g_autofree char *host = tessera_e2b_client_get_host (self, info, port);

  return g_strdup_printf ("%s://%s/", tessera_e2b_client_get_debug (self) ? "http" : "https", host);
}

guint
tessera_e2b_client_get_request_count (TesseraE2bClient *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_CLIENT (self), 0);
  return self->request_count;
}

void
tessera_e2b_client_set_retry_delay (TesseraE2bClient *self,
                                    guint             delay_ms)
{
  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  self->retry_delay_ms = delay_ms;
}

static void
set_string (TesseraE2bClient  *self,
            char             **field,
            const char        *value,
            int                prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
tessera_e2b_client_set_api_key (TesseraE2bClient *self,
                                const char       *api_key)
{
  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  set_string (self, &self->api_key, api_key, PROP_API_KEY);
}

void
tessera_e2b_client_set_domain (TesseraE2bClient *self,
                               const char       *domain)
{
  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  set_string (self, &self->domain, domain, PROP_DOMAIN);
}

void
tessera_e2b_client_set_api_url (TesseraE2bClient *self,
                                const char       *api_url)
{
  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  set_string (self, &self->api_url, api_url, PROP_API_URL);
}

void
tessera_e2b_client_set_sandbox_url (TesseraE2bClient *self,
                                    const char       *sandbox_url)
{
  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  set_string (self, &self->sandbox_url, sandbox_url, PROP_SANDBOX_URL);
}

void
tessera_e2b_client_set_debug (TesseraE2bClient *self,
                              gboolean          debug)
{
  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  debug = !!debug;
  if (self->debug == debug)
    return;
  self->debug = debug;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEBUG]);
}

/* Requests --------------------------------------------------------------- */

typedef enum
{
  TARGET_API,
  TARGET_ENVD,
} Target;

typedef struct
{
  char                  *method;
  char                  *url;
  char                  *content_type;
  GBytes                *body;
  Target                 target;
  TesseraE2bSandboxInfo *info;
  gboolean               connect;
  gboolean               stream;
  guint                  timeout_ms;
  guint                  attempt;
  guint                  status;
  SoupMessage           *msg;
} Request;

static void
request_free (Request *req)
{
  g_free (req->method);
  g_free (req->url);
  g_free (req->content_type);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_clear_pointer (&req->info, tessera_e2b_sandbox_info_free);
  g_clear_object (&req->msg);
  g_free (req);
}

static Request *
request_new (const char                  *method,
             char                        *url,
             Target                       target,
             const TesseraE2bSandboxInfo *info)
{
  Request *req = g_new0 (Request, 1);

  req->method = g_strdup (method);
  req->url = url;
  req->target = target;
  req->info = tessera_e2b_sandbox_info_copy (info);
  return req;
}

static void
request_set_json (Request  *req,
                  JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);
  gsize len = strlen (text);

  req->content_type = g_strdup ("application/json");
  req->body = g_bytes_new_take (g_steal_pointer (&text), len);
}

/* The error message of a JSON error body, if any ("message" in both the
 * control plane's and Connect's shapes). */
static char *
body_message (GBytes     *body,
              char      **connect_code)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *obj;
  const char *s;

  if (connect_code)
    *connect_code = NULL;
  if (body == NULL || g_bytes_get_size (body) == 0)
    return NULL;
  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  obj = json_node_get_object (json_parser_get_root (parser));
  if (connect_code && (s = json_string_or_null (obj, "code")))
    *connect_code = g_strdup (s);
  return g_strdup (json_string_or_null (obj, "message"));
}

static gboolean
is_sandbox_not_found (guint   status,
                      GBytes *body)
{
  g_autofree char *message = NULL;

  if (status != 502)
    return FALSE;
  message = body_message (body, NULL);
  return message && strstr (message, "sandbox was not found") != NULL;
}

static GError *
http_error (Target      target,
            guint       status,
            GBytes     *body)
{
  g_autofree char *message = body_message (body, NULL);

  switch (status)
    {
    case 401:
      if (target == TARGET_API)
        return g_error_new_literal (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_AUTH,
                                    _("E2B rejected the API key. Check the key in Preferences."));
      return g_error_new_literal (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_AUTH,
                                  _("The cloud sandbox refused Tessera's access token."));
    case 403:
      return g_error_new_literal (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_AUTH,
                                  _("E2B refused access. Check that the API key belongs to the right team."));
    case 404:
      if (target == TARGET_API)
        return g_error_new_literal (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_EXPIRED,
                                    _("The cloud sandbox no longer exists."));
      return g_error_new (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED,
                          _("Not found in the cloud sandbox: %s"), message ? message : "");
    case 409:
      if (target == TARGET_ENVD)
        return g_error_new_literal (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NOT_RUNNING,
                                    _("The cloud sandbox is paused."));
      return g_error_new (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NOT_RUNNING,
                          _("The cloud sandbox is not running: %s"), message ? message : "");
    case 429:
      return g_error_new_literal (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_RATE_LIMITED,
                                  _("E2B's limit on running sandboxes or requests was reached. "
                                    "Close a sandbox you do not need or try again in a minute."));
    case 502:
      if (is_sandbox_not_found (status, body))
        return g_error_new_literal (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_EXPIRED,
                                    _("The cloud sandbox has expired."));
      G_GNUC_FALLTHROUGH;
    case 503:
    case 504:
      return g_error_new (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NETWORK,
                          _("E2B could not be reached (error %u). Try again in a moment."), status);
    default:
      if (message)
        return g_error_new (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED,
                            _("E2B reported an error (%u): %s"), status, message);
      return g_error_new (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED,
                          _("E2B reported an error (%u)."), status);
    }
}

static gboolean
status_is_retryable (guint   status,
                     GBytes *body)
{
  if (status == 429 || status == 503 || status == 504)
    return TRUE;
  return status == 502 && !is_sandbox_not_found (status, body);
}

static guint
retry_delay (TesseraE2bClient *self,
             Request          *req)
{
  const char *retry_after = req->msg ? soup_message_headers_get_one (soup_message_get_response_headers (req->msg),
                                                                     "Retry-After") : NULL;
  guint64 delay;

  if (retry_after && g_ascii_isdigit (*retry_after))
    delay = g_ascii_strtoull (retry_after, NULL, 10) * 1000;
  else
    delay = (guint64) self->retry_delay_ms << MIN (req->attempt - 1, 10);
  return (guint) MIN (delay, MAX_RETRY_DELAY_MS);
}

static void send_attempt (GTask *task);

static gboolean
on_retry_timeout (gpointer data)
{
  GTask *task = data;

  if (!g_task_return_error_if_cancelled (task))
    send_attempt (task);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

/* Retries @task later when that makes sense; TRUE if it will. */
static gboolean
maybe_retry (GTask   *task,
             guint    status,
             GBytes  *body)
{
  TesseraE2bClient *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);

  if (req->attempt >= MAX_ATTEMPTS || !status_is_retryable (status, body))
    return FALSE;
  g_debug ("%s %s answered %u; retrying", req->method, req->url, status);
  g_timeout_add (retry_delay (self, req), on_retry_timeout, g_object_ref (task));
  return TRUE;
}

/* A request that never got an answer: cancellation stays as it is so
 * callers can tell it apart, anything else is the network. */
static void
return_send_error (GTask  *task,
                   GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, error);
  else
    {
      g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NETWORK,
                               _("Could not reach E2B: %s"), error->message);
      g_error_free (error);
    }
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *req = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);

  if (body == NULL)
    {
      return_send_error (task, g_steal_pointer (&error));
      return;
    }

  req->status = soup_message_get_status (req->msg);
  if (req->status >= 200 && req->status < 300)
    {
      g_task_return_pointer (task, g_steal_pointer (&body), (GDestroyNotify) g_bytes_unref);
      return;
    }
  if (maybe_retry (task, req->status, body))
    return;
  /* Connect unary errors carry a code the caller may want to act on. */
  if (req->connect && req->status >= 400 && req->status < 500 && req->status != 401 && req->status != 429)
    {
      g_task_return_pointer (task, g_steal_pointer (&body), (GDestroyNotify) g_bytes_unref);
      return;
    }
  g_task_return_error (task, http_error (req->target, req->status, body));
}

static void
on_stream_error_body (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *req = g_task_get_task_data (task);
  g_autoptr(GBytes) body = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);

  if (maybe_retry (task, req->status, body))
    return;
  if (req->status == 404)
    {
      g_autofree char *code = NULL;
      g_autofree char *message = body_message (body, &code);

      if (g_strcmp0 (code, "not_found") == 0)
        {
          g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NOT_RUNNING,
                                   _("The process is no longer running in the cloud sandbox."));
          return;
        }
    }
  g_task_return_error (task, http_error (req->target, req->status, body));
}

static void
on_stream_sent (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *req = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) input = soup_session_send_finish (SOUP_SESSION (source), result, &error);

  if (input == NULL)
    {
      return_send_error (task, g_steal_pointer (&error));
      return;
    }

  req->status = soup_message_get_status (req->msg);
  if (req->status == 200)
    {
      g_task_return_pointer (task, g_steal_pointer (&input), g_object_unref);
      return;
    }
  /* Errors before the handler runs (proxy, auth) are plain HTTP. */
  g_input_stream_read_bytes_async (input, 65536, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                   on_stream_error_body, g_object_ref (task));
}

static void
send_attempt (GTask *task)
{
  TesseraE2bClient *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);
  SoupMessageHeaders *headers;

  g_clear_object (&req->msg);
  req->msg = soup_message_new (req->method, req->url);
  if (req->msg == NULL)
    {
      g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED,
                               _("The E2B address “%s” is not a valid URL."), req->url);
      return;
    }
  req->attempt++;
  self->request_count++;

  headers = soup_message_get_request_headers (req->msg);
  if (req->target == TARGET_API)
    {
      const char *key = get_api_key (self);

      if (key == NULL)
        {
          g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_AUTH,
                                   _("No E2B API key is set. Add one in Preferences."));
          return;
        }
      soup_message_headers_replace (headers, "X-API-Key", key);
    }
  else if (req->info != NULL)
    {
      g_autofree char *port = g_strdup_printf ("%d", TESSERA_E2B_ENVD_PORT);

      if (req->info->envd_access_token)
        soup_message_headers_replace (headers, "X-Access-Token", req->info->envd_access_token);
      soup_message_headers_replace (headers, "E2b-Sandbox-Id", req->info->sandbox_id);
      soup_message_headers_replace (headers, "E2b-Sandbox-Port", port);
    }
  if (req->connect)
    soup_message_headers_replace (headers, "Connect-Protocol-Version", "1");
  if (req->stream)
    {
      g_autofree char *keepalive = g_strdup_printf ("%d", KEEPALIVE_S);

      soup_message_headers_replace (headers, "Keepalive-Ping-Interval", keepalive);
      if (req->timeout_ms > 0)
        {
          g_autofree char *t = g_strdup_printf ("%u", req->timeout_ms);
          soup_message_headers_replace (headers, "Connect-Timeout-Ms", t);
        }
    }
  if (req->body)
    soup_message_set_request_body_from_bytes (req->msg, req->content_type, req->body);

  if (req->stream)
    soup_session_send_async (self->session, req->msg, G_PRIORITY_DEFAULT,
                             g_task_get_cancellable (task), on_stream_sent, g_object_ref (task));
  else
    soup_session_send_and_read_async (self->session, req->msg, G_PRIORITY_DEFAULT,
                                      g_task_get_cancellable (task), on_sent, g_object_ref (task));
}

/* Runs @req (taken); the task returns the body (GBytes) or, for streams,
 * the open response (GInputStream). */
static void
request_send (TesseraE2bClient    *self,
              Request             *req,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, request_send);
  g_task_set_task_data (task, req, (GDestroyNotify) request_free);
  send_attempt (task);
}

static GBytes *
request_finish (GAsyncResult  *result,
                guint         *status,
                GError       **error)
{
  Request *req = g_task_get_task_data (G_TASK (result));

  if (status)
    *status = req->status;
  return g_task_propagate_pointer (G_TASK (result), error);
}

static JsonNode *
parse_json (GBytes  *body,
            GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (body == NULL || g_bytes_get_size (body) == 0)
    return json_node_init_object (json_node_alloc (), json_object_new ());
  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL))
    {
      g_set_error_literal (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED,
                           _("E2B sent an answer Tessera cannot read."));
      return NULL;
    }
  return json_node_ref (json_parser_get_root (parser));
}

static char *
api_url (TesseraE2bClient *self,
         const char       *format,
         ...) G_GNUC_PRINTF (2, 3);

static char *
api_url (TesseraE2bClient *self,
         const char       *format,
         ...)
{
  g_autofree char *base = tessera_e2b_client_get_api_url (self);
  g_autofree char *path = NULL;
  va_list args;

  va_start (args, format);
  path = g_strdup_vprintf (format, args);
  va_end (args);
  return g_strconcat (base, path, NULL);
}

static char *
escape (const char *s)
{
  return g_uri_escape_string (s, NULL, FALSE);
}

/* Control plane ---------------------------------------------------------- */

/* As E2B's SDK in debug mode: no control plane at all, one local envd. */
#define DEBUG_SANDBOX_ID   "debug_sandbox_id"
#define DEBUG_ENVD_VERSION "99.99.99"

static TesseraE2bSandboxInfo *
debug_info (const char *sandbox_id,
            const char *template_id)
{
  TesseraE2bSandboxInfo *info = g_new0 (TesseraE2bSandboxInfo, 1);

  info->sandbox_id = g_strdup (sandbox_id ? sandbox_id : DEBUG_SANDBOX_ID);
  info->template_id = g_strdup (template_id ? template_id : "base");
  info->envd_version = g_strdup (DEBUG_ENVD_VERSION);
  info->state = g_strdup ("running");
  info->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return info;
}

static gboolean
debug_return_info (TesseraE2bClient *self,
                   GTask            *task,
                   const char       *sandbox_id,
                   const char       *template_id)
{
  if (!tessera_e2b_client_get_debug (self))
    return FALSE;
  g_task_return_pointer (task, debug_info (sandbox_id, template_id),
                         (GDestroyNotify) tessera_e2b_sandbox_info_free);
  return TRUE;
}

static void
on_info_response (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = request_finish (result, NULL, &error);
  g_autoptr(JsonNode) node = NULL;
  TesseraE2bSandboxInfo *info;

  if (body == NULL || (node = parse_json (body, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if ((info = sandbox_info_from_json (node)) == NULL)
    {
      g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED,
                               _("E2B sent an answer Tessera cannot read."));
      return;
    }
  g_task_return_pointer (task, info, (GDestroyNotify) tessera_e2b_sandbox_info_free);
}

static void
on_boolean_response (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = request_finish (result, NULL, &error);
  int ok_code = GPOINTER_TO_INT (g_task_get_task_data (task));

  /* Some calls count a given failure as success (kill of a gone sandbox). */
  if (body == NULL && ok_code >= 0 && g_error_matches (error, TESSERA_SANDBOX_ERROR, ok_code))
    g_clear_error (&error);
  if (error)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static JsonNode *
metadata_node (GHashTable *metadata)
{
  JsonObject *obj = json_object_new ();
  GHashTableIter iter;
  gpointer key, value;

  if (metadata)
    {
      g_hash_table_iter_init (&iter, metadata);
      while (g_hash_table_iter_next (&iter, &key, &value))
        json_object_set_string_member (obj, key, value);
    }
  return json_node_init_object (json_node_alloc (), obj);
}

void
tessera_e2b_client_create_async (TesseraE2bClient    *self,
                                 const char          *template_id,
                                 guint                timeout_s,
                                 GHashTable          *metadata,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *obj = json_object_new ();
  Request *req;

  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_e2b_client_create_async);
  if (debug_return_info (self, task, NULL, template_id))
    {
      json_object_unref (obj);
      return;
    }

  json_object_set_string_member (obj, "templateID", template_id && *template_id ? template_id : "base");
  if (timeout_s > 0)
    json_object_set_int_member (obj, "timeout", timeout_s);
  json_object_set_member (obj, "metadata", metadata_node (metadata));
  node = json_node_init_object (json_node_alloc (), obj);
  json_object_unref (obj);

  req = request_new ("POST", api_url (self, "/v2/sandboxes"), TARGET_API, NULL);
  request_set_json (req, node);
  request_send (self, req, cancellable, on_info_response, g_steal_pointer (&task));
}

TesseraE2bSandboxInfo *
tessera_e2b_client_create_finish (TesseraE2bClient  *self,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
tessera_e2b_client_get_async (TesseraE2bClient    *self,
                              const char          *sandbox_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *id = NULL;

  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  g_return_if_fail (sandbox_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_e2b_client_get_async);
  if (debug_return_info (self, task, sandbox_id, NULL))
    return;
  id = escape (sandbox_id);
  request_send (self, request_new ("GET", api_url (self, "/sandboxes/%s", id), TARGET_API, NULL),
                cancellable, on_info_response, g_steal_pointer (&task));
}

TesseraE2bSandboxInfo *
tessera_e2b_client_get_finish (TesseraE2bClient  *self,
                               GAsyncResult      *result,
                               GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  char      *query;
  GPtrArray *items;
} ListData;

static void
list_data_free (ListData *data)
{
  g_free (data->query);
  g_ptr_array_unref (data->items);
  g_free (data);
}

static void list_page (GTask *task, const char *next_token);

static void
on_list_response (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ListData *data = g_task_get_task_data (task);
  Request *req = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = request_finish (result, NULL, &error);
  g_autoptr(JsonNode) node = NULL;
  const char *next;

  if (body == NULL || (node = parse_json (body, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          TesseraE2bSandboxInfo *info = sandbox_info_from_json (json_array_get_element (array, i));

          if (info)
            g_ptr_array_add (data->items, info);
        }
    }
  next = soup_message_headers_get_one (soup_message_get_response_headers (req->msg), "X-Next-Token");
  if (next && *next)
    {
      list_page (g_steal_pointer (&task), next);
      return;
    }
  g_task_return_pointer (task, g_ptr_array_ref (data->items), (GDestroyNotify) g_ptr_array_unref);
}

static void
list_page (GTask      *task,
           const char *next_token)
{
  TesseraE2bClient *self = g_task_get_source_object (task);
  ListData *data = g_task_get_task_data (task);
  g_autofree char *token = next_token ? escape (next_token) : NULL;
  char *url;

  url = api_url (self, "/v2/sandboxes?state=running,paused&limit=100%s%s%s",
                 data->query, token ? "&nextToken=" : "", token ? token : "");
  request_send (self, request_new ("GET", url, TARGET_API, NULL),
                g_task_get_cancellable (task), on_list_response, task);
}

void
tessera_e2b_client_list_async (TesseraE2bClient    *self,
                               GHashTable          *metadata,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ListData *data;
  GString *pairs = g_string_new (NULL);
  GHashTableIter iter;
  gpointer key, value;

  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_e2b_client_list_async);
  if (tessera_e2b_client_get_debug (self))
    {
      g_task_return_pointer (task, g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_e2b_sandbox_info_free),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  /* As E2B's SDK: key and value encoded, joined as k=v&k2=v2, and that
   * string encoded again as the one "metadata" parameter. */
  if (metadata)
    {
      g_hash_table_iter_init (&iter, metadata);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          g_autofree char *k = escape (key);
          g_autofree char *v = escape (value);

          g_string_append_printf (pairs, "%s%s=%s", pairs->len ? "&" : "", k, v);
        }
    }

  data = g_new0 (ListData, 1);
  data->items = g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_e2b_sandbox_info_free);
  if (pairs->len > 0)
    {
      g_autofree char *outer = escape (pairs->str);
      data->query = g_strconcat ("&metadata=", outer, NULL);
    }
  else
    data->query = g_strdup ("");
  g_string_free (pairs, TRUE);
  g_task_set_task_data (task, data, (GDestroyNotify) list_data_free);
  list_page (g_steal_pointer (&task), NULL);
}

GPtrArray *
tessera_e2b_client_list_finish (TesseraE2bClient  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
simple_call (TesseraE2bClient    *self,
             gpointer             source_tag,
             const char          *method,
             char                *url,
             JsonNode            *body,
             int                  ok_code,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Request *req = request_new (method, url, TARGET_API, NULL);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, GINT_TO_POINTER (ok_code), NULL);
  if (tessera_e2b_client_get_debug (self))
    {
      request_free (req);
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (body)
    request_set_json (req, body);
  request_send (self, req, cancellable, on_boolean_response, g_steal_pointer (&task));
}

void
tessera_e2b_client_kill_async (TesseraE2bClient    *self,
                               const char          *sandbox_id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autofree char *id = NULL;

  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  g_return_if_fail (sandbox_id != NULL);

  id = escape (sandbox_id);
  simple_call (self, tessera_e2b_client_kill_async, "DELETE", api_url (self, "/sandboxes/%s", id), NULL,
               TESSERA_SANDBOX_ERROR_EXPIRED, cancellable, callback, user_data);
}

gboolean
tessera_e2b_client_kill_finish (TesseraE2bClient  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* E2B rejects a zero timeout, so one second is the least we ask for. */
static JsonNode *
timeout_node (guint timeout_s)
{
  JsonObject *obj = json_object_new ();
  JsonNode *node;

  json_object_set_int_member (obj, "timeout", MAX (timeout_s, 1));
  node = json_node_init_object (json_node_alloc (), obj);
  json_object_unref (obj);
  return node;
}

void
tessera_e2b_client_set_timeout_async (TesseraE2bClient    *self,
                                      const char          *sandbox_id,
                                      guint                timeout_s,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autofree char *id = NULL;
  g_autoptr(JsonNode) node = NULL;

  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  g_return_if_fail (sandbox_id != NULL);

  id = escape (sandbox_id);
  node = timeout_node (timeout_s);
  simple_call (self, tessera_e2b_client_set_timeout_async, "POST",
               api_url (self, "/sandboxes/%s/timeout", id), node, -1, cancellable, callback, user_data);
}

gboolean
tessera_e2b_client_set_timeout_finish (TesseraE2bClient  *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
tessera_e2b_client_pause_async (TesseraE2bClient    *self,
                                const char          *sandbox_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autofree char *id = NULL;
  g_autoptr(JsonNode) node = NULL;

  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  g_return_if_fail (sandbox_id != NULL);

  id = escape (sandbox_id);
  node = json_node_init_object (json_node_alloc (), json_object_new ());
  json_object_unref (json_node_get_object (node));
  simple_call (self, tessera_e2b_client_pause_async, "POST", api_url (self, "/sandboxes/%s/pause", id),
               node, TESSERA_SANDBOX_ERROR_NOT_RUNNING, cancellable, callback, user_data);
}

gboolean
tessera_e2b_client_pause_finish (TesseraE2bClient  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
tessera_e2b_client_connect_async (TesseraE2bClient    *self,
                                  const char          *sandbox_id,
                                  guint                timeout_s,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *id = NULL;
  Request *req;

  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  g_return_if_fail (sandbox_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_e2b_client_connect_async);
  if (debug_return_info (self, task, sandbox_id, NULL))
    return;
  id = escape (sandbox_id);
  node = timeout_node (timeout_s);
  req = request_new ("POST", api_url (self, "/v2/sandboxes/%s/connect", id), TARGET_API, NULL);
  request_set_json (req, node);
  request_send (self, req, cancellable, on_info_response, g_steal_pointer (&task));
}

TesseraE2bSandboxInfo *
tessera_e2b_client_connect_finish (TesseraE2bClient  *self,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* envd files ------------------------------------------------------------- */

static char *
envd_url (TesseraE2bClient            *self,
          const TesseraE2bSandboxInfo *info,
          const char                  *path_and_query)
{
  g_autofree char *base = tessera_e2b_client_get_envd_url (self, info);

  return g_strconcat (base, path_and_query, NULL);
}

/* @path relative to @root, refusing anything that could leave @root. */
static char *
remote_path (const char  *root,
             const char  *path,
             GError     **error)
{
  g_auto(GStrv) parts = NULL;

  if (path == NULL || *path == '\0' || path[0] == '/' || strchr (path, '\\') != NULL)
    goto invalid;
  parts = g_strsplit (path, "/", -1);
  for (guint i = 0; parts[i]; i++)
    if (g_str_equal (parts[i], "..") || g_str_equal (parts[i], "."))
      goto invalid;
  return g_strconcat (root, "/", path, NULL);

invalid:
  g_set_error (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_INVALID_PATH,
               _("“%s” is not a path inside the project."), path ? path : "");
  return NULL;
}

typedef struct
{
  GPtrArray *batches;
  guint      next;
  guint      in_flight;
  GError    *error;
} WriteData;

static void
write_data_free (WriteData *data)
{
  g_ptr_array_unref (data->batches);
  g_clear_error (&data->error);
  g_free (data);
}

static void write_next_batches (GTask *task);

static void
on_batch_written (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  WriteData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = request_finish (result, NULL, &error);

  data->in_flight--;
  if (body == NULL && data->error == NULL)
    data->error = g_steal_pointer (&error);
  write_next_batches (g_steal_pointer (&task));
}

/* Takes @owned_task. */
static void
write_next_batches (GTask *owned_task)
{
  g_autoptr(GTask) task = owned_task;
  TesseraE2bClient *self = g_task_get_source_object (task);
  WriteData *data = g_task_get_task_data (task);

  while (data->error == NULL && data->in_flight < BATCHES_IN_FLIGHT && data->next < data->batches->len)
    {
      SoupMultipart *multipart = g_ptr_array_index (data->batches, data->next++);
      g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
      GBytes *body = NULL;
      Request *req;
      const TesseraE2bSandboxInfo *info = g_object_get_data (G_OBJECT (task), "info");

      soup_multipart_to_message (multipart, headers, &body);
      req = request_new ("POST", envd_url (self, info, "/files"), TARGET_ENVD, info);
      req->content_type = g_strdup (soup_message_headers_get_one (headers, "Content-Type"));
      req->body = body;
      data->in_flight++;
      request_send (self, req, g_task_get_cancellable (task), on_batch_written, g_object_ref (task));
    }

  if (data->in_flight > 0)
    return;
  if (data->error)
    g_task_return_error (task, g_steal_pointer (&data->error));
  else
    g_task_return_boolean (task, TRUE);
}

void
tessera_e2b_client_write_files_async (TesseraE2bClient            *self,
                                      const TesseraE2bSandboxInfo *info,
                                      const char                  *remote_root,
                                      GPtrArray                   *files,
                                      GCancellable                *cancellable,
                                      GAsyncReadyCallback          callback,
                                      gpointer                     user_data)
{
  g_autoptr(GTask) task = NULL;
  WriteData *data;
  SoupMultipart *current = NULL;
  guint current_files = 0;
  gsize current_bytes = 0;

  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  g_return_if_fail (info != NULL);
  g_return_if_fail (remote_root != NULL);
  g_return_if_fail (files != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_e2b_client_write_files_async);
  g_object_set_data_full (G_OBJECT (task), "info", tessera_e2b_sandbox_info_copy (info),
                          (GDestroyNotify) tessera_e2b_sandbox_info_free);

  data = g_new0 (WriteData, 1);
  data->batches = g_ptr_array_new_with_free_func ((GDestroyNotify) soup_multipart_free);
  g_task_set_task_data (task, data, (GDestroyNotify) write_data_free);

  for (guint i = 0; i < files->len; i++)
    {
      TesseraSandboxFile *file = g_ptr_array_index (files, i);
      g_autoptr(GError) error = NULL;
      g_autofree char *dest = remote_path (remote_root, file->path, &error);
      gsize size = file->contents ? g_bytes_get_size (file->contents) : 0;
      g_autoptr(GBytes) empty = NULL;

      if (dest == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      if (current && (current_files >= BATCH_FILES || current_bytes + size > BATCH_BYTES))
        current = NULL;
      if (current == NULL)
        {
          current = soup_multipart_new ("multipart/form-data");
          g_ptr_array_add (data->batches, current);
          current_files = 0;
          current_bytes = 0;
        }
      if (file->contents == NULL)
        empty = g_bytes_new_static ("", 0);
      /* envd takes the raw filename as the destination path. */
      soup_multipart_append_form_file (current, "file", dest, "application/octet-stream",
                                       file->contents ? file->contents : empty);
      current_files++;
      current_bytes += size;
    }

  write_next_batches (g_steal_pointer (&task));
}

gboolean
tessera_e2b_client_write_files_finish (TesseraE2bClient  *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_read_file (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GBytes *body = request_finish (result, NULL, &error);

  if (body == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, body, (GDestroyNotify) g_bytes_unref);
}

void
tessera_e2b_client_read_file_async (TesseraE2bClient            *self,
                                    const TesseraE2bSandboxInfo *info,
                                    const char                  *path,
                                    GCancellable                *cancellable,
                                    GAsyncReadyCallback          callback,
                                    gpointer                     user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *query = NULL;

  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  g_return_if_fail (info != NULL);
  g_return_if_fail (path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_e2b_client_read_file_async);
  escaped = escape (path);
  query = g_strconcat ("/files?path=", escaped, NULL);
  request_send (self, request_new ("GET", envd_url (self, info, query), TARGET_ENVD, info),
                cancellable, on_read_file, g_steal_pointer (&task));
}

GBytes *
tessera_e2b_client_read_file_finish (TesseraE2bClient  *self,
                                     GAsyncResult      *result,
                                     GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Connect unary ---------------------------------------------------------- */

typedef struct
{
  JsonNode *node;
  char     *code;
} CallResult;

static void
call_result_free (CallResult *r)
{
  g_clear_pointer (&r->node, json_node_unref);
  g_free (r->code);
  g_free (r);
}

static void
on_call_response (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  guint status = 0;
  g_autoptr(GBytes) body = request_finish (result, &status, &error);
  JsonNode *node;
  CallResult *r;

  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (status != 200)
    {
      g_autofree char *code = NULL;
      g_autofree char *message = body_message (body, &code);

      /* Not a Connect error (a paused sandbox's proxy, say): plain HTTP. */
      if (code == NULL)
        {
          g_task_return_error (task, http_error (TARGET_ENVD, status, body));
          return;
        }
      r = g_task_get_task_data (task);
      r->code = g_strdup (code ? code : "unknown");
      if (g_str_equal (r->code, "not_found"))
        g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED,
                                 _("Not found in the cloud sandbox: %s"), message ? message : "");
      else
        g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED,
                                 _("The cloud sandbox reported an error: %s"), message ? message : r->code);
      return;
    }
  if ((node = parse_json (body, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, node, (GDestroyNotify) json_node_unref);
}

void
tessera_e2b_client_call_async (TesseraE2bClient            *self,
                               const TesseraE2bSandboxInfo *info,
                               const char                  *procedure,
                               JsonNode                    *request,
                               GCancellable                *cancellable,
                               GAsyncReadyCallback          callback,
                               gpointer                     user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) empty = NULL;
  g_autofree char *path = NULL;
  Request *req;

  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  g_return_if_fail (info != NULL);
  g_return_if_fail (procedure != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_e2b_client_call_async);
  g_task_set_task_data (task, g_new0 (CallResult, 1), (GDestroyNotify) call_result_free);

  if (request == NULL)
    {
      empty = json_node_init_object (json_node_alloc (), json_object_new ());
      json_object_unref (json_node_get_object (empty));
      request = empty;
    }
  path = g_strconcat ("/", procedure, NULL);
  req = request_new ("POST", envd_url (self, info, path), TARGET_ENVD, info);
  req->connect = TRUE;
  request_set_json (req, request);
  request_send (self, req, cancellable, on_call_response, g_steal_pointer (&task));
}

JsonNode *
tessera_e2b_client_call_finish (TesseraE2bClient  *self,
                                GAsyncResult      *result,
                                char             **connect_code,
                                GError           **error)
{
  CallResult *r;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  r = g_task_get_task_data (G_TASK (result));
  if (connect_code)
    *connect_code = g_strdup (r->code);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Wraps a call whose result is a boolean; @ok_code is a Connect code that
 * counts as success, @fail_code one that becomes @fail_error. */
typedef struct
{
  const char *ok_code;
  const char *fail_code;
  int         fail_error;
  const char *fail_message;
} BoolCall;

static void
on_bool_call (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  const BoolCall *bc = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autoptr(JsonNode) node = tessera_e2b_client_call_finish (TESSERA_E2B_CLIENT (source), result, &code, &error);

  if (node != NULL || (bc->ok_code && g_strcmp0 (code, bc->ok_code) == 0))
    g_task_return_boolean (task, TRUE);
  else if (bc->fail_code && g_strcmp0 (code, bc->fail_code) == 0)
    g_task_return_new_error (task, TESSERA_SANDBOX_ERROR, bc->fail_error, "%s", _(bc->fail_message));
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
bool_call (TesseraE2bClient            *self,
           const TesseraE2bSandboxInfo *info,
           gpointer                     source_tag,
           const char                  *procedure,
           JsonNode                    *request,
           const BoolCall              *bc,
           GCancellable                *cancellable,
           GAsyncReadyCallback          callback,
           gpointer                     user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, (gpointer) bc, NULL);
  tessera_e2b_client_call_async (self, info, procedure, request, cancellable, on_bool_call, g_steal_pointer (&task));
}

static JsonNode *
path_request (const char *member,
              const char *path,
              const char *member2,
              const char *path2)
{
  JsonObject *obj = json_object_new ();
  JsonNode *node;

  json_object_set_string_member (obj, member, path);
  if (member2)
    json_object_set_string_member (obj, member2, path2);
  node = json_node_init_object (json_node_alloc (), obj);
  json_object_unref (obj);
  return node;
}

void
tessera_e2b_client_remove_async (TesseraE2bClient            *self,
                                 const TesseraE2bSandboxInfo *info,
                                 const char                  *path,
                                 GCancellable                *cancellable,
                                 GAsyncReadyCallback          callback,
                                 gpointer                     user_data)
{
  static const BoolCall bc = { "not_found", NULL, 0, NULL };
  g_autoptr(JsonNode) req = path_request ("path", path, NULL, NULL);

  bool_call (self, info, tessera_e2b_client_remove_async, "filesystem.Filesystem/Remove", req, &bc,
             cancellable, callback, user_data);
}

gboolean
tessera_e2b_client_remove_finish (TesseraE2bClient  *self,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
tessera_e2b_client_move_async (TesseraE2bClient            *self,
                               const TesseraE2bSandboxInfo *info,
                               const char                  *from,
                               const char                  *to,
                               GCancellable                *cancellable,
                               GAsyncReadyCallback          callback,
                               gpointer                     user_data)
{
  static const BoolCall bc = { NULL, NULL, 0, NULL };
  g_autoptr(JsonNode) req = path_request ("source", from, "destination", to);

  bool_call (self, info, tessera_e2b_client_move_async, "filesystem.Filesystem/Move", req, &bc,
             cancellable, callback, user_data);
}

gboolean
tessera_e2b_client_move_finish (TesseraE2bClient  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
tessera_e2b_client_make_dir_async (TesseraE2bClient            *self,
                                   const TesseraE2bSandboxInfo *info,
                                   const char                  *path,
                                   GCancellable                *cancellable,
                                   GAsyncReadyCallback          callback,
                                   gpointer                     user_data)
{
  static const BoolCall bc = { "already_exists", NULL, 0, NULL };
  g_autoptr(JsonNode) req = path_request ("path", path, NULL, NULL);

  bool_call (self, info, tessera_e2b_client_make_dir_async, "filesystem.Filesystem/MakeDir", req, &bc,
             cancellable, callback, user_data);
}

gboolean
tessera_e2b_client_make_dir_finish (TesseraE2bClient  *self,
                                    GAsyncResult      *result,
                                    GError           **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Processes -------------------------------------------------------------- */

static GBytes *
envelope_bytes (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);
  gsize len = strlen (text);
  guint8 *buf = g_malloc (len + 5);

  buf[0] = 0;
  buf[1] = (len >> 24) & 0xff;
  buf[2] = (len >> 16) & 0xff;
  buf[3] = (len >> 8) & 0xff;
  buf[4] = len & 0xff;
  memcpy (buf + 5, text, len);
  return g_bytes_new_take (buf, len + 5);
}

static void
on_stream_started (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraE2bStream *stream = TESSERA_E2B_STREAM (source);
  GError *error = NULL;

  if (!tessera_e2b_stream_start_finish (stream, result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_object_ref (stream), g_object_unref);
}

static void
on_stream_opened (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *req = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;
  g_autoptr(GInputStream) input = g_task_propagate_pointer (G_TASK (result), &error);
  g_autoptr(TesseraE2bStream) stream = NULL;
  GCancellable *cancellable;

  if (input == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  stream = tessera_e2b_stream_new (input, G_OBJECT (req->msg));
  cancellable = g_task_get_cancellable (task);
  tessera_e2b_stream_start_async (stream, cancellable, on_stream_started, g_steal_pointer (&task));
}

static void
open_stream (TesseraE2bClient            *self,
             const TesseraE2bSandboxInfo *info,
             gpointer                     source_tag,
             const char                  *procedure,
             JsonNode                    *message,
             guint                        timeout_ms,
             GCancellable                *cancellable,
             GAsyncReadyCallback          callback,
             gpointer                     user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Request *req = request_new ("POST", envd_url (self, info, procedure), TARGET_ENVD, info);

  g_task_set_source_tag (task, source_tag);
  req->connect = TRUE;
  req->stream = TRUE;
  req->timeout_ms = timeout_ms;
  req->content_type = g_strdup ("application/connect+json");
  req->body = envelope_bytes (message);
  request_send (self, req, cancellable, on_stream_opened, g_steal_pointer (&task));
}

void
tessera_e2b_client_start_async (TesseraE2bClient            *self,
                                const TesseraE2bSandboxInfo *info,
                                const char                  *command,
                                const char                  *cwd,
                                const char * const          *env,
                                const char                  *tag,
                                guint                        timeout_ms,
                                GCancellable                *cancellable,
                                GAsyncReadyCallback          callback,
                                gpointer                     user_data)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  g_return_if_fail (info != NULL);
  g_return_if_fail (command != NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "process");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "cmd");
  json_builder_add_string_value (b, "/bin/bash");
  json_builder_set_member_name (b, "args");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "-l");
  json_builder_add_string_value (b, "-c");
  json_builder_add_string_value (b, command);
  json_builder_end_array (b);
  if (env && env[0])
    {
      json_builder_set_member_name (b, "envs");
      json_builder_begin_object (b);
      for (guint i = 0; env[i]; i++)
        {
          const char *eq = strchr (env[i], '=');
          g_autofree char *key = NULL;

          if (eq == NULL || eq == env[i])
            continue;
          key = g_strndup (env[i], eq - env[i]);
          json_builder_set_member_name (b, key);
          json_builder_add_string_value (b, eq + 1);
        }
      json_builder_end_object (b);
    }
  if (cwd)
    {
      json_builder_set_member_name (b, "cwd");
      json_builder_add_string_value (b, cwd);
    }
  json_builder_end_object (b);
  if (tag)
    {
      json_builder_set_member_name (b, "tag");
      json_builder_add_string_value (b, tag);
    }
  json_builder_set_member_name (b, "stdin");
  json_builder_add_boolean_value (b, FALSE);
  json_builder_end_object (b);
  node = json_builder_get_root (b);

  open_stream (self, info, tessera_e2b_client_start_async, "/process.Process/Start", node, timeout_ms,
               cancellable, callback, user_data);
}

TesseraE2bStream *
tessera_e2b_client_start_finish (TesseraE2bClient  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static JsonNode *
pid_selector (guint       pid,
              const char *signal_name)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "process");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "pid");
  json_builder_add_int_value (b, pid);
  json_builder_end_object (b);
  if (signal_name)
    {
      json_builder_set_member_name (b, "signal");
      json_builder_add_string_value (b, signal_name);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
tessera_e2b_client_connect_process_async (TesseraE2bClient            *self,
                                          const TesseraE2bSandboxInfo *info,
                                          guint                        pid,
                                          GCancellable                *cancellable,
                                          GAsyncReadyCallback          callback,
                                          gpointer                     user_data)
{
  g_autoptr(JsonNode) node = pid_selector (pid, NULL);

  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  g_return_if_fail (info != NULL);

  open_stream (self, info, tessera_e2b_client_connect_process_async, "/process.Process/Connect", node, 0,
               cancellable, callback, user_data);
}

TesseraE2bStream *
tessera_e2b_client_connect_process_finish (TesseraE2bClient  *self,
                                           GAsyncResult      *result,
                                           GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_list_processes (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonNode) node = tessera_e2b_client_call_finish (TESSERA_E2B_CLIENT (source), result, NULL, &error);
  g_autoptr(GPtrArray) items = NULL;
  JsonObject *obj;
  JsonArray *processes;

  if (node == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  items = g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_e2b_process_info_free);
  obj = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  processes = obj && json_object_has_member (obj, "processes") ? json_object_get_array_member (obj, "processes") : NULL;
  for (guint i = 0; processes && i < json_array_get_length (processes); i++)
    {
      JsonObject *p = json_array_get_object_element (processes, i);
      JsonObject *config;
      TesseraE2bProcessInfo *info;

      if (p == NULL)
        continue;
      info = g_new0 (TesseraE2bProcessInfo, 1);
      info->pid = (guint) json_object_get_int_member_with_default (p, "pid", 0);
      info->tag = g_strdup (json_string_or_null (p, "tag"));
      config = json_object_has_member (p, "config") ? json_object_get_object_member (p, "config") : NULL;
      if (config)
        {
          JsonArray *args = json_object_has_member (config, "args") ? json_object_get_array_member (config, "args") : NULL;
          GStrvBuilder *builder = g_strv_builder_new ();

          info->cmd = g_strdup (json_string_or_null (config, "cmd"));
          info->cwd = g_strdup (json_string_or_null (config, "cwd"));
          for (guint j = 0; args && j < json_array_get_length (args); j++)
            g_strv_builder_add (builder, json_array_get_string_element (args, j));
          info->args = g_strv_builder_end (builder);
          g_strv_builder_unref (builder);
        }
      else
        info->args = g_new0 (char *, 1);
      g_ptr_array_add (items, info);
    }
  g_task_return_pointer (task, g_steal_pointer (&items), (GDestroyNotify) g_ptr_array_unref);
}

void
tessera_e2b_client_list_processes_async (TesseraE2bClient            *self,
                                         const TesseraE2bSandboxInfo *info,
                                         GCancellable                *cancellable,
                                         GAsyncReadyCallback          callback,
                                         gpointer                     user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, tessera_e2b_client_list_processes_async);
  tessera_e2b_client_call_async (self, info, "process.Process/List", NULL, cancellable,
                                 on_list_processes, g_steal_pointer (&task));
}

GPtrArray *
tessera_e2b_client_list_processes_finish (TesseraE2bClient  *self,
                                          GAsyncResult      *result,
                                          GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
tessera_e2b_client_send_signal_async (TesseraE2bClient            *self,
                                      const TesseraE2bSandboxInfo *info,
                                      guint                        pid,
                                      int                          signum,
                                      GCancellable                *cancellable,
                                      GAsyncReadyCallback          callback,
                                      gpointer                     user_data)
{
  static const BoolCall bc = { NULL, "not_found", TESSERA_SANDBOX_ERROR_NOT_RUNNING,
                               N_("The process is no longer running in the cloud sandbox.") };
  g_autoptr(JsonNode) node = pid_selector (pid, signum == SIGTERM ? "SIGNAL_SIGTERM" : "SIGNAL_SIGKILL");

  g_return_if_fail (TESSERA_IS_E2B_CLIENT (self));
  g_return_if_fail (info != NULL);

  bool_call (self, info, tessera_e2b_client_send_signal_async, "process.Process/SendSignal", node, &bc,
             cancellable, callback, user_data);
}

gboolean
tessera_e2b_client_send_signal_finish (TesseraE2bClient  *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Object ----------------------------------------------------------------- */

static void
tessera_e2b_client_finalize (GObject *object)
{
  TesseraE2bClient *self = TESSERA_E2B_CLIENT (object);

  g_clear_object (&self->session);
  g_free (self->api_key);
  g_free (self->domain);
  g_free (self->api_url);
  g_free (self->sandbox_url);
  g_free (self->env_api_key);
  g_free (self->env_domain);
  g_free (self->env_api_url);
  g_free (self->env_sandbox_url);

  G_OBJECT_CLASS (tessera_e2b_client_parent_class)->finalize (object);
}

static void
tessera_e2b_client_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  TesseraE2bClient *self = TESSERA_E2B_CLIENT (object);

  switch (prop_id)
    {
    case PROP_API_KEY:
      g_value_set_string (value, self->api_key);
      break;
    case PROP_DOMAIN:
      g_value_set_string (value, self->domain);
      break;
    case PROP_API_URL:
      g_value_set_string (value, self->api_url);
      break;
    case PROP_SANDBOX_URL:
      g_value_set_string (value, self->sandbox_url);
      break;
    case PROP_DEBUG:
      g_value_set_boolean (value, self->debug);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_e2b_client_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  TesseraE2bClient *self = TESSERA_E2B_CLIENT (object);

  switch (prop_id)
    {
    case PROP_API_KEY:
      tessera_e2b_client_set_api_key (self, g_value_get_string (value));
      break;
    case PROP_DOMAIN:
      tessera_e2b_client_set_domain (self, g_value_get_string (value));
      break;
    case PROP_API_URL:
      tessera_e2b_client_set_api_url (self, g_value_get_string (value));
      break;
    case PROP_SANDBOX_URL:
      tessera_e2b_client_set_sandbox_url (self, g_value_get_string (value));
      break;
    case PROP_DEBUG:
      tessera_e2b_client_set_debug (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_e2b_client_class_init (TesseraE2bClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tessera_e2b_client_finalize;
  object_class->get_property = tessera_e2b_client_get_property;
  object_class->set_property = tessera_e2b_client_set_property;

  properties[PROP_API_KEY] =
    g_param_spec_string ("api-key", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DOMAIN] =
    g_param_spec_string ("domain", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_API_URL] =
    g_param_spec_string ("api-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SANDBOX_URL] =
    g_param_spec_string ("sandbox-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEBUG] =
    g_param_spec_boolean ("debug", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_e2b_client_init (TesseraE2bClient *self)
{
  g_autofree char *agent = g_strdup_printf ("Tessera/%s", PACKAGE_VERSION);

  /* Each running process holds a connection for its event stream. */
  self->session = soup_session_new_with_options ("max-conns", 64,
                                                 "max-conns-per-host", 32,
                                                 "timeout", READ_TIMEOUT_S,
                                                 "user-agent", agent,
                                                 NULL);
  self->retry_delay_ms = 250;
  self->env_api_key = g_strdup (g_getenv ("E2B_API_KEY"));
  self->env_domain = g_strdup (g_getenv ("E2B_DOMAIN"));
  self->env_api_url = g_strdup (g_getenv ("E2B_API_URL"));
  self->env_sandbox_url = g_strdup (g_getenv ("E2B_SANDBOX_URL"));
  self->env_debug = g_strcmp0 (g_getenv ("E2B_DEBUG"), "true") == 0;
}

TesseraE2bClient *
tessera_e2b_client_new (void)
{
  return g_object_new (TESSERA_TYPE_E2B_CLIENT, NULL);
}
