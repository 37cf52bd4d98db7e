/* tessera-static-server.c: the built-in web server for static sites
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-static-server"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "tessera-sandbox-private.h"
#include "tessera-static-server.h"

/* Bursts of writes (an AI writing several files) become one event. */
#define COALESCE_MS 30
#define KEEPALIVE_SECONDS 15
/* How soon a page's event stream reconnects after losing the server. */
#define RETRY_MS 200
/* Larger files are not served: this is a preview of a web app. */
#define MAX_FILE_SIZE (256 * 1024 * 1024)

struct _TesseraStaticServer
{
  GObject     parent_instance;

  GFile      *root;
  SoupServer *server;
  char       *url;
  guint       port;
  /* Bumped by stop: answers prepared for an older server are dropped. */
  guint       generation;
  /* Counts changes. Each page is served with the version it was read at
   * and compares it with the one the server greets its event stream
   * with: a change made while the page loaded or reconnected is never
   * lost, and one already on screen is never reloaded again. */
  guint64     version;

  /* Open live-reload streams (SoupServerMessage). */
  GPtrArray  *event_streams;
  guint       coalesce_source;
  guint       keepalive_source;
  guint       pending_css : 1;
  guint       pending_other : 1;
};

enum {
  PROP_0,
  PROP_ROOT,
  PROP_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (TesseraStaticServer, tessera_static_server, G_TYPE_OBJECT)

static const struct {
  const char *suffix;
  const char *mime_type;
} mime_types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".htm", "text/html; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".mjs", "text/javascript; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".json", "application/json" },
  { ".map", "application/json" },
  { ".svg", "image/svg+xml" },
  { ".wasm", "application/wasm" },
  { ".txt", "text/plain; charset=utf-8" },
  { ".md", "text/markdown; charset=utf-8" },
  { ".png", "image/png" },
  { ".jpg", "image/jpeg" },
  { ".jpeg", "image/jpeg" },
  { ".gif", "image/gif" },
  { ".webp", "image/webp" },
  { ".ico", "image/x-icon" },
  { ".woff", "font/woff" },
  { ".woff2", "font/woff2" },
  { ".ttf", "font/ttf" },
  { ".mp3", "audio/mpeg" },
  { ".mp4", "video/mp4" },
  { ".webm", "video/webm" },
};

/* Reloads keep the scroll position through sessionStorage; CSS changes
 * swap the stylesheets' URLs instead of reloading. The page knows the
 * version it was served at (the argument appended after this prefix): the
 * "hello" sent when its stream (re)connects and every event carry the
 * server's version, and only a different one means the page is stale.
 * Once reloading, the page ignores further events: a burst of changes
 * during a reload is picked up by the next page's hello, as one reload. */
static const char live_reload_script_prefix[] =
  "<script>/* Tessera live reload */(function(v){"
  "var k='tessera-scroll:'+location.pathname,busy=false;"
  "try{var y=sessionStorage.getItem(k);"
  "if(y!==null){sessionStorage.removeItem(k);"
  "addEventListener('load',function(){scrollTo(0,+y);});}}catch(e){}"
  "function stale(e){return !busy&&e.data!==String(v);}"
  "function reload(e){if(!stale(e))return;busy=true;"
  "try{sessionStorage.setItem(k,String(scrollY));}catch(x){}location.reload();}"
  "try{var s=new EventSource('" TESSERA_STATIC_SERVER_EVENTS_PATH "');"
  "s.addEventListener('hello',reload);"
  "s.addEventListener('reload',reload);"
  "s.addEventListener('css',function(e){if(!stale(e))return;v=+e.data;"
  "document.querySelectorAll('link[rel~=\"stylesheet\"]').forEach(function(l){"
  "var u=new URL(l.href);u.searchParams.set('tessera',v);l.href=u.href;});});"
  "}catch(e){}})(";
static const char live_reload_script_suffix[] = ");</script>";

