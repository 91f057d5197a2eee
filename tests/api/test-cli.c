/* test-cli.c — moonchat-cli end to end: spawned with GSubprocess against a
 * SoupServer on 127.0.0.1, the key from the environment or the real keyring;
 * output, request body, exit status per error class, interruption, and a
 * canary key that must not appear in any output or file.
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
#include "moon-test-server.h"
#include "moon-test-util.h"

#define CANARY "sk-CANARY-cli-5e8d2b7a91c4f036"
#define KEYRING_CANARY "sk-CANARY-keyring-0b6e3f8d2a7c9154"
#define CHAT_PATH "/v1/chat/completions"

/* Everything every run printed, searched for the canaries at the end. */
static GString *all_output;

/* When set, the next runs get G_MESSAGES_DEBUG=all. */
static gboolean debug_output;

typedef struct
{
  gboolean  done;
  char     *out;
  char     *err;
  int       status;
  gboolean  exited;
} Proc;

static void
proc_clear (Proc *p)
{
  g_free (p->out);
  g_free (p->err);
}

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Proc *p = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &p->out, &p->err, &error);
  g_assert_no_error (error);
  p->exited = g_subprocess_get_if_exited (G_SUBPROCESS (object));
  p->status = p->exited ? g_subprocess_get_exit_status (G_SUBPROCESS (object)) : -1;
  p->done = TRUE;
}

typedef struct
{
  GSubprocess    *process;
  MoonTestServer *server;
  gsize           after_bytes;
  guint           id;
} Interrupt;

static gboolean
interrupt_cb (gpointer data)
{
  Interrupt *interrupt = data;

  if (moon_test_server_get_bytes_sent (interrupt->server) < interrupt->after_bytes)
    return G_SOURCE_CONTINUE;

  /* Give the client a moment to print what it got. */
  if (interrupt->after_bytes > 0)
    {
      interrupt->after_bytes = 0;
      return G_SOURCE_CONTINUE;
    }

  g_subprocess_send_signal (interrupt->process, SIGINT);
  interrupt->id = 0;
  return G_SOURCE_REMOVE;
}

/* Runs moonchat-cli with @argv; @env_key NULL means no MOONSHOT_API_KEY.
 * With @interrupt_server, SIGINT is sent once that server has sent
 * @interrupt_after bytes. */
static void
run_cli (const char     *env_key,
         const char     *stdin_text,
         MoonTestServer *interrupt_server,
         gsize           interrupt_after,
         Proc           *p,
         ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  Interrupt interrupt = { 0 };
  const char *arg;
  va_list args;

  *p = (Proc) { 0 };

  g_ptr_array_add (argv, g_test_build_filename (G_TEST_BUILT, "..", "src", "cli", "moonchat-cli", NULL));
  va_start (args, p);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (env_key != NULL)
    g_subprocess_launcher_setenv (launcher, "MOONSHOT_API_KEY", env_key, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "MOONSHOT_API_KEY");
  if (debug_output)
    g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  if (interrupt_server != NULL)
    {
      interrupt.process = process;
      interrupt.server = interrupt_server;
      interrupt.after_bytes = interrupt_after;
      interrupt.id = g_timeout_add (100, interrupt_cb, &interrupt);
    }

  g_subprocess_communicate_utf8_async (process, stdin_text ? stdin_text : "", NULL, communicate_cb, p);
  moon_test_wait_for (&p->done);
  g_clear_handle_id (&interrupt.id, g_source_remove);

  g_test_message ("exit %d\nstdout: %s\nstderr: %s", p->status, p->out, p->err);
  g_string_append (all_output, p->out);
  g_string_append (all_output, p->err);
}

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
  Proc p;

  push_fixture (server, "k25-thinking-include-usage.sse", "req-cli-1");
  run_cli (CANARY, NULL, NULL, 0, &p,
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

  proc_clear (&p);
}

/* Without reasoning asked for, stderr stays quiet. */
static void
test_quiet_by_default (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  Proc p;

  push_fixture (server, "k25-thinking-include-usage.sse", "req-quiet");
  run_cli (CANARY, NULL, NULL, 0, &p, "--base-url", moon_test_server_get_base_url (server), "Hi", NULL);

  g_assert_cmpint (p.status, ==, 0);
  g_assert_cmpstr (p.out, ==, "Hello! How can I help?\n");
  g_assert_cmpstr (p.err, ==, "");
  proc_clear (&p);
}

