/* tessera-markdown-view.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-markdown-view"

#include "config.h"

#include <string.h>

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
#include <glib/gi18n.h>

#include "tessera-frame-pacer.h"
#include "tessera-markdown-view.h"
#include "tessera-tooltip.h"

struct _TesseraMarkdownView
{
  GtkWidget  parent_instance;

  char      *text;
  guint      render_id;

  /* What is on screen: the text it was rendered from, the box holding
   * one widget per top-level block of it, and where in that text each of
   * those blocks lies (a BlockRange per child of the box). */
  char      *rendered;
  gsize      rendered_len;
  GtkWidget *box;
  GArray    *blocks;

  TesseraFramePacer *pacer;
};

typedef struct
{
  /* Where its first line starts, where it starts and ends. */
  gsize line;
  gsize start;
  gsize end;
} BlockRange;

/* While shown, new blocks are made in the frames of their slot (see
 * TesseraFrameSlot), for at most this long and of as much text as the
 * pacer allows: a fast answer brings many paragraphs between two frames,
 * and making and measuring all of them in one frame stalls the window.
 * Making the widgets is the small part; GTK then shapes each wrapping
 * label several times (its minimum and natural widths, its height at the
 * width it gets) and draws it, in the same frame, which the pacer
 * measures. The rest follows in the next frames. */
#define RENDER_BUDGET_USEC 1500

G_DEFINE_FINAL_TYPE (TesseraMarkdownView, tessera_markdown_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static cmark_node *
parse_markdown (const char *text,
                gsize       len)
{
  static const char *extensions[] = { "table", "strikethrough", "autolink", "tasklist" };
  cmark_parser *parser;
  cmark_node *root;

  cmark_gfm_core_extensions_ensure_registered ();
  parser = cmark_parser_new (CMARK_OPT_DEFAULT);
  for (guint i = 0; i < G_N_ELEMENTS (extensions); i++)
    {
      cmark_syntax_extension *extension = cmark_find_syntax_extension (extensions[i]);

      if (extension != NULL)
        cmark_parser_attach_syntax_extension (parser, extension);
    }
  cmark_parser_feed (parser, text, len);
  root = cmark_parser_finish (parser);
  cmark_parser_free (parser);

  return root;
}

static gboolean
is_type (cmark_node *node,
         const char *type_string)
{
  return g_strcmp0 (cmark_node_get_type_string (node), type_string) == 0;
}

/* Only http(s) and mailto links are clickable: a model must not be able
 * to make a link run anything. */
static gboolean
is_safe_url (const char *url)
{
  return url != NULL &&
         (g_str_has_prefix (url, "https://") || g_str_has_prefix (url, "http://") ||
          g_str_has_prefix (url, "mailto:"));
}

static void
append_inline (GString    *markup,
               cmark_node *node)
{
  for (cmark_node *child = cmark_node_first_child (node); child; child = cmark_node_next (child))
    {
      switch ((int) cmark_node_get_type (child))
        {
        case CMARK_NODE_TEXT:
          {
            g_autofree char *escaped = g_markup_escape_text (cmark_node_get_literal (child), -1);
            g_string_append (markup, escaped);
          }
          break;

        case CMARK_NODE_CODE:
          {
            g_autofree char *escaped = g_markup_escape_text (cmark_node_get_literal (child), -1);
            g_string_append_printf (markup, "<tt>%s</tt>", escaped);
          }
          break;

        case CMARK_NODE_SOFTBREAK:
          g_string_append_c (markup, ' ');
          break;

        case CMARK_NODE_LINEBREAK:
          g_string_append_c (markup, '\n');
          break;

        case CMARK_NODE_EMPH:
          g_string_append (markup, "<i>");
          append_inline (markup, child);
          g_string_append (markup, "</i>");
          break;

        case CMARK_NODE_STRONG:
          g_string_append (markup, "<b>");
          append_inline (markup, child);
          g_string_append (markup, "</b>");
          break;

        case CMARK_NODE_LINK:
          if (is_safe_url (cmark_node_get_url (child)))
            {
              g_autofree char *url = g_markup_escape_text (cmark_node_get_url (child), -1);
              g_string_append_printf (markup, "<a href=\"%s\">", url);
              append_inline (markup, child);
              g_string_append (markup, "</a>");
            }
          else
            append_inline (markup, child);
          break;

        case CMARK_NODE_HTML_INLINE:
          {
            /* Shown as typed, never interpreted. */
            g_autofree char *escaped = g_markup_escape_text (cmark_node_get_literal (child), -1);
            g_string_append (markup, escaped);
          }
          break;

        case CMARK_NODE_IMAGE:
          append_inline (markup, child);
          break;

        default:
          if (is_type (child, "strikethrough"))
            {
              g_string_append (markup, "<s>");
              append_inline (markup, child);
              g_string_append (markup, "</s>");
            }
          else
            append_inline (markup, child);
          break;
        }
    }
}

static GtkWidget *
label_new (const char *markup,
           const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_markup (GTK_LABEL (label), markup);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  /* Without it, a wrapping label finds its minimum width by laying its
   * text out at width 0, a character a line: that was half of the time
   * a streamed answer's frames spent (bench-chat). A short text keeps
   * its own width, so a bubble still hugs "Hi". */
  gtk_label_set_width_chars (GTK_LABEL (label),
                             MIN (12, g_utf8_strlen (gtk_label_get_text (GTK_LABEL (label)), -1)));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_set_focusable (label, FALSE);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);

  return label;
}

