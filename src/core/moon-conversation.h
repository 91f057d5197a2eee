/* moon-conversation.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "moon-message.h"

G_BEGIN_DECLS

/**
 * MOON_CONVERSATION_FORMAT:
 *
 * The `format` member of every conversation file.
 */
#define MOON_CONVERSATION_FORMAT "moonchat-conversation"

/**
 * MOON_CONVERSATION_VERSION:
 *
 * The major `version` this Moonchat writes. Files with a larger major
 * version are opened read-only and never written.
 */
#define MOON_CONVERSATION_VERSION 1

#define MOON_TYPE_CONVERSATION (moon_conversation_get_type ())

G_DECLARE_FINAL_TYPE (MoonConversation, moon_conversation, MOON, CONVERSATION, GObject)

MoonConversation *moon_conversation_new                       (void);
MoonConversation *moon_conversation_new_from_json             (JsonObject       *root,
                                                               GError          **error);
JsonNode         *moon_conversation_to_json                   (MoonConversation *self);
char             *moon_conversation_to_markdown               (MoonConversation *self);

const char       *moon_conversation_get_id                    (MoonConversation *self);
const char       *moon_conversation_get_title                 (MoonConversation *self);
char             *moon_conversation_dup_display_title         (MoonConversation *self);
void              moon_conversation_set_title                 (MoonConversation *self,
                                                               const char       *title);
gboolean          moon_conversation_get_title_is_custom       (MoonConversation *self);
GDateTime        *moon_conversation_get_created               (MoonConversation *self);
GDateTime        *moon_conversation_get_updated               (MoonConversation *self);
gint64            moon_conversation_get_updated_unix          (MoonConversation *self);
void              moon_conversation_touch                     (MoonConversation *self);

const char       *moon_conversation_get_model                 (MoonConversation *self);
void              moon_conversation_set_model                 (MoonConversation *self,
                                                               const char       *model);
const char       *moon_conversation_get_system_prompt         (MoonConversation *self);
void              moon_conversation_set_system_prompt         (MoonConversation *self,
                                                               const char       *system_prompt);
double            moon_conversation_get_temperature           (MoonConversation *self);
void              moon_conversation_set_temperature           (MoonConversation *self,
                                                               double            temperature);
int               moon_conversation_get_max_tokens            (MoonConversation *self);
void              moon_conversation_set_max_tokens            (MoonConversation *self,
                                                               int               max_tokens);
guint             moon_conversation_get_context_message_limit (MoonConversation *self);
void              moon_conversation_set_context_message_limit (MoonConversation *self,
                                                               guint             limit);
guint             moon_conversation_get_context_token_budget  (MoonConversation *self);
void              moon_conversation_set_context_token_budget  (MoonConversation *self,
                                                               guint             budget);
gboolean          moon_conversation_get_thinking              (MoonConversation *self);
void              moon_conversation_set_thinking              (MoonConversation *self,
                                                               gboolean          thinking);
gboolean          moon_conversation_get_summary_enabled       (MoonConversation *self);
void              moon_conversation_set_summary_enabled       (MoonConversation *self,
                                                               gboolean          summary_enabled);
const char       *moon_conversation_get_partial_prefix        (MoonConversation *self);
void              moon_conversation_set_partial_prefix        (MoonConversation *self,
                                                               const char       *partial_prefix);
const char       *moon_conversation_get_partial_name          (MoonConversation *self);
void              moon_conversation_set_partial_name          (MoonConversation *self,
                                                               const char       *partial_name);

const char       *moon_conversation_get_summary               (MoonConversation *self);
const char       *moon_conversation_get_summary_first_id      (MoonConversation *self);
const char       *moon_conversation_get_summary_last_id       (MoonConversation *self);
void              moon_conversation_set_summary               (MoonConversation *self,
                                                               const char       *text,
                                                               const char       *first_message_id,
                                                               const char       *last_message_id);

gboolean          moon_conversation_get_is_loaded             (MoonConversation *self);
gboolean          moon_conversation_get_is_busy               (MoonConversation *self);
gboolean          moon_conversation_get_read_only             (MoonConversation *self);
const GError     *moon_conversation_get_read_only_reason      (MoonConversation *self);

void              moon_conversation_append_message            (MoonConversation *self,
                                                               MoonMessage      *message);
gboolean          moon_conversation_remove_message            (MoonConversation *self,
                                                               MoonMessage      *message);
guint             moon_conversation_truncate_after            (MoonConversation *self,
                                                               MoonMessage      *message);
void              moon_conversation_set_message_text          (MoonConversation *self,
                                                               MoonMessage      *message,
                                                               const char       *text);
MoonMessage      *moon_conversation_find_message              (MoonConversation *self,
                                                               const char       *id,
                                                               guint            *out_position);
MoonMessage      *moon_conversation_get_last_message          (MoonConversation *self);

G_END_DECLS
