/* test-ui-chat.c — the real window against a fake Kimi on 127.0.0.1: send and
 * stream, stop, errors and retry, several streams at once, delete and undo,
 * drafts across restarts.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "moon-conversation-row.h"
#include "moon-conversation-store.h"
#include "moon-drafts.h"
#include "moon-message-row.h"
#include "moon-ui-test-util.h"

#define TEST_KEY "sk-moonchat-ui-test-0123456789"

typedef struct
{
  MoonTestServer  *server;
  MoonApplication *app;
  MoonWindow      *window;
  MoonChatView    *chat_view;
  MoonComposer    *composer;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->server = moon_test_server_new ();
  moon_test_store_key (moon_test_server_get_base_url (f->server), TEST_KEY);
}

static void
fixture_start (Fixture *f)
{
  f->app = moon_test_app_start (moon_test_server_get_base_url (f->server));
  f->window = moon_test_app_get_window (f->app);
  f->chat_view = moon_window_get_chat_view (f->window);
  f->composer = moon_chat_view_get_composer (f->chat_view);
  g_assert_true (moon_application_get_has_api_key (f->app));
}

static void
fixture_quit (Fixture *f)
{
  if (f->app == NULL)
    return;

  moon_test_app_quit (g_steal_pointer (&f->app));
  f->window = NULL;
  f->chat_view = NULL;
  f->composer = NULL;
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  fixture_quit (f);
  g_clear_pointer (&f->server, moon_test_server_free);
}

static MoonConversation *
new_conversation (Fixture *f)
{
  MoonConversation *conversation;

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.new-conversation", NULL);
  conversation = moon_window_get_conversation (f->window);
  g_assert_nonnull (conversation);
  moon_test_wait (moon_conversation_get_is_loaded (conversation));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 0);

  return conversation;
}

static MoonMessage *
send (Fixture    *f,
      const char *text)
{
  MoonConversation *conversation = moon_window_get_conversation (f->window);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (conversation));
  g_autofree char *left = NULL;

  moon_composer_set_text (f->composer, text);
  gtk_widget_activate_action (GTK_WIDGET (f->composer), "composer.send", NULL);

  /* The question and an empty reply are there at once; the composer is empty. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, n + 2);
  left = moon_composer_dup_text (f->composer);
  g_assert_cmpstr (left, ==, "");

  return g_list_model_get_item (G_LIST_MODEL (conversation), n + 1);
}

static GtkWidget *
wait_for_row (Fixture     *f,
              MoonMessage *message)
{
  moon_test_wait (moon_test_find_message_row (f->window, message) != NULL);
  return moon_test_find_message_row (f->window, message);
}

/* Markdown drops a paragraph's trailing blanks. */
static gboolean
row_shows_text (GtkWidget  *row,
                const char *text)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  return moon_test_find_label (row, stripped) != NULL;
}

static const char *
footer_text (GtkWidget *row)
{
  GtkWidget *footer = moon_test_find_widget (row, GTK_TYPE_BOX, "message-footer");
  GtkWidget *label = moon_test_find_widget (footer, GTK_TYPE_LABEL, "caption");

  return gtk_label_get_text (GTK_LABEL (label));
}

static char *
read_saved_file (MoonConversation *conversation)
{
  g_autoptr(GFile) dir = moon_conversation_store_get_default_directory ();
  g_autofree char *name = g_strdup_printf ("%s.json", moon_conversation_get_id (conversation));
  g_autofree char *path = g_build_filename (g_file_peek_path (dir), name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);

  return contents;
}

/* Send a message; the reply streams in (thinking first, open while it
 * streams, closed after), with usage and model in the footer; the request
 * carried the question; the conversation is on disk after quitting. */
