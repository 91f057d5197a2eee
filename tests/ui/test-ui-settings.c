/* test-ui-settings.c — first run, preferences, conversation settings, search,
 * rename, and labels for every icon-only button, in the real window against
 * a fake Kimi on 127.0.0.1 and the real keyring.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "moon-conversation-settings.h"
#include "moon-conversation-store.h"
#include "moon-preferences-dialog.h"
#include "moon-secrets.h"
#include "moon-ui-test-util.h"

#define TEST_KEY "sk-moonchat-ui-test-settings"

typedef struct
{
  gboolean  done;
  char     *key;
} Lookup;

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Lookup *lookup = user_data;

  lookup->key = moon_secrets_lookup_finish (result, NULL);
  lookup->done = TRUE;
}

static char *
keyring_key (const char *base_url)
{
  Lookup lookup = { 0 };

  moon_secrets_lookup_async (base_url, NULL, lookup_cb, &lookup);
  moon_test_wait (lookup.done);

  return lookup.key;
}

static const char *
row_subtitle (GtkWidget  *root,
              const char *title)
{
  g_autoptr(GPtrArray) rows = moon_test_find_all (root, ADW_TYPE_ACTION_ROW);

  for (guint i = 0; i < rows->len; i++)
    {
      AdwPreferencesRow *row = g_ptr_array_index (rows, i);

      if (g_strcmp0 (adw_preferences_row_get_title (row), title) == 0)
        return adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
    }

  g_assert_not_reached ();
  return NULL;
}

static GtkWidget *
find_row (GtkWidget  *root,
          GType       type,
          const char *title)
{
  g_autoptr(GPtrArray) rows = moon_test_find_all (root, type);

  for (guint i = 0; i < rows->len; i++)
    {
      AdwPreferencesRow *row = g_ptr_array_index (rows, i);

      if (g_strcmp0 (adw_preferences_row_get_title (row), title) == 0)
        return GTK_WIDGET (row);
    }

  return NULL;
}

/* No key: the welcome page asks for one and stores it in the keyring;
 * Preferences tests it against /models, shows the balance, and the Enter
 * setting reaches the composer. */
