/* test-sse-parser.c — MoonSseParser beyond the shared vectors: caps and
 * bounded memory, the WHATWG UTF-8 decode, BOM handling across reads,
 * stopping, end of stream, and random inputs cut at random places.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "moon-api-error.h"
#include "moon-sse-parser.h"

typedef struct
{
  GPtrArray *data;     /* char*, event data */
  GPtrArray *types;    /* char*, event types ("" for none) */
  GPtrArray *ids;      /* char*, last event id ("" for none) */
  guint      stop_after;
} Events;

static void
events_init (Events *e)
{
  e->data = g_ptr_array_new_with_free_func (g_free);
  e->types = g_ptr_array_new_with_free_func (g_free);
  e->ids = g_ptr_array_new_with_free_func (g_free);
  e->stop_after = G_MAXUINT;
}

static void
events_clear (Events *e)
{
  g_clear_pointer (&e->data, g_ptr_array_unref);
  g_clear_pointer (&e->types, g_ptr_array_unref);
  g_clear_pointer (&e->ids, g_ptr_array_unref);
}

static gboolean
record_cb (const MoonSseEvent *event,
           gpointer            user_data)
{
  Events *e = user_data;

  g_ptr_array_add (e->data, g_memdup2 (event->data, event->data_length + 1));
  g_ptr_array_add (e->types, g_strdup (event->event_type ? event->event_type : ""));
  g_ptr_array_add (e->ids, g_strdup (event->last_event_id ? event->last_event_id : ""));

  return e->data->len < e->stop_after;
}

static void
feed_all (MoonSseParser *parser,
          const char    *text,
          gssize         length)
{
  g_autoptr(GError) error = NULL;

  if (length < 0)
    length = strlen (text);

  moon_sse_parser_feed (parser, text, length, &error);
  g_assert_no_error (error);
}

/* A 20 MB line from a hostile or broken server: a protocol error once the
 * 16 MiB cap is passed, never a 20 MB allocation. */
static void
test_hostile_line (void)
{
  g_autoptr(MoonSseParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *piece = g_malloc (64 * 1024);
  Events e;
  gsize sent = 0;
  gboolean failed = FALSE;

  events_init (&e);
  parser = moon_sse_parser_new (record_cb, &e);
  g_assert_cmpuint (moon_sse_parser_get_max_line_length (parser), ==, 16 * 1024 * 1024);

  memset (piece, 'x', 64 * 1024);
  feed_all (parser, "data: ", -1);

  while (sent < 20 * 1000 * 1000)
    {
      if (!moon_sse_parser_feed (parser, piece, 64 * 1024, &error))
        {
          failed = TRUE;
          break;
        }
      sent += 64 * 1024;
    }

  g_assert_true (failed);
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL);
  /* It failed right after the cap, not at the end. */
  g_assert_cmpuint (sent, >=, 16 * 1024 * 1024 - 64 * 1024);
  g_assert_cmpuint (sent, <=, 16 * 1024 * 1024);
  g_assert_cmpuint (moon_sse_parser_get_peak_buffered_size (parser), <=, 16 * 1024 * 1024);
  g_assert_cmpuint (moon_sse_parser_get_buffered_size (parser), ==, 0);
  g_assert_cmpuint (e.data->len, ==, 0);

  /* The error sticks. */
  g_clear_error (&error);
  g_assert_false (moon_sse_parser_feed (parser, "\n\n", 2, &error));
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_false (moon_sse_parser_finish (parser, &error));
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL);

  events_clear (&e);
}

/* A long line that arrives whole in one read is checked as well. */
static void
test_line_cap_single_read (void)
{
  g_autoptr(MoonSseParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new ("data: ");
  Events e;

  events_init (&e);
  parser = moon_sse_parser_new (record_cb, &e);
  moon_sse_parser_set_max_line_length (parser, 1000);

  for (guint i = 0; i < 1200; i++)
    g_string_append_c (text, 'y');
  g_string_append (text, "\n\n");

  g_assert_false (moon_sse_parser_feed (parser, text->str, text->len, &error));
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL);
  g_assert_cmpuint (e.data->len, ==, 0);

  events_clear (&e);
}

