/* tessera-writing-indicator.h: shows that an answer is being written
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_WRITING_INDICATOR (tessera_writing_indicator_get_type ())
G_DECLARE_FINAL_TYPE (TesseraWritingIndicator, tessera_writing_indicator, TESSERA, WRITING_INDICATOR, GtkWidget)

/* Steps while mapped; hide it when the writing ends. */
GtkWidget *tessera_writing_indicator_new (void);

G_END_DECLS
