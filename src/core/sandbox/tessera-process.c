/* tessera-process.c: a process running in a sandbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-process"

#include "config.h"

#include "tessera-process.h"

typedef struct
{
  char     *command_line;
  char     *error_message;
  /* Waiters of tessera_process_wait_async(), completed on exit. */
  GPtrArray *waiters;
  int       exit_status;
  guint     running : 1;
} TesseraProcessPrivate;

enum {
  PROP_0,
  PROP_COMMAND_LINE,
  PROP_RUNNING,
  PROP_EXIT_STATUS,
  N_PROPS
};

enum {
  OUTPUT,
  EXITED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_TYPE_WITH_PRIVATE (TesseraProcess, tessera_process, G_TYPE_OBJECT)

GType
tessera_process_stream_get_type (void)
{
  static gsize type_id;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { TESSERA_PROCESS_STDOUT, "TESSERA_PROCESS_STDOUT", "stdout" },
        { TESSERA_PROCESS_STDERR, "TESSERA_PROCESS_STDERR", "stderr" },
        { 0, NULL, NULL },
      };
      GType type = g_enum_register_static ("TesseraProcessStream", values);

      g_once_init_leave (&type_id, type);
    }

  return type_id;
}

typedef struct
{
  GTask   *task;
  GSource *cancel_source;
} Waiter;

static void
waiter_free (Waiter *waiter)
{
  /* An attached source would otherwise keep the task (and us) alive for
   * as long as the cancellable lives. */
  if (waiter->cancel_source != NULL)
    {
      g_source_destroy (waiter->cancel_source);
      g_source_unref (waiter->cancel_source);
    }
  g_clear_object (&waiter->task);
  g_free (waiter);
}

static void
tessera_process_real_kill (TesseraProcess *self)
{
}

static void
tessera_process_dispose (GObject *object)
{
  TesseraProcess *self = (TesseraProcess *)object;
  TesseraProcessPrivate *priv = tessera_process_get_instance_private (self);

  /* A waiter holds a reference to us, so none can be left here unless the
   * process is being torn down without exiting; fail them rather than
   * leave callers hanging. */
  while (priv->waiters->len > 0)
    {
      g_autoptr(GTask) task = g_object_ref (((Waiter *)g_ptr_array_index (priv->waiters, 0))->task);

      g_ptr_array_remove_index (priv->waiters, 0);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED,
                               "The process was released before it exited");
    }

  G_OBJECT_CLASS (tessera_process_parent_class)->dispose (object);
}

