/* moon-conversation-store.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-conversation-store"
#define _GNU_SOURCE /* st_mtim, O_CLOEXEC, lstat */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "moon-conversation-private.h"
#include "moon-conversation-store.h"
#include "moon-json-util.h"
#include "moon-message-private.h"

/**
 * MoonConversationStore:
 *
 * The folder of conversation files (one `<uuid>.json` per conversation, see
 * docs/file-format.md) as a #GListModel of #MoonConversation, newest activity
 * first.
 *
 * Start-up (moon_conversation_store_load_async()) reads a small index and
 * checks it against a listing of the folder; only files that are new or
 * changed since the index was written are parsed. Messages are read when a
 * conversation is opened (moon_conversation_store_ensure_loaded_async()).
 *
 * Changes are saved by themselves: every #MoonConversation::changed
 * schedules a save after a short quiet period, and while a reply streams,
 * a checkpoint at most once per #MoonConversationStore:checkpoint-interval.
 * A save takes an immutable snapshot on the main thread (a reference to each
 * message's cached JSON text), renders and writes it on a worker thread into
 * a temporary file in the same folder, flushes it and renames it over the
 * old one. There is never more than one write per file in flight. A failed
 * save keeps the old file and the data in memory, is reported with
 * #MoonConversationStore::save-failed and retried.
 *
 * Files that do not parse are renamed `<name>.corrupt-<UTC time>` and
 * reported (#MoonConversationStore::file-set-aside); files of a newer major
 * version are listed read-only and never written. A #GFileMonitor picks up
 * files added, changed or removed by other programs; a conversation that is
 * streaming or has unsaved changes is not replaced — if its file changed
 * under it, the other version is kept next to it as
 * `<name>.conflict-<UTC time>.json` (#MoonConversationStore::conflict).
 */

#define DEFAULT_SAVE_DELAY_MS           500
#define DEFAULT_CHECKPOINT_INTERVAL_MS  1000
#define MAX_DEBOUNCE_US                 (G_GINT64_CONSTANT (3) * G_USEC_PER_SEC)
#define INDEX_DELAY_MS                  1000
#define MONITOR_DELAY_MS                150
#define MIN_RETRY_MS                    1000
#define MAX_RETRY_MS                    60000
#define STALE_TEMP_AGE_US               (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)
#define INDEX_FORMAT                    "moonchat-index"
#define INDEX_VERSION                   1

typedef struct
{
  gint64 mtime_ns;
  gint64 size;
  guint64 inode;
} FileStamp;

typedef struct _Entry Entry;

struct _Entry
{
  MoonConversationStore *store;          /* unowned */
  MoonConversation      *conversation;   /* owned */
  char                  *basename;
  FileStamp              stamp;          /* of the file as we last wrote or read it */
  GPtrArray             *load_waiters;   /* GTask */
  GTask                 *commit_task;    /* a commit waiting for a write to end */
  GError                *reported_error; /* last save error reported */
  gint64                 last_write_start;
  gint64                 dirty_since;
  guint                  save_source;
  guint                  retry_ms;
  gulong                 changed_id;
  gulong                 updated_id;
  guint                  ref_count;
  guint                  on_disk : 1;
  guint                  dirty : 1;
  guint                  writing : 1;
  guint                  loading : 1;
  guint                  deleted : 1;
  guint                  removed : 1;
  guint                  failed : 1;
  guint                  recheck : 1;
  guint                  read_only_reported : 1;
};

struct _MoonConversationStore
{
  GObject       parent_instance;

  GFile        *directory;
  char         *directory_path;
  GFile        *index_file;

  GPtrArray    *items;          /* Entry*, in list order */
  GHashTable   *by_conversation;/* MoonConversation* -> Entry* (owns a ref) */
  GHashTable   *by_basename;    /* char* -> Entry* */
  GHashTable   *deletions;      /* token -> Entry* */
  guint         next_token;

  GFileMonitor *monitor;
  GHashTable   *pending_checks; /* basename set */
  guint         check_source;
  gboolean      checking;

  guint         index_source;
  gboolean      index_dirty;
  gboolean      index_writing;

  GHashTable   *flush_pending;  /* Entry* set */
  GPtrArray    *flush_tasks;
  GError       *flush_error;

  GHashTable   *search_cache;   /* basename -> SearchText */

  guint         save_delay_ms;
  guint         checkpoint_interval_ms;
  guint         files_parsed;
  gboolean      loaded;
  gboolean      loading;
  gboolean      disposed;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MoonConversationStore, moon_conversation_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

G_DEFINE_ENUM_TYPE (MoonExportFormat, moon_export_format,
  G_DEFINE_ENUM_VALUE (MOON_EXPORT_FORMAT_MARKDOWN, "markdown"),
  G_DEFINE_ENUM_VALUE (MOON_EXPORT_FORMAT_JSON, "json"))

enum {
  PROP_0,
  PROP_DIRECTORY,
  PROP_INDEX_FILE,
  PROP_SAVE_DELAY,
  PROP_CHECKPOINT_INTERVAL,
  PROP_FILES_PARSED,
  PROP_IS_LOADED,
  PROP_N_ITEMS,
  N_PROPS
};

enum {
  SAVED,
  SAVE_FAILED,
  FILE_SET_ASIDE,
  FILE_READ_ONLY,
  CONFLICT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void entry_start_write   (Entry *entry);
static void schedule_save       (Entry *entry);
static void schedule_index_save (MoonConversationStore *self);
static void check_flush         (MoonConversationStore *self);
static void queue_check         (MoonConversationStore *self,
                                 const char            *basename);
static void entry_load          (Entry                 *entry,
                                 GTask                 *waiter);
static void start_commit        (Entry                 *entry,
                                 GTask                 *task);

/* ------------------------------------------------------------------------ */
/* Helpers that run on any thread: they touch only their arguments.        */
/* ------------------------------------------------------------------------ */

static gboolean
is_conversation_name (const char *name)
{
  return name[0] != '.' && g_str_has_suffix (name, ".json") && strlen (name) > strlen (".json");
}

static gboolean
stamp_equal (const FileStamp *a,
             const FileStamp *b)
{
  return a->mtime_ns == b->mtime_ns && a->size == b->size && a->inode == b->inode;
}

static gboolean
stat_file (const char *path,
           FileStamp  *out_stamp,
           int        *out_errno)
{
  struct stat st;

  if (stat (path, &st) != 0)
    {
      if (out_errno != NULL)
        *out_errno = errno;
      return FALSE;
    }

  if (!S_ISREG (st.st_mode))
    {
      if (out_errno != NULL)
        *out_errno = S_ISDIR (st.st_mode) ? EISDIR : EINVAL;
      return FALSE;
    }

  out_stamp->mtime_ns = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
  out_stamp->size = st.st_size;
  out_stamp->inode = st.st_ino;
  return TRUE;
}

static char *
utc_stamp_now (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format (now, "%Y%m%dT%H%M%SZ");
}

static void set_errno_error (GError     **error,
                             int          errsv,
                             const char  *format,
                             ...) G_GNUC_PRINTF (3, 4);

/* Sets a G_IO_ERROR for @errsv whose message is the formatted text
 * followed by the system's description of the error. */
static void
set_errno_error (GError     **error,
                 int          errsv,
                 const char  *format,
                 ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
               "%s: %s", message, g_strerror (errsv));
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         len,
           int          *out_errno)
{
  while (len > 0)
    {
      gssize n = write (fd, data, MIN (len, (gsize) G_MAXSSIZE));

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          *out_errno = errno;
          return FALSE;
        }

      data += n;
      len -= n;
    }

  return TRUE;
}

static void
sync_directory (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
}

/*
 * write_file_atomically:
 *
 * Writes @bytes to a hidden temporary file next to @path (mode 0600),
 * flushes it to disk and renames it over @path. On any failure the
 * temporary file is removed and @path is untouched. Unlike
 * g_file_replace_contents(), there is no fallback that truncates and
 * rewrites @path in place when the temporary file cannot be created: that
 * fallback could lose the old file on a full disk.
 *
 * If @conflict_path is given, the current @path is first moved there
 * (keeping a version some other program wrote).
 */
static gboolean
write_file_atomically (const char  *path,
                       GBytes      *bytes,
                       const char  *conflict_path,
                       FileStamp   *out_stamp,
                       GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.tmp-XXXXXX", dir, base);
  const guint8 *data;
  gsize len;
  int errsv = 0;
  int fd;

  data = g_bytes_get_data (bytes, &len);

  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      set_errno_error (error, errno, _("Could not create a file in “%s”"), dir);
      return FALSE;
    }

  if (!write_all (fd, data, len, &errsv) || fsync (fd) != 0)
    {
      if (errsv == 0)
        errsv = errno;
      close (fd);
      g_unlink (tmp);
      set_errno_error (error, errsv, _("Could not write “%s”"), path);
      return FALSE;
    }

  if (close (fd) != 0)
    {
      errsv = errno;
      g_unlink (tmp);
      set_errno_error (error, errsv, _("Could not write “%s”"), path);
      return FALSE;
    }

  if (conflict_path != NULL && g_rename (path, conflict_path) != 0 && errno != ENOENT)
    {
      errsv = errno;
      g_unlink (tmp);
      set_errno_error (error, errsv, _("Could not keep the other version of “%s”"), path);
      return FALSE;
    }

  if (g_rename (tmp, path) != 0)
    {
      errsv = errno;
      g_unlink (tmp);
      set_errno_error (error, errsv, _("Could not replace “%s”"), path);
      return FALSE;
    }

  sync_directory (path);

  if (out_stamp != NULL && !stat_file (path, out_stamp, &errsv))
    {
      set_errno_error (error, errsv, _("Could not read back “%s”"), path);
      return FALSE;
    }

  return TRUE;
}

/* Renames @path to "<path>.<kind>-<UTC time>" (plus a counter if taken). */
static char *
set_aside_file (const char  *path,
                GError     **error)
{
  g_autofree char *when = utc_stamp_now ();

  for (guint i = 1; i < 1000; i++)
    {
      g_autofree char *target = NULL;

      if (i == 1)
        target = g_strdup_printf ("%s.corrupt-%s", path, when);
      else
        target = g_strdup_printf ("%s.corrupt-%s-%u", path, when, i);

      if (g_file_test (target, G_FILE_TEST_EXISTS))
        continue;

      if (g_rename (path, target) != 0)
        {
          set_errno_error (error, errno, _("Could not set aside “%s”"), path);
          return NULL;
        }

      return g_steal_pointer (&target);
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("Could not set aside “%s”"), path);
  return NULL;
}

