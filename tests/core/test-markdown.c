/* test-markdown.c — Markdown to blocks: block kinds, inline markup, escaping
 * of hostile input, and the streaming document's guarantees.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "markup-check.h"
#include "moon-markdown.h"

/* ---- helpers ------------------------------------------------------------ */

static void
assert_markup_ok (const char *markup)
{
  g_autoptr(GError) error = NULL;

  markup_check (markup, &error);
  g_assert_no_error (error);
}

static void
assert_blocks_ok (GPtrArray *blocks)
{
  for (guint i = 0; i < blocks->len; i++)
    {
      MoonMarkdownBlock *block = g_ptr_array_index (blocks, i);

      assert_markup_ok (moon_markdown_block_get_markup (block));
      g_assert_true (g_utf8_validate (moon_markdown_block_get_text (block), -1, NULL));

      if (moon_markdown_block_get_kind (block) == MOON_MARKDOWN_BLOCK_TABLE)
        {
          for (guint r = 0; r <= moon_markdown_block_get_n_rows (block); r++)
            for (guint c = 0; c < moon_markdown_block_get_n_columns (block); c++)
              assert_markup_ok (moon_markdown_block_get_cell_markup (block, r, c));
        }
    }
}

static GPtrArray *
parse (const char *text)
{
  GPtrArray *blocks = moon_markdown_parse (text, -1);

  assert_blocks_ok (blocks);
  return blocks;
}

#define BLOCK(blocks, i) ((MoonMarkdownBlock *) g_ptr_array_index ((blocks), (i)))

static void
assert_block (MoonMarkdownBlock     *block,
              MoonMarkdownBlockKind  kind,
              const char            *markup,
              const char            *text)
{
  g_assert_cmpint (moon_markdown_block_get_kind (block), ==, kind);
  g_assert_cmpstr (moon_markdown_block_get_markup (block), ==, markup);
  g_assert_cmpstr (moon_markdown_block_get_text (block), ==, text);
}

