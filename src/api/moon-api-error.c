/* moon-api-error.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-api-error"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>

#include "moon-api-error.h"
#include "moon-json-util.h"

/* The longest server message we keep, in characters. Error bodies come from
 * the network: an HTML page or a runaway gateway must not end up verbatim in
 * a dialog. */
#define MAX_SERVER_MESSAGE_CHARS 1000

typedef struct
{
  guint  http_status;
  char  *error_type;
  char  *server_message;
  char  *request_id;
  int    retry_after;
} MoonApiErrorPrivate;

static void
moon_api_error_private_init (MoonApiErrorPrivate *priv)
{
  if (priv == NULL)
    return;

  priv->retry_after = -1;
}

static void
moon_api_error_private_copy (const MoonApiErrorPrivate *src,
                             MoonApiErrorPrivate       *dest)
{
  if (src == NULL || dest == NULL)
    return;

  dest->http_status = src->http_status;
  dest->error_type = g_strdup (src->error_type);
  dest->server_message = g_strdup (src->server_message);
  dest->request_id = g_strdup (src->request_id);
  dest->retry_after = src->retry_after;
}

static void
moon_api_error_private_clear (MoonApiErrorPrivate *priv)
{
  if (priv == NULL)
    return;

  g_clear_pointer (&priv->error_type, g_free);
  g_clear_pointer (&priv->server_message, g_free);
  g_clear_pointer (&priv->request_id, g_free);
}

G_DEFINE_EXTENDED_ERROR (MoonApiError, moon_api_error)

/* The private data of an error in our domain, or a zeroed stand-in for any
 * other error, so callers never dereference NULL. */
static const MoonApiErrorPrivate *
peek_private (const GError *error)
{
  static const MoonApiErrorPrivate none = { 0, NULL, NULL, NULL, -1 };
  const MoonApiErrorPrivate *priv = NULL;

  if (error != NULL && error->domain == MOON_API_ERROR)
    priv = moon_api_error_get_private (error);

  return priv != NULL ? priv : &none;
}

static gboolean
str_equal0 (const char *a,
            const char *b)
{
  return a != NULL && b != NULL && strcmp (a, b) == 0;
}

static gboolean
contains_any_nocase (const char         *haystack,
                     const char * const *needles)
{
  g_autofree char *folded = NULL;

  if (haystack == NULL)
    return FALSE;

  folded = g_ascii_strdown (haystack, -1);
  for (guint i = 0; needles[i] != NULL; i++)
    {
      if (strstr (folded, needles[i]) != NULL)
        return TRUE;
    }

  return FALSE;
}

static gboolean
message_says_context_too_long (const char *message)
{
  static const char * const needles[] = {
    "input token length too long",      /* Moonshot: the prompt alone */
    "exceeded model token limit",       /* Moonshot: prompt + max_tokens */
    "exceeds the available context",    /* llama.cpp */
    "maximum context length",           /* OpenAI-style servers */
    "context length exceeded",
    "context window",
    NULL
  };

  return contains_any_nocase (message, needles);
}

static gboolean
message_says_quota (const char *message)
{
  static const char * const needles[] = {
    "quota", "balance", "suspended", "billing", "insufficient", NULL
  };

  return contains_any_nocase (message, needles);
}

/**
 * moon_api_error_classify:
 * @error_type: (nullable): the body's `error.type`
 * @error_code: (nullable): the body's `error.code`, as a string
 * @message: (nullable): the body's `error.message`
 * @http_status: the HTTP status, or 0 for an error inside a stream
 *
 * Decides which #MoonApiError an error response means: Moonshot's own
 * `error.type` first (it is the only way to tell a quota 429 from a rate-limit
 * 429), then well-known `error.code` values of OpenAI-compatible servers, then
 * the HTTP status. The message is consulted only to tell a context overflow
 * from other invalid requests and an exhausted quota from a rate limit when
 * the type does not say.
 *
 * Returns: the error code
 */
