/* test-sse-vectors.c — every case of tests/fixtures/api/sse-vectors.json
 * (collected from openai-node, openai-python, eventsource-parser, vercel/ai,
 * llama.cpp and two npm mock servers) through MoonSseParser and MoonReply,
 * in every feed mode: whole, the original chunks, byte by byte, fixed-size
 * pieces, and every two-way split (with an empty read in the middle).
 *
 * Where the WHATWG algorithm and the SDKs disagree, the vector's
 * `expected_whatwg` is what we must produce.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "moon-api-error.h"
#include "moon-reply.h"
#include "moon-sse-parser.h"
#include "moon-test-util.h"

/* Inputs larger than this get every split near both ends and a stride in
 * the middle instead of all n splits (O(n²) bytes otherwise). */
#define EXHAUSTIVE_SPLIT_LIMIT 16384
#define SPLIT_EDGE 4096
#define SPLIT_STRIDE 31

static JsonNode *vectors_root;

typedef struct
{
  char  *event;
  char  *data;
  gsize  data_length;
  char  *id;
} Event;

static void
event_free (gpointer data)
{
  Event *event = data;

  g_free (event->event);
  g_free (event->data);
  g_free (event->id);
  g_free (event);
}

typedef struct
{
  GPtrArray       *events;
  const guint8    *input;
  gsize            fed;          /* bytes given to the parser so far */
  gboolean         bytewise;
  MoonReply       *reply;        /* only for chat vectors */
  gboolean         reply_ended;  /* [DONE] or an error was seen */
  guint            n_items;
  GError          *error;
} Collector;

static gboolean
collect_cb (const MoonSseEvent *sse,
            gpointer            user_data)
{
  Collector *c = user_data;
  Event *event = g_new0 (Event, 1);

  g_assert_true (g_utf8_validate_len (sse->data, sse->data_length, NULL));
  g_assert_cmpuint (strlen (sse->data), <=, sse->data_length);

  event->event = g_strdup (sse->event_type);
  event->data = g_memdup2 (sse->data, sse->data_length + 1);
  event->data_length = sse->data_length;
  event->id = g_strdup (sse->last_event_id);
  g_ptr_array_add (c->events, event);

  /* Fed one byte at a time, an event must come out as soon as its blank line
   * is complete: at a CR or LF, and never at an LF that only completes a CRLF
   * (waiting for that LF would delay events ended by a bare CR). */
  if (c->bytewise)
    {
      guint8 last;

      g_assert_cmpuint (c->fed, >, 0);
      last = c->input[c->fed - 1];
      g_assert_true (last == '\r' || last == '\n');
      if (last == '\n' && c->fed >= 2)
        g_assert_cmpint (c->input[c->fed - 2], !=, '\r');
    }

  /* The raw events keep coming after [DONE] (the vectors list them); the
   * reply, like MoonCompletion, takes nothing after its end. */
  if (c->reply != NULL && !c->reply_ended)
    {
      g_autoptr(MoonChunk) chunk = NULL;
      g_autoptr(GError) error = NULL;

      switch (moon_reply_add_event (c->reply, sse->event_type, sse->data, sse->data_length,
                                    &chunk, &error))
        {
        case MOON_REPLY_CONTINUE:
          if (chunk != NULL)
            c->n_items++;
          return TRUE;
        case MOON_REPLY_SKIPPED:
          g_error ("a vector event could not be read: %s", error->message);
          return TRUE;
        case MOON_REPLY_DONE:
          c->reply_ended = TRUE;
          return TRUE;
        case MOON_REPLY_FAILED:
        default:
          c->error = g_steal_pointer (&error);
          c->reply_ended = TRUE;
          return TRUE;
        }
    }

  return TRUE;
}

typedef struct
{
  gsize offset;
  gsize length;
} Piece;

