/* tessera-session.c: one open project's AI conversation, turn by turn
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A turn is one or more rounds (the user's message, then at most two
 * automatic follow-ups), each a request, a streamed answer and its
 * actions. Actions are applied one at a time, in the order they arrive,
 * in a worker thread through the project's blocking API; before the
 * first change to a path in the turn its content is kept in memory, so
 * that a cancelled or failed turn puts every file back. Commands run in
 * the sandbox only once the files are final.
 */

#define G_LOG_DOMAIN "tessera-session"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "tessera-context-builder.h"
#include "tessera-diff.h"
#include "tessera-edit-applier.h"
#include "tessera-llm-registry.h"
#include "tessera-protocol-parser.h"
#include "tessera-session.h"

#define COMMAND_TIMEOUT_MS (5 * 60 * 1000)
/* Lines around each change in an action's diff, as in diff -u. */
#define DIFF_CONTEXT 3
/* Files touched by the last turn count as relevant for the next. */
#define RECENT_WEIGHT 50
#define FIX_WEIGHT 200

typedef struct _Turn Turn;

struct _TesseraSession
{
  GObject              parent_instance;

  TesseraProject      *project;
  TesseraConversation *conversation;
  TesseraLlmProvider  *provider;
  char                *model;
  TesseraSandbox      *sandbox;
  guint                context_tokens;
  guint64              max_file_size;
  GPtrArray           *recent;
  GSettings           *settings;
  Turn                *turn;
  guint                can_continue : 1;
};

G_DEFINE_FINAL_TYPE (TesseraSession, tessera_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROJECT,
  PROP_PROVIDER,
  PROP_MODEL,
  PROP_SANDBOX,
  PROP_CONTEXT_TOKENS,
  PROP_MAX_FILE_SIZE,
  PROP_BUSY,
  PROP_CAN_CONTINUE,
  N_PROPS
};

enum {
  MESSAGE_ADDED,
  TEXT_DELTA,
  ACTION_BEGIN,
  ACTION_DELTA,
  ACTION_END,
  USAGE,
  TURN_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

struct _Turn
{
  TesseraSession        *self;
  GTask                 *task;
  GCancellable          *cancellable;
  GCancellable          *user_cancellable;
  gulong                 user_cancel_id;

  GPtrArray             *relevant;
  char                  *prompt;
  /* The round's prompt's images (TesseraImage), or NULL. */
  GPtrArray             *images;
  TesseraChatMessage    *assistant;
  GPtrArray             *assistants;
  TesseraProtocolParser *parser;
  TesseraLlmStream      *stream;
  GError                *error;

  /* path -> GBytes, or NULL for "did not exist". */
  GHashTable            *snapshots;
  /* path -> GBytes: what the turn wrote, for the sandbox. */
  GHashTable            *written;
  GQueue                 pending;
  GPtrArray             *commands;
  GPtrArray             *problems;
  GPtrArray             *truncated_paths;
  TesseraProcess        *process;

