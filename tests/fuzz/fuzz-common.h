/* fuzz-common.h — shared by the fuzz targets and their replay driver
 *
 * Every target defines LLVMFuzzerTestOneInput(); fuzz-init.c defines the
 * LLVMFuzzerInitialize() they share.
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

/* Like g_assert(), but never compiled out: a broken invariant is a finding. */
#define fuzz_check(expr) \
  G_STMT_START { \
    if G_LIKELY (expr) ; \
    else \
      g_error ("%s:%d: fuzz check failed: %s", __FILE__, __LINE__, #expr); \
  } G_STMT_END

G_END_DECLS