static char *
conflict_name (const char *path)
{
  g_autofree char *when = utc_stamp_now ();
  g_autofree char *stem = g_strndup (path, strlen (path) - strlen (".json"));

  for (guint i = 1; i < 1000; i++)
    {
      g_autofree char *target = NULL;

      if (i == 1)
        target = g_strdup_printf ("%s.conflict-%s.json", stem, when);
      else
        target = g_strdup_printf ("%s.conflict-%s-%u.json", stem, when, i);

      if (!g_file_test (target, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&target);
    }

  return NULL;
}

static JsonNode *
parse_json (const char  *data,
            gsize        len,
            GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;

  /* json-glib parses recursively: absurd nesting is refused before it
   * parses, so a hostile file cannot exhaust the stack. */
  if (len > G_MAXSSIZE || !moon_json_parser_load (parser, data, len, &local_error))
    {
      if (g_error_matches (local_error, MOON_JSON_TEXT_ERROR, MOON_JSON_TEXT_ERROR_TOO_DEEP))
        {
          g_set_error_literal (error, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_INVALID,
                               _("The file is nested too deeply to be a conversation"));
          return NULL;
        }

      g_set_error (error, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_INVALID,
                   _("The file is not valid JSON: %s"),
                   local_error ? local_error->message : "");
      return NULL;
    }

  if (json_parser_get_root (parser) == NULL || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error_literal (error, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_INVALID,
                           _("This is not a Moonchat conversation file"));
      return NULL;
    }

  return json_parser_steal_root (parser);
}

/*
 * read_conversation_file:
 *
 * Reads and parses one conversation file. The stamp returned belongs to the
 * exact bytes parsed (the file is re-read if it changed while being read).
 * I/O errors are G_IO_ERROR / G_FILE_ERROR; a file that is not a valid
 * conversation gives MOON_HISTORY_ERROR_INVALID.
 */
static MoonConversation *
read_conversation_file (const char  *path,
                        FileStamp   *out_stamp,
                        GError     **error)
{
  for (guint attempt = 0; ; attempt++)
    {
      g_autofree char *contents = NULL;
      g_autoptr(JsonNode) root = NULL;
      FileStamp before, after;
      gsize len = 0;
      int errsv = 0;

      if (!stat_file (path, &before, &errsv))
        {
          set_errno_error (error, errsv, _("Could not read “%s”"), path);
          return NULL;
        }

      if (!g_file_get_contents (path, &contents, &len, error))
        return NULL;

      if (!stat_file (path, &after, &errsv))
        {
          set_errno_error (error, errsv, _("Could not read “%s”"), path);
          return NULL;
        }

      if (!stamp_equal (&before, &after) && attempt < 3)
        continue;

      *out_stamp = after;

      if (!(root = parse_json (contents, len, error)))
        return NULL;

      return moon_conversation_new_from_json (json_node_get_object (root), error);
    }
}

static gboolean
is_invalid_error (const GError *error)
{
  return g_error_matches (error, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_INVALID);
}

/* ------------------------------------------------------------------------ */
/* Index records: what the index file holds about one conversation file.   */
/* ------------------------------------------------------------------------ */

typedef struct
{
  char      *basename;
  FileStamp  stamp;
  char      *id;
  char      *title;
  gboolean   title_is_custom;
  GDateTime *created;
  GDateTime *updated;
  GError    *read_only;
} Record;

static void
record_free (Record *record)
{
  g_free (record->basename);
  g_free (record->id);
  g_free (record->title);
  g_clear_pointer (&record->created, g_date_time_unref);
  g_clear_pointer (&record->updated, g_date_time_unref);
  g_clear_error (&record->read_only);
  g_free (record);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Record, record_free)

static Record *
record_new_from_conversation (const char       *basename,
                              const FileStamp  *stamp,
                              MoonConversation *conversation)
{
  Record *record = g_new0 (Record, 1);
  const GError *read_only = moon_conversation_get_read_only_reason (conversation);

  record->basename = g_strdup (basename);
  record->stamp = *stamp;
  record->id = g_strdup (moon_conversation_get_id (conversation));
  record->title = g_strdup (moon_conversation_get_title (conversation));
  record->title_is_custom = moon_conversation_get_title_is_custom (conversation);
  record->created = g_date_time_ref (moon_conversation_get_created (conversation));
  record->updated = g_date_time_ref (moon_conversation_get_updated (conversation));
  record->read_only = read_only ? g_error_copy (read_only) : NULL;

  return record;
}

static MoonConversation *
record_make_stub (Record *record)
{
  MoonConversation *stub = _moon_conversation_new_stub (record->id,
                                                        record->title,
                                                        record->title_is_custom,
                                                        record->created,
                                                        record->updated);

  if (record->read_only != NULL)
    _moon_conversation_set_read_only (stub, record->read_only);

  return stub;
}

static JsonNode *
record_to_json (Record *record)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autofree char *created = moon_date_time_to_rfc3339 (record->created);
  g_autofree char *updated = moon_date_time_to_rfc3339 (record->updated);

  json_object_set_string_member (object, "file", record->basename);
  json_object_set_int_member (object, "mtime_ns", record->stamp.mtime_ns);
  json_object_set_int_member (object, "size", record->stamp.size);
  json_object_set_int_member (object, "inode", (gint64) record->stamp.inode);
  json_object_set_string_member (object, "id", record->id);
  json_object_set_string_member (object, "title", record->title);
  json_object_set_boolean_member (object, "title_is_custom", record->title_is_custom);
  json_object_set_string_member (object, "created", created);
  json_object_set_string_member (object, "updated", updated);
  if (record->read_only != NULL)
    {
      JsonObject *read_only = json_object_new ();

      json_object_set_string_member (read_only, "domain", g_quark_to_string (record->read_only->domain));
      json_object_set_int_member (read_only, "code", record->read_only->code);
      json_object_set_string_member (read_only, "message", record->read_only->message);
      json_object_set_object_member (object, "read_only", read_only);
    }

  return json_node_init_object (json_node_alloc (), object);
}

static Record *
record_from_json (JsonObject *object)
{
  g_autoptr(Record) record = g_new0 (Record, 1);
  const char *file = NULL, *id = NULL, *title = NULL, *created = NULL, *updated = NULL;
  gint64 mtime_ns = 0, size = 0, inode = 0;
  JsonObject *read_only = NULL;

  if (moon_json_get_string (object, "file", &file) != MOON_JSON_FIELD_OK ||
      moon_json_get_string (object, "id", &id) != MOON_JSON_FIELD_OK ||
      moon_json_get_string (object, "title", &title) != MOON_JSON_FIELD_OK ||
      moon_json_get_string (object, "created", &created) != MOON_JSON_FIELD_OK ||
      moon_json_get_string (object, "updated", &updated) != MOON_JSON_FIELD_OK ||
      moon_json_get_int (object, "mtime_ns", &mtime_ns) != MOON_JSON_FIELD_OK ||
      moon_json_get_int (object, "size", &size) != MOON_JSON_FIELD_OK ||
      moon_json_get_int (object, "inode", &inode) != MOON_JSON_FIELD_OK ||
      moon_json_get_boolean (object, "title_is_custom", &record->title_is_custom) != MOON_JSON_FIELD_OK ||
      !is_conversation_name (file) || strchr (file, '/') != NULL || *id == '\0')
    return NULL;

  record->basename = g_strdup (file);
  record->id = g_strdup (id);
  record->title = g_strdup (title);
  record->stamp.mtime_ns = mtime_ns;
  record->stamp.size = size;
  record->stamp.inode = (guint64) inode;
  record->created = moon_date_time_from_rfc3339 (created);
  record->updated = moon_date_time_from_rfc3339 (updated);
  if (record->created == NULL || record->updated == NULL)
    return NULL;

  if (moon_json_get_object (object, "read_only", &read_only) == MOON_JSON_FIELD_OK)
    {
      const char *domain = NULL, *message = NULL;
      gint64 code = 0;

      moon_json_get_string (read_only, "domain", &domain);
      moon_json_get_string (read_only, "message", &message);
      moon_json_get_int (read_only, "code", &code);
      record->read_only = g_error_new_literal (g_quark_from_string (domain ? domain : "moon-history-error-quark"),
                                               (int) CLAMP (code, G_MININT, G_MAXINT),
                                               message ? message : "");
    }

  return g_steal_pointer (&record);
}

static GBytes *
render_index (GPtrArray *records)
{
  g_autoptr(JsonObject) root = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  JsonArray *entries = json_array_sized_new (records->len);
  char *text;

  for (guint i = 0; i < records->len; i++)
    json_array_add_element (entries, record_to_json (g_ptr_array_index (records, i)));

  json_object_set_string_member (root, "format", INDEX_FORMAT);
  json_object_set_int_member (root, "version", INDEX_VERSION);
  json_object_set_array_member (root, "entries", entries);
  node = json_node_init_object (json_node_alloc (), root);
  text = json_to_string (node, FALSE);

  return g_bytes_new_take (text, strlen (text));
}

/* Returns basename -> Record, or an empty table if the index is missing or
 * unusable (it is only a cache: it is then rebuilt). */
static GHashTable *
read_index (const char *path)
{
  GHashTable *records = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) record_free);
  g_autofree char *contents = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  const char *format = NULL;
  gint64 version = 0;
  JsonObject *object;
  JsonNode *entries;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_debug ("Ignoring the index %s: %s", path, error->message);
      return records;
    }

  if (!(root = parse_json (contents, len, &error)))
    {
      g_debug ("Ignoring the index %s: %s", path, error->message);
      return records;
    }

  object = json_node_get_object (root);
  entries = json_object_get_member (object, "entries");
  if (moon_json_get_string (object, "format", &format) != MOON_JSON_FIELD_OK ||
      !g_str_equal (format, INDEX_FORMAT) ||
      moon_json_get_int (object, "version", &version) != MOON_JSON_FIELD_OK ||
      version != INDEX_VERSION ||
      entries == NULL || !JSON_NODE_HOLDS_ARRAY (entries))
    return records;

  for (guint i = 0; i < json_array_get_length (json_node_get_array (entries)); i++)
    {
      JsonNode *element = json_array_get_element (json_node_get_array (entries), i);
      Record *record;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      if ((record = record_from_json (json_node_get_object (element))))
        g_hash_table_replace (records, record->basename, record);
    }

  return records;
}

/* Background work that must not keep the store alive (watching, the
 * index) holds it weakly. */
static GWeakRef *
weak_ref_new (gpointer object)
{
  GWeakRef *weak = g_new0 (GWeakRef, 1);

  g_weak_ref_init (weak, object);
  return weak;
}

static void
weak_ref_free (GWeakRef *weak)
{
  g_weak_ref_clear (weak);
  g_free (weak);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GWeakRef, weak_ref_free)

/* ------------------------------------------------------------------------ */
/* Entries                                                                 */
/* ------------------------------------------------------------------------ */

static Entry *
entry_ref (Entry *entry)
{
  entry->ref_count++;
  return entry;
}

static void
entry_unref (Entry *entry)
{
  g_assert (entry->ref_count > 0);

  if (--entry->ref_count > 0)
    return;

  g_assert (entry->save_source == 0);
  g_assert (entry->load_waiters == NULL || entry->load_waiters->len == 0);

  g_clear_pointer (&entry->load_waiters, g_ptr_array_unref);
  g_clear_object (&entry->conversation);
  g_clear_error (&entry->reported_error);
  g_free (entry->basename);
  g_free (entry);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Entry, entry_unref)

static char *
entry_path (Entry *entry)
{
  return g_build_filename (entry->store->directory_path, entry->basename, NULL);
}

static gboolean
entry_can_save (Entry *entry)
{
  return !entry->deleted && !entry->removed && !moon_conversation_get_read_only (entry->conversation);
}

static int
compare_entries (const Entry *a,
                 const Entry *b)
{
  int cmp = g_date_time_compare (moon_conversation_get_updated (b->conversation),
                                 moon_conversation_get_updated (a->conversation));

  if (cmp != 0)
    return cmp;
  cmp = g_strcmp0 (moon_conversation_get_id (a->conversation), moon_conversation_get_id (b->conversation));
  if (cmp != 0)
    return cmp;
  return g_strcmp0 (a->basename, b->basename);
}

static int
compare_entry_ptrs (gconstpointer a,
                    gconstpointer b)
{
  return compare_entries (*(Entry * const *) a, *(Entry * const *) b);
}

static guint
find_insert_position (MoonConversationStore *self,
                      Entry                 *entry)
{
  guint lo = 0, hi = self->items->len;

  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;

      if (compare_entries (g_ptr_array_index (self->items, mid), entry) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }

  return lo;
}

static void
items_changed (MoonConversationStore *self,
               guint                  position,
               guint                  removed,
               guint                  added)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
list_insert (MoonConversationStore *self,
             Entry                 *entry)
{
  guint position = find_insert_position (self, entry);

  g_ptr_array_insert (self->items, position, entry);
  items_changed (self, position, 0, 1);
}

static void
list_remove (MoonConversationStore *self,
             Entry                 *entry)
{
  guint position;

  if (g_ptr_array_find (self->items, entry, &position))
    {
      g_ptr_array_remove_index (self->items, position);
      items_changed (self, position, 1, 0);
    }
}

static void
conversation_updated_cb (MoonConversation *conversation,
                         GParamSpec       *pspec,
                         Entry            *entry)
{
  MoonConversationStore *self = entry->store;
  guint old_position, new_position;

  if (!g_ptr_array_find (self->items, entry, &old_position))
    return;

  g_ptr_array_remove_index (self->items, old_position);
  new_position = find_insert_position (self, entry);
  g_ptr_array_insert (self->items, new_position, entry);

  if (old_position == new_position)
    return;

  /* Two changes, so views keep (and animate) the row that moved. */
  g_list_model_items_changed (G_LIST_MODEL (self), old_position, 1, 0);
  g_list_model_items_changed (G_LIST_MODEL (self), new_position, 0, 1);
}

static void
conversation_changed_cb (MoonConversation *conversation,
                         Entry            *entry)
{
  schedule_save (entry);
}

static Entry *
entry_new (MoonConversationStore *self,
           MoonConversation      *conversation,
           const char            *basename)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->ref_count = 1;
  entry->store = self;
  entry->conversation = g_object_ref (conversation);
  entry->basename = g_strdup (basename);
  entry->changed_id = g_signal_connect (conversation, "changed",
                                        G_CALLBACK (conversation_changed_cb), entry);
  entry->updated_id = g_signal_connect (conversation, "notify::updated",
                                        G_CALLBACK (conversation_updated_cb), entry);

  g_hash_table_insert (self->by_conversation, conversation, entry);
  g_hash_table_insert (self->by_basename, entry->basename, entry);

  return entry;
}

