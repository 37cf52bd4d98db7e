/* e2b-test-util.c: helpers the e2b layer's tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "e2b-test-util.h"

/* A client that talks to @server for both the control plane and envd,
 * and retries without waiting so that tests stay fast. */
TesseraE2bClient *
e2b_test_client_new (TesseraE2bTestServer *server)
{
  TesseraE2bClient *client = tessera_e2b_client_new ();

  tessera_e2b_client_set_api_key (client, E2B_TEST_API_KEY);
  tessera_e2b_client_set_domain (client, "e2b.test");
  tessera_e2b_client_set_api_url (client, tessera_e2b_test_server_get_url (server));
  tessera_e2b_client_set_sandbox_url (client, tessera_e2b_test_server_get_url (server));
  tessera_e2b_client_set_retry_delay (client, 1);
  return client;
}

/* An async callback that keeps the result in the GAsyncResult* that
 * @user_data points to, for e2b_test_wait_for(). */
void
e2b_test_on_result (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

GAsyncResult *
e2b_test_wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}
