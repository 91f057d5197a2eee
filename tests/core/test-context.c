/* test-context.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "moon-context.h"

/* Request bodies are compared with golden files in tests/fixtures/context/
 * as parsed JSON. Set MOONCHAT_UPDATE_GOLDEN=1 to rewrite them (and review
 * the diff). */

static const MoonModelLimits k2_turbo = { 262144, TRUE, FALSE, MOON_MODEL_THINKING_NONE };
static const MoonModelLimits k25 = { 262144, TRUE, TRUE, MOON_MODEL_THINKING_SWITCHABLE };
static const MoonModelLimits k2_thinking = { 262144, TRUE, FALSE, MOON_MODEL_THINKING_ALWAYS };
static const MoonModelLimits v1_8k = { 8192, TRUE, FALSE, MOON_MODEL_THINKING_NONE };

static MoonMessage *
add (MoonConversation *conversation,
     MoonMessageRole   role,
     const char       *text)
{
  g_autoptr(MoonMessage) message = moon_message_new (role, text);

  moon_conversation_append_message (conversation, message);
  return message;
}

static MoonMessage *
add_placeholder (MoonConversation *conversation)
{
  g_autoptr(MoonMessage) message = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, NULL);

  moon_message_set_state (message, MOON_MESSAGE_STATE_STREAMING);
  moon_conversation_append_message (conversation, message);
  return message;
}

static MoonConversation *
new_conversation (const char *model,
                  const char *system_prompt)
{
  MoonConversation *conversation = moon_conversation_new ();

  moon_conversation_set_model (conversation, model);
  moon_conversation_set_system_prompt (conversation, system_prompt);
  return conversation;
}

