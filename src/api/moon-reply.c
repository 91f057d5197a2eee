/* moon-reply.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-reply"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "moon-api-error.h"
#include "moon-json-util.h"
#include "moon-reply.h"

/*
 * MoonReply accumulates the events of one chat-completion stream into the
 * reply they describe (kimi-api.md §2.3–§2.5, §3.6):
 *
 *  - content, reasoning_content and refusal are concatenated per choice;
 *  - tool-call fragments are merged by index (the array position when the
 *    server leaves `index` out); id/type/name come from the first fragment
 *    that has them, arguments are concatenated;
 *  - finish_reason is the last non-null one;
 *  - usage: a top-level `usage` wins, else the choice-level one; the two are
 *    never added (they are the same numbers);
 *  - only `data: [DONE]` completes the reply; an `error` object or an
 *    `event: error` ends it with that error; a payload that is not JSON is
 *    skipped and counted.
 *
 * Like the parser, it is plain data with no I/O, for tests and fuzzers.
 */

struct _MoonReply
{
  GPtrArray *choices;       /* MoonReplyChoice*, sorted by index */
  char      *id;
  char      *model;
  gboolean   has_usage;     /* a top-level usage was seen */
  MoonUsage  usage;
  gboolean   done;
  guint      n_skipped;
};

static void
tool_call_free (gpointer data)
{
  MoonToolCall *call = data;

  g_free (call->id);
  g_free (call->type);
  g_free (call->name);
  g_string_free (call->arguments, TRUE);
  g_free (call);
}

static void
reply_choice_free (gpointer data)
{
  MoonReplyChoice *choice = data;

  g_free (choice->role);
  g_string_free (choice->content, TRUE);
  g_string_free (choice->reasoning_content, TRUE);
  g_string_free (choice->refusal, TRUE);
  g_ptr_array_unref (choice->tool_calls);
  g_free (choice->finish_reason);
  g_free (choice);
}

/**
 * moon_reply_new:
 *
 * Returns: (transfer full): an empty reply
 */
MoonReply *
moon_reply_new (void)
{
  MoonReply *self = g_new0 (MoonReply, 1);

  self->choices = g_ptr_array_new_with_free_func (reply_choice_free);

  return self;
}

/**
 * moon_reply_free:
 * @self: (transfer full) (nullable): a reply
 */
void
moon_reply_free (MoonReply *self)
{
  if (self == NULL)
    return;

  g_ptr_array_unref (self->choices);
  g_free (self->id);
  g_free (self->model);
  g_free (self);
}

static MoonReplyChoice *
ensure_choice (MoonReply *self,
               guint      index)
{
  MoonReplyChoice *choice;
  guint position;

  for (position = 0; position < self->choices->len; position++)
    {
      choice = g_ptr_array_index (self->choices, position);

      if (choice->index == index)
        return choice;
      if (choice->index > index)
        break;
    }

  choice = g_new0 (MoonReplyChoice, 1);
  choice->index = index;
  choice->content = g_string_new (NULL);
  choice->reasoning_content = g_string_new (NULL);
  choice->refusal = g_string_new (NULL);
  choice->tool_calls = g_ptr_array_new_with_free_func (tool_call_free);
  g_ptr_array_insert (self->choices, position, choice);

  return choice;
}

static MoonToolCall *
ensure_tool_call (MoonReplyChoice *choice,
                  guint            index)
{
  MoonToolCall *call;
  guint position;

  for (position = 0; position < choice->tool_calls->len; position++)
    {
      call = g_ptr_array_index (choice->tool_calls, position);

      if (call->index == index)
        return call;
      if (call->index > index)
        break;
    }

  call = g_new0 (MoonToolCall, 1);
  call->index = index;
  call->arguments = g_string_new (NULL);
  g_ptr_array_insert (choice->tool_calls, position, call);

  return call;
}

static void
take_first (char       **field,
            const char  *value)
{
  if (value != NULL && value[0] != '\0' && (*field == NULL || (*field)[0] == '\0'))
    {
      g_free (*field);
      *field = g_strdup (value);
    }
}

/**
 * moon_reply_add_chunk:
 * @self: a reply
 * @chunk: a decoded chunk
 *
 * Merges @chunk into the reply.
 */
