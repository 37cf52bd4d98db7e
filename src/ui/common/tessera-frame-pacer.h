/* tessera-frame-pacer.h: how much new content a frame can take
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef struct _TesseraFramePacer TesseraFramePacer;

TesseraFramePacer *tessera_frame_pacer_new   (gsize              first_bytes,
                                              gsize              min_bytes,
                                              gsize              max_bytes);
void               tessera_frame_pacer_free  (TesseraFramePacer *self);
gsize              tessera_frame_pacer_begin (TesseraFramePacer *self,
                                              GdkFrameClock     *clock,
                                              gsize              waiting);
void               tessera_frame_pacer_stop  (TesseraFramePacer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraFramePacer, tessera_frame_pacer_free)

G_END_DECLS
