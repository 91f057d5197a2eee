/* moon-message.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-message"

#include "config.h"

#include <glib/gi18n.h>

#include "moon-history-error.h"
#include "moon-json-util.h"
#include "moon-message-private.h"

/**
 * MoonMessage:
 *
 * One message of a conversation: what the user wrote, or a reply of the model
 * as it streams in.
 *
 * Appending a delta (moon_message_append_content()) is cheap — the text lives
 * in a #GString — and emits exactly one #GObject::notify for
 * #MoonMessage:content. Everything the API or the user can say about a
 * message is a property; fields this version does not know about (read from a
 * file written by a newer Moonchat) are kept and written back unchanged.
 */
struct _MoonMessage
{
  GObject           parent_instance;

  char             *id;
  MoonMessageRole   role;
  GString          *content;
  GString          *reasoning_content;
  char             *name;
  gboolean          partial;
  MoonMessageState  state;
  char             *finish_reason;
  char             *model;
  GDateTime        *created;
  GError           *error;
  MoonUsage        *usage;
  char             *tool_call_id;
  JsonArray        *tool_calls;

  /* Members of the file's object this version does not know. */
  JsonObject       *extra;

  /* Compact JSON of the whole message; dropped on every change. */
  GBytes           *serialized;
};

G_DEFINE_FINAL_TYPE (MoonMessage, moon_message, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (MoonMessageRole, moon_message_role,
  G_DEFINE_ENUM_VALUE (MOON_MESSAGE_ROLE_SYSTEM, "system"),
  G_DEFINE_ENUM_VALUE (MOON_MESSAGE_ROLE_USER, "user"),
  G_DEFINE_ENUM_VALUE (MOON_MESSAGE_ROLE_ASSISTANT, "assistant"),
  G_DEFINE_ENUM_VALUE (MOON_MESSAGE_ROLE_TOOL, "tool"))

G_DEFINE_ENUM_TYPE (MoonMessageState, moon_message_state,
  G_DEFINE_ENUM_VALUE (MOON_MESSAGE_STATE_PENDING, "pending"),
  G_DEFINE_ENUM_VALUE (MOON_MESSAGE_STATE_STREAMING, "streaming"),
  G_DEFINE_ENUM_VALUE (MOON_MESSAGE_STATE_DONE, "done"),
  G_DEFINE_ENUM_VALUE (MOON_MESSAGE_STATE_CANCELLED, "cancelled"),
  G_DEFINE_ENUM_VALUE (MOON_MESSAGE_STATE_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (MOON_MESSAGE_STATE_INTERRUPTED, "interrupted"))

enum {
  PROP_0,
  PROP_ID,
  PROP_ROLE,
  PROP_CONTENT,
  PROP_REASONING_CONTENT,
  PROP_NAME,
  PROP_PARTIAL,
  PROP_STATE,
  PROP_FINISH_REASON,
  PROP_MODEL,
  PROP_CREATED,
  PROP_ERROR,
  PROP_USAGE,
  PROP_TOOL_CALL_ID,
  PROP_TOOL_CALLS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Every member name this version reads; anything else is kept in ->extra. */
static const char * const known_members[] = {
  "id", "role", "content", "reasoning_content", "name", "partial", "state",
  "finish_reason", "model", "created", "error", "usage", "tool_call_id",
  "tool_calls", NULL
};

static const char *
enum_nick (GType type,
           int   value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *ev = g_enum_get_value (klass, value);

  return ev != NULL ? ev->value_nick : NULL;
}

static gboolean
enum_from_nick (GType       type,
                const char *nick,
                int        *out_value)
{
  g_autoptr(GEnumClass) klass = NULL;
  GEnumValue *ev;

  if (nick == NULL)
    return FALSE;

  klass = g_type_class_ref (type);
  ev = g_enum_get_value_by_nick (klass, nick);
  if (ev == NULL)
    return FALSE;

  *out_value = ev->value;
  return TRUE;
}

/**
 * moon_message_role_to_string:
 * @role: a #MoonMessageRole
 *
 * Returns: (transfer none): the role as the API and the file spell it
 */
const char *
moon_message_role_to_string (MoonMessageRole role)
{
  return enum_nick (MOON_TYPE_MESSAGE_ROLE, role);
}

/**
 * moon_message_role_from_string:
 * @str: (nullable): `system`, `user`, `assistant` or `tool`
 * @out_role: (out): the role
 *
 * Returns: %TRUE if @str names a role
 */
gboolean
moon_message_role_from_string (const char      *str,
                               MoonMessageRole *out_role)
{
  int value;

  g_return_val_if_fail (out_role != NULL, FALSE);

  if (!enum_from_nick (MOON_TYPE_MESSAGE_ROLE, str, &value))
    return FALSE;
  *out_role = value;
  return TRUE;
}

/**
 * moon_message_state_to_string:
 * @state: a #MoonMessageState
 *
 * Returns: (transfer none): the state as the file spells it
 */
const char *
moon_message_state_to_string (MoonMessageState state)
{
  return enum_nick (MOON_TYPE_MESSAGE_STATE, state);
}

/**
 * moon_message_state_from_string:
 * @str: (nullable): a state name such as `done`
 * @out_state: (out): the state
 *
 * Returns: %TRUE if @str names a state
 */
gboolean
moon_message_state_from_string (const char       *str,
                                MoonMessageState *out_state)
{
  int value;

  g_return_val_if_fail (out_state != NULL, FALSE);

  if (!enum_from_nick (MOON_TYPE_MESSAGE_STATE, str, &value))
    return FALSE;
  *out_state = value;
  return TRUE;
}

static void
changed (MoonMessage *self,
         GParamSpec  *pspec)
{
  g_assert (MOON_IS_MESSAGE (self));

  g_clear_pointer (&self->serialized, g_bytes_unref);
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

static gboolean
set_string (char       **field,
            const char  *value)
{
  if (value != NULL && *value == '\0')
    value = NULL;
  return g_set_str (field, value);
}

static void
moon_message_finalize (GObject *object)
{
  MoonMessage *self = (MoonMessage *)object;

  g_clear_pointer (&self->id, g_free);
  g_string_free (self->content, TRUE);
  g_string_free (self->reasoning_content, TRUE);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->finish_reason, g_free);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->created, g_date_time_unref);
  g_clear_error (&self->error);
  g_clear_pointer (&self->usage, moon_usage_free);
  g_clear_pointer (&self->tool_call_id, g_free);
  g_clear_pointer (&self->tool_calls, json_array_unref);
  g_clear_pointer (&self->extra, json_object_unref);
  g_clear_pointer (&self->serialized, g_bytes_unref);

  G_OBJECT_CLASS (moon_message_parent_class)->finalize (object);
}

static void
moon_message_constructed (GObject *object)
{
  MoonMessage *self = (MoonMessage *)object;

  G_OBJECT_CLASS (moon_message_parent_class)->constructed (object);

  if (self->id == NULL)
    self->id = g_uuid_string_random ();
  if (self->created == NULL)
    self->created = g_date_time_new_now_utc ();
}

static void
moon_message_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  MoonMessage *self = MOON_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_ROLE:
      g_value_set_enum (value, self->role);
      break;

    case PROP_CONTENT:
      g_value_set_string (value, self->content->str);
      break;

    case PROP_REASONING_CONTENT:
      g_value_set_string (value, self->reasoning_content->str);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_PARTIAL:
      g_value_set_boolean (value, self->partial);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_FINISH_REASON:
      g_value_set_string (value, self->finish_reason);
      break;

    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;

    case PROP_CREATED:
      g_value_set_boxed (value, self->created);
      break;

    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;

    case PROP_USAGE:
      g_value_set_boxed (value, self->usage);
      break;

    case PROP_TOOL_CALL_ID:
      g_value_set_string (value, self->tool_call_id);
      break;

    case PROP_TOOL_CALLS:
      g_value_set_boxed (value, self->tool_calls);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_message_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  MoonMessage *self = MOON_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_assert (self->id == NULL);
      if (g_value_get_string (value) != NULL && *g_value_get_string (value) != '\0')
        self->id = g_value_dup_string (value);
      break;

    case PROP_ROLE:
      self->role = g_value_get_enum (value);
      break;

    case PROP_CONTENT:
      moon_message_set_content (self, g_value_get_string (value));
      break;

    case PROP_REASONING_CONTENT:
      moon_message_set_reasoning_content (self, g_value_get_string (value));
      break;

    case PROP_NAME:
      moon_message_set_name (self, g_value_get_string (value));
      break;

    case PROP_PARTIAL:
      moon_message_set_partial (self, g_value_get_boolean (value));
      break;

    case PROP_STATE:
      moon_message_set_state (self, g_value_get_enum (value));
      break;

    case PROP_FINISH_REASON:
      moon_message_set_finish_reason (self, g_value_get_string (value));
      break;

    case PROP_MODEL:
      moon_message_set_model (self, g_value_get_string (value));
      break;

    case PROP_CREATED:
      moon_message_set_created (self, g_value_get_boxed (value));
      break;

    case PROP_ERROR:
      moon_message_set_error (self, g_value_get_boxed (value));
      break;

    case PROP_USAGE:
      moon_message_set_usage (self, g_value_get_boxed (value));
      break;

    case PROP_TOOL_CALL_ID:
      moon_message_set_tool_call_id (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_message_class_init (MoonMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = moon_message_finalize;
  object_class->constructed = moon_message_constructed;
  object_class->get_property = moon_message_get_property;
  object_class->set_property = moon_message_set_property;

  /**
   * MoonMessage:id:
   *
   * A stable identifier (a random UUID unless one is given at construction).
   */
  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties[PROP_ROLE] =
    g_param_spec_enum ("role", NULL, NULL,
                       MOON_TYPE_MESSAGE_ROLE,
                       MOON_MESSAGE_ROLE_USER,
                       (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonMessage:content:
   *
   * The text. Never %NULL; grows while a reply streams.
   */
  properties[PROP_CONTENT] =
    g_param_spec_string ("content", NULL, NULL,
                         "",
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonMessage:reasoning-content:
   *
   * What a thinking model said before its answer (`reasoning_content`).
   * Never %NULL; empty if there was none.
   */
  properties[PROP_REASONING_CONTENT] =
    g_param_spec_string ("reasoning-content", NULL, NULL,
                         "",
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonMessage:partial:
   *
   * Whether this assistant message is a Partial Mode prefix
   * (`"partial": true` in the request).
   */
  properties[PROP_PARTIAL] =
    g_param_spec_boolean ("partial", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       MOON_TYPE_MESSAGE_STATE,
                       MOON_MESSAGE_STATE_DONE,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_FINISH_REASON] =
    g_param_spec_string ("finish-reason", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_CREATED] =
    g_param_spec_boxed ("created", NULL, NULL,
                        G_TYPE_DATE_TIME,
                        (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonMessage:error:
   *
   * Why the request failed, if it did. Its domain, code and message are
   * saved (the domain as its quark string).
   */
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL,
                        G_TYPE_ERROR,
                        (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_USAGE] =
    g_param_spec_boxed ("usage", NULL, NULL,
                        MOON_TYPE_USAGE,
                        (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonMessage:tool-call-id:
   *
   * For a tool message, the id of the call it answers.
   */
  properties[PROP_TOOL_CALL_ID] =
    g_param_spec_string ("tool-call-id", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonMessage:tool-calls:
   *
   * The tool calls of an assistant message, as a #JsonArray in the API's
   * shape (`[{"id", "type", "function": {"name", "arguments"}}]`), or %NULL.
   */
  properties[PROP_TOOL_CALLS] =
    g_param_spec_boxed ("tool-calls", NULL, NULL,
                        JSON_TYPE_ARRAY,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
moon_message_init (MoonMessage *self)
{
  self->role = MOON_MESSAGE_ROLE_USER;
  self->state = MOON_MESSAGE_STATE_DONE;
  self->content = g_string_new (NULL);
  self->reasoning_content = g_string_new (NULL);
}

/**
 * moon_message_new:
 * @role: who the message is from
 * @content: (nullable): its text
 *
 * Creates a message in the %MOON_MESSAGE_STATE_DONE state with a new id and
 * the current time.
 *
 * Returns: (transfer full): a new #MoonMessage
 */
MoonMessage *
moon_message_new (MoonMessageRole  role,
                  const char      *content)
{
  MoonMessage *self = g_object_new (MOON_TYPE_MESSAGE,
                                    "role", role,
                                    NULL);

  if (content != NULL)
    g_string_assign (self->content, content);

  return self;
}

const char *
moon_message_get_id (MoonMessage *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (self), NULL);

  return self->id;
}

MoonMessageRole
moon_message_get_role (MoonMessage *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (self), MOON_MESSAGE_ROLE_USER);

  return self->role;
}

/**
 * moon_message_get_content:
 * @self: a #MoonMessage
 *
 * Returns: (transfer none): the text, never %NULL. Valid until the message
 *   changes.
 */
const char *
moon_message_get_content (MoonMessage *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (self), NULL);

  return self->content->str;
}

/**
 * moon_message_get_content_length:
 * @self: a #MoonMessage
 *
 * Returns: the length of the content in bytes
 */
gsize
moon_message_get_content_length (MoonMessage *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (self), 0);

  return self->content->len;
}

/* The text fields (content, reasoning) share one way of being set and
 * streamed into: notify only on a real change, once per append. */
static void
assign_text (MoonMessage *self,
             GString     *field,
             const char  *value,
             GParamSpec  *pspec)
{
  if (value == NULL)
    value = "";
  if (g_str_equal (value, field->str))
    return;

  g_string_assign (field, value);
  changed (self, pspec);
}

static void
append_text (MoonMessage *self,
             GString     *field,
             const char  *text,
             gssize       len,
             GParamSpec  *pspec)
{
  if (len < 0)
    len = strlen (text);
  if (len == 0)
    return;

  g_string_append_len (field, text, len);
  changed (self, pspec);
}

void
moon_message_set_content (MoonMessage *self,
                          const char  *content)
{
  g_return_if_fail (MOON_IS_MESSAGE (self));

  assign_text (self, self->content, content, properties[PROP_CONTENT]);
}

/**
 * moon_message_append_content:
 * @self: a #MoonMessage
 * @text: text to append (UTF-8)
 * @len: length of @text in bytes, or -1 if nul-terminated
 *
 * Appends a streamed delta to the content and notifies #MoonMessage:content
 * once.
 */
void
moon_message_append_content (MoonMessage *self,
                             const char  *text,
                             gssize       len)
{
  g_return_if_fail (MOON_IS_MESSAGE (self));
  g_return_if_fail (text != NULL || len == 0);

  append_text (self, self->content, text, len, properties[PROP_CONTENT]);
}

/**
 * moon_message_get_reasoning_content:
 * @self: a #MoonMessage
 *
 * Returns: (transfer none): the reasoning text, never %NULL
 */
const char *
moon_message_get_reasoning_content (MoonMessage *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (self), NULL);

  return self->reasoning_content->str;
}

void
moon_message_set_reasoning_content (MoonMessage *self,
                                    const char  *reasoning_content)
{
  g_return_if_fail (MOON_IS_MESSAGE (self));

  assign_text (self, self->reasoning_content, reasoning_content,
               properties[PROP_REASONING_CONTENT]);
}

/**
 * moon_message_append_reasoning_content:
 * @self: a #MoonMessage
 * @text: text to append (UTF-8)
 * @len: length of @text in bytes, or -1 if nul-terminated
 *
 * Appends a streamed `reasoning_content` delta and notifies
 * #MoonMessage:reasoning-content once.
 */
void
moon_message_append_reasoning_content (MoonMessage *self,
                                       const char  *text,
                                       gssize       len)
{
  g_return_if_fail (MOON_IS_MESSAGE (self));
  g_return_if_fail (text != NULL || len == 0);

  append_text (self, self->reasoning_content, text, len, properties[PROP_REASONING_CONTENT]);
}

const char *
moon_message_get_name (MoonMessage *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (self), NULL);

  return self->name;
}

void
moon_message_set_name (MoonMessage *self,
                       const char  *name)
{
  g_return_if_fail (MOON_IS_MESSAGE (self));

  if (set_string (&self->name, name))
    changed (self, properties[PROP_NAME]);
}

gboolean
moon_message_get_partial (MoonMessage *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (self), FALSE);

  return self->partial;
}

void
moon_message_set_partial (MoonMessage *self,
                          gboolean     partial)
{
  g_return_if_fail (MOON_IS_MESSAGE (self));

  partial = !!partial;
  if (self->partial == partial)
    return;

  self->partial = partial;
  changed (self, properties[PROP_PARTIAL]);
}

MoonMessageState
moon_message_get_state (MoonMessage *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (self), MOON_MESSAGE_STATE_DONE);

  return self->state;
}

void
moon_message_set_state (MoonMessage      *self,
                        MoonMessageState  state)
{
  g_return_if_fail (MOON_IS_MESSAGE (self));
  g_return_if_fail (state <= MOON_MESSAGE_STATE_INTERRUPTED);

  if (self->state == state)
    return;

  self->state = state;
  changed (self, properties[PROP_STATE]);
}

/**
 * moon_message_is_finished:
 * @self: a #MoonMessage
 *
 * Returns: %FALSE while the message is pending or streaming
 */
gboolean
moon_message_is_finished (MoonMessage *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (self), TRUE);

  return self->state != MOON_MESSAGE_STATE_PENDING &&
         self->state != MOON_MESSAGE_STATE_STREAMING;
}

const char *
moon_message_get_finish_reason (MoonMessage *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (self), NULL);

  return self->finish_reason;
}

void
moon_message_set_finish_reason (MoonMessage *self,
                                const char  *finish_reason)
{
  g_return_if_fail (MOON_IS_MESSAGE (self));

  if (set_string (&self->finish_reason, finish_reason))
    changed (self, properties[PROP_FINISH_REASON]);
}

const char *
moon_message_get_model (MoonMessage *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (self), NULL);

  return self->model;
}

void
moon_message_set_model (MoonMessage *self,
                        const char  *model)
{
  g_return_if_fail (MOON_IS_MESSAGE (self));

  if (set_string (&self->model, model))
    changed (self, properties[PROP_MODEL]);
}

/**
 * moon_message_get_created:
 * @self: a #MoonMessage
 *
 * Returns: (transfer none): when the message was created, in UTC
 */
GDateTime *
moon_message_get_created (MoonMessage *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (self), NULL);

  return self->created;
}

void
moon_message_set_created (MoonMessage *self,
                          GDateTime   *created)
{
  g_autoptr(GDateTime) utc = NULL;

  g_return_if_fail (MOON_IS_MESSAGE (self));

  if (created == NULL)
    return;

  utc = g_date_time_to_utc (created);
  if (self->created != NULL && g_date_time_equal (self->created, utc))
    return;

  g_clear_pointer (&self->created, g_date_time_unref);
  self->created = g_steal_pointer (&utc);
  changed (self, properties[PROP_CREATED]);
}

/**
 * moon_message_get_error:
 * @self: a #MoonMessage
 *
 * Returns: (transfer none) (nullable): why the request failed
 */
const GError *
moon_message_get_error (MoonMessage *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (self), NULL);

  return self->error;
}

/**
 * moon_message_set_error:
 * @self: a #MoonMessage
 * @error: (nullable): the failure, copied
 *
 * Records why the request failed. Does not change #MoonMessage:state.
 */
void
moon_message_set_error (MoonMessage  *self,
                        const GError *error)
{
  g_return_if_fail (MOON_IS_MESSAGE (self));

  if (error == NULL && self->error == NULL)
    return;
  if (error != NULL && self->error != NULL &&
      error->domain == self->error->domain &&
      error->code == self->error->code &&
      g_strcmp0 (error->message, self->error->message) == 0)
    return;

  g_clear_error (&self->error);
  if (error != NULL)
    {
      self->error = g_error_copy (error);
      /* The error is saved with the message: a history file must stay valid
       * UTF-8 whatever a library put into the text. */
      if (!g_utf8_validate (self->error->message, -1, NULL))
        {
          char *valid = g_utf8_make_valid (self->error->message, -1);

          g_free (self->error->message);
          self->error->message = valid;
        }
    }
  changed (self, properties[PROP_ERROR]);
}

/**
 * moon_message_get_usage:
 * @self: a #MoonMessage
 *
 * Returns: (transfer none) (nullable): the token usage of the reply, or %NULL
 *   if the server has not reported any
 */
const MoonUsage *
moon_message_get_usage (MoonMessage *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (self), NULL);

  return self->usage;
}

