/* tessera-ignore.h: the subset of .gitignore that Tessera understands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TesseraIgnore TesseraIgnore;

/* Parses .gitignore text; NULL or empty @data gives an empty rule set. */
TesseraIgnore *tessera_ignore_new   (const char    *data,
                                     gssize         len);
void           tessera_ignore_free  (TesseraIgnore *self);
/* TRUE when @rel (a normalized relative path) or one of its parent folders
 * is excluded by the rules. Does not know about the built-in names. */
gboolean       tessera_ignore_match (TesseraIgnore *self,
                                     const char    *rel,
                                     gboolean       is_directory);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraIgnore, tessera_ignore_free)

G_END_DECLS
