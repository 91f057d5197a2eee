/* test-completion.c — MoonCompletion against a real SoupServer on 127.0.0.1:
 * Kimi's documented stream shapes, replays of other servers' wire captures,
 * every documented error body, retries (and when not to), cancel, idle
 * timeout, resets, a hostile 20 MB line, and the caller's main context.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "moon-api-error.h"
#include "moon-client.h"
#include "moon-completion.h"
#include "moon-test-server.h"
#include "moon-test-util.h"

#define TEST_KEY "sk-test-0123456789abcdef"
#define CHAT_PATH "/v1/chat/completions"

static const struct {
  const char   *nick;
  MoonApiError  code;
} code_nicks[] = {
  { "auth", MOON_API_ERROR_AUTH },
  { "permission", MOON_API_ERROR_PERMISSION },
  { "not-found", MOON_API_ERROR_NOT_FOUND },
  { "quota", MOON_API_ERROR_QUOTA },
  { "rate-limit", MOON_API_ERROR_RATE_LIMIT },
  { "overloaded", MOON_API_ERROR_OVERLOADED },
  { "context-too-long", MOON_API_ERROR_CONTEXT_TOO_LONG },
  { "content-filter", MOON_API_ERROR_CONTENT_FILTER },
  { "invalid-request", MOON_API_ERROR_INVALID_REQUEST },
  { "server", MOON_API_ERROR_SERVER },
  { "network", MOON_API_ERROR_NETWORK },
  { "timeout", MOON_API_ERROR_TIMEOUT },
  { "tls", MOON_API_ERROR_TLS },
  { "incomplete", MOON_API_ERROR_INCOMPLETE },
  { "protocol", MOON_API_ERROR_PROTOCOL },
  { "insecure", MOON_API_ERROR_INSECURE },
};

static int
code_from_nick (const char *nick)
{
  for (guint i = 0; i < G_N_ELEMENTS (code_nicks); i++)
    {
      if (g_str_equal (code_nicks[i].nick, nick))
        return code_nicks[i].code;
    }

  g_error ("unknown code %s", nick);
  return -1;
}

typedef struct
{
  MoonTestServer *server;
  MoonClient     *client;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = moon_test_server_new ();
  f->client = moon_client_new (moon_test_server_get_base_url (f->server));
  moon_client_set_api_key (f->client, TEST_KEY);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_cmpuint (moon_test_server_get_n_unexpected (f->server), ==, 0);
  g_assert_finalize_object (f->client);
  moon_test_server_free (f->server);
}

static JsonNode *
make_body (const char *model)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *text =
    g_strdup_printf ("{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                     "\"stream\":true,\"max_tokens\":64}", model);

  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  return json_node_ref (json_parser_get_root (parser));
}

typedef struct
{
  MoonCompletion *completion;
  GCancellable   *cancellable;
  gboolean        finished;
  gboolean        ok;
  GError         *error;
  GPtrArray      *content_deltas;
  GPtrArray      *reasoning_deltas;
  GPtrArray      *tool_deltas;
  GArray         *retry_attempts;
  GArray         *retry_delays;
  guint           cancel_after_content;   /* cancel at this many content deltas */
  guint           cancel_on_retry;        /* cancel when the first retry is announced */
  gboolean        delta_after_cancel;
  gint64          started_at;
  gint64          finished_at;
  GThread        *signal_thread;
} Run;

static void
content_delta_cb (MoonCompletion *completion,
                  const char     *text,
                  Run            *run)
{
  if (g_cancellable_is_cancelled (run->cancellable))
    run->delta_after_cancel = TRUE;

  g_assert_true (run->signal_thread == g_thread_self ());
  g_ptr_array_add (run->content_deltas, g_strdup (text));

  if (run->cancel_after_content > 0 && run->content_deltas->len == run->cancel_after_content)
    g_cancellable_cancel (run->cancellable);
}

static void
reasoning_delta_cb (MoonCompletion *completion,
                    const char     *text,
                    Run            *run)
{
  g_assert_true (run->signal_thread == g_thread_self ());
  g_ptr_array_add (run->reasoning_deltas, g_strdup (text));
}

static void
tool_call_delta_cb (MoonCompletion *completion,
                    guint           index,
                    const char     *id,
                    const char     *type,
                    const char     *name,
                    const char     *arguments,
                    Run            *run)
{
  g_ptr_array_add (run->tool_deltas,
                   g_strdup_printf ("%u|%s|%s|%s|%s", index, id ? id : "(null)", type ? type : "(null)",
                                    name ? name : "(null)", arguments ? arguments : "(null)"));
}

static void
retrying_cb (MoonCompletion *completion,
             guint           attempt,
             guint           delay_ms,
             GError         *error,
             Run            *run)
{
  g_assert_nonnull (error);
  g_array_append_val (run->retry_attempts, attempt);
  g_array_append_val (run->retry_delays, delay_ms);

  if (run->cancel_on_retry)
    g_cancellable_cancel (run->cancellable);
}

static Run *
run_new (MoonCompletion *completion)
{
  Run *run = g_new0 (Run, 1);

  run->completion = completion;
  run->cancellable = g_cancellable_new ();
  run->content_deltas = g_ptr_array_new_with_free_func (g_free);
  run->reasoning_deltas = g_ptr_array_new_with_free_func (g_free);
  run->tool_deltas = g_ptr_array_new_with_free_func (g_free);
  run->retry_attempts = g_array_new (FALSE, FALSE, sizeof (guint));
  run->retry_delays = g_array_new (FALSE, FALSE, sizeof (guint));
  run->signal_thread = g_thread_self ();

  g_signal_connect (completion, "content-delta", G_CALLBACK (content_delta_cb), run);
  g_signal_connect (completion, "reasoning-delta", G_CALLBACK (reasoning_delta_cb), run);
  g_signal_connect (completion, "tool-call-delta", G_CALLBACK (tool_call_delta_cb), run);
  g_signal_connect (completion, "retrying", G_CALLBACK (retrying_cb), run);

  return run;
}

