/* tessera-frame-pacer.h: how much new content a frame can take
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef struct _TesseraFramePacer TesseraFramePacer;

/* Which frames a pacer's consumer adds content in: two consumers in the
 * same window that take alternate frames never make one frame draw both
 * anew. */
typedef enum
{
  TESSERA_FRAME_SLOT_EVEN,
  TESSERA_FRAME_SLOT_ODD,
} TesseraFrameSlot;

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