MoonApiError
moon_api_error_classify (const char *error_type,
                         const char *error_code,
                         const char *message,
                         guint       http_status)
{
  static const struct {
    const char   *name;
    MoonApiError  code;
  } types[] = {
    /* kimi-api.md §3.2 */
    { "invalid_authentication_error", MOON_API_ERROR_AUTH },
    { "incorrect_api_key_error", MOON_API_ERROR_AUTH },
    { "permission_denied_error", MOON_API_ERROR_PERMISSION },
    { "resource_not_found_error", MOON_API_ERROR_NOT_FOUND },
    { "exceeded_current_quota_error", MOON_API_ERROR_QUOTA },
    { "rate_limit_reached_error", MOON_API_ERROR_RATE_LIMIT },
    { "engine_overloaded_error", MOON_API_ERROR_OVERLOADED },
    { "content_filter", MOON_API_ERROR_CONTENT_FILTER },
    { "server_error", MOON_API_ERROR_SERVER },
    { "unexpected_output", MOON_API_ERROR_SERVER },
    { "server_unavailable", MOON_API_ERROR_SERVER },
    /* Other OpenAI-compatible servers (llama.cpp, gateways) */
    { "authentication_error", MOON_API_ERROR_AUTH },
    { "permission_error", MOON_API_ERROR_PERMISSION },
    { "not_found_error", MOON_API_ERROR_NOT_FOUND },
    { "insufficient_quota", MOON_API_ERROR_QUOTA },
    { "rate_limit_error", MOON_API_ERROR_RATE_LIMIT },
    { "overloaded_error", MOON_API_ERROR_OVERLOADED },
    { "exceed_context_size_error", MOON_API_ERROR_CONTEXT_TOO_LONG },
    { "context_length_exceeded", MOON_API_ERROR_CONTEXT_TOO_LONG },
    { "api_error", MOON_API_ERROR_SERVER },
    { "internal_error", MOON_API_ERROR_SERVER },
  };
  static const struct {
    const char   *name;
    MoonApiError  code;
  } codes[] = {
    { "invalid_api_key", MOON_API_ERROR_AUTH },
    { "context_length_exceeded", MOON_API_ERROR_CONTEXT_TOO_LONG },
    { "rate_limit_exceeded", MOON_API_ERROR_RATE_LIMIT },
    { "insufficient_quota", MOON_API_ERROR_QUOTA },
    { "content_filter", MOON_API_ERROR_CONTENT_FILTER },
    { "model_not_found", MOON_API_ERROR_NOT_FOUND },
  };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      if (str_equal0 (error_type, types[i].name))
        return types[i].code;
    }

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      if (str_equal0 (error_code, codes[i].name))
        return codes[i].code;
    }

  /* A generic "invalid_request_error" decides only where the status does not
   * say more (OpenAI-style servers send it with 401 for a bad key). */
  if (str_equal0 (error_type, "invalid_request_error") &&
      (http_status == 0 || http_status == 400 || http_status == 422 ||
       (http_status >= 200 && http_status < 300)))
    {
      if (message_says_context_too_long (message))
        return MOON_API_ERROR_CONTEXT_TOO_LONG;
      return MOON_API_ERROR_INVALID_REQUEST;
    }

  switch (http_status)
    {
    case 401:
      return MOON_API_ERROR_AUTH;
    case 403:
      return MOON_API_ERROR_PERMISSION;
    case 404:
      return MOON_API_ERROR_NOT_FOUND;
    case 408:
      return MOON_API_ERROR_TIMEOUT;
    case 429:
      return message_says_quota (message) ? MOON_API_ERROR_QUOTA : MOON_API_ERROR_RATE_LIMIT;
    default:
      break;
    }

  if (http_status >= 500)
    return MOON_API_ERROR_SERVER;

  if (http_status >= 400 || str_equal0 (error_type, "invalid_request_error"))
    {
      if (message_says_context_too_long (message))
        return MOON_API_ERROR_CONTEXT_TOO_LONG;
      return MOON_API_ERROR_INVALID_REQUEST;
    }

  /* An error object inside a stream or a 2xx body without a known type. */
  return MOON_API_ERROR_SERVER;
}

/**
 * moon_api_error_get_summary:
 * @code: a #MoonApiError
 *
 * Returns: (transfer none): a short translated sentence saying what went
 *   wrong, for a dialog title or the start of a message
 */
