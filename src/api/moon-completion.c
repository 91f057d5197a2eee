/* moon-completion.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-completion"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "moon-api-error.h"
#include "moon-client-private.h"
#include "moon-completion.h"
#include "moon-reply.h"
#include "moon-sse-parser.h"

/*
 * MoonCompletion: one streaming `POST {base}/chat/completions`.
 *
 *   send ──► status/headers ──► 2xx SSE (or text/plain) ──► read loop ──► parser ──► reply ──► signals
 *                 │                 └── 2xx JSON: a whole reply (or an error object)
 *                 └── non-2xx: read the (capped) body, map the error,
 *                     retry with backoff if it is a rate limit / overload / 5xx
 *
 * Rules (kimi-api.md §2.2, §3.5, §3.6):
 *  - only `data: [DONE]` completes the reply; EOF without it is
 *    MOON_API_ERROR_INCOMPLETE, and everything received stays available;
 *  - a retry happens only before the first byte of a successful reply, and
 *    never for quota, auth or invalid requests;
 *  - there is no socket timeout; an idle timer restarted by every byte ends
 *    a stalled stream after #MoonCompletion:idle-timeout seconds;
 *  - everything (I/O callbacks, signals, timers) runs on the main context
 *    that was the thread default when moon_completion_run_async() was called.
 */

#define READ_BUFFER_SIZE (16 * 1024)
/* How long one read callback may go on with data that has already arrived. */
#define DRAIN_US 4000
#define MAX_ERROR_BODY (64 * 1024)

struct _MoonCompletion
{
  GObject        parent_instance;

  MoonClient    *client;
  JsonNode      *body;
  GBytes        *body_bytes;

  guint          idle_timeout;
  guint          max_retries;
  guint          retry_delay;
  guint          max_retry_delay;
  guint64        max_event_size;

  /* One run */
  GMainContext  *context;
  GCancellable  *cancellable;       /* ours: user cancel and idle timeout */
  GCancellable  *user_cancellable;
  gulong         cancelled_id;
  SoupMessage   *message;
  GInputStream  *stream;
  MoonSseParser *parser;
  MoonReply     *reply;
  GPtrArray     *no_tool_calls;
  GSource       *idle_source;
  GSource       *wait_source;
  GSource       *wait_cancel_source;
  char          *request_id;
  GError        *stream_error;
  GError        *first_skip_error;
  guint8        *buffer;
  gint64         last_activity;     /* last byte read, for the idle timer */
  guint          attempts;
  guint          status;
  char          *content_type;
  char          *retry_after_header;

  guint          started : 1;
  guint          finished : 1;
  guint          timed_out : 1;
  guint          reply_started : 1;
  guint          complete : 1;
};

G_DEFINE_FINAL_TYPE (MoonCompletion, moon_completion, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_BODY,
  PROP_BODY_BYTES,
  PROP_IDLE_TIMEOUT,
  PROP_MAX_RETRIES,
  PROP_RETRY_DELAY,
  PROP_MAX_RETRY_DELAY,
  PROP_MAX_EVENT_SIZE,
  PROP_CONTENT,
  PROP_REASONING_CONTENT,
  PROP_FINISH_REASON,
  PROP_USAGE,
  PROP_MODEL,
  PROP_RESPONSE_ID,
  PROP_REQUEST_ID,
  PROP_DONE,
  PROP_ATTEMPTS,
  PROP_SKIPPED_CHUNKS,
  N_PROPS
};

