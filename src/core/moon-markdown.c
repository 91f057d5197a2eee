/* moon-markdown.c — Markdown (md4c) to a flat list of blocks, with an
 * incremental document for streamed text.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-markdown"

#include "config.h"

#include <string.h>

#include <md4c.h>

#include "moon-markdown.h"

/*
 * How this works
 * ==============
 *
 * md4c parses (GitHub dialect: tables, strikethrough, task lists, permissive
 * autolinks; raw HTML is switched off so it arrives as text and is escaped).
 * Its callbacks are flattened into MoonMarkdownBlocks: containers (lists,
 * quotes) become depths on the leaf blocks. Inline content becomes Pango
 * markup built only from our own tags; every byte of the input goes through
 * append_text(), which escapes it and replaces invalid UTF-8 and control
 * characters, so no input can inject markup or break Pango's parser.
 *
 * Streaming (MoonMarkdownDoc)
 * ---------------------------
 * The document remembers a *restart point* P, a byte offset at the start of
 * a line. Blocks from text[0, P) are final; each update re-parses only
 * text[P, end). After a parse the document looks for a later restart point
 * Q inside the tail and moves P there when all of these hold:
 *
 *  1. the line before Q is blank, and the line at Q is complete (ends in a
 *     newline) and starts in column 0 with a non-blank character: after a
 *     blank line, a column-0 line closes every open container except a
 *     fenced code block (raw HTML blocks are disabled);
 *  2. the line at Q is not a list item marker (`-`, `+`, `*`, `1.`, `1)`):
 *     such a line may continue the list above (numbering, empty items);
 *  3. if the line at Q starts a code fence, it has an info string: a bare
 *     fence line could be the closing fence of a block opened above;
 *  4. no top-level block md4c reported straddles Q (has source text both
 *     before and at/after Q): Q is not inside a fenced code block;
 *  5. md4c agrees: parsing text[P, Q) and text[Q, end) separately gives
 *     exactly the blocks of parsing text[P, end) in one go.
 *
 * Rules 1-3 depend only on complete lines before and at Q, so appending
 * text cannot change what lies before Q; rules 4-5 check it against md4c
 * itself. The one thing that can reach backwards across a restart point is a
 * link reference definition (`[label]: url` defines links for the whole
 * document). A document that contains a line looking like one is parsed in
 * full on every update instead (correct, not incremental; block objects that
 * did not change are still reused).
 *
 * The result: per update the work is proportional to the text after P,
 * which is the last top-level block (plus, for at most one update per new
 * block, two verification parses of the same text). A memcmp of the old
 * text against the new one detects edits that are not appends; those reset
 * the document.
 */

#define MD_FLAGS (MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_TASKLISTS | \
                  MD_FLAG_PERMISSIVEAUTOLINKS | MD_FLAG_NOHTML)

/* Inline code: monospace on a translucent grey, readable in light and dark. */
#define CODE_SPAN_OPEN "<tt><span background=\"#808080\" bgalpha=\"22%\">"
#define CODE_SPAN_CLOSE "</span></tt>"

/* ------------------------------------------------------------------------ */
/* MoonMarkdownBlock                                                         */
/* ------------------------------------------------------------------------ */

struct _MoonMarkdownBlock
{
  GObject                parent_instance;

  MoonMarkdownBlockKind  kind;
  guint64                id;
  char                  *markup;
  char                  *text;
  char                  *language;
  guint                  level;
  guint                  list_depth;
  guint                  quote_depth;
  guint                  number;
  gboolean               ordered;
  MoonMarkdownTask       task;

  /* Tables: (n_rows + 1) × n_columns cells, row 0 is the header. */
  guint                  n_columns;
  guint                  n_rows;
  MoonMarkdownAlign     *aligns;
  char                 **cell_markup;
  char                 **cell_text;
};

G_DEFINE_FINAL_TYPE (MoonMarkdownBlock, moon_markdown_block, G_TYPE_OBJECT)

static void
moon_markdown_block_finalize (GObject *object)
{
  MoonMarkdownBlock *self = MOON_MARKDOWN_BLOCK (object);

  g_free (self->markup);
  g_free (self->text);
  g_free (self->language);
  g_free (self->aligns);
  g_strfreev (self->cell_markup);
  g_strfreev (self->cell_text);

  G_OBJECT_CLASS (moon_markdown_block_parent_class)->finalize (object);
}

static void
moon_markdown_block_class_init (MoonMarkdownBlockClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = moon_markdown_block_finalize;
}

static void
moon_markdown_block_init (MoonMarkdownBlock *self)
{
}

/**
 * moon_markdown_block_get_kind:
 * @self: a #MoonMarkdownBlock
 *
 * Returns: what the block is
 */
MoonMarkdownBlockKind
moon_markdown_block_get_kind (MoonMarkdownBlock *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (self), MOON_MARKDOWN_BLOCK_PARAGRAPH);

  return self->kind;
}

/**
 * moon_markdown_block_get_id:
 * @self: a #MoonMarkdownBlock
 *
 * Blocks are immutable; a block whose content changes is replaced by a new
 * block with a new id. Ids are unique within one #MoonMarkdownDoc (or one
 * moon_markdown_parse() result) and increase in creation order.
 *
 * Returns: the block's id, never 0
 */
guint64
moon_markdown_block_get_id (MoonMarkdownBlock *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (self), 0);

  return self->id;
}

/**
 * moon_markdown_block_get_markup:
 * @self: a #MoonMarkdownBlock
 *
 * The inline content as Pango markup (for a #GtkLabel with `use-markup`):
 * `<b>`, `<i>`, `<s>`, inline code as `<tt>` on a translucent background and
 * links as `<a href>` (only http, https and mailto links; others are shown as
 * their text). Soft and hard line breaks are newlines. Everything else is
 * escaped text.
 *
 * Returns: (nullable): the markup of a paragraph, heading, list item or quote;
 *   %NULL for code, tables and rules
 */
const char *
moon_markdown_block_get_markup (MoonMarkdownBlock *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (self), NULL);

  return self->markup;
}

/**
 * moon_markdown_block_get_text:
 * @self: a #MoonMarkdownBlock
 *
 * The block as plain text, for copying and searching: the visible text of a
 * paragraph (no bullet), the code of a code block (no trailing newline), a
 * table as tab-separated lines with the header first, "" for a rule.
 *
 * Returns: the plain text, never %NULL
 */
const char *
moon_markdown_block_get_text (MoonMarkdownBlock *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (self), NULL);

  return self->text;
}

/**
 * moon_markdown_block_get_level:
 * @self: a #MoonMarkdownBlock
 *
 * A list item whose content is a heading (`- ## Title`) is a
 * %MOON_MARKDOWN_BLOCK_LIST_ITEM with a level.
 *
 * Returns: the heading level, 1 to 6, or 0 if @self is not a heading
 */
guint
moon_markdown_block_get_level (MoonMarkdownBlock *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (self), 0);

  return self->level;
}

/**
 * moon_markdown_block_get_list_depth:
 * @self: a #MoonMarkdownBlock
 *
 * How many list items contain this block: 1 for an item of a top-level
 * list, 2 for an item of a list nested in it, and so on. Other blocks inside
 * list items (a second paragraph, a code block) have the depth of their item
 * and are meant to be indented like it, without a bullet.
 *
 * Returns: the list nesting depth, 0 outside lists
 */
guint
moon_markdown_block_get_list_depth (MoonMarkdownBlock *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (self), 0);

  return self->list_depth;
}

/**
 * moon_markdown_block_get_ordered:
 * @self: a #MoonMarkdownBlock
 *
 * Returns: %TRUE if @self is an item of a numbered list
 */
gboolean
moon_markdown_block_get_ordered (MoonMarkdownBlock *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (self), FALSE);

  return self->ordered;
}

/**
 * moon_markdown_block_get_number:
 * @self: a #MoonMarkdownBlock
 *
 * Returns: the number of an ordered list item (the list's start number plus
 *   the item's position), 0 otherwise
 */