/* Forgets @entry for good: it is no longer listed, saved or watched. */
static void
entry_remove (Entry *entry)
{
  MoonConversationStore *self = entry->store;

  if (entry->removed)
    return;

  entry->removed = TRUE;
  entry->dirty = FALSE;
  g_clear_handle_id (&entry->save_source, g_source_remove);
  g_clear_signal_handler (&entry->changed_id, entry->conversation);
  g_clear_signal_handler (&entry->updated_id, entry->conversation);

  list_remove (self, entry);
  if (g_hash_table_lookup (self->by_basename, entry->basename) == entry)
    g_hash_table_remove (self->by_basename, entry->basename);
  g_hash_table_remove (self->search_cache, entry->basename);
  if (g_hash_table_remove (self->flush_pending, entry))
    check_flush (self);

  /* Last: this may drop the final reference. */
  g_hash_table_remove (self->by_conversation, entry->conversation);
}

static Entry *
lookup_entry (MoonConversationStore *self,
              MoonConversation      *conversation)
{
  return g_hash_table_lookup (self->by_conversation, conversation);
}

/* ------------------------------------------------------------------------ */
/* Reporting                                                               */
/* ------------------------------------------------------------------------ */

static void
report_save_failed (Entry        *entry,
                    const GError *cause)
{
  g_autofree char *title = moon_conversation_dup_display_title (entry->conversation);
  g_autoptr(GError) error = NULL;

  if (g_error_matches (cause, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_READ_ONLY))
    error = g_error_copy (cause);
  else
    /* Translators: the first %s is a conversation title, the second the reason */
    error = g_error_new (cause->domain, cause->code,
                         _("Could not save “%s”. Your messages are kept in memory and saving will be retried. %s"),
                         title, cause->message);

  g_clear_error (&entry->reported_error);
  entry->reported_error = g_error_copy (error);

  g_signal_emit (entry->store, signals[SAVE_FAILED], 0, entry->conversation, error);
}

static void
report_set_aside (MoonConversationStore *self,
                  const char            *original,
                  const char            *moved_to,
                  const GError          *reason)
{
  g_autoptr(GFile) from = g_file_new_for_path (original);
  g_autoptr(GFile) to = g_file_new_for_path (moved_to);

  g_message ("Set aside unreadable conversation file %s as %s: %s", original, moved_to, reason->message);
  g_signal_emit (self, signals[FILE_SET_ASIDE], 0, from, to, reason);
}

/* ------------------------------------------------------------------------ */
/* Saving                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct
{
  Entry                    *entry;
  MoonConversationSnapshot *snapshot;
  char                     *path;
  FileStamp                 expected;
  gboolean                  expect_exists;
  FileStamp                 written;
  char                     *conflict_path;
} WriteData;

static void
write_data_free (WriteData *data)
{
  g_clear_pointer (&data->entry, entry_unref);
  g_clear_pointer (&data->snapshot, _moon_conversation_snapshot_free);
  g_free (data->path);
  g_free (data->conflict_path);
  g_free (data);
}

static void
write_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  WriteData *data = task_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  FileStamp current;

  bytes = _moon_conversation_snapshot_render (data->snapshot);
  g_clear_pointer (&data->snapshot, _moon_conversation_snapshot_free);

  /* Someone else wrote the file since we last read or wrote it (a sync tool
   * while we had unsaved changes): keep their version next to ours. */
  if (stat_file (data->path, &current, NULL) &&
      (!data->expect_exists || !stamp_equal (&current, &data->expected)))
    data->conflict_path = conflict_name (data->path);

  if (!write_file_atomically (data->path, bytes, data->conflict_path, &data->written, &error))
    {
      g_clear_pointer (&data->conflict_path, g_free);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
flush_entry_done (MoonConversationStore *self,
                  Entry                 *entry,
                  const GError          *error)
{
  if (!g_hash_table_contains (self->flush_pending, entry))
    return;

  if (error == NULL && entry->dirty && entry_can_save (entry) && !entry->writing)
    {
      /* Changed again while being written: one more round. */
      entry_start_write (entry);
      return;
    }

  if (error != NULL && self->flush_error == NULL)
    self->flush_error = g_error_copy (error);

  g_hash_table_remove (self->flush_pending, entry);
  check_flush (self);
}

static gboolean
save_timeout_cb (gpointer user_data)
{
  Entry *entry = user_data;

  entry->save_source = 0;
  if (!entry->writing)
    entry_start_write (entry);

  return G_SOURCE_REMOVE;
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  MoonConversationStore *self = MOON_CONVERSATION_STORE (object);
  WriteData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(Entry) entry = entry_ref (data->entry);
  g_autoptr(GError) error = NULL;

  entry->writing = FALSE;

  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      entry->on_disk = TRUE;
      entry->stamp = data->written;
      entry->failed = FALSE;
      entry->retry_ms = 0;
      g_clear_error (&entry->reported_error);

      if (!entry->removed)
        {
          g_signal_emit (self, signals[SAVED], 0, entry->conversation);

          if (data->conflict_path != NULL)
            {
              g_autoptr(GFile) copy = g_file_new_for_path (data->conflict_path);

              g_signal_emit (self, signals[CONFLICT], 0, entry->conversation, copy);
            }
        }

      schedule_index_save (self);
    }
  else if (!entry->removed)
    {
      entry->dirty = TRUE;
      entry->failed = TRUE;
      report_save_failed (entry, error);

      entry->retry_ms = CLAMP (entry->retry_ms * 2, MIN_RETRY_MS, MAX_RETRY_MS);
      if (!entry->deleted)
        {
          g_clear_handle_id (&entry->save_source, g_source_remove);
          entry->save_source = g_timeout_add (entry->retry_ms, save_timeout_cb, entry);
        }
    }

  if (entry->commit_task != NULL)
    {
      g_hash_table_remove (self->flush_pending, entry);
      start_commit (entry, g_steal_pointer (&entry->commit_task));
      check_flush (self);
      return;
    }

  if (entry->recheck)
    {
      entry->recheck = FALSE;
      queue_check (self, entry->basename);
    }

  flush_entry_done (self, entry, error);

  if (error == NULL && entry->dirty && !entry->writing)
    schedule_save (entry);
}

static void
write_after_load_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(Entry) entry = user_data;
  g_autoptr(GError) error = NULL;

  entry->writing = FALSE;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!entry->removed)
        report_save_failed (entry, error);
      flush_entry_done (entry->store, entry, error);
      return;
    }

  if (entry->dirty && entry_can_save (entry))
    entry_start_write (entry);
  else
    flush_entry_done (entry->store, entry, NULL);
}

static void
entry_start_write (Entry *entry)
{
  MoonConversationStore *self = entry->store;
  g_autoptr(GTask) task = NULL;
  WriteData *data;

  g_assert (!entry->writing);

  g_clear_handle_id (&entry->save_source, g_source_remove);

  if (!entry_can_save (entry))
    {
      flush_entry_done (self, entry, NULL);
      return;
    }

  /* A stub renamed before it was opened: read it first, then write. */
  if (!moon_conversation_get_is_loaded (entry->conversation))
    {
      entry->writing = TRUE;
      entry_load (entry, g_task_new (self, NULL, write_after_load_cb, entry_ref (entry)));
      return;
    }

  data = g_new0 (WriteData, 1);
  data->entry = entry_ref (entry);
  data->snapshot = _moon_conversation_snapshot (entry->conversation);
  data->path = entry_path (entry);
  data->expected = entry->stamp;
  data->expect_exists = entry->on_disk;

  entry->writing = TRUE;
  entry->dirty = FALSE;
  entry->last_write_start = g_get_monotonic_time ();

  task = g_task_new (self, NULL, write_cb, NULL);
  g_task_set_source_tag (task, entry_start_write);
  g_task_set_task_data (task, data, (GDestroyNotify) write_data_free);
  g_task_run_in_thread (task, write_thread);
}

static void
schedule_save (Entry *entry)
{
  MoonConversationStore *self = entry->store;
  gint64 now;
  guint delay_ms;

  if (entry->removed)
    return;

  if (moon_conversation_get_read_only (entry->conversation))
    {
      if (!entry->read_only_reported)
        {
          const GError *reason = moon_conversation_get_read_only_reason (entry->conversation);
          g_autofree char *title = moon_conversation_dup_display_title (entry->conversation);
          g_autoptr(GError) error = NULL;

          /* Translators: %s is a conversation title, then the reason */
          error = g_error_new (MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_READ_ONLY,
                               _("“%s” is read-only, so changes to it are not saved. %s"),
                               title, reason->message);
          entry->read_only_reported = TRUE;
          report_save_failed (entry, error);
        }
      return;
    }

  now = g_get_monotonic_time ();
  if (!entry->dirty)
    entry->dirty_since = now;
  entry->dirty = TRUE;

  if (entry->deleted || entry->writing)
    return;

  /* Waiting to retry after a failure: do not hammer a full disk. */
  if (entry->failed && entry->save_source != 0)
    return;

  if (g_hash_table_contains (self->flush_pending, entry))
    {
      entry_start_write (entry);
      return;
    }

  if (moon_conversation_get_is_busy (entry->conversation))
    {
      gint64 due = entry->last_write_start + (gint64) self->checkpoint_interval_ms * 1000;

      /* A checkpoint is already planned: never postpone it. */
      if (entry->save_source != 0)
        return;

      delay_ms = due > now ? (guint) ((due - now + 999) / 1000) : 0;
    }
  else
    {
      if (entry->save_source != 0)
        {
          /* Keep postponing while changes come in, but not for ever. */
          if (now - entry->dirty_since > MAX_DEBOUNCE_US)
            return;
          g_clear_handle_id (&entry->save_source, g_source_remove);
        }

      delay_ms = self->save_delay_ms;
    }

  entry->save_source = g_timeout_add (delay_ms, save_timeout_cb, entry);
}

/* ------------------------------------------------------------------------ */
/* The index                                                               */
/* ------------------------------------------------------------------------ */

typedef struct
{
  char      *path;
  GPtrArray *records;
} IndexData;

static void
index_data_free (IndexData *data)
{
  g_free (data->path);
  g_clear_pointer (&data->records, g_ptr_array_unref);
  g_free (data);
}

static void
index_write_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  IndexData *data = task_data;
  g_autofree char *dir = g_path_get_dirname (data->path);
  g_autoptr(GBytes) bytes = render_index (data->records);
  g_autoptr(GError) error = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      set_errno_error (&error, errno, _("Could not create the folder “%s”"), dir);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!write_file_atomically (data->path, bytes, NULL, NULL, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static GPtrArray *
collect_records (MoonConversationStore *self)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);
  GHashTableIter iter;
  Entry *entry;

  g_hash_table_iter_init (&iter, self->by_conversation);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      if (!entry->on_disk || entry->removed)
        continue;
      g_ptr_array_add (records, record_new_from_conversation (entry->basename, &entry->stamp,
                                                              entry->conversation));
    }

  return records;
}

static void
index_write_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GWeakRef) weak = user_data;
  g_autoptr(MoonConversationStore) self = g_weak_ref_get (weak);
  g_autoptr(GError) error = NULL;

  /* The index is a cache; failing to write it costs only start-up time. */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_message ("Could not write the conversation index: %s", error->message);

  if (self == NULL)
    return;

  self->index_writing = FALSE;

  if (self->index_dirty && !self->disposed)
    schedule_index_save (self);

  check_flush (self);
}

static void
index_write_now (MoonConversationStore *self)
{
  g_autoptr(GTask) task = NULL;
  IndexData *data;

  g_clear_handle_id (&self->index_source, g_source_remove);

  if (self->index_writing || !self->loaded)
    return;

  self->index_dirty = FALSE;
  self->index_writing = TRUE;

  data = g_new0 (IndexData, 1);
  data->path = g_file_get_path (self->index_file);
  data->records = collect_records (self);

  task = g_task_new (NULL, NULL, index_write_cb, weak_ref_new (self));
  g_task_set_source_tag (task, index_write_now);
  g_task_set_task_data (task, data, (GDestroyNotify) index_data_free);
  g_task_run_in_thread (task, index_write_thread);
}

