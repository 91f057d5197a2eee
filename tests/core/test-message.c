/* test-message.c — MoonMessage: deltas, tool calls, JSON round trip
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "moon-history-error.h"
#include "moon-message.h"

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static void
test_append_notifies_once (void)
{
  g_autoptr(MoonMessage) message = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, NULL);
  guint content_notifies = 0;
  guint reasoning_notifies = 0;

  g_signal_connect (message, "notify::content", G_CALLBACK (count_notify_cb), &content_notifies);
  g_signal_connect (message, "notify::reasoning-content", G_CALLBACK (count_notify_cb), &reasoning_notifies);

  g_assert_cmpstr (moon_message_get_content (message), ==, "");
  moon_message_append_content (message, "Hello", -1);
  moon_message_append_content (message, ", world!xyz", 8);
  moon_message_append_content (message, "", -1);  /* nothing: no notify */
  moon_message_append_reasoning_content (message, "think", -1);

  g_assert_cmpstr (moon_message_get_content (message), ==, "Hello, world!");
  g_assert_cmpuint (moon_message_get_content_length (message), ==, 13);
  g_assert_cmpstr (moon_message_get_reasoning_content (message), ==, "think");
  g_assert_cmpuint (content_notifies, ==, 2);
  g_assert_cmpuint (reasoning_notifies, ==, 1);

  /* Setting the same value is not a change. */
  moon_message_set_content (message, "Hello, world!");
  g_assert_cmpuint (content_notifies, ==, 2);

  g_assert_finalize_object (g_steal_pointer (&message));
}

static void
test_ids_and_defaults (void)
{
  g_autoptr(MoonMessage) a = moon_message_new (MOON_MESSAGE_ROLE_USER, "hi");
  g_autoptr(MoonMessage) b = moon_message_new (MOON_MESSAGE_ROLE_USER, "hi");

  g_assert_true (g_uuid_string_is_valid (moon_message_get_id (a)));
  g_assert_cmpstr (moon_message_get_id (a), !=, moon_message_get_id (b));
  g_assert_cmpint (moon_message_get_state (a), ==, MOON_MESSAGE_STATE_DONE);
  g_assert_nonnull (moon_message_get_created (a));
  g_assert_null (moon_message_get_usage (a));
  g_assert_null (moon_message_get_error (a));
  g_assert_null (moon_message_get_tool_calls (a));
  g_assert_true (moon_message_is_finished (a));

  moon_message_set_state (a, MOON_MESSAGE_STATE_STREAMING);
  g_assert_false (moon_message_is_finished (a));

  g_assert_cmpstr (moon_message_role_to_string (MOON_MESSAGE_ROLE_TOOL), ==, "tool");
  g_assert_cmpstr (moon_message_state_to_string (MOON_MESSAGE_STATE_INTERRUPTED), ==, "interrupted");
}

static void
test_tool_call_deltas (void)
{
  g_autoptr(MoonMessage) message = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, NULL);
  guint notifies = 0;
  JsonArray *calls;
  JsonObject *call;
  JsonObject *function;

  g_signal_connect (message, "notify::tool-calls", G_CALLBACK (count_notify_cb), &notifies);

  /* As the API streams them: the first delta has id/type/name, later ones
   * only argument fragments; a second call is interleaved. */
  moon_message_append_tool_call_delta (message, 0, "call_a", "function", "get_weather", "");
  moon_message_append_tool_call_delta (message, 0, NULL, NULL, NULL, "{\"city\":");
  moon_message_append_tool_call_delta (message, 1, "call_b", "function", "search", "{\"q\":\"月");
  moon_message_append_tool_call_delta (message, 0, NULL, NULL, NULL, "\"北京\"}");
  moon_message_append_tool_call_delta (message, 1, NULL, NULL, NULL, "亮\"}");

  g_assert_cmpuint (notifies, ==, 5);

  calls = moon_message_get_tool_calls (message);
  g_assert_nonnull (calls);
  g_assert_cmpuint (json_array_get_length (calls), ==, 2);

  call = json_array_get_object_element (calls, 0);
  function = json_object_get_object_member (call, "function");
  g_assert_cmpstr (json_object_get_string_member (call, "id"), ==, "call_a");
  g_assert_cmpstr (json_object_get_string_member (call, "type"), ==, "function");
  g_assert_cmpstr (json_object_get_string_member (function, "name"), ==, "get_weather");
  g_assert_cmpstr (json_object_get_string_member (function, "arguments"), ==, "{\"city\":\"北京\"}");

  call = json_array_get_object_element (calls, 1);
  function = json_object_get_object_member (call, "function");
  g_assert_cmpstr (json_object_get_string_member (call, "id"), ==, "call_b");
  g_assert_cmpstr (json_object_get_string_member (function, "name"), ==, "search");
  g_assert_cmpstr (json_object_get_string_member (function, "arguments"), ==, "{\"q\":\"月亮\"}");

  /* Index gaps are filled so positions stay what the API said. */
  moon_message_append_tool_call_delta (message, 3, "call_d", NULL, "f", NULL);
  g_assert_cmpuint (json_array_get_length (calls), ==, 4);
  call = json_array_get_object_element (calls, 3);
  g_assert_cmpstr (json_object_get_string_member (call, "id"), ==, "call_d");
}

