/* moon-token-estimator.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-token-estimator"

#include "config.h"

#include <string.h>

#include "moon-token-estimator.h"

/**
 * MoonTokenEstimator:
 *
 * Guesses how many tokens a request will cost, without the network.
 *
 * The text estimate follows what Kimi's tokenizer does with the common kinds
 * of text (measured against the server's own counts in
 * `tests/fixtures/context/token-pairs.json`; see the note in that file):
 *
 *  - a Chinese character is about 0.55 tokens (Moonshot's docs: "1 token is
 *    about 1.5–2 Chinese characters"), kana and Hangul about 0.8 — never a
 *    quarter of a token, as a bytes/4 rule would say;
 *  - an English word is one token up to ten letters, longer ones one token per
 *    five letters, shouting (ALL CAPS) one per three;
 *  - digits go in groups of three, runs of punctuation two per token, a
 *    space before a word is free, a line break or an indent is one token;
 *  - other letters (accented, Cyrillic, Greek…) one token per three, any
 *    other character one token, characters outside the BMP (emoji) two.
 *
 * Each message adds %MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD template tokens and
 * a request adds %MOON_TOKEN_ESTIMATOR_REPLY_PRIMING.
 *
 * Better numbers win over the guess, per message:
 *
 *  1. a count from the server (`POST /tokenizers/estimate-token-count`) stored
 *     with moon_token_estimator_set_server_count(), for the same model and
 *     text;
 *  2. for a finished assistant reply, the `completion_tokens` (less reasoning
 *     that is not sent back) the server reported for it;
 *  3. the guess, scaled by how far off earlier guesses were from the
 *     `prompt_tokens` the server reported
 *     (moon_token_estimator_record_prompt()).
 *
 * What a message costs is remembered on the message and recomputed only
 * when its text changes, so estimating a long conversation again is cheap.
 */

struct _MoonTokenEstimator
{
  GObject parent_instance;

  /* Scale for guessed counts, in thousandths (1000 = 1.0). */
  guint   scale_permille;
  guint   n_samples;
};