/* Many short data lines that together exceed the event cap. */
static void
test_event_cap (void)
{
  g_autoptr(MoonSseParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  Events e;
  gboolean ok = TRUE;

  events_init (&e);
  parser = moon_sse_parser_new (record_cb, &e);
  moon_sse_parser_set_max_event_size (parser, 4096);

  /* An event just under the cap passes. */
  for (guint i = 0; i < 400; i++)
    feed_all (parser, "data: 123456789\n", -1); /* 9 bytes + LF each */
  feed_all (parser, "\n", -1);
  g_assert_cmpuint (e.data->len, ==, 1);
  g_assert_cmpuint (strlen (g_ptr_array_index (e.data, 0)), ==, 400 * 10 - 1);

  for (guint i = 0; i < 1000 && ok; i++)
    ok = moon_sse_parser_feed (parser, "data: 123456789\n", 16, &error);

  g_assert_false (ok);
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL);
  g_assert_cmpuint (moon_sse_parser_get_peak_buffered_size (parser), <=, 4096);

  events_clear (&e);
}

/* Comment lines are counted, not stored: a keep-alive flood costs nothing. */
static void
test_comments_not_stored (void)
{
  g_autoptr(MoonSseParser) parser = NULL;
  g_autofree char *piece = g_malloc (4096);
  Events e;

  events_init (&e);
  parser = moon_sse_parser_new (record_cb, &e);

  memset (piece, 'c', 4096);
  feed_all (parser, ":", -1);
  for (guint i = 0; i < 256; i++)
    feed_all (parser, piece, 4096);
  feed_all (parser, "\ndata: after\n\n", -1);

  g_assert_cmpuint (e.data->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (e.data, 0), ==, "after");
  g_assert_cmpuint (moon_sse_parser_get_peak_buffered_size (parser), <, 64);

  events_clear (&e);
}

typedef struct
{
  const char *input;
  gssize      length;
  const char *output;
} DecodeCase;

/* Expected outputs follow the WHATWG Encoding Standard (one U+FFFD per
 * maximal invalid subpart), the decoder an EventSource uses. */
