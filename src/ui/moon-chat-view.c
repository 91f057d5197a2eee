/* moon-chat-view.c — the messages of one conversation and the composer
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-chat-view"

#include "config.h"

#include <glib/gi18n.h>

#include "moon-chat-view.h"
#include "moon-message-row.h"

/* How close to the end counts as "at the bottom", in pixels. */
#define BOTTOM_THRESHOLD 32.0

struct _MoonChatView
{
  GtkWidget          parent_instance;

  MoonConversation  *conversation;
  GSignalGroup      *conversation_signals;
  GtkNoSelection    *selection;

  double             last_upper;
  guint              scroll_tick_id;
  gboolean           sticky;
  gboolean           auto_scrolling;

  /* Template widgets */
  GtkStack          *stack;
  GtkSpinner        *loading_spinner;
  AdwStatusPage     *empty_page;
  GtkWidget         *examples_box;
  GtkScrolledWindow *scroller;
  GtkListView       *list_view;
  GtkRevealer       *jump_revealer;
  MoonComposer      *composer;
};

G_DEFINE_FINAL_TYPE (MoonChatView, moon_chat_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONVERSATION,
  PROP_AT_BOTTOM,
  N_PROPS
};

enum {
  MESSAGE_ACTION,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char *example_prompts[] = {
  N_("Explain how a rainbow forms, in three sentences"),
  N_("Write a short poem about the Moon"),
  N_("Plan a relaxed three-day trip to Hangzhou"),
  N_("What is wrong with this C loop? for (i = 0; i <= n; i++) a[i] = 0;"),
};

static GtkAdjustment *
get_vadjustment (MoonChatView *self)
{
  return gtk_scrolled_window_get_vadjustment (self->scroller);
}

static gboolean
adjustment_at_bottom (MoonChatView *self)
{
  GtkAdjustment *adj = get_vadjustment (self);

  return gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj)
         - gtk_adjustment_get_value (adj) <= BOTTOM_THRESHOLD;
}

static void
update_jump_button (MoonChatView *self)
{
  gboolean show_messages = g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "messages") == 0;

  gtk_revealer_set_reveal_child (self->jump_revealer,
                                 show_messages && !self->sticky && !adjustment_at_bottom (self));
}

static void
set_sticky (MoonChatView *self,
            gboolean      sticky)
{
  sticky = !!sticky;
  if (self->sticky != sticky)
    {
      self->sticky = sticky;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AT_BOTTOM]);
    }

  update_jump_button (self);
}

static void
scroll_to_end_now (MoonChatView *self)
{
  GtkAdjustment *adj = get_vadjustment (self);

  self->auto_scrolling = TRUE;
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
  self->last_upper = gtk_adjustment_get_upper (adj);
  self->auto_scrolling = FALSE;
}

static gboolean
scroll_tick_cb (GtkWidget     *widget,
                GdkFrameClock *frame_clock,
                gpointer       user_data)
{
  MoonChatView *self = MOON_CHAT_VIEW (widget);

  self->scroll_tick_id = 0;

  if (self->sticky)
    scroll_to_end_now (self);

  update_jump_button (self);

  return G_SOURCE_REMOVE;
}

static void
queue_scroll_to_end (MoonChatView *self)
{
  if (self->scroll_tick_id == 0)
    self->scroll_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), scroll_tick_cb, NULL, NULL);
}

static void
adjustment_changed_cb (MoonChatView  *self,
                       GtkAdjustment *adj)
{
  /* The content grew (a streamed reply) or the window changed size: follow
   * the end only if the reader was there. */
  if (self->sticky)
    queue_scroll_to_end (self);
  else
    update_jump_button (self);
}

static void
adjustment_value_changed_cb (MoonChatView  *self,
                             GtkAdjustment *adj)
{
  double upper = gtk_adjustment_get_upper (adj);

  if (self->auto_scrolling)
    return;

  if (adjustment_at_bottom (self))
    set_sticky (self, TRUE);
  else if (upper == self->last_upper)
    /* Same content, other place: the reader scrolled away. */
    set_sticky (self, FALSE);
  else if (self->sticky)
    queue_scroll_to_end (self);

  self->last_upper = upper;
  update_jump_button (self);
}