static GtkWidget *
inline_label_new (cmark_node *node,
                  const char *css_class)
{
  g_autoptr(GString) markup = g_string_new (NULL);

  append_inline (markup, node);
  return label_new (markup->str, css_class);
}

static void
copy_clicked_cb (GtkButton *button,
                 GtkLabel  *code)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), gtk_label_get_text (code));
}

static GtkWidget *
code_block_new (cmark_node *node)
{
  const char *info = cmark_node_get_fence_info (node);
  const char *literal = cmark_node_get_literal (node);
  g_autofree char *code = g_strdup (literal ? literal : "");
  GtkWidget *frame = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *language = gtk_label_new (info && info[0] ? info : _("Code"));
  GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *label;
  gsize len = strlen (code);

  /* cmark keeps the newline that ends the block. */
  if (len > 0 && code[len - 1] == '\n')
    code[len - 1] = '\0';

  label = gtk_label_new (code);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_set_focusable (label, FALSE);
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  gtk_widget_set_margin_bottom (label, 10);

  gtk_widget_add_css_class (language, "caption");
  gtk_widget_add_css_class (language, "dim-label");
  gtk_widget_set_hexpand (language, TRUE);
  gtk_label_set_xalign (GTK_LABEL (language), 0);
  gtk_widget_add_css_class (copy, "flat");
  gtk_widget_add_css_class (copy, "circular");
  tessera_tooltip_set_text (copy, _("Copy Code"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Copy Code"), -1);
  g_signal_connect_object (copy, "clicked", G_CALLBACK (copy_clicked_cb), label, 0);
  gtk_widget_set_margin_start (header, 12);
  gtk_widget_set_margin_end (header, 4);
  gtk_widget_set_margin_top (header, 2);
  gtk_box_append (GTK_BOX (header), language);
  gtk_box_append (GTK_BOX (header), copy);

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_AUTOMATIC, GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), label);

  gtk_box_append (GTK_BOX (frame), header);
  gtk_box_append (GTK_BOX (frame), scroller);
  gtk_widget_add_css_class (frame, "card");
  gtk_widget_add_css_class (frame, "tessera-code-block");

  return frame;
}

static GtkWidget *render_blocks (cmark_node *parent);

