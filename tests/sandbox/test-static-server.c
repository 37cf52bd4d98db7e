/* test-static-server.c: the built-in web server, over real HTTP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "sandbox-test-util.h"
#include "tessera-static-server.h"

typedef struct
{
  char                *tmp;
  GFile               *root;
  TesseraStaticServer *server;
  SoupSession         *session;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *site = NULL;
  g_autofree char *outside = NULL;
  g_autofree char *sub = NULL;
  g_autofree char *link = NULL;
  g_autofree char *secret = NULL;

  fixture->tmp = g_dir_make_tmp ("tessera-static-XXXXXX", &error);
  g_assert_no_error (error);

  site = g_build_filename (fixture->tmp, "site", NULL);
  outside = g_build_filename (fixture->tmp, "outside", NULL);
  sub = g_build_filename (site, "sub", NULL);
  g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (outside, 0755), ==, 0);

  sandbox_test_write_file (site, "index.html", "<!DOCTYPE html><html><body><h1>Hello</h1></BODY></html>");
  sandbox_test_write_file (site, "style.css", "body { color: red }");
  sandbox_test_write_file (site, "app.js", "console.log('hi')");
  sandbox_test_write_file (site, "module.mjs", "export default 1");
  sandbox_test_write_file (site, "data.json", "{\"a\": 1}");
  sandbox_test_write_file (site, "logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
  sandbox_test_write_file (site, "fragment.html", "<p>no body tag</p>");
  sandbox_test_write_file (sub, "<b>.txt", "bold");
  sandbox_test_write_file (outside, "secret.txt", "TOP-SECRET");

  {
    g_autofree char *wasm = g_build_filename (site, "mod.wasm", NULL);
    static const char magic[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };

    g_file_set_contents (wasm, magic, sizeof magic, &error);
    g_assert_no_error (error);
  }

  secret = g_build_filename (outside, "secret.txt", NULL);
  link = g_build_filename (site, "link.txt", NULL);
  g_assert_cmpint (symlink (secret, link), ==, 0);

  fixture->root = g_file_new_for_path (site);
  fixture->server = tessera_static_server_new (fixture->root);
  tessera_static_server_start (fixture->server, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tessera_static_server_get_port (fixture->server), >, 0);

  fixture->session = soup_session_new ();
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->session);
  g_assert_finalize_object (fixture->server);
  sandbox_test_remove_tree (fixture->tmp);
  g_clear_object (&fixture->root);
  g_clear_pointer (&fixture->tmp, g_free);
}

/* A request through libsoup; returns the message (status, headers) and
 * the body. */
static SoupMessage *
request (Fixture     *fixture,
         const char  *method,
         const char  *path,
         char       **body)
{
  g_autofree char *url = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  SoupMessage *msg;

  url = g_strdup_printf ("http://127.0.0.1:%u%s", tessera_static_server_get_port (fixture->server), path);
  msg = soup_message_new (method, url);
  g_assert_nonnull (msg);
  /* Redirects are part of what is tested. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);

  soup_session_send_and_read_async (fixture->session, msg, G_PRIORITY_DEFAULT, NULL, sandbox_test_store_result, &result);
  bytes = soup_session_send_and_read_finish (fixture->session, sandbox_test_wait_result (&result), &error);
  g_assert_no_error (error);

  if (body != NULL)
    *body = g_bytes_get_size (bytes) > 0
            ? g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes))
            : g_strdup ("");

  return msg;
}

typedef struct
{
  guint     port;
  char     *request;
  char     *response;
  gboolean  done;
} RawRequest;

/* A client thread that writes the request line byte for byte: libsoup's
 * client would normalise the "..". */
static gpointer
raw_request_thread (gpointer data)
{
  RawRequest *raw = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) response = g_string_new (NULL);
  GInputStream *input;
  GOutputStream *output;
  char buffer[4096];
  gssize n;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", raw->port, NULL, &error);
  g_assert_no_error (error);

  output = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  g_output_stream_write_all (output, raw->request, strlen (raw->request), NULL, NULL, &error);
  g_assert_no_error (error);

  while ((n = g_input_stream_read (input, buffer, sizeof buffer, NULL, &error)) > 0)
    g_string_append_len (response, buffer, n);
  g_assert_no_error (error);

  raw->response = g_string_free (g_steal_pointer (&response), FALSE);
  g_atomic_int_set (&raw->done, TRUE);
  g_main_context_wakeup (NULL);

  return NULL;
}