/**
 * moon_message_set_usage:
 * @self: a #MoonMessage
 * @usage: (nullable): the usage, copied
 */
void
moon_message_set_usage (MoonMessage     *self,
                        const MoonUsage *usage)
{
  g_return_if_fail (MOON_IS_MESSAGE (self));

  if (usage == NULL && self->usage == NULL)
    return;
  if (usage != NULL && self->usage != NULL && memcmp (usage, self->usage, sizeof *usage) == 0)
    return;

  g_clear_pointer (&self->usage, moon_usage_free);
  if (usage != NULL)
    self->usage = moon_usage_copy (usage);
  changed (self, properties[PROP_USAGE]);
}

const char *
moon_message_get_tool_call_id (MoonMessage *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (self), NULL);

  return self->tool_call_id;
}

void
moon_message_set_tool_call_id (MoonMessage *self,
                               const char  *tool_call_id)
{
  g_return_if_fail (MOON_IS_MESSAGE (self));

  if (set_string (&self->tool_call_id, tool_call_id))
    changed (self, properties[PROP_TOOL_CALL_ID]);
}

/**
 * moon_message_get_tool_calls:
 * @self: a #MoonMessage
 *
 * Returns: (transfer none) (nullable): the tool calls in the API's shape, or
 *   %NULL if there are none. Do not modify it.
 */
