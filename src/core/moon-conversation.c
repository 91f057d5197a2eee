/* moon-conversation.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-conversation"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "moon-conversation-private.h"
#include "moon-history-error.h"
#include "moon-json-util.h"
#include "moon-message-private.h"

#define TITLE_MAX_CHARS 48
#define DEFAULT_CONTEXT_MESSAGE_LIMIT 20

/**
 * MoonConversation:
 *
 * One conversation: its settings, an optional summary of dropped turns, and
 * its messages, which it exposes as a #GListModel of #MoonMessage.
 *
 * A conversation listed by #MoonConversationStore starts out as a stub that
 * knows only its id, title and times (#MoonConversation:is-loaded is %FALSE
 * and it has no items); the store fills it in when it is opened.
 *
 * Every change to something that is saved emits #MoonConversation::changed,
 * which the store uses to schedule a save.
 */
struct _MoonConversation
{
  GObject     parent_instance;

  char       *id;
  char       *title;
  GDateTime  *created;
  GDateTime  *updated;

  char       *model;
  char       *system_prompt;
  double      temperature;
  int         max_tokens;
  guint       context_message_limit;
  guint       context_token_budget;
  char       *partial_prefix;
  char       *partial_name;

  char       *summary;
  char       *summary_first_id;
  char       *summary_last_id;

  GPtrArray  *messages;

  /* Members this version does not know, per level of the document. */
  JsonObject *extra;
  JsonObject *extra_settings;
  JsonObject *extra_summary;

  GError     *read_only_reason;

  guint       title_is_custom : 1;
  guint       thinking : 1;
  guint       summary_enabled : 1;
  guint       is_loaded : 1;
  guint       is_busy : 1;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MoonConversation, moon_conversation, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_ID,
  PROP_TITLE,
  PROP_DISPLAY_TITLE,
  PROP_TITLE_IS_CUSTOM,
  PROP_CREATED,
  PROP_UPDATED,
  PROP_UPDATED_UNIX,
  PROP_MODEL,
  PROP_SYSTEM_PROMPT,
  PROP_TEMPERATURE,
  PROP_MAX_TOKENS,
  PROP_CONTEXT_MESSAGE_LIMIT,
  PROP_CONTEXT_TOKEN_BUDGET,
  PROP_THINKING,
  PROP_SUMMARY_ENABLED,
  PROP_PARTIAL_PREFIX,
  PROP_PARTIAL_NAME,
  PROP_SUMMARY,
  PROP_IS_LOADED,
  PROP_IS_BUSY,
  PROP_READ_ONLY,
  PROP_N_ITEMS,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char * const known_top[] = {
  "format", "version", "id", "title", "title_is_custom", "created", "updated",
  "settings", "summary", "messages", NULL
};

static const char * const known_settings[] = {
  "model", "system_prompt", "temperature", "max_tokens", "context_message_limit",
  "context_token_budget", "thinking", "summary_enabled", "partial_prefix",
  "partial_name", NULL
};

static const char * const known_summary[] = {
  "text", "first_message_id", "last_message_id", NULL
};

static void message_notify_cb (MoonConversation *self,
                               GParamSpec       *pspec,
                               MoonMessage      *message);

static void
emit_changed (MoonConversation *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

static gboolean
set_string (char       **field,
            const char  *value)
{
  if (value != NULL && *value == '\0')
    value = NULL;
  return g_set_str (field, value);
}

/* List model */

static GType
moon_conversation_get_item_type (GListModel *model)
{
  return MOON_TYPE_MESSAGE;
}

static guint
moon_conversation_get_n_items (GListModel *model)
{
  return MOON_CONVERSATION (model)->messages->len;
}

static gpointer
moon_conversation_get_item (GListModel *model,
                            guint       position)
{
  MoonConversation *self = MOON_CONVERSATION (model);

  if (position >= self->messages->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->messages, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = moon_conversation_get_item_type;
  iface->get_n_items = moon_conversation_get_n_items;
  iface->get_item = moon_conversation_get_item;
}

static void
items_changed (MoonConversation *self,
               guint             position,
               guint             removed,
               guint             added)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* Title, busy */

static MoonMessage *
first_user_message (MoonConversation *self)
{
  for (guint i = 0; i < self->messages->len; i++)
    {
      MoonMessage *message = g_ptr_array_index (self->messages, i);

      if (moon_message_get_role (message) == MOON_MESSAGE_ROLE_USER)
        return message;
    }

  return NULL;
}

static char *
derive_title (MoonConversation *self)
{
  MoonMessage *message = first_user_message (self);
  g_autoptr(GString) title = NULL;
  gboolean space = FALSE;

  if (message == NULL)
    return g_strdup ("");

  title = g_string_new (NULL);
  for (const char *p = moon_message_get_content (message); *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c))
        {
          space = title->len > 0;
          continue;
        }
      if (space)
        g_string_append_c (title, ' ');
      space = FALSE;
      g_string_append_unichar (title, c);

      if (title->len > 4 * TITLE_MAX_CHARS)
        break;
    }

  if (g_utf8_strlen (title->str, -1) > TITLE_MAX_CHARS)
    {
      g_autofree char *cut = g_utf8_substring (title->str, 0, TITLE_MAX_CHARS - 1);

      g_strchomp (cut);
      g_string_assign (title, cut);
      g_string_append (title, "…");
    }

  return g_string_free (g_steal_pointer (&title), FALSE);
}

static void
update_title (MoonConversation *self)
{
  g_autofree char *title = NULL;

  if (self->title_is_custom)
    return;

  title = derive_title (self);
  if (g_set_str (&self->title, title))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_TITLE]);
    }
}

static void
update_busy (MoonConversation *self)
{
  gboolean busy = FALSE;

  /* Only the newest messages can be in flight; scan from the end. */
  for (guint i = self->messages->len; i > 0; i--)
    {
      if (!moon_message_is_finished (g_ptr_array_index (self->messages, i - 1)))
        {
          busy = TRUE;
          break;
        }
    }

  if (self->is_busy != busy)
    {
      self->is_busy = busy;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_BUSY]);
    }
}

static void
set_updated (MoonConversation *self,
             GDateTime        *updated)
{
  g_assert (updated != NULL);

  if (self->updated != NULL && g_date_time_equal (self->updated, updated))
    return;

  g_clear_pointer (&self->updated, g_date_time_unref);
  self->updated = g_date_time_to_utc (updated);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATED_UNIX]);
}

/**
 * moon_conversation_touch:
 * @self: a #MoonConversation
 *
 * Sets #MoonConversation:updated to now, which moves the conversation to
 * the top of the store's list. Editing messages does this by itself.
 */
void
moon_conversation_touch (MoonConversation *self)
{
  g_autoptr(GDateTime) now = NULL;

  g_return_if_fail (MOON_IS_CONVERSATION (self));

  now = g_date_time_new_now_utc ();
  /* Keep the order strict even within one clock tick. */
  if (self->updated != NULL && g_date_time_compare (now, self->updated) <= 0)
    {
      g_clear_pointer (&now, g_date_time_unref);
      now = g_date_time_add (self->updated, 1);
    }
  set_updated (self, now);
}