static char *
load_fixture (const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("MOONCHAT_FIXTURES"), "markdown", name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* ---- block kinds -------------------------------------------------------- */

static void
test_headings (void)
{
  g_autoptr(GPtrArray) blocks = parse ("# One\n## Two *em*\n###### Six\nSetext\n===\nTwo\n---\n#not a heading\n");

  g_assert_cmpuint (blocks->len, ==, 6);
  assert_block (BLOCK (blocks, 0), MOON_MARKDOWN_BLOCK_HEADING, "One", "One");
  g_assert_cmpuint (moon_markdown_block_get_level (BLOCK (blocks, 0)), ==, 1);
  assert_block (BLOCK (blocks, 1), MOON_MARKDOWN_BLOCK_HEADING, "Two <i>em</i>", "Two em");
  g_assert_cmpuint (moon_markdown_block_get_level (BLOCK (blocks, 1)), ==, 2);
  g_assert_cmpuint (moon_markdown_block_get_level (BLOCK (blocks, 2)), ==, 6);
  assert_block (BLOCK (blocks, 3), MOON_MARKDOWN_BLOCK_HEADING, "Setext", "Setext");
  g_assert_cmpuint (moon_markdown_block_get_level (BLOCK (blocks, 3)), ==, 1);
  g_assert_cmpuint (moon_markdown_block_get_level (BLOCK (blocks, 4)), ==, 2);
  assert_block (BLOCK (blocks, 5), MOON_MARKDOWN_BLOCK_PARAGRAPH, "#not a heading", "#not a heading");
  g_assert_cmpuint (moon_markdown_block_get_level (BLOCK (blocks, 5)), ==, 0);

  for (guint i = 0; i < blocks->len; i++)
    {
      g_assert_cmpuint (moon_markdown_block_get_list_depth (BLOCK (blocks, i)), ==, 0);
      g_assert_cmpuint (moon_markdown_block_get_quote_depth (BLOCK (blocks, i)), ==, 0);
      g_assert_cmpuint (moon_markdown_block_get_id (BLOCK (blocks, i)), ==, i + 1);
    }
}

static void
test_inline (void)
{
  g_autoptr(GPtrArray) blocks =
    parse ("Plain **bold** *it* _it2_ ~~gone~~ `a < b && c` ***both***\n"
           "[docs](https://example.org/a?b=1&c=2) <https://x.org> www.kimi.ai me@example.org");

  g_assert_cmpuint (blocks->len, ==, 1);
  assert_block (BLOCK (blocks, 0), MOON_MARKDOWN_BLOCK_PARAGRAPH,
                "Plain <b>bold</b> <i>it</i> <i>it2</i> <s>gone</s> "
                "<tt><span background=\"#808080\" bgalpha=\"22%\">a &lt; b &amp;&amp; c</span></tt> "
                "<i><b>both</b></i>\n"
                "<a href=\"https://example.org/a?b=1&amp;c=2\">docs</a> "
                "<a href=\"https://x.org\">https://x.org</a> "
                "<a href=\"http://www.kimi.ai\">www.kimi.ai</a> "
                "<a href=\"mailto:me@example.org\">me@example.org</a>",
                "Plain bold it it2 gone a < b && c both\n"
                "docs https://x.org www.kimi.ai me@example.org");
}

static void
test_hard_and_soft_breaks (void)
{
  g_autoptr(GPtrArray) blocks = parse ("one  \ntwo\\\nthree\nfour\n");

  assert_block (BLOCK (blocks, 0), MOON_MARKDOWN_BLOCK_PARAGRAPH,
                "one\ntwo\nthree\nfour", "one\ntwo\nthree\nfour");
}

static void
test_unsafe_links (void)
{
  g_autoptr(GPtrArray) blocks =
    parse ("[a](javascript:alert(1)) [b](file:///etc/passwd) [c](relative/path) "
           "[d](https://ok.example/\"><b>x</b>) ![pic](https://img.example/p.png) "
           "[![inner](https://img.example/i.png)](https://outer.example)");
  const char *markup = moon_markdown_block_get_markup (BLOCK (blocks, 0));

  g_assert_null (strstr (markup, "javascript"));
  g_assert_null (strstr (markup, "file:"));
  g_assert_null (strstr (markup, "relative"));
  g_assert_true (g_str_has_prefix (markup, "a b c "));
  /* md4c does not take a destination with a quote in it, or the quote is
   * escaped: either way no <b> element appears. */
  g_assert_null (strstr (markup, "<b>"));
  g_assert_nonnull (strstr (markup, "<a href=\"https://img.example/p.png\">pic</a>"));
  /* No nested links: the outer one wins. */
  g_assert_nonnull (strstr (markup, "<a href=\"https://outer.example\">inner</a>"));
}

static void
test_lists (void)
{
  g_autoptr(GPtrArray) blocks =
    parse ("- one\n"
           "- two\n"
           "  - nested **bold**\n"
           "    1. deep\n"
           "- three\n"
           "\n"
           "7. seven\n"
           "8. eight\n"
           "\n"
           "- [ ] open task\n"
           "- [x] done task\n");
  MoonMarkdownBlock *b;

  g_assert_cmpuint (blocks->len, ==, 9);

  b = BLOCK (blocks, 0);
  assert_block (b, MOON_MARKDOWN_BLOCK_LIST_ITEM, "one", "one");
  g_assert_cmpuint (moon_markdown_block_get_list_depth (b), ==, 1);
  g_assert_false (moon_markdown_block_get_ordered (b));
  g_assert_cmpuint (moon_markdown_block_get_number (b), ==, 0);
  g_assert_cmpint (moon_markdown_block_get_task (b), ==, MOON_MARKDOWN_TASK_NONE);

  b = BLOCK (blocks, 2);
  assert_block (b, MOON_MARKDOWN_BLOCK_LIST_ITEM, "nested <b>bold</b>", "nested bold");
  g_assert_cmpuint (moon_markdown_block_get_list_depth (b), ==, 2);

  b = BLOCK (blocks, 3);
  assert_block (b, MOON_MARKDOWN_BLOCK_LIST_ITEM, "deep", "deep");
  g_assert_cmpuint (moon_markdown_block_get_list_depth (b), ==, 3);
  g_assert_true (moon_markdown_block_get_ordered (b));
  g_assert_cmpuint (moon_markdown_block_get_number (b), ==, 1);

  g_assert_cmpuint (moon_markdown_block_get_list_depth (BLOCK (blocks, 4)), ==, 1);

  b = BLOCK (blocks, 5);
  assert_block (b, MOON_MARKDOWN_BLOCK_LIST_ITEM, "seven", "seven");
  g_assert_true (moon_markdown_block_get_ordered (b));
  g_assert_cmpuint (moon_markdown_block_get_number (b), ==, 7);
  g_assert_cmpuint (moon_markdown_block_get_number (BLOCK (blocks, 6)), ==, 8);

  b = BLOCK (blocks, 7);
  assert_block (b, MOON_MARKDOWN_BLOCK_LIST_ITEM, "open task", "open task");
  g_assert_cmpint (moon_markdown_block_get_task (b), ==, MOON_MARKDOWN_TASK_OPEN);
  g_assert_cmpint (moon_markdown_block_get_task (BLOCK (blocks, 8)), ==, MOON_MARKDOWN_TASK_DONE);
}

static void
test_list_item_content (void)
{
  /* A loose list: second paragraphs and code inside items are indented
   * blocks without a bullet. All-ones numbering counts up. */
  g_autoptr(GPtrArray) blocks =
    parse ("1. first\n"
           "\n"
           "   more about first\n"
           "\n"
           "   ```sh\n"
           "   make\n"
           "   ```\n"
           "1. second\n"
           "1. ```\n"
           "   code first\n"
           "   ```\n");

  g_assert_cmpuint (blocks->len, ==, 6);
  assert_block (BLOCK (blocks, 0), MOON_MARKDOWN_BLOCK_LIST_ITEM, "first", "first");
  g_assert_cmpuint (moon_markdown_block_get_number (BLOCK (blocks, 0)), ==, 1);
  assert_block (BLOCK (blocks, 1), MOON_MARKDOWN_BLOCK_PARAGRAPH, "more about first", "more about first");
  g_assert_cmpuint (moon_markdown_block_get_list_depth (BLOCK (blocks, 1)), ==, 1);
  assert_block (BLOCK (blocks, 2), MOON_MARKDOWN_BLOCK_CODE, NULL, "make");
  g_assert_cmpstr (moon_markdown_block_get_language (BLOCK (blocks, 2)), ==, "sh");
  g_assert_cmpuint (moon_markdown_block_get_list_depth (BLOCK (blocks, 2)), ==, 1);
  assert_block (BLOCK (blocks, 3), MOON_MARKDOWN_BLOCK_LIST_ITEM, "second", "second");
  g_assert_cmpuint (moon_markdown_block_get_number (BLOCK (blocks, 3)), ==, 2);
  /* An item that starts with code: an empty bullet line, then the code. */
  assert_block (BLOCK (blocks, 4), MOON_MARKDOWN_BLOCK_LIST_ITEM, "", "");
  g_assert_cmpuint (moon_markdown_block_get_number (BLOCK (blocks, 4)), ==, 3);
  assert_block (BLOCK (blocks, 5), MOON_MARKDOWN_BLOCK_CODE, NULL, "code first");
  g_assert_cmpuint (moon_markdown_block_get_list_depth (BLOCK (blocks, 5)), ==, 1);
}

static void
test_tight_item_with_code (void)
{
  g_autoptr(GPtrArray) blocks = parse ("- a\n  ```\n  x\n  ```\n  c\n- [x] d\n");

  g_assert_cmpuint (blocks->len, ==, 4);
  assert_block (BLOCK (blocks, 0), MOON_MARKDOWN_BLOCK_LIST_ITEM, "a", "a");
  assert_block (BLOCK (blocks, 1), MOON_MARKDOWN_BLOCK_CODE, NULL, "x");
  assert_block (BLOCK (blocks, 2), MOON_MARKDOWN_BLOCK_PARAGRAPH, "c", "c");
  g_assert_cmpuint (moon_markdown_block_get_list_depth (BLOCK (blocks, 2)), ==, 1);
  assert_block (BLOCK (blocks, 3), MOON_MARKDOWN_BLOCK_LIST_ITEM, "d", "d");
  g_assert_cmpint (moon_markdown_block_get_task (BLOCK (blocks, 3)), ==, MOON_MARKDOWN_TASK_DONE);
}

static void
test_quotes (void)
{
  g_autoptr(GPtrArray) blocks =
    parse ("> quoted *text*\n"
           "> > nested\n"
           "\n"
           "> - item in quote\n"
           ">\n"
           "> ```py\n"
           "> x = 1\n"
           "> ```\n");

  g_assert_cmpuint (blocks->len, ==, 4);
  assert_block (BLOCK (blocks, 0), MOON_MARKDOWN_BLOCK_QUOTE, "quoted <i>text</i>", "quoted text");
  g_assert_cmpuint (moon_markdown_block_get_quote_depth (BLOCK (blocks, 0)), ==, 1);
  assert_block (BLOCK (blocks, 1), MOON_MARKDOWN_BLOCK_QUOTE, "nested", "nested");
  g_assert_cmpuint (moon_markdown_block_get_quote_depth (BLOCK (blocks, 1)), ==, 2);
  assert_block (BLOCK (blocks, 2), MOON_MARKDOWN_BLOCK_LIST_ITEM, "item in quote", "item in quote");
  g_assert_cmpuint (moon_markdown_block_get_quote_depth (BLOCK (blocks, 2)), ==, 1);
  g_assert_cmpuint (moon_markdown_block_get_list_depth (BLOCK (blocks, 2)), ==, 1);
  assert_block (BLOCK (blocks, 3), MOON_MARKDOWN_BLOCK_CODE, NULL, "x = 1");
  g_assert_cmpuint (moon_markdown_block_get_quote_depth (BLOCK (blocks, 3)), ==, 1);
}

static void
test_code (void)
{
  g_autoptr(GPtrArray) blocks =
    parse ("```python title=\"x.py\"\n"
           "def f():\n"
           "    return '<b>' & \"q\"\n"
           "\n"
           "print(f())\n"
           "```\n"
           "\n"
           "~~~\n"
           "no language\n"
           "~~~\n"
           "\n"
           "    indented\n"
           "\tand a tab\n"
           "\n"
           "````md\n"
           "```js\n"
           "nested fence\n"
           "```\n"
           "````\n"
           "\n"
           "```rust\n"
           "fn unclosed() {}\n");

  g_assert_cmpuint (blocks->len, ==, 5);
  assert_block (BLOCK (blocks, 0), MOON_MARKDOWN_BLOCK_CODE, NULL,
                "def f():\n    return '<b>' & \"q\"\n\nprint(f())");
  g_assert_cmpstr (moon_markdown_block_get_language (BLOCK (blocks, 0)), ==, "python");
  assert_block (BLOCK (blocks, 1), MOON_MARKDOWN_BLOCK_CODE, NULL, "no language");
  g_assert_null (moon_markdown_block_get_language (BLOCK (blocks, 1)));
  assert_block (BLOCK (blocks, 2), MOON_MARKDOWN_BLOCK_CODE, NULL, "indented\nand a tab");
  g_assert_null (moon_markdown_block_get_language (BLOCK (blocks, 2)));
  assert_block (BLOCK (blocks, 3), MOON_MARKDOWN_BLOCK_CODE, NULL, "```js\nnested fence\n```");
  g_assert_cmpstr (moon_markdown_block_get_language (BLOCK (blocks, 3)), ==, "md");
  /* Still streaming: everything after an open fence is code. */
  assert_block (BLOCK (blocks, 4), MOON_MARKDOWN_BLOCK_CODE, NULL, "fn unclosed() {}");
  g_assert_cmpstr (moon_markdown_block_get_language (BLOCK (blocks, 4)), ==, "rust");
}

static void
test_table (void)
{
  g_autoptr(GPtrArray) blocks =
    parse ("| Name | Qty | Price | Note |\n"
           "|:-----|:---:|------:|------|\n"
           "| **apple** | 3 | 1.50 | `fresh` |\n"
           "| 苹果 | 4 |\n"
           "| a \\| b | <i> | & | [l](https://l.example) |\n");
  MoonMarkdownBlock *t;

  g_assert_cmpuint (blocks->len, ==, 1);
  t = BLOCK (blocks, 0);
  g_assert_cmpint (moon_markdown_block_get_kind (t), ==, MOON_MARKDOWN_BLOCK_TABLE);
  g_assert_null (moon_markdown_block_get_markup (t));
  g_assert_cmpuint (moon_markdown_block_get_n_columns (t), ==, 4);
  g_assert_cmpuint (moon_markdown_block_get_n_rows (t), ==, 3);
  g_assert_cmpint (moon_markdown_block_get_column_align (t, 0), ==, MOON_MARKDOWN_ALIGN_LEFT);
  g_assert_cmpint (moon_markdown_block_get_column_align (t, 1), ==, MOON_MARKDOWN_ALIGN_CENTER);
  g_assert_cmpint (moon_markdown_block_get_column_align (t, 2), ==, MOON_MARKDOWN_ALIGN_RIGHT);
  g_assert_cmpint (moon_markdown_block_get_column_align (t, 3), ==, MOON_MARKDOWN_ALIGN_DEFAULT);
  g_assert_cmpstr (moon_markdown_block_get_cell_markup (t, 0, 0), ==, "Name");
  g_assert_cmpstr (moon_markdown_block_get_cell_markup (t, 1, 0), ==, "<b>apple</b>");
  g_assert_cmpstr (moon_markdown_block_get_cell_text (t, 1, 0), ==, "apple");
  g_assert_cmpstr (moon_markdown_block_get_cell_text (t, 1, 3), ==, "fresh");
  g_assert_cmpstr (moon_markdown_block_get_cell_markup (t, 2, 0), ==, "苹果");
  /* Missing cells are empty. */
  g_assert_cmpstr (moon_markdown_block_get_cell_markup (t, 2, 2), ==, "");
  g_assert_cmpstr (moon_markdown_block_get_cell_markup (t, 2, 3), ==, "");
  g_assert_cmpstr (moon_markdown_block_get_cell_text (t, 3, 0), ==, "a | b");
  g_assert_cmpstr (moon_markdown_block_get_cell_markup (t, 3, 1), ==, "&lt;i&gt;");
  g_assert_cmpstr (moon_markdown_block_get_cell_markup (t, 3, 2), ==, "&amp;");
  g_assert_cmpstr (moon_markdown_block_get_cell_markup (t, 3, 3), ==, "<a href=\"https://l.example\">l</a>");
  g_assert_cmpstr (moon_markdown_block_get_text (t), ==,
                   "Name\tQty\tPrice\tNote\n"
                   "apple\t3\t1.50\tfresh\n"
                   "苹果\t4\t\t\n"
                   "a | b\t<i>\t&\tl");
}

static void
test_rules (void)
{
  g_autoptr(GPtrArray) blocks = parse ("a\n\n***\n\n---\n\n___\nb\n");

  g_assert_cmpuint (blocks->len, ==, 5);
  assert_block (BLOCK (blocks, 1), MOON_MARKDOWN_BLOCK_RULE, NULL, "");
  assert_block (BLOCK (blocks, 2), MOON_MARKDOWN_BLOCK_RULE, NULL, "");
  assert_block (BLOCK (blocks, 3), MOON_MARKDOWN_BLOCK_RULE, NULL, "");
}

static void
test_hostile (void)
{
  g_autoptr(GPtrArray) blocks =
    parse ("<span foreground='red'>x</span> & <b>not bold</b> **unbalanced *nested\n"
           "\n"
           "<div>\n"
           "<script>alert(1)</script>\n"
           "</div>\n"
           "\n"
           "<!-- a comment --> &amp;lt; &lt;span&gt; &#0; &#xD800; &#1114112; &#x1F600; &bogus; &copy;\n"
           "\n"
           "ctl\x01\x1b[31mred\x7f \xff\xfe bad \xe4\xb8 cut\n"
           "\n"
           "</span></tt></a> <a href=\"javascript:x\">y</a> '\"\n");
  MoonMarkdownBlock *b;

  g_assert_cmpuint (blocks->len, ==, 5);

  b = BLOCK (blocks, 0);
  assert_block (b, MOON_MARKDOWN_BLOCK_PARAGRAPH,
                "&lt;span foreground=&#39;red&#39;&gt;x&lt;/span&gt; &amp; &lt;b&gt;not bold&lt;/b&gt; "
                "**unbalanced *nested",
                "<span foreground='red'>x</span> & <b>not bold</b> **unbalanced *nested");

  /* Raw HTML blocks are text, not markup and not dropped. */
  b = BLOCK (blocks, 1);
  assert_block (b, MOON_MARKDOWN_BLOCK_PARAGRAPH,
                "&lt;div&gt;\n&lt;script&gt;alert(1)&lt;/script&gt;\n&lt;/div&gt;",
                "<div>\n<script>alert(1)</script>\n</div>");

  b = BLOCK (blocks, 2);
  g_assert_cmpstr (moon_markdown_block_get_text (b), ==,
                   "<!-- a comment --> &lt; <span> \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD "
                   "\xF0\x9F\x98\x80 &bogus; \xC2\xA9");

  b = BLOCK (blocks, 3);
  g_assert_cmpstr (moon_markdown_block_get_text (b), ==,
                   "ctl\xEF\xBF\xBD\xEF\xBF\xBD[31mred\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD bad "
                   "\xEF\xBF\xBD\xEF\xBF\xBD cut");

  b = BLOCK (blocks, 4);
  assert_block (b, MOON_MARKDOWN_BLOCK_PARAGRAPH,
                "&lt;/span&gt;&lt;/tt&gt;&lt;/a&gt; &lt;a href=&quot;javascript:x&quot;&gt;y&lt;/a&gt; &#39;&quot;",
                "</span></tt></a> <a href=\"javascript:x\">y</a> '\"");
}

static void
test_hostile_code_and_nul (void)
{
  static const char text[] = "```c\nint a = 0;\0 /* nul */\n```\nx\0y";
  g_autoptr(GPtrArray) blocks = moon_markdown_parse (text, sizeof text - 1);

  assert_blocks_ok (blocks);
  g_assert_cmpuint (blocks->len, ==, 2);
  assert_block (BLOCK (blocks, 0), MOON_MARKDOWN_BLOCK_CODE, NULL, "int a = 0;\xEF\xBF\xBD /* nul */");
  assert_block (BLOCK (blocks, 1), MOON_MARKDOWN_BLOCK_PARAGRAPH, "x\xEF\xBF\xBDy", "x\xEF\xBF\xBDy");
}

static void
test_cjk (void)
{
  g_autoptr(GPtrArray) blocks =
    parse ("# 标题：月之暗面\n"
           "你好，**世界**！这是*斜体*和`代码`。\n"
           "第二行：日本語、한국어、emoji 🚀。\n"
           "\n"
           "- 列表项一\n"
           "- 列表项二\n");

  g_assert_cmpuint (blocks->len, ==, 4);
  assert_block (BLOCK (blocks, 0), MOON_MARKDOWN_BLOCK_HEADING, "标题：月之暗面", "标题：月之暗面");
  assert_block (BLOCK (blocks, 1), MOON_MARKDOWN_BLOCK_PARAGRAPH,
                "你好，<b>世界</b>！这是<i>斜体</i>和"
                "<tt><span background=\"#808080\" bgalpha=\"22%\">代码</span></tt>。\n"
                "第二行：日本語、한국어、emoji 🚀。",
                "你好，世界！这是斜体和代码。\n第二行：日本語、한국어、emoji 🚀。");
  assert_block (BLOCK (blocks, 2), MOON_MARKDOWN_BLOCK_LIST_ITEM, "列表项一", "列表项一");
  assert_block (BLOCK (blocks, 3), MOON_MARKDOWN_BLOCK_LIST_ITEM, "列表项二", "列表项二");
}

static void
test_empty (void)
{
  g_autoptr(GPtrArray) a = parse ("");
  g_autoptr(GPtrArray) b = parse ("\n\n   \n");
  g_autoptr(MoonMarkdownDoc) doc = moon_markdown_doc_new ();

  g_assert_cmpuint (a->len, ==, 0);
  g_assert_cmpuint (b->len, ==, 0);
  g_assert_false (moon_markdown_doc_update (doc, "", 0, NULL, NULL, NULL));
  g_assert_cmpuint (moon_markdown_doc_get_n_blocks (doc), ==, 0);
}

/* ---- the streaming document --------------------------------------------- */

typedef struct
{
  MoonMarkdownDoc *doc;
  GPtrArray       *mirror;        /* what a view would hold, kept by items-changed */
  guint            updates;
  guint            max_tail;      /* the most bytes one update had to re-parse */
  gboolean         check_final;   /* assert the "blocks before the last stay" rule */
  gboolean         may_reset;     /* an edit or a reference definition may reset it */
} Stream;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Stream     *s)
{
  g_ptr_array_remove_range (s->mirror, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (s->mirror, position + i, g_list_model_get_item (model, position + i));
}

static void
stream_init (Stream *s)
{
  s->doc = moon_markdown_doc_new ();
  s->mirror = g_ptr_array_new_with_free_func (g_object_unref);
  s->updates = 0;
  s->max_tail = 0;
  s->check_final = TRUE;
  s->may_reset = FALSE;
  g_signal_connect (s->doc, "items-changed", G_CALLBACK (items_changed_cb), s);
}

static void
stream_clear (Stream *s)
{
  g_ptr_array_unref (s->mirror);
  g_assert_finalize_object (s->doc);
}

static void
stream_update (Stream     *s,
               const char *text,
               gssize      length)
{
  gsize len = length < 0 ? strlen (text) : (gsize) length;
  guint n_old = moon_markdown_doc_get_n_blocks (s->doc);
  guint n_final_old = moon_markdown_doc_get_n_final (s->doc);
  gsize tail_old = moon_markdown_doc_get_tail_offset (s->doc);
  g_autofree MoonMarkdownBlock **old = g_new0 (MoonMarkdownBlock *, n_old + 1);
  guint first = 0;
  guint removed = 0;
  guint added = 0;
  gboolean changed;

  for (guint i = 0; i < n_old; i++)
    old[i] = g_object_ref (moon_markdown_doc_get_block (s->doc, i));

  changed = moon_markdown_doc_update (s->doc, text, len, &first, &removed, &added);
  s->updates++;
  s->max_tail = MAX (s->max_tail, len - tail_old);

  /* The reported change matches the blocks, and the signal said the same. */
  g_assert_cmpuint (n_old - removed + added, ==, moon_markdown_doc_get_n_blocks (s->doc));
  g_assert_cmpint (changed, ==, removed > 0 || added > 0);
  g_assert_cmpuint (s->mirror->len, ==, moon_markdown_doc_get_n_blocks (s->doc));
  for (guint i = 0; i < s->mirror->len; i++)
    g_assert_true (g_ptr_array_index (s->mirror, i) == moon_markdown_doc_get_block (s->doc, i));

  /* Nothing before first_changed was replaced. */
  for (guint i = 0; i < MIN (first, n_old); i++)
    g_assert_true (old[i] == moon_markdown_doc_get_block (s->doc, i));

  /* Final blocks stay, and the final count never shrinks. */
  if (!s->may_reset)
    {
      g_assert_cmpuint (moon_markdown_doc_get_n_final (s->doc), >=, n_final_old);
      g_assert_cmpuint (moon_markdown_doc_get_tail_offset (s->doc), >=, tail_old);
      g_assert_cmpuint (first, >=, n_final_old);
    }

  /* In real documents, blocks before the last one stay as they are while
   * text is appended. */
  if (s->check_final && n_old > 0)
    g_assert_cmpuint (first, >=, n_old - 1);

  for (guint i = 0; i < n_old; i++)
    g_object_unref (old[i]);
}

static void
assert_same_blocks (MoonMarkdownDoc *doc,
                    GPtrArray       *expected)
{
  g_assert_cmpuint (moon_markdown_doc_get_n_blocks (doc), ==, expected->len);

  for (guint i = 0; i < expected->len; i++)
    {
      MoonMarkdownBlock *a = moon_markdown_doc_get_block (doc, i);
      MoonMarkdownBlock *b = g_ptr_array_index (expected, i);

      if (!moon_markdown_block_equal (a, b))
        g_error ("block %u differs: kind %d/%d markup «%s» / «%s» text «%s» / «%s»", i,
                 moon_markdown_block_get_kind (a), moon_markdown_block_get_kind (b),
                 moon_markdown_block_get_markup (a), moon_markdown_block_get_markup (b),
                 moon_markdown_block_get_text (a), moon_markdown_block_get_text (b));
    }
}

/* Feeds @text in pieces of @step bytes (moved to UTF-8 boundaries), then
 * checks the result against a one-shot parse. */
static void
stream_text (const char *text,
             gsize       step,
             Stream     *s)
{
  gsize len = strlen (text);
  g_autoptr(GPtrArray) expected = parse (text);
  gsize pos = 0;

  while (pos < len)
    {
      pos = MIN (pos + step, len);
      while (pos < len && ((guchar) text[pos] & 0xC0) == 0x80)
        pos++;
      stream_update (s, text, pos);
    }

  assert_same_blocks (s->doc, expected);
  assert_blocks_ok (s->mirror);
}

static void
test_stream_every_byte (void)
{
  g_autofree char *text = load_fixture ("mixed.md");
  g_autoptr(GPtrArray) expected = parse (text);
  gsize len = strlen (text);
  Stream s;

  stream_init (&s);
  stream_text (text, 1, &s);

  /* It really was incremental: the tail is the last paragraph only, and
   * no update re-parsed more than the longest block plus a little. */
  g_assert_cmpuint (moon_markdown_doc_get_n_final (s.doc), ==, expected->len - 1);
  g_assert_cmpuint (moon_markdown_doc_get_tail_offset (s.doc), ==,
                    (gsize) (g_strrstr (text, "\n\nFinal words") + 2 - text));
  g_assert_cmpuint (s.max_tail, <, len / 3);
  stream_clear (&s);
}

static void
test_stream_long (void)
{
  g_autofree char *one = load_fixture ("mixed.md");
  g_autoptr(GString) text = g_string_new (NULL);
  static const gsize steps[] = { 3, 17, 64, 500 };

  for (guint i = 0; i < 8; i++)
    {
      g_string_append (text, one);
      g_string_append_printf (text, "\n第 %u 部分结束。Part %u ends here.\n\n", i + 1, i + 1);
    }

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      Stream s;

      stream_init (&s);
      stream_text (text->str, steps[i], &s);
      /* Each update re-parses about one block, not the document. */
      g_assert_cmpuint (s.max_tail, <, strlen (one) / 2);
      stream_clear (&s);
    }
}