static void
tessera_process_finalize (GObject *object)
{
  TesseraProcess *self = (TesseraProcess *)object;
  TesseraProcessPrivate *priv = tessera_process_get_instance_private (self);

  g_clear_pointer (&priv->command_line, g_free);
  g_clear_pointer (&priv->error_message, g_free);
  g_clear_pointer (&priv->waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (tessera_process_parent_class)->finalize (object);
}

static void
tessera_process_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  TesseraProcess *self = TESSERA_PROCESS (object);

  switch (prop_id)
    {
    case PROP_COMMAND_LINE:
      g_value_set_string (value, tessera_process_get_command_line (self));
      break;

    case PROP_RUNNING:
      g_value_set_boolean (value, tessera_process_get_running (self));
      break;

    case PROP_EXIT_STATUS:
      g_value_set_int (value, tessera_process_get_exit_status (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_process_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  TesseraProcess *self = TESSERA_PROCESS (object);
  TesseraProcessPrivate *priv = tessera_process_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_COMMAND_LINE:
      priv->command_line = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_process_class_init (TesseraProcessClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_process_dispose;
  object_class->finalize = tessera_process_finalize;
  object_class->get_property = tessera_process_get_property;
  object_class->set_property = tessera_process_set_property;

  klass->kill = tessera_process_real_kill;

  properties[PROP_COMMAND_LINE] =
    g_param_spec_string ("command-line", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL,
                          TRUE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  properties[PROP_EXIT_STATUS] =
    g_param_spec_int ("exit-status", NULL, NULL,
                      -1, G_MAXINT, -1,
                      (G_PARAM_READABLE |
                       G_PARAM_EXPLICIT_NOTIFY |
                       G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[OUTPUT] =
    g_signal_new ("output",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2,
                  TESSERA_TYPE_PROCESS_STREAM,
                  G_TYPE_BYTES);

  signals[EXITED] =
    g_signal_new ("exited",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1,
                  G_TYPE_INT);
}

static void
tessera_process_init (TesseraProcess *self)
{
  TesseraProcessPrivate *priv = tessera_process_get_instance_private (self);

  priv->running = TRUE;
  priv->exit_status = -1;
  priv->waiters = g_ptr_array_new_with_free_func ((GDestroyNotify)waiter_free);
}

const char *
tessera_process_get_command_line (TesseraProcess *self)
{
  TesseraProcessPrivate *priv = tessera_process_get_instance_private (self);

  g_return_val_if_fail (TESSERA_IS_PROCESS (self), NULL);

  return priv->command_line;
}

gboolean
tessera_process_get_running (TesseraProcess *self)
{
  TesseraProcessPrivate *priv = tessera_process_get_instance_private (self);

  g_return_val_if_fail (TESSERA_IS_PROCESS (self), FALSE);

  return priv->running;
}

int
tessera_process_get_exit_status (TesseraProcess *self)
{
  TesseraProcessPrivate *priv = tessera_process_get_instance_private (self);

  g_return_val_if_fail (TESSERA_IS_PROCESS (self), -1);

  return priv->exit_status;
}

const char *
tessera_process_get_error_message (TesseraProcess *self)
{
  TesseraProcessPrivate *priv = tessera_process_get_instance_private (self);

  g_return_val_if_fail (TESSERA_IS_PROCESS (self), NULL);

  return priv->error_message;
}

void
tessera_process_kill (TesseraProcess *self)
{
  g_return_if_fail (TESSERA_IS_PROCESS (self));

  TESSERA_PROCESS_GET_CLASS (self)->kill (self);
}

static gboolean
waiter_cancelled_cb (GCancellable *cancellable,
                     gpointer      user_data)
{
  TesseraProcess *self = user_data;
  TesseraProcessPrivate *priv = tessera_process_get_instance_private (self);

  for (guint i = 0; i < priv->waiters->len; i++)
    {
      Waiter *waiter = g_ptr_array_index (priv->waiters, i);

      if (g_task_get_cancellable (waiter->task) == cancellable)
        {
          g_autoptr(GTask) task = g_object_ref (waiter->task);

          g_ptr_array_remove_index (priv->waiters, i);
          g_task_return_error_if_cancelled (task);
          break;
        }
    }

  return G_SOURCE_REMOVE;
}

void
tessera_process_wait_async (TesseraProcess      *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  TesseraProcessPrivate *priv = tessera_process_get_instance_private (self);
  g_autoptr(GTask) task = NULL;
  Waiter *waiter;

  g_return_if_fail (TESSERA_IS_PROCESS (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_process_wait_async);

  if (!priv->running)
    {
      g_task_return_int (task, priv->exit_status);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  waiter = g_new0 (Waiter, 1);
  waiter->task = g_steal_pointer (&task);

  if (cancellable != NULL)
    {
      waiter->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (waiter->cancel_source, G_SOURCE_FUNC (waiter_cancelled_cb), self, NULL);
      g_source_attach (waiter->cancel_source, g_task_get_context (waiter->task));
    }

  g_ptr_array_add (priv->waiters, waiter);
}

gboolean
tessera_process_wait_finish (TesseraProcess  *self,
                             GAsyncResult    *result,
                             int             *exit_status,
                             GError         **error)
{
  GError *local_error = NULL;
  gssize status;

  g_return_val_if_fail (TESSERA_IS_PROCESS (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  status = g_task_propagate_int (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }

  if (exit_status != NULL)
    *exit_status = (int)status;

  return TRUE;
}

void
tessera_process_emit_output (TesseraProcess       *self,
                             TesseraProcessStream  stream,
                             GBytes               *data)
{
  g_return_if_fail (TESSERA_IS_PROCESS (self));
  g_return_if_fail (data != NULL);

  if (g_bytes_get_size (data) == 0)
    return;

  g_signal_emit (self, signals[OUTPUT], 0, stream, data);
}

void
tessera_process_set_exited (TesseraProcess *self,
                            int             exit_status,
                            const char     *error_message)
{
  TesseraProcessPrivate *priv = tessera_process_get_instance_private (self);
  g_autoptr(GPtrArray) waiters = NULL;

  g_return_if_fail (TESSERA_IS_PROCESS (self));

  if (!priv->running)
    return;

  /* Keep ourselves alive: an ::exited handler may drop the last other
   * reference. */
  g_object_ref (self);

  priv->running = FALSE;
  priv->exit_status = exit_status;
  if (error_message != NULL && priv->error_message == NULL)
    priv->error_message = g_strdup (error_message);

  waiters = g_steal_pointer (&priv->waiters);
  priv->waiters = g_ptr_array_new_with_free_func ((GDestroyNotify)waiter_free);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXIT_STATUS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_signal_emit (self, signals[EXITED], 0, exit_status);

  for (guint i = 0; i < waiters->len; i++)
    g_task_return_int (((Waiter *)g_ptr_array_index (waiters, i))->task, exit_status);

  g_object_unref (self);
}
