/* usdtpay-application.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-application"

#include "config.h"

#include <glib/gi18n.h>

#include "usdtpay-alerts.h"
#include "usdtpay-application.h"
#include "usdtpay-export.h"
#include "usdtpay-preferences-window.h"
#include "usdtpay-resources.h"
#include "usdtpay-window.h"

struct _UsdtpayApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  UsdtpayAlerts  *alerts;
  UsdtpayWindow  *window;
  GtkWindow      *preferences;   /* weak */

  /* Command-line login: the demo and the tests. */
  char           *platform;
  char           *username;
  char           *password_file;
};

G_DEFINE_FINAL_TYPE (UsdtpayApplication, usdtpay_application, ADW_TYPE_APPLICATION)

static const GOptionEntry main_entries[] = {
  { "platform", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Log in to this platform URL"), N_("URL") },
  { "username", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Log in as this merchant"), N_("NAME") },
  { "password-file", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Read the password from this file"), N_("FILE") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Print the version and exit"), NULL },
  { "export-csv", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Export the local history to this CSV file and exit (no display needed)"), N_("FILE") },
  { "state", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --export-csv: only orders in these states (comma-separated)"), N_("STATE") },
  { "from", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --export-csv: only orders closed at or after this date"), N_("DATE") },
  { "to", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --export-csv: only orders closed before this time, or up to the end of this date"), N_("DATE") },
  { NULL }
};

static gboolean
read_password (const char  *path,
               char       **password,
               GError     **error)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;

  /* One trailing newline is not part of the password, as for the platform's
   * admin commands. */
  if (len > 0 && contents[len - 1] == '\n')
    contents[--len] = '\0';

  *password = g_steal_pointer (&contents);

  return TRUE;
}

static GSettings *settings_new (void);

/* usdtpay --export-csv FILE: the cache of the saved session's platform and
 * account (or --platform and --username), straight to the file, before
 * anything needs a display. */
static int
export_csv_command (GVariantDict *options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *dest = NULL;
  g_autofree char *state = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *cache_path = NULL;
  UsdtpayCacheFilter filter = { 0, };
  UsdtpayOrderState parsed_state;
  guint64 rows = 0;
  gboolean ok;

  g_variant_dict_lookup (options, "export-csv", "^ay", &dest);
  g_variant_dict_lookup (options, "state", "s", &state);
  g_variant_dict_lookup (options, "from", "s", &from);
  g_variant_dict_lookup (options, "to", "s", &to);
  g_variant_dict_lookup (options, "platform", "s", &filter.platform);
  g_variant_dict_lookup (options, "username", "s", &filter.account);

  if (state != NULL)
    {
      g_auto(GStrv) names = g_strsplit (state, ",", -1);

      for (guint i = 0; names[i] != NULL; i++)
        {
          if (!usdtpay_order_state_from_string (names[i], &parsed_state))
            {
              g_printerr (_("Unknown order state “%s”\n"), names[i]);
              ok = FALSE;
              goto out;
            }
          filter.states |= 1u << parsed_state;
        }
    }
  if ((from != NULL && !usdtpay_export_parse_bound (from, FALSE, &filter.from, &error)) ||
      (to != NULL && !usdtpay_export_parse_bound (to, TRUE, &filter.to, &error)))
    {
      g_printerr ("%s\n", error->message);
      ok = FALSE;
      goto out;
    }

  if (filter.platform == NULL || filter.account == NULL)
    {
      settings = settings_new ();
      if (filter.platform == NULL)
        filter.platform = g_settings_get_string (settings, "last-platform-url");
      if (filter.account == NULL)
        filter.account = g_settings_get_string (settings, "last-username");
    }
  if (*filter.platform == '\0' || *filter.account == '\0')
    {
      g_printerr ("%s\n", _("No saved session: log in once, or name --platform and --username"));
      ok = FALSE;
      goto out;
    }

  cache_path = g_build_filename (g_get_user_data_dir (), "usdtpay", "cache.db", NULL);
  ok = usdtpay_export_csv (cache_path, &filter, dest, NULL, NULL, &rows, &error);
  if (ok)
    /* Translators: %s is a file name */
    g_printerr (g_dngettext (GETTEXT_PACKAGE, "Exported %u order to %s\n",
                             "Exported %u orders to %s\n", (gulong)rows), (guint)rows, dest);
  else
    g_printerr ("%s\n", error->message);

out:
  g_free (filter.platform);
  g_free (filter.account);

  return ok ? 0 : 1;
}

static int
usdtpay_application_handle_local_options (GApplication *app,
                                          GVariantDict *options)
{
  UsdtpayApplication *self = USDTPAY_APPLICATION (app);

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("usdtpay %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (g_variant_dict_contains (options, "export-csv"))
    return export_csv_command (options);
  if (g_variant_dict_contains (options, "state") || g_variant_dict_contains (options, "from") ||
      g_variant_dict_contains (options, "to"))
    {
      g_printerr ("%s\n", _("--state, --from and --to go with --export-csv"));
      return 2;
    }

  g_variant_dict_lookup (options, "platform", "s", &self->platform);
  g_variant_dict_lookup (options, "username", "s", &self->username);
  g_variant_dict_lookup (options, "password-file", "^ay", &self->password_file);

  if ((self->platform != NULL || self->username != NULL || self->password_file != NULL) &&
      (self->platform == NULL || self->username == NULL || self->password_file == NULL))
    {
      g_printerr ("%s\n", _("--platform, --username and --password-file go together"));
      return 2;
    }

  return -1;
}

static void
usdtpay_application_activate (GApplication *app)
{
  UsdtpayApplication *self = USDTPAY_APPLICATION (app);
  gboolean first = self->window == NULL;

  if (first)
    {
      self->window = usdtpay_window_new (ADW_APPLICATION (self), self->settings, self->alerts);
      g_object_add_weak_pointer (G_OBJECT (self->window), (gpointer *)&self->window);
    }

  gtk_window_present (GTK_WINDOW (self->window));

  if (!first)
    return;

  if (self->platform != NULL)
    {
      g_autofree char *password = NULL;
      g_autoptr(GError) error = NULL;

      if (!read_password (self->password_file, &password, &error))
        {
          g_warning ("Could not read the password file: %s", error->message);
          usdtpay_window_restore_session (self->window);
          return;
        }

      usdtpay_window_login (self->window, self->platform, self->username, password);
      memset (password, 0, strlen (password));
    }
  else
    {
      usdtpay_window_restore_session (self->window);
    }
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  UsdtpayApplication *self = user_data;
  UsdtpayPreferencesWindow *prefs;

  if (self->preferences != NULL)
    {
      gtk_window_present (self->preferences);
      return;
    }

  prefs = usdtpay_preferences_window_new (self->window != NULL ? GTK_WINDOW (self->window) : NULL,
                                          self->settings);
  /* Its Play buttons are app.play-sound: the window must know the app. */
  gtk_window_set_application (GTK_WINDOW (prefs), GTK_APPLICATION (self));
  self->preferences = GTK_WINDOW (prefs);
  g_object_add_weak_pointer (G_OBJECT (prefs), (gpointer *)&self->preferences);
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  UsdtpayApplication *self = user_data;
  static const char *developers[] = { "UsdtPay developers", NULL };

  adw_show_about_window (self->window != NULL ? GTK_WINDOW (self->window) : NULL,
                         "application-name", _("UsdtPay"),
                         "application-icon", APPLICATION_ID,
                         "developer-name", "UsdtPay developers",
                         "version", PACKAGE_VERSION,
                         "developers", developers,
                         "copyright", "© 2026 UsdtPay developers",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "comments", _("The merchant’s desk for peer-to-peer USDT payments"),
                         /* Translators: your name, to be credited in About */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
logout_action (GSimpleAction *action,
               GVariant      *param,
               gpointer       user_data)
{
  UsdtpayApplication *self = user_data;

  if (self->window != NULL)
    usdtpay_window_logout (self->window);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  UsdtpayApplication *self = user_data;

  if (self->window != NULL)
    gtk_window_destroy (GTK_WINDOW (self->window));
  g_application_quit (G_APPLICATION (self));
}

static void
show_order_action (GSimpleAction *action,
                   GVariant      *param,
                   gpointer       user_data)
{
  UsdtpayApplication *self = user_data;

  g_application_activate (G_APPLICATION (self));
  if (self->window != NULL)
    usdtpay_window_show_order (self->window, g_variant_get_string (param, NULL));
}

static void
activate_action (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  g_application_activate (G_APPLICATION (user_data));
}

static void
play_sound_action (GSimpleAction *action,
                   GVariant      *param,
                   gpointer       user_data)
{
  UsdtpayApplication *self = user_data;
  const char *kind = g_variant_get_string (param, NULL);

  if (g_strcmp0 (kind, "new-offer") == 0)
    usdtpay_alerts_play (self->alerts, USDTPAY_ALERT_NEW_OFFER, TRUE);
  else if (g_strcmp0 (kind, "matched") == 0)
    usdtpay_alerts_play (self->alerts, USDTPAY_ALERT_MATCHED, TRUE);
  else if (g_strcmp0 (kind, "paid") == 0)
    usdtpay_alerts_play (self->alerts, USDTPAY_ALERT_PAID, TRUE);
}

/* Test hooks, present only with USDTPAY_TEST_STATE set: the tests drive the
 * app over D-Bus (org.gtk.Actions) and look at it through screenshots. */

typedef struct
{
  GtkWidget *widget;
  char      *path;
  gulong     handler;
} Screenshot;

static void
screenshot_free (Screenshot *shot)
{
  g_clear_object (&shot->widget);
  g_free (shot->path);
  g_free (shot);
}

/* Renders @widget as it is now into a PNG. FALSE when it has nothing drawn. */
static gboolean
save_screenshot (GtkWidget  *widget,
                 const char *path)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);

  if (width <= 0 || height <= 0 || !gtk_widget_get_mapped (widget))
    return FALSE;

  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return FALSE;

  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node, NULL);
  if (!gdk_texture_save_to_png (texture, path))
    g_warning ("Could not save the screenshot to %s", path);

  return TRUE;
}

static void
screenshot_after_paint_cb (GdkFrameClock *clock,
                           Screenshot    *shot)
{
  if (!save_screenshot (shot->widget, shot->path))
    {
      gtk_widget_queue_draw (shot->widget);
      return;
    }

  g_signal_handler_disconnect (clock, shot->handler);
}

static void
test_screenshot_action (GSimpleAction *action,
                        GVariant      *param,
                        gpointer       user_data)
{
  UsdtpayApplication *self = user_data;
  GdkFrameClock *clock;
  GtkWidget *widget;
  Screenshot *shot;

  if (self->window == NULL)
    return;

  /* What is on top: a dialog, else Preferences, else the window. */
  widget = GTK_WIDGET (self->window);
  if (usdtpay_window_get_dialog (self->window) != NULL)
    widget = GTK_WIDGET (usdtpay_window_get_dialog (self->window));
  else if (self->preferences != NULL)
    widget = GTK_WIDGET (self->preferences);
  else
    {
      /* A page's own modal dialog (History's date range). */
      GListModel *toplevels = gtk_window_get_toplevels ();

      for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
        {
          g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

          if (gtk_window_get_transient_for (toplevel) == GTK_WINDOW (self->window) &&
              gtk_window_get_modal (toplevel) && gtk_widget_get_visible (GTK_WIDGET (toplevel)))
            widget = GTK_WIDGET (toplevel);
        }
    }

  /* After the next frame, so what is saved is what was just drawn. */
  clock = gtk_widget_get_frame_clock (widget);
  if (clock == NULL)
    {
      g_warning ("The window is not on screen; no screenshot");
      return;
    }

  shot = g_new0 (Screenshot, 1);
  shot->widget = g_object_ref (widget);
  shot->path = g_variant_dup_string (param, NULL);
  shot->handler = g_signal_connect_data (clock, "after-paint", G_CALLBACK (screenshot_after_paint_cb),
                                         shot, (GClosureNotify)(void (*)(void))screenshot_free, 0);
  gtk_widget_queue_draw (widget);
}

static void
test_respond_action (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  UsdtpayApplication *self = user_data;

  if (self->window != NULL)
    usdtpay_window_respond_dialog (self->window, g_variant_get_string (param, NULL), TRUE);
}

static void
test_dialog_text_action (GSimpleAction *action,
                         GVariant      *param,
                         gpointer       user_data)
{
  UsdtpayApplication *self = user_data;

  if (self->window != NULL)
    usdtpay_window_set_dialog_text (self->window, g_variant_get_string (param, NULL));
}

static void
test_export_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  UsdtpayApplication *self = user_data;

  if (self->window != NULL)
    usdtpay_window_export_to (self->window, g_variant_get_string (param, NULL));
}

static void
test_close_preferences_action (GSimpleAction *action,
                               GVariant      *param,
                               gpointer       user_data)
{
  UsdtpayApplication *self = user_data;

  if (self->preferences != NULL)
    gtk_window_destroy (self->preferences);
}

static void
test_close_window_action (GSimpleAction *action,
                          GVariant      *param,
                          gpointer       user_data)
{
  UsdtpayApplication *self = user_data;

  if (self->window != NULL)
    gtk_window_close (GTK_WINDOW (self->window));
}

static const GActionEntry app_entries[] = {
  { "preferences", preferences_action },
  { "about", about_action },
  { "logout", logout_action },
  { "quit", quit_action },
  { "show-order", show_order_action, "s" },
  { "activate", activate_action },
  { "play-sound", play_sound_action, "s" },
};

static void
test_page_action_action (GSimpleAction *action,
                         GVariant      *param,
                         gpointer       user_data)
{
  UsdtpayApplication *self = user_data;
  const char *page = NULL;
  const char *name = NULL;

  g_variant_get (param, "(&s&s)", &page, &name);
  if (self->window != NULL && !usdtpay_window_activate_page_action (self->window, page, name))
    g_warning ("No action %s on the page %s", name, page);
}

static const GActionEntry test_entries[] = {
  { "test-screenshot", test_screenshot_action, "s" },
  { "test-respond", test_respond_action, "s" },
  { "test-dialog-text", test_dialog_text_action, "s" },
  { "test-export", test_export_action, "s" },
  { "test-page-action", test_page_action_action, "(ss)" },
  { "test-close-window", test_close_window_action },
  { "test-close-preferences", test_close_preferences_action },
};

/* The installed schema, or, run from the build tree (the demo, the tests),
 * the one compiled beside the program. */
static GSettings *
settings_new (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsSchemaSource) local = NULL;
  g_autofree char *exe = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *compiled = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);

  if (schema == NULL && (exe = g_file_read_link ("/proc/self/exe", NULL)) != NULL)
    {
      dir = g_path_get_dirname (exe);
      compiled = g_build_filename (dir, "gschemas.compiled", NULL);
      if (g_file_test (compiled, G_FILE_TEST_IS_REGULAR))
        local = g_settings_schema_source_new_from_directory (dir, source, FALSE, NULL);
      if (local != NULL)
        schema = g_settings_schema_source_lookup (local, APPLICATION_ID, FALSE);
    }

  if (schema == NULL)
    g_error ("The GSettings schema %s is not installed", APPLICATION_ID);

  return g_settings_new_full (schema, NULL, NULL);
}

static void
usdtpay_application_startup (GApplication *app)
{
  UsdtpayApplication *self = USDTPAY_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *prefs_accels[] = { "<Control>comma", NULL };
  static const char *take_accels[] = { "<Control>t", NULL };
  static const char *confirm_accels[] = { "<Control>Return", NULL };
  static const char *reconnect_accels[] = { "<Control>r", NULL };
  static const char *orders_accels[] = { "<Alt>1", NULL };
  static const char *history_accels[] = { "<Alt>2", NULL };
  static const char *wallet_accels[] = { "<Alt>3", NULL };
  static const char *account_accels[] = { "<Alt>4", NULL };
  static const char *find_accels[] = { "<Control>f", NULL };

  G_APPLICATION_CLASS (usdtpay_application_parent_class)->startup (app);

  self->settings = settings_new ();
  self->alerts = usdtpay_alerts_new (self->settings);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_entries,
                                   G_N_ELEMENTS (app_entries), self);
  if (g_getenv ("USDTPAY_TEST_STATE") != NULL)
    g_action_map_add_action_entries (G_ACTION_MAP (self), test_entries,
                                     G_N_ELEMENTS (test_entries), self);

  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", prefs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.take-first", take_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.confirm-first", confirm_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.reconnect", reconnect_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-page::orders", orders_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-page::history", history_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-page::wallet", wallet_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-page::account", account_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.find", find_accels);
}

static void
usdtpay_application_finalize (GObject *object)
{
  UsdtpayApplication *self = (UsdtpayApplication *)object;

  g_clear_object (&self->alerts);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->platform, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->password_file, g_free);

  G_OBJECT_CLASS (usdtpay_application_parent_class)->finalize (object);
}

static void
usdtpay_application_class_init (UsdtpayApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = usdtpay_application_finalize;
  app_class->activate = usdtpay_application_activate;
  app_class->startup = usdtpay_application_startup;
  app_class->handle_local_options = usdtpay_application_handle_local_options;

  /* The resources live in a static library; referring to them keeps their
   * object, and its registering constructor, in the program. */
  g_assert (usdtpay_get_resource () != NULL);
}

static void
usdtpay_application_init (UsdtpayApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), main_entries);
}

UsdtpayApplication *
usdtpay_application_new (void)
{
  return g_object_new (USDTPAY_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/com/example/UsdtPay",
                       NULL);
}
