/* tessera-chat-message.h: one message in the chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "tessera-action.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_CHAT_MESSAGE (tessera_chat_message_get_type ())
G_DECLARE_FINAL_TYPE (TesseraChatMessage, tessera_chat_message, TESSERA, CHAT_MESSAGE, GtkWidget)

GtkWidget  *tessera_chat_message_new          (gboolean            from_user);
gboolean    tessera_chat_message_get_from_user (TesseraChatMessage *self);
const char *tessera_chat_message_get_text     (TesseraChatMessage *self);
void        tessera_chat_message_set_text     (TesseraChatMessage *self,
                                               const char         *text);
void        tessera_chat_message_append_text  (TesseraChatMessage *self,
                                               const char         *text);
void        tessera_chat_message_add_action   (TesseraChatMessage *self,
                                               TesseraAction      *action);
guint       tessera_chat_message_get_n_actions (TesseraChatMessage *self);
void        tessera_chat_message_set_streaming (TesseraChatMessage *self,
                                               gboolean            streaming);
/* Token counts of the turn; 0 hides them. */
void        tessera_chat_message_set_usage    (TesseraChatMessage *self,
                                               guint               input_tokens,
                                               guint               output_tokens);
/* A problem with the turn, shown under the message, with a button that
 * emits ::retry ("Retry") or ::continue ("Continue") when @action is set. */
void        tessera_chat_message_set_problem  (TesseraChatMessage *self,
                                               const char         *message,
                                               const char         *action);

/* Signals: ::open-file (const char *path), ::retry, ::continue */

G_END_DECLS
