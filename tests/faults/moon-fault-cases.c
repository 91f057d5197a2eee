/* moon-fault-cases.c — the network fault matrix
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "moon-fault-cases.h"
#include "moon-test-util.h"

static const char *deltas[] = { "Once", " upon", " a time", " there was", " a fox." };

/*
 * moon_fault_stream:
 * @n_deltas: how many of the reply's deltas to send (at most 5)
 * @finish: end with the finish_reason chunk and its usage
 * @done: end with `data: [DONE]`
 *
 * A Kimi-shaped event stream of MOON_FAULT_FULL_REPLY, or its start. The
 * first events are the same whatever is asked, so the length of a shorter
 * stream is where a fault strikes in a longer one.
 */
GBytes *
moon_fault_stream (guint    n_deltas,
                   gboolean finish,
                   gboolean done)
{
  GString *out = g_string_new (NULL);

  g_assert_cmpuint (n_deltas, <=, G_N_ELEMENTS (deltas));

  for (guint i = 0; i < n_deltas; i++)
    g_string_append_printf (out,
                            "data: {\"id\":\"chatcmpl-fault\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                            "\"model\":\"kimi-k2.5\",\"choices\":[{\"index\":0,\"delta\":{%s\"content\":\"%s\"},"
                            "\"finish_reason\":null}]}\n\n",
                            i == 0 ? "\"role\":\"assistant\"," : "", deltas[i]);
  if (finish)
    g_string_append (out,
                     "data: {\"id\":\"chatcmpl-fault\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                     "\"model\":\"kimi-k2.5\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\","
                     "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":8,\"total_tokens\":17}}]}\n\n");
  if (done)
    g_string_append (out, "data: [DONE]\n\n");

  return g_string_free_to_bytes (out);
}

static MoonTestResponse *
full_stream_response (void)
{
  g_autoptr(GBytes) body = moon_fault_stream (G_N_ELEMENTS (deltas), TRUE, TRUE);
  MoonTestResponse *response = moon_test_response_new (MOON_FAULT_CHAT_PATH, 200, "text/event-stream", body);

  /* One event at a time, as a real server streams. */
  response->min_piece = 1;
  response->max_piece = 64;
  return response;
}

static const char *
server_url (MoonFaultRig   *rig,
            MoonTestServer *server)
{
  g_free (rig->url);
  rig->url = g_strdup (moon_test_server_get_base_url (server));
  return rig->url;
}

/* ---- the faults ---------------------------------------------------------- */

/* The error response the case describes, with its request id as Moonshot
 * sends them. */
static const char *
inject_http_error (const MoonFaultCase *fault,
                   MoonFaultRig        *rig)
{
  MoonTestResponse *response = moon_test_response_new_text (MOON_FAULT_CHAT_PATH, fault->status,
                                                            fault->content_type, fault->body);

  if (fault->request_id != NULL)
    moon_test_response_add_header (response, "Msh-Request-Id", fault->request_id);
  moon_test_server_push (rig->server, response);
  return server_url (rig, rig->server);
}

/* Rate limited once, then the stream: the client waits and asks again. */
static const char *
inject_then_success (const MoonFaultCase *fault,
                     MoonFaultRig        *rig)
{
  inject_http_error (fault, rig);
  moon_test_server_push (rig->server, full_stream_response ());
  return rig->url;
}

static const char *
inject_refused (const MoonFaultCase *fault,
                MoonFaultRig        *rig)
{
  g_free (rig->url);
  rig->url = g_strdup_printf ("http://127.0.0.1:%u/v1", rig->free_port);
  return rig->url;
}

static const char *
inject_unresolvable (const MoonFaultCase *fault,
                     MoonFaultRig        *rig)
{
  /* .invalid never resolves (RFC 2606). HTTPS, or the key would be
   * refused before any lookup. */
  g_free (rig->url);
  rig->url = g_strdup ("https://api.moonchat-fault-matrix.invalid/v1");
  return rig->url;
}

