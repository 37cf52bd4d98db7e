/* bench-chat.c: a 1 MB answer through the whole window, end to end
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Issue 4's end-to-end targets: while the fake LLM server streams a 1 MB
 * multi-file answer as fast as it can, the UI's longest main-loop stall
 * stays under 16 ms and the turn completes in under 1 s; and the first
 * token reaches the screen within 16 ms of its first byte reaching the
 * client's socket.
 *
 * Each run opens a real TesseraWindow on a new temporary project (starter
 * page running in the local sandbox and the preview), waits until it is
 * ready, types a prompt and sends it as a person would. The fake LLM
 * server runs in a thread of its own with its own GMainContext, so the
 * work of producing the stream is not counted as the UI's; between it and
 * the window sits a byte-for-byte TCP relay (two threads per connection)
 * whose only job is to note the moment the first byte of the completion
 * response is written into the client's socket, the earliest point at
 * which the UI process could see it.
 *
 * Measured in the UI process:
 *   - turn: from the send action to the session's ::turn-finished;
 *   - stall: the longest gap between two dispatches of a 1 ms timeout at
 *     G_PRIORITY_HIGH during the turn (anything that blocks the main loop
 *     delays it);
 *   - frames: GdkFrameClock::after-paint count and longest interval
 *     during the turn (intervals include idle time when nothing changed);
 *   - first token to screen: from the first response byte on the socket
 *     to the end of the first frame (after-paint) in which the answer's
 *     markdown view has rendered content; also from the session's first
 *     ::text-delta, to separate the network and parsing share.
 *
 * Run under a display: xvfb-run -a dbus-run-session -- bench-chat [RUNS [KBYTES]]
 * (BENCH_TTFT_MS=N holds the completion's first bytes N ms: the first
 * token as it comes from a real model, after the window has settled.)
 */

#define G_LOG_DOMAIN "bench-chat"

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tessera-application.h"
#include "tessera-chat-pane.h"
#include "tessera-fake-llm-server.h"
#include "tessera-frame-pacer.h"
#include "tessera-markdown-view.h"
#include "tessera-message-row.h"
#include "tessera-preview-pane.h"
#include "tessera-test-ui.h"
#include "tessera-window.h"

#define TARGET_STALL_MS 16.0
#define TARGET_TURN_MS 1000.0
#define TARGET_FIRST_MS 16.0
#define AFTER_TURN_USEC (3 * G_USEC_PER_SEC)
/* With BENCH_TTFT_MS, frames drawn while the model "thinks" are counted
 * from this long after the send, past the frames that show it. */
#define WAIT_FROM_USEC (100 * 1000)

#define WAIT_UNTIL(condition)                                                   \
  G_STMT_START {                                                                \
    gint64 deadline_ = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;          \
    while (!(condition))                                                        \
      {                                                                         \
        if (g_get_monotonic_time () > deadline_)                                \
          g_error ("timed out waiting for %s", #condition);                     \
        g_main_context_iteration (NULL, TRUE);                                  \
      }                                                                         \
  } G_STMT_END

/* The fake server's thread. */

typedef struct
{
  GMutex                lock;
  GCond                 cond;
  const char           *answer;
  guint16               port;
  GMainContext         *context;
  GMainLoop            *loop;
} ServerThread;

static gpointer
server_thread_main (gpointer data)
{
  ServerThread *st = data;
  static const char *models[] = { "fake-coder", NULL };
  TesseraFakeLlmServer *server;

  g_main_context_push_thread_default (st->context);
  server = tessera_fake_llm_server_new ();
  tessera_fake_llm_server_set_models (server, models);
  /* Every completion request gets the big answer. */
  tessera_fake_llm_server_set_default_text (server, st->answer);

  g_mutex_lock (&st->lock);
  st->port = tessera_fake_llm_server_get_port (server);
  g_cond_signal (&st->cond);
  g_mutex_unlock (&st->lock);

  g_main_loop_run (st->loop);

  tessera_fake_llm_server_free (server);
  g_main_context_pop_thread_default (st->context);
  return NULL;
}

/* The relay: notes when the completion's first byte reaches the client. */

static GMutex relay_lock;
static gboolean completion_requested;
static gint64 first_byte_time;
static gint64 first_token_time;
static gint64 request_time;
/* BENCH_TTFT_MS, in microseconds. */
static gulong ttft_usec;

/* Whether @buffer holds a Chat Completions event with text: the first
 * token, not the response's headers or a delta with only the role. A
 * token split across two reads counts in the second, a little late. */
static gboolean
holds_token (const char *buffer,
             gsize       len)
{
  static const char key[] = "\"delta\":{\"content\":\"";
  const char *end = buffer + len;

  for (const char *p = buffer; (p = g_strstr_len (p, end - p, key)) != NULL; p++)
    if (p + sizeof key - 1 < end && p[sizeof key - 1] != '"')
      return TRUE;

  return FALSE;
}

typedef struct
{
  GSocketConnection *from;
  GSocketConnection *to;
  gboolean           upstream;
} Pump;

static gpointer
pump_main (gpointer data)
{
  Pump *pump = data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (pump->from));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (pump->to));
  g_autofree char *buffer = g_malloc (64 * 1024);

  for (;;)
    {
      gssize n = g_input_stream_read (in, buffer, 64 * 1024, NULL, NULL);

      if (n <= 0)
        break;

      /* The request line is in the first piece a request is written in. */
      if (pump->upstream && g_strstr_len (buffer, MIN (n, 256), "/chat/completions") != NULL)
        {
          g_mutex_lock (&relay_lock);
          if (!completion_requested)
            request_time = g_get_monotonic_time ();
          completion_requested = TRUE;
          g_mutex_unlock (&relay_lock);
        }

      /* BENCH_TTFT_MS=N: the completion's first bytes wait N ms, as a
       * model takes a while to its first token; the window is then in
       * its steady waiting state when they come, not still drawing the
       * frame that shows the sent message, as with an answer at once. */
      if (!pump->upstream && ttft_usec > 0)
        {
          gboolean first;

          g_mutex_lock (&relay_lock);
          first = completion_requested && first_byte_time == 0;
          g_mutex_unlock (&relay_lock);
          if (first)
            g_usleep (ttft_usec);
        }

      if (!g_output_stream_write_all (out, buffer, n, NULL, NULL, NULL))
        break;

      if (!pump->upstream)
        {
          gint64 now = g_get_monotonic_time ();

          g_mutex_lock (&relay_lock);
          if (completion_requested && first_byte_time == 0)
            first_byte_time = now;
          if (completion_requested && first_token_time == 0 && holds_token (buffer, n))
            first_token_time = now;
          g_mutex_unlock (&relay_lock);
        }
    }

  /* Either side gone: end both, which also ends the other pump. */
  g_socket_shutdown (g_socket_connection_get_socket (pump->to), FALSE, TRUE, NULL);
  g_socket_shutdown (g_socket_connection_get_socket (pump->from), TRUE, FALSE, NULL);
  return NULL;
}

