/* moon-fault-cases.h — the network fault matrix, one table for every front end
 *
 * Each case scripts a real fault on real sockets (a SoupServer on 127.0.0.1,
 * a self-signed HTTPS server, a closed port, an unresolvable name) and says
 * what the user must see: the error (code and text), the reply text that is
 * kept, and that asking again works once the server has recovered.
 * test-fault-matrix-cli.c drives it through moonchat-cli; a window test can
 * drive the same table through the main window.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "moon-api-error.h"
#include "moon-test-server.h"

G_BEGIN_DECLS

#define MOON_FAULT_CHAT_PATH "/v1/chat/completions"

/* The reply a healthy server streams, and the part of it before a fault
 * that strikes after the third delta. */
#define MOON_FAULT_FULL_REPLY  "Once upon a time there was a fox."
#define MOON_FAULT_FIRST_THREE "Once upon a time"

/* What a case needs on the network. One rig serves every case in turn. */
typedef struct
{
  MoonTestServer  *server;       /* plain HTTP on 127.0.0.1: scripted faults, then recovery */
  MoonTestServer  *tls_server;   /* HTTPS with a self-signed certificate */
  MoonTestServer  *late_server;  /* started on the refused port when it "recovers" */
  guint            free_port;    /* nothing listens there */
  char            *url;          /* the base URL of the current attempt */
} MoonFaultRig;

typedef struct _MoonFaultCase MoonFaultCase;

struct _MoonFaultCase
{
  const char  *name;
  /* Scripts the fault on the rig and returns the base URL to ask. */
  const char *(*inject)  (const MoonFaultCase *fault,
                          MoonFaultRig        *rig);
  /* For an error response: its status, type and body. */
  guint        status;
  const char  *content_type;
  const char  *body;
  /* The outcome: success, or this MoonApiError with this text. */
  gboolean     succeeds;
  MoonApiError code;
  const char  *message;          /* part of the error text shown */
  const char  *request_id;       /* shown with the error, when the server sent one */
  const char  *kept;             /* the reply text the user keeps ("" for none) */
  guint        idle_timeout;     /* seconds; 0: the default */
  gboolean     client_retries;   /* the client retries by itself (rate limit) */
  guint        attempts;         /* requests the server sees (0: none reached it) */
  int          cli_exit;         /* moonchat-cli's exit status */
};

extern const MoonFaultCase moon_fault_cases[];
extern const guint         moon_fault_n_cases;

void        moon_fault_rig_init     (MoonFaultRig        *rig);
void        moon_fault_rig_clear    (MoonFaultRig        *rig);
const char *moon_fault_inject       (const MoonFaultCase *fault,
                                     MoonFaultRig        *rig);
const char *moon_fault_recover      (const MoonFaultCase *fault,
                                     MoonFaultRig        *rig);
guint       moon_fault_count_requests (MoonFaultRig      *rig);
GBytes     *moon_fault_stream       (guint                n_deltas,
                                     gboolean             finish,
                                     gboolean             done);

G_END_DECLS
