/* tessera-edit-applier.c: applies SEARCH/REPLACE blocks to a file's text
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-edit-applier"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "tessera-edit-applier.h"

struct _TesseraEditApplier
{
  GObject  parent_instance;
  GString *text;
  guint    fuzzy : 1;
};

G_DEFINE_FINAL_TYPE (TesseraEditApplier, tessera_edit_applier, G_TYPE_OBJECT)

G_DEFINE_QUARK (tessera-edit-error-quark, tessera_edit_error)

/* How many match positions an ambiguity message lists. */
#define MAX_LISTED_MATCHES 3

typedef struct
{
  const char *start;  /* first byte of the line */
  gsize       len;    /* without the newline */
  gsize       full;   /* with the newline, if any */
} Line;

static void
tessera_edit_applier_finalize (GObject *object)
{
  TesseraEditApplier *self = (TesseraEditApplier *)object;

  g_string_free (self->text, TRUE);

  G_OBJECT_CLASS (tessera_edit_applier_parent_class)->finalize (object);
}

static void
tessera_edit_applier_class_init (TesseraEditApplierClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tessera_edit_applier_finalize;
}

static void
tessera_edit_applier_init (TesseraEditApplier *self)
{
}

TesseraEditApplier *
tessera_edit_applier_new (const char *text,
                          gsize       len)
{
  TesseraEditApplier *self = g_object_new (TESSERA_TYPE_EDIT_APPLIER, NULL);

  self->text = g_string_new_len (text, text ? len : 0);
  return self;
}

const char *
tessera_edit_applier_get_text (TesseraEditApplier *self,
                               gsize              *len)
{
  g_return_val_if_fail (TESSERA_IS_EDIT_APPLIER (self), NULL);
  if (len != NULL)
    *len = self->text->len;
  return self->text->str;
}

GBytes *
tessera_edit_applier_dup_bytes (TesseraEditApplier *self)
{
  g_return_val_if_fail (TESSERA_IS_EDIT_APPLIER (self), NULL);
  return g_bytes_new (self->text->str, self->text->len);
}

gboolean
tessera_edit_applier_get_fuzzy (TesseraEditApplier *self)
{
  g_return_val_if_fail (TESSERA_IS_EDIT_APPLIER (self), FALSE);
  return self->fuzzy;
}

static GArray *
split_lines (const char *text,
             gsize       len)
{
  GArray *lines = g_array_new (FALSE, FALSE, sizeof (Line));
  const char *p = text;
  const char *end = text + len;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);
      Line line;

      line.start = p;
      line.len = (nl ? nl : end) - p;
      line.full = nl ? line.len + 1 : line.len;
      g_array_append_val (lines, line);
      p += line.full;
    }

  return lines;
}

