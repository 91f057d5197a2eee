/* test-secrets.c — the API key in a real gnome-keyring (started unlocked in
 * a private D-Bus session by tests/session-wrapper.sh): round trip per base
 * URL, clear, "not set", no keyring at all, and no trace of the key in any
 * file of the test's home.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "moon-client.h"
#include "moon-secrets.h"
#include "moon-test-cli.h"
#include "moon-test-util.h"

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *slot;
}

static void
store (const char *base_url,
       const char *key)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  moon_secrets_store_async (base_url, key, NULL, store_result_cb, &result);
  g_assert_true (moon_secrets_store_finish (wait_result (&result), &error));
  g_assert_no_error (error);
}

static char *
lookup (const char *base_url)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *key;
  char *copy;

  moon_secrets_lookup_async (base_url, NULL, store_result_cb, &result);
  key = moon_secrets_lookup_finish (wait_result (&result), &error);
  g_assert_no_error (error);

  copy = g_strdup (key);
  moon_secrets_free_key (key);
  return copy;
}

static void
clear (const char *base_url)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  moon_secrets_clear_async (base_url, NULL, store_result_cb, &result);
  g_assert_true (moon_secrets_clear_finish (wait_result (&result), &error));
  g_assert_no_error (error);
}

static void
test_round_trip (void)
{
  g_autofree char *none = NULL;
  g_autofree char *cn = NULL;
  g_autofree char *ai = NULL;
  g_autofree char *ai_slash = NULL;
  g_autofree char *cn_again = NULL;
  g_autofree char *cn_cleared = NULL;
  g_autofree char *ai_kept = NULL;

  /* Not set: NULL, no error. */
  none = lookup (MOON_CLIENT_BASE_URL_CN);
  g_assert_null (none);

  /* One key per platform: they are separate accounts. */
  store (MOON_CLIENT_BASE_URL_CN, "sk-china-0001");
  store ("https://api.moonshot.ai/v1/", "sk-global-0002");
  cn = lookup (MOON_CLIENT_BASE_URL_CN);
  ai = lookup (MOON_CLIENT_BASE_URL_GLOBAL);
  ai_slash = lookup ("https://api.moonshot.ai/v1///");
  g_assert_cmpstr (cn, ==, "sk-china-0001");
  g_assert_cmpstr (ai, ==, "sk-global-0002");
  g_assert_cmpstr (ai_slash, ==, "sk-global-0002");

  /* Storing again replaces. */
  store (MOON_CLIENT_BASE_URL_CN, "sk-china-0003");
  cn_again = lookup (MOON_CLIENT_BASE_URL_CN);
  g_assert_cmpstr (cn_again, ==, "sk-china-0003");

  /* Clearing one leaves the other. */
  clear (MOON_CLIENT_BASE_URL_CN);
  cn_cleared = lookup (MOON_CLIENT_BASE_URL_CN);
  ai_kept = lookup (MOON_CLIENT_BASE_URL_GLOBAL);
  g_assert_null (cn_cleared);
  g_assert_cmpstr (ai_kept, ==, "sk-global-0002");

  /* Clearing what is not there is fine. */
  clear ("http://127.0.0.1:9/v1");
  clear (MOON_CLIENT_BASE_URL_GLOBAL);
}

static void
test_schema (void)
{
  const SecretSchema *schema = moon_secrets_get_schema ();

  g_assert_cmpstr (schema->name, ==, "io.github.moonchat.Moonchat.ApiKey");
  g_assert_cmpstr (schema->attributes[0].name, ==, "base-url");
  g_assert_cmpint (schema->attributes[0].type, ==, SECRET_SCHEMA_ATTRIBUTE_STRING);
  g_assert_null (schema->attributes[1].name);
}

static void
test_empty_base_url (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  moon_secrets_lookup_async ("   ", NULL, store_result_cb, &result);
  g_assert_null (moon_secrets_lookup_finish (wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_cancelled (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  moon_secrets_store_async (MOON_CLIENT_BASE_URL_CN, "sk-never-stored", cancellable, store_result_cb, &result);
  g_assert_false (moon_secrets_store_finish (wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* A canary key stored in the keyring appears in no file of the test home
 * (the keyring file is encrypted) or of the runtime directory. */
static void
test_canary_not_on_disk (void)
{
  const char *canary = "sk-CANARY-7f3a9c1e5b2d4068";
  g_autoptr(GPtrArray) hits = NULL;
  g_autofree char *scratch = NULL;
  g_autofree char *found = NULL;
  guint n_files = 0;

  store (MOON_CLIENT_BASE_URL_GLOBAL, canary);
  found = lookup (MOON_CLIENT_BASE_URL_GLOBAL);
  g_assert_cmpstr (found, ==, canary);

  /* HOME, the XDG folders and the runtime folder are all in the wrapper's
   * fresh scratch folder (tests/session-wrapper.sh). */
  scratch = moon_test_get_scratch_dir ();
  hits = moon_test_find_in_files (scratch, canary, &n_files);
  g_assert_cmpuint (hits->len, ==, 0);
  /* The keyring did write its (encrypted) file. */
  g_assert_cmpuint (n_files, >, 0);

  clear (MOON_CLIENT_BASE_URL_GLOBAL);
}

/* Without a Secret Service the error says so and names the way out. */
static void
test_no_keyring (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      moon_secrets_lookup_async (MOON_CLIENT_BASE_URL_CN, NULL, store_result_cb, &result);
      g_assert_null (moon_secrets_lookup_finish (wait_result (&result), &error));
      g_assert_error (error, MOON_SECRETS_ERROR, MOON_SECRETS_ERROR_UNAVAILABLE);
      g_assert_nonnull (strstr (error->message, "MOONSHOT_API_KEY"));
      g_print ("%s\n", error->message);
      return;
    }

  {
    g_auto(GStrv) envp = g_get_environ ();

    envp = g_environ_setenv (envp, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/moonchat-test-bus", TRUE);
    envp = g_environ_unsetenv (envp, "DISPLAY");
    g_test_trap_subprocess_with_envp (NULL, (const char * const *) envp, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed ();
    g_test_trap_assert_stdout ("*No keyring (Secret Service) is available*MOONSHOT_API_KEY*");
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/api/secrets/schema", test_schema);
  g_test_add_func ("/api/secrets/round-trip", test_round_trip);
  g_test_add_func ("/api/secrets/empty-base-url", test_empty_base_url);
  g_test_add_func ("/api/secrets/cancelled", test_cancelled);
  g_test_add_func ("/api/secrets/canary-not-on-disk", test_canary_not_on_disk);
  g_test_add_func ("/api/secrets/no-keyring", test_no_keyring);

  return g_test_run ();
}
