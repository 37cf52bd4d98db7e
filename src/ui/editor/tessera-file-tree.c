/* tessera-file-tree.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-file-tree"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "tessera-file-tree.h"
#include "tessera-style-sheet.h"

#define LIST_ATTRIBUTES \
  G_FILE_ATTRIBUTE_STANDARD_NAME "," \
  G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME "," \
  G_FILE_ATTRIBUTE_STANDARD_TYPE "," \
  G_FILE_ATTRIBUTE_STANDARD_FAST_CONTENT_TYPE
#define SORT_KEY_ATTRIBUTE "tessera::sort-key"
#define BATCH_SIZE 500

typedef enum
{
  NAME_NEW_FILE,
  NAME_NEW_FOLDER,
  NAME_RENAME,
} NameMode;

struct _TesseraFileTree
{
  GtkWidget           parent_instance;

  TesseraProject     *project;
  GCancellable       *cancellable;
  /* Relative folder path ("" is the root) -> the GListStore of its listed
   * children, for the folders currently expanded. Weak: a collapsed
   * folder's store goes away with its rows. */
  GHashTable         *stores;
  GtkTreeListModel   *tree_model;
  GtkSortListModel   *sort_model;
  GtkSingleSelection *selection;
  guint               n_listing;

  GtkScrolledWindow  *scroller;
  GtkListView        *list_view;
  GtkWidget          *menu;
  GtkWidget          *name_popover;
  GtkLabel           *name_label;
  GtkEntry           *name_entry;
  GtkLabel           *name_error;
  GtkButton          *name_button;

  /* The row the context menu was opened on; "" is the root. */
  char               *target_path;
  gboolean            target_is_dir;
  NameMode            name_mode;
};

G_DEFINE_FINAL_TYPE (TesseraFileTree, tessera_file_tree, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_PROJECT,
  PROP_LOADING,
  N_PROPS
};

enum {
  FILE_ACTIVATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct
{
  TesseraFileTree *self;
  GListStore      *store;
  char            *path;
} Listing;

static void
listing_free (Listing *listing)
{
  TesseraFileTree *self = listing->self;

  if (--self->n_listing == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  g_clear_object (&listing->self);
  g_clear_object (&listing->store);
  g_clear_pointer (&listing->path, g_free);
  g_free (listing);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Listing, listing_free)

static char *
join_path (const char *dir,
           const char *name)
{
  if (dir == NULL || dir[0] == '\0')
    return g_strdup (name);
  return g_strconcat (dir, "/", name, NULL);
}

static char *
parent_path (const char *path)
{
  const char *slash = strrchr (path, '/');

  if (slash == NULL)
    return g_strdup ("");
  return g_strndup (path, slash - path);
}

static const char *
info_get_path (GFileInfo *info)
{
  return g_file_info_get_attribute_string (info, TESSERA_FILE_TREE_ATTRIBUTE_PATH);
}

static gboolean
info_is_dir (GFileInfo *info)
{
  return g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY;
}

static gboolean
is_manifest (TesseraFileTree *self,
             const char      *name)
{
  g_autofree char *manifest = g_file_get_basename (tessera_project_get_manifest_file (self->project));

  return g_strcmp0 (name, manifest) == 0;
}

/* Prepares a listed entry for the tree, or returns FALSE when it is hidden. */
static gboolean
prepare_info (TesseraFileTree *self,
              const char      *dir,
              GFileInfo       *info)
{
  const char *name = g_file_info_get_name (info);
  g_autofree char *path = join_path (dir, name);
  g_autofree char *key = NULL;

  if (tessera_project_is_ignored (self->project, path, info_is_dir (info)))
    return FALSE;

  /* The manifest is Tessera's own file, not part of the app. */
  if ((dir == NULL || dir[0] == '\0') && is_manifest (self, name))
    return FALSE;

  key = g_utf8_collate_key_for_filename (g_file_info_get_display_name (info), -1);
  g_file_info_set_attribute_string (info, TESSERA_FILE_TREE_ATTRIBUTE_PATH, path);
  g_file_info_set_attribute_string (info, SORT_KEY_ATTRIBUTE, key);
  return TRUE;
}

static gboolean
store_find (GListStore *store,
            const char *name,
            guint      *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GFileInfo) info = g_list_model_get_item (G_LIST_MODEL (store), i);

      if (g_strcmp0 (g_file_info_get_name (info), name) == 0)
        {
          if (position)
            *position = i;
          return TRUE;
        }
    }

