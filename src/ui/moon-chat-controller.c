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
#include "moon-completion.h"
#include "moon-message-row.h"
#include "moon-token-estimator.h"

/* One reply at a time per conversation, any number of conversations at
 * once. The network only writes into the reply MoonMessage; the store saves
 * the conversation by itself when it changes. Stopping keeps the partial
 * reply (state "cancelled"), a failure keeps it too (state "failed" with the
 * server's message). */

typedef struct
{
  MoonChatController *self;          /* (unowned) the controller outlives its runs */
  MoonConversation   *conversation;  /* (owned) */
  MoonMessage        *reply;         /* (owned) */
  MoonCompletion     *completion;    /* (owned) */
  GCancellable       *cancellable;   /* (owned) */
  gint64              started;
  MoonUsage           usage_before;
  gboolean            has_usage_before;
} Run;

struct _MoonChatController
{
  GObject     parent_instance;

  MoonClient         *client;
  char               *default_model;
  GHashTable         *runs;  /* MoonConversation → Run */
  MoonTokenEstimator *estimator;
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
  if (run->completion != NULL)
    g_signal_handlers_disconnect_by_data (run->completion, run);
  g_clear_object (&run->conversation);
  g_clear_object (&run->reply);
  g_clear_object (&run->completion);
  g_clear_object (&run->cancellable);
  g_free (run);
}

static const char *
conversation_model (MoonChatController *self,
                    MoonConversation   *conversation)
{
  const char *model = moon_conversation_get_model (conversation);

  if (model != NULL && model[0] != '\0')
    return model;

  return self->default_model ? self->default_model : "kimi-k2.5";
}

static gboolean
is_sendable (MoonMessage *message)
{
  MoonMessageRole role = moon_message_get_role (message);

  if (role != MOON_MESSAGE_ROLE_USER && role != MOON_MESSAGE_ROLE_ASSISTANT &&
      role != MOON_MESSAGE_ROLE_SYSTEM)
    return FALSE;

  if (moon_message_get_content_length (message) == 0)
    return FALSE;

  if (role == MOON_MESSAGE_ROLE_ASSISTANT)
    return moon_message_get_state (message) == MOON_MESSAGE_STATE_DONE;

  return TRUE;
}

static JsonNode *
message_to_request (MoonMessage *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, moon_message_role_to_string (moon_message_get_role (message)));
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, moon_message_get_content (message));
  if (moon_message_get_name (message) != NULL)
    {
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, moon_message_get_name (message));
    }
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* The request for @reply: the system prompt, the finished messages before
 * @reply (the newest ones within the conversation's message limit) and, to
 * continue a reply or to start one with a prefix, a final partial assistant
 * message (Partial Mode, kimi-api.md §5). */
static JsonNode *
build_body (MoonChatController *self,
            MoonConversation   *conversation,
            MoonMessage        *reply,
            gboolean            continuing)
{
  const char *model = conversation_model (self, conversation);
  g_autoptr(MoonModelInfo) info = NULL;
  g_autoptr(GPtrArray) history = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  JsonObject *body = json_object_new ();
  JsonArray *messages = json_array_new ();
  JsonNode *root = json_node_new (JSON_NODE_OBJECT);
  const char *system_prompt = moon_conversation_get_system_prompt (conversation);
  guint limit = moon_conversation_get_context_message_limit (conversation);
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (conversation));
  guint first;

  info = self->client ? moon_client_lookup_model (self->client, model) : NULL;
  if (info == NULL)
    info = moon_model_info_lookup (model);

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(MoonMessage) message = g_list_model_get_item (G_LIST_MODEL (conversation), i);

      if (message == reply)
        break;

      if (is_sendable (message))
        g_ptr_array_add (history, message_to_request (message));
    }

  if (system_prompt != NULL && system_prompt[0] != '\0')
    {
      JsonObject *system = json_object_new ();

      json_object_set_string_member (system, "role", "system");
      json_object_set_string_member (system, "content", system_prompt);
      json_array_add_object_element (messages, system);
    }

  first = (limit > 0 && history->len > limit) ? history->len - limit : 0;
  for (guint i = first; i < history->len; i++)
    json_array_add_element (messages, json_node_ref (g_ptr_array_index (history, i)));

  if (reply != NULL && (continuing || moon_message_get_partial (reply)))
    {
      JsonObject *partial = json_object_new ();

      json_object_set_string_member (partial, "role", "assistant");
      json_object_set_string_member (partial, "content", moon_message_get_content (reply));
      json_object_set_boolean_member (partial, "partial", TRUE);
      if (moon_message_get_name (reply) != NULL)
        json_object_set_string_member (partial, "name", moon_message_get_name (reply));
      json_array_add_object_element (messages, partial);
    }

  json_object_set_string_member (body, "model", model);
  json_object_set_array_member (body, "messages", messages);
  json_object_set_boolean_member (body, "stream", TRUE);
  {
    JsonObject *options = json_object_new ();

    json_object_set_boolean_member (options, "include_usage", TRUE);
    json_object_set_object_member (body, "stream_options", options);
  }

  if (moon_conversation_get_temperature (conversation) >= 0)
    json_object_set_double_member (body, "temperature", moon_conversation_get_temperature (conversation));
  if (moon_conversation_get_max_tokens (conversation) > 0)
    json_object_set_int_member (body, "max_tokens", moon_conversation_get_max_tokens (conversation));

  if (info != NULL && moon_model_info_get_thinking (info) == MOON_THINKING_SWITCHABLE)
    {
      JsonObject *thinking = json_object_new ();

      json_object_set_string_member (thinking, "type",
                                     moon_conversation_get_thinking (conversation) ? "enabled" : "disabled");
      json_object_set_object_member (body, "thinking", thinking);
    }

  if (info != NULL)
    moon_model_info_filter_request (info, body);

  json_node_take_object (root, body);
  return root;
}

