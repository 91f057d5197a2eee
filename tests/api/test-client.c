/* test-client.c — MoonClient: base URLs and the clear-text key rule, the
 * model list (cached) against Kimi's and other servers' answers, token
 * estimates, the balance, and the per-model quirks table.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "moon-api-error.h"
#include "moon-client.h"
#include "moon-model-info.h"
#include "moon-test-server.h"
#include "moon-test-util.h"

#define TEST_KEY "sk-test-client-key"

typedef struct
{
  MoonTestServer *server;
  MoonClient     *client;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = moon_test_server_new ();
  f->client = moon_client_new (moon_test_server_get_base_url (f->server));
  moon_client_set_api_key (f->client, TEST_KEY);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_cmpuint (moon_test_server_get_n_unexpected (f->server), ==, 0);
  g_assert_finalize_object (f->client);
  moon_test_server_free (f->server);
}

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
test_base_url (void)
{
  g_autoptr(MoonClient) client = moon_client_new ("  https://api.moonshot.cn/v1//  ");
  g_autoptr(MoonClient) fallback = moon_client_new (NULL);
  g_autofree char *url = NULL;
  g_autofree char *normalized = moon_normalize_base_url ("http://127.0.0.1:8080/v1/");
  GParamSpec *key_pspec;

  g_assert_cmpstr (moon_client_get_base_url (client), ==, MOON_CLIENT_BASE_URL_CN);
  url = moon_client_build_url (client, "/chat/completions");
  g_assert_cmpstr (url, ==, "https://api.moonshot.cn/v1/chat/completions");
  g_assert_cmpstr (normalized, ==, "http://127.0.0.1:8080/v1");
  g_assert_null (moon_normalize_base_url (" / "));

  /* C.UTF-8 is not Chinese: the international platform. */
  g_assert_cmpstr (moon_client_get_base_url (fallback), ==, MOON_CLIENT_BASE_URL_GLOBAL);
  moon_client_set_base_url (fallback, "https://api.moonshot.ai/v1/");
  g_assert_cmpstr (moon_client_get_base_url (fallback), ==, MOON_CLIENT_BASE_URL_GLOBAL);
  moon_client_set_base_url (fallback, "");
  g_assert_cmpstr (moon_client_get_base_url (fallback), ==, MOON_CLIENT_BASE_URL_GLOBAL);

  /* The key can be set, never read back through GObject. */
  key_pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (client), "api-key");
  g_assert_nonnull (key_pspec);
  g_assert_false (key_pspec->flags & G_PARAM_READABLE);
  g_assert_false (moon_client_has_api_key (client));
  g_object_set (client, "api-key", "  sk-abc  ", NULL);
  g_assert_true (moon_client_has_api_key (client));
  moon_client_set_api_key (client, "   ");
  g_assert_false (moon_client_has_api_key (client));
}

static void
test_clear_text_rule (void)
{
  static const struct {
    const char *url;
    gboolean    with_key;
    int         code;  /* -1: accepted */
  } cases[] = {
    { "https://api.moonshot.cn/v1", TRUE, -1 },
    { "https://example.com/openai/v1", TRUE, -1 },
    { "http://127.0.0.1:8080/v1", TRUE, -1 },
    { "http://127.1.2.3/v1", TRUE, -1 },
    { "http://localhost:11434/v1", TRUE, -1 },
    { "http://[::1]:8080/v1", TRUE, -1 },
    { "http://example.com/v1", FALSE, -1 },
    { "http://example.com/v1", TRUE, MOON_API_ERROR_INSECURE },
    { "http://192.168.1.10:8080/v1", TRUE, MOON_API_ERROR_INSECURE },
    { "http://localhost.example.com/v1", TRUE, MOON_API_ERROR_INSECURE },
    { "ftp://example.com/v1", TRUE, MOON_API_ERROR_INVALID_REQUEST },
    { "not a url", TRUE, MOON_API_ERROR_INVALID_REQUEST },
    { "https:///v1", TRUE, MOON_API_ERROR_INVALID_REQUEST },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(MoonClient) client = moon_client_new (cases[i].url);
      g_autoptr(GError) error = NULL;
      gboolean ok;

      if (cases[i].with_key)
        moon_client_set_api_key (client, "sk-secret-value");

      ok = moon_client_check_base_url (client, &error);
      g_test_message ("%s", cases[i].url);
      if (cases[i].code < 0)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, MOON_API_ERROR, cases[i].code);
          g_assert_null (strstr (error->message, "sk-secret-value"));
        }
    }
}

