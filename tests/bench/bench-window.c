/* bench-window.c — the real Moonchat window, measured from outside
 *
 * A test-only program linking moon-ui (as the tests/ui tests do): nothing in
 * the product knows it is being measured. Times come from frame-clock
 * callbacks ("after-paint": the frame has been drawn) and a high-priority
 * timer; every figure is printed as "name value" for the driver
 * (moonchat-bench), which runs this under the test session wrapper.
 *
 *   bench-window --store-key URL
 *       puts a key for URL into the session's keyring, as Preferences would
 *   bench-window --startup N [--open ID]
 *       starts Moonchat as main.c does, with N conversations on disk:
 *       startup_us: from BENCH_T0 (taken by the driver just before it started
 *       this process) to the end of the first frame showing the sidebar
 *       filled; with --open, selects conversation ID in the sidebar as a
 *       click does; open_us: from then to the last frame that changed what
 *       the chat view shows (messages loaded, scrolled to the end, rows
 *       rendered); peak_rss_kb: VmHWM after that
 *   bench-window --stream URL [--runs N] [--paced-runs N] [--commands]
 *       sends "bench:fast" N times (each in a new conversation), then
 *       "bench:paced" (once by default), and reports for each the time the last delta
 *       was drawn, the longest gaps between frames and in the main loop,
 *       CPU time and checkpoints written while the reply streamed; with
 *       --commands, one reply per "fast" or "paced" line on standard input
 *       instead, answered with its "stream ..." line
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-util.h"
#include "moon-conversation-row.h"
#include "moon-conversation-store.h"
#include "moon-message-row.h"
#include "moon-ui-test-util.h"

#define BENCH_KEY "sk-moonchat-bench-0123456789"

static gboolean
wait_until (gboolean (*check) (gpointer),
            gpointer   data,
            guint      seconds,
            const char *what)
{
  if (!moon_test_wait_cb (check, data, seconds * 1000))
    g_error ("Timed out after %u s waiting for %s", seconds, what);
  return TRUE;
}

static void
print_figure (const char *name,
              gint64      value)
{
  printf ("%s %" G_GINT64_FORMAT "\n", name, value);
  fflush (stdout);
}

/* Start-up and opening ---------------------------------------------------- */

typedef struct
{
  MoonApplication *app;
  MoonWindow      *window;
  GdkFrameClock   *clock;
  guint            expect;
  const char      *open_id;
  gint64           t0;

  gboolean         started;

  /* Opening */
  MoonConversation *conversation;
  gint64           t_click;
  gint64           t_last_change;
  gint64           t_done_check;
  char            *signature;
  guint            quiet_id;
  gboolean         ready;
} Startup;

static GtkWidget *
find_sidebar (MoonWindow *window)
{
  return moon_test_find_widget (GTK_WIDGET (window), GTK_TYPE_LIST_VIEW, "navigation-sidebar");
}

static gboolean
sidebar_filled (Startup *s)
{
  MoonConversationStore *store = moon_application_get_store (s->app);
  GtkWidget *sidebar = find_sidebar (s->window);
  GtkWidget *row;
  gboolean loaded = FALSE;

  g_object_get (store, "is-loaded", &loaded, NULL);
  if (!loaded || g_list_model_get_n_items (G_LIST_MODEL (store)) != s->expect)
    return FALSE;

  if (sidebar == NULL || !gtk_widget_get_mapped (sidebar))
    return FALSE;

  row = moon_test_find_widget (sidebar, MOON_TYPE_CONVERSATION_ROW, NULL);
  return row != NULL && gtk_widget_get_mapped (row) &&
         moon_conversation_row_get_conversation (MOON_CONVERSATION_ROW (row)) != NULL;
}

