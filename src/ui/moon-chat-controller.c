/* moon-chat-controller.c — runs replies: from a conversation to a request,
 * and from the stream back into the reply message
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-chat-controller"

#include "config.h"

#include <glib/gi18n.h>

#include "moon-api-error.h"
#include "moon-chat-controller.h"
#include "moon-chat-session.h"
#include "moon-model-limits.h"
#include "moon-message-row.h"

/* One reply at a time per conversation, any number of conversations at
 * once. MoonChatSession does the work (plan the request, stream the deltas
 * into the reply message, keep what arrived on failure or Stop); the
 * controller keeps one session per client, checks what the user can be told
 * at once (no key, busy, read-only), remembers each run's cancellable for
 * Stop, and reports the end of each reply. */

typedef struct
{
  MoonChatController *self;          /* (owned) */
  MoonConversation   *conversation;  /* (owned) */
  MoonChatSession    *session;       /* (owned) */
  GCancellable       *cancellable;   /* (owned) */
  gint64              started;
} Run;

struct _MoonChatController
{
  GObject                parent_instance;

  MoonConversationStore *store;
  MoonContext           *context;
  MoonClient            *client;
  MoonChatSession       *session;  /* for @client */
  char                  *default_model;
  GHashTable            *runs;     /* MoonConversation → Run */
};

G_DEFINE_FINAL_TYPE (MoonChatController, moon_chat_controller, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_DEFAULT_MODEL,
  PROP_N_RUNNING,
  N_PROPS
};

enum {
  REPLY_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
run_free (Run *run)
{
  g_clear_object (&run->conversation);
  g_clear_object (&run->session);
  g_clear_object (&run->cancellable);
  g_free (run);
}

static MoonMessage *
last_reply (MoonConversation *conversation)
{
  MoonMessage *last = moon_conversation_get_last_message (conversation);

  if (last != NULL && moon_message_get_role (last) == MOON_MESSAGE_ROLE_ASSISTANT)
    return last;

  return NULL;
}

typedef MoonMessage *(*FinishFunc) (MoonChatSession *, GAsyncResult *, GError **);

static void
run_done (Run          *run,
          GAsyncResult *result,
          FinishFunc    finish)
{
  MoonChatController *self = run->self;
  g_autoptr(MoonConversation) conversation = g_object_ref (run->conversation);
  g_autoptr(MoonMessage) reply = NULL;
  g_autoptr(GError) error = NULL;
  gint64 duration = g_get_monotonic_time () - run->started;

  reply = finish (run->session, result, &error);
  if (reply == NULL)
    {
      MoonMessage *last = last_reply (conversation);

      /* The reply, if one was appended, is kept as failed or cancelled. */
      if (last != NULL && moon_message_is_finished (last))
        reply = g_object_ref (last);
      g_debug ("Reply ended: %s", error->message);
    }

  if (reply != NULL)
    moon_message_note_duration (reply, duration);

  /* Frees @run. */
  g_hash_table_remove (self->runs, conversation);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_RUNNING]);

  g_signal_emit (self, signals[REPLY_FINISHED], 0, conversation, reply, error);
  g_object_unref (self);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  run_done (user_data, result, moon_chat_session_send_finish);
}

static void
continue_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  run_done (user_data, result, moon_chat_session_continue_finish);
}

static void
regenerate_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  run_done (user_data, result, moon_chat_session_regenerate_finish);
}

static gboolean
check_can_run (MoonChatController  *self,
               MoonConversation    *conversation,
               GError             **error)
{
  if (self->client == NULL || !moon_client_has_api_key (self->client))
    {
      g_set_error_literal (error, MOON_API_ERROR, MOON_API_ERROR_AUTH,
                           _("No API key is set. Add one in Preferences."));
      return FALSE;
    }

  if (g_hash_table_contains (self->runs, conversation) || moon_conversation_get_is_busy (conversation))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           _("This conversation is still receiving a reply"));
      return FALSE;
    }

  if (moon_conversation_get_read_only (conversation))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_READ_ONLY,
                           _("This conversation is read-only"));
      return FALSE;
    }

  /* A new conversation takes the default model when it first sends. */
  if (moon_conversation_get_model (conversation) == NULL ||
      moon_conversation_get_model (conversation)[0] == '\0')
    moon_conversation_set_model (conversation, self->default_model ? self->default_model : "kimi-k2.5");

  return TRUE;
}

static Run *
start_run (MoonChatController *self,
           MoonConversation   *conversation)
{
  Run *run = g_new0 (Run, 1);

  run->self = g_object_ref (self);
  run->conversation = g_object_ref (conversation);
  run->session = g_object_ref (self->session);
  run->cancellable = g_cancellable_new ();
  run->started = g_get_monotonic_time ();

  g_hash_table_insert (self->runs, conversation, run);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_RUNNING]);

  return run;
}