guint
moon_markdown_block_get_number (MoonMarkdownBlock *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (self), 0);

  return self->number;
}

/**
 * moon_markdown_block_get_task:
 * @self: a #MoonMarkdownBlock
 *
 * Returns: the checkbox state of a task list item
 */
MoonMarkdownTask
moon_markdown_block_get_task (MoonMarkdownBlock *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (self), MOON_MARKDOWN_TASK_NONE);

  return self->task;
}

/**
 * moon_markdown_block_get_quote_depth:
 * @self: a #MoonMarkdownBlock
 *
 * Returns: how many block quotes contain this block (any kind of block)
 */
guint
moon_markdown_block_get_quote_depth (MoonMarkdownBlock *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (self), 0);

  return self->quote_depth;
}

/**
 * moon_markdown_block_get_language:
 * @self: a #MoonMarkdownBlock
 *
 * Returns: (nullable): the language of a fenced code block (the first word of
 *   its info string, as written), or %NULL
 */
const char *
moon_markdown_block_get_language (MoonMarkdownBlock *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (self), NULL);

  return self->language;
}

/**
 * moon_markdown_block_get_n_columns:
 * @self: a #MoonMarkdownBlock
 *
 * Returns: the number of columns of a table, 0 for other blocks
 */
guint
moon_markdown_block_get_n_columns (MoonMarkdownBlock *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (self), 0);

  return self->n_columns;
}

/**
 * moon_markdown_block_get_n_rows:
 * @self: a #MoonMarkdownBlock
 *
 * Returns: the number of body rows of a table (the header row not counted)
 */
guint
moon_markdown_block_get_n_rows (MoonMarkdownBlock *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (self), 0);

  return self->n_rows;
}

/**
 * moon_markdown_block_get_column_align:
 * @self: a table #MoonMarkdownBlock
 * @column: a column index
 *
 * Returns: the alignment of @column
 */
MoonMarkdownAlign
moon_markdown_block_get_column_align (MoonMarkdownBlock *self,
                                      guint              column)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (self), MOON_MARKDOWN_ALIGN_DEFAULT);
  g_return_val_if_fail (column < self->n_columns, MOON_MARKDOWN_ALIGN_DEFAULT);

  return self->aligns[column];
}

/**
 * moon_markdown_block_get_cell_markup:
 * @self: a table #MoonMarkdownBlock
 * @row: 0 for the header row, 1 to n_rows for the body rows
 * @column: a column index
 *
 * Every row has exactly n_columns cells; missing cells are empty.
 *
 * Returns: the cell's content as Pango markup (see
 *   moon_markdown_block_get_markup())
 */
const char *
moon_markdown_block_get_cell_markup (MoonMarkdownBlock *self,
                                     guint              row,
                                     guint              column)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (self), NULL);
  g_return_val_if_fail (row <= self->n_rows && column < self->n_columns, NULL);

  return self->cell_markup[row * self->n_columns + column];
}

/**
 * moon_markdown_block_get_cell_text:
 * @self: a table #MoonMarkdownBlock
 * @row: 0 for the header row, 1 to n_rows for the body rows
 * @column: a column index
 *
 * Returns: the cell's content as plain text
 */
const char *
moon_markdown_block_get_cell_text (MoonMarkdownBlock *self,
                                   guint              row,
                                   guint              column)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (self), NULL);
  g_return_val_if_fail (row <= self->n_rows && column < self->n_columns, NULL);

  return self->cell_text[row * self->n_columns + column];
}

/**
 * moon_markdown_block_equal:
 * @a: a #MoonMarkdownBlock
 * @b: a #MoonMarkdownBlock
 *
 * Compares everything but the id.
 *
 * Returns: %TRUE if @a and @b have the same content
 */
gboolean
moon_markdown_block_equal (MoonMarkdownBlock *a,
                           MoonMarkdownBlock *b)
{
  guint n_cells;

  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (a), FALSE);
  g_return_val_if_fail (MOON_IS_MARKDOWN_BLOCK (b), FALSE);

  if (a == b)
    return TRUE;

  if (a->kind != b->kind ||
      a->level != b->level ||
      a->list_depth != b->list_depth ||
      a->quote_depth != b->quote_depth ||
      a->number != b->number ||
      a->ordered != b->ordered ||
      a->task != b->task ||
      a->n_columns != b->n_columns ||
      a->n_rows != b->n_rows ||
      g_strcmp0 (a->markup, b->markup) != 0 ||
      g_strcmp0 (a->text, b->text) != 0 ||
      g_strcmp0 (a->language, b->language) != 0)
    return FALSE;

  if (a->n_columns == 0)
    return TRUE;

  if (memcmp (a->aligns, b->aligns, a->n_columns * sizeof *a->aligns) != 0)
    return FALSE;

  n_cells = (a->n_rows + 1) * a->n_columns;
  for (guint i = 0; i < n_cells; i++)
    {
      if (strcmp (a->cell_markup[i], b->cell_markup[i]) != 0 ||
          strcmp (a->cell_text[i], b->cell_text[i]) != 0)
        return FALSE;
    }

  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Text: escaping, sanitizing, entities                                      */
/* ------------------------------------------------------------------------ */

#define REPLACEMENT_CHARACTER "\xEF\xBF\xBD"

/* Appends @len bytes of untrusted text to @markup (escaped; may be NULL) and
 * @plain (verbatim; may be NULL). Invalid UTF-8, NUL and control characters
 * other than tab and newline, and the non-characters U+FFFE/U+FFFF become
 * U+FFFD: Pango's markup parser rejects them, and they mean nothing here. */
static void
append_text (GString    *markup,
             GString    *plain,
             const char *str,
             gsize       len)
{
  const char *p = str;
  const char *end = str + len;
  const char *run = p;

#define FLUSH_RUN() \
  G_STMT_START { \
    if (p > run) \
      { \
        if (markup != NULL) \
          g_string_append_len (markup, run, p - run); \
        if (plain != NULL) \
          g_string_append_len (plain, run, p - run); \
      } \
  } G_STMT_END

  while (p < end)
    {
      guchar c = (guchar) *p;
      const char *escape = NULL;

      if (c < 0x80)
        {
          switch (c)
            {
            case '&': escape = "&amp;"; break;
            case '<': escape = "&lt;"; break;
            case '>': escape = "&gt;"; break;
            case '"': escape = "&quot;"; break;
            case '\'': escape = "&#39;"; break;
            default: break;
            }

          if (escape != NULL)
            {
              /* Escaped in the markup, itself in the plain text. */
              FLUSH_RUN ();
              if (markup != NULL)
                g_string_append (markup, escape);
              if (plain != NULL)
                g_string_append_c (plain, (char) c);
              run = ++p;
            }
          else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
            {
              FLUSH_RUN ();
              if (markup != NULL)
                g_string_append (markup, REPLACEMENT_CHARACTER);
              if (plain != NULL)
                g_string_append (plain, REPLACEMENT_CHARACTER);
              run = ++p;
            }
          else
            {
              p++;
            }
        }
      else
        {
          gunichar ch = g_utf8_get_char_validated (p, end - p);

          if (ch == (gunichar) -1 || ch == (gunichar) -2 || ch == 0xFFFE || ch == 0xFFFF)
            {
              FLUSH_RUN ();
              if (markup != NULL)
                g_string_append (markup, REPLACEMENT_CHARACTER);
              if (plain != NULL)
                g_string_append (plain, REPLACEMENT_CHARACTER);

              /* Skip the whole character if it was valid (U+FFFE/F),
               * otherwise just the one bad byte. */
              if (ch == 0xFFFE || ch == 0xFFFF)
                p = g_utf8_next_char (p);
              else
                p++;
              run = p;
            }
          else
            {
              p = g_utf8_next_char (p);
            }
        }
    }

  FLUSH_RUN ();

#undef FLUSH_RUN
}

