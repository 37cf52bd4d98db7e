/* tessera-conversation.c: a project's chat, kept in .tessera/chat/
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The file is rewritten whole after every message: conversations are
 * small next to the project, and a whole-file atomic replace (write to a
 * temporary file, then rename) can never leave half a conversation behind
 * after a crash. Images are kept beside it, each in a file of its own
 * named by its SHA-256 and written once, before the conversation that
 * names it.
 */

#define G_LOG_DOMAIN "tessera-conversation"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "tessera-conversation.h"

/* Command output is kept in the file up to this size (its end). */
#define MAX_SAVED_OUTPUT (16 * 1024)
/* The diffs of one answer are kept in the file up to this size in all,
 * in their order (the counts of the others are kept): the file is
 * made whole on the main thread after every message. A new file's
 * diff, which is the file as it was written, is not kept at all: an
 * answer that writes a whole app would otherwise add all of its code. */
#define MAX_SAVED_DIFFS (64 * 1024)

struct _TesseraConversation
{
  GObject     parent_instance;

  GFile      *file;
  GFile      *attachments;
  GListStore *messages;
  GPtrArray  *flush_waiters;
  /* Why the last save failed, until one succeeds. */
  GError     *save_error;
  guint       saving : 1;
  /* Cleared since the last save: its images are to be deleted. */
  guint       prune_images : 1;
  guint       dirty : 1;
};

G_DEFINE_FINAL_TYPE (TesseraConversation, tessera_conversation, G_TYPE_OBJECT)

static const char *role_names[] = { "user", "assistant", "notice" };
static const char *action_status_names[] = { "pending", "applied", "refused", "failed", "reverted" };