enum {
  CONTENT_DELTA,
  REASONING_DELTA,
  TOOL_CALL_DELTA,
  RETRYING,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void start_attempt (GTask *task);

static void
moon_completion_dispose (GObject *object)
{
  MoonCompletion *self = (MoonCompletion *) object;

  if (self->idle_source != NULL)
    g_source_destroy (self->idle_source);
  g_clear_pointer (&self->idle_source, g_source_unref);
  g_clear_object (&self->message);
  g_clear_object (&self->stream);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (moon_completion_parent_class)->dispose (object);
}

static void
moon_completion_finalize (GObject *object)
{
  MoonCompletion *self = (MoonCompletion *) object;

  g_clear_pointer (&self->body, json_node_unref);
  g_clear_pointer (&self->body_bytes, g_bytes_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->parser, moon_sse_parser_free);
  g_clear_pointer (&self->reply, moon_reply_free);
  g_clear_pointer (&self->no_tool_calls, g_ptr_array_unref);
  g_clear_pointer (&self->request_id, g_free);
  g_clear_pointer (&self->content_type, g_free);
  g_clear_pointer (&self->retry_after_header, g_free);
  g_clear_pointer (&self->buffer, g_free);
  g_clear_error (&self->stream_error);
  g_clear_error (&self->first_skip_error);

  G_OBJECT_CLASS (moon_completion_parent_class)->finalize (object);
}

static void
moon_completion_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MoonCompletion *self = MOON_COMPLETION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, self->idle_timeout);
      break;
    case PROP_MAX_RETRIES:
      g_value_set_uint (value, self->max_retries);
      break;
    case PROP_RETRY_DELAY:
      g_value_set_uint (value, self->retry_delay);
      break;
    case PROP_MAX_RETRY_DELAY:
      g_value_set_uint (value, self->max_retry_delay);
      break;
    case PROP_MAX_EVENT_SIZE:
      g_value_set_uint64 (value, self->max_event_size);
      break;
    case PROP_CONTENT:
      g_value_set_string (value, moon_completion_get_content (self));
      break;
    case PROP_REASONING_CONTENT:
      g_value_set_string (value, moon_completion_get_reasoning_content (self));
      break;
    case PROP_FINISH_REASON:
      g_value_set_string (value, moon_completion_get_finish_reason (self));
      break;
    case PROP_USAGE:
      g_value_set_boxed (value, moon_completion_get_usage (self));
      break;
    case PROP_MODEL:
      g_value_set_string (value, moon_completion_get_model (self));
      break;
    case PROP_RESPONSE_ID:
      g_value_set_string (value, moon_completion_get_response_id (self));
      break;
    case PROP_REQUEST_ID:
      g_value_set_string (value, self->request_id);
      break;
    case PROP_DONE:
      g_value_set_boolean (value, self->complete);
      break;
    case PROP_ATTEMPTS:
      g_value_set_uint (value, self->attempts);
      break;
    case PROP_SKIPPED_CHUNKS:
      g_value_set_uint (value, moon_completion_get_skipped_chunks (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_completion_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  MoonCompletion *self = MOON_COMPLETION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    case PROP_BODY:
      self->body = g_value_dup_boxed (value);
      break;
    case PROP_BODY_BYTES:
      self->body_bytes = g_value_dup_boxed (value);
      break;
    case PROP_IDLE_TIMEOUT:
      moon_completion_set_idle_timeout (self, g_value_get_uint (value));
      break;
    case PROP_MAX_RETRIES:
      moon_completion_set_max_retries (self, g_value_get_uint (value));
      break;
    case PROP_RETRY_DELAY:
      moon_completion_set_retry_delay (self, g_value_get_uint (value));
      break;
    case PROP_MAX_RETRY_DELAY:
      moon_completion_set_max_retry_delay (self, g_value_get_uint (value));
      break;
    case PROP_MAX_EVENT_SIZE:
      moon_completion_set_max_event_size (self, g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_completion_constructed (GObject *object)
{
  MoonCompletion *self = (MoonCompletion *) object;

  G_OBJECT_CLASS (moon_completion_parent_class)->constructed (object);

  g_assert (MOON_IS_CLIENT (self->client));
  g_assert (self->body != NULL || self->body_bytes != NULL);
}

static void
moon_completion_class_init (MoonCompletionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags co = G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = moon_completion_dispose;
  object_class->finalize = moon_completion_finalize;
  object_class->constructed = moon_completion_constructed;
  object_class->get_property = moon_completion_get_property;
  object_class->set_property = moon_completion_set_property;

  /**
   * MoonCompletion:client:
   *
   * The client whose session, base URL and key are used.
   */
  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, MOON_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * MoonCompletion:body:
   *
   * The request body as a sealed JSON object (serialized on a worker thread).
   */
  properties[PROP_BODY] =
    g_param_spec_boxed ("body", NULL, NULL, JSON_TYPE_NODE, co);

  /**
   * MoonCompletion:body-bytes:
   *
   * The request body, already serialized.
   */
  properties[PROP_BODY_BYTES] =
    g_param_spec_boxed ("body-bytes", NULL, NULL, G_TYPE_BYTES, co);

  /**
   * MoonCompletion:idle-timeout:
   *
   * Seconds without any byte from the server before giving up with
   * %MOON_API_ERROR_TIMEOUT; 0 waits forever.
   */
  properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_uint ("idle-timeout", NULL, NULL, 0, G_MAXUINT / 1000,
                       MOON_COMPLETION_DEFAULT_IDLE_TIMEOUT, rw | G_PARAM_CONSTRUCT);

  /**
   * MoonCompletion:max-retries:
   *
   * How many times a rate-limited, overloaded or failed (5xx) request is
   * sent again before giving up.
   */
  properties[PROP_MAX_RETRIES] =
    g_param_spec_uint ("max-retries", NULL, NULL, 0, 100, 4, rw | G_PARAM_CONSTRUCT);

  /**
   * MoonCompletion:retry-delay:
   *
   * The first backoff delay in milliseconds; it doubles with each retry. Also
   * the least wait when the server says "try again after 0 seconds".
   */
  properties[PROP_RETRY_DELAY] =
    g_param_spec_uint ("retry-delay", NULL, NULL, 0, G_MAXUINT, 1000, rw | G_PARAM_CONSTRUCT);

  /**
   * MoonCompletion:max-retry-delay:
   *
   * The longest wait before a retry, in milliseconds, also when the server
   * asks for more.
   */
  properties[PROP_MAX_RETRY_DELAY] =
    g_param_spec_uint ("max-retry-delay", NULL, NULL, 0, G_MAXUINT, 60000, rw | G_PARAM_CONSTRUCT);

  /**
   * MoonCompletion:max-event-size:
   *
   * The cap on one line and on one event of the stream, in bytes. A bigger
   * one ends the completion with %MOON_API_ERROR_PROTOCOL.
   */
  properties[PROP_MAX_EVENT_SIZE] =
    g_param_spec_uint64 ("max-event-size", NULL, NULL, 1024, G_MAXUINT32,
                         MOON_SSE_PARSER_DEFAULT_MAX_EVENT, rw | G_PARAM_CONSTRUCT);

  /**
   * MoonCompletion:content:
   *
   * The reply text received so far (choice 0).
   */
  properties[PROP_CONTENT] =
    g_param_spec_string ("content", NULL, NULL, NULL, ro);

  /**
   * MoonCompletion:reasoning-content:
   *
   * The reasoning received so far (choice 0).
   */
  properties[PROP_REASONING_CONTENT] =
    g_param_spec_string ("reasoning-content", NULL, NULL, NULL, ro);

  /**
   * MoonCompletion:finish-reason:
   *
   * `stop`, `length`, `tool_calls`, `content_filter` or what the server
   * said; %NULL if none arrived. Notified when the run ends.
   */
  properties[PROP_FINISH_REASON] =
    g_param_spec_string ("finish-reason", NULL, NULL, NULL, ro);

  /**
   * MoonCompletion:usage:
   *
   * The token usage (top-level `usage` if any, else `choices[0].usage`), or
   * %NULL. Notified when the run ends.
   */
  properties[PROP_USAGE] =
    g_param_spec_boxed ("usage", NULL, NULL, MOON_TYPE_USAGE, ro);

  /**
   * MoonCompletion:model:
   *
   * The model the server says answered.
   */
  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, NULL, ro);

  /**
   * MoonCompletion:response-id:
   *
   * The completion `id`.
   */
  properties[PROP_RESPONSE_ID] =
    g_param_spec_string ("response-id", NULL, NULL, NULL, ro);

  /**
   * MoonCompletion:request-id:
   *
   * The `Msh-Request-Id` response header, for support requests.
   */
  properties[PROP_REQUEST_ID] =
    g_param_spec_string ("request-id", NULL, NULL, NULL, ro);

  /**
   * MoonCompletion:done:
   *
   * Whether the reply arrived complete (`data: [DONE]`).
   */
  properties[PROP_DONE] =
    g_param_spec_boolean ("done", NULL, NULL, FALSE, ro);

  /**
   * MoonCompletion:attempts:
   *
   * How many times the request was sent.
   */
  properties[PROP_ATTEMPTS] =
    g_param_spec_uint ("attempts", NULL, NULL, 0, G_MAXUINT, 0, ro);

  /**
   * MoonCompletion:skipped-chunks:
   *
   * How many events of the stream could not be read and are missing from
   * the reply.
   */
  properties[PROP_SKIPPED_CHUNKS] =
    g_param_spec_uint ("skipped-chunks", NULL, NULL, 0, G_MAXUINT, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MoonCompletion::content-delta:
   * @self: the completion
   * @text: the next piece of the reply
   *
   * Emitted for every non-empty content fragment of choice 0.
   */
  signals[CONTENT_DELTA] =
    g_signal_new ("content-delta", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * MoonCompletion::reasoning-delta:
   * @self: the completion
   * @text: the next piece of the reasoning
   *
   * Emitted for every non-empty `reasoning_content` fragment of choice 0.
   */
  signals[REASONING_DELTA] =
    g_signal_new ("reasoning-delta", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * MoonCompletion::tool-call-delta:
   * @self: the completion
   * @index: the call's index (merged by index or array position)
   * @id: (nullable): the call id, if this fragment has it
   * @type: (nullable): the call type, if this fragment has it
   * @name: (nullable): the function name, if this fragment has it
   * @arguments_fragment: (nullable): the next piece of the arguments
   *
   * Emitted for every tool-call fragment of choice 0.
   * moon_completion_get_tool_calls() has the merged calls.
   */
  signals[TOOL_CALL_DELTA] =
    g_signal_new ("tool-call-delta", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 5,
                  G_TYPE_UINT,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * MoonCompletion::retrying:
   * @self: the completion
   * @attempt: the attempt that failed (1 for the first)
   * @delay_ms: how long until the next attempt
   * @error: why the attempt failed
   *
   * Emitted before waiting to send the request again.
   */
  signals[RETRYING] =
    g_signal_new ("retrying", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_UINT, G_TYPE_UINT, G_TYPE_ERROR);
}

static void
moon_completion_init (MoonCompletion *self)
{
  self->reply = moon_reply_new ();
  self->no_tool_calls = g_ptr_array_new ();
}

/* Timers */

static gboolean
ready_time_dispatch (GSource     *source,
                     GSourceFunc  callback,
                     gpointer     user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs ready_time_funcs = {
  NULL, NULL, ready_time_dispatch, NULL, NULL, NULL
};

static gboolean
idle_timeout_cb (gpointer user_data)
{
  MoonCompletion *self = user_data;
  gint64 deadline = self->last_activity + (gint64) self->idle_timeout * G_USEC_PER_SEC;

  /* Data came since the timer was set: wait for the rest of the period. */
  if (deadline > g_get_monotonic_time ())
    {
      g_source_set_ready_time (self->idle_source, deadline);
      return G_SOURCE_CONTINUE;
    }

  g_debug ("no data for %u s, giving up", self->idle_timeout);
  self->timed_out = TRUE;
  g_cancellable_cancel (self->cancellable);

  return G_SOURCE_CONTINUE;
}

/* Called for every read: it only notes the time. Moving the source's ready
 * time would wake the main context (a write to its wakeup fd) every time. */
static void
restart_idle_timer (MoonCompletion *self)
{
  if (self->idle_timeout == 0 || self->finished)
    return;

  self->last_activity = g_get_monotonic_time ();

  if (self->idle_source == NULL)
    {
      self->idle_source = g_source_new (&ready_time_funcs, sizeof (GSource));
      g_source_set_static_name (self->idle_source, "[moonchat] completion idle timeout");
      g_source_set_callback (self->idle_source, idle_timeout_cb, self, NULL);
      g_source_attach (self->idle_source, self->context);
    }

  if (g_source_get_ready_time (self->idle_source) == -1)
    g_source_set_ready_time (self->idle_source,
                             self->last_activity + (gint64) self->idle_timeout * G_USEC_PER_SEC);
}

static void
stop_idle_timer (MoonCompletion *self)
{
  if (self->idle_source != NULL)
    g_source_set_ready_time (self->idle_source, -1);
}

static void
clear_wait_sources (MoonCompletion *self)
{
  if (self->wait_source != NULL)
    g_source_destroy (self->wait_source);
  g_clear_pointer (&self->wait_source, g_source_unref);
  if (self->wait_cancel_source != NULL)
    g_source_destroy (self->wait_cancel_source);
  g_clear_pointer (&self->wait_cancel_source, g_source_unref);
}

/* Finishing */

static void
close_stream_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_input_stream_close_finish (G_INPUT_STREAM (object), result, NULL);
}

static GError *
error_with_detail (MoonCompletion *self,
                   MoonApiError    code,
                   const char     *detail)
{
  GError *error = g_error_new (MOON_API_ERROR, code,
                               /* Translators: an error summary and a detail */
                               _("%s: %s"), moon_api_error_get_summary (code), detail);

  moon_api_error_set_request_id (error, self->request_id);
  return error;
}

static void
finish (GTask  *task,
        GError *error)
{
  MoonCompletion *self = g_task_get_source_object (task);

  g_assert (!self->finished);
  self->finished = TRUE;

  if (self->idle_source != NULL)
    g_source_destroy (self->idle_source);
  g_clear_pointer (&self->idle_source, g_source_unref);
  clear_wait_sources (self);

  if (self->user_cancellable != NULL)
    g_cancellable_disconnect (self->user_cancellable, self->cancelled_id);
  self->cancelled_id = 0;
  g_clear_object (&self->user_cancellable);

  /* Closing before EOF drops the connection, which is what we want after an
   * error or once [DONE] was seen. */
  if (self->stream != NULL)
    g_input_stream_close_async (self->stream, G_PRIORITY_DEFAULT, NULL, close_stream_cb, NULL);
  g_clear_object (&self->stream);
  g_clear_object (&self->message);

  if (error != NULL && error->domain == MOON_API_ERROR &&
      moon_api_error_get_request_id (error) == NULL && self->request_id != NULL)
    moon_api_error_set_request_id (error, self->request_id);

  /* Whatever the server said is shown and saved: never with the key. */
  if (error != NULL)
    _moon_client_redact_error (self->client, error);

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTENT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REASONING_CONTENT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FINISH_REASON]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USAGE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESPONSE_ID]);
  if (self->complete)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DONE]);
  g_object_thaw_notify (G_OBJECT (self));

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
finish_io_error (GTask        *task,
                 const GError *error)
{
  MoonCompletion *self = g_task_get_source_object (task);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_cancellable_is_cancelled (self->cancellable))
    {
      if (self->timed_out)
        {
          g_autofree char *detail =
            g_strdup_printf (g_dngettext (NULL, "no data for %u second", "no data for %u seconds",
                                          self->idle_timeout),
                             self->idle_timeout);

          finish (task, error_with_detail (self, MOON_API_ERROR_TIMEOUT, detail));
        }
      else
        {
          finish (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled")));
        }
      return;
    }

  finish (task, moon_api_error_new_from_transport (error, self->reply_started, self->request_id));
}

static gboolean
finish_if_cancelled (GTask *task)
{
  MoonCompletion *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!g_cancellable_is_cancelled (self->cancellable))
    return FALSE;

  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "");
  finish_io_error (task, error);
  return TRUE;
}