static gboolean
index_timeout_cb (gpointer user_data)
{
  MoonConversationStore *self = user_data;

  self->index_source = 0;
  index_write_now (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_index_save (MoonConversationStore *self)
{
  self->index_dirty = TRUE;

  if (self->index_source == 0 && !self->index_writing && !self->disposed)
    self->index_source = g_timeout_add (INDEX_DELAY_MS, index_timeout_cb, self);
}

/* ------------------------------------------------------------------------ */
/* Flush                                                                   */
/* ------------------------------------------------------------------------ */

static void
check_flush (MoonConversationStore *self)
{
  g_autoptr(GPtrArray) tasks = NULL;
  g_autoptr(GError) error = NULL;

  if (self->flush_tasks->len == 0)
    return;
  if (g_hash_table_size (self->flush_pending) > 0)
    return;

  if (self->index_dirty || self->index_source != 0)
    index_write_now (self);
  if (self->index_writing)
    return;

  tasks = g_steal_pointer (&self->flush_tasks);
  self->flush_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  error = g_steal_pointer (&self->flush_error);

  for (guint i = 0; i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

/**
 * moon_conversation_store_flush_async:
 * @self: a #MoonConversationStore
 * @cancellable: (nullable): a #GCancellable (only stops the wait)
 * @callback: called when every pending change is on disk
 * @user_data: data for @callback
 *
 * Saves every conversation with unsaved changes now, without waiting for the
 * debounce, waits for every save in flight, and writes the index. The
 * application calls this before it quits.
 */
void
moon_conversation_store_flush_async (MoonConversationStore *self,
                                     GCancellable          *cancellable,
                                     GAsyncReadyCallback    callback,
                                     gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) entries = NULL;

  g_return_if_fail (MOON_IS_CONVERSATION_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_conversation_store_flush_async);
  g_task_set_return_on_cancel (task, TRUE);
  g_ptr_array_add (self->flush_tasks, g_object_ref (task));

  entries = g_hash_table_get_values_as_ptr_array (self->by_conversation);
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (entries, i);

      if (entry->writing)
        g_hash_table_add (self->flush_pending, entry);
      else if (entry->dirty && entry_can_save (entry))
        {
          g_hash_table_add (self->flush_pending, entry);
          entry_start_write (entry);
        }
    }

  check_flush (self);
}

/**
 * moon_conversation_store_flush_finish:
 * @self: a #MoonConversationStore
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: %TRUE if everything was saved; otherwise the first error (the
 *   data that could not be saved is still in memory)
 */
gboolean
moon_conversation_store_flush_finish (MoonConversationStore  *self,
                                      GAsyncResult           *result,
                                      GError                **error)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * moon_conversation_store_save:
 * @self: a #MoonConversationStore
 * @conversation: a conversation of @self
 *
 * Asks for @conversation to be saved. Saves are debounced (and limited to
 * one per checkpoint interval while a reply streams); changes to a
 * conversation request this by themselves, so calling it is only needed
 * after changing something the conversation does not announce.
 */
void
moon_conversation_store_save (MoonConversationStore *self,
                              MoonConversation      *conversation)
{
  Entry *entry;

  g_return_if_fail (MOON_IS_CONVERSATION_STORE (self));
  g_return_if_fail (MOON_IS_CONVERSATION (conversation));

  entry = lookup_entry (self, conversation);
  g_return_if_fail (entry != NULL);

  schedule_save (entry);
}

/* ------------------------------------------------------------------------ */
/* Loading one conversation                                                */
/* ------------------------------------------------------------------------ */

typedef struct
{
  char             *path;
  FileStamp         stamp;
  MoonConversation *loaded;
  char             *set_aside_as;
  GError           *set_aside_reason;
} ReadData;

static void
read_data_free (ReadData *data)
{
  g_free (data->path);
  g_clear_object (&data->loaded);
  g_free (data->set_aside_as);
  g_clear_error (&data->set_aside_reason);
  g_free (data);
}

static void
prime_message_cache (MoonConversation *conversation)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (conversation));

  /* Serialize each message once here, on the worker, so the first save of
   * a long conversation costs the main thread nothing. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MoonMessage) message = g_list_model_get_item (G_LIST_MODEL (conversation), i);

      g_bytes_unref (_moon_message_dup_serialized (message));
    }
}

/* Reads a file fully on a worker; a corrupt file is set aside there. */
static void
read_full_file (ReadData *data,
                GError  **error)
{
  g_autoptr(GError) local_error = NULL;

  data->loaded = read_conversation_file (data->path, &data->stamp, &local_error);
  if (data->loaded != NULL)
    {
      prime_message_cache (data->loaded);
      return;
    }

  if (is_invalid_error (local_error))
    {
      g_autoptr(GError) rename_error = NULL;

      data->set_aside_as = set_aside_file (data->path, &rename_error);
      if (data->set_aside_as != NULL)
        data->set_aside_reason = g_error_copy (local_error);
      else
        g_message ("%s", rename_error->message);
    }

  g_propagate_error (error, g_steal_pointer (&local_error));
}

static void
read_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ReadData *data = task_data;
  GError *error = NULL;

  read_full_file (data, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
entry_load_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  MoonConversationStore *self = MOON_CONVERSATION_STORE (object);
  g_autoptr(Entry) entry = user_data;
  ReadData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GPtrArray) waiters = NULL;
  g_autoptr(GError) error = NULL;

  entry->loading = FALSE;
  waiters = g_steal_pointer (&entry->load_waiters);

  self->files_parsed++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILES_PARSED]);

  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!entry->removed)
        {
          /* A rename made before the messages were read wins. */
          _moon_conversation_take_contents (entry->conversation, data->loaded, entry->dirty);
          entry->stamp = data->stamp;
          entry->on_disk = TRUE;

          if (moon_conversation_get_read_only (entry->conversation))
            g_signal_emit (self, signals[FILE_READ_ONLY], 0, entry->conversation,
                           moon_conversation_get_read_only_reason (entry->conversation));
        }
    }
  else if (!entry->removed)
    {
      if (data->set_aside_as != NULL)
        {
          report_set_aside (self, data->path, data->set_aside_as, data->set_aside_reason);
          entry_remove (entry);
          schedule_index_save (self);
        }
      else if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ||
               g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          /* Deleted by another program since the list was made. */
          entry_remove (entry);
          schedule_index_save (self);
        }
    }

  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      GTask *waiter = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (waiter, g_error_copy (error));
      else
        g_task_return_boolean (waiter, TRUE);
    }
}

static void
entry_load (Entry *entry,
            GTask *waiter)
{
  MoonConversationStore *self = entry->store;
  g_autoptr(GTask) task = NULL;
  ReadData *data;

  if (entry->load_waiters == NULL)
    entry->load_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (entry->load_waiters, waiter);

  if (entry->loading)
    return;
  entry->loading = TRUE;

  data = g_new0 (ReadData, 1);
  data->path = entry_path (entry);

  task = g_task_new (self, NULL, entry_load_cb, entry_ref (entry));
  g_task_set_source_tag (task, entry_load);
  g_task_set_task_data (task, data, (GDestroyNotify) read_data_free);
  g_task_run_in_thread (task, read_thread);
}

/**
 * moon_conversation_store_ensure_loaded_async:
 * @self: a #MoonConversationStore
 * @conversation: a conversation of @self
 * @cancellable: (nullable): a #GCancellable (only stops the wait)
 * @callback: called when the messages are there
 * @user_data: data for @callback
 *
 * Reads @conversation's messages and settings from its file (on a worker
 * thread), if that has not happened yet. Call this when a conversation is
 * opened. A file that no longer parses is set aside and the conversation
 * removed from the list; the error says why.
 */
void
moon_conversation_store_ensure_loaded_async (MoonConversationStore *self,
                                             MoonConversation      *conversation,
                                             GCancellable          *cancellable,
                                             GAsyncReadyCallback    callback,
                                             gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  Entry *entry;

  g_return_if_fail (MOON_IS_CONVERSATION_STORE (self));
  g_return_if_fail (MOON_IS_CONVERSATION (conversation));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_conversation_store_ensure_loaded_async);
  g_task_set_return_on_cancel (task, TRUE);

  if (moon_conversation_get_is_loaded (conversation))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  entry = lookup_entry (self, conversation);
  if (entry == NULL)
    {
      g_task_return_new_error (task, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_NOT_FOUND,
                               _("The conversation is not in this history"));
      return;
    }

  entry_load (entry, g_steal_pointer (&task));
}

gboolean
moon_conversation_store_ensure_loaded_finish (MoonConversationStore  *self,
                                              GAsyncResult           *result,
                                              GError                **error)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Start-up                                                                */
/* ------------------------------------------------------------------------ */

typedef struct
{
  char      *directory;
  char      *index_path;
  GPtrArray *records;   /* Record* */
  GPtrArray *set_aside; /* char* original, char* moved-to, GError* reason, ... */
  guint      files_parsed;
  gboolean   index_stale;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_free (data->directory);
  g_free (data->index_path);
  g_clear_pointer (&data->records, g_ptr_array_unref);
  g_clear_pointer (&data->set_aside, g_ptr_array_unref);
  g_free (data);
}

typedef struct
{
  char   *original;
  char   *moved_to;
  GError *reason;
} SetAside;

static void
set_aside_free (SetAside *item)
{
  g_free (item->original);
  g_free (item->moved_to);
  g_clear_error (&item->reason);
  g_free (item);
}

static void
remove_stale_temp_file (const char *directory,
                        const char *name)
{
  g_autofree char *path = g_build_filename (directory, name, NULL);
  struct stat st;

  /* Our own temporary files (".<name>.json.tmp-XXXXXX") left by a crash. */
  if (!g_str_has_prefix (name, ".") || strstr (name, ".json.tmp-") == NULL)
    return;

  if (lstat (path, &st) == 0 && S_ISREG (st.st_mode) &&
      g_get_real_time () - (gint64) st.st_mtime * G_USEC_PER_SEC > STALE_TEMP_AGE_US)
    g_unlink (path);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData *data = task_data;
  g_autoptr(GHashTable) index = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  guint n_from_index = 0;

  if (g_mkdir_with_parents (data->directory, 0700) != 0)
    {
      set_errno_error (&error, errno, _("Could not create the folder “%s”"), data->directory);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!(dir = g_dir_open (data->directory, 0, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  index = read_index (data->index_path);

  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *path = NULL;
      Record *cached;
      FileStamp stamp;

      if (g_task_return_error_if_cancelled (task))
        return;

      if (!is_conversation_name (name))
        {
          remove_stale_temp_file (data->directory, name);
          continue;
        }

      path = g_build_filename (data->directory, name, NULL);
      if (!stat_file (path, &stamp, NULL))
        continue;

      cached = g_hash_table_lookup (index, name);
      if (cached != NULL && stamp_equal (&cached->stamp, &stamp))
        {
          g_hash_table_steal (index, name);
          g_ptr_array_add (data->records, cached);
          n_from_index++;
        }
      else
        {
          g_autoptr(MoonConversation) conversation = NULL;
          g_autoptr(GError) parse_error = NULL;

          data->index_stale = TRUE;
          data->files_parsed++;
          conversation = read_conversation_file (path, &stamp, &parse_error);

          if (conversation != NULL)
            g_ptr_array_add (data->records, record_new_from_conversation (name, &stamp, conversation));
          else if (is_invalid_error (parse_error))
            {
              g_autoptr(GError) rename_error = NULL;
              g_autofree char *moved_to = set_aside_file (path, &rename_error);

              if (moved_to != NULL)
                {
                  SetAside *item = g_new0 (SetAside, 1);

                  item->original = g_steal_pointer (&path);
                  item->moved_to = g_steal_pointer (&moved_to);
                  item->reason = g_steal_pointer (&parse_error);
                  g_ptr_array_add (data->set_aside, item);
                }
              else
                g_message ("%s", rename_error->message);
            }
          else
            /* Unreadable for now (permissions, I/O): leave it alone. */
            g_message ("Could not read %s: %s", path, parse_error->message);
        }
    }

  /* Entries for files that are gone also make the index stale. */
  if (g_hash_table_size (index) > 0)
    data->index_stale = TRUE;

  g_debug ("Listed %u conversations (%u from the index, %u files parsed)",
           data->records->len, n_from_index, data->files_parsed);

  g_task_return_boolean (task, TRUE);
}

static void
start_monitor (MoonConversationStore *self);

static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  MoonConversationStore *self = MOON_CONVERSATION_STORE (object);
  g_autoptr(GTask) task = user_data;
  LoadData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) added = NULL;
  guint old_len;

  self->loading = FALSE;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  added = g_ptr_array_new ();
  for (guint i = 0; i < data->records->len; i++)
    {
      Record *record = g_ptr_array_index (data->records, i);
      g_autoptr(MoonConversation) stub = NULL;
      Entry *entry;

      if (g_hash_table_contains (self->by_basename, record->basename))
        continue;

      stub = record_make_stub (record);
      entry = entry_new (self, stub, record->basename);
      entry->stamp = record->stamp;
      entry->on_disk = TRUE;
      g_ptr_array_add (added, entry);
    }

  /* One splice for the whole list. */
  old_len = self->items->len;
  g_ptr_array_extend (self->items, added, NULL, NULL);
  g_ptr_array_sort (self->items, compare_entry_ptrs);
  self->files_parsed += data->files_parsed;
  self->loaded = TRUE;

  items_changed (self, 0, old_len, self->items->len);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILES_PARSED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_LOADED]);

  for (guint i = 0; i < data->set_aside->len; i++)
    {
      SetAside *item = g_ptr_array_index (data->set_aside, i);

      report_set_aside (self, item->original, item->moved_to, item->reason);
    }

  for (guint i = 0; i < added->len; i++)
    {
      Entry *entry = g_ptr_array_index (added, i);

      if (moon_conversation_get_read_only (entry->conversation))
        g_signal_emit (self, signals[FILE_READ_ONLY], 0, entry->conversation,
                       moon_conversation_get_read_only_reason (entry->conversation));
    }

  if (data->index_stale)
    index_write_now (self);

  start_monitor (self);

  g_task_return_boolean (task, TRUE);
}

