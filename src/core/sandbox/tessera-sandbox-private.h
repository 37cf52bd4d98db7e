/* tessera-sandbox-private.h: helpers shared by the local backend
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Checks that @path is a relative path that stays below its root on its
 * face: not absolute, no "..", no NUL, no backslash tricks, not too long.
 * Symlinks are checked separately, against the disk. */
gboolean tessera_sandbox_check_relative_path (const char  *path,
                                              GError     **error);

/* Resolves @path below @root, refusing anything that leaves it, also
 * through symlinks in the existing part of the path. */
GFile   *tessera_sandbox_resolve_path        (GFile       *root,
                                              const char  *path,
                                              GError     **error);

G_END_DECLS