typedef struct
{
  guint   status;
  char   *content_type;
  char   *location;
  GBytes *body;
} Response;

static void
response_free (Response *response)
{
  g_free (response->content_type);
  g_free (response->location);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response);
}

static const char *
lookup_mime_type (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (mime_types); i++)
    {
      if (g_str_has_suffix (name, mime_types[i].suffix))
        return mime_types[i].mime_type;
    }

  return NULL;
}

static char *
guess_mime_type (const char *name,
                 GBytes     *contents)
{
  const char *known = lookup_mime_type (name);
  g_autofree char *content_type = NULL;
  g_autofree char *mime_type = NULL;
  gsize size = 0;
  const guchar *data;

  if (known != NULL)
    return g_strdup (known);

  data = g_bytes_get_data (contents, &size);
  content_type = g_content_type_guess (name, data, MIN (size, 4096), NULL);
  mime_type = g_content_type_get_mime_type (content_type);

  if (mime_type == NULL)
    return g_strdup ("application/octet-stream");
  if (g_str_has_prefix (mime_type, "text/"))
    return g_strconcat (mime_type, "; charset=utf-8", NULL);

  return g_steal_pointer (&mime_type);
}

static Response *
error_response (guint status)
{
  Response *response = g_new0 (Response, 1);
  const char *title;
  g_autofree char *html = NULL;

  switch (status)
    {
    case SOUP_STATUS_FORBIDDEN:
      title = _("Access denied");
      break;

    case SOUP_STATUS_NOT_FOUND:
      title = _("Page not found");
      break;

    default:
      title = _("Error");
      break;
    }

  html = g_strdup_printf ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%u %s</title></head>"
                          "<body><h1>%u %s</h1></body></html>\n",
                          status, title, status, title);

  response->status = status;
  response->content_type = g_strdup ("text/html; charset=utf-8");
  response->body = g_bytes_new_take (g_steal_pointer (&html), strlen (html));

  return response;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *)a, *(const char * const *)b);
}

static Response *
list_directory (GFile      *dir,
                const char *url_path)
{
  g_autoptr(GFileEnumerator) enumerator = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) html = g_string_new (NULL);
  g_autofree char *escaped_path = g_markup_escape_text (url_path, -1);
  Response *response;

  enumerator = g_file_enumerate_children (dir,
                                          G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                          G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                          G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                          NULL, NULL);
  if (enumerator == NULL)
    return error_response (SOUP_STATUS_NOT_FOUND);

  for (;;)
    {
      GFileInfo *info = NULL;
      const char *name;

      if (!g_file_enumerator_iterate (enumerator, &info, NULL, NULL, NULL) || info == NULL)
        break;

      name = g_file_info_get_name (info);
      if (name[0] == '.')
        continue;

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        g_ptr_array_add (names, g_strconcat (name, "/", NULL));
      else
        g_ptr_array_add (names, g_strdup (name));
    }

  g_ptr_array_sort (names, compare_names);

  g_string_append_printf (html,
                          "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                          "<title>%s</title></head><body><h1>%s</h1><ul>\n",
                          escaped_path, escaped_path);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *href = g_uri_escape_string (name, "/", FALSE);
      g_autofree char *href_markup = g_markup_escape_text (href, -1);
      g_autofree char *label = g_markup_escape_text (name, -1);

      g_string_append_printf (html, "<li><a href=\"%s\">%s</a></li>\n", href_markup, label);
    }
  g_string_append (html, "</ul></body></html>\n");

  response = g_new0 (Response, 1);
  response->status = SOUP_STATUS_OK;
  response->content_type = g_strdup ("text/html; charset=utf-8");
  response->body = g_string_free_to_bytes (g_steal_pointer (&html));

  return response;
}

