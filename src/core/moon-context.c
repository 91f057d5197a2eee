/* moon-context.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-context"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "moon-context.h"

/**
 * MoonContext:
 *
 * Decides what a request carries (kimi-api.md §1, §5, §6). The API is
 * stateless, so this is everything Kimi will remember:
 *
 *  1. every system message first: the conversation's system prompt, system
 *     messages of the history (file contents, say), then the summary of
 *     left-out turns;
 *  2. the newest messages that fit both the message limit and the token
 *     budget (window − reply reserve − safety margin − the fixed parts).
 *     An assistant message with tool calls and its tool results go together
 *     or not at all; the kept history never starts with a reply whose
 *     question was left out; failed, cancelled and interrupted replies,
 *     empty messages and the reply being generated are never sent;
 *  3. optionally the system prompt again before the newest question, every
 *     #MoonContext:persona-interval questions;
 *  4. in Partial Mode the prefix as a final `partial` assistant message; when
 *     continuing, the reply so far in the same place.
 *
 * `reasoning_content` is sent back only on tool-call replies of the current
 * task (after the newest question) of a thinking model, and on a continued
 * reply; older reasoning is dropped.
 *
 * The result is a #MoonContextPlan: the body plus what happened to every
 * message and why, for the "what will be sent" view.
 */

struct _MoonContext
{
  GObject             parent_instance;

  MoonTokenEstimator *estimator;
  guint               default_max_tokens;
  guint               thinking_max_tokens;
  guint               safety_margin;
  guint               persona_interval;
};

G_DEFINE_FINAL_TYPE (MoonContext, moon_context, G_TYPE_OBJECT)

enum {
  PROP_CTX_0,
  PROP_CTX_ESTIMATOR,
  PROP_CTX_DEFAULT_MAX_TOKENS,
  PROP_CTX_THINKING_MAX_TOKENS,
  PROP_CTX_SAFETY_MARGIN,
  PROP_CTX_PERSONA_INTERVAL,
  N_CTX_PROPS
};

static GParamSpec *ctx_properties[N_CTX_PROPS];

#define DEFAULT_MAX_TOKENS          4096
#define DEFAULT_THINKING_MAX_TOKENS 16384
#define MIN_SAFETY_MARGIN           256
#define SUMMARY_MAX_TOKENS          1024

G_DEFINE_ENUM_TYPE (MoonModelThinking, moon_model_thinking,
  G_DEFINE_ENUM_VALUE (MOON_MODEL_THINKING_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MOON_MODEL_THINKING_SWITCHABLE, "switchable"),
  G_DEFINE_ENUM_VALUE (MOON_MODEL_THINKING_ALWAYS, "always"))

G_DEFINE_ENUM_TYPE (MoonContextMode, moon_context_mode,
  G_DEFINE_ENUM_VALUE (MOON_CONTEXT_MODE_REPLY, "reply"),
  G_DEFINE_ENUM_VALUE (MOON_CONTEXT_MODE_CONTINUE, "continue"),
  G_DEFINE_ENUM_VALUE (MOON_CONTEXT_MODE_PREVIEW, "preview"))

G_DEFINE_ENUM_TYPE (MoonContextStatus, moon_context_status,
  G_DEFINE_ENUM_VALUE (MOON_CONTEXT_STATUS_SENT, "sent"),
  G_DEFINE_ENUM_VALUE (MOON_CONTEXT_STATUS_SYSTEM, "system"),
  G_DEFINE_ENUM_VALUE (MOON_CONTEXT_STATUS_PARTIAL, "partial"),
  G_DEFINE_ENUM_VALUE (MOON_CONTEXT_STATUS_OVER_LIMIT, "over-limit"),
  G_DEFINE_ENUM_VALUE (MOON_CONTEXT_STATUS_OVER_BUDGET, "over-budget"),
  G_DEFINE_ENUM_VALUE (MOON_CONTEXT_STATUS_SUMMARIZED, "summarized"),
  G_DEFINE_ENUM_VALUE (MOON_CONTEXT_STATUS_ORPHANED, "orphaned"),
  G_DEFINE_ENUM_VALUE (MOON_CONTEXT_STATUS_NOT_SENDABLE, "not-sendable"),
  G_DEFINE_ENUM_VALUE (MOON_CONTEXT_STATUS_GENERATING, "generating"),
  G_DEFINE_ENUM_VALUE (MOON_CONTEXT_STATUS_LATER, "later"))

/**
 * moon_model_limits_init_unknown:
 * @limits: (out caller-allocates): limits to fill in
 *
 * Fills in what is assumed about a model nothing is known of: an unknown
 * window, no thinking, only the conservative request fields.
 */
void
moon_model_limits_init_unknown (MoonModelLimits *limits)
{
  g_return_if_fail (limits != NULL);

  limits->context_length = 0;
  limits->known = FALSE;
  limits->fixed_sampling = FALSE;
  limits->thinking = MOON_MODEL_THINKING_NONE;
}

/**
 * moon_context_status_describe:
 * @status: a status
 *
 * Returns: a short translated sentence saying what happens to a message
 */
const char *
moon_context_status_describe (MoonContextStatus status)
{
  switch (status)
    {
    case MOON_CONTEXT_STATUS_SENT:
      return _("Sent");
    case MOON_CONTEXT_STATUS_SYSTEM:
      return _("Sent first, as a system message");
    case MOON_CONTEXT_STATUS_PARTIAL:
      return _("Sent as the reply to continue");
    case MOON_CONTEXT_STATUS_OVER_LIMIT:
      return _("Left out: beyond the message limit");
    case MOON_CONTEXT_STATUS_OVER_BUDGET:
      return _("Left out: beyond the token budget");
    case MOON_CONTEXT_STATUS_SUMMARIZED:
      return _("Left out, covered by the summary");
    case MOON_CONTEXT_STATUS_ORPHANED:
      return _("Left out: its question or tool call is not sent");
    case MOON_CONTEXT_STATUS_NOT_SENDABLE:
      return _("Not sent: failed, stopped or empty");
    case MOON_CONTEXT_STATUS_GENERATING:
      return _("The reply being written");
    case MOON_CONTEXT_STATUS_LATER:
      return _("Not sent: comes later");
    default:
      g_return_val_if_reached (NULL);
    }
}

/**
 * moon_context_status_is_sent:
 * @status: a status
 *
 * Returns: whether a message with @status is in the request
 */
gboolean
moon_context_status_is_sent (MoonContextStatus status)
{
  return status == MOON_CONTEXT_STATUS_SENT ||
         status == MOON_CONTEXT_STATUS_SYSTEM ||
         status == MOON_CONTEXT_STATUS_PARTIAL;
}

/* MoonContextItem */

struct _MoonContextItem
{
  GObject            parent_instance;

  MoonMessage       *message;
  MoonContextStatus  status;
  guint              tokens;
  guint              position;
};

G_DEFINE_FINAL_TYPE (MoonContextItem, moon_context_item, G_TYPE_OBJECT)

enum {
  PROP_ITEM_0,
  PROP_ITEM_MESSAGE,
  PROP_ITEM_STATUS,
  PROP_ITEM_TOKENS,
  PROP_ITEM_DESCRIPTION,
  N_ITEM_PROPS
};

static GParamSpec *item_properties[N_ITEM_PROPS];

static void
moon_context_item_finalize (GObject *object)
{
  MoonContextItem *self = (MoonContextItem *) object;

  g_clear_object (&self->message);

  G_OBJECT_CLASS (moon_context_item_parent_class)->finalize (object);
}

