/* test-ui-history.c — long conversations and rich replies in the real window:
 * a 5,000-message conversation opens and scrolls; a streamed Markdown reply
 * with every block type becomes the expected widgets.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>

#include "moon-conversation-store.h"
#include "moon-markdown-view.h"
#include "moon-message-row.h"
#include "moon-ui-test-util.h"

#define TEST_KEY "sk-moonchat-ui-test-history"
#define N_LONG   5000

static void
select_in_sidebar (MoonWindow       *window,
                   MoonConversation *conversation)
{
  GtkListView *list = GTK_LIST_VIEW (moon_test_find_widget (GTK_WIDGET (window), GTK_TYPE_LIST_VIEW,
                                                            "navigation-sidebar"));
  GtkSelectionModel *selection = gtk_list_view_get_model (list);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (selection));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MoonConversation) item = g_list_model_get_item (G_LIST_MODEL (selection), i);

      if (item == conversation)
        {
          /* As a click on the row does. */
          gtk_selection_model_select_item (selection, i, TRUE);
          return;
        }
    }

  g_assert_not_reached ();
}

static gboolean
has_ancestor_with_class (GtkWidget  *widget,
                         const char *css_class)
{
  for (; widget != NULL; widget = gtk_widget_get_parent (widget))
    {
      if (gtk_widget_has_css_class (widget, css_class))
        return TRUE;
    }

  return FALSE;
}

static guint
count_rows (MoonWindow *window)
{
  g_autoptr(GPtrArray) rows = moon_test_find_all (GTK_WIDGET (window), MOON_TYPE_MESSAGE_ROW);

  return rows->len;
}

static gboolean
message_row_visible (MoonWindow  *window,
                     MoonMessage *message)
{
  GtkWidget *row = moon_test_find_message_row (window, message);
  GtkWidget *list;
  graphene_rect_t bounds;

  if (row == NULL || !gtk_widget_get_mapped (row))
    return FALSE;

  list = gtk_widget_get_ancestor (row, GTK_TYPE_SCROLLED_WINDOW);
  if (!gtk_widget_compute_bounds (row, list, &bounds))
    return FALSE;

  return bounds.origin.y + bounds.size.height > 0 &&
         bounds.origin.y < gtk_widget_get_height (list);
}

/* 5,000 messages: the list opens at the end, creates widgets only for what
 * is on screen, reaches the top and comes back with "Jump to Latest". */
static void
test_large_conversation (void)
{
  g_autoptr(MoonConversation) written = moon_conversation_new ();
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(MoonMessage) first = NULL;
  g_autoptr(MoonMessage) last = NULL;
  g_autofree char *path = NULL;
  MoonConversationStore *store;
  MoonConversation *conversation;
  MoonApplication *app;
  MoonWindow *window;
  MoonChatView *chat_view;
  GtkAdjustment *adj;
  GtkWidget *jump;
  guint rows;

  for (guint i = 0; i < N_LONG; i++)
    {
      g_autofree char *text = NULL;
      g_autoptr(MoonMessage) message = NULL;

      if (i % 2 == 0)
        text = g_strdup_printf ("Question number %u: what comes after %u?", i / 2, i);
      else
        text = g_strdup_printf ("Reply number %u.\n\nAfter %u comes **%u**, and then a "
                                "few more words so that the reply wraps onto a second "
                                "line in a window of ordinary width.", i / 2, i - 1, i);

      message = moon_message_new (i % 2 ? MOON_MESSAGE_ROLE_ASSISTANT : MOON_MESSAGE_ROLE_USER, text);
      moon_message_set_state (message, MOON_MESSAGE_STATE_DONE);
      moon_conversation_append_message (written, message);
    }
  moon_conversation_set_title (written, "A very long conversation");
  path = moon_test_write_conversation (written);

  moon_test_store_key (moon_test_server_get_base_url (server), TEST_KEY);
  app = moon_test_app_start (moon_test_server_get_base_url (server));
  window = moon_test_app_get_window (app);
  chat_view = moon_window_get_chat_view (window);
  store = moon_application_get_store (app);

  moon_test_wait (moon_conversation_store_lookup (store, moon_conversation_get_id (written)) != NULL);
  conversation = moon_conversation_store_lookup (store, moon_conversation_get_id (written));
  select_in_sidebar (window, conversation);
  g_assert_true (moon_window_get_conversation (window) == conversation);

  moon_test_wait (moon_conversation_get_is_loaded (conversation));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, N_LONG);
  first = g_list_model_get_item (G_LIST_MODEL (conversation), 0);
  last = g_list_model_get_item (G_LIST_MODEL (conversation), N_LONG - 1);

  /* It opens at the newest message. */
  moon_test_wait (message_row_visible (window, last));
  moon_test_wait_frames (GTK_WIDGET (window), 3);
  g_assert_true (moon_chat_view_get_at_bottom (chat_view));
  rows = count_rows (window);
  g_test_message ("%u message widgets for %u messages", rows, N_LONG);
  g_assert_cmpuint (rows, >, 0);
  /* GtkListView keeps about 200 rows around what is visible; not 5,000. */
  g_assert_cmpuint (rows, <, 400);
  moon_test_screenshot (GTK_WIDGET (window), "long-conversation");

  /* To the top, as PageUp or the scrollbar would. */
  adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (moon_test_find_message_row (window, last),
                                                                                           GTK_TYPE_SCROLLED_WINDOW)));
  while (!message_row_visible (window, first))
    {
      gtk_adjustment_set_value (adj, 0);
      moon_test_wait_frames (GTK_WIDGET (window), 1);
    }
  g_assert_false (moon_chat_view_get_at_bottom (chat_view));
  g_assert_cmpuint (count_rows (window), <, 400);
  jump = gtk_widget_get_ancestor (moon_test_find_button (GTK_WIDGET (chat_view), "chat.jump-to-latest"), GTK_TYPE_REVEALER);
  moon_test_wait (gtk_revealer_get_child_revealed (GTK_REVEALER (jump)));
  moon_test_screenshot (GTK_WIDGET (window), "long-conversation-top");

  /* And back. */
  gtk_widget_activate_action (GTK_WIDGET (chat_view), "chat.jump-to-latest", NULL);
  moon_test_wait (message_row_visible (window, last));
  moon_test_wait_frames (GTK_WIDGET (window), 3);
  g_assert_true (moon_chat_view_get_at_bottom (chat_view));
  moon_test_wait (!gtk_revealer_get_reveal_child (GTK_REVEALER (jump)));

  moon_test_app_quit (app);
}