  guint                  followups;
  guint                  command_index;
  guint                  applying : 1;
  guint                  stream_done : 1;
  guint                  max_tokens : 1;
};

static void start_round    (Turn *turn, const char *prompt, GPtrArray *images, gboolean automatic);
static void pump           (Turn *turn);
static void finish_turn    (Turn *turn, TesseraTurnStatus status, GError *error);

static void
maybe_unref_bytes (gpointer data)
{
  if (data != NULL)
    g_bytes_unref (data);
}

static void
turn_free (Turn *turn)
{
  if (turn->user_cancellable != NULL)
    {
      g_cancellable_disconnect (turn->user_cancellable, turn->user_cancel_id);
      g_object_unref (turn->user_cancellable);
    }
  g_clear_object (&turn->cancellable);
  g_ptr_array_unref (turn->relevant);
  g_free (turn->prompt);
  g_clear_pointer (&turn->images, g_ptr_array_unref);
  g_clear_object (&turn->assistant);
  g_ptr_array_unref (turn->assistants);
  if (turn->parser != NULL)
    g_signal_handlers_disconnect_by_data (turn->parser, turn);
  g_clear_object (&turn->parser);
  if (turn->stream != NULL)
    g_signal_handlers_disconnect_by_data (turn->stream, turn);
  g_clear_object (&turn->stream);
  g_clear_error (&turn->error);
  g_hash_table_unref (turn->snapshots);
  g_hash_table_unref (turn->written);
  g_queue_clear_full (&turn->pending, g_object_unref);
  g_ptr_array_unref (turn->commands);
  g_ptr_array_unref (turn->problems);
  g_ptr_array_unref (turn->truncated_paths);
  g_clear_object (&turn->process);
  g_free (turn);
}

/* GObject */

static void
tessera_session_dispose (GObject *object)
{
  TesseraSession *self = (TesseraSession *)object;

  if (self->turn != NULL)
    g_cancellable_cancel (self->turn->cancellable);
  g_clear_object (&self->provider);
  g_clear_object (&self->sandbox);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (tessera_session_parent_class)->dispose (object);
}

static void
tessera_session_finalize (GObject *object)
{
  TesseraSession *self = (TesseraSession *)object;

  g_clear_object (&self->project);
  g_clear_object (&self->conversation);
  g_free (self->model);
  g_ptr_array_unref (self->recent);

  G_OBJECT_CLASS (tessera_session_parent_class)->finalize (object);
}

static void
tessera_session_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  TesseraSession *self = TESSERA_SESSION (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;
    case PROP_PROVIDER:
      g_value_set_object (value, self->provider);
      break;
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_SANDBOX:
      g_value_set_object (value, self->sandbox);
      break;
    case PROP_CONTEXT_TOKENS:
      g_value_set_uint (value, self->context_tokens);
      break;
    case PROP_MAX_FILE_SIZE:
      g_value_set_uint64 (value, self->max_file_size);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->turn != NULL);
      break;
    case PROP_CAN_CONTINUE:
      g_value_set_boolean (value, self->can_continue);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_session_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  TesseraSession *self = TESSERA_SESSION (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      self->project = g_value_dup_object (value);
      break;
    case PROP_PROVIDER:
      tessera_session_set_provider (self, g_value_get_object (value));
      break;
    case PROP_MODEL:
      tessera_session_set_model (self, g_value_get_string (value));
      break;
    case PROP_SANDBOX:
      tessera_session_set_sandbox (self, g_value_get_object (value));
      break;
    case PROP_CONTEXT_TOKENS:
      tessera_session_set_context_tokens (self, g_value_get_uint (value));
      break;
    case PROP_MAX_FILE_SIZE:
      tessera_session_set_max_file_size (self, g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static guint64
size_from_variant (GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    return g_variant_get_uint64 (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    return MAX (g_variant_get_int64 (value), 0);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    return g_variant_get_uint32 (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32))
    return MAX (g_variant_get_int32 (value), 0);
  return 0;
}

static void
on_max_file_size_changed (GSettings      *settings,
                          const char     *key,
                          TesseraSession *self)
{
  g_autoptr(GVariant) value = g_settings_get_value (settings, key);
  guint64 size = size_from_variant (value);

  if (size > 0)
    tessera_session_set_max_file_size (self, size);
}

/* The limit comes from the project's own setting, else the application's
 * "max-file-size" key when the schema has one, else the default. */
static void
load_max_file_size (TesseraSession *self)
{
  const char *project_value = tessera_project_get_setting (self->project, "max-file-size");
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (project_value != NULL)
    {
      guint64 size = g_ascii_strtoull (project_value, NULL, 10);

      if (size > 0)
        {
          tessera_session_set_max_file_size (self, size);
          return;
        }
    }

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, SCHEMA_ID, TRUE);
  if (schema != NULL && g_settings_schema_has_key (schema, "max-file-size"))
    {
      self->settings = g_settings_new_full (schema, NULL, NULL);
      g_signal_connect_object (self->settings, "changed::max-file-size",
                               G_CALLBACK (on_max_file_size_changed), self, 0);
      on_max_file_size_changed (self->settings, "max-file-size", self);
    }
}

static void
tessera_session_constructed (GObject *object)
{
  TesseraSession *self = (TesseraSession *)object;
  g_autoptr(GFile) chat = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFile) attachments = NULL;

  G_OBJECT_CLASS (tessera_session_parent_class)->constructed (object);

  g_assert (TESSERA_IS_PROJECT (self->project));

  chat = g_file_get_child (tessera_project_get_root (self->project), TESSERA_PROJECT_STATE_DIR "/chat");
  file = g_file_get_child (chat, "conversation.json");
  attachments = g_file_get_child (chat, "attachments");
  self->conversation = tessera_conversation_new (file, attachments);

  load_max_file_size (self);
}

static void
tessera_session_class_init (TesseraSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = tessera_session_constructed;
  object_class->dispose = tessera_session_dispose;
  object_class->finalize = tessera_session_finalize;
  object_class->get_property = tessera_session_get_property;
  object_class->set_property = tessera_session_set_property;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL, TESSERA_TYPE_PROJECT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROVIDER] =
    g_param_spec_object ("provider", NULL, NULL, TESSERA_TYPE_LLM_PROVIDER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SANDBOX] =
    g_param_spec_object ("sandbox", NULL, NULL, TESSERA_TYPE_SANDBOX,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONTEXT_TOKENS] =
    g_param_spec_uint ("context-tokens", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_FILE_SIZE] =
    g_param_spec_uint64 ("max-file-size", NULL, NULL, 1, G_MAXUINT64, TESSERA_SESSION_DEFAULT_MAX_FILE_SIZE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_CONTINUE] =
    g_param_spec_boolean ("can-continue", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[MESSAGE_ADDED] =
    g_signal_new ("message-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, TESSERA_TYPE_CHAT_MESSAGE);
  signals[TEXT_DELTA] =
    g_signal_new ("text-delta", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, TESSERA_TYPE_CHAT_MESSAGE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[ACTION_BEGIN] =
    g_signal_new ("action-begin", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, TESSERA_TYPE_CHAT_MESSAGE, TESSERA_TYPE_ACTION);
  signals[ACTION_DELTA] =
    g_signal_new ("action-delta", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 4, TESSERA_TYPE_CHAT_MESSAGE, TESSERA_TYPE_ACTION,
                  G_TYPE_POINTER, G_TYPE_ULONG);
  signals[ACTION_END] =
    g_signal_new ("action-end", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, TESSERA_TYPE_CHAT_MESSAGE, TESSERA_TYPE_ACTION);
  signals[USAGE] =
    g_signal_new ("usage", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, TESSERA_TYPE_CHAT_MESSAGE, G_TYPE_UINT, G_TYPE_UINT);
  signals[TURN_FINISHED] =
    g_signal_new ("turn-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, TESSERA_TYPE_CHAT_MESSAGE, G_TYPE_INT,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
tessera_session_init (TesseraSession *self)
{
  self->max_file_size = TESSERA_SESSION_DEFAULT_MAX_FILE_SIZE;
  self->recent = g_ptr_array_new_with_free_func (g_free);
}

TesseraSession *
tessera_session_new (TesseraProject *project)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT (project), NULL);
  return g_object_new (TESSERA_TYPE_SESSION, "project", project, NULL);
}

TesseraProject *
tessera_session_get_project (TesseraSession *self)
{
  g_return_val_if_fail (TESSERA_IS_SESSION (self), NULL);
  return self->project;
}

GListModel *
tessera_session_get_messages (TesseraSession *self)
{
  g_return_val_if_fail (TESSERA_IS_SESSION (self), NULL);
  return tessera_conversation_get_messages (self->conversation);
}

TesseraConversation *
tessera_session_get_conversation (TesseraSession *self)
{
  g_return_val_if_fail (TESSERA_IS_SESSION (self), NULL);
  return self->conversation;
}

TesseraLlmProvider *
tessera_session_get_provider (TesseraSession *self)
{
  g_return_val_if_fail (TESSERA_IS_SESSION (self), NULL);
  return self->provider;
}

void
tessera_session_set_provider (TesseraSession     *self,
                              TesseraLlmProvider *provider)
{
  g_return_if_fail (TESSERA_IS_SESSION (self));
  if (g_set_object (&self->provider, provider))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROVIDER]);
}

const char *
tessera_session_get_model (TesseraSession *self)
{
  g_return_val_if_fail (TESSERA_IS_SESSION (self), NULL);
  return self->model;
}

void
tessera_session_set_model (TesseraSession *self,
                           const char     *model)
{
  g_return_if_fail (TESSERA_IS_SESSION (self));
  if (g_strcmp0 (self->model, model) == 0)
    return;
  g_free (self->model);
  self->model = g_strdup (model);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

TesseraSandbox *
tessera_session_get_sandbox (TesseraSession *self)
{
  g_return_val_if_fail (TESSERA_IS_SESSION (self), NULL);
  return self->sandbox;
}

void
tessera_session_set_sandbox (TesseraSession *self,
                             TesseraSandbox *sandbox)
{
  g_return_if_fail (TESSERA_IS_SESSION (self));
  if (g_set_object (&self->sandbox, sandbox))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SANDBOX]);
}

guint
tessera_session_get_context_tokens (TesseraSession *self)
{
  g_return_val_if_fail (TESSERA_IS_SESSION (self), 0);
  return self->context_tokens;
}

void
tessera_session_set_context_tokens (TesseraSession *self,
                                    guint           context_tokens)
{
  g_return_if_fail (TESSERA_IS_SESSION (self));
  if (self->context_tokens == context_tokens)
    return;
  self->context_tokens = context_tokens;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTEXT_TOKENS]);
}

guint64
tessera_session_get_max_file_size (TesseraSession *self)
{
  g_return_val_if_fail (TESSERA_IS_SESSION (self), 0);
  return self->max_file_size;
}

void
tessera_session_set_max_file_size (TesseraSession *self,
                                   guint64         max_file_size)
{
  g_return_if_fail (TESSERA_IS_SESSION (self));
  if (self->max_file_size == max_file_size || max_file_size == 0)
    return;
  self->max_file_size = max_file_size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_FILE_SIZE]);
}

gboolean
tessera_session_get_busy (TesseraSession *self)
{
  g_return_val_if_fail (TESSERA_IS_SESSION (self), FALSE);
  return self->turn != NULL;
}

gboolean
tessera_session_get_can_continue (TesseraSession *self)
{
  g_return_val_if_fail (TESSERA_IS_SESSION (self), FALSE);
  return self->can_continue;
}

static void
set_can_continue (TesseraSession *self,
                  gboolean        can_continue)
{
  if (self->can_continue == !!can_continue)
    return;
  self->can_continue = !!can_continue;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_CONTINUE]);
}

/* Loading */

