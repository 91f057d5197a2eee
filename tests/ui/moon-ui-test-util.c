/* moon-ui-test-util.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "moon-conversation-store.h"
#include "moon-message-row.h"
#include "moon-secrets.h"
#include "moon-ui-test-util.h"

/* Waiting */

static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
ensure_waker (void)
{
  static gsize once;

  /* g_main_context_iteration (NULL, TRUE) must come back now and then even
   * when nothing happens, so timeouts in moon_test_wait() are noticed. */
  if (g_once_init_enter (&once))
    g_once_init_leave (&once, g_timeout_add (20, wake_cb, NULL));
}

gboolean
moon_test_wait_cb (gboolean  (*check) (gpointer),
                   gpointer    data,
                   guint       timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  ensure_waker ();
  while (!check (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, TRUE);
    }

  return TRUE;
}

void
moon_test_run_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  ensure_waker ();
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
count_frame_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       data)
{
  guint *frames = data;

  (*frames)++;
  return G_SOURCE_CONTINUE;
}

void
moon_test_wait_frames (GtkWidget *widget,
                       guint      n_frames)
{
  guint frames = 0;
  guint id;

  ensure_waker ();
  id = gtk_widget_add_tick_callback (widget, count_frame_cb, &frames, NULL);
  gtk_widget_queue_draw (widget);
  moon_test_wait (frames >= n_frames);
  gtk_widget_remove_tick_callback (widget, id);
}

/* Widgets */

static void
find_all (GtkWidget *widget,
          GType      type,
          GPtrArray *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (found, widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    find_all (child, type, found);
}

GPtrArray *
moon_test_find_all (GtkWidget *root,
                    GType      type)
{
  GPtrArray *found = g_ptr_array_new ();

  find_all (root, type, found);
  return found;
}

GtkWidget *
moon_test_find_widget (GtkWidget  *root,
                       GType       type,
                       const char *css_class)
{
  g_autoptr(GPtrArray) all = moon_test_find_all (root, type);

  for (guint i = 0; i < all->len; i++)
    {
      GtkWidget *widget = g_ptr_array_index (all, i);

      if (css_class == NULL || gtk_widget_has_css_class (widget, css_class))
        return widget;
    }

  return NULL;
}

GtkWidget *
moon_test_find_label (GtkWidget  *root,
                      const char *text)
{
  g_autoptr(GPtrArray) all = moon_test_find_all (root, GTK_TYPE_LABEL);

  for (guint i = 0; i < all->len; i++)
    {
      GtkWidget *label = g_ptr_array_index (all, i);

      if (g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), text) == 0)
        return label;
    }

  return NULL;
}

GtkWidget *
moon_test_find_button (GtkWidget  *root,
                       const char *action_name)
{
  g_autoptr(GPtrArray) all = moon_test_find_all (root, GTK_TYPE_BUTTON);

  for (guint i = 0; i < all->len; i++)
    {
      GtkWidget *button = g_ptr_array_index (all, i);

      if (g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), action_name) == 0)
        return button;
    }

  return NULL;
}

/**
 * moon_test_screenshot:
 * @widget: a drawn widget, usually a window
 * @name: a file name without extension
 *
 * Renders @widget into `$MOONCHAT_SCREENSHOT_DIR/NAME.png` (if that is set),
 * the way it is drawn on screen.
 */
