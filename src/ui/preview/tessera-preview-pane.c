/* tessera-preview-pane.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-preview-pane"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "tessera-console-panel.h"
#include "tessera-preview-pane.h"
#include "tessera-style-sheet.h"

/* The isolated script world: only there does the console handler exist. */
#define SCRIPT_WORLD "tessera"
#define CONSOLE_HANDLER "tesseraConsole"
#define PICK_HANDLER "tesseraPick"
#define MAX_PICK_JSON 4096
#define MAX_PICK_SELECTOR 500
#define MAX_PICK_HTML 1100

/* Console messages come from untrusted pages: bound what one message and
 * one page load may cost. */
#define MAX_MESSAGE_JSON 8192
#define MAX_MESSAGE_CHARS 4000
#define MAX_SOURCE_CHARS 1000
#define MAX_MESSAGES_PER_LOAD 200
#define MAX_LINE 10000000

/* A burst of file writes (an AI turn writes several files in a row) ends up
 * as one reload. */
#define RELOAD_DELAY_MS 150
/* A live-reload server misses a change made while the page reconnects to
 * its event stream; if no load started by then, the pane reloads itself. */
#define LIVE_RELOAD_FALLBACK_MS 500

#define WEB_PROCESS_MEMORY_LIMIT_MB 2048
/* A crashed renderer is restarted by itself at most once in this time. */
#define CRASH_RECOVERY_INTERVAL (30 * G_USEC_PER_SEC)

/* Dev servers whose page updates itself (Vite, webpack-dev-server, Next.js
 * and Parcel in development): reloading it too would lose the app's state
 * that hot reloading keeps. Runs in the isolated world, on the DOM only. */
static const char detect_hot_reload_script[] =
  "!!(document.querySelector('script[src*=\"/@vite/client\"], script[src*=\"webpack-dev-server\"],"
  " script[src*=\"/_next/static/chunks/react-refresh\"], script[src*=\"__parcel\"]') ||"
  " /\"buildId\"\\s*:\\s*\"development\"/.test("
  "(document.getElementById('__NEXT_DATA__') || {}).textContent || ''))";

#define MAX_OUTPUT_TAIL 4096
#define CRASH_OUTPUT_LINES 12

struct _TesseraPreviewPane
{
  AdwBin parent_instance;

  TesseraProject *project;
  TesseraRunner *runner;

  WebKitWebContext *web_context;
  WebKitNetworkSession *network_session;
  WebKitUserContentManager *content_manager;
  WebKitWebView *web_view;
  /* Waiting for a drawn frame before the web view is made. */
  guint create_tick_id;
  guint create_ticks;

  /* Template children */
  GtkEntry *address_entry;
  GtkToggleButton *console_button;
  GtkMenuButton *device_button;
  GtkLabel *console_badge;
  GtkPaned *paned;
  GtkStack *stack;
  AdwStatusPage *waiting_page;
  GtkSpinner *waiting_spinner;
  GtkScrolledWindow *scroller;
  GtkBox *frame;
  AdwClamp *width_clamp;
  AdwClamp *height_clamp;
  AdwStatusPage *crashed_page;
  GtkLabel *crash_output_label;
  AdwStatusPage *error_page;
  TesseraConsolePanel *console_panel;

  GCancellable *cancellable;
  char *url;
  GUri *origin;
  char *device;
  GString *output_tail;

  double scroll_y;
  gint64 recovered_at;
  guint reload_source;
  guint fallback_source;
  guint n_load_messages;

  guint live_reload : 1;
  guint page_hot_reloads : 1;
  /* While the AI writes the app, the page is not reloaded: neither by the
   * pane nor by the page's live-reload script. A change seen meanwhile
   * makes one reload when the hold ends. */
  guint held : 1;
  guint changed_while_held : 1;
  /* The next reload navigation is the pane's own. */
  guint own_reload : 1;
  guint console_visible : 1;
  /* The page's elements are being picked (picker-isolated.js). */
  guint picking : 1;
  guint restore_scroll : 1;
  guint disposed : 1;
};

G_DEFINE_FINAL_TYPE (TesseraPreviewPane, tessera_preview_pane, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_PROJECT,
  PROP_URL,
  PROP_DEVICE,
  PROP_LIVE_RELOAD,
  PROP_CONSOLE_VISIBLE,
  PROP_PAGE_HOT_RELOADS,
  PROP_PICKING,
  N_PROPS
};

enum {
  FIX_WITH_AI,
  ELEMENT_PICKED,
  RESTART,
  OPEN_EXTERNAL,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const struct {
  const char *name;
  const char *icon_name;
  int width;
  int height;
} devices[] = {
  { "phone", "phone-symbolic", 390, 844 },
  { "tablet", "tablet-symbolic", 820, 1180 },
  { "desktop", "computer-symbolic", 1280, 800 },
  { "full", "view-fullscreen-symbolic", -1, -1 },
};

static int
effective_port (GUri *uri)
{
  int port = g_uri_get_port (uri);

  if (port > 0)
    return port;
  if (g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0)
    return 443;
  if (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") == 0)
    return 80;
  return -1;
}

static gboolean
is_web_uri (GUri *uri)
{
  const char *scheme = g_uri_get_scheme (uri);

  return g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0;
}

static gboolean
is_same_origin (TesseraPreviewPane *self,
                const char         *uri_string)
{
  g_autoptr(GUri) uri = NULL;

  if (self->origin == NULL || uri_string == NULL)
    return FALSE;

  uri = g_uri_parse (uri_string, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || !is_web_uri (uri))
    return FALSE;

  return g_ascii_strcasecmp (g_uri_get_scheme (uri), g_uri_get_scheme (self->origin)) == 0 &&
         g_ascii_strcasecmp (g_uri_get_host (uri) ?: "", g_uri_get_host (self->origin) ?: "") == 0 &&
         effective_port (uri) == effective_port (self->origin);
}

/* The path, query and fragment of a same-origin URI; other URIs whole. */
static char *
display_path (TesseraPreviewPane *self,
              const char         *uri_string)
{
  g_autoptr(GUri) uri = NULL;
  const char *path;

  if (!is_same_origin (self, uri_string))
    return g_strdup (uri_string ?: "");

  uri = g_uri_parse (uri_string, G_URI_FLAGS_NONE, NULL);
  path = g_uri_get_path (uri);

  return g_strdup_printf ("%s%s%s%s%s",
                          path[0] != '\0' ? path : "/",
                          g_uri_get_query (uri) ? "?" : "",
                          g_uri_get_query (uri) ?: "",
                          g_uri_get_fragment (uri) ? "#" : "",
                          g_uri_get_fragment (uri) ?: "");
}

static void set_picking (TesseraPreviewPane *self,
                         gboolean            picking,
                         gboolean            tell_page);

static void
show_page (TesseraPreviewPane *self,
           const char         *name)
{
  gtk_stack_set_visible_child_name (self->stack, name);
  gtk_spinner_set_spinning (self->waiting_spinner, g_str_equal (name, "waiting"));
  /* Waiting, crashed or failed: nothing left to pick from. */
  if (self->picking && !g_str_equal (name, "ready"))
    set_picking (self, FALSE, FALSE);
}

static void ensure_web_view (TesseraPreviewPane *self);

static void
update_navigation_actions (TesseraPreviewPane *self)
{
  gboolean has_page = self->url != NULL && self->web_view != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "preview.back",
                                 has_page && webkit_web_view_can_go_back (self->web_view));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "preview.forward",
                                 has_page && webkit_web_view_can_go_forward (self->web_view));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "preview.reload", has_page);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "preview.open-in-browser", has_page);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "preview.devtools", has_page);
  gtk_widget_set_sensitive (GTK_WIDGET (self->address_entry), has_page);
}

