/* tessera-action.c: one thing the model asked for in its answer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-action"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "tessera-action.h"
#include "tessera-edit-applier.h"

struct _TesseraAction
{
  GObject              parent_instance;

  TesseraActionKind    kind;
  char                *path;
  char                *to;
  char               **packages;
  char                *manager;
  char                *command;
  GString             *content;
  GString             *output;
  char                *message;
  char                *diff;
  guint                n_added;
  guint                n_removed;
  TesseraActionStatus  status;
  guint                truncated : 1;
};

G_DEFINE_FINAL_TYPE (TesseraAction, tessera_action, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KIND,
  PROP_STATUS,
  PROP_MESSAGE,
  PROP_OUTPUT,
  PROP_DIFF,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* g_set_str() is GLib 2.76. */
static gboolean
set_str (char       **ptr,
         const char  *value)
{
  if (g_strcmp0 (*ptr, value) == 0)
    return FALSE;
  g_free (*ptr);
  *ptr = g_strdup (value);
  return TRUE;
}

void
tessera_edit_block_free (TesseraEditBlock *block)
{
  if (block == NULL)
    return;
  g_free (block->search);
  g_free (block->replace);
  g_free (block);
}

static void
tessera_action_finalize (GObject *object)
{
  TesseraAction *self = (TesseraAction *)object;

  g_free (self->path);
  g_free (self->to);
  g_strfreev (self->packages);
  g_free (self->manager);
  g_free (self->command);
  g_string_free (self->content, TRUE);
  g_string_free (self->output, TRUE);
  g_free (self->message);
  g_free (self->diff);

  G_OBJECT_CLASS (tessera_action_parent_class)->finalize (object);
}

static void
tessera_action_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TesseraAction *self = TESSERA_ACTION (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_int (value, self->kind);
      break;
    case PROP_STATUS:
      g_value_set_int (value, self->status);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    case PROP_OUTPUT:
      g_value_set_string (value, self->output->str);
      break;
    case PROP_DIFF:
      g_value_set_string (value, self->diff);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_action_class_init (TesseraActionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tessera_action_finalize;
  object_class->get_property = tessera_action_get_property;

  properties[PROP_KIND] =
    g_param_spec_int ("kind", NULL, NULL,
                      TESSERA_ACTION_WRITE, TESSERA_ACTION_SUMMARY, TESSERA_ACTION_WRITE,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_int ("status", NULL, NULL,
                      TESSERA_ACTION_PENDING, TESSERA_ACTION_REVERTED, TESSERA_ACTION_PENDING,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OUTPUT] =
    g_param_spec_string ("output", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DIFF] =
    g_param_spec_string ("diff", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_action_init (TesseraAction *self)
{
  self->content = g_string_new (NULL);
  self->output = g_string_new (NULL);
}

TesseraAction *
tessera_action_new (TesseraActionKind kind)
{
  TesseraAction *self = g_object_new (TESSERA_TYPE_ACTION, NULL);

  self->kind = kind;
  return self;
}

TesseraActionKind
tessera_action_get_kind (TesseraAction *self)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (self), 0);
  return self->kind;
}

const char *
tessera_action_kind_to_string (TesseraActionKind kind)
{
  switch (kind)
    {
    case TESSERA_ACTION_WRITE: return "write";
    case TESSERA_ACTION_EDIT: return "edit";
    case TESSERA_ACTION_DELETE: return "delete";
    case TESSERA_ACTION_RENAME: return "rename";
    case TESSERA_ACTION_RUN: return "run";
    case TESSERA_ACTION_ADD_DEPENDENCY: return "add-dependency";
    case TESSERA_ACTION_SUMMARY: return "summary";
    default: return "unknown";
    }
}

const char *
tessera_action_get_path (TesseraAction *self)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (self), NULL);
  return self->path;
}

void
tessera_action_set_path (TesseraAction *self,
                         const char    *path)
{
  g_return_if_fail (TESSERA_IS_ACTION (self));
  set_str (&self->path, path);
}

const char *
tessera_action_get_to (TesseraAction *self)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (self), NULL);
  return self->to;
}

void
tessera_action_set_to (TesseraAction *self,
                       const char    *to)
{
  g_return_if_fail (TESSERA_IS_ACTION (self));
  set_str (&self->to, to);
}

const char * const *
tessera_action_get_packages (TesseraAction *self)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (self), NULL);
  return (const char * const *)self->packages;
}

