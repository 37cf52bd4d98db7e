/* tessera-llm-stream.c: one streaming answer: send, retry, read, parse
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-llm-stream"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "tessera-llm-provider-private.h"
#include "tessera-llm-stream-private.h"
#include "tessera-sse-parser.h"

#define READ_SIZE (16 * 1024)
/* A stream arriving faster than it is handled keeps a read ready at
 * default priority all the time, which starves the toolkit's redraw
 * (G_PRIORITY_HIGH_IDLE + 20): nothing would be drawn until the answer
 * ended. After this much continuous reading the stream steps aside: it
 * goes on from an idle just below the redraw's priority, so that a frame
 * that is due is drawn first, or after YIELD_MAX_MSEC at the latest, so
 * that a UI that redraws without pause cannot starve it either. */
#define READ_SLICE_USEC (4 * 1000)
#define YIELD_PRIORITY (G_PRIORITY_HIGH_IDLE + 21)
#define YIELD_MAX_MSEC 8
/* After each read, whatever else has already arrived is read at once,
 * for at most this long, and parsed together: a fast stream brings
 * hundreds of events per read, and a signal, a protocol parser call and
 * an editor insert for each of a quarter of a million tokens cost far
 * more than the text itself. Reading goes on while the worker parses,
 * until this much waits for it. */
#define DRAIN_USEC (4 * 1000)
#define DRAIN_MAX_BYTES (8 * 1024 * 1024)
/* Room for that, and the read that goes past it: reserved, not touched,
 * so that a batch never grows by copying. */
#define BATCH_BYTES (DRAIN_MAX_BYTES + 2 * READ_SIZE)
/* Until the first text is out, reads stay small: the first token should
 * not wait for megabytes behind it to be parsed. */
#define FIRST_DRAIN_MAX_BYTES (64 * 1024)
/* At most this much text per ::delta: what a handler does with text
 * (parsing the edit protocol, opening tabs, adding cards) grows with it,
 * and a big read's worth at once would stall the window. The rest
 * follows after the stream steps aside, as between reads. */
#define DELTA_MAX_BYTES (16 * 1024)
/* The first ::delta is kept short, its first line at most, so that the
 * frame that shows the answer's first words is not also the one that
 * lays out what follows (an answer's first line is often followed by the
 * first file it writes, which opens a tab). */
#define FIRST_DELTA_MAX_BYTES 256
/* And it gets a frame to itself: after it, the stream holds the rest for
 * a refresh interval, at a priority just below the redraw's, so that the
 * frame that draws it is not kept waiting behind a slice of the answer
 * that opens files and cards. */
#define FIRST_DELTA_PAUSE_MSEC 17
/* An error body longer than this is not an error message. */
#define MAX_ERROR_BODY (64 * 1024)

struct _TesseraLlmStream
{
  GObject               parent_instance;

  TesseraLlmProvider   *provider;
  TesseraLlmRequest    *request;

  GTask                *task;
  GCancellable         *cancellable;
  GCancellable         *user_cancellable;
  gulong                user_cancelled_id;

  GString              *text;
  gsize                 reported;
  TesseraLlmStopReason  stop_reason;
  guint                 input_tokens;
  guint                 output_tokens;
  double                cost;
  guint                 attempts;
  guint                 retries;
  guint                 running : 1;

  /* The attempt in flight. */
  SoupMessage          *message;
  GInputStream         *body;
  TesseraSseParser     *parser;
  GByteArray           *error_body;
  GError               *event_error;
  guint                 n_events;
  guint                 n_malformed;
  gsize                 n_bytes;
  guint                 done : 1;
  gint64                slice_start;
  /* The read loop stepping aside for a frame, and the text's slices. */
  GSource              *yield_idle;
  GSource              *yield_timeout;
  GSource              *flush_idle;
  GSource              *flush_timeout;
  /* Reads and parses come back just below the redraw's priority, so a
   * due frame goes first; at default priority after a frame kept the
   * stream waiting for YIELD_MAX_MSEC, so frames cannot starve it. */
  int                   io_priority;
  /* Counts attempts, so that a parse that ends after its attempt was
   * abandoned is dropped. */
  guint                 attempt_serial;
  /* Read, and not yet handed to the worker. */
  struct _Batch        *incoming;
  /* A parsed batch's buffer, for the next one: a buffer that grows as a
   * fast stream is drained is copied at each step into pages new to the
   * process (measured: one such realloc, 4 MB, was a 24 ms stall). */
  GByteArray           *spare_bytes;
  /* The batch the worker is parsing: only the worker touches it, and
   * the SSE parser, until the batch is back. */
  struct _Batch        *batch;
  guint                 parse_running : 1;
  /* Reads and parses not yet back, whatever their attempt: the stream
   * returns its result only once none is, so that nothing of it is still
   * running (or holds it) after the caller heard it ended. */
  guint                 n_in_flight;
  GTask                *finished_task;
  GError               *finished_error;
  GCancellable         *read_cancellable;
  /* Reading waits while the worker is this far behind. */
  guint                 reading_paused : 1;
  /* How the reading ended, acted on once all is parsed and out. */
  guint                 read_failed : 1;
  guint                 read_eof : 1;
  /* ::usage waits for the text that came before it. */
  guint                 usage_pending : 1;

