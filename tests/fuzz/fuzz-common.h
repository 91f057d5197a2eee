/* fuzz-common.h — shared by the fuzz targets and their replay driver
 *
 * Every target defines LLVMFuzzerTestOneInput() and LLVMFuzzerInitialize().
 * Built with -Dfuzzing=true (clang) they link libFuzzer; in a normal build
 * fuzz-replay.c feeds them the committed corpus and the reproducers of past
 * findings, so a finding stays fixed without libFuzzer.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

G_BEGIN_DECLS

int LLVMFuzzerInitialize   (int            *argc,
                            char         ***argv);
int LLVMFuzzerTestOneInput (const uint8_t  *data,
                            size_t          size);

/* A small deterministic generator, seeded from the input, for the cut
 * points of a stream: the same input always cuts the same way. */
typedef struct
{
  guint64 state;
} FuzzRand;

static inline void
fuzz_rand_init (FuzzRand *rand,
                guint64   seed)
{
  rand->state = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
}

static inline guint32
fuzz_rand_next (FuzzRand *rand)
{
  /* xorshift64* */
  rand->state ^= rand->state >> 12;
  rand->state ^= rand->state << 25;
  rand->state ^= rand->state >> 27;
  return (guint32) ((rand->state * 0x2545F4914F6CDD1Dull) >> 32);
}

/* A number in [0, bound); 0 when @bound is 0. */
static inline gsize
fuzz_rand_below (FuzzRand *rand,
                 gsize     bound)
{
  return bound == 0 ? 0 : fuzz_rand_next (rand) % bound;
}

static inline GLogWriterOutput
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
static inline void
fuzz_make_warnings_fatal (void)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
}

/* Like g_assert(), but never compiled out: a broken invariant is a finding. */
#define fuzz_check(expr) \
  G_STMT_START { \
    if G_LIKELY (expr) ; \
    else \
      g_error ("%s:%d: fuzz check failed: %s", __FILE__, __LINE__, #expr); \
  } G_STMT_END

G_END_DECLS
