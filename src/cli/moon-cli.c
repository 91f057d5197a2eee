/* moon-cli.c — moonchat-cli: send one prompt, stream the reply to stdout
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moonchat-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "moon-api-error.h"
#include "moon-client.h"
#include "moon-completion.h"
#include "moon-model-info.h"
#include "moon-secrets.h"

/* Exit statuses, one per class of failure, so scripts can react. */
enum {
  EXIT_OK = 0,
  EXIT_OTHER = 1,
  EXIT_USAGE = 2,
  EXIT_NO_KEY = 3,
  EXIT_AUTH = 4,
  EXIT_QUOTA = 5,
  EXIT_RATE_LIMIT = 6,
  EXIT_REJECTED = 7,
  EXIT_SERVER = 8,
  EXIT_NETWORK = 9,
  EXIT_INCOMPLETE = 10,
  EXIT_CANCELLED = 130,
};

typedef struct
{
  GMainLoop      *loop;
  GCancellable   *cancellable;
  MoonClient     *client;
  MoonCompletion *completion;
  char           *base_url;
  char           *api_key;
  gboolean        show_reasoning;
  gboolean        verbose;
  gboolean        in_reasoning;
  gboolean        wrote_content;
  gboolean        content_ends_with_newline;
  int             exit_status;
} Cli;

static char *opt_base_url;
static char *opt_model;
static char *opt_system;
static char *opt_prefix;
static int opt_max_tokens = -1;
static int opt_idle_timeout = -1;
static int opt_retries = -1;
static gboolean opt_no_thinking;
static gboolean opt_reasoning;
static gboolean opt_verbose;
static gboolean opt_version;
static gboolean opt_list_models;

static const GOptionEntry entries[] = {
  { "base-url", 'u', 0, G_OPTION_ARG_STRING, &opt_base_url,
    N_("API address (default: https://api.moonshot.cn/v1 for Chinese, https://api.moonshot.ai/v1 otherwise)"), N_("URL") },
  { "model", 'm', 0, G_OPTION_ARG_STRING, &opt_model, N_("Model to ask (default: kimi-k2.5)"), N_("MODEL") },
  { "system", 's', 0, G_OPTION_ARG_STRING, &opt_system, N_("System prompt"), N_("TEXT") },
  { "prefix", 'p', 0, G_OPTION_ARG_STRING, &opt_prefix,
    N_("Start of the reply; the model continues from it (Partial Mode)"), N_("TEXT") },
  { "max-tokens", 't', 0, G_OPTION_ARG_INT, &opt_max_tokens, N_("Most tokens the reply may use"), N_("N") },
  { "no-thinking", 0, 0, G_OPTION_ARG_NONE, &opt_no_thinking, N_("Turn thinking off (models where it is a switch)"), NULL },
  { "reasoning", 'r', 0, G_OPTION_ARG_NONE, &opt_reasoning, N_("Print the model’s reasoning to standard error"), NULL },
  { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &opt_idle_timeout,
    N_("Give up after this many seconds without data (default: 300)"), N_("SECONDS") },
  { "retries", 0, 0, G_OPTION_ARG_INT, &opt_retries,
    N_("Retry a rate-limited, overloaded or failed request this often (default: 4)"), N_("N") },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
    N_("Print the model, token usage and request ID to standard error"), NULL },
  { "list-models", 0, 0, G_OPTION_ARG_NONE, &opt_list_models,
    N_("List the models the API offers (also a way to check a key) and exit"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, N_("Show the version"), NULL },
  { NULL }
};

static void
print_error (const char   *message,
             const GError *error)
{
  const char *request_id = error ? moon_api_error_get_request_id (error) : NULL;

  if (error != NULL)
    g_printerr ("moonchat-cli: %s\n", error->message);
  else
    g_printerr ("moonchat-cli: %s\n", message);

  if (request_id != NULL)
    /* Translators: shown after an error; %s is the ID users give to Moonshot support */
    g_printerr (_("moonchat-cli: request ID %s\n"), request_id);
}

