/* tessera-preview-pane.h: the running app, in a confined web view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>
#include <webkit/webkit.h>

#include "tessera-project.h"
#include "tessera-runner.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_PREVIEW_PANE (tessera_preview_pane_get_type ())
G_DECLARE_FINAL_TYPE (TesseraPreviewPane, tessera_preview_pane, TESSERA, PREVIEW_PANE, AdwBin)

/* @project may be NULL (nothing reloads on file changes then). */
TesseraPreviewPane *tessera_preview_pane_new            (TesseraProject     *project);
TesseraProject     *tessera_preview_pane_get_project    (TesseraPreviewPane *self);
/* Follows @runner's state, status message and URL (NULL: none). */
void                tessera_preview_pane_set_runner     (TesseraPreviewPane *self,
                                                         TesseraRunner      *runner);
TesseraRunner      *tessera_preview_pane_get_runner     (TesseraPreviewPane *self);
/* Loads @url and pins navigation to its origin. NULL shows the waiting
 * state again. */
void                tessera_preview_pane_set_url        (TesseraPreviewPane *self,
                                                         const char         *url);
const char         *tessera_preview_pane_get_url        (TesseraPreviewPane *self);
/* Whether the server reloads the page itself (Tessera's static server);
 * otherwise the pane reloads after file changes. */
void                tessera_preview_pane_set_live_reload (TesseraPreviewPane *self,
                                                          gboolean            live_reload);
gboolean            tessera_preview_pane_get_live_reload (TesseraPreviewPane *self);
/* Shows what the preview waits for ("Installing dependencies…"), with a
 * spinner; used while there is no URL yet. */
void                tessera_preview_pane_set_status     (TesseraPreviewPane *self,
                                                         const char         *status_message,
                                                         gboolean            busy);
/* Shows the app-crashed state with the last lines of output. */
void                tessera_preview_pane_show_crashed   (TesseraPreviewPane *self,
                                                         const char         *message,
                                                         const char         *output);
/* "phone", "tablet", "desktop" or "full". */
void                tessera_preview_pane_set_device     (TesseraPreviewPane *self,
                                                         const char         *device);
const char         *tessera_preview_pane_get_device     (TesseraPreviewPane *self);
/* Held while the AI writes the app: no reloads until released. */
void                tessera_preview_pane_set_held       (TesseraPreviewPane *self,
                                                         gboolean            held);
gboolean            tessera_preview_pane_get_held       (TesseraPreviewPane *self);
/* Picking: a click in the page names an element (::element-picked)
 * instead of reaching the page; Escape or a new page ends it. */
void                tessera_preview_pane_set_picking    (TesseraPreviewPane *self,
                                                         gboolean            picking);
gboolean            tessera_preview_pane_get_picking    (TesseraPreviewPane *self);
WebKitWebView      *tessera_preview_pane_get_web_view   (TesseraPreviewPane *self);
GtkWidget          *tessera_preview_pane_get_console_panel (TesseraPreviewPane *self);

/* Signals:
 *   ::fix-with-ai (TesseraPreviewPane *self, const char *message,
 *                  const char *source, guint line)
 *     The user asked the AI to fix a console error. @source is a path
 *     relative to the app's origin ("/src/app.js") or a full URL.
 *   ::restart (TesseraPreviewPane *self)
 *     The user asked to restart a crashed app (the pane restarts its runner
 *     itself when it has one).
 *   ::element-picked (TesseraPreviewPane *self, const char *selector,
 *                     const char *html)
 *     The user picked an element of the page to talk about: a selector
 *     naming it and its markup (its opening tag only, when long).
 *   ::open-external (TesseraPreviewPane *self, const char *uri) -> gboolean
 *     The user clicked a link to another site; the default handler opens
 *     it in the browser.
 * Properties: "url", "device", "live-reload", "console-visible",
 * "picking" and "page-hot-reloads" (read-only: the page comes from a dev
 * server that updates it itself, such as Vite; file changes are left to
 * it).
 * Actions: preview.reload (Ctrl+R, F5), preview.back, preview.forward,
 * preview.devtools, preview.open-in-browser, preview.device (string state),
 * preview.toggle-console, preview.restart.
 */

G_END_DECLS