static void
launch_in_browser (TesseraPreviewPane *self,
                   const char         *uri);

/* Only a link the user clicked leaves the pane, and only for the web. */
static void
maybe_open_externally (TesseraPreviewPane     *self,
                       WebKitNavigationAction *action,
                       const char             *uri_string)
{
  g_autoptr(GUri) uri = NULL;
  gboolean handled = FALSE;

  if (webkit_navigation_action_get_navigation_type (action) != WEBKIT_NAVIGATION_TYPE_LINK_CLICKED ||
      !webkit_navigation_action_is_user_gesture (action))
    return;

  uri = g_uri_parse (uri_string, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || !is_web_uri (uri))
    return;

  g_signal_emit (self, signals[OPEN_EXTERNAL], 0, uri_string, &handled);
}

static gboolean
is_allowed_navigation (TesseraPreviewPane *self,
                       const char         *uri)
{
  /* about:blank and about:srcdoc are how pages build their own frames. */
  return is_same_origin (self, uri) ||
         g_strcmp0 (uri, "about:blank") == 0 ||
         g_strcmp0 (uri, "about:srcdoc") == 0;
}

static gboolean
on_decide_policy (TesseraPreviewPane       *self,
                  WebKitPolicyDecision     *decision,
                  WebKitPolicyDecisionType  type,
                  WebKitWebView            *web_view)
{
  switch (type)
    {
    case WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION:
      {
        WebKitNavigationAction *action;
        const char *uri;

        action = webkit_navigation_policy_decision_get_navigation_action (WEBKIT_NAVIGATION_POLICY_DECISION (decision));
        uri = webkit_uri_request_get_uri (webkit_navigation_action_get_request (action));

        if (webkit_navigation_action_get_navigation_type (action) == WEBKIT_NAVIGATION_TYPE_RELOAD)
          {
            gboolean own = self->own_reload;

            self->own_reload = FALSE;
            if (self->held && !own)
              {
                self->changed_while_held = TRUE;
                webkit_policy_decision_ignore (decision);
                return TRUE;
              }
          }

        if (is_allowed_navigation (self, uri))
          {
            webkit_policy_decision_use (decision);
            return TRUE;
          }

        g_debug ("Refused navigation to another origin");
        maybe_open_externally (self, action, uri);
        webkit_policy_decision_ignore (decision);
        return TRUE;
      }

    case WEBKIT_POLICY_DECISION_TYPE_NEW_WINDOW_ACTION:
      {
        WebKitNavigationAction *action;
        const char *uri;

        /* No popups: a same-origin link meant for a new tab opens in the
         * pane, a link elsewhere in the browser. */
        action = webkit_navigation_policy_decision_get_navigation_action (WEBKIT_NAVIGATION_POLICY_DECISION (decision));
        uri = webkit_uri_request_get_uri (webkit_navigation_action_get_request (action));

        if (is_same_origin (self, uri) &&
            webkit_navigation_action_is_user_gesture (action) &&
            webkit_navigation_action_get_navigation_type (action) == WEBKIT_NAVIGATION_TYPE_LINK_CLICKED)
          webkit_web_view_load_uri (self->web_view, uri);
        else
          maybe_open_externally (self, action, uri);

        webkit_policy_decision_ignore (decision);
        return TRUE;
      }

    case WEBKIT_POLICY_DECISION_TYPE_RESPONSE:
      /* What the view cannot show would become a download. */
      if (!webkit_response_policy_decision_is_mime_type_supported (WEBKIT_RESPONSE_POLICY_DECISION (decision)))
        {
          webkit_policy_decision_ignore (decision);
          return TRUE;
        }
      return FALSE;

    default:
      webkit_policy_decision_ignore (decision);
      return TRUE;
    }
}

static GtkWidget *
on_create (TesseraPreviewPane     *self,
           WebKitNavigationAction *action,
           WebKitWebView          *web_view)
{
  return NULL;
}

static gboolean
on_permission_request (TesseraPreviewPane      *self,
                       WebKitPermissionRequest *request,
                       WebKitWebView           *web_view)
{
  /* Camera, microphone, location, notifications, pointer lock…: generated
   * code gets none of them. */
  webkit_permission_request_deny (request);
  return TRUE;
}

static void
on_download_started (TesseraPreviewPane   *self,
                     WebKitDownload       *download,
                     WebKitNetworkSession *session)
{
  webkit_download_cancel (download);
}

/* The page the view was on, anew; the app's own page when it was
 * elsewhere. */
static void
load_current_page (TesseraPreviewPane *self)
{
  const char *uri = webkit_web_view_get_uri (self->web_view);

  webkit_web_view_load_uri (self->web_view, is_same_origin (self, uri) ? uri : self->url);
}

/* A renderer that crashes once, say on a flaky start, is restarted
 * quietly; one that crashes again soon after is shown as stopped, so that
 * a page that crashes it is not reloaded in a loop. */
static gboolean
recover_from_crash (TesseraPreviewPane *self)
{
  gint64 now = g_get_monotonic_time ();

  if (self->url == NULL ||
      (self->recovered_at != 0 && now - self->recovered_at < CRASH_RECOVERY_INTERVAL))
    return FALSE;

  self->recovered_at = now;
  g_debug ("The preview's renderer crashed; loading the page again");
  load_current_page (self);
  return TRUE;
}

static void
on_web_process_terminated (TesseraPreviewPane               *self,
                           WebKitWebProcessTerminationReason reason,
                           WebKitWebView                    *web_view)
{
  if (self->disposed)
    return;

  if (reason == WEBKIT_WEB_PROCESS_CRASHED && recover_from_crash (self))
    return;

  switch (reason)
    {
    case WEBKIT_WEB_PROCESS_EXCEEDED_MEMORY_LIMIT:
      adw_status_page_set_description (self->error_page,
                                       _("The page used too much memory and was stopped."));
      break;

    case WEBKIT_WEB_PROCESS_TERMINATED_BY_API:
      adw_status_page_set_description (self->error_page, _("The page was stopped."));
      break;

    case WEBKIT_WEB_PROCESS_CRASHED:
    default:
      adw_status_page_set_description (self->error_page, _("The page’s renderer crashed."));
      break;
    }

  adw_status_page_set_title (self->error_page, _("The Preview Stopped"));
  show_page (self, "error");
}

