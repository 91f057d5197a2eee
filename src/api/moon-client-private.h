/* moon-client-private.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "moon-client.h"

G_BEGIN_DECLS

SoupMessage *_moon_client_new_message   (MoonClient           *self,
                                         const char           *method,
                                         const char           *path,
                                         GBytes               *body,
                                         GError              **error);
char        *_moon_message_dup_request_id (SoupMessage        *message);
void         _moon_client_redact_error  (MoonClient           *self,
                                         GError               *error);

void         _moon_read_bytes_async     (GInputStream         *stream,
                                         gsize                 max_bytes,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
GBytes      *_moon_read_bytes_finish    (GInputStream         *stream,
                                         GAsyncResult         *result,
                                         gboolean             *out_truncated,
                                         GError              **error);

G_END_DECLS