  return FALSE;
}

/* Listing */

static void next_files_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data);

static void
next_files_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GFileEnumerator *enumerator = G_FILE_ENUMERATOR (object);
  g_autoptr(Listing) listing = user_data;
  g_autoptr(GPtrArray) visible = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;
  GList *files;

  files = g_file_enumerator_next_files_finish (enumerator, result, &error);
  if (files == NULL)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not list “%s”: %s", listing->path, error->message);
      g_file_enumerator_close_async (enumerator, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      return;
    }

  visible = g_ptr_array_new_with_free_func (g_object_unref);
  for (GList *l = files; l != NULL; l = l->next)
    {
      GFileInfo *info = l->data;

      if (prepare_info (listing->self, listing->path, info) &&
          !store_find (listing->store, g_file_info_get_name (info), NULL))
        g_ptr_array_add (visible, g_object_ref (info));
    }
  g_list_free_full (files, g_object_unref);

  /* One splice per batch: one items-changed for the whole batch. */
  g_list_store_splice (listing->store,
                       g_list_model_get_n_items (G_LIST_MODEL (listing->store)),
                       0, visible->pdata, visible->len);

  cancellable = listing->self->cancellable;
  g_file_enumerator_next_files_async (enumerator, BATCH_SIZE, G_PRIORITY_DEFAULT,
                                      cancellable, next_files_cb, g_steal_pointer (&listing));
}

static void
enumerate_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Listing) listing = user_data;
  g_autoptr(GFileEnumerator) enumerator = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  enumerator = g_file_enumerate_children_finish (G_FILE (object), result, &error);
  if (enumerator == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not list “%s”: %s", listing->path, error->message);
      return;
    }

  cancellable = listing->self->cancellable;
  g_file_enumerator_next_files_async (enumerator, BATCH_SIZE, G_PRIORITY_DEFAULT,
                                      cancellable, next_files_cb, g_steal_pointer (&listing));
}

static void
store_finalized_cb (gpointer  data,
                    GObject  *where_the_object_was)
{
  TesseraFileTree *self = data;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->stores);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      if (value == (gpointer)where_the_object_was)
        {
          g_hash_table_iter_remove (&iter);
          break;
        }
    }
}

static GListModel *
list_folder (TesseraFileTree *self,
             const char      *path)
{
  g_autoptr(GFile) dir = NULL;
  GListStore *store;
  GListStore *old;
  Listing *listing;

  if (path[0] == '\0')
    dir = g_object_ref (tessera_project_get_root (self->project));
  else
    dir = tessera_project_resolve (self->project, path, NULL);

  store = g_list_store_new (G_TYPE_FILE_INFO);
  if (dir == NULL)
    return G_LIST_MODEL (store);

  /* A folder collapsed and expanded again may still have its old store
   * around: the new one is the one on screen. */
  if ((old = g_hash_table_lookup (self->stores, path)) != NULL)
    g_object_weak_unref (G_OBJECT (old), store_finalized_cb, self);
  g_hash_table_insert (self->stores, g_strdup (path), store);
  g_object_weak_ref (G_OBJECT (store), store_finalized_cb, self);

  listing = g_new0 (Listing, 1);
  listing->self = g_object_ref (self);
  listing->store = g_object_ref (store);
  listing->path = g_strdup (path);
  if (self->n_listing++ == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);

  /* Not following symlinks: a link to a folder outside the project must not
   * let the tree wander out of it. */
  g_file_enumerate_children_async (dir, LIST_ATTRIBUTES, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                   G_PRIORITY_DEFAULT, self->cancellable,
                                   enumerate_cb, listing);

  return G_LIST_MODEL (store);
}

static GListModel *
create_child_model (gpointer item,
                    gpointer user_data)
{
  TesseraFileTree *self = user_data;
  GFileInfo *info = item;

  if (!info_is_dir (info))
    return NULL;

  return list_folder (self, info_get_path (info));
}