static void
moon_chat_controller_dispose (GObject *object)
{
  MoonChatController *self = MOON_CHAT_CONTROLLER (object);

  moon_chat_controller_stop_all (self);
  g_clear_object (&self->session);
  g_clear_object (&self->client);
  g_clear_object (&self->context);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (moon_chat_controller_parent_class)->dispose (object);
}

static void
moon_chat_controller_finalize (GObject *object)
{
  MoonChatController *self = MOON_CHAT_CONTROLLER (object);

  g_clear_pointer (&self->runs, g_hash_table_unref);
  g_clear_pointer (&self->default_model, g_free);

  G_OBJECT_CLASS (moon_chat_controller_parent_class)->finalize (object);
}

static void
moon_chat_controller_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  MoonChatController *self = MOON_CHAT_CONTROLLER (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;

    case PROP_DEFAULT_MODEL:
      g_value_set_string (value, self->default_model);
      break;

    case PROP_N_RUNNING:
      g_value_set_uint (value, g_hash_table_size (self->runs));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_chat_controller_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  MoonChatController *self = MOON_CHAT_CONTROLLER (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      moon_chat_controller_set_client (self, g_value_get_object (value));
      break;

    case PROP_DEFAULT_MODEL:
      moon_chat_controller_set_default_model (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_chat_controller_class_init (MoonChatControllerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = moon_chat_controller_dispose;
  object_class->finalize = moon_chat_controller_finalize;
  object_class->get_property = moon_chat_controller_get_property;
  object_class->set_property = moon_chat_controller_set_property;

  /**
   * MoonChatController:client:
   *
   * The client new replies are requested from. Replies already running
   * keep the client they started with.
   */
  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, MOON_TYPE_CLIENT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonChatController:default-model:
   *
   * The model for conversations that do not name one.
   */
  properties[PROP_DEFAULT_MODEL] =
    g_param_spec_string ("default-model", NULL, NULL, NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonChatController:n-running:
   *
   * How many replies are arriving right now.
   */
  properties[PROP_N_RUNNING] =
    g_param_spec_uint ("n-running", NULL, NULL, 0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MoonChatController::reply-finished:
   * @self: a #MoonChatController
   * @conversation: the conversation
   * @reply: the reply message, now done, cancelled or failed
   * @error: (nullable): why it failed or was cancelled
   *
   * A reply ended. Its message already holds the outcome.
   */
  signals[REPLY_FINISHED] =
    g_signal_new ("reply-finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, MOON_TYPE_CONVERSATION, MOON_TYPE_MESSAGE, G_TYPE_ERROR);
}

static void
moon_chat_controller_init (MoonChatController *self)
{
  self->runs = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) run_free);
  self->context = moon_context_new (NULL);
}

/**
 * moon_chat_controller_new:
 * @store: the store whose conversations it runs replies in
 *
 * Returns: (transfer full): a controller without a client yet
 */
MoonChatController *
moon_chat_controller_new (MoonConversationStore *store)
{
  MoonChatController *self;

  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (store), NULL);

  self = g_object_new (MOON_TYPE_CHAT_CONTROLLER, NULL);
  self->store = g_object_ref (store);

  return self;
}

/**
 * moon_chat_controller_get_client:
 * @self: a #MoonChatController
 *
 * Returns: (transfer none) (nullable): the client
 */
MoonClient *
moon_chat_controller_get_client (MoonChatController *self)
{
  g_return_val_if_fail (MOON_IS_CHAT_CONTROLLER (self), NULL);

  return self->client;
}

/**
 * moon_chat_controller_set_client:
 * @self: a #MoonChatController
 * @client: (nullable): the client for new replies
 */
void
moon_chat_controller_set_client (MoonChatController *self,
                                 MoonClient         *client)
{
  g_return_if_fail (MOON_IS_CHAT_CONTROLLER (self));
  g_return_if_fail (client == NULL || MOON_IS_CLIENT (client));

  if (!g_set_object (&self->client, client))
    return;

  /* Replies already running keep the session they started with. */
  g_clear_object (&self->session);
  if (client != NULL)
    self->session = moon_chat_session_new (client, self->store, self->context);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
}

const char *
moon_chat_controller_get_default_model (MoonChatController *self)
{
  g_return_val_if_fail (MOON_IS_CHAT_CONTROLLER (self), NULL);

  return self->default_model;
}

/**
 * moon_chat_controller_set_default_model:
 * @self: a #MoonChatController
 * @model: (nullable): a model id
 */
void
moon_chat_controller_set_default_model (MoonChatController *self,
                                        const char         *model)
{
  g_return_if_fail (MOON_IS_CHAT_CONTROLLER (self));

  if (g_set_str (&self->default_model, model))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEFAULT_MODEL]);
}

/**
 * moon_chat_controller_send:
 * @self: a #MoonChatController
 * @conversation: a loaded conversation
 * @text: what the user wrote
 * @error: return location for an error
 *
 * Appends @text as a user message and an empty reply, and starts streaming
 * the reply into it.
 *
 * Returns: %TRUE if the reply started; %FALSE leaves @conversation as it was
 */
gboolean
moon_chat_controller_send (MoonChatController  *self,
                           MoonConversation    *conversation,
                           const char          *text,
                           GError             **error)
{
  Run *run;

  g_return_val_if_fail (MOON_IS_CHAT_CONTROLLER (self), FALSE);
  g_return_val_if_fail (MOON_IS_CONVERSATION (conversation), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if (!check_can_run (self, conversation, error))
    return FALSE;

  run = start_run (self, conversation);
  moon_chat_session_send_async (run->session, conversation, text, run->cancellable, send_cb, run);

  return TRUE;
}

/**
 * moon_chat_controller_resend:
 * @self: a #MoonChatController
 * @conversation: a loaded conversation
 * @user_message: a user message of @conversation
 * @text: its new text
 * @error: return location for an error
 *
 * Edit and resend: @user_message and everything after it go, and @text is
 * sent in its place.
 *
 * Returns: %TRUE if the reply started
 */
gboolean
moon_chat_controller_resend (MoonChatController  *self,
                             MoonConversation    *conversation,
                             MoonMessage         *user_message,
                             const char          *text,
                             GError             **error)
{
  g_return_val_if_fail (MOON_IS_CHAT_CONTROLLER (self), FALSE);
  g_return_val_if_fail (MOON_IS_CONVERSATION (conversation), FALSE);
  g_return_val_if_fail (MOON_IS_MESSAGE (user_message), FALSE);

  if (!check_can_run (self, conversation, error))
    return FALSE;

  if (moon_conversation_find_message (conversation, moon_message_get_id (user_message), NULL) == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("The message is no longer in the conversation"));
      return FALSE;
    }

  moon_conversation_truncate_after (conversation, user_message);
  moon_conversation_remove_message (conversation, user_message);

  return moon_chat_controller_send (self, conversation, text, error);
}

/**
 * moon_chat_controller_regenerate:
 * @self: a #MoonChatController
 * @conversation: a loaded conversation
 * @reply: an assistant message of @conversation (a failed one to retry)
 * @error: return location for an error
 *
 * Replaces @reply, and everything after it, with a new reply.
 *
 * Returns: %TRUE if the new reply started
 */
gboolean
moon_chat_controller_regenerate (MoonChatController  *self,
                                 MoonConversation    *conversation,
                                 MoonMessage         *reply,
                                 GError             **error)
{
  Run *run;

  g_return_val_if_fail (MOON_IS_CHAT_CONTROLLER (self), FALSE);
  g_return_val_if_fail (MOON_IS_CONVERSATION (conversation), FALSE);
  g_return_val_if_fail (MOON_IS_MESSAGE (reply), FALSE);

  if (!check_can_run (self, conversation, error))
    return FALSE;

  if (moon_conversation_find_message (conversation, moon_message_get_id (reply), NULL) == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("The message is no longer in the conversation"));
      return FALSE;
    }

  run = start_run (self, conversation);
  moon_chat_session_regenerate_async (run->session, conversation, reply, run->cancellable,
                                      regenerate_cb, run);

  return TRUE;
}

