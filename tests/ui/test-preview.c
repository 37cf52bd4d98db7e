/* test-preview.c: the preview pane, its console and the run panel, against
 * real WebKit and pages served over loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */



#include "config.h"

#include <adwaita.h>
#include <libsoup/soup.h>
#include <signal.h>
#ifdef HAVE_XTEST
#include <gdk/x11/gdkx.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>
#endif

#include "tessera-console-panel.h"
#include "tessera-local-sandbox.h"
#include "tessera-preview-pane.h"
#include "tessera-run-panel.h"

/* Only a safety net against a hang: every wait ends on an event. */
#define FAILSAFE_SECONDS 60

typedef struct
{
  SoupServer *server;
  char *base;
  guint n_requests;
} Site;

typedef struct
{
  Site app;
  Site other;
  GtkWindow *window;
  TesseraPreviewPane *pane;
  WebKitWebView *view;
  gboolean load_finished;
  GPtrArray *decisions;
  GPtrArray *started;
  gulong decide_hook;
} Fixture;

static Fixture *current;

static gboolean
on_failsafe (gpointer data)
{
  g_error ("Timed out waiting for %s", (const char *)data);
  return G_SOURCE_REMOVE;
}

#define WAIT_FOR(condition, what)                                              \
  G_STMT_START {                                                               \
    guint failsafe_ = g_timeout_add_seconds (FAILSAFE_SECONDS, on_failsafe,   \
                                             (gpointer)(what));                \
    while (!(condition))                                                       \
      g_main_context_iteration (NULL, TRUE);                                   \
    g_source_remove (failsafe_);                                               \
  } G_STMT_END

static const char index_html[] =
  "<!doctype html><html><head><title>App</title></head><body>"
  "<h1 id='title'>Hello from the app</h1>"
  "<a id='out' href='%s/'>elsewhere</a>"
  "<div style='height:4000px'></div>"
  "</body></html>";

static const char error_html[] =
  "<!doctype html><html><body>\n"
  "<p>errors</p>\n"
  "<script>\n"
  "console.warn('careful', {a: 1});\n"
  "console.error('boom', 42);\n"
  "</script>\n"
  "<script>throw new TypeError('kaboom');</script>\n"
  "<script>Promise.reject(new Error('nope'));</script>\n"
  "<img src='/missing.png'>\n"
  "</body></html>\n";

static void
on_request (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Site *site = user_data;
  g_autofree char *body = NULL;

  site->n_requests++;

  if (g_str_equal (path, "/") || g_str_equal (path, "/index.html"))
    body = g_strdup_printf (index_html, current->other.base);
  else if (g_str_equal (path, "/error"))
    body = g_strdup (error_html);
  else if (g_str_equal (path, "/other"))
    body = g_strdup ("<!doctype html><p id='title'>Other page</p>");
  else if (g_str_equal (path, "/data.bin"))
    {
      soup_message_headers_append (soup_server_message_get_response_headers (msg),
                                   "Content-Disposition", "attachment; filename=data.bin");
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_STATIC,
                                        "\x00\x01\x02", 3);
      return;
    }
  else
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                    body, strlen (body));
}

static void
site_start_listening (Site *site)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;
  g_autofree char *uri = NULL;

  soup_server_listen_local (site->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (site->server);
  uri = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  /* Without the trailing slash: "http://127.0.0.1:PORT". */
  site->base = g_strndup (uri, strlen (uri) - (g_str_has_suffix (uri, "/") ? 1 : 0));
}

static void
site_start (Site *site)
{
  site->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (site->server, NULL, on_request, site, NULL);
  site_start_listening (site);
}

static gboolean
decide_policy_hook (GSignalInvocationHint *hint,
                    guint                  n_params,
                    const GValue          *params,
                    gpointer               user_data)
{
  Fixture *fixture = user_data;
  WebKitPolicyDecision *decision = g_value_get_object (&params[1]);
  WebKitPolicyDecisionType type = g_value_get_enum (&params[2]);

  if (type != WEBKIT_POLICY_DECISION_TYPE_RESPONSE)
    {
      WebKitNavigationAction *action =
        webkit_navigation_policy_decision_get_navigation_action (WEBKIT_NAVIGATION_POLICY_DECISION (decision));

      g_ptr_array_add (fixture->decisions,
                       g_strdup (webkit_uri_request_get_uri (webkit_navigation_action_get_request (action))));
    }

  return TRUE;
}

static void
on_load_changed (WebKitWebView   *view,
                 WebKitLoadEvent  event,
                 Fixture         *fixture)
{
  if (event == WEBKIT_LOAD_STARTED || event == WEBKIT_LOAD_COMMITTED)
    g_ptr_array_add (fixture->started, g_strdup (webkit_web_view_get_uri (view)));
  if (event == WEBKIT_LOAD_FINISHED)
    fixture->load_finished = TRUE;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  current = fixture;
  site_start (&fixture->app);
  site_start (&fixture->other);

  fixture->decisions = g_ptr_array_new_with_free_func (g_free);
  fixture->started = g_ptr_array_new_with_free_func (g_free);

  fixture->pane = g_object_ref_sink (tessera_preview_pane_new (NULL));
  fixture->view = tessera_preview_pane_get_web_view (fixture->pane);
  g_signal_connect (fixture->view, "load-changed", G_CALLBACK (on_load_changed), fixture);
  fixture->decide_hook = g_signal_add_emission_hook (g_signal_lookup ("decide-policy", WEBKIT_TYPE_WEB_VIEW),
                                                     0, decide_policy_hook, fixture, NULL);

  fixture->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (fixture->window, 1100, 760);
  gtk_window_set_child (fixture->window, GTK_WIDGET (fixture->pane));
  gtk_window_present (fixture->window);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_signal_remove_emission_hook (g_signal_lookup ("decide-policy", WEBKIT_TYPE_WEB_VIEW),
                                 fixture->decide_hook);
  g_signal_handlers_disconnect_by_data (fixture->view, fixture);

  gtk_window_destroy (fixture->window);
  g_assert_finalize_object (fixture->pane);

  g_ptr_array_unref (fixture->decisions);
  g_ptr_array_unref (fixture->started);
  for (Site *site = &fixture->app; site <= &fixture->other; site++)
    {
      soup_server_disconnect (site->server);
      g_clear_object (&site->server);
      g_free (site->base);
    }
  current = NULL;
}

static void
load_and_wait (Fixture    *fixture,
               const char *path)
{
  g_autofree char *url = g_strconcat (fixture->app.base, path, NULL);

  fixture->load_finished = FALSE;
  if (tessera_preview_pane_get_url (fixture->pane) == NULL)
    tessera_preview_pane_set_url (fixture->pane, url);
  else
    webkit_web_view_load_uri (fixture->view, url);
  WAIT_FOR (fixture->load_finished, "the page to load");
}

typedef struct
{
  gboolean done;
  char *result;
} Eval;

