/* test-store.c — MoonConversationStore on real files in temporary folders
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "history-test-util.h"

typedef struct
{
  guint             saved;
  guint             save_failed;
  guint             set_aside;
  guint             read_only;
  guint             conflicts;
  GError           *last_error;
  GFile            *last_conflict;
  MoonConversation *last_saved;
} Events;

static void
saved_cb (MoonConversationStore *store,
          MoonConversation      *conversation,
          Events                *events)
{
  events->saved++;
  events->last_saved = conversation;
}

static void
save_failed_cb (MoonConversationStore *store,
                MoonConversation      *conversation,
                const GError          *error,
                Events                *events)
{
  events->save_failed++;
  g_clear_error (&events->last_error);
  events->last_error = g_error_copy (error);
}

static void
set_aside_cb (MoonConversationStore *store,
              GFile                 *file,
              GFile                 *moved_to,
              const GError          *reason,
              Events                *events)
{
  events->set_aside++;
}

static void
read_only_cb (MoonConversationStore *store,
              MoonConversation      *conversation,
              const GError          *reason,
              Events                *events)
{
  events->read_only++;
  g_clear_error (&events->last_error);
  events->last_error = g_error_copy (reason);
}

static void
conflict_cb (MoonConversationStore *store,
             MoonConversation      *conversation,
             GFile                 *copy,
             Events                *events)
{
  events->conflicts++;
  g_set_object (&events->last_conflict, copy);
}

static void
events_watch (Events                *events,
              MoonConversationStore *store)
{
  g_signal_connect (store, "saved", G_CALLBACK (saved_cb), events);
  g_signal_connect (store, "save-failed", G_CALLBACK (save_failed_cb), events);
  g_signal_connect (store, "file-set-aside", G_CALLBACK (set_aside_cb), events);
  g_signal_connect (store, "file-read-only", G_CALLBACK (read_only_cb), events);
  g_signal_connect (store, "conflict", G_CALLBACK (conflict_cb), events);
}

static void
events_clear (Events *events)
{
  g_clear_error (&events->last_error);
  g_clear_object (&events->last_conflict);
  memset (events, 0, sizeof *events);
}

static MoonMessage *
append (MoonConversation *conversation,
        MoonMessageRole   role,
        const char       *text)
{
  g_autoptr(MoonMessage) message = moon_message_new (role, text);

  moon_conversation_append_message (conversation, message);
  return message;
}

/* A conversation with @n user/assistant pairs whose texts start with @tag. */
static MoonConversation *
add_conversation (MoonConversationStore *store,
                  const char            *tag,
                  guint                  n)
{
  MoonConversation *conversation = moon_conversation_store_create (store);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *question = g_strdup_printf ("%s question %u", tag, i);
      g_autofree char *answer = g_strdup_printf ("%s answer %u", tag, i);

      append (conversation, MOON_MESSAGE_ROLE_USER, question);
      append (conversation, MOON_MESSAGE_ROLE_ASSISTANT, answer);
    }

  return conversation;
}

static MoonConversation *
find_by_title (MoonConversationStore *store,
               const char            *title)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));

  for (guint i = 0; i < n; i++)
    {
      MoonConversation *conversation = test_get_conversation (store, i);

      if (g_str_equal (moon_conversation_get_title (conversation), title))
        return conversation;
    }

  return NULL;
}

static MoonMessage *
message_at (MoonConversation *conversation,
            guint             position)
{
  g_autoptr(MoonMessage) message = g_list_model_get_item (G_LIST_MODEL (conversation), position);

  g_assert_nonnull (message);
  return message;
}

/* ------------------------------------------------------------------------ */

static void
test_round_trip (void)
{
  g_autofree char *dir = test_make_dir ();
  g_autoptr(MoonConversationStore) store = test_store_open (dir);
  g_autoptr(MoonConversationStore) again = NULL;
  g_autofree char *path = NULL;
  g_autofree char *index_path = NULL;
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GString) big = g_string_sized_new (1024 * 1024 + 64);
  const char *texts[] = {
    "你好，世界！这是一段中文。",
    "Emoji 😀👩‍👩‍👧‍👦🏳️‍🌈 and a flag 🇨🇳",
    "مرحبا بالعالم — עברית ‏RTL‏ mixed with LTR",
    "Control \t \" \\ \u00e9 \u2028 line separator",
  };
  MoonConversation *conversation, *loaded;
  struct stat st;

  /* 1 MB of mixed text, not just one repeated byte. */
  while (big->len < 1024 * 1024)
    g_string_append (big, "Kimi 月之暗面 🌙 — ");

  conversation = moon_conversation_store_create (store);
  g_assert_false (moon_conversation_get_read_only (conversation));
  moon_conversation_set_model (conversation, "kimi-k2-turbo-preview");
  moon_conversation_set_system_prompt (conversation, "请用中文回答。");
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      append (conversation, MOON_MESSAGE_ROLE_USER, texts[i]);
      append (conversation, MOON_MESSAGE_ROLE_ASSISTANT, texts[(i + 1) % G_N_ELEMENTS (texts)]);
    }
  append (conversation, MOON_MESSAGE_ROLE_USER, big->str);
  append (conversation, MOON_MESSAGE_ROLE_ASSISTANT, big->str);
  id = g_strdup (moon_conversation_get_id (conversation));

  test_store_flush (store);

  path = test_conversation_path (store, conversation);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_str_has_suffix (path, ".json"));

  /* The index is written too, also private. */
  index_path = g_file_get_path (moon_conversation_store_get_index_file (store));
  g_assert_cmpint (g_stat (index_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  root = test_parse_file (path);
  g_assert_cmpstr (json_object_get_string_member (root, "format"), ==, "moonchat-conversation");
  g_assert_cmpint (json_object_get_int_member (root, "version"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (root, "id"), ==, id);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (root, "updated"), "Z"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "messages")), ==, 10);

  test_store_close (g_steal_pointer (&store));

  again = test_store_open (dir);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 1);
  loaded = moon_conversation_store_lookup (again, id);
  g_assert_nonnull (loaded);
  g_assert_false (moon_conversation_get_is_loaded (loaded));
  g_assert_cmpstr (moon_conversation_get_title (loaded), ==, texts[0]);

  test_ensure_loaded (again, loaded);
  g_assert_cmpstr (moon_conversation_get_model (loaded), ==, "kimi-k2-turbo-preview");
  g_assert_cmpstr (moon_conversation_get_system_prompt (loaded), ==, "请用中文回答。");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (loaded)), ==, 10);
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_assert_cmpstr (moon_message_get_content (message_at (loaded, 2 * i)), ==, texts[i]);
      g_assert_cmpint (moon_message_get_role (message_at (loaded, 2 * i + 1)), ==, MOON_MESSAGE_ROLE_ASSISTANT);
    }
  g_assert_cmpstr (moon_message_get_content (message_at (loaded, 8)), ==, big->str);
  g_assert_cmpstr (moon_message_get_content (message_at (loaded, 9)), ==, big->str);

  test_store_close (g_steal_pointer (&again));
  test_rm_rf (dir);
}