static gboolean
on_load_failed (TesseraPreviewPane *self,
                WebKitLoadEvent     load_event,
                const char         *failing_uri,
                GError             *error,
                WebKitWebView      *web_view)
{
  g_autofree char *path = NULL;
  g_autofree char *message = NULL;

  if (g_error_matches (error, WEBKIT_NETWORK_ERROR, WEBKIT_NETWORK_ERROR_CANCELLED) ||
      g_error_matches (error, WEBKIT_POLICY_ERROR, WEBKIT_POLICY_ERROR_FRAME_LOAD_INTERRUPTED_BY_POLICY_CHANGE))
    return FALSE;

  path = display_path (self, failing_uri);
  message = g_strdup_printf (_("Could not load %s: %s"), path, error->message);
  tessera_console_panel_add (self->console_panel, TESSERA_CONSOLE_LEVEL_ERROR, message, path, 0);

  adw_status_page_set_title (self->error_page, _("The Preview Could Not Load"));
  adw_status_page_set_description (self->error_page, message);
  show_page (self, "error");

  return TRUE;
}

static void
on_scroll_restored (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(JSCValue) value = NULL;
  g_autoptr(GError) error = NULL;

  value = webkit_web_view_evaluate_javascript_finish (WEBKIT_WEB_VIEW (object), result, &error);
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Could not restore the scroll position: %s", error->message);
}

/* Script results may arrive after the pane is gone: callbacks hold it
 * weakly, so that closing a pane never waits for its page. */
static GWeakRef *
weak_ref_new (gpointer object)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, object);
  return ref;
}

static TesseraPreviewPane *
weak_ref_steal (GWeakRef *ref)
{
  TesseraPreviewPane *self = g_weak_ref_get (ref);

  g_weak_ref_clear (ref);
  g_free (ref);
  return self;
}

static void
set_page_hot_reloads (TesseraPreviewPane *self,
                      gboolean            hot_reloads)
{
  hot_reloads = !!hot_reloads;
  if (self->page_hot_reloads == hot_reloads)
    return;

  self->page_hot_reloads = hot_reloads;
  if (hot_reloads)
    g_clear_handle_id (&self->reload_source, g_source_remove);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAGE_HOT_RELOADS]);
}

static void
on_hot_reload_detected (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(TesseraPreviewPane) self = weak_ref_steal (user_data);
  g_autoptr(JSCValue) value = NULL;

  value = webkit_web_view_evaluate_javascript_finish (WEBKIT_WEB_VIEW (object), result, NULL);
  if (self == NULL || self->disposed || value == NULL || !jsc_value_is_boolean (value))
    return;

  set_page_hot_reloads (self, jsc_value_to_boolean (value));
}

/* @tell_page: whether the picker in the page is to start or stop too; not
 * when the page is gone or stopped it itself. */
static void
set_picking (TesseraPreviewPane *self,
             gboolean            picking,
             gboolean            tell_page)
{
  picking = !!picking;
  /* Only a page on screen has elements to pick. */
  if (picking && (self->web_view == NULL ||
                  !g_str_equal (gtk_stack_get_visible_child_name (self->stack), "ready")))
    picking = FALSE;

  if (self->picking != picking)
    {
      self->picking = picking;
      if (tell_page)
        webkit_web_view_evaluate_javascript (self->web_view,
                                             picking ? "tesseraPicker.start();" : "tesseraPicker.stop();",
                                             -1, SCRIPT_WORLD, NULL, self->cancellable, NULL, NULL);
      if (picking)
        gtk_widget_grab_focus (GTK_WIDGET (self->web_view));
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PICKING]);
}

void
tessera_preview_pane_set_picking (TesseraPreviewPane *self,
                                  gboolean            picking)
{
  g_return_if_fail (TESSERA_IS_PREVIEW_PANE (self));

  set_picking (self, picking, TRUE);
}

gboolean
tessera_preview_pane_get_picking (TesseraPreviewPane *self)
{
  g_return_val_if_fail (TESSERA_IS_PREVIEW_PANE (self), FALSE);

  return self->picking;
}

static void
on_load_changed (TesseraPreviewPane *self,
                 WebKitLoadEvent     load_event,
                 WebKitWebView      *web_view)
{
  switch (load_event)
    {
    case WEBKIT_LOAD_STARTED:
      self->n_load_messages = 0;
      set_page_hot_reloads (self, FALSE);
      /* The picker went with the page. */
      set_picking (self, FALSE, FALSE);
      g_clear_handle_id (&self->fallback_source, g_source_remove);
      break;

    case WEBKIT_LOAD_COMMITTED:
      if (self->url != NULL)
        show_page (self, "ready");
      break;

    case WEBKIT_LOAD_FINISHED:
      webkit_web_view_evaluate_javascript (self->web_view, detect_hot_reload_script, -1, SCRIPT_WORLD,
                                           NULL, self->cancellable, on_hot_reload_detected,
                                           weak_ref_new (self));
      if (self->restore_scroll)
        {
          char number[G_ASCII_DTOSTR_BUF_SIZE];
          g_autofree char *script = NULL;

          self->restore_scroll = FALSE;
          g_ascii_dtostr (number, sizeof number, self->scroll_y);
          script = g_strdup_printf ("window.scrollTo(window.scrollX, %s);", number);
          webkit_web_view_evaluate_javascript (self->web_view, script, -1, SCRIPT_WORLD, NULL,
                                               self->cancellable, on_scroll_restored, NULL);
        }
      break;

    case WEBKIT_LOAD_REDIRECTED:
    default:
      break;
    }

  update_navigation_actions (self);
}

static void
on_uri_changed (TesseraPreviewPane *self,
                GParamSpec         *pspec,
                WebKitWebView      *web_view)
{
  g_autofree char *path = display_path (self, webkit_web_view_get_uri (web_view));

  gtk_editable_set_text (GTK_EDITABLE (self->address_entry), path);
  gtk_widget_remove_css_class (GTK_WIDGET (self->address_entry), "error");
}

static void
on_back_forward_changed (TesseraPreviewPane        *self,
                         WebKitBackForwardListItem *added,
                         gpointer                   removed,
                         WebKitBackForwardList     *list)
{
  update_navigation_actions (self);
}

/* Strips the origin from a same-origin source URL, so that the AI gets a
 * path it can map to a project file. */
static char *
relative_source (TesseraPreviewPane *self,
                 const char         *source)
{
  if (source[0] == '\0' || !is_same_origin (self, source))
    return g_strdup (source);

  return display_path (self, source);
}

static char *
bounded_utf8 (const char *text,
              glong       max_chars)
{
  if (g_utf8_strlen (text, -1) <= max_chars)
    return g_strdup (text);

  return g_utf8_substring (text, 0, max_chars);
}

/* What a page script posted: a JSON object of at most @max_bytes, or
 * NULL. The parser holds it. */
static JsonObject *
parse_posted_object (JSCValue   *value,
                     gsize       max_bytes,
                     JsonParser *parser)
{
  g_autofree char *text = NULL;
  JsonNode *root;

  if (!jsc_value_is_string (value))
    return NULL;
  text = jsc_value_to_string (value);
  if (text == NULL || strlen (text) > max_bytes || !json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
}

/* A string member, cut to @max_chars; NULL when missing or not a string. */
static char *
dup_string_member (JsonObject *object,
                   const char *name,
                   glong       max_chars)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return bounded_utf8 (json_node_get_string (node), max_chars);
}

