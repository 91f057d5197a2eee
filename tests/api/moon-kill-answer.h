/* moon-kill-answer.h — the answer to "question N" in the session kill test
 * (shared by moonchat-kill-session and test-session-crash)
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#define MOONCHAT_KILL_ANSWER_WORDS 60

/* "Answer N: w1.N w2.N … w60.N" (a word per streamed delta). */
static inline char *
moonchat_kill_answer (guint question)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "Answer %u:", question);
  for (guint i = 1; i <= MOONCHAT_KILL_ANSWER_WORDS; i++)
    g_string_append_printf (text, " w%u.%u", i, question);

  return g_string_free (text, FALSE);
}