enum {
  PROP_0,
  PROP_SAVE_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void save_now (TesseraConversation *self);

static void
tessera_conversation_dispose (GObject *object)
{
  TesseraConversation *self = (TesseraConversation *)object;

  g_clear_object (&self->messages);

  G_OBJECT_CLASS (tessera_conversation_parent_class)->dispose (object);
}

static void
tessera_conversation_finalize (GObject *object)
{
  TesseraConversation *self = (TesseraConversation *)object;

  g_clear_object (&self->file);
  g_clear_object (&self->attachments);
  g_ptr_array_unref (self->flush_waiters);
  g_clear_error (&self->save_error);

  G_OBJECT_CLASS (tessera_conversation_parent_class)->finalize (object);
}

static void
tessera_conversation_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  TesseraConversation *self = TESSERA_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_SAVE_ERROR:
      g_value_set_boxed (value, self->save_error);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_conversation_class_init (TesseraConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_conversation_dispose;
  object_class->finalize = tessera_conversation_finalize;
  object_class->get_property = tessera_conversation_get_property;

  /**
   * TesseraConversation:save-error:
   *
   * Why the last save failed (a full disk, a read-only folder), or %NULL
   * once a save succeeds. The messages stay in memory meanwhile, and
   * every later change tries again.
   */
  properties[PROP_SAVE_ERROR] =
    g_param_spec_boxed ("save-error", NULL, NULL, G_TYPE_ERROR,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_conversation_init (TesseraConversation *self)
{
  self->messages = g_list_store_new (TESSERA_TYPE_CHAT_MESSAGE);
  self->flush_waiters = g_ptr_array_new_with_free_func (g_object_unref);
}

TesseraConversation *
tessera_conversation_new (GFile *file,
                          GFile *attachments)
{
  TesseraConversation *self;

  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (G_IS_FILE (attachments), NULL);

  self = g_object_new (TESSERA_TYPE_CONVERSATION, NULL);
  self->file = g_object_ref (file);
  self->attachments = g_object_ref (attachments);
  return self;
}

GFile *
tessera_conversation_get_file (TesseraConversation *self)
{
  g_return_val_if_fail (TESSERA_IS_CONVERSATION (self), NULL);
  return self->file;
}

const GError *
tessera_conversation_get_save_error (TesseraConversation *self)
{
  g_return_val_if_fail (TESSERA_IS_CONVERSATION (self), NULL);
  return self->save_error;
}

GListModel *
tessera_conversation_get_messages (TesseraConversation *self)
{
  g_return_val_if_fail (TESSERA_IS_CONVERSATION (self), NULL);
  return G_LIST_MODEL (self->messages);
}

guint
tessera_conversation_get_n_messages (TesseraConversation *self)
{
  g_return_val_if_fail (TESSERA_IS_CONVERSATION (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->messages));
}

TesseraChatMessage *
tessera_conversation_get_message (TesseraConversation *self,
                                  guint                position)
{
  g_autoptr(TesseraChatMessage) message = NULL;

  g_return_val_if_fail (TESSERA_IS_CONVERSATION (self), NULL);

  /* The store keeps its reference: transfer none. */
  message = g_list_model_get_item (G_LIST_MODEL (self->messages), position);
  return message;
}

void
tessera_conversation_append (TesseraConversation *self,
                             TesseraChatMessage  *message)
{
  g_return_if_fail (TESSERA_IS_CONVERSATION (self));
  g_return_if_fail (TESSERA_IS_CHAT_MESSAGE (message));

  g_list_store_append (self->messages, message);
}

void
tessera_conversation_clear (TesseraConversation *self)
{
  g_return_if_fail (TESSERA_IS_CONVERSATION (self));
  g_list_store_remove_all (self->messages);
  self->prune_images = TRUE;
}

/* Serializing */

static void
add_action (JsonBuilder   *builder,
            TesseraAction *action,
            gsize         *diff_budget)
{
  TesseraActionKind kind = tessera_action_get_kind (action);
  const char * const *packages = tessera_action_get_packages (action);
  const char *output = tessera_action_get_output (action);
  gsize output_len = strlen (output);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, tessera_action_kind_to_string (kind));
  if (tessera_action_get_path (action) != NULL)
    {
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, tessera_action_get_path (action));
    }
  if (tessera_action_get_to (action) != NULL)
    {
      json_builder_set_member_name (builder, "to");
      json_builder_add_string_value (builder, tessera_action_get_to (action));
    }
  if (packages != NULL)
    {
      json_builder_set_member_name (builder, "packages");
      json_builder_begin_array (builder);
      for (guint i = 0; packages[i] != NULL; i++)
        json_builder_add_string_value (builder, packages[i]);
      json_builder_end_array (builder);
    }
  if (tessera_action_get_manager (action) != NULL)
    {
      json_builder_set_member_name (builder, "manager");
      json_builder_add_string_value (builder, tessera_action_get_manager (action));
    }
  if (kind == TESSERA_ACTION_RUN && tessera_action_get_command (action) != NULL)
    {
      json_builder_set_member_name (builder, "command");
      json_builder_add_string_value (builder, tessera_action_get_command (action));
    }
  if (kind == TESSERA_ACTION_SUMMARY)
    {
      json_builder_set_member_name (builder, "content");
      json_builder_add_string_value (builder, tessera_action_get_content (action, NULL));
    }
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, action_status_names[tessera_action_get_status (action)]);
  if (tessera_action_get_message (action) != NULL)
    {
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, tessera_action_get_message (action));
    }
  if (output_len > 0)
    {
      const char *tail = output;

      if (output_len > MAX_SAVED_OUTPUT)
        tail = g_utf8_find_next_char (output + output_len - MAX_SAVED_OUTPUT - 1, NULL);
      json_builder_set_member_name (builder, "output");
      json_builder_add_string_value (builder, tail ? tail : "");
    }
  if (tessera_action_get_truncated (action))
    {
      json_builder_set_member_name (builder, "truncated");
      json_builder_add_boolean_value (builder, TRUE);
    }
  if (tessera_action_get_diff (action) != NULL)
    {
      const char *diff = tessera_action_get_diff (action);
      gsize diff_len = strlen (diff);

      if (diff_len <= *diff_budget && !g_str_has_prefix (diff, "@@ -0,0 "))
        {
          json_builder_set_member_name (builder, "diff");
          json_builder_add_string_value (builder, diff);
          *diff_budget -= diff_len;
        }
      json_builder_set_member_name (builder, "added");
      json_builder_add_int_value (builder, tessera_action_get_n_added (action));
      json_builder_set_member_name (builder, "removed");
      json_builder_add_int_value (builder, tessera_action_get_n_removed (action));
    }
  json_builder_end_object (builder);
}

