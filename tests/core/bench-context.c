/* bench-context.c — how long building one request takes for a long
 * conversation. A benchmark, not a test: it prints figures and fails only if
 * the request is wrong. Run: meson test -C _build --benchmark bench-context
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>

#include "moon-context.h"

#define N_MESSAGES 5000
#define N_RUNS     (g_getenv ("BENCH_RUNS") ? atoi (g_getenv ("BENCH_RUNS")) : 50)

static const char * const english[] = {
  "Could you explain how the scheduler decides which task runs next, and what happens when two tasks have the same priority?",
  "The scheduler keeps a queue per priority level. When two tasks share a level, it takes them in turn, each for one time slice, so neither starves the other.",
  "Write a short poem about autumn leaves falling on a quiet street.",
};

static const char * const chinese[] = {
  "请帮我把这段会议记录整理成要点，并列出下周需要完成的事项。",
  "好的。要点如下：一、项目进度符合预期；二、测试覆盖率需要提高；三、下周五之前完成文档。需要完成的事项包括更新设计稿、补充单元测试和准备演示。",
};

static MoonConversation *
generate (void)
{
  MoonConversation *conversation = moon_conversation_new ();

  moon_conversation_set_model (conversation, "kimi-k2.5");
  moon_conversation_set_system_prompt (conversation, "You are Kimi, an AI assistant provided by Moonshot AI.");

  for (guint i = 0; i < N_MESSAGES; i++)
    {
      gboolean user = i % 2 == 0;
      g_autoptr(GString) text = g_string_new (NULL);
      g_autoptr(MoonMessage) message = NULL;

      /* Mixed languages and lengths, a few paragraphs now and then. */
      for (guint j = 0; j <= i % 4; j++)
        {
          if ((i / 2) % 3 == 0)
            g_string_append (text, chinese[user ? 0 : 1]);
          else
            g_string_append (text, english[(i + j) % G_N_ELEMENTS (english)]);
          g_string_append (text, "\n\n");
        }

      message = moon_message_new (user ? MOON_MESSAGE_ROLE_USER : MOON_MESSAGE_ROLE_ASSISTANT, text->str);
      if (!user)
        {
          MoonUsage usage = { 1000, 150, 1150, 0, 0 };

          if (i % 97 == 1)
            moon_message_set_state (message, MOON_MESSAGE_STATE_FAILED);
          else if (i % 3 == 1)
            moon_message_set_usage (message, &usage);
        }
      moon_conversation_append_message (conversation, message);
    }

  return conversation;
}

static double
time_builds (MoonContext           *context,
             MoonConversation      *conversation,
             const MoonModelLimits *limits,
             MoonMessage           *target,
             guint                  runs,
             guint                 *out_sent,
             guint                 *out_tokens)
{
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < runs; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MoonContextPlan) plan = moon_context_plan (context, conversation, limits,
                                                           MOON_CONTEXT_MODE_REPLY, target, &error);

      g_assert_no_error (error);
      *out_sent = moon_context_plan_get_n_sent (plan);
      *out_tokens = moon_context_plan_get_estimated_prompt_tokens (plan);
    }

  return (g_get_monotonic_time () - start) / 1000.0 / runs;
}

int
main (int   argc,
      char *argv[])
{
  const MoonModelLimits k25 = { 262144, TRUE, TRUE, MOON_MODEL_THINKING_SWITCHABLE };
  const MoonModelLimits v1_32k = { 32768, TRUE, FALSE, MOON_MODEL_THINKING_NONE };
  g_autoptr(MoonConversation) conversation = NULL;
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonMessage) target = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, NULL);
  guint sent, tokens;
  double cold, warm, warm_limit, warm_small;

  /* The usual case first, on a conversation nothing was estimated for. */
  {
    g_autoptr(MoonConversation) fresh = generate ();
    g_autoptr(MoonMessage) reply = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, NULL);

    moon_message_set_state (reply, MOON_MESSAGE_STATE_STREAMING);
    moon_conversation_append_message (fresh, reply);
    cold = time_builds (context, fresh, &k25, reply, 1, &sent, &tokens);
    warm = time_builds (context, fresh, &k25, reply, N_RUNS, &sent, &tokens);
    g_print ("%u messages, default limit of 20: %u sent; first build %.3f ms, then %.3f ms per request\n",
             N_MESSAGES, sent, cold, warm);
  }

  conversation = generate ();
  moon_message_set_state (target, MOON_MESSAGE_STATE_STREAMING);
  moon_conversation_append_message (conversation, target);

  /* Unlimited message count: the 256k window decides. */
  moon_conversation_set_context_message_limit (conversation, 0);
  cold = time_builds (context, conversation, &k25, target, 1, &sent, &tokens);
  warm = time_builds (context, conversation, &k25, target, N_RUNS, &sent, &tokens);
  g_assert_cmpuint (tokens, <=, 262144);
  g_assert_cmpuint (sent, <, N_MESSAGES);
  g_print ("%u messages, 256k window, no message limit: %u sent, ~%u prompt tokens\n",
           N_MESSAGES, sent, tokens);
  g_print ("  first build (estimates every message it reaches): %.2f ms\n", cold);
  g_print ("  build (estimates cached):              %.3f ms per request (target < 5 ms)\n", warm);

  /* A 32k window. */
  warm_small = time_builds (context, conversation, &v1_32k, target, N_RUNS, &sent, &tokens);
  g_print ("%u messages, 32k window: %u sent, ~%u prompt tokens, %.3f ms per request\n",
           N_MESSAGES, sent, tokens, warm_small);

  /* The default limit of 20 messages. */
  moon_conversation_set_context_message_limit (conversation, 20);
  warm_limit = time_builds (context, conversation, &k25, target, N_RUNS, &sent, &tokens);
  g_print ("%u messages, limit 20: %u sent, %.3f ms per request\n", N_MESSAGES, sent, warm_limit);

  return 0;
}