static void
test_stream_tricky (void)
{
  /* Cases where a column-0 line after a blank line is not a new block. */
  static const char *docs[] = {
    "```\n\nnot a paragraph\n\nstill code\n```\n\nafter\n",
    "```\ncode\n\n```\n\nafter the closing fence\n\n```\nagain\n```\nend\n",
    "1. one\n\n1. two\n\n1. three\n\nafter\n",
    "- a\n\n-\n\n- c\n\nafter\n",
    "> a\n\n> b\n\nc\n\n***\n\n# h\n\n>\n\nd\n",
    "````\n```\n\ninner\n```\n\nstill inner\n````\n\nout\n",
    "text\n\n```py\nx = 1\n\ny = 2\n```\n\n```\n\n```\n\nz\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n| c |\n|---|\n| 3 |\n\nend\n",
    "para\n\n    indented\n\n    more\n\nout\n\n~~~\n\n~~~~\n\n~~~\n\nx\n",
    "- item\n\n  continued\n\nnot continued\n\n1) a\n\n2) b\n\nz\n",
    "line\r\n\r\n```\r\n\r\ncode\r\n```\r\n\r\nend\r\n",
    "a\r\rb\r\r```\r\rc\r```\r\rd\r",
  };

  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      Stream s;

      g_test_message ("doc %u", i);
      stream_init (&s);
      stream_text (docs[i], 1, &s);
      stream_clear (&s);
    }
}