static void
test_send_and_stream (Fixture       *f,
                      gconstpointer  data)
{
  const char *answer = "Hello! The Moon is about 384,400 km from Earth.";
  g_autoptr(MoonMessage) reply = NULL;
  g_autoptr(MoonConversation) conversation = NULL;
  MoonTestReply *stream;
  GtkWidget *row;
  GtkExpander *expander;
  JsonObject *request;
  JsonArray *messages;
  JsonObject *last;
  g_autofree char *saved = NULL;

  stream = moon_test_reply_new_stream ("The user asks a fact; answer briefly.", answer, 10);
  moon_test_reply_set_interval (stream, 40);
  moon_test_server_queue (f->server, stream);

  fixture_start (f);
  conversation = g_object_ref (new_conversation (f));
  moon_test_screenshot (GTK_WIDGET (f->window), "new-conversation");

  reply = send (f, "How far away is the Moon?");
  g_assert_cmpint (moon_message_get_role (reply), ==, MOON_MESSAGE_ROLE_ASSISTANT);
  g_assert_true (moon_composer_get_busy (f->composer));

  /* Thinking streams first, in an open section. */
  row = wait_for_row (f, reply);
  expander = GTK_EXPANDER (moon_test_find_widget (row, GTK_TYPE_EXPANDER, "thinking"));
  moon_test_wait (gtk_widget_get_visible (GTK_WIDGET (expander)) && gtk_expander_get_expanded (expander));
  g_assert_cmpuint (moon_message_get_content_length (reply), ==, 0);
  moon_test_screenshot (GTK_WIDGET (f->window), "thinking");

  /* Then the answer, piece by piece. */
  moon_test_wait (moon_message_get_content_length (reply) > 0 &&
                  moon_message_get_state (reply) == MOON_MESSAGE_STATE_STREAMING);
  moon_test_wait_frames (row, 2);
  g_assert_false (gtk_expander_get_expanded (expander));
  g_assert_true (moon_chat_view_get_at_bottom (f->chat_view));

  moon_test_wait (moon_message_get_state (reply) == MOON_MESSAGE_STATE_DONE);
  moon_test_wait_frames (row, 2);
  g_assert_true (row_shows_text (row, answer));
  g_assert_cmpstr (moon_message_get_reasoning_content (reply), ==, "The user asks a fact; answer briefly.");
  g_assert_false (gtk_expander_get_expanded (expander));
  /* Still there for whoever opens it. */
  gtk_expander_set_expanded (expander, TRUE);
  moon_test_wait_frames (row, 1);
  g_assert_true (row_shows_text (row, "The user asks a fact; answer briefly."));
  gtk_expander_set_expanded (expander, FALSE);
  g_assert_nonnull (strstr (footer_text (row), "kimi-k2.5"));
  g_assert_nonnull (strstr (footer_text (row), "24 in (8 cached) · 17 out"));
  g_assert_false (moon_composer_get_busy (f->composer));
  g_assert_cmpstr (moon_message_get_finish_reason (reply), ==, "stop");

  /* What was sent. */
  g_assert_cmpuint (moon_test_server_get_n_requests (f->server), ==, 1);
  request = moon_test_server_get_request (f->server, 0);
  g_assert_cmpstr (json_object_get_string_member (request, "model"), ==, "kimi-k2.5");
  g_assert_true (json_object_get_boolean_member (request, "stream"));
  messages = json_object_get_array_member (request, "messages");
  last = json_array_get_object_element (messages, json_array_get_length (messages) - 1);
  g_assert_cmpstr (json_object_get_string_member (last, "role"), ==, "user");
  g_assert_cmpstr (json_object_get_string_member (last, "content"), ==, "How far away is the Moon?");

  moon_test_screenshot (GTK_WIDGET (f->window), "chat-light");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  moon_test_screenshot (GTK_WIDGET (f->window), "chat-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  fixture_quit (f);

  saved = read_saved_file (conversation);
  g_assert_nonnull (strstr (saved, answer));
  g_assert_nonnull (strstr (saved, "How far away is the Moon?"));
  g_assert_nonnull (strstr (saved, "\"state\":\"done\""));
}

/* Hundreds of deltas arrive faster than frames: the row draws once per
 * frame, not once per delta. */
static void
test_render_coalesced (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GString) answer = g_string_new (NULL);
  g_autoptr(MoonMessage) reply = NULL;
  MoonTestReply *stream;
  GtkWidget *row;
  guint n_deltas = 400;
  guint renders;

  for (guint i = 0; i < n_deltas; i++)
    g_string_append_printf (answer, "%sw%u", i ? " " : "", i);

  stream = moon_test_reply_new_stream (NULL, answer->str, n_deltas);
  moon_test_reply_set_interval (stream, 0);
  moon_test_server_queue (f->server, stream);

  fixture_start (f);
  new_conversation (f);
  reply = send (f, "Count for me");
  row = wait_for_row (f, reply);

  moon_test_wait (moon_message_get_state (reply) == MOON_MESSAGE_STATE_DONE);
  moon_test_wait_frames (row, 2);

  renders = moon_message_row_get_n_renders (MOON_MESSAGE_ROW (row));
  g_test_message ("%u deltas, %u renders", n_deltas, renders);
  g_assert_cmpuint (renders, <, n_deltas / 2);
  g_assert_cmpstr (moon_message_get_content (reply), ==, answer->str);
  g_assert_true (row_shows_text (row, answer->str));
}

