/* test-conversation.c — MoonConversation: list model, title, editing, JSON
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "moon-conversation.h"
#include "moon-history-error.h"

typedef struct
{
  guint position;
  guint removed;
  guint added;
  guint count;
} ItemsChanged;

static void
items_changed_cb (GListModel   *model,
                  guint         position,
                  guint         removed,
                  guint         added,
                  ItemsChanged *last)
{
  last->position = position;
  last->removed = removed;
  last->added = added;
  last->count++;
}

static void
count_cb (gpointer  instance,
          guint    *count)
{
  (*count)++;
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static MoonMessage *
append (MoonConversation *conversation,
        MoonMessageRole   role,
        const char       *text)
{
  g_autoptr(MoonMessage) message = moon_message_new (role, text);

  moon_conversation_append_message (conversation, message);
  return message;  /* the conversation keeps it */
}

static void
test_list_model_and_editing (void)
{
  g_autoptr(MoonConversation) conversation = moon_conversation_new ();
  ItemsChanged last = { 0 };
  guint changed = 0;
  MoonMessage *first, *second, *third;
  g_autoptr(MoonMessage) item = NULL;

  g_assert_true (g_type_is_a (g_list_model_get_item_type (G_LIST_MODEL (conversation)), MOON_TYPE_MESSAGE));
  g_assert_true (moon_conversation_get_is_loaded (conversation));
  g_assert_true (g_uuid_string_is_valid (moon_conversation_get_id (conversation)));

  g_signal_connect (conversation, "items-changed", G_CALLBACK (items_changed_cb), &last);
  g_signal_connect (conversation, "changed", G_CALLBACK (count_cb), &changed);

  first = g_object_ref (append (conversation, MOON_MESSAGE_ROLE_USER, "one"));
  g_assert_cmpuint (last.position, ==, 0);
  g_assert_cmpuint (last.added, ==, 1);
  second = g_object_ref (append (conversation, MOON_MESSAGE_ROLE_ASSISTANT, "two"));
  third = append (conversation, MOON_MESSAGE_ROLE_USER, "three");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 3);
  g_assert_cmpuint (last.position, ==, 2);
  g_assert_cmpuint (changed, ==, 3);

  item = g_list_model_get_item (G_LIST_MODEL (conversation), 1);
  g_assert_true (item == second);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (conversation), 3));
  g_assert_true (moon_conversation_find_message (conversation, moon_message_get_id (third), NULL) == third);
  g_assert_true (moon_conversation_get_last_message (conversation) == third);

  /* A change inside a message is a change of the conversation. */
  moon_message_append_content (second, " and more", -1);
  g_assert_cmpuint (changed, ==, 4);

  moon_conversation_set_message_text (conversation, first, "uno");
  g_assert_cmpstr (moon_message_get_content (first), ==, "uno");

  /* Regenerate: drop everything after the first message. */
  g_assert_cmpuint (moon_conversation_truncate_after (conversation, first), ==, 2);
  g_assert_cmpuint (last.position, ==, 1);
  g_assert_cmpuint (last.removed, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 1);

  /* Removed messages no longer affect the conversation. */
  changed = 0;
  moon_message_set_content (second, "ignored");
  g_assert_cmpuint (changed, ==, 0);

  g_assert_true (moon_conversation_remove_message (conversation, first));
  g_assert_false (moon_conversation_remove_message (conversation, first));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 0);

  g_clear_object (&item);
  g_assert_finalize_object (g_steal_pointer (&conversation));
  g_assert_finalize_object (first);
  g_assert_finalize_object (second);
}

