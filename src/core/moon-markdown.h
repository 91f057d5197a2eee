/* moon-markdown.h — Markdown (md4c) to a flat list of blocks, with an
 * incremental document for streamed text.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * MoonMarkdownBlockKind:
 * @MOON_MARKDOWN_BLOCK_PARAGRAPH: a paragraph (also the second and later
 *   paragraphs of a list item, with a list depth > 0)
 * @MOON_MARKDOWN_BLOCK_HEADING: a heading, see moon_markdown_block_get_level()
 * @MOON_MARKDOWN_BLOCK_LIST_ITEM: the first paragraph of a list item, with its
 *   bullet or number and task state
 * @MOON_MARKDOWN_BLOCK_QUOTE: a paragraph directly inside a block quote
 * @MOON_MARKDOWN_BLOCK_CODE: a fenced or indented code block
 * @MOON_MARKDOWN_BLOCK_TABLE: a table
 * @MOON_MARKDOWN_BLOCK_RULE: a thematic break
 *
 * What a block is. Containers (lists, quotes) are flattened: every block
 * carries its list depth and quote depth instead.
 */
typedef enum
{
  MOON_MARKDOWN_BLOCK_PARAGRAPH,
  MOON_MARKDOWN_BLOCK_HEADING,
  MOON_MARKDOWN_BLOCK_LIST_ITEM,
  MOON_MARKDOWN_BLOCK_QUOTE,
  MOON_MARKDOWN_BLOCK_CODE,
  MOON_MARKDOWN_BLOCK_TABLE,
  MOON_MARKDOWN_BLOCK_RULE,
} MoonMarkdownBlockKind;

/**
 * MoonMarkdownTask:
 * @MOON_MARKDOWN_TASK_NONE: not a task list item
 * @MOON_MARKDOWN_TASK_OPEN: `- [ ] item`
 * @MOON_MARKDOWN_TASK_DONE: `- [x] item`
 *
 * The checkbox state of a list item.
 */
typedef enum
{
  MOON_MARKDOWN_TASK_NONE,
  MOON_MARKDOWN_TASK_OPEN,
  MOON_MARKDOWN_TASK_DONE,
} MoonMarkdownTask;

/**
 * MoonMarkdownAlign:
 * @MOON_MARKDOWN_ALIGN_DEFAULT: no alignment given (`---`)
 * @MOON_MARKDOWN_ALIGN_LEFT: `:--`
 * @MOON_MARKDOWN_ALIGN_CENTER: `:-:`
 * @MOON_MARKDOWN_ALIGN_RIGHT: `--:`
 *
 * The alignment of a table column.
 */
typedef enum
{
  MOON_MARKDOWN_ALIGN_DEFAULT,
  MOON_MARKDOWN_ALIGN_LEFT,
  MOON_MARKDOWN_ALIGN_CENTER,
  MOON_MARKDOWN_ALIGN_RIGHT,
} MoonMarkdownAlign;

#define MOON_TYPE_MARKDOWN_BLOCK (moon_markdown_block_get_type ())

G_DECLARE_FINAL_TYPE (MoonMarkdownBlock, moon_markdown_block, MOON, MARKDOWN_BLOCK, GObject)

MoonMarkdownBlockKind moon_markdown_block_get_kind              (MoonMarkdownBlock *self);
guint64               moon_markdown_block_get_id                (MoonMarkdownBlock *self);
const char           *moon_markdown_block_get_markup            (MoonMarkdownBlock *self);
const char           *moon_markdown_block_get_text              (MoonMarkdownBlock *self);
guint                 moon_markdown_block_get_level             (MoonMarkdownBlock *self);
guint                 moon_markdown_block_get_list_depth        (MoonMarkdownBlock *self);
gboolean              moon_markdown_block_get_ordered           (MoonMarkdownBlock *self);
guint                 moon_markdown_block_get_number            (MoonMarkdownBlock *self);
MoonMarkdownTask      moon_markdown_block_get_task              (MoonMarkdownBlock *self);
guint                 moon_markdown_block_get_quote_depth       (MoonMarkdownBlock *self);
const char           *moon_markdown_block_get_language          (MoonMarkdownBlock *self);
guint                 moon_markdown_block_get_n_columns         (MoonMarkdownBlock *self);
guint                 moon_markdown_block_get_n_rows            (MoonMarkdownBlock *self);
MoonMarkdownAlign     moon_markdown_block_get_column_align      (MoonMarkdownBlock *self,
                                                                 guint              column);
const char           *moon_markdown_block_get_cell_markup       (MoonMarkdownBlock *self,
                                                                 guint              row,
                                                                 guint              column);
const char           *moon_markdown_block_get_cell_text         (MoonMarkdownBlock *self,
                                                                 guint              row,
                                                                 guint              column);
gboolean              moon_markdown_block_equal                 (MoonMarkdownBlock *a,
                                                                 MoonMarkdownBlock *b);

GPtrArray            *moon_markdown_parse                       (const char        *text,
                                                                 gssize             length);

#define MOON_TYPE_MARKDOWN_DOC (moon_markdown_doc_get_type ())

G_DECLARE_FINAL_TYPE (MoonMarkdownDoc, moon_markdown_doc, MOON, MARKDOWN_DOC, GObject)

MoonMarkdownDoc      *moon_markdown_doc_new                     (void);
gboolean              moon_markdown_doc_update                  (MoonMarkdownDoc   *self,
                                                                 const char        *text,
                                                                 gssize             length,
                                                                 guint             *first_changed,
                                                                 guint             *n_removed,
                                                                 guint             *n_added);
guint                 moon_markdown_doc_get_n_blocks            (MoonMarkdownDoc   *self);
MoonMarkdownBlock    *moon_markdown_doc_get_block               (MoonMarkdownDoc   *self,
                                                                 guint              position);
guint                 moon_markdown_doc_get_n_final             (MoonMarkdownDoc   *self);
gsize                 moon_markdown_doc_get_tail_offset         (MoonMarkdownDoc   *self);
const char           *moon_markdown_doc_get_text                (MoonMarkdownDoc   *self);

G_END_DECLS