static void
run_pieces (const guint8 *input,
            GArray       *pieces,
            gboolean      bytewise,
            gboolean      with_reply,
            Collector    *c)
{
  g_autoptr(MoonSseParser) parser = NULL;
  g_autoptr(GError) error = NULL;

  *c = (Collector) { 0 };
  c->events = g_ptr_array_new_with_free_func (event_free);
  c->input = input;
  c->bytewise = bytewise;
  if (with_reply)
    c->reply = moon_reply_new ();

  parser = moon_sse_parser_new (collect_cb, c);

  for (guint i = 0; i < pieces->len; i++)
    {
      Piece *piece = &g_array_index (pieces, Piece, i);

      c->fed = piece->offset;
      for (gsize done = 0; done < piece->length; )
        {
          /* Bytewise feeding advances `fed` one byte at a time. */
          gsize step = bytewise ? 1 : piece->length;

          c->fed = piece->offset + done + step;
          moon_sse_parser_feed (parser, (const char *) input + piece->offset + done, step, &error);
          g_assert_no_error (error);
          done += step;
        }
      if (piece->length == 0)
        {
          moon_sse_parser_feed (parser, (const char *) input + piece->offset, 0, &error);
          g_assert_no_error (error);
        }
    }

  moon_sse_parser_finish (parser, &error);
  g_assert_no_error (error);
}

static void
collector_clear (Collector *c)
{
  g_clear_pointer (&c->events, g_ptr_array_unref);
  g_clear_pointer (&c->reply, moon_reply_free);
  g_clear_error (&c->error);
}

static const char *
get_string_or_null (JsonObject *object,
                    const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;

  return json_node_get_string (node);
}

static void
assert_events_match_expected (GPtrArray  *events,
                              JsonArray  *expected,
                              const char *mode)
{
  if (events->len != json_array_get_length (expected))
    g_error ("%s: %u events, expected %u", mode, events->len, json_array_get_length (expected));

  for (guint i = 0; i < events->len; i++)
    {
      Event *event = g_ptr_array_index (events, i);
      JsonObject *want = json_array_get_object_element (expected, i);
      const char *want_event = get_string_or_null (want, "event");

      /* An empty event type is the default type, like none. */
      if (want_event != NULL && want_event[0] == '\0')
        want_event = NULL;

      g_assert_cmpstr (event->event, ==, want_event);
      g_assert_cmpstr (event->data, ==, json_object_get_string_member (want, "data"));
      if (json_object_has_member (want, "id"))
        g_assert_cmpstr (event->id, ==, get_string_or_null (want, "id"));
    }
}

static void
assert_same_events (GPtrArray *a,
                    GPtrArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);

  for (guint i = 0; i < a->len; i++)
    {
      Event *x = g_ptr_array_index (a, i);
      Event *y = g_ptr_array_index (b, i);

      g_assert_cmpstr (x->event, ==, y->event);
      g_assert_cmpuint (x->data_length, ==, y->data_length);
      g_assert_cmpmem (x->data, x->data_length, y->data, y->data_length);
      g_assert_cmpstr (x->id, ==, y->id);
    }
}

static gint64
get_int (JsonObject *object,
         const char *member)
{
  return json_object_has_member (object, member) ? json_object_get_int_member (object, member) : 0;
}

static void
assert_usage (const MoonUsage *usage,
              JsonNode        *want)
{
  JsonObject *object;
  JsonObject *details;

  if (JSON_NODE_HOLDS_VALUE (want) && json_node_get_value_type (want) == G_TYPE_STRING)
    {
      /* "see wire": the source test did not assert it. */
      g_assert_cmpstr (json_node_get_string (want), ==, "see wire");
      return;
    }

  if (JSON_NODE_HOLDS_NULL (want))
    {
      g_assert_null (usage);
      return;
    }

  object = json_node_get_object (want);
  g_assert_nonnull (usage);
  g_assert_cmpint (usage->prompt_tokens, ==, get_int (object, "prompt_tokens"));
  g_assert_cmpint (usage->completion_tokens, ==, get_int (object, "completion_tokens"));
  g_assert_cmpint (usage->total_tokens, ==, get_int (object, "total_tokens"));
  if (json_object_has_member (object, "completion_tokens_details"))
    {
      details = json_object_get_object_member (object, "completion_tokens_details");
      g_assert_cmpint (usage->reasoning_tokens, ==, get_int (details, "reasoning_tokens"));
    }
  if (json_object_has_member (object, "cached_tokens"))
    g_assert_cmpint (usage->cached_tokens, ==, get_int (object, "cached_tokens"));
}

