/* moon-test-server.c — a scripted SoupServer for the API tests
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "moon-test-server.h"

#define GENERATE_PIECE (64 * 1024)

struct _MoonTestServer
{
  SoupServer *server;
  char       *base_url;
  guint       port;
  GQueue      pending;       /* MoonTestResponse* */
  GHashTable *counts;        /* path -> count */
  GHashTable *last_headers;  /* lowercase name -> value */
  GBytes     *last_body;
  GPtrArray  *streams;       /* Stream* */
  guint       n_unexpected;
  gsize       bytes_sent;    /* body bytes of the last streamed response */
  gboolean    finished;      /* the last streamed response's message finished */
};

typedef struct
{
  MoonTestServer    *server;
  SoupServerMessage *message;
  MoonTestResponse  *response;
  gsize              offset;
  gsize              generated;
  guint              timeout_id;
  gulong             wrote_id;
  gulong             finished_id;
  gboolean           done;
  gboolean           started;
} Stream;

MoonTestResponse *
moon_test_response_new (const char *path,
                        guint       status,
                        const char *content_type,
                        GBytes     *body)
{
  MoonTestResponse *response = g_new0 (MoonTestResponse, 1);

  response->path = g_strdup (path);
  response->status = status;
  response->content_type = g_strdup (content_type);
  response->headers = g_ptr_array_new_with_free_func (g_free);
  response->body = body ? g_bytes_ref (body) : g_bytes_new (NULL, 0);
  response->end = MOON_TEST_END_COMPLETE;
  response->end_after = G_MAXSIZE;

  return response;
}

MoonTestResponse *
moon_test_response_new_text (const char *path,
                             guint       status,
                             const char *content_type,
                             const char *body)
{
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

  return moon_test_response_new (path, status, content_type, bytes);
}

void
moon_test_response_add_header (MoonTestResponse *response,
                               const char       *name,
                               const char       *value)
{
  g_ptr_array_add (response->headers, g_strdup (name));
  g_ptr_array_add (response->headers, g_strdup (value));
}

void
moon_test_response_free (MoonTestResponse *response)
{
  if (response == NULL)
    return;

  g_free (response->path);
  g_free (response->content_type);
  g_ptr_array_unref (response->headers);
  g_bytes_unref (response->body);
  g_free (response);
}

static void
stream_stop (Stream *stream)
{
  g_clear_handle_id (&stream->timeout_id, g_source_remove);
  if (stream->wrote_id != 0)
    g_signal_handler_disconnect (stream->message, stream->wrote_id);
  if (stream->finished_id != 0)
    g_signal_handler_disconnect (stream->message, stream->finished_id);
  stream->wrote_id = stream->finished_id = 0;
  stream->done = TRUE;
}

static void
stream_free (gpointer data)
{
  Stream *stream = data;

  stream_stop (stream);
  g_clear_object (&stream->message);
  moon_test_response_free (stream->response);
  g_free (stream);
}

static gsize
next_piece_size (MoonTestResponse *response,
                 gsize             remaining)
{
  gsize size;

  if (response->min_piece == 0)
    return remaining;

  size = response->min_piece;
  if (response->max_piece > response->min_piece)
    size = g_test_rand_int_range (response->min_piece, response->max_piece + 1);

  return MIN (size, remaining);
}

static void
append (Stream     *stream,
        const void *data,
        gsize       length)
{
  SoupMessageBody *body = soup_server_message_get_response_body (stream->message);

  soup_message_body_append (body, SOUP_MEMORY_COPY, data, length);
  stream->server->bytes_sent += length;
}

static void
reset_connection (Stream *stream)
{
  GIOStream *io;

  stream_stop (stream);
  io = soup_server_message_steal_connection (stream->message);
  if (io != NULL)
    {
      g_io_stream_close (io, NULL, NULL);
      g_object_unref (io);
    }
}

