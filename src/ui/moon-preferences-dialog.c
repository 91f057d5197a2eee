/* moon-preferences-dialog.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-preferences-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "moon-preferences-dialog.h"
#include "moon-ui-util.h"

enum {
  ENDPOINT_CN,
  ENDPOINT_GLOBAL,
  ENDPOINT_CUSTOM,
};

struct _MoonPreferencesDialog
{
  AdwPreferencesDialog  parent_instance;

  MoonApplication      *application;
  GSettings            *settings;
  GCancellable         *cancellable;
  GtkStringList        *models;
  gboolean              updating;

  /* Template widgets */
  AdwComboRow          *endpoint_row;
  AdwEntryRow          *custom_url_row;
  AdwEntryRow          *key_row;
  GtkWidget            *test_button;
  AdwActionRow         *status_row;
  GtkImage             *status_icon;
  GtkSpinner           *status_spinner;
  AdwActionRow         *balance_row;
  GtkWidget            *balance_button;
  AdwComboRow          *model_row;
  AdwSwitchRow         *return_sends_row;
};

G_DEFINE_FINAL_TYPE (MoonPreferencesDialog, moon_preferences_dialog, ADW_TYPE_PREFERENCES_DIALOG)

static void test_key (MoonPreferencesDialog *self);

static void
set_status (MoonPreferencesDialog *self,
            const char            *icon_name,
            const char            *text,
            gboolean               busy)
{
  adw_action_row_set_subtitle (self->status_row, text);
  gtk_image_set_from_icon_name (self->status_icon, icon_name);
  gtk_widget_set_visible (GTK_WIDGET (self->status_spinner), busy);
  gtk_spinner_set_spinning (self->status_spinner, busy);
  gtk_widget_set_sensitive (self->test_button, !busy);

  gtk_widget_remove_css_class (GTK_WIDGET (self->status_icon), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_icon), "success");
  if (g_str_equal (icon_name, "dialog-warning-symbolic"))
    gtk_widget_add_css_class (GTK_WIDGET (self->status_icon), "error");
  else if (g_str_equal (icon_name, "object-select-symbolic"))
    gtk_widget_add_css_class (GTK_WIDGET (self->status_icon), "success");
}

static void
update_key_status (MoonPreferencesDialog *self)
{
  const GError *error = moon_application_get_api_key_error (self->application);

  if (!moon_application_get_api_key_checked (self->application))
    set_status (self, "dialog-information-symbolic", _("Reading the keyring…"), TRUE);
  else if (moon_application_get_has_api_key (self->application))
    set_status (self, "dialog-information-symbolic",
                _("A key for this endpoint is stored in the keyring. Enter a new one to replace it."),
                FALSE);
  else if (error != NULL)
    set_status (self, "dialog-warning-symbolic", error->message, FALSE);
  else
    set_status (self, "dialog-information-symbolic",
                _("No key yet. Create one on the platform's console and paste it above."),
                FALSE);

  gtk_widget_set_sensitive (self->balance_button,
                            moon_application_get_has_api_key (self->application));
}

static void
update_endpoint (MoonPreferencesDialog *self)
{
  g_autofree char *setting = g_settings_get_string (self->settings, "base-url");
  g_autofree char *url = moon_application_dup_base_url (self->application);
  guint selected;

  self->updating = TRUE;

  if (g_str_equal (url, MOON_CLIENT_BASE_URL_CN))
    selected = ENDPOINT_CN;
  else if (g_str_equal (url, MOON_CLIENT_BASE_URL_GLOBAL))
    selected = ENDPOINT_GLOBAL;
  else
    selected = ENDPOINT_CUSTOM;

  adw_combo_row_set_selected (self->endpoint_row, selected);
  gtk_widget_set_visible (GTK_WIDGET (self->custom_url_row), selected == ENDPOINT_CUSTOM);
  if (selected == ENDPOINT_CUSTOM)
    gtk_editable_set_text (GTK_EDITABLE (self->custom_url_row), url);

  self->updating = FALSE;
}

static void
update_models (MoonPreferencesDialog *self)
{
  g_autofree char *current = g_settings_get_string (self->settings, "default-model");
  g_autoptr(GtkStringList) models = NULL;

  models = moon_model_ids_new (moon_application_get_client (self->application), current);
  g_set_object (&self->models, models);

  self->updating = TRUE;
  adw_combo_row_set_model (self->model_row, G_LIST_MODEL (models));
  adw_combo_row_set_selected (self->model_row, moon_string_list_find (models, current));
  self->updating = FALSE;
}

static void
client_changed_cb (MoonPreferencesDialog *self)
{
  update_endpoint (self);
  update_key_status (self);
  update_models (self);
  adw_action_row_set_subtitle (self->balance_row, _("Not checked yet"));
}

