/* test-token-estimator.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "moon-token-estimator.h"

/* The estimator against the server's own counts. The bounds below are the
 * promise the context budget relies on; the measured errors are printed as
 * TAP comments. */
#define MAX_PAIR_ERROR  0.15
#define MAX_MEAN_ERROR  0.08

static JsonNode *
load_fixture (const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("MOONCHAT_FIXTURES"), "context", name, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_ref (json_parser_get_root (parser));
}

static void
test_text_classes (void)
{
  /* A Chinese character is about half a token, never a quarter. */
  const char *zh = "人工智能助手会为用户提供安全有帮助准确的回答";
  guint n_chars = g_utf8_strlen (zh, -1);
  guint zh_tokens = moon_token_estimate_text (zh, -1);

  g_assert_cmpuint (zh_tokens, >=, n_chars / 2);
  g_assert_cmpuint (zh_tokens, <=, n_chars);
  g_assert_cmpuint (zh_tokens, >, strlen (zh) / 4 / 2);

  /* Japanese kana and Korean Hangul cost more per character than Han. */
  g_assert_cmpuint (moon_token_estimate_text ("ありがとうございます", -1), >=, 8);
  g_assert_cmpuint (moon_token_estimate_text ("감사합니다감사합니다", -1), >=, 8);

  /* English: a word a token. */
  g_assert_cmpuint (moon_token_estimate_text ("You are a helpful assistant", -1), ==, 5);
  g_assert_cmpuint (moon_token_estimate_text ("I'll check", -1), ==, 3);

  /* Digits in threes, emoji two, empty nothing. */
  g_assert_cmpuint (moon_token_estimate_text ("1234567", -1), ==, 3);
  g_assert_cmpuint (moon_token_estimate_text ("🙂", -1), ==, 2);
  g_assert_cmpuint (moon_token_estimate_text ("", -1), ==, 0);
  g_assert_cmpuint (moon_token_estimate_text (NULL, -1), ==, 0);

  /* Line breaks and indents count; a length limits the scan. */
  g_assert_cmpuint (moon_token_estimate_text ("a\n\nb", -1), ==, 3);
  g_assert_cmpuint (moon_token_estimate_text ("word word word", 4), ==, 1);

  /* Invalid UTF-8 does not stop the scan. */
  g_assert_cmpuint (moon_token_estimate_text ("ab\xff\xfe" "cd", -1), >=, 3);

  /* Long texts scale linearly. */
  {
    g_autoptr(GString) big = g_string_new (NULL);

    for (guint i = 0; i < 1000; i++)
      g_string_append (big, "这是一个测试。");
    g_assert_cmpuint (moon_token_estimate_text (big->str, big->len), >=, 1000 * 4);
    g_assert_cmpuint (moon_token_estimate_text (big->str, big->len), <=, 1000 * 7);
  }
}

static void
test_server_pairs (void)
{
  g_autoptr(JsonNode) root = load_fixture ("token-pairs.json");
  g_autoptr(MoonTokenEstimator) estimator = moon_token_estimator_new ();
  JsonArray *pairs = json_object_get_array_member (json_node_get_object (root), "pairs");
  double sum = 0, worst = 0;
  guint n = json_array_get_length (pairs);

  g_assert_cmpuint (n, >=, 6);

  for (guint i = 0; i < n; i++)
    {
      JsonObject *pair = json_array_get_object_element (pairs, i);
      JsonObject *body = json_object_get_object_member (pair, "body");
      const char *kind = json_object_get_string_member (pair, "kind");
      gint64 actual = json_object_get_int_member (pair, "prompt_tokens");
      guint estimated = moon_token_estimator_estimate_body (estimator, body);
      double error;

      /* The estimate endpoint counts the messages, not a reply's start. */
      if (g_str_equal (kind, "estimate"))
        estimated -= MOON_TOKEN_ESTIMATOR_REPLY_PRIMING;

      error = ((double) estimated - actual) / actual;
      g_test_message ("%-22s estimated %4u  server %4" G_GINT64_FORMAT "  error %+5.1f%%",
                      json_object_get_string_member (pair, "name"), estimated, actual, 100 * error);
      g_assert_cmpfloat (fabs (error), <=, MAX_PAIR_ERROR);

      sum += fabs (error);
      worst = MAX (worst, fabs (error));
    }

  g_test_message ("mean absolute error %.1f%%, worst %.1f%% over %u requests",
                  100 * sum / n, 100 * worst, n);
  g_assert_cmpfloat (sum / n, <=, MAX_MEAN_ERROR);
}

