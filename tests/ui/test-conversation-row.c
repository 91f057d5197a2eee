/* test-conversation-row.c — list rows in a real window under Xvfb: a
 * sidebar row's context menu is made when first asked for, offers Rename
 * and Delete, and is the same menu the next time; tooltips given on demand
 * (the title of a sidebar row, a message's action buttons and usage) show
 * when the real pointer (XTEST, through xdotool) rests on them.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <gdk/x11/gdkx.h>

#include "moon-conversation-row.h"
#include "moon-message-row.h"
#include "moon-ui-test-util.h"

static GtkWidget *
find_popover (GtkWidget *row)
{
  for (GtkWidget *child = gtk_widget_get_first_child (row); child != NULL; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_POPOVER_MENU (child))
      return child;

  return NULL;
}

static void
test_menu (void)
{
  g_autoptr(MoonConversation) conversation = moon_conversation_new ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *row = moon_conversation_row_new ();
  GtkWidget *popover;

  moon_conversation_row_set_conversation (MOON_CONVERSATION_ROW (row), conversation);
  gtk_window_set_child (GTK_WINDOW (window), row);
  gtk_window_present (GTK_WINDOW (window));
  moon_test_wait (gtk_widget_get_mapped (row));
  moon_test_wait_frames (row, 2);

  /* Nothing is built for a menu nobody opened. */
  g_assert_null (find_popover (row));

  g_assert_true (gtk_widget_activate_action (row, "conversation.menu", NULL));
  popover = find_popover (row);
  g_assert_nonnull (popover);
  moon_test_wait (gtk_widget_get_mapped (popover));
  g_assert_nonnull (moon_test_find_label (popover, "Rename…"));
  g_assert_nonnull (moon_test_find_label (popover, "Delete"));

  gtk_popover_popdown (GTK_POPOVER (popover));
  moon_test_wait (!gtk_widget_get_mapped (popover));

  /* The same menu again, not a second one. */
  g_assert_true (gtk_widget_activate_action (row, "conversation.menu", NULL));
  g_assert_true (find_popover (row) == popover);
  g_assert_true (gtk_widget_get_next_sibling (popover) == NULL);
  moon_test_wait (gtk_widget_get_mapped (popover));
  gtk_popover_popdown (GTK_POPOVER (popover));

  gtk_window_destroy (GTK_WINDOW (window));
}

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

static void hover_point (GtkWidget *widget, double x, double y);

/* Puts the pointer in the middle of @widget, coming from outside it after a
 * rest (as a person would), so that GTK starts afresh with a tooltip. */
static void
hover (GtkWidget *widget)
{
  GtkWidget *root = GTK_WIDGET (gtk_widget_get_root (widget));

  hover_point (root, 1, gtk_widget_get_height (root) - 2);
  moon_test_run_for (1000);
  hover_point (widget, gtk_widget_get_width (widget) / 2.0, gtk_widget_get_height (widget) / 2.0);
}

static void
hover_point (GtkWidget *widget,
             double     px,
             double     py)
{
  GtkNative *native = gtk_widget_get_native (widget);
  GdkSurface *surface = gtk_native_get_surface (native);
  g_autofree char *xid = NULL;
  g_autofree char *x = NULL;
  g_autofree char *y = NULL;
  graphene_point_t point;
  double dx, dy;

  g_assert_true (GDK_IS_X11_SURFACE (surface));
  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (native), &GRAPHENE_POINT_INIT (px, py), &point));
  gtk_native_get_surface_transform (native, &dx, &dy);
  xid = g_strdup_printf ("%lu", (unsigned long) gdk_x11_surface_get_xid (surface));
  x = g_strdup_printf ("%d", (int) (point.x + dx));
  y = g_strdup_printf ("%d", (int) (point.y + dy));
  xdotool ("mousemove", "--sync", "--window", xid, x, y, NULL);
}

/* A tooltip showing @text, anywhere in @window. */
static GtkWidget *
find_tooltip (GtkWidget  *window,
              const char *text)
{
  g_autoptr(GPtrArray) labels = moon_test_find_all (window, GTK_TYPE_LABEL);

  for (guint i = 0; i < labels->len; i++)
    {
      GtkWidget *label = g_ptr_array_index (labels, i);
      GtkWidget *native = GTK_WIDGET (gtk_widget_get_native (label));

      if (native != window && gtk_widget_get_mapped (label) &&
          g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), text) == 0)
        return label;
    }

  return NULL;
}

static void
test_tooltips (void)
{
  const char *title = "A conversation with a title far too long for the narrow sidebar it is shown in";
  g_autoptr(MoonConversation) conversation = moon_conversation_new ();
  g_autoptr(MoonMessage) reply = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, "The answer.");
  MoonUsage usage = { 24, 17, 41, 8, 0 };
  GtkWidget *window = gtk_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *conversation_row = moon_conversation_row_new ();
  GtkWidget *message_row = moon_message_row_new ();
  GtkWidget *title_label;
  GtkWidget *copy;

  moon_conversation_set_title (conversation, title);
  moon_message_set_usage (reply, &usage);
  moon_message_set_state (reply, MOON_MESSAGE_STATE_DONE);
  moon_conversation_row_set_conversation (MOON_CONVERSATION_ROW (conversation_row), conversation);
  moon_message_row_set_message (MOON_MESSAGE_ROW (message_row), reply);

  gtk_widget_set_size_request (conversation_row, 200, -1);
  gtk_widget_set_halign (conversation_row, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (box), conversation_row);
  gtk_box_append (GTK_BOX (box), message_row);
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 600, 400);
  gtk_window_present (GTK_WINDOW (window));
  moon_test_wait (gtk_widget_get_mapped (message_row));
  moon_test_wait_frames (window, 3);

  /* A message's icon-only buttons say what they do. */
  copy = moon_test_find_button (message_row, "row.copy");
  g_assert_nonnull (copy);
  moon_test_wait (gtk_widget_get_mapped (copy));
  hover (copy);
  moon_test_wait (find_tooltip (window, "Copy") != NULL);

  /* The title is cut short in the row; its tooltip has all of it. */
  title_label = moon_test_find_label (conversation_row, title);
  g_assert_nonnull (title_label);
  g_assert_true (gtk_widget_get_has_tooltip (title_label));
  hover (title_label);
  moon_test_wait (find_tooltip (window, title) != NULL);

  /* A new title is the new tooltip. */
  moon_conversation_set_title (conversation, "Renamed");
  hover (title_label);
  moon_test_wait (find_tooltip (window, "Renamed") != NULL);

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GSK_RENDERER", "cairo", FALSE);

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/ui/conversation-row/menu", test_menu);
  g_test_add_func ("/ui/conversation-row/tooltips", test_tooltips);

  return g_test_run ();
}