const char *
moon_api_error_get_summary (MoonApiError code)
{
  switch (code)
    {
    case MOON_API_ERROR_AUTH:
      return _("The API key was not accepted");
    case MOON_API_ERROR_PERMISSION:
      return _("Access denied");
    case MOON_API_ERROR_NOT_FOUND:
      return _("The model or resource was not found");
    case MOON_API_ERROR_QUOTA:
      return _("The account balance or quota is exhausted");
    case MOON_API_ERROR_RATE_LIMIT:
      return _("Too many requests");
    case MOON_API_ERROR_OVERLOADED:
      return _("The service is overloaded");
    case MOON_API_ERROR_CONTEXT_TOO_LONG:
      return _("The conversation is too long for this model");
    case MOON_API_ERROR_CONTENT_FILTER:
      return _("The request was rejected by the content filter");
    case MOON_API_ERROR_INVALID_REQUEST:
      return _("The request was not accepted");
    case MOON_API_ERROR_SERVER:
      return _("The server reported an error");
    case MOON_API_ERROR_NETWORK:
      return _("Could not reach the server");
    case MOON_API_ERROR_TIMEOUT:
      return _("The server stopped responding");
    case MOON_API_ERROR_TLS:
      return _("The secure connection failed");
    case MOON_API_ERROR_INCOMPLETE:
      return _("The reply was cut off before it was complete");
    case MOON_API_ERROR_PROTOCOL:
      return _("The server sent a reply that could not be read");
    case MOON_API_ERROR_INSECURE:
      return _("Refusing to send the API key without encryption");
    default:
      return _("Unknown error");
    }
}

static char *
clamp_text (const char *text)
{
  g_autofree char *valid = NULL;
  glong n_chars;

  if (text == NULL)
    return NULL;

  valid = g_utf8_make_valid (text, -1);
  g_strstrip (valid);
  if (valid[0] == '\0')
    return NULL;

  n_chars = g_utf8_strlen (valid, -1);
  if (n_chars > MAX_SERVER_MESSAGE_CHARS)
    {
      const char *end = g_utf8_offset_to_pointer (valid, MAX_SERVER_MESSAGE_CHARS);
      g_autofree char *head = g_strndup (valid, end - valid);

      return g_strconcat (head, "…", NULL);
    }

  return g_steal_pointer (&valid);
}

static GError *
new_error (MoonApiError  code,
           guint         http_status,
           const char   *error_type,
           const char   *server_message,
           const char   *request_id,
           const char   *detail)
{
  g_autofree char *kept = clamp_text (server_message);
  const char *summary = moon_api_error_get_summary (code);
  const char *extra = kept != NULL ? kept : detail;
  g_autofree char *message = NULL;
  MoonApiErrorPrivate *priv;
  GError *error;

  if (extra != NULL && extra[0] != '\0')
    /* Translators: an error summary, then the server's or system's own
     * explanation, e.g. "Too many requests: please try again after 1 seconds" */
    message = g_strdup_printf (_("%s: %s"), summary, extra);
  else if (http_status != 0)
    /* Translators: an error summary and the HTTP status number */
    message = g_strdup_printf (_("%s (HTTP %u)"), summary, http_status);
  else
    message = g_strdup (summary);

  error = g_error_new_literal (MOON_API_ERROR, code, message);
  priv = moon_api_error_get_private (error);
  g_assert (priv != NULL);
  priv->http_status = http_status;
  priv->error_type = g_strdup (error_type);
  priv->server_message = g_steal_pointer (&kept);
  priv->request_id = (request_id != NULL && request_id[0] != '\0') ? g_strdup (request_id) : NULL;
  priv->retry_after = moon_api_error_parse_retry_after (priv->server_message);

  return error;
}

/**
 * moon_api_error_new_full:
 * @code: the error code
 * @http_status: the HTTP status, or 0
 * @error_type: (nullable): the server's `error.type`
 * @server_message: (nullable): the server's own message, kept verbatim
 *   (whitespace-trimmed, at most 1000 characters)
 * @request_id: (nullable): the `Msh-Request-Id` of the response
 *
 * Creates an error whose message is the translated summary of @code followed
 * by @server_message. A "try again after N seconds" in @server_message becomes
 * the retry hint.
 *
 * Returns: (transfer full): a new #GError in the %MOON_API_ERROR domain
 */
