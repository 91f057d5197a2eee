/* moon-drafts.c — unsent text per conversation, kept across restarts
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-drafts"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "moon-drafts.h"

/* Drafts are window state, not history: they live in one small file under
 * $XDG_STATE_HOME/moonchat/drafts.json, written a second after the last
 * keystroke (and on quit) on a worker thread, atomically (temp file and
 * rename, mode 0600), one write at a time. */

#define SAVE_DELAY_MS 1000

struct _MoonDrafts
{
  GObject     parent_instance;

  GFile      *file;
  GHashTable *drafts;
  GPtrArray  *flush_tasks;
  guint       save_source;
  gboolean    dirty;
  gboolean    writing;
  gboolean    loaded;
};

G_DEFINE_FINAL_TYPE (MoonDrafts, moon_drafts, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LOADED,
  N_PROPS
};

enum {
  SAVE_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void start_write (MoonDrafts *self);

/**
 * moon_drafts_get_default_file:
 *
 * Returns: (transfer full): `$XDG_STATE_HOME/moonchat/drafts.json`
 */
GFile *
moon_drafts_get_default_file (void)
{
  return g_file_new_build_filename (g_get_user_state_dir (), "moonchat", "drafts.json", NULL);
}

static GBytes *
serialize (MoonDrafts *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GList) keys = g_hash_table_get_keys (self->drafts);
  char *data;
  gsize length;

  keys = g_list_sort (keys, (GCompareFunc) g_strcmp0);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, "moonchat-drafts");
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "drafts");
  json_builder_begin_object (builder);
  for (const GList *l = keys; l != NULL; l = l->next)
    {
      json_builder_set_member_name (builder, l->data);
      json_builder_add_string_value (builder, g_hash_table_lookup (self->drafts, l->data));
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  data = json_generator_to_data (generator, &length);

  return g_bytes_new_take (data, length);
}

static void
write_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GFile *file = ((gpointer *) task_data)[0];
  GBytes *bytes = ((gpointer *) task_data)[1];
  g_autoptr(GFile) parent = g_file_get_parent (file);
  g_autoptr(GError) error = NULL;

  if (!g_file_make_directory_with_parents (parent, cancellable, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_clear_error (&error);

  if (!g_file_replace_contents (file,
                                g_bytes_get_data (bytes, NULL),
                                g_bytes_get_size (bytes),
                                NULL, FALSE,
                                G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                NULL, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
write_data_free (gpointer data)
{
  gpointer *pair = data;

  g_clear_object ((GFile **) &pair[0]);
  g_clear_pointer ((GBytes **) &pair[1], g_bytes_unref);
  g_free (pair);
}

static void
complete_flushes (MoonDrafts   *self,
                  const GError *error)
{
  g_autoptr(GPtrArray) tasks = g_steal_pointer (&self->flush_tasks);

  self->flush_tasks = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(MoonDrafts) self = user_data;
  g_autoptr(GError) error = NULL;

  self->writing = FALSE;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_warning ("Could not save drafts to %s: %s",
                 g_file_peek_path (self->file), error->message);
      g_signal_emit (self, signals[SAVE_FAILED], 0, error);
      /* Keep them dirty: the next change or the flush on quit tries again. */
      self->dirty = TRUE;
      complete_flushes (self, error);
      return;
    }

  if (self->dirty && (self->flush_tasks->len > 0 || self->save_source == 0))
    start_write (self);
  else if (!self->dirty)
    complete_flushes (self, NULL);
}

static void
start_write (MoonDrafts *self)
{
  g_autoptr(GTask) task = NULL;
  gpointer *pair;

  g_assert (!self->writing);

  g_clear_handle_id (&self->save_source, g_source_remove);

  pair = g_new0 (gpointer, 2);
  pair[0] = g_object_ref (self->file);
  pair[1] = serialize (self);

  self->dirty = FALSE;
  self->writing = TRUE;

  task = g_task_new (NULL, NULL, write_cb, g_object_ref (self));
  g_task_set_source_tag (task, start_write);
  g_task_set_task_data (task, pair, write_data_free);
  g_task_run_in_thread (task, write_thread);
}

static gboolean
save_timeout_cb (gpointer data)
{
  MoonDrafts *self = data;

  self->save_source = 0;

  if (!self->writing)
    start_write (self);

  return G_SOURCE_REMOVE;
}

static void
moon_drafts_finalize (GObject *object)
{
  MoonDrafts *self = MOON_DRAFTS (object);

  g_clear_handle_id (&self->save_source, g_source_remove);
  g_clear_pointer (&self->drafts, g_hash_table_unref);
  g_clear_pointer (&self->flush_tasks, g_ptr_array_unref);
  g_clear_object (&self->file);

  G_OBJECT_CLASS (moon_drafts_parent_class)->finalize (object);
}

static void
moon_drafts_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  MoonDrafts *self = MOON_DRAFTS (object);

  switch (prop_id)
    {
    case PROP_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_drafts_class_init (MoonDraftsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = moon_drafts_finalize;
  object_class->get_property = moon_drafts_get_property;

  /**
   * MoonDrafts:loaded:
   *
   * Whether the drafts file has been read (or found missing or damaged).
   */
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MoonDrafts::save-failed:
   * @self: a #MoonDrafts
   * @error: what went wrong
   *
   * The drafts could not be written. They stay in memory and the next
   * change tries again.
   */
  signals[SAVE_FAILED] =
    g_signal_new ("save-failed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
moon_drafts_init (MoonDrafts *self)
{
  self->drafts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->flush_tasks = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * moon_drafts_new:
 * @file: (nullable): where to keep them, or %NULL for the default file
 *
 * Returns: (transfer full): an empty set of drafts; load it with
 *   moon_drafts_load_async()
 */
MoonDrafts *
moon_drafts_new (GFile *file)
{
  MoonDrafts *self = g_object_new (MOON_TYPE_DRAFTS, NULL);

  self->file = file ? g_object_ref (file) : moon_drafts_get_default_file ();

  return self;
}

/**
 * moon_drafts_get_file:
 * @self: a #MoonDrafts
 *
 * Returns: (transfer none): the file the drafts are kept in
 */
GFile *
moon_drafts_get_file (MoonDrafts *self)
{
  g_return_val_if_fail (MOON_IS_DRAFTS (self), NULL);

  return self->file;
}

static void
set_loaded (MoonDrafts *self)
{
  if (self->loaded)
    return;

  self->loaded = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
}

static void
load_contents (GTask        *task,
               GObject      *object,
               GAsyncResult *result)
{
  MoonDrafts *self = g_task_get_source_object (task);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  JsonObject *root;
  JsonObject *drafts;
  gsize length;

  if (!g_file_load_contents_finish (G_FILE (object), result, &contents, &length, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!json_parser_load_from_data (parser, contents, length, &error))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The drafts file %s is damaged: %s"),
                               g_file_peek_path (self->file), error->message);
      return;
    }

  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)) ||
      !json_object_has_member ((root = json_node_get_object (json_parser_get_root (parser))), "drafts") ||
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "drafts")))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The drafts file %s is damaged"),
                               g_file_peek_path (self->file));
      return;
    }

  drafts = json_object_get_object_member (root, "drafts");
  {
    g_autoptr(GList) members = json_object_get_members (drafts);

    for (const GList *l = members; l != NULL; l = l->next)
      {
        JsonNode *node = json_object_get_member (drafts, l->data);

        /* Typed since start-up wins over what the file had. */
        if (JSON_NODE_HOLDS_VALUE (node) &&
            json_node_get_value_type (node) == G_TYPE_STRING &&
            !g_hash_table_contains (self->drafts, l->data))
          g_hash_table_insert (self->drafts, g_strdup (l->data),
                               g_strdup (json_node_get_string (node)));
      }
  }

  g_task_return_boolean (task, TRUE);
}