/* All debug output (ours, GLib's, libsoup's) on: still no key in it. */
static void
test_debug_output (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  Proc p;

  push_fixture (server, "k25-thinking-include-usage.sse", "req-debug");
  debug_output = TRUE;
  run_cli (CANARY, NULL, NULL, 0, &p, "--base-url", moon_test_server_get_base_url (server), "-v", "Hi", NULL);
  debug_output = FALSE;

  g_assert_cmpint (p.status, ==, 0);
  /* Logging never mixes into the reply on stdout. */
  g_assert_cmpstr (p.out, ==, "Hello! How can I help?\n");
  g_assert_nonnull (strstr (p.err, "moon-completion-DEBUG"));
  g_assert_nonnull (strstr (p.err, "libsoup-DEBUG"));
  g_assert_null (strstr (p.err, CANARY));
  g_assert_null (strstr (p.err, "Authorization"));
  proc_clear (&p);
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
  Proc p;

  /* Stored with a trailing slash, asked for without: the same entry. */
  moon_secrets_store_async (base_url_slash, KEYRING_CANARY, NULL, secrets_done_cb, &stored);
  while (stored == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (moon_secrets_store_finish (stored, &error));
  g_assert_no_error (error);

  push_fixture (server, "doc-stream.sse", NULL);
  run_cli (NULL, NULL, NULL, 0, &p, "--base-url", moon_test_server_get_base_url (server), "Hi", NULL);

  g_assert_cmpint (p.status, ==, 0);
  g_assert_cmpstr (p.out, ==, "Hello, Li Lei! 1+1 equals 2.\n");
  g_assert_cmpstr (moon_test_server_get_last_header (server, "Authorization"), ==, "Bearer " KEYRING_CANARY);
  proc_clear (&p);

  moon_secrets_clear_async (base_url_slash, NULL, secrets_done_cb, &cleared);
  while (cleared == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (moon_secrets_clear_finish (cleared, &error));
}

static void
test_no_key (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  Proc p;

  run_cli (NULL, NULL, NULL, 0, &p, "--base-url", moon_test_server_get_base_url (server), "Hi", NULL);

  g_assert_cmpint (p.status, ==, 3);
  g_assert_cmpstr (p.out, ==, "");
  g_assert_nonnull (strstr (p.err, "MOONSHOT_API_KEY"));
  g_assert_nonnull (strstr (p.err, moon_test_server_get_base_url (server)));
  g_assert_cmpuint (moon_test_server_count (server, CHAT_PATH), ==, 0);
  proc_clear (&p);
}

static void
test_exit_codes (void)
{
  static const struct {
    guint       status;
    const char *content_type;
    const char *body;
    int         exit_status;
    const char *stderr_has;
  } cases[] = {
    { 401, "application/json", "{\"error\":{\"message\":\"Invalid Authentication\",\"type\":\"invalid_authentication_error\"}}",
      4, "The API key was not accepted: Invalid Authentication" },
    { 403, "application/json", "{\"error\":{\"message\":\"The API you are accessing is not open\",\"type\":\"permission_denied_error\"}}",
      4, "Access denied: The API you are accessing is not open" },
    { 429, "application/json", "{\"error\":{\"message\":\"Your account org-1<ak-2> is suspended, please check your plan and billing details\",\"type\":\"exceeded_current_quota_error\"}}",
      5, "is suspended" },
    { 429, "application/json", "{\"error\":{\"message\":\"request reached organization max RPM: 3, please try again after 0 seconds\",\"type\":\"rate_limit_reached_error\"}}",
      6, "Too many requests: request reached organization max RPM" },
    { 429, "application/json", "{\"error\":{\"message\":\"The engine is currently overloaded, please try again later\",\"type\":\"engine_overloaded_error\"}}",
      6, "The service is overloaded" },
    { 400, "application/json", "{\"error\":{\"message\":\"Input token length too long\",\"type\":\"invalid_request_error\"}}",
      7, "The conversation is too long for this model: Input token length too long" },
    { 400, "application/json", "{\"error\":{\"message\":\"The request was rejected because it was considered high risk\",\"type\":\"content_filter\"}}",
      7, "content filter" },
    { 404, "application/json", "{\"error\":{\"message\":\"Not found the model kimi-x or Permission denied\",\"type\":\"resource_not_found_error\"}}",
      7, "Not found the model kimi-x" },
    { 502, "text/html", "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
      8, "The server reported an error: 502 Bad Gateway" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(MoonTestServer) server = moon_test_server_new ();
      g_autofree char *request_id = g_strdup_printf ("req-exit-%u", i);
      MoonTestResponse *response = moon_test_response_new_text (CHAT_PATH, cases[i].status, cases[i].content_type, cases[i].body);
      Proc p;

      moon_test_response_add_header (response, "Msh-Request-Id", request_id);
      moon_test_server_push (server, response);
      run_cli (CANARY, NULL, NULL, 0, &p, "--base-url", moon_test_server_get_base_url (server), "--retries", "0", "Hi", NULL);

      g_assert_cmpint (p.status, ==, cases[i].exit_status);
      g_assert_cmpstr (p.out, ==, "");
      g_assert_nonnull (strstr (p.err, cases[i].stderr_has));
      g_assert_nonnull (strstr (p.err, request_id));
      proc_clear (&p);
    }
}

/* A reply cut off: what arrived is printed, and the status says it is not
 * all. */
static void
test_incomplete (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  Proc p;

  push_fixture (server, "k25-no-done.sse", "req-cut");
  run_cli (CANARY, NULL, NULL, 0, &p, "--base-url", moon_test_server_get_base_url (server), "Hi", NULL);

  g_assert_cmpint (p.status, ==, 10);
  g_assert_cmpstr (p.out, ==, "Hello! How can I help?\n");
  g_assert_nonnull (strstr (p.err, "The reply was cut off before it was complete"));
  g_assert_nonnull (strstr (p.err, "req-cut"));
  proc_clear (&p);
}

static void
test_connection_refused (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  guint16 port;
  Proc p;

  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);
  url = g_strdup_printf ("http://127.0.0.1:%u/v1", port);

  run_cli (CANARY, NULL, NULL, 0, &p, "--base-url", url, "Hi", NULL);
  g_assert_cmpint (p.status, ==, 9);
  g_assert_nonnull (strstr (p.err, "Could not reach the server"));
  proc_clear (&p);
}

static void
test_insecure (void)
{
  Proc p;

  run_cli (CANARY, NULL, NULL, 0, &p, "--base-url", "http://api.example.invalid/v1", "Hi", NULL);
  g_assert_cmpint (p.status, ==, 4);
  g_assert_nonnull (strstr (p.err, "not encrypted"));
  proc_clear (&p);
}

static void
test_thinking_prefix_system (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *request;
  JsonArray *messages;
  JsonObject *last;
  Proc p;

  push_fixture (server, "k25-finish-length.sse", NULL);
  run_cli (CANARY, NULL, NULL, 0, &p, "--base-url", moon_test_server_get_base_url (server),
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
  proc_clear (&p);
}

/* An unknown model gets only the conservative fields. */
static void
test_unknown_model (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GList) members = NULL;
  JsonObject *request;
  Proc p;

  push_fixture (server, "doc-stream.sse", NULL);
  run_cli (CANARY, NULL, NULL, 0, &p, "--base-url", moon_test_server_get_base_url (server),
           "--model", "my-local-model", "--no-thinking", "--max-tokens", "10", "Hi", NULL);

  g_assert_cmpint (p.status, ==, 0);
  g_assert_nonnull (strstr (p.err, "thinking cannot be switched off for my-local-model"));
  request = last_request (server, parser);
  g_assert_cmpuint (json_object_get_size (request), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (request, "model"), ==, "my-local-model");
  g_assert_true (json_object_has_member (request, "messages"));
  g_assert_true (json_object_has_member (request, "stream"));
  g_assert_cmpint (json_object_get_int_member (request, "max_tokens"), ==, 10);
  proc_clear (&p);
}

static void
test_stdin_prompt (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *request;
  Proc p;

  push_fixture (server, "doc-stream.sse", NULL);
  run_cli (CANARY, "What is 1+1?\n", NULL, 0, &p, "--base-url", moon_test_server_get_base_url (server), "-", NULL);

  g_assert_cmpint (p.status, ==, 0);
  request = last_request (server, parser);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (request, "messages"), 0),
                                                  "content"), ==, "What is 1+1?");
  proc_clear (&p);
}

