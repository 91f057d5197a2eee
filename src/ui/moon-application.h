/* moon-application.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define MOON_TYPE_APPLICATION (moon_application_get_type ())

G_DECLARE_FINAL_TYPE (MoonApplication, moon_application, MOON, APPLICATION, AdwApplication)

MoonApplication *moon_application_new (const char        *application_id,
                                       GApplicationFlags  flags);

G_END_DECLS