static void
append_unichar (GString  *markup,
                GString  *plain,
                gunichar  ch)
{
  char buf[8];
  int n;

  if (ch == 0 || ch > 0x10FFFF || (ch >= 0xD800 && ch <= 0xDFFF))
    ch = 0xFFFD;

  n = g_unichar_to_utf8 (ch, buf);
  append_text (markup, plain, buf, n);
}

static const struct
{
  const char *name;
  gunichar    ch;
} named_entities[] = {
  /* The ones people and models actually type. md4c does not decode
   * entities; unknown names are shown as written. */
  { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
  { "nbsp", 0xA0 }, { "copy", 0xA9 }, { "reg", 0xAE }, { "trade", 0x2122 },
  { "hellip", 0x2026 }, { "mdash", 0x2014 }, { "ndash", 0x2013 },
  { "lsquo", 0x2018 }, { "rsquo", 0x2019 }, { "ldquo", 0x201C }, { "rdquo", 0x201D },
  { "laquo", 0xAB }, { "raquo", 0xBB }, { "middot", 0xB7 }, { "bull", 0x2022 },
  { "deg", 0xB0 }, { "plusmn", 0xB1 }, { "times", 0xD7 }, { "divide", 0xF7 },
  { "ne", 0x2260 }, { "le", 0x2264 }, { "ge", 0x2265 }, { "asymp", 0x2248 },
  { "infin", 0x221E }, { "larr", 0x2190 }, { "rarr", 0x2192 }, { "uarr", 0x2191 },
  { "darr", 0x2193 }, { "harr", 0x2194 }, { "rArr", 0x21D2 }, { "lArr", 0x21D0 },
  { "euro", 0x20AC }, { "pound", 0xA3 }, { "yen", 0xA5 }, { "cent", 0xA2 },
  { "sect", 0xA7 }, { "para", 0xB6 }, { "shy", 0xAD }, { "zwj", 0x200D },
  { "zwnj", 0x200C }, { "ensp", 0x2002 }, { "emsp", 0x2003 }, { "thinsp", 0x2009 },
  { "alpha", 0x3B1 }, { "beta", 0x3B2 }, { "gamma", 0x3B3 }, { "delta", 0x3B4 },
  { "pi", 0x3C0 }, { "sigma", 0x3C3 }, { "mu", 0x3BC }, { "lambda", 0x3BB },
  { "check", 0x2713 }, { "cross", 0x2717 },
};

/* @str is "&...;" as md4c reported it. */
static void
append_entity (GString    *markup,
               GString    *plain,
               const char *str,
               gsize       len)
{
  if (len >= 4 && str[0] == '&' && str[1] == '#' && str[len - 1] == ';')
    {
      gboolean hex = str[2] == 'x' || str[2] == 'X';
      const char *digits = str + (hex ? 3 : 2);
      gsize n_digits = len - 1 - (digits - str);
      guint64 value = 0;

      if (n_digits > 0 && n_digits <= (hex ? 6 : 7))
        {
          for (gsize i = 0; i < n_digits; i++)
            value = value * (hex ? 16 : 10) + (guint64) g_ascii_xdigit_value (digits[i]);

          append_unichar (markup, plain, (gunichar) value);
          return;
        }
    }
  else if (len >= 3 && str[0] == '&' && str[len - 1] == ';')
    {
      for (gsize i = 0; i < G_N_ELEMENTS (named_entities); i++)
        {
          if (strlen (named_entities[i].name) == len - 2 &&
              memcmp (named_entities[i].name, str + 1, len - 2) == 0)
            {
              append_unichar (markup, plain, named_entities[i].ch);
              return;
            }
        }
    }

  append_text (markup, plain, str, len);
}

/* An md4c attribute (link target, info string) as a plain UTF-8 string. */
static char *
attribute_to_string (const MD_ATTRIBUTE *attr)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; attr->substr_offsets != NULL && attr->substr_offsets[i] < attr->size; i++)
    {
      const char *piece = attr->text + attr->substr_offsets[i];
      gsize len = attr->substr_offsets[i + 1] - attr->substr_offsets[i];

      switch (attr->substr_types[i])
        {
        case MD_TEXT_ENTITY:
          append_entity (NULL, s, piece, len);
          break;
        case MD_TEXT_NULLCHAR:
          g_string_append (s, REPLACEMENT_CHARACTER);
          break;
        default:
          append_text (NULL, s, piece, len);
          break;
        }
    }

  return g_string_free (s, FALSE);
}

static gboolean
uri_is_safe (const char *uri)
{
  return g_ascii_strncasecmp (uri, "http://", 7) == 0 ||
         g_ascii_strncasecmp (uri, "https://", 8) == 0 ||
         g_ascii_strncasecmp (uri, "mailto:", 7) == 0;
}

/* ------------------------------------------------------------------------ */
/* The md4c → blocks builder                                                 */
/* ------------------------------------------------------------------------ */

typedef enum
{
  CONTAINER_QUOTE,
  CONTAINER_LIST,
  CONTAINER_ITEM,
} ContainerType;

typedef struct
{
  ContainerType    type;
  gboolean         ordered;
  guint            number;        /* LIST: the next item's number; ITEM: its number */
  MoonMarkdownTask task;
  gboolean         bullet_done;   /* ITEM: its LIST_ITEM block was emitted */
} Container;

/* A top-level block as md4c reported it, with the range of source bytes its
 * text came from (lo > hi when md4c gave no pointer into the source). */
typedef struct
{
  guint  first_block;
  gssize lo;
  gssize hi;
} TopBlock;

typedef struct
{
  const char  *buf;
  gsize        len;
  guint64     *next_id;

  GPtrArray   *blocks;
  GArray      *tops;
  GArray      *containers;
  guint        depth;

  /* The open leaf (paragraph, heading, list item, quote, table cell). */
  gboolean               in_leaf;
  gboolean               leaf_implicit;
  MoonMarkdownBlockKind  leaf_kind;
  guint                  leaf_level;
  GString               *markup;
  GString               *plain;
  GPtrArray             *closers;    /* (element-type utf8) static strings */
  guint                  link_depth;

  /* Code block */
  gboolean               in_code;
  gboolean               skip_nul;
  char                  *code_language;

  /* Table */
  gboolean               in_table;
  gboolean               in_head;
  guint                  table_columns;
  guint                  table_rows;
  guint                  row_cells;
  GArray                *aligns;
  GPtrArray             *cells_markup;
  GPtrArray             *cells_text;
} Builder;

static void
builder_init (Builder    *b,
              const char *buf,
              gsize       len,
              guint64    *next_id)
{
  memset (b, 0, sizeof *b);
  b->buf = buf;
  b->len = len;
  b->next_id = next_id;
  b->blocks = g_ptr_array_new_with_free_func (g_object_unref);
  b->tops = g_array_new (FALSE, FALSE, sizeof (TopBlock));
  b->containers = g_array_new (FALSE, FALSE, sizeof (Container));
  b->markup = g_string_new (NULL);
  b->plain = g_string_new (NULL);
  b->closers = g_ptr_array_new ();
  b->aligns = g_array_new (FALSE, FALSE, sizeof (MoonMarkdownAlign));
  b->cells_markup = g_ptr_array_new_with_free_func (g_free);
  b->cells_text = g_ptr_array_new_with_free_func (g_free);
}

static void
builder_clear (Builder *b)
{
  g_clear_pointer (&b->blocks, g_ptr_array_unref);
  g_clear_pointer (&b->tops, g_array_unref);
  g_clear_pointer (&b->containers, g_array_unref);
  g_string_free (b->markup, TRUE);
  g_string_free (b->plain, TRUE);
  g_ptr_array_unref (b->closers);
  g_clear_pointer (&b->code_language, g_free);
  g_array_unref (b->aligns);
  g_ptr_array_unref (b->cells_markup);
  g_ptr_array_unref (b->cells_text);
}

static Container *
innermost (Builder *b)
{
  if (b->containers->len == 0)
    return NULL;

  return &g_array_index (b->containers, Container, b->containers->len - 1);
}