static void
endpoint_selected_cb (MoonPreferencesDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->endpoint_row);

  if (self->updating)
    return;

  gtk_widget_set_visible (GTK_WIDGET (self->custom_url_row), selected == ENDPOINT_CUSTOM);

  if (selected == ENDPOINT_CN)
    g_settings_set_string (self->settings, "base-url", MOON_CLIENT_BASE_URL_CN);
  else if (selected == ENDPOINT_GLOBAL)
    g_settings_set_string (self->settings, "base-url", MOON_CLIENT_BASE_URL_GLOBAL);
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->custom_url_row));
}

static void
custom_url_apply_cb (MoonPreferencesDialog *self)
{
  g_autofree char *url = moon_normalize_base_url (gtk_editable_get_text (GTK_EDITABLE (self->custom_url_row)));

  if (url == NULL || (!g_str_has_prefix (url, "https://") && !g_str_has_prefix (url, "http://")))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->custom_url_row), "error");
      adw_preferences_dialog_add_toast (ADW_PREFERENCES_DIALOG (self),
                                        adw_toast_new (_("Enter a URL starting with https://")));
      return;
    }

  gtk_widget_remove_css_class (GTK_WIDGET (self->custom_url_row), "error");
  g_settings_set_string (self->settings, "base-url", url);
}

static void
key_stored_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(MoonPreferencesDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean test_after = GPOINTER_TO_INT (g_object_steal_data (G_OBJECT (self), "test-after"));

  if (!moon_application_set_api_key_finish (MOON_APPLICATION (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      /* The key stays in the row so nothing typed is lost. */
      set_status (self, "dialog-warning-symbolic", error->message, FALSE);
      return;
    }

  gtk_editable_set_text (GTK_EDITABLE (self->key_row), "");
  update_key_status (self);

  if (moon_application_get_has_api_key (self->application))
    {
      adw_preferences_dialog_add_toast (ADW_PREFERENCES_DIALOG (self),
                                        adw_toast_new (_("API key saved in the keyring")));
      if (test_after)
        test_key (self);
    }
}

static void
store_key (MoonPreferencesDialog *self,
           gboolean               test_after)
{
  const char *key = gtk_editable_get_text (GTK_EDITABLE (self->key_row));

  set_status (self, "dialog-information-symbolic", _("Saving the key…"), TRUE);
  g_object_set_data (G_OBJECT (self), "test-after", GINT_TO_POINTER (test_after));
  moon_application_set_api_key_async (self->application, key, self->cancellable,
                                      key_stored_cb, g_object_ref (self));
}

static void
key_apply_cb (MoonPreferencesDialog *self)
{
  store_key (self, TRUE);
}

static void
models_listed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(MoonPreferencesDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) models = NULL;
  g_autofree char *text = NULL;
  guint n;

  models = moon_client_list_models_finish (MOON_CLIENT (object), result, &error);
  if (models == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_status (self, "dialog-warning-symbolic", error->message, FALSE);
      return;
    }

  n = g_list_model_get_n_items (models);
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "The key works: %u model is available",
                                       "The key works: %u models are available", n),
                          n);
  set_status (self, "object-select-symbolic", text, FALSE);
  update_models (self);
}

static void
test_key (MoonPreferencesDialog *self)
{
  MoonClient *client = moon_application_get_client (self->application);

  if (!moon_client_has_api_key (client))
    {
      set_status (self, "dialog-warning-symbolic", _("Enter an API key first"), FALSE);
      return;
    }

  set_status (self, "dialog-information-symbolic", _("Asking the server for its models…"), TRUE);
  moon_client_invalidate_models (client);
  moon_client_list_models_async (client, self->cancellable, models_listed_cb, g_object_ref (self));
}

static void
test_clicked_cb (MoonPreferencesDialog *self)
{
  /* A key typed but not applied yet is what the user wants tested. */
  if (gtk_editable_get_text (GTK_EDITABLE (self->key_row))[0] != '\0')
    store_key (self, TRUE);
  else
    test_key (self);
}