static char *
raw_request (Fixture    *fixture,
             const char *path)
{
  RawRequest raw = { 0 };
  GThread *thread;

  raw.port = tessera_static_server_get_port (fixture->server);
  raw.request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);

  thread = g_thread_new ("raw-client", raw_request_thread, &raw);
  while (!g_atomic_int_get (&raw.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);

  g_free (raw.request);
  return raw.response;
}

static void
assert_type (Fixture    *fixture,
             const char *path,
             const char *expected)
{
  g_autoptr(SoupMessage) msg = request (fixture, "GET", path, NULL);
  const char *type = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Content-Type");

  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  g_assert_cmpstr (type, ==, expected);
}

static void
test_mime_types (Fixture       *fixture,
                 gconstpointer  data)
{
  assert_type (fixture, "/index.html", "text/html; charset=utf-8");
  assert_type (fixture, "/style.css", "text/css; charset=utf-8");
  assert_type (fixture, "/app.js", "text/javascript; charset=utf-8");
  assert_type (fixture, "/module.mjs", "text/javascript; charset=utf-8");
  assert_type (fixture, "/data.json", "application/json");
  assert_type (fixture, "/logo.svg", "image/svg+xml");
  assert_type (fixture, "/mod.wasm", "application/wasm");
  assert_type (fixture, "/sub/%3Cb%3E.txt", "text/plain; charset=utf-8");
}

static void
test_index_and_headers (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(SoupMessage) listing = NULL;
  g_autoptr(SoupMessage) redirect = NULL;
  g_autoptr(SoupMessage) fragment = NULL;
  g_autofree char *body = NULL;
  g_autofree char *listing_body = NULL;
  g_autofree char *fragment_body = NULL;
  const char *script;

  msg = request (fixture, "GET", "/", &body);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  g_assert_nonnull (strstr (body, "<h1>Hello</h1>"));
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg), "Cache-Control"),
                   ==, "no-store");

  /* The live-reload script goes right before </body>, whatever its case. */
  script = strstr (body, "<script>/* Tessera live reload */");
  g_assert_nonnull (script);
  g_assert_nonnull (strstr (script, "EventSource('/__tessera/events')"));
  g_assert_true (g_str_has_suffix (body, "</script></BODY></html>"));

  /* Without </body>, at the end. */
  fragment = request (fixture, "GET", "/fragment.html", &fragment_body);
  g_assert_true (g_str_has_prefix (fragment_body, "<p>no body tag</p><script>"));
  g_assert_true (g_str_has_suffix (fragment_body, "</script>"));

  /* A folder without index.html lists its files, escaped. */
  listing = request (fixture, "GET", "/sub/", &listing_body);
  g_assert_cmpuint (soup_message_get_status (listing), ==, SOUP_STATUS_OK);
  g_assert_nonnull (strstr (listing_body, "&lt;b&gt;.txt"));
  g_assert_null (strstr (listing_body, "<b>.txt"));
  g_assert_nonnull (strstr (listing_body, "href=\"%3Cb%3E.txt\""));

  redirect = request (fixture, "GET", "/sub", NULL);
  g_assert_cmpuint (soup_message_get_status (redirect), ==, SOUP_STATUS_MOVED_PERMANENTLY);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (redirect), "Location"),
                   ==, "/sub/");
}

static void
test_not_found_and_head (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(SoupMessage) missing = NULL;
  g_autoptr(SoupMessage) head = NULL;
  g_autoptr(SoupMessage) post = NULL;
  g_autoptr(SoupMessage) state = NULL;
  g_autofree char *missing_body = NULL;
  g_autofree char *head_body = NULL;

  missing = request (fixture, "GET", "/missing.html", &missing_body);
  g_assert_cmpuint (soup_message_get_status (missing), ==, SOUP_STATUS_NOT_FOUND);
  g_assert_nonnull (strstr (missing_body, "404"));

  head = request (fixture, "HEAD", "/app.js", &head_body);
  g_assert_cmpuint (soup_message_get_status (head), ==, SOUP_STATUS_OK);
  g_assert_cmpstr (head_body, ==, "");
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (head), "Content-Type"),
                   ==, "text/javascript; charset=utf-8");
  g_assert_cmpint (soup_message_headers_get_content_length (soup_message_get_response_headers (head)),
                   ==, strlen ("console.log('hi')"));

  post = request (fixture, "POST", "/app.js", NULL);
  g_assert_cmpuint (soup_message_get_status (post), ==, SOUP_STATUS_METHOD_NOT_ALLOWED);

  /* Tessera's own state is not part of the site. */
  state = request (fixture, "GET", "/.tessera/venv", NULL);
  g_assert_cmpuint (soup_message_get_status (state), ==, SOUP_STATUS_NOT_FOUND);
}

