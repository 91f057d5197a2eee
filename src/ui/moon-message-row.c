/* moon-message-row.c — one message of the chat view
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-message-row"

#include "config.h"

#include <glib/gi18n.h>

#include "moon-chat-session.h"
#include "moon-format.h"
#include "moon-markdown-view.h"
#include "moon-message-row.h"
#include "moon-ui-util.h"

/* A row is recycled by the list view: moon_message_row_set_message() swaps
 * the message it observes. The message notifies on every streamed delta;
 * the row only marks what changed and renders once in the next frame. */

typedef enum
{
  DIRTY_CONTENT   = 1 << 0,
  DIRTY_REASONING = 1 << 1,
  DIRTY_STATE     = 1 << 2,
  DIRTY_ALL       = DIRTY_CONTENT | DIRTY_REASONING | DIRTY_STATE,
} Dirty;

struct _MoonMessageRow
{
  GtkWidget    parent_instance;

  MoonMessage *message;
  gulong       notify_handler;
  guint        tick_id;
  Dirty        dirty;
  guint        n_renders;
  gboolean     thinking_live;

  /* Template widgets */
  GtkWidget   *box;
  GtkWidget   *author_box;
  GtkImage    *author_icon;
  GtkLabel    *author_label;
  GtkExpander *thinking_expander;
  GtkSpinner  *thinking_spinner;
  GtkLabel    *thinking_title;
  GtkLabel    *reasoning_label;
  GtkSpinner  *typing_spinner;
  GtkWidget   *bubble_line;
  GtkWidget   *bubble;
  GtkLabel    *content_label;
  MoonMarkdownView *markdown_view;
  GtkWidget   *error_box;
  GtkLabel    *error_label;
  GtkWidget   *footer;
  GtkLabel    *footer_label;
  GtkWidget   *actions;
  GtkWidget   *continue_button;
  GtkWidget   *copy_button;
  GtkWidget   *edit_button;
  GtkWidget   *regenerate_button;
  GtkWidget   *delete_button;
};