static const char *kimi_models =
  "{\"object\":\"list\",\"data\":["
  "{\"id\":\"kimi-k2.5\",\"object\":\"model\",\"created\":1769472000,\"owned_by\":\"moonshot\",\"context_length\":262144,"
  "\"supports_image_in\":true,\"supports_video_in\":true,\"supports_reasoning\":true},"
  "{\"id\":\"kimi-k3\",\"object\":\"model\",\"created\":1787000000,\"owned_by\":\"moonshot\",\"context_length\":1048576,"
  "\"supports_image_in\":true,\"supports_reasoning\":true},"
  "{\"id\":\"moonshot-v1-8k\",\"object\":\"model\",\"owned_by\":\"moonshot\",\"permission\":[{\"allow_sampling\":false}],\"root\":\"\",\"parent\":\"\"},"
  "{\"id\":\"brand-new-model\",\"object\":\"model\",\"supports_reasoning\":true},"
  "{\"object\":\"model\"},"
  "42]}";

static void
test_list_models (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GAsyncResult) third = NULL;
  g_autoptr(GListModel) models = NULL;
  g_autoptr(GListModel) cached = NULL;
  g_autoptr(GListModel) refreshed = NULL;
  g_autoptr(MoonModelInfo) k25 = NULL;
  g_autoptr(MoonModelInfo) k3 = NULL;
  g_autoptr(MoonModelInfo) v1 = NULL;
  g_autoptr(MoonModelInfo) fresh = NULL;
  g_autoptr(MoonModelInfo) looked_up = NULL;
  g_autoptr(GError) error = NULL;

  moon_test_server_push (f->server, moon_test_response_new_text ("/v1/models", 200, "application/json", kimi_models));
  moon_test_server_push (f->server, moon_test_response_new_text ("/v1/models", 200, "application/json", kimi_models));

  g_assert_null (moon_client_get_cached_models (f->client));
  moon_client_list_models_async (f->client, NULL, store_result_cb, &first);
  models = moon_client_list_models_finish (f->client, wait_result (&first), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (moon_test_server_get_last_header (f->server, "Authorization"), ==, "Bearer " TEST_KEY);

  /* Entries without an id (and non-objects) are skipped. */
  g_assert_cmpuint (g_list_model_get_n_items (models), ==, 4);
  k25 = g_list_model_get_item (models, 0);
  k3 = g_list_model_get_item (models, 1);
  v1 = g_list_model_get_item (models, 2);
  fresh = g_list_model_get_item (models, 3);
  g_assert_cmpstr (moon_model_info_get_id (k25), ==, "kimi-k2.5");
  g_assert_cmpint (moon_model_info_get_context_length (k25), ==, 262144);
  g_assert_cmpint (moon_model_info_get_thinking (k25), ==, MOON_THINKING_SWITCHABLE);
  g_assert_true (moon_model_info_get_vision (k25));
  /* The server says kimi-k3 takes images; the table did not know. */
  g_assert_true (moon_model_info_get_vision (k3));
  g_assert_cmpint (moon_model_info_get_context_length (k3), ==, 1048576);
  g_assert_cmpint (moon_model_info_get_context_length (v1), ==, 8192);
  g_assert_false (moon_model_info_get_known (fresh));
  g_assert_cmpint (moon_model_info_get_thinking (fresh), ==, MOON_THINKING_ALWAYS);
  g_assert_false (moon_model_info_accepts_field (fresh, "thinking"));

  /* Cached: no second request. */
  moon_client_list_models_async (f->client, NULL, store_result_cb, &second);
  cached = moon_client_list_models_finish (f->client, wait_result (&second), &error);
  g_assert_no_error (error);
  g_assert_true (cached == models);
  g_assert_cmpuint (moon_test_server_count (f->server, "/v1/models"), ==, 1);

  looked_up = moon_client_lookup_model (f->client, "kimi-k3");
  g_assert_true (moon_model_info_get_vision (looked_up));

  /* A new key (another account) asks again. */
  moon_client_set_api_key (f->client, "sk-another-key");
  g_assert_null (moon_client_get_cached_models (f->client));
  moon_client_list_models_async (f->client, NULL, store_result_cb, &third);
  refreshed = moon_client_list_models_finish (f->client, wait_result (&third), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (moon_test_server_count (f->server, "/v1/models"), ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (refreshed), ==, 4);
}

/* The model lists of llama-server, mock-llm and openai-mock-api, replayed. */
static void
test_list_models_wire (Fixture       *f,
                       gconstpointer  data)
{
  static const struct {
    const char *file;
    const char *ids;
    gint64      first_context;
  } captures[] = {
    { "llama-server/wire-models.txt", "kimi-k2-0905-preview", 2048 },
    { "mock-llm/wire-models.txt", "kimi-k2-0905-preview moonshot-v1-8k", 262144 },
    { "openai-mock-api/wire-models.txt", "gpt-3.5-turbo gpt-4", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (captures); i++)
    {
      g_autoptr(GBytes) raw = moon_test_load_fixture ("wire", captures[i].file, NULL);
      const char *text = g_bytes_get_data (raw, NULL);
      const char *body = strstr (text, "\r\n\r\n") + 4;
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GListModel) models = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GString) ids = g_string_new (NULL);
      g_autoptr(MoonModelInfo) first = NULL;
      g_autofree char *json = g_strndup (body, g_bytes_get_size (raw) - (body - text));

      moon_client_invalidate_models (f->client);
      moon_test_server_push (f->server, moon_test_response_new_text ("/v1/models", 200, "application/json; charset=utf-8", json));
      moon_client_list_models_async (f->client, NULL, store_result_cb, &result);
      models = moon_client_list_models_finish (f->client, wait_result (&result), &error);
      g_assert_no_error (error);

      for (guint j = 0; j < g_list_model_get_n_items (models); j++)
        {
          g_autoptr(MoonModelInfo) info = g_list_model_get_item (models, j);

          if (ids->len > 0)
            g_string_append_c (ids, ' ');
          g_string_append (ids, moon_model_info_get_id (info));
        }
      g_assert_cmpstr (ids->str, ==, captures[i].ids);

      /* llama.cpp's meta.n_ctx beats the table's 262144 for its model. */
      first = g_list_model_get_item (models, 0);
      g_assert_cmpint (moon_model_info_get_context_length (first), ==, captures[i].first_context);
    }
}