  GSource              *retry_source;
  GSource              *retry_cancel_source;
};

G_DEFINE_FINAL_TYPE (TesseraLlmStream, tessera_llm_stream, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TEXT,
  PROP_STOP_REASON,
  PROP_INPUT_TOKENS,
  PROP_OUTPUT_TOKENS,
  PROP_RUNNING,
  N_PROPS
};

enum {
  DELTA,
  USAGE,
  RETRYING,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void send_attempt (TesseraLlmStream *self);

static void
clear_retry_sources (TesseraLlmStream *self)
{
  if (self->retry_source != NULL)
    {
      g_source_destroy (self->retry_source);
      g_clear_pointer (&self->retry_source, g_source_unref);
    }
  if (self->retry_cancel_source != NULL)
    {
      g_source_destroy (self->retry_cancel_source);
      g_clear_pointer (&self->retry_cancel_source, g_source_unref);
    }
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static void batch_free (struct _Batch *batch);

static void
clear_attempt (TesseraLlmStream *self)
{
  clear_source (&self->yield_idle);
  clear_source (&self->yield_timeout);
  clear_source (&self->flush_idle);
  clear_source (&self->flush_timeout);
  self->slice_start = 0;
  if (self->body != NULL)
    {
      /* Closing before the end drops the connection, which is what an
       * abandoned answer needs; async, as it may touch the socket. */
      if (!g_input_stream_is_closed (self->body))
        g_input_stream_close_async (self->body, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_clear_object (&self->body);
    }
  g_clear_object (&self->message);
  /* A read or a parse still running for it is dropped when it comes
   * back. */
  if (self->read_cancellable != NULL)
    {
      g_cancellable_cancel (self->read_cancellable);
      g_clear_object (&self->read_cancellable);
    }
  self->attempt_serial++;
  g_clear_pointer (&self->incoming, batch_free);
  g_clear_pointer (&self->spare_bytes, g_byte_array_unref);
  self->parse_running = FALSE;
  self->reading_paused = FALSE;
  self->read_failed = FALSE;
  self->read_eof = FALSE;
  g_clear_pointer (&self->error_body, g_byte_array_unref);
  g_clear_error (&self->event_error);
  self->n_events = 0;
  self->n_malformed = 0;
  self->n_bytes = 0;
  self->done = FALSE;
}

static void
tessera_llm_stream_dispose (GObject *object)
{
  TesseraLlmStream *self = (TesseraLlmStream *)object;

  clear_retry_sources (self);
  clear_attempt (self);
  if (self->user_cancellable != NULL)
    {
      g_cancellable_disconnect (self->user_cancellable, self->user_cancelled_id);
      self->user_cancelled_id = 0;
      g_clear_object (&self->user_cancellable);
    }
  g_clear_object (&self->provider);
  g_clear_object (&self->request);

  G_OBJECT_CLASS (tessera_llm_stream_parent_class)->dispose (object);
}

static void
tessera_llm_stream_finalize (GObject *object)
{
  TesseraLlmStream *self = (TesseraLlmStream *)object;

  g_assert (self->task == NULL);
  g_assert (self->finished_task == NULL);

  g_signal_handlers_disconnect_by_data (self->cancellable, self);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->parser, tessera_sse_parser_free);
  g_string_free (self->text, TRUE);

  G_OBJECT_CLASS (tessera_llm_stream_parent_class)->finalize (object);
}

static void
tessera_llm_stream_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  TesseraLlmStream *self = TESSERA_LLM_STREAM (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, self->text->str);
      break;

    case PROP_STOP_REASON:
      g_value_set_int (value, self->stop_reason);
      break;

    case PROP_INPUT_TOKENS:
      g_value_set_uint (value, self->input_tokens);
      break;

    case PROP_OUTPUT_TOKENS:
      g_value_set_uint (value, self->output_tokens);
      break;

    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_llm_stream_class_init (TesseraLlmStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_llm_stream_dispose;
  object_class->finalize = tessera_llm_stream_finalize;
  object_class->get_property = tessera_llm_stream_get_property;

  /* Not notified on every delta (there are thousands): use ::delta. */
  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STOP_REASON] =
    g_param_spec_int ("stop-reason", NULL, NULL,
                      TESSERA_LLM_STOP_NONE, TESSERA_LLM_STOP_OTHER, TESSERA_LLM_STOP_NONE,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INPUT_TOKENS] =
    g_param_spec_uint ("input-tokens", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OUTPUT_TOKENS] =
    g_param_spec_uint ("output-tokens", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[DELTA] =
    g_signal_new ("delta",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[USAGE] =
    g_signal_new ("usage",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
  signals[RETRYING] =
    g_signal_new ("retrying",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

/* A stop also stops the read in flight. */
static void
stream_cancelled_cb (GCancellable     *cancellable,
                     TesseraLlmStream *self)
{
  if (self->read_cancellable != NULL)
    g_cancellable_cancel (self->read_cancellable);
}

static void
tessera_llm_stream_init (TesseraLlmStream *self)
{
  self->text = g_string_new (NULL);
  self->cancellable = g_cancellable_new ();
  self->cost = -1;
  self->io_priority = YIELD_PRIORITY;
  g_signal_connect (self->cancellable, "cancelled", G_CALLBACK (stream_cancelled_cb), self);
}

TesseraLlmStream *
_tessera_llm_stream_new (TesseraLlmProvider *provider,
                         TesseraLlmRequest  *request)
{
  TesseraLlmStream *self = g_object_new (TESSERA_TYPE_LLM_STREAM, NULL);

  self->provider = g_object_ref (provider);
  self->request = g_object_ref (request);

  return self;
}

/* Reports up to @max bytes of the text added since the last ::delta,
 * ending on a character boundary. FALSE when there was no such part. */
static gboolean
flush_delta_part (TesseraLlmStream *self,
                  gsize             max)
{
  gsize start = self->reported;
  gsize end = start + max;
  g_autofree char *part = NULL;

  if (end >= self->text->len)
    return FALSE;

  while (end > start && (self->text->str[end] & 0xC0) == 0x80)
    end--;
  if (end == start)
    return FALSE;

  self->reported = end;
  part = g_strndup (self->text->str + start, end - start);
  g_signal_emit (self, signals[DELTA], 0, part);
  return TRUE;
}

/* Reports the text added since the last ::delta, then the usage that
 * came after it. */
static void
flush_delta (TesseraLlmStream *self)
{
  gsize start = self->reported;

  if (self->text->len > start)
    {
      self->reported = self->text->len;
      g_signal_emit (self, signals[DELTA], 0, self->text->str + start);
    }

  if (self->usage_pending)
    {
      self->usage_pending = FALSE;
      g_signal_emit (self, signals[USAGE], 0, self->input_tokens, self->output_tokens);
    }
}

/* Returns the result once no read or parse is still out. */
static void
return_when_settled (TesseraLlmStream *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->n_in_flight > 0 || self->finished_task == NULL)
    return;

  task = g_steal_pointer (&self->finished_task);
  if (self->finished_error != NULL)
    g_task_return_error (task, g_steal_pointer (&self->finished_error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
complete (TesseraLlmStream *self,
          GError           *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  g_return_if_fail (task != NULL);

  flush_delta (self);

  clear_retry_sources (self);
  clear_attempt (self);
  if (self->user_cancellable != NULL)
    {
      g_cancellable_disconnect (self->user_cancellable, self->user_cancelled_id);
      self->user_cancelled_id = 0;
      g_clear_object (&self->user_cancellable);
    }

  self->running = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);

  if (error != NULL)
    g_debug ("Answer from %s failed: %s",
             tessera_llm_provider_get_name (self->provider), error->message);

  self->finished_task = g_steal_pointer (&task);
  self->finished_error = error;
  return_when_settled (self);
}

static void
complete_cancelled (TesseraLlmStream *self)
{
  complete (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                       _("The answer was stopped.")));
}

static gboolean
retry_timeout_cb (gpointer user_data)
{
  TesseraLlmStream *self = user_data;

  clear_retry_sources (self);
  send_attempt (self);

  return G_SOURCE_REMOVE;
}

static gboolean
retry_cancelled_cb (GCancellable *cancellable,
                    gpointer      user_data)
{
  TesseraLlmStream *self = user_data;

  clear_retry_sources (self);
  complete_cancelled (self);

  return G_SOURCE_REMOVE;
}

/* Either waits and sends again, or gives up with @error. */
static void
retry_or_fail (TesseraLlmStream *self,
               GError           *error,
               gint64            retry_after_ms)
{
  guint base = tessera_llm_provider_get_retry_base_ms (self->provider);
  guint max_delay = tessera_llm_provider_get_max_retry_delay_ms (self->provider);
  guint64 delay;

  if (self->retries >= tessera_llm_provider_get_max_retries (self->provider) ||
      (retry_after_ms >= 0 && (guint64) retry_after_ms > max_delay))
    {
      complete (self, error);
      return;
    }

  delay = (guint64) base << MIN (self->retries, 20);
  if (retry_after_ms >= 0)
    delay = MAX (delay, (guint64) retry_after_ms);
  delay = MIN (delay, max_delay);

  self->retries++;
  clear_attempt (self);

  g_debug ("%s: %s; retry %u in %u ms",
           tessera_llm_provider_get_name (self->provider), error->message,
           self->retries, (guint) delay);
  g_signal_emit (self, signals[RETRYING], 0, self->retries, (guint) delay, error);
  g_error_free (error);

  /* A ::retrying handler may have stopped the stream. */
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      complete_cancelled (self);
      return;
    }

  /* A timer, not a sleep: the main loop stays free and a cancel ends the
   * wait at once. */
  self->retry_source = g_timeout_source_new ((guint) delay);
  g_source_set_callback (self->retry_source, retry_timeout_cb, self, NULL);
  g_source_set_static_name (self->retry_source, "[tessera] llm retry");
  g_source_attach (self->retry_source, g_task_get_context (self->task));

  self->retry_cancel_source = g_cancellable_source_new (self->cancellable);
  g_source_set_callback (self->retry_cancel_source, G_SOURCE_FUNC (retry_cancelled_cb), self, NULL);
  g_source_attach (self->retry_cancel_source, g_task_get_context (self->task));
}

/* An attempt ended in @error after the request went out. */
static void
attempt_failed (TesseraLlmStream *self,
                GError           *error,
                gboolean          retryable,
                gint64            retry_after_ms)
{
  if (self->text->len > 0)
    {
      /* Text already shown cannot be taken back by a silent retry: keep
       * it and let the session offer Continue. */
      g_error_free (error);
      complete (self, g_error_new (TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_INTERRUPTED,
                                   _("The connection to %s was lost before the answer was complete."),
                                   tessera_llm_provider_get_name (self->provider)));
      return;
    }

  if (retryable)
    retry_or_fail (self, error, retry_after_ms);
  else
    complete (self, error);
}

/* The server ended the body (or sent its final event). */
static void
end_of_answer (TesseraLlmStream *self)
{
  if (self->event_error != NULL)
    {
      GError *error = g_steal_pointer (&self->event_error);
      gboolean retryable = g_error_matches (error, TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_SERVER) ||
                           g_error_matches (error, TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_RATE_LIMITED);

      attempt_failed (self, error, retryable, -1);
      return;
    }

  /* A body that ended cleanly without a single event is not a stream: a
   * server (or proxy) that ignored "stream": true. Sending it again would
   * get the same. */
  if (self->text->len == 0 && self->stop_reason == TESSERA_LLM_STOP_NONE &&
      (self->n_malformed > 0 || (self->n_events == 0 && self->n_bytes > 0 && !self->done)))
    {
      complete (self, g_error_new (TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_BAD_RESPONSE,
                                   _("%s sent an answer Tessera could not understand. The server may not be compatible with this provider type."),
                                   tessera_llm_provider_get_name (self->provider)));
      return;
    }

  if (self->done || self->stop_reason != TESSERA_LLM_STOP_NONE)
    {
      if (self->stop_reason == TESSERA_LLM_STOP_NONE)
        {
          self->stop_reason = TESSERA_LLM_STOP_END;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STOP_REASON]);
        }
      complete (self, NULL);
      return;
    }

  /* The body ended without the API's final event: cut off. */
  attempt_failed (self, _tessera_llm_provider_network_error (self->provider), TRUE, -1);
}

/* One event, handled on the main thread by the provider. */
static void
handle_event (TesseraLlmStream *self,
              const char       *event_type,
              const char       *data,
              gsize             data_len)
{
  TesseraLlmProviderClass *klass = TESSERA_LLM_PROVIDER_GET_CLASS (self->provider);
  g_autoptr(GError) error = NULL;

  switch (klass->handle_event (self->provider, self, event_type, data, data_len, &error))
    {
    case TESSERA_LLM_EVENT_CONTINUE:
      self->n_events++;
      break;

    case TESSERA_LLM_EVENT_DONE:
      self->n_events++;
      self->done = TRUE;
      break;

    case TESSERA_LLM_EVENT_MALFORMED:
      self->n_malformed++;
      g_debug ("Skipped a malformed event from %s", tessera_llm_provider_get_name (self->provider));
      break;

    case TESSERA_LLM_EVENT_ERROR:
      g_assert (error != NULL);
      self->event_error = g_steal_pointer (&error);
      break;

    default:
      g_assert_not_reached ();
    }
}

/* Parsing in a worker thread
 *
 * The bytes of a read (and of what arrived with it) are parsed in a
 * worker: SSE framing, and for the ordinary text events, the provider's
 * thread-safe scan_text(), which is most of a stream's cost (a 1 MB
 * answer is 43 MB of events). What the worker makes of them comes back
 * in order as items: a run of text (with how many events it came from),
 * or any other event, which the provider handles on the main thread as
 * before. Meanwhile the main thread draws frames. */

typedef struct
{
  /* A run of text, or NULL for an event. */
  GString *text;
  guint    n_events;
  char    *event_type;
  char    *data;
  gsize    data_len;
} BatchItem;

typedef struct _Batch
{
  /* Held while the worker has the batch, and dropped on the main thread
   * when it is back: the worker's own reference to its task outlives the
   * callback. */
  TesseraLlmStream *self;
  GByteArray *bytes;
  GPtrArray  *items;
  /* In the worker: the run of text being collected. */
  BatchItem  *run;
  guint       serial;
} Batch;

static void
batch_item_free (BatchItem *item)
{
  if (item->text != NULL)
    g_string_free (item->text, TRUE);
  g_free (item->event_type);
  g_free (item->data);
  g_free (item);
}

static Batch *
batch_new (TesseraLlmStream *self)
{
  Batch *batch = g_new0 (Batch, 1);

  batch->bytes = self->spare_bytes != NULL ? g_steal_pointer (&self->spare_bytes)
                                           : g_byte_array_sized_new (BATCH_BYTES);
  batch->items = g_ptr_array_new_with_free_func ((GDestroyNotify) batch_item_free);
  batch->serial = self->attempt_serial;

  return batch;
}

static void
batch_free (struct _Batch *batch)
{
  g_clear_object (&batch->self);
  g_clear_pointer (&batch->bytes, g_byte_array_unref);
  g_ptr_array_unref (batch->items);
  g_clear_pointer (&batch->run, batch_item_free);
  g_free (batch);
}

/* In the worker: the SSE parser's callback. */
static void
collect_event_cb (const char *event_type,
                  const char *data,
                  gsize       data_len,
                  const char *last_event_id,
                  gpointer    user_data)
{
  TesseraLlmStream *self = user_data;
  TesseraLlmProviderClass *klass = TESSERA_LLM_PROVIDER_GET_CLASS (self->provider);
  Batch *batch = self->batch;
  BatchItem *item;

  if (batch->run == NULL)
    {
      batch->run = g_new0 (BatchItem, 1);
      batch->run->text = g_string_new (NULL);
    }

  if (klass->scan_text != NULL &&
      klass->scan_text (self->provider, event_type, data, data_len, batch->run->text))
    {
      batch->run->n_events++;
      return;
    }

  /* The text before this event comes first. */
  if (batch->run->n_events > 0)
    g_ptr_array_add (batch->items, g_steal_pointer (&batch->run));

  item = g_new0 (BatchItem, 1);
  item->event_type = g_strdup (event_type);
  item->data = g_strndup (data, data_len);
  item->data_len = data_len;
  g_ptr_array_add (batch->items, item);
}

static void
parse_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Batch *batch = task_data;
  TesseraLlmStream *self = batch->self;

  self->batch = batch;
  tessera_sse_parser_feed (self->parser, (const char *) batch->bytes->data, batch->bytes->len);
  self->batch = NULL;
  if (batch->run != NULL && batch->run->n_events > 0)
    g_ptr_array_add (batch->items, g_steal_pointer (&batch->run));

  g_task_return_boolean (task, TRUE);
}

static void read_next (TesseraLlmStream *self);
static void advance (TesseraLlmStream *self);
static void kick_parse (TesseraLlmStream *self);

static void
parse_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Batch *batch = g_task_get_task_data (G_TASK (result));
  g_autoptr(TesseraLlmStream) self = g_steal_pointer (&batch->self);

  self->n_in_flight--;
  /* The attempt was given up meanwhile. */
  if (self->task == NULL || batch->serial != self->attempt_serial)
    {
      return_when_settled (self);
      return;
    }

  self->parse_running = FALSE;
  if (self->spare_bytes == NULL)
    {
      self->spare_bytes = g_steal_pointer (&batch->bytes);
      g_byte_array_set_size (self->spare_bytes, 0);
    }
  for (guint i = 0; i < batch->items->len; i++)
    {
      BatchItem *item = g_ptr_array_index (batch->items, i);

      /* A handler may have cancelled: nothing more is reported, even
       * from the rest of the bytes already read. */
      if (self->done || self->event_error != NULL || g_cancellable_is_cancelled (self->cancellable))
        break;

      if (item->text != NULL)
        {
          self->n_events += item->n_events;
          _tessera_llm_stream_add_text (self, item->text->str, item->text->len);
        }
      else
        handle_event (self, item->event_type, item->data, item->data_len);
    }

  /* What was read meanwhile goes to the worker at once. */
  kick_parse (self);
  if (self->reading_paused && !self->done && self->event_error == NULL)
    {
      self->reading_paused = FALSE;
      read_next (self);
    }
  advance (self);
}

/* Hands what was read to the worker, unless it is busy. */
static void
kick_parse (TesseraLlmStream *self)
{
  g_autoptr(GTask) parse = NULL;

  if (self->parse_running || self->incoming == NULL)
    return;

  self->parse_running = TRUE;
  self->n_in_flight++;
  self->incoming->self = g_object_ref (self);
  parse = g_task_new (NULL, NULL, parse_done_cb, NULL);
  g_task_set_source_tag (parse, kick_parse);
  g_task_set_priority (parse, self->io_priority);
  g_task_set_task_data (parse, g_steal_pointer (&self->incoming), (GDestroyNotify) batch_free);
  g_task_run_in_thread (parse, parse_thread);
}

/* Reads what has already arrived into @batch, without waiting; notes the
 * end of the body or a failure. */
static void
drain (TesseraLlmStream *self,
       Batch            *batch)
{
  GPollableInputStream *pollable;
  gint64 deadline = g_get_monotonic_time () + DRAIN_USEC;
  guint max_bytes = self->text->len > 0 ? DRAIN_MAX_BYTES : FIRST_DRAIN_MAX_BYTES;

  if (!G_IS_POLLABLE_INPUT_STREAM (self->body) ||
      !g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (self->body)))
    return;
  pollable = G_POLLABLE_INPUT_STREAM (self->body);