/* Stop in the middle: the partial reply stays, marked stopped, and
 * Continue appends to the same message. */
static void
test_stop_and_continue (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(MoonMessage) reply = NULL;
  MoonConversation *conversation;
  MoonTestReply *stream;
  GtkWidget *row;
  GtkWidget *continue_button;
  g_autofree char *partial = NULL;
  JsonObject *request;
  JsonArray *messages;
  JsonObject *last;

  /* role chunk + 3 of 6 pieces, then the server waits */
  stream = moon_test_reply_new_stream (NULL, "One, two, three, four, five, six.", 6);
  moon_test_reply_set_hold_after (stream, 4);
  moon_test_server_queue (f->server, stream);

  fixture_start (f);
  conversation = new_conversation (f);
  reply = send (f, "Count to six");
  row = wait_for_row (f, reply);

  moon_test_wait (moon_test_server_get_n_held (f->server) == 1 &&
                  moon_message_get_content_length (reply) > 0);
  moon_test_run_for (100);
  partial = g_strdup (moon_message_get_content (reply));
  g_assert_cmpstr (partial, !=, "");
  g_assert_false (g_str_has_suffix (partial, "six."));
  moon_test_screenshot (GTK_WIDGET (f->window), "streaming");

  /* Stop (the button, or Escape in the composer). */
  g_assert_true (moon_composer_get_busy (f->composer));
  gtk_widget_activate_action (GTK_WIDGET (f->composer), "composer.stop", NULL);
  moon_test_wait (moon_message_get_state (reply) == MOON_MESSAGE_STATE_CANCELLED);
  /* The server tries to go on; nothing more reaches the reply. */
  moon_test_server_release (f->server);
  moon_test_wait (moon_test_server_get_n_open (f->server) == 0);
  moon_test_run_for (100);
  moon_test_wait_frames (row, 2);

  g_assert_cmpstr (moon_message_get_content (reply), ==, partial);
  g_assert_true (row_shows_text (row, partial));
  g_assert_nonnull (strstr (footer_text (row), _("Stopped")));
  g_assert_false (moon_composer_get_busy (f->composer));
  continue_button = moon_test_find_button (row, "row.continue");
  g_assert_true (gtk_widget_get_visible (continue_button));
  moon_test_screenshot (GTK_WIDGET (f->window), "stopped");

  /* Continue: the rest lands in the same message. */
  moon_test_server_queue (f->server, moon_test_reply_new_stream (NULL, " And so on.", 2));
  g_signal_emit_by_name (continue_button, "clicked");
  moon_test_wait (moon_message_get_state (reply) == MOON_MESSAGE_STATE_DONE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 2);
  {
    g_autofree char *expected = g_strconcat (partial, " And so on.", NULL);

    g_assert_cmpstr (moon_message_get_content (reply), ==, expected);
  }

  request = moon_test_server_get_request (f->server, 1);
  messages = json_object_get_array_member (request, "messages");
  last = json_array_get_object_element (messages, json_array_get_length (messages) - 1);
  g_assert_cmpstr (json_object_get_string_member (last, "role"), ==, "assistant");
  g_assert_true (json_object_get_boolean_member (last, "partial"));
  g_assert_cmpstr (json_object_get_string_member (last, "content"), ==, partial);
}

