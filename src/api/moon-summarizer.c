/* moon-summarizer.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-summarizer"

#include "config.h"

#include <glib/gi18n.h>

#include "moon-completion.h"
#include "moon-summarizer.h"

/*
 * The network half of summaries. What to summarise is decided in core
 * (moon_context_plan_get_needs_summary(), moon_context_build_summary_request());
 * this asks the conversation's own model with a short max_tokens and stores
 * the answer in the conversation with the range of messages it covers.
 */

typedef struct
{
  MoonConversation *conversation;
  MoonCompletion   *completion;
  char             *first_id;
  char             *last_id;
} SummaryData;

static void
summary_data_free (SummaryData *data)
{
  g_clear_object (&data->conversation);
  g_clear_object (&data->completion);
  g_free (data->first_id);
  g_free (data->last_id);
  g_free (data);
}

static void
run_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SummaryData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *summary = NULL;

  if (!moon_completion_run_finish (MOON_COMPLETION (source), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  summary = g_strstrip (g_strdup (moon_completion_get_content (data->completion)));
  if (*summary == '\0')
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("The model returned an empty summary"));
      return;
    }

  moon_conversation_set_summary (data->conversation, summary, data->first_id, data->last_id);
  g_task_return_boolean (task, TRUE);
}

/**
 * moon_summarizer_summarize_async:
 * @client: the client
 * @context: the context that made @plan
 * @conversation: the conversation
 * @plan: a plan for @conversation whose moon_context_plan_get_needs_summary()
 *   is %TRUE
 * @limits: the model's limits
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Asks the conversation's model to summarise the turns @plan leaves out
 * (together with the current summary) and stores the result with
 * moon_conversation_set_summary(). Plan again afterwards.
 */
void
moon_summarizer_summarize_async (MoonClient            *client,
                                 MoonContext           *context,
                                 MoonConversation      *conversation,
                                 MoonContextPlan       *plan,
                                 const MoonModelLimits *limits,
                                 GCancellable          *cancellable,
                                 GAsyncReadyCallback    callback,
                                 gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) body = NULL;
  SummaryData *data;

  g_return_if_fail (MOON_IS_CLIENT (client));
  g_return_if_fail (MOON_IS_CONTEXT (context));
  g_return_if_fail (MOON_IS_CONVERSATION (conversation));
  g_return_if_fail (MOON_IS_CONTEXT_PLAN (plan));
  g_return_if_fail (limits != NULL);

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_summarizer_summarize_async);

  data = g_new0 (SummaryData, 1);
  data->conversation = g_object_ref (conversation);
  g_task_set_task_data (task, data, (GDestroyNotify) summary_data_free);

  body = moon_context_build_summary_request (context, conversation, plan, limits,
                                             &data->first_id, &data->last_id);
  if (body == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  data->completion = moon_client_new_completion (client, body);
  moon_completion_run_async (data->completion, cancellable, run_cb, g_steal_pointer (&task));
}

/**
 * moon_summarizer_summarize_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: %TRUE if the conversation's summary is up to date
 */
gboolean
moon_summarizer_summarize_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
