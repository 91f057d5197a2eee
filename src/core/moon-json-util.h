/* moon-json-util.h — small helpers shared by the history code (private)
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* How deep a JSON text we read may nest. Our own documents nest 4 levels, the
 * API's 6; json-glib before 1.10 recurses without a limit. */
#define MOON_JSON_MAX_DEPTH 128

#define MOON_JSON_TEXT_ERROR (moon_json_text_error_quark ())

typedef enum
{
  MOON_JSON_TEXT_ERROR_TOO_DEEP,
} MoonJsonTextError;

GQuark     moon_json_text_error_quark  (void);
gboolean   moon_json_text_depth_is_sane (const char  *data,
                                        gsize        length,
                                        guint        max_depth);
gboolean   moon_json_parser_load       (JsonParser  *parser,
                                        const char  *data,
                                        gssize       length,
                                        GError     **error);

char      *moon_date_time_to_rfc3339   (GDateTime   *date_time);
GDateTime *moon_date_time_from_rfc3339 (const char  *text);

typedef enum
{
  MOON_JSON_FIELD_MISSING,
  MOON_JSON_FIELD_OK,
  MOON_JSON_FIELD_WRONG_TYPE,
} MoonJsonField;

MoonJsonField moon_json_get_string  (JsonObject  *object,
                                     const char  *member,
                                     const char **out_value);
MoonJsonField moon_json_get_int     (JsonObject  *object,
                                     const char  *member,
                                     gint64      *out_value);
MoonJsonField moon_json_get_double  (JsonObject  *object,
                                     const char  *member,
                                     double      *out_value);
MoonJsonField moon_json_get_boolean (JsonObject  *object,
                                     const char  *member,
                                     gboolean    *out_value);
MoonJsonField moon_json_get_object  (JsonObject  *object,
                                     const char  *member,
                                     JsonObject **out_value);

JsonNode  *moon_json_node_deep_copy (JsonNode           *node);

void       moon_json_copy_unknown   (JsonObject         *from,
                                     JsonObject         *to,
                                     const char * const *known);
void       moon_json_append_members (JsonObject         *to,
                                     JsonObject         *extra);

G_END_DECLS
