/* moon-client.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-client"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "moon-api-error.h"
#include "moon-client-private.h"
#include "moon-completion.h"
#include "moon-json-util.h"

/*
 * MoonClient: one SoupSession for everything the app sends to one API
 * endpoint, the base URL, the API key (in memory only; it goes into the
 * Authorization header and nowhere else), the cached model list, and the
 * small JSON endpoints (kimi-api.md §4).
 *
 * The session has no socket timeout: a thinking model can be silent for
 * minutes before it streams. MoonCompletion has its own idle timeout.
 */

/* Bodies of JSON endpoints and error responses are read whole; they are
 * small, but they come from the network, so they are capped. */
#define MAX_JSON_BODY (8 * 1024 * 1024)

struct _MoonClient
{
  GObject      parent_instance;

  SoupSession *session;
  char        *base_url;
  char        *api_key;

  GListStore  *models;
  char        *models_base_url;
};

G_DEFINE_FINAL_TYPE (MoonClient, moon_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_API_KEY,
  PROP_SESSION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
wipe_string (char **str)
{
  if (*str != NULL)
    {
      memset (*str, 0, strlen (*str));
      g_clear_pointer (str, g_free);
    }
}

static void
moon_client_dispose (GObject *object)
{
  MoonClient *self = (MoonClient *) object;

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->models);

  G_OBJECT_CLASS (moon_client_parent_class)->dispose (object);
}

static void
moon_client_finalize (GObject *object)
{
  MoonClient *self = (MoonClient *) object;

  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->models_base_url, g_free);
  wipe_string (&self->api_key);

  G_OBJECT_CLASS (moon_client_parent_class)->finalize (object);
}

static void
moon_client_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  MoonClient *self = MOON_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_client_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  MoonClient *self = MOON_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      moon_client_set_base_url (self, g_value_get_string (value));
      break;
    case PROP_API_KEY:
      moon_client_set_api_key (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_client_class_init (MoonClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = moon_client_dispose;
  object_class->finalize = moon_client_finalize;
  object_class->get_property = moon_client_get_property;
  object_class->set_property = moon_client_set_property;

  /**
   * MoonClient:base-url:
   *
   * The API base, ending in `/v1` for Moonshot (a trailing slash is
   * dropped). %NULL or empty means moon_client_get_default_base_url().
   */
  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * MoonClient:api-key:
   *
   * The API key. Write-only: it stays in memory and goes only into the
   * `Authorization` header.
   */
  properties[PROP_API_KEY] =
    g_param_spec_string ("api-key", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * MoonClient:session:
   *
   * The one #SoupSession of this client.
   */
  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, SOUP_TYPE_SESSION,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
moon_client_init (MoonClient *self)
{
  self->session = soup_session_new_with_options ("user-agent", "Moonchat/" PACKAGE_VERSION,
                                                 "timeout", 0,
                                                 NULL);
  /* No gzip: a compressed event stream may be buffered by the decoder, and
   * kimi-api.md §7 says not to ask for it. */
  soup_session_remove_feature_by_type (self->session, SOUP_TYPE_CONTENT_DECODER);
}

/**
 * moon_client_new:
 * @base_url: (nullable): the API base URL, or %NULL for the default
 *
 * Returns: (transfer full): a new client
 */
MoonClient *
moon_client_new (const char *base_url)
{
  return g_object_new (MOON_TYPE_CLIENT, "base-url", base_url, NULL);
}

/**
 * moon_client_get_default_base_url:
 *
 * The platform for the user's language: api.moonshot.cn for Chinese,
 * api.moonshot.ai otherwise (the two platforms have separate keys).
 *
 * Returns: a base URL
 */
const char *
moon_client_get_default_base_url (void)
{
  const char * const *languages = g_get_language_names ();

  if (languages[0] != NULL && g_str_has_prefix (languages[0], "zh"))
    return MOON_CLIENT_BASE_URL_CN;

  return MOON_CLIENT_BASE_URL_GLOBAL;
}

/**
 * moon_normalize_base_url:
 * @base_url: (nullable): a base URL as the user typed it
 *
 * Strips surrounding whitespace and trailing slashes.
 *
 * Returns: (transfer full) (nullable): the normalized URL, or %NULL if
 *   nothing is left
 */
char *
moon_normalize_base_url (const char *base_url)
{
  g_autofree char *copy = NULL;
  gsize len;

  if (base_url == NULL)
    return NULL;

  copy = g_strstrip (g_strdup (base_url));
  len = strlen (copy);
  while (len > 0 && copy[len - 1] == '/')
    copy[--len] = '\0';

  if (len == 0)
    return NULL;

  return g_steal_pointer (&copy);
}

/**
 * moon_base_url_is_loopback:
 * @base_url: a base URL
 *
 * Returns: %TRUE if the URL's host is this computer (`localhost`,
 *   127.0.0.0/8, `::1`)
 */
gboolean
moon_base_url_is_loopback (const char *base_url)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GInetAddress) address = NULL;
  const char *host;

  g_return_val_if_fail (base_url != NULL, FALSE);

  uri = g_uri_parse (base_url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || (host = g_uri_get_host (uri)) == NULL)
    return FALSE;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);

  return address != NULL && g_inet_address_get_is_loopback (address);
}

