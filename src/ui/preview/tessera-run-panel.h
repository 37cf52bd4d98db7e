/* tessera-run-panel.h: the runner's status and output, and a command entry
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "tessera-runner.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_RUN_PANEL (tessera_run_panel_get_type ())
G_DECLARE_FINAL_TYPE (TesseraRunPanel, tessera_run_panel, TESSERA, RUN_PANEL, GtkWidget)

TesseraRunPanel *tessera_run_panel_new         (void);
/* Shows @runner's status and output, and runs commands through it. */
void             tessera_run_panel_set_runner  (TesseraRunPanel *self,
                                                TesseraRunner   *runner);
TesseraRunner   *tessera_run_panel_get_runner  (TesseraRunPanel *self);
/* Appends raw process output (ANSI colours are rendered). */
void             tessera_run_panel_append      (TesseraRunPanel *self,
                                                const char      *data,
                                                gssize           length);
void             tessera_run_panel_set_status  (TesseraRunPanel *self,
                                                const char      *status_message,
                                                gboolean         busy);
/* The output text (without colours) as the panel shows it. */
char            *tessera_run_panel_get_text    (TesseraRunPanel *self);
void             tessera_run_panel_clear       (TesseraRunPanel *self);

/* Signals:
 *   ::fix-with-ai (TesseraRunPanel *self, const char *message,
 *                  const char *source, guint line)
 *     After a failed command: @message holds the command and its last
 *     output lines, @source the command line, @line 0.
 * Actions: run.stop, run.restart, run.clear, run.fix-with-ai.
 */

G_END_DECLS