  while (batch->bytes->len < max_bytes && g_get_monotonic_time () < deadline &&
         !g_cancellable_is_cancelled (self->cancellable))
    {
      g_autoptr(GError) error = NULL;
      guint old_len = batch->bytes->len;
      gssize n;

      g_byte_array_set_size (batch->bytes, old_len + READ_SIZE);
      n = g_pollable_input_stream_read_nonblocking (pollable, batch->bytes->data + old_len, READ_SIZE,
                                                    self->cancellable, &error);
      g_byte_array_set_size (batch->bytes, old_len + MAX (n, 0));

      if (n < 0)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) &&
              !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_debug ("Reading from %s failed: %s",
                       tessera_llm_provider_get_name (self->provider), error->message);
              self->read_failed = TRUE;
            }
          return;
        }
      if (n == 0)
        {
          self->read_eof = TRUE;
          return;
        }
      self->n_bytes += n;
    }
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TesseraLlmStream) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize len;

  self->n_in_flight--;
  /* The attempt was given up meanwhile (its reads were cancelled). */
  if (self->task == NULL || G_INPUT_STREAM (object) != self->body)
    {
      return_when_settled (self);
      return;
    }

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (bytes == NULL && g_cancellable_is_cancelled (self->cancellable))
    {
      complete_cancelled (self);
      return;
    }
  if (bytes == NULL && self->error_body != NULL)
    {
      g_debug ("Reading from %s failed: %s",
               tessera_llm_provider_get_name (self->provider), error->message);
      attempt_failed (self, _tessera_llm_provider_network_error (self->provider), TRUE, -1);
      return;
    }
  if (bytes == NULL)
    {
      /* What was read before still counts. */
      g_debug ("Reading from %s failed: %s",
               tessera_llm_provider_get_name (self->provider), error->message);
      self->read_failed = TRUE;
      kick_parse (self);
      advance (self);
      return;
    }

  len = g_bytes_get_size (bytes);

  if (self->error_body != NULL)
    {
      guint status = soup_message_get_status (self->message);
      GError *http_error;
      gboolean retryable;
      gint64 retry_after_ms;

      if (len > 0 && self->error_body->len < MAX_ERROR_BODY)
        {
          g_byte_array_append (self->error_body, g_bytes_get_data (bytes, NULL),
                               MIN (len, MAX_ERROR_BODY - self->error_body->len));
          read_next (self);
          return;
        }

      {
        g_autoptr(GBytes) body = g_bytes_new (self->error_body->data, self->error_body->len);
        TesseraLlmProviderClass *klass = TESSERA_LLM_PROVIDER_GET_CLASS (self->provider);
        g_autofree char *body_text = g_strndup ((const char *) self->error_body->data, self->error_body->len);

        if (klass->adapt_to_error != NULL &&
            klass->adapt_to_error (self->provider, status, body_text))
          {
            clear_attempt (self);
            send_attempt (self);
            return;
          }

        http_error = _tessera_llm_provider_http_error (self->provider, status, body,
                                                       soup_message_get_response_headers (self->message),
                                                       tessera_llm_request_get_model (self->request),
                                                       &retryable, &retry_after_ms);
      }
      attempt_failed (self, http_error, retryable, retry_after_ms);
      return;
    }

  if (len == 0)
    self->read_eof = TRUE;
  else
    {
      self->n_bytes += len;
      if (self->incoming == NULL)
        self->incoming = batch_new (self);
      g_byte_array_append (self->incoming->bytes, g_bytes_get_data (bytes, NULL), len);
      drain (self, self->incoming);
    }

  /* Reading goes on while the worker parses, up to a point. */
  kick_parse (self);
  if (self->read_eof || self->read_failed)
    advance (self);
  else if (self->incoming != NULL && self->incoming->bytes->len >= DRAIN_MAX_BYTES)
    self->reading_paused = TRUE;
  else
    read_next (self);
}