static const char *
inject_tls (const MoonFaultCase *fault,
            MoonFaultRig        *rig)
{
  /* The handshake fails: no request ever reaches the server. */
  return server_url (rig, rig->tls_server);
}

static const char *
inject_insecure (const MoonFaultCase *fault,
                 MoonFaultRig        *rig)
{
  g_free (rig->url);
  rig->url = g_strdup ("http://api.moonchat-fault-matrix.invalid/v1");
  return rig->url;
}

/* The stream ends after the third delta: the connection is closed (reset),
 * or held open in silence (stall), as scripted. */
static const char *
inject_after_three (MoonFaultRig *rig,
                    MoonTestEnd   end)
{
  g_autoptr(GBytes) three = moon_fault_stream (3, FALSE, FALSE);
  MoonTestResponse *response = full_stream_response ();

  response->end = end;
  response->end_after = g_bytes_get_size (three);
  moon_test_response_add_header (response, "Msh-Request-Id", "req-fault-midstream");
  moon_test_server_push (rig->server, response);
  return server_url (rig, rig->server);
}

static const char *
inject_reset (const MoonFaultCase *fault,
              MoonFaultRig        *rig)
{
  return inject_after_three (rig, MOON_TEST_END_RESET);
}

static const char *
inject_stall (const MoonFaultCase *fault,
              MoonFaultRig        *rig)
{
  return inject_after_three (rig, MOON_TEST_END_STALL);
}

static const char *
inject_no_done (const MoonFaultCase *fault,
                MoonFaultRig        *rig)
{
  g_autoptr(GBytes) body = moon_fault_stream (G_N_ELEMENTS (deltas), TRUE, FALSE);
  MoonTestResponse *response = moon_test_response_new (MOON_FAULT_CHAT_PATH, 200, "text/event-stream", body);

  response->min_piece = 1;
  response->max_piece = 64;
  moon_test_server_push (rig->server, response);
  return server_url (rig, rig->server);
}

static const char *
inject_fixture (MoonFaultRig *rig,
                const char   *file)
{
  g_autoptr(GBytes) body = moon_test_load_fixture ("kimi", file, NULL);
  MoonTestResponse *response = moon_test_response_new (MOON_FAULT_CHAT_PATH, 200, "text/event-stream", body);

  response->min_piece = 1;
  response->max_piece = 64;
  moon_test_server_push (rig->server, response);
  return server_url (rig, rig->server);
}

static const char *
inject_malformed_chunk (const MoonFaultCase *fault,
                        MoonFaultRig        *rig)
{
  /* A chunk cut short and run into the next one, between two good ones. */
  return inject_fixture (rig, "k25-corrupted-chunk.sse");
}

static const char *
inject_invalid_utf8 (const MoonFaultCase *fault,
                     MoonFaultRig        *rig)
{
  /* A 0xFF byte inside a delta. */
  return inject_fixture (rig, "k25-invalid-utf8.sse");
}

static const char *
inject_huge_line (const MoonFaultCase *fault,
                  MoonFaultRig        *rig)
{
  MoonTestResponse *response = moon_test_response_new_text (MOON_FAULT_CHAT_PATH, 200, "text/event-stream", "");

  /* "data: " and 20 MB of 'x', made as it is sent. */
  response->generate = 20 * 1000 * 1000;
  moon_test_server_push (rig->server, response);
  return server_url (rig, rig->server);
}

/* ---- the table ------------------------------------------------------------ */

#define JSON "application/json"
#define HTTP(status, type, body) inject_http_error, status, JSON, "{\"error\":{\"message\":\"" body "\",\"type\":\"" type "\"}}"
#define OTHER(inject) inject, 0, NULL, NULL

