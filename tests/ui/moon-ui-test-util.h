/* moon-ui-test-util.h — driving the real app in UI tests
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "moon-application.h"
#include "moon-window.h"

G_BEGIN_DECLS

/* Waiting: iterate the main loop until a condition holds (20 s at most). */
gboolean     moon_test_wait_cb          (gboolean  (*check) (gpointer),
                                         gpointer    data,
                                         guint       timeout_ms);
void         moon_test_run_for          (guint       ms);
void         moon_test_wait_frames      (GtkWidget  *widget,
                                         guint       n_frames);

#define moon_test_wait(cond)                                                    \
  G_STMT_START {                                                                \
    gint64 _moon_end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;           \
    while (!(cond))                                                             \
      {                                                                         \
        if (g_get_monotonic_time () > _moon_end)                                \
          g_error ("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #cond); \
        g_main_context_iteration (NULL, TRUE);                                  \
      }                                                                         \
  } G_STMT_END

/* Widgets */
GtkWidget   *moon_test_find_widget      (GtkWidget  *root,
                                         GType       type,
                                         const char *css_class);
GPtrArray   *moon_test_find_all         (GtkWidget  *root,
                                         GType       type);
GtkWidget   *moon_test_find_label       (GtkWidget  *root,
                                         const char *text);
GtkWidget   *moon_test_find_button      (GtkWidget  *root,
                                         const char *action_name);
void         moon_test_screenshot       (GtkWidget  *widget,
                                         const char *name);

/* A fake Kimi server on 127.0.0.1 */
typedef struct _MoonTestServer MoonTestServer;
typedef struct _MoonTestReply  MoonTestReply;

MoonTestReply  *moon_test_reply_new_stream     (const char     *reasoning,
                                                const char     *content,
                                                guint           n_pieces);
MoonTestReply  *moon_test_reply_new_error      (guint           status,
                                                const char     *type,
                                                const char     *message);
void            moon_test_reply_set_interval   (MoonTestReply  *reply,
                                                guint           ms);
void            moon_test_reply_set_hold_after (MoonTestReply  *reply,
                                                guint           n_events);
void            moon_test_reply_set_end_after  (MoonTestReply  *reply,
                                                guint           n_events);
guint           moon_test_reply_get_n_events   (MoonTestReply  *reply);

MoonTestServer *moon_test_server_new           (void);
void            moon_test_server_free          (MoonTestServer *self);
const char     *moon_test_server_get_base_url  (MoonTestServer *self);
void            moon_test_server_queue         (MoonTestServer *self,
                                                MoonTestReply  *reply);
void            moon_test_server_release       (MoonTestServer *self);
guint           moon_test_server_get_n_requests (MoonTestServer *self);
JsonObject     *moon_test_server_get_request   (MoonTestServer *self,
                                                guint           index);
guint           moon_test_server_get_n_open    (MoonTestServer *self);
guint           moon_test_server_get_n_held    (MoonTestServer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MoonTestServer, moon_test_server_free)

/* The app */
void             moon_test_store_key           (const char      *base_url,
                                                const char      *key);
MoonApplication *moon_test_app_start           (const char      *base_url);
MoonWindow      *moon_test_app_get_window      (MoonApplication *app);
void             moon_test_app_quit            (MoonApplication *app);
char            *moon_test_write_conversation  (MoonConversation *conversation);
GtkWidget       *moon_test_find_message_row    (MoonWindow       *window,
                                                MoonMessage      *message);

G_END_DECLS
