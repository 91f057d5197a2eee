/* moon-api-error.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define MOON_API_ERROR (moon_api_error_quark ())

/**
 * MoonApiError:
 * @MOON_API_ERROR_AUTH: the API key is missing, wrong, or for the other platform
 * @MOON_API_ERROR_PERMISSION: the key may not use this endpoint (HTTP 403)
 * @MOON_API_ERROR_NOT_FOUND: unknown model or resource (HTTP 404)
 * @MOON_API_ERROR_QUOTA: balance or token quota exhausted; a 429 that must
 *   never be retried
 * @MOON_API_ERROR_RATE_LIMIT: concurrency/RPM/TPM/TPD limit reached
 * @MOON_API_ERROR_OVERLOADED: the engine is overloaded
 * @MOON_API_ERROR_CONTEXT_TOO_LONG: the prompt (plus `max_tokens`) does not
 *   fit the model's window
 * @MOON_API_ERROR_CONTENT_FILTER: rejected by moderation
 * @MOON_API_ERROR_INVALID_REQUEST: any other rejected request
 * @MOON_API_ERROR_SERVER: the server failed (5xx, `server_error`)
 * @MOON_API_ERROR_NETWORK: the server could not be reached, or the
 *   connection broke before a reply began
 * @MOON_API_ERROR_TIMEOUT: the server stopped sending for longer than the
 *   idle timeout
 * @MOON_API_ERROR_TLS: the secure connection could not be established
 * @MOON_API_ERROR_INCOMPLETE: the reply ended without `data: [DONE]`; the
 *   text received so far is kept
 * @MOON_API_ERROR_PROTOCOL: the server sent something that is not a valid
 *   reply (malformed chunks, an oversized line)
 * @MOON_API_ERROR_INSECURE: the API key would be sent in clear text to a
 *   host that is not this computer
 *
 * Everything that can go wrong talking to the API, as the user should hear it.
 * Decided by the body's `error.type` first and the HTTP status second
 * (see kimi-api.md §3).
 *
 * Errors in this domain carry extra data: the server's own message
 * (moon_api_error_get_server_message()), the `Msh-Request-Id`
 * (moon_api_error_get_request_id()), the HTTP status and error type, and a
 * retry hint (moon_api_error_get_retry_after()). They survive g_error_copy()
 * and g_task_return_error().
 */
typedef enum
{
  MOON_API_ERROR_AUTH,
  MOON_API_ERROR_PERMISSION,
  MOON_API_ERROR_NOT_FOUND,
  MOON_API_ERROR_QUOTA,
  MOON_API_ERROR_RATE_LIMIT,
  MOON_API_ERROR_OVERLOADED,
  MOON_API_ERROR_CONTEXT_TOO_LONG,
  MOON_API_ERROR_CONTENT_FILTER,
  MOON_API_ERROR_INVALID_REQUEST,
  MOON_API_ERROR_SERVER,
  MOON_API_ERROR_NETWORK,
  MOON_API_ERROR_TIMEOUT,
  MOON_API_ERROR_TLS,
  MOON_API_ERROR_INCOMPLETE,
  MOON_API_ERROR_PROTOCOL,
  MOON_API_ERROR_INSECURE,
} MoonApiError;

GQuark        moon_api_error_quark               (void);

MoonApiError  moon_api_error_classify            (const char    *error_type,
                                                  const char    *error_code,
                                                  const char    *message,
                                                  guint          http_status);
const char   *moon_api_error_get_summary         (MoonApiError   code);

GError       *moon_api_error_new_full            (MoonApiError   code,
                                                  guint          http_status,
                                                  const char    *error_type,
                                                  const char    *server_message,
                                                  const char    *request_id);
GError       *moon_api_error_new_from_json       (JsonNode      *error_member,
                                                  guint          http_status,
                                                  const char    *request_id);
GError       *moon_api_error_new_from_response   (guint          http_status,
                                                  const char    *content_type,
                                                  const char    *body,
                                                  gsize          body_length,
                                                  const char    *request_id,
                                                  const char    *retry_after_header);
GError       *moon_api_error_new_from_transport  (const GError  *error,
                                                  gboolean       reply_started,
                                                  const char    *request_id);

const char   *moon_api_error_get_server_message  (const GError  *error);
const char   *moon_api_error_get_request_id      (const GError  *error);
void          moon_api_error_set_request_id      (GError        *error,
                                                  const char    *request_id);
const char   *moon_api_error_get_error_type      (const GError  *error);
guint         moon_api_error_get_http_status     (const GError  *error);
int           moon_api_error_get_retry_after     (const GError  *error);
gboolean      moon_api_error_is_retryable        (const GError  *error);

void          moon_api_error_redact              (GError        *error,
                                                  const char    *secret);

int           moon_api_error_parse_retry_after   (const char    *message);
char         *moon_api_error_dup_readable_text   (const char    *body,
                                                  gsize          body_length,
                                                  gsize          max_chars);

G_END_DECLS
