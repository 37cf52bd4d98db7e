/* tessera-launcher.c: how a command is confined (the spawn strategy)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-launcher"

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "tessera-launcher.h"
#include "tessera-sandbox.h"
#include "tessera-sandbox-private.h"

#define SANDBOX_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct _TesseraLauncher
{
  GObject              parent_instance;

  TesseraLauncherKind  kind;
  guint                memory_mb;
  guint                cpu_seconds;
  guint                network : 1;
};

enum {
  PROP_0,
  PROP_KIND,
  PROP_NETWORK,
  PROP_MEMORY_MB,
  PROP_CPU_SECONDS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (TesseraLauncher, tessera_launcher, G_TYPE_OBJECT)

/* What a command needs from the host's /etc to resolve names, verify TLS,
 * find its libraries and know who it is. Never the whole of /etc: it holds
 * secrets (shadow, ssh host keys, /etc/ssl/private, network passwords)
 * readable by their owner, who may be the user running Tessera. Each entry
 * costs bwrap a mount (about half a millisecond per command), so the list
 * stays short: ldconfig's and update-ca-certificates' inputs are not in it. */
static const char * const etc_files[] = {
  "/etc/alternatives",
  "/etc/group",
  "/etc/hosts",
  "/etc/ld.so.cache",
  "/etc/localtime",
  "/etc/npmrc",
  "/etc/nsswitch.conf",
  "/etc/passwd",
  "/etc/pki/tls/certs",
  "/etc/resolv.conf",
  "/etc/ssl/certs",
  "/etc/ssl/openssl.cnf",
};

/* Top-level system folders: merged-/usr systems have them as symlinks. */
static const char * const system_dirs[] = {
  "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
};

GType
tessera_launcher_kind_get_type (void)
{
  static gsize type_id;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { TESSERA_LAUNCHER_BWRAP, "TESSERA_LAUNCHER_BWRAP", "bwrap" },
        { TESSERA_LAUNCHER_FLATPAK_SPAWN, "TESSERA_LAUNCHER_FLATPAK_SPAWN", "flatpak-spawn" },
        { TESSERA_LAUNCHER_FLATPAK_HOST_BWRAP, "TESSERA_LAUNCHER_FLATPAK_HOST_BWRAP", "flatpak-host-bwrap" },
        { TESSERA_LAUNCHER_UNSANDBOXED, "TESSERA_LAUNCHER_UNSANDBOXED", "unsandboxed" },
        { 0, NULL, NULL },
      };
      GType type = g_enum_register_static ("TesseraLauncherKind", values);

      g_once_init_leave (&type_id, type);
    }

  return type_id;
}