void
tessera_action_set_packages (TesseraAction *self,
                             const char    *packages)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) parts = NULL;

  g_return_if_fail (TESSERA_IS_ACTION (self));

  g_clear_pointer (&self->packages, g_strfreev);
  if (packages == NULL)
    return;

  /* Models separate packages with spaces or commas. */
  builder = g_strv_builder_new ();
  parts = g_strsplit_set (packages, " \t\n,", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0')
      g_strv_builder_add (builder, parts[i]);
  self->packages = g_strv_builder_end (builder);
}

const char *
tessera_action_get_manager (TesseraAction *self)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (self), NULL);
  return self->manager;
}

void
tessera_action_set_manager (TesseraAction *self,
                            const char    *manager)
{
  g_return_if_fail (TESSERA_IS_ACTION (self));
  set_str (&self->manager, manager);
}

const char *
tessera_action_get_content (TesseraAction *self,
                            gsize         *len)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (self), NULL);
  if (len != NULL)
    *len = self->content->len;
  return self->content->str;
}

void
tessera_action_append_content (TesseraAction *self,
                               const char    *data,
                               gsize          len)
{
  g_return_if_fail (TESSERA_IS_ACTION (self));
  g_string_append_len (self->content, data, len);
}

GBytes *
tessera_action_dup_content_bytes (TesseraAction *self)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (self), NULL);
  return g_bytes_new (self->content->str, self->content->len);
}

const char *
tessera_action_get_command (TesseraAction *self)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (self), NULL);

  if (self->command != NULL)
    return self->command;
  if (self->kind == TESSERA_ACTION_RUN)
    {
      /* The body keeps the model's surrounding blank lines. */
      g_free (self->command);
      self->command = g_strstrip (g_strdup (self->content->str));
      return self->command[0] != '\0' ? self->command : NULL;
    }
  return NULL;
}

void
tessera_action_set_command (TesseraAction *self,
                            const char    *command)
{
  g_return_if_fail (TESSERA_IS_ACTION (self));
  set_str (&self->command, command);
}

gboolean
tessera_action_get_truncated (TesseraAction *self)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (self), FALSE);
  return self->truncated;
}

void
tessera_action_set_truncated (TesseraAction *self,
                              gboolean       truncated)
{
  g_return_if_fail (TESSERA_IS_ACTION (self));
  self->truncated = !!truncated;
}

typedef enum
{
  MARK_NONE,
  MARK_SEARCH,
  MARK_DIVIDER,
  MARK_REPLACE,
} Mark;

/* Models vary the marker length and sometimes drop the words, so a line of
 * five or more '<', '=' or '>' is a marker. */
static Mark
classify_line (const char *line,
               gsize       len)
{
  gsize n = 0;
  char c;

  while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
    len--;
  if (len < 5)
    return MARK_NONE;

  c = line[0];
  if (c != '<' && c != '=' && c != '>')
    return MARK_NONE;
  while (n < len && line[n] == c)
    n++;
  if (n < 5)
    return MARK_NONE;

  if (c == '=')
    return n == len ? MARK_DIVIDER : MARK_NONE;

  while (n < len && line[n] == ' ')
    n++;
  if (c == '<' && (n == len || (len - n == 6 && g_ascii_strncasecmp (line + n, "SEARCH", 6) == 0)))
    return MARK_SEARCH;
  if (c == '>' && (n == len || (len - n == 7 && g_ascii_strncasecmp (line + n, "REPLACE", 7) == 0)))
    return MARK_REPLACE;
  return MARK_NONE;
}