static gboolean
scroll_cb (MoonChatView             *self,
           double                    dx,
           double                    dy,
           GtkEventControllerScroll *controller)
{
  /* Scrolling up while a reply streams must not be undone by the stream. */
  if (dy < 0)
    set_sticky (self, FALSE);

  return GDK_EVENT_PROPAGATE;
}

static void
update_page (MoonChatView *self)
{
  const char *page = "empty";

  if (self->conversation != NULL)
    {
      if (!moon_conversation_get_is_loaded (self->conversation))
        page = "loading";
      else if (g_list_model_get_n_items (G_LIST_MODEL (self->conversation)) > 0)
        page = "messages";
    }

  gtk_spinner_set_spinning (self->loading_spinner, g_str_equal (page, "loading"));
  gtk_stack_set_visible_child_name (self->stack, page);
  update_jump_button (self);
}

static void
conversation_items_changed_cb (MoonChatView *self,
                               guint         position,
                               guint         removed,
                               guint         added,
                               GListModel   *model)
{
  update_page (self);

  if (self->sticky)
    queue_scroll_to_end (self);
}

static void
conversation_notify_loaded_cb (MoonChatView *self)
{
  update_page (self);
  set_sticky (self, TRUE);
  queue_scroll_to_end (self);
}

static MoonMessage *
find_message (MoonChatView *self,
              GVariant     *parameter)
{
  const char *id = g_variant_get_string (parameter, NULL);

  if (self->conversation == NULL)
    return NULL;

  return moon_conversation_find_message (self->conversation, id, NULL);
}

static void
message_action_cb (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  MoonChatView *self = MOON_CHAT_VIEW (widget);
  MoonMessage *message = find_message (self, parameter);

  g_assert (g_str_has_prefix (action_name, "chat."));

  if (message == NULL)
    return;

  g_signal_emit (self, signals[MESSAGE_ACTION],
                 g_quark_from_string (action_name + strlen ("chat.")),
                 action_name + strlen ("chat."), message);
}

static void
jump_to_latest_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  moon_chat_view_scroll_to_bottom (MOON_CHAT_VIEW (widget));
}

static void
example_clicked_cb (MoonChatView *self,
                    GtkButton    *button)
{
  const char *text = g_object_get_data (G_OBJECT (button), "prompt");

  moon_composer_set_text (self->composer, text);
  gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
  /* Keyboard focus goes to what is inside a message (text, buttons). */
  gtk_list_item_set_focusable (item, FALSE);
  gtk_list_item_set_child (item, moon_message_row_new ());
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             gpointer                  user_data)
{
  moon_message_row_set_message (MOON_MESSAGE_ROW (gtk_list_item_get_child (item)),
                                gtk_list_item_get_item (item));
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  moon_message_row_set_message (MOON_MESSAGE_ROW (gtk_list_item_get_child (item)), NULL);
}