static void
content_delta_cb (MoonCompletion *completion,
                  const char     *text,
                  Run            *run)
{
  if (moon_message_get_state (run->reply) == MOON_MESSAGE_STATE_PENDING)
    moon_message_set_state (run->reply, MOON_MESSAGE_STATE_STREAMING);
  moon_message_append_content (run->reply, text, -1);
}

static void
reasoning_delta_cb (MoonCompletion *completion,
                    const char     *text,
                    Run            *run)
{
  if (moon_message_get_state (run->reply) == MOON_MESSAGE_STATE_PENDING)
    moon_message_set_state (run->reply, MOON_MESSAGE_STATE_STREAMING);
  moon_message_append_reasoning_content (run->reply, text, -1);
}

static void
apply_usage (Run *run)
{
  const MoonUsage *usage = moon_completion_get_usage (run->completion);
  MoonUsage sum;

  if (usage == NULL)
    return;

  /* A continued reply costs both requests. */
  sum = run->usage_before;
  if (run->has_usage_before)
    moon_usage_add (&sum, usage);
  else
    sum = *usage;

  moon_message_set_usage (run->reply, &sum);
}

static void
run_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  MoonCompletion *completion = MOON_COMPLETION (object);
  Run *run = user_data;
  MoonChatController *self = run->self;
  g_autoptr(MoonConversation) conversation = g_object_ref (run->conversation);
  g_autoptr(MoonMessage) reply = g_object_ref (run->reply);
  g_autoptr(GError) error = NULL;
  const char *model;

  moon_completion_run_finish (completion, result, &error);

  model = moon_completion_get_model (completion);
  if (model != NULL && model[0] != '\0')
    moon_message_set_model (reply, model);
  apply_usage (run);
  moon_message_note_duration (reply, g_get_monotonic_time () - run->started);

  if (error == NULL)
    {
      moon_message_set_finish_reason (reply, moon_completion_get_finish_reason (completion));
      moon_message_set_state (reply, MOON_MESSAGE_STATE_DONE);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      moon_message_set_state (reply, MOON_MESSAGE_STATE_CANCELLED);
    }
  else
    {
      g_debug ("Reply failed: %s", error->message);
      moon_message_set_error (reply, error);
      moon_message_set_state (reply, MOON_MESSAGE_STATE_FAILED);
    }

  /* Frees @run. */
  g_hash_table_remove (self->runs, conversation);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_RUNNING]);

  g_signal_emit (self, signals[REPLY_FINISHED], 0, conversation, reply, error);
  g_object_unref (self);
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

  if (g_hash_table_contains (self->runs, conversation))
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

  return TRUE;
}

static void
start_run (MoonChatController *self,
           MoonConversation   *conversation,
           MoonMessage        *reply,
           gboolean            continuing)
{
  g_autoptr(JsonNode) body = NULL;
  Run *run;

  body = build_body (self, conversation, reply, continuing);

  run = g_new0 (Run, 1);
  run->self = self;
  run->conversation = g_object_ref (conversation);
  run->reply = g_object_ref (reply);
  run->cancellable = g_cancellable_new ();
  run->started = g_get_monotonic_time ();
  run->completion = moon_client_new_completion (self->client, body);

  if (continuing && moon_message_get_usage (reply) != NULL)
    {
      run->usage_before = *moon_message_get_usage (reply);
      run->has_usage_before = TRUE;
    }

  g_signal_connect (run->completion, "content-delta", G_CALLBACK (content_delta_cb), run);
  g_signal_connect (run->completion, "reasoning-delta", G_CALLBACK (reasoning_delta_cb), run);

  g_hash_table_insert (self->runs, conversation, run);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_RUNNING]);

  moon_completion_run_async (run->completion, run->cancellable, run_cb, run);
  g_object_ref (self);
}