static void
moon_context_item_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MoonContextItem *self = MOON_CONTEXT_ITEM (object);

  switch (prop_id)
    {
    case PROP_ITEM_MESSAGE:
      g_value_set_object (value, self->message);
      break;
    case PROP_ITEM_STATUS:
      g_value_set_enum (value, self->status);
      break;
    case PROP_ITEM_TOKENS:
      g_value_set_uint (value, self->tokens);
      break;
    case PROP_ITEM_DESCRIPTION:
      g_value_set_string (value, moon_context_status_describe (self->status));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_context_item_class_init (MoonContextItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = moon_context_item_finalize;
  object_class->get_property = moon_context_item_get_property;

  item_properties[PROP_ITEM_MESSAGE] =
    g_param_spec_object ("message", NULL, NULL, MOON_TYPE_MESSAGE, flags);
  item_properties[PROP_ITEM_STATUS] =
    g_param_spec_enum ("status", NULL, NULL, MOON_TYPE_CONTEXT_STATUS,
                       MOON_CONTEXT_STATUS_SENT, flags);
  item_properties[PROP_ITEM_TOKENS] =
    g_param_spec_uint ("tokens", NULL, NULL, 0, G_MAXUINT, 0, flags);
  item_properties[PROP_ITEM_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_ITEM_PROPS, item_properties);
}

static void
moon_context_item_init (MoonContextItem *self)
{
}

/**
 * moon_context_item_get_message:
 * @self: a #MoonContextItem
 *
 * Returns: (transfer none): the message
 */
MoonMessage *
moon_context_item_get_message (MoonContextItem *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_ITEM (self), NULL);
  return self->message;
}

/**
 * moon_context_item_get_status:
 * @self: a #MoonContextItem
 *
 * Returns: what the request does with the message
 */
MoonContextStatus
moon_context_item_get_status (MoonContextItem *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_ITEM (self), MOON_CONTEXT_STATUS_SENT);
  return self->status;
}

/**
 * moon_context_item_get_tokens:
 * @self: a #MoonContextItem
 *
 * Returns: the estimated cost of the message in the request
 */
guint
moon_context_item_get_tokens (MoonContextItem *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_ITEM (self), 0);
  return self->tokens;
}

/**
 * moon_context_item_get_position:
 * @self: a #MoonContextItem
 *
 * Returns: the message's position in the conversation
 */
guint
moon_context_item_get_position (MoonContextItem *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_ITEM (self), 0);
  return self->position;
}

/* MoonContextPlan */

typedef struct
{
  MoonContextStatus status;
  guint             tokens;
} Entry;

struct _MoonContextPlan
{
  GObject          parent_instance;

  MoonContextMode  mode;
  MoonMessage     *target;
  GPtrArray       *messages;  /* the conversation's messages when planned */
  GArray          *entries;   /* Entry per message */
  GPtrArray       *items;     /* MoonContextItem per message, made on demand */
  MoonTokenEstimator *estimator;
  char            *model;
  GBytes          *body_bytes;
  JsonNode        *body;      /* parsed from body_bytes on demand */

  guint            estimated_prompt_tokens;
  guint            history_budget;
  gint64           context_length;
  guint            max_tokens;
  guint            n_sent;
  guint            n_left_out;
  int              last_left_out;  /* newest sendable message left out, or -1 */
  int              summary_end;    /* last position the summary covers, or -1 */

  guint            over_budget : 1;
  guint            summary_sent : 1;
  guint            summary_enabled : 1;
  guint            persona_reinforced : 1;
};

static void plan_list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MoonContextPlan, moon_context_plan, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, plan_list_model_iface_init))

enum {
  PROP_PLAN_0,
  PROP_PLAN_ESTIMATED_PROMPT_TOKENS,
  PROP_PLAN_HISTORY_BUDGET,
  PROP_PLAN_CONTEXT_LENGTH,
  PROP_PLAN_MAX_TOKENS,
  PROP_PLAN_N_SENT,
  PROP_PLAN_N_LEFT_OUT,
  PROP_PLAN_OVER_BUDGET,
  PROP_PLAN_SUMMARY_SENT,
  N_PLAN_PROPS
};

static GParamSpec *plan_properties[N_PLAN_PROPS];

static void
moon_context_plan_finalize (GObject *object)
{
  MoonContextPlan *self = (MoonContextPlan *) object;

  g_clear_object (&self->target);
  g_clear_pointer (&self->messages, g_ptr_array_unref);
  g_clear_pointer (&self->entries, g_array_unref);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->body, json_node_unref);
  g_clear_pointer (&self->body_bytes, g_bytes_unref);
  g_clear_object (&self->estimator);
  g_clear_pointer (&self->model, g_free);

  G_OBJECT_CLASS (moon_context_plan_parent_class)->finalize (object);
}

static void
moon_context_plan_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MoonContextPlan *self = MOON_CONTEXT_PLAN (object);

  switch (prop_id)
    {
    case PROP_PLAN_ESTIMATED_PROMPT_TOKENS:
      g_value_set_uint (value, self->estimated_prompt_tokens);
      break;
    case PROP_PLAN_HISTORY_BUDGET:
      g_value_set_uint (value, self->history_budget);
      break;
    case PROP_PLAN_CONTEXT_LENGTH:
      g_value_set_int64 (value, self->context_length);
      break;
    case PROP_PLAN_MAX_TOKENS:
      g_value_set_uint (value, self->max_tokens);
      break;
    case PROP_PLAN_N_SENT:
      g_value_set_uint (value, self->n_sent);
      break;
    case PROP_PLAN_N_LEFT_OUT:
      g_value_set_uint (value, self->n_left_out);
      break;
    case PROP_PLAN_OVER_BUDGET:
      g_value_set_boolean (value, self->over_budget);
      break;
    case PROP_PLAN_SUMMARY_SENT:
      g_value_set_boolean (value, self->summary_sent);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_context_plan_class_init (MoonContextPlanClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = moon_context_plan_finalize;
  object_class->get_property = moon_context_plan_get_property;

  /**
   * MoonContextPlan:estimated-prompt-tokens:
   *
   * What the request is expected to cost on the input side.
   */
  plan_properties[PROP_PLAN_ESTIMATED_PROMPT_TOKENS] =
    g_param_spec_uint ("estimated-prompt-tokens", NULL, NULL, 0, G_MAXUINT, 0, flags);
  /**
   * MoonContextPlan:history-budget:
   *
   * How many tokens the history could take, or %G_MAXUINT without a limit.
   */
  plan_properties[PROP_PLAN_HISTORY_BUDGET] =
    g_param_spec_uint ("history-budget", NULL, NULL, 0, G_MAXUINT, 0, flags);
  plan_properties[PROP_PLAN_CONTEXT_LENGTH] =
    g_param_spec_int64 ("context-length", NULL, NULL, 0, G_MAXINT64, 0, flags);
  plan_properties[PROP_PLAN_MAX_TOKENS] =
    g_param_spec_uint ("max-tokens", NULL, NULL, 0, G_MAXUINT, 0, flags);
  plan_properties[PROP_PLAN_N_SENT] =
    g_param_spec_uint ("n-sent", NULL, NULL, 0, G_MAXUINT, 0, flags);
  plan_properties[PROP_PLAN_N_LEFT_OUT] =
    g_param_spec_uint ("n-left-out", NULL, NULL, 0, G_MAXUINT, 0, flags);
  /**
   * MoonContextPlan:over-budget:
   *
   * Whether even the newest question does not fit: the request will
   * probably be refused as too long.
   */
  plan_properties[PROP_PLAN_OVER_BUDGET] =
    g_param_spec_boolean ("over-budget", NULL, NULL, FALSE, flags);
  plan_properties[PROP_PLAN_SUMMARY_SENT] =
    g_param_spec_boolean ("summary-sent", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PLAN_PROPS, plan_properties);
}

static void
moon_context_plan_init (MoonContextPlan *self)
{
  self->entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  self->last_left_out = -1;
  self->summary_end = -1;
}

static void
unref_item (gpointer item)
{
  if (item != NULL)
    g_object_unref (item);
}

static GType
plan_get_item_type (GListModel *model)
{
  return MOON_TYPE_CONTEXT_ITEM;
}

static guint
plan_get_n_items (GListModel *model)
{
  MoonContextPlan *self = MOON_CONTEXT_PLAN (model);

  return self->messages->len;
}

static gpointer
plan_get_item (GListModel *model,
               guint       position)
{
  MoonContextPlan *self = MOON_CONTEXT_PLAN (model);
  MoonContextItem *item;
  const Entry *entry;

  if (position >= self->messages->len)
    return NULL;

  if (self->items == NULL)
    {
      self->items = g_ptr_array_new_with_free_func (unref_item);
      g_ptr_array_set_size (self->items, self->messages->len);
    }

  item = g_ptr_array_index (self->items, position);
  if (item == NULL)
    {
      entry = &g_array_index (self->entries, Entry, position);
      item = g_object_new (MOON_TYPE_CONTEXT_ITEM, NULL);
      item->message = g_object_ref (g_ptr_array_index (self->messages, position));
      item->status = entry->status;
      item->tokens = entry->tokens;
      item->position = position;

      /* Turns beyond the cut were never costed; cost them for the view. */
      if (item->tokens == 0 && entry->status != MOON_CONTEXT_STATUS_NOT_SENDABLE &&
          entry->status != MOON_CONTEXT_STATUS_GENERATING && entry->status != MOON_CONTEXT_STATUS_LATER)
        item->tokens = moon_token_estimator_estimate_message (self->estimator, item->message, self->model, FALSE);
      g_ptr_array_index (self->items, position) = item;
    }

  return g_object_ref (item);
}

static void
plan_list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = plan_get_item_type;
  iface->get_n_items = plan_get_n_items;
  iface->get_item = plan_get_item;
}

