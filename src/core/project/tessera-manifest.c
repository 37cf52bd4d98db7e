/* tessera-manifest.c: reading and writing NAME.tessera
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-project"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-manifest.h"
#include "tessera-project.h"

static JsonObject *
corrupt (GError     **error,
         const char  *display_name,
         const char  *reason)
{
  g_set_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_CORRUPT_MANIFEST,
               _("The project file “%s” is damaged and cannot be opened: %s."),
               display_name, reason);
  return NULL;
}

static gboolean
is_string (JsonNode *node)
{
  return node != NULL &&
         JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING;
}

JsonObject *
tessera_manifest_parse (GBytes      *data,
                        const char  *display_name,
                        GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDateTime) created = NULL;
  JsonObject *object;
  JsonNode *root;
  JsonNode *node;
  gint64 version;
  gsize len;
  const char *text = g_bytes_get_data (data, &len);

  if (len == 0 || text == NULL)
    return corrupt (error, display_name, _("the file is empty"));

  if (!json_parser_load_from_data (parser, text, len, &local_error))
    return corrupt (error, display_name, _("it is not valid JSON"));

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return corrupt (error, display_name, _("it does not describe a project"));
  object = json_node_get_object (root);

  /* The version comes first: a newer schema may change everything else. */
  node = json_object_get_member (object, "tessera");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return corrupt (error, display_name, _("its format version is missing"));
  version = json_node_get_int (node);
  if (version < 1)
    return corrupt (error, display_name, _("its format version is not valid"));
  if (version > TESSERA_PROJECT_MANIFEST_VERSION)
    {
      g_set_error (error, TESSERA_PROJECT_ERROR, TESSERA_PROJECT_ERROR_FUTURE_MANIFEST,
                   _("The project file “%s” was made by a newer version of Tessera. "
                     "Update Tessera to open this project."),
                   display_name);
      return NULL;
    }

  node = json_object_get_member (object, "id");
  if (!is_string (node) || *json_node_get_string (node) == '\0')
    return corrupt (error, display_name, _("its identifier is missing"));

  node = json_object_get_member (object, "name");
  if (!is_string (node) || *json_node_get_string (node) == '\0')
    return corrupt (error, display_name, _("its name is missing"));

  node = json_object_get_member (object, "created");
  if (!is_string (node) ||
      !(created = g_date_time_new_from_iso8601 (json_node_get_string (node), NULL)))
    return corrupt (error, display_name, _("its creation date is missing or not valid"));

  node = json_object_get_member (object, "template");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node) && !is_string (node))
    return corrupt (error, display_name, _("its template is not text"));

  node = json_object_get_member (object, "settings");
  if (node != NULL)
    {
      g_autoptr(GList) members = NULL;
      JsonObject *settings;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return corrupt (error, display_name, _("its settings are not valid"));
      settings = json_node_get_object (node);
      members = json_object_get_values (settings);
      for (const GList *l = members; l != NULL; l = l->next)
        {
          if (!is_string (l->data))
            return corrupt (error, display_name, _("one of its settings is not text"));
        }
    }

  return json_object_ref (object);
}

JsonObject *
tessera_manifest_new (const char *name,
                      const char *template_name)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *created = g_date_time_format_iso8601 (now);
  JsonObject *object = json_object_new ();

  json_object_set_int_member (object, "tessera", TESSERA_PROJECT_MANIFEST_VERSION);
  json_object_set_string_member (object, "id", id);
  json_object_set_string_member (object, "name", name);
  json_object_set_string_member (object, "created", created);
  if (template_name != NULL)
    json_object_set_string_member (object, "template", template_name);
  else
    json_object_set_null_member (object, "template");
  json_object_set_object_member (object, "settings", json_object_new ());

  return object;
}

GBytes *
tessera_manifest_serialize (JsonObject *manifest)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;
  gsize len;

  json_node_set_object (root, manifest);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  text = json_generator_to_data (generator, &len);

  return g_bytes_new_take (g_strconcat (text, "\n", NULL), len + 1);
}
