/* tessera-e2b-stream.c: one envd process event stream (Connect server-streaming)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-e2b-stream"

#include "config.h"

#include <string.h>
#include <signal.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "tessera-e2b-stream.h"
#include "tessera-process.h"
#include "tessera-sandbox.h"

#define READ_SIZE 16384
/* Far above envd's 32 KiB data chunks; a bigger envelope means garbage. */
#define MAX_ENVELOPE (16 * 1024 * 1024)

struct _TesseraE2bStream
{
  GObject       parent_instance;

  GInputStream *input;
  GObject      *owner;
  GCancellable *cancellable;
  GByteArray   *buffer;
  GTask        *start_task;
  GCancellable *start_cancellable;
  gulong        start_cancelled_id;
  guint         pid;
  gboolean      finished;
};

enum {
  OUTPUT,
  ENDED,
  LOST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TesseraE2bStream, tessera_e2b_stream, G_TYPE_OBJECT)

int
tessera_e2b_stream_exit_status_from_end (gint64      exit_code,
                                         gboolean    exited,
                                         const char *status)
{
  if (exited)
    return (int) exit_code;
  /* envd reports Go's ProcessState string, e.g. "signal: killed". */
  if (g_strcmp0 (status, "signal: terminated") == 0)
    return 128 + SIGTERM;
  if (g_strcmp0 (status, "signal: interrupt") == 0)
    return 128 + SIGINT;
  if (g_strcmp0 (status, "signal: hangup") == 0)
    return 128 + SIGHUP;
  return 128 + SIGKILL;
}