static Container *
innermost_item (Builder *b)
{
  for (guint i = b->containers->len; i > 0; i--)
    {
      Container *c = &g_array_index (b->containers, Container, i - 1);

      if (c->type == CONTAINER_ITEM)
        return c;
    }

  return NULL;
}

static MoonMarkdownBlock *
builder_new_block (Builder               *b,
                   MoonMarkdownBlockKind  kind)
{
  MoonMarkdownBlock *block = g_object_new (MOON_TYPE_MARKDOWN_BLOCK, NULL);

  block->kind = kind;
  block->id = ++(*b->next_id);

  for (guint i = 0; i < b->containers->len; i++)
    {
      Container *c = &g_array_index (b->containers, Container, i);

      if (c->type == CONTAINER_ITEM)
        block->list_depth++;
      else if (c->type == CONTAINER_QUOTE)
        block->quote_depth++;
    }

  return block;
}

static void
builder_add_block (Builder           *b,
                   MoonMarkdownBlock *block)
{
  if (block->text == NULL)
    block->text = g_strdup ("");

  g_ptr_array_add (b->blocks, block);
}

static MoonMarkdownBlock *
builder_new_list_item (Builder   *b,
                       Container *item)
{
  MoonMarkdownBlock *block = builder_new_block (b, MOON_MARKDOWN_BLOCK_LIST_ITEM);

  block->ordered = item->ordered;
  block->number = item->ordered ? item->number : 0;
  block->task = item->task;
  item->bullet_done = TRUE;

  return block;
}

/* Before a non-paragraph child of a list item that has not shown its bullet
 * yet (`- ```code`, `- # Heading`, `- - nested`): an empty item first. */
static void
builder_ensure_bullet (Builder *b)
{
  Container *c = innermost (b);

  if (c != NULL && c->type == CONTAINER_ITEM && !c->bullet_done)
    {
      MoonMarkdownBlock *block = builder_new_list_item (b, c);

      block->markup = g_strdup ("");
      builder_add_block (b, block);
    }
}

static void
builder_open_leaf (Builder               *b,
                   MoonMarkdownBlockKind  kind,
                   guint                  level,
                   gboolean               implicit)
{
  g_assert (!b->in_leaf);

  b->in_leaf = TRUE;
  b->leaf_implicit = implicit;
  b->leaf_kind = kind;
  b->leaf_level = level;
  b->link_depth = 0;
  g_string_truncate (b->markup, 0);
  g_string_truncate (b->plain, 0);
  g_ptr_array_set_size (b->closers, 0);
}

/* Opens the leaf for a paragraph (or text directly inside a tight list
 * item): a list item's first paragraph carries its bullet. */
static void
builder_open_paragraph (Builder  *b,
                        gboolean  implicit)
{
  Container *c = innermost (b);

  if (c != NULL && c->type == CONTAINER_ITEM && !c->bullet_done)
    builder_open_leaf (b, MOON_MARKDOWN_BLOCK_LIST_ITEM, 0, implicit);
  else if (c != NULL && c->type == CONTAINER_QUOTE)
    builder_open_leaf (b, MOON_MARKDOWN_BLOCK_QUOTE, 0, implicit);
  else
    builder_open_leaf (b, MOON_MARKDOWN_BLOCK_PARAGRAPH, 0, implicit);
}

static void
builder_close_leaf (Builder *b)
{
  MoonMarkdownBlock *block;

  if (!b->in_leaf)
    return;

  /* md4c balances spans, but be defensive: never emit unbalanced markup. */
  while (b->closers->len > 0)
    {
      g_string_append (b->markup, g_ptr_array_index (b->closers, b->closers->len - 1));
      g_ptr_array_set_size (b->closers, b->closers->len - 1);
    }

  if (b->leaf_kind == MOON_MARKDOWN_BLOCK_LIST_ITEM)
    {
      Container *item = innermost_item (b);

      g_assert (item != NULL);
      block = builder_new_list_item (b, item);
      block->level = b->leaf_level;
    }
  else
    {
      block = builder_new_block (b, b->leaf_kind);
      block->level = b->leaf_level;
    }

  block->markup = g_strndup (b->markup->str, b->markup->len);
  block->text = g_strndup (b->plain->str, b->plain->len);
  builder_add_block (b, block);

  b->in_leaf = FALSE;
  b->leaf_implicit = FALSE;
}

static void
builder_close_implicit (Builder *b)
{
  if (b->in_leaf && b->leaf_implicit)
    builder_close_leaf (b);
}

static void
builder_note_pointer (Builder    *b,
                      const char *ptr,
                      gsize       size)
{
  TopBlock *top;
  gssize offset;

  if (size == 0 || b->tops->len == 0 || ptr < b->buf || ptr + size > b->buf + b->len)
    return;

  top = &g_array_index (b->tops, TopBlock, b->tops->len - 1);
  offset = ptr - b->buf;
  top->lo = MIN (top->lo, offset);
  top->hi = MAX (top->hi, offset + (gssize) size - 1);
}

static int
enter_block_cb (MD_BLOCKTYPE  type,
                void         *detail,
                void         *user_data)
{
  Builder *b = user_data;

  if (type == MD_BLOCK_DOC)
    {
      b->depth = 1;
      return 0;
    }

  if (b->depth == 1)
    {
      TopBlock top = { b->blocks->len, G_MAXSSIZE, -1 };

      g_array_append_val (b->tops, top);
    }
  b->depth++;

  /* Inside a table only its own structure arrives. */
  if (b->in_table)
    {
      switch (type)
        {
        case MD_BLOCK_THEAD:
          b->in_head = TRUE;
          break;
        case MD_BLOCK_TBODY:
          b->in_head = FALSE;
          break;
        case MD_BLOCK_TR:
          b->row_cells = 0;
          if (!b->in_head)
            b->table_rows++;
          break;
        case MD_BLOCK_TH:
        case MD_BLOCK_TD:
          {
            MD_BLOCK_TD_DETAIL *td = detail;

            if (b->in_head)
              {
                MoonMarkdownAlign align = MOON_MARKDOWN_ALIGN_DEFAULT;

                switch (td->align)
                  {
                  case MD_ALIGN_LEFT: align = MOON_MARKDOWN_ALIGN_LEFT; break;
                  case MD_ALIGN_CENTER: align = MOON_MARKDOWN_ALIGN_CENTER; break;
                  case MD_ALIGN_RIGHT: align = MOON_MARKDOWN_ALIGN_RIGHT; break;
                  case MD_ALIGN_DEFAULT:
                  default: break;
                  }
                g_array_append_val (b->aligns, align);
              }
            builder_open_leaf (b, MOON_MARKDOWN_BLOCK_TABLE, 0, FALSE);
          }
          break;
        case MD_BLOCK_TABLE:
        case MD_BLOCK_DOC:
        case MD_BLOCK_QUOTE:
        case MD_BLOCK_UL:
        case MD_BLOCK_OL:
        case MD_BLOCK_LI:
        case MD_BLOCK_HR:
        case MD_BLOCK_H:
        case MD_BLOCK_CODE:
        case MD_BLOCK_HTML:
        case MD_BLOCK_P:
        default:
          break;
        }
      return 0;
    }

  builder_close_implicit (b);

  switch (type)
    {
    case MD_BLOCK_QUOTE:
      {
        Container c = { CONTAINER_QUOTE, FALSE, 0, MOON_MARKDOWN_TASK_NONE, FALSE };

        builder_ensure_bullet (b);
        g_array_append_val (b->containers, c);
      }
      break;

    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      {
        Container c = { CONTAINER_LIST, type == MD_BLOCK_OL, 1, MOON_MARKDOWN_TASK_NONE, FALSE };

        if (type == MD_BLOCK_OL)
          c.number = ((MD_BLOCK_OL_DETAIL *) detail)->start;

        builder_ensure_bullet (b);
        g_array_append_val (b->containers, c);
      }
      break;

    case MD_BLOCK_LI:
      {
        MD_BLOCK_LI_DETAIL *li = detail;
        Container *list = innermost (b);
        Container c = { CONTAINER_ITEM, FALSE, 0, MOON_MARKDOWN_TASK_NONE, FALSE };

        if (list != NULL && list->type == CONTAINER_LIST)
          {
            c.ordered = list->ordered;
            c.number = list->number++;
          }
        if (li->is_task)
          c.task = (li->task_mark == 'x' || li->task_mark == 'X') ? MOON_MARKDOWN_TASK_DONE
                                                                  : MOON_MARKDOWN_TASK_OPEN;
        g_array_append_val (b->containers, c);
      }
      break;

    case MD_BLOCK_HR:
      builder_ensure_bullet (b);
      builder_add_block (b, builder_new_block (b, MOON_MARKDOWN_BLOCK_RULE));
      break;

    case MD_BLOCK_H:
      {
        guint level = CLAMP (((MD_BLOCK_H_DETAIL *) detail)->level, 1, 6);
        Container *c = innermost (b);

        /* `- # Title`: one list item shown as a heading, not an empty
         * bullet line and a heading. */
        if (c != NULL && c->type == CONTAINER_ITEM && !c->bullet_done)
          builder_open_leaf (b, MOON_MARKDOWN_BLOCK_LIST_ITEM, level, FALSE);
        else
          builder_open_leaf (b, MOON_MARKDOWN_BLOCK_HEADING, level, FALSE);
      }
      break;

    case MD_BLOCK_CODE:
      {
        MD_BLOCK_CODE_DETAIL *code = detail;

        builder_ensure_bullet (b);
        b->in_code = TRUE;
        g_string_truncate (b->plain, 0);
        g_clear_pointer (&b->code_language, g_free);
        if (code->lang.size > 0)
          b->code_language = attribute_to_string (&code->lang);
        builder_note_pointer (b, code->info.text, code->info.size);
      }
      break;

    case MD_BLOCK_TABLE:
      builder_ensure_bullet (b);
      b->in_table = TRUE;
      b->in_head = FALSE;
      b->table_columns = ((MD_BLOCK_TABLE_DETAIL *) detail)->col_count;
      b->table_rows = 0;
      g_array_set_size (b->aligns, 0);
      g_ptr_array_set_size (b->cells_markup, 0);
      g_ptr_array_set_size (b->cells_text, 0);
      break;

    case MD_BLOCK_P:
    case MD_BLOCK_HTML: /* disabled by MD_FLAG_NOHTML; shown as text if ever */
      builder_open_paragraph (b, FALSE);
      break;

    case MD_BLOCK_DOC:
    case MD_BLOCK_THEAD:
    case MD_BLOCK_TBODY:
    case MD_BLOCK_TR:
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
    default:
      break;
    }

  return 0;
}