static void
test_list_models_errors (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GAsyncResult) a = NULL;
  g_autoptr(GAsyncResult) b = NULL;
  g_autoptr(GError) error = NULL;
  MoonTestResponse *response;

  response = moon_test_response_new_text ("/v1/models", 401, "application/json",
                                          "{\"error\":{\"message\":\"Invalid Authentication\",\"type\":\"invalid_authentication_error\"}}");
  moon_test_response_add_header (response, "Msh-Request-Id", "req-models");
  moon_test_server_push (f->server, response);
  moon_client_list_models_async (f->client, NULL, store_result_cb, &a);
  g_assert_null (moon_client_list_models_finish (f->client, wait_result (&a), &error));
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_AUTH);
  g_assert_cmpstr (moon_api_error_get_server_message (error), ==, "Invalid Authentication");
  g_assert_cmpstr (moon_api_error_get_request_id (error), ==, "req-models");
  g_clear_error (&error);

  moon_test_server_push (f->server, moon_test_response_new_text ("/v1/models", 200, "application/json", "{\"object\":\"list\"}"));
  moon_client_list_models_async (f->client, NULL, store_result_cb, &b);
  g_assert_null (moon_client_list_models_finish (f->client, wait_result (&b), &error));
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL);
  g_assert_null (moon_client_get_cached_models (f->client));
}