static int
compare_infos (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  GFileInfo *info_a = G_FILE_INFO ((gpointer)a);
  GFileInfo *info_b = G_FILE_INFO ((gpointer)b);
  gboolean dir_a = info_is_dir (info_a);
  gboolean dir_b = info_is_dir (info_b);

  if (dir_a != dir_b)
    return dir_a ? GTK_ORDERING_SMALLER : GTK_ORDERING_LARGER;

  return gtk_ordering_from_cmpfunc (g_strcmp0 (g_file_info_get_attribute_string (info_a, SORT_KEY_ATTRIBUTE),
                                               g_file_info_get_attribute_string (info_b, SORT_KEY_ATTRIBUTE)));
}

/* Live updates */

typedef struct
{
  TesseraFileTree *self;
  char            *dir;
} AddData;

static void
add_data_free (AddData *data)
{
  g_clear_object (&data->self);
  g_free (data->dir);
  g_free (data);
}

static void
add_query_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  AddData *data = user_data;
  TesseraFileTree *self = data->self;
  g_autoptr(GFileInfo) info = NULL;
  GListStore *store;

  info = g_file_query_info_finish (G_FILE (object), result, NULL);
  store = g_hash_table_lookup (self->stores, data->dir);

  if (info != NULL && store != NULL &&
      !store_find (store, g_file_info_get_name (info), NULL) &&
      prepare_info (self, data->dir, info))
    g_list_store_append (store, info);

  add_data_free (data);
}

static void
add_entry (TesseraFileTree *self,
           const char      *path)
{
  g_autofree char *dir = parent_path (path);
  g_autofree char *name = g_path_get_basename (path);
  g_autoptr(GFile) file = NULL;
  GListStore *store;
  AddData *data;

  /* A folder nobody expanded is listed when it is. */
  if (!(store = g_hash_table_lookup (self->stores, dir)) || store_find (store, name, NULL))
    return;

  if (!(file = tessera_project_resolve (self->project, path, NULL)))
    return;

  data = g_new0 (AddData, 1);
  data->self = g_object_ref (self);
  data->dir = g_steal_pointer (&dir);
  g_file_query_info_async (file, LIST_ATTRIBUTES, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                           G_PRIORITY_DEFAULT, self->cancellable, add_query_cb, data);
}

static void
remove_entry (TesseraFileTree *self,
              const char      *path)
{
  g_autofree char *dir = parent_path (path);
  g_autofree char *name = g_path_get_basename (path);
  GListStore *store;
  guint position;

  if ((store = g_hash_table_lookup (self->stores, dir)) && store_find (store, name, &position))
    g_list_store_remove (store, position);
}

static void
file_changed_cb (TesseraFileTree   *self,
                 const char        *path,
                 TesseraFileChange  change,
                 const char        *old_path,
                 TesseraProject    *project)
{
  switch (change)
    {
    case TESSERA_FILE_CREATED:
      add_entry (self, path);
      break;

    case TESSERA_FILE_DELETED:
      remove_entry (self, path);
      break;

    case TESSERA_FILE_RENAMED:
      if (old_path != NULL)
        remove_entry (self, old_path);
      add_entry (self, path);
      break;

    case TESSERA_FILE_CHANGED:
    default:
      break;
    }
}

/* Rows */

