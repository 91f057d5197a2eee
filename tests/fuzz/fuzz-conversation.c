/* fuzz-conversation.c — the conversation file loader over arbitrary bytes
 *
 * Input: the bytes of a conversation file. They go through what the store
 * does with a file (moon_json_parser_load(), then
 * moon_conversation_new_from_json()).
 *
 * Oracle: a conversation that loads and is writable saves (the store's own
 * rendering) to a file that loads again, writable, and saves to the very
 * same bytes; that file says what moon_conversation_to_json() says; every
 * message survives its own round trip; the Markdown export is valid UTF-8.
 * A file that does not load fails with a history error, never a crash.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "fuzz-history.h"
#include "moon-conversation-private.h"
#include "moon-history-error.h"

static GBytes *
render (MoonConversation *conversation)
{
  g_autoptr(MoonConversationSnapshot) snapshot = _moon_conversation_snapshot (conversation);

  return _moon_conversation_snapshot_render (snapshot);
}

static MoonConversation *
load_own (GBytes *file)
{
  g_autoptr(JsonNode) root = fuzz_json_parse_own (g_bytes_get_data (file, NULL), g_bytes_get_size (file));
  g_autoptr(GError) error = NULL;
  MoonConversation *conversation;

  fuzz_check (JSON_NODE_HOLDS_OBJECT (root));
  conversation = moon_conversation_new_from_json (json_node_get_object (root), &error);
  if (conversation == NULL)
    g_error ("a file Moonchat wrote does not load: %s\n%s", error->message,
             (const char *) g_bytes_get_data (file, NULL));

  return conversation;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonNode) root = fuzz_json_parse_object ((const char *) data, size);
  g_autoptr(MoonConversation) conversation = NULL;
  g_autoptr(MoonConversation) again = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(JsonNode) first_node = NULL;
  g_autoptr(JsonNode) as_json = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *markdown = NULL;
  guint n;

  if (root == NULL)
    return 0;

  conversation = moon_conversation_new_from_json (json_node_get_object (root), &error);
  fuzz_check ((conversation == NULL) == (error != NULL));
  if (conversation == NULL)
    {
      fuzz_check (error->domain == MOON_HISTORY_ERROR);
      fuzz_check (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  fuzz_check (moon_conversation_get_is_loaded (conversation));
  fuzz_check (moon_conversation_get_id (conversation) != NULL);
  fuzz_check (g_utf8_validate (moon_conversation_get_title (conversation), -1, NULL));
  {
    g_autofree char *title = moon_conversation_dup_display_title (conversation);

    fuzz_check (title != NULL && g_utf8_validate (title, -1, NULL));
  }

  n = g_list_model_get_n_items (G_LIST_MODEL (conversation));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MoonMessage) message = g_list_model_get_item (G_LIST_MODEL (conversation), i);

      fuzz_check_message_round_trip (message);
    }

  markdown = moon_conversation_to_markdown (conversation);
  fuzz_check (markdown != NULL && g_utf8_validate (markdown, -1, NULL));

  /* A read-only file (a newer version, a field this version cannot
   * represent) is never written. */
  if (moon_conversation_get_read_only (conversation))
    {
      fuzz_check (moon_conversation_get_read_only_reason (conversation) != NULL);
      return 0;
    }

  first = render (conversation);
  first_node = fuzz_json_parse_own (g_bytes_get_data (first, NULL), g_bytes_get_size (first));
  as_json = moon_conversation_to_json (conversation);
  if (!json_node_equal (first_node, as_json))
    {
      g_autofree char *text = json_to_string (as_json, FALSE);

      g_error ("the saved file and moon_conversation_to_json() differ:\n%s\n%s",
               (const char *) g_bytes_get_data (first, NULL), text);
    }

  again = load_own (first);
  if (moon_conversation_get_read_only (again))
    g_error ("a file Moonchat wrote loads read-only: %s\n%s",
             moon_conversation_get_read_only_reason (again)->message,
             (const char *) g_bytes_get_data (first, NULL));
  fuzz_check (g_list_model_get_n_items (G_LIST_MODEL (again)) == n);

  second = render (again);
  if (!g_bytes_equal (first, second))
    g_error ("a saved file changed when loaded and saved again:\n%s\n%s",
             (const char *) g_bytes_get_data (first, NULL),
             (const char *) g_bytes_get_data (second, NULL));

  return 0;
}
