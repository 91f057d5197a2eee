/* kill-loop.h — SIGKILL a helper process again and again at random moments
 * (header-only; test-store-crash.c and tests/api/test-session-crash.c)
 *
 * Each round starts HELPER ARGS..., reads what it prints line by line,
 * kills it with SIGKILL after a random number of lines plus a random pause,
 * reads the lines it printed before it died (they say what had safely
 * reached the disk), and lets the test check the files it left.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <signal.h>

typedef struct
{
  const char * const *argv;          /* the helper and its arguments */
  guint               rounds;
  guint               min_lines;     /* kill after min_lines..max_lines lines, */
  guint               max_lines;
  guint               max_pause_us;  /* then 0..max_pause_us later */
  /* Every line the helper printed, in order, including those it printed
   * between the chosen moment and its death. */
  void              (*line) (const char *line,
                             gpointer    user_data);
  /* After each kill, the helper gone. */
  void              (*check) (guint    round,
                              gpointer user_data);
  gpointer            user_data;
} KillLoop;

G_GNUC_UNUSED static void
kill_loop_run (const KillLoop *loop)
{
  for (guint round = 0; round < loop->rounds; round++)
    {
      g_autoptr(GSubprocess) child = NULL;
      g_autoptr(GDataInputStream) lines = NULL;
      g_autoptr(GError) error = NULL;
      guint wanted = g_test_rand_int_range (loop->min_lines, loop->max_lines + 1);
      char *line;

      child = g_subprocess_newv (loop->argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
      g_assert_no_error (error);
      lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));

      for (guint seen = 0; seen < wanted; seen++)
        {
          line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
          g_assert_no_error (error);
          if (line == NULL)
            g_error ("round %u: the helper ended before it was killed", round);
          loop->line (line, loop->user_data);
          g_free (line);
        }

      /* Somewhere in what comes next: streaming, saving, or both. */
      g_usleep (g_test_rand_int_range (0, loop->max_pause_us + 1));
      g_subprocess_force_exit (child);
      g_subprocess_wait (child, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (g_subprocess_get_if_signaled (child));
      g_assert_cmpint (g_subprocess_get_term_sig (child), ==, SIGKILL);

      /* What it printed before it died still counts. */
      while ((line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error)) != NULL)
        {
          loop->line (line, loop->user_data);
          g_free (line);
        }
      g_assert_no_error (error);

      loop->check (round, loop->user_data);
    }
}