static void
run_free (Run *run)
{
  g_signal_handlers_disconnect_by_data (run->completion, run);
  g_assert_finalize_object (run->completion);
  g_clear_object (&run->cancellable);
  g_clear_error (&run->error);
  g_ptr_array_unref (run->content_deltas);
  g_ptr_array_unref (run->reasoning_deltas);
  g_ptr_array_unref (run->tool_deltas);
  g_array_unref (run->retry_attempts);
  g_array_unref (run->retry_delays);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

static void
run_done_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Run *run = user_data;

  run->ok = moon_completion_run_finish (MOON_COMPLETION (object), result, &run->error);
  run->finished_at = g_get_monotonic_time ();
  run->finished = TRUE;
}

static void
run_wait (Run *run)
{
  run->started_at = g_get_monotonic_time ();
  moon_completion_run_async (run->completion, run->cancellable, run_done_cb, run);
  moon_test_wait_for (&run->finished);
  g_assert_true (run->ok == (run->error == NULL));
}

static char *
join (GPtrArray *parts)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < parts->len; i++)
    g_string_append (out, g_ptr_array_index (parts, i));

  return g_string_free (out, FALSE);
}

static void
assert_string_list (GPtrArray *got,
                    JsonArray *want)
{
  g_assert_cmpuint (got->len, ==, json_array_get_length (want));
  for (guint i = 0; i < got->len; i++)
    g_assert_cmpstr (g_ptr_array_index (got, i), ==, json_array_get_string_element (want, i));
}

static const char *
str_or_null (JsonObject *object,
             const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return (node == NULL || JSON_NODE_HOLDS_NULL (node)) ? NULL : json_node_get_string (node);
}

static void
assert_usage (const MoonUsage *usage,
              JsonNode        *want)
{
  JsonObject *o;

  if (want == NULL || JSON_NODE_HOLDS_NULL (want))
    {
      g_assert_null (usage);
      return;
    }

  o = json_node_get_object (want);
  g_assert_nonnull (usage);
  g_assert_cmpint (usage->prompt_tokens, ==, json_object_get_int_member (o, "prompt_tokens"));
  g_assert_cmpint (usage->completion_tokens, ==, json_object_get_int_member (o, "completion_tokens"));
  g_assert_cmpint (usage->total_tokens, ==, json_object_get_int_member (o, "total_tokens"));
  g_assert_cmpint (usage->cached_tokens, ==, json_object_get_int_member (o, "cached_tokens"));
  g_assert_cmpint (usage->reasoning_tokens, ==, json_object_get_int_member (o, "reasoning_tokens"));
}

static void
assert_tool_calls (GPtrArray *calls,
                   JsonArray *want)
{
  g_assert_cmpuint (calls->len, ==, json_array_get_length (want));
  for (guint i = 0; i < calls->len; i++)
    {
      MoonToolCall *call = g_ptr_array_index (calls, i);
      JsonObject *w = json_array_get_object_element (want, i);

      g_assert_cmpint (call->index, ==, json_object_get_int_member (w, "index"));
      g_assert_cmpstr (call->id, ==, str_or_null (w, "id"));
      g_assert_cmpstr (call->type, ==, str_or_null (w, "type"));
      g_assert_cmpstr (call->name, ==, str_or_null (w, "name"));
      g_assert_cmpstr (call->arguments->str, ==, json_object_get_string_member (w, "arguments"));
    }
}

/* Checks a finished run against an expectation object of streams.json or
 * wire-expected.json. */