static const char *
icon_name_for (GFileInfo *info)
{
  const char *type;

  if (info_is_dir (info))
    return "folder-symbolic";

  /* The generic symbolic icons of the big families: the theme has no
   * symbolic icon per MIME type, and full-colour ones clash in a sidebar. */
  type = g_file_info_get_attribute_string (info, G_FILE_ATTRIBUTE_STANDARD_FAST_CONTENT_TYPE);
  if (type != NULL)
    {
      g_autofree char *mime = g_content_type_get_mime_type (type);

      if (mime != NULL && g_str_has_prefix (mime, "image/"))
        return "image-x-generic-symbolic";
      if (mime != NULL && g_str_has_prefix (mime, "audio/"))
        return "audio-x-generic-symbolic";
      if (mime != NULL && g_str_has_prefix (mime, "video/"))
        return "video-x-generic-symbolic";
      if (mime != NULL && (g_str_has_suffix (mime, "zip") || g_str_has_suffix (mime, "tar") ||
                           g_str_has_suffix (mime, "gzip")))
        return "package-x-generic-symbolic";
    }

  return "text-x-generic-symbolic";
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              TesseraFileTree          *self)
{
  GtkWidget *expander = gtk_tree_expander_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *image = gtk_image_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_box_append (GTK_BOX (box), image);
  gtk_box_append (GTK_BOX (box), label);
  gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), box);
  gtk_list_item_set_child (list_item, expander);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             TesseraFileTree          *self)
{
  GtkTreeListRow *row = gtk_list_item_get_item (list_item);
  GtkWidget *expander = gtk_list_item_get_child (list_item);
  GtkWidget *box = gtk_tree_expander_get_child (GTK_TREE_EXPANDER (expander));
  GtkWidget *image = gtk_widget_get_first_child (box);
  GtkWidget *label = gtk_widget_get_last_child (box);
  g_autoptr(GFileInfo) info = gtk_tree_list_row_get_item (row);
  const char *name = g_file_info_get_display_name (info);

  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (expander), row);
  gtk_label_set_label (GTK_LABEL (label), name);

  /* Icons only for rows on screen: a listing of thousands pays for none. */
  gtk_image_set_from_icon_name (GTK_IMAGE (image), icon_name_for (info));

  if (info_is_dir (info))
    {
      g_autofree char *description = g_strdup_printf (_("Folder %s"), name);

      gtk_accessible_update_property (GTK_ACCESSIBLE (expander),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
    }
  else
    {
      gtk_accessible_update_property (GTK_ACCESSIBLE (expander),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
    }
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               TesseraFileTree          *self)
{
  GtkWidget *expander = gtk_list_item_get_child (list_item);

  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (expander), NULL);
}

static void
activate_cb (TesseraFileTree *self,
             guint            position)
{
  g_autoptr(GtkTreeListRow) row = g_list_model_get_item (G_LIST_MODEL (self->sort_model), position);
  g_autoptr(GFileInfo) info = NULL;

  if (row == NULL)
    return;

  info = gtk_tree_list_row_get_item (row);
  if (info_is_dir (info))
    gtk_tree_list_row_set_expanded (row, !gtk_tree_list_row_get_expanded (row));
  else
    g_signal_emit (self, signals[FILE_ACTIVATED], 0, info_get_path (info));
}

/* Context menu */

static void
set_target (TesseraFileTree *self,
            GFileInfo       *info)
{
  gboolean is_root = info == NULL;

  g_free (self->target_path);
  self->target_path = g_strdup (is_root ? "" : info_get_path (info));
  self->target_is_dir = is_root || info_is_dir (info);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "tree.rename", !is_root);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "tree.delete", !is_root);
}

static void
popup_at (TesseraFileTree *self,
          GtkWidget       *popover,
          double           x,
          double           y)
{
  GdkRectangle rect = { (int)x, (int)y, 1, 1 };

  gtk_popover_set_pointing_to (GTK_POPOVER (popover), &rect);
  gtk_popover_popup (GTK_POPOVER (popover));
}

static GtkWidget *
find_row_widget (GtkWidget *widget)
{
  for (; widget != NULL; widget = gtk_widget_get_parent (widget))
    if (GTK_IS_TREE_EXPANDER (widget))
      return widget;
  return NULL;
}

static void
target_from_row_widget (TesseraFileTree *self,
                        GtkWidget       *row_widget)
{
  GtkTreeListRow *row = row_widget ? gtk_tree_expander_get_list_row (GTK_TREE_EXPANDER (row_widget)) : NULL;
  g_autoptr(GFileInfo) info = row ? gtk_tree_list_row_get_item (row) : NULL;

  set_target (self, info);
}