static void
read_now (TesseraLlmStream *self)
{
  if (self->read_cancellable == NULL)
    {
      self->read_cancellable = g_cancellable_new ();
      if (g_cancellable_is_cancelled (self->cancellable))
        g_cancellable_cancel (self->read_cancellable);
    }
  self->n_in_flight++;
  g_input_stream_read_bytes_async (self->body, READ_SIZE, self->io_priority,
                                   self->read_cancellable, read_cb, g_object_ref (self));
}

/* Notes whether the stream had to wait for frames to stop. */
static void
note_yield (TesseraLlmStream *self,
            GSource          *timeout)
{
  self->io_priority = g_main_current_source () == timeout ? G_PRIORITY_DEFAULT : YIELD_PRIORITY;
}

static gboolean
read_yield_cb (gpointer user_data)
{
  TesseraLlmStream *self = user_data;

  note_yield (self, self->yield_timeout);
  /* Whichever of the two came first: the other is not needed. */
  clear_source (&self->yield_idle);
  clear_source (&self->yield_timeout);
  if (self->task == NULL || self->body == NULL)
    return G_SOURCE_REMOVE;

  if (g_cancellable_is_cancelled (self->cancellable))
    complete_cancelled (self);
  else
    read_now (self);

  return G_SOURCE_REMOVE;
}

