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
#include "moon-window.h"

struct _MoonApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (MoonApplication, moon_application, ADW_TYPE_APPLICATION)

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
moon_application_quit_action (GSimpleAction *action,
                              GVariant      *parameter,
                              gpointer       user_data)
{
  MoonApplication *self = user_data;
  GList *windows;

  g_assert (MOON_IS_APPLICATION (self));

  /* Close windows first so each can save its state (size, drafts). */
  windows = gtk_application_get_windows (GTK_APPLICATION (self));
  while (windows != NULL)
    {
      GtkWindow *window = windows->data;

      windows = windows->next;
      gtk_window_close (window);
    }

  g_application_quit (G_APPLICATION (self));
}

static const GActionEntry app_actions[] = {
  { "about", moon_application_about_action },
  { "quit", moon_application_quit_action },
};

static void
moon_application_startup (GApplication *app)
{
  MoonApplication *self = MOON_APPLICATION (app);

  G_APPLICATION_CLASS (moon_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self),
                                   app_actions,
                                   G_N_ELEMENTS (app_actions),
                                   self);

  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit",
                                         (const char *[]) { "<Control>q", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close",
                                         (const char *[]) { "<Control>w", NULL });
}

static void
moon_application_class_init (MoonApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = moon_application_activate;
  app_class->startup = moon_application_startup;
  app_class->handle_local_options = moon_application_handle_local_options;
}

static void
moon_application_init (MoonApplication *self)
{
  static const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("A desktop client for the Kimi chat API."));
}
