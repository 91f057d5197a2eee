/* moon-message-row.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "moon-message.h"

G_BEGIN_DECLS

#define MOON_TYPE_MESSAGE_ROW (moon_message_row_get_type ())

G_DECLARE_FINAL_TYPE (MoonMessageRow, moon_message_row, MOON, MESSAGE_ROW, GtkWidget)

GtkWidget   *moon_message_row_new            (void);
MoonMessage *moon_message_row_get_message    (MoonMessageRow *self);
void         moon_message_row_set_message    (MoonMessageRow *self,
                                              MoonMessage    *message);
guint        moon_message_row_get_n_renders  (MoonMessageRow *self);

void         moon_message_note_duration      (MoonMessage    *message,
                                              gint64          microseconds);
gint64       moon_message_get_noted_duration (MoonMessage    *message);

G_END_DECLS