/**
 * moon_client_get_base_url:
 * @self: a #MoonClient
 *
 * Returns: the normalized base URL
 */
const char *
moon_client_get_base_url (MoonClient *self)
{
  g_return_val_if_fail (MOON_IS_CLIENT (self), NULL);

  return self->base_url;
}

/**
 * moon_client_set_base_url:
 * @self: a #MoonClient
 * @base_url: (nullable): the base URL, or %NULL for the default
 *
 * Sets the endpoint. Trailing slashes are dropped. The model cache is
 * cleared when the URL changes.
 */
void
moon_client_set_base_url (MoonClient *self,
                          const char *base_url)
{
  g_autofree char *normalized = NULL;

  g_return_if_fail (MOON_IS_CLIENT (self));

  normalized = moon_normalize_base_url (base_url);
  if (normalized == NULL)
    normalized = g_strdup (moon_client_get_default_base_url ());

  if (g_strcmp0 (normalized, self->base_url) == 0)
    return;

  g_free (self->base_url);
  self->base_url = g_steal_pointer (&normalized);
  moon_client_invalidate_models (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URL]);
}

/**
 * moon_client_set_api_key:
 * @self: a #MoonClient
 * @api_key: (nullable): the key, or %NULL to forget it
 *
 * Sets the key used for every request. It is kept in memory only; the old
 * one is overwritten before it is freed.
 */
void
moon_client_set_api_key (MoonClient *self,
                         const char *api_key)
{
  g_autofree char *stripped = NULL;

  g_return_if_fail (MOON_IS_CLIENT (self));

  if (api_key != NULL)
    {
      stripped = g_strstrip (g_strdup (api_key));
      if (stripped[0] == '\0')
        g_clear_pointer (&stripped, g_free);
    }

  if (g_strcmp0 (stripped, self->api_key) == 0)
    {
      wipe_string (&stripped);
      return;
    }

  wipe_string (&self->api_key);
  self->api_key = g_steal_pointer (&stripped);
  moon_client_invalidate_models (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_API_KEY]);
}

/**
 * moon_client_has_api_key:
 * @self: a #MoonClient
 *
 * Returns: whether a key is set
 */
gboolean
moon_client_has_api_key (MoonClient *self)
{
  g_return_val_if_fail (MOON_IS_CLIENT (self), FALSE);

  return self->api_key != NULL;
}

/**
 * moon_client_get_session:
 * @self: a #MoonClient
 *
 * Returns: (transfer none): the client's session
 */
SoupSession *
moon_client_get_session (MoonClient *self)
{
  g_return_val_if_fail (MOON_IS_CLIENT (self), NULL);

  return self->session;
}

/**
 * moon_client_check_base_url:
 * @self: a #MoonClient
 * @error: return location for a #GError
 *
 * Checks that the base URL is an http(s) URL with a host, and that the key
 * would not travel unencrypted: plain `http://` is accepted only for this
 * computer (a local server such as llama.cpp) or without a key.
 *
 * Returns: %TRUE if requests may be sent
 */
