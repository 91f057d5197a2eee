/* moon-composer.c — where the user writes the next message
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-composer"

#include "config.h"

#include <glib/gi18n.h>

#include "moon-composer.h"

struct _MoonComposer
{
  GtkWidget      parent_instance;

  MoonMessage   *editing;
  guint          send_idle_id;
  gboolean       busy;
  gboolean       can_send;
  gboolean       return_sends;
  gboolean       plain_return;

  /* Template widgets */
  GtkRevealer   *edit_revealer;
  GtkWidget     *entry_box;
  GtkScrolledWindow *scroller;
  GtkTextView   *text_view;
  GtkLabel      *placeholder;
  GtkStack      *button_stack;
  GtkWidget     *send_button;
  GtkWidget     *stop_button;
};

G_DEFINE_FINAL_TYPE (MoonComposer, moon_composer, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_BUSY,
  PROP_CAN_SEND,
  PROP_RETURN_SENDS,
  PROP_EDITING,
  N_PROPS
};

enum {
  SEND,
  STOP,
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static gboolean
buffer_is_blank (MoonComposer *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkTextIter iter;

  gtk_text_buffer_get_start_iter (buffer, &iter);
  do
    {
      if (!g_unichar_isspace (gtk_text_iter_get_char (&iter)) && !gtk_text_iter_is_end (&iter))
        return FALSE;
    }
  while (gtk_text_iter_forward_char (&iter));

  return TRUE;
}

static void
update_actions (MoonComposer *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  gboolean empty = gtk_text_buffer_get_char_count (buffer) == 0;

  gtk_widget_set_visible (GTK_WIDGET (self->placeholder), empty);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.send",
                                 self->can_send && !self->busy && !buffer_is_blank (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.stop", self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.cancel-edit", self->editing != NULL);
  gtk_stack_set_visible_child_name (self->button_stack, self->busy ? "stop" : "send");
}

/**
 * moon_composer_send:
 * @self: a #MoonComposer
 *
 * Sends the text as if the user pressed Enter: emits #MoonComposer::send
 * and, if a handler took the text, empties the composer. Blank text, a busy
 * conversation or a composer that may not send do nothing.
 *
 * Returns: %TRUE if the text was taken
 */
gboolean
moon_composer_send (MoonComposer *self)
{
  g_autofree char *text = NULL;
  gboolean taken = FALSE;

  g_return_val_if_fail (MOON_IS_COMPOSER (self), FALSE);

  if (!self->can_send || self->busy || buffer_is_blank (self))
    return FALSE;

  text = moon_composer_dup_text (self);
  g_strstrip (text);

  g_signal_emit (self, signals[SEND], 0, text, &taken);

  /* A refused text (no key, an error) stays for the next try. */
  if (taken)
    {
      moon_composer_set_text (self, "");
      moon_composer_set_editing (self, NULL);
    }

  return taken;
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  moon_composer_send (MOON_COMPOSER (widget));
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  MoonComposer *self = MOON_COMPOSER (widget);

  if (self->busy)
    g_signal_emit (self, signals[STOP], 0);
}

static void
cancel_edit_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  MoonComposer *self = MOON_COMPOSER (widget);

  if (self->editing == NULL)
    return;

  moon_composer_set_editing (self, NULL);
  moon_composer_set_text (self, "");
}

static gboolean
send_idle_cb (gpointer data)
{
  MoonComposer *self = data;

  self->send_idle_id = 0;
  moon_composer_send (self);

  return G_SOURCE_REMOVE;
}

/* Enter is judged after the input method had its say: a key press only
 * marks that a plain Enter is on its way, and the newline it would insert
 * is turned into a send. An input method that takes Enter to commit a
 * candidate inserts no newline, so Chinese input keeps working. */
static gboolean
key_pressed_cb (MoonComposer          *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  GdkModifierType mods = state & gtk_accelerator_get_default_mod_mask ();

  g_assert (MOON_IS_COMPOSER (self));

  self->plain_return = FALSE;

  if (keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter)
    {
      if (mods == GDK_CONTROL_MASK)
        {
          moon_composer_send (self);
          return GDK_EVENT_STOP;
        }

      self->plain_return = self->return_sends && mods == 0;
      return GDK_EVENT_PROPAGATE;
    }

  if (keyval == GDK_KEY_Escape && mods == 0)
    {
      if (self->busy)
        {
          g_signal_emit (self, signals[STOP], 0);
          return GDK_EVENT_STOP;
        }
      if (self->editing != NULL)
        {
          cancel_edit_action (GTK_WIDGET (self), "composer.cancel-edit", NULL);
          return GDK_EVENT_STOP;
        }
    }

  return GDK_EVENT_PROPAGATE;
}

static void
key_released_cb (MoonComposer *self)
{
  self->plain_return = FALSE;
}