static void
builder_finish_table (Builder *b)
{
  MoonMarkdownBlock *block = builder_new_block (b, MOON_MARKDOWN_BLOCK_TABLE);
  guint n_columns = b->table_columns;
  guint n_cells;
  GString *text = g_string_new (NULL);

  /* md4c fills every row up to col_count; make sure of it anyway. */
  n_columns = MAX (n_columns, 1);
  n_cells = (b->table_rows + 1) * n_columns;
  g_array_set_size (b->aligns, n_columns);
  while (b->cells_markup->len < n_cells)
    {
      g_ptr_array_add (b->cells_markup, g_strdup (""));
      g_ptr_array_add (b->cells_text, g_strdup (""));
    }

  block->n_columns = n_columns;
  block->n_rows = b->table_rows;
  block->aligns = g_memdup2 (b->aligns->data, n_columns * sizeof (MoonMarkdownAlign));
  block->cell_markup = g_new0 (char *, n_cells + 1);
  block->cell_text = g_new0 (char *, n_cells + 1);

  for (guint i = 0; i < n_cells; i++)
    {
      block->cell_markup[i] = g_strdup (g_ptr_array_index (b->cells_markup, i));
      block->cell_text[i] = g_strdup (g_ptr_array_index (b->cells_text, i));

      g_string_append (text, block->cell_text[i]);
      if ((i + 1) % n_columns != 0)
        g_string_append_c (text, '\t');
      else if (i + 1 < n_cells)
        g_string_append_c (text, '\n');
    }

  block->text = g_string_free (text, FALSE);
  builder_add_block (b, block);
}

static int
leave_block_cb (MD_BLOCKTYPE  type,
                void         *detail,
                void         *user_data)
{
  Builder *b = user_data;

  if (type == MD_BLOCK_DOC)
    {
      builder_close_implicit (b);
      return 0;
    }

  b->depth--;

  if (b->in_table)
    {
      switch (type)
        {
        case MD_BLOCK_TH:
        case MD_BLOCK_TD:
          {
            guint n_columns = MAX (b->table_columns, 1);

            while (b->closers->len > 0)
              {
                g_string_append (b->markup, g_ptr_array_index (b->closers, b->closers->len - 1));
                g_ptr_array_set_size (b->closers, b->closers->len - 1);
              }

            /* Ignore cells beyond the column count rather than shifting rows. */
            if (b->row_cells < n_columns)
              {
                g_ptr_array_add (b->cells_markup, g_strndup (b->markup->str, b->markup->len));
                g_ptr_array_add (b->cells_text, g_strndup (b->plain->str, b->plain->len));
              }
            b->row_cells++;
            b->in_leaf = FALSE;
          }
          break;
        case MD_BLOCK_TR:
          {
            guint n_columns = MAX (b->table_columns, 1);

            for (; b->row_cells < n_columns; b->row_cells++)
              {
                g_ptr_array_add (b->cells_markup, g_strdup (""));
                g_ptr_array_add (b->cells_text, g_strdup (""));
              }
          }
          break;
        case MD_BLOCK_TABLE:
          b->in_table = FALSE;
          builder_finish_table (b);
          break;
        case MD_BLOCK_DOC:
        case MD_BLOCK_QUOTE:
        case MD_BLOCK_UL:
        case MD_BLOCK_OL:
        case MD_BLOCK_LI:
        case MD_BLOCK_HR:
        case MD_BLOCK_H:
        case MD_BLOCK_CODE:
        case MD_BLOCK_HTML:
        case MD_BLOCK_P:
        case MD_BLOCK_THEAD:
        case MD_BLOCK_TBODY:
        default:
          break;
        }
      return 0;
    }

  switch (type)
    {
    case MD_BLOCK_QUOTE:
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      builder_close_implicit (b);
      g_array_set_size (b->containers, b->containers->len - 1);
      break;

    case MD_BLOCK_LI:
      {
        Container *item;

        builder_close_implicit (b);
        item = innermost (b);
        g_assert (item != NULL && item->type == CONTAINER_ITEM);

        if (!item->bullet_done)
          {
            MoonMarkdownBlock *block = builder_new_list_item (b, item);

            block->markup = g_strdup ("");
            builder_add_block (b, block);
          }
        g_array_set_size (b->containers, b->containers->len - 1);
      }
      break;

    case MD_BLOCK_P:
    case MD_BLOCK_H:
    case MD_BLOCK_HTML:
      builder_close_leaf (b);
      break;

    case MD_BLOCK_CODE:
      {
        MoonMarkdownBlock *block = builder_new_block (b, MOON_MARKDOWN_BLOCK_CODE);

        if (b->plain->len > 0 && b->plain->str[b->plain->len - 1] == '\n')
          g_string_truncate (b->plain, b->plain->len - 1);

        block->text = g_strndup (b->plain->str, b->plain->len);
        block->language = g_steal_pointer (&b->code_language);
        builder_add_block (b, block);
        b->in_code = FALSE;
      }
      break;

    case MD_BLOCK_DOC:
    case MD_BLOCK_HR:
    case MD_BLOCK_TABLE:
    case MD_BLOCK_THEAD:
    case MD_BLOCK_TBODY:
    case MD_BLOCK_TR:
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
    default:
      break;
    }

  return 0;
}

