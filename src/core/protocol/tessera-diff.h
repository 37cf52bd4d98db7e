/* tessera-diff.h: what changed in a file, line by line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A unified diff of @before and @after (either may be empty: a new or a
 * deleted file), hunks only, with @context lines around each change:
 *
 *   @@ -12,7 +12,8 @@
 *    unchanged line
 *   -removed line
 *   +added line
 *
 * Lines are split at '\n'; a missing newline at the end is reported as in
 * GNU diff ("\ No newline at end of file"). Returns NULL when the two are
 * the same. Sets @n_added and @n_removed (either may be NULL) to the
 * lines added and removed. Quick on what models write: past
 * TESSERA_DIFF_MAX_BYTES of diff, the text ends with a line saying that
 * the rest is left out (the counts stay exact); a comparison that would
 * take too long (files of tens of thousands of lines changed all over)
 * reports the whole of @before removed and the whole of @after added,
 * but for the lines they begin and end with in common. The text is valid
 * UTF-8: bytes that are not, and NULs, are shown as U+FFFD. */
#define TESSERA_DIFF_MAX_BYTES (256 * 1024)

char *tessera_diff_unified (const char *before,
                            gsize       before_len,
                            const char *after,
                            gsize       after_len,
                            guint       context,
                            guint      *n_added,
                            guint      *n_removed);

G_END_DECLS