static void
connect_message (MoonConversation *self,
                 MoonMessage      *message)
{
  g_signal_connect_object (message, "notify", G_CALLBACK (message_notify_cb), self, G_CONNECT_SWAPPED);
}

static void
disconnect_message (MoonConversation *self,
                    MoonMessage      *message)
{
  g_signal_handlers_disconnect_by_func (message, message_notify_cb, self);
}

static void
message_notify_cb (MoonConversation *self,
                   GParamSpec       *pspec,
                   MoonMessage      *message)
{
  g_assert (MOON_IS_CONVERSATION (self));
  g_assert (MOON_IS_MESSAGE (message));

  if (g_str_equal (pspec->name, "state"))
    {
      update_busy (self);
      if (moon_message_is_finished (message))
        moon_conversation_touch (self);
    }
  else if (g_str_equal (pspec->name, "content") &&
           !self->title_is_custom &&
           message == first_user_message (self))
    update_title (self);

  emit_changed (self);
}

/* GObject */

static void
moon_conversation_dispose (GObject *object)
{
  MoonConversation *self = (MoonConversation *)object;

  for (guint i = 0; i < self->messages->len; i++)
    disconnect_message (self, g_ptr_array_index (self->messages, i));
  g_ptr_array_set_size (self->messages, 0);

  G_OBJECT_CLASS (moon_conversation_parent_class)->dispose (object);
}

static void
moon_conversation_finalize (GObject *object)
{
  MoonConversation *self = (MoonConversation *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->created, g_date_time_unref);
  g_clear_pointer (&self->updated, g_date_time_unref);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->system_prompt, g_free);
  g_clear_pointer (&self->partial_prefix, g_free);
  g_clear_pointer (&self->partial_name, g_free);
  g_clear_pointer (&self->summary, g_free);
  g_clear_pointer (&self->summary_first_id, g_free);
  g_clear_pointer (&self->summary_last_id, g_free);
  g_clear_pointer (&self->messages, g_ptr_array_unref);
  g_clear_pointer (&self->extra, json_object_unref);
  g_clear_pointer (&self->extra_settings, json_object_unref);
  g_clear_pointer (&self->extra_summary, json_object_unref);
  g_clear_error (&self->read_only_reason);

  G_OBJECT_CLASS (moon_conversation_parent_class)->finalize (object);
}

