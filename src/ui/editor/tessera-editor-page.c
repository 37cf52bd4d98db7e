/* tessera-editor-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-editor-page"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-editor-page.h"
#include "tessera-style-sheet.h"
#include "tessera-source-style.h"

typedef enum
{
  BANNER_NONE,
  BANNER_RECOVERED,
  BANNER_RELOAD,
} BannerMode;

struct _TesseraEditorPage
{
  GtkWidget                 parent_instance;

  TesseraDocument          *document;
  GSettings                *settings;
  GtkCssProvider           *font_provider;
  GtkSourceSearchSettings  *search_settings;
  GtkSourceSearchContext   *search_context;
  GtkSourceCompletionWords *words;
  GtkTextMark              *end_mark;
  BannerMode                banner_mode;
  gboolean                  words_registered;

  GtkRevealer              *banner_revealer;
  GtkLabel                 *banner_label;
  GtkButton                *banner_primary;
  GtkButton                *banner_secondary;
  GtkRevealer              *search_revealer;
  GtkSearchEntry           *search_entry;
  GtkEntry                 *replace_entry;
  GtkToggleButton          *case_button;
  GtkLabel                 *matches_label;
  GtkWidget                *replace_button;
  GtkWidget                *replace_all_button;
  GtkStack                 *stack;
  GtkSpinner               *spinner;
  GtkScrolledWindow        *scroller;
  GtkSourceView            *view;
  /* Made the first time a file cannot be edited: most pages never show
   * it, and a page with a status page built in took half again as long
   * to show first (bench-chat, a streamed file's tab). */
  AdwStatusPage            *status_page;
};

G_DEFINE_FINAL_TYPE (TesseraEditorPage, tessera_editor_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_DOCUMENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Settings */

static void
apply_font (TesseraEditorPage *self,
            const char        *font)
{
  g_autoptr(PangoFontDescription) desc = NULL;
  g_autoptr(GString) css = g_string_new ("textview {");
  PangoFontMask mask;

  desc = pango_font_description_from_string (font);
  mask = pango_font_description_get_set_fields (desc);

  if (mask & PANGO_FONT_MASK_FAMILY)
    g_string_append_printf (css, " font-family: \"%s\";", pango_font_description_get_family (desc));
  if (mask & PANGO_FONT_MASK_SIZE)
    g_string_append_printf (css, " font-size: %dpt;", pango_font_description_get_size (desc) / PANGO_SCALE);
  if (mask & PANGO_FONT_MASK_WEIGHT)
    g_string_append_printf (css, " font-weight: %d;", pango_font_description_get_weight (desc));
  g_string_append (css, " }");

  gtk_css_provider_load_from_data (self->font_provider, css->str, css->len);
}

static void
settings_changed_cb (TesseraEditorPage *self,
                     const char        *key,
                     GSettings         *settings)
{
  g_autoptr(GSettingsSchema) schema = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);

#define HAS(k) ((key == NULL || g_str_equal (key, k)) && g_settings_schema_has_key (schema, k))
  if (HAS ("editor-font"))
    {
      g_autofree char *font = g_settings_get_string (settings, "editor-font");
      apply_font (self, font);
    }
  if (HAS ("tab-width"))
    {
      g_autoptr(GVariant) value = g_settings_get_value (settings, "tab-width");
      guint width = 2;

      if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
        width = g_variant_get_uint32 (value);
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32))
        width = MAX (1, g_variant_get_int32 (value));
      gtk_source_view_set_tab_width (self->view, CLAMP (width, 1, 32));
      gtk_source_view_set_indent_width (self->view, -1);
    }
  if (HAS ("insert-spaces"))
    gtk_source_view_set_insert_spaces_instead_of_tabs (self->view,
                                                       g_settings_get_boolean (settings, "insert-spaces"));
  if (HAS ("show-line-numbers"))
    gtk_source_view_set_show_line_numbers (self->view,
                                           g_settings_get_boolean (settings, "show-line-numbers"));
  if (HAS ("wrap-text"))
    gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (self->view),
                                 g_settings_get_boolean (settings, "wrap-text")
                                   ? GTK_WRAP_WORD_CHAR : GTK_WRAP_NONE);