static GtkWidget *
list_new (cmark_node *node)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gboolean ordered = cmark_node_get_list_type (node) == CMARK_ORDERED_LIST;
  int number = cmark_node_get_list_start (node);

  for (cmark_node *item = cmark_node_first_child (node); item; item = cmark_node_next (item), number++)
    {
      GtkWidget *row = gtk_overlay_new ();
      g_autofree char *marker = NULL;
      GtkWidget *bullet;
      GtkWidget *content = render_blocks (item);

      if (is_type (item, "tasklist"))
        marker = g_strdup (cmark_gfm_extensions_get_tasklist_item_checked (item) ? "☑" : "☐");
      else
        marker = ordered ? g_strdup_printf ("%d.", number) : g_strdup ("•");

      bullet = gtk_label_new (marker);
      gtk_widget_set_halign (bullet, GTK_ALIGN_START);
      gtk_widget_set_valign (bullet, GTK_ALIGN_START);
      gtk_label_set_xalign (GTK_LABEL (bullet), 1);
      gtk_widget_set_size_request (bullet, 18, -1);
      gtk_widget_set_margin_start (content, 24);
      gtk_overlay_set_child (GTK_OVERLAY (row), content);
      gtk_overlay_add_overlay (GTK_OVERLAY (row), bullet);
      gtk_box_append (GTK_BOX (box), row);
    }

  return box;
}

static GtkWidget *
table_new (cmark_node *node)
{
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();
  int row = 0;

  gtk_grid_set_column_spacing (GTK_GRID (grid), 18);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);

  for (cmark_node *table_row = cmark_node_first_child (node); table_row; table_row = cmark_node_next (table_row), row++)
    {
      gboolean header = cmark_gfm_extensions_get_table_row_is_header (table_row);
      int column = 0;

      for (cmark_node *cell = cmark_node_first_child (table_row); cell; cell = cmark_node_next (cell), column++)
        {
          GtkWidget *label = inline_label_new (cell, header ? "heading" : NULL);

          gtk_label_set_wrap (GTK_LABEL (label), FALSE);
          gtk_grid_attach (GTK_GRID (grid), label, column, row, 1, 1);
        }
    }

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_AUTOMATIC, GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), grid);

  return scroller;
}

static GtkWidget *
render_block (cmark_node *node)
{
  switch ((int) cmark_node_get_type (node))
    {
    case CMARK_NODE_PARAGRAPH:
      return inline_label_new (node, NULL);

    case CMARK_NODE_HEADING:
      {
        static const char *classes[] = { "title-2", "title-3", "title-4", "heading", "heading", "heading" };
        int level = CLAMP (cmark_node_get_heading_level (node), 1, 6);

        return inline_label_new (node, classes[level - 1]);
      }

    case CMARK_NODE_CODE_BLOCK:
      return code_block_new (node);

    case CMARK_NODE_HTML_BLOCK:
      {
        g_autofree char *escaped = g_markup_escape_text (cmark_node_get_literal (node), -1);
        return label_new (escaped, "monospace");
      }

    case CMARK_NODE_LIST:
      return list_new (node);

    case CMARK_NODE_BLOCK_QUOTE:
      {
        GtkWidget *quote = render_blocks (node);

        gtk_widget_add_css_class (quote, "tessera-quote");
        gtk_widget_add_css_class (quote, "dim-label");
        return quote;
      }

    case CMARK_NODE_THEMATIC_BREAK:
      return gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);

    default:
      if (is_type (node, "table"))
        return table_new (node);
      return render_blocks (node);
    }
}

static GtkWidget *
render_blocks (cmark_node *parent)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 10);

  for (cmark_node *node = cmark_node_first_child (parent); node; node = cmark_node_next (node))
    gtk_box_append (GTK_BOX (box), render_block (node));

  return box;
}

static void
clear_rendering (TesseraMarkdownView *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);
  self->box = NULL;
  g_clear_pointer (&self->blocks, g_array_unref);
  g_clear_pointer (&self->rendered, g_free);
  self->rendered_len = 0;
}

/* Where each line of @text starts, as offsets from @base. */
static GArray *
line_starts (const char *text,
             gsize       base)
{
  GArray *starts = g_array_new (FALSE, FALSE, sizeof (gsize));

  g_array_append_val (starts, base);
  for (const char *p = strchr (text, '\n'); p != NULL; p = strchr (p + 1, '\n'))
    {
      gsize next = base + (p - text) + 1;
      g_array_append_val (starts, next);
    }

  return starts;
}

