/* tessera-e2b-test-server.c: a loopback stand-in for E2B's control plane and envd
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Speaks the wire format of E2B’s own specs: the REST control plane,
 * envd's /files endpoints, and envd's Connect RPC services (JSON codec,
 * enveloped server streams). Processes are real: /bin/bash -l -c CMD in a
 * temporary folder that stands in for /home/user.
 */

#define G_LOG_DOMAIN "tessera-e2b-test-server"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "tessera-e2b-test-server.h"

#define ENVD_VERSION "0.5.7"
#define SANDBOX_HOME "/home/user"
#define DATA_CHUNK (32 * 1024)

typedef struct _ServerSandbox ServerSandbox;
typedef struct _ServerProcess ServerProcess;

typedef struct
{
  SoupServerMessage *msg;
  ServerProcess     *process;
  guint              keepalive_id;
  guint              deadline_id;
  gulong             finished_id;
  gboolean           drop;
  gboolean           done;
} StreamClient;

struct _ServerProcess
{
  gatomicrefcount  ref_count;
  guint            pid;
  GSubprocess     *subprocess;
  char            *cmd;
  char           **args;
  char            *cwd;
  char            *tag;
  GHashTable      *envs;
  GPtrArray       *streams;
  ServerSandbox   *sandbox;
  GCancellable    *cancellable;
  guint            pending;
  gboolean         ended;
};

struct _ServerSandbox
{
  char          *id;
  char          *template_id;
  char          *envd_token;
  char          *root;
  GHashTable    *metadata;
  GHashTable    *processes;
  GDateTime     *started_at;
  GDateTime     *end_at;
  gboolean       paused;
};

struct _TesseraE2bTestServer
{
  GObject      parent_instance;

  SoupServer  *server;
  char        *url;
  char        *api_key;
  GHashTable  *sandboxes;
  GHashTable  *counts;
  guint        total_count;
  guint        latency_ms;
  guint        faults[TESSERA_E2B_TEST_FAULT_DROP_STREAM + 1];
};

G_DEFINE_FINAL_TYPE (TesseraE2bTestServer, tessera_e2b_test_server, G_TYPE_OBJECT)

static void stream_client_finish (StreamClient *client,
                                  const char   *error_code,
                                  const char   *error_message);

/* Helpers ---------------------------------------------------------------- */

static void
remove_tree (const char *path)
{
  GDir *dir;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_unlink (path);
      return;
    }

  if ((dir = g_dir_open (path, 0, NULL)))
    {
      while ((name = g_dir_read_name (dir)))
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

static char *
random_token (guint length)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  GString *s = g_string_sized_new (length);

  for (guint i = 0; i < length; i++)
    g_string_append_c (s, alphabet[g_random_int_range (0, sizeof alphabet - 1)]);
  return g_string_free (s, FALSE);
}

static void
set_json (SoupServerMessage *msg,
          guint              status,
          JsonNode          *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));
}

/* The body shape of the control plane and of envd's REST errors. */
static void
set_rest_error (SoupServerMessage *msg,
                guint              status,
                const char        *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_int_value (b, status);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  set_json (msg, status, node);
}

static guint
connect_code_status (const char *code)
{
  static const struct { const char *code; guint status; } map[] = {
    { "invalid_argument", 400 }, { "failed_precondition", 400 }, { "out_of_range", 400 },
    { "unauthenticated", 401 }, { "permission_denied", 403 }, { "not_found", 404 },
    { "already_exists", 409 }, { "aborted", 409 }, { "resource_exhausted", 429 },
    { "canceled", 499 }, { "unimplemented", 501 }, { "unavailable", 503 },
    { "deadline_exceeded", 504 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (g_str_equal (map[i].code, code))
      return map[i].status;
  return 500;
}

static JsonNode *
connect_error_node (const char *code,
                    const char *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
set_connect_error (SoupServerMessage *msg,
                   const char        *code,
                   const char        *message)
{
  g_autoptr(JsonNode) node = connect_error_node (code, message);

  set_json (msg, connect_code_status (code), node);
}

static char *
format_time (GDateTime *dt)
{
  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

/* Sandboxes -------------------------------------------------------------- */

static void
server_process_unref (ServerProcess *p)
{
  if (!g_atomic_ref_count_dec (&p->ref_count))
    return;
  g_clear_object (&p->subprocess);
  g_clear_object (&p->cancellable);
  g_clear_pointer (&p->streams, g_ptr_array_unref);
  g_clear_pointer (&p->envs, g_hash_table_unref);
  g_free (p->cmd);
  g_strfreev (p->args);
  g_free (p->cwd);
  g_free (p->tag);
  g_free (p);
}

static ServerProcess *
server_process_ref (ServerProcess *p)
{
  g_atomic_ref_count_inc (&p->ref_count);
  return p;
}

static void
server_process_signal (ServerProcess *p,
                       int            signum)
{
  if (p->ended || p->subprocess == NULL)
    return;
  /* The child leads its own process group, so that everything the shell
   * started goes with it. */
  kill (-(pid_t) p->pid, signum);
  g_subprocess_send_signal (p->subprocess, signum);
}

static void
server_sandbox_free (ServerSandbox *sb)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, sb->processes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ServerProcess *p = value;

      server_process_signal (p, SIGKILL);
      g_cancellable_cancel (p->cancellable);
      p->sandbox = NULL;
      /* Streams of a vanished sandbox are cut like a dead proxy cuts them. */
      while (p->streams->len > 0)
        stream_client_finish (g_ptr_array_index (p->streams, 0), NULL, NULL);
    }
  g_hash_table_unref (sb->processes);
  remove_tree (sb->root);
  g_free (sb->root);
  g_free (sb->id);
  g_free (sb->template_id);
  g_free (sb->envd_token);
  g_hash_table_unref (sb->metadata);
  g_date_time_unref (sb->started_at);
  g_date_time_unref (sb->end_at);
  g_free (sb);
}

static JsonNode *
sandbox_to_json (TesseraE2bTestServer *self,
                 ServerSandbox        *sb,
                 gboolean              detail)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  GHashTableIter iter;
  gpointer key, value;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "templateID");
  json_builder_add_string_value (b, sb->template_id);
  json_builder_set_member_name (b, "sandboxID");
  json_builder_add_string_value (b, sb->id);
  json_builder_set_member_name (b, "clientID");
  json_builder_add_string_value (b, "6532622b");
  json_builder_set_member_name (b, "envdVersion");
  json_builder_add_string_value (b, ENVD_VERSION);
  json_builder_set_member_name (b, "envdAccessToken");
  json_builder_add_string_value (b, sb->envd_token);
  json_builder_set_member_name (b, "trafficAccessToken");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "domain");
  json_builder_add_null_value (b);
  if (detail)
    {
      g_autofree char *started = format_time (sb->started_at);
      g_autofree char *end = format_time (sb->end_at);

      json_builder_set_member_name (b, "startedAt");
      json_builder_add_string_value (b, started);
      json_builder_set_member_name (b, "endAt");
      json_builder_add_string_value (b, end);
      json_builder_set_member_name (b, "cpuCount");
      json_builder_add_int_value (b, 2);
      json_builder_set_member_name (b, "memoryMB");
      json_builder_add_int_value (b, 512);
      json_builder_set_member_name (b, "diskSizeMB");
      json_builder_add_int_value (b, 1024);
      json_builder_set_member_name (b, "state");
      json_builder_add_string_value (b, sb->paused ? "paused" : "running");
      json_builder_set_member_name (b, "metadata");
      json_builder_begin_object (b);
      g_hash_table_iter_init (&iter, sb->metadata);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          json_builder_set_member_name (b, key);
          json_builder_add_string_value (b, value);
        }
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
sandbox_set_timeout (ServerSandbox *sb,
                     gint64         seconds,
                     gboolean       only_extend)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) end = g_date_time_add_seconds (now, seconds);

  if (only_extend && g_date_time_compare (end, sb->end_at) <= 0)
    return;
  g_date_time_unref (sb->end_at);
  sb->end_at = g_steal_pointer (&end);
}