/**
 * moon_context_plan_get_body:
 * @self: a #MoonContextPlan
 *
 * The request body as a JSON tree, made from moon_context_plan_get_bytes()
 * the first time it is asked for.
 *
 * Returns: (transfer none): the request body (a JSON object)
 */
JsonNode *
moon_context_plan_get_body (MoonContextPlan *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), NULL);

  if (self->body == NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new_immutable ();
      g_autoptr(GError) error = NULL;
      gsize length;
      const char *text = g_bytes_get_data (self->body_bytes, &length);

      if (!json_parser_load_from_data (parser, text, length, &error))
        g_critical ("A request body that does not parse: %s", error->message);
      else
        self->body = json_node_ref (json_parser_get_root (parser));
    }

  return self->body;
}

/**
 * moon_context_plan_get_bytes:
 * @self: a #MoonContextPlan
 *
 * Returns: (transfer none): the request body as compact JSON text (UTF-8),
 *   ready for moon_client_new_completion_for_bytes()
 */
GBytes *
moon_context_plan_get_bytes (MoonContextPlan *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), NULL);
  return self->body_bytes;
}

/**
 * moon_context_plan_to_string:
 * @self: a #MoonContextPlan
 * @pretty: whether to indent
 *
 * Returns: (transfer full): the request body as JSON text
 */
char *
moon_context_plan_to_string (MoonContextPlan *self,
                             gboolean         pretty)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), NULL);

  if (!pretty)
    return g_strndup (g_bytes_get_data (self->body_bytes, NULL), g_bytes_get_size (self->body_bytes));
  return json_to_string (moon_context_plan_get_body (self), TRUE);
}

/**
 * moon_context_plan_get_mode:
 * @self: a #MoonContextPlan
 *
 * Returns: which request this is
 */
MoonContextMode
moon_context_plan_get_mode (MoonContextPlan *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), MOON_CONTEXT_MODE_PREVIEW);
  return self->mode;
}

/**
 * moon_context_plan_get_target:
 * @self: a #MoonContextPlan
 *
 * Returns: (transfer none) (nullable): the reply generated or continued
 */
MoonMessage *
moon_context_plan_get_target (MoonContextPlan *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), NULL);
  return self->target;
}

/**
 * moon_context_plan_get_status:
 * @self: a #MoonContextPlan
 * @position: a position in the conversation
 *
 * Returns: what the request does with the message at @position
 */
MoonContextStatus
moon_context_plan_get_status (MoonContextPlan *self,
                              guint            position)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), MOON_CONTEXT_STATUS_LATER);
  g_return_val_if_fail (position < self->entries->len, MOON_CONTEXT_STATUS_LATER);

  return g_array_index (self->entries, Entry, position).status;
}

/**
 * moon_context_plan_get_message_tokens:
 * @self: a #MoonContextPlan
 * @position: a position in the conversation
 *
 * Returns: the estimated cost of the message at @position, or 0 for a
 *   message older than the cut (those are not estimated; the list items
 *   are)
 */
guint
moon_context_plan_get_message_tokens (MoonContextPlan *self,
                                      guint            position)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), 0);
  g_return_val_if_fail (position < self->entries->len, 0);

  return g_array_index (self->entries, Entry, position).tokens;
}

/**
 * moon_context_plan_get_n_sent:
 * @self: a #MoonContextPlan
 *
 * Returns: how many messages of the conversation the request carries
 */
guint
moon_context_plan_get_n_sent (MoonContextPlan *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), 0);
  return self->n_sent;
}

/**
 * moon_context_plan_get_n_left_out:
 * @self: a #MoonContextPlan
 *
 * Returns: how many sendable messages were left out for the limits
 */
guint
moon_context_plan_get_n_left_out (MoonContextPlan *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), 0);
  return self->n_left_out;
}

/**
 * moon_context_plan_get_estimated_prompt_tokens:
 * @self: a #MoonContextPlan
 *
 * Returns: the estimated `prompt_tokens` of the request
 */
guint
moon_context_plan_get_estimated_prompt_tokens (MoonContextPlan *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), 0);
  return self->estimated_prompt_tokens;
}

/**
 * moon_context_plan_get_history_budget:
 * @self: a #MoonContextPlan
 *
 * Returns: the tokens the history could use, or %G_MAXUINT for no limit
 */
guint
moon_context_plan_get_history_budget (MoonContextPlan *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), 0);
  return self->history_budget;
}

/**
 * moon_context_plan_get_context_length:
 * @self: a #MoonContextPlan
 *
 * Returns: the model's window, or 0 if unknown
 */
gint64
moon_context_plan_get_context_length (MoonContextPlan *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), 0);
  return self->context_length;
}

/**
 * moon_context_plan_get_max_tokens:
 * @self: a #MoonContextPlan
 *
 * Returns: the `max_tokens` of the request
 */
guint
moon_context_plan_get_max_tokens (MoonContextPlan *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), 0);
  return self->max_tokens;
}

/**
 * moon_context_plan_get_over_budget:
 * @self: a #MoonContextPlan
 *
 * Returns: whether the request is expected not to fit the window
 */
gboolean
moon_context_plan_get_over_budget (MoonContextPlan *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), FALSE);
  return self->over_budget;
}

/**
 * moon_context_plan_get_summary_sent:
 * @self: a #MoonContextPlan
 *
 * Returns: whether the conversation's summary is in the request
 */
gboolean
moon_context_plan_get_summary_sent (MoonContextPlan *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), FALSE);
  return self->summary_sent;
}

/**
 * moon_context_plan_get_persona_reinforced:
 * @self: a #MoonContextPlan
 *
 * Returns: whether the system prompt was repeated before the newest question
 */
gboolean
moon_context_plan_get_persona_reinforced (MoonContextPlan *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), FALSE);
  return self->persona_reinforced;
}

/**
 * moon_context_plan_get_needs_summary:
 * @self: a #MoonContextPlan
 *
 * Whether the conversation wants summaries and turns were left out that the
 * summary does not cover yet: then ask for one with
 * moon_context_build_summary_request() and plan again.
 *
 * Returns: %TRUE if a (new) summary is wanted
 */
gboolean
moon_context_plan_get_needs_summary (MoonContextPlan *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), FALSE);

  return self->summary_enabled && self->last_left_out > self->summary_end;
}

/**
 * moon_context_plan_dup_unsummarized:
 * @self: a #MoonContextPlan
 *
 * Returns: (transfer container) (element-type MoonMessage): the sendable
 *   messages left out that the summary does not cover, oldest first
 */
GPtrArray *
moon_context_plan_dup_unsummarized (MoonContextPlan *self)
{
  GPtrArray *result;

  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (self), NULL);

  result = g_ptr_array_new_with_free_func (g_object_unref);
  for (int i = self->summary_end + 1; i <= self->last_left_out; i++)
    {
      MoonContextStatus status = g_array_index (self->entries, Entry, i).status;

      if (status == MOON_CONTEXT_STATUS_OVER_LIMIT ||
          status == MOON_CONTEXT_STATUS_OVER_BUDGET ||
          status == MOON_CONTEXT_STATUS_ORPHANED)
        g_ptr_array_add (result, g_object_ref (g_ptr_array_index (self->messages, i)));
    }

  return result;
}

