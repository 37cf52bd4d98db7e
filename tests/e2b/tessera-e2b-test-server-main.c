/* tessera-e2b-test-server-main.c: the loopback E2B server as a program
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Prints E2B_API_URL=, E2B_SANDBOX_URL=, E2B_DOMAIN= and E2B_API_KEY= lines
 * (shell syntax) once it listens, then serves until stdin closes or it
 * gets SIGTERM/SIGINT, so that a parent (the SDK conformance test, a
 * benchmark) owns its lifetime.
 */

#define G_LOG_DOMAIN "tessera-e2b-test-server"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib-unix.h>

#include "tessera-e2b-test-server.h"

static gboolean
on_quit (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static gboolean
on_stdin (int          fd,
          GIOCondition condition,
          gpointer     data)
{
  char buf[256];

  if (read (fd, buf, sizeof buf) <= 0)
    {
      g_main_loop_quit (data);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(TesseraE2bTestServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *api_key = NULL;
  int latency = 0;
  gboolean watch_stdin = FALSE;
  GOptionEntry entries[] = {
    { "api-key", 0, 0, G_OPTION_ARG_STRING, &api_key, "The API key to accept", "KEY" },
    { "latency", 0, 0, G_OPTION_ARG_INT, &latency, "Milliseconds to wait before answering", "MS" },
    { "watch-stdin", 0, 0, G_OPTION_ARG_NONE, &watch_stdin, "Exit when stdin closes", NULL },
    { NULL }
  };

  context = g_option_context_new ("- a loopback E2B API and envd");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }
  if (api_key == NULL)
    api_key = g_strdup ("e2b_0123456789abcdef0123456789abcdef01234567");

  server = tessera_e2b_test_server_new (api_key, &error);
  if (server == NULL)
    {
      g_printerr ("Cannot listen: %s\n", error->message);
      return EXIT_FAILURE;
    }
  tessera_e2b_test_server_set_latency (server, MAX (latency, 0));

  g_print ("E2B_API_URL=%s\n", tessera_e2b_test_server_get_url (server));
  g_print ("E2B_SANDBOX_URL=%s\n", tessera_e2b_test_server_get_url (server));
  g_print ("E2B_DOMAIN=e2b.test\n");
  g_print ("E2B_API_KEY=%s\n", api_key);
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_quit, loop);
  g_unix_signal_add (SIGINT, on_quit, loop);
  if (watch_stdin)
    g_unix_fd_add (0, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, loop);
  g_main_loop_run (loop);

  g_clear_object (&server);
  /* Let the killed processes' last callbacks run before exiting. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return EXIT_SUCCESS;
}
