/* test-cli.c — moonchat-cli end to end: spawned with GSubprocess against a
 * SoupServer on 127.0.0.1, the key from the environment or the real keyring;
 * output, request body, options, interruption, and a canary key that must
 * not appear in any output or file. Every failure class (exit status,
 * message, what is kept) is in tests/faults/test-fault-matrix-cli.c.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>

#include "moon-client.h"
#include "moon-secrets.h"
#include "moon-test-cli.h"
#include "moon-test-server.h"
#include "moon-test-util.h"

#define CANARY "sk-CANARY-cli-5e8d2b7a91c4f036"
#define KEYRING_CANARY "sk-CANARY-keyring-0b6e3f8d2a7c9154"
#define CHAT_PATH "/v1/chat/completions"

static JsonObject *
last_request (MoonTestServer *server,
              JsonParser     *parser)
{
  GBytes *body = moon_test_server_get_last_body (server);

  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL));
  return json_node_get_object (json_parser_get_root (parser));
}

static void
push_fixture (MoonTestServer *server,
              const char     *file,
              const char     *request_id)
{
  g_autoptr(GBytes) body = moon_test_load_fixture ("kimi", file, NULL);
  MoonTestResponse *response = moon_test_response_new (CHAT_PATH, 200, "text/event-stream", body);

  response->min_piece = 1;
  response->max_piece = 64;
  if (request_id != NULL)
    moon_test_response_add_header (response, "Msh-Request-Id", request_id);
  moon_test_server_push (server, response);
}

static void
test_stream_with_env_key (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *request;
  JsonArray *messages;
  MoonCliRun p;

  push_fixture (server, "k25-thinking-include-usage.sse", "req-cli-1");
  moon_test_cli_run (&p, CANARY, NULL, NULL, 0,
           "--base-url", moon_test_server_get_base_url (server),
           "--reasoning", "--verbose", "--max-tokens", "64", "Say", "hello", NULL);

  g_assert_cmpint (p.status, ==, 0);
  g_assert_cmpstr (p.out, ==, "Hello! How can I help?\n");
  g_assert_nonnull (strstr (p.err, "The user greets me; answer briefly.\n"));
  g_assert_nonnull (strstr (p.err, "Request ID: req-cli-1"));
  g_assert_nonnull (strstr (p.err, "Tokens: 24 prompt (0 cached), 17 completion (9 reasoning), 41 total"));
  g_assert_nonnull (strstr (p.err, "Model: kimi-k2.5"));

  g_assert_cmpstr (moon_test_server_get_last_header (server, "Authorization"), ==, "Bearer " CANARY);
  request = last_request (server, parser);
  g_assert_cmpstr (json_object_get_string_member (request, "model"), ==, "kimi-k2.5");
  g_assert_true (json_object_get_boolean_member (request, "stream"));
  g_assert_cmpint (json_object_get_int_member (request, "max_tokens"), ==, 64);
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (request, "stream_options"), "include_usage"));
  g_assert_false (json_object_has_member (request, "temperature"));
  g_assert_false (json_object_has_member (request, "thinking"));
  messages = json_object_get_array_member (request, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "role"), ==, "user");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "content"), ==, "Say hello");

  moon_test_cli_run_clear (&p);
}

/* Without reasoning asked for, stderr stays quiet. */
static void
test_quiet_by_default (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  MoonCliRun p;

  push_fixture (server, "k25-thinking-include-usage.sse", "req-quiet");
  moon_test_cli_run (&p, CANARY, NULL, NULL, 0, "--base-url", moon_test_server_get_base_url (server), "Hi", NULL);

  g_assert_cmpint (p.status, ==, 0);
  g_assert_cmpstr (p.out, ==, "Hello! How can I help?\n");
  g_assert_cmpstr (p.err, ==, "");
  moon_test_cli_run_clear (&p);
}

/* All debug output (ours, GLib's, libsoup's) on: still no key in it. */
static void
test_debug_output (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  MoonCliRun p;

  push_fixture (server, "k25-thinking-include-usage.sse", "req-debug");
  moon_test_cli_set_debug (TRUE);
  moon_test_cli_run (&p, CANARY, NULL, NULL, 0, "--base-url", moon_test_server_get_base_url (server), "-v", "Hi", NULL);
  moon_test_cli_set_debug (FALSE);

  g_assert_cmpint (p.status, ==, 0);
  /* Logging never mixes into the reply on stdout. */
  g_assert_cmpstr (p.out, ==, "Hello! How can I help?\n");
  g_assert_nonnull (strstr (p.err, "moon-completion-DEBUG"));
  g_assert_nonnull (strstr (p.err, "libsoup-DEBUG"));
  g_assert_null (strstr (p.err, CANARY));
  g_assert_null (strstr (p.err, "Authorization"));
  moon_test_cli_run_clear (&p);
}

