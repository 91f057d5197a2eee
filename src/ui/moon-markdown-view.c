/* moon-markdown-view.c — shows Markdown as native widgets, updated block by
 * block while a reply streams.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-markdown-view"

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "moon-markdown-view.h"

/*
 * One child widget per MoonMarkdownBlock, in order, in a vertical box
 * layout. moon_markdown_view_set_text() hands the text to a MoonMarkdownDoc,
 * which re-parses only the unfinished tail and says which blocks changed;
 * only those widgets are touched. A changed block whose widget has the same
 * shape (the streaming paragraph or code block) is updated in place: the
 * label gets new markup, the code buffer gets the appended text.
 *
 * Callers that stream should coalesce: call set_text at most once per frame
 * (a tick callback), not once per network delta.
 */

#define INDENT 24          /* per list level; the bullet column is this wide */
#define BULLET_SPACING 6
#define COPY_FEEDBACK_MS 1500

#define STYLE_RESOURCE RESOURCE_PATH "/moon-markdown-view.css"

typedef struct
{
  MoonMarkdownView  *view;
  MoonMarkdownBlock *block;
  GtkWidget         *widget;          /* the view's child for this block */

  GtkWidget         *label;           /* paragraph, heading, list item, quote */
  GtkWidget         *bullet;          /* list item */
  GtkWidget         *grid;            /* table */

  GtkSourceBuffer   *buffer;          /* code */
  GtkWidget         *source_view;
  GtkWidget         *language_label;
  GtkWidget         *copy_button;
  guint              feedback_id;
  guint              n_code_lines;
  guint              resize_tick_id;
} Entry;

struct _MoonMarkdownView
{
  GtkWidget        parent_instance;

  MoonMarkdownDoc *doc;
  GPtrArray       *entries;          /* (element-type Entry) one per block */
};

G_DEFINE_FINAL_TYPE (MoonMarkdownView, moon_markdown_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- languages and colours ---------------------------------------------- */

static const struct
{
  const char *alias;
  const char *id;
} language_aliases[] = {
  /* What people write after ``` → GtkSourceView's language id. */
  { "bash", "sh" }, { "shell", "sh" }, { "zsh", "sh" }, { "console", "sh" },
  { "shellscript", "sh" }, { "terminal", "sh" },
  { "c++", "cpp" }, { "cxx", "cpp" }, { "cc", "cpp" }, { "hpp", "cpp" }, { "hxx", "cpp" },
  { "h", "chdr" },
  { "c#", "c-sharp" }, { "cs", "c-sharp" }, { "csharp", "c-sharp" },
  { "py", "python3" }, { "python", "python3" }, { "py3", "python3" }, { "python2", "python" },
  { "javascript", "js" }, { "node", "js" }, { "mjs", "js" }, { "cjs", "js" },
  { "ts", "typescript" }, { "tsx", "typescript-jsx" },
  { "rs", "rust" }, { "golang", "go" }, { "rb", "ruby" }, { "kt", "kotlin" },
  { "kts", "kotlin" }, { "pl", "perl" }, { "hs", "haskell" }, { "ml", "ocaml" },
  { "yml", "yaml" }, { "htm", "html" }, { "xhtml", "html" }, { "svg", "xml" },
  { "patch", "diff" }, { "udiff", "diff" }, { "md", "markdown" },
  { "tex", "latex" }, { "make", "makefile" }, { "mk", "makefile" },
  { "dockerfile", "docker" }, { "containerfile", "docker" },
  { "ps1", "powershell" }, { "pwsh", "powershell" }, { "bat", "dosbatch" },
  { "cmd", "dosbatch" }, { "objective-c", "objc" }, { "objectivec", "objc" },
  { "proto", "proto" }, { "protobuf", "proto" }, { "jsonc", "json" }, { "json5", "json" },
  { "vue", "html" }, { "svelte", "html" }, { "sass", "scss" }, { "cfg", "ini" },
  { "conf", "ini" }, { "f90", "fortran" }, { "jl", "julia" }, { "ex", "elixir" },
  { "exs", "elixir" }, { "erl", "erlang" }, { "clj", "scheme" }, { "lisp", "commonlisp" },
  { "mysql", "sql" }, { "postgresql", "sql" }, { "postgres", "sql" }, { "sqlite", "sql" },
  { "plpgsql", "sql" }, { "tf", "terraform" }, { "hcl", "terraform" }, { "asm", "nasm" },
};

/**
 * moon_markdown_view_guess_language:
 * @name: (nullable): the language name of a code fence (`python`, `py`, `C++`)
 *
 * Maps what people write after a code fence to a GtkSourceView language:
 * common aliases first, then a language id, then a file extension.
 *
 * Returns: (transfer none) (nullable): the language, or %NULL
 */
GtkSourceLanguage *
moon_markdown_view_guess_language (const char *name)
{
  GtkSourceLanguageManager *manager;
  g_autofree char *lower = NULL;
  g_autofree char *filename = NULL;
  GtkSourceLanguage *language;

  if (name == NULL || *name == '\0')
    return NULL;

  manager = gtk_source_language_manager_get_default ();
  lower = g_utf8_strdown (name, -1);

  for (guint i = 0; i < G_N_ELEMENTS (language_aliases); i++)
    {
      if (g_str_equal (lower, language_aliases[i].alias))
        {
          language = gtk_source_language_manager_get_language (manager, language_aliases[i].id);
          if (language != NULL)
            return language;
        }
    }

  language = gtk_source_language_manager_get_language (manager, lower);
  if (language != NULL)
    return language;

  /* "file.<name>" by extension, e.g. "lua", "swift", "toml". Only plain
   * names: the fence text is not a path. */
  for (const char *p = lower; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '+' && *p != '-' && *p != '_')
        return NULL;
    }
  filename = g_strconcat ("file.", lower, NULL);

  return gtk_source_language_manager_guess_language (manager, filename, NULL);
}

