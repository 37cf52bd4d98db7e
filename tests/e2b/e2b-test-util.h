/* e2b-test-util.h: helpers the e2b layer's tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-e2b-client.h"
#include "tessera-e2b-test-server.h"

G_BEGIN_DECLS

/* Shaped like a real key, so the client's own checks accept it. */
#define E2B_TEST_API_KEY "e2b_0123456789abcdef0123456789abcdef01234567"

TesseraE2bClient *e2b_test_client_new (TesseraE2bTestServer  *server);
void              e2b_test_on_result  (GObject               *source,
                                       GAsyncResult          *result,
                                       gpointer               user_data);
GAsyncResult     *e2b_test_wait_for   (GAsyncResult         **slot);

G_END_DECLS