static void
moon_conversation_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MoonConversation *self = MOON_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;

    case PROP_DISPLAY_TITLE:
      g_value_take_string (value, moon_conversation_dup_display_title (self));
      break;

    case PROP_TITLE_IS_CUSTOM:
      g_value_set_boolean (value, self->title_is_custom);
      break;

    case PROP_CREATED:
      g_value_set_boxed (value, self->created);
      break;

    case PROP_UPDATED:
      g_value_set_boxed (value, self->updated);
      break;

    case PROP_UPDATED_UNIX:
      g_value_set_int64 (value, moon_conversation_get_updated_unix (self));
      break;

    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;

    case PROP_SYSTEM_PROMPT:
      g_value_set_string (value, self->system_prompt);
      break;

    case PROP_TEMPERATURE:
      g_value_set_double (value, self->temperature);
      break;

    case PROP_MAX_TOKENS:
      g_value_set_int (value, self->max_tokens);
      break;

    case PROP_CONTEXT_MESSAGE_LIMIT:
      g_value_set_uint (value, self->context_message_limit);
      break;

    case PROP_CONTEXT_TOKEN_BUDGET:
      g_value_set_uint (value, self->context_token_budget);
      break;

    case PROP_THINKING:
      g_value_set_boolean (value, self->thinking);
      break;

    case PROP_SUMMARY_ENABLED:
      g_value_set_boolean (value, self->summary_enabled);
      break;

    case PROP_PARTIAL_PREFIX:
      g_value_set_string (value, self->partial_prefix);
      break;

    case PROP_PARTIAL_NAME:
      g_value_set_string (value, self->partial_name);
      break;

    case PROP_SUMMARY:
      g_value_set_string (value, self->summary);
      break;

    case PROP_IS_LOADED:
      g_value_set_boolean (value, self->is_loaded);
      break;

    case PROP_IS_BUSY:
      g_value_set_boolean (value, self->is_busy);
      break;

    case PROP_READ_ONLY:
      g_value_set_boolean (value, self->read_only_reason != NULL);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, self->messages->len);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_conversation_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  MoonConversation *self = MOON_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      moon_conversation_set_title (self, g_value_get_string (value));
      break;

    case PROP_MODEL:
      moon_conversation_set_model (self, g_value_get_string (value));
      break;

    case PROP_SYSTEM_PROMPT:
      moon_conversation_set_system_prompt (self, g_value_get_string (value));
      break;

    case PROP_TEMPERATURE:
      moon_conversation_set_temperature (self, g_value_get_double (value));
      break;

    case PROP_MAX_TOKENS:
      moon_conversation_set_max_tokens (self, g_value_get_int (value));
      break;

    case PROP_CONTEXT_MESSAGE_LIMIT:
      moon_conversation_set_context_message_limit (self, g_value_get_uint (value));
      break;

    case PROP_CONTEXT_TOKEN_BUDGET:
      moon_conversation_set_context_token_budget (self, g_value_get_uint (value));
      break;

    case PROP_THINKING:
      moon_conversation_set_thinking (self, g_value_get_boolean (value));
      break;

    case PROP_SUMMARY_ENABLED:
      moon_conversation_set_summary_enabled (self, g_value_get_boolean (value));
      break;

    case PROP_PARTIAL_PREFIX:
      moon_conversation_set_partial_prefix (self, g_value_get_string (value));
      break;

    case PROP_PARTIAL_NAME:
      moon_conversation_set_partial_name (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#define RW_PROP (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS)
#define RO_PROP (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS)

static void
moon_conversation_class_init (MoonConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = moon_conversation_dispose;
  object_class->finalize = moon_conversation_finalize;
  object_class->get_property = moon_conversation_get_property;
  object_class->set_property = moon_conversation_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL, RO_PROP);

  /**
   * MoonConversation:title:
   *
   * The title: derived from the first user message until it is set
   * explicitly (then #MoonConversation:title-is-custom is %TRUE). May be
   * empty; see #MoonConversation:display-title.
   */
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, "", RW_PROP);

  /**
   * MoonConversation:display-title:
   *
   * The title, or “New Conversation” (translated) while there is none.
   */
  properties[PROP_DISPLAY_TITLE] =
    g_param_spec_string ("display-title", NULL, NULL, NULL, RO_PROP);

  properties[PROP_TITLE_IS_CUSTOM] =
    g_param_spec_boolean ("title-is-custom", NULL, NULL, FALSE, RO_PROP);

  properties[PROP_CREATED] =
    g_param_spec_boxed ("created", NULL, NULL, G_TYPE_DATE_TIME, RO_PROP);

  /**
   * MoonConversation:updated:
   *
   * The time of the last activity (a message added, edited, removed or
   * finished).
   */
  properties[PROP_UPDATED] =
    g_param_spec_boxed ("updated", NULL, NULL, G_TYPE_DATE_TIME, RO_PROP);

  /**
   * MoonConversation:updated-unix:
   *
   * #MoonConversation:updated in seconds since the epoch, for a
   * #GtkNumericSorter.
   */
  properties[PROP_UPDATED_UNIX] =
    g_param_spec_int64 ("updated-unix", NULL, NULL, G_MININT64, G_MAXINT64, 0, RO_PROP);

  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, NULL, RW_PROP);

  properties[PROP_SYSTEM_PROMPT] =
    g_param_spec_string ("system-prompt", NULL, NULL, NULL, RW_PROP);

  /**
   * MoonConversation:temperature:
   *
   * The sampling temperature, or -1 to leave it to the server (omitted from
   * requests and the file).
   */
  properties[PROP_TEMPERATURE] =
    g_param_spec_double ("temperature", NULL, NULL, -1.0, 2.0, -1.0, RW_PROP);

  /**
   * MoonConversation:max-tokens:
   *
   * The most tokens a reply may have, or 0 for the server's default.
   */
  properties[PROP_MAX_TOKENS] =
    g_param_spec_int ("max-tokens", NULL, NULL, 0, G_MAXINT, 0, RW_PROP);

  /**
   * MoonConversation:context-message-limit:
   *
   * How many of the newest messages a request carries, or 0 for all.
   */
  properties[PROP_CONTEXT_MESSAGE_LIMIT] =
    g_param_spec_uint ("context-message-limit", NULL, NULL, 0, G_MAXUINT,
                       DEFAULT_CONTEXT_MESSAGE_LIMIT, RW_PROP);

  /**
   * MoonConversation:context-token-budget:
   *
   * How many tokens of history a request may carry, or 0 to derive it from
   * the model's context window.
   */
  properties[PROP_CONTEXT_TOKEN_BUDGET] =
    g_param_spec_uint ("context-token-budget", NULL, NULL, 0, G_MAXUINT, 0, RW_PROP);

  properties[PROP_THINKING] =
    g_param_spec_boolean ("thinking", NULL, NULL, FALSE, RW_PROP);

  properties[PROP_SUMMARY_ENABLED] =
    g_param_spec_boolean ("summary-enabled", NULL, NULL, FALSE, RW_PROP);

  properties[PROP_PARTIAL_PREFIX] =
    g_param_spec_string ("partial-prefix", NULL, NULL, NULL, RW_PROP);

  properties[PROP_PARTIAL_NAME] =
    g_param_spec_string ("partial-name", NULL, NULL, NULL, RW_PROP);

  /**
   * MoonConversation:summary:
   *
   * A summary of older turns that no longer fit in a request, or %NULL. See
   * moon_conversation_get_summary_first_id() for the messages it covers.
   */
  properties[PROP_SUMMARY] =
    g_param_spec_string ("summary", NULL, NULL, NULL, RO_PROP);

  /**
   * MoonConversation:is-loaded:
   *
   * Whether the messages and settings have been read from disk. A stub from
   * the store's index has only id, title and times.
   */
  properties[PROP_IS_LOADED] =
    g_param_spec_boolean ("is-loaded", NULL, NULL, FALSE, RO_PROP);

  /**
   * MoonConversation:is-busy:
   *
   * Whether a reply is pending or streaming.
   */
  properties[PROP_IS_BUSY] =
    g_param_spec_boolean ("is-busy", NULL, NULL, FALSE, RO_PROP);

  /**
   * MoonConversation:read-only:
   *
   * Whether the conversation must not be saved: its file was written by a
   * newer major version, or has fields this version cannot read back
   * faithfully. See moon_conversation_get_read_only_reason().
   */
  properties[PROP_READ_ONLY] =
    g_param_spec_boolean ("read-only", NULL, NULL, FALSE, RO_PROP);

  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0, RO_PROP);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MoonConversation::changed:
   *
   * Emitted after anything that is saved changed: a message, the list of
   * messages, a setting, the title or the summary. Emitted for every
   * streamed delta, so handlers must be cheap.
   */
  signals[CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
moon_conversation_init (MoonConversation *self)
{
  self->messages = g_ptr_array_new_with_free_func (g_object_unref);
  self->title = g_strdup ("");
  self->temperature = -1.0;
  self->context_message_limit = DEFAULT_CONTEXT_MESSAGE_LIMIT;
}

/**
 * moon_conversation_new:
 *
 * Creates an empty conversation with a new id, created and updated now. It
 * counts as loaded.
 *
 * Returns: (transfer full): a new #MoonConversation
 */
MoonConversation *
moon_conversation_new (void)
{
  MoonConversation *self = g_object_new (MOON_TYPE_CONVERSATION, NULL);

  self->id = g_uuid_string_random ();
  self->created = g_date_time_new_now_utc ();
  self->updated = g_date_time_ref (self->created);
  self->is_loaded = TRUE;

  return self;
}

MoonConversation *
_moon_conversation_new_stub (const char *id,
                             const char *title,
                             gboolean    title_is_custom,
                             GDateTime  *created,
                             GDateTime  *updated)
{
  MoonConversation *self = g_object_new (MOON_TYPE_CONVERSATION, NULL);

  g_assert (id != NULL);
  g_assert (created != NULL);
  g_assert (updated != NULL);

  self->id = g_strdup (id);
  g_set_str (&self->title, title ? title : "");
  self->title_is_custom = !!title_is_custom;
  self->created = g_date_time_to_utc (created);
  self->updated = g_date_time_to_utc (updated);
  self->is_loaded = FALSE;

  return self;
}

/* Accessors */

const char *
moon_conversation_get_id (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), NULL);

  return self->id;
}

/**
 * moon_conversation_get_title:
 * @self: a #MoonConversation
 *
 * Returns: (transfer none): the title, possibly empty, never %NULL
 */
const char *
moon_conversation_get_title (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), NULL);

  return self->title;
}

/**
 * moon_conversation_dup_display_title:
 * @self: a #MoonConversation
 *
 * Returns: (transfer full): the title, or “New Conversation” if it is empty
 */
char *
moon_conversation_dup_display_title (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), NULL);

  if (self->title[0] == '\0')
    return g_strdup (_("New Conversation"));
  return g_strdup (self->title);
}

/**
 * moon_conversation_set_title:
 * @self: a #MoonConversation
 * @title: (nullable): the new title, or %NULL / empty to derive it from the
 *   first user message again
 *
 * Renames the conversation. A non-empty title sticks
 * (#MoonConversation:title-is-custom becomes %TRUE).
 */
void
moon_conversation_set_title (MoonConversation *self,
                             const char       *title)
{
  g_autofree char *stripped = NULL;
  gboolean custom;

  g_return_if_fail (MOON_IS_CONVERSATION (self));

  stripped = g_strstrip (g_strdup (title ? title : ""));
  custom = stripped[0] != '\0';

  g_object_freeze_notify (G_OBJECT (self));

  if (self->title_is_custom != custom)
    {
      self->title_is_custom = custom;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE_IS_CUSTOM]);
    }

  if (custom)
    {
      if (g_set_str (&self->title, stripped))
        {
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_TITLE]);
        }
    }
  else if (self->is_loaded)
    update_title (self);

  g_object_thaw_notify (G_OBJECT (self));

  emit_changed (self);
}

gboolean
moon_conversation_get_title_is_custom (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), FALSE);

  return self->title_is_custom;
}

