/* moon-context.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "moon-conversation.h"
#include "moon-token-estimator.h"

G_BEGIN_DECLS

/**
 * MoonModelThinking:
 * @MOON_MODEL_THINKING_NONE: the model does not think; `thinking` is never sent
 * @MOON_MODEL_THINKING_SWITCHABLE: `thinking: {"type": "enabled"|"disabled"}`
 *   switches it (kimi-k2.5, kimi-k2.6)
 * @MOON_MODEL_THINKING_ALWAYS: the model always thinks; `thinking` is not sent
 *
 * How a model reasons, as far as a request is concerned.
 */
typedef enum
{
  MOON_MODEL_THINKING_NONE,
  MOON_MODEL_THINKING_SWITCHABLE,
  MOON_MODEL_THINKING_ALWAYS,
} MoonModelThinking;

/**
 * MoonModelLimits:
 * @context_length: the model's window (input plus output) in tokens, or 0
 *   if unknown
 * @known: whether the model is known; an unknown model gets only `model`,
 *   `messages`, `stream` and `max_tokens`
 * @fixed_sampling: the model rejects any `temperature` (kimi-k2.5 family)
 * @thinking: how the model reasons
 *
 * What a request needs to know about its model. Core cannot look models up
 * (that table lives in src/api); the caller fills this in, e.g. with
 * moon_model_info_to_limits().
 */
typedef struct
{
  gint64            context_length;
  gboolean          known;
  gboolean          fixed_sampling;
  MoonModelThinking thinking;
} MoonModelLimits;

/**
 * MoonContextMode:
 * @MOON_CONTEXT_MODE_REPLY: the request for a new reply: the target is the
 *   assistant message being generated, which is not sent; with a partial
 *   prefix set, the request ends with it (Partial Mode)
 * @MOON_CONTEXT_MODE_CONTINUE: the request that continues the target reply:
 *   it is sent as the final `partial` assistant message
 * @MOON_CONTEXT_MODE_PREVIEW: what the next message would carry: every
 *   finished message, no target
 *
 * Which request a plan is for.
 */
typedef enum
{
  MOON_CONTEXT_MODE_REPLY,
  MOON_CONTEXT_MODE_CONTINUE,
  MOON_CONTEXT_MODE_PREVIEW,
} MoonContextMode;

/**
 * MoonContextStatus:
 * @MOON_CONTEXT_STATUS_SENT: sent as history
 * @MOON_CONTEXT_STATUS_SYSTEM: a system message: always sent, first
 * @MOON_CONTEXT_STATUS_PARTIAL: the reply being continued, sent last as a
 *   partial assistant message
 * @MOON_CONTEXT_STATUS_OVER_LIMIT: left out: beyond the message limit
 * @MOON_CONTEXT_STATUS_OVER_BUDGET: left out: beyond the token budget
 * @MOON_CONTEXT_STATUS_SUMMARIZED: left out, but the summary stands for it
 * @MOON_CONTEXT_STATUS_ORPHANED: left out: a reply whose question was left
 *   out, a tool result without its call, or a tool call without all results
 * @MOON_CONTEXT_STATUS_NOT_SENDABLE: never sent: failed, cancelled or
 *   interrupted replies, empty messages, replies still streaming
 * @MOON_CONTEXT_STATUS_GENERATING: the reply this request generates
 * @MOON_CONTEXT_STATUS_LATER: after the message the request is for
 *
 * What a plan does with one message of the conversation, and why.
 */
typedef enum
{
  MOON_CONTEXT_STATUS_SENT,
  MOON_CONTEXT_STATUS_SYSTEM,
  MOON_CONTEXT_STATUS_PARTIAL,
  MOON_CONTEXT_STATUS_OVER_LIMIT,
  MOON_CONTEXT_STATUS_OVER_BUDGET,
  MOON_CONTEXT_STATUS_SUMMARIZED,
  MOON_CONTEXT_STATUS_ORPHANED,
  MOON_CONTEXT_STATUS_NOT_SENDABLE,
  MOON_CONTEXT_STATUS_GENERATING,
  MOON_CONTEXT_STATUS_LATER,
} MoonContextStatus;

#define MOON_TYPE_MODEL_THINKING  (moon_model_thinking_get_type ())
#define MOON_TYPE_CONTEXT_MODE    (moon_context_mode_get_type ())
#define MOON_TYPE_CONTEXT_STATUS  (moon_context_status_get_type ())

GType        moon_model_thinking_get_type   (void) G_GNUC_CONST;
GType        moon_context_mode_get_type     (void) G_GNUC_CONST;
GType        moon_context_status_get_type   (void) G_GNUC_CONST;

