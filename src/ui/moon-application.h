/* moon-application.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "moon-chat-controller.h"
#include "moon-client.h"
#include "moon-conversation-store.h"
#include "moon-drafts.h"

G_BEGIN_DECLS

#define MOON_TYPE_APPLICATION (moon_application_get_type ())

G_DECLARE_FINAL_TYPE (MoonApplication, moon_application, MOON, APPLICATION, AdwApplication)

MoonApplication       *moon_application_new                (const char          *application_id,
                                                            GApplicationFlags    flags);
GSettings             *moon_application_get_settings       (MoonApplication     *self);
MoonConversationStore *moon_application_get_store          (MoonApplication     *self);
MoonDrafts            *moon_application_get_drafts         (MoonApplication     *self);
MoonChatController    *moon_application_get_controller     (MoonApplication     *self);
MoonClient            *moon_application_get_client         (MoonApplication     *self);
char                  *moon_application_dup_base_url       (MoonApplication     *self);
gboolean               moon_application_get_has_api_key    (MoonApplication     *self);
gboolean               moon_application_get_api_key_checked (MoonApplication    *self);
const GError          *moon_application_get_api_key_error  (MoonApplication     *self);
void                   moon_application_set_api_key_async  (MoonApplication     *self,
                                                            const char          *api_key,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
gboolean               moon_application_set_api_key_finish (MoonApplication     *self,
                                                            GAsyncResult        *result,
                                                            GError             **error);
void                   moon_application_show_preferences   (MoonApplication     *self);
gboolean               moon_application_get_saved_for_exit (MoonApplication     *self);

G_END_DECLS