GPtrArray *
tessera_action_parse_edit_blocks (TesseraAction  *self,
                                  GError        **error)
{
  g_autoptr(GPtrArray) blocks = NULL;
  const char *p, *end;
  const char *search_start = NULL, *replace_start = NULL;
  const char *search_end = NULL;
  enum { OUTSIDE, IN_SEARCH, IN_REPLACE } where = OUTSIDE;

  g_return_val_if_fail (TESSERA_IS_ACTION (self), NULL);

  blocks = g_ptr_array_new_with_free_func ((GDestroyNotify)tessera_edit_block_free);
  p = self->content->str;
  end = p + self->content->len;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);
      const char *line_end = nl ? nl : end;
      const char *next = nl ? nl + 1 : end;
      Mark mark = classify_line (p, line_end - p);

      if (where == OUTSIDE && mark == MARK_SEARCH)
        {
          where = IN_SEARCH;
          search_start = next;
        }
      else if (where == IN_SEARCH && mark == MARK_DIVIDER)
        {
          where = IN_REPLACE;
          search_end = p;
          replace_start = next;
        }
      else if (where == IN_REPLACE && mark == MARK_REPLACE)
        {
          TesseraEditBlock *block = g_new0 (TesseraEditBlock, 1);

          block->search_len = search_end - search_start;
          block->search = g_strndup (search_start, block->search_len);
          block->replace_len = p - replace_start;
          block->replace = g_strndup (replace_start, block->replace_len);
          g_ptr_array_add (blocks, block);
          where = OUTSIDE;
        }
      else if (mark != MARK_NONE)
        {
          g_set_error (error, TESSERA_EDIT_ERROR, TESSERA_EDIT_ERROR_MALFORMED,
                       _("Block %u of the edit is malformed: a “%.*s” line is out of place."),
                       blocks->len + 1, (int)MIN (line_end - p, 20), p);
          return NULL;
        }
      p = next;
    }

  if (where != OUTSIDE)
    {
      g_set_error (error, TESSERA_EDIT_ERROR, TESSERA_EDIT_ERROR_MALFORMED,
                   _("Block %u of the edit is incomplete: it lacks its “=======” or “>>>>>>> REPLACE” line."),
                   blocks->len + 1);
      return NULL;
    }
  if (blocks->len == 0)
    {
      g_set_error_literal (error, TESSERA_EDIT_ERROR, TESSERA_EDIT_ERROR_MALFORMED,
                           _("The edit contains no SEARCH/REPLACE block."));
      return NULL;
    }

  return g_steal_pointer (&blocks);
}

TesseraActionStatus
tessera_action_get_status (TesseraAction *self)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (self), 0);
  return self->status;
}

const char *
tessera_action_get_message (TesseraAction *self)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (self), NULL);
  return self->message;
}

void
tessera_action_set_status (TesseraAction       *self,
                           TesseraActionStatus  status,
                           const char          *message)
{
  g_return_if_fail (TESSERA_IS_ACTION (self));

  if (set_str (&self->message, message))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
  if (self->status != status)
    {
      self->status = status;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
}

const char *
tessera_action_get_output (TesseraAction *self)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (self), NULL);
  return self->output->str;
}

void
tessera_action_append_output (TesseraAction *self,
                              const char    *data,
                              gsize          len)
{
  g_return_if_fail (TESSERA_IS_ACTION (self));

  if (len == 0)
    return;
  g_string_append_len (self->output, data, len);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OUTPUT]);
}

const char *
tessera_action_get_diff (TesseraAction *self)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (self), NULL);
  return self->diff;
}

guint
tessera_action_get_n_added (TesseraAction *self)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (self), 0);
  return self->n_added;
}

guint
tessera_action_get_n_removed (TesseraAction *self)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (self), 0);
  return self->n_removed;
}

void
tessera_action_set_diff (TesseraAction *self,
                         const char    *diff,
                         guint          n_added,
                         guint          n_removed)
{
  gboolean changed;

  g_return_if_fail (TESSERA_IS_ACTION (self));

  /* The counts go with the text: one notification covers all three. */
  changed = set_str (&self->diff, diff);
  changed |= self->n_added != n_added || self->n_removed != n_removed;
  self->n_added = n_added;
  self->n_removed = n_removed;
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIFF]);
}

char *
tessera_action_describe (TesseraAction *self)
{
  g_return_val_if_fail (TESSERA_IS_ACTION (self), NULL);

  switch (self->kind)
    {
    case TESSERA_ACTION_RENAME:
      return g_strdup_printf ("rename %s -> %s", self->path ? self->path : "(none)",
                              self->to ? self->to : "(none)");
    case TESSERA_ACTION_RUN:
      return g_strdup_printf ("run %s", tessera_action_get_command (self) ?: "(none)");
    case TESSERA_ACTION_ADD_DEPENDENCY:
      {
        g_autofree char *joined = self->packages ? g_strjoinv (" ", self->packages) : NULL;
        return g_strdup_printf ("add-dependency %s%s%s", joined ? joined : "(none)",
                                self->manager ? " with " : "", self->manager ? self->manager : "");
      }
    case TESSERA_ACTION_SUMMARY:
      return g_strdup ("summary");
    case TESSERA_ACTION_WRITE:
    case TESSERA_ACTION_EDIT:
    case TESSERA_ACTION_DELETE:
    default:
      return g_strdup_printf ("%s %s", tessera_action_kind_to_string (self->kind),
                              self->path ? self->path : "(none)");
    }
}