void
moon_test_screenshot (GtkWidget  *widget,
                      const char *name)
{
  const char *dir = g_getenv ("MOONCHAT_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  GskRenderer *renderer;
  int width, height;

  if (dir == NULL || dir[0] == '\0')
    return;

  g_mkdir_with_parents (dir, 0755);

  moon_test_wait_frames (widget, 3);

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  g_assert_nonnull (renderer);
  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);

  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  file_name = g_strconcat (name, ".png", NULL);
  path = g_build_filename (dir, file_name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

/* The fake server */

typedef struct
{
  guint  delay_ms;
  char  *data;
} Event;

struct _MoonTestReply
{
  guint      status;
  char      *error_body;
  GPtrArray *events;       /* (element-type utf8): whole SSE events */
  guint      interval_ms;
  int        hold_after;   /* -1: never */
  int        end_after;    /* -1: send [DONE]; else end the body there */
};

typedef struct
{
  MoonTestServer    *server;
  SoupServerMessage *message;
  MoonTestReply     *reply;
  guint              next;
  guint              source;
  gboolean           held;
  gboolean           finished;
} Stream;

struct _MoonTestServer
{
  SoupServer *server;
  char       *base_url;
  GQueue      replies;
  GPtrArray  *requests;  /* (element-type JsonObject) */
  GPtrArray  *streams;
};

static void
moon_test_reply_free (MoonTestReply *reply)
{
  g_clear_pointer (&reply->error_body, g_free);
  g_clear_pointer (&reply->events, g_ptr_array_unref);
  g_free (reply);
}

static char *
chunk (const char *delta_member,
       const char *text,
       const char *finish_reason,
       gboolean    usage)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, "chatcmpl-moonchat-test");
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
      json_builder_add_int_value (builder, 17);
      json_builder_set_member_name (builder, "total_tokens");
      json_builder_add_int_value (builder, 41);
      json_builder_set_member_name (builder, "cached_tokens");
      json_builder_add_int_value (builder, 8);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, NULL);

  return g_strdup_printf ("data: %s\n\n", json);
}

static void
add_pieces (GPtrArray  *events,
            const char *member,
            const char *text,
            guint       n_pieces)
{
  glong length = g_utf8_strlen (text, -1);
  glong done = 0;

  n_pieces = MAX (1, MIN ((glong) n_pieces, length));
  for (guint i = 0; i < n_pieces; i++)
    {
      glong end = (i + 1 == n_pieces) ? length : (length * (i + 1)) / n_pieces;
      g_autofree char *piece = g_utf8_substring (text, done, end);

      g_ptr_array_add (events, chunk (member, piece, NULL, FALSE));
      done = end;
    }
}

/**
 * moon_test_reply_new_stream:
 * @reasoning: (nullable): thinking to stream first
 * @content: the answer
 * @n_pieces: in how many deltas each text arrives
 *
 * A Kimi-shaped stream: role, reasoning deltas, content deltas, a final
 * chunk with `finish_reason: stop` and usage (24 prompt, 8 cached, 17
 * completion tokens), then `data: [DONE]`.
 */
MoonTestReply *
moon_test_reply_new_stream (const char *reasoning,
                            const char *content,
                            guint       n_pieces)
{
  MoonTestReply *reply = g_new0 (MoonTestReply, 1);

  reply->status = 200;
  reply->hold_after = -1;
  reply->end_after = -1;
  reply->interval_ms = 5;
  reply->events = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (reply->events, chunk ("content", "", NULL, FALSE));
  if (reasoning != NULL)
    add_pieces (reply->events, "reasoning_content", reasoning, n_pieces);
  add_pieces (reply->events, "content", content, n_pieces);
  g_ptr_array_add (reply->events, chunk (NULL, NULL, "stop", TRUE));
  g_ptr_array_add (reply->events, g_strdup ("data: [DONE]\n\n"));

  return reply;
}

/**
 * moon_test_reply_new_error:
 * @status: the HTTP status
 * @type: the error type, e.g. `invalid_request_error`
 * @message: the server's message
 *
 * An error answer shaped like Moonshot's (kimi-api.md §3.1).
 */
MoonTestReply *
moon_test_reply_new_error (guint       status,
                           const char *type,
                           const char *message)
{
  MoonTestReply *reply = g_new0 (MoonTestReply, 1);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);

  reply->status = status;
  reply->error_body = json_generator_to_data (generator, NULL);
  reply->hold_after = -1;
  reply->end_after = -1;

  return reply;
}

void
moon_test_reply_set_interval (MoonTestReply *reply,
                              guint          ms)
{
  reply->interval_ms = ms;
}

/**
 * moon_test_reply_set_hold_after:
 * @reply: a stream reply
 * @n_events: how many events to send before waiting
 *
 * The stream stops after @n_events and waits for
 * moon_test_server_release() (or for the client to go away).
 */
void
moon_test_reply_set_hold_after (MoonTestReply *reply,
                                guint          n_events)
{
  reply->hold_after = n_events;
}

/**
 * moon_test_reply_set_end_after:
 * @reply: a stream reply
 * @n_events: how many events to send
 *
 * The body ends cleanly after @n_events, without `[DONE]`: a reply cut
 * off in the middle.
 */
