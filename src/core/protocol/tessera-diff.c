/* tessera-diff.c: what changed in a file, line by line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Myers' O(ND) algorithm in its linear-space form (the middle snake,
 * searched from both ends), with what GNU diff does around it: the common
 * beginning and end set aside, lines with no equal in the other file left
 * out of the search, runs of changes slid over equal lines. The hunks are
 * those of `diff -u`: the same lines paired, the same headers, the same
 * merging of nearby changes.
 */

#define G_LOG_DOMAIN "tessera-diff"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "tessera-diff.h"

/* Past this many edits, or lines between the common beginning and end,
 * the comparison gives up (a rewrite of a large file): its V arrays stay
 * within a few megabytes and its time within a fraction of a second. */
#define MAX_EDITS 4000
#define MAX_LINES (512 * 1024)

typedef struct
{
  const char *start;
  gsize       len;   /* with the '\n', if any */
  guint       hash;
} Line;

/* What GNU diff compares of a file: the lines between the common
 * beginning and end, and as many of theirs as the context. */
typedef struct
{
  const Line *lines;
  gssize      first;
  int         n;
  /* Of each line compared: equal lines, equal classes. */
  guint      *classes;
  /* The lines left to Myers' algorithm, as classes and as line numbers. */
  guint      *kept;
  gssize     *kept_lines;
  int         n_kept;
} Region;

typedef struct
{
  const Region *a;
  const Region *b;
  char         *changed_a;
  char         *changed_b;
  /* Furthest x on each diagonal k = x - y, forwards and backwards. */
  int          *fd;
  int          *bd;
} Myers;

static inline gboolean
line_equal (const Line *a,
            const Line *b)
{
  return a->hash == b->hash && a->len == b->len && memcmp (a->start, b->start, a->len) == 0;
}

static guint
line_hash_func (gconstpointer line)
{
  return ((const Line *)line)->hash;
}

static gboolean
line_equal_func (gconstpointer a,
                 gconstpointer b)
{
  return line_equal (a, b);
}

static GArray *
split_lines (const char *text,
             gsize       len)
{
  GArray *lines = g_array_new (FALSE, FALSE, sizeof (Line));
  const char *p = text, *end = text + len;

  while (p < end)
    {
      Line line = { p, 0, 5381 };

      while (p < end)
        {
          char c = *p++;

          line.hash = line.hash * 33 + (guchar)c;
          if (c == '\n')
            break;
        }
      line.len = p - line.start;
      g_array_append_val (lines, line);
    }
  return lines;
}

static void
region_clear (Region *region)
{
  g_free (region->classes);
  g_free (region->kept);
  g_free (region->kept_lines);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Region, region_clear)

/* Numbers the lines of both regions by equality, and counts each number
 * in each region. */
static void
classify (Region  *a,
          Region  *b,
          int    **counts_a,
          int    **counts_b)
{
  g_autoptr(GHashTable) classes = g_hash_table_new (line_hash_func, line_equal_func);
  Region *regions[] = { a, b };
  guint n_classes = 0;

  for (guint r = 0; r < 2; r++)
    {
      Region *region = regions[r];

      region->classes = g_new (guint, region->n);
      for (int i = 0; i < region->n; i++)
        {
          const Line *line = &region->lines[region->first + i];
          gpointer value;

          if (!g_hash_table_lookup_extended (classes, line, NULL, &value))
            {
              value = GUINT_TO_POINTER (n_classes++);
              g_hash_table_insert (classes, (gpointer)line, value);
            }
          region->classes[i] = GPOINTER_TO_UINT (value);
        }
    }

  *counts_a = g_new0 (int, n_classes);
  *counts_b = g_new0 (int, n_classes);
  for (int i = 0; i < a->n; i++)
    (*counts_a)[a->classes[i]]++;
  for (int i = 0; i < b->n; i++)
    (*counts_b)[b->classes[i]]++;
}

/* GNU diff's discard_confusing_lines(): a line with no equal in the other
 * file is certainly removed or added, and so is, among such lines, one
 * with very many equals there. Leaving them out makes the comparison
 * quicker, and pairs the other lines as diff -u pairs them. Marks them
 * in @changed (indexed by line number) and keeps the others. */
