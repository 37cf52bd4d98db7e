/* tessera-runner.c: runs a project as a person would (static, Node, Python)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-runner"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "tessera-local-sandbox.h"
#include "tessera-runner.h"

#define PROBE_FIRST_DELAY_MS 50
#define PROBE_MAX_DELAY_MS 1000
#define PROBE_TIMEOUT_SECONDS 5
/* npm would ask the registry whether it is the newest version. */
#define NPM_QUIET_ENV "NPM_CONFIG_UPDATE_NOTIFIER=false"
/* A longer line without a newline is scanned for ports anyway. */
#define MAX_LINE_LENGTH 4096

/* The checks and installs run inside the sandbox, where node_modules and
 * the venv live (for a cloud sandbox they never exist on this machine).
 * Each check exits 0 when nothing needs installing and 127 when the tool
 * is missing (126: Python without its venv module). */
static const char node_check_script[] =
  "command -v npm >/dev/null 2>&1 || exit 127\n"
  "sum=$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)\n"
  "[ -d node_modules ] && [ \"$(cat .tessera/npm-install.stamp 2>/dev/null)\" = \"$sum\" ]\n";
/* The stamp is taken after the install, which may rewrite the lock file. */
static const char node_install_script[] =
  "npm install --no-audit --no-fund && mkdir -p node_modules .tessera && "
  "{ cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1 > .tessera/npm-install.stamp; }\n";
static const char python_check_script[] =
  "command -v python3 >/dev/null 2>&1 || exit 127\n"
  "[ -f requirements.txt ] || exit 0\n"
  "[ -x .tessera/venv/bin/python ] || python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || exit 126\n"
  "[ -x .tessera/venv/bin/python ] && "
  "[ \"$(cat .tessera/pip-install.stamp 2>/dev/null)\" = \"$(sha256sum requirements.txt | cut -d' ' -f1)\" ]\n";
static const char python_install_script[] =
  "{ [ -x .tessera/venv/bin/python ] || python3 -m venv .tessera/venv; } && "
  ".tessera/venv/bin/python -m pip install --disable-pip-version-check -r requirements.txt && "
  "{ sha256sum requirements.txt | cut -d' ' -f1 > .tessera/pip-install.stamp; }\n";
/* The venv's interpreter when there is one (made for requirements.txt). */
static const char python_run_script[] =
  "if [ -x .tessera/venv/bin/python ]; then exec .tessera/venv/bin/python \"$@\"; "
  "else exec python3 \"$@\"; fi";

struct _TesseraRunner
{
  GObject             parent_instance;

  TesseraProject     *project;
  TesseraSandbox     *sandbox;
  SoupSession        *session;

  /* Per run: cancelled and replaced by stop, so that late callbacks of an
   * old run find a different generation and do nothing. */
  GCancellable       *cancellable;
  guint               generation;

  TesseraProcess     *process;
  TesseraProcess     *install_process;

  TesseraRunnerState  state;
  TesseraRunnerKind   kind;
  char               *status_message;
  char               *url;
  GString            *log;

  /* Port detection: candidates from PORT and from the output. */
  GArray             *ports;
  guint               port;
  guint               probes_pending;
  guint               probe_delay_ms;
  guint               probe_source;
  guint               rescan : 1;
  guint               live_reload : 1;
};

enum {
  PROP_0,
  PROP_PROJECT,
  PROP_SANDBOX,
  PROP_STATE,
  PROP_STATUS_MESSAGE,
  PROP_URL,
  PROP_KIND,
  PROP_LIVE_RELOAD,
  N_PROPS
};

enum {
  OUTPUT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];
static GRegex *ansi_regex;
static GRegex *port_regexes[3];

G_DEFINE_FINAL_TYPE (TesseraRunner, tessera_runner, G_TYPE_OBJECT)

GType
tessera_runner_state_get_type (void)
{
  static gsize type_id;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { TESSERA_RUNNER_IDLE, "TESSERA_RUNNER_IDLE", "idle" },
        { TESSERA_RUNNER_INSTALLING, "TESSERA_RUNNER_INSTALLING", "installing" },
        { TESSERA_RUNNER_STARTING, "TESSERA_RUNNER_STARTING", "starting" },
        { TESSERA_RUNNER_READY, "TESSERA_RUNNER_READY", "ready" },
        { TESSERA_RUNNER_CRASHED, "TESSERA_RUNNER_CRASHED", "crashed" },
        { TESSERA_RUNNER_STOPPED, "TESSERA_RUNNER_STOPPED", "stopped" },
        { 0, NULL, NULL },
      };
      GType type = g_enum_register_static ("TesseraRunnerState", values);

      g_once_init_leave (&type_id, type);
    }

  return type_id;
}

GType
tessera_runner_kind_get_type (void)
{
  static gsize type_id;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { TESSERA_RUNNER_KIND_UNKNOWN, "TESSERA_RUNNER_KIND_UNKNOWN", "unknown" },
        { TESSERA_RUNNER_KIND_STATIC, "TESSERA_RUNNER_KIND_STATIC", "static" },
        { TESSERA_RUNNER_KIND_NODE, "TESSERA_RUNNER_KIND_NODE", "node" },
        { TESSERA_RUNNER_KIND_PYTHON, "TESSERA_RUNNER_KIND_PYTHON", "python" },
        { TESSERA_RUNNER_KIND_CUSTOM, "TESSERA_RUNNER_KIND_CUSTOM", "custom" },
        { 0, NULL, NULL },
      };
      GType type = g_enum_register_static ("TesseraRunnerKind", values);

      g_once_init_leave (&type_id, type);
    }

  return type_id;
}

