/* tessera-context-builder.c: what a turn sends, within the model's context
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The budget is the model's context minus the room kept for the answer.
 * The system prompt, the project's file list and the new message with its
 * images always go; then the newest history (up to a third of what is
 * left), the most relevant files' contents, older history with whatever
 * remains, and last the images of earlier messages, newest first and four
 * at most: each weighs as much as pages of text, goes again with every
 * turn, and an old screenshot says less than the words and code around
 * it.
 */

#define G_LOG_DOMAIN "tessera-context-builder"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "tessera-context-builder.h"

/* Files larger than this are listed but never sent whole. */
#define MAX_SENT_FILE (128 * 1024)
/* A project is not listed beyond this many files. */
#define MAX_LISTED_FILES 2000
/* Per-message and per-file framing, in tokens. */
#define MESSAGE_OVERHEAD 8
#define FILE_OVERHEAD 12
/* Stands for each image of an earlier message that was left out, so that
 * the model still makes sense of "like this". */
#define IMAGE_NOTE "\n(an image was attached here)"
/* Images of earlier messages go again with every turn, at a cost each
 * time: the newest few at most, whatever the context could take. */
#define MAX_EARLIER_IMAGES 4

typedef struct
{
  gboolean   from_user;
  char      *text;
  /* TesseraImage, or NULL. */
  GPtrArray *images;
} HistoryItem;

typedef struct
{
  char   *path;
  goffset size;
  GBytes *contents;
  int     score;
} FileEntry;

struct _TesseraContextBuilder
{
  GObject         parent_instance;

  TesseraProject *project;
  char           *model;
  guint           context_tokens;
  char           *system_prompt;
  char           *prompt;
  GPtrArray      *prompt_images;
  GArray         *history;
  GHashTable     *relevant;

  guint           estimated;
  guint           budget;
  guint           n_files;
  guint           n_included;
  guint           n_dropped;
};

G_DEFINE_FINAL_TYPE (TesseraContextBuilder, tessera_context_builder, G_TYPE_OBJECT)

static const struct {
  const char *prefix;
  guint       tokens;
} known_models[] = {
  { "gpt-4.1", 1000000 },
  { "gpt-4o", 128000 },
  { "gpt-4-turbo", 128000 },
  { "gpt-5", 400000 },
  { "o1", 200000 },
  { "o3", 200000 },
  { "o4", 200000 },
  { "gpt-3.5", 16385 },
  { "claude", 200000 },
  { "gemini", 1000000 },
  { "deepseek", 64000 },
  { "mistral-large", 128000 },
  { "codestral", 256000 },
  { "qwen2.5-coder", 32768 },
  { "llama3.1", 128000 },
  { "llama3.2", 128000 },
  { "llama3", 8192 },
};

guint
tessera_estimate_tokens (gsize n_bytes)
{
  return (guint)MIN ((n_bytes + 3) / 4, G_MAXUINT);
}

guint
tessera_context_tokens_for_model (const char *model)
{
  if (model != NULL)
    {
      /* "openai/gpt-4o" (OpenRouter), "llama3:8b" (Ollama). */
      const char *slash = strrchr (model, '/');
      const char *name = slash ? slash + 1 : model;

      for (guint i = 0; i < G_N_ELEMENTS (known_models); i++)
        if (g_ascii_strncasecmp (name, known_models[i].prefix, strlen (known_models[i].prefix)) == 0)
          return known_models[i].tokens;
    }
  return TESSERA_DEFAULT_CONTEXT_TOKENS;
}

static void
history_item_clear (HistoryItem *item)
{
  g_free (item->text);
  g_clear_pointer (&item->images, g_ptr_array_unref);
}

/* The builder's own array: the worker thread reads it while the caller's
 * may change. */
static GPtrArray *
copy_images (GPtrArray *images)
{
  if (images == NULL || images->len == 0)
    return NULL;

  return g_ptr_array_copy (images, (GCopyFunc) g_object_ref, NULL);
}

static guint
n_images (GPtrArray *images)
{
  return images != NULL ? images->len : 0;
}

static void
file_entry_free (FileEntry *entry)
{
  g_free (entry->path);
  g_clear_pointer (&entry->contents, g_bytes_unref);
  g_free (entry);
}

