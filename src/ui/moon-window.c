/* moon-window.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-window"

#include "config.h"

#include <glib/gi18n.h>

#include "moon-api-error.h"
#include "moon-chat-view.h"
#include "moon-conversation-row.h"
#include "moon-conversation-settings.h"
#include "moon-list-mirror.h"
#include "moon-window.h"

struct _MoonWindow
{
  AdwApplicationWindow    parent_instance;

  MoonApplication        *application;
  GSettings              *settings;
  MoonConversationStore  *store;
  MoonChatController     *controller;
  MoonDrafts             *drafts;
  GCancellable           *cancellable;
  GCancellable           *search_cancellable;

  MoonConversation       *conversation;
  GBindingGroup          *conversation_bindings;
  GSignalGroup           *conversation_signals;
  GtkSingleSelection     *selection;
  GListModel             *conversations;  /* the store, mirrored */
  GListModel             *search_results;
  GHashTable             *failing_saves;
  GPtrArray              *deletions;
  guint                   select_idle;
  gboolean                syncing_selection;
  gboolean                restoring_draft;
  gboolean                restored_last;

  /* Template widgets */
  AdwToastOverlay        *toast_overlay;
  AdwNavigationSplitView *split_view;
  GtkToggleButton        *search_button;
  GtkSearchBar           *search_bar;
  GtkSearchEntry         *search_entry;
  GtkStack               *sidebar_stack;
  GtkSpinner             *sidebar_spinner;
  GtkListView            *conversation_list;
  AdwNavigationPage      *content_page;
  AdwWindowTitle         *window_title;
  GtkMenuButton          *settings_button;
  AdwBanner              *key_banner;
  GtkStack               *content_stack;
  AdwStatusPage          *empty_page;
  AdwStatusPage          *welcome_page;
  AdwComboRow            *welcome_endpoint_row;
  AdwEntryRow            *welcome_key_row;
  GtkLabel               *welcome_error;
  MoonChatView           *chat_view;
};

G_DEFINE_FINAL_TYPE (MoonWindow, moon_window, ADW_TYPE_APPLICATION_WINDOW)

static void set_up (MoonWindow      *self,
                    MoonApplication *application);

MoonWindow *
moon_window_new (MoonApplication *application)
{
  MoonWindow *self;

  g_return_val_if_fail (MOON_IS_APPLICATION (application), NULL);

  self = g_object_new (MOON_TYPE_WINDOW,
                       "application", application,
                       NULL);
  set_up (self, application);

  return self;
}

static void
show_toast (MoonWindow *self,
            const char *title)
{
  AdwToast *toast = adw_toast_new (title);

  adw_toast_set_use_markup (toast, FALSE);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static GListModel *
sidebar_model (MoonWindow *self)
{
  return gtk_single_selection_get_model (self->selection);
}

/* Pages */

static void
update_content_page (MoonWindow *self)
{
  gboolean has_key = moon_application_get_has_api_key (self->application);
  gboolean checked = moon_application_get_api_key_checked (self->application);
  const char *page;

  if (self->conversation != NULL)
    page = "chat";
  else if (checked && !has_key)
    page = "welcome";
  else
    page = "start";

  gtk_stack_set_visible_child_name (self->content_stack, page);
  adw_banner_set_revealed (self->key_banner, checked && !has_key && self->conversation != NULL);
  moon_composer_set_can_send (moon_chat_view_get_composer (self->chat_view), has_key || !checked);
  gtk_widget_set_visible (GTK_WIDGET (self->settings_button), self->conversation != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.rename-current", self->conversation != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.delete-current", self->conversation != NULL);
}

static void
update_sidebar_page (MoonWindow *self)
{
  GListModel *model = sidebar_model (self);
  gboolean loaded = TRUE;
  const char *page;

  g_object_get (self->store, "is-loaded", &loaded, NULL);

  if (!loaded)
    page = "loading";
  else if (model != NULL && g_list_model_get_n_items (model) > 0)
    page = "list";
  else if (self->search_results != NULL && model == self->search_results)
    page = "no-results";
  else
    page = "empty";

  gtk_spinner_set_spinning (self->sidebar_spinner, g_str_equal (page, "loading"));
  gtk_stack_set_visible_child_name (self->sidebar_stack, page);
}

/* Keeping the sidebar's selection on the open conversation */

static guint
find_position (GListModel *model,
               gpointer    item)
{
  guint n = model ? g_list_model_get_n_items (model) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) other = g_list_model_get_item (model, i);

      if (other == item)
        return i;
    }

  return GTK_INVALID_LIST_POSITION;
}

static void
sync_selection (MoonWindow *self)
{
  guint position = GTK_INVALID_LIST_POSITION;

  if (self->conversation != NULL)
    position = find_position (sidebar_model (self), self->conversation);

  if (gtk_single_selection_get_selected (self->selection) == position)
    return;

  self->syncing_selection = TRUE;
  gtk_single_selection_set_selected (self->selection, position);
  self->syncing_selection = FALSE;
}

