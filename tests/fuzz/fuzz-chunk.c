/* fuzz-chunk.c — the chunk decoder (moon_chunk_parse) and the reply that
 * accumulates chunks (MoonReply) over arbitrary event payloads
 *
 * Input: event payloads separated by NUL bytes; a payload starting with `!`
 * is an `event: error` event (the rest is its data).
 *
 * Oracle: every decoded string is valid UTF-8; moon_chunk_parse() and
 * moon_reply_add_event() agree on what is a chunk; the reply's text of each
 * choice is exactly the concatenation of the deltas the chunks carried, in
 * order, and so are the arguments of each tool call; choices and tool calls
 * stay sorted by index; the usage is the last top-level one, else the last
 * one of choice 0; the merged tool calls serialize to JSON.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "moon-api-error.h"
#include "moon-chunk.h"
#include "moon-reply.h"

typedef struct
{
  GHashTable *content;    /* choice index -> GString */
  GHashTable *reasoning;  /* choice index -> GString */
  GHashTable *arguments;  /* "choice/call" -> GString */
  gboolean    has_usage;
  MoonUsage   usage;
  gboolean    has_choice0_usage;
  MoonUsage   choice0_usage;
} Expected;

static void
check_utf8 (const char *text)
{
  fuzz_check (text == NULL || g_utf8_validate (text, -1, NULL));
}

static GString *
expected_string (GHashTable *table,
                 char       *key)
{
  GString *value = g_hash_table_lookup (table, key);

  if (value == NULL)
    {
      value = g_string_new (NULL);
      g_hash_table_insert (table, key, value);
    }
  else
    {
      g_free (key);
    }

  return value;
}

static void
free_string (gpointer data)
{
  g_string_free (data, TRUE);
}

static void
check_chunk (const MoonChunk *chunk)
{
  check_utf8 (chunk->id);
  check_utf8 (chunk->object);
  check_utf8 (chunk->model);
  fuzz_check (chunk->choices != NULL);

  for (guint i = 0; i < chunk->choices->len; i++)
    {
      const MoonChoiceDelta *delta = g_ptr_array_index (chunk->choices, i);

      check_utf8 (delta->role);
      check_utf8 (delta->content);
      check_utf8 (delta->reasoning_content);
      check_utf8 (delta->refusal);
      check_utf8 (delta->finish_reason);
      fuzz_check (delta->tool_calls != NULL);

      for (guint j = 0; j < delta->tool_calls->len; j++)
        {
          const MoonToolCallDelta *call = g_ptr_array_index (delta->tool_calls, j);

          check_utf8 (call->id);
          check_utf8 (call->type);
          check_utf8 (call->name);
          check_utf8 (call->arguments);
        }
    }
}

static void
expect_chunk (Expected        *expected,
              const MoonChunk *chunk)
{
  if (chunk->has_usage)
    {
      expected->has_usage = TRUE;
      expected->usage = chunk->usage;
    }

  for (guint i = 0; i < chunk->choices->len; i++)
    {
      const MoonChoiceDelta *delta = g_ptr_array_index (chunk->choices, i);
      char *key = g_strdup_printf ("%u", delta->index);

      if (delta->content != NULL)
        g_string_append (expected_string (expected->content, g_strdup (key)), delta->content);
      if (delta->reasoning_content != NULL)
        g_string_append (expected_string (expected->reasoning, g_strdup (key)), delta->reasoning_content);
      g_free (key);

      for (guint j = 0; j < delta->tool_calls->len; j++)
        {
          const MoonToolCallDelta *call = g_ptr_array_index (delta->tool_calls, j);

          if (call->arguments != NULL)
            g_string_append (expected_string (expected->arguments,
                                              g_strdup_printf ("%u/%u", delta->index, call->index)),
                             call->arguments);
        }

      if (delta->index == 0 && delta->has_usage)
        {
          expected->has_choice0_usage = TRUE;
          expected->choice0_usage = delta->usage;
        }
    }
}

static gboolean
usage_equal (const MoonUsage *a,
             const MoonUsage *b)
{
  return a->prompt_tokens == b->prompt_tokens &&
         a->completion_tokens == b->completion_tokens &&
         a->total_tokens == b->total_tokens &&
         a->cached_tokens == b->cached_tokens &&
         a->reasoning_tokens == b->reasoning_tokens;
}

