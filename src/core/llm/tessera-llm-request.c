/* tessera-llm-request.c: what is sent to a model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-llm-request"

#include "config.h"

#include "tessera-llm-request.h"

struct _TesseraLlmMessage
{
  gatomicrefcount  ref_count;
  TesseraLlmRole   role;
  char            *text;
  GStrv            images;
};

G_DEFINE_BOXED_TYPE (TesseraLlmMessage, tessera_llm_message,
                     tessera_llm_message_ref, tessera_llm_message_unref)

static TesseraLlmMessage *
tessera_llm_message_new (TesseraLlmRole      role,
                         const char         *text,
                         const char * const *images)
{
  TesseraLlmMessage *message = g_new0 (TesseraLlmMessage, 1);

  g_atomic_ref_count_init (&message->ref_count);
  message->role = role;
  message->text = g_strdup (text != NULL ? text : "");
  if (images != NULL && images[0] != NULL)
    message->images = g_strdupv ((char **) images);

  return message;
}

TesseraLlmMessage *
tessera_llm_message_ref (TesseraLlmMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  g_atomic_ref_count_inc (&message->ref_count);
  return message;
}

void
tessera_llm_message_unref (TesseraLlmMessage *message)
{
  g_return_if_fail (message != NULL);

  if (g_atomic_ref_count_dec (&message->ref_count))
    {
      g_free (message->text);
      g_strfreev (message->images);
      g_free (message);
    }
}

TesseraLlmRole
tessera_llm_message_get_role (TesseraLlmMessage *message)
{
  g_return_val_if_fail (message != NULL, TESSERA_LLM_ROLE_USER);

  return message->role;
}

const char *
tessera_llm_message_get_text (TesseraLlmMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  return message->text;
}

const char * const *
tessera_llm_message_get_images (TesseraLlmMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  return (const char * const *) message->images;
}

struct _TesseraLlmRequest
{
  GObject    parent_instance;

  char      *model;
  char      *system;
  guint      max_tokens;
  double     temperature;
  GPtrArray *messages;
};

G_DEFINE_FINAL_TYPE (TesseraLlmRequest, tessera_llm_request, G_TYPE_OBJECT)

/* g_set_str() is GLib 2.76. */
static gboolean
set_str (char       **slot,
         const char  *value)
{
  if (g_strcmp0 (*slot, value) == 0)
    return FALSE;
  g_free (*slot);
  *slot = g_strdup (value);
  return TRUE;
}

enum {
  PROP_0,
  PROP_MODEL,
  PROP_SYSTEM,
  PROP_MAX_TOKENS,
  PROP_TEMPERATURE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
tessera_llm_request_finalize (GObject *object)
{
  TesseraLlmRequest *self = (TesseraLlmRequest *)object;

  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->system, g_free);
  g_clear_pointer (&self->messages, g_ptr_array_unref);

  G_OBJECT_CLASS (tessera_llm_request_parent_class)->finalize (object);
}