static void
on_evaluated (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Eval *eval = user_data;
  g_autoptr(JSCValue) value = NULL;
  g_autoptr(GError) error = NULL;

  value = webkit_web_view_evaluate_javascript_finish (WEBKIT_WEB_VIEW (object), result, &error);
  g_assert_no_error (error);
  eval->result = jsc_value_to_string (value);
  eval->done = TRUE;
}

/* Runs @script in @world (NULL: the page's own) and returns its value as a
 * string. */
static char *
evaluate (Fixture    *fixture,
          const char *script,
          const char *world)
{
  Eval eval = { 0 };

  webkit_web_view_evaluate_javascript (fixture->view, script, -1, world, NULL, NULL,
                                       on_evaluated, &eval);
  WAIT_FOR (eval.done, "a script to run");

  return eval.result;
}

static const char *
visible_state (Fixture *fixture)
{
  GtkWidget *stack = gtk_widget_get_parent (gtk_widget_get_parent (gtk_widget_get_parent (GTK_WIDGET (fixture->view))));

  /* view → frame box → viewport → scrolled window → stack */
  while (stack != NULL && !GTK_IS_STACK (stack))
    stack = gtk_widget_get_parent (stack);
  g_assert_nonnull (stack);

  return gtk_stack_get_visible_child_name (GTK_STACK (stack));
}

static GtkWidget *
find_label_containing (GtkWidget  *widget,
                       const char *needle)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_LABEL (child) && strstr (gtk_label_get_label (GTK_LABEL (child)), needle) != NULL)
        return child;
      if ((found = find_label_containing (child, needle)))
        return found;
    }

  return NULL;
}

static void
test_page_renders (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *title = NULL;
  GtkWidget *entry;

  g_assert_cmpstr (visible_state (fixture), ==, "waiting");

  load_and_wait (fixture, "/");
  title = evaluate (fixture, "document.getElementById('title').textContent", NULL);
  g_assert_cmpstr (title, ==, "Hello from the app");
  g_assert_cmpstr (visible_state (fixture), ==, "ready");

  /* The address shows the path within the app, not the origin. */
  entry = gtk_widget_get_first_child (gtk_widget_get_first_child (gtk_widget_get_first_child (GTK_WIDGET (fixture->pane))));
  while (entry != NULL && !GTK_IS_ENTRY (entry))
    entry = gtk_widget_get_next_sibling (entry);
  g_assert_nonnull (entry);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "/");

  /* Typing a path navigates within the app. */
  fixture->load_finished = FALSE;
  gtk_editable_set_text (GTK_EDITABLE (entry), "other");
  g_signal_emit_by_name (entry, "activate");
  WAIT_FOR (fixture->load_finished, "the typed path to load");
  g_clear_pointer (&title, g_free);
  title = evaluate (fixture, "document.getElementById('title').textContent", NULL);
  g_assert_cmpstr (title, ==, "Other page");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "/other");

  /* The address field never leaves the app. */
  g_ptr_array_set_size (fixture->started, 0);
  gtk_editable_set_text (GTK_EDITABLE (entry), "http://example.com/");
  g_signal_emit_by_name (entry, "activate");
  g_assert_true (gtk_widget_has_css_class (entry, "error"));
  g_assert_cmpuint (fixture->started->len, ==, 0);
}

typedef struct
{
  guint n_started;
  guint n_cancelled;
  guint n_finished;
} Downloads;

static void
on_download_failed (WebKitDownload *download,
                    GError         *error,
                    Downloads      *downloads)
{
  if (g_error_matches (error, WEBKIT_DOWNLOAD_ERROR, WEBKIT_DOWNLOAD_ERROR_CANCELLED_BY_USER))
    downloads->n_cancelled++;
}

static void
on_download_finished (WebKitDownload *download,
                      Downloads      *downloads)
{
  downloads->n_finished++;
}

static void
count_download (WebKitNetworkSession *session,
                WebKitDownload       *download,
                Downloads            *downloads)
{
  downloads->n_started++;
  g_signal_connect (download, "failed", G_CALLBACK (on_download_failed), downloads);
  g_signal_connect (download, "finished", G_CALLBACK (on_download_finished), downloads);
}

static void
on_load_failed_record (WebKitWebView   *view,
                       WebKitLoadEvent  event,
                       const char      *uri,
                       GError          *error,
                       GError         **recorded)
{
  g_clear_error (recorded);
  *recorded = g_error_copy (error);
}

static void
test_no_downloads (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) failure = NULL;
  g_autofree char *title = NULL;
  Downloads downloads = { 0 };

  load_and_wait (fixture, "/other");
  g_signal_connect (webkit_web_view_get_network_session (fixture->view), "download-started",
                    G_CALLBACK (count_download), &downloads);
  g_signal_connect (fixture->view, "load-failed", G_CALLBACK (on_load_failed_record), &failure);

  /* What the view cannot show is dropped, not saved. */
  g_free (evaluate (fixture, "window.location.href = '/data.bin'; 'ok'", NULL));
  WAIT_FOR (failure != NULL, "the refused response");
  g_assert_error (failure, WEBKIT_POLICY_ERROR, WEBKIT_POLICY_ERROR_FRAME_LOAD_INTERRUPTED_BY_POLICY_CHANGE);
  g_assert_cmpuint (downloads.n_started, ==, 0);

  title = evaluate (fixture, "document.getElementById('title').textContent", NULL);
  g_assert_cmpstr (title, ==, "Other page");
  g_assert_cmpstr (visible_state (fixture), ==, "ready");

  /* A link with "download" asks for one outright: it is cancelled. */
  g_free (evaluate (fixture,
                    "const a = document.createElement('a'); a.href = '/data.bin';"
                    "a.download = 'data.bin'; document.body.append(a); a.click(); 'ok'", NULL));
  /* ("finished" comes after "failed" too.) */
  WAIT_FOR (downloads.n_finished > 0, "the download to end");
  g_assert_cmpuint (downloads.n_started, ==, 1);
  g_assert_cmpuint (downloads.n_cancelled, ==, 1);

  g_signal_handlers_disconnect_by_data (webkit_web_view_get_network_session (fixture->view), &downloads);
  g_signal_handlers_disconnect_by_data (fixture->view, &failure);
}

static void
test_load_failure (Fixture       *fixture,
                   gconstpointer  data)
{
  TesseraConsolePanel *panel = TESSERA_CONSOLE_PANEL (tessera_preview_pane_get_console_panel (fixture->pane));
  g_autofree char *url = NULL;

  /* A server that is gone: nothing listens on its port any more. */
  url = g_strconcat (fixture->other.base, "/", NULL);
  soup_server_disconnect (fixture->other.server);

  tessera_preview_pane_set_url (fixture->pane, url);
  WAIT_FOR (g_strcmp0 (visible_state (fixture), "error") == 0, "the error state");
  g_assert_nonnull (find_label_containing (GTK_WIDGET (fixture->pane), "The Preview Could Not Load"));
  g_assert_cmpuint (tessera_console_panel_get_n_errors (panel), ==, 1);
}

static gboolean
saw_decision_for (Fixture    *fixture,
                  const char *prefix)
{
  for (guint i = 0; i < fixture->decisions->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (fixture->decisions, i), prefix))
      return TRUE;
  return FALSE;
}

