/* bench-history.c — figures for the history store (not a test)
 *
 * Prints: time to list 5,000 conversations (first start without an index,
 * then with it), time to open a 5,000-message conversation, and the
 * main-thread time of one save of it. Works in a temporary folder.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <glib/gstdio.h>

#include "moon-conversation-store.h"

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

#define WAIT(result) G_STMT_START { while ((result) == NULL) g_main_context_iteration (NULL, TRUE); } G_STMT_END

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static MoonConversationStore *
open_store (const char *dir,
            double     *out_ms)
{
  g_autoptr(GFile) file = g_file_new_for_path (dir);
  MoonConversationStore *store = moon_conversation_store_new (file);
  g_autoptr(GAsyncResult) result = NULL;
  gint64 start = g_get_monotonic_time ();

  moon_conversation_store_load_async (store, NULL, result_cb, &result);
  WAIT (result);
  g_assert (moon_conversation_store_load_finish (store, result, NULL));
  *out_ms = ms_since (start);
  return store;
}

static void
flush (MoonConversationStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;

  moon_conversation_store_flush_async (store, NULL, result_cb, &result);
  WAIT (result);
  g_assert (moon_conversation_store_flush_finish (store, result, NULL));
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

int
main (int   argc,
      char *argv[])
{
  g_autofree char *many = g_dir_make_tmp ("moonchat-bench-XXXXXX", NULL);
  g_autofree char *big = g_dir_make_tmp ("moonchat-bench-XXXXXX", NULL);
  MoonConversationStore *store;
  MoonConversation *conversation;
  g_autoptr(GAsyncResult) result = NULL;
  double cold_ms, warm_ms, ms, worst = 0, total = 0;
  gint64 start;
  const guint n = 5000;

  /* 5,000 conversations of 10 messages each, written by the store. */
  store = open_store (many, &ms);
  for (guint i = 0; i < n; i++)
    {
      conversation = moon_conversation_store_create (store);
      for (guint j = 0; j < 10; j++)
        {
          g_autofree char *text = g_strdup_printf ("Conversation %u, message %u: some text 月之暗面 🌙", i, j);
          g_autoptr(MoonMessage) message = moon_message_new (j % 2 ? MOON_MESSAGE_ROLE_ASSISTANT : MOON_MESSAGE_ROLE_USER, text);

          moon_conversation_append_message (conversation, message);
        }
    }
  flush (store);
  g_object_unref (store);

  /* Cold: no index (every file parsed); warm: from the index. */
  {
    g_autoptr(GFile) dir = g_file_new_for_path (many);
    g_autoptr(MoonConversationStore) probe = moon_conversation_store_new (dir);

    g_remove (g_file_peek_path (moon_conversation_store_get_index_file (probe)));
  }
  store = open_store (many, &cold_ms);
  g_assert (g_list_model_get_n_items (G_LIST_MODEL (store)) == n);
  flush (store);
  g_object_unref (store);
  store = open_store (many, &warm_ms);
  g_assert (g_list_model_get_n_items (G_LIST_MODEL (store)) == n);
  g_assert (moon_conversation_store_get_files_parsed (store) == 0);
  g_object_unref (store);
  printf ("list %u conversations: %.1f ms without the index, %.1f ms with it\n", n, cold_ms, warm_ms);

  /* One conversation of 5,000 messages (~1.3 MB). */
  store = open_store (big, &ms);
  conversation = moon_conversation_store_create (store);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("Message %u: Lorem ipsum dolor sit amet, 月之暗面 Kimi 🌙, "
                                               "consectetur adipiscing elit, sed do eiusmod tempor incididunt "
                                               "ut labore et dolore magna aliqua.", i);
      g_autoptr(MoonMessage) message = moon_message_new (i % 2 ? MOON_MESSAGE_ROLE_ASSISTANT : MOON_MESSAGE_ROLE_USER, text);

      moon_conversation_append_message (conversation, message);
    }
  flush (store);
  g_object_unref (store);

  store = open_store (big, &ms);
  conversation = g_list_model_get_item (G_LIST_MODEL (store), 0);
  g_object_unref (conversation);
  start = g_get_monotonic_time ();
  moon_conversation_store_ensure_loaded_async (store, conversation, NULL, result_cb, &result);
  WAIT (result);
  g_assert (moon_conversation_store_ensure_loaded_finish (store, result, NULL));
  ms = ms_since (start);
  g_assert (g_list_model_get_n_items (G_LIST_MODEL (conversation)) == n);
  printf ("open a %u-message conversation: %.1f ms (parsing on a worker thread)\n", n, ms);

  /* Main-thread cost of a save: flush_async() takes the snapshot and hands
   * it to a worker before returning. Repeat with one changed message each. */
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(MoonMessage) message = moon_message_new (MOON_MESSAGE_ROLE_USER, "one more");
      g_autoptr(GAsyncResult) flushed = NULL;
      double one;

      moon_conversation_append_message (conversation, message);
      start = g_get_monotonic_time ();
      moon_conversation_store_flush_async (store, NULL, result_cb, &flushed);
      one = ms_since (start);
      WAIT (flushed);
      total += one;
      worst = MAX (worst, one);
    }
  printf ("main-thread time of one save of it: %.3f ms average, %.3f ms worst (20 saves)\n",
          total / 20, worst);

  g_object_unref (store);
  rm_rf (many);
  rm_rf (big);

  return 0;
}
