/* moon-model-limits.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-model-limits"

#include "config.h"

#include "moon-model-limits.h"

/**
 * moon_model_info_to_limits:
 * @info: a model from the quirks table or `/models`
 * @out_limits: (out caller-allocates): what #MoonContext needs to know
 *
 * Translates the API's model facts into the core's #MoonModelLimits, so
 * that src/core never needs the quirks table.
 */
void
moon_model_info_to_limits (MoonModelInfo   *info,
                           MoonModelLimits *out_limits)
{
  g_return_if_fail (MOON_IS_MODEL_INFO (info));
  g_return_if_fail (out_limits != NULL);

  moon_model_limits_init_unknown (out_limits);
  out_limits->context_length = MAX (moon_model_info_get_context_length (info), 0);
  out_limits->known = moon_model_info_get_known (info);
  out_limits->fixed_sampling = moon_model_info_get_fixed_sampling (info) ||
                               !moon_model_info_accepts_field (info, "temperature");

  switch (moon_model_info_get_thinking (info))
    {
    case MOON_THINKING_SWITCHABLE:
      out_limits->thinking = MOON_MODEL_THINKING_SWITCHABLE;
      break;
    case MOON_THINKING_ALWAYS:
      out_limits->thinking = MOON_MODEL_THINKING_ALWAYS;
      break;
    case MOON_THINKING_NONE:
    default:
      out_limits->thinking = MOON_MODEL_THINKING_NONE;
      break;
    }
}

/**
 * moon_model_limits_lookup:
 * @client: a #MoonClient
 * @model_id: a model id
 * @out_limits: (out caller-allocates): the model's limits
 *
 * Looks @model_id up in @client's model list (or the quirks table) and
 * fills in @out_limits.
 */
void
moon_model_limits_lookup (MoonClient      *client,
                          const char      *model_id,
                          MoonModelLimits *out_limits)
{
  g_autoptr(MoonModelInfo) info = NULL;

  g_return_if_fail (MOON_IS_CLIENT (client));
  g_return_if_fail (out_limits != NULL);

  moon_model_limits_init_unknown (out_limits);
  if (model_id == NULL)
    return;

  info = moon_client_lookup_model (client, model_id);
  if (info != NULL)
    moon_model_info_to_limits (info, out_limits);
}