JsonArray *
moon_message_get_tool_calls (MoonMessage *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE (self), NULL);

  return self->tool_calls;
}

static JsonObject *
ensure_object_member (JsonObject *object,
                      const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      json_object_set_object_member (object, member, json_object_new ());
      node = json_object_get_member (object, member);
    }

  return json_node_get_object (node);
}

/**
 * moon_message_append_tool_call_delta:
 * @self: a #MoonMessage
 * @index: the `index` of the tool call in the stream
 * @id: (nullable): the call's id, if this delta carries it
 * @type: (nullable): the call's type (`function`), if this delta carries it
 * @function_name: (nullable): the function name, if this delta carries it
 * @arguments_fragment: (nullable): more of the JSON arguments text
 *
 * Merges one streamed `tool_calls` delta into #MoonMessage:tool-calls: the
 * call at @index gets the id, type and name when given, and the arguments
 * fragment appended. Notifies #MoonMessage:tool-calls once.
 */
void
moon_message_append_tool_call_delta (MoonMessage *self,
                                     guint        index,
                                     const char  *id,
                                     const char  *type,
                                     const char  *function_name,
                                     const char  *arguments_fragment)
{
  JsonObject *call;
  JsonObject *function;

  g_return_if_fail (MOON_IS_MESSAGE (self));
  g_return_if_fail (index < 1024);

  if (self->tool_calls == NULL)
    self->tool_calls = json_array_new ();

  while (json_array_get_length (self->tool_calls) <= index)
    {
      JsonObject *empty = json_object_new ();

      json_object_set_string_member (empty, "id", "");
      json_object_set_string_member (empty, "type", "function");
      json_object_set_object_member (empty, "function", json_object_new ());
      json_array_add_object_element (self->tool_calls, empty);
    }

  call = json_array_get_object_element (self->tool_calls, index);
  function = ensure_object_member (call, "function");

  if (id != NULL && *id != '\0')
    json_object_set_string_member (call, "id", id);
  if (type != NULL && *type != '\0')
    json_object_set_string_member (call, "type", type);
  if (function_name != NULL && *function_name != '\0')
    json_object_set_string_member (function, "name", function_name);
  if (!json_object_has_member (function, "name"))
    json_object_set_string_member (function, "name", "");

  {
    const char *old = NULL;

    moon_json_get_string (function, "arguments", &old);
    if (arguments_fragment != NULL && *arguments_fragment != '\0')
      {
        g_autofree char *joined = g_strconcat (old ? old : "", arguments_fragment, NULL);

        json_object_set_string_member (function, "arguments", joined);
      }
    else if (old == NULL)
      json_object_set_string_member (function, "arguments", "");
  }

  changed (self, properties[PROP_TOOL_CALLS]);
}