static void
tessera_launcher_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TesseraLauncher *self = TESSERA_LAUNCHER (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;

    case PROP_NETWORK:
      g_value_set_boolean (value, self->network);
      break;

    case PROP_MEMORY_MB:
      g_value_set_uint (value, self->memory_mb);
      break;

    case PROP_CPU_SECONDS:
      g_value_set_uint (value, self->cpu_seconds);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_launcher_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  TesseraLauncher *self = TESSERA_LAUNCHER (object);

  switch (prop_id)
    {
    case PROP_KIND:
      self->kind = g_value_get_enum (value);
      break;

    case PROP_NETWORK:
      tessera_launcher_set_network (self, g_value_get_boolean (value));
      break;

    case PROP_MEMORY_MB:
      tessera_launcher_set_memory_mb (self, g_value_get_uint (value));
      break;

    case PROP_CPU_SECONDS:
      tessera_launcher_set_cpu_seconds (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_launcher_class_init (TesseraLauncherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = tessera_launcher_get_property;
  object_class->set_property = tessera_launcher_set_property;

  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL,
                       TESSERA_TYPE_LAUNCHER_KIND,
                       TESSERA_LAUNCHER_BWRAP,
                       (G_PARAM_READWRITE |
                        G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS));

  properties[PROP_NETWORK] =
    g_param_spec_boolean ("network", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  properties[PROP_MEMORY_MB] =
    g_param_spec_uint ("memory-mb", NULL, NULL,
                       0, G_MAXUINT, TESSERA_LAUNCHER_DEFAULT_MEMORY_MB,
                       (G_PARAM_READWRITE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  properties[PROP_CPU_SECONDS] =
    g_param_spec_uint ("cpu-seconds", NULL, NULL,
                       0, G_MAXUINT, TESSERA_LAUNCHER_DEFAULT_CPU_SECONDS,
                       (G_PARAM_READWRITE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_launcher_init (TesseraLauncher *self)
{
  self->network = TRUE;
  self->memory_mb = TESSERA_LAUNCHER_DEFAULT_MEMORY_MB;
  self->cpu_seconds = TESSERA_LAUNCHER_DEFAULT_CPU_SECONDS;
}

TesseraLauncher *
tessera_launcher_new (TesseraLauncherKind kind)
{
  return g_object_new (TESSERA_TYPE_LAUNCHER,
                       "kind", kind,
                       NULL);
}

TesseraLauncher *
tessera_launcher_new_for_host (gboolean   allow_unsandboxed,
                               GError   **error)
{
  g_autofree char *bwrap = NULL;

  if (g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS))
    return tessera_launcher_new (TESSERA_LAUNCHER_FLATPAK_SPAWN);

  bwrap = g_find_program_in_path ("bwrap");
  if (bwrap != NULL)
    return tessera_launcher_new (TESSERA_LAUNCHER_BWRAP);

  /* Never silently: the caller only passes TRUE after the user agreed. */
  if (allow_unsandboxed)
    return tessera_launcher_new (TESSERA_LAUNCHER_UNSANDBOXED);

  g_set_error_literal (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_UNAVAILABLE,
                       _("Bubblewrap (bwrap) is not installed, so Tessera cannot run this "
                         "project’s code in a sandbox. Install the bubblewrap package, or "
                         "allow running without a sandbox for this project."));
  return NULL;
}

TesseraLauncherKind
tessera_launcher_get_kind (TesseraLauncher *self)
{
  g_return_val_if_fail (TESSERA_IS_LAUNCHER (self), TESSERA_LAUNCHER_BWRAP);

  return self->kind;
}

gboolean
tessera_launcher_get_network (TesseraLauncher *self)
{
  g_return_val_if_fail (TESSERA_IS_LAUNCHER (self), FALSE);

  return self->network;
}

void
tessera_launcher_set_network (TesseraLauncher *self,
                              gboolean         network)
{
  g_return_if_fail (TESSERA_IS_LAUNCHER (self));

  network = !!network;
  if (self->network == network)
    return;

  self->network = network;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORK]);
}

guint
tessera_launcher_get_memory_mb (TesseraLauncher *self)
{
  g_return_val_if_fail (TESSERA_IS_LAUNCHER (self), 0);

  return self->memory_mb;
}

void
tessera_launcher_set_memory_mb (TesseraLauncher *self,
                                guint            memory_mb)
{
  g_return_if_fail (TESSERA_IS_LAUNCHER (self));

  if (self->memory_mb == memory_mb)
    return;

  self->memory_mb = memory_mb;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMORY_MB]);
}

guint
tessera_launcher_get_cpu_seconds (TesseraLauncher *self)
{
  g_return_val_if_fail (TESSERA_IS_LAUNCHER (self), 0);

  return self->cpu_seconds;
}

void
tessera_launcher_set_cpu_seconds (TesseraLauncher *self,
                                  guint            cpu_seconds)
{
  g_return_if_fail (TESSERA_IS_LAUNCHER (self));

  if (self->cpu_seconds == cpu_seconds)
    return;

  self->cpu_seconds = cpu_seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CPU_SECONDS]);
}

static gboolean
is_system_path (const char *path)
{
  return g_str_has_prefix (path, "/usr/") ||
         g_str_has_prefix (path, "/bin/") ||
         g_str_has_prefix (path, "/sbin/") ||
         g_str_has_prefix (path, "/lib");
}

/* Node.js often lives outside /usr (/opt/node, a tarball under /usr/local
 * is fine already). Find the installation prefix that the sandbox must see,
 * once: the answer does not change while Tessera runs. */
static const char *
get_node_prefix (void)
{
  static char *prefix;
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      g_autofree char *node = g_find_program_in_path ("node");
      g_autofree char *real = node != NULL ? realpath (node, NULL) : NULL;

      if (real != NULL && !is_system_path (real))
        {
          g_autofree char *bin_dir = g_path_get_dirname (real);

          prefix = g_path_get_dirname (bin_dir);
          if (g_str_equal (prefix, "/"))
            g_clear_pointer (&prefix, g_free);
        }

      g_once_init_leave (&initialized, 1);
    }

  return prefix;
}