/* State */

static void
set_state (TesseraRunner      *self,
           TesseraRunnerState  state,
           const char         *status_message)
{
  gboolean state_changed = self->state != state;
  gboolean message_changed = g_strcmp0 (self->status_message, status_message) != 0;

  self->state = state;
  if (message_changed)
    {
      g_free (self->status_message);
      self->status_message = g_strdup (status_message);
    }

  if (message_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS_MESSAGE]);
  if (state_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_url (TesseraRunner *self,
         const char    *url)
{
  if (g_strcmp0 (self->url, url) == 0)
    return;

  g_free (self->url);
  self->url = g_strdup (url);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
}

static void
set_kind (TesseraRunner     *self,
          TesseraRunnerKind  kind)
{
  if (self->kind == kind)
    return;

  self->kind = kind;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KIND]);
}

static void
set_live_reload (TesseraRunner *self,
                 gboolean       live_reload)
{
  live_reload = !!live_reload;
  if (self->live_reload == live_reload)
    return;

  self->live_reload = live_reload;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIVE_RELOAD]);
}

static void
set_ready (TesseraRunner *self,
           const char    *url)
{
  g_autofree char *shown = g_strdup (url);
  g_autofree char *message = NULL;

  if (g_str_has_suffix (shown, "/"))
    shown[strlen (shown) - 1] = '\0';
  message = g_strdup_printf (_("Ready at %s"), shown);

  g_clear_handle_id (&self->probe_source, g_source_remove);
  set_url (self, url);
  set_state (self, TESSERA_RUNNER_READY, message);
}

static void
fail (TesseraRunner *self,
      const char    *message)
{
  g_clear_handle_id (&self->probe_source, g_source_remove);
  set_url (self, NULL);
  set_state (self, TESSERA_RUNNER_CRASHED, message);
}

/* A callback's ticket: valid while the run that issued it is current. */
typedef struct
{
  TesseraRunner *self;
  guint          generation;
  guint          port;
} Ticket;

static Ticket *
ticket_new (TesseraRunner *self)
{
  Ticket *ticket = g_new0 (Ticket, 1);

  ticket->self = g_object_ref (self);
  ticket->generation = self->generation;

  return ticket;
}

static gboolean
ticket_valid (Ticket *ticket)
{
  return ticket->generation == ticket->self->generation;
}

static void
ticket_free (Ticket *ticket)
{
  g_object_unref (ticket->self);
  g_free (ticket);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Ticket, ticket_free)

/* Output */

static void
append_log (TesseraRunner *self,
            const char    *text)
{
  g_string_append (self->log, text);

  if (self->log->len > TESSERA_RUNNER_LOG_LIMIT)
    {
      gsize cut = self->log->len - TESSERA_RUNNER_LOG_LIMIT;
      const char *newline = memchr (self->log->str + cut, '\n', self->log->len - cut);

      /* Whole lines only, which also keeps UTF-8 sequences whole. */
      if (newline != NULL)
        cut = newline - self->log->str + 1;
      else
        cut = self->log->len;
      g_string_erase (self->log, 0, cut);
    }
}

static void
emit_text (TesseraRunner        *self,
           TesseraProcessStream  stream,
           const char           *text)
{
  if (text[0] == '\0')
    return;

  append_log (self, text);
  g_signal_emit (self, signals[OUTPUT], 0, stream, text);
}

static void
emit_command (TesseraRunner *self,
              const char    *command)
{
  g_autofree char *line = g_strdup_printf ("$ %s\n", command);

  emit_text (self, TESSERA_PROCESS_STDOUT, line);
}

/* Chunks can end inside a UTF-8 sequence: keep its start for the next. */
static char *
decode_output (GString *carry,
               GBytes  *data)
{
  gsize size = 0;
  const char *bytes = g_bytes_get_data (data, &size);
  const char *end = NULL;
  char *text;

  g_string_append_len (carry, bytes, size);

  if (g_utf8_validate_len (carry->str, carry->len, &end))
    {
      text = g_strndup (carry->str, carry->len);
      g_string_truncate (carry, 0);
      return text;
    }

  if (carry->len - (end - carry->str) < 4 &&
      g_utf8_get_char_validated (end, carry->len - (end - carry->str)) == (gunichar)-2)
    {
      gsize valid = end - carry->str;

      text = g_strndup (carry->str, valid);
      g_string_erase (carry, 0, valid);
      return text;
    }

  text = g_utf8_make_valid (carry->str, carry->len);
  g_string_truncate (carry, 0);
  return text;
}

static void add_port (TesseraRunner *self,
                      guint          port);

static void
scan_line (TesseraRunner *self,
           const char    *line)
{
  g_autofree char *plain = g_regex_replace_literal (ansi_regex, line, -1, 0, "", 0, NULL);

  if (plain == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (port_regexes); i++)
    {
      g_autoptr(GMatchInfo) match = NULL;

      g_regex_match (port_regexes[i], plain, 0, &match);
      while (g_match_info_matches (match))
        {
          g_autofree char *digits = g_match_info_fetch (match, 1);
          guint64 port = g_ascii_strtoull (digits, NULL, 10);

          if (port > 0 && port < 65536)
            add_port (self, (guint)port);

          g_match_info_next (match, NULL);
        }
    }
}