/* The end of a stream, or of a whole JSON reply. */
static void
finish_reply (GTask *task)
{
  MoonCompletion *self = g_task_get_source_object (task);
  guint skipped = moon_reply_get_n_skipped (self->reply);

  if (self->stream_error != NULL)
    {
      finish (task, g_steal_pointer (&self->stream_error));
      return;
    }

  if (!self->complete)
    {
      finish (task, moon_api_error_new_full (MOON_API_ERROR_INCOMPLETE, 0, NULL, NULL, self->request_id));
      return;
    }

  if (skipped > 0)
    {
      const char *why = self->first_skip_error->message;
      const char *summary = moon_api_error_get_summary (MOON_API_ERROR_PROTOCOL);
      g_autofree char *detail = NULL;

      /* The chunk's error repeats the summary; keep only its detail. */
      if (g_str_has_prefix (why, summary) && g_str_has_prefix (why + strlen (summary), ": "))
        why += strlen (summary) + 2;

      detail = g_strdup_printf (g_dngettext (NULL,
                                             "%u part of the reply is missing (%s)",
                                             "%u parts of the reply are missing (%s)",
                                             skipped),
                                skipped, why);

      finish (task, error_with_detail (self, MOON_API_ERROR_PROTOCOL, detail));
      return;
    }

  finish (task, NULL);
}

