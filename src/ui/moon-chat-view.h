/* moon-chat-view.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "moon-composer.h"
#include "moon-conversation.h"

G_BEGIN_DECLS

#define MOON_TYPE_CHAT_VIEW (moon_chat_view_get_type ())

G_DECLARE_FINAL_TYPE (MoonChatView, moon_chat_view, MOON, CHAT_VIEW, GtkWidget)

GtkWidget        *moon_chat_view_new                (void);
MoonConversation *moon_chat_view_get_conversation   (MoonChatView     *self);
void              moon_chat_view_set_conversation   (MoonChatView     *self,
                                                     MoonConversation *conversation);
MoonComposer     *moon_chat_view_get_composer       (MoonChatView     *self);
GtkListView      *moon_chat_view_get_list_view      (MoonChatView     *self);
gboolean          moon_chat_view_get_at_bottom      (MoonChatView     *self);
void              moon_chat_view_scroll_to_bottom   (MoonChatView     *self);

G_END_DECLS
