/* tessera-e2b-stream.h: one envd process event stream (Connect server-streaming)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_E2B_STREAM (tessera_e2b_stream_get_type ())
G_DECLARE_FINAL_TYPE (TesseraE2bStream, tessera_e2b_stream, TESSERA, E2B_STREAM, GObject)

/* Reads Connect envelopes (5-byte header, JSON) from @input as they
 * arrive. @owner (usually the SoupMessage) is kept alive with the stream. */
TesseraE2bStream *tessera_e2b_stream_new              (GInputStream      *input,
                                                       GObject           *owner);
/* Starts reading; completes at the process's "start" event (or with the
 * error that came first). Reading then goes on until the stream ends. */
void              tessera_e2b_stream_start_async      (TesseraE2bStream  *self,
                                                       GCancellable      *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer           user_data);
gboolean          tessera_e2b_stream_start_finish     (TesseraE2bStream  *self,
                                                       GAsyncResult      *result,
                                                       GError           **error);
guint             tessera_e2b_stream_get_pid          (TesseraE2bStream  *self);
/* Stops reading without touching the process (it keeps running). */
void              tessera_e2b_stream_close            (TesseraE2bStream  *self);

/* Turns an envd end event into an exit status: the exit code, or 128 plus
 * the signal number for a killed process. */
int               tessera_e2b_stream_exit_status_from_end (gint64      exit_code,
                                                           gboolean    exited,
                                                           const char *status);

/* Signals:
 *   ::output (self, TesseraProcessStream stream, GBytes *data)
 *   ::ended  (self, int exit_status, const char *error_or_null)
 *            the process ended: an end event arrived.
 *   ::lost   (self, GError *error)
 *            the stream ended without an end event (cut connection, an
 *            end-stream error such as deadline_exceeded, a bad envelope):
 *            the process may still run.
 * Exactly one of ::ended and ::lost is emitted, once.
 */

G_END_DECLS
