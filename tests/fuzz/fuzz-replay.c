/* fuzz-replay.c — runs a fuzz target over committed inputs, without libFuzzer
 *
 * replay-TARGET [--tap] DIR...: one test case per file in each DIR (the
 * target's seed corpus and the reproducers of past findings; a DIR that
 * does not exist is skipped, the corpus must not be empty), each fed to
 * LLVMFuzzerTestOneInput() exactly as the fuzzer would. A finding that was
 * fixed stays fixed in every normal, sanitizer and valgrind run.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "fuzz-common.h"

static void
replay_file (gconstpointer data)
{
  const char *path = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);

  /* The fuzzer hands over exactly @length bytes: an exact-size copy lets
   * ASan and valgrind see a read past the end. */
  {
    g_autofree guint8 *exact = g_malloc (MAX (length, 1));

    memcpy (exact, contents, length);
    LLVMFuzzerTestOneInput (exact, length);
  }
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char **) a, *(const char **) b);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  guint n_files = 0;

  g_test_init (&argc, &argv, NULL);
  LLVMFuzzerInitialize (&argc, &argv);

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GDir) dir = g_dir_open (argv[i], 0, &error);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *dir_name = g_path_get_basename (argv[i]);
      const char *name;

      /* A target without findings yet has no regressions folder. */
      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        continue;
      g_assert_no_error (error);
      while ((name = g_dir_read_name (dir)) != NULL)
        if (name[0] != '.')
          g_ptr_array_add (names, g_strdup (name));
      g_ptr_array_sort (names, compare_names);

      for (guint j = 0; j < names->len; j++)
        {
          const char *file = g_ptr_array_index (names, j);
          g_autofree char *test_path = g_strdup_printf ("/fuzz-replay/%s/%s/%s", FUZZ_TARGET, dir_name, file);
          char *path = g_build_filename (argv[i], file, NULL);

          g_ptr_array_add (paths, path);
          g_test_add_data_func (test_path, path, replay_file);
          n_files++;
        }
    }

  /* An empty corpus would make this test pass without testing anything. */
  g_assert_cmpuint (n_files, >, 0);

  return g_test_run ();
}