static int
exit_status_for (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return EXIT_CANCELLED;

  if (error->domain == MOON_SECRETS_ERROR)
    return EXIT_NO_KEY;

  if (error->domain != MOON_API_ERROR)
    return EXIT_OTHER;

  switch ((MoonApiError) error->code)
    {
    case MOON_API_ERROR_AUTH:
    case MOON_API_ERROR_PERMISSION:
    case MOON_API_ERROR_INSECURE:
      return EXIT_AUTH;
    case MOON_API_ERROR_QUOTA:
      return EXIT_QUOTA;
    case MOON_API_ERROR_RATE_LIMIT:
    case MOON_API_ERROR_OVERLOADED:
      return EXIT_RATE_LIMIT;
    case MOON_API_ERROR_NOT_FOUND:
    case MOON_API_ERROR_CONTEXT_TOO_LONG:
    case MOON_API_ERROR_CONTENT_FILTER:
    case MOON_API_ERROR_INVALID_REQUEST:
      return EXIT_REJECTED;
    case MOON_API_ERROR_SERVER:
      return EXIT_SERVER;
    case MOON_API_ERROR_NETWORK:
    case MOON_API_ERROR_TIMEOUT:
    case MOON_API_ERROR_TLS:
      return EXIT_NETWORK;
    case MOON_API_ERROR_INCOMPLETE:
    case MOON_API_ERROR_PROTOCOL:
      return EXIT_INCOMPLETE;
    default:
      return EXIT_OTHER;
    }
}

static void
end_reasoning (Cli *cli)
{
  if (cli->in_reasoning)
    {
      fputc ('\n', stderr);
      fflush (stderr);
      cli->in_reasoning = FALSE;
    }
}

static void
write_content (Cli        *cli,
               const char *text)
{
  gsize len = strlen (text);

  if (len == 0)
    return;

  fwrite (text, 1, len, stdout);
  fflush (stdout);
  cli->wrote_content = TRUE;
  cli->content_ends_with_newline = text[len - 1] == '\n';
}

static void
reasoning_delta_cb (MoonCompletion *completion,
                    const char     *text,
                    Cli            *cli)
{
  if (!cli->show_reasoning)
    return;

  cli->in_reasoning = TRUE;
  fputs (text, stderr);
  fflush (stderr);
}

static void
content_delta_cb (MoonCompletion *completion,
                  const char     *text,
                  Cli            *cli)
{
  end_reasoning (cli);
  write_content (cli, text);
}

static void
retrying_cb (MoonCompletion *completion,
             guint           attempt,
             guint           delay_ms,
             GError         *error,
             Cli            *cli)
{
  /* Translators: %s is the error, %.1f the seconds until the next attempt */
  g_printerr (_("moonchat-cli: %s — trying again in %.1f s\n"), error->message, delay_ms / 1000.0);
}

static void
print_summary (Cli *cli)
{
  const MoonUsage *usage = moon_completion_get_usage (cli->completion);
  GPtrArray *calls = moon_completion_get_tool_calls (cli->completion);
  const char *finish_reason = moon_completion_get_finish_reason (cli->completion);

  for (guint i = 0; i < calls->len; i++)
    {
      MoonToolCall *call = g_ptr_array_index (calls, i);

      /* Translators: %s is a function name, the next %s its JSON arguments */
      g_printerr (_("Tool call: %s %s\n"), call->name ? call->name : "?", call->arguments->str);
    }

  if (g_strcmp0 (finish_reason, "length") == 0)
    g_printerr ("moonchat-cli: %s\n", _("The reply was cut short by the token limit."));
  else if (g_strcmp0 (finish_reason, "content_filter") == 0)
    g_printerr ("moonchat-cli: %s\n", _("The reply was stopped by the content filter."));

  if (!cli->verbose)
    return;

  if (moon_completion_get_model (cli->completion) != NULL)
    g_printerr (_("Model: %s\n"), moon_completion_get_model (cli->completion));
  if (finish_reason != NULL)
    g_printerr (_("Finish reason: %s\n"), finish_reason);
  if (usage != NULL)
    {
      g_autofree char *prompt = g_strdup_printf ("%" G_GINT64_FORMAT, usage->prompt_tokens);
      g_autofree char *cached = g_strdup_printf ("%" G_GINT64_FORMAT, usage->cached_tokens);
      g_autofree char *completion = g_strdup_printf ("%" G_GINT64_FORMAT, usage->completion_tokens);
      g_autofree char *reasoning = g_strdup_printf ("%" G_GINT64_FORMAT, usage->reasoning_tokens);
      g_autofree char *total = g_strdup_printf ("%" G_GINT64_FORMAT, usage->total_tokens);

      /* Translators: token counts of one reply */
      g_printerr (_("Tokens: %s prompt (%s cached), %s completion (%s reasoning), %s total\n"),
                  prompt, cached, completion, reasoning, total);
    }
  if (moon_completion_get_request_id (cli->completion) != NULL)
    g_printerr (_("Request ID: %s\n"), moon_completion_get_request_id (cli->completion));
}

static void
completion_done_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;

  moon_completion_run_finish (MOON_COMPLETION (object), result, &error);

  end_reasoning (cli);
  if (cli->wrote_content && !cli->content_ends_with_newline)
    write_content (cli, "\n");

  print_summary (cli);

  if (error != NULL)
    {
      print_error (NULL, error);
      cli->exit_status = exit_status_for (error);
    }

  g_main_loop_quit (cli->loop);
}

