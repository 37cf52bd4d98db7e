/* bench-startup-frame.c: time from exec to an app's first painted frame
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   bench-startup-frame [--timeout SEC] [--settle SEC] [--smaps FILE] -- COMMAND [ARGS...]
 *
 * Starts COMMAND on the X server of $DISPLAY (a private Xvfb without a
 * window manager, see bench/bench-startup) and prints one line of
 * key=value pairs:
 *
 *   map_ms    exec → the first top-level window is mapped
 *   frame_ms  exec → the first damage to that window after which its
 *             contents are no longer one flat colour: the first frame the
 *             app really drew, not just a mapped (or background-filled)
 *             window
 *   last_ms   exec → the last damage seen before the settle time ran out
 *   frames    damage events seen on the window until then
 *   size      the window's size when it was mapped, WIDTHxHEIGHT
 *   rss_kb, pss_kb            the process started, after it settled
 *   tree_rss_kb, tree_pss_kb  it and every process it started
 *   procs     names of the processes it started (comm), comma-separated
 *
 * --smaps FILE keeps a copy of the app's /proc/PID/smaps, to see where its
 * memory goes.
 *
 * Every process of the tree is killed before it exits: it is a child
 * subreaper, so orphans are handed to it and reaped here, and nothing is
 * left behind.
 *
 * The same code measures every app, through nothing but the X protocol and
 * /proc, so the figures compare fairly.
 */

#define _GNU_SOURCE

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/Xdamage.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIN_WINDOW_SIDE 100
#define MAX_TREE 256

typedef struct
{
  pid_t pid;
  long rss_kb;
  long pss_kb;
  char comm[32];
} Proc;

static double
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* A window may vanish between the event and our request about it: that is
 * not a failure of the measurement. */
static int
ignore_x_errors (Display     *dpy,
                 XErrorEvent *error)
{
  return 0;
}

/* True when the window shows more than one colour: a flat fill is what the
 * server paints on map, not a frame the app drew. */
static bool
window_has_content (Display *dpy,
                    Window   window)
{
  XWindowAttributes attrs;
  XImage *image;
  unsigned long first;
  bool varied = false;

  if (!XGetWindowAttributes (dpy, window, &attrs) || attrs.map_state != IsViewable)
    return false;

  image = XGetImage (dpy, window, 0, 0, attrs.width, attrs.height, AllPlanes, ZPixmap);
  if (image == NULL)
    return false;

  first = XGetPixel (image, 0, 0);
  for (int y = 0; y < attrs.height && !varied; y++)
    for (int x = 0; x < attrs.width; x++)
      if (XGetPixel (image, x, y) != first)
        {
          varied = true;
          break;
        }

  XDestroyImage (image);
  return varied;
}

static long
read_kb_field (const char *path,
               const char *field)
{
  FILE *file = fopen (path, "r");
  char line[256];
  size_t len = strlen (field);
  long value = -1;

  if (file == NULL)
    return -1;

  while (fgets (line, sizeof line, file) != NULL)
    if (strncmp (line, field, len) == 0 && line[len] == ':')
      {
        value = strtol (line + len + 1, NULL, 10);
        break;
      }

  fclose (file);
  return value;
}

static void
read_proc (Proc *proc)
{
  char path[64];
  FILE *file;

  snprintf (path, sizeof path, "/proc/%d/smaps_rollup", proc->pid);
  proc->rss_kb = read_kb_field (path, "Rss");
  proc->pss_kb = read_kb_field (path, "Pss");

  snprintf (path, sizeof path, "/proc/%d/comm", proc->pid);
  proc->comm[0] = '\0';
  if ((file = fopen (path, "r")) != NULL)
    {
      if (fgets (proc->comm, sizeof proc->comm, file) != NULL)
        proc->comm[strcspn (proc->comm, "\n")] = '\0';
      fclose (file);
    }
}

static pid_t
parent_of (pid_t pid)
{
  char path[64];
  char buf[512];
  FILE *file;
  char *paren;
  pid_t ppid = -1;

  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  if ((file = fopen (path, "r")) == NULL)
    return -1;

  /* The command name may hold spaces and parentheses: parse after the last one. */
  if (fgets (buf, sizeof buf, file) != NULL && (paren = strrchr (buf, ')')) != NULL)
    sscanf (paren + 1, " %*c %d", &ppid);

  fclose (file);
  return ppid;
}

