/* fuzz-init.c — LLVMFuzzerInitialize() of every fuzz target
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>

#include "fuzz-common.h"

static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   log_level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  GLogWriterOutput result = g_log_writer_default (log_level & ~G_LOG_FLAG_FATAL, fields, n_fields, user_data);

  /* abort(), not GLib's breakpoint trap: libFuzzer saves the input on
   * SIGABRT, while SIGTRAP would kill it without a word. */
  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING | G_LOG_FLAG_FATAL))
    abort ();

  return result;
}

/* Warnings and criticals are bugs (a g_return_if_fail() hit by input is
 * one), like g_error(): they abort, so the fuzzer reports them. */
int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
  return 0;
}
