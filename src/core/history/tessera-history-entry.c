/* tessera-history-entry.c: one version in a project's history
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-history-entry"

#include "config.h"

#include "tessera-history-entry.h"

struct _TesseraHistoryEntry
{
  GObject             parent_instance;
  char               *id;
  char               *message;
  GDateTime          *time;
  TesseraHistoryKind  kind;
  guint               files_changed;
};

G_DEFINE_FINAL_TYPE (TesseraHistoryEntry, tessera_history_entry, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_KIND,
  PROP_MESSAGE,
  PROP_TIME,
  PROP_FILES_CHANGED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GType
tessera_history_kind_get_type (void)
{
  static gsize type_id;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { TESSERA_HISTORY_KIND_SNAPSHOT, "TESSERA_HISTORY_KIND_SNAPSHOT", "snapshot" },
        { TESSERA_HISTORY_KIND_TURN, "TESSERA_HISTORY_KIND_TURN", "turn" },
        { TESSERA_HISTORY_KIND_RESTORE, "TESSERA_HISTORY_KIND_RESTORE", "restore" },
        { 0, NULL, NULL },
      };
      GType type = g_enum_register_static (g_intern_static_string ("TesseraHistoryKind"), values);

      g_once_init_leave (&type_id, type);
    }

  return type_id;
}

static void
tessera_history_entry_finalize (GObject *object)
{
  TesseraHistoryEntry *self = TESSERA_HISTORY_ENTRY (object);

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->message, g_free);
  g_clear_pointer (&self->time, g_date_time_unref);

  G_OBJECT_CLASS (tessera_history_entry_parent_class)->finalize (object);
}

static void
tessera_history_entry_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  TesseraHistoryEntry *self = TESSERA_HISTORY_ENTRY (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;

    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;

    case PROP_TIME:
      g_value_set_boxed (value, self->time);
      break;

    case PROP_FILES_CHANGED:
      g_value_set_uint (value, self->files_changed);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_history_entry_class_init (TesseraHistoryEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tessera_history_entry_finalize;
  object_class->get_property = tessera_history_entry_get_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, TESSERA_TYPE_HISTORY_KIND, TESSERA_HISTORY_KIND_SNAPSHOT,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIME] =
    g_param_spec_boxed ("time", NULL, NULL, G_TYPE_DATE_TIME,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FILES_CHANGED] =
    g_param_spec_uint ("files-changed", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_history_entry_init (TesseraHistoryEntry *self)
{
}

TesseraHistoryEntry *
tessera_history_entry_new (const char         *id,
                           TesseraHistoryKind  kind,
                           const char         *message,
                           GDateTime          *time,
                           guint               files_changed)
{
  TesseraHistoryEntry *self;

  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (time != NULL, NULL);

  self = g_object_new (TESSERA_TYPE_HISTORY_ENTRY, NULL);
  self->id = g_strdup (id);
  self->kind = kind;
  self->message = g_strdup (message != NULL ? message : "");
  self->time = g_date_time_ref (time);
  self->files_changed = files_changed;

  return self;
}

const char *
tessera_history_entry_get_id (TesseraHistoryEntry *self)
{
  g_return_val_if_fail (TESSERA_IS_HISTORY_ENTRY (self), NULL);
  return self->id;
}

TesseraHistoryKind
tessera_history_entry_get_kind (TesseraHistoryEntry *self)
{
  g_return_val_if_fail (TESSERA_IS_HISTORY_ENTRY (self), TESSERA_HISTORY_KIND_SNAPSHOT);
  return self->kind;
}

const char *
tessera_history_entry_get_message (TesseraHistoryEntry *self)
{
  g_return_val_if_fail (TESSERA_IS_HISTORY_ENTRY (self), NULL);
  return self->message;
}

GDateTime *
tessera_history_entry_get_time (TesseraHistoryEntry *self)
{
  g_return_val_if_fail (TESSERA_IS_HISTORY_ENTRY (self), NULL);
  return self->time;
}

guint
tessera_history_entry_get_files_changed (TesseraHistoryEntry *self)
{
  g_return_val_if_fail (TESSERA_IS_HISTORY_ENTRY (self), 0);
  return self->files_changed;
}