/**
 * moon_conversation_store_load_async:
 * @self: a #MoonConversationStore
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the list is ready
 * @user_data: data for @callback
 *
 * Lists the conversations in the folder (creating it if needed): the index
 * gives the title and times of every file it knows unchanged; only new or
 * changed files are parsed (on a worker thread). Files that do not parse
 * are set aside and reported; the rest still load. Then starts watching
 * the folder.
 */
void
moon_conversation_store_load_async (MoonConversationStore *self,
                                    GCancellable          *cancellable,
                                    GAsyncReadyCallback    callback,
                                    gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;
  LoadData *data;

  g_return_if_fail (MOON_IS_CONVERSATION_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_conversation_store_load_async);

  if (self->loaded || self->loading)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "The conversation store is already loaded");
      return;
    }
  self->loading = TRUE;

  data = g_new0 (LoadData, 1);
  data->directory = g_strdup (self->directory_path);
  data->index_path = g_file_get_path (self->index_file);
  data->records = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);
  data->set_aside = g_ptr_array_new_with_free_func ((GDestroyNotify) set_aside_free);

  worker = g_task_new (self, cancellable, load_cb, g_steal_pointer (&task));
  g_task_set_source_tag (worker, load_thread);
  g_task_set_task_data (worker, data, (GDestroyNotify) load_data_free);
  g_task_run_in_thread (worker, load_thread);
}

gboolean
moon_conversation_store_load_finish (MoonConversationStore  *self,
                                     GAsyncResult           *result,
                                     GError                **error)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Watching the folder                                                     */
/* ------------------------------------------------------------------------ */

typedef enum
{
  CHECK_MISSING,
  CHECK_UNCHANGED,
  CHECK_CHANGED,
  CHECK_SET_ASIDE,
  CHECK_ERROR,
} CheckKind;

typedef struct
{
  char      *basename;
  FileStamp  known;
  gboolean   has_known;
  CheckKind  kind;
  ReadData   read;
} CheckItem;

static void
check_item_free (CheckItem *item)
{
  g_free (item->basename);
  g_free (item->read.path);
  g_clear_object (&item->read.loaded);
  g_free (item->read.set_aside_as);
  g_clear_error (&item->read.set_aside_reason);
  g_free (item);
}

static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GPtrArray *items = task_data;

  for (guint i = 0; i < items->len; i++)
    {
      CheckItem *item = g_ptr_array_index (items, i);
      g_autoptr(GError) error = NULL;
      FileStamp stamp;

      if (!stat_file (item->read.path, &stamp, NULL))
        {
          item->kind = CHECK_MISSING;
          continue;
        }

      if (item->has_known && stamp_equal (&stamp, &item->known))
        {
          item->kind = CHECK_UNCHANGED;
          continue;
        }

      read_full_file (&item->read, &error);
      if (item->read.loaded != NULL)
        item->kind = CHECK_CHANGED;
      else if (item->read.set_aside_as != NULL)
        item->kind = CHECK_SET_ASIDE;
      else
        item->kind = CHECK_ERROR;
    }

  g_task_return_boolean (task, TRUE);
}

static void
apply_check (MoonConversationStore *self,
             CheckItem             *item)
{
  Entry *entry = g_hash_table_lookup (self->by_basename, item->basename);

  if (item->kind == CHECK_CHANGED || item->kind == CHECK_SET_ASIDE)
    {
      self->files_parsed++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILES_PARSED]);
    }

  if (entry != NULL && (entry->deleted || entry->removed))
    return;

  /* Our own write may have finished since the check started. */
  if (entry != NULL && entry->writing)
    {
      entry->recheck = TRUE;
      return;
    }

  switch (item->kind)
    {
    case CHECK_UNCHANGED:
    case CHECK_ERROR:
      break;

    case CHECK_MISSING:
      if (entry == NULL || !entry->on_disk)
        break;
      entry->on_disk = FALSE;
      if (moon_conversation_get_is_busy (entry->conversation) || entry->dirty)
        {
          /* Removed under a conversation in use: ours is saved again. */
          schedule_save (entry);
          break;
        }
      g_debug ("%s was removed by another program", item->basename);
      entry_remove (entry);
      schedule_index_save (self);
      break;

    case CHECK_SET_ASIDE:
      report_set_aside (self, item->read.path, item->read.set_aside_as, item->read.set_aside_reason);
      if (entry != NULL)
        {
          entry->on_disk = FALSE;
          if (moon_conversation_get_is_loaded (entry->conversation))
            {
              /* We still have a good copy in memory: write it back. */
              schedule_save (entry);
            }
          else
            entry_remove (entry);
        }
      schedule_index_save (self);
      break;

    case CHECK_CHANGED:
      if (entry == NULL)
        {
          /* A file dropped into the folder (or synced in). */
          g_autoptr(Record) record = record_new_from_conversation (item->basename, &item->read.stamp,
                                                                  item->read.loaded);
          g_autoptr(MoonConversation) stub = record_make_stub (record);

          entry = entry_new (self, stub, item->basename);
          entry->stamp = item->read.stamp;
          entry->on_disk = TRUE;
          list_insert (self, entry);
          if (moon_conversation_get_read_only (stub))
            g_signal_emit (self, signals[FILE_READ_ONLY], 0, stub,
                           moon_conversation_get_read_only_reason (stub));
        }
      else if (entry->on_disk && stamp_equal (&entry->stamp, &item->read.stamp))
        break;
      else if (moon_conversation_get_is_busy (entry->conversation) || entry->dirty)
        {
          /* Streaming or unsaved changes: keep ours. The next save notices
           * the file changed and keeps the other version as a conflict copy. */
          g_debug ("%s changed on disk while in use; keeping ours", item->basename);
          break;
        }
      else if (!moon_conversation_get_is_loaded (entry->conversation))
        {
          /* Only the header is used; the messages are read when opened. */
          _moon_conversation_take_header (entry->conversation, item->read.loaded);
          entry->stamp = item->read.stamp;
          entry->on_disk = TRUE;
        }
      else
        {
          g_debug ("%s changed on disk; reloading", item->basename);
          _moon_conversation_take_contents (entry->conversation, item->read.loaded, FALSE);
          entry->stamp = item->read.stamp;
          entry->on_disk = TRUE;
        }
      schedule_index_save (self);
      break;

    default:
      g_assert_not_reached ();
    }
}

static gboolean check_timeout_cb (gpointer user_data);

static void
check_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GWeakRef) weak = user_data;
  g_autoptr(MoonConversationStore) self = g_weak_ref_get (weak);
  GPtrArray *items = g_task_get_task_data (G_TASK (result));

  if (self == NULL)
    return;

  self->checking = FALSE;

  if (!self->disposed)
    for (guint i = 0; i < items->len; i++)
      apply_check (self, g_ptr_array_index (items, i));

  if (g_hash_table_size (self->pending_checks) > 0 && self->check_source == 0 && !self->disposed)
    self->check_source = g_timeout_add (MONITOR_DELAY_MS, check_timeout_cb, self);
}

static gboolean
check_timeout_cb (gpointer user_data)
{
  MoonConversationStore *self = user_data;
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) items = NULL;
  GHashTableIter iter;
  const char *basename;

  self->check_source = 0;

  /* One check at a time; the next picks up what arrived meanwhile. */
  if (self->checking)
    {
      self->check_source = g_timeout_add (MONITOR_DELAY_MS, check_timeout_cb, self);
      return G_SOURCE_REMOVE;
    }

  items = g_ptr_array_new_with_free_func ((GDestroyNotify) check_item_free);
  g_hash_table_iter_init (&iter, self->pending_checks);
  while (g_hash_table_iter_next (&iter, (gpointer *) &basename, NULL))
    {
      CheckItem *item = g_new0 (CheckItem, 1);
      Entry *entry = g_hash_table_lookup (self->by_basename, basename);

      item->basename = g_strdup (basename);
      item->read.path = g_build_filename (self->directory_path, basename, NULL);
      if (entry != NULL && entry->on_disk)
        {
          item->known = entry->stamp;
          item->has_known = TRUE;
        }
      g_ptr_array_add (items, item);
    }
  g_hash_table_remove_all (self->pending_checks);

  self->checking = TRUE;
  task = g_task_new (NULL, NULL, check_cb, weak_ref_new (self));
  g_task_set_source_tag (task, check_timeout_cb);
  g_task_set_task_data (task, g_steal_pointer (&items), (GDestroyNotify) g_ptr_array_unref);
  g_task_run_in_thread (task, check_thread);

  return G_SOURCE_REMOVE;
}

static void
queue_check (MoonConversationStore *self,
             const char            *basename)
{
  if (self->disposed || !is_conversation_name (basename))
    return;

  g_hash_table_add (self->pending_checks, g_strdup (basename));
  if (self->check_source == 0)
    self->check_source = g_timeout_add (MONITOR_DELAY_MS, check_timeout_cb, self);
}

static void
monitor_changed_cb (GFileMonitor          *monitor,
                    GFile                 *file,
                    GFile                 *other_file,
                    GFileMonitorEvent      event,
                    MoonConversationStore *self)
{
  g_autofree char *name = NULL;
  g_autofree char *other_name = NULL;

  switch (event)
    {
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
    case G_FILE_MONITOR_EVENT_RENAMED:
    case G_FILE_MONITOR_EVENT_MOVED:
      break;

    /* A file being written: wait for CHANGES_DONE_HINT. */
    case G_FILE_MONITOR_EVENT_CHANGED:
    case G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED:
    case G_FILE_MONITOR_EVENT_PRE_UNMOUNT:
    case G_FILE_MONITOR_EVENT_UNMOUNTED:
    default:
      return;
    }

  name = g_file_get_basename (file);
  queue_check (self, name);

  if (other_file != NULL)
    {
      other_name = g_file_get_basename (other_file);
      queue_check (self, other_name);
    }
}

static void
start_monitor (MoonConversationStore *self)
{
  g_autoptr(GError) error = NULL;

  self->monitor = g_file_monitor_directory (self->directory, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (self->monitor == NULL)
    {
      g_warning ("Cannot watch %s for changes by other programs: %s",
                 self->directory_path, error->message);
      return;
    }

  g_signal_connect_object (self->monitor, "changed", G_CALLBACK (monitor_changed_cb), self, 0);
}

/* ------------------------------------------------------------------------ */
/* Create, rename, delete                                                  */
/* ------------------------------------------------------------------------ */

/**
 * moon_conversation_store_create:
 * @self: a #MoonConversationStore
 *
 * Adds a new, empty conversation at the top of the list. Its file is
 * written when it first changes (so an unused “New Conversation” leaves
 * nothing behind).
 *
 * Returns: (transfer none): the new conversation
 */
MoonConversation *
moon_conversation_store_create (MoonConversationStore *self)
{
  g_autoptr(MoonConversation) conversation = NULL;
  g_autofree char *basename = NULL;
  Entry *entry;

  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (self), NULL);

  conversation = moon_conversation_new ();
  basename = g_strdup_printf ("%s.json", moon_conversation_get_id (conversation));
  entry = entry_new (self, conversation, basename);
  list_insert (self, entry);

  return entry->conversation;
}

/**
 * moon_conversation_store_lookup:
 * @self: a #MoonConversationStore
 * @id: a conversation id
 *
 * Returns: (transfer none) (nullable): the listed conversation with @id
 */
MoonConversation *
moon_conversation_store_lookup (MoonConversationStore *self,
                                const char            *id)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  for (guint i = 0; i < self->items->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->items, i);

      if (g_str_equal (moon_conversation_get_id (entry->conversation), id))
        return entry->conversation;
    }

  return NULL;
}

/**
 * moon_conversation_store_rename:
 * @self: a #MoonConversationStore
 * @conversation: a conversation of @self
 * @title: (nullable): the new title, or %NULL to derive it again
 *
 * Renames @conversation and saves it (reading its messages first if it was
 * not opened yet).
 */
void
moon_conversation_store_rename (MoonConversationStore *self,
                                MoonConversation      *conversation,
                                const char            *title)
{
  g_return_if_fail (MOON_IS_CONVERSATION_STORE (self));
  g_return_if_fail (MOON_IS_CONVERSATION (conversation));
  g_return_if_fail (lookup_entry (self, conversation) != NULL);

  moon_conversation_set_title (conversation, title);
}