static gpointer
relay_main (gpointer data)
{
  GSocketListener *listener = data;
  guint16 upstream_port = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (listener), "upstream-port"));

  for (;;)
    {
      g_autoptr(GSocketConnection) client = g_socket_listener_accept (listener, NULL, NULL, NULL);
      g_autoptr(GSocketClient) connector = g_socket_client_new ();
      GSocketConnection *server;
      Pump *up, *down;

      if (client == NULL)
        break;
      server = g_socket_client_connect_to_host (connector, "127.0.0.1", upstream_port, NULL, NULL);
      if (server == NULL)
        g_error ("the relay cannot reach the fake server");
      g_socket_set_option (g_socket_connection_get_socket (server), IPPROTO_TCP, TCP_NODELAY, 1, NULL);
      g_socket_set_option (g_socket_connection_get_socket (client), IPPROTO_TCP, TCP_NODELAY, 1, NULL);

      /* The pumps live as long as the process: a bench, a few connections. */
      up = g_new0 (Pump, 1);
      up->from = g_object_ref (client);
      up->to = g_object_ref (server);
      up->upstream = TRUE;
      down = g_new0 (Pump, 1);
      down->from = server;
      down->to = g_object_ref (client);
      g_thread_unref (g_thread_new ("relay-up", pump_main, up));
      g_thread_unref (g_thread_new ("relay-down", pump_main, down));
    }
  return NULL;
}

static guint16
start_relay (guint16 upstream_port)
{
  GSocketListener *listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, &effective, &error))
    g_error ("relay: %s", error->message);
  g_object_set_data (G_OBJECT (listener), "upstream-port", GUINT_TO_POINTER (upstream_port));
  g_thread_unref (g_thread_new ("relay", relay_main, listener));

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
}

/* A realistic answer: prose in Markdown between many files of HTML, CSS
 * and JavaScript, some with markup in template strings. */

static void
append_prose (GString *answer,
              guint    n)
{
  g_string_append_printf (answer,
                          "Next, **component %u** keeps its state in a small store, so the list and the "
                          "counter stay in sync. It uses `render()` from the previous file and adds:\n\n"
                          "- a filter that hides finished items,\n"
                          "- keyboard shortcuts (`Enter` adds, `Delete` removes),\n"
                          "- an empty state that says *Nothing to do*.\n\n",
                          n);
}

static void
append_js (GString *answer,
           guint    n)
{
  g_string_append_printf (answer, "<tessera-write path=\"src/components/part%u.js\">\n", n);
  g_string_append_printf (answer, "import { store, render } from '../store.js';\n\n"
                                  "// Part %u of the app: a list with its own filter.\n"
                                  "export class Part%u extends HTMLElement {\n"
                                  "  connectedCallback () {\n"
                                  "    this.items = store.get ('items-%u') ?? [];\n"
                                  "    this.update ();\n"
                                  "  }\n\n", n, n, n);
  for (guint i = 0; i < 60; i++)
    g_string_append_printf (answer,
                            "  method%u (items) {\n"
                            "    return items.filter ((x) => x.id < %u && !x.done).map ((x) => `<li class=\"item\">${x.title}</li>`).join ('');\n"
                            "  }\n",
                            i, i * 7 + n);
  g_string_append (answer, "  update () {\n    this.innerHTML = `<ul>${this.method0 (this.items)}</ul>`;\n  }\n}\n\n");
  g_string_append_printf (answer, "customElements.define ('part-%u', Part%u);\n</tessera-write>\n\n", n, n);
}

