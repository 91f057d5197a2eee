/* moon-conversation-row.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "moon-conversation.h"

G_BEGIN_DECLS

#define MOON_TYPE_CONVERSATION_ROW (moon_conversation_row_get_type ())

G_DECLARE_FINAL_TYPE (MoonConversationRow, moon_conversation_row, MOON, CONVERSATION_ROW, GtkWidget)

GtkWidget        *moon_conversation_row_new              (void);
MoonConversation *moon_conversation_row_get_conversation (MoonConversationRow *self);
void              moon_conversation_row_set_conversation (MoonConversationRow *self,
                                                          MoonConversation    *conversation);

G_END_DECLS
