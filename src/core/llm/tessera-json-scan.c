/* tessera-json-scan.c: a validating scan of small JSON events, and lookups
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-json-scan"

#include "config.h"

#include <string.h>

#include "tessera-json-scan.h"

#define MAX_DEPTH 64

typedef struct
{
  const char *p;
  const char *end;
} Scan;

/* The members of a top-level object asked for, and where their values
 * are: found while validating, so in the same pass. */
typedef struct
{
  const char * const *names;
  const char        **values;
  gsize              *value_lens;
} Members;

static char *decode_string (Scan *s);

static void
skip_ws (Scan *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

/* The bytes that end a run of plain string content: '"', '\\' and the
 * control characters JSON forbids unescaped. */
static const guint8 string_special[256] = {
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  ['"'] = 1, ['\\'] = 1,
};

/* Past a string starting at '"'; FALSE when it is not valid. */
static gboolean
skip_string (Scan *s)
{
  g_assert (*s->p == '"');
  s->p++;

  while (s->p < s->end)
    {
      guchar c;

      /* Most of a string is plain text: one table lookup per byte. */
      while (s->p < s->end && !string_special[(guchar) *s->p])
        s->p++;
      if (s->p >= s->end)
        break;

      c = *s->p;
      if (c == '"')
        {
          s->p++;
          return TRUE;
        }
      if (c < 0x20)
        return FALSE;

      /* A backslash. */
      if (++s->p >= s->end)
        return FALSE;
      switch (*s->p)
        {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          s->p++;
          break;

        case 'u':
          if (s->end - s->p < 5 ||
              !g_ascii_isxdigit (s->p[1]) || !g_ascii_isxdigit (s->p[2]) ||
              !g_ascii_isxdigit (s->p[3]) || !g_ascii_isxdigit (s->p[4]))
            return FALSE;
          s->p += 5;
          break;

        default:
          return FALSE;
        }
    }

  return FALSE;
}

static gboolean
skip_number (Scan *s)
{
  const char *start;

  if (s->p < s->end && *s->p == '-')
    s->p++;
  if (s->p >= s->end)
    return FALSE;
  if (*s->p == '0')
    s->p++;
  else if (*s->p >= '1' && *s->p <= '9')
    while (s->p < s->end && g_ascii_isdigit (*s->p))
      s->p++;
  else
    return FALSE;

  if (s->p < s->end && *s->p == '.')
    {
      start = ++s->p;
      while (s->p < s->end && g_ascii_isdigit (*s->p))
        s->p++;
      if (s->p == start)
        return FALSE;
    }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    {
      s->p++;
      if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
        s->p++;
      start = s->p;
      while (s->p < s->end && g_ascii_isdigit (*s->p))
        s->p++;
      if (s->p == start)
        return FALSE;
    }

  return TRUE;
}

static gboolean
skip_literal (Scan       *s,
              const char *word)
{
  gsize len = strlen (word);

  if ((gsize) (s->end - s->p) < len || memcmp (s->p, word, len) != 0)
    return FALSE;
  s->p += len;
  return TRUE;
}

/* Which of @members' names the key between @start (its opening quote)
 * and @end (past its closing one) is, or -1. */
static int
find_member (Members    *members,
             const char *start,
             const char *end)
{
  const char *key = start + 1;
  gsize len = end - 1 - key;

  /* Most keys are plain: compared as they are. */
  if (memchr (key, '\\', len) == NULL)
    {
      for (int i = 0; members->names[i] != NULL; i++)
        if (members->names[i][0] == key[0] && strncmp (members->names[i], key, len) == 0 &&
            members->names[i][len] == '\0')
          return i;
      return -1;
    }
  else
    {
      Scan copy = { start, end };
      g_autofree char *decoded = decode_string (&copy);

      for (int i = 0; decoded != NULL && members->names[i] != NULL; i++)
        if (g_str_equal (members->names[i], decoded))
          return i;
      return -1;
    }
}

/* Past the value at s->p; FALSE when it is not valid. For an object,
 * notes in @members (when not NULL) where the values of the members it
 * names start and end. */
static gboolean
skip_value (Scan    *s,
            guint    depth,
            Members *members)
{
  skip_ws (s);
  if (s->p >= s->end)
    return FALSE;

  switch (*s->p)
    {
    case '"':
      return skip_string (s);

    case 't':
      return skip_literal (s, "true");

    case 'f':
      return skip_literal (s, "false");

    case 'n':
      return skip_literal (s, "null");

    case '{':
    case '[':
      {
        char close = *s->p == '{' ? '}' : ']';
        gboolean object = close == '}';

        if (depth >= MAX_DEPTH)
          return FALSE;
        s->p++;
        skip_ws (s);
        if (s->p < s->end && *s->p == close)
          {
            s->p++;
            return TRUE;
          }
        for (;;)
          {
            int wanted = -1;
            const char *value;

            if (object)
              {
                const char *key;

                skip_ws (s);
                key = s->p;
                if (s->p >= s->end || *s->p != '"' || !skip_string (s))
                  return FALSE;
                if (members != NULL)
                  wanted = find_member (members, key, s->p);
                skip_ws (s);
                if (s->p >= s->end || *s->p != ':')
                  return FALSE;
                s->p++;
              }
            skip_ws (s);
            value = s->p;
            if (!skip_value (s, depth + 1, NULL))
              return FALSE;
            if (wanted >= 0 && members->values[wanted] == NULL)
              {
                members->values[wanted] = value;
                members->value_lens[wanted] = s->p - value;
              }
            skip_ws (s);
            if (s->p >= s->end)
              return FALSE;
            if (*s->p == ',')
              {
                s->p++;
                continue;
              }
            if (*s->p == close)
              {
                s->p++;
                return TRUE;
              }
            return FALSE;
          }
      }

    default:
      return skip_number (s);
    }
}

gboolean
_tessera_json_scan_validate (const char *json,
                             gsize       len)
{
  static const char * const no_names[] = { NULL };

  return _tessera_json_scan_members (json, len, no_names, NULL, NULL);
}

gboolean
_tessera_json_scan_members (const char         *json,
                            gsize               len,
                            const char * const *names,
                            const char        **values,
                            gsize              *value_lens)
{
  Scan s = { json, json + len };
  Members members = { names, values, value_lens };

  for (guint i = 0; names[i] != NULL; i++)
    {
      values[i] = NULL;
      value_lens[i] = 0;
    }

  skip_ws (&s);
  if (!skip_value (&s, 0, names[0] != NULL && s.p < s.end && *s.p == '{' ? &members : NULL))
    return FALSE;
  skip_ws (&s);

  return s.p == s.end;
}

static guint
hex4 (const char *p)
{
  guint value = 0;

  for (guint i = 0; i < 4; i++)
    value = (value << 4) | g_ascii_xdigit_value (p[i]);

  return value;
}

/* Decodes the validated string at s->p (on its '"'). */
static char *
decode_string (Scan *s)
{
  GString *out;
  const char *p = s->p + 1;
  const char *run = p;

  /* The common case: no escapes, one copy. */
  while (*p != '"' && *p != '\\')
    p++;
  if (*p == '"')
    {
      s->p = p + 1;
      if (!g_utf8_validate (run, p - run, NULL))
        return NULL;
      return g_strndup (run, p - run);
    }

  out = g_string_new_len (run, p - run);
  while (*p != '"')
    {
      if (*p != '\\')
        {
          run = p;
          while (*p != '"' && *p != '\\')
            p++;
          g_string_append_len (out, run, p - run);
          continue;
        }

      p++;
      switch (*p)
        {
        case '"': g_string_append_c (out, '"'); p++; break;
        case '\\': g_string_append_c (out, '\\'); p++; break;
        case '/': g_string_append_c (out, '/'); p++; break;
        case 'b': g_string_append_c (out, '\b'); p++; break;
        case 'f': g_string_append_c (out, '\f'); p++; break;
        case 'n': g_string_append_c (out, '\n'); p++; break;
        case 'r': g_string_append_c (out, '\r'); p++; break;
        case 't': g_string_append_c (out, '\t'); p++; break;
        case 'u':
          {
            gunichar c = hex4 (p + 1);

            p += 5;
            if (c >= 0xD800 && c <= 0xDBFF)
              {
                gunichar low;

                if (p[0] != '\\' || p[1] != 'u')
                  goto invalid;
                low = hex4 (p + 2);
                if (low < 0xDC00 || low > 0xDFFF)
                  goto invalid;
                c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
                p += 6;
              }
            else if (c >= 0xDC00 && c <= 0xDFFF)
              goto invalid;
            /* A NUL would cut the text short where the model did not. */
            if (c == 0)
              goto invalid;
            g_string_append_unichar (out, c);
          }
          break;

        default:
          goto invalid;
        }
    }

  s->p = p + 1;
  if (!g_utf8_validate (out->str, out->len, NULL))
    goto invalid;
  return g_string_free (out, FALSE);

invalid:
  g_string_free (out, TRUE);
  return NULL;
}

static gboolean
key_equals (Scan       *s,
            const char *name)
{
  const char *start = s->p + 1;
  Scan copy = *s;
  gsize len;

  if (!skip_string (&copy))
    return FALSE;
  len = copy.p - 1 - start;

  if (memchr (start, '\\', len) == NULL)
    {
      s->p = copy.p;
      return strlen (name) == len && memcmp (start, name, len) == 0;
    }
  else
    {
      g_autofree char *decoded = decode_string (s);

      return decoded != NULL && g_str_equal (decoded, name);
    }
}

/* Leaves @s on the value @path leads to; FALSE when there is none. */
static gboolean
find_value (Scan               *s,
            const char * const *path)
{
  for (guint i = 0; ; i++)
    {
      skip_ws (s);
      if (s->p >= s->end)
        return FALSE;

      if (path[i] == NULL)
        return TRUE;

      if (*s->p == '{')
        {
          gboolean found = FALSE;

          s->p++;
          skip_ws (s);
          while (s->p < s->end && *s->p == '"')
            {
              gboolean match = key_equals (s, path[i]);

              skip_ws (s);
              s->p++; /* ':' */
              if (match)
                {
                  found = TRUE;
                  break;
                }
              skip_value (s, 0, NULL);
              skip_ws (s);
              if (s->p < s->end && *s->p == ',')
                {
                  s->p++;
                  skip_ws (s);
                }
            }
          if (!found)
            return FALSE;
        }
      else if (*s->p == '[')
        {
          guint64 index;

          if (!g_ascii_string_to_unsigned (path[i], 10, 0, G_MAXUINT, &index, NULL))
            return FALSE;
          s->p++;
          skip_ws (s);
          if (s->p < s->end && *s->p == ']')
            return FALSE;
          for (guint64 j = 0; j < index; j++)
            {
              skip_value (s, 0, NULL);
              skip_ws (s);
              if (s->p >= s->end || *s->p != ',')
                return FALSE;
              s->p++;
            }
        }
      else
        return FALSE;
    }
}

TesseraJsonScanResult
_tessera_json_scan_lookup (const char         *json,
                           gsize               len,
                           const char * const *path,
                           char              **string)
{
  Scan s = { json, json + len };

  *string = NULL;

  if (!find_value (&s, path))
    return TESSERA_JSON_SCAN_MISSING;

  switch (*s.p)
    {
    case '"':
      *string = decode_string (&s);
      return *string != NULL ? TESSERA_JSON_SCAN_STRING : TESSERA_JSON_SCAN_INVALID;

    case 'n':
      return TESSERA_JSON_SCAN_NULL;

    default:
      return TESSERA_JSON_SCAN_OTHER;
    }
}

gboolean
_tessera_json_scan_lookup_span (const char         *json,
                                gsize               len,
                                const char * const *path,
                                const char        **value,
                                gsize              *value_len)
{
  Scan s = { json, json + len };
  const char *start;

  *value = NULL;
  *value_len = 0;

  if (!find_value (&s, path))
    return FALSE;

  start = s.p;
  if (!skip_value (&s, 0, NULL))
    return FALSE;
  *value = start;
  *value_len = s.p - start;

  return TRUE;
}
