/* tessera-conversation.h: a project's chat, kept in .tessera/chat/
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "tessera-chat-message.h"

G_BEGIN_DECLS

#define TESSERA_CONVERSATION_VERSION 1

#define TESSERA_TYPE_CONVERSATION (tessera_conversation_get_type ())
G_DECLARE_FINAL_TYPE (TesseraConversation, tessera_conversation, TESSERA, CONVERSATION, GObject)

/* @file is where the conversation lives (.tessera/chat/conversation.json),
 * @attachments the folder its images are kept in, each once, under
 * tessera_image_get_name() (.tessera/chat/attachments). */
TesseraConversation *tessera_conversation_new          (GFile                *file,
                                                        GFile                *attachments);
GFile               *tessera_conversation_get_file     (TesseraConversation  *self);
/* The messages (TesseraChatMessage), oldest first. */
GListModel          *tessera_conversation_get_messages (TesseraConversation  *self);
guint                tessera_conversation_get_n_messages (TesseraConversation *self);
TesseraChatMessage  *tessera_conversation_get_message  (TesseraConversation  *self,
                                                        guint                 position);

/* Reads the file. A missing file is an empty conversation. A corrupt one
 * is kept as conversation.json.corrupt-DATE and the conversation starts
 * empty with a notice message saying so (not an error). An image that
 * cannot be read back is left out of its message. */
void                 tessera_conversation_load_async   (TesseraConversation  *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean             tessera_conversation_load_finish  (TesseraConversation  *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

void                 tessera_conversation_append       (TesseraConversation  *self,
                                                        TesseraChatMessage   *message);
void                 tessera_conversation_clear        (TesseraConversation  *self);

/* Why the last save failed, or NULL (see :save-error). */
const GError        *tessera_conversation_get_save_error (TesseraConversation *self);
/* Schedules an atomic save (coalesced: at most one write runs at a time,
 * the latest state is always written last). */
void                 tessera_conversation_save         (TesseraConversation  *self);
/* Completes once every scheduled save has been written, or with the
 * error of the last one when it failed. */
void                 tessera_conversation_flush_async  (TesseraConversation  *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean             tessera_conversation_flush_finish (TesseraConversation  *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

/* The JSON form, for the file and for tests. */
GBytes              *tessera_conversation_serialize    (TesseraConversation  *self);

G_END_DECLS
