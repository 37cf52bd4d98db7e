/* tessera-path.c: confinement of relative paths and atomic file helpers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define _GNU_SOURCE
#define G_LOG_DOMAIN "tessera-project"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "tessera-path.h"
#include "tessera-project.h"

#define WRITE_CHUNK (64 * 1024)
#define DISPLAY_MAX 120

char *
tessera_path_display (const char *path,
                      gssize      len)
{
  g_autofree char *valid = NULL;
  const char *end;

  if (path == NULL)
    return g_strdup ("");
  if (len < 0)
    len = strlen (path);

  valid = g_utf8_make_valid (path, len);
  if (g_utf8_strlen (valid, -1) <= DISPLAY_MAX)
    return g_steal_pointer (&valid);

  end = g_utf8_offset_to_pointer (valid, DISPLAY_MAX);
  return g_strdup_printf ("%.*s…", (int) (end - valid), valid);
}

static gboolean G_GNUC_PRINTF (2, 3)
invalid_path (GError     **error,
              const char  *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error_literal (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH, message);
  return FALSE;
}

#define invalid(error, path, len, format) \
  G_STMT_START { \
    g_autofree char *_display = tessera_path_display ((path), (len)); \
    return invalid_path ((error), (format), _display); \
  } G_STMT_END

gboolean
tessera_path_normalize (const char  *path,
                        gssize       len,
                        char       **normalized,
                        GError     **error)
{
  g_autoptr(GString) out = NULL;
  const char *p;
  const char *end;

  g_return_val_if_fail (normalized != NULL, FALSE);

  *normalized = NULL;

  if (path == NULL)
    {
      g_set_error_literal (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH,
                           _("No file name was given."));
      return FALSE;
    }
  if (len < 0)
    len = strlen (path);
  if (memchr (path, '\0', len) != NULL)
    invalid (error, path, len,
                    _("The file name “%s” contains a NUL byte, which is not allowed."));
  if (len == 0)
    {
      g_set_error_literal (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH,
                           _("The file name is empty."));
      return FALSE;
    }
  if (len >= PATH_MAX)
    invalid (error, path, len, _("The path “%s” is too long."));
  if (path[0] == '/')
    invalid (error, path, len,
                    _("“%s” is an absolute path; only paths inside the project folder are allowed."));

  out = g_string_sized_new (len);
  p = path;
  end = path + len;

  while (p < end)
    {
      const char *slash = memchr (p, '/', end - p);
      const char *comp_end = slash != NULL ? slash : end;
      gsize comp_len = comp_end - p;

      if (comp_len == 0 || (comp_len == 1 && p[0] == '.'))
        {
          /* "a//b" and "./a" mean the same as "a/b" and "a". */
        }
      else if (comp_len == 2 && p[0] == '.' && p[1] == '.')
        {
          invalid (error, path, len,
                          _("The path “%s” uses “..”, which could leave the project folder."));
        }
      else if (comp_len > NAME_MAX)
        {
          invalid (error, path, len, _("A name in the path “%s” is too long."));
        }
      else
        {
          if (out->len > 0)
            g_string_append_c (out, '/');
          g_string_append_len (out, p, comp_len);
        }

      p = comp_end;
      if (slash != NULL)
        p++;
    }

  if (out->len == 0)
    invalid (error, path, len, _("The path “%s” does not name a file inside the project."));

  *normalized = g_string_free (g_steal_pointer (&out), FALSE);
  return TRUE;
}

gboolean
tessera_path_is_inside (const char *root_real,
                        const char *path)
{
  gsize root_len = strlen (root_real);

  if (root_len == 1 && root_real[0] == '/')
    return path[0] == '/';

  return strncmp (root_real, path, root_len) == 0 &&
         (path[root_len] == '\0' || path[root_len] == '/');
}