static void
discard_lines (Region     *region,
               const int  *other_counts,
               char       *changed)
{
  g_autofree char *discards = g_malloc0 (region->n);
  int n = region->n;
  int many = 5;

  /* About the square root of the number of lines. */
  for (int tem = n / 64; (tem >>= 2) > 0;)
    many *= 2;
  for (int i = 0; i < n; i++)
    {
      int matches = other_counts[region->classes[i]];

      discards[i] = matches == 0 ? 1 : matches > many ? 2 : 0;
    }

  /* A line of many equals (2) goes only inside a run of lines of none (1). */
  for (int i = 0; i < n; i++)
    {
      int j, length, provisional = 0, consec, minimum = 1;

      if (discards[i] != 1)
        {
          discards[i] = 0;
          continue;
        }

      for (j = i; j < n && discards[j] != 0; j++)
        provisional += discards[j] == 2;
      for (; discards[j - 1] == 2; j--)
        {
          discards[j - 1] = 0;
          provisional--;
        }
      length = j - i;

      if (provisional * 4 > length)
        {
          for (; j > i; j--)
            if (discards[j - 1] == 2)
              discards[j - 1] = 0;
          continue;
        }

      /* Not in a long stretch of them, nor near the ends of the run. */
      for (int tem = length >> 2; (tem >>= 2) > 0;)
        minimum <<= 1;
      minimum++;
      for (j = 0, consec = 0; j < length; j++)
        {
          if (discards[i + j] != 2)
            consec = 0;
          else if (++consec == minimum)
            j -= consec;
          else if (consec > minimum)
            discards[i + j] = 0;
        }
      for (j = 0, consec = 0; j < length && !(j >= 8 && discards[i + j] == 1) && consec < 3; j++)
        {
          if (discards[i + j] == 2)
            discards[i + j] = 0;
          consec = discards[i + j] == 1 ? consec + 1 : 0;
        }
      i += length - 1;
      for (j = 0, consec = 0; j < length && !(j >= 8 && discards[i - j] == 1) && consec < 3; j++)
        {
          if (discards[i - j] == 2)
            discards[i - j] = 0;
          consec = discards[i - j] == 1 ? consec + 1 : 0;
        }
    }

  region->kept = g_new (guint, n);
  region->kept_lines = g_new (gssize, n);
  region->n_kept = 0;
  for (int i = 0; i < n; i++)
    {
      if (discards[i])
        changed[region->first + i] = 1;
      else
        {
          region->kept[region->n_kept] = region->classes[i];
          region->kept_lines[region->n_kept++] = region->first + i;
        }
    }
}

/* Finds where a shortest edit script of kept lines a[xoff, xlim) into
 * b[yoff, ylim) crosses its middle; ties are broken as GNU diff breaks
 * them. FALSE when that script is longer than MAX_EDITS. */
static gboolean
find_middle (Myers *m,
             int    xoff,
             int    xlim,
             int    yoff,
             int    ylim,
             int   *xmid,
             int   *ymid)
{
  const guint *xv = m->a->kept, *yv = m->b->kept;
  int *fd = m->fd, *bd = m->bd;
  int dmin = xoff - ylim, dmax = xlim - yoff;
  int fmid = xoff - yoff, bmid = xlim - ylim;
  int fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
  gboolean odd = (fmid - bmid) & 1;

  fd[fmid] = xoff;
  bd[bmid] = xlim;

  /* Each pass costs one edit at each end. */
  for (int cost = 1; cost <= MAX_EDITS / 2; cost++)
    {
      if (fmin > dmin)
        fd[--fmin - 1] = -1;
      else
        fmin++;
      if (fmax < dmax)
        fd[++fmax + 1] = -1;
      else
        fmax--;
      for (int d = fmax; d >= fmin; d -= 2)
        {
          int x = fd[d - 1] < fd[d + 1] ? fd[d + 1] : fd[d - 1] + 1;
          int y = x - d;

          while (x < xlim && y < ylim && xv[x] == yv[y])
            x++, y++;
          fd[d] = x;
          if (odd && bmin <= d && d <= bmax && bd[d] <= x)
            {
              *xmid = x;
              *ymid = y;
              return TRUE;
            }
        }

      if (bmin > dmin)
        bd[--bmin - 1] = G_MAXINT;
      else
        bmin++;
      if (bmax < dmax)
        bd[++bmax + 1] = G_MAXINT;
      else
        bmax--;
      for (int d = bmax; d >= bmin; d -= 2)
        {
          int x = bd[d - 1] < bd[d + 1] ? bd[d - 1] : bd[d + 1] - 1;
          int y = x - d;

          while (x > xoff && y > yoff && xv[x - 1] == yv[y - 1])
            x--, y--;
          bd[d] = x;
          if (!odd && fmin <= d && d <= fmax && x <= fd[d])
            {
              *xmid = x;
              *ymid = y;
              return TRUE;
            }
        }
    }

  return FALSE;
}