static GtkSourceStyleScheme *
current_style_scheme (void)
{
  GtkSourceStyleSchemeManager *manager = gtk_source_style_scheme_manager_get_default ();
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());

  return gtk_source_style_scheme_manager_get_scheme (manager, dark ? "Adwaita-dark" : "Adwaita");
}

static void
ensure_style (GdkDisplay *display)
{
  g_autoptr(GtkCssProvider) provider = NULL;

  if (display == NULL || g_object_get_data (G_OBJECT (display), "moon-markdown-view-css") != NULL)
    return;

  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, STYLE_RESOURCE);
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_set_data_full (G_OBJECT (display), "moon-markdown-view-css",
                          g_steal_pointer (&provider), g_object_unref);
}

/* ---- links -------------------------------------------------------------- */

static void
launch_uri_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!gtk_uri_launcher_launch_finish (GTK_URI_LAUNCHER (object), result, &error) &&
      !g_error_matches (error, GTK_DIALOG_ERROR, GTK_DIALOG_ERROR_DISMISSED))
    g_message ("Could not open %s: %s",
               gtk_uri_launcher_get_uri (GTK_URI_LAUNCHER (object)), error->message);
}

static gboolean
activate_link_cb (GtkLabel   *label,
                  const char *uri,
                  gpointer    user_data)
{
  g_autoptr(GtkUriLauncher) launcher = gtk_uri_launcher_new (uri);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (label));

  gtk_uri_launcher_launch (launcher, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                           NULL, launch_uri_cb, NULL);
  return TRUE;
}

/* ---- building block widgets --------------------------------------------- */

static GtkWidget *
text_label_new (void)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  /* A wrapping label finds its minimum width by laying its text out as
   * narrow as it will go; with no width-chars that is one character a line,
   * and Pango shapes the rest of the text again at every break: seconds for
   * a long reply (issue 7). Twelve characters are narrower than any window
   * and take a fraction of that. */
  gtk_label_set_width_chars (GTK_LABEL (label), 12);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_set_halign (label, GTK_ALIGN_FILL);
  gtk_widget_add_css_class (label, "moon-md-text");
  g_signal_connect (label, "activate-link", G_CALLBACK (activate_link_cb), NULL);

  return label;
}

static const char *
heading_class (guint level)
{
  /* Chat headings sit inside a message: one step smaller than a page's. */
  switch (level)
    {
    case 1: return "title-2";
    case 2: return "title-3";
    case 3: return "title-4";
    default: return "heading";
    }
}

static void
set_heading_level (GtkWidget *label,
                   guint      old_level,
                   guint      level)
{
  if (old_level == level)
    return;
  if (old_level > 0)
    gtk_widget_remove_css_class (label, heading_class (old_level));
  if (level > 0)
    gtk_widget_add_css_class (label, heading_class (level));
}