static void
test_first_run_and_preferences (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  const char *base_url = moon_test_server_get_base_url (server);
  char *stored = NULL;
  MoonApplication *app;
  MoonWindow *window;
  MoonComposer *composer;
  GtkWidget *welcome_key;
  GtkWidget *banner;
  AdwDialog *dialog;
  GtkWidget *test_button;
  GtkWidget *balance_button;
  AdwComboRow *model_row;
  GtkWidget *return_sends;

  app = moon_test_app_start (base_url);
  window = moon_test_app_get_window (app);
  composer = moon_chat_view_get_composer (moon_window_get_chat_view (window));
  g_assert_false (moon_application_get_has_api_key (app));

  /* The welcome page, with a key field; the custom endpoint stays. */
  g_assert_nonnull (moon_test_find_label (GTK_WIDGET (window), _("Welcome to Moonchat")));
  welcome_key = moon_test_find_widget (GTK_WIDGET (window), ADW_TYPE_PASSWORD_ENTRY_ROW, NULL);
  g_assert_nonnull (welcome_key);
  g_assert_true (gtk_widget_get_mapped (welcome_key));
  moon_test_screenshot (GTK_WIDGET (window), "welcome");

  /* An empty key is refused with a word, not lost. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.save-welcome-key", NULL);
  g_assert_nonnull (moon_test_find_label (GTK_WIDGET (window), _("Paste your API key first")));

  gtk_editable_set_text (GTK_EDITABLE (welcome_key), TEST_KEY);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.save-welcome-key", NULL);
  moon_test_wait (moon_application_get_has_api_key (app));
  moon_test_wait (moon_window_get_conversation (window) != NULL);

  stored = keyring_key (base_url);
  g_assert_cmpstr (stored, ==, TEST_KEY);
  moon_secrets_free_key (stored);
  g_assert_true (moon_composer_get_can_send (composer));
  banner = moon_test_find_widget (GTK_WIDGET (window), ADW_TYPE_BANNER, NULL);
  g_assert_false (adw_banner_get_revealed (ADW_BANNER (banner)));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (welcome_key)), ==, "");

  /* Preferences */
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  dialog = adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window));
  g_assert_true (MOON_IS_PREFERENCES_DIALOG (dialog));
  moon_test_wait_frames (GTK_WIDGET (window), 2);
  g_assert_nonnull (strstr (row_subtitle (GTK_WIDGET (dialog), _("Status")), _("stored in the keyring")));

  test_button = moon_test_find_label (GTK_WIDGET (dialog), _("Test"));
  test_button = gtk_widget_get_ancestor (test_button, GTK_TYPE_BUTTON);
  g_signal_emit_by_name (test_button, "clicked");
  moon_test_wait (strstr (row_subtitle (GTK_WIDGET (dialog), _("Status")), "2") != NULL);
  g_assert_nonnull (strstr (row_subtitle (GTK_WIDGET (dialog), _("Status")), "The key works"));

  model_row = ADW_COMBO_ROW (find_row (GTK_WIDGET (dialog), ADW_TYPE_COMBO_ROW, _("Default _Model")));
  g_assert_nonnull (model_row);
  g_assert_cmpuint (g_list_model_get_n_items (adw_combo_row_get_model (model_row)), ==, 2);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (adw_combo_row_get_model (model_row)), 1), ==,
                   "kimi-k2-turbo-preview");

  balance_button = NULL;
  {
    g_autoptr(GPtrArray) buttons = moon_test_find_all (GTK_WIDGET (dialog), GTK_TYPE_BUTTON);

    for (guint i = 0; i < buttons->len && balance_button == NULL; i++)
      if (g_strcmp0 (gtk_widget_get_tooltip_text (g_ptr_array_index (buttons, i)), _("Check the Balance")) == 0)
        balance_button = g_ptr_array_index (buttons, i);
  }
  g_assert_nonnull (balance_button);
  g_signal_emit_by_name (balance_button, "clicked");
  moon_test_wait (strstr (row_subtitle (GTK_WIDGET (dialog), _("Account Balance")), "49.59") != NULL);
  moon_test_screenshot (GTK_WIDGET (window), "preferences");

  return_sends = find_row (GTK_WIDGET (dialog), ADW_TYPE_SWITCH_ROW, _("_Enter Sends"));
  g_assert_true (moon_composer_get_return_sends (composer));
  adw_switch_row_set_active (ADW_SWITCH_ROW (return_sends), FALSE);
  g_assert_false (moon_composer_get_return_sends (composer));
  adw_switch_row_set_active (ADW_SWITCH_ROW (return_sends), TRUE);

  adw_dialog_force_close (dialog);
  moon_test_app_quit (app);
}

static MoonConversation *
saved_conversation (const char *title,
                    const char *question,
                    const char *answer)
{
  MoonConversation *conversation = moon_conversation_new ();
  g_autoptr(MoonMessage) user = moon_message_new (MOON_MESSAGE_ROLE_USER, question);
  g_autoptr(MoonMessage) assistant = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, answer);
  g_autofree char *path = NULL;

  moon_message_set_state (user, MOON_MESSAGE_STATE_DONE);
  moon_message_set_state (assistant, MOON_MESSAGE_STATE_DONE);
  moon_conversation_append_message (conversation, user);
  moon_conversation_append_message (conversation, assistant);
  moon_conversation_set_title (conversation, title);
  path = moon_test_write_conversation (conversation);

  return conversation;
}

static GListModel *
sidebar_model (MoonWindow *window)
{
  GtkListView *list = GTK_LIST_VIEW (moon_test_find_widget (GTK_WIDGET (window), GTK_TYPE_LIST_VIEW,
                                                            "navigation-sidebar"));

  return G_LIST_MODEL (gtk_list_view_get_model (list));
}

/* Search finds words inside messages of conversations not opened yet;
 * rename goes through a dialog; the settings popover edits the open
 * conversation and offers only what its model accepts. */