/* MoonContext */

static void
moon_context_dispose (GObject *object)
{
  MoonContext *self = (MoonContext *) object;

  g_clear_object (&self->estimator);

  G_OBJECT_CLASS (moon_context_parent_class)->dispose (object);
}

static void
moon_context_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  MoonContext *self = MOON_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_CTX_ESTIMATOR:
      g_value_set_object (value, self->estimator);
      break;
    case PROP_CTX_DEFAULT_MAX_TOKENS:
      g_value_set_uint (value, self->default_max_tokens);
      break;
    case PROP_CTX_THINKING_MAX_TOKENS:
      g_value_set_uint (value, self->thinking_max_tokens);
      break;
    case PROP_CTX_SAFETY_MARGIN:
      g_value_set_uint (value, self->safety_margin);
      break;
    case PROP_CTX_PERSONA_INTERVAL:
      g_value_set_uint (value, self->persona_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_context_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  MoonContext *self = MOON_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_CTX_ESTIMATOR:
      g_set_object (&self->estimator, g_value_get_object (value));
      if (self->estimator == NULL)
        self->estimator = moon_token_estimator_new ();
      break;
    case PROP_CTX_DEFAULT_MAX_TOKENS:
      moon_context_set_default_max_tokens (self, g_value_get_uint (value));
      break;
    case PROP_CTX_THINKING_MAX_TOKENS:
      moon_context_set_thinking_max_tokens (self, g_value_get_uint (value));
      break;
    case PROP_CTX_SAFETY_MARGIN:
      moon_context_set_safety_margin (self, g_value_get_uint (value));
      break;
    case PROP_CTX_PERSONA_INTERVAL:
      moon_context_set_persona_interval (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_context_class_init (MoonContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = moon_context_dispose;
  object_class->get_property = moon_context_get_property;
  object_class->set_property = moon_context_set_property;

  ctx_properties[PROP_CTX_ESTIMATOR] =
    g_param_spec_object ("estimator", NULL, NULL, MOON_TYPE_TOKEN_ESTIMATOR,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * MoonContext:default-max-tokens:
   *
   * The room kept for a reply when the conversation leaves `max_tokens` to
   * the server.
   */
  ctx_properties[PROP_CTX_DEFAULT_MAX_TOKENS] =
    g_param_spec_uint ("default-max-tokens", NULL, NULL, 1, G_MAXINT, DEFAULT_MAX_TOKENS, rw);

  /**
   * MoonContext:thinking-max-tokens:
   *
   * The same for a model that thinks: reasoning counts against
   * `max_tokens`, so it needs more room (kimi-api.md §1.6).
   */
  ctx_properties[PROP_CTX_THINKING_MAX_TOKENS] =
    g_param_spec_uint ("thinking-max-tokens", NULL, NULL, 1, G_MAXINT, DEFAULT_THINKING_MAX_TOKENS, rw);

  /**
   * MoonContext:safety-margin:
   *
   * Tokens kept free for the estimate's error, or 0 for 2% of the window
   * (at least 256).
   */
  ctx_properties[PROP_CTX_SAFETY_MARGIN] =
    g_param_spec_uint ("safety-margin", NULL, NULL, 0, G_MAXINT, 0, rw);

  /**
   * MoonContext:persona-interval:
   *
   * Repeat the system prompt before the newest question every this many
   * questions (role-play persona reinforcement), or 0 never.
   */
  ctx_properties[PROP_CTX_PERSONA_INTERVAL] =
    g_param_spec_uint ("persona-interval", NULL, NULL, 0, G_MAXUINT, 0, rw);

  g_object_class_install_properties (object_class, N_CTX_PROPS, ctx_properties);
}

static void
moon_context_init (MoonContext *self)
{
  self->default_max_tokens = DEFAULT_MAX_TOKENS;
  self->thinking_max_tokens = DEFAULT_THINKING_MAX_TOKENS;
}

/**
 * moon_context_new:
 * @estimator: (nullable): the estimator to use, or %NULL for a new one
 *
 * Returns: (transfer full): a new #MoonContext
 */
MoonContext *
moon_context_new (MoonTokenEstimator *estimator)
{
  g_return_val_if_fail (estimator == NULL || MOON_IS_TOKEN_ESTIMATOR (estimator), NULL);

  return g_object_new (MOON_TYPE_CONTEXT, "estimator", estimator, NULL);
}

/**
 * moon_context_get_estimator:
 * @self: a #MoonContext
 *
 * Returns: (transfer none): the token estimator
 */
MoonTokenEstimator *
moon_context_get_estimator (MoonContext *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT (self), NULL);
  return self->estimator;
}

guint
moon_context_get_default_max_tokens (MoonContext *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT (self), 0);
  return self->default_max_tokens;
}

void
moon_context_set_default_max_tokens (MoonContext *self,
                                     guint        max_tokens)
{
  g_return_if_fail (MOON_IS_CONTEXT (self));
  g_return_if_fail (max_tokens > 0);

  if (self->default_max_tokens == max_tokens)
    return;
  self->default_max_tokens = max_tokens;
  g_object_notify_by_pspec (G_OBJECT (self), ctx_properties[PROP_CTX_DEFAULT_MAX_TOKENS]);
}

guint
moon_context_get_thinking_max_tokens (MoonContext *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT (self), 0);
  return self->thinking_max_tokens;
}

void
moon_context_set_thinking_max_tokens (MoonContext *self,
                                      guint        max_tokens)
{
  g_return_if_fail (MOON_IS_CONTEXT (self));
  g_return_if_fail (max_tokens > 0);

  if (self->thinking_max_tokens == max_tokens)
    return;
  self->thinking_max_tokens = max_tokens;
  g_object_notify_by_pspec (G_OBJECT (self), ctx_properties[PROP_CTX_THINKING_MAX_TOKENS]);
}

guint
moon_context_get_safety_margin (MoonContext *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT (self), 0);
  return self->safety_margin;
}

void
moon_context_set_safety_margin (MoonContext *self,
                                guint        tokens)
{
  g_return_if_fail (MOON_IS_CONTEXT (self));

  if (self->safety_margin == tokens)
    return;
  self->safety_margin = tokens;
  g_object_notify_by_pspec (G_OBJECT (self), ctx_properties[PROP_CTX_SAFETY_MARGIN]);
}

guint
moon_context_get_persona_interval (MoonContext *self)
{
  g_return_val_if_fail (MOON_IS_CONTEXT (self), 0);
  return self->persona_interval;
}

void
moon_context_set_persona_interval (MoonContext *self,
                                   guint        turns)
{
  g_return_if_fail (MOON_IS_CONTEXT (self));

  if (self->persona_interval == turns)
    return;
  self->persona_interval = turns;
  g_object_notify_by_pspec (G_OBJECT (self), ctx_properties[PROP_CTX_PERSONA_INTERVAL]);
}

/* Planning */

static gboolean
is_thinking (MoonConversation      *conversation,
             const MoonModelLimits *limits)
{
  return limits->thinking == MOON_MODEL_THINKING_ALWAYS ||
         (limits->thinking == MOON_MODEL_THINKING_SWITCHABLE &&
          moon_conversation_get_thinking (conversation));
}

static gboolean
has_tool_calls (MoonMessage *message)
{
  JsonArray *calls = moon_message_get_tool_calls (message);

  return calls != NULL && json_array_get_length (calls) > 0;
}

static gboolean
has_text (const char *text)
{
  return text != NULL && *text != '\0';
}

/* Whether a message of the history can be sent at all. */
static gboolean
is_sendable (MoonMessage *message)
{
  switch (moon_message_get_role (message))
    {
    case MOON_MESSAGE_ROLE_SYSTEM:
    case MOON_MESSAGE_ROLE_USER:
      return moon_message_get_content_length (message) > 0;

    case MOON_MESSAGE_ROLE_ASSISTANT:
      if (moon_message_get_state (message) != MOON_MESSAGE_STATE_DONE)
        return FALSE;
      return moon_message_get_content_length (message) > 0 || has_tool_calls (message);

    case MOON_MESSAGE_ROLE_TOOL:
      return has_text (moon_message_get_tool_call_id (message));

    default:
      return FALSE;
    }
}