gboolean
moon_client_check_base_url (MoonClient  *self,
                            GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  g_return_val_if_fail (MOON_IS_CLIENT (self), FALSE);

  uri = g_uri_parse (self->base_url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    {
      g_set_error (error, MOON_API_ERROR, MOON_API_ERROR_INVALID_REQUEST,
                   _("“%s” is not a valid API address"), self->base_url);
      return FALSE;
    }

  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0)
    {
      g_set_error (error, MOON_API_ERROR, MOON_API_ERROR_INVALID_REQUEST,
                   _("“%s” is not an http or https address"), self->base_url);
      return FALSE;
    }

  if (g_ascii_strcasecmp (scheme, "http") == 0 && self->api_key != NULL &&
      !moon_base_url_is_loopback (self->base_url))
    {
      g_set_error (error, MOON_API_ERROR, MOON_API_ERROR_INSECURE,
                   _("%s: %s is not encrypted. Use an https address, or a server on this computer."),
                   moon_api_error_get_summary (MOON_API_ERROR_INSECURE),
                   self->base_url);
      return FALSE;
    }

  return TRUE;
}

/**
 * moon_client_build_url:
 * @self: a #MoonClient
 * @path: an endpoint path such as `/chat/completions`
 *
 * Returns: (transfer full): the base URL joined with @path
 */
char *
moon_client_build_url (MoonClient *self,
                       const char *path)
{
  g_return_val_if_fail (MOON_IS_CLIENT (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  while (path[0] == '/')
    path++;

  return g_strconcat (self->base_url, "/", path, NULL);
}

SoupMessage *
_moon_client_new_message (MoonClient  *self,
                          const char  *method,
                          const char  *path,
                          GBytes      *body,
                          GError     **error)
{
  g_autofree char *url = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  SoupMessageHeaders *headers;
  SoupMessage *message;

  g_assert (MOON_IS_CLIENT (self));

  if (!moon_client_check_base_url (self, error))
    return NULL;

  url = moon_client_build_url (self, path);
  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, MOON_API_ERROR, MOON_API_ERROR_INVALID_REQUEST,
                   _("“%s” is not a valid API address"), url);
      return NULL;
    }

  message = soup_message_new_from_uri (method, uri);
  headers = soup_message_get_request_headers (message);

  if (self->api_key != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", self->api_key, NULL);

      soup_message_headers_replace (headers, "Authorization", authorization);
      memset (authorization, 0, strlen (authorization));
    }

  if (body != NULL)
    soup_message_set_request_body_from_bytes (message, "application/json", body);

  return message;
}

char *
_moon_message_dup_request_id (SoupMessage *message)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  const char *id;

  if (headers == NULL)
    return NULL;

  id = soup_message_headers_get_one (headers, "Msh-Request-Id");
  if (id == NULL)
    id = soup_message_headers_get_one (headers, "X-Request-Id");

  return g_strdup (id);
}

/* Reading a whole (capped) body. */

typedef struct
{
  GByteArray *bytes;
  gsize       max_bytes;
  gboolean    truncated;
} ReadData;

static void
read_data_free (gpointer data)
{
  ReadData *read_data = data;

  g_byte_array_unref (read_data->bytes);
  g_free (read_data);
}

static void read_next (GTask *task);

