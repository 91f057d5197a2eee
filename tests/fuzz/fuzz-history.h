/* fuzz-history.h — helpers of the history fuzz targets
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>
#include <string.h>

#include "fuzz-common.h"
#include "moon-json-util.h"
#include "moon-message-private.h"

G_BEGIN_DECLS

/* How deep @node nests arrays and objects. */
static inline guint
fuzz_json_depth (JsonNode *node)
{
  guint deepest = 0;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autoptr(GList) values = json_object_get_values (json_node_get_object (node));

      for (GList *l = values; l != NULL; l = l->next)
        deepest = MAX (deepest, fuzz_json_depth (l->data));
      return deepest + 1;
    }

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        deepest = MAX (deepest, fuzz_json_depth (json_array_get_element (array, i)));
      return deepest + 1;
    }

  return 0;
}

/* Parses outside text the way the history loader does; %NULL unless it is
 * a JSON object. Whatever got through is no deeper than the limit (one
 * more: json-glib wraps values run together in an array). */
static inline JsonNode *
fuzz_json_parse_object (const char *data,
                        gsize       length)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!moon_json_parser_load (parser, data, length, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL)
    return NULL;
  fuzz_check (fuzz_json_depth (root) <= MOON_JSON_MAX_DEPTH + 1);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_parser_steal_root (parser);
}

/* Parses text Moonchat wrote itself: it must parse. */
static inline JsonNode *
fuzz_json_parse_own (const char *data,
                     gsize       length)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  if (!json_parser_load_from_data (parser, data, length, &error))
    g_error ("Moonchat wrote JSON it cannot read back: %s\n%.*s", error->message, (int) length, data);

  return json_parser_steal_root (parser);
}

/* A message that loaded must survive a save and a load unchanged. */
static inline void
fuzz_check_message_round_trip (MoonMessage *message)
{
  g_autoptr(JsonNode) first = moon_message_to_json (message);
  g_autoptr(GBytes) cached = _moon_message_dup_serialized (message);
  g_autoptr(JsonNode) cached_node = NULL;
  g_autoptr(MoonMessage) again = NULL;
  g_autoptr(JsonNode) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first_text = NULL;
  g_autofree char *second_text = NULL;
  MoonMessageState state = moon_message_get_state (message);

  fuzz_check (g_utf8_validate (moon_message_get_content (message), -1, NULL));
  fuzz_check (moon_message_get_content_length (message) == strlen (moon_message_get_content (message)));
  fuzz_check (state != MOON_MESSAGE_STATE_PENDING && state != MOON_MESSAGE_STATE_STREAMING);

  cached_node = fuzz_json_parse_own (g_bytes_get_data (cached, NULL), g_bytes_get_size (cached));
  fuzz_check (json_node_equal (cached_node, first));

  /* Read back from the text a save writes. */
  again = moon_message_new_from_json (json_node_get_object (cached_node), &error);
  if (again == NULL)
    g_error ("a message Moonchat wrote does not load: %s", error->message);

  second = moon_message_to_json (again);
  first_text = json_to_string (first, FALSE);
  second_text = json_to_string (second, FALSE);
  if (g_strcmp0 (first_text, second_text) != 0)
    g_error ("a message changed on a round trip:\n%s\n%s", first_text, second_text);
  fuzz_check (moon_message_get_state (again) == state);
}

G_END_DECLS
