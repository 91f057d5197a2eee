/* moon-secrets.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-secrets"

#include "config.h"

#include <glib/gi18n.h>

#include "moon-client.h"
#include "moon-secrets.h"

/*
 * The API key lives in the user's keyring (Secret Service, or the Secret
 * portal inside Flatpak), one per base URL: the China and international
 * platforms have separate keys, and a local server may have its own. It is
 * never written anywhere else. Base URLs are normalized (no trailing slash)
 * so "https://api.moonshot.cn/v1/" finds the key stored for
 * "https://api.moonshot.cn/v1".
 */

G_DEFINE_QUARK (moon-secrets-error-quark, moon_secrets_error)

/**
 * moon_secrets_get_schema:
 *
 * Returns: (transfer none): the static schema of Moonchat API keys
 */
const SecretSchema *
moon_secrets_get_schema (void)
{
  static const SecretSchema schema = {
    "io.github.moonchat.Moonchat.ApiKey", SECRET_SCHEMA_NONE,
    {
      { "base-url", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

/* Turns a libsecret/D-Bus failure into a message the user can act on. */
static GError *
map_error (GError *error)
{
  GError *mapped;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;

  if (error->domain == SECRET_ERROR)
    mapped = g_error_new (MOON_SECRETS_ERROR, MOON_SECRETS_ERROR_FAILED,
                          _("The keyring refused the request: %s"), error->message);
  else
    mapped = g_error_new (MOON_SECRETS_ERROR, MOON_SECRETS_ERROR_UNAVAILABLE,
                          _("No keyring (Secret Service) is available: %s. "
                            "Set MOONSHOT_API_KEY to use a key for this run only."),
                          error->message);

  g_error_free (error);
  return mapped;
}

static char *
normalize_or_fail (GTask      *task,
                   const char *base_url)
{
  char *normalized = moon_normalize_base_url (base_url);

  if (normalized == NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                             _("No API address was given"));

  return normalized;
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, map_error (error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * moon_secrets_store_async:
 * @base_url: the API base URL the key belongs to
 * @api_key: the key
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Stores @api_key in the default keyring collection, replacing any key
 * stored for @base_url.
 */
void
moon_secrets_store_async (const char          *base_url,
                          const char          *api_key,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *normalized = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (api_key != NULL && api_key[0] != '\0');

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_secrets_store_async);

  normalized = normalize_or_fail (task, base_url);
  if (normalized == NULL)
    return;

  /* Translators: the label of the API key in the keyring (Seahorse shows it);
   * %s is the API address */
  label = g_strdup_printf (_("Moonchat API key for %s"), normalized);

  secret_password_store (MOON_SECRETS_SCHEMA, SECRET_COLLECTION_DEFAULT, label, api_key,
                         cancellable, store_cb, g_steal_pointer (&task),
                         "base-url", normalized,
                         NULL);
}

/**
 * moon_secrets_store_finish:
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the key was stored
 */
gboolean
moon_secrets_store_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *key;

  key = secret_password_lookup_nonpageable_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, map_error (error));
  else
    g_task_return_pointer (task, key, (GDestroyNotify) secret_password_free);
}

/**
 * moon_secrets_lookup_async:
 * @base_url: the API base URL
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Looks up the key stored for @base_url.
 */
void
moon_secrets_lookup_async (const char          *base_url,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *normalized = NULL;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_secrets_lookup_async);

  normalized = normalize_or_fail (task, base_url);
  if (normalized == NULL)
    return;

  secret_password_lookup (MOON_SECRETS_SCHEMA, cancellable, lookup_cb, g_steal_pointer (&task),
                          "base-url", normalized,
                          NULL);
}

/**
 * moon_secrets_lookup_finish:
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the key, in non-pageable memory; free
 *   it with moon_secrets_free_key(). %NULL without an error means no key is
 *   stored for that address.
 */
char *
moon_secrets_lookup_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
clear_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  secret_password_clear_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, map_error (error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * moon_secrets_clear_async:
 * @base_url: the API base URL
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Removes the key stored for @base_url, if any.
 */
void
moon_secrets_clear_async (const char          *base_url,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *normalized = NULL;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_secrets_clear_async);

  normalized = normalize_or_fail (task, base_url);
  if (normalized == NULL)
    return;

  secret_password_clear (MOON_SECRETS_SCHEMA, cancellable, clear_cb, g_steal_pointer (&task),
                         "base-url", normalized,
                         NULL);
}

/**
 * moon_secrets_clear_finish:
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: %TRUE unless the keyring failed (also when nothing was stored)
 */
gboolean
moon_secrets_clear_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * moon_secrets_free_key:
 * @api_key: (nullable) (transfer full): a key from moon_secrets_lookup_finish()
 *
 * Overwrites and frees a key.
 */
void
moon_secrets_free_key (char *api_key)
{
  if (api_key != NULL)
    secret_password_free (api_key);
}