#undef HAS
}

static GSettings *
lookup_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  /* The schema may not be installed (an uninstalled build, a test): the
   * editor then keeps its defaults instead of aborting. */
  if (source == NULL || !(schema = g_settings_schema_source_lookup (source, SCHEMA_ID, TRUE)))
    return NULL;

  return g_settings_new_full (schema, NULL, NULL);
}

/* State */

static void
set_banner (TesseraEditorPage *self,
            BannerMode         mode)
{
  self->banner_mode = mode;

  switch (mode)
    {
    case BANNER_RECOVERED:
      gtk_label_set_label (self->banner_label, _("Recovered unsaved changes"));
      gtk_button_set_label (self->banner_secondary, _("_Discard"));
      gtk_button_set_label (self->banner_primary, _("_Keep"));
      break;

    case BANNER_RELOAD:
      gtk_label_set_label (self->banner_label,
                           _("The file changed on disk. Reload it and lose your changes, or keep your version?"));
      gtk_button_set_label (self->banner_secondary, _("_Keep Mine"));
      gtk_button_set_label (self->banner_primary, _("_Reload"));
      break;

    case BANNER_NONE:
    default:
      break;
    }

  gtk_button_set_use_underline (self->banner_secondary, TRUE);
  gtk_button_set_use_underline (self->banner_primary, TRUE);
  gtk_revealer_set_reveal_child (self->banner_revealer, mode != BANNER_NONE);
}

static void
update_state (TesseraEditorPage *self)
{
  TesseraDocument *doc = self->document;
  TesseraDocumentKind kind = tessera_document_get_kind (doc);
  const char *state;

  if (!tessera_document_get_loaded (doc) && tessera_document_get_loading (doc))
    state = "loading";
  else if (kind != TESSERA_DOCUMENT_KIND_TEXT)
    state = "info";
  else
    state = "text";

  gtk_spinner_set_spinning (self->spinner, g_str_equal (state, "loading"));

  if (g_str_equal (state, "info"))
    {
      g_autofree char *size = g_format_size (tessera_document_get_size (doc));
      g_autofree char *title = tessera_document_dup_title (doc);
      g_autofree char *description = NULL;

      if (self->status_page == NULL)
        {
          self->status_page = ADW_STATUS_PAGE (adw_status_page_new ());
          adw_status_page_set_icon_name (self->status_page, "dialog-information-symbolic");
          gtk_stack_add_named (self->stack, GTK_WIDGET (self->status_page), "info");
        }

      if (kind == TESSERA_DOCUMENT_KIND_TOO_LARGE)
        {
          adw_status_page_set_title (self->status_page, _("This File Is Too Large to Edit"));
          /* Translators: the first %s is a file name, the second its size, e.g. "12.3 MB" */
          description = g_strdup_printf (_("“%s” is %s. Files larger than 5 MB are not opened in the editor."),
                                         title, size);
        }
      else
        {
          adw_status_page_set_title (self->status_page, _("This File Is Binary"));
          /* Translators: the first %s is a file name, the second its size, e.g. "12.3 kB" */
          description = g_strdup_printf (_("“%s” (%s) is not text, so it cannot be edited here."),
                                         title, size);
        }
      adw_status_page_set_description (self->status_page, description);
    }

  /* Words are collected once the text is there: during a load they would
   * be rescanned with every chunk. */
  if (!self->words_registered && g_str_equal (state, "text") && !tessera_document_get_loading (doc))
    {
      gtk_source_completion_words_register (self->words, GTK_TEXT_BUFFER (doc));
      self->words_registered = TRUE;
    }

  gtk_stack_set_visible_child_name (self->stack, state);
  gtk_text_view_set_editable (GTK_TEXT_VIEW (self->view), !tessera_document_get_read_only (doc));
  gtk_text_view_set_cursor_visible (GTK_TEXT_VIEW (self->view), !tessera_document_get_streaming (doc));

  if (tessera_document_get_externally_modified (doc))
    set_banner (self, BANNER_RELOAD);
  else if (tessera_document_get_recovered (doc))
    set_banner (self, BANNER_RECOVERED);
  else
    set_banner (self, BANNER_NONE);
}