G_DEFINE_FINAL_TYPE (MoonTokenEstimator, moon_token_estimator, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SCALE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Hundredths of a token per character class. */
#define HAN_COST     55
#define KANA_COST    80
#define HANGUL_COST  80

/* Limits of the learned scale. */
#define SCALE_MIN 667
#define SCALE_MAX 1500

/* What a message costs, kept on the message (see cache_for()). */
typedef struct
{
  guint  content;
  guint  reasoning;
  guint  tool_calls;
  guint  valid : 1;
  guint  has_server : 1;
  guint  server_tokens;
  char  *server_model;
} MessageCache;

static GQuark cache_quark;

/* Text */

static inline gboolean
is_han (gunichar c)
{
  return (c >= 0x4E00 && c <= 0x9FFF) ||
         (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0x20000 && c <= 0x3FFFF);
}

static inline gboolean
is_kana_or_hangul (gunichar c)
{
  return (c >= 0x3040 && c <= 0x30FF) ||
         (c >= 0x31F0 && c <= 0x31FF) ||
         (c >= 0xFF66 && c <= 0xFF9F) ||
         (c >= 0xAC00 && c <= 0xD7AF) ||
         (c >= 0x1100 && c <= 0x11FF) ||
         (c >= 0x3130 && c <= 0x318F);
}

static inline gboolean
is_ascii_alpha (gunichar c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline gboolean
is_ascii_digit (gunichar c)
{
  return c >= '0' && c <= '9';
}

static inline gboolean
is_ascii_punct (gunichar c)
{
  return c > 0x20 && c < 0x7F && !is_ascii_alpha (c) && !is_ascii_digit (c);
}

static inline gboolean
is_other_letter (gunichar c)
{
  return c >= 0x80 && !is_han (c) && !is_kana_or_hangul (c) && g_unichar_isalpha (c);
}

static inline guint
div_ceil (guint a,
          guint b)
{
  return (a + b - 1) / b;
}

/* Reads one character of valid UTF-8; invalid bytes count as one character. */
static inline gunichar
next_char (const char **p,
           const char  *end)
{
  const guchar *s = (const guchar *) *p;
  gunichar c;

  if (*s < 0x80)
    {
      *p += 1;
      return *s;
    }

  c = g_utf8_get_char_validated (*p, end - *p);
  if (c == (gunichar) -1 || c == (gunichar) -2)
    {
      *p += 1;
      return 0xFFFD;
    }

  *p = g_utf8_next_char (*p);
  return c;
}

static inline gunichar
peek_char (const char *p,
           const char *end)
{
  if (p >= end)
    return 0;
  return next_char (&p, end);
}

/**
 * moon_token_estimate_text:
 * @text: (nullable): UTF-8 text
 * @length: its length in bytes, or -1 if it is NUL-terminated
 *
 * Guesses how many tokens Kimi's tokenizer makes of @text (see
 * #MoonTokenEstimator for the rules). Never less than the number of
 * Chinese characters divided by two.
 *
 * Returns: the estimated number of tokens
 */
guint
moon_token_estimate_text (const char *text,
                          gssize      length)
{
  const char *p;
  const char *end;
  guint64 hundredths = 0;

  if (text == NULL)
    return 0;

  if (length < 0)
    length = strlen (text);

  p = text;
  end = text + length;

  while (p < end)
    {
      const char *start = p;
      gunichar c = next_char (&p, end);

      if (is_han (c) || is_kana_or_hangul (c))
        {
          hundredths += is_han (c) ? HAN_COST : (c >= 0x3040 && c <= 0x30FF) ? KANA_COST : HANGUL_COST;
        }
      else if (is_ascii_alpha (c))
        {
          guint len = 1;
          gboolean upper = g_ascii_isupper (c);

          while (p < end && is_ascii_alpha ((guchar) *p))
            {
              upper = upper && g_ascii_isupper (*p);
              p++;
              len++;
            }

          if (upper && len > 3)
            hundredths += 100 * div_ceil (len, 3);
          else if (len <= 10)
            hundredths += 100;
          else
            hundredths += 100 * div_ceil (len, 5);
        }
      else if (is_ascii_digit (c))
        {
          guint len = 1;

          while (p < end && is_ascii_digit ((guchar) *p))
            {
              p++;
              len++;
            }

          hundredths += 100 * div_ceil (len, 3);
        }
      else if (c == ' ')
        {
          guint len = 1;

          while (p < end && *p == ' ')
            {
              p++;
              len++;
            }

          /* A single space joins the next word's token; an indent is one. */
          if (len > 1)
            hundredths += 100;
        }
      else if (c == '\n' || c == '\r' || c == '\t')
        {
          while (p < end && (*p == '\n' || *p == '\r' || *p == '\t' || *p == ' '))
            p++;

          hundredths += 100;
        }
      else if (c == '\'' && is_ascii_alpha (peek_char (p, end)))
        {
          /* "'s", "'ll": part of a contraction's token. */
        }
      else if (is_ascii_punct (c))
        {
          guint len = 1;

          while (p < end && is_ascii_punct ((guchar) *p))
            {
              p++;
              len++;
            }

          hundredths += 100 * div_ceil (len, 2);
        }
      else if (is_other_letter (c))
        {
          guint len = 1;

          /* Accented words mix ASCII and other letters. */
          while (p < end)
            {
              const char *q = p;
              gunichar d = next_char (&q, end);

              if (!is_other_letter (d) && !is_ascii_alpha (d))
                break;
              p = q;
              len++;
            }

          hundredths += 100 * div_ceil (len, 3);
        }
      else
        {
          hundredths += (c > 0xFFFF) ? 200 : 100;
        }

      g_assert (p > start);
    }

  return (guint) MIN ((hundredths + 99) / 100, G_MAXUINT);
}

/* Object */

static void
moon_token_estimator_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  MoonTokenEstimator *self = MOON_TOKEN_ESTIMATOR (object);

  switch (prop_id)
    {
    case PROP_SCALE:
      g_value_set_double (value, moon_token_estimator_get_scale (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_token_estimator_class_init (MoonTokenEstimatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = moon_token_estimator_get_property;

  /**
   * MoonTokenEstimator:scale:
   *
   * The factor guessed counts are multiplied by, learned from the
   * `prompt_tokens` the server reported. 1.0 until something was learned.
   */
  properties[PROP_SCALE] =
    g_param_spec_double ("scale", NULL, NULL, 0.0, 10.0, 1.0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  cache_quark = g_quark_from_static_string ("moon-token-estimator-cache");
}

static void
moon_token_estimator_init (MoonTokenEstimator *self)
{
  self->scale_permille = 1000;
}

/**
 * moon_token_estimator_new:
 *
 * Creates an estimator with no learned correction.
 *
 * Returns: (transfer full): a new #MoonTokenEstimator
 */
MoonTokenEstimator *
moon_token_estimator_new (void)
{
  return g_object_new (MOON_TYPE_TOKEN_ESTIMATOR, NULL);
}

static inline guint
scaled (MoonTokenEstimator *self,
        guint               tokens)
{
  return (guint) (((guint64) tokens * self->scale_permille + 999) / 1000);
}

/* Wire messages */

static guint
estimate_content_node (JsonNode *node)
{
  guint n = 0;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return 0;

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return moon_token_estimate_text (json_node_get_string (node), -1);

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *parts = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (parts); i++)
        {
          JsonNode *part = json_array_get_element (parts, i);
          JsonObject *object;
          const char *type;

          if (!JSON_NODE_HOLDS_OBJECT (part))
            continue;

          object = json_node_get_object (part);
          type = json_object_get_string_member_with_default (object, "type", "");
          if (g_str_equal (type, "text"))
            n += moon_token_estimate_text (json_object_get_string_member_with_default (object, "text", ""), -1);
          else
            n += 1024; /* UNCERTAIN: the old vision models' flat price per image */
        }
    }

  return n;
}

static guint
estimate_tool_calls_array (JsonArray *calls)
{
  guint n;

  if (calls == NULL || json_array_get_length (calls) == 0)
    return 0;

  /* <|tool_calls_section_begin|> … <|tool_calls_section_end|> */
  n = 2;

  for (guint i = 0; i < json_array_get_length (calls); i++)
    {
      JsonNode *node = json_array_get_element (calls, i);
      JsonObject *call;
      JsonObject *function = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;

      call = json_node_get_object (node);
      if (json_object_has_member (call, "function") &&
          JSON_NODE_HOLDS_OBJECT (json_object_get_member (call, "function")))
        function = json_object_get_object_member (call, "function");

      /* begin, argument begin, end */
      n += 3;
      n += moon_token_estimate_text (json_object_get_string_member_with_default (call, "id", ""), -1);
      if (function != NULL)
        n += moon_token_estimate_text (json_object_get_string_member_with_default (function, "arguments", ""), -1);
    }

  return n;
}

/**
 * moon_token_estimator_estimate_json_message:
 * @self: a #MoonTokenEstimator
 * @message: one element of a request's `messages`
 *
 * Guesses what one message of a request body costs, template tokens
 * included. Guessed parts are scaled by #MoonTokenEstimator:scale.
 *
 * Returns: the estimated number of tokens
 */
guint
moon_token_estimator_estimate_json_message (MoonTokenEstimator *self,
                                            JsonObject         *message)
{
  guint n = 0;
  const char *role;

  g_return_val_if_fail (MOON_IS_TOKEN_ESTIMATOR (self), 0);
  g_return_val_if_fail (message != NULL, 0);

  n += estimate_content_node (json_object_get_member (message, "content"));
  n += moon_token_estimate_text (json_object_get_string_member_with_default (message, "reasoning_content", NULL), -1);

  if (json_object_has_member (message, "tool_calls") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (message, "tool_calls")))
    n += estimate_tool_calls_array (json_object_get_array_member (message, "tool_calls"));

  if (json_object_has_member (message, "name") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (message, "name")))
    n += moon_token_estimate_text (json_object_get_string_member (message, "name"), -1) + 1;

  role = json_object_get_string_member_with_default (message, "role", "");
  if (g_str_equal (role, "tool"))
    {
      /* "## Return of <id>\n" */
      n += 3 + moon_token_estimate_text (json_object_get_string_member_with_default (message, "tool_call_id", ""), -1);
    }

  return MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD + scaled (self, n);
}

/**
 * moon_token_estimator_estimate_body:
 * @self: a #MoonTokenEstimator
 * @body: a chat-completion request body
 *
 * Guesses the `prompt_tokens` the server will report for @body: every
 * message, the tool definitions (about six characters of compact JSON per
 * token on Kimi K2) and the reply priming.
 *
 * Returns: the estimated number of prompt tokens
 */
guint
moon_token_estimator_estimate_body (MoonTokenEstimator *self,
                                    JsonObject         *body)
{
  guint n = MOON_TOKEN_ESTIMATOR_REPLY_PRIMING;

  g_return_val_if_fail (MOON_IS_TOKEN_ESTIMATOR (self), 0);
  g_return_val_if_fail (body != NULL, 0);

  if (json_object_has_member (body, "messages") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (body, "messages")))
    {
      JsonArray *messages = json_object_get_array_member (body, "messages");

      for (guint i = 0; i < json_array_get_length (messages); i++)
        {
          JsonNode *node = json_array_get_element (messages, i);

          if (JSON_NODE_HOLDS_OBJECT (node))
            n += moon_token_estimator_estimate_json_message (self, json_node_get_object (node));
        }
    }

  if (json_object_has_member (body, "tools"))
    {
      g_autofree char *tools = json_to_string (json_object_get_member (body, "tools"), FALSE);

      n += MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD + scaled (self, div_ceil (strlen (tools), 6));
    }

  return n;
}

/* MoonMessage costs, cached on the message */

static void
message_cache_free (gpointer data)
{
  MessageCache *cache = data;

  g_free (cache->server_model);
  g_free (cache);
}

static void
message_notify_cb (MoonMessage *message,
                   GParamSpec  *pspec,
                   gpointer     user_data)
{
  MessageCache *cache = user_data;
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "content") ||
      g_str_equal (name, "reasoning-content") ||
      g_str_equal (name, "tool-calls") ||
      g_str_equal (name, "name"))
    {
      cache->valid = FALSE;
      cache->has_server = FALSE;
    }
}

