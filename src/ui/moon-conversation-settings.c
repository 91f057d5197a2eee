/* moon-conversation-settings.c — the settings of one conversation
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-conversation-settings"

#include "config.h"

#include <glib/gi18n.h>

#include "moon-conversation-settings.h"
#include "moon-format.h"
#include "moon-ui-util.h"

struct _MoonConversationSettings
{
  GtkPopover          parent_instance;

  MoonChatController *controller;
  MoonConversation   *conversation;
  GBindingGroup      *bindings;
  GSignalGroup       *signals;
  GtkStringList      *models;
  gboolean            updating;

  /* Template widgets */
  AdwComboRow        *model_row;
  AdwSwitchRow       *thinking_row;
  AdwExpanderRow     *temperature_row;
  AdwSpinRow         *temperature_spin;
  AdwExpanderRow     *max_tokens_row;
  AdwSpinRow         *max_tokens_spin;
  GtkTextView        *system_prompt_view;
  AdwSpinRow         *limit_row;
  AdwSwitchRow       *summary_row;
  AdwActionRow       *meter_row;
  GtkLevelBar        *meter_bar;
  AdwEntryRow        *prefix_row;
  AdwEntryRow        *name_row;
};

G_DEFINE_FINAL_TYPE (MoonConversationSettings, moon_conversation_settings, GTK_TYPE_POPOVER)

static const char *
current_model (MoonConversationSettings *self)
{
  const char *model = self->conversation ? moon_conversation_get_model (self->conversation) : NULL;

  if (model == NULL || model[0] == '\0')
    model = moon_chat_controller_get_default_model (self->controller);

  return model;
}

static void
update_meter (MoonConversationSettings *self)
{
  g_autofree char *tokens_text = NULL;
  g_autofree char *text = NULL;
  guint n_messages = 0;
  guint n_tokens = 0;
  gint64 window = 0;

  if (self->conversation == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;

  /* The same plan a send would make (MoonContext), without sending. */
  if (!moon_chat_controller_preview (self->controller, self->conversation,
                                     &n_messages, &n_tokens, &window))
    {
      adw_action_row_set_subtitle (self->meter_row, _("Unknown until an endpoint is set"));
      gtk_widget_set_visible (GTK_WIDGET (self->meter_bar), FALSE);
      return;
    }

  tokens_text = moon_format_count (n_tokens);
  /* Translators: the context meter: messages and estimated tokens the next request carries */
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%u message, about %s tokens",
                                       "%u messages, about %s tokens", n_messages),
                          n_messages, tokens_text);
  adw_action_row_set_subtitle (self->meter_row, text);

  gtk_widget_set_visible (GTK_WIDGET (self->meter_bar), window > 0);
  if (window > 0)
    {
      g_autofree char *tooltip = NULL;
      g_autofree char *window_text = moon_format_count (window);

      gtk_level_bar_set_value (self->meter_bar, MIN (1.0, n_tokens / (double) window));
      /* Translators: tokens used of the model's context window */
      tooltip = g_strdup_printf (_("%s of %s tokens"), tokens_text, window_text);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->meter_bar), tooltip);
    }
}

static void
update_capabilities (MoonConversationSettings *self)
{
  g_autoptr(MoonModelInfo) info = NULL;
  MoonClient *client = moon_chat_controller_get_client (self->controller);
  const char *model = current_model (self);

  info = client ? moon_client_lookup_model (client, model) : NULL;
  if (info == NULL)
    info = moon_model_info_lookup (model);

  /* Only what the model accepts is offered. */
  gtk_widget_set_visible (GTK_WIDGET (self->thinking_row),
                          info != NULL && moon_model_info_get_thinking (info) == MOON_THINKING_SWITCHABLE);
  gtk_widget_set_visible (GTK_WIDGET (self->temperature_row),
                          info == NULL || moon_model_info_accepts_field (info, "temperature"));
  gtk_widget_set_visible (GTK_WIDGET (self->max_tokens_row),
                          info == NULL || moon_model_info_accepts_field (info, "max_tokens"));

  update_meter (self);
}

static void
update_model_rows (MoonConversationSettings *self)
{
  g_autoptr(GtkStringList) models = NULL;
  MoonClient *client = moon_chat_controller_get_client (self->controller);
  const char *model = current_model (self);

  models = moon_model_ids_new (client, model);
  g_set_object (&self->models, models);

  self->updating = TRUE;
  adw_combo_row_set_model (self->model_row, G_LIST_MODEL (models));
  adw_combo_row_set_selected (self->model_row, moon_string_list_find (models, model));
  self->updating = FALSE;

  update_capabilities (self);
}

static void
models_listed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(MoonConversationSettings) self = user_data;
  g_autoptr(GListModel) models = NULL;

  models = moon_client_list_models_finish (MOON_CLIENT (object), result, NULL);
  if (models != NULL)
    update_model_rows (self);
}