static void
test_unknown_fields (void)
{
  g_autofree char *dir = test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "hand-made.json", NULL);
  g_autoptr(MoonConversationStore) store = NULL;
  g_autoptr(JsonObject) root = NULL;
  MoonConversation *conversation;
  JsonArray *messages;
  JsonObject *settings;

  test_write_file (path,
                   "{\"format\":\"moonchat-conversation\",\"version\":1,\"id\":\"c-1\","
                   "\"title\":\"Plans\",\"created\":\"2026-01-01T00:00:00Z\",\"updated\":\"2026-01-02T00:00:00Z\","
                   "\"workspace\":{\"color\":\"teal\",\"pinned\":true},"
                   "\"settings\":{\"model\":\"kimi-latest\",\"top_p\":0.9,\"tools\":[{\"type\":\"web_search\"}]},"
                   "\"summary\":{\"text\":\"so far\",\"first_message_id\":\"m1\",\"last_message_id\":\"m1\",\"tokens\":12},"
                   "\"messages\":["
                   "{\"id\":\"m1\",\"role\":\"user\",\"content\":\"hi\",\"created\":\"2026-01-01T00:00:00Z\",\"attachments\":[\"cat.png\"]},"
                   "{\"id\":\"m2\",\"role\":\"assistant\",\"content\":\"hello\",\"created\":\"2026-01-01T00:00:01Z\",\"rating\":5}"
                   "]}");

  store = test_store_open (dir);
  conversation = moon_conversation_store_lookup (store, "c-1");
  g_assert_nonnull (conversation);
  g_assert_cmpstr (moon_conversation_get_title (conversation), ==, "Plans");
  test_ensure_loaded (store, conversation);
  g_assert_false (moon_conversation_get_read_only (conversation));

  append (conversation, MOON_MESSAGE_ROLE_USER, "one more");
  test_store_flush (store);

  root = test_parse_file (path);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (root, "workspace"), "color"), ==, "teal");
  settings = json_object_get_object_member (root, "settings");
  g_assert_cmpstr (json_object_get_string_member (settings, "model"), ==, "kimi-latest");
  g_assert_cmpfloat (json_object_get_double_member (settings, "top_p"), ==, 0.9);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (settings, "tools")), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "summary"), "tokens"), ==, 12);

  messages = json_object_get_array_member (root, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 3);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (json_array_get_object_element (messages, 0), "attachments"), 0), ==, "cat.png");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (messages, 1), "rating"), ==, 5);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 2), "content"), ==, "one more");

  test_store_close (g_steal_pointer (&store));
  test_rm_rf (dir);
}

static void
test_startup_reads_index_only (void)
{
  g_autofree char *dir = test_make_dir ();
  g_autoptr(MoonConversationStore) store = test_store_open (dir);
  g_autoptr(MoonConversationStore) again = NULL;
  guint n;

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *tag = g_strdup_printf ("topic-%u", i);

      add_conversation (store, tag, 3);
    }
  test_store_close (g_steal_pointer (&store));

  again = test_store_new (dir);
  g_assert_true (g_file_query_exists (moon_conversation_store_get_index_file (again), NULL));
  test_store_load (again);

  /* Every conversation is listed with its title, none was parsed. */
  g_assert_cmpuint (moon_conversation_store_get_files_parsed (again), ==, 0);
  n = g_list_model_get_n_items (G_LIST_MODEL (again));
  g_assert_cmpuint (n, ==, 10);
  for (guint i = 0; i < n; i++)
    {
      MoonConversation *conversation = test_get_conversation (again, i);
      g_autofree char *expected = g_strdup_printf ("topic-%u question 0", 9 - i);

      g_assert_false (moon_conversation_get_is_loaded (conversation));
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 0);
      /* Newest first. */
      g_assert_cmpstr (moon_conversation_get_title (conversation), ==, expected);
    }

  /* Opening one reads just that file. */
  test_ensure_loaded (again, test_get_conversation (again, 3));
  g_assert_cmpuint (moon_conversation_store_get_files_parsed (again), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (test_get_conversation (again, 3))), ==, 6);

  test_store_close (g_steal_pointer (&again));
  test_rm_rf (dir);
}