GError *
moon_api_error_new_full (MoonApiError  code,
                         guint         http_status,
                         const char   *error_type,
                         const char   *server_message,
                         const char   *request_id)
{
  return new_error (code, http_status, error_type, server_message, request_id, NULL);
}

static char *
dup_member_as_string (JsonObject *object,
                      const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (node));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    default:
      return NULL;
    }
}

/**
 * moon_api_error_new_from_json:
 * @error_member: the value of a body's `error` member: an object with
 *   `type`, `message` and maybe `code`, or a plain string
 * @http_status: the HTTP status, or 0 for an error inside a stream
 * @request_id: (nullable): the `Msh-Request-Id` of the response
 *
 * Returns: (transfer full): the #GError the body describes
 */
GError *
moon_api_error_new_from_json (JsonNode   *error_member,
                              guint       http_status,
                              const char *request_id)
{
  g_autofree char *type = NULL;
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;

  g_return_val_if_fail (error_member != NULL, NULL);

  if (JSON_NODE_HOLDS_OBJECT (error_member))
    {
      JsonObject *object = json_node_get_object (error_member);

      type = dup_member_as_string (object, "type");
      code = dup_member_as_string (object, "code");
      message = dup_member_as_string (object, "message");
    }
  else if (JSON_NODE_HOLDS_VALUE (error_member) &&
           json_node_get_value_type (error_member) == G_TYPE_STRING)
    {
      message = g_strdup (json_node_get_string (error_member));
    }

  return new_error (moon_api_error_classify (type, code, message, http_status),
                    http_status, type, message, request_id, NULL);
}

static gboolean
looks_like_html (const char *text)
{
  while (g_ascii_isspace (*text))
    text++;

  return text[0] == '<';
}

static void
append_entity (GString    *out,
               const char *entity,
               gsize       length)
{
  static const struct {
    const char *name;
    const char *text;
  } entities[] = {
    { "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" },
    { "apos", "'" }, { "#39", "'" }, { "nbsp", " " },
  };

  for (guint i = 0; i < G_N_ELEMENTS (entities); i++)
    {
      if (strlen (entities[i].name) == length && strncmp (entity, entities[i].name, length) == 0)
        {
          g_string_append (out, entities[i].text);
          return;
        }
    }

  g_string_append_c (out, '&');
  g_string_append_len (out, entity, length);
  g_string_append_c (out, ';');
}

/* Visible text of an HTML fragment: tags dropped, a few entities decoded,
 * whitespace collapsed. Script and style contents are skipped. */
static char *
html_to_text (const char *html,
              gsize       length)
{
  GString *out = g_string_new (NULL);
  const char *p = html;
  const char *end = html + length;
  gboolean space = FALSE;

  while (p < end)
    {
      if (*p == '<')
        {
          const char *close = memchr (p, '>', end - p);
          gboolean skip_body = FALSE;
          const char *tag_end;

          if (close == NULL)
            break;

          if (g_ascii_strncasecmp (p, "<script", MIN (7, end - p)) == 0 ||
              g_ascii_strncasecmp (p, "<style", MIN (6, end - p)) == 0)
            skip_body = TRUE;

          p = close + 1;
          space = TRUE;

          if (skip_body)
            {
              tag_end = p;
              while (tag_end < end && !(tag_end[0] == '<' && tag_end + 1 < end && tag_end[1] == '/'))
                tag_end++;
              p = tag_end;
            }
          continue;
        }

      if (g_ascii_isspace (*p))
        {
          space = TRUE;
          p++;
          continue;
        }

      if (space && out->len > 0)
        g_string_append_c (out, ' ');
      space = FALSE;

      if (*p == '&')
        {
          const char *semi = memchr (p, ';', MIN ((gsize) (end - p), 10));

          if (semi != NULL)
            {
              append_entity (out, p + 1, semi - p - 1);
              p = semi + 1;
              continue;
            }
        }

      g_string_append_c (out, *p);
      p++;
    }

  return g_string_free (out, FALSE);
}

