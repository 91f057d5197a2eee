/* moon-chat-controller.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "moon-client.h"
#include "moon-conversation-store.h"

G_BEGIN_DECLS

#define MOON_TYPE_CHAT_CONTROLLER (moon_chat_controller_get_type ())

G_DECLARE_FINAL_TYPE (MoonChatController, moon_chat_controller, MOON, CHAT_CONTROLLER, GObject)

MoonChatController *moon_chat_controller_new         (MoonConversationStore *store);
MoonClient         *moon_chat_controller_get_client  (MoonChatController *self);
void                moon_chat_controller_set_client  (MoonChatController *self,
                                                      MoonClient         *client);
const char         *moon_chat_controller_get_default_model (MoonChatController *self);
void                moon_chat_controller_set_default_model (MoonChatController *self,
                                                            const char         *model);
gboolean            moon_chat_controller_send        (MoonChatController *self,
                                                      MoonConversation   *conversation,
                                                      const char         *text,
                                                      GError            **error);
gboolean            moon_chat_controller_resend      (MoonChatController *self,
                                                      MoonConversation   *conversation,
                                                      MoonMessage        *user_message,
                                                      const char         *text,
                                                      GError            **error);
gboolean            moon_chat_controller_regenerate  (MoonChatController *self,
                                                      MoonConversation   *conversation,
                                                      MoonMessage        *reply,
                                                      GError            **error);
gboolean            moon_chat_controller_continue    (MoonChatController *self,
                                                      MoonConversation   *conversation,
                                                      MoonMessage        *reply,
                                                      GError            **error);
gboolean            moon_chat_controller_stop        (MoonChatController *self,
                                                      MoonConversation   *conversation);
void                moon_chat_controller_stop_all    (MoonChatController *self);
gboolean            moon_chat_controller_is_running  (MoonChatController *self,
                                                      MoonConversation   *conversation);
guint               moon_chat_controller_get_n_running (MoonChatController *self);
gboolean            moon_chat_controller_preview     (MoonChatController *self,
                                                      MoonConversation   *conversation,
                                                      guint              *out_messages,
                                                      guint              *out_tokens,
                                                      gint64             *out_window);

G_END_DECLS