void         moon_model_limits_init_unknown (MoonModelLimits   *limits);
const char  *moon_context_status_describe   (MoonContextStatus  status);
gboolean     moon_context_status_is_sent    (MoonContextStatus  status);
JsonNode    *moon_context_message_to_json   (MoonMessage       *message,
                                             gboolean           with_reasoning);

/* MoonContextItem: one message of a plan, for list views. */

#define MOON_TYPE_CONTEXT_ITEM (moon_context_item_get_type ())

G_DECLARE_FINAL_TYPE (MoonContextItem, moon_context_item, MOON, CONTEXT_ITEM, GObject)

MoonMessage       *moon_context_item_get_message (MoonContextItem *self);
MoonContextStatus  moon_context_item_get_status  (MoonContextItem *self);
guint              moon_context_item_get_tokens  (MoonContextItem *self);
guint              moon_context_item_get_position (MoonContextItem *self);

/* MoonContextPlan: one request, and what it left out. */

#define MOON_TYPE_CONTEXT_PLAN (moon_context_plan_get_type ())

G_DECLARE_FINAL_TYPE (MoonContextPlan, moon_context_plan, MOON, CONTEXT_PLAN, GObject)

JsonNode          *moon_context_plan_get_body                  (MoonContextPlan  *self);
GBytes            *moon_context_plan_get_bytes                 (MoonContextPlan  *self);
char              *moon_context_plan_to_string                 (MoonContextPlan  *self,
                                                                gboolean          pretty);
MoonContextMode    moon_context_plan_get_mode                  (MoonContextPlan  *self);
MoonMessage       *moon_context_plan_get_target                (MoonContextPlan  *self);
MoonContextStatus  moon_context_plan_get_status                (MoonContextPlan  *self,
                                                                guint             position);
guint              moon_context_plan_get_message_tokens        (MoonContextPlan  *self,
                                                                guint             position);
guint              moon_context_plan_get_n_sent                (MoonContextPlan  *self);
guint              moon_context_plan_get_n_left_out            (MoonContextPlan  *self);
guint              moon_context_plan_get_estimated_prompt_tokens (MoonContextPlan *self);
guint              moon_context_plan_get_history_budget        (MoonContextPlan  *self);
gint64             moon_context_plan_get_context_length        (MoonContextPlan  *self);
guint              moon_context_plan_get_max_tokens            (MoonContextPlan  *self);
gboolean           moon_context_plan_get_over_budget           (MoonContextPlan  *self);
gboolean           moon_context_plan_get_summary_sent          (MoonContextPlan  *self);
gboolean           moon_context_plan_get_persona_reinforced    (MoonContextPlan  *self);
gboolean           moon_context_plan_get_needs_summary         (MoonContextPlan  *self);
GPtrArray         *moon_context_plan_dup_unsummarized          (MoonContextPlan  *self);

/* MoonContext: builds plans. */

#define MOON_TYPE_CONTEXT (moon_context_get_type ())

G_DECLARE_FINAL_TYPE (MoonContext, moon_context, MOON, CONTEXT, GObject)

MoonContext        *moon_context_new                       (MoonTokenEstimator *estimator);
MoonTokenEstimator *moon_context_get_estimator             (MoonContext        *self);
guint               moon_context_get_default_max_tokens    (MoonContext        *self);
void                moon_context_set_default_max_tokens    (MoonContext        *self,
                                                            guint               max_tokens);
guint               moon_context_get_thinking_max_tokens   (MoonContext        *self);
void                moon_context_set_thinking_max_tokens   (MoonContext        *self,
                                                            guint               max_tokens);
guint               moon_context_get_safety_margin         (MoonContext        *self);
void                moon_context_set_safety_margin         (MoonContext        *self,
                                                            guint               tokens);
guint               moon_context_get_persona_interval      (MoonContext        *self);
void                moon_context_set_persona_interval      (MoonContext        *self,
                                                            guint               turns);

MoonContextPlan    *moon_context_plan                      (MoonContext        *self,
                                                            MoonConversation   *conversation,
                                                            const MoonModelLimits *limits,
                                                            MoonContextMode     mode,
                                                            MoonMessage        *target,
                                                            GError            **error);

JsonNode           *moon_context_build_summary_request     (MoonContext        *self,
                                                            MoonConversation   *conversation,
                                                            MoonContextPlan    *plan,
                                                            const MoonModelLimits *limits,
                                                            char              **out_first_id,
                                                            char              **out_last_id);

G_END_DECLS
