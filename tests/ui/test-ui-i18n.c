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

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       data)
{
  GPtrArray *titles = data;

  collect_status_titles (widget, titles);
  if (titles->len == 0)
    return G_SOURCE_CONTINUE;

  gtk_window_close (GTK_WINDOW (widget));
  return G_SOURCE_REMOVE;
}

static void
window_added_cb (GtkApplication *app,
                 GtkWindow      *window,
                 gpointer        data)
{
  gtk_widget_add_tick_callback (GTK_WIDGET (window), tick_cb, data, NULL);
}

static void
test_window_in_chinese (void)
{
  g_autoptr(MoonApplication) app = moon_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  g_autoptr(GPtrArray) titles = g_ptr_array_new_with_free_func (g_free);

  g_signal_connect (app, "window-added", G_CALLBACK (window_added_cb), titles);
  g_assert_cmpint (g_application_run (G_APPLICATION (app), 0, NULL), ==, 0);

  /* The chat pane's welcome and the empty sidebar's placeholder. */
  g_assert_cmpuint (titles->len, ==, 2);
  g_assert_true (g_ptr_array_find_with_equal_func (titles, "开始对话", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (titles, "没有对话", g_str_equal, NULL));
  g_assert_cmpstr (_("_Quit"), ==, "退出(_Q)");
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