const MoonFaultCase moon_fault_cases[] = {
  { "401 key not accepted", HTTP (401, "invalid_authentication_error", "Invalid Authentication"),
    FALSE, MOON_API_ERROR_AUTH, "The API key was not accepted: Invalid Authentication", "req-fault-401",
    "", 0, FALSE, 1, 4 },
  { "403 access denied", HTTP (403, "permission_denied_error", "The API you are accessing is not open"),
    FALSE, MOON_API_ERROR_PERMISSION, "Access denied: The API you are accessing is not open", "req-fault-403",
    "", 0, FALSE, 1, 4 },
  { "404 unknown model", HTTP (404, "resource_not_found_error", "Not found the model kimi-x or Permission denied"),
    FALSE, MOON_API_ERROR_NOT_FOUND, "The model or resource was not found: Not found the model kimi-x", "req-fault-404",
    "", 0, FALSE, 1, 7 },
  { "400 context too long", HTTP (400, "invalid_request_error", "Input token length too long"),
    FALSE, MOON_API_ERROR_CONTEXT_TOO_LONG, "The conversation is too long for this model: Input token length too long",
    "req-fault-400", "", 0, FALSE, 1, 7 },
  { "400 content filter", HTTP (400, "content_filter", "The request was rejected because it was considered high risk"),
    FALSE, MOON_API_ERROR_CONTENT_FILTER, "The request was rejected by the content filter", "req-fault-filter",
    "", 0, FALSE, 1, 7 },
  { "429 quota exhausted",
    HTTP (429, "exceeded_current_quota_error", "Your account org-1<ak-2> is suspended, please check your plan and billing details"),
    FALSE, MOON_API_ERROR_QUOTA, "The account balance or quota is exhausted: Your account org-1<ak-2> is suspended",
    "req-fault-quota", "", 0, FALSE, 1, 5 },
  { "429 overloaded", HTTP (429, "engine_overloaded_error", "The engine is currently overloaded, please try again later"),
    FALSE, MOON_API_ERROR_OVERLOADED, "The service is overloaded", "req-fault-overloaded", "", 0, FALSE, 1, 6 },
  { "429 rate limit, then success", inject_then_success, 429, JSON,
    "{\"error\":{\"message\":\"Your account org-1<ak-2> request reached organization max RPM: 3, "
    "please try again after 1 seconds\",\"type\":\"rate_limit_reached_error\"}}",
    TRUE, 0, "Too many requests: Your account org-1<ak-2> request reached organization max RPM: 3", "req-fault-rate",
    MOON_FAULT_FULL_REPLY, 0, TRUE, 2, 0 },
  { "500 server error", HTTP (500, "server_error", "Internal server error"),
    FALSE, MOON_API_ERROR_SERVER, "The server reported an error: Internal server error", "req-fault-500",
    "", 0, FALSE, 1, 8 },
  { "502 HTML page", inject_http_error, 502, "text/html",
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
    FALSE, MOON_API_ERROR_SERVER, "The server reported an error: 502 Bad Gateway", NULL, "", 0, FALSE, 1, 8 },
  { "503 unavailable", HTTP (503, "server_unavailable", "The server is temporarily unavailable"),
    FALSE, MOON_API_ERROR_SERVER, "The server reported an error: The server is temporarily unavailable", "req-fault-503",
    "", 0, FALSE, 1, 8 },
  { "connection refused", OTHER (inject_refused),
    FALSE, MOON_API_ERROR_NETWORK, "Could not reach the server", NULL, "", 0, FALSE, 0, 9 },
  { "unresolvable host", OTHER (inject_unresolvable),
    FALSE, MOON_API_ERROR_NETWORK, "Could not reach the server", NULL, "", 0, FALSE, 0, 9 },
  { "TLS certificate not trusted", OTHER (inject_tls),
    FALSE, MOON_API_ERROR_TLS, "The secure connection failed", NULL, "", 0, FALSE, 0, 9 },
  { "key refused for plain HTTP to another host", OTHER (inject_insecure),
    FALSE, MOON_API_ERROR_INSECURE, "Refusing to send the API key without encryption", NULL, "", 0, FALSE, 0, 4 },
  { "reset after 3 deltas", OTHER (inject_reset),
    FALSE, MOON_API_ERROR_INCOMPLETE, "The reply was cut off before it was complete", "req-fault-midstream",
    MOON_FAULT_FIRST_THREE, 0, FALSE, 1, 10 },
  { "stall longer than the idle timeout", OTHER (inject_stall),
    FALSE, MOON_API_ERROR_TIMEOUT, "The server stopped responding", "req-fault-midstream",
    MOON_FAULT_FIRST_THREE, 1, FALSE, 1, 9 },
  { "EOF without [DONE]", OTHER (inject_no_done),
    FALSE, MOON_API_ERROR_INCOMPLETE, "The reply was cut off before it was complete", NULL,
    MOON_FAULT_FULL_REPLY, 0, FALSE, 1, 10 },
  { "malformed chunk", OTHER (inject_malformed_chunk),
    FALSE, MOON_API_ERROR_PROTOCOL, "The server sent a reply that could not be read", NULL, "Before after", 0, FALSE, 1, 10 },
  { "invalid UTF-8", OTHER (inject_invalid_utf8),
    TRUE, 0, NULL, NULL, "café a\xEF\xBF\xBD" "b", 0, FALSE, 1, 0 },
  { "20 MB line", OTHER (inject_huge_line),
    FALSE, MOON_API_ERROR_PROTOCOL, "The server sent a reply that could not be read", NULL, "", 0, FALSE, 1, 10 },
};

