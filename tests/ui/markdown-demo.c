/* markdown-demo.c — shows a Markdown file in a MoonMarkdownView, for looking
 * at it (and taking screenshots under Xvfb). Not a test.
 *
 *   markdown-demo FILE [--dark] [--stream] [--step=N] [--width=N] [--height=N]
 *
 * --stream feeds the file N bytes per frame (default 37), the way a reply
 * arrives. The header bar's button switches between light and dark.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>

#include "moon-markdown-view.h"

typedef struct
{
  MoonMarkdownView *view;
  char             *text;
  gsize             length;
  gsize             shown;
  gsize             step;
} Demo;

static gboolean
stream_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       data)
{
  Demo *demo = data;
  g_autofree char *prefix = NULL;

  demo->shown = MIN (demo->shown + demo->step, demo->length);
  /* Only whole characters, as a client would after decoding. */
  while (demo->shown < demo->length && ((guchar) demo->text[demo->shown] & 0xC0) == 0x80)
    demo->shown++;
  prefix = g_strndup (demo->text, demo->shown);
  moon_markdown_view_set_text (demo->view, prefix);

  return demo->shown < demo->length ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
dark_toggled_cb (GtkToggleButton *button,
                 gpointer         user_data)
{
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      gtk_toggle_button_get_active (button)
                                      ? ADW_COLOR_SCHEME_FORCE_DARK : ADW_COLOR_SCHEME_FORCE_LIGHT);
}

static gboolean
close_request_cb (GtkWindow *window,
                  GMainLoop *loop)
{
  g_main_loop_quit (loop);
  return FALSE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  gboolean dark = FALSE;
  gboolean stream = FALSE;
  int width = 760;
  int height = 1400;
  const char *path = NULL;
  GtkWidget *window;
  GtkWidget *toolbar;
  GtkWidget *scroller;
  GtkWidget *clamp;
  GtkWidget *header;
  GtkWidget *dark_button;
  Demo demo = { 0 };

  demo.step = 37;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--dark"))
        dark = TRUE;
      else if (g_str_equal (argv[i], "--stream"))
        stream = TRUE;
      else if (g_str_has_prefix (argv[i], "--step="))
        demo.step = MAX (1, atoi (argv[i] + 7));
      else if (g_str_has_prefix (argv[i], "--width="))
        width = atoi (argv[i] + 8);
      else if (g_str_has_prefix (argv[i], "--height="))
        height = atoi (argv[i] + 9);
      else
        path = argv[i];
    }

  if (path == NULL)
    {
      g_printerr ("usage: markdown-demo FILE [--dark] [--stream] [--step=N] [--width=N] [--height=N]\n");
      return 2;
    }

  if (!g_file_get_contents (path, &demo.text, &demo.length, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  gtk_init ();
  adw_init ();
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      dark ? ADW_COLOR_SCHEME_FORCE_DARK : ADW_COLOR_SCHEME_FORCE_LIGHT);

  demo.view = MOON_MARKDOWN_VIEW (moon_markdown_view_new ());
  gtk_widget_set_margin_top (GTK_WIDGET (demo.view), 18);
  gtk_widget_set_margin_bottom (GTK_WIDGET (demo.view), 18);
  gtk_widget_set_margin_start (GTK_WIDGET (demo.view), 18);
  gtk_widget_set_margin_end (GTK_WIDGET (demo.view), 18);

  clamp = adw_clamp_new ();
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 800);
  adw_clamp_set_child (ADW_CLAMP (clamp), GTK_WIDGET (demo.view));

  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), clamp);

  dark_button = gtk_toggle_button_new ();
  gtk_button_set_icon_name (GTK_BUTTON (dark_button), "weather-clear-night-symbolic");
  gtk_widget_set_tooltip_text (dark_button, "Dark Style");
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (dark_button), dark);
  g_signal_connect (dark_button, "toggled", G_CALLBACK (dark_toggled_cb), NULL);

  header = adw_header_bar_new ();
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), dark_button);

  toolbar = adw_toolbar_view_new ();
  adw_toolbar_view_add_top_bar (ADW_TOOLBAR_VIEW (toolbar), header);
  adw_toolbar_view_set_content (ADW_TOOLBAR_VIEW (toolbar), scroller);

  window = adw_window_new ();
  gtk_window_set_title (GTK_WINDOW (window), "Markdown");
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  adw_window_set_content (ADW_WINDOW (window), toolbar);

  if (stream)
    gtk_widget_add_tick_callback (GTK_WIDGET (demo.view), stream_tick_cb, &demo, NULL);
  else
    moon_markdown_view_set_text (demo.view, demo.text);

  loop = g_main_loop_new (NULL, FALSE);
  g_signal_connect (window, "close-request", G_CALLBACK (close_request_cb), loop);
  /* A selectable label that gets the initial focus selects all its text;
   * in the app the composer has the focus. */
  gtk_window_set_focus (GTK_WINDOW (window), dark_button);
  gtk_window_present (GTK_WINDOW (window));
  g_main_loop_run (loop);

  g_free (demo.text);

  return 0;
}
