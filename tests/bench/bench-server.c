/* bench-server.c — a Kimi-shaped SoupServer on 127.0.0.1 for the benchmarks
 *
 * Its own process, so that sending never competes with the client being
 * measured for a main loop. Every POST /v1/chat/completions is answered with
 * a stream chosen by the last user message:
 *
 *   "bench:fast"   BENCH_REPLY_DELTAS content deltas, all handed to libsoup
 *                  at once: as fast as the socket takes them, each SSE event
 *                  in its own HTTP chunk, as a real server flushes them
 *   "bench:paced"  BENCH_PACED_DELTAS deltas, one per millisecond
 *
 * Prints "port N" when it listens, then for every reply
 * "request ID T" when the request has been read and "finished ID T" when
 * the last byte went out (T: g_get_monotonic_time(), the same clock in every
 * process). The tests/api server (moon-test-server.c) plays scripted
 * replies from a queue and reports no times; this one answers any number of
 * requests with the same stream and reports when.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "bench-util.h"

typedef struct
{
  GBytes    *bytes;    /* all events, one after the other */
  GArray    *offsets;  /* (element-type gsize): where each event starts; one more at the end */
} Stream;

typedef struct
{
  SoupServerMessage *message;
  Stream            *stream;
  guint              id;
  guint              next;
  guint              timeout_id;
} Paced;

static Stream *fast_stream;
static Stream *paced_stream;
static guint n_requests;

static void
add_event (GString    *out,
           GArray     *offsets,
           const char *delta_member,
           const char *text,
           const char *finish_reason,
           gboolean    usage)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  gsize offset = out->len;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, "chatcmpl-moonchat-bench");
  json_builder_set_member_name (builder, "object");
  json_builder_add_string_value (builder, "chat.completion.chunk");
  json_builder_set_member_name (builder, "created");
  json_builder_add_int_value (builder, 1769600000);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, "kimi-k2.5");
  json_builder_set_member_name (builder, "choices");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "index");
  json_builder_add_int_value (builder, 0);
  json_builder_set_member_name (builder, "delta");
  json_builder_begin_object (builder);
  if (delta_member != NULL)
    {
      json_builder_set_member_name (builder, delta_member);
      json_builder_add_string_value (builder, text);
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "finish_reason");
  if (finish_reason != NULL)
    json_builder_add_string_value (builder, finish_reason);
  else
    json_builder_add_null_value (builder);
  if (usage)
    {
      json_builder_set_member_name (builder, "usage");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "prompt_tokens");
      json_builder_add_int_value (builder, 24);
      json_builder_set_member_name (builder, "completion_tokens");
      json_builder_add_int_value (builder, 20000);
      json_builder_set_member_name (builder, "total_tokens");
      json_builder_add_int_value (builder, 20024);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);
  g_string_append_printf (out, "data: %s\n\n", json);
  g_array_append_val (offsets, offset);
}

static Stream *
stream_new (guint n_deltas)
{
  g_autoptr(GPtrArray) deltas = bench_reply_deltas (n_deltas);
  GString *out = g_string_new (NULL);
  Stream *stream = g_new0 (Stream, 1);
  gsize end;

  stream->offsets = g_array_new (FALSE, FALSE, sizeof (gsize));
  add_event (out, stream->offsets, "role", "assistant", NULL, FALSE);
  for (guint i = 0; i < deltas->len; i++)
    add_event (out, stream->offsets, "content", g_ptr_array_index (deltas, i), NULL, FALSE);
  add_event (out, stream->offsets, NULL, NULL, "stop", TRUE);
  end = out->len;
  g_array_append_val (stream->offsets, end);
  g_string_append (out, "data: [DONE]\n\n");
  end = out->len;
  g_array_append_val (stream->offsets, end);

  stream->bytes = g_string_free_to_bytes (out);
  return stream;
}

static guint
stream_get_n_events (Stream *stream)
{
  return stream->offsets->len - 1;
}

static void
append_event (SoupServerMessage *message,
              Stream            *stream,
              guint              index)
{
  gsize start = g_array_index (stream->offsets, gsize, index);
  gsize end = g_array_index (stream->offsets, gsize, index + 1);
  const char *data = g_bytes_get_data (stream->bytes, NULL);

  soup_message_body_append (soup_server_message_get_response_body (message),
                            SOUP_MEMORY_STATIC, data + start, end - start);
}

static void
finished_cb (SoupServerMessage *message,
             gpointer           user_data)
{
  printf ("finished %u %" G_GINT64_FORMAT "\n", GPOINTER_TO_UINT (user_data), g_get_monotonic_time ());
  fflush (stdout);
}

