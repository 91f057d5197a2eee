/* moon-api-error.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-api-error"

#include "config.h"

#include "moon-api-error.h"

G_DEFINE_QUARK (moon-api-error-quark, moon_api_error)