static void
on_console_message (TesseraPreviewPane       *self,
                    JSCValue                 *value,
                    WebKitUserContentManager *manager)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *message = NULL;
  g_autofree char *raw_source = NULL;
  g_autofree char *source = NULL;
  JsonObject *object;
  const char *level;
  gint64 line = 0;

  if (self->disposed || self->n_load_messages >= MAX_MESSAGES_PER_LOAD)
    return;
  self->n_load_messages++;

  if ((object = parse_posted_object (value, MAX_MESSAGE_JSON, parser)) == NULL)
    return;

  level = json_object_get_string_member_with_default (object, "level", NULL);
  if (level == NULL || (!g_str_equal (level, "error") && !g_str_equal (level, "warn")))
    return;

  if ((message = dup_string_member (object, "message", MAX_MESSAGE_CHARS)) == NULL)
    return;
  if ((raw_source = dup_string_member (object, "source", MAX_SOURCE_CHARS)) != NULL)
    source = relative_source (self, raw_source);

  if (json_object_has_member (object, "line") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (object, "line")))
    {
      JsonNode *node = json_object_get_member (object, "line");

      if (json_node_get_value_type (node) == G_TYPE_INT64)
        line = json_node_get_int (node);
      else if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
        line = (gint64) CLAMP (json_node_get_double (node), 0, MAX_LINE);
    }
  line = CLAMP (line, 0, MAX_LINE);

  tessera_console_panel_add (self->console_panel,
                             g_str_equal (level, "error") ? TESSERA_CONSOLE_LEVEL_ERROR
                                                          : TESSERA_CONSOLE_LEVEL_WARNING,
                             message, source ?: "", (guint) line);
}

/* From picker-isolated.js, in the isolated world: the page cannot post
 * here, but what it says about its own elements is checked all the same. */
static void
on_pick_message (TesseraPreviewPane       *self,
                 JSCValue                 *value,
                 WebKitUserContentManager *manager)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *selector = NULL;
  g_autofree char *html = NULL;
  JsonObject *object;

  if (self->disposed || !self->picking)
    return;

  /* Picked or not, the picker in the page has stopped. */
  set_picking (self, FALSE, FALSE);

  if ((object = parse_posted_object (value, MAX_PICK_JSON, parser)) == NULL ||
      (selector = dup_string_member (object, "selector", MAX_PICK_SELECTOR)) == NULL ||
      (html = dup_string_member (object, "html", MAX_PICK_HTML)) == NULL ||
      selector[0] == '\0' || html[0] == '\0')
    return;

  g_signal_emit (self, signals[ELEMENT_PICKED], 0, selector, html);
}

static void
on_console_fix_with_ai (TesseraPreviewPane  *self,
                        const char          *message,
                        const char          *source,
                        guint                line,
                        TesseraConsolePanel *panel)
{
  g_signal_emit (self, signals[FIX_WITH_AI], 0, message, source, line);
}

static void
update_console_badge (TesseraPreviewPane  *self,
                      GParamSpec          *pspec,
                      TesseraConsolePanel *panel)
{
  guint n_messages = tessera_console_panel_get_n_messages (panel);
  guint n_errors = tessera_console_panel_get_n_errors (panel);
  g_autofree char *text = NULL;

  if (n_messages > 99)
    text = g_strdup ("99+");
  else
    text = g_strdup_printf ("%u", n_messages);

  gtk_label_set_label (self->console_badge, text);
  gtk_widget_set_visible (GTK_WIDGET (self->console_badge), n_messages > 0);
  if (n_errors == 0)
    gtk_widget_add_css_class (GTK_WIDGET (self->console_badge), "warnings");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->console_badge), "warnings");
}

static void
on_launched (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    g_message ("Could not open the browser: %s", error->message);
}

static void
launch_in_browser (TesseraPreviewPane *self,
                   const char         *uri)
{
  g_autoptr(GdkAppLaunchContext) context = NULL;

  context = gdk_display_get_app_launch_context (gtk_widget_get_display (GTK_WIDGET (self)));
  g_app_info_launch_default_for_uri_async (uri, G_APP_LAUNCH_CONTEXT (context),
                                           NULL, on_launched, NULL);
}

static gboolean
tessera_preview_pane_real_open_external (TesseraPreviewPane *self,
                                         const char         *uri)
{
  launch_in_browser (self, uri);
  return TRUE;
}

static void
on_address_activate (TesseraPreviewPane *self,
                     GtkEntry           *entry)
{
  g_autofree char *text = NULL;
  g_autofree char *target = NULL;
  g_autoptr(GError) error = NULL;

  if (self->url == NULL)
    return;

  text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));

  /* A bare "about" means the app's /about, never another site. */
  if (text[0] == '\0')
    target = g_uri_resolve_relative (self->url, "/", G_URI_FLAGS_NONE, &error);
  else if (strstr (text, "://") != NULL)
    target = g_strdup (text);
  else if (text[0] == '/')
    target = g_uri_resolve_relative (self->url, text, G_URI_FLAGS_NONE, &error);
  else
    {
      g_autofree char *absolute = g_strconcat ("/", text, NULL);
      target = g_uri_resolve_relative (self->url, absolute, G_URI_FLAGS_NONE, &error);
    }

  if (target == NULL || !is_same_origin (self, target))
    {
      gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
      gtk_widget_error_bell (GTK_WIDGET (entry));
      return;
    }

  gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  webkit_web_view_load_uri (self->web_view, target);
  gtk_widget_grab_focus (GTK_WIDGET (self->web_view));
}

/* Two clamps give the page exactly the device's size, centred, whatever
 * size the web view would like; a pane smaller than the device scrolls. */
static void
apply_device (TesseraPreviewPane *self)
{
  GtkWidget *view = self->web_view ? GTK_WIDGET (self->web_view) : NULL;

  for (guint i = 0; i < G_N_ELEMENTS (devices); i++)
    {
      gboolean full;
      int width;
      int height;

      if (g_strcmp0 (devices[i].name, self->device) != 0)
        continue;

      full = devices[i].width < 0;
      width = full ? G_MAXINT / 2 : devices[i].width;
      height = full ? G_MAXINT / 2 : devices[i].height;

      gtk_menu_button_set_icon_name (self->device_button, devices[i].icon_name);
      /* The view comes with the first page; it takes the size then. */
      if (view == NULL)
        return;
      gtk_widget_set_size_request (view, full ? -1 : width, full ? -1 : height);
      adw_clamp_set_maximum_size (self->width_clamp, width);
      adw_clamp_set_tightening_threshold (self->width_clamp, width);
      adw_clamp_set_maximum_size (self->height_clamp, height);
      adw_clamp_set_tightening_threshold (self->height_clamp, height);

      if (full)
        {
          gtk_widget_remove_css_class (view, "tessera-device-frame");
          gtk_widget_remove_css_class (GTK_WIDGET (self->width_clamp), "tessera-device-margin");
        }
      else
        {
          gtk_widget_add_css_class (view, "tessera-device-frame");
          gtk_widget_add_css_class (GTK_WIDGET (self->width_clamp), "tessera-device-margin");
        }
      return;
    }
}

static void
on_scroll_saved (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TesseraPreviewPane) self = weak_ref_steal (user_data);
  g_autoptr(JSCValue) value = NULL;
  g_autoptr(GError) error = NULL;

  value = webkit_web_view_evaluate_javascript_finish (WEBKIT_WEB_VIEW (object), result, &error);
  if (self == NULL || self->disposed || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (value != NULL && jsc_value_is_number (value))
    {
      self->scroll_y = jsc_value_to_double (value);
      self->restore_scroll = self->scroll_y > 0;
    }

  self->own_reload = TRUE;
  webkit_web_view_reload (self->web_view);
}