void
moon_reply_add_chunk (MoonReply       *self,
                      const MoonChunk *chunk)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (chunk != NULL);

  take_first (&self->id, chunk->id);
  take_first (&self->model, chunk->model);

  if (chunk->has_usage)
    {
      self->has_usage = TRUE;
      self->usage = chunk->usage;
    }

  for (guint i = 0; i < chunk->choices->len; i++)
    {
      const MoonChoiceDelta *delta = g_ptr_array_index (chunk->choices, i);
      MoonReplyChoice *choice = ensure_choice (self, delta->index);

      take_first (&choice->role, delta->role);

      if (delta->content != NULL)
        g_string_append (choice->content, delta->content);
      if (delta->reasoning_content != NULL)
        g_string_append (choice->reasoning_content, delta->reasoning_content);
      if (delta->refusal != NULL)
        g_string_append (choice->refusal, delta->refusal);

      for (guint j = 0; j < delta->tool_calls->len; j++)
        {
          const MoonToolCallDelta *fragment = g_ptr_array_index (delta->tool_calls, j);
          MoonToolCall *call = ensure_tool_call (choice, fragment->index);

          take_first (&call->id, fragment->id);
          take_first (&call->type, fragment->type);
          take_first (&call->name, fragment->name);
          if (fragment->arguments != NULL)
            g_string_append (call->arguments, fragment->arguments);
        }

      if (delta->finish_reason != NULL)
        {
          g_free (choice->finish_reason);
          choice->finish_reason = g_strdup (delta->finish_reason);
        }

      if (delta->has_usage)
        {
          choice->has_usage = TRUE;
          choice->usage = delta->usage;
        }
    }
}

static gboolean
is_blank (const char *data,
          gsize       length)
{
  for (gsize i = 0; i < length; i++)
    {
      if (!g_ascii_isspace (data[i]))
        return FALSE;
    }

  return TRUE;
}

static gboolean
is_done_marker (const char *data,
                gsize       length)
{
  while (length > 0 && g_ascii_isspace (data[0]))
    {
      data++;
      length--;
    }
  while (length > 0 && g_ascii_isspace (data[length - 1]))
    length--;

  return length == 6 && memcmp (data, "[DONE]", 6) == 0;
}

/* `event: error` (openai-node treats it as fatal): the payload is usually
 * `{"error": {...}}`, sometimes the error object itself or plain text. */
static GError *
error_from_error_event (const char *data,
                        gsize       length)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (moon_json_parser_load (parser, data, length, NULL) &&
      json_parser_get_root (parser) != NULL &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      JsonObject *root = json_node_get_object (json_parser_get_root (parser));
      JsonNode *member = json_object_get_member (root, "error");

      if (member != NULL && !JSON_NODE_HOLDS_NULL (member))
        return moon_api_error_new_from_json (member, 0, NULL);

      return moon_api_error_new_from_json (json_parser_get_root (parser), 0, NULL);
    }

  {
    g_autofree char *text = moon_api_error_dup_readable_text (data, length, 300);

    return moon_api_error_new_full (MOON_API_ERROR_SERVER, 0, NULL, text, NULL);
  }
}

/**
 * moon_reply_add_event:
 * @self: a reply
 * @event_type: (nullable): the SSE event type
 * @data: (array length=length): the event data
 * @length: its length
 * @out_chunk: (out) (optional) (transfer full): the decoded chunk, when the
 *   status is %MOON_REPLY_CONTINUE and the event carried one
 * @error: return location for a #GError
 *
 * Takes in one SSE event of a chat-completion stream. Empty data is ignored
 * (never given to the JSON parser).
 *
 * Returns: what the event meant; @error is set for %MOON_REPLY_SKIPPED and
 *   %MOON_REPLY_FAILED
 */