static void
assert_refused (Fixture    *fixture,
                const char *path)
{
  g_autofree char *response = raw_request (fixture, path);

  g_test_message ("%s → %.*s", path, (int)strcspn (response, "\r"), response);
  g_assert_true (g_str_has_prefix (response, "HTTP/1.1 403") ||
                 g_str_has_prefix (response, "HTTP/1.1 404") ||
                 g_str_has_prefix (response, "HTTP/1.1 400"));
  g_assert_null (strstr (response, "TOP-SECRET"));
}

static void
test_traversal (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *control = NULL;

  /* The raw client works: a file inside is served. */
  control = raw_request (fixture, "/style.css");
  g_assert_true (g_str_has_prefix (control, "HTTP/1.1 200"));
  g_assert_nonnull (strstr (control, "color: red"));

  assert_refused (fixture, "/../outside/secret.txt");
  assert_refused (fixture, "/sub/../../outside/secret.txt");
  assert_refused (fixture, "/%2e%2e/outside/secret.txt");
  assert_refused (fixture, "/%2E%2E/outside/secret.txt");
  assert_refused (fixture, "/sub/..%2f..%2foutside/secret.txt");
  assert_refused (fixture, "/%2e%2e%2foutside%2fsecret.txt");
  assert_refused (fixture, "/link.txt");
  assert_refused (fixture, "/index.html%00.txt");
}

typedef struct
{
  GInputStream *stream;
  GString      *buffer;
  SoupMessage  *msg;
} EventStream;

typedef struct
{
  char *name;
  char *data;
  int   retry;
} Event;

static void
event_clear (Event *event)
{
  g_clear_pointer (&event->name, g_free);
  g_clear_pointer (&event->data, g_free);
  event->retry = -1;
}

/* Connects as a page's EventSource would. */
static void
event_stream_open (Fixture     *fixture,
                   EventStream *events)
{
  g_autofree char *url = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  url = g_strdup_printf ("%s__tessera/events", tessera_static_server_get_url (fixture->server));
  events->buffer = g_string_new (NULL);
  events->msg = soup_message_new ("GET", url);
  soup_message_headers_replace (soup_message_get_request_headers (events->msg), "Accept", "text/event-stream");
  soup_session_send_async (fixture->session, events->msg, G_PRIORITY_DEFAULT, NULL, sandbox_test_store_result, &result);
  events->stream = soup_session_send_finish (fixture->session, sandbox_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (events->msg), ==, SOUP_STATUS_OK);
  g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_response_headers (events->msg), NULL),
                   ==, "text/event-stream");
}

static void
event_stream_close (EventStream *events)
{
  g_clear_object (&events->stream);
  g_clear_object (&events->msg);
  g_string_free (events->buffer, TRUE);
  events->buffer = NULL;
}

/* Reads the stream until the next complete event (ended by a blank line)
 * that is not a comment, and parses its fields as EventSource does (one
 * "data:" line each here). */