G_DEFINE_FINAL_TYPE (MoonMessageRow, moon_message_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GQuark duration_quark;

/**
 * moon_message_note_duration:
 * @message: a reply
 * @microseconds: how long it took, from the request to the last byte
 *
 * Remembers how long a reply took for this run of the app, so the row's
 * footer can show it. (History files do not record it.)
 */
void
moon_message_note_duration (MoonMessage *message,
                            gint64       microseconds)
{
  gint64 *value;

  g_return_if_fail (MOON_IS_MESSAGE (message));

  value = g_new (gint64, 1);
  *value = microseconds;
  g_object_set_qdata_full (G_OBJECT (message), duration_quark, value, g_free);
  /* A row showing the message hears about it through the state change that
   * comes with the end of the reply; nothing to notify here. */
}

/**
 * moon_message_get_noted_duration:
 * @message: a reply
 *
 * Returns: the duration noted with moon_message_note_duration(), or -1
 */
gint64
moon_message_get_noted_duration (MoonMessage *message)
{
  gint64 *value;

  g_return_val_if_fail (MOON_IS_MESSAGE (message), -1);

  value = g_object_get_qdata (G_OBJECT (message), duration_quark);
  return value ? *value : -1;
}

static void
set_css_class (GtkWidget  *widget,
               const char *css_class,
               gboolean    enabled)
{
  if (enabled)
    gtk_widget_add_css_class (widget, css_class);
  else
    gtk_widget_remove_css_class (widget, css_class);
}

static char *
dup_footer_text (MoonMessageRow *self)
{
  MoonMessage *message = self->message;
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  MoonMessageState state = moon_message_get_state (message);
  const char *finish_reason = moon_message_get_finish_reason (message);
  const MoonUsage *usage = moon_message_get_usage (message);
  const char *model = moon_message_get_model (message);
  gint64 duration;

  if (moon_message_get_role (message) != MOON_MESSAGE_ROLE_ASSISTANT)
    return NULL;

  if (model != NULL && model[0] != '\0')
    g_ptr_array_add (parts, g_strdup (model));

  switch (state)
    {
    case MOON_MESSAGE_STATE_PENDING:
      g_ptr_array_add (parts, g_strdup (_("Waiting…")));
      break;

    case MOON_MESSAGE_STATE_STREAMING:
      g_ptr_array_add (parts, g_strdup (_("Writing…")));
      break;

    case MOON_MESSAGE_STATE_CANCELLED:
      g_ptr_array_add (parts, g_strdup (_("Stopped")));
      break;

    case MOON_MESSAGE_STATE_INTERRUPTED:
      g_ptr_array_add (parts, g_strdup (_("Interrupted")));
      break;

    case MOON_MESSAGE_STATE_DONE:
      if (g_strcmp0 (finish_reason, "length") == 0)
        g_ptr_array_add (parts, g_strdup (_("Cut off at the length limit")));
      else if (g_strcmp0 (finish_reason, "content_filter") == 0)
        g_ptr_array_add (parts, g_strdup (_("Blocked by the content filter")));
      break;

    case MOON_MESSAGE_STATE_FAILED:
    default:
      break;
    }

  if (usage != NULL)
    g_ptr_array_add (parts, moon_format_usage (usage));

  duration = moon_message_get_noted_duration (message);
  if (duration >= 0 && moon_message_is_finished (message))
    g_ptr_array_add (parts, moon_format_duration (duration));

  if (parts->len == 0)
    return NULL;

  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

static void
render_role (MoonMessageRow *self)
{
  MoonMessageRole role = moon_message_get_role (self->message);
  gboolean user = role == MOON_MESSAGE_ROLE_USER;
  gboolean assistant = role == MOON_MESSAGE_ROLE_ASSISTANT;

  set_css_class (GTK_WIDGET (self), "user", user);
  set_css_class (GTK_WIDGET (self), "assistant", assistant);
  set_css_class (GTK_WIDGET (self), "other", !user && !assistant);

  gtk_widget_set_visible (self->author_box, !user);
  switch (role)
    {
    case MOON_MESSAGE_ROLE_ASSISTANT:
      if (moon_message_get_name (self->message) != NULL)
        gtk_label_set_label (self->author_label, moon_message_get_name (self->message));
      else
        gtk_label_set_label (self->author_label, _("Kimi"));
      gtk_image_set_from_icon_name (self->author_icon, "moon-chat-symbolic");
      break;

    case MOON_MESSAGE_ROLE_SYSTEM:
      gtk_label_set_label (self->author_label, _("System Prompt"));
      gtk_image_set_from_icon_name (self->author_icon, "emblem-system-symbolic");
      break;

    case MOON_MESSAGE_ROLE_TOOL:
      gtk_label_set_label (self->author_label, _("Tool Result"));
      gtk_image_set_from_icon_name (self->author_icon, "applications-engineering-symbolic");
      break;

    case MOON_MESSAGE_ROLE_USER:
    default:
      break;
    }

  /* Replies are Markdown; what the user typed is shown as typed. */
  gtk_widget_set_visible (GTK_WIDGET (self->markdown_view), assistant);
  gtk_widget_set_visible (GTK_WIDGET (self->content_label), !assistant);
  if (assistant)
    gtk_label_set_text (self->content_label, "");
  else
    moon_markdown_view_set_text (self->markdown_view, NULL);

  /* A question's actions sit beside its bubble rather than under it, so a
   * conversation does not drift apart; a reply's footer is below it. */
  if (user && gtk_widget_get_parent (self->footer) != self->bubble_line)
    {
      g_object_ref (self->footer);
      g_object_ref (self->bubble);
      gtk_box_remove (GTK_BOX (self->box), self->footer);
      gtk_box_remove (GTK_BOX (self->box), self->bubble);
      gtk_box_append (GTK_BOX (self->bubble_line), self->footer);
      gtk_box_append (GTK_BOX (self->bubble_line), self->bubble);
      g_object_unref (self->bubble);
      g_object_unref (self->footer);
    }
  else if (!user && gtk_widget_get_parent (self->footer) != self->box)
    {
      g_object_ref (self->footer);
      g_object_ref (self->bubble);
      gtk_box_remove (GTK_BOX (self->bubble_line), self->footer);
      gtk_box_remove (GTK_BOX (self->bubble_line), self->bubble);
      gtk_box_insert_child_after (GTK_BOX (self->box), self->bubble, self->bubble_line);
      gtk_box_insert_child_after (GTK_BOX (self->box), self->footer, self->error_box);
      g_object_unref (self->bubble);
      g_object_unref (self->footer);
    }

  gtk_widget_set_visible (self->bubble_line, user);
  gtk_widget_set_valign (self->footer, user ? GTK_ALIGN_CENTER : GTK_ALIGN_FILL);
  /* Model, usage and Continue read together on the left; the actions go
   * to the right edge. */
  gtk_widget_set_hexpand (self->actions, !user);
  gtk_widget_set_halign (self->actions, user ? GTK_ALIGN_FILL : GTK_ALIGN_END);
  gtk_widget_set_visible (self->edit_button, user);
  gtk_widget_set_visible (self->regenerate_button, assistant);
}

static void
render_state (MoonMessageRow *self)
{
  MoonMessage *message = self->message;
  MoonMessageState state = moon_message_get_state (message);
  gboolean finished = moon_message_is_finished (message);
  gboolean empty = moon_message_get_content_length (message) == 0;
  const char *reasoning = moon_message_get_reasoning_content (message);
  gboolean has_reasoning = reasoning != NULL && reasoning[0] != '\0';
  gboolean waiting = !finished && empty && !has_reasoning;
  const GError *error = moon_message_get_error (message);
  g_autofree char *footer = NULL;
  g_autofree char *tooltip = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->typing_spinner), waiting);
  gtk_spinner_set_spinning (self->typing_spinner, waiting);
  gtk_widget_set_visible (self->bubble, !empty);

  gtk_widget_set_visible (GTK_WIDGET (self->thinking_expander), has_reasoning);
  gtk_widget_set_visible (GTK_WIDGET (self->thinking_spinner), !finished && empty);
  gtk_spinner_set_spinning (self->thinking_spinner, !finished && empty);
  gtk_label_set_label (self->thinking_title,
                       (!finished && empty) ? _("Thinking…") : _("Thought Process"));

  /* Open while the model thinks aloud, closed once the answer starts. A
   * section the user opened or closed by hand is left alone otherwise. */
  {
    gboolean live = has_reasoning && !finished && empty;

    if (live && !self->thinking_live)
      gtk_expander_set_expanded (self->thinking_expander, TRUE);
    else if (!live && self->thinking_live)
      gtk_expander_set_expanded (self->thinking_expander, FALSE);
    self->thinking_live = live;
  }

  gtk_widget_set_visible (self->error_box, state == MOON_MESSAGE_STATE_FAILED);
  if (state == MOON_MESSAGE_STATE_FAILED)
    gtk_label_set_label (self->error_label,
                         error != NULL ? error->message : _("The reply failed"));

  footer = dup_footer_text (self);
  gtk_label_set_label (self->footer_label, footer);
  gtk_widget_set_visible (GTK_WIDGET (self->footer_label), footer != NULL);

  if (moon_message_get_usage (message) != NULL)
    tooltip = moon_format_usage_tooltip (moon_message_get_usage (message));
  moon_widget_set_tooltip_on_demand (GTK_WIDGET (self->footer_label), tooltip);

  gtk_widget_set_visible (self->continue_button, finished && moon_chat_session_can_continue (message));
  gtk_widget_set_sensitive (self->actions, finished);
  set_css_class (GTK_WIDGET (self), "streaming", !finished);
  set_css_class (GTK_WIDGET (self), "failed", state == MOON_MESSAGE_STATE_FAILED);
}