static gboolean
on_open_external (TesseraPreviewPane *pane,
                  const char         *uri,
                  GPtrArray          *opened)
{
  g_ptr_array_add (opened, g_strdup (uri));
  return TRUE;
}

static void
test_other_origin_refused (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *script = NULL;
  g_autofree char *location = NULL;
  g_autofree char *after = NULL;
  g_autofree char *other_index = g_strconcat (fixture->other.base, "/", NULL);
  g_autoptr(GPtrArray) opened = g_ptr_array_new_with_free_func (g_free);

  g_signal_connect (fixture->pane, "open-external", G_CALLBACK (on_open_external), opened);
  load_and_wait (fixture, "/");
  g_ptr_array_set_size (fixture->started, 0);

  /* A script navigation and a (scripted, so not user) link click. */
  script = g_strdup_printf ("window.location.href = '%s/'; 'ok'", fixture->other.base);
  g_free (evaluate (fixture, script, NULL));
  WAIT_FOR (saw_decision_for (fixture, fixture->other.base), "the navigation to be decided");

  g_ptr_array_set_size (fixture->decisions, 0);
  g_free (evaluate (fixture, "document.getElementById('out').click(); 'ok'", NULL));
  WAIT_FOR (saw_decision_for (fixture, fixture->other.base), "the click to be decided");

  /* Had either been allowed, its load would have started before this
   * later same-origin navigation finishes. */
  after = g_strconcat (fixture->app.base, "/other", NULL);
  fixture->load_finished = FALSE;
  webkit_web_view_load_uri (fixture->view, after);
  WAIT_FOR (fixture->load_finished, "the same-origin page");

  for (guint i = 0; i < fixture->started->len; i++)
    g_assert_false (g_str_has_prefix (g_ptr_array_index (fixture->started, i), fixture->other.base));
  g_assert_cmpuint (fixture->other.n_requests, ==, 0);

  location = evaluate (fixture, "window.location.href", NULL);
  g_assert_cmpstr (location, ==, after);

  /* Only the click (scripts run by the test count as user gestures) goes
   * to the browser; the scripted navigation does not. */
  g_assert_cmpuint (opened->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (opened, 0), ==, other_index);
}

static void
test_no_popups (Fixture       *fixture,
                gconstpointer  data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint n_windows = g_list_model_get_n_items (toplevels);
  g_autofree char *opened = NULL;
  g_autofree char *location = NULL;

  load_and_wait (fixture, "/");

  opened = evaluate (fixture, "String(window.open('/other', '_blank'))", NULL);
  g_assert_cmpstr (opened, ==, "null");

  /* A round trip later nothing has appeared either. (Scripts the test runs
   * count as user gestures, so WebKit did ask for a view: the pane gave
   * none.) */
  location = evaluate (fixture, "window.location.pathname", NULL);
  g_assert_cmpstr (location, ==, "/");
  g_assert_cmpuint (g_list_model_get_n_items (toplevels), ==, n_windows);
}

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type,
                 const char *label)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type) &&
          (label == NULL ||
           (GTK_IS_LABEL (child) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (child)), label) == 0) ||
           (GTK_IS_BUTTON (child) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), label) == 0)))
        return child;

      if ((found = find_descendant (child, type, label)))
        return found;
    }

  return NULL;
}

typedef struct
{
  char *message;
  char *source;
  guint line;
  guint n_calls;
} FixRequest;

static void
on_fix_with_ai (TesseraPreviewPane *pane,
                const char         *message,
                const char         *source,
                guint               line,
                FixRequest         *request)
{
  g_free (request->message);
  g_free (request->source);
  request->message = g_strdup (message);
  request->source = g_strdup (source);
  request->line = line;
  request->n_calls++;
}

static void
test_console_captures_errors (Fixture       *fixture,
                              gconstpointer  data)
{
  TesseraConsolePanel *panel = TESSERA_CONSOLE_PANEL (tessera_preview_pane_get_console_panel (fixture->pane));
  FixRequest request = { 0 };
  GtkWidget *row_label;
  GtkWidget *row;
  GtkWidget *fix;
  GtkWidget *badge;

  g_signal_connect (fixture->pane, "fix-with-ai", G_CALLBACK (on_fix_with_ai), &request);

  load_and_wait (fixture, "/error");
  /* The warning, the error, the uncaught exception, the unhandled
   * rejection and the missing image. */
  WAIT_FOR (tessera_console_panel_get_n_messages (panel) >= 5, "the console messages");
  g_assert_cmpuint (tessera_console_panel_get_n_messages (panel), ==, 5);
  g_assert_cmpuint (tessera_console_panel_get_n_errors (panel), ==, 4);

  g_assert_nonnull (find_descendant (GTK_WIDGET (panel), GTK_TYPE_LABEL, "careful {\"a\":1}"));
  g_assert_nonnull (find_descendant (GTK_WIDGET (panel), GTK_TYPE_LABEL, "/error:5"));
  g_assert_nonnull (find_descendant (GTK_WIDGET (panel), GTK_TYPE_LABEL, "TypeError: kaboom"));
  g_assert_nonnull (find_descendant (GTK_WIDGET (panel), GTK_TYPE_LABEL, "/error:7"));
  g_assert_nonnull (find_descendant (GTK_WIDGET (panel), GTK_TYPE_LABEL,
                                     "Unhandled promise rejection: Error: nope"));

  /* The badge on the toolbar's console button counts them. */
  badge = find_descendant (GTK_WIDGET (fixture->pane), GTK_TYPE_LABEL, "5");
  g_assert_nonnull (badge);
  g_assert_true (gtk_widget_get_visible (badge));

  row_label = find_descendant (GTK_WIDGET (panel), GTK_TYPE_LABEL, "boom 42");
  g_assert_nonnull (row_label);
  row = gtk_widget_get_ancestor (row_label, GTK_TYPE_LIST_BOX_ROW);
  g_assert_true (gtk_widget_has_css_class (row, "error"));
  fix = find_descendant (row, GTK_TYPE_BUTTON, "Fix with AI");
  g_assert_nonnull (fix);
  g_signal_emit_by_name (fix, "clicked");

  g_assert_cmpuint (request.n_calls, ==, 1);
  g_assert_cmpstr (request.message, ==, "boom 42");
  g_assert_cmpstr (request.source, ==, "/error");
  g_assert_cmpuint (request.line, ==, 5);

  /* The failed image load is an error entry too. */
  g_assert_nonnull (find_descendant (GTK_WIDGET (panel), GTK_TYPE_LABEL, "/missing.png"));

  /* A reload repeats them: counts, not new rows. */
  fixture->load_finished = FALSE;
  webkit_web_view_reload (fixture->view);
  WAIT_FOR (fixture->load_finished && tessera_console_panel_get_n_messages (panel) >= 10,
            "the repeated messages");
  g_assert_cmpuint (tessera_console_panel_get_n_entries (panel), ==, 5);
  g_assert_nonnull (find_descendant (row, GTK_TYPE_LABEL, "2"));

  gtk_widget_activate_action (GTK_WIDGET (panel), "console.clear", NULL);
  g_assert_cmpuint (tessera_console_panel_get_n_messages (panel), ==, 0);
  g_assert_false (gtk_widget_get_visible (badge));

  g_free (request.message);
  g_free (request.source);
}