typedef struct
{
  GString  *carry[2];
  GString  *line[2];
  gboolean  is_main;
} Watch;

static void
watch_free (Watch *watch)
{
  for (guint i = 0; i < 2; i++)
    {
      g_string_free (watch->carry[i], TRUE);
      g_string_free (watch->line[i], TRUE);
    }
  g_free (watch);
}

static void
process_output_cb (TesseraProcess       *process,
                   TesseraProcessStream  stream,
                   GBytes               *data,
                   TesseraRunner        *self)
{
  Watch *watch = g_object_get_data (G_OBJECT (process), "tessera-runner-watch");
  guint index = stream == TESSERA_PROCESS_STDERR ? 1 : 0;
  g_autofree char *text = NULL;

  if (watch == NULL)
    return;

  text = decode_output (watch->carry[index], data);
  emit_text (self, stream, text);

  if (!watch->is_main || process != self->process)
    return;

  /* Ports are looked for in whole lines. */
  g_string_append (watch->line[index], text);
  for (;;)
    {
      const char *newline = strchr (watch->line[index]->str, '\n');
      g_autofree char *line = NULL;

      if (newline == NULL)
        {
          if (watch->line[index]->len > MAX_LINE_LENGTH)
            {
              scan_line (self, watch->line[index]->str);
              g_string_truncate (watch->line[index], 0);
            }
          break;
        }

      line = g_strndup (watch->line[index]->str, newline - watch->line[index]->str);
      g_string_erase (watch->line[index], 0, newline - watch->line[index]->str + 1);
      scan_line (self, line);
    }
}

static void
watch_process (TesseraRunner  *self,
               TesseraProcess *process,
               gboolean        is_main)
{
  Watch *watch = g_new0 (Watch, 1);

  for (guint i = 0; i < 2; i++)
    {
      watch->carry[i] = g_string_new (NULL);
      watch->line[i] = g_string_new (NULL);
    }
  watch->is_main = is_main;

  g_object_set_data_full (G_OBJECT (process), "tessera-runner-watch", watch, (GDestroyNotify)watch_free);
  g_signal_connect_object (process, "output", G_CALLBACK (process_output_cb), self, 0);
}

/* Probing: the app is ready when its port answers HTTP. */

static void probe_round (TesseraRunner *self);

static gboolean
probe_timeout_cb (gpointer user_data)
{
  TesseraRunner *self = user_data;

  self->probe_source = 0;
  probe_round (self);

  return G_SOURCE_REMOVE;
}

static void
probe_done (TesseraRunner *self)
{
  if (--self->probes_pending > 0 || self->state != TESSERA_RUNNER_STARTING)
    return;

  if (self->rescan)
    {
      self->rescan = FALSE;
      self->probe_delay_ms = PROBE_FIRST_DELAY_MS;
    }

  /* Back off while the server takes its time; new output with a port
   * shortens the wait again. */
  g_clear_handle_id (&self->probe_source, g_source_remove);
  self->probe_source = g_timeout_add (self->probe_delay_ms, probe_timeout_cb, self);
  self->probe_delay_ms = MIN (self->probe_delay_ms * 3 / 2, PROBE_MAX_DELAY_MS);
}

static void
probe_send_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Ticket) ticket = user_data;
  TesseraRunner *self = ticket->self;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  char *url = g_object_get_data (G_OBJECT (msg), "tessera-url");
  guint status;

  stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (!ticket_valid (ticket))
    return;

  status = stream != NULL ? soup_message_get_status (msg) : 0;

  /* Any answer means a server listens, except a cloud proxy's own "no
   * one behind me yet". */
  if (stream != NULL && status != SOUP_STATUS_BAD_GATEWAY &&
      status != SOUP_STATUS_SERVICE_UNAVAILABLE && status != SOUP_STATUS_GATEWAY_TIMEOUT &&
      self->state == TESSERA_RUNNER_STARTING)
    {
      self->probes_pending--;
      set_ready (self, url);
      return;
    }

  probe_done (self);
}

/* Asks @probe_url; the app is then ready at @ready_url. */
static void
send_probe (TesseraRunner *self,
            Ticket        *ticket,
            const char    *probe_url,
            const char    *ready_url)
{
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_HEAD, probe_url);

  if (msg == NULL)
    {
      ticket_free (ticket);
      probe_done (self);
      return;
    }

  g_object_set_data_full (G_OBJECT (msg), "tessera-url", g_strdup (ready_url), g_free);
  soup_session_send_async (self->session, msg, G_PRIORITY_DEFAULT, self->cancellable,
                           probe_send_cb, ticket);
}

static void
probe_expose_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Ticket) ticket = user_data;
  TesseraRunner *self = ticket->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  url = tessera_sandbox_expose_port_finish (TESSERA_SANDBOX (object), result, &error);
  if (!ticket_valid (ticket))
    return;

  if (url == NULL)
    {
      if (g_error_matches (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_NETWORK))
        {
          /* The app runs but cannot be reached: say why, stop probing. */
          self->probes_pending--;
          g_clear_handle_id (&self->probe_source, g_source_remove);
          set_state (self, TESSERA_RUNNER_STARTING, error->message);
          return;
        }
      probe_done (self);
      return;
    }

  /* Vite and others listen on "localhost", which Node may bind to ::1
   * only: ask there too, and show "localhost" if only that answers. */
  if (g_str_has_prefix (url, "http://127.0.0.1:"))
    {
      g_autofree char *ipv6 = g_strconcat ("http://[::1]:", url + strlen ("http://127.0.0.1:"), NULL);
      g_autofree char *named = g_strconcat ("http://localhost:", url + strlen ("http://127.0.0.1:"), NULL);

      self->probes_pending++;
      send_probe (self, ticket_new (self), ipv6, named);
    }

  send_probe (self, g_steal_pointer (&ticket), url, url);
}