/* Sends the next piece, or ends the response as scripted. */
static gboolean
stream_step_cb (gpointer data)
{
  Stream *stream = data;
  MoonTestResponse *response = stream->response;
  SoupMessageBody *body = soup_server_message_get_response_body (stream->message);
  gsize total = g_bytes_get_size (response->body);
  gsize limit = MIN (total, response->end_after);

  stream->timeout_id = 0;

  if (stream->done)
    return G_SOURCE_REMOVE;

  if (response->generate > 0)
    {
      if (stream->generated == 0 && stream->offset == 0)
        {
          append (stream, "data: ", 6);
          stream->offset = 6;
        }
      if (stream->generated < response->generate)
        {
          g_autofree char *piece = g_malloc (GENERATE_PIECE);
          gsize n = MIN ((gsize) GENERATE_PIECE, response->generate - stream->generated);

          memset (piece, 'x', n);
          append (stream, piece, n);
          stream->generated += n;
          soup_server_message_unpause (stream->message);
          return G_SOURCE_REMOVE;
        }
      append (stream, "\n\n", 2);
      soup_message_body_complete (body);
      stream_stop (stream);
      soup_server_message_unpause (stream->message);
      return G_SOURCE_REMOVE;
    }

  if (stream->offset < limit)
    {
      gsize n = next_piece_size (response, limit - stream->offset);

      append (stream, (const guint8 *) g_bytes_get_data (response->body, NULL) + stream->offset, n);
      stream->offset += n;
      soup_server_message_unpause (stream->message);
      return G_SOURCE_REMOVE;
    }

  switch (response->end)
    {
    case MOON_TEST_END_STALL:
      /* Keep the connection open and send nothing more. */
      stream_stop (stream);
      break;

    case MOON_TEST_END_RESET:
      reset_connection (stream);
      break;

    case MOON_TEST_END_COMPLETE:
    default:
      soup_message_body_complete (body);
      stream_stop (stream);
      soup_server_message_unpause (stream->message);
      break;
    }

  return G_SOURCE_REMOVE;
}

static void
schedule_step (Stream *stream,
               guint   delay_ms)
{
  if (stream->done || stream->timeout_id != 0)
    return;

  if (delay_ms == 0)
    stream->timeout_id = g_idle_add (stream_step_cb, stream);
  else
    stream->timeout_id = g_timeout_add (delay_ms, stream_step_cb, stream);
}

static void
wrote_chunk_cb (SoupServerMessage *message,
                gpointer           data)
{
  Stream *stream = data;

  /* Pause until the next piece is due (also before a reset or a stall, so
   * that what was written has left). */
  soup_server_message_pause (message);
  schedule_step (stream, stream->response->delay_ms);
}

static void
finished_cb (SoupServerMessage *message,
             gpointer           data)
{
  Stream *stream = data;

  stream->server->finished = TRUE;
  stream_stop (stream);
}

static gboolean
start_stream_cb (gpointer data)
{
  Stream *stream = data;

  stream->timeout_id = 0;
  stream->started = TRUE;
  return stream_step_cb (stream);
}

static void
handler_cb (SoupServer        *soup_server,
            SoupServerMessage *message,
            const char        *path,
            GHashTable        *query,
            gpointer           data)
{
  MoonTestServer *self = data;
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (message);
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (message);
  SoupMessageBody *request_body = soup_server_message_get_request_body (message);
  MoonTestResponse *response = NULL;
  SoupMessageHeadersIter iter;
  const char *name, *value;
  Stream *stream;

  g_hash_table_insert (self->counts, g_strdup (path),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (self->counts, path)) + 1));

  g_hash_table_remove_all (self->last_headers);
  soup_message_headers_iter_init (&iter, request_headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    g_hash_table_insert (self->last_headers, g_ascii_strdown (name, -1), g_strdup (value));

  g_clear_pointer (&self->last_body, g_bytes_unref);
  self->last_body = soup_message_body_flatten (request_body);

  for (GList *l = self->pending.head; l != NULL; l = l->next)
    {
      MoonTestResponse *candidate = l->data;

      if (g_strcmp0 (candidate->path, path) == 0)
        {
          response = candidate;
          g_queue_delete_link (&self->pending, l);
          break;
        }
    }

  if (response == NULL)
    {
      self->n_unexpected++;
      soup_server_message_set_status (message, 599, "No scripted response");
      return;
    }

  soup_server_message_set_status (message, response->status, NULL);
  for (guint i = 0; i + 1 < response->headers->len; i += 2)
    soup_message_headers_replace (response_headers,
                                  g_ptr_array_index (response->headers, i),
                                  g_ptr_array_index (response->headers, i + 1));

  if (response->min_piece == 0 && response->generate == 0 &&
      response->end == MOON_TEST_END_COMPLETE && response->first_delay_ms == 0)
    {
      gsize length;
      const char *body = g_bytes_get_data (response->body, &length);

      if (response->content_type != NULL)
        soup_message_headers_replace (response_headers, "Content-Type", response->content_type);
      soup_message_body_append (soup_server_message_get_response_body (message),
                                SOUP_MEMORY_COPY, body ? body : "", length);
      soup_message_body_complete (soup_server_message_get_response_body (message));
      moon_test_response_free (response);
      return;
    }

  if (response->content_type != NULL)
    soup_message_headers_replace (response_headers, "Content-Type", response->content_type);
  soup_message_headers_set_encoding (response_headers, SOUP_ENCODING_CHUNKED);

  self->bytes_sent = 0;
  self->finished = FALSE;

  stream = g_new0 (Stream, 1);
  stream->server = self;
  stream->message = g_object_ref (message);
  stream->response = response;
  stream->wrote_id = g_signal_connect (message, "wrote-chunk", G_CALLBACK (wrote_chunk_cb), stream);
  stream->finished_id = g_signal_connect (message, "finished", G_CALLBACK (finished_cb), stream);
  g_ptr_array_add (self->streams, stream);

  soup_server_message_pause (message);
  if (response->first_delay_ms > 0)
    stream->timeout_id = g_timeout_add (response->first_delay_ms, start_stream_cb, stream);
  else
    stream->timeout_id = g_idle_add (start_stream_cb, stream);
}