static void
assert_error (const GError *error,
              JsonNode     *want)
{
  JsonObject *object;

  if (want == NULL || JSON_NODE_HOLDS_NULL (want))
    {
      g_assert_no_error (error);
      return;
    }

  object = json_node_get_object (want);
  g_assert_nonnull (error);
  g_assert_true (error->domain == MOON_API_ERROR);
  g_assert_cmpstr (moon_api_error_get_server_message (error), ==,
                   json_object_get_string_member (object, "message"));
  if (json_object_has_member (object, "type"))
    g_assert_cmpstr (moon_api_error_get_error_type (error), ==,
                     json_object_get_string_member (object, "type"));
}

static void
assert_chat (Collector  *c,
             JsonObject *want)
{
  JsonArray *choices = json_object_get_array_member (want, "choices");

  g_assert_cmpuint (moon_reply_get_n_choices (c->reply), ==, json_array_get_length (choices));

  for (guint i = 0; i < json_array_get_length (choices); i++)
    {
      JsonObject *want_choice = json_array_get_object_element (choices, i);
      MoonReplyChoice *choice = moon_reply_get_choice_at (c->reply, i);
      JsonArray *want_calls = json_object_get_array_member (want_choice, "tool_calls");

      g_assert_cmpint (choice->index, ==, json_object_get_int_member (want_choice, "index"));
      g_assert_cmpstr (choice->role, ==, get_string_or_null (want_choice, "role"));
      g_assert_cmpstr (choice->content->str, ==, json_object_get_string_member (want_choice, "content"));
      g_assert_cmpstr (choice->reasoning_content->str, ==,
                       json_object_get_string_member (want_choice, "reasoning_content"));
      g_assert_cmpstr (choice->refusal->str, ==, json_object_get_string_member (want_choice, "refusal"));
      g_assert_cmpstr (choice->finish_reason, ==, get_string_or_null (want_choice, "finish_reason"));

      g_assert_cmpuint (choice->tool_calls->len, ==, json_array_get_length (want_calls));
      for (guint j = 0; j < choice->tool_calls->len; j++)
        {
          MoonToolCall *call = g_ptr_array_index (choice->tool_calls, j);
          JsonObject *want_call = json_array_get_object_element (want_calls, j);
          JsonObject *function = json_object_get_object_member (want_call, "function");

          g_assert_cmpint (call->index, ==, json_object_get_int_member (want_call, "index"));
          g_assert_cmpstr (call->id, ==, get_string_or_null (want_call, "id"));
          g_assert_cmpstr (call->type, ==, get_string_or_null (want_call, "type"));
          g_assert_cmpstr (call->name, ==, get_string_or_null (function, "name"));
          g_assert_cmpstr (call->arguments->str, ==, json_object_get_string_member (function, "arguments"));
        }
    }

  assert_usage (moon_reply_get_usage (c->reply), json_object_get_member (want, "usage"));
  g_assert_cmpint (moon_reply_is_done (c->reply), ==, json_object_get_boolean_member (want, "done"));
  assert_error (c->error, json_object_get_member (want, "error"));
}

static void
assert_sdk (Collector  *c,
            JsonObject *want)
{
  g_assert_cmpuint (c->n_items, ==, json_array_get_length (json_object_get_array_member (want, "items")));
  g_assert_cmpint (moon_reply_is_done (c->reply), ==, json_object_get_boolean_member (want, "done"));
  assert_error (c->error, json_object_get_member (want, "error"));
}