static Response *
serve_file (GFile *file)
{
  g_autofree char *name = g_file_get_basename (file);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInfo) info = NULL;
  char *data = NULL;
  gsize length = 0;
  Response *response;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE, NULL, NULL);
  if (info != NULL && g_file_info_get_size (info) > MAX_FILE_SIZE)
    return error_response (SOUP_STATUS_FORBIDDEN);

  if (!g_file_load_contents (file, NULL, &data, &length, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
        return error_response (SOUP_STATUS_FORBIDDEN);
      return error_response (SOUP_STATUS_NOT_FOUND);
    }

  response = g_new0 (Response, 1);
  response->status = SOUP_STATUS_OK;
  response->body = g_bytes_new_take (data, length);
  response->content_type = guess_mime_type (name, response->body);

  return response;
}

/* Runs in a worker thread: everything that touches the disk. */
static Response *
resolve_request (GFile      *root,
                 const char *url_path)
{
  g_autofree char *decoded = NULL;
  g_autoptr(GString) relative = g_string_new (NULL);
  g_auto(GStrv) segments = NULL;
  g_autoptr(GFile) file = NULL;
  GFileType type;

  /* An encoded "/" could hide a ".." segment; a NUL is never valid. */
  decoded = g_uri_unescape_string (url_path, "/");
  if (decoded == NULL || decoded[0] != '/')
    return error_response (SOUP_STATUS_NOT_FOUND);

  segments = g_strsplit (decoded + 1, "/", -1);
  for (guint i = 0; segments[i] != NULL; i++)
    {
      const char *segment = segments[i];

      if (segment[0] == '\0' || g_str_equal (segment, "."))
        continue;
      if (g_str_equal (segment, ".."))
        return error_response (SOUP_STATUS_FORBIDDEN);
      /* Tessera's own state and the history are not part of the site. */
      if (g_str_equal (segment, ".tessera") || g_str_equal (segment, ".git"))
        return error_response (SOUP_STATUS_NOT_FOUND);

      if (relative->len > 0)
        g_string_append_c (relative, '/');
      g_string_append (relative, segment);
    }

  if (relative->len == 0)
    {
      file = g_object_ref (root);
    }
  else
    {
      g_autoptr(GError) error = NULL;

      file = tessera_sandbox_resolve_path (root, relative->str, &error);
      if (file == NULL)
        return error_response (SOUP_STATUS_FORBIDDEN);
    }

  type = g_file_query_file_type (file, G_FILE_QUERY_INFO_NONE, NULL);

  if (type == G_FILE_TYPE_DIRECTORY)
    {
      g_autoptr(GFile) index = NULL;

      /* Relative links of the index resolve against the folder only with
       * the trailing slash. */
      if (!g_str_has_suffix (decoded, "/"))
        {
          Response *response = g_new0 (Response, 1);
          g_autofree char *escaped = g_uri_escape_string (decoded, "/", FALSE);

          response->status = SOUP_STATUS_MOVED_PERMANENTLY;
          response->location = g_strconcat (escaped, "/", NULL);
          response->content_type = g_strdup ("text/plain; charset=utf-8");
          response->body = g_bytes_new_static ("", 0);
          return response;
        }

      index = g_file_get_child (file, "index.html");
      if (g_file_query_file_type (index, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL) == G_FILE_TYPE_REGULAR)
        return serve_file (index);

      return list_directory (file, decoded);
    }

  if (type == G_FILE_TYPE_REGULAR)
    return serve_file (file);

  return error_response (SOUP_STATUS_NOT_FOUND);
}

static GBytes *
inject_live_reload (GBytes  *body,
                    guint64  version)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (body, &size);
  g_autoptr(GString) html = g_string_new_len (data, size);
  g_autofree char *script = NULL;
  gssize insert_at = -1;

  script = g_strdup_printf ("%s%" G_GUINT64_FORMAT "%s",
                            live_reload_script_prefix, version, live_reload_script_suffix);

  /* Before the last </body>, case-insensitively; else at the end. */
  for (gssize i = (gssize)size - 7; i >= 0; i--)
    {
      if (g_ascii_strncasecmp (html->str + i, "</body>", 7) == 0)
        {
          insert_at = i;
          break;
        }
    }

  if (insert_at >= 0)
    g_string_insert (html, insert_at, script);
  else
    g_string_append (html, script);

  return g_string_free_to_bytes (g_steal_pointer (&html));
}

