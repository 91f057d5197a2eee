/* moonchat-save-loop.c — saves a conversation in a loop until killed
 *
 * Used by test-store-crash: it appends a question and a streamed answer,
 * waits until the store has them on disk, prints "saved N" (N = how many
 * questions are now safely stored), and goes on.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "moon-conversation-store.h"

typedef struct
{
  MoonConversationStore *store;
  MoonConversation      *conversation;
  MoonMessage           *reply;
  guint                  next;
  guint                  part;
} Loop;

static void next_round (Loop *loop);

static void
flushed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Loop *loop = user_data;
  g_autoptr(GError) error = NULL;

  if (!moon_conversation_store_flush_finish (loop->store, result, &error))
    g_error ("flush failed: %s", error->message);

  printf ("saved %u\n", loop->next);
  fflush (stdout);
  next_round (loop);
}

static gboolean
stream_cb (gpointer data)
{
  Loop *loop = data;
  g_autofree char *chunk = g_strdup_printf ("part%u ", loop->part);

  moon_message_append_content (loop->reply, chunk, -1);
  if (++loop->part < 3)
    return G_SOURCE_CONTINUE;

  moon_message_set_state (loop->reply, MOON_MESSAGE_STATE_DONE);
  g_clear_object (&loop->reply);
  loop->next++;
  moon_conversation_store_flush_async (loop->store, NULL, flushed_cb, loop);
  return G_SOURCE_REMOVE;
}

static void
next_round (Loop *loop)
{
  g_autofree char *question = g_strdup_printf ("message %u", loop->next);
  g_autofree char *answer = g_strdup_printf ("answer %u: ", loop->next);
  g_autoptr(MoonMessage) user = moon_message_new (MOON_MESSAGE_ROLE_USER, question);

  moon_conversation_append_message (loop->conversation, user);
  loop->reply = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, answer);
  moon_message_set_state (loop->reply, MOON_MESSAGE_STATE_STREAMING);
  moon_conversation_append_message (loop->conversation, loop->reply);
  loop->part = 0;
  g_timeout_add (1, stream_cb, loop);
}

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GFile) dir = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) main_loop = NULL;
  Loop loop = { 0 };
  guint n;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s DIRECTORY\n", argv[0]);
      return 2;
    }

  dir = g_file_new_for_path (argv[1]);
  loop.store = moon_conversation_store_new (dir);
  g_object_set (loop.store, "save-delay", 0, "checkpoint-interval", 5, NULL);

  moon_conversation_store_load_async (loop.store, NULL, result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (!moon_conversation_store_load_finish (loop.store, result, &error))
    g_error ("load failed: %s", error->message);
  g_clear_object (&result);

  if (g_list_model_get_n_items (G_LIST_MODEL (loop.store)) == 0)
    {
      g_autoptr(GString) seed = g_string_new ("seed ");
      g_autoptr(MoonMessage) first = NULL;

      /* Big enough that a kill often lands in the middle of a write. */
      while (seed->len < 256 * 1024)
        g_string_append (seed, "filler 填充 ");
      loop.conversation = moon_conversation_store_create (loop.store);
      first = moon_message_new (MOON_MESSAGE_ROLE_SYSTEM, seed->str);
      moon_conversation_append_message (loop.conversation, first);
    }
  else
    {
      loop.conversation = g_list_model_get_item (G_LIST_MODEL (loop.store), 0);
      g_object_unref (loop.conversation);  /* the store keeps it */

      moon_conversation_store_ensure_loaded_async (loop.store, loop.conversation, NULL, result_cb, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      if (!moon_conversation_store_ensure_loaded_finish (loop.store, result, &error))
        g_error ("could not open the conversation: %s", error->message);
    }

  /* Carry on after the last question whose answer is complete on disk; an
   * answer cut short by the kill is dropped, as "regenerate" would. */
  n = g_list_model_get_n_items (G_LIST_MODEL (loop.conversation));
  {
    g_autoptr(MoonMessage) keep = g_list_model_get_item (G_LIST_MODEL (loop.conversation), 0);

    for (guint i = 1; i + 1 < n; i += 2)
      {
        g_autoptr(MoonMessage) reply = g_list_model_get_item (G_LIST_MODEL (loop.conversation), i + 1);

        if (moon_message_get_state (reply) != MOON_MESSAGE_STATE_DONE)
          break;
        g_set_object (&keep, reply);
        loop.next++;
      }

    moon_conversation_truncate_after (loop.conversation, keep);
  }

  next_round (&loop);

  main_loop = g_main_loop_new (NULL, FALSE);
  g_main_loop_run (main_loop);

  return 0;
}
