/* moonchat-kill-session.c — chats until killed, for test-session-crash
 *
 * moonchat-kill-session DIRECTORY: opens the one conversation in
 * DIRECTORY with a real MoonConversationStore (checkpointing every few
 * milliseconds), and has a real MoonChatSession ask "question N" again and
 * again, streamed in small pieces by a SoupServer on 127.0.0.1 in this
 * process. It prints what is on disk, for the test that SIGKILLs it:
 *
 *   saved D L     a write of the file completed; D replies were done and
 *                 the reply being written was L bytes long at that moment
 *   flushed D     the first D replies are done and on disk
 *
 * A reply the last run left unfinished is picked up first: Continue when
 * some of it reached the disk (the server streams the rest), a new reply
 * when none did. The answer to question N is always moonchat_kill_answer (N).
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "moon-chat-session.h"
#include "moon-kill-answer.h"
#include "moon-test-server.h"

typedef enum
{
  ASK,
  CONTINUE,
  REGENERATE,
} Step;

typedef struct
{
  Step                   step;
  MoonTestServer        *server;
  MoonClient            *client;
  MoonConversationStore *store;
  MoonChatSession       *session;
  MoonConversation      *conversation;
} Chat;

static void ask_next (Chat *chat);

/* Replies done, and the length of the one being written (0 if none). */
static guint
count_done (MoonConversation *conversation,
            gsize            *out_partial)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (conversation));
  guint done = 0;

  *out_partial = 0;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MoonMessage) message = g_list_model_get_item (G_LIST_MODEL (conversation), i);

      if (moon_message_get_role (message) != MOON_MESSAGE_ROLE_ASSISTANT)
        continue;
      if (moon_message_get_state (message) == MOON_MESSAGE_STATE_DONE)
        done++;
      else
        *out_partial = moon_message_get_content_length (message);
    }

  return done;
}

static void
saved_cb (MoonConversationStore *store,
          MoonConversation      *conversation,
          Chat                  *chat)
{
  gsize partial;
  guint done = count_done (conversation, &partial);

  printf ("saved %u %" G_GSIZE_FORMAT "\n", done, partial);
  fflush (stdout);
}

/* Streams @text as a Kimi reply, a word per event, in small pieces. */
static void
push_reply (Chat       *chat,
            const char *text)
{
  g_autoptr(GString) body = g_string_new (NULL);
  g_autoptr(GBytes) bytes = NULL;
  MoonTestResponse *response;
  const char *p = text;

  while (*p != '\0')
    {
      const char *space = strchr (p + 1, ' ');
      gsize n = space ? (gsize) (space - p) : strlen (p);
      g_autofree char *word = g_strndup (p, n);

      g_string_append_printf (body,
                              "data: {\"id\":\"chatcmpl-kill\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                              "\"model\":\"kimi-k2-turbo-preview\",\"choices\":[{\"index\":0,"
                              "\"delta\":{\"content\":\"%s\"},\"finish_reason\":null}]}\n\n", word);
      p += n;
    }
  g_string_append (body,
                   "data: {\"id\":\"chatcmpl-kill\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                   "\"model\":\"kimi-k2-turbo-preview\",\"choices\":[{\"index\":0,\"delta\":{},"
                   "\"finish_reason\":\"stop\",\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":40,"
                   "\"total_tokens\":50}}]}\n\ndata: [DONE]\n\n");

  bytes = g_string_free_to_bytes (g_steal_pointer (&body));
  response = moon_test_response_new ("/v1/chat/completions", 200, "text/event-stream", bytes);
  /* Fixed pieces (MoonTestServer's random sizes need a GTest program). */
  response->min_piece = response->max_piece = 48;
  response->delay_ms = 1;
  moon_test_server_push (chat->server, response);
}

static void
flushed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Chat *chat = user_data;
  g_autoptr(GError) error = NULL;
  gsize partial;
  guint done;

  if (!moon_conversation_store_flush_finish (chat->store, result, &error))
    g_error ("flush failed: %s", error->message);

  done = count_done (chat->conversation, &partial);
  g_assert (partial == 0);
  printf ("flushed %u\n", done);
  fflush (stdout);
  ask_next (chat);
}