/* @root and every process below it, @root first. */
static int
collect_tree (pid_t  root,
              Proc  *tree,
              int    max)
{
  int n = 0;
  bool grew = true;

  tree[n++].pid = root;

  /* Repeated passes rather than one, as /proc lists by pid, not by age. */
  while (grew && n < max)
    {
      DIR *dir = opendir ("/proc");
      struct dirent *entry;

      grew = false;
      if (dir == NULL)
        break;

      while ((entry = readdir (dir)) != NULL && n < max)
        {
          pid_t pid = (pid_t) strtol (entry->d_name, NULL, 10);
          pid_t ppid;
          bool known = false;
          bool parent_known = false;

          if (pid <= 0)
            continue;

          ppid = parent_of (pid);
          for (int i = 0; i < n; i++)
            {
              known |= tree[i].pid == pid;
              parent_known |= tree[i].pid == ppid;
            }

          if (!known && parent_known)
            {
              tree[n++].pid = pid;
              grew = true;
            }
        }

      closedir (dir);
    }

  for (int i = 0; i < n; i++)
    read_proc (&tree[i]);

  return n;
}

static void
signal_tree (pid_t child,
             int   signum)
{
  Proc tree[MAX_TREE];
  int n = collect_tree (child, tree, MAX_TREE);

  kill (-child, signum);
  for (int i = 0; i < n; i++)
    kill (tree[i].pid, signum);
}

/* Whoever is left is our child by now, as we are their subreaper. */
static void
signal_our_children (int signum)
{
  DIR *dir = opendir ("/proc");
  struct dirent *entry;

  if (dir == NULL)
    return;

  while ((entry = readdir (dir)) != NULL)
    {
      pid_t pid = (pid_t) strtol (entry->d_name, NULL, 10);

      if (pid > 0 && parent_of (pid) == getpid ())
        signal_tree (pid, signum);
    }

  closedir (dir);
}

/* Reaps every child and orphan, the app first; the term signal gives each
 * a chance to exit cleanly, the kill signal makes sure. */
static void
end_everything (pid_t child,
                bool  child_alive)
{
  double deadline;

  if (child_alive)
    signal_tree (child, SIGTERM);
  signal_our_children (SIGTERM);

  deadline = now_ms () + 3000;
  for (;;)
    {
      pid_t pid = waitpid (-1, NULL, WNOHANG);

      if (pid < 0 && errno == ECHILD)
        break;

      if (pid == 0)
        {
          if (now_ms () > deadline)
            {
              signal_our_children (SIGKILL);
              deadline = now_ms () + 3000;
            }
          usleep (10000);
        }
    }
}

static void
copy_smaps (pid_t       pid,
            const char *dest)
{
  char path[64];
  char buf[65536];
  FILE *in, *out;
  size_t n;

  snprintf (path, sizeof path, "/proc/%d/smaps", pid);
  if ((in = fopen (path, "r")) == NULL)
    return;
  if ((out = fopen (dest, "w")) != NULL)
    {
      while ((n = fread (buf, 1, sizeof buf, in)) > 0)
        fwrite (buf, 1, n, out);
      fclose (out);
    }
  fclose (in);
}

static void
usage (void)
{
  fprintf (stderr, "usage: bench-startup-frame [--timeout SEC] [--settle SEC] [--smaps FILE] -- COMMAND [ARGS...]\n");
  exit (2);
}

