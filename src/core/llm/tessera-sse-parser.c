/* tessera-sse-parser.c: incremental server-sent events parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-sse-parser"

#include "config.h"

#include <string.h>

#include "tessera-sse-parser.h"

struct _TesseraSseParser
{
  TesseraSseEventFunc  func;
  gpointer             user_data;

  /* The current line, collected across feeds. */
  GString             *line;
  GString             *data;
  GString             *event_type;
  GString             *last_event_id;
  gint64               retry;

  /* A CR ended the previous line: an LF right after it (maybe in the
   * next chunk) belongs to the same line end. */
  guint                after_cr : 1;
  /* Still at the very start of the stream, where a BOM may be. */
  guint                at_start : 1;
};

TesseraSseParser *
tessera_sse_parser_new (TesseraSseEventFunc func,
                        gpointer            user_data)
{
  TesseraSseParser *self;

  g_return_val_if_fail (func != NULL, NULL);

  self = g_new0 (TesseraSseParser, 1);
  self->func = func;
  self->user_data = user_data;
  self->line = g_string_sized_new (256);
  self->data = g_string_sized_new (256);
  self->event_type = g_string_new (NULL);
  self->last_event_id = g_string_new (NULL);
  self->retry = -1;
  self->at_start = TRUE;

  return self;
}

void
tessera_sse_parser_free (TesseraSseParser *self)
{
  if (self == NULL)
    return;

  g_string_free (self->line, TRUE);
  g_string_free (self->data, TRUE);
  g_string_free (self->event_type, TRUE);
  g_string_free (self->last_event_id, TRUE);
  g_free (self);
}

gint64
tessera_sse_parser_get_retry (TesseraSseParser *self)
{
  g_return_val_if_fail (self != NULL, -1);

  return self->retry;
}

void
tessera_sse_parser_reset (TesseraSseParser *self)
{
  g_return_if_fail (self != NULL);

  g_string_truncate (self->line, 0);
  g_string_truncate (self->data, 0);
  g_string_truncate (self->event_type, 0);
  self->after_cr = FALSE;
  self->at_start = TRUE;
}

static void
dispatch (TesseraSseParser *self)
{
  if (self->data->len == 0)
    {
      g_string_truncate (self->event_type, 0);
      return;
    }

  /* Every data line added a "\n"; the last one is not part of the data. */
  g_string_truncate (self->data, self->data->len - 1);

  self->func (self->event_type->len > 0 ? self->event_type->str : "message",
              self->data->str, self->data->len,
              self->last_event_id->str,
              self->user_data);

  g_string_truncate (self->data, 0);
  g_string_truncate (self->event_type, 0);
}

static void
process_field (TesseraSseParser *self,
               const char       *name,
               gsize             name_len,
               const char       *value,
               gsize             value_len)
{
#define FIELD_IS(s) (name_len == sizeof (s) - 1 && memcmp (name, s, name_len) == 0)
  if (FIELD_IS ("data"))
    {
      g_string_append_len (self->data, value, value_len);
      g_string_append_c (self->data, '\n');
    }
  else if (FIELD_IS ("event"))
    {
      g_string_truncate (self->event_type, 0);
      g_string_append_len (self->event_type, value, value_len);
    }
  else if (FIELD_IS ("id"))
    {
      /* An id with a NUL would truncate silently: the standard ignores it. */
      if (memchr (value, '\0', value_len) == NULL)
        {
          g_string_truncate (self->last_event_id, 0);
          g_string_append_len (self->last_event_id, value, value_len);
        }
    }
  else if (FIELD_IS ("retry"))
    {
      gint64 retry = 0;
      gsize i;

      for (i = 0; i < value_len; i++)
        {
          if (!g_ascii_isdigit (value[i]) || retry > G_MAXINT64 / 10 - 10)
            break;
          retry = retry * 10 + (value[i] - '0');
        }
      if (value_len > 0 && i == value_len)
        self->retry = retry;
    }
#undef FIELD_IS
  /* Any other field is ignored, as the standard says. */
}

static void
process_line (TesseraSseParser *self,
              const char       *line,
              gsize             len)
{
  const char *colon;

  if (len == 0)
    {
      dispatch (self);
      return;
    }

  if (line[0] == ':')
    return;

  colon = memchr (line, ':', len);
  if (colon == NULL)
    {
      process_field (self, line, len, "", 0);
      return;
    }
  else
    {
      const char *value = colon + 1;
      gsize value_len = len - (value - line);

      if (value_len > 0 && value[0] == ' ')
        {
          value++;
          value_len--;
        }
      process_field (self, line, colon - line, value, value_len);
    }
}

void
tessera_sse_parser_feed (TesseraSseParser *self,
                         const char       *data,
                         gsize             len)
{
  const char *p = data;
  const char *end = data + len;

  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || len == 0);

  if (self->at_start && len > 0)
    {
      static const char bom[] = "\xEF\xBB\xBF";
      gsize have = self->line->len;
      gsize take = MIN (len, 3 - have);

      /* The BOM may itself arrive split: hold back a prefix of it until
       * it is complete or proven not to be one. */
      if (memcmp (bom + have, p, take) == 0)
        {
          if (have + take < 3)
            {
              g_string_append_len (self->line, p, take);
              return;
            }
          g_string_truncate (self->line, 0);
          p += take;
          self->at_start = FALSE;
        }
      else
        self->at_start = FALSE;
    }

  while (p < end)
    {
      const char *eol;

      if (self->after_cr)
        {
          self->after_cr = FALSE;
          if (*p == '\n')
            {
              p++;
              continue;
            }
        }

      /* Scan for the next CR or LF; memchr for LF is the fast path as
       * nearly every server ends lines with LF alone. */
      eol = memchr (p, '\n', end - p);
      {
        const char *cr = memchr (p, '\r', (eol != NULL ? eol : end) - p);
        if (cr != NULL)
          eol = cr;
      }

      if (eol == NULL)
        {
          g_string_append_len (self->line, p, end - p);
          break;
        }

      if (self->line->len > 0)
        {
          g_string_append_len (self->line, p, eol - p);
          process_line (self, self->line->str, self->line->len);
          g_string_truncate (self->line, 0);
        }
      else
        process_line (self, p, eol - p);

      if (*eol == '\r')
        self->after_cr = TRUE;
      p = eol + 1;
    }
}