/**
 * moon_chat_controller_continue:
 * @self: a #MoonChatController
 * @conversation: a loaded conversation
 * @reply: a reply that was cut off, stopped or interrupted
 * @error: return location for an error
 *
 * Asks the model to go on from the end of @reply (Partial Mode) and appends
 * the new text to @reply itself. Usage adds up.
 *
 * Returns: %TRUE if the continuation started
 */
gboolean
moon_chat_controller_continue (MoonChatController  *self,
                               MoonConversation    *conversation,
                               MoonMessage         *reply,
                               GError             **error)
{
  Run *run;

  g_return_val_if_fail (MOON_IS_CHAT_CONTROLLER (self), FALSE);
  g_return_val_if_fail (MOON_IS_CONVERSATION (conversation), FALSE);
  g_return_val_if_fail (MOON_IS_MESSAGE (reply), FALSE);

  if (!check_can_run (self, conversation, error))
    return FALSE;

  if (!moon_chat_session_can_continue (reply))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("This reply cannot be continued"));
      return FALSE;
    }

  run = start_run (self, conversation);
  moon_chat_session_continue_async (run->session, conversation, reply, run->cancellable,
                                    continue_cb, run);

  return TRUE;
}

/**
 * moon_chat_controller_stop:
 * @self: a #MoonChatController
 * @conversation: a conversation
 *
 * Stops the reply arriving in @conversation. What arrived so far stays.
 *
 * Returns: %TRUE if a reply was running
 */