/* Maps a sandbox path (absolute, or relative to /home/user) into the
 * sandbox's folder, refusing anything that would leave it. */
static char *
map_path (ServerSandbox *sb,
          const char    *path)
{
  g_autofree char *joined = NULL;
  g_autofree char *canonical = NULL;

  if (path == NULL || *path == '\0')
    path = SANDBOX_HOME;

  if (g_str_equal (path, SANDBOX_HOME))
    joined = g_strdup (sb->root);
  else if (g_str_has_prefix (path, SANDBOX_HOME "/"))
    joined = g_build_filename (sb->root, path + strlen (SANDBOX_HOME "/"), NULL);
  else
    joined = g_build_filename (sb->root, path, NULL);

  canonical = g_canonicalize_filename (joined, NULL);
  if (!g_str_equal (canonical, sb->root) &&
      !(g_str_has_prefix (canonical, sb->root) && canonical[strlen (sb->root)] == '/'))
    return NULL;
  return g_steal_pointer (&canonical);
}

static char *
unmap_path (ServerSandbox *sb,
            const char    *local)
{
  if (g_str_equal (local, sb->root))
    return g_strdup (SANDBOX_HOME);
  return g_strconcat (SANDBOX_HOME, local + strlen (sb->root), NULL);
}

/* Control plane ---------------------------------------------------------- */

static JsonObject *
parse_object (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (body->length == 0)
    return json_object_new ();
  if (!json_parser_load_from_data (parser, body->data, body->length, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

static void
handle_create (TesseraE2bTestServer *self,
               SoupServerMessage    *msg)
{
  g_autoptr(JsonObject) req = parse_object (msg);
  g_autoptr(JsonNode) node = NULL;
  ServerSandbox *sb;
  gint64 timeout = 300;
  GError *error = NULL;

  if (req == NULL || !json_object_has_member (req, "templateID"))
    {
      set_rest_error (msg, 400, "Error when parsing request: templateID is required");
      return;
    }
  if (json_object_has_member (req, "timeout"))
    {
      timeout = json_object_get_int_member (req, "timeout");
      if (timeout <= 0)
        {
          set_rest_error (msg, 400, "Timeout must be greater than 0");
          return;
        }
    }

  sb = g_new0 (ServerSandbox, 1);
  sb->id = random_token (20);
  sb->template_id = g_strdup (json_object_get_string_member (req, "templateID"));
  sb->envd_token = random_token (32);
  sb->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sb->processes = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) server_process_unref);
  sb->started_at = g_date_time_new_now_utc ();
  sb->end_at = g_date_time_add_seconds (sb->started_at, timeout);
  sb->root = g_dir_make_tmp ("tessera-e2b-sandbox-XXXXXX", &error);
  if (sb->root == NULL)
    {
      set_rest_error (msg, 500, error->message);
      g_error_free (error);
      sb->root = g_strdup ("/nonexistent");
      server_sandbox_free (sb);
      return;
    }

  if (json_object_has_member (req, "metadata"))
    {
      JsonObject *md = json_object_get_object_member (req, "metadata");
      g_autoptr(GList) members = md ? json_object_get_members (md) : NULL;

      for (GList *l = members; l; l = l->next)
        g_hash_table_insert (sb->metadata, g_strdup (l->data),
                             g_strdup (json_object_get_string_member (md, l->data)));
    }

  g_hash_table_insert (self->sandboxes, sb->id, sb);
  node = sandbox_to_json (self, sb, FALSE);
  set_json (msg, 201, node);
}

static gboolean
metadata_matches (ServerSandbox *sb,
                  GHashTable    *filter)
{
  GHashTableIter iter;
  gpointer key, value;

  if (filter == NULL)
    return TRUE;
  g_hash_table_iter_init (&iter, filter);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_strcmp0 (g_hash_table_lookup (sb->metadata, key), value) != 0)
      return FALSE;
  return TRUE;
}

static void
handle_list (TesseraE2bTestServer *self,
             SoupServerMessage    *msg,
             GHashTable           *query)
{
  g_autoptr(GHashTable) filter = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_auto(GStrv) states = NULL;
  const char *md = query ? g_hash_table_lookup (query, "metadata") : NULL;
  const char *state = query ? g_hash_table_lookup (query, "state") : NULL;
  GHashTableIter iter;
  gpointer value;
  guint running = 0;

  /* The query parser already undid the outer layer; the pair string keeps
   * its own layer of encoding for keys and values. */
  if (md != NULL && *md != '\0')
    {
      filter = g_uri_parse_params (md, -1, "&", G_URI_PARAMS_NONE, NULL);
      if (filter == NULL)
        {
          set_rest_error (msg, 400, "Error when parsing metadata");
          return;
        }
    }
  states = g_strsplit (state ? state : "running,paused", ",", -1);

  json_builder_begin_array (b);
  g_hash_table_iter_init (&iter, self->sandboxes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ServerSandbox *sb = value;
      const char *sb_state = sb->paused ? "paused" : "running";

      if (!sb->paused)
        running++;
      if (!g_strv_contains ((const char * const *) states, sb_state) || !metadata_matches (sb, filter))
        continue;
      json_builder_add_value (b, sandbox_to_json (self, sb, TRUE));
    }
  json_builder_end_array (b);
  node = json_builder_get_root (b);
  set_json (msg, 200, node);
  {
    g_autofree char *n = g_strdup_printf ("%u", running);
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "X-Total-Running", n);
  }
}