static void
test_index_rebuild (void)
{
  g_autofree char *dir = test_make_dir ();
  g_autoptr(MoonConversationStore) store = test_store_open (dir);
  g_autofree char *index_path = g_file_get_path (moon_conversation_store_get_index_file (store));
  g_autofree char *changed_path = NULL;
  g_autofree char *removed_path = NULL;
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *tag = g_strdup_printf ("t%u", i);

      add_conversation (store, tag, 1);
    }
  changed_path = test_conversation_path (store, moon_conversation_store_lookup (store,
                                         moon_conversation_get_id (find_by_title (store, "t1 question 0"))));
  removed_path = test_conversation_path (store, find_by_title (store, "t2 question 0"));
  test_store_close (g_steal_pointer (&store));

  /* 1. The index deleted: every file is read once, then the index is back. */
  g_assert_cmpint (g_unlink (index_path), ==, 0);
  store = test_store_open (dir);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 5);
  g_assert_cmpuint (moon_conversation_store_get_files_parsed (store), ==, 5);
  test_store_close (g_steal_pointer (&store));
  g_assert_true (g_file_test (index_path, G_FILE_TEST_EXISTS));

  store = test_store_open (dir);
  g_assert_cmpuint (moon_conversation_store_get_files_parsed (store), ==, 0);
  test_store_close (g_steal_pointer (&store));

  /* 2. A stale entry: another program changed one file. Only it is read. */
  root = test_parse_file (changed_path);
  json_object_set_string_member (root, "title", "Renamed elsewhere");
  json_object_set_boolean_member (root, "title_is_custom", TRUE);
  node = json_node_init_object (json_node_alloc (), root);
  text = json_to_string (node, FALSE);
  test_write_file (changed_path, text);
  /* 3. A missing file: its entry goes. */
  g_assert_cmpint (g_unlink (removed_path), ==, 0);

  store = test_store_open (dir);
  g_assert_cmpuint (moon_conversation_store_get_files_parsed (store), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 4);
  g_assert_nonnull (find_by_title (store, "Renamed elsewhere"));
  g_assert_null (find_by_title (store, "t2 question 0"));
  test_store_close (g_steal_pointer (&store));

  /* 4. Garbage in the index: ignored and rebuilt. */
  test_write_file (index_path, "{\"format\":\"moonchat-index\",\"version\":1,\"entries\":[{\"file\":7}, 3, null");
  store = test_store_open (dir);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 4);
  g_assert_cmpuint (moon_conversation_store_get_files_parsed (store), ==, 4);
  test_store_close (g_steal_pointer (&store));

  store = test_store_open (dir);
  g_assert_cmpuint (moon_conversation_store_get_files_parsed (store), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 4);
  test_store_close (g_steal_pointer (&store));

  test_rm_rf (dir);
}

static void
test_debounce (void)
{
  g_autofree char *dir = test_make_dir ();
  g_autoptr(MoonConversationStore) store = test_store_open (dir);
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) root = NULL;
  Events events = { 0 };
  MoonConversation *conversation;

  g_object_set (store, "save-delay", 50, NULL);
  events_watch (&events, store);

  /* Many changes in one go make one write. */
  conversation = moon_conversation_store_create (store);
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);

      append (conversation, i % 2 ? MOON_MESSAGE_ROLE_ASSISTANT : MOON_MESSAGE_ROLE_USER, text);
    }
  moon_conversation_set_model (conversation, "kimi-k2");
  moon_conversation_store_save (store, conversation);

  RUN_UNTIL (events.saved >= 1);
  test_wait_ms (300);
  g_assert_cmpuint (events.saved, ==, 1);

  path = test_conversation_path (store, conversation);
  root = test_parse_file (path);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "messages")), ==, 200);

  /* An unused new conversation writes nothing. */
  moon_conversation_store_create (store);
  test_store_flush (store);
  g_assert_cmpuint (events.saved, ==, 1);
  g_assert_cmpuint (test_count_files (dir, test_is_json_name), ==, 1);

  test_store_close (g_steal_pointer (&store));
  events_clear (&events);
  test_rm_rf (dir);
}

typedef struct
{
  MoonMessage *reply;
  guint        n;
  gboolean     done;
  gint64       until;
} Streamer;

