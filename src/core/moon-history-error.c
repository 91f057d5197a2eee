/* moon-history-error.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-history"

#include "config.h"

#include "moon-history-error.h"

G_DEFINE_QUARK (moon-history-error-quark, moon_history_error)