static void
test_console_handler_confined (Fixture       *fixture,
                               gconstpointer  data)
{
  TesseraConsolePanel *panel = TESSERA_CONSOLE_PANEL (tessera_preview_pane_get_console_panel (fixture->pane));
  g_autofree char *in_page = NULL;
  g_autofree char *in_world = NULL;
  g_autofree char *forged = NULL;

  load_and_wait (fixture, "/");

  /* The page cannot reach Tessera's handler… */
  in_page = evaluate (fixture,
                      "typeof (window.webkit && window.webkit.messageHandlers &&"
                      " window.webkit.messageHandlers.tesseraConsole)", NULL);
  g_assert_cmpstr (in_page, ==, "undefined");
  /* …which exists, in Tessera's own world. */
  in_world = evaluate (fixture, "typeof window.webkit.messageHandlers.tesseraConsole", "tessera");
  g_assert_cmpstr (in_world, ==, "object");

  /* Forged relay events are checked: a bad level, a non-string message, a
   * non-JSON string and a non-string detail are all dropped; a well-formed
   * one is accepted (it is the page's own business). */
  forged = evaluate (fixture,
                     "const send = (d) => document.dispatchEvent(new CustomEvent('tessera-console-v1', {detail: d}));"
                     "send('{\"level\":\"fatal\",\"message\":\"bad level\"}');"
                     "send('{\"level\":\"error\",\"message\":{\"x\":1}}');"
                     "send('not json');"
                     "send({level: 'error', message: 'an object'});"
                     "send('x'.repeat(100000));"
                     "send('{\"level\":\"error\",\"message\":\"forged\",\"line\":1e300}');"
                     "console.warn('sentinel'); 'ok'", NULL);
  g_assert_cmpstr (forged, ==, "ok");

  WAIT_FOR (find_descendant (GTK_WIDGET (panel), GTK_TYPE_LABEL, "sentinel") != NULL,
            "the sentinel message");
  g_assert_cmpuint (tessera_console_panel_get_n_messages (panel), ==, 2);
  g_assert_nonnull (find_descendant (GTK_WIDGET (panel), GTK_TYPE_LABEL, "forged"));
}

static GtkWidget *
find_menu_button_in (GtkWidget  *widget,
                     const char *icon_name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_MENU_BUTTON (child) &&
          g_strcmp0 (gtk_menu_button_get_icon_name (GTK_MENU_BUTTON (child)), icon_name) == 0)
        return child;
      if ((found = find_menu_button_in (child, icon_name)))
        return found;
    }

  return NULL;
}

static GtkWidget *
find_menu_button (Fixture    *fixture,
                  const char *icon_name)
{
  return find_menu_button_in (GTK_WIDGET (fixture->pane), icon_name);
}

static void
test_device_sizes (Fixture       *fixture,
                   gconstpointer  data)
{
  GtkWidget *view = GTK_WIDGET (fixture->view);

  load_and_wait (fixture, "/");

  gtk_widget_activate_action (GTK_WIDGET (fixture->pane), "preview.device", "s", "phone");
  g_assert_cmpstr (tessera_preview_pane_get_device (fixture->pane), ==, "phone");
  WAIT_FOR (gtk_widget_get_width (view) == 390 && gtk_widget_get_height (view) == 844,
            "the phone size");

  /* The toolbar's device button shows the device. */
  g_assert_nonnull (find_menu_button (fixture, "phone-symbolic"));

  gtk_widget_activate_action (GTK_WIDGET (fixture->pane), "preview.device", "s", "full");
  g_assert_nonnull (find_menu_button (fixture, "view-fullscreen-symbolic"));
  g_assert_null (find_menu_button (fixture, "phone-symbolic"));
  WAIT_FOR (gtk_widget_get_width (view) > 390 && gtk_widget_get_width (view) > gtk_widget_get_height (view),
            "the full size");
}

static void
test_web_process_crash (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *title = NULL;

  load_and_wait (fixture, "/other");

  webkit_web_view_terminate_web_process (fixture->view);
  WAIT_FOR (g_strcmp0 (visible_state (fixture), "error") == 0, "the error state");

  fixture->load_finished = FALSE;
  gtk_widget_activate_action (GTK_WIDGET (fixture->pane), "preview.reload", NULL);
  WAIT_FOR (fixture->load_finished, "the reload");
  g_assert_cmpstr (visible_state (fixture), ==, "ready");
  title = evaluate (fixture, "document.getElementById('title').textContent", NULL);
  g_assert_cmpstr (title, ==, "Other page");
}

#ifdef HAVE_XTEST
/* Real input, as the person's own: XTest moves the X server's pointer and
 * clicks, so that the page sees trusted events. @x, @y are in @widget. */
static void
move_to (GtkWidget *widget,
         double     x,
         double     y)
{
  GtkNative *native = gtk_widget_get_native (widget);
  Display *xdisplay = gdk_x11_display_get_xdisplay (gtk_widget_get_display (widget));
  graphene_point_t point;
  double surface_x, surface_y;
  int root_x, root_y;
  Window child;

  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (native), &GRAPHENE_POINT_INIT (x, y), &point));
  gtk_native_get_surface_transform (native, &surface_x, &surface_y);
  XTranslateCoordinates (xdisplay, gdk_x11_surface_get_xid (gtk_native_get_surface (native)),
                         DefaultRootWindow (xdisplay),
                         (int) (point.x + surface_x), (int) (point.y + surface_y),
                         &root_x, &root_y, &child);
  XTestFakeMotionEvent (xdisplay, -1, root_x, root_y, CurrentTime);
  XFlush (xdisplay);
}

static void
click_at (GtkWidget *widget,
          double     x,
          double     y)
{
  Display *xdisplay = gdk_x11_display_get_xdisplay (gtk_widget_get_display (widget));

  move_to (widget, x, y);
  XTestFakeButtonEvent (xdisplay, 1, True, CurrentTime);
  XTestFakeButtonEvent (xdisplay, 1, False, CurrentTime);
  XFlush (xdisplay);
}

static void
press_key (GtkWidget *widget,
           KeySym     keysym)
{
  Display *xdisplay = gdk_x11_display_get_xdisplay (gtk_widget_get_display (widget));
  KeyCode keycode = XKeysymToKeycode (xdisplay, keysym);

  XTestFakeKeyEvent (xdisplay, keycode, True, CurrentTime);
  XTestFakeKeyEvent (xdisplay, keycode, False, CurrentTime);
  XFlush (xdisplay);
}

typedef struct
{
  guint n_picks;
  char *selector;
  char *html;
} Pick;

static void
on_element_picked (TesseraPreviewPane *pane,
                   const char         *selector,
                   const char         *html,
                   Pick               *pick)
{
  pick->n_picks++;
  g_free (pick->selector);
  g_free (pick->html);
  pick->selector = g_strdup (selector);
  pick->html = g_strdup (html);
}