static void
balance_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(MoonPreferencesDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  MoonBalance balance;
  const char *base_url;

  gtk_widget_set_sensitive (self->balance_button, TRUE);

  if (!moon_client_get_balance_finish (MOON_CLIENT (object), result, &balance, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        adw_action_row_set_subtitle (self->balance_row, error->message);
      return;
    }

  base_url = moon_client_get_base_url (MOON_CLIENT (object));
  if (g_str_equal (base_url, MOON_CLIENT_BASE_URL_CN))
    /* Translators: the account balance in yuan: available, cash and vouchers */
    text = g_strdup_printf (_("¥%.2f available (cash ¥%.2f, vouchers ¥%.2f)"),
                            balance.available_balance, balance.cash_balance, balance.voucher_balance);
  else if (g_str_equal (base_url, MOON_CLIENT_BASE_URL_GLOBAL))
    /* Translators: the account balance in US dollars: available, cash and vouchers */
    text = g_strdup_printf (_("$%.2f available (cash $%.2f, vouchers $%.2f)"),
                            balance.available_balance, balance.cash_balance, balance.voucher_balance);
  else
    /* Translators: the account balance in an unknown currency */
    text = g_strdup_printf (_("%.2f available (cash %.2f, vouchers %.2f)"),
                            balance.available_balance, balance.cash_balance, balance.voucher_balance);

  adw_action_row_set_subtitle (self->balance_row, text);
}

static void
balance_clicked_cb (MoonPreferencesDialog *self)
{
  gtk_widget_set_sensitive (self->balance_button, FALSE);
  adw_action_row_set_subtitle (self->balance_row, _("Checking…"));
  moon_client_get_balance_async (moon_application_get_client (self->application),
                                 self->cancellable, balance_cb, g_object_ref (self));
}

static void
model_selected_cb (MoonPreferencesDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->model_row);

  if (self->updating || self->models == NULL || selected == GTK_INVALID_LIST_POSITION)
    return;

  g_settings_set_string (self->settings, "default-model",
                         gtk_string_list_get_string (self->models, selected));
}

static void
moon_preferences_dialog_closed (AdwDialog *dialog)
{
  MoonPreferencesDialog *self = MOON_PREFERENCES_DIALOG (dialog);

  g_cancellable_cancel (self->cancellable);

  if (ADW_DIALOG_CLASS (moon_preferences_dialog_parent_class)->closed)
    ADW_DIALOG_CLASS (moon_preferences_dialog_parent_class)->closed (dialog);
}

static void
moon_preferences_dialog_dispose (GObject *object)
{
  MoonPreferencesDialog *self = MOON_PREFERENCES_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), MOON_TYPE_PREFERENCES_DIALOG);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->models);
  g_clear_object (&self->settings);
  g_clear_object (&self->application);

  G_OBJECT_CLASS (moon_preferences_dialog_parent_class)->dispose (object);
}

static void
moon_preferences_dialog_class_init (MoonPreferencesDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  AdwDialogClass *dialog_class = ADW_DIALOG_CLASS (klass);

  object_class->dispose = moon_preferences_dialog_dispose;
  dialog_class->closed = moon_preferences_dialog_closed;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/moon-preferences-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, MoonPreferencesDialog, endpoint_row);
  gtk_widget_class_bind_template_child (widget_class, MoonPreferencesDialog, custom_url_row);
  gtk_widget_class_bind_template_child (widget_class, MoonPreferencesDialog, key_row);
  gtk_widget_class_bind_template_child (widget_class, MoonPreferencesDialog, test_button);
  gtk_widget_class_bind_template_child (widget_class, MoonPreferencesDialog, status_row);
  gtk_widget_class_bind_template_child (widget_class, MoonPreferencesDialog, status_icon);
  gtk_widget_class_bind_template_child (widget_class, MoonPreferencesDialog, status_spinner);
  gtk_widget_class_bind_template_child (widget_class, MoonPreferencesDialog, balance_row);
  gtk_widget_class_bind_template_child (widget_class, MoonPreferencesDialog, balance_button);
  gtk_widget_class_bind_template_child (widget_class, MoonPreferencesDialog, model_row);
  gtk_widget_class_bind_template_child (widget_class, MoonPreferencesDialog, return_sends_row);
}

static void
moon_preferences_dialog_init (MoonPreferencesDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
}

/**
 * moon_preferences_dialog_new:
 * @application: the application whose settings and key to edit
 *
 * Returns: (transfer floating): the preferences dialog
 */
AdwDialog *
moon_preferences_dialog_new (MoonApplication *application)
{
  MoonPreferencesDialog *self;

  g_return_val_if_fail (MOON_IS_APPLICATION (application), NULL);

  self = g_object_new (MOON_TYPE_PREFERENCES_DIALOG, NULL);
  self->application = g_object_ref (application);
  self->settings = g_object_ref (moon_application_get_settings (application));

  g_settings_bind (self->settings, "return-sends", self->return_sends_row, "active",
                   G_SETTINGS_BIND_DEFAULT);

  update_endpoint (self);
  update_key_status (self);
  update_models (self);

  g_signal_connect_object (self->endpoint_row, "notify::selected",
                           G_CALLBACK (endpoint_selected_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->custom_url_row, "apply",
                           G_CALLBACK (custom_url_apply_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->key_row, "apply",
                           G_CALLBACK (key_apply_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->test_button, "clicked",
                           G_CALLBACK (test_clicked_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->balance_button, "clicked",
                           G_CALLBACK (balance_clicked_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model_row, "notify::selected",
                           G_CALLBACK (model_selected_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (application, "notify::client",
                           G_CALLBACK (client_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (application, "notify::has-api-key",
                           G_CALLBACK (update_key_status), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (application, "notify::api-key-checked",
                           G_CALLBACK (update_key_status), self, G_CONNECT_SWAPPED);

  return ADW_DIALOG (self);
}