static const char *fuzz_lines[] = {
  "", "", "", "plain text", "中文段落，带**粗体**", "**bold", "*", "```", "```python", "~~~",
  "````", "    indented", "- item", "* item", "1. one", "2) two", "  - nested", "   continued",
  "> quote", "> > deeper", ">", "# heading", "===", "---", "***", "| a | b |", "|---|:-:|",
  "| 1 | 2 |", "a | b", "`code", "<div>", "&amp; &#x4e2d;", "- [ ] task", "- [x] done",
  "\tx", "text  ", "[link](https://e.org)", "```c", "def f():", "    return 1", "}",
};

static void
test_stream_fuzz (void)
{
  for (guint round = 0; round < 300; round++)
    {
      g_autoptr(GString) text = g_string_new (NULL);
      g_autofree char *escaped = NULL;
      guint n_lines = g_test_rand_int_range (5, 40);
      Stream s;

      for (guint i = 0; i < n_lines; i++)
        {
          g_string_append (text, fuzz_lines[g_test_rand_int_range (0, G_N_ELEMENTS (fuzz_lines))]);
          g_string_append_c (text, '\n');
        }

      escaped = g_strescape (text->str, NULL);
      g_test_message ("fuzz document %u: \"%s\"", round, escaped);
      stream_init (&s);
      /* Random line soup has transient states where one new byte changes
       * the last two blocks (`* item\n*` is two items, `* item\n**` one):
       * only the final blocks are promised to stay. */
      s.check_final = FALSE;
      stream_text (text->str, g_test_rand_int_range (1, 12), &s);
      stream_clear (&s);
    }
}

