/* moon-chunk.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "moon-usage.h"

G_BEGIN_DECLS

/**
 * MoonToolCallDelta:
 * @index: the call's `index`, or its position in the `tool_calls` array when
 *   the server left `index` out
 * @id: (nullable): the call id, usually only in the first fragment
 * @type: (nullable): the call type (`function`, `builtin_function`)
 * @name: (nullable): the function name
 * @arguments: (nullable): the next fragment of the arguments string
 *
 * One fragment of one tool call, as one chunk carries it.
 */
typedef struct
{
  guint  index;
  char  *id;
  char  *type;
  char  *name;
  char  *arguments;
} MoonToolCallDelta;

/**
 * MoonChoiceDelta:
 * @index: the choice's `index` (its array position when absent)
 * @role: (nullable): `delta.role`
 * @content: (nullable): `delta.content`; %NULL when absent or `null`
 * @reasoning_content: (nullable): `delta.reasoning_content`
 * @refusal: (nullable): `delta.refusal`
 * @tool_calls: (element-type MoonToolCallDelta): tool-call fragments, never %NULL
 * @finish_reason: (nullable): `finish_reason` when not `null`
 * @has_usage: whether the choice carried a `usage` object (Moonshot's place)
 * @usage: that usage
 *
 * What one chunk says about one choice.
 */
typedef struct
{
  guint      index;
  char      *role;
  char      *content;
  char      *reasoning_content;
  char      *refusal;
  GPtrArray *tool_calls;
  char      *finish_reason;
  gboolean   has_usage;
  MoonUsage  usage;
} MoonChoiceDelta;

/**
 * MoonChunk:
 * @id: (nullable): the completion id
 * @object: (nullable): `chat.completion.chunk` (or `chat.completion`)
 * @model: (nullable): the model that answered
 * @created: the `created` timestamp, or 0
 * @choices: (element-type MoonChoiceDelta): never %NULL, may be empty
 * @has_usage: whether a top-level `usage` object was present (a `null`
 *   usage does not count)
 * @usage: that usage
 *
 * One decoded `data:` payload of a chat-completion stream.
 */
typedef struct
{
  char      *id;
  char      *object;
  char      *model;
  gint64     created;
  GPtrArray *choices;
  gboolean   has_usage;
  MoonUsage  usage;
} MoonChunk;

MoonChunk *moon_chunk_parse (const char  *data,
                             gssize       length,
                             GError     **error);
void       moon_chunk_free  (MoonChunk   *chunk);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MoonChunk, moon_chunk_free)

G_END_DECLS