static MoonContextPlan *
plan (MoonContext           *context,
      MoonConversation      *conversation,
      const MoonModelLimits *limits,
      MoonContextMode        mode,
      MoonMessage           *target)
{
  g_autoptr(GError) error = NULL;
  MoonContextPlan *result = moon_context_plan (context, conversation, limits, mode, target, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

static void
assert_golden (MoonContextPlan *plan_,
               const char      *name)
{
  g_autofree char *file = g_strconcat (name, ".json", NULL);
  g_autofree char *path = g_build_filename (g_getenv ("MOONCHAT_FIXTURES"), "context", file, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *body = moon_context_plan_get_body (plan_);

  if (g_getenv ("MOONCHAT_UPDATE_GOLDEN") != NULL)
    {
      g_autofree char *text = json_to_string (body, TRUE);
      g_autofree char *with_newline = g_strconcat (text, "\n", NULL);

      g_file_set_contents (path, with_newline, -1, &error);
      g_assert_no_error (error);
    }

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);

  if (!json_node_equal (json_parser_get_root (parser), body))
    {
      g_autofree char *want = json_to_string (json_parser_get_root (parser), TRUE);
      g_autofree char *got = json_to_string (body, TRUE);

      g_test_message ("golden %s:\n%s\nbuilt:\n%s", name, want, got);
      g_test_fail_printf ("request body differs from %s", file);
    }
}

static JsonArray *
body_messages (MoonContextPlan *plan_)
{
  return json_object_get_array_member (json_node_get_object (moon_context_plan_get_body (plan_)), "messages");
}

static JsonObject *
body_message (MoonContextPlan *plan_,
              guint            index)
{
  return json_array_get_object_element (body_messages (plan_), index);
}

static void
test_plain_multi_turn (void)
{
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonConversation) conversation = new_conversation ("kimi-k2-turbo-preview", "You are Kimi.");
  g_autoptr(MoonContextPlan) p = NULL;
  MoonMessage *failed;
  MoonMessage *cancelled;
  MoonMessage *target;

  moon_conversation_set_temperature (conversation, 0.6);
  add (conversation, MOON_MESSAGE_ROLE_USER, "Hello, my name is Li Lei.");
  add (conversation, MOON_MESSAGE_ROLE_ASSISTANT, "Hello, Li Lei! How can I help?");
  add (conversation, MOON_MESSAGE_ROLE_USER, "Tell me a joke.");
  failed = add (conversation, MOON_MESSAGE_ROLE_ASSISTANT, "Why did the");
  moon_message_set_state (failed, MOON_MESSAGE_STATE_FAILED);
  add (conversation, MOON_MESSAGE_ROLE_USER, "Tell me a joke, please.");
  cancelled = add (conversation, MOON_MESSAGE_ROLE_ASSISTANT, "A man walks into");
  moon_message_set_state (cancelled, MOON_MESSAGE_STATE_CANCELLED);
  add (conversation, MOON_MESSAGE_ROLE_USER, "What is 1+1?");
  target = add_placeholder (conversation);

  p = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
  assert_golden (p, "plain-multi-turn");

  g_assert_cmpint (moon_context_plan_get_status (p, 3), ==, MOON_CONTEXT_STATUS_NOT_SENDABLE);
  g_assert_cmpint (moon_context_plan_get_status (p, 5), ==, MOON_CONTEXT_STATUS_NOT_SENDABLE);
  g_assert_cmpint (moon_context_plan_get_status (p, 7), ==, MOON_CONTEXT_STATUS_GENERATING);
  g_assert_cmpuint (moon_context_plan_get_n_sent (p), ==, 5);
  g_assert_cmpuint (moon_context_plan_get_n_left_out (p), ==, 0);
  g_assert_false (moon_context_plan_get_over_budget (p));
  g_assert_cmpuint (moon_context_plan_get_max_tokens (p), ==, 4096);

  /* The estimate is the estimator's figure for exactly this body. */
  g_assert_cmpuint (moon_context_plan_get_estimated_prompt_tokens (p), ==,
                    moon_token_estimator_estimate_body (moon_context_get_estimator (context),
                                                        json_node_get_object (moon_context_plan_get_body (p))));

  /* The text form is the same body; an edit shows in the next plan. */
  {
    g_autoptr(JsonNode) parsed = json_from_string (g_bytes_get_data (moon_context_plan_get_bytes (p), NULL), NULL);
    g_autoptr(MoonContextPlan) edited = NULL;
    g_autoptr(MoonMessage) first = g_list_model_get_item (G_LIST_MODEL (conversation), 0);

    g_assert_true (json_node_equal (parsed, moon_context_plan_get_body (p)));
    moon_conversation_set_message_text (conversation, first, "Hello, my name is \"Han Meimei\".\n");
    edited = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
    g_assert_cmpstr (json_object_get_string_member (body_message (edited, 1), "content"), ==,
                     "Hello, my name is \"Han Meimei\".\n");
  }
}

static MoonConversation *
numbered_conversation (guint n_messages)
{
  MoonConversation *conversation = new_conversation ("kimi-k2-turbo-preview", NULL);

  for (guint i = 0; i < n_messages; i++)
    {
      g_autofree char *text = g_strdup_printf (i % 2 == 0 ? "Question %u" : "Answer %u", i);

      add (conversation, i % 2 == 0 ? MOON_MESSAGE_ROLE_USER : MOON_MESSAGE_ROLE_ASSISTANT, text);
    }

  return conversation;
}

static void
test_limit_by_count (void)
{
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonConversation) conversation = numbered_conversation (31);
  g_autoptr(MoonContextPlan) p = NULL;
  g_autoptr(MoonContextPlan) unlimited = NULL;
  g_autoptr(MoonContextPlan) even = NULL;
  MoonMessage *target = add_placeholder (conversation);

  /* Default limit: 20 messages. */
  g_assert_cmpuint (moon_conversation_get_context_message_limit (conversation), ==, 20);
  p = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
  g_assert_cmpuint (moon_context_plan_get_n_sent (p), ==, 19);
  g_clear_object (&p);

  /* Six would start with an answer whose question is left out. */
  moon_conversation_set_context_message_limit (conversation, 6);
  p = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
  assert_golden (p, "limit-by-count");
  g_assert_cmpuint (moon_context_plan_get_n_sent (p), ==, 5);
  g_assert_cmpint (moon_context_plan_get_status (p, 25), ==, MOON_CONTEXT_STATUS_ORPHANED);
  g_assert_cmpint (moon_context_plan_get_status (p, 24), ==, MOON_CONTEXT_STATUS_OVER_LIMIT);
  g_assert_cmpint (moon_context_plan_get_status (p, 0), ==, MOON_CONTEXT_STATUS_OVER_LIMIT);
  g_assert_cmpint (moon_context_plan_get_status (p, 26), ==, MOON_CONTEXT_STATUS_SENT);
  g_assert_cmpint (moon_context_plan_get_status (p, 31), ==, MOON_CONTEXT_STATUS_GENERATING);
  g_assert_cmpuint (moon_context_plan_get_n_left_out (p), ==, 26);
  g_assert_cmpstr (json_object_get_string_member (body_message (p, 0), "content"), ==, "Question 26");

  moon_conversation_set_context_message_limit (conversation, 5);
  even = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
  g_assert_cmpuint (moon_context_plan_get_n_sent (even), ==, 5);

  /* 0: no limit. */
  moon_conversation_set_context_message_limit (conversation, 0);
  unlimited = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
  g_assert_cmpuint (moon_context_plan_get_n_sent (unlimited), ==, 31);
  g_assert_cmpuint (moon_context_plan_get_n_left_out (unlimited), ==, 0);
}