static BlockRange
block_range (cmark_node *node,
             GArray     *starts)
{
  guint start_line = CLAMP (cmark_node_get_start_line (node), 1, (int) starts->len);
  guint end_line = CLAMP (cmark_node_get_end_line (node), 1, (int) starts->len);
  BlockRange range;

  range.line = g_array_index (starts, gsize, start_line - 1);
  range.start = range.line + MAX (cmark_node_get_start_column (node), 0);
  range.end = g_array_index (starts, gsize, end_line - 1) + MAX (cmark_node_get_end_column (node), 0);

  return range;
}

/* Brings the widgets up to date with the text. A streamed answer only
 * grows at its end: while the text extends what was rendered, a block
 * whose place in it is unchanged has unchanged source and keeps its
 * widget, and only the blocks from the first that changed (usually the
 * last, still being written) are made again. With @budget_usec, stops
 * making blocks once that much time has passed and returns TRUE if some
 * are still missing; likewise once blocks of @max_bytes of text are made. */
static gboolean
render (TesseraMarkdownView *self,
        gint64               budget_usec,
        gsize                max_bytes)
{
  g_autoptr(GArray) starts = NULL;
  cmark_node *root;
  cmark_node *node;
  GtkWidget *child;
  gint64 deadline;
  gsize added = 0;
  gsize base = 0;
  guint kept = 0;

  if (self->text == NULL || self->text[0] == '\0')
    {
      clear_rendering (self);
      return FALSE;
    }

  if (self->box == NULL || self->rendered == NULL ||
      strncmp (self->text, self->rendered, self->rendered_len) != 0)
    {
      clear_rendering (self);
      self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 10);
      gtk_widget_set_parent (self->box, GTK_WIDGET (self));
      self->blocks = g_array_new (FALSE, FALSE, sizeof (BlockRange));
    }

  /* As the text grows, only its last blocks can change: the last one as
   * it is written, and the one before it when the last joins it (a list
   * item after a blank line, a table row that first looked like a
   * paragraph). Blocks before those are final, and are not parsed again
   * each frame, unless the text may define link references, which apply
   * to all of it. */
  if (self->blocks->len > 2)
    {
      gsize line = g_array_index (self->blocks, BlockRange, self->blocks->len - 2).line;

      if (g_strstr_len (self->text, line, "]:") == NULL)
        {
          base = line;
          kept = self->blocks->len - 2;
        }
    }

  root = parse_markdown (self->text + base, strlen (self->text + base));
  starts = line_starts (self->text + base, base);

  /* The blocks still as rendered. */
  node = cmark_node_first_child (root);
  while (node != NULL && kept < self->blocks->len)
    {
      BlockRange range = block_range (node, starts);
      BlockRange *old = &g_array_index (self->blocks, BlockRange, kept);

      if (range.start != old->start || range.end != old->end)
        break;
      kept++;
      node = cmark_node_next (node);
    }

  child = gtk_widget_get_first_child (self->box);
  for (guint i = 0; i < kept && child != NULL; i++)
    child = gtk_widget_get_next_sibling (child);
  while (child != NULL)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (child);

      gtk_box_remove (GTK_BOX (self->box), child);
      child = next;
    }
  g_array_set_size (self->blocks, kept);

  /* At least one block each time, so that rendering always advances. */
  deadline = g_get_monotonic_time () + budget_usec;
  for (; node != NULL; node = cmark_node_next (node))
    {
      BlockRange range = block_range (node, starts);

      if (self->blocks->len > kept &&
          (added >= max_bytes || (budget_usec > 0 && g_get_monotonic_time () > deadline)))
        break;
      gtk_box_append (GTK_BOX (self->box), render_block (node));
      g_array_append_val (self->blocks, range);
      added += range.end - range.start;
    }

  g_free (self->rendered);
  self->rendered = g_strdup (self->text);
  self->rendered_len = strlen (self->rendered);
  cmark_node_free (root);

  return node != NULL;
}