void
moon_test_reply_set_end_after (MoonTestReply *reply,
                               guint          n_events)
{
  reply->end_after = n_events;
}

guint
moon_test_reply_get_n_events (MoonTestReply *reply)
{
  return reply->events ? reply->events->len : 0;
}

static void
stream_free (Stream *stream)
{
  g_clear_handle_id (&stream->source, g_source_remove);
  if (stream->message != NULL)
    g_signal_handlers_disconnect_by_data (stream->message, stream);
  g_clear_object (&stream->message);
  g_clear_pointer (&stream->reply, moon_test_reply_free);
  g_free (stream);
}

static void stream_next (Stream *stream);

static gboolean
stream_timeout_cb (gpointer data)
{
  Stream *stream = data;

  stream->source = 0;
  stream_next (stream);

  return G_SOURCE_REMOVE;
}

static void
stream_finish (Stream *stream)
{
  SoupMessageBody *body = soup_server_message_get_response_body (stream->message);

  stream->finished = TRUE;
  soup_message_body_complete (body);
  soup_server_message_unpause (stream->message);
}

static void
stream_next (Stream *stream)
{
  MoonTestReply *reply = stream->reply;
  SoupMessageBody *body;
  const char *event;

  if (stream->finished)
    return;

  if (reply->end_after >= 0 && stream->next >= (guint) reply->end_after)
    {
      stream_finish (stream);
      return;
    }

  if (stream->next >= reply->events->len)
    {
      stream_finish (stream);
      return;
    }

  if (reply->hold_after >= 0 && stream->next == (guint) reply->hold_after && !stream->held)
    {
      stream->held = TRUE;
      return;
    }

  body = soup_server_message_get_response_body (stream->message);
  event = g_ptr_array_index (reply->events, stream->next++);
  soup_message_body_append (body, SOUP_MEMORY_COPY, event, strlen (event));
  soup_server_message_unpause (stream->message);

  stream->source = g_timeout_add (reply->interval_ms, stream_timeout_cb, stream);
}

static void
stream_message_finished_cb (SoupServerMessage *message,
                            Stream            *stream)
{
  /* Done, or the client went away (Stop). */
  stream->finished = TRUE;
  g_clear_handle_id (&stream->source, g_source_remove);
}

static void
json_reply (SoupServerMessage *message,
            const char        *json)
{
  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
}

static void
server_cb (SoupServer        *soup_server,
           SoupServerMessage *message,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  MoonTestServer *self = user_data;
  MoonTestReply *reply;
  SoupMessageHeaders *headers;
  const char *authorization;
  Stream *stream;

  authorization = soup_message_headers_get_one (soup_server_message_get_request_headers (message),
                                                "Authorization");
  if (authorization == NULL || !g_str_has_prefix (authorization, "Bearer "))
    {
      const char *error = "{\"error\":{\"message\":\"Invalid Authentication\",\"type\":\"invalid_authentication_error\"}}";

      soup_server_message_set_status (message, 401, NULL);
      soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, error, strlen (error));
      return;
    }

  if (g_str_equal (path, "/v1/models"))
    {
      json_reply (message,
                  "{\"object\":\"list\",\"data\":["
                  "{\"id\":\"kimi-k2.5\",\"object\":\"model\",\"owned_by\":\"moonshot\",\"context_length\":262144},"
                  "{\"id\":\"kimi-k2-turbo-preview\",\"object\":\"model\",\"owned_by\":\"moonshot\",\"context_length\":262144}]}");
      return;
    }

  if (g_str_equal (path, "/v1/users/me/balance"))
    {
      json_reply (message,
                  "{\"code\":0,\"data\":{\"available_balance\":49.58894,\"voucher_balance\":46.58893,"
                  "\"cash_balance\":3.00001},\"scode\":\"0x0\",\"status\":true}");
      return;
    }

  if (!g_str_equal (path, "/v1/chat/completions"))
    {
      soup_server_message_set_status (message, 404, NULL);
      return;
    }

  {
    g_autoptr(GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (message));
    g_autoptr(JsonParser) parser = json_parser_new ();

    g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                               g_bytes_get_size (bytes), NULL));
    g_ptr_array_add (self->requests, json_object_ref (json_node_get_object (json_parser_get_root (parser))));
  }

  reply = g_queue_pop_head (&self->replies);
  if (reply == NULL)
    reply = moon_test_reply_new_stream (NULL, "OK.", 1);

  if (reply->status != 200)
    {
      soup_server_message_set_status (message, reply->status, NULL);
      soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY,
                                        reply->error_body, strlen (reply->error_body));
      moon_test_reply_free (reply);
      return;
    }

  soup_server_message_set_status (message, 200, NULL);
  headers = soup_server_message_get_response_headers (message);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);

  stream = g_new0 (Stream, 1);
  stream->server = self;
  stream->message = g_object_ref (message);
  stream->reply = reply;
  g_signal_connect (message, "finished", G_CALLBACK (stream_message_finished_cb), stream);
  g_ptr_array_add (self->streams, stream);

  soup_server_message_pause (message);
  stream->source = g_timeout_add (reply->interval_ms, stream_timeout_cb, stream);
}