static char *
chinese_text (guint index,
              guint n_sentences)
{
  static const char * const sentences[] = {
    "今天天气很好，我们去公园散步吧。",
    "这本书讲的是一个关于勇气的故事。",
    "请把会议记录发给所有参加的同事。",
    "我们需要在周五之前完成这个项目。",
  };
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "第%u段：", index);
  for (guint i = 0; i < n_sentences; i++)
    g_string_append (text, sentences[(index + i) % G_N_ELEMENTS (sentences)]);

  return g_string_free (text, FALSE);
}

static void
test_limit_by_tokens_cjk (void)
{
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonConversation) conversation = new_conversation ("moonshot-v1-8k", "你是 Kimi。");
  g_autoptr(MoonContextPlan) p = NULL;
  g_autoptr(MoonContextPlan) wide = NULL;
  JsonArray *messages;
  guint han_sent = 0;
  guint bytes_sent = 0;
  MoonMessage *target;

  moon_conversation_set_context_message_limit (conversation, 0);
  moon_conversation_set_context_token_budget (conversation, 700);
  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *text = chinese_text (i, 9);

      add (conversation, i % 2 == 0 ? MOON_MESSAGE_ROLE_USER : MOON_MESSAGE_ROLE_ASSISTANT, text);
    }
  add (conversation, MOON_MESSAGE_ROLE_USER, "请总结一下。");
  target = add_placeholder (conversation);

  p = plan (context, conversation, &v1_8k, MOON_CONTEXT_MODE_REPLY, target);
  assert_golden (p, "limit-by-tokens-cjk");
  g_assert_cmpuint (moon_context_plan_get_history_budget (p), ==, 700);
  g_assert_cmpint (moon_context_plan_get_status (p, 0), ==, MOON_CONTEXT_STATUS_OVER_BUDGET);

  /* What is sent fits, and a Chinese character is not a quarter token: a
   * bytes/4 or chars/4 rule would have let about twice as much through. */
  messages = body_messages (p);
  for (guint i = 1; i < json_array_get_length (messages); i++)
    {
      const char *content = json_object_get_string_member (json_array_get_object_element (messages, i), "content");

      han_sent += g_utf8_strlen (content, -1);
      bytes_sent += strlen (content);
    }
  g_assert_cmpuint (moon_context_plan_get_estimated_prompt_tokens (p), >=, han_sent / 2);
  g_assert_cmpuint (han_sent / 4, <, 700 / 2);

  /* Without the conversation's budget the window decides: 8192 − the
   * reserve (at most half the window) − the margin. */
  moon_conversation_set_context_token_budget (conversation, 0);
  moon_conversation_set_max_tokens (conversation, 7000);
  wide = plan (context, conversation, &v1_8k, MOON_CONTEXT_MODE_REPLY, target);
  g_assert_cmpuint (moon_context_plan_get_n_sent (wide), ==, 13);
  g_assert_cmpuint (moon_context_plan_get_max_tokens (wide), <=, 8192 - 256 - moon_context_plan_get_estimated_prompt_tokens (wide));
  g_assert_cmpuint (moon_context_plan_get_max_tokens (wide), <=, 7000);
  g_assert_cmpuint (moon_context_plan_get_max_tokens (wide), >=, (8192 - 256) / 2);
}