/* Reloads at the same path, and scrolls back to where the user was. */
static void
reload_keeping_scroll (TesseraPreviewPane *self)
{
  if (self->url == NULL || self->web_view == NULL)
    return;

  if (!g_str_equal (gtk_stack_get_visible_child_name (self->stack), "ready") ||
      webkit_web_view_get_uri (self->web_view) == NULL)
    {
      load_current_page (self);
      return;
    }

  webkit_web_view_evaluate_javascript (self->web_view, "window.scrollY", -1, SCRIPT_WORLD, NULL,
                                       self->cancellable, on_scroll_saved, weak_ref_new (self));
}

static gboolean
reload_timeout (gpointer user_data)
{
  TesseraPreviewPane *self = user_data;

  self->reload_source = 0;
  reload_keeping_scroll (self);

  return G_SOURCE_REMOVE;
}

static gboolean
fallback_timeout (gpointer user_data)
{
  TesseraPreviewPane *self = user_data;

  self->fallback_source = 0;
  g_debug ("The server did not reload the page; reloading it");
  reload_keeping_scroll (self);

  return G_SOURCE_REMOVE;
}

static void
on_file_changed (TesseraPreviewPane *self,
                 const char         *path,
                 TesseraFileChange   change,
                 const char         *old_path,
                 TesseraProject     *project)
{
  /* The server's own script reloads the page when it can; .tessera/ and
   * node_modules/ changes (installs, history) are not the app's. */
  if (self->url == NULL || path == NULL || self->page_hot_reloads ||
      tessera_project_is_ignored (project, path, FALSE))
    return;

  if (self->held)
    {
      self->changed_while_held = TRUE;
      return;
    }

  if (self->live_reload)
    {
      /* Stylesheets are swapped in place, without a load to wait for. */
      if (!g_str_has_suffix (path, ".css") && self->fallback_source == 0)
        self->fallback_source = g_timeout_add (LIVE_RELOAD_FALLBACK_MS, fallback_timeout, self);
      return;
    }

  if (self->reload_source == 0)
    self->reload_source = g_timeout_add (RELOAD_DELAY_MS, reload_timeout, self);
}

/* While held, changes to the project do not reload the page, and the
 * page's live-reload script cannot either: the app, half written, would
 * show errors that mean nothing, and each reload costs the window's
 * frames while the AI writes. Released, the page reloads once if
 * anything changed meanwhile. A reload the user asks for still happens. */
void
tessera_preview_pane_set_held (TesseraPreviewPane *self,
                               gboolean            held)
{
  g_return_if_fail (TESSERA_IS_PREVIEW_PANE (self));

  held = !!held;
  if (self->held == held)
    return;

  self->held = held;
  if (held)
    {
      self->changed_while_held = self->reload_source != 0 || self->fallback_source != 0;
      g_clear_handle_id (&self->reload_source, g_source_remove);
      g_clear_handle_id (&self->fallback_source, g_source_remove);
    }
  else if (self->changed_while_held)
    {
      self->changed_while_held = FALSE;
      reload_keeping_scroll (self);
    }
}

gboolean
tessera_preview_pane_get_held (TesseraPreviewPane *self)
{
  g_return_val_if_fail (TESSERA_IS_PREVIEW_PANE (self), FALSE);

  return self->held;
}

static void
reload_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  reload_keeping_scroll (TESSERA_PREVIEW_PANE (widget));
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  webkit_web_view_go_back (TESSERA_PREVIEW_PANE (widget)->web_view);
}

static void
forward_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  webkit_web_view_go_forward (TESSERA_PREVIEW_PANE (widget)->web_view);
}

static void
devtools_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  TesseraPreviewPane *self = TESSERA_PREVIEW_PANE (widget);

  ensure_web_view (self);
  webkit_web_inspector_show (webkit_web_view_get_inspector (self->web_view));
}

static void
open_in_browser_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  TesseraPreviewPane *self = TESSERA_PREVIEW_PANE (widget);
  const char *uri = self->web_view ? webkit_web_view_get_uri (self->web_view) : NULL;

  if (!is_same_origin (self, uri))
    uri = self->url;
  if (uri != NULL)
    launch_in_browser (self, uri);
}

static void
restart_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  TesseraPreviewPane *self = TESSERA_PREVIEW_PANE (widget);

  if (self->runner != NULL)
    tessera_runner_restart (self->runner);
  g_signal_emit (self, signals[RESTART], 0);
}

static void
tessera_preview_pane_set_console_visible (TesseraPreviewPane *self,
                                          gboolean            visible)
{
  visible = !!visible;
  if (self->console_visible == visible)
    return;

  self->console_visible = visible;
  gtk_widget_set_visible (GTK_WIDGET (self->console_panel), visible);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONSOLE_VISIBLE]);
}

static void
tessera_preview_pane_dispose (GObject *object)
{
  TesseraPreviewPane *self = (TesseraPreviewPane *)object;

  self->disposed = TRUE;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->reload_source, g_source_remove);
  g_clear_handle_id (&self->fallback_source, g_source_remove);
  if (self->create_tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->create_tick_id);
      self->create_tick_id = 0;
    }

  tessera_preview_pane_set_runner (self, NULL);
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_clear_object (&self->project);

  if (self->content_manager != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->content_manager, self);
      webkit_user_content_manager_unregister_script_message_handler (self->content_manager,
                                                                     CONSOLE_HANDLER,
                                                                     SCRIPT_WORLD);
      webkit_user_content_manager_unregister_script_message_handler (self->content_manager,
                                                                     PICK_HANDLER,
                                                                     SCRIPT_WORLD);
    }
  if (self->network_session != NULL)
    g_signal_handlers_disconnect_by_data (self->network_session, self);
  if (self->web_view != NULL)
    g_signal_handlers_disconnect_by_data (self->web_view, self);

  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_PREVIEW_PANE);
  self->web_view = NULL;

  g_clear_object (&self->content_manager);
  g_clear_object (&self->network_session);
  g_clear_object (&self->web_context);

  G_OBJECT_CLASS (tessera_preview_pane_parent_class)->dispose (object);
}

static void
tessera_preview_pane_finalize (GObject *object)
{
  TesseraPreviewPane *self = (TesseraPreviewPane *)object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->origin, g_uri_unref);
  g_clear_pointer (&self->device, g_free);
  g_string_free (self->output_tail, TRUE);

  G_OBJECT_CLASS (tessera_preview_pane_parent_class)->finalize (object);
}

