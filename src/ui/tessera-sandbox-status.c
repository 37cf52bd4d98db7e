/* tessera-sandbox-status.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-sandbox-status"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-e2b-sandbox.h"
#include "tessera-local-sandbox.h"
#include "tessera-sandbox-status.h"

/* What "Extend" adds to the time left. */
#define EXTEND_SECONDS (5 * 60)

struct _TesseraSandboxStatus
{
  AdwBin          parent_instance;

  TesseraSandbox *sandbox;
  GCancellable   *cancellable;
  /* Ticks once a second, only while the popover is open. */
  guint           tick_source;
  /* An Extend or Close is under way. */
  gboolean        busy;
  /* Set while the switches follow the sandbox, so that following writes
   * nothing back. */
  gboolean        updating;

  GtkMenuButton  *button;
  GtkStack       *icon_stack;
  GtkImage       *icon;
  GtkSpinner     *spinner;
  GtkPopover     *popover;
  GtkLabel       *title_label;
  GtkLabel       *state_label;
  GtkLabel       *detail_label;
  GtkWidget      *e2b_box;
  GtkLabel       *time_left_label;
  GtkButton      *extend_button;
  GtkSwitch      *keep_alive_switch;
  GtkSwitch      *pin_switch;
  GtkLabel       *error_label;
  GtkButton      *close_button;
  GtkButton      *settings_button;
};