/**
 * moon_message_to_json:
 * @self: a #MoonMessage
 *
 * Serializes the message in the history file's shape (see
 * docs/file-format.md), including any unknown members it was loaded with.
 *
 * Returns: (transfer full): a JSON object node
 */
JsonNode *
moon_message_to_json (MoonMessage *self)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autofree char *created = NULL;

  g_return_val_if_fail (MOON_IS_MESSAGE (self), NULL);

  json_object_set_string_member (object, "id", self->id);
  json_object_set_string_member (object, "role", moon_message_role_to_string (self->role));
  json_object_set_string_member (object, "content", self->content->str);
  if (self->reasoning_content->len > 0)
    json_object_set_string_member (object, "reasoning_content", self->reasoning_content->str);
  if (self->name != NULL)
    json_object_set_string_member (object, "name", self->name);
  if (self->partial)
    json_object_set_boolean_member (object, "partial", TRUE);
  json_object_set_string_member (object, "state", moon_message_state_to_string (self->state));
  if (self->finish_reason != NULL)
    json_object_set_string_member (object, "finish_reason", self->finish_reason);
  if (self->model != NULL)
    json_object_set_string_member (object, "model", self->model);

  created = moon_date_time_to_rfc3339 (self->created);
  json_object_set_string_member (object, "created", created);

  if (self->usage != NULL)
    json_object_set_member (object, "usage", moon_usage_to_json (self->usage));

  if (self->error != NULL)
    {
      JsonObject *error = json_object_new ();

      json_object_set_string_member (error, "domain", g_quark_to_string (self->error->domain));
      json_object_set_int_member (error, "code", self->error->code);
      json_object_set_string_member (error, "message", self->error->message);
      json_object_set_object_member (object, "error", error);
    }

  if (self->tool_call_id != NULL)
    json_object_set_string_member (object, "tool_call_id", self->tool_call_id);

  if (self->tool_calls != NULL && json_array_get_length (self->tool_calls) > 0)
    {
      g_autoptr(JsonNode) tmp = json_node_init_array (json_node_alloc (), self->tool_calls);

      /* Deep copy, so the caller may change the result freely. */
      json_object_set_member (object, "tool_calls", moon_json_node_deep_copy (tmp));
    }

  moon_json_append_members (object, self->extra);

  return json_node_init_object (json_node_alloc (), object);
}