static void
on_snapshot (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GdkTexture **texture = user_data;
  g_autoptr(GError) error = NULL;

  *texture = webkit_web_view_get_snapshot_finish (WEBKIT_WEB_VIEW (object), result, &error);
  g_assert_no_error (error);
}

/* What the page shows, for a person to look at (G_TEST_BUILDDIR). */
static void
save_page_png (Fixture    *fixture,
               const char *name)
{
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, name, NULL);

  webkit_web_view_get_snapshot (fixture->view, WEBKIT_SNAPSHOT_REGION_VISIBLE,
                                WEBKIT_SNAPSHOT_OPTIONS_NONE, NULL, on_snapshot, &texture);
  WAIT_FOR (texture != NULL, "a snapshot of the page");
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

/* The width of the picker's outline (it is in the page's document). */
static double
outline_width (Fixture *fixture)
{
  g_autofree char *width =
    evaluate (fixture,
              "(() => { const box = Array.from(document.documentElement.children)"
              ".find((e) => e.style && e.style.zIndex === '2147483647');"
              " return box ? box.getBoundingClientRect().width : 0; })()", NULL);

  return g_ascii_strtod (width, NULL);
}

/* How many clicks reached the page's own listener. */
static int
page_clicks (Fixture *fixture)
{
  g_autofree char *clicks = evaluate (fixture, "window.clicks", NULL);

  return atoi (clicks);
}

static void
test_pick_element (Fixture       *fixture,
                   gconstpointer  data)
{
  Pick pick = { 0 };
  g_autofree char *rect = NULL;
  g_auto(GStrv) numbers = NULL;
  double x, y;

  load_and_wait (fixture, "/");
  g_signal_connect (fixture->pane, "element-picked", G_CALLBACK (on_element_picked), &pick);
  g_free (evaluate (fixture, "window.clicks = 0; document.addEventListener('click', () => window.clicks++); 0", NULL));
  rect = evaluate (fixture,
                   "(() => { const r = document.getElementById('title').getBoundingClientRect();"
                   " return (r.left + r.width / 4) + ' ' + (r.top + r.height / 2); })()", NULL);
  numbers = g_strsplit (rect, " ", 2);
  x = g_ascii_strtod (numbers[0], NULL);
  y = g_ascii_strtod (numbers[1], NULL);

  tessera_preview_pane_set_picking (fixture->pane, TRUE);
  g_assert_true (tessera_preview_pane_get_picking (fixture->pane));

  /* The page cannot pick for the person: a click it makes up is ignored. */
  g_free (evaluate (fixture, "document.getElementById('title').click(); 0", NULL));
  g_assert_true (tessera_preview_pane_get_picking (fixture->pane));
  g_assert_cmpuint (pick.n_picks, ==, 0);

  /* The element under the pointer is outlined. */
  move_to (GTK_WIDGET (fixture->view), x, y);
  WAIT_FOR (outline_width (fixture) > 10, "the outline to follow the pointer");
  save_page_png (fixture, "preview-picking.png");

  /* A real click picks, and does not reach the page. */
  click_at (GTK_WIDGET (fixture->view), x, y);
  WAIT_FOR (pick.n_picks == 1, "the element to be picked");
  g_assert_cmpstr (pick.selector, ==, "h1#title");
  g_assert_cmpstr (pick.html, ==, "<h1 id=\"title\">Hello from the app</h1>");
  g_assert_false (tessera_preview_pane_get_picking (fixture->pane));
  g_assert_cmpint (page_clicks (fixture), ==, 0);

  /* Once picked, clicks reach the page again. */
  click_at (GTK_WIDGET (fixture->view), x, y);
  WAIT_FOR (page_clicks (fixture) == 1, "the page's own click");

  /* Escape stops picking without a pick. */
  tessera_preview_pane_set_picking (fixture->pane, TRUE);
  g_assert_true (tessera_preview_pane_get_picking (fixture->pane));
  press_key (GTK_WIDGET (fixture->view), XK_Escape);
  WAIT_FOR (!tessera_preview_pane_get_picking (fixture->pane), "Escape to stop picking");
  g_assert_cmpuint (pick.n_picks, ==, 1);

  /* From the keyboard: the arrows go through the page's elements, Enter
   * picks. The first starts at the tall block in the middle of the view
   * (it has no children to go down to), Left goes to the link before it. */
  move_to (GTK_WIDGET (fixture->view), x, 600);
  tessera_preview_pane_set_picking (fixture->pane, TRUE);
  press_key (GTK_WIDGET (fixture->view), XK_Down);
  press_key (GTK_WIDGET (fixture->view), XK_Left);
  press_key (GTK_WIDGET (fixture->view), XK_Return);
  WAIT_FOR (pick.n_picks == 2, "the element to be picked from the keyboard");
  g_assert_cmpstr (pick.selector, ==, "a#out");
  g_assert_true (g_str_has_prefix (pick.html, "<a id=\"out\" href="));
  g_assert_false (tessera_preview_pane_get_picking (fixture->pane));

  /* A new page ends it as well. */
  tessera_preview_pane_set_picking (fixture->pane, TRUE);
  load_and_wait (fixture, "/other");
  g_assert_false (tessera_preview_pane_get_picking (fixture->pane));

  g_signal_handlers_disconnect_by_data (fixture->pane, &pick);
  g_free (pick.selector);
  g_free (pick.html);
}
#endif

static pid_t
parent_of (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  const char *after_name;

  /* "pid (comm) state ppid ...", where comm may hold spaces and parens. */
  if (!g_file_get_contents (path, &stat, NULL, NULL) ||
      (after_name = strrchr (stat, ')')) == NULL)
    return 0;

  return (pid_t) g_ascii_strtoll (after_name + 4, NULL, 10);
}

/* Kills this test's renderers as a crash would: WebKit sees them die, not
 * asked to stop. */
static guint
crash_web_processes (void)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint n_killed = 0;

  g_assert_nonnull (proc);
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      pid_t pid = (pid_t) g_ascii_strtoll (name, NULL, 10);
      g_autofree char *comm_path = NULL;
      g_autofree char *comm = NULL;

      if (pid <= 0)
        continue;
      comm_path = g_strdup_printf ("/proc/%s/comm", name);
      if (!g_file_get_contents (comm_path, &comm, NULL, NULL) ||
          !g_str_has_prefix (comm, "WebKitWebProces"))
        continue;

      for (pid_t ancestor = parent_of (pid); ancestor > 1; ancestor = parent_of (ancestor))
        if (ancestor == getpid ())
          {
            if (kill (pid, SIGKILL) == 0)
              n_killed++;
            break;
          }
    }

  return n_killed;
}

