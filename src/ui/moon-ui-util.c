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