static void
test_search_rename_settings (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(MoonConversation) trip = saved_conversation ("Trip plans", "Where should I walk in Hangzhou?",
                                                         "Around the West Lake, at dawn.");
  g_autoptr(MoonConversation) rust = saved_conversation ("Rust question", "What is a lifetime?",
                                                         "The scope a reference is valid for.");
  MoonConversationStore *store;
  MoonConversation *conversation;
  MoonApplication *app;
  MoonWindow *window;
  GtkWidget *search_entry;
  GtkWidget *search_bar;
  AdwDialog *dialog;
  GtkWidget *popover;
  GtkWidget *temperature;
  GtkWidget *thinking;
  GtkWidget *model_row;
  GtkTextView *prompt;

  moon_test_store_key (moon_test_server_get_base_url (server), TEST_KEY);
  app = moon_test_app_start (moon_test_server_get_base_url (server));
  window = moon_test_app_get_window (app);
  store = moon_application_get_store (app);
  moon_test_wait (moon_conversation_store_lookup (store, moon_conversation_get_id (rust)) != NULL);

  /* Search: message text, case-insensitive. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL);
  search_bar = moon_test_find_widget (GTK_WIDGET (window), GTK_TYPE_SEARCH_BAR, NULL);
  g_assert_true (gtk_search_bar_get_search_mode (GTK_SEARCH_BAR (search_bar)));
  search_entry = moon_test_find_widget (search_bar, GTK_TYPE_SEARCH_ENTRY, NULL);
  gtk_editable_set_text (GTK_EDITABLE (search_entry), "west lake");
  g_signal_emit_by_name (search_entry, "search-changed");
  moon_test_wait (g_list_model_get_n_items (sidebar_model (window)) == 1);
  {
    g_autoptr(MoonConversation) found = g_list_model_get_item (sidebar_model (window), 0);

    g_assert_cmpstr (moon_conversation_get_id (found), ==, moon_conversation_get_id (trip));
  }
  moon_test_screenshot (GTK_WIDGET (window), "search");

  gtk_editable_set_text (GTK_EDITABLE (search_entry), "no such words anywhere");
  g_signal_emit_by_name (search_entry, "search-changed");
  moon_test_wait (g_list_model_get_n_items (sidebar_model (window)) == 0);
  g_assert_true (gtk_widget_get_mapped (moon_test_find_label (GTK_WIDGET (window), _("No Results"))));

  gtk_search_bar_set_search_mode (GTK_SEARCH_BAR (search_bar), FALSE);
  moon_test_wait (g_list_model_get_n_items (sidebar_model (window)) ==
                  g_list_model_get_n_items (G_LIST_MODEL (store)));

  /* Rename (F2 acts on the open conversation). */
  conversation = moon_conversation_store_lookup (store, moon_conversation_get_id (rust));
  moon_window_open_conversation (window, conversation);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.rename-current", NULL);
  dialog = adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window));
  g_assert_true (ADW_IS_ALERT_DIALOG (dialog));
  {
    GtkWidget *entry = adw_alert_dialog_get_extra_child (ADW_ALERT_DIALOG (dialog));

    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "Rust question");
    gtk_editable_set_text (GTK_EDITABLE (entry), "Lifetimes in Rust");
    moon_test_screenshot (GTK_WIDGET (window), "rename");
    g_signal_emit_by_name (dialog, "response", "rename");
    adw_dialog_force_close (dialog);
  }
  g_assert_cmpstr (moon_conversation_get_title (conversation), ==, "Lifetimes in Rust");
  g_assert_true (moon_conversation_get_title_is_custom (conversation));

  /* Conversation settings */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.conversation-settings", NULL);
  popover = moon_test_find_widget (GTK_WIDGET (window), MOON_TYPE_CONVERSATION_SETTINGS, NULL);
  g_assert_nonnull (popover);
  moon_test_wait (gtk_widget_get_mapped (popover));
  g_assert_true (moon_conversation_settings_get_conversation (MOON_CONVERSATION_SETTINGS (popover)) == conversation);

  /* kimi-k2.5 thinks on request and takes no temperature. */
  model_row = find_row (popover, ADW_TYPE_COMBO_ROW, _("_Model"));
  temperature = find_row (popover, ADW_TYPE_EXPANDER_ROW, _("Custom _Temperature"));
  thinking = find_row (popover, ADW_TYPE_SWITCH_ROW, _("_Thinking"));
  moon_test_wait (g_list_model_get_n_items (adw_combo_row_get_model (ADW_COMBO_ROW (model_row))) == 2);
  g_assert_true (gtk_widget_get_visible (thinking));
  g_assert_false (gtk_widget_get_visible (temperature));
  g_test_message ("meter: %s", row_subtitle (popover, _("Next Request")));
  g_assert_nonnull (strstr (row_subtitle (popover, _("Next Request")), "2 messages"));
  moon_test_screenshot (popover, "conversation-settings");

  adw_combo_row_set_selected (ADW_COMBO_ROW (model_row), 1);
  g_assert_cmpstr (moon_conversation_get_model (conversation), ==, "kimi-k2-turbo-preview");
  g_assert_false (gtk_widget_get_visible (thinking));
  g_assert_true (gtk_widget_get_visible (temperature));

  adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (temperature), TRUE);
  g_assert_cmpfloat (moon_conversation_get_temperature (conversation), >=, 0);
  adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (temperature), FALSE);
  g_assert_cmpfloat (moon_conversation_get_temperature (conversation), <, 0);

  prompt = GTK_TEXT_VIEW (moon_test_find_widget (popover, GTK_TYPE_TEXT_VIEW, NULL));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (prompt), "Answer like a sailor.", -1);
  g_assert_cmpstr (moon_conversation_get_system_prompt (conversation), ==, "Answer like a sailor.");

  gtk_popover_popdown (GTK_POPOVER (popover));
  moon_test_app_quit (app);
}

