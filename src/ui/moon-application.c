/* moon-application.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-application"

#include "config.h"

#include <glib/gi18n.h>

#include "moon-application.h"
#include "moon-preferences-dialog.h"
#include "moon-secrets.h"
#include "moon-window.h"

/* The application owns what every window shares: the conversation store,
 * the drafts, one MoonClient per base URL (with its key from the keyring),
 * and the controller that runs replies. When the last window goes, running
 * replies are stopped (their partial text kept), and the process stays
 * (g_application_hold) until the store and the drafts are on disk. */

struct _MoonApplication
{
  AdwApplication         parent_instance;

  GSettings             *settings;
  MoonConversationStore *store;
  MoonDrafts            *drafts;
  MoonChatController    *controller;
  GHashTable            *clients;       /* base URL → MoonClient */
  MoonClient            *client;        /* the current one */
  GCancellable          *key_cancellable;
  GError                *key_error;
  guint                  pending_saves;
  gulong                 running_handler;
  gboolean               api_key_checked;
  gboolean               shutting_down;
  gboolean               saved_for_exit;
};

G_DEFINE_FINAL_TYPE (MoonApplication, moon_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_HAS_API_KEY,
  PROP_API_KEY_CHECKED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

MoonApplication *
moon_application_new (const char        *application_id,
                      GApplicationFlags  flags)
{
  g_return_val_if_fail (application_id != NULL, NULL);

  return g_object_new (MOON_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", flags,
                       "resource-base-path", RESOURCE_PATH,
                       NULL);
}

static int
moon_application_handle_local_options (GApplication *app,
                                       GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("%s %s\n", "moonchat", PACKAGE_VERSION);
      return 0;
    }

  return -1;
}

static void
moon_application_activate (GApplication *app)
{
  GtkWindow *window;

  g_assert (MOON_IS_APPLICATION (app));

  window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (moon_window_new (MOON_APPLICATION (app)));

  gtk_window_present (window);
}

/* The key */

static void
set_key_error (MoonApplication *self,
               const GError    *error)
{
  g_clear_error (&self->key_error);
  if (error != NULL)
    self->key_error = g_error_copy (error);
}

static void
set_api_key_checked (MoonApplication *self,
                     gboolean         checked)
{
  if (self->api_key_checked == checked)
    return;

  self->api_key_checked = checked;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_API_KEY_CHECKED]);
}

typedef struct
{
  MoonApplication *self;
  MoonClient      *client;
} Lookup;

static void
lookup_key_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Lookup *lookup = user_data;
  g_autoptr(MoonApplication) self = lookup->self;
  g_autoptr(MoonClient) client = lookup->client;
  g_autoptr(GError) error = NULL;
  const char *env_key;
  char *key;

  g_free (lookup);

  key = moon_secrets_lookup_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* Not a programming error: a desktop without a Secret Service (or a sandbox
   * without the Secret portal) is a normal situation, and set_key_error() below
   * shows it to the user. So a message, not a warning. */
  if (error != NULL)
    g_message ("Could not read the API key from the keyring: %s", error->message);

  /* No keyring, or no key in it: a key in the environment serves this run. */
  env_key = g_getenv ("MOONSHOT_API_KEY");
  if (key == NULL && env_key != NULL && env_key[0] != '\0')
    key = g_strdup (env_key);

  moon_client_set_api_key (client, key);
  moon_secrets_free_key (key);
  set_key_error (self, error);

  if (client == self->client)
    {
      set_api_key_checked (self, TRUE);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_API_KEY]);
    }
}