/* Completes the start task, with @error (taken) or success. */
static void
complete_start (TesseraE2bStream *self,
                GError           *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

  /* The caller's cancellable only ever cancelled the wait for the start. */
  if (self->start_cancelled_id)
    g_signal_handler_disconnect (self->start_cancellable, self->start_cancelled_id);
  self->start_cancelled_id = 0;
  g_clear_object (&self->start_cancellable);
  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
finish_with_error (TesseraE2bStream *self,
                   GError           *error)
{
  g_autoptr(TesseraE2bStream) hold = g_object_ref (self);

  if (self->finished)
    {
      g_error_free (error);
      return;
    }
  self->finished = TRUE;
  g_cancellable_cancel (self->cancellable);

  if (self->start_task)
    {
      complete_start (self, error);
      return;
    }
  g_signal_emit (self, signals[LOST], 0, error);
  g_error_free (error);
}

static void
finish_ended (TesseraE2bStream *self,
              int               exit_status,
              const char       *error_message)
{
  g_autoptr(TesseraE2bStream) hold = g_object_ref (self);

  if (self->finished)
    return;
  self->finished = TRUE;
  g_cancellable_cancel (self->cancellable);
  if (self->start_task)
    {
      /* Ended before it started: still a start, the end follows at once. */
      complete_start (self, NULL);
    }
  g_signal_emit (self, signals[ENDED], 0, exit_status, error_message);
}

static gboolean
handle_event (TesseraE2bStream *self,
              JsonObject       *event)
{
  if (json_object_has_member (event, "start"))
    {
      JsonObject *start = json_object_get_object_member (event, "start");

      self->pid = start ? (guint) json_object_get_int_member_with_default (start, "pid", 0) : 0;
      if (self->start_task)
        complete_start (self, NULL);
    }
  else if (json_object_has_member (event, "data"))
    {
      JsonObject *data = json_object_get_object_member (event, "data");
      const char *b64;
      TesseraProcessStream which = TESSERA_PROCESS_STDOUT;

      if (data == NULL)
        return TRUE;
      if ((b64 = json_object_get_string_member_with_default (data, "stdout", NULL)) == NULL &&
          (b64 = json_object_get_string_member_with_default (data, "pty", NULL)) == NULL)
        {
          which = TESSERA_PROCESS_STDERR;
          b64 = json_object_get_string_member_with_default (data, "stderr", NULL);
        }
      if (b64 != NULL)
        {
          gsize len;
          guchar *raw = g_base64_decode (b64, &len);
          g_autoptr(GBytes) bytes = g_bytes_new_take (raw, len);

          g_signal_emit (self, signals[OUTPUT], 0, (int) which, bytes);
        }
    }
  else if (json_object_has_member (event, "end"))
    {
      JsonObject *end = json_object_get_object_member (event, "end");
      gint64 code = end ? json_object_get_int_member_with_default (end, "exitCode", 0) : 0;
      gboolean exited = end ? json_object_get_boolean_member_with_default (end, "exited", FALSE) : FALSE;
      const char *status = end ? json_object_get_string_member_with_default (end, "status", NULL) : NULL;
      const char *error = end ? json_object_get_string_member_with_default (end, "error", NULL) : NULL;

      finish_ended (self, tessera_e2b_stream_exit_status_from_end (code, exited, status), error);
      return FALSE;
    }
  /* keepalive, and anything newer: nothing to do. */
  return TRUE;
}

static gboolean
handle_end_stream (TesseraE2bStream *self,
                   JsonObject       *message)
{
  JsonObject *error = json_object_has_member (message, "error")
                        ? json_object_get_object_member (message, "error") : NULL;

  if (error != NULL)
    {
      const char *code = json_object_get_string_member_with_default (error, "code", "unknown");
      const char *text = json_object_get_string_member_with_default (error, "message", "");

      if (g_str_equal (code, "deadline_exceeded"))
        finish_with_error (self, g_error_new (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_TIMED_OUT,
                                              _("The command ran out of time in the cloud sandbox.")));
      else if (g_str_equal (code, "not_found"))
        finish_with_error (self, g_error_new (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NOT_RUNNING,
                                              _("The process is no longer running in the cloud sandbox.")));
      else
        finish_with_error (self, g_error_new (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED,
                                              _("The cloud sandbox reported an error: %s"), text));
    }
  else
    finish_with_error (self, g_error_new (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NETWORK,
                                          _("The connection to the cloud sandbox ended before the process did.")));
  return FALSE;
}

/* Consumes every complete envelope in the buffer. FALSE once finished. */
static gboolean
parse_buffer (TesseraE2bStream *self)
{
  while (self->buffer->len >= 5)
    {
      const guint8 *data = self->buffer->data;
      guint8 flags = data[0];
      guint32 len = ((guint32) data[1] << 24) | ((guint32) data[2] << 16) | ((guint32) data[3] << 8) | data[4];
      g_autoptr(JsonParser) parser = NULL;
      JsonNode *root;
      gboolean go_on;

      if (len > MAX_ENVELOPE || (flags & 0x01) != 0)
        {
          finish_with_error (self, g_error_new (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED,
                                                _("The cloud sandbox sent a message Tessera cannot read.")));
          return FALSE;
        }
      if (self->buffer->len < 5 + len)
        return TRUE;

      parser = json_parser_new ();
      if (!json_parser_load_from_data (parser, (const char *) data + 5, len, NULL) ||
          !JSON_NODE_HOLDS_OBJECT ((root = json_parser_get_root (parser))))
        {
          finish_with_error (self, g_error_new (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_FAILED,
                                                _("The cloud sandbox sent a message Tessera cannot read.")));
          return FALSE;
        }

      if (flags & 0x02)
        go_on = handle_end_stream (self, json_node_get_object (root));
      else
        {
          JsonObject *obj = json_node_get_object (root);
          JsonObject *event = json_object_has_member (obj, "event") ? json_object_get_object_member (obj, "event") : NULL;

          go_on = event ? handle_event (self, event) : TRUE;
        }
      g_byte_array_remove_range (self->buffer, 0, 5 + len);
      if (!go_on || self->finished)
        return FALSE;
    }
  return TRUE;
}

static void read_more (TesseraE2bStream *self);

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TesseraE2bStream) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);

  if (self->finished)
    return;

  if (bytes == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      finish_with_error (self, g_steal_pointer (&error));
      return;
    }
  if (bytes == NULL)
    {
      finish_with_error (self, g_error_new (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NETWORK,
                                            _("The connection to the cloud sandbox was lost: %s"),
                                            error->message));
      return;
    }
  if (g_bytes_get_size (bytes) == 0)
    {
      /* EOF without an end-stream message is a protocol error: the stream
       * was cut, the process may well still run. */
      finish_with_error (self, g_error_new (TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NETWORK,
                                            _("The connection to the cloud sandbox ended before the process did.")));
      return;
    }

  g_byte_array_append (self->buffer, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (parse_buffer (self))
    read_more (self);
}