static void
add (GPtrArray  *args,
     const char *first,
     ...)
{
  va_list ap;

  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, g_strdup (arg));
  va_end (ap);
}

static void
add_bwrap_args (TesseraLauncher *self,
                GPtrArray       *args,
                const char      *root_path,
                const char      *sandbox_cwd)
{
  const char *node_prefix = get_node_prefix ();
  g_autofree char *bwrap = NULL;

  /* By absolute path: the spawned environment's PATH is the sandbox's. */
  if (self->kind == TESSERA_LAUNCHER_BWRAP)
    bwrap = g_find_program_in_path ("bwrap");

  add (args,
       bwrap != NULL ? bwrap : "bwrap",
       "--die-with-parent",
       "--new-session",
       "--unshare-all",
       NULL);
  /* The pid namespace (part of --unshare-all) is what makes a kill final:
   * when its first process dies, the kernel ends every other one. */
  add (args, "--unshare-pid", NULL);
  if (self->network)
    add (args, "--share-net", NULL);
  add (args, "--cap-drop", "ALL", NULL);

  add (args, "--ro-bind", "/usr", "/usr", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (system_dirs); i++)
    {
      const char *dir = system_dirs[i];
      g_autofree char *target = NULL;

      if (g_file_test (dir, G_FILE_TEST_IS_SYMLINK))
        {
          target = g_file_read_link (dir, NULL);
          if (target != NULL)
            add (args, "--symlink", target, dir, NULL);
        }
      else if (g_file_test (dir, G_FILE_TEST_IS_DIR))
        {
          add (args, "--ro-bind", dir, dir, NULL);
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (etc_files); i++)
    add (args, "--ro-bind-try", etc_files[i], etc_files[i], NULL);

  if (node_prefix != NULL)
    add (args, "--ro-bind", node_prefix, node_prefix, NULL);

  add (args,
       "--proc", "/proc",
       "--dev", "/dev",
       "--tmpfs", "/tmp",
       "--dir", TESSERA_LAUNCHER_HOME_DIR,
       "--bind", root_path, TESSERA_LAUNCHER_PROJECT_DIR,
       NULL);
  /* The root bwrap builds is a tmpfs: without this, a command could
   * create files next to /usr or /etc (not on the host, but confusing). */
  add (args, "--remount-ro", "/", "--chdir", sandbox_cwd, NULL);
}

static char **
build_environment (TesseraLauncher    *self,
                   const char         *home,
                   const char * const *env)
{
  const char *node_prefix = get_node_prefix ();
  g_autofree char *path = NULL;
  const char *lang;
  char **envp = NULL;

  if (self->kind == TESSERA_LAUNCHER_UNSANDBOXED)
    path = g_strdup (g_getenv ("PATH") ? g_getenv ("PATH") : SANDBOX_PATH);
  else if (node_prefix != NULL)
    path = g_strconcat (node_prefix, "/bin:" SANDBOX_PATH, NULL);
  else
    path = g_strdup (SANDBOX_PATH);

  /* UTF-8 whatever the host says: tools print their messages in it. */
  lang = g_getenv ("LANG");
  if (lang == NULL || strstr (lang, "UTF-8") == NULL)
    lang = "C.UTF-8";

  envp = g_environ_setenv (envp, "PATH", path, TRUE);
  envp = g_environ_setenv (envp, "HOME", home, TRUE);
  envp = g_environ_setenv (envp, "LANG", lang, TRUE);
  /* Output goes to a log view, not a terminal emulator. */
  envp = g_environ_setenv (envp, "TERM", "dumb", TRUE);

  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      const char *eq = strchr (env[i], '=');
      g_autofree char *key = NULL;

      if (eq == NULL || eq == env[i])
        continue;

      key = g_strndup (env[i], eq - env[i]);
      envp = g_environ_setenv (envp, key, eq + 1, TRUE);
    }

  return envp;
}

