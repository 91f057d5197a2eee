/* moon-test-util.h — helpers shared by the API tests
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

char       *moon_test_fixture_path  (const char  *first_element,
                                     ...) G_GNUC_NULL_TERMINATED;
GBytes     *moon_test_load_fixture  (const char  *first_element,
                                     ...) G_GNUC_NULL_TERMINATED;
JsonNode   *moon_test_load_json     (const char  *first_element,
                                     ...) G_GNUC_NULL_TERMINATED;
GBytes     *moon_test_hex_decode    (const char  *hex);
void        moon_test_wait_for      (gboolean    *flag);
char       *moon_test_slug          (const char  *name);

G_END_DECLS