static void
test_usage_errors (void)
{
  Proc p;

  run_cli (CANARY, NULL, NULL, 0, &p, NULL);
  g_assert_cmpint (p.status, ==, 2);
  g_assert_nonnull (strstr (p.err, "No prompt given"));
  proc_clear (&p);

  run_cli (CANARY, NULL, NULL, 0, &p, "--no-such-option", "Hi", NULL);
  g_assert_cmpint (p.status, ==, 2);
  proc_clear (&p);

  run_cli (CANARY, "   \n", NULL, 0, &p, "-", NULL);
  g_assert_cmpint (p.status, ==, 2);
  proc_clear (&p);

  run_cli (CANARY, NULL, NULL, 0, &p, "--version", NULL);
  g_assert_cmpint (p.status, ==, 0);
  g_assert_cmpstr (p.out, ==, "moonchat-cli " PACKAGE_VERSION "\n");
  proc_clear (&p);
}

static void
test_list_models (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  Proc p;

  moon_test_server_push (server, moon_test_response_new_text ("/v1/models", 200, "application/json",
    "{\"object\":\"list\",\"data\":[{\"id\":\"kimi-k2.5\",\"context_length\":262144},{\"id\":\"local-thing\"}]}"));
  run_cli (CANARY, NULL, NULL, 0, &p, "--base-url", moon_test_server_get_base_url (server), "--list-models", NULL);
  g_assert_cmpint (p.status, ==, 0);
  g_assert_cmpstr (p.out, ==, "kimi-k2.5\t262144\nlocal-thing\t-\n");
  g_assert_cmpstr (moon_test_server_get_last_header (server, "Authorization"), ==, "Bearer " CANARY);
  proc_clear (&p);

  moon_test_server_push (server, moon_test_response_new_text ("/v1/models", 401, "application/json",
    "{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"incorrect_api_key_error\"}}"));
  run_cli (CANARY, NULL, NULL, 0, &p, "--base-url", moon_test_server_get_base_url (server), "--list-models", NULL);
  g_assert_cmpint (p.status, ==, 4);
  g_assert_nonnull (strstr (p.err, "Incorrect API key provided"));
  proc_clear (&p);
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
  Proc p;

  /* One event per piece, slowly. */
  first_two_events = strstr (strstr (text, "\n\n") + 2, "\n\n") + 2 - text;
  response->min_piece = response->max_piece = first_two_events / 2;
  response->delay_ms = 300;
  moon_test_server_push (server, response);

  run_cli (CANARY, NULL, server, first_two_events, &p, "--base-url", moon_test_server_get_base_url (server), "Hi", NULL);

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
  proc_clear (&p);
}

