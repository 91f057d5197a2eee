/* moon-list-mirror.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MOON_TYPE_LIST_MIRROR (moon_list_mirror_get_type ())

G_DECLARE_FINAL_TYPE (MoonListMirror, moon_list_mirror, MOON, LIST_MIRROR, GObject)

MoonListMirror *moon_list_mirror_new       (GListModel     *model);
GListModel     *moon_list_mirror_get_model (MoonListMirror *self);

G_END_DECLS