G_DEFINE_FINAL_TYPE (TesseraSandboxStatus, tessera_sandbox_status, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SANDBOX,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static TesseraE2bSandbox *
get_e2b (TesseraSandboxStatus *self)
{
  if (self->sandbox != NULL && TESSERA_IS_E2B_SANDBOX (self->sandbox))
    return TESSERA_E2B_SANDBOX (self->sandbox);

  return NULL;
}

static const char *
state_sentence (TesseraSandbox *sandbox)
{
  const char *message;

  if (sandbox == NULL)
    return _("Not running yet");

  message = tessera_sandbox_get_status_message (sandbox);
  if (message != NULL && message[0] != '\0')
    return message;

  switch (tessera_sandbox_get_state (sandbox))
    {
    case TESSERA_SANDBOX_STARTING:
      return _("Starting…");
    case TESSERA_SANDBOX_READY:
      return _("Running");
    case TESSERA_SANDBOX_FAILED:
      return _("The sandbox could not start");
    case TESSERA_SANDBOX_EXPIRED:
      return _("The sandbox expired");
    case TESSERA_SANDBOX_STOPPED:
    default:
      return _("Not running");
    }
}

static char *
time_left_text (TesseraE2bSandbox *e2b)
{
  GDateTime *end = tessera_e2b_sandbox_get_end_time (e2b);
  g_autoptr(GDateTime) now = NULL;
  gint64 seconds;

  if (end == NULL || tessera_sandbox_get_state (TESSERA_SANDBOX (e2b)) != TESSERA_SANDBOX_READY)
    return g_strdup (_("Time left: unknown"));

  now = g_date_time_new_now_utc ();
  seconds = g_date_time_difference (end, now) / G_USEC_PER_SEC;

  if (seconds <= 0)
    return g_strdup (_("Time is up"));
  if (seconds < 60)
    return g_strdup_printf (ngettext ("Time left: %u second", "Time left: %u seconds", (gulong) seconds),
                            (guint) seconds);

  /* Rounded up: "1 min" while more than a minute remains. */
  seconds = (seconds + 59) / 60;
  return g_strdup_printf (ngettext ("Time left: %u min", "Time left: %u min", (gulong) seconds),
                          (guint) seconds);
}

static void
update_time_left (TesseraSandboxStatus *self)
{
  TesseraE2bSandbox *e2b = get_e2b (self);
  g_autofree char *text = NULL;

  if (e2b == NULL)
    return;

  text = time_left_text (e2b);
  gtk_label_set_text (self->time_left_label, text);
}

static const char *
local_detail (TesseraLocalSandbox *local)
{
  TesseraLauncher *launcher = tessera_local_sandbox_get_launcher (local);

  if (tessera_local_sandbox_get_unavailable (local))
    return _("This computer cannot run the app in a sandbox (bubblewrap is missing or cannot work here)");

  if (launcher == NULL)
    return _("Runs on this computer in a sandbox (bubblewrap)");

  switch (tessera_launcher_get_kind (launcher))
    {
    case TESSERA_LAUNCHER_UNSANDBOXED:
      return _("Running on this computer without a sandbox: the app can read and change your files");
    case TESSERA_LAUNCHER_FLATPAK_SPAWN:
      return _("Running on this computer in a Flatpak sandbox");
    case TESSERA_LAUNCHER_BWRAP:
    case TESSERA_LAUNCHER_FLATPAK_HOST_BWRAP:
    default:
      return _("Running on this computer in a sandbox (bubblewrap)");
    }
}

static gboolean
is_unsandboxed (TesseraSandbox *sandbox)
{
  TesseraLauncher *launcher;

  if (sandbox == NULL || !TESSERA_IS_LOCAL_SANDBOX (sandbox))
    return FALSE;

  launcher = tessera_local_sandbox_get_launcher (TESSERA_LOCAL_SANDBOX (sandbox));
  return launcher != NULL && tessera_launcher_get_kind (launcher) == TESSERA_LAUNCHER_UNSANDBOXED;
}

static void
update (TesseraSandboxStatus *self)
{
  TesseraE2bSandbox *e2b = get_e2b (self);
  TesseraSandboxState state = self->sandbox != NULL ? tessera_sandbox_get_state (self->sandbox)
                                                    : TESSERA_SANDBOX_STOPPED;
  const char *where = e2b != NULL ? _("E2B Cloud") : _("This Computer");
  const char *sentence = state_sentence (self->sandbox);
  gboolean failed = state == TESSERA_SANDBOX_FAILED || state == TESSERA_SANDBOX_EXPIRED;
  gboolean starting = state == TESSERA_SANDBOX_STARTING;
  g_autofree char *label = NULL;

  gtk_image_set_from_icon_name (self->icon,
                                failed ? "dialog-warning-symbolic"
                                : e2b != NULL ? "weather-overcast-symbolic"
                                : "computer-symbolic");
  gtk_stack_set_visible_child_name (self->icon_stack, starting ? "spinner" : "icon");
  gtk_spinner_set_spinning (self->spinner, starting);

  if (failed || is_unsandboxed (self->sandbox))
    gtk_widget_add_css_class (GTK_WIDGET (self->button), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->button), "error");

  /* Translators: where the app runs and how it is doing, e.g.
   * "E2B Cloud: Running"; the header bar button's tooltip and label for
   * screen readers. */
  label = g_strdup_printf (_("%s: %s"), where, sentence);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->button), label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);

  gtk_label_set_text (self->title_label, where);
  gtk_label_set_text (self->state_label, sentence);
  if (failed)
    gtk_widget_add_css_class (GTK_WIDGET (self->state_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), "error");

  gtk_widget_set_visible (self->e2b_box, e2b != NULL);

  if (e2b != NULL)
    {
      const char *id = tessera_e2b_sandbox_get_sandbox_id (e2b);
      g_autofree char *detail = NULL;

      if (id != NULL)
        /* Translators: %s is E2B's identifier of the sandbox. */
        detail = g_strdup_printf (_("Sandbox %s"), id);
      gtk_label_set_text (self->detail_label, detail != NULL ? detail : _("No cloud sandbox yet"));

      update_time_left (self);

      self->updating = TRUE;
      gtk_switch_set_active (self->keep_alive_switch, tessera_e2b_sandbox_get_keep_alive (e2b));
      gtk_switch_set_active (self->pin_switch, tessera_e2b_sandbox_get_pinned (e2b));
      self->updating = FALSE;

      gtk_widget_set_sensitive (GTK_WIDGET (self->extend_button), !self->busy && state == TESSERA_SANDBOX_READY);
      gtk_widget_set_sensitive (GTK_WIDGET (self->close_button), !self->busy && id != NULL);
    }
  else if (self->sandbox != NULL && TESSERA_IS_LOCAL_SANDBOX (self->sandbox))
    {
      gtk_label_set_text (self->detail_label, local_detail (TESSERA_LOCAL_SANDBOX (self->sandbox)));
    }
  else
    {
      gtk_label_set_text (self->detail_label, "");
    }

  gtk_widget_set_visible (GTK_WIDGET (self->detail_label),
                          gtk_label_get_text (self->detail_label)[0] != '\0');
}