static gboolean
sync_selection_idle_cb (gpointer data)
{
  MoonWindow *self = data;

  self->select_idle = 0;
  sync_selection (self);

  return G_SOURCE_REMOVE;
}

static void
sidebar_items_changed_cb (MoonWindow *self)
{
  update_sidebar_page (self);

  /* A conversation with new activity moves to the top; the selection must
   * follow it rather than fall on whatever is in its old place. */
  if (self->select_idle == 0)
    self->select_idle = g_idle_add (sync_selection_idle_cb, self);
}

/* Opening a conversation */

static void
store_draft (MoonWindow *self)
{
  g_autofree char *text = NULL;

  if (self->conversation == NULL || self->restoring_draft)
    return;

  text = moon_composer_dup_text (moon_chat_view_get_composer (self->chat_view));
  moon_drafts_set (self->drafts, moon_conversation_get_id (self->conversation), text);
}

static void
composer_changed_cb (MoonWindow *self)
{
  store_draft (self);
}

static void
ensure_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(MoonWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!moon_conversation_store_ensure_loaded_finish (MOON_CONVERSATION_STORE (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *text = g_strdup_printf (_("Could not open the conversation: %s"), error->message);

          show_toast (self, text);
        }
    }
}

static void
update_busy (MoonWindow *self)
{
  gboolean busy = self->conversation != NULL && moon_conversation_get_is_busy (self->conversation);

  moon_composer_set_busy (moon_chat_view_get_composer (self->chat_view), busy);
}

static void
update_subtitle (MoonWindow *self)
{
  const char *model = NULL;

  if (self->conversation != NULL)
    {
      model = moon_conversation_get_model (self->conversation);
      if (model == NULL || model[0] == '\0')
        model = moon_chat_controller_get_default_model (self->controller);
    }

  adw_window_title_set_subtitle (self->window_title, model);
}

static void
open_conversation (MoonWindow       *self,
                   MoonConversation *conversation)
{
  MoonComposer *composer = moon_chat_view_get_composer (self->chat_view);

  if (self->conversation == conversation)
    return;

  store_draft (self);
  moon_composer_set_editing (composer, NULL);

  g_set_object (&self->conversation, conversation);
  g_binding_group_set_source (self->conversation_bindings, conversation);
  g_signal_group_set_target (self->conversation_signals, conversation);

  moon_chat_view_set_conversation (self->chat_view, conversation);
  moon_conversation_settings_set_conversation (MOON_CONVERSATION_SETTINGS (gtk_menu_button_get_popover (self->settings_button)),
                                               conversation);

  self->restoring_draft = TRUE;
  moon_composer_set_text (composer, conversation ? moon_drafts_get (self->drafts, moon_conversation_get_id (conversation)) : NULL);
  self->restoring_draft = FALSE;

  if (conversation == NULL)
    adw_window_title_set_title (self->window_title, _("Moonchat"));

  update_busy (self);
  update_subtitle (self);
  update_content_page (self);
  sync_selection (self);

  if (conversation != NULL)
    {
      g_settings_set_string (self->settings, "last-conversation", moon_conversation_get_id (conversation));
      moon_conversation_store_ensure_loaded_async (self->store, conversation, self->cancellable,
                                                   ensure_loaded_cb, g_object_ref (self));
    }
}

static void
selection_changed_cb (MoonWindow *self)
{
  MoonConversation *conversation = gtk_single_selection_get_selected_item (self->selection);

  if (self->syncing_selection || conversation == NULL)
    return;

  open_conversation (self, conversation);
  adw_navigation_split_view_set_show_content (self->split_view, TRUE);
}

static void
list_activate_cb (MoonWindow  *self,
                  guint        position,
                  GtkListView *list_view)
{
  g_autoptr(MoonConversation) conversation = g_list_model_get_item (sidebar_model (self), position);

  open_conversation (self, conversation);
  adw_navigation_split_view_set_show_content (self->split_view, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->chat_view));
}

static void
store_loaded_cb (MoonWindow *self)
{
  g_autofree char *last = NULL;
  MoonConversation *conversation;
  gboolean loaded = FALSE;

  update_sidebar_page (self);

  g_object_get (self->store, "is-loaded", &loaded, NULL);
  if (!loaded || self->restored_last || self->conversation != NULL)
    return;

  self->restored_last = TRUE;
  last = g_settings_get_string (self->settings, "last-conversation");
  conversation = moon_conversation_store_lookup (self->store, last);
  if (conversation != NULL)
    open_conversation (self, conversation);
}

/* Search */