static void
right_click_cb (TesseraFileTree *self,
                int              n_press,
                double           x,
                double           y,
                GtkGestureClick *gesture)
{
  GtkWidget *picked;
  double tx, ty;

  picked = gtk_widget_pick (GTK_WIDGET (self->list_view), x, y, GTK_PICK_DEFAULT);
  target_from_row_widget (self, find_row_widget (picked));

  if (!gtk_widget_translate_coordinates (GTK_WIDGET (self->list_view), GTK_WIDGET (self), x, y, &tx, &ty))
    tx = x, ty = y;
  popup_at (self, self->menu, tx, ty);
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

static void
popup_menu_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  TesseraFileTree *self = TESSERA_FILE_TREE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *focus = root ? gtk_root_get_focus (root) : NULL;
  GtkWidget *row_widget = NULL;
  graphene_rect_t bounds;

  /* The focused row is the one the keyboard user means. */
  if (focus != NULL && gtk_widget_is_ancestor (focus, widget))
    {
      row_widget = find_row_widget (focus);
      if (row_widget == NULL && gtk_widget_get_first_child (focus) != NULL)
        row_widget = find_row_widget (gtk_widget_get_first_child (focus));
    }

  target_from_row_widget (self, row_widget);

  if (row_widget != NULL && gtk_widget_compute_bounds (row_widget, widget, &bounds))
    popup_at (self, self->menu, bounds.origin.x + 24, bounds.origin.y + bounds.size.height);
  else
    popup_at (self, self->menu, 24, 24);
}

static char *
target_dir (TesseraFileTree *self)
{
  if (self->target_is_dir)
    return g_strdup (self->target_path);
  return parent_path (self->target_path);
}

static void
show_name_popover (TesseraFileTree *self,
                   NameMode         mode)
{
  g_autofree char *name = NULL;
  GdkRectangle rect;

  self->name_mode = mode;

  switch (mode)
    {
    case NAME_NEW_FILE:
      gtk_label_set_label (self->name_label, _("New File"));
      gtk_button_set_label (self->name_button, _("_Create"));
      break;

    case NAME_NEW_FOLDER:
      gtk_label_set_label (self->name_label, _("New Folder"));
      gtk_button_set_label (self->name_button, _("_Create"));
      break;

    case NAME_RENAME:
    default:
      gtk_label_set_label (self->name_label, _("Rename"));
      gtk_button_set_label (self->name_button, _("_Rename"));
      name = g_path_get_basename (self->target_path);
      break;
    }

  gtk_editable_set_text (GTK_EDITABLE (self->name_entry), name ? name : "");
  gtk_label_set_label (self->name_error, "");
  gtk_widget_set_visible (GTK_WIDGET (self->name_error), FALSE);

  /* Reuse where the menu pointed, so the popover appears at the row. */
  if (!gtk_popover_get_pointing_to (GTK_POPOVER (self->menu), &rect))
    rect = (GdkRectangle) { 24, 24, 1, 1 };
  popup_at (self, self->name_popover, rect.x, rect.y);
  gtk_widget_grab_focus (GTK_WIDGET (self->name_entry));

  if (name != NULL)
    {
      const char *dot = strrchr (name, '.');

      /* Like Files: select the name without its extension. */
      gtk_editable_select_region (GTK_EDITABLE (self->name_entry), 0,
                                  dot && dot != name ? (int)g_utf8_pointer_to_offset (name, dot) : -1);
    }
}

static void
show_toast (TesseraFileTree *self,
            const char      *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (message));
  else
    g_message ("%s", message);
}

static void
write_new_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(TesseraFileTree) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_project_write_finish (TESSERA_PROJECT (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_toast (self, error->message);
}

static void
rename_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(TesseraFileTree) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_project_rename_finish (TESSERA_PROJECT (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_toast (self, error->message);
}

static const char *
validate_name (const char *name)
{
  if (name[0] == '\0')
    return "";
  if (strchr (name, '/') != NULL)
    return _("A name cannot contain “/”.");
  if (g_str_equal (name, ".") || g_str_equal (name, ".."))
    return _("“.” and “..” are reserved names.");
  return NULL;
}

static void
name_commit (TesseraFileTree *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_entry));
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  GListStore *store;
  const char *problem;

  if ((problem = validate_name (name)) != NULL)
    {
      gtk_label_set_label (self->name_error, problem);
      gtk_widget_set_visible (GTK_WIDGET (self->name_error), problem[0] != '\0');
      return;
    }

  dir = self->name_mode == NAME_RENAME ? parent_path (self->target_path) : target_dir (self);
  path = join_path (dir, name);

  store = g_hash_table_lookup (self->stores, dir);
  if ((store != NULL && store_find (store, name, NULL)) &&
      !(self->name_mode == NAME_RENAME && g_str_equal (path, self->target_path)))
    {
      gtk_label_set_label (self->name_error, _("A file or folder with this name already exists."));
      gtk_widget_set_visible (GTK_WIDGET (self->name_error), TRUE);
      return;
    }

  gtk_popover_popdown (GTK_POPOVER (self->name_popover));

  switch (self->name_mode)
    {
    case NAME_NEW_FILE:
      {
        g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);

        tessera_project_write_async (self->project, path, empty, self->cancellable,
                                     write_new_cb, g_object_ref (self));
        /* Open it right away: the document shows it empty until written. */
        g_signal_emit (self, signals[FILE_ACTIVATED], 0, path);
      }
      break;

    case NAME_NEW_FOLDER:
      if (!tessera_project_make_directory (self->project, path, &error))
        show_toast (self, error->message);
      break;

    case NAME_RENAME:
    default:
      if (!g_str_equal (path, self->target_path))
        tessera_project_rename_async (self->project, self->target_path, path, self->cancellable,
                                      rename_cb, g_object_ref (self));
      break;
    }
}