static JsonNode *
build_body (MoonModelInfo *info,
            const char    *prompt)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  JsonNode *root;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, moon_model_info_get_id (info));

  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  if (opt_system != NULL)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, "system");
      json_builder_set_member_name (builder, "content");
      json_builder_add_string_value (builder, opt_system);
      json_builder_end_object (builder);
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, "user");
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, prompt);
  json_builder_end_object (builder);
  if (opt_prefix != NULL)
    {
      /* Partial Mode (kimi-api.md §5): the reply continues this text. */
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, "assistant");
      json_builder_set_member_name (builder, "content");
      json_builder_add_string_value (builder, opt_prefix);
      json_builder_set_member_name (builder, "partial");
      json_builder_add_boolean_value (builder, TRUE);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "stream");
  json_builder_add_boolean_value (builder, TRUE);

  /* Moonshot reports usage in the last choice anyway; include_usage adds
   * the OpenAI-style chunk. Dropped for unknown models by the filter. */
  json_builder_set_member_name (builder, "stream_options");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "include_usage");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);

  if (opt_max_tokens > 0)
    {
      json_builder_set_member_name (builder, "max_tokens");
      json_builder_add_int_value (builder, opt_max_tokens);
    }

  if (opt_no_thinking)
    {
      json_builder_set_member_name (builder, "thinking");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "disabled");
      json_builder_end_object (builder);
    }

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  /* Only what this model accepts (kimi-k2.5 rejects sampling fields, unknown
   * models get the conservative subset). */
  moon_model_info_filter_request (info, json_node_get_object (root));

  return root;
}

static void
start_completion (Cli        *cli,
                  const char *prompt)
{
  g_autoptr(MoonModelInfo) info = moon_model_info_lookup (opt_model ? opt_model : "kimi-k2.5");
  g_autoptr(JsonNode) body = NULL;

  if (opt_no_thinking && moon_model_info_get_thinking (info) != MOON_THINKING_SWITCHABLE)
    /* Translators: %s is a model id */
    g_printerr (_("moonchat-cli: thinking cannot be switched off for %s; ignoring --no-thinking\n"),
                moon_model_info_get_id (info));

  body = build_body (info, prompt);

  moon_client_set_api_key (cli->client, cli->api_key);
  cli->completion = moon_client_new_completion (cli->client, body);
  if (opt_idle_timeout >= 0)
    moon_completion_set_idle_timeout (cli->completion, opt_idle_timeout);
  if (opt_retries >= 0)
    moon_completion_set_max_retries (cli->completion, opt_retries);

  g_signal_connect (cli->completion, "content-delta", G_CALLBACK (content_delta_cb), cli);
  g_signal_connect (cli->completion, "reasoning-delta", G_CALLBACK (reasoning_delta_cb), cli);
  g_signal_connect (cli->completion, "retrying", G_CALLBACK (retrying_cb), cli);

  if (opt_prefix != NULL)
    write_content (cli, opt_prefix);

  if (cli->verbose)
    g_printerr (_("Asking %s at %s\n"), moon_model_info_get_id (info), moon_client_get_base_url (cli->client));

  moon_completion_run_async (cli->completion, cli->cancellable, completion_done_cb, cli);
}

static void
list_models_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GListModel) models = NULL;
  g_autoptr(GError) error = NULL;

  models = moon_client_list_models_finish (MOON_CLIENT (object), result, &error);
  if (models == NULL)
    {
      print_error (NULL, error);
      cli->exit_status = exit_status_for (error);
      g_main_loop_quit (cli->loop);
      return;
    }

  for (guint i = 0; i < g_list_model_get_n_items (models); i++)
    {
      g_autoptr(MoonModelInfo) info = g_list_model_get_item (models, i);
      gint64 context = moon_model_info_get_context_length (info);

      if (context > 0)
        g_print ("%s\t%" G_GINT64_FORMAT "\n", moon_model_info_get_id (info), context);
      else
        g_print ("%s\t-\n", moon_model_info_get_id (info));
    }

  g_main_loop_quit (cli->loop);
}

/* With the key known: ask the question, or list the models. */
static void
start (Cli        *cli,
       const char *prompt)
{
  if (opt_list_models)
    {
      moon_client_set_api_key (cli->client, cli->api_key);
      moon_client_list_models_async (cli->client, cli->cancellable, list_models_cb, cli);
      return;
    }

  start_completion (cli, prompt);
}

