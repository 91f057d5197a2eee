/* test-store-failures.c — bad files, a read-only folder and a full disk
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define _GNU_SOURCE /* unshare, mount */

#include "config.h"

#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include "history-test-util.h"

typedef struct
{
  guint   set_aside;
  guint   save_failed;
  GError *last_error;
} Events;

static void
set_aside_cb (MoonConversationStore *store,
              GFile                 *file,
              GFile                 *moved_to,
              const GError          *reason,
              Events                *events)
{
  g_autofree char *name = g_file_get_basename (moved_to);

  g_assert_true (g_file_query_exists (moved_to, NULL));
  g_assert_false (g_file_query_exists (file, NULL));
  g_assert_nonnull (strstr (name, ".corrupt-"));
  g_assert_error (reason, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_INVALID);
  events->set_aside++;
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

static MoonMessage *
append (MoonConversation *conversation,
        MoonMessageRole   role,
        const char       *text)
{
  g_autoptr(MoonMessage) message = moon_message_new (role, text);

  moon_conversation_append_message (conversation, message);
  return message;
}

static char *
good_document (const char *title)
{
  g_autoptr(MoonConversation) conversation = moon_conversation_new ();
  g_autoptr(JsonNode) node = NULL;

  moon_conversation_set_model (conversation, "kimi-k2");
  append (conversation, MOON_MESSAGE_ROLE_USER, title);
  append (conversation, MOON_MESSAGE_ROLE_ASSISTANT, "一个回答 with emoji 🌙 and \"quotes\"");
  node = moon_conversation_to_json (conversation);
  return json_to_string (node, FALSE);
}

/* Returns one broken variant of @good, chosen by @kind. */
static char *
malformed (const char *good,
           guint       kind,
           gsize      *out_len)
{
  gsize len = strlen (good);
  GString *out;

  switch (kind % 9)
    {
    case 0: /* truncated anywhere, as a crash of a careless writer leaves it */
      *out_len = g_test_rand_int_range (0, (int) len);
      return g_strndup (good, *out_len);

    case 1: /* bytes flipped, including invalid UTF-8 */
      {
        char *copy = g_strdup (good);
        guint flips = g_test_rand_int_range (1, 8);

        for (guint i = 0; i < flips; i++)
          copy[g_test_rand_int_range (0, (int) len)] = (char) g_test_rand_int_range (1, 256);
        *out_len = len;
        return copy;
      }

    case 2: /* random binary */
      {
        gsize n = g_test_rand_int_range (1, 4096);
        char *junk = g_malloc (n + 1);

        for (gsize i = 0; i < n; i++)
          junk[i] = (char) g_test_rand_int_range (0, 256);
        junk[n] = '\0';
        *out_len = n;
        return junk;
      }

    case 3: /* valid JSON of the wrong kind */
      {
        const char *other[] = { "[]", "null", "42", "\"moonchat-conversation\"", "[{\"format\":\"moonchat-conversation\"}]",
                                "{\"format\":\"moonchat-conversation\",\"version\":1,\"messages\":null}",
                                "{\"format\":\"moonchat-conversation\",\"version\":0,\"messages\":[]}",
                                "{\"format\":\"moonchat-conversation\",\"version\":-3,\"messages\":[]}",
                                "{\"format\":\"moonchat-conversation\",\"version\":1e400,\"messages\":[]}",
                                "{\"format\":[],\"version\":1,\"messages\":[]}" };
        char *text = g_strdup (other[g_test_rand_int_range (0, G_N_ELEMENTS (other))]);

        *out_len = strlen (text);
        return text;
      }

    case 4: /* absurdly deep nesting */
      {
        guint depth = g_test_rand_int_range (200, 200000);

        out = g_string_new ("{\"format\":\"moonchat-conversation\",\"version\":1,\"messages\":[");
        for (guint i = 0; i < depth; i++)
          g_string_append_c (out, '[');
        *out_len = out->len;
        return g_string_free (out, FALSE);
      }

    case 5: /* empty */
      *out_len = 0;
      return g_strdup ("");

    case 6: /* fields of the wrong type: loads read-only, never rewritten */
      {
        const char *from[] = { "\"model\":\"kimi-k2\"", "\"role\":\"assistant\"", "\"title_is_custom\":false" };
        const char *to[] = { "\"model\":12", "\"role\":\"martian\"", "\"title_is_custom\":\"no\"" };
        guint which = g_test_rand_int_range (0, G_N_ELEMENTS (from));
        g_auto(GStrv) parts = g_strsplit (good, from[which], 2);
        char *text;

        g_assert_nonnull (parts[1]);
        text = g_strjoin (to[which], parts[0], parts[1], NULL);
        *out_len = strlen (text);
        return text;
      }

    case 7: /* a NUL in the middle */
      {
        char *copy = g_strdup (good);

        copy[g_test_rand_int_range (0, (int) len)] = '\0';
        *out_len = len;
        return copy;
      }

    case 8: /* garbage after a complete document */
    default:
      out = g_string_new (good);
      g_string_append (out, "} trailing {\"x\":");
      *out_len = out->len;
      return g_string_free (out, FALSE);
    }
}

static void
test_malformed_files (void)
{
  g_autofree char *dir = test_make_dir ();
  g_autoptr(MoonConversationStore) store = NULL;
  g_autoptr(MoonConversationStore) again = NULL;
  const guint n_bad = 200;
  const char *good_titles[] = { "first good one", "第二个好的", "third 🌙" };
  Events events = { 0 };
  guint n_listed, n_corrupt, n_json;

  for (guint i = 0; i < G_N_ELEMENTS (good_titles); i++)
    {
      g_autofree char *text = good_document (good_titles[i]);
      g_autofree char *path = g_strdup_printf ("%s/good-%u.json", dir, i);

      test_write_file (path, text);
    }

  for (guint i = 0; i < n_bad; i++)
    {
      g_autofree char *good = good_document ("a broken one");
      g_autofree char *path = g_strdup_printf ("%s/bad-%03u.json", dir, i);
      g_autoptr(GError) error = NULL;
      g_autofree char *bad = NULL;
      gsize len;

      bad = malformed (good, i, &len);
      g_file_set_contents (path, bad, len, &error);
      g_assert_no_error (error);
    }

  store = test_store_new (dir);
  g_signal_connect (store, "file-set-aside", G_CALLBACK (set_aside_cb), &events);
  test_store_load (store);

  /* Every good conversation is there... */
  for (guint i = 0; i < G_N_ELEMENTS (good_titles); i++)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (store));
      gboolean found = FALSE;

      for (guint j = 0; j < n && !found; j++)
        found = g_str_equal (moon_conversation_get_title (test_get_conversation (store, j)), good_titles[i]);
      g_assert_true (found);
    }

  /* ...every bad file is either set aside (and reported) or listed (maybe
   * read-only), and no file is gone. */
  n_listed = g_list_model_get_n_items (G_LIST_MODEL (store));
  n_corrupt = test_count_files (dir, test_is_corrupt_name);
  n_json = test_count_files (dir, test_is_json_name);
  g_test_message ("%u bad files: %u set aside, %u still listed", n_bad, n_corrupt, n_listed - 3);
  g_assert_cmpuint (events.set_aside, ==, n_corrupt);
  g_assert_cmpuint (n_corrupt, >=, n_bad / 2);
  g_assert_cmpuint (n_json, ==, n_listed);
  g_assert_cmpuint (n_json + n_corrupt, ==, n_bad + 3);

  /* What is listed opens. */
  for (guint i = 0; i < n_listed; i++)
    test_ensure_loaded (store, test_get_conversation (store, i));

  test_store_close (g_steal_pointer (&store));

  /* Next start: nothing new to parse, nothing more set aside. */
  again = test_store_open (dir);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, n_listed);
  g_assert_cmpuint (moon_conversation_store_get_files_parsed (again), ==, 0);
  g_assert_cmpuint (test_count_files (dir, test_is_corrupt_name), ==, n_corrupt);
  test_store_close (g_steal_pointer (&again));

  test_rm_rf (dir);
}