static void
builder_push_span (Builder    *b,
                   const char *open,
                   const char *close)
{
  if (open != NULL)
    g_string_append (b->markup, open);
  g_ptr_array_add (b->closers, (gpointer) close);
}

static void
builder_open_link (Builder            *b,
                   const MD_ATTRIBUTE *href)
{
  g_autofree char *uri = attribute_to_string (href);

  builder_note_pointer (b, href->text, href->size);

  if (b->link_depth++ > 0 || !uri_is_safe (uri))
    {
      builder_push_span (b, NULL, "");
      return;
    }

  g_string_append (b->markup, "<a href=\"");
  append_text (b->markup, NULL, uri, strlen (uri));
  g_string_append (b->markup, "\">");
  g_ptr_array_add (b->closers, (gpointer) "</a>");
}

static int
enter_span_cb (MD_SPANTYPE  type,
               void        *detail,
               void        *user_data)
{
  Builder *b = user_data;

  if (!b->in_leaf)
    {
      if (b->in_table || b->in_code)
        {
          builder_push_span (b, NULL, "");
          return 0;
        }
      builder_open_paragraph (b, TRUE);
    }

  switch (type)
    {
    case MD_SPAN_EM:
      builder_push_span (b, "<i>", "</i>");
      break;
    case MD_SPAN_STRONG:
      builder_push_span (b, "<b>", "</b>");
      break;
    case MD_SPAN_DEL:
      builder_push_span (b, "<s>", "</s>");
      break;
    case MD_SPAN_U:
      builder_push_span (b, "<u>", "</u>");
      break;
    case MD_SPAN_CODE:
      builder_push_span (b, CODE_SPAN_OPEN, CODE_SPAN_CLOSE);
      break;
    case MD_SPAN_A:
      builder_open_link (b, &((MD_SPAN_A_DETAIL *) detail)->href);
      break;
    case MD_SPAN_IMG:
      /* The alt text follows; it links to the image. */
      builder_open_link (b, &((MD_SPAN_IMG_DETAIL *) detail)->src);
      break;
    case MD_SPAN_WIKILINK:
    case MD_SPAN_LATEXMATH:
    case MD_SPAN_LATEXMATH_DISPLAY:
    default:
      builder_push_span (b, NULL, "");
      break;
    }

  return 0;
}

static int
leave_span_cb (MD_SPANTYPE  type,
               void        *detail,
               void        *user_data)
{
  Builder *b = user_data;

  if (b->closers->len == 0)
    return 0;

  g_string_append (b->markup, g_ptr_array_index (b->closers, b->closers->len - 1));
  g_ptr_array_set_size (b->closers, b->closers->len - 1);

  if ((type == MD_SPAN_A || type == MD_SPAN_IMG) && b->link_depth > 0)
    b->link_depth--;

  return 0;
}

static int
text_cb (MD_TEXTTYPE    type,
         const MD_CHAR *text,
         MD_SIZE        size,
         void          *user_data)
{
  Builder *b = user_data;

  builder_note_pointer (b, text, size);

  if (b->in_code)
    {
      /* md4c 0.5 reports a NUL in code both as NULLCHAR and as the first
       * byte of the following text; count it once. */
      if (type == MD_TEXT_NULLCHAR)
        {
          g_string_append (b->plain, REPLACEMENT_CHARACTER);
          b->skip_nul = TRUE;
          return 0;
        }
      if (b->skip_nul && size > 0 && text[0] == '\0')
        {
          text++;
          size--;
        }
      b->skip_nul = FALSE;
      append_text (NULL, b->plain, text, size);
      return 0;
    }

  if (!b->in_leaf)
    {
      /* Text outside a table cell and outside a paragraph: the content of a
       * tight list item. A table's stray text has nowhere to go. */
      if (b->in_table)
        return 0;
      builder_open_paragraph (b, TRUE);
    }

  switch (type)
    {
    case MD_TEXT_NULLCHAR:
      append_text (b->markup, b->plain, REPLACEMENT_CHARACTER, strlen (REPLACEMENT_CHARACTER));
      break;
    case MD_TEXT_BR:
    case MD_TEXT_SOFTBR:
      /* Chat text means its line breaks, and a space between two lines of
       * Chinese would be wrong. In a table cell a break is a space. */
      if (b->in_table)
        append_text (b->markup, b->plain, " ", 1);
      else
        append_text (b->markup, b->plain, "\n", 1);
      break;
    case MD_TEXT_ENTITY:
      append_entity (b->markup, b->plain, text, size);
      break;
    case MD_TEXT_NORMAL:
    case MD_TEXT_CODE:
    case MD_TEXT_HTML:
    case MD_TEXT_LATEXMATH:
    default:
      append_text (b->markup, b->plain, text, size);
      break;
    }

  return 0;
}

/* Length of @text without an incomplete UTF-8 character at its end (one
 * still being received). */
static gsize
complete_utf8_length (const char *text,
                      gsize       len)
{
  gsize start = len;
  guchar lead;
  gsize need;

  /* Find the start of the last character: at most 3 continuation bytes. */
  while (start > 0 && len - start < 4 && ((guchar) text[start - 1] & 0xC0) == 0x80)
    start--;

  if (start == 0)
    return len;

  lead = (guchar) text[start - 1];
  if (lead >= 0xF0 && lead <= 0xF4)
    need = 4;
  else if (lead >= 0xE0)
    need = lead <= 0xEF ? 3 : 0;
  else if (lead >= 0xC2)
    need = 2;
  else
    need = 0;

  if (need > 0 && len - (start - 1) < need)
    return start - 1;

  return len;
}

/* Parses @len bytes at @text into a Builder's blocks and top-level blocks;
 * the caller clears @b. */
static void
parse_into (Builder    *b,
            const char *text,
            gsize       len,
            guint64    *next_id)
{
  MD_PARSER parser = { 0 };

  parser.flags = MD_FLAGS;
  parser.enter_block = enter_block_cb;
  parser.leave_block = leave_block_cb;
  parser.enter_span = enter_span_cb;
  parser.leave_span = leave_span_cb;
  parser.text = text_cb;

  builder_init (b, text, len, next_id);

  if (md_parse (text, (MD_SIZE) len, &parser, b) != 0)
    {
      /* Only an out-of-memory condition inside md4c gets here. Show the
       * text rather than nothing. */
      g_warning ("md4c could not parse %" G_GSIZE_FORMAT " bytes", len);
      builder_clear (b);
      builder_init (b, text, len, next_id);
      builder_open_leaf (b, MOON_MARKDOWN_BLOCK_PARAGRAPH, 0, FALSE);
      append_text (b->markup, b->plain, text, len);
      builder_close_leaf (b);
    }
}

/**
 * moon_markdown_parse:
 * @text: Markdown text
 * @length: the length of @text in bytes, or -1 if it is nul-terminated
 *
 * Parses a whole document at once. An incomplete UTF-8 character at the very
 * end (one still being received) is ignored, like #MoonMarkdownDoc does; any
 * other invalid UTF-8 becomes U+FFFD.
 *
 * Returns: (transfer container) (element-type MoonMarkdownBlock): the blocks,
 *   with ids counting from 1
 */
GPtrArray *
moon_markdown_parse (const char *text,
                     gssize      length)
{
  Builder b;
  guint64 next_id = 0;
  GPtrArray *blocks;

  g_return_val_if_fail (text != NULL || length == 0, NULL);

  if (length < 0)
    length = strlen (text);
  g_return_val_if_fail ((guint64) length < G_MAXUINT32, NULL);

  parse_into (&b, text, complete_utf8_length (text, length), &next_id);
  blocks = g_steal_pointer (&b.blocks);
  builder_clear (&b);

  return blocks;
}

/* ------------------------------------------------------------------------ */
/* MoonMarkdownDoc                                                           */
/* ------------------------------------------------------------------------ */