static void
set_sidebar_model (MoonWindow *self,
                   GListModel *model)
{
  if (sidebar_model (self) == model)
    return;

  self->syncing_selection = TRUE;
  gtk_single_selection_set_model (self->selection, model);
  self->syncing_selection = FALSE;

  sync_selection (self);
  update_sidebar_page (self);
}

static void
search_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(MoonWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) results = NULL;

  results = moon_conversation_store_search_finish (MOON_CONVERSATION_STORE (object), result, &error);
  if (results == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_toast (self, error->message);
      return;
    }

  if (!gtk_search_bar_get_search_mode (self->search_bar))
    return;

  g_set_object (&self->search_results, results);
  set_sidebar_model (self, results);
}

static void
search_changed_cb (MoonWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);

  if (text[0] == '\0')
    {
      set_sidebar_model (self, self->conversations);
      g_clear_object (&self->search_results);
      return;
    }

  self->search_cancellable = g_cancellable_new ();
  moon_conversation_store_search_async (self->store, text, self->search_cancellable,
                                        search_done_cb, g_object_ref (self));
}

static void
search_mode_cb (MoonWindow *self)
{
  if (!gtk_search_bar_get_search_mode (self->search_bar))
    {
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      search_changed_cb (self);
    }
}

/* Conversation actions */

static MoonConversation *
lookup_conversation (MoonWindow *self,
                     GVariant   *parameter)
{
  if (parameter == NULL)
    return self->conversation;

  return moon_conversation_store_lookup (self->store, g_variant_get_string (parameter, NULL));
}

static void
new_conversation_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  MoonWindow *self = MOON_WINDOW (widget);
  MoonConversation *conversation;

  /* An untouched new conversation is reused instead of piling up empty ones. */
  if (self->conversation != NULL &&
      moon_conversation_get_is_loaded (self->conversation) &&
      g_list_model_get_n_items (G_LIST_MODEL (self->conversation)) == 0)
    conversation = self->conversation;
  else
    conversation = moon_conversation_store_create (self->store);

  if (gtk_search_bar_get_search_mode (self->search_bar))
    gtk_search_bar_set_search_mode (self->search_bar, FALSE);

  open_conversation (self, conversation);
  adw_navigation_split_view_set_show_content (self->split_view, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->chat_view));
}

static void
rename_response_cb (AdwAlertDialog *dialog,
                    const char     *response,
                    MoonWindow     *self)
{
  MoonConversation *conversation = g_object_get_data (G_OBJECT (dialog), "conversation");
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");

  if (!g_str_equal (response, "rename"))
    return;

  moon_conversation_store_rename (self->store, conversation, gtk_editable_get_text (entry));
}

static gboolean
rename_key_pressed_cb (AdwDialog             *dialog,
                       guint                  keyval,
                       guint                  keycode,
                       GdkModifierType        state,
                       GtkEventControllerKey *controller)
{
  /* The title entry keeps Escape from reaching the dialog: cancel here. */
  if (keyval == GDK_KEY_Escape && (state & gtk_accelerator_get_default_mod_mask ()) == 0)
    {
      adw_dialog_close (dialog);
      return GDK_EVENT_STOP;
    }

  return GDK_EVENT_PROPAGATE;
}

static void
rename_conversation (MoonWindow       *self,
                     MoonConversation *conversation)
{
  GtkEventController *controller;
  g_autofree char *title = NULL;
  AdwDialog *dialog;
  GtkWidget *entry;

  if (conversation == NULL)
    return;

  title = moon_conversation_dup_display_title (conversation);

  dialog = adw_alert_dialog_new (_("Rename Conversation"), NULL);
  adw_alert_dialog_add_responses (ADW_ALERT_DIALOG (dialog),
                                  "cancel", _("_Cancel"),
                                  "rename", _("_Rename"),
                                  NULL);
  adw_alert_dialog_set_response_appearance (ADW_ALERT_DIALOG (dialog), "rename", ADW_RESPONSE_SUGGESTED);
  adw_alert_dialog_set_default_response (ADW_ALERT_DIALOG (dialog), "rename");
  adw_alert_dialog_set_close_response (ADW_ALERT_DIALOG (dialog), "cancel");

  entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), title);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Title"),
                                  -1);
  adw_alert_dialog_set_extra_child (ADW_ALERT_DIALOG (dialog), entry);

  g_object_set_data_full (G_OBJECT (dialog), "conversation", g_object_ref (conversation), g_object_unref);
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  g_signal_connect_object (dialog, "response", G_CALLBACK (rename_response_cb), self, 0);

  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (controller, "key-pressed", G_CALLBACK (rename_key_pressed_cb), dialog);
  gtk_widget_add_controller (GTK_WIDGET (dialog), controller);

  adw_dialog_present (dialog, GTK_WIDGET (self));
  gtk_widget_grab_focus (entry);
}

static void
rename_conversation_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  MoonWindow *self = MOON_WINDOW (widget);

  rename_conversation (self, lookup_conversation (self, parameter));
}

