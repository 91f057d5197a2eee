/* test-session-crash.c — SIGKILL a real chat session 100 times
 *
 * moonchat-kill-session streams replies from a SoupServer through a real
 * MoonChatSession into a conversation saved by a real
 * MoonConversationStore, checkpointing as it goes; it is killed at random
 * moments, while a reply streams and while a file is being written, and
 * started again (it first finishes the reply it was killed in). After every
 * kill:
 *  - every file parses and is writable; nothing is set aside;
 *  - no reply is lost that was reported done and flushed;
 *  - the reply in progress survives up to its last checkpoint: at least
 *    what it held when the write before the last reported one completed;
 *  - an unfinished reply reads back as interrupted, is the start of its
 *    answer, and can be continued (or, when empty, asked again);
 *  - the conversation's unknown fields are still there.
 * This builds on test-store-crash (a save loop, no network) with the
 * whole chain that runs in the app.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "history-test-util.h"
#include "kill-loop.h"
#include "moon-chat-session.h"
#include "moon-kill-answer.h"

#define ROUNDS 100
#define BULK_SIZE (256 * 1024)

typedef struct
{
  char   *dir;
  char   *path;
  guint   flushed;          /* replies reported done and on disk */
  GArray *saved_done;       /* this round's "saved D L" lines */
  GArray *saved_length;
  /* What the kills hit. */
  guint   kills_in_reply;   /* an unfinished reply was on disk */
  guint   kills_in_write;   /* a temporary file was left behind */
  guint   empty_replies;    /* the reply was on disk with no text yet */
  guint   losses;
} Crash;

static void
line_cb (const char *line,
         gpointer    user_data)
{
  Crash *crash = user_data;
  guint done;
  gsize length;

  if (sscanf (line, "saved %u %" G_GSIZE_FORMAT, &done, &length) == 2)
    {
      g_array_append_val (crash->saved_done, done);
      g_array_append_val (crash->saved_length, length);
    }
  else if (sscanf (line, "flushed %u", &done) == 1)
    {
      g_assert_cmpuint (done, >=, crash->flushed);
      crash->flushed = done;
    }
  else
    {
      g_error ("unexpected line from the helper: %s", line);
    }
}

static guint
count_names (const char *dir,
             const char *infix)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while ((name = g_dir_read_name (d)) != NULL)
    if (strstr (name, infix) != NULL)
      n++;

  return n;
}

static void
check_cb (guint    round,
          gpointer user_data)
{
  Crash *crash = user_data;
  g_autofree char *text = test_read_file (crash->path);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(MoonConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  guint n, done = 0;
  gsize partial = 0;
  static guint tmp_before;
  guint tmp_now;

  /* The one file, whole. */
  g_assert_cmpuint (count_names (crash->dir, ".corrupt-"), ==, 0);
  g_assert_cmpuint (count_names (crash->dir, ".conflict-"), ==, 0);
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpuint (strlen (json_object_get_string_member (root, "x-bulk")), ==, BULK_SIZE);
  conversation = moon_conversation_new_from_json (root, &error);
  g_assert_no_error (error);
  g_assert_false (moon_conversation_get_read_only (conversation));

  /* Question, answer, question, answer... all done but maybe the last. */
  n = g_list_model_get_n_items (G_LIST_MODEL (conversation));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MoonMessage) message = g_list_model_get_item (G_LIST_MODEL (conversation), i);
      guint question = i / 2 + 1;

      if (i % 2 == 0)
        {
          g_autofree char *expected = g_strdup_printf ("question %u", question);

          g_assert_cmpint (moon_message_get_role (message), ==, MOON_MESSAGE_ROLE_USER);
          g_assert_cmpstr (moon_message_get_content (message), ==, expected);
          /* A question is never saved without its reply. */
          g_assert_cmpuint (i + 1, <, n);
        }
      else
        {
          g_autofree char *answer = moonchat_kill_answer (question);

          g_assert_cmpint (moon_message_get_role (message), ==, MOON_MESSAGE_ROLE_ASSISTANT);
          if (moon_message_get_state (message) == MOON_MESSAGE_STATE_DONE)
            {
              g_assert_cmpuint (done, ==, question - 1);
              g_assert_cmpstr (moon_message_get_content (message), ==, answer);
              done++;
              continue;
            }

          /* Killed while it streamed: read back as interrupted, the start
           * of its answer, and it can be continued. */
          g_assert_cmpuint (i, ==, n - 1);
          g_assert_cmpint (moon_message_get_state (message), ==, MOON_MESSAGE_STATE_INTERRUPTED);
          g_assert_true (g_str_has_prefix (answer, moon_message_get_content (message)));
          partial = moon_message_get_content_length (message);
          g_assert_true (moon_chat_session_can_continue (message) == (partial > 0));
          crash->kills_in_reply++;
          if (partial == 0)
            crash->empty_replies++;
        }
    }

  /* Nothing reported done and flushed is lost. */
  if (done < crash->flushed)
    crash->losses++;
  g_assert_cmpuint (done, >=, crash->flushed);

  /* The reply survives up to its last checkpoint: the last reported write
   * began after the one before it was reported, so it holds at least what
   * the conversation held then. */
  if (crash->saved_done->len >= 2)
    {
      guint before = crash->saved_done->len - 2;
      guint done_then = g_array_index (crash->saved_done, guint, before);
      gsize length_then = g_array_index (crash->saved_length, gsize, before);

      if (done < done_then || (done == done_then && partial < length_then))
        crash->losses++;
      g_assert_cmpuint (done, >=, done_then);
      if (done == done_then)
        g_assert_cmpuint (partial, >=, length_then);
    }

  tmp_now = count_names (crash->dir, ".json.tmp-");
  if (tmp_now > tmp_before)
    crash->kills_in_write++;
  tmp_before = tmp_now;

  g_array_set_size (crash->saved_done, 0);
  g_array_set_size (crash->saved_length, 0);
}

