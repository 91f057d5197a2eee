/* markup-check.h — is a Markdown block's markup what Pango may be given?
 * Shared by test-markdown.c and the Markdown fuzz target.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

static const char *markup_check_elements[] = { "markup", "b", "i", "s", "u", "tt", "span", "a", NULL };

static inline gboolean
markup_check_attribute (const char *element,
                        const char *name,
                        const char *value)
{
  if (g_str_equal (element, "a"))
    return g_str_equal (name, "href") &&
           /* URI schemes are case-insensitive (RFC 3986), as the builder treats them. */
           (g_ascii_strncasecmp (value, "http://", 7) == 0 ||
            g_ascii_strncasecmp (value, "https://", 8) == 0 ||
            g_ascii_strncasecmp (value, "mailto:", 7) == 0);
  if (g_str_equal (element, "span"))
    return g_str_equal (name, "background") || g_str_equal (name, "bgalpha");
  return FALSE;
}

static inline void
markup_check_start_element (GMarkupParseContext  *context,
                            const char           *element_name,
                            const char          **attribute_names,
                            const char          **attribute_values,
                            gpointer              user_data,
                            GError              **error)
{
  if (!g_strv_contains (markup_check_elements, element_name))
    {
      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_UNKNOWN_ELEMENT, "<%s> is not ours", element_name);
      return;
    }

  for (guint i = 0; attribute_names[i] != NULL; i++)
    if (!markup_check_attribute (element_name, attribute_names[i], attribute_values[i]))
      {
        g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_UNKNOWN_ATTRIBUTE, "<%s %s=\"%s\"> is not ours",
                     element_name, attribute_names[i], attribute_values[i]);
        return;
      }
}

/* Pango parses markup with GMarkup: @markup (may be %NULL) must be valid
 * UTF-8, well-formed, and use only our own elements and attributes. */
static inline gboolean
markup_check (const char  *markup,
              GError     **error)
{
  static const GMarkupParser parser = { markup_check_start_element, NULL, NULL, NULL, NULL };
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autofree char *wrapped = NULL;

  if (markup == NULL)
    return TRUE;

  if (!g_utf8_validate (markup, -1, NULL))
    {
      g_set_error_literal (error, G_MARKUP_ERROR, G_MARKUP_ERROR_BAD_UTF8, "not valid UTF-8");
      return FALSE;
    }

  wrapped = g_strconcat ("<markup>", markup, "</markup>", NULL);
  context = g_markup_parse_context_new (&parser, 0, NULL, NULL);
  return g_markup_parse_context_parse (context, wrapped, -1, error) &&
         g_markup_parse_context_end_parse (context, error);
}