static void
update_client (MoonApplication *self)
{
  g_autofree char *base_url = moon_application_dup_base_url (self);
  MoonClient *client;
  Lookup *lookup;

  client = g_hash_table_lookup (self->clients, base_url);
  if (client == NULL)
    {
      client = moon_client_new (base_url);
      g_hash_table_insert (self->clients, g_strdup (base_url), client);
    }

  if (client == self->client)
    return;

  g_set_object (&self->client, client);
  moon_chat_controller_set_client (self->controller, client);

  if (!moon_client_has_api_key (client))
    {
      g_cancellable_cancel (self->key_cancellable);
      g_clear_object (&self->key_cancellable);
      self->key_cancellable = g_cancellable_new ();

      lookup = g_new0 (Lookup, 1);
      lookup->self = g_object_ref (self);
      lookup->client = g_object_ref (client);
      set_api_key_checked (self, FALSE);
      moon_secrets_lookup_async (moon_client_get_base_url (client), self->key_cancellable,
                                 lookup_key_cb, lookup);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_API_KEY]);
}

static void
settings_changed_cb (MoonApplication *self,
                     const char      *key,
                     GSettings       *settings)
{
  if (g_str_equal (key, "base-url"))
    update_client (self);
  else if (g_str_equal (key, "default-model"))
    {
      g_autofree char *model = g_settings_get_string (settings, "default-model");

      moon_chat_controller_set_default_model (self->controller, model);
    }
}

/* Saving before the end */

static void
saved_one (MoonApplication *self)
{
  g_assert (self->pending_saves > 0);

  if (--self->pending_saves == 0)
    {
      self->saved_for_exit = TRUE;
      g_application_release (G_APPLICATION (self));
    }
}

static void
store_flushed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(MoonApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!moon_conversation_store_flush_finish (MOON_CONVERSATION_STORE (object), result, &error))
    g_warning ("Could not save every conversation before quitting: %s", error->message);

  saved_one (self);
}

static void
drafts_flushed_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(MoonApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!moon_drafts_flush_finish (MOON_DRAFTS (object), result, &error))
    g_warning ("Could not save the drafts before quitting: %s", error->message);

  saved_one (self);
}

static void
flush_everything (MoonApplication *self)
{
  g_clear_signal_handler (&self->running_handler, self->controller);

  self->pending_saves = 2;
  moon_conversation_store_flush_async (self->store, NULL, store_flushed_cb, g_object_ref (self));
  moon_drafts_flush_async (self->drafts, NULL, drafts_flushed_cb, g_object_ref (self));
}

static void
controller_running_cb (MoonApplication    *self,
                       GParamSpec         *pspec,
                       MoonChatController *controller)
{
  if (moon_chat_controller_get_n_running (controller) == 0)
    flush_everything (self);
}

static void
save_and_exit (MoonApplication *self)
{
  if (self->shutting_down)
    return;

  self->shutting_down = TRUE;

  /* Released when everything is on disk; then the process ends. */
  g_application_hold (G_APPLICATION (self));

  if (moon_chat_controller_get_n_running (self->controller) > 0)
    {
      /* Stopped replies end asynchronously with their partial text; save
       * once they all have. */
      self->running_handler = g_signal_connect_object (self->controller, "notify::n-running",
                                                       G_CALLBACK (controller_running_cb),
                                                       self, G_CONNECT_SWAPPED);
      moon_chat_controller_stop_all (self->controller);
      return;
    }

  flush_everything (self);
}

static void
moon_application_window_removed (GtkApplication *app,
                                 GtkWindow      *window)
{
  MoonApplication *self = MOON_APPLICATION (app);

  GTK_APPLICATION_CLASS (moon_application_parent_class)->window_removed (app, window);

  if (gtk_application_get_windows (app) == NULL)
    save_and_exit (self);
}

/* Actions */

static void
moon_application_about_action (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  static const char *developers[] = { "The Moonchat developers", NULL };
  MoonApplication *self = user_data;
  GtkWindow *window;
  AdwDialog *dialog;

  g_assert (MOON_IS_APPLICATION (self));

  window = gtk_application_get_active_window (GTK_APPLICATION (self));

  dialog = g_object_new (ADW_TYPE_ABOUT_DIALOG,
                         "application-name", _("Moonchat"),
                         "application-icon", APPLICATION_ID,
                         "developer-name", _("The Moonchat developers"),
                         "version", PACKAGE_VERSION,
                         "comments", _("A fast, faithful desktop client for Kimi"),
                         "website", "https://github.com/moonchat/moonchat",
                         "issue-url", "https://github.com/moonchat/moonchat/issues",
                         "developers", developers,
                         "copyright", "© 2026 The Moonchat developers",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         /* Translators: replace with your names, one per line */
                         "translator-credits", _("translator-credits"),
                         NULL);

  adw_dialog_present (dialog, window ? GTK_WIDGET (window) : NULL);
}