static void
delete_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(TesseraFileTree) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_project_delete_finish (TESSERA_PROJECT (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_toast (self, error->message);
}

static void
delete_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    TesseraFileTree  *self)
{
  const char *path = g_object_get_data (G_OBJECT (dialog), "path");

  if (g_str_equal (response, "delete"))
    tessera_project_delete_async (self->project, path, TRUE, self->cancellable,
                                  delete_cb, g_object_ref (self));
}

static void
confirm_delete (TesseraFileTree *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *name = g_path_get_basename (self->target_path);
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  /* Translators: %s is a file or folder name */
  heading = g_strdup_printf (_("Delete “%s”?"), name);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading,
                                   self->target_is_dir
                                     ? _("The folder and everything in it will be moved to the trash.")
                                     : _("The file will be moved to the trash."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "path", g_strdup (self->target_path), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
tree_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  TesseraFileTree *self = TESSERA_FILE_TREE (widget);

  if (self->target_path == NULL)
    set_target (self, NULL);

  if (g_str_equal (action_name, "tree.new-file"))
    show_name_popover (self, NAME_NEW_FILE);
  else if (g_str_equal (action_name, "tree.new-folder"))
    show_name_popover (self, NAME_NEW_FOLDER);
  else if (g_str_equal (action_name, "tree.rename") && self->target_path[0] != '\0')
    show_name_popover (self, NAME_RENAME);
  else if (g_str_equal (action_name, "tree.delete") && self->target_path[0] != '\0')
    confirm_delete (self);
  else if (g_str_equal (action_name, "tree.copy-path"))
    gdk_clipboard_set_text (gtk_widget_get_clipboard (widget),
                            self->target_path[0] ? self->target_path : ".");
}

static GMenuModel *
create_menu_model (void)
{
  GMenu *menu = g_menu_new ();
  g_autoptr(GMenu) create = g_menu_new ();
  g_autoptr(GMenu) edit = g_menu_new ();
  g_autoptr(GMenu) danger = g_menu_new ();

  g_menu_append (create, _("New _File…"), "tree.new-file");
  g_menu_append (create, _("New F_older…"), "tree.new-folder");
  g_menu_append (edit, _("_Rename…"), "tree.rename");
  g_menu_append (edit, _("_Copy Path"), "tree.copy-path");
  g_menu_append (danger, _("_Delete"), "tree.delete");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (create));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (edit));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (danger));

  return G_MENU_MODEL (menu);
}

static void
name_changed_cb (TesseraFileTree *self)
{
  const char *problem = validate_name (gtk_editable_get_text (GTK_EDITABLE (self->name_entry)));

  gtk_widget_set_sensitive (GTK_WIDGET (self->name_button), problem == NULL);
  gtk_label_set_label (self->name_error, problem ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->name_error), problem && problem[0]);
}