static gboolean
stream_tick_cb (gpointer data)
{
  Streamer *streamer = data;
  g_autofree char *token = g_strdup_printf ("token%u ", streamer->n++);

  moon_message_append_content (streamer->reply, token, -1);
  if (g_get_monotonic_time () >= streamer->until)
    {
      streamer->done = TRUE;
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

typedef struct
{
  MoonConversationStore *store;
  MoonConversation      *conversation;
  char                  *checkpoint_copy;  /* the file as of the first checkpoint */
  char                  *checkpoint_text;  /* the reply text in it */
  guint                  checkpoints;
  gboolean               prefix_ok;
} CheckpointWatch;

static void
checkpoint_saved_cb (MoonConversationStore *store,
                     MoonConversation      *conversation,
                     CheckpointWatch       *watch)
{
  g_autofree char *path = test_conversation_path (store, conversation);
  g_autofree char *text = test_read_file (path);
  g_autoptr(JsonObject) root = test_parse_object (text);
  JsonArray *messages = json_object_get_array_member (root, "messages");
  JsonObject *reply = json_array_get_object_element (messages, json_array_get_length (messages) - 1);
  MoonMessage *live = moon_conversation_get_last_message (conversation);

  if (!moon_conversation_get_is_busy (conversation))
    return;

  watch->checkpoints++;
  /* What is on disk is what had arrived by then. */
  watch->prefix_ok &= g_str_equal (json_object_get_string_member (reply, "state"), "streaming") &&
                      g_str_has_prefix (moon_message_get_content (live),
                                        json_object_get_string_member (reply, "content"));

  if (watch->checkpoint_copy == NULL)
    {
      watch->checkpoint_copy = g_steal_pointer (&text);
      watch->checkpoint_text = g_strdup (json_object_get_string_member (reply, "content"));
    }
}

static void
test_checkpoints_while_streaming (void)
{
  g_autofree char *dir = test_make_dir ();
  g_autofree char *crash_dir = test_make_dir ();
  g_autoptr(MoonConversationStore) store = test_store_open (dir);
  g_autoptr(MoonConversationStore) after_crash = NULL;
  g_autoptr(MoonMessage) reply = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, NULL);
  g_autoptr(JsonObject) root = NULL;
  g_autofree char *path = NULL;
  g_autofree char *crash_path = NULL;
  CheckpointWatch watch = { 0 };
  Streamer streamer = { 0 };
  MoonConversation *conversation, *recovered;
  MoonMessage *recovered_reply;
  JsonArray *messages;
  const guint interval_ms = 200;
  gint64 start, elapsed_ms;
  guint saved_before;
  Events events = { 0 };

  g_object_set (store, "save-delay", 20, "checkpoint-interval", interval_ms, NULL);
  events_watch (&events, store);

  conversation = moon_conversation_store_create (store);
  append (conversation, MOON_MESSAGE_ROLE_USER, "Tell me a long story");
  moon_message_set_state (reply, MOON_MESSAGE_STATE_STREAMING);
  moon_conversation_append_message (conversation, reply);
  g_assert_true (moon_conversation_get_is_busy (conversation));

  watch.prefix_ok = TRUE;
  g_signal_connect (store, "saved", G_CALLBACK (checkpoint_saved_cb), &watch);

  /* Deltas every 5 ms for 1.2 s: 240 changes. */
  streamer.reply = reply;
  start = g_get_monotonic_time ();
  streamer.until = start + 1200 * 1000;
  g_timeout_add (5, stream_tick_cb, &streamer);
  RUN_UNTIL (streamer.done);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  saved_before = events.saved;

  g_test_message ("%u deltas, %u checkpoints in %" G_GINT64_FORMAT " ms",
                  streamer.n, watch.checkpoints, elapsed_ms);
  g_assert_cmpuint (streamer.n, >, 20);
  /* At least one checkpoint, and no more than one per interval (the first
   * write may start at once). */
  g_assert_cmpuint (watch.checkpoints, >=, 1);
  g_assert_cmpuint (saved_before, <=, elapsed_ms / interval_ms + 2);
  g_assert_true (watch.prefix_ok);

  /* The app "crashes" now: load the first checkpoint elsewhere. */
  crash_path = g_build_filename (crash_dir, "crashed.json", NULL);
  test_write_file (crash_path, watch.checkpoint_copy);
  after_crash = test_store_open (crash_dir);
  recovered = test_get_conversation (after_crash, 0);
  test_ensure_loaded (after_crash, recovered);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (recovered)), ==, 2);
  recovered_reply = message_at (recovered, 1);
  g_assert_cmpint (moon_message_get_state (recovered_reply), ==, MOON_MESSAGE_STATE_INTERRUPTED);
  g_assert_cmpstr (moon_message_get_content (recovered_reply), ==, watch.checkpoint_text);
  g_assert_cmpstr (moon_message_get_content (message_at (recovered, 0)), ==, "Tell me a long story");
  g_assert_false (moon_conversation_get_is_busy (recovered));
  test_store_close (g_steal_pointer (&after_crash));

  /* Finishing saves once more by itself, with everything (a checkpoint
   * may still have been in flight, so wait for the save that has it). */
  moon_message_set_state (reply, MOON_MESSAGE_STATE_DONE);
  path = test_conversation_path (store, conversation);
  for (;;)
    {
      guint seen = events.saved;

      RUN_UNTIL (events.saved > seen);
      g_clear_pointer (&root, json_object_unref);
      root = test_parse_file (path);
      messages = json_object_get_array_member (root, "messages");
      if (g_str_equal (json_object_get_string_member (json_array_get_object_element (messages, 1), "state"), "done"))
        break;
    }
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "content"), ==,
                   moon_message_get_content (reply));

  g_signal_handlers_disconnect_by_data (store, &watch);
  test_store_close (g_steal_pointer (&store));
  g_free (watch.checkpoint_copy);
  g_free (watch.checkpoint_text);
  events_clear (&events);
  test_rm_rf (dir);
  test_rm_rf (crash_dir);
}

static void
test_delete_undo_commit (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "moonchat-delete-XXXXXX", NULL);
  g_autoptr(MoonConversationStore) store = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) moved_to = NULL;
  g_autofree char *path = NULL;
  g_autofree char *basename = NULL;
  g_autofree char *trashed = NULL;
  g_autofree char *trashed_text = NULL;
  MoonConversation *keep, *doomed, *unsaved;
  guint token;

  /* Under XDG_DATA_HOME, so the trash is the test home's. */
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  g_assert_nonnull (g_mkdtemp_full (dir, 0700));
  store = test_store_open (dir);
  keep = add_conversation (store, "keep", 1);
  doomed = add_conversation (store, "doomed", 2);
  test_store_flush (store);
  path = test_conversation_path (store, doomed);
  basename = g_path_get_basename (path);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 2);

  /* Delete and undo: nothing happened. */
  token = moon_conversation_store_delete (store, doomed);
  g_assert_cmpuint (token, !=, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (moon_conversation_store_undo_delete (store, token));
  g_assert_false (moon_conversation_store_undo_delete (store, token));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 2);
  g_assert_true (test_get_conversation (store, 0) == doomed);

  /* Changes made while hidden survive an undo. */
  token = moon_conversation_store_delete (store, doomed);
  append (doomed, MOON_MESSAGE_ROLE_USER, "edited while deleted");
  g_assert_true (moon_conversation_store_undo_delete (store, token));
  test_store_flush (store);
  {
    g_autoptr(JsonObject) root = test_parse_file (path);

    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "messages")), ==, 5);
  }

  /* Delete and commit: the file is in the trash, not unlinked. */
  token = moon_conversation_store_delete (store, doomed);
  moon_conversation_store_commit_delete_async (store, token, NULL, test_result_cb, &result);
  RUN_UNTIL (result != NULL);
  g_assert_true (moon_conversation_store_commit_delete_finish (store, result, &moved_to, &error));
  g_assert_no_error (error);
  g_assert_null (moved_to);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  trashed = g_build_filename (g_get_user_data_dir (), "Trash", "files", basename, NULL);
  g_assert_true (g_file_test (trashed, G_FILE_TEST_IS_REGULAR));
  trashed_text = test_read_file (trashed);
  g_assert_nonnull (strstr (trashed_text, "edited while deleted"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  g_assert_true (test_get_conversation (store, 0) == keep);

  /* A token is good once. */
  g_clear_object (&result);
  moon_conversation_store_commit_delete_async (store, token, NULL, test_result_cb, &result);
  RUN_UNTIL (result != NULL);
  g_assert_false (moon_conversation_store_commit_delete_finish (store, result, NULL, &error));
  g_assert_error (error, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A conversation never saved just goes. */
  unsaved = moon_conversation_store_create (store);
  token = moon_conversation_store_delete (store, unsaved);
  g_clear_object (&result);
  moon_conversation_store_commit_delete_async (store, token, NULL, test_result_cb, &result);
  RUN_UNTIL (result != NULL);
  g_assert_true (moon_conversation_store_commit_delete_finish (store, result, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  test_store_close (g_steal_pointer (&store));

  /* And the next start agrees. */
  store = test_store_open (dir);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  test_store_close (g_steal_pointer (&store));
  test_rm_rf (dir);
}

static void
count_changes_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  guint      *count)
{
  (*count)++;
}

/* Writes @root to @path the way a sync tool does: a temporary file renamed
 * over the target. */
static void
external_write (const char *path,
                JsonObject *root)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), root);
  g_autofree char *text = json_to_string (node, TRUE);

  test_write_file (path, text);
}