static void
tessera_context_builder_finalize (GObject *object)
{
  TesseraContextBuilder *self = (TesseraContextBuilder *)object;

  g_clear_object (&self->project);
  g_free (self->model);
  g_free (self->system_prompt);
  g_free (self->prompt);
  g_clear_pointer (&self->prompt_images, g_ptr_array_unref);
  g_array_unref (self->history);
  g_hash_table_unref (self->relevant);

  G_OBJECT_CLASS (tessera_context_builder_parent_class)->finalize (object);
}

static void
tessera_context_builder_class_init (TesseraContextBuilderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tessera_context_builder_finalize;
}

static void
tessera_context_builder_init (TesseraContextBuilder *self)
{
  self->history = g_array_new (FALSE, TRUE, sizeof (HistoryItem));
  g_array_set_clear_func (self->history, (GDestroyNotify)history_item_clear);
  self->relevant = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

TesseraContextBuilder *
tessera_context_builder_new (TesseraProject *project,
                             const char     *model,
                             guint           context_tokens)
{
  TesseraContextBuilder *self;

  g_return_val_if_fail (TESSERA_IS_PROJECT (project), NULL);

  self = g_object_new (TESSERA_TYPE_CONTEXT_BUILDER, NULL);
  self->project = g_object_ref (project);
  self->model = g_strdup (model);
  self->context_tokens = context_tokens > 0 ? context_tokens : tessera_context_tokens_for_model (model);
  return self;
}

void
tessera_context_builder_set_system_prompt (TesseraContextBuilder *self,
                                           const char            *text)
{
  g_return_if_fail (TESSERA_IS_CONTEXT_BUILDER (self));
  g_free (self->system_prompt);
  self->system_prompt = g_strdup (text);
}

void
tessera_context_builder_add_history (TesseraContextBuilder *self,
                                     gboolean               from_user,
                                     const char            *text,
                                     GPtrArray             *images)
{
  HistoryItem item;

  g_return_if_fail (TESSERA_IS_CONTEXT_BUILDER (self));
  g_return_if_fail (from_user || images == NULL || images->len == 0);

  item.from_user = from_user;
  item.text = g_strdup (text ? text : "");
  item.images = copy_images (images);
  g_array_append_val (self->history, item);
}

void
tessera_context_builder_set_prompt (TesseraContextBuilder *self,
                                    const char            *text,
                                    GPtrArray             *images)
{
  g_return_if_fail (TESSERA_IS_CONTEXT_BUILDER (self));
  g_free (self->prompt);
  self->prompt = g_strdup (text);
  g_clear_pointer (&self->prompt_images, g_ptr_array_unref);
  self->prompt_images = copy_images (images);
}

void
tessera_context_builder_add_relevant (TesseraContextBuilder *self,
                                      const char            *path,
                                      guint                  weight)
{
  gpointer old;

  g_return_if_fail (TESSERA_IS_CONTEXT_BUILDER (self));

  old = g_hash_table_lookup (self->relevant, path);
  g_hash_table_insert (self->relevant, g_strdup (path), GUINT_TO_POINTER (GPOINTER_TO_UINT (old) + weight));
}

guint
tessera_context_builder_get_estimated_tokens (TesseraContextBuilder *self)
{
  g_return_val_if_fail (TESSERA_IS_CONTEXT_BUILDER (self), 0);
  return self->estimated;
}

guint
tessera_context_builder_get_input_budget (TesseraContextBuilder *self)
{
  g_return_val_if_fail (TESSERA_IS_CONTEXT_BUILDER (self), 0);
  return self->budget;
}

guint
tessera_context_builder_get_n_files (TesseraContextBuilder *self)
{
  g_return_val_if_fail (TESSERA_IS_CONTEXT_BUILDER (self), 0);
  return self->n_files;
}

guint
tessera_context_builder_get_n_files_included (TesseraContextBuilder *self)
{
  g_return_val_if_fail (TESSERA_IS_CONTEXT_BUILDER (self), 0);
  return self->n_included;
}

guint
tessera_context_builder_get_n_history_dropped (TesseraContextBuilder *self)
{
  g_return_val_if_fail (TESSERA_IS_CONTEXT_BUILDER (self), 0);
  return self->n_dropped;
}

/* Worker thread */

static void
list_files (TesseraContextBuilder *self,
            GFile                 *dir,
            const char            *prefix,
            GPtrArray             *files,
            GCancellable          *cancellable)
{
  g_autoptr(GFileEnumerator) enumerator = NULL;
  g_autoptr(GPtrArray) subdirs = g_ptr_array_new_with_free_func (g_free);

  enumerator = g_file_enumerate_children (dir,
                                          G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                          G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                                          G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                          G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                          cancellable, NULL);
  if (enumerator == NULL)
    return;

  for (;;)
    {
      GFileInfo *info = NULL;
      const char *name;
      g_autofree char *path = NULL;
      GFileType type;

      if (!g_file_enumerator_iterate (enumerator, &info, NULL, cancellable, NULL) || info == NULL)
        break;
      if (files->len >= MAX_LISTED_FILES)
        break;

      name = g_file_info_get_name (info);
      type = g_file_info_get_file_type (info);
      path = prefix[0] ? g_strdup_printf ("%s/%s", prefix, name) : g_strdup (name);

      if (type != G_FILE_TYPE_DIRECTORY && type != G_FILE_TYPE_REGULAR)
        continue;
      if (tessera_project_is_ignored (self->project, path, type == G_FILE_TYPE_DIRECTORY))
        continue;
      /* The manifest is Tessera's, not the app's. */
      if (prefix[0] == '\0' && g_str_has_suffix (name, TESSERA_PROJECT_MANIFEST_SUFFIX))
        continue;

      if (type == G_FILE_TYPE_DIRECTORY)
        g_ptr_array_add (subdirs, g_steal_pointer (&path));
      else
        {
          FileEntry *entry = g_new0 (FileEntry, 1);

          entry->path = g_steal_pointer (&path);
          entry->size = g_file_info_get_size (info);
          g_ptr_array_add (files, entry);
        }
    }

  for (guint i = 0; i < subdirs->len; i++)
    {
      const char *sub = g_ptr_array_index (subdirs, i);
      g_autofree char *base = g_path_get_basename (sub);
      g_autoptr(GFile) child = g_file_get_child (dir, base);

      list_files (self, child, sub, files, cancellable);
    }
}

static gboolean
is_entry_point (const char *path)
{
  static const char *names[] = {
    "index.html", "package.json", "main.js", "app.js", "index.js", "main.py", "app.py",
    "requirements.txt", "vite.config.js",
  };
  g_autofree char *base = g_path_get_basename (path);
  int depth = 0;

  for (const char *p = path; *p; p++)
    depth += *p == '/';
  if (depth > 1)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (base, names[i]) == 0)
      return TRUE;
  return g_str_has_prefix (base, "main.") || g_str_has_prefix (base, "App.") || g_str_has_prefix (base, "index.");
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const FileEntry *fa = *(const FileEntry **)a;
  const FileEntry *fb = *(const FileEntry **)b;

  if (fa->score != fb->score)
    return fb->score - fa->score;
  if (fa->size != fb->size)
    return fa->size < fb->size ? -1 : 1;
  return strcmp (fa->path, fb->path);
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  const FileEntry *fa = *(const FileEntry **)a;
  const FileEntry *fb = *(const FileEntry **)b;

  return strcmp (fa->path, fb->path);
}