/**
 * moon_conversation_store_delete:
 * @self: a #MoonConversationStore
 * @conversation: a conversation of @self
 *
 * Removes @conversation from the list, but not yet from disk: the returned
 * token undoes this (moon_conversation_store_undo_delete()) or makes it
 * final (moon_conversation_store_commit_delete_async(), which moves the file
 * to the trash). A deletion never committed leaves the file in place.
 *
 * Returns: a token for undo or commit, never 0
 */
guint
moon_conversation_store_delete (MoonConversationStore *self,
                                MoonConversation      *conversation)
{
  Entry *entry;
  guint token;

  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (self), 0);
  g_return_val_if_fail (MOON_IS_CONVERSATION (conversation), 0);

  entry = lookup_entry (self, conversation);
  g_return_val_if_fail (entry != NULL, 0);
  g_return_val_if_fail (!entry->deleted, 0);

  entry->deleted = TRUE;
  g_clear_handle_id (&entry->save_source, g_source_remove);
  list_remove (self, entry);

  token = ++self->next_token;
  if (token == 0)
    token = ++self->next_token;
  g_hash_table_insert (self->deletions, GUINT_TO_POINTER (token), entry_ref (entry));

  return token;
}

/**
 * moon_conversation_store_undo_delete:
 * @self: a #MoonConversationStore
 * @token: what moon_conversation_store_delete() returned
 *
 * Puts the conversation back in the list, with any unsaved changes.
 *
 * Returns: %TRUE if there was such a pending deletion
 */
gboolean
moon_conversation_store_undo_delete (MoonConversationStore *self,
                                     guint                  token)
{
  Entry *entry;

  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (self), FALSE);

  entry = g_hash_table_lookup (self->deletions, GUINT_TO_POINTER (token));
  if (entry == NULL || entry->removed)
    return FALSE;

  entry->deleted = FALSE;
  list_insert (self, entry);
  if (entry->dirty)
    schedule_save (entry);

  g_hash_table_remove (self->deletions, GUINT_TO_POINTER (token));

  return TRUE;
}

typedef struct
{
  Entry *entry;
  char  *path;
  char  *fallback_dir;
  char  *moved_to;
} TrashData;

static void
trash_data_free (TrashData *data)
{
  g_clear_pointer (&data->entry, entry_unref);
  g_free (data->path);
  g_free (data->fallback_dir);
  g_free (data->moved_to);
  g_free (data);
}

static void
trash_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  TrashData *data = task_data;
  g_autoptr(GFile) file = g_file_new_for_path (data->path);
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;

  if (g_file_trash (file, NULL, &error))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      /* Already gone: nothing to keep. */
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* No trash on this file system: move it to a folder whose name says what
   * it is, never unlink it. */
  g_clear_error (&error);
  if (g_mkdir_with_parents (data->fallback_dir, 0700) != 0)
    {
      set_errno_error (&error, errno, _("Could not create the folder “%s”"), data->fallback_dir);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  base = g_path_get_basename (data->path);
  for (guint i = 1; i < 1000 && data->moved_to == NULL; i++)
    {
      g_autofree char *candidate = NULL;

      if (i == 1)
        candidate = g_build_filename (data->fallback_dir, base, NULL);
      else
        {
          g_autofree char *numbered = g_strdup_printf ("%u-%s", i, base);

          candidate = g_build_filename (data->fallback_dir, numbered, NULL);
        }

      if (!g_file_test (candidate, G_FILE_TEST_EXISTS))
        data->moved_to = g_steal_pointer (&candidate);
    }

  if (data->moved_to == NULL || g_rename (data->path, data->moved_to) != 0)
    {
      set_errno_error (&error, errno, _("Could not move “%s” out of the history"), data->path);
      g_clear_pointer (&data->moved_to, g_free);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
trash_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  MoonConversationStore *self = MOON_CONVERSATION_STORE (object);
  g_autoptr(GTask) task = user_data;
  TrashData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(Entry) entry = entry_ref (data->entry);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *title = moon_conversation_dup_display_title (entry->conversation);

      /* Nothing silently disappears: the conversation comes back. */
      entry->deleted = FALSE;
      if (!entry->removed)
        {
          list_insert (self, entry);
          if (entry->dirty)
            schedule_save (entry);
        }

      g_task_return_new_error (task, error->domain, error->code,
                               /* Translators: %s is a conversation title, then the reason */
                               _("Could not move “%s” to the trash. %s"),
                               title, error->message);
      return;
    }

  entry->on_disk = FALSE;
  entry_remove (entry);
  schedule_index_save (self);

  if (data->moved_to != NULL)
    g_task_set_task_data (task, g_file_new_for_path (data->moved_to), g_object_unref);

  g_task_return_boolean (task, TRUE);
}

static void
start_commit (Entry *entry,
              GTask *task)
{
  MoonConversationStore *self = entry->store;
  g_autoptr(GTask) worker = NULL;
  g_autoptr(GFile) parent = NULL;
  g_autoptr(GFile) fallback = NULL;
  TrashData *data;

  g_assert (!entry->writing);

  g_clear_handle_id (&entry->save_source, g_source_remove);

  if (!entry->on_disk)
    {
      entry_remove (entry);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  parent = g_file_get_parent (self->directory);
  fallback = g_file_get_child (parent ? parent : self->directory, "deleted-conversations");

  data = g_new0 (TrashData, 1);
  data->entry = entry_ref (entry);
  data->path = entry_path (entry);
  data->fallback_dir = g_file_get_path (fallback);

  worker = g_task_new (self, NULL, trash_cb, task);
  g_task_set_source_tag (worker, start_commit);
  g_task_set_task_data (worker, data, (GDestroyNotify) trash_data_free);
  g_task_run_in_thread (worker, trash_thread);
}

/**
 * moon_conversation_store_commit_delete_async:
 * @self: a #MoonConversationStore
 * @token: what moon_conversation_store_delete() returned
 * @cancellable: (nullable): a #GCancellable (only stops the wait)
 * @callback: called when the file is in the trash
 * @user_data: data for @callback
 *
 * Makes a deletion final: waits for a save in flight, then moves the file
 * to the trash with g_file_trash(). Where the file system has no trash, the
 * file goes to a `deleted-conversations` folder next to the history folder
 * instead; it is never unlinked. If neither works, the conversation comes
 * back in the list and the error says why.
 */
void
moon_conversation_store_commit_delete_async (MoonConversationStore *self,
                                             guint                  token,
                                             GCancellable          *cancellable,
                                             GAsyncReadyCallback    callback,
                                             gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(Entry) entry = NULL;

  g_return_if_fail (MOON_IS_CONVERSATION_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_conversation_store_commit_delete_async);

  if (!g_hash_table_steal_extended (self->deletions, GUINT_TO_POINTER (token), NULL, (gpointer *) &entry))
    {
      g_task_return_new_error (task, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_NOT_FOUND,
                               _("There is no such deletion to complete"));
      return;
    }

  if (entry->writing)
    {
      g_assert (entry->commit_task == NULL);
      entry->commit_task = g_steal_pointer (&task);
      return;
    }

  start_commit (entry, g_steal_pointer (&task));
}

/**
 * moon_conversation_store_commit_delete_finish:
 * @self: a #MoonConversationStore
 * @result: the result
 * @out_moved_to: (out) (optional) (nullable) (transfer full): where the file
 *   went if there was no trash, else %NULL
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the file is out of the history
 */
gboolean
moon_conversation_store_commit_delete_finish (MoonConversationStore  *self,
                                              GAsyncResult           *result,
                                              GFile                 **out_moved_to,
                                              GError                **error)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (out_moved_to != NULL)
    {
      GFile *moved_to = g_task_get_task_data (G_TASK (result));

      *out_moved_to = moved_to ? g_object_ref (moved_to) : NULL;
    }

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Search                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct
{
  FileStamp  stamp;
  char      *text;   /* casefolded message text */
} SearchText;

static void
search_text_free (SearchText *text)
{
  g_free (text->text);
  g_free (text);
}

typedef struct
{
  Entry      *entry;
  char       *path;
  FileStamp   stamp;
  SearchText *cached;  /* borrowed copy from the cache, or NULL */
  SearchText *fresh;   /* built by the worker */
  gboolean    match;
} SearchItem;

typedef struct
{
  char      *needle;
  GPtrArray *matches_in_memory; /* Entry* (ref) */
  GPtrArray *items;             /* SearchItem* */
} SearchData;

static void
search_item_free (SearchItem *item)
{
  g_clear_pointer (&item->entry, entry_unref);
  g_free (item->path);
  g_clear_pointer (&item->cached, search_text_free);
  g_clear_pointer (&item->fresh, search_text_free);
  g_free (item);
}

static void
search_data_free (SearchData *data)
{
  g_free (data->needle);
  g_clear_pointer (&data->matches_in_memory, g_ptr_array_unref);
  g_clear_pointer (&data->items, g_ptr_array_unref);
  g_free (data);
}

static char *
fold (const char *text,
      gssize      len)
{
  g_autofree char *normalized = g_utf8_normalize (text, len, G_NORMALIZE_ALL);

  if (normalized == NULL)
    return g_strdup ("");
  return g_utf8_casefold (normalized, -1);
}

static gboolean
message_matches (MoonMessage *message,
                 const char  *needle)
{
  g_autofree char *content = fold (moon_message_get_content (message), -1);

  if (strstr (content, needle) != NULL)
    return TRUE;

  if (moon_message_get_reasoning_content (message)[0] != '\0')
    {
      g_autofree char *reasoning = fold (moon_message_get_reasoning_content (message), -1);

      return strstr (reasoning, needle) != NULL;
    }

  return FALSE;
}

static char *
searchable_text (MoonConversation *conversation)
{
  GString *text = g_string_new (NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (conversation));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MoonMessage) message = g_list_model_get_item (G_LIST_MODEL (conversation), i);
      g_autofree char *content = fold (moon_message_get_content (message), -1);
      g_autofree char *reasoning = fold (moon_message_get_reasoning_content (message), -1);

      /* A separator no query can span. */
      g_string_append (text, content);
      g_string_append_c (text, '\x1f');
      g_string_append (text, reasoning);
      g_string_append_c (text, '\x1f');
    }

  return g_string_free (text, FALSE);
}

static void
search_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  SearchData *data = task_data;

  for (guint i = 0; i < data->items->len; i++)
    {
      SearchItem *item = g_ptr_array_index (data->items, i);
      const char *text;

      if (g_task_return_error_if_cancelled (task))
        return;

      if (item->cached != NULL)
        text = item->cached->text;
      else
        {
          g_autoptr(MoonConversation) conversation = NULL;
          g_autoptr(GError) error = NULL;
          FileStamp stamp;

          conversation = read_conversation_file (item->path, &stamp, &error);
          if (conversation == NULL)
            continue;

          item->fresh = g_new0 (SearchText, 1);
          item->fresh->stamp = stamp;
          item->fresh->text = searchable_text (conversation);
          text = item->fresh->text;
        }

      item->match = strstr (text, data->needle) != NULL;
    }

  g_task_return_boolean (task, TRUE);
}

static void
search_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  MoonConversationStore *self = MOON_CONVERSATION_STORE (object);
  g_autoptr(GTask) task = user_data;
  SearchData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) matches = NULL;
  g_autoptr(GListStore) store = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  matches = g_ptr_array_new ();
  for (guint i = 0; i < data->matches_in_memory->len; i++)
    g_ptr_array_add (matches, g_ptr_array_index (data->matches_in_memory, i));

  for (guint i = 0; i < data->items->len; i++)
    {
      SearchItem *item = g_ptr_array_index (data->items, i);

      if (item->fresh != NULL && !item->entry->removed)
        g_hash_table_replace (self->search_cache, g_strdup (item->entry->basename),
                              g_steal_pointer (&item->fresh));
      if (item->match)
        g_ptr_array_add (matches, item->entry);
    }

  /* In list order, leaving out what was deleted meanwhile. */
  store = g_list_store_new (MOON_TYPE_CONVERSATION);
  for (guint i = 0; i < self->items->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->items, i);

      if (g_ptr_array_find (matches, entry, NULL))
        g_list_store_append (store, entry->conversation);
    }

  g_task_return_pointer (task, g_steal_pointer (&store), g_object_unref);
}

/**
 * moon_conversation_store_search_async:
 * @self: a #MoonConversationStore
 * @query: the text to look for (case-insensitive, compatibility-normalized)
 * @cancellable: (nullable): a #GCancellable; cancel it when the query changes
 * @callback: called with the matches
 * @user_data: data for @callback
 *
 * Finds the conversations whose title or message text (including
 * reasoning) contains @query. Conversations not opened yet are searched by
 * reading their files on a worker thread; the text found is cached until
 * the file changes, so the next search is quick. An empty query matches
 * everything.
 */
