/* moon-secrets.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

G_BEGIN_DECLS

#define MOON_SECRETS_ERROR (moon_secrets_error_quark ())

/**
 * MoonSecretsError:
 * @MOON_SECRETS_ERROR_UNAVAILABLE: no Secret Service (keyring) could be
 *   reached; the key can come from `MOONSHOT_API_KEY` for one run instead
 * @MOON_SECRETS_ERROR_FAILED: the keyring refused (locked, dismissed prompt)
 *
 * Errors storing or reading the API key.
 */
typedef enum
{
  MOON_SECRETS_ERROR_UNAVAILABLE,
  MOON_SECRETS_ERROR_FAILED,
} MoonSecretsError;

/**
 * MOON_SECRETS_SCHEMA:
 *
 * The libsecret schema of Moonchat API keys:
 * `io.github.moonchat.Moonchat.ApiKey` with one attribute, `base-url`.
 */
#define MOON_SECRETS_SCHEMA (moon_secrets_get_schema ())

GQuark              moon_secrets_error_quark    (void);
const SecretSchema *moon_secrets_get_schema     (void);

void                moon_secrets_store_async    (const char           *base_url,
                                                 const char           *api_key,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean            moon_secrets_store_finish   (GAsyncResult         *result,
                                                 GError              **error);
void                moon_secrets_lookup_async   (const char           *base_url,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
char               *moon_secrets_lookup_finish  (GAsyncResult         *result,
                                                 GError              **error);
void                moon_secrets_clear_async    (const char           *base_url,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean            moon_secrets_clear_finish   (GAsyncResult         *result,
                                                 GError              **error);
void                moon_secrets_free_key       (char                 *api_key);

G_END_DECLS