static void
read_bytes_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ReadData *read_data = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = NULL;
  GError *error = NULL;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (g_bytes_get_size (bytes) == 0)
    {
      g_task_return_pointer (task,
                             g_byte_array_free_to_bytes (g_byte_array_ref (read_data->bytes)),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }

  g_byte_array_append (read_data->bytes, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  if (read_data->bytes->len >= read_data->max_bytes)
    {
      read_data->truncated = TRUE;
      g_byte_array_set_size (read_data->bytes, read_data->max_bytes);
      g_task_return_pointer (task,
                             g_byte_array_free_to_bytes (g_byte_array_ref (read_data->bytes)),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }

  read_next (g_steal_pointer (&task));
}

static void
read_next (GTask *task)
{
  ReadData *read_data = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (g_task_get_source_object (task),
                                   MIN (64 * 1024, read_data->max_bytes - read_data->bytes->len + 1),
                                   G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task),
                                   read_bytes_cb,
                                   task);
}

void
_moon_read_bytes_async (GInputStream        *stream,
                        gsize                max_bytes,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;
  ReadData *read_data;

  g_assert (G_IS_INPUT_STREAM (stream));

  task = g_task_new (stream, cancellable, callback, user_data);
  g_task_set_source_tag (task, _moon_read_bytes_async);
  read_data = g_new0 (ReadData, 1);
  read_data->bytes = g_byte_array_new ();
  read_data->max_bytes = max_bytes;
  g_task_set_task_data (task, read_data, read_data_free);

  read_next (task);
}

GBytes *
_moon_read_bytes_finish (GInputStream  *stream,
                         GAsyncResult  *result,
                         gboolean      *out_truncated,
                         GError       **error)
{
  GTask *task = G_TASK (result);
  ReadData *read_data = g_task_get_task_data (task);

  g_assert (g_task_is_valid (result, stream));

  if (out_truncated != NULL)
    *out_truncated = read_data->truncated;

  return g_task_propagate_pointer (task, error);
}

/* A JSON request to one of the small endpoints. */

typedef struct
{
  SoupMessage *message;
  char        *base_url;
  guint        status;
  char        *content_type;
  char        *request_id;
  char        *retry_after;
} JsonRequest;

static void
json_request_free (gpointer data)
{
  JsonRequest *request = data;

  g_clear_object (&request->message);
  g_free (request->base_url);
  g_free (request->content_type);
  g_free (request->request_id);
  g_free (request->retry_after);
  g_free (request);
}

/*
 * _moon_client_redact_error:
 *
 * Cuts this client's API key out of @error (see moon_api_error_redact()):
 * for every error made from what a server said.
 */
void
_moon_client_redact_error (MoonClient *self,
                           GError     *error)
{
  g_assert (MOON_IS_CLIENT (self));

  if (error != NULL)
    moon_api_error_redact (error, self->api_key);
}

/* Returns an error that may quote the server, without the key. */
static void
return_server_error (GTask  *task,
                     GError *error)
{
  _moon_client_redact_error (g_task_get_source_object (task), error);
  g_task_return_error (task, error);
}

static void
json_body_read_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  JsonRequest *request = g_task_get_task_data (task);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  gboolean truncated = FALSE;
  const char *data;
  gsize length;
  JsonNode *root;

  body = _moon_read_bytes_finish (G_INPUT_STREAM (object), result, &truncated, &error);
  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        return_server_error (task, moon_api_error_new_from_transport (error, FALSE, request->request_id));
      return;
    }

  data = g_bytes_get_data (body, &length);

  if (request->status < 200 || request->status >= 300)
    {
      return_server_error (task, moon_api_error_new_from_response (request->status,
                                                                    request->content_type,
                                                                    data, length,
                                                                    request->request_id,
                                                                    request->retry_after));
      return;
    }

  parser = json_parser_new ();
  if (truncated ||
      !moon_json_parser_load (parser, data, length, NULL) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    {
      GError *protocol = moon_api_error_new_full (MOON_API_ERROR_PROTOCOL, request->status,
                                                  NULL, NULL, request->request_id);

      g_task_return_error (task, protocol);
      return;
    }

  if (json_object_has_member (json_node_get_object (root), "error") &&
      !JSON_NODE_HOLDS_NULL (json_object_get_member (json_node_get_object (root), "error")))
    {
      return_server_error (task, moon_api_error_new_from_json (json_object_get_member (json_node_get_object (root), "error"),
                                                                request->status, request->request_id));
      return;
    }

  g_task_return_pointer (task, json_node_ref (root), (GDestroyNotify) json_node_unref);
}

static void
json_request_send_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  JsonRequest *request = g_task_get_task_data (task);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;
  GCancellable *cancellable;

  stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (stream == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, moon_api_error_new_from_transport (error, FALSE, NULL));
      return;
    }

  headers = soup_message_get_response_headers (request->message);
  request->status = soup_message_get_status (request->message);
  request->content_type = g_strdup (soup_message_headers_get_content_type (headers, NULL));
  request->request_id = _moon_message_dup_request_id (request->message);
  request->retry_after = g_strdup (soup_message_headers_get_one (headers, "Retry-After"));

  /* (the cancellable is fetched before the task is handed on) */
  cancellable = g_task_get_cancellable (task);
  _moon_read_bytes_async (stream, MAX_JSON_BODY, cancellable,
                          json_body_read_cb, g_steal_pointer (&task));
}