static void
load_done (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraSession *self = g_task_get_source_object (task);
  GError *error = NULL;
  guint n;

  if (!tessera_conversation_load_finish (TESSERA_CONVERSATION (object), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* A turn cut off last time can still be continued. */
  n = tessera_conversation_get_n_messages (self->conversation);
  for (guint i = n; i > 0; i--)
    {
      TesseraChatMessage *message = tessera_conversation_get_message (self->conversation, i - 1);

      if (tessera_chat_message_get_role (message) == TESSERA_CHAT_ROLE_ASSISTANT)
        {
          set_can_continue (self, tessera_chat_message_get_status (message) == TESSERA_TURN_INCOMPLETE);
          break;
        }
    }

  for (guint i = 0; i < n; i++)
    g_signal_emit (self, signals[MESSAGE_ADDED], 0, tessera_conversation_get_message (self->conversation, i));

  g_task_return_boolean (task, TRUE);
}

void
tessera_session_load_async (TesseraSession      *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (TESSERA_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_session_load_async);
  tessera_conversation_load_async (self->conversation, cancellable, load_done, task);
}

gboolean
tessera_session_load_finish (TesseraSession  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Messages */

static void
add_message (TesseraSession     *self,
             TesseraChatMessage *message)
{
  tessera_conversation_append (self->conversation, message);
  tessera_conversation_save (self->conversation);
  g_signal_emit (self, signals[MESSAGE_ADDED], 0, message);
}

static void
settle (Turn                *turn,
        TesseraAction       *action,
        TesseraActionStatus  status,
        const char          *message)
{
  tessera_action_set_status (action, status, message);
  g_signal_emit (turn->self, signals[ACTION_END], 0, turn->assistant, action);
}

/* Applying actions (worker thread) */

typedef struct
{
  TesseraProject      *project;
  TesseraAction       *action;
  GPtrArray           *to_snapshot;
  /* Results. */
  GPtrArray           *snap_paths;
  GPtrArray           *snap_values;
  TesseraActionStatus  status;
  char                *message;
  GBytes              *written;
  GPtrArray           *failures;
  /* What the action did to its file. */
  char                *diff;
  guint                n_added;
  guint                n_removed;
} ApplyJob;

static void
apply_job_free (ApplyJob *job)
{
  g_clear_object (&job->project);
  g_clear_object (&job->action);
  g_ptr_array_unref (job->to_snapshot);
  g_ptr_array_unref (job->snap_paths);
  g_ptr_array_unref (job->snap_values);
  g_free (job->message);
  g_clear_pointer (&job->written, g_bytes_unref);
  g_ptr_array_unref (job->failures);
  g_free (job->diff);
  g_free (job);
}

static gboolean
is_not_found (const GError *error)
{
  return g_error_matches (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_NOT_FOUND) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
job_fail (ApplyJob            *job,
          TesseraActionStatus  status,
          char                *message)
{
  job->status = status;
  g_free (job->message);
  job->message = message;
}

static gboolean
job_check_path (ApplyJob   *job,
                const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = tessera_project_resolve (job->project, path, &error);

  if (file == NULL)
    {
      job_fail (job, TESSERA_ACTION_REFUSED,
                g_strdup_printf (_("“%s” is not a path inside the project, so it was not touched."), path));
      return FALSE;
    }
  return TRUE;
}

/* As git tells them: a NUL in the first 8,000 bytes. */
static gboolean
looks_binary (const char *data,
              gsize       len)
{
  return data != NULL && memchr (data, '\0', MIN (len, 8000)) != NULL;
}

/* NULL for a binary file: a diff of it says nothing to a reader. */
static char *
diff_bytes (GBytes *before,
            GBytes *after,
            guint  *n_added,
            guint  *n_removed)
{
  gsize before_len = 0, after_len = 0;
  const char *before_data = before != NULL ? g_bytes_get_data (before, &before_len) : NULL;
  const char *after_data = after != NULL ? g_bytes_get_data (after, &after_len) : NULL;

  if (looks_binary (before_data, before_len) || looks_binary (after_data, after_len))
    return NULL;

  return tessera_diff_unified (before_data, before_len, after_data, after_len, DIFF_CONTEXT, n_added, n_removed);
}

static void
apply_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  ApplyJob *job = task_data;
  TesseraAction *action = job->action;
  TesseraActionKind kind = tessera_action_get_kind (action);
  const char *path = tessera_action_get_path (action);
  g_autoptr(GBytes) current = NULL;
  g_autoptr(GError) error = NULL;
  gboolean current_read = FALSE;

  job->status = TESSERA_ACTION_APPLIED;

  if (!job_check_path (job, path) ||
      (tessera_action_get_to (action) != NULL && !job_check_path (job, tessera_action_get_to (action))))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* Never cancelled: a half-taken snapshot could not be restored. */
  for (guint i = 0; i < job->to_snapshot->len; i++)
    {
      const char *snap = g_ptr_array_index (job->to_snapshot, i);
      GBytes *bytes = tessera_project_read (job->project, snap, NULL, &error);

      if (bytes == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY))
        {
          job_fail (job, TESSERA_ACTION_REFUSED,
                    g_strdup_printf (_("“%s” is a folder; the assistant may only change files."), snap));
          g_task_return_boolean (task, TRUE);
          return;
        }
      if (bytes == NULL && !is_not_found (error))
        {
          job_fail (job, TESSERA_ACTION_FAILED,
                    g_strdup_printf (_("Could not read “%s”: %s"), snap, error->message));
          g_task_return_boolean (task, TRUE);
          return;
        }
      g_clear_error (&error);
      g_ptr_array_add (job->snap_paths, g_strdup (snap));
      g_ptr_array_add (job->snap_values, bytes);
    }

  /* The file as this action finds it (the snapshot is the file as the
   * turn found it): what an edit applies to, and what the action's diff
   * starts from. On the turn's first change to it, that is the snapshot
   * just read. */
  for (guint i = 0; kind != TESSERA_ACTION_RENAME && i < job->snap_paths->len; i++)
    {
      if (g_str_equal (g_ptr_array_index (job->snap_paths, i), path))
        {
          GBytes *snapshot = g_ptr_array_index (job->snap_values, i);

          current = snapshot != NULL ? g_bytes_ref (snapshot) : NULL;
          current_read = TRUE;
          break;
        }
    }
  if (kind != TESSERA_ACTION_RENAME && !current_read)
    {
      current = tessera_project_read (job->project, path, NULL, &error);
      /* Only an edit needs it; a write or a delete then has no diff. */
      if (current == NULL && !is_not_found (error) && kind == TESSERA_ACTION_EDIT)
        {
          job_fail (job, TESSERA_ACTION_FAILED,
                    g_strdup_printf (_("Could not read “%s”: %s"), path, error->message));
          g_task_return_boolean (task, TRUE);
          return;
        }
      g_clear_error (&error);
    }

  switch (kind)
    {
    case TESSERA_ACTION_WRITE:
      {
        g_autoptr(GBytes) contents = tessera_action_dup_content_bytes (action);

        if (!tessera_project_write (job->project, path, contents, NULL, &error))
          job_fail (job, TESSERA_ACTION_FAILED,
                    g_strdup_printf (_("Could not write “%s”: %s"), path, error->message));
        else
          job->written = g_bytes_ref (contents);
      }
      break;

    case TESSERA_ACTION_EDIT:
      {
        g_autoptr(TesseraEditApplier) applier = NULL;
        g_autoptr(GPtrArray) blocks = NULL;
        const char *data = NULL;
        gsize len = 0;
        guint applied;

        if (current != NULL)
          data = g_bytes_get_data (current, &len);

        if (!(blocks = tessera_action_parse_edit_blocks (action, &error)))
          {
            g_ptr_array_add (job->failures, g_strdup (error->message));
            job_fail (job, TESSERA_ACTION_FAILED, g_strdup (error->message));
            break;
          }

        applier = tessera_edit_applier_new (data, len);
        applied = tessera_edit_applier_apply_all (applier, blocks, job->failures);
        if (applied == 0)
          {
            g_autofree char *joined = NULL;

            g_ptr_array_add (job->failures, NULL);
            joined = g_strjoinv (" ", (char **)job->failures->pdata);
            g_ptr_array_remove_index (job->failures, job->failures->len - 1);
            job_fail (job, TESSERA_ACTION_FAILED,
                      current == NULL
                        ? g_strdup_printf (_("“%s” does not exist, so it cannot be edited."), path)
                        : g_strdup_printf (_("The change to “%s” was not applied. %s"), path, joined));
            break;
          }

        job->written = tessera_edit_applier_dup_bytes (applier);
        if (!tessera_project_write (job->project, path, job->written, NULL, &error))
          {
            job_fail (job, TESSERA_ACTION_FAILED,
                      g_strdup_printf (_("Could not write “%s”: %s"), path, error->message));
            g_clear_pointer (&job->written, g_bytes_unref);
            break;
          }
        if (job->failures->len > 0)
          {
            g_autofree char *joined = NULL;

            g_ptr_array_add (job->failures, NULL);
            joined = g_strjoinv (" ", (char **)job->failures->pdata);
            g_ptr_array_remove_index (job->failures, job->failures->len - 1);
            job_fail (job, TESSERA_ACTION_FAILED,
                      g_strdup_printf (ngettext ("%u of %u change to “%s” was applied. %s",
                                                 "%u of %u changes to “%s” were applied. %s",
                                                 blocks->len),
                                       applied, blocks->len, path, joined));
          }
      }
      break;

    case TESSERA_ACTION_DELETE:
      /* A file already gone is what the model wanted. */
      if (!tessera_project_delete (job->project, path, FALSE, NULL, &error))
        {
          if (is_not_found (error))
            job->message = g_strdup_printf (_("“%s” did not exist."), path);
          else
            job_fail (job, TESSERA_ACTION_FAILED,
                      g_strdup_printf (_("Could not delete “%s”: %s"), path, error->message));
        }
      break;

    case TESSERA_ACTION_RENAME:
      if (!tessera_project_rename (job->project, path, tessera_action_get_to (action), NULL, &error))
        job_fail (job, TESSERA_ACTION_FAILED,
                  g_strdup_printf (_("Could not rename “%s” to “%s”: %s"),
                                   path, tessera_action_get_to (action), error->message));
      break;

    case TESSERA_ACTION_RUN:
    case TESSERA_ACTION_ADD_DEPENDENCY:
    case TESSERA_ACTION_SUMMARY:
    default:
      g_assert_not_reached ();
    }

  /* What the action did to its file, for its card: here, as a large
   * file takes a moment. An edit that failed in part still changed it. */
  if (job->written != NULL || (kind == TESSERA_ACTION_DELETE && job->status == TESSERA_ACTION_APPLIED))
    job->diff = diff_bytes (current, job->written, &job->n_added, &job->n_removed);

  g_task_return_boolean (task, TRUE);
}

/* Paths the model may never touch: Tessera's own state and the manifest. */
static gboolean
is_reserved_path (const char *path)
{
  g_autofree char *first = NULL;
  const char *slash;

  while (*path == '/' || (path[0] == '.' && path[1] == '/'))
    path += (*path == '/') ? 1 : 2;
  slash = strchr (path, '/');
  first = slash ? g_strndup (path, slash - path) : g_strdup (path);

  return g_ascii_strcasecmp (first, TESSERA_PROJECT_STATE_DIR) == 0 ||
         g_ascii_strcasecmp (first, ".git") == 0 ||
         (slash == NULL && g_str_has_suffix (first, TESSERA_PROJECT_MANIFEST_SUFFIX));
}

static void
apply_done (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Turn *turn = user_data;
  ApplyJob *job = g_task_get_task_data (G_TASK (result));
  TesseraAction *action = job->action;

  for (guint i = 0; i < job->snap_paths->len; i++)
    {
      const char *path = g_ptr_array_index (job->snap_paths, i);
      GBytes *bytes = g_ptr_array_index (job->snap_values, i);

      if (!g_hash_table_contains (turn->snapshots, path))
        g_hash_table_insert (turn->snapshots, g_strdup (path), bytes ? g_bytes_ref (bytes) : NULL);
    }

  if (job->written != NULL)
    g_hash_table_insert (turn->written, g_strdup (tessera_action_get_path (action)), g_bytes_ref (job->written));
  if (job->status == TESSERA_ACTION_APPLIED && tessera_action_get_kind (action) == TESSERA_ACTION_DELETE)
    g_hash_table_remove (turn->written, tessera_action_get_path (action));

  if (tessera_action_get_kind (action) == TESSERA_ACTION_EDIT && job->status == TESSERA_ACTION_FAILED)
    {
      g_autofree char *desc = tessera_action_describe (action);
      g_ptr_array_add (turn->problems, g_strdup_printf ("%s: %s", desc, job->message));
    }

  /* Before the status, so that whoever sees the action applied sees
   * its diff. */
  if (job->diff != NULL)
    tessera_action_set_diff (action, job->diff, job->n_added, job->n_removed);
  settle (turn, action, job->status, job->message);

  turn->applying = FALSE;
  pump (turn);
}

static void
refuse (Turn          *turn,
        TesseraAction *action,
        char          *message)
{
  settle (turn, action, TESSERA_ACTION_REFUSED, message);
  g_free (message);
}

/* Validates what needs no disk, then hands the action to a worker. */
static void
apply_next (Turn          *turn,
            TesseraAction *action)
{
  TesseraSession *self = turn->self;
  TesseraActionKind kind = tessera_action_get_kind (action);
  const char *path = tessera_action_get_path (action);
  const char *to = tessera_action_get_to (action);
  g_autoptr(GTask) task = NULL;
  ApplyJob *job;
  gsize len;

  tessera_action_get_content (action, &len);

  if (path == NULL || (kind == TESSERA_ACTION_RENAME && to == NULL))
    {
      refuse (turn, action, g_strdup (_("The assistant did not say which file to change.")));
      pump (turn);
      return;
    }
  if (is_reserved_path (path) || (to != NULL && is_reserved_path (to)))
    {
      refuse (turn, action, g_strdup_printf (_("“%s” belongs to Tessera, not to the app, so it was not touched."),
                                             is_reserved_path (path) ? path : to));
      pump (turn);
      return;
    }
  if ((kind == TESSERA_ACTION_WRITE || kind == TESSERA_ACTION_EDIT) && tessera_action_get_truncated (action))
    {
      g_autofree char *message =
        g_strdup_printf (_("The answer was cut off before the end of “%s”, so it was not written."), path);

      settle (turn, action, TESSERA_ACTION_FAILED, message);
      g_ptr_array_add (turn->truncated_paths, g_strdup (path));
      pump (turn);
      return;
    }
  if (kind == TESSERA_ACTION_WRITE && len > self->max_file_size)
    {
      g_autofree char *size = g_format_size (len);
      g_autofree char *limit = g_format_size (self->max_file_size);

      refuse (turn, action, g_strdup_printf (_("“%s” would be %s, more than the limit of %s for one file."),
                                             path, size, limit));
      pump (turn);
      return;
    }

  job = g_new0 (ApplyJob, 1);
  job->project = g_object_ref (self->project);
  job->action = g_object_ref (action);
  job->to_snapshot = g_ptr_array_new_with_free_func (g_free);
  job->snap_paths = g_ptr_array_new_with_free_func (g_free);
  job->snap_values = g_ptr_array_new_with_free_func (maybe_unref_bytes);
  job->failures = g_ptr_array_new_with_free_func (g_free);
  if (!g_hash_table_contains (turn->snapshots, path))
    g_ptr_array_add (job->to_snapshot, g_strdup (path));
  if (to != NULL && !g_hash_table_contains (turn->snapshots, to))
    g_ptr_array_add (job->to_snapshot, g_strdup (to));

  turn->applying = TRUE;
  task = g_task_new (NULL, NULL, apply_done, turn);
  g_task_set_source_tag (task, apply_next);
  g_task_set_task_data (task, job, (GDestroyNotify)apply_job_free);
  g_task_run_in_thread (task, apply_thread);
}

static void round_done (Turn *turn);

static void
pump (Turn *turn)
{
  /* Nothing more reaches the disk once the user stopped the turn. */
  if (g_cancellable_is_cancelled (turn->cancellable))
    g_queue_clear_full (&turn->pending, g_object_unref);

  while (!turn->applying && !g_queue_is_empty (&turn->pending))
    {
      g_autoptr(TesseraAction) action = g_queue_pop_head (&turn->pending);

      apply_next (turn, action);
      return;
    }

  if (!turn->applying && g_queue_is_empty (&turn->pending) && turn->stream_done)
    round_done (turn);
}

/* Restoring */

static void
restore_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  TesseraProject *project = source_object;
  GHashTable *snapshots = task_data;
  GHashTableIter iter;
  gpointer key, value;
  guint failures = 0;

  g_hash_table_iter_init (&iter, snapshots);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autoptr(GError) error = NULL;

      if (value == NULL)
        {
          if (!tessera_project_delete (project, key, FALSE, NULL, &error) && !is_not_found (error))
            failures++;
        }
      else if (!tessera_project_write (project, key, value, NULL, &error))
        failures++;

      if (error != NULL && !is_not_found (error))
        g_warning ("Could not restore %s: %s", (const char *)key, error->message);
    }

  g_task_return_int (task, failures);
}

