/* moon-sse-parser.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-sse-parser"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "moon-api-error.h"
#include "moon-sse-parser.h"

/*
 * An incremental parser for the WHATWG "event stream" format
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream),
 * byte exact:
 *
 *  - lines end with CRLF, LF or CR; a CR at the end of one read and an LF at
 *    the start of the next are one line end, and an event is dispatched as
 *    soon as its blank line is complete (no waiting for a possible LF);
 *  - one UTF-8 BOM at the very start is dropped (also when split across
 *    reads); a BOM anywhere else is part of the text;
 *  - bytes are decoded per event with the WHATWG UTF-8 decoder, so a
 *    character split across reads is joined and invalid bytes become U+FFFD;
 *  - at the end of the stream an event without its blank line is dropped.
 *
 * Memory is bounded: a line longer than the line cap or an event whose data
 * grows past the event cap is a protocol error, never an allocation of that
 * size. Comment lines are counted, not stored.
 *
 * The parser has no GObject or I/O dependency, so a fuzzer can drive it.
 */

static const guchar utf8_bom[3] = { 0xEF, 0xBB, 0xBF };

struct _MoonSseParser
{
  MoonSseEventFunc  func;
  gpointer          user_data;

  gsize             max_line;
  gsize             max_event;

  /* The part of the current line that arrived in earlier reads. */
  GByteArray       *line;
  gsize             line_length;   /* includes bytes not stored (comments) */
  gboolean          line_is_comment;

  GString          *data;
  GString          *event_type;
  char             *last_event_id; /* the "last event ID buffer" */
  gint64            retry;

  guint             bom_matched;   /* 0..2 while checking, 3 when done */
  guint             skip_lf : 1;
  guint             stopped : 1;
  guint             data_seen : 1; /* a field line since the last dispatch */

  gsize             peak_buffered;
  GError           *error;
};

/**
 * moon_sse_parser_new:
 * @func: called for each event
 * @user_data: data for @func
 *
 * Creates a parser with the default caps
 * (%MOON_SSE_PARSER_DEFAULT_MAX_LINE, %MOON_SSE_PARSER_DEFAULT_MAX_EVENT).
 *
 * Returns: (transfer full): a new parser; free with moon_sse_parser_free()
 */
MoonSseParser *
moon_sse_parser_new (MoonSseEventFunc func,
                     gpointer         user_data)
{
  MoonSseParser *self;

  g_return_val_if_fail (func != NULL, NULL);

  self = g_new0 (MoonSseParser, 1);
  self->func = func;
  self->user_data = user_data;
  self->max_line = MOON_SSE_PARSER_DEFAULT_MAX_LINE;
  self->max_event = MOON_SSE_PARSER_DEFAULT_MAX_EVENT;
  self->line = g_byte_array_new ();
  self->data = g_string_new (NULL);
  self->event_type = g_string_new (NULL);
  self->retry = -1;

  return self;
}

/**
 * moon_sse_parser_free:
 * @self: (transfer full) (nullable): a parser
 *
 * Frees the parser and anything it buffered.
 */
void
moon_sse_parser_free (MoonSseParser *self)
{
  if (self == NULL)
    return;

  g_byte_array_unref (self->line);
  g_string_free (self->data, TRUE);
  g_string_free (self->event_type, TRUE);
  g_free (self->last_event_id);
  g_clear_error (&self->error);
  g_free (self);
}

/**
 * moon_sse_parser_set_max_line_length:
 * @self: a parser
 * @max_bytes: the longest line accepted, in bytes (at least 16)
 *
 * Sets the cap on a single line. A longer line makes moon_sse_parser_feed()
 * fail with %MOON_API_ERROR_PROTOCOL.
 */
void
moon_sse_parser_set_max_line_length (MoonSseParser *self,
                                     gsize          max_bytes)
{
  g_return_if_fail (self != NULL);

  self->max_line = MAX (max_bytes, 16);
}

/**
 * moon_sse_parser_get_max_line_length:
 * @self: a parser
 *
 * Returns: the cap on one line, in bytes
 */
gsize
moon_sse_parser_get_max_line_length (MoonSseParser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->max_line;
}

/**
 * moon_sse_parser_set_max_event_size:
 * @self: a parser
 * @max_bytes: the most data one event may carry, in bytes (at least 16)
 *
 * Sets the cap on the data of one event (all its `data:` lines together).
 */
void
moon_sse_parser_set_max_event_size (MoonSseParser *self,
                                    gsize          max_bytes)
{
  g_return_if_fail (self != NULL);

  self->max_event = MAX (max_bytes, 16);
}