static void
secrets_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_key_from_keyring (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(GAsyncResult) stored = NULL;
  g_autoptr(GAsyncResult) cleared = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base_url_slash = g_strconcat (moon_test_server_get_base_url (server), "/", NULL);
  MoonCliRun p;

  /* Stored with a trailing slash, asked for without: the same entry. */
  moon_secrets_store_async (base_url_slash, KEYRING_CANARY, NULL, secrets_done_cb, &stored);
  while (stored == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (moon_secrets_store_finish (stored, &error));
  g_assert_no_error (error);

  push_fixture (server, "doc-stream.sse", NULL);
  moon_test_cli_run (&p, NULL, NULL, NULL, 0, "--base-url", moon_test_server_get_base_url (server), "Hi", NULL);

  g_assert_cmpint (p.status, ==, 0);
  g_assert_cmpstr (p.out, ==, "Hello, Li Lei! 1+1 equals 2.\n");
  g_assert_cmpstr (moon_test_server_get_last_header (server, "Authorization"), ==, "Bearer " KEYRING_CANARY);
  moon_test_cli_run_clear (&p);

  moon_secrets_clear_async (base_url_slash, NULL, secrets_done_cb, &cleared);
  while (cleared == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (moon_secrets_clear_finish (cleared, &error));
}

static void
test_no_key (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  MoonCliRun p;

  moon_test_cli_run (&p, NULL, NULL, NULL, 0, "--base-url", moon_test_server_get_base_url (server), "Hi", NULL);

  g_assert_cmpint (p.status, ==, 3);
  g_assert_cmpstr (p.out, ==, "");
  g_assert_nonnull (strstr (p.err, "MOONSHOT_API_KEY"));
  g_assert_nonnull (strstr (p.err, moon_test_server_get_base_url (server)));
  g_assert_cmpuint (moon_test_server_count (server, CHAT_PATH), ==, 0);
  moon_test_cli_run_clear (&p);
}

static void
test_thinking_prefix_system (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *request;
  JsonArray *messages;
  JsonObject *last;
  MoonCliRun p;

  push_fixture (server, "k25-finish-length.sse", NULL);
  moon_test_cli_run (&p, CANARY, NULL, NULL, 0, "--base-url", moon_test_server_get_base_url (server),
           "--no-thinking", "--system", "Be brief.", "--prefix", "Poem: ", "Write a poem", NULL);

  g_assert_cmpint (p.status, ==, 0);
  /* The prefix, then the continuation; finish_reason "length" is told. */
  g_assert_cmpstr (p.out, ==, "Poem: Roses are red, violets\n");
  g_assert_nonnull (strstr (p.err, "cut short by the token limit"));

  request = last_request (server, parser);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (request, "thinking"), "type"), ==, "disabled");
  messages = json_object_get_array_member (request, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "role"), ==, "system");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "content"), ==, "Be brief.");
  last = json_array_get_object_element (messages, 2);
  g_assert_cmpstr (json_object_get_string_member (last, "role"), ==, "assistant");
  g_assert_cmpstr (json_object_get_string_member (last, "content"), ==, "Poem: ");
  g_assert_true (json_object_get_boolean_member (last, "partial"));
  moon_test_cli_run_clear (&p);
}

/* An unknown model gets only the conservative fields. */
static void
test_unknown_model (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GList) members = NULL;
  JsonObject *request;
  MoonCliRun p;

  push_fixture (server, "doc-stream.sse", NULL);
  moon_test_cli_run (&p, CANARY, NULL, NULL, 0, "--base-url", moon_test_server_get_base_url (server),
           "--model", "my-local-model", "--no-thinking", "--max-tokens", "10", "Hi", NULL);

  g_assert_cmpint (p.status, ==, 0);
  g_assert_nonnull (strstr (p.err, "thinking cannot be switched off for my-local-model"));
  request = last_request (server, parser);
  g_assert_cmpuint (json_object_get_size (request), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (request, "model"), ==, "my-local-model");
  g_assert_true (json_object_has_member (request, "messages"));
  g_assert_true (json_object_has_member (request, "stream"));
  g_assert_cmpint (json_object_get_int_member (request, "max_tokens"), ==, 10);
  moon_test_cli_run_clear (&p);
}

