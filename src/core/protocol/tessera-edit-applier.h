/* tessera-edit-applier.h: applies SEARCH/REPLACE blocks to a file's text
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "tessera-action.h"

G_BEGIN_DECLS

#define TESSERA_EDIT_ERROR (tessera_edit_error_quark ())

typedef enum
{
  /* Markers out of place, no block at all, an empty SEARCH on a file that
   * is not empty. */
  TESSERA_EDIT_ERROR_MALFORMED,
  /* The SEARCH text is nowhere in the file, not even ignoring whitespace. */
  TESSERA_EDIT_ERROR_NO_MATCH,
  /* The SEARCH text is in more than one place. */
  TESSERA_EDIT_ERROR_AMBIGUOUS,
} TesseraEditError;

#define TESSERA_TYPE_EDIT_APPLIER (tessera_edit_applier_get_type ())
G_DECLARE_FINAL_TYPE (TesseraEditApplier, tessera_edit_applier, TESSERA, EDIT_APPLIER, GObject)

GQuark              tessera_edit_error_quark          (void);

/* Holds a copy of @text; blocks apply one after the other to it. */
TesseraEditApplier *tessera_edit_applier_new          (const char               *text,
                                                       gsize                     len);
/* Applies @block, exactly first, then ignoring indentation, trailing
 * spaces and CRLF line by line. A block that matches zero places or more
 * than one is not applied: the error message says which block (@index of
 * @n_blocks, counted from 0), how many places it matched and, for no
 * match, the nearest line of the file, so it can be sent back to the model
 * as it is. */
gboolean            tessera_edit_applier_apply_block  (TesseraEditApplier       *self,
                                                       const TesseraEditBlock   *block,
                                                       guint                     index,
                                                       guint                     n_blocks,
                                                       GError                  **error);
/* Applies every block, collecting one message per failed block in
 * @failures (may be NULL). Returns the number of blocks applied. */
guint               tessera_edit_applier_apply_all    (TesseraEditApplier       *self,
                                                       GPtrArray                *blocks,
                                                       GPtrArray                *failures);
const char         *tessera_edit_applier_get_text     (TesseraEditApplier       *self,
                                                       gsize                    *len);
GBytes             *tessera_edit_applier_dup_bytes    (TesseraEditApplier       *self);
/* TRUE when the last applied block needed the whitespace-tolerant match. */
gboolean            tessera_edit_applier_get_fuzzy    (TesseraEditApplier       *self);

G_END_DECLS
