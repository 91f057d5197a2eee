/* test-chat-session.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "moon-api-error.h"
#include "moon-chat-session.h"
#include "moon-conversation-store.h"
#include "moon-test-util.h"
#include "moon-token-counter.h"

/* End to end against a real SoupServer on 127.0.0.1 that speaks Kimi's
 * stream format: each chat request takes the next scripted reply, and the
 * server keeps every request body for the assertions. */

typedef struct
{
  GPtrArray  *pieces;        /* content deltas */
  char       *finish_reason; /* NULL: the stream breaks off without [DONE] */
  gint64      prompt_tokens;
  gint64      completion_tokens;
  guint       status;        /* != 200: an error body instead */
} Script;

typedef struct
{
  SoupServer *server;
  char       *base_url;
  GQueue      scripts;
  GPtrArray  *requests;      /* JsonNode of every chat request body */
  guint       n_estimates;
  MoonClient *client;
  char       *dir;
  MoonConversationStore *store;
} Fixture;

static void
script_free (Script *script)
{
  g_ptr_array_unref (script->pieces);
  g_free (script->finish_reason);
  g_free (script);
}

static void
push_script (Fixture    *fixture,
             const char *finish_reason,
             gint64      prompt_tokens,
             gint64      completion_tokens,
             ...)
{
  Script *script = g_new0 (Script, 1);
  const char *piece;
  va_list args;

  script->pieces = g_ptr_array_new_with_free_func (g_free);
  script->finish_reason = g_strdup (finish_reason);
  script->prompt_tokens = prompt_tokens;
  script->completion_tokens = completion_tokens;
  script->status = 200;

  va_start (args, completion_tokens);
  while ((piece = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (script->pieces, g_strdup (piece));
  va_end (args);

  g_queue_push_tail (&fixture->scripts, script);
}

static void
push_error (Fixture *fixture,
            guint    status)
{
  Script *script = g_new0 (Script, 1);

  script->pieces = g_ptr_array_new_with_free_func (g_free);
  script->status = status;
  g_queue_push_tail (&fixture->scripts, script);
}

static void
append_chunk (GString    *out,
              JsonObject *delta,
              const char *finish_reason,
              JsonObject *usage)
{
  g_autoptr(JsonObject) chunk = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonArray *choices = json_array_new ();
  JsonObject *choice = json_object_new ();
  g_autofree char *text = NULL;

  json_object_set_string_member (chunk, "id", "chatcmpl-test");
  json_object_set_string_member (chunk, "object", "chat.completion.chunk");
  json_object_set_int_member (chunk, "created", 1769600000);
  json_object_set_string_member (chunk, "model", "kimi-k2-turbo-preview");
  json_object_set_int_member (choice, "index", 0);
  json_object_set_object_member (choice, "delta", delta);
  if (finish_reason != NULL)
    json_object_set_string_member (choice, "finish_reason", finish_reason);
  else
    json_object_set_null_member (choice, "finish_reason");
  if (usage != NULL)
    json_object_set_object_member (choice, "usage", usage);
  json_array_add_object_element (choices, choice);
  json_object_set_array_member (chunk, "choices", choices);

  json_node_set_object (node, chunk);
  text = json_to_string (node, FALSE);
  g_string_append_printf (out, "data: %s\n\n", text);
}

static char *
render_script (const Script *script)
{
  GString *out = g_string_new (NULL);
  JsonObject *delta = json_object_new ();

  json_object_set_string_member (delta, "role", "assistant");
  json_object_set_string_member (delta, "content", "");
  append_chunk (out, delta, NULL, NULL);

  for (guint i = 0; i < script->pieces->len; i++)
    {
      delta = json_object_new ();
      json_object_set_string_member (delta, "content", g_ptr_array_index (script->pieces, i));
      append_chunk (out, delta, NULL, NULL);
    }

  if (script->finish_reason != NULL)
    {
      JsonObject *usage = json_object_new ();

      json_object_set_int_member (usage, "prompt_tokens", script->prompt_tokens);
      json_object_set_int_member (usage, "completion_tokens", script->completion_tokens);
      json_object_set_int_member (usage, "total_tokens", script->prompt_tokens + script->completion_tokens);
      append_chunk (out, json_object_new (), script->finish_reason, usage);
      g_string_append (out, "data: [DONE]\n\n");
    }

  return g_string_free (out, FALSE);
}

static void
chat_handler (SoupServer        *server,
              SoupServerMessage *message,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  Fixture *fixture = user_data;
  SoupMessageBody *request = soup_server_message_get_request_body (message);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  Script *script;
  g_autofree char *text = NULL;

  json_parser_load_from_data (parser, request->data, request->length, &error);
  g_assert_no_error (error);
  g_ptr_array_add (fixture->requests, json_node_ref (json_parser_get_root (parser)));

  script = g_queue_pop_head (&fixture->scripts);
  g_assert_nonnull (script);

  if (script->status != 200)
    {
      const char *body = "{\"error\":{\"message\":\"Invalid request: Your request exceeded model token limit: 8192\",\"type\":\"invalid_request_error\"}}";

      soup_server_message_set_status (message, script->status, NULL);
      soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
      script_free (script);
      return;
    }

  text = render_script (script);
  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, "text/event-stream", SOUP_MEMORY_COPY, text, strlen (text));
  script_free (script);
}

static void
estimate_handler (SoupServer        *server,
                  SoupServerMessage *message,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  Fixture *fixture = user_data;
  SoupMessageBody *request = soup_server_message_get_request_body (message);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  JsonArray *messages;

  json_parser_load_from_data (parser, request->data, request->length, &error);
  g_assert_no_error (error);
  messages = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 1);

  fixture->n_estimates++;
  body = g_strdup_printf ("{\"data\":{\"total_tokens\":%u}}", 100 + fixture->n_estimates);
  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
}

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) directory = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  GSList *uris;

  g_queue_init (&fixture->scripts);
  fixture->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

  fixture->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fixture->server, "/v1/chat/completions", chat_handler, fixture, NULL);
  soup_server_add_handler (fixture->server, "/v1/tokenizers/estimate-token-count", estimate_handler, fixture, NULL);
  soup_server_listen_local (fixture->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (fixture->server);
  fixture->base_url = g_strdup_printf ("http://127.0.0.1:%d/v1", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  fixture->client = moon_client_new (fixture->base_url);
  moon_client_set_api_key (fixture->client, "sk-test-not-a-real-key");

  fixture->dir = g_dir_make_tmp ("moonchat-chat-session-XXXXXX", &error);
  g_assert_no_error (error);
  directory = g_file_new_for_path (fixture->dir);
  fixture->store = moon_conversation_store_new (directory);
  moon_conversation_store_load_async (fixture->store, NULL, result_cb, &result);
  g_assert_true (moon_conversation_store_load_finish (fixture->store, wait_result (&result), &error));
  g_assert_no_error (error);
}

static void
flush_store (Fixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  moon_conversation_store_flush_async (fixture->store, NULL, result_cb, &result);
  g_assert_true (moon_conversation_store_flush_finish (fixture->store, wait_result (&result), &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  flush_store (fixture);
  g_clear_object (&fixture->store);
  g_clear_object (&fixture->client);
  soup_server_disconnect (fixture->server);
  g_clear_object (&fixture->server);
  g_assert_true (g_queue_is_empty (&fixture->scripts));
  g_ptr_array_unref (fixture->requests);
  g_free (fixture->base_url);

  dir = g_dir_open (fixture->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);

      g_remove (path);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
}

static MoonConversation *
new_conversation (Fixture    *fixture,
                  const char *model)
{
  MoonConversation *conversation = moon_conversation_store_create (fixture->store);

  moon_conversation_set_model (conversation, model);
  return conversation;
}

static JsonObject *
request_message (Fixture *fixture,
                 guint    request,
                 int      index)
{
  JsonObject *body = json_node_get_object (g_ptr_array_index (fixture->requests, request));
  JsonArray *messages = json_object_get_array_member (body, "messages");

  if (index < 0)
    index += json_array_get_length (messages);
  return json_array_get_object_element (messages, index);
}

static MoonMessage *
send_and_wait (MoonChatSession   *session,
               MoonConversation  *conversation,
               const char        *text,
               GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  moon_chat_session_send_async (session, conversation, text, NULL, result_cb, &result);
  return moon_chat_session_send_finish (session, wait_result (&result), error);
}

static MoonMessage *
continue_and_wait (MoonChatSession   *session,
                   MoonConversation  *conversation,
                   MoonMessage       *message,
                   GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  moon_chat_session_continue_async (session, conversation, message, NULL, result_cb, &result);
  return moon_chat_session_continue_finish (session, wait_result (&result), error);
}

static void
test_continue_appends (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(MoonChatSession) session = moon_chat_session_new (fixture->client, fixture->store, NULL);
  MoonConversation *conversation = new_conversation (fixture, "kimi-k2-turbo-preview");
  g_autoptr(MoonMessage) reply = NULL;
  g_autoptr(MoonMessage) again = NULL;
  g_autoptr(MoonMessage) third = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  JsonArray *saved;
  JsonObject *saved_reply;
  const MoonUsage *usage;

  push_script (fixture, "length", 20, 5, "Two roads", " diverged", NULL);
  push_script (fixture, "length", 25, 4, " in a yellow", " wood", NULL);
  push_script (fixture, "stop", 30, 1, ",", NULL);

  reply = send_and_wait (session, conversation, "Recite the poem.", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (moon_message_get_content (reply), ==, "Two roads diverged");
  g_assert_cmpstr (moon_message_get_finish_reason (reply), ==, "length");
  g_assert_cmpint (moon_message_get_state (reply), ==, MOON_MESSAGE_STATE_DONE);
  g_assert_cmpstr (moon_message_get_model (reply), ==, "kimi-k2-turbo-preview");
  g_assert_true (moon_chat_session_can_continue (reply));

  /* The first request: the question, no placeholder. */
  g_assert_cmpuint (fixture->requests->len, ==, 1);
  g_assert_cmpstr (json_object_get_string_member (request_message (fixture, 0, -1), "content"), ==,
                   "Recite the poem.");

  again = continue_and_wait (session, conversation, reply, &error);
  g_assert_no_error (error);
  g_assert_true (again == reply);
  g_assert_cmpstr (moon_message_get_content (reply), ==, "Two roads diverged in a yellow wood");
  g_assert_true (json_object_get_boolean_member (request_message (fixture, 1, -1), "partial"));
  g_assert_cmpstr (json_object_get_string_member (request_message (fixture, 1, -1), "content"), ==,
                   "Two roads diverged");

  third = continue_and_wait (session, conversation, reply, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (request_message (fixture, 2, -1), "content"), ==,
                   "Two roads diverged in a yellow wood");
  g_assert_cmpstr (moon_message_get_content (reply), ==, "Two roads diverged in a yellow wood,");
  g_assert_cmpstr (moon_message_get_finish_reason (reply), ==, "stop");
  g_assert_false (moon_chat_session_can_continue (reply));

  /* Usage adds up over the three requests. */
  usage = moon_message_get_usage (reply);
  g_assert_nonnull (usage);
  g_assert_cmpint (usage->prompt_tokens, ==, 75);
  g_assert_cmpint (usage->completion_tokens, ==, 10);
  g_assert_cmpint (usage->total_tokens, ==, 85);

  /* One question, one reply, in memory and in the saved file. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 2);
  flush_store (fixture);
  file = moon_conversation_store_get_file (fixture->store, conversation);
  path = g_file_get_path (file);
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  saved = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "messages");
  g_assert_cmpuint (json_array_get_length (saved), ==, 2);
  saved_reply = json_array_get_object_element (saved, 1);
  g_assert_cmpstr (json_object_get_string_member (saved_reply, "role"), ==, "assistant");
  g_assert_cmpstr (json_object_get_string_member (saved_reply, "content"), ==, "Two roads diverged in a yellow wood,");
  g_assert_cmpstr (json_object_get_string_member (saved_reply, "finish_reason"), ==, "stop");
}

static void
test_partial_prefix (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(MoonChatSession) session = moon_chat_session_new (fixture->client, fixture->store, NULL);
  MoonConversation *conversation = new_conversation (fixture, "kimi-k2-turbo-preview");
  g_autoptr(MoonMessage) reply = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *last;

  moon_conversation_set_partial_prefix (conversation, "{");
  push_script (fixture, "stop", 40, 8, "\"name\": ", "\"SmartHome Mini\"}", NULL);

  reply = send_and_wait (session, conversation, "Extract the name as JSON: the DaMi SmartHome Mini.", &error);
  g_assert_no_error (error);

  last = request_message (fixture, 0, -1);
  g_assert_cmpstr (json_object_get_string_member (last, "role"), ==, "assistant");
  g_assert_cmpstr (json_object_get_string_member (last, "content"), ==, "{");
  g_assert_true (json_object_get_boolean_member (last, "partial"));

  /* Stored as one message: prefix and completion. */
  g_assert_cmpstr (moon_message_get_content (reply), ==, "{\"name\": \"SmartHome Mini\"}");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 2);
}

static void
test_failure_keeps_text (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(MoonChatSession) session = moon_chat_session_new (fixture->client, NULL, NULL);
  MoonConversation *conversation = new_conversation (fixture, "kimi-k2-turbo-preview");
  g_autoptr(MoonMessage) reply = NULL;
  g_autoptr(MoonMessage) continued = NULL;
  g_autoptr(MoonMessage) refused = NULL;
  g_autoptr(GError) error = NULL;
  MoonMessage *broken;

  /* The stream breaks off: the text so far stays, marked failed. */
  push_script (fixture, NULL, 0, 0, "Once upon", " a time", NULL);
  reply = send_and_wait (session, conversation, "Tell a story.", &error);
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_INCOMPLETE);
  g_assert_null (reply);
  g_clear_error (&error);

  broken = moon_conversation_get_last_message (conversation);
  g_assert_cmpint (moon_message_get_state (broken), ==, MOON_MESSAGE_STATE_FAILED);
  g_assert_cmpstr (moon_message_get_content (broken), ==, "Once upon a time");
  g_assert_nonnull (moon_message_get_error (broken));
  g_assert_true (moon_chat_session_can_continue (broken));

  /* Continue picks it up. */
  push_script (fixture, "stop", 30, 3, " there was a fox.", NULL);
  continued = continue_and_wait (session, conversation, broken, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (moon_message_get_content (broken), ==, "Once upon a time there was a fox.");
  g_assert_null (moon_message_get_error (broken));
  g_assert_cmpint (moon_message_get_state (broken), ==, MOON_MESSAGE_STATE_DONE);

  /* A refused request: the reply fails with the server's reason. */
  push_error (fixture, 400);
  refused = send_and_wait (session, conversation, "Again?", &error);
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_CONTEXT_TOO_LONG);
  g_assert_cmpint (moon_message_get_state (moon_conversation_get_last_message (conversation)), ==,
                   MOON_MESSAGE_STATE_FAILED);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 4);
}

static void
test_refusals (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(MoonChatSession) session = moon_chat_session_new (fixture->client, NULL, NULL);
  MoonConversation *conversation = new_conversation (fixture, "kimi-k2-turbo-preview");
  g_autoptr(MoonMessage) reply = NULL;
  g_autoptr(MoonMessage) done = NULL;
  g_autoptr(GError) error = NULL;

  /* An empty draft appends nothing. */
  reply = send_and_wait (session, conversation, "  \n ", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 0);
  g_clear_error (&error);

  /* A complete reply cannot be continued. */
  push_script (fixture, "stop", 10, 2, "Hi!", NULL);
  done = send_and_wait (session, conversation, "Hello", &error);
  g_assert_no_error (error);
  reply = continue_and_wait (session, conversation, done, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (reply);
  g_assert_cmpstr (moon_message_get_content (done), ==, "Hi!");
}

static void
test_regenerate (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(MoonChatSession) session = moon_chat_session_new (fixture->client, fixture->store, NULL);
  MoonConversation *conversation = new_conversation (fixture, "kimi-k2-turbo-preview");
  g_autoptr(MoonMessage) first = NULL;
  g_autoptr(MoonMessage) second = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  push_script (fixture, "stop", 10, 2, "Red.", NULL);
  push_script (fixture, "stop", 10, 2, "Blue.", NULL);

  first = send_and_wait (session, conversation, "Pick a colour.", &error);
  g_assert_no_error (error);

  moon_chat_session_regenerate_async (session, conversation, first, NULL, result_cb, &result);
  second = moon_chat_session_regenerate_finish (session, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (moon_message_get_content (second), ==, "Blue.");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 2);

  /* The old reply is not sent again. */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
    json_node_get_object (g_ptr_array_index (fixture->requests, 1)), "messages")), ==, 1);
}

