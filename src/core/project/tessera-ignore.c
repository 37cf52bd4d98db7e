/* tessera-ignore.c: the subset of .gitignore that Tessera understands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Supported: blank lines and "#" comments, "!" negation, a trailing "/" for
 * folders only, a leading or inner "/" anchoring the pattern to the root,
 * the fnmatch(3) wildcards "*", "?" and "[...]", a leading "**" followed by
 * "/" (any depth) and a trailing "/" followed by "**" (everything inside). As
 * in git, a file cannot be re-included when one of its parent folders is
 * excluded. Not supported: "**" in the middle of a pattern and escaped
 * trailing spaces.
 */

#define G_LOG_DOMAIN "tessera-project"

#include "config.h"

#include <fnmatch.h>
#include <string.h>

#include "tessera-ignore.h"

typedef struct
{
  char     *glob;
  guint     negated : 1;
  guint     dir_only : 1;
  guint     anchored : 1;
} Rule;

struct _TesseraIgnore
{
  GArray *rules;
};

static void
rule_clear (gpointer data)
{
  Rule *rule = data;

  g_free (rule->glob);
}

static void
add_rule (TesseraIgnore *self,
          const char    *line,
          gsize          len)
{
  g_autofree char *text = NULL;
  Rule rule = { 0 };
  char *p;
  gsize n;

  /* Trailing blanks are not part of the pattern. */
  while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
    len--;
  if (len == 0 || line[0] == '#')
    return;

  text = g_strndup (line, len);
  p = text;

  if (p[0] == '!')
    {
      rule.negated = TRUE;
      p++;
    }
  else if (p[0] == '\\' && (p[1] == '!' || p[1] == '#'))
    {
      p++;
    }

  n = strlen (p);
  if (n >= 3 && strcmp (p + n - 3, "/**") == 0)
    {
      /* "dir/ **" (everything inside dir) excludes what excluding dir
       * itself does. */
      p[n - 3] = '\0';
      rule.dir_only = TRUE;
      n -= 3;
    }
  if (n > 0 && p[n - 1] == '/')
    {
      rule.dir_only = TRUE;
      p[--n] = '\0';
    }
  if (g_str_has_prefix (p, "**/"))
    {
      p += 3;
      rule.anchored = strchr (p, '/') != NULL;
    }
  else if (p[0] == '/')
    {
      p++;
      rule.anchored = TRUE;
    }
  else
    {
      rule.anchored = strchr (p, '/') != NULL;
    }

  if (*p == '\0')
    return;

  rule.glob = g_strdup (p);
  g_array_append_val (self->rules, rule);
}

TesseraIgnore *
tessera_ignore_new (const char *data,
                    gssize      len)
{
  TesseraIgnore *self = g_new0 (TesseraIgnore, 1);
  const char *p;
  const char *end;

  self->rules = g_array_new (FALSE, TRUE, sizeof (Rule));
  g_array_set_clear_func (self->rules, rule_clear);

  if (data == NULL)
    return self;
  if (len < 0)
    len = strlen (data);

  p = data;
  end = data + len;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);
      const char *line_end = nl != NULL ? nl : end;

      /* A NUL byte would cut the pattern short; such a line is garbage. */
      if (memchr (p, '\0', line_end - p) == NULL)
        add_rule (self, p, line_end - p);
      p = nl != NULL ? nl + 1 : end;
    }

  return self;
}

void
tessera_ignore_free (TesseraIgnore *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->rules, g_array_unref);
  g_free (self);
}

/* Last matching rule wins, as in git. */
static gboolean
match_one (TesseraIgnore *self,
           const char    *rel,
           const char    *basename,
           gboolean       is_directory)
{
  gboolean ignored = FALSE;

  for (guint i = 0; i < self->rules->len; i++)
    {
      const Rule *rule = &g_array_index (self->rules, Rule, i);
      gboolean hit;

      if (rule->dir_only && !is_directory)
        continue;
      /* Only a rule that can change the verdict needs matching. */
      if (rule->negated != ignored)
        continue;

      if (rule->anchored)
        hit = fnmatch (rule->glob, rel, FNM_PATHNAME) == 0;
      else
        hit = fnmatch (rule->glob, basename, 0) == 0;

      if (hit)
        ignored = !rule->negated;
    }

  return ignored;
}

gboolean
tessera_ignore_match (TesseraIgnore *self,
                      const char    *rel,
                      gboolean       is_directory)
{
  g_autofree char *copy = NULL;
  char *slash;

  g_return_val_if_fail (rel != NULL, FALSE);

  if (self == NULL || self->rules->len == 0)
    return FALSE;

  copy = g_strdup (rel);

  /* Each parent folder first: an excluded folder hides everything below. */
  for (slash = strchr (copy, '/'); slash != NULL; slash = strchr (slash + 1, '/'))
    {
      const char *base;

      *slash = '\0';
      base = strrchr (copy, '/');
      base = base != NULL ? base + 1 : copy;
      if (match_one (self, copy, base, TRUE))
        return TRUE;
      *slash = '/';
    }

  {
    const char *base = strrchr (copy, '/');

    base = base != NULL ? base + 1 : copy;
    return match_one (self, copy, base, is_directory);
  }
}
