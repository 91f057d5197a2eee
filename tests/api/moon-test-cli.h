/* moon-test-cli.h — runs moonchat-cli for the tests and keeps what it printed
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "moon-test-server.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean  done;
  char     *out;
  char     *err;
  int       status;   /* exit status, -1 when killed by a signal */
  gboolean  exited;
} MoonCliRun;

void        moon_test_cli_run            (MoonCliRun     *run,
                                          const char     *env_key,
                                          const char     *stdin_text,
                                          MoonTestServer *interrupt_server,
                                          gsize           interrupt_after,
                                          ...) G_GNUC_NULL_TERMINATED;
void        moon_test_cli_run_clear      (MoonCliRun     *run);
void        moon_test_cli_set_debug      (gboolean        debug);
const char *moon_test_cli_get_all_output (void);

char       *moon_test_get_scratch_dir    (void);
GPtrArray  *moon_test_find_in_files      (const char     *dir,
                                          const char     *needle,
                                          guint          *out_n_files);

G_END_DECLS
