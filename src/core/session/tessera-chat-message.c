/* tessera-chat-message.c: one message of a project's conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-chat-message"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tessera-chat-message.h"

struct _TesseraChatMessage
{
  GObject            parent_instance;

  TesseraChatRole    role;
  GString           *text;
  GDateTime         *time;
  GPtrArray         *images;
  GPtrArray         *actions;
  TesseraTurnStatus  status;
  guint              input_tokens;
  guint              output_tokens;
  double             cost;
  guint              estimated_tokens;
  guint              automatic : 1;
};

G_DEFINE_FINAL_TYPE (TesseraChatMessage, tessera_chat_message, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TEXT,
  PROP_STATUS,
  PROP_INPUT_TOKENS,
  PROP_OUTPUT_TOKENS,
  PROP_COST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *status_names[] = {
  "running", "complete", "partial", "nothing-applied", "incomplete", "cancelled", "failed",
};

static void
tessera_chat_message_finalize (GObject *object)
{
  TesseraChatMessage *self = (TesseraChatMessage *)object;

  g_string_free (self->text, TRUE);
  g_clear_pointer (&self->time, g_date_time_unref);
  g_clear_pointer (&self->images, g_ptr_array_unref);
  g_ptr_array_unref (self->actions);

  G_OBJECT_CLASS (tessera_chat_message_parent_class)->finalize (object);
}

static void
tessera_chat_message_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  TesseraChatMessage *self = TESSERA_CHAT_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, self->text->str);
      break;
    case PROP_STATUS:
      g_value_set_int (value, self->status);
      break;
    case PROP_INPUT_TOKENS:
      g_value_set_uint (value, self->input_tokens);
      break;
    case PROP_OUTPUT_TOKENS:
      g_value_set_uint (value, self->output_tokens);
      break;
    case PROP_COST:
      g_value_set_double (value, self->cost);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_chat_message_class_init (TesseraChatMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tessera_chat_message_finalize;
  object_class->get_property = tessera_chat_message_get_property;

  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_int ("status", NULL, NULL,
                      TESSERA_TURN_RUNNING, TESSERA_TURN_FAILED, TESSERA_TURN_RUNNING,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INPUT_TOKENS] =
    g_param_spec_uint ("input-tokens", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OUTPUT_TOKENS] =
    g_param_spec_uint ("output-tokens", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COST] =
    g_param_spec_double ("cost", NULL, NULL, -1, G_MAXDOUBLE, -1,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_chat_message_init (TesseraChatMessage *self)
{
  self->text = g_string_new (NULL);
  self->actions = g_ptr_array_new_with_free_func (g_object_unref);
  self->time = g_date_time_new_now_utc ();
  self->cost = -1;
}

TesseraChatMessage *
tessera_chat_message_new (TesseraChatRole  role,
                          const char      *text)
{
  TesseraChatMessage *self = g_object_new (TESSERA_TYPE_CHAT_MESSAGE, NULL);

  self->role = role;
  if (text != NULL)
    g_string_append (self->text, text);
  if (role != TESSERA_CHAT_ROLE_ASSISTANT)
    self->status = TESSERA_TURN_COMPLETE;
  return self;
}

TesseraChatRole
tessera_chat_message_get_role (TesseraChatMessage *self)
{
  g_return_val_if_fail (TESSERA_IS_CHAT_MESSAGE (self), 0);
  return self->role;
}

const char *
tessera_chat_message_get_text (TesseraChatMessage *self)
{
  g_return_val_if_fail (TESSERA_IS_CHAT_MESSAGE (self), NULL);
  return self->text->str;
}

void
tessera_chat_message_append_text (TesseraChatMessage *self,
                                  const char         *text,
                                  gssize              len)
{
  g_return_if_fail (TESSERA_IS_CHAT_MESSAGE (self));

  if (len < 0)
    len = strlen (text);
  if (len == 0)
    return;
  g_string_append_len (self->text, text, len);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

gboolean
tessera_chat_message_get_automatic (TesseraChatMessage *self)
{
  g_return_val_if_fail (TESSERA_IS_CHAT_MESSAGE (self), FALSE);
  return self->automatic;
}

void
tessera_chat_message_set_automatic (TesseraChatMessage *self,
                                    gboolean            automatic)
{
  g_return_if_fail (TESSERA_IS_CHAT_MESSAGE (self));
  self->automatic = !!automatic;
}

GDateTime *
tessera_chat_message_get_time (TesseraChatMessage *self)
{
  g_return_val_if_fail (TESSERA_IS_CHAT_MESSAGE (self), NULL);
  return self->time;
}

void
tessera_chat_message_set_time (TesseraChatMessage *self,
                               GDateTime          *time)
{
  g_return_if_fail (TESSERA_IS_CHAT_MESSAGE (self));
  g_return_if_fail (time != NULL);

  g_date_time_ref (time);
  g_date_time_unref (self->time);
  self->time = time;
}

GPtrArray *
tessera_chat_message_get_images (TesseraChatMessage *self)
{
  g_return_val_if_fail (TESSERA_IS_CHAT_MESSAGE (self), NULL);
  return self->images;
}

void
tessera_chat_message_add_image (TesseraChatMessage *self,
                                TesseraImage       *image)
{
  g_return_if_fail (TESSERA_IS_CHAT_MESSAGE (self));
  g_return_if_fail (TESSERA_IS_IMAGE (image));
  /* Only the user attaches images; the conversation keeps them for no one else. */
  g_return_if_fail (self->role == TESSERA_CHAT_ROLE_USER);

  if (self->images == NULL)
    self->images = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->images, g_object_ref (image));
}