gboolean
tessera_launcher_build (TesseraLauncher     *self,
                        const char          *root_path,
                        const char          *cwd,
                        const char * const  *argv,
                        const char * const  *env,
                        char              ***out_argv,
                        char              ***out_envp,
                        GError             **error)
{
  g_autoptr(GPtrArray) args = NULL;
  g_autofree char *sandbox_cwd = NULL;
  g_auto(GStrv) envp = NULL;

  g_return_val_if_fail (TESSERA_IS_LAUNCHER (self), FALSE);
  g_return_val_if_fail (root_path != NULL && g_path_is_absolute (root_path), FALSE);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, FALSE);
  g_return_val_if_fail (out_argv != NULL, FALSE);
  g_return_val_if_fail (out_envp != NULL, FALSE);

  if (cwd != NULL && cwd[0] != '\0' && !g_str_equal (cwd, ".") &&
      !tessera_sandbox_check_relative_path (cwd, error))
    return FALSE;
  if (cwd != NULL && g_str_equal (cwd, "."))
    cwd = NULL;

  args = g_ptr_array_new_with_free_func (g_free);

  switch (self->kind)
    {
    case TESSERA_LAUNCHER_BWRAP:
    case TESSERA_LAUNCHER_FLATPAK_HOST_BWRAP:
      sandbox_cwd = g_build_filename (TESSERA_LAUNCHER_PROJECT_DIR, cwd, NULL);
      envp = build_environment (self, TESSERA_LAUNCHER_HOME_DIR, env);

      if (self->kind == TESSERA_LAUNCHER_FLATPAK_HOST_BWRAP)
        {
          /* The host process does not inherit our environment: pass it
           * explicitly. --watch-bus ends it when Tessera goes away. */
          add (args, "/usr/bin/flatpak-spawn", "--host", "--watch-bus", "--clear-env", NULL);
          for (guint i = 0; envp[i] != NULL; i++)
            g_ptr_array_add (args, g_strconcat ("--env=", envp[i], NULL));
        }

      add_bwrap_args (self, args, root_path, sandbox_cwd);
      add (args, "--", NULL);
      break;

    case TESSERA_LAUNCHER_FLATPAK_SPAWN:
      /* The portal's sub-sandbox sees the same paths as we do; only the
       * project folder is exposed to it, read-write. */
      sandbox_cwd = g_build_filename (root_path, cwd, NULL);
      envp = build_environment (self, "/tmp", env);

      add (args, "/usr/bin/flatpak-spawn", "--sandbox", "--watch-bus", "--clear-env", NULL);
      g_ptr_array_add (args, g_strconcat ("--sandbox-expose-path=", root_path, NULL));
      g_ptr_array_add (args, g_strconcat ("--directory=", sandbox_cwd, NULL));
      if (!self->network)
        add (args, "--no-network", NULL);
      for (guint i = 0; envp[i] != NULL; i++)
        g_ptr_array_add (args, g_strconcat ("--env=", envp[i], NULL));
      /* Our rlimits stop at the portal: set them again on the other side. */
      add (args, "/bin/sh", "-c", "ulimit -d \"$1\" && ulimit -t \"$2\" && shift 2 && exec \"$@\"", "sh", NULL);
      g_ptr_array_add (args, self->memory_mb ? g_strdup_printf ("%u", self->memory_mb * 1024)
                                             : g_strdup ("unlimited"));
      g_ptr_array_add (args, self->cpu_seconds ? g_strdup_printf ("%u", self->cpu_seconds)
                                               : g_strdup ("unlimited"));
      break;

    case TESSERA_LAUNCHER_UNSANDBOXED:
      sandbox_cwd = g_build_filename (root_path, cwd, NULL);
      envp = build_environment (self, g_get_home_dir (), env);
      break;

    default:
      g_assert_not_reached ();
    }

  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, g_strdup (argv[i]));
  g_ptr_array_add (args, NULL);

  *out_argv = (char **)g_ptr_array_free (g_steal_pointer (&args), FALSE);
  *out_envp = g_steal_pointer (&envp);

  return TRUE;
}

void
tessera_launcher_child_setup (gpointer user_data)
{
  TesseraLauncher *self = user_data;
  struct rlimit limit;

  /* Own session and group: killing the group reaches the whole tree, and
   * a terminal signal for Tessera does not reach the app. */
  setsid ();

  if (self->memory_mb > 0)
    {
      limit.rlim_cur = limit.rlim_max = (rlim_t)self->memory_mb * 1024 * 1024;
      setrlimit (RLIMIT_DATA, &limit);
    }

  if (self->cpu_seconds > 0)
    {
      limit.rlim_cur = limit.rlim_max = self->cpu_seconds;
      setrlimit (RLIMIT_CPU, &limit);
    }
}
