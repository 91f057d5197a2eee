/* moon-test-server.h — a real SoupServer on 127.0.0.1 that plays scripted
 * responses: whole or streamed in (random) pieces with delays, stalling,
 * resetting the connection, or generating a huge line lazily.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef enum
{
  MOON_TEST_END_COMPLETE,  /* end the body normally */
  MOON_TEST_END_STALL,     /* stop sending; keep the connection open */
  MOON_TEST_END_RESET,     /* close the connection in the middle of the body */
} MoonTestEnd;

typedef struct
{
  char        *path;           /* request path it answers, e.g. "/v1/chat/completions" */
  guint        status;
  char        *content_type;   /* NULL: no Content-Type */
  GPtrArray   *headers;        /* name, value, name, value, ... */
  GBytes      *body;
  gsize        min_piece;      /* 0: the body in one go (Content-Length) */
  gsize        max_piece;
  guint        delay_ms;       /* between pieces */
  guint        first_delay_ms; /* before the response starts */
  MoonTestEnd  end;
  gsize        end_after;      /* STALL/RESET after this many body bytes */
  gsize        generate;       /* send "data: " and this many 'x' lazily */
} MoonTestResponse;

typedef struct _MoonTestServer MoonTestServer;

MoonTestResponse *moon_test_response_new          (const char        *path,
                                                   guint              status,
                                                   const char        *content_type,
                                                   GBytes            *body);
MoonTestResponse *moon_test_response_new_text     (const char        *path,
                                                   guint              status,
                                                   const char        *content_type,
                                                   const char        *body);
void              moon_test_response_add_header   (MoonTestResponse  *response,
                                                   const char        *name,
                                                   const char        *value);
void              moon_test_response_free         (MoonTestResponse  *response);

MoonTestServer   *moon_test_server_new            (void);
MoonTestServer   *moon_test_server_new_full       (GTlsCertificate   *certificate,
                                                   guint              port);
void              moon_test_server_free           (MoonTestServer    *server);
const char       *moon_test_server_get_base_url   (MoonTestServer    *server);
guint             moon_test_server_get_port       (MoonTestServer    *server);
void              moon_test_server_push           (MoonTestServer    *server,
                                                   MoonTestResponse  *response);
guint             moon_test_server_get_n_pending  (MoonTestServer    *server);
guint             moon_test_server_count          (MoonTestServer    *server,
                                                   const char        *path);
guint             moon_test_server_get_n_unexpected (MoonTestServer  *server);
const char       *moon_test_server_get_last_header (MoonTestServer   *server,
                                                   const char        *name);
GBytes           *moon_test_server_get_last_body  (MoonTestServer    *server);
gsize             moon_test_server_get_bytes_sent (MoonTestServer    *server);
gboolean          moon_test_server_get_finished   (MoonTestServer    *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MoonTestServer, moon_test_server_free)

G_END_DECLS
