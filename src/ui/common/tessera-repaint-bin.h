/* tessera-repaint-bin.h: a container whose child is repainted whole
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_REPAINT_BIN (tessera_repaint_bin_get_type ())

G_DECLARE_FINAL_TYPE (TesseraRepaintBin, tessera_repaint_bin, TESSERA, REPAINT_BIN, GtkWidget)

GtkWidget *tessera_repaint_bin_new       (void);
GtkWidget *tessera_repaint_bin_get_child (TesseraRepaintBin *self);
void       tessera_repaint_bin_set_child (TesseraRepaintBin *self,
                                          GtkWidget         *child);

G_END_DECLS
