/* tessera-chat-pane.h: the conversation with the AI
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "tessera-session.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_CHAT_PANE (tessera_chat_pane_get_type ())
G_DECLARE_FINAL_TYPE (TesseraChatPane, tessera_chat_pane, TESSERA, CHAT_PANE, GtkWidget)

GtkWidget      *tessera_chat_pane_new         (void);
TesseraSession *tessera_chat_pane_get_session (TesseraChatPane *self);
void            tessera_chat_pane_set_session (TesseraChatPane *self,
                                               TesseraSession  *session);
/* Reads @file into an image that goes with the next message. */
void            tessera_chat_pane_attach_file (TesseraChatPane *self,
                                               GFile           *file);
/* The element picked in the preview, that the next message is about:
 * shown above the prompt and sent with it. NULL forgets it. */
void            tessera_chat_pane_set_element (TesseraChatPane *self,
                                               const char      *selector,
                                               const char      *html);
/* Sends @prompt as the next turn, as if typed, with the images attached
 * and the picked element. */
void            tessera_chat_pane_send        (TesseraChatPane *self,
                                               const char      *prompt);
/* "Fix with AI": a turn about an error and where it happened. */
void            tessera_chat_pane_fix         (TesseraChatPane *self,
                                               const char      *message,
                                               const char      *source,
                                               guint            line);
/* Shown under the composer: the model in use, or what is missing. */
void            tessera_chat_pane_set_status  (TesseraChatPane *self,
                                               const char      *status);
GtkTextView    *tessera_chat_pane_get_prompt_view (TesseraChatPane *self);

/* TRUE while the conversation could not be written to disk. */
gboolean        tessera_chat_pane_get_has_unsaved (TesseraChatPane *self);
/* Before the window closes: when the conversation could not be saved,
 * asks whether to try again or close without it. Completes with TRUE when
 * the window may close. */
void            tessera_chat_pane_close_async  (TesseraChatPane     *self,
                                                GtkWindow           *parent,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean        tessera_chat_pane_close_finish (TesseraChatPane     *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* Signals:
 *   ::open-file (TesseraChatPane *self, const char *path)
 *   ::undo-turn (TesseraChatPane *self)
 *     The user asked to undo the files the latest turn changed.
 */

G_END_DECLS