/**
 * moon_sse_parser_get_max_event_size:
 * @self: a parser
 *
 * Returns: the cap on one event's data, in bytes
 */
gsize
moon_sse_parser_get_max_event_size (MoonSseParser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->max_event;
}

static void
fail (MoonSseParser *self,
      const char    *detail)
{
  g_assert (self->error == NULL);

  self->error = g_error_new (MOON_API_ERROR, MOON_API_ERROR_PROTOCOL,
                             /* Translators: an error summary and a detail */
                             _("%s: %s"),
                             moon_api_error_get_summary (MOON_API_ERROR_PROTOCOL),
                             detail);

  /* Drop what was buffered: the stream is unusable now. */
  g_byte_array_set_size (self->line, 0);
  g_string_truncate (self->data, 0);
}

static void
note_buffered (MoonSseParser *self)
{
  gsize now = self->line->len + self->data->len + self->event_type->len;

  self->peak_buffered = MAX (self->peak_buffered, now);
}

/* The WHATWG Encoding Standard's UTF-8 decoder: each maximal invalid
 * subpart becomes one U+FFFD, and an ASCII byte is never swallowed. */
static void
decode_utf8_into (GString     *out,
                  const guchar *bytes,
                  gsize         length)
{
  static const char replacement[] = "\xEF\xBF\xBD";
  guint needed = 0;
  guint seen = 0;
  guchar lower = 0x80;
  guchar upper = 0xBF;
  gsize start = 0;

  for (gsize i = 0; i < length; i++)
    {
      guchar b = bytes[i];

      if (needed == 0)
        {
          start = i;
          if (b <= 0x7F)
            {
              g_string_append_c (out, (char) b);
            }
          else if (b >= 0xC2 && b <= 0xDF)
            {
              needed = 1;
            }
          else if (b >= 0xE0 && b <= 0xEF)
            {
              if (b == 0xE0)
                lower = 0xA0;
              if (b == 0xED)
                upper = 0x9F;
              needed = 2;
            }
          else if (b >= 0xF0 && b <= 0xF4)
            {
              if (b == 0xF0)
                lower = 0x90;
              if (b == 0xF4)
                upper = 0x8F;
              needed = 3;
            }
          else
            {
              g_string_append_len (out, replacement, 3);
            }
          continue;
        }

      if (b < lower || b > upper)
        {
          needed = seen = 0;
          lower = 0x80;
          upper = 0xBF;
          g_string_append_len (out, replacement, 3);
          i--; /* reprocess this byte */
          continue;
        }

      lower = 0x80;
      upper = 0xBF;
      seen++;
      if (seen == needed)
        {
          g_string_append_len (out, (const char *) bytes + start, needed + 1);
          needed = seen = 0;
        }
    }

  if (needed != 0)
    g_string_append_len (out, replacement, 3);
}

/**
 * moon_utf8_decode_lossy:
 * @bytes: (array length=length): bytes that should be UTF-8
 * @length: their length
 * @out_length: (out) (optional): the length of the result in bytes
 *
 * Decodes like the WHATWG UTF-8 decoder (what a browser's EventSource
 * does): valid input is returned unchanged; each maximal invalid subpart
 * becomes one U+FFFD. U+0000 is kept.
 *
 * Returns: (transfer full): valid, NUL-terminated UTF-8
 */
char *
moon_utf8_decode_lossy (const char *bytes,
                        gsize       length,
                        gsize      *out_length)
{
  GString *out;

  if (g_utf8_validate_len (bytes, length, NULL))
    {
      if (out_length)
        *out_length = length;
      return g_strndup (bytes, length);
    }

  out = g_string_sized_new (length + 8);
  decode_utf8_into (out, (const guchar *) bytes, length);
  if (out_length)
    *out_length = out->len;

  return g_string_free (out, FALSE);
}

/* Makes @str valid UTF-8 in place, if it is not already. */
static void
sanitize_string (GString *str)
{
  g_autoptr(GString) fixed = NULL;

  if (g_utf8_validate_len (str->str, str->len, NULL))
    return;

  fixed = g_string_sized_new (str->len + 8);
  decode_utf8_into (fixed, (const guchar *) str->str, str->len);
  g_string_truncate (str, 0);
  g_string_append_len (str, fixed->str, fixed->len);
}