GBytes *
tessera_conversation_serialize (TesseraConversation *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  guint n;
  gsize len;
  char *data;

  g_return_val_if_fail (TESSERA_IS_CONVERSATION (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, TESSERA_CONVERSATION_VERSION);
  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TesseraChatMessage) message = g_list_model_get_item (G_LIST_MODEL (self->messages), i);
      g_autofree char *time = g_date_time_format_iso8601 (tessera_chat_message_get_time (message));
      GPtrArray *images = tessera_chat_message_get_images (message);
      GPtrArray *actions = tessera_chat_message_get_actions (message);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, role_names[tessera_chat_message_get_role (message)]);
      json_builder_set_member_name (builder, "text");
      json_builder_add_string_value (builder, tessera_chat_message_get_text (message));
      json_builder_set_member_name (builder, "time");
      json_builder_add_string_value (builder, time);
      if (tessera_chat_message_get_automatic (message))
        {
          json_builder_set_member_name (builder, "automatic");
          json_builder_add_boolean_value (builder, TRUE);
        }
      if (images != NULL)
        {
          json_builder_set_member_name (builder, "images");
          json_builder_begin_array (builder);
          for (guint j = 0; j < images->len; j++)
            {
              TesseraImage *image = g_ptr_array_index (images, j);

              json_builder_begin_object (builder);
              json_builder_set_member_name (builder, "name");
              json_builder_add_string_value (builder, tessera_image_get_name (image));
              json_builder_set_member_name (builder, "type");
              json_builder_add_string_value (builder, tessera_image_get_mime_type (image));
              json_builder_end_object (builder);
            }
          json_builder_end_array (builder);
        }
      if (tessera_chat_message_get_role (message) == TESSERA_CHAT_ROLE_ASSISTANT)
        {
          json_builder_set_member_name (builder, "status");
          json_builder_add_string_value (builder, tessera_turn_status_to_string (tessera_chat_message_get_status (message)));
          json_builder_set_member_name (builder, "input-tokens");
          json_builder_add_int_value (builder, tessera_chat_message_get_input_tokens (message));
          json_builder_set_member_name (builder, "output-tokens");
          json_builder_add_int_value (builder, tessera_chat_message_get_output_tokens (message));
          if (tessera_chat_message_get_cost (message) >= 0)
            {
              json_builder_set_member_name (builder, "cost");
              json_builder_add_double_value (builder, tessera_chat_message_get_cost (message));
            }
          json_builder_set_member_name (builder, "estimated-tokens");
          json_builder_add_int_value (builder, tessera_chat_message_get_estimated_tokens (message));
        }
      if (actions->len > 0)
        {
          gsize diff_budget = MAX_SAVED_DIFFS;

          json_builder_set_member_name (builder, "actions");
          json_builder_begin_array (builder);
          for (guint j = 0; j < actions->len; j++)
            add_action (builder, g_ptr_array_index (actions, j), &diff_budget);
          json_builder_end_array (builder);
        }
      json_builder_end_object (builder);
    }

  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  data = json_generator_to_data (generator, &len);
  return g_bytes_new_take (data, len);
}

/* Loading (in a worker thread: the messages are not shared until the
 * main thread appends them) */

static gboolean
find_name (const char  **names,
           guint         n_names,
           const char   *name,
           guint        *index)
{
  for (guint i = 0; i < n_names; i++)
    if (g_strcmp0 (names[i], name) == 0)
      {
        *index = i;
        return TRUE;
      }
  return FALSE;
}

/* A count (of lines, of tokens), or 0 when it is missing or not one. */
static guint
get_count (JsonObject *object,
           const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  gint64 value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  value = json_node_get_int (node);
  return value >= 0 && value <= G_MAXUINT ? value : 0;
}

/* What an answer cost, or -1 when it is missing or not a number. */
static double
get_cost (JsonObject *object)
{
  JsonNode *node = json_object_get_member (object, "cost");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_DOUBLE && json_node_get_value_type (node) != G_TYPE_INT64))
    return -1;
  return json_node_get_double (node);
}