static void
moon_chat_view_dispose (GObject *object)
{
  MoonChatView *self = MOON_CHAT_VIEW (object);

  if (self->scroll_tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->scroll_tick_id);
      self->scroll_tick_id = 0;
    }

  if (self->conversation_signals != NULL)
    g_signal_group_set_target (self->conversation_signals, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), MOON_TYPE_CHAT_VIEW);
  /* The template's root is not a bound child: unparent it too. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self));
       child != NULL;
       child = gtk_widget_get_first_child (GTK_WIDGET (self)))
    gtk_widget_unparent (child);

  g_clear_object (&self->conversation_signals);
  g_clear_object (&self->selection);
  g_clear_object (&self->conversation);

  G_OBJECT_CLASS (moon_chat_view_parent_class)->dispose (object);
}

static void
moon_chat_view_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  MoonChatView *self = MOON_CHAT_VIEW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;

    case PROP_AT_BOTTOM:
      g_value_set_boolean (value, self->sticky);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
moon_chat_view_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  MoonChatView *self = MOON_CHAT_VIEW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      moon_chat_view_set_conversation (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
moon_chat_view_grab_focus (GtkWidget *widget)
{
  MoonChatView *self = MOON_CHAT_VIEW (widget);

  return gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

static void
moon_chat_view_class_init (MoonChatViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = moon_chat_view_dispose;
  object_class->get_property = moon_chat_view_get_property;
  object_class->set_property = moon_chat_view_set_property;

  widget_class->grab_focus = moon_chat_view_grab_focus;

  /**
   * MoonChatView:conversation:
   *
   * The conversation shown, or %NULL.
   */
  properties[PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL,
                         MOON_TYPE_CONVERSATION,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MoonChatView:at-bottom:
   *
   * Whether the view follows the end of the conversation: true until the
   * reader scrolls up, true again when they come back down.
   */
  properties[PROP_AT_BOTTOM] =
    g_param_spec_boolean ("at-bottom", NULL, NULL, TRUE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MoonChatView::message-action:
   * @self: a #MoonChatView
   * @action: "copy", "edit", "regenerate", "continue", "delete" or "retry"
   * @message: the message it applies to
   *
   * The user asked for something to be done with a message. Detailed by
   * @action.
   */
  signals[MESSAGE_ACTION] =
    g_signal_new ("message-action",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, MOON_TYPE_MESSAGE);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "chatview");

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/moon-chat-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MoonChatView, stack);
  gtk_widget_class_bind_template_child (widget_class, MoonChatView, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, MoonChatView, empty_page);
  gtk_widget_class_bind_template_child (widget_class, MoonChatView, examples_box);
  gtk_widget_class_bind_template_child (widget_class, MoonChatView, scroller);
  gtk_widget_class_bind_template_child (widget_class, MoonChatView, list_view);
  gtk_widget_class_bind_template_child (widget_class, MoonChatView, jump_revealer);
  gtk_widget_class_bind_template_child (widget_class, MoonChatView, composer);

  gtk_widget_class_install_action (widget_class, "chat.copy", "s", message_action_cb);
  gtk_widget_class_install_action (widget_class, "chat.edit", "s", message_action_cb);
  gtk_widget_class_install_action (widget_class, "chat.regenerate", "s", message_action_cb);
  gtk_widget_class_install_action (widget_class, "chat.continue", "s", message_action_cb);
  gtk_widget_class_install_action (widget_class, "chat.delete", "s", message_action_cb);
  gtk_widget_class_install_action (widget_class, "chat.retry", "s", message_action_cb);
  gtk_widget_class_install_action (widget_class, "chat.jump-to-latest", NULL, jump_to_latest_action);

  g_type_ensure (MOON_TYPE_COMPOSER);
  g_type_ensure (MOON_TYPE_MESSAGE_ROW);
}