/* A deletion waits for its toast: Undo brings the conversation back, the
 * toast going away (or the window closing) makes it final. */
typedef struct
{
  MoonConversationStore *store;
  GApplication          *application;
  guint                  token;
  gboolean               undone;
  gboolean               committed;
} Deletion;

static void
deletion_clear (Deletion *deletion)
{
  g_clear_object (&deletion->store);
  g_clear_object (&deletion->application);
}

static void
deletion_release (gpointer data)
{
  g_rc_box_release_full (data, (GDestroyNotify) deletion_clear);
}

static void
deletion_closure_release (gpointer  data,
                          GClosure *closure)
{
  deletion_release (data);
}

static void
commit_delete_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GApplication *application = user_data;
  g_autoptr(GError) error = NULL;

  if (!moon_conversation_store_commit_delete_finish (MOON_CONVERSATION_STORE (object), result, NULL, &error))
    g_warning ("Could not move the deleted conversation to the trash: %s", error->message);

  g_application_release (application);
  g_object_unref (application);
}

static void
deletion_commit (Deletion *deletion)
{
  if (deletion->undone || deletion->committed)
    return;

  deletion->committed = TRUE;
  /* The process stays until the file is in the trash. */
  g_application_hold (deletion->application);
  moon_conversation_store_commit_delete_async (deletion->store, deletion->token, NULL,
                                               commit_delete_cb, g_object_ref (deletion->application));
}

static void
undo_delete_cb (AdwToast *toast,
                Deletion *deletion)
{
  if (!deletion->committed)
    deletion->undone = moon_conversation_store_undo_delete (deletion->store, deletion->token);
}

static void
delete_toast_dismissed_cb (AdwToast *toast,
                           Deletion *deletion)
{
  deletion_commit (deletion);
}

static void
delete_conversation (MoonWindow       *self,
                     MoonConversation *conversation)
{
  g_autofree char *title = NULL;
  g_autofree char *text = NULL;
  Deletion *deletion;
  AdwToast *toast;

  if (conversation == NULL)
    return;

  moon_chat_controller_stop (self->controller, conversation);

  if (conversation == self->conversation)
    open_conversation (self, NULL);

  title = moon_conversation_dup_display_title (conversation);
  deletion = g_rc_box_new0 (Deletion);
  deletion->store = g_object_ref (self->store);
  deletion->application = G_APPLICATION (g_object_ref (self->application));
  deletion->token = moon_conversation_store_delete (self->store, conversation);
  g_ptr_array_add (self->deletions, g_rc_box_acquire (deletion));

  /* Translators: %s is the title of a conversation */
  text = g_strdup_printf (_("“%s” deleted"), title);
  toast = adw_toast_new (text);
  adw_toast_set_use_markup (toast, FALSE);
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_signal_connect (toast, "button-clicked", G_CALLBACK (undo_delete_cb), deletion);
  g_signal_connect_data (toast, "dismissed", G_CALLBACK (delete_toast_dismissed_cb), deletion,
                         deletion_closure_release, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
delete_conversation_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  MoonWindow *self = MOON_WINDOW (widget);

  delete_conversation (self, lookup_conversation (self, parameter));
}

static void
delete_selected_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  MoonWindow *self = MOON_WINDOW (widget);

  delete_conversation (self, gtk_single_selection_get_selected_item (self->selection));
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  MoonWindow *self = MOON_WINDOW (widget);

  adw_navigation_split_view_set_show_content (self->split_view, FALSE);
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
focus_composer_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  MoonWindow *self = MOON_WINDOW (widget);

  if (self->conversation != NULL)
    {
      adw_navigation_split_view_set_show_content (self->split_view, TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (self->chat_view));
    }
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  MoonWindow *self = MOON_WINDOW (widget);

  if (self->conversation != NULL)
    moon_chat_controller_stop (self->controller, self->conversation);
}

static void
copy_last_reply_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  MoonWindow *self = MOON_WINDOW (widget);
  GListModel *model = G_LIST_MODEL (self->conversation);
  guint n;

  if (model == NULL)
    return;

  n = g_list_model_get_n_items (model);
  for (guint i = n; i > 0; i--)
    {
      g_autoptr(MoonMessage) message = g_list_model_get_item (model, i - 1);

      if (moon_message_get_role (message) == MOON_MESSAGE_ROLE_ASSISTANT &&
          moon_message_get_content_length (message) > 0)
        {
          gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), moon_message_get_content (message));
          show_toast (self, _("Reply copied"));
          return;
        }
    }
}

static void
conversation_settings_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  MoonWindow *self = MOON_WINDOW (widget);

  if (self->conversation != NULL)
    gtk_menu_button_popup (self->settings_button);
}

/* Sending */