static void
build_name_popover (TesseraFileTree *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  self->name_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->name_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->name_label), "heading");

  self->name_entry = GTK_ENTRY (gtk_entry_new ());
  gtk_widget_set_hexpand (GTK_WIDGET (self->name_entry), TRUE);
  gtk_entry_set_activates_default (self->name_entry, FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->name_entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Name"), -1);
  g_signal_connect_swapped (self->name_entry, "activate", G_CALLBACK (name_commit), self);
  g_signal_connect_swapped (self->name_entry, "changed", G_CALLBACK (name_changed_cb), self);

  self->name_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Create")));
  gtk_widget_add_css_class (GTK_WIDGET (self->name_button), "suggested-action");
  g_signal_connect_swapped (self->name_button, "clicked", G_CALLBACK (name_commit), self);

  self->name_error = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->name_error, 0);
  gtk_label_set_wrap (self->name_error, TRUE);
  gtk_label_set_max_width_chars (self->name_error, 30);
  gtk_widget_add_css_class (GTK_WIDGET (self->name_error), "error");

  gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->name_entry));
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->name_button));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->name_label));
  gtk_box_append (GTK_BOX (box), row);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->name_error));

  self->name_popover = gtk_popover_new ();
  gtk_popover_set_child (GTK_POPOVER (self->name_popover), box);
  gtk_popover_set_position (GTK_POPOVER (self->name_popover), GTK_POS_BOTTOM);
  gtk_widget_set_parent (self->name_popover, GTK_WIDGET (self));
}

/* Public */

TesseraFileTree *
tessera_file_tree_new (TesseraProject *project)
{
  g_return_val_if_fail (TESSERA_IS_PROJECT (project), NULL);

  return g_object_new (TESSERA_TYPE_FILE_TREE, "project", project, NULL);
}

TesseraProject *
tessera_file_tree_get_project (TesseraFileTree *self)
{
  g_return_val_if_fail (TESSERA_IS_FILE_TREE (self), NULL);

  return self->project;
}

GListModel *
tessera_file_tree_get_model (TesseraFileTree *self)
{
  g_return_val_if_fail (TESSERA_IS_FILE_TREE (self), NULL);

  return G_LIST_MODEL (self->sort_model);
}

GtkListView *
tessera_file_tree_get_list_view (TesseraFileTree *self)
{
  g_return_val_if_fail (TESSERA_IS_FILE_TREE (self), NULL);

  return self->list_view;
}

gboolean
tessera_file_tree_get_loading (TesseraFileTree *self)
{
  g_return_val_if_fail (TESSERA_IS_FILE_TREE (self), FALSE);

  return self->n_listing > 0;
}

void
tessera_file_tree_new_file (TesseraFileTree *self,
                            const char      *dir)
{
  GdkRectangle rect = { 24, 24, 1, 1 };

  g_return_if_fail (TESSERA_IS_FILE_TREE (self));

  g_free (self->target_path);
  self->target_path = g_strdup (dir ? dir : "");
  self->target_is_dir = TRUE;
  gtk_popover_set_pointing_to (GTK_POPOVER (self->menu), &rect);
  show_name_popover (self, NAME_NEW_FILE);
}

/* GObject */

static void
tessera_file_tree_constructed (GObject *object)
{
  TesseraFileTree *self = (TesseraFileTree *)object;
  g_autoptr(GtkListItemFactory) factory = NULL;
  g_autoptr(GMenuModel) menu_model = NULL;
  GtkCustomSorter *sorter;
  GtkTreeListRowSorter *row_sorter;
  GtkGesture *gesture;
  GListModel *root;

  G_OBJECT_CLASS (tessera_file_tree_parent_class)->constructed (object);

  g_assert (TESSERA_IS_PROJECT (self->project));

  root = list_folder (self, "");
  self->tree_model = gtk_tree_list_model_new (root, FALSE, FALSE, create_child_model, self, NULL);

  sorter = gtk_custom_sorter_new (compare_infos, NULL, NULL);
  row_sorter = gtk_tree_list_row_sorter_new (GTK_SORTER (sorter));
  self->sort_model = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->tree_model)),
                                              GTK_SORTER (row_sorter));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->sort_model)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect_object (factory, "setup", G_CALLBACK (setup_row_cb), self, 0);
  g_signal_connect_object (factory, "bind", G_CALLBACK (bind_row_cb), self, 0);
  g_signal_connect_object (factory, "unbind", G_CALLBACK (unbind_row_cb), self, 0);

  self->list_view = GTK_LIST_VIEW (gtk_list_view_new (GTK_SELECTION_MODEL (g_object_ref (self->selection)),
                                                      g_object_ref (factory)));
  gtk_list_view_set_single_click_activate (self->list_view, FALSE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list_view), "tessera-file-tree");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list_view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Project files"), -1);
  g_signal_connect_object (self->list_view, "activate", G_CALLBACK (activate_cb), self, G_CONNECT_SWAPPED);

  gesture = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_SECONDARY);
  g_signal_connect_object (gesture, "pressed", G_CALLBACK (right_click_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->list_view), GTK_EVENT_CONTROLLER (gesture));

  self->scroller = GTK_SCROLLED_WINDOW (gtk_scrolled_window_new ());
  gtk_scrolled_window_set_policy (self->scroller, GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (self->scroller, GTK_WIDGET (self->list_view));
  gtk_widget_set_parent (GTK_WIDGET (self->scroller), GTK_WIDGET (self));

  menu_model = create_menu_model ();
  self->menu = gtk_popover_menu_new_from_model (menu_model);
  gtk_popover_set_has_arrow (GTK_POPOVER (self->menu), FALSE);
  gtk_popover_set_position (GTK_POPOVER (self->menu), GTK_POS_BOTTOM);
  gtk_widget_set_halign (self->menu, GTK_ALIGN_START);
  gtk_widget_set_parent (self->menu, GTK_WIDGET (self));

  build_name_popover (self);
  set_target (self, NULL);

  g_signal_connect_object (self->project, "file-changed", G_CALLBACK (file_changed_cb), self, G_CONNECT_SWAPPED);
}