GPtrArray *
tessera_chat_message_get_actions (TesseraChatMessage *self)
{
  g_return_val_if_fail (TESSERA_IS_CHAT_MESSAGE (self), NULL);
  return self->actions;
}

void
tessera_chat_message_add_action (TesseraChatMessage *self,
                                 TesseraAction      *action)
{
  g_return_if_fail (TESSERA_IS_CHAT_MESSAGE (self));
  g_return_if_fail (TESSERA_IS_ACTION (action));
  g_ptr_array_add (self->actions, g_object_ref (action));
}

TesseraTurnStatus
tessera_chat_message_get_status (TesseraChatMessage *self)
{
  g_return_val_if_fail (TESSERA_IS_CHAT_MESSAGE (self), 0);
  return self->status;
}

void
tessera_chat_message_set_status (TesseraChatMessage *self,
                                 TesseraTurnStatus   status)
{
  g_return_if_fail (TESSERA_IS_CHAT_MESSAGE (self));

  if (self->status == status)
    return;
  self->status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

guint
tessera_chat_message_get_input_tokens (TesseraChatMessage *self)
{
  g_return_val_if_fail (TESSERA_IS_CHAT_MESSAGE (self), 0);
  return self->input_tokens;
}

guint
tessera_chat_message_get_output_tokens (TesseraChatMessage *self)
{
  g_return_val_if_fail (TESSERA_IS_CHAT_MESSAGE (self), 0);
  return self->output_tokens;
}

guint
tessera_chat_message_get_estimated_tokens (TesseraChatMessage *self)
{
  g_return_val_if_fail (TESSERA_IS_CHAT_MESSAGE (self), 0);
  return self->estimated_tokens;
}

double
tessera_chat_message_get_cost (TesseraChatMessage *self)
{
  g_return_val_if_fail (TESSERA_IS_CHAT_MESSAGE (self), -1);
  return self->cost;
}

void
tessera_chat_message_set_usage (TesseraChatMessage *self,
                                guint               input_tokens,
                                guint               output_tokens,
                                double              cost)
{
  g_return_if_fail (TESSERA_IS_CHAT_MESSAGE (self));

  if (!isfinite (cost) || cost < 0)
    cost = -1;
  if (self->cost != cost)
    {
      self->cost = cost;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COST]);
    }

  if (self->input_tokens != input_tokens)
    {
      self->input_tokens = input_tokens;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INPUT_TOKENS]);
    }
  if (self->output_tokens != output_tokens)
    {
      self->output_tokens = output_tokens;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OUTPUT_TOKENS]);
    }
}

void
tessera_chat_message_set_estimated_tokens (TesseraChatMessage *self,
                                           guint               tokens)
{
  g_return_if_fail (TESSERA_IS_CHAT_MESSAGE (self));
  self->estimated_tokens = tokens;
}

char *
tessera_chat_message_to_history (TesseraChatMessage *self)
{
  GString *out;

  g_return_val_if_fail (TESSERA_IS_CHAT_MESSAGE (self), NULL);

  out = g_string_new (self->text->str);
  for (guint i = 0; i < self->actions->len; i++)
    {
      TesseraAction *action = g_ptr_array_index (self->actions, i);
      g_autofree char *desc = tessera_action_describe (action);
      const char *how;

      if (tessera_action_get_kind (action) == TESSERA_ACTION_SUMMARY)
        {
          g_string_append_printf (out, "\n[summary: %s]", tessera_action_get_content (action, NULL));
          continue;
        }
      switch (tessera_action_get_status (action))
        {
        case TESSERA_ACTION_APPLIED: how = "done"; break;
        case TESSERA_ACTION_REFUSED: how = "refused"; break;
        case TESSERA_ACTION_FAILED: how = "failed"; break;
        case TESSERA_ACTION_REVERTED: how = "undone"; break;
        case TESSERA_ACTION_PENDING:
        default: how = "not applied"; break;
        }
      g_string_append_printf (out, "\n[%s: %s]", desc, how);
    }

  return g_string_free (out, FALSE);
}

const char *
tessera_turn_status_to_string (TesseraTurnStatus status)
{
  if ((guint)status < G_N_ELEMENTS (status_names))
    return status_names[status];
  return "failed";
}

TesseraTurnStatus
tessera_turn_status_from_string (const char *string)
{
  for (guint i = 0; i < G_N_ELEMENTS (status_names); i++)
    if (g_strcmp0 (string, status_names[i]) == 0)
      return i;
  return TESSERA_TURN_FAILED;
}
