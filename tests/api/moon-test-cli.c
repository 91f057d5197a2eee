/* moon-test-cli.c — runs moonchat-cli for the tests and keeps what it printed
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>

#include "moon-test-cli.h"
#include "moon-test-util.h"

/* Everything every run printed, for the canary searches. */
static GString *all_output;

/* When set, the next runs get G_MESSAGES_DEBUG=all. */
static gboolean debug_output;

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  MoonCliRun *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &run->out, &run->err, &error);
  g_assert_no_error (error);
  run->exited = g_subprocess_get_if_exited (G_SUBPROCESS (object));
  run->status = run->exited ? g_subprocess_get_exit_status (G_SUBPROCESS (object)) : -1;
  run->done = TRUE;
}

typedef struct
{
  GSubprocess    *process;
  MoonTestServer *server;
  gsize           after_bytes;
  guint           id;
} Interrupt;

static gboolean
interrupt_cb (gpointer data)
{
  Interrupt *interrupt = data;

  if (moon_test_server_get_bytes_sent (interrupt->server) < interrupt->after_bytes)
    return G_SOURCE_CONTINUE;

  /* Give the client a moment to print what it got. */
  if (interrupt->after_bytes > 0)
    {
      interrupt->after_bytes = 0;
      return G_SOURCE_CONTINUE;
    }

  g_subprocess_send_signal (interrupt->process, SIGINT);
  interrupt->id = 0;
  return G_SOURCE_REMOVE;
}

/*
 * moon_test_cli_run:
 * @env_key: (nullable): MOONSHOT_API_KEY, or %NULL for none
 * @stdin_text: (nullable): what the program reads on standard input
 * @interrupt_server: (nullable): send SIGINT once this server has sent
 *   @interrupt_after bytes of its last streamed response
 * @...: the arguments, %NULL-terminated
 *
 * Runs moonchat-cli of this build to the end (the main context runs
 * meanwhile, so a SoupServer of the test can answer it).
 */
void
moon_test_cli_run (MoonCliRun     *run,
                   const char     *env_key,
                   const char     *stdin_text,
                   MoonTestServer *interrupt_server,
                   gsize           interrupt_after,
                   ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  Interrupt interrupt = { 0 };
  const char *arg;
  va_list args;

  *run = (MoonCliRun) { 0 };
  if (all_output == NULL)
    all_output = g_string_new (NULL);

  g_ptr_array_add (argv, g_test_build_filename (G_TEST_BUILT, "..", "src", "cli", "moonchat-cli", NULL));
  va_start (args, interrupt_after);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (env_key != NULL)
    g_subprocess_launcher_setenv (launcher, "MOONSHOT_API_KEY", env_key, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "MOONSHOT_API_KEY");
  if (debug_output)
    g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  if (interrupt_server != NULL)
    {
      interrupt.process = process;
      interrupt.server = interrupt_server;
      interrupt.after_bytes = interrupt_after;
      interrupt.id = g_timeout_add (100, interrupt_cb, &interrupt);
    }

  g_subprocess_communicate_utf8_async (process, stdin_text ? stdin_text : "", NULL, communicate_cb, run);
  moon_test_wait_for (&run->done);
  g_clear_handle_id (&interrupt.id, g_source_remove);

  g_test_message ("exit %d\nstdout: %s\nstderr: %s", run->status, run->out, run->err);
  g_string_append (all_output, run->out);
  g_string_append (all_output, run->err);
}

void
moon_test_cli_run_clear (MoonCliRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

void
moon_test_cli_set_debug (gboolean debug)
{
  debug_output = debug;
}

/* Everything all runs so far printed, stdout and stderr. */
const char *
moon_test_cli_get_all_output (void)
{
  return all_output ? all_output->str : "";
}

/*
 * moon_test_get_scratch_dir:
 *
 * tests/session-wrapper.sh puts HOME, the XDG folders and XDG_RUNTIME_DIR
 * in one fresh scratch folder: everything a run could have written is in
 * there. Asserts that this runs inside the wrapper (never walk a real home).
 */
char *
moon_test_get_scratch_dir (void)
{
  g_autofree char *scratch = g_path_get_dirname (g_get_home_dir ());
  g_autofree char *scratch_name = g_path_get_basename (scratch);

  g_assert_true (g_str_has_prefix (scratch_name, "moonchat-test."));
  g_assert_true (g_str_has_prefix (g_get_user_runtime_dir (), scratch));
  g_assert_true (g_str_has_prefix (g_get_user_data_dir (), scratch));
  g_assert_true (g_str_has_prefix (g_get_user_config_dir (), scratch));
  g_assert_true (g_str_has_prefix (g_get_user_cache_dir (), scratch));

  return g_steal_pointer (&scratch);
}

static void
find_in_files (const char *dir,
               const char *needle,
               GPtrArray  *hits,
               guint      *n_files)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  if (handle == NULL)
    return;

  while ((name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        find_in_files (path, needle, hits, n_files);
      else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_autofree char *contents = NULL;
          gsize length;

          (*n_files)++;
          if (g_file_get_contents (path, &contents, &length, NULL) &&
              g_strstr_len (contents, length, needle) != NULL)
            g_ptr_array_add (hits, g_strdup (path));
        }
    }
}

/* Every regular file below @dir (links not followed) that holds @needle;
 * @out_n_files (optional) counts the files read. */
GPtrArray *
moon_test_find_in_files (const char *dir,
                         const char *needle,
                         guint      *out_n_files)
{
  GPtrArray *hits = g_ptr_array_new_with_free_func (g_free);
  guint n_files = 0;

  find_in_files (dir, needle, hits, &n_files);
  if (out_n_files != NULL)
    *out_n_files = n_files;
  for (guint i = 0; i < hits->len; i++)
    g_test_message ("%s found in %s", needle, (char *) g_ptr_array_index (hits, i));

  return hits;
}