static void
test_renderer_crash_recovers (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *title = NULL;

  load_and_wait (fixture, "/other");

  /* A first crash: the page comes back by itself, where it was. */
  fixture->load_finished = FALSE;
  g_assert_cmpuint (crash_web_processes (), >, 0);
  WAIT_FOR (fixture->load_finished, "the page to load again");
  g_assert_cmpstr (visible_state (fixture), ==, "ready");
  title = evaluate (fixture, "document.getElementById('title').textContent", NULL);
  g_assert_cmpstr (title, ==, "Other page");

  /* A second one soon after: the page crashes it, so it is not reloaded
   * in a loop. */
  g_assert_cmpuint (crash_web_processes (), >, 0);
  WAIT_FOR (g_strcmp0 (visible_state (fixture), "error") == 0, "the error state");
  g_assert_nonnull (find_descendant (GTK_WIDGET (fixture->pane), GTK_TYPE_LABEL,
                                     "The page’s renderer crashed."));
}

static void
count_call (guint *counter)
{
  (*counter)++;
}

static void
test_app_crashed_state (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GString) output = g_string_new (NULL);
  guint n_restarts = 0;

  for (guint i = 1; i <= 20; i++)
    g_string_append_printf (output, "line %u\n", i);
  g_string_append (output, "Error: listen EADDRINUSE\n\n");

  tessera_preview_pane_show_crashed (fixture->pane, "Crashed: exit 1", output->str);
  g_assert_cmpstr (visible_state (fixture), ==, "crashed");

  /* The last lines only, where the reason is. */
  g_assert_nonnull (find_descendant (GTK_WIDGET (fixture->pane), GTK_TYPE_LABEL,
                                     "line 10\nline 11\nline 12\nline 13\nline 14\nline 15\n"
                                     "line 16\nline 17\nline 18\nline 19\nline 20\n"
                                     "Error: listen EADDRINUSE"));

  g_signal_connect_swapped (fixture->pane, "restart", G_CALLBACK (count_call), &n_restarts);
  gtk_widget_activate_action (GTK_WIDGET (fixture->pane), "preview.restart", NULL);
  g_assert_cmpuint (n_restarts, ==, 1);
  g_signal_handlers_disconnect_by_data (fixture->pane, &n_restarts);
}

static void
test_narrow (Fixture       *fixture,
             gconstpointer  data)
{
  int minimum = 0;

  /* The pane fits beside the editor and the chat. */
  load_and_wait (fixture, "/");
  tessera_preview_pane_set_status (fixture->pane, "Ready at http://127.0.0.1:5173", FALSE);
  gtk_widget_measure (GTK_WIDGET (fixture->pane), GTK_ORIENTATION_HORIZONTAL, -1,
                      &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 420);
}

static void
test_status_when_waiting (Fixture       *fixture,
                          gconstpointer  data)
{
  tessera_preview_pane_set_status (fixture->pane, "Installing dependencies…", TRUE);
  g_assert_cmpstr (visible_state (fixture), ==, "waiting");
  g_assert_nonnull (find_descendant (GTK_WIDGET (fixture->pane), ADW_TYPE_STATUS_PAGE, NULL));
  g_assert_nonnull (find_descendant (GTK_WIDGET (fixture->pane), GTK_TYPE_LABEL,
                                     "Installing dependencies…"));
}

static void
test_run_panel_output (void)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  TesseraRunPanel *panel = tessera_run_panel_new ();
  g_autofree char *text = NULL;

  g_object_ref_sink (panel);
  gtk_window_set_child (window, GTK_WIDGET (panel));
  gtk_window_present (window);

  /* Colours render in the terminal; the plain text has none, even when an
   * escape sequence is split between two chunks. */
  tessera_run_panel_append (panel, "\033[32m> vite\033[0m\nready in \033", -1);
  tessera_run_panel_append (panel, "[1m120 ms\033[0m\n", -1);
  text = tessera_run_panel_get_text (panel);
  g_assert_cmpstr (text, ==, "> vite\nready in 120 ms\n");

  tessera_run_panel_clear (panel);
  g_clear_pointer (&text, g_free);
  text = tessera_run_panel_get_text (panel);
  g_assert_cmpstr (text, ==, "");

  tessera_run_panel_set_status (panel, "Ready at http://127.0.0.1:5173", FALSE);
  g_assert_nonnull (find_descendant (GTK_WIDGET (panel), GTK_TYPE_LABEL,
                                     "Ready at http://127.0.0.1:5173"));

  gtk_window_destroy (window);
  g_assert_finalize_object (panel);
}

/* Projects on disk */