static TesseraAction *
parse_action (JsonObject *object)
{
  static const char *kind_names[] = { "write", "edit", "delete", "rename", "run", "add-dependency", "summary" };
  const char *kind = json_object_get_string_member_with_default (object, "kind", NULL);
  const char *status = json_object_get_string_member_with_default (object, "status", NULL);
  const char *output = json_object_get_string_member_with_default (object, "output", NULL);
  JsonNode *diff = json_object_get_member (object, "diff");
  g_autoptr(TesseraAction) action = NULL;
  guint k, s;

  if (!find_name (kind_names, G_N_ELEMENTS (kind_names), kind, &k) ||
      !find_name (action_status_names, G_N_ELEMENTS (action_status_names), status, &s))
    return NULL;

  action = tessera_action_new (k);
  tessera_action_set_path (action, json_object_get_string_member_with_default (object, "path", NULL));
  tessera_action_set_to (action, json_object_get_string_member_with_default (object, "to", NULL));
  tessera_action_set_manager (action, json_object_get_string_member_with_default (object, "manager", NULL));
  tessera_action_set_command (action, json_object_get_string_member_with_default (object, "command", NULL));
  if (json_object_has_member (object, "packages"))
    {
      JsonArray *array = json_object_get_array_member (object, "packages");
      g_autoptr(GString) joined = g_string_new (NULL);

      for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
        {
          const char *name = json_array_get_string_element (array, i);

          if (name != NULL)
            g_string_append_printf (joined, "%s ", name);
        }
      tessera_action_set_packages (action, joined->str);
    }
  if (json_object_has_member (object, "content"))
    {
      const char *content = json_object_get_string_member_with_default (object, "content", "");

      tessera_action_append_content (action, content, strlen (content));
    }
  if (output != NULL)
    tessera_action_append_output (action, output, strlen (output));
  tessera_action_set_truncated (action, json_object_get_boolean_member_with_default (object, "truncated", FALSE));
  /* A diff left out of the file still has its counts. */
  if (diff != NULL && JSON_NODE_HOLDS_VALUE (diff) && json_node_get_value_type (diff) == G_TYPE_STRING)
    tessera_action_set_diff (action, json_node_get_string (diff),
                             get_count (object, "added"), get_count (object, "removed"));
  else if (json_object_has_member (object, "added") || json_object_has_member (object, "removed"))
    tessera_action_set_diff (action, NULL, get_count (object, "added"), get_count (object, "removed"));
  tessera_action_set_status (action, s, json_object_get_string_member_with_default (object, "message", NULL));

  return g_steal_pointer (&action);
}

/* The SHA-256 in hex and an extension, as tessera_image_get_name() makes
 * them: never a path, never "..". */
static gboolean
is_attachment_name (const char *name)
{
  return name != NULL &&
         strspn (name, "0123456789abcdef") == 64 && name[64] == '.' && name[65] != '\0' &&
         strspn (name + 65, "abcdefghijklmnopqrstuvwxyz") == strlen (name + 65);
}

/* The file's entry names the image, but the user may have edited it: only
 * a plain file of @attachments is read, never through a symlink, and only
 * if its content hashes to its name, so that nothing else can pass for
 * an attachment. */
static TesseraImage *
load_image (GFile         *attachments,
            const char    *name,
            const char    *type,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(TesseraImage) image = NULL;

  if (!is_attachment_name (name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                   "“%s” is not the name of an attachment", name ? name : "");
      return NULL;
    }

  file = g_file_get_child (attachments, name);
  if (!(info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                  G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, error)))
    return NULL;
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR ||
      g_file_info_get_size (info) > TESSERA_IMAGE_MAX_BYTES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not an image file", name);
      return NULL;
    }
  if (!(bytes = g_file_load_bytes (file, cancellable, NULL, error)) ||
      !(image = tessera_image_new (bytes, type, error)))
    return NULL;
  if (strcmp (tessera_image_get_name (image), name) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s does not hold the image of that name", name);
      return NULL;
    }

  return g_steal_pointer (&image);
}

/* An image that cannot be read back is left out, quietly: the message
 * stays, and the file as a whole is not corrupt for it. One that an
 * earlier message names too (a prompt sent again) is read once: @loaded
 * holds the images read so far, by name. */