static char *
bullet_text (MoonMarkdownBlock *block)
{
  static const char *bullets[] = { "•", "◦", "▪" };

  if (moon_markdown_block_get_ordered (block))
    return g_strdup_printf ("%u.", moon_markdown_block_get_number (block));

  return g_strdup (bullets[(moon_markdown_block_get_list_depth (block) + 2) % 3]);
}

static void
update_bullet (Entry             *e,
               MoonMarkdownBlock *block)
{
  MoonMarkdownTask task = moon_markdown_block_get_task (block);

  if (task != MOON_MARKDOWN_TASK_NONE)
    gtk_check_button_set_active (GTK_CHECK_BUTTON (e->bullet), task == MOON_MARKDOWN_TASK_DONE);
  else
    {
      g_autofree char *text = bullet_text (block);

      gtk_label_set_text (GTK_LABEL (e->bullet), text);
    }
}

static GtkWidget *
build_list_item (Entry             *e,
                 MoonMarkdownBlock *block)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, BULLET_SPACING);

  if (moon_markdown_block_get_task (block) != MOON_MARKDOWN_TASK_NONE)
    {
      /* Shows the state; the reply is not a form to fill in. */
      e->bullet = gtk_check_button_new ();
      gtk_widget_set_can_target (e->bullet, FALSE);
      gtk_widget_set_focusable (e->bullet, FALSE);
      gtk_widget_add_css_class (e->bullet, "moon-md-task");
    }
  else
    {
      e->bullet = gtk_label_new (NULL);
      gtk_label_set_xalign (GTK_LABEL (e->bullet), 1.0f);
      gtk_widget_add_css_class (e->bullet, "moon-md-bullet");
      if (moon_markdown_block_get_ordered (block))
        gtk_widget_add_css_class (e->bullet, "numeric");
    }
  gtk_widget_set_size_request (e->bullet, INDENT - BULLET_SPACING, -1);
  gtk_widget_set_valign (e->bullet, GTK_ALIGN_START);
  update_bullet (e, block);

  e->label = text_label_new ();
  set_heading_level (e->label, 0, moon_markdown_block_get_level (block));
  gtk_label_set_markup (GTK_LABEL (e->label), moon_markdown_block_get_markup (block));

  gtk_box_append (GTK_BOX (box), e->bullet);
  gtk_box_append (GTK_BOX (box), e->label);
  gtk_widget_set_margin_start (box, INDENT * (moon_markdown_block_get_list_depth (block) - 1));
  gtk_widget_add_css_class (box, "moon-md-list-item");

  return box;
}

static void
copy_feedback_done (gpointer data)
{
  Entry *e = data;

  e->feedback_id = 0;
  gtk_button_set_icon_name (GTK_BUTTON (e->copy_button), "edit-copy-symbolic");
  gtk_widget_set_tooltip_text (e->copy_button, _("Copy Code"));
}

static void
copy_clicked_cb (GtkButton *button,
                 Entry     *e)
{
  const char *code = moon_markdown_block_get_text (e->block);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), code);

  /* Brief feedback, for eyes and for screen readers. */
  gtk_button_set_icon_name (button, "object-select-symbolic");
  /* Translators: tooltip of a code block's copy button, just after a click */
  gtk_widget_set_tooltip_text (GTK_WIDGET (button), _("Copied"));
  gtk_accessible_announce (GTK_ACCESSIBLE (button), _("Code copied to the clipboard"),
                           GTK_ACCESSIBLE_ANNOUNCEMENT_PRIORITY_MEDIUM);

  g_clear_handle_id (&e->feedback_id, g_source_remove);
  e->feedback_id = g_timeout_add_once (COPY_FEEDBACK_MS, copy_feedback_done, e);
}

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = strchr (text, '\n'); p != NULL; p = strchr (p + 1, '\n'))
    n++;

  return n;
}

/* GtkTextView learns its height by validating lines in idle time after
 * it is allocated, and until then asks for no more than its margins: a code
 * block added to a visible window would show a line or two for a while. So
 * ask for the height the lines will need (one line per line: no wrapping),
 * rounded down; the text view's own measurement wins once it knows. */
