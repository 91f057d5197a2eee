/* test-markdown-view.c — a real MoonMarkdownView in a real window under Xvfb:
 * the widgets it builds for every kind of block, the copy button and the
 * clipboard, the colour scheme, and widget reuse while text streams in.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "moon-markdown-view.h"

static const char sample[] =
  "# Title with `code`\n"
  "\n"
  "A paragraph with **bold**, *italic*, ~~struck~~ and a [link](https://example.org/a?b=1&c=2).\n"
  "第二行：中文也可以。\n"
  "\n"
  "3. three\n"
  "4. four\n"
  "   - nested <b>not bold</b>\n"
  "\n"
  "- [x] done\n"
  "- [ ] open\n"
  "\n"
  "> quoted *words*\n"
  "\n"
  "```python\n"
  "def greet(name):\n"
  "    return f\"<b>{name}</b> & co\"\n"
  "\n"
  "print(greet('月'))\n"
  "```\n"
  "\n"
  "| Left | Center | Right |\n"
  "|:-----|:------:|------:|\n"
  "| a | **b** | 1 |\n"
  "| 长 | `c` |\n"
  "\n"
  "---\n"
  "\n"
  "The end.\n";

static const char python_code[] =
  "def greet(name):\n"
  "    return f\"<b>{name}</b> & co\"\n"
  "\n"
  "print(greet('月'))";

/* ---- helpers ------------------------------------------------------------ */

static gboolean
give_up_cb (gpointer data)
{
  g_error ("%s did not happen within 60 s", (const char *) data);
  return G_SOURCE_REMOVE;
}

static gboolean
count_frame_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       data)
{
  guint *frames = data;

  (*frames)++;
  return G_SOURCE_CONTINUE;
}

/* Waits until @widget's window has drawn @n more frames. */
static void
wait_for_frames (GtkWidget *widget,
                 guint      n)
{
  guint frames = 0;
  guint tick_id = gtk_widget_add_tick_callback (widget, count_frame_cb, &frames, NULL);
  guint give_up_id = g_timeout_add_seconds (60, give_up_cb, (gpointer) "a frame");

  while (frames < n)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (give_up_id);
  gtk_widget_remove_tick_callback (widget, tick_id);
}

static GtkWidget *
find_descendant (GtkWidget  *widget,
                 GType       type,
                 const char *css_class)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type) &&
      (css_class == NULL || gtk_widget_has_css_class (widget, css_class)))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, type, css_class);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static guint
count_children (GtkWidget *widget)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n++;

  return n;
}

typedef struct
{
  GtkWidget        *window;
  MoonMarkdownView *view;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  GtkWidget *scroller = gtk_scrolled_window_new ();

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_LIGHT);

  f->view = MOON_MARKDOWN_VIEW (moon_markdown_view_new ());
  gtk_widget_set_margin_start (GTK_WIDGET (f->view), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (f->view), 12);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (f->view));

  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 700, 900);
  gtk_window_set_child (GTK_WINDOW (f->window), scroller);
  gtk_window_present (GTK_WINDOW (f->window));
  wait_for_frames (f->window, 2);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (f->view)));
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_object_add_weak_pointer (G_OBJECT (f->view), (gpointer *) &f->view);
  gtk_window_destroy (GTK_WINDOW (f->window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  /* Nothing kept the view alive: no leaked references or timeouts. */
  g_assert_null (f->view);
}

static GtkWidget *
block_widget (Fixture *f,
              guint    position)
{
  return moon_markdown_view_get_block_widget (f->view, position);
}

static MoonMarkdownBlock *
block (Fixture *f,
       guint    position)
{
  return moon_markdown_doc_get_block (moon_markdown_view_get_doc (f->view), position);
}

/* The label of a text block: the widget itself, or inside a list item or
 * quote. */
static GtkLabel *
text_label (Fixture *f,
            guint    position)
{
  GtkWidget *label = find_descendant (block_widget (f, position), GTK_TYPE_LABEL, "moon-md-text");

  g_assert_nonnull (label);
  return GTK_LABEL (label);
}

static void
assert_text_label (Fixture    *f,
                   guint       position,
                   const char *text)
{
  GtkLabel *label = text_label (f, position);

  /* GTK parsed our markup for real: what it shows is the plain text. */
  g_assert_cmpstr (gtk_label_get_label (label), ==, moon_markdown_block_get_markup (block (f, position)));
  g_assert_cmpstr (gtk_label_get_text (label), ==, text);
  g_assert_true (gtk_label_get_use_markup (label));
  g_assert_true (gtk_label_get_selectable (label));
  g_assert_true (gtk_label_get_wrap (label));
}

static void
read_text_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  char **text = user_data;
  g_autoptr(GError) error = NULL;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*text);
}