static void
load_images (TesseraChatMessage *message,
             JsonNode           *node,
             GFile              *attachments,
             GHashTable         *loaded,
             GCancellable       *cancellable)
{
  JsonArray *array;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_debug ("The images of a message are not a list; left out");
      return;
    }

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autoptr(TesseraImage) image = NULL;
      g_autoptr(GError) error = NULL;
      JsonObject *object;
      const char *name;
      TesseraImage *known;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_debug ("An attached image is not an object; left out");
          continue;
        }
      object = json_node_get_object (element);
      name = json_object_get_string_member_with_default (object, "name", NULL);
      if (name != NULL && (known = g_hash_table_lookup (loaded, name)) != NULL)
        {
          tessera_chat_message_add_image (message, known);
          continue;
        }
      image = load_image (attachments, name,
                          json_object_get_string_member_with_default (object, "type", NULL),
                          cancellable, &error);
      if (image == NULL)
        {
          g_debug ("An attached image was left out: %s", error->message);
          continue;
        }
      tessera_chat_message_add_image (message, image);
      g_hash_table_insert (loaded, g_strdup (name), g_object_ref (image));
    }
}

static GPtrArray *
parse_conversation (const char    *data,
                    gsize          len,
                    GFile         *attachments,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) images = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  JsonNode *root;
  JsonObject *object;
  JsonArray *array;

  if (!json_parser_load_from_data (parser, data, len, error))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      !json_object_has_member (object = json_node_get_object (root), "messages") ||
      json_object_get_int_member_with_default (object, "version", 0) != TESSERA_CONVERSATION_VERSION ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "messages")))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a conversation");
      return NULL;
    }

  array = json_object_get_array_member (object, "messages");
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *m;
      const char *role, *text;
      g_autoptr(TesseraChatMessage) message = NULL;
      guint r;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        goto invalid;
      m = json_node_get_object (node);
      role = json_object_get_string_member_with_default (m, "role", NULL);
      text = json_object_get_string_member_with_default (m, "text", NULL);
      if (!find_name (role_names, G_N_ELEMENTS (role_names), role, &r) || text == NULL)
        goto invalid;

      message = tessera_chat_message_new (r, text);
      if (json_object_has_member (m, "time"))
        {
          g_autoptr(GDateTime) time =
            g_date_time_new_from_iso8601 (json_object_get_string_member_with_default (m, "time", ""), NULL);

          if (time != NULL)
            tessera_chat_message_set_time (message, time);
        }
      tessera_chat_message_set_automatic (message, json_object_get_boolean_member_with_default (m, "automatic", FALSE));
      if (r == TESSERA_CHAT_ROLE_USER && json_object_has_member (m, "images"))
        load_images (message, json_object_get_member (m, "images"), attachments, images, cancellable);
      if (r == TESSERA_CHAT_ROLE_ASSISTANT)
        {
          TesseraTurnStatus status =
            tessera_turn_status_from_string (json_object_get_string_member_with_default (m, "status", NULL));

          /* A turn that was running when Tessera stopped did not finish. */
          if (status == TESSERA_TURN_RUNNING)
            status = TESSERA_TURN_INCOMPLETE;
          tessera_chat_message_set_status (message, status);
          tessera_chat_message_set_usage (message,
                                          get_count (m, "input-tokens"),
                                          get_count (m, "output-tokens"),
                                          get_cost (m));
          tessera_chat_message_set_estimated_tokens (message, get_count (m, "estimated-tokens"));
        }
      if (json_object_has_member (m, "actions"))
        {
          JsonArray *actions = json_object_get_array_member (m, "actions");

          for (guint j = 0; actions != NULL && j < json_array_get_length (actions); j++)
            {
              JsonNode *a = json_array_get_element (actions, j);
              g_autoptr(TesseraAction) action = NULL;

              if (!JSON_NODE_HOLDS_OBJECT (a) || !(action = parse_action (json_node_get_object (a))))
                goto invalid;
              tessera_chat_message_add_action (message, action);
            }
        }
      g_ptr_array_add (messages, g_steal_pointer (&message));
    }

  return g_steal_pointer (&messages);

invalid:
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a conversation");
  return NULL;
}

typedef struct
{
  GPtrArray *messages;
  char      *backup_name;
} LoadResult;