static void
test_stream_refdef (void)
{
  /* A reference definition at the end changes a link at the start. */
  static const char text[] =
    "See [the docs][d] for more.\n"
    "\n"
    "Another paragraph.\n"
    "\n"
    "[d]: https://example.org/docs\n"
    "\n"
    "The end.\n";
  Stream s;

  stream_init (&s);
  s.check_final = FALSE;
  s.may_reset = TRUE;
  stream_text (text, 5, &s);
  g_assert_cmpstr (moon_markdown_block_get_markup (moon_markdown_doc_get_block (s.doc, 0)), ==,
                   "See <a href=\"https://example.org/docs\">the docs</a> for more.");
  g_assert_cmpuint (moon_markdown_doc_get_n_final (s.doc), ==, 0);
  stream_clear (&s);
}

static void
test_stream_edit (void)
{
  Stream s;
  g_autoptr(GPtrArray) expected = NULL;
  MoonMarkdownBlock *first;

  stream_init (&s);
  s.check_final = FALSE;
  s.may_reset = TRUE;

  stream_update (&s, "Same start.\n\nold ending\n\nmore\n", -1);
  first = moon_markdown_doc_get_block (s.doc, 0);
  g_assert_cmpuint (moon_markdown_doc_get_n_final (s.doc), ==, 2);

  /* Not an append: re-parsed, but the unchanged first block is kept. */
  stream_update (&s, "Same start.\n\nnew ending\n", -1);
  expected = parse ("Same start.\n\nnew ending\n");
  assert_same_blocks (s.doc, expected);
  g_assert_true (moon_markdown_doc_get_block (s.doc, 0) == first);

  /* Same text again: nothing happens. */
  g_assert_false (moon_markdown_doc_update (s.doc, "Same start.\n\nnew ending\n", -1, NULL, NULL, NULL));

  /* Cleared. */
  stream_update (&s, "", 0);
  g_assert_cmpuint (moon_markdown_doc_get_n_blocks (s.doc), ==, 0);
  stream_clear (&s);
}