static void
render (MoonMessageRow *self)
{
  Dirty dirty = self->dirty;

  self->dirty = 0;

  if (self->message == NULL)
    return;

  self->n_renders++;

  if (dirty & DIRTY_CONTENT)
    {
      /* The Markdown view re-parses only the unfinished tail. */
      if (moon_message_get_role (self->message) == MOON_MESSAGE_ROLE_ASSISTANT)
        moon_markdown_view_set_text (self->markdown_view, moon_message_get_content (self->message));
      else
        gtk_label_set_text (self->content_label, moon_message_get_content (self->message));
    }

  if (dirty & DIRTY_REASONING)
    {
      const char *reasoning = moon_message_get_reasoning_content (self->message);

      gtk_label_set_text (self->reasoning_label, reasoning ? reasoning : "");
    }

  /* The state depends on whether text has arrived yet, so it follows both. */
  render_state (self);
}

static gboolean
render_tick_cb (GtkWidget     *widget,
                GdkFrameClock *frame_clock,
                gpointer       user_data)
{
  MoonMessageRow *self = MOON_MESSAGE_ROW (widget);

  self->tick_id = 0;
  render (self);

  return G_SOURCE_REMOVE;
}

static void
queue_render (MoonMessageRow *self,
              Dirty           dirty)
{
  self->dirty |= dirty;

  if (self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), render_tick_cb, NULL, NULL);
}

