/* tessera-frame-pacer.h: how much new content a frame can take
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef struct _TesseraFramePacer TesseraFramePacer;

/* While an answer streams in, a window's frames go round five slots, so
 * that no frame both lays out new content and draws a pane anew, nor
 * draws both panes anew:
 * - NEW_CONTENT: the chat makes its new blocks (and lays them out);
 * - CHAT_SCROLL: the chat scrolls to its new blocks (and is drawn again);
 *   the editor's new text goes in right after this frame;
 * - EDITOR_SCROLL: the editor, which a text view draws again for any
 *   change to its text, shows its new text and scrolls to the end;
 * - and two frames that change nothing, which leave the main loop to the
 *   stream (measured: a 1 MB turn took a fifth less time than with three
 *   slots, and its longest stall was shorter too).
 * Each pane then changes 12 times a second at 60 frames a second. */
typedef enum
{
  TESSERA_FRAME_SLOT_NEW_CONTENT,
  TESSERA_FRAME_SLOT_CHAT_SCROLL,
  TESSERA_FRAME_SLOT_EDITOR_SCROLL,
} TesseraFrameSlot;

#define TESSERA_FRAME_SLOT_PERIOD 5

gboolean           tessera_frame_slot_is_now (TesseraFrameSlot   slot,
                                              GdkFrameClock     *clock);

TesseraFramePacer *tessera_frame_pacer_new   (TesseraFrameSlot   slot,
                                              gsize              first_bytes,
                                              gsize              min_bytes,
                                              gsize              max_bytes);
gboolean           tessera_frame_pacer_is_turn (TesseraFramePacer *self,
                                                GdkFrameClock     *clock);
void               tessera_frame_pacer_free  (TesseraFramePacer *self);
gsize              tessera_frame_pacer_begin (TesseraFramePacer *self,
                                              GdkFrameClock     *clock,
                                              gsize              waiting);
void               tessera_frame_pacer_stop  (TesseraFramePacer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraFramePacer, tessera_frame_pacer_free)

G_END_DECLS
