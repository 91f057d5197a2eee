/* bench-minimal-window.c — the floor for start-up and memory: the least a
 * GTK application can do to show a window of Moonchat's default size.
 *
 * Prints "startup_us N" (from BENCH_T0, taken by the driver just before it
 * started this process, to the end of the first frame) and
 * "peak_rss_kb N" (VmHWM a few frames later), then quits.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <gtk/gtk.h>

#include "bench-util.h"

static gint64 t0;
static guint n_frames;

static void
after_paint_cb (GdkFrameClock *clock,
                GtkApplication *app)
{
  if (n_frames++ == 0)
    {
      printf ("startup_us %" G_GINT64_FORMAT "\n", g_get_monotonic_time () - t0);
      fflush (stdout);
    }

  if (n_frames == 5)
    {
      printf ("peak_rss_kb %" G_GINT64_FORMAT "\n", bench_peak_rss_kb ());
      fflush (stdout);
      g_signal_handlers_disconnect_by_func (clock, after_paint_cb, app);
      g_application_quit (G_APPLICATION (app));
    }
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       data)
{
  /* Keeps frames coming until the memory figure is taken. */
  return G_SOURCE_CONTINUE;
}

static void
realize_cb (GtkWidget      *window,
            GtkApplication *app)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (after_paint_cb), app);
}

static void
activate_cb (GtkApplication *app)
{
  GtkWidget *window = gtk_application_window_new (app);

  gtk_window_set_title (GTK_WINDOW (window), "Moonchat");
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 720);
  gtk_window_set_child (GTK_WINDOW (window), gtk_label_new ("Hello"));
  g_signal_connect (window, "realize", G_CALLBACK (realize_cb), app);
  gtk_widget_add_tick_callback (window, tick_cb, NULL, NULL);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GtkApplication) app = NULL;

  t0 = bench_env_time ("BENCH_T0");
  if (t0 < 0)
    t0 = g_get_monotonic_time ();

  app = gtk_application_new ("io.github.moonchat.BenchMinimalWindow", G_APPLICATION_DEFAULT_FLAGS);
  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), NULL);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