static void
append_css (GString *answer,
            guint    n)
{
  g_string_append_printf (answer, "<tessera-write path=\"styles/part%u.css\">\n", n);
  for (guint i = 0; i < 40; i++)
    g_string_append_printf (answer,
                            ".part-%u .item-%u {\n  display: flex;\n  gap: %upx;\n  color: #%06x;\n"
                            "  background: linear-gradient(90deg, #fafafa, #eeeeee);\n}\n",
                            n, i, i % 12, (n * 2654435761u + i) & 0xffffff);
  g_string_append (answer, "</tessera-write>\n\n");
}

/* The start of the answer's last paragraph, as the chat shows it: the
 * chat has caught up with the answer once a label shows it. */
static char *last_paragraph;

static char *
make_answer (gsize  size,
             guint *n_files)
{
  GString *answer = g_string_new ("I'll build the whole app now: a page, a stylesheet per part and a "
                                  "script per component. Here is the plan:\n\n"
                                  "1. `index.html` loads everything.\n"
                                  "2. Each part is a custom element.\n\n");
  guint n = 0;

  g_string_append (answer, "<tessera-write path=\"index.html\">\n<!doctype html>\n<html>\n<head>\n"
                           "<meta charset=\"utf-8\">\n<title>Parts</title>\n"
                           "<link rel=\"stylesheet\" href=\"style.css\">\n</head>\n<body>\n"
                           "<h1 id=\"title\">Parts</h1>\n<main id=\"app\"></main>\n"
                           "<script type=\"module\" src=\"src/main.js\"></script>\n</body>\n</html>\n"
                           "</tessera-write>\n\n");
  *n_files = 1;
  while (answer->len < size)
    {
      append_prose (answer, n);
      g_free (last_paragraph);
      last_paragraph = g_strdup_printf ("Next, component %u keeps", n);
      if (n % 3 == 2)
        append_css (answer, n);
      else
        append_js (answer, n);
      (*n_files)++;
      n++;
    }
  g_string_append (answer, "<tessera-summary>Built the app from its parts, each a component with "
                           "its own styles.</tessera-summary>\n");

  return g_string_free (answer, FALSE);
}

/* Asks the fake server for the answer once, as Tessera will, so that it
 * has its events rendered before the clock starts (it keeps the last big
 * answer's): the server's work is not the UI's. */
static void
warm_up (guint16 port)
{
  static const char body[] =
    "{\"model\":\"fake-coder\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
    "\"messages\":[{\"role\":\"user\",\"content\":\"warm up\"}]}";
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/v1/chat/completions", port);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) request = g_bytes_new_static (body, sizeof body - 1);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;

  soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization", "Bearer sk-bench-chat");
  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  if (!(reply = soup_session_send_and_read (session, msg, NULL, &error)))
    g_error ("the fake server did not answer the warm-up: %s", error->message);
}

/* Helpers to find the window's parts. */

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type,
                 gboolean   last)
{
  GtkWidget *found = g_type_is_a (G_OBJECT_TYPE (widget), type) ? widget : NULL;

  if (found != NULL && !last)
    return found;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *inner = find_descendant (child, type, last);

      if (inner != NULL)
        {
          found = inner;
          if (!last)
            break;
        }
    }

  return found;
}

/* One run's measurements. */

typedef struct
{
  gint64 main;
  gint64 workers;
  gint64 bench;
} CpuSplit;

typedef struct
{
  TesseraChatPane *chat;
  gboolean         running;
  gboolean         finished;
  TesseraTurnStatus status;
  gint64           send_time;
  gint64           finish_time;
  gint64           first_delta_time;
  gint64           drawn_time;
  gint64           last_tick;
  gint64           longest_gap;
  gint64           longest_gap_at;
  guint            n_long_gaps;
  /* After the turn, while the panes catch up with a fast answer. */
  gint64           longest_gap_after;
  gint64           last_frame;
  gint64           longest_frame;
  guint            n_frames;
  /* Drawn while the model thinks: from WAIT_FROM_USEC after the send
   * (its own frames) to the first words. */
  guint            n_frames_waiting;
  /* The main thread's CPU time over the same span. */
  gint64           wait_cpu_start;
  gint64           wait_cpu;
  guint            n_files;
  gint64           first_delta_to_end;
  /* When the chat first showed the answer's last paragraph. */
  gint64           caught_up_time;
  /* CPU time used from the send to the end of the turn. */
  CpuSplit         cpu_at_send;
  CpuSplit         cpu;
} Run;