static const char *
find_nocase (const char *haystack,
             gsize       length,
             const char *needle)
{
  gsize needle_len = strlen (needle);

  for (gsize i = 0; i + needle_len <= length; i++)
    {
      if (g_ascii_strncasecmp (haystack + i, needle, needle_len) == 0)
        return haystack + i;
    }

  return NULL;
}

/**
 * moon_api_error_dup_readable_text:
 * @body: (array length=body_length): a response body that is not JSON
 * @body_length: its length in bytes
 * @max_chars: the most characters to return (an ellipsis marks a cut)
 *
 * Makes a non-JSON error body readable: for an HTML page (a proxy's 502 or
 * 504) the `<title>` or else the visible text; for plain text the text with
 * whitespace collapsed. Invalid UTF-8 is replaced.
 *
 * Returns: (transfer full) (nullable): the text, or %NULL when nothing
 *   readable is left
 */
char *
moon_api_error_dup_readable_text (const char *body,
                                  gsize       body_length,
                                  gsize       max_chars)
{
  g_autofree char *valid = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) words = NULL;
  g_autofree char *joined = NULL;
  gsize length;

  if (body == NULL || body_length == 0)
    return NULL;

  valid = g_utf8_make_valid (body, body_length);
  length = strlen (valid);

  if (looks_like_html (valid))
    {
      const char *title = find_nocase (valid, length, "<title");
      const char *title_end = title ? find_nocase (title, length - (title - valid), "</title") : NULL;

      if (title != NULL && title_end != NULL)
        text = html_to_text (title, title_end - title);

      if (text == NULL || text[0] == '\0')
        {
          g_free (text);
          text = html_to_text (valid, length);
        }
    }
  else
    {
      text = g_steal_pointer (&valid);
    }

  words = g_strsplit_set (text, " \t\r\n\f\v", -1);
  {
    GString *collapsed = g_string_new (NULL);

    for (guint i = 0; words[i] != NULL; i++)
      {
        if (words[i][0] == '\0')
          continue;
        if (collapsed->len > 0)
          g_string_append_c (collapsed, ' ');
        g_string_append (collapsed, words[i]);
      }
    joined = g_string_free (collapsed, FALSE);
  }

  if (joined[0] == '\0')
    return NULL;

  if ((gsize) g_utf8_strlen (joined, -1) > max_chars)
    {
      const char *cut = g_utf8_offset_to_pointer (joined, max_chars);
      g_autofree char *head = g_strndup (joined, cut - joined);

      return g_strconcat (head, "…", NULL);
    }

  return g_steal_pointer (&joined);
}

/**
 * moon_api_error_new_from_response:
 * @http_status: the response status
 * @content_type: (nullable): the response `Content-Type`
 * @body: (array length=body_length) (nullable): the response body
 * @body_length: its length
 * @request_id: (nullable): the `Msh-Request-Id` header
 * @retry_after_header: (nullable): the `Retry-After` header, if any
 *
 * Turns an error response into a #GError: the JSON `{"error": …}` shape of
 * kimi-api.md §3.1 (and the variants other servers use: a string `error`, a
 * top-level `message`) or, for anything else such as an HTML 502 page, the
 * readable text of the body.
 *
 * Returns: (transfer full): a new #GError in the %MOON_API_ERROR domain
 */
GError *
moon_api_error_new_from_response (guint       http_status,
                                  const char *content_type,
                                  const char *body,
                                  gsize       body_length,
                                  const char *request_id,
                                  const char *retry_after_header)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *text = NULL;
  GError *error = NULL;

  if (body != NULL && body_length > 0 &&
      moon_json_parser_load (parser, body, body_length, NULL) &&
      json_parser_get_root (parser) != NULL &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      JsonObject *root = json_node_get_object (json_parser_get_root (parser));
      JsonNode *member = json_object_get_member (root, "error");

      if (member != NULL && JSON_NODE_HOLDS_OBJECT (member))
        {
          error = moon_api_error_new_from_json (member, http_status, request_id);
        }
      else
        {
          g_autofree char *message = dup_member_as_string (root, "message");

          /* {"error": "Internal Server Error", "message": "…"}, FastAPI's
           * {"detail": "…"}, or a bare {"error": "…"} */
          if (message == NULL)
            message = dup_member_as_string (root, "detail");
          if (message == NULL && member != NULL)
            message = dup_member_as_string (root, "error");

          error = new_error (moon_api_error_classify (NULL, NULL, message, http_status),
                             http_status, NULL, message, request_id, NULL);
        }
    }

  if (error == NULL)
    {
      text = moon_api_error_dup_readable_text (body, body_length, 300);
      error = new_error (moon_api_error_classify (NULL, NULL, text, http_status),
                         http_status, NULL, text, request_id, NULL);
    }

  if (moon_api_error_get_retry_after (error) < 0 && retry_after_header != NULL)
    {
      MoonApiErrorPrivate *priv = moon_api_error_get_private (error);
      guint64 seconds;

      if (priv != NULL &&
          g_ascii_string_to_unsigned (retry_after_header, 10, 0, 24 * 3600, &seconds, NULL))
        priv->retry_after = (int) seconds;
    }

  return error;
}