static void
probe_round (TesseraRunner *self)
{
  if (self->state != TESSERA_RUNNER_STARTING)
    return;

  if (self->probes_pending > 0)
    {
      self->rescan = TRUE;
      return;
    }

  g_clear_handle_id (&self->probe_source, g_source_remove);

  for (guint i = 0; i < self->ports->len; i++)
    {
      Ticket *ticket = ticket_new (self);

      ticket->port = g_array_index (self->ports, guint, i);
      self->probes_pending++;
      tessera_sandbox_expose_port_async (self->sandbox, ticket->port, self->cancellable,
                                         probe_expose_cb, ticket);
    }
}

static void
add_port (TesseraRunner *self,
          guint          port)
{
  for (guint i = 0; i < self->ports->len; i++)
    {
      if (g_array_index (self->ports, guint, i) == port)
        return;
    }

  g_array_append_val (self->ports, port);

  /* Right away: the line that names the port usually means it listens. */
  self->probe_delay_ms = PROBE_FIRST_DELAY_MS;
  probe_round (self);
}

static guint
pick_free_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, 0);

  if (socket == NULL || !g_socket_bind (socket, address, FALSE, NULL) ||
      !(bound = g_socket_get_local_address (socket, NULL)))
    return 3000;

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* Running the app */

typedef struct
{
  TesseraRunnerKind  kind;
  /* NODE: "dev" or "start"; PYTHON: app.py or main.py. */
  char              *target;
  char              *run_command;
  char              *error_message;
} Detection;

static void
detection_free (Detection *detection)
{
  g_free (detection->target);
  g_free (detection->run_command);
  g_free (detection->error_message);
  g_free (detection);
}

static void
main_exited_cb (TesseraProcess *process,
                int             exit_status,
                TesseraRunner  *self)
{
  g_autofree char *message = NULL;
  const char *reason;

  if (process != self->process)
    return;

  g_clear_object (&self->process);
  g_clear_handle_id (&self->probe_source, g_source_remove);
  set_url (self, NULL);

  reason = tessera_process_get_error_message (process);
  if (exit_status == 0 && reason == NULL)
    {
      set_state (self, TESSERA_RUNNER_STOPPED, _("The app exited"));
      return;
    }

  /* Ended from outside (the sandbox stopped, a kill): not a crash. */
  if (reason != NULL)
    {
      set_state (self, TESSERA_RUNNER_STOPPED, reason);
      return;
    }

  message = g_strdup_printf (_("Crashed: exit %d"), exit_status);
  fail (self, message);
}

static void
run_spawn_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Ticket) ticket = user_data;
  TesseraRunner *self = ticket->self;
  g_autoptr(TesseraProcess) process = NULL;
  g_autoptr(GError) error = NULL;

  process = tessera_sandbox_spawn_finish (TESSERA_SANDBOX (object), result, &error);
  if (!ticket_valid (ticket))
    {
      if (process != NULL)
        tessera_process_kill (process);
      return;
    }

  if (process == NULL)
    {
      fail (self, error->message);
      return;
    }

  g_set_object (&self->process, process);
  watch_process (self, process, TRUE);
  g_signal_connect_object (process, "exited", G_CALLBACK (main_exited_cb), self, 0);

  self->probe_delay_ms = PROBE_FIRST_DELAY_MS;
  probe_round (self);
}

static void
run_app (TesseraRunner *self,
         Detection     *detection)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *shown = NULL;

  switch (detection->kind)
    {
    case TESSERA_RUNNER_KIND_NODE:
      g_ptr_array_add (argv, g_strdup ("npm"));
      if (g_str_equal (detection->target, "dev"))
        {
          g_ptr_array_add (argv, g_strdup ("run"));
          g_ptr_array_add (argv, g_strdup ("dev"));
        }
      else
        {
          g_ptr_array_add (argv, g_strdup ("start"));
        }
      break;

    case TESSERA_RUNNER_KIND_PYTHON:
      g_ptr_array_add (argv, g_strdup ("sh"));
      g_ptr_array_add (argv, g_strdup ("-c"));
      g_ptr_array_add (argv, g_strdup (python_run_script));
      g_ptr_array_add (argv, g_strdup ("python"));
      g_ptr_array_add (argv, g_strdup (detection->target));
      shown = g_strdup_printf ("python %s", detection->target);
      break;

    case TESSERA_RUNNER_KIND_CUSTOM:
      g_ptr_array_add (argv, g_strdup ("sh"));
      g_ptr_array_add (argv, g_strdup ("-c"));
      g_ptr_array_add (argv, g_strdup (detection->run_command));
      shown = g_strdup (detection->run_command);
      break;

    case TESSERA_RUNNER_KIND_UNKNOWN:
    case TESSERA_RUNNER_KIND_STATIC:
    default:
      g_assert_not_reached ();
    }
  g_ptr_array_add (argv, NULL);

  self->port = pick_free_port ();
  g_array_set_size (self->ports, 0);
  g_array_append_val (self->ports, self->port);

  g_ptr_array_add (env, g_strdup_printf ("PORT=%u", self->port));
  g_ptr_array_add (env, g_strdup ("HOST=127.0.0.1"));
  g_ptr_array_add (env, g_strdup ("BROWSER=none"));
  /* Python buffers a pipe: its "Serving on…" line would never arrive. */
  g_ptr_array_add (env, g_strdup ("PYTHONUNBUFFERED=1"));
  g_ptr_array_add (env, g_strdup (NPM_QUIET_ENV));
  g_ptr_array_add (env, NULL);

  if (shown == NULL)
    shown = g_strjoinv (" ", (char **)argv->pdata);
  emit_command (self, shown);

  set_state (self, TESSERA_RUNNER_STARTING, _("Starting dev server…"));
  tessera_sandbox_spawn_async (self->sandbox,
                               (const char * const *)argv->pdata, NULL,
                               (const char * const *)env->pdata, 0,
                               self->cancellable, run_spawn_cb, ticket_new (self));
}