static void
message_notify_cb (MoonMessageRow *self,
                   GParamSpec     *pspec,
                   MoonMessage    *message)
{
  const char *name = pspec->name;

  g_assert (MOON_IS_MESSAGE_ROW (self));

  if (name == g_intern_static_string ("content"))
    queue_render (self, DIRTY_CONTENT);
  else if (name == g_intern_static_string ("reasoning-content"))
    queue_render (self, DIRTY_REASONING);
  else if (name == g_intern_static_string ("role") ||
           name == g_intern_static_string ("name"))
    {
      render_role (self);
      queue_render (self, DIRTY_STATE);
    }
  else
    queue_render (self, DIRTY_STATE);
}

static void
row_action_cb (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  MoonMessageRow *self = MOON_MESSAGE_ROW (widget);
  g_autofree char *chat_action = NULL;

  g_assert (MOON_IS_MESSAGE_ROW (self));
  g_assert (g_str_has_prefix (action_name, "row."));

  if (self->message == NULL)
    return;

  /* The chat view acts on the conversation; the row only says which message. */
  chat_action = g_strconcat ("chat.", action_name + strlen ("row."), NULL);
  gtk_widget_activate_action (widget, chat_action, "s", moon_message_get_id (self->message));
}

static void
moon_message_row_dispose (GObject *object)
{
  MoonMessageRow *self = MOON_MESSAGE_ROW (object);

  moon_message_row_set_message (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), MOON_TYPE_MESSAGE_ROW);
  /* The template's root is not a bound child: unparent it too. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self));
       child != NULL;
       child = gtk_widget_get_first_child (GTK_WIDGET (self)))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (moon_message_row_parent_class)->dispose (object);
}

static void
moon_message_row_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  MoonMessageRow *self = MOON_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      g_value_set_object (value, self->message);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_message_row_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  MoonMessageRow *self = MOON_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      moon_message_row_set_message (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_message_row_class_init (MoonMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = moon_message_row_dispose;
  object_class->get_property = moon_message_row_get_property;
  object_class->set_property = moon_message_row_set_property;

  /**
   * MoonMessageRow:message:
   *
   * The message shown, or %NULL while the row waits to be reused.
   */
  properties[PROP_MESSAGE] =
    g_param_spec_object ("message", NULL, NULL,
                         MOON_TYPE_MESSAGE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  duration_quark = g_quark_from_static_string ("moon-message-duration");

  g_type_ensure (MOON_TYPE_MARKDOWN_VIEW);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "messagerow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_ARTICLE);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/moon-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, box);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, author_box);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, author_icon);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, author_label);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, thinking_expander);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, thinking_spinner);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, thinking_title);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, reasoning_label);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, typing_spinner);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, bubble_line);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, bubble);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, content_label);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, markdown_view);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, error_box);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, error_label);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, footer);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, footer_label);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, actions);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, continue_button);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, copy_button);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, edit_button);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, regenerate_button);
  gtk_widget_class_bind_template_child (widget_class, MoonMessageRow, delete_button);

  gtk_widget_class_install_action (widget_class, "row.copy", NULL, row_action_cb);
  gtk_widget_class_install_action (widget_class, "row.edit", NULL, row_action_cb);
  gtk_widget_class_install_action (widget_class, "row.regenerate", NULL, row_action_cb);
  gtk_widget_class_install_action (widget_class, "row.continue", NULL, row_action_cb);
  gtk_widget_class_install_action (widget_class, "row.delete", NULL, row_action_cb);
  gtk_widget_class_install_action (widget_class, "row.retry", NULL, row_action_cb);
}