gboolean
tessera_path_confine (const char  *root_real,
                      const char  *rel,
                      gboolean     follow_final,
                      char       **real_path,
                      GError     **error)
{
  g_auto(GStrv) parts = NULL;
  g_autofree char *cur = NULL;
  guint n_parts;

  g_return_val_if_fail (root_real != NULL, FALSE);
  g_return_val_if_fail (rel != NULL, FALSE);
  g_return_val_if_fail (real_path != NULL, FALSE);

  *real_path = NULL;
  parts = g_strsplit (rel, "/", -1);
  n_parts = g_strv_length (parts);
  cur = g_strdup (root_real);

  for (guint i = 0; i < n_parts; i++)
    {
      g_autofree char *next = g_build_filename (cur, parts[i], NULL);
      struct stat st;

      if (lstat (next, &st) != 0)
        {
          /* Nothing below a missing component exists yet, so nothing there
           * can be a symlink: the rest is taken literally. */
          g_free (cur);
          cur = g_steal_pointer (&next);
          for (guint j = i + 1; j < n_parts; j++)
            {
              g_autofree char *deeper = g_build_filename (cur, parts[j], NULL);

              g_free (cur);
              cur = g_steal_pointer (&deeper);
            }
          break;
        }

      if (S_ISLNK (st.st_mode) && (follow_final || i + 1 < n_parts))
        {
          g_autofree char *resolved = realpath (next, NULL);

          if (resolved == NULL)
            invalid (error, rel, -1,
                            _("“%s” goes through a broken symbolic link."));
          if (!tessera_path_is_inside (root_real, resolved))
            invalid (error, rel, -1,
                            _("“%s” leads outside the project folder through a symbolic link."));

          g_free (cur);
          cur = g_steal_pointer (&resolved);
        }
      else
        {
          g_free (cur);
          cur = g_steal_pointer (&next);
        }
    }

  if (strlen (cur) >= PATH_MAX)
    invalid (error, rel, -1, _("The path “%s” is too long."));

  *real_path = g_steal_pointer (&cur);
  return TRUE;
}

static gboolean G_GNUC_PRINTF (3, 4)
set_errno_error (GError     **error,
                 int          errsv,
                 const char  *format,
                 ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (errsv == ENOENT)
    g_set_error_literal (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_NOT_FOUND, message);
  else if (errsv == EEXIST || errsv == ENOTEMPTY)
    g_set_error_literal (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_EXISTS, message);
  else
    g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (errsv), message);
  return FALSE;
}

