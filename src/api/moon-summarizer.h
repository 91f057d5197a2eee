/* moon-summarizer.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "moon-client.h"
#include "moon-context.h"

G_BEGIN_DECLS

void     moon_summarizer_summarize_async  (MoonClient            *client,
                                           MoonContext           *context,
                                           MoonConversation      *conversation,
                                           MoonContextPlan       *plan,
                                           const MoonModelLimits *limits,
                                           GCancellable          *cancellable,
                                           GAsyncReadyCallback    callback,
                                           gpointer               user_data);
gboolean moon_summarizer_summarize_finish (GAsyncResult          *result,
                                           GError               **error);

G_END_DECLS
