/* moon-composer.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "moon-message.h"

G_BEGIN_DECLS

#define MOON_TYPE_COMPOSER (moon_composer_get_type ())

G_DECLARE_FINAL_TYPE (MoonComposer, moon_composer, MOON, COMPOSER, GtkWidget)

GtkWidget     *moon_composer_new              (void);
char          *moon_composer_dup_text         (MoonComposer *self);
void           moon_composer_set_text         (MoonComposer *self,
                                               const char   *text);
gboolean       moon_composer_get_busy         (MoonComposer *self);
void           moon_composer_set_busy         (MoonComposer *self,
                                               gboolean      busy);
gboolean       moon_composer_get_can_send     (MoonComposer *self);
void           moon_composer_set_can_send     (MoonComposer *self,
                                               gboolean      can_send);
gboolean       moon_composer_get_return_sends (MoonComposer *self);
void           moon_composer_set_return_sends (MoonComposer *self,
                                               gboolean      return_sends);
MoonMessage   *moon_composer_get_editing      (MoonComposer *self);
void           moon_composer_set_editing      (MoonComposer *self,
                                               MoonMessage  *message);
GtkTextView   *moon_composer_get_text_view    (MoonComposer *self);
gboolean       moon_composer_send             (MoonComposer *self);

G_END_DECLS