static void
set_common_headers (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  /* The preview must always show what is on disk now. */
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
}

/* What the worker thread needs: nothing of libsoup's, whose objects
 * belong to the main thread. */
typedef struct
{
  GFile *root;
  char  *path;
} Job;

static void
job_free (Job *job)
{
  g_clear_object (&job->root);
  g_free (job->path);
  g_free (job);
}

typedef struct
{
  TesseraStaticServer *self;
  SoupServerMessage   *msg;
  guint                generation;
  guint64              version;
  gulong               finished_handler;
  gboolean             finished;
} Request;

static void
request_free (Request *request)
{
  if (request->finished_handler != 0)
    g_signal_handler_disconnect (request->msg, request->finished_handler);
  g_clear_object (&request->msg);
  g_clear_object (&request->self);
  g_free (request);
}

static void
request_finished_cb (SoupServerMessage *msg,
                     Request           *request)
{
  request->finished = TRUE;
}

static void
resolve_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Job *job = task_data;

  g_task_return_pointer (task,
                         resolve_request (job->root, job->path),
                         (GDestroyNotify)response_free);
}

static void
resolve_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Request *request = user_data;
  SoupServerMessage *msg = request->msg;
  Response *response;

  response = g_task_propagate_pointer (G_TASK (result), NULL);

  /* The server may have stopped (or restarted) while the disk was read:
   * the message then belongs to a closed connection. */
  if (response == NULL || request->finished ||
      request->self->server == NULL || request->generation != request->self->generation)
    {
      g_clear_pointer (&response, response_free);
      request_free (request);
      return;
    }

  if (g_str_has_prefix (response->content_type, "text/html"))
    {
      GBytes *with_script = inject_live_reload (response->body, request->version);

      g_bytes_unref (response->body);
      response->body = with_script;
    }

  set_common_headers (msg);
  if (response->location != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Location", response->location);
  soup_server_message_set_status (msg, response->status, NULL);
  soup_server_message_set_response (msg,
                                    response->content_type,
                                    SOUP_MEMORY_COPY,
                                    g_bytes_get_data (response->body, NULL),
                                    g_bytes_get_size (response->body));
  soup_server_message_unpause (msg);

  response_free (response);
  request_free (request);
}

static void
event_stream_finished_cb (SoupServerMessage   *msg,
                          TesseraStaticServer *self)
{
  g_signal_handlers_disconnect_by_func (msg, event_stream_finished_cb, self);
  g_ptr_array_remove (self->event_streams, msg);
}

static void
send_event (SoupServerMessage *msg,
            const char        *text)
{
  soup_message_body_append (soup_server_message_get_response_body (msg),
                            SOUP_MEMORY_COPY, text, strlen (text));
  soup_server_message_unpause (msg);
}

static void
broadcast (TesseraStaticServer *self,
           const char          *text)
{
  for (guint i = 0; i < self->event_streams->len; i++)
    send_event (g_ptr_array_index (self->event_streams, i), text);
}

static void
handle_events (TesseraStaticServer *self,
               SoupServerMessage   *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *hello = NULL;

  set_common_headers (msg);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);

  g_ptr_array_add (self->event_streams, g_object_ref (msg));
  g_signal_connect_object (msg, "finished", G_CALLBACK (event_stream_finished_cb), self, 0);

  /* The hello goes first: a page served before the latest change reloads
   * on it, even when that change's event went out before it connected.
   * It also makes the headers go out now. */
  hello = g_strdup_printf ("retry: %u\nevent: hello\ndata: %" G_GUINT64_FORMAT "\n\n",
                           RETRY_MS, self->version);
  g_debug ("Live-reload stream connected at version %" G_GUINT64_FORMAT, self->version);
  send_event (msg, hello);
}

