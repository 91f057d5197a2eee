/* moon-conversation-store.h
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "moon-conversation.h"
#include "moon-history-error.h"

G_BEGIN_DECLS

/**
 * MoonExportFormat:
 * @MOON_EXPORT_FORMAT_MARKDOWN: a readable Markdown document
 * @MOON_EXPORT_FORMAT_JSON: the history file format itself
 *
 * What moon_conversation_store_export_async() writes.
 */
typedef enum
{
  MOON_EXPORT_FORMAT_MARKDOWN,
  MOON_EXPORT_FORMAT_JSON,
} MoonExportFormat;

#define MOON_TYPE_EXPORT_FORMAT (moon_export_format_get_type ())
GType moon_export_format_get_type (void) G_GNUC_CONST;

#define MOON_TYPE_CONVERSATION_STORE (moon_conversation_store_get_type ())

G_DECLARE_FINAL_TYPE (MoonConversationStore, moon_conversation_store, MOON, CONVERSATION_STORE, GObject)

GFile                 *moon_conversation_store_get_default_directory (void);

MoonConversationStore *moon_conversation_store_new                 (GFile                  *directory);
GFile                 *moon_conversation_store_get_directory       (MoonConversationStore  *self);
GFile                 *moon_conversation_store_get_index_file      (MoonConversationStore  *self);
GFile                 *moon_conversation_store_get_file            (MoonConversationStore  *self,
                                                                    MoonConversation       *conversation);
guint                  moon_conversation_store_get_files_parsed    (MoonConversationStore  *self);

void                   moon_conversation_store_load_async          (MoonConversationStore  *self,
                                                                    GCancellable           *cancellable,
                                                                    GAsyncReadyCallback     callback,
                                                                    gpointer                user_data);
gboolean               moon_conversation_store_load_finish         (MoonConversationStore  *self,
                                                                    GAsyncResult           *result,
                                                                    GError                **error);

MoonConversation      *moon_conversation_store_create              (MoonConversationStore  *self);
MoonConversation      *moon_conversation_store_lookup              (MoonConversationStore  *self,
                                                                    const char             *id);
void                   moon_conversation_store_rename              (MoonConversationStore  *self,
                                                                    MoonConversation       *conversation,
                                                                    const char             *title);

void                   moon_conversation_store_ensure_loaded_async (MoonConversationStore  *self,
                                                                    MoonConversation       *conversation,
                                                                    GCancellable           *cancellable,
                                                                    GAsyncReadyCallback     callback,
                                                                    gpointer                user_data);
gboolean               moon_conversation_store_ensure_loaded_finish (MoonConversationStore *self,
                                                                    GAsyncResult           *result,
                                                                    GError                **error);

void                   moon_conversation_store_save                (MoonConversationStore  *self,
                                                                    MoonConversation       *conversation);
void                   moon_conversation_store_flush_async         (MoonConversationStore  *self,
                                                                    GCancellable           *cancellable,
                                                                    GAsyncReadyCallback     callback,
                                                                    gpointer                user_data);
gboolean               moon_conversation_store_flush_finish        (MoonConversationStore  *self,
                                                                    GAsyncResult           *result,
                                                                    GError                **error);

guint                  moon_conversation_store_delete              (MoonConversationStore  *self,
                                                                    MoonConversation       *conversation);
gboolean               moon_conversation_store_undo_delete         (MoonConversationStore  *self,
                                                                    guint                   token);
void                   moon_conversation_store_commit_delete_async (MoonConversationStore  *self,
                                                                    guint                   token,
                                                                    GCancellable           *cancellable,
                                                                    GAsyncReadyCallback     callback,
                                                                    gpointer                user_data);
gboolean               moon_conversation_store_commit_delete_finish (MoonConversationStore *self,
                                                                    GAsyncResult           *result,
                                                                    GFile                 **out_moved_to,
                                                                    GError                **error);

void                   moon_conversation_store_search_async        (MoonConversationStore  *self,
                                                                    const char             *query,
                                                                    GCancellable           *cancellable,
                                                                    GAsyncReadyCallback     callback,
                                                                    gpointer                user_data);
GListModel            *moon_conversation_store_search_finish       (MoonConversationStore  *self,
                                                                    GAsyncResult           *result,
                                                                    GError                **error);
GListModel            *moon_conversation_store_search              (MoonConversationStore  *self,
                                                                    const char             *query);

void                   moon_conversation_store_import_async        (MoonConversationStore  *self,
                                                                    GFile                  *source,
                                                                    GCancellable           *cancellable,
                                                                    GAsyncReadyCallback     callback,
                                                                    gpointer                user_data);
MoonConversation      *moon_conversation_store_import_finish       (MoonConversationStore  *self,
                                                                    GAsyncResult           *result,
                                                                    GError                **error);

void                   moon_conversation_store_export_async        (MoonConversationStore  *self,
                                                                    MoonConversation       *conversation,
                                                                    MoonExportFormat        format,
                                                                    GFile                  *destination,
                                                                    GCancellable           *cancellable,
                                                                    GAsyncReadyCallback     callback,
                                                                    gpointer                user_data);
gboolean               moon_conversation_store_export_finish       (MoonConversationStore  *self,
                                                                    GAsyncResult           *result,
                                                                    GError                **error);

G_END_DECLS