static MessageCache *
cache_for (MoonMessage *message)
{
  MessageCache *cache = g_object_get_qdata (G_OBJECT (message), cache_quark);

  if (cache == NULL)
    {
      cache = g_new0 (MessageCache, 1);
      g_object_set_qdata_full (G_OBJECT (message), cache_quark, cache, message_cache_free);
      g_signal_connect (message, "notify", G_CALLBACK (message_notify_cb), cache);
    }

  if (!cache->valid)
    {
      const char *content = moon_message_get_content (message);

      cache->content = moon_token_estimate_text (content, moon_message_get_content_length (message));
      cache->reasoning = moon_token_estimate_text (moon_message_get_reasoning_content (message), -1);
      cache->tool_calls = estimate_tool_calls_array (moon_message_get_tool_calls (message));
      cache->valid = TRUE;
    }

  return cache;
}

/* The tokens a finished reply's usage vouches for, or 0. Usage covers only
 * what the model generated: a reply that began with a Partial Mode prefix
 * holds more text than that, and then the guess is the better number. */
static guint
usage_tokens (MoonMessage  *message,
              MessageCache *cache,
              gboolean      with_reasoning)
{
  const MoonUsage *usage;
  gint64 tokens;
  guint guess;

  if (moon_message_get_role (message) != MOON_MESSAGE_ROLE_ASSISTANT ||
      moon_message_get_state (message) != MOON_MESSAGE_STATE_DONE)
    return 0;

  usage = moon_message_get_usage (message);
  if (usage == NULL || usage->completion_tokens <= 0)
    return 0;

  tokens = usage->completion_tokens;
  if (!with_reasoning)
    tokens -= usage->reasoning_tokens;
  if (tokens <= 0 || tokens > G_MAXINT)
    return 0;

  guess = cache->content + cache->tool_calls + (with_reasoning ? cache->reasoning : 0);
  if (guess > 2 * (guint) tokens + 16)
    return 0;

  return (guint) tokens;
}