/* A helper process (check, install) run to its end. */

typedef void (*StepFunc) (TesseraRunner *self,
                          Detection     *detection,
                          int            exit_status);

typedef struct
{
  Ticket    *ticket;
  Detection *detection;
  StepFunc   func;
  gboolean   show_output;
} Step;

static void
step_free (Step *step)
{
  ticket_free (step->ticket);
  detection_free (step->detection);
  g_free (step);
}

static void
step_wait_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Step *step = user_data;
  TesseraRunner *self = step->ticket->self;
  int exit_status = -1;

  tessera_process_wait_finish (TESSERA_PROCESS (object), result, &exit_status, NULL);

  if (ticket_valid (step->ticket))
    {
      if (TESSERA_PROCESS (object) == self->install_process)
        g_clear_object (&self->install_process);
      step->func (self, step->detection, exit_status);
    }

  step_free (step);
}

static void
step_spawn_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Step *step = user_data;
  TesseraRunner *self = step->ticket->self;
  g_autoptr(TesseraProcess) process = NULL;
  g_autoptr(GError) error = NULL;

  process = tessera_sandbox_spawn_finish (TESSERA_SANDBOX (object), result, &error);
  if (!ticket_valid (step->ticket))
    {
      if (process != NULL)
        tessera_process_kill (process);
      step_free (step);
      return;
    }

  if (process == NULL)
    {
      fail (self, error->message);
      step_free (step);
      return;
    }

  g_set_object (&self->install_process, process);
  if (step->show_output)
    watch_process (self, process, FALSE);

  /* Not cancellable: the process is killed on stop and the wait then
   * completes by itself. */
  tessera_process_wait_async (process, NULL, step_wait_cb, step);
}

static void
run_step (TesseraRunner *self,
          Detection     *detection,
          const char    *script,
          gboolean       show_output,
          StepFunc       func)
{
  const char * const argv[] = { "sh", "-c", script, NULL };
  const char * const env[] = { NPM_QUIET_ENV, NULL };
  Step *step = g_new0 (Step, 1);

  step->ticket = ticket_new (self);
  step->detection = detection;
  step->func = func;
  step->show_output = show_output;

  tessera_sandbox_spawn_async (self->sandbox, argv, NULL, env, 0,
                               self->cancellable, step_spawn_cb, step);
}

static Detection *
detection_copy (Detection *detection)
{
  Detection *copy = g_new0 (Detection, 1);

  copy->kind = detection->kind;
  copy->target = g_strdup (detection->target);
  copy->run_command = g_strdup (detection->run_command);

  return copy;
}

static void
install_done (TesseraRunner *self,
              Detection     *detection,
              int            exit_status)
{
  g_autofree char *message = NULL;

  if (exit_status == 0)
    {
      run_app (self, detection);
      return;
    }

  message = g_strdup_printf (_("Installing dependencies failed: exit %d"), exit_status);
  fail (self, message);
}

static void
check_done (TesseraRunner *self,
            Detection     *detection,
            int            exit_status)
{
  gboolean node = detection->kind == TESSERA_RUNNER_KIND_NODE;

  if (exit_status == 0)
    {
      run_app (self, detection);
      return;
    }

  if (exit_status == 126 && !node)
    {
      fail (self, _("Python’s venv module is not installed. Install it with: sudo apt install python3-venv"));
      return;
    }

  if (exit_status == 127)
    {
      if (node)
        fail (self, _("Node.js (npm) is not installed. Install it with: sudo apt install nodejs npm"));
      else
        fail (self, _("Python 3 is not installed. Install it with: sudo apt install python3 python3-venv"));
      return;
    }

  emit_command (self, node ? "npm install" : "pip install -r requirements.txt");
  set_state (self, TESSERA_RUNNER_INSTALLING, _("Installing dependencies…"));
  run_step (self, detection_copy (detection),
            node ? node_install_script : python_install_script,
            TRUE, install_done);
}

static void
serve_static_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Ticket) ticket = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  url = tessera_sandbox_serve_static_finish (TESSERA_SANDBOX (object), result, &error);
  if (!ticket_valid (ticket))
    return;

  if (url == NULL)
    {
      fail (ticket->self, error->message);
      return;
    }

  set_live_reload (ticket->self, TESSERA_IS_LOCAL_SANDBOX (object));
  set_ready (ticket->self, url);
}

