/* bench-util.h — data generators and measuring helpers shared by the
 * benchmark programs (tests/bench/). Not a test, not part of the product.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The streamed reply: mixed English and Chinese prose, lists, headings and
 * three code blocks, cut into deltas the size of tokens. */
#define BENCH_REPLY_DELTAS  20000
#define BENCH_PACED_DELTAS  3000

/* The history: 5,000 conversations, about 250,000 messages, the newest of
 * them 5,000 messages long. */
#define BENCH_N_CONVERSATIONS  5000
#define BENCH_BIG_MESSAGES     5000
#define BENCH_SMALL_MESSAGES   49

GPtrArray  *bench_reply_deltas      (guint        n_deltas);
char       *bench_reply_text        (guint        n_deltas);
const char *bench_reply_last_words  (void);

char       *bench_generate_history  (const char  *directory,
                                     guint        n_conversations,
                                     guint        n_small_messages,
                                     guint        n_big_messages,
                                     char       **out_big_path,
                                     gsize       *out_total_bytes,
                                     guint       *out_total_messages,
                                     GError     **error);

gint64      bench_peak_rss_kb       (void);
gint64      bench_rss_kb            (void);
gint64      bench_cpu_us            (void);
gint64      bench_env_time          (const char  *name);

G_END_DECLS