static MoonMessage *
add_tool_call_reply (MoonConversation *conversation,
                     const char       *content,
                     const char       *reasoning,
                     const char       *first_id,
                     const char       *second_id)
{
  MoonMessage *reply = add (conversation, MOON_MESSAGE_ROLE_ASSISTANT, content);

  if (reasoning != NULL)
    moon_message_set_reasoning_content (reply, reasoning);
  moon_message_append_tool_call_delta (reply, 0, first_id, "function", "get_weather", "{\"city\": ");
  moon_message_append_tool_call_delta (reply, 0, NULL, NULL, NULL, "\"Paris\"}");
  if (second_id != NULL)
    moon_message_append_tool_call_delta (reply, 1, second_id, "function", "get_weather", "{\"city\": \"Rome\"}");
  moon_message_set_finish_reason (reply, "tool_calls");
  return reply;
}

static MoonMessage *
add_tool_result (MoonConversation *conversation,
                 const char       *call_id,
                 const char       *content)
{
  MoonMessage *result = add (conversation, MOON_MESSAGE_ROLE_TOOL, content);

  moon_message_set_tool_call_id (result, call_id);
  return result;
}

static void
test_tool_calls_at_cut (void)
{
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonConversation) conversation = new_conversation ("kimi-k2-turbo-preview", NULL);
  g_autoptr(MoonContextPlan) whole = NULL;
  g_autoptr(MoonContextPlan) cut = NULL;
  g_autoptr(MoonContextPlan) four = NULL;
  MoonMessage *target;

  add (conversation, MOON_MESSAGE_ROLE_USER, "Weather in Paris and Rome?");
  add_tool_call_reply (conversation, "", NULL, "get_weather:0", "get_weather:1");
  add_tool_result (conversation, "get_weather:1", "{\"temp_c\": 24}");
  add_tool_result (conversation, "get_weather:0", "{\"temp_c\": 18}");
  add (conversation, MOON_MESSAGE_ROLE_ASSISTANT, "Paris 18 °C, Rome 24 °C.");
  /* A result whose call is not in the conversation. */
  add_tool_result (conversation, "lost:0", "{}");
  add (conversation, MOON_MESSAGE_ROLE_USER, "And Berlin?");
  target = add_placeholder (conversation);

  moon_conversation_set_context_message_limit (conversation, 6);
  whole = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
  assert_golden (whole, "tool-calls-whole");
  g_assert_cmpint (moon_context_plan_get_status (whole, 5), ==, MOON_CONTEXT_STATUS_ORPHANED);
  g_assert_cmpuint (moon_context_plan_get_n_sent (whole), ==, 6);

  /* Five messages would cut the group or start with a reply: only the
   * newest question is left. */
  moon_conversation_set_context_message_limit (conversation, 5);
  cut = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
  assert_golden (cut, "tool-calls-at-cut");
  g_assert_cmpuint (moon_context_plan_get_n_sent (cut), ==, 1);
  for (guint i = 1; i <= 4; i++)
    g_assert_cmpint (moon_context_plan_get_status (cut, i), ==, MOON_CONTEXT_STATUS_ORPHANED);
  g_assert_cmpint (moon_context_plan_get_status (cut, 0), ==, MOON_CONTEXT_STATUS_OVER_LIMIT);

  moon_conversation_set_context_message_limit (conversation, 4);
  four = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
  g_assert_cmpuint (moon_context_plan_get_n_sent (four), ==, 1);
  for (guint i = 1; i <= 3; i++)
    g_assert_cmpint (moon_context_plan_get_status (four, i), ==, MOON_CONTEXT_STATUS_OVER_LIMIT);
}

