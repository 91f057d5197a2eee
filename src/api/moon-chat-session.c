/* moon-chat-session.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-chat-session"

#include "config.h"

#include <glib/gi18n.h>

#include "moon-chat-session.h"
#include "moon-completion.h"
#include "moon-model-limits.h"
#include "moon-summarizer.h"

/**
 * MoonChatSession:
 *
 * Runs replies: the piece that turns "send this" into model changes. It
 * appends the messages, plans the request with #MoonContext (summarising
 * left-out turns first when the conversation asks for it), runs one
 * #MoonCompletion and writes every delta into the assistant #MoonMessage —
 * state, text, reasoning, tool calls, then finish reason, usage, model or
 * the error, always keeping what arrived. The #MoonConversationStore saves
 * the conversation as it changes; the session asks for a save at the end.
 *
 * Continue appends to the same message (Partial Mode with the reply so
 * far), as often as needed, and adds up the usage. In Partial Mode the
 * stored reply starts with the prefix, so it reads as one message.
 */

struct _MoonChatSession
{
  GObject                parent_instance;

  MoonClient            *client;
  MoonConversationStore *store;
  MoonContext           *context;
};

G_DEFINE_FINAL_TYPE (MoonChatSession, moon_chat_session, G_TYPE_OBJECT)

typedef struct
{
  MoonConversation *conversation;
  MoonMessage      *target;
  MoonContextMode   mode;
  MoonModelLimits   limits;
  MoonContextPlan  *plan;
  MoonCompletion   *completion;
  MoonUsage         usage_before;
  gboolean          had_usage;
  gulong            handlers[3];
} RunData;

static void
run_data_free (RunData *data)
{
  if (data->completion != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (data->handlers); i++)
      g_clear_signal_handler (&data->handlers[i], data->completion);

  g_clear_object (&data->conversation);
  g_clear_object (&data->target);
  g_clear_object (&data->plan);
  g_clear_object (&data->completion);
  g_free (data);
}

static void
moon_chat_session_dispose (GObject *object)
{
  MoonChatSession *self = (MoonChatSession *) object;

  g_clear_object (&self->client);
  g_clear_object (&self->store);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (moon_chat_session_parent_class)->dispose (object);
}

static void
moon_chat_session_class_init (MoonChatSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = moon_chat_session_dispose;
}

static void
moon_chat_session_init (MoonChatSession *self)
{
}

/**
 * moon_chat_session_new:
 * @client: the API client
 * @store: (nullable): the store that saves the conversations, if any
 * @context: (nullable): the context builder, or %NULL for a default one
 *
 * Returns: (transfer full): a new #MoonChatSession
 */
MoonChatSession *
moon_chat_session_new (MoonClient            *client,
                       MoonConversationStore *store,
                       MoonContext           *context)
{
  MoonChatSession *self;

  g_return_val_if_fail (MOON_IS_CLIENT (client), NULL);
  g_return_val_if_fail (store == NULL || MOON_IS_CONVERSATION_STORE (store), NULL);
  g_return_val_if_fail (context == NULL || MOON_IS_CONTEXT (context), NULL);

  self = g_object_new (MOON_TYPE_CHAT_SESSION, NULL);
  self->client = g_object_ref (client);
  self->store = store ? g_object_ref (store) : NULL;
  self->context = context ? g_object_ref (context) : moon_context_new (NULL);
  return self;
}

/**
 * moon_chat_session_get_client:
 * @self: a #MoonChatSession
 *
 * Returns: (transfer none): the client
 */
MoonClient *
moon_chat_session_get_client (MoonChatSession *self)
{
  g_return_val_if_fail (MOON_IS_CHAT_SESSION (self), NULL);
  return self->client;
}

/**
 * moon_chat_session_get_store:
 * @self: a #MoonChatSession
 *
 * Returns: (transfer none) (nullable): the store
 */
MoonConversationStore *
moon_chat_session_get_store (MoonChatSession *self)
{
  g_return_val_if_fail (MOON_IS_CHAT_SESSION (self), NULL);
  return self->store;
}

/**
 * moon_chat_session_get_context:
 * @self: a #MoonChatSession
 *
 * Returns: (transfer none): the context builder
 */
MoonContext *
moon_chat_session_get_context (MoonChatSession *self)
{
  g_return_val_if_fail (MOON_IS_CHAT_SESSION (self), NULL);
  return self->context;
}

/**
 * moon_chat_session_preview:
 * @self: a #MoonChatSession
 * @conversation: a conversation
 * @error: return location for an error
 *
 * What the next message would carry, for the "what will be sent" view.
 *
 * Returns: (transfer full): the plan, or %NULL with @error set
 */
