/* tessera-console-panel.h: the preview page's console errors and warnings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

typedef enum
{
  TESSERA_CONSOLE_LEVEL_WARNING,
  TESSERA_CONSOLE_LEVEL_ERROR,
} TesseraConsoleLevel;

#define TESSERA_TYPE_CONSOLE_PANEL (tessera_console_panel_get_type ())
G_DECLARE_FINAL_TYPE (TesseraConsolePanel, tessera_console_panel, TESSERA, CONSOLE_PANEL, GtkWidget)

TesseraConsolePanel *tessera_console_panel_new          (void);
/* Adds a message; a repeat of an entry already listed raises its count
 * instead. The panel keeps a bounded number of entries. */
void                 tessera_console_panel_add          (TesseraConsolePanel *self,
                                                         TesseraConsoleLevel  level,
                                                         const char          *message,
                                                         const char          *source,
                                                         guint                line);
void                 tessera_console_panel_clear        (TesseraConsolePanel *self);
/* Messages received since the last clear, repeats included. */
guint                tessera_console_panel_get_n_messages (TesseraConsolePanel *self);
guint                tessera_console_panel_get_n_errors   (TesseraConsolePanel *self);
/* Distinct entries listed. */
guint                tessera_console_panel_get_n_entries  (TesseraConsolePanel *self);

/* Signals:
 *   ::fix-with-ai (TesseraConsolePanel *self, const char *message,
 *                  const char *source, guint line)
 *     The user asked the AI to fix the error of an entry.
 * Properties: "n-messages", "n-errors" (read-only).
 */

G_END_DECLS