/* What the chat view shows, as far as opening a conversation changes it. */
static char *
chat_signature (Startup *s,
                gboolean *out_ready)
{
  MoonChatView *view = moon_window_get_chat_view (s->window);
  GtkListView *list = moon_chat_view_get_list_view (view);
  GtkScrolledWindow *scroller = GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (GTK_WIDGET (list), GTK_TYPE_SCROLLED_WINDOW));
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (scroller);
  g_autoptr(GPtrArray) rows = moon_test_find_all (GTK_WIDGET (list), MOON_TYPE_MESSAGE_ROW);
  guint n_messages = g_list_model_get_n_items (G_LIST_MODEL (s->conversation));
  g_autoptr(MoonMessage) last = n_messages ? g_list_model_get_item (G_LIST_MODEL (s->conversation), n_messages - 1) : NULL;
  guint renders = 0;
  gboolean last_shown = FALSE;

  for (guint i = 0; i < rows->len; i++)
    {
      MoonMessageRow *row = g_ptr_array_index (rows, i);

      renders += moon_message_row_get_n_renders (row);
      if (last != NULL && moon_message_row_get_message (row) == last && gtk_widget_get_mapped (GTK_WIDGET (row)))
        last_shown = TRUE;
    }

  *out_ready = moon_conversation_get_is_loaded (s->conversation) &&
               gtk_widget_get_mapped (GTK_WIDGET (list)) &&
               last_shown &&
               gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj) - gtk_adjustment_get_value (adj) < 1.0;

  return g_strdup_printf ("%d %u %u %u %.1f %.1f %.1f", gtk_widget_get_mapped (GTK_WIDGET (list)),
                          n_messages, rows->len, renders,
                          gtk_adjustment_get_value (adj), gtk_adjustment_get_upper (adj),
                          gtk_adjustment_get_page_size (adj));
}

static void
finish_startup (Startup *s)
{
  print_figure ("peak_rss_kb", bench_peak_rss_kb ());
  g_action_group_activate_action (G_ACTION_GROUP (s->app), "quit", NULL);
}

static gboolean
quiet_cb (gpointer data)
{
  Startup *s = data;

  /* Nothing changed on screen for a while: the last change was the end. */
  s->quiet_id = 0;
  print_figure ("open_us", s->t_last_change - s->t_click);
  print_figure ("open_messages", g_list_model_get_n_items (G_LIST_MODEL (s->conversation)));
  {
    MoonChatView *view = moon_window_get_chat_view (s->window);
    g_autoptr(GPtrArray) rows = moon_test_find_all (GTK_WIDGET (moon_chat_view_get_list_view (view)),
                                                    MOON_TYPE_MESSAGE_ROW);

    print_figure ("message_rows", rows->len);
  }
  finish_startup (s);

  return G_SOURCE_REMOVE;
}

static gboolean
click_cb (gpointer data)
{
  Startup *s = data;
  GtkWidget *sidebar = find_sidebar (s->window);
  GtkSelectionModel *model = gtk_list_view_get_model (GTK_LIST_VIEW (sidebar));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));

  s->conversation = moon_conversation_store_lookup (moon_application_get_store (s->app), s->open_id);
  if (s->conversation == NULL)
    g_error ("No conversation %s", s->open_id);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MoonConversation) item = g_list_model_get_item (G_LIST_MODEL (model), i);

      if (item == s->conversation)
        {
          /* What a click on the row does: select it. */
          s->t_click = g_get_monotonic_time ();
          s->t_last_change = s->t_click;
          gtk_selection_model_select_item (model, i, TRUE);
          return G_SOURCE_REMOVE;
        }
    }

  g_error ("Conversation %s is not in the sidebar", s->open_id);
  return G_SOURCE_REMOVE;
}

static void
startup_after_paint_cb (GdkFrameClock *clock,
                        Startup       *s)
{
  gint64 now = g_get_monotonic_time ();

  if (!s->started)
    {
      if (!sidebar_filled (s))
        return;

      s->started = TRUE;
      print_figure ("startup_us", now - s->t0);
      print_figure ("startup_conversations", s->expect);
      {
        g_autoptr(GPtrArray) rows = moon_test_find_all (find_sidebar (s->window), MOON_TYPE_CONVERSATION_ROW);

        print_figure ("sidebar_rows", rows->len);
        print_figure ("startup_rss_kb", bench_rss_kb ());
      }

      if (s->open_id == NULL)
        {
          finish_startup (s);
          return;
        }

      /* Clicked once the frame is on screen, as a person would. */
      g_idle_add_full (G_PRIORITY_DEFAULT, click_cb, s, NULL);
      return;
    }

  if (s->t_click != 0 && s->quiet_id == 0)
    {
      gboolean ready = FALSE;
      g_autofree char *signature = chat_signature (s, &ready);

      if (g_strcmp0 (signature, s->signature) != 0)
        {
          g_free (s->signature);
          s->signature = g_steal_pointer (&signature);
          s->t_last_change = now;
          s->ready = ready;
        }
    }
}