/**
 * moon_api_error_new_from_transport:
 * @error: an error from GIO or libsoup (not %G_IO_ERROR_CANCELLED)
 * @reply_started: whether any byte of a successful reply had arrived
 * @request_id: (nullable): the `Msh-Request-Id`, when headers had arrived
 *
 * Maps a network failure: TLS errors to %MOON_API_ERROR_TLS, timeouts to
 * %MOON_API_ERROR_TIMEOUT, a connection lost during a reply to
 * %MOON_API_ERROR_INCOMPLETE, everything else to %MOON_API_ERROR_NETWORK.
 *
 * Returns: (transfer full): a new #GError in the %MOON_API_ERROR domain
 */
GError *
moon_api_error_new_from_transport (const GError *error,
                                   gboolean      reply_started,
                                   const char   *request_id)
{
  MoonApiError code;

  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == MOON_API_ERROR)
    return g_error_copy (error);

  if (error->domain == G_TLS_ERROR)
    code = MOON_API_ERROR_TLS;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    code = MOON_API_ERROR_TIMEOUT;
  else if (reply_started)
    code = MOON_API_ERROR_INCOMPLETE;
  else
    code = MOON_API_ERROR_NETWORK;

  return new_error (code, 0, NULL, NULL, request_id, error->message);
}

static void
cut_out (char       **text,
         const char  *secret)
{
  g_auto(GStrv) parts = NULL;

  if (*text == NULL || strstr (*text, secret) == NULL)
    return;

  parts = g_strsplit (*text, secret, -1);
  g_free (*text);
  *text = g_strjoinv ("***", parts);
}

/**
 * moon_api_error_redact:
 * @error: a #GError
 * @secret: (nullable): text that must never be shown: the API key
 *
 * Replaces @secret by `***` wherever @error quotes it: its message and, in
 * the %MOON_API_ERROR domain, the server's message, the error type and the
 * request id. A server may well repeat the key it was sent ("Incorrect API
 * key provided: sk-…"), and errors are shown, logged and saved with the
 * conversation.
 */
void
moon_api_error_redact (GError     *error,
                       const char *secret)
{
  MoonApiErrorPrivate *priv;

  g_return_if_fail (error != NULL);

  if (secret == NULL || secret[0] == '\0')
    return;

  cut_out (&error->message, secret);

  if (error->domain != MOON_API_ERROR || (priv = moon_api_error_get_private (error)) == NULL)
    return;

  cut_out (&priv->server_message, secret);
  cut_out (&priv->error_type, secret);
  cut_out (&priv->request_id, secret);
}

/**
 * moon_api_error_get_server_message:
 * @error: a #GError
 *
 * Returns: (nullable): the server's own message for an error in the
 *   %MOON_API_ERROR domain, or %NULL
 */
const char *
moon_api_error_get_server_message (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  return peek_private (error)->server_message;
}

/**
 * moon_api_error_get_request_id:
 * @error: a #GError
 *
 * Returns: (nullable): the `Msh-Request-Id` of the response that failed;
 *   give it to Moonshot support
 */
const char *
moon_api_error_get_request_id (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  return peek_private (error)->request_id;
}

