/* moon-ui-util.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-ui-util"

#include "config.h"

#include <glib/gi18n.h>

#include "moon-ui-util.h"

/* Offered before /models has answered (or when it cannot be reached). */
static const char *fallback_models[] = {
  "kimi-k2.5",
  "kimi-k2-turbo-preview",
  "kimi-k2-thinking",
  "moonshot-v1-auto",
};

/**
 * moon_model_ids_new:
 * @client: (nullable): a client whose cached model list to use
 * @must_include: (nullable): a model id that must be in the list
 *
 * The model ids to offer: the client's cached `/models` list, or a few
 * well-known ones before it is known, plus @must_include.
 *
 * Returns: (transfer full): a new list of ids
 */
GtkStringList *
moon_model_ids_new (MoonClient *client,
                    const char *must_include)
{
  GtkStringList *list = gtk_string_list_new (NULL);
  GListModel *models = client ? moon_client_get_cached_models (client) : NULL;

  if (models != NULL && g_list_model_get_n_items (models) > 0)
    {
      for (guint i = 0; i < g_list_model_get_n_items (models); i++)
        {
          g_autoptr(MoonModelInfo) info = g_list_model_get_item (models, i);

          gtk_string_list_append (list, moon_model_info_get_id (info));
        }
    }
  else
    {
      for (guint i = 0; i < G_N_ELEMENTS (fallback_models); i++)
        gtk_string_list_append (list, fallback_models[i]);
    }

  if (must_include != NULL && must_include[0] != '\0' &&
      moon_string_list_find (list, must_include) == GTK_INVALID_LIST_POSITION)
    gtk_string_list_append (list, must_include);

  return list;
}

/**
 * moon_string_list_find:
 * @list: a #GtkStringList
 * @string: what to look for
 *
 * Returns: its position, or %GTK_INVALID_LIST_POSITION
 */
guint
moon_string_list_find (GtkStringList *list,
                       const char    *string)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (list));

  for (guint i = 0; i < n; i++)
    {
      if (g_strcmp0 (gtk_string_list_get_string (list, i), string) == 0)
        return i;
    }

  return GTK_INVALID_LIST_POSITION;
}

static GQuark tooltip_quark;

static gboolean
query_tooltip_cb (GtkWidget  *widget,
                  int         x,
                  int         y,
                  gboolean    keyboard_mode,
                  GtkTooltip *tooltip,
                  gpointer    user_data)
{
  const char *text = g_object_get_qdata (G_OBJECT (widget), tooltip_quark);

  if (text == NULL)
    return FALSE;

  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

/**
 * moon_widget_set_tooltip_on_demand:
 * @widget: a widget
 * @text: (nullable): the tooltip, or %NULL for none
 *
 * Like gtk_widget_set_tooltip_text(), but GTK only gets the text when it is
 * about to show a tooltip. gtk_widget_set_tooltip_text() on a visible
 * widget re-checks the tooltip under the pointer at once, which on X11 asks
 * the X server where the pointer is: two round trips each time. Rows of a
 * list view (some 200 of them alive at once) and a row re-rendered every
 * frame while a reply streams add that up to seconds.
 */
void
moon_widget_set_tooltip_on_demand (GtkWidget  *widget,
                                   const char *text)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  if (G_UNLIKELY (tooltip_quark == 0))
    tooltip_quark = g_quark_from_static_string ("moon-tooltip-on-demand");

  if (g_object_get_qdata (G_OBJECT (widget), tooltip_quark) == NULL &&
      g_signal_handler_find (widget, G_SIGNAL_MATCH_FUNC, 0, 0, NULL, query_tooltip_cb, NULL) == 0)
    g_signal_connect (widget, "query-tooltip", G_CALLBACK (query_tooltip_cb), NULL);

  g_object_set_qdata_full (G_OBJECT (widget), tooltip_quark,
                           text != NULL && text[0] != '\0' ? g_strdup (text) : NULL, g_free);
  gtk_widget_set_has_tooltip (widget, text != NULL && text[0] != '\0');
}
