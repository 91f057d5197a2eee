/* moon-chunk.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-chunk"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "moon-api-error.h"
#include "moon-chunk.h"
#include "moon-json-util.h"

/*
 * Decoding one `data:` payload (kimi-api.md §2.3). A pure function of its
 * input: no I/O, no global state, so a fuzzer can call it directly. Every
 * field may be missing, `null` or of the wrong type; such a field is treated
 * as absent. Malformed input is an error for this one chunk, never a crash.
 */

static void
tool_call_delta_free (gpointer data)
{
  MoonToolCallDelta *delta = data;

  g_free (delta->id);
  g_free (delta->type);
  g_free (delta->name);
  g_free (delta->arguments);
  g_free (delta);
}

static void
choice_delta_free (gpointer data)
{
  MoonChoiceDelta *delta = data;

  g_free (delta->role);
  g_free (delta->content);
  g_free (delta->reasoning_content);
  g_free (delta->refusal);
  g_ptr_array_unref (delta->tool_calls);
  g_free (delta->finish_reason);
  g_free (delta);
}

/**
 * moon_chunk_free:
 * @chunk: (transfer full) (nullable): a chunk
 *
 * Frees a chunk from moon_chunk_parse().
 */
void
moon_chunk_free (MoonChunk *chunk)
{
  if (chunk == NULL)
    return;

  g_free (chunk->id);
  g_free (chunk->object);
  g_free (chunk->model);
  g_ptr_array_unref (chunk->choices);
  g_free (chunk);
}

static char *
dup_string (JsonObject *object,
            const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return g_strdup (json_node_get_string (node));
}

static JsonObject *
get_object (JsonObject *object,
            const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  return json_node_get_object (node);
}

static JsonArray *
get_array (JsonObject *object,
           const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;

  return json_node_get_array (node);
}

/* A non-negative integer member, or @fallback. */
static guint
get_index (JsonObject *object,
           guint       fallback)
{
  JsonNode *node = json_object_get_member (object, "index");
  gint64 value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;

  if (json_node_get_value_type (node) == G_TYPE_INT64)
    value = json_node_get_int (node);
  else if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    value = (gint64) json_node_get_double (node);
  else
    return fallback;

  if (value < 0 || value > G_MAXUINT16)
    return fallback;

  return (guint) value;
}

static gboolean
get_usage (JsonObject *object,
           MoonUsage  *usage)
{
  JsonObject *usage_object = get_object (object, "usage");

  if (usage_object == NULL)
    return FALSE;

  return moon_usage_from_json (usage_object, usage);
}

static MoonToolCallDelta *
parse_tool_call (JsonObject *object,
                 guint       position)
{
  MoonToolCallDelta *delta = g_new0 (MoonToolCallDelta, 1);
  JsonObject *function;

  /* Without an explicit index, a call's place in the array is its index
   * (kimi-api.md §2.3, item 4). */
  delta->index = get_index (object, position);
  delta->id = dup_string (object, "id");
  delta->type = dup_string (object, "type");

  function = get_object (object, "function");
  if (function != NULL)
    {
      JsonNode *arguments = json_object_get_member (function, "arguments");

      delta->name = dup_string (function, "name");

      if (arguments != NULL && JSON_NODE_HOLDS_VALUE (arguments) &&
          json_node_get_value_type (arguments) == G_TYPE_STRING)
        delta->arguments = g_strdup (json_node_get_string (arguments));
      else if (arguments != NULL && (JSON_NODE_HOLDS_OBJECT (arguments) || JSON_NODE_HOLDS_ARRAY (arguments)))
        /* Some servers send the arguments as an object, not a string. */
        delta->arguments = json_to_string (arguments, FALSE);
    }

  return delta;
}

static MoonChoiceDelta *
parse_choice (JsonObject *object,
              guint       position)
{
  MoonChoiceDelta *delta = g_new0 (MoonChoiceDelta, 1);
  JsonObject *body;
  JsonArray *tool_calls;

  delta->index = get_index (object, position);
  delta->tool_calls = g_ptr_array_new_with_free_func (tool_call_delta_free);
  delta->finish_reason = dup_string (object, "finish_reason");
  delta->has_usage = get_usage (object, &delta->usage);

  /* A stream carries `delta`; a whole (non-streaming) reply `message`. */
  body = get_object (object, "delta");
  if (body == NULL)
    body = get_object (object, "message");
  if (body == NULL)
    return delta;

  delta->role = dup_string (body, "role");
  delta->content = dup_string (body, "content");
  delta->reasoning_content = dup_string (body, "reasoning_content");
  delta->refusal = dup_string (body, "refusal");

  tool_calls = get_array (body, "tool_calls");
  if (tool_calls != NULL)
    {
      guint n = json_array_get_length (tool_calls);

      for (guint i = 0; i < n; i++)
        {
          JsonNode *node = json_array_get_element (tool_calls, i);

          if (JSON_NODE_HOLDS_OBJECT (node))
            g_ptr_array_add (delta->tool_calls, parse_tool_call (json_node_get_object (node), i));
        }
    }

  return delta;
}