static void
find_in_files (const char *dir,
               const char *needle,
               GPtrArray  *hits)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  if (handle == NULL)
    return;

  while ((name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        find_in_files (path, needle, hits);
      else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_autofree char *contents = NULL;
          gsize length;

          if (g_file_get_contents (path, &contents, &length, NULL) &&
              g_strstr_len (contents, length, needle) != NULL)
            g_ptr_array_add (hits, g_strdup (path));
        }
    }
}

/* Last: neither key was ever printed or written to a file. */
static void
test_canaries_nowhere (void)
{
  const char *canaries[] = { CANARY, KEYRING_CANARY };
  /* tests/session-wrapper.sh puts HOME and XDG_RUNTIME_DIR in one fresh
   * scratch directory: everything a run could have written is in there. */
  g_autofree char *scratch = g_path_get_dirname (g_get_home_dir ());

  g_autofree char *scratch_name = g_path_get_basename (scratch);

  /* Only inside the wrapper (meson test): never walk a real home. */
  g_assert_true (g_str_has_prefix (scratch_name, "moonchat-test."));
  g_assert_cmpuint (all_output->len, >, 0);
  g_assert_true (g_str_has_prefix (g_get_user_runtime_dir (), scratch));

  for (guint i = 0; i < G_N_ELEMENTS (canaries); i++)
    {
      g_autoptr(GPtrArray) hits = g_ptr_array_new_with_free_func (g_free);

      g_assert_null (strstr (all_output->str, canaries[i]));
      find_in_files (scratch, canaries[i], hits);
      for (guint j = 0; j < hits->len; j++)
        g_test_message ("%s found in %s", canaries[i], (char *) g_ptr_array_index (hits, j));
      g_assert_cmpuint (hits->len, ==, 0);
    }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  all_output = g_string_new (NULL);

  g_test_add_func ("/api/cli/stream-with-env-key", test_stream_with_env_key);
  g_test_add_func ("/api/cli/quiet-by-default", test_quiet_by_default);
  g_test_add_func ("/api/cli/debug-output", test_debug_output);
  g_test_add_func ("/api/cli/key-from-keyring", test_key_from_keyring);
  g_test_add_func ("/api/cli/no-key", test_no_key);
  g_test_add_func ("/api/cli/exit-codes", test_exit_codes);
  g_test_add_func ("/api/cli/incomplete", test_incomplete);
  g_test_add_func ("/api/cli/connection-refused", test_connection_refused);
  g_test_add_func ("/api/cli/insecure", test_insecure);
  g_test_add_func ("/api/cli/thinking-prefix-system", test_thinking_prefix_system);
  g_test_add_func ("/api/cli/unknown-model", test_unknown_model);
  g_test_add_func ("/api/cli/stdin-prompt", test_stdin_prompt);
  g_test_add_func ("/api/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/api/cli/list-models", test_list_models);
  g_test_add_func ("/api/cli/interrupted", test_interrupted);
  g_test_add_func ("/api/cli/zz-canaries-nowhere", test_canaries_nowhere);

  status = g_test_run ();
  g_string_free (all_output, TRUE);
  return status;
}