static void
moon_message_row_init (MoonMessageRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* Not in the template: see moon_widget_set_tooltip_on_demand(). */
  moon_widget_set_tooltip_on_demand (self->copy_button, _("Copy"));
  moon_widget_set_tooltip_on_demand (self->edit_button, _("Edit and Resend"));
  moon_widget_set_tooltip_on_demand (self->regenerate_button, _("Regenerate"));
  moon_widget_set_tooltip_on_demand (self->delete_button, _("Delete"));
}

/**
 * moon_message_row_new:
 *
 * Returns: (transfer floating): a row showing no message yet
 */
GtkWidget *
moon_message_row_new (void)
{
  return g_object_new (MOON_TYPE_MESSAGE_ROW, NULL);
}

/**
 * moon_message_row_get_message:
 * @self: a #MoonMessageRow
 *
 * Returns: (transfer none) (nullable): the message shown
 */
MoonMessage *
moon_message_row_get_message (MoonMessageRow *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE_ROW (self), NULL);

  return self->message;
}

/**
 * moon_message_row_set_message:
 * @self: a #MoonMessageRow
 * @message: (nullable): the message to show
 *
 * Shows @message at once and follows its changes from now on, redrawing at
 * most once per frame however often it notifies.
 */
void
moon_message_row_set_message (MoonMessageRow *self,
                              MoonMessage    *message)
{
  g_return_if_fail (MOON_IS_MESSAGE_ROW (self));
  g_return_if_fail (message == NULL || MOON_IS_MESSAGE (message));

  if (self->message == message)
    return;

  if (self->message != NULL)
    {
      g_clear_signal_handler (&self->notify_handler, self->message);
      g_clear_object (&self->message);
    }

  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }

  self->dirty = 0;
  self->thinking_live = FALSE;

  if (message != NULL)
    {
      self->message = g_object_ref (message);
      self->notify_handler = g_signal_connect_object (message, "notify",
                                                      G_CALLBACK (message_notify_cb),
                                                      self, G_CONNECT_SWAPPED);

      /* A reused row must be right before it is measured: render now. */
      gtk_expander_set_expanded (self->thinking_expander, FALSE);
      render_role (self);
      self->dirty = DIRTY_ALL;
      render (self);
    }
  else
    {
      gtk_label_set_text (self->content_label, "");
      gtk_label_set_text (self->reasoning_label, "");
      moon_markdown_view_set_text (self->markdown_view, NULL);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
}

/**
 * moon_message_row_get_n_renders:
 * @self: a #MoonMessageRow
 *
 * How often the row redrew its message: once when it was set, then at most
 * once per frame while the message changes. For tests.
 *
 * Returns: the number of renders since the row was created
 */
guint
moon_message_row_get_n_renders (MoonMessageRow *self)
{
  g_return_val_if_fail (MOON_IS_MESSAGE_ROW (self), 0);

  return self->n_renders;
}