/* Stream events */

static void
emit_deltas (MoonCompletion  *self,
             const MoonChunk *chunk)
{
  for (guint i = 0; i < chunk->choices->len; i++)
    {
      const MoonChoiceDelta *delta = g_ptr_array_index (chunk->choices, i);

      /* We never ask for n > 1: only choice 0 is a reply. */
      if (delta->index != 0)
        continue;

      if (delta->reasoning_content != NULL && delta->reasoning_content[0] != '\0')
        g_signal_emit (self, signals[REASONING_DELTA], 0, delta->reasoning_content);

      if (g_cancellable_is_cancelled (self->cancellable))
        return;

      if (delta->content != NULL && delta->content[0] != '\0')
        g_signal_emit (self, signals[CONTENT_DELTA], 0, delta->content);

      for (guint j = 0; j < delta->tool_calls->len; j++)
        {
          const MoonToolCallDelta *call = g_ptr_array_index (delta->tool_calls, j);

          if (g_cancellable_is_cancelled (self->cancellable))
            return;

          g_signal_emit (self, signals[TOOL_CALL_DELTA], 0,
                         call->index, call->id, call->type, call->name, call->arguments);
        }
    }
}

static gboolean
on_event (const MoonSseEvent *event,
          gpointer            user_data)
{
  MoonCompletion *self = user_data;
  g_autoptr(MoonChunk) chunk = NULL;
  g_autoptr(GError) error = NULL;

  /* Stop means stop: no delta after the user pressed it. */
  if (g_cancellable_is_cancelled (self->cancellable))
    return FALSE;

  switch (moon_reply_add_event (self->reply, event->event_type, event->data, event->data_length,
                                &chunk, &error))
    {
    case MOON_REPLY_CONTINUE:
      if (chunk != NULL)
        emit_deltas (self, chunk);
      return !g_cancellable_is_cancelled (self->cancellable);

    case MOON_REPLY_SKIPPED:
      g_debug ("skipping an unreadable event: %s", error->message);
      if (self->first_skip_error == NULL)
        self->first_skip_error = g_steal_pointer (&error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SKIPPED_CHUNKS]);
      return TRUE;

    case MOON_REPLY_DONE:
      self->complete = TRUE;
      return FALSE;

    case MOON_REPLY_FAILED:
    default:
      self->stream_error = g_steal_pointer (&error);
      return FALSE;
    }
}

static void read_more (GTask *task);