static void
write_first_file (Crash *crash)
{
  g_autofree char *bulk = g_malloc (BULK_SIZE + 1);
  g_autofree char *text = NULL;

  /* Big enough that a kill often lands in the middle of a write; an
   * unknown field, which every save must carry over. */
  memset (bulk, 'b', BULK_SIZE);
  bulk[BULK_SIZE] = '\0';
  text = g_strdup_printf ("{\"format\":\"moonchat-conversation\",\"version\":1,"
                          "\"id\":\"5d1c7f0e-kill-4e2b-9a57-5f0d1f0b2c11\",\"title\":\"Killed again and again\","
                          "\"settings\":{\"model\":\"kimi-k2-turbo-preview\",\"context_message_limit\":4},"
                          "\"x-bulk\":\"%s\",\"messages\":[]}", bulk);
  test_write_file (crash->path, text);
}

static void
test_sigkill_session (void)
{
  const char *helper = g_getenv ("MOONCHAT_KILL_SESSION");
  g_autofree char *dir = test_make_dir ();
  const char *argv[] = { helper, dir, NULL };
  Crash crash = { 0 };
  KillLoop loop = { argv, ROUNDS, 1, 40, 8000, line_cb, check_cb, &crash };

  g_assert_nonnull (helper);
  crash.dir = dir;
  crash.path = g_build_filename (dir, "5d1c7f0e-kill-4e2b-9a57-5f0d1f0b2c11.json", NULL);
  crash.saved_done = g_array_new (FALSE, FALSE, sizeof (guint));
  crash.saved_length = g_array_new (FALSE, FALSE, sizeof (gsize));
  write_first_file (&crash);

  kill_loop_run (&loop);

  g_test_message ("%u kills: %u replies done and flushed, %u kills with a reply in progress on disk "
                  "(%u of them still empty), %u kills in the middle of a write, %u losses",
                  ROUNDS, crash.flushed, crash.kills_in_reply, crash.empty_replies, crash.kills_in_write,
                  crash.losses);
  g_assert_cmpuint (crash.losses, ==, 0);
  /* The kills really hit both moments. */
  g_assert_cmpuint (crash.kills_in_reply, >, 0);
  g_assert_cmpuint (crash.flushed, >, 0);

  /* The store opens what is left, with nothing set aside. */
  {
    g_autoptr(MoonConversationStore) store = test_store_open (dir);

    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
    test_ensure_loaded (store, test_get_conversation (store, 0));
    g_assert_cmpuint (test_count_files (dir, test_is_corrupt_name), ==, 0);
    test_store_close (g_steal_pointer (&store));
  }

  g_array_unref (crash.saved_done);
  g_array_unref (crash.saved_length);
  g_free (crash.path);
  test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/api/session/crash/sigkill-100", test_sigkill_session);

  return g_test_run ();
}