/* A refused request shows the server's message in the row with Retry; a
 * stream cut off keeps its partial text. */
static void
test_error_and_retry (Fixture       *f,
                      gconstpointer  data)
{
  const char *server_message = "Invalid request: the model kimi-nonexistent does not exist";
  g_autoptr(MoonMessage) failed = NULL;
  g_autoptr(MoonMessage) reply = NULL;
  g_autoptr(MoonMessage) cut = NULL;
  MoonConversation *conversation;
  MoonTestReply *stream;
  GtkWidget *row;
  GtkWidget *error_box;
  GtkWidget *retry;

  moon_test_server_queue (f->server, moon_test_reply_new_error (400, "invalid_request_error", server_message));

  fixture_start (f);
  conversation = new_conversation (f);
  failed = send (f, "Hello?");
  row = wait_for_row (f, failed);

  moon_test_wait (moon_message_get_state (failed) == MOON_MESSAGE_STATE_FAILED);
  moon_test_wait_frames (row, 2);
  error_box = moon_test_find_widget (row, GTK_TYPE_BOX, "error-box");
  g_assert_true (gtk_widget_get_visible (error_box));
  {
    GtkWidget *label = moon_test_find_widget (error_box, GTK_TYPE_LABEL, NULL);

    g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (label)), server_message));
  }
  retry = moon_test_find_button (row, "row.retry");
  g_assert_true (gtk_widget_get_visible (retry));
  g_assert_false (moon_composer_get_busy (f->composer));
  moon_test_screenshot (GTK_WIDGET (f->window), "error");

  /* Retry replaces the failed reply. */
  moon_test_server_queue (f->server, moon_test_reply_new_stream (NULL, "Hello! I am here.", 3));
  g_signal_emit_by_name (retry, "clicked");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 2);
  reply = g_list_model_get_item (G_LIST_MODEL (conversation), 1);
  g_assert_true (reply != failed);
  moon_test_wait (moon_message_get_state (reply) == MOON_MESSAGE_STATE_DONE);
  g_assert_cmpstr (moon_message_get_content (reply), ==, "Hello! I am here.");
  g_assert_cmpuint (moon_test_server_get_n_requests (f->server), ==, 2);

  /* Cut off after two pieces of four: failed, and the two pieces stay. */
  stream = moon_test_reply_new_stream (NULL, "Alpha beta gamma delta", 4);
  moon_test_reply_set_end_after (stream, 3);
  moon_test_server_queue (f->server, stream);
  cut = send (f, "Greek letters?");
  row = wait_for_row (f, cut);
  moon_test_wait (moon_message_get_state (cut) == MOON_MESSAGE_STATE_FAILED);
  moon_test_wait_frames (row, 2);
  g_assert_cmpstr (moon_message_get_content (cut), !=, "");
  g_assert_true (g_str_has_prefix ("Alpha beta gamma delta", moon_message_get_content (cut)));
  g_assert_true (row_shows_text (row, moon_message_get_content (cut)));
  g_assert_true (gtk_widget_get_visible (moon_test_find_widget (row, GTK_TYPE_BOX, "error-box")));
}