static gboolean
render_tick_cb (GtkWidget     *widget,
                GdkFrameClock *frame_clock,
                gpointer       user_data)
{
  TesseraMarkdownView *self = TESSERA_MARKDOWN_VIEW (widget);
  gboolean shows_some = self->blocks != NULL && self->blocks->len > 0;
  gsize shown;
  gsize len;
  gsize waiting;

  /* The first words do not wait for their turn. */
  if (shows_some && !tessera_frame_pacer_is_turn (self->pacer, frame_clock))
    return G_SOURCE_CONTINUE;

  shown = shows_some ? g_array_index (self->blocks, BlockRange, self->blocks->len - 1).end : 0;
  len = strlen (self->text);
  waiting = len - MIN (shown, len);

  if (render (self, RENDER_BUDGET_USEC, tessera_frame_pacer_begin (self->pacer, frame_clock, waiting)))
    return G_SOURCE_CONTINUE;

  self->render_id = 0;
  return G_SOURCE_REMOVE;
}

const char *
tessera_markdown_view_get_text (TesseraMarkdownView *self)
{
  g_return_val_if_fail (TESSERA_IS_MARKDOWN_VIEW (self), NULL);

  return self->text;
}

void
tessera_markdown_view_set_text (TesseraMarkdownView *self,
                                const char          *text)
{
  g_return_if_fail (TESSERA_IS_MARKDOWN_VIEW (self));

  if (g_strcmp0 (self->text, text) == 0)
    return;

  g_free (self->text);
  self->text = g_strdup (text);

  /* Streaming text arrives far faster than frames: render once a frame
   * when shown (and then only as much as fits in a frame), at once when
   * not (so tests and first show see it). */
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      if (self->render_id == 0)
        self->render_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), render_tick_cb, NULL, NULL);
    }
  else
    render (self, 0, G_MAXSIZE);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

static void
tessera_markdown_view_dispose (GObject *object)
{
  TesseraMarkdownView *self = TESSERA_MARKDOWN_VIEW (object);

  if (self->render_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->render_id);
      self->render_id = 0;
    }
  clear_rendering (self);

  G_OBJECT_CLASS (tessera_markdown_view_parent_class)->dispose (object);
}

/* The frame clock goes with the surface: let go of it first. */
static void
tessera_markdown_view_unrealize (GtkWidget *widget)
{
  tessera_frame_pacer_stop (TESSERA_MARKDOWN_VIEW (widget)->pacer);

  GTK_WIDGET_CLASS (tessera_markdown_view_parent_class)->unrealize (widget);
}

static void
tessera_markdown_view_finalize (GObject *object)
{
  TesseraMarkdownView *self = TESSERA_MARKDOWN_VIEW (object);

  g_clear_pointer (&self->text, g_free);
  g_clear_pointer (&self->pacer, tessera_frame_pacer_free);

  G_OBJECT_CLASS (tessera_markdown_view_parent_class)->finalize (object);
}

static void
tessera_markdown_view_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  TesseraMarkdownView *self = TESSERA_MARKDOWN_VIEW (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_markdown_view_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  TesseraMarkdownView *self = TESSERA_MARKDOWN_VIEW (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      tessera_markdown_view_set_text (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_markdown_view_class_init (TesseraMarkdownViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_markdown_view_dispose;
  object_class->finalize = tessera_markdown_view_finalize;
  object_class->get_property = tessera_markdown_view_get_property;
  object_class->set_property = tessera_markdown_view_set_property;

  widget_class->unrealize = tessera_markdown_view_unrealize;

  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "markdownview");
}

static void
tessera_markdown_view_init (TesseraMarkdownView *self)
{
  self->pacer = tessera_frame_pacer_new (TESSERA_FRAME_SLOT_NEW_CONTENT, 2048, 256, 64 * 1024);
}

GtkWidget *
tessera_markdown_view_new (void)
{
  return g_object_new (TESSERA_TYPE_MARKDOWN_VIEW, NULL);
}