MoonContextPlan *
moon_chat_session_preview (MoonChatSession   *self,
                           MoonConversation  *conversation,
                           GError           **error)
{
  MoonModelLimits limits;

  g_return_val_if_fail (MOON_IS_CHAT_SESSION (self), NULL);
  g_return_val_if_fail (MOON_IS_CONVERSATION (conversation), NULL);

  moon_model_limits_lookup (self->client, moon_conversation_get_model (conversation), &limits);
  return moon_context_plan (self->context, conversation, &limits, MOON_CONTEXT_MODE_PREVIEW, NULL, error);
}

/**
 * moon_chat_session_can_continue:
 * @message: a message
 *
 * Whether "Continue" makes sense for @message: an assistant reply with text
 * that was cut off by `max_tokens`, stopped by the user, interrupted, or
 * broke off with an error.
 *
 * Returns: %TRUE if the reply can be continued
 */
gboolean
moon_chat_session_can_continue (MoonMessage *message)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (message), FALSE);

  if (moon_message_get_role (message) != MOON_MESSAGE_ROLE_ASSISTANT ||
      moon_message_get_content_length (message) == 0)
    return FALSE;

  switch (moon_message_get_state (message))
    {
    case MOON_MESSAGE_STATE_DONE:
      return g_strcmp0 (moon_message_get_finish_reason (message), "length") == 0;
    case MOON_MESSAGE_STATE_CANCELLED:
    case MOON_MESSAGE_STATE_INTERRUPTED:
    case MOON_MESSAGE_STATE_FAILED:
      return TRUE;
    case MOON_MESSAGE_STATE_PENDING:
    case MOON_MESSAGE_STATE_STREAMING:
    default:
      return FALSE;
    }
}

/* Running a reply */

static void
request_save (MoonChatSession  *self,
              MoonConversation *conversation)
{
  if (self->store != NULL &&
      moon_conversation_store_lookup (self->store, moon_conversation_get_id (conversation)) == conversation)
    moon_conversation_store_save (self->store, conversation);
}

static void
mark_streaming (MoonMessage *message)
{
  if (moon_message_get_state (message) == MOON_MESSAGE_STATE_PENDING)
    moon_message_set_state (message, MOON_MESSAGE_STATE_STREAMING);
}

static void
content_delta_cb (MoonCompletion *completion,
                  const char     *text,
                  gpointer        user_data)
{
  RunData *data = user_data;

  mark_streaming (data->target);
  moon_message_append_content (data->target, text, -1);
}

static void
reasoning_delta_cb (MoonCompletion *completion,
                    const char     *text,
                    gpointer        user_data)
{
  RunData *data = user_data;

  mark_streaming (data->target);
  moon_message_append_reasoning_content (data->target, text, -1);
}

static void
tool_call_delta_cb (MoonCompletion *completion,
                    guint           index,
                    const char     *id,
                    const char     *type,
                    const char     *name,
                    const char     *arguments,
                    gpointer        user_data)
{
  RunData *data = user_data;

  mark_streaming (data->target);
  moon_message_append_tool_call_delta (data->target, index, id, type, name, arguments);
}

/* Ends the reply with an error, keeping its text. Takes over @task (every
 * caller holds the run's one reference) and @error. */
static void
fail_run (GTask  *task,
          GError *error)
{
  MoonChatSession *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    moon_message_set_state (data->target, MOON_MESSAGE_STATE_CANCELLED);
  else
    {
      moon_message_set_error (data->target, error);
      moon_message_set_state (data->target, MOON_MESSAGE_STATE_FAILED);
    }

  request_save (self, data->conversation);
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
completion_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MoonChatSession *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  MoonCompletion *completion = MOON_COMPLETION (source);
  const MoonUsage *usage = moon_completion_get_usage (completion);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = moon_completion_run_finish (completion, result, &error);

  /* Usage and model land on the message whether or not the reply ended
   * well; a continuation adds to what the reply cost before. */
  if (usage != NULL)
    {
      MoonUsage sum = { 0, };

      if (data->had_usage)
        sum = data->usage_before;
      moon_usage_add (&sum, usage);
      moon_message_set_usage (data->target, &sum);

      if (data->mode == MOON_CONTEXT_MODE_REPLY && usage->prompt_tokens > 0)
        moon_token_estimator_record_prompt (moon_context_get_estimator (self->context),
                                            moon_context_plan_get_estimated_prompt_tokens (data->plan),
                                            (guint) MIN (usage->prompt_tokens, G_MAXUINT));
    }

  if (moon_completion_get_model (completion) != NULL)
    moon_message_set_model (data->target, moon_completion_get_model (completion));
  if (moon_completion_get_finish_reason (completion) != NULL)
    moon_message_set_finish_reason (data->target, moon_completion_get_finish_reason (completion));

  if (!ok)
    {
      fail_run (g_steal_pointer (&task), g_steal_pointer (&error));
      return;
    }

  moon_message_set_error (data->target, NULL);
  moon_message_set_state (data->target, MOON_MESSAGE_STATE_DONE);
  request_save (self, data->conversation);
  g_task_return_pointer (task, g_object_ref (data->target), g_object_unref);
}

