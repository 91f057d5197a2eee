/* moon-format.h — short, translated texts for times, durations and token counts
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "moon-usage.h"

G_BEGIN_DECLS

char *moon_format_relative_time (GDateTime       *time,
                                 GDateTime       *now);
char *moon_format_duration      (gint64           microseconds);
char *moon_format_count         (gint64           count);
char *moon_format_usage         (const MoonUsage *usage);
char *moon_format_usage_tooltip (const MoonUsage *usage);

G_END_DECLS