/**
 * moon_api_error_set_request_id:
 * @error: a #GError in the %MOON_API_ERROR domain
 * @request_id: (nullable): the request id
 *
 * Attaches the request id to an error made before it was known.
 */
void
moon_api_error_set_request_id (GError     *error,
                               const char *request_id)
{
  MoonApiErrorPrivate *priv;

  g_return_if_fail (error != NULL);
  g_return_if_fail (error->domain == MOON_API_ERROR);

  priv = moon_api_error_get_private (error);
  if (priv == NULL)
    return;
  g_free (priv->request_id);
  priv->request_id = (request_id != NULL && request_id[0] != '\0') ? g_strdup (request_id) : NULL;
}

/**
 * moon_api_error_get_error_type:
 * @error: a #GError
 *
 * Returns: (nullable): the server's `error.type`
 */
const char *
moon_api_error_get_error_type (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  return peek_private (error)->error_type;
}

/**
 * moon_api_error_get_http_status:
 * @error: a #GError
 *
 * Returns: the HTTP status of the failed response, or 0
 */
guint
moon_api_error_get_http_status (const GError *error)
{
  g_return_val_if_fail (error != NULL, 0);

  return peek_private (error)->http_status;
}

/**
 * moon_api_error_get_retry_after:
 * @error: a #GError
 *
 * Returns: the seconds the server asked to wait ("try again after N
 *   seconds" or a `Retry-After` header), or -1
 */
int
moon_api_error_get_retry_after (const GError *error)
{
  g_return_val_if_fail (error != NULL, -1);

  return peek_private (error)->retry_after;
}

/**
 * moon_api_error_is_retryable:
 * @error: a #GError
 *
 * Whether sending the same request again later may succeed: rate limits
 * (except the daily TPD limit), overload and 5xx server errors. Never quota,
 * authentication or invalid requests. Whether a retry is safe (no reply byte
 * received yet) is the caller's decision.
 *
 * Returns: %TRUE if a retry with backoff makes sense
 */
gboolean
moon_api_error_is_retryable (const GError *error)
{
  static const char * const daily[] = { "tpd", NULL };

  g_return_val_if_fail (error != NULL, FALSE);

  if (error->domain != MOON_API_ERROR)
    return FALSE;

  switch ((MoonApiError) error->code)
    {
    case MOON_API_ERROR_RATE_LIMIT:
      return !contains_any_nocase (moon_api_error_get_server_message (error), daily);
    case MOON_API_ERROR_OVERLOADED:
      return TRUE;
    case MOON_API_ERROR_SERVER:
      return moon_api_error_get_http_status (error) >= 500;
    default:
      return FALSE;
    }
}

/**
 * moon_api_error_parse_retry_after:
 * @message: (nullable): a server message
 *
 * Finds how long the server asks to wait: "try again after N seconds"
 * (Moonshot's rate-limit messages), "try again in Ns" or "retry after N
 * seconds". Fractions are rounded up. A TPM limit message without a number
 * means about a minute (kimi-api.md §3.5).
 *
 * Returns: seconds, or -1 if the message does not say
 */
int
moon_api_error_parse_retry_after (const char *message)
{
  static const char * const phrases[] = { "try again after", "try again in", "retry after", NULL };
  static const char * const tpm[] = { "tpm rate limit", NULL };
  g_autofree char *folded = NULL;

  if (message == NULL)
    return -1;

  folded = g_ascii_strdown (message, -1);

  for (guint i = 0; phrases[i] != NULL; i++)
    {
      const char *p = strstr (folded, phrases[i]);
      double value;
      char *end;

      if (p == NULL)
        continue;

      p += strlen (phrases[i]);
      while (*p == ' ')
        p++;
      if (!g_ascii_isdigit (*p))
        continue;

      value = g_ascii_strtod (p, &end);
      while (*end == ' ')
        end++;

      if (g_str_has_prefix (end, "ms"))
        value /= 1000.0;
      else if (!(g_str_has_prefix (end, "s") || *end == '\0' || *end == '.' || *end == ','))
        continue;

      if (value < 0)
        continue;

      return (int) MIN (24.0 * 3600.0, (double) (gint64) (value + 0.999));
    }

  if (contains_any_nocase (folded, tpm))
    return 60;

  return -1;
}