static gboolean
watch_cb (gpointer data)
{
  Startup *s = data;

  if (!s->started && g_get_monotonic_time () - s->t0 > 300 * G_USEC_PER_SEC)
    {
      MoonConversationStore *store = moon_application_get_store (s->app);

      g_error ("No frame showed the sidebar with %u conversations in 300 s (the store has %u)",
               s->expect, g_list_model_get_n_items (G_LIST_MODEL (store)));
    }

  /* Done once the view is complete and nothing has changed for 500 ms. */
  if (s->t_click != 0 && s->ready && s->quiet_id == 0 &&
      g_get_monotonic_time () - s->t_last_change > 500 * 1000)
    {
      s->quiet_id = g_idle_add (quiet_cb, s);
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
window_realize_cb (GtkWidget *widget,
                   Startup   *s)
{
  s->clock = gtk_widget_get_frame_clock (widget);
  g_signal_connect (s->clock, "after-paint", G_CALLBACK (startup_after_paint_cb), s);
}

static void
window_added_cb (GtkApplication *app,
                 GtkWindow      *window,
                 Startup        *s)
{
  if (s->window != NULL || !MOON_IS_WINDOW (window))
    return;

  s->window = MOON_WINDOW (window);
  g_signal_connect (window, "realize", G_CALLBACK (window_realize_cb), s);
}

static int
run_startup (guint       expect,
             const char *open_id)
{
  g_autoptr(MoonApplication) app = NULL;
  Startup s = { 0 };
  const char *localedir;
  int status;

  s.t0 = bench_env_time ("BENCH_T0");
  if (s.t0 < 0)
    s.t0 = g_get_monotonic_time ();
  s.expect = expect;
  s.open_id = open_id;

  /* As main.c */
  localedir = g_getenv ("MOONCHAT_LOCALEDIR");
  if (localedir == NULL || localedir[0] == '\0')
    localedir = LOCALEDIR;
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = moon_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS);
  s.app = app;
  g_signal_connect (app, "window-added", G_CALLBACK (window_added_cb), &s);
  g_timeout_add (50, watch_cb, &s);

  status = g_application_run (G_APPLICATION (app), 0, NULL);

  if (!s.started || (open_id != NULL && s.t_click == 0))
    g_error ("The window never showed the sidebar filled");

  g_free (s.signature);
  return status;
}

/* Streaming ---------------------------------------------------------------- */

typedef struct
{
  MoonWindow       *window;
  MoonConversation *conversation;
  MoonMessage      *reply;
  MoonMessageRow   *row;
  guint             n_deltas;

  gint64            t_send;
  gint64            t_finished;
  gint64            t_drawn;
  gint64            cpu_start;
  gint64            cpu_drawn;
  gint64            last_frame;
  gint64            max_frame_gap;
  gint64            last_timer;
  gint64            max_timer_gap;
  guint             n_frames;
  guint             n_saves;
  guint             n_notifies;
  int               renders_at_notify;
  gboolean          pending;
  gboolean          done;
} Stream;

/* --trace-frames: where the time of slow frames goes, on stderr. Our
 * handlers run after GTK's own (connected when the window was realized), so
 * each marks the end of a phase. */
static gboolean trace_frames;
static gint64 phase_end[5];

static void
phase_cb (GdkFrameClock *clock,
          gpointer       data)
{
  guint phase = GPOINTER_TO_UINT (data);

  phase_end[phase] = g_get_monotonic_time ();
  if (phase == 4 && phase_end[4] - phase_end[0] > 10000)
    g_printerr ("[%" G_GINT64_FORMAT "] slow frame %" G_GINT64_FORMAT " ms: update %" G_GINT64_FORMAT
                ", layout %" G_GINT64_FORMAT ", paint %" G_GINT64_FORMAT ", after-paint %" G_GINT64_FORMAT " ms\n",
                phase_end[4] / 1000, (phase_end[4] - phase_end[0]) / 1000,
                (phase_end[1] - phase_end[0]) / 1000, (phase_end[2] - phase_end[1]) / 1000,
                (phase_end[3] - phase_end[2]) / 1000, (phase_end[4] - phase_end[3]) / 1000);
}

static void
trace_clock (GdkFrameClock *clock)
{
  static const char *signals[] = { "before-paint", "update", "layout", "paint", "after-paint" };
  static gboolean done;

  if (!trace_frames || done)
    return;
  done = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    g_signal_connect (clock, signals[i], G_CALLBACK (phase_cb), GUINT_TO_POINTER (i));
}

static MoonMessageRow *
stream_row (Stream *st)
{
  MoonChatView *view = moon_window_get_chat_view (st->window);
  GtkWidget *list = GTK_WIDGET (moon_chat_view_get_list_view (view));

  if (st->row != NULL && moon_message_row_get_message (st->row) == st->reply)
    return st->row;

  st->row = NULL;
  /* Only the list's rows, not what is inside them. */
  for (GtkWidget *item = gtk_widget_get_first_child (list); item != NULL; item = gtk_widget_get_next_sibling (item))
    {
      GtkWidget *child = gtk_widget_get_first_child (item);

      if (child != NULL && MOON_IS_MESSAGE_ROW (child) &&
          moon_message_row_get_message (MOON_MESSAGE_ROW (child)) == st->reply)
        st->row = MOON_MESSAGE_ROW (child);
    }

  return st->row;
}

static void
content_notify_cb (MoonMessage *message,
                   GParamSpec  *pspec,
                   Stream      *st)
{
  MoonMessageRow *row = stream_row (st);

  st->n_notifies++;
  st->pending = TRUE;
  st->renders_at_notify = row ? (int) moon_message_row_get_n_renders (row) : -1;
}

static void
state_notify_cb (MoonMessage *message,
                 GParamSpec  *pspec,
                 Stream      *st)
{
  if (st->t_finished == 0 && moon_message_is_finished (message))
    st->t_finished = g_get_monotonic_time ();
}

static void
saved_cb (MoonConversationStore *store,
          MoonConversation      *conversation,
          Stream                *st)
{
  /* Checkpoints: saves of the streaming conversation before the end. */
  if (conversation == st->conversation && st->t_finished == 0)
    st->n_saves++;
}

static void
stream_after_paint_cb (GdkFrameClock *clock,
                       Stream        *st)
{
  MoonMessageRow *row;

  if (st->done || st->t_send == 0)
    return;

  /* Frames as the app asks for them (nothing here asks for more). */
  {
    gint64 now = g_get_monotonic_time ();

    if (st->last_frame != 0)
      st->max_frame_gap = MAX (st->max_frame_gap, now - st->last_frame);
    st->last_frame = now;
    st->n_frames++;
  }

  row = stream_row (st);
  if (st->pending && row != NULL &&
      (st->renders_at_notify < 0 || (int) moon_message_row_get_n_renders (row) > st->renders_at_notify))
    {
      /* This frame drew the newest text. */
      st->pending = FALSE;
      st->t_drawn = g_get_monotonic_time ();
      st->cpu_drawn = bench_cpu_us ();
    }

  if (st->t_finished != 0 && !st->pending && st->t_drawn != 0)
    st->done = TRUE;
}

static gboolean
stream_timer_cb (gpointer data)
{
  Stream *st = data;
  gint64 now = g_get_monotonic_time ();

  if (st->t_send != 0 && !st->done && st->last_timer != 0)
    {
      st->max_timer_gap = MAX (st->max_timer_gap, now - st->last_timer);
      if (trace_frames && now - st->last_timer > 10000)
        g_printerr ("main loop blocked %" G_GINT64_FORMAT " ms\n", (now - st->last_timer) / 1000);
    }
  st->last_timer = now;

  return G_SOURCE_CONTINUE;
}

static gboolean
stream_done (gpointer data)
{
  return ((Stream *) data)->done;
}

static gboolean
conversation_loaded (gpointer data)
{
  return moon_conversation_get_is_loaded (data);
}

static gboolean
label_ends_with (GtkWidget  *root,
                 const char *suffix)
{
  g_autoptr(GPtrArray) labels = moon_test_find_all (root, GTK_TYPE_LABEL);

  for (guint i = 0; i < labels->len; i++)
    {
      g_autofree char *text = g_strdup (gtk_label_get_text (g_ptr_array_index (labels, i)));

      if (g_str_has_suffix (g_strstrip (text), suffix))
        return TRUE;
    }

  return FALSE;
}

/* Not inlined: callgrind --toggle-collect=run_one_stream profiles one reply. */
G_GNUC_NO_INLINE static void
run_one_stream (MoonApplication *app,
                MoonWindow      *window,
                const char      *kind,
                guint            n_deltas,
                const char      *expected)
{
  MoonChatView *view = moon_window_get_chat_view (window);
  MoonComposer *composer = moon_chat_view_get_composer (view);
  MoonConversationStore *store = moon_application_get_store (app);
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  Stream st = { 0 };
  g_autofree char *prompt = g_strconcat ("bench:", kind, NULL);
  gulong saved_id, paint_id;
  guint timer_id;
  guint n;

  st.window = window;
  st.n_deltas = n_deltas;
  trace_clock (clock);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-conversation", NULL);
  st.conversation = moon_window_get_conversation (window);
  g_assert (st.conversation != NULL);
  wait_until (conversation_loaded, st.conversation, 300, "a new conversation");
  n = g_list_model_get_n_items (G_LIST_MODEL (st.conversation));

  moon_composer_set_text (composer, prompt);
  saved_id = g_signal_connect (store, "saved", G_CALLBACK (saved_cb), &st);
  paint_id = g_signal_connect (clock, "after-paint", G_CALLBACK (stream_after_paint_cb), &st);
  timer_id = g_timeout_add_full (G_PRIORITY_HIGH, 1, stream_timer_cb, &st, NULL);
  moon_test_run_for (100);

  st.cpu_start = bench_cpu_us ();
  st.t_send = st.last_frame = g_get_monotonic_time ();
  gtk_widget_activate_action (GTK_WIDGET (composer), "composer.send", NULL);

  g_assert (g_list_model_get_n_items (G_LIST_MODEL (st.conversation)) == n + 2);
  st.reply = g_list_model_get_item (G_LIST_MODEL (st.conversation), n + 1);
  g_signal_connect (st.reply, "notify::content", G_CALLBACK (content_notify_cb), &st);
  g_signal_connect (st.reply, "notify::state", G_CALLBACK (state_notify_cb), &st);

  wait_until (stream_done, &st, 600, "the reply to be drawn");

  g_signal_handlers_disconnect_by_data (st.reply, &st);
  g_signal_handler_disconnect (store, saved_id);
  g_signal_handler_disconnect (clock, paint_id);
  g_source_remove (timer_id);

  /* The reply must be whole, and drawn. */
  if (moon_message_get_state (st.reply) != MOON_MESSAGE_STATE_DONE)
    g_error ("The %s reply ended in state %d", kind, moon_message_get_state (st.reply));
  if (g_strcmp0 (moon_message_get_content (st.reply), expected) != 0)
    {
      const char *content = moon_message_get_content (st.reply);
      gsize at = 0;

      while (content[at] != '\0' && content[at] == expected[at])
        at++;
      g_error ("The %s reply arrived different from what was sent (%zu bytes of %zu), from byte %zu: "
               "\"%.40s\" instead of \"%.40s\"", kind, strlen (content), strlen (expected), at,
               content + MAX (at, 10) - 10, expected + MAX (at, 10) - 10);
    }
  if (st.row == NULL || !label_ends_with (GTK_WIDGET (st.row), bench_reply_last_words ()))
    g_error ("The end of the %s reply is not on screen", kind);

  printf ("stream %s t_send %" G_GINT64_FORMAT " t_finished %" G_GINT64_FORMAT
          " t_drawn %" G_GINT64_FORMAT " frame_gap_us %" G_GINT64_FORMAT
          " loop_gap_us %" G_GINT64_FORMAT " cpu_us %" G_GINT64_FORMAT
          " frames %u checkpoints %u notifies %u renders %u\n",
          kind, st.t_send, st.t_finished, st.t_drawn, st.max_frame_gap, st.max_timer_gap,
          st.cpu_drawn - st.cpu_start, st.n_frames, st.n_saves, st.n_notifies,
          moon_message_row_get_n_renders (st.row));
  fflush (stdout);

  g_object_unref (st.reply);

  /* Let the final save and the index settle before the next run. */
  moon_test_run_for (700);
}

static gboolean
window_mapped (gpointer data)
{
  MoonApplication *app = data;
  MoonWindow *window = moon_test_app_get_window (app);

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

static gboolean
key_checked (gpointer data)
{
  return moon_application_get_api_key_checked (data);
}

static gboolean
saved_for_exit (gpointer data)
{
  return moon_application_get_saved_for_exit (data);
}

/* As moon_test_app_start(), with the patience valgrind needs. */
static MoonApplication *
start_app (const char *base_url)
{
  g_autoptr(GSettings) settings = g_settings_new (BASE_ID);
  g_autoptr(GError) error = NULL;
  MoonApplication *app;

  g_settings_set_string (settings, "base-url", base_url);
  app = moon_application_new (APPLICATION_ID ".Bench", G_APPLICATION_NON_UNIQUE);
  if (!g_application_register (G_APPLICATION (app), NULL, &error))
    g_error ("Could not register the application: %s", error->message);
  g_application_activate (G_APPLICATION (app));

  wait_until (window_mapped, app, 300, "the window");
  wait_until (key_checked, app, 300, "the keyring");
  if (!moon_application_get_has_api_key (app))
    g_error ("The keyring has no key for %s", base_url);
  moon_test_run_for (200);

  return app;
}

typedef struct
{
  char     *line;
  gboolean  done;
} Command;

static void
command_read_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Command *command = user_data;

  command->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result, NULL, NULL);
  command->done = TRUE;
}