static void
json_request_async (MoonClient          *self,
                    const char          *method,
                    const char          *path,
                    GBytes              *body,
                    GCancellable        *cancellable,
                    gpointer             source_tag,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  JsonRequest *request;
  SoupMessage *message;

  g_assert (MOON_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  message = _moon_client_new_message (self, method, path, body, &error);
  if (message == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  soup_message_headers_replace (soup_message_get_request_headers (message), "Accept", "application/json");

  request = g_new0 (JsonRequest, 1);
  request->message = message;
  request->base_url = g_strdup (self->base_url);
  g_task_set_task_data (task, request, json_request_free);

  soup_session_send_async (self->session, message, G_PRIORITY_DEFAULT, cancellable,
                           json_request_send_cb, g_steal_pointer (&task));
}

/* Models */

static void
list_models_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  MoonClient *self = MOON_CLIENT (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GListStore) store = NULL;
  g_autoptr(GError) error = NULL;
  JsonRequest *request = g_task_get_task_data (G_TASK (result));
  JsonNode *data;

  root = g_task_propagate_pointer (G_TASK (result), &error);
  if (root == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data = json_object_get_member (json_node_get_object (root), "data");
  if (data == NULL || !JSON_NODE_HOLDS_ARRAY (data))
    {
      g_task_return_new_error (task, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL,
                               /* Translators: an error summary and a detail */
                               _("%s: %s"),
                               moon_api_error_get_summary (MOON_API_ERROR_PROTOCOL),
                               _("the model list has no “data” array"));
      return;
    }

  store = g_list_store_new (MOON_TYPE_MODEL_INFO);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (data)); i++)
    {
      JsonNode *entry = json_array_get_element (json_node_get_array (data), i);
      g_autoptr(MoonModelInfo) info = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (entry))
        continue;

      info = moon_model_info_new_from_json (json_node_get_object (entry));
      if (info != NULL)
        g_list_store_append (store, info);
    }

  /* Cache only if the endpoint did not change meanwhile. */
  if (g_strcmp0 (request->base_url, self->base_url) == 0)
    {
      g_set_object (&self->models, store);
      g_free (self->models_base_url);
      self->models_base_url = g_strdup (self->base_url);
    }

  g_task_return_pointer (task, g_object_ref (store), g_object_unref);
}

/**
 * moon_client_list_models_async:
 * @self: a #MoonClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Gets the model list (`GET /models`), from the cache when the same endpoint
 * and key were already asked. Also a cheap way to check a new key: a wrong
 * one fails with %MOON_API_ERROR_AUTH.
 */
void
moon_client_list_models_async (MoonClient          *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MOON_IS_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_client_list_models_async);

  if (self->models != NULL && g_strcmp0 (self->models_base_url, self->base_url) == 0)
    {
      g_task_return_pointer (task, g_object_ref (self->models), g_object_unref);
      return;
    }

  json_request_async (self, "GET", "/models", NULL, cancellable, moon_client_list_models_async,
                      list_models_cb, g_steal_pointer (&task));
}

/**
 * moon_client_list_models_finish:
 * @self: a #MoonClient
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a list of #MoonModelInfo, in server order
 */
GListModel *
moon_client_list_models_finish (MoonClient    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (MOON_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * moon_client_get_cached_models:
 * @self: a #MoonClient
 *
 * Returns: (transfer none) (nullable): the cached model list, if any
 */
GListModel *
moon_client_get_cached_models (MoonClient *self)
{
  g_return_val_if_fail (MOON_IS_CLIENT (self), NULL);

  return self->models ? G_LIST_MODEL (self->models) : NULL;
}

/**
 * moon_client_invalidate_models:
 * @self: a #MoonClient
 *
 * Forgets the cached model list; the next list call asks the server.
 */
void
moon_client_invalidate_models (MoonClient *self)
{
  g_return_if_fail (MOON_IS_CLIENT (self));

  g_clear_object (&self->models);
  g_clear_pointer (&self->models_base_url, g_free);
}

/**
 * moon_client_lookup_model:
 * @self: a #MoonClient
 * @model_id: a model id
 *
 * The best knowledge about a model: the server's entry from the cached list
 * (merged with the quirks table) if there is one, else the table alone.
 *
 * Returns: (transfer full): the model's info
 */
MoonModelInfo *
moon_client_lookup_model (MoonClient *self,
                          const char *model_id)
{
  g_return_val_if_fail (MOON_IS_CLIENT (self), NULL);
  g_return_val_if_fail (model_id != NULL, NULL);

  if (self->models != NULL)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->models));

      for (guint i = 0; i < n; i++)
        {
          g_autoptr(MoonModelInfo) info = g_list_model_get_item (G_LIST_MODEL (self->models), i);

          if (g_strcmp0 (moon_model_info_get_id (info), model_id) == 0)
            return g_steal_pointer (&info);
        }
    }

  return moon_model_info_lookup (model_id);
}