static GtkWidget *
find_sidebar_row (MoonWindow       *window,
                  MoonConversation *conversation)
{
  g_autoptr(GPtrArray) rows = moon_test_find_all (GTK_WIDGET (window), MOON_TYPE_CONVERSATION_ROW);

  for (guint i = 0; i < rows->len; i++)
    {
      MoonConversationRow *row = g_ptr_array_index (rows, i);

      if (moon_conversation_row_get_conversation (row) == conversation)
        return GTK_WIDGET (row);
    }

  return NULL;
}

static gboolean
sidebar_row_busy (MoonWindow       *window,
                  MoonConversation *conversation)
{
  GtkWidget *row = find_sidebar_row (window, conversation);
  GtkWidget *spinner = row ? moon_test_find_widget (row, GTK_TYPE_SPINNER, NULL) : NULL;

  return spinner != NULL && gtk_widget_get_visible (spinner) && gtk_spinner_get_spinning (GTK_SPINNER (spinner));
}

/* Two conversations stream at once; switching between them shows each
 * one's own reply; both finish. */
static void
test_switch_while_streaming (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(MoonMessage) reply_a = NULL;
  g_autoptr(MoonMessage) reply_b = NULL;
  MoonConversation *a;
  MoonConversation *b;
  MoonChatController *controller;
  MoonTestReply *stream;

  stream = moon_test_reply_new_stream (NULL, "Answer for A, complete.", 4);
  moon_test_reply_set_hold_after (stream, 3);
  moon_test_server_queue (f->server, stream);
  stream = moon_test_reply_new_stream (NULL, "Answer for B, complete.", 4);
  moon_test_reply_set_hold_after (stream, 3);
  moon_test_server_queue (f->server, stream);

  fixture_start (f);
  controller = moon_application_get_controller (f->app);

  a = new_conversation (f);
  reply_a = send (f, "Question A");
  moon_test_wait (moon_test_server_get_n_held (f->server) == 1);

  b = new_conversation (f);
  g_assert_true (a != b);
  g_assert_false (moon_composer_get_busy (f->composer));
  reply_b = send (f, "Question B");
  moon_test_wait (moon_test_server_get_n_held (f->server) == 2);

  g_assert_cmpuint (moon_chat_controller_get_n_running (controller), ==, 2);
  g_assert_true (moon_conversation_get_is_busy (a));
  g_assert_true (moon_conversation_get_is_busy (b));
  moon_test_wait (sidebar_row_busy (f->window, a) && sidebar_row_busy (f->window, b));
  moon_test_screenshot (GTK_WIDGET (f->window), "two-streams");

  /* Back to A: its own partial reply, still arriving. */
  moon_window_open_conversation (f->window, a);
  g_assert_true (moon_chat_view_get_conversation (f->chat_view) == a);
  g_assert_true (moon_composer_get_busy (f->composer));
  moon_test_wait (moon_test_find_message_row (f->window, reply_a) != NULL);
  g_assert_null (moon_test_find_message_row (f->window, reply_b));

  moon_test_server_release (f->server);
  moon_test_wait (moon_message_get_state (reply_a) == MOON_MESSAGE_STATE_DONE &&
                  moon_message_get_state (reply_b) == MOON_MESSAGE_STATE_DONE);
  g_assert_cmpstr (moon_message_get_content (reply_a), ==, "Answer for A, complete.");
  g_assert_cmpstr (moon_message_get_content (reply_b), ==, "Answer for B, complete.");
  g_assert_cmpuint (moon_chat_controller_get_n_running (controller), ==, 0);
  moon_test_wait (!sidebar_row_busy (f->window, a));
  g_assert_false (moon_composer_get_busy (f->composer));
}