typedef struct
{
  Turn              *turn;
  TesseraTurnStatus  status;
  GError            *error;
} RestoreData;

static void
restore_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  RestoreData *data = user_data;
  Turn *turn = data->turn;

  g_task_propagate_int (G_TASK (result), NULL);

  for (guint i = 0; i < turn->assistants->len; i++)
    {
      GPtrArray *actions = tessera_chat_message_get_actions (g_ptr_array_index (turn->assistants, i));

      for (guint j = 0; j < actions->len; j++)
        {
          TesseraAction *action = g_ptr_array_index (actions, j);

          if (tessera_action_get_status (action) == TESSERA_ACTION_APPLIED &&
              tessera_action_get_kind (action) != TESSERA_ACTION_SUMMARY)
            tessera_action_set_status (action, TESSERA_ACTION_REVERTED,
                                       _("Undone: the files are back as they were before this message."));
          else if (tessera_action_get_status (action) == TESSERA_ACTION_PENDING)
            tessera_action_set_status (action, TESSERA_ACTION_REVERTED, NULL);
        }
    }

  finish_turn (turn, data->status, data->error);
  g_free (data);
}

static void
restore_and_finish (Turn              *turn,
                    TesseraTurnStatus  status,
                    GError            *error)
{
  g_autoptr(GTask) task = NULL;
  RestoreData *data = g_new0 (RestoreData, 1);

  data->turn = turn;
  data->status = status;
  data->error = error;

  task = g_task_new (turn->self->project, NULL, restore_done, data);
  g_task_set_source_tag (task, restore_and_finish);
  g_task_set_task_data (task, g_hash_table_ref (turn->snapshots), (GDestroyNotify)g_hash_table_unref);
  g_task_run_in_thread (task, restore_thread);
}

