/* tessera-message-row.h: one message in the chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "tessera-action.h"
#include "tessera-image.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_MESSAGE_ROW (tessera_message_row_get_type ())
G_DECLARE_FINAL_TYPE (TesseraMessageRow, tessera_message_row, TESSERA, MESSAGE_ROW, GtkWidget)

GtkWidget  *tessera_message_row_new          (gboolean            from_user);
gboolean    tessera_message_row_get_from_user (TesseraMessageRow *self);
const char *tessera_message_row_get_text     (TesseraMessageRow *self);
void        tessera_message_row_set_text     (TesseraMessageRow *self,
                                               const char         *text);
void        tessera_message_row_append_text  (TesseraMessageRow *self,
                                               const char         *text);
void        tessera_message_row_add_action   (TesseraMessageRow *self,
                                               TesseraAction      *action);
guint       tessera_message_row_get_n_actions (TesseraMessageRow *self);
/* An image the user attached to their message. */
void        tessera_message_row_add_image    (TesseraMessageRow *self,
                                               TesseraImage       *image);
void        tessera_message_row_set_streaming (TesseraMessageRow *self,
                                               gboolean            streaming);
/* Token counts of the turn and, when known (not negative), what it cost
 * in US dollars; none of them hides the line. */
void        tessera_message_row_set_usage    (TesseraMessageRow *self,
                                               guint               input_tokens,
                                               guint               output_tokens,
                                               double              cost);
/* A problem with the turn, shown under the message, with a button that
 * emits ::retry ("Retry") or ::continue ("Continue") when @action is set. */
void        tessera_message_row_set_problem  (TesseraMessageRow *self,
                                               const char         *message,
                                               const char         *action);

/* Offers to undo the files this answer changed (the latest turn only). */
void        tessera_message_row_set_can_undo  (TesseraMessageRow  *self,
                                               gboolean            can_undo);

/* Signals: ::open-file (const char *path), ::retry (Retry or
 * Regenerate: the last prompt again), ::continue, ::undo */

G_END_DECLS
