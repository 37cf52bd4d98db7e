/* tessera-e2b-test-server.h: a loopback stand-in for E2B's control plane and envd
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  /* The next N control-plane requests answer 429 with Retry-After: 0. */
  TESSERA_E2B_TEST_FAULT_RATE_LIMIT,
  /* The next N envd requests answer 502 as the edge proxy does when it
   * cannot reach envd (not "sandbox not found"). */
  TESSERA_E2B_TEST_FAULT_PROXY_ERROR,
  /* The next N process streams (Start/Connect) end right after the start
   * event without an end-stream message; the process keeps running. */
  TESSERA_E2B_TEST_FAULT_DROP_STREAM,
} TesseraE2bTestFault;

#define TESSERA_TYPE_E2B_TEST_SERVER (tessera_e2b_test_server_get_type ())
G_DECLARE_FINAL_TYPE (TesseraE2bTestServer, tessera_e2b_test_server, TESSERA, E2B_TEST_SERVER, GObject)

/* Listens on 127.0.0.1 (a free port) for both the API and envd: point
 * E2B_API_URL and E2B_SANDBOX_URL at tessera_e2b_test_server_get_url(). */
TesseraE2bTestServer *tessera_e2b_test_server_new               (const char           *api_key,
                                                                 GError              **error);
const char           *tessera_e2b_test_server_get_url           (TesseraE2bTestServer *self);
const char           *tessera_e2b_test_server_get_api_key       (TesseraE2bTestServer *self);
/* Every request waits @latency_ms before it is answered. */
void                  tessera_e2b_test_server_set_latency       (TesseraE2bTestServer *self,
                                                                 guint                 latency_ms);
void                  tessera_e2b_test_server_inject_fault      (TesseraE2bTestServer *self,
                                                                 TesseraE2bTestFault   fault,
                                                                 guint                 count);
/* Makes the sandbox vanish as a timed-out one does: its processes die, the
 * API answers 404 and envd's proxy 502 "The sandbox was not found". */
gboolean              tessera_e2b_test_server_expire_sandbox    (TesseraE2bTestServer *self,
                                                                 const char           *sandbox_id);
guint                 tessera_e2b_test_server_get_n_sandboxes   (TesseraE2bTestServer *self);
/* "running", "paused" or NULL when there is no such sandbox. */
const char           *tessera_e2b_test_server_get_sandbox_state (TesseraE2bTestServer *self,
                                                                 const char           *sandbox_id);
/* The local folder standing in for the sandbox's /home/user. */
GFile                *tessera_e2b_test_server_get_sandbox_home  (TesseraE2bTestServer *self,
                                                                 const char           *sandbox_id);
/* Requests seen for METHOD and PATH (either NULL matches all). */
guint                 tessera_e2b_test_server_get_request_count (TesseraE2bTestServer *self,
                                                                 const char           *method,
                                                                 const char           *path);
void                  tessera_e2b_test_server_reset_counts      (TesseraE2bTestServer *self);

G_END_DECLS