static void
reload_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!tessera_document_reload_finish (TESSERA_DOCUMENT (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Could not reload: %s", error->message);
}

static void
banner_primary_clicked_cb (TesseraEditorPage *self)
{
  if (self->banner_mode == BANNER_RELOAD)
    tessera_document_reload_async (self->document, NULL, reload_cb, NULL);
  else if (self->banner_mode == BANNER_RECOVERED)
    tessera_document_dismiss_recovered (self->document);
}

static void
banner_secondary_clicked_cb (TesseraEditorPage *self)
{
  if (self->banner_mode == BANNER_RELOAD)
    tessera_document_keep_mine (self->document);
  else if (self->banner_mode == BANNER_RECOVERED)
    tessera_document_reload_async (self->document, NULL, reload_cb, NULL);
}

/* Search */

static void update_matches_label (TesseraEditorPage *self);

/* Created on first use: a context follows every edit of the buffer, which
 * a file nobody searches (or one being loaded) need not pay for. */
static GtkSourceSearchContext *
ensure_search_context (TesseraEditorPage *self)
{
  if (self->search_context == NULL)
    {
      self->search_context = gtk_source_search_context_new (GTK_SOURCE_BUFFER (self->document),
                                                            self->search_settings);
      gtk_source_search_context_set_highlight (self->search_context, FALSE);
      g_signal_connect_object (self->search_context, "notify::occurrences-count",
                               G_CALLBACK (update_matches_label), self, G_CONNECT_SWAPPED);
    }

  return self->search_context;
}

static void
select_match (TesseraEditorPage *self,
              GtkTextIter       *start,
              GtkTextIter       *end)
{
  gtk_text_buffer_select_range (GTK_TEXT_BUFFER (self->document), start, end);
  /* Only as far as needed: a match already in view stays where it is. */
  gtk_text_view_scroll_mark_onscreen (GTK_TEXT_VIEW (self->view),
                                      gtk_text_buffer_get_insert (GTK_TEXT_BUFFER (self->document)));
}

static void
update_matches_label (TesseraEditorPage *self)
{
  GtkTextBuffer *buffer = GTK_TEXT_BUFFER (self->document);
  g_autofree char *label = NULL;
  GtkTextIter start, end;
  int count, position;

  if (self->matches_label == NULL)
    return;

  count = gtk_source_search_context_get_occurrences_count (ensure_search_context (self));
  if (count < 0 || gtk_source_search_settings_get_search_text (self->search_settings) == NULL)
    {
      gtk_label_set_label (self->matches_label, "");
      return;
    }

  if (count == 0)
    {
      gtk_label_set_label (self->matches_label, _("No results"));
      return;
    }

  gtk_text_buffer_get_selection_bounds (buffer, &start, &end);
  position = gtk_source_search_context_get_occurrence_position (self->search_context, &start, &end);
  if (position > 0)
    /* Translators: the position of the selected match among all matches, e.g. "3 of 12" */
    label = g_strdup_printf (_("%d of %d"), position, count);
  else
    label = g_strdup_printf (ngettext ("%d match", "%d matches", count), count);
  gtk_label_set_label (self->matches_label, label);
}

static gboolean
find_from (TesseraEditorPage *self,
           gboolean           forward,
           gboolean           from_selection_start)
{
  GtkTextBuffer *buffer = GTK_TEXT_BUFFER (self->document);
  GtkTextIter start, end, match_start, match_end;
  gboolean wrapped;
  gboolean found;

  gtk_text_buffer_get_selection_bounds (buffer, &start, &end);
  ensure_search_context (self);

  /* The buffer is in memory: a synchronous search does no I/O. */
  if (forward)
    found = gtk_source_search_context_forward (self->search_context,
                                               from_selection_start ? &start : &end,
                                               &match_start, &match_end, &wrapped);
  else
    found = gtk_source_search_context_backward (self->search_context, &start,
                                                &match_start, &match_end, &wrapped);

  if (found)
    select_match (self, &match_start, &match_end);
  update_matches_label (self);
  return found;
}

void
tessera_editor_page_find_next (TesseraEditorPage *self)
{
  g_return_if_fail (TESSERA_IS_EDITOR_PAGE (self));

  find_from (self, TRUE, FALSE);
}

void
tessera_editor_page_find_previous (TesseraEditorPage *self)
{
  g_return_if_fail (TESSERA_IS_EDITOR_PAGE (self));

  find_from (self, FALSE, FALSE);
}

static void
search_changed_cb (TesseraEditorPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  gtk_source_search_settings_set_search_text (self->search_settings, text[0] ? text : NULL);
  /* Typing refines the current match rather than skipping past it. */
  if (text[0])
    find_from (self, TRUE, TRUE);
  else
    update_matches_label (self);
}

static void
search_activate_cb (TesseraEditorPage *self)
{
  tessera_editor_page_find_next (self);
}

/* Built the first time it is needed: its widgets (tooltips included,
 * each of which asks the X server where the pointer is) cost more than
 * the rest of the page, and most pages are never searched. */
static void
ensure_search_bar (TesseraEditorPage *self)
{
  g_autoptr(GtkBuilder) builder = NULL;
  g_autoptr(GtkBuilderScope) scope = NULL;

  if (self->search_entry != NULL)
    return;

  scope = gtk_builder_cscope_new ();
  gtk_builder_cscope_add_callback (scope, search_changed_cb);
  gtk_builder_cscope_add_callback (scope, search_activate_cb);
  gtk_builder_cscope_add_callback (scope, tessera_editor_page_find_next);
  gtk_builder_cscope_add_callback (scope, tessera_editor_page_find_previous);
  gtk_builder_cscope_add_callback (scope, tessera_editor_page_hide_search);
  gtk_builder_cscope_add_callback (scope, tessera_editor_page_replace);

  builder = gtk_builder_new ();
  gtk_builder_set_scope (builder, scope);
  gtk_builder_set_current_object (builder, G_OBJECT (self));
  gtk_builder_set_translation_domain (builder, GETTEXT_PACKAGE);
  if (!gtk_builder_add_from_resource (builder, RESOURCE_BASE "/editor/tessera-editor-search-bar.ui", NULL))
    g_assert_not_reached ();

  self->search_entry = GTK_SEARCH_ENTRY (gtk_builder_get_object (builder, "search_entry"));
  self->replace_entry = GTK_ENTRY (gtk_builder_get_object (builder, "replace_entry"));
  self->case_button = GTK_TOGGLE_BUTTON (gtk_builder_get_object (builder, "case_button"));
  self->matches_label = GTK_LABEL (gtk_builder_get_object (builder, "matches_label"));
  self->replace_button = GTK_WIDGET (gtk_builder_get_object (builder, "replace_button"));
  self->replace_all_button = GTK_WIDGET (gtk_builder_get_object (builder, "replace_all_button"));
  g_object_bind_property (self->case_button, "active",
                          self->search_settings, "case-sensitive",
                          G_BINDING_SYNC_CREATE);
  gtk_revealer_set_child (self->search_revealer, GTK_WIDGET (gtk_builder_get_object (builder, "search_bar")));
}

void
tessera_editor_page_replace (TesseraEditorPage *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (TESSERA_IS_EDITOR_PAGE (self));

  if (tessera_document_get_read_only (self->document))
    return;

  ensure_search_bar (self);
  buffer = GTK_TEXT_BUFFER (self->document);
  gtk_text_buffer_get_selection_bounds (buffer, &start, &end);

  if (gtk_source_search_context_get_occurrence_position (ensure_search_context (self), &start, &end) > 0)
    {
      const char *replacement = gtk_editable_get_text (GTK_EDITABLE (self->replace_entry));

      if (!gtk_source_search_context_replace (self->search_context, &start, &end,
                                              replacement, -1, &error))
        g_message ("Could not replace: %s", error->message);
    }

  tessera_editor_page_find_next (self);
}

void
tessera_editor_page_replace_all (TesseraEditorPage *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (TESSERA_IS_EDITOR_PAGE (self));

  if (tessera_document_get_read_only (self->document))
    return;

  ensure_search_bar (self);
  gtk_source_search_context_replace_all (ensure_search_context (self),
                                         gtk_editable_get_text (GTK_EDITABLE (self->replace_entry)),
                                         -1, &error);
  if (error != NULL)
    g_message ("Could not replace: %s", error->message);
  update_matches_label (self);
}

void
tessera_editor_page_show_search (TesseraEditorPage *self,
                                 gboolean           replace)
{
  GtkTextBuffer *buffer;
  GtkTextIter start, end;

  g_return_if_fail (TESSERA_IS_EDITOR_PAGE (self));

  ensure_search_bar (self);
  buffer = GTK_TEXT_BUFFER (self->document);
  if (gtk_text_buffer_get_selection_bounds (buffer, &start, &end) &&
      gtk_text_iter_get_line (&start) == gtk_text_iter_get_line (&end))
    {
      g_autofree char *text = gtk_text_iter_get_slice (&start, &end);

      if (g_strcmp0 (text, gtk_editable_get_text (GTK_EDITABLE (self->search_entry))) != 0)
        tessera_editor_page_set_search_text (self, text);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->replace_entry), replace);
  gtk_widget_set_visible (self->replace_button, replace);
  gtk_widget_set_visible (self->replace_all_button, replace);
  gtk_source_search_context_set_highlight (ensure_search_context (self), TRUE);
  gtk_revealer_set_reveal_child (self->search_revealer, TRUE);

  if (replace && gtk_editable_get_text (GTK_EDITABLE (self->search_entry))[0] != '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->replace_entry));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
  gtk_editable_select_region (GTK_EDITABLE (self->search_entry), 0, -1);
}

void
tessera_editor_page_hide_search (TesseraEditorPage *self)
{
  g_return_if_fail (TESSERA_IS_EDITOR_PAGE (self));

  if (self->search_context != NULL)
    gtk_source_search_context_set_highlight (self->search_context, FALSE);
  gtk_revealer_set_reveal_child (self->search_revealer, FALSE);
  gtk_widget_grab_focus (GTK_WIDGET (self->view));
}

gboolean
tessera_editor_page_get_search_visible (TesseraEditorPage *self)
{
  g_return_val_if_fail (TESSERA_IS_EDITOR_PAGE (self), FALSE);

  return gtk_revealer_get_reveal_child (self->search_revealer);
}

void
tessera_editor_page_set_search_text (TesseraEditorPage *self,
                                     const char        *text)
{
  g_return_if_fail (TESSERA_IS_EDITOR_PAGE (self));

  ensure_search_bar (self);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text ? text : "");
  /* Apply now rather than after the entry's typing delay. */
  search_changed_cb (self);
}

