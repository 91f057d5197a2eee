/* test-store-crash.c — SIGKILL a process that saves in a loop, 100 times
 *
 * After every kill the conversation file must parse and hold every message
 * the process had reported as saved.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>

#include "history-test-util.h"
#include "kill-loop.h"

#define ROUNDS 100

static char *
only_json_file (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  char *found = NULL;
  const char *name;

  while ((name = g_dir_read_name (d)))
    {
      if (!test_is_json_name (name))
        continue;
      g_assert_null (found);
      found = g_build_filename (dir, name, NULL);
    }

  return found;
}

/* Checks the file and returns how many questions it holds in order. */
static guint
verify (const char *path,
        guint       must_have)
{
  g_autofree char *text = test_read_file (path);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(MoonConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;
  guint n, questions = 0;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  conversation = moon_conversation_new_from_json (json_node_get_object (json_parser_get_root (parser)), &error);
  g_assert_no_error (error);
  g_assert_false (moon_conversation_get_read_only (conversation));

  n = g_list_model_get_n_items (G_LIST_MODEL (conversation));
  g_assert_cmpuint (n, >=, 1);
  for (guint i = 1; i < n; i += 2)
    {
      g_autoptr(MoonMessage) user = g_list_model_get_item (G_LIST_MODEL (conversation), i);
      g_autoptr(MoonMessage) reply = g_list_model_get_item (G_LIST_MODEL (conversation), i + 1);
      g_autofree char *question = g_strdup_printf ("message %u", questions);
      g_autofree char *answer = g_strdup_printf ("answer %u: part0 part1 part2 ", questions);

      g_assert_cmpstr (moon_message_get_content (user), ==, question);
      g_assert_nonnull (reply);
      if (questions < must_have)
        {
          /* Reported saved: complete. */
          g_assert_cmpint (moon_message_get_state (reply), ==, MOON_MESSAGE_STATE_DONE);
          g_assert_cmpstr (moon_message_get_content (reply), ==, answer);
        }
      else
        /* Caught by a checkpoint mid-reply: a prefix, marked interrupted. */
        g_assert_true (g_str_has_prefix (answer, moon_message_get_content (reply)));
      questions++;
    }

  g_assert_cmpuint (questions, >=, must_have);
  return questions;
}

typedef struct
{
  char  *dir;
  guint  reported;          /* questions the helper said were saved */
  guint  kills_mid_write;   /* kills that left a partial reply on disk */
} Crash;

static void
line_cb (const char *line,
         gpointer    user_data)
{
  Crash *crash = user_data;
  guint n;

  g_assert_cmpint (sscanf (line, "saved %u", &n), ==, 1);
  g_assert_cmpuint (n, >, crash->reported);
  crash->reported = n;
}

static void
check_cb (guint    round,
          gpointer user_data)
{
  Crash *crash = user_data;
  g_autofree char *path = only_json_file (crash->dir);

  g_assert_nonnull (path);
  if (verify (path, crash->reported) > crash->reported)
    crash->kills_mid_write++;
}

static void
test_sigkill_loop (void)
{
  const char *helper = g_getenv ("MOONCHAT_SAVE_LOOP");
  g_autofree char *dir = test_make_dir ();
  const char *argv[] = { helper, dir, NULL };
  Crash crash = { dir, 0, 0 };
  KillLoop loop = { argv, ROUNDS, 1, 3, 15000, line_cb, check_cb, &crash };

  g_assert_nonnull (helper);
  kill_loop_run (&loop);

  g_test_message ("%u rounds, %u questions saved, %u kills after a partial reply reached disk",
                  ROUNDS, crash.reported, crash.kills_mid_write);

  /* And the store itself opens what is left, with nothing set aside. */
  {
    g_autoptr(MoonConversationStore) store = test_store_open (dir);

    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
    test_ensure_loaded (store, test_get_conversation (store, 0));
    g_assert_cmpuint (test_count_files (dir, test_is_corrupt_name), ==, 0);
    test_store_close (g_steal_pointer (&store));
  }

  test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/store/crash/sigkill-loop", test_sigkill_loop);

  return g_test_run ();
}
