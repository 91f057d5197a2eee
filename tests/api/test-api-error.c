/* test-api-error.c — every documented error body (kimi-api.md §3, in
 * tests/fixtures/api/kimi/errors.json) becomes the right MoonApiError with the
 * server's message and the request id kept; retry hints; readable text for
 * HTML bodies; transport errors.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "moon-api-error.h"
#include "moon-test-util.h"

static const struct {
  const char   *nick;
  MoonApiError  code;
  const char   *summary;   /* untranslated (tests run in C.UTF-8) */
} codes[] = {
  { "auth", MOON_API_ERROR_AUTH, "The API key was not accepted" },
  { "permission", MOON_API_ERROR_PERMISSION, "Access denied" },
  { "not-found", MOON_API_ERROR_NOT_FOUND, "The model or resource was not found" },
  { "quota", MOON_API_ERROR_QUOTA, "The account balance or quota is exhausted" },
  { "rate-limit", MOON_API_ERROR_RATE_LIMIT, "Too many requests" },
  { "overloaded", MOON_API_ERROR_OVERLOADED, "The service is overloaded" },
  { "context-too-long", MOON_API_ERROR_CONTEXT_TOO_LONG, "The conversation is too long for this model" },
  { "content-filter", MOON_API_ERROR_CONTENT_FILTER, "The request was rejected by the content filter" },
  { "invalid-request", MOON_API_ERROR_INVALID_REQUEST, "The request was not accepted" },
  { "server", MOON_API_ERROR_SERVER, "The server reported an error" },
  { "network", MOON_API_ERROR_NETWORK, "Could not reach the server" },
  { "timeout", MOON_API_ERROR_TIMEOUT, "The server stopped responding" },
  { "tls", MOON_API_ERROR_TLS, "The secure connection failed" },
  { "incomplete", MOON_API_ERROR_INCOMPLETE, "The reply was cut off before it was complete" },
  { "protocol", MOON_API_ERROR_PROTOCOL, "The server sent a reply that could not be read" },
  { "insecure", MOON_API_ERROR_INSECURE, "Refusing to send the API key without encryption" },
};

static guint
code_index (const char *nick)
{
  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      if (g_str_equal (codes[i].nick, nick))
        return i;
    }

  g_error ("unknown code nick %s", nick);
  return 0;
}

static void
test_summaries (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    g_assert_cmpstr (moon_api_error_get_summary (codes[i].code), ==, codes[i].summary);
}

static void
test_documented_errors (void)
{
  g_autoptr(JsonNode) root = moon_test_load_json ("kimi", "errors.json", NULL);
  JsonArray *cases = json_object_get_array_member (json_node_get_object (root), "cases");

  g_assert_cmpuint (json_array_get_length (cases), >=, 30);

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      const char *body = json_object_get_string_member (c, "body");
      const char *content_type = json_object_get_string_member_with_default (c, "content_type", NULL);
      const char *want_server = json_object_get_string_member_with_default (c, "server_message", NULL);
      guint status = json_object_get_int_member (c, "status");
      guint k = code_index (json_object_get_string_member (c, "code"));
      const char *retry_header = NULL;
      g_autofree char *want_message = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) copy = NULL;

      if (json_object_has_member (c, "headers"))
        retry_header = json_object_get_string_member_with_default (json_object_get_object_member (c, "headers"),
                                                                   "Retry-After", NULL);

      g_test_message ("case %u: %s", i, json_object_get_string_member (c, "name"));

      error = moon_api_error_new_from_response (status, content_type, body, strlen (body),
                                                "c07c118e-4dae-11ef-b423-62db244b9277", retry_header);

      g_assert_error (error, MOON_API_ERROR, (int) codes[k].code);
      g_assert_cmpstr (moon_api_error_get_server_message (error), ==, want_server);
      g_assert_cmpstr (moon_api_error_get_request_id (error), ==, "c07c118e-4dae-11ef-b423-62db244b9277");
      g_assert_cmpuint (moon_api_error_get_http_status (error), ==, status);
      g_assert_cmpint (moon_api_error_get_retry_after (error), ==, json_object_get_int_member (c, "retry_after"));
      g_assert_cmpint (moon_api_error_is_retryable (error), ==, json_object_get_boolean_member (c, "retryable"));

      if (want_server != NULL)
        want_message = g_strdup_printf ("%s: %s", codes[k].summary, want_server);
      else
        want_message = g_strdup_printf ("%s (HTTP %u)", codes[k].summary, status);
      g_assert_cmpstr (error->message, ==, want_message);

      /* The extra data survives copies (GTask, g_propagate_error). */
      copy = g_error_copy (error);
      g_assert_cmpstr (moon_api_error_get_server_message (copy), ==, want_server);
      g_assert_cmpstr (moon_api_error_get_request_id (copy), ==, "c07c118e-4dae-11ef-b423-62db244b9277");
      g_assert_cmpint (moon_api_error_get_retry_after (copy), ==, json_object_get_int_member (c, "retry_after"));
    }
}