static void
tessera_preview_pane_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  TesseraPreviewPane *self = TESSERA_PREVIEW_PANE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;

    case PROP_URL:
      g_value_set_string (value, self->url);
      break;

    case PROP_DEVICE:
      g_value_set_string (value, self->device);
      break;

    case PROP_LIVE_RELOAD:
      g_value_set_boolean (value, self->live_reload);
      break;

    case PROP_CONSOLE_VISIBLE:
      g_value_set_boolean (value, self->console_visible);
      break;

    case PROP_PAGE_HOT_RELOADS:
      g_value_set_boolean (value, self->page_hot_reloads);
      break;

    case PROP_PICKING:
      g_value_set_boolean (value, self->picking);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_preview_pane_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  TesseraPreviewPane *self = TESSERA_PREVIEW_PANE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      self->project = g_value_dup_object (value);
      if (self->project != NULL)
        g_signal_connect_object (self->project, "file-changed", G_CALLBACK (on_file_changed), self,
                                 G_CONNECT_SWAPPED);
      break;

    case PROP_URL:
      tessera_preview_pane_set_url (self, g_value_get_string (value));
      break;

    case PROP_DEVICE:
      tessera_preview_pane_set_device (self, g_value_get_string (value));
      break;

    case PROP_LIVE_RELOAD:
      tessera_preview_pane_set_live_reload (self, g_value_get_boolean (value));
      break;

    case PROP_CONSOLE_VISIBLE:
      tessera_preview_pane_set_console_visible (self, g_value_get_boolean (value));
      break;

    case PROP_PICKING:
      tessera_preview_pane_set_picking (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_preview_pane_class_init (TesseraPreviewPaneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_preview_pane_dispose;
  object_class->finalize = tessera_preview_pane_finalize;
  object_class->get_property = tessera_preview_pane_get_property;
  object_class->set_property = tessera_preview_pane_set_property;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL,
                         TESSERA_TYPE_PROJECT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEVICE] =
    g_param_spec_string ("device", NULL, NULL,
                         "full",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LIVE_RELOAD] =
    g_param_spec_boolean ("live-reload", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONSOLE_VISIBLE] =
    g_param_spec_boolean ("console-visible", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Whether the page loaded comes from a dev server that updates it itself
   * (hot module reloading): the pane then leaves file changes to it. */
  properties[PROP_PAGE_HOT_RELOADS] =
    g_param_spec_boolean ("page-hot-reloads", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Whether a click in the page picks an element to talk about, instead
   * of reaching the page (see ::element-picked). */
  properties[PROP_PICKING] =
    g_param_spec_boolean ("picking", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The person picked an element: a selector that names it, and its
   * markup (or its opening tag when that is long). */
  signals[ELEMENT_PICKED] =
    g_signal_new ("element-picked",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  signals[FIX_WITH_AI] =
    g_signal_new ("fix-with-ai",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_UINT);
  signals[RESTART] =
    g_signal_new ("restart",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  signals[OPEN_EXTERNAL] =
    g_signal_new_class_handler ("open-external",
                                G_TYPE_FROM_CLASS (klass),
                                G_SIGNAL_RUN_LAST,
                                G_CALLBACK (tessera_preview_pane_real_open_external),
                                g_signal_accumulator_true_handled, NULL, NULL,
                                G_TYPE_BOOLEAN, 1,
                                G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  g_type_ensure (TESSERA_TYPE_CONSOLE_PANEL);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/preview/tessera-preview-pane.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraPreviewPane, address_entry);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreviewPane, console_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreviewPane, device_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreviewPane, console_badge);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreviewPane, paned);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreviewPane, stack);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreviewPane, waiting_page);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreviewPane, waiting_spinner);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreviewPane, scroller);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreviewPane, frame);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreviewPane, crashed_page);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreviewPane, crash_output_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreviewPane, error_page);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreviewPane, console_panel);
  gtk_widget_class_bind_template_callback (widget_class, on_address_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_console_fix_with_ai);
  gtk_widget_class_bind_template_callback (widget_class, update_console_badge);

  gtk_widget_class_install_action (widget_class, "preview.reload", NULL, reload_action);
  gtk_widget_class_install_action (widget_class, "preview.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "preview.forward", NULL, forward_action);
  gtk_widget_class_install_action (widget_class, "preview.devtools", NULL, devtools_action);
  gtk_widget_class_install_action (widget_class, "preview.open-in-browser", NULL, open_in_browser_action);
  gtk_widget_class_install_action (widget_class, "preview.restart", NULL, restart_action);
  gtk_widget_class_install_property_action (widget_class, "preview.device", "device");
  gtk_widget_class_install_property_action (widget_class, "preview.toggle-console", "console-visible");

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "preview.reload", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "preview.reload", NULL);

  gtk_widget_class_set_css_name (widget_class, "tessera-preview-pane");
}

static WebKitUserScript *
load_user_script (const char *name,
                  const char *world)
{
  g_autofree char *path = g_strconcat (RESOURCE_BASE "/preview/", name, NULL);
  g_autoptr(GBytes) bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);

  g_assert (bytes != NULL);

  /* GResource data is always NUL-terminated. */
  if (world != NULL)
    return webkit_user_script_new_for_world (g_bytes_get_data (bytes, NULL),
                                             WEBKIT_USER_CONTENT_INJECT_TOP_FRAME,
                                             WEBKIT_USER_SCRIPT_INJECT_AT_DOCUMENT_START,
                                             world, NULL, NULL);
  return webkit_user_script_new (g_bytes_get_data (bytes, NULL),
                                 WEBKIT_USER_CONTENT_INJECT_TOP_FRAME,
                                 WEBKIT_USER_SCRIPT_INJECT_AT_DOCUMENT_START,
                                 NULL, NULL);
}

/* The web view, and with it WebKit's processes, exists only once there
 * is a page to show: a project opens faster and lighter without them. */