static void
moon_application_preferences_action (GSimpleAction *action,
                                     GVariant      *parameter,
                                     gpointer       user_data)
{
  moon_application_show_preferences (MOON_APPLICATION (user_data));
}

static void
moon_application_quit_action (GSimpleAction *action,
                              GVariant      *parameter,
                              gpointer       user_data)
{
  MoonApplication *self = user_data;
  GList *windows;

  g_assert (MOON_IS_APPLICATION (self));

  /* Closing the last window saves everything and then ends the process
   * (see moon_application_window_removed()). */
  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);

  if (gtk_application_get_windows (GTK_APPLICATION (self)) == NULL)
    save_and_exit (self);
}

static const GActionEntry app_actions[] = {
  { "about", moon_application_about_action },
  { "preferences", moon_application_preferences_action },
  { "quit", moon_application_quit_action },
};

static void
store_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(MoonApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!moon_conversation_store_load_finish (MOON_CONVERSATION_STORE (object), result, &error))
    g_warning ("Could not list the saved conversations: %s", error->message);
}

static void
drafts_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(MoonApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!moon_drafts_load_finish (MOON_DRAFTS (object), result, &error))
    g_warning ("Could not read the drafts: %s", error->message);
}

static void
moon_application_startup (GApplication *app)
{
  MoonApplication *self = MOON_APPLICATION (app);
  g_autofree char *model = NULL;

  G_APPLICATION_CLASS (moon_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self),
                                   app_actions,
                                   G_N_ELEMENTS (app_actions),
                                   self);

  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit",
                                         (const char *[]) { "<Control>q", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         (const char *[]) { "<Control>comma", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close",
                                         (const char *[]) { "<Control>w", NULL });

  self->settings = g_settings_new (BASE_ID);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (settings_changed_cb),
                           self, G_CONNECT_SWAPPED);

  self->store = moon_conversation_store_new (NULL);
  moon_conversation_store_load_async (self->store, NULL, store_loaded_cb, g_object_ref (self));

  self->controller = moon_chat_controller_new (self->store);
  model = g_settings_get_string (self->settings, "default-model");
  moon_chat_controller_set_default_model (self->controller, model);

  self->drafts = moon_drafts_new (NULL);
  moon_drafts_load_async (self->drafts, NULL, drafts_loaded_cb, g_object_ref (self));

  update_client (self);
}

static void
moon_application_shutdown (GApplication *app)
{
  MoonApplication *self = MOON_APPLICATION (app);

  g_cancellable_cancel (self->key_cancellable);

  /* Everything was saved before the last window went (save_and_exit()):
   * let go of the store, its file monitor and the clients now. */
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->controller);
  g_clear_object (&self->client);
  g_clear_pointer (&self->clients, g_hash_table_unref);
  g_clear_object (&self->store);
  g_clear_object (&self->drafts);

  G_APPLICATION_CLASS (moon_application_parent_class)->shutdown (app);
}

static void
moon_application_dispose (GObject *object)
{
  MoonApplication *self = MOON_APPLICATION (object);

  g_clear_object (&self->key_cancellable);
  g_clear_object (&self->controller);
  g_clear_object (&self->client);
  g_clear_pointer (&self->clients, g_hash_table_unref);
  g_clear_object (&self->store);
  g_clear_object (&self->drafts);
  g_clear_object (&self->settings);
  g_clear_error (&self->key_error);

  G_OBJECT_CLASS (moon_application_parent_class)->dispose (object);
}