static MoonMessage *
append_reply (MoonChatController *self,
              MoonConversation   *conversation)
{
  g_autoptr(MoonMessage) reply = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, "");
  const char *prefix = moon_conversation_get_partial_prefix (conversation);
  const char *name = moon_conversation_get_partial_name (conversation);

  moon_message_set_state (reply, MOON_MESSAGE_STATE_PENDING);
  moon_message_set_model (reply, conversation_model (self, conversation));

  /* Partial Mode: the stored reply is the prefix plus what follows. */
  if (prefix != NULL && prefix[0] != '\0')
    {
      moon_message_set_content (reply, prefix);
      moon_message_set_partial (reply, TRUE);
      if (name != NULL && name[0] != '\0')
        moon_message_set_name (reply, name);
    }

  moon_conversation_append_message (conversation, reply);

  return g_steal_pointer (&reply);
}

static void
moon_chat_controller_dispose (GObject *object)
{
  MoonChatController *self = MOON_CHAT_CONTROLLER (object);

  moon_chat_controller_stop_all (self);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (moon_chat_controller_parent_class)->dispose (object);
}

static void
moon_chat_controller_finalize (GObject *object)
{
  MoonChatController *self = MOON_CHAT_CONTROLLER (object);

  g_clear_pointer (&self->runs, g_hash_table_unref);
  g_clear_pointer (&self->default_model, g_free);
  g_clear_object (&self->estimator);

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
  self->estimator = moon_token_estimator_new ();
}

/**
 * moon_chat_controller_new:
 *
 * Returns: (transfer full): a controller without a client yet
 */
MoonChatController *
moon_chat_controller_new (void)
{
  return g_object_new (MOON_TYPE_CHAT_CONTROLLER, NULL);
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

  if (g_set_object (&self->client, client))
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
  g_autoptr(MoonMessage) message = NULL;
  g_autoptr(MoonMessage) reply = NULL;

  g_return_val_if_fail (MOON_IS_CHAT_CONTROLLER (self), FALSE);
  g_return_val_if_fail (MOON_IS_CONVERSATION (conversation), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if (!check_can_run (self, conversation, error))
    return FALSE;

  message = moon_message_new (MOON_MESSAGE_ROLE_USER, text);
  moon_message_set_state (message, MOON_MESSAGE_STATE_DONE);
  moon_conversation_append_message (conversation, message);

  reply = append_reply (self, conversation);
  start_run (self, conversation, reply, FALSE);

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
 * Edit and resend: @user_message gets @text, everything after it goes, and
 * a new reply starts.
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
  g_autoptr(MoonMessage) reply = NULL;

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

  moon_conversation_set_message_text (conversation, user_message, text);
  moon_conversation_truncate_after (conversation, user_message);

  reply = append_reply (self, conversation);
  start_run (self, conversation, reply, FALSE);

  return TRUE;
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
  g_autoptr(MoonMessage) new_reply = NULL;

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

  moon_conversation_truncate_after (conversation, reply);
  moon_conversation_remove_message (conversation, reply);

  new_reply = append_reply (self, conversation);
  start_run (self, conversation, new_reply, FALSE);

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
  g_return_val_if_fail (MOON_IS_CHAT_CONTROLLER (self), FALSE);
  g_return_val_if_fail (MOON_IS_CONVERSATION (conversation), FALSE);
  g_return_val_if_fail (MOON_IS_MESSAGE (reply), FALSE);

  if (!check_can_run (self, conversation, error))
    return FALSE;

  moon_conversation_truncate_after (conversation, reply);
  moon_message_set_error (reply, NULL);
  moon_message_set_finish_reason (reply, NULL);
  moon_message_set_state (reply, MOON_MESSAGE_STATE_STREAMING);
  start_run (self, conversation, reply, TRUE);

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
 *
 * What sending now would carry, for the context meter.
 */
void
moon_chat_controller_preview (MoonChatController *self,
                              MoonConversation   *conversation,
                              guint              *out_messages,
                              guint              *out_tokens)
{
  g_autoptr(JsonNode) body = NULL;
  JsonObject *object;

  g_return_if_fail (MOON_IS_CHAT_CONTROLLER (self));
  g_return_if_fail (MOON_IS_CONVERSATION (conversation));

  body = build_body (self, conversation, NULL, FALSE);
  object = json_node_get_object (body);

  if (out_messages != NULL)
    *out_messages = json_array_get_length (json_object_get_array_member (object, "messages"));
  if (out_tokens != NULL)
    *out_tokens = moon_token_estimator_estimate_body (self->estimator, object);
}