static void
detect_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Ticket) ticket = user_data;
  TesseraRunner *self = ticket->self;
  g_autoptr(GError) error = NULL;
  Detection *detection;

  detection = g_task_propagate_pointer (G_TASK (result), &error);
  if (!ticket_valid (ticket))
    {
      g_clear_pointer (&detection, detection_free);
      return;
    }

  if (detection == NULL)
    {
      fail (self, error->message);
      return;
    }

  set_kind (self, detection->kind);

  if (detection->error_message != NULL)
    {
      fail (self, detection->error_message);
      detection_free (detection);
      return;
    }

  switch (detection->kind)
    {
    case TESSERA_RUNNER_KIND_STATIC:
      set_state (self, TESSERA_RUNNER_STARTING, _("Starting preview server…"));
      tessera_sandbox_serve_static_async (self->sandbox, self->cancellable,
                                          serve_static_cb, ticket_new (self));
      detection_free (detection);
      break;

    case TESSERA_RUNNER_KIND_NODE:
      set_state (self, TESSERA_RUNNER_STARTING, _("Checking dependencies…"));
      run_step (self, detection, node_check_script, FALSE, check_done);
      break;

    case TESSERA_RUNNER_KIND_PYTHON:
      set_state (self, TESSERA_RUNNER_STARTING, _("Checking dependencies…"));
      run_step (self, detection, python_check_script, FALSE, check_done);
      break;

    case TESSERA_RUNNER_KIND_CUSTOM:
      run_app (self, detection);
      detection_free (detection);
      break;

    case TESSERA_RUNNER_KIND_UNKNOWN:
    default:
      g_assert_not_reached ();
    }
}

typedef struct
{
  GFile *root;
  char  *run_command;
} DetectJob;

static void
detect_job_free (DetectJob *job)
{
  g_clear_object (&job->root);
  g_free (job->run_command);
  g_free (job);
}

static gboolean
file_exists (GFile      *root,
             const char *name)
{
  g_autoptr(GFile) file = g_file_get_child (root, name);

  return g_file_query_file_type (file, G_FILE_QUERY_INFO_NONE, NULL) == G_FILE_TYPE_REGULAR;
}

static void
detect_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  DetectJob *job = task_data;
  GFile *root = job->root;
  const char *run_command = job->run_command;
  Detection *detection = g_new0 (Detection, 1);

  if (run_command != NULL && run_command[0] != '\0')
    {
      detection->kind = TESSERA_RUNNER_KIND_CUSTOM;
      detection->run_command = g_strdup (run_command);
    }
  else if (file_exists (root, "package.json"))
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GFile) file = g_file_get_child (root, "package.json");
      g_autofree char *path = g_file_get_path (file);
      JsonNode *node;

      detection->kind = TESSERA_RUNNER_KIND_NODE;
      detection->target = g_strdup ("start");

      /* A broken package.json is npm's to report, in its own words. */
      if (json_parser_load_from_file (parser, path, NULL) &&
          (node = json_parser_get_root (parser)) != NULL &&
          JSON_NODE_HOLDS_OBJECT (node))
        {
          JsonObject *object = json_node_get_object (node);
          JsonNode *scripts = json_object_get_member (object, "scripts");

          if (scripts != NULL && JSON_NODE_HOLDS_OBJECT (scripts) &&
              json_object_has_member (json_node_get_object (scripts), "dev"))
            {
              g_free (detection->target);
              detection->target = g_strdup ("dev");
            }
        }
    }
  else if (file_exists (root, "app.py") || file_exists (root, "main.py") ||
           file_exists (root, "requirements.txt"))
    {
      detection->kind = TESSERA_RUNNER_KIND_PYTHON;
      if (file_exists (root, "app.py"))
        detection->target = g_strdup ("app.py");
      else if (file_exists (root, "main.py"))
        detection->target = g_strdup ("main.py");
      else
        detection->error_message = g_strdup (_("There is no app.py or main.py to run. "
                                               "Add one, or set the run command in the project settings."));
    }
  else
    {
      /* Without an index.html the server lists the files, which is still
       * the most useful thing to show. */
      detection->kind = TESSERA_RUNNER_KIND_STATIC;
    }

  g_task_return_pointer (task, detection, (GDestroyNotify)detection_free);
}

static void
detect (TesseraRunner *self)
{
  g_autoptr(GTask) task = NULL;
  const char *run_command;
  DetectJob *job;

  run_command = tessera_project_get_setting (self->project, TESSERA_RUNNER_SETTING_RUN_COMMAND);

  /* No source object: the worker thread may drop the task last. */
  task = g_task_new (NULL, self->cancellable, detect_cb, ticket_new (self));
  g_task_set_source_tag (task, detect);
  job = g_new0 (DetectJob, 1);
  job->root = g_object_ref (tessera_project_get_root (self->project));
  job->run_command = g_strdup (run_command);
  g_task_set_task_data (task, job, (GDestroyNotify)detect_job_free);
  g_task_run_in_thread (task, detect_thread);
}

static void
sandbox_start_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Ticket) ticket = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_sandbox_start_finish (TESSERA_SANDBOX (object), result, &error))
    {
      if (ticket_valid (ticket))
        fail (ticket->self, error->message);
      return;
    }

  if (ticket_valid (ticket))
    detect (ticket->self);
}

