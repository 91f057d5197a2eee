/* moon-message-private.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "moon-message.h"

G_BEGIN_DECLS

/* The message as compact JSON text, cached until the message changes. The
 * bytes are immutable, so a save can hand them to a worker thread. */
GBytes *_moon_message_dup_serialized (MoonMessage *self);

G_END_DECLS
