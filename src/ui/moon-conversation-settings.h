/* moon-conversation-settings.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "moon-chat-controller.h"
#include "moon-conversation.h"

G_BEGIN_DECLS

#define MOON_TYPE_CONVERSATION_SETTINGS (moon_conversation_settings_get_type ())

G_DECLARE_FINAL_TYPE (MoonConversationSettings, moon_conversation_settings, MOON, CONVERSATION_SETTINGS, GtkPopover)

GtkWidget        *moon_conversation_settings_new              (MoonChatController       *controller);
MoonConversation *moon_conversation_settings_get_conversation (MoonConversationSettings *self);
void              moon_conversation_settings_set_conversation (MoonConversationSettings *self,
                                                               MoonConversation         *conversation);

G_END_DECLS