/* Handles one read. Returns TRUE if the reply goes on (read more). */
static gboolean
handle_read (GTask  *task,
             gssize  n_read,
             GError *read_error)
{
  MoonCompletion *self = g_task_get_source_object (task);
  g_autoptr(GError) error = read_error;

  if (n_read < 0)
    {
      finish_io_error (task, error);
      return FALSE;
    }

  if (n_read == 0)
    {
      if (!moon_sse_parser_finish (self->parser, &error))
        finish (task, g_steal_pointer (&error));
      else
        finish_reply (task);
      return FALSE;
    }

  restart_idle_timer (self);
  self->reply_started = TRUE;

  if (!moon_sse_parser_feed (self->parser, (const char *) self->buffer, n_read, &error))
    {
      if (!finish_if_cancelled (task))
        {
          moon_api_error_set_request_id (error, self->request_id);
          finish (task, g_steal_pointer (&error));
        }
      return FALSE;
    }

  if (finish_if_cancelled (task))
    return FALSE;

  if (moon_sse_parser_is_stopped (self->parser))
    {
      finish_reply (task);
      return FALSE;
    }

  return TRUE;
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MoonCompletion *self = g_task_get_source_object (task);
  GError *error = NULL;
  gssize n_read;
  gint64 deadline;

  n_read = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  if (!handle_read (task, n_read, error))
    return;

  /* A fast stream arrives as one HTTP chunk per event, and each read
   * returns at most one chunk: take what has already arrived now, for a
   * few milliseconds, rather than one main-loop round trip per event. */
  if (G_IS_POLLABLE_INPUT_STREAM (self->stream) &&
      g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (self->stream)))
    {
      deadline = g_get_monotonic_time () + DRAIN_US;
      while (g_get_monotonic_time () < deadline)
        {
          n_read = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (self->stream),
                                                             self->buffer, READ_BUFFER_SIZE,
                                                             self->cancellable, &error);
          if (n_read < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              g_clear_error (&error);
              break;
            }
          if (!handle_read (task, n_read, error))
            return;
        }
    }

  read_more (task);
}

static void
read_more (GTask *task)
{
  MoonCompletion *self = g_task_get_source_object (task);

  /* Below redraws (GDK_PRIORITY_REDRAW) and input: a reply that arrives
   * faster than it can be shown must not keep a window from drawing it. */
  g_input_stream_read_async (self->stream, self->buffer, READ_BUFFER_SIZE, G_PRIORITY_DEFAULT_IDLE,
                             self->cancellable, read_cb, g_object_ref (task));
}

/* A 2xx answer with a JSON body: a whole (non-streaming) reply, or an error
 * object with a success status. */
static void
json_body_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MoonCompletion *self = g_task_get_source_object (task);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MoonChunk) chunk = NULL;
  gboolean truncated = FALSE;
  const char *data;
  gsize length;
  gsize skip = 0;

  body = _moon_read_bytes_finish (G_INPUT_STREAM (object), result, &truncated, &error);
  if (body == NULL)
    {
      finish_io_error (task, error);
      return;
    }

  self->reply_started = TRUE;
  data = g_bytes_get_data (body, &length);
  if (data == NULL)
    data = "";

  if (truncated)
    {
      g_autofree char *detail =
        g_strdup_printf (_("the reply is larger than %lu bytes"), (gulong) self->max_event_size);

      finish (task, error_with_detail (self, MOON_API_ERROR_PROTOCOL, detail));
      return;
    }

  /* A server that labels its event stream as JSON. */
  while (skip < length && g_ascii_isspace (data[skip]))
    skip++;
  if (length - skip >= 5 && memcmp (data + skip, "data:", 5) == 0)
    {
      if (!moon_sse_parser_feed (self->parser, data, length, &error) ||
          !moon_sse_parser_finish (self->parser, &error))
        finish (task, g_steal_pointer (&error));
      else
        finish_reply (task);
      return;
    }

  switch (moon_reply_add_event (self->reply, NULL, data, length, &chunk, &error))
    {
    case MOON_REPLY_CONTINUE:
      if (chunk != NULL)
        emit_deltas (self, chunk);
      /* A whole JSON reply is complete by nature. */
      self->complete = TRUE;
      if (!finish_if_cancelled (task))
        finish (task, NULL);
      return;

    case MOON_REPLY_DONE:
      self->complete = TRUE;
      finish (task, NULL);
      return;

    case MOON_REPLY_SKIPPED:
    case MOON_REPLY_FAILED:
    default:
      finish (task, g_steal_pointer (&error));
      return;
    }
}

/* Retries */

static guint
retry_delay_for (MoonCompletion *self,
                 const GError   *error)
{
  int retry_after = moon_api_error_get_retry_after (error);
  guint64 delay;

  if (retry_after >= 0)
    {
      /* The server said how long; "after 0 seconds" still waits a little. */
      delay = MAX ((guint64) retry_after * 1000, (guint64) self->retry_delay);
    }
  else
    {
      guint shift = MIN (self->attempts - 1, 16u);

      delay = (guint64) self->retry_delay << shift;
      /* Jitter, so that several clients do not come back in step. */
      delay += g_random_int_range (0, (gint32) MIN (delay / 4 + 1, (guint64) G_MAXINT32));
    }

  return (guint) MIN (delay, (guint64) self->max_retry_delay);
}

static gboolean
retry_timeout_cb (gpointer user_data)
{
  g_autoptr(GTask) task = g_object_ref (user_data);
  MoonCompletion *self = g_task_get_source_object (task);

  clear_wait_sources (self);
  start_attempt (task);

  return G_SOURCE_REMOVE;
}

static gboolean
retry_cancelled_cb (GCancellable *cancellable,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = g_object_ref (user_data);
  MoonCompletion *self = g_task_get_source_object (task);

  clear_wait_sources (self);
  finish_if_cancelled (task);

  return G_SOURCE_REMOVE;
}