static void
start_completion (GTask *task)
{
  MoonChatSession *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  g_clear_object (&data->plan);
  data->plan = moon_context_plan (self->context, data->conversation, &data->limits,
                                  data->mode, data->target, &error);
  if (data->plan == NULL)
    {
      fail_run (task, g_steal_pointer (&error));
      return;
    }

  data->completion = moon_client_new_completion_for_bytes (self->client, moon_context_plan_get_bytes (data->plan));
  data->handlers[0] = g_signal_connect (data->completion, "content-delta",
                                        G_CALLBACK (content_delta_cb), data);
  data->handlers[1] = g_signal_connect (data->completion, "reasoning-delta",
                                        G_CALLBACK (reasoning_delta_cb), data);
  data->handlers[2] = g_signal_connect (data->completion, "tool-call-delta",
                                        G_CALLBACK (tool_call_delta_cb), data);

  moon_completion_run_async (data->completion, g_task_get_cancellable (task), completion_cb, task);
}

static void
summarize_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GError) error = NULL;

  /* A failed summary is not a failed reply: the turns are then simply left
   * out, as without summaries. A cancellation stops everything. */
  if (!moon_summarizer_summarize_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          fail_run (task, g_steal_pointer (&error));
          return;
        }
      g_debug ("Could not summarise left-out turns: %s", error->message);
    }

  start_completion (task);
}

/* Takes over @task. */
static void
run_reply (GTask *task)
{
  MoonChatSession *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  moon_model_limits_lookup (self->client, moon_conversation_get_model (data->conversation), &data->limits);

  if (moon_conversation_get_summary_enabled (data->conversation))
    {
      data->plan = moon_context_plan (self->context, data->conversation, &data->limits,
                                      data->mode, data->target, &error);
      if (data->plan == NULL)
        {
          fail_run (task, g_steal_pointer (&error));
          return;
        }

      if (moon_context_plan_get_needs_summary (data->plan))
        {
          moon_summarizer_summarize_async (self->client, self->context, data->conversation,
                                           data->plan, &data->limits,
                                           g_task_get_cancellable (task), summarize_cb, task);
          return;
        }
    }

  start_completion (task);
}

static GTask *
new_run (MoonChatSession     *self,
         MoonConversation    *conversation,
         MoonMessage         *target,
         MoonContextMode      mode,
         GCancellable        *cancellable,
         GAsyncReadyCallback  callback,
         gpointer             user_data,
         gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  RunData *data = g_new0 (RunData, 1);

  g_task_set_source_tag (task, source_tag);
  data->conversation = g_object_ref (conversation);
  data->target = target ? g_object_ref (target) : NULL;
  data->mode = mode;
  g_task_set_task_data (task, data, (GDestroyNotify) run_data_free);
  return task;
}

static gboolean
check_conversation (MoonConversation  *conversation,
                    GError           **error)
{
  if (moon_conversation_get_read_only (conversation))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_READ_ONLY,
                           _("This conversation was written by a newer Moonchat and cannot be changed"));
      return FALSE;
    }

  if (moon_conversation_get_is_busy (conversation))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           _("A reply is still being written in this conversation"));
      return FALSE;
    }

  return TRUE;
}

static MoonMessage *
append_placeholder (MoonConversation *conversation)
{
  g_autoptr(MoonMessage) reply = NULL;
  const char *prefix = moon_conversation_get_partial_prefix (conversation);
  const char *name = moon_conversation_get_partial_name (conversation);

  /* In Partial Mode the reply is the prefix plus what the model adds. */
  reply = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, prefix);
  if (name != NULL && *name != '\0')
    moon_message_set_name (reply, name);
  moon_message_set_model (reply, moon_conversation_get_model (conversation));
  moon_message_set_state (reply, MOON_MESSAGE_STATE_PENDING);
  moon_conversation_append_message (conversation, reply);
  return reply;
}

/**
 * moon_chat_session_send_async:
 * @self: a #MoonChatSession
 * @conversation: a loaded conversation
 * @user_text: what the user wrote
 * @cancellable: (nullable): cancels the reply (it is kept as cancelled)
 * @callback: called when the reply is complete or has failed
 * @user_data: data for @callback
 *
 * Appends @user_text and an empty reply to @conversation and runs the
 * reply. When the conversation is busy or @user_text is empty nothing is
 * appended and the task fails, so the draft stays with the caller.
 */