static void
hidden_depth_set_aside_cb (MoonConversationStore *store,
                           GFile                 *file,
                           GFile                 *moved_to,
                           const GError          *reason,
                           Events                *events)
{
  g_assert_error (reason, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_INVALID);
  g_assert_cmpstr (reason->message, ==, "The file is nested too deeply to be a conversation");
  events->set_aside++;
}

/* json-glib also reads single-quoted strings and comments. A `"` inside one
 * must not hide the brackets after it from the nesting check: such files
 * are set aside as too deep, while the same depth in a double-quoted string
 * is only text. */
static void
test_hidden_deep_nesting (void)
{
  const char *hiders[] = { "'\"'", "/* \" */ 1" };
  g_autofree char *dir = test_make_dir ();
  g_autoptr(MoonConversationStore) store = NULL;
  g_autoptr(GString) brackets = g_string_new (NULL);
  Events events = { 0 };

  for (guint i = 0; i < 200; i++)
    g_string_append_c (brackets, '[');
  for (guint i = 0; i < 200; i++)
    g_string_append_c (brackets, ']');

  for (guint i = 0; i < G_N_ELEMENTS (hiders); i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/hidden-%u.json", dir, i);
      g_autofree char *text =
        g_strdup_printf ("{\"format\":\"moonchat-conversation\",\"version\":1,\"messages\":[],"
                         "\"x\":[%s, %s]}", hiders[i], brackets->str);

      test_write_file (path, text);
    }

  {
    g_autofree char *path = g_strdup_printf ("%s/in-a-string.json", dir);
    g_autofree char *text =
      g_strdup_printf ("{\"format\":\"moonchat-conversation\",\"version\":1,\"messages\":[],"
                       "\"title\":\"%s\"}", brackets->str);

    test_write_file (path, text);
  }

  store = test_store_new (dir);
  g_signal_connect (store, "file-set-aside", G_CALLBACK (hidden_depth_set_aside_cb), &events);
  test_store_load (store);

  g_assert_cmpuint (events.set_aside, ==, G_N_ELEMENTS (hiders));
  g_assert_cmpuint (test_count_files (dir, test_is_corrupt_name), ==, G_N_ELEMENTS (hiders));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  g_assert_cmpstr (moon_conversation_get_title (test_get_conversation (store, 0)), ==, brackets->str);

  test_store_close (g_steal_pointer (&store));
  test_rm_rf (dir);
}

