/* moon-model-limits.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "moon-client.h"
#include "moon-context.h"
#include "moon-model-info.h"

G_BEGIN_DECLS

void moon_model_info_to_limits (MoonModelInfo   *info,
                                MoonModelLimits *out_limits);
void moon_model_limits_lookup  (MoonClient      *client,
                                const char      *model_id,
                                MoonModelLimits *out_limits);

G_END_DECLS