void
tessera_runner_start (TesseraRunner *self)
{
  g_return_if_fail (TESSERA_IS_RUNNER (self));

  if (self->state == TESSERA_RUNNER_INSTALLING ||
      self->state == TESSERA_RUNNER_STARTING ||
      self->state == TESSERA_RUNNER_READY)
    return;

  self->generation++;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  set_url (self, NULL);
  set_live_reload (self, FALSE);
  set_state (self, TESSERA_RUNNER_STARTING, _("Starting…"));

  if (tessera_sandbox_get_state (self->sandbox) == TESSERA_SANDBOX_READY)
    detect (self);
  else
    tessera_sandbox_start_async (self->sandbox, self->cancellable, sandbox_start_cb, ticket_new (self));
}

static void
stop_internal (TesseraRunner *self,
               gboolean       notify)
{
  /* Late callbacks of this run now find another generation. */
  self->generation++;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->probe_source, g_source_remove);
  self->probes_pending = 0;
  self->rescan = FALSE;

  if (self->process != NULL)
    tessera_process_kill (self->process);
  if (self->install_process != NULL)
    tessera_process_kill (self->install_process);
  g_clear_object (&self->install_process);

  if (notify)
    {
      set_url (self, NULL);
      set_state (self, TESSERA_RUNNER_STOPPED, _("Stopped"));
    }
}

void
tessera_runner_stop (TesseraRunner *self)
{
  g_return_if_fail (TESSERA_IS_RUNNER (self));

  stop_internal (self, TRUE);
  g_clear_object (&self->process);
}

static void
restart_wait_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Ticket) ticket = user_data;

  tessera_process_wait_finish (TESSERA_PROCESS (object), result, NULL, NULL);

  /* Only if nothing else happened to the runner meanwhile. */
  if (ticket_valid (ticket))
    tessera_runner_start (ticket->self);
}

void
tessera_runner_restart (TesseraRunner *self)
{
  g_autoptr(TesseraProcess) old = NULL;

  g_return_if_fail (TESSERA_IS_RUNNER (self));

  old = self->process ? g_object_ref (self->process) : NULL;
  tessera_runner_stop (self);

  if (old != NULL && tessera_process_get_running (old))
    tessera_process_wait_async (old, NULL, restart_wait_cb, ticket_new (self));
  else
    tessera_runner_start (self);
}

/* Run command */

typedef struct
{
  char         *command_line;
  GCancellable *cancellable;
} CommandData;

static void
command_data_free (CommandData *data)
{
  g_free (data->command_line);
  g_clear_object (&data->cancellable);
  g_free (data);
}

static void
command_spawn_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraRunner *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  TesseraProcess *process;

  process = tessera_sandbox_spawn_finish (TESSERA_SANDBOX (object), result, &error);
  if (process == NULL)
    {
      emit_text (self, TESSERA_PROCESS_STDERR, error->message);
      emit_text (self, TESSERA_PROCESS_STDERR, "\n");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  watch_process (self, process, FALSE);
  g_task_return_pointer (task, process, g_object_unref);
}

static void
command_spawn (GTask *task)
{
  TesseraRunner *self = g_task_get_source_object (task);
  CommandData *data = g_task_get_task_data (task);
  const char * const argv[] = { "sh", "-c", data->command_line, NULL };

  tessera_sandbox_spawn_async (self->sandbox, argv, NULL, NULL, 0,
                               data->cancellable, command_spawn_cb, g_object_ref (task));
}

static void
command_sandbox_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_sandbox_start_finish (TESSERA_SANDBOX (object), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  command_spawn (task);
}

void
tessera_runner_run_command_async (TesseraRunner       *self,
                                  const char          *command_line,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  CommandData *data;

  g_return_if_fail (TESSERA_IS_RUNNER (self));
  g_return_if_fail (command_line != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_runner_run_command_async);

  data = g_new0 (CommandData, 1);
  data->command_line = g_strdup (command_line);
  data->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  g_task_set_task_data (task, data, (GDestroyNotify)command_data_free);

  emit_command (self, command_line);

  if (tessera_sandbox_get_state (self->sandbox) == TESSERA_SANDBOX_READY)
    command_spawn (task);
  else
    tessera_sandbox_start_async (self->sandbox, cancellable, command_sandbox_cb, g_object_ref (task));
}

TesseraProcess *
tessera_runner_run_command_finish (TesseraRunner  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  g_return_val_if_fail (TESSERA_IS_RUNNER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Object */

static void
project_file_changed_cb (TesseraProject *project,
                         const char     *path,
                         int             change,
                         const char     *old_path,
                         TesseraRunner  *self)
{
  /* The local static server reloads open pages itself. */
  if (TESSERA_IS_LOCAL_SANDBOX (self->sandbox) && path != NULL)
    tessera_local_sandbox_notify_changed (TESSERA_LOCAL_SANDBOX (self->sandbox), path);
}

static void
tessera_runner_constructed (GObject *object)
{
  TesseraRunner *self = (TesseraRunner *)object;

  G_OBJECT_CLASS (tessera_runner_parent_class)->constructed (object);

  g_signal_connect_object (self->project, "file-changed",
                           G_CALLBACK (project_file_changed_cb), self, 0);
}

static void
tessera_runner_dispose (GObject *object)
{
  TesseraRunner *self = (TesseraRunner *)object;

  stop_internal (self, FALSE);
  g_clear_object (&self->process);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (tessera_runner_parent_class)->dispose (object);
}

static void
tessera_runner_finalize (GObject *object)
{
  TesseraRunner *self = (TesseraRunner *)object;

  g_clear_object (&self->project);
  g_clear_object (&self->sandbox);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->status_message, g_free);
  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->ports, g_array_unref);
  g_string_free (self->log, TRUE);

  G_OBJECT_CLASS (tessera_runner_parent_class)->finalize (object);
}