/**
 * moon_token_estimator_estimate_message:
 * @self: a #MoonTokenEstimator
 * @message: a message of a conversation
 * @model: (nullable): the model the request goes to
 * @with_reasoning: whether the message's `reasoning_content` is sent too
 *
 * What @message costs in a request to @model, template tokens included:
 * the server's count if one is known for this text and model, else the
 * usage of the reply, else the scaled guess.
 *
 * Returns: the estimated number of tokens
 */
guint
moon_token_estimator_estimate_message (MoonTokenEstimator *self,
                                       MoonMessage        *message,
                                       const char         *model,
                                       gboolean            with_reasoning)
{
  MessageCache *cache;
  guint n;
  guint from_usage;
  const char *name;

  g_return_val_if_fail (MOON_IS_TOKEN_ESTIMATOR (self), 0);
  g_return_val_if_fail (MOON_IS_MESSAGE (message), 0);

  cache = cache_for (message);

  if (cache->has_server && g_strcmp0 (cache->server_model, model) == 0 &&
      (!with_reasoning || cache->reasoning == 0))
    return cache->server_tokens;

  from_usage = usage_tokens (message, cache, with_reasoning);
  if (from_usage > 0)
    n = from_usage;
  else
    n = scaled (self, cache->content + cache->tool_calls + (with_reasoning ? cache->reasoning : 0));

  name = moon_message_get_name (message);
  if (name != NULL && *name != '\0')
    n += moon_token_estimate_text (name, -1) + 1;

  if (moon_message_get_role (message) == MOON_MESSAGE_ROLE_TOOL)
    n += 3 + moon_token_estimate_text (moon_message_get_tool_call_id (message), -1);

  return MOON_TOKEN_ESTIMATOR_MESSAGE_OVERHEAD + n;
}

