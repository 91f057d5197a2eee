/* moon-ui-util.h — small helpers shared by widgets
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "moon-client.h"

G_BEGIN_DECLS

GtkStringList *moon_model_ids_new         (MoonClient    *client,
                                           const char    *must_include);
guint          moon_string_list_find      (GtkStringList *list,
                                           const char    *string);
void           moon_widget_set_tooltip_on_demand (GtkWidget  *widget,
                                                  const char *text);

G_END_DECLS
