/* test-conversation-row.c — a sidebar row in a real window under Xvfb: its
 * context menu is made when first asked for, offers Rename and Delete, and
 * is the same menu the next time.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>

#include "moon-conversation-row.h"
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

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GSK_RENDERER", "cairo", FALSE);

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/ui/conversation-row/menu", test_menu);

  return g_test_run ();
}