static GBytes *
vector_input (JsonObject *vector)
{
  if (json_object_has_member (vector, "input_hex"))
    return moon_test_hex_decode (json_object_get_string_member (vector, "input_hex"));

  if (json_object_has_member (vector, "chunks_hex"))
    {
      JsonArray *chunks = json_object_get_array_member (vector, "chunks_hex");
      g_autoptr(GByteArray) all = g_byte_array_new ();
      g_autoptr(GBytes) from_input = NULL;
      const char *input = json_object_get_string_member (vector, "input");

      for (guint i = 0; i < json_array_get_length (chunks); i++)
        {
          g_autoptr(GBytes) part = moon_test_hex_decode (json_array_get_string_element (chunks, i));

          g_byte_array_append (all, g_bytes_get_data (part, NULL), g_bytes_get_size (part));
        }

      /* The chunks must spell the input. */
      from_input = g_bytes_new (input, strlen (input));
      g_assert_cmpmem (all->data, all->len, g_bytes_get_data (from_input, NULL), g_bytes_get_size (from_input));

      return g_byte_array_free_to_bytes (g_steal_pointer (&all));
    }

  {
    const char *input = json_object_get_string_member (vector, "input");

    return g_bytes_new (input, strlen (input));
  }
}

static GArray *
vector_chunks (JsonObject *vector)
{
  GArray *pieces = g_array_new (FALSE, FALSE, sizeof (Piece));
  gboolean hex = json_object_has_member (vector, "chunks_hex");
  JsonArray *chunks = json_object_get_array_member (vector, hex ? "chunks_hex" : "chunks");
  gsize offset = 0;

  for (guint i = 0; i < json_array_get_length (chunks); i++)
    {
      const char *text = json_array_get_string_element (chunks, i);
      Piece piece = { offset, hex ? strlen (text) / 2 : strlen (text) };

      g_array_append_val (pieces, piece);
      offset += piece.length;
    }

  return pieces;
}

static GArray *
fixed_pieces (gsize n,
              gsize size)
{
  GArray *pieces = g_array_new (FALSE, FALSE, sizeof (Piece));

  for (gsize offset = 0; offset < n; offset += size)
    {
      Piece piece = { offset, MIN (size, n - offset) };

      g_array_append_val (pieces, piece);
    }

  return pieces;
}