int
tessera_path_open_parent (const char  *root_real,
                          const char  *path,
                          const char  *display,
                          const char **base,
                          GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_auto(GStrv) parts = NULL;
  const char *below;
  int errsv;
  int fd;

  *base = strrchr (path, '/');
  *base = *base != NULL ? *base + 1 : path;

  if (root_real == NULL)
    {
      fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        return (errsv = errno, set_errno_error (error, errsv, _("Could not open the folder of “%s”: %s."),
                                                display, g_strerror (errsv)), -1);
      return fd;
    }

  if (!tessera_path_is_inside (root_real, dir))
    {
      g_set_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH,
                   _("“%s” is outside the project folder."), display);
      return -1;
    }

  /* The root was resolved when the project was opened; below it, every
   * folder is opened without following symlinks, so that one swapped in
   * since the path was checked (by code running in the sandbox, say)
   * cannot redirect the operation outside. */
  fd = open (root_real, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return (errsv = errno, set_errno_error (error, errsv, _("Could not open the folder of “%s”: %s."),
                                            display, g_strerror (errsv)), -1);

  below = dir + strlen (root_real);
  parts = g_strsplit (below, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      int next;

      if (parts[i][0] == '\0')
        continue;
      next = openat (fd, parts[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      errsv = errno;
      close (fd);
      if (next < 0)
        {
          if (errsv == ELOOP || errsv == ENOTDIR)
            g_set_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_INVALID_PATH,
                         _("A folder on the way to “%s” was replaced while it was being used."),
                         display);
          else
            set_errno_error (error, errsv, _("Could not open the folder of “%s”: %s."),
                             display, g_strerror (errsv));
          return -1;
        }
      fd = next;
    }

  return fd;
}

static int
create_temp (int          dirfd,
             char         name[static sizeof TESSERA_TEMP_PREFIX + 6])
{
  static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

  for (guint attempt = 0; attempt < 100; attempt++)
    {
      int fd;

      strcpy (name, TESSERA_TEMP_PREFIX);
      for (guint i = 0; i < 6; i++)
        name[strlen (TESSERA_TEMP_PREFIX) + i] = chars[g_random_int_range (0, sizeof chars - 1)];
      name[strlen (TESSERA_TEMP_PREFIX) + 6] = '\0';

      fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
      if (fd >= 0 || errno != EEXIST)
        return fd;
    }

  errno = EEXIST;
  return -1;
}

gboolean
tessera_path_write_atomic (const char    *root_real,
                           const char    *path,
                           const char    *display,
                           const guint8  *data,
                           gsize          len,
                           GCancellable  *cancellable,
                           GError       **error)
{
  char tmp[sizeof TESSERA_TEMP_PREFIX + 6];
  const char *base;
  struct stat st;
  gboolean existed;
  gsize offset = 0;
  int dirfd;
  int errsv;
  int fd = -1;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  if ((dirfd = tessera_path_open_parent (root_real, path, display, &base, error)) < 0)
    return FALSE;

  existed = fstatat (dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (existed && S_ISDIR (st.st_mode))
    {
      close (dirfd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY,
                   _("Could not save “%s”: a folder of that name is in the way."), display);
      return FALSE;
    }

  fd = create_temp (dirfd, tmp);
  if (fd < 0)
    {
      errsv = errno;
      close (dirfd);
      return set_errno_error (error, errsv, _("Could not save “%s”: %s."), display, g_strerror (errsv));
    }

  /* Keep the permissions of the file being replaced (an executable script
   * stays executable). */
  if (existed && S_ISREG (st.st_mode))
    (void) fchmod (fd, st.st_mode & 07777);

  while (offset < len)
    {
      gssize written;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto failed;

      written = write (fd, data + offset, MIN (len - offset, WRITE_CHUNK));
      if (written < 0)
        {
          errsv = errno;
          if (errsv == EINTR)
            continue;
          set_errno_error (error, errsv, _("Could not save “%s”: %s."), display, g_strerror (errsv));
          goto failed;
        }
      offset += written;
    }

  /* Replacing an existing file without syncing first can leave an empty
   * file after a power cut on some file systems. */
  if (existed && fdatasync (fd) != 0)
    {
      (errsv = errno, set_errno_error (error, errsv, _("Could not save “%s”: %s."), display, g_strerror (errsv)));
      goto failed;
    }

  errsv = close (fd) == 0 ? 0 : errno;
  fd = -1;
  if (errsv != 0)
    {
      set_errno_error (error, errsv, _("Could not save “%s”: %s."), display, g_strerror (errsv));
      goto failed;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto failed;

  /* rename(2) replaces a symlink planted at @base, never its target. */
  if (renameat (dirfd, tmp, dirfd, base) != 0)
    {
      (errsv = errno, set_errno_error (error, errsv, _("Could not save “%s”: %s."), display, g_strerror (errsv)));
      goto failed;
    }

  close (dirfd);
  return TRUE;

failed:
  if (fd >= 0)
    close (fd);
  unlinkat (dirfd, tmp, 0);
  close (dirfd);
  return FALSE;
}

static gboolean
remove_at (int            dirfd,
           const char    *name,
           const char    *display,
           GCancellable  *cancellable,
           GError       **error)
{
  struct stat st;
  int errsv;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return (errsv = errno, set_errno_error (error, errsv, _("Could not delete “%s”: %s."), display, g_strerror (errsv)));

  if (S_ISDIR (st.st_mode))
    {
      struct dirent *entry;
      gboolean ok = TRUE;
      DIR *dir;
      int fd;

      fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 || !(dir = fdopendir (fd)))
        {
          errsv = errno;
          if (fd >= 0)
            close (fd);
          return set_errno_error (error, errsv, _("Could not delete “%s”: %s."), display, g_strerror (errsv));
        }

      while (ok && (entry = readdir (dir)) != NULL)
        {
          if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0)
            continue;
          ok = remove_at (fd, entry->d_name, display, cancellable, error);
        }
      closedir (dir);

      if (!ok)
        return FALSE;
      if (unlinkat (dirfd, name, AT_REMOVEDIR) != 0)
        return (errsv = errno, set_errno_error (error, errsv, _("Could not delete “%s”: %s."), display, g_strerror (errsv)));
      return TRUE;
    }

  if (unlinkat (dirfd, name, 0) != 0)
    return (errsv = errno, set_errno_error (error, errsv, _("Could not delete “%s”: %s."), display, g_strerror (errsv)));
  return TRUE;
}

gboolean
tessera_path_remove_tree_in (const char    *root_real,
                             const char    *path,
                             const char    *display,
                             GCancellable  *cancellable,
                             GError       **error)
{
  const char *base;
  gboolean ok;
  int dirfd;

  if ((dirfd = tessera_path_open_parent (root_real, path, display, &base, error)) < 0)
    return FALSE;
  ok = remove_at (dirfd, base, display, cancellable, error);
  close (dirfd);
  return ok;
}

gboolean
tessera_path_remove_tree (const char    *path,
                          const char    *display,
                          GCancellable  *cancellable,
                          GError       **error)
{
  return tessera_path_remove_tree_in (NULL, path, display, cancellable, error);
}