static gboolean
escape_cb (GtkWidget *widget,
           GVariant  *args,
           gpointer   user_data)
{
  TesseraEditorPage *self = TESSERA_EDITOR_PAGE (widget);

  if (!tessera_editor_page_get_search_visible (self))
    return FALSE;
  tessera_editor_page_hide_search (self);
  return TRUE;
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TesseraEditorPage *self = TESSERA_EDITOR_PAGE (widget);

  if (g_str_equal (action_name, "search.next"))
    tessera_editor_page_find_next (self);
  else if (g_str_equal (action_name, "search.previous"))
    tessera_editor_page_find_previous (self);
  else if (g_str_equal (action_name, "search.close"))
    tessera_editor_page_hide_search (self);
  else if (g_str_equal (action_name, "search.replace"))
    tessera_editor_page_replace (self);
  else if (g_str_equal (action_name, "search.replace-all"))
    tessera_editor_page_replace_all (self);
}

/* Public */

TesseraEditorPage *
tessera_editor_page_new (TesseraDocument *document)
{
  g_return_val_if_fail (TESSERA_IS_DOCUMENT (document), NULL);

  return g_object_new (TESSERA_TYPE_EDITOR_PAGE, "document", document, NULL);
}

TesseraDocument *
tessera_editor_page_get_document (TesseraEditorPage *self)
{
  g_return_val_if_fail (TESSERA_IS_EDITOR_PAGE (self), NULL);

  return self->document;
}

