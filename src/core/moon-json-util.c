/* moon-json-util.c — small helpers shared by the history code
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-json-util"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "moon-json-util.h"

G_DEFINE_QUARK (moon-json-text-error-quark, moon_json_text_error)

/*
 * moon_json_text_depth_is_sane:
 *
 * Whether the JSON text nests at most @max_depth arrays and objects deep,
 * judged before a parser sees it: json-glib parses recursively, and before
 * 1.10 without a limit, so a deep enough text exhausts the stack.
 *
 * Brackets inside double-quoted strings do not count. json-glib also takes
 * single-quoted strings and comments, where a `"` would make a naive scan
 * think a string starts and miss every bracket after it; so from the first
 * character outside a string that strict JSON does not allow there, every
 * bracket counts, quoted or not. That only ever errs on the side of "too
 * deep", and only for texts that are not strict JSON.
 */
gboolean
moon_json_text_depth_is_sane (const char *data,
                              gsize       length,
                              guint       max_depth)
{
  gboolean in_string = FALSE;
  gboolean strict = TRUE;
  guint depth = 0;
  gsize i = 0;

  /* json-glib skips a byte order mark. */
  if (length >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    i = 3;

  for (; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      switch (c)
        {
        case '[':
        case '{':
          if (++depth > max_depth)
            return FALSE;
          break;

        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;

        case '"':
          in_string = strict;
          break;

        case ' ': case '\t': case '\n': case '\r': case ':': case ',':
        case '-': case '+': case '.':
          break;

        default:
          /* Digits and the letters of true, false, null (and of the
           * identifiers json-glib rejects itself) cannot hide a bracket. */
          if (!g_ascii_isalnum (c))
            strict = FALSE;
          break;
        }
    }

  return TRUE;
}

/*
 * moon_json_parser_load:
 *
 * json_parser_load_from_data() for text from outside (the network, files):
 * a text nested more than %MOON_JSON_MAX_DEPTH levels deep is refused with
 * %MOON_JSON_TEXT_ERROR_TOO_DEEP before json-glib sees it, and json-glib's
 * error message is made valid UTF-8.
 */
gboolean
moon_json_parser_load (JsonParser  *parser,
                       const char  *data,
                       gssize       length,
                       GError     **error)
{
  gsize len;

  g_assert (JSON_IS_PARSER (parser));
  g_assert (data != NULL || length <= 0);

  if (data == NULL)
    data = "";
  len = length < 0 ? strlen (data) : (gsize) length;

  if (!moon_json_text_depth_is_sane (data, len, MOON_JSON_MAX_DEPTH))
    {
      g_set_error (error, MOON_JSON_TEXT_ERROR, MOON_JSON_TEXT_ERROR_TOO_DEEP,
                   /* Translators: why a JSON text was refused; %u is a number */
                   _("nested more than %u levels deep"), (guint) MOON_JSON_MAX_DEPTH);
      return FALSE;
    }

  if (!json_parser_load_from_data (parser, data, len, error))
    {
      /* json-glib quotes the text around a problem byte by byte, and may cut
       * a character in half: its message ends up in ours. */
      if (error != NULL && *error != NULL && !g_utf8_validate ((*error)->message, -1, NULL))
        {
          char *valid = g_utf8_make_valid ((*error)->message, -1);

          g_free ((*error)->message);
          (*error)->message = valid;
        }
      return FALSE;
    }

  return TRUE;
}

/*
 * moon_date_time_to_rfc3339:
 *
 * Formats @date_time as an RFC 3339 time in UTC ("2026-01-31T09:30:00.123456Z";
 * the fraction only when there is one).
 */
char *
moon_date_time_to_rfc3339 (GDateTime *date_time)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autofree char *rest = NULL;

  g_assert (date_time != NULL);

  utc = g_date_time_to_utc (date_time);
  /* Not "%Y": it does not pad a year before 1000 to four digits, and
   * RFC 3339 (and so the reader) needs them. */
  if (g_date_time_get_microsecond (utc) != 0)
    rest = g_date_time_format (utc, "-%m-%dT%H:%M:%S.%fZ");
  else
    rest = g_date_time_format (utc, "-%m-%dT%H:%M:%SZ");

  return g_strdup_printf ("%04d%s", g_date_time_get_year (utc), rest);
}

/*
 * moon_date_time_from_rfc3339:
 *
 * Parses an RFC 3339 / ISO 8601 time. A time without an offset is taken as UTC.
 * Returns %NULL if @text is not a time.
 */
GDateTime *
moon_date_time_from_rfc3339 (const char *text)
{
  g_autoptr(GTimeZone) utc = NULL;
  GDateTime *parsed;

  if (text == NULL || *text == '\0')
    return NULL;

  utc = g_time_zone_new_utc ();
  parsed = g_date_time_new_from_iso8601 (text, utc);
  if (parsed == NULL)
    return NULL;

  /* Keep everything in UTC so comparisons and output are stable. */
  {
    GDateTime *in_utc = g_date_time_to_utc (parsed);

    g_date_time_unref (parsed);
    return in_utc;
  }
}

static JsonNode *
get_member (JsonObject *object,
            const char *member)
{
  if (object == NULL)
    return NULL;
  return json_object_get_member (object, member);
}