static void
schedule_retry (GTask *task,
                guint  delay_ms)
{
  MoonCompletion *self = g_task_get_source_object (task);

  stop_idle_timer (self);

  self->wait_source = g_timeout_source_new (delay_ms);
  g_source_set_static_name (self->wait_source, "[moonchat] completion retry");
  g_source_set_callback (self->wait_source, retry_timeout_cb, g_object_ref (task), g_object_unref);
  g_source_attach (self->wait_source, self->context);

  self->wait_cancel_source = g_cancellable_source_new (self->cancellable);
  g_source_set_callback (self->wait_cancel_source, G_SOURCE_FUNC (retry_cancelled_cb),
                         g_object_ref (task), g_object_unref);
  g_source_attach (self->wait_cancel_source, self->context);
}

static void
error_body_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MoonCompletion *self = g_task_get_source_object (task);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) read_error = NULL;
  GError *error;
  const char *data = NULL;
  gsize length = 0;

  body = _moon_read_bytes_finish (G_INPUT_STREAM (object), result, NULL, &read_error);
  if (body == NULL && (g_error_matches (read_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
                       g_cancellable_is_cancelled (self->cancellable)))
    {
      finish_io_error (task, read_error);
      return;
    }

  if (body != NULL)
    data = g_bytes_get_data (body, &length);

  error = moon_api_error_new_from_response (self->status, self->content_type, data, length,
                                            self->request_id, self->retry_after_header);
  /* Before it is logged, announced or kept: a server may repeat the key. */
  _moon_client_redact_error (self->client, error);

  g_clear_object (&self->stream);

  /* Retry only what may pass later, and only before any reply byte: an
   * error status means no reply has started. Quota, auth and invalid
   * requests are never retried. */
  if (moon_api_error_is_retryable (error) && self->attempts <= self->max_retries)
    {
      guint delay = retry_delay_for (self, error);

      g_debug ("attempt %u failed (%s); retrying in %u ms", self->attempts, error->message, delay);
      g_signal_emit (self, signals[RETRYING], 0, self->attempts, delay, error);
      g_error_free (error);

      if (!finish_if_cancelled (task))
        schedule_retry (task, delay);
      return;
    }

  finish (task, error);
}

/* A 2xx page that is not a reply at all (a captive portal, a proxy's login
 * page): say what it is instead of "cut off". */
static void
html_body_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MoonCompletion *self = g_task_get_source_object (task);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *data;
  gsize length;

  body = _moon_read_bytes_finish (G_INPUT_STREAM (object), result, NULL, &error);
  if (body == NULL)
    {
      finish_io_error (task, error);
      return;
    }

  data = g_bytes_get_data (body, &length);
  text = moon_api_error_dup_readable_text (data, length, 300);
  finish (task, moon_api_error_new_full (MOON_API_ERROR_PROTOCOL, self->status, NULL, text, self->request_id));
}

static gboolean
media_type_is_json (const char *content_type)
{
  if (content_type == NULL)
    return FALSE;

  return g_ascii_strcasecmp (content_type, "application/json") == 0 ||
         g_str_has_suffix (content_type, "+json");
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MoonCompletion *self = g_task_get_source_object (task);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;

  stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (stream == NULL)
    {
      finish_io_error (task, error);
      return;
    }

  restart_idle_timer (self);

  headers = soup_message_get_response_headers (self->message);
  self->status = soup_message_get_status (self->message);
  g_free (self->content_type);
  self->content_type = g_strdup (soup_message_headers_get_content_type (headers, NULL));
  g_free (self->retry_after_header);
  self->retry_after_header = g_strdup (soup_message_headers_get_one (headers, "Retry-After"));
  g_free (self->request_id);
  self->request_id = _moon_message_dup_request_id (self->message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REQUEST_ID]);

  g_debug ("HTTP %u, %s, request id %s", self->status,
           self->content_type ? self->content_type : "no content type",
           self->request_id ? self->request_id : "none");

  g_set_object (&self->stream, stream);

  if (self->status < 200 || self->status >= 300)
    {
      _moon_read_bytes_async (stream, MAX_ERROR_BODY, self->cancellable,
                              error_body_cb, g_steal_pointer (&task));
      return;
    }

  if (self->content_type != NULL && g_ascii_strcasecmp (self->content_type, "text/html") == 0)
    {
      _moon_read_bytes_async (stream, MAX_ERROR_BODY, self->cancellable,
                              html_body_cb, g_steal_pointer (&task));
      return;
    }

  if (media_type_is_json (self->content_type))
    {
      _moon_read_bytes_async (stream, self->max_event_size, self->cancellable,
                              json_body_cb, g_steal_pointer (&task));
      return;
    }

  /* text/event-stream, or anything else that may be one (openai-mock-api
   * serves its stream as text/plain). */
  read_more (task);
}

static void
start_attempt (GTask *task)
{
  MoonCompletion *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  SoupMessage *message;

  if (finish_if_cancelled (task))
    return;

  message = _moon_client_new_message (self->client, "POST", "/chat/completions",
                                      self->body_bytes, &error);
  if (message == NULL)
    {
      finish (task, g_steal_pointer (&error));
      return;
    }

  soup_message_headers_replace (soup_message_get_request_headers (message),
                                "Accept", "text/event-stream, application/json");

  g_clear_object (&self->message);
  self->message = message;
  self->attempts++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ATTEMPTS]);

  restart_idle_timer (self);

  soup_session_send_async (moon_client_get_session (self->client), message,
                           G_PRIORITY_DEFAULT, self->cancellable,
                           send_cb, g_object_ref (task));
}

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
body_ready_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MoonCompletion *self = g_task_get_source_object (task);

  self->body_bytes = g_task_propagate_pointer (G_TASK (result), NULL);
  g_assert (self->body_bytes != NULL);

  start_attempt (task);
}

