/* moon-token-estimator.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "moon-message.h"

G_BEGIN_DECLS

/**
 * MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD:
 *
 * Tokens the chat template adds around every message: the role marker, the
 * role name, the separator and the end marker (`<|im_user|>user<|im_middle|>`
 * … `<|im_end|>` on Kimi K2).
 */
#define MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD 4

/**
 * MOON_TOKEN_ESTIMATOR_REPLY_PRIMING:
 *
 * Tokens the template adds after the last message to start the reply
 * (`<|im_assistant|>assistant<|im_middle|>`).
 */
#define MOON_TOKEN_ESTIMATOR_REPLY_PRIMING 3

guint moon_token_estimate_text (const char *text,
                                gssize      length);

#define MOON_TYPE_TOKEN_ESTIMATOR (moon_token_estimator_get_type ())

G_DECLARE_FINAL_TYPE (MoonTokenEstimator, moon_token_estimator, MOON, TOKEN_ESTIMATOR, GObject)

MoonTokenEstimator *moon_token_estimator_new                   (void);

guint               moon_token_estimator_estimate_json_message (MoonTokenEstimator *self,
                                                                JsonObject         *message);
guint               moon_token_estimator_estimate_body         (MoonTokenEstimator *self,
                                                                JsonObject         *body);
guint               moon_token_estimator_estimate_message      (MoonTokenEstimator *self,
                                                                MoonMessage        *message,
                                                                const char         *model,
                                                                gboolean            with_reasoning);

void                moon_token_estimator_set_server_count      (MoonTokenEstimator *self,
                                                                MoonMessage        *message,
                                                                const char         *model,
                                                                guint               tokens);
gboolean            moon_token_estimator_lookup_server_count   (MoonTokenEstimator *self,
                                                                MoonMessage        *message,
                                                                const char         *model,
                                                                guint              *out_tokens);

void                moon_token_estimator_record_prompt         (MoonTokenEstimator *self,
                                                                guint               estimated,
                                                                guint               actual);
double              moon_token_estimator_get_scale             (MoonTokenEstimator *self);
void                moon_token_estimator_reset_scale           (MoonTokenEstimator *self);

G_END_DECLS