static void
test_title (void)
{
  g_autoptr(MoonConversation) conversation = moon_conversation_new ();
  g_autofree char *display = NULL;
  MoonMessage *user;
  guint notifies = 0;

  g_signal_connect (conversation, "notify::title", G_CALLBACK (count_notify_cb), &notifies);

  g_assert_cmpstr (moon_conversation_get_title (conversation), ==, "");
  display = moon_conversation_dup_display_title (conversation);
  g_assert_cmpstr (display, !=, "");

  append (conversation, MOON_MESSAGE_ROLE_SYSTEM, "You are helpful");
  g_assert_cmpstr (moon_conversation_get_title (conversation), ==, "");

  user = append (conversation, MOON_MESSAGE_ROLE_USER, "  How do I\n\n  bake   bread?  ");
  g_assert_cmpstr (moon_conversation_get_title (conversation), ==, "How do I bake bread?");
  g_assert_false (moon_conversation_get_title_is_custom (conversation));

  /* Only the first user message counts. */
  append (conversation, MOON_MESSAGE_ROLE_USER, "Something else");
  g_assert_cmpstr (moon_conversation_get_title (conversation), ==, "How do I bake bread?");

  /* Editing it follows. Long titles are cut at a character boundary. */
  moon_conversation_set_message_text (conversation, user,
                                      "月亮为什么会有阴晴圆缺？请详细地解释一下其中的天文学原理，以及古人是如何理解这一现象的，还有潮汐的关系，谢谢！");
  g_assert_true (g_str_has_suffix (moon_conversation_get_title (conversation), "…"));
  g_assert_true (g_utf8_validate (moon_conversation_get_title (conversation), -1, NULL));
  g_assert_cmpint (g_utf8_strlen (moon_conversation_get_title (conversation), -1), <=, 48);

  /* A rename sticks... */
  moon_conversation_set_title (conversation, "  Bread  ");
  g_assert_cmpstr (moon_conversation_get_title (conversation), ==, "Bread");
  g_assert_true (moon_conversation_get_title_is_custom (conversation));
  moon_conversation_set_message_text (conversation, user, "Cake?");
  g_assert_cmpstr (moon_conversation_get_title (conversation), ==, "Bread");

  /* ...until it is cleared. */
  moon_conversation_set_title (conversation, NULL);
  g_assert_false (moon_conversation_get_title_is_custom (conversation));
  g_assert_cmpstr (moon_conversation_get_title (conversation), ==, "Cake?");
  g_assert_cmpuint (notifies, >=, 4);
}

static void
test_busy_and_updated (void)
{
  g_autoptr(MoonConversation) conversation = moon_conversation_new ();
  g_autoptr(GDateTime) before = NULL;
  MoonMessage *reply;
  guint busy_notifies = 0;

  g_signal_connect (conversation, "notify::is-busy", G_CALLBACK (count_notify_cb), &busy_notifies);

  before = g_date_time_ref (moon_conversation_get_updated (conversation));
  append (conversation, MOON_MESSAGE_ROLE_USER, "hi");
  g_assert_cmpint (g_date_time_compare (moon_conversation_get_updated (conversation), before), >, 0);

  reply = append (conversation, MOON_MESSAGE_ROLE_ASSISTANT, "");
  moon_message_set_state (reply, MOON_MESSAGE_STATE_STREAMING);
  g_assert_true (moon_conversation_get_is_busy (conversation));

  g_clear_pointer (&before, g_date_time_unref);
  before = g_date_time_ref (moon_conversation_get_updated (conversation));
  moon_message_append_content (reply, "Hel", -1);
  /* Deltas do not move the conversation in the list... */
  g_assert_true (g_date_time_equal (moon_conversation_get_updated (conversation), before));

  moon_message_set_state (reply, MOON_MESSAGE_STATE_DONE);
  g_assert_false (moon_conversation_get_is_busy (conversation));
  /* ...finishing does. */
  g_assert_cmpint (g_date_time_compare (moon_conversation_get_updated (conversation), before), >, 0);
  g_assert_cmpint (moon_conversation_get_updated_unix (conversation), ==,
                   g_date_time_to_unix (moon_conversation_get_updated (conversation)));
  g_assert_cmpuint (busy_notifies, ==, 2);
}

