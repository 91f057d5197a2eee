/* moon-api-error.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MOON_API_ERROR (moon_api_error_quark ())

/**
 * MoonApiError:
 *
 * Everything that can go wrong talking to the API, as the user should hear it.
 * Decided by the body's `error.type` first and the HTTP status second
 * (see docs/architecture.md and kimi-api.md §3).
 */
typedef enum
{
  MOON_API_ERROR_AUTH,
  MOON_API_ERROR_PERMISSION,
  MOON_API_ERROR_NOT_FOUND,
  MOON_API_ERROR_QUOTA,
  MOON_API_ERROR_RATE_LIMIT,
  MOON_API_ERROR_OVERLOADED,
  MOON_API_ERROR_CONTEXT_TOO_LONG,
  MOON_API_ERROR_CONTENT_FILTER,
  MOON_API_ERROR_INVALID_REQUEST,
  MOON_API_ERROR_SERVER,
  MOON_API_ERROR_NETWORK,
  MOON_API_ERROR_TIMEOUT,
  MOON_API_ERROR_TLS,
  MOON_API_ERROR_INCOMPLETE,
  MOON_API_ERROR_PROTOCOL,
} MoonApiError;

GQuark moon_api_error_quark (void);

G_END_DECLS
