/* moon-model-info.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-model-info"

#include "config.h"

#include <string.h>

#include "moon-model-info.h"

/*
 * What we know about each model family (kimi-api.md §1.1, §1.6, §1.9), so a
 * request carries only fields the model accepts. kimi-k2.5/k2.6 reject any
 * temperature/top_p/penalty other than their fixed defaults, so those are
 * never sent to them; `thinking` goes only to models where it is a switch.
 *
 * A model not in the table is treated as "OpenAI-compatible, send only
 * model/messages/stream/max_tokens" (kimi-api.md §0.2). /models answers can
 * add the context length and capabilities (moon_model_info_new_from_json()).
 */

struct _MoonModelInfo
{
  GObject       parent_instance;

  char         *id;
  gboolean      known;
  MoonThinking  thinking;
  gboolean      vision;
  gint64        context_length;
  gboolean      fixed_sampling;
};

G_DEFINE_FINAL_TYPE (MoonModelInfo, moon_model_info, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (MoonThinking, moon_thinking,
  G_DEFINE_ENUM_VALUE (MOON_THINKING_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MOON_THINKING_SWITCHABLE, "switchable"),
  G_DEFINE_ENUM_VALUE (MOON_THINKING_ALWAYS, "always"))

enum {
  PROP_0,
  PROP_ID,
  PROP_KNOWN,
  PROP_THINKING,
  PROP_VISION,
  PROP_CONTEXT_LENGTH,
  PROP_FIXED_SAMPLING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  const char   *prefix;
  MoonThinking  thinking;
  gboolean      vision;
  gint64        context_length;
  gboolean      fixed_sampling;
} ModelQuirks;

/* Longest prefixes first: the first match wins. A prefix matches the whole
 * id or an id that continues with '-' (e.g. "kimi-k2-thinking-turbo"). */
static const ModelQuirks quirks_table[] = {
  { "moonshot-v1-128k-vision-preview", MOON_THINKING_NONE, TRUE, 131072, FALSE },
  { "moonshot-v1-32k-vision-preview", MOON_THINKING_NONE, TRUE, 32768, FALSE },
  { "moonshot-v1-8k-vision-preview", MOON_THINKING_NONE, TRUE, 8192, FALSE },
  { "kimi-k2-turbo-preview", MOON_THINKING_NONE, FALSE, 262144, FALSE },
  { "kimi-k2-0905-preview", MOON_THINKING_NONE, FALSE, 262144, FALSE },
  { "kimi-k2-0711-preview", MOON_THINKING_NONE, FALSE, 131072, FALSE },
  { "kimi-k2-thinking", MOON_THINKING_ALWAYS, FALSE, 262144, FALSE },
  { "moonshot-v1-128k", MOON_THINKING_NONE, FALSE, 131072, FALSE },
  { "moonshot-v1-auto", MOON_THINKING_NONE, FALSE, 131072, FALSE },
  { "moonshot-v1-32k", MOON_THINKING_NONE, FALSE, 32768, FALSE },
  { "moonshot-v1-8k", MOON_THINKING_NONE, FALSE, 8192, FALSE },
  { "kimi-k2.7-code", MOON_THINKING_ALWAYS, FALSE, 262144, TRUE },
  { "kimi-latest", MOON_THINKING_NONE, TRUE, 131072, FALSE },
  { "kimi-k2.5", MOON_THINKING_SWITCHABLE, TRUE, 262144, TRUE },
  { "kimi-k2.6", MOON_THINKING_SWITCHABLE, TRUE, 262144, TRUE },
  /* UNCERTAIN: vision for kimi-k3 is not documented; /models may say so. */
  { "kimi-k3", MOON_THINKING_ALWAYS, FALSE, 1048576, TRUE },
};

/* Fields every known model takes (kimi-api.md §1.1). */
static const char * const known_fields[] = {
  "model", "messages", "stream", "stream_options", "max_tokens",
  "max_completion_tokens", "stop", "response_format", "tools", "tool_choice",
  "prompt_cache_key", "safety_identifier",
  NULL
};

/* Sampling fields: only for models whose sampling is not fixed. `n` is never
 * sent (a desktop client has no use for several answers). */
static const char * const sampling_fields[] = {
  "temperature", "top_p", "presence_penalty", "frequency_penalty",
  NULL
};

/* Unknown models: the conservative OpenAI-compatible subset. */
static const char * const unknown_fields[] = {
  "model", "messages", "stream", "max_tokens",
  NULL
};

static void
moon_model_info_finalize (GObject *object)
{
  MoonModelInfo *self = (MoonModelInfo *) object;

  g_clear_pointer (&self->id, g_free);

  G_OBJECT_CLASS (moon_model_info_parent_class)->finalize (object);
}

static void
moon_model_info_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MoonModelInfo *self = MOON_MODEL_INFO (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_KNOWN:
      g_value_set_boolean (value, self->known);
      break;
    case PROP_THINKING:
      g_value_set_enum (value, self->thinking);
      break;
    case PROP_VISION:
      g_value_set_boolean (value, self->vision);
      break;
    case PROP_CONTEXT_LENGTH:
      g_value_set_int64 (value, self->context_length);
      break;
    case PROP_FIXED_SAMPLING:
      g_value_set_boolean (value, self->fixed_sampling);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_model_info_class_init (MoonModelInfoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = moon_model_info_finalize;
  object_class->get_property = moon_model_info_get_property;

  /**
   * MoonModelInfo:id:
   *
   * The model id, as sent in `model`.
   */
  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * MoonModelInfo:known:
   *
   * Whether the model is in our quirks table. Unknown models get only the
   * conservative request fields.
   */
  properties[PROP_KNOWN] =
    g_param_spec_boolean ("known", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * MoonModelInfo:thinking:
   *
   * How the model reasons.
   */
  properties[PROP_THINKING] =
    g_param_spec_enum ("thinking", NULL, NULL, MOON_TYPE_THINKING, MOON_THINKING_NONE,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * MoonModelInfo:vision:
   *
   * Whether the model takes images.
   */
  properties[PROP_VISION] =
    g_param_spec_boolean ("vision", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * MoonModelInfo:context-length:
   *
   * The context window in tokens (input and output share it), or 0 if not
   * known.
   */
  properties[PROP_CONTEXT_LENGTH] =
    g_param_spec_int64 ("context-length", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * MoonModelInfo:fixed-sampling:
   *
   * Whether the model rejects any temperature/top_p/penalty but its own.
   */
  properties[PROP_FIXED_SAMPLING] =
    g_param_spec_boolean ("fixed-sampling", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
moon_model_info_init (MoonModelInfo *self)
{
}

static const ModelQuirks *
find_quirks (const char *model_id)
{
  for (guint i = 0; i < G_N_ELEMENTS (quirks_table); i++)
    {
      gsize len = strlen (quirks_table[i].prefix);

      if (strncmp (model_id, quirks_table[i].prefix, len) == 0 &&
          (model_id[len] == '\0' || model_id[len] == '-'))
        return &quirks_table[i];
    }

  return NULL;
}

/**
 * moon_model_info_lookup:
 * @model_id: a model id
 *
 * Looks @model_id up in the built-in quirks table. An unknown id gives an
 * info with #MoonModelInfo:known %FALSE, no thinking, no vision and an
 * unknown context length.
 *
 * Returns: (transfer full): the model's info
 */
MoonModelInfo *
moon_model_info_lookup (const char *model_id)
{
  MoonModelInfo *self;
  const ModelQuirks *quirks;

  g_return_val_if_fail (model_id != NULL, NULL);

  self = g_object_new (MOON_TYPE_MODEL_INFO, NULL);
  self->id = g_strdup (model_id);

  quirks = find_quirks (model_id);
  if (quirks != NULL)
    {
      self->known = TRUE;
      self->thinking = quirks->thinking;
      self->vision = quirks->vision;
      self->context_length = quirks->context_length;
      self->fixed_sampling = quirks->fixed_sampling;
    }

  return self;
}

static gboolean
get_bool (JsonObject *object,
          const char *member,
          gboolean   *out_value)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return FALSE;

  *out_value = json_node_get_boolean (node);
  return TRUE;
}

static gint64
get_positive_int (JsonObject *object,
                  const char *member)
{
  JsonNode *node;

  if (object == NULL)
    return 0;

  node = json_object_get_member (object, member);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;

  return MAX (0, json_node_get_int (node));
}

/**
 * moon_model_info_new_from_json:
 * @object: one entry of a `/models` answer
 *
 * Combines the quirks table with what the server says about a model
 * (kimi-api.md §4.1): `context_length`, `supports_image_in`,
 * `supports_reasoning`; llama.cpp's `meta.n_ctx` too. Only `id` is required.
 *
 * Returns: (transfer full) (nullable): the info, or %NULL without an `id`
 */
MoonModelInfo *
moon_model_info_new_from_json (JsonObject *object)
{
  MoonModelInfo *self;
  JsonNode *id_node;
  JsonNode *meta;
  gboolean flag;
  gint64 context_length;

  g_return_val_if_fail (object != NULL, NULL);

  id_node = json_object_get_member (object, "id");
  if (id_node == NULL || !JSON_NODE_HOLDS_VALUE (id_node) ||
      json_node_get_value_type (id_node) != G_TYPE_STRING ||
      json_node_get_string (id_node)[0] == '\0')
    return NULL;

  self = moon_model_info_lookup (json_node_get_string (id_node));

  context_length = get_positive_int (object, "context_length");
  meta = json_object_get_member (object, "meta");
  if (context_length == 0 && meta != NULL && JSON_NODE_HOLDS_OBJECT (meta))
    context_length = get_positive_int (json_node_get_object (meta), "n_ctx");
  if (context_length > 0)
    self->context_length = context_length;

  if (get_bool (object, "supports_image_in", &flag))
    self->vision = flag;

  if (get_bool (object, "supports_reasoning", &flag))
    {
      if (!flag)
        self->thinking = MOON_THINKING_NONE;
      else if (self->thinking == MOON_THINKING_NONE)
        /* It reasons, but we do not know that it can be switched off:
         * never send `thinking` to it. */
        self->thinking = MOON_THINKING_ALWAYS;
    }

  return self;
}

/**
 * moon_model_info_get_id:
 * @self: a #MoonModelInfo
 *
 * Returns: the model id
 */
const char *
moon_model_info_get_id (MoonModelInfo *self)
{
  g_return_val_if_fail (MOON_IS_MODEL_INFO (self), NULL);

  return self->id;
}

/**
 * moon_model_info_get_known:
 * @self: a #MoonModelInfo
 *
 * Returns: whether the model is in the quirks table
 */
gboolean
moon_model_info_get_known (MoonModelInfo *self)
{
  g_return_val_if_fail (MOON_IS_MODEL_INFO (self), FALSE);

  return self->known;
}

/**
 * moon_model_info_get_thinking:
 * @self: a #MoonModelInfo
 *
 * Returns: how the model reasons
 */
MoonThinking
moon_model_info_get_thinking (MoonModelInfo *self)
{
  g_return_val_if_fail (MOON_IS_MODEL_INFO (self), MOON_THINKING_NONE);

  return self->thinking;
}

/**
 * moon_model_info_get_vision:
 * @self: a #MoonModelInfo
 *
 * Returns: whether the model takes images
 */
gboolean
moon_model_info_get_vision (MoonModelInfo *self)
{
  g_return_val_if_fail (MOON_IS_MODEL_INFO (self), FALSE);

  return self->vision;
}

/**
 * moon_model_info_get_context_length:
 * @self: a #MoonModelInfo
 *
 * Returns: the context window in tokens, or 0 if unknown
 */
gint64
moon_model_info_get_context_length (MoonModelInfo *self)
{
  g_return_val_if_fail (MOON_IS_MODEL_INFO (self), 0);

  return self->context_length;
}

/**
 * moon_model_info_get_fixed_sampling:
 * @self: a #MoonModelInfo
 *
 * Returns: whether sampling parameters must not be sent
 */
gboolean
moon_model_info_get_fixed_sampling (MoonModelInfo *self)
{
  g_return_val_if_fail (MOON_IS_MODEL_INFO (self), FALSE);

  return self->fixed_sampling;
}

static gboolean
in_list (const char * const *list,
         const char         *field)
{
  for (guint i = 0; list[i] != NULL; i++)
    {
      if (strcmp (list[i], field) == 0)
        return TRUE;
    }

  return FALSE;
}

/**
 * moon_model_info_accepts_field:
 * @self: a #MoonModelInfo
 * @field: a top-level request field name
 *
 * Whether @field may be sent to this model: sampling fields only where
 * sampling is not fixed, `thinking` only where it is a switch, and for
 * unknown models nothing beyond `model`, `messages`, `stream` and
 * `max_tokens`.
 *
 * Returns: %TRUE if the field may be sent
 */
gboolean
moon_model_info_accepts_field (MoonModelInfo *self,
                               const char    *field)
{
  g_return_val_if_fail (MOON_IS_MODEL_INFO (self), FALSE);
  g_return_val_if_fail (field != NULL, FALSE);

  if (!self->known)
    return in_list (unknown_fields, field);

  if (in_list (known_fields, field))
    return TRUE;

  if (in_list (sampling_fields, field))
    return !self->fixed_sampling;

  if (strcmp (field, "thinking") == 0)
    return self->thinking == MOON_THINKING_SWITCHABLE;

  return FALSE;
}

/**
 * moon_model_info_filter_request:
 * @self: a #MoonModelInfo
 * @request: a chat-completion request body
 *
 * Removes every top-level member of @request that this model must not get
 * (see moon_model_info_accepts_field()).
 */
void
moon_model_info_filter_request (MoonModelInfo *self,
                                JsonObject    *request)
{
  g_autoptr(GPtrArray) rejected = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GList) members = NULL;

  g_return_if_fail (MOON_IS_MODEL_INFO (self));
  g_return_if_fail (request != NULL);

  /* Copy the names first: removing a member frees its name. */
  members = json_object_get_members (request);
  for (GList *l = members; l != NULL; l = l->next)
    {
      if (!moon_model_info_accepts_field (self, l->data))
        g_ptr_array_add (rejected, g_strdup (l->data));
    }

  for (guint i = 0; i < rejected->len; i++)
    json_object_remove_member (request, g_ptr_array_index (rejected, i));
}
