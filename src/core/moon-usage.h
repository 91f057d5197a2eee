/* moon-usage.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define MOON_TYPE_USAGE (moon_usage_get_type ())

/**
 * MoonUsage:
 * @prompt_tokens: input tokens, including cached ones
 * @completion_tokens: output tokens, including reasoning
 * @total_tokens: as reported by the server
 * @cached_tokens: cache-hit input tokens (`cached_tokens` or
 *   `prompt_tokens_details.cached_tokens`)
 * @reasoning_tokens: `completion_tokens_details.reasoning_tokens`
 *
 * Token usage of one reply, as the server reported it. A plain boxed struct:
 * copy it by value.
 */
typedef struct
{
  gint64 prompt_tokens;
  gint64 completion_tokens;
  gint64 total_tokens;
  gint64 cached_tokens;
  gint64 reasoning_tokens;
} MoonUsage;

GType      moon_usage_get_type  (void) G_GNUC_CONST;
MoonUsage *moon_usage_copy      (const MoonUsage *usage);
void       moon_usage_free      (MoonUsage       *usage);
gboolean   moon_usage_from_json (JsonObject      *object,
                                 MoonUsage       *out_usage);
JsonNode  *moon_usage_to_json   (const MoonUsage *usage);
void       moon_usage_add       (MoonUsage       *sum,
                                 const MoonUsage *more);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MoonUsage, moon_usage_free)

G_END_DECLS