static void
test_estimate_tokens (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) sent = json_parser_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) failed = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *body;
  JsonObject *object;
  JsonNode *messages;

  json_parser_load_from_data (parser,
    "[{\"role\":\"system\",\"content\":\"You are Kimi ...\"},"
    "{\"role\":\"user\",\"content\":\"Hello, my name is Li Lei. What is 1+1?\"}]", -1, NULL);
  messages = json_parser_get_root (parser);

  moon_test_server_push (f->server, moon_test_response_new_text ("/v1/tokenizers/estimate-token-count", 200,
                                                                 "application/json", "{\"data\":{\"total_tokens\":80}}"));
  moon_client_estimate_tokens_async (f->client, "kimi-k2-turbo-preview", messages, NULL, store_result_cb, &result);
  g_assert_cmpint (moon_client_estimate_tokens_finish (f->client, wait_result (&result), &error), ==, 80);
  g_assert_no_error (error);

  body = moon_test_server_get_last_body (f->server);
  g_assert_true (json_parser_load_from_data (sent, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL));
  object = json_node_get_object (json_parser_get_root (sent));
  g_assert_cmpuint (json_object_get_size (object), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (object, "model"), ==, "kimi-k2-turbo-preview");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "messages")), ==, 2);
  g_assert_cmpstr (moon_test_server_get_last_header (f->server, "Content-Type"), ==, "application/json");

  moon_test_server_push (f->server, moon_test_response_new_text ("/v1/tokenizers/estimate-token-count", 404,
    "application/json", "{\"error\":{\"message\":\"Not found the model nope or Permission denied\",\"type\":\"resource_not_found_error\"}}"));
  moon_client_estimate_tokens_async (f->client, "nope", messages, NULL, store_result_cb, &failed);
  g_assert_cmpint (moon_client_estimate_tokens_finish (f->client, wait_result (&failed), &error), ==, -1);
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_NOT_FOUND);
}

static void
test_balance (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GAsyncResult) ok = NULL;
  g_autoptr(GAsyncResult) bad = NULL;
  g_autoptr(GError) error = NULL;
  MoonBalance balance = { 0 };

  moon_test_server_push (f->server, moon_test_response_new_text ("/v1/users/me/balance", 200, "application/json",
    "{\"code\":0,\"data\":{\"available_balance\":49.58894,\"voucher_balance\":46.58893,\"cash_balance\":3.00001},"
    "\"scode\":\"0x0\",\"status\":true}"));
  moon_client_get_balance_async (f->client, NULL, store_result_cb, &ok);
  g_assert_true (moon_client_get_balance_finish (f->client, wait_result (&ok), &balance, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (balance.available_balance, 49.58894, 1e-9);
  g_assert_cmpfloat_with_epsilon (balance.voucher_balance, 46.58893, 1e-9);
  g_assert_cmpfloat_with_epsilon (balance.cash_balance, 3.00001, 1e-9);

  moon_test_server_push (f->server, moon_test_response_new_text ("/v1/users/me/balance", 200, "application/json",
    "{\"code\":5,\"message\":\"user not found\",\"scode\":\"0x5\",\"status\":false}"));
  moon_client_get_balance_async (f->client, NULL, store_result_cb, &bad);
  g_assert_false (moon_client_get_balance_finish (f->client, wait_result (&bad), &balance, &error));
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_SERVER);
  g_assert_cmpstr (moon_api_error_get_server_message (error), ==, "user not found");
}