static void
handle_sandbox (TesseraE2bTestServer *self,
                SoupServerMessage    *msg,
                const char           *method,
                const char           *id,
                const char           *action,
                gboolean              v2)
{
  ServerSandbox *sb = g_hash_table_lookup (self->sandboxes, id);
  g_autoptr(JsonObject) req = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (sb == NULL)
    {
      g_autofree char *message = g_strdup_printf ("Sandbox \"%s\" doesn't exist or you don't have access to it", id);
      set_rest_error (msg, 404, message);
      return;
    }

  if (action == NULL && g_str_equal (method, "GET"))
    {
      node = sandbox_to_json (self, sb, TRUE);
      set_json (msg, 200, node);
      return;
    }
  if (action == NULL && g_str_equal (method, "DELETE"))
    {
      g_hash_table_remove (self->sandboxes, id);
      soup_server_message_set_status (msg, 204, NULL);
      return;
    }
  if (!g_str_equal (method, "POST") || action == NULL)
    {
      soup_server_message_set_status (msg, 405, NULL);
      return;
    }

  req = parse_object (msg);
  if (req == NULL)
    {
      set_rest_error (msg, 400, "Error when parsing request body");
      return;
    }

  if (g_str_equal (action, "timeout"))
    {
      gint64 timeout = json_object_get_int_member_with_default (req, "timeout", 0);

      if (timeout <= 0)
        {
          set_rest_error (msg, 400, "Timeout must be greater than 0");
          return;
        }
      if (sb->paused)
        {
          set_rest_error (msg, 409, "Sandbox is not running");
          return;
        }
      sandbox_set_timeout (sb, timeout, FALSE);
      soup_server_message_set_status (msg, 204, NULL);
    }
  else if (g_str_equal (action, "pause"))
    {
      if (sb->paused)
        {
          set_rest_error (msg, 409, "Sandbox is already paused");
          return;
        }
      sb->paused = TRUE;
      soup_server_message_set_status (msg, 204, NULL);
    }
  else if (g_str_equal (action, "connect") || g_str_equal (action, "resume"))
    {
      gint64 timeout = json_object_get_int_member_with_default (req, "timeout", 300);
      gboolean resumed = sb->paused;

      if (!v2 && g_str_equal (action, "connect") && !json_object_has_member (req, "timeout"))
        {
          set_rest_error (msg, 400, "Error when parsing request: timeout is required");
          return;
        }
      sb->paused = FALSE;
      sandbox_set_timeout (sb, timeout, TRUE);
      node = sandbox_to_json (self, sb, FALSE);
      set_json (msg, resumed || g_str_equal (action, "resume") ? 201 : 200, node);
    }
  else if (g_str_equal (action, "refreshes"))
    {
      sandbox_set_timeout (sb, json_object_get_int_member_with_default (req, "duration", 15), TRUE);
      soup_server_message_set_status (msg, 204, NULL);
    }
  else
    soup_server_message_set_status (msg, 404, NULL);
}

static void
handle_control_plane (TesseraE2bTestServer *self,
                      SoupServerMessage    *msg,
                      const char           *method,
                      const char           *path,
                      GHashTable           *query)
{
  const char *key = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "X-API-Key");
  g_auto(GStrv) parts = NULL;
  gboolean v2 = FALSE;
  guint n;

  if (key == NULL || g_strcmp0 (key, self->api_key) != 0)
    {
      set_rest_error (msg, 401, "Invalid API key");
      return;
    }

  if (self->faults[TESSERA_E2B_TEST_FAULT_RATE_LIMIT] > 0)
    {
      self->faults[TESSERA_E2B_TEST_FAULT_RATE_LIMIT]--;
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", "0");
      set_rest_error (msg, 429, "you have reached the maximum number of concurrent E2B sandboxes (20). "
                                "If you need more, please contact us at 'https://e2b.dev/docs/getting-help'");
      return;
    }

  if (g_str_has_prefix (path, "/v2/"))
    {
      v2 = TRUE;
      path += 3;
    }
  parts = g_strsplit (path + 1, "/", -1);
  n = g_strv_length (parts);

  if (n == 1 && g_str_equal (method, "POST"))
    handle_create (self, msg);
  else if (n == 1 && g_str_equal (method, "GET"))
    handle_list (self, msg, query);
  else if (n == 2 || n == 3)
    handle_sandbox (self, msg, method, parts[1], n == 3 ? parts[2] : NULL, v2);
  else
    soup_server_message_set_status (msg, 404, NULL);
}

/* envd: files ------------------------------------------------------------ */

static JsonNode *
written_entry (ServerSandbox *sb,
               const char    *local)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *remote = unmap_path (sb, local);
  g_autofree char *name = g_path_get_basename (local);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, remote);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "file");
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
write_local (const char  *local,
             const char  *data,
             gsize        length,
             GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (local);

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot create %s", dir);
      return FALSE;
    }
  /* No fsync: envd does not either, and it would make the server, not
   * the client, what benchmarks measure. */
  return g_file_set_contents_full (local, data, length, G_FILE_SET_CONTENTS_NONE, 0644, error);
}

/* libsoup strips directories from a parsed filename (a sensible default
 * for browsers); envd uses the raw filename as the destination. */
static char *
raw_part_filename (SoupMessageHeaders *headers)
{
  const char *disposition = soup_message_headers_get_one (headers, "Content-Disposition");
  const char *semi;
  g_autoptr(GHashTable) params = NULL;
  const char *name;

  if (disposition == NULL || (semi = strchr (disposition, ';')) == NULL)
    return NULL;
  params = soup_header_parse_semi_param_list (semi + 1);
  name = g_hash_table_lookup (params, "name");
  if (g_strcmp0 (name, "file") != 0)
    return NULL;
  return g_strdup (g_hash_table_lookup (params, "filename"));
}

static void
handle_files_post (ServerSandbox     *sb,
                   SoupServerMessage *msg,
                   GHashTable        *query)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const char *query_path = query ? g_hash_table_lookup (query, "path") : NULL;
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  const char *content_type = soup_message_headers_get_content_type (headers, NULL);

  json_builder_begin_array (b);

  if (g_strcmp0 (content_type, "application/octet-stream") == 0)
    {
      g_autofree char *local = NULL;

      if (query_path == NULL || (local = map_path (sb, query_path)) == NULL)
        {
          set_rest_error (msg, 400, "path is required for octet-stream uploads");
          return;
        }
      if (!write_local (local, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error))
        {
          set_rest_error (msg, 500, error->message);
          return;
        }
      json_builder_add_value (b, written_entry (sb, local));
    }
  else if (g_strcmp0 (content_type, "multipart/form-data") == 0)
    {
      g_autoptr(SoupMultipart) multipart = soup_multipart_new_from_message (headers, bytes);

      if (multipart == NULL)
        {
          set_rest_error (msg, 400, "error parsing multipart form");
          return;
        }
      for (int i = 0; i < soup_multipart_get_length (multipart); i++)
        {
          SoupMessageHeaders *part_headers;
          GBytes *part_body;
          g_autofree char *filename = NULL;
          g_autofree char *local = NULL;

          soup_multipart_get_part (multipart, i, &part_headers, &part_body);
          filename = raw_part_filename (part_headers);
          if (filename == NULL)
            continue;
          if ((local = map_path (sb, query_path ? query_path : filename)) == NULL)
            {
              set_rest_error (msg, 400, "invalid path");
              return;
            }
          if (g_hash_table_contains (seen, local))
            {
              g_autofree char *m = g_strdup_printf ("cannot upload multiple files to same path '%s'", filename);
              set_rest_error (msg, 400, m);
              return;
            }
          if (!write_local (local, g_bytes_get_data (part_body, NULL), g_bytes_get_size (part_body), &error))
            {
              set_rest_error (msg, 500, error->message);
              return;
            }
          json_builder_add_value (b, written_entry (sb, local));
          g_hash_table_add (seen, g_steal_pointer (&local));
        }
    }
  else
    {
      set_rest_error (msg, 400, "unsupported content type");
      return;
    }

  json_builder_end_array (b);
  node = json_builder_get_root (b);
  set_json (msg, 200, node);
}