static MoonConversation *
parse_conversation (const char  *text,
                    GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) parse_error = NULL;

  json_parser_load_from_data (parser, text, -1, &parse_error);
  g_assert_no_error (parse_error);
  return moon_conversation_new_from_json (json_node_get_object (json_parser_get_root (parser)), error);
}

static void
test_json_round_trip (void)
{
  g_autoptr(MoonConversation) conversation = moon_conversation_new ();
  g_autoptr(MoonConversation) copy = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *markdown = NULL;
  MoonMessage *user;

  moon_conversation_set_model (conversation, "kimi-k2-turbo-preview");
  moon_conversation_set_system_prompt (conversation, "你是 Kimi。");
  moon_conversation_set_temperature (conversation, 0.6);
  moon_conversation_set_max_tokens (conversation, 2048);
  moon_conversation_set_context_message_limit (conversation, 0);
  moon_conversation_set_context_token_budget (conversation, 30000);
  moon_conversation_set_thinking (conversation, TRUE);
  moon_conversation_set_summary_enabled (conversation, TRUE);
  moon_conversation_set_partial_prefix (conversation, "Once upon");
  moon_conversation_set_partial_name (conversation, "Narrator");
  user = append (conversation, MOON_MESSAGE_ROLE_USER, "שלום עולם 👋");
  append (conversation, MOON_MESSAGE_ROLE_ASSISTANT, "**Hi!**");
  moon_conversation_set_summary (conversation, "They greeted.", moon_message_get_id (user), moon_message_get_id (user));

  node = moon_conversation_to_json (conversation);
  text = json_to_string (node, TRUE);
  copy = parse_conversation (text, &error);
  g_assert_no_error (error);

  g_assert_false (moon_conversation_get_read_only (copy));
  g_assert_cmpstr (moon_conversation_get_id (copy), ==, moon_conversation_get_id (conversation));
  g_assert_cmpstr (moon_conversation_get_title (copy), ==, "שלום עולם 👋");
  g_assert_false (moon_conversation_get_title_is_custom (copy));
  g_assert_cmpstr (moon_conversation_get_model (copy), ==, "kimi-k2-turbo-preview");
  g_assert_cmpstr (moon_conversation_get_system_prompt (copy), ==, "你是 Kimi。");
  g_assert_cmpfloat (moon_conversation_get_temperature (copy), ==, 0.6);
  g_assert_cmpint (moon_conversation_get_max_tokens (copy), ==, 2048);
  g_assert_cmpuint (moon_conversation_get_context_message_limit (copy), ==, 0);
  g_assert_cmpuint (moon_conversation_get_context_token_budget (copy), ==, 30000);
  g_assert_true (moon_conversation_get_thinking (copy));
  g_assert_true (moon_conversation_get_summary_enabled (copy));
  g_assert_cmpstr (moon_conversation_get_partial_prefix (copy), ==, "Once upon");
  g_assert_cmpstr (moon_conversation_get_partial_name (copy), ==, "Narrator");
  g_assert_cmpstr (moon_conversation_get_summary (copy), ==, "They greeted.");
  g_assert_cmpstr (moon_conversation_get_summary_first_id (copy), ==, moon_message_get_id (user));
  g_assert_true (g_date_time_equal (moon_conversation_get_created (copy), moon_conversation_get_created (conversation)));
  g_assert_true (g_date_time_equal (moon_conversation_get_updated (copy), moon_conversation_get_updated (conversation)));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (copy)), ==, 2);

  markdown = moon_conversation_to_markdown (copy);
  g_assert_true (g_str_has_prefix (markdown, "# שלום עולם 👋\n"));
  g_assert_nonnull (strstr (markdown, "你是 Kimi。"));
  g_assert_nonnull (strstr (markdown, "**Hi!**"));
}