GtkSourceView *
tessera_editor_page_get_view (TesseraEditorPage *self)
{
  g_return_val_if_fail (TESSERA_IS_EDITOR_PAGE (self), NULL);

  return self->view;
}

gboolean
tessera_editor_page_get_banner_visible (TesseraEditorPage *self)
{
  g_return_val_if_fail (TESSERA_IS_EDITOR_PAGE (self), FALSE);

  return self->banner_mode != BANNER_NONE;
}

const char *
tessera_editor_page_get_state (TesseraEditorPage *self)
{
  g_return_val_if_fail (TESSERA_IS_EDITOR_PAGE (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

void
tessera_editor_page_scroll_to_end (TesseraEditorPage *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter end;

  g_return_if_fail (TESSERA_IS_EDITOR_PAGE (self));

  buffer = GTK_TEXT_BUFFER (self->document);
  gtk_text_buffer_get_end_iter (buffer, &end);
  if (self->end_mark == NULL)
    self->end_mark = gtk_text_buffer_create_mark (buffer, NULL, &end, FALSE);
  else
    gtk_text_buffer_move_mark (buffer, self->end_mark, &end);

  /* Deferred until the view validates that region, so a burst of appends
   * costs one scroll and no full relayout. */
  gtk_text_view_scroll_mark_onscreen (GTK_TEXT_VIEW (self->view), self->end_mark);
}

/* GObject */

static gboolean
tessera_editor_page_grab_focus (GtkWidget *widget)
{
  TesseraEditorPage *self = TESSERA_EDITOR_PAGE (widget);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "text") == 0)
    return gtk_widget_grab_focus (GTK_WIDGET (self->view));
  return GTK_WIDGET_CLASS (tessera_editor_page_parent_class)->grab_focus (widget);
}

static void
tessera_editor_page_constructed (GObject *object)
{
  TesseraEditorPage *self = (TesseraEditorPage *)object;
  GtkSourceCompletion *completion;

  G_OBJECT_CLASS (tessera_editor_page_parent_class)->constructed (object);

  g_assert (TESSERA_IS_DOCUMENT (self->document));

  gtk_text_view_set_buffer (GTK_TEXT_VIEW (self->view), GTK_TEXT_BUFFER (self->document));
  gtk_source_buffer_set_highlight_matching_brackets (GTK_SOURCE_BUFFER (self->document), TRUE);

  self->words = gtk_source_completion_words_new (NULL);
  completion = gtk_source_view_get_completion (self->view);
  gtk_source_completion_add_provider (completion, GTK_SOURCE_COMPLETION_PROVIDER (self->words));

  tessera_source_buffer_follow_style (GTK_SOURCE_BUFFER (self->document));

  if (self->settings != NULL)
    {
      g_signal_connect_object (self->settings, "changed",
                               G_CALLBACK (settings_changed_cb), self, G_CONNECT_SWAPPED);
      settings_changed_cb (self, NULL, self->settings);
    }

  g_signal_connect_object (self->document, "notify::loading", G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->document, "notify::loaded", G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->document, "notify::kind", G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->document, "notify::read-only", G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->document, "notify::recovered", G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->document, "notify::externally-modified", G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->document, "notify::streaming", G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  update_state (self);
}

static void
tessera_editor_page_dispose (GObject *object)
{
  TesseraEditorPage *self = (TesseraEditorPage *)object;

  if (self->words_registered && self->document != NULL)
    gtk_source_completion_words_unregister (self->words, GTK_TEXT_BUFFER (self->document));
  if (self->end_mark != NULL && self->document != NULL)
    gtk_text_buffer_delete_mark (GTK_TEXT_BUFFER (self->document), self->end_mark);
  self->end_mark = NULL;
  g_clear_object (&self->search_context);

  /* GtkSourceView 5.6 never finalizes a view that showed line numbers;
   * detaching the buffer keeps that leak from holding the document (and its
   * timers and files) alive too. */
  if (self->view != NULL)
    gtk_text_view_set_buffer (GTK_TEXT_VIEW (self->view), NULL);

  /* GTK 4.8 also keeps a buffer that ever had a selection; whatever keeps
   * it, the document must stop working once its page is gone. */
  if (self->document != NULL)
    tessera_document_close (self->document);

  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_EDITOR_PAGE);

  g_clear_object (&self->words);
  g_clear_object (&self->search_context);
  g_clear_object (&self->search_settings);
  g_clear_object (&self->settings);
  g_clear_object (&self->font_provider);
  g_clear_object (&self->document);

  G_OBJECT_CLASS (tessera_editor_page_parent_class)->dispose (object);
}

static void
tessera_editor_page_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TesseraEditorPage *self = TESSERA_EDITOR_PAGE (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      g_value_set_object (value, self->document);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_editor_page_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  TesseraEditorPage *self = TESSERA_EDITOR_PAGE (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      self->document = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_editor_page_class_init (TesseraEditorPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = tessera_editor_page_constructed;
  object_class->dispose = tessera_editor_page_dispose;
  object_class->get_property = tessera_editor_page_get_property;
  object_class->set_property = tessera_editor_page_set_property;

  widget_class->grab_focus = tessera_editor_page_grab_focus;

  properties[PROP_DOCUMENT] =
    g_param_spec_object ("document", NULL, NULL,
                         TESSERA_TYPE_DOCUMENT,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_source_init ();
  g_type_ensure (GTK_SOURCE_TYPE_VIEW);
  g_type_ensure (ADW_TYPE_STATUS_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/editor/tessera-editor-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraEditorPage, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, TesseraEditorPage, banner_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraEditorPage, banner_primary);
  gtk_widget_class_bind_template_child (widget_class, TesseraEditorPage, banner_secondary);
  gtk_widget_class_bind_template_child (widget_class, TesseraEditorPage, search_revealer);
  gtk_widget_class_bind_template_child (widget_class, TesseraEditorPage, stack);
  gtk_widget_class_bind_template_child (widget_class, TesseraEditorPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, TesseraEditorPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, TesseraEditorPage, view);
  gtk_widget_class_bind_template_callback (widget_class, banner_primary_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, banner_secondary_clicked_cb);

  gtk_widget_class_install_action (widget_class, "search.next", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "search.previous", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "search.close", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "search.replace", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "search.replace-all", NULL, search_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_g, GDK_CONTROL_MASK, "search.next", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_g, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "search.previous", NULL);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Escape, 0, escape_cb, NULL);
}

static void
tessera_editor_page_init (TesseraEditorPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  tessera_style_sheet_ensure (RESOURCE_BASE "/editor/style.css");

  self->search_settings = gtk_source_search_settings_new ();
  gtk_source_search_settings_set_wrap_around (self->search_settings, TRUE);

  self->font_provider = gtk_css_provider_new ();
  gtk_style_context_add_provider (gtk_widget_get_style_context (GTK_WIDGET (self->view)),
                                  GTK_STYLE_PROVIDER (self->font_provider),
                                  GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  self->settings = lookup_settings ();
}