void
moon_chat_session_send_async (MoonChatSession     *self,
                              MoonConversation    *conversation,
                              const char          *user_text,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(MoonMessage) question = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stripped = NULL;
  MoonMessage *reply;

  g_return_if_fail (MOON_IS_CHAT_SESSION (self));
  g_return_if_fail (MOON_IS_CONVERSATION (conversation));
  g_return_if_fail (user_text != NULL);

  task = new_run (self, conversation, NULL, MOON_CONTEXT_MODE_REPLY,
                  cancellable, callback, user_data, moon_chat_session_send_async);

  stripped = g_strstrip (g_strdup (user_text));
  if (*stripped == '\0')
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The message is empty"));
      return;
    }

  if (!check_conversation (conversation, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  question = moon_message_new (MOON_MESSAGE_ROLE_USER, user_text);
  moon_conversation_append_message (conversation, question);
  reply = append_placeholder (conversation);
  ((RunData *) g_task_get_task_data (task))->target = g_object_ref (reply);

  run_reply (g_steal_pointer (&task));
}

/**
 * moon_chat_session_send_finish:
 * @self: a #MoonChatSession
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the finished reply, or %NULL with @error set
 *   (the reply, if one was appended, is kept as failed or cancelled)
 */
MoonMessage *
moon_chat_session_send_finish (MoonChatSession  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (MOON_IS_CHAT_SESSION (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * moon_chat_session_continue_async:
 * @self: a #MoonChatSession
 * @conversation: the conversation of @message
 * @message: a reply that moon_chat_session_can_continue() accepts
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Sends the conversation up to @message with @message's text as a partial
 * assistant message, and appends what comes back to @message. The usage
 * of @message grows by the new request's usage.
 */
void
moon_chat_session_continue_async (MoonChatSession     *self,
                                  MoonConversation    *conversation,
                                  MoonMessage         *message,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  RunData *data;

  g_return_if_fail (MOON_IS_CHAT_SESSION (self));
  g_return_if_fail (MOON_IS_CONVERSATION (conversation));
  g_return_if_fail (MOON_IS_MESSAGE (message));

  task = new_run (self, conversation, message, MOON_CONTEXT_MODE_CONTINUE,
                  cancellable, callback, user_data, moon_chat_session_continue_async);

  if (!moon_chat_session_can_continue (message) ||
      moon_conversation_find_message (conversation, moon_message_get_id (message), NULL) != message)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("This reply cannot be continued"));
      return;
    }

  if (!check_conversation (conversation, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data = g_task_get_task_data (task);
  if (moon_message_get_usage (message) != NULL)
    {
      data->usage_before = *moon_message_get_usage (message);
      data->had_usage = TRUE;
    }

  moon_message_set_finish_reason (message, NULL);
  moon_message_set_error (message, NULL);
  moon_message_set_state (message, MOON_MESSAGE_STATE_PENDING);

  run_reply (g_steal_pointer (&task));
}

/**
 * moon_chat_session_continue_finish:
 * @self: a #MoonChatSession
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the continued reply, or %NULL with @error set
 */
MoonMessage *
moon_chat_session_continue_finish (MoonChatSession  *self,
                                   GAsyncResult     *result,
                                   GError          **error)
{
  g_return_val_if_fail (MOON_IS_CHAT_SESSION (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * moon_chat_session_regenerate_async:
 * @self: a #MoonChatSession
 * @conversation: the conversation of @message
 * @message: an assistant reply of @conversation
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Replaces @message, and everything after it, by a new reply to the same
 * question.
 */
void
moon_chat_session_regenerate_async (MoonChatSession     *self,
                                    MoonConversation    *conversation,
                                    MoonMessage         *message,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  MoonMessage *reply;

  g_return_if_fail (MOON_IS_CHAT_SESSION (self));
  g_return_if_fail (MOON_IS_CONVERSATION (conversation));
  g_return_if_fail (MOON_IS_MESSAGE (message));

  task = new_run (self, conversation, NULL, MOON_CONTEXT_MODE_REPLY,
                  cancellable, callback, user_data, moon_chat_session_regenerate_async);

  if (moon_message_get_role (message) != MOON_MESSAGE_ROLE_ASSISTANT ||
      moon_conversation_find_message (conversation, moon_message_get_id (message), NULL) != message)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Only a reply of this conversation can be regenerated"));
      return;
    }

  if (!check_conversation (conversation, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  moon_conversation_truncate_after (conversation, message);
  moon_conversation_remove_message (conversation, message);
  reply = append_placeholder (conversation);
  ((RunData *) g_task_get_task_data (task))->target = g_object_ref (reply);

  run_reply (g_steal_pointer (&task));
}

/**
 * moon_chat_session_regenerate_finish:
 * @self: a #MoonChatSession
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the new reply, or %NULL with @error set
 */
MoonMessage *
moon_chat_session_regenerate_finish (MoonChatSession  *self,
                                     GAsyncResult     *result,
                                     GError          **error)
{
  g_return_val_if_fail (MOON_IS_CHAT_SESSION (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
