/* tessera-protocol-parser.c: turns a streamed answer into actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The parser keeps only the bytes it cannot decide yet (a tag that may
 * still be opening, a fence that may be the last line of a file, an entity
 * that may be split) and hands everything else on at once, so its output
 * does not depend on how the answer was split into chunks. The hot path,
 * a file's content, is a memchr() for '<'.
 */

#define G_LOG_DOMAIN "tessera-protocol-parser"

#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "tessera-protocol-parser.h"

/* A tag longer than this is prose that happens to start like one. */
#define MAX_TAG_LEN 4096
#define MAX_ATTRS 8
#define NONE G_MAXSIZE

typedef enum
{
  STATE_START,
  STATE_JSON,
  STATE_PROSE,
  STATE_BODY,
  STATE_DONE,
} State;

typedef enum
{
  FENCE_NONE,
  /* A fence in prose that shows code: tags inside are examples. */
  FENCE_LITERAL,
  /* A fence the model wrapped around its actions: dropped. */
  FENCE_WRAPPER,
} Fence;

typedef enum
{
  ESC_UNDECIDED,
  ESC_RAW,
  ESC_ESCAPED,
} Escaping;

typedef enum
{
  MATCH_NO,
  MATCH_MORE,
  MATCH_OPEN,
  MATCH_CLOSE,
} Match;

typedef struct
{
  gsize name;
  gsize name_len;
  gsize value;
  gsize value_len;
} Attr;

typedef struct
{
  TesseraActionKind kind;
  gsize             end;
  guint             self_closing : 1;
  guint             n_attrs;
  Attr              attrs[MAX_ATTRS];
} Tag;

struct _TesseraProtocolParser
{
  GObject         parent_instance;

  GString        *buf;
  gsize           pos;
  GString        *text;
  GPtrArray      *actions;
  TesseraAction  *current;

  State           state;
  Fence           fence;
  Escaping        esc;
  gsize           scan;
  gsize           hold;
  gsize           json_scan;

  guint           eof : 1;
  guint           cr_pending : 1;
  guint           line_start : 1;
  guint           inline_code : 1;
  guint           prose_blank : 1;
  guint           wrapper_seen : 1;
  guint           fenced_examples;
  guint           body_started : 1;
  guint           fenced : 1;
  guint           body_line_blank : 1;
};

G_DEFINE_FINAL_TYPE (TesseraProtocolParser, tessera_protocol_parser, G_TYPE_OBJECT)

