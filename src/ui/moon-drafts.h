/* moon-drafts.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MOON_TYPE_DRAFTS (moon_drafts_get_type ())

G_DECLARE_FINAL_TYPE (MoonDrafts, moon_drafts, MOON, DRAFTS, GObject)

MoonDrafts *moon_drafts_new          (GFile               *file);
GFile      *moon_drafts_get_default_file (void);
GFile      *moon_drafts_get_file     (MoonDrafts          *self);
void        moon_drafts_load_async   (MoonDrafts          *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean    moon_drafts_load_finish  (MoonDrafts          *self,
                                      GAsyncResult        *result,
                                      GError             **error);
gboolean    moon_drafts_get_loaded   (MoonDrafts          *self);
const char *moon_drafts_get          (MoonDrafts          *self,
                                      const char          *conversation_id);
void        moon_drafts_set          (MoonDrafts          *self,
                                      const char          *conversation_id,
                                      const char          *text);
void        moon_drafts_flush_async  (MoonDrafts          *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean    moon_drafts_flush_finish (MoonDrafts          *self,
                                      GAsyncResult        *result,
                                      GError             **error);

G_END_DECLS
