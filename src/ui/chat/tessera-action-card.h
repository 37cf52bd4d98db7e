/* tessera-action-card.h: one file written, edited or command run, in the chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "tessera-action.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_ACTION_CARD (tessera_action_card_get_type ())
G_DECLARE_FINAL_TYPE (TesseraActionCard, tessera_action_card, TESSERA, ACTION_CARD, GtkWidget)

GtkWidget     *tessera_action_card_new        (TesseraAction     *action);
TesseraAction *tessera_action_card_get_action (TesseraActionCard *self);

/* Signals:
 *   ::open-file (TesseraActionCard *self, const char *path)
 *     The user asked to see the file the action wrote or edited.
 */

G_END_DECLS
