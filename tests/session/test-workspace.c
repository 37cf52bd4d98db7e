/* test-workspace.c: a project's parts, put together
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>
#include <glib/gstdio.h>

#include "tessera-e2b-sandbox.h"
#include "tessera-fake-llm-server.h"
#include "tessera-local-sandbox.h"
#include "tessera-workspace.h"

#define WAIT_UNTIL(condition)                                                   \
  G_STMT_START {                                                                \
    gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;            \
    while (!(condition))                                                        \
      {                                                                         \
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);                 \
        g_main_context_iteration (NULL, TRUE);                                  \
      }                                                                         \
  } G_STMT_END

typedef struct
{
  char           *tmp;
  TesseraProject *project;
  GSettings      *settings;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GFile) parent = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();

  fixture->tmp = g_dir_make_tmp ("tessera-workspace-XXXXXX", NULL);
  parent = g_file_new_for_path (fixture->tmp);
  fixture->project = tessera_project_create (parent, "app", NULL, &error);
  g_assert_no_error (error);
  fixture->settings = g_settings_new_with_backend (SCHEMA_ID, backend);

  g_unsetenv ("TESSERA_SANDBOX");
  g_unsetenv ("OPENAI_API_KEY");
  g_unsetenv ("OPENAI_BASE_URL");
  g_unsetenv ("ANTHROPIC_API_KEY");
  g_unsetenv ("ANTHROPIC_BASE_URL");
  g_unsetenv ("OLLAMA_HOST");
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->project);
  g_clear_object (&fixture->settings);
  g_unsetenv ("TESSERA_SANDBOX");
  g_unsetenv ("OPENAI_API_KEY");
  g_unsetenv ("OPENAI_BASE_URL");
  g_free (fixture->tmp);
}

static void
started_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (tessera_workspace_start_finish (TESSERA_WORKSPACE (object), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

/* Where the app runs: the project's choice, then TESSERA_SANDBOX, then
 * the preferences. */
static void
test_backend_choice (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(TesseraWorkspace) local = tessera_workspace_new (fixture->project, fixture->settings);
  g_autoptr(TesseraWorkspace) from_settings = NULL;
  g_autoptr(TesseraWorkspace) from_env = NULL;
  g_autoptr(TesseraWorkspace) from_project = NULL;

  g_assert_cmpstr (tessera_workspace_get_backend (local), ==, "local");
  g_assert_true (TESSERA_IS_LOCAL_SANDBOX (tessera_workspace_get_sandbox (local)));

  g_settings_set_string (fixture->settings, "default-sandbox", "e2b");
  from_settings = tessera_workspace_new (fixture->project, fixture->settings);
  g_assert_cmpstr (tessera_workspace_get_backend (from_settings), ==, "e2b");
  g_assert_true (TESSERA_IS_E2B_SANDBOX (tessera_workspace_get_sandbox (from_settings)));

  g_settings_set_string (fixture->settings, "default-sandbox", "local");
  g_setenv ("TESSERA_SANDBOX", "e2b", TRUE);
  from_env = tessera_workspace_new (fixture->project, fixture->settings);
  g_assert_cmpstr (tessera_workspace_get_backend (from_env), ==, "e2b");

  g_assert_true (tessera_project_set_setting (fixture->project, "sandbox", "local", NULL));
  from_project = tessera_workspace_new (fixture->project, fixture->settings);
  g_assert_cmpstr (tessera_workspace_get_backend (from_project), ==, "local");
}

/* The local sandbox takes the project's and the preferences' options. */
static void
test_local_options (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(TesseraWorkspace) workspace = NULL;
  gboolean network = TRUE;
  guint memory = 0;

  g_settings_set_uint (fixture->settings, "sandbox-memory-limit-mb", 1536);
  g_assert_true (tessera_project_set_setting (fixture->project, "network", "off", NULL));
  workspace = tessera_workspace_new (fixture->project, fixture->settings);

  g_object_get (tessera_workspace_get_sandbox (workspace), "network", &network, "memory-mb", &memory, NULL);
  g_assert_false (network);
  g_assert_cmpuint (memory, ==, 1536);
}

/* With a provider and model in the preferences, the session uses them
 * and the request reaches that server. */