static void
report_send_error (MoonWindow   *self,
                   const GError *error)
{
  if (g_error_matches (error, MOON_API_ERROR, MOON_API_ERROR_AUTH))
    {
      AdwToast *toast = adw_toast_new (error->message);

      adw_toast_set_button_label (toast, _("_Preferences"));
      adw_toast_set_action_name (toast, "app.preferences");
      adw_toast_overlay_add_toast (self->toast_overlay, toast);
      return;
    }

  show_toast (self, error->message);
}

static gboolean
composer_send_cb (MoonWindow   *self,
                  const char   *text,
                  MoonComposer *composer)
{
  g_autoptr(GError) error = NULL;
  MoonMessage *editing = moon_composer_get_editing (composer);
  gboolean ok;

  if (self->conversation == NULL)
    return FALSE;

  if (editing != NULL)
    ok = moon_chat_controller_resend (self->controller, self->conversation, editing, text, &error);
  else
    ok = moon_chat_controller_send (self->controller, self->conversation, text, &error);

  if (!ok)
    {
      report_send_error (self, error);
      return FALSE;
    }

  moon_drafts_set (self->drafts, moon_conversation_get_id (self->conversation), NULL);
  moon_chat_view_scroll_to_bottom (self->chat_view);

  return TRUE;
}

static void
composer_stop_cb (MoonWindow *self)
{
  if (self->conversation != NULL)
    moon_chat_controller_stop (self->controller, self->conversation);
}

static void
message_action_cb (MoonWindow   *self,
                   const char   *action,
                   MoonMessage  *message,
                   MoonChatView *chat_view)
{
  g_autoptr(GError) error = NULL;
  MoonComposer *composer = moon_chat_view_get_composer (chat_view);
  gboolean ok = TRUE;

  if (self->conversation == NULL)
    return;

  if (g_str_equal (action, "copy"))
    {
      gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)),
                              moon_message_get_content (message));
      show_toast (self, _("Message copied"));
    }
  else if (g_str_equal (action, "edit"))
    {
      moon_composer_set_editing (composer, message);
      moon_composer_set_text (composer, moon_message_get_content (message));
      gtk_widget_grab_focus (GTK_WIDGET (composer));
    }
  else if (g_str_equal (action, "regenerate") || g_str_equal (action, "retry"))
    {
      ok = moon_chat_controller_regenerate (self->controller, self->conversation, message, &error);
      if (ok)
        moon_chat_view_scroll_to_bottom (chat_view);
    }
  else if (g_str_equal (action, "continue"))
    {
      ok = moon_chat_controller_continue (self->controller, self->conversation, message, &error);
      if (ok)
        moon_chat_view_scroll_to_bottom (chat_view);
    }
  else if (g_str_equal (action, "delete"))
    {
      if (moon_message_is_finished (message))
        moon_conversation_remove_message (self->conversation, message);
    }

  if (!ok)
    report_send_error (self, error);
}

static void
reply_finished_cb (MoonWindow         *self,
                   MoonConversation   *conversation,
                   MoonMessage        *reply,
                   const GError       *error,
                   MoonChatController *controller)
{
  g_autofree char *title = NULL;
  g_autofree char *text = NULL;

  if (error == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* The reply row shows the error; a conversation out of sight gets a toast. */
  if (conversation == self->conversation && gtk_widget_get_mapped (GTK_WIDGET (self->chat_view)))
    return;

  title = moon_conversation_dup_display_title (conversation);
  /* Translators: %s is a conversation title */
  text = g_strdup_printf (_("The reply in “%s” failed"), title);
  show_toast (self, text);
}

/* The welcome page */

static void
welcome_key_saved_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(MoonWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save-welcome-key", TRUE);

  if (!moon_application_set_api_key_finish (MOON_APPLICATION (object), result, &error))
    {
      gtk_label_set_label (self->welcome_error, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->welcome_error), TRUE);
      return;
    }

  gtk_editable_set_text (GTK_EDITABLE (self->welcome_key_row), "");
  gtk_widget_set_visible (GTK_WIDGET (self->welcome_error), FALSE);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.new-conversation", NULL);
}

static void
save_welcome_key_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  MoonWindow *self = MOON_WINDOW (widget);
  const char *key = gtk_editable_get_text (GTK_EDITABLE (self->welcome_key_row));

  if (key[0] == '\0')
    {
      gtk_label_set_label (self->welcome_error, _("Paste your API key first"));
      gtk_widget_set_visible (GTK_WIDGET (self->welcome_error), TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (self->welcome_key_row));
      return;
    }

  /* A custom endpoint (set in Preferences) is kept as it is. */
  if (gtk_widget_get_visible (GTK_WIDGET (self->welcome_endpoint_row)))
    {
      g_autofree char *current = moon_application_dup_base_url (self->application);
      const char *url = adw_combo_row_get_selected (self->welcome_endpoint_row) == 0
                        ? MOON_CLIENT_BASE_URL_CN : MOON_CLIENT_BASE_URL_GLOBAL;

      if (!g_str_equal (current, url))
        g_settings_set_string (self->settings, "base-url", url);
    }

  gtk_widget_action_set_enabled (widget, "win.save-welcome-key", FALSE);
  moon_application_set_api_key_async (self->application, key, self->cancellable,
                                      welcome_key_saved_cb, g_object_ref (self));
}

