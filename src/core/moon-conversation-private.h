/* moon-conversation-private.h — what the store needs beyond the public API
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "moon-conversation.h"

G_BEGIN_DECLS

/* An immutable picture of a conversation for a save: the document's text
 * before "messages" plus each message's cached JSON. Building one on the main
 * thread costs a reference per message; rendering happens on a worker. */
typedef struct
{
  GBytes    *header;
  GPtrArray *messages;
} MoonConversationSnapshot;

MoonConversation         *_moon_conversation_new_stub          (const char       *id,
                                                                const char       *title,
                                                                gboolean          title_is_custom,
                                                                GDateTime        *created,
                                                                GDateTime        *updated);
void                      _moon_conversation_take_contents     (MoonConversation *self,
                                                                MoonConversation *loaded,
                                                                gboolean          keep_title);
void                      _moon_conversation_take_header       (MoonConversation *self,
                                                                MoonConversation *other);
void                      _moon_conversation_set_read_only     (MoonConversation *self,
                                                                const GError     *reason);

MoonConversationSnapshot *_moon_conversation_snapshot          (MoonConversation *self);
GBytes                   *_moon_conversation_snapshot_render   (MoonConversationSnapshot *snapshot);
void                      _moon_conversation_snapshot_free     (MoonConversationSnapshot *snapshot);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MoonConversationSnapshot, _moon_conversation_snapshot_free)

G_END_DECLS