static void
test_defaults_and_omitted_settings (void)
{
  g_autoptr(MoonConversation) conversation = moon_conversation_new ();
  g_autoptr(JsonNode) node = moon_conversation_to_json (conversation);
  JsonObject *root = json_node_get_object (node);
  JsonObject *settings = json_object_get_object_member (root, "settings");

  g_assert_cmpfloat (moon_conversation_get_temperature (conversation), ==, -1.0);
  g_assert_cmpint (moon_conversation_get_max_tokens (conversation), ==, 0);
  g_assert_cmpuint (moon_conversation_get_context_message_limit (conversation), ==, 20);
  g_assert_false (json_object_has_member (settings, "temperature"));
  g_assert_false (json_object_has_member (settings, "max_tokens"));
  g_assert_false (json_object_has_member (root, "summary"));
  g_assert_cmpstr (json_object_get_string_member (root, "format"), ==, "moonchat-conversation");
  g_assert_cmpint (json_object_get_int_member (root, "version"), ==, 1);
  /* RFC 3339 in UTC. */
  g_assert_true (g_str_has_suffix (json_object_get_string_member (root, "created"), "Z"));
}

static void
test_from_json_errors (void)
{
  struct {
    const char *text;
    gboolean    loads;     /* FALSE: error; TRUE: loads (maybe read-only) */
    int         read_only; /* -1: writable, else the error code */
  } cases[] = {
    { "{}", FALSE, -1 },
    { "{\"format\":\"something-else\",\"version\":1,\"messages\":[]}", FALSE, -1 },
    { "{\"format\":\"moonchat-conversation\",\"messages\":[]}", FALSE, -1 },
    { "{\"format\":\"moonchat-conversation\",\"version\":\"1\",\"messages\":[]}", FALSE, -1 },
    { "{\"format\":\"moonchat-conversation\",\"version\":1}", FALSE, -1 },
    { "{\"format\":\"moonchat-conversation\",\"version\":1,\"messages\":{}}", FALSE, -1 },
    { "{\"format\":\"moonchat-conversation\",\"version\":1,\"messages\":[]}", TRUE, -1 },
    { "{\"format\":\"moonchat-conversation\",\"version\":1.7,\"messages\":[]}", TRUE, -1 },
    { "{\"format\":\"moonchat-conversation\",\"version\":2,\"messages\":[{\"role\":\"oracle\"}]}",
      TRUE, MOON_HISTORY_ERROR_NEWER_VERSION },
    { "{\"format\":\"moonchat-conversation\",\"version\":1,\"messages\":[{\"role\":\"user\"},5]}",
      TRUE, MOON_HISTORY_ERROR_INVALID },
    { "{\"format\":\"moonchat-conversation\",\"version\":1,\"settings\":{\"temperature\":\"hot\"},\"messages\":[]}",
      TRUE, MOON_HISTORY_ERROR_INVALID },
    { "{\"format\":\"moonchat-conversation\",\"version\":1,\"updated\":\"soon\",\"messages\":[]}",
      TRUE, MOON_HISTORY_ERROR_INVALID },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(MoonConversation) conversation = NULL;
      g_autoptr(GError) error = NULL;

      conversation = parse_conversation (cases[i].text, &error);
      if (!cases[i].loads)
        {
          g_assert_null (conversation);
          g_assert_error (error, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_INVALID);
          continue;
        }

      g_assert_no_error (error);
      g_assert_nonnull (conversation);
      if (cases[i].read_only < 0)
        g_assert_false (moon_conversation_get_read_only (conversation));
      else
        {
          g_assert_true (moon_conversation_get_read_only (conversation));
          g_assert_error (moon_conversation_get_read_only_reason (conversation),
                          MOON_HISTORY_ERROR, cases[i].read_only);
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/conversation/list-model-and-editing", test_list_model_and_editing);
  g_test_add_func ("/core/conversation/title", test_title);
  g_test_add_func ("/core/conversation/busy-and-updated", test_busy_and_updated);
  g_test_add_func ("/core/conversation/json-round-trip", test_json_round_trip);
  g_test_add_func ("/core/conversation/defaults", test_defaults_and_omitted_settings);
  g_test_add_func ("/core/conversation/from-json-errors", test_from_json_errors);

  return g_test_run ();
}