static JsonObject *
external_message (const char *id,
                  const char *role,
                  const char *content)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "id", id);
  json_object_set_string_member (message, "role", role);
  json_object_set_string_member (message, "content", content);
  json_object_set_string_member (message, "created", "2026-03-01T10:00:00Z");
  return message;
}

static void
test_monitor_external_changes (void)
{
  g_autofree char *dir = test_make_dir ();
  g_autoptr(MoonConversationStore) store = test_store_open (dir);
  g_autoptr(JsonObject) root = NULL;
  g_autofree char *path = NULL;
  g_autofree char *dropped = g_build_filename (dir, "dropped in.json", NULL);
  g_autofree char *gone_path = NULL;
  MoonConversation *opened, *gone, *arrived;
  guint message_changes = 0;

  opened = add_conversation (store, "opened", 1);
  gone = add_conversation (store, "gone", 1);
  test_store_flush (store);
  path = test_conversation_path (store, opened);
  gone_path = test_conversation_path (store, gone);
  g_signal_connect (opened, "items-changed", G_CALLBACK (count_changes_cb), &message_changes);

  /* Another program adds a message to an open, idle conversation. */
  root = test_parse_file (path);
  json_array_add_object_element (json_object_get_array_member (root, "messages"),
                                 external_message ("ext-1", "user", "written on the laptop"));
  external_write (path, root);

  RUN_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (opened)) == 3);
  g_assert_cmpstr (moon_message_get_content (message_at (opened, 2)), ==, "written on the laptop");
  g_assert_cmpuint (message_changes, ==, 1);

  /* A file dropped into the folder appears. */
  json_object_set_string_member (root, "id", "dropped-id");
  json_object_set_string_member (root, "title", "From the other machine");
  json_object_set_boolean_member (root, "title_is_custom", TRUE);
  external_write (dropped, root);
  RUN_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (store)) == 3);
  arrived = moon_conversation_store_lookup (store, "dropped-id");
  g_assert_nonnull (arrived);
  g_assert_cmpstr (moon_conversation_get_title (arrived), ==, "From the other machine");
  test_ensure_loaded (store, arrived);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (arrived)), ==, 3);

  /* A file removed by another program goes from the list. */
  g_assert_cmpint (g_unlink (gone_path), ==, 0);
  RUN_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (store)) == 2);
  g_assert_null (find_by_title (store, "gone question 0"));

  /* Our own saves are not mistaken for changes by someone else. */
  append (opened, MOON_MESSAGE_ROLE_ASSISTANT, "ours");
  test_store_flush (store);
  test_wait_ms (500);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (opened)), ==, 4);
  g_assert_cmpuint (message_changes, ==, 2);

  test_store_close (g_steal_pointer (&store));
  test_rm_rf (dir);
}

static void
files_parsed_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static void
test_monitor_does_not_clobber_streaming (void)
{
  g_autofree char *dir = test_make_dir ();
  g_autoptr(MoonConversationStore) store = test_store_open (dir);
  g_autoptr(MoonMessage) reply = moon_message_new (MOON_MESSAGE_ROLE_ASSISTANT, NULL);
  g_autoptr(JsonObject) external = NULL;
  g_autoptr(JsonObject) ours = NULL;
  g_autoptr(JsonObject) theirs = NULL;
  g_autofree char *path = NULL;
  g_autofree char *conflict_path = NULL;
  MoonConversation *conversation;
  Events events = { 0 };
  guint parsed = 0;

  events_watch (&events, store);
  conversation = add_conversation (store, "busy", 1);
  test_store_flush (store);
  path = test_conversation_path (store, conversation);

  /* A reply is streaming; no checkpoint will come soon. */
  g_object_set (store, "checkpoint-interval", 60000, NULL);
  moon_message_set_state (reply, MOON_MESSAGE_STATE_STREAMING);
  moon_conversation_append_message (conversation, reply);
  moon_message_append_content (reply, "Once upon a time", -1);
  test_store_flush (store);

  /* Meanwhile a sync tool brings another version of the file. */
  external = test_parse_file (path);
  json_array_remove_element (json_object_get_array_member (external, "messages"), 2);
  json_array_add_object_element (json_object_get_array_member (external, "messages"),
                                 external_message ("ext-2", "user", "the other machine's question"));
  g_signal_connect (store, "notify::files-parsed", G_CALLBACK (files_parsed_cb), &parsed);
  external_write (path, external);

  /* The store looks at it... */
  RUN_UNTIL (parsed > 0);
  /* ...and keeps the streaming conversation as it is. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 3);
  g_assert_true (message_at (conversation, 2) == reply);
  g_assert_true (moon_conversation_get_is_busy (conversation));
  moon_message_append_content (reply, ", there was a moon.", -1);
  moon_message_set_state (reply, MOON_MESSAGE_STATE_DONE);
  test_store_flush (store);

  /* Ours is in the file; theirs is kept beside it, not lost. */
  ours = test_parse_file (path);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (ours, "messages"), 2), "content"),
                   ==, "Once upon a time, there was a moon.");
  g_assert_cmpuint (events.conflicts, ==, 1);
  conflict_path = g_file_get_path (events.last_conflict);
  g_assert_true (g_str_has_suffix (conflict_path, ".json"));
  g_assert_nonnull (strstr (conflict_path, ".conflict-"));
  theirs = test_parse_file (conflict_path);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (theirs, "messages"), 2), "content"),
                   ==, "the other machine's question");

  /* The other version shows up in the list by itself. */
  RUN_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (store)) == 2);

  test_store_close (g_steal_pointer (&store));
  events_clear (&events);
  test_rm_rf (dir);
}

