/* moon-token-counter.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "moon-client.h"
#include "moon-token-estimator.h"

G_BEGIN_DECLS

#define MOON_TYPE_TOKEN_COUNTER (moon_token_counter_get_type ())

G_DECLARE_FINAL_TYPE (MoonTokenCounter, moon_token_counter, MOON, TOKEN_COUNTER, GObject)

MoonTokenCounter   *moon_token_counter_new           (MoonClient          *client,
                                                      MoonTokenEstimator  *estimator);
MoonClient         *moon_token_counter_get_client    (MoonTokenCounter    *self);
MoonTokenEstimator *moon_token_counter_get_estimator (MoonTokenCounter    *self);

void                moon_token_counter_count_async   (MoonTokenCounter    *self,
                                                      const char          *model,
                                                      GPtrArray           *messages,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
guint               moon_token_counter_count_finish  (MoonTokenCounter    *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

G_END_DECLS
