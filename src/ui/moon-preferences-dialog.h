/* moon-preferences-dialog.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "moon-application.h"

G_BEGIN_DECLS

#define MOON_TYPE_PREFERENCES_DIALOG (moon_preferences_dialog_get_type ())

G_DECLARE_FINAL_TYPE (MoonPreferencesDialog, moon_preferences_dialog, MOON, PREFERENCES_DIALOG, AdwPreferencesDialog)

AdwDialog *moon_preferences_dialog_new (MoonApplication *application);

G_END_DECLS