static gboolean
command_done (gpointer data)
{
  return ((Command *) data)->done;
}

/* With --commands, the driver says when to send each reply ("fast",
 * "paced", one per line on standard input), so that its floor runs can go
 * in between on a noisy machine. */
static char *
next_command (GDataInputStream *input)
{
  Command command = { NULL, FALSE };

  g_data_input_stream_read_line_async (input, G_PRIORITY_DEFAULT, NULL, command_read_cb, &command);
  wait_until (command_done, &command, 3600, "the next command");
  return command.line;
}

static int
run_streams (const char *base_url,
             guint       runs,
             guint       paced_runs,
             gboolean    commands)
{
  g_autofree char *fast = bench_reply_text (BENCH_REPLY_DELTAS);
  g_autofree char *paced = bench_reply_text (BENCH_PACED_DELTAS);
  MoonApplication *app;
  MoonWindow *window;

  moon_test_store_key (base_url, BENCH_KEY);
  app = start_app (base_url);
  window = moon_test_app_get_window (app);

  if (commands)
    {
      g_autoptr(GInputStream) stdin_stream = g_unix_input_stream_new (0, FALSE);
      g_autoptr(GDataInputStream) input = g_data_input_stream_new (stdin_stream);
      char *line;

      print_figure ("ready", 1);
      while ((line = next_command (input)) != NULL)
        {
          if (g_str_equal (line, "fast"))
            run_one_stream (app, window, "fast", BENCH_REPLY_DELTAS, fast);
          else if (g_str_equal (line, "paced"))
            run_one_stream (app, window, "paced", BENCH_PACED_DELTAS, paced);
          else if (g_str_equal (line, "quit"))
            {
              g_free (line);
              break;
            }
          else
            g_error ("Unknown command %s", line);
          g_free (line);
        }
    }
  else
    {
      for (guint i = 0; i < runs; i++)
        run_one_stream (app, window, "fast", BENCH_REPLY_DELTAS, fast);
      for (guint i = 0; i < paced_runs; i++)
        run_one_stream (app, window, "paced", BENCH_PACED_DELTAS, paced);
    }

  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  wait_until (saved_for_exit, app, 300, "the saves before quitting");
  g_application_quit (G_APPLICATION (app));
  g_object_unref (app);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *store_key = NULL;
  g_autofree char *stream = NULL;
  g_autofree char *open_id = NULL;
  int startup = 0;
  int runs = 3;
  int paced_runs = 1;
  gboolean commands = FALSE;
  const GOptionEntry entries[] = {
    { "store-key", 0, 0, G_OPTION_ARG_STRING, &store_key, "Put a key for URL into the keyring", "URL" },
    { "startup", 0, 0, G_OPTION_ARG_INT, &startup, "Measure start-up with N conversations", "N" },
    { "open", 0, 0, G_OPTION_ARG_STRING, &open_id, "Then open this conversation", "ID" },
    { "stream", 0, 0, G_OPTION_ARG_STRING, &stream, "Measure streamed replies from URL", "URL" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Fast streams to measure", "N" },
    { "commands", 0, 0, G_OPTION_ARG_NONE, &commands, "Stream when told to on standard input", NULL },
    { "trace-frames", 0, 0, G_OPTION_ARG_NONE, &trace_frames, "Report slow frames and main-loop blocks on stderr", NULL },
    { "paced-runs", 0, 0, G_OPTION_ARG_INT, &paced_runs, "Paced streams to measure", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);

  if (startup > 0)
    return run_startup (startup, open_id);

  gtk_init ();
  adw_init ();

  if (store_key != NULL)
    {
      /* "default": the address a fresh start uses. */
      moon_test_store_key (g_str_equal (store_key, "default") ? moon_client_get_default_base_url () : store_key,
                           BENCH_KEY);
      return 0;
    }

  if (stream != NULL)
    return run_streams (stream, runs, paced_runs, commands);

  g_printerr ("%s", g_option_context_get_help (context, TRUE, NULL));
  return 2;
}