static MoonConversation *
saved_conversation (const char *title,
                    const char *question,
                    const char *answer)
{
  MoonConversation *conversation = moon_conversation_new ();
  g_autoptr(MoonMessage) user = moon_message_new (MOON_MESSAGE_ROLE_USER, question);
  g_autoptr(MoonMessage) assistant = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, answer);
  g_autofree char *path = NULL;

  moon_message_set_state (user, MOON_MESSAGE_STATE_DONE);
  moon_message_set_state (assistant, MOON_MESSAGE_STATE_DONE);
  moon_conversation_append_message (conversation, user);
  moon_conversation_append_message (conversation, assistant);
  if (title != NULL)
    moon_conversation_set_title (conversation, title);

  path = moon_test_write_conversation (conversation);
  return conversation;
}

static GtkWidget *
find_toast_button (GtkWidget  *root,
                   const char *label)
{
  g_autoptr(GPtrArray) buttons = moon_test_find_all (root, GTK_TYPE_BUTTON);

  for (guint i = 0; i < buttons->len; i++)
    {
      GtkWidget *button = g_ptr_array_index (buttons, i);

      if (g_strcmp0 (gtk_button_get_label (GTK_BUTTON (button)), label) == 0)
        return button;
    }

  return NULL;
}

/* Delete shows a toast; Undo brings the conversation back; a deletion left
 * alone becomes final when the window closes (the file goes to the trash). */
static void
test_delete_and_undo (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(MoonConversation) written = saved_conversation ("Delete me", "Q", "A");
  g_autoptr(GFile) dir = moon_conversation_store_get_default_directory ();
  g_autofree char *name = g_strdup_printf ("%s.json", moon_conversation_get_id (written));
  g_autofree char *path = g_build_filename (g_file_peek_path (dir), name, NULL);
  MoonConversationStore *store;
  MoonConversation *conversation;
  GtkWidget *undo;
  guint n;

  fixture_start (f);
  store = moon_application_get_store (f->app);
  moon_test_wait (moon_conversation_store_lookup (store, moon_conversation_get_id (written)) != NULL);
  conversation = moon_conversation_store_lookup (store, moon_conversation_get_id (written));
  moon_window_open_conversation (f->window, conversation);
  n = g_list_model_get_n_items (G_LIST_MODEL (store));

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.delete-conversation", "s",
                              moon_conversation_get_id (conversation));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, n - 1);
  g_assert_null (moon_conversation_store_lookup (store, moon_conversation_get_id (written)));
  g_assert_null (moon_window_get_conversation (f->window));

  moon_test_wait ((undo = find_toast_button (GTK_WIDGET (f->window), _("_Undo"))) != NULL);
  moon_test_screenshot (GTK_WIDGET (f->window), "deleted-toast");
  g_signal_emit_by_name (undo, "clicked");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, n);
  g_assert_nonnull (moon_conversation_store_lookup (store, moon_conversation_get_id (written)));
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  /* Again, and this time no undo before quitting. */
  moon_test_run_for (300);
  conversation = moon_conversation_store_lookup (store, moon_conversation_get_id (written));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.delete-conversation", "s",
                              moon_conversation_get_id (conversation));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, n - 1);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  fixture_quit (f);
  moon_test_wait (!g_file_test (path, G_FILE_TEST_EXISTS));
}