static void
update_code_height (Entry *e)
{
  GtkTextView *text_view = GTK_TEXT_VIEW (e->source_view);
  PangoFontMetrics *metrics;
  int line_height;

  metrics = pango_context_get_metrics (gtk_widget_get_pango_context (e->source_view), NULL, NULL);
  line_height = PANGO_PIXELS_FLOOR (pango_font_metrics_get_ascent (metrics) +
                                    pango_font_metrics_get_descent (metrics));
  pango_font_metrics_unref (metrics);

  gtk_widget_set_size_request (e->source_view, -1,
                               (int) (e->n_code_lines + 1) * line_height +
                               gtk_text_view_get_top_margin (text_view) +
                               gtk_text_view_get_bottom_margin (text_view));
}

/* When the text view learns its real height (validating lines during its
 * own allocation), the resize it queues can get lost: GTK drops a resize
 * queued while the allocation is underway. So when its adjustment changes,
 * check on the next frame, before layout, that it got the height it asks
 * for. */
static gboolean
code_resize_tick_cb (GtkWidget     *source_view,
                     GdkFrameClock *clock,
                     gpointer       user_data)
{
  Entry *e = user_data;
  int natural;

  e->resize_tick_id = 0;
  /* No wrapping: the height does not depend on the width. */
  gtk_widget_measure (source_view, GTK_ORIENTATION_VERTICAL, -1, NULL, &natural, NULL, NULL);
  if (natural != gtk_widget_get_height (source_view))
    gtk_widget_queue_resize (source_view);

  return G_SOURCE_REMOVE;
}

static void
code_adjustment_changed_cb (GtkAdjustment *adjustment,
                            Entry         *e)
{
  if (e->resize_tick_id == 0)
    e->resize_tick_id = gtk_widget_add_tick_callback (e->source_view, code_resize_tick_cb, e, NULL);
}

static void
code_realize_cb (GtkWidget *source_view,
                 Entry     *e)
{
  /* Now the font is the one CSS gives it. */
  update_code_height (e);
}

static void
update_code (Entry             *e,
             MoonMarkdownBlock *block)
{
  const char *code = moon_markdown_block_get_text (block);
  const char *old_code = e->block != NULL ? moon_markdown_block_get_text (e->block) : NULL;
  const char *name = moon_markdown_block_get_language (block);
  GtkSourceLanguage *language = moon_markdown_view_guess_language (name);

  /* Translators: the header of a code block whose language is not given */
  gtk_label_set_text (GTK_LABEL (e->language_label), name != NULL ? name : _("Code"));

  if (gtk_source_buffer_get_language (e->buffer) != language)
    gtk_source_buffer_set_language (e->buffer, language);

  /* Streaming appends: insert only the new text. */
  if (old_code != NULL && g_str_has_prefix (code, old_code))
    {
      gsize old_len = strlen (old_code);

      if (code[old_len] != '\0')
        {
          GtkTextIter end;

          gtk_text_buffer_get_end_iter (GTK_TEXT_BUFFER (e->buffer), &end);
          gtk_text_buffer_insert (GTK_TEXT_BUFFER (e->buffer), &end, code + old_len, -1);
          e->n_code_lines += count_lines (code + old_len);
        }
    }
  else
    {
      gtk_text_buffer_set_text (GTK_TEXT_BUFFER (e->buffer), code, -1);
      e->n_code_lines = count_lines (code);
    }

  update_code_height (e);
}