/* Attaches @source, calling @callback with a reference to the stream, to
 * the stream's context; returns it. */
static GSource *
attach_callback (TesseraLlmStream *self,
                 GSource          *source,
                 int               priority,
                 GSourceFunc       callback,
                 const char       *name)
{
  g_source_set_priority (source, priority);
  g_source_set_callback (source, callback, g_object_ref (self), g_object_unref);
  g_source_set_static_name (source, name);
  g_source_attach (source, g_task_get_context (self->task));

  return source;
}

static gsize
first_line_length (GString *text)
{
  gsize limit = MIN (text->len, FIRST_DELTA_MAX_BYTES);
  gsize i = 0;

  while (i < limit && g_ascii_isspace (text->str[i]))
    i++;
  while (i < limit && text->str[i] != '\n')
    i++;

  return i < limit ? i + 1 : FIRST_DELTA_MAX_BYTES;
}

static gboolean
first_pause_cb (gpointer user_data)
{
  TesseraLlmStream *self = user_data;

  clear_source (&self->flush_timeout);
  if (self->task != NULL)
    advance (self);

  return G_SOURCE_REMOVE;
}

static void
pause_after_first_delta (TesseraLlmStream *self)
{
  self->flush_timeout = attach_callback (self, g_timeout_source_new (FIRST_DELTA_PAUSE_MSEC), YIELD_PRIORITY,
                                         first_pause_cb, "[tessera] llm stream first words");
}

