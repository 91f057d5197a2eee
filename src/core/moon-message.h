/* moon-message.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "moon-usage.h"

G_BEGIN_DECLS

/**
 * MoonMessageRole:
 * @MOON_MESSAGE_ROLE_SYSTEM: a system prompt
 * @MOON_MESSAGE_ROLE_USER: something the user wrote
 * @MOON_MESSAGE_ROLE_ASSISTANT: a reply of the model
 * @MOON_MESSAGE_ROLE_TOOL: the result of a tool call
 *
 * Who a message is from. Serialized as `system`, `user`, `assistant`, `tool`.
 */
typedef enum
{
  MOON_MESSAGE_ROLE_SYSTEM,
  MOON_MESSAGE_ROLE_USER,
  MOON_MESSAGE_ROLE_ASSISTANT,
  MOON_MESSAGE_ROLE_TOOL,
} MoonMessageRole;

/**
 * MoonMessageState:
 * @MOON_MESSAGE_STATE_PENDING: the request is sent, nothing came back yet
 * @MOON_MESSAGE_STATE_STREAMING: the reply is arriving
 * @MOON_MESSAGE_STATE_DONE: complete
 * @MOON_MESSAGE_STATE_CANCELLED: the user stopped the reply
 * @MOON_MESSAGE_STATE_FAILED: the request failed (see #MoonMessage:error)
 * @MOON_MESSAGE_STATE_INTERRUPTED: the file said pending or streaming when it
 *   was loaded, so the app stopped in the middle of the reply; the text up to
 *   the last checkpoint is kept
 *
 * Where a message is in its life. Serialized as `pending`, `streaming`,
 * `done`, `cancelled`, `failed`, `interrupted`.
 */
typedef enum
{
  MOON_MESSAGE_STATE_PENDING,
  MOON_MESSAGE_STATE_STREAMING,
  MOON_MESSAGE_STATE_DONE,
  MOON_MESSAGE_STATE_CANCELLED,
  MOON_MESSAGE_STATE_FAILED,
  MOON_MESSAGE_STATE_INTERRUPTED,
} MoonMessageState;

#define MOON_TYPE_MESSAGE_ROLE  (moon_message_role_get_type ())
#define MOON_TYPE_MESSAGE_STATE (moon_message_state_get_type ())
#define MOON_TYPE_MESSAGE       (moon_message_get_type ())

GType moon_message_role_get_type  (void) G_GNUC_CONST;
GType moon_message_state_get_type (void) G_GNUC_CONST;

G_DECLARE_FINAL_TYPE (MoonMessage, moon_message, MOON, MESSAGE, GObject)

const char       *moon_message_role_to_string          (MoonMessageRole   role);
gboolean          moon_message_role_from_string        (const char       *str,
                                                        MoonMessageRole  *out_role);
const char       *moon_message_state_to_string         (MoonMessageState  state);
gboolean          moon_message_state_from_string       (const char       *str,
                                                        MoonMessageState *out_state);

MoonMessage      *moon_message_new                     (MoonMessageRole   role,
                                                        const char       *content);
MoonMessage      *moon_message_new_from_json           (JsonObject       *object,
                                                        GError          **error);
JsonNode         *moon_message_to_json                 (MoonMessage      *self);

const char       *moon_message_get_id                  (MoonMessage      *self);
MoonMessageRole   moon_message_get_role                (MoonMessage      *self);
const char       *moon_message_get_content             (MoonMessage      *self);
gsize             moon_message_get_content_length      (MoonMessage      *self);
void              moon_message_set_content             (MoonMessage      *self,
                                                        const char       *content);
void              moon_message_append_content          (MoonMessage      *self,
                                                        const char       *text,
                                                        gssize            len);
const char       *moon_message_get_reasoning_content   (MoonMessage      *self);
void              moon_message_set_reasoning_content   (MoonMessage      *self,
                                                        const char       *reasoning_content);
void              moon_message_append_reasoning_content (MoonMessage     *self,
                                                        const char       *text,
                                                        gssize            len);
const char       *moon_message_get_name                (MoonMessage      *self);
void              moon_message_set_name                (MoonMessage      *self,
                                                        const char       *name);
gboolean          moon_message_get_partial             (MoonMessage      *self);
void              moon_message_set_partial             (MoonMessage      *self,
                                                        gboolean          partial);
MoonMessageState  moon_message_get_state               (MoonMessage      *self);
void              moon_message_set_state               (MoonMessage      *self,
                                                        MoonMessageState  state);
gboolean          moon_message_is_finished             (MoonMessage      *self);
const char       *moon_message_get_finish_reason       (MoonMessage      *self);
void              moon_message_set_finish_reason       (MoonMessage      *self,
                                                        const char       *finish_reason);
const char       *moon_message_get_model               (MoonMessage      *self);
void              moon_message_set_model               (MoonMessage      *self,
                                                        const char       *model);
GDateTime        *moon_message_get_created             (MoonMessage      *self);
void              moon_message_set_created             (MoonMessage      *self,
                                                        GDateTime        *created);
const GError     *moon_message_get_error               (MoonMessage      *self);
void              moon_message_set_error               (MoonMessage      *self,
                                                        const GError     *error);
const MoonUsage  *moon_message_get_usage               (MoonMessage      *self);
void              moon_message_set_usage               (MoonMessage      *self,
                                                        const MoonUsage  *usage);
const char       *moon_message_get_tool_call_id        (MoonMessage      *self);
void              moon_message_set_tool_call_id        (MoonMessage      *self,
                                                        const char       *tool_call_id);
JsonArray        *moon_message_get_tool_calls          (MoonMessage      *self);
void              moon_message_append_tool_call_delta  (MoonMessage      *self,
                                                        guint             index,
                                                        const char       *id,
                                                        const char       *type,
                                                        const char       *function_name,
                                                        const char       *arguments_fragment);

G_END_DECLS