static void
read_more (TesseraE2bStream *self)
{
  g_input_stream_read_bytes_async (self->input, READ_SIZE, G_PRIORITY_DEFAULT,
                                   self->cancellable, on_read, g_object_ref (self));
}

void
tessera_e2b_stream_start_async (TesseraE2bStream    *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TESSERA_IS_E2B_STREAM (self));
  g_return_if_fail (self->start_task == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_e2b_stream_start_async);
  self->start_task = g_steal_pointer (&task);
  if (cancellable)
    {
      self->start_cancellable = g_object_ref (cancellable);
      self->start_cancelled_id = g_signal_connect_object (cancellable, "cancelled",
                                                          G_CALLBACK (g_cancellable_cancel),
                                                          self->cancellable, G_CONNECT_SWAPPED);
    }
  read_more (self);
}

gboolean
tessera_e2b_stream_start_finish (TesseraE2bStream  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

guint
tessera_e2b_stream_get_pid (TesseraE2bStream *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_STREAM (self), 0);
  return self->pid;
}

void
tessera_e2b_stream_close (TesseraE2bStream *self)
{
  g_return_if_fail (TESSERA_IS_E2B_STREAM (self));
  /* Silently: whoever closes knows. */
  self->finished = TRUE;
  g_cancellable_cancel (self->cancellable);
  if (self->start_task)
    complete_start (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Closed"));
}

static void
tessera_e2b_stream_dispose (GObject *object)
{
  TesseraE2bStream *self = TESSERA_E2B_STREAM (object);

  g_cancellable_cancel (self->cancellable);
  if (self->start_cancelled_id)
    g_signal_handler_disconnect (self->start_cancellable, self->start_cancelled_id);
  self->start_cancelled_id = 0;
  g_clear_object (&self->start_cancellable);
  g_clear_object (&self->input);
  g_clear_object (&self->owner);

  G_OBJECT_CLASS (tessera_e2b_stream_parent_class)->dispose (object);
}

static void
tessera_e2b_stream_finalize (GObject *object)
{
  TesseraE2bStream *self = TESSERA_E2B_STREAM (object);

  g_clear_object (&self->cancellable);
  g_byte_array_unref (self->buffer);

  G_OBJECT_CLASS (tessera_e2b_stream_parent_class)->finalize (object);
}

static void
tessera_e2b_stream_class_init (TesseraE2bStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_e2b_stream_dispose;
  object_class->finalize = tessera_e2b_stream_finalize;

  signals[OUTPUT] = g_signal_new ("output", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_BYTES);
  signals[ENDED] = g_signal_new ("ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
  signals[LOST] = g_signal_new ("lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
tessera_e2b_stream_init (TesseraE2bStream *self)
{
  self->cancellable = g_cancellable_new ();
  self->buffer = g_byte_array_new ();
}

TesseraE2bStream *
tessera_e2b_stream_new (GInputStream *input,
                        GObject      *owner)
{
  TesseraE2bStream *self;

  g_return_val_if_fail (G_IS_INPUT_STREAM (input), NULL);

  self = g_object_new (TESSERA_TYPE_E2B_STREAM, NULL);
  self->input = g_object_ref (input);
  self->owner = owner ? g_object_ref (owner) : NULL;
  return self;
}