static void
next_event (EventStream *events,
            Event       *event)
{
  event->name = NULL;
  event->data = NULL;
  event->retry = -1;

  for (;;)
    {
      const char *end = strstr (events->buffer->str, "\n\n");

      if (end != NULL)
        {
          g_autofree char *block = g_strndup (events->buffer->str, end - events->buffer->str);
          g_auto(GStrv) lines = g_strsplit (block, "\n", -1);

          g_string_erase (events->buffer, 0, end - events->buffer->str + 2);

          for (guint i = 0; lines[i] != NULL; i++)
            {
              if (g_str_has_prefix (lines[i], "event: "))
                {
                  g_free (event->name);
                  event->name = g_strdup (lines[i] + 7);
                }
              else if (g_str_has_prefix (lines[i], "data: "))
                {
                  g_free (event->data);
                  event->data = g_strdup (lines[i] + 6);
                }
              else if (g_str_has_prefix (lines[i], "retry: "))
                event->retry = atoi (lines[i] + 7);
            }

          if (event->name != NULL)
            return;
          continue;
        }

      {
        g_autoptr(GAsyncResult) result = NULL;
        g_autoptr(GBytes) bytes = NULL;
        g_autoptr(GError) error = NULL;

        g_input_stream_read_bytes_async (events->stream, 4096, G_PRIORITY_DEFAULT, NULL,
                                         sandbox_test_store_result, &result);
        bytes = g_input_stream_read_bytes_finish (events->stream, sandbox_test_wait_result (&result), &error);
        g_assert_no_error (error);
        g_assert_cmpuint (g_bytes_get_size (bytes), >, 0);
        g_string_append_len (events->buffer, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      }
    }
}

static guint64
parse_version (const char *text)
{
  char *end = NULL;
  guint64 version;

  g_assert_nonnull (text);
  version = g_ascii_strtoull (text, &end, 10);
  g_assert_true (end != text && *end == '\0');

  return version;
}

static void
assert_event (EventStream *events,
              const char  *name,
              guint64      version)
{
  Event event = { NULL, NULL, -1 };

  next_event (events, &event);
  g_assert_cmpstr (event.name, ==, name);
  g_assert_cmpuint (parse_version (event.data), ==, version);
  event_clear (&event);
}

/* Loads a page as the preview would: its body, and the version the
 * injected script was served with. */
static char *
load_page (Fixture    *fixture,
           const char *path,
           guint64    *version)
{
  g_autoptr(SoupMessage) msg = NULL;
  char *body = NULL;
  const char *script;
  const char *argument;
  g_autofree char *digits = NULL;

  msg = request (fixture, "GET", path, &body);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);

  script = strstr (body, "<script>/* Tessera live reload */");
  g_assert_nonnull (script);
  argument = strstr (script, "})(");
  g_assert_nonnull (argument);
  argument += 3;
  g_assert_true (g_str_has_prefix (argument + strspn (argument, "0123456789"), ");</script>"));
  digits = g_strndup (argument, strspn (argument, "0123456789"));
  *version = parse_version (digits);

  return body;
}

static void
test_live_reload (Fixture       *fixture,
                  gconstpointer  data)
{
  EventStream events = { NULL };
  Event hello = { NULL, NULL, -1 };

  event_stream_open (fixture, &events);

  /* The greeting comes first, with a quick reconnection delay. */
  next_event (&events, &hello);
  g_assert_cmpstr (hello.name, ==, "hello");
  g_assert_cmpuint (parse_version (hello.data), ==, tessera_static_server_get_version (fixture->server));
  g_assert_cmpint (hello.retry, >, 0);
  g_assert_cmpint (hello.retry, <=, 500);
  event_clear (&hello);

  /* Events carry the version after the change. */
  tessera_static_server_notify_changed (fixture->server, "index.html");
  assert_event (&events, "reload", 1);

  /* Only stylesheets: swapped in place. */
  tessera_static_server_notify_changed (fixture->server, "style.css");
  assert_event (&events, "css", 2);

  /* A burst is one event; had it been several, the next read would not
   * be the "css" sent after it. Ignored paths send nothing and change no
   * version. */
  tessera_static_server_notify_changed (fixture->server, "style.css");
  tessera_static_server_notify_changed (fixture->server, "app.js");
  tessera_static_server_notify_changed (fixture->server, "index.html");
  assert_event (&events, "reload", 5);

  tessera_static_server_notify_changed (fixture->server, "node_modules/x/index.js");
  tessera_static_server_notify_changed (fixture->server, ".tessera/venv/bin/python");
  tessera_static_server_notify_changed (fixture->server, "style.css");
  assert_event (&events, "css", 6);
  g_assert_cmpuint (tessera_static_server_get_version (fixture->server), ==, 6);

  /* Stopping ends the stream instead of leaving it hanging. */
  tessera_static_server_stop (fixture->server);
  g_assert_null (tessera_static_server_get_url (fixture->server));
  {
    g_autoptr(GAsyncResult) read_result = NULL;
    g_autoptr(GBytes) rest = NULL;

    g_input_stream_read_bytes_async (events.stream, 4096, G_PRIORITY_DEFAULT, NULL,
                                     sandbox_test_store_result, &read_result);
    rest = g_input_stream_read_bytes_finish (events.stream, sandbox_test_wait_result (&read_result), NULL);
    g_assert_true (rest == NULL || g_bytes_get_size (rest) == 0);
  }

  event_stream_close (&events);

  /* Versions never go back: a page served before a restart still sees
   * the changes made while the server was down. */
  tessera_static_server_notify_changed (fixture->server, "index.html");
  g_assert_cmpuint (tessera_static_server_get_version (fixture->server), ==, 7);
}