/* Reserves room for the notes of images that may be left out later. */
static guint
history_cost (const HistoryItem *item)
{
  return tessera_estimate_tokens (strlen (item->text) + n_images (item->images) * strlen (IMAGE_NOTE))
         + MESSAGE_OVERHEAD;
}

/* A user message with the first @n_sent of its @images (NULL for none);
 * returns its estimate. */
static guint
add_user_message (TesseraLlmRequest *request,
                  const char        *text,
                  GPtrArray         *images,
                  guint              n_sent)
{
  g_autoptr(GString) full = g_string_new (text);
  g_autoptr(GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);

  for (guint k = 0; k < n_images (images); k++)
    {
      if (k < n_sent)
        g_ptr_array_add (urls, tessera_image_dup_data_url (g_ptr_array_index (images, k)));
      else
        g_string_append (full, IMAGE_NOTE);
    }
  g_ptr_array_add (urls, NULL);
  tessera_llm_request_add_message_with_images (request, full->str, (const char * const *)urls->pdata);

  return tessera_estimate_tokens (full->len) + MESSAGE_OVERHEAD + n_sent * TESSERA_IMAGE_TOKENS;
}

static void
build_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  TesseraContextBuilder *self = source_object;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify)file_entry_free);
  g_autoptr(GFile) root = g_object_ref (tessera_project_get_root (self->project));
  g_autoptr(GString) tree = g_string_new (NULL);
  g_autoptr(GString) contents = g_string_new (NULL);
  g_autoptr(GString) system = g_string_new (NULL);
  g_autoptr(TesseraLlmRequest) request = NULL;
  g_autofree gboolean *keep = NULL;
  g_autofree guint *n_sent = NULL;
  guint max_output, budget, fixed, remaining, history_budget, used;
  guint n_kept = 0;
  guint n_earlier;
  gint i;

  max_output = MIN (TESSERA_LLM_DEFAULT_MAX_TOKENS, self->context_tokens / 4);
  budget = self->context_tokens - max_output;
  self->budget = budget;

  list_files (self, root, "", files, cancellable);
  g_ptr_array_sort (files, compare_paths);
  self->n_files = files->len;

  /* The list alone may not take more than a quarter of the budget. */
  for (guint k = 0; k < files->len; k++)
    {
      const FileEntry *entry = g_ptr_array_index (files, k);
      gsize line_len = strlen (entry->path) + 24;

      if (tessera_estimate_tokens (tree->len + line_len) > budget / 4)
        {
          g_string_append_printf (tree, "- … and %u more files\n", files->len - k);
          break;
        }
      g_string_append_printf (tree, "- %s (%" G_GOFFSET_FORMAT " bytes)\n", entry->path, entry->size);
    }

  g_string_append (system, self->system_prompt ? self->system_prompt : "");
  g_string_append (system, "\n\n# The project\n\n");
  if (files->len == 0)
    g_string_append (system, "The project is empty.\n");
  else
    g_string_append_printf (system, "Files in the project:\n%s", tree->str);

  fixed = tessera_estimate_tokens (system->len) + MESSAGE_OVERHEAD
          + tessera_estimate_tokens (self->prompt ? strlen (self->prompt) : 0) + MESSAGE_OVERHEAD
          + n_images (self->prompt_images) * TESSERA_IMAGE_TOKENS
          + 64 /* the contents heading */;
  if (fixed > budget)
    {
      if (self->prompt_images != NULL)
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                                 _("The message and its images are too large for this model: they need about %u tokens, and the model reads at most %u."),
                                 fixed, budget);
      else
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                                 _("The message is too long for this model: it needs about %u tokens, and the model reads at most %u."),
                                 fixed, budget);
      return;
    }
  remaining = budget - fixed;

  /* Newest history first, up to a third. */
  keep = g_new0 (gboolean, self->history->len + 1);
  history_budget = remaining / 3;
  used = 0;
  for (i = (gint)self->history->len - 1; i >= 0; i--)
    {
      const HistoryItem *item = &g_array_index (self->history, HistoryItem, i);
      guint cost = history_cost (item);

      if (used + cost > history_budget)
        break;
      used += cost;
      keep[i] = TRUE;
      n_kept++;
    }
  remaining -= used;

  /* Files by relevance. */
  for (guint k = 0; k < files->len; k++)
    {
      FileEntry *entry = g_ptr_array_index (files, k);
      g_autofree char *base = g_path_get_basename (entry->path);

      entry->score = GPOINTER_TO_INT (g_hash_table_lookup (self->relevant, entry->path));
      if (self->prompt != NULL && strstr (self->prompt, entry->path) != NULL)
        entry->score += 100;
      else if (self->prompt != NULL && strlen (base) > 3 && strstr (self->prompt, base) != NULL)
        entry->score += 60;
      if (is_entry_point (entry->path))
        entry->score += 30;
    }
  g_ptr_array_sort (files, compare_entries);

  self->n_included = 0;
  for (guint k = 0; k < files->len; k++)
    {
      FileEntry *entry = g_ptr_array_index (files, k);
      g_autoptr(GBytes) bytes = NULL;
      const char *data;
      gsize len;
      guint cost;

      if (g_cancellable_is_cancelled (cancellable))
        break;
      if (entry->size > MAX_SENT_FILE ||
          tessera_estimate_tokens (entry->size) + FILE_OVERHEAD > remaining)
        continue;
      if (!(bytes = tessera_project_read (self->project, entry->path, cancellable, NULL)))
        continue;
      data = g_bytes_get_data (bytes, &len);
      /* Binary files say nothing to a language model. */
      if (memchr (data, '\0', MIN (len, 8192)) != NULL || !g_utf8_validate (data, len, NULL))
        continue;
      cost = tessera_estimate_tokens (len + strlen (entry->path) + 32) + FILE_OVERHEAD;
      if (cost > remaining)
        continue;
      remaining -= cost;
      g_string_append_printf (contents, "\n<file path=\"%s\">\n", entry->path);
      g_string_append_len (contents, data, len);
      if (len > 0 && data[len - 1] != '\n')
        g_string_append_c (contents, '\n');
      g_string_append (contents, "</file>\n");
      self->n_included++;
    }

  /* Older history with what is left. */
  for (; i >= 0; i--)
    {
      const HistoryItem *item = &g_array_index (self->history, HistoryItem, i);
      guint cost = history_cost (item);

      if (cost > remaining)
        break;
      remaining -= cost;
      keep[i] = TRUE;
      n_kept++;
    }
  /* Some APIs insist that the conversation opens with the user. */
  for (guint k = 0; k < self->history->len; k++)
    if (keep[k])
      {
        if (!g_array_index (self->history, HistoryItem, k).from_user)
          {
            keep[k] = FALSE;
            n_kept--;
          }
        break;
      }
  self->n_dropped = self->history->len - n_kept;

  /* Images of earlier messages with what is left, newest first. */
  n_sent = g_new0 (guint, self->history->len + 1);
  for (i = (gint)self->history->len - 1, n_earlier = 0; i >= 0 && n_earlier < MAX_EARLIER_IMAGES; i--)
    {
      const HistoryItem *item = &g_array_index (self->history, HistoryItem, i);

      if (!keep[i])
        continue;
      n_sent[i] = MIN (n_images (item->images),
                       MIN (MAX_EARLIER_IMAGES - n_earlier, remaining / TESSERA_IMAGE_TOKENS));
      n_earlier += n_sent[i];
      remaining -= n_sent[i] * TESSERA_IMAGE_TOKENS;
    }

  if (self->n_included > 0)
    {
      g_string_append (system, "\nCurrent contents of the files (others are too large to show). The <file> tags are for reading only: change files with tessera-write or tessera-edit.\n");
      g_string_append (system, contents->str);
    }

  request = tessera_llm_request_new (self->model);
  tessera_llm_request_set_system (request, system->str);
  tessera_llm_request_set_max_tokens (request, max_output);

  self->estimated = tessera_estimate_tokens (system->len) + MESSAGE_OVERHEAD;
  for (guint k = 0; k < self->history->len; k++)
    {
      const HistoryItem *item = &g_array_index (self->history, HistoryItem, k);

      if (!keep[k])
        continue;
      if (item->from_user)
        self->estimated += add_user_message (request, item->text, item->images, n_sent[k]);
      else
        {
          tessera_llm_request_add_message (request, TESSERA_LLM_ROLE_ASSISTANT, item->text);
          self->estimated += tessera_estimate_tokens (strlen (item->text)) + MESSAGE_OVERHEAD;
        }
    }
  self->estimated += add_user_message (request, self->prompt ? self->prompt : "",
                                       self->prompt_images, n_images (self->prompt_images));

  if (g_task_return_error_if_cancelled (task))
    return;
  g_task_return_pointer (task, g_steal_pointer (&request), g_object_unref);
}

void
tessera_context_builder_build_async (TesseraContextBuilder *self,
                                     GCancellable          *cancellable,
                                     GAsyncReadyCallback    callback,
                                     gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TESSERA_IS_CONTEXT_BUILDER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_context_builder_build_async);
  g_task_run_in_thread (task, build_thread);
}

TesseraLlmRequest *
tessera_context_builder_build_finish (TesseraContextBuilder  *self,
                                      GAsyncResult           *result,
                                      GError                **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