/* error.type decides before the status; the status decides for generic or
 * unknown types; the message only separates context overflow and quota. */
static void
test_classify (void)
{
  g_assert_cmpint (moon_api_error_classify ("exceeded_current_quota_error", NULL, "x", 429), ==, MOON_API_ERROR_QUOTA);
  g_assert_cmpint (moon_api_error_classify ("rate_limit_reached_error", NULL, "x", 429), ==, MOON_API_ERROR_RATE_LIMIT);
  /* The help centre's 403 for a low balance still classifies by type. */
  g_assert_cmpint (moon_api_error_classify ("exceeded_current_quota_error", NULL, "x", 403), ==, MOON_API_ERROR_QUOTA);
  g_assert_cmpint (moon_api_error_classify ("invalid_request_error", NULL, "bad key", 401), ==, MOON_API_ERROR_AUTH);
  g_assert_cmpint (moon_api_error_classify ("invalid_request_error", "invalid_api_key", "x", 0), ==, MOON_API_ERROR_AUTH);
  g_assert_cmpint (moon_api_error_classify ("invalid_request_error", NULL, "x", 0), ==, MOON_API_ERROR_INVALID_REQUEST);
  g_assert_cmpint (moon_api_error_classify (NULL, NULL, NULL, 429), ==, MOON_API_ERROR_RATE_LIMIT);
  g_assert_cmpint (moon_api_error_classify (NULL, NULL, "insufficient balance", 429), ==, MOON_API_ERROR_QUOTA);
  g_assert_cmpint (moon_api_error_classify (NULL, NULL, NULL, 404), ==, MOON_API_ERROR_NOT_FOUND);
  g_assert_cmpint (moon_api_error_classify (NULL, NULL, NULL, 408), ==, MOON_API_ERROR_TIMEOUT);
  g_assert_cmpint (moon_api_error_classify (NULL, NULL, NULL, 418), ==, MOON_API_ERROR_INVALID_REQUEST);
  g_assert_cmpint (moon_api_error_classify (NULL, NULL, NULL, 502), ==, MOON_API_ERROR_SERVER);
  g_assert_cmpint (moon_api_error_classify ("some_new_error", NULL, NULL, 0), ==, MOON_API_ERROR_SERVER);
  g_assert_cmpint (moon_api_error_classify (NULL, "context_length_exceeded", NULL, 400), ==, MOON_API_ERROR_CONTEXT_TOO_LONG);
}

static void
test_retry_after_parse (void)
{
  g_assert_cmpint (moon_api_error_parse_retry_after (NULL), ==, -1);
  g_assert_cmpint (moon_api_error_parse_retry_after ("nothing here"), ==, -1);
  g_assert_cmpint (moon_api_error_parse_retry_after ("please try again after 3 seconds"), ==, 3);
  g_assert_cmpint (moon_api_error_parse_retry_after ("Please Try Again After 12 Seconds."), ==, 12);
  g_assert_cmpint (moon_api_error_parse_retry_after ("please try again after 0 seconds"), ==, 0);
  g_assert_cmpint (moon_api_error_parse_retry_after ("Please try again in 1.5s."), ==, 2);
  g_assert_cmpint (moon_api_error_parse_retry_after ("Please try again in 250ms"), ==, 1);
  g_assert_cmpint (moon_api_error_parse_retry_after ("retry after 9 seconds"), ==, 9);
  g_assert_cmpint (moon_api_error_parse_retry_after ("try again after a while"), ==, -1);
  g_assert_cmpint (moon_api_error_parse_retry_after ("try again after 5 minutes"), ==, -1);
  /* Absurd waits are capped at a day. */
  g_assert_cmpint (moon_api_error_parse_retry_after ("try again after 99999999999 seconds"), ==, 24 * 3600);
}

static void
test_readable_text (void)
{
  g_autofree char *a = moon_api_error_dup_readable_text ("<html><head><title>  504 Gateway\n Time-out </title></head></html>", 65, 300);
  g_autofree char *b = moon_api_error_dup_readable_text ("<p>a &amp; b &lt;c&gt;</p>", 26, 300);
  g_autofree char *c = moon_api_error_dup_readable_text ("   \n\t  ", 7, 300);
  g_autofree char *d = moon_api_error_dup_readable_text ("abcdefghij", 10, 4);
  g_autofree char *e = moon_api_error_dup_readable_text ("bad \xff bytes", 11, 300);
  g_autofree char *f = moon_api_error_dup_readable_text ("<html><style>p{color:red}</style><body>Oops</body></html>", 57, 300);

  g_assert_cmpstr (a, ==, "504 Gateway Time-out");
  g_assert_cmpstr (b, ==, "a & b <c>");
  g_assert_null (c);
  g_assert_cmpstr (d, ==, "abcd…");
  g_assert_cmpstr (e, ==, "bad \xef\xbf\xbd bytes");
  g_assert_cmpstr (f, ==, "Oops");
}