static const char markdown_reply[] =
  "# Moon facts\n"
  "\n"
  "The Moon is **bright**, *old* and has `no air`. See [NASA](https://moon.nasa.gov/).\n"
  "\n"
  "- Distance: 384,400 km\n"
  "- Diameter: 3,474 km\n"
  "\n"
  "1. New moon\n"
  "2. Full moon\n"
  "\n"
  "- [x] Look up\n"
  "- [ ] Land there\n"
  "\n"
  "> That's one small step for a man.\n"
  "\n"
  "```c\n"
  "int\n"
  "main (void)\n"
  "{\n"
  "  return 0;\n"
  "}\n"
  "```\n"
  "\n"
  "| Body | Gravity |\n"
  "|------|--------:|\n"
  "| Earth | 9.81 |\n"
  "| Moon | 1.62 |\n"
  "\n"
  "---\n"
  "\n"
  "That is all.";

/* A Markdown reply with every block type, streamed in small pieces, ends up
 * as the widgets of each block. */
static void
test_markdown_reply (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(MoonMessage) reply = NULL;
  MoonTestReply *stream;
  MoonApplication *app;
  MoonWindow *window;
  MoonComposer *composer;
  MoonConversation *conversation;
  MoonMarkdownView *view;
  GtkWidget *row;
  GtkWidget *source_view;
  GtkWidget *widget;
  GtkTextIter start, end;
  g_autofree char *code = NULL;

  stream = moon_test_reply_new_stream (NULL, markdown_reply, 60);
  moon_test_reply_set_interval (stream, 10);
  moon_test_server_queue (server, stream);

  moon_test_store_key (moon_test_server_get_base_url (server), TEST_KEY);
  app = moon_test_app_start (moon_test_server_get_base_url (server));
  window = moon_test_app_get_window (app);
  composer = moon_chat_view_get_composer (moon_window_get_chat_view (window));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-conversation", NULL);
  conversation = moon_window_get_conversation (window);
  moon_composer_set_text (composer, "Tell me about the Moon.");
  gtk_widget_activate_action (GTK_WIDGET (composer), "composer.send", NULL);
  reply = g_list_model_get_item (G_LIST_MODEL (conversation), 1);

  moon_test_wait (moon_message_get_state (reply) == MOON_MESSAGE_STATE_DONE);
  moon_test_wait ((row = moon_test_find_message_row (window, reply)) != NULL);
  moon_test_wait_frames (row, 3);

  view = MOON_MARKDOWN_VIEW (moon_test_find_widget (row, MOON_TYPE_MARKDOWN_VIEW, NULL));
  g_assert_nonnull (view);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (view)));
  g_assert_cmpstr (moon_markdown_view_get_text (view), ==, markdown_reply);

  /* Heading */
  widget = moon_test_find_label (row, "Moon facts");
  g_assert_nonnull (widget);
  g_assert_true (gtk_widget_has_css_class (widget, "title-2"));

  /* Inline markup and a link, in a selectable label */
  widget = moon_test_find_label (row, "The Moon is bright, old and has no air. See NASA.");
  g_assert_nonnull (widget);
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (widget)));
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (widget)), "<b>bright</b>"));
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (widget)), "href=\"https://moon.nasa.gov/\""));

  /* Lists: bullets, numbers, tasks */
  g_assert_nonnull (moon_test_find_label (row, "Distance: 384,400 km"));
  g_assert_nonnull (moon_test_find_label (row, "2."));
  g_assert_nonnull (moon_test_find_label (row, "Full moon"));
  {
    g_autoptr(GPtrArray) checks = moon_test_find_all (row, GTK_TYPE_CHECK_BUTTON);

    g_assert_cmpuint (checks->len, ==, 2);
    g_assert_true (gtk_check_button_get_active (g_ptr_array_index (checks, 0)));
    g_assert_false (gtk_check_button_get_active (g_ptr_array_index (checks, 1)));
  }

  /* Quote */
  widget = moon_test_find_label (row, "That's one small step for a man.");
  g_assert_nonnull (widget);
  g_assert_true (has_ancestor_with_class (widget, "moon-md-quote"));

  /* Code in a source view, highlighted as C, with a copy button */
  source_view = moon_test_find_widget (row, GTK_SOURCE_TYPE_VIEW, NULL);
  g_assert_nonnull (source_view);
  gtk_text_buffer_get_bounds (gtk_text_view_get_buffer (GTK_TEXT_VIEW (source_view)), &start, &end);
  code = gtk_text_buffer_get_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (source_view)), &start, &end, FALSE);
  g_assert_cmpstr (code, ==, "int\nmain (void)\n{\n  return 0;\n}");
  g_assert_cmpstr (gtk_source_language_get_id (gtk_source_buffer_get_language (GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (source_view))))), ==, "c");
  g_assert_nonnull (moon_test_find_widget (row, GTK_TYPE_BUTTON, "moon-md-copy"));

  /* Table */
  widget = moon_test_find_widget (row, GTK_TYPE_GRID, NULL);
  g_assert_nonnull (widget);
  g_assert_nonnull (moon_test_find_label (widget, "Gravity"));
  g_assert_nonnull (moon_test_find_label (widget, "1.62"));

  /* Rule, and the last paragraph */
  g_assert_nonnull (moon_test_find_widget (row, GTK_TYPE_SEPARATOR, NULL));
  g_assert_nonnull (moon_test_find_label (row, "That is all."));

  moon_test_screenshot (GTK_WIDGET (window), "markdown-reply");

  /* The question and the whole reply, for the README: a taller window. */
  gtk_window_set_default_size (GTK_WINDOW (window), 1040, 790);
  moon_test_wait (gtk_widget_get_height (GTK_WIDGET (window)) >= 780);
  moon_test_wait_frames (GTK_WIDGET (window), 5);
  moon_test_screenshot (GTK_WIDGET (window), "main-window");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  moon_test_screenshot (GTK_WIDGET (window), "markdown-reply-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  moon_test_app_quit (app);
}