/* A server on 127.0.0.1, on @port (0: any free port); with @certificate it
 * speaks HTTPS only. */
MoonTestServer *
moon_test_server_new_full (GTlsCertificate *certificate,
                           guint            port)
{
  MoonTestServer *self = g_new0 (MoonTestServer, 1);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  if (certificate != NULL)
    self->server = soup_server_new ("tls-certificate", certificate, NULL);
  else
    self->server = soup_server_new (NULL, NULL);
  soup_server_listen_local (self->server, port,
                            SOUP_SERVER_LISTEN_IPV4_ONLY | (certificate ? SOUP_SERVER_LISTEN_HTTPS : 0),
                            &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (self->server);
  g_assert_nonnull (uris);
  self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  self->base_url = g_strdup_printf ("%s://127.0.0.1:%u/v1", certificate ? "https" : "http", self->port);
  self->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->last_headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->streams = g_ptr_array_new_with_free_func (stream_free);
  g_queue_init (&self->pending);

  soup_server_add_handler (self->server, NULL, handler_cb, self, NULL);

  return self;
}

/* A plain HTTP server on 127.0.0.1. */
MoonTestServer *
moon_test_server_new (void)
{
  return moon_test_server_new_full (NULL, 0);
}

void
moon_test_server_free (MoonTestServer *self)
{
  if (self == NULL)
    return;

  for (guint i = 0; i < self->streams->len; i++)
    stream_stop (g_ptr_array_index (self->streams, i));

  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_ptr_array_unref (self->streams);
  g_queue_clear_full (&self->pending, (GDestroyNotify) moon_test_response_free);
  g_hash_table_unref (self->counts);
  g_hash_table_unref (self->last_headers);
  g_clear_pointer (&self->last_body, g_bytes_unref);
  g_free (self->base_url);
  g_free (self);
}

const char *
moon_test_server_get_base_url (MoonTestServer *self)
{
  return self->base_url;
}

guint
moon_test_server_get_port (MoonTestServer *self)
{
  return self->port;
}

void
moon_test_server_push (MoonTestServer   *self,
                       MoonTestResponse *response)
{
  g_queue_push_tail (&self->pending, response);
}

guint
moon_test_server_get_n_pending (MoonTestServer *self)
{
  return self->pending.length;
}

guint
moon_test_server_count (MoonTestServer *self,
                        const char     *path)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->counts, path));
}

guint
moon_test_server_get_n_unexpected (MoonTestServer *self)
{
  return self->n_unexpected;
}

const char *
moon_test_server_get_last_header (MoonTestServer *self,
                                  const char     *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  return g_hash_table_lookup (self->last_headers, lower);
}

GBytes *
moon_test_server_get_last_body (MoonTestServer *self)
{
  return self->last_body;
}

gsize
moon_test_server_get_bytes_sent (MoonTestServer *self)
{
  return self->bytes_sent;
}

gboolean
moon_test_server_get_finished (MoonTestServer *self)
{
  return self->finished;
}
