/* test-ui-keyboard.c — real key presses (XTEST through xdotool on the Xvfb
 * display) reach the real window: Enter sends, Shift+Enter starts a new
 * line, Escape stops, Ctrl+Enter sends when Enter does not, Ctrl+N, F2.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gdk/x11/gdkx.h>
#include <glib/gi18n.h>

#include "moon-ui-test-util.h"

#define TEST_KEY "sk-moonchat-ui-test-keyboard"

static void
xdotool (const char *first,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  va_list args;

  g_ptr_array_add (argv, (gpointer) "xdotool");
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("xdotool %s failed: %s", first, err);
}

static void
focus_window (MoonWindow *window)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  g_autofree char *xid = NULL;

  g_assert_true (GDK_IS_X11_SURFACE (surface));
  xid = g_strdup_printf ("%lu", (unsigned long) gdk_x11_surface_get_xid (surface));
  xdotool ("windowfocus", "--sync", xid, NULL);
  moon_test_wait (gtk_window_is_active (GTK_WINDOW (window)));
}

static void
record_response (AdwAlertDialog  *dialog,
                 const char      *response,
                 char           **out)
{
  g_free (*out);
  *out = g_strdup (response);
}

static void
test_keys (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(GSettings) settings = g_settings_new (BASE_ID);
  g_autoptr(MoonMessage) question = NULL;
  g_autoptr(MoonMessage) reply = NULL;
  g_autofree char *text = NULL;
  g_autofree char *response = NULL;
  MoonConversation *conversation;
  MoonConversation *second;
  MoonApplication *app;
  MoonWindow *window;
  MoonComposer *composer;
  MoonTestReply *stream;
  AdwDialog *dialog;

  stream = moon_test_reply_new_stream (NULL, "Held for a moment, then more.", 4);
  moon_test_reply_set_hold_after (stream, 3);
  moon_test_server_queue (server, stream);

  moon_test_store_key (moon_test_server_get_base_url (server), TEST_KEY);
  app = moon_test_app_start (moon_test_server_get_base_url (server));
  window = moon_test_app_get_window (app);
  composer = moon_chat_view_get_composer (moon_window_get_chat_view (window));

  focus_window (window);

  /* Ctrl+N: a new conversation, the cursor in the composer. */
  xdotool ("key", "--clearmodifiers", "ctrl+n", NULL);
  moon_test_wait (moon_window_get_conversation (window) != NULL);
  conversation = moon_window_get_conversation (window);
  moon_test_wait (gtk_widget_has_focus (GTK_WIDGET (moon_composer_get_text_view (composer))));

  /* Shift+Enter is a new line, Enter sends. */
  xdotool ("type", "--delay", "20", "Hello", NULL);
  xdotool ("key", "shift+Return", NULL);
  xdotool ("type", "--delay", "20", "Moon", NULL);
  moon_test_wait ((g_free (text), text = moon_composer_dup_text (composer), g_str_equal (text, "Hello\nMoon")));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 0);

  xdotool ("key", "Return", NULL);
  moon_test_wait (g_list_model_get_n_items (G_LIST_MODEL (conversation)) == 2);
  question = g_list_model_get_item (G_LIST_MODEL (conversation), 0);
  reply = g_list_model_get_item (G_LIST_MODEL (conversation), 1);
  g_assert_cmpstr (moon_message_get_content (question), ==, "Hello\nMoon");
  g_clear_pointer (&text, g_free);
  text = moon_composer_dup_text (composer);
  g_assert_cmpstr (text, ==, "");

  /* Escape stops the reply; what arrived stays. */
  moon_test_wait (moon_test_server_get_n_held (server) == 1 && moon_message_get_content_length (reply) > 0);
  xdotool ("key", "Escape", NULL);
  moon_test_wait (moon_message_get_state (reply) == MOON_MESSAGE_STATE_CANCELLED);
  g_assert_cmpuint (moon_message_get_content_length (reply), >, 0);
  moon_test_server_release (server);

  /* With "Enter sends" off, Enter is a new line and Ctrl+Enter sends. */
  g_settings_set_boolean (settings, "return-sends", FALSE);
  g_assert_false (moon_composer_get_return_sends (composer));
  xdotool ("type", "--delay", "20", "Two", NULL);
  xdotool ("key", "Return", NULL);
  xdotool ("type", "--delay", "20", "lines", NULL);
  moon_test_wait ((g_free (text), text = moon_composer_dup_text (composer), g_str_equal (text, "Two\nlines")));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 2);
  xdotool ("key", "ctrl+Return", NULL);
  moon_test_wait (g_list_model_get_n_items (G_LIST_MODEL (conversation)) == 4);
  g_settings_set_boolean (settings, "return-sends", TRUE);
  {
    g_autoptr(MoonMessage) last = g_list_model_get_item (G_LIST_MODEL (conversation), 3);

    moon_test_wait (moon_message_get_state (last) == MOON_MESSAGE_STATE_DONE);
  }

  /* F2 renames; Escape closes the dialog without renaming. */
  xdotool ("key", "F2", NULL);
  moon_test_wait ((dialog = adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window))) != NULL);
  g_assert_true (ADW_IS_ALERT_DIALOG (dialog));
  /* The title field has the focus, so typing replaces nothing by itself. */
  moon_test_wait (gtk_widget_has_focus (gtk_root_get_focus (GTK_ROOT (window))) &&
                  gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (window)), GTK_WIDGET (dialog)));
  g_signal_connect (dialog, "response", G_CALLBACK (record_response), &response);
  xdotool ("key", "Escape", NULL);
  moon_test_wait (adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window)) == NULL);
  g_assert_cmpstr (response, ==, "cancel");
  g_assert_false (moon_conversation_get_title_is_custom (conversation));

  /* Delete in the conversation list deletes the selected conversation (and
   * only there: in the composer it deletes text). */
  {
    MoonConversationStore *store = moon_application_get_store (app);
    GtkWidget *list = moon_test_find_widget (GTK_WIDGET (window), GTK_TYPE_LIST_VIEW, "navigation-sidebar");
    guint n = g_list_model_get_n_items (G_LIST_MODEL (store));

    xdotool ("type", "--delay", "20", "abc", NULL);
    xdotool ("key", "BackSpace", NULL);
    moon_test_wait ((g_free (text), text = moon_composer_dup_text (composer), g_str_equal (text, "ab")));
    xdotool ("key", "Left", "Delete", NULL);
    moon_test_wait ((g_free (text), text = moon_composer_dup_text (composer), g_str_equal (text, "a")));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, n);

    gtk_widget_grab_focus (list);
    moon_test_wait (gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (window)), list));
    xdotool ("key", "Delete", NULL);
    moon_test_wait (g_list_model_get_n_items (G_LIST_MODEL (store)) == n - 1);
    g_assert_null (moon_window_get_conversation (window));
    moon_test_wait (moon_test_find_label (GTK_WIDGET (window), _("Undo")) != NULL);
    moon_test_wait_frames (GTK_WIDGET (window), 3);
  }

  /* Ctrl+N again: the used conversation stays, a new one opens. */
  xdotool ("key", "ctrl+n", NULL);
  moon_test_wait (moon_window_get_conversation (window) != NULL);
  second = moon_window_get_conversation (window);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (second)), ==, 0);

  moon_test_app_quit (app);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/keyboard/keys", test_keys);

  return g_test_run ();
}