static void
ensure_web_view (TesseraPreviewPane *self)
{
  g_autoptr(WebKitSettings) settings = NULL;
  g_autoptr(WebKitUserScript) main_script = NULL;
  g_autoptr(WebKitUserScript) isolated_script = NULL;
  g_autoptr(WebKitUserScript) picker_script = NULL;
  g_autoptr(WebKitMemoryPressureSettings) memory = NULL;

  if (self->web_view != NULL)
    return;

  /* Generated code is untrusted: its own context and an ephemeral session
   * per pane, never the defaults, so nothing it stores outlives the pane or
   * reaches another project. */
  /* A runaway page (a loop filling an array) is stopped at this limit and
   * shows the "stopped" state, instead of taking the desktop down. */
  memory = webkit_memory_pressure_settings_new ();
  webkit_memory_pressure_settings_set_memory_limit (memory, WEB_PROCESS_MEMORY_LIMIT_MB);
  self->web_context = g_object_new (WEBKIT_TYPE_WEB_CONTEXT,
                                    "memory-pressure-settings", memory,
                                    NULL);
  webkit_web_context_set_cache_model (self->web_context, WEBKIT_CACHE_MODEL_DOCUMENT_VIEWER);
  self->network_session = webkit_network_session_new_ephemeral ();
  g_signal_connect_object (self->network_session, "download-started",
                           G_CALLBACK (on_download_started), self, G_CONNECT_SWAPPED);

  self->content_manager = webkit_user_content_manager_new ();
  main_script = load_user_script ("console-main.js", NULL);
  isolated_script = load_user_script ("console-isolated.js", SCRIPT_WORLD);
  webkit_user_content_manager_add_script (self->content_manager, main_script);
  webkit_user_content_manager_add_script (self->content_manager, isolated_script);
  g_signal_connect_object (self->content_manager, "script-message-received::" CONSOLE_HANDLER,
                           G_CALLBACK (on_console_message), self, G_CONNECT_SWAPPED);
  webkit_user_content_manager_register_script_message_handler (self->content_manager,
                                                               CONSOLE_HANDLER, SCRIPT_WORLD);
  picker_script = load_user_script ("picker-isolated.js", SCRIPT_WORLD);
  webkit_user_content_manager_add_script (self->content_manager, picker_script);
  g_signal_connect_object (self->content_manager, "script-message-received::" PICK_HANDLER,
                           G_CALLBACK (on_pick_message), self, G_CONNECT_SWAPPED);
  webkit_user_content_manager_register_script_message_handler (self->content_manager,
                                                               PICK_HANDLER, SCRIPT_WORLD);

  settings = webkit_settings_new_with_settings ("enable-javascript", TRUE,
                                                "enable-developer-extras", TRUE,
                                                "allow-file-access-from-file-urls", FALSE,
                                                "allow-universal-access-from-file-urls", FALSE,
                                                "allow-top-navigation-to-data-urls", FALSE,
                                                "javascript-can-open-windows-automatically", FALSE,
                                                "javascript-can-access-clipboard", FALSE,
                                                "enable-back-forward-navigation-gestures", FALSE,
                                                "enable-page-cache", FALSE,
                                                "hardware-acceleration-policy", WEBKIT_HARDWARE_ACCELERATION_POLICY_NEVER,
                                                NULL);

  self->web_view = g_object_new (WEBKIT_TYPE_WEB_VIEW,
                                 "web-context", self->web_context,
                                 "network-session", self->network_session,
                                 "user-content-manager", self->content_manager,
                                 "settings", settings,
                                 NULL);

  g_signal_connect_object (self->web_view, "decide-policy", G_CALLBACK (on_decide_policy), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->web_view, "create", G_CALLBACK (on_create), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->web_view, "permission-request", G_CALLBACK (on_permission_request),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->web_view, "web-process-terminated",
                           G_CALLBACK (on_web_process_terminated), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->web_view, "load-changed", G_CALLBACK (on_load_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->web_view, "load-failed", G_CALLBACK (on_load_failed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->web_view, "notify::uri", G_CALLBACK (on_uri_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (webkit_web_view_get_back_forward_list (self->web_view), "changed",
                           G_CALLBACK (on_back_forward_changed), self, G_CONNECT_SWAPPED);

  gtk_widget_set_hexpand (GTK_WIDGET (self->web_view), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self->web_view), TRUE);

  self->height_clamp = ADW_CLAMP (adw_clamp_new ());
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->height_clamp), GTK_ORIENTATION_VERTICAL);
  adw_clamp_set_child (self->height_clamp, GTK_WIDGET (self->web_view));

  self->width_clamp = ADW_CLAMP (adw_clamp_new ());
  gtk_widget_set_hexpand (GTK_WIDGET (self->width_clamp), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self->width_clamp), TRUE);
  adw_clamp_set_child (self->width_clamp, GTK_WIDGET (self->height_clamp));

  gtk_box_append (self->frame, GTK_WIDGET (self->width_clamp));
  apply_device (self);
  update_navigation_actions (self);
}

static void
tessera_preview_pane_init (TesseraPreviewPane *self)
{
  tessera_style_sheet_ensure (RESOURCE_BASE "/preview/style.css");

  /* Before the template: its device menu reads the action's state. */
  self->device = g_strdup ("full");

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->output_tail = g_string_new (NULL);

  apply_device (self);

  tessera_preview_pane_set_status (self, NULL, FALSE);
  update_navigation_actions (self);
  update_console_badge (self, NULL, self->console_panel);
}

TesseraPreviewPane *
tessera_preview_pane_new (TesseraProject *project)
{
  g_return_val_if_fail (project == NULL || TESSERA_IS_PROJECT (project), NULL);

  return g_object_new (TESSERA_TYPE_PREVIEW_PANE, "project", project, NULL);
}

TesseraProject *
tessera_preview_pane_get_project (TesseraPreviewPane *self)
{
  g_return_val_if_fail (TESSERA_IS_PREVIEW_PANE (self), NULL);

  return self->project;
}

/* Making the web view starts WebKit's processes, which compete with the
 * window's first frame for the processor: let the frame that shows the
 * project be drawn first. A hidden pane ticks not at all, so a preview
 * nobody looks at costs nothing. */
static gboolean
create_web_view_tick_cb (GtkWidget     *widget,
                         GdkFrameClock *clock,
                         gpointer       user_data)
{
  TesseraPreviewPane *self = TESSERA_PREVIEW_PANE (widget);

  /* The first tick belongs to the frame being drawn now. */
  if (self->create_ticks++ == 0)
    return G_SOURCE_CONTINUE;

  self->create_tick_id = 0;
  if (self->url != NULL && self->web_view == NULL)
    {
      ensure_web_view (self);
      webkit_web_view_load_uri (self->web_view, self->url);
    }

  return G_SOURCE_REMOVE;
}

void
tessera_preview_pane_set_url (TesseraPreviewPane *self,
                              const char         *url)
{
  g_autoptr(GUri) origin = NULL;

  g_return_if_fail (TESSERA_IS_PREVIEW_PANE (self));

  if (url != NULL)
    {
      origin = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
      if (origin == NULL || !is_web_uri (origin))
        {
          g_warning ("Not a web address for the preview: %s", url);
          return;
        }
    }

  if (g_strcmp0 (self->url, url) == 0)
    return;

  g_clear_pointer (&self->origin, g_uri_unref);
  self->origin = g_steal_pointer (&origin);
  g_free (self->url);
  self->url = g_strdup (url);
  self->restore_scroll = FALSE;
  g_clear_handle_id (&self->reload_source, g_source_remove);
  g_clear_handle_id (&self->fallback_source, g_source_remove);

  if (url != NULL)
    {
      g_autofree char *path = display_path (self, url);

      /* The view's URI may not change (the same app again): say it now. */
      gtk_editable_set_text (GTK_EDITABLE (self->address_entry), path);
      if (self->web_view != NULL)
        webkit_web_view_load_uri (self->web_view, url);
      else if (self->create_tick_id == 0)
        {
          self->create_ticks = 0;
          self->create_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), create_web_view_tick_cb,
                                                               NULL, NULL);
        }
    }
  else
    {
      if (self->web_view != NULL)
        webkit_web_view_stop_loading (self->web_view);
      gtk_editable_set_text (GTK_EDITABLE (self->address_entry), "");
      show_page (self, "waiting");
    }

  update_navigation_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
}

const char *
tessera_preview_pane_get_url (TesseraPreviewPane *self)
{
  g_return_val_if_fail (TESSERA_IS_PREVIEW_PANE (self), NULL);

  return self->url;
}

void
tessera_preview_pane_set_live_reload (TesseraPreviewPane *self,
                                      gboolean            live_reload)
{
  g_return_if_fail (TESSERA_IS_PREVIEW_PANE (self));

  live_reload = !!live_reload;
  if (self->live_reload == live_reload)
    return;

  self->live_reload = live_reload;
  g_clear_handle_id (&self->reload_source, g_source_remove);
  g_clear_handle_id (&self->fallback_source, g_source_remove);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIVE_RELOAD]);
}

gboolean
tessera_preview_pane_get_live_reload (TesseraPreviewPane *self)
{
  g_return_val_if_fail (TESSERA_IS_PREVIEW_PANE (self), FALSE);

  return self->live_reload;
}