static void
test_tool_loop_thinking (void)
{
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonConversation) conversation = new_conversation ("kimi-k2.5", NULL);
  g_autoptr(MoonContextPlan) p = NULL;
  g_autoptr(MoonContextPlan) incomplete = NULL;
  MoonMessage *old;
  MoonMessage *result;
  MoonMessage *target;

  moon_conversation_set_thinking (conversation, TRUE);
  add (conversation, MOON_MESSAGE_ROLE_USER, "Hi");
  old = add (conversation, MOON_MESSAGE_ROLE_ASSISTANT, "Hello!");
  moon_message_set_reasoning_content (old, "A greeting; answer briefly.");
  add (conversation, MOON_MESSAGE_ROLE_USER, "Weather in Paris?");
  add_tool_call_reply (conversation, "", "The user wants Paris weather; call get_weather.", "get_weather:0", NULL);
  result = add_tool_result (conversation, "get_weather:0", "{\"temp_c\": 18, \"sky\": \"cloudy\"}");
  target = add_placeholder (conversation);

  p = plan (context, conversation, &k25, MOON_CONTEXT_MODE_REPLY, target);
  assert_golden (p, "tool-loop-thinking");
  g_assert_false (json_object_has_member (body_message (p, 1), "reasoning_content"));
  g_assert_true (json_object_has_member (body_message (p, 3), "reasoning_content"));

  /* A call without its result is not sent (the API would refuse it). */
  g_assert_true (moon_conversation_remove_message (conversation, result));
  incomplete = plan (context, conversation, &k25, MOON_CONTEXT_MODE_REPLY, target);
  g_assert_cmpint (moon_context_plan_get_status (incomplete, 3), ==, MOON_CONTEXT_STATUS_ORPHANED);
  g_assert_cmpuint (moon_context_plan_get_n_sent (incomplete), ==, 3);
}

static void
test_system_summary_order (void)
{
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonConversation) conversation = new_conversation ("kimi-k2-turbo-preview", "You are Kimi.");
  g_autoptr(MoonContextPlan) p = NULL;
  g_autoptr(MoonContextPlan) more = NULL;
  g_autoptr(MoonContextPlan) disabled = NULL;
  g_autoptr(GPtrArray) unsummarized = NULL;
  g_autoptr(JsonNode) request = NULL;
  g_autofree char *first_id = NULL;
  g_autofree char *last_id = NULL;
  MoonMessage *messages[8];
  MoonMessage *target;
  const char *transcript;

  add (conversation, MOON_MESSAGE_ROLE_SYSTEM, "notes.txt: buy milk, call Li Lei");
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *text = g_strdup_printf (i % 2 == 0 ? "Question %u" : "Answer %u", i);

      messages[i] = add (conversation, i % 2 == 0 ? MOON_MESSAGE_ROLE_USER : MOON_MESSAGE_ROLE_ASSISTANT, text);
    }
  add (conversation, MOON_MESSAGE_ROLE_USER, "What was on my list?");
  target = add_placeholder (conversation);

  moon_conversation_set_summary_enabled (conversation, TRUE);
  moon_conversation_set_summary (conversation, "Li Lei asked four questions.",
                                 moon_message_get_id (messages[0]), moon_message_get_id (messages[3]));
  moon_conversation_set_context_message_limit (conversation, 5);

  p = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
  assert_golden (p, "system-summary-order");
  g_assert_true (moon_context_plan_get_summary_sent (p));
  g_assert_cmpint (moon_context_plan_get_status (p, 0), ==, MOON_CONTEXT_STATUS_SYSTEM);
  for (guint i = 1; i <= 4; i++)
    g_assert_cmpint (moon_context_plan_get_status (p, i), ==, MOON_CONTEXT_STATUS_SUMMARIZED);
  g_assert_false (moon_context_plan_get_needs_summary (p));

  /* More turns fall out: the summary must grow to cover them. */
  moon_conversation_set_context_message_limit (conversation, 3);
  more = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
  g_assert_true (moon_context_plan_get_needs_summary (more));
  unsummarized = moon_context_plan_dup_unsummarized (more);
  g_assert_cmpuint (unsummarized->len, ==, 2);
  g_assert_true (g_ptr_array_index (unsummarized, 0) == messages[4]);
  g_assert_true (g_ptr_array_index (unsummarized, 1) == messages[5]);

  request = moon_context_build_summary_request (context, conversation, more, &k2_turbo, &first_id, &last_id);
  g_assert_nonnull (request);
  g_assert_cmpstr (first_id, ==, moon_message_get_id (messages[0]));
  g_assert_cmpstr (last_id, ==, moon_message_get_id (messages[5]));
  transcript = json_object_get_string_member (
    json_array_get_object_element (json_object_get_array_member (json_node_get_object (request), "messages"), 1),
    "content");
  g_assert_nonnull (strstr (transcript, "Li Lei asked four questions."));
  g_assert_nonnull (strstr (transcript, "Question 4"));
  g_assert_nonnull (strstr (transcript, "Answer 5"));
  g_assert_null (strstr (transcript, "Question 6"));
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (request), "max_tokens"), ==, 1024);

  /* Summaries off: nothing wanted, but an existing one is still sent. */
  moon_conversation_set_summary_enabled (conversation, FALSE);
  disabled = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
  g_assert_false (moon_context_plan_get_needs_summary (disabled));
  g_assert_true (moon_context_plan_get_summary_sent (disabled));
}