static void
model_selected_cb (MoonConversationSettings *self)
{
  guint selected = adw_combo_row_get_selected (self->model_row);

  if (self->updating || self->conversation == NULL || selected == GTK_INVALID_LIST_POSITION)
    return;

  moon_conversation_set_model (self->conversation, gtk_string_list_get_string (self->models, selected));
  update_capabilities (self);
}

static void
load_values (MoonConversationSettings *self)
{
  MoonConversation *conversation = self->conversation;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->system_prompt_view);
  double temperature;
  int max_tokens;

  if (conversation == NULL)
    return;

  self->updating = TRUE;

  gtk_text_buffer_set_text (buffer, moon_conversation_get_system_prompt (conversation)
                                    ? moon_conversation_get_system_prompt (conversation) : "", -1);

  temperature = moon_conversation_get_temperature (conversation);
  adw_expander_row_set_enable_expansion (self->temperature_row, temperature >= 0);
  if (temperature >= 0)
    adw_spin_row_set_value (self->temperature_spin, temperature);

  max_tokens = moon_conversation_get_max_tokens (conversation);
  adw_expander_row_set_enable_expansion (self->max_tokens_row, max_tokens > 0);
  if (max_tokens > 0)
    adw_spin_row_set_value (self->max_tokens_spin, max_tokens);

  gtk_editable_set_text (GTK_EDITABLE (self->prefix_row),
                         moon_conversation_get_partial_prefix (conversation)
                         ? moon_conversation_get_partial_prefix (conversation) : "");
  gtk_editable_set_text (GTK_EDITABLE (self->name_row),
                         moon_conversation_get_partial_name (conversation)
                         ? moon_conversation_get_partial_name (conversation) : "");

  self->updating = FALSE;

  update_model_rows (self);
}

static void
system_prompt_changed_cb (MoonConversationSettings *self,
                          GtkTextBuffer            *buffer)
{
  g_autofree char *text = NULL;
  GtkTextIter start, end;

  if (self->updating || self->conversation == NULL)
    return;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  moon_conversation_set_system_prompt (self->conversation, text);
  update_meter (self);
}

static void
temperature_changed_cb (MoonConversationSettings *self)
{
  if (self->updating || self->conversation == NULL)
    return;

  if (adw_expander_row_get_enable_expansion (self->temperature_row))
    moon_conversation_set_temperature (self->conversation, adw_spin_row_get_value (self->temperature_spin));
  else
    moon_conversation_set_temperature (self->conversation, -1);
}

static void
max_tokens_changed_cb (MoonConversationSettings *self)
{
  if (self->updating || self->conversation == NULL)
    return;

  if (adw_expander_row_get_enable_expansion (self->max_tokens_row))
    moon_conversation_set_max_tokens (self->conversation, (int) adw_spin_row_get_value (self->max_tokens_spin));
  else
    moon_conversation_set_max_tokens (self->conversation, 0);
}

static void
partial_changed_cb (MoonConversationSettings *self)
{
  if (self->updating || self->conversation == NULL)
    return;

  moon_conversation_set_partial_prefix (self->conversation,
                                        gtk_editable_get_text (GTK_EDITABLE (self->prefix_row)));
  moon_conversation_set_partial_name (self->conversation,
                                      gtk_editable_get_text (GTK_EDITABLE (self->name_row)));
}

static void
moon_conversation_settings_show (GtkWidget *widget)
{
  MoonConversationSettings *self = MOON_CONVERSATION_SETTINGS (widget);
  MoonClient *client = moon_chat_controller_get_client (self->controller);

  GTK_WIDGET_CLASS (moon_conversation_settings_parent_class)->show (widget);

  load_values (self);

  /* The model list comes from /models once per client and is cached. */
  if (client != NULL && moon_client_has_api_key (client) && moon_client_get_cached_models (client) == NULL)
    moon_client_list_models_async (client, NULL, models_listed_cb, g_object_ref (self));
}

static void
moon_conversation_settings_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (moon_conversation_settings_parent_class)->map (widget);

  update_meter (MOON_CONVERSATION_SETTINGS (widget));
}

static void
moon_conversation_settings_dispose (GObject *object)
{
  MoonConversationSettings *self = MOON_CONVERSATION_SETTINGS (object);

  if (self->bindings != NULL)
    g_binding_group_set_source (self->bindings, NULL);
  if (self->signals != NULL)
    g_signal_group_set_target (self->signals, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), MOON_TYPE_CONVERSATION_SETTINGS);

  g_clear_object (&self->bindings);
  g_clear_object (&self->signals);
  g_clear_object (&self->models);
  g_clear_object (&self->conversation);
  g_clear_object (&self->controller);

  G_OBJECT_CLASS (moon_conversation_settings_parent_class)->dispose (object);
}

