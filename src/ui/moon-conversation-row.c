/* moon-conversation-row.c — one conversation in the sidebar
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-conversation-row"

#include "config.h"

#include <glib/gi18n.h>

#include "moon-conversation-row.h"
#include "moon-format.h"
#include "moon-ui-util.h"

struct _MoonConversationRow
{
  GtkWidget         parent_instance;

  MoonConversation *conversation;
  GBindingGroup    *bindings;
  GSignalGroup     *signals;

  /* Template widgets */
  GtkLabel         *title_label;
  GtkSpinner       *busy_spinner;
  GtkLabel         *time_label;
  GMenuModel       *row_menu;

  /* Made on first use: the list view keeps some 200 rows alive, and a
   * popover menu for each of them made start-up slower by a third. */
  GtkPopover       *menu;
};

G_DEFINE_FINAL_TYPE (MoonConversationRow, moon_conversation_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONVERSATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Relative times ("5 min") age: every row on screen is refreshed once a
 * minute by one shared timer. */
static GPtrArray *mapped_rows;
static guint clock_source;

static void
update_time (MoonConversationRow *self)
{
  g_autofree char *text = NULL;
  GDateTime *updated;

  if (self->conversation == NULL)
    return;

  updated = moon_conversation_get_updated (self->conversation);
  if (updated != NULL)
    text = moon_format_relative_time (updated, NULL);

  gtk_label_set_label (self->time_label, text);
}

static gboolean
clock_cb (gpointer data)
{
  for (guint i = 0; i < mapped_rows->len; i++)
    update_time (g_ptr_array_index (mapped_rows, i));

  return G_SOURCE_CONTINUE;
}

static void
update_busy (MoonConversationRow *self)
{
  gboolean busy = self->conversation != NULL && moon_conversation_get_is_busy (self->conversation);

  gtk_widget_set_visible (GTK_WIDGET (self->busy_spinner), busy);
  gtk_spinner_set_spinning (self->busy_spinner, busy);
}

static void
update_title_tooltip (MoonConversationRow *self)
{
  g_autofree char *title = NULL;

  /* The whole title, for one that is ellipsized. Set on demand: the list
   * keeps ~200 rows, and gtk_widget_set_tooltip_text() costs two X round
   * trips each. */
  if (self->conversation != NULL)
    title = moon_conversation_dup_display_title (self->conversation);
  moon_widget_set_tooltip_on_demand (GTK_WIDGET (self->title_label), title);
}

static void
row_action_cb (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  MoonConversationRow *self = MOON_CONVERSATION_ROW (widget);

  if (self->conversation == NULL)
    return;

  if (g_str_equal (action_name, "conversation.rename"))
    gtk_widget_activate_action (widget, "win.rename-conversation", "s",
                                moon_conversation_get_id (self->conversation));
  else if (g_str_equal (action_name, "conversation.delete"))
    gtk_widget_activate_action (widget, "win.delete-conversation", "s",
                                moon_conversation_get_id (self->conversation));
}

static void
show_menu (MoonConversationRow *self,
           double               x,
           double               y)
{
  GdkRectangle rect = { (int) x, (int) y, 1, 1 };

  if (self->menu == NULL)
    {
      self->menu = GTK_POPOVER (gtk_popover_menu_new_from_model (self->row_menu));
      gtk_popover_set_has_arrow (self->menu, FALSE);
      gtk_widget_set_halign (GTK_WIDGET (self->menu), GTK_ALIGN_START);
      gtk_widget_set_parent (GTK_WIDGET (self->menu), GTK_WIDGET (self));
    }

  if (x >= 0)
    gtk_popover_set_pointing_to (self->menu, &rect);
  else
    gtk_popover_set_pointing_to (self->menu, NULL);

  gtk_popover_popup (self->menu);
}

static void
click_pressed_cb (MoonConversationRow *self,
                  int                  n_press,
                  double               x,
                  double               y,
                  GtkGestureClick     *gesture)
{
  show_menu (self, x, y);
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

static void
long_pressed_cb (MoonConversationRow *self,
                 double               x,
                 double               y,
                 GtkGestureLongPress *gesture)
{
  show_menu (self, x, y);
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

static void
menu_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  show_menu (MOON_CONVERSATION_ROW (widget), -1, -1);
}

static void
moon_conversation_row_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (moon_conversation_row_parent_class)->map (widget);

  if (mapped_rows == NULL)
    mapped_rows = g_ptr_array_new ();
  g_ptr_array_add (mapped_rows, widget);
  if (clock_source == 0)
    clock_source = g_timeout_add_seconds (60, clock_cb, NULL);

  update_time (MOON_CONVERSATION_ROW (widget));
}

static void
moon_conversation_row_unmap (GtkWidget *widget)
{
  g_ptr_array_remove_fast (mapped_rows, widget);
  if (mapped_rows->len == 0)
    g_clear_handle_id (&clock_source, g_source_remove);

  GTK_WIDGET_CLASS (moon_conversation_row_parent_class)->unmap (widget);
}

static void
moon_conversation_row_measure (GtkWidget      *widget,
                               GtkOrientation  orientation,
                               int             for_size,
                               int            *minimum,
                               int            *natural,
                               int            *minimum_baseline,
                               int            *natural_baseline)
{
  gtk_widget_measure (gtk_widget_get_first_child (widget), orientation, for_size,
                      minimum, natural, minimum_baseline, natural_baseline);
}

static void
moon_conversation_row_size_allocate (GtkWidget *widget,
                                     int        width,
                                     int        height,
                                     int        baseline)
{
  MoonConversationRow *self = MOON_CONVERSATION_ROW (widget);

  gtk_widget_allocate (gtk_widget_get_first_child (widget), width, height, baseline, NULL);
  if (self->menu != NULL)
    gtk_popover_present (self->menu);
}

static void
moon_conversation_row_dispose (GObject *object)
{
  MoonConversationRow *self = MOON_CONVERSATION_ROW (object);

  moon_conversation_row_set_conversation (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), MOON_TYPE_CONVERSATION_ROW);
  /* The template's root is not a bound child: unparent it too. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self));
       child != NULL;
       child = gtk_widget_get_first_child (GTK_WIDGET (self)))
    gtk_widget_unparent (child);
  self->menu = NULL;
  g_clear_object (&self->bindings);
  g_clear_object (&self->signals);

  G_OBJECT_CLASS (moon_conversation_row_parent_class)->dispose (object);
}

static void
moon_conversation_row_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  MoonConversationRow *self = MOON_CONVERSATION_ROW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_conversation_row_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  MoonConversationRow *self = MOON_CONVERSATION_ROW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      moon_conversation_row_set_conversation (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_conversation_row_class_init (MoonConversationRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = moon_conversation_row_dispose;
  object_class->get_property = moon_conversation_row_get_property;
  object_class->set_property = moon_conversation_row_set_property;

  widget_class->map = moon_conversation_row_map;
  widget_class->unmap = moon_conversation_row_unmap;
  widget_class->measure = moon_conversation_row_measure;
  widget_class->size_allocate = moon_conversation_row_size_allocate;

  /**
   * MoonConversationRow:conversation:
   *
   * The conversation shown.
   */
  properties[PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL,
                         MOON_TYPE_CONVERSATION,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "conversationrow");
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/moon-conversation-row.ui");
  gtk_widget_class_bind_template_child (widget_class, MoonConversationRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, MoonConversationRow, busy_spinner);
  gtk_widget_class_bind_template_child (widget_class, MoonConversationRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, MoonConversationRow, row_menu);

  gtk_widget_class_install_action (widget_class, "conversation.rename", NULL, row_action_cb);
  gtk_widget_class_install_action (widget_class, "conversation.delete", NULL, row_action_cb);
  gtk_widget_class_install_action (widget_class, "conversation.menu", NULL, menu_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK, "conversation.menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Menu, 0, "conversation.menu", NULL);
}

static void
moon_conversation_row_init (MoonConversationRow *self)
{
  GtkGesture *gesture;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->bindings = g_binding_group_new ();
  g_binding_group_bind (self->bindings, "display-title", self->title_label, "label",
                        G_BINDING_SYNC_CREATE);

  self->signals = g_signal_group_new (MOON_TYPE_CONVERSATION);
  g_signal_group_connect_object (self->signals, "notify::updated", G_CALLBACK (update_time),
                                 self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->signals, "notify::is-busy", G_CALLBACK (update_busy),
                                 self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->signals, "notify::display-title", G_CALLBACK (update_title_tooltip),
                                 self, G_CONNECT_SWAPPED);

  gesture = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_SECONDARY);
  g_signal_connect_object (gesture, "pressed", G_CALLBACK (click_pressed_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_long_press_new ();
  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (gesture), TRUE);
  g_signal_connect_object (gesture, "pressed", G_CALLBACK (long_pressed_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));
}

/**
 * moon_conversation_row_new:
 *
 * Returns: (transfer floating): a row showing no conversation yet
 */
GtkWidget *
moon_conversation_row_new (void)
{
  return g_object_new (MOON_TYPE_CONVERSATION_ROW, NULL);
}

/**
 * moon_conversation_row_get_conversation:
 * @self: a #MoonConversationRow
 *
 * Returns: (transfer none) (nullable): the conversation shown
 */
MoonConversation *
moon_conversation_row_get_conversation (MoonConversationRow *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION_ROW (self), NULL);

  return self->conversation;
}

/**
 * moon_conversation_row_set_conversation:
 * @self: a #MoonConversationRow
 * @conversation: (nullable): what to show
 *
 * Shows the title, when it was last active and whether a reply is arriving.
 */
void
moon_conversation_row_set_conversation (MoonConversationRow *self,
                                        MoonConversation    *conversation)
{
  g_return_if_fail (MOON_IS_CONVERSATION_ROW (self));
  g_return_if_fail (conversation == NULL || MOON_IS_CONVERSATION (conversation));

  if (!g_set_object (&self->conversation, conversation))
    return;

  if (self->bindings != NULL)
    g_binding_group_set_source (self->bindings, conversation);
  if (self->signals != NULL)
    g_signal_group_set_target (self->signals, conversation);

  update_time (self);
  update_busy (self);
  update_title_tooltip (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION]);
}