static void
moon_application_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  MoonApplication *self = MOON_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;

    case PROP_HAS_API_KEY:
      g_value_set_boolean (value, moon_application_get_has_api_key (self));
      break;

    case PROP_API_KEY_CHECKED:
      g_value_set_boolean (value, self->api_key_checked);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_application_class_init (MoonApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);
  GtkApplicationClass *gtk_app_class = GTK_APPLICATION_CLASS (klass);

  object_class->dispose = moon_application_dispose;
  object_class->get_property = moon_application_get_property;

  app_class->activate = moon_application_activate;
  app_class->startup = moon_application_startup;
  app_class->shutdown = moon_application_shutdown;
  app_class->handle_local_options = moon_application_handle_local_options;

  gtk_app_class->window_removed = moon_application_window_removed;

  /**
   * MoonApplication:client:
   *
   * The client for the configured base URL.
   */
  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, MOON_TYPE_CLIENT,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonApplication:has-api-key:
   *
   * Whether the current client has a key.
   */
  properties[PROP_HAS_API_KEY] =
    g_param_spec_boolean ("has-api-key", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonApplication:api-key-checked:
   *
   * Whether the keyring has answered for the current base URL, so that
   * #MoonApplication:has-api-key means what it says.
   */
  properties[PROP_API_KEY_CHECKED] =
    g_param_spec_boolean ("api-key-checked", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
moon_application_init (MoonApplication *self)
{
  static const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { NULL }
  };

  self->clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("A desktop client for the Kimi chat API."));
}

/**
 * moon_application_get_settings:
 * @self: a #MoonApplication
 *
 * Returns: (transfer none): the app's settings
 */
GSettings *
moon_application_get_settings (MoonApplication *self)
{
  g_return_val_if_fail (MOON_IS_APPLICATION (self), NULL);

  return self->settings;
}

/**
 * moon_application_get_store:
 * @self: a #MoonApplication
 *
 * Returns: (transfer none): the saved conversations
 */
MoonConversationStore *
moon_application_get_store (MoonApplication *self)
{
  g_return_val_if_fail (MOON_IS_APPLICATION (self), NULL);

  return self->store;
}

/**
 * moon_application_get_drafts:
 * @self: a #MoonApplication
 *
 * Returns: (transfer none): the unsent drafts
 */
MoonDrafts *
moon_application_get_drafts (MoonApplication *self)
{
  g_return_val_if_fail (MOON_IS_APPLICATION (self), NULL);

  return self->drafts;
}

/**
 * moon_application_get_controller:
 * @self: a #MoonApplication
 *
 * Returns: (transfer none): what runs replies
 */
MoonChatController *
moon_application_get_controller (MoonApplication *self)
{
  g_return_val_if_fail (MOON_IS_APPLICATION (self), NULL);

  return self->controller;
}

/**
 * moon_application_get_client:
 * @self: a #MoonApplication
 *
 * Returns: (transfer none) (nullable): the client for the configured base
 *   URL (%NULL before start-up)
 */
MoonClient *
moon_application_get_client (MoonApplication *self)
{
  g_return_val_if_fail (MOON_IS_APPLICATION (self), NULL);

  return self->client;
}

/**
 * moon_application_dup_base_url:
 * @self: a #MoonApplication
 *
 * Returns: (transfer full): the configured base URL, or the default for the
 *   user's language
 */
char *
moon_application_dup_base_url (MoonApplication *self)
{
  g_autofree char *setting = NULL;
  char *normalized;

  g_return_val_if_fail (MOON_IS_APPLICATION (self), NULL);

  if (self->settings != NULL)
    setting = g_settings_get_string (self->settings, "base-url");

  normalized = moon_normalize_base_url (setting);
  if (normalized == NULL)
    normalized = g_strdup (moon_client_get_default_base_url ());

  return normalized;
}

gboolean
moon_application_get_has_api_key (MoonApplication *self)
{
  g_return_val_if_fail (MOON_IS_APPLICATION (self), FALSE);

  return self->client != NULL && moon_client_has_api_key (self->client);
}