static void
dispatch (MoonSseParser *self)
{
  MoonSseEvent event;

  self->data_seen = FALSE;

  /* An event with an empty data buffer is not dispatched (WHATWG step 2),
   * e.g. a block with only "event: foo". */
  if (self->data->len == 0)
    {
      g_string_truncate (self->event_type, 0);
      return;
    }

  /* Data lines are stored with a trailing LF each; drop the last one. */
  g_string_truncate (self->data, self->data->len - 1);

  sanitize_string (self->data);
  sanitize_string (self->event_type);

  event.event_type = self->event_type->len > 0 ? self->event_type->str : NULL;
  event.data = self->data->str;
  event.data_length = self->data->len;
  event.last_event_id = self->last_event_id;

  if (!self->func (&event, self->user_data))
    self->stopped = TRUE;

  g_string_truncate (self->data, 0);
  g_string_truncate (self->event_type, 0);
}

static gboolean
field_is (const char *field,
          gsize       field_length,
          const char *name)
{
  gsize name_length = strlen (name);

  return field_length == name_length && memcmp (field, name, name_length) == 0;
}

static void
process_line (MoonSseParser *self,
              const char    *line,
              gsize          length)
{
  const char *colon;
  const char *value;
  gsize field_length;
  gsize value_length;

  if (length == 0)
    {
      dispatch (self);
      return;
    }

  if (line[0] == ':')
    return;

  colon = memchr (line, ':', length);
  if (colon != NULL)
    {
      field_length = colon - line;
      value = colon + 1;
      value_length = length - field_length - 1;
      if (value_length > 0 && value[0] == ' ')
        {
          value++;
          value_length--;
        }
    }
  else
    {
      field_length = length;
      value = "";
      value_length = 0;
    }

  if (field_is (line, field_length, "data"))
    {
      if (self->data->len + value_length + 1 > self->max_event)
        {
          g_autofree char *detail =
            g_strdup_printf (_("an event is larger than %lu bytes"), (gulong) self->max_event);
          fail (self, detail);
          return;
        }
      g_string_append_len (self->data, value, value_length);
      g_string_append_c (self->data, '\n');
      self->data_seen = TRUE;
    }
  else if (field_is (line, field_length, "event"))
    {
      g_string_truncate (self->event_type, 0);
      g_string_append_len (self->event_type, value, value_length);
      self->data_seen = TRUE;
    }
  else if (field_is (line, field_length, "id"))
    {
      if (memchr (value, '\0', value_length) == NULL)
        {
          g_free (self->last_event_id);
          self->last_event_id = moon_utf8_decode_lossy (value, value_length, NULL);
        }
      self->data_seen = TRUE;
    }
  else if (field_is (line, field_length, "retry"))
    {
      gboolean digits = value_length > 0;
      gint64 retry = 0;

      for (gsize i = 0; i < value_length && digits; i++)
        {
          if (!g_ascii_isdigit (value[i]))
            digits = FALSE;
          else if (retry < G_MAXINT64 / 10 - 10)
            retry = retry * 10 + (value[i] - '0');
        }

      if (digits)
        self->retry = retry;
    }

  note_buffered (self);
}

static gboolean
line_too_long (MoonSseParser *self,
               gsize          length)
{
  if (length <= self->max_line)
    return FALSE;

  {
    g_autofree char *detail =
      g_strdup_printf (_("a line is longer than %lu bytes"), (gulong) self->max_line);
    fail (self, detail);
  }

  return TRUE;
}

/* Keeps the start of a line that continues in the next read. */
static void
buffer_partial_line (MoonSseParser *self,
                     const char    *bytes,
                     gsize          length)
{
  if (length == 0)
    return;

  if (self->line_length == 0)
    self->line_is_comment = bytes[0] == ':';

  if (line_too_long (self, self->line_length + length))
    return;

  self->line_length += length;
  if (!self->line_is_comment)
    g_byte_array_append (self->line, (const guint8 *) bytes, length);

  note_buffered (self);
}

static void
process_bytes (MoonSseParser *self,
               const char    *bytes,
               gsize          length)
{
  const char *p = bytes;
  const char *end = bytes + length;

  while (p < end && !self->stopped && self->error == NULL)
    {
      const char *eol;

      if (self->skip_lf)
        {
          self->skip_lf = FALSE;
          if (*p == '\n')
            {
              p++;
              continue;
            }
        }

      eol = p;
      while (eol < end && *eol != '\n' && *eol != '\r')
        eol++;

      if (eol == end)
        {
          buffer_partial_line (self, p, end - p);
          return;
        }

      if (self->line_length > 0)
        {
          buffer_partial_line (self, p, eol - p);
          if (self->error != NULL)
            return;

          if (self->line_is_comment)
            process_line (self, ":", 1);
          else
            process_line (self, (const char *) self->line->data, self->line->len);

          g_byte_array_set_size (self->line, 0);
          self->line_length = 0;
          self->line_is_comment = FALSE;
        }
      else
        {
          if (line_too_long (self, eol - p))
            return;
          process_line (self, p, eol - p);
        }

      if (*eol == '\r')
        self->skip_lf = TRUE;

      p = eol + 1;
    }
}