static void
moon_chat_view_init (MoonChatView *self)
{
  g_autoptr(GtkListItemFactory) factory = NULL;
  GtkEventController *controller;
  GtkAdjustment *adj;

  self->sticky = TRUE;

  gtk_widget_init_template (GTK_WIDGET (self));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), NULL);
  gtk_list_view_set_factory (self->list_view, factory);

  self->selection = gtk_no_selection_new (NULL);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  self->conversation_signals = g_signal_group_new (MOON_TYPE_CONVERSATION);
  g_signal_group_connect_object (self->conversation_signals, "items-changed",
                                 G_CALLBACK (conversation_items_changed_cb),
                                 self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->conversation_signals, "notify::is-loaded",
                                 G_CALLBACK (conversation_notify_loaded_cb),
                                 self, G_CONNECT_SWAPPED);

  adj = get_vadjustment (self);
  g_signal_connect_object (adj, "changed", G_CALLBACK (adjustment_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (adj, "value-changed", G_CALLBACK (adjustment_value_changed_cb),
                           self, G_CONNECT_SWAPPED);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_object (controller, "scroll", G_CALLBACK (scroll_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->scroller), controller);

  for (guint i = 0; i < G_N_ELEMENTS (example_prompts); i++)
    {
      GtkWidget *button = gtk_button_new ();
      GtkWidget *label = gtk_label_new (_(example_prompts[i]));

      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_button_set_child (GTK_BUTTON (button), label);
      gtk_widget_add_css_class (button, "example-prompt");
      gtk_widget_add_css_class (button, "card");
      g_object_set_data (G_OBJECT (button), "prompt", (gpointer) _(example_prompts[i]));
      g_signal_connect_object (button, "clicked", G_CALLBACK (example_clicked_cb),
                               self, G_CONNECT_SWAPPED);
      gtk_box_append (GTK_BOX (self->examples_box), button);
    }

  update_page (self);
}

/**
 * moon_chat_view_new:
 *
 * Returns: (transfer floating): a chat view showing no conversation
 */
GtkWidget *
moon_chat_view_new (void)
{
  return g_object_new (MOON_TYPE_CHAT_VIEW, NULL);
}

/**
 * moon_chat_view_get_conversation:
 * @self: a #MoonChatView
 *
 * Returns: (transfer none) (nullable): the conversation shown
 */
MoonConversation *
moon_chat_view_get_conversation (MoonChatView *self)
{
  g_return_val_if_fail (MOON_IS_CHAT_VIEW (self), NULL);

  return self->conversation;
}

/**
 * moon_chat_view_set_conversation:
 * @self: a #MoonChatView
 * @conversation: (nullable): the conversation to show
 *
 * Shows @conversation, scrolled to its end. While its messages load, a
 * spinner shows; an empty one shows example prompts.
 */
void
moon_chat_view_set_conversation (MoonChatView     *self,
                                 MoonConversation *conversation)
{
  g_return_if_fail (MOON_IS_CHAT_VIEW (self));
  g_return_if_fail (conversation == NULL || MOON_IS_CONVERSATION (conversation));

  if (!g_set_object (&self->conversation, conversation))
    return;

  g_signal_group_set_target (self->conversation_signals, conversation);
  gtk_no_selection_set_model (self->selection, G_LIST_MODEL (conversation));

  self->last_upper = 0;
  set_sticky (self, TRUE);
  update_page (self);
  queue_scroll_to_end (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION]);
}

/**
 * moon_chat_view_get_composer:
 * @self: a #MoonChatView
 *
 * Returns: (transfer none): the composer under the messages
 */
MoonComposer *
moon_chat_view_get_composer (MoonChatView *self)
{
  g_return_val_if_fail (MOON_IS_CHAT_VIEW (self), NULL);

  return self->composer;
}

/**
 * moon_chat_view_get_list_view:
 * @self: a #MoonChatView
 *
 * Returns: (transfer none): the list of messages
 */
GtkListView *
moon_chat_view_get_list_view (MoonChatView *self)
{
  g_return_val_if_fail (MOON_IS_CHAT_VIEW (self), NULL);

  return self->list_view;
}

/**
 * moon_chat_view_get_at_bottom:
 * @self: a #MoonChatView
 *
 * Returns: the value of #MoonChatView:at-bottom
 */
gboolean
moon_chat_view_get_at_bottom (MoonChatView *self)
{
  g_return_val_if_fail (MOON_IS_CHAT_VIEW (self), FALSE);

  return self->sticky;
}

/**
 * moon_chat_view_scroll_to_bottom:
 * @self: a #MoonChatView
 *
 * Scrolls to the newest message and follows the end from now on.
 */
void
moon_chat_view_scroll_to_bottom (MoonChatView *self)
{
  guint n_items;

  g_return_if_fail (MOON_IS_CHAT_VIEW (self));

  n_items = self->conversation ? g_list_model_get_n_items (G_LIST_MODEL (self->conversation)) : 0;
  if (n_items > 0)
    gtk_list_view_scroll_to (self->list_view, n_items - 1, GTK_LIST_SCROLL_NONE, NULL);

  set_sticky (self, TRUE);
  scroll_to_end_now (self);
  queue_scroll_to_end (self);
}