static gboolean
flush_yield_cb (gpointer user_data)
{
  TesseraLlmStream *self = user_data;

  note_yield (self, self->flush_timeout);
  clear_source (&self->flush_idle);
  clear_source (&self->flush_timeout);
  if (self->task != NULL)
    advance (self);

  return G_SOURCE_REMOVE;
}

/* Calls @callback once a due frame had its turn: from an idle just below
 * the redraw's priority, or after YIELD_MAX_MSEC at the latest. */
static void
step_aside (TesseraLlmStream *self,
            GSource         **idle,
            GSource         **timeout,
            GSourceFunc       callback)
{
  *idle = attach_callback (self, g_idle_source_new (), YIELD_PRIORITY, callback,
                           "[tessera] llm stream yield");
  *timeout = attach_callback (self, g_timeout_source_new (YIELD_MAX_MSEC), G_PRIORITY_DEFAULT, callback,
                              "[tessera] llm stream yield");
}

static void
read_next (TesseraLlmStream *self)
{
  gint64 now = g_get_monotonic_time ();

  if (self->slice_start == 0)
    self->slice_start = now;

  if (now - self->slice_start < READ_SLICE_USEC)
    read_now (self);
  else
    {
      self->slice_start = 0;
      step_aside (self, &self->yield_idle, &self->yield_timeout, read_yield_cb);
    }
}