static void
test_summary_only_when_dropping (void)
{
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonConversation) conversation = numbered_conversation (3);
  g_autoptr(MoonContextPlan) p = NULL;
  MoonMessage *target = add_placeholder (conversation);

  moon_conversation_set_summary (conversation, "Old summary.", NULL, NULL);
  p = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
  g_assert_false (moon_context_plan_get_summary_sent (p));
  g_assert_cmpuint (json_array_get_length (body_messages (p)), ==, 3);
}

static void
test_partial_prefix (void)
{
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonConversation) conversation =
    new_conversation ("kimi-k2-turbo-preview",
                      "Extract the name, size, price, and color from the product description and output them in a JSON object.");
  g_autoptr(MoonContextPlan) prefix = NULL;
  g_autoptr(MoonContextPlan) named = NULL;
  MoonMessage *target;

  moon_conversation_set_temperature (conversation, 0.6);
  add (conversation, MOON_MESSAGE_ROLE_USER,
       "The DaMi SmartHome Mini is a compact smart home assistant available in black and silver.");
  target = add_placeholder (conversation);

  moon_conversation_set_partial_prefix (conversation, "{");
  prefix = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
  assert_golden (prefix, "partial-prefix");

  moon_conversation_set_system_prompt (conversation, "You are Kelsier, a thief from Mistborn.");
  moon_conversation_set_partial_prefix (conversation, NULL);
  moon_conversation_set_partial_name (conversation, "Kelsier");
  named = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
  assert_golden (named, "partial-name");
}

static void
test_continue_twice (void)
{
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonConversation) conversation = new_conversation ("kimi-k2-turbo-preview", NULL);
  g_autoptr(MoonContextPlan) first = NULL;
  g_autoptr(MoonContextPlan) second = NULL;
  MoonMessage *reply;

  moon_conversation_set_max_tokens (conversation, 16000);
  add (conversation, MOON_MESSAGE_ROLE_USER, "Recite the full poem.");
  reply = add (conversation, MOON_MESSAGE_ROLE_ASSISTANT, "Two roads diverged in a yellow wood,");
  moon_message_set_finish_reason (reply, "length");

  first = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_CONTINUE, reply);
  assert_golden (first, "continue-first");
  g_assert_cmpint (moon_context_plan_get_status (first, 1), ==, MOON_CONTEXT_STATUS_PARTIAL);

  /* The continuation lands in the same message; continue again. */
  moon_message_append_content (reply, "\nAnd sorry I could not travel both", -1);
  second = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_CONTINUE, reply);
  assert_golden (second, "continue-second");
  g_assert_cmpuint (moon_context_plan_get_estimated_prompt_tokens (second), >,
                    moon_context_plan_get_estimated_prompt_tokens (first));
}

static void
test_fixed_sampling (void)
{
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonConversation) conversation = new_conversation ("kimi-k2.5", "You are Kimi.");
  g_autoptr(MoonContextPlan) p = NULL;
  MoonMessage *target;

  moon_conversation_set_temperature (conversation, 0.3);
  moon_conversation_set_max_tokens (conversation, 8192);
  add (conversation, MOON_MESSAGE_ROLE_USER, "Give me three names for a cat.");
  target = add_placeholder (conversation);

  p = plan (context, conversation, &k25, MOON_CONTEXT_MODE_REPLY, target);
  assert_golden (p, "fixed-sampling");
  g_assert_false (json_object_has_member (json_node_get_object (moon_context_plan_get_body (p)), "temperature"));
}

