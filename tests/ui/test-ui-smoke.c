/* test-ui-smoke.c — start the real application under Xvfb, look at the window,
 * open About, and quit through the real action.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "moon-application.h"
#include "moon-window.h"

typedef struct
{
  MoonApplication *app;
  GtkWidget       *window;
  guint            frames_after_map;
  gboolean         saw_split_view;
  gboolean         saw_status_page;
  gboolean         saw_about;
  gboolean         quit_requested;
  guint            timeout_id;
} Fixture;

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, type);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static GtkWidget *
find_mapped_status_page (GtkWidget *widget)
{
  if (ADW_IS_STATUS_PAGE (widget) && gtk_widget_get_mapped (widget))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_mapped_status_page (child);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
give_up_cb (gpointer data)
{
  g_error ("the window was not drawn and closed within 30 s");
  return G_SOURCE_REMOVE;
}

static gboolean
quit_cb (gpointer data)
{
  Fixture *f = data;

  f->quit_requested = TRUE;
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
check_about_cb (gpointer data)
{
  Fixture *f = data;
  AdwDialog *dialog = adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (f->window));

  g_assert_nonnull (dialog);
  g_assert_true (ADW_IS_ABOUT_DIALOG (dialog));
  g_assert_cmpstr (adw_about_dialog_get_version (ADW_ABOUT_DIALOG (dialog)), ==, PACKAGE_VERSION);
  f->saw_about = TRUE;

  adw_dialog_force_close (dialog);
  g_idle_add (quit_cb, f);
  return G_SOURCE_REMOVE;
}

static gboolean
window_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       data)
{
  Fixture *f = data;
  GtkWidget *split_view;
  GtkWidget *status;

  /* Two frames after mapping, the window has really been laid out and drawn;
   * and the keyring has said whether there is a key. */
  if (++f->frames_after_map < 2 || !moon_application_get_api_key_checked (f->app))
    return G_SOURCE_CONTINUE;

  g_assert_true (gtk_widget_get_mapped (widget));
  g_assert_cmpint (gtk_widget_get_width (widget), >, 300);
  g_assert_cmpint (gtk_widget_get_height (widget), >, 200);

  split_view = find_descendant (widget, ADW_TYPE_NAVIGATION_SPLIT_VIEW);
  g_assert_nonnull (split_view);
  g_assert_nonnull (adw_navigation_split_view_get_sidebar (ADW_NAVIGATION_SPLIT_VIEW (split_view)));
  f->saw_split_view = TRUE;

  /* No key in this fresh keyring: the first-run welcome asks for one. */
  g_assert_false (moon_application_get_has_api_key (f->app));
  status = find_mapped_status_page (GTK_WIDGET (adw_navigation_split_view_get_content (ADW_NAVIGATION_SPLIT_VIEW (split_view))));
  g_assert_nonnull (status);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==, _("Welcome to Moonchat"));
  g_assert_nonnull (find_descendant (status, ADW_TYPE_PASSWORD_ENTRY_ROW));
  f->saw_status_page = TRUE;

  g_action_group_activate_action (G_ACTION_GROUP (f->app), "about", NULL);
  g_timeout_add (200, check_about_cb, f);

  return G_SOURCE_REMOVE;
}

static void
window_added_cb (GtkApplication *app,
                 GtkWindow      *window,
                 gpointer        data)
{
  Fixture *f = data;

  if (!MOON_IS_WINDOW (window))
    return;

  g_assert_null (f->window);
  f->window = GTK_WIDGET (window);
  /* No cross-fade: the page shown is the only one mapped. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  gtk_widget_add_tick_callback (GTK_WIDGET (window), window_tick_cb, f, NULL);
}

static void
test_start_draw_quit (void)
{
  Fixture f = { 0 };
  int status;

  f.app = moon_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  g_signal_connect (f.app, "window-added", G_CALLBACK (window_added_cb), &f);
  f.timeout_id = g_timeout_add_seconds (30, give_up_cb, &f);

  status = g_application_run (G_APPLICATION (f.app), 0, NULL);

  g_source_remove (f.timeout_id);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (f.saw_split_view);
  g_assert_true (f.saw_status_page);
  g_assert_true (f.saw_about);
  g_assert_true (f.quit_requested);
  /* Quit closed the window: nothing is left behind. */
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (f.app)));
  g_assert_finalize_object (f.app);
}

static void
test_version_flag (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(MoonApplication) app = moon_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
      char *argv[] = { (char *) "moonchat", (char *) "--version", NULL };

      exit (g_application_run (G_APPLICATION (app), 2, argv));
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("moonchat " PACKAGE_VERSION "\n");
  /* --version must not open a window or touch the display. */
  g_test_trap_assert_stderr ("");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/smoke/start-draw-quit", test_start_draw_quit);
  g_test_add_func ("/ui/smoke/version-flag", test_version_flag);

  return g_test_run ();
}