typedef struct
{
  Cli  *cli;
  char *prompt;
} LookupData;

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  LookupData *data = user_data;
  Cli *cli = data->cli;
  g_autoptr(GError) error = NULL;
  char *key;

  key = moon_secrets_lookup_finish (result, &error);
  if (error != NULL)
    {
      print_error (NULL, error);
      cli->exit_status = exit_status_for (error);
      g_main_loop_quit (cli->loop);
    }
  else if (key == NULL)
    {
      g_autofree char *message =
        /* Translators: %s is the API address */
        g_strdup_printf (_("No API key is stored for %s. Set MOONSHOT_API_KEY, or save a key in Moonchat’s preferences."),
                         cli->base_url);

      print_error (message, NULL);
      cli->exit_status = EXIT_NO_KEY;
      g_main_loop_quit (cli->loop);
    }
  else
    {
      cli->api_key = g_strdup (key);
      moon_secrets_free_key (key);
      start (cli, data->prompt);
    }

  g_free (data->prompt);
  g_free (data);
}

static gboolean
sigint_cb (gpointer user_data)
{
  Cli *cli = user_data;

  g_cancellable_cancel (cli->cancellable);
  return G_SOURCE_CONTINUE;
}

static char *
read_stdin (void)
{
  GString *text = g_string_new (NULL);
  char buffer[4096];
  size_t n;

  while ((n = fread (buffer, 1, sizeof buffer, stdin)) > 0)
    g_string_append_len (text, buffer, n);

  return g_string_free (text, FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prompt = NULL;
  const char *env_key;
  Cli cli = { 0 };

  /* Standard output is the reply: log messages (G_MESSAGES_DEBUG) go to
   * standard error. */
  g_log_writer_default_set_use_stderr (TRUE);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("PROMPT — ask Kimi one question"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Streams the reply to standard output. PROMPT “-” reads the prompt from standard input.\n"
      "The API key comes from MOONSHOT_API_KEY, or else from the keyring entry Moonchat stored "
      "for the API address."));
  g_option_context_set_description (context,
    _("Exit status: 0 success, 1 other error, 2 bad usage, 3 no API key or no keyring, "
      "4 key rejected or not allowed, 5 balance or quota exhausted, 6 rate limited or overloaded, "
      "7 request rejected (model, length, content filter), 8 server error, 9 network error or timeout, "
      "10 reply incomplete (what arrived was printed), 130 interrupted."));

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("moonchat-cli: %s\n", error->message);
      return EXIT_USAGE;
    }

  if (opt_version)
    {
      g_print ("moonchat-cli %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }

  if (argc < 2 && !opt_list_models)
    {
      g_printerr ("moonchat-cli: %s\n", _("No prompt given. Try “moonchat-cli --help”."));
      return EXIT_USAGE;
    }

  if (opt_list_models)
    prompt = g_strdup ("");
  else if (argc == 2 && strcmp (argv[1], "-") == 0)
    prompt = read_stdin ();
  else
    prompt = g_strjoinv (" ", argv + 1);

  if (!opt_list_models && (!g_utf8_validate (prompt, -1, NULL) || g_strstrip (prompt)[0] == '\0'))
    {
      g_printerr ("moonchat-cli: %s\n", _("The prompt is empty or not valid UTF-8."));
      return EXIT_USAGE;
    }

  cli.loop = g_main_loop_new (NULL, FALSE);
  cli.cancellable = g_cancellable_new ();
  cli.client = moon_client_new (opt_base_url);
  cli.base_url = g_strdup (moon_client_get_base_url (cli.client));
  cli.show_reasoning = opt_reasoning;
  cli.verbose = opt_verbose;
  g_unix_signal_add (SIGINT, sigint_cb, &cli);
  g_unix_signal_add (SIGTERM, sigint_cb, &cli);

  env_key = g_getenv ("MOONSHOT_API_KEY");
  if (env_key != NULL && env_key[0] != '\0')
    {
      cli.api_key = g_strdup (env_key);
      start (&cli, prompt);
    }
  else
    {
      LookupData *data = g_new0 (LookupData, 1);

      data->cli = &cli;
      data->prompt = g_strdup (prompt);
      moon_secrets_lookup_async (cli.base_url, cli.cancellable, lookup_cb, data);
    }

  g_main_loop_run (cli.loop);

  if (cli.api_key != NULL)
    memset (cli.api_key, 0, strlen (cli.api_key));
  g_free (cli.api_key);
  g_free (cli.base_url);
  g_clear_object (&cli.completion);
  g_clear_object (&cli.client);
  g_clear_object (&cli.cancellable);
  g_main_loop_unref (cli.loop);

  return cli.exit_status;
}