/* Reports the text that came, a slice at a time, and ends the answer
 * once all that was read is parsed and out. */
static void
advance (TesseraLlmStream *self)
{
  gboolean first = self->reported == 0;
  gsize max = first ? first_line_length (self->text) : DELTA_MAX_BYTES;

  /* A slice is waiting for its frame; it comes back here. */
  if (self->flush_idle != NULL || self->flush_timeout != NULL)
    return;

  if (!g_cancellable_is_cancelled (self->cancellable) && flush_delta_part (self, max))
    {
      /* A ::delta handler may have stopped the stream. */
      if (g_cancellable_is_cancelled (self->cancellable))
        complete_cancelled (self);
      else if (first)
        pause_after_first_delta (self);
      else
        step_aside (self, &self->flush_idle, &self->flush_timeout, flush_yield_cb);
      return;
    }

  flush_delta (self);

  if (g_cancellable_is_cancelled (self->cancellable))
    complete_cancelled (self);
  else if (self->done || self->event_error != NULL)
    end_of_answer (self);
  else if ((self->read_eof || self->read_failed) && !self->parse_running && self->incoming == NULL)
    {
      if (self->read_failed)
        attempt_failed (self, _tessera_llm_provider_network_error (self->provider), TRUE, -1);
      else
        end_of_answer (self);
    }
  else if (first && self->reported > 0)
    pause_after_first_delta (self);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TesseraLlmStream) self = user_data;
  g_autoptr(GError) error = NULL;
  GInputStream *body;
  guint status;

  body = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (self->task == NULL)
    {
      g_clear_object (&body);
      return;
    }

  if (body == NULL)
    {
      if (g_cancellable_is_cancelled (self->cancellable))
        complete_cancelled (self);
      else
        {
          g_debug ("Sending to %s failed: %s",
                   tessera_llm_provider_get_name (self->provider), error->message);
          attempt_failed (self, _tessera_llm_provider_network_error (self->provider), TRUE, -1);
        }
      return;
    }

  self->body = body;
  status = soup_message_get_status (self->message);
  g_debug ("%s answered HTTP %u", tessera_llm_provider_get_name (self->provider), status);

  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      if (self->parser == NULL)
        self->parser = tessera_sse_parser_new (collect_event_cb, self);
      else
        tessera_sse_parser_reset (self->parser);
    }
  else
    self->error_body = g_byte_array_new ();

  read_next (self);
}

static void
send_attempt (TesseraLlmStream *self)
{
  TesseraLlmProviderClass *klass = TESSERA_LLM_PROVIDER_GET_CLASS (self->provider);
  GError *error = NULL;

  g_assert (self->message == NULL);

  self->message = klass->build_stream_message (self->provider, self->request, &error);
  if (self->message == NULL)
    {
      complete (self, error);
      return;
    }

  /* A redirect could carry the key's header to another host. */
  soup_message_add_flags (self->message, SOUP_MESSAGE_NO_REDIRECT);
  self->attempts++;

  soup_session_send_async (_tessera_llm_provider_get_session (self->provider),
                           self->message, G_PRIORITY_DEFAULT, self->cancellable,
                           send_cb, g_object_ref (self));
}