/* Token estimate */

static void
serialize_in_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  JsonNode *node = task_data;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  gsize length;
  char *text;

  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, &length);
  g_task_return_pointer (task, g_bytes_new_take (text, length), (GDestroyNotify) g_bytes_unref);
}

static void
estimate_tokens_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *data;
  JsonNode *total;

  root = g_task_propagate_pointer (G_TASK (result), &error);
  if (root == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data = json_object_get_member (json_node_get_object (root), "data");
  total = (data != NULL && JSON_NODE_HOLDS_OBJECT (data))
          ? json_object_get_member (json_node_get_object (data), "total_tokens")
          : NULL;

  if (total == NULL || !JSON_NODE_HOLDS_VALUE (total) ||
      json_node_get_value_type (total) != G_TYPE_INT64 || json_node_get_int (total) < 0)
    {
      g_task_return_new_error (task, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL,
                               _("%s: %s"),
                               moon_api_error_get_summary (MOON_API_ERROR_PROTOCOL),
                               _("the token count has no “data.total_tokens”"));
      return;
    }

  g_task_return_int (task, json_node_get_int (total));
}

static void
estimate_body_ready_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MoonClient *self = g_task_get_source_object (task);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  body = g_task_propagate_pointer (G_TASK (result), &error);
  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  cancellable = g_task_get_cancellable (task);
  json_request_async (self, "POST", "/tokenizers/estimate-token-count", body,
                      cancellable, moon_client_estimate_tokens_async,
                      estimate_tokens_cb, g_steal_pointer (&task));
}

/**
 * moon_client_estimate_tokens_async:
 * @self: a #MoonClient
 * @model: the model id
 * @messages: the messages array, as a chat request would carry it; it is
 *   sealed (made immutable) because it is serialized on a worker thread
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Asks the server how many prompt tokens @messages take
 * (`POST /tokenizers/estimate-token-count`, kimi-api.md §4.2). Tool
 * definitions are not counted; leave a margin.
 */
void
moon_client_estimate_tokens_async (MoonClient          *self,
                                   const char          *model,
                                   JsonNode            *messages,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) serialize = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  JsonNode *body;

  g_return_if_fail (MOON_IS_CLIENT (self));
  g_return_if_fail (model != NULL);
  g_return_if_fail (messages != NULL && JSON_NODE_HOLDS_ARRAY (messages));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_client_estimate_tokens_async);

  json_node_seal (messages);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, model);
  json_builder_set_member_name (builder, "messages");
  json_builder_add_value (builder, json_node_ref (messages));
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  json_node_seal (body);

  /* No source object: the worker may release this task after the callback
   * ran, and must not keep the client alive. */
  serialize = g_task_new (NULL, cancellable, estimate_body_ready_cb, g_steal_pointer (&task));
  g_task_set_source_tag (serialize, serialize_in_thread);
  g_task_set_task_data (serialize, body, (GDestroyNotify) json_node_unref);
  g_task_run_in_thread (serialize, serialize_in_thread);
}

/**
 * moon_client_estimate_tokens_finish:
 * @self: a #MoonClient
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: the estimated prompt tokens, or -1 with @error set
 */
gint64
moon_client_estimate_tokens_finish (MoonClient    *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (MOON_IS_CLIENT (self), -1);
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return g_task_propagate_int (G_TASK (result), error);
}

/* Balance */

static gboolean
get_double (JsonObject *object,
            const char *member,
            double     *out_value)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_DOUBLE:
      *out_value = json_node_get_double (node);
      return TRUE;
    case G_TYPE_INT64:
      *out_value = (double) json_node_get_int (node);
      return TRUE;
    default:
      return FALSE;
    }
}