static gboolean
invalid (GError     **error,
         const char  *member)
{
  g_set_error (error, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_INVALID,
               _("The message field “%s” is not valid"), member);
  return FALSE;
}

static gboolean
read_optional_string (JsonObject  *object,
                      const char  *member,
                      const char **out_value,
                      GError     **error)
{
  if (moon_json_get_string (object, member, out_value) == MOON_JSON_FIELD_WRONG_TYPE)
    return invalid (error, member);
  return TRUE;
}

/**
 * moon_message_new_from_json:
 * @object: a message object from a history file
 * @error: return location for a #GError
 *
 * Reads a message written by moon_message_to_json() (or by hand, or by a
 * newer Moonchat). Members this version does not know are kept and written
 * back by moon_message_to_json(). A message that was pending or streaming
 * when it was saved comes back as %MOON_MESSAGE_STATE_INTERRUPTED.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error set
 *   (%MOON_HISTORY_ERROR_INVALID) if a field has the wrong type or the role
 *   is unknown
 */
MoonMessage *
moon_message_new_from_json (JsonObject  *object,
                            GError     **error)
{
  g_autoptr(MoonMessage) self = NULL;
  const char *id = NULL;
  const char *role_str = NULL;
  const char *content = NULL;
  const char *reasoning = NULL;
  const char *name = NULL;
  const char *state_str = NULL;
  const char *finish_reason = NULL;
  const char *model = NULL;
  const char *created_str = NULL;
  const char *tool_call_id = NULL;
  gboolean partial = FALSE;
  MoonMessageRole role;
  MoonMessageState state = MOON_MESSAGE_STATE_DONE;
  JsonObject *sub = NULL;
  JsonNode *node;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (moon_json_get_string (object, "role", &role_str) != MOON_JSON_FIELD_OK)
    return invalid (error, "role"), NULL;
  if (!moon_message_role_from_string (role_str, &role))
    {
      g_set_error (error, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_INVALID,
                   _("Unknown message role “%s”"), role_str);
      return NULL;
    }

  if (!read_optional_string (object, "id", &id, error) ||
      !read_optional_string (object, "content", &content, error) ||
      !read_optional_string (object, "reasoning_content", &reasoning, error) ||
      !read_optional_string (object, "name", &name, error) ||
      !read_optional_string (object, "state", &state_str, error) ||
      !read_optional_string (object, "finish_reason", &finish_reason, error) ||
      !read_optional_string (object, "model", &model, error) ||
      !read_optional_string (object, "created", &created_str, error) ||
      !read_optional_string (object, "tool_call_id", &tool_call_id, error))
    return NULL;

  if (moon_json_get_boolean (object, "partial", &partial) == MOON_JSON_FIELD_WRONG_TYPE)
    return invalid (error, "partial"), NULL;

  if (state_str != NULL && !moon_message_state_from_string (state_str, &state))
    return invalid (error, "state"), NULL;
  /* The app stopped while this reply was arriving: keep what was saved. */
  if (state == MOON_MESSAGE_STATE_PENDING || state == MOON_MESSAGE_STATE_STREAMING)
    state = MOON_MESSAGE_STATE_INTERRUPTED;

  self = g_object_new (MOON_TYPE_MESSAGE,
                       "id", id,
                       "role", role,
                       NULL);

  g_string_assign (self->content, content ? content : "");
  g_string_assign (self->reasoning_content, reasoning ? reasoning : "");
  set_string (&self->name, name);
  self->partial = partial;
  self->state = state;
  set_string (&self->finish_reason, finish_reason);
  set_string (&self->model, model);
  set_string (&self->tool_call_id, tool_call_id);

  if (created_str != NULL)
    {
      GDateTime *created = moon_date_time_from_rfc3339 (created_str);

      if (created == NULL)
        return invalid (error, "created"), NULL;
      g_clear_pointer (&self->created, g_date_time_unref);
      self->created = created;
    }

  switch (moon_json_get_object (object, "usage", &sub))
    {
    case MOON_JSON_FIELD_OK:
      {
        MoonUsage usage;

        moon_usage_from_json (sub, &usage);
        self->usage = moon_usage_copy (&usage);
      }
      break;
    case MOON_JSON_FIELD_WRONG_TYPE:
      return invalid (error, "usage"), NULL;
    case MOON_JSON_FIELD_MISSING:
    default:
      break;
    }

  switch (moon_json_get_object (object, "error", &sub))
    {
    case MOON_JSON_FIELD_OK:
      {
        const char *domain = NULL;
        const char *message = NULL;
        gint64 code = 0;

        if (moon_json_get_string (sub, "domain", &domain) == MOON_JSON_FIELD_WRONG_TYPE ||
            moon_json_get_string (sub, "message", &message) == MOON_JSON_FIELD_WRONG_TYPE ||
            moon_json_get_int (sub, "code", &code) == MOON_JSON_FIELD_WRONG_TYPE ||
            code < G_MININT || code > G_MAXINT)
          return invalid (error, "error"), NULL;

        self->error = g_error_new_literal (g_quark_from_string (domain ? domain : "moon-unknown-error"),
                                           (int) code,
                                           message ? message : "");
      }
      break;
    case MOON_JSON_FIELD_WRONG_TYPE:
      return invalid (error, "error"), NULL;
    case MOON_JSON_FIELD_MISSING:
    default:
      break;
    }

  node = json_object_get_member (object, "tool_calls");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      g_autoptr(JsonNode) copy = NULL;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        return invalid (error, "tool_calls"), NULL;

      copy = moon_json_node_deep_copy (node);
      if (json_array_get_length (json_node_get_array (copy)) > 0)
        self->tool_calls = json_node_dup_array (copy);
    }

  self->extra = json_object_new ();
  moon_json_copy_unknown (object, self->extra, known_members);

  return g_steal_pointer (&self);
}

GBytes *
_moon_message_dup_serialized (MoonMessage *self)
{
  g_assert (MOON_IS_MESSAGE (self));

  if (self->serialized == NULL)
    {
      g_autoptr(JsonNode) node = moon_message_to_json (self);
      gsize len = 0;
      char *text = json_to_string (node, FALSE);

      len = strlen (text);
      self->serialized = g_bytes_new_take (text, len);
    }

  return g_bytes_ref (self->serialized);
}
