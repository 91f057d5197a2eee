/* moon-markdown-view.h — shows Markdown as native widgets, updated block by
 * block while a reply streams.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>
#include <gtksourceview/gtksource.h>

#include "moon-markdown.h"

G_BEGIN_DECLS

#define MOON_TYPE_MARKDOWN_VIEW (moon_markdown_view_get_type ())

G_DECLARE_FINAL_TYPE (MoonMarkdownView, moon_markdown_view, MOON, MARKDOWN_VIEW, GtkWidget)

GtkWidget         *moon_markdown_view_new               (void);
void               moon_markdown_view_set_text          (MoonMarkdownView *self,
                                                         const char       *text);
const char        *moon_markdown_view_get_text          (MoonMarkdownView *self);
MoonMarkdownDoc   *moon_markdown_view_get_doc           (MoonMarkdownView *self);
GtkWidget         *moon_markdown_view_get_block_widget  (MoonMarkdownView *self,
                                                         guint             position);
GtkSourceLanguage *moon_markdown_view_guess_language    (const char       *name);

G_END_DECLS
