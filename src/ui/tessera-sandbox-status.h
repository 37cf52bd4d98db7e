/* tessera-sandbox-status.h: where the app runs, in the header bar
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "tessera-sandbox.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_SANDBOX_STATUS (tessera_sandbox_status_get_type ())
G_DECLARE_FINAL_TYPE (TesseraSandboxStatus, tessera_sandbox_status, TESSERA, SANDBOX_STATUS, AdwBin)

/* A menu button showing where a project's app runs (this computer or an
 * E2B cloud sandbox) and the sandbox's state; its popover is the sandbox
 * manager (time left, Extend, Keep alive, Pin, Close for E2B). Property
 * "sandbox" (TesseraSandbox, NULL: nothing running yet). */
GtkWidget      *tessera_sandbox_status_new         (void);
TesseraSandbox *tessera_sandbox_status_get_sandbox (TesseraSandboxStatus *self);
void            tessera_sandbox_status_set_sandbox (TesseraSandboxStatus *self,
                                                    TesseraSandbox       *sandbox);

G_END_DECLS