static GtkWidget *
build_code (Entry             *e,
            MoonMarkdownBlock *block)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *scroller = gtk_scrolled_window_new ();

  gtk_widget_add_css_class (box, "moon-md-code");
  gtk_widget_set_overflow (box, GTK_OVERFLOW_HIDDEN);

  e->language_label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (e->language_label), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (e->language_label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (e->language_label, TRUE);
  gtk_widget_add_css_class (e->language_label, "moon-md-code-language");
  gtk_widget_add_css_class (e->language_label, "caption");
  gtk_widget_add_css_class (e->language_label, "dim-label");

  e->copy_button = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  /* Translators: tooltip and accessible name of a code block's copy button */
  gtk_widget_set_tooltip_text (e->copy_button, _("Copy Code"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (e->copy_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Copy Code"),
                                  -1);
  gtk_widget_add_css_class (e->copy_button, "flat");
  gtk_widget_add_css_class (e->copy_button, "moon-md-copy");
  gtk_widget_set_valign (e->copy_button, GTK_ALIGN_CENTER);
  g_signal_connect (e->copy_button, "clicked", G_CALLBACK (copy_clicked_cb), e);

  gtk_box_append (GTK_BOX (header), e->language_label);
  gtk_box_append (GTK_BOX (header), e->copy_button);
  gtk_widget_add_css_class (header, "moon-md-code-header");

  e->buffer = gtk_source_buffer_new (NULL);
  gtk_source_buffer_set_highlight_syntax (e->buffer, TRUE);
  gtk_source_buffer_set_highlight_matching_brackets (e->buffer, FALSE);
  gtk_source_buffer_set_style_scheme (e->buffer, current_style_scheme ());

  e->source_view = gtk_source_view_new_with_buffer (e->buffer);
  gtk_text_view_set_editable (GTK_TEXT_VIEW (e->source_view), FALSE);
  gtk_text_view_set_cursor_visible (GTK_TEXT_VIEW (e->source_view), FALSE);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (e->source_view), TRUE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (e->source_view), GTK_WRAP_NONE);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (e->source_view), 12);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (e->source_view), 12);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (e->source_view), 10);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (e->source_view), 10);
  gtk_widget_add_css_class (e->source_view, "moon-md-source");
  /* Translators: accessible name of a code block's text */
  gtk_accessible_update_property (GTK_ACCESSIBLE (e->source_view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Code"),
                                  -1);
  g_signal_connect (e->source_view, "realize", G_CALLBACK (code_realize_cb), e);

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller),
                                  GTK_POLICY_AUTOMATIC, GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), e->source_view);
  /* The scrolled window's adjustment, set just now. */
  g_signal_connect (gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (e->source_view)),
                    "changed", G_CALLBACK (code_adjustment_changed_cb), e);

  gtk_box_append (GTK_BOX (box), header);
  gtk_box_append (GTK_BOX (box), scroller);

  update_code (e, block);

  return box;
}

static GtkWidget *
build_table_cells (Entry             *e,
                   MoonMarkdownBlock *block)
{
  guint n_columns = moon_markdown_block_get_n_columns (block);
  guint n_rows = moon_markdown_block_get_n_rows (block);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (e->grid)) != NULL)
    gtk_grid_remove (GTK_GRID (e->grid), child);

  for (guint row = 0; row <= n_rows; row++)
    {
      for (guint column = 0; column < n_columns; column++)
        {
          GtkWidget *cell = gtk_label_new (NULL);
          float xalign;

          switch (moon_markdown_block_get_column_align (block, column))
            {
            case MOON_MARKDOWN_ALIGN_CENTER: xalign = 0.5f; break;
            case MOON_MARKDOWN_ALIGN_RIGHT: xalign = 1.0f; break;
            case MOON_MARKDOWN_ALIGN_LEFT:
            case MOON_MARKDOWN_ALIGN_DEFAULT:
            default: xalign = 0.0f; break;
            }

          gtk_label_set_markup (GTK_LABEL (cell), moon_markdown_block_get_cell_markup (block, row, column));
          gtk_label_set_xalign (GTK_LABEL (cell), xalign);
          gtk_label_set_wrap (GTK_LABEL (cell), TRUE);
          gtk_label_set_wrap_mode (GTK_LABEL (cell), PANGO_WRAP_WORD_CHAR);
          gtk_label_set_max_width_chars (GTK_LABEL (cell), 40);
          gtk_label_set_selectable (GTK_LABEL (cell), TRUE);
          gtk_widget_set_hexpand (cell, TRUE);
          gtk_widget_add_css_class (cell, "moon-md-cell");
          if (row == 0)
            gtk_widget_add_css_class (cell, "moon-md-header-cell");
          else if (row % 2 == 0)
            gtk_widget_add_css_class (cell, "moon-md-even-row");
          if (column + 1 == n_columns)
            gtk_widget_add_css_class (cell, "moon-md-last-column");
          if (row == n_rows)
            gtk_widget_add_css_class (cell, "moon-md-last-row");
          g_signal_connect (cell, "activate-link", G_CALLBACK (activate_link_cb), NULL);

          gtk_grid_attach (GTK_GRID (e->grid), cell, column, row, 1, 1);
        }
    }

  return e->grid;
}

