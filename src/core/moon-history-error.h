/* moon-history-error.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MOON_HISTORY_ERROR (moon_history_error_quark ())

/**
 * MoonHistoryError:
 * @MOON_HISTORY_ERROR_INVALID: the file or object is not valid JSON, or not
 *   in the shape of a Moonchat conversation
 * @MOON_HISTORY_ERROR_NEWER_VERSION: the file was written by a newer major
 *   version of the format; it is kept read-only
 * @MOON_HISTORY_ERROR_READ_ONLY: the conversation may not be saved (see
 *   #MoonConversation:read-only)
 * @MOON_HISTORY_ERROR_NOT_FOUND: no such conversation or deletion
 *
 * Errors of the conversation history (files, models, store).
 */
typedef enum
{
  MOON_HISTORY_ERROR_INVALID,
  MOON_HISTORY_ERROR_NEWER_VERSION,
  MOON_HISTORY_ERROR_READ_ONLY,
  MOON_HISTORY_ERROR_NOT_FOUND,
} MoonHistoryError;

GQuark moon_history_error_quark (void);

G_END_DECLS
