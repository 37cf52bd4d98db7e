/* tessera-protocol-parser.h: turns a streamed answer into actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "tessera-action.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_PROTOCOL_PARSER (tessera_protocol_parser_get_type ())
G_DECLARE_FINAL_TYPE (TesseraProtocolParser, tessera_protocol_parser, TESSERA, PROTOCOL_PARSER, GObject)

TesseraProtocolParser *tessera_protocol_parser_new        (void);
/* Feeds the next piece of the answer, split anywhere (even inside a UTF-8
 * character or a tag). Signals are emitted before this returns. */
void                   tessera_protocol_parser_feed       (TesseraProtocolParser *self,
                                                           const char            *data,
                                                           gsize                  len);
/* The answer is complete (or the stream ended): flushes what was held
 * back; an action still open ends with "truncated" set. Further feeds are
 * ignored. */
void                   tessera_protocol_parser_finish     (TesseraProtocolParser *self);
/* Every action begun so far, in order. */
GPtrArray             *tessera_protocol_parser_get_actions (TesseraProtocolParser *self);
/* The prose of the answer so far (without the actions). */
const char            *tessera_protocol_parser_get_text    (TesseraProtocolParser *self);
/* How many code fences in the prose began with a tag. They are shown as
 * examples, not run; when nothing else was found, the model probably
 * meant them, and the session says so rather than "no changes". */
guint                  tessera_protocol_parser_get_fenced_examples (TesseraProtocolParser *self);

/* The system prompt that teaches the model this protocol. */
GBytes                *tessera_protocol_get_system_prompt  (void);

/* Signals:
 *   ::text (TesseraProtocolParser *self, const char *chunk, gsize len)
 *     Prose for the chat. @chunk is not NUL-terminated.
 *   ::action-begin (TesseraProtocolParser *self, TesseraAction *action)
 *     Its attributes (path...) are set; its content is still empty.
 *   ::action-delta (TesseraProtocolParser *self, TesseraAction *action,
 *                   const char *chunk, gsize len)
 *     The next piece of the action's content, already cleaned (fences
 *     stripped, HTML entities decoded) and appended to the action.
 *   ::action-end (TesseraProtocolParser *self, TesseraAction *action)
 */

G_END_DECLS