static GListModel *
search (MoonConversationStore *store,
        const char            *query)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *matches;

  moon_conversation_store_search_async (store, query, NULL, test_result_cb, &result);
  RUN_UNTIL (result != NULL);
  matches = moon_conversation_store_search_finish (store, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (matches);
  return matches;
}

static void
test_search (void)
{
  g_autofree char *dir = test_make_dir ();
  g_autoptr(MoonConversationStore) store = test_store_open (dir);
  g_autoptr(GListModel) matches = NULL;
  g_autoptr(GListModel) live = NULL;
  g_autoptr(MoonConversation) match = NULL;
  guint changes = 0;

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *tag = g_strdup_printf ("subject %u", i);
      MoonConversation *conversation = add_conversation (store, tag, 3);

      if (i == 7)
        append (conversation, MOON_MESSAGE_ROLE_ASSISTANT, "A QUASAR is far away. 银河系之外的类星体。");
      if (i == 12)
        moon_conversation_set_title (conversation, "Stargazing notes");
    }
  test_store_close (g_steal_pointer (&store));

  store = test_store_open (dir);

  /* Message text of conversations never opened, case-insensitively. */
  matches = search (store, "quasar");
  g_assert_cmpuint (g_list_model_get_n_items (matches), ==, 1);
  match = g_list_model_get_item (matches, 0);
  g_assert_cmpstr (moon_conversation_get_title (match), ==, "subject 7 question 0");
  g_assert_false (moon_conversation_get_is_loaded (match));
  g_clear_object (&match);
  g_clear_object (&matches);

  matches = search (store, "类星体");
  g_assert_cmpuint (g_list_model_get_n_items (matches), ==, 1);
  g_clear_object (&matches);

  /* Titles. */
  matches = search (store, "STARGAZING");
  g_assert_cmpuint (g_list_model_get_n_items (matches), ==, 1);
  g_clear_object (&matches);

  /* Several matches come in list order (newest first). */
  matches = search (store, "answer 2");
  g_assert_cmpuint (g_list_model_get_n_items (matches), ==, 20);
  match = g_list_model_get_item (matches, 0);
  g_assert_true (match == test_get_conversation (store, 0));
  g_clear_object (&match);
  g_clear_object (&matches);

  matches = search (store, "nothing like this");
  g_assert_cmpuint (g_list_model_get_n_items (matches), ==, 0);
  g_clear_object (&matches);

  matches = search (store, "   ");
  g_assert_cmpuint (g_list_model_get_n_items (matches), ==, 20);
  g_clear_object (&matches);

  /* Opened conversations are searched in memory, unsaved text included. */
  {
    MoonConversation *conversation = find_by_title (store, "subject 3 question 0");

    test_ensure_loaded (store, conversation);
    append (conversation, MOON_MESSAGE_ROLE_USER, "zebra crossing");
    matches = search (store, "Zebra");
    g_assert_cmpuint (g_list_model_get_n_items (matches), ==, 1);
    g_clear_object (&matches);
  }

  /* The convenience model fills in without blocking. */
  live = moon_conversation_store_search (store, "quasar");
  g_signal_connect (live, "items-changed", G_CALLBACK (count_changes_cb), &changes);
  g_assert_cmpuint (g_list_model_get_n_items (live), ==, 0);
  RUN_UNTIL (changes > 0);
  g_assert_cmpuint (g_list_model_get_n_items (live), ==, 1);

  /* Nothing was opened to search. */
  g_assert_cmpuint (moon_conversation_store_get_files_parsed (store), ==, 1);

  test_store_close (g_steal_pointer (&store));
  test_rm_rf (dir);
}

static gboolean
export (MoonConversationStore  *store,
        MoonConversation       *conversation,
        MoonExportFormat        format,
        GFile                  *destination,
        GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  moon_conversation_store_export_async (store, conversation, format, destination, NULL, test_result_cb, &result);
  RUN_UNTIL (result != NULL);
  return moon_conversation_store_export_finish (store, result, error);
}