struct _MoonMarkdownDoc
{
  GObject    parent_instance;

  GString   *text;
  GPtrArray *blocks;          /* (element-type MoonMarkdownBlock) */
  guint      n_final;         /* blocks[0, n_final) come from text[0, tail_offset) */
  gsize      tail_offset;
  gsize      refdef_scanned;  /* complete lines before this were checked */
  gboolean   full_mode;
  guint64    next_id;
};

static void moon_markdown_doc_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MoonMarkdownDoc, moon_markdown_doc, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      moon_markdown_doc_list_model_init))

static GType
moon_markdown_doc_get_item_type (GListModel *model)
{
  return MOON_TYPE_MARKDOWN_BLOCK;
}

static guint
moon_markdown_doc_get_n_items (GListModel *model)
{
  return MOON_MARKDOWN_DOC (model)->blocks->len;
}

static gpointer
moon_markdown_doc_get_item (GListModel *model,
                            guint       position)
{
  MoonMarkdownDoc *self = MOON_MARKDOWN_DOC (model);

  if (position >= self->blocks->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->blocks, position));
}

static void
moon_markdown_doc_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = moon_markdown_doc_get_item_type;
  iface->get_n_items = moon_markdown_doc_get_n_items;
  iface->get_item = moon_markdown_doc_get_item;
}

static void
moon_markdown_doc_finalize (GObject *object)
{
  MoonMarkdownDoc *self = MOON_MARKDOWN_DOC (object);

  g_string_free (self->text, TRUE);
  g_ptr_array_unref (self->blocks);

  G_OBJECT_CLASS (moon_markdown_doc_parent_class)->finalize (object);
}

static void
moon_markdown_doc_class_init (MoonMarkdownDocClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = moon_markdown_doc_finalize;
}

static void
moon_markdown_doc_init (MoonMarkdownDoc *self)
{
  self->text = g_string_new (NULL);
  self->blocks = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * moon_markdown_doc_new:
 *
 * Creates an empty document. Feed it the growing text of a streamed reply
 * with moon_markdown_doc_update(); it is also a #GListModel of its
 * #MoonMarkdownBlock<!-- -->s and emits #GListModel::items-changed for the
 * blocks that changed.
 *
 * Returns: (transfer full): a new #MoonMarkdownDoc
 */
MoonMarkdownDoc *
moon_markdown_doc_new (void)
{
  return g_object_new (MOON_TYPE_MARKDOWN_DOC, NULL);
}

/* Line scanning: md4c ends lines at "\n", "\r\n" or "\r". */
static gsize
line_end (const char *s,
          gsize       len,
          gsize       pos)
{
  while (pos < len && s[pos] != '\n' && s[pos] != '\r')
    pos++;
  return pos;
}

/* The start of the next line, or @len if the line at @end is not complete
 * yet (no terminator, or a "\r" that may still be followed by "\n"). */
static gsize
next_line (const char *s,
           gsize       len,
           gsize       end,
           gboolean   *complete)
{
  if (end >= len)
    {
      *complete = FALSE;
      return len;
    }

  if (s[end] == '\r')
    {
      if (end + 1 >= len)
        {
          *complete = FALSE;
          return len;
        }
      *complete = TRUE;
      return s[end + 1] == '\n' ? end + 2 : end + 1;
    }

  *complete = TRUE;
  return end + 1;
}

static gboolean
is_blank (const char *s,
          gsize       start,
          gsize       end)
{
  for (gsize i = start; i < end; i++)
    {
      if (s[i] != ' ' && s[i] != '\t')
        return FALSE;
    }
  return TRUE;
}

/* The length of a list marker at @s (`-`, `+`, `*`, `1.`, `1)`), 0 if none. */
static gsize
list_marker_length (const char *s,
                    gsize       n)
{
  gsize i = 0;

  if (n == 0)
    return 0;

  if (s[0] == '-' || s[0] == '+' || s[0] == '*')
    i = 1;
  else
    {
      while (i < n && i < 9 && g_ascii_isdigit (s[i]))
        i++;
      if (i == 0 || i >= n || (s[i] != '.' && s[i] != ')'))
        return 0;
      i++;
    }

  if (i < n && s[i] != ' ' && s[i] != '\t')
    return 0;

  return i;
}

/* A code fence line (``` or ~~~) and whether an info string follows. */
static gboolean
is_fence (const char *s,
          gsize       n,
          gboolean   *has_info)
{
  gsize run = 0;

  if (n == 0 || (s[0] != '`' && s[0] != '~'))
    return FALSE;

  while (run < n && s[run] == s[0])
    run++;
  if (run < 3)
    return FALSE;

  *has_info = !is_blank (s, run, n);
  return TRUE;
}

/* Does the line look like it may hold a link reference definition
 * (`[label]: destination`), possibly inside quotes or list items? */
static gboolean
looks_like_refdef (const char *s,
                   gsize       n)
{
  gsize i = 0;

  for (;;)
    {
      gsize marker;

      while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '>'))
        i++;
      marker = list_marker_length (s + i, n - i);
      if (marker == 0)
        break;
      i += marker;
    }

  if (i >= n || s[i] != '[')
    return FALSE;

  for (; i + 1 < n; i++)
    {
      if (s[i] == ']' && s[i + 1] == ':')
        return TRUE;
    }
  return FALSE;
}

static void
moon_markdown_doc_scan_refdefs (MoonMarkdownDoc *self)
{
  const char *s = self->text->str;
  gsize len = self->text->len;
  gsize pos = self->refdef_scanned;

  while (pos < len && !self->full_mode)
    {
      gsize end = line_end (s, len, pos);
      gboolean complete;
      gsize next = next_line (s, len, end, &complete);

      /* The last line may still grow, so it is checked again next time;
       * but md4c already takes a definition there, so it counts now. */
      if (looks_like_refdef (s + pos, end - pos))
        self->full_mode = TRUE;
      if (!complete)
        break;
      pos = next;
    }

  self->refdef_scanned = pos;
}

static int
compare_offset_to_top (gconstpointer key,
                       gconstpointer element)
{
  gssize q = *(const gssize *) key;
  const TopBlock *top = element;

  if (q <= top->lo)
    return -1;
  if (q > top->hi)
    return 1;
  return 0;
}

/* Rule 4: does a top-level block have source text both before and at/after
 * @q? The blocks with pointers are ordered and disjoint. */
static gboolean
straddles (GArray *spans,
           gssize  q)
{
  /* bsearch() must not see the NULL data of an empty array. */
  if (spans->len == 0)
    return FALSE;

  return bsearch (&q, spans->data, spans->len, sizeof (TopBlock), compare_offset_to_top) != NULL;
}

/* Rules 1-4: candidate restart points in @s (the tail), in order. */
static GArray *
find_candidates (const char *s,
                 gsize       len,
                 GArray     *tops)
{
  GArray *candidates = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (TopBlock));
  gboolean previous_blank = FALSE;
  gsize pos = 0;

  for (guint i = 0; i < tops->len; i++)
    {
      TopBlock *top = &g_array_index (tops, TopBlock, i);

      if (top->lo <= top->hi)
        g_array_append_val (spans, *top);
    }

  while (pos < len)
    {
      gsize end = line_end (s, len, pos);
      gboolean complete;
      gsize next = next_line (s, len, end, &complete);
      gboolean blank = is_blank (s, pos, end);

      if (!complete)
        break;

      if (pos > 0 && previous_blank && !blank && s[pos] != ' ' && s[pos] != '\t')
        {
          gboolean has_info = FALSE;

          if (list_marker_length (s + pos, end - pos) == 0 &&
              (!is_fence (s + pos, end - pos, &has_info) || has_info) &&
              !straddles (spans, (gssize) pos))
            g_array_append_val (candidates, pos);
        }

      previous_blank = blank;
      pos = next;
    }

  return candidates;
}

