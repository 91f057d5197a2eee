/* moon-usage.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-usage"

#include "config.h"

#include "moon-usage.h"

G_DEFINE_BOXED_TYPE (MoonUsage, moon_usage, moon_usage_copy, moon_usage_free)

MoonUsage *
moon_usage_copy (const MoonUsage *usage)
{
  g_return_val_if_fail (usage != NULL, NULL);

  return g_memdup2 (usage, sizeof *usage);
}

void
moon_usage_free (MoonUsage *usage)
{
  g_free (usage);
}

static gint64
get_int (JsonObject *object,
         const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      return MAX (0, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      {
        double value = json_node_get_double (node);

        /* Out-of-range (or NaN) doubles must not reach the integer cast. */
        if (!(value > 0))
          return 0;
        if (value >= 9.2e18)
          return G_MAXINT64;
        return (gint64) value;
      }
    default:
      return 0;
    }
}

/* Token counts come from the network: a hostile or broken server may send
 * numbers near G_MAXINT64, so sums saturate instead of overflowing. */
static gint64
add_saturating (gint64 a,
                gint64 b)
{
  /* Both are >= 0 (get_int() clamps negatives). */
  return a > G_MAXINT64 - b ? G_MAXINT64 : a + b;
}

static JsonObject *
get_object (JsonObject *object,
            const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  return json_node_get_object (node);
}

/**
 * moon_usage_from_json:
 * @object: a `usage` object as the API sends it
 * @out_usage: (out): where to store the figures
 *
 * Reads a usage object in any of the shapes Kimi sends (see kimi-api.md §2.4):
 * Moonshot's top-level `cached_tokens` or OpenAI's
 * `prompt_tokens_details.cached_tokens`, and
 * `completion_tokens_details.reasoning_tokens`. Missing numbers are zero.
 *
 * Returns: %TRUE if @object looked like a usage object (has `prompt_tokens`,
 *   `completion_tokens` or `total_tokens`)
 */
gboolean
moon_usage_from_json (JsonObject *object,
                      MoonUsage  *out_usage)
{
  JsonObject *details;

  g_return_val_if_fail (out_usage != NULL, FALSE);

  *out_usage = (MoonUsage) { 0 };

  if (object == NULL)
    return FALSE;

  out_usage->prompt_tokens = get_int (object, "prompt_tokens");
  out_usage->completion_tokens = get_int (object, "completion_tokens");
  out_usage->total_tokens = get_int (object, "total_tokens");
  out_usage->cached_tokens = get_int (object, "cached_tokens");

  if (out_usage->cached_tokens == 0 && (details = get_object (object, "prompt_tokens_details")))
    out_usage->cached_tokens = get_int (details, "cached_tokens");

  if ((details = get_object (object, "completion_tokens_details")))
    out_usage->reasoning_tokens = get_int (details, "reasoning_tokens");

  /* The flat shape moon_usage_to_json() writes (history files). */
  if (out_usage->reasoning_tokens == 0)
    out_usage->reasoning_tokens = get_int (object, "reasoning_tokens");

  if (out_usage->total_tokens == 0)
    out_usage->total_tokens = add_saturating (out_usage->prompt_tokens, out_usage->completion_tokens);

  return json_object_has_member (object, "prompt_tokens") ||
         json_object_has_member (object, "completion_tokens") ||
         json_object_has_member (object, "total_tokens");
}

/**
 * moon_usage_to_json:
 * @usage: a #MoonUsage
 *
 * Serializes @usage in the same shape the history file uses
 * (`prompt_tokens`, `completion_tokens`, `total_tokens`, `cached_tokens`,
 * `reasoning_tokens`).
 *
 * Returns: (transfer full): a JSON object node
 */
JsonNode *
moon_usage_to_json (const MoonUsage *usage)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (usage != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "prompt_tokens");
  json_builder_add_int_value (builder, usage->prompt_tokens);
  json_builder_set_member_name (builder, "completion_tokens");
  json_builder_add_int_value (builder, usage->completion_tokens);
  json_builder_set_member_name (builder, "total_tokens");
  json_builder_add_int_value (builder, usage->total_tokens);
  json_builder_set_member_name (builder, "cached_tokens");
  json_builder_add_int_value (builder, usage->cached_tokens);
  json_builder_set_member_name (builder, "reasoning_tokens");
  json_builder_add_int_value (builder, usage->reasoning_tokens);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/**
 * moon_usage_add:
 * @sum: the running total
 * @more: the usage of one more request
 *
 * Adds @more to @sum, as Continue does for a reply built from several
 * requests.
 */
void
moon_usage_add (MoonUsage       *sum,
                const MoonUsage *more)
{
  g_return_if_fail (sum != NULL);
  g_return_if_fail (more != NULL);

  sum->prompt_tokens = add_saturating (sum->prompt_tokens, more->prompt_tokens);
  sum->completion_tokens = add_saturating (sum->completion_tokens, more->completion_tokens);
  sum->total_tokens = add_saturating (sum->total_tokens, more->total_tokens);
  sum->cached_tokens = add_saturating (sum->cached_tokens, more->cached_tokens);
  sum->reasoning_tokens = add_saturating (sum->reasoning_tokens, more->reasoning_tokens);
}
