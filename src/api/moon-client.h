/* moon-client.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "moon-model-info.h"

G_BEGIN_DECLS

/**
 * MOON_CLIENT_BASE_URL_CN:
 *
 * The API of the China platform (platform.moonshot.cn / platform.kimi.com).
 */
#define MOON_CLIENT_BASE_URL_CN "https://api.moonshot.cn/v1"

/**
 * MOON_CLIENT_BASE_URL_GLOBAL:
 *
 * The API of the international platform (platform.moonshot.ai / platform.kimi.ai).
 */
#define MOON_CLIENT_BASE_URL_GLOBAL "https://api.moonshot.ai/v1"

/**
 * MoonBalance:
 * @available_balance: cash plus vouchers; at or below 0 requests are refused
 * @voucher_balance: voucher part
 * @cash_balance: cash part (negative when in debt)
 *
 * The answer of `GET /users/me/balance` (kimi-api.md §4.3). CNY on
 * api.moonshot.cn, USD on api.moonshot.ai.
 */
typedef struct
{
  double available_balance;
  double voucher_balance;
  double cash_balance;
} MoonBalance;

typedef struct _MoonCompletion MoonCompletion;

#define MOON_TYPE_CLIENT (moon_client_get_type ())

G_DECLARE_FINAL_TYPE (MoonClient, moon_client, MOON, CLIENT, GObject)

MoonClient     *moon_client_new                        (const char           *base_url);
const char     *moon_client_get_base_url               (MoonClient           *self);
void            moon_client_set_base_url               (MoonClient           *self,
                                                        const char           *base_url);
void            moon_client_set_api_key                (MoonClient           *self,
                                                        const char           *api_key);
gboolean        moon_client_has_api_key                (MoonClient           *self);
SoupSession    *moon_client_get_session                (MoonClient           *self);
gboolean        moon_client_check_base_url             (MoonClient           *self,
                                                        GError              **error);
char           *moon_client_build_url                  (MoonClient           *self,
                                                        const char           *path);

MoonCompletion *moon_client_new_completion             (MoonClient           *self,
                                                        JsonNode             *body);
MoonCompletion *moon_client_new_completion_for_bytes   (MoonClient           *self,
                                                        GBytes               *body);

void            moon_client_list_models_async          (MoonClient           *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
GListModel     *moon_client_list_models_finish         (MoonClient           *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
GListModel     *moon_client_get_cached_models          (MoonClient           *self);
void            moon_client_invalidate_models          (MoonClient           *self);
MoonModelInfo  *moon_client_lookup_model               (MoonClient           *self,
                                                        const char           *model_id);

void            moon_client_estimate_tokens_async      (MoonClient           *self,
                                                        const char           *model,
                                                        JsonNode             *messages,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gint64          moon_client_estimate_tokens_finish     (MoonClient           *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

void            moon_client_get_balance_async          (MoonClient           *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean        moon_client_get_balance_finish         (MoonClient           *self,
                                                        GAsyncResult         *result,
                                                        MoonBalance          *out_balance,
                                                        GError              **error);

const char     *moon_client_get_default_base_url       (void);
char           *moon_normalize_base_url                (const char           *base_url);
gboolean        moon_base_url_is_loopback              (const char           *base_url);

G_END_DECLS