static void
test_summary (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(MoonChatSession) session = moon_chat_session_new (fixture->client, fixture->store, NULL);
  MoonConversation *conversation = new_conversation (fixture, "kimi-k2.5");
  g_autoptr(MoonMessage) reply = NULL;
  g_autoptr(GError) error = NULL;
  MoonMessage *old[4];
  const char *transcript;
  gboolean found = FALSE;
  JsonArray *messages;

  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(MoonMessage) message = moon_message_new (i % 2 == 0 ? MOON_MESSAGE_ROLE_USER : MOON_MESSAGE_ROLE_ASSISTANT,
                                                         i == 0 ? "I like green tea." : i == 2 ? "My name is Li Lei." : "Noted.");

      moon_conversation_append_message (conversation, message);
      old[i] = message;
    }
  moon_conversation_set_summary_enabled (conversation, TRUE);
  moon_conversation_set_context_message_limit (conversation, 2);

  push_script (fixture, "stop", 80, 9, "Li Lei likes green tea.", NULL);
  push_script (fixture, "stop", 40, 5, "Green tea, Li Lei.", NULL);

  reply = send_and_wait (session, conversation, "What do I like?", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fixture->requests->len, ==, 2);

  /* First the summary request, with the left-out turns and thinking off. */
  transcript = json_object_get_string_member (request_message (fixture, 0, 1), "content");
  g_assert_nonnull (strstr (transcript, "I like green tea."));
  g_assert_nonnull (strstr (transcript, "My name is Li Lei."));
  g_assert_cmpstr (json_object_get_string_member (
    json_object_get_object_member (json_node_get_object (g_ptr_array_index (fixture->requests, 0)), "thinking"),
    "type"), ==, "disabled");

  g_assert_cmpstr (moon_conversation_get_summary (conversation), ==, "Li Lei likes green tea.");
  g_assert_cmpstr (moon_conversation_get_summary_first_id (conversation), ==, moon_message_get_id (old[0]));
  g_assert_cmpstr (moon_conversation_get_summary_last_id (conversation), ==, moon_message_get_id (old[3]));

  /* Then the reply, with the summary as a system message. */
  messages = json_object_get_array_member (json_node_get_object (g_ptr_array_index (fixture->requests, 1)), "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);

      if (g_str_equal (json_object_get_string_member (message, "role"), "system") &&
          strstr (json_object_get_string_member (message, "content"), "Li Lei likes green tea.") != NULL)
        found = TRUE;
    }
  g_assert_true (found);
  g_assert_cmpstr (moon_message_get_content (reply), ==, "Green tea, Li Lei.");
}