MoonReplyStatus
moon_reply_add_event (MoonReply   *self,
                      const char  *event_type,
                      const char  *data,
                      gsize        length,
                      MoonChunk  **out_chunk,
                      GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(MoonChunk) chunk = NULL;

  g_return_val_if_fail (self != NULL, MOON_REPLY_FAILED);
  g_return_val_if_fail (data != NULL || length == 0, MOON_REPLY_FAILED);

  if (out_chunk != NULL)
    *out_chunk = NULL;

  if (g_strcmp0 (event_type, "error") == 0)
    {
      g_propagate_error (error, error_from_error_event (data, length));
      return MOON_REPLY_FAILED;
    }

  if (is_blank (data, length))
    return MOON_REPLY_CONTINUE;

  if (is_done_marker (data, length))
    {
      self->done = TRUE;
      return MOON_REPLY_DONE;
    }

  chunk = moon_chunk_parse (data, length, &local_error);
  if (chunk == NULL)
    {
      if (g_error_matches (local_error, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL))
        {
          self->n_skipped++;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return MOON_REPLY_SKIPPED;
        }

      g_propagate_error (error, g_steal_pointer (&local_error));
      return MOON_REPLY_FAILED;
    }

  moon_reply_add_chunk (self, chunk);

  if (out_chunk != NULL)
    *out_chunk = g_steal_pointer (&chunk);

  return MOON_REPLY_CONTINUE;
}

/**
 * moon_reply_is_done:
 * @self: a reply
 *
 * Returns: %TRUE once `data: [DONE]` was seen
 */
gboolean
moon_reply_is_done (MoonReply *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->done;
}

/**
 * moon_reply_get_n_skipped:
 * @self: a reply
 *
 * Returns: how many events could not be read and were left out
 */
guint
moon_reply_get_n_skipped (MoonReply *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_skipped;
}

/**
 * moon_reply_get_n_choices:
 * @self: a reply
 *
 * Returns: how many choices have been seen
 */
guint
moon_reply_get_n_choices (MoonReply *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->choices->len;
}

/**
 * moon_reply_get_choice_at:
 * @self: a reply
 * @position: 0 to moon_reply_get_n_choices() - 1
 *
 * Returns: (transfer none): the choice at @position, in index order
 */
MoonReplyChoice *
moon_reply_get_choice_at (MoonReply *self,
                          guint      position)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (position < self->choices->len, NULL);

  return g_ptr_array_index (self->choices, position);
}

/**
 * moon_reply_get_choice:
 * @self: a reply
 * @index: a choice index
 *
 * Returns: (transfer none) (nullable): the choice with @index, if seen
 */
MoonReplyChoice *
moon_reply_get_choice (MoonReply *self,
                       guint      index)
{
  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->choices->len; i++)
    {
      MoonReplyChoice *choice = g_ptr_array_index (self->choices, i);

      if (choice->index == index)
        return choice;
    }

  return NULL;
}

/**
 * moon_reply_get_usage:
 * @self: a reply
 *
 * The reply's usage: the last top-level `usage` if any chunk had one, else
 * the last `usage` inside choice 0 (Moonshot's documented place). Never the
 * sum of both.
 *
 * Returns: (nullable): the usage, or %NULL if the server sent none
 */
const MoonUsage *
moon_reply_get_usage (MoonReply *self)
{
  MoonReplyChoice *first;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->has_usage)
    return &self->usage;

  first = moon_reply_get_choice (self, 0);
  if (first != NULL && first->has_usage)
    return &first->usage;

  return NULL;
}

/**
 * moon_reply_get_id:
 * @self: a reply
 *
 * Returns: (nullable): the completion id
 */
const char *
moon_reply_get_id (MoonReply *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->id;
}

/**
 * moon_reply_get_model:
 * @self: a reply
 *
 * Returns: (nullable): the model the server says answered
 */
const char *
moon_reply_get_model (MoonReply *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->model;
}

/**
 * moon_tool_calls_to_json:
 * @tool_calls: (element-type MoonToolCall): merged tool calls
 *
 * Serializes tool calls in the shape an assistant message must echo back:
 * `[{"id", "type", "function": {"name", "arguments"}}]`.
 *
 * Returns: (transfer full): a JSON array node
 */
JsonNode *
moon_tool_calls_to_json (GPtrArray *tool_calls)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (tool_calls != NULL, NULL);

  json_builder_begin_array (builder);
  for (guint i = 0; i < tool_calls->len; i++)
    {
      MoonToolCall *call = g_ptr_array_index (tool_calls, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, call->id ? call->id : "");
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, call->type ? call->type : "function");
      json_builder_set_member_name (builder, "function");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, call->name ? call->name : "");
      json_builder_set_member_name (builder, "arguments");
      json_builder_add_string_value (builder, call->arguments->str);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  return json_builder_get_root (builder);
}
