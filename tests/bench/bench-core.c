/* bench-core.c — figures of the history store and the request context on
 * the generated history (replaces tests/core/bench-history.c and
 * tests/core/bench-context.c).
 *
 *   bench-core DIRECTORY BIG-FILE
 *
 * DIRECTORY holds the generated conversations (BENCH_N_CONVERSATIONS of
 * them), BIG-FILE is the 5,000-message one. Prints "name value" lines:
 *   list_cold_us, list_warm_us   list the folder without / with the index
 *   parse_floor_us               json-glib parsing BIG-FILE alone (best of 5)
 *   load_big_us                  the store reading it (worker thread)
 *   save_main_avg_us, save_main_max_us
 *                                main-thread time of one save of it (20)
 *   context_*                    building one request for it
 * The store is used on copies where it writes, so the folder is left as
 * generated (plus the index the first listing writes).
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bench-util.h"
#include "moon-context.h"
#include "moon-conversation-store.h"

#define N_RUNS 50

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

#define WAIT(result) G_STMT_START { while ((result) == NULL) g_main_context_iteration (NULL, TRUE); } G_STMT_END

static void
print_figure (const char *name,
              double      value)
{
  printf ("%s %.1f\n", name, value);
  fflush (stdout);
}

static MoonConversationStore *
open_store (const char *dir,
            gint64     *out_us)
{
  g_autoptr(GFile) file = g_file_new_for_path (dir);
  MoonConversationStore *store = moon_conversation_store_new (file);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  moon_conversation_store_load_async (store, NULL, result_cb, &result);
  WAIT (result);
  if (!moon_conversation_store_load_finish (store, result, &error))
    g_error ("Could not list %s: %s", dir, error->message);
  *out_us = g_get_monotonic_time () - start;

  return store;
}

static void
flush (MoonConversationStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  moon_conversation_store_flush_async (store, NULL, result_cb, &result);
  WAIT (result);
  if (!moon_conversation_store_flush_finish (store, result, &error))
    g_error ("Could not save: %s", error->message);
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_remove (child);
    }
  g_rmdir (path);
}

static void
bench_list (const char *dir)
{
  MoonConversationStore *store;
  gint64 cold, warm;

  {
    g_autoptr(GFile) file = g_file_new_for_path (dir);
    g_autoptr(MoonConversationStore) probe = moon_conversation_store_new (file);

    g_remove (g_file_peek_path (moon_conversation_store_get_index_file (probe)));
  }

  store = open_store (dir, &cold);
  if (g_list_model_get_n_items (G_LIST_MODEL (store)) != BENCH_N_CONVERSATIONS)
    g_error ("Listed %u conversations, not %u", g_list_model_get_n_items (G_LIST_MODEL (store)),
             BENCH_N_CONVERSATIONS);
  flush (store);
  g_object_unref (store);

  store = open_store (dir, &warm);
  if (g_list_model_get_n_items (G_LIST_MODEL (store)) != BENCH_N_CONVERSATIONS ||
      moon_conversation_store_get_files_parsed (store) != 0)
    g_error ("The index was not used");
  g_object_unref (store);

  print_figure ("list_cold_us", cold);
  print_figure ("list_warm_us", warm);
}

static void
bench_parse_floor (const char *path)
{
  gint64 best = G_MAXINT64;

  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      gint64 start = g_get_monotonic_time ();

      if (!json_parser_load_from_file (parser, path, &error))
        g_error ("%s: %s", path, error->message);
      best = MIN (best, g_get_monotonic_time () - start);
    }

  print_figure ("parse_floor_us", best);
}

static double
time_builds (MoonContext           *context,
             MoonConversation      *conversation,
             const MoonModelLimits *limits,
             MoonMessage           *target,
             guint                  runs,
             guint                 *out_sent)
{
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < runs; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MoonContextPlan) plan = moon_context_plan (context, conversation, limits,
                                                           MOON_CONTEXT_MODE_REPLY, target, &error);

      if (plan == NULL)
        g_error ("Could not plan a request: %s", error->message);
      *out_sent = moon_context_plan_get_n_sent (plan);
    }

  return (double) (g_get_monotonic_time () - start) / runs;
}

static void
bench_big (const char *big_path)
{
  g_autofree char *dir = g_dir_make_tmp ("moonchat-bench-XXXXXX", NULL);
  g_autofree char *base = g_path_get_basename (big_path);
  g_autofree char *copy = g_build_filename (dir, base, NULL);
  g_autofree char *contents = NULL;
  gsize length;
  MoonConversationStore *store;
  MoonConversation *conversation;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start, us, worst = 0, total = 0;
  const MoonModelLimits k25 = { 262144, TRUE, TRUE, MOON_MODEL_THINKING_SWITCHABLE };
  const MoonModelLimits v1_32k = { 32768, TRUE, FALSE, MOON_MODEL_THINKING_NONE };
  g_autoptr(MoonContext) context = moon_context_new (NULL);
  g_autoptr(MoonMessage) question = NULL;
  g_autoptr(MoonMessage) reply = NULL;
  guint sent;
  double first;

  if (!g_file_get_contents (big_path, &contents, &length, &error) ||
      !g_file_set_contents_full (copy, contents, length, G_FILE_SET_CONTENTS_NONE, 0600, &error))
    g_error ("Could not copy %s: %s", big_path, error->message);

  /* Open: the store reads the messages on a worker thread. */
  store = open_store (dir, &us);
  conversation = g_list_model_get_item (G_LIST_MODEL (store), 0);
  g_object_unref (conversation);
  start = g_get_monotonic_time ();
  moon_conversation_store_ensure_loaded_async (store, conversation, NULL, result_cb, &result);
  WAIT (result);
  if (!moon_conversation_store_ensure_loaded_finish (store, result, &error))
    g_error ("Could not load %s: %s", copy, error->message);
  print_figure ("load_big_us", g_get_monotonic_time () - start);
  print_figure ("load_big_messages", g_list_model_get_n_items (G_LIST_MODEL (conversation)));

  /* Save: flush_async() takes the snapshot and hands it to a worker before
   * returning; that is the main thread's share. One changed message each. */
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(MoonMessage) message = moon_message_new (MOON_MESSAGE_ROLE_USER, "one more");
      g_autoptr(GAsyncResult) flushed = NULL;

      moon_conversation_append_message (conversation, message);
      start = g_get_monotonic_time ();
      moon_conversation_store_flush_async (store, NULL, result_cb, &flushed);
      us = g_get_monotonic_time () - start;
      WAIT (flushed);
      total += us;
      worst = MAX (worst, us);
    }
  print_figure ("save_main_avg_us", total / 20.0);
  print_figure ("save_main_max_us", worst);

  /* Request build: a question and the reply being written, as on send. */
  question = moon_message_new (MOON_MESSAGE_ROLE_USER, "请总结一下我们讨论过的内容。");
  reply = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, NULL);
  moon_message_set_state (reply, MOON_MESSAGE_STATE_STREAMING);
  moon_conversation_append_message (conversation, question);
  moon_conversation_append_message (conversation, reply);

  /* Under the token budget of a 256k window, no message limit. */
  moon_conversation_set_context_message_limit (conversation, 0);
  first = time_builds (context, conversation, &k25, reply, 1, &sent);
  print_figure ("context_budget_first_us", first);
  print_figure ("context_budget_us", time_builds (context, conversation, &k25, reply, N_RUNS, &sent));
  print_figure ("context_budget_sent", sent);
  print_figure ("context_32k_us", time_builds (context, conversation, &v1_32k, reply, N_RUNS, &sent));
  print_figure ("context_32k_sent", sent);
  moon_conversation_set_context_message_limit (conversation, 20);
  print_figure ("context_limit20_us", time_builds (context, conversation, &k25, reply, N_RUNS, &sent));

  moon_message_set_state (reply, MOON_MESSAGE_STATE_DONE);
  flush (store);
  g_object_unref (store);
  rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  if (argc != 3)
    {
      g_printerr ("Usage: %s DIRECTORY BIG-FILE\n", argv[0]);
      return 2;
    }

  bench_list (argv[1]);
  bench_parse_floor (argv[2]);
  bench_big (argv[2]);

  return 0;
}
