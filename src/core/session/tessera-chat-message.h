/* tessera-chat-message.h: one message of a project's conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "tessera-action.h"
#include "tessera-image.h"

G_BEGIN_DECLS

typedef enum
{
  TESSERA_CHAT_ROLE_USER,
  TESSERA_CHAT_ROLE_ASSISTANT,
  /* Said by Tessera itself ("The conversation could not be read…"); never
   * sent to the model. */
  TESSERA_CHAT_ROLE_NOTICE,
} TesseraChatRole;

typedef enum
{
  /* Still streaming or being applied. */
  TESSERA_TURN_RUNNING,
  /* Everything the model asked for was done. */
  TESSERA_TURN_COMPLETE,
  /* Some actions were refused or failed (see each action's message). */
  TESSERA_TURN_PARTIAL,
  /* The answer contained code but no change could be applied from it:
   * the UI offers to retry. */
  TESSERA_TURN_NOTHING_APPLIED,
  /* The connection dropped mid-answer: what arrived is kept;
   * tessera_session_continue_async() resumes. */
  TESSERA_TURN_INCOMPLETE,
  /* Stopped by the user: every file is back as before the turn. */
  TESSERA_TURN_CANCELLED,
  /* An error (see the turn's GError): every file is back as before. */
  TESSERA_TURN_FAILED,
} TesseraTurnStatus;

#define TESSERA_TYPE_CHAT_MESSAGE (tessera_chat_message_get_type ())
G_DECLARE_FINAL_TYPE (TesseraChatMessage, tessera_chat_message, TESSERA, CHAT_MESSAGE, GObject)

TesseraChatMessage *tessera_chat_message_new             (TesseraChatRole     role,
                                                          const char         *text);
TesseraChatRole     tessera_chat_message_get_role        (TesseraChatMessage *self);
/* The prose (for the assistant: without the actions, which are in
 * get_actions()). Property "text", notified as it streams. */
const char         *tessera_chat_message_get_text        (TesseraChatMessage *self);
void                tessera_chat_message_append_text     (TesseraChatMessage *self,
                                                          const char         *text,
                                                          gssize              len);
/* TRUE for the follow-ups Tessera sends by itself (failed edits, a cut-off
 * answer): the UI shows them small. */
gboolean            tessera_chat_message_get_automatic   (TesseraChatMessage *self);
void                tessera_chat_message_set_automatic   (TesseraChatMessage *self,
                                                          gboolean            automatic);
GDateTime          *tessera_chat_message_get_time        (TesseraChatMessage *self);
void                tessera_chat_message_set_time        (TesseraChatMessage *self,
                                                          GDateTime          *time);
/* The images attached to a user message, in order (TesseraImage), or
 * NULL when it has none. */
GPtrArray          *tessera_chat_message_get_images      (TesseraChatMessage *self);
void                tessera_chat_message_add_image       (TesseraChatMessage *self,
                                                          TesseraImage       *image);
/* The actions of an assistant message, in order (TesseraAction). */
GPtrArray          *tessera_chat_message_get_actions     (TesseraChatMessage *self);
void                tessera_chat_message_add_action      (TesseraChatMessage *self,
                                                          TesseraAction      *action);
/* Property "status": for assistant messages, how their turn ended. */
TesseraTurnStatus   tessera_chat_message_get_status      (TesseraChatMessage *self);
void                tessera_chat_message_set_status      (TesseraChatMessage *self,
                                                          TesseraTurnStatus   status);
/* Usage: what the server reported (0 when it did not) and Tessera's
 * own estimate of the request (bytes / 4). */
guint               tessera_chat_message_get_input_tokens  (TesseraChatMessage *self);
guint               tessera_chat_message_get_output_tokens (TesseraChatMessage *self);
guint               tessera_chat_message_get_estimated_tokens (TesseraChatMessage *self);
/* What the answer cost in US dollars, as its provider reported it, or a
 * negative value when it did not say. */
double              tessera_chat_message_get_cost        (TesseraChatMessage *self);
void                tessera_chat_message_set_usage       (TesseraChatMessage *self,
                                                          guint               input_tokens,
                                                          guint               output_tokens,
                                                          double              cost);
void                tessera_chat_message_set_estimated_tokens (TesseraChatMessage *self,
                                                          guint               tokens);

/* The form sent back to the model in later turns: the prose plus one line
 * per action ("[wrote index.html]"), since the files themselves are sent
 * as they are now. */
char               *tessera_chat_message_to_history      (TesseraChatMessage *self);

const char         *tessera_turn_status_to_string        (TesseraTurnStatus   status);
TesseraTurnStatus   tessera_turn_status_from_string      (const char         *string);

G_END_DECLS
