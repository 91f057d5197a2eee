/* fuzz-markdown.c — the Markdown block builder: MoonMarkdownDoc fed a
 * streamed reply versus one-shot moon_markdown_parse()
 *
 * Input: byte 0 seeds the cut points, then the text (made valid UTF-8
 * without NULs, as a message's content always is).
 *
 * Oracle: after every update the document's blocks equal a one-shot parse
 * of the same text; the update reports exactly the blocks it replaced
 * (the items-changed signal says the same, and the blocks before the first
 * change are the same objects); final blocks stay final while text is
 * appended; every block's markup is well-formed and uses only our
 * elements; a text that is not an append of the last (an edit) also ends
 * equal to a one-shot parse.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "markup-check.h"
#include "moon-markdown.h"

static void
check_markup (const char *markup)
{
  g_autoptr(GError) error = NULL;

  if (!markup_check (markup, &error))
    g_error ("bad markup (%s): %s", error->message, markup);
}

static void
check_block (MoonMarkdownBlock *block)
{
  check_markup (moon_markdown_block_get_markup (block));
  fuzz_check (g_utf8_validate (moon_markdown_block_get_text (block), -1, NULL));

  if (moon_markdown_block_get_kind (block) == MOON_MARKDOWN_BLOCK_TABLE)
    {
      for (guint r = 0; r <= moon_markdown_block_get_n_rows (block); r++)
        for (guint c = 0; c < moon_markdown_block_get_n_columns (block); c++)
          {
            check_markup (moon_markdown_block_get_cell_markup (block, r, c));
            fuzz_check (g_utf8_validate (moon_markdown_block_get_cell_text (block, r, c), -1, NULL));
          }
    }
}

static char *
escape (const char *text,
        gsize       length)
{
  g_autofree char *copy = g_strndup (text, length);

  return g_strescape (copy, NULL);
}

static void
check_same_as_parse (MoonMarkdownDoc *doc,
                     const char      *text,
                     gsize            length)
{
  g_autoptr(GPtrArray) expected = moon_markdown_parse (text, length);

  if (moon_markdown_doc_get_n_blocks (doc) != expected->len)
    {
      g_autofree char *escaped = escape (text, length);

      g_error ("%u blocks streamed, %u parsed, for \"%s\"",
               moon_markdown_doc_get_n_blocks (doc), expected->len, escaped);
    }

  for (guint i = 0; i < expected->len; i++)
    {
      MoonMarkdownBlock *a = moon_markdown_doc_get_block (doc, i);
      MoonMarkdownBlock *b = g_ptr_array_index (expected, i);

      check_block (b);
      if (!moon_markdown_block_equal (a, b))
        {
          g_autofree char *escaped = escape (text, length);

          g_error ("block %u differs: kind %d/%d markup «%s» / «%s» text «%s» / «%s», for \"%s\"", i,
                   moon_markdown_block_get_kind (a), moon_markdown_block_get_kind (b),
                   moon_markdown_block_get_markup (a), moon_markdown_block_get_markup (b),
                   moon_markdown_block_get_text (a), moon_markdown_block_get_text (b), escaped);
        }
    }
}

typedef struct
{
  guint position;
  guint removed;
  guint added;
  guint n_signals;
} Changed;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Changed    *changed)
{
  changed->position = position;
  changed->removed = removed;
  changed->added = added;
  changed->n_signals++;
}

static void
update (MoonMarkdownDoc *doc,
        const char      *text,
        gsize            length,
        gboolean         append)
{
  guint n_old = moon_markdown_doc_get_n_blocks (doc);
  guint n_final_old = moon_markdown_doc_get_n_final (doc);
  g_autoptr(GPtrArray) old = g_ptr_array_new_with_free_func (g_object_unref);
  Changed changed = { 0 };
  guint first = 0, removed = 0, added = 0;
  gboolean did_change;
  gulong handler;

  for (guint i = 0; i < n_old; i++)
    g_ptr_array_add (old, g_object_ref (moon_markdown_doc_get_block (doc, i)));

  handler = g_signal_connect (doc, "items-changed", G_CALLBACK (items_changed_cb), &changed);
  did_change = moon_markdown_doc_update (doc, text, length, &first, &removed, &added);
  g_signal_handler_disconnect (doc, handler);

  fuzz_check (n_old - removed + added == moon_markdown_doc_get_n_blocks (doc));
  fuzz_check (did_change == (removed > 0 || added > 0));
  fuzz_check (changed.n_signals == (did_change ? 1 : 0));
  if (did_change)
    fuzz_check (changed.position == first && changed.removed == removed && changed.added == added);
  for (guint i = 0; i < MIN (first, n_old); i++)
    fuzz_check (g_ptr_array_index (old, i) == moon_markdown_doc_get_block (doc, i));
  fuzz_check (moon_markdown_doc_get_n_final (doc) <= moon_markdown_doc_get_n_blocks (doc));
  fuzz_check (moon_markdown_doc_get_tail_offset (doc) <= length);

  /* While text is appended, final blocks stay final, unless a reference
   * definition turned up (the document then re-parses everything). */
  if (append && !(moon_markdown_doc_get_n_final (doc) == 0 && moon_markdown_doc_get_tail_offset (doc) == 0))
    {
      fuzz_check (moon_markdown_doc_get_n_final (doc) >= n_final_old);
      fuzz_check (first >= n_final_old);
    }

  check_same_as_parse (doc, text, length);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(MoonMarkdownDoc) doc = NULL;
  g_autofree char *text = NULL;
  gsize length;
  gsize pos = 0;
  FuzzRand rand;

  if (size < 1)
    return 0;

  fuzz_rand_init (&rand, data[0]);
  {
    /* A message's text is valid UTF-8 without NULs. */
    g_autofree char *bytes = g_malloc (size);

    memcpy (bytes, data + 1, size - 1);
    for (gsize i = 0; i < size - 1; i++)
      if (bytes[i] == '\0')
        bytes[i] = '\n';
    text = g_utf8_make_valid (bytes, size - 1);
    length = strlen (text);
  }

  doc = moon_markdown_doc_new ();

  /* Streamed: the text grows in random steps, mostly small, cut anywhere
   * (also inside a character: the document waits for the rest). */
  while (pos < length)
    {
      /* About 64 updates at most, however long the text: each one is
       * checked against a full parse. */
      gsize small = MAX (12, length / 64);
      gsize step = 1 + fuzz_rand_below (&rand, fuzz_rand_below (&rand, 4) == 0 ? 16 * small : small);

      pos = MIN (length, pos + step);
      update (doc, text, pos, TRUE);
    }

  /* An edit: the text shrinks to a random prefix, then grows back. */
  if (length > 0)
    {
      gsize cut = fuzz_rand_below (&rand, length);

      update (doc, text, cut, FALSE);
      update (doc, text, length, TRUE);
    }

  return 0;
}