/* ---- rendering ---------------------------------------------------------- */

static void
test_render (Fixture       *f,
             gconstpointer  data)
{
  MoonMarkdownDoc *doc = moon_markdown_view_get_doc (f->view);
  GtkWidget *w;
  GtkWidget *bullet;
  GtkWidget *source_view;
  GtkSourceBuffer *buffer;
  GtkWidget *copy;
  GtkWidget *grid;
  GtkTextIter start, end;
  g_autofree char *buffer_text = NULL;
  g_autofree char *clipboard_text = NULL;
  guint give_up_id;

  moon_markdown_view_set_text (f->view, sample);
  wait_for_frames (f->window, 2);

  g_assert_cmpstr (moon_markdown_view_get_text (f->view), ==, sample);
  g_assert_cmpuint (moon_markdown_doc_get_n_blocks (doc), ==, 12);
  g_assert_cmpuint (count_children (GTK_WIDGET (f->view)), ==, 12);
  for (guint i = 0; i < 12; i++)
    {
      g_assert_true (gtk_widget_get_parent (block_widget (f, i)) == GTK_WIDGET (f->view));
      g_assert_true (gtk_widget_get_mapped (block_widget (f, i)));
    }

  /* 0: heading */
  w = block_widget (f, 0);
  g_assert_true (GTK_IS_LABEL (w));
  g_assert_true (gtk_widget_has_css_class (w, "title-2"));
  assert_text_label (f, 0, "Title with code");

  /* 1: paragraph with inline markup, a link and a second line in Chinese */
  assert_text_label (f, 1, "A paragraph with bold, italic, struck and a link.\n第二行：中文也可以。");
  g_assert_nonnull (strstr (gtk_label_get_label (text_label (f, 1)),
                            "<a href=\"https://example.org/a?b=1&amp;c=2\">link</a>"));

  /* 2-4: an ordered list starting at 3 and a nested item */
  bullet = gtk_widget_get_first_child (block_widget (f, 2));
  g_assert_true (GTK_IS_LABEL (bullet));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (bullet)), ==, "3.");
  assert_text_label (f, 2, "three");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_widget_get_first_child (block_widget (f, 3)))), ==, "4.");
  assert_text_label (f, 4, "nested <b>not bold</b>");
  g_assert_cmpint (gtk_widget_get_margin_start (block_widget (f, 4)), >,
                   gtk_widget_get_margin_start (block_widget (f, 3)));

  /* 5-6: tasks show their state */
  bullet = gtk_widget_get_first_child (block_widget (f, 5));
  g_assert_true (GTK_IS_CHECK_BUTTON (bullet));
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (bullet)));
  g_assert_false (gtk_widget_get_can_target (bullet));
  g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (gtk_widget_get_first_child (block_widget (f, 6)))));
  assert_text_label (f, 6, "open");

  /* 7: quote, with the quote's border class */
  g_assert_true (gtk_widget_has_css_class (block_widget (f, 7), "moon-md-quote"));
  assert_text_label (f, 7, "quoted words");

  /* 8: code */
  source_view = find_descendant (block_widget (f, 8), GTK_SOURCE_TYPE_VIEW, NULL);
  g_assert_nonnull (source_view);
  g_assert_false (gtk_text_view_get_editable (GTK_TEXT_VIEW (source_view)));
  g_assert_true (gtk_text_view_get_monospace (GTK_TEXT_VIEW (source_view)));
  buffer = GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (source_view)));
  gtk_text_buffer_get_bounds (GTK_TEXT_BUFFER (buffer), &start, &end);
  buffer_text = gtk_text_buffer_get_text (GTK_TEXT_BUFFER (buffer), &start, &end, FALSE);
  g_assert_cmpstr (buffer_text, ==, python_code);
  g_assert_nonnull (gtk_source_buffer_get_language (buffer));
  g_assert_cmpstr (gtk_source_language_get_id (gtk_source_buffer_get_language (buffer)), ==, "python3");
  g_assert_cmpstr (gtk_source_style_scheme_get_id (gtk_source_buffer_get_style_scheme (buffer)), ==, "Adwaita");
  wait_for_frames (f->window, 10);
  /* The whole code is visible: the block is as tall as its four lines and
   * as tall as the text view itself asks for. */
  {
    PangoFontMetrics *metrics = pango_context_get_metrics (gtk_widget_get_pango_context (source_view), NULL, NULL);
    int line_height = PANGO_PIXELS_FLOOR (pango_font_metrics_get_ascent (metrics) +
                                          pango_font_metrics_get_descent (metrics));
    int natural;

    pango_font_metrics_unref (metrics);
    gtk_widget_measure (source_view, GTK_ORIENTATION_VERTICAL, gtk_widget_get_width (source_view),
                        NULL, &natural, NULL, NULL);
    g_assert_cmpint (line_height, >, 8);
    g_assert_cmpint (gtk_widget_get_height (source_view), >=, 4 * line_height);
    g_assert_cmpint (gtk_widget_get_height (source_view), >=, natural);
  }
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_descendant (block_widget (f, 8), GTK_TYPE_LABEL,
                                                                   "moon-md-code-language"))), ==, "python");

  /* The colour scheme follows the dark preference. */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  g_assert_cmpstr (gtk_source_style_scheme_get_id (gtk_source_buffer_get_style_scheme (buffer)), ==, "Adwaita-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_LIGHT);
  g_assert_cmpstr (gtk_source_style_scheme_get_id (gtk_source_buffer_get_style_scheme (buffer)), ==, "Adwaita");

  /* The copy button: labelled for screen readers, puts the code on the
   * clipboard and says so. */
  copy = find_descendant (block_widget (f, 8), GTK_TYPE_BUTTON, "moon-md-copy");
  g_assert_nonnull (copy);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (copy), ==, _("Copy Code"));
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Copy Code"));
  g_signal_emit_by_name (copy, "clicked");
  g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (copy)), ==, "object-select-symbolic");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (copy), ==, _("Copied"));

  give_up_id = g_timeout_add_seconds (60, give_up_cb, (gpointer) "reading the clipboard");
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (copy), NULL, read_text_cb, &clipboard_text);
  while (clipboard_text == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (give_up_id);
  g_assert_cmpstr (clipboard_text, ==, python_code);

  /* 9: table */
  grid = find_descendant (block_widget (f, 9), GTK_TYPE_GRID, NULL);
  g_assert_nonnull (grid);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (grid), 0, 0))), ==, "Left");
  g_assert_true (gtk_widget_has_css_class (gtk_grid_get_child_at (GTK_GRID (grid), 2, 0), "moon-md-header-cell"));
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (grid), 1, 1))), ==, "<b>b</b>");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (grid), 1, 1))), ==, "b");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (grid), 0, 2))), ==, "长");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (grid), 2, 2))), ==, "");
  g_assert_cmpfloat (gtk_label_get_xalign (GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (grid), 0, 1))), ==, 0.0);
  g_assert_cmpfloat (gtk_label_get_xalign (GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (grid), 1, 1))), ==, 0.5);
  g_assert_cmpfloat (gtk_label_get_xalign (GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (grid), 2, 1))), ==, 1.0);
  g_assert_null (gtk_grid_get_child_at (GTK_GRID (grid), 0, 3));

  /* 10: rule, 11: the last paragraph */
  g_assert_true (GTK_IS_SEPARATOR (block_widget (f, 10)));
  assert_text_label (f, 11, "The end.");

  /* Clearing removes every widget. */
  moon_markdown_view_set_text (f->view, NULL);
  g_assert_null (gtk_widget_get_first_child (GTK_WIDGET (f->view)));
  g_assert_cmpstr (moon_markdown_view_get_text (f->view), ==, "");
}

