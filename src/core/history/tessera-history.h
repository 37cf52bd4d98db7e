/* tessera-history.h: a project's versions in git, one per AI turn
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every version is a git commit on the ref refs/tessera/history, never on
 * a branch: a project that is already a git repository keeps its HEAD,
 * branches, index and working tree untouched; any other project gets a
 * private repository in .tessera/history/git, so the folder stays a plain
 * folder. Ignored files (.gitignore, .tessera/, node_modules/, the
 * manifest) are never saved. See docs/history.md.
 *
 * All operations run one after another, in the order they were started,
 * on a worker thread; call them from one thread (usually the main one).
 */

#pragma once

#include <gio/gio.h>

#include "tessera-history-entry.h"
#include "tessera-project.h"

G_BEGIN_DECLS

#define TESSERA_HISTORY_REF "refs/tessera/history"

#define TESSERA_HISTORY_ERROR (tessera_history_error_quark ())

typedef enum
{
  /* git could not read or write the history (message says what). */
  TESSERA_HISTORY_ERROR_FAILED,
  /* The id is not a version in this project's history. */
  TESSERA_HISTORY_ERROR_NOT_FOUND,
  /* No AI turn left to undo, or no version before it. */
  TESSERA_HISTORY_ERROR_NOTHING_TO_UNDO,
} TesseraHistoryError;

#define TESSERA_TYPE_HISTORY (tessera_history_get_type ())
G_DECLARE_FINAL_TYPE (TesseraHistory, tessera_history, TESSERA, HISTORY, GObject)

GQuark          tessera_history_error_quark         (void);

TesseraHistory *tessera_history_new                 (TesseraProject       *project);
TesseraProject *tessera_history_get_project         (TesseraHistory       *self);

/* Saves the project's files as a new version: @kind TURN right after an
 * AI turn, SNAPSHOT otherwise (RESTORE is the history's own and is saved
 * as SNAPSHOT). @message labels it (may be NULL; cut after 2,000
 * characters). Returns its commit id, or the current one when nothing
 * changed since (no empty versions; the very first version is always
 * made). */
void            tessera_history_commit_async        (TesseraHistory       *self,
                                                     TesseraHistoryKind    kind,
                                                     const char           *message,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
char           *tessera_history_commit_finish       (TesseraHistory       *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* The versions, newest first (TesseraHistoryEntry), at most @max_entries
 * (0: all). Empty before the first commit. */
void            tessera_history_list_async          (TesseraHistory       *self,
                                                     guint                 max_entries,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
GListModel     *tessera_history_list_finish         (TesseraHistory       *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* The unified diff (git's patch format) of version @id against the one
 * before it. @id may be abbreviated (at least 4 hex digits). */
void            tessera_history_diff_async          (TesseraHistory       *self,
                                                     const char           *id,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
char           *tessera_history_diff_finish         (TesseraHistory       *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* Puts the saved files back as they were in version @id, through
 * tessera_project_write()/delete() (so ::file-changed follows), after
 * saving any unsaved edits as a version of their own; files the history
 * never saved are left alone. Records the result as a new RESTORE
 * version, so a restore can be undone too, and returns its id (the
 * current one when nothing had to change). */
void            tessera_history_restore_async       (TesseraHistory       *self,
                                                     const char           *id,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
char           *tessera_history_restore_finish      (TesseraHistory       *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* Restores the version before the last AI turn that is still in effect
 * (a turn undone by an earlier undo or restore does not count, so
 * repeated undos walk back turn by turn). NOTHING_TO_UNDO when there is
 * none. Returns the id of the new RESTORE version. */
void            tessera_history_undo_last_turn_async  (TesseraHistory     *self,
                                                       GCancellable       *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer            user_data);
char           *tessera_history_undo_last_turn_finish (TesseraHistory     *self,
                                                       GAsyncResult       *result,
                                                       GError            **error);

/* Signals:
 *   ::changed (TesseraHistory *self, const char *id)
 *     A new version @id was saved (by any of the calls above); emitted on
 *     the calling thread's main context just before that call's callback.
 */

G_END_DECLS