static void
test_thinking (void)
{
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonConversation) conversation = new_conversation ("kimi-k2.5", NULL);
  g_autoptr(MoonContextPlan) on = NULL;
  g_autoptr(MoonContextPlan) always = NULL;
  g_autoptr(MoonContextPlan) unknown = NULL;
  MoonModelLimits unknown_limits;
  MoonMessage *target;

  add (conversation, MOON_MESSAGE_ROLE_USER, "Why is the sky blue?");
  target = add_placeholder (conversation);

  moon_conversation_set_thinking (conversation, TRUE);
  on = plan (context, conversation, &k25, MOON_CONTEXT_MODE_REPLY, target);
  assert_golden (on, "thinking-on");
  g_assert_cmpuint (moon_context_plan_get_max_tokens (on), ==, 16384);

  /* Always-thinking models take no `thinking` field. */
  moon_conversation_set_model (conversation, "kimi-k2-thinking");
  moon_conversation_set_temperature (conversation, 1.0);
  always = plan (context, conversation, &k2_thinking, MOON_CONTEXT_MODE_REPLY, target);
  assert_golden (always, "thinking-always");

  /* Unknown models get only the conservative fields. */
  moon_model_limits_init_unknown (&unknown_limits);
  moon_conversation_set_model (conversation, "some-local-model");
  unknown = plan (context, conversation, &unknown_limits, MOON_CONTEXT_MODE_REPLY, target);
  assert_golden (unknown, "unknown-model");
  g_assert_cmpuint (moon_context_plan_get_history_budget (unknown), ==, G_MAXUINT);
}

static void
test_thinking_off (void)
{
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonConversation) conversation = new_conversation ("kimi-k2.5", NULL);
  g_autoptr(MoonContextPlan) off = NULL;
  MoonMessage *target;

  add (conversation, MOON_MESSAGE_ROLE_USER, "Why is the sky blue?");
  target = add_placeholder (conversation);

  moon_conversation_set_thinking (conversation, FALSE);
  off = plan (context, conversation, &k25, MOON_CONTEXT_MODE_REPLY, target);
  assert_golden (off, "thinking-off");
  g_assert_cmpuint (moon_context_plan_get_max_tokens (off), ==, 4096);
}

static void
test_persona (void)
{
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonConversation) conversation = new_conversation ("kimi-k2-turbo-preview", "You are Kelsier.");
  g_autoptr(MoonContextPlan) second = NULL;
  g_autoptr(MoonContextPlan) third = NULL;
  MoonMessage *target;
  JsonArray *messages;

  moon_context_set_persona_interval (context, 2);
  add (conversation, MOON_MESSAGE_ROLE_USER, "Who are you?");
  add (conversation, MOON_MESSAGE_ROLE_ASSISTANT, "A thief.");
  add (conversation, MOON_MESSAGE_ROLE_USER, "What do you steal?");
  target = add_placeholder (conversation);

  second = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
  g_assert_true (moon_context_plan_get_persona_reinforced (second));
  messages = body_messages (second);
  g_assert_cmpuint (json_array_get_length (messages), ==, 5);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 3), "role"), ==, "system");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 3), "content"), ==,
                   "You are Kelsier.");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 4), "content"), ==,
                   "What do you steal?");
  g_assert_cmpuint (moon_context_plan_get_estimated_prompt_tokens (second), ==,
                    moon_token_estimator_estimate_body (moon_context_get_estimator (context),
                                                        json_node_get_object (moon_context_plan_get_body (second))));

  moon_message_set_content (target, "Atium.");
  moon_message_set_state (target, MOON_MESSAGE_STATE_DONE);
  add (conversation, MOON_MESSAGE_ROLE_USER, "Why?");
  target = add_placeholder (conversation);
  third = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, target);
  g_assert_false (moon_context_plan_get_persona_reinforced (third));
  g_assert_cmpuint (json_array_get_length (body_messages (third)), ==, 6);
}