const guint moon_fault_n_cases = G_N_ELEMENTS (moon_fault_cases);

/* ---- the rig -------------------------------------------------------------- */

void
moon_fault_rig_init (MoonFaultRig *rig)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = NULL;
  const char *root = g_getenv ("MOONCHAT_FIXTURES");

  *rig = (MoonFaultRig) { 0 };
  rig->server = moon_test_server_new ();

  pem = g_build_filename (root ? root : MOON_TEST_FIXTURES, "faults", "self-signed.pem", NULL);
  certificate = g_tls_certificate_new_from_file (pem, &error);
  g_assert_no_error (error);
  rig->tls_server = moon_test_server_new_full (certificate, 0);

  /* A port nothing listens on: taken, then given back. */
  rig->free_port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);
}

void
moon_fault_rig_clear (MoonFaultRig *rig)
{
  g_clear_pointer (&rig->server, moon_test_server_free);
  g_clear_pointer (&rig->tls_server, moon_test_server_free);
  g_clear_pointer (&rig->late_server, moon_test_server_free);
  g_clear_pointer (&rig->url, g_free);
}

/* Scripts @fault and returns the base URL the client must use. */
const char *
moon_fault_inject (const MoonFaultCase *fault,
                    MoonFaultRig        *rig)
{
  g_test_message ("fault: %s", fault->name);
  return fault->inject (fault, rig);
}

/*
 * moon_fault_recover:
 *
 * The server has recovered: the next request gets the whole reply. Returns
 * the base URL to ask again. Where the fault is in the place itself (a
 * name that does not resolve, a certificate nobody trusts, plain HTTP to
 * another computer), recovering means the healthy server the user points
 * to instead; a refused port starts listening.
 */
const char *
moon_fault_recover (const MoonFaultCase *fault,
                     MoonFaultRig        *rig)
{
  MoonTestServer *server = rig->server;

  g_assert_cmpuint (moon_test_server_get_n_pending (rig->server), ==, 0);

  if (fault->inject == inject_refused)
    {
      if (rig->late_server == NULL)
        rig->late_server = moon_test_server_new_full (NULL, rig->free_port);
      server = rig->late_server;
    }

  moon_test_server_push (server, full_stream_response ());
  return server_url (rig, server);
}

/* Chat requests that reached any of the rig's servers so far. */
guint
moon_fault_count_requests (MoonFaultRig *rig)
{
  guint n = moon_test_server_count (rig->server, MOON_FAULT_CHAT_PATH) +
            moon_test_server_count (rig->tls_server, MOON_FAULT_CHAT_PATH);

  if (rig->late_server != NULL)
    n += moon_test_server_count (rig->late_server, MOON_FAULT_CHAT_PATH);
  return n;
}