/**
 * moon_conversation_get_created:
 * @self: a #MoonConversation
 *
 * Returns: (transfer none): when the conversation was created (UTC)
 */
GDateTime *
moon_conversation_get_created (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), NULL);

  return self->created;
}

/**
 * moon_conversation_get_updated:
 * @self: a #MoonConversation
 *
 * Returns: (transfer none): the time of the last activity (UTC)
 */
GDateTime *
moon_conversation_get_updated (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), NULL);

  return self->updated;
}

gint64
moon_conversation_get_updated_unix (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), 0);

  return self->updated ? g_date_time_to_unix (self->updated) : 0;
}

#define DEFINE_STRING_SETTING(field, prop)                                  \
const char *                                                                \
moon_conversation_get_##field (MoonConversation *self)                      \
{                                                                           \
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), NULL);                 \
  return self->field;                                                       \
}                                                                           \
                                                                            \
void                                                                        \
moon_conversation_set_##field (MoonConversation *self,                      \
                               const char       *value)                     \
{                                                                           \
  g_return_if_fail (MOON_IS_CONVERSATION (self));                           \
  if (set_string (&self->field, value))                                     \
    {                                                                       \
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);         \
      emit_changed (self);                                                  \
    }                                                                       \
}

#define DEFINE_VALUE_SETTING(type, field, prop)                             \
type                                                                        \
moon_conversation_get_##field (MoonConversation *self)                      \
{                                                                           \
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), (type) 0);             \
  return self->field;                                                       \
}                                                                           \
                                                                            \
void                                                                        \
moon_conversation_set_##field (MoonConversation *self,                      \
                               type              value)                     \
{                                                                           \
  g_return_if_fail (MOON_IS_CONVERSATION (self));                           \
  if (self->field == value)                                                 \
    return;                                                                 \
  self->field = value;                                                      \
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);             \
  emit_changed (self);                                                      \
}

/**
 * moon_conversation_get_model:
 * @self: a #MoonConversation
 *
 * Returns: (transfer none) (nullable): the model id, or %NULL for the
 *   application's default
 */
DEFINE_STRING_SETTING (model, PROP_MODEL)
DEFINE_STRING_SETTING (system_prompt, PROP_SYSTEM_PROMPT)
DEFINE_STRING_SETTING (partial_prefix, PROP_PARTIAL_PREFIX)
DEFINE_STRING_SETTING (partial_name, PROP_PARTIAL_NAME)
DEFINE_VALUE_SETTING (int, max_tokens, PROP_MAX_TOKENS)
DEFINE_VALUE_SETTING (guint, context_message_limit, PROP_CONTEXT_MESSAGE_LIMIT)
DEFINE_VALUE_SETTING (guint, context_token_budget, PROP_CONTEXT_TOKEN_BUDGET)

double
moon_conversation_get_temperature (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), -1.0);

  return self->temperature;
}

/**
 * moon_conversation_set_temperature:
 * @self: a #MoonConversation
 * @temperature: 0 to 2, or any negative value to unset it
 */
void
moon_conversation_set_temperature (MoonConversation *self,
                                   double            temperature)
{
  g_return_if_fail (MOON_IS_CONVERSATION (self));

  if (temperature < 0 || isnan (temperature))
    temperature = -1.0;
  temperature = MIN (temperature, 2.0);

  if (self->temperature == temperature)
    return;

  self->temperature = temperature;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEMPERATURE]);
  emit_changed (self);
}

gboolean
moon_conversation_get_thinking (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), FALSE);

  return self->thinking;
}

void
moon_conversation_set_thinking (MoonConversation *self,
                                gboolean          thinking)
{
  g_return_if_fail (MOON_IS_CONVERSATION (self));

  thinking = !!thinking;
  if (self->thinking == (guint) thinking)
    return;

  self->thinking = thinking;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THINKING]);
  emit_changed (self);
}

gboolean
moon_conversation_get_summary_enabled (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), FALSE);

  return self->summary_enabled;
}

void
moon_conversation_set_summary_enabled (MoonConversation *self,
                                       gboolean          summary_enabled)
{
  g_return_if_fail (MOON_IS_CONVERSATION (self));

  summary_enabled = !!summary_enabled;
  if (self->summary_enabled == (guint) summary_enabled)
    return;

  self->summary_enabled = summary_enabled;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUMMARY_ENABLED]);
  emit_changed (self);
}

/**
 * moon_conversation_get_summary:
 * @self: a #MoonConversation
 *
 * Returns: (transfer none) (nullable): the summary of older turns, or %NULL
 */
const char *
moon_conversation_get_summary (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), NULL);

  return self->summary;
}

/**
 * moon_conversation_get_summary_first_id:
 * @self: a #MoonConversation
 *
 * Returns: (transfer none) (nullable): the id of the first message the
 *   summary covers
 */
const char *
moon_conversation_get_summary_first_id (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), NULL);

  return self->summary_first_id;
}

/**
 * moon_conversation_get_summary_last_id:
 * @self: a #MoonConversation
 *
 * Returns: (transfer none) (nullable): the id of the last message the
 *   summary covers
 */
const char *
moon_conversation_get_summary_last_id (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), NULL);

  return self->summary_last_id;
}

/**
 * moon_conversation_set_summary:
 * @self: a #MoonConversation
 * @text: (nullable): the summary, or %NULL to drop it
 * @first_message_id: (nullable): the first message it covers
 * @last_message_id: (nullable): the last message it covers
 *
 * Sets the summary of older turns and the range of messages it stands for.
 */
void
moon_conversation_set_summary (MoonConversation *self,
                               const char       *text,
                               const char       *first_message_id,
                               const char       *last_message_id)
{
  gboolean changed = FALSE;

  g_return_if_fail (MOON_IS_CONVERSATION (self));

  if (text == NULL || *text == '\0')
    first_message_id = last_message_id = NULL;

  changed |= set_string (&self->summary_first_id, first_message_id);
  changed |= set_string (&self->summary_last_id, last_message_id);
  if (set_string (&self->summary, text))
    {
      changed = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUMMARY]);
    }

  if (changed)
    emit_changed (self);
}

gboolean
moon_conversation_get_is_loaded (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), FALSE);

  return self->is_loaded;
}

gboolean
moon_conversation_get_is_busy (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), FALSE);

  return self->is_busy;
}

gboolean
moon_conversation_get_read_only (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), FALSE);

  return self->read_only_reason != NULL;
}

/**
 * moon_conversation_get_read_only_reason:
 * @self: a #MoonConversation
 *
 * Returns: (transfer none) (nullable): why the conversation is read-only
 *   (%MOON_HISTORY_ERROR_NEWER_VERSION or %MOON_HISTORY_ERROR_INVALID), or
 *   %NULL if it is not
 */
const GError *
moon_conversation_get_read_only_reason (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), NULL);

  return self->read_only_reason;
}

void
_moon_conversation_set_read_only (MoonConversation *self,
                                  const GError     *reason)
{
  gboolean was = self->read_only_reason != NULL;

  g_assert (MOON_IS_CONVERSATION (self));

  g_clear_error (&self->read_only_reason);
  if (reason != NULL)
    self->read_only_reason = g_error_copy (reason);

  if (was != (reason != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READ_ONLY]);
}