void
moon_conversation_store_search_async (MoonConversationStore *self,
                                      const char            *query,
                                      GCancellable          *cancellable,
                                      GAsyncReadyCallback    callback,
                                      gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;
  g_autofree char *stripped = NULL;
  SearchData *data;

  g_return_if_fail (MOON_IS_CONVERSATION_STORE (self));
  g_return_if_fail (query != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_conversation_store_search_async);

  stripped = g_strstrip (g_strdup (query));

  data = g_new0 (SearchData, 1);
  data->needle = fold (stripped, -1);
  data->matches_in_memory = g_ptr_array_new ();
  data->items = g_ptr_array_new_with_free_func ((GDestroyNotify) search_item_free);

  for (guint i = 0; i < self->items->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->items, i);
      MoonConversation *conversation = entry->conversation;
      g_autofree char *title = fold (moon_conversation_get_title (conversation), -1);

      if (data->needle[0] == '\0' || strstr (title, data->needle) != NULL)
        {
          g_ptr_array_add (data->matches_in_memory, entry);
          continue;
        }

      if (moon_conversation_get_is_loaded (conversation))
        {
          guint n = g_list_model_get_n_items (G_LIST_MODEL (conversation));

          for (guint j = 0; j < n; j++)
            {
              g_autoptr(MoonMessage) message = g_list_model_get_item (G_LIST_MODEL (conversation), j);

              if (message_matches (message, data->needle))
                {
                  g_ptr_array_add (data->matches_in_memory, entry);
                  break;
                }
            }
        }
      else if (entry->on_disk)
        {
          SearchItem *item = g_new0 (SearchItem, 1);
          SearchText *cached = g_hash_table_lookup (self->search_cache, entry->basename);

          item->entry = entry_ref (entry);
          item->path = entry_path (entry);
          item->stamp = entry->stamp;
          if (cached != NULL && stamp_equal (&cached->stamp, &entry->stamp))
            {
              item->cached = g_new0 (SearchText, 1);
              item->cached->stamp = cached->stamp;
              item->cached->text = g_strdup (cached->text);
            }
          g_ptr_array_add (data->items, item);
        }
    }

  worker = g_task_new (self, cancellable, search_cb, g_steal_pointer (&task));
  g_task_set_source_tag (worker, search_thread);
  g_task_set_task_data (worker, data, (GDestroyNotify) search_data_free);
  g_task_run_in_thread (worker, search_thread);
}

/**
 * moon_conversation_store_search_finish:
 * @self: a #MoonConversationStore
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a #GListModel of the matching
 *   #MoonConversation<!-- -->s, in list order
 */
GListModel *
moon_conversation_store_search_finish (MoonConversationStore  *self,
                                       GAsyncResult           *result,
                                       GError                **error)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
search_fill_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(GListStore) results = g_weak_ref_get (weak);
  g_autoptr(GListModel) matches = NULL;
  g_autoptr(GError) error = NULL;
  guint n;

  g_weak_ref_clear (weak);
  g_free (weak);

  matches = moon_conversation_store_search_finish (MOON_CONVERSATION_STORE (object), result, &error);
  if (matches == NULL || results == NULL)
    return;

  n = g_list_model_get_n_items (matches);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MoonConversation) conversation = g_list_model_get_item (matches, i);

      g_list_store_append (results, conversation);
    }
}

static void
cancel_and_unref (gpointer data)
{
  g_cancellable_cancel (data);
  g_object_unref (data);
}

/**
 * moon_conversation_store_search:
 * @self: a #MoonConversationStore
 * @query: the text to look for
 *
 * Like moon_conversation_store_search_async(), but returns a list that
 * fills in when the search is done (without blocking). Dropping the list
 * cancels the search.
 *
 * Returns: (transfer full): a #GListModel of #MoonConversation, empty at
 *   first
 */
GListModel *
moon_conversation_store_search (MoonConversationStore *self,
                                const char            *query)
{
  g_autoptr(GListStore) results = NULL;
  GCancellable *cancellable;
  GWeakRef *weak;

  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  results = g_list_store_new (MOON_TYPE_CONVERSATION);
  cancellable = g_cancellable_new ();
  g_object_set_data_full (G_OBJECT (results), "moon-search-cancellable", cancellable, cancel_and_unref);

  weak = g_new0 (GWeakRef, 1);
  g_weak_ref_init (weak, results);
  moon_conversation_store_search_async (self, query, cancellable, search_fill_cb, weak);

  return G_LIST_MODEL (g_steal_pointer (&results));
}

/* ------------------------------------------------------------------------ */
/* Import and export                                                       */
/* ------------------------------------------------------------------------ */

typedef struct
{
  GFile  *source;
  char   *directory;
  char   *basename;
  Record *record;
} ImportData;

static void
import_data_free (ImportData *data)
{
  g_clear_object (&data->source);
  g_free (data->directory);
  g_free (data->basename);
  g_clear_pointer (&data->record, record_free);
  g_free (data);
}

