/* tessera-project.h: one project folder on disk, confined to its root
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TESSERA_PROJECT_ERROR (tessera_project_error_quark ())

typedef enum
{
  /* A path that is absolute, contains "..", a NUL byte, is too long, or
   * resolves (through a symlink) outside the project root. */
  TESSERA_PROJECT_ERROR_INVALID_PATH,
  /* The manifest is not valid JSON or lacks required members. */
  TESSERA_PROJECT_ERROR_CORRUPT_MANIFEST,
  /* The manifest was written by a newer Tessera (schema version too high). */
  TESSERA_PROJECT_ERROR_FUTURE_MANIFEST,
  TESSERA_PROJECT_ERROR_NOT_FOUND,
  TESSERA_PROJECT_ERROR_EXISTS,
  TESSERA_PROJECT_ERROR_TOO_LARGE,
} TesseraProjectError;

typedef enum
{
  TESSERA_FILE_CREATED,
  TESSERA_FILE_CHANGED,
  TESSERA_FILE_DELETED,
  TESSERA_FILE_RENAMED,
} TesseraFileChange;

#define TESSERA_TYPE_FILE_CHANGE (tessera_file_change_get_type ())
GType           tessera_file_change_get_type       (void) G_GNUC_CONST;

/* tessera_project_read() refuses files larger than this (TOO_LARGE). */
#define TESSERA_PROJECT_MAX_READ_SIZE (64 * 1024 * 1024)

/* The manifest schema version this build reads and writes. */
#define TESSERA_PROJECT_MANIFEST_VERSION 1
#define TESSERA_PROJECT_MANIFEST_SUFFIX ".tessera"
#define TESSERA_PROJECT_STATE_DIR ".tessera"

#define TESSERA_TYPE_PROJECT (tessera_project_get_type ())
G_DECLARE_FINAL_TYPE (TesseraProject, tessera_project, TESSERA, PROJECT, GObject)

GQuark          tessera_project_error_quark        (void);

/* Opening. @location is a project folder or a NAME.tessera manifest. A plain
 * folder without a manifest gets one. A corrupt or future manifest is an
 * error and the file is left untouched. */
void            tessera_project_open_async         (GFile                *location,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
TesseraProject *tessera_project_open_finish        (GAsyncResult         *result,
                                                    GError              **error);
/* Blocking variant, for worker threads and tests. */
TesseraProject *tessera_project_open               (GFile                *location,
                                                    GCancellable         *cancellable,
                                                    GError              **error);

/* Creates @parent/@name/ with NAME.tessera and a starter index.html. */
void            tessera_project_create_async       (GFile                *parent,
                                                    const char           *name,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
TesseraProject *tessera_project_create_finish      (GAsyncResult         *result,
                                                    GError              **error);
TesseraProject *tessera_project_create             (GFile                *parent,
                                                    const char           *name,
                                                    GCancellable         *cancellable,
                                                    GError              **error);

GFile          *tessera_project_get_root           (TesseraProject       *self);
GFile          *tessera_project_get_manifest_file  (TesseraProject       *self);
/* The hidden .tessera/ folder for state (history, drafts, venv...). Created
 * on demand. */
GFile          *tessera_project_get_state_dir      (TesseraProject       *self);
const char     *tessera_project_get_name           (TesseraProject       *self);
/* A stable random identifier stored in the manifest. */
const char     *tessera_project_get_id             (TesseraProject       *self);
GDateTime      *tessera_project_get_created        (TesseraProject       *self);
const char     *tessera_project_get_template       (TesseraProject       *self);

/* Per-project settings (string values) kept in the manifest's "settings"
 * object. Setting a value (NULL removes it) rewrites the manifest
 * atomically, blocking, on the main thread; a returned setting stays valid
 * until the next set_setting (the name, id and template never change). */
const char     *tessera_project_get_setting        (TesseraProject       *self,
                                                    const char           *key);
gboolean        tessera_project_set_setting        (TesseraProject       *self,
                                                    const char           *key,
                                                    const char           *value,
                                                    GError              **error);

/* Confinement. Every path that comes from the model, the user or the
 * sandbox is a relative path with '/' separators. Returns a file inside the
 * root, or NULL with TESSERA_PROJECT_ERROR_INVALID_PATH. */
GFile          *tessera_project_resolve            (TesseraProject       *self,
                                                    const char           *path,
                                                    GError              **error);
/* Same, for a path of @len bytes (-1: NUL-terminated) that may come from
 * untrusted data: an embedded NUL byte is refused instead of cutting the
 * path short. */
GFile          *tessera_project_resolve_len        (TesseraProject       *self,
                                                    const char           *path,
                                                    gssize                len,
                                                    GError              **error);
/* The relative path of @file, or NULL when it is not inside the root (or
 * is the root itself). */
char           *tessera_project_get_relative_path  (TesseraProject       *self,
                                                    GFile                *file);
/* TRUE for paths the tree and syncs skip: .git, .tessera, node_modules and
 * whatever the root .gitignore lists. */
gboolean        tessera_project_is_ignored         (TesseraProject       *self,
                                                    const char           *path,
                                                    gboolean              is_directory);

/* File operations. All are confined and emit ::file-changed. Writes are
 * atomic: the old content stays until the new one is complete.
 * The blocking variants may be called from any thread; their signal is
 * then emitted later on the project's main context (directly only on the
 * thread that opened the project). Writes create missing parent folders,
 * renames never replace an existing file (EXISTS), and deleting or
 * renaming a symlink acts on the link. */
void            tessera_project_write_async        (TesseraProject       *self,
                                                    const char           *path,
                                                    GBytes               *contents,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean        tessera_project_write_finish       (TesseraProject       *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
gboolean        tessera_project_write              (TesseraProject       *self,
                                                    const char           *path,
                                                    GBytes               *contents,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
void            tessera_project_read_async         (TesseraProject       *self,
                                                    const char           *path,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
GBytes         *tessera_project_read_finish        (TesseraProject       *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
GBytes         *tessera_project_read               (TesseraProject       *self,
                                                    const char           *path,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
/* Deletes a file or a folder (recursively). With @to_trash, moves it to the
 * trash instead (the UI's choice for user-initiated deletes). */
void            tessera_project_delete_async       (TesseraProject       *self,
                                                    const char           *path,
                                                    gboolean              to_trash,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean        tessera_project_delete_finish      (TesseraProject       *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
gboolean        tessera_project_delete             (TesseraProject       *self,
                                                    const char           *path,
                                                    gboolean              to_trash,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
void            tessera_project_rename_async       (TesseraProject       *self,
                                                    const char           *from,
                                                    const char           *to,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean        tessera_project_rename_finish      (TesseraProject       *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
gboolean        tessera_project_rename             (TesseraProject       *self,
                                                    const char           *from,
                                                    const char           *to,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
gboolean        tessera_project_make_directory     (TesseraProject       *self,
                                                    const char           *path,
                                                    GError              **error);

/* Signals:
 *   ::file-changed (TesseraProject *self, const char *path,
 *                   TesseraFileChange change, const char *old_path)
 *     Emitted on the main context for changes made through the project and
 *     (debounced) for changes made by anything else on disk. @old_path is
 *     set only for TESSERA_FILE_RENAMED.
 */

G_END_DECLS
