/* moon-completion.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "moon-client.h"
#include "moon-reply.h"
#include "moon-usage.h"

G_BEGIN_DECLS

/**
 * MOON_COMPLETION_DEFAULT_IDLE_TIMEOUT:
 *
 * Seconds without a single byte from the server before a completion gives
 * up. Generous: a thinking model may pause long before its first token.
 */
#define MOON_COMPLETION_DEFAULT_IDLE_TIMEOUT 300

#define MOON_TYPE_COMPLETION (moon_completion_get_type ())

G_DECLARE_FINAL_TYPE (MoonCompletion, moon_completion, MOON, COMPLETION, GObject)

void             moon_completion_run_async              (MoonCompletion       *self,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean         moon_completion_run_finish             (MoonCompletion       *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

MoonClient      *moon_completion_get_client             (MoonCompletion       *self);
const char      *moon_completion_get_content            (MoonCompletion       *self);
const char      *moon_completion_get_reasoning_content  (MoonCompletion       *self);
GPtrArray       *moon_completion_get_tool_calls         (MoonCompletion       *self);
const char      *moon_completion_get_finish_reason      (MoonCompletion       *self);
const MoonUsage *moon_completion_get_usage              (MoonCompletion       *self);
const char      *moon_completion_get_model              (MoonCompletion       *self);
const char      *moon_completion_get_response_id        (MoonCompletion       *self);
const char      *moon_completion_get_request_id         (MoonCompletion       *self);
gboolean         moon_completion_get_done               (MoonCompletion       *self);
guint            moon_completion_get_attempts           (MoonCompletion       *self);
guint            moon_completion_get_skipped_chunks     (MoonCompletion       *self);

guint            moon_completion_get_idle_timeout       (MoonCompletion       *self);
void             moon_completion_set_idle_timeout       (MoonCompletion       *self,
                                                         guint                 seconds);
guint            moon_completion_get_max_retries        (MoonCompletion       *self);
void             moon_completion_set_max_retries        (MoonCompletion       *self,
                                                         guint                 max_retries);
guint            moon_completion_get_retry_delay        (MoonCompletion       *self);
void             moon_completion_set_retry_delay        (MoonCompletion       *self,
                                                         guint                 milliseconds);
guint            moon_completion_get_max_retry_delay    (MoonCompletion       *self);
void             moon_completion_set_max_retry_delay    (MoonCompletion       *self,
                                                         guint                 milliseconds);
guint64          moon_completion_get_max_event_size     (MoonCompletion       *self);
void             moon_completion_set_max_event_size     (MoonCompletion       *self,
                                                         guint64               bytes);

G_END_DECLS
