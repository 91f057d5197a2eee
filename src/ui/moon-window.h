/* moon-window.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "moon-application.h"

G_BEGIN_DECLS

#define MOON_TYPE_WINDOW (moon_window_get_type ())

G_DECLARE_FINAL_TYPE (MoonWindow, moon_window, MOON, WINDOW, AdwApplicationWindow)

MoonWindow *moon_window_new (MoonApplication *application);

G_END_DECLS