/* The race of issue 3: a change written after a (reloaded) page was
 * served but before it connected to its event stream. Its event went to
 * the streams open then, not to that page; the hello must tell it. */
static void
test_change_while_connecting (Fixture       *fixture,
                              gconstpointer  data)
{
  EventStream other = { NULL };
  EventStream events = { NULL };
  Event hello = { NULL, NULL, -1 };
  g_autofree char *body = NULL;
  g_autofree char *fresh_body = NULL;
  guint64 served = 0;
  guint64 fresh = 0;

  /* Another page, connected all along: its events show when the server
   * has sent the change out. */
  event_stream_open (fixture, &other);
  assert_event (&other, "hello", 0);

  body = load_page (fixture, "/", &served);
  g_assert_nonnull (strstr (body, "<h1>Hello</h1>"));
  g_assert_cmpuint (served, ==, 0);

  /* Page served, events not connected yet: the file changes, and the
   * change's event goes out before the page connects. */
  sandbox_test_write_file (g_file_peek_path (fixture->root), "index.html",
              "<!DOCTYPE html><html><body><h1>Changed</h1></body></html>");
  tessera_static_server_notify_changed (fixture->server, "index.html");
  assert_event (&other, "reload", 1);

  event_stream_open (fixture, &events);
  next_event (&events, &hello);
  g_assert_cmpstr (hello.name, ==, "hello");
  g_assert_cmpuint (parse_version (hello.data), >, served);
  event_clear (&hello);
  event_stream_close (&events);

  /* The reloaded page has the change and is not told to reload again. */
  fresh_body = load_page (fixture, "/", &fresh);
  g_assert_nonnull (strstr (fresh_body, "<h1>Changed</h1>"));
  g_assert_cmpuint (fresh, ==, 1);
  event_stream_open (fixture, &events);
  assert_event (&events, "hello", fresh);

  event_stream_close (&events);
  event_stream_close (&other);
}

/* A burst of changes while a page reloads: the changes made before the
 * new page was read are in it; all those after come as one newer version
 * in the hello, however many events went out meanwhile. */
static void
test_burst_during_reload (Fixture       *fixture,
                          gconstpointer  data)
{
  EventStream other = { NULL };
  EventStream events = { NULL };
  g_autofree char *body = NULL;
  guint64 served = 0;

  event_stream_open (fixture, &other);
  assert_event (&other, "hello", 0);

  /* The old page asked for a reload and went away; a burst starts. */
  sandbox_test_write_file (g_file_peek_path (fixture->root), "index.html",
              "<!DOCTYPE html><html><body><h1>One</h1></body></html>");
  tessera_static_server_notify_changed (fixture->server, "index.html");
  tessera_static_server_notify_changed (fixture->server, "style.css");

  /* The new page is read mid-burst, with the changes so far. */
  body = load_page (fixture, "/", &served);
  g_assert_nonnull (strstr (body, "<h1>One</h1>"));
  g_assert_cmpuint (served, ==, 2);
  assert_event (&other, "reload", 2);

  /* The rest of the burst, in two events, before the page connects. */
  sandbox_test_write_file (g_file_peek_path (fixture->root), "app.js", "console.log('two')");
  tessera_static_server_notify_changed (fixture->server, "app.js");
  assert_event (&other, "reload", 3);
  tessera_static_server_notify_changed (fixture->server, "style.css");
  tessera_static_server_notify_changed (fixture->server, "index.html");
  assert_event (&other, "reload", 5);

  /* One reload more covers all of them. */
  event_stream_open (fixture, &events);
  assert_event (&events, "hello", 5);
  g_assert_cmpuint (5, >, served);

  /* Then only later changes come. */
  tessera_static_server_notify_changed (fixture->server, "style.css");
  assert_event (&events, "css", 6);
  assert_event (&other, "css", 6);

  event_stream_close (&events);
  event_stream_close (&other);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/sandbox/static-server/mime-types", test_mime_types);
  ADD ("/sandbox/static-server/index-and-headers", test_index_and_headers);
  ADD ("/sandbox/static-server/not-found-and-head", test_not_found_and_head);
  ADD ("/sandbox/static-server/traversal", test_traversal);
  ADD ("/sandbox/static-server/live-reload", test_live_reload);
  ADD ("/sandbox/static-server/change-while-connecting", test_change_while_connecting);
  ADD ("/sandbox/static-server/burst-during-reload", test_burst_during_reload);

#undef ADD

  return g_test_run ();
}