/* Commands */

static void run_next_command (Turn *turn);

static void
on_process_output (TesseraProcess       *process,
                   TesseraProcessStream  stream,
                   GBytes               *data,
                   TesseraAction        *action)
{
  gsize len;
  const char *bytes = g_bytes_get_data (data, &len);

  tessera_action_append_output (action, bytes, len);
}

static void
process_waited (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Turn *turn = user_data;
  TesseraProcess *process = TESSERA_PROCESS (object);
  TesseraAction *action = g_ptr_array_index (turn->commands, turn->command_index);
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_signal_handlers_disconnect_by_func (process, on_process_output, action);

  if (!tessera_process_wait_finish (process, result, &status, &error))
    {
      tessera_process_kill (process);
      g_clear_object (&turn->process);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          settle (turn, action, TESSERA_ACTION_FAILED, _("Stopped."));
          restore_and_finish (turn, TESSERA_TURN_CANCELLED, g_steal_pointer (&error));
          return;
        }
      settle (turn, action, TESSERA_ACTION_FAILED, error->message);
    }
  else if (status != 0)
    {
      g_autofree char *message = NULL;

      if (tessera_process_get_error_message (process) != NULL)
        message = g_strdup (tessera_process_get_error_message (process));
      else
        message = g_strdup_printf (_("The command failed with exit status %d."), status);
      settle (turn, action, TESSERA_ACTION_FAILED, message);
    }
  else
    settle (turn, action, TESSERA_ACTION_APPLIED, NULL);

  g_clear_object (&turn->process);
  turn->command_index++;
  run_next_command (turn);
}

static void
process_spawned (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Turn *turn = user_data;
  TesseraAction *action = g_ptr_array_index (turn->commands, turn->command_index);
  g_autoptr(GError) error = NULL;

  turn->process = tessera_sandbox_spawn_finish (TESSERA_SANDBOX (object), result, &error);
  if (turn->process == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          settle (turn, action, TESSERA_ACTION_FAILED, _("Stopped."));
          restore_and_finish (turn, TESSERA_TURN_CANCELLED, g_steal_pointer (&error));
          return;
        }
      settle (turn, action, TESSERA_ACTION_FAILED, error->message);
      turn->command_index++;
      run_next_command (turn);
      return;
    }

  g_signal_connect (turn->process, "output", G_CALLBACK (on_process_output), action);
  tessera_process_wait_async (turn->process, turn->cancellable, process_waited, turn);
}

static gboolean
wants_pip (Turn          *turn,
           TesseraAction *action)
{
  const char *manager = tessera_action_get_manager (action);
  GHashTableIter iter;
  gpointer key;

  if (manager != NULL)
    return g_ascii_strncasecmp (manager, "pip", 3) == 0 || g_ascii_strcasecmp (manager, "python") == 0;

  g_hash_table_iter_init (&iter, turn->written);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_str_has_suffix (key, ".py") || g_str_equal (key, "requirements.txt"))
      return TRUE;
  return FALSE;
}

static void
run_next_command (Turn *turn)
{
  TesseraSession *self = turn->self;
  g_autoptr(GStrvBuilder) argv = NULL;
  g_auto(GStrv) args = NULL;
  TesseraAction *action;

  if (turn->command_index >= turn->commands->len)
    {
      finish_turn (turn, TESSERA_TURN_COMPLETE, NULL);
      return;
    }
  if (g_cancellable_is_cancelled (turn->cancellable))
    {
      restore_and_finish (turn, TESSERA_TURN_CANCELLED,
                          g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Stopped.")));
      return;
    }

  action = g_ptr_array_index (turn->commands, turn->command_index);
  argv = g_strv_builder_new ();

  if (tessera_action_get_kind (action) == TESSERA_ACTION_RUN)
    {
      const char *command = tessera_action_get_command (action);

      if (command == NULL)
        {
          settle (turn, action, TESSERA_ACTION_REFUSED, _("The command is empty."));
          turn->command_index++;
          run_next_command (turn);
          return;
        }
      g_strv_builder_add_many (argv, "sh", "-c", command, NULL);
    }
  else
    {
      const char * const *packages = tessera_action_get_packages (action);

      if (packages == NULL || packages[0] == NULL)
        {
          settle (turn, action, TESSERA_ACTION_REFUSED, _("No package was named."));
          turn->command_index++;
          run_next_command (turn);
          return;
        }
      if (wants_pip (turn, action))
        g_strv_builder_add_many (argv, "pip", "install", NULL);
      else
        g_strv_builder_add_many (argv, "npm", "install", "--no-fund", "--no-audit", NULL);
      for (guint i = 0; packages[i] != NULL; i++)
        {
          /* A package name is never an option. */
          if (packages[i][0] == '-')
            {
              g_autofree char *message = g_strdup_printf (_("“%s” is not a package name."), packages[i]);

              settle (turn, action, TESSERA_ACTION_REFUSED, message);
              turn->command_index++;
              run_next_command (turn);
              return;
            }
          g_strv_builder_add (argv, packages[i]);
        }
    }

  if (self->sandbox == NULL)
    {
      settle (turn, action, TESSERA_ACTION_REFUSED, _("No sandbox is running, so the command was not run."));
      turn->command_index++;
      run_next_command (turn);
      return;
    }

  args = g_strv_builder_end (argv);
  tessera_sandbox_spawn_async (self->sandbox, (const char * const *)args, NULL, NULL,
                               COMMAND_TIMEOUT_MS, turn->cancellable, process_spawned, turn);
}

static void
files_synced (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Turn *turn = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_sandbox_write_files_finish (TESSERA_SANDBOX (object), result, &error))
    g_debug ("Could not copy the files to the sandbox: %s", error->message);

  run_next_command (turn);
}