/* A phone-sized window: the sidebar and the chat become two pages. */
static void
test_narrow_window (void)
{
  g_autoptr(MoonTestServer) server = moon_test_server_new ();
  g_autoptr(MoonConversation) written = moon_conversation_new ();
  g_autoptr(MoonMessage) question = moon_message_new (MOON_MESSAGE_ROLE_USER, "Is the window narrow now?");
  g_autoptr(MoonMessage) answer = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT,
                                                    "Yes. The sidebar and the chat are **two pages** now, "
                                                    "and the back button leads to the list.");
  g_autofree char *path = NULL;
  AdwNavigationSplitView *split;
  MoonApplication *app;
  MoonWindow *window;

  moon_message_set_state (question, MOON_MESSAGE_STATE_DONE);
  moon_message_set_state (answer, MOON_MESSAGE_STATE_DONE);
  moon_conversation_append_message (written, question);
  moon_conversation_append_message (written, answer);
  path = moon_test_write_conversation (written);

  moon_test_store_key (moon_test_server_get_base_url (server), TEST_KEY);
  app = moon_test_app_start (moon_test_server_get_base_url (server));
  window = moon_test_app_get_window (app);
  split = ADW_NAVIGATION_SPLIT_VIEW (moon_test_find_widget (GTK_WIDGET (window), ADW_TYPE_NAVIGATION_SPLIT_VIEW, NULL));

  gtk_window_set_default_size (GTK_WINDOW (window), 400, 720);
  moon_test_wait (adw_navigation_split_view_get_collapsed (split));

  moon_test_wait (moon_conversation_store_lookup (moon_application_get_store (app),
                                                  moon_conversation_get_id (written)) != NULL);
  g_assert_false (adw_navigation_split_view_get_show_content (split));
  moon_test_screenshot (GTK_WIDGET (window), "narrow-sidebar");

  select_in_sidebar (window, moon_conversation_store_lookup (moon_application_get_store (app),
                                                             moon_conversation_get_id (written)));
  g_assert_true (adw_navigation_split_view_get_show_content (split));
  moon_test_wait (moon_conversation_get_is_loaded (moon_window_get_conversation (window)));
  {
    g_autoptr(MoonMessage) reply = g_list_model_get_item (G_LIST_MODEL (moon_window_get_conversation (window)), 1);

    moon_test_wait (moon_test_find_message_row (window, reply) != NULL);
  }
  moon_test_wait_frames (GTK_WIDGET (window), 3);
  moon_test_screenshot (GTK_WIDGET (window), "narrow-chat");

  moon_test_app_quit (app);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/history/large-conversation", test_large_conversation);
  g_test_add_func ("/ui/history/markdown-reply", test_markdown_reply);
  g_test_add_func ("/ui/history/narrow-window", test_narrow_window);

  return g_test_run ();
}