/* Marks the lines of kept lines a[xoff, xlim) and b[yoff, ylim) that a
 * shortest edit script removes and adds. */
static gboolean
compare (Myers *m,
         int    xoff,
         int    xlim,
         int    yoff,
         int    ylim)
{
  const guint *xv = m->a->kept, *yv = m->b->kept;
  int xmid, ymid;

  while (xoff < xlim && yoff < ylim && xv[xoff] == yv[yoff])
    xoff++, yoff++;
  while (xoff < xlim && yoff < ylim && xv[xlim - 1] == yv[ylim - 1])
    xlim--, ylim--;

  if (xoff == xlim)
    for (; yoff < ylim; yoff++)
      m->changed_b[m->b->kept_lines[yoff]] = 1;
  else if (yoff == ylim)
    for (; xoff < xlim; xoff++)
      m->changed_a[m->a->kept_lines[xoff]] = 1;
  else if (!find_middle (m, xoff, xlim, yoff, ylim, &xmid, &ymid) ||
           !compare (m, xoff, xmid, yoff, ymid) ||
           !compare (m, xmid, xlim, ymid, ylim))
    return FALSE;
  return TRUE;
}

/* GNU diff's shift_boundaries(): a run of changed lines can often slide
 * over equal lines. Slide each run up to merge it with the runs above,
 * down to merge it with those below, then leave it as low as possible,
 * or lined up with a run in the other file. The flags before and after
 * those of @classes are 0. */
static void
slide_runs (const guint *classes,
            gssize       n,
            char        *changed,
            const char  *other_changed)
{
  gssize i = 0, j = 0;

  for (;;)
    {
      gssize start, length, corresponding;

      /* The next run, and the matching point in the other file. */
      while (i < n && !changed[i])
        {
          while (other_changed[j++])
            ;
          i++;
        }
      if (i == n)
        break;
      start = i;
      while (changed[++i])
        ;
      while (other_changed[j])
        j++;

      do
        {
          length = i - start;

          while (start > 0 && classes[start - 1] == classes[i - 1])
            {
              changed[--start] = 1;
              changed[--i] = 0;
              while (changed[start - 1])
                start--;
              while (other_changed[--j])
                ;
            }

          /* Where the run last ended beside a run of the other file. */
          corresponding = other_changed[j - 1] ? i : n;

          while (i < n && classes[start] == classes[i])
            {
              changed[start++] = 0;
              changed[i++] = 1;
              while (changed[i])
                i++;
              while (other_changed[++j])
                corresponding = i;
            }
        }
      while (length != i - start);

      while (corresponding < i)
        {
          changed[--start] = 1;
          changed[--i] = 0;
          while (other_changed[--j])
            ;
        }
    }
}

typedef struct
{
  gssize line_a;
  gssize line_b;
  gssize removed;
  gssize added;
} Change;

typedef struct
{
  GString  *text;
  gboolean  full;
} Output;

static gboolean
output_reserve (Output *out,
                gsize   len)
{
  if (out->full)
    return FALSE;
  if (out->text->len + len > TESSERA_DIFF_MAX_BYTES)
    {
      g_string_append (out->text, _("… (the rest of the changes are left out)"));
      g_string_append_c (out->text, '\n');
      out->full = TRUE;
      return FALSE;
    }
  return TRUE;
}

/* "-12,7": a range as GNU diff writes it, the line before an empty range
 * standing for it. */
