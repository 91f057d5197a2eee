/* moon-window.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-window"

#include "config.h"

#include <glib/gi18n.h>

#include "moon-window.h"

struct _MoonWindow
{
  AdwApplicationWindow  parent_instance;

  GSettings            *settings;

  /* Template widgets */
  AdwNavigationSplitView *split_view;
  GtkListBox             *conversation_list;
  AdwStatusPage          *empty_page;
};

G_DEFINE_FINAL_TYPE (MoonWindow, moon_window, ADW_TYPE_APPLICATION_WINDOW)

MoonWindow *
moon_window_new (MoonApplication *application)
{
  g_return_val_if_fail (MOON_IS_APPLICATION (application), NULL);

  return g_object_new (MOON_TYPE_WINDOW,
                       "application", application,
                       NULL);
}

static gboolean
moon_window_close_request (GtkWindow *window)
{
  MoonWindow *self = MOON_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  g_settings_apply (self->settings);

  return GTK_WINDOW_CLASS (moon_window_parent_class)->close_request (window);
}

static void
moon_window_dispose (GObject *object)
{
  MoonWindow *self = MOON_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), MOON_TYPE_WINDOW);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (moon_window_parent_class)->dispose (object);
}

static void
moon_window_class_init (MoonWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = moon_window_dispose;
  window_class->close_request = moon_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/moon-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, split_view);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, conversation_list);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, empty_page);
}

static void
moon_window_init (MoonWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (BASE_ID);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  if (DEVELOPMENT_BUILD)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

  /* An empty list shows a placeholder, not a blank pane. */
  {
    GtkWidget *placeholder = adw_status_page_new ();

    adw_status_page_set_icon_name (ADW_STATUS_PAGE (placeholder), "moon-chat-symbolic");
    adw_status_page_set_title (ADW_STATUS_PAGE (placeholder), _("No Conversations"));
    adw_status_page_set_description (ADW_STATUS_PAGE (placeholder),
                                     _("Saved conversations appear here"));
    gtk_widget_add_css_class (placeholder, "compact");
    gtk_list_box_set_placeholder (self->conversation_list, placeholder);
  }
}