static void
tessera_runner_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TesseraRunner *self = TESSERA_RUNNER (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;

    case PROP_SANDBOX:
      g_value_set_object (value, self->sandbox);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_STATUS_MESSAGE:
      g_value_set_string (value, self->status_message);
      break;

    case PROP_URL:
      g_value_set_string (value, self->url);
      break;

    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;

    case PROP_LIVE_RELOAD:
      g_value_set_boolean (value, self->live_reload);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_runner_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  TesseraRunner *self = TESSERA_RUNNER (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      self->project = g_value_dup_object (value);
      break;

    case PROP_SANDBOX:
      self->sandbox = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_runner_class_init (TesseraRunnerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = tessera_runner_constructed;
  object_class->dispose = tessera_runner_dispose;
  object_class->finalize = tessera_runner_finalize;
  object_class->get_property = tessera_runner_get_property;
  object_class->set_property = tessera_runner_set_property;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL,
                         TESSERA_TYPE_PROJECT,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  properties[PROP_SANDBOX] =
    g_param_spec_object ("sandbox", NULL, NULL,
                         TESSERA_TYPE_SANDBOX,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       TESSERA_TYPE_RUNNER_STATE,
                       TESSERA_RUNNER_IDLE,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  properties[PROP_STATUS_MESSAGE] =
    g_param_spec_string ("status-message", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL,
                       TESSERA_TYPE_RUNNER_KIND,
                       TESSERA_RUNNER_KIND_UNKNOWN,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  properties[PROP_LIVE_RELOAD] =
    g_param_spec_boolean ("live-reload", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[OUTPUT] =
    g_signal_new ("output",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2,
                  TESSERA_TYPE_PROCESS_STREAM,
                  G_TYPE_STRING);

  ansi_regex = g_regex_new ("\\x1b\\[[0-9;?]*[A-Za-z]", G_REGEX_OPTIMIZE, 0, NULL);
  /* A URL with a port (Vite's "Local:", Next, Flask's "Running on"),
   * host:port, and "port N" (http.server's "Serving HTTP on … port 8000",
   * "listening on port 3000"). */
  port_regexes[0] = g_regex_new ("https?://[^\\s/:]+:(\\d{2,5})\\b", G_REGEX_OPTIMIZE, 0, NULL);
  port_regexes[1] = g_regex_new ("\\b(?:localhost|127\\.0\\.0\\.1|0\\.0\\.0\\.0|\\[::1?\\]):(\\d{2,5})\\b",
                                 G_REGEX_OPTIMIZE, 0, NULL);
  port_regexes[2] = g_regex_new ("\\bport[\\s:=]+(\\d{2,5})\\b",
                                 G_REGEX_OPTIMIZE | G_REGEX_CASELESS, 0, NULL);
}

static void
tessera_runner_init (TesseraRunner *self)
{
  self->state = TESSERA_RUNNER_IDLE;
  self->cancellable = g_cancellable_new ();
  self->log = g_string_new (NULL);
  self->ports = g_array_new (FALSE, FALSE, sizeof (guint));
  self->probe_delay_ms = PROBE_FIRST_DELAY_MS;
  self->session = soup_session_new_with_options ("timeout", PROBE_TIMEOUT_SECONDS,
                                                 "user-agent", "Tessera",
                                                 NULL);
}

TesseraRunner *
tessera_runner_new (TesseraProject *project,
                    TesseraSandbox *sandbox)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT (project), NULL);
  g_return_val_if_fail (TESSERA_IS_SANDBOX (sandbox), NULL);

  return g_object_new (TESSERA_TYPE_RUNNER,
                       "project", project,
                       "sandbox", sandbox,
                       NULL);
}

TesseraProject *
tessera_runner_get_project (TesseraRunner *self)
{
  g_return_val_if_fail (TESSERA_IS_RUNNER (self), NULL);

  return self->project;
}

TesseraSandbox *
tessera_runner_get_sandbox (TesseraRunner *self)
{
  g_return_val_if_fail (TESSERA_IS_RUNNER (self), NULL);

  return self->sandbox;
}

TesseraRunnerState
tessera_runner_get_state (TesseraRunner *self)
{
  g_return_val_if_fail (TESSERA_IS_RUNNER (self), TESSERA_RUNNER_IDLE);

  return self->state;
}

const char *
tessera_runner_get_status_message (TesseraRunner *self)
{
  g_return_val_if_fail (TESSERA_IS_RUNNER (self), NULL);

  return self->status_message;
}

const char *
tessera_runner_get_url (TesseraRunner *self)
{
  g_return_val_if_fail (TESSERA_IS_RUNNER (self), NULL);

  return self->url;
}

TesseraRunnerKind
tessera_runner_get_kind (TesseraRunner *self)
{
  g_return_val_if_fail (TESSERA_IS_RUNNER (self), TESSERA_RUNNER_KIND_UNKNOWN);

  return self->kind;
}

gboolean
tessera_runner_get_live_reload (TesseraRunner *self)
{
  g_return_val_if_fail (TESSERA_IS_RUNNER (self), FALSE);

  return self->live_reload;
}

const char *
tessera_runner_get_log (TesseraRunner *self)
{
  g_return_val_if_fail (TESSERA_IS_RUNNER (self), NULL);

  return self->log->str;
}
