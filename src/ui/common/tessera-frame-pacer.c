/* tessera-frame-pacer.c: how much new content a frame can take
 *
 * A widget that shows text arriving faster than frames (a streamed
 * answer, a file being written) adds it a frame at a time, from a tick
 * callback. What such a frame costs is mostly not the adding: GTK then
 * shapes, measures and draws the new text, later in the same frame. So
 * the pacer measures whole frames, from the tick that added content to
 * the end of that frame's paint, and sets how many bytes the next frame
 * may add: half as many after a frame slower than SLOW_USEC, a quarter
 * more after one faster than FAST_USEC. Then a frame stays under a
 * refresh interval whatever the machine, and the text still comes in as
 * fast as frames can take it. When it comes faster than that for long,
 * what waits is not left to pile up: a frame takes at least the share of
 * it that the time since the last one is of CATCH_UP_USEC, so that a
 * backlog drains with about that time constant (once the stream ends,
 * a tenth of it is left after a little over a second).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "tessera-frame-pacer.h"

#define SLOW_USEC 12000
#define FAST_USEC 8000
#define CATCH_UP_USEC 500000

struct _TesseraFramePacer
{
  TesseraFrameSlot  slot;
  gsize             bytes;
  gsize             min_bytes;
  gsize             max_bytes;

  GdkFrameClock    *clock;
  gulong            after_paint_id;
  gint64            frame_start;
  gint64            last_begin;
};

TesseraFramePacer *
tessera_frame_pacer_new (TesseraFrameSlot slot,
                         gsize            first_bytes,
                         gsize            min_bytes,
                         gsize            max_bytes)
{
  TesseraFramePacer *self;

  g_return_val_if_fail (min_bytes > 0 && min_bytes <= first_bytes && first_bytes <= max_bytes, NULL);

  self = g_new0 (TesseraFramePacer, 1);
  self->slot = slot;
  self->bytes = first_bytes;
  self->min_bytes = min_bytes;
  self->max_bytes = max_bytes;

  return self;
}

/* Lets go of the frame clock: when a frame added nothing, and before the
 * widget is unrealized (the clock goes with its surface). */
void
tessera_frame_pacer_stop (TesseraFramePacer *self)
{
  g_return_if_fail (self != NULL);

  g_clear_signal_handler (&self->after_paint_id, self->clock);
  g_clear_object (&self->clock);
  self->frame_start = 0;
}

void
tessera_frame_pacer_free (TesseraFramePacer *self)
{
  if (self == NULL)
    return;

  tessera_frame_pacer_stop (self);
  g_free (self);
}

static void
after_paint_cb (GdkFrameClock     *clock,
                TesseraFramePacer *self)
{
  gint64 cost;

  if (self->frame_start == 0)
    {
      tessera_frame_pacer_stop (self);
      return;
    }

  cost = g_get_monotonic_time () - self->frame_start;
  if (cost > SLOW_USEC)
    self->bytes = MAX (self->min_bytes, self->bytes / 2);
  else if (cost < FAST_USEC)
    self->bytes = MIN (self->max_bytes, self->bytes + self->bytes / 4);
  self->frame_start = 0;
}

gboolean
tessera_frame_slot_is_now (TesseraFrameSlot  slot,
                           GdkFrameClock    *clock)
{
  g_return_val_if_fail (GDK_IS_FRAME_CLOCK (clock), FALSE);

  return gdk_frame_clock_get_frame_counter (clock) % TESSERA_FRAME_SLOT_PERIOD == (guint) slot;
}

/* Whether this frame of @clock is one the consumer adds content in. */
gboolean
tessera_frame_pacer_is_turn (TesseraFramePacer *self,
                             GdkFrameClock     *clock)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return tessera_frame_slot_is_now (self->slot, clock);
}

/* Called from a tick callback of @clock that is about to add some of the
 * @waiting bytes of content: returns how many this frame may take, and
 * measures the frame. */
gsize
tessera_frame_pacer_begin (TesseraFramePacer *self,
                           GdkFrameClock     *clock,
                           gsize              waiting)
{
  gint64 now = g_get_monotonic_time ();
  gint64 since;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (GDK_IS_FRAME_CLOCK (clock), 0);

  if (self->clock != clock)
    {
      tessera_frame_pacer_stop (self);
      self->clock = g_object_ref (clock);
      self->after_paint_id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), self);
    }

  /* After a pause (nothing came for a while), as if one frame had passed. */
  since = now - self->last_begin;
  if (self->last_begin == 0 || since > CATCH_UP_USEC / 5)
    since = G_USEC_PER_SEC / 60;
  self->frame_start = now;
  self->last_begin = now;

  return MAX (self->bytes, (gsize) (waiting * ((double) since / CATCH_UP_USEC)));
}
