/* tessera-session.h: one open project's AI conversation, turn by turn
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "tessera-action.h"
#include "tessera-chat-message.h"
#include "tessera-conversation.h"
#include "tessera-llm-provider.h"
#include "tessera-project.h"
#include "tessera-sandbox.h"

G_BEGIN_DECLS

#define TESSERA_SESSION_DEFAULT_MAX_FILE_SIZE (2 * 1024 * 1024)
/* Automatic follow-ups (failed edits, cut-off files) per turn. */
#define TESSERA_SESSION_MAX_FOLLOWUPS 2

#define TESSERA_TYPE_SESSION (tessera_session_get_type ())
G_DECLARE_FINAL_TYPE (TesseraSession, tessera_session, TESSERA, SESSION, GObject)

TesseraSession     *tessera_session_new                (TesseraProject       *project);
TesseraProject     *tessera_session_get_project        (TesseraSession       *self);

/* Restores the conversation from .tessera/chat/conversation.json. A
 * corrupt file is set aside and a notice message explains it. */
void                tessera_session_load_async         (TesseraSession       *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean            tessera_session_load_finish        (TesseraSession       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

/* The conversation's messages (TesseraChatMessage), oldest first. */
GListModel         *tessera_session_get_messages       (TesseraSession       *self);
TesseraConversation *tessera_session_get_conversation  (TesseraSession       *self);

/* Properties (all with notify). */
TesseraLlmProvider *tessera_session_get_provider       (TesseraSession       *self);
void                tessera_session_set_provider       (TesseraSession       *self,
                                                        TesseraLlmProvider   *provider);
/* Without a provider, a turn takes the first of OPENAI_API_KEY /
 * OPENAI_BASE_URL, ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL, OLLAMA_HOST that
 * is set; without a model, the first one the provider lists (both are then
 * set, with notify). */
const char         *tessera_session_get_model          (TesseraSession       *self);
void                tessera_session_set_model          (TesseraSession       *self,
                                                        const char           *model);
/* Where run and add-dependency actions run; NULL: they are refused. */
TesseraSandbox     *tessera_session_get_sandbox        (TesseraSession       *self);
void                tessera_session_set_sandbox        (TesseraSession       *self,
                                                        TesseraSandbox       *sandbox);
/* The model's context window in tokens; 0 (default) looks the model up
 * in a table of known models, else 32768. */
guint               tessera_session_get_context_tokens (TesseraSession       *self);
void                tessera_session_set_context_tokens (TesseraSession       *self,
                                                        guint                 context_tokens);
/* Largest file the model may write (the "max-file-size" setting). */
guint64             tessera_session_get_max_file_size  (TesseraSession       *self);
void                tessera_session_set_max_file_size  (TesseraSession       *self,
                                                        guint64               max_file_size);
/* TRUE while a turn runs. */
gboolean            tessera_session_get_busy           (TesseraSession       *self);
/* TRUE when the last turn was cut off and can be continued. */
gboolean            tessera_session_get_can_continue   (TesseraSession       *self);

/* Runs a turn: sends @prompt with the project's files, streams the
 * answer, applies its actions to the project (writes stream through
 * ::action-delta), follows up automatically when edits failed or a file
 * was cut off, then runs commands in the sandbox. Cancelling puts every
 * file back as it was before the turn. Finishes with the turn's status;
 * FAILED and CANCELLED also set @error. */
void                tessera_session_send_async         (TesseraSession       *self,
                                                        const char           *prompt,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
/* As tessera_session_send_async(), with @images (TesseraImage; NULL or
 * empty for none) attached to the prompt: kept with its message in the
 * conversation, and sent with it to the model in later turns too, as the
 * context's budget allows. Finish with tessera_session_send_finish(). */
void                tessera_session_send_with_images_async
                                                       (TesseraSession       *self,
                                                        const char           *prompt,
                                                        GPtrArray            *images,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
TesseraTurnStatus   tessera_session_send_finish        (TesseraSession       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
/* After an INCOMPLETE turn: asks the model to go on where it stopped.
 * Finish with tessera_session_send_finish(). */
void                tessera_session_continue_async     (TesseraSession       *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
/* "Fix with AI": a turn with the error @message, where it happened
 * (@source: a project path or a preview URL; may be NULL; @line 0 when
 * unknown) and that file's content. Finish with
 * tessera_session_send_finish(). */
void                tessera_session_fix_async          (TesseraSession       *self,
                                                        const char           *message,
                                                        const char           *source,
                                                        guint                 line,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
/* "Regenerate": sends the last prompt the user wrote again, as a new
 * turn on the files as they are now. Finish with
 * tessera_session_send_finish(). */
void                tessera_session_regenerate_async   (TesseraSession       *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
/* Starts a new conversation (the project's files stay as they are).
 * Returns FALSE while a turn runs. */
gboolean            tessera_session_clear_conversation (TesseraSession       *self);
/* Stops the running turn (same as cancelling its GCancellable). */
void                tessera_session_cancel             (TesseraSession       *self);

/* Signals (all on the main context):
 *   ::message-added (self, TesseraChatMessage *message)
 *     A message joined the conversation (the user's, the assistant's
 *     answer as it starts streaming, an automatic follow-up, a notice).
 *   ::text-delta (self, TesseraChatMessage *message, const char *text)
 *     More prose of the assistant's answer.
 *   ::action-begin (self, TesseraChatMessage *message, TesseraAction *action)
 *     An action starts streaming (a file card in the chat; for a write,
 *     the editor opens the file read-only and shows it as it streams).
 *   ::action-delta (self, TesseraChatMessage *message, TesseraAction *action,
 *                   const char *chunk, gsize len)
 *     The next piece of the action's content (not NUL-terminated).
 *   ::action-end (self, TesseraChatMessage *message, TesseraAction *action)
 *     The action is settled: its status is APPLIED, REFUSED or FAILED,
 *     with a message saying why. Run and add-dependency actions end
 *     after their command ran, with its output in the action. An action
 *     may later turn REVERTED (notify::status) when the turn is undone.
 *   ::usage (self, TesseraChatMessage *message, guint input_tokens,
 *            guint output_tokens)
 *   ::turn-finished (self, TesseraChatMessage *message,
 *                    TesseraTurnStatus status, const GError *error)
 *     @message is the turn's last assistant message (NULL if none).
 */

G_END_DECLS