static void
test_items_and_errors (void)
{
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonConversation) conversation = numbered_conversation (4);
  g_autoptr(MoonConversation) other = numbered_conversation (2);
  g_autoptr(MoonConversation) no_model = moon_conversation_new ();
  g_autoptr(MoonContextPlan) p = NULL;
  g_autoptr(MoonContextPlan) failed = NULL;
  g_autoptr(MoonContextItem) item = NULL;
  g_autoptr(MoonContextItem) again = NULL;
  g_autoptr(GError) error = NULL;
  MoonMessage *stranger = add_placeholder (other);

  moon_conversation_set_context_message_limit (conversation, 2);
  p = plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_PREVIEW, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (p)), ==, 4);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (p)) == MOON_TYPE_CONTEXT_ITEM);

  /* The preview ends with an answer; with two messages it keeps the pair. */
  item = g_list_model_get_item (G_LIST_MODEL (p), 0);
  g_assert_cmpint (moon_context_item_get_status (item), ==, MOON_CONTEXT_STATUS_OVER_LIMIT);
  g_assert_cmpuint (moon_context_item_get_position (item), ==, 0);
  {
    g_autoptr(MoonMessage) first = g_list_model_get_item (G_LIST_MODEL (conversation), 0);

    g_assert_true (moon_context_item_get_message (item) == first);
  }
  g_assert_cmpuint (moon_context_item_get_tokens (item), >, MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD);
  again = g_list_model_get_item (G_LIST_MODEL (p), 0);
  g_assert_true (item == again);
  g_clear_object (&item);
  item = g_list_model_get_item (G_LIST_MODEL (p), 3);
  g_assert_cmpint (moon_context_item_get_status (item), ==, MOON_CONTEXT_STATUS_SENT);
  g_assert_nonnull (moon_context_status_describe (MOON_CONTEXT_STATUS_OVER_BUDGET));
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (p), 4));

  failed = moon_context_plan (context, no_model, &k2_turbo, MOON_CONTEXT_MODE_PREVIEW, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (failed);
  g_clear_error (&error);

  failed = moon_context_plan (context, conversation, &k2_turbo, MOON_CONTEXT_MODE_REPLY, stranger, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (failed);
}

static void
test_over_budget (void)
{
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonConversation) conversation = new_conversation ("moonshot-v1-8k", NULL);
  g_autoptr(MoonContextPlan) p = NULL;
  g_autoptr(GString) huge = g_string_new (NULL);
  MoonMessage *target;

  for (guint i = 0; i < 2000; i++)
    g_string_append (huge, "这是很长的问题。");
  add (conversation, MOON_MESSAGE_ROLE_USER, "An old question");
  add (conversation, MOON_MESSAGE_ROLE_ASSISTANT, "An old answer");
  add (conversation, MOON_MESSAGE_ROLE_USER, huge->str);
  target = add_placeholder (conversation);

  /* The newest question is always sent, and the plan says it will not fit. */
  p = plan (context, conversation, &v1_8k, MOON_CONTEXT_MODE_REPLY, target);
  g_assert_true (moon_context_plan_get_over_budget (p));
  g_assert_cmpuint (moon_context_plan_get_n_sent (p), ==, 1);
  g_assert_cmpuint (moon_context_plan_get_max_tokens (p), >=, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/context/plain-multi-turn", test_plain_multi_turn);
  g_test_add_func ("/context/limit-by-count", test_limit_by_count);
  g_test_add_func ("/context/limit-by-tokens-cjk", test_limit_by_tokens_cjk);
  g_test_add_func ("/context/tool-calls-at-cut", test_tool_calls_at_cut);
  g_test_add_func ("/context/tool-loop-thinking", test_tool_loop_thinking);
  g_test_add_func ("/context/system-summary-order", test_system_summary_order);
  g_test_add_func ("/context/summary-only-when-dropping", test_summary_only_when_dropping);
  g_test_add_func ("/context/partial-prefix", test_partial_prefix);
  g_test_add_func ("/context/continue-twice", test_continue_twice);
  g_test_add_func ("/context/fixed-sampling", test_fixed_sampling);
  g_test_add_func ("/context/thinking-on", test_thinking);
  g_test_add_func ("/context/thinking-off", test_thinking_off);
  g_test_add_func ("/context/persona", test_persona);
  g_test_add_func ("/context/items-and-errors", test_items_and_errors);
  g_test_add_func ("/context/over-budget", test_over_budget);

  return g_test_run ();
}