/* A 2 MB error body keeps only the first 1000 characters of its message. */
static void
test_long_message_clamped (void)
{
  g_autoptr(GString) body = g_string_new ("{\"error\":{\"type\":\"server_error\",\"message\":\"");
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 2 * 1024 * 1024; i++)
    g_string_append_c (body, 'z');
  g_string_append (body, "\"}}");

  error = moon_api_error_new_from_response (500, "application/json", body->str, body->len, NULL, NULL);
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_SERVER);
  g_assert_cmpuint (g_utf8_strlen (moon_api_error_get_server_message (error), -1), ==, 1001);
  g_assert_true (g_str_has_suffix (moon_api_error_get_server_message (error), "…"));
}

static void
test_transport (void)
{
  g_autoptr(GError) refused = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "Connection refused");
  g_autoptr(GError) tls = g_error_new_literal (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, "Unacceptable TLS certificate");
  g_autoptr(GError) timed_out = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Socket I/O timed out");
  g_autoptr(GError) reset = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT, "Connection terminated unexpectedly");
  g_autoptr(GError) a = moon_api_error_new_from_transport (refused, FALSE, NULL);
  g_autoptr(GError) b = moon_api_error_new_from_transport (tls, FALSE, NULL);
  g_autoptr(GError) c = moon_api_error_new_from_transport (timed_out, FALSE, NULL);
  g_autoptr(GError) d = moon_api_error_new_from_transport (reset, TRUE, "req-1");
  g_autoptr(GError) e = moon_api_error_new_from_transport (reset, FALSE, NULL);

  g_assert_error (a, MOON_API_ERROR, MOON_API_ERROR_NETWORK);
  g_assert_cmpstr (a->message, ==, "Could not reach the server: Connection refused");
  g_assert_null (moon_api_error_get_server_message (a));
  g_assert_false (moon_api_error_is_retryable (a));
  g_assert_error (b, MOON_API_ERROR, MOON_API_ERROR_TLS);
  g_assert_error (c, MOON_API_ERROR, MOON_API_ERROR_TIMEOUT);
  g_assert_error (d, MOON_API_ERROR, MOON_API_ERROR_INCOMPLETE);
  g_assert_cmpstr (moon_api_error_get_request_id (d), ==, "req-1");
  g_assert_error (e, MOON_API_ERROR, MOON_API_ERROR_NETWORK);

  /* Accessors on other domains are harmless. */
  g_assert_null (moon_api_error_get_server_message (refused));
  g_assert_null (moon_api_error_get_request_id (refused));
  g_assert_cmpint (moon_api_error_get_retry_after (refused), ==, -1);
  g_assert_false (moon_api_error_is_retryable (refused));
}

static void
test_set_request_id (void)
{
  g_autoptr(GError) error = moon_api_error_new_full (MOON_API_ERROR_INCOMPLETE, 0, NULL, NULL, NULL);

  g_assert_null (moon_api_error_get_request_id (error));
  moon_api_error_set_request_id (error, "abc");
  g_assert_cmpstr (moon_api_error_get_request_id (error), ==, "abc");
  moon_api_error_set_request_id (error, "");
  g_assert_null (moon_api_error_get_request_id (error));
  g_assert_cmpstr (error->message, ==, "The reply was cut off before it was complete");
}

/* A server that repeats the key: the key is cut out of every text. */
static void
test_redact (void)
{
  g_autoptr(GError) error = moon_api_error_new_full (MOON_API_ERROR_AUTH, 401, "invalid_authentication_error",
                                                     "Incorrect API key provided: sk-secret-1 (sk-secret-1)",
                                                     "req-sk-secret-1");
  g_autoptr(GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "key sk-secret-1 refused");

  g_assert_nonnull (strstr (error->message, "sk-secret-1"));
  moon_api_error_redact (error, "sk-secret-1");
  g_assert_null (strstr (error->message, "sk-secret-1"));
  g_assert_nonnull (strstr (error->message, "Incorrect API key provided: *** (***)"));
  g_assert_cmpstr (moon_api_error_get_server_message (error), ==, "Incorrect API key provided: *** (***)");
  g_assert_cmpstr (moon_api_error_get_request_id (error), ==, "req-***");
  g_assert_cmpuint (moon_api_error_get_http_status (error), ==, 401);

  /* Any domain; no key, nothing to do. */
  moon_api_error_redact (other, "sk-secret-1");
  g_assert_cmpstr (other->message, ==, "key *** refused");
  moon_api_error_redact (other, NULL);
  moon_api_error_redact (other, "");
  g_assert_cmpstr (other->message, ==, "key *** refused");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/api/error/summaries", test_summaries);
  g_test_add_func ("/api/error/documented-errors", test_documented_errors);
  g_test_add_func ("/api/error/classify", test_classify);
  g_test_add_func ("/api/error/retry-after", test_retry_after_parse);
  g_test_add_func ("/api/error/readable-text", test_readable_text);
  g_test_add_func ("/api/error/long-message-clamped", test_long_message_clamped);
  g_test_add_func ("/api/error/transport", test_transport);
  g_test_add_func ("/api/error/set-request-id", test_set_request_id);
  g_test_add_func ("/api/error/redact", test_redact);

  return g_test_run ();
}