gboolean
moon_chat_controller_stop (MoonChatController *self,
                           MoonConversation   *conversation)
{
  Run *run;

  g_return_val_if_fail (MOON_IS_CHAT_CONTROLLER (self), FALSE);

  run = g_hash_table_lookup (self->runs, conversation);
  if (run == NULL)
    return FALSE;

  g_cancellable_cancel (run->cancellable);
  return TRUE;
}

/**
 * moon_chat_controller_stop_all:
 * @self: a #MoonChatController
 *
 * Stops every reply (on quit). Each ends as if its Stop was pressed.
 */
void
moon_chat_controller_stop_all (MoonChatController *self)
{
  GHashTableIter iter;
  Run *run;

  g_return_if_fail (MOON_IS_CHAT_CONTROLLER (self));

  if (self->runs == NULL)
    return;

  g_hash_table_iter_init (&iter, self->runs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &run))
    g_cancellable_cancel (run->cancellable);
}

/**
 * moon_chat_controller_is_running:
 * @self: a #MoonChatController
 * @conversation: a conversation
 *
 * Returns: whether a reply is arriving in @conversation
 */
gboolean
moon_chat_controller_is_running (MoonChatController *self,
                                 MoonConversation   *conversation)
{
  g_return_val_if_fail (MOON_IS_CHAT_CONTROLLER (self), FALSE);

  return g_hash_table_contains (self->runs, conversation);
}

/**
 * moon_chat_controller_get_n_running:
 * @self: a #MoonChatController
 *
 * Returns: how many replies are arriving
 */
guint
moon_chat_controller_get_n_running (MoonChatController *self)
{
  g_return_val_if_fail (MOON_IS_CHAT_CONTROLLER (self), 0);

  return g_hash_table_size (self->runs);
}

/**
 * moon_chat_controller_preview:
 * @self: a #MoonChatController
 * @conversation: a loaded conversation
 * @out_messages: (out) (optional): how many messages the next request carries
 * @out_tokens: (out) (optional): its estimated prompt tokens
 * @out_window: (out) (optional): the model's context window, or 0
 *
 * What sending now would carry, for the context meter.
 *
 * Returns: %TRUE if there is a client to plan with
 */
gboolean
moon_chat_controller_preview (MoonChatController *self,
                              MoonConversation   *conversation,
                              guint              *out_messages,
                              guint              *out_tokens,
                              gint64             *out_window)
{
  g_autoptr(MoonContextPlan) plan = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (MOON_IS_CHAT_CONTROLLER (self), FALSE);
  g_return_val_if_fail (MOON_IS_CONVERSATION (conversation), FALSE);

  if (self->session == NULL)
    return FALSE;

  if (moon_conversation_get_model (conversation) == NULL ||
      moon_conversation_get_model (conversation)[0] == '\0')
    {
      MoonModelLimits limits;

      /* Nothing written yet: nothing to plan, and a new conversation is
       * not saved before it has something in it. */
      if (g_list_model_get_n_items (G_LIST_MODEL (conversation)) == 0)
        {
          moon_model_limits_lookup (self->client, self->default_model, &limits);
          if (out_messages != NULL)
            *out_messages = 0;
          if (out_tokens != NULL)
            *out_tokens = 0;
          if (out_window != NULL)
            *out_window = limits.context_length;
          return TRUE;
        }

      /* A conversation saved without a model uses the default; say so. */
      moon_conversation_set_model (conversation, self->default_model ? self->default_model : "kimi-k2.5");
    }

  plan = moon_chat_session_preview (self->session, conversation, &error);
  if (plan == NULL)
    {
      g_debug ("No preview: %s", error->message);
      return FALSE;
    }

  if (out_messages != NULL)
    *out_messages = moon_context_plan_get_n_sent (plan);
  if (out_tokens != NULL)
    *out_tokens = moon_context_plan_get_estimated_prompt_tokens (plan);
  if (out_window != NULL)
    *out_window = moon_context_plan_get_context_length (plan);

  return TRUE;
}