static void
test_token_counter (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(MoonTokenEstimator) estimator = moon_token_estimator_new ();
  g_autoptr(MoonTokenCounter) counter = moon_token_counter_new (fixture->client, estimator);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) again = NULL;
  g_autoptr(GError) error = NULL;
  guint tokens;

  g_ptr_array_add (messages, moon_message_new (MOON_MESSAGE_ROLE_USER, "你好，我叫李雷"));
  g_ptr_array_add (messages, moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, "你好，李雷！"));

  moon_token_counter_count_async (counter, "kimi-k2.5", messages, NULL, result_cb, &result);
  g_assert_cmpuint (moon_token_counter_count_finish (counter, wait_result (&result), &error), ==, 2);
  g_assert_no_error (error);

  g_assert_true (moon_token_estimator_lookup_server_count (estimator, g_ptr_array_index (messages, 0), "kimi-k2.5", &tokens));
  g_assert_cmpuint (tokens, ==, 101);
  g_assert_cmpuint (moon_token_estimator_estimate_message (estimator, g_ptr_array_index (messages, 1), "kimi-k2.5", FALSE), ==, 102);

  /* Counted messages are not asked about again. */
  moon_token_counter_count_async (counter, "kimi-k2.5", messages, NULL, result_cb, &again);
  g_assert_cmpuint (moon_token_counter_count_finish (counter, wait_result (&again), &error), ==, 0);
  g_assert_cmpuint (fixture->n_estimates, ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/chat-session/continue-appends", test_continue_appends);
  ADD ("/chat-session/partial-prefix", test_partial_prefix);
  ADD ("/chat-session/failure-keeps-text", test_failure_keeps_text);
  ADD ("/chat-session/refusals", test_refusals);
  ADD ("/chat-session/regenerate", test_regenerate);
  ADD ("/chat-session/summary", test_summary);
  ADD ("/chat-session/token-counter", test_token_counter);

#undef ADD

  return g_test_run ();
}