/* Editing */

/**
 * moon_conversation_append_message:
 * @self: a #MoonConversation
 * @message: the message to add at the end
 *
 * Adds @message, updates the derived title and #MoonConversation:updated.
 */
void
moon_conversation_append_message (MoonConversation *self,
                                  MoonMessage      *message)
{
  g_return_if_fail (MOON_IS_CONVERSATION (self));
  g_return_if_fail (MOON_IS_MESSAGE (message));
  g_return_if_fail (self->is_loaded);

  g_ptr_array_add (self->messages, g_object_ref (message));
  connect_message (self, message);
  items_changed (self, self->messages->len - 1, 0, 1);

  g_object_freeze_notify (G_OBJECT (self));
  update_title (self);
  update_busy (self);
  moon_conversation_touch (self);
  g_object_thaw_notify (G_OBJECT (self));

  emit_changed (self);
}

static gboolean
find_message (MoonConversation *self,
              MoonMessage      *message,
              guint            *out_position)
{
  return g_ptr_array_find (self->messages, message, out_position);
}

/**
 * moon_conversation_remove_message:
 * @self: a #MoonConversation
 * @message: a message of @self
 *
 * Returns: %TRUE if @message was in the conversation and was removed
 */
gboolean
moon_conversation_remove_message (MoonConversation *self,
                                  MoonMessage      *message)
{
  guint position;

  g_return_val_if_fail (MOON_IS_CONVERSATION (self), FALSE);
  g_return_val_if_fail (MOON_IS_MESSAGE (message), FALSE);

  if (!find_message (self, message, &position))
    return FALSE;

  disconnect_message (self, message);
  g_ptr_array_remove_index (self->messages, position);
  items_changed (self, position, 1, 0);

  g_object_freeze_notify (G_OBJECT (self));
  update_title (self);
  update_busy (self);
  moon_conversation_touch (self);
  g_object_thaw_notify (G_OBJECT (self));

  emit_changed (self);
  return TRUE;
}

/**
 * moon_conversation_truncate_after:
 * @self: a #MoonConversation
 * @message: (nullable): a message of @self, or %NULL to remove everything
 *
 * Removes every message after @message (for regenerating a reply).
 *
 * Returns: how many messages were removed
 */
guint
moon_conversation_truncate_after (MoonConversation *self,
                                  MoonMessage      *message)
{
  guint position = 0;
  guint removed;

  g_return_val_if_fail (MOON_IS_CONVERSATION (self), 0);
  g_return_val_if_fail (message == NULL || MOON_IS_MESSAGE (message), 0);

  if (message != NULL)
    {
      if (!find_message (self, message, &position))
        {
          g_critical ("%s: the message is not part of this conversation", G_STRFUNC);
          return 0;
        }
      position++;
    }

  removed = self->messages->len - position;
  if (removed == 0)
    return 0;

  for (guint i = position; i < self->messages->len; i++)
    disconnect_message (self, g_ptr_array_index (self->messages, i));
  g_ptr_array_remove_range (self->messages, position, removed);
  items_changed (self, position, removed, 0);

  g_object_freeze_notify (G_OBJECT (self));
  update_title (self);
  update_busy (self);
  moon_conversation_touch (self);
  g_object_thaw_notify (G_OBJECT (self));

  emit_changed (self);
  return removed;
}

/**
 * moon_conversation_set_message_text:
 * @self: a #MoonConversation
 * @message: a message of @self
 * @text: the new text
 *
 * Edits a message's text and marks the conversation as updated.
 */
void
moon_conversation_set_message_text (MoonConversation *self,
                                    MoonMessage      *message,
                                    const char       *text)
{
  g_return_if_fail (MOON_IS_CONVERSATION (self));
  g_return_if_fail (MOON_IS_MESSAGE (message));
  g_return_if_fail (find_message (self, message, NULL));

  if (g_strcmp0 (moon_message_get_content (message), text ? text : "") == 0)
    return;

  moon_message_set_content (message, text);
  moon_conversation_touch (self);
}

/**
 * moon_conversation_find_message:
 * @self: a #MoonConversation
 * @id: a message id
 * @out_position: (out) (optional): where the message is
 *
 * Returns: (transfer none) (nullable): the message with @id
 */
MoonMessage *
moon_conversation_find_message (MoonConversation *self,
                                const char       *id,
                                guint            *out_position)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  for (guint i = 0; i < self->messages->len; i++)
    {
      MoonMessage *message = g_ptr_array_index (self->messages, i);

      if (g_str_equal (moon_message_get_id (message), id))
        {
          if (out_position != NULL)
            *out_position = i;
          return message;
        }
    }

  return NULL;
}

/**
 * moon_conversation_get_last_message:
 * @self: a #MoonConversation
 *
 * Returns: (transfer none) (nullable): the newest message
 */
MoonMessage *
moon_conversation_get_last_message (MoonConversation *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION (self), NULL);

  if (self->messages->len == 0)
    return NULL;
  return g_ptr_array_index (self->messages, self->messages->len - 1);
}

/* Serialization */

static JsonObject *
build_header (MoonConversation *self)
{
  JsonObject *root = json_object_new ();
  JsonObject *settings = json_object_new ();
  g_autofree char *created = moon_date_time_to_rfc3339 (self->created);
  g_autofree char *updated = moon_date_time_to_rfc3339 (self->updated);

  json_object_set_string_member (root, "format", MOON_CONVERSATION_FORMAT);
  json_object_set_int_member (root, "version", MOON_CONVERSATION_VERSION);
  json_object_set_string_member (root, "id", self->id);
  json_object_set_string_member (root, "title", self->title);
  json_object_set_boolean_member (root, "title_is_custom", self->title_is_custom);
  json_object_set_string_member (root, "created", created);
  json_object_set_string_member (root, "updated", updated);

  if (self->model != NULL)
    json_object_set_string_member (settings, "model", self->model);
  if (self->system_prompt != NULL)
    json_object_set_string_member (settings, "system_prompt", self->system_prompt);
  if (self->temperature >= 0)
    json_object_set_double_member (settings, "temperature", self->temperature);
  if (self->max_tokens > 0)
    json_object_set_int_member (settings, "max_tokens", self->max_tokens);
  json_object_set_int_member (settings, "context_message_limit", self->context_message_limit);
  json_object_set_int_member (settings, "context_token_budget", self->context_token_budget);
  json_object_set_boolean_member (settings, "thinking", self->thinking);
  json_object_set_boolean_member (settings, "summary_enabled", self->summary_enabled);
  if (self->partial_prefix != NULL)
    json_object_set_string_member (settings, "partial_prefix", self->partial_prefix);
  if (self->partial_name != NULL)
    json_object_set_string_member (settings, "partial_name", self->partial_name);
  moon_json_append_members (settings, self->extra_settings);
  json_object_set_object_member (root, "settings", settings);

  if (self->summary != NULL)
    {
      JsonObject *summary = json_object_new ();

      json_object_set_string_member (summary, "text", self->summary);
      if (self->summary_first_id != NULL)
        json_object_set_string_member (summary, "first_message_id", self->summary_first_id);
      if (self->summary_last_id != NULL)
        json_object_set_string_member (summary, "last_message_id", self->summary_last_id);
      moon_json_append_members (summary, self->extra_summary);
      json_object_set_object_member (root, "summary", summary);
    }

  moon_json_append_members (root, self->extra);

  return root;
}