static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(MoonDrafts) self = g_object_ref (g_task_get_source_object (task));

  load_contents (task, object, result);

  /* Read, missing or damaged: either way typing may begin. */
  set_loaded (self);
}

/**
 * moon_drafts_load_async:
 * @self: a #MoonDrafts
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Reads the drafts file. A missing file is no error.
 */
void
moon_drafts_load_async (MoonDrafts          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MOON_IS_DRAFTS (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_drafts_load_async);

  g_file_load_contents_async (self->file, cancellable, load_cb, g_steal_pointer (&task));
}

/**
 * moon_drafts_load_finish:
 * @self: a #MoonDrafts
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Returns: %TRUE if the drafts were read or there were none
 */
gboolean
moon_drafts_load_finish (MoonDrafts    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (MOON_IS_DRAFTS (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * moon_drafts_get:
 * @self: a #MoonDrafts
 * @conversation_id: a conversation's id
 *
 * Returns: (nullable): the draft, or %NULL
 */
/**
 * moon_drafts_get_loaded:
 * @self: a #MoonDrafts
 *
 * Returns: the value of #MoonDrafts:loaded
 */
gboolean
moon_drafts_get_loaded (MoonDrafts *self)
{
  g_return_val_if_fail (MOON_IS_DRAFTS (self), FALSE);

  return self->loaded;
}

const char *
moon_drafts_get (MoonDrafts *self,
                 const char *conversation_id)
{
  g_return_val_if_fail (MOON_IS_DRAFTS (self), NULL);
  g_return_val_if_fail (conversation_id != NULL, NULL);

  return g_hash_table_lookup (self->drafts, conversation_id);
}

/**
 * moon_drafts_set:
 * @self: a #MoonDrafts
 * @conversation_id: a conversation's id
 * @text: (nullable): the draft; %NULL or "" removes it
 *
 * Remembers a draft and saves soon.
 */
void
moon_drafts_set (MoonDrafts *self,
                 const char *conversation_id,
                 const char *text)
{
  const char *old;

  g_return_if_fail (MOON_IS_DRAFTS (self));
  g_return_if_fail (conversation_id != NULL);

  old = g_hash_table_lookup (self->drafts, conversation_id);
  if (text == NULL || text[0] == '\0')
    {
      if (old == NULL)
        return;
      g_hash_table_remove (self->drafts, conversation_id);
    }
  else
    {
      if (g_strcmp0 (old, text) == 0)
        return;
      g_hash_table_insert (self->drafts, g_strdup (conversation_id), g_strdup (text));
    }

  self->dirty = TRUE;
  g_clear_handle_id (&self->save_source, g_source_remove);
  self->save_source = g_timeout_add (SAVE_DELAY_MS, save_timeout_cb, self);
}

/**
 * moon_drafts_flush_async:
 * @self: a #MoonDrafts
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when everything is on disk
 * @user_data: data for @callback
 *
 * Writes pending changes now and waits for the write to finish.
 */
void
moon_drafts_flush_async (MoonDrafts          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MOON_IS_DRAFTS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, moon_drafts_flush_async);

  if (!self->dirty && !self->writing)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_ptr_array_add (self->flush_tasks, g_steal_pointer (&task));

  if (!self->writing)
    start_write (self);
}

/**
 * moon_drafts_flush_finish:
 * @self: a #MoonDrafts
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Returns: %TRUE if the drafts are on disk
 */
gboolean
moon_drafts_flush_finish (MoonDrafts    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (MOON_IS_DRAFTS (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