static void
test_cancel_json_request (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MoonTestResponse *response = moon_test_response_new_text ("/v1/models", 200, "application/json", kimi_models);

  response->first_delay_ms = 30 * 1000;
  moon_test_server_push (f->server, response);
  moon_client_list_models_async (f->client, cancellable, store_result_cb, &result);
  g_cancellable_cancel (cancellable);
  g_assert_null (moon_client_list_models_finish (f->client, wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_model_table (void)
{
  static const struct {
    const char   *id;
    gboolean      known;
    MoonThinking  thinking;
    gboolean      vision;
    gint64        context;
    gboolean      temperature;
  } models[] = {
    { "kimi-k2.5", TRUE, MOON_THINKING_SWITCHABLE, TRUE, 262144, FALSE },
    { "kimi-k2.6", TRUE, MOON_THINKING_SWITCHABLE, TRUE, 262144, FALSE },
    { "kimi-k2.7-code-highspeed", TRUE, MOON_THINKING_ALWAYS, FALSE, 262144, FALSE },
    { "kimi-k3", TRUE, MOON_THINKING_ALWAYS, FALSE, 1048576, FALSE },
    { "kimi-k2-thinking", TRUE, MOON_THINKING_ALWAYS, FALSE, 262144, TRUE },
    { "kimi-k2-thinking-turbo", TRUE, MOON_THINKING_ALWAYS, FALSE, 262144, TRUE },
    { "kimi-k2-turbo-preview", TRUE, MOON_THINKING_NONE, FALSE, 262144, TRUE },
    { "kimi-k2-0711-preview", TRUE, MOON_THINKING_NONE, FALSE, 131072, TRUE },
    { "kimi-latest", TRUE, MOON_THINKING_NONE, TRUE, 131072, TRUE },
    { "moonshot-v1-8k", TRUE, MOON_THINKING_NONE, FALSE, 8192, TRUE },
    { "moonshot-v1-32k-vision-preview", TRUE, MOON_THINKING_NONE, TRUE, 32768, TRUE },
    { "moonshot-v1-128k", TRUE, MOON_THINKING_NONE, FALSE, 131072, TRUE },
    { "kimi-k2.50", FALSE, MOON_THINKING_NONE, FALSE, 0, FALSE },
    { "gpt-4", FALSE, MOON_THINKING_NONE, FALSE, 0, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (models); i++)
    {
      g_autoptr(MoonModelInfo) info = moon_model_info_lookup (models[i].id);

      g_test_message ("%s", models[i].id);
      g_assert_cmpint (moon_model_info_get_known (info), ==, models[i].known);
      g_assert_cmpint (moon_model_info_get_thinking (info), ==, models[i].thinking);
      g_assert_cmpint (moon_model_info_get_vision (info), ==, models[i].vision);
      g_assert_cmpint (moon_model_info_get_context_length (info), ==, models[i].context);
      g_assert_cmpint (moon_model_info_accepts_field (info, "temperature"), ==, models[i].temperature);
      g_assert_cmpint (moon_model_info_accepts_field (info, "top_p"), ==, models[i].temperature);
      g_assert_cmpint (moon_model_info_accepts_field (info, "thinking"), ==,
                       models[i].thinking == MOON_THINKING_SWITCHABLE);
      g_assert_false (moon_model_info_accepts_field (info, "n"));
      g_assert_true (moon_model_info_accepts_field (info, "max_tokens"));
      g_assert_true (moon_model_info_accepts_field (info, "messages"));
      g_assert_cmpint (moon_model_info_accepts_field (info, "stream_options"), ==, models[i].known);
      g_assert_cmpint (moon_model_info_accepts_field (info, "tools"), ==, models[i].known);
    }
}

static void
test_filter_request (void)
{
  const char *request =
    "{\"model\":\"m\",\"messages\":[],\"stream\":true,\"max_tokens\":100,\"temperature\":0.3,\"top_p\":0.9,"
    "\"n\":2,\"thinking\":{\"type\":\"disabled\"},\"stream_options\":{\"include_usage\":true},"
    "\"presence_penalty\":0,\"tools\":[],\"reasoning_effort\":\"low\"}";
  static const struct {
    const char *id;
    const char *members;
  } cases[] = {
    { "kimi-k2.5", "max_tokens messages model stream stream_options thinking tools" },
    { "kimi-k2-turbo-preview", "max_tokens messages model presence_penalty stream stream_options temperature tools top_p" },
    { "kimi-k3", "max_tokens messages model stream stream_options tools" },
    { "some-local-model", "max_tokens messages model stream" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(MoonModelInfo) info = moon_model_info_lookup (cases[i].id);
      g_autoptr(GList) members = NULL;
      g_autoptr(GPtrArray) names = g_ptr_array_new ();
      g_autofree char *joined = NULL;

      g_assert_true (json_parser_load_from_data (parser, request, -1, NULL));
      moon_model_info_filter_request (info, json_node_get_object (json_parser_get_root (parser)));

      members = json_object_get_members (json_node_get_object (json_parser_get_root (parser)));
      for (GList *l = members; l; l = l->next)
        g_ptr_array_add (names, l->data);
      g_ptr_array_sort_values (names, (GCompareFunc) g_strcmp0);
      g_ptr_array_add (names, NULL);
      joined = g_strjoinv (" ", (char **) names->pdata);
      g_assert_cmpstr (joined, ==, cases[i].members);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/api/client/base-url", test_base_url);
  g_test_add_func ("/api/client/clear-text-rule", test_clear_text_rule);
  g_test_add_func ("/api/client/model-table", test_model_table);
  g_test_add_func ("/api/client/filter-request", test_filter_request);
#define ADD(path, fn) g_test_add ("/api/client/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("list-models", test_list_models);
  ADD ("list-models-wire", test_list_models_wire);
  ADD ("list-models-errors", test_list_models_errors);
  ADD ("estimate-tokens", test_estimate_tokens);
  ADD ("balance", test_balance);
  ADD ("cancel-json-request", test_cancel_json_request);
#undef ADD

  return g_test_run ();
}