/**
 * moon_context_message_to_json:
 * @message: a message
 * @with_reasoning: whether to include `reasoning_content`
 *
 * The message as one element of a request's `messages`: role, content,
 * name, and the tool calls or tool call id. No Moonchat-only fields.
 *
 * Returns: (transfer full): a JSON object node
 */
JsonNode *
moon_context_message_to_json (MoonMessage *message,
                              gboolean     with_reasoning)
{
  g_autoptr(JsonBuilder) builder = NULL;
  MoonMessageRole role;
  const char *name;

  g_return_val_if_fail (MOON_IS_MESSAGE (message), NULL);

  builder = json_builder_new ();
  role = moon_message_get_role (message);
  name = moon_message_get_name (message);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, moon_message_role_to_string (role));
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, moon_message_get_content (message));

  if (has_text (name))
    {
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, name);
    }

  if (role == MOON_MESSAGE_ROLE_ASSISTANT)
    {
      const char *reasoning = moon_message_get_reasoning_content (message);

      if (with_reasoning && has_text (reasoning))
        {
          json_builder_set_member_name (builder, "reasoning_content");
          json_builder_add_string_value (builder, reasoning);
        }

      if (has_tool_calls (message))
        {
          g_autoptr(JsonNode) shared = json_node_new (JSON_NODE_ARRAY);
          g_autofree char *text = NULL;
          JsonNode *calls;

          /* Echoed exactly as received (kimi-api.md §1.2), as a copy: a body
           * may be sealed, and the message's own array must stay mutable. */
          json_node_set_array (shared, moon_message_get_tool_calls (message));
          text = json_to_string (shared, FALSE);
          calls = json_from_string (text, NULL);
          json_builder_set_member_name (builder, "tool_calls");
          json_builder_add_value (builder, calls);
        }
    }
  else if (role == MOON_MESSAGE_ROLE_TOOL)
    {
      json_builder_set_member_name (builder, "tool_call_id");
      json_builder_add_string_value (builder, moon_message_get_tool_call_id (message));
    }

  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static JsonNode *
system_to_wire (const char *text)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (object, "role", "system");
  json_object_set_string_member (object, "content", text);
  json_node_take_object (node, object);
  return node;
}

static JsonNode *
partial_to_wire (const char *content,
                 const char *name,
                 const char *reasoning)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (object, "role", "assistant");
  json_object_set_string_member (object, "content", content ? content : "");
  if (has_text (name))
    json_object_set_string_member (object, "name", name);
  if (has_text (reasoning))
    json_object_set_string_member (object, "reasoning_content", reasoning);
  json_object_set_boolean_member (object, "partial", TRUE);
  json_node_take_object (node, object);
  return node;
}

static guint
wire_tokens (MoonContext *self,
             JsonNode    *node)
{
  return moon_token_estimator_estimate_json_message (self->estimator, json_node_get_object (node));
}

/* Finds the range a tool-call reply and its results span: the results must
 * follow the call (unsendable messages in between are skipped) and answer
 * every call id. Returns the last position of the group, or -1 if the group
 * is incomplete. */
static int
tool_group_end (GPtrArray *messages,
                guint      start,
                guint      end)
{
  JsonArray *calls = moon_message_get_tool_calls (g_ptr_array_index (messages, start));
  g_autoptr(GHashTable) open = g_hash_table_new (g_str_hash, g_str_equal);
  int last = -1;

  for (guint i = 0; i < json_array_get_length (calls); i++)
    {
      JsonNode *node = json_array_get_element (calls, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        {
          const char *id = json_object_get_string_member_with_default (json_node_get_object (node), "id", NULL);

          if (id != NULL)
            g_hash_table_add (open, (gpointer) id);
        }
    }

  if (g_hash_table_size (open) == 0)
    return -1;

  for (guint i = start + 1; i < end && g_hash_table_size (open) > 0; i++)
    {
      MoonMessage *message = g_ptr_array_index (messages, i);

      if (!is_sendable (message))
        continue;
      if (moon_message_get_role (message) != MOON_MESSAGE_ROLE_TOOL)
        break;
      if (!g_hash_table_remove (open, moon_message_get_tool_call_id (message)))
        break;
      last = i;
    }

  return g_hash_table_size (open) == 0 ? last : -1;
}

static int
find_position (MoonConversation *conversation,
               const char       *id)
{
  guint position;

  if (id == NULL || moon_conversation_find_message (conversation, id, &position) == NULL)
    return -1;
  return position;
}

/* A small JSON writer for the body. */

static void
append_json_string (GString    *out,
                    const char *text,
                    gssize      length)
{
  const char *p;
  const char *end;
  const char *run;

  if (text == NULL)
    text = "";
  if (length < 0)
    length = strlen (text);

  p = run = text;
  end = text + length;
  g_string_append_c (out, '"');

  for (; p < end; p++)
    {
      guchar c = *p;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;

      g_string_append_len (out, run, p - run);
      run = p + 1;

      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          g_string_append_printf (out, "\\u%04x", c);
          break;
        }
    }

  g_string_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}