int
main (int   argc,
      char *argv[])
{
  double timeout_ms = 30000;
  double settle_ms = 2000;
  const char *smaps_copy = NULL;
  Display *dpy;
  Window root;
  int damage_event, damage_error;
  int argi = 1;
  int xfd;
  pid_t child;
  double t0;
  Window window = None;
  Damage damage = None;
  double map_ms = -1, frame_ms = -1, last_ms = -1;
  int frames = 0;
  int width = 0, height = 0;
  bool child_alive = true;
  int child_status = 0;
  const char *status = "ok";

  for (; argi < argc; argi++)
    {
      if (strcmp (argv[argi], "--") == 0)
        {
          argi++;
          break;
        }
      else if (strcmp (argv[argi], "--timeout") == 0 && argi + 1 < argc)
        timeout_ms = atof (argv[++argi]) * 1000;
      else if (strcmp (argv[argi], "--settle") == 0 && argi + 1 < argc)
        settle_ms = atof (argv[++argi]) * 1000;
      else if (strcmp (argv[argi], "--smaps") == 0 && argi + 1 < argc)
        smaps_copy = argv[++argi];
      else
        usage ();
    }
  if (argi >= argc)
    usage ();

  if ((dpy = XOpenDisplay (NULL)) == NULL)
    {
      fprintf (stderr, "bench-startup-frame: cannot open display “%s”\n", getenv ("DISPLAY"));
      return 1;
    }
  if (!XDamageQueryExtension (dpy, &damage_event, &damage_error))
    {
      fprintf (stderr, "bench-startup-frame: the X server has no DAMAGE extension\n");
      return 1;
    }
  XSetErrorHandler (ignore_x_errors);

  /* Listen before the app starts, so that no map can be missed. */
  root = DefaultRootWindow (dpy);
  XSelectInput (dpy, root, SubstructureNotifyMask);
  XSync (dpy, False);

  prctl (PR_SET_CHILD_SUBREAPER, 1);

  t0 = now_ms ();
  child = fork ();
  if (child < 0)
    {
      perror ("fork");
      return 1;
    }
  if (child == 0)
    {
      /* Our stdout carries the result; the app's output goes with stderr. */
      dup2 (STDERR_FILENO, STDOUT_FILENO);
      close (ConnectionNumber (dpy));
      setpgid (0, 0);
      execvp (argv[argi], &argv[argi]);
      fprintf (stderr, "bench-startup-frame: cannot run %s: %s\n", argv[argi], strerror (errno));
      _exit (127);
    }
  setpgid (child, child);

  xfd = ConnectionNumber (dpy);
  for (;;)
    {
      struct pollfd pfd = { xfd, POLLIN, 0 };
      double now = now_ms ();
      double end = frame_ms >= 0 ? t0 + frame_ms + settle_ms : t0 + timeout_ms;

      if (now >= end)
        {
          if (frame_ms < 0)
            status = "timeout";
          break;
        }

      if (waitpid (child, &child_status, WNOHANG) == child)
        {
          child_alive = false;
          status = "exited";
          break;
        }

      /* The poll timeout only bounds how late an exit is noticed: X events
       * wake it at once. */
      if (XPending (dpy) == 0)
        poll (&pfd, 1, end - now < 50 ? (int) (end - now) + 1 : 50);

      while (XPending (dpy) > 0)
        {
          XEvent event;
          double t;

          XNextEvent (dpy, &event);
          t = now_ms () - t0;

          if (event.type == MapNotify && window == None && !event.xmap.override_redirect)
            {
              XWindowAttributes attrs;

              if (XGetWindowAttributes (dpy, event.xmap.window, &attrs) &&
                  attrs.class == InputOutput &&
                  attrs.width >= MIN_WINDOW_SIDE && attrs.height >= MIN_WINDOW_SIDE)
                {
                  window = event.xmap.window;
                  map_ms = t;
                  width = attrs.width;
                  height = attrs.height;
                  damage = XDamageCreate (dpy, window, XDamageReportNonEmpty);
                  /* Whatever was drawn before the damage object existed
                   * would otherwise never be reported. */
                  if (window_has_content (dpy, window))
                    frame_ms = last_ms = now_ms () - t0;
                }
            }
          else if (event.type == damage_event + XDamageNotify &&
                   ((XDamageNotifyEvent *) &event)->drawable == window)
            {
              XDamageSubtract (dpy, damage, None, None);
              frames++;
              last_ms = t;
              if (frame_ms < 0 && window_has_content (dpy, window))
                frame_ms = t;
            }
        }
    }

  if (child_alive)
    {
      Proc tree[MAX_TREE];
      int n = collect_tree (child, tree, MAX_TREE);
      long tree_rss = 0, tree_pss = 0;

      if (smaps_copy != NULL)
        copy_smaps (child, smaps_copy);
      for (int i = 0; i < n; i++)
        {
          tree_rss += tree[i].rss_kb > 0 ? tree[i].rss_kb : 0;
          tree_pss += tree[i].pss_kb > 0 ? tree[i].pss_kb : 0;
        }

      printf ("status=%s pid=%d map_ms=%.1f frame_ms=%.1f last_ms=%.1f frames=%d size=%dx%d "
              "rss_kb=%ld pss_kb=%ld tree_rss_kb=%ld tree_pss_kb=%ld procs=",
              status, child, map_ms, frame_ms, last_ms, frames, width, height,
              tree[0].rss_kb, tree[0].pss_kb, tree_rss, tree_pss);
      for (int i = 1; i < n; i++)
        printf ("%s%s", i > 1 ? "," : "", tree[i].comm[0] ? tree[i].comm : "?");
      printf ("\n");
    }
  else
    {
      printf ("status=%s pid=%d exit=%d map_ms=%.1f frame_ms=%.1f\n", status, child,
              WIFEXITED (child_status) ? WEXITSTATUS (child_status) : 128 + WTERMSIG (child_status),
              map_ms, frame_ms);
    }
  fflush (stdout);

  if (damage != None)
    XDamageDestroy (dpy, damage);
  XCloseDisplay (dpy);

  end_everything (child, child_alive);

  return strcmp (status, "ok") == 0 ? 0 : 1;
}