static gboolean
shows_label_starting (GtkWidget  *widget,
                      const char *prefix)
{
  if (GTK_IS_LABEL (widget) && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (widget)), prefix))
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_last_child (widget); child; child = gtk_widget_get_prev_sibling (child))
    {
      if (shows_label_starting (child, prefix))
        return TRUE;
    }
  return FALSE;
}

/* Polled after the turn only, and its own time taken out of the stall
 * probe's gaps: walking the chat is the bench's work, not the app's. */
static gboolean
caught_up_cb (gpointer user_data)
{
  Run *run = user_data;
  gint64 start = g_get_monotonic_time ();
  gboolean shown = shows_label_starting (GTK_WIDGET (run->chat), last_paragraph);
  gint64 end = g_get_monotonic_time ();

  if (run->last_tick != 0)
    run->last_tick += end - start;
  if (!shown)
    return G_SOURCE_CONTINUE;
  run->caught_up_time = end;
  return G_SOURCE_REMOVE;
}

static gint64
thread_cpu_time (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gboolean
tick_cb (gpointer user_data)
{
  Run *run = user_data;
  gint64 now = g_get_monotonic_time ();

  if (run->last_tick != 0 && (run->running || run->finished))
    {
      gint64 gap = now - run->last_tick;

      /* BENCH_STALLS=1: each long gap in monotonic seconds, to match
       * against `perf record -k CLOCK_MONOTONIC` samples. */
      if (gap > TARGET_STALL_MS * 1000 && g_getenv ("BENCH_STALLS"))
        g_print ("stall %.6f %.6f %.1f ms%s\n", run->last_tick / 1e6, now / 1e6, gap / 1000.0,
                 run->running ? "" : " (after the turn)");
      if (!run->running)
        run->longest_gap_after = MAX (run->longest_gap_after, gap);
      else
        {
          if (gap > TARGET_STALL_MS * 1000)
            run->n_long_gaps++;
          if (gap > run->longest_gap)
            {
              run->longest_gap = gap;
              run->longest_gap_at = run->last_tick - run->send_time;
            }
        }
    }
  if (run->running && run->first_delta_time == 0 && run->wait_cpu_start == 0 &&
      now - run->send_time > WAIT_FROM_USEC)
    run->wait_cpu_start = thread_cpu_time ();
  run->last_tick = now;
  return G_SOURCE_CONTINUE;
}

/* TRUE once the answer's row shows rendered text. */
static gboolean
answer_rendered (Run *run)
{
  GtkWidget *row = find_descendant (GTK_WIDGET (run->chat), TESSERA_TYPE_MESSAGE_ROW, TRUE);
  GtkWidget *view;

  if (row == NULL || tessera_message_row_get_from_user (TESSERA_MESSAGE_ROW (row)))
    return FALSE;
  view = find_descendant (row, TESSERA_TYPE_MARKDOWN_VIEW, FALSE);
  return view != NULL && gtk_widget_get_mapped (view) && gtk_widget_get_first_child (view) != NULL;
}

static void prof_frame (GdkFrameClock *clock,
                        gint64         since_send);

/* BENCH_PROFILE, read once: it is asked for every frame. */
static int
profile_level (void)
{
  static int level = -1;

  if (level < 0)
    level = g_getenv ("BENCH_PROFILE") != NULL ? atoi (g_getenv ("BENCH_PROFILE")) : 0;

  return level;
}

static void
after_paint_cb (GdkFrameClock *clock,
                Run           *run)
{
  gint64 now = g_get_monotonic_time ();

  if (run->drawn_time == 0 && run->first_delta_time != 0 && answer_rendered (run))
    run->drawn_time = now;

  if (!run->running)
    return;

  run->n_frames++;
  if (run->first_delta_time == 0 && now - run->send_time > WAIT_FROM_USEC)
    run->n_frames_waiting++;
  if (profile_level () >= 2)
    prof_frame (clock, now - run->send_time);
  if (run->last_frame != 0)
    run->longest_frame = MAX (run->longest_frame, now - run->last_frame);
  run->last_frame = now;
}

static void
text_delta_cb (TesseraSession     *session,
               TesseraChatMessage *message,
               const char         *text,
               Run                *run)
{
  if (run->first_delta_time == 0)
    {
      run->first_delta_time = g_get_monotonic_time ();
      if (run->wait_cpu_start != 0)
        run->wait_cpu = thread_cpu_time () - run->wait_cpu_start;
    }
}

static void
action_end_cb (TesseraSession     *session,
               TesseraChatMessage *message,
               TesseraAction      *action,
               Run                *run)
{
  if (tessera_action_get_kind (action) == TESSERA_ACTION_WRITE &&
      tessera_action_get_status (action) == TESSERA_ACTION_APPLIED)
    run->n_files++;
}

/* The CPU time each part of the process used during the turn, from
 * /proc/self/task/N/schedstat (nanoseconds on the CPU): the main thread,
 * Tessera's other threads (the stream's reader and parser, the apply
 * thread, GLib's own), and the bench's fake server and relay, which a
 * real provider would not put on this machine. They share its CPUs. */
static gint64
task_cpu_usec (const char *task)
{
  g_autofree char *path = g_build_filename ("/proc/self/task", task, "schedstat", NULL);
  g_autofree char *stat = NULL;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return 0;
  return g_ascii_strtoll (stat, NULL, 10) / 1000;
}

static gboolean
is_bench_thread (const char *task)
{
  g_autofree char *path = g_build_filename ("/proc/self/task", task, "comm", NULL);
  g_autofree char *name = NULL;

  if (!g_file_get_contents (path, &name, NULL, NULL))
    return FALSE;
  return g_str_has_prefix (name, "fake-llm") || g_str_has_prefix (name, "relay");
}

static CpuSplit
cpu_split (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  g_autofree char *main_task = g_strdup_printf ("%d", getpid ());
  CpuSplit split = { 0 };
  const char *task;

  while (dir != NULL && (task = g_dir_read_name (dir)) != NULL)
    {
      gint64 usec = task_cpu_usec (task);

      if (g_str_equal (task, main_task))
        split.main += usec;
      else if (is_bench_thread (task))
        split.bench += usec;
      else
        split.workers += usec;
    }

  return split;
}

static void
turn_finished_cb (TesseraSession     *session,
                  TesseraChatMessage *message,
                  TesseraTurnStatus   status,
                  const GError       *error,
                  Run                *run)
{
  if (!run->running)
    return;
  run->finish_time = g_get_monotonic_time ();
  run->cpu = cpu_split ();
  run->cpu.main -= run->cpu_at_send.main;
  run->cpu.workers -= run->cpu_at_send.workers;
  run->cpu.bench -= run->cpu_at_send.bench;
  run->status = status;
  run->running = FALSE;
  run->finished = TRUE;
  if (status != TESSERA_TURN_COMPLETE)
    g_printerr ("turn ended with status %s: %s\n", tessera_turn_status_to_string (status),
                error ? error->message : "no error");
}

/* BENCH_PROFILE=1: where the main loop's time goes during the turn, by
 * session signal (all its handlers) and by frame phase (update: tick
 * callbacks and animations; layout; paint). An emission hook, which runs
 * before every handler, starts the clock; a handler connected after all
 * the others stops it. */
typedef struct
{
  const char *name;
  gint64      start;
  gint64      total;
  gint64      max;
  gint64      last;
  guint       n;
} Prof;
static Prof prof[16];
static guint n_prof;

static Prof *
prof_get (const char *name)
{
  for (guint i = 0; i < n_prof; i++)
    if (g_str_equal (prof[i].name, name))
      return &prof[i];
  prof[n_prof].name = name;
  return &prof[n_prof++];
}

static void
prof_begin (const char *name)
{
  prof_get (name)->start = g_get_monotonic_time ();
}

static void
prof_end (const char *name)
{
  Prof *p = prof_get (name);
  gint64 d = g_get_monotonic_time () - p->start;

  p->total += d;
  p->max = MAX (p->max, d);
  p->last = d;
  p->n++;
}

/* BENCH_PROFILE=2 also lists each frame longer than 12 ms by phase, with
 * the whole frame from its first phase (before-paint) to this
 * after-paint handler, and how much of that the main thread was on the
 * CPU; BENCH_PROFILE=3 lists every frame. BENCH_WINDOWS=1 adds the whole
 * frame and its update phase in monotonic seconds, to match perf samples
 * against. */
static gint64 frame_start_cpu;

static void
prof_frame (GdkFrameClock *clock,
            gint64         since_send)
{
  gint64 before = prof_get ("before-paint")->start;
  gint64 update_start = prof_get ("update")->start;
  gint64 update = prof_get ("update")->last;
  gint64 layout = prof_get ("layout")->last;
  gint64 paint = prof_get ("paint")->last;
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = thread_cpu_time () - frame_start_cpu;
  int slot = gdk_frame_clock_get_frame_counter (clock) % TESSERA_FRAME_SLOT_PERIOD;

  if (now - before > 12000 || profile_level () >= 3)
    g_print ("  frame at %6.1f ms (slot %d): update %4.1f, layout %4.1f, paint %4.1f, whole %4.1f (cpu %4.1f) ms\n",
             since_send / 1000.0, slot, update / 1000.0, layout / 1000.0, paint / 1000.0,
             (now - before) / 1000.0, cpu / 1000.0);
  if (now - before > 12000 && g_getenv ("BENCH_WINDOWS"))
    g_print ("slow-frame %d %.6f %.6f\nslow-update %d %.6f %.6f\n", slot, before / 1e6, now / 1e6,
             slot, update_start / 1e6, (update_start + update) / 1e6);
  prof_get ("update")->last = prof_get ("layout")->last = prof_get ("paint")->last = 0;
}

static gboolean
emission_hook (GSignalInvocationHint *hint, guint n, const GValue *values, gpointer data)
{
  if (g_str_equal (data, "before-paint"))
    frame_start_cpu = thread_cpu_time ();
  prof_begin (data);
  return TRUE;
}


static void
prof_print (void)
{
  for (guint i = 0; i < n_prof; i++)
    g_print ("  %-14s n %6u  total %8.1f ms  max %7.1f ms\n", prof[i].name, prof[i].n,
             prof[i].total / 1000.0, prof[i].max / 1000.0);
  n_prof = 0;
  memset (prof, 0, sizeof prof);
}

/* Runs the main loop for @usec without blocking in it longer than 10 ms. */
static void
settle (gint64 usec)
{
  gint64 until = g_get_monotonic_time () + usec;

  while (g_get_monotonic_time () < until)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

static void
one_run (TesseraApplication *app,
         Run                *run)
{
  g_autofree char *tmp = g_dir_make_tmp ("tessera-bench-chat-XXXXXX", NULL);
  g_autoptr(GFile) root = g_file_new_build_filename (tmp, "parts", NULL);
  TesseraWindow *window;
  TesseraPreviewPane *preview;
  TesseraSession *session;
  WebKitWebView *web_view;
  GtkTextBuffer *buffer;
  GdkFrameClock *clock;
  gulong paint_id;
  guint tick_id;

  window = tessera_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  gtk_window_present (GTK_WINDOW (window));
  tessera_window_open_project (window, root, TRUE);
  WAIT_UNTIL (tessera_window_get_project (window) != NULL);

  run->chat = TESSERA_CHAT_PANE (find_descendant (GTK_WIDGET (window), TESSERA_TYPE_CHAT_PANE, FALSE));
  preview = TESSERA_PREVIEW_PANE (find_descendant (GTK_WIDGET (window), TESSERA_TYPE_PREVIEW_PANE, FALSE));
  g_assert (run->chat != NULL && preview != NULL);
  web_view = tessera_preview_pane_get_web_view (preview);
  WAIT_UNTIL (tessera_session_get_model (tessera_chat_pane_get_session (run->chat)) != NULL);
  WAIT_UNTIL (webkit_web_view_get_uri (web_view) != NULL && !webkit_web_view_is_loading (web_view));
  session = tessera_chat_pane_get_session (run->chat);

  /* Let the first frames and the preview settle. */
  settle (G_USEC_PER_SEC / 2);

  g_signal_connect (session, "text-delta", G_CALLBACK (text_delta_cb), run);
  g_signal_connect (session, "action-end", G_CALLBACK (action_end_cb), run);
  g_signal_connect (session, "turn-finished", G_CALLBACK (turn_finished_cb), run);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  if (g_getenv ("BENCH_PROFILE"))
    {
      static const char *names[] = { "text-delta", "action-begin", "action-delta", "action-end" };
      static const char *phases[] = { "update", "layout", "paint" };
      static gboolean hooked;

      /* Swapped: the handler gets the name first and ignores the rest. */
      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        {
          if (!hooked)
            g_signal_add_emission_hook (g_signal_lookup (names[i], TESSERA_TYPE_SESSION), 0,
                                        emission_hook, (gpointer) names[i], NULL);
          g_signal_connect_data (session, names[i], G_CALLBACK (prof_end), (gpointer) names[i], NULL,
                                 G_CONNECT_SWAPPED | G_CONNECT_AFTER);
        }
      for (guint i = 0; i < G_N_ELEMENTS (phases); i++)
        {
          if (!hooked)
            g_signal_add_emission_hook (g_signal_lookup (phases[i], GDK_TYPE_FRAME_CLOCK), 0,
                                        emission_hook, (gpointer) phases[i], NULL);
          g_signal_connect_data (clock, phases[i], G_CALLBACK (prof_end), (gpointer) phases[i], NULL,
                                 G_CONNECT_SWAPPED | G_CONNECT_AFTER);
        }
      if (!hooked)
        g_signal_add_emission_hook (g_signal_lookup ("before-paint", GDK_TYPE_FRAME_CLOCK), 0,
                                    emission_hook, (gpointer) "before-paint", NULL);
      hooked = TRUE;
    }
  paint_id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), run);
  tick_id = g_timeout_add_full (G_PRIORITY_HIGH, 1, tick_cb, run, NULL);

  buffer = gtk_text_view_get_buffer (tessera_chat_pane_get_prompt_view (run->chat));
  gtk_text_buffer_set_text (buffer, "Build an app of many parts", -1);

  g_mutex_lock (&relay_lock);
  completion_requested = FALSE;
  first_byte_time = 0;
  first_token_time = 0;
  request_time = 0;
  g_mutex_unlock (&relay_lock);

  run->running = TRUE;
  run->last_tick = 0;
  run->cpu_at_send = cpu_split ();
  run->send_time = g_get_monotonic_time ();
  gtk_widget_activate_action (GTK_WIDGET (run->chat), "chat.send", NULL);
  WAIT_UNTIL (run->finished);
  /* The first token may be drawn in a frame after the end of a fast turn. */
  WAIT_UNTIL (run->drawn_time != 0);
  /* The panes take a while longer to show a 1 MB answer streamed far
   * faster than any model writes: are they still responsive meanwhile? */
  {
    gint64 until = g_get_monotonic_time () + AFTER_TURN_USEC;

    g_timeout_add (10, caught_up_cb, run);
    WAIT_UNTIL (g_get_monotonic_time () > until);
    /* A chat that lags by more than the window is waited for. */
    WAIT_UNTIL (run->caught_up_time != 0);
  }

  g_source_remove (tick_id);
  g_signal_handler_disconnect (clock, paint_id);
  if (g_getenv ("BENCH_PROFILE"))
    {
      g_signal_handlers_disconnect_matched (clock, G_SIGNAL_MATCH_FUNC, 0, 0, NULL, prof_end, NULL);
      g_signal_handlers_disconnect_matched (session, G_SIGNAL_MATCH_FUNC, 0, 0, NULL, prof_end, NULL);
      prof_print ();
    }
  g_signal_handlers_disconnect_by_data (session, run);
  if (g_getenv ("BENCH_SHOT"))
    {
      /* BENCH_SHOT=FILE.png: the window three seconds after the turn. */
      tessera_test_render_png (GTK_WIDGET (window), g_getenv ("BENCH_SHOT"));
    }
  gtk_window_destroy (GTK_WINDOW (window));
  settle (G_USEC_PER_SEC / 2);
  {
    g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmp);

    if (system (rm) != 0)
      g_printerr ("could not remove %s\n", tmp);
  }
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *values,
        guint   n)
{
  g_autofree double *sorted = g_memdup2 (values, n * sizeof (double));

  qsort (sorted, n, sizeof (double), compare_doubles);
  return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

int
main (int   argc,
      char *argv[])
{
  ServerThread st = { 0 };
  g_autoptr(TesseraApplication) app = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *url = NULL;
  guint n_runs = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 5;
  gsize kbytes = argc > 2 ? g_ascii_strtoull (argv[2], NULL, 10) : 1024;
  guint n_files = 0;
  GThread *thread;
  guint16 relay_port;
  double turn[64], stall[64], stall_after[64], frame[64], first[64], token_first[64], delta_first[64], frames[64], caught_up[64];
  double cpu_main[64], cpu_workers[64], cpu_bench[64];
  double waiting_fps[64], waiting_cpu[64];

  n_runs = CLAMP (n_runs, 1, G_N_ELEMENTS (turn));

  /* No settings of the person running it; the uninstalled schema. */
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  if (g_getenv ("GSETTINGS_SCHEMA_DIR") == NULL)
    g_setenv ("GSETTINGS_SCHEMA_DIR", BENCH_SCHEMA_DIR, TRUE);
  g_setenv ("NO_AT_BRIDGE", "1", TRUE);

  gtk_init ();
  adw_init ();

  answer = make_answer (MAX (kbytes, 1) * 1024, &n_files);
  g_mutex_init (&st.lock);
  g_cond_init (&st.cond);
  st.answer = answer;
  st.context = g_main_context_new ();
  st.loop = g_main_loop_new (st.context, FALSE);
  thread = g_thread_new ("fake-llm", server_thread_main, &st);
  g_mutex_lock (&st.lock);
  while (st.port == 0)
    g_cond_wait (&st.cond, &st.lock);
  g_mutex_unlock (&st.lock);

  warm_up (st.port);
  if (g_getenv ("BENCH_TTFT_MS"))
    ttft_usec = strtoul (g_getenv ("BENCH_TTFT_MS"), NULL, 10) * 1000;
  relay_port = start_relay (st.port);
  url = g_strdup_printf ("http://127.0.0.1:%u/v1", relay_port);
  g_setenv ("OPENAI_BASE_URL", url, TRUE);
  g_setenv ("OPENAI_API_KEY", "sk-bench-chat", TRUE);

  app = tessera_application_new ();
  g_application_set_flags (G_APPLICATION (app),
                           g_application_get_flags (G_APPLICATION (app)) | G_APPLICATION_NON_UNIQUE);
  if (!g_application_register (G_APPLICATION (app), NULL, NULL))
    g_error ("cannot register the application");

  g_print ("answer: %.2f MB, %u files, streamed by the fake server in its own thread\n",
           strlen (answer) / (1024.0 * 1024.0), n_files);
  g_print ("%-4s %9s %9s %10s %7s %12s %12s %12s %6s\n",
           "run", "turn ms", "stall ms", "frame ms", "frames", "byte→draw", "token→draw", "delta→draw", "files");

  for (guint i = 0; i < n_runs; i++)
    {
      Run run = { 0 };
      gint64 first_byte;
      gint64 first_token;

      one_run (app, &run);
      g_mutex_lock (&relay_lock);
      first_byte = first_byte_time;
      first_token = first_token_time;
      g_mutex_unlock (&relay_lock);

      turn[i] = (run.finish_time - run.send_time) / 1000.0;
      stall[i] = run.longest_gap / 1000.0;
      stall_after[i] = run.longest_gap_after / 1000.0;
      frame[i] = run.longest_frame / 1000.0;
      frames[i] = run.n_frames;
      first[i] = first_byte != 0 ? (run.drawn_time - first_byte) / 1000.0 : -1;
      token_first[i] = first_token != 0 ? (run.drawn_time - first_token) / 1000.0 : -1;
      delta_first[i] = (run.drawn_time - run.first_delta_time) / 1000.0;
      {
        gint64 waited = run.first_delta_time - run.send_time - WAIT_FROM_USEC;

        waiting_fps[i] = waited > WAIT_FROM_USEC ? run.n_frames_waiting * (double) G_USEC_PER_SEC / waited : -1;
        waiting_cpu[i] = waited > WAIT_FROM_USEC ? run.wait_cpu * 1000.0 / waited : -1;
      }
      g_print ("%-4u %9.1f %9.1f %10.1f %7u %12.1f %12.1f %12.1f %6u%s\n",
               i + 1, turn[i], stall[i], frame[i], run.n_frames, first[i], token_first[i], delta_first[i], run.n_files,
               run.status == TESSERA_TURN_COMPLETE ? "" : "  (turn not complete)");
      g_print ("     %u stalls over %.0f ms; the longest began %.1f ms after send; "
               "request out at %.1f ms, first byte at %.1f ms, first token at %.1f ms, first delta at %.1f ms; "
               "longest stall in the %.0f s after the turn %.1f ms\n",
               run.n_long_gaps, TARGET_STALL_MS, run.longest_gap_at / 1000.0,
               (request_time - run.send_time) / 1000.0, (first_byte - run.send_time) / 1000.0,
               (first_token - run.send_time) / 1000.0, (run.first_delta_time - run.send_time) / 1000.0,
               AFTER_TURN_USEC / (double) G_USEC_PER_SEC, stall_after[i]);
      caught_up[i] = (run.caught_up_time - run.send_time) / 1000.0;
      g_print ("     the chat showed the answer's last paragraph %.0f ms after the send\n", caught_up[i]);
      cpu_main[i] = run.cpu.main / 1000.0;
      cpu_workers[i] = run.cpu.workers / 1000.0;
      cpu_bench[i] = run.cpu.bench / 1000.0;
      g_print ("     CPU during the turn: main thread %.0f ms, Tessera's other threads %.0f ms, "
               "the bench's server and relay %.0f ms\n", cpu_main[i], cpu_workers[i], cpu_bench[i]);
      if (waiting_fps[i] >= 0)
        g_print ("     while the model thought: %.1f frames and %.1f ms of the main thread's CPU a second\n",
                 waiting_fps[i], waiting_cpu[i]);
    }

  {
    double m_turn = median (turn, n_runs);
    double m_stall = median (stall, n_runs);
    double m_token = median (token_first, n_runs);

    g_print ("\nmedians over %u runs:\n", n_runs);
    g_print ("  turn (send to finished):        %8.1f ms  target < %.0f ms: %s\n",
             m_turn, TARGET_TURN_MS, m_turn < TARGET_TURN_MS ? "met" : "MISSED");
    g_print ("  longest main-loop stall:        %8.1f ms  target < %.0f ms: %s\n",
             m_stall, TARGET_STALL_MS, m_stall < TARGET_STALL_MS ? "met" : "MISSED");
    g_print ("  the same, %.0f s after the turn:  %8.1f ms  (the panes catching up)\n",
             AFTER_TURN_USEC / (double) G_USEC_PER_SEC, median (stall_after, n_runs));
    g_print ("  chat caught up with the answer: %8.0f ms after the send\n", median (caught_up, n_runs));
    g_print ("  CPU during the turn:            %8.0f ms main thread, %.0f ms Tessera's other threads,\n"
             "                                  %.0f ms the bench's server and relay\n",
             median (cpu_main, n_runs), median (cpu_workers, n_runs), median (cpu_bench, n_runs));
    g_print ("  longest frame interval:         %8.1f ms  (%.0f frames)\n",
             median (frame, n_runs), median (frames, n_runs));
    g_print ("  first token on socket to drawn: %8.1f ms  target < %.0f ms: %s\n",
             m_token, TARGET_FIRST_MS, m_token >= 0 && m_token < TARGET_FIRST_MS ? "met" : "MISSED");
    if (ttft_usec == 0)
      g_print ("                                  (the fake server answers while the sent message is still being\n"
               "                                  drawn; a model thinks first: BENCH_TTFT_MS=300 measures that)\n");
    g_print ("  response's first byte to drawn: %8.1f ms  (also the server's wait from its headers to its first token)\n",
             median (first, n_runs));
    g_print ("  first ::text-delta to drawn:    %8.1f ms\n", median (delta_first, n_runs));
    if (median (waiting_fps, n_runs) >= 0)
      {
        g_print ("  frames while the model thought: %8.1f a second\n", median (waiting_fps, n_runs));
        g_print ("  main thread's CPU meanwhile:    %8.1f ms a second (the bench's 1 ms tick included)\n",
                 median (waiting_cpu, n_runs));
      }
  }

  /* The server and relay threads end with the process: the fake server's
   * teardown would wait for connections the hidden windows keep open. */
  g_main_loop_quit (st.loop);
  g_thread_unref (thread);

  return 0;
}
