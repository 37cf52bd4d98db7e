/* tessera-history-entry.h: one version in a project's history
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  /* A version saved on demand, or the user's own edits saved before a
   * turn or a restore. */
  TESSERA_HISTORY_KIND_SNAPSHOT,
  /* The files as an AI turn left them: what "undo last turn" goes back
   * before. */
  TESSERA_HISTORY_KIND_TURN,
  /* The files put back as they were in an older version. */
  TESSERA_HISTORY_KIND_RESTORE,
} TesseraHistoryKind;

#define TESSERA_TYPE_HISTORY_KIND (tessera_history_kind_get_type ())
GType               tessera_history_kind_get_type         (void) G_GNUC_CONST;

#define TESSERA_TYPE_HISTORY_ENTRY (tessera_history_entry_get_type ())
G_DECLARE_FINAL_TYPE (TesseraHistoryEntry, tessera_history_entry, TESSERA, HISTORY_ENTRY, GObject)

/* Entries are immutable; all getters are also read-only properties. */
TesseraHistoryEntry *tessera_history_entry_new            (const char          *id,
                                                           TesseraHistoryKind   kind,
                                                           const char          *message,
                                                           GDateTime           *time,
                                                           guint                files_changed);
/* The full commit id (40 hex digits). */
const char         *tessera_history_entry_get_id          (TesseraHistoryEntry *self);
TesseraHistoryKind  tessera_history_entry_get_kind        (TesseraHistoryEntry *self);
/* The message the version was saved with, without Tessera's own
 * trailer lines. */
const char         *tessera_history_entry_get_message     (TesseraHistoryEntry *self);
GDateTime          *tessera_history_entry_get_time        (TesseraHistoryEntry *self);
/* Files added, changed or deleted compared with the version before. */
guint               tessera_history_entry_get_files_changed (TesseraHistoryEntry *self);

G_END_DECLS
