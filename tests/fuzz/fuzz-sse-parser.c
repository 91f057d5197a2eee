/* fuzz-sse-parser.c — MoonSseParser over arbitrary bytes in random cuts
 *
 * Input: two control bytes, then the stream. Byte 0 chooses the caps (bit 0:
 * a small line cap, bit 1: a small event cap, bit 2: stop at `[DONE]`, the
 * rest their sizes); byte 1 seeds the cut points.
 *
 * Oracle: the same stream fed in one piece and in random pieces (empty ones
 * included) gives the same events, the same error, the same retry and last
 * event ID; every event's data is valid UTF-8 and NUL-terminated, and what
 * the parser buffers stays within its caps.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "moon-sse-parser.h"

typedef struct
{
  GString  *log;         /* every event, serialized */
  gsize     max_event;
  gboolean  stop_at_done;
  guint     n_events;
} Recorder;

/* Valid UTF-8, where U+0000 is a character like any other (GLib's
 * validators stop at a NUL byte). */
static gboolean
utf8_valid_with_nuls (const char *text,
                      gsize       length)
{
  const char *end = text + length;

  while (text < end)
    {
      const char *nul = memchr (text, '\0', end - text);
      const char *stop = nul ? nul : end;

      if (!g_utf8_validate_len (text, stop - text, NULL))
        return FALSE;
      text = nul ? nul + 1 : end;
    }

  return TRUE;
}

static gboolean
event_cb (const MoonSseEvent *event,
          gpointer            user_data)
{
  Recorder *rec = user_data;

  fuzz_check (event->data != NULL);
  fuzz_check (event->data[event->data_length] == '\0');
  /* Invalid bytes become U+FFFD: up to three bytes for one. */
  fuzz_check (event->data_length <= 3 * rec->max_event);
  fuzz_check (utf8_valid_with_nuls (event->data, event->data_length));
  /* A type may hold a NUL (it then reads as its part before it). */
  fuzz_check (event->event_type == NULL || g_utf8_validate (event->event_type, -1, NULL));
  fuzz_check (event->last_event_id == NULL || g_utf8_validate (event->last_event_id, -1, NULL));

  g_string_append_printf (rec->log, "event %s|%s|%" G_GSIZE_FORMAT "|",
                          event->event_type ? event->event_type : "(default)",
                          event->last_event_id ? event->last_event_id : "(none)",
                          event->data_length);
  g_string_append_len (rec->log, event->data, event->data_length);
  g_string_append_c (rec->log, '\n');
  rec->n_events++;

  if (rec->stop_at_done && event->data_length == 6 && memcmp (event->data, "[DONE]", 6) == 0)
    return FALSE;

  return TRUE;
}

typedef struct
{
  gsize    max_line;
  gsize    max_event;
  gboolean stop_at_done;
} Config;

/* Runs the parser over @stream cut by @rand (NULL: one piece) and returns
 * what happened as text. */
static char *
run (const Config *config,
     const char   *stream,
     gsize         length,
     FuzzRand     *rand)
{
  Recorder rec = { g_string_new (NULL), config->max_event, config->stop_at_done, 0 };
  g_autoptr(MoonSseParser) parser = moon_sse_parser_new (event_cb, &rec);
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;
  gsize offset = 0;
  gsize max_line;

  moon_sse_parser_set_max_line_length (parser, config->max_line);
  moon_sse_parser_set_max_event_size (parser, config->max_event);
  /* The parser may round a tiny cap up. */
  rec.max_event = moon_sse_parser_get_max_event_size (parser);
  fuzz_check (rec.max_event >= MIN (config->max_event, 16));
  max_line = moon_sse_parser_get_max_line_length (parser);
  fuzz_check (max_line >= MIN (config->max_line, 16));

  while (ok && offset < length)
    {
      gsize piece = length - offset;

      if (rand != NULL)
        piece = fuzz_rand_below (rand, MIN (piece, 64) + 1);
      ok = moon_sse_parser_feed (parser, stream + offset, piece, &error);
      offset += piece;

      /* Memory stays bounded by the caps whatever the input. */
      fuzz_check (moon_sse_parser_get_buffered_size (parser) <= 2 * max_line + rec.max_event + 16);
    }

  if (ok)
    ok = moon_sse_parser_finish (parser, &error);

  fuzz_check (ok == (error == NULL));
  if (error != NULL)
    g_string_append_printf (rec.log, "error %s %d\n", g_quark_to_string (error->domain), error->code);

  g_string_append_printf (rec.log, "retry %" G_GINT64_FORMAT " id %s stopped %d\n",
                          moon_sse_parser_get_retry (parser),
                          moon_sse_parser_get_last_event_id (parser) ? moon_sse_parser_get_last_event_id (parser) : "(none)",
                          moon_sse_parser_is_stopped (parser));

  return g_string_free (rec.log, FALSE);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  Config config = {
    MOON_SSE_PARSER_DEFAULT_MAX_LINE,
    MOON_SSE_PARSER_DEFAULT_MAX_EVENT,
    FALSE,
  };
  g_autofree char *whole = NULL;
  const char *stream;
  gsize length;
  FuzzRand rand;

  if (size < 2)
    return 0;

  if (data[0] & 1)
    config.max_line = 1 + (data[0] >> 3) * 3;
  if (data[0] & 2)
    config.max_event = 1 + (data[0] >> 3) * 5;
  config.stop_at_done = (data[0] & 4) != 0;
  fuzz_rand_init (&rand, data[1]);

  stream = (const char *) data + 2;
  length = size - 2;

  whole = run (&config, stream, length, NULL);

  for (guint round = 0; round < 2; round++)
    {
      g_autofree char *cut = run (&config, stream, length, &rand);

      if (strcmp (whole, cut) != 0)
        g_error ("cutting the stream changed the result:\n--- one piece\n%s\n--- in pieces\n%s", whole, cut);
    }

  return 0;
}
