/* moon-reply.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "moon-chunk.h"
#include "moon-usage.h"

G_BEGIN_DECLS

/**
 * MoonToolCall:
 * @index: the call's index within its choice
 * @id: (nullable): the call id (first fragment that had one)
 * @type: (nullable): the call type
 * @name: (nullable): the function name
 * @arguments: the concatenated arguments fragments
 *
 * One tool call, merged from its fragments.
 */
typedef struct
{
  guint    index;
  char    *id;
  char    *type;
  char    *name;
  GString *arguments;
} MoonToolCall;

/**
 * MoonReplyChoice:
 * @index: the choice index
 * @role: (nullable): the role, from the first delta that had one
 * @content: the concatenated content
 * @reasoning_content: the concatenated reasoning
 * @refusal: the concatenated refusal text
 * @tool_calls: (element-type MoonToolCall): merged calls, sorted by index
 * @finish_reason: (nullable): the last non-null finish reason
 * @has_usage: whether a choice-level usage was seen
 * @usage: the last choice-level usage
 *
 * The accumulated state of one choice.
 */
typedef struct
{
  guint      index;
  char      *role;
  GString   *content;
  GString   *reasoning_content;
  GString   *refusal;
  GPtrArray *tool_calls;
  char      *finish_reason;
  gboolean   has_usage;
  MoonUsage  usage;
} MoonReplyChoice;

/**
 * MoonReplyStatus:
 * @MOON_REPLY_CONTINUE: the event was taken in; more may follow
 * @MOON_REPLY_SKIPPED: the event could not be read and was left out; the
 *   error says why; the stream may go on
 * @MOON_REPLY_DONE: `data: [DONE]`: the reply is complete
 * @MOON_REPLY_FAILED: the server reported an error in the stream; the error
 *   says which; the stream must stop
 *
 * What one event meant for the reply.
 */
typedef enum
{
  MOON_REPLY_CONTINUE,
  MOON_REPLY_SKIPPED,
  MOON_REPLY_DONE,
  MOON_REPLY_FAILED,
} MoonReplyStatus;

typedef struct _MoonReply MoonReply;

MoonReply       *moon_reply_new              (void);
void             moon_reply_free             (MoonReply        *self);
MoonReplyStatus  moon_reply_add_event        (MoonReply        *self,
                                              const char       *event_type,
                                              const char       *data,
                                              gsize             length,
                                              MoonChunk       **out_chunk,
                                              GError          **error);
void             moon_reply_add_chunk        (MoonReply        *self,
                                              const MoonChunk  *chunk);
gboolean         moon_reply_is_done          (MoonReply        *self);
guint            moon_reply_get_n_skipped    (MoonReply        *self);
guint            moon_reply_get_n_choices    (MoonReply        *self);
MoonReplyChoice *moon_reply_get_choice_at    (MoonReply        *self,
                                              guint             position);
MoonReplyChoice *moon_reply_get_choice       (MoonReply        *self,
                                              guint             index);
const MoonUsage *moon_reply_get_usage        (MoonReply        *self);
const char      *moon_reply_get_id           (MoonReply        *self);
const char      *moon_reply_get_model        (MoonReply        *self);

JsonNode        *moon_tool_calls_to_json     (GPtrArray        *tool_calls);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MoonReply, moon_reply_free)

G_END_DECLS