static void
test_message_cache (void)
{
  g_autoptr(MoonTokenEstimator) estimator = moon_token_estimator_new ();
  g_autoptr(MoonMessage) message = moon_message_new (MOON_MESSAGE_ROLE_USER, "Say hi in Portuguese");
  guint tokens;

  g_assert_cmpuint (moon_token_estimator_estimate_message (estimator, message, "kimi-k2.5", FALSE),
                    ==, MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD + 4);

  /* An edit is seen, even one of the same length. */
  moon_message_set_content (message, "Say hi in Portuguesf and Spanish please");
  g_assert_cmpuint (moon_token_estimator_estimate_message (estimator, message, "kimi-k2.5", FALSE),
                    ==, MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD + 7);
  moon_message_set_content (message, "Say ho in Portuguesf and Spanish please");
  g_assert_cmpuint (moon_token_estimator_estimate_message (estimator, message, "kimi-k2.5", FALSE),
                    ==, MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD + 7);
  moon_message_append_content (message, " 谢谢你", -1);
  g_assert_cmpuint (moon_token_estimator_estimate_message (estimator, message, "kimi-k2.5", FALSE),
                    ==, MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD + 9);

  /* A server count wins for its model, until the text changes. */
  moon_token_estimator_set_server_count (estimator, message, "kimi-k2.5", 42);
  g_assert_true (moon_token_estimator_lookup_server_count (estimator, message, "kimi-k2.5", &tokens));
  g_assert_cmpuint (tokens, ==, 42);
  g_assert_cmpuint (moon_token_estimator_estimate_message (estimator, message, "kimi-k2.5", FALSE), ==, 42);
  g_assert_false (moon_token_estimator_lookup_server_count (estimator, message, "moonshot-v1-8k", NULL));
  g_assert_cmpuint (moon_token_estimator_estimate_message (estimator, message, "moonshot-v1-8k", FALSE),
                    ==, MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD + 9);

  moon_message_append_content (message, "!", -1);
  g_assert_false (moon_token_estimator_lookup_server_count (estimator, message, "kimi-k2.5", NULL));
  g_assert_cmpuint (moon_token_estimator_estimate_message (estimator, message, "kimi-k2.5", FALSE),
                    ==, MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD + 10);
}

static void
test_usage_ground_truth (void)
{
  g_autoptr(MoonTokenEstimator) estimator = moon_token_estimator_new ();
  g_autoptr(MoonMessage) reply = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT,
                                                   "Hello! How can I help you today? I can answer questions.");
  g_autoptr(MoonMessage) prefixed = NULL;
  g_autoptr(GString) long_text = g_string_new ("Once upon a time");
  MoonUsage usage = { .prompt_tokens = 24, .completion_tokens = 17, .total_tokens = 41, .reasoning_tokens = 3 };

  moon_message_set_reasoning_content (reply, "The user greets me.");
  moon_message_set_state (reply, MOON_MESSAGE_STATE_DONE);
  moon_message_set_usage (reply, &usage);

  /* completion_tokens less the reasoning that is not sent back. */
  g_assert_cmpuint (moon_token_estimator_estimate_message (estimator, reply, "kimi-k2.5", FALSE),
                    ==, MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD + 14);
  g_assert_cmpuint (moon_token_estimator_estimate_message (estimator, reply, "kimi-k2.5", TRUE),
                    ==, MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD + 17);

  /* A streaming reply has no usage yet: the guess. */
  moon_message_set_state (reply, MOON_MESSAGE_STATE_STREAMING);
  g_assert_cmpuint (moon_token_estimator_estimate_message (estimator, reply, "kimi-k2.5", FALSE),
                    ==, MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD + moon_token_estimate_text (moon_message_get_content (reply), -1));

  /* A reply that holds a long Partial Mode prefix has more text than its
   * usage vouches for: the guess wins. */
  for (guint i = 0; i < 40; i++)
    g_string_append (long_text, " there lived a king who had three daughters");
  prefixed = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, long_text->str);
  moon_message_set_state (prefixed, MOON_MESSAGE_STATE_DONE);
  usage.completion_tokens = 5;
  usage.reasoning_tokens = 0;
  moon_message_set_usage (prefixed, &usage);
  g_assert_cmpuint (moon_token_estimator_estimate_message (estimator, prefixed, "kimi-k2.5", FALSE),
                    ==, MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD + moon_token_estimate_text (long_text->str, -1));
}

static void
test_learned_scale (void)
{
  g_autoptr(MoonTokenEstimator) estimator = moon_token_estimator_new ();
  g_autoptr(MoonMessage) message = moon_message_new (MOON_MESSAGE_ROLE_USER,
                                                     "one two three four five six seven eight nine ten");

  g_assert_cmpfloat (moon_token_estimator_get_scale (estimator), ==, 1.0);

  /* Too small to learn from. */
  moon_token_estimator_record_prompt (estimator, 20, 40);
  g_assert_cmpfloat (moon_token_estimator_get_scale (estimator), ==, 1.0);

  /* The first sample sets the scale, within its limits. */
  moon_token_estimator_record_prompt (estimator, 1000, 1200);
  g_assert_cmpfloat_with_epsilon (moon_token_estimator_get_scale (estimator), 1.2, 0.001);
  g_assert_cmpuint (moon_token_estimator_estimate_message (estimator, message, NULL, FALSE),
                    ==, MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD + 12);

  /* Later ones move it a quarter of the way; a wild one is clamped. */
  moon_token_estimator_record_prompt (estimator, 1000, 100000);
  g_assert_cmpfloat_with_epsilon (moon_token_estimator_get_scale (estimator), 1.275, 0.001);

  moon_token_estimator_reset_scale (estimator);
  g_assert_cmpfloat (moon_token_estimator_get_scale (estimator), ==, 1.0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/token-estimator/text-classes", test_text_classes);
  g_test_add_func ("/token-estimator/server-pairs", test_server_pairs);
  g_test_add_func ("/token-estimator/message-cache", test_message_cache);
  g_test_add_func ("/token-estimator/usage-ground-truth", test_usage_ground_truth);
  g_test_add_func ("/token-estimator/learned-scale", test_learned_scale);

  return g_test_run ();
}