static void
test_hostile (Fixture       *f,
              gconstpointer  data)
{
  /* Through real GtkLabels: a markup error would be a (fatal) warning. */
  moon_markdown_view_set_text (f->view,
                               "<span foreground='red'>x</span> & <b>bold?</b> **open *em\n"
                               "\n"
                               "</a></tt> <a href=\"javascript:alert(1)\">y</a> ctl\x01\x1b[0m \xff\n"
                               "\n"
                               "[click](javascript:alert(1)) `<i>` &bogus; &#0;\n"
                               "\n"
                               "| <b> | & |\n|---|---|\n| ' | \" |\n");
  wait_for_frames (f->window, 1);

  g_assert_cmpuint (moon_markdown_doc_get_n_blocks (moon_markdown_view_get_doc (f->view)), ==, 4);
  assert_text_label (f, 0, "<span foreground='red'>x</span> & <b>bold?</b> **open *em");
  assert_text_label (f, 1, "</a></tt> <a href=\"javascript:alert(1)\">y</a> ctl\xEF\xBF\xBD\xEF\xBF\xBD[0m \xEF\xBF\xBD");
  assert_text_label (f, 2, "click <i> &bogus; \xEF\xBF\xBD");
  g_assert_null (strstr (gtk_label_get_label (text_label (f, 2)), "<a"));
}