static void
handle_files_get (ServerSandbox     *sb,
                  SoupServerMessage *msg,
                  GHashTable        *query)
{
  const char *path = query ? g_hash_table_lookup (query, "path") : NULL;
  g_autofree char *local = map_path (sb, path);
  g_autofree char *contents = NULL;
  g_autofree char *basename = NULL;
  g_autofree char *disposition = NULL;
  gsize length;

  if (local == NULL)
    {
      set_rest_error (msg, 400, "invalid path");
      return;
    }
  if (g_file_test (local, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *m = g_strdup_printf ("path '%s' is a directory", path);
      set_rest_error (msg, 400, m);
      return;
    }
  if (!g_file_get_contents (local, &contents, &length, NULL))
    {
      g_autofree char *m = g_strdup_printf ("path '%s' does not exist", path);
      set_rest_error (msg, 404, m);
      return;
    }
  basename = g_path_get_basename (local);
  disposition = g_strdup_printf ("inline; filename=%s", basename);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Content-Disposition", disposition);
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&contents), length);
}

/* envd: filesystem RPCs -------------------------------------------------- */

static void
add_entry (JsonBuilder   *b,
           ServerSandbox *sb,
           const char    *local)
{
  GStatBuf st;
  g_autofree char *name = g_path_get_basename (local);
  g_autofree char *remote = unmap_path (sb, local);

  if (g_lstat (local, &st) != 0)
    memset (&st, 0, sizeof st);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, S_ISDIR (st.st_mode) ? "FILE_TYPE_DIRECTORY"
                                    : S_ISLNK (st.st_mode) ? "FILE_TYPE_SYMLINK" : "FILE_TYPE_FILE");
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, remote);
  if (st.st_size != 0)
    {
      g_autofree char *size = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) st.st_size);
      json_builder_set_member_name (b, "size");
      json_builder_add_string_value (b, size);
    }
  json_builder_set_member_name (b, "mode");
  json_builder_add_int_value (b, st.st_mode & 0777);
  json_builder_set_member_name (b, "owner");
  json_builder_add_string_value (b, "user");
  json_builder_set_member_name (b, "group");
  json_builder_add_string_value (b, "user");
  {
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (st.st_mtime);
    g_autofree char *t = format_time (dt);
    json_builder_set_member_name (b, "modifiedTime");
    json_builder_add_string_value (b, t);
  }
  json_builder_end_object (b);
}

static void
list_dir (JsonBuilder   *b,
          ServerSandbox *sb,
          const char    *local,
          guint          depth)
{
  GDir *dir = g_dir_open (local, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (local, name, NULL);

      add_entry (b, sb, child);
      if (depth > 1 && g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        list_dir (b, sb, child, depth - 1);
    }
  g_dir_close (dir);
}

static void
handle_filesystem (ServerSandbox     *sb,
                   SoupServerMessage *msg,
                   const char        *method_name,
                   JsonObject        *req)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  const char *path = json_object_get_string_member_with_default (req, "path", NULL);
  g_autofree char *local = NULL;

  if (g_str_equal (method_name, "Move"))
    {
      g_autofree char *from = map_path (sb, json_object_get_string_member_with_default (req, "source", NULL));
      g_autofree char *to = map_path (sb, json_object_get_string_member_with_default (req, "destination", NULL));
      g_autofree char *parent = NULL;

      if (from == NULL || to == NULL)
        return set_connect_error (msg, "invalid_argument", "invalid path");
      if (!g_file_test (from, G_FILE_TEST_EXISTS))
        return set_connect_error (msg, "not_found", "source does not exist");
      parent = g_path_get_dirname (to);
      g_mkdir_with_parents (parent, 0755);
      if (g_rename (from, to) != 0)
        return set_connect_error (msg, "internal", g_strerror (errno));
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "entry");
      add_entry (b, sb, to);
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      set_json (msg, 200, node);
      return;
    }

  if (path == NULL || (local = map_path (sb, path)) == NULL)
    return set_connect_error (msg, "invalid_argument", "invalid path");

  json_builder_begin_object (b);
  if (g_str_equal (method_name, "Stat"))
    {
      if (!g_file_test (local, G_FILE_TEST_EXISTS))
        return set_connect_error (msg, "not_found", "file not found");
      json_builder_set_member_name (b, "entry");
      add_entry (b, sb, local);
    }
  else if (g_str_equal (method_name, "ListDir"))
    {
      gint64 depth = json_object_get_int_member_with_default (req, "depth", 1);

      if (!g_file_test (local, G_FILE_TEST_IS_DIR))
        return set_connect_error (msg, "not_found", "directory not found");
      json_builder_set_member_name (b, "entries");
      json_builder_begin_array (b);
      list_dir (b, sb, local, MAX (depth, 1));
      json_builder_end_array (b);
    }
  else if (g_str_equal (method_name, "MakeDir"))
    {
      if (g_file_test (local, G_FILE_TEST_EXISTS))
        return set_connect_error (msg, "already_exists", "directory already exists");
      if (g_mkdir_with_parents (local, 0755) != 0)
        return set_connect_error (msg, "internal", g_strerror (errno));
      json_builder_set_member_name (b, "entry");
      add_entry (b, sb, local);
    }
  else if (g_str_equal (method_name, "Remove"))
    {
      if (!g_file_test (local, G_FILE_TEST_EXISTS) && !g_file_test (local, G_FILE_TEST_IS_SYMLINK))
        return set_connect_error (msg, "not_found", "file not found");
      if (g_str_equal (local, sb->root))
        return set_connect_error (msg, "permission_denied", "cannot remove the home folder");
      remove_tree (local);
    }
  else
    return set_connect_error (msg, "unimplemented", "not implemented");

  json_builder_end_object (b);
  node = json_builder_get_root (b);
  set_json (msg, 200, node);
}

/* envd: processes -------------------------------------------------------- */

static GBytes *
envelope (guint8      flags,
          JsonNode   *node)
{
  g_autofree char *text = json_to_string (node, FALSE);
  gsize len = strlen (text);
  guint8 *buf = g_malloc (len + 5);

  buf[0] = flags;
  buf[1] = (len >> 24) & 0xff;
  buf[2] = (len >> 16) & 0xff;
  buf[3] = (len >> 8) & 0xff;
  buf[4] = len & 0xff;
  memcpy (buf + 5, text, len);
  return g_bytes_new_take (buf, len + 5);
}