static void
show_error (TesseraSandboxStatus *self,
            const char           *message)
{
  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static void
state_changed_cb (TesseraSandboxStatus *self)
{
  /* A sandbox that is ready again makes older failures moot. */
  if (!self->busy && tessera_sandbox_get_state (self->sandbox) == TESSERA_SANDBOX_READY)
    show_error (self, NULL);
  update (self);
}

static gboolean
tick_cb (gpointer user_data)
{
  update_time_left (user_data);

  return G_SOURCE_CONTINUE;
}

static void
popover_visible_cb (TesseraSandboxStatus *self)
{
  g_clear_handle_id (&self->tick_source, g_source_remove);

  if (gtk_widget_get_visible (GTK_WIDGET (self->popover)) && get_e2b (self) != NULL)
    {
      update_time_left (self);
      self->tick_source = g_timeout_add_seconds (1, tick_cb, self);
    }
}

static void
save_project_setting (TesseraSandboxStatus *self,
                      const char           *key,
                      gboolean              value)
{
  TesseraE2bSandbox *e2b = get_e2b (self);
  TesseraProject *project = e2b != NULL ? tessera_e2b_sandbox_get_project (e2b) : NULL;
  g_autoptr(GError) error = NULL;

  /* The switch changes the running sandbox at once; the manifest keeps
   * the choice for the next time the project opens. */
  if (project != NULL && !tessera_project_set_setting (project, key, value ? "yes" : "no", &error))
    {
      g_autofree char *message = NULL;

      /* Translators: %s is the reason, e.g. "Permission denied". */
      message = g_strdup_printf (_("Could not save the project’s settings: %s"), error->message);
      show_error (self, message);
    }
}

static void
keep_alive_cb (TesseraSandboxStatus *self)
{
  TesseraE2bSandbox *e2b = get_e2b (self);
  gboolean active = gtk_switch_get_active (self->keep_alive_switch);

  if (self->updating || e2b == NULL)
    return;

  tessera_e2b_sandbox_set_keep_alive (e2b, active);
  save_project_setting (self, "e2b-keep-alive", active);
}

static void
pin_cb (TesseraSandboxStatus *self)
{
  TesseraE2bSandbox *e2b = get_e2b (self);
  gboolean active = gtk_switch_get_active (self->pin_switch);

  if (self->updating || e2b == NULL)
    return;

  tessera_e2b_sandbox_set_pinned (e2b, active);
  save_project_setting (self, "e2b-pin", active);
}

static void
extend_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  TesseraSandboxStatus *self;
  g_autoptr(GError) error = NULL;

  /* Cancelled means the widget is gone or follows another sandbox. */
  if (!tessera_e2b_sandbox_extend_finish (TESSERA_E2B_SANDBOX (source), result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = user_data;
  self->busy = FALSE;
  /* An expired sandbox is already told by the state sentence (and is
   * being replaced). */
  if (g_error_matches (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_EXPIRED))
    g_clear_error (&error);
  show_error (self, error != NULL ? error->message : NULL);
  update (self);
}

static void
extend_clicked_cb (TesseraSandboxStatus *self)
{
  TesseraE2bSandbox *e2b = get_e2b (self);
  GDateTime *end;
  gint64 left = 0;

  if (e2b == NULL || self->busy)
    return;

  end = tessera_e2b_sandbox_get_end_time (e2b);
  if (end != NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

      left = MAX (0, g_date_time_difference (end, now) / G_USEC_PER_SEC);
    }

  self->busy = TRUE;
  show_error (self, NULL);
  update (self);
  tessera_e2b_sandbox_extend_async (e2b, (guint) MIN (left + EXTEND_SECONDS, G_MAXUINT),
                                    self->cancellable, extend_done_cb, self);
}

static void
close_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  TesseraSandboxStatus *self;
  g_autoptr(GError) error = NULL;

  if (!tessera_e2b_sandbox_close_finish (TESSERA_E2B_SANDBOX (source), result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = user_data;
  self->busy = FALSE;
  /* An expired sandbox is already told by the state sentence (and is
   * being replaced). */
  if (g_error_matches (error, TESSERA_SANDBOX_ERROR, TESSERA_SANDBOX_ERROR_EXPIRED))
    g_clear_error (&error);
  show_error (self, error != NULL ? error->message : NULL);
  update (self);
}

static void
close_clicked_cb (TesseraSandboxStatus *self)
{
  TesseraE2bSandbox *e2b = get_e2b (self);

  if (e2b == NULL || self->busy)
    return;

  self->busy = TRUE;
  show_error (self, NULL);
  update (self);
  tessera_e2b_sandbox_close_async (e2b, self->cancellable, close_done_cb, self);
}

static void
tessera_sandbox_status_dispose (GObject *object)
{
  TesseraSandboxStatus *self = TESSERA_SANDBOX_STATUS (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->tick_source, g_source_remove);
  if (self->sandbox != NULL)
    g_signal_handlers_disconnect_by_data (self->sandbox, self);
  g_clear_object (&self->sandbox);

  /* AdwBin unparents the button (and with it the popover) itself;
   * gtk_widget_dispose_template() would unparent it first and leave AdwBin
   * a dangling child. */

  G_OBJECT_CLASS (tessera_sandbox_status_parent_class)->dispose (object);
}

static void
tessera_sandbox_status_finalize (GObject *object)
{
  TesseraSandboxStatus *self = TESSERA_SANDBOX_STATUS (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (tessera_sandbox_status_parent_class)->finalize (object);
}

static void
tessera_sandbox_status_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  TesseraSandboxStatus *self = TESSERA_SANDBOX_STATUS (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      g_value_set_object (value, self->sandbox);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_sandbox_status_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  TesseraSandboxStatus *self = TESSERA_SANDBOX_STATUS (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      tessera_sandbox_status_set_sandbox (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_sandbox_status_class_init (TesseraSandboxStatusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_sandbox_status_dispose;
  object_class->finalize = tessera_sandbox_status_finalize;
  object_class->get_property = tessera_sandbox_status_get_property;
  object_class->set_property = tessera_sandbox_status_set_property;

  properties[PROP_SANDBOX] =
    g_param_spec_object ("sandbox", NULL, NULL,
                         TESSERA_TYPE_SANDBOX,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/tessera-sandbox-status.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraSandboxStatus, button);
  gtk_widget_class_bind_template_child (widget_class, TesseraSandboxStatus, icon_stack);
  gtk_widget_class_bind_template_child (widget_class, TesseraSandboxStatus, icon);
  gtk_widget_class_bind_template_child (widget_class, TesseraSandboxStatus, spinner);
  gtk_widget_class_bind_template_child (widget_class, TesseraSandboxStatus, popover);
  gtk_widget_class_bind_template_child (widget_class, TesseraSandboxStatus, title_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraSandboxStatus, state_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraSandboxStatus, detail_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraSandboxStatus, e2b_box);
  gtk_widget_class_bind_template_child (widget_class, TesseraSandboxStatus, time_left_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraSandboxStatus, extend_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraSandboxStatus, keep_alive_switch);
  gtk_widget_class_bind_template_child (widget_class, TesseraSandboxStatus, pin_switch);
  gtk_widget_class_bind_template_child (widget_class, TesseraSandboxStatus, error_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraSandboxStatus, close_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraSandboxStatus, settings_button);

  gtk_widget_class_set_css_name (widget_class, "sandboxstatus");
}

static void
tessera_sandbox_status_init (TesseraSandboxStatus *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();

  g_signal_connect_swapped (self->extend_button, "clicked", G_CALLBACK (extend_clicked_cb), self);
  g_signal_connect_swapped (self->close_button, "clicked", G_CALLBACK (close_clicked_cb), self);
  g_signal_connect_swapped (self->keep_alive_switch, "notify::active", G_CALLBACK (keep_alive_cb), self);
  g_signal_connect_swapped (self->pin_switch, "notify::active", G_CALLBACK (pin_cb), self);
  g_signal_connect_swapped (self->popover, "notify::visible", G_CALLBACK (popover_visible_cb), self);
  /* The action opens a modal dialog; the popover must not stay above it. */
  g_signal_connect_swapped (self->settings_button, "clicked", G_CALLBACK (gtk_popover_popdown), self->popover);

  update (self);
}

GtkWidget *
tessera_sandbox_status_new (void)
{
  return g_object_new (TESSERA_TYPE_SANDBOX_STATUS, NULL);
}

TesseraSandbox *
tessera_sandbox_status_get_sandbox (TesseraSandboxStatus *self)
{
  g_return_val_if_fail (TESSERA_IS_SANDBOX_STATUS (self), NULL);

  return self->sandbox;
}

void
tessera_sandbox_status_set_sandbox (TesseraSandboxStatus *self,
                                    TesseraSandbox       *sandbox)
{
  static const char * const e2b_props[] = { "end-time", "sandbox-id", "keep-alive", "pinned" };

  g_return_if_fail (TESSERA_IS_SANDBOX_STATUS (self));
  g_return_if_fail (sandbox == NULL || TESSERA_IS_SANDBOX (sandbox));

  if (self->sandbox == sandbox)
    return;

  /* Whatever ran for the previous sandbox no longer concerns this one. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->busy = FALSE;
  show_error (self, NULL);

  if (self->sandbox != NULL)
    g_signal_handlers_disconnect_by_data (self->sandbox, self);
  g_set_object (&self->sandbox, sandbox);

  if (sandbox != NULL)
    {
      g_signal_connect_object (sandbox, "notify::state", G_CALLBACK (state_changed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (sandbox, "notify::status-message", G_CALLBACK (update), self, G_CONNECT_SWAPPED);

      if (TESSERA_IS_E2B_SANDBOX (sandbox))
        for (guint i = 0; i < G_N_ELEMENTS (e2b_props); i++)
          {
            g_autofree char *detailed = g_strconcat ("notify::", e2b_props[i], NULL);

            g_signal_connect_object (sandbox, detailed, G_CALLBACK (update), self, G_CONNECT_SWAPPED);
          }
    }

  popover_visible_cb (self);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SANDBOX]);
}
