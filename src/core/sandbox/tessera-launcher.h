/* tessera-launcher.h: how a command is confined (the spawn strategy)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  /* The host's bwrap (the default outside Flatpak). */
  TESSERA_LAUNCHER_BWRAP,
  /* Inside Flatpak: a sub-sandbox through the portal
   * ("flatpak-spawn --sandbox"). */
  TESSERA_LAUNCHER_FLATPAK_SPAWN,
  /* Inside Flatpak: the host's bwrap through "flatpak-spawn --host"; needs
   * the org.freedesktop.Flatpak talk permission and an explicit opt-in. */
  TESSERA_LAUNCHER_FLATPAK_HOST_BWRAP,
  /* No confinement at all: only after the user agreed, per project. */
  TESSERA_LAUNCHER_UNSANDBOXED,
} TesseraLauncherKind;

/* Where the project folder appears inside the sandbox. */
#define TESSERA_LAUNCHER_PROJECT_DIR "/project"
/* The private, throwaway home of sandboxed commands. */
#define TESSERA_LAUNCHER_HOME_DIR "/tmp/home"
/* Default limits, shared by the launcher and the local sandbox that
 * configures it (0 means no limit). */
#define TESSERA_LAUNCHER_DEFAULT_MEMORY_MB 4096
#define TESSERA_LAUNCHER_DEFAULT_CPU_SECONDS 3600

#define TESSERA_TYPE_LAUNCHER_KIND (tessera_launcher_kind_get_type ())
GType tessera_launcher_kind_get_type (void);

#define TESSERA_TYPE_LAUNCHER (tessera_launcher_get_type ())
G_DECLARE_FINAL_TYPE (TesseraLauncher, tessera_launcher, TESSERA, LAUNCHER, GObject)

TesseraLauncher     *tessera_launcher_new              (TesseraLauncherKind   kind);
/* Picks the strategy for this machine: Flatpak's when running inside
 * Flatpak, else the host's bwrap. Without either, fails with
 * TESSERA_SANDBOX_ERROR_UNAVAILABLE unless @allow_unsandboxed (the
 * user's per-project opt-in), which then gives an UNSANDBOXED launcher. */
TesseraLauncher     *tessera_launcher_new_for_host     (gboolean              allow_unsandboxed,
                                                        GError              **error);

TesseraLauncherKind  tessera_launcher_get_kind         (TesseraLauncher      *self);
gboolean             tessera_launcher_get_network      (TesseraLauncher      *self);
void                 tessera_launcher_set_network      (TesseraLauncher      *self,
                                                        gboolean              network);
/* Data-segment limit in MiB (RLIMIT_DATA), 0 for none. */
guint                tessera_launcher_get_memory_mb    (TesseraLauncher      *self);
void                 tessera_launcher_set_memory_mb    (TesseraLauncher      *self,
                                                        guint                 memory_mb);
/* CPU-time limit per process in seconds (RLIMIT_CPU), 0 for none. */
guint                tessera_launcher_get_cpu_seconds  (TesseraLauncher      *self);
void                 tessera_launcher_set_cpu_seconds  (TesseraLauncher      *self,
                                                        guint                 cpu_seconds);

/* Builds the host command line and environment that run @argv confined to
 * @root_path (a host folder, bound read-write), in @cwd (relative to the
 * root, NULL for the root), with the extra KEY=VALUE pairs of @env. The
 * caller spawns the result with tessera_launcher_child_setup() as child
 * setup function (and @self as its data). */
gboolean             tessera_launcher_build            (TesseraLauncher      *self,
                                                        const char           *root_path,
                                                        const char           *cwd,
                                                        const char * const   *argv,
                                                        const char * const   *env,
                                                        char               ***out_argv,
                                                        char               ***out_envp,
                                                        GError              **error);
/* Runs in the forked child before exec: own process group (so that a kill
 * reaches everything) and the rlimits. Async-signal-safe. */
void                 tessera_launcher_child_setup      (gpointer              user_data);

G_END_DECLS
