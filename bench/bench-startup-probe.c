/* bench-startup-probe.c: what a window's parts cost at start-up
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   bench-startup-probe plain|webview|sourceview [FILE]
 *
 * A 1280×800 AdwApplicationWindow with a header bar, as Tessera's, holding
 * one of:
 *
 *   plain       an AdwStatusPage, like the start page
 *   webview     a WebKitWebView with its own WebKitWebContext and an
 *               ephemeral WebKitNetworkSession, showing a small page, as the
 *               preview pane makes one
 *   sourceview  a GtkSourceView showing FILE with its language guessed
 *
 * The binary links WebKitGTK and GtkSourceView in every mode, as Tessera
 * will, so "plain" shows what merely linking them costs and the other modes
 * what creating them adds. Run it through bench/bench-startup --case, which
 * measures it exactly as it measures Tessera and gnome-text-editor.
 */

#include "config.h"

#include <adwaita.h>
#include <gtksourceview/gtksource.h>
#include <webkit/webkit.h>

static const char *mode;
static const char *path;

static GtkWidget *
make_webview (void)
{
  g_autoptr(WebKitWebContext) context = webkit_web_context_new ();
  g_autoptr(WebKitNetworkSession) session = webkit_network_session_new_ephemeral ();
  WebKitWebView *view;

  view = g_object_new (WEBKIT_TYPE_WEB_VIEW,
                       "web-context", context,
                       "network-session", session,
                       NULL);
  webkit_web_view_load_html (view,
                             "<!doctype html><title>Counter</title>"
                             "<h1>Counter</h1><button>Add one</button><output>0</output>",
                             "about:blank");
  return GTK_WIDGET (view);
}

static GtkWidget *
make_sourceview (void)
{
  GtkSourceLanguageManager *languages;
  g_autoptr(GtkSourceBuffer) buffer = NULL;
  g_autofree char *text = NULL;
  GtkSourceLanguage *language;
  GtkWidget *view;
  GtkWidget *scroller;

  gtk_source_init ();
  languages = gtk_source_language_manager_get_default ();
  buffer = gtk_source_buffer_new (NULL);
  if (path != NULL && g_file_get_contents (path, &text, NULL, NULL))
    gtk_text_buffer_set_text (GTK_TEXT_BUFFER (buffer), text, -1);
  language = gtk_source_language_manager_guess_language (languages, path, NULL);
  if (language != NULL)
    gtk_source_buffer_set_language (buffer, language);

  view = gtk_source_view_new_with_buffer (buffer);
  gtk_source_view_set_show_line_numbers (GTK_SOURCE_VIEW (view), TRUE);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
  return scroller;
}

static void
activate (GApplication *app)
{
  GtkWidget *window = adw_application_window_new (GTK_APPLICATION (app));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *content;

  if (g_strcmp0 (mode, "webview") == 0)
    content = make_webview ();
  else if (g_strcmp0 (mode, "sourceview") == 0)
    content = make_sourceview ();
  else
    {
      content = adw_status_page_new ();
      adw_status_page_set_icon_name (ADW_STATUS_PAGE (content), "text-editor-symbolic");
      adw_status_page_set_title (ADW_STATUS_PAGE (content), "Start");
    }
  gtk_widget_set_vexpand (content, TRUE);

  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), content);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AdwApplication) app = NULL;

  if (argc < 2)
    {
      g_printerr ("usage: bench-startup-probe plain|webview|sourceview [FILE]\n");
      return 2;
    }
  mode = argv[1];
  path = argc > 2 ? argv[2] : NULL;

  /* Keep the probe's own dependencies linked in every mode, as they will
   * be in Tessera, whatever the linker's --as-needed would drop. */
  g_debug ("WebKitGTK %u, GtkSourceView %u",
           webkit_get_major_version (), gtk_source_get_major_version ());

  app = adw_application_new ("io.github.tessera.StartupProbe", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (activate), NULL);
  return g_application_run (G_APPLICATION (app), 1, argv);
}