static void
moon_conversation_settings_class_init (MoonConversationSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = moon_conversation_settings_dispose;
  widget_class->show = moon_conversation_settings_show;
  widget_class->map = moon_conversation_settings_map;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/moon-conversation-settings.ui");
  gtk_widget_class_bind_template_child (widget_class, MoonConversationSettings, model_row);
  gtk_widget_class_bind_template_child (widget_class, MoonConversationSettings, thinking_row);
  gtk_widget_class_bind_template_child (widget_class, MoonConversationSettings, temperature_row);
  gtk_widget_class_bind_template_child (widget_class, MoonConversationSettings, temperature_spin);
  gtk_widget_class_bind_template_child (widget_class, MoonConversationSettings, max_tokens_row);
  gtk_widget_class_bind_template_child (widget_class, MoonConversationSettings, max_tokens_spin);
  gtk_widget_class_bind_template_child (widget_class, MoonConversationSettings, system_prompt_view);
  gtk_widget_class_bind_template_child (widget_class, MoonConversationSettings, limit_row);
  gtk_widget_class_bind_template_child (widget_class, MoonConversationSettings, summary_row);
  gtk_widget_class_bind_template_child (widget_class, MoonConversationSettings, meter_row);
  gtk_widget_class_bind_template_child (widget_class, MoonConversationSettings, meter_bar);
  gtk_widget_class_bind_template_child (widget_class, MoonConversationSettings, prefix_row);
  gtk_widget_class_bind_template_child (widget_class, MoonConversationSettings, name_row);
}

static void
moon_conversation_settings_init (MoonConversationSettings *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->bindings = g_binding_group_new ();
  g_binding_group_bind (self->bindings, "thinking", self->thinking_row, "active",
                        G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  g_binding_group_bind (self->bindings, "summary-enabled", self->summary_row, "active",
                        G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  g_binding_group_bind (self->bindings, "context-message-limit", self->limit_row, "value",
                        G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);

  self->signals = g_signal_group_new (MOON_TYPE_CONVERSATION);
  g_signal_group_connect_object (self->signals, "items-changed", G_CALLBACK (update_meter),
                                 self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->signals, "notify::context-message-limit", G_CALLBACK (update_meter),
                                 self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->model_row, "notify::selected", G_CALLBACK (model_selected_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_text_view_get_buffer (self->system_prompt_view), "changed",
                           G_CALLBACK (system_prompt_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->temperature_row, "notify::enable-expansion",
                           G_CALLBACK (temperature_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->temperature_spin, "notify::value",
                           G_CALLBACK (temperature_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->max_tokens_row, "notify::enable-expansion",
                           G_CALLBACK (max_tokens_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->max_tokens_spin, "notify::value",
                           G_CALLBACK (max_tokens_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->prefix_row, "changed",
                           G_CALLBACK (partial_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->name_row, "changed",
                           G_CALLBACK (partial_changed_cb), self, G_CONNECT_SWAPPED);
}

/**
 * moon_conversation_settings_new:
 * @controller: what runs replies (for the model list and the context meter)
 *
 * Returns: (transfer floating): a popover for a conversation's settings
 */
GtkWidget *
moon_conversation_settings_new (MoonChatController *controller)
{
  MoonConversationSettings *self;

  g_return_val_if_fail (MOON_IS_CHAT_CONTROLLER (controller), NULL);

  self = g_object_new (MOON_TYPE_CONVERSATION_SETTINGS, NULL);
  self->controller = g_object_ref (controller);

  return GTK_WIDGET (self);
}

/**
 * moon_conversation_settings_get_conversation:
 * @self: a #MoonConversationSettings
 *
 * Returns: (transfer none) (nullable): the conversation edited
 */
MoonConversation *
moon_conversation_settings_get_conversation (MoonConversationSettings *self)
{
  g_return_val_if_fail (MOON_IS_CONVERSATION_SETTINGS (self), NULL);

  return self->conversation;
}

/**
 * moon_conversation_settings_set_conversation:
 * @self: a #MoonConversationSettings
 * @conversation: (nullable): the conversation to edit
 */
void
moon_conversation_settings_set_conversation (MoonConversationSettings *self,
                                             MoonConversation         *conversation)
{
  g_return_if_fail (MOON_IS_CONVERSATION_SETTINGS (self));
  g_return_if_fail (conversation == NULL || MOON_IS_CONVERSATION (conversation));

  if (!g_set_object (&self->conversation, conversation))
    return;

  g_binding_group_set_source (self->bindings, conversation);
  g_signal_group_set_target (self->signals, conversation);

  if (gtk_widget_get_visible (GTK_WIDGET (self)))
    load_values (self);
}