/* ---- streaming ---------------------------------------------------------- */

static void
test_stream (Fixture       *f,
             gconstpointer  data)
{
  MoonMarkdownDoc *doc = moon_markdown_view_get_doc (f->view);
  gsize len = strlen (sample);
  g_autoptr(GPtrArray) widgets = g_ptr_array_new ();
  GtkWidget *code_widget = NULL;
  GtkWidget *code_source_view = NULL;
  GtkWidget *last_label = NULL;
  guint code_index = G_MAXUINT;
  guint step = 0;

  for (gsize pos = 0; pos < len;)
    {
      g_autofree char *prefix = NULL;
      guint n_old = widgets->len;
      guint n;

      pos = MIN (pos + 5, len);
      while (pos < len && ((guchar) sample[pos] & 0xC0) == 0x80)
        pos++;

      prefix = g_strndup (sample, pos);
      moon_markdown_view_set_text (f->view, prefix);

      n = moon_markdown_doc_get_n_blocks (doc);
      g_assert_cmpuint (count_children (GTK_WIDGET (f->view)), ==, n);

      /* Finished blocks keep their widgets. */
      for (guint i = 0; i + 1 < n_old; i++)
        g_assert_true (block_widget (f, i) == g_ptr_array_index (widgets, i));

      /* The block being streamed is updated in place: the code block keeps
       * its GtkSourceView from the first line of code to the closing fence,
       * the last paragraph its label while it grows. */
      for (guint i = 0; i < n; i++)
        {
          if (moon_markdown_block_get_kind (block (f, i)) == MOON_MARKDOWN_BLOCK_CODE &&
              g_strcmp0 (moon_markdown_block_get_language (block (f, i)), "python") == 0)
            {
              GtkWidget *source_view = find_descendant (block_widget (f, i), GTK_SOURCE_TYPE_VIEW, NULL);

              if (code_widget == NULL)
                {
                  code_widget = block_widget (f, i);
                  code_source_view = source_view;
                  code_index = i;
                }
              g_assert_cmpuint (i, ==, code_index);
              g_assert_true (block_widget (f, i) == code_widget);
              g_assert_true (source_view == code_source_view);
            }
        }
      if (pos > len - strlen ("The end.\n") + 1)
        {
          GtkWidget *label = GTK_WIDGET (text_label (f, n - 1));

          if (last_label != NULL)
            g_assert_true (label == last_label);
          last_label = label;
        }

      g_ptr_array_set_size (widgets, 0);
      for (guint i = 0; i < n; i++)
        g_ptr_array_add (widgets, block_widget (f, i));

      /* Draw now and then, with whatever half-finished markup is there. */
      if (++step % 16 == 0)
        wait_for_frames (f->window, 1);
    }

  g_assert_nonnull (code_widget);
  wait_for_frames (f->window, 1);

  /* The streamed view ends up as a fresh render of the whole text. */
  {
    g_autoptr(GPtrArray) expected = moon_markdown_parse (sample, -1);
    GtkSourceBuffer *buffer = GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (code_source_view)));
    GtkTextIter start, end;
    g_autofree char *code = NULL;

    g_assert_cmpuint (moon_markdown_doc_get_n_blocks (doc), ==, expected->len);
    for (guint i = 0; i < expected->len; i++)
      {
        g_assert_true (moon_markdown_block_equal (block (f, i), g_ptr_array_index (expected, i)));
        if (moon_markdown_block_get_markup (block (f, i)) != NULL &&
            moon_markdown_block_get_kind (block (f, i)) != MOON_MARKDOWN_BLOCK_CODE)
          g_assert_cmpstr (gtk_label_get_label (text_label (f, i)), ==,
                           moon_markdown_block_get_markup (g_ptr_array_index (expected, i)));
      }

    gtk_text_buffer_get_bounds (GTK_TEXT_BUFFER (buffer), &start, &end);
    code = gtk_text_buffer_get_text (GTK_TEXT_BUFFER (buffer), &start, &end, FALSE);
    g_assert_cmpstr (code, ==, python_code);
    g_assert_cmpstr (gtk_source_language_get_id (gtk_source_buffer_get_language (buffer)), ==, "python3");
  }
}