static inline gboolean
is_blank_char (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* The line without its indentation, trailing spaces or CR. */
static void
trim (const Line  *line,
      const char **start,
      gsize       *len)
{
  const char *s = line->start;
  const char *e = line->start + line->len;

  while (s < e && is_blank_char (*s))
    s++;
  while (e > s && is_blank_char (e[-1]))
    e--;
  *start = s;
  *len = e - s;
}

static gboolean
lines_equal (const Line *a,
             const Line *b)
{
  const char *sa, *sb;
  gsize la, lb;

  trim (a, &sa, &la);
  trim (b, &sb, &lb);
  return la == lb && memcmp (sa, sb, la) == 0;
}

static gboolean
line_is_blank (const Line *line)
{
  const char *s;
  gsize len;

  trim (line, &s, &len);
  return len == 0;
}

static gsize
indent_len (const Line *line)
{
  gsize n = 0;

  while (n < line->len && (line->start[n] == ' ' || line->start[n] == '\t'))
    n++;
  return n;
}

static guint
count_exact (const GString *text,
             const char    *needle,
             gsize          needle_len,
             gsize         *first)
{
  const char *p = text->str;
  const char *end = text->str + text->len;
  guint count = 0;

  while (p < end && (gsize)(end - p) >= needle_len)
    {
      const char *hit = memmem (p, end - p, needle, needle_len);

      if (hit == NULL)
        break;
      if (count++ == 0)
        *first = hit - text->str;
      p = hit + 1;
    }

  return count;
}

/* The file's line most like the first meaningful SEARCH line, so that the
 * model can see what it got wrong. Returns 0 when nothing is alike. */
static guint
nearest_line (GArray     *text_lines,
              const Line *wanted)
{
  const char *ws;
  gsize wl;
  gsize best_score = 0;
  guint best = 0;

  trim (wanted, &ws, &wl);
  for (guint i = 0; i < text_lines->len; i++)
    {
      const Line *line = &g_array_index (text_lines, Line, i);
      const char *s;
      gsize l, n = 0;

      trim (line, &s, &l);
      while (n < l && n < wl && s[n] == ws[n])
        n++;
      if (n > best_score)
        {
          best_score = n;
          best = i + 1;
        }
    }

  return best_score >= MIN (4, wl) && best_score > 0 ? best : 0;
}

static void
replace_range (TesseraEditApplier *self,
               gsize               pos,
               gsize               len,
               const char         *with,
               gsize               with_len)
{
  g_string_erase (self->text, pos, len);
  g_string_insert_len (self->text, pos, with, with_len);
}

/* Re-indents @replace from the block's indentation to the file's, so that a
 * block written at the wrong depth still produces consistent code. */
static GString *
reindent (const char *replace,
          gsize       replace_len,
          const char *from,
          gsize       from_len,
          const char *to,
          gsize       to_len)
{
  g_autoptr(GArray) lines = split_lines (replace, replace_len);
  GString *out = g_string_sized_new (replace_len + 16);

  for (guint i = 0; i < lines->len; i++)
    {
      const Line *line = &g_array_index (lines, Line, i);

      if (line->len >= from_len && memcmp (line->start, from, from_len) == 0 && !line_is_blank (line))
        {
          g_string_append_len (out, to, to_len);
          g_string_append_len (out, line->start + from_len, line->full - from_len);
        }
      else
        g_string_append_len (out, line->start, line->full);
    }

  return out;
}

gboolean
tessera_edit_applier_apply_block (TesseraEditApplier      *self,
                                  const TesseraEditBlock  *block,
                                  guint                    index,
                                  guint                    n_blocks,
                                  GError                 **error)
{
  g_autoptr(GArray) text_lines = NULL;
  g_autoptr(GArray) search_lines = NULL;
  g_autoptr(GString) replacement = NULL;
  guint first_search = 0, last_search;
  guint matches = 0;
  guint match_at[MAX_LISTED_MATCHES];
  gsize first = 0;
  guint count;

  g_return_val_if_fail (TESSERA_IS_EDIT_APPLIER (self), FALSE);
  g_return_val_if_fail (block != NULL, FALSE);

  self->fuzzy = FALSE;

  if (block->search_len == 0 || strspn (block->search, " \t\r\n") == block->search_len)
    {
      /* An empty SEARCH means "the whole file" only when there is none. */
      if (self->text->len == 0)
        {
          g_string_append_len (self->text, block->replace, block->replace_len);
          return TRUE;
        }
      g_set_error (error, TESSERA_EDIT_ERROR, TESSERA_EDIT_ERROR_MALFORMED,
                   _("Block %u of %u has an empty SEARCH section, but the file is not empty."),
                   index + 1, n_blocks);
      return FALSE;
    }

  count = count_exact (self->text, block->search, block->search_len, &first);
  if (count == 1)
    {
      replace_range (self, first, block->search_len, block->replace, block->replace_len);
      return TRUE;
    }
  if (count > 1)
    {
      g_set_error (error, TESSERA_EDIT_ERROR, TESSERA_EDIT_ERROR_AMBIGUOUS,
                   ngettext ("Block %u of %u was not applied: its SEARCH text matched %u place; include more surrounding lines so that it matches exactly one.",
                             "Block %u of %u was not applied: its SEARCH text matched %u places; include more surrounding lines so that it matches exactly one.",
                             count),
                   index + 1, n_blocks, count);
      return FALSE;
    }

  /* Line by line, ignoring indentation, trailing spaces and CR. */
  text_lines = split_lines (self->text->str, self->text->len);
  search_lines = split_lines (block->search, block->search_len);
  last_search = search_lines->len;
  while (first_search < last_search && line_is_blank (&g_array_index (search_lines, Line, first_search)))
    first_search++;
  while (last_search > first_search && line_is_blank (&g_array_index (search_lines, Line, last_search - 1)))
    last_search--;

  for (guint i = 0; i + (last_search - first_search) <= text_lines->len; i++)
    {
      gboolean equal = TRUE;

      for (guint j = first_search; j < last_search && equal; j++)
        equal = lines_equal (&g_array_index (text_lines, Line, i + j - first_search),
                             &g_array_index (search_lines, Line, j));
      if (equal)
        {
          if (matches < MAX_LISTED_MATCHES)
            match_at[matches] = i;
          matches++;
        }
    }

  if (matches == 0)
    {
      guint nearest = nearest_line (text_lines, &g_array_index (search_lines, Line, first_search));

      if (nearest > 0)
        {
          const Line *line = &g_array_index (text_lines, Line, nearest - 1);

          g_set_error (error, TESSERA_EDIT_ERROR, TESSERA_EDIT_ERROR_NO_MATCH,
                       _("Block %u of %u was not applied: its SEARCH text matched 0 places, even ignoring whitespace. The nearest line is line %u: “%.*s”."),
                       index + 1, n_blocks, nearest, (int)MIN (line->len, 200), line->start);
        }
      else
        g_set_error (error, TESSERA_EDIT_ERROR, TESSERA_EDIT_ERROR_NO_MATCH,
                     _("Block %u of %u was not applied: its SEARCH text matched 0 places and no line of the file resembles it."),
                     index + 1, n_blocks);
      return FALSE;
    }

  if (matches > 1)
    {
      g_autoptr(GString) where = g_string_new (NULL);

      for (guint i = 0; i < MIN (matches, MAX_LISTED_MATCHES); i++)
        g_string_append_printf (where, "%s%u", i > 0 ? ", " : "", match_at[i] + 1);
      if (matches > MAX_LISTED_MATCHES)
        g_string_append (where, ", …");
      g_set_error (error, TESSERA_EDIT_ERROR, TESSERA_EDIT_ERROR_AMBIGUOUS,
                   ngettext ("Block %u of %u was not applied: ignoring whitespace, its SEARCH text matched %u place (at lines %s); include more surrounding lines so that it matches exactly one.",
                             "Block %u of %u was not applied: ignoring whitespace, its SEARCH text matched %u places (at lines %s); include more surrounding lines so that it matches exactly one.",
                             matches),
                   index + 1, n_blocks, matches, where->str);
      return FALSE;
    }

  {
    const Line *start_line = &g_array_index (text_lines, Line, match_at[0]);
    const Line *end_line = &g_array_index (text_lines, Line, match_at[0] + (last_search - first_search) - 1);
    const Line *search_first = &g_array_index (search_lines, Line, first_search);
    gsize pos = start_line->start - self->text->str;
    gsize len = (end_line->start + end_line->full) - start_line->start;
    gboolean had_newline = end_line->full > end_line->len;

    replacement = reindent (block->replace, block->replace_len,
                            search_first->start, indent_len (search_first),
                            start_line->start, indent_len (start_line));
    if (had_newline && replacement->len > 0 && replacement->str[replacement->len - 1] != '\n')
      g_string_append_c (replacement, '\n');
    replace_range (self, pos, len, replacement->str, replacement->len);
    self->fuzzy = TRUE;
  }

  return TRUE;
}

guint
tessera_edit_applier_apply_all (TesseraEditApplier *self,
                                GPtrArray          *blocks,
                                GPtrArray          *failures)
{
  guint applied = 0;

  g_return_val_if_fail (TESSERA_IS_EDIT_APPLIER (self), 0);
  g_return_val_if_fail (blocks != NULL, 0);

  for (guint i = 0; i < blocks->len; i++)
    {
      g_autoptr(GError) error = NULL;

      if (tessera_edit_applier_apply_block (self, g_ptr_array_index (blocks, i), i, blocks->len, &error))
        applied++;
      else if (failures != NULL)
        g_ptr_array_add (failures, g_strdup (error->message));
    }

  return applied;
}