/* A streaming call that fails answers 200 with only an end-stream
 * message carrying the error, as connect-go does. */
static void
set_stream_error (SoupServerMessage *msg,
                  const char        *code,
                  const char        *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GBytes) bytes = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_add_value (b, connect_error_node (code, message));
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  bytes = envelope (0x02, node);
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/connect+json", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
stream_client_send (StreamClient *client,
                    guint8        flags,
                    JsonNode     *node)
{
  g_autoptr(GBytes) bytes = NULL;
  SoupMessageBody *body;

  if (client->done)
    return;
  bytes = envelope (flags, node);
  body = soup_server_message_get_response_body (client->msg);
  soup_message_body_append_bytes (body, bytes);
  soup_server_message_unpause (client->msg);
}

/* {"event":{KIND:{...}}} from a builder positioned inside KIND. */
static JsonNode *
event_node (const char *kind,
            JsonNode   *inner)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, kind);
  if (inner)
    json_builder_add_value (b, inner);
  else
    {
      json_builder_begin_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
stream_client_free (StreamClient *client)
{
  g_clear_handle_id (&client->keepalive_id, g_source_remove);
  g_clear_handle_id (&client->deadline_id, g_source_remove);
  g_clear_signal_handler (&client->finished_id, client->msg);
  g_clear_object (&client->msg);
  g_free (client);
}

/* Ends the HTTP response: with an end-stream message when @error_code is
 * set or the process ended, without one (a cut stream) otherwise. */
static void
stream_client_finish_full (StreamClient *client,
                           gboolean      end_stream,
                           const char   *error_code,
                           const char   *error_message)
{
  ServerProcess *p = client->process;

  if (!client->done)
    {
      if (end_stream)
        {
          g_autoptr(JsonNode) node = NULL;

          if (error_code)
            {
              g_autoptr(JsonBuilder) b = json_builder_new ();

              json_builder_begin_object (b);
              json_builder_set_member_name (b, "error");
              json_builder_add_value (b, connect_error_node (error_code, error_message));
              json_builder_end_object (b);
              node = json_builder_get_root (b);
            }
          else
            node = json_from_string ("{}", NULL);
          stream_client_send (client, 0x02, node);
        }
      client->done = TRUE;
      soup_message_body_complete (soup_server_message_get_response_body (client->msg));
      soup_server_message_unpause (client->msg);
    }

  g_ptr_array_remove (p->streams, client);
  stream_client_free (client);
  server_process_unref (p);
}

static void
stream_client_finish (StreamClient *client,
                      const char   *error_code,
                      const char   *error_message)
{
  stream_client_finish_full (client, error_code != NULL, error_code, error_message);
}

static void
broadcast (ServerProcess *p,
           JsonNode      *node)
{
  for (guint i = 0; i < p->streams->len; i++)
    {
      StreamClient *client = g_ptr_array_index (p->streams, i);

      stream_client_send (client, 0, node);
    }
  /* A dropped stream goes silent after its first real event. */
  for (guint i = p->streams->len; i > 0; i--)
    {
      StreamClient *client = g_ptr_array_index (p->streams, i - 1);

      if (client->drop)
        stream_client_finish_full (client, FALSE, NULL, NULL);
    }
}

static void
on_stream_finished (SoupServerMessage *msg,
                    StreamClient      *client)
{
  /* The client went away (or the response is complete): stop writing. */
  client->done = TRUE;
  if (g_ptr_array_find (client->process->streams, client, NULL))
    stream_client_finish_full (client, FALSE, NULL, NULL);
}

static gboolean
on_keepalive (gpointer data)
{
  StreamClient *client = data;
  g_autoptr(JsonNode) node = event_node ("keepalive", NULL);

  stream_client_send (client, 0, node);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_deadline (gpointer data)
{
  StreamClient *client = data;

  client->deadline_id = 0;
  /* envd runs the child under the request's deadline. */
  server_process_signal (client->process, SIGKILL);
  stream_client_finish (client, "deadline_exceeded", "context deadline exceeded");
  return G_SOURCE_REMOVE;
}

static void
process_maybe_end (ServerProcess *p)
{
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) node = NULL;
  int code = 0;
  g_autofree char *status = NULL;
  gboolean exited;

  if (--p->pending > 0)
    return;

  p->ended = TRUE;
  /* Cancelled: the sandbox (or the server) is gone, nobody listens. */
  if (g_cancellable_is_cancelled (p->cancellable))
    return;
  exited = g_subprocess_get_if_exited (p->subprocess);
  if (exited)
    {
      code = g_subprocess_get_exit_status (p->subprocess);
      status = g_strdup_printf ("exit status %d", code);
    }
  else
    {
      int sig = g_subprocess_get_if_signaled (p->subprocess) ? g_subprocess_get_term_sig (p->subprocess) : SIGKILL;

      code = -1;
      status = g_strdup_printf ("signal: %s", sig == SIGKILL ? "killed" : sig == SIGTERM ? "terminated" : g_strsignal (sig));
    }

  b = json_builder_new ();
  json_builder_begin_object (b);
  if (code != 0)
    {
      json_builder_set_member_name (b, "exitCode");
      json_builder_add_int_value (b, code);
    }
  if (exited)
    {
      json_builder_set_member_name (b, "exited");
      json_builder_add_boolean_value (b, TRUE);
    }
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, status);
  if (code != 0)
    {
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, status);
    }
  json_builder_end_object (b);
  node = event_node ("end", json_builder_get_root (b));
  broadcast (p, node);
  while (p->streams->len > 0)
    stream_client_finish_full (g_ptr_array_index (p->streams, 0), TRUE, NULL, NULL);

  if (p->sandbox)
    g_hash_table_remove (p->sandbox->processes, GUINT_TO_POINTER (p->pid));
}

typedef struct
{
  ServerProcess *process;
  gboolean       is_stderr;
} ReadData;

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  ReadData *rd = user_data;
  ServerProcess *p = rd->process;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      process_maybe_end (p);
      server_process_unref (p);
      g_free (rd);
      return;
    }

  {
    g_autofree char *b64 = g_base64_encode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) node = NULL;

    json_builder_begin_object (b);
    json_builder_set_member_name (b, rd->is_stderr ? "stderr" : "stdout");
    json_builder_add_string_value (b, b64);
    json_builder_end_object (b);
    node = event_node ("data", json_builder_get_root (b));
    broadcast (p, node);
  }

  g_input_stream_read_bytes_async (G_INPUT_STREAM (source), DATA_CHUNK, G_PRIORITY_DEFAULT,
                                   p->cancellable, on_read, rd);
}

static void
on_wait (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  ServerProcess *p = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  process_maybe_end (p);
  server_process_unref (p);
}

static void
child_setup (gpointer data)
{
  setpgid (0, 0);
}