static void
assert_outcome (Run        *run,
                JsonObject *want,
                const char *request_id)
{
  MoonCompletion *c = run->completion;
  JsonNode *error = json_object_get_member (want, "error");
  g_autofree char *content = join (run->content_deltas);
  g_autofree char *reasoning = join (run->reasoning_deltas);

  g_assert_cmpstr (moon_completion_get_content (c), ==, json_object_get_string_member (want, "content"));
  g_assert_cmpstr (moon_completion_get_reasoning_content (c), ==, json_object_get_string_member (want, "reasoning"));
  /* The signals carried exactly the same text. */
  g_assert_cmpstr (content, ==, moon_completion_get_content (c));
  g_assert_cmpstr (reasoning, ==, moon_completion_get_reasoning_content (c));
  g_assert_cmpstr (moon_completion_get_finish_reason (c), ==, str_or_null (want, "finish_reason"));
  assert_usage (moon_completion_get_usage (c), json_object_get_member (want, "usage"));
  assert_tool_calls (moon_completion_get_tool_calls (c), json_object_get_array_member (want, "tool_calls"));
  g_assert_cmpint (moon_completion_get_done (c), ==, json_object_get_boolean_member (want, "done"));
  g_assert_cmpuint (moon_completion_get_skipped_chunks (c), ==,
                    json_object_get_int_member_with_default (want, "skipped", 0));
  g_assert_cmpstr (moon_completion_get_request_id (c), ==, request_id);

  if (json_object_has_member (want, "model"))
    g_assert_cmpstr (moon_completion_get_model (c), ==, str_or_null (want, "model"));
  if (json_object_has_member (want, "id"))
    g_assert_cmpstr (moon_completion_get_response_id (c), ==, str_or_null (want, "id"));
  if (json_object_has_member (want, "content_deltas"))
    assert_string_list (run->content_deltas, json_object_get_array_member (want, "content_deltas"));
  if (json_object_has_member (want, "reasoning_deltas"))
    assert_string_list (run->reasoning_deltas, json_object_get_array_member (want, "reasoning_deltas"));
  if (json_object_has_member (want, "tool_call_deltas"))
    {
      JsonArray *deltas = json_object_get_array_member (want, "tool_call_deltas");

      g_assert_cmpuint (run->tool_deltas->len, ==, json_array_get_length (deltas));
      for (guint i = 0; i < run->tool_deltas->len; i++)
        {
          JsonArray *d = json_array_get_array_element (deltas, i);
          g_autofree char *expected =
            g_strdup_printf ("%u|%s|%s|%s|%s", (guint) json_array_get_int_element (d, 0),
                             JSON_NODE_HOLDS_NULL (json_array_get_element (d, 1)) ? "(null)" : json_array_get_string_element (d, 1),
                             JSON_NODE_HOLDS_NULL (json_array_get_element (d, 2)) ? "(null)" : json_array_get_string_element (d, 2),
                             JSON_NODE_HOLDS_NULL (json_array_get_element (d, 3)) ? "(null)" : json_array_get_string_element (d, 3),
                             JSON_NODE_HOLDS_NULL (json_array_get_element (d, 4)) ? "(null)" : json_array_get_string_element (d, 4));

          g_assert_cmpstr (g_ptr_array_index (run->tool_deltas, i), ==, expected);
        }
    }

  if (error == NULL || JSON_NODE_HOLDS_NULL (error))
    {
      g_assert_no_error (run->error);
      g_assert_true (run->ok);
    }
  else
    {
      JsonObject *e = json_node_get_object (error);
      const char *server_message = str_or_null (e, "server_message");

      g_assert_false (run->ok);
      g_assert_error (run->error, MOON_API_ERROR, code_from_nick (json_object_get_string_member (e, "code")));
      if (server_message != NULL)
        g_assert_cmpstr (moon_api_error_get_server_message (run->error), ==, server_message);
      g_assert_cmpstr (moon_api_error_get_request_id (run->error), ==, request_id);
    }
}

static void
assert_request_was_right (Fixture *f)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  GBytes *body = moon_test_server_get_last_body (f->server);
  const char *accept_encoding = moon_test_server_get_last_header (f->server, "Accept-Encoding");
  JsonObject *object;

  g_assert_cmpstr (moon_test_server_get_last_header (f->server, "Authorization"), ==, "Bearer " TEST_KEY);
  g_assert_cmpstr (moon_test_server_get_last_header (f->server, "Content-Type"), ==, "application/json");
  g_assert_nonnull (strstr (moon_test_server_get_last_header (f->server, "Accept"), "text/event-stream"));
  /* No gzip for an event stream (kimi-api.md §7). */
  g_assert_true (accept_encoding == NULL || strstr (accept_encoding, "gzip") == NULL);

  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL));
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (object, "model"), ==, "kimi-k2.5");
  g_assert_true (json_object_get_boolean_member (object, "stream"));
  g_assert_cmpint (json_object_get_int_member (object, "max_tokens"), ==, 64);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (object, "messages"), 0),
                                                  "content"), ==, "Hi");
}

static MoonCompletion *
new_completion (Fixture *f)
{
  g_autoptr(JsonNode) body = make_body ("kimi-k2.5");

  return moon_client_new_completion (f->client, body);
}

/* kimi-api.md §2–§3 shapes, each served in random pieces (1–97 bytes). */
static void
test_kimi_streams (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(JsonNode) root = moon_test_load_json ("kimi", "streams.json", NULL);
  JsonArray *cases = json_object_get_array_member (json_node_get_object (root), "cases");

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *want = json_array_get_object_element (cases, i);
      const char *file = json_object_get_string_member (want, "file");
      g_autoptr(GBytes) body = moon_test_load_fixture ("kimi", file, NULL);
      g_autofree char *request_id = g_strdup_printf ("req-%u-%s", i, file);
      MoonTestResponse *response = moon_test_response_new (CHAT_PATH, 200, "text/event-stream", body);
      g_autoptr(Run) run = NULL;

      g_test_message ("%s: %s", file, json_object_get_string_member (want, "source"));

      response->min_piece = 1;
      response->max_piece = 97;
      moon_test_response_add_header (response, "Msh-Request-Id", request_id);
      moon_test_server_push (f->server, response);

      run = run_new (new_completion (f));
      run_wait (run);
      assert_outcome (run, want, request_id);
      assert_request_was_right (f);
      g_assert_cmpuint (moon_completion_get_attempts (run->completion), ==, 1);
    }

  g_assert_cmpuint (moon_test_server_count (f->server, CHAT_PATH), ==, json_array_get_length (cases));
}

typedef struct
{
  guint   status;
  char   *content_type;
  GBytes *body;
} Capture;

static void
capture_clear (Capture *capture)
{
  g_free (capture->content_type);
  g_bytes_unref (capture->body);
}

/* Reads a `curl -i` capture: status line and headers if present, then the
 * body. Without headers the body is a 200 whose type is inferred. */
static void
load_capture (const char *file,
              Capture    *capture)
{
  g_autoptr(GBytes) raw = moon_test_load_fixture ("wire", file, NULL);
  gsize length;
  const char *data = g_bytes_get_data (raw, &length);

  *capture = (Capture) { 200, NULL, NULL };

  if (length > 5 && memcmp (data, "HTTP/", 5) == 0)
    {
      const char *end = g_strstr_len (data, length, "\r\n\r\n");
      g_autofree char *head = NULL;
      g_auto(GStrv) lines = NULL;

      g_assert_nonnull (end);
      head = g_strndup (data, end - data);
      lines = g_strsplit (head, "\r\n", -1);
      capture->status = g_ascii_strtoull (strchr (lines[0], ' ') + 1, NULL, 10);
      for (guint i = 1; lines[i] != NULL; i++)
        {
          if (g_ascii_strncasecmp (lines[i], "Content-Type:", 13) == 0)
            capture->content_type = g_strstrip (g_strdup (lines[i] + 13));
        }
      capture->body = g_bytes_new (end + 4, length - (end + 4 - data));
    }
  else
    {
      capture->body = g_bytes_ref (raw);
      capture->content_type = g_strdup (g_str_has_prefix (data, "data:") ? "text/event-stream" : "application/json");
    }
}