static void
buffer_insert_text_cb (MoonComposer  *self,
                       GtkTextIter   *location,
                       const char    *text,
                       int            len,
                       GtkTextBuffer *buffer)
{
  if (!self->plain_return)
    return;

  self->plain_return = FALSE;

  if (!(len == 1 && text[0] == '\n'))
    return;

  g_signal_stop_emission_by_name (buffer, "insert-text");

  /* Not from inside the buffer's signal: the send empties the buffer. */
  if (self->send_idle_id == 0)
    self->send_idle_id = g_idle_add (send_idle_cb, self);
}

static void
buffer_changed_cb (MoonComposer  *self,
                   GtkTextBuffer *buffer)
{
  update_actions (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
moon_composer_dispose (GObject *object)
{
  MoonComposer *self = MOON_COMPOSER (object);

  g_clear_handle_id (&self->send_idle_id, g_source_remove);
  g_clear_object (&self->editing);
  gtk_widget_dispose_template (GTK_WIDGET (self), MOON_TYPE_COMPOSER);
  /* The template's root is not a bound child: unparent it too. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self));
       child != NULL;
       child = gtk_widget_get_first_child (GTK_WIDGET (self)))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (moon_composer_parent_class)->dispose (object);
}

static void
moon_composer_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  MoonComposer *self = MOON_COMPOSER (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;

    case PROP_CAN_SEND:
      g_value_set_boolean (value, self->can_send);
      break;

    case PROP_RETURN_SENDS:
      g_value_set_boolean (value, self->return_sends);
      break;

    case PROP_EDITING:
      g_value_set_object (value, self->editing);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_composer_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  MoonComposer *self = MOON_COMPOSER (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      moon_composer_set_busy (self, g_value_get_boolean (value));
      break;

    case PROP_CAN_SEND:
      moon_composer_set_can_send (self, g_value_get_boolean (value));
      break;

    case PROP_RETURN_SENDS:
      moon_composer_set_return_sends (self, g_value_get_boolean (value));
      break;

    case PROP_EDITING:
      moon_composer_set_editing (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
moon_composer_grab_focus (GtkWidget *widget)
{
  MoonComposer *self = MOON_COMPOSER (widget);

  return gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

static void
moon_composer_class_init (MoonComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = moon_composer_dispose;
  object_class->get_property = moon_composer_get_property;
  object_class->set_property = moon_composer_set_property;

  widget_class->grab_focus = moon_composer_grab_focus;

  /**
   * MoonComposer:busy:
   *
   * Whether the conversation is receiving a reply: the Send button turns
   * into Stop and Escape stops.
   */
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonComposer:can-send:
   *
   * Whether sending is possible at all (there is an API key).
   */
  properties[PROP_CAN_SEND] =
    g_param_spec_boolean ("can-send", NULL, NULL, TRUE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonComposer:return-sends:
   *
   * Whether Enter sends (Shift+Enter starts a new line), or Enter starts a
   * new line and Ctrl+Enter sends.
   */
  properties[PROP_RETURN_SENDS] =
    g_param_spec_boolean ("return-sends", NULL, NULL, TRUE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonComposer:editing:
   *
   * The user message being edited, or %NULL.
   */
  properties[PROP_EDITING] =
    g_param_spec_object ("editing", NULL, NULL, MOON_TYPE_MESSAGE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MoonComposer::send:
   * @self: a #MoonComposer
   * @text: the text, without leading and trailing blanks
   *
   * The user sends @text. A handler that takes it returns %TRUE and the
   * composer empties; otherwise the text stays.
   */
  signals[SEND] =
    g_signal_new ("send",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  g_signal_accumulator_true_handled, NULL,
                  NULL,
                  G_TYPE_BOOLEAN, 1, G_TYPE_STRING);

  /**
   * MoonComposer::stop:
   *
   * The user wants the reply in progress stopped.
   */
  signals[STOP] =
    g_signal_new ("stop",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  /**
   * MoonComposer::changed:
   *
   * The text changed (for drafts).
   */
  signals[CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "composer");

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/moon-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, MoonComposer, edit_revealer);
  gtk_widget_class_bind_template_child (widget_class, MoonComposer, entry_box);
  gtk_widget_class_bind_template_child (widget_class, MoonComposer, scroller);
  gtk_widget_class_bind_template_child (widget_class, MoonComposer, text_view);
  gtk_widget_class_bind_template_child (widget_class, MoonComposer, placeholder);
  gtk_widget_class_bind_template_child (widget_class, MoonComposer, button_stack);
  gtk_widget_class_bind_template_child (widget_class, MoonComposer, send_button);
  gtk_widget_class_bind_template_child (widget_class, MoonComposer, stop_button);

  gtk_widget_class_install_action (widget_class, "composer.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "composer.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "composer.cancel-edit", NULL, cancel_edit_action);
}

static void
moon_composer_init (MoonComposer *self)
{
  GtkEventController *controller;
  GtkTextBuffer *buffer;

  self->can_send = TRUE;
  self->return_sends = TRUE;

  gtk_widget_init_template (GTK_WIDGET (self));

  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_object (controller, "key-pressed", G_CALLBACK (key_pressed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (controller, "key-released", G_CALLBACK (key_released_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->text_view), controller);

  buffer = gtk_text_view_get_buffer (self->text_view);
  g_signal_connect_object (buffer, "insert-text", G_CALLBACK (buffer_insert_text_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (buffer, "changed", G_CALLBACK (buffer_changed_cb),
                           self, G_CONNECT_SWAPPED);

  update_actions (self);
}

/**
 * moon_composer_new:
 *
 * Returns: (transfer floating): a new, empty composer
 */
GtkWidget *
moon_composer_new (void)
{
  return g_object_new (MOON_TYPE_COMPOSER, NULL);
}

/**
 * moon_composer_dup_text:
 * @self: a #MoonComposer
 *
 * Returns: (transfer full): the text as written
 */
char *
moon_composer_dup_text (MoonComposer *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter start, end;

  g_return_val_if_fail (MOON_IS_COMPOSER (self), NULL);

  buffer = gtk_text_view_get_buffer (self->text_view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);

  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/**
 * moon_composer_set_text:
 * @self: a #MoonComposer
 * @text: (nullable): the new text
 *
 * Replaces the text and puts the cursor at its end.
 */
void
moon_composer_set_text (MoonComposer *self,
                        const char   *text)
{
  GtkTextBuffer *buffer;
  GtkTextIter end;

  g_return_if_fail (MOON_IS_COMPOSER (self));

  buffer = gtk_text_view_get_buffer (self->text_view);
  self->plain_return = FALSE;
  gtk_text_buffer_set_text (buffer, text ? text : "", -1);
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_place_cursor (buffer, &end);
}

gboolean
moon_composer_get_busy (MoonComposer *self)
{
  g_return_val_if_fail (MOON_IS_COMPOSER (self), FALSE);

  return self->busy;
}

/**
 * moon_composer_set_busy:
 * @self: a #MoonComposer
 * @busy: whether a reply is arriving
 *
 * See #MoonComposer:busy.
 */
void
moon_composer_set_busy (MoonComposer *self,
                        gboolean      busy)
{
  g_return_if_fail (MOON_IS_COMPOSER (self));

  busy = !!busy;
  if (self->busy == busy)
    return;

  self->busy = busy;
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

gboolean
moon_composer_get_can_send (MoonComposer *self)
{
  g_return_val_if_fail (MOON_IS_COMPOSER (self), FALSE);

  return self->can_send;
}

/**
 * moon_composer_set_can_send:
 * @self: a #MoonComposer
 * @can_send: whether sending is possible
 *
 * Without an API key the composer is disabled and says why.
 */
void
moon_composer_set_can_send (MoonComposer *self,
                            gboolean      can_send)
{
  g_return_if_fail (MOON_IS_COMPOSER (self));

  can_send = !!can_send;
  if (self->can_send == can_send)
    return;

  self->can_send = can_send;
  gtk_widget_set_sensitive (self->entry_box, can_send);
  gtk_label_set_label (self->placeholder,
                       can_send ? _("Message Kimi") : _("Add an API key in Preferences to chat"));
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_SEND]);
}

gboolean
moon_composer_get_return_sends (MoonComposer *self)
{
  g_return_val_if_fail (MOON_IS_COMPOSER (self), FALSE);

  return self->return_sends;
}

/**
 * moon_composer_set_return_sends:
 * @self: a #MoonComposer
 * @return_sends: see #MoonComposer:return-sends
 */
void
moon_composer_set_return_sends (MoonComposer *self,
                                gboolean      return_sends)
{
  g_return_if_fail (MOON_IS_COMPOSER (self));

  return_sends = !!return_sends;
  if (self->return_sends == return_sends)
    return;

  self->return_sends = return_sends;
  gtk_widget_set_tooltip_text (self->send_button,
                               return_sends ? _("Send (Enter)") : _("Send (Ctrl+Enter)"));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETURN_SENDS]);
}

/**
 * moon_composer_get_editing:
 * @self: a #MoonComposer
 *
 * Returns: (transfer none) (nullable): the message being edited
 */
MoonMessage *
moon_composer_get_editing (MoonComposer *self)
{
  g_return_val_if_fail (MOON_IS_COMPOSER (self), NULL);

  return self->editing;
}

/**
 * moon_composer_set_editing:
 * @self: a #MoonComposer
 * @message: (nullable): a user message to edit, or %NULL to stop editing
 *
 * Shows that the next send replaces @message. The caller sets the text.
 */
void
moon_composer_set_editing (MoonComposer *self,
                           MoonMessage  *message)
{
  g_return_if_fail (MOON_IS_COMPOSER (self));
  g_return_if_fail (message == NULL || MOON_IS_MESSAGE (message));

  if (!g_set_object (&self->editing, message))
    return;

  gtk_revealer_set_reveal_child (self->edit_revealer, message != NULL);
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EDITING]);
}

/**
 * moon_composer_get_text_view:
 * @self: a #MoonComposer
 *
 * Returns: (transfer none): the text view, for focus and tests
 */
GtkTextView *
moon_composer_get_text_view (MoonComposer *self)
{
  g_return_val_if_fail (MOON_IS_COMPOSER (self), NULL);

  return self->text_view;
}
