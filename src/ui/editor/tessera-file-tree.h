/* tessera-file-tree.h: the project's files as a lazily listed tree
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "tessera-project.h"

G_BEGIN_DECLS

/* The GFileInfo attribute holding each row's path relative to the root. */
#define TESSERA_FILE_TREE_ATTRIBUTE_PATH "tessera::path"

#define TESSERA_TYPE_FILE_TREE (tessera_file_tree_get_type ())
G_DECLARE_FINAL_TYPE (TesseraFileTree, tessera_file_tree, TESSERA, FILE_TREE, GtkWidget)

TesseraFileTree *tessera_file_tree_new           (TesseraProject  *project);
TesseraProject  *tessera_file_tree_get_project   (TesseraFileTree *self);
/* The rows as shown: GtkTreeListRow items whose items are GFileInfo, with
 * the relative path in TESSERA_FILE_TREE_ATTRIBUTE_PATH. */
GListModel      *tessera_file_tree_get_model     (TesseraFileTree *self);
GtkListView     *tessera_file_tree_get_list_view (TesseraFileTree *self);
/* TRUE while a folder is being listed. */
gboolean         tessera_file_tree_get_loading   (TesseraFileTree *self);
/* Asks for the name of a new file in folder @dir ("" for the root). */
void             tessera_file_tree_new_file      (TesseraFileTree *self,
                                                  const char      *dir);

/* Signals:
 *   ::file-activated (TesseraFileTree *self, const char *path)
 *     A file row was activated; @path is relative to the project root.
 */

G_END_DECLS