static void
test_vector (gconstpointer data)
{
  guint index = GPOINTER_TO_UINT (data);
  JsonObject *vector = json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (vectors_root), "vectors"), index);
  const char *kind = json_object_get_string_member (vector, "kind");
  const char *feed = json_object_get_string_member (vector, "feed");
  gboolean chat = g_str_equal (kind, "chat");
  gboolean with_reply = chat || json_object_has_member (vector, "expected_sdk");
  g_autoptr(GBytes) input = vector_input (vector);
  const guint8 *bytes = g_bytes_get_data (input, NULL);
  gsize n = g_bytes_get_size (input);
  JsonArray *expected = NULL;
  Collector reference;
  gsize sizes[] = { 1, 3, 97, 0 };
  guint n_splits = 0;

  g_test_message ("%s (%s, %" G_GSIZE_FORMAT " bytes, source feed %s)",
                  json_object_get_string_member (vector, "name"), kind, n, feed);

  if (!chat)
    expected = json_object_get_array_member (vector,
                                             json_object_has_member (vector, "expected_whatwg")
                                             ? "expected_whatwg" : "expected");

  /* Fixed sizes: 1 is byte by byte; a vector may name its own size. */
  if (g_str_has_prefix (feed, "fixed_size:"))
    sizes[3] = g_ascii_strtoull (feed + strlen ("fixed_size:"), NULL, 10);

  /* whole */
  {
    g_autoptr(GArray) pieces = fixed_pieces (n, MAX (n, 1));

    run_pieces (bytes, pieces, FALSE, with_reply, &reference);
    if (expected != NULL)
      assert_events_match_expected (reference.events, expected, "whole");
    if (chat)
      assert_chat (&reference, json_object_get_object_member (vector, "expected_chat"));
    if (json_object_has_member (vector, "expected_sdk"))
      assert_sdk (&reference, json_object_get_object_member (vector, "expected_sdk"));
    if (json_object_has_member (vector, "expected_retry"))
      {
        /* The reconnection time is parser state: check it on a fresh run. */
        g_autoptr(MoonSseParser) parser = NULL;
        Collector c = { .events = g_ptr_array_new_with_free_func (event_free) };

        parser = moon_sse_parser_new (collect_cb, &c);
        g_assert_true (moon_sse_parser_feed (parser, (const char *) bytes, n, NULL));
        g_assert_cmpint (moon_sse_parser_get_retry (parser), ==,
                         json_object_get_int_member (vector, "expected_retry"));
        collector_clear (&c);
      }
  }

  /* the original network chunks */
  if (json_object_has_member (vector, "chunks") || json_object_has_member (vector, "chunks_hex"))
    {
      g_autoptr(GArray) pieces = vector_chunks (vector);
      Collector c;

      run_pieces (bytes, pieces, FALSE, with_reply, &c);
      assert_same_events (c.events, reference.events);
      if (expected != NULL)
        assert_events_match_expected (c.events, expected, "chunks");
      if (chat)
        assert_chat (&c, json_object_get_object_member (vector, "expected_chat"));
      collector_clear (&c);
    }

  /* byte by byte, and fixed-size pieces */
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      g_autoptr(GArray) pieces = NULL;
      Collector c;

      if (sizes[s] == 0)
        continue;

      pieces = fixed_pieces (n, sizes[s]);
      run_pieces (bytes, pieces, sizes[s] == 1, with_reply, &c);
      assert_same_events (c.events, reference.events);
      if (expected != NULL)
        assert_events_match_expected (c.events, expected, "fixed size");
      if (chat)
        assert_chat (&c, json_object_get_object_member (vector, "expected_chat"));
      if (with_reply && json_object_has_member (vector, "expected_sdk"))
        assert_sdk (&c, json_object_get_object_member (vector, "expected_sdk"));
      collector_clear (&c);
    }

  /* every two-way split, with an empty read in between (as openai-python's
   * test does). For chat vectors the events are compared with the whole
   * run's: the reply is a pure function of the events. */
  for (gsize k = 0; k <= n; k++)
    {
      g_autoptr(GArray) pieces = g_array_new (FALSE, FALSE, sizeof (Piece));
      Piece first = { 0, k };
      Piece empty = { k, 0 };
      Piece second = { k, n - k };
      Collector c;

      if (n > EXHAUSTIVE_SPLIT_LIMIT && k > SPLIT_EDGE && k < n - SPLIT_EDGE && k % SPLIT_STRIDE != 0)
        continue;

      g_array_append_val (pieces, first);
      g_array_append_val (pieces, empty);
      g_array_append_val (pieces, second);
      run_pieces (bytes, pieces, FALSE, FALSE, &c);
      assert_same_events (c.events, reference.events);
      collector_clear (&c);
      n_splits++;
    }

  g_test_message ("%u splits checked", n_splits);
  collector_clear (&reference);
}

int
main (int   argc,
      char *argv[])
{
  JsonArray *vectors;
  guint n;

  g_test_init (&argc, &argv, NULL);

  vectors_root = moon_test_load_json ("sse-vectors.json", NULL);
  vectors = json_object_get_array_member (json_node_get_object (vectors_root), "vectors");
  n = json_array_get_length (vectors);
  g_assert_cmpuint (n, ==, json_object_get_int_member (json_node_get_object (vectors_root), "count"));

  for (guint i = 0; i < n; i++)
    {
      JsonObject *vector = json_array_get_object_element (vectors, i);
      g_autofree char *slug = moon_test_slug (json_object_get_string_member (vector, "name"));
      g_autofree char *path = g_strdup_printf ("/api/sse-vectors/%02u-%s", i, slug);

      g_test_add_data_func (path, GUINT_TO_POINTER (i), test_vector);
    }

  return g_test_run ();
}