static void
handle_request (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  TesseraStaticServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  g_autoptr(GTask) task = NULL;
  Request *request;
  Job *job;

  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", "GET, HEAD");
      return;
    }

  if (g_str_equal (path, TESSERA_STATIC_SERVER_EVENTS_PATH))
    {
      handle_events (self, msg);
      return;
    }

  request = g_new0 (Request, 1);
  request->self = g_object_ref (self);
  request->generation = self->generation;
  /* Taken before the file is read: a change written while it is read
   * makes the page look stale, never up to date. */
  request->version = self->version;
  request->msg = g_object_ref (msg);
  request->finished_handler = g_signal_connect (msg, "finished",
                                                G_CALLBACK (request_finished_cb), request);

  job = g_new0 (Job, 1);
  job->root = g_object_ref (self->root);
  /* The raw, still-encoded path: decoding happens once, in one place. */
  job->path = g_strdup (g_uri_get_path (uri));

  soup_server_message_pause (msg);

  /* No source object: the worker thread may drop the task last. */
  task = g_task_new (NULL, NULL, resolve_cb, request);
  g_task_set_source_tag (task, handle_request);
  g_task_set_task_data (task, job, (GDestroyNotify)job_free);
  g_task_run_in_thread (task, resolve_thread);
}

static gboolean
coalesce_cb (gpointer user_data)
{
  TesseraStaticServer *self = user_data;
  g_autofree char *event = NULL;

  self->coalesce_source = 0;

  if (self->pending_other || self->pending_css)
    {
      event = g_strdup_printf ("event: %s\ndata: %" G_GUINT64_FORMAT "\n\n",
                               self->pending_other ? "reload" : "css", self->version);
      broadcast (self, event);
      g_debug ("Sent %s at version %" G_GUINT64_FORMAT " to %u streams",
               self->pending_other ? "reload" : "css", self->version, self->event_streams->len);
    }

  self->pending_css = FALSE;
  self->pending_other = FALSE;

  return G_SOURCE_REMOVE;
}

static gboolean
keepalive_cb (gpointer user_data)
{
  TesseraStaticServer *self = user_data;

  /* Comments keep idle connections from being dropped by anything in
   * between, and let a dead client be noticed. */
  broadcast (self, ": keepalive\n\n");

  return G_SOURCE_CONTINUE;
}

static void
tessera_static_server_dispose (GObject *object)
{
  TesseraStaticServer *self = (TesseraStaticServer *)object;

  tessera_static_server_stop (self);

  G_OBJECT_CLASS (tessera_static_server_parent_class)->dispose (object);
}

static void
tessera_static_server_finalize (GObject *object)
{
  TesseraStaticServer *self = (TesseraStaticServer *)object;

  g_clear_object (&self->root);
  g_clear_pointer (&self->event_streams, g_ptr_array_unref);
  g_clear_pointer (&self->url, g_free);

  G_OBJECT_CLASS (tessera_static_server_parent_class)->finalize (object);
}