/* ------------------------------------------------------------------------ */

/* Sets up a folder with one saved conversation; returns its file's text. */
static char *
prepare_conversation (const char *dir,
                      const char *first_text)
{
  g_autoptr(MoonConversationStore) store = test_store_open (dir);
  MoonConversation *conversation = moon_conversation_store_create (store);
  g_autofree char *path = NULL;

  moon_conversation_set_title (conversation, "Precious");
  append (conversation, MOON_MESSAGE_ROLE_USER, first_text);
  append (conversation, MOON_MESSAGE_ROLE_ASSISTANT, "kept safe");
  test_store_flush (store);
  path = test_conversation_path (store, conversation);
  test_store_close (g_steal_pointer (&store));

  return test_read_file (path);
}

static char *
only_json_file (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (d)))
    if (test_is_json_name (name))
      return g_build_filename (dir, name, NULL);

  g_assert_not_reached ();
}

/* The kernel ignores the source and type of a bind, remount or propagation
 * change; "none" rather than NULL keeps valgrind from reporting the call. */
static gboolean
private_mount_namespace (void)
{
  /* Must run before any thread exists: mount namespaces are per thread
   * until the threads are created. */
  if (geteuid () != 0 || unshare (CLONE_NEWNS) != 0)
    return FALSE;
  if (mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
    return FALSE;
  return TRUE;
}

static void
set_folder_read_only (const char *dir,
                      gboolean    use_mount,
                      gboolean    read_only)
{
  if (use_mount)
    g_assert_cmpint (mount ("none", dir, "none", MS_REMOUNT | MS_BIND | (read_only ? MS_RDONLY : 0), NULL), ==, 0);
  else
    g_assert_cmpint (g_chmod (dir, read_only ? 0500 : 0700), ==, 0);
}

static void
test_read_only_folder (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MoonConversationStore) store = NULL;
  g_autofree char *before = NULL;
  g_autofree char *path = NULL;
  g_autofree char *after = NULL;
  g_autofree char *recovered = NULL;
  g_autoptr(GError) error = NULL;
  MoonConversation *conversation;
  Events events = { 0 };
  gboolean use_mount;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }

  /* A read-only bind mount stops even root (EROFS); without privileges,
   * a folder without write permission does (EACCES). */
  use_mount = private_mount_namespace ();
  dir = test_make_dir ();
  if (use_mount)
    g_assert_cmpint (mount (dir, dir, "none", MS_BIND, NULL), ==, 0);
  g_test_message ("read-only by %s", use_mount ? "a read-only bind mount" : "permissions");

  before = prepare_conversation (dir, "first words");
  path = only_json_file (dir);

  store = test_store_new (dir);
  g_signal_connect (store, "save-failed", G_CALLBACK (save_failed_cb), &events);
  test_store_load (store);
  conversation = test_get_conversation (store, 0);
  test_ensure_loaded (store, conversation);

  set_folder_read_only (dir, use_mount, TRUE);

  append (conversation, MOON_MESSAGE_ROLE_USER, "written while read-only");
  g_assert_false (test_store_flush_with_error (store, &error));
  g_assert_nonnull (error);
  if (use_mount)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_READ_ONLY);
  g_clear_error (&error);

  /* Reported with a clear message; the old file is intact; memory has all. */
  g_assert_cmpuint (events.save_failed, >=, 1);
  g_assert_nonnull (strstr (events.last_error->message, "Precious"));
  after = test_read_file (path);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 3);
  g_assert_cmpuint (test_count_files (dir, NULL), ==, 1);

  /* Writable again: the retry saves everything. */
  set_folder_read_only (dir, use_mount, FALSE);
  test_store_flush (store);
  recovered = test_read_file (path);
  g_assert_nonnull (strstr (recovered, "written while read-only"));
  g_assert_nonnull (strstr (recovered, "first words"));

  test_store_close (g_steal_pointer (&store));
  g_clear_error (&events.last_error);
  if (use_mount)
    umount (dir);
  test_rm_rf (dir);
}

