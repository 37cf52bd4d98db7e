/* tessera-runner.h: runs a project as a person would (static, Node, Python)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "tessera-project.h"
#include "tessera-sandbox.h"

G_BEGIN_DECLS

typedef enum
{
  TESSERA_RUNNER_IDLE,
  TESSERA_RUNNER_INSTALLING,
  TESSERA_RUNNER_STARTING,
  TESSERA_RUNNER_READY,
  TESSERA_RUNNER_CRASHED,
  TESSERA_RUNNER_STOPPED,
} TesseraRunnerState;

typedef enum
{
  TESSERA_RUNNER_KIND_UNKNOWN,
  /* index.html and no package.json: the sandbox's static server. */
  TESSERA_RUNNER_KIND_STATIC,
  /* package.json: npm install, then the "dev" script, else "start". */
  TESSERA_RUNNER_KIND_NODE,
  /* requirements.txt, app.py or main.py: a venv in .tessera/venv. */
  TESSERA_RUNNER_KIND_PYTHON,
  /* The project setting "run-command" replaces the detected command. */
  TESSERA_RUNNER_KIND_CUSTOM,
} TesseraRunnerKind;

/* The project setting that overrides the detected command (a shell
 * command line, run with "sh -c" in the project folder). */
#define TESSERA_RUNNER_SETTING_RUN_COMMAND "run-command"
/* How much of the output the runner keeps for a Run panel opened late. */
#define TESSERA_RUNNER_LOG_LIMIT (200 * 1024)

#define TESSERA_TYPE_RUNNER_STATE (tessera_runner_state_get_type ())
GType tessera_runner_state_get_type (void);
#define TESSERA_TYPE_RUNNER_KIND (tessera_runner_kind_get_type ())
GType tessera_runner_kind_get_type (void);

#define TESSERA_TYPE_RUNNER (tessera_runner_get_type ())
G_DECLARE_FINAL_TYPE (TesseraRunner, tessera_runner, TESSERA, RUNNER, GObject)

TesseraRunner      *tessera_runner_new                (TesseraProject      *project,
                                                       TesseraSandbox      *sandbox);
TesseraProject     *tessera_runner_get_project        (TesseraRunner       *self);
TesseraSandbox     *tessera_runner_get_sandbox        (TesseraRunner       *self);

/* Starts the sandbox if needed, detects the kind, installs, starts the app
 * and finds its URL. Asynchronous: watch "state" and "url". Does nothing
 * while already running. */
void                tessera_runner_start              (TesseraRunner       *self);
/* Ends the app (and an install in progress). */
void                tessera_runner_stop               (TesseraRunner       *self);
/* Stops, waits for the old process to be gone (its port freed), starts. */
void                tessera_runner_restart            (TesseraRunner       *self);

TesseraRunnerState  tessera_runner_get_state          (TesseraRunner       *self);
/* A translated sentence: "Installing dependencies…", "Starting dev
 * server…", "Ready at http://127.0.0.1:5173", "Crashed: exit 1"... */
const char         *tessera_runner_get_status_message (TesseraRunner       *self);
/* Where the preview loads the app; NULL until READY. */
const char         *tessera_runner_get_url            (TesseraRunner       *self);
TesseraRunnerKind   tessera_runner_get_kind           (TesseraRunner       *self);
/* TRUE when the page served at "url" reloads itself on file changes (the
 * local static server): the preview then need not reload it. */
gboolean            tessera_runner_get_live_reload    (TesseraRunner       *self);
/* The last TESSERA_RUNNER_LOG_LIMIT bytes of output (commands are shown
 * as "$ command" lines), to fill a Run panel that opens late. */
const char         *tessera_runner_get_log            (TesseraRunner       *self);

/* Runs @command_line (with "sh -c") in the project's sandbox, for the Run
 * panel's "Run command" entry; its output also goes to ::output and the
 * log. Completes once started, with the process. */
void                tessera_runner_run_command_async  (TesseraRunner       *self,
                                                       const char          *command_line,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
TesseraProcess     *tessera_runner_run_command_finish (TesseraRunner       *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* Signals:
 *   ::output (TesseraRunner *self, TesseraProcessStream stream, const char *text)
 *     UTF-8 text of the installs, the app and run commands, as it comes.
 * Properties: "project", "sandbox", "state", "status-message", "url",
 * "kind", "live-reload".
 */

G_END_DECLS