static char *
make_project_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("tessera-preview-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *dir)
{
  const char *argv[] = { "rm", "-rf", dir, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
}

static TesseraProject *
create_project (const char *parent_dir)
{
  g_autoptr(GFile) parent = g_file_new_for_path (parent_dir);
  g_autoptr(GError) error = NULL;
  TesseraProject *project;

  project = tessera_project_create (parent, "app", NULL, &error);
  g_assert_no_error (error);
  return project;
}

static void
write_file (TesseraProject *project,
            const char     *path,
            const char     *contents)
{
  g_autoptr(GBytes) bytes = g_bytes_new (contents, strlen (contents));
  g_autoptr(GError) error = NULL;

  tessera_project_write (project, path, bytes, NULL, &error);
  g_assert_no_error (error);
}

/* A server without live reload (as node or python apps are): it serves the
 * project's files as they are on disk. */
static void
on_project_request (SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  TesseraProject *project = user_data;
  g_autoptr(GBytes) bytes = NULL;
  const char *relative = g_str_equal (path, "/") ? "index.html" : path + 1;

  current->app.n_requests++;
  bytes = tessera_project_read (project, relative, NULL, NULL);
  if (bytes == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static gboolean
page_hot_reloads (TesseraPreviewPane *pane)
{
  gboolean value;

  g_object_get (pane, "page-hot-reloads", &value, NULL);
  return value;
}

static const char tall_page[] =
  "<!doctype html><body><h1 id='title'>%s</h1><div style='height:5000px'></div></body>";

static void
test_reload_on_file_change (void)
{
  g_autofree char *dir = make_project_dir ();
  g_autoptr(TesseraProject) project = create_project (dir);
  g_autofree char *page = g_strdup_printf (tall_page, "First");
  g_autofree char *scroll = NULL;
  g_autofree char *title = NULL;
  Fixture fixture = { 0 };
  GtkWindow *window;
  guint requests_before;

  current = &fixture;
  write_file (project, "index.html", page);

  fixture.app.server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fixture.app.server, NULL, on_project_request, project, NULL);
  site_start_listening (&fixture.app);

  fixture.pane = g_object_ref_sink (tessera_preview_pane_new (project));
  fixture.view = tessera_preview_pane_get_web_view (fixture.pane);
  g_signal_connect (fixture.view, "load-changed", G_CALLBACK (on_load_changed), &fixture);
  fixture.decisions = g_ptr_array_new_with_free_func (g_free);
  fixture.started = g_ptr_array_new_with_free_func (g_free);
  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 900, 700);
  gtk_window_set_child (window, GTK_WIDGET (fixture.pane));
  gtk_window_present (window);

  g_assert_false (tessera_preview_pane_get_live_reload (fixture.pane));
  load_and_wait (&fixture, "/");
  g_free (evaluate (&fixture, "window.scrollTo(0, 600); 'ok'", NULL));

  /* A burst of writes (an AI turn) is one reload, at the same scroll
   * position. The project emits ::file-changed as each write completes,
   * all before the main loop runs again. */
  requests_before = fixture.app.n_requests;
  fixture.load_finished = FALSE;
  g_free (page);
  page = g_strdup_printf (tall_page, "Second");
  write_file (project, "style.css", "body { color: red }");
  write_file (project, "index.html", page);
  write_file (project, "app.js", "console.log('hi')");
  /* Not the app's files: no reload for these alone. */
  write_file (project, ".tessera/draft", "x");
  WAIT_FOR (fixture.load_finished, "the reload");
  g_assert_cmpuint (fixture.app.n_requests - requests_before, ==, 1);

  title = evaluate (&fixture, "document.getElementById('title').textContent", NULL);
  g_assert_cmpstr (title, ==, "Second");
  scroll = evaluate (&fixture, "String(window.scrollY)", NULL);
  g_assert_cmpstr (scroll, ==, "600");
  g_assert_false (page_hot_reloads (fixture.pane));

  /* A page from a dev server with hot reloading (Vite's client) is left to
   * update itself. */
  fixture.load_finished = FALSE;
  write_file (project, "index.html",
              "<!doctype html><script type='module' src='/@vite/client'></script><h1 id='title'>Vite</h1>");
  WAIT_FOR (fixture.load_finished && page_hot_reloads (fixture.pane), "the dev server's page");

  gtk_window_destroy (window);
  g_assert_finalize_object (fixture.pane);
  g_ptr_array_unref (fixture.decisions);
  g_ptr_array_unref (fixture.started);
  soup_server_disconnect (fixture.app.server);
  g_clear_object (&fixture.app.server);
  g_free (fixture.app.base);
  g_clear_object (&project);
  remove_tree (dir);
  current = NULL;
}

static gboolean
runner_reached (TesseraRunner      *runner,
                TesseraRunnerState  state)
{
  return tessera_runner_get_state (runner) == state;
}

static void
on_sandbox_stopped (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  tessera_sandbox_stop_finish (TESSERA_SANDBOX (object), result, &error);
  g_assert_no_error (error);
  *done = TRUE;
}

static void
set_true (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
test_runner_static_project (void)
{
  g_autofree char *dir = make_project_dir ();
  g_autoptr(TesseraProject) project = create_project (dir);
  g_autoptr(TesseraLocalSandbox) sandbox = NULL;
  g_autoptr(TesseraRunner) runner = NULL;
  g_autoptr(TesseraRunPanel) run_panel = NULL;
  g_autofree char *page = g_strdup_printf (tall_page, "Before the edit");
  g_autofree char *title = NULL;
  g_autofree char *log = NULL;
  Fixture fixture = { 0 };
  GtkWindow *window;
  GtkWidget *box;
  gboolean stopped = FALSE;
  gboolean waited;

  current = &fixture;
  write_file (project, "index.html", page);

  sandbox = tessera_local_sandbox_new (tessera_project_get_root (project));
  runner = tessera_runner_new (project, TESSERA_SANDBOX (sandbox));

  fixture.pane = g_object_ref_sink (tessera_preview_pane_new (project));
  fixture.view = tessera_preview_pane_get_web_view (fixture.pane);
  g_signal_connect (fixture.view, "load-changed", G_CALLBACK (on_load_changed), &fixture);
  fixture.decisions = g_ptr_array_new_with_free_func (g_free);
  fixture.started = g_ptr_array_new_with_free_func (g_free);
  run_panel = g_object_ref_sink (tessera_run_panel_new ());

  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 900, 900);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_vexpand (GTK_WIDGET (fixture.pane), TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (fixture.pane));
  gtk_widget_set_size_request (GTK_WIDGET (run_panel), -1, 200);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (run_panel));
  gtk_window_set_child (window, box);
  gtk_window_present (window);

  tessera_preview_pane_set_runner (fixture.pane, runner);
  tessera_run_panel_set_runner (run_panel, runner);
  g_assert_cmpstr (visible_state (&fixture), ==, "waiting");

  tessera_runner_start (runner);
  WAIT_FOR (runner_reached (runner, TESSERA_RUNNER_READY) && fixture.load_finished,
            "the static project to run");
  g_assert_true (tessera_preview_pane_get_live_reload (fixture.pane));
  g_assert_cmpstr (tessera_preview_pane_get_url (fixture.pane), ==, tessera_runner_get_url (runner));
  g_assert_cmpstr (visible_state (&fixture), ==, "ready");
  title = evaluate (&fixture, "document.getElementById('title').textContent", NULL);
  g_assert_cmpstr (title, ==, "Before the edit");

  /* The server's live reload brings the edit in. */
  fixture.load_finished = FALSE;
  g_free (page);
  page = g_strdup_printf (tall_page, "After the edit");
  write_file (project, "index.html", page);
  WAIT_FOR (fixture.load_finished, "the live reload");
  g_clear_pointer (&title, g_free);
  title = evaluate (&fixture, "document.getElementById('title').textContent", NULL);
  g_assert_cmpstr (title, ==, "After the edit");

  /* Held while the AI writes: neither the server's live reload nor the
   * pane's fallback reloads the page; released, it reloads once. */
  tessera_preview_pane_set_held (fixture.pane, TRUE);
  fixture.load_finished = FALSE;
  g_free (page);
  page = g_strdup_printf (tall_page, "Written while held");
  write_file (project, "index.html", page);
  /* Longer than the server's coalescing and the pane's fallback. */
  waited = FALSE;
  g_timeout_add_once (1500, set_true, &waited);
  while (!waited)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (fixture.load_finished);
  g_clear_pointer (&title, g_free);
  title = evaluate (&fixture, "document.getElementById('title').textContent", NULL);
  g_assert_cmpstr (title, ==, "After the edit");
  tessera_preview_pane_set_held (fixture.pane, FALSE);
  WAIT_FOR (fixture.load_finished, "the reload after the hold");
  g_clear_pointer (&title, g_free);
  title = evaluate (&fixture, "document.getElementById('title').textContent", NULL);
  g_assert_cmpstr (title, ==, "Written while held");

  /* The run panel follows the runner's status. */
  g_assert_nonnull (find_descendant (GTK_WIDGET (run_panel), GTK_TYPE_LABEL,
                                     tessera_runner_get_status_message (runner)));

  tessera_runner_stop (runner);
  WAIT_FOR (g_strcmp0 (visible_state (&fixture), "waiting") == 0, "the stopped state");
  tessera_sandbox_stop_async (TESSERA_SANDBOX (sandbox), NULL, on_sandbox_stopped, &stopped);
  WAIT_FOR (stopped, "the sandbox to stop");

  gtk_window_destroy (window);
  g_assert_finalize_object (fixture.pane);
  g_clear_object (&run_panel);
  g_ptr_array_unref (fixture.decisions);
  g_ptr_array_unref (fixture.started);
  g_clear_object (&runner);
  g_clear_object (&sandbox);
  g_clear_object (&project);
  remove_tree (dir);
  current = NULL;
}

static void
test_runner_crash (void)
{
  g_autofree char *dir = make_project_dir ();
  g_autoptr(TesseraProject) project = create_project (dir);
  g_autoptr(TesseraLocalSandbox) sandbox = NULL;
  g_autoptr(TesseraRunner) runner = NULL;
  g_autoptr(GError) error = NULL;
  Fixture fixture = { 0 };
  GtkWindow *window;
  GtkWidget *output;
  gboolean stopped = FALSE;

  current = &fixture;
  /* An app that dies at once, as a server with a syntax error does. */
  tessera_project_set_setting (project, TESSERA_RUNNER_SETTING_RUN_COMMAND,
                               "echo 'SyntaxError: Unexpected token' >&2; exit 3", &error);
  g_assert_no_error (error);

  sandbox = tessera_local_sandbox_new (tessera_project_get_root (project));
  runner = tessera_runner_new (project, TESSERA_SANDBOX (sandbox));

  fixture.pane = g_object_ref_sink (tessera_preview_pane_new (project));
  fixture.view = tessera_preview_pane_get_web_view (fixture.pane);
  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_child (window, GTK_WIDGET (fixture.pane));
  gtk_window_present (window);

  tessera_preview_pane_set_runner (fixture.pane, runner);
  tessera_runner_start (runner);
  WAIT_FOR (g_strcmp0 (visible_state (&fixture), "crashed") == 0, "the crashed state");

  /* What the app said last is on the page, not a blank pane. */
  output = find_label_containing (GTK_WIDGET (fixture.pane), "SyntaxError: Unexpected token");
  g_assert_nonnull (output);
  g_assert_true (gtk_widget_is_visible (output));

  tessera_runner_stop (runner);
  tessera_sandbox_stop_async (TESSERA_SANDBOX (sandbox), NULL, on_sandbox_stopped, &stopped);
  WAIT_FOR (stopped, "the sandbox to stop");

  gtk_window_destroy (window);
  g_assert_finalize_object (fixture.pane);
  g_clear_object (&runner);
  g_clear_object (&sandbox);
  g_clear_object (&project);
  remove_tree (dir);
  current = NULL;
}

typedef struct
{
  char *message;
  char *source;
  guint n_calls;
} RunFix;

static void
on_run_fix (TesseraRunPanel *panel,
            const char      *message,
            const char      *source,
            guint            line,
            RunFix          *fix)
{
  g_free (fix->message);
  g_free (fix->source);
  fix->message = g_strdup (message);
  fix->source = g_strdup (source);
  fix->n_calls++;
}

static gboolean
panel_text_contains (TesseraRunPanel *panel,
                     const char      *needle)
{
  g_autofree char *text = tessera_run_panel_get_text (panel);

  return strstr (text, needle) != NULL;
}

static void
test_run_panel_command (void)
{
  g_autofree char *dir = make_project_dir ();
  g_autoptr(TesseraProject) project = create_project (dir);
  g_autoptr(TesseraLocalSandbox) sandbox = NULL;
  g_autoptr(TesseraRunner) runner = NULL;
  TesseraRunPanel *panel;
  GtkWindow *window;
  GtkWidget *entry;
  RunFix fix = { 0 };
  gboolean stopped = FALSE;

  sandbox = tessera_local_sandbox_new (tessera_project_get_root (project));
  runner = tessera_runner_new (project, TESSERA_SANDBOX (sandbox));

  panel = g_object_ref_sink (tessera_run_panel_new ());
  g_signal_connect (panel, "fix-with-ai", G_CALLBACK (on_run_fix), &fix);
  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_child (window, GTK_WIDGET (panel));
  gtk_window_present (window);
  tessera_run_panel_set_runner (panel, runner);

  entry = find_descendant (GTK_WIDGET (panel), GTK_TYPE_ENTRY, NULL);
  g_assert_nonnull (entry);

  /* Output streams into the panel, then the exit status. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "echo first-line; echo second-line >&2; exit 3");
  g_signal_emit_by_name (entry, "activate");
  WAIT_FOR (gtk_widget_get_sensitive (entry), "the command to end");
  g_assert_true (panel_text_contains (panel, "first-line"));
  g_assert_true (panel_text_contains (panel, "second-line"));
  g_assert_true (panel_text_contains (panel, "failed with exit status 3"));

  /* A failed command offers "Fix with AI", with the command and output. */
  gtk_widget_activate_action (GTK_WIDGET (panel), "run.fix-with-ai", NULL);
  g_assert_cmpuint (fix.n_calls, ==, 1);
  g_assert_cmpstr (fix.source, ==, "echo first-line; echo second-line >&2; exit 3");
  g_assert_nonnull (strstr (fix.message, "first-line"));
  g_assert_nonnull (strstr (fix.message, "second-line"));

  /* A command that succeeds takes the offer away. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "echo fine");
  g_signal_emit_by_name (entry, "activate");
  WAIT_FOR (gtk_widget_get_sensitive (entry), "the second command to end");
  g_assert_true (panel_text_contains (panel, "“echo fine” finished"));
  g_assert_false (find_descendant (GTK_WIDGET (panel), GTK_TYPE_BUTTON, "Fix with AI") != NULL &&
                  gtk_widget_get_visible (find_descendant (GTK_WIDGET (panel), GTK_TYPE_BUTTON, "Fix with AI")));

  tessera_sandbox_stop_async (TESSERA_SANDBOX (sandbox), NULL, on_sandbox_stopped, &stopped);
  WAIT_FOR (stopped, "the sandbox to stop");

  gtk_window_destroy (window);
  g_assert_finalize_object (panel);
  g_free (fix.message);
  g_free (fix.source);
  g_clear_object (&runner);
  g_clear_object (&sandbox);
  g_clear_object (&project);
  remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();

#define ADD(name, func) \
  g_test_add ("/preview/pane/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("renders", test_page_renders);
  ADD ("other-origin-refused", test_other_origin_refused);
  ADD ("no-popups", test_no_popups);
  ADD ("console-captures-errors", test_console_captures_errors);
  ADD ("console-handler-confined", test_console_handler_confined);
  ADD ("device-sizes", test_device_sizes);
  ADD ("web-process-crash", test_web_process_crash);
  ADD ("renderer-crash-recovers", test_renderer_crash_recovers);
#ifdef HAVE_XTEST
  ADD ("pick-element", test_pick_element);
#endif
  ADD ("app-crashed-state", test_app_crashed_state);
  ADD ("status-when-waiting", test_status_when_waiting);
  ADD ("load-failure", test_load_failure);
  ADD ("narrow", test_narrow);
  ADD ("no-downloads", test_no_downloads);
#undef ADD
  g_test_add_func ("/preview/run-panel/output", test_run_panel_output);
  g_test_add_func ("/preview/run-panel/command", test_run_panel_command);
  g_test_add_func ("/preview/project/reload-on-file-change", test_reload_on_file_change);
  g_test_add_func ("/preview/project/runner-static", test_runner_static_project);
  g_test_add_func ("/preview/project/runner-crash", test_runner_crash);

  return g_test_run ();
}