static void
append_range (GString *text,
              char     sign,
              gssize   first,
              gssize   count)
{
  if (count == 1)
    g_string_append_printf (text, "%c%" G_GSSIZE_FORMAT, sign, first + 1);
  else
    g_string_append_printf (text, "%c%" G_GSSIZE_FORMAT ",%" G_GSSIZE_FORMAT,
                            sign, count == 0 ? first : first + 1, count);
}

/* The diff is text for the chat: bytes that are not UTF-8, and NULs,
 * become U+FFFD. */
static void
output_line (Output     *out,
             char        flag,
             const Line *line)
{
  static const char no_newline[] = "\n\\ No newline at end of file\n";
  g_autofree char *valid = NULL;
  const char *text = line->start;
  gsize len = line->len;
  gboolean newline = text[len - 1] == '\n';

  if (!g_utf8_validate_len (text, len, NULL))
    {
      valid = g_utf8_make_valid (text, len);
      text = valid;
      len = strlen (valid);
    }
  if (!output_reserve (out, 1 + len + (newline ? 0 : sizeof no_newline - 1)))
    return;
  g_string_append_c (out->text, flag);
  g_string_append_len (out->text, text, len);
  if (!newline)
    g_string_append (out->text, no_newline);
}

/* Prints the changes from @first to @last, with @context lines around. */
static void
output_hunk (Output       *out,
             const Line   *a,
             gssize        n_a,
             const Line   *b,
             gssize        n_b,
             const Change *first,
             const Change *last,
             gssize        context)
{
  gssize start_a = MAX (first->line_a - context, 0);
  gssize start_b = MAX (first->line_b - context, 0);
  gssize end_a = MIN (last->line_a + last->removed + context, n_a);
  gssize end_b = MIN (last->line_b + last->added + context, n_b);
  g_autoptr(GString) header = g_string_new ("@@ ");
  gssize i = start_a;

  append_range (header, '-', start_a, end_a - start_a);
  g_string_append_c (header, ' ');
  append_range (header, '+', start_b, end_b - start_b);
  g_string_append (header, " @@\n");
  if (!output_reserve (out, header->len))
    return;
  g_string_append_len (out->text, header->str, header->len);

  for (const Change *change = first; change <= last; change++)
    {
      for (; i < change->line_a; i++)
        output_line (out, ' ', &a[i]);
      for (gssize k = 0; k < change->removed; k++)
        output_line (out, '-', &a[i++]);
      for (gssize k = 0; k < change->added; k++)
        output_line (out, '+', &b[change->line_b + k]);
    }
  for (; i < end_a; i++)
    output_line (out, ' ', &a[i]);
}

/* Compares the regions as GNU diff does, marking their lines removed
 * and added. FALSE when that is too costly. */
static gboolean
compare_regions (Region *region_a,
                 Region *region_b,
                 char   *changed_a,
                 char   *changed_b)
{
  g_autofree int *counts_a = NULL;
  g_autofree int *counts_b = NULL;
  g_autofree int *fd = NULL;
  g_autofree int *bd = NULL;
  Myers m = { region_a, region_b, changed_a, changed_b, };

  classify (region_a, region_b, &counts_a, &counts_b);
  discard_lines (region_a, counts_b, changed_a);
  discard_lines (region_b, counts_a, changed_b);

  /* Diagonals run from -n_kept of b to n_kept of a, and one more each side. */
  fd = g_new (int, region_a->n_kept + region_b->n_kept + 3);
  bd = g_new (int, region_a->n_kept + region_b->n_kept + 3);
  m.fd = fd + region_b->n_kept + 1;
  m.bd = bd + region_b->n_kept + 1;
  if (!compare (&m, 0, region_a->n_kept, 0, region_b->n_kept))
    return FALSE;

  slide_runs (region_a->classes, region_a->n, changed_a + region_a->first, changed_b + region_b->first);
  slide_runs (region_b->classes, region_b->n, changed_b + region_b->first, changed_a + region_a->first);
  return TRUE;
}