/**
 * moon_conversation_to_json:
 * @self: a loaded #MoonConversation
 *
 * Builds the whole history document (see docs/file-format.md), unknown
 * members included. The store does not use this to save (it renders cached
 * per-message text on a worker thread); it is here for tools and tests.
 *
 * Returns: (transfer full): a JSON object node
 */
JsonNode *
moon_conversation_to_json (MoonConversation *self)
{
  g_autoptr(JsonObject) root = NULL;
  JsonArray *messages;

  g_return_val_if_fail (MOON_IS_CONVERSATION (self), NULL);

  root = build_header (self);
  messages = json_array_sized_new (self->messages->len);
  for (guint i = 0; i < self->messages->len; i++)
    json_array_add_element (messages, moon_message_to_json (g_ptr_array_index (self->messages, i)));
  json_object_set_array_member (root, "messages", messages);

  return json_node_init_object (json_node_alloc (), root);
}

static const char *
role_heading (MoonMessageRole role)
{
  switch (role)
    {
    case MOON_MESSAGE_ROLE_SYSTEM:
      return _("System");
    case MOON_MESSAGE_ROLE_USER:
      return _("User");
    case MOON_MESSAGE_ROLE_ASSISTANT:
      return _("Assistant");
    case MOON_MESSAGE_ROLE_TOOL:
      return _("Tool");
    default:
      g_assert_not_reached ();
    }
}

static void
append_quoted (GString    *out,
               const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_string_append (out, lines[i][0] ? "> " : ">");
      g_string_append (out, lines[i]);
      g_string_append_c (out, '\n');
    }
}

/**
 * moon_conversation_to_markdown:
 * @self: a loaded #MoonConversation
 *
 * Renders the conversation as a Markdown document: the title, the system
 * prompt, then each message under a heading naming its role and time.
 * Reasoning is shown as a quote before the answer. Message text is
 * Markdown already and goes in unchanged.
 *
 * Returns: (transfer full): the document
 */
char *
moon_conversation_to_markdown (MoonConversation *self)
{
  g_autofree char *title = NULL;
  GString *out;

  g_return_val_if_fail (MOON_IS_CONVERSATION (self), NULL);

  title = moon_conversation_dup_display_title (self);
  out = g_string_new (NULL);
  g_string_append_printf (out, "# %s\n\n", title);

  if (self->model != NULL)
    {
      /* Translators: in an exported conversation; %s is a model id */
      g_string_append_printf (out, _("Model: %s"), self->model);
      g_string_append (out, "\n\n");
    }

  if (self->system_prompt != NULL)
    {
      g_string_append_printf (out, "## %s\n\n", _("System Prompt"));
      g_string_append (out, self->system_prompt);
      g_string_append (out, "\n\n");
    }

  for (guint i = 0; i < self->messages->len; i++)
    {
      MoonMessage *message = g_ptr_array_index (self->messages, i);
      g_autoptr(GDateTime) local = g_date_time_to_local (moon_message_get_created (message));
      g_autofree char *when = g_date_time_format (local, "%Y-%m-%d %H:%M");
      const char *reasoning = moon_message_get_reasoning_content (message);

      g_string_append_printf (out, "## %s · %s\n\n", role_heading (moon_message_get_role (message)), when);

      if (reasoning[0] != '\0')
        {
          /* Translators: heading of the model's reasoning in an exported conversation */
          g_autofree char *label = g_strdup_printf ("**%s**\n\n%s", _("Reasoning"), reasoning);

          append_quoted (out, label);
          g_string_append_c (out, '\n');
        }

      g_string_append (out, moon_message_get_content (message));
      g_string_append (out, "\n\n");
    }

  return g_string_free (out, FALSE);
}

static void
append_json (GString  *out,
             JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  g_string_append (out, text);
}