/* ---- languages ---------------------------------------------------------- */

static void
test_languages (void)
{
  static const struct
  {
    const char *name;
    const char *id;
  } cases[] = {
    { "c", "c" }, { "C", "c" }, { "cpp", "cpp" }, { "c++", "cpp" }, { "python", "python3" },
    { "py", "python3" }, { "Python", "python3" }, { "js", "js" }, { "javascript", "js" },
    { "ts", "typescript" }, { "typescript", "typescript" }, { "rust", "rust" }, { "rs", "rust" },
    { "go", "go" }, { "golang", "go" }, { "sh", "sh" }, { "bash", "sh" }, { "shell", "sh" },
    { "zsh", "sh" }, { "json", "json" }, { "yaml", "yaml" }, { "yml", "yaml" },
    { "html", "html" }, { "css", "css" }, { "sql", "sql" }, { "diff", "diff" },
    { "patch", "diff" }, { "java", "java" }, { "kotlin", "kotlin" }, { "swift", "swift" },
    { "ruby", "ruby" }, { "rb", "ruby" }, { "toml", "toml" }, { "xml", "xml" },
    { "lua", "lua" }, { "csharp", "c-sharp" }, { "c#", "c-sharp" }, { "dockerfile", "docker" },
    { "markdown", "markdown" }, { "md", "markdown" }, { "meson", "meson" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GtkSourceLanguage *language = moon_markdown_view_guess_language (cases[i].name);

      g_assert_nonnull (language);
      g_assert_cmpstr (gtk_source_language_get_id (language), ==, cases[i].id);
    }

  g_assert_null (moon_markdown_view_guess_language (NULL));
  g_assert_null (moon_markdown_view_guess_language (""));
  g_assert_null (moon_markdown_view_guess_language ("no-such-language"));
  g_assert_null (moon_markdown_view_guess_language ("../../etc/passwd"));
}

int
main (int   argc,
      char *argv[])
{
  /* Xvfb has no GPU: software GL takes seconds per frame on a busy
   * machine. Cairo is a real GTK renderer too, and fast here. */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/ui/markdown-view/render", Fixture, NULL, fixture_set_up, test_render, fixture_tear_down);
  g_test_add ("/ui/markdown-view/hostile", Fixture, NULL, fixture_set_up, test_hostile, fixture_tear_down);
  g_test_add ("/ui/markdown-view/stream", Fixture, NULL, fixture_set_up, test_stream, fixture_tear_down);
  g_test_add_func ("/ui/markdown-view/languages", test_languages);

  return g_test_run ();
}