static void
user_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  TesseraLlmStream *self = user_data;

  g_cancellable_cancel (self->cancellable);
}

static gboolean
start_idle_cb (gpointer user_data)
{
  TesseraLlmStream *self = user_data;

  if (self->task == NULL)
    return G_SOURCE_REMOVE;

  if (g_cancellable_is_cancelled (self->cancellable))
    complete_cancelled (self);
  else
    send_attempt (self);

  return G_SOURCE_REMOVE;
}

void
_tessera_llm_stream_start (TesseraLlmStream    *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GSource) idle = NULL;

  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, _tessera_llm_stream_start);
  /* The stream reports its own cancellation (with the text kept). */
  g_task_set_check_cancellable (self->task, FALSE);

  self->running = TRUE;

  if (cancellable != NULL)
    {
      self->user_cancellable = g_object_ref (cancellable);
      self->user_cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (user_cancelled_cb),
                                                       self, NULL);
    }

  /* From an idle, so that everything (even a failure to build the
   * request) reaches the caller after it has connected its handlers. */
  idle = g_idle_source_new ();
  /* Not at idle priority: a busy UI (a slow software-rendered redraw
   * every frame) would starve it and the request would never leave. */
  g_source_set_priority (idle, G_PRIORITY_DEFAULT);
  g_source_set_callback (idle, start_idle_cb, g_object_ref (self), g_object_unref);
  g_source_set_static_name (idle, "[tessera] llm stream start");
  g_source_attach (idle, g_task_get_context (self->task));
}

void
tessera_llm_stream_cancel (TesseraLlmStream *self)
{
  g_return_if_fail (TESSERA_IS_LLM_STREAM (self));

  g_cancellable_cancel (self->cancellable);
}

gboolean
tessera_llm_stream_finish (TesseraLlmStream  *self,
                           GAsyncResult      *result,
                           GError           **error)
{
  g_return_val_if_fail (TESSERA_IS_LLM_STREAM (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

const char *
tessera_llm_stream_get_text (TesseraLlmStream *self)
{
  g_return_val_if_fail (TESSERA_IS_LLM_STREAM (self), NULL);

  return self->text->str;
}

TesseraLlmStopReason
tessera_llm_stream_get_stop_reason (TesseraLlmStream *self)
{
  g_return_val_if_fail (TESSERA_IS_LLM_STREAM (self), TESSERA_LLM_STOP_NONE);

  return self->stop_reason;
}

guint
tessera_llm_stream_get_input_tokens (TesseraLlmStream *self)
{
  g_return_val_if_fail (TESSERA_IS_LLM_STREAM (self), 0);

  return self->input_tokens;
}

double
tessera_llm_stream_get_cost (TesseraLlmStream *self)
{
  g_return_val_if_fail (TESSERA_IS_LLM_STREAM (self), -1);

  return self->cost;
}

guint
tessera_llm_stream_get_output_tokens (TesseraLlmStream *self)
{
  g_return_val_if_fail (TESSERA_IS_LLM_STREAM (self), 0);

  return self->output_tokens;
}

gboolean
tessera_llm_stream_get_running (TesseraLlmStream *self)
{
  g_return_val_if_fail (TESSERA_IS_LLM_STREAM (self), FALSE);

  return self->running;
}

guint
tessera_llm_stream_get_attempts (TesseraLlmStream *self)
{
  g_return_val_if_fail (TESSERA_IS_LLM_STREAM (self), 0);

  return self->attempts;
}

void
_tessera_llm_stream_add_text (TesseraLlmStream *self,
                              const char       *text,
                              gssize            len)
{
  if (text == NULL)
    return;
  if (len < 0)
    len = strlen (text);
  if (len == 0)
    return;

  /* Reported as ::delta once the read that brought it is parsed. */
  g_string_append_len (self->text, text, len);
}

void
_tessera_llm_stream_set_usage (TesseraLlmStream *self,
                               gint64            input_tokens,
                               gint64            output_tokens,
                               double            cost)
{
  if (isfinite (cost) && cost >= 0)
    self->cost = cost;
  if (input_tokens >= 0 && (guint64) input_tokens != self->input_tokens)
    {
      self->input_tokens = MIN (input_tokens, G_MAXUINT);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INPUT_TOKENS]);
    }
  if (output_tokens >= 0 && (guint64) output_tokens != self->output_tokens)
    {
      self->output_tokens = MIN (output_tokens, G_MAXUINT);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OUTPUT_TOKENS]);
    }

  /* Emitted by flush_delta(), after the text that came before it. */
  self->usage_pending = TRUE;
}

void
_tessera_llm_stream_set_stop_reason (TesseraLlmStream     *self,
                                     TesseraLlmStopReason  reason)
{
  if (self->stop_reason != reason)
    {
      self->stop_reason = reason;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STOP_REASON]);
    }
}

gboolean
_tessera_llm_stream_has_text (TesseraLlmStream *self)
{
  return self->text->len > 0;
}