static void
tessera_llm_request_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TesseraLlmRequest *self = TESSERA_LLM_REQUEST (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;

    case PROP_SYSTEM:
      g_value_set_string (value, self->system);
      break;

    case PROP_MAX_TOKENS:
      g_value_set_uint (value, self->max_tokens);
      break;

    case PROP_TEMPERATURE:
      g_value_set_double (value, self->temperature);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_llm_request_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  TesseraLlmRequest *self = TESSERA_LLM_REQUEST (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      tessera_llm_request_set_model (self, g_value_get_string (value));
      break;

    case PROP_SYSTEM:
      tessera_llm_request_set_system (self, g_value_get_string (value));
      break;

    case PROP_MAX_TOKENS:
      tessera_llm_request_set_max_tokens (self, g_value_get_uint (value));
      break;

    case PROP_TEMPERATURE:
      tessera_llm_request_set_temperature (self, g_value_get_double (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_llm_request_class_init (TesseraLlmRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tessera_llm_request_finalize;
  object_class->get_property = tessera_llm_request_get_property;
  object_class->set_property = tessera_llm_request_set_property;

  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SYSTEM] =
    g_param_spec_string ("system", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_TOKENS] =
    g_param_spec_uint ("max-tokens", NULL, NULL, 0, G_MAXUINT, TESSERA_LLM_DEFAULT_MAX_TOKENS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TEMPERATURE] =
    g_param_spec_double ("temperature", NULL, NULL, -1.0, 2.0, -1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_llm_request_init (TesseraLlmRequest *self)
{
  self->max_tokens = TESSERA_LLM_DEFAULT_MAX_TOKENS;
  self->temperature = -1.0;
  self->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_llm_message_unref);
}

TesseraLlmRequest *
tessera_llm_request_new (const char *model)
{
  return g_object_new (TESSERA_TYPE_LLM_REQUEST,
                       "model", model,
                       NULL);
}

const char *
tessera_llm_request_get_model (TesseraLlmRequest *self)
{
  g_return_val_if_fail (TESSERA_IS_LLM_REQUEST (self), NULL);

  return self->model;
}

void
tessera_llm_request_set_model (TesseraLlmRequest *self,
                               const char        *model)
{
  g_return_if_fail (TESSERA_IS_LLM_REQUEST (self));

  if (set_str (&self->model, model))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

const char *
tessera_llm_request_get_system (TesseraLlmRequest *self)
{
  g_return_val_if_fail (TESSERA_IS_LLM_REQUEST (self), NULL);

  return self->system;
}

void
tessera_llm_request_set_system (TesseraLlmRequest *self,
                                const char        *system)
{
  g_return_if_fail (TESSERA_IS_LLM_REQUEST (self));

  if (set_str (&self->system, system))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYSTEM]);
}

guint
tessera_llm_request_get_max_tokens (TesseraLlmRequest *self)
{
  g_return_val_if_fail (TESSERA_IS_LLM_REQUEST (self), 0);

  return self->max_tokens;
}

void
tessera_llm_request_set_max_tokens (TesseraLlmRequest *self,
                                    guint              max_tokens)
{
  g_return_if_fail (TESSERA_IS_LLM_REQUEST (self));

  if (self->max_tokens != max_tokens)
    {
      self->max_tokens = max_tokens;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_TOKENS]);
    }
}

double
tessera_llm_request_get_temperature (TesseraLlmRequest *self)
{
  g_return_val_if_fail (TESSERA_IS_LLM_REQUEST (self), -1.0);

  return self->temperature;
}

void
tessera_llm_request_set_temperature (TesseraLlmRequest *self,
                                     double             temperature)
{
  g_return_if_fail (TESSERA_IS_LLM_REQUEST (self));

  if (temperature < 0)
    temperature = -1.0;

  if (self->temperature != temperature)
    {
      self->temperature = temperature;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEMPERATURE]);
    }
}

void
tessera_llm_request_add_message (TesseraLlmRequest *self,
                                 TesseraLlmRole     role,
                                 const char        *text)
{
  g_return_if_fail (TESSERA_IS_LLM_REQUEST (self));
  g_return_if_fail (text != NULL);

  g_ptr_array_add (self->messages, tessera_llm_message_new (role, text, NULL));
}

void
tessera_llm_request_add_message_with_images (TesseraLlmRequest  *self,
                                             const char         *text,
                                             const char * const *images)
{
  g_return_if_fail (TESSERA_IS_LLM_REQUEST (self));
  g_return_if_fail (text != NULL);

  g_ptr_array_add (self->messages,
                   tessera_llm_message_new (TESSERA_LLM_ROLE_USER, text, images));
}

TesseraLlmRequest *
tessera_llm_request_copy (TesseraLlmRequest *self)
{
  TesseraLlmRequest *copy;

  g_return_val_if_fail (TESSERA_IS_LLM_REQUEST (self), NULL);

  copy = tessera_llm_request_new (self->model);
  copy->system = g_strdup (self->system);
  copy->max_tokens = self->max_tokens;
  copy->temperature = self->temperature;
  for (guint i = 0; i < self->messages->len; i++)
    g_ptr_array_add (copy->messages, tessera_llm_message_ref (g_ptr_array_index (self->messages, i)));

  return copy;
}

guint
tessera_llm_request_get_n_messages (TesseraLlmRequest *self)
{
  g_return_val_if_fail (TESSERA_IS_LLM_REQUEST (self), 0);

  return self->messages->len;
}

TesseraLlmMessage *
tessera_llm_request_get_message (TesseraLlmRequest *self,
                                 guint              position)
{
  g_return_val_if_fail (TESSERA_IS_LLM_REQUEST (self), NULL);
  g_return_val_if_fail (position < self->messages->len, NULL);

  return g_ptr_array_index (self->messages, position);
}
