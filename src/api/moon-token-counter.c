/* moon-token-counter.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-token-counter"

#include "config.h"

#include "moon-context.h"
#include "moon-token-counter.h"

/**
 * MoonTokenCounter:
 *
 * Corrects the local token guesses with the server's own counts: asks
 * `POST /tokenizers/estimate-token-count` about each message it is given
 * that has no count yet, one at a time (a Tier0 account may have only one
 * request in flight), and stores the answers in the #MoonTokenEstimator's
 * per-message cache, where #MoonContext picks them up.
 *
 * A message is counted alone, so the count includes its template tokens;
 * the endpoint ignores tool definitions, which no message carries.
 */

struct _MoonTokenCounter
{
  GObject             parent_instance;

  MoonClient         *client;
  MoonTokenEstimator *estimator;
};

G_DEFINE_FINAL_TYPE (MoonTokenCounter, moon_token_counter, G_TYPE_OBJECT)

typedef struct
{
  char      *model;
  GPtrArray *messages;
  guint      next;
  guint      counted;
} CountData;

static void
count_data_free (CountData *data)
{
  g_free (data->model);
  g_ptr_array_unref (data->messages);
  g_free (data);
}

static void
moon_token_counter_dispose (GObject *object)
{
  MoonTokenCounter *self = (MoonTokenCounter *) object;

  g_clear_object (&self->client);
  g_clear_object (&self->estimator);

  G_OBJECT_CLASS (moon_token_counter_parent_class)->dispose (object);
}

static void
moon_token_counter_class_init (MoonTokenCounterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = moon_token_counter_dispose;
}

static void
moon_token_counter_init (MoonTokenCounter *self)
{
}

/**
 * moon_token_counter_new:
 * @client: the client to ask
 * @estimator: where the counts go
 *
 * Returns: (transfer full): a new #MoonTokenCounter
 */
MoonTokenCounter *
moon_token_counter_new (MoonClient         *client,
                        MoonTokenEstimator *estimator)
{
  MoonTokenCounter *self;

  g_return_val_if_fail (MOON_IS_CLIENT (client), NULL);
  g_return_val_if_fail (MOON_IS_TOKEN_ESTIMATOR (estimator), NULL);

  self = g_object_new (MOON_TYPE_TOKEN_COUNTER, NULL);
  self->client = g_object_ref (client);
  self->estimator = g_object_ref (estimator);
  return self;
}

/**
 * moon_token_counter_get_client:
 * @self: a #MoonTokenCounter
 *
 * Returns: (transfer none): the client
 */
MoonClient *
moon_token_counter_get_client (MoonTokenCounter *self)
{
  g_return_val_if_fail (MOON_IS_TOKEN_COUNTER (self), NULL);
  return self->client;
}

/**
 * moon_token_counter_get_estimator:
 * @self: a #MoonTokenCounter
 *
 * Returns: (transfer none): the estimator the counts go to
 */
MoonTokenEstimator *
moon_token_counter_get_estimator (MoonTokenCounter *self)
{
  g_return_val_if_fail (MOON_IS_TOKEN_COUNTER (self), NULL);
  return self->estimator;
}

static void count_next (GTask *task);

static void
estimate_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MoonTokenCounter *self = g_task_get_source_object (task);
  CountData *data = g_task_get_task_data (task);
  MoonMessage *message = g_ptr_array_index (data->messages, data->next);
  g_autoptr(GError) error = NULL;
  gint64 tokens;

  tokens = moon_client_estimate_tokens_finish (MOON_CLIENT (source), result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (tokens > 0 && tokens <= G_MAXUINT)
    {
      moon_token_estimator_set_server_count (self->estimator, message, data->model, (guint) tokens);
      data->counted++;
    }

  data->next++;
  count_next (g_steal_pointer (&task));
}

static void
count_next (GTask *task)
{
  MoonTokenCounter *self = g_task_get_source_object (task);
  CountData *data = g_task_get_task_data (task);

  while (data->next < data->messages->len)
    {
      MoonMessage *message = g_ptr_array_index (data->messages, data->next);
      g_autoptr(JsonNode) array = NULL;
      JsonArray *messages;

      if (moon_token_estimator_lookup_server_count (self->estimator, message, data->model, NULL) ||
          !moon_message_is_finished (message))
        {
          data->next++;
          continue;
        }

      messages = json_array_new ();
      json_array_add_element (messages, moon_context_message_to_json (message, FALSE));
      array = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (array, messages);

      moon_client_estimate_tokens_async (self->client, data->model, array,
                                         g_task_get_cancellable (task),
                                         estimate_cb, task);
      return;
    }

  g_task_return_int (task, data->counted);
  g_object_unref (task);
}

/**
 * moon_token_counter_count_async:
 * @self: a #MoonTokenCounter
 * @model: the model to count for (tokenizers differ between models)
 * @messages: (element-type MoonMessage): messages to count
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Asks the server for the size of every finished message in @messages that
 * has no server count for @model yet, one request after the other, and
 * stores the answers in the estimator. Stops at the first error.
 */
void
moon_token_counter_count_async (MoonTokenCounter    *self,
                                const char          *model,
                                GPtrArray           *messages,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;
  CountData *data;

  g_return_if_fail (MOON_IS_TOKEN_COUNTER (self));
  g_return_if_fail (model != NULL);
  g_return_if_fail (messages != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_token_counter_count_async);

  data = g_new0 (CountData, 1);
  data->model = g_strdup (model);
  data->messages = g_ptr_array_new_full (messages->len, g_object_unref);
  for (guint i = 0; i < messages->len; i++)
    g_ptr_array_add (data->messages, g_object_ref (g_ptr_array_index (messages, i)));
  g_task_set_task_data (task, data, (GDestroyNotify) count_data_free);

  count_next (task);
}

/**
 * moon_token_counter_count_finish:
 * @self: a #MoonTokenCounter
 * @result: the result
 * @error: return location for an error
 *
 * Returns: how many messages got a server count, or 0 with @error set
 */
guint
moon_token_counter_count_finish (MoonTokenCounter  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  gssize counted;

  g_return_val_if_fail (MOON_IS_TOKEN_COUNTER (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  counted = g_task_propagate_int (G_TASK (result), error);
  return counted < 0 ? 0 : (guint) counted;
}