static StreamClient *
attach_stream (TesseraE2bTestServer *self,
               ServerProcess        *p,
               SoupServerMessage    *msg)
{
  SoupMessageHeaders *req_headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *keepalive = soup_message_headers_get_one (req_headers, "Keepalive-Ping-Interval");
  StreamClient *client = g_new0 (StreamClient, 1);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  client->msg = g_object_ref (msg);
  client->process = server_process_ref (p);
  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_set_content_type (headers, "application/connect+json", NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  client->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_stream_finished), client);
  g_ptr_array_add (p->streams, client);

  if (keepalive && g_ascii_strtoull (keepalive, NULL, 10) > 0)
    client->keepalive_id = g_timeout_add_seconds (g_ascii_strtoull (keepalive, NULL, 10), on_keepalive, client);

  if (self->faults[TESSERA_E2B_TEST_FAULT_DROP_STREAM] > 0)
    {
      self->faults[TESSERA_E2B_TEST_FAULT_DROP_STREAM]--;
      client->drop = TRUE;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "pid");
  json_builder_add_int_value (b, p->pid);
  json_builder_end_object (b);
  node = event_node ("start", json_builder_get_root (b));
  stream_client_send (client, 0, node);
  return client;
}

static void
handle_process_start (TesseraE2bTestServer *self,
                      ServerSandbox        *sb,
                      SoupServerMessage    *msg,
                      JsonObject           *req)
{
  JsonObject *config = json_object_get_object_member (req, "process");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *home_env = NULL;
  const char *timeout_ms;
  ServerProcess *p;
  StreamClient *client;
  JsonArray *args;
  const char *cwd;
  g_autofree char *local_cwd = NULL;

  if (config == NULL || !json_object_has_member (config, "cmd"))
    return set_stream_error (msg, "invalid_argument", "process.cmd is required");

  cwd = json_object_get_string_member_with_default (config, "cwd", NULL);
  if ((local_cwd = map_path (sb, cwd)) == NULL)
    return set_stream_error (msg, "invalid_argument", "invalid cwd");
  if (!g_file_test (local_cwd, G_FILE_TEST_IS_DIR))
    return set_stream_error (msg, "invalid_argument", "cwd does not exist");

  p = g_new0 (ServerProcess, 1);
  g_atomic_ref_count_init (&p->ref_count);
  p->streams = g_ptr_array_new ();
  p->sandbox = sb;
  p->cancellable = g_cancellable_new ();
  p->cmd = g_strdup (json_object_get_string_member (config, "cmd"));
  p->cwd = g_strdup (cwd);
  p->tag = g_strdup (json_object_get_string_member_with_default (req, "tag", NULL));
  p->envs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_ptr_array_add (argv, p->cmd);
  args = json_object_has_member (config, "args") ? json_object_get_array_member (config, "args") : NULL;
  {
    GStrvBuilder *sb_args = g_strv_builder_new ();

    for (guint i = 0; args && i < json_array_get_length (args); i++)
      g_strv_builder_add (sb_args, json_array_get_string_element (args, i));
    p->args = g_strv_builder_end (sb_args);
    g_strv_builder_unref (sb_args);
  }
  for (guint i = 0; p->args[i]; i++)
    g_ptr_array_add (argv, p->args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                        G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  g_subprocess_launcher_set_cwd (launcher, local_cwd);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "HOME", sb->root, TRUE);
  g_subprocess_launcher_setenv (launcher, "USER", "user", TRUE);
  g_subprocess_launcher_setenv (launcher, "LOGNAME", "user", TRUE);
  if (json_object_has_member (config, "envs"))
    {
      JsonObject *envs = json_object_get_object_member (config, "envs");
      g_autoptr(GList) members = envs ? json_object_get_members (envs) : NULL;

      for (GList *l = members; l; l = l->next)
        {
          const char *v = json_object_get_string_member (envs, l->data);

          g_subprocess_launcher_setenv (launcher, l->data, v, TRUE);
          g_hash_table_insert (p->envs, g_strdup (l->data), g_strdup (v));
        }
    }

  p->subprocess = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  if (p->subprocess == NULL)
    {
      server_process_unref (p);
      return set_stream_error (msg, "internal", error->message);
    }
  p->pid = (guint) g_ascii_strtoull (g_subprocess_get_identifier (p->subprocess), NULL, 10);
  g_hash_table_insert (sb->processes, GUINT_TO_POINTER (p->pid), p);

  client = attach_stream (self, p, msg);
  timeout_ms = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Connect-Timeout-Ms");
  if (timeout_ms && g_ascii_strtoull (timeout_ms, NULL, 10) > 0)
    client->deadline_id = g_timeout_add (g_ascii_strtoull (timeout_ms, NULL, 10), on_deadline, client);

  p->pending = 3;
  {
    ReadData *out = g_new0 (ReadData, 1);
    ReadData *err = g_new0 (ReadData, 1);

    out->process = server_process_ref (p);
    err->process = server_process_ref (p);
    err->is_stderr = TRUE;
    g_input_stream_read_bytes_async (g_subprocess_get_stdout_pipe (p->subprocess), DATA_CHUNK,
                                     G_PRIORITY_DEFAULT, p->cancellable, on_read, out);
    g_input_stream_read_bytes_async (g_subprocess_get_stderr_pipe (p->subprocess), DATA_CHUNK,
                                     G_PRIORITY_DEFAULT, p->cancellable, on_read, err);
    g_subprocess_wait_async (p->subprocess, p->cancellable, on_wait, server_process_ref (p));
  }
  if (client->drop && !client->done)
    stream_client_finish_full (client, FALSE, NULL, NULL);
}

static ServerProcess *
lookup_process (ServerSandbox *sb,
                JsonObject    *req)
{
  JsonObject *selector = json_object_has_member (req, "process") ? json_object_get_object_member (req, "process") : NULL;
  GHashTableIter iter;
  gpointer value;

  if (selector == NULL)
    return NULL;
  if (json_object_has_member (selector, "pid"))
    return g_hash_table_lookup (sb->processes, GUINT_TO_POINTER ((guint) json_object_get_int_member (selector, "pid")));
  if (json_object_has_member (selector, "tag"))
    {
      const char *tag = json_object_get_string_member (selector, "tag");

      g_hash_table_iter_init (&iter, sb->processes);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        if (g_strcmp0 (((ServerProcess *) value)->tag, tag) == 0)
          return value;
    }
  return NULL;
}

