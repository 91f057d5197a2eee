/* history-test-util.h — shared helpers for the history tests (header-only)
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "moon-conversation-store.h"

#define TEST_TIMEOUT_S 60

static gboolean
test_give_up_cb (gpointer data)
{
  g_error ("%s: timed out", (const char *) data);
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until *flag is set (or fails the test after a while). */
#define RUN_UNTIL(cond)                                                       \
  G_STMT_START {                                                              \
    guint give_up_ = g_timeout_add_seconds (TEST_TIMEOUT_S, test_give_up_cb,  \
                                            (gpointer) #cond);                \
    while (!(cond))                                                           \
      g_main_context_iteration (NULL, TRUE);                                  \
    g_source_remove (give_up_);                                               \
  } G_STMT_END

static gboolean
test_set_true_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

G_GNUC_UNUSED static void
test_wait_ms (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, test_set_true_cb, &done);
  RUN_UNTIL (done);
}

static void
test_result_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

G_GNUC_UNUSED static char *
test_make_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("moonchat-history-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

G_GNUC_UNUSED static void
test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)))
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            test_rm_rf (child);
          else
            g_unlink (child);
        }
    }
  g_rmdir (path);
}

G_GNUC_UNUSED static MoonConversationStore *
test_store_new (const char *dir)
{
  g_autoptr(GFile) file = g_file_new_for_path (dir);

  return moon_conversation_store_new (file);
}

G_GNUC_UNUSED static void
test_store_load (MoonConversationStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  moon_conversation_store_load_async (store, NULL, test_result_cb, &result);
  RUN_UNTIL (result != NULL);
  g_assert_true (moon_conversation_store_load_finish (store, result, &error));
  g_assert_no_error (error);
}

G_GNUC_UNUSED static MoonConversationStore *
test_store_open (const char *dir)
{
  MoonConversationStore *store = test_store_new (dir);

  test_store_load (store);
  return store;
}

G_GNUC_UNUSED static gboolean
test_store_flush_with_error (MoonConversationStore  *store,
                             GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  moon_conversation_store_flush_async (store, NULL, test_result_cb, &result);
  RUN_UNTIL (result != NULL);
  return moon_conversation_store_flush_finish (store, result, error);
}

G_GNUC_UNUSED static void
test_store_flush (MoonConversationStore *store)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_store_flush_with_error (store, &error));
  g_assert_no_error (error);
}

G_GNUC_UNUSED static void
test_ensure_loaded (MoonConversationStore *store,
                    MoonConversation      *conversation)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  moon_conversation_store_ensure_loaded_async (store, conversation, NULL, test_result_cb, &result);
  RUN_UNTIL (result != NULL);
  g_assert_true (moon_conversation_store_ensure_loaded_finish (store, result, &error));
  g_assert_no_error (error);
  g_assert_true (moon_conversation_get_is_loaded (conversation));
}

/* Flushes, then drops the store and checks nothing keeps it alive. A
 * worker thread of a finished GTask may still hold its source object for a
 * moment after the callback ran, so wait for that first. */
G_GNUC_UNUSED static void
test_store_close (MoonConversationStore *store)
{
  gint64 deadline;

  test_store_flush (store);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_atomic_int_get ((int *) &G_OBJECT (store)->ref_count) > 1 &&
         g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  g_assert_finalize_object (store);
}

G_GNUC_UNUSED static MoonConversation *
test_get_conversation (MoonConversationStore *store,
                       guint                  position)
{
  g_autoptr(MoonConversation) conversation = g_list_model_get_item (G_LIST_MODEL (store), position);

  g_assert_nonnull (conversation);
  /* The store keeps it alive. */
  return conversation;
}

G_GNUC_UNUSED static char *
test_read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

G_GNUC_UNUSED static void
test_write_file (const char *path,
                 const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

G_GNUC_UNUSED static JsonObject *
test_parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

G_GNUC_UNUSED static JsonObject *
test_parse_file (const char *path)
{
  g_autofree char *text = test_read_file (path);

  return test_parse_object (text);
}

G_GNUC_UNUSED static char *
test_conversation_path (MoonConversationStore *store,
                        MoonConversation      *conversation)
{
  g_autoptr(GFile) file = moon_conversation_store_get_file (store, conversation);

  g_assert_nonnull (file);
  return g_file_get_path (file);
}

/* Counts the entries of @dir whose name satisfies @pred (NULL: all). */
G_GNUC_UNUSED static guint
test_count_files (const char *path,
                  gboolean  (*pred) (const char *name))
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)))
    if (pred == NULL || pred (name))
      n++;

  return n;
}

G_GNUC_UNUSED static gboolean
test_is_json_name (const char *name)
{
  return name[0] != '.' && g_str_has_suffix (name, ".json");
}

G_GNUC_UNUSED static gboolean
test_is_corrupt_name (const char *name)
{
  return strstr (name, ".corrupt-") != NULL;
}