/* Captures of llama.cpp's llama-server, @dwmkerr/mock-llm and
 * openai-mock-api, replayed with their own status, Content-Type (text/plain
 * included) and body, in random pieces with small random delays. */
static void
test_wire_replay (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(JsonNode) root = moon_test_load_json ("wire-expected.json", NULL);
  JsonArray *cases = json_object_get_array_member (json_node_get_object (root), "cases");

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *want = json_array_get_object_element (cases, i);
      const char *file = json_object_get_string_member (want, "file");
      MoonTestResponse *response;
      g_autoptr(Run) run = NULL;
      Capture capture;

      g_test_message ("replaying %s", file);
      load_capture (file, &capture);
      g_assert_cmpuint (capture.status, ==, json_object_get_int_member (want, "status"));

      response = moon_test_response_new (CHAT_PATH, capture.status, capture.content_type, capture.body);
      response->min_piece = 1;
      response->max_piece = 512;
      response->delay_ms = g_test_rand_int_range (0, 2);
      moon_test_server_push (f->server, response);

      run = run_new (new_completion (f));
      /* A replayed 429 or 500 is one answer, not a reason to ask again. */
      moon_completion_set_max_retries (run->completion, 0);
      run_wait (run);
      assert_outcome (run, want, NULL);
      capture_clear (&capture);
    }
}

/* Every documented error (status + body) through a real response, with
 * Msh-Request-Id: the right code, the server's message and the request id. */
static void
test_error_bodies (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(JsonNode) root = moon_test_load_json ("kimi", "errors.json", NULL);
  JsonArray *cases = json_object_get_array_member (json_node_get_object (root), "cases");

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      g_autofree char *request_id = g_strdup_printf ("c07c118e-4dae-11ef-b423-%012u", i);
      MoonTestResponse *response;
      g_autoptr(Run) run = NULL;

      g_test_message ("%s", json_object_get_string_member (c, "name"));
      response = moon_test_response_new_text (CHAT_PATH, json_object_get_int_member (c, "status"),
                                              json_object_get_string_member_with_default (c, "content_type", NULL),
                                              json_object_get_string_member (c, "body"));
      moon_test_response_add_header (response, "Msh-Request-Id", request_id);
      if (json_object_has_member (c, "headers"))
        {
          JsonObject *headers = json_object_get_object_member (c, "headers");
          g_autoptr(GList) names = json_object_get_members (headers);

          for (GList *l = names; l; l = l->next)
            moon_test_response_add_header (response, l->data, json_object_get_string_member (headers, l->data));
        }
      moon_test_server_push (f->server, response);

      run = run_new (new_completion (f));
      moon_completion_set_max_retries (run->completion, 0);
      run_wait (run);

      g_assert_error (run->error, MOON_API_ERROR, code_from_nick (json_object_get_string_member (c, "code")));
      g_assert_cmpstr (moon_api_error_get_server_message (run->error), ==,
                       json_object_get_string_member_with_default (c, "server_message", NULL));
      g_assert_cmpstr (moon_api_error_get_request_id (run->error), ==, request_id);
      g_assert_cmpstr (moon_completion_get_request_id (run->completion), ==, request_id);
      g_assert_cmpuint (moon_api_error_get_http_status (run->error), ==, json_object_get_int_member (c, "status"));
      g_assert_cmpint (moon_api_error_get_retry_after (run->error), ==, json_object_get_int_member (c, "retry_after"));
      g_assert_cmpuint (run->retry_attempts->len, ==, 0);
      g_assert_false (moon_completion_get_done (run->completion));
      g_assert_cmpstr (moon_completion_get_content (run->completion), ==, "");
    }
}

static const char *quota_body =
  "{\"error\":{\"message\":\"Your account org-9f3c<ak-77ab> is suspended, please check your plan and billing details\","
  "\"type\":\"exceeded_current_quota_error\"}}";

static const char *ok_stream =
  "data: {\"id\":\"chatcmpl-ok\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"kimi-k2.5\","
  "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"finish_reason\":null}]}\n\n"
  "data: {\"id\":\"chatcmpl-ok\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"kimi-k2.5\","
  "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" world\"},\"finish_reason\":null}]}\n\n"
  "data: {\"id\":\"chatcmpl-ok\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"kimi-k2.5\","
  "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\","
  "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}]}\n\n"
  "data: [DONE]\n\n";

static void
push_json_error (Fixture    *f,
                 guint       status,
                 const char *type,
                 const char *message)
{
  g_autofree char *body = g_strdup_printf ("{\"error\":{\"message\":\"%s\",\"type\":\"%s\"}}", message, type);

  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, status, "application/json", body));
}

/* 429 exceeded_current_quota_error: never retried, even with retries left. */
static void
test_quota_not_retried (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(Run) run = NULL;

  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 429, "application/json", quota_body));
  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", ok_stream));

  run = run_new (new_completion (f));
  moon_completion_set_retry_delay (run->completion, 10);
  run_wait (run);

  g_assert_error (run->error, MOON_API_ERROR, MOON_API_ERROR_QUOTA);
  g_assert_cmpuint (moon_test_server_count (f->server, CHAT_PATH), ==, 1);
  g_assert_cmpuint (run->retry_attempts->len, ==, 0);
  g_assert_cmpuint (moon_completion_get_attempts (run->completion), ==, 1);
  g_assert_cmpuint (moon_test_server_get_n_pending (f->server), ==, 1);
}

