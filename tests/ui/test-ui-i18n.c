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
  g_test_add_func ("/ui/i18n/desktop-file-in-chinese", test_desktop_file_in_chinese);

  return g_test_run ();
}