static void
check_reply (MoonReply *reply,
             Expected  *expected)
{
  const MoonUsage *usage = moon_reply_get_usage (reply);
  guint n = moon_reply_get_n_choices (reply);

  if (expected->has_usage)
    fuzz_check (usage != NULL && usage_equal (usage, &expected->usage));
  else if (expected->has_choice0_usage)
    fuzz_check (usage != NULL && usage_equal (usage, &expected->choice0_usage));
  else
    fuzz_check (usage == NULL);

  check_utf8 (moon_reply_get_id (reply));
  check_utf8 (moon_reply_get_model (reply));

  for (guint i = 0; i < n; i++)
    {
      MoonReplyChoice *choice = moon_reply_get_choice_at (reply, i);
      g_autofree char *key = g_strdup_printf ("%u", choice->index);
      GString *content = g_hash_table_lookup (expected->content, key);
      GString *reasoning = g_hash_table_lookup (expected->reasoning, key);
      g_autoptr(JsonNode) calls = NULL;
      g_autofree char *calls_text = NULL;

      fuzz_check (moon_reply_get_choice (reply, choice->index) == choice);
      if (i > 0)
        fuzz_check (moon_reply_get_choice_at (reply, i - 1)->index < choice->index);

      fuzz_check (g_strcmp0 (choice->content->str, content ? content->str : "") == 0);
      fuzz_check (g_strcmp0 (choice->reasoning_content->str, reasoning ? reasoning->str : "") == 0);
      check_utf8 (choice->role);
      check_utf8 (choice->finish_reason);

      for (guint j = 0; j < choice->tool_calls->len; j++)
        {
          MoonToolCall *call = g_ptr_array_index (choice->tool_calls, j);
          g_autofree char *call_key = g_strdup_printf ("%u/%u", choice->index, call->index);
          GString *arguments = g_hash_table_lookup (expected->arguments, call_key);

          if (j > 0)
            fuzz_check (((MoonToolCall *) g_ptr_array_index (choice->tool_calls, j - 1))->index < call->index);
          fuzz_check (g_strcmp0 (call->arguments->str, arguments ? arguments->str : "") == 0);
          check_utf8 (call->id);
          check_utf8 (call->name);
        }

      calls = moon_tool_calls_to_json (choice->tool_calls);
      fuzz_check (calls != NULL && JSON_NODE_HOLDS_ARRAY (calls));
      calls_text = json_to_string (calls, FALSE);
      fuzz_check (g_utf8_validate (calls_text, -1, NULL));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(MoonReply) reply = moon_reply_new ();
  Expected expected = { 0 };
  const char *p = (const char *) data;
  const char *end = p + size;
  guint skipped = 0;
  gboolean stopped = FALSE;

  expected.content = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_string);
  expected.reasoning = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_string);
  expected.arguments = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_string);

  while (p <= end && !stopped)
    {
      const char *nul = memchr (p, '\0', end - p);
      const char *payload_end = nul ? nul : end;
      const char *event_type = NULL;
      const char *payload = p;
      g_autoptr(MoonChunk) direct = NULL;
      g_autoptr(MoonChunk) chunk = NULL;
      g_autoptr(GError) direct_error = NULL;
      g_autoptr(GError) error = NULL;
      MoonReplyStatus status;

      if (payload < payload_end && payload[0] == '!')
        {
          event_type = "error";
          payload++;
        }

      direct = moon_chunk_parse (payload, payload_end - payload, &direct_error);
      fuzz_check ((direct == NULL) == (direct_error != NULL));
      if (direct != NULL)
        check_chunk (direct);
      else
        check_utf8 (direct_error->message);

      status = moon_reply_add_event (reply, event_type, payload, payload_end - payload, &chunk, &error);
      switch (status)
        {
        case MOON_REPLY_CONTINUE:
          fuzz_check (error == NULL);
          if (chunk != NULL)
            {
              fuzz_check (direct != NULL);
              check_chunk (chunk);
              expect_chunk (&expected, chunk);
            }
          break;

        case MOON_REPLY_SKIPPED:
          fuzz_check (g_error_matches (error, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL));
          fuzz_check (chunk == NULL);
          skipped++;
          break;

        case MOON_REPLY_DONE:
          fuzz_check (error == NULL && chunk == NULL);
          fuzz_check (moon_reply_is_done (reply));
          stopped = TRUE;
          break;

        case MOON_REPLY_FAILED:
        default:
          fuzz_check (error != NULL && error->domain == MOON_API_ERROR);
          fuzz_check (chunk == NULL);
          check_utf8 (error->message);
          stopped = TRUE;
          break;
        }

      if (nul == NULL)
        break;
      p = nul + 1;
    }

  fuzz_check (moon_reply_get_n_skipped (reply) == skipped);
  check_reply (reply, &expected);

  g_hash_table_unref (expected.content);
  g_hash_table_unref (expected.reasoning);
  g_hash_table_unref (expected.arguments);

  return 0;
}
