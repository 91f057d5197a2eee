/* moon-window.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "moon-application.h"
#include "moon-chat-view.h"

G_BEGIN_DECLS

#define MOON_TYPE_WINDOW (moon_window_get_type ())

G_DECLARE_FINAL_TYPE (MoonWindow, moon_window, MOON, WINDOW, AdwApplicationWindow)

MoonWindow       *moon_window_new               (MoonApplication  *application);
MoonChatView     *moon_window_get_chat_view     (MoonWindow       *self);
MoonConversation *moon_window_get_conversation  (MoonWindow       *self);
void              moon_window_open_conversation (MoonWindow       *self,
                                                 MoonConversation *conversation);
AdwToastOverlay  *moon_window_get_toast_overlay (MoonWindow       *self);

G_END_DECLS