static GtkWidget *
build_table (Entry             *e,
             MoonMarkdownBlock *block)
{
  GtkWidget *frame = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  e->grid = gtk_grid_new ();
  gtk_widget_add_css_class (e->grid, "moon-md-table");
  build_table_cells (e, block);

  /* No scrolled window: cells wrap, so the table fits any width, and its
   * height follows the width it gets. It spans the message's width (a
   * table hugging its content would be measured width-for-height, which
   * wrapping cells cannot answer). */
  gtk_widget_add_css_class (frame, "moon-md-table-frame");
  gtk_widget_set_overflow (frame, GTK_OVERFLOW_HIDDEN);
  gtk_box_append (GTK_BOX (frame), e->grid);

  return frame;
}

/* Indents blocks inside list items and wraps quoted blocks in one bordered
 * box per quote level. */
static GtkWidget *
place_block (MoonMarkdownBlock *block,
             GtkWidget         *child)
{
  guint list_depth = moon_markdown_block_get_list_depth (block);

  if (moon_markdown_block_get_kind (block) != MOON_MARKDOWN_BLOCK_LIST_ITEM && list_depth > 0)
    gtk_widget_set_margin_start (child, INDENT * list_depth);

  for (guint i = 0; i < moon_markdown_block_get_quote_depth (block); i++)
    {
      GtkWidget *quote = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

      gtk_widget_add_css_class (quote, "moon-md-quote");
      gtk_box_append (GTK_BOX (quote), child);
      child = quote;
    }

  return child;
}

/* A class on each block's outermost widget, for the spacing between
 * blocks (see moon-markdown-view.css). */
static const char *
block_class (MoonMarkdownBlockKind kind)
{
  switch (kind)
    {
    case MOON_MARKDOWN_BLOCK_HEADING: return "moon-md-heading-block";
    case MOON_MARKDOWN_BLOCK_LIST_ITEM: return "moon-md-list-item-block";
    case MOON_MARKDOWN_BLOCK_QUOTE: return "moon-md-quote-block";
    case MOON_MARKDOWN_BLOCK_CODE: return "moon-md-code-block";
    case MOON_MARKDOWN_BLOCK_TABLE: return "moon-md-table-block";
    case MOON_MARKDOWN_BLOCK_RULE: return "moon-md-rule-block";
    case MOON_MARKDOWN_BLOCK_PARAGRAPH:
    default: return "moon-md-paragraph-block";
    }
}

static Entry *
entry_new (MoonMarkdownView  *view,
           MoonMarkdownBlock *block)
{
  Entry *e = g_new0 (Entry, 1);
  GtkWidget *child = NULL;

  e->view = view;

  switch (moon_markdown_block_get_kind (block))
    {
    case MOON_MARKDOWN_BLOCK_PARAGRAPH:
    case MOON_MARKDOWN_BLOCK_QUOTE:
    case MOON_MARKDOWN_BLOCK_HEADING:
      e->label = child = text_label_new ();
      set_heading_level (e->label, 0, moon_markdown_block_get_level (block));
      gtk_label_set_markup (GTK_LABEL (e->label), moon_markdown_block_get_markup (block));
      if (moon_markdown_block_get_kind (block) == MOON_MARKDOWN_BLOCK_HEADING)
        gtk_accessible_update_property (GTK_ACCESSIBLE (e->label),
                                        GTK_ACCESSIBLE_PROPERTY_LEVEL,
                                        moon_markdown_block_get_level (block),
                                        -1);
      break;

    case MOON_MARKDOWN_BLOCK_LIST_ITEM:
      child = build_list_item (e, block);
      break;

    case MOON_MARKDOWN_BLOCK_CODE:
      child = build_code (e, block);
      break;

    case MOON_MARKDOWN_BLOCK_TABLE:
      child = build_table (e, block);
      break;

    case MOON_MARKDOWN_BLOCK_RULE:
    default:
      child = gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);
      gtk_widget_add_css_class (child, "moon-md-rule");
      break;
    }

  e->block = g_object_ref (block);
  e->widget = place_block (block, child);
  gtk_widget_add_css_class (e->widget, block_class (moon_markdown_block_get_kind (block)));

  return e;
}