/* Every button that shows only an icon has a name for screen readers. */
static void
test_accessible_names (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(MoonConversation) written = saved_conversation ("Labels", "Hi", "Hello");
  g_autoptr(GPtrArray) buttons = NULL;
  MoonApplication *app;
  MoonWindow *window;
  guint checked = 0;

  moon_test_store_key (moon_test_server_get_base_url (server), TEST_KEY);
  app = moon_test_app_start (moon_test_server_get_base_url (server));
  window = moon_test_app_get_window (app);
  moon_test_wait (moon_conversation_store_lookup (moon_application_get_store (app),
                                                  moon_conversation_get_id (written)) != NULL);
  moon_window_open_conversation (window, moon_conversation_store_lookup (moon_application_get_store (app),
                                                                         moon_conversation_get_id (written)));
  moon_test_wait_frames (GTK_WIDGET (window), 3);

  buttons = moon_test_find_all (GTK_WIDGET (window), GTK_TYPE_WIDGET);
  for (guint i = 0; i < buttons->len; i++)
    {
      GtkWidget *widget = g_ptr_array_index (buttons, i);
      GtkWidget *child;

      if (!GTK_IS_BUTTON (widget) && !GTK_IS_MENU_BUTTON (widget))
        continue;
      if (!gtk_widget_get_mapped (widget) || GTK_IS_MENU_BUTTON (gtk_widget_get_parent (widget)))
        continue;

      /* A button with words says what it does already. */
      child = GTK_IS_BUTTON (widget) ? gtk_button_get_child (GTK_BUTTON (widget)) : NULL;
      if (child != NULL && (GTK_IS_LABEL (child) || ADW_IS_BUTTON_CONTENT (child)))
        continue;
      if (GTK_IS_BUTTON (widget) && gtk_button_get_label (GTK_BUTTON (widget)) != NULL &&
          gtk_button_get_icon_name (GTK_BUTTON (widget)) == NULL)
        continue;
      if (GTK_IS_CHECK_BUTTON (widget))
        continue;

      if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL))
        g_error ("%s (%s, tooltip “%s”) has no accessible name",
                 G_OBJECT_TYPE_NAME (widget),
                 GTK_IS_BUTTON (widget) ? gtk_button_get_icon_name (GTK_BUTTON (widget)) : "",
                 gtk_widget_get_tooltip_text (widget));
      checked++;
    }

  g_test_message ("%u icon-only buttons checked", checked);
  g_assert_cmpuint (checked, >=, 8);

  moon_test_app_quit (app);
}

static gboolean
shows_text_containing (GtkWidget  *root,
                       const char *needle)
{
  g_autoptr(GPtrArray) labels = moon_test_find_all (root, GTK_TYPE_LABEL);

  for (guint i = 0; i < labels->len; i++)
    {
      if (strstr (gtk_label_get_text (g_ptr_array_index (labels, i)), needle) != NULL)
        return TRUE;
    }

  return FALSE;
}

/* Without a key, saved conversations still open and read; the composer
 * says why it cannot send and the banner leads to Preferences. A damaged
 * file in the history folder is set aside with a toast. */