MoonJsonField
moon_json_get_string (JsonObject  *object,
                      const char  *member,
                      const char **out_value)
{
  JsonNode *node = get_member (object, member);

  *out_value = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return MOON_JSON_FIELD_MISSING;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return MOON_JSON_FIELD_WRONG_TYPE;
  *out_value = json_node_get_string (node);
  return MOON_JSON_FIELD_OK;
}

MoonJsonField
moon_json_get_int (JsonObject *object,
                   const char *member,
                   gint64     *out_value)
{
  JsonNode *node = get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return MOON_JSON_FIELD_MISSING;
  if (!JSON_NODE_HOLDS_VALUE (node))
    return MOON_JSON_FIELD_WRONG_TYPE;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      *out_value = json_node_get_int (node);
      return MOON_JSON_FIELD_OK;

    case G_TYPE_DOUBLE:
      {
        double d = json_node_get_double (node);

        if (d < (double) G_MININT64 || d > (double) G_MAXINT64 || d != d)
          return MOON_JSON_FIELD_WRONG_TYPE;
        *out_value = (gint64) d;
        return MOON_JSON_FIELD_OK;
      }

    default:
      return MOON_JSON_FIELD_WRONG_TYPE;
    }
}

MoonJsonField
moon_json_get_double (JsonObject *object,
                      const char *member,
                      double     *out_value)
{
  JsonNode *node = get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return MOON_JSON_FIELD_MISSING;
  if (!JSON_NODE_HOLDS_VALUE (node))
    return MOON_JSON_FIELD_WRONG_TYPE;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      *out_value = (double) json_node_get_int (node);
      return MOON_JSON_FIELD_OK;

    case G_TYPE_DOUBLE:
      *out_value = json_node_get_double (node);
      return MOON_JSON_FIELD_OK;

    default:
      return MOON_JSON_FIELD_WRONG_TYPE;
    }
}

MoonJsonField
moon_json_get_boolean (JsonObject *object,
                       const char *member,
                       gboolean   *out_value)
{
  JsonNode *node = get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return MOON_JSON_FIELD_MISSING;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return MOON_JSON_FIELD_WRONG_TYPE;
  *out_value = json_node_get_boolean (node);
  return MOON_JSON_FIELD_OK;
}

MoonJsonField
moon_json_get_object (JsonObject  *object,
                      const char  *member,
                      JsonObject **out_value)
{
  JsonNode *node = get_member (object, member);

  *out_value = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return MOON_JSON_FIELD_MISSING;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return MOON_JSON_FIELD_WRONG_TYPE;
  *out_value = json_node_get_object (node);
  return MOON_JSON_FIELD_OK;
}

/*
 * moon_json_node_deep_copy:
 *
 * json_node_copy() shares objects and arrays with the original; this copies
 * all the way down, so the copy can be changed (or handed to another thread)
 * without touching the original.
 */
JsonNode *
moon_json_node_deep_copy (JsonNode *node)
{
  g_assert (node != NULL);

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *from = json_node_get_object (node);
        g_autoptr(JsonObject) to = json_object_new ();
        g_autoptr(GList) names = json_object_get_members (from);

        for (const GList *l = names; l != NULL; l = l->next)
          json_object_set_member (to, l->data,
                                  moon_json_node_deep_copy (json_object_get_member (from, l->data)));
        return json_node_init_object (json_node_alloc (), to);
      }

    case JSON_NODE_ARRAY:
      {
        JsonArray *from = json_node_get_array (node);
        guint n = json_array_get_length (from);
        g_autoptr(JsonArray) to = json_array_sized_new (n);

        for (guint i = 0; i < n; i++)
          json_array_add_element (to, moon_json_node_deep_copy (json_array_get_element (from, i)));
        return json_node_init_array (json_node_alloc (), to);
      }

    case JSON_NODE_VALUE:
    case JSON_NODE_NULL:
    default:
      return json_node_copy (node);
    }
}

/*
 * moon_json_copy_unknown:
 *
 * Copies (deeply) every member of @from whose name is not in @known into @to,
 * in file order. This is how fields written by a newer Moonchat, or by hand,
 * survive a load and save.
 */
void
moon_json_copy_unknown (JsonObject         *from,
                        JsonObject         *to,
                        const char * const *known)
{
  g_autoptr(GList) names = NULL;

  g_assert (from != NULL);
  g_assert (to != NULL);

  names = json_object_get_members (from);
  for (const GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;

      if (known != NULL && g_strv_contains (known, name))
        continue;
      json_object_set_member (to, name, moon_json_node_deep_copy (json_object_get_member (from, name)));
    }
}

/*
 * moon_json_append_members:
 *
 * Adds copies of @extra's members to @to, without replacing members @to
 * already has (known fields win over stale unknown ones).
 */
void
moon_json_append_members (JsonObject *to,
                          JsonObject *extra)
{
  g_autoptr(GList) names = NULL;

  if (extra == NULL)
    return;

  names = json_object_get_members (extra);
  for (const GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;

      if (json_object_has_member (to, name))
        continue;
      json_object_set_member (to, name, moon_json_node_deep_copy (json_object_get_member (extra, name)));
    }
}