/**
 * moon_sse_parser_feed:
 * @self: a parser
 * @data: (array length=length): the next bytes of the stream, cut anywhere
 * @length: their length (0 is allowed)
 * @error: return location for a #GError
 *
 * Parses more of the stream, calling the event callback for every event
 * completed by these bytes. After the callback asked to stop, further input
 * is ignored.
 *
 * Returns: %FALSE with %MOON_API_ERROR_PROTOCOL if a line or an event
 *   exceeded its cap (then and for every later call)
 */
gboolean
moon_sse_parser_feed (MoonSseParser  *self,
                      const char     *data,
                      gsize           length,
                      GError        **error)
{
  const char *p = data;
  const char *end = data + length;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }

  if (self->stopped)
    return TRUE;

  /* A BOM may arrive one byte at a time; bytes that turn out not to be one
   * are parsed as ordinary input. */
  while (self->bom_matched < 3 && p < end)
    {
      if ((guchar) *p == utf8_bom[self->bom_matched])
        {
          self->bom_matched++;
          p++;
        }
      else
        {
          guint pending = self->bom_matched;

          self->bom_matched = 3;
          process_bytes (self, (const char *) utf8_bom, pending);
        }
    }

  if (p < end)
    process_bytes (self, p, end - p);

  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }

  return TRUE;
}

/**
 * moon_sse_parser_finish:
 * @self: a parser
 * @error: return location for a #GError
 *
 * Tells the parser the stream ended. As the WHATWG algorithm says, an event
 * whose blank line never came is discarded, as is an unterminated line.
 * moon_sse_parser_had_pending_event() tells whether that happened.
 *
 * Returns: %FALSE if the parser had failed earlier
 */
gboolean
moon_sse_parser_finish (MoonSseParser  *self,
                        GError        **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }

  if (self->bom_matched < 3)
    self->bom_matched = 3;

  g_byte_array_set_size (self->line, 0);
  /* line_length, line_is_comment and data_seen stay for had_pending_event() */
  g_string_truncate (self->data, 0);
  g_string_truncate (self->event_type, 0);
  self->stopped = TRUE;

  return TRUE;
}

/**
 * moon_sse_parser_had_pending_event:
 * @self: a parser
 *
 * Returns: %TRUE if, when the stream ended, a started event or line was
 *   dropped because its terminating blank line never arrived
 */
gboolean
moon_sse_parser_had_pending_event (MoonSseParser *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->data_seen || (self->line_length > 0 && !self->line_is_comment);
}

/**
 * moon_sse_parser_is_stopped:
 * @self: a parser
 *
 * Returns: %TRUE once the callback asked to stop or the stream was finished
 */
gboolean
moon_sse_parser_is_stopped (MoonSseParser *self)
{
  g_return_val_if_fail (self != NULL, TRUE);

  return self->stopped;
}

/**
 * moon_sse_parser_get_retry:
 * @self: a parser
 *
 * Returns: the reconnection time from the last valid `retry:` field, in
 *   milliseconds, or -1
 */
gint64
moon_sse_parser_get_retry (MoonSseParser *self)
{
  g_return_val_if_fail (self != NULL, -1);

  return self->retry;
}

/**
 * moon_sse_parser_get_last_event_id:
 * @self: a parser
 *
 * Returns: (nullable): the last event ID buffer
 */
const char *
moon_sse_parser_get_last_event_id (MoonSseParser *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->last_event_id;
}

/**
 * moon_sse_parser_get_buffered_size:
 * @self: a parser
 *
 * Returns: how many bytes the parser holds right now (partial line, data
 *   and event type of the event being built)
 */
gsize
moon_sse_parser_get_buffered_size (MoonSseParser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->line->len + self->data->len + self->event_type->len;
}

/**
 * moon_sse_parser_get_peak_buffered_size:
 * @self: a parser
 *
 * Returns: the most bytes the parser ever held at once
 */
gsize
moon_sse_parser_get_peak_buffered_size (MoonSseParser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->peak_buffered;
}