static MoonMessage *
round_trip (MoonMessage *message)
{
  g_autoptr(JsonNode) node = moon_message_to_json (message);
  g_autofree char *text = json_to_string (node, FALSE);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  MoonMessage *copy;

  /* Through text, as the file would. */
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);

  copy = moon_message_new_from_json (json_node_get_object (json_parser_get_root (parser)), &error);
  g_assert_no_error (error);
  g_assert_nonnull (copy);
  return copy;
}

/* An error whose text is not valid UTF-8 (json-glib quotes a cut character
 * in its parse errors) must not make the saved file unreadable. */
static void
test_error_text_made_valid (void)
{
  g_autoptr(MoonMessage) message = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, "partial");
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                                 "invalid string constant \"cmpl-13\xe2\", expected");
  g_autoptr(MoonMessage) copy = NULL;
  const GError *kept;

  moon_message_set_error (message, error);
  kept = moon_message_get_error (message);
  g_assert_error (kept, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_true (g_utf8_validate (kept->message, -1, NULL));
  g_assert_true (g_str_has_prefix (kept->message, "invalid string constant \"cmpl-13"));

  copy = round_trip (message);
  g_assert_cmpstr (moon_message_get_error (copy)->message, ==, kept->message);
}

static void
test_round_trip_all_fields (void)
{
  g_autoptr(MoonMessage) message = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT,
                                                     "中文 😀 مرحبا بالعالم \"quoted\" \\ \n\t end");
  g_autoptr(MoonMessage) copy = NULL;
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "The server took too long");
  g_autoptr(GDateTime) created = g_date_time_new_utc (2026, 1, 31, 9, 30, 15.25);
  MoonUsage usage = { 12, 34, 46, 5, 7 };
  const MoonUsage *copy_usage;
  const GError *copy_error;

  moon_message_set_reasoning_content (message, "First, think. 思考");
  moon_message_set_name (message, "Kimi");
  moon_message_set_partial (message, TRUE);
  moon_message_set_state (message, MOON_MESSAGE_STATE_FAILED);
  moon_message_set_finish_reason (message, "length");
  moon_message_set_model (message, "kimi-k2-0905-preview");
  moon_message_set_created (message, created);
  moon_message_set_error (message, error);
  moon_message_set_usage (message, &usage);
  moon_message_append_tool_call_delta (message, 0, "call_1", "function", "f", "{}");

  copy = round_trip (message);

  g_assert_cmpstr (moon_message_get_id (copy), ==, moon_message_get_id (message));
  g_assert_cmpint (moon_message_get_role (copy), ==, MOON_MESSAGE_ROLE_ASSISTANT);
  g_assert_cmpstr (moon_message_get_content (copy), ==, moon_message_get_content (message));
  g_assert_cmpstr (moon_message_get_reasoning_content (copy), ==, "First, think. 思考");
  g_assert_cmpstr (moon_message_get_name (copy), ==, "Kimi");
  g_assert_true (moon_message_get_partial (copy));
  g_assert_cmpint (moon_message_get_state (copy), ==, MOON_MESSAGE_STATE_FAILED);
  g_assert_cmpstr (moon_message_get_finish_reason (copy), ==, "length");
  g_assert_cmpstr (moon_message_get_model (copy), ==, "kimi-k2-0905-preview");
  g_assert_true (g_date_time_equal (moon_message_get_created (copy), created));

  copy_error = moon_message_get_error (copy);
  g_assert_nonnull (copy_error);
  g_assert_error (copy_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpstr (copy_error->message, ==, "The server took too long");

  copy_usage = moon_message_get_usage (copy);
  g_assert_nonnull (copy_usage);
  g_assert_cmpint (copy_usage->prompt_tokens, ==, 12);
  g_assert_cmpint (copy_usage->completion_tokens, ==, 34);
  g_assert_cmpint (copy_usage->total_tokens, ==, 46);
  g_assert_cmpint (copy_usage->cached_tokens, ==, 5);
  g_assert_cmpint (copy_usage->reasoning_tokens, ==, 7);

  g_assert_cmpuint (json_array_get_length (moon_message_get_tool_calls (copy)), ==, 1);
}