/* Updates @e in place for @block if the widget has the right shape. */
static gboolean
entry_update (Entry             *e,
              MoonMarkdownBlock *block)
{
  MoonMarkdownBlock *old = e->block;
  MoonMarkdownBlockKind kind = moon_markdown_block_get_kind (block);

  if (moon_markdown_block_get_kind (old) != kind ||
      moon_markdown_block_get_list_depth (old) != moon_markdown_block_get_list_depth (block) ||
      moon_markdown_block_get_quote_depth (old) != moon_markdown_block_get_quote_depth (block) ||
      moon_markdown_block_get_ordered (old) != moon_markdown_block_get_ordered (block) ||
      (moon_markdown_block_get_task (old) == MOON_MARKDOWN_TASK_NONE) !=
      (moon_markdown_block_get_task (block) == MOON_MARKDOWN_TASK_NONE))
    return FALSE;

  switch (kind)
    {
    case MOON_MARKDOWN_BLOCK_LIST_ITEM:
      update_bullet (e, block);
      G_GNUC_FALLTHROUGH;
    case MOON_MARKDOWN_BLOCK_PARAGRAPH:
    case MOON_MARKDOWN_BLOCK_QUOTE:
    case MOON_MARKDOWN_BLOCK_HEADING:
      set_heading_level (e->label, moon_markdown_block_get_level (old),
                         moon_markdown_block_get_level (block));
      if (kind == MOON_MARKDOWN_BLOCK_HEADING)
        gtk_accessible_update_property (GTK_ACCESSIBLE (e->label),
                                        GTK_ACCESSIBLE_PROPERTY_LEVEL,
                                        moon_markdown_block_get_level (block),
                                        -1);
      if (g_strcmp0 (moon_markdown_block_get_markup (old), moon_markdown_block_get_markup (block)) != 0)
        gtk_label_set_markup (GTK_LABEL (e->label), moon_markdown_block_get_markup (block));
      break;

    case MOON_MARKDOWN_BLOCK_CODE:
      update_code (e, block);
      break;

    case MOON_MARKDOWN_BLOCK_TABLE:
      build_table_cells (e, block);
      break;

    case MOON_MARKDOWN_BLOCK_RULE:
    default:
      break;
    }

  g_set_object (&e->block, block);

  return TRUE;
}

static void
entry_free (Entry *e)
{
  g_clear_handle_id (&e->feedback_id, g_source_remove);
  if (e->copy_button != NULL)
    g_signal_handlers_disconnect_by_data (e->copy_button, e);
  if (e->source_view != NULL)
    {
      g_signal_handlers_disconnect_by_data (e->source_view, e);
      g_signal_handlers_disconnect_by_data (gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (e->source_view)), e);
      if (e->resize_tick_id != 0)
        gtk_widget_remove_tick_callback (e->source_view, e->resize_tick_id);
    }
  g_clear_pointer (&e->widget, gtk_widget_unparent);
  g_clear_object (&e->buffer);
  g_clear_object (&e->block);
  g_free (e);
}

/* ---- the view ----------------------------------------------------------- */

static void
moon_markdown_view_apply (MoonMarkdownView *self,
                          guint             first,
                          guint             removed,
                          guint             added)
{
  guint n_paired = MIN (removed, added);

  /* Changed blocks: update in place, or swap the widget. */
  for (guint i = 0; i < n_paired; i++)
    {
      Entry *e = g_ptr_array_index (self->entries, first + i);
      MoonMarkdownBlock *block = moon_markdown_doc_get_block (self->doc, first + i);

      if (!entry_update (e, block))
        {
          Entry *replacement = entry_new (self, block);

          gtk_widget_insert_after (replacement->widget, GTK_WIDGET (self), e->widget);
          self->entries->pdata[first + i] = replacement;
          entry_free (e);
        }
    }

  if (removed > n_paired)
    g_ptr_array_remove_range (self->entries, first + n_paired, removed - n_paired);

  for (guint i = n_paired; i < added; i++)
    {
      guint position = first + i;
      Entry *e = entry_new (self, moon_markdown_doc_get_block (self->doc, position));
      GtkWidget *previous = NULL;

      if (position > 0)
        previous = ((Entry *) g_ptr_array_index (self->entries, position - 1))->widget;

      gtk_widget_insert_after (e->widget, GTK_WIDGET (self), previous);
      g_ptr_array_insert (self->entries, position, e);
    }
}