static void
run_commands (Turn *turn)
{
  TesseraSession *self = turn->self;
  g_autoptr(GPtrArray) files = NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (turn->commands->len == 0 || self->sandbox == NULL)
    {
      run_next_command (turn);
      return;
    }

  /* A remote sandbox needs the files before it can run anything. */
  files = g_ptr_array_new_with_free_func ((GDestroyNotify)tessera_sandbox_file_free);
  g_hash_table_iter_init (&iter, turn->written);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_ptr_array_add (files, tessera_sandbox_file_new (key, value));

  if (files->len == 0)
    {
      run_next_command (turn);
      return;
    }
  tessera_sandbox_write_files_async (self->sandbox, files, turn->cancellable, files_synced, turn);
}

/* Turn end */

static gboolean
looks_like_code (TesseraChatMessage *message)
{
  return strstr (tessera_chat_message_get_text (message), "```") != NULL;
}

static TesseraTurnStatus
compute_status (Turn *turn)
{
  guint applied = 0, problems = 0, command_problems = 0, file_actions = 0;
  gboolean code = FALSE;

  for (guint i = 0; i < turn->assistants->len; i++)
    {
      TesseraChatMessage *message = g_ptr_array_index (turn->assistants, i);
      GPtrArray *actions = tessera_chat_message_get_actions (message);
      gboolean last = i + 1 == turn->assistants->len;

      code |= looks_like_code (message);
      for (guint j = 0; j < actions->len; j++)
        {
          TesseraAction *action = g_ptr_array_index (actions, j);
          TesseraActionKind kind = tessera_action_get_kind (action);
          TesseraActionStatus status = tessera_action_get_status (action);

          if (kind == TESSERA_ACTION_SUMMARY)
            continue;
          if (kind != TESSERA_ACTION_RUN && kind != TESSERA_ACTION_ADD_DEPENDENCY)
            file_actions++;
          if (status == TESSERA_ACTION_APPLIED && kind != TESSERA_ACTION_RUN &&
              kind != TESSERA_ACTION_ADD_DEPENDENCY)
            applied++;
          /* Failures of earlier rounds were sent back and retried. */
          if (kind == TESSERA_ACTION_RUN || kind == TESSERA_ACTION_ADD_DEPENDENCY)
            command_problems += status == TESSERA_ACTION_REFUSED || status == TESSERA_ACTION_FAILED;
          else if (status == TESSERA_ACTION_REFUSED || (status == TESSERA_ACTION_FAILED && last))
            problems++;
        }
    }

  if (applied == 0 && (problems > 0 || (file_actions == 0 && code)))
    return TESSERA_TURN_NOTHING_APPLIED;
  if (problems > 0 || command_problems > 0)
    return TESSERA_TURN_PARTIAL;
  return TESSERA_TURN_COMPLETE;
}

static void
flushed (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  tessera_conversation_flush_finish (TESSERA_CONVERSATION (object), result, NULL);
  g_task_return_boolean (task, TRUE);
}

/* How a turn ended, kept on its task until send_finish(). */
typedef struct
{
  TesseraTurnStatus  status;
  GError            *error;
} TurnResult;

static void
turn_result_free (TurnResult *result)
{
  g_clear_error (&result->error);
  g_free (result);
}

static void
finish_turn (Turn              *turn,
             TesseraTurnStatus  status,
             GError            *error)
{
  TurnResult *result;
  TesseraSession *self = turn->self;
  GTask *task = turn->task;
  g_autoptr(TesseraChatMessage) last = turn->assistant ? g_object_ref (turn->assistant) : NULL;
  GHashTableIter iter;
  gpointer key;

  if (status == TESSERA_TURN_COMPLETE)
    status = compute_status (turn);

  if (last != NULL)
    tessera_chat_message_set_status (last, status);
  for (guint i = 0; i < turn->assistants->len; i++)
    {
      TesseraChatMessage *message = g_ptr_array_index (turn->assistants, i);

      if (tessera_chat_message_get_status (message) == TESSERA_TURN_RUNNING)
        tessera_chat_message_set_status (message, status == TESSERA_TURN_INCOMPLETE ? TESSERA_TURN_PARTIAL : status);
    }

  /* What this turn touched is what the next one most likely needs. */
  if (status != TESSERA_TURN_CANCELLED && status != TESSERA_TURN_FAILED)
    {
      g_ptr_array_set_size (self->recent, 0);
      g_hash_table_iter_init (&iter, turn->written);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_ptr_array_add (self->recent, g_strdup (key));
    }

  set_can_continue (self, status == TESSERA_TURN_INCOMPLETE);
  tessera_conversation_save (self->conversation);

  self->turn = NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  g_signal_emit (self, signals[TURN_FINISHED], 0, last, (int)status, error);

  result = g_new0 (TurnResult, 1);
  result->status = status;
  result->error = error;
  g_task_set_task_data (task, result, (GDestroyNotify)turn_result_free);

  turn_free (turn);
  /* Answer only once the conversation is on disk. */
  tessera_conversation_flush_async (self->conversation, NULL, flushed, task);
}

static char *
followup_prompt (Turn *turn)
{
  GString *text = g_string_new (NULL);

  if (turn->problems->len > 0)
    {
      g_string_append (text, _("Some of your changes could not be applied:"));
      g_string_append_c (text, '\n');
      for (guint i = 0; i < turn->problems->len; i++)
        g_string_append_printf (text, "- %s\n", (const char *)g_ptr_array_index (turn->problems, i));
      g_string_append (text, _("The files as they are now are shown above. Send new tessera-edit blocks whose SEARCH text is copied exactly from the current file, or rewrite the whole file with tessera-write. Changes that were applied are already in the files."));
      g_string_append_c (text, '\n');
    }
  if (turn->truncated_paths->len > 0)
    {
      g_ptr_array_add (turn->truncated_paths, NULL);
      {
        g_autofree char *paths = g_strjoinv (", ", (char **)turn->truncated_paths->pdata);

        g_string_append_printf (text, _("Your answer was cut off while writing %s. Continue from where you stopped: write %s again, completely, and then whatever else you still had to do."),
                                paths, paths);
      }
      g_ptr_array_remove_index (turn->truncated_paths, turn->truncated_paths->len - 1);
    }
  else if (turn->max_tokens)
    g_string_append (text, _("Your answer was cut off. Continue from where you stopped."));

  return g_string_free (text, FALSE);
}