MoonTestServer *
moon_test_server_new (void)
{
  MoonTestServer *self = g_new0 (MoonTestServer, 1);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  self->server = soup_server_new (NULL, NULL);
  self->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->streams = g_ptr_array_new_with_free_func ((GDestroyNotify) stream_free);
  g_queue_init (&self->replies);

  soup_server_add_handler (self->server, NULL, server_cb, self, NULL);
  soup_server_listen_local (self->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (self->server);
  g_assert_nonnull (uris);
  self->base_url = g_strdup_printf ("http://127.0.0.1:%d/v1", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  return self;
}

void
moon_test_server_free (MoonTestServer *self)
{
  soup_server_disconnect (self->server);
  g_clear_pointer (&self->streams, g_ptr_array_unref);
  g_clear_object (&self->server);
  g_queue_clear_full (&self->replies, (GDestroyNotify) moon_test_reply_free);
  g_clear_pointer (&self->requests, g_ptr_array_unref);
  g_clear_pointer (&self->base_url, g_free);
  g_free (self);
}

const char *
moon_test_server_get_base_url (MoonTestServer *self)
{
  return self->base_url;
}

/**
 * moon_test_server_queue:
 * @self: the server
 * @reply: (transfer full): the answer to the next chat request
 */
void
moon_test_server_queue (MoonTestServer *self,
                        MoonTestReply  *reply)
{
  g_queue_push_tail (&self->replies, reply);
}

/**
 * moon_test_server_release:
 * @self: the server
 *
 * Held streams go on to their end.
 */
void
moon_test_server_release (MoonTestServer *self)
{
  for (guint i = 0; i < self->streams->len; i++)
    {
      Stream *stream = g_ptr_array_index (self->streams, i);

      if (stream->held && !stream->finished && stream->source == 0)
        {
          stream->reply->hold_after = -1;
          stream_next (stream);
        }
    }
}

guint
moon_test_server_get_n_requests (MoonTestServer *self)
{
  return self->requests->len;
}

JsonObject *
moon_test_server_get_request (MoonTestServer *self,
                              guint           index)
{
  g_assert_cmpuint (index, <, self->requests->len);

  return g_ptr_array_index (self->requests, index);
}

guint
moon_test_server_get_n_open (MoonTestServer *self)
{
  guint n = 0;

  for (guint i = 0; i < self->streams->len; i++)
    n += !((Stream *) g_ptr_array_index (self->streams, i))->finished;

  return n;
}

guint
moon_test_server_get_n_held (MoonTestServer *self)
{
  guint n = 0;

  for (guint i = 0; i < self->streams->len; i++)
    {
      Stream *stream = g_ptr_array_index (self->streams, i);

      n += stream->held && !stream->finished && stream->source == 0;
    }

  return n;
}

/* The app */

typedef struct
{
  gboolean  done;
  GError   *error;
} StoreKey;

static void
store_key_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  StoreKey *state = user_data;

  moon_secrets_store_finish (result, &state->error);
  state->done = TRUE;
}

/**
 * moon_test_store_key:
 * @base_url: the endpoint
 * @key: the key
 *
 * Puts @key into the session's real keyring, as Preferences would.
 */
void
moon_test_store_key (const char *base_url,
                     const char *key)
{
  StoreKey state = { 0 };

  ensure_waker ();
  moon_secrets_store_async (base_url, key, NULL, store_key_cb, &state);
  moon_test_wait (state.done);
  g_assert_no_error (state.error);
}

/**
 * moon_test_app_start:
 * @base_url: (nullable): the endpoint to configure
 *
 * Starts the real application (registered, activated: one window) and
 * waits until the window is drawn and the keyring has answered.
 *
 * Returns: (transfer full): the application
 */
MoonApplication *
moon_test_app_start (const char *base_url)
{
  g_autoptr(GSettings) settings = g_settings_new (BASE_ID);
  g_autoptr(GError) error = NULL;
  MoonApplication *app;
  MoonWindow *window;

  ensure_waker ();

  if (base_url != NULL)
    g_settings_set_string (settings, "base-url", base_url);

  /* Without g_application_run() an application stays exported on the bus
   * after it quits: each start gets an id of its own. */
  {
    static guint n_starts;
    g_autofree char *id = g_strdup_printf ("%s.Test%u", APPLICATION_ID, ++n_starts);

    app = moon_application_new (id, G_APPLICATION_NON_UNIQUE);
  }
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  /* Screenshots must not catch a cross-fade half-way. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  g_application_activate (G_APPLICATION (app));

  window = moon_test_app_get_window (app);
  g_assert_nonnull (window);
  moon_test_wait (gtk_widget_get_mapped (GTK_WIDGET (window)));
  moon_test_wait (moon_application_get_api_key_checked (app));
  moon_test_wait_frames (GTK_WIDGET (window), 2);

  return app;
}

MoonWindow *
moon_test_app_get_window (MoonApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL && gtk_application_get_windows (GTK_APPLICATION (app)) != NULL)
    window = gtk_application_get_windows (GTK_APPLICATION (app))->data;

  return window ? MOON_WINDOW (window) : NULL;
}

/**
 * moon_test_app_quit:
 * @app: (transfer full): a started application
 *
 * Quits through the real action and waits until everything is saved, as
 * the process would before it ends; then drops @app.
 */
void
moon_test_app_quit (MoonApplication *app)
{
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  moon_test_wait (gtk_application_get_windows (GTK_APPLICATION (app)) == NULL);
  moon_test_wait (moon_application_get_saved_for_exit (app));
  g_application_quit (G_APPLICATION (app));
  /* What g_application_run() does when its loop ends: the app lets go of
   * its store (and the store's folder monitor) before the next test. */
  g_signal_emit_by_name (app, "shutdown");

  /* Only g_application_run() can unregister an application from the bus,
   * and GApplication warns when a registered one is finalized: keep the
   * (now empty) object until the test process ends. */
  {
    static GPtrArray *quit_apps;

    if (quit_apps == NULL)
      quit_apps = g_ptr_array_new ();
    g_ptr_array_add (quit_apps, app);
  }
}

/**
 * moon_test_write_conversation:
 * @conversation: a conversation
 *
 * Writes @conversation where the store will find it, as an earlier run
 * would have.
 *
 * Returns: (transfer full): the file's path
 */
char *
moon_test_write_conversation (MoonConversation *conversation)
{
  g_autoptr(GFile) dir = moon_conversation_store_get_default_directory ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = moon_conversation_to_json (conversation);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("%s.json", moon_conversation_get_id (conversation));
  g_autofree char *path = g_build_filename (g_file_peek_path (dir), name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (g_file_peek_path (dir), 0700), ==, 0);
  json_generator_set_root (generator, root);
  json_generator_to_file (generator, path, &error);
  g_assert_no_error (error);

  return g_steal_pointer (&path);
}

/**
 * moon_test_find_message_row:
 * @window: the window
 * @message: a message
 *
 * Returns: (nullable): the row showing @message, if it is realized
 */
GtkWidget *
moon_test_find_message_row (MoonWindow  *window,
                            MoonMessage *message)
{
  g_autoptr(GPtrArray) rows = moon_test_find_all (GTK_WIDGET (window), MOON_TYPE_MESSAGE_ROW);

  for (guint i = 0; i < rows->len; i++)
    {
      MoonMessageRow *row = g_ptr_array_index (rows, i);

      if (moon_message_row_get_message (row) == message)
        return GTK_WIDGET (row);
    }

  return NULL;
}