/* What is typed stays with its conversation, and survives a restart. */
static void
test_drafts (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(MoonConversation) written_a = saved_conversation ("Draft A", "QA", "AA");
  g_autoptr(MoonConversation) written_b = saved_conversation ("Draft B", "QB", "AB");
  MoonConversationStore *store;
  MoonConversation *a, *b;
  g_autofree char *text = NULL;
  g_autoptr(GFile) drafts_file = moon_drafts_get_default_file ();
  g_autofree char *drafts = NULL;

  fixture_start (f);
  store = moon_application_get_store (f->app);
  moon_test_wait (moon_conversation_store_lookup (store, moon_conversation_get_id (written_b)) != NULL);
  a = moon_conversation_store_lookup (store, moon_conversation_get_id (written_a));
  b = moon_conversation_store_lookup (store, moon_conversation_get_id (written_b));

  moon_window_open_conversation (f->window, a);
  moon_composer_set_text (f->composer, "half a thought for A");
  moon_window_open_conversation (f->window, b);
  text = moon_composer_dup_text (f->composer);
  g_assert_cmpstr (text, ==, "");
  g_clear_pointer (&text, g_free);

  moon_window_open_conversation (f->window, a);
  text = moon_composer_dup_text (f->composer);
  g_assert_cmpstr (text, ==, "half a thought for A");
  g_clear_pointer (&text, g_free);

  fixture_quit (f);

  g_assert_true (g_file_load_contents (drafts_file, NULL, &drafts, NULL, NULL, NULL));
  g_assert_nonnull (strstr (drafts, "half a thought for A"));

  /* Restart: the last conversation opens with its draft. */
  fixture_start (f);
  moon_test_wait (moon_window_get_conversation (f->window) != NULL);
  g_assert_cmpstr (moon_conversation_get_id (moon_window_get_conversation (f->window)), ==,
                   moon_conversation_get_id (written_a));
  moon_test_wait (moon_drafts_get_loaded (moon_application_get_drafts (f->app)));
  text = moon_composer_dup_text (f->composer);
  g_assert_cmpstr (text, ==, "half a thought for A");
}

static void
read_clipboard_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  char **text = user_data;
  g_autoptr(GError) error = NULL;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  g_assert_no_error (error);
}

static char *
read_clipboard (GtkWidget *widget)
{
  char *text = NULL;

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget), NULL, read_clipboard_cb, &text);
  moon_test_wait (text != NULL);

  return text;
}

/* The message actions: copy the last reply, edit and resend a question,
 * regenerate a reply, delete a message. */
static void
test_message_actions (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(MoonMessage) first = NULL;
  g_autoptr(MoonMessage) question = NULL;
  g_autoptr(MoonMessage) edited_reply = NULL;
  g_autoptr(MoonMessage) regenerated = NULL;
  MoonConversation *conversation;
  GtkWidget *row;
  g_autofree char *copied = NULL;
  g_autofree char *in_composer = NULL;
  JsonObject *request;
  JsonArray *messages;

  moon_test_server_queue (f->server, moon_test_reply_new_stream (NULL, "Paris is the capital of France.", 3));
  moon_test_server_queue (f->server, moon_test_reply_new_stream (NULL, "Rome is the capital of Italy.", 3));
  moon_test_server_queue (f->server, moon_test_reply_new_stream (NULL, "Rome, on the Tiber.", 3));

  fixture_start (f);
  conversation = new_conversation (f);
  first = send (f, "Capital of France?");
  moon_test_wait (moon_message_get_state (first) == MOON_MESSAGE_STATE_DONE);

  /* Ctrl+Shift+C copies the last reply. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.copy-last-reply", NULL);
  copied = read_clipboard (GTK_WIDGET (f->window));
  g_assert_cmpstr (copied, ==, "Paris is the capital of France.");

  /* Edit and resend: the question gets new text, the old reply goes. */
  question = g_list_model_get_item (G_LIST_MODEL (conversation), 0);
  row = wait_for_row (f, question);
  g_signal_emit_by_name (moon_test_find_button (row, "row.edit"), "clicked");
  in_composer = moon_composer_dup_text (f->composer);
  g_assert_cmpstr (in_composer, ==, "Capital of France?");
  g_assert_true (moon_composer_get_editing (f->composer) == question);
  moon_test_screenshot (GTK_WIDGET (f->window), "editing");

  moon_composer_set_text (f->composer, "Capital of Italy?");
  gtk_widget_activate_action (GTK_WIDGET (f->composer), "composer.send", NULL);
  g_assert_null (moon_composer_get_editing (f->composer));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 2);
  edited_reply = g_list_model_get_item (G_LIST_MODEL (conversation), 1);
  moon_test_wait (moon_message_get_state (edited_reply) == MOON_MESSAGE_STATE_DONE);
  {
    g_autoptr(MoonMessage) now = g_list_model_get_item (G_LIST_MODEL (conversation), 0);

    g_assert_cmpstr (moon_message_get_content (now), ==, "Capital of Italy?");
  }
  g_assert_cmpstr (moon_message_get_content (edited_reply), ==, "Rome is the capital of Italy.");
  request = moon_test_server_get_request (f->server, 1);
  messages = json_object_get_array_member (request, "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++)
    g_assert_null (strstr (json_object_get_string_member (json_array_get_object_element (messages, i), "content"),
                           "France"));

  /* Regenerate replaces the reply. */
  row = wait_for_row (f, edited_reply);
  g_signal_emit_by_name (moon_test_find_button (row, "row.regenerate"), "clicked");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 2);
  regenerated = g_list_model_get_item (G_LIST_MODEL (conversation), 1);
  g_assert_true (regenerated != edited_reply);
  moon_test_wait (moon_message_get_state (regenerated) == MOON_MESSAGE_STATE_DONE);
  g_assert_cmpstr (moon_message_get_content (regenerated), ==, "Rome, on the Tiber.");

  /* Delete a message. */
  row = wait_for_row (f, regenerated);
  g_signal_emit_by_name (moon_test_find_button (row, "row.delete"), "clicked");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 1);
}