static void
balance_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonRequest *request = g_task_get_task_data (G_TASK (result));
  JsonObject *object_root;
  JsonNode *data;
  MoonBalance balance = { 0 };
  double code = 0;

  root = g_task_propagate_pointer (G_TASK (result), &error);
  if (root == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  object_root = json_node_get_object (root);

  /* Not OpenAI-style: success is code == 0 / status == true. */
  if ((get_double (object_root, "code", &code) && code != 0) ||
      (json_object_has_member (object_root, "status") &&
       JSON_NODE_HOLDS_VALUE (json_object_get_member (object_root, "status")) &&
       json_node_get_value_type (json_object_get_member (object_root, "status")) == G_TYPE_BOOLEAN &&
       !json_object_get_boolean_member (object_root, "status")))
    {
      const char *message = NULL;

      if (json_object_has_member (object_root, "message") &&
          JSON_NODE_HOLDS_VALUE (json_object_get_member (object_root, "message")) &&
          json_node_get_value_type (json_object_get_member (object_root, "message")) == G_TYPE_STRING)
        message = json_object_get_string_member (object_root, "message");

      g_task_return_error (task, moon_api_error_new_full (MOON_API_ERROR_SERVER, request->status,
                                                          NULL, message, request->request_id));
      return;
    }

  data = json_object_get_member (object_root, "data");
  if (data == NULL || !JSON_NODE_HOLDS_OBJECT (data) ||
      !get_double (json_node_get_object (data), "available_balance", &balance.available_balance))
    {
      g_task_return_new_error (task, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL,
                               _("%s: %s"),
                               moon_api_error_get_summary (MOON_API_ERROR_PROTOCOL),
                               _("the balance has no “data.available_balance”"));
      return;
    }

  get_double (json_node_get_object (data), "voucher_balance", &balance.voucher_balance);
  get_double (json_node_get_object (data), "cash_balance", &balance.cash_balance);

  g_task_return_pointer (task, g_memdup2 (&balance, sizeof balance), g_free);
}

/**
 * moon_client_get_balance_async:
 * @self: a #MoonClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Gets the account balance (`GET /users/me/balance`).
 */
void
moon_client_get_balance_async (MoonClient          *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MOON_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_client_get_balance_async);

  json_request_async (self, "GET", "/users/me/balance", NULL, cancellable,
                      moon_client_get_balance_async, balance_cb, g_steal_pointer (&task));
}

/**
 * moon_client_get_balance_finish:
 * @self: a #MoonClient
 * @result: the result
 * @out_balance: (out): where to store the balance
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
moon_client_get_balance_finish (MoonClient    *self,
                                GAsyncResult  *result,
                                MoonBalance   *out_balance,
                                GError       **error)
{
  g_autofree MoonBalance *balance = NULL;

  g_return_val_if_fail (MOON_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (out_balance != NULL, FALSE);

  balance = g_task_propagate_pointer (G_TASK (result), error);
  if (balance == NULL)
    return FALSE;

  *out_balance = *balance;
  return TRUE;
}

/* Completions */

/**
 * moon_client_new_completion:
 * @self: a #MoonClient
 * @body: a chat-completion request (`model`, `messages`, `stream: true`,
 *   ...); it is sealed (made immutable) because it is serialized on a
 *   worker thread
 *
 * Creates one streaming `POST /chat/completions`; start it with
 * moon_completion_run_async().
 *
 * Returns: (transfer full): a new #MoonCompletion
 */
MoonCompletion *
moon_client_new_completion (MoonClient *self,
                            JsonNode   *body)
{
  g_return_val_if_fail (MOON_IS_CLIENT (self), NULL);
  g_return_val_if_fail (body != NULL && JSON_NODE_HOLDS_OBJECT (body), NULL);

  json_node_seal (body);

  return g_object_new (MOON_TYPE_COMPLETION,
                       "client", self,
                       "body", body,
                       NULL);
}

/**
 * moon_client_new_completion_for_bytes:
 * @self: a #MoonClient
 * @body: a serialized chat-completion request
 *
 * Like moon_client_new_completion() for a body already serialized.
 *
 * Returns: (transfer full): a new #MoonCompletion
 */
MoonCompletion *
moon_client_new_completion_for_bytes (MoonClient *self,
                                      GBytes     *body)
{
  g_return_val_if_fail (MOON_IS_CLIENT (self), NULL);
  g_return_val_if_fail (body != NULL, NULL);

  return g_object_new (MOON_TYPE_COMPLETION,
                       "client", self,
                       "body-bytes", body,
                       NULL);
}