static void
test_no_key_and_damaged_file (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(MoonConversation) written = saved_conversation ("Read without a key", "Q", "A");
  g_autoptr(GFile) dir = moon_conversation_store_get_default_directory ();
  g_autofree char *damaged = g_build_filename (g_file_peek_path (dir), "0badf11e-0000-4000-8000-000000000000.json", NULL);
  MoonApplication *app;
  MoonWindow *window;
  MoonComposer *composer;
  MoonChatView *chat_view;
  GtkWidget *banner;
  GtkWidget *example;
  g_autofree char *text = NULL;

  g_assert_true (g_file_set_contents (damaged, "{\"format\": \"moonchat-conversation\", \"messages\": [", -1, NULL));

  app = moon_test_app_start (moon_test_server_get_base_url (server));
  window = moon_test_app_get_window (app);
  chat_view = moon_window_get_chat_view (window);
  composer = moon_chat_view_get_composer (chat_view);
  g_assert_false (moon_application_get_has_api_key (app));

  /* Renamed aside, and the user is told. */
  moon_test_wait (!g_file_test (damaged, G_FILE_TEST_EXISTS));
  moon_test_wait (shows_text_containing (GTK_WIDGET (window), ".corrupt-"));

  moon_test_wait (moon_conversation_store_lookup (moon_application_get_store (app),
                                                  moon_conversation_get_id (written)) != NULL);
  moon_window_open_conversation (window, moon_conversation_store_lookup (moon_application_get_store (app),
                                                                         moon_conversation_get_id (written)));
  moon_test_wait_frames (GTK_WIDGET (window), 2);

  banner = moon_test_find_widget (GTK_WIDGET (window), ADW_TYPE_BANNER, NULL);
  g_assert_true (adw_banner_get_revealed (ADW_BANNER (banner)));
  g_assert_cmpstr (adw_banner_get_button_label (ADW_BANNER (banner)), ==, _("_Preferences"));
  g_assert_false (moon_composer_get_can_send (composer));
  g_assert_nonnull (moon_test_find_label (GTK_WIDGET (composer), _("Add an API key in Preferences to chat")));
  g_assert_nonnull (moon_test_find_label (GTK_WIDGET (window), "A"));
  moon_test_screenshot (GTK_WIDGET (window), "no-key");

  /* An empty conversation offers example prompts that fill the composer. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-conversation", NULL);
  moon_test_wait_frames (GTK_WIDGET (window), 2);
  example = moon_test_find_widget (GTK_WIDGET (chat_view), GTK_TYPE_BUTTON, "example-prompt");
  g_assert_nonnull (example);
  g_assert_true (gtk_widget_get_mapped (example));
  g_signal_emit_by_name (example, "clicked");
  text = moon_composer_dup_text (composer);
  g_assert_cmpstr (text, ==, gtk_label_get_text (GTK_LABEL (gtk_button_get_child (GTK_BUTTON (example)))));

  moon_test_app_quit (app);
}

/* Ctrl+? shows every shortcut (GtkShortcutsWindow from our resources). */
static void
test_shortcuts_window (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  GListModel *toplevels;
  GtkWindow *shortcuts = NULL;
  MoonApplication *app;
  MoonWindow *window;
  g_auto(GStrv) accels = NULL;

  app = moon_test_app_start (moon_test_server_get_base_url (server));
  window = moon_test_app_get_window (app);

  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay");
  g_assert_nonnull (accels);
  g_assert_nonnull (accels[0]);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
  toplevels = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (toplevels) && shortcuts == NULL; i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (GTK_IS_SHORTCUTS_WINDOW (toplevel))
        shortcuts = toplevel;
    }
  g_assert_nonnull (shortcuts);
  moon_test_wait (gtk_widget_get_mapped (GTK_WIDGET (shortcuts)));
  {
    g_autoptr(GPtrArray) items = moon_test_find_all (GTK_WIDGET (shortcuts), GTK_TYPE_SHORTCUTS_SHORTCUT);

    g_assert_cmpuint (items->len, >=, 15);
  }
  moon_test_screenshot (GTK_WIDGET (shortcuts), "shortcuts");
  gtk_window_close (shortcuts);

  moon_test_app_quit (app);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/settings/first-run-and-preferences", test_first_run_and_preferences);
  g_test_add_func ("/ui/settings/search-rename-settings", test_search_rename_settings);
  g_test_add_func ("/ui/settings/accessible-names", test_accessible_names);
  g_test_add_func ("/ui/settings/shortcuts-window", test_shortcuts_window);
  g_test_add_func ("/ui/settings/no-key-and-damaged-file", test_no_key_and_damaged_file);

  return g_test_run ();
}
