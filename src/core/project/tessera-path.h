/* tessera-path.h: confinement of relative paths and atomic file helpers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Private to the project layer (and its tests and fuzz target): everything
 * else goes through TesseraProject.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Our temporary files, so that the monitor can tell them from the user's. */
#define TESSERA_TEMP_PREFIX ".tessera-tmp-"

/* Checks @path lexically (no I/O): refuses NULL, empty, absolute, embedded
 * NUL, "..", overlong names and paths. "." and empty components are dropped.
 * On success *@normalized is the clean relative path ("a/b/c"). */
gboolean  tessera_path_normalize    (const char    *path,
                                     gssize         len,
                                     char         **normalized,
                                     GError       **error);
/* Walks normalized @rel from @root_real (a realpath) and follows every
 * existing symlink (the last one only with @follow_final), refusing any that
 * leads outside @root_real. *@real_path is the path to operate on. */
gboolean  tessera_path_confine      (const char    *root_real,
                                     const char    *rel,
                                     gboolean       follow_final,
                                     char         **real_path,
                                     GError       **error);
gboolean  tessera_path_is_inside    (const char    *root_real,
                                     const char    *path);
/* Opens (O_PATH) the folder that contains @path. With @root_real, @path
 * must be inside it and no folder below the root may be a symlink (they
 * are opened with O_NOFOLLOW one by one). *@base points into @path at the
 * last component. Returns -1 with @error set on failure. */
int       tessera_path_open_parent  (const char    *root_real,
                                     const char    *path,
                                     const char    *display,
                                     const char   **base,
                                     GError       **error);
/* Replaces @path with @data through a temporary file in the same folder and
 * rename(2); on any failure or cancellation the old file stays and the
 * temporary file is removed. @display names the file in error messages.
 * @root_real as for tessera_path_open_parent() (NULL: no confinement). */
gboolean  tessera_path_write_atomic (const char    *root_real,
                                     const char    *path,
                                     const char    *display,
                                     const guint8  *data,
                                     gsize          len,
                                     GCancellable  *cancellable,
                                     GError       **error);
/* Removes a file, a symlink (never its target) or a folder recursively,
 * never following a symlink. */
gboolean  tessera_path_remove_tree_in (const char  *root_real,
                                     const char    *path,
                                     const char    *display,
                                     GCancellable  *cancellable,
                                     GError       **error);
gboolean  tessera_path_remove_tree  (const char    *path,
                                     const char    *display,
                                     GCancellable  *cancellable,
                                     GError       **error);
/* A short, valid UTF-8 rendering of a path for messages. */
char     *tessera_path_display      (const char    *path,
                                     gssize         len);

G_END_DECLS