static void
test_stdin_prompt (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *request;
  MoonCliRun p;

  push_fixture (server, "doc-stream.sse", NULL);
  moon_test_cli_run (&p, CANARY, "What is 1+1?\n", NULL, 0, "--base-url", moon_test_server_get_base_url (server), "-", NULL);

  g_assert_cmpint (p.status, ==, 0);
  request = last_request (server, parser);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (request, "messages"), 0),
                                                  "content"), ==, "What is 1+1?");
  moon_test_cli_run_clear (&p);
}

static void
test_usage_errors (void)
{
  MoonCliRun p;

  moon_test_cli_run (&p, CANARY, NULL, NULL, 0, NULL);
  g_assert_cmpint (p.status, ==, 2);
  g_assert_nonnull (strstr (p.err, "No prompt given"));
  moon_test_cli_run_clear (&p);

  moon_test_cli_run (&p, CANARY, NULL, NULL, 0, "--no-such-option", "Hi", NULL);
  g_assert_cmpint (p.status, ==, 2);
  moon_test_cli_run_clear (&p);

  moon_test_cli_run (&p, CANARY, "   \n", NULL, 0, "-", NULL);
  g_assert_cmpint (p.status, ==, 2);
  moon_test_cli_run_clear (&p);

  moon_test_cli_run (&p, CANARY, NULL, NULL, 0, "--version", NULL);
  g_assert_cmpint (p.status, ==, 0);
  g_assert_cmpstr (p.out, ==, "moonchat-cli " PACKAGE_VERSION "\n");
  moon_test_cli_run_clear (&p);
}

static void
test_list_models (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  MoonCliRun p;

  moon_test_server_push (server, moon_test_response_new_text ("/v1/models", 200, "application/json",
    "{\"object\":\"list\",\"data\":[{\"id\":\"kimi-k2.5\",\"context_length\":262144},{\"id\":\"local-thing\"}]}"));
  moon_test_cli_run (&p, CANARY, NULL, NULL, 0, "--base-url", moon_test_server_get_base_url (server), "--list-models", NULL);
  g_assert_cmpint (p.status, ==, 0);
  g_assert_cmpstr (p.out, ==, "kimi-k2.5\t262144\nlocal-thing\t-\n");
  g_assert_cmpstr (moon_test_server_get_last_header (server, "Authorization"), ==, "Bearer " CANARY);
  moon_test_cli_run_clear (&p);

  moon_test_server_push (server, moon_test_response_new_text ("/v1/models", 401, "application/json",
    "{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"incorrect_api_key_error\"}}"));
  moon_test_cli_run (&p, CANARY, NULL, NULL, 0, "--base-url", moon_test_server_get_base_url (server), "--list-models", NULL);
  g_assert_cmpint (p.status, ==, 4);
  g_assert_nonnull (strstr (p.err, "Incorrect API key provided"));
  moon_test_cli_run_clear (&p);
}

/* Ctrl+C in the middle of a reply: stop, keep what was printed, exit 130. */
static void
test_interrupted (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(GBytes) body = moon_test_load_fixture ("kimi", "doc-stream.sse", NULL);
  MoonTestResponse *response = moon_test_response_new (CHAT_PATH, 200, "text/event-stream", body);
  gsize first_two_events;
  const char *text = g_bytes_get_data (body, NULL);
  MoonCliRun p;

  /* One event per piece, slowly. */
  first_two_events = strstr (strstr (text, "\n\n") + 2, "\n\n") + 2 - text;
  response->min_piece = response->max_piece = first_two_events / 2;
  response->delay_ms = 300;
  moon_test_server_push (server, response);

  moon_test_cli_run (&p, CANARY, NULL, server, first_two_events, "--base-url", moon_test_server_get_base_url (server), "Hi", NULL);

  g_assert_cmpint (p.status, ==, 130);
  /* What was printed is the start of the reply (plus a final newline), and
   * not all of it. */
  {
    g_autofree char *printed = g_strdup (p.out);

    if (g_str_has_suffix (printed, "\n"))
      printed[strlen (printed) - 1] = '\0';
    g_assert_true (g_str_has_prefix ("Hello, Li Lei! 1+1 equals 2.", printed));
    g_assert_cmpstr (printed, !=, "Hello, Li Lei! 1+1 equals 2.");
  }
  moon_test_cli_run_clear (&p);
}

/* Last: neither key was ever printed or written to a file. */
static void
test_canaries_nowhere (void)
{
  const char *canaries[] = { CANARY, KEYRING_CANARY };
  g_autofree char *scratch = moon_test_get_scratch_dir ();
  const char *all_output = moon_test_cli_get_all_output ();

  g_assert_cmpuint (strlen (all_output), >, 0);

  for (guint i = 0; i < G_N_ELEMENTS (canaries); i++)
    {
      g_autoptr(GPtrArray) hits = moon_test_find_in_files (scratch, canaries[i], NULL);

      g_assert_null (strstr (all_output, canaries[i]));
      g_assert_cmpuint (hits->len, ==, 0);
    }
}