static void
import_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ImportData *data = task_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(MoonConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  FileStamp stamp;
  gsize len;

  if (!(bytes = g_file_load_bytes (data->source, cancellable, NULL, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!(root = parse_json (g_bytes_get_data (bytes, &len), g_bytes_get_size (bytes), &error)) ||
      !(conversation = moon_conversation_new_from_json (json_node_get_object (root), &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (g_mkdir_with_parents (data->directory, 0700) != 0)
    {
      set_errno_error (&error, errno, _("Could not create the folder “%s”"), data->directory);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The file goes in byte for byte (a newer version's file is not
   * rewritten); only its name is ours. */
  for (guint i = 1; i < 1000 && data->basename == NULL; i++)
    {
      g_autofree char *candidate = NULL;

      if (i == 1)
        candidate = g_strdup_printf ("%s.json", moon_conversation_get_id (conversation));
      else
        candidate = g_strdup_printf ("%s-%u.json", moon_conversation_get_id (conversation), i);

      g_clear_pointer (&path, g_free);
      path = g_build_filename (data->directory, candidate, NULL);
      if (!g_file_test (path, G_FILE_TEST_EXISTS) && strchr (candidate, '/') == NULL)
        data->basename = g_steal_pointer (&candidate);
    }

  if (data->basename == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               _("There is no free file name for this conversation"));
      return;
    }

  if (!write_file_atomically (path, bytes, NULL, &stamp, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data->record = record_new_from_conversation (data->basename, &stamp, conversation);
  g_task_return_boolean (task, TRUE);
}

static void
import_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  MoonConversationStore *self = MOON_CONVERSATION_STORE (object);
  g_autoptr(GTask) task = user_data;
  ImportData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  Entry *entry;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The folder monitor may have been quicker. */
  entry = g_hash_table_lookup (self->by_basename, data->basename);
  if (entry == NULL)
    {
      g_autoptr(MoonConversation) stub = record_make_stub (data->record);

      entry = entry_new (self, stub, data->basename);
      entry->stamp = data->record->stamp;
      entry->on_disk = TRUE;
      list_insert (self, entry);
      schedule_index_save (self);
    }

  g_task_return_pointer (task, g_object_ref (entry->conversation), g_object_unref);
}

/**
 * moon_conversation_store_import_async:
 * @self: a #MoonConversationStore
 * @source: a conversation file (in the history format) anywhere
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the conversation is in the list
 * @user_data: data for @callback
 *
 * Checks that @source is a conversation file and copies it, unchanged, into
 * the history folder. (A file copied into the folder by other means shows
 * up by itself.)
 */
void
moon_conversation_store_import_async (MoonConversationStore *self,
                                      GFile                 *source,
                                      GCancellable          *cancellable,
                                      GAsyncReadyCallback    callback,
                                      gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;
  ImportData *data;

  g_return_if_fail (MOON_IS_CONVERSATION_STORE (self));
  g_return_if_fail (G_IS_FILE (source));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_conversation_store_import_async);

  data = g_new0 (ImportData, 1);
  data->source = g_object_ref (source);
  data->directory = g_strdup (self->directory_path);

  worker = g_task_new (self, cancellable, import_cb, g_steal_pointer (&task));
  g_task_set_source_tag (worker, import_thread);
  g_task_set_task_data (worker, data, (GDestroyNotify) import_data_free);
  g_task_run_in_thread (worker, import_thread);
}

/**
 * moon_conversation_store_import_finish:
 * @self: a #MoonConversationStore
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the imported conversation (not
 *   loaded yet)
 */
MoonConversation *
moon_conversation_store_import_finish (MoonConversationStore  *self,
                                       GAsyncResult           *result,
                                       GError                **error)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  MoonConversationSnapshot *snapshot;
  MoonExportFormat          format;
  GFile                    *destination;
} ExportData;

static void
export_data_free (ExportData *data)
{
  g_clear_pointer (&data->snapshot, _moon_conversation_snapshot_free);
  g_clear_object (&data->destination);
  g_free (data);
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportData *data = task_data;
  g_autoptr(GBytes) bytes = _moon_conversation_snapshot_render (data->snapshot);
  g_autoptr(GError) error = NULL;

  if (data->format == MOON_EXPORT_FORMAT_MARKDOWN)
    {
      g_autoptr(JsonNode) root = NULL;
      g_autoptr(MoonConversation) copy = NULL;
      char *markdown;
      gsize len;

      /* Render from the same snapshot a save uses, on this thread. */
      if (!(root = parse_json (g_bytes_get_data (bytes, &len), g_bytes_get_size (bytes), &error)) ||
          !(copy = moon_conversation_new_from_json (json_node_get_object (root), &error)))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }

      markdown = moon_conversation_to_markdown (copy);
      g_clear_pointer (&bytes, g_bytes_unref);
      bytes = g_bytes_new_take (markdown, strlen (markdown));
    }

  if (!g_file_replace_contents (data->destination,
                                g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, NULL,
                                cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
export_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  MoonConversationStore *self = MOON_CONVERSATION_STORE (object);
  g_autoptr(GTask) task = user_data;
  ExportData *data = g_task_get_task_data (task);
  MoonConversation *conversation = g_object_get_data (G_OBJECT (task), "conversation");
  g_autoptr(GError) error = NULL;

  if (result != NULL && !moon_conversation_store_ensure_loaded_finish (self, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data->snapshot = _moon_conversation_snapshot (conversation);
  g_task_run_in_thread (task, export_thread);
}

/**
 * moon_conversation_store_export_async:
 * @self: a #MoonConversationStore
 * @conversation: a conversation of @self
 * @format: Markdown or the JSON history format
 * @destination: the file to write (replaced if it exists)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the file is written
 * @user_data: data for @callback
 *
 * Writes @conversation (its messages read first if needed) as Markdown or
 * as a history-format JSON file that can be imported again. The document is
 * produced on a worker thread.
 */
void
moon_conversation_store_export_async (MoonConversationStore *self,
                                      MoonConversation      *conversation,
                                      MoonExportFormat       format,
                                      GFile                 *destination,
                                      GCancellable          *cancellable,
                                      GAsyncReadyCallback    callback,
                                      gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  ExportData *data;

  g_return_if_fail (MOON_IS_CONVERSATION_STORE (self));
  g_return_if_fail (MOON_IS_CONVERSATION (conversation));
  g_return_if_fail (format == MOON_EXPORT_FORMAT_MARKDOWN || format == MOON_EXPORT_FORMAT_JSON);
  g_return_if_fail (G_IS_FILE (destination));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_conversation_store_export_async);

  data = g_new0 (ExportData, 1);
  data->format = format;
  data->destination = g_object_ref (destination);
  g_task_set_task_data (task, data, (GDestroyNotify) export_data_free);
  g_object_set_data_full (G_OBJECT (task), "conversation", g_object_ref (conversation), g_object_unref);

  if (moon_conversation_get_is_loaded (conversation))
    export_loaded_cb (G_OBJECT (self), NULL, g_steal_pointer (&task));
  else
    moon_conversation_store_ensure_loaded_async (self, conversation, cancellable,
                                                 export_loaded_cb, g_steal_pointer (&task));
}

gboolean
moon_conversation_store_export_finish (MoonConversationStore  *self,
                                       GAsyncResult           *result,
                                       GError                **error)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* GListModel, GObject                                                     */
/* ------------------------------------------------------------------------ */

static GType
moon_conversation_store_get_item_type (GListModel *model)
{
  return MOON_TYPE_CONVERSATION;
}

static guint
moon_conversation_store_get_n_items (GListModel *model)
{
  return MOON_CONVERSATION_STORE (model)->items->len;
}

static gpointer
moon_conversation_store_get_item (GListModel *model,
                                  guint       position)
{
  MoonConversationStore *self = MOON_CONVERSATION_STORE (model);
  Entry *entry;

  if (position >= self->items->len)
    return NULL;

  entry = g_ptr_array_index (self->items, position);
  return g_object_ref (entry->conversation);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = moon_conversation_store_get_item_type;
  iface->get_n_items = moon_conversation_store_get_n_items;
  iface->get_item = moon_conversation_store_get_item;
}

/* Last resort when the application did not flush: write what is unsaved,
 * here and now. No save can be in flight (each holds a reference). */
static void
save_remaining_synchronously (MoonConversationStore *self)
{
  GHashTableIter iter;
  Entry *entry;

  g_hash_table_iter_init (&iter, self->by_conversation);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      g_autoptr(MoonConversationSnapshot) snapshot = NULL;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *path = NULL;
      g_autofree char *conflict = NULL;
      FileStamp current;

      if (!entry->dirty || !entry_can_save (entry) || entry->writing ||
          !moon_conversation_get_is_loaded (entry->conversation))
        continue;

      g_message ("Saving %s at shutdown; call moon_conversation_store_flush_async() first",
                 entry->basename);

      snapshot = _moon_conversation_snapshot (entry->conversation);
      bytes = _moon_conversation_snapshot_render (snapshot);
      path = entry_path (entry);
      if (stat_file (path, &current, NULL) &&
          (!entry->on_disk || !stamp_equal (&current, &entry->stamp)))
        conflict = conflict_name (path);

      if (!write_file_atomically (path, bytes, conflict, &entry->stamp, &error))
        g_message ("Could not save %s: %s", path, error->message);
      else
        entry->dirty = FALSE;
    }
}

static void
moon_conversation_store_constructed (GObject *object)
{
  MoonConversationStore *self = (MoonConversationStore *)object;

  G_OBJECT_CLASS (moon_conversation_store_parent_class)->constructed (object);

  if (self->directory == NULL)
    self->directory = moon_conversation_store_get_default_directory ();
  self->directory_path = g_file_get_path (self->directory);
  g_assert (self->directory_path != NULL);

  if (self->index_file == NULL)
    {
      g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, self->directory_path, -1);
      g_autofree char *name = g_strdup_printf ("conversations-%.16s.index.json", hash);

      self->index_file = g_file_new_build_filename (g_get_user_cache_dir (), "moonchat", name, NULL);
    }
}

static void
moon_conversation_store_dispose (GObject *object)
{
  MoonConversationStore *self = (MoonConversationStore *)object;
  GHashTableIter iter;
  Entry *entry;

  if (!self->disposed)
    {
      self->disposed = TRUE;

      save_remaining_synchronously (self);

      if (self->monitor != NULL)
        {
          g_signal_handlers_disconnect_by_data (self->monitor, self);
          g_file_monitor_cancel (self->monitor);
        }
      g_clear_handle_id (&self->check_source, g_source_remove);
      g_clear_handle_id (&self->index_source, g_source_remove);

      g_hash_table_iter_init (&iter, self->by_conversation);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
        {
          g_clear_handle_id (&entry->save_source, g_source_remove);
          g_clear_signal_handler (&entry->changed_id, entry->conversation);
          g_clear_signal_handler (&entry->updated_id, entry->conversation);
          entry->removed = TRUE;
        }

      g_hash_table_remove_all (self->deletions);
      g_ptr_array_set_size (self->items, 0);
      g_hash_table_remove_all (self->by_basename);
      g_hash_table_remove_all (self->flush_pending);
      g_hash_table_remove_all (self->by_conversation);
    }

  g_clear_object (&self->monitor);

  G_OBJECT_CLASS (moon_conversation_store_parent_class)->dispose (object);
}

static void
moon_conversation_store_finalize (GObject *object)
{
  MoonConversationStore *self = (MoonConversationStore *)object;

  g_assert (self->flush_tasks->len == 0);

  g_clear_object (&self->directory);
  g_clear_object (&self->index_file);
  g_free (self->directory_path);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->by_conversation, g_hash_table_unref);
  g_clear_pointer (&self->by_basename, g_hash_table_unref);
  g_clear_pointer (&self->deletions, g_hash_table_unref);
  g_clear_pointer (&self->pending_checks, g_hash_table_unref);
  g_clear_pointer (&self->flush_pending, g_hash_table_unref);
  g_clear_pointer (&self->flush_tasks, g_ptr_array_unref);
  g_clear_pointer (&self->search_cache, g_hash_table_unref);
  g_clear_error (&self->flush_error);

  G_OBJECT_CLASS (moon_conversation_store_parent_class)->finalize (object);
}

static void
moon_conversation_store_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  MoonConversationStore *self = MOON_CONVERSATION_STORE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_value_set_object (value, self->directory);
      break;

    case PROP_INDEX_FILE:
      g_value_set_object (value, self->index_file);
      break;

    case PROP_SAVE_DELAY:
      g_value_set_uint (value, self->save_delay_ms);
      break;

    case PROP_CHECKPOINT_INTERVAL:
      g_value_set_uint (value, self->checkpoint_interval_ms);
      break;

    case PROP_FILES_PARSED:
      g_value_set_uint (value, self->files_parsed);
      break;

    case PROP_IS_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_conversation_store_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  MoonConversationStore *self = MOON_CONVERSATION_STORE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      self->directory = g_value_dup_object (value);
      break;

    case PROP_INDEX_FILE:
      self->index_file = g_value_dup_object (value);
      break;

    case PROP_SAVE_DELAY:
      if (self->save_delay_ms != g_value_get_uint (value))
        {
          self->save_delay_ms = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_CHECKPOINT_INTERVAL:
      if (self->checkpoint_interval_ms != g_value_get_uint (value))
        {
          self->checkpoint_interval_ms = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_conversation_store_class_init (MoonConversationStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = moon_conversation_store_constructed;
  object_class->dispose = moon_conversation_store_dispose;
  object_class->finalize = moon_conversation_store_finalize;
  object_class->get_property = moon_conversation_store_get_property;
  object_class->set_property = moon_conversation_store_set_property;

  /**
   * MoonConversationStore:directory:
   *
   * The history folder (a local path). Default:
   * moon_conversation_store_get_default_directory().
   */
  properties[PROP_DIRECTORY] =
    g_param_spec_object ("directory", NULL, NULL,
                         G_TYPE_FILE,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonConversationStore:index-file:
   *
   * Where the start-up index lives. Default: a file named after a hash of
   * the folder's path under `$XDG_CACHE_HOME/moonchat/` (it is a cache:
   * deleting it costs one slower start).
   */
  properties[PROP_INDEX_FILE] =
    g_param_spec_object ("index-file", NULL, NULL,
                         G_TYPE_FILE,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonConversationStore:save-delay:
   *
   * Milliseconds of quiet after a change before it is saved.
   */
  properties[PROP_SAVE_DELAY] =
    g_param_spec_uint ("save-delay", NULL, NULL,
                       0, 60000, DEFAULT_SAVE_DELAY_MS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonConversationStore:checkpoint-interval:
   *
   * While a reply streams, the least time in milliseconds between the
   * starts of two saves of its conversation.
   */
  properties[PROP_CHECKPOINT_INTERVAL] =
    g_param_spec_uint ("checkpoint-interval", NULL, NULL,
                       0, 60000, DEFAULT_CHECKPOINT_INTERVAL_MS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonConversationStore:files-parsed:
   *
   * How many conversation files have been parsed in full so far (start-up
   * parses only files the index does not know).
   */
  properties[PROP_FILES_PARSED] =
    g_param_spec_uint ("files-parsed", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_IS_LOADED] =
    g_param_spec_boolean ("is-loaded", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MoonConversationStore::saved:
   * @self: the store
   * @conversation: the conversation now on disk
   *
   * Emitted after each successful write of a conversation file.
   */
  signals[SAVED] =
    g_signal_new ("saved",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, MOON_TYPE_CONVERSATION);

  /**
   * MoonConversationStore::save-failed:
   * @self: the store
   * @conversation: the conversation that could not be saved
   * @error: what went wrong, with a translated message for the user; the
   *   domain and code are those of the cause (e.g. %G_IO_ERROR_NO_SPACE)
   *
   * Emitted for each failed save. The old file is intact, the data stays in
   * memory, and the save is retried with a growing delay (up to a minute)
   * until #MoonConversationStore::saved.
   */
  signals[SAVE_FAILED] =
    g_signal_new ("save-failed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, MOON_TYPE_CONVERSATION, G_TYPE_ERROR);

  /**
   * MoonConversationStore::file-set-aside:
   * @self: the store
   * @file: where the file was
   * @moved_to: its new name (`<name>.corrupt-<UTC time>`)
   * @reason: why it could not be read
   *
   * Emitted when a file in the folder did not parse and was renamed so it
   * is neither lost nor read again.
   */
  signals[FILE_SET_ASIDE] =
    g_signal_new ("file-set-aside",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_FILE, G_TYPE_FILE, G_TYPE_ERROR);

  /**
   * MoonConversationStore::file-read-only:
   * @self: the store
   * @conversation: a conversation shown read-only
   * @reason: why (%MOON_HISTORY_ERROR_NEWER_VERSION, or fields this version
   *   cannot keep)
   *
   * Emitted when a listed conversation's file will not be written, so the
   * user can be told why their changes to it are not kept.
   */
  signals[FILE_READ_ONLY] =
    g_signal_new ("file-read-only",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, MOON_TYPE_CONVERSATION, G_TYPE_ERROR);

  /**
   * MoonConversationStore::conflict:
   * @self: the store
   * @conversation: the conversation that was saved
   * @copy: where the version another program had written was kept
   *
   * Emitted when a save found that the file had been changed by another
   * program while the conversation had unsaved changes (or was streaming).
   * Both versions are kept; the other one appears in the list by itself.
   */
  signals[CONFLICT] =
    g_signal_new ("conflict",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, MOON_TYPE_CONVERSATION, G_TYPE_FILE);
}

static void
moon_conversation_store_init (MoonConversationStore *self)
{
  self->items = g_ptr_array_new ();
  self->by_conversation = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) entry_unref);
  self->by_basename = g_hash_table_new (g_str_hash, g_str_equal);
  self->deletions = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) entry_unref);
  self->pending_checks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->flush_pending = g_hash_table_new (NULL, NULL);
  self->flush_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  self->search_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) search_text_free);
  self->save_delay_ms = DEFAULT_SAVE_DELAY_MS;
  self->checkpoint_interval_ms = DEFAULT_CHECKPOINT_INTERVAL_MS;
}

/**
 * moon_conversation_store_get_default_directory:
 *
 * Returns: (transfer full): `$XDG_DATA_HOME/moonchat/conversations`
 */
GFile *
moon_conversation_store_get_default_directory (void)
{
  return g_file_new_build_filename (g_get_user_data_dir (), "moonchat", "conversations", NULL);
}

/**
 * moon_conversation_store_new:
 * @directory: (nullable): the history folder, or %NULL for the default
 *
 * Creates a store for @directory. Nothing is read until
 * moon_conversation_store_load_async().
 *
 * Returns: (transfer full): a new #MoonConversationStore
 */
MoonConversationStore *
moon_conversation_store_new (GFile *directory)
{
  g_return_val_if_fail (directory == NULL || G_IS_FILE (directory), NULL);

  return g_object_new (MOON_TYPE_CONVERSATION_STORE,
                       "directory", directory,
                       NULL);
}

/**
 * moon_conversation_store_get_directory:
 * @self: a #MoonConversationStore
 *
 * Returns: (transfer none): the history folder
 */
GFile *
moon_conversation_store_get_directory (MoonConversationStore *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (self), NULL);

  return self->directory;
}

/**
 * moon_conversation_store_get_index_file:
 * @self: a #MoonConversationStore
 *
 * Returns: (transfer none): the index file
 */
GFile *
moon_conversation_store_get_index_file (MoonConversationStore *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (self), NULL);

  return self->index_file;
}

/**
 * moon_conversation_store_get_file:
 * @self: a #MoonConversationStore
 * @conversation: a conversation of @self
 *
 * Returns: (transfer full) (nullable): the file @conversation is (or will
 *   be) saved in
 */
GFile *
moon_conversation_store_get_file (MoonConversationStore *self,
                                  MoonConversation      *conversation)
{
  Entry *entry;

  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (self), NULL);
  g_return_val_if_fail (MOON_IS_CONVERSATION (conversation), NULL);

  entry = lookup_entry (self, conversation);
  if (entry == NULL)
    return NULL;

  return g_file_get_child (self->directory, entry->basename);
}

guint
moon_conversation_store_get_files_parsed (MoonConversationStore *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION_STORE (self), 0);

  return self->files_parsed;
}