static void
append_json_double (GString *out,
                    double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  /* The shortest text that reads back as the same number: 0.6, not
   * 0.59999999999999998. */
  for (int digits = 1; digits <= 17; digits++)
    {
      g_autofree char *format = g_strdup_printf ("%%.%dg", digits);

      g_ascii_formatd (buffer, sizeof buffer, format, value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }

  g_string_append (out, buffer);
  if (strpbrk (buffer, ".eEn") == NULL)
    g_string_append (out, ".0");
}

static inline void
begin_element (GString  *out,
               gboolean *first)
{
  if (!*first)
    g_string_append_c (out, ',');
  *first = FALSE;
}

static void
append_node (GString  *out,
             gboolean *first,
             JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  begin_element (out, first);
  g_string_append (out, text);
}

static void
append_system (GString    *out,
               gboolean   *first,
               const char *text)
{
  begin_element (out, first);
  g_string_append (out, "{\"role\":\"system\",\"content\":");
  append_json_string (out, text, -1);
  g_string_append_c (out, '}');
}

static void
render_message (GString     *out,
                MoonMessage *message,
                gboolean     with_reasoning)
{
  MoonMessageRole role = moon_message_get_role (message);
  const char *name = moon_message_get_name (message);

  g_string_append (out, "{\"role\":\"");
  g_string_append (out, moon_message_role_to_string (role));
  g_string_append (out, "\",\"content\":");
  append_json_string (out, moon_message_get_content (message), moon_message_get_content_length (message));

  if (has_text (name))
    {
      g_string_append (out, ",\"name\":");
      append_json_string (out, name, -1);
    }

  if (role == MOON_MESSAGE_ROLE_ASSISTANT)
    {
      const char *reasoning = moon_message_get_reasoning_content (message);

      if (with_reasoning && has_text (reasoning))
        {
          g_string_append (out, ",\"reasoning_content\":");
          append_json_string (out, reasoning, -1);
        }

      if (has_tool_calls (message))
        {
          g_autoptr(JsonNode) calls = json_node_new (JSON_NODE_ARRAY);
          g_autofree char *text = NULL;

          /* Echoed exactly as received (kimi-api.md §1.2). */
          json_node_set_array (calls, moon_message_get_tool_calls (message));
          text = json_to_string (calls, FALSE);
          g_string_append (out, ",\"tool_calls\":");
          g_string_append (out, text);
        }
    }
  else if (role == MOON_MESSAGE_ROLE_TOOL)
    {
      g_string_append (out, ",\"tool_call_id\":");
      append_json_string (out, moon_message_get_tool_call_id (message), -1);
    }

  g_string_append_c (out, '}');
}

/* What a message looks like in a request, kept on the message until it
 * changes: a long conversation is then mostly copied, not escaped again,
 * each time a request is built. */
typedef struct
{
  char  *json;
  gsize  length;
} RenderCache;

static GQuark render_quark;

static void
render_cache_free (gpointer data)
{
  RenderCache *cache = data;

  g_free (cache->json);
  g_free (cache);
}

static void
render_cache_invalidate (MoonMessage *message,
                         GParamSpec  *pspec,
                         gpointer     user_data)
{
  RenderCache *cache = user_data;

  g_clear_pointer (&cache->json, g_free);
}

static void
append_message (GString     *out,
                gboolean    *first,
                MoonMessage *message,
                gboolean     with_reasoning)
{
  RenderCache *cache;

  begin_element (out, first);

  if (with_reasoning)
    {
      render_message (out, message, TRUE);
      return;
    }

  if (G_UNLIKELY (render_quark == 0))
    render_quark = g_quark_from_static_string ("moon-context-render");

  cache = g_object_get_qdata (G_OBJECT (message), render_quark);
  if (cache == NULL)
    {
      cache = g_new0 (RenderCache, 1);
      g_object_set_qdata_full (G_OBJECT (message), render_quark, cache, render_cache_free);
      g_signal_connect (message, "notify", G_CALLBACK (render_cache_invalidate), cache);
    }

  if (cache->json == NULL)
    {
      GString *text = g_string_new (NULL);

      render_message (text, message, FALSE);
      cache->length = text->len;
      cache->json = g_string_free (text, FALSE);
    }

  g_string_append_len (out, cache->json, cache->length);
}

/* A unit is what is kept or left out as a whole. */
typedef struct
{
  guint first;
  guint last;
  guint n_messages;
  guint tokens;
  gboolean is_reply;   /* starts with an assistant message */
  gboolean has_user;   /* a user message */
} Unit;

static void
cost_unit (MoonContext     *self,
           MoonContextPlan *plan,
           Unit            *unit,
           const char      *model,
           gboolean         thinking,
           int              last_user)
{
  unit->tokens = 0;

  for (guint j = unit->first; j <= unit->last; j++)
    {
      Entry *entry = &g_array_index (plan->entries, Entry, j);
      MoonMessage *message = g_ptr_array_index (plan->messages, j);
      gboolean with_reasoning;

      if (entry->status == MOON_CONTEXT_STATUS_NOT_SENDABLE)
        continue;

      /* Reasoning goes back only on tool calls of the current task. */
      with_reasoning = thinking && j == unit->first && unit->is_reply &&
                       (int) j > last_user && has_tool_calls (message);
      entry->tokens = moon_token_estimator_estimate_message (self->estimator, message, model, with_reasoning);
      unit->tokens += entry->tokens;
    }
}

/**
 * moon_context_plan:
 * @self: a #MoonContext
 * @conversation: a loaded conversation
 * @limits: what is known about the conversation's model
 * @mode: which request to plan
 * @target: (nullable): the reply being generated (%MOON_CONTEXT_MODE_REPLY)
 *   or continued (%MOON_CONTEXT_MODE_CONTINUE); %NULL with
 *   %MOON_CONTEXT_MODE_PREVIEW
 * @error: return location for an error
 *
 * Plans one request for @conversation. Only messages before @target are
 * history.
 *
 * Returns: (transfer full): the plan, or %NULL if the conversation has no
 *   model or @target is not one of its assistant messages
 */
MoonContextPlan *
moon_context_plan (MoonContext            *self,
                   MoonConversation       *conversation,
                   const MoonModelLimits  *limits,
                   MoonContextMode         mode,
                   MoonMessage            *target,
                   GError                **error)
{
  g_autoptr(MoonContextPlan) plan = NULL;
  g_autoptr(GArray) units = NULL;
  GString *out;
  gboolean first = TRUE;
  g_autoptr(JsonNode) summary_node = NULL;
  g_autoptr(JsonNode) partial_node = NULL;
  g_autoptr(JsonNode) persona_node = NULL;
  const char *model;
  const char *system_prompt;
  const char *summary;
  gboolean thinking;
  guint n_messages;
  guint end;
  guint fixed_tokens;
  guint history_tokens = 0;
  guint history_count = 0;
  guint limit;
  guint reserve;
  guint margin = 0;
  guint64 budget;
  guint kept_from;
  int last_user = -1;
  guint n_user_turns = 0;
  MoonContextStatus stop_status = MOON_CONTEXT_STATUS_OVER_BUDGET;

  g_return_val_if_fail (MOON_IS_CONTEXT (self), NULL);
  g_return_val_if_fail (MOON_IS_CONVERSATION (conversation), NULL);
  g_return_val_if_fail (limits != NULL, NULL);
  g_return_val_if_fail (target == NULL || MOON_IS_MESSAGE (target), NULL);
  g_return_val_if_fail ((mode == MOON_CONTEXT_MODE_PREVIEW) == (target == NULL), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  model = moon_conversation_get_model (conversation);
  if (!has_text (model))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The conversation has no model"));
      return NULL;
    }

  plan = g_object_new (MOON_TYPE_CONTEXT_PLAN, NULL);
  plan->estimator = g_object_ref (self->estimator);
  plan->model = g_strdup (model);
  plan->mode = mode;
  plan->target = target ? g_object_ref (target) : NULL;
  plan->context_length = MAX (limits->context_length, 0);
  plan->summary_enabled = moon_conversation_get_summary_enabled (conversation);

  n_messages = g_list_model_get_n_items (G_LIST_MODEL (conversation));
  plan->messages = g_ptr_array_new_full (n_messages, g_object_unref);
  for (guint i = 0; i < n_messages; i++)
    g_ptr_array_add (plan->messages, g_list_model_get_item (G_LIST_MODEL (conversation), i));
  g_array_set_size (plan->entries, n_messages);

  end = n_messages;
  if (target != NULL)
    {
      guint position;

      if (!g_ptr_array_find (plan->messages, target, &position) ||
          moon_message_get_role (target) != MOON_MESSAGE_ROLE_ASSISTANT)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The reply is not part of this conversation"));
          return NULL;
        }

      end = position;
      g_array_index (plan->entries, Entry, position).status =
        mode == MOON_CONTEXT_MODE_CONTINUE ? MOON_CONTEXT_STATUS_PARTIAL : MOON_CONTEXT_STATUS_GENERATING;
      for (guint i = position + 1; i < n_messages; i++)
        g_array_index (plan->entries, Entry, i).status = MOON_CONTEXT_STATUS_LATER;
    }

  thinking = is_thinking (conversation, limits);
  system_prompt = moon_conversation_get_system_prompt (conversation);
  summary = moon_conversation_get_summary (conversation);

  /* Classify the history and find the newest question. */
  for (guint i = 0; i < end; i++)
    {
      MoonMessage *message = g_ptr_array_index (plan->messages, i);
      Entry *entry = &g_array_index (plan->entries, Entry, i);

      if (!is_sendable (message))
        {
          entry->status = MOON_CONTEXT_STATUS_NOT_SENDABLE;
          continue;
        }

      if (moon_message_get_role (message) == MOON_MESSAGE_ROLE_SYSTEM)
        entry->status = MOON_CONTEXT_STATUS_SYSTEM;
      else if (moon_message_get_role (message) == MOON_MESSAGE_ROLE_USER)
        {
          last_user = i;
          n_user_turns++;
        }
    }

  /* Group the history into units; cost them. */
  units = g_array_new (FALSE, TRUE, sizeof (Unit));
  for (guint i = 0; i < end; i++)
    {
      MoonMessage *message = g_ptr_array_index (plan->messages, i);
      Entry *entry = &g_array_index (plan->entries, Entry, i);
      Unit unit = { i, i, 1, 0, FALSE, FALSE };
      MoonMessageRole role;

      if (entry->status == MOON_CONTEXT_STATUS_NOT_SENDABLE)
        continue;

      role = moon_message_get_role (message);

      if (role == MOON_MESSAGE_ROLE_SYSTEM)
        {
          entry->tokens = moon_token_estimator_estimate_message (self->estimator, message, model, FALSE);
          continue;
        }

      if (role == MOON_MESSAGE_ROLE_TOOL)
        {
          /* A result outside a complete group. */
          entry->status = MOON_CONTEXT_STATUS_ORPHANED;
          continue;
        }

      if (role == MOON_MESSAGE_ROLE_ASSISTANT && has_tool_calls (message))
        {
          int group_end = tool_group_end (plan->messages, i, end);

          if (group_end < 0)
            {
              entry->status = MOON_CONTEXT_STATUS_ORPHANED;
              continue;
            }

          unit.last = group_end;
          unit.n_messages = 0;
          for (guint j = i; j <= (guint) group_end; j++)
            {
              MoonMessage *member = g_ptr_array_index (plan->messages, j);
              Entry *member_entry = &g_array_index (plan->entries, Entry, j);

              if (member_entry->status == MOON_CONTEXT_STATUS_NOT_SENDABLE)
                continue;

              (void) member;
              member_entry->status = MOON_CONTEXT_STATUS_SENT;
              unit.n_messages++;
            }

          unit.is_reply = TRUE;
          g_array_append_val (units, unit);
          i = group_end;
          continue;
        }

      unit.is_reply = role == MOON_MESSAGE_ROLE_ASSISTANT;
      unit.has_user = role == MOON_MESSAGE_ROLE_USER;
      g_array_append_val (units, unit);
    }

  /* The fixed parts: system messages, summary, persona, partial, priming. */
  fixed_tokens = MOON_TOKEN_ESTIMATOR_REPLY_PRIMING;

  if (has_text (system_prompt))
    fixed_tokens += MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD + moon_token_estimate_text (system_prompt, -1);

  for (guint i = 0; i < end; i++)
    if (g_array_index (plan->entries, Entry, i).status == MOON_CONTEXT_STATUS_SYSTEM)
      fixed_tokens += g_array_index (plan->entries, Entry, i).tokens;

  if (has_text (summary))
    {
      g_autofree char *text = g_strdup_printf (_("Summary of the earlier conversation:\n%s"), summary);

      summary_node = system_to_wire (text);
    }

  if (self->persona_interval > 0 && has_text (system_prompt) && last_user >= 0 &&
      n_user_turns >= self->persona_interval && n_user_turns % self->persona_interval == 0)
    {
      persona_node = system_to_wire (system_prompt);
      fixed_tokens += wire_tokens (self, persona_node);
    }

  if (mode == MOON_CONTEXT_MODE_CONTINUE)
    {
      const char *reasoning = thinking ? moon_message_get_reasoning_content (target) : NULL;

      partial_node = partial_to_wire (moon_message_get_content (target),
                                      moon_message_get_name (target),
                                      reasoning);
    }
  else if (mode == MOON_CONTEXT_MODE_REPLY &&
           (has_text (moon_conversation_get_partial_prefix (conversation)) ||
            has_text (moon_conversation_get_partial_name (conversation))))
    {
      partial_node = partial_to_wire (moon_conversation_get_partial_prefix (conversation),
                                      moon_conversation_get_partial_name (conversation),
                                      NULL);
    }

  if (partial_node != NULL)
    fixed_tokens += wire_tokens (self, partial_node);

  /* The budget. */
  if (moon_conversation_get_max_tokens (conversation) > 0)
    reserve = moon_conversation_get_max_tokens (conversation);
  else
    reserve = thinking ? self->thinking_max_tokens : self->default_max_tokens;

  if (plan->context_length > 0)
    {
      margin = self->safety_margin > 0 ? self->safety_margin
                                       : MAX (MIN_SAFETY_MARGIN, plan->context_length / 50);
      /* A reply may take at most half of a small window. */
      reserve = MIN ((gint64) reserve, MAX (1, (plan->context_length - margin) / 2));
      budget = MAX (0, plan->context_length - (gint64) reserve - margin - fixed_tokens);
    }
  else
    {
      budget = G_MAXUINT;
    }

  if (moon_conversation_get_context_token_budget (conversation) > 0)
    budget = MIN (budget, moon_conversation_get_context_token_budget (conversation));

  /* The summary counts only if it is sent; reserve its room up front so that
   * sending it cannot push the request over. */
  if (summary_node != NULL)
    {
      guint summary_tokens = wire_tokens (self, summary_node);

      budget = budget > summary_tokens ? budget - summary_tokens : 0;
    }

  plan->history_budget = (guint) MIN (budget, G_MAXUINT);

  /* Keep the newest units that fit both limits. */
  limit = moon_conversation_get_context_message_limit (conversation);
  kept_from = units->len;
  for (guint u = units->len; u > 0; u--)
    {
      Unit *unit = &g_array_index (units, Unit, u - 1);
      gboolean newest = u == units->len;

      /* Costed only when reached: older turns are never estimated. */
      cost_unit (self, plan, unit, model, thinking, last_user);

      if (!newest && limit > 0 && history_count + unit->n_messages > limit)
        {
          stop_status = MOON_CONTEXT_STATUS_OVER_LIMIT;
          break;
        }
      if (!newest && history_tokens + (guint64) unit->tokens > budget)
        {
          stop_status = MOON_CONTEXT_STATUS_OVER_BUDGET;
          break;
        }

      history_count += unit->n_messages;
      history_tokens += unit->tokens;
      kept_from = u - 1;
    }

  if (units->len > 0 && history_tokens > budget)
    plan->over_budget = TRUE;

  /* Never start with a reply whose question was left out. */
  if (kept_from > 0)
    {
      while (kept_from < units->len && g_array_index (units, Unit, kept_from).is_reply)
        {
          Unit *unit = &g_array_index (units, Unit, kept_from);

          for (guint j = unit->first; j <= unit->last; j++)
            if (g_array_index (plan->entries, Entry, j).status != MOON_CONTEXT_STATUS_NOT_SENDABLE)
              g_array_index (plan->entries, Entry, j).status = MOON_CONTEXT_STATUS_ORPHANED;
          history_tokens -= unit->tokens;
          history_count -= unit->n_messages;
          kept_from++;
        }
    }

  /* Mark what is left out. */
  {
    int summary_first = has_text (summary) ? find_position (conversation, moon_conversation_get_summary_first_id (conversation)) : -1;
    int summary_last = has_text (summary) ? find_position (conversation, moon_conversation_get_summary_last_id (conversation)) : -1;

    if (summary_first < 0)
      summary_first = 0;
    plan->summary_end = summary_last;

    for (guint u = 0; u < kept_from && u < units->len; u++)
      {
        Unit *unit = &g_array_index (units, Unit, u);

        for (guint j = unit->first; j <= unit->last; j++)
          {
            Entry *entry = &g_array_index (plan->entries, Entry, j);

            if (entry->status == MOON_CONTEXT_STATUS_NOT_SENDABLE)
              continue;

            if (entry->status != MOON_CONTEXT_STATUS_ORPHANED)
              entry->status = stop_status;

            plan->n_left_out++;
            plan->last_left_out = MAX (plan->last_left_out, (int) j);

            if (summary_last >= 0 && (int) j >= summary_first && (int) j <= summary_last)
              entry->status = MOON_CONTEXT_STATUS_SUMMARIZED;
          }
      }

    /* Orphaned results before the kept history are left out too. */
    for (guint i = 0; i < end; i++)
      {
        Entry *entry = &g_array_index (plan->entries, Entry, i);

        if (entry->status == MOON_CONTEXT_STATUS_ORPHANED && i < (kept_from < units->len ? g_array_index (units, Unit, kept_from).first : end))
          plan->last_left_out = MAX (plan->last_left_out, (int) i);
      }
  }

  /* Assemble the body as JSON text right away: a request may carry
   * thousands of messages, and a tree of JsonNodes for them costs more than
   * the text (the tree is made only if someone asks, see get_body()). */
  out = g_string_sized_new (4096);
  g_string_append (out, "{\"model\":");
  append_json_string (out, model, -1);
  g_string_append (out, ",\"messages\":[");

  if (has_text (system_prompt))
    append_system (out, &first, system_prompt);

  for (guint i = 0; i < end; i++)
    {
      Entry *entry = &g_array_index (plan->entries, Entry, i);

      if (entry->status == MOON_CONTEXT_STATUS_SYSTEM)
        {
          append_message (out, &first, g_ptr_array_index (plan->messages, i), FALSE);
          plan->n_sent++;
        }
    }

  /* The summary only when something is actually left out. */
  if (summary_node != NULL && plan->n_left_out > 0)
    {
      append_node (out, &first, summary_node);
      history_tokens += wire_tokens (self, summary_node);
      plan->summary_sent = TRUE;
    }

  for (guint u = kept_from; u < units->len; u++)
    {
      Unit *unit = &g_array_index (units, Unit, u);

      for (guint j = unit->first; j <= unit->last; j++)
        {
          Entry *entry = &g_array_index (plan->entries, Entry, j);
          MoonMessage *message = g_ptr_array_index (plan->messages, j);
          gboolean with_reasoning;

          if (entry->status == MOON_CONTEXT_STATUS_NOT_SENDABLE)
            continue;

          if (persona_node != NULL && (int) j == last_user)
            {
              append_node (out, &first, persona_node);
              plan->persona_reinforced = TRUE;
            }

          with_reasoning = thinking && (int) j > last_user &&
                           moon_message_get_role (message) == MOON_MESSAGE_ROLE_ASSISTANT &&
                           has_tool_calls (message);
          entry->status = MOON_CONTEXT_STATUS_SENT;
          append_message (out, &first, message, with_reasoning);
          plan->n_sent++;
        }
    }

  if (persona_node != NULL && !plan->persona_reinforced)
    fixed_tokens -= wire_tokens (self, persona_node);

  if (partial_node != NULL)
    append_node (out, &first, partial_node);

  plan->estimated_prompt_tokens = fixed_tokens + history_tokens;

  /* max_tokens: never more than the window leaves. */
  plan->max_tokens = reserve;
  if (plan->context_length > 0)
    {
      gint64 room = plan->context_length - (gint64) plan->estimated_prompt_tokens - margin;

      if (room < (gint64) plan->max_tokens)
        plan->max_tokens = (guint) MAX (room, 1);
      if (room < 1)
        plan->over_budget = TRUE;
    }

  g_string_append_printf (out, "],\"stream\":true,\"max_tokens\":%u", plan->max_tokens);

  if (limits->known && !limits->fixed_sampling &&
      moon_conversation_get_temperature (conversation) >= 0)
    {
      /* Kimi's range is [0, 1] (kimi-api.md §1.1). */
      g_string_append (out, ",\"temperature\":");
      append_json_double (out, MIN (moon_conversation_get_temperature (conversation), 1.0));
    }

  if (limits->known && limits->thinking == MOON_MODEL_THINKING_SWITCHABLE)
    g_string_append_printf (out, ",\"thinking\":{\"type\":\"%s\"}",
                            moon_conversation_get_thinking (conversation) ? "enabled" : "disabled");

  if (limits->known)
    g_string_append (out, ",\"stream_options\":{\"include_usage\":true}");

  g_string_append_c (out, '}');
  plan->body_bytes = g_string_free_to_bytes (out);

  return g_steal_pointer (&plan);
}