static void
forward_cancel_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/**
 * moon_completion_run_async:
 * @self: a #MoonCompletion
 * @cancellable: (nullable): cancel to stop at any moment
 * @callback: called when the reply is complete or failed
 * @user_data: data for @callback
 *
 * Sends the request and streams the reply. Deltas are signalled as they
 * arrive, on the thread-default main context of the caller. A completion
 * runs once.
 */
void
moon_completion_run_async (MoonCompletion      *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MOON_IS_COMPLETION (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_completion_run_async);
  /* Cancellation is ours to report, with the partial reply kept. */
  g_task_set_check_cancellable (task, FALSE);

  if (self->started)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "A MoonCompletion can run only once");
      return;
    }

  self->started = TRUE;
  self->context = g_main_context_ref_thread_default ();
  self->cancellable = g_cancellable_new ();
  self->buffer = g_malloc (READ_BUFFER_SIZE);
  self->parser = moon_sse_parser_new (on_event, self);
  moon_sse_parser_set_max_line_length (self->parser, self->max_event_size);
  moon_sse_parser_set_max_event_size (self->parser, self->max_event_size);

  if (cancellable != NULL)
    {
      self->user_cancellable = g_object_ref (cancellable);
      self->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (forward_cancel_cb),
                                                  g_object_ref (self->cancellable), g_object_unref);
    }

  if (self->body_bytes == NULL)
    {
      /* No source object: the worker thread may drop its reference to this
       * task a little after the callback ran, and must not keep us alive. */
      g_autoptr(GTask) serialize = g_task_new (NULL, NULL, body_ready_cb, g_steal_pointer (&task));

      g_task_set_source_tag (serialize, serialize_in_thread);
      g_task_set_task_data (serialize, json_node_ref (self->body), (GDestroyNotify) json_node_unref);
      g_task_run_in_thread (serialize, serialize_in_thread);
      return;
    }

  start_attempt (task);
}

/**
 * moon_completion_run_finish:
 * @self: a #MoonCompletion
 * @result: the result
 * @error: return location for a #GError
 *
 * Whatever the outcome, the content, reasoning and tool calls received stay
 * available from the getters. Errors are in %MOON_API_ERROR, or
 * %G_IO_ERROR_CANCELLED.
 *
 * Returns: %TRUE if the reply arrived complete
 */
gboolean
moon_completion_run_finish (MoonCompletion  *self,
                            GAsyncResult    *result,
                            GError         **error)
{
  g_return_val_if_fail (MOON_IS_COMPLETION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * moon_completion_get_client:
 * @self: a #MoonCompletion
 *
 * Returns: (transfer none): the client
 */
MoonClient *
moon_completion_get_client (MoonCompletion *self)
{
  g_return_val_if_fail (MOON_IS_COMPLETION (self), NULL);

  return self->client;
}

/**
 * moon_completion_get_content:
 * @self: a #MoonCompletion
 *
 * Returns: the reply text so far (never %NULL)
 */
const char *
moon_completion_get_content (MoonCompletion *self)
{
  MoonReplyChoice *choice;

  g_return_val_if_fail (MOON_IS_COMPLETION (self), NULL);

  choice = moon_reply_get_choice (self->reply, 0);
  return choice != NULL ? choice->content->str : "";
}

/**
 * moon_completion_get_reasoning_content:
 * @self: a #MoonCompletion
 *
 * Returns: the reasoning so far (never %NULL)
 */
const char *
moon_completion_get_reasoning_content (MoonCompletion *self)
{
  MoonReplyChoice *choice;

  g_return_val_if_fail (MOON_IS_COMPLETION (self), NULL);

  choice = moon_reply_get_choice (self->reply, 0);
  return choice != NULL ? choice->reasoning_content->str : "";
}

/**
 * moon_completion_get_tool_calls:
 * @self: a #MoonCompletion
 *
 * Returns: (transfer none) (element-type MoonToolCall): the merged tool
 *   calls so far, sorted by index; see moon_tool_calls_to_json()
 */
GPtrArray *
moon_completion_get_tool_calls (MoonCompletion *self)
{
  MoonReplyChoice *choice;

  g_return_val_if_fail (MOON_IS_COMPLETION (self), NULL);

  choice = moon_reply_get_choice (self->reply, 0);
  return choice != NULL ? choice->tool_calls : self->no_tool_calls;
}

/**
 * moon_completion_get_finish_reason:
 * @self: a #MoonCompletion
 *
 * Returns: (nullable): the finish reason
 */
const char *
moon_completion_get_finish_reason (MoonCompletion *self)
{
  MoonReplyChoice *choice;

  g_return_val_if_fail (MOON_IS_COMPLETION (self), NULL);

  choice = moon_reply_get_choice (self->reply, 0);
  return choice != NULL ? choice->finish_reason : NULL;
}

/**
 * moon_completion_get_usage:
 * @self: a #MoonCompletion
 *
 * Returns: (nullable): the usage, or %NULL if the server sent none
 */
const MoonUsage *
moon_completion_get_usage (MoonCompletion *self)
{
  g_return_val_if_fail (MOON_IS_COMPLETION (self), NULL);

  return moon_reply_get_usage (self->reply);
}

/**
 * moon_completion_get_model:
 * @self: a #MoonCompletion
 *
 * Returns: (nullable): the model the server says answered
 */
const char *
moon_completion_get_model (MoonCompletion *self)
{
  g_return_val_if_fail (MOON_IS_COMPLETION (self), NULL);

  return moon_reply_get_model (self->reply);
}

/**
 * moon_completion_get_response_id:
 * @self: a #MoonCompletion
 *
 * Returns: (nullable): the completion `id`
 */
const char *
moon_completion_get_response_id (MoonCompletion *self)
{
  g_return_val_if_fail (MOON_IS_COMPLETION (self), NULL);

  return moon_reply_get_id (self->reply);
}

/**
 * moon_completion_get_request_id:
 * @self: a #MoonCompletion
 *
 * Returns: (nullable): the `Msh-Request-Id` of the last response
 */
const char *
moon_completion_get_request_id (MoonCompletion *self)
{
  g_return_val_if_fail (MOON_IS_COMPLETION (self), NULL);

  return self->request_id;
}

/**
 * moon_completion_get_done:
 * @self: a #MoonCompletion
 *
 * Returns: whether the reply arrived complete
 */
gboolean
moon_completion_get_done (MoonCompletion *self)
{
  g_return_val_if_fail (MOON_IS_COMPLETION (self), FALSE);

  return self->complete;
}

/**
 * moon_completion_get_attempts:
 * @self: a #MoonCompletion
 *
 * Returns: how many times the request was sent
 */
guint
moon_completion_get_attempts (MoonCompletion *self)
{
  g_return_val_if_fail (MOON_IS_COMPLETION (self), 0);

  return self->attempts;
}

/**
 * moon_completion_get_skipped_chunks:
 * @self: a #MoonCompletion
 *
 * Returns: how many events could not be read
 */
guint
moon_completion_get_skipped_chunks (MoonCompletion *self)
{
  g_return_val_if_fail (MOON_IS_COMPLETION (self), 0);

  return moon_reply_get_n_skipped (self->reply);
}

/**
 * moon_completion_get_idle_timeout:
 * @self: a #MoonCompletion
 *
 * Returns: the idle timeout in seconds
 */
guint
moon_completion_get_idle_timeout (MoonCompletion *self)
{
  g_return_val_if_fail (MOON_IS_COMPLETION (self), 0);

  return self->idle_timeout;
}

/**
 * moon_completion_set_idle_timeout:
 * @self: a #MoonCompletion
 * @seconds: seconds without data before giving up; 0 for never
 *
 * Sets #MoonCompletion:idle-timeout. Takes effect with the next byte.
 */
void
moon_completion_set_idle_timeout (MoonCompletion *self,
                                  guint           seconds)
{
  g_return_if_fail (MOON_IS_COMPLETION (self));

  seconds = MIN (seconds, G_MAXUINT / 1000);
  if (self->idle_timeout == seconds)
    return;

  self->idle_timeout = seconds;
  if (seconds == 0)
    stop_idle_timer (self);
  else if (self->idle_source != NULL && g_source_get_ready_time (self->idle_source) != -1)
    g_source_set_ready_time (self->idle_source, self->last_activity + (gint64) seconds * G_USEC_PER_SEC);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IDLE_TIMEOUT]);
}