static void
round_done (Turn *turn)
{
  GError *error = g_steal_pointer (&turn->error);

  if (g_cancellable_is_cancelled (turn->cancellable) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_error (&error);
      restore_and_finish (turn, TESSERA_TURN_CANCELLED,
                          g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Stopped.")));
      return;
    }

  if (g_error_matches (error, TESSERA_LLM_ERROR, TESSERA_LLM_ERROR_INTERRUPTED))
    {
      /* Keep what arrived; "Continue" picks it up. */
      finish_turn (turn, TESSERA_TURN_INCOMPLETE, error);
      return;
    }

  if (error != NULL)
    {
      restore_and_finish (turn, TESSERA_TURN_FAILED, error);
      return;
    }

  if ((turn->problems->len > 0 || turn->truncated_paths->len > 0 || turn->max_tokens) &&
      turn->followups < TESSERA_SESSION_MAX_FOLLOWUPS)
    {
      g_autofree char *prompt = followup_prompt (turn);

      turn->followups++;
      tessera_chat_message_set_status (turn->assistant, TESSERA_TURN_PARTIAL);
      start_round (turn, prompt, NULL, TRUE);
      return;
    }

  run_commands (turn);
}

/* Streaming */

static void
on_text (TesseraProtocolParser *parser,
         const char            *chunk,
         gsize                  len,
         Turn                  *turn)
{
  g_autofree char *text = g_strndup (chunk, len);

  tessera_chat_message_append_text (turn->assistant, text, len);
  g_signal_emit (turn->self, signals[TEXT_DELTA], 0, turn->assistant, text);
}

static void
on_action_begin (TesseraProtocolParser *parser,
                 TesseraAction         *action,
                 Turn                  *turn)
{
  tessera_chat_message_add_action (turn->assistant, action);
  g_signal_emit (turn->self, signals[ACTION_BEGIN], 0, turn->assistant, action);
}

static void
on_action_delta (TesseraProtocolParser *parser,
                 TesseraAction         *action,
                 const char            *chunk,
                 gsize                  len,
                 Turn                  *turn)
{
  g_signal_emit (turn->self, signals[ACTION_DELTA], 0, turn->assistant, action, chunk, (gulong)len);
}

static void
on_action_end (TesseraProtocolParser *parser,
               TesseraAction         *action,
               Turn                  *turn)
{
  switch (tessera_action_get_kind (action))
    {
    case TESSERA_ACTION_SUMMARY:
      settle (turn, action, TESSERA_ACTION_APPLIED, NULL);
      break;
    case TESSERA_ACTION_RUN:
    case TESSERA_ACTION_ADD_DEPENDENCY:
      g_ptr_array_add (turn->commands, g_object_ref (action));
      break;
    case TESSERA_ACTION_WRITE:
    case TESSERA_ACTION_EDIT:
    case TESSERA_ACTION_DELETE:
    case TESSERA_ACTION_RENAME:
    default:
      g_queue_push_tail (&turn->pending, g_object_ref (action));
      pump (turn);
      break;
    }
}

static void
on_stream_delta (TesseraLlmStream *stream,
                 const char       *text,
                 Turn             *turn)
{
  tessera_protocol_parser_feed (turn->parser, text, strlen (text));
}

static void
on_stream_usage (TesseraLlmStream *stream,
                 guint             input_tokens,
                 guint             output_tokens,
                 Turn             *turn)
{
  tessera_chat_message_set_usage (turn->assistant, input_tokens, output_tokens,
                                  tessera_llm_stream_get_cost (stream));
  g_signal_emit (turn->self, signals[USAGE], 0, turn->assistant, input_tokens, output_tokens);
}

static void
stream_done (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Turn *turn = user_data;
  TesseraLlmStream *stream = TESSERA_LLM_STREAM (object);

  if (!tessera_llm_stream_finish (stream, result, &turn->error))
    g_debug ("The answer ended early: %s", turn->error->message);
  else if (tessera_llm_stream_get_stop_reason (stream) == TESSERA_LLM_STOP_MAX_TOKENS)
    turn->max_tokens = TRUE;

  g_signal_handlers_disconnect_by_data (stream, turn);
  tessera_protocol_parser_finish (turn->parser);
  tessera_conversation_save (turn->self->conversation);

  turn->stream_done = TRUE;
  pump (turn);
}

static void
context_built (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Turn *turn = user_data;
  TesseraContextBuilder *builder = TESSERA_CONTEXT_BUILDER (object);
  TesseraSession *self = turn->self;
  g_autoptr(TesseraLlmRequest) request = NULL;
  g_autoptr(TesseraChatMessage) assistant = NULL;

  request = tessera_context_builder_build_finish (builder, result, &turn->error);
  g_object_unref (builder);
  if (request == NULL)
    {
      turn->stream_done = TRUE;
      round_done (turn);
      return;
    }

  assistant = tessera_chat_message_new (TESSERA_CHAT_ROLE_ASSISTANT, NULL);
  tessera_chat_message_set_estimated_tokens (assistant, tessera_context_builder_get_estimated_tokens (builder));
  g_set_object (&turn->assistant, assistant);
  g_ptr_array_add (turn->assistants, g_object_ref (assistant));
  add_message (self, assistant);

  if (turn->parser != NULL)
    g_signal_handlers_disconnect_by_data (turn->parser, turn);
  g_clear_object (&turn->parser);
  turn->parser = tessera_protocol_parser_new ();
  g_signal_connect (turn->parser, "text", G_CALLBACK (on_text), turn);
  g_signal_connect (turn->parser, "action-begin", G_CALLBACK (on_action_begin), turn);
  g_signal_connect (turn->parser, "action-delta", G_CALLBACK (on_action_delta), turn);
  g_signal_connect (turn->parser, "action-end", G_CALLBACK (on_action_end), turn);

  g_clear_object (&turn->stream);
  turn->stream = tessera_llm_provider_stream_async (self->provider, request, turn->cancellable, stream_done, turn);
  g_signal_connect (turn->stream, "delta", G_CALLBACK (on_stream_delta), turn);
  g_signal_connect (turn->stream, "usage", G_CALLBACK (on_stream_usage), turn);
}

static void
build_context (Turn *turn)
{
  TesseraSession *self = turn->self;
  g_autoptr(GBytes) system = tessera_protocol_get_system_prompt ();
  TesseraContextBuilder *builder;
  guint n;

  builder = tessera_context_builder_new (self->project, self->model, self->context_tokens);
  tessera_context_builder_set_system_prompt (builder, g_bytes_get_data (system, NULL));

  /* Everything but the round's own prompt, the last message. */
  n = tessera_conversation_get_n_messages (self->conversation);
  for (guint i = 0; i + 1 < n; i++)
    {
      TesseraChatMessage *message = tessera_conversation_get_message (self->conversation, i);
      TesseraChatRole role = tessera_chat_message_get_role (message);

      if (role == TESSERA_CHAT_ROLE_USER)
        tessera_context_builder_add_history (builder, TRUE, tessera_chat_message_get_text (message),
                                             tessera_chat_message_get_images (message));
      else if (role == TESSERA_CHAT_ROLE_ASSISTANT)
        {
          g_autofree char *history = tessera_chat_message_to_history (message);

          /* A failed turn may have no answer; some APIs reject empty ones. */
          if (history[0] != '\0')
            tessera_context_builder_add_history (builder, FALSE, history, NULL);
        }
    }
  tessera_context_builder_set_prompt (builder, turn->prompt, turn->images);
  for (guint i = 0; i < self->recent->len; i++)
    tessera_context_builder_add_relevant (builder, g_ptr_array_index (self->recent, i), RECENT_WEIGHT);
  for (guint i = 0; i < turn->relevant->len; i++)
    tessera_context_builder_add_relevant (builder, g_ptr_array_index (turn->relevant, i), FIX_WEIGHT);

  tessera_context_builder_build_async (builder, turn->cancellable, context_built, turn);
}

static void
models_listed (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Turn *turn = user_data;
  g_auto(GStrv) models = NULL;

  models = tessera_llm_provider_list_models_finish (TESSERA_LLM_PROVIDER (object), result, &turn->error);
  if (models != NULL && models[0] == NULL)
    turn->error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("%s offers no model. Choose another provider in Preferences."),
                               tessera_llm_provider_get_name (TESSERA_LLM_PROVIDER (object)));
  if (turn->error != NULL)
    {
      turn->stream_done = TRUE;
      round_done (turn);
      return;
    }

  tessera_session_set_model (turn->self, models[0]);
  build_context (turn);
}

static void
start_round (Turn       *turn,
             const char *prompt,
             GPtrArray  *images,
             gboolean    automatic)
{
  TesseraSession *self = turn->self;
  g_autoptr(TesseraChatMessage) user = tessera_chat_message_new (TESSERA_CHAT_ROLE_USER, prompt);

  turn->stream_done = FALSE;
  turn->max_tokens = FALSE;
  g_ptr_array_set_size (turn->problems, 0);
  g_ptr_array_set_size (turn->truncated_paths, 0);
  g_free (turn->prompt);
  turn->prompt = g_strdup (prompt);

  tessera_chat_message_set_automatic (user, automatic);
  for (guint i = 0; images != NULL && i < images->len; i++)
    tessera_chat_message_add_image (user, g_ptr_array_index (images, i));
  /* The message's own array: it outlives the caller's. */
  g_clear_pointer (&turn->images, g_ptr_array_unref);
  if (tessera_chat_message_get_images (user) != NULL)
    turn->images = g_ptr_array_ref (tessera_chat_message_get_images (user));
  add_message (self, user);

  /* Like the providers' own SDKs: without a chosen model, the first one
   * the provider lists. */
  if (self->model == NULL)
    tessera_llm_provider_list_models_async (self->provider, turn->cancellable, models_listed, turn);
  else
    build_context (turn);
}