static void
reply_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Chat *chat = user_data;
  g_autoptr(MoonMessage) reply = NULL;
  g_autoptr(GError) error = NULL;

  switch (chat->step)
    {
    case CONTINUE:
      reply = moon_chat_session_continue_finish (chat->session, result, &error);
      break;
    case REGENERATE:
      reply = moon_chat_session_regenerate_finish (chat->session, result, &error);
      break;
    case ASK:
    default:
      reply = moon_chat_session_send_finish (chat->session, result, &error);
      break;
    }
  if (reply == NULL)
    g_error ("the reply failed: %s", error->message);
  g_assert (moon_message_get_state (reply) == MOON_MESSAGE_STATE_DONE);

  moon_conversation_store_flush_async (chat->store, NULL, flushed_cb, chat);
}

static void
ask_next (Chat *chat)
{
  gsize partial;
  guint next = count_done (chat->conversation, &partial) + 1;
  g_autofree char *question = g_strdup_printf ("question %u", next);
  g_autofree char *answer = moonchat_kill_answer (next);

  push_reply (chat, answer);
  chat->step = ASK;
  moon_chat_session_send_async (chat->session, chat->conversation, question, NULL, reply_done_cb, chat);
}

/* The last run was killed in the middle of a reply: finish it. */
static gboolean
resume (Chat *chat)
{
  MoonMessage *last = moon_conversation_get_last_message (chat->conversation);
  gsize partial;
  guint question;
  g_autofree char *answer = NULL;

  if (last == NULL || moon_message_get_role (last) != MOON_MESSAGE_ROLE_ASSISTANT ||
      moon_message_get_state (last) == MOON_MESSAGE_STATE_DONE)
    return FALSE;

  /* Read back as interrupted: never as still streaming. */
  if (moon_message_get_state (last) != MOON_MESSAGE_STATE_INTERRUPTED)
    g_error ("an unfinished reply was read back as %s", moon_message_state_to_string (moon_message_get_state (last)));

  question = count_done (chat->conversation, &partial) + 1;
  answer = moonchat_kill_answer (question);
  if (!g_str_has_prefix (answer, moon_message_get_content (last)))
    g_error ("the unfinished reply is not the start of its answer: %s", moon_message_get_content (last));

  if (moon_chat_session_can_continue (last))
    {
      push_reply (chat, answer + moon_message_get_content_length (last));
      chat->step = CONTINUE;
      moon_chat_session_continue_async (chat->session, chat->conversation, last, NULL, reply_done_cb, chat);
    }
  else
    {
      g_assert (moon_message_get_content_length (last) == 0);
      push_reply (chat, answer);
      chat->step = REGENERATE;
      moon_chat_session_regenerate_async (chat->session, chat->conversation, last, NULL, reply_done_cb, chat);
    }

  return TRUE;
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
  Chat chat = { 0 };

  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s DIRECTORY\n", argv[0]);
      return 2;
    }

  chat.server = moon_test_server_new ();
  chat.client = moon_client_new (moon_test_server_get_base_url (chat.server));
  moon_client_set_api_key (chat.client, "sk-test-kill-session");

  dir = g_file_new_for_path (argv[1]);
  chat.store = moon_conversation_store_new (dir);
  /* Checkpoints every few milliseconds: many chances to die in a write. */
  g_object_set (chat.store, "save-delay", 0, "checkpoint-interval", 5, NULL);
  g_signal_connect (chat.store, "saved", G_CALLBACK (saved_cb), &chat);
  chat.session = moon_chat_session_new (chat.client, chat.store, NULL);

  moon_conversation_store_load_async (chat.store, NULL, result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (!moon_conversation_store_load_finish (chat.store, result, &error))
    g_error ("load failed: %s", error->message);
  g_clear_object (&result);

  if (g_list_model_get_n_items (G_LIST_MODEL (chat.store)) != 1)
    g_error ("expected one conversation, found %u", g_list_model_get_n_items (G_LIST_MODEL (chat.store)));
  chat.conversation = g_list_model_get_item (G_LIST_MODEL (chat.store), 0);

  moon_conversation_store_ensure_loaded_async (chat.store, chat.conversation, NULL, result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (!moon_conversation_store_ensure_loaded_finish (chat.store, result, &error))
    g_error ("could not open the conversation: %s", error->message);
  if (moon_conversation_get_read_only (chat.conversation))
    g_error ("the conversation is read-only: %s", moon_conversation_get_read_only_reason (chat.conversation)->message);

  if (!resume (&chat))
    ask_next (&chat);

  main_loop = g_main_loop_new (NULL, FALSE);
  g_main_loop_run (main_loop);

  return 0;
}