/**
 * moon_completion_get_max_retries:
 * @self: a #MoonCompletion
 *
 * Returns: the most retries
 */
guint
moon_completion_get_max_retries (MoonCompletion *self)
{
  g_return_val_if_fail (MOON_IS_COMPLETION (self), 0);

  return self->max_retries;
}

/**
 * moon_completion_set_max_retries:
 * @self: a #MoonCompletion
 * @max_retries: the most retries
 *
 * Sets #MoonCompletion:max-retries.
 */
void
moon_completion_set_max_retries (MoonCompletion *self,
                                 guint           max_retries)
{
  g_return_if_fail (MOON_IS_COMPLETION (self));

  max_retries = MIN (max_retries, 100);
  if (self->max_retries == max_retries)
    return;

  self->max_retries = max_retries;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_RETRIES]);
}

/**
 * moon_completion_get_retry_delay:
 * @self: a #MoonCompletion
 *
 * Returns: the first backoff delay in milliseconds
 */
guint
moon_completion_get_retry_delay (MoonCompletion *self)
{
  g_return_val_if_fail (MOON_IS_COMPLETION (self), 0);

  return self->retry_delay;
}

/**
 * moon_completion_set_retry_delay:
 * @self: a #MoonCompletion
 * @milliseconds: the first backoff delay
 *
 * Sets #MoonCompletion:retry-delay.
 */
void
moon_completion_set_retry_delay (MoonCompletion *self,
                                 guint           milliseconds)
{
  g_return_if_fail (MOON_IS_COMPLETION (self));

  if (self->retry_delay == milliseconds)
    return;

  self->retry_delay = milliseconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_DELAY]);
}

/**
 * moon_completion_get_max_retry_delay:
 * @self: a #MoonCompletion
 *
 * Returns: the longest wait before a retry, in milliseconds
 */
guint
moon_completion_get_max_retry_delay (MoonCompletion *self)
{
  g_return_val_if_fail (MOON_IS_COMPLETION (self), 0);

  return self->max_retry_delay;
}

/**
 * moon_completion_set_max_retry_delay:
 * @self: a #MoonCompletion
 * @milliseconds: the longest wait before a retry
 *
 * Sets #MoonCompletion:max-retry-delay.
 */
void
moon_completion_set_max_retry_delay (MoonCompletion *self,
                                     guint           milliseconds)
{
  g_return_if_fail (MOON_IS_COMPLETION (self));

  if (self->max_retry_delay == milliseconds)
    return;

  self->max_retry_delay = milliseconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_RETRY_DELAY]);
}

/**
 * moon_completion_get_max_event_size:
 * @self: a #MoonCompletion
 *
 * Returns: the cap on one line or event, in bytes
 */
guint64
moon_completion_get_max_event_size (MoonCompletion *self)
{
  g_return_val_if_fail (MOON_IS_COMPLETION (self), 0);

  return self->max_event_size;
}

/**
 * moon_completion_set_max_event_size:
 * @self: a #MoonCompletion
 * @bytes: the cap on one line or event (at least 1024)
 *
 * Sets #MoonCompletion:max-event-size. Only before the run starts.
 */
void
moon_completion_set_max_event_size (MoonCompletion *self,
                                    guint64         bytes)
{
  g_return_if_fail (MOON_IS_COMPLETION (self));
  g_return_if_fail (!self->started);

  bytes = CLAMP (bytes, 1024, G_MAXUINT32);
  if (self->max_event_size == bytes)
    return;

  self->max_event_size = bytes;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_EVENT_SIZE]);
}