static void
dark_changed_cb (MoonMarkdownView *self)
{
  GtkSourceStyleScheme *scheme = current_style_scheme ();

  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *e = g_ptr_array_index (self->entries, i);

      if (e->buffer != NULL)
        gtk_source_buffer_set_style_scheme (e->buffer, scheme);
    }
}

static void
moon_markdown_view_dispose (GObject *object)
{
  MoonMarkdownView *self = MOON_MARKDOWN_VIEW (object);

  g_clear_pointer (&self->entries, g_ptr_array_unref);

  G_OBJECT_CLASS (moon_markdown_view_parent_class)->dispose (object);
}

static void
moon_markdown_view_finalize (GObject *object)
{
  MoonMarkdownView *self = MOON_MARKDOWN_VIEW (object);

  g_clear_object (&self->doc);

  G_OBJECT_CLASS (moon_markdown_view_parent_class)->finalize (object);
}

static void
moon_markdown_view_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  MoonMarkdownView *self = MOON_MARKDOWN_VIEW (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, moon_markdown_view_get_text (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_markdown_view_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  MoonMarkdownView *self = MOON_MARKDOWN_VIEW (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      moon_markdown_view_set_text (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_markdown_view_class_init (MoonMarkdownViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = moon_markdown_view_dispose;
  object_class->finalize = moon_markdown_view_finalize;
  object_class->get_property = moon_markdown_view_get_property;
  object_class->set_property = moon_markdown_view_set_property;

  /**
   * MoonMarkdownView:text:
   *
   * The Markdown text shown. Setting it re-renders only the blocks that
   * changed.
   */
  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL,
                         "",
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "markdownview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);

  gtk_source_init ();
}

static void
moon_markdown_view_init (MoonMarkdownView *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  /* Spacing between blocks comes from the CSS, per kind of block. */
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 0);
  gtk_widget_add_css_class (GTK_WIDGET (self), "moon-markdown-view");

  self->doc = moon_markdown_doc_new ();
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);

  ensure_style (gtk_widget_get_display (GTK_WIDGET (self)));
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (dark_changed_cb), self, G_CONNECT_SWAPPED);
}

/**
 * moon_markdown_view_new:
 *
 * Returns: (transfer floating): a new, empty #MoonMarkdownView
 */
GtkWidget *
moon_markdown_view_new (void)
{
  return g_object_new (MOON_TYPE_MARKDOWN_VIEW, NULL);
}

/**
 * moon_markdown_view_set_text:
 * @self: a #MoonMarkdownView
 * @text: (nullable): Markdown text
 *
 * Shows @text. When @text extends the previous text, only the unfinished
 * tail is re-parsed and only the blocks that changed are re-rendered:
 * finished blocks keep their widgets, the last paragraph's label or code
 * block's buffer is updated in place. Cheap enough to call once per frame
 * while a reply streams; callers should coalesce deltas to that rate.
 */
void
moon_markdown_view_set_text (MoonMarkdownView *self,
                             const char       *text)
{
  guint first;
  guint removed;
  guint added;

  g_return_if_fail (MOON_IS_MARKDOWN_VIEW (self));

  if (!moon_markdown_doc_update (self->doc, text != NULL ? text : "", -1, &first, &removed, &added))
    return;

  moon_markdown_view_apply (self, first, removed, added);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

/**
 * moon_markdown_view_get_text:
 * @self: a #MoonMarkdownView
 *
 * Returns: the text shown
 */
const char *
moon_markdown_view_get_text (MoonMarkdownView *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_VIEW (self), NULL);

  return moon_markdown_doc_get_text (self->doc);
}

/**
 * moon_markdown_view_get_doc:
 * @self: a #MoonMarkdownView
 *
 * Returns: (transfer none): the parsed document (its blocks, for copying
 *   or searching)
 */
MoonMarkdownDoc *
moon_markdown_view_get_doc (MoonMarkdownView *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_VIEW (self), NULL);

  return self->doc;
}

/**
 * moon_markdown_view_get_block_widget:
 * @self: a #MoonMarkdownView
 * @position: a block index
 *
 * Returns: (transfer none): the child widget that shows block @position
 */
GtkWidget *
moon_markdown_view_get_block_widget (MoonMarkdownView *self,
                                     guint             position)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_VIEW (self), NULL);
  g_return_val_if_fail (position < self->entries->len, NULL);

  return ((Entry *) g_ptr_array_index (self->entries, position))->widget;
}