/* Auth and invalid requests are not retried either. */
static void
test_auth_not_retried (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(Run) run = NULL;

  push_json_error (f, 401, "invalid_authentication_error", "Invalid Authentication");
  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", ok_stream));

  run = run_new (new_completion (f));
  moon_completion_set_retry_delay (run->completion, 10);
  run_wait (run);

  g_assert_error (run->error, MOON_API_ERROR, MOON_API_ERROR_AUTH);
  g_assert_cmpuint (moon_test_server_count (f->server, CHAT_PATH), ==, 1);
  g_assert_cmpuint (run->retry_attempts->len, ==, 0);
}

/* Rate limit, then overload, then a 502 page: retried with backoff, then
 * the stream succeeds. */
static void
test_retried_then_success (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(Run) run = NULL;

  push_json_error (f, 429, "rate_limit_reached_error",
                   "Your account org-1<ak-2> request reached organization max RPM: 3, please try again after 0 seconds");
  push_json_error (f, 429, "engine_overloaded_error", "The engine is currently overloaded, please try again later");
  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 502, "text/html",
                                                                 "<html><head><title>502 Bad Gateway</title></head></html>"));
  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", ok_stream));

  run = run_new (new_completion (f));
  moon_completion_set_retry_delay (run->completion, 10);
  run_wait (run);

  g_assert_no_error (run->error);
  g_assert_cmpstr (moon_completion_get_content (run->completion), ==, "Hello world");
  g_assert_cmpuint (moon_test_server_count (f->server, CHAT_PATH), ==, 4);
  g_assert_cmpuint (moon_completion_get_attempts (run->completion), ==, 4);
  g_assert_cmpuint (run->retry_attempts->len, ==, 3);
  g_assert_cmpuint (g_array_index (run->retry_attempts, guint, 0), ==, 1);
  g_assert_cmpuint (g_array_index (run->retry_attempts, guint, 1), ==, 2);
  g_assert_cmpuint (g_array_index (run->retry_attempts, guint, 2), ==, 3);
  /* "try again after 0 seconds" waits the least delay; then backoff doubles
   * (with up to 25% jitter). */
  g_assert_cmpuint (g_array_index (run->retry_delays, guint, 0), ==, 10);
  g_assert_cmpuint (g_array_index (run->retry_delays, guint, 1), >=, 20);
  g_assert_cmpuint (g_array_index (run->retry_delays, guint, 1), <=, 25);
  g_assert_cmpuint (g_array_index (run->retry_delays, guint, 2), >=, 40);
  g_assert_cmpuint (g_array_index (run->retry_delays, guint, 2), <=, 50);
}

/* "please try again after 1 seconds" is honoured. */
static void
test_retry_after_honoured (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(Run) run = NULL;

  push_json_error (f, 429, "rate_limit_reached_error",
                   "Your account org-1<ak-2> request reached organization max concurrency: 1, please try again after 1 seconds");
  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", ok_stream));

  run = run_new (new_completion (f));
  moon_completion_set_retry_delay (run->completion, 10);
  run_wait (run);

  g_assert_no_error (run->error);
  g_assert_cmpuint (g_array_index (run->retry_delays, guint, 0), ==, 1000);
  g_assert_cmpint (run->finished_at - run->started_at, >=, 1000 * 1000);
  g_assert_cmpuint (moon_test_server_count (f->server, CHAT_PATH), ==, 2);
}

/* A long wait the server asks for is capped by max-retry-delay. */
static void
test_retry_delay_capped (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(Run) run = NULL;

  push_json_error (f, 429, "rate_limit_reached_error", "request reached organization max RPM: 3, please try again after 20 seconds");
  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", ok_stream));

  run = run_new (new_completion (f));
  moon_completion_set_retry_delay (run->completion, 10);
  moon_completion_set_max_retry_delay (run->completion, 50);
  run_wait (run);

  g_assert_no_error (run->error);
  g_assert_cmpuint (g_array_index (run->retry_delays, guint, 0), ==, 50);
}

/* Retries run out: the last error is reported. */
static void
test_retries_exhausted (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(Run) run = NULL;

  for (guint i = 0; i < 3; i++)
    push_json_error (f, 503, "server_unavailable", "The server is temporarily unavailable");
  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", ok_stream));

  run = run_new (new_completion (f));
  moon_completion_set_retry_delay (run->completion, 5);
  moon_completion_set_max_retries (run->completion, 2);
  run_wait (run);

  g_assert_error (run->error, MOON_API_ERROR, MOON_API_ERROR_SERVER);
  g_assert_cmpstr (moon_api_error_get_server_message (run->error), ==, "The server is temporarily unavailable");
  g_assert_cmpuint (moon_test_server_count (f->server, CHAT_PATH), ==, 3);
  g_assert_cmpuint (run->retry_attempts->len, ==, 2);
}

/* Once a reply byte has arrived there is no retry: a reset mid-stream is an
 * incomplete reply with its text kept, and the next response is never asked
 * for. */