static void
test_export_and_import (void)
{
  g_autofree char *dir = test_make_dir ();
  g_autofree char *other_dir = test_make_dir ();
  g_autofree char *out_dir = test_make_dir ();
  g_autoptr(MoonConversationStore) store = test_store_open (dir);
  g_autoptr(MoonConversationStore) other = NULL;
  g_autoptr(GFile) md_file = g_file_new_build_filename (out_dir, "chat.md", NULL);
  g_autoptr(GFile) json_file = g_file_new_build_filename (out_dir, "chat.json", NULL);
  g_autoptr(GFile) not_json = g_file_new_build_filename (out_dir, "chat.md", NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(MoonConversation) imported = NULL;
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *markdown = NULL;
  g_autofree char *md_path = g_file_get_path (md_file);
  g_autofree char *json_path = g_file_get_path (json_file);
  MoonConversation *conversation, *stub;
  MoonMessage *reply;

  conversation = moon_conversation_store_create (store);
  moon_conversation_set_system_prompt (conversation, "Be brief.");
  append (conversation, MOON_MESSAGE_ROLE_USER, "What is 月之暗面?");
  reply = append (conversation, MOON_MESSAGE_ROLE_ASSISTANT, "**Moonshot AI**, the company behind Kimi.\n\n```c\nint x;\n```");
  moon_message_set_reasoning_content (reply, "The user asks\nabout a company.");
  test_store_flush (store);

  /* Export works for a conversation that was never opened, too. */
  test_store_close (g_steal_pointer (&store));
  store = test_store_open (dir);
  stub = test_get_conversation (store, 0);
  g_assert_false (moon_conversation_get_is_loaded (stub));

  g_assert_true (export (store, stub, MOON_EXPORT_FORMAT_MARKDOWN, md_file, &error));
  g_assert_no_error (error);
  markdown = test_read_file (md_path);
  g_assert_true (g_str_has_prefix (markdown, "# What is 月之暗面?\n"));
  g_assert_nonnull (strstr (markdown, "Be brief."));
  g_assert_nonnull (strstr (markdown, "What is 月之暗面?"));
  g_assert_nonnull (strstr (markdown, "**Moonshot AI**, the company behind Kimi.\n\n```c\nint x;\n```"));
  g_assert_nonnull (strstr (markdown, "> The user asks\n> about a company."));
  g_assert_true (strstr (markdown, "What is 月之暗面?\n\n##") < strstr (markdown, "**Moonshot AI**"));

  g_assert_true (export (store, stub, MOON_EXPORT_FORMAT_JSON, json_file, &error));
  g_assert_no_error (error);
  root = test_parse_file (json_path);
  g_assert_cmpstr (json_object_get_string_member (root, "format"), ==, "moonchat-conversation");
  g_assert_cmpstr (json_object_get_string_member (root, "id"), ==, moon_conversation_get_id (stub));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "messages")), ==, 2);

  /* The JSON export imports elsewhere. */
  other = test_store_open (other_dir);
  moon_conversation_store_import_async (other, json_file, NULL, test_result_cb, &result);
  RUN_UNTIL (result != NULL);
  imported = moon_conversation_store_import_finish (other, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (imported);
  g_assert_cmpstr (moon_conversation_get_id (imported), ==, moon_conversation_get_id (stub));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (other)), ==, 1);
  test_ensure_loaded (other, imported);
  g_assert_cmpstr (moon_message_get_reasoning_content (message_at (imported, 1)), ==,
                   "The user asks\nabout a company.");

  /* Not a conversation: a clear error, nothing added. */
  g_clear_object (&result);
  moon_conversation_store_import_async (other, not_json, NULL, test_result_cb, &result);
  RUN_UNTIL (result != NULL);
  g_assert_null (moon_conversation_store_import_finish (other, result, &error));
  g_assert_error (error, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_INVALID);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (other)), ==, 1);

  g_clear_object (&imported);
  g_clear_object (&result);
  test_store_close (g_steal_pointer (&other));
  test_store_close (g_steal_pointer (&store));
  test_rm_rf (dir);
  test_rm_rf (other_dir);
  test_rm_rf (out_dir);
}

static void
test_rename_unopened (void)
{
  g_autofree char *dir = test_make_dir ();
  g_autoptr(MoonConversationStore) store = test_store_open (dir);
  g_autoptr(JsonObject) root = NULL;
  g_autofree char *path = NULL;
  MoonConversation *conversation;

  add_conversation (store, "rename me", 4);
  test_store_close (g_steal_pointer (&store));

  store = test_store_open (dir);
  conversation = test_get_conversation (store, 0);
  g_assert_false (moon_conversation_get_is_loaded (conversation));
  moon_conversation_store_rename (store, conversation, "Better title");
  g_assert_cmpstr (moon_conversation_get_title (conversation), ==, "Better title");
  test_store_flush (store);

  /* The messages were read before the file was written: nothing lost. */
  path = test_conversation_path (store, conversation);
  root = test_parse_file (path);
  g_assert_cmpstr (json_object_get_string_member (root, "title"), ==, "Better title");
  g_assert_true (json_object_get_boolean_member (root, "title_is_custom"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "messages")), ==, 8);
  g_assert_cmpstr (moon_conversation_get_title (conversation), ==, "Better title");

  test_store_close (g_steal_pointer (&store));
  store = test_store_open (dir);
  g_assert_nonnull (find_by_title (store, "Better title"));
  test_store_close (g_steal_pointer (&store));
  test_rm_rf (dir);
}

static void
test_newer_version_untouched (void)
{
  g_autofree char *dir = test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "from-the-future.json", NULL);
  const char *future =
    "{\"format\":\"moonchat-conversation\",\"version\":2,\"id\":\"future\",\"title\":\"Tomorrow\","
    "\"created\":\"2027-01-01T00:00:00Z\",\"updated\":\"2027-01-01T00:00:00Z\","
    "\"branches\":[{\"from\":\"m1\"}],"
    "\"messages\":[{\"id\":\"m1\",\"role\":\"user\",\"content\":\"hello\",\"created\":\"2027-01-01T00:00:00Z\"},"
    "{\"id\":\"m2\",\"role\":\"critic\",\"content\":\"new role\"}]}";
  g_autoptr(MoonConversationStore) store = NULL;
  g_autofree char *after = NULL;
  MoonConversation *conversation;
  Events events = { 0 };

  test_write_file (path, future);

  store = test_store_new (dir);
  events_watch (&events, store);
  test_store_load (store);
  g_assert_cmpuint (events.read_only, ==, 1);
  g_assert_error (events.last_error, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_NEWER_VERSION);
  g_assert_cmpuint (events.set_aside, ==, 0);

  conversation = moon_conversation_store_lookup (store, "future");
  g_assert_nonnull (conversation);
  g_assert_true (moon_conversation_get_read_only (conversation));
  test_ensure_loaded (store, conversation);
  /* What this version understands is shown. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 1);

  /* Changes are refused with a clear error, and never written. */
  append (conversation, MOON_MESSAGE_ROLE_USER, "may I?");
  g_assert_cmpuint (events.save_failed, ==, 1);
  g_assert_error (events.last_error, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_READ_ONLY);
  test_store_flush (store);
  test_store_close (g_steal_pointer (&store));

  after = test_read_file (path);
  g_assert_cmpstr (after, ==, future);
  g_assert_cmpuint (test_count_files (dir, NULL), ==, 1);

  /* Still read-only next time (from the index, without parsing). */
  store = test_store_open (dir);
  g_assert_cmpuint (moon_conversation_store_get_files_parsed (store), ==, 0);
  g_assert_true (moon_conversation_get_read_only (moon_conversation_store_lookup (store, "future")));
  test_store_close (g_steal_pointer (&store));

  events_clear (&events);
  test_rm_rf (dir);
}