/* Quitting while a reply streams stops it, keeps what arrived, and saves
 * it before the process ends. */
static void
test_quit_while_streaming (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(MoonMessage) reply = NULL;
  g_autoptr(MoonConversation) conversation = NULL;
  g_autofree char *partial = NULL;
  g_autofree char *saved = NULL;
  MoonTestReply *stream;

  stream = moon_test_reply_new_stream (NULL, "First half, then the second half.", 4);
  moon_test_reply_set_hold_after (stream, 3);
  moon_test_server_queue (f->server, stream);

  fixture_start (f);
  conversation = g_object_ref (new_conversation (f));
  reply = send (f, "Tell me in two halves");
  moon_test_wait (moon_test_server_get_n_held (f->server) == 1 &&
                  moon_message_get_content_length (reply) > 0);
  moon_test_run_for (100);
  partial = g_strdup (moon_message_get_content (reply));

  fixture_quit (f);

  g_assert_cmpint (moon_message_get_state (reply), ==, MOON_MESSAGE_STATE_CANCELLED);
  saved = read_saved_file (conversation);
  g_assert_nonnull (strstr (saved, partial));
  g_assert_nonnull (strstr (saved, "\"state\":\"cancelled\""));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/ui/chat/send-and-stream", Fixture, NULL, fixture_set_up, test_send_and_stream, fixture_tear_down);
  g_test_add ("/ui/chat/render-coalesced", Fixture, NULL, fixture_set_up, test_render_coalesced, fixture_tear_down);
  g_test_add ("/ui/chat/stop-and-continue", Fixture, NULL, fixture_set_up, test_stop_and_continue, fixture_tear_down);
  g_test_add ("/ui/chat/error-and-retry", Fixture, NULL, fixture_set_up, test_error_and_retry, fixture_tear_down);
  g_test_add ("/ui/chat/switch-while-streaming", Fixture, NULL, fixture_set_up, test_switch_while_streaming, fixture_tear_down);
  g_test_add ("/ui/chat/delete-and-undo", Fixture, NULL, fixture_set_up, test_delete_and_undo, fixture_tear_down);
  g_test_add ("/ui/chat/drafts", Fixture, NULL, fixture_set_up, test_drafts, fixture_tear_down);
  g_test_add ("/ui/chat/message-actions", Fixture, NULL, fixture_set_up, test_message_actions, fixture_tear_down);
  g_test_add ("/ui/chat/quit-while-streaming", Fixture, NULL, fixture_set_up, test_quit_while_streaming, fixture_tear_down);

  return g_test_run ();
}