/* --new saves the exchange into the shared history; --conversation ID
 * continues it: the second request carries the first turn, and the file
 * holds both turns once each. */
static void
test_saved_conversation (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) file_parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  const char *marker;
  JsonObject *request;
  JsonObject *root;
  JsonArray *messages;
  MoonCliRun p;

  push_fixture (server, "k25-thinking-include-usage.sse", NULL);
  moon_test_cli_run (&p, CANARY, NULL, NULL, 0,
           "--base-url", moon_test_server_get_base_url (server),
           "--new", "--system", "Be brief.", "Say", "hello", NULL);
  g_assert_cmpint (p.status, ==, 0);
  g_assert_cmpstr (p.out, ==, "Hello! How can I help?\n");
  marker = strstr (p.err, "moonchat-cli: conversation ");
  g_assert_nonnull (marker);
  id = g_strndup (marker + strlen ("moonchat-cli: conversation "),
                  strcspn (marker + strlen ("moonchat-cli: conversation "), "\n"));
  g_assert_true (g_uuid_string_is_valid (id));
  moon_test_cli_run_clear (&p);

  push_fixture (server, "k25-thinking-include-usage.sse", NULL);
  moon_test_cli_run (&p, CANARY, NULL, NULL, 0,
           "--base-url", moon_test_server_get_base_url (server),
           "--conversation", id, "And", "again", NULL);
  g_assert_cmpint (p.status, ==, 0);
  g_assert_cmpstr (p.out, ==, "Hello! How can I help?\n");

  request = last_request (server, parser);
  messages = json_object_get_array_member (request, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "content"), ==, "Be brief.");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "content"), ==, "Say hello");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 2), "content"), ==, "Hello! How can I help?");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 3), "content"), ==, "And again");
  moon_test_cli_run_clear (&p);

  /* The conversation is where the app looks for it. */
  path = g_build_filename (g_get_user_data_dir (), "moonchat", "conversations", NULL);
  {
    g_autoptr(GDir) dir = g_dir_open (path, 0, &error);
    const char *name;
    guint found = 0;

    g_assert_no_error (error);
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *file = NULL;

        if (!g_str_has_suffix (name, ".json") || name[0] == '.')
          continue;
        file = g_build_filename (path, name, NULL);
        g_assert_true (json_parser_load_from_file (file_parser, file, &error));
        g_assert_no_error (error);
        root = json_node_get_object (json_parser_get_root (file_parser));
        if (g_strcmp0 (json_object_get_string_member (root, "id"), id) != 0)
          continue;
        found++;
        messages = json_object_get_array_member (root, "messages");
        g_assert_cmpuint (json_array_get_length (messages), ==, 4);
        g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 3), "content"), ==, "Hello! How can I help?");
        g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 3), "finish_reason"), ==, "stop");
      }
    g_assert_cmpuint (found, ==, 1);
  }

  /* An unknown ID is a usage error that names it. */
  moon_test_cli_run (&p, CANARY, NULL, NULL, 0,
           "--base-url", moon_test_server_get_base_url (server),
           "--conversation", "00000000-0000-4000-8000-000000000000", "Hi", NULL);
  g_assert_cmpint (p.status, ==, 2);
  g_assert_nonnull (strstr (p.err, "00000000-0000-4000-8000-000000000000"));
  moon_test_cli_run_clear (&p);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/api/cli/stream-with-env-key", test_stream_with_env_key);
  g_test_add_func ("/api/cli/saved-conversation", test_saved_conversation);
  g_test_add_func ("/api/cli/quiet-by-default", test_quiet_by_default);
  g_test_add_func ("/api/cli/debug-output", test_debug_output);
  g_test_add_func ("/api/cli/key-from-keyring", test_key_from_keyring);
  g_test_add_func ("/api/cli/no-key", test_no_key);
  g_test_add_func ("/api/cli/thinking-prefix-system", test_thinking_prefix_system);
  g_test_add_func ("/api/cli/unknown-model", test_unknown_model);
  g_test_add_func ("/api/cli/stdin-prompt", test_stdin_prompt);
  g_test_add_func ("/api/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/api/cli/list-models", test_list_models);
  g_test_add_func ("/api/cli/interrupted", test_interrupted);
  g_test_add_func ("/api/cli/zz-canaries-nowhere", test_canaries_nowhere);

  return g_test_run ();
}
