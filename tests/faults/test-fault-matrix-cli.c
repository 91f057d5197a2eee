/* test-fault-matrix-cli.c — the network fault matrix through moonchat-cli
 *
 * For every case of moon-fault-cases.c: moonchat-cli, spawned against real
 * sockets, exits with the status of the fault's class, shows the error's
 * text (and the request ID the server gave), keeps on standard output the
 * part of the reply that arrived, reaches the server as often as it should;
 * and once the server has recovered, asking again gives the whole reply.
 * Last, the canary key of every run is nowhere in what was printed or in
 * any file under HOME and the XDG folders.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "moon-fault-cases.h"
#include "moon-test-cli.h"
#include "moon-test-util.h"

#define CANARY "sk-CANARY-faults-7d41c0e9b2a85f36"
#define PROMPT "Tell me a story"

static MoonFaultRig rig;

static char *
expected_stdout (const char *kept)
{
  return kept[0] != '\0' ? g_strconcat (kept, "\n", NULL) : g_strdup ("");
}

static void
test_fault (gconstpointer data)
{
  const MoonFaultCase *fault = data;
  g_autofree char *idle = g_strdup_printf ("%u", fault->idle_timeout ? fault->idle_timeout : 300);
  g_autofree char *kept = expected_stdout (fault->kept);
  g_autofree char *full = expected_stdout (MOON_FAULT_FULL_REPLY);
  guint requests_before = moon_fault_count_requests (&rig);
  const char *url;
  MoonCliRun run;

  url = moon_fault_inject (fault, &rig);
  moon_test_cli_run (&run, CANARY, NULL, NULL, 0,
                     "--base-url", url,
                     "--retries", fault->client_retries ? "4" : "0",
                     "--idle-timeout", idle,
                     PROMPT, NULL);

  g_assert_true (run.exited);
  g_assert_cmpint (run.status, ==, fault->cli_exit);
  /* The part of the reply that arrived is kept (and ends with a newline). */
  g_assert_cmpstr (run.out, ==, kept);

  if (fault->message != NULL)
    {
      g_autofree char *shown = g_strconcat ("moonchat-cli: ", fault->message, NULL);

      g_assert_nonnull (strstr (run.err, shown));
    }
  if (fault->request_id != NULL && !fault->succeeds)
    {
      g_autofree char *shown = g_strdup_printf ("moonchat-cli: request ID %s\n", fault->request_id);

      g_assert_nonnull (strstr (run.err, shown));
    }
  if (fault->client_retries)
    g_assert_nonnull (strstr (run.err, "trying again in"));
  if (fault->succeeds && !fault->client_retries)
    g_assert_cmpstr (run.err, ==, "");

  g_assert_cmpuint (moon_fault_count_requests (&rig) - requests_before, ==, fault->attempts);
  moon_test_cli_run_clear (&run);

  /* The server recovers: asking again gives the whole reply. */
  url = moon_fault_recover (fault, &rig);
  moon_test_cli_run (&run, CANARY, NULL, NULL, 0, "--base-url", url, PROMPT, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, full);
  g_assert_cmpstr (run.err, ==, "");
  moon_test_cli_run_clear (&run);
}

/* Last: the key was never printed, nor written to any file. */
static void
test_canary_nowhere (void)
{
  g_autofree char *scratch = moon_test_get_scratch_dir ();
  g_autoptr(GPtrArray) hits = moon_test_find_in_files (scratch, CANARY, NULL);
  const char *all_output = moon_test_cli_get_all_output ();

  g_assert_cmpuint (strlen (all_output), >, 0);
  g_assert_null (strstr (all_output, CANARY));
  g_assert_cmpuint (hits->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  moon_fault_rig_init (&rig);

  for (guint i = 0; i < moon_fault_n_cases; i++)
    {
      g_autofree char *slug = moon_test_slug (moon_fault_cases[i].name);
      g_autofree char *path = g_strdup_printf ("/faults/cli/%02u-%s", i, slug);

      g_test_add_data_func (path, &moon_fault_cases[i], test_fault);
    }
  g_test_add_func ("/faults/cli/zz-canary-nowhere", test_canary_nowhere);

  status = g_test_run ();
  moon_fault_rig_clear (&rig);
  return status;
}