static void
test_full_disk (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(MoonConversationStore) store = NULL;
  g_autoptr(GString) big = g_string_new (NULL);
  g_autofree char *before = NULL;
  g_autofree char *path = NULL;
  g_autofree char *after = NULL;
  g_autofree char *recovered = NULL;
  g_autoptr(GError) error = NULL;
  MoonConversation *conversation;
  Events events = { 0 };
  gboolean use_tmpfs;
  struct rlimit limit;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }

  /* A real full file system: a 256 KiB tmpfs. Without privileges, a file
   * size limit makes writes fail the same way (EFBIG). */
  use_tmpfs = private_mount_namespace ();
  dir = test_make_dir ();
  if (use_tmpfs)
    g_assert_cmpint (mount ("tmpfs", dir, "tmpfs", 0, "size=256k,mode=0700"), ==, 0);
  g_test_message ("full disk by %s", use_tmpfs ? "a small tmpfs" : "RLIMIT_FSIZE");

  before = prepare_conversation (dir, "small start");
  path = only_json_file (dir);

  store = test_store_new (dir);
  g_signal_connect (store, "save-failed", G_CALLBACK (save_failed_cb), &events);
  test_store_load (store);
  conversation = test_get_conversation (store, 0);
  test_ensure_loaded (store, conversation);

  if (!use_tmpfs)
    {
      signal (SIGXFSZ, SIG_IGN);
      g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &limit), ==, 0);
      limit.rlim_cur = 128 * 1024;
      g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
    }

  /* 400 KiB does not fit. */
  while (big->len < 400 * 1024)
    g_string_append (big, "A reply far too long for the disk. 太长了。");
  append (conversation, MOON_MESSAGE_ROLE_ASSISTANT, big->str);

  g_assert_false (test_store_flush_with_error (store, &error));
  g_assert_nonnull (error);
  if (use_tmpfs)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_clear_error (&error);

  g_assert_cmpuint (events.save_failed, >=, 1);
  g_assert_nonnull (strstr (events.last_error->message, "Precious"));
  /* The old file is whole and no partial temporary file is left. */
  after = test_read_file (path);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpuint (test_count_files (dir, NULL), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversation)), ==, 3);

  /* Space again: everything is saved. */
  if (use_tmpfs)
    g_assert_cmpint (mount ("none", dir, "none", MS_REMOUNT, "size=4m"), ==, 0);
  else
    {
      limit.rlim_cur = limit.rlim_max;
      g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
    }
  test_store_flush (store);
  recovered = test_read_file (path);
  g_assert_nonnull (strstr (recovered, "A reply far too long"));
  g_assert_nonnull (strstr (recovered, "small start"));

  test_store_close (g_steal_pointer (&store));
  g_clear_error (&events.last_error);
  if (use_tmpfs)
    umount (dir);
  test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/store/failures/malformed-files", test_malformed_files);
  g_test_add_func ("/core/store/failures/hidden-deep-nesting", test_hidden_deep_nesting);
  g_test_add_func ("/core/store/failures/read-only-folder", test_read_only_folder);
  g_test_add_func ("/core/store/failures/full-disk", test_full_disk);

  return g_test_run ();
}