static void
test_utf8_decode (void)
{
  static const DecodeCase cases[] = {
    { "plain ascii", -1, "plain ascii" },
    { "\xe6\x97\xa5\xe6\x9c\xac", -1, "日本" },
    { "a\xff" "b", -1, "a\xef\xbf\xbd" "b" },
    { "a\xe2\x82" "b", -1, "a\xef\xbf\xbd" "b" },              /* truncated 3-byte sequence: one U+FFFD */
    { "\xed\xa0\x80", -1, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* encoded surrogate: three */
    { "\xf0\x9f\x98", -1, "\xef\xbf\xbd" },                     /* truncated at the end */
    { "\xc0\xaf", -1, "\xef\xbf\xbd\xef\xbf\xbd" },             /* overlong */
    { "\xf4\x90\x80\x80", -1, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* > U+10FFFF */
    { "x\xe2" "\n", -1, "x\xef\xbf\xbd\n" },                    /* an ASCII byte is never swallowed */
    { "nul\0inside", 10, "nul\0inside" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gsize in_len = cases[i].length < 0 ? strlen (cases[i].input) : (gsize) cases[i].length;
      gsize out_len = 0;
      g_autofree char *out = moon_utf8_decode_lossy (cases[i].input, in_len, &out_len);
      gsize want_len = cases[i].length < 0 ? strlen (cases[i].output) : (gsize) cases[i].length;

      g_assert_cmpmem (out, out_len, cases[i].output, want_len);
    }
}

/* Invalid bytes in the stream reach the callback as U+FFFD, also when the
 * bad sequence is split across reads. */
static void
test_invalid_utf8_in_stream (void)
{
  const char *input = "data: {\"content\":\"a\xff" "b\xe2\x82" "c\"}\n\n";
  gsize n = strlen (input);

  for (gsize k = 0; k <= n; k++)
    {
      g_autoptr(MoonSseParser) parser = NULL;
      Events e;

      events_init (&e);
      parser = moon_sse_parser_new (record_cb, &e);
      feed_all (parser, input, k);
      feed_all (parser, input + k, n - k);
      g_assert_cmpuint (e.data->len, ==, 1);
      g_assert_cmpstr (g_ptr_array_index (e.data, 0), ==,
                       "{\"content\":\"a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\"}");
      events_clear (&e);
    }
}

/* One BOM at the very start is dropped, even one byte per read; a second
 * BOM is text (and so makes "\uFEFFdata" an unknown field). */
static void
test_bom (void)
{
  g_autoptr(MoonSseParser) parser = NULL;
  g_autoptr(MoonSseParser) twice = NULL;
  g_autoptr(MoonSseParser) partial = NULL;
  Events e, f, g;

  events_init (&e);
  parser = moon_sse_parser_new (record_cb, &e);
  feed_all (parser, "\xef", 1);
  feed_all (parser, "\xbb", 1);
  feed_all (parser, "\xbf", 1);
  feed_all (parser, "data: a\n\n", -1);
  g_assert_cmpuint (e.data->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (e.data, 0), ==, "a");

  events_init (&f);
  twice = moon_sse_parser_new (record_cb, &f);
  feed_all (twice, "\xef\xbb\xbf\xef\xbb\xbf" "data: b\n\ndata: c\n\n", -1);
  g_assert_cmpuint (f.data->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f.data, 0), ==, "c");

  /* Two bytes of a BOM and then something else: the bytes are input. */
  events_init (&g);
  partial = moon_sse_parser_new (record_cb, &g);
  feed_all (partial, "\xef\xbb", 2);
  feed_all (partial, "\ndata: d\n\n", -1);
  g_assert_cmpuint (g.data->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (g.data, 0), ==, "d");

  events_clear (&e);
  events_clear (&f);
  events_clear (&g);
}

static void
test_id_and_retry (void)
{
  g_autoptr(MoonSseParser) parser = NULL;
  Events e;

  events_init (&e);
  parser = moon_sse_parser_new (record_cb, &e);
  g_assert_null (moon_sse_parser_get_last_event_id (parser));
  g_assert_cmpint (moon_sse_parser_get_retry (parser), ==, -1);

  feed_all (parser, "id: 7\nretry: 2500\ndata: a\n\n", -1);
  /* An id containing NUL is ignored; the old one stays in force. */
  {
    static const char id_with_nul[] = "id: x\0y\ndata: b\n\n";

    feed_all (parser, id_with_nul, sizeof id_with_nul - 1);
  }
  /* retry with a non-digit is ignored. */
  feed_all (parser, "retry: 12s\nid\ndata: c\n\n", -1);

  g_assert_cmpuint (e.data->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (e.ids, 0), ==, "7");
  g_assert_cmpstr (g_ptr_array_index (e.ids, 1), ==, "7");
  /* "id" without a colon sets the empty id. */
  g_assert_cmpstr (g_ptr_array_index (e.ids, 2), ==, "");
  g_assert_cmpint (moon_sse_parser_get_retry (parser), ==, 2500);

  events_clear (&e);
}

/* After the callback says stop, nothing more is delivered, not even the rest
 * of the same read. */
static void
test_stop (void)
{
  g_autoptr(MoonSseParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  Events e;

  events_init (&e);
  e.stop_after = 2;
  parser = moon_sse_parser_new (record_cb, &e);

  feed_all (parser, "data: 1\n\ndata: 2\n\ndata: 3\n\n", -1);
  g_assert_true (moon_sse_parser_is_stopped (parser));
  g_assert_true (moon_sse_parser_feed (parser, "data: 4\n\n", 9, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (e.data->len, ==, 2);

  events_clear (&e);
}

/* At EOF an event without its blank line is dropped (WHATWG). */
static void
test_end_of_stream (void)
{
  const char *inputs[] = { "data: x\n", "data: x", "data: x\r", "event: e\n", "id: 1\n" };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr(MoonSseParser) parser = NULL;
      g_autoptr(GError) error = NULL;
      Events e;

      events_init (&e);
      parser = moon_sse_parser_new (record_cb, &e);
      feed_all (parser, "data: complete\n\n", -1);
      feed_all (parser, inputs[i], -1);
      g_assert_true (moon_sse_parser_finish (parser, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (e.data->len, ==, 1);
      g_assert_true (moon_sse_parser_had_pending_event (parser));
      events_clear (&e);
    }

  {
    g_autoptr(MoonSseParser) parser = NULL;
    Events e;

    events_init (&e);
    parser = moon_sse_parser_new (record_cb, &e);
    feed_all (parser, "data: complete\n\n: trailing comment", -1);
    g_assert_true (moon_sse_parser_finish (parser, NULL));
    g_assert_false (moon_sse_parser_had_pending_event (parser));
    events_clear (&e);
  }
}

static void
test_nul_in_data (void)
{
  g_autoptr(MoonSseParser) parser = NULL;
  Events e;

  events_init (&e);
  parser = moon_sse_parser_new (record_cb, &e);
  feed_all (parser, "data: a\0b\n\n", 11);
  g_assert_cmpuint (e.data->len, ==, 1);
  g_assert_cmpmem (g_ptr_array_index (e.data, 0), 4, "a\0b", 4);
  events_clear (&e);
}

/* Random streams of SSE-ish tokens, cut into random pieces, must give the
 * same events as when fed whole. */
static void
test_random_cuts (void)
{
  static const char * const tokens[] = {
    "data:", "data: ", "event:", "event: x", "id:", "id: 9", "retry: 5", ":", ": c",
    "\n", "\r", "\r\n", "\n\n", "\r\r", "abc", "\xe6\x97\xa5", "\xef\xbb\xbf", "\xff", "\xe2\x82",
    "{\"a\":1}", " ", "data", "x:y",
  };

  for (guint round = 0; round < 300; round++)
    {
      g_autoptr(GString) input = g_string_new (NULL);
      g_autoptr(MoonSseParser) whole = NULL;
      g_autoptr(MoonSseParser) cut = NULL;
      guint n_tokens = g_test_rand_int_range (1, 60);
      Events a, b;
      gsize offset = 0;

      for (guint i = 0; i < n_tokens; i++)
        g_string_append (input, tokens[g_test_rand_int_range (0, G_N_ELEMENTS (tokens))]);

      events_init (&a);
      events_init (&b);
      whole = moon_sse_parser_new (record_cb, &a);
      cut = moon_sse_parser_new (record_cb, &b);

      feed_all (whole, input->str, input->len);
      while (offset < input->len)
        {
          gsize step = MIN ((gsize) g_test_rand_int_range (0, 8), input->len - offset);

          feed_all (cut, input->str + offset, step);
          offset += step;
        }
      g_assert_true (moon_sse_parser_finish (whole, NULL));
      g_assert_true (moon_sse_parser_finish (cut, NULL));

      g_assert_cmpuint (a.data->len, ==, b.data->len);
      for (guint i = 0; i < a.data->len; i++)
        {
          g_assert_cmpstr (g_ptr_array_index (a.data, i), ==, g_ptr_array_index (b.data, i));
          g_assert_cmpstr (g_ptr_array_index (a.types, i), ==, g_ptr_array_index (b.types, i));
          g_assert_cmpstr (g_ptr_array_index (a.ids, i), ==, g_ptr_array_index (b.ids, i));
          g_assert_true (g_utf8_validate (g_ptr_array_index (a.data, i), -1, NULL));
        }

      events_clear (&a);
      events_clear (&b);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/api/sse-parser/hostile-20mb-line", test_hostile_line);
  g_test_add_func ("/api/sse-parser/line-cap-single-read", test_line_cap_single_read);
  g_test_add_func ("/api/sse-parser/event-cap", test_event_cap);
  g_test_add_func ("/api/sse-parser/comments-not-stored", test_comments_not_stored);
  g_test_add_func ("/api/sse-parser/utf8-decode", test_utf8_decode);
  g_test_add_func ("/api/sse-parser/invalid-utf8-in-stream", test_invalid_utf8_in_stream);
  g_test_add_func ("/api/sse-parser/bom", test_bom);
  g_test_add_func ("/api/sse-parser/id-and-retry", test_id_and_retry);
  g_test_add_func ("/api/sse-parser/stop", test_stop);
  g_test_add_func ("/api/sse-parser/end-of-stream", test_end_of_stream);
  g_test_add_func ("/api/sse-parser/nul-in-data", test_nul_in_data);
  g_test_add_func ("/api/sse-parser/random-cuts", test_random_cuts);

  return g_test_run ();
}