static void
test_stream_partial_utf8 (void)
{
  static const char text[] = "你好世界";
  g_autoptr(MoonMarkdownDoc) doc = moon_markdown_doc_new ();

  /* "你好" plus the first byte of "世": the cut character waits. */
  moon_markdown_doc_update (doc, text, 7, NULL, NULL, NULL);
  g_assert_cmpstr (moon_markdown_block_get_text (moon_markdown_doc_get_block (doc, 0)), ==, "你好");
  moon_markdown_doc_update (doc, text, 8, NULL, NULL, NULL);
  g_assert_cmpstr (moon_markdown_block_get_text (moon_markdown_doc_get_block (doc, 0)), ==, "你好");
  moon_markdown_doc_update (doc, text, 9, NULL, NULL, NULL);
  g_assert_cmpstr (moon_markdown_block_get_text (moon_markdown_doc_get_block (doc, 0)), ==, "你好世");
  moon_markdown_doc_update (doc, text, -1, NULL, NULL, NULL);
  g_assert_cmpstr (moon_markdown_block_get_text (moon_markdown_doc_get_block (doc, 0)), ==, "你好世界");
}

static void
test_list_model (void)
{
  g_autoptr(MoonMarkdownDoc) doc = moon_markdown_doc_new ();
  g_autoptr(MoonMarkdownBlock) item = NULL;

  moon_markdown_doc_update (doc, "# A\n\nb\n", -1, NULL, NULL, NULL);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (doc)) == MOON_TYPE_MARKDOWN_BLOCK);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (doc)), ==, 2);
  item = g_list_model_get_item (G_LIST_MODEL (doc), 1);
  g_assert_true (item == moon_markdown_doc_get_block (doc, 1));
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (doc), 2));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/markdown/headings", test_headings);
  g_test_add_func ("/markdown/inline", test_inline);
  g_test_add_func ("/markdown/breaks", test_hard_and_soft_breaks);
  g_test_add_func ("/markdown/unsafe-links", test_unsafe_links);
  g_test_add_func ("/markdown/lists", test_lists);
  g_test_add_func ("/markdown/list-item-content", test_list_item_content);
  g_test_add_func ("/markdown/tight-item-with-code", test_tight_item_with_code);
  g_test_add_func ("/markdown/quotes", test_quotes);
  g_test_add_func ("/markdown/code", test_code);
  g_test_add_func ("/markdown/table", test_table);
  g_test_add_func ("/markdown/rules", test_rules);
  g_test_add_func ("/markdown/hostile", test_hostile);
  g_test_add_func ("/markdown/hostile-code-and-nul", test_hostile_code_and_nul);
  g_test_add_func ("/markdown/cjk", test_cjk);
  g_test_add_func ("/markdown/empty", test_empty);
  g_test_add_func ("/markdown/list-model", test_list_model);
  g_test_add_func ("/markdown/stream/every-byte", test_stream_every_byte);
  g_test_add_func ("/markdown/stream/long", test_stream_long);
  g_test_add_func ("/markdown/stream/tricky", test_stream_tricky);
  g_test_add_func ("/markdown/stream/fuzz", test_stream_fuzz);
  g_test_add_func ("/markdown/stream/refdef", test_stream_refdef);
  g_test_add_func ("/markdown/stream/edit", test_stream_edit);
  g_test_add_func ("/markdown/stream/partial-utf8", test_stream_partial_utf8);

  return g_test_run ();
}