static gboolean
blocks_equal (GPtrArray *a,
              guint      a_start,
              GPtrArray *b,
              guint      b_start,
              guint      n)
{
  for (guint i = 0; i < n; i++)
    {
      if (!moon_markdown_block_equal (g_ptr_array_index (a, a_start + i),
                                      g_ptr_array_index (b, b_start + i)))
        return FALSE;
    }
  return TRUE;
}

/* Rule 5: does splitting @s at @q give exactly the blocks of @whole?
 * Returns how many of them lie before @q, or -1. */
static gssize
verify_split (const char *s,
              gsize       len,
              gsize       q,
              GPtrArray  *whole)
{
  Builder before;
  Builder after;
  guint64 scratch_id = 0;
  gssize result = -1;

  parse_into (&before, s, q, &scratch_id);
  parse_into (&after, s + q, len - q, &scratch_id);

  if (before.blocks->len + after.blocks->len == whole->len &&
      blocks_equal (whole, 0, before.blocks, 0, before.blocks->len) &&
      blocks_equal (whole, before.blocks->len, after.blocks, 0, after.blocks->len))
    result = before.blocks->len;

  builder_clear (&before);
  builder_clear (&after);

  return result;
}

/**
 * moon_markdown_doc_update:
 * @self: a #MoonMarkdownDoc
 * @text: the whole current text
 * @length: the length of @text in bytes, or -1 if it is nul-terminated
 * @first_changed: (out) (optional): the index of the first block that changed
 *   (the number of blocks if none did)
 * @n_removed: (out) (optional): how many blocks from @first_changed on were removed
 * @n_added: (out) (optional): how many blocks from @first_changed on are new
 *
 * Brings the blocks up to date with @text. When @text extends the previous
 * text (a streamed reply growing), only the unfinished tail is re-parsed:
 * every block before the last one keeps its object (and id), and blocks that
 * are final (see moon_markdown_doc_get_n_final()) never change again while
 * text is appended. Any other change re-parses the whole text, and blocks
 * that come out the same still keep their objects.
 *
 * An incomplete UTF-8 character at the end of @text is left for the next
 * update. The only exception to the "final" guarantee is a document with
 * link reference definitions (`[label]: url`), which can change links
 * anywhere; such documents are re-parsed in full on every update.
 *
 * Emits #GListModel::items-changed with the same numbers.
 *
 * Returns: %TRUE if any block changed
 */
gboolean
moon_markdown_doc_update (MoonMarkdownDoc *self,
                          const char      *text,
                          gssize           length,
                          guint           *first_changed,
                          guint           *n_removed,
                          guint           *n_added)
{
  Builder tail;
  gsize len;
  gsize advance = 0;
  guint n_advance = 0;
  guint first;
  guint removed;
  guint added;

  g_return_val_if_fail (MOON_IS_MARKDOWN_DOC (self), FALSE);
  g_return_val_if_fail (text != NULL || length == 0, FALSE);

  /* Nothing changed, unless we find otherwise below. */
  if (first_changed != NULL)
    *first_changed = self->blocks->len;
  if (n_removed != NULL)
    *n_removed = 0;
  if (n_added != NULL)
    *n_added = 0;

  if (length < 0)
    length = strlen (text);
  g_return_val_if_fail ((guint64) length < G_MAXUINT32, FALSE);

  len = complete_utf8_length (text, length);

  if (len >= self->text->len && memcmp (self->text->str, text, self->text->len) == 0)
    {
      if (len == self->text->len)
        return FALSE;
      g_string_append_len (self->text, text + self->text->len, len - self->text->len);
    }
  else
    {
      /* Not an append: start over (blocks that come out equal are kept). */
      g_string_truncate (self->text, 0);
      g_string_append_len (self->text, text, len);
      self->n_final = 0;
      self->tail_offset = 0;
      self->refdef_scanned = 0;
      self->full_mode = FALSE;
    }

  if (!self->full_mode)
    {
      moon_markdown_doc_scan_refdefs (self);
      if (self->full_mode)
        {
          self->n_final = 0;
          self->tail_offset = 0;
        }
    }

  parse_into (&tail, self->text->str + self->tail_offset,
              self->text->len - self->tail_offset, &self->next_id);

  if (!self->full_mode)
    {
      g_autoptr(GArray) candidates = find_candidates (tail.buf, tail.len, tail.tops);

      /* Try the last candidate, and one before it if md4c disagrees. */
      for (guint i = 0; i < MIN (candidates->len, 2); i++)
        {
          gsize q = g_array_index (candidates, gsize, candidates->len - 1 - i);
          gssize n = verify_split (tail.buf, tail.len, q, tail.blocks);

          if (n >= 0)
            {
              advance = q;
              n_advance = n;
              break;
            }
        }
    }

  /* The final blocks stay as they are; the tail's blocks follow, reusing
   * the old objects of blocks that did not change. Only the tail is touched. */
  first = self->n_final + tail.blocks->len;
  for (guint i = 0; i < tail.blocks->len; i++)
    {
      guint index = self->n_final + i;

      if (index >= self->blocks->len ||
          !moon_markdown_block_equal (g_ptr_array_index (self->blocks, index),
                                      g_ptr_array_index (tail.blocks, i)))
        {
          first = index;
          break;
        }
    }

  removed = self->blocks->len - MIN (first, self->blocks->len);
  added = self->n_final + tail.blocks->len - first;

  if (removed > 0)
    g_ptr_array_remove_range (self->blocks, first, removed);
  for (guint i = first - self->n_final; i < tail.blocks->len; i++)
    g_ptr_array_add (self->blocks, g_object_ref (g_ptr_array_index (tail.blocks, i)));
  builder_clear (&tail);

  self->n_final += n_advance;
  self->tail_offset += advance;

  if (first_changed != NULL)
    *first_changed = first;
  if (n_removed != NULL)
    *n_removed = removed;
  if (n_added != NULL)
    *n_added = added;

  if (removed == 0 && added == 0)
    return FALSE;

  g_list_model_items_changed (G_LIST_MODEL (self), first, removed, added);

  return TRUE;
}

/**
 * moon_markdown_doc_get_n_blocks:
 * @self: a #MoonMarkdownDoc
 *
 * Returns: the number of blocks
 */
guint
moon_markdown_doc_get_n_blocks (MoonMarkdownDoc *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_DOC (self), 0);

  return self->blocks->len;
}

/**
 * moon_markdown_doc_get_block:
 * @self: a #MoonMarkdownDoc
 * @position: a block index
 *
 * Returns: (transfer none): the block at @position
 */
MoonMarkdownBlock *
moon_markdown_doc_get_block (MoonMarkdownDoc *self,
                             guint            position)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_DOC (self), NULL);
  g_return_val_if_fail (position < self->blocks->len, NULL);

  return g_ptr_array_index (self->blocks, position);
}

/**
 * moon_markdown_doc_get_n_final:
 * @self: a #MoonMarkdownDoc
 *
 * The blocks before this index are final: appending text will not change
 * them. (The blocks after it but before the last one normally do not change
 * either; they are just not proven final yet.)
 *
 * Returns: the number of final blocks
 */
guint
moon_markdown_doc_get_n_final (MoonMarkdownDoc *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_DOC (self), 0);

  return self->n_final;
}

/**
 * moon_markdown_doc_get_tail_offset:
 * @self: a #MoonMarkdownDoc
 *
 * Returns: the byte offset from which the next update re-parses the text
 */
gsize
moon_markdown_doc_get_tail_offset (MoonMarkdownDoc *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_DOC (self), 0);

  return self->tail_offset;
}

/**
 * moon_markdown_doc_get_text:
 * @self: a #MoonMarkdownDoc
 *
 * Returns: the text of the last update (without an incomplete UTF-8
 *   character at its end)
 */
const char *
moon_markdown_doc_get_text (MoonMarkdownDoc *self)
{
  g_return_val_if_fail (MOON_IS_MARKDOWN_DOC (self), NULL);

  return self->text->str;
}