static void
paced_free (Paced *paced)
{
  g_clear_handle_id (&paced->timeout_id, g_source_remove);
  g_clear_object (&paced->message);
  g_free (paced);
}

static gboolean
paced_step_cb (gpointer data)
{
  Paced *paced = data;

  append_event (paced->message, paced->stream, paced->next++);
  if (paced->next == stream_get_n_events (paced->stream))
    {
      soup_message_body_complete (soup_server_message_get_response_body (paced->message));
      soup_server_message_unpause (paced->message);
      g_signal_handlers_disconnect_by_data (paced->message, paced);
      paced->timeout_id = 0;
      paced_free (paced);
      return G_SOURCE_REMOVE;
    }

  soup_server_message_unpause (paced->message);
  return G_SOURCE_CONTINUE;
}

static void
paced_message_finished_cb (SoupServerMessage *message,
                           Paced             *paced)
{
  /* The client went away before the end. */
  g_signal_handlers_disconnect_by_data (message, paced);
  paced_free (paced);
}

static char *
last_user_message (SoupServerMessage *message)
{
  g_autoptr(GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (message));
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *messages;
  JsonNode *root;
  JsonNode *member;

  if (!json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      (member = json_object_get_member (json_node_get_object (root), "messages")) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (member))
    return NULL;

  messages = json_node_get_array (member);

  for (guint i = json_array_get_length (messages); i > 0; i--)
    {
      JsonObject *object = json_array_get_object_element (messages, i - 1);

      if (object != NULL && g_strcmp0 (json_object_get_string_member_with_default (object, "role", NULL), "user") == 0)
        return g_strdup (json_object_get_string_member_with_default (object, "content", ""));
    }

  return NULL;
}

static void
json_reply (SoupServerMessage *message,
            guint              status,
            const char        *json)
{
  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *message,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  gint64 now = g_get_monotonic_time ();
  SoupMessageHeaders *headers;
  g_autofree char *prompt = NULL;
  Stream *stream;
  guint id;

  if (g_str_equal (path, "/v1/models"))
    {
      json_reply (message, 200,
                  "{\"object\":\"list\",\"data\":["
                  "{\"id\":\"kimi-k2.5\",\"object\":\"model\",\"owned_by\":\"moonshot\",\"context_length\":262144}]}");
      return;
    }

  if (!g_str_equal (path, "/v1/chat/completions") ||
      !g_str_equal (soup_server_message_get_method (message), "POST"))
    {
      json_reply (message, 404, "{\"error\":{\"message\":\"Not found\",\"type\":\"resource_not_found_error\"}}");
      return;
    }

  prompt = last_user_message (message);
  if (prompt != NULL && strstr (prompt, "bench:paced") != NULL)
    stream = paced_stream;
  else if (prompt != NULL && strstr (prompt, "bench:fast") != NULL)
    stream = fast_stream;
  else
    {
      json_reply (message, 400, "{\"error\":{\"message\":\"Ask for bench:fast or bench:paced\",\"type\":\"invalid_request_error\"}}");
      return;
    }

  id = ++n_requests;
  printf ("request %u %" G_GINT64_FORMAT "\n", id, now);
  fflush (stdout);

  soup_server_message_set_status (message, 200, NULL);
  headers = soup_server_message_get_response_headers (message);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  g_signal_connect (message, "finished", G_CALLBACK (finished_cb), GUINT_TO_POINTER (id));

  if (stream == fast_stream)
    {
      /* Everything at once: libsoup writes as fast as the socket allows. */
      for (guint i = 0; i < stream_get_n_events (stream); i++)
        append_event (message, stream, i);
      soup_message_body_complete (soup_server_message_get_response_body (message));
    }
  else
    {
      Paced *paced = g_new0 (Paced, 1);

      paced->message = g_object_ref (message);
      paced->stream = stream;
      paced->id = id;
      g_signal_connect (message, "finished", G_CALLBACK (paced_message_finished_cb), paced);
      soup_server_message_pause (message);
      paced->timeout_id = g_timeout_add (1, paced_step_cb, paced);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  fast_stream = stream_new (BENCH_REPLY_DELTAS);
  paced_stream = stream_new (BENCH_PACED_DELTAS);

  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, server_cb, NULL, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("Could not listen: %s", error->message);

  uris = soup_server_get_uris (server);
  printf ("port %d\n", g_uri_get_port (uris->data));
  printf ("bytes %" G_GSIZE_FORMAT "\n", g_bytes_get_size (fast_stream->bytes));
  fflush (stdout);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  /* Runs until the driver ends it. */
  g_main_loop_run (loop);

  return 0;
}