static void
test_unknown_fields_kept (void)
{
  const char *text =
    "{\"id\":\"m1\",\"role\":\"user\",\"content\":\"hi\",\"created\":\"2026-02-03T04:05:06Z\","
    "\"future_field\":{\"nested\":[1,2,{\"x\":null}]},\"attachments\":[\"a.png\"],\"score\":0.5}";
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(MoonMessage) message = NULL;
  g_autoptr(JsonNode) out = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  message = moon_message_new_from_json (json_node_get_object (json_parser_get_root (parser)), &error);
  g_assert_no_error (error);

  /* Edit something; the unknown fields still come back. */
  moon_message_set_content (message, "hello");
  out = moon_message_to_json (message);
  object = json_node_get_object (out);

  g_assert_cmpstr (json_object_get_string_member (object, "content"), ==, "hello");
  g_assert_cmpstr (json_object_get_string_member (object, "created"), ==, "2026-02-03T04:05:06Z");
  g_assert_true (json_node_equal (json_object_get_member (object, "future_field"),
                                  json_object_get_member (json_node_get_object (json_parser_get_root (parser)),
                                                          "future_field")));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "attachments")), ==, 1);
  g_assert_cmpfloat (json_object_get_double_member (object, "score"), ==, 0.5);
}

static void
test_streaming_becomes_interrupted (void)
{
  const char *text = "{\"role\":\"assistant\",\"content\":\"half a rep\",\"state\":\"streaming\"}";
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(MoonMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  message = moon_message_new_from_json (json_node_get_object (json_parser_get_root (parser)), &error);
  g_assert_no_error (error);

  g_assert_cmpint (moon_message_get_state (message), ==, MOON_MESSAGE_STATE_INTERRUPTED);
  g_assert_cmpstr (moon_message_get_content (message), ==, "half a rep");
  /* A missing id is made up, so the message can be referred to. */
  g_assert_true (g_uuid_string_is_valid (moon_message_get_id (message)));
}

static void
test_invalid_messages (void)
{
  const char *bad[] = {
    "{}",
    "{\"role\":\"wizard\",\"content\":\"x\"}",
    "{\"role\":7}",
    "{\"role\":\"user\",\"content\":42}",
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}",
    "{\"role\":\"user\",\"created\":\"yesterday\"}",
    "{\"role\":\"user\",\"state\":\"exploded\"}",
    "{\"role\":\"user\",\"usage\":\"lots\"}",
    "{\"role\":\"user\",\"error\":{\"code\":\"x\"}}",
    "{\"role\":\"user\",\"tool_calls\":{}}",
    "{\"role\":\"user\",\"partial\":\"yes\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(MoonMessage) message = NULL;
      g_autoptr(GError) error = NULL;

      json_parser_load_from_data (parser, bad[i], -1, &error);
      g_assert_no_error (error);
      message = moon_message_new_from_json (json_node_get_object (json_parser_get_root (parser)), &error);
      g_assert_null (message);
      g_assert_error (error, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_INVALID);
      g_assert_nonnull (error->message);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/message/append-notifies-once", test_append_notifies_once);
  g_test_add_func ("/core/message/ids-and-defaults", test_ids_and_defaults);
  g_test_add_func ("/core/message/tool-call-deltas", test_tool_call_deltas);
  g_test_add_func ("/core/message/round-trip", test_round_trip_all_fields);
  g_test_add_func ("/core/message/error-text-made-valid", test_error_text_made_valid);
  g_test_add_func ("/core/message/unknown-fields", test_unknown_fields_kept);
  g_test_add_func ("/core/message/streaming-becomes-interrupted", test_streaming_becomes_interrupted);
  g_test_add_func ("/core/message/invalid", test_invalid_messages);

  return g_test_run ();
}