static void
test_provider_from_settings (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(TesseraFakeLlmServer) server = tessera_fake_llm_server_new ();
  g_autoptr(TesseraWorkspace) workspace = NULL;
  TesseraSession *session;
  gboolean started = FALSE;

  g_settings_set_string (fixture->settings, "default-provider", "custom");
  g_settings_set_string (fixture->settings, "default-base-url", tessera_fake_llm_server_get_openai_url (server));
  g_settings_set_string (fixture->settings, "default-model", "chosen-model");

  workspace = tessera_workspace_new (fixture->project, fixture->settings);
  tessera_workspace_start_async (workspace, NULL, started_cb, &started);
  WAIT_UNTIL (started && tessera_workspace_get_provider_ready (workspace));

  session = tessera_workspace_get_session (workspace);
  g_assert_cmpstr (tessera_session_get_model (session), ==, "chosen-model");
  g_assert_nonnull (strstr (tessera_workspace_get_provider_status (workspace), "chosen-model"));

  /* The project's own choice wins, and a provider's model never mixes
   * with another provider's. */
  g_assert_true (tessera_project_set_setting (fixture->project, "ai-provider", "custom", NULL));
  g_assert_true (tessera_project_set_setting (fixture->project, "ai-base-url",
                                              tessera_fake_llm_server_get_openai_url (server), NULL));
  g_assert_true (tessera_project_set_setting (fixture->project, "ai-model", "project-model", NULL));
  tessera_workspace_reload_provider (workspace);
  WAIT_UNTIL (tessera_workspace_get_provider_ready (workspace) &&
              g_strcmp0 (tessera_session_get_model (session), "project-model") == 0);

  tessera_workspace_shutdown (workspace);
}

/* Without any choice, the providers' environment variables, with the
 * first model the provider lists. */
static void
test_provider_from_env (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(TesseraFakeLlmServer) server = tessera_fake_llm_server_new ();
  static const char *models[] = { "first-model", "second-model", NULL };
  g_autoptr(TesseraWorkspace) workspace = NULL;
  gboolean started = FALSE;

  tessera_fake_llm_server_set_models (server, models);
  g_setenv ("OPENAI_BASE_URL", tessera_fake_llm_server_get_openai_url (server), TRUE);
  g_setenv ("OPENAI_API_KEY", "sk-workspace-test", TRUE);

  workspace = tessera_workspace_new (fixture->project, fixture->settings);
  tessera_workspace_start_async (workspace, NULL, started_cb, &started);
  WAIT_UNTIL (started && tessera_workspace_get_provider_ready (workspace));

  g_assert_cmpstr (tessera_session_get_model (tessera_workspace_get_session (workspace)), ==, "first-model");
  tessera_workspace_shutdown (workspace);
}

/* Starting the workspace starts the app: the new project's starter page
 * is served and answers. */
static void
test_starts_app (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(TesseraWorkspace) workspace = tessera_workspace_new (fixture->project, fixture->settings);
  TesseraRunner *runner = tessera_workspace_get_runner (workspace);
  gboolean started = FALSE;

  tessera_workspace_start_async (workspace, NULL, started_cb, &started);
  WAIT_UNTIL (started);
  WAIT_UNTIL (tessera_runner_get_state (runner) == TESSERA_RUNNER_READY ||
              tessera_runner_get_state (runner) == TESSERA_RUNNER_CRASHED);
  g_assert_cmpint (tessera_runner_get_state (runner), ==, TESSERA_RUNNER_READY);
  g_assert_true (g_str_has_prefix (tessera_runner_get_url (runner), "http://127.0.0.1:"));

  tessera_workspace_shutdown (workspace);
  WAIT_UNTIL (tessera_runner_get_state (runner) != TESSERA_RUNNER_READY);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/workspace/backend-choice", Fixture, NULL, fixture_set_up, test_backend_choice, fixture_tear_down);
  g_test_add ("/workspace/local-options", Fixture, NULL, fixture_set_up, test_local_options, fixture_tear_down);
  g_test_add ("/workspace/provider-from-settings", Fixture, NULL, fixture_set_up, test_provider_from_settings, fixture_tear_down);
  g_test_add ("/workspace/provider-from-env", Fixture, NULL, fixture_set_up, test_provider_from_env, fixture_tear_down);
  g_test_add ("/workspace/starts-app", Fixture, NULL, fixture_set_up, test_starts_app, fixture_tear_down);

  return g_test_run ();
}