static void
append_transcript_line (GString     *transcript,
                        MoonMessage *message)
{
  const char *who;

  switch (moon_message_get_role (message))
    {
    case MOON_MESSAGE_ROLE_USER:
      /* Translators: a speaker in the transcript given to the model to summarise */
      who = _("User");
      break;
    case MOON_MESSAGE_ROLE_ASSISTANT:
      /* Translators: a speaker in the transcript given to the model to summarise */
      who = _("Assistant");
      break;
    case MOON_MESSAGE_ROLE_TOOL:
      /* Translators: a speaker in the transcript given to the model to summarise */
      who = _("Tool");
      break;
    case MOON_MESSAGE_ROLE_SYSTEM:
    default:
      return;
    }

  if (moon_message_get_content_length (message) == 0)
    return;

  g_string_append_printf (transcript, "%s: %s\n\n", who, moon_message_get_content (message));
}

/**
 * moon_context_build_summary_request:
 * @self: a #MoonContext
 * @conversation: the conversation @plan is for
 * @plan: a plan that moon_context_plan_get_needs_summary() said wants one
 * @limits: what is known about the model
 * @out_first_id: (out) (optional) (transfer full): the first message the
 *   new summary covers
 * @out_last_id: (out) (optional) (transfer full): the last one
 *
 * Builds the request that asks the conversation's own model to summarise
 * the turns @plan leaves out, folding in the current summary. Store the
 * answer with moon_conversation_set_summary() and the two ids.
 *
 * Returns: (transfer full) (nullable): the request body, or %NULL if there
 *   is nothing to summarise
 */