gboolean
moon_application_get_api_key_checked (MoonApplication *self)
{
  g_return_val_if_fail (MOON_IS_APPLICATION (self), FALSE);

  return self->api_key_checked;
}

/**
 * moon_application_get_api_key_error:
 * @self: a #MoonApplication
 *
 * Returns: (nullable): why the keyring could not be read, if it could not
 */
const GError *
moon_application_get_api_key_error (MoonApplication *self)
{
  g_return_val_if_fail (MOON_IS_APPLICATION (self), NULL);

  return self->key_error;
}

typedef struct
{
  MoonClient *client;
  char       *key;
} SetKey;

static void
set_key_free (SetKey *data)
{
  g_clear_object (&data->client);
  moon_secrets_free_key (data->key);
  g_free (data);
}

static void
set_key_done (GTask  *task,
              GError *error)
{
  MoonApplication *self = g_task_get_source_object (task);
  SetKey *data = g_task_get_task_data (task);

  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  moon_client_set_api_key (data->client, data->key);
  set_key_error (self, NULL);
  if (data->client == self->client)
    {
      set_api_key_checked (self, TRUE);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_API_KEY]);
    }

  g_task_return_boolean (task, TRUE);
}

static void
store_key_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  moon_secrets_store_finish (result, &error);
  set_key_done (task, error);
}

static void
clear_key_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  moon_secrets_clear_finish (result, &error);
  set_key_done (task, error);
}

/**
 * moon_application_set_api_key_async:
 * @self: a #MoonApplication
 * @api_key: (nullable): the key for the current base URL; %NULL or empty
 *   removes it
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the keyring has it
 * @user_data: data for @callback
 *
 * Stores the key in the keyring and, once it is there, uses it.
 */
void
moon_application_set_api_key_async (MoonApplication     *self,
                                    const char          *api_key,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SetKey *data;

  g_return_if_fail (MOON_IS_APPLICATION (self));
  g_return_if_fail (self->client != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_application_set_api_key_async);

  data = g_new0 (SetKey, 1);
  data->client = g_object_ref (self->client);
  if (api_key != NULL)
    {
      data->key = g_strstrip (g_strdup (api_key));
      if (data->key[0] == '\0')
        g_clear_pointer (&data->key, moon_secrets_free_key);
    }
  g_task_set_task_data (task, data, (GDestroyNotify) set_key_free);

  if (data->key != NULL)
    moon_secrets_store_async (moon_client_get_base_url (data->client), data->key,
                              cancellable, store_key_cb, g_steal_pointer (&task));
  else
    moon_secrets_clear_async (moon_client_get_base_url (data->client),
                              cancellable, clear_key_cb, g_steal_pointer (&task));
}

/**
 * moon_application_set_api_key_finish:
 * @self: a #MoonApplication
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Returns: %TRUE if the key is stored (or removed) and in use
 */
gboolean
moon_application_set_api_key_finish (MoonApplication  *self,
                                     GAsyncResult     *result,
                                     GError          **error)
{
  g_return_val_if_fail (MOON_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * moon_application_show_preferences:
 * @self: a #MoonApplication
 *
 * Opens the preferences over the active window.
 */
void
moon_application_show_preferences (MoonApplication *self)
{
  GtkWindow *window;
  AdwDialog *dialog;

  g_return_if_fail (MOON_IS_APPLICATION (self));

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  dialog = moon_preferences_dialog_new (self);
  adw_dialog_present (dialog, window ? GTK_WIDGET (window) : NULL);
}

/**
 * moon_application_get_saved_for_exit:
 * @self: a #MoonApplication
 *
 * Returns: whether the last window has gone and everything it had is on
 *   disk, so the process may end
 */
gboolean
moon_application_get_saved_for_exit (MoonApplication *self)
{
  g_return_val_if_fail (MOON_IS_APPLICATION (self), FALSE);

  return self->saved_for_exit;
}