static void
load_result_free (LoadResult *result)
{
  g_clear_pointer (&result->messages, g_ptr_array_unref);
  g_free (result->backup_name);
  g_free (result);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  TesseraConversation *self = source_object;
  GFile *file = task_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  LoadResult *result = g_new0 (LoadResult, 1);
  gsize len = 0;

  if (!g_file_load_contents (file, cancellable, &data, &len, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          load_result_free (result);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      result->messages = g_ptr_array_new_with_free_func (g_object_unref);
    }
  else if (!(result->messages = parse_conversation (data, len, self->attachments, cancellable, NULL)))
    {
      /* Never destroy what cannot be read: set it aside for the user. */
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
      g_autofree char *base = g_file_get_basename (file);
      g_autoptr(GFile) parent = g_file_get_parent (file);
      g_autoptr(GFile) backup = NULL;

      result->backup_name = g_strdup_printf ("%s.corrupt-%s", base, stamp);
      backup = g_file_get_child (parent, result->backup_name);
      if (!g_file_move (file, backup, G_FILE_COPY_NONE, cancellable, NULL, NULL, &error))
        {
          load_result_free (result);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      result->messages = g_ptr_array_new_with_free_func (g_object_unref);
    }

  g_task_return_pointer (task, result, (GDestroyNotify)load_result_free);
}

void
tessera_conversation_load_async (TesseraConversation *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TESSERA_IS_CONVERSATION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_conversation_load_async);
  g_task_set_task_data (task, g_object_ref (self->file), g_object_unref);
  g_task_run_in_thread (task, load_thread);
}

gboolean
tessera_conversation_load_finish (TesseraConversation  *self,
                                  GAsyncResult         *result,
                                  GError              **error)
{
  LoadResult *loaded;

  g_return_val_if_fail (TESSERA_IS_CONVERSATION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!(loaded = g_task_propagate_pointer (G_TASK (result), error)))
    return FALSE;

  g_list_store_splice (self->messages, 0, g_list_model_get_n_items (G_LIST_MODEL (self->messages)),
                       loaded->messages->pdata, loaded->messages->len);
  if (loaded->backup_name != NULL)
    {
      g_autofree char *text =
        g_strdup_printf (_("The previous conversation could not be read. It was kept as “%s” in the project’s .tessera/chat folder, and a new conversation was started."),
                         loaded->backup_name);
      g_autoptr(TesseraChatMessage) notice = tessera_chat_message_new (TESSERA_CHAT_ROLE_NOTICE, text);

      g_list_store_append (self->messages, notice);
      save_now (self);
    }

  load_result_free (loaded);
  return TRUE;
}

/* Saving */

typedef struct
{
  GBytes    *json;
  /* Every image of the conversation (TesseraImage). */
  GPtrArray *images;
  /* Whether to delete the attachments it no longer names. */
  gboolean   prune;
} SaveJob;

static void
save_job_free (SaveJob *job)
{
  g_bytes_unref (job->json);
  g_ptr_array_unref (job->images);
  g_free (job);
}

static gboolean
save_image (GFile         *attachments,
            TesseraImage  *image,
            GError       **error)
{
  g_autoptr(GFile) file = g_file_get_child (attachments, tessera_image_get_name (image));
  GBytes *bytes = tessera_image_get_bytes (image);

  /* Named by its content: a file already there is this image. Anything
   * else in its place (a folder, a link) is not, and loading would
   * refuse it. */
  if (g_file_query_file_type (file, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL) == G_FILE_TYPE_REGULAR)
    return TRUE;

  if (!g_file_make_directory_with_parents (attachments, NULL, error))
    {
      if (!g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        return FALSE;
      g_clear_error (error);
    }
  return g_file_replace_contents (file,
                                  g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                  NULL, FALSE,
                                  G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                  NULL, NULL, error);
}

/* After the file of a cleared conversation is written: the images it no
 * longer names are deleted, as the person would expect of what they took
 * back. Only files named as attachments are touched. */
static void
remove_unused_images (GFile     *attachments,
                      GPtrArray *images)
{
  g_autoptr(GFileEnumerator) children = NULL;
  g_autoptr(GHashTable) used = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  GFileInfo *info;

  children = g_file_enumerate_children (attachments, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &error);
  if (children == NULL)
    return;

  for (guint i = 0; i < images->len; i++)
    g_hash_table_add (used, (gpointer) tessera_image_get_name (g_ptr_array_index (images, i)));

  while (g_file_enumerator_iterate (children, &info, NULL, NULL, &error) && info != NULL)
    {
      const char *name = g_file_info_get_name (info);
      g_autoptr(GFile) child = NULL;

      if (!is_attachment_name (name) || g_hash_table_contains (used, name))
        continue;
      child = g_file_get_child (attachments, name);
      if (!g_file_delete (child, NULL, &error))
        {
          g_debug ("Could not delete an unused image: %s", error->message);
          g_clear_error (&error);
        }
    }
}

static void
save_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  TesseraConversation *self = source_object;
  SaveJob *job = task_data;
  GBytes *bytes = job->json;
  g_autoptr(GFile) parent = g_file_get_parent (self->file);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) image_error = NULL;

  /* The images first, so that the file never names one that is not on
   * disk when it can be helped. One that cannot be written does not keep
   * the messages from being saved; it is tried again with the next save,
   * and reported if that was the only failure. */
  for (guint i = 0; i < job->images->len && image_error == NULL; i++)
    save_image (self->attachments, g_ptr_array_index (job->images, i), &image_error);

  if (!g_file_make_directory_with_parents (parent, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_clear_error (&error);

  if (!g_file_replace_contents (self->file,
                                g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                NULL, FALSE,
                                G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                NULL, NULL, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (job->prune)
    remove_unused_images (self->attachments, job->images);

  if (image_error != NULL)
    g_task_return_error (task, g_steal_pointer (&image_error));
  else
    g_task_return_boolean (task, TRUE);
}

/* What a flush waiting for the saves learns. */
static void
return_saved (TesseraConversation *self,
              GTask               *task)
{
  if (self->save_error != NULL)
    g_task_return_error (task, g_error_copy (self->save_error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
save_done (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  TesseraConversation *self = TESSERA_CONVERSATION (object);
  SaveJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      /* The next save deletes them. */
      self->prune_images |= job->prune;
      /* Each save fails the same way until the way is clear: said once. */
      if (self->save_error == NULL ||
          !g_error_matches (self->save_error, error->domain, error->code) ||
          g_strcmp0 (self->save_error->message, error->message) != 0)
        {
          g_message ("Could not save the conversation: %s", error->message);
          g_clear_error (&self->save_error);
          self->save_error = g_steal_pointer (&error);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAVE_ERROR]);
        }
    }
  else if (self->save_error != NULL)
    {
      g_clear_error (&self->save_error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAVE_ERROR]);
    }

  self->saving = FALSE;
  if (self->dirty)
    {
      save_now (self);
      return;
    }

  while (self->flush_waiters->len > 0)
    {
      g_autoptr(GTask) waiter = g_ptr_array_steal_index (self->flush_waiters, 0);
      return_saved (self, waiter);
    }
}

static void
save_now (TesseraConversation *self)
{
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GTask) task = NULL;
  SaveJob *job;
  guint n;

  if (self->saving)
    {
      self->dirty = TRUE;
      return;
    }

  self->dirty = FALSE;
  self->saving = TRUE;

  job = g_new0 (SaveJob, 1);
  job->json = tessera_conversation_serialize (self);
  job->images = g_ptr_array_new_with_free_func (g_object_unref);
  job->prune = self->prune_images;
  self->prune_images = FALSE;
  n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TesseraChatMessage) message = g_list_model_get_item (G_LIST_MODEL (self->messages), i);
      GPtrArray *images = tessera_chat_message_get_images (message);

      /* A prompt sent again names its images again: each is written once. */
      for (guint j = 0; images != NULL && j < images->len; j++)
        {
          TesseraImage *image = g_ptr_array_index (images, j);

          if (g_hash_table_add (names, (gpointer) tessera_image_get_name (image)))
            g_ptr_array_add (job->images, g_object_ref (image));
        }
    }

  task = g_task_new (self, NULL, save_done, NULL);
  g_task_set_source_tag (task, save_now);
  g_task_set_task_data (task, job, (GDestroyNotify)save_job_free);
  g_task_run_in_thread (task, save_thread);
}

void
tessera_conversation_save (TesseraConversation *self)
{
  g_return_if_fail (TESSERA_IS_CONVERSATION (self));
  save_now (self);
}

void
tessera_conversation_flush_async (TesseraConversation *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TESSERA_IS_CONVERSATION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_conversation_flush_async);
  if (!self->saving && !self->dirty)
    return_saved (self, task);
  else
    g_ptr_array_add (self->flush_waiters, g_steal_pointer (&task));
}

gboolean
tessera_conversation_flush_finish (TesseraConversation  *self,
                                   GAsyncResult         *result,
                                   GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