static void
update_welcome_endpoint (MoonWindow *self)
{
  g_autofree char *url = moon_application_dup_base_url (self->application);
  gboolean known = g_str_equal (url, MOON_CLIENT_BASE_URL_CN) || g_str_equal (url, MOON_CLIENT_BASE_URL_GLOBAL);

  gtk_widget_set_visible (GTK_WIDGET (self->welcome_endpoint_row), known);
  adw_combo_row_set_selected (self->welcome_endpoint_row,
                              g_str_equal (url, MOON_CLIENT_BASE_URL_GLOBAL) ? 1 : 0);
}

/* Store errors */

static void
save_failed_cb (MoonWindow            *self,
                MoonConversation      *conversation,
                const GError          *error,
                MoonConversationStore *store)
{
  g_autofree char *title = NULL;
  g_autofree char *text = NULL;

  /* The store retries; one toast per conversation until it succeeds. */
  if (g_hash_table_contains (self->failing_saves, conversation))
    return;

  g_hash_table_add (self->failing_saves, conversation);
  title = moon_conversation_dup_display_title (conversation);
  /* Translators: %s is a conversation title, then the reason */
  text = g_strdup_printf (_("Could not save “%s”: %s. It is kept in memory and saving is retried."),
                          title, error->message);
  show_toast (self, text);
}

static void
saved_cb (MoonWindow            *self,
          MoonConversation      *conversation,
          MoonConversationStore *store)
{
  g_hash_table_remove (self->failing_saves, conversation);
}

static void
file_set_aside_cb (MoonWindow            *self,
                   GFile                 *file,
                   GFile                 *moved_to,
                   const GError          *reason,
                   MoonConversationStore *store)
{
  g_autofree char *name = g_file_get_basename (moved_to);
  g_autofree char *text = NULL;

  /* Translators: %s is a file name */
  text = g_strdup_printf (_("A damaged conversation file was set aside as %s"), name);
  show_toast (self, text);
}

static void
file_read_only_cb (MoonWindow            *self,
                   MoonConversation      *conversation,
                   const GError          *reason,
                   MoonConversationStore *store)
{
  g_autofree char *title = moon_conversation_dup_display_title (conversation);
  g_autofree char *text = NULL;

  /* Translators: %s is a conversation title, then the reason */
  text = g_strdup_printf (_("“%s” is read-only: %s"), title, reason->message);
  show_toast (self, text);
}

static void
conflict_cb (MoonWindow            *self,
             MoonConversation      *conversation,
             GFile                 *copy,
             MoonConversationStore *store)
{
  g_autofree char *title = moon_conversation_dup_display_title (conversation);
  g_autofree char *text = NULL;

  /* Translators: %s is a conversation title */
  text = g_strdup_printf (_("“%s” was also changed by another program; both versions are kept"), title);
  show_toast (self, text);
}

/* The sidebar's rows */

static void
setup_conversation_row_cb (GtkSignalListItemFactory *factory,
                           GtkListItem              *item,
                           gpointer                  user_data)
{
  gtk_list_item_set_child (item, moon_conversation_row_new ());
}

static void
bind_conversation_row_cb (GtkSignalListItemFactory *factory,
                          GtkListItem              *item,
                          gpointer                  user_data)
{
  MoonConversation *conversation = gtk_list_item_get_item (item);
  g_autofree char *title = moon_conversation_dup_display_title (conversation);

  moon_conversation_row_set_conversation (MOON_CONVERSATION_ROW (gtk_list_item_get_child (item)),
                                          conversation);
  gtk_list_item_set_accessible_label (item, title);
}

static void
unbind_conversation_row_cb (GtkSignalListItemFactory *factory,
                            GtkListItem              *item,
                            gpointer                  user_data)
{
  moon_conversation_row_set_conversation (MOON_CONVERSATION_ROW (gtk_list_item_get_child (item)), NULL);
}

static void
drafts_loaded_cb (MoonWindow *self)
{
  MoonComposer *composer = moon_chat_view_get_composer (self->chat_view);
  g_autofree char *text = NULL;

  if (self->conversation == NULL)
    return;

  /* The conversation opened before the drafts were read. */
  text = moon_composer_dup_text (composer);
  if (text[0] != '\0')
    return;

  self->restoring_draft = TRUE;
  moon_composer_set_text (composer, moon_drafts_get (self->drafts, moon_conversation_get_id (self->conversation)));
  self->restoring_draft = FALSE;
}

