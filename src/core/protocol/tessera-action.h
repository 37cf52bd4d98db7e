/* tessera-action.h: one thing the model asked for in its answer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  TESSERA_ACTION_WRITE,
  TESSERA_ACTION_EDIT,
  TESSERA_ACTION_DELETE,
  TESSERA_ACTION_RENAME,
  TESSERA_ACTION_RUN,
  TESSERA_ACTION_ADD_DEPENDENCY,
  TESSERA_ACTION_SUMMARY,
} TesseraActionKind;

typedef enum
{
  /* Still streaming, or parsed and not yet applied. */
  TESSERA_ACTION_PENDING,
  TESSERA_ACTION_APPLIED,
  /* Not applied on purpose: a path outside the project, too large... */
  TESSERA_ACTION_REFUSED,
  /* Tried and failed: an edit that did not match, a failed command... */
  TESSERA_ACTION_FAILED,
  /* Applied, then undone because the turn was cancelled or failed. */
  TESSERA_ACTION_REVERTED,
} TesseraActionStatus;

/* One SEARCH/REPLACE block of an edit action. */
typedef struct
{
  char  *search;
  gsize  search_len;
  char  *replace;
  gsize  replace_len;
} TesseraEditBlock;

void              tessera_edit_block_free (TesseraEditBlock *block);

#define TESSERA_TYPE_ACTION (tessera_action_get_type ())
G_DECLARE_FINAL_TYPE (TesseraAction, tessera_action, TESSERA, ACTION, GObject)

TesseraAction      *tessera_action_new            (TesseraActionKind   kind);
TesseraActionKind   tessera_action_get_kind       (TesseraAction      *self);
/* The protocol name of @kind, e.g. "write". */
const char         *tessera_action_kind_to_string (TesseraActionKind   kind);

/* The file the action is about (for a rename: its old path). NULL when the
 * model left it out; the session then refuses the action. */
const char         *tessera_action_get_path       (TesseraAction      *self);
void                tessera_action_set_path       (TesseraAction      *self,
                                                   const char         *path);
/* The new path of a rename. */
const char         *tessera_action_get_to         (TesseraAction      *self);
void                tessera_action_set_to         (TesseraAction      *self,
                                                   const char         *to);
/* add-dependency: the package names and the package manager the model
 * named ("npm", "pip"), or NULL to let the project decide. */
const char * const *tessera_action_get_packages   (TesseraAction      *self);
void                tessera_action_set_packages   (TesseraAction      *self,
                                                   const char         *packages);
const char         *tessera_action_get_manager    (TesseraAction      *self);
void                tessera_action_set_manager    (TesseraAction      *self,
                                                   const char         *manager);

/* The body as streamed so far: a write's file content, an edit's
 * SEARCH/REPLACE blocks, a run's command line, a summary's text. Always
 * NUL-terminated; @len may be NULL. */
const char         *tessera_action_get_content    (TesseraAction      *self,
                                                   gsize              *len);
void                tessera_action_append_content (TesseraAction      *self,
                                                   const char         *data,
                                                   gsize               len);
GBytes             *tessera_action_dup_content_bytes (TesseraAction   *self);
/* The command to run: the body, or the "command" attribute. */
const char         *tessera_action_get_command    (TesseraAction      *self);
void                tessera_action_set_command    (TesseraAction      *self,
                                                   const char         *command);

/* TRUE when the answer ended before the action's closing tag. */
gboolean            tessera_action_get_truncated  (TesseraAction      *self);
void                tessera_action_set_truncated  (TesseraAction      *self,
                                                   gboolean            truncated);

/* The blocks of an edit action, parsed from its content. Returns NULL with
 * an error when the blocks are malformed. */
GPtrArray          *tessera_action_parse_edit_blocks (TesseraAction   *self,
                                                      GError         **error);

/* What happened when the session applied the action ("status", "message"
 * and "output" are properties with notification, for the chat's cards). */
TesseraActionStatus tessera_action_get_status     (TesseraAction      *self);
/* A translated sentence explaining a refusal or failure, or NULL. */
const char         *tessera_action_get_message    (TesseraAction      *self);
void                tessera_action_set_status     (TesseraAction      *self,
                                                   TesseraActionStatus status,
                                                   const char         *message);
/* The output of a run or add-dependency action. */
const char         *tessera_action_get_output     (TesseraAction      *self);
void                tessera_action_append_output  (TesseraAction      *self,
                                                   const char         *data,
                                                   gsize               len);

/* What a write, edit or delete changed in its file, as
 * tessera_diff_unified() gives it (NULL when nothing is known: not applied
 * yet, an action of another kind, a binary file, or a diff a saved
 * conversation left out), with the lines added and removed (kept even
 * without the text). Property "diff", notified when set. */
const char         *tessera_action_get_diff       (TesseraAction      *self);
guint               tessera_action_get_n_added    (TesseraAction      *self);
guint               tessera_action_get_n_removed  (TesseraAction      *self);
void                tessera_action_set_diff       (TesseraAction      *self,
                                                   const char         *diff,
                                                   guint               n_added,
                                                   guint               n_removed);

/* A one-line description for logs and tests, e.g. "write src/app.js". */
char               *tessera_action_describe       (TesseraAction      *self);

G_END_DECLS
