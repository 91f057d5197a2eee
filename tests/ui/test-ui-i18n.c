/* test-ui-i18n.c — the real window speaks Simplified Chinese when the user does.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "moon-application.h"
#include "moon-client.h"
#include "moon-ui-test-util.h"
#include "moon-window.h"

static void
collect_status_titles (GtkWidget *widget,
                       GPtrArray *titles)
{
  if (ADW_IS_STATUS_PAGE (widget) && gtk_widget_get_mapped (widget))
    g_ptr_array_add (titles, g_strdup (adw_status_page_get_title (ADW_STATUS_PAGE (widget))));

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_status_titles (child, titles);
}

/* A Chinese-speaking user with a key and no conversations yet: the China
 * platform is the default, and the window greets them in Chinese. */
static void
test_window_in_chinese (void)
{
  g_autoptr(GPtrArray) titles = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *base_url = NULL;
  MoonApplication *app;
  MoonWindow *window;

  moon_test_store_key (MOON_CLIENT_BASE_URL_CN, "sk-moonchat-i18n-test");

  app = moon_test_app_start (NULL);
  window = moon_test_app_get_window (app);

  base_url = moon_application_dup_base_url (app);
  g_assert_cmpstr (base_url, ==, MOON_CLIENT_BASE_URL_CN);
  g_assert_true (moon_application_get_has_api_key (app));

  moon_test_wait (g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (moon_test_find_widget (GTK_WIDGET (window), GTK_TYPE_STACK, NULL))), "loading") != 0);
  moon_test_wait_frames (GTK_WIDGET (window), 2);
  collect_status_titles (GTK_WIDGET (window), titles);

  /* The chat pane's welcome and the empty sidebar's placeholder. */
  g_assert_cmpuint (titles->len, ==, 2);
  g_assert_true (g_ptr_array_find_with_equal_func (titles, "开始对话", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (titles, "没有对话", g_str_equal, NULL));
  g_assert_cmpstr (_("_Quit"), ==, "退出(_Q)");

  moon_test_screenshot (GTK_WIDGET (window), "main-window-zh_CN-start");

  moon_test_app_quit (app);
}

static const char chinese_reply[] =
  "月球与地球的平均距离约为 **384,400 公里**。\n"
  "\n"
  "- 近地点：约 363,300 公里\n"
  "- 远地点：约 405,500 公里\n"
  "\n"
  "光从月球到地球大约需要 `1.28` 秒。";

/* A whole exchange in Chinese: the question, the thinking, the reply with
 * Markdown, as a Chinese-speaking user sees it. */
static void
test_chat_in_chinese (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(MoonMessage) reply = NULL;
  MoonTestReply *stream;
  MoonApplication *app;
  MoonWindow *window;
  MoonComposer *composer;
  MoonConversation *conversation;
  GtkWidget *row;

  stream = moon_test_reply_new_stream ("用户问月地距离，给出平均值和近地点、远地点。", chinese_reply, 8);
  moon_test_server_queue (server, stream);
  moon_test_store_key (moon_test_server_get_base_url (server), "sk-moonchat-i18n-chat");

  app = moon_test_app_start (moon_test_server_get_base_url (server));
  window = moon_test_app_get_window (app);
  composer = moon_chat_view_get_composer (moon_window_get_chat_view (window));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-conversation", NULL);
  conversation = moon_window_get_conversation (window);
  moon_composer_set_text (composer, "月亮离地球有多远？");
  gtk_widget_activate_action (GTK_WIDGET (composer), "composer.send", NULL);
  reply = g_list_model_get_item (G_LIST_MODEL (conversation), 1);
  moon_test_wait (moon_message_get_state (reply) == MOON_MESSAGE_STATE_DONE);
  moon_test_wait ((row = moon_test_find_message_row (window, reply)) != NULL);
  moon_test_wait_frames (row, 3);

  g_assert_cmpstr (moon_message_get_content (reply), ==, chinese_reply);
  g_assert_nonnull (moon_test_find_label (row, "近地点：约 363,300 公里"));
  /* The sidebar names the conversation after the question. */
  g_assert_cmpstr (moon_conversation_get_title (conversation), ==, "月亮离地球有多远？");

  moon_test_screenshot (GTK_WIDGET (window), "main-window-zh_CN");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  moon_test_screenshot (GTK_WIDGET (window), "main-window-zh_CN-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  moon_test_app_quit (app);
}

static void
test_desktop_file_in_chinese (void)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("MOONCHAT_BUILD_ROOT"), "data",
                                            APPLICATION_ID ".desktop", NULL);
  g_autofree char *comment = NULL;

  g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);

  comment = g_key_file_get_locale_string (key_file, "Desktop Entry", "Comment", "zh_CN", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (comment, ==, "与 Kimi 聊天，快速且私密");
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *localedir = g_build_filename (g_getenv ("MOONCHAT_BUILD_ROOT"), "po", NULL);

  /* As a Chinese-speaking user starts it: the locale, then our catalogue from the build. */
  g_setenv ("LC_ALL", "zh_CN.UTF-8", TRUE);
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  g_assert_nonnull (setlocale (LC_ALL, ""));
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/i18n/window-in-chinese", test_window_in_chinese);
  g_test_add_func ("/ui/i18n/chat-in-chinese", test_chat_in_chinese);
  g_test_add_func ("/ui/i18n/desktop-file-in-chinese", test_desktop_file_in_chinese);

  return g_test_run ();
}