static void
tessera_static_server_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  TesseraStaticServer *self = TESSERA_STATIC_SERVER (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      g_value_set_object (value, self->root);
      break;

    case PROP_URL:
      g_value_set_string (value, self->url);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_static_server_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  TesseraStaticServer *self = TESSERA_STATIC_SERVER (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      self->root = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_static_server_class_init (TesseraStaticServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_static_server_dispose;
  object_class->finalize = tessera_static_server_finalize;
  object_class->get_property = tessera_static_server_get_property;
  object_class->set_property = tessera_static_server_set_property;

  properties[PROP_ROOT] =
    g_param_spec_object ("root", NULL, NULL,
                         G_TYPE_FILE,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_static_server_init (TesseraStaticServer *self)
{
  self->event_streams = g_ptr_array_new_with_free_func (g_object_unref);
}

TesseraStaticServer *
tessera_static_server_new (GFile *root)
{
  g_return_val_if_fail (G_IS_FILE (root), NULL);

  return g_object_new (TESSERA_TYPE_STATIC_SERVER,
                       "root", root,
                       NULL);
}

gboolean
tessera_static_server_start (TesseraStaticServer  *self,
                             GError              **error)
{
  g_autoptr(SoupServer) server = NULL;
  GSList *uris;

  g_return_val_if_fail (TESSERA_IS_STATIC_SERVER (self), FALSE);

  if (self->server != NULL)
    return TRUE;

  server = soup_server_new ("server-header", "Tessera", NULL);
  soup_server_add_handler (server, NULL, handle_request, self, NULL);

  /* Loopback only: the preview is for this machine's user alone. */
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, error))
    return FALSE;

  uris = soup_server_get_uris (server);
  if (uris != NULL)
    self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  self->server = g_steal_pointer (&server);
  self->url = g_strdup_printf ("http://127.0.0.1:%u/", self->port);
  self->keepalive_source = g_timeout_add_seconds (KEEPALIVE_SECONDS, keepalive_cb, self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);

  return TRUE;
}

void
tessera_static_server_stop (TesseraStaticServer *self)
{
  g_return_if_fail (TESSERA_IS_STATIC_SERVER (self));

  g_clear_handle_id (&self->coalesce_source, g_source_remove);
  g_clear_handle_id (&self->keepalive_source, g_source_remove);
  self->generation++;

  while (self->event_streams->len > 0)
    {
      g_autoptr(SoupServerMessage) msg = g_ptr_array_steal_index (self->event_streams, 0);

      g_signal_handlers_disconnect_by_func (msg, event_stream_finished_cb, self);
      soup_message_body_complete (soup_server_message_get_response_body (msg));
      soup_server_message_unpause (msg);
    }

  if (self->server != NULL)
    {
      soup_server_remove_handler (self->server, NULL);
      soup_server_disconnect (self->server);
      g_clear_object (&self->server);
    }

  self->port = 0;
  if (self->url != NULL)
    {
      g_clear_pointer (&self->url, g_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
    }
}

GFile *
tessera_static_server_get_root (TesseraStaticServer *self)
{
  g_return_val_if_fail (TESSERA_IS_STATIC_SERVER (self), NULL);

  return self->root;
}

const char *
tessera_static_server_get_url (TesseraStaticServer *self)
{
  g_return_val_if_fail (TESSERA_IS_STATIC_SERVER (self), NULL);

  return self->url;
}

guint
tessera_static_server_get_port (TesseraStaticServer *self)
{
  g_return_val_if_fail (TESSERA_IS_STATIC_SERVER (self), 0);

  return self->port;
}

void
tessera_static_server_notify_changed (TesseraStaticServer *self,
                                      const char          *path)
{
  g_return_if_fail (TESSERA_IS_STATIC_SERVER (self));
  g_return_if_fail (path != NULL);

  /* Installs and Tessera's own state change files no page loads. */
  if (g_str_has_prefix (path, ".tessera") || g_str_has_prefix (path, ".git") ||
      g_str_has_prefix (path, "node_modules/") || g_str_equal (path, "node_modules"))
    return;

  self->version++;

  if (g_str_has_suffix (path, ".css"))
    self->pending_css = TRUE;
  else
    self->pending_other = TRUE;

  if (self->coalesce_source == 0)
    self->coalesce_source = g_timeout_add (COALESCE_MS, coalesce_cb, self);
}

/* The number of changes notified so far: what a page served now embeds
 * and what a stream connecting now is greeted with. */
guint64
tessera_static_server_get_version (TesseraStaticServer *self)
{
  g_return_val_if_fail (TESSERA_IS_STATIC_SERVER (self), 0);

  return self->version;
}