/* Marks the lines removed from @a and added in @b. */
static void
mark_changes (const Line *a,
              gssize      n_a,
              const Line *b,
              gssize      n_b,
              gssize      context,
              char       *changed_a,
              char       *changed_b)
{
  gssize prefix = 0, suffix = 0, first, end_a, end_b;

  /* Most edits leave most of the file alone. GNU diff compares the rest,
   * with @context lines of the common beginning and end. */
  while (prefix < n_a && prefix < n_b && line_equal (&a[prefix], &b[prefix]))
    prefix++;
  first = prefix - MIN (prefix, context);
  while (suffix < MIN (n_a, n_b) - first && line_equal (&a[n_a - 1 - suffix], &b[n_b - 1 - suffix]))
    suffix++;
  end_a = n_a - (suffix - MIN (suffix, context));
  end_b = n_b - (suffix - MIN (suffix, context));

  if (end_a - first + end_b - first <= MAX_LINES)
    {
      g_auto(Region) region_a = { a, first, end_a - first, };
      g_auto(Region) region_b = { b, first, end_b - first, };

      if (compare_regions (&region_a, &region_b, changed_a, changed_b))
        return;
    }

  /* Too costly: all of the old middle goes, all of the new one comes. */
  suffix = MIN (suffix, MIN (n_a, n_b) - prefix);
  memset (changed_a + prefix, 1, n_a - prefix - suffix);
  memset (changed_b + prefix, 1, n_b - prefix - suffix);
}

char *
tessera_diff_unified (const char *before,
                      gsize       before_len,
                      const char *after,
                      gsize       after_len,
                      guint       context,
                      guint      *n_added,
                      guint      *n_removed)
{
  g_autoptr(GArray) lines_a = NULL;
  g_autoptr(GArray) lines_b = NULL;
  g_autoptr(GArray) changes = NULL;
  g_autofree char *flags_a = NULL;
  g_autofree char *flags_b = NULL;
  const Line *a, *b;
  char *changed_a, *changed_b;
  gssize n_a, n_b, ctx;
  gsize added = 0, removed = 0;
  Output out = { NULL, FALSE };

  g_return_val_if_fail (before != NULL || before_len == 0, NULL);
  g_return_val_if_fail (after != NULL || after_len == 0, NULL);

  if (n_added != NULL)
    *n_added = 0;
  if (n_removed != NULL)
    *n_removed = 0;
  if (before_len == after_len && (before_len == 0 || memcmp (before, after, before_len) == 0))
    return NULL;

  lines_a = split_lines (before, before_len);
  lines_b = split_lines (after, after_len);
  a = (const Line *)lines_a->data;
  b = (const Line *)lines_b->data;
  n_a = lines_a->len;
  n_b = lines_b->len;
  ctx = MIN ((gsize)context, (gsize)MAX (n_a, n_b));

  /* A flag per line, and a 0 before and after them for slide_runs(). */
  flags_a = g_malloc0 (n_a + 2);
  flags_b = g_malloc0 (n_b + 2);
  changed_a = flags_a + 1;
  changed_b = flags_b + 1;
  mark_changes (a, n_a, b, n_b, ctx, changed_a, changed_b);

  changes = g_array_new (FALSE, FALSE, sizeof (Change));
  for (gssize i = 0, j = 0; i < n_a || j < n_b;)
    {
      Change change = { i, j, 0, 0 };

      while (changed_a[i])
        i++;
      while (changed_b[j])
        j++;
      change.removed = i - change.line_a;
      change.added = j - change.line_b;
      if (change.removed == 0 && change.added == 0)
        {
          i++, j++;
          continue;
        }
      g_array_append_val (changes, change);
      removed += change.removed;
      added += change.added;
    }

  if (n_added != NULL)
    *n_added = MIN (added, G_MAXUINT);
  if (n_removed != NULL)
    *n_removed = MIN (removed, G_MAXUINT);

  /* Changes closer than twice the context share a hunk, as in GNU diff. */
  out.text = g_string_new (NULL);
  for (guint h = 0; h < changes->len && !out.full;)
    {
      const Change *hunk_first = &g_array_index (changes, Change, h);
      const Change *hunk_last = hunk_first;

      for (h++; h < changes->len; h++)
        {
          const Change *next = &g_array_index (changes, Change, h);

          if (next->line_a - (hunk_last->line_a + hunk_last->removed) > 2 * ctx)
            break;
          hunk_last = next;
        }
      output_hunk (&out, a, n_a, b, n_b, hunk_first, hunk_last, ctx);
    }

  return g_string_free (out.text, FALSE);
}