static void
handle_process_unary (ServerSandbox     *sb,
                      SoupServerMessage *msg,
                      const char        *method_name,
                      JsonObject        *req)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (b);
  if (g_str_equal (method_name, "List"))
    {
      GHashTableIter iter;
      gpointer value;

      json_builder_set_member_name (b, "processes");
      json_builder_begin_array (b);
      g_hash_table_iter_init (&iter, sb->processes);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          ServerProcess *p = value;
          GHashTableIter env_iter;
          gpointer k, v;

          if (p->ended)
            continue;
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "config");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "cmd");
          json_builder_add_string_value (b, p->cmd);
          json_builder_set_member_name (b, "args");
          json_builder_begin_array (b);
          for (guint i = 0; p->args[i]; i++)
            json_builder_add_string_value (b, p->args[i]);
          json_builder_end_array (b);
          json_builder_set_member_name (b, "envs");
          json_builder_begin_object (b);
          g_hash_table_iter_init (&env_iter, p->envs);
          while (g_hash_table_iter_next (&env_iter, &k, &v))
            {
              json_builder_set_member_name (b, k);
              json_builder_add_string_value (b, v);
            }
          json_builder_end_object (b);
          if (p->cwd)
            {
              json_builder_set_member_name (b, "cwd");
              json_builder_add_string_value (b, p->cwd);
            }
          json_builder_end_object (b);
          json_builder_set_member_name (b, "pid");
          json_builder_add_int_value (b, p->pid);
          if (p->tag)
            {
              json_builder_set_member_name (b, "tag");
              json_builder_add_string_value (b, p->tag);
            }
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  else if (g_str_equal (method_name, "SendSignal"))
    {
      ServerProcess *p = lookup_process (sb, req);
      const char *sig = json_object_get_string_member_with_default (req, "signal", "");

      if (p == NULL || p->ended)
        return set_connect_error (msg, "not_found", "process not found");
      if (g_str_equal (sig, "SIGNAL_SIGKILL"))
        server_process_signal (p, SIGKILL);
      else if (g_str_equal (sig, "SIGNAL_SIGTERM"))
        server_process_signal (p, SIGTERM);
      else
        return set_connect_error (msg, "invalid_argument", "invalid signal");
    }
  else
    return set_connect_error (msg, "unimplemented", "not implemented");

  json_builder_end_object (b);
  node = json_builder_get_root (b);
  set_json (msg, 200, node);
}

static JsonObject *
parse_envelope (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(JsonParser) parser = json_parser_new ();
  const guint8 *data = (const guint8 *) body->data;
  guint32 len;

  if (body->length < 5)
    return NULL;
  len = ((guint32) data[1] << 24) | ((guint32) data[2] << 16) | ((guint32) data[3] << 8) | data[4];
  if (data[0] != 0 || len != body->length - 5)
    return NULL;
  if (!json_parser_load_from_data (parser, (const char *) data + 5, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
handle_envd (TesseraE2bTestServer *self,
             SoupServerMessage    *msg,
             const char           *method,
             const char           *path,
             GHashTable           *query)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *id = soup_message_headers_get_one (headers, "E2b-Sandbox-Id");
  const char *host = g_uri_get_host (soup_server_message_get_uri (msg));
  const char *token = soup_message_headers_get_one (headers, "X-Access-Token");
  g_autofree char *host_id = NULL;
  ServerSandbox *sb;

  if (self->faults[TESSERA_E2B_TEST_FAULT_PROXY_ERROR] > 0)
    {
      self->faults[TESSERA_E2B_TEST_FAULT_PROXY_ERROR]--;
      soup_server_message_set_status (msg, 502, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "Bad Gateway\n", 12);
      return;
    }

  /* As E2B's proxy: "{port}-{id}.domain" hosts carry the sandbox in the
   * name; localhost, IP addresses and sandbox.domain use the headers. */
  if (host && g_ascii_isdigit (host[0]) && strchr (host, '-') && !g_hostname_is_ip_address (host))
    {
      const char *dash = strchr (host, '-');
      const char *dot = strchr (dash, '.');

      host_id = dot ? g_strndup (dash + 1, dot - dash - 1) : g_strdup (dash + 1);
      id = host_id;
    }

  if (id == NULL || (sb = g_hash_table_lookup (self->sandboxes, id)) == NULL)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "sandboxId");
      json_builder_add_string_value (b, id ? id : "");
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, "The sandbox was not found");
      json_builder_set_member_name (b, "code");
      json_builder_add_int_value (b, 502);
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      set_json (msg, 502, node);
      return;
    }
  if (sb->paused)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "sandboxId");
      json_builder_add_string_value (b, id);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, "The sandbox is paused");
      json_builder_set_member_name (b, "code");
      json_builder_add_int_value (b, 409);
      json_builder_set_member_name (b, "canAutoResume");
      json_builder_add_boolean_value (b, FALSE);
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      set_json (msg, 409, node);
      return;
    }

  if (g_str_equal (path, "/health"))
    {
      soup_server_message_set_status (msg, 204, NULL);
      return;
    }

  /* /files may be authorised by a signature instead (not supported here),
   * but a wrong token is always refused. */
  if ((token == NULL && !g_str_equal (path, "/files")) ||
      (token != NULL && !g_str_equal (token, sb->envd_token)))
    {
      set_rest_error (msg, 401, "unauthorized access, please provide a valid access token or method signing if supported");
      return;
    }

  if (g_str_equal (path, "/files"))
    {
      if (g_str_equal (method, "GET"))
        handle_files_get (sb, msg, query);
      else if (g_str_equal (method, "POST"))
        handle_files_post (sb, msg, query);
      else
        soup_server_message_set_status (msg, 405, NULL);
      return;
    }

  if (g_str_equal (method, "POST") &&
      (g_str_has_prefix (path, "/process.Process/") || g_str_has_prefix (path, "/filesystem.Filesystem/")))
    {
      const char *method_name = strrchr (path, '/') + 1;
      const char *content_type = soup_message_headers_get_content_type (headers, NULL);
      gboolean streaming = g_str_equal (path, "/process.Process/Start") || g_str_equal (path, "/process.Process/Connect");
      g_autoptr(JsonObject) req = NULL;

      if (streaming)
        {
          if (g_strcmp0 (content_type, "application/connect+json") != 0)
            {
              soup_server_message_set_status (msg, 415, NULL);
              return;
            }
          if ((req = parse_envelope (msg)) == NULL)
            return set_stream_error (msg, "invalid_argument", "malformed envelope");
          if (g_str_equal (method_name, "Start"))
            handle_process_start (self, sb, msg, req);
          else
            {
              ServerProcess *p = lookup_process (sb, req);
              StreamClient *client;

              if (p == NULL || p->ended)
                return set_stream_error (msg, "not_found", "process not found");
              client = attach_stream (self, p, msg);
              if (client->drop)
                stream_client_finish_full (client, FALSE, NULL, NULL);
            }
          return;
        }

      if (g_strcmp0 (content_type, "application/json") != 0 ||
          g_strcmp0 (soup_message_headers_get_one (headers, "Connect-Protocol-Version"), "1") != 0)
        return set_connect_error (msg, "invalid_argument", "expected Connect unary JSON with Connect-Protocol-Version: 1");
      if ((req = parse_object (msg)) == NULL)
        return set_connect_error (msg, "invalid_argument", "malformed JSON");
      if (g_str_has_prefix (path, "/process.Process/"))
        handle_process_unary (sb, msg, method_name, req);
      else
        handle_filesystem (sb, msg, method_name, req);
      return;
    }

  soup_server_message_set_status (msg, 404, NULL);
}

/* Dispatch --------------------------------------------------------------- */