static void
test_no_retry_after_first_byte (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(Run) run = NULL;
  MoonTestResponse *response;
  const char *first_event_end = strstr (ok_stream, "\n\n") + 2;

  response = moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", ok_stream);
  response->min_piece = response->max_piece = 16;
  response->end = MOON_TEST_END_RESET;
  response->end_after = first_event_end - ok_stream;
  moon_test_response_add_header (response, "Msh-Request-Id", "req-reset");
  moon_test_server_push (f->server, response);
  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", ok_stream));

  run = run_new (new_completion (f));
  moon_completion_set_retry_delay (run->completion, 5);
  run_wait (run);

  g_assert_error (run->error, MOON_API_ERROR, MOON_API_ERROR_INCOMPLETE);
  g_assert_cmpstr (moon_api_error_get_request_id (run->error), ==, "req-reset");
  g_assert_cmpstr (moon_completion_get_content (run->completion), ==, "Hello");
  g_assert_false (moon_completion_get_done (run->completion));
  g_assert_cmpuint (moon_test_server_count (f->server, CHAT_PATH), ==, 1);
  g_assert_cmpuint (run->retry_attempts->len, ==, 0);
  g_assert_cmpuint (moon_test_server_get_n_pending (f->server), ==, 1);
}

/* An overload reported inside a 200 stream is not retried either. */
static void
test_no_retry_for_stream_error (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(Run) run = NULL;

  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream",
    "data: {\"error\":{\"message\":\"The engine is currently overloaded, please try again later\",\"type\":\"engine_overloaded_error\"}}\n\n"));
  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", ok_stream));

  run = run_new (new_completion (f));
  moon_completion_set_retry_delay (run->completion, 5);
  run_wait (run);

  g_assert_error (run->error, MOON_API_ERROR, MOON_API_ERROR_OVERLOADED);
  g_assert_cmpuint (moon_test_server_count (f->server, CHAT_PATH), ==, 1);
}

/* Stop at any moment: after the first delta, nothing more is emitted, the
 * text so far stays, and the result is G_IO_ERROR_CANCELLED. */
static void
test_cancel_mid_stream (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GBytes) body = moon_test_load_fixture ("kimi", "doc-stream.sse", NULL);
  MoonTestResponse *response = moon_test_response_new (CHAT_PATH, 200, "text/event-stream", body);
  g_autoptr(Run) run = NULL;

  response->min_piece = 1;
  response->max_piece = 40;
  response->delay_ms = 5;
  moon_test_server_push (f->server, response);

  run = run_new (new_completion (f));
  run->cancel_after_content = 1;
  run_wait (run);

  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (run->delta_after_cancel);
  g_assert_cmpuint (run->content_deltas->len, ==, 1);
  g_assert_cmpstr (moon_completion_get_content (run->completion), ==, "Hello");
  g_assert_false (moon_completion_get_done (run->completion));
}

static void
test_cancel_before_start (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(Run) run = NULL;

  run = run_new (new_completion (f));
  g_cancellable_cancel (run->cancellable);
  run_wait (run);

  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (moon_test_server_count (f->server, CHAT_PATH), ==, 0);
}

/* Cancel while waiting to retry: no further request. */
static void
test_cancel_during_retry_wait (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(Run) run = NULL;

  push_json_error (f, 429, "engine_overloaded_error", "The engine is currently overloaded, please try again later");
  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", ok_stream));

  run = run_new (new_completion (f));
  moon_completion_set_retry_delay (run->completion, 60 * 1000);
  run->cancel_on_retry = TRUE;
  run_wait (run);

  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (moon_test_server_count (f->server, CHAT_PATH), ==, 1);
  /* It did not sit out the 60 s backoff. */
  g_assert_cmpint (run->finished_at - run->started_at, <, 30 * G_USEC_PER_SEC);
}

/* A server that goes quiet mid-stream: the idle timeout ends it, with the
 * text kept. */
static void
test_idle_timeout (Fixture       *f,
                   gconstpointer  data)
{
  MoonTestResponse *response = moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", ok_stream);
  g_autoptr(Run) run = NULL;

  response->min_piece = response->max_piece = strstr (ok_stream, "\n\n") + 2 - ok_stream;
  response->end = MOON_TEST_END_STALL;
  response->end_after = response->min_piece;
  moon_test_response_add_header (response, "Msh-Request-Id", "req-stall");
  moon_test_server_push (f->server, response);

  run = run_new (new_completion (f));
  g_assert_cmpuint (moon_completion_get_idle_timeout (run->completion), ==, MOON_COMPLETION_DEFAULT_IDLE_TIMEOUT);
  moon_completion_set_idle_timeout (run->completion, 1);
  run_wait (run);

  g_assert_error (run->error, MOON_API_ERROR, MOON_API_ERROR_TIMEOUT);
  g_assert_cmpstr (moon_api_error_get_request_id (run->error), ==, "req-stall");
  g_assert_cmpstr (moon_completion_get_content (run->completion), ==, "Hello");
  g_assert_cmpint (run->finished_at - run->started_at, >=, G_USEC_PER_SEC);
}

/* No headers at all: the same idle timeout applies while waiting for them. */
static void
test_idle_timeout_before_headers (Fixture       *f,
                                  gconstpointer  data)
{
  MoonTestResponse *response = moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", ok_stream);
  g_autoptr(Run) run = NULL;

  response->first_delay_ms = 60 * 1000;
  moon_test_server_push (f->server, response);

  run = run_new (new_completion (f));
  moon_completion_set_idle_timeout (run->completion, 1);
  run_wait (run);

  g_assert_error (run->error, MOON_API_ERROR, MOON_API_ERROR_TIMEOUT);
  g_assert_cmpuint (run->retry_attempts->len, ==, 0);
}

/* A pause shorter than the idle timeout (a model thinking) is not cut, and
 * the session has no socket timeout of its own. */