static void
tessera_file_tree_dispose (GObject *object)
{
  TesseraFileTree *self = (TesseraFileTree *)object;
  GHashTableIter iter;
  gpointer value;

  g_cancellable_cancel (self->cancellable);

  if (self->stores != NULL)
    {
      g_hash_table_iter_init (&iter, self->stores);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_object_weak_unref (G_OBJECT (value), store_finalized_cb, self);
      g_hash_table_remove_all (self->stores);
    }

  g_clear_pointer ((GtkWidget **)&self->scroller, gtk_widget_unparent);
  g_clear_pointer (&self->menu, gtk_widget_unparent);
  g_clear_pointer (&self->name_popover, gtk_widget_unparent);
  self->list_view = NULL;
  g_clear_object (&self->selection);
  g_clear_object (&self->sort_model);
  g_clear_object (&self->tree_model);

  G_OBJECT_CLASS (tessera_file_tree_parent_class)->dispose (object);
}

static void
tessera_file_tree_finalize (GObject *object)
{
  TesseraFileTree *self = (TesseraFileTree *)object;

  g_clear_object (&self->project);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->stores, g_hash_table_unref);
  g_clear_pointer (&self->target_path, g_free);

  G_OBJECT_CLASS (tessera_file_tree_parent_class)->finalize (object);
}

static void
tessera_file_tree_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TesseraFileTree *self = TESSERA_FILE_TREE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;

    case PROP_LOADING:
      g_value_set_boolean (value, self->n_listing > 0);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_file_tree_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  TesseraFileTree *self = TESSERA_FILE_TREE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      self->project = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_file_tree_class_init (TesseraFileTreeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = tessera_file_tree_constructed;
  object_class->dispose = tessera_file_tree_dispose;
  object_class->finalize = tessera_file_tree_finalize;
  object_class->get_property = tessera_file_tree_get_property;
  object_class->set_property = tessera_file_tree_set_property;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL,
                         TESSERA_TYPE_PROJECT,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[FILE_ACTIVATED] =
    g_signal_new ("file-activated",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "tessera-file-tree");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);

  gtk_widget_class_install_action (widget_class, "tree.new-file", NULL, tree_action);
  gtk_widget_class_install_action (widget_class, "tree.new-folder", NULL, tree_action);
  gtk_widget_class_install_action (widget_class, "tree.rename", NULL, tree_action);
  gtk_widget_class_install_action (widget_class, "tree.delete", NULL, tree_action);
  gtk_widget_class_install_action (widget_class, "tree.copy-path", NULL, tree_action);
  gtk_widget_class_install_action (widget_class, "tree.popup-menu", NULL, popup_menu_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Menu, 0, "tree.popup-menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK, "tree.popup-menu", NULL);
}

static void
tessera_file_tree_init (TesseraFileTree *self)
{
  tessera_style_sheet_ensure (RESOURCE_BASE "/editor/style.css");
  self->cancellable = g_cancellable_new ();
  self->stores = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}