JsonNode *
moon_context_build_summary_request (MoonContext            *self,
                                    MoonConversation       *conversation,
                                    MoonContextPlan        *plan,
                                    const MoonModelLimits  *limits,
                                    char                  **out_first_id,
                                    char                  **out_last_id)
{
  g_autoptr(GPtrArray) dropped = NULL;
  g_autoptr(GString) transcript = NULL;
  JsonObject *body;
  JsonArray *messages;
  JsonNode *node;
  const char *summary;
  const char *first_id;
  guint64 room;

  g_return_val_if_fail (MOON_IS_CONTEXT (self), NULL);
  g_return_val_if_fail (MOON_IS_CONVERSATION (conversation), NULL);
  g_return_val_if_fail (MOON_IS_CONTEXT_PLAN (plan), NULL);
  g_return_val_if_fail (limits != NULL, NULL);

  dropped = moon_context_plan_dup_unsummarized (plan);
  if (dropped->len == 0)
    return NULL;

  summary = moon_conversation_get_summary (conversation);

  /* What fits the window: the newest left-out turns first. */
  room = limits->context_length > 0 ? (guint64) limits->context_length * 3 / 4 - SUMMARY_MAX_TOKENS : G_MAXUINT;
  {
    guint64 used = 0;
    guint first = dropped->len;

    for (guint i = dropped->len; i > 0; i--)
      {
        MoonMessage *message = g_ptr_array_index (dropped, i - 1);

        used += moon_token_estimator_estimate_message (self->estimator, message,
                                                       moon_conversation_get_model (conversation), FALSE);
        if (used > room && first < dropped->len)
          break;
        first = i - 1;
      }
    if (first > 0)
      g_ptr_array_remove_range (dropped, 0, first);
  }

  transcript = g_string_new (NULL);
  if (has_text (summary))
    g_string_append_printf (transcript, _("Summary so far:\n%s\n\nWhat followed:\n\n"), summary);
  for (guint i = 0; i < dropped->len; i++)
    append_transcript_line (transcript, g_ptr_array_index (dropped, i));

  messages = json_array_new ();
  json_array_add_element (messages,
                          system_to_wire (_("Summarise the conversation below so that it can stand in for it "
                                            "later. Keep names, facts, decisions, open questions and the user's "
                                            "preferences; leave out greetings and small talk. Write in the "
                                            "language of the conversation, in plain prose, at most 300 words.")));
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, json_object_new ());
  json_object_set_string_member (json_node_get_object (node), "role", "user");
  json_object_set_string_member (json_node_get_object (node), "content", transcript->str);
  json_array_add_element (messages, node);

  body = json_object_new ();
  json_object_set_string_member (body, "model", moon_conversation_get_model (conversation));
  json_object_set_array_member (body, "messages", messages);
  json_object_set_boolean_member (body, "stream", TRUE);
  json_object_set_int_member (body, "max_tokens",
                              limits->thinking == MOON_MODEL_THINKING_ALWAYS ? 4 * SUMMARY_MAX_TOKENS
                                                                              : SUMMARY_MAX_TOKENS);
  if (limits->known && limits->thinking == MOON_MODEL_THINKING_SWITCHABLE)
    {
      JsonObject *object = json_object_new ();

      /* A summary needs no deliberation. */
      json_object_set_string_member (object, "type", "disabled");
      json_object_set_object_member (body, "thinking", object);
    }

  first_id = moon_conversation_get_summary_first_id (conversation);
  if (!has_text (summary) || !has_text (first_id))
    first_id = moon_message_get_id (g_ptr_array_index (dropped, 0));

  if (out_first_id != NULL)
    *out_first_id = g_strdup (first_id);
  if (out_last_id != NULL)
    *out_last_id = g_strdup (moon_message_get_id (g_ptr_array_index (dropped, dropped->len - 1)));

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, body);
  return node;
}