/* Whether an `error` member means the stream failed: JSON's falsy values
 * (null, false, 0, "") do not. */
static gboolean
error_member_is_set (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return FALSE;

  if (JSON_NODE_HOLDS_VALUE (node))
    {
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_BOOLEAN:
          return json_node_get_boolean (node);
        case G_TYPE_INT64:
          return json_node_get_int (node) != 0;
        case G_TYPE_DOUBLE:
          return json_node_get_double (node) != 0.0;
        case G_TYPE_STRING:
          return json_node_get_string (node)[0] != '\0';
        default:
          return TRUE;
        }
    }

  return TRUE;
}

static GError *
protocol_error (const char *detail)
{
  return g_error_new (MOON_API_ERROR, MOON_API_ERROR_PROTOCOL,
                      /* Translators: an error summary and a detail */
                      _("%s: %s"),
                      moon_api_error_get_summary (MOON_API_ERROR_PROTOCOL),
                      detail);
}

/**
 * moon_chunk_parse:
 * @data: (array length=length): one event's data
 * @length: its length, or -1 if NUL-terminated
 * @error: return location for a #GError
 *
 * Decodes one chunk of a chat-completion stream. A payload with a truthy
 * top-level `error` member is a failure reported by the server: the error is
 * mapped with moon_api_error_new_from_json(). Anything that is not a JSON
 * object (invalid JSON, invalid UTF-8, a lone surrogate escape, two objects
 * run together) fails with %MOON_API_ERROR_PROTOCOL.
 *
 * Returns: (transfer full) (nullable): the chunk, or %NULL with @error set
 */
MoonChunk *
moon_chunk_parse (const char  *data,
                  gssize       length,
                  GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  MoonChunk *chunk;
  JsonObject *root;
  JsonNode *root_node;
  JsonNode *error_member;
  JsonArray *choices;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  /* Never json_parser_new_immutable(): json-glib then aborts on two
   * concatenated values (an assertion in json_parser_get_root()). */
  parser = json_parser_new ();
  if (!moon_json_parser_load (parser, data, length, &local_error))
    {
      g_autofree char *detail = g_strdup_printf (_("a chunk is not valid JSON (%s)"), local_error->message);

      g_propagate_error (error, protocol_error (detail));
      return NULL;
    }

  root_node = json_parser_get_root (parser);
  /* json-glib wraps several concatenated values in an array. */
  if (root_node == NULL || !JSON_NODE_HOLDS_OBJECT (root_node))
    {
      g_propagate_error (error, protocol_error (_("a chunk is not a JSON object")));
      return NULL;
    }

  root = json_node_get_object (root_node);

  error_member = json_object_get_member (root, "error");
  if (error_member_is_set (error_member))
    {
      g_propagate_error (error, moon_api_error_new_from_json (error_member, 0, NULL));
      return NULL;
    }

  chunk = g_new0 (MoonChunk, 1);
  chunk->choices = g_ptr_array_new_with_free_func (choice_delta_free);
  chunk->id = dup_string (root, "id");
  chunk->object = dup_string (root, "object");
  chunk->model = dup_string (root, "model");
  if (json_object_has_member (root, "created") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (root, "created")) &&
      json_node_get_value_type (json_object_get_member (root, "created")) == G_TYPE_INT64)
    chunk->created = json_object_get_int_member (root, "created");

  /* `"usage": null` on intermediate chunks is simply no usage. */
  chunk->has_usage = get_usage (root, &chunk->usage);

  choices = get_array (root, "choices");
  if (choices != NULL)
    {
      guint n = json_array_get_length (choices);

      for (guint i = 0; i < n; i++)
        {
          JsonNode *node = json_array_get_element (choices, i);

          if (JSON_NODE_HOLDS_OBJECT (node))
            g_ptr_array_add (chunk->choices, parse_choice (json_node_get_object (node), i));
        }
    }

  return chunk;
}
