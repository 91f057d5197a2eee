/* moon-test-util.c — helpers shared by the API tests
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "moon-test-util.h"

static char *
fixture_path_va (const char *first_element,
                 va_list     args)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  const char *root = g_getenv ("MOONCHAT_FIXTURES");

  /* Run outside meson test: the source tree this binary was built from. */
  if (root == NULL)
    root = MOON_TEST_FIXTURES;

  g_ptr_array_add (parts, (gpointer) root);
  g_ptr_array_add (parts, (gpointer) "api");
  for (const char *e = first_element; e != NULL; e = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) e);
  g_ptr_array_add (parts, NULL);

  return g_build_filenamev ((char **) parts->pdata);
}

/* The path of a file under tests/fixtures/api/. */
char *
moon_test_fixture_path (const char *first_element,
                        ...)
{
  va_list args;
  char *path;

  va_start (args, first_element);
  path = fixture_path_va (first_element, args);
  va_end (args);

  return path;
}

GBytes *
moon_test_load_fixture (const char *first_element,
                        ...)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  char *contents;
  gsize length;
  va_list args;

  va_start (args, first_element);
  path = fixture_path_va (first_element, args);
  va_end (args);

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);

  return g_bytes_new_take (contents, length);
}

JsonNode *
moon_test_load_json (const char *first_element,
                     ...)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  va_list args;

  va_start (args, first_element);
  path = fixture_path_va (first_element, args);
  va_end (args);

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);

  return json_node_ref (json_parser_get_root (parser));
}

GBytes *
moon_test_hex_decode (const char *hex)
{
  gsize len = strlen (hex);
  guint8 *bytes;

  g_assert_cmpuint (len % 2, ==, 0);
  bytes = g_malloc (len / 2 + 1);
  for (gsize i = 0; i < len / 2; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      g_assert_cmpint (hi, >=, 0);
      g_assert_cmpint (lo, >=, 0);
      bytes[i] = (guint8) (hi * 16 + lo);
    }

  return g_bytes_new_take (bytes, len / 2);
}

/* Runs the default main context until *flag becomes TRUE. */
void
moon_test_wait_for (gboolean *flag)
{
  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
}

/* A test-path-friendly version of a case name. */
char *
moon_test_slug (const char *name)
{
  GString *out = g_string_new (NULL);
  gboolean dash = FALSE;

  for (const char *p = name; *p; p++)
    {
      if (g_ascii_isalnum (*p))
        {
          if (dash && out->len > 0)
            g_string_append_c (out, '-');
          g_string_append_c (out, g_ascii_tolower (*p));
          dash = FALSE;
        }
      else
        {
          dash = TRUE;
        }
    }

  return g_string_free (out, FALSE);
}