static void
app_key_changed_cb (MoonWindow *self)
{
  update_content_page (self);
  update_welcome_endpoint (self);
}

/* The window */

static gboolean
moon_window_close_request (GtkWindow *window)
{
  MoonWindow *self = MOON_WINDOW (window);
  int width, height;

  store_draft (self);

  gtk_window_get_default_size (window, &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  g_settings_apply (self->settings);

  g_cancellable_cancel (self->cancellable);

  /* Deletions whose Undo is still on screen become final now. */
  for (guint i = 0; i < self->deletions->len; i++)
    deletion_commit (g_ptr_array_index (self->deletions, i));

  return GTK_WINDOW_CLASS (moon_window_parent_class)->close_request (window);
}

/* After construction: "application" is not a construct property. */
static void
set_up (MoonWindow      *self,
        MoonApplication *application)
{
  MoonComposer *composer = moon_chat_view_get_composer (self->chat_view);
  g_autoptr(GtkListItemFactory) factory = NULL;

  self->application = g_object_ref (application);

  self->settings = g_object_ref (moon_application_get_settings (self->application));
  self->store = g_object_ref (moon_application_get_store (self->application));
  self->controller = g_object_ref (moon_application_get_controller (self->application));
  self->drafts = g_object_ref (moon_application_get_drafts (self->application));

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_settings_bind (self->settings, "return-sends", composer, "return-sends", G_SETTINGS_BIND_GET);
  gtk_menu_button_set_popover (self->settings_button, moon_conversation_settings_new (self->controller));

  /* The sidebar */
  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_conversation_row_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_conversation_row_cb), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_conversation_row_cb), NULL);
  gtk_list_view_set_factory (self->conversation_list, factory);

  /* The store reports a move as two steps after the fact; the mirror turns
   * that into what GtkListView can follow. */
  self->conversations = G_LIST_MODEL (moon_list_mirror_new (G_LIST_MODEL (self->store)));
  self->selection = gtk_single_selection_new (g_object_ref (self->conversations));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_list_view_set_model (self->conversation_list, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_object (self->selection, "notify::selected-item",
                           G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->selection, "items-changed",
                           G_CALLBACK (sidebar_items_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->conversation_list, "activate",
                           G_CALLBACK (list_activate_cb), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->store, "notify::is-loaded",
                           G_CALLBACK (store_loaded_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store, "save-failed",
                           G_CALLBACK (save_failed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store, "saved",
                           G_CALLBACK (saved_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store, "file-set-aside",
                           G_CALLBACK (file_set_aside_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store, "file-read-only",
                           G_CALLBACK (file_read_only_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store, "conflict",
                           G_CALLBACK (conflict_cb), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->controller, "reply-finished",
                           G_CALLBACK (reply_finished_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->controller, "notify::default-model",
                           G_CALLBACK (update_subtitle), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->drafts, "notify::loaded",
                           G_CALLBACK (drafts_loaded_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->application, "notify::has-api-key",
                           G_CALLBACK (app_key_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->application, "notify::api-key-checked",
                           G_CALLBACK (app_key_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->application, "notify::client",
                           G_CALLBACK (app_key_changed_cb), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (composer, "send", G_CALLBACK (composer_send_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (composer, "stop", G_CALLBACK (composer_stop_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (composer, "changed", G_CALLBACK (composer_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->chat_view, "message-action", G_CALLBACK (message_action_cb),
                           self, G_CONNECT_SWAPPED);

  update_sidebar_page (self);
  update_content_page (self);
  update_welcome_endpoint (self);
  store_loaded_cb (self);
}

static void
moon_window_dispose (GObject *object)
{
  MoonWindow *self = MOON_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->search_cancellable);
  g_clear_handle_id (&self->select_idle, g_source_remove);

  if (self->conversation_bindings != NULL)
    g_binding_group_set_source (self->conversation_bindings, NULL);
  if (self->conversation_signals != NULL)
    g_signal_group_set_target (self->conversation_signals, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), MOON_TYPE_WINDOW);

  g_clear_object (&self->conversation);
  g_clear_object (&self->conversation_bindings);
  g_clear_object (&self->conversation_signals);
  g_clear_object (&self->selection);
  g_clear_object (&self->conversations);
  g_clear_object (&self->search_results);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->search_cancellable);
  g_clear_object (&self->drafts);
  g_clear_object (&self->controller);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);
  g_clear_object (&self->application);
  g_clear_pointer (&self->failing_saves, g_hash_table_unref);
  g_clear_pointer (&self->deletions, g_ptr_array_unref);

  G_OBJECT_CLASS (moon_window_parent_class)->dispose (object);
}

static void
moon_window_class_init (MoonWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = moon_window_dispose;
  window_class->close_request = moon_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/moon-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, split_view);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, sidebar_spinner);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, conversation_list);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, content_page);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, settings_button);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, key_banner);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, welcome_page);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, welcome_endpoint_row);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, welcome_key_row);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, welcome_error);
  gtk_widget_class_bind_template_child (widget_class, MoonWindow, chat_view);

  gtk_widget_class_install_action (widget_class, "win.new-conversation", NULL, new_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.rename-conversation", "s", rename_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.delete-conversation", "s", delete_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.rename-current", NULL, rename_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.delete-current", NULL, delete_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.delete-selected", NULL, delete_selected_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.focus-composer", NULL, focus_composer_action);
  gtk_widget_class_install_action (widget_class, "win.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "win.copy-last-reply", NULL, copy_last_reply_action);
  gtk_widget_class_install_action (widget_class, "win.conversation-settings", NULL, conversation_settings_action);
  gtk_widget_class_install_action (widget_class, "win.save-welcome-key", NULL, save_welcome_key_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-conversation", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F2, 0, "win.rename-current", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, GDK_CONTROL_MASK, "win.delete-current", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "win.focus-composer", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.copy-last-reply", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_comma, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.conversation-settings", NULL);

  g_type_ensure (MOON_TYPE_CHAT_VIEW);
}

static void
moon_window_init (MoonWindow *self)
{
  GtkEventController *controller;
  GtkShortcut *shortcut;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->failing_saves = g_hash_table_new (NULL, NULL);
  self->deletions = g_ptr_array_new_with_free_func (deletion_release);

  if (DEVELOPMENT_BUILD)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self->conversation_list));
  g_signal_connect_object (self->search_entry, "search-changed",
                           G_CALLBACK (search_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search_bar, "notify::search-mode-enabled",
                           G_CALLBACK (search_mode_cb), self, G_CONNECT_SWAPPED);

  /* Delete removes the selected conversation, but only from the list: in
   * the composer it must delete text. */
  controller = gtk_shortcut_controller_new ();
  shortcut = gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Delete, 0),
                               gtk_named_action_new ("win.delete-selected"));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller), shortcut);
  shortcut = gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_KP_Delete, 0),
                               gtk_named_action_new ("win.delete-selected"));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller), shortcut);
  gtk_widget_add_controller (GTK_WIDGET (self->conversation_list), controller);

  /* Escape stops a reply wherever the focus is in the chat pane. */
  controller = gtk_shortcut_controller_new ();
  shortcut = gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Escape, 0),
                               gtk_named_action_new ("win.stop"));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller), shortcut);
  gtk_widget_add_controller (GTK_WIDGET (self->chat_view), controller);

  self->conversation_bindings = g_binding_group_new ();
  g_binding_group_bind (self->conversation_bindings, "display-title",
                        self->window_title, "title", G_BINDING_SYNC_CREATE);
  g_binding_group_bind (self->conversation_bindings, "display-title",
                        self->content_page, "title", G_BINDING_SYNC_CREATE);

  self->conversation_signals = g_signal_group_new (MOON_TYPE_CONVERSATION);
  g_signal_group_connect_object (self->conversation_signals, "notify::is-busy",
                                 G_CALLBACK (update_busy), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->conversation_signals, "notify::model",
                                 G_CALLBACK (update_subtitle), self, G_CONNECT_SWAPPED);
}

