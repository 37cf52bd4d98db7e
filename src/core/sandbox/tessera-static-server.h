/* tessera-static-server.h: the built-in web server for static sites
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The event stream that the injected live-reload script listens on. */
#define TESSERA_STATIC_SERVER_EVENTS_PATH "/__tessera/events"

#define TESSERA_TYPE_STATIC_SERVER (tessera_static_server_get_type ())
G_DECLARE_FINAL_TYPE (TesseraStaticServer, tessera_static_server, TESSERA, STATIC_SERVER, GObject)

TesseraStaticServer *tessera_static_server_new            (GFile                *root);
/* Listens on 127.0.0.1 on a free port. Does not block. */
gboolean             tessera_static_server_start          (TesseraStaticServer  *self,
                                                           GError              **error);
/* Stops listening and ends every live-reload stream. */
void                 tessera_static_server_stop           (TesseraStaticServer  *self);
GFile               *tessera_static_server_get_root       (TesseraStaticServer  *self);
/* "http://127.0.0.1:PORT/", NULL while stopped. */
const char          *tessera_static_server_get_url        (TesseraStaticServer  *self);
guint                tessera_static_server_get_port       (TesseraStaticServer  *self);
/* Tells open pages that @path (relative to the root) changed. Bursts are
 * coalesced into one event: "css" when only stylesheets changed (swapped
 * in place), else "reload"; its data is the version after the burst. */
void                 tessera_static_server_notify_changed (TesseraStaticServer  *self,
                                                           const char           *path);
/* Bumped by every notified change, never reset: HTML responses embed the
 * version they were read at, and each event stream starts with
 * "event: hello" carrying the current one, so a page reloads on any change
 * it has not seen, even one made before its stream connected. */
guint64              tessera_static_server_get_version    (TesseraStaticServer  *self);

G_END_DECLS