MoonConversationSnapshot *
_moon_conversation_snapshot (MoonConversation *self)
{
  MoonConversationSnapshot *snapshot;
  g_autoptr(JsonObject) header = NULL;
  g_autoptr(GList) names = NULL;
  GString *text;

  g_assert (MOON_IS_CONVERSATION (self));
  g_assert (self->is_loaded);

  header = build_header (self);
  names = json_object_get_members (header);

  /* One member per line, then one message per line: readable, diffable
   * and cheap to produce from cached message text. */
  text = g_string_new ("{\n");
  for (const GList *l = names; l != NULL; l = l->next)
    {
      g_autoptr(JsonNode) name = json_node_init_string (json_node_alloc (), l->data);

      g_string_append (text, "  ");
      append_json (text, name);
      g_string_append (text, ": ");
      append_json (text, json_object_get_member (header, l->data));
      g_string_append (text, ",\n");
    }
  g_string_append (text, "  \"messages\": [");

  snapshot = g_new0 (MoonConversationSnapshot, 1);
  snapshot->header = g_string_free_to_bytes (text);
  snapshot->messages = g_ptr_array_new_full (self->messages->len, (GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < self->messages->len; i++)
    g_ptr_array_add (snapshot->messages,
                     _moon_message_dup_serialized (g_ptr_array_index (self->messages, i)));

  return snapshot;
}

GBytes *
_moon_conversation_snapshot_render (MoonConversationSnapshot *snapshot)
{
  gsize total;
  GString *out;

  g_assert (snapshot != NULL);

  total = g_bytes_get_size (snapshot->header) + 16;
  for (guint i = 0; i < snapshot->messages->len; i++)
    total += g_bytes_get_size (g_ptr_array_index (snapshot->messages, i)) + 6;

  out = g_string_sized_new (total);
  g_string_append_len (out,
                       g_bytes_get_data (snapshot->header, NULL),
                       g_bytes_get_size (snapshot->header));

  for (guint i = 0; i < snapshot->messages->len; i++)
    {
      GBytes *message = g_ptr_array_index (snapshot->messages, i);

      g_string_append (out, i == 0 ? "\n    " : ",\n    ");
      g_string_append_len (out, g_bytes_get_data (message, NULL), g_bytes_get_size (message));
    }

  g_string_append (out, snapshot->messages->len > 0 ? "\n  ]\n}\n" : "]\n}\n");

  return g_string_free_to_bytes (out);
}

void
_moon_conversation_snapshot_free (MoonConversationSnapshot *snapshot)
{
  if (snapshot == NULL)
    return;

  g_clear_pointer (&snapshot->header, g_bytes_unref);
  g_clear_pointer (&snapshot->messages, g_ptr_array_unref);
  g_free (snapshot);
}

/* Loading */

static void
add_problem (GError     **problem,
             const char  *what)
{
  if (*problem == NULL)
    g_set_error (problem, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_INVALID,
                 _("The field “%s” is not valid"), what);
}

static void
read_string_field (JsonObject  *object,
                   const char  *member,
                   char       **field,
                   GError     **problem)
{
  const char *value = NULL;

  if (moon_json_get_string (object, member, &value) == MOON_JSON_FIELD_WRONG_TYPE)
    add_problem (problem, member);
  else
    set_string (field, value);
}

static void
read_settings (MoonConversation  *self,
               JsonObject        *settings,
               GError           **problem)
{
  gint64 n;
  double d;
  gboolean b;

  read_string_field (settings, "model", &self->model, problem);
  read_string_field (settings, "system_prompt", &self->system_prompt, problem);
  read_string_field (settings, "partial_prefix", &self->partial_prefix, problem);
  read_string_field (settings, "partial_name", &self->partial_name, problem);

  switch (moon_json_get_double (settings, "temperature", &d))
    {
    case MOON_JSON_FIELD_OK:
      if (d >= 0 && d <= 2)
        self->temperature = d;
      else
        add_problem (problem, "temperature");
      break;
    case MOON_JSON_FIELD_WRONG_TYPE:
      add_problem (problem, "temperature");
      break;
    case MOON_JSON_FIELD_MISSING:
    default:
      break;
    }

  switch (moon_json_get_int (settings, "max_tokens", &n))
    {
    case MOON_JSON_FIELD_OK:
      if (n >= 0 && n <= G_MAXINT)
        self->max_tokens = n;
      else
        add_problem (problem, "max_tokens");
      break;
    case MOON_JSON_FIELD_WRONG_TYPE:
      add_problem (problem, "max_tokens");
      break;
    case MOON_JSON_FIELD_MISSING:
    default:
      break;
    }

  switch (moon_json_get_int (settings, "context_message_limit", &n))
    {
    case MOON_JSON_FIELD_OK:
      if (n >= 0 && n <= G_MAXUINT)
        self->context_message_limit = n;
      else
        add_problem (problem, "context_message_limit");
      break;
    case MOON_JSON_FIELD_WRONG_TYPE:
      add_problem (problem, "context_message_limit");
      break;
    case MOON_JSON_FIELD_MISSING:
    default:
      break;
    }

  switch (moon_json_get_int (settings, "context_token_budget", &n))
    {
    case MOON_JSON_FIELD_OK:
      if (n >= 0 && n <= G_MAXUINT)
        self->context_token_budget = n;
      else
        add_problem (problem, "context_token_budget");
      break;
    case MOON_JSON_FIELD_WRONG_TYPE:
      add_problem (problem, "context_token_budget");
      break;
    case MOON_JSON_FIELD_MISSING:
    default:
      break;
    }

  if (moon_json_get_boolean (settings, "thinking", &b) == MOON_JSON_FIELD_WRONG_TYPE)
    add_problem (problem, "thinking");
  else if (json_object_has_member (settings, "thinking"))
    self->thinking = b;

  if (moon_json_get_boolean (settings, "summary_enabled", &b) == MOON_JSON_FIELD_WRONG_TYPE)
    add_problem (problem, "summary_enabled");
  else if (json_object_has_member (settings, "summary_enabled"))
    self->summary_enabled = b;

  self->extra_settings = json_object_new ();
  moon_json_copy_unknown (settings, self->extra_settings, known_settings);
}

static GDateTime *
read_time (JsonObject  *root,
           const char  *member,
           GError     **problem)
{
  const char *text = NULL;
  GDateTime *parsed;

  switch (moon_json_get_string (root, member, &text))
    {
    case MOON_JSON_FIELD_OK:
      parsed = moon_date_time_from_rfc3339 (text);
      if (parsed == NULL)
        add_problem (problem, member);
      return parsed;

    case MOON_JSON_FIELD_WRONG_TYPE:
      add_problem (problem, member);
      return NULL;

    case MOON_JSON_FIELD_MISSING:
    default:
      return NULL;
    }
}

/**
 * moon_conversation_new_from_json:
 * @root: the root object of a history file
 * @error: return location for a #GError
 *
 * Reads a whole conversation document. Safe to call on a worker thread (the
 * result is not shared with anything yet).
 *
 * The file must have `"format": "moonchat-conversation"`, a numeric
 * `version` and a `messages` array; otherwise this fails with
 * %MOON_HISTORY_ERROR_INVALID. A newer major version, or fields of the wrong
 * type, still give a conversation — with as much as could be read — but it
 * is read-only (see moon_conversation_get_read_only_reason()), so the file
 * is never overwritten with less than it had.
 *
 * Returns: (transfer full) (nullable): a loaded conversation
 */
MoonConversation *
moon_conversation_new_from_json (JsonObject  *root,
                                 GError     **error)
{
  g_autoptr(MoonConversation) self = NULL;
  g_autoptr(GError) problem = NULL;
  const char *format = NULL;
  const char *id = NULL;
  const char *title = NULL;
  double version = 0;
  gboolean title_is_custom = FALSE;
  gboolean has_custom_flag;
  JsonObject *sub = NULL;
  JsonNode *messages_node;
  JsonArray *messages;
  guint n_messages;

  g_return_val_if_fail (root != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (moon_json_get_string (root, "format", &format) != MOON_JSON_FIELD_OK ||
      !g_str_equal (format, MOON_CONVERSATION_FORMAT))
    {
      g_set_error_literal (error, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_INVALID,
                           _("This is not a Moonchat conversation file"));
      return NULL;
    }

  if (moon_json_get_double (root, "version", &version) != MOON_JSON_FIELD_OK ||
      !(version >= 1))
    {
      g_set_error_literal (error, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_INVALID,
                           _("The conversation file has no valid version"));
      return NULL;
    }

  messages_node = json_object_get_member (root, "messages");
  if (messages_node == NULL || !JSON_NODE_HOLDS_ARRAY (messages_node))
    {
      g_set_error_literal (error, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_INVALID,
                           _("The conversation file has no list of messages"));
      return NULL;
    }

  self = g_object_new (MOON_TYPE_CONVERSATION, NULL);
  self->is_loaded = TRUE;

  if (version >= MOON_CONVERSATION_VERSION + 1)
    g_set_error (&problem, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_NEWER_VERSION,
                 _("This conversation was saved by a newer version of Moonchat (file format %d); "
                   "it is shown read-only so that nothing in it is lost"),
                 (int) MIN (version, (double) G_MAXINT));

  switch (moon_json_get_string (root, "id", &id))
    {
    case MOON_JSON_FIELD_OK:
      if (*id != '\0')
        break;
      G_GNUC_FALLTHROUGH;
    case MOON_JSON_FIELD_WRONG_TYPE:
      add_problem (&problem, "id");
      id = NULL;
      break;
    case MOON_JSON_FIELD_MISSING:
    default:
      break;
    }
  self->id = id ? g_strdup (id) : g_uuid_string_random ();

  if (moon_json_get_string (root, "title", &title) == MOON_JSON_FIELD_WRONG_TYPE)
    add_problem (&problem, "title");
  has_custom_flag = json_object_has_member (root, "title_is_custom");
  if (moon_json_get_boolean (root, "title_is_custom", &title_is_custom) == MOON_JSON_FIELD_WRONG_TYPE)
    add_problem (&problem, "title_is_custom");

  self->created = read_time (root, "created", &problem);
  self->updated = read_time (root, "updated", &problem);
  if (self->created == NULL)
    self->created = self->updated ? g_date_time_ref (self->updated) : g_date_time_new_now_utc ();
  if (self->updated == NULL)
    self->updated = g_date_time_ref (self->created);

  switch (moon_json_get_object (root, "settings", &sub))
    {
    case MOON_JSON_FIELD_OK:
      read_settings (self, sub, &problem);
      break;
    case MOON_JSON_FIELD_WRONG_TYPE:
      add_problem (&problem, "settings");
      break;
    case MOON_JSON_FIELD_MISSING:
    default:
      break;
    }

  switch (moon_json_get_object (root, "summary", &sub))
    {
    case MOON_JSON_FIELD_OK:
      read_string_field (sub, "text", &self->summary, &problem);
      read_string_field (sub, "first_message_id", &self->summary_first_id, &problem);
      read_string_field (sub, "last_message_id", &self->summary_last_id, &problem);
      self->extra_summary = json_object_new ();
      moon_json_copy_unknown (sub, self->extra_summary, known_summary);
      break;
    case MOON_JSON_FIELD_WRONG_TYPE:
      add_problem (&problem, "summary");
      break;
    case MOON_JSON_FIELD_MISSING:
    default:
      break;
    }

  messages = json_node_get_array (messages_node);
  n_messages = json_array_get_length (messages);
  g_ptr_array_set_size (self->messages, 0);
  for (guint i = 0; i < n_messages; i++)
    {
      JsonNode *node = json_array_get_element (messages, i);
      g_autoptr(GError) message_error = NULL;
      MoonMessage *message = NULL;

      if (JSON_NODE_HOLDS_OBJECT (node))
        message = moon_message_new_from_json (json_node_get_object (node), &message_error);

      if (message == NULL)
        {
          if (problem == NULL)
            {
              if (message_error != NULL)
                problem = g_steal_pointer (&message_error);
              else
                add_problem (&problem, "messages");
            }
          continue;
        }

      g_ptr_array_add (self->messages, message);
      connect_message (self, message);
    }

  self->extra = json_object_new ();
  moon_json_copy_unknown (root, self->extra, known_top);

  /* Without the flag (a hand-made file), a title that is not the derived
   * one counts as chosen by the user. */
  if (title != NULL && *title != '\0')
    {
      g_autofree char *derived = derive_title (self);

      g_set_str (&self->title, title);
      self->title_is_custom = has_custom_flag ? !!title_is_custom : !g_str_equal (derived, title);
    }
  else
    {
      self->title_is_custom = FALSE;
      update_title (self);
    }

  update_busy (self);

  if (problem != NULL)
    self->read_only_reason = g_steal_pointer (&problem);

  return g_steal_pointer (&self);
}

/*
 * _moon_conversation_take_contents:
 * @self: a stub, or a loaded conversation being reloaded
 * @loaded: a conversation just read from the same file (consumed)
 * @keep_title: whether @self's title is newer than the file's
 *
 * Moves messages, settings, summary and unknown members from @loaded into
 * @self, with one items-changed, and marks @self loaded.
 */
void
_moon_conversation_take_contents (MoonConversation *self,
                                  MoonConversation *loaded,
                                  gboolean          keep_title)
{
  guint old_len;
  guint new_len;

  g_assert (MOON_IS_CONVERSATION (self));
  g_assert (MOON_IS_CONVERSATION (loaded));

  g_object_freeze_notify (G_OBJECT (self));

  for (guint i = 0; i < self->messages->len; i++)
    disconnect_message (self, g_ptr_array_index (self->messages, i));
  for (guint i = 0; i < loaded->messages->len; i++)
    {
      disconnect_message (loaded, g_ptr_array_index (loaded->messages, i));
      connect_message (self, g_ptr_array_index (loaded->messages, i));
    }

  old_len = self->messages->len;
  new_len = loaded->messages->len;
  g_ptr_array_unref (self->messages);
  self->messages = g_steal_pointer (&loaded->messages);
  loaded->messages = g_ptr_array_new_with_free_func (g_object_unref);

#define MOVE_STRING(field, prop)                                             \
  if (g_strcmp0 (self->field, loaded->field) != 0)                           \
    {                                                                        \
      g_free (self->field);                                                  \
      self->field = g_steal_pointer (&loaded->field);                        \
      if (prop != PROP_0)                                                    \
        g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);        \
    }
#define MOVE_VALUE(field, prop)                                              \
  if (self->field != loaded->field)                                          \
    {                                                                        \
      self->field = loaded->field;                                           \
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);          \
    }

  MOVE_STRING (model, PROP_MODEL);
  MOVE_STRING (system_prompt, PROP_SYSTEM_PROMPT);
  MOVE_STRING (partial_prefix, PROP_PARTIAL_PREFIX);
  MOVE_STRING (partial_name, PROP_PARTIAL_NAME);
  MOVE_STRING (summary, PROP_SUMMARY);
  MOVE_STRING (summary_first_id, PROP_0);
  MOVE_STRING (summary_last_id, PROP_0);
  MOVE_VALUE (temperature, PROP_TEMPERATURE);
  MOVE_VALUE (max_tokens, PROP_MAX_TOKENS);
  MOVE_VALUE (context_message_limit, PROP_CONTEXT_MESSAGE_LIMIT);
  MOVE_VALUE (context_token_budget, PROP_CONTEXT_TOKEN_BUDGET);
  MOVE_VALUE (thinking, PROP_THINKING);
  MOVE_VALUE (summary_enabled, PROP_SUMMARY_ENABLED);

#undef MOVE_STRING
#undef MOVE_VALUE

  g_clear_pointer (&self->extra, json_object_unref);
  g_clear_pointer (&self->extra_settings, json_object_unref);
  g_clear_pointer (&self->extra_summary, json_object_unref);
  self->extra = g_steal_pointer (&loaded->extra);
  self->extra_settings = g_steal_pointer (&loaded->extra_settings);
  self->extra_summary = g_steal_pointer (&loaded->extra_summary);

  if (!keep_title)
    _moon_conversation_take_header (self, loaded);

  _moon_conversation_set_read_only (self, loaded->read_only_reason);

  if (!self->is_loaded)
    {
      self->is_loaded = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_LOADED]);
    }

  if (old_len != 0 || new_len != 0)
    items_changed (self, 0, old_len, new_len);

  update_busy (self);

  g_object_thaw_notify (G_OBJECT (self));
}

/*
 * _moon_conversation_take_header:
 *
 * Copies title, times and read-only state from @other (read from the same
 * file) without touching messages or the loaded state.
 */
void
_moon_conversation_take_header (MoonConversation *self,
                            MoonConversation *other)
{
  g_assert (MOON_IS_CONVERSATION (self));
  g_assert (MOON_IS_CONVERSATION (other));

  g_object_freeze_notify (G_OBJECT (self));

  if (self->title_is_custom != other->title_is_custom)
    {
      self->title_is_custom = other->title_is_custom;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE_IS_CUSTOM]);
    }
  if (g_set_str (&self->title, other->title))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_TITLE]);
    }
  if (g_date_time_compare (self->created, other->created) != 0)
    {
      g_date_time_unref (self->created);
      self->created = g_date_time_ref (other->created);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CREATED]);
    }
  set_updated (self, other->updated);
  _moon_conversation_set_read_only (self, other->read_only_reason);

  g_object_thaw_notify (G_OBJECT (self));
}