/**
 * moon_window_get_chat_view:
 * @self: a #MoonWindow
 *
 * Returns: (transfer none): the chat view
 */
MoonChatView *
moon_window_get_chat_view (MoonWindow *self)
{
  g_return_val_if_fail (MOON_IS_WINDOW (self), NULL);

  return self->chat_view;
}

/**
 * moon_window_get_conversation:
 * @self: a #MoonWindow
 *
 * Returns: (transfer none) (nullable): the open conversation
 */
MoonConversation *
moon_window_get_conversation (MoonWindow *self)
{
  g_return_val_if_fail (MOON_IS_WINDOW (self), NULL);

  return self->conversation;
}

/**
 * moon_window_open_conversation:
 * @self: a #MoonWindow
 * @conversation: (nullable): a conversation of the store
 *
 * Shows @conversation, as selecting it in the sidebar does.
 */
void
moon_window_open_conversation (MoonWindow       *self,
                               MoonConversation *conversation)
{
  g_return_if_fail (MOON_IS_WINDOW (self));
  g_return_if_fail (conversation == NULL || MOON_IS_CONVERSATION (conversation));

  open_conversation (self, conversation);
}

/**
 * moon_window_get_toast_overlay:
 * @self: a #MoonWindow
 *
 * Returns: (transfer none): where the window's toasts show
 */
AdwToastOverlay *
moon_window_get_toast_overlay (MoonWindow *self)
{
  g_return_val_if_fail (MOON_IS_WINDOW (self), NULL);

  return self->toast_overlay;
}