static void
dispatch (TesseraE2bTestServer *self,
          SoupServerMessage    *msg,
          const char           *path,
          GHashTable           *query)
{
  const char *method = soup_server_message_get_method (msg);

  if (g_str_has_prefix (path, "/sandboxes") || g_str_has_prefix (path, "/v2/sandboxes"))
    handle_control_plane (self, msg, method, path, query);
  else
    handle_envd (self, msg, method, path, query);
}

typedef struct
{
  TesseraE2bTestServer *self;
  SoupServerMessage    *msg;
  char                 *path;
  GHashTable           *query;
} Delayed;

static gboolean
on_delayed (gpointer data)
{
  Delayed *d = data;

  dispatch (d->self, d->msg, d->path, d->query);
  soup_server_message_unpause (d->msg);
  g_object_unref (d->msg);
  g_object_unref (d->self);
  g_clear_pointer (&d->query, g_hash_table_unref);
  g_free (d->path);
  g_free (d);
  return G_SOURCE_REMOVE;
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  TesseraE2bTestServer *self = user_data;
  g_autofree char *key = g_strdup_printf ("%s %s", soup_server_message_get_method (msg), path);

  g_hash_table_replace (self->counts, g_strdup (key),
                        GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (self->counts, key)) + 1));
  self->total_count++;

  if (self->latency_ms > 0)
    {
      Delayed *d = g_new0 (Delayed, 1);

      d->self = g_object_ref (self);
      d->msg = g_object_ref (msg);
      d->path = g_strdup (path);
      d->query = query ? g_hash_table_ref (query) : NULL;
      soup_server_message_pause (msg);
      g_timeout_add (self->latency_ms, on_delayed, d);
      return;
    }

  dispatch (self, msg, path, query);
}

/* Object ----------------------------------------------------------------- */

static void
tessera_e2b_test_server_dispose (GObject *object)
{
  TesseraE2bTestServer *self = TESSERA_E2B_TEST_SERVER (object);

  if (self->server)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  if (self->sandboxes)
    g_hash_table_remove_all (self->sandboxes);

  G_OBJECT_CLASS (tessera_e2b_test_server_parent_class)->dispose (object);
}

static void
tessera_e2b_test_server_finalize (GObject *object)
{
  TesseraE2bTestServer *self = TESSERA_E2B_TEST_SERVER (object);

  g_clear_pointer (&self->sandboxes, g_hash_table_unref);
  g_clear_pointer (&self->counts, g_hash_table_unref);
  g_free (self->url);
  g_free (self->api_key);

  G_OBJECT_CLASS (tessera_e2b_test_server_parent_class)->finalize (object);
}

static void
tessera_e2b_test_server_class_init (TesseraE2bTestServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_e2b_test_server_dispose;
  object_class->finalize = tessera_e2b_test_server_finalize;
}

static void
tessera_e2b_test_server_init (TesseraE2bTestServer *self)
{
  self->sandboxes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) server_sandbox_free);
  self->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

TesseraE2bTestServer *
tessera_e2b_test_server_new (const char  *api_key,
                             GError     **error)
{
  g_autoptr(TesseraE2bTestServer) self = g_object_new (TESSERA_TYPE_E2B_TEST_SERVER, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoslist(GUri) uris = NULL;

  self->api_key = g_strdup (api_key);
  self->server = soup_server_new ("server-header", "tessera-e2b-test-server", NULL);
  soup_server_add_handler (self->server, NULL, server_callback, self, NULL);
  if (!soup_server_listen (self->server, address, 0, error))
    return NULL;
  uris = soup_server_get_uris (self->server);
  self->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  return g_steal_pointer (&self);
}

const char *
tessera_e2b_test_server_get_url (TesseraE2bTestServer *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_TEST_SERVER (self), NULL);
  return self->url;
}

const char *
tessera_e2b_test_server_get_api_key (TesseraE2bTestServer *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_TEST_SERVER (self), NULL);
  return self->api_key;
}

void
tessera_e2b_test_server_set_latency (TesseraE2bTestServer *self,
                                     guint                 latency_ms)
{
  g_return_if_fail (TESSERA_IS_E2B_TEST_SERVER (self));
  self->latency_ms = latency_ms;
}

void
tessera_e2b_test_server_inject_fault (TesseraE2bTestServer *self,
                                      TesseraE2bTestFault   fault,
                                      guint                 count)
{
  g_return_if_fail (TESSERA_IS_E2B_TEST_SERVER (self));
  g_return_if_fail (fault <= TESSERA_E2B_TEST_FAULT_DROP_STREAM);
  self->faults[fault] = count;
}

gboolean
tessera_e2b_test_server_expire_sandbox (TesseraE2bTestServer *self,
                                        const char           *sandbox_id)
{
  g_return_val_if_fail (TESSERA_IS_E2B_TEST_SERVER (self), FALSE);
  return g_hash_table_remove (self->sandboxes, sandbox_id);
}

guint
tessera_e2b_test_server_get_n_sandboxes (TesseraE2bTestServer *self)
{
  g_return_val_if_fail (TESSERA_IS_E2B_TEST_SERVER (self), 0);
  return g_hash_table_size (self->sandboxes);
}

const char *
tessera_e2b_test_server_get_sandbox_state (TesseraE2bTestServer *self,
                                           const char           *sandbox_id)
{
  ServerSandbox *sb;

  g_return_val_if_fail (TESSERA_IS_E2B_TEST_SERVER (self), NULL);
  if ((sb = g_hash_table_lookup (self->sandboxes, sandbox_id)) == NULL)
    return NULL;
  return sb->paused ? "paused" : "running";
}

GFile *
tessera_e2b_test_server_get_sandbox_home (TesseraE2bTestServer *self,
                                          const char           *sandbox_id)
{
  ServerSandbox *sb;

  g_return_val_if_fail (TESSERA_IS_E2B_TEST_SERVER (self), NULL);
  if ((sb = g_hash_table_lookup (self->sandboxes, sandbox_id)) == NULL)
    return NULL;
  return g_file_new_for_path (sb->root);
}

guint
tessera_e2b_test_server_get_request_count (TesseraE2bTestServer *self,
                                           const char           *method,
                                           const char           *path)
{
  GHashTableIter iter;
  gpointer key, value;
  guint total = 0;

  g_return_val_if_fail (TESSERA_IS_E2B_TEST_SERVER (self), 0);
  if (method == NULL && path == NULL)
    return self->total_count;

  g_hash_table_iter_init (&iter, self->counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *space = strchr (key, ' ');

      if (method && strncmp (key, method, space - (const char *) key) != 0)
        continue;
      if (method && strlen (method) != (gsize) (space - (const char *) key))
        continue;
      if (path && !g_str_equal (space + 1, path))
        continue;
      total += GPOINTER_TO_UINT (value);
    }
  return total;
}

void
tessera_e2b_test_server_reset_counts (TesseraE2bTestServer *self)
{
  g_return_if_fail (TESSERA_IS_E2B_TEST_SERVER (self));
  g_hash_table_remove_all (self->counts);
  self->total_count = 0;
}
