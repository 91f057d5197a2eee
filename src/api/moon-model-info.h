/* moon-model-info.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * MoonThinking:
 * @MOON_THINKING_NONE: the model does not think (or we do not know that it
 *   does); never send `thinking`
 * @MOON_THINKING_SWITCHABLE: thinking is on by default and
 *   `"thinking": {"type": "disabled"}` turns it off (kimi-k2.5, kimi-k2.6)
 * @MOON_THINKING_ALWAYS: the model always thinks; sending `thinking` is
 *   rejected or pointless (kimi-k2-thinking, kimi-k2.7-code, kimi-k3)
 *
 * How a model reasons, and so whether the `thinking` field may be sent.
 */
typedef enum
{
  MOON_THINKING_NONE,
  MOON_THINKING_SWITCHABLE,
  MOON_THINKING_ALWAYS,
} MoonThinking;

#define MOON_TYPE_THINKING (moon_thinking_get_type ())
GType moon_thinking_get_type (void) G_GNUC_CONST;

#define MOON_TYPE_MODEL_INFO (moon_model_info_get_type ())

G_DECLARE_FINAL_TYPE (MoonModelInfo, moon_model_info, MOON, MODEL_INFO, GObject)

MoonModelInfo *moon_model_info_lookup              (const char     *model_id);
MoonModelInfo *moon_model_info_new_from_json       (JsonObject     *object);
const char    *moon_model_info_get_id              (MoonModelInfo  *self);
gboolean       moon_model_info_get_known           (MoonModelInfo  *self);
MoonThinking   moon_model_info_get_thinking        (MoonModelInfo  *self);
gboolean       moon_model_info_get_vision          (MoonModelInfo  *self);
gint64         moon_model_info_get_context_length  (MoonModelInfo  *self);
gboolean       moon_model_info_get_fixed_sampling  (MoonModelInfo  *self);
gboolean       moon_model_info_accepts_field       (MoonModelInfo  *self,
                                                    const char     *field);
void           moon_model_info_filter_request      (MoonModelInfo  *self,
                                                    JsonObject     *request);

G_END_DECLS