/**
 * moon_token_estimator_set_server_count:
 * @self: a #MoonTokenEstimator
 * @message: a message
 * @model: the model the count is for
 * @tokens: what the server counted for @message alone, template tokens
 *   included
 *
 * Remembers the server's count for @message (without its reasoning) until
 * its text changes. Later estimates for @model use it instead of the guess.
 */
void
moon_token_estimator_set_server_count (MoonTokenEstimator *self,
                                       MoonMessage        *message,
                                       const char         *model,
                                       guint               tokens)
{
  MessageCache *cache;

  g_return_if_fail (MOON_IS_TOKEN_ESTIMATOR (self));
  g_return_if_fail (MOON_IS_MESSAGE (message));
  g_return_if_fail (model != NULL);

  cache = cache_for (message);
  g_free (cache->server_model);
  cache->server_model = g_strdup (model);
  cache->server_tokens = tokens;
  cache->has_server = TRUE;
}

/**
 * moon_token_estimator_lookup_server_count:
 * @self: a #MoonTokenEstimator
 * @message: a message
 * @model: (nullable): the model
 * @out_tokens: (out) (optional): the count
 *
 * Whether the server's count for @message and @model is known (and the text
 * did not change since).
 *
 * Returns: %TRUE if it is
 */
gboolean
moon_token_estimator_lookup_server_count (MoonTokenEstimator *self,
                                          MoonMessage        *message,
                                          const char         *model,
                                          guint              *out_tokens)
{
  MessageCache *cache;

  g_return_val_if_fail (MOON_IS_TOKEN_ESTIMATOR (self), FALSE);
  g_return_val_if_fail (MOON_IS_MESSAGE (message), FALSE);

  cache = cache_for (message);
  if (!cache->has_server || g_strcmp0 (cache->server_model, model) != 0)
    return FALSE;

  if (out_tokens != NULL)
    *out_tokens = cache->server_tokens;
  return TRUE;
}

/**
 * moon_token_estimator_record_prompt:
 * @self: a #MoonTokenEstimator
 * @estimated: what was estimated for a request
 * @actual: the `prompt_tokens` the server reported for it
 *
 * Learns from one request how far off the guesses are. The scale moves a
 * quarter of the way towards @actual / @estimated each time and stays within
 * 0.67–1.5, so one odd request cannot throw the budget off.
 */
void
moon_token_estimator_record_prompt (MoonTokenEstimator *self,
                                    guint               estimated,
                                    guint               actual)
{
  guint64 observed;
  guint next;

  g_return_if_fail (MOON_IS_TOKEN_ESTIMATOR (self));

  /* Tiny requests are mostly template tokens: nothing to learn. */
  if (estimated < 64 || actual == 0)
    return;

  observed = (guint64) self->scale_permille * actual / estimated;
  observed = CLAMP (observed, SCALE_MIN, SCALE_MAX);

  if (self->n_samples == 0)
    next = (guint) observed;
  else
    next = (guint) ((3 * (guint64) self->scale_permille + observed) / 4);

  self->n_samples++;
  next = CLAMP (next, SCALE_MIN, SCALE_MAX);

  if (next != self->scale_permille)
    {
      self->scale_permille = next;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCALE]);
    }
}

/**
 * moon_token_estimator_get_scale:
 * @self: a #MoonTokenEstimator
 *
 * Returns: the factor guesses are multiplied by
 */
double
moon_token_estimator_get_scale (MoonTokenEstimator *self)
{
  g_return_val_if_fail (MOON_IS_TOKEN_ESTIMATOR (self), 1.0);

  return self->scale_permille / 1000.0;
}

/**
 * moon_token_estimator_reset_scale:
 * @self: a #MoonTokenEstimator
 *
 * Forgets what was learned (for another model, say).
 */
void
moon_token_estimator_reset_scale (MoonTokenEstimator *self)
{
  g_return_if_fail (MOON_IS_TOKEN_ESTIMATOR (self));

  self->n_samples = 0;
  if (self->scale_permille != 1000)
    {
      self->scale_permille = 1000;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCALE]);
    }
}