static void
test_long_pause_not_cut (Fixture       *f,
                         gconstpointer  data)
{
  MoonTestResponse *response = moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", ok_stream);
  g_autoptr(Run) run = NULL;
  guint socket_timeout = 99;

  g_object_get (moon_client_get_session (f->client), "timeout", &socket_timeout, NULL);
  g_assert_cmpuint (socket_timeout, ==, 0);

  response->min_piece = response->max_piece = strstr (ok_stream, "\n\n") + 2 - ok_stream;
  response->delay_ms = 1500;
  moon_test_server_push (f->server, response);

  run = run_new (new_completion (f));
  moon_completion_set_idle_timeout (run->completion, 5);
  run_wait (run);

  g_assert_no_error (run->error);
  g_assert_cmpstr (moon_completion_get_content (run->completion), ==, "Hello world");
}

/* A hostile 20 MB line: a protocol error once the cap is passed; the
 * connection is dropped instead of reading everything. */
static void
test_hostile_line (Fixture       *f,
                   gconstpointer  data)
{
  MoonTestResponse *response = moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", "");
  g_autoptr(Run) run = NULL;

  response->generate = 20 * 1000 * 1000;
  moon_test_server_push (f->server, response);

  run = run_new (new_completion (f));
  moon_completion_set_max_event_size (run->completion, 1024 * 1024);
  run_wait (run);

  g_assert_error (run->error, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (run->error->message, "1048576"));

  /* The server noticed that the client went away long before 20 MB. */
  while (!moon_test_server_get_finished (f->server))
    g_main_context_iteration (NULL, TRUE);
  g_test_message ("the server had sent %" G_GSIZE_FORMAT " bytes when the client hung up",
                  moon_test_server_get_bytes_sent (f->server));
  g_assert_cmpuint (moon_test_server_get_bytes_sent (f->server), <, 20 * 1000 * 1000);
}

/* The same with the default 16 MiB cap. */
static void
test_hostile_line_default_cap (Fixture       *f,
                               gconstpointer  data)
{
  MoonTestResponse *response = moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", "");
  g_autoptr(Run) run = NULL;

  response->generate = 20 * 1000 * 1000;
  moon_test_server_push (f->server, response);

  run = run_new (new_completion (f));
  g_assert_cmpuint (moon_completion_get_max_event_size (run->completion), ==, 16 * 1024 * 1024);
  run_wait (run);

  g_assert_error (run->error, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL);
}

/* A server that answers a streaming request with one JSON document. */
static void
test_json_reply (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(Run) run = NULL;

  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 200, "application/json; charset=utf-8",
    "{\"id\":\"cmpl-04ea926191a14749b7f2c7a48a68abc6\",\"object\":\"chat.completion\",\"created\":1698999496,"
    "\"model\":\"kimi-k2-turbo-preview\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
    "\"content\":\"Hello, Li Lei! 1+1 equals 2.\",\"reasoning_content\":\"Easy.\"},\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":21,\"total_tokens\":40,\"cached_tokens\":10}}"));

  run = run_new (new_completion (f));
  run_wait (run);

  g_assert_no_error (run->error);
  g_assert_true (moon_completion_get_done (run->completion));
  g_assert_cmpstr (moon_completion_get_content (run->completion), ==, "Hello, Li Lei! 1+1 equals 2.");
  g_assert_cmpstr (moon_completion_get_reasoning_content (run->completion), ==, "Easy.");
  g_assert_cmpuint (run->content_deltas->len, ==, 1);
  g_assert_cmpint (moon_completion_get_usage (run->completion)->cached_tokens, ==, 10);
  g_assert_cmpstr (moon_completion_get_response_id (run->completion), ==, "cmpl-04ea926191a14749b7f2c7a48a68abc6");
}

/* A 200 whose JSON body is an error object. */
static void
test_json_error_with_200 (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(Run) run = NULL;

  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 200, "application/json",
    "{\"error\":{\"message\":\"Not found the model kimi-x or Permission denied\",\"type\":\"resource_not_found_error\"}}"));

  run = run_new (new_completion (f));
  run_wait (run);

  g_assert_error (run->error, MOON_API_ERROR, MOON_API_ERROR_NOT_FOUND);
  g_assert_cmpstr (moon_api_error_get_server_message (run->error), ==, "Not found the model kimi-x or Permission denied");
}

/* A 200 HTML page (a captive portal) is named, not called "cut off". */
static void
test_html_with_200 (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(Run) run = NULL;

  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 200, "text/html; charset=utf-8",
    "<!DOCTYPE html><html><head><title>Hotel Wi-Fi: please log in</title></head><body>...</body></html>"));

  run = run_new (new_completion (f));
  run_wait (run);

  g_assert_error (run->error, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL);
  g_assert_cmpstr (moon_api_error_get_server_message (run->error), ==, "Hotel Wi-Fi: please log in");
  g_assert_cmpstr (run->error->message, ==, "The server sent a reply that could not be read: Hotel Wi-Fi: please log in");
}

/* The key never travels in clear text to another computer. */
static void
test_insecure_base_url (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(MoonClient) client = moon_client_new ("http://api.example.invalid/v1/");
  g_autoptr(JsonNode) body = make_body ("kimi-k2.5");
  g_autoptr(Run) run = NULL;

  moon_client_set_api_key (client, TEST_KEY);
  run = run_new (moon_client_new_completion (client, body));
  run_wait (run);

  g_assert_error (run->error, MOON_API_ERROR, MOON_API_ERROR_INSECURE);
  g_assert_null (strstr (run->error->message, TEST_KEY));
  g_assert_nonnull (strstr (run->error->message, "http://api.example.invalid/v1"));
  g_assert_cmpuint (moon_completion_get_attempts (run->completion), ==, 0);
}

static void
second_run_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GError **error = user_data;

  g_assert_false (moon_completion_run_finish (MOON_COMPLETION (object), result, error));
}

