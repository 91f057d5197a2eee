/* test-canary-session.c — the API key goes nowhere but the keyring, memory
 * and the Authorization header (issue 8)
 *
 * With a canary key stored in the real keyring and read back from it, a
 * whole session runs as the app runs it: a MoonChatSession saving into the
 * default history folder, a reply, a failed reply whose server echoes the
 * key in its error message (as some OpenAI-compatible servers do), a
 * retry, a reply continued after an interruption, an export to Markdown
 * and to JSON; then moonchat-cli against a server that echoes it too. All
 * logging is on. Then every file under HOME and the XDG folders, every
 * error text, every log message and everything the CLI printed is
 * searched for the canary: zero hits. The server saw it only in the
 * Authorization header.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "moon-api-error.h"
#include "moon-chat-session.h"
#include "moon-secrets.h"
#include "moon-test-cli.h"
#include "moon-test-server.h"
#include "moon-test-util.h"

#define CANARY "sk-CANARY-session-4f2e9a7b1c3d5e60"
#define CHAT_PATH "/v1/chat/completions"

/* Every log message of this process, and every error text seen. */
static GString *captured;

static GLogWriterOutput
capture_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
      {
        g_string_append (captured, fields[i].value);
        g_string_append_c (captured, '\n');
      }

  /* Debug and info are only captured; the rest is shown as usual. */
  if (log_level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO))
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static void
push_stream (MoonTestServer *server,
             const char     *text,
             gboolean        done)
{
  g_autofree char *body =
    g_strdup_printf ("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"kimi-k2.5\","
                     "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"%s\"},\"finish_reason\":null}]}\n\n"
                     "%s",
                     text,
                     done ? "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"kimi-k2.5\","
                            "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n" : "");

  moon_test_server_push (server, moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", body));
}

/* A server that repeats the key it was given, like "Incorrect API key
 * provided: sk-…". */
static void
push_echo_error (MoonTestServer *server,
                 guint           status)
{
  g_autofree char *body =
    g_strdup_printf ("{\"error\":{\"message\":\"Incorrect API key provided: %s (Bearer %s)\","
                     "\"type\":\"invalid_authentication_error\"}}", CANARY, CANARY);
  MoonTestResponse *response = moon_test_response_new_text (CHAT_PATH, status, "application/json", body);

  moon_test_response_add_header (response, "Msh-Request-Id", "req-echo");
  moon_test_server_push (server, response);
}

static void
note_error (const GError *error)
{
  g_assert_nonnull (error);
  g_string_append_printf (captured, "%s\n", error->message);
  if (error->domain == MOON_API_ERROR)
    g_string_append_printf (captured, "%s\n%s\n",
                            moon_api_error_get_server_message (error) ? moon_api_error_get_server_message (error) : "",
                            moon_api_error_get_request_id (error) ? moon_api_error_get_request_id (error) : "");
}

/* The server got the key in the Authorization header and nowhere else. */
static void
assert_key_only_in_header (MoonTestServer *server)
{
  GBytes *body = moon_test_server_get_last_body (server);

  g_assert_cmpstr (moon_test_server_get_last_header (server, "Authorization"), ==, "Bearer " CANARY);
  g_assert_null (g_strstr_len (g_bytes_get_data (body, NULL), g_bytes_get_size (body), CANARY));
}

static void
assert_not_in_files (void)
{
  g_autofree char *scratch = moon_test_get_scratch_dir ();
  g_autoptr(GPtrArray) hits = moon_test_find_in_files (scratch, CANARY, NULL);

  g_assert_cmpuint (hits->len, ==, 0);
}

static void
test_session (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(GFile) directory = moon_conversation_store_get_default_directory ();
  g_autoptr(MoonConversationStore) store = moon_conversation_store_new (directory);
  g_autoptr(MoonClient) client = moon_client_new (moon_test_server_get_base_url (server));
  g_autoptr(MoonChatSession) session = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MoonMessage) reply = NULL;
  g_autoptr(GFile) markdown = NULL;
  g_autoptr(GFile) json = NULL;
  MoonConversation *conversation;
  MoonMessage *failed;
  char *key;

  /* The key as the app gets it: stored in the keyring, read back. */
  moon_secrets_store_async (moon_test_server_get_base_url (server), CANARY, NULL, result_cb, &result);
  g_assert_true (moon_secrets_store_finish (wait_result (&result), &error));
  g_clear_object (&result);
  moon_secrets_lookup_async (moon_test_server_get_base_url (server), NULL, result_cb, &result);
  key = moon_secrets_lookup_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, CANARY);
  moon_client_set_api_key (client, key);
  moon_secrets_free_key (key);
  g_clear_object (&result);

  moon_conversation_store_load_async (store, NULL, result_cb, &result);
  g_assert_true (moon_conversation_store_load_finish (store, wait_result (&result), &error));
  g_clear_object (&result);
  session = moon_chat_session_new (client, store, NULL);
  conversation = moon_conversation_store_create (store);
  moon_conversation_set_model (conversation, "kimi-k2.5");

  /* A reply. */
  push_stream (server, "Hello there.", TRUE);
  moon_chat_session_send_async (session, conversation, "Hi", NULL, result_cb, &result);
  reply = moon_chat_session_send_finish (session, wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_clear_object (&reply);
  assert_key_only_in_header (server);

  /* A failure; the server's message repeats the key. */
  push_echo_error (server, 401);
  moon_chat_session_send_async (session, conversation, "Again", NULL, result_cb, &result);
  reply = moon_chat_session_send_finish (session, wait_result (&result), &error);
  g_assert_null (reply);
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_AUTH);
  note_error (error);
  g_clear_error (&error);
  g_clear_object (&result);
  failed = moon_conversation_get_last_message (conversation);
  g_assert_cmpint (moon_message_get_state (failed), ==, MOON_MESSAGE_STATE_FAILED);
  note_error (moon_message_get_error (failed));

  /* The failed reply, with its error, is saved: not the key. */
  moon_conversation_store_flush_async (store, NULL, result_cb, &result);
  g_assert_true (moon_conversation_store_flush_finish (store, wait_result (&result), &error));
  g_clear_object (&result);
  assert_not_in_files ();

  /* Retry: a new reply to the same question; cut off, then continued. */
  push_stream (server, "Half", FALSE);
  moon_chat_session_regenerate_async (session, conversation, failed, NULL, result_cb, &result);
  reply = moon_chat_session_regenerate_finish (session, wait_result (&result), &error);
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_INCOMPLETE);
  note_error (error);
  g_clear_error (&error);
  g_clear_object (&result);
  failed = moon_conversation_get_last_message (conversation);
  g_assert_true (moon_chat_session_can_continue (failed));

  push_stream (server, " and the rest.", TRUE);
  moon_chat_session_continue_async (session, conversation, failed, NULL, result_cb, &result);
  reply = moon_chat_session_continue_finish (session, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (moon_message_get_content (reply), ==, "Half and the rest.");
  g_clear_object (&result);
  assert_key_only_in_header (server);

  /* Export both ways, into the data folder the search covers. */
  markdown = g_file_new_build_filename (g_get_user_data_dir (), "exports", "chat.md", NULL);
  json = g_file_new_build_filename (g_get_user_data_dir (), "exports", "chat.json", NULL);
  {
    g_autoptr(GFile) exports = g_file_get_parent (markdown);

    g_assert_true (g_file_make_directory_with_parents (exports, NULL, NULL));
  }
  moon_conversation_store_export_async (store, conversation, MOON_EXPORT_FORMAT_MARKDOWN, markdown, NULL, result_cb, &result);
  g_assert_true (moon_conversation_store_export_finish (store, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  moon_conversation_store_export_async (store, conversation, MOON_EXPORT_FORMAT_JSON, json, NULL, result_cb, &result);
  g_assert_true (moon_conversation_store_export_finish (store, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_true (g_file_query_exists (markdown, NULL));

  moon_conversation_store_flush_async (store, NULL, result_cb, &result);
  g_assert_true (moon_conversation_store_flush_finish (store, wait_result (&result), &error));
  g_clear_object (&result);
}

/* moonchat-cli against a server that repeats the key: exit 4, key unseen. */
static void
test_cli (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  MoonCliRun run;

  push_echo_error (server, 401);
  moon_test_cli_set_debug (TRUE);
  moon_test_cli_run (&run, CANARY, NULL, NULL, 0, "--base-url", moon_test_server_get_base_url (server),
                     "--retries", "0", "-v", "Hi", NULL);
  moon_test_cli_set_debug (FALSE);
  g_assert_cmpint (run.status, ==, 4);
  g_assert_nonnull (strstr (run.err, "The API key was not accepted: Incorrect API key provided: *** (Bearer ***)"));
  assert_key_only_in_header (server);
  moon_test_cli_run_clear (&run);

  /* The other requests (here the model list) too. */
  {
    g_autofree char *body =
      g_strdup_printf ("{\"error\":{\"message\":\"Incorrect API key provided: %s\","
                       "\"type\":\"invalid_authentication_error\"}}", CANARY);

    moon_test_server_push (server, moon_test_response_new_text ("/v1/models", 401, "application/json", body));
    moon_test_cli_run (&run, CANARY, NULL, NULL, 0, "--base-url", moon_test_server_get_base_url (server),
                       "--list-models", NULL);
    g_assert_cmpint (run.status, ==, 4);
    g_assert_nonnull (strstr (run.err, "Incorrect API key provided: ***"));
    g_assert_cmpstr (moon_test_server_get_last_header (server, "Authorization"), ==, "Bearer " CANARY);
    moon_test_cli_run_clear (&run);
  }
}

/* Last: the canary is nowhere. */
static void
test_canary_nowhere (void)
{
  g_autofree char *scratch = moon_test_get_scratch_dir ();
  guint n_files = 0;
  g_autoptr(GPtrArray) hits = moon_test_find_in_files (scratch, CANARY, &n_files);
  g_autofree char *history = g_build_filename (g_get_user_data_dir (), "moonchat", "conversations", NULL);

  /* There was something to search: the history, the exports, the keyring. */
  g_assert_true (g_file_test (history, G_FILE_TEST_IS_DIR));
  g_assert_cmpuint (n_files, >=, 4);
  g_assert_cmpuint (hits->len, ==, 0);

  g_assert_null (strstr (moon_test_cli_get_all_output (), CANARY));
  g_assert_cmpuint (captured->len, >, 0);
  g_assert_null (strstr (captured->str, CANARY));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  captured = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);
  g_log_set_debug_enabled (TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/api/canary/session", test_session);
  g_test_add_func ("/api/canary/cli", test_cli);
  g_test_add_func ("/api/canary/zz-nowhere", test_canary_nowhere);

  status = g_test_run ();
  g_string_free (captured, TRUE);
  return status;
}