static void
on_user_cancelled (GCancellable *cancellable,
                   GCancellable *ours)
{
  g_cancellable_cancel (ours);
}

static void
begin_turn (TesseraSession      *self,
            const char          *prompt,
            GPtrArray           *images,
            gboolean             automatic,
            const char          *relevant_path,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  Turn *turn;

  g_task_set_source_tag (task, source_tag);

  if (self->turn != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY,
                               _("The assistant is still answering the previous message."));
      return;
    }
  if (self->provider == NULL)
    {
      /* OPENAI_API_KEY and friends, as in the providers' SDKs. */
      g_autoptr(TesseraLlmProvider) from_env = tessera_llm_provider_new_from_env ();

      if (from_env == NULL)
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                                   _("No AI provider is set up. Choose one in Preferences › Providers."));
          return;
        }
      tessera_session_set_provider (self, from_env);
    }

  turn = g_new0 (Turn, 1);
  turn->self = self;
  turn->task = g_steal_pointer (&task);
  turn->cancellable = g_cancellable_new ();
  turn->relevant = g_ptr_array_new_with_free_func (g_free);
  turn->assistants = g_ptr_array_new_with_free_func (g_object_unref);
  turn->snapshots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, maybe_unref_bytes);
  turn->written = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
  g_queue_init (&turn->pending);
  turn->commands = g_ptr_array_new_with_free_func (g_object_unref);
  turn->problems = g_ptr_array_new_with_free_func (g_free);
  turn->truncated_paths = g_ptr_array_new_with_free_func (g_free);
  if (relevant_path != NULL)
    g_ptr_array_add (turn->relevant, g_strdup (relevant_path));
  if (cancellable != NULL)
    {
      turn->user_cancellable = g_object_ref (cancellable);
      turn->user_cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_user_cancelled),
                                                    turn->cancellable, NULL);
    }

  self->turn = turn;
  set_can_continue (self, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);

  start_round (turn, prompt, images, automatic);
}

void
tessera_session_send_async (TesseraSession      *self,
                            const char          *prompt,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  tessera_session_send_with_images_async (self, prompt, NULL, cancellable, callback, user_data);
}

void
tessera_session_send_with_images_async (TesseraSession      *self,
                                        const char          *prompt,
                                        GPtrArray           *images,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_SESSION (self));
  g_return_if_fail (prompt != NULL);

  begin_turn (self, prompt, images, FALSE, NULL, tessera_session_send_with_images_async,
              cancellable, callback, user_data);
}

TesseraTurnStatus
tessera_session_send_finish (TesseraSession  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  TurnResult *turn;

  g_return_val_if_fail (g_task_is_valid (result, self), TESSERA_TURN_FAILED);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return TESSERA_TURN_FAILED;

  turn = g_task_get_task_data (G_TASK (result));
  if (turn->error != NULL && (turn->status == TESSERA_TURN_FAILED || turn->status == TESSERA_TURN_CANCELLED))
    g_propagate_error (error, g_error_copy (turn->error));
  return turn->status;
}

void
tessera_session_continue_async (TesseraSession      *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GString) prompt = NULL;
  guint n;

  g_return_if_fail (TESSERA_IS_SESSION (self));

  if (!self->can_continue)
    {
      g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

      g_task_set_source_tag (task, tessera_session_continue_async);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("The last answer was not cut off, so there is nothing to continue."));
      return;
    }

  prompt = g_string_new (_("Your previous answer was cut off. Continue from where you stopped."));

  /* Name the files that were not finished. */
  n = tessera_conversation_get_n_messages (self->conversation);
  for (guint i = n; i > 0; i--)
    {
      TesseraChatMessage *message = tessera_conversation_get_message (self->conversation, i - 1);
      GPtrArray *actions;
      gboolean first = TRUE;

      if (tessera_chat_message_get_role (message) != TESSERA_CHAT_ROLE_ASSISTANT)
        continue;
      actions = tessera_chat_message_get_actions (message);
      for (guint j = 0; j < actions->len; j++)
        {
          TesseraAction *action = g_ptr_array_index (actions, j);

          if (tessera_action_get_truncated (action) && tessera_action_get_path (action) != NULL)
            {
              if (first)
                g_string_append_c (prompt, ' '),
                g_string_append (prompt, _("Write these files again, completely:"));
              g_string_append_printf (prompt, " %s", tessera_action_get_path (action));
              first = FALSE;
            }
        }
      break;
    }

  /* An automatic message: the user only pressed "Continue". */
  begin_turn (self, prompt->str, NULL, TRUE, NULL, tessera_session_continue_async, cancellable, callback, user_data);
}

/* "http://127.0.0.1:8000/src/app.js?v=2" or "src/app.js" -> "src/app.js". */
static char *
source_to_path (const char *source)
{
  g_autoptr(GUri) uri = NULL;
  const char *path = source;
  g_autofree char *unescaped = NULL;

  if (source == NULL || source[0] == '\0')
    return NULL;
  if (strstr (source, "://") != NULL)
    {
      if (!(uri = g_uri_parse (source, G_URI_FLAGS_NONE, NULL)))
        return NULL;
      path = g_uri_get_path (uri);
    }
  while (*path == '/')
    path++;
  if (*path == '\0')
    return NULL;
  unescaped = g_uri_unescape_string (path, NULL);
  return g_strdup (unescaped ? unescaped : path);
}

void
tessera_session_fix_async (TesseraSession      *self,
                           const char          *message,
                           const char          *source,
                           guint                line,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autofree char *path = NULL;
  g_autoptr(GString) prompt = NULL;

  g_return_if_fail (TESSERA_IS_SESSION (self));
  g_return_if_fail (message != NULL);

  path = source_to_path (source);
  prompt = g_string_new (_("The app reports this error:"));
  g_string_append_printf (prompt, "\n\n```\n%s\n```\n\n", message);
  if (path != NULL && line > 0)
    g_string_append_printf (prompt, _("It happened in %s at line %u."), path, line);
  else if (path != NULL)
    g_string_append_printf (prompt, _("It happened in %s."), path);
  g_string_append_c (prompt, ' ');
  g_string_append (prompt, _("Find the cause and fix it."));

  begin_turn (self, prompt->str, NULL, FALSE, path, tessera_session_fix_async, cancellable, callback, user_data);
}

void
tessera_session_regenerate_async (TesseraSession      *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autofree char *prompt = NULL;
  GPtrArray *images = NULL;
  guint n;

  g_return_if_fail (TESSERA_IS_SESSION (self));

  n = tessera_conversation_get_n_messages (self->conversation);
  for (guint i = n; i > 0 && prompt == NULL; i--)
    {
      TesseraChatMessage *message = tessera_conversation_get_message (self->conversation, i - 1);

      if (tessera_chat_message_get_role (message) == TESSERA_CHAT_ROLE_USER &&
          !tessera_chat_message_get_automatic (message))
        {
          prompt = g_strdup (tessera_chat_message_get_text (message));
          /* Still held by the message when the new one takes them. */
          images = tessera_chat_message_get_images (message);
        }
    }

  if (prompt == NULL)
    {
      g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

      g_task_set_source_tag (task, tessera_session_regenerate_async);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("There is no message to send again."));
      return;
    }

  begin_turn (self, prompt, images, FALSE, NULL, tessera_session_regenerate_async, cancellable, callback, user_data);
}

gboolean
tessera_session_clear_conversation (TesseraSession *self)
{
  g_return_val_if_fail (TESSERA_IS_SESSION (self), FALSE);

  if (self->turn != NULL)
    return FALSE;

  tessera_conversation_clear (self->conversation);
  tessera_conversation_save (self->conversation);
  g_ptr_array_set_size (self->recent, 0);
  set_can_continue (self, FALSE);
  return TRUE;
}

void
tessera_session_cancel (TesseraSession *self)
{
  g_return_if_fail (TESSERA_IS_SESSION (self));

  if (self->turn != NULL)
    g_cancellable_cancel (self->turn->cancellable);
}