void
tessera_preview_pane_set_status (TesseraPreviewPane *self,
                                 const char         *status_message,
                                 gboolean            busy)
{
  g_return_if_fail (TESSERA_IS_PREVIEW_PANE (self));

  /* Never a blank pane: say what the preview waits for. */
  if (self->url == NULL)
    {
      if (status_message != NULL && status_message[0] != '\0')
        {
          adw_status_page_set_title (self->waiting_page, status_message);
          adw_status_page_set_description (self->waiting_page,
                                           busy ? _("The preview appears as soon as the app answers.")
                                                : NULL);
        }
      else
        {
          adw_status_page_set_title (self->waiting_page, _("Nothing to Preview Yet"));
          adw_status_page_set_description (self->waiting_page,
                                           _("Describe an app in the chat, and it will run here."));
        }
      gtk_widget_set_visible (GTK_WIDGET (self->waiting_spinner), busy);
      show_page (self, "waiting");
    }
}

void
tessera_preview_pane_show_crashed (TesseraPreviewPane *self,
                                   const char         *message,
                                   const char         *output)
{
  g_autofree char *tail = NULL;

  g_return_if_fail (TESSERA_IS_PREVIEW_PANE (self));

  /* The last lines are where servers say why they stopped. */
  if (output != NULL && output[0] != '\0')
    {
      g_auto(GStrv) lines = g_strsplit (output, "\n", -1);
      g_autoptr(GString) joined = g_string_new (NULL);
      guint n = g_strv_length (lines);

      while (n > 0 && g_strchomp (lines[n - 1])[0] == '\0')
        n--;
      for (guint i = n > CRASH_OUTPUT_LINES ? n - CRASH_OUTPUT_LINES : 0; i < n; i++)
        {
          if (joined->len > 0)
            g_string_append_c (joined, '\n');
          g_string_append (joined, lines[i]);
        }
      tail = g_string_free (g_steal_pointer (&joined), FALSE);
    }

  adw_status_page_set_description (self->crashed_page, message);
  gtk_label_set_label (self->crash_output_label, tail ?: "");
  gtk_widget_set_visible (GTK_WIDGET (self->crash_output_label), tail != NULL && tail[0] != '\0');
  show_page (self, "crashed");
}

void
tessera_preview_pane_set_device (TesseraPreviewPane *self,
                                 const char         *device)
{
  gboolean known = FALSE;

  g_return_if_fail (TESSERA_IS_PREVIEW_PANE (self));

  for (guint i = 0; i < G_N_ELEMENTS (devices); i++)
    known |= g_strcmp0 (devices[i].name, device) == 0;
  if (!known)
    device = "full";

  if (g_strcmp0 (self->device, device) == 0)
    return;

  g_free (self->device);
  self->device = g_strdup (device);
  apply_device (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE]);
}

const char *
tessera_preview_pane_get_device (TesseraPreviewPane *self)
{
  g_return_val_if_fail (TESSERA_IS_PREVIEW_PANE (self), NULL);

  return self->device;
}

WebKitWebView *
tessera_preview_pane_get_web_view (TesseraPreviewPane *self)
{
  g_return_val_if_fail (TESSERA_IS_PREVIEW_PANE (self), NULL);

  ensure_web_view (self);
  return self->web_view;
}

GtkWidget *
tessera_preview_pane_get_console_panel (TesseraPreviewPane *self)
{
  g_return_val_if_fail (TESSERA_IS_PREVIEW_PANE (self), NULL);

  return GTK_WIDGET (self->console_panel);
}

/* Runner following */

static void
append_output (TesseraPreviewPane *self,
               const char         *text)
{
  static GRegex *escapes;

  g_autofree char *plain = NULL;

  if (g_once_init_enter (&escapes))
    g_once_init_leave (&escapes,
                       g_regex_new ("\x1b(\\[[0-?]*[ -/]*[@-~]|\\][^\x07\x1b]*(\x07|\x1b\\\\)?|.)",
                                    G_REGEX_OPTIMIZE, 0, NULL));

  plain = g_regex_replace_literal (escapes, text, -1, 0, "", 0, NULL);
  if (plain == NULL)
    return;

  g_string_append (self->output_tail, plain);
  if (self->output_tail->len > MAX_OUTPUT_TAIL)
    g_string_erase (self->output_tail, 0, self->output_tail->len - MAX_OUTPUT_TAIL);
}

static void
on_runner_output (TesseraPreviewPane   *self,
                  TesseraProcessStream  stream,
                  const char           *text,
                  TesseraRunner        *runner)
{
  append_output (self, text);
}

static void
sync_from_runner (TesseraPreviewPane *self)
{
  TesseraRunnerState state;
  const char *status;

  if (self->runner == NULL)
    return;

  state = tessera_runner_get_state (self->runner);
  status = tessera_runner_get_status_message (self->runner);

  tessera_preview_pane_set_live_reload (self, tessera_runner_get_live_reload (self->runner));

  switch (state)
    {
    case TESSERA_RUNNER_READY:
      tessera_preview_pane_set_status (self, status, FALSE);
      tessera_preview_pane_set_url (self, tessera_runner_get_url (self->runner));
      break;

    case TESSERA_RUNNER_CRASHED:
      tessera_preview_pane_set_url (self, NULL);
      tessera_preview_pane_set_status (self, status, FALSE);
      tessera_preview_pane_show_crashed (self, status, self->output_tail->str);
      break;

    case TESSERA_RUNNER_INSTALLING:
    case TESSERA_RUNNER_STARTING:
      tessera_preview_pane_set_url (self, NULL);
      tessera_preview_pane_set_status (self, status, TRUE);
      break;

    case TESSERA_RUNNER_IDLE:
    case TESSERA_RUNNER_STOPPED:
    default:
      tessera_preview_pane_set_url (self, NULL);
      tessera_preview_pane_set_status (self, status, FALSE);
      break;
    }
}

void
tessera_preview_pane_set_runner (TesseraPreviewPane *self,
                                 TesseraRunner      *runner)
{
  g_return_if_fail (TESSERA_IS_PREVIEW_PANE (self));
  g_return_if_fail (runner == NULL || TESSERA_IS_RUNNER (runner));

  if (runner == self->runner)
    return;

  if (self->runner != NULL)
    g_signal_handlers_disconnect_by_data (self->runner, self);
  g_set_object (&self->runner, runner);
  g_string_truncate (self->output_tail, 0);

  if (self->runner != NULL)
    {
      const char *log = tessera_runner_get_log (self->runner);

      if (log != NULL)
        append_output (self, log);

      g_signal_connect_object (self->runner, "notify::state",
                               G_CALLBACK (sync_from_runner), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->runner, "notify::status-message",
                               G_CALLBACK (sync_from_runner), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->runner, "notify::url",
                               G_CALLBACK (sync_from_runner), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->runner, "notify::live-reload",
                               G_CALLBACK (sync_from_runner), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->runner, "output",
                               G_CALLBACK (on_runner_output), self, G_CONNECT_SWAPPED);
      sync_from_runner (self);
    }
  else if (!self->disposed)
    {
      tessera_preview_pane_set_url (self, NULL);
      tessera_preview_pane_set_status (self, NULL, FALSE);
    }
}

TesseraRunner *
tessera_preview_pane_get_runner (TesseraPreviewPane *self)
{
  g_return_val_if_fail (TESSERA_IS_PREVIEW_PANE (self), NULL);

  return self->runner;
}