enum {
  TEXT,
  ACTION_BEGIN,
  ACTION_DELTA,
  ACTION_END,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const struct {
  const char        *name;
  TesseraActionKind  kind;
  gboolean           has_body;
} kinds[] = {
  { "write", TESSERA_ACTION_WRITE, TRUE },
  { "edit", TESSERA_ACTION_EDIT, TRUE },
  { "delete", TESSERA_ACTION_DELETE, FALSE },
  { "rename", TESSERA_ACTION_RENAME, FALSE },
  { "run", TESSERA_ACTION_RUN, TRUE },
  { "add-dependency", TESSERA_ACTION_ADD_DEPENDENCY, FALSE },
  { "summary", TESSERA_ACTION_SUMMARY, TRUE },
};

static void
tessera_protocol_parser_finalize (GObject *object)
{
  TesseraProtocolParser *self = (TesseraProtocolParser *)object;

  g_string_free (self->buf, TRUE);
  g_string_free (self->text, TRUE);
  g_ptr_array_unref (self->actions);
  g_clear_object (&self->current);

  G_OBJECT_CLASS (tessera_protocol_parser_parent_class)->finalize (object);
}

static void
tessera_protocol_parser_class_init (TesseraProtocolParserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tessera_protocol_parser_finalize;

  signals[TEXT] =
    g_signal_new ("text", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_ULONG);
  signals[ACTION_BEGIN] =
    g_signal_new ("action-begin", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, TESSERA_TYPE_ACTION);
  signals[ACTION_DELTA] =
    g_signal_new ("action-delta", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, TESSERA_TYPE_ACTION,
                  G_TYPE_POINTER, G_TYPE_ULONG);
  signals[ACTION_END] =
    g_signal_new ("action-end", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, TESSERA_TYPE_ACTION);
}

static void
tessera_protocol_parser_init (TesseraProtocolParser *self)
{
  self->buf = g_string_sized_new (8192);
  self->text = g_string_new (NULL);
  self->actions = g_ptr_array_new_with_free_func (g_object_unref);
  self->state = STATE_START;
  self->line_start = TRUE;
  self->prose_blank = TRUE;
  self->hold = NONE;
}

TesseraProtocolParser *
tessera_protocol_parser_new (void)
{
  return g_object_new (TESSERA_TYPE_PROTOCOL_PARSER, NULL);
}

GPtrArray *
tessera_protocol_parser_get_actions (TesseraProtocolParser *self)
{
  g_return_val_if_fail (TESSERA_IS_PROTOCOL_PARSER (self), NULL);
  return self->actions;
}

const char *
tessera_protocol_parser_get_text (TesseraProtocolParser *self)
{
  g_return_val_if_fail (TESSERA_IS_PROTOCOL_PARSER (self), NULL);
  return self->text->str;
}

static inline gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static inline gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

static gboolean
all_space (const char *s,
           gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (!is_space (s[i]))
      return FALSE;
  return TRUE;
}

static void
emit_text (TesseraProtocolParser *self,
           gsize                  from,
           gsize                  to)
{
  if (to <= from)
    return;
  if (self->prose_blank && !all_space (self->buf->str + from, to - from))
    self->prose_blank = FALSE;
  g_string_append_len (self->text, self->buf->str + from, to - from);
  g_signal_emit (self, signals[TEXT], 0, self->buf->str + from, (gulong)(to - from));
}

static void
begin_action (TesseraProtocolParser *self,
              TesseraAction         *action)
{
  g_ptr_array_add (self->actions, g_object_ref (action));
  g_set_object (&self->current, action);
  g_signal_emit (self, signals[ACTION_BEGIN], 0, action);
}

static void
delta (TesseraProtocolParser *self,
       const char            *data,
       gsize                  len)
{
  if (len == 0)
    return;
  tessera_action_append_content (self->current, data, len);
  g_signal_emit (self, signals[ACTION_DELTA], 0, self->current, data, (gulong)len);
}

static void
end_action (TesseraProtocolParser *self,
            gboolean               truncated)
{
  g_autoptr(TesseraAction) action = g_steal_pointer (&self->current);

  tessera_action_set_truncated (action, truncated);
  self->prose_blank = TRUE;
  g_signal_emit (self, signals[ACTION_END], 0, action);
}

/* Tags
 * ----
 * `<`, blanks, an optional `/`, blanks, `tessera-NAME`, attributes with
 * double, single or no quotes, an optional `/`, `>`. Whitespace anywhere
 * between the parts, any case. */

static gboolean
prefix_matches (const char *s,
                gsize       n,
                const char *word,
                gboolean   *more)
{
  gsize wl = strlen (word);

  if (n < wl)
    {
      *more = g_ascii_strncasecmp (s, word, n) == 0;
      return FALSE;
    }
  *more = FALSE;
  return g_ascii_strncasecmp (s, word, wl) == 0;
}

static Match
match_tag (const char *s,
           gsize       n,
           Tag        *tag)
{
  gsize i = 1;
  gsize name_start;
  gboolean closing = FALSE;
  gboolean more;
  guint k;

  tag->n_attrs = 0;
  tag->self_closing = FALSE;

  if (n > MAX_TAG_LEN)
    n = MAX_TAG_LEN;

#define NEED(cond) G_STMT_START { if (!(cond)) return n >= MAX_TAG_LEN ? MATCH_NO : MATCH_MORE; } G_STMT_END

  while (i < n && is_space (s[i]))
    i++;
  NEED (i < n);
  if (s[i] == '/')
    {
      closing = TRUE;
      i++;
      while (i < n && is_space (s[i]))
        i++;
      NEED (i < n);
    }
  if (!prefix_matches (s + i, n - i, "tessera-", &more))
    return more ? MATCH_MORE : MATCH_NO;
  i += strlen ("tessera-");
  name_start = i;
  while (i < n && (g_ascii_isalpha (s[i]) || s[i] == '-'))
    i++;
  NEED (i < n);

  for (k = 0; k < G_N_ELEMENTS (kinds); k++)
    if (strlen (kinds[k].name) == i - name_start &&
        g_ascii_strncasecmp (s + name_start, kinds[k].name, i - name_start) == 0)
      break;
  if (k == G_N_ELEMENTS (kinds))
    return MATCH_NO;
  tag->kind = kinds[k].kind;

  if (closing)
    {
      while (i < n && is_space (s[i]))
        i++;
      NEED (i < n);
      if (s[i] != '>')
        return MATCH_NO;
      tag->end = i + 1;
      return MATCH_CLOSE;
    }

  if (s[i] != '>' && s[i] != '/' && !is_space (s[i]))
    return MATCH_NO;

  for (;;)
    {
      Attr attr = { 0, };

      while (i < n && is_space (s[i]))
        i++;
      NEED (i < n);
      if (s[i] == '>')
        {
          tag->end = i + 1;
          return MATCH_OPEN;
        }
      if (s[i] == '/')
        {
          i++;
          while (i < n && is_space (s[i]))
            i++;
          NEED (i < n);
          if (s[i] != '>')
            return MATCH_NO;
          tag->self_closing = TRUE;
          tag->end = i + 1;
          return MATCH_OPEN;
        }
      if (!(g_ascii_isalpha (s[i]) || s[i] == '_'))
        return MATCH_NO;
      attr.name = i;
      while (i < n && (g_ascii_isalnum (s[i]) || s[i] == '_' || s[i] == '-'))
        i++;
      attr.name_len = i - attr.name;
      while (i < n && is_space (s[i]))
        i++;
      NEED (i < n);
      if (s[i] == '=')
        {
          i++;
          while (i < n && is_space (s[i]))
            i++;
          NEED (i < n);
          if (s[i] == '"' || s[i] == '\'')
            {
              const char *q = memchr (s + i + 1, s[i], n - i - 1);

              NEED (q != NULL);
              attr.value = i + 1;
              attr.value_len = q - (s + i + 1);
              i = q - s + 1;
            }
          else
            {
              attr.value = i;
              while (i < n && !is_space (s[i]) && s[i] != '>')
                i++;
              NEED (i < n);
              /* path=a.js/> closes the tag rather than ending the path. */
              if (s[i] == '>' && i > attr.value && s[i - 1] == '/')
                {
                  attr.value_len = i - 1 - attr.value;
                  tag->self_closing = TRUE;
                }
              else
                attr.value_len = i - attr.value;
            }
        }
      if (tag->n_attrs < MAX_ATTRS)
        tag->attrs[tag->n_attrs++] = attr;
      if (tag->self_closing)
        {
          tag->end = i + 1;
          return MATCH_OPEN;
        }
    }
#undef NEED
}

static gboolean
kind_has_body (TesseraActionKind kind)
{
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    if (kinds[k].kind == kind)
      return kinds[k].has_body;
  return FALSE;
}

/* Decodes the entities models and HTML escaping produce. */
static void
append_unescaped (GString    *out,
                  const char *s,
                  gsize       len)
{
  const char *end = s + len;

  while (s < end)
    {
      const char *amp = memchr (s, '&', end - s);
      const char *semi;

      if (amp == NULL)
        {
          g_string_append_len (out, s, end - s);
          return;
        }
      g_string_append_len (out, s, amp - s);
      semi = memchr (amp, ';', MIN ((gsize)(end - amp), 10));
      if (semi != NULL)
        {
          gsize elen = semi - amp - 1;
          const char *e = amp + 1;
          gunichar c = 0;

          if (elen == 2 && memcmp (e, "lt", 2) == 0)
            c = '<';
          else if (elen == 2 && memcmp (e, "gt", 2) == 0)
            c = '>';
          else if (elen == 3 && memcmp (e, "amp", 3) == 0)
            c = '&';
          else if (elen == 4 && memcmp (e, "quot", 4) == 0)
            c = '"';
          else if (elen == 4 && memcmp (e, "apos", 4) == 0)
            c = '\'';
          else if (elen == 4 && memcmp (e, "nbsp", 4) == 0)
            c = 0xA0;
          else if (elen >= 2 && e[0] == '#')
            {
              char digits[10];
              char *digits_end = NULL;
              gboolean hex = (e[1] == 'x' || e[1] == 'X');
              guint64 v;

              memcpy (digits, e + (hex ? 2 : 1), elen - (hex ? 2 : 1));
              digits[elen - (hex ? 2 : 1)] = '\0';
              v = g_ascii_strtoull (digits, &digits_end, hex ? 16 : 10);
              if (digits[0] != '\0' && *digits_end == '\0' && v > 0 && v <= 0x10FFFF &&
                  g_unichar_validate ((gunichar)v))
                c = (gunichar)v;
            }
          if (c != 0)
            {
              g_string_append_unichar (out, c);
              s = semi + 1;
              continue;
            }
        }
      g_string_append_c (out, '&');
      s = amp + 1;
    }
}

static char *
attr_value (TesseraProtocolParser *self,
            gsize                  base,
            const Tag             *tag,
            const char            *name)
{
  for (guint i = 0; i < tag->n_attrs; i++)
    {
      const Attr *a = &tag->attrs[i];

      if (a->name_len == strlen (name) &&
          g_ascii_strncasecmp (self->buf->str + base + a->name, name, a->name_len) == 0)
        {
          GString *out = g_string_new (NULL);
          append_unescaped (out, self->buf->str + base + a->value, a->value_len);
          return g_strstrip (g_string_free (out, FALSE));
        }
    }
  return NULL;
}

static char *
attr_value_any (TesseraProtocolParser *self,
                gsize                  base,
                const Tag             *tag,
                const char            *name1,
                const char            *name2)
{
  char *value = attr_value (self, base, tag, name1);

  if (value == NULL && name2 != NULL)
    value = attr_value (self, base, tag, name2);
  return value;
}

static TesseraAction *
action_from_tag (TesseraProtocolParser *self,
                 gsize                  base,
                 const Tag             *tag)
{
  TesseraAction *action = tessera_action_new (tag->kind);
  g_autofree char *path = NULL;
  g_autofree char *to = NULL;
  g_autofree char *packages = NULL;
  g_autofree char *manager = NULL;
  g_autofree char *command = NULL;

  switch (tag->kind)
    {
    case TESSERA_ACTION_RENAME:
      path = attr_value_any (self, base, tag, "from", "path");
      to = attr_value (self, base, tag, "to");
      break;
    case TESSERA_ACTION_ADD_DEPENDENCY:
      packages = attr_value_any (self, base, tag, "packages", "package");
      manager = attr_value (self, base, tag, "manager");
      break;
    case TESSERA_ACTION_RUN:
      command = attr_value (self, base, tag, "command");
      break;
    case TESSERA_ACTION_WRITE:
    case TESSERA_ACTION_EDIT:
    case TESSERA_ACTION_DELETE:
      path = attr_value_any (self, base, tag, "path", "file");
      break;
    case TESSERA_ACTION_SUMMARY:
    default:
      break;
    }

  if (path != NULL && path[0] != '\0')
    tessera_action_set_path (action, path);
  if (to != NULL && to[0] != '\0')
    tessera_action_set_to (action, to);
  if (packages != NULL)
    tessera_action_set_packages (action, packages);
  if (manager != NULL && manager[0] != '\0')
    tessera_action_set_manager (action, manager);
  if (command != NULL && command[0] != '\0')
    tessera_action_set_command (action, command);

  return action;
}

/* Opens the action of @tag found at @at; returns TRUE when it has a body
 * to read. */
static gboolean
open_action (TesseraProtocolParser *self,
             gsize                  at,
             const Tag             *tag)
{
  g_autoptr(TesseraAction) action = action_from_tag (self, at, tag);

  begin_action (self, action);
  self->pos = at + tag->end;
  self->line_start = FALSE;

  if (kind_has_body (tag->kind) && !tag->self_closing)
    {
      self->state = STATE_BODY;
      self->body_started = FALSE;
      self->fenced = FALSE;
      self->esc = ESC_UNDECIDED;
      self->hold = NONE;
      self->scan = self->pos;
      self->body_line_blank = TRUE;
      return TRUE;
    }

  end_action (self, FALSE);
  return FALSE;
}

/* The start: a reply that is only a JSON object (maybe fenced) is held
 * whole, since it can only be judged complete. */
static gboolean
process_start (TesseraProtocolParser *self)
{
  const char *s = self->buf->str;
  gsize len = self->buf->len;
  gsize k = self->pos;

  while (k < len && is_space (s[k]))
    k++;
  if (k == len && !self->eof)
    return FALSE;

  if (k < len && s[k] == '`')
    {
      const char *nl;

      if (len - k < 3 && !self->eof)
        return FALSE;
      if (len - k >= 3 && memcmp (s + k, "```", 3) == 0)
        {
          nl = memchr (s + k, '\n', len - k);
          if (nl == NULL && !self->eof)
            return FALSE;
          if (nl != NULL)
            {
              k = nl - s;
              while (k < len && is_space (s[k]))
                k++;
              if (k == len && !self->eof)
                return FALSE;
            }
        }
    }

  if (k < len && s[k] == '{')
    {
      self->state = STATE_JSON;
      self->json_scan = self->pos;
    }
  else
    self->state = STATE_PROSE;
  return TRUE;
}

static gboolean
json_to_actions (TesseraProtocolParser *self,
                 const char            *s,
                 gsize                  len)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) found = NULL;
  JsonNode *root;
  JsonNode *files;
  JsonObject *object;

  /* Strip the fence the model may have put around it. */
  while (len > 0 && is_space (s[0]))
    s++, len--;
  while (len > 0 && is_space (s[len - 1]))
    len--;
  if (len >= 3 && memcmp (s, "```", 3) == 0)
    {
      const char *nl = memchr (s, '\n', len);

      if (nl == NULL)
        return FALSE;
      len -= nl + 1 - s;
      s = nl + 1;
      if (len >= 3 && memcmp (s + len - 3, "```", 3) == 0)
        len -= 3;
    }

  if (!json_parser_load_from_data (parser, s, len, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  object = json_node_get_object (root);
  files = json_object_get_member (object, "files");
  if (files == NULL)
    return FALSE;

  found = g_ptr_array_new_with_free_func (g_object_unref);

  if (JSON_NODE_HOLDS_OBJECT (files))
    {
      JsonObject *map = json_node_get_object (files);
      g_autoptr(GList) members = json_object_get_members (map);

      for (const GList *l = members; l != NULL; l = l->next)
        {
          JsonNode *node = json_object_get_member (map, l->data);
          TesseraAction *action;

          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
            return FALSE;
          action = tessera_action_new (TESSERA_ACTION_WRITE);
          tessera_action_set_path (action, l->data);
          tessera_action_append_content (action, json_node_get_string (node), strlen (json_node_get_string (node)));
          g_ptr_array_add (found, action);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (files))
    {
      JsonArray *array = json_node_get_array (files);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *node = json_array_get_element (array, i);
          JsonObject *file;
          const char *path, *content;
          TesseraAction *action;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            return FALSE;
          file = json_node_get_object (node);
          path = json_object_get_string_member_with_default (file, "path", NULL);
          content = json_object_get_string_member_with_default (file, "content", NULL);
          if (path == NULL || content == NULL)
            return FALSE;
          action = tessera_action_new (TESSERA_ACTION_WRITE);
          tessera_action_set_path (action, path);
          tessera_action_append_content (action, content, strlen (content));
          g_ptr_array_add (found, action);
        }
    }
  else
    return FALSE;

  for (guint i = 0; i < found->len; i++)
    {
      TesseraAction *action = g_ptr_array_index (found, i);
      gsize clen;
      const char *content = tessera_action_get_content (action, &clen);
      g_autofree char *copy = g_strndup (content, clen);
      g_autoptr(TesseraAction) fresh = tessera_action_new (TESSERA_ACTION_WRITE);

      /* Go through the same signals as a streamed write. */
      tessera_action_set_path (fresh, tessera_action_get_path (action));
      begin_action (self, fresh);
      delta (self, copy, clen);
      end_action (self, FALSE);
    }

  return TRUE;
}

static gboolean
process_json (TesseraProtocolParser *self)
{
  const char *s = self->buf->str;
  gsize len = self->buf->len;
  gsize from = self->json_scan > self->pos + 8 ? self->json_scan - 8 : self->pos;

  /* Tags mean it is prose after all, whatever the first character was. */
  if (len > from && memmem (s + from, len - from, "<tessera-", 9) != NULL)
    {
      self->state = STATE_PROSE;
      return TRUE;
    }
  self->json_scan = len;
  if (!self->eof)
    return FALSE;

  if (json_to_actions (self, s + self->pos, len - self->pos))
    {
      self->pos = len;
      self->state = STATE_DONE;
      return FALSE;
    }
  self->state = STATE_PROSE;
  return TRUE;
}

/* A line of three or more backticks at @i. Returns MATCH_MORE when it
 * cannot be told yet, MATCH_NO when it is not a fence; otherwise sets
 * @line_end (the newline, or the end at eof) and @info_empty. */
static Match
match_fence (TesseraProtocolParser *self,
             gsize                  i,
             gsize                 *line_end,
             gboolean              *info_empty)
{
  const char *s = self->buf->str;
  gsize len = self->buf->len;
  const char *nl;

  if (len - i < 3)
    return self->eof ? MATCH_NO : MATCH_MORE;
  if (memcmp (s + i, "```", 3) != 0)
    return MATCH_NO;
  nl = memchr (s + i + 3, '\n', len - i - 3);
  if (nl == NULL && !self->eof)
    return MATCH_MORE;
  *line_end = nl ? (gsize)(nl - s) : len;
  *info_empty = TRUE;
  for (gsize k = i; k < *line_end; k++)
    if (s[k] != '`' && !is_space (s[k]))
      {
        *info_empty = FALSE;
        break;
      }
  return MATCH_OPEN;
}

static gboolean
process_prose (TesseraProtocolParser *self)
{
  gsize i = self->pos;
  gsize text_from = self->pos;

  while (i < self->buf->len)
    {
      const char *s = self->buf->str;
      gsize len = self->buf->len;
      char c = s[i];

      if (c == '`' && self->line_start)
        {
          gsize line_end = 0;
          gboolean info_empty = FALSE;
          Match m = match_fence (self, i, &line_end, &info_empty);

          if (m == MATCH_MORE)
            {
              emit_text (self, text_from, i);
              self->pos = i;
              return FALSE;
            }
          if (m == MATCH_OPEN)
            {
              gsize next = line_end < len ? line_end + 1 : len;

              if (self->fence == FENCE_LITERAL)
                {
                  self->fence = FENCE_NONE;
                  i = next;
                  self->line_start = TRUE;
                  continue;
                }
              if (self->fence == FENCE_WRAPPER)
                {
                  if (info_empty)
                    {
                      emit_text (self, text_from, i);
                      self->fence = FENCE_NONE;
                      i = text_from = self->pos = next;
                      self->line_start = TRUE;
                      continue;
                    }
                }
              else
                {
                  gsize k = next;
                  Tag tag;
                  Match t = MATCH_NO;

                  while (k < len && is_space (s[k]))
                    k++;
                  if (k == len && !self->eof)
                    {
                      emit_text (self, text_from, i);
                      self->pos = i;
                      return FALSE;
                    }
                  if (k < len && s[k] == '<')
                    {
                      t = match_tag (s + k, len - k, &tag);
                      if (t == MATCH_MORE && !self->eof)
                        {
                          emit_text (self, text_from, i);
                          self->pos = i;
                          return FALSE;
                        }
                    }
                  /* A fence right at the start of the answer, or right
                   * after an action, wraps actions; one after prose shows
                   * an example (a model explaining the protocol). */
                  if (t == MATCH_OPEN &&
                      (self->wrapper_seen ||
                       (self->prose_blank && all_space (s + text_from, i - text_from))))
                    {
                      emit_text (self, text_from, i);
                      self->wrapper_seen = TRUE;
                      self->fence = FENCE_WRAPPER;
                      i = text_from = self->pos = next;
                      self->line_start = TRUE;
                      continue;
                    }
                  if (t == MATCH_OPEN)
                    self->fenced_examples++;
                  self->fence = FENCE_LITERAL;
                  i = next;
                  self->line_start = TRUE;
                  continue;
                }
            }
          else if (self->fence != FENCE_LITERAL)
            self->inline_code = !self->inline_code;
        }
      else if (c == '`' && self->fence != FENCE_LITERAL)
        {
          /* Inline code in prose (`<tessera-delete …/>`) shows a tag; it
           * does not run it. Backticks never span lines. */
          self->inline_code = !self->inline_code;
        }
      else if (c == '<' && self->fence != FENCE_LITERAL && !self->inline_code)
        {
          Tag tag;
          Match m = match_tag (s + i, len - i, &tag);

          if (m == MATCH_MORE && !self->eof)
            {
              emit_text (self, text_from, i);
              self->pos = i;
              return FALSE;
            }
          if (m == MATCH_OPEN)
            {
              emit_text (self, text_from, i);
              if (open_action (self, i, &tag))
                return TRUE;
              i = text_from = self->pos;
              continue;
            }
          if (m == MATCH_CLOSE)
            {
              /* A closing tag with nothing open, e.g. after a delete
               * written as a pair: nothing for the chat. */
              emit_text (self, text_from, i);
              i = text_from = self->pos = i + tag.end;
              self->line_start = FALSE;
              continue;
            }
        }

      if (c == '\n')
        {
          self->line_start = TRUE;
          self->inline_code = FALSE;
        }
      else if (!is_blank (c))
        self->line_start = FALSE;
      i++;
    }

  emit_text (self, text_from, self->buf->len);
  self->pos = self->buf->len;
  return FALSE;
}

/* Emits the body up to @upto, keeping back what is still undecided. */
static void
emit_body (TesseraProtocolParser *self,
           gsize                  upto,
           gboolean               final)
{
  const char *s = self->buf->str;
  gsize from = self->pos;

  if (final && self->esc == ESC_UNDECIDED)
    {
      self->esc = ESC_RAW;
      self->hold = NONE;
    }
  if (self->esc == ESC_UNDECIDED && self->hold != NONE && upto > self->hold)
    upto = self->hold;
  if (upto <= from)
    return;

  if (self->esc == ESC_ESCAPED && !final)
    {
      /* Never cut an entity in two. */
      gsize k = upto;

      while (k > from && upto - k < 10)
        {
          k--;
          if (s[k] == ';')
            break;
          if (s[k] == '&')
            {
              upto = k;
              break;
            }
        }
      if (upto <= from)
        return;
    }

  for (gsize k = upto; k > from; k--)
    {
      if (s[k - 1] == '\n')
        {
          self->body_line_blank = TRUE;
          break;
        }
      if (!is_blank (s[k - 1]))
        {
          self->body_line_blank = FALSE;
          break;
        }
    }

  if (self->esc == ESC_ESCAPED)
    {
      g_autoptr(GString) out = g_string_sized_new (upto - from);

      append_unescaped (out, s + from, upto - from);
      delta (self, out->str, out->len);
    }
  else
    delta (self, s + from, upto - from);

  self->pos = upto;
}

static gboolean
finish_body (TesseraProtocolParser *self,
             gsize                  upto,
             gsize                  resume,
             gboolean               truncated)
{
  emit_body (self, upto, TRUE);
  self->pos = resume;
  self->state = STATE_PROSE;
  self->line_start = FALSE;
  end_action (self, truncated);
  return TRUE;
}

static Match
match_close (TesseraProtocolParser *self,
             gsize                  at,
             gsize                 *end)
{
  Tag tag;
  Match m = match_tag (self->buf->str + at, self->buf->len - at, &tag);

  if (m == MATCH_MORE)
    return self->eof ? MATCH_NO : MATCH_MORE;
  if (m == MATCH_CLOSE && tag.kind == tessera_action_get_kind (self->current))
    {
      *end = at + tag.end;
      return MATCH_CLOSE;
    }
  return MATCH_NO;
}

/* An action tag opening at @at. */
static Match
match_next_open (TesseraProtocolParser *self,
                 gsize                  at)
{
  Tag tag;
  Match m = match_tag (self->buf->str + at, self->buf->len - at, &tag);

  if (m == MATCH_MORE)
    return self->eof ? MATCH_NO : MATCH_MORE;
  return m == MATCH_OPEN ? MATCH_OPEN : MATCH_NO;
}

/* Where the line holding @at starts, if only blanks precede @at on it. */
static gsize
line_start_before (TesseraProtocolParser *self,
                   gsize                  at,
                   gboolean              *at_line_start)
{
  const char *s = self->buf->str;
  gsize k = at;

  while (k > self->pos && is_blank (s[k - 1]))
    k--;
  *at_line_start = k > self->pos ? s[k - 1] == '\n' : self->body_line_blank;
  return k;
}

static gboolean
process_body (TesseraProtocolParser *self)
{
  if (!self->body_started)
    {
      const char *s = self->buf->str;
      gsize len = self->buf->len;
      gsize k = self->pos;

      while (k < len && is_space (s[k]))
        k++;
      if (k == len && !self->eof)
        return FALSE;

      if (k < len && s[k] == '`')
        {
          gsize line_end = 0;
          gboolean info_empty;
          Match m = match_fence (self, k, &line_end, &info_empty);

          if (m == MATCH_MORE)
            return FALSE;
          if (m == MATCH_OPEN)
            {
              self->fenced = TRUE;
              self->pos = line_end < len ? line_end + 1 : len;
            }
        }
      if (!self->fenced)
        {
          /* The newline right after the opening tag is layout. */
          k = self->pos;
          while (k < len && is_blank (s[k]))
            k++;
          if (k < len && s[k] == '\n')
            self->pos = k + 1;
        }
      self->body_started = TRUE;
      self->scan = self->pos;
    }

  for (;;)
    {
      const char *s = self->buf->str;
      gsize len = self->buf->len;
      gsize from = self->scan;
      const char *lt, *p;
      gsize at, limit;

      lt = memchr (s + from, '<', len - from);
      limit = lt ? (gsize)(lt - s) : len;
      p = lt;
      if (self->fenced && limit > from)
        {
          const char *bt = memchr (s + from, '`', limit - from);

          if (bt != NULL)
            {
              p = bt;
              limit = bt - s;
            }
        }
      if (self->esc == ESC_UNDECIDED && limit > from)
        {
          const char *amp = memchr (s + from, '&', limit - from);

          if (amp != NULL)
            p = amp;
        }

      if (p == NULL)
        {
          gboolean at_line_start;
          gsize k = line_start_before (self, len, &at_line_start);

          self->scan = len;
          if (self->eof)
            return finish_body (self, len, len, TRUE);
          /* Blanks that may indent the next tag wait for it. */
          emit_body (self, at_line_start ? k : len, FALSE);
          return FALSE;
        }

      at = p - s;

      if (*p == '<')
        {
          gsize end = 0;
          gboolean at_line_start;
          gsize k = line_start_before (self, at, &at_line_start);
          Match m = match_close (self, at, &end);

          if (m == MATCH_MORE)
            {
              emit_body (self, at_line_start ? k : at, FALSE);
              self->scan = at;
              return FALSE;
            }
          if (m == MATCH_CLOSE)
            return finish_body (self, at, end, FALSE);
          if (at_line_start)
            {
              /* The next action begins: the model forgot to close this
               * one, which is complete as far as anyone can tell. */
              Match o = match_next_open (self, at);

              if (o == MATCH_MORE)
                {
                  emit_body (self, k, FALSE);
                  self->scan = at;
                  return FALSE;
                }
              if (o == MATCH_OPEN)
                return finish_body (self, k, at, FALSE);
            }
          if (self->esc == ESC_UNDECIDED)
            {
              self->esc = ESC_RAW;
              self->hold = NONE;
            }
          self->scan = at + 1;
        }
      else if (*p == '`')
        {
          gboolean at_line_start;
          gsize k = line_start_before (self, at, &at_line_start);
          gsize line_end = 0;
          gboolean info_empty = FALSE;
          Match m;

          if (!at_line_start)
            {
              self->scan = at + 1;
              continue;
            }

          m = match_fence (self, at, &line_end, &info_empty);
          if (m == MATCH_MORE)
            {
              emit_body (self, k, FALSE);
              self->scan = at;
              return FALSE;
            }
          if (m == MATCH_OPEN && info_empty)
            {
              gsize j = line_end;
              gsize end = 0;
              Match c;

              while (j < len && is_space (s[j]))
                j++;
              if (j == len)
                {
                  if (self->eof)
                    return finish_body (self, k, len, TRUE);
                  emit_body (self, k, FALSE);
                  self->scan = at;
                  return FALSE;
                }
              if (s[j] == '<')
                {
                  c = match_close (self, j, &end);
                  if (c == MATCH_MORE)
                    {
                      emit_body (self, k, FALSE);
                      self->scan = at;
                      return FALSE;
                    }
                  if (c == MATCH_CLOSE)
                    return finish_body (self, k, end, FALSE);
                  c = match_next_open (self, j);
                  if (c == MATCH_MORE)
                    {
                      emit_body (self, k, FALSE);
                      self->scan = at;
                      return FALSE;
                    }
                  if (c == MATCH_OPEN)
                    return finish_body (self, k, j, FALSE);
                }
            }
          self->scan = m == MATCH_OPEN ? at + 3 : at + 1;
        }
      else
        {
          /* '&' while it is unknown whether the content is escaped. */
          if (len - at < 4 && !self->eof && strncmp (s + at, "&lt;", len - at) == 0)
            {
              emit_body (self, at, FALSE);
              self->scan = at;
              return FALSE;
            }
          if (len - at >= 4 && memcmp (s + at, "&lt;", 4) == 0)
            {
              self->esc = ESC_ESCAPED;
              self->hold = NONE;
              self->scan = at + 4;
            }
          else if (at + 1 < len && (g_ascii_isalpha (s[at + 1]) || s[at + 1] == '#'))
            {
              if (self->hold == NONE)
                self->hold = at;
              self->scan = at + 1;
            }
          else if (at + 1 == len && !self->eof)
            {
              emit_body (self, at, FALSE);
              self->scan = at;
              return FALSE;
            }
          else
            {
              self->esc = ESC_RAW;
              self->hold = NONE;
              self->scan = at + 1;
            }
        }
    }
}

static void
process (TesseraProtocolParser *self)
{
  gboolean more = TRUE;

  while (more)
    {
      switch (self->state)
        {
        case STATE_START:
          more = process_start (self);
          break;
        case STATE_JSON:
          more = process_json (self);
          break;
        case STATE_PROSE:
          more = process_prose (self);
          break;
        case STATE_BODY:
          more = process_body (self);
          break;
        case STATE_DONE:
        default:
          more = FALSE;
          break;
        }
    }

  /* Drop what is consumed; offsets are relative to the buffer. */
  if (self->pos > 0 && self->state != STATE_JSON && self->state != STATE_START)
    {
      g_string_erase (self->buf, 0, self->pos);
      if (self->scan != NONE)
        self->scan = self->scan >= self->pos ? self->scan - self->pos : 0;
      if (self->hold != NONE)
        self->hold -= self->pos;
      self->pos = 0;
    }
}

void
tessera_protocol_parser_feed (TesseraProtocolParser *self,
                              const char            *data,
                              gsize                  len)
{
  const char *end;

  g_return_if_fail (TESSERA_IS_PROTOCOL_PARSER (self));
  g_return_if_fail (data != NULL || len == 0);

  if (self->eof || len == 0)
    return;

  end = data + len;

  /* CRLF becomes LF before anything looks at it, so that fences, markers
   * and files come out the same whatever the line endings. */
  if (self->cr_pending)
    {
      if (*data != '\n')
        g_string_append_c (self->buf, '\r');
      self->cr_pending = FALSE;
    }

  while (data < end)
    {
      const char *cr = memchr (data, '\r', end - data);

      if (cr == NULL)
        {
          g_string_append_len (self->buf, data, end - data);
          break;
        }
      g_string_append_len (self->buf, data, cr - data);
      if (cr + 1 == end)
        {
          self->cr_pending = TRUE;
          break;
        }
      if (cr[1] != '\n')
        g_string_append_c (self->buf, '\r');
      data = cr + 1;
    }

  process (self);
}

void
tessera_protocol_parser_finish (TesseraProtocolParser *self)
{
  g_return_if_fail (TESSERA_IS_PROTOCOL_PARSER (self));

  if (self->eof)
    return;

  if (self->cr_pending)
    g_string_append_c (self->buf, '\r');
  self->cr_pending = FALSE;
  self->eof = TRUE;
  process (self);
  self->state = STATE_DONE;
}

guint
tessera_protocol_parser_get_fenced_examples (TesseraProtocolParser *self)
{
  g_return_val_if_fail (TESSERA_IS_PROTOCOL_PARSER (self), 0);
  return self->fenced_examples;
}

GBytes *
tessera_protocol_get_system_prompt (void)
{
  return g_resources_lookup_data (RESOURCE_BASE "/protocol/system-prompt.md", 0, NULL);
}