static void
test_runs_once (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(Run) run = NULL;
  g_autoptr(GError) error = NULL;

  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", ok_stream));
  run = run_new (new_completion (f));
  run_wait (run);
  g_assert_no_error (run->error);

  moon_completion_run_async (run->completion, NULL, second_run_cb, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
  g_assert_cmpuint (moon_test_server_count (f->server, CHAT_PATH), ==, 1);
}

/* A body given as bytes is sent byte for byte. */
static void
test_body_bytes (Fixture       *f,
                 gconstpointer  data)
{
  const char *text = "{\"model\":\"kimi-k2.5\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true,\"max_tokens\":64}";
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));
  g_autoptr(Run) run = NULL;

  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", ok_stream));
  run = run_new (moon_client_new_completion_for_bytes (f->client, bytes));
  run_wait (run);

  g_assert_no_error (run->error);
  g_assert_true (g_bytes_equal (moon_test_server_get_last_body (f->server), bytes));
  assert_request_was_right (f);
}

typedef struct
{
  char     *base_url;
  GThread  *thread;
  gboolean  done;
  gboolean  ok;
  guint     deltas;
  gboolean  wrong_thread;
} ThreadData;

static void
thread_delta_cb (MoonCompletion *completion,
                 const char     *text,
                 ThreadData     *td)
{
  td->deltas++;
  if (g_thread_self () != td->thread)
    td->wrong_thread = TRUE;
}

static void
thread_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  gboolean *finished = user_data;

  *finished = TRUE;
}

static gpointer
completion_thread (gpointer data)
{
  ThreadData *td = data;
  GMainContext *context = g_main_context_new ();
  g_autoptr(MoonClient) client = NULL;
  g_autoptr(MoonCompletion) completion = NULL;
  g_autoptr(JsonNode) body = make_body ("kimi-k2.5");
  g_autoptr(GAsyncResult) result = NULL;
  gboolean finished = FALSE;

  g_main_context_push_thread_default (context);

  client = moon_client_new (td->base_url);
  moon_client_set_api_key (client, TEST_KEY);
  completion = moon_client_new_completion (client, body);
  g_signal_connect (completion, "content-delta", G_CALLBACK (thread_delta_cb), td);
  moon_completion_run_async (completion, NULL, thread_done_cb, &finished);
  while (!finished)
    g_main_context_iteration (context, TRUE);

  td->ok = moon_completion_get_done (completion);
  g_clear_object (&completion);
  g_clear_object (&client);

  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);

  g_atomic_int_set (&td->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

/* Signals come on the main context of the thread that started the run. */
static void
test_caller_context (Fixture       *f,
                     gconstpointer  data)
{
  ThreadData td = { 0 };

  moon_test_server_push (f->server, moon_test_response_new_text (CHAT_PATH, 200, "text/event-stream", ok_stream));

  td.base_url = g_strdup (moon_test_server_get_base_url (f->server));
  td.thread = g_thread_new ("completion", completion_thread, &td);
  while (!g_atomic_int_get (&td.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (td.thread);

  g_assert_true (td.ok);
  g_assert_cmpuint (td.deltas, ==, 2);
  g_assert_false (td.wrong_thread);
  g_free (td.base_url);
}

/* Nothing listens: a network error, reported, not retried. */
static void
test_connection_refused (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MoonClient) client = NULL;
  g_autoptr(JsonNode) body = make_body ("kimi-k2.5");
  g_autofree char *url = NULL;
  g_autoptr(Run) run = NULL;
  guint16 port;

  /* Find a free port, then close it so that nothing listens there. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);

  url = g_strdup_printf ("http://127.0.0.1:%u/v1", port);
  client = moon_client_new (url);
  moon_client_set_api_key (client, TEST_KEY);
  run = run_new (moon_client_new_completion (client, body));
  run_wait (run);

  g_assert_error (run->error, MOON_API_ERROR, MOON_API_ERROR_NETWORK);
  g_assert_cmpuint (moon_completion_get_attempts (run->completion), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add ("/api/completion/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("kimi-streams", test_kimi_streams);
  ADD ("wire-replay", test_wire_replay);
  ADD ("error-bodies", test_error_bodies);
  ADD ("quota-not-retried", test_quota_not_retried);
  ADD ("auth-not-retried", test_auth_not_retried);
  ADD ("retried-then-success", test_retried_then_success);
  ADD ("retry-after-honoured", test_retry_after_honoured);
  ADD ("retry-delay-capped", test_retry_delay_capped);
  ADD ("retries-exhausted", test_retries_exhausted);
  ADD ("no-retry-after-first-byte", test_no_retry_after_first_byte);
  ADD ("no-retry-for-stream-error", test_no_retry_for_stream_error);
  ADD ("cancel-mid-stream", test_cancel_mid_stream);
  ADD ("cancel-before-start", test_cancel_before_start);
  ADD ("cancel-during-retry-wait", test_cancel_during_retry_wait);
  ADD ("idle-timeout", test_idle_timeout);
  ADD ("idle-timeout-before-headers", test_idle_timeout_before_headers);
  ADD ("long-pause-not-cut", test_long_pause_not_cut);
  ADD ("hostile-20mb-line", test_hostile_line);
  ADD ("hostile-20mb-line-default-cap", test_hostile_line_default_cap);
  ADD ("json-reply", test_json_reply);
  ADD ("json-error-with-200", test_json_error_with_200);
  ADD ("html-with-200", test_html_with_200);
  ADD ("insecure-base-url", test_insecure_base_url);
  ADD ("runs-once", test_runs_once);
  ADD ("body-bytes", test_body_bytes);
  ADD ("caller-context", test_caller_context);
  ADD ("connection-refused", test_connection_refused);
#undef ADD

  return g_test_run ();
}
