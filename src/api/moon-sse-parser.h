/* moon-sse-parser.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * MOON_SSE_PARSER_DEFAULT_MAX_LINE:
 *
 * The default cap on one line of the event stream, in bytes (16 MiB).
 */
#define MOON_SSE_PARSER_DEFAULT_MAX_LINE (16 * 1024 * 1024)

/**
 * MOON_SSE_PARSER_DEFAULT_MAX_EVENT:
 *
 * The default cap on the data of one event, in bytes (16 MiB).
 */
#define MOON_SSE_PARSER_DEFAULT_MAX_EVENT (16 * 1024 * 1024)

/**
 * MoonSseEvent:
 * @event_type: (nullable): the `event:` field, or %NULL for the default
 *   type ("message"); an empty `event:` counts as the default
 * @data: the `data:` lines joined by `\n`, NUL-terminated, valid UTF-8
 *   (invalid bytes were replaced by U+FFFD as the WHATWG decoder does)
 * @data_length: length of @data in bytes (it may contain U+0000)
 * @last_event_id: (nullable): the last event ID in force, or %NULL if no
 *   `id:` was ever seen
 *
 * One dispatched server-sent event. Everything in it is owned by the parser
 * and valid only during the callback.
 */
typedef struct
{
  const char *event_type;
  const char *data;
  gsize       data_length;
  const char *last_event_id;
} MoonSseEvent;

/**
 * MoonSseEventFunc:
 * @event: the event
 * @user_data: the data given to moon_sse_parser_new()
 *
 * Called once for every dispatched event, in stream order, from inside
 * moon_sse_parser_feed().
 *
 * Returns: %TRUE to go on, %FALSE to stop: the parser then ignores all
 *   further input (use it for `data: [DONE]` or a terminal error)
 */
typedef gboolean (*MoonSseEventFunc) (const MoonSseEvent *event,
                                      gpointer            user_data);

typedef struct _MoonSseParser MoonSseParser;

MoonSseParser *moon_sse_parser_new                  (MoonSseEventFunc  func,
                                                     gpointer          user_data);
void           moon_sse_parser_free                 (MoonSseParser    *self);
void           moon_sse_parser_set_max_line_length  (MoonSseParser    *self,
                                                     gsize             max_bytes);
gsize          moon_sse_parser_get_max_line_length  (MoonSseParser    *self);
void           moon_sse_parser_set_max_event_size   (MoonSseParser    *self,
                                                     gsize             max_bytes);
gsize          moon_sse_parser_get_max_event_size   (MoonSseParser    *self);
gboolean       moon_sse_parser_feed                 (MoonSseParser    *self,
                                                     const char       *data,
                                                     gsize             length,
                                                     GError          **error);
gboolean       moon_sse_parser_finish               (MoonSseParser    *self,
                                                     GError          **error);
gboolean       moon_sse_parser_is_stopped           (MoonSseParser    *self);
gint64         moon_sse_parser_get_retry            (MoonSseParser    *self);
const char    *moon_sse_parser_get_last_event_id    (MoonSseParser    *self);
gsize          moon_sse_parser_get_buffered_size    (MoonSseParser    *self);
gsize          moon_sse_parser_get_peak_buffered_size (MoonSseParser  *self);
gboolean       moon_sse_parser_had_pending_event    (MoonSseParser    *self);

char          *moon_utf8_decode_lossy               (const char       *bytes,
                                                     gsize             length,
                                                     gsize            *out_length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MoonSseParser, moon_sse_parser_free)

G_END_DECLS
