/* tessera-sse-parser.h: incremental server-sent events parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Parses text/event-stream as the HTML standard defines it: any chunking,
 * CRLF, LF or CR line ends, a BOM at the start, comments (":..."), a field
 * without a colon (whole line is the name), one optional space after the
 * colon, data lines joined with "\n". An event is dispatched at a blank
 * line when it has data; "[DONE]" and the like are the caller's business.
 *
 * @event_type: the "event:" field, "message" when there was none.
 * @data: the event's data, NUL-terminated (also @data_len bytes).
 * @last_event_id: the last "id:" seen so far, "" when none.
 */
typedef void (*TesseraSseEventFunc) (const char *event_type,
                                     const char *data,
                                     gsize       data_len,
                                     const char *last_event_id,
                                     gpointer    user_data);

typedef struct _TesseraSseParser TesseraSseParser;

TesseraSseParser *tessera_sse_parser_new       (TesseraSseEventFunc  func,
                                                gpointer             user_data);
void              tessera_sse_parser_free      (TesseraSseParser    *self);
/* Feeds the next bytes of the stream. The callback may run several times,
 * synchronously; it must not free the parser. */
void              tessera_sse_parser_feed      (TesseraSseParser    *self,
                                                const char          *data,
                                                gsize                len);
/* The last "retry:" value in milliseconds, or -1 when none was sent. */
gint64            tessera_sse_parser_get_retry (TesseraSseParser    *self);
/* Forgets any partial line and event, as after a reconnection. The last
 * event id is kept. */
void              tessera_sse_parser_reset     (TesseraSseParser    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraSseParser, tessera_sse_parser_free)

G_END_DECLS
