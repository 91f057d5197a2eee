/* moon-chat-session.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "moon-client.h"
#include "moon-context.h"
#include "moon-conversation-store.h"

G_BEGIN_DECLS

#define MOON_TYPE_CHAT_SESSION (moon_chat_session_get_type ())

G_DECLARE_FINAL_TYPE (MoonChatSession, moon_chat_session, MOON, CHAT_SESSION, GObject)

MoonChatSession       *moon_chat_session_new              (MoonClient             *client,
                                                           MoonConversationStore  *store,
                                                           MoonContext            *context);
MoonClient            *moon_chat_session_get_client       (MoonChatSession        *self);
MoonConversationStore *moon_chat_session_get_store        (MoonChatSession        *self);
MoonContext           *moon_chat_session_get_context      (MoonChatSession        *self);

MoonContextPlan       *moon_chat_session_preview          (MoonChatSession        *self,
                                                           MoonConversation       *conversation,
                                                           GError                **error);

void                   moon_chat_session_send_async       (MoonChatSession        *self,
                                                           MoonConversation       *conversation,
                                                           const char             *user_text,
                                                           GCancellable           *cancellable,
                                                           GAsyncReadyCallback     callback,
                                                           gpointer                user_data);
MoonMessage           *moon_chat_session_send_finish      (MoonChatSession        *self,
                                                           GAsyncResult           *result,
                                                           GError                **error);

void                   moon_chat_session_continue_async   (MoonChatSession        *self,
                                                           MoonConversation       *conversation,
                                                           MoonMessage            *message,
                                                           GCancellable           *cancellable,
                                                           GAsyncReadyCallback     callback,
                                                           gpointer                user_data);
MoonMessage           *moon_chat_session_continue_finish  (MoonChatSession        *self,
                                                           GAsyncResult           *result,
                                                           GError                **error);

void                   moon_chat_session_regenerate_async (MoonChatSession        *self,
                                                           MoonConversation       *conversation,
                                                           MoonMessage            *message,
                                                           GCancellable           *cancellable,
                                                           GAsyncReadyCallback     callback,
                                                           gpointer                user_data);
MoonMessage           *moon_chat_session_regenerate_finish (MoonChatSession       *self,
                                                           GAsyncResult           *result,
                                                           GError                **error);

gboolean               moon_chat_session_can_continue     (MoonMessage            *message);

G_END_DECLS