static void
test_big_conversation (void)
{
  g_autofree char *dir = test_make_dir ();
  g_autoptr(MoonConversationStore) store = test_store_open (dir);
  g_autoptr(JsonObject) root = NULL;
  g_autofree char *path = NULL;
  MoonConversation *conversation;
  const guint n = 5000;

  conversation = moon_conversation_store_create (store);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("Message %u: %s", i,
                                               "Lorem ipsum dolor sit amet, 月之暗面 Kimi 🌙, consectetur adipiscing elit. "
                                               "Sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.");

      append (conversation, i % 2 ? MOON_MESSAGE_ROLE_ASSISTANT : MOON_MESSAGE_ROLE_USER, text);
    }
  test_store_close (g_steal_pointer (&store));

  store = test_store_open (dir);
  conversation = test_get_conversation (store, 0);
  test_ensure_loaded (store, conversation);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, n);
  g_assert_true (g_str_has_prefix (moon_message_get_content (message_at (conversation, 0)), "Message 0: "));
  g_assert_true (g_str_has_prefix (moon_message_get_content (message_at (conversation, 4321)), "Message 4321: "));
  g_assert_cmpint (moon_message_get_role (message_at (conversation, 4321)), ==, MOON_MESSAGE_ROLE_ASSISTANT);

  append (conversation, MOON_MESSAGE_ROLE_USER, "and one more");
  test_store_flush (store);
  path = test_conversation_path (store, conversation);
  root = test_parse_file (path);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "messages")), ==, n + 1);

  test_store_close (g_steal_pointer (&store));
  test_rm_rf (dir);
}

static void
test_many_conversations (void)
{
  g_autofree char *dir = test_make_dir ();
  g_autoptr(MoonConversationStore) store = NULL;
  g_autoptr(GDateTime) base = g_date_time_new_utc (2025, 6, 1, 0, 0, 0);
  const guint n = 5000;
  guint listed;

  /* Written directly, as an older install or a sync would leave them. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GDateTime) updated = g_date_time_add_minutes (base, (int) ((i * 7919) % n));
      g_autofree char *when = g_date_time_format_iso8601 (updated);
      g_autofree char *name = g_strdup_printf ("%s/conv-%04u.json", dir, i);
      g_autofree char *text = g_strdup_printf (
        "{\"format\":\"moonchat-conversation\",\"version\":1,\"id\":\"conv-%04u\",\"title\":\"Conversation %u\","
        "\"title_is_custom\":true,\"created\":\"2025-06-01T00:00:00Z\",\"updated\":\"%s\",\"settings\":{},"
        "\"messages\":[{\"id\":\"m\",\"role\":\"user\",\"content\":\"question %u\",\"created\":\"2025-06-01T00:00:00Z\"}]}",
        i, i, when, i);

      test_write_file (name, text);
    }

  store = test_store_open (dir);
  listed = g_list_model_get_n_items (G_LIST_MODEL (store));
  g_assert_cmpuint (listed, ==, n);
  g_assert_cmpuint (moon_conversation_store_get_files_parsed (store), ==, n);
  for (guint i = 1; i < listed; i++)
    {
      MoonConversation *newer = test_get_conversation (store, i - 1);
      MoonConversation *older = test_get_conversation (store, i);

      g_assert_cmpint (g_date_time_compare (moon_conversation_get_updated (newer),
                                            moon_conversation_get_updated (older)), >=, 0);
      g_assert_false (moon_conversation_get_is_loaded (older));
    }
  test_store_close (g_steal_pointer (&store));

  /* The second start comes from the index. */
  store = test_store_open (dir);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, n);
  g_assert_cmpuint (moon_conversation_store_get_files_parsed (store), ==, 0);
  g_assert_nonnull (moon_conversation_store_lookup (store, "conv-4999"));
  test_store_close (g_steal_pointer (&store));

  test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/store/round-trip", test_round_trip);
  g_test_add_func ("/core/store/unknown-fields", test_unknown_fields);
  g_test_add_func ("/core/store/startup-reads-index-only", test_startup_reads_index_only);
  g_test_add_func ("/core/store/index-rebuild", test_index_rebuild);
  g_test_add_func ("/core/store/debounce", test_debounce);
  g_test_add_func ("/core/store/checkpoints-while-streaming", test_checkpoints_while_streaming);
  g_test_add_func ("/core/store/delete-undo-commit", test_delete_undo_commit);
  g_test_add_func ("/core/store/monitor/external-changes", test_monitor_external_changes);
  g_test_add_func ("/core/store/monitor/streaming-not-clobbered", test_monitor_does_not_clobber_streaming);
  g_test_add_func ("/core/store/search", test_search);
  g_test_add_func ("/core/store/export-and-import", test_export_and_import);
  g_test_add_func ("/core/store/rename-unopened", test_rename_unopened);
  g_test_add_func ("/core/store/newer-version-untouched", test_newer_version_untouched);
  g_test_add_func ("/core/store/big-conversation", test_big_conversation);
  g_test_add_func ("/core/store/many-conversations", test_many_conversations);

  return g_test_run ();
}
