/* usdtpay-window.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-window"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "usdtpay-cache.h"
#include "usdtpay-client.h"
#include "usdtpay-confirm-dialog.h"
#include "usdtpay-feed.h"
#include "usdtpay-history-page.h"
#include "usdtpay-order-row.h"
#include "usdtpay-secrets.h"
#include "usdtpay-wallet-page.h"
#include "usdtpay-window.h"

/* A confirm that got no answer is sent again this many times; the platform
 * makes a repeated confirm a no-op, so this never releases twice. */
#define CONFIRM_MAX_ATTEMPTS 8

struct _UsdtpayWindow
{
  AdwApplicationWindow  parent_instance;

  GSettings            *settings;
  UsdtpayAlerts        *alerts;
  UsdtpayOrderStore    *store;
  UsdtpayCache         *cache;
  UsdtpayClient        *client;
  UsdtpayFeed          *feed;
  GCancellable         *cancellable;    /* the session's work; cancelled at log out */
  char                 *platform;
  char                 *username;
  char                 *last_toast;
  GtkWindow            *dialog;         /* weak */
  guint                 tick_source;
  guint                 describe_source;
  gint64                load_seq;
  guint                 load_index;
  guint                 history_index;
  guint                 n_repeating;
  gint64                desk_frame_at;   /* monotonic µs of the desk's first frame */

  gboolean              online;
  gboolean              auto_match;
  gboolean              connected;
  gboolean              pending[2];
  gboolean              syncing;
  gboolean              logging_in;
  gboolean              held;
  gboolean              in_session;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  AdwEntryRow          *url_row;
  AdwEntryRow          *username_row;
  AdwPasswordEntryRow  *password_row;
  GtkLabel             *login_error;
  GtkButton            *login_button;
  GtkImage             *connection_icon;
  GtkLabel             *connection_label;
  GtkButton            *connection_button;
  GtkSwitch            *online_switch;
  GtkSwitch            *auto_match_switch;
  AdwViewSwitcherTitle *switcher_title;
  GtkWidget            *online_label;
  GtkWidget            *auto_match_label;
  AdwViewStack         *view_stack;
  GtkStack             *orders_stack;
  AdwStatusPage        *empty_page;
  GtkWidget            *confirm_box;
  GtkWidget            *offers_box;
  GtkWidget            *awaiting_box;
  GtkLabel             *confirm_count;
  GtkLabel             *offers_count;
  GtkLabel             *awaiting_count;
  GtkListView          *confirm_list;
  GtkListView          *offers_list;
  GtkListView          *awaiting_list;
  UsdtpayHistoryPage   *history_page;
  GHashTable           *notified;        /* ids of notifications shown */
  AdwExpanderRow       *method_rows[3];
  AdwEntryRow          *method_names[3];
  AdwEntryRow          *method_numbers[3];
  AdwEntryRow          *min_row;
  AdwEntryRow          *max_row;
  GtkSpinButton        *cap_spin;
  gboolean              settings_dirty;
  gboolean              filling;
  AdwActionRow         *account_row;
  AdwActionRow         *platform_row;
  GtkRevealer          *keys_banner;
  GtkLabel             *keys_banner_label;

  /* Receipts and the platform's keys (docs/receipts.md) */
  UsdtpayKeySet        *keys;            /* the pinned set, when it is trusted */
  char                 *keys_problem;    /* why receipts cannot be verified */
  gboolean              keys_checking;
  GPtrArray            *receipts_waiting; /* UsdtpayOrder, until the keys are known */
  GHashTable           *receipts_asked;  /* ids fetched or looked up this session */

  /* The support desk */
  gboolean              support;
  AdwViewStackPage     *orders_page;
  AdwViewStackPage     *wallet_page;
  AdwViewStackPage     *account_page;
  UsdtpayWalletPage    *wallet_view;
  AdwViewStackPage     *disputes_page;
  GtkListBox           *disputes_list;
  GtkListBox           *merchants_list;
  GListStore           *disputes;        /* UsdtpayOrderObject, oldest first */
  GHashTable           *appeals;         /* id → the appeals' text, from its events */
  GListStore           *merchants;       /* GtkStringObject, the names */
  GHashTable           *suspended;       /* name → GINT_TO_POINTER (1 + suspended) */

};

G_DEFINE_FINAL_TYPE (UsdtpayWindow, usdtpay_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  SETTING_ONLINE,
  SETTING_AUTO_MATCH,
};

static const char *setting_keys[] = { "online", "auto_match" };

static void begin_session          (UsdtpayWindow *self,
                                    JsonObject    *merchant);
static void schedule_describe      (UsdtpayWindow *self);
static void withdraw_notifications (UsdtpayWindow *self);
static void update_merchant_row    (UsdtpayWindow *self,
                                    JsonObject    *merchant);
static void load_merchants         (UsdtpayWindow *self);
static void update_merchant        (UsdtpayWindow *self,
                                    JsonObject    *merchant);

static void
show_login (UsdtpayWindow *self,
            const char    *error_text)
{
  g_autofree char *default_url = NULL;

  g_assert (USDTPAY_IS_WINDOW (self));

  self->logging_in = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->login_button), TRUE);
  gtk_button_set_label (self->login_button, _("_Log In"));

  if (self->platform != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->url_row), self->platform);
  else if (*gtk_editable_get_text (GTK_EDITABLE (self->url_row)) == '\0')
    {
      default_url = g_settings_get_string (self->settings, "platform-url");
      gtk_editable_set_text (GTK_EDITABLE (self->url_row), default_url);
    }
  if (self->username != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->username_row), self->username);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");

  gtk_label_set_text (self->login_error, error_text != NULL ? error_text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->login_error), error_text != NULL);

  gtk_stack_set_visible_child_name (self->main_stack, "login");
  if (*gtk_editable_get_text (GTK_EDITABLE (self->username_row)) == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->username_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));

  schedule_describe (self);
}

/* What the login page says for @error: the cases a merchant can act on. */
static char *
login_error_text (const GError *error,
                  const char   *platform)
{
  if (g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_UNAUTHENTICATED))
    return g_strdup (_("Wrong username or password."));
  if (g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_RATE_LIMITED))
    return g_strdup (_("Too many attempts. Wait a minute and try again."));
  if (g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN))
    return g_strdup (_("This account may not use the merchant app."));
  if (error->domain == G_TLS_ERROR)
    /* Translators: %s is a URL, then the TLS library's message */
    return g_strdup_printf (_("The connection to %s is not secure: %s"), platform, error->message);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    return g_strdup (error->message);
  if (error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR ||
      g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_UNAVAILABLE))
    /* Translators: %s is a URL, then the network's message */
    return g_strdup_printf (_("Could not reach the platform at %s: %s"), platform, error->message);

  return g_strdup (error->message);
}

static void
end_session (UsdtpayWindow *self)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  self->in_session = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  if (self->feed != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->feed, self);
      usdtpay_feed_stop (self->feed);
      g_clear_object (&self->feed);
    }

  if (self->dialog != NULL)
    gtk_window_destroy (self->dialog);

  usdtpay_order_store_clear (self->store);
  usdtpay_history_page_set_session (self->history_page, NULL, NULL, NULL, NULL, FALSE);
  usdtpay_wallet_page_set_session (self->wallet_view, NULL, NULL, NULL, NULL, NULL, self->support);
  g_list_store_remove_all (self->disputes);
  g_hash_table_remove_all (self->appeals);
  g_list_store_remove_all (self->merchants);
  g_hash_table_remove_all (self->suspended);
  withdraw_notifications (self);
  self->online = self->auto_match = FALSE;
  self->pending[0] = self->pending[1] = FALSE;
  self->settings_dirty = FALSE;
}

static void
secret_cleared_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!usdtpay_secrets_clear_session_finish (result, &error))
    g_warning ("Could not delete the session from the keyring: %s", error->message);
}

static void
forget_session (UsdtpayWindow *self)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  if (self->platform != NULL && self->username != NULL)
    usdtpay_secrets_clear_session_async (self->platform, self->username, NULL,
                                         secret_cleared_cb, NULL);
}

static void
unauthorized_cb (UsdtpayWindow *self)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  end_session (self);
  forget_session (self);
  show_login (self, _("Your session has ended. Please log in again."));
}

/* Connection indicator */

static void
update_connection (UsdtpayWindow *self)
{
  g_autofree char *label = NULL;
  g_autofree char *tooltip = NULL;
  g_autoptr(GDateTime) since = NULL;
  g_autofree char *since_text = NULL;
  UsdtpayFeedState state = USDTPAY_FEED_OFFLINE;
  const char *icon = "network-offline-symbolic";

  g_assert (USDTPAY_IS_WINDOW (self));

  if (self->feed != NULL)
    {
      g_autoptr(GDateTime) utc = NULL;

      state = usdtpay_feed_get_state (self->feed);
      utc = g_date_time_new_from_unix_utc (usdtpay_feed_get_state_since (self->feed) / G_USEC_PER_SEC);
      since = utc != NULL ? g_date_time_to_local (utc) : NULL;
      since_text = since != NULL ? g_date_time_format (since, "%H:%M:%S") : g_strdup ("");
    }

  switch (state)
    {
    case USDTPAY_FEED_CONNECTED:
      label = g_strdup (_("Connected"));
      icon = "network-transmit-receive-symbolic";
      /* Translators: %s is a time of day */
      tooltip = g_strdup_printf (_("Connected since %s"), since_text);
      break;

    case USDTPAY_FEED_CONNECTING:
      label = g_strdup (_("Connecting…"));
      icon = "network-wired-acquiring-symbolic";
      tooltip = g_strdup (label);
      break;

    case USDTPAY_FEED_RECONNECTING:
      {
        gint64 left = (usdtpay_feed_get_retry_at (self->feed) - g_get_monotonic_time ()
                       + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;

        /* Translators: %d is a number of seconds */
        label = g_strdup_printf (_("Reconnecting in %d s"), (int)MAX (left, 0));
        icon = "network-wired-acquiring-symbolic";
        /* Translators: %s is a time of day */
        tooltip = g_strdup_printf (_("Disconnected since %s. Click to retry now."), since_text);
      }
      break;

    case USDTPAY_FEED_OFFLINE:
    default:
      label = g_strdup (_("Offline"));
      tooltip = g_strdup (_("Not connected to the platform"));
      break;
    }

  if (g_strcmp0 (gtk_label_get_text (self->connection_label), label) != 0)
    {
      gtk_label_set_text (self->connection_label, label);
      schedule_describe (self);
    }
  gtk_image_set_from_icon_name (self->connection_icon, icon);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->connection_button), tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->connection_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  self->connected = state == USDTPAY_FEED_CONNECTED;
}

static void
update_sections (UsdtpayWindow *self)
{
  GtkWidget *boxes[USDTPAY_N_SECTIONS] = { self->confirm_box, self->offers_box, self->awaiting_box };
  GtkLabel *counts[USDTPAY_N_SECTIONS] = { self->confirm_count, self->offers_count, self->awaiting_count };
  guint total = 0;

  g_assert (USDTPAY_IS_WINDOW (self));

  for (guint i = 0; i < USDTPAY_N_SECTIONS; i++)
    {
      guint n = g_list_model_get_n_items (usdtpay_order_store_get_section (self->store, i));
      g_autofree char *text = g_strdup_printf ("%u", n);

      gtk_widget_set_visible (boxes[i], n > 0);
      gtk_label_set_text (counts[i], text);
      total += n;
    }

  gtk_stack_set_visible_child_name (self->orders_stack, total > 0 ? "list" : "empty");

  if (!self->online)
    adw_status_page_set_description (self->empty_page,
                                     _("You are offline. Turn on Online to receive orders."));
  else if (self->auto_match)
    adw_status_page_set_description (self->empty_page,
                                     _("You are online and auto-matching; new orders will sound an alert."));
  else
    adw_status_page_set_description (self->empty_page,
                                     _("You are online; offers will sound an alert. Turn on Auto-match to be assigned orders."));

  schedule_describe (self);
}

static void
withdraw_notifications (UsdtpayWindow *self)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  GHashTableIter iter;
  gpointer id;

  g_assert (USDTPAY_IS_WINDOW (self));

  if (app == NULL)
    return;

  g_hash_table_iter_init (&iter, self->notified);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    {
      g_application_withdraw_notification (app, id);
      g_hash_table_iter_remove (&iter);
    }
}

static void
mark_seen_if_visible (UsdtpayWindow *self)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  /* The merchant is looking at the orders: what the notifications said is
   * on screen. */
  if (self->in_session &&
      gtk_widget_get_visible (GTK_WIDGET (self)) &&
      gtk_window_is_active (GTK_WINDOW (self)) &&
      g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "orders") == 0)
    {
      usdtpay_order_store_mark_seen (self->store);
      if (g_hash_table_size (self->notified) > 0)
        withdraw_notifications (self);
    }
}

static gboolean
tick_cb (gpointer user_data)
{
  UsdtpayWindow *self = user_data;

  usdtpay_order_store_tick (self->store, g_get_real_time ());
  update_connection (self);
  mark_seen_if_visible (self);

  if (usdtpay_alerts_get_n_repeating (self->alerts) != self->n_repeating)
    {
      self->n_repeating = usdtpay_alerts_get_n_repeating (self->alerts);
      schedule_describe (self);
    }

  return G_SOURCE_CONTINUE;
}

/* Merchant settings and the header switches */

static void
sync_switches (UsdtpayWindow *self)
{
  GAction *action;

  g_assert (USDTPAY_IS_WINDOW (self));

  self->syncing = TRUE;
  if (!self->pending[SETTING_ONLINE])
    {
      gtk_switch_set_active (self->online_switch, self->online);
      gtk_switch_set_state (self->online_switch, self->online);
    }
  if (!self->pending[SETTING_AUTO_MATCH])
    {
      gtk_switch_set_active (self->auto_match_switch, self->auto_match);
      gtk_switch_set_state (self->auto_match_switch, self->auto_match);
    }
  self->syncing = FALSE;

  action = g_action_map_lookup_action (G_ACTION_MAP (self), "online");
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (self->online));
  action = g_action_map_lookup_action (G_ACTION_MAP (self), "auto-match");
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (self->auto_match));

  gtk_widget_set_tooltip_text (GTK_WIDGET (self->online_switch),
                               self->pending[SETTING_ONLINE] ? _("Waiting for the platform…") :
                               self->online ? _("You receive orders") :
                               _("You are offline: no orders are matched or offered to you"));
  update_sections (self);
}

/* Payment methods and limits (Wallet page) */

static const char *method_ids[3] = { "bank", "alipay", "wechat" };

static void
fill_settings (UsdtpayWindow *self,
               JsonObject    *merchant)
{
  const char *min = NULL;
  const char *max = NULL;
  gint64 cap = -1;

  g_assert (USDTPAY_IS_WINDOW (self));

  /* What the merchant is editing is theirs until saved. */
  if (self->settings_dirty)
    return;

  self->filling = TRUE;

  if (json_object_has_member (merchant, "methods") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (merchant, "methods")))
    {
      JsonArray *methods = json_object_get_array_member (merchant, "methods");

      for (guint m = 0; m < G_N_ELEMENTS (method_ids); m++)
        {
          const char *name = "";
          const char *number = "";
          gboolean found = FALSE;

          for (guint i = 0; i < json_array_get_length (methods); i++)
            {
              JsonNode *node = json_array_get_element (methods, i);
              JsonObject *method;
              const char *id = NULL;

              if (!JSON_NODE_HOLDS_OBJECT (node))
                continue;
              method = json_node_get_object (node);
              if (!usdtpay_json_get_string (method, "id", FALSE, &id, NULL) ||
                  g_strcmp0 (id, method_ids[m]) != 0)
                continue;
              usdtpay_json_get_string (method, "account_name", TRUE, &name, NULL);
              usdtpay_json_get_string (method, "account_number", TRUE, &number, NULL);
              found = TRUE;
            }

          adw_expander_row_set_enable_expansion (self->method_rows[m], found);
          gtk_editable_set_text (GTK_EDITABLE (self->method_names[m]), name != NULL ? name : "");
          gtk_editable_set_text (GTK_EDITABLE (self->method_numbers[m]), number != NULL ? number : "");
        }
    }

  if (usdtpay_json_get_string (merchant, "min", FALSE, &min, NULL) && min != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->min_row), min);
  if (usdtpay_json_get_string (merchant, "max", FALSE, &max, NULL) && max != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->max_row), max);
  if (usdtpay_json_get_int (merchant, "cap", FALSE, &cap, NULL) && cap >= 0)
    gtk_spin_button_set_value (self->cap_spin, (double)cap);

  self->filling = FALSE;
}

static void
settings_edited_cb (UsdtpayWindow *self)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  if (!self->filling)
    self->settings_dirty = TRUE;
}

static void
settings_saved_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(UsdtpayWindow) self = user_data;
  g_autoptr(JsonObject) merchant = NULL;
  g_autoptr(GError) error = NULL;

  merchant = usdtpay_client_merchant_finish (USDTPAY_CLIENT (object), result, &error);
  if (merchant == NULL)
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      text = g_strdup_printf (_("Payment methods and limits not saved: %s"), error->message);
      usdtpay_window_add_toast (self, text);
      return;
    }

  self->settings_dirty = FALSE;
  update_merchant (self, merchant);
  usdtpay_window_add_toast (self, _("Payment methods and limits saved"));
}

static void
save_settings_action (GSimpleAction *action,
                      GVariant      *param,
                      gpointer       user_data)
{
  UsdtpayWindow *self = user_data;
  g_autoptr(JsonObject) changes = json_object_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *methods = json_array_new ();
  const char *min = gtk_editable_get_text (GTK_EDITABLE (self->min_row));
  const char *max = gtk_editable_get_text (GTK_EDITABLE (self->max_row));
  gint64 min_micro = 0;
  gint64 max_micro = 0;

  json_object_set_array_member (changes, "methods", methods);

  if (self->client == NULL || !self->in_session)
    return;

  for (guint m = 0; m < G_N_ELEMENTS (method_ids); m++)
    {
      const char *name = gtk_editable_get_text (GTK_EDITABLE (self->method_names[m]));
      const char *number = gtk_editable_get_text (GTK_EDITABLE (self->method_numbers[m]));
      JsonObject *method;

      if (!adw_expander_row_get_enable_expansion (self->method_rows[m]))
        continue;

      if (*name == '\0' || *number == '\0')
        {
          /* Translators: %s is a payment method, like Alipay */
          g_autofree char *text = g_strdup_printf (_("Enter the account name and number for %s"),
                                                   usdtpay_method_display_name (method_ids[m]));

          usdtpay_window_add_toast (self, text);
          adw_expander_row_set_expanded (self->method_rows[m], TRUE);
          return;
        }

      method = json_object_new ();
      json_object_set_string_member (method, "id", method_ids[m]);
      json_object_set_string_member (method, "account_name", name);
      json_object_set_string_member (method, "account_number", number);
      json_array_add_object_element (methods, method);
    }

  /* The core's strict parser: what is sent is exactly what was typed. */
  if (!usdtpay_usdt_parse (min, &min_micro, &error) ||
      !usdtpay_usdt_parse (max, &max_micro, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Order limits: %s"), error->message);

      usdtpay_window_add_toast (self, text);
      return;
    }
  if (min_micro > max_micro)
    {
      usdtpay_window_add_toast (self, _("The smallest order is larger than the largest"));
      return;
    }

  {
    g_autofree char *min_text = usdtpay_usdt_format (min_micro);
    g_autofree char *max_text = usdtpay_usdt_format (max_micro);

    json_object_set_string_member (changes, "min", min_text);
    json_object_set_string_member (changes, "max", max_text);
  }
  json_object_set_int_member (changes, "cap", gtk_spin_button_get_value_as_int (self->cap_spin));

  usdtpay_client_merchant_async (self->client, changes, self->cancellable,
                                 settings_saved_cb, g_object_ref (self));
}

static void
update_merchant (UsdtpayWindow *self,
                 JsonObject    *merchant)
{
  gboolean value;
  gboolean was_online;

  g_assert (USDTPAY_IS_WINDOW (self));

  if (merchant == NULL)
    return;

  was_online = self->online;
  if (usdtpay_json_get_boolean (merchant, "online", FALSE, &value, NULL))
    self->online = value;
  if (usdtpay_json_get_boolean (merchant, "auto_match", FALSE, &value, NULL))
    self->auto_match = value;

  fill_settings (self, merchant);
  schedule_describe (self);

  if (was_online && !self->online && !self->pending[SETTING_ONLINE] && self->in_session)
    usdtpay_window_add_toast (self, _("The platform set you offline"));

  sync_switches (self);
}

typedef struct
{
  UsdtpayWindow *self;
  guint          setting;
  gboolean       value;
} SettingRequest;

static void
setting_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  SettingRequest *req = user_data;
  g_autoptr(UsdtpayWindow) self = req->self;
  g_autoptr(JsonObject) merchant = NULL;
  g_autoptr(GError) error = NULL;
  guint setting = req->setting;
  gboolean value = req->value;

  g_free (req);

  merchant = usdtpay_client_merchant_finish (USDTPAY_CLIENT (object), result, &error);
  self->pending[setting] = FALSE;

  if (merchant == NULL)
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      if (setting == SETTING_ONLINE)
        text = g_strdup_printf (value ? _("Online could not be turned on: %s")
                                      : _("Online could not be turned off: %s"),
                                error->message);
      else
        text = g_strdup_printf (value ? _("Auto-match could not be turned on: %s")
                                      : _("Auto-match could not be turned off: %s"),
                                error->message);
      usdtpay_window_add_toast (self, text);
      sync_switches (self);
      return;
    }

  update_merchant (self, merchant);
}

static void
request_setting (UsdtpayWindow *self,
                 guint          setting,
                 gboolean       value)
{
  g_autoptr(JsonObject) changes = NULL;
  SettingRequest *req;
  GtkSwitch *sw;

  g_assert (USDTPAY_IS_WINDOW (self));

  sw = setting == SETTING_ONLINE ? self->online_switch : self->auto_match_switch;

  if (self->client == NULL || !self->in_session || self->pending[setting])
    {
      sync_switches (self);
      return;
    }

  if (value == (setting == SETTING_ONLINE ? self->online : self->auto_match))
    {
      sync_switches (self);
      return;
    }

  /* Shown pending: the switch moves, its state stays until the platform agrees. */
  self->pending[setting] = TRUE;
  self->syncing = TRUE;
  gtk_switch_set_active (sw, value);
  self->syncing = FALSE;
  sync_switches (self);

  changes = json_object_new ();
  json_object_set_boolean_member (changes, setting_keys[setting], value);

  req = g_new0 (SettingRequest, 1);
  req->self = g_object_ref (self);
  req->setting = setting;
  req->value = value;
  usdtpay_client_merchant_async (self->client, changes, self->cancellable, setting_cb, req);
}

static gboolean
online_state_set_cb (UsdtpayWindow *self,
                     gboolean       state,
                     GtkSwitch     *sw)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  if (self->syncing)
    return FALSE;

  request_setting (self, SETTING_ONLINE, state);

  return TRUE;
}

static gboolean
auto_match_state_set_cb (UsdtpayWindow *self,
                         gboolean       state,
                         GtkSwitch     *sw)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  if (self->syncing)
    return FALSE;

  request_setting (self, SETTING_AUTO_MATCH, state);

  return TRUE;
}

static void
online_change_state (GSimpleAction *action,
                     GVariant      *value,
                     gpointer       user_data)
{
  request_setting (USDTPAY_WINDOW (user_data), SETTING_ONLINE, g_variant_get_boolean (value));
}

static void
auto_match_change_state (GSimpleAction *action,
                         GVariant      *value,
                         gpointer       user_data)
{
  request_setting (USDTPAY_WINDOW (user_data), SETTING_AUTO_MATCH, g_variant_get_boolean (value));
}

/* Orders */

static void
refetch_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(UsdtpayWindow) self = user_data;
  g_autoptr(UsdtpayOrder) order = NULL;
  g_autoptr(GError) error = NULL;
  const char *id = g_object_get_data (G_OBJECT (result), "order-id");

  order = usdtpay_client_get_order_finish (USDTPAY_CLIENT (object), result, &error);
  if (order == NULL)
    {
      if (g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_NOT_FOUND) && id != NULL)
        usdtpay_order_store_remove (self->store, id);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not refetch an order: %s", error->message);
      return;
    }

  usdtpay_order_store_apply (self->store, order, FALSE);
}

static void
refetch (UsdtpayWindow *self,
         const char    *id)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  usdtpay_client_get_order_async (self->client, id, self->cancellable,
                                  refetch_cb, g_object_ref (self));
}

static void
feed_event_cb (UsdtpayWindow *self,
               UsdtpayEvent  *event,
               UsdtpayFeed   *feed)
{
  g_autoptr(GError) error = NULL;

  g_assert (USDTPAY_IS_WINDOW (self));

  if (event->object == NULL || !JSON_NODE_HOLDS_OBJECT (event->object))
    return;

  if (event->type == USDTPAY_EVENT_OFFER_WITHDRAWN)
    {
      const char *id = NULL;

      if (usdtpay_json_get_string (json_node_get_object (event->object), "id", FALSE, &id, &error))
        usdtpay_order_store_remove (self->store, id);
      else
        g_warning ("offer.withdrawn without an id: %s", error->message);
      return;
    }

  if (usdtpay_event_type_is_order (event->type))
    {
      g_autoptr(UsdtpayOrder) order = usdtpay_order_from_json (json_node_get_object (event->object), &error);

      if (order == NULL)
        {
          g_warning ("Ignoring an order event that does not parse: %s", error->message);
          return;
        }

      if (usdtpay_order_store_apply (self->store, order, TRUE) == USDTPAY_APPLY_NEEDS_REFETCH)
        refetch (self, order->id);
      return;
    }

  if (self->support)
    {
      if (event->type == USDTPAY_EVENT_MERCHANT_UPDATED)
        update_merchant_row (self, json_node_get_object (event->object));
      return;
    }

  if (event->type == USDTPAY_EVENT_MERCHANT_UPDATED ||
      event->type == USDTPAY_EVENT_BALANCE_CHANGED)
    update_merchant (self, json_node_get_object (event->object));
}

static void merchant_loaded_cb (GObject      *object,
                                GAsyncResult *result,
                                gpointer      user_data);

static void
feed_state_cb (UsdtpayWindow *self)
{
  update_connection (self);

  /* Connected (again): the settings may have changed meanwhile, or never
   * loaded if the platform was down at start. */
  if (self->feed != NULL && self->client != NULL && self->support &&
      usdtpay_feed_get_state (self->feed) == USDTPAY_FEED_CONNECTED)
    load_merchants (self);
  else if (self->feed != NULL && self->client != NULL &&
      usdtpay_feed_get_state (self->feed) == USDTPAY_FEED_CONNECTED)
    usdtpay_client_merchant_async (self->client, NULL, self->cancellable,
                                   merchant_loaded_cb, g_object_ref (self));
}

static const char *load_states[] = { "paid", "matched", "pending" };
/* Support: the disputes to decide (every merchant's). */
static const char *support_load_states[] = { "disputed" };
/* Then, once the feed runs, the merchant's closed orders for History. */
static const char *history_states[] = { "completed", "disputed", "cancelled", "expired" };

static void load_history (UsdtpayWindow *self,
                          guint          index);

static void
history_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(UsdtpayWindow) self = user_data;
  g_autoptr(GPtrArray) orders = NULL;
  g_autoptr(GError) error = NULL;
  guint index = self->history_index;

  orders = usdtpay_client_list_orders_finish (USDTPAY_CLIENT (object), result, NULL, &error);
  if (orders == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not list closed orders: %s", error->message);
      return;
    }

  /* Oldest first, so the newest end up on top of the history. */
  for (guint i = orders->len; i > 0; i--)
    usdtpay_order_store_apply (self->store, g_ptr_array_index (orders, i - 1), FALSE);

  load_history (self, index + 1);
}

static void
load_history (UsdtpayWindow *self,
              guint          index)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  if (index >= G_N_ELEMENTS (history_states) || self->client == NULL)
    return;

  self->history_index = index;
  /* The newest of each: History is for the recent days; older orders are
   * in the cache and on the platform. */
  usdtpay_client_list_orders_async (self->client, history_states[index], 200, self->cancellable,
                                    history_loaded_cb, g_object_ref (self));
}

static void load_next (UsdtpayWindow *self);

/* The cache's open orders (its disputes): any the platform has not told
 * of (newer versions win) go to the Disputes list through the store. */
static void
cached_disputes_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(UsdtpayWindow) self = user_data;
  g_autoptr(GPtrArray) orders = NULL;
  g_autoptr(GError) error = NULL;

  orders = usdtpay_cache_load_finish (USDTPAY_CACHE (object), result, &error);
  if (orders == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not read the cached disputes: %s", error->message);
      return;
    }
  if (!self->in_session || !self->support)
    return;

  for (guint i = 0; i < orders->len; i++)
    {
      UsdtpayOrder *order = g_ptr_array_index (orders, i);

      if (order->state == USDTPAY_ORDER_DISPUTED)
        usdtpay_order_store_apply (self->store, order, FALSE);
    }
}

static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(UsdtpayWindow) self = user_data;
  g_autoptr(GPtrArray) orders = NULL;
  g_autoptr(GError) error = NULL;
  gint64 seq = 0;

  orders = usdtpay_client_list_orders_finish (USDTPAY_CLIENT (object), result, &seq, &error);
  if (orders == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_UNAUTHENTICATED))
        {
          unauthorized_cb (self);
          return;
        }

      /* The feed's replay from the start brings the same state, only slower. */
      g_warning ("Could not list orders: %s", error->message);
      self->load_seq = 0;
      usdtpay_feed_start (self->feed, 0);
      /* Meanwhile (the platform unreachable), support decides from the
       * disputes as the cache last saw them. */
      if (self->support && self->cache != NULL && self->platform != NULL && self->username != NULL)
        usdtpay_cache_load_async (self->cache, self->platform, self->username, 0, self->cancellable,
                                  cached_disputes_cb, g_object_ref (self));
      return;
    }

  for (guint i = 0; i < orders->len; i++)
    usdtpay_order_store_apply (self->store, g_ptr_array_index (orders, i), FALSE);

  /* Resume the feed from the oldest head seen, so nothing that happened
   * between the listings is missed; repeats are ignored by version. */
  if (self->load_index == 1 || seq < self->load_seq)
    self->load_seq = seq;

  load_next (self);
}

static void
load_next (UsdtpayWindow *self)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  if (self->load_index >= (self->support ? G_N_ELEMENTS (support_load_states) : G_N_ELEMENTS (load_states)))
    {
      usdtpay_feed_start (self->feed, self->load_seq);
      load_history (self, 0);
      return;
    }

  usdtpay_client_list_orders_async (self->client,
                                    self->support ? support_load_states[self->load_index++]
                                                  : load_states[self->load_index++], 0,
                                    self->cancellable, load_cb, g_object_ref (self));
}

static void
merchant_loaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(UsdtpayWindow) self = user_data;
  g_autoptr(JsonObject) merchant = NULL;
  g_autoptr(GError) error = NULL;

  merchant = usdtpay_client_merchant_finish (USDTPAY_CLIENT (object), result, &error);
  if (merchant == NULL)
    {
      if (g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_UNAUTHENTICATED) && self->in_session)
        unauthorized_cb (self);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not read the merchant's settings: %s", error->message);
      return;
    }

  update_merchant (self, merchant);
}

static void
order_arrived_cb (UsdtpayWindow      *self,
                  UsdtpayOrderObject *object,
                  guint               section,
                  UsdtpayOrderStore  *store)
{
  GApplication *app;
  UsdtpayAlertKind kind;
  UsdtpayOrder *order;
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *usdt = NULL;
  g_autofree char *body = NULL;
  g_autofree char *notification_id = NULL;
  const char *title;

  g_assert (USDTPAY_IS_WINDOW (self));

  /* Support is not offered orders: no alerts, no notifications. */
  if (self->support)
    return;

  switch (section)
    {
    case USDTPAY_SECTION_OFFERS:
      kind = USDTPAY_ALERT_NEW_OFFER;
      title = _("New Order Offered");
      break;
    case USDTPAY_SECTION_AWAITING:
      kind = USDTPAY_ALERT_MATCHED;
      title = _("Order Matched to You");
      break;
    case USDTPAY_SECTION_CONFIRM:
      kind = USDTPAY_ALERT_PAID;
      title = _("Customer Paid — Confirm Receipt");
      break;
    default:
      return;
    }

  /* The sound first: it is what a merchant who looks away relies on. */
  usdtpay_alerts_alert (self->alerts, kind, object);

  app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  if (app == NULL ||
      !g_settings_get_boolean (self->settings, "notifications") ||
      (gtk_widget_get_visible (GTK_WIDGET (self)) && gtk_window_is_active (GTK_WINDOW (self))))
    {
      mark_seen_if_visible (self);
      return;
    }

  order = usdtpay_order_object_get_order (object);
  usdt = usdtpay_usdt_format (order->amount);
  /* Translators: "CNY 720.00 · 100.000000 USDT · Alipay" */
  body = g_strdup_printf (_("%s · %s USDT · %s"),
                          usdtpay_order_object_get_fiat_text (object), usdt,
                          usdtpay_method_display_name (order->method));
  notification = g_notification_new (title);
  g_notification_set_body (notification, body);
  g_notification_set_priority (notification,
                               kind == USDTPAY_ALERT_PAID ? G_NOTIFICATION_PRIORITY_URGENT
                                                          : G_NOTIFICATION_PRIORITY_HIGH);
  g_notification_set_default_action_and_target (notification, "app.show-order", "s", order->id);
  notification_id = g_strdup_printf ("order-%s", order->id);
  g_application_send_notification (app, notification_id, notification);
  g_hash_table_add (self->notified, g_steal_pointer (&notification_id));
}

static void
store_items_changed_cb (UsdtpayWindow *self)
{
  update_sections (self);
}

/* Receipts and the platform's key set */

static void
set_keys_problem (UsdtpayWindow *self,
                  const char    *problem)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  g_free (self->keys_problem);
  self->keys_problem = g_strdup (problem);
  if (problem != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Receipts cannot be verified: %s"), problem);

      gtk_label_set_text (self->keys_banner_label, text);
      usdtpay_window_add_toast (self, text);
    }
  /* Hidden, not just folded: a folded revealer still asks for its width. */
  gtk_widget_set_visible (GTK_WIDGET (self->keys_banner), problem != NULL);
  gtk_revealer_set_reveal_child (self->keys_banner, problem != NULL);
  usdtpay_history_page_set_keys (self->history_page, self->keys, self->keys_problem);
  schedule_describe (self);
}

/* Whether @cached is the receipt of @order_id, signed by a key of the
 * trusted set. */
static gboolean
receipt_verifies (UsdtpayWindow              *self,
                  const char                 *order_id,
                  const UsdtpayCachedReceipt *cached,
                  GError                    **error)
{
  return usdtpay_receipt_check (self->keys, self->keys_problem, order_id, cached, error);
}

static void update_disputes    (UsdtpayWindow              *self,
                                UsdtpayOrderObject         *object);
static void apply_role         (UsdtpayWindow              *self);
static void width_changed_cb   (UsdtpayWindow              *self);

static void
receipt_fetched_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(UsdtpayWindow) self = user_data;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) verify_error = NULL;
  UsdtpayCachedReceipt cached = { 0, };
  JsonNode *node;

  answer = usdtpay_client_get_object_finish (USDTPAY_CLIENT (object), result, &error);
  if (answer == NULL)
    {
      /* 404: no receipt (yet); offline: the next session asks again. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No receipt: %s", error->message);
      return;
    }

  if (!self->in_session)
    return;

  if ((node = json_object_get_member (answer, "receipt")) == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return;
  cached.receipt = (char *)json_node_get_string (node);
  if ((node = json_object_get_member (answer, "signature")) == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return;
  cached.signature = (char *)json_node_get_string (node);
  if ((node = json_object_get_member (answer, "key_id")) == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return;
  cached.key_id = (char *)json_node_get_string (node);
  if ((node = json_object_get_member (answer, "seq")) == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return;
  cached.seq = json_node_get_int (node);

  {
    /* The order id is the one the receipt names; whether that is the order
     * asked for is checked against the request's id below. */
    g_autoptr(UsdtpayReceipt) parsed = usdtpay_receipt_parse (cached.receipt, strlen (cached.receipt), NULL);

    if (parsed == NULL)
      {
        usdtpay_window_add_toast (self, _("The platform sent a receipt that is not canonical"));
        return;
      }
    cached.id = g_strdup (parsed->id);
  }

  cached.verified = receipt_verifies (self, cached.id, &cached, &verify_error);
  if (!cached.verified && self->keys != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The receipt of order %s does not verify: %s"),
                                               cached.id, verify_error->message);

      usdtpay_window_add_toast (self, text);
    }
  /* History's detail shows it once the cache says it changed. */
  usdtpay_cache_store_receipt (self->cache, self->platform, &cached);
  g_free (cached.id);
}

typedef struct
{
  UsdtpayWindow *self;
  char          *id;
} ReceiptRequest;

static void
receipt_request_free (ReceiptRequest *req)
{
  g_object_unref (req->self);
  g_free (req->id);
  g_free (req);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReceiptRequest, receipt_request_free)

static void
receipt_cached_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(ReceiptRequest) req = user_data;
  UsdtpayWindow *self = req->self;
  g_autoptr(UsdtpayCachedReceipt) cached = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  cached = usdtpay_cache_lookup_receipt_finish (USDTPAY_CACHE (object), result, &error);
  if (error != NULL || !self->in_session || self->client == NULL)
    return;

  if (cached != NULL && !cached->verified && self->keys != NULL &&
      receipt_verifies (self, req->id, cached, NULL))
    {
      /* Stored before the key set was trusted; it verifies now. */
      cached->verified = TRUE;
      usdtpay_cache_store_receipt (self->cache, self->platform, cached);
    }

  /* A stored receipt may be older than a later resolution; the platform
   * keeps the latest, so ask again unless the cached one is verified. */
  if (cached != NULL && cached->verified)
    return;

  path = g_strdup_printf ("/v1/receipts/%s", req->id);
  usdtpay_client_get_object_async (self->client, path, self->cancellable,
                                   receipt_fetched_cb, g_object_ref (self));
}

/* Makes sure the cache has @order's receipt: a completed order, or a
 * cancelled one that had been paid (only support cancels those, with a
 * signed resolution). */
static void
want_receipt (UsdtpayWindow      *self,
              const UsdtpayOrder *order)
{
  ReceiptRequest *req;

  g_assert (USDTPAY_IS_WINDOW (self));

  if (order->state != USDTPAY_ORDER_COMPLETED &&
      !(order->state == USDTPAY_ORDER_CANCELLED && order->paid_at > 0))
    return;

  if (self->keys_checking)
    {
      g_ptr_array_add (self->receipts_waiting, usdtpay_order_copy (order));
      return;
    }

  /* Once per order and session, unless its version moves on (a resolution
   * after a late appeal signs a new receipt). */
  {
    g_autofree char *key = g_strdup_printf ("%s/%" G_GINT64_FORMAT, order->id, order->version);

    if (!g_hash_table_add (self->receipts_asked, g_steal_pointer (&key)))
      return;
  }

  req = g_new0 (ReceiptRequest, 1);
  req->self = g_object_ref (self);
  req->id = g_strdup (order->id);
  usdtpay_cache_lookup_receipt_async (self->cache, self->platform, order->id, self->cancellable,
                                      receipt_cached_cb, req);
}

static void
keys_decided (UsdtpayWindow *self)
{
  g_autoptr(GPtrArray) waiting = NULL;

  g_assert (USDTPAY_IS_WINDOW (self));

  self->keys_checking = FALSE;
  waiting = g_steal_pointer (&self->receipts_waiting);
  self->receipts_waiting = g_ptr_array_new_with_free_func ((GDestroyNotify)usdtpay_order_unref);
  for (guint i = 0; i < waiting->len; i++)
    want_receipt (self, g_ptr_array_index (waiting, i));

  /* The badge of the order on display may change. */
  usdtpay_history_page_set_keys (self->history_page, self->keys, self->keys_problem);
  schedule_describe (self);
}

static void
keys_stored_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(UsdtpayWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!usdtpay_secrets_store_keys_finish (result, &error))
    {
      g_autofree char *text = g_strdup_printf (_("The platform's keys could not be saved in the keyring: %s"),
                                               error->message);

      usdtpay_window_add_toast (self, text);
    }
}

static void
pin_keys (UsdtpayWindow       *self,
          const UsdtpayKeySet *set)
{
  g_autofree char *json = usdtpay_key_set_to_json (set, NULL);

  usdtpay_secrets_store_keys_async (self->platform, json, NULL, keys_stored_cb, g_object_ref (self));
}

static void
keys_fetched_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(UsdtpayWindow) self = user_data;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayKeySet) pinned = g_object_steal_data (G_OBJECT (self), "usdtpay-pinned-keys");
  g_autoptr(UsdtpayKeySet) candidate = NULL;

  answer = usdtpay_client_get_object_finish (USDTPAY_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || USDTPAY_CLIENT (object) != self->client)
    return;

  if (answer == NULL)
    {
      /* Offline: the pin is what we trust; nothing to compare it with. */
      g_debug ("Could not fetch the platform's keys: %s", error->message);
      g_clear_pointer (&self->keys, usdtpay_key_set_free);
      self->keys = g_steal_pointer (&pinned);
      keys_decided (self);
      return;
    }

  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), answer);
    gsize len = 0;
    g_autofree char *text = usdtpay_json_to_string (node, &len);

    candidate = usdtpay_key_set_parse (text, len, &error);
  }

  g_clear_pointer (&self->keys, usdtpay_key_set_free);
  if (candidate == NULL || !usdtpay_key_set_verify (candidate, &error))
    {
      g_autofree char *problem = g_strdup_printf (_("the platform's key set is invalid (%s)"), error->message);

      set_keys_problem (self, problem);
    }
  else if (pinned == NULL)
    {
      /* The first login to this platform: trust on first use. */
      pin_keys (self, candidate);
      self->keys = g_steal_pointer (&candidate);
      set_keys_problem (self, NULL);
    }
  else if (usdtpay_key_set_is_successor (pinned, candidate, &error))
    {
      g_autofree char *old_json = usdtpay_key_set_to_json (pinned, NULL);
      g_autofree char *new_json = usdtpay_key_set_to_json (candidate, NULL);

      if (g_strcmp0 (old_json, new_json) != 0)
        pin_keys (self, candidate);
      self->keys = g_steal_pointer (&candidate);
      set_keys_problem (self, NULL);
    }
  else
    {
      g_autofree char *problem =
        g_strdup_printf (_("the platform now presents keys that the pinned keys do not endorse (%s)"),
                         error->message);

      set_keys_problem (self, problem);
    }

  keys_decided (self);
}

static void
pinned_keys_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(UsdtpayWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autoptr(UsdtpayKeySet) pinned = NULL;

  json = usdtpay_secrets_lookup_keys_finish (result, &error);
  if (!self->in_session || self->client == NULL)
    return;

  if (error != NULL)
    {
      g_autofree char *problem = g_strdup_printf (_("the keyring could not be read (%s)"), error->message);

      set_keys_problem (self, problem);
      keys_decided (self);
      return;
    }

  if (json != NULL)
    {
      pinned = usdtpay_key_set_parse (json, strlen (json), &error);
      if (pinned == NULL || !usdtpay_key_set_verify (pinned, &error))
        {
          g_autofree char *problem = g_strdup_printf (_("the pinned key set is damaged (%s)"), error->message);

          set_keys_problem (self, problem);
          keys_decided (self);
          return;
        }
    }

  g_object_set_data_full (G_OBJECT (self), "usdtpay-pinned-keys", g_steal_pointer (&pinned),
                          (GDestroyNotify)usdtpay_key_set_free);
  usdtpay_client_get_object_async (self->client, "/v1/platform-keys", self->cancellable,
                                   keys_fetched_cb, g_object_ref (self));
}

static void
check_keys (UsdtpayWindow *self)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  self->keys_checking = TRUE;
  g_hash_table_remove_all (self->receipts_asked);
  g_clear_pointer (&self->keys, usdtpay_key_set_free);
  set_keys_problem (self, NULL);
  usdtpay_secrets_lookup_keys_async (self->platform, self->cancellable, pinned_keys_cb, g_object_ref (self));
}

/* Every order that reaches History, or changes there, is kept in the cache. */
static void
order_closed_cb (UsdtpayWindow      *self,
                 UsdtpayOrderObject *object,
                 UsdtpayOrderStore  *store)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  if (self->in_session && self->platform != NULL && self->username != NULL)
    {
      usdtpay_cache_store (self->cache, self->platform, self->username,
                           usdtpay_order_object_get_order (object));
      want_receipt (self, usdtpay_order_object_get_order (object));
      update_disputes (self, object);
    }
}

static void
begin_session (UsdtpayWindow *self,
               JsonObject    *merchant)
{
  g_assert (USDTPAY_IS_WINDOW (self));
  g_assert (self->client != NULL);

  self->in_session = TRUE;
  self->logging_in = FALSE;
  usdtpay_order_store_clear (self->store);
  usdtpay_order_store_set_merchant (self->store, self->username);
  adw_action_row_set_subtitle (self->account_row, self->username);
  adw_action_row_set_subtitle (self->platform_row, self->platform);

  g_list_store_remove_all (self->disputes);
  g_hash_table_remove_all (self->appeals);
  g_list_store_remove_all (self->merchants);
  g_hash_table_remove_all (self->suspended);
  apply_role (self);
  gtk_stack_set_visible_child_name (self->main_stack, "desk");
  adw_view_stack_set_visible_child_name (self->view_stack, self->support ? "disputes" : "orders");

  g_clear_object (&self->feed);
  self->feed = usdtpay_feed_new (self->client);
  g_signal_connect_object (self->feed, "event", G_CALLBACK (feed_event_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->feed, "notify::state", G_CALLBACK (feed_state_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->feed, "unauthorized", G_CALLBACK (unauthorized_cb), self, G_CONNECT_SWAPPED);
  usdtpay_wallet_page_set_session (self->wallet_view, self->client, self->feed, self->cache,
                                   self->platform, self->username, self->support);

  if (self->support)
    load_merchants (self);
  else if (merchant != NULL)
    update_merchant (self, merchant);
  else
    usdtpay_client_merchant_async (self->client, NULL, self->cancellable,
                                   merchant_loaded_cb, g_object_ref (self));

  /* The key set before any receipt is judged. */
  check_keys (self);

  /* History from the local cache: it is there even offline. */
  usdtpay_history_page_set_session (self->history_page, self->cache, self->client, self->platform,
                                    self->username, self->support);

  self->load_index = 0;
  self->load_seq = 0;
  load_next (self);

  update_connection (self);
  update_sections (self);
}

/* Logging in */

static void
secret_stored_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(UsdtpayWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!usdtpay_secrets_store_session_finish (result, &error))
    {
      g_autofree char *text = g_strdup_printf (_("The session could not be saved in the keyring: %s"),
                                               error->message);

      usdtpay_window_add_toast (self, text);
    }
}

static void
login_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(UsdtpayWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *role = NULL;

  token = usdtpay_client_login_finish (USDTPAY_CLIENT (object), result, &role, &error);
  if (USDTPAY_CLIENT (object) != self->client)
    return;

  if (token == NULL)
    {
      g_autofree char *text = login_error_text (error, self->platform);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      show_login (self, text);
      return;
    }

  if (role != NULL && g_strcmp0 (role, "merchant") != 0 && g_strcmp0 (role, "support") != 0)
    {
      show_login (self, _("This account is neither a merchant nor a support account."));
      return;
    }
  self->support = g_strcmp0 (role, "support") == 0;
  g_settings_set_string (self->settings, "last-role", self->support ? "support" : "merchant");

  usdtpay_client_set_token (self->client, token);
  usdtpay_secrets_store_session_async (self->platform, self->username, token, NULL,
                                       secret_stored_cb, g_object_ref (self));
  g_settings_set_string (self->settings, "last-platform-url", self->platform);
  g_settings_set_string (self->settings, "last-username", self->username);

  begin_session (self, NULL);
}

void
usdtpay_window_login (UsdtpayWindow *self,
                      const char    *platform,
                      const char    *username,
                      const char    *password)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayClient) client = NULL;

  g_return_if_fail (USDTPAY_IS_WINDOW (self));
  g_return_if_fail (platform != NULL);
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

  if (self->in_session)
    end_session (self);

  g_free (self->platform);
  self->platform = g_strstrip (g_strdup (platform));
  g_free (self->username);
  self->username = g_strstrip (g_strdup (username));

  if (*self->username == '\0')
    {
      show_login (self, _("Enter your username."));
      return;
    }

  client = usdtpay_client_new (self->platform, &error);
  if (client == NULL)
    {
      show_login (self, error->message);
      return;
    }

  g_set_object (&self->client, client);
  self->logging_in = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->login_button), FALSE);
  gtk_button_set_label (self->login_button, _("Logging In…"));
  gtk_widget_set_visible (GTK_WIDGET (self->login_error), FALSE);

  usdtpay_client_login_async (self->client, self->username, password, self->cancellable,
                              login_cb, g_object_ref (self));
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(UsdtpayWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autoptr(UsdtpayClient) client = NULL;

  token = usdtpay_secrets_lookup_session_finish (result, &error);
  if (token == NULL)
    {
      g_autofree char *text = NULL;

      if (error != NULL)
        text = g_strdup_printf (_("The keyring could not be read: %s"), error->message);
      show_login (self, text);
      return;
    }

  client = usdtpay_client_new (self->platform, &error);
  if (client == NULL)
    {
      show_login (self, error->message);
      return;
    }

  g_set_object (&self->client, client);
  usdtpay_client_set_token (self->client, token);

  /* Straight to the desk: the stored session is almost always good, and a
   * refused one comes back as 401 from the first request, which returns to
   * the login page. An unreachable platform shows as the feed reconnecting. */
  begin_session (self, NULL);
}

void
usdtpay_window_restore_session (UsdtpayWindow *self)
{
  g_autofree char *platform = NULL;
  g_autofree char *username = NULL;

  g_return_if_fail (USDTPAY_IS_WINDOW (self));

  platform = g_settings_get_string (self->settings, "last-platform-url");
  username = g_settings_get_string (self->settings, "last-username");

  if (*username != '\0')
    {
      g_free (self->username);
      self->username = g_strdup (username);
    }

  if (*platform == '\0' || *username == '\0')
    {
      show_login (self, NULL);
      return;
    }

  g_free (self->platform);
  self->platform = g_steal_pointer (&platform);
  {
    g_autofree char *role = g_settings_get_string (self->settings, "last-role");

    self->support = g_strcmp0 (role, "support") == 0;
  }

  gtk_stack_set_visible_child_name (self->main_stack, "loading");
  usdtpay_secrets_lookup_session_async (self->platform, self->username, self->cancellable,
                                        lookup_cb, g_object_ref (self));
}

static void
logout_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!usdtpay_client_logout_finish (USDTPAY_CLIENT (object), result, &error))
    g_debug ("The platform did not end the session: %s", error->message);
}

void
usdtpay_window_logout (UsdtpayWindow *self)
{
  g_return_if_fail (USDTPAY_IS_WINDOW (self));

  end_session (self);
  forget_session (self);
  g_settings_set_string (self->settings, "last-platform-url", "");

  if (self->client != NULL && usdtpay_client_get_token (self->client) != NULL)
    usdtpay_client_logout_async (self->client, NULL, logout_cb, NULL);
  g_clear_object (&self->client);

  update_connection (self);
  show_login (self, NULL);
}

static void
password_activated_cb (UsdtpayWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.login", NULL);
}

static void
login_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  UsdtpayWindow *self = user_data;

  if (self->logging_in)
    return;

  usdtpay_window_login (self,
                        gtk_editable_get_text (GTK_EDITABLE (self->url_row)),
                        gtk_editable_get_text (GTK_EDITABLE (self->username_row)),
                        gtk_editable_get_text (GTK_EDITABLE (self->password_row)));
}

/* Take, confirm, appeal */

typedef struct
{
  UsdtpayWindow      *self;
  UsdtpayOrderObject *object;
  guint               attempt;
} OrderRequest;

static OrderRequest *
order_request_new (UsdtpayWindow      *self,
                   UsdtpayOrderObject *object)
{
  OrderRequest *req = g_new0 (OrderRequest, 1);

  req->self = g_object_ref (self);
  req->object = g_object_ref (object);

  return req;
}

static void
order_request_free (OrderRequest *req)
{
  g_clear_object (&req->self);
  g_clear_object (&req->object);
  g_free (req);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderRequest, order_request_free)

static void
take_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(OrderRequest) req = user_data;
  g_autoptr(UsdtpayOrder) order = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *short_id = usdtpay_order_object_dup_short_id (req->object);
  UsdtpayWindow *self = req->self;

  order = usdtpay_client_order_action_finish (USDTPAY_CLIENT (object), result, &error);
  usdtpay_order_object_set_busy (req->object, FALSE);

  if (order != NULL)
    {
      usdtpay_order_store_apply (self->store, order, FALSE);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_ALREADY_TAKEN) ||
      g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_NOT_FOUND))
    {
      /* Translators: %s is an order's short id */
      g_autofree char *text = g_strdup_printf (_("Order %s taken by another merchant"), short_id);

      usdtpay_window_add_toast (self, text);
      usdtpay_order_store_remove (self->store, usdtpay_order_object_get_id (req->object));
      return;
    }

  {
    g_autofree char *text = g_strdup_printf (_("Could not take order %s: %s"), short_id, error->message);

    usdtpay_window_add_toast (self, text);
    if (g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_ILLEGAL_TRANSITION))
      refetch (self, usdtpay_order_object_get_id (req->object));
  }
}

static void
take_object (UsdtpayWindow      *self,
             UsdtpayOrderObject *object)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  if (object == NULL ||
      self->client == NULL ||
      usdtpay_order_object_get_busy (object) ||
      usdtpay_order_object_get_section (object) != USDTPAY_SECTION_OFFERS)
    return;

  usdtpay_order_object_set_busy (object, TRUE);
  usdtpay_order_object_set_seen (object, TRUE);
  usdtpay_client_order_action_async (self->client, usdtpay_order_object_get_id (object),
                                     "accept", NULL, self->cancellable,
                                     take_cb, order_request_new (self, object));
}

static void
take_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  UsdtpayWindow *self = user_data;

  take_object (self, usdtpay_order_store_lookup (self->store, g_variant_get_string (param, NULL)));
}

static void
take_first_action (GSimpleAction *action,
                   GVariant      *param,
                   gpointer       user_data)
{
  UsdtpayWindow *self = user_data;
  GListModel *offers = usdtpay_order_store_get_section (self->store, USDTPAY_SECTION_OFFERS);

  for (guint i = 0; i < g_list_model_get_n_items (offers); i++)
    {
      g_autoptr(UsdtpayOrderObject) object = g_list_model_get_item (offers, i);

      if (!usdtpay_order_object_get_busy (object))
        {
          take_object (self, object);
          return;
        }
    }
}

static void send_confirm (OrderRequest *req);

static gboolean
confirm_retry_cb (gpointer user_data)
{
  OrderRequest *req = user_data;

  /* Logged out meanwhile: the platform still has whatever arrived. */
  if (!req->self->in_session || req->self->client == NULL)
    {
      usdtpay_order_object_set_busy (req->object, FALSE);
      order_request_free (req);
      return G_SOURCE_REMOVE;
    }

  send_confirm (req);

  return G_SOURCE_REMOVE;
}

static void
confirm_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  OrderRequest *req = user_data;
  g_autoptr(UsdtpayOrder) order = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *short_id = usdtpay_order_object_dup_short_id (req->object);
  UsdtpayWindow *self = req->self;

  order = usdtpay_client_order_action_finish (USDTPAY_CLIENT (object), result, &error);

  if (order == NULL &&
      usdtpay_client_error_is_transport (error) &&
      req->attempt < CONFIRM_MAX_ATTEMPTS &&
      self->in_session)
    {
      /* No answer: the release may or may not have happened. Asking again
       * is safe, a repeated confirm answers the completed order. */
      guint delay = MIN (1000u << req->attempt, 16000u);

      g_debug ("confirm %s: %s; again in %u ms", short_id, error->message, delay);
      req->attempt++;
      g_timeout_add (delay, confirm_retry_cb, req);
      return;
    }

  usdtpay_order_object_set_busy (req->object, FALSE);

  if (order != NULL)
    {
      g_autofree char *usdt = usdtpay_usdt_format (order->amount);
      /* Translators: the amount, then the order's short id */
      g_autofree char *text = g_strdup_printf (_("Released %s USDT for order %s"), usdt, short_id);

      usdtpay_order_store_apply (self->store, order, FALSE);
      usdtpay_window_add_toast (self, text);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = g_strdup_printf (_("Could not confirm order %s: %s"), short_id, error->message);

      usdtpay_window_add_toast (self, text);
      refetch (self, usdtpay_order_object_get_id (req->object));
    }

  order_request_free (req);
}

static void
send_confirm (OrderRequest *req)
{
  usdtpay_client_order_action_async (req->self->client,
                                     usdtpay_order_object_get_id (req->object),
                                     "confirm", NULL, req->self->cancellable,
                                     confirm_cb, req);
}

static void
confirm_response_cb (UsdtpayWindow        *self,
                     const char           *response,
                     UsdtpayConfirmDialog *dialog)
{
  UsdtpayOrderObject *object = usdtpay_confirm_dialog_get_object (dialog);

  g_assert (USDTPAY_IS_WINDOW (self));

  if (g_strcmp0 (response, "release") != 0 ||
      self->client == NULL ||
      usdtpay_order_object_get_busy (object) ||
      usdtpay_order_object_get_section (object) != USDTPAY_SECTION_CONFIRM)
    return;

  usdtpay_order_object_set_busy (object, TRUE);
  send_confirm (order_request_new (self, object));
}

static void
confirm_object (UsdtpayWindow      *self,
                UsdtpayOrderObject *object)
{
  UsdtpayConfirmDialog *dialog;

  g_assert (USDTPAY_IS_WINDOW (self));

  if (object == NULL ||
      self->dialog != NULL ||
      usdtpay_order_object_get_busy (object) ||
      usdtpay_order_object_get_section (object) != USDTPAY_SECTION_CONFIRM)
    return;

  usdtpay_order_object_set_seen (object, TRUE);
  dialog = usdtpay_confirm_dialog_new (GTK_WINDOW (self), object);
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_response_cb), self, G_CONNECT_SWAPPED);
  self->dialog = GTK_WINDOW (dialog);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *)&self->dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  schedule_describe (self);
}

static void
confirm_action (GSimpleAction *action,
                GVariant      *param,
                gpointer       user_data)
{
  UsdtpayWindow *self = user_data;

  confirm_object (self, usdtpay_order_store_lookup (self->store, g_variant_get_string (param, NULL)));
}

static void
confirm_first_action (GSimpleAction *action,
                      GVariant      *param,
                      gpointer       user_data)
{
  UsdtpayWindow *self = user_data;
  GListModel *paid = usdtpay_order_store_get_section (self->store, USDTPAY_SECTION_CONFIRM);
  g_autoptr(UsdtpayOrderObject) object = g_list_model_get_item (paid, 0);

  confirm_object (self, object);
}

static void
appeal_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(OrderRequest) req = user_data;
  g_autoptr(UsdtpayOrder) order = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *short_id = usdtpay_order_object_dup_short_id (req->object);
  g_autofree char *text = NULL;

  order = usdtpay_client_order_action_finish (USDTPAY_CLIENT (object), result, &error);
  usdtpay_order_object_set_busy (req->object, FALSE);

  if (order != NULL)
    {
      usdtpay_order_store_apply (req->self->store, order, FALSE);
      /* Translators: %s is an order's short id */
      text = g_strdup_printf (_("Order %s is under appeal; support will decide"), short_id);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    text = g_strdup_printf (_("Could not appeal order %s: %s"), short_id, error->message);

  if (text != NULL)
    usdtpay_window_add_toast (req->self, text);
}

static void
appeal_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    OrderRequest     *req)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));

  if (g_strcmp0 (response, "appeal") != 0 ||
      req->self->client == NULL ||
      usdtpay_order_object_get_busy (req->object))
    return;

  usdtpay_order_object_set_busy (req->object, TRUE);
  usdtpay_client_order_action_async (req->self->client,
                                     usdtpay_order_object_get_id (req->object),
                                     "dispute", gtk_editable_get_text (entry),
                                     req->self->cancellable, appeal_cb,
                                     order_request_new (req->self, req->object));
}

static void
appeal_action (GSimpleAction *action,
               GVariant      *param,
               gpointer       user_data)
{
  UsdtpayWindow *self = user_data;
  UsdtpayOrderObject *object;
  GtkWidget *dialog;
  GtkWidget *entry;
  g_autofree char *heading = NULL;
  g_autofree char *short_id = NULL;

  object = usdtpay_order_store_lookup (self->store, g_variant_get_string (param, NULL));
  if (object == NULL || usdtpay_order_object_get_busy (object) || self->dialog != NULL)
    return;

  short_id = usdtpay_order_object_dup_short_id (object);
  /* Translators: %s is an order's short id */
  heading = g_strdup_printf (_("Appeal Order %s?"), short_id);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
                                   _("Support will look at this order. The escrow stays frozen until they decide. Say what went wrong."));
  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Reason"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Reason for the appeal"),
                                  -1);
  gtk_entry_set_max_length (GTK_ENTRY (entry), 500);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "appeal", _("_Appeal"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "appeal",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (appeal_response_cb),
                         order_request_new (self, object),
                         (GClosureNotify)(void (*)(void))order_request_free, 0);
  self->dialog = GTK_WINDOW (dialog);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *)&self->dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The support desk */

static void
apply_role (UsdtpayWindow *self)
{
  gboolean merchant = !self->support;

  g_assert (USDTPAY_IS_WINDOW (self));

  adw_view_stack_page_set_visible (self->orders_page, merchant);
  /* Support sees the Wallet page say why it has none. */
  adw_view_stack_page_set_visible (self->wallet_page, TRUE);
  adw_view_stack_page_set_visible (self->account_page, merchant);
  adw_view_stack_page_set_visible (self->disputes_page, !merchant);
  gtk_widget_set_visible (GTK_WIDGET (self->online_switch), merchant);
  gtk_widget_set_visible (GTK_WIDGET (self->auto_match_switch), merchant);
  /* The switches' labels also follow the window's width. */
  width_changed_cb (self);
}

static int
compare_disputes (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  UsdtpayOrder *x = usdtpay_order_object_get_order ((UsdtpayOrderObject *)a);
  UsdtpayOrder *y = usdtpay_order_object_get_order ((UsdtpayOrderObject *)b);

  if (x->created_at != y->created_at)
    return x->created_at < y->created_at ? -1 : 1;

  return g_strcmp0 (x->id, y->id);
}

/* The appeals of a disputed order, from its events: who appealed and why
 * (there may be more than one side's appeal), one per line. */
static char *
appeals_from_events (JsonObject *answer)
{
  g_autoptr(GString) text = g_string_new (NULL);
  JsonArray *items;

  if (answer == NULL || !json_object_has_member (answer, "items") ||
      (items = json_object_get_array_member (answer, "items")) == NULL)
    return NULL;

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);
      JsonObject *event;
      JsonObject *order;
      const char *type = NULL;
      const char *by = NULL;
      const char *reason = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      event = json_node_get_object (node);
      if (!usdtpay_json_get_string (event, "type", FALSE, &type, NULL) || g_strcmp0 (type, "order.disputed") != 0 ||
          !json_object_has_member (event, "order") || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (event, "order")))
        continue;
      order = json_object_get_object_member (event, "order");
      usdtpay_json_get_string (order, "by", TRUE, &by, NULL);
      usdtpay_json_get_string (order, "reason", TRUE, &reason, NULL);
      if (text->len > 0)
        g_string_append_c (text, '\n');
      /* Translators: who appealed a disputed order, and the reason they gave */
      g_string_append_printf (text, _("Appeal by %s: “%s”"), by != NULL ? by : _("someone"),
                              reason != NULL ? reason : _("no reason given"));
    }

  return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

typedef struct
{
  UsdtpayWindow *self;
  char          *id;
  gboolean       from_cache;
} AppealsRequest;

static void
appeals_request_free (AppealsRequest *req)
{
  g_object_unref (req->self);
  g_free (req->id);
  g_free (req);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AppealsRequest, appeals_request_free)

/* Shows @text in the Disputes row of order @id (made again). */
static void
set_appeals (UsdtpayWindow *self,
             const char    *id,
             const char    *text)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->disputes)); i++)
    {
      g_autoptr(UsdtpayOrderObject) item = g_list_model_get_item (G_LIST_MODEL (self->disputes), i);

      if (g_strcmp0 (usdtpay_order_object_get_id (item), id) == 0)
        {
          g_hash_table_replace (self->appeals, g_strdup (id), g_strdup (text));
          g_list_store_splice (self->disputes, i, 1, (gpointer *)&item, 1);
          schedule_describe (self);
          return;
        }
    }
}

static void
appeals_cached_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(AppealsRequest) req = user_data;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autofree char *text = NULL;

  json = usdtpay_cache_lookup_events_finish (USDTPAY_CACHE (object), result, NULL);
  if (json == NULL || !req->self->in_session)
    return;
  answer = usdtpay_json_parse_object (json, strlen (json), NULL);
  if ((text = appeals_from_events (answer)) != NULL)
    set_appeals (req->self, req->id, text);
}

static void
appeals_fetched_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(AppealsRequest) req = user_data;
  UsdtpayWindow *self = req->self;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  answer = usdtpay_client_get_object_finish (USDTPAY_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !self->in_session)
    return;

  if (answer == NULL)
    {
      /* Offline: what was seen last time. (The id before the request is
       * handed on: arguments are evaluated in no set order.) */
      const char *id = req->id;

      usdtpay_cache_lookup_events_async (self->cache, self->platform, id, self->cancellable,
                                         appeals_cached_cb, g_steal_pointer (&req));
      return;
    }

  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), answer);
    g_autofree char *json = usdtpay_json_to_string (node, NULL);

    usdtpay_cache_store_events (self->cache, self->platform, req->id, json);
  }
  if ((text = appeals_from_events (answer)) != NULL)
    set_appeals (self, req->id, text);
}

static void
want_appeals (UsdtpayWindow      *self,
              UsdtpayOrderObject *object)
{
  AppealsRequest *req;
  g_autofree char *path = NULL;

  g_assert (USDTPAY_IS_WINDOW (self));

  if (self->client == NULL || self->platform == NULL)
    return;

  req = g_new0 (AppealsRequest, 1);
  req->self = g_object_ref (self);
  req->id = g_strdup (usdtpay_order_object_get_id (object));
  path = g_strdup_printf ("/v1/orders/%s/events", req->id);
  usdtpay_client_get_object_async (self->client, path, self->cancellable, appeals_fetched_cb, req);
}

/* Keeps the Disputes list equal to the disputed orders the store holds. */
static void
update_disputes (UsdtpayWindow      *self,
                 UsdtpayOrderObject *object)
{
  UsdtpayOrder *order = usdtpay_order_object_get_order (object);
  gboolean disputed = order->state == USDTPAY_ORDER_DISPUTED;
  guint position;

  g_assert (USDTPAY_IS_WINDOW (self));

  if (g_list_store_find (self->disputes, object, &position))
    {
      if (disputed)
        return;
      g_list_store_remove (self->disputes, position);
    }
  else if (disputed && self->support)
    {
      g_list_store_insert_sorted (self->disputes, object, compare_disputes, NULL);
      want_appeals (self, object);
    }

  schedule_describe (self);
}

static GtkWidget *
create_dispute_row (gpointer item,
                    gpointer user_data)
{
  UsdtpayWindow *self = user_data;
  UsdtpayOrderObject *object = item;
  UsdtpayOrder *order = usdtpay_order_object_get_order (object);
  g_autofree char *short_id = usdtpay_order_object_dup_short_id (object);
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *usdt = usdtpay_usdt_format (order->amount);
  g_autofree char *created = NULL;
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (order->created_at / G_USEC_PER_SEC);
  GtkWidget *row;
  GtkWidget *button;

  created = when != NULL ? g_date_time_format (when, "%Y-%m-%d %H:%M") : g_strdup ("");
  /* Translators: a fiat amount and an order's short id */
  title = g_strdup_printf (_("%s · order %s"), usdtpay_order_object_get_fiat_text (object), short_id);
  /* Translators: the two sides of a disputed order: the shop's customer and
   * the merchant who took it */
  subtitle = g_strdup_printf (_("Shop %s, customer %s, paid by %s\nMerchant %s, %s, %s USDT, created %s"),
                              order->shop,
                              order->customer_ref != NULL ? order->customer_ref : "—",
                              order->payer_name != NULL ? order->payer_name : "—",
                              order->merchant != NULL ? order->merchant : "—",
                              usdtpay_method_display_name (order->method),
                              usdt, created);
  {
    const char *appeals = g_hash_table_lookup (self->appeals, order->id);

    /* Why it is disputed: each side's appeal, once its events are read. */
    if (appeals != NULL)
      {
        char *all = g_strconcat (subtitle, "\n", appeals, NULL);

        g_free (subtitle);
        subtitle = all;
      }
  }

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 6);

  button = gtk_button_new_with_mnemonic (_("_Resolve…"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "win.resolve");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", order->id);
  gtk_widget_add_css_class (button, "suggested-action");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);

  return row;
}

static GtkWidget *
create_merchant_row (gpointer item,
                     gpointer user_data)
{
  UsdtpayWindow *self = user_data;
  const char *name = gtk_string_object_get_string (item);
  gboolean suspended = GPOINTER_TO_INT (g_hash_table_lookup (self->suspended, name)) == 2;
  GtkWidget *row;
  GtkWidget *button;

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), suspended ? _("Suspended") : _("Active"));

  button = gtk_button_new_with_mnemonic (suspended ? _("_Unsuspend…") : _("_Suspend…"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), suspended ? "win.unsuspend" : "win.suspend");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", name);
  if (!suspended)
    gtk_widget_add_css_class (button, "destructive-action");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);

  return row;
}

/* Records @merchant's state; its row is made again when it changed. */
static void
update_merchant_row (UsdtpayWindow *self,
                     JsonObject    *merchant)
{
  const char *name = NULL;
  gboolean suspended = FALSE;
  gpointer value = NULL;
  guint n;

  if (!usdtpay_json_get_string (merchant, "name", FALSE, &name, NULL))
    return;
  if (json_object_has_member (merchant, "suspended"))
    suspended = json_object_get_boolean_member (merchant, "suspended");

  value = GINT_TO_POINTER (suspended ? 2 : 1);
  if (g_hash_table_lookup (self->suspended, name) == value)
    return;
  g_hash_table_replace (self->suspended, g_strdup (name), value);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->merchants));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (G_LIST_MODEL (self->merchants), i);

      if (g_strcmp0 (gtk_string_object_get_string (item), name) == 0)
        {
          g_autoptr(GtkStringObject) again = gtk_string_object_new (name);

          g_list_store_splice (self->merchants, i, 1, (gpointer *)&again, 1);
          schedule_describe (self);
          return;
        }
    }

  {
    g_autoptr(GtkStringObject) item = gtk_string_object_new (name);

    g_list_store_append (self->merchants, item);
  }
  schedule_describe (self);
}

static void
merchants_loaded_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(UsdtpayWindow) self = user_data;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *items;

  answer = usdtpay_client_get_object_finish (USDTPAY_CLIENT (object), result, &error);
  if (answer == NULL)
    {
      if (g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_UNAUTHENTICATED) && self->in_session)
        unauthorized_cb (self);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not list the merchants: %s", error->message);
      return;
    }

  if (!self->support || !json_object_has_member (answer, "items") ||
      (items = json_object_get_array_member (answer, "items")) == NULL)
    return;

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        update_merchant_row (self, json_node_get_object (node));
    }
}

static void
load_merchants (UsdtpayWindow *self)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  if (self->client != NULL && self->support)
    usdtpay_client_get_object_async (self->client, "/v1/merchants", self->cancellable,
                                     merchants_loaded_cb, g_object_ref (self));
}

/* A decision dialog with a mandatory reason: its responses other than
 * "cancel" are enabled only while the reason is not blank. */
static void
reason_changed_cb (GtkEditable      *entry,
                   AdwMessageDialog *dialog)
{
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  const char **ids = g_object_get_data (G_OBJECT (dialog), "usdtpay-decisions");

  for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
    adw_message_dialog_set_response_enabled (dialog, ids[i], *reason != '\0');
}

static AdwMessageDialog *
reason_dialog_new (UsdtpayWindow *self,
                   const char    *heading,
                   const char    *body,
                   const char    *entry_label)
{
  GtkWidget *dialog;
  GtkWidget *entry;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Reason (required)"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, entry_label, -1);
  gtk_entry_set_max_length (GTK_ENTRY (entry), 500);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (entry, "changed", G_CALLBACK (reason_changed_cb), dialog, 0);

  return ADW_MESSAGE_DIALOG (dialog);
}

static void
show_decision_dialog (UsdtpayWindow    *self,
                      AdwMessageDialog *dialog)
{
  reason_changed_cb (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), dialog);
  self->dialog = GTK_WINDOW (dialog);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *)&self->dialog);
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (schedule_describe), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
  schedule_describe (self);
}

static char *
dialog_reason (AdwMessageDialog *dialog)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)))));
}

static void
resolved_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(OrderRequest) req = user_data;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(UsdtpayOrder) order = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *short_id = usdtpay_order_object_dup_short_id (req->object);
  g_autofree char *text = NULL;

  answer = usdtpay_client_post_object_finish (USDTPAY_CLIENT (object), result, &error);
  usdtpay_order_object_set_busy (req->object, FALSE);
  if (answer != NULL)
    order = usdtpay_order_from_json (answer, &error);

  if (order != NULL)
    {
      usdtpay_order_store_apply (req->self->store, order, FALSE);
      /* Translators: %s are an order's short id and its new state */
      text = g_strdup_printf (_("Order %s resolved: %s"), short_id,
                              usdtpay_order_state_display_name (order->state));
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    text = g_strdup_printf (_("Could not resolve order %s: %s"), short_id, error->message);

  if (text != NULL)
    usdtpay_window_add_toast (req->self, text);
}

static void
resolve_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     OrderRequest     *req)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *reason = dialog_reason (dialog);
  g_autofree char *path = NULL;

  if ((g_strcmp0 (response, "completed") != 0 && g_strcmp0 (response, "cancelled") != 0) ||
      *reason == '\0' || req->self->client == NULL || usdtpay_order_object_get_busy (req->object))
    return;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "outcome");
  json_builder_add_string_value (builder, response);
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, reason);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  usdtpay_order_object_set_busy (req->object, TRUE);
  path = g_strdup_printf ("/v1/orders/%s/resolve", usdtpay_order_object_get_id (req->object));
  usdtpay_client_post_object_async (req->self->client, path, body, req->self->cancellable,
                                    resolved_cb, order_request_new (req->self, req->object));
}

static void
resolve_action (GSimpleAction *action,
                GVariant      *param,
                gpointer       user_data)
{
  UsdtpayWindow *self = user_data;
  UsdtpayOrderObject *object;
  UsdtpayOrder *order;
  AdwMessageDialog *dialog;
  g_autofree char *short_id = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  g_autofree char *usdt = NULL;
  g_autofree char *complete = NULL;
  static const char *decisions[] = { "completed", "cancelled", NULL };

  if (!self->support || self->dialog != NULL)
    return;

  /* Disputed orders are in History, not among the open ones. */
  object = NULL;
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->disputes)); i++)
    {
      g_autoptr(UsdtpayOrderObject) item = g_list_model_get_item (G_LIST_MODEL (self->disputes), i);

      if (g_strcmp0 (usdtpay_order_object_get_id (item), g_variant_get_string (param, NULL)) == 0)
        object = item;
    }
  if (object == NULL || usdtpay_order_object_get_busy (object))
    return;
  order = usdtpay_order_object_get_order (object);
  if (order->state != USDTPAY_ORDER_DISPUTED)
    return;

  short_id = usdtpay_order_object_dup_short_id (object);
  usdt = usdtpay_usdt_format (order->amount);
  /* Translators: %s is an order's short id */
  heading = g_strdup_printf (_("Resolve Order %s"), short_id);
  /* Translators: the amounts, the payer, the merchant and the shop of a disputed order */
  body = g_strdup_printf (_("%s (%s USDT) paid by %s to merchant %s for shop %s. "
                            "Complete it to release the USDT to the shop, or cancel it to return "
                            "the escrow to the merchant. The reason is recorded and shown to both sides."),
                          usdtpay_order_object_get_fiat_text (object), usdt,
                          order->payer_name != NULL ? order->payer_name : "—",
                          order->merchant != NULL ? order->merchant : "—", order->shop);
  dialog = reason_dialog_new (self, heading, body, _("Reason for the decision"));
  /* Translators: %s is a USDT amount */
  complete = g_strdup_printf (_("Complete: Release %s USDT"), usdt);
  adw_message_dialog_add_response (dialog, "cancelled", _("Cancel: Return Escrow"));
  adw_message_dialog_add_response (dialog, "completed", complete);
  adw_message_dialog_set_response_appearance (dialog, "completed", ADW_RESPONSE_DESTRUCTIVE);
  g_object_set_data (G_OBJECT (dialog), "usdtpay-decisions", decisions);
  g_signal_connect_data (dialog, "response", G_CALLBACK (resolve_response_cb),
                         order_request_new (self, object),
                         (GClosureNotify)(void (*)(void))order_request_free, 0);
  show_decision_dialog (self, dialog);
}

static void
suspension_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(UsdtpayWindow) self = user_data;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = usdtpay_client_post_object_finish (USDTPAY_CLIENT (object), result, &error);
  if (answer == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *text = g_strdup_printf (_("Could not change the merchant: %s"), error->message);

          usdtpay_window_add_toast (self, text);
        }
      return;
    }

  update_merchant_row (self, answer);
  {
    const char *name = NULL;
    g_autofree char *text = NULL;

    if (usdtpay_json_get_string (answer, "name", FALSE, &name, NULL))
      {
        if (json_object_has_member (answer, "suspended") && json_object_get_boolean_member (answer, "suspended"))
          /* Translators: %s is a merchant's name */
          text = g_strdup_printf (_("Merchant %s suspended"), name);
        else
          /* Translators: %s is a merchant's name */
          text = g_strdup_printf (_("Merchant %s can take orders again"), name);
        usdtpay_window_add_toast (self, text);
      }
  }
}

static void
suspension_response_cb (AdwMessageDialog *dialog,
                        const char       *response,
                        UsdtpayWindow    *self)
{
  const char *name = g_object_get_data (G_OBJECT (dialog), "usdtpay-merchant");
  g_autofree char *reason = dialog_reason (dialog);
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;

  if ((g_strcmp0 (response, "suspend") != 0 && g_strcmp0 (response, "unsuspend") != 0) ||
      *reason == '\0' || self->client == NULL || name == NULL)
    return;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, reason);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  escaped = g_uri_escape_string (name, NULL, FALSE);
  path = g_strdup_printf ("/v1/merchants/%s/%s", escaped, response);
  usdtpay_client_post_object_async (self->client, path, body, self->cancellable,
                                    suspension_cb, g_object_ref (self));
}

static void
suspension_dialog (UsdtpayWindow *self,
                   const char    *name,
                   gboolean       suspend)
{
  AdwMessageDialog *dialog;
  g_autofree char *heading = NULL;
  static const char *suspend_ids[] = { "suspend", NULL };
  static const char *unsuspend_ids[] = { "unsuspend", NULL };

  if (!self->support || self->dialog != NULL || name == NULL || *name == '\0')
    return;

  if (suspend)
    {
      /* Translators: %s is a merchant's name */
      heading = g_strdup_printf (_("Suspend %s?"), name);
      dialog = reason_dialog_new (self, heading,
                                  _("The merchant is taken offline and gets no new orders until unsuspended. "
                                    "Orders already taken go on."),
                                  _("Reason for the suspension"));
      adw_message_dialog_add_response (dialog, "suspend", _("_Suspend"));
      adw_message_dialog_set_response_appearance (dialog, "suspend", ADW_RESPONSE_DESTRUCTIVE);
      g_object_set_data (G_OBJECT (dialog), "usdtpay-decisions", suspend_ids);
    }
  else
    {
      /* Translators: %s is a merchant's name */
      heading = g_strdup_printf (_("Unsuspend %s?"), name);
      dialog = reason_dialog_new (self, heading, _("The merchant may go online and take orders again."),
                                  _("Reason for lifting the suspension"));
      adw_message_dialog_add_response (dialog, "unsuspend", _("_Unsuspend"));
      adw_message_dialog_set_response_appearance (dialog, "unsuspend", ADW_RESPONSE_SUGGESTED);
      g_object_set_data (G_OBJECT (dialog), "usdtpay-decisions", unsuspend_ids);
    }

  g_object_set_data_full (G_OBJECT (dialog), "usdtpay-merchant", g_strdup (name), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (suspension_response_cb), self, 0);
  show_decision_dialog (self, dialog);
}

static void
suspend_action (GSimpleAction *action,
                GVariant      *param,
                gpointer       user_data)
{
  suspension_dialog (user_data, g_variant_get_string (param, NULL), TRUE);
}

static void
unsuspend_action (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  suspension_dialog (user_data, g_variant_get_string (param, NULL), FALSE);
}

/* CSV export: History's current filter. */

gboolean
usdtpay_window_export_to (UsdtpayWindow *self,
                          const char    *path)
{
  g_return_val_if_fail (USDTPAY_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  return self->in_session && usdtpay_history_page_export_to (self->history_page, path);
}

static void
export_csv_action (GSimpleAction *action,
                   GVariant      *param,
                   gpointer       user_data)
{
  UsdtpayWindow *self = user_data;

  if (self->in_session)
    usdtpay_history_page_choose_export (self->history_page);
}

static void
export_cancel_action (GSimpleAction *action,
                      GVariant      *param,
                      gpointer       user_data)
{
  UsdtpayWindow *self = user_data;

  usdtpay_history_page_cancel_export (self->history_page);
}

/* The tests set History's controls as a person would. */
static void
test_history_action (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  UsdtpayWindow *self = user_data;
  const char *control = NULL;
  const char *value = NULL;

  g_variant_get (param, "(&s&s)", &control, &value);
  if (!usdtpay_history_page_test_set (self->history_page, control, value))
    g_warning ("test-history: cannot set %s to %s", control, value);
}

static void
reconnect_action (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  UsdtpayWindow *self = user_data;

  if (self->feed != NULL)
    usdtpay_feed_reconnect_now (self->feed);
}

static void
show_page_action (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  UsdtpayWindow *self = user_data;
  const char *page = g_variant_get_string (param, NULL);

  if (!self->in_session)
    return;

  if (g_strcmp0 (page, "history") == 0 || g_strcmp0 (page, "wallet") == 0 ||
      (!self->support && (g_strcmp0 (page, "orders") == 0 || g_strcmp0 (page, "account") == 0)) ||
      (self->support && g_strcmp0 (page, "disputes") == 0))
    adw_view_stack_set_visible_child_name (self->view_stack, page);
}

static void
find_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  UsdtpayWindow *self = user_data;

  if (!self->in_session)
    return;

  adw_view_stack_set_visible_child_name (self->view_stack, "history");
  usdtpay_history_page_focus_search (self->history_page);
}

static const GActionEntry win_entries[] = {
  { "login", login_action },
  { "take", take_action, "s" },
  { "take-first", take_first_action },
  { "confirm", confirm_action, "s" },
  { "confirm-first", confirm_first_action },
  { "appeal", appeal_action, "s" },
  { "resolve", resolve_action, "s" },
  { "suspend", suspend_action, "s" },
  { "unsuspend", unsuspend_action, "s" },
  { "export-csv", export_csv_action },
  { "export-cancel", export_cancel_action },
  { "reconnect", reconnect_action },
  { "show-page", show_page_action, "s" },
  { "find", find_action },
  { "save-settings", save_settings_action },
  { "online", NULL, NULL, "false", online_change_state },
  { "auto-match", NULL, NULL, "false", auto_match_change_state },
};

/* Closing while online keeps the app in the background, still alerting. */
static gboolean
usdtpay_window_close_request (GtkWindow *window)
{
  UsdtpayWindow *self = USDTPAY_WINDOW (window);
  GApplication *app = G_APPLICATION (gtk_window_get_application (window));

  if (self->in_session && self->online && app != NULL)
    {
      g_autoptr(GNotification) notification = NULL;

      if (!self->held)
        {
          g_application_hold (app);
          self->held = TRUE;
        }
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);

      notification = g_notification_new (_("UsdtPay Is Still Running"));
      g_notification_set_body (notification,
                               _("You are online: orders still sound an alert. Open UsdtPay to go offline or quit."));
      g_notification_set_default_action (notification, "app.activate");
      g_application_send_notification (app, "background", notification);
      return TRUE;
    }

  return GTK_WINDOW_CLASS (usdtpay_window_parent_class)->close_request (window);
}

static void
visible_changed_cb (UsdtpayWindow *self)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

  if (gtk_widget_get_visible (GTK_WIDGET (self)) && self->held && app != NULL)
    {
      self->held = FALSE;
      g_application_withdraw_notification (app, "background");
      g_application_release (app);
    }
}

static gboolean
describe_idle_cb (gpointer user_data)
{
  UsdtpayWindow *self = user_data;
  const char *path = g_getenv ("USDTPAY_TEST_STATE");
  g_autofree char *text = NULL;
  g_autofree char *tmp = NULL;
  g_autoptr(GError) error = NULL;

  self->describe_source = 0;

  text = usdtpay_window_describe (self);
  tmp = g_strconcat (path, ".tmp", NULL);
  /* Written whole then renamed, so a reader never sees half a state. */
  if (!g_file_set_contents (tmp, text, -1, &error) || g_rename (tmp, path) != 0)
    g_warning ("Could not write the test state: %s", error != NULL ? error->message : g_strerror (errno));

  return G_SOURCE_REMOVE;
}

static void
desk_painted_cb (UsdtpayWindow *self,
                 GdkFrameClock *clock)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  g_signal_handlers_disconnect_by_func (clock, desk_painted_cb, self);
  if (self->desk_frame_at == 0)
    {
      self->desk_frame_at = g_get_monotonic_time ();
      schedule_describe (self);
    }
}

/* For the startup benchmark: when the logged-in desk is first drawn. */
static void
visible_page_changed_cb (UsdtpayWindow *self)
{
  GdkFrameClock *clock;

  g_assert (USDTPAY_IS_WINDOW (self));

  schedule_describe (self);

  if (self->desk_frame_at != 0 ||
      g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "desk") != 0 ||
      (clock = gtk_widget_get_frame_clock (GTK_WIDGET (self))) == NULL)
    return;

  g_signal_connect_object (clock, "after-paint", G_CALLBACK (desk_painted_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
schedule_describe (UsdtpayWindow *self)
{
  g_assert (USDTPAY_IS_WINDOW (self));

  if (self->describe_source == 0 && g_getenv ("USDTPAY_TEST_STATE") != NULL)
    self->describe_source = g_idle_add (describe_idle_cb, self);
}

/* Narrow windows (down to 360 px) drop the header's words and keep the
 * icons and switches, which still have tooltips and accessible names. */
#define COMPACT_WIDTH 640

static void
width_changed_cb (UsdtpayWindow *self)
{
  int width = 0;
  int height = 0;
  gboolean compact;

  g_assert (USDTPAY_IS_WINDOW (self));

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  compact = width > 0 && width < COMPACT_WIDTH;

  gtk_widget_set_visible (GTK_WIDGET (self->connection_label), !compact);
  gtk_widget_set_visible (self->online_label, !compact && !self->support);
  gtk_widget_set_visible (self->auto_match_label, !compact && !self->support);
  /* The window's title is in the window list; the pages are in the bottom bar. */
  adw_view_switcher_title_set_title (self->switcher_title, compact ? "" : _("UsdtPay"));
}

static void
usdtpay_window_dispose (GObject *object)
{
  UsdtpayWindow *self = (UsdtpayWindow *)object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->tick_source, g_source_remove);
  g_clear_handle_id (&self->describe_source, g_source_remove);
  if (self->feed != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->feed, self);
      usdtpay_feed_stop (self->feed);
      g_clear_object (&self->feed);
    }
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  /* The page tells of its changes while it goes too. */
  if (self->history_page != NULL)
    g_signal_handlers_disconnect_by_data (self->history_page, self);

  gtk_widget_dispose_template (GTK_WIDGET (self), USDTPAY_TYPE_WINDOW);

  G_OBJECT_CLASS (usdtpay_window_parent_class)->dispose (object);
}

static void
usdtpay_window_finalize (GObject *object)
{
  UsdtpayWindow *self = (UsdtpayWindow *)object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->notified, g_hash_table_unref);
  g_clear_object (&self->client);
  g_clear_object (&self->store);
  g_clear_object (&self->cache);
  g_clear_object (&self->alerts);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->platform, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->last_toast, g_free);
  g_clear_pointer (&self->keys, usdtpay_key_set_free);
  g_clear_pointer (&self->keys_problem, g_free);
  g_clear_pointer (&self->receipts_waiting, g_ptr_array_unref);
  g_clear_pointer (&self->receipts_asked, g_hash_table_unref);
  g_clear_object (&self->disputes);
  g_clear_pointer (&self->appeals, g_hash_table_unref);
  g_clear_object (&self->merchants);
  g_clear_pointer (&self->suspended, g_hash_table_unref);

  G_OBJECT_CLASS (usdtpay_window_parent_class)->finalize (object);
}

static void
usdtpay_window_class_init (UsdtpayWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = usdtpay_window_dispose;
  object_class->finalize = usdtpay_window_finalize;
  window_class->close_request = usdtpay_window_close_request;

  g_type_ensure (USDTPAY_TYPE_ORDER_ROW);
  g_type_ensure (USDTPAY_TYPE_WALLET_PAGE);
  g_type_ensure (USDTPAY_TYPE_ORDER_OBJECT);
  g_type_ensure (USDTPAY_TYPE_HISTORY_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/UsdtPay/usdtpay-window.ui");
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, url_row);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, username_row);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, password_row);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, login_error);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, login_button);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, connection_icon);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, connection_label);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, connection_button);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, online_switch);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, auto_match_switch);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, online_label);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, auto_match_label);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, orders_stack);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, confirm_box);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, offers_box);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, awaiting_box);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, confirm_count);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, offers_count);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, awaiting_count);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, confirm_list);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, offers_list);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, awaiting_list);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, keys_banner);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, history_page);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, orders_page);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, wallet_page);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, account_page);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, wallet_view);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, disputes_page);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, disputes_list);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, merchants_list);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, keys_banner_label);
  gtk_widget_class_bind_template_child_full (widget_class, "method_bank_row", FALSE, G_STRUCT_OFFSET (UsdtpayWindow, method_rows[0]));
  gtk_widget_class_bind_template_child_full (widget_class, "method_alipay_row", FALSE, G_STRUCT_OFFSET (UsdtpayWindow, method_rows[1]));
  gtk_widget_class_bind_template_child_full (widget_class, "method_wechat_row", FALSE, G_STRUCT_OFFSET (UsdtpayWindow, method_rows[2]));
  gtk_widget_class_bind_template_child_full (widget_class, "method_bank_name", FALSE, G_STRUCT_OFFSET (UsdtpayWindow, method_names[0]));
  gtk_widget_class_bind_template_child_full (widget_class, "method_alipay_name", FALSE, G_STRUCT_OFFSET (UsdtpayWindow, method_names[1]));
  gtk_widget_class_bind_template_child_full (widget_class, "method_wechat_name", FALSE, G_STRUCT_OFFSET (UsdtpayWindow, method_names[2]));
  gtk_widget_class_bind_template_child_full (widget_class, "method_bank_number", FALSE, G_STRUCT_OFFSET (UsdtpayWindow, method_numbers[0]));
  gtk_widget_class_bind_template_child_full (widget_class, "method_alipay_number", FALSE, G_STRUCT_OFFSET (UsdtpayWindow, method_numbers[1]));
  gtk_widget_class_bind_template_child_full (widget_class, "method_wechat_number", FALSE, G_STRUCT_OFFSET (UsdtpayWindow, method_numbers[2]));
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, min_row);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, max_row);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, cap_spin);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, account_row);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWindow, platform_row);
  gtk_widget_class_bind_template_callback (widget_class, online_state_set_cb);
  gtk_widget_class_bind_template_callback (widget_class, auto_match_state_set_cb);
  gtk_widget_class_bind_template_callback (widget_class, password_activated_cb);
}

static void
set_list_model (GtkListView *view,
                GListModel  *model)
{
  g_autoptr(GtkNoSelection) selection = gtk_no_selection_new (g_object_ref (model));

  gtk_list_view_set_model (view, GTK_SELECTION_MODEL (selection));
}

static void
usdtpay_window_init (UsdtpayWindow *self)
{
  GtkListView *lists[USDTPAY_N_SECTIONS];

  gtk_widget_init_template (GTK_WIDGET (self));

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_entries,
                                   G_N_ELEMENTS (win_entries), self);

  self->cancellable = g_cancellable_new ();
  self->notified = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->receipts_asked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->receipts_waiting = g_ptr_array_new_with_free_func ((GDestroyNotify)usdtpay_order_unref);
  self->disputes = g_list_store_new (USDTPAY_TYPE_ORDER_OBJECT);
  self->appeals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->merchants = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  self->suspended = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gtk_list_box_bind_model (self->disputes_list, G_LIST_MODEL (self->disputes), create_dispute_row, self, NULL);
  gtk_list_box_bind_model (self->merchants_list, G_LIST_MODEL (self->merchants), create_merchant_row, self, NULL);
  {
    GtkWidget *none = adw_status_page_new ();

    adw_status_page_set_title (ADW_STATUS_PAGE (none), _("No disputes"));
    adw_status_page_set_description (ADW_STATUS_PAGE (none), _("Appealed orders appear here, oldest first."));
    adw_status_page_set_icon_name (ADW_STATUS_PAGE (none), "emblem-ok-symbolic");
    gtk_widget_add_css_class (none, "compact");
    gtk_list_box_set_placeholder (self->disputes_list, none);
  }
  self->store = usdtpay_order_store_new ();

  lists[USDTPAY_SECTION_CONFIRM] = self->confirm_list;
  lists[USDTPAY_SECTION_OFFERS] = self->offers_list;
  lists[USDTPAY_SECTION_AWAITING] = self->awaiting_list;
  for (guint i = 0; i < USDTPAY_N_SECTIONS; i++)
    {
      GListModel *model = usdtpay_order_store_get_section (self->store, i);

      set_list_model (lists[i], model);
      g_signal_connect_object (model, "items-changed", G_CALLBACK (store_items_changed_cb),
                               self, G_CONNECT_SWAPPED);
    }
  g_signal_connect_object (self->history_page, "changed", G_CALLBACK (schedule_describe),
                           self, G_CONNECT_SWAPPED);
  usdtpay_history_page_set_merchants (self->history_page, G_LIST_MODEL (self->merchants));
  if (g_getenv ("USDTPAY_TEST_STATE") != NULL)
    {
      static const GActionEntry test_entries[] = {
        { "test-history", test_history_action, "(ss)" },
      };

      g_action_map_add_action_entries (G_ACTION_MAP (self), test_entries, G_N_ELEMENTS (test_entries), self);
    }

  g_signal_connect_object (self->store, "order-arrived", G_CALLBACK (order_arrived_cb),
                           self, G_CONNECT_SWAPPED);
  {
    g_autofree char *cache_path = g_build_filename (g_get_user_data_dir (), "usdtpay", "cache.db", NULL);

    self->cache = usdtpay_cache_new (cache_path);
  }
  g_signal_connect_object (self->store, "order-closed", G_CALLBACK (order_closed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "notify::is-active", G_CALLBACK (mark_seen_if_visible), NULL);
  g_signal_connect (self, "notify::visible", G_CALLBACK (visible_changed_cb), NULL);
  g_signal_connect_object (self->main_stack, "notify::visible-child",
                           G_CALLBACK (visible_page_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->wallet_view, "changed", G_CALLBACK (schedule_describe), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->view_stack, "notify::visible-child-name", G_CALLBACK (schedule_describe),
                           self, G_CONNECT_SWAPPED);

  g_signal_connect (self, "notify::default-width", G_CALLBACK (width_changed_cb), NULL);

  for (guint m = 0; m < G_N_ELEMENTS (self->method_rows); m++)
    {
      g_signal_connect_object (self->method_rows[m], "notify::enable-expansion",
                               G_CALLBACK (settings_edited_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->method_names[m], "changed",
                               G_CALLBACK (settings_edited_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->method_numbers[m], "changed",
                               G_CALLBACK (settings_edited_cb), self, G_CONNECT_SWAPPED);
    }
  g_signal_connect_object (self->min_row, "changed", G_CALLBACK (settings_edited_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->max_row, "changed", G_CALLBACK (settings_edited_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->cap_spin, "value-changed", G_CALLBACK (settings_edited_cb), self, G_CONNECT_SWAPPED);

  self->tick_source = g_timeout_add_seconds (1, tick_cb, self);
  update_sections (self);
}

UsdtpayWindow *
usdtpay_window_new (AdwApplication *application,
                    GSettings      *settings,
                    UsdtpayAlerts  *alerts)
{
  UsdtpayWindow *self;

  g_return_val_if_fail (ADW_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (USDTPAY_IS_ALERTS (alerts), NULL);

  self = g_object_new (USDTPAY_TYPE_WINDOW,
                       "application", application,
                       NULL);
  self->settings = g_object_ref (settings);
  self->alerts = g_object_ref (alerts);

  g_settings_bind (settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
  width_changed_cb (self);

  return self;
}

gboolean
usdtpay_window_get_online (UsdtpayWindow *self)
{
  g_return_val_if_fail (USDTPAY_IS_WINDOW (self), FALSE);

  return self->in_session && self->online;
}

void
usdtpay_window_show_order (UsdtpayWindow *self,
                           const char    *id)
{
  UsdtpayOrderObject *object;

  g_return_if_fail (USDTPAY_IS_WINDOW (self));
  g_return_if_fail (id != NULL);

  gtk_window_present (GTK_WINDOW (self));
  if (!self->in_session)
    return;

  object = usdtpay_order_store_lookup (self->store, id);
  if (object != NULL)
    {
      adw_view_stack_set_visible_child_name (self->view_stack, "orders");
      usdtpay_order_object_set_seen (object, TRUE);
      return;
    }

  /* A closed order: its row in History, with its detail. */
  adw_view_stack_set_visible_child_name (self->view_stack, "history");
  usdtpay_history_page_show_order (self->history_page, id);
}

UsdtpayOrderStore *
usdtpay_window_get_store (UsdtpayWindow *self)
{
  g_return_val_if_fail (USDTPAY_IS_WINDOW (self), NULL);

  return self->store;
}

void
usdtpay_window_add_toast (UsdtpayWindow *self,
                          const char    *text)
{
  AdwToast *toast;

  g_return_if_fail (USDTPAY_IS_WINDOW (self));
  g_return_if_fail (text != NULL);

  g_free (self->last_toast);
  self->last_toast = g_strdup (text);

  toast = adw_toast_new (text);
  adw_toast_set_timeout (toast, 5);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  schedule_describe (self);
}

GtkWindow *
usdtpay_window_get_dialog (UsdtpayWindow *self)
{
  g_return_val_if_fail (USDTPAY_IS_WINDOW (self), NULL);

  return self->dialog;
}

gboolean
usdtpay_window_respond_dialog (UsdtpayWindow *self,
                               const char    *response,
                               gboolean       check)
{
  g_return_val_if_fail (USDTPAY_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (response != NULL, FALSE);

  if (self->dialog == NULL)
    return FALSE;

  if (check && USDTPAY_IS_CONFIRM_DIALOG (self->dialog))
    usdtpay_confirm_dialog_set_checked (USDTPAY_CONFIRM_DIALOG (self->dialog), TRUE);

  if (!adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (self->dialog), response) ||
      !adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (self->dialog), response))
    return FALSE;

  adw_message_dialog_response (ADW_MESSAGE_DIALOG (self->dialog), response);
  gtk_window_destroy (self->dialog);

  return TRUE;
}

void
usdtpay_window_show_dialog (UsdtpayWindow *self,
                            GtkWindow     *dialog)
{
  g_return_if_fail (USDTPAY_IS_WINDOW (self));
  g_return_if_fail (GTK_IS_WINDOW (dialog));

  self->dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *)&self->dialog);
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (schedule_describe), self, G_CONNECT_SWAPPED);
  gtk_window_present (dialog);
  schedule_describe (self);
}

gboolean
usdtpay_window_activate_page_action (UsdtpayWindow *self,
                                     const char    *page,
                                     const char    *action)
{
  GtkWidget *child;

  g_return_val_if_fail (USDTPAY_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (page != NULL && action != NULL, FALSE);

  child = adw_view_stack_get_child_by_name (self->view_stack, page);

  return child != NULL && gtk_widget_activate_action_variant (child, action, NULL);
}

gboolean
usdtpay_window_set_dialog_text (UsdtpayWindow *self,
                                const char    *text)
{
  GtkWidget *extra;

  g_return_val_if_fail (USDTPAY_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if (self->dialog == NULL || !ADW_IS_MESSAGE_DIALOG (self->dialog))
    return FALSE;

  extra = adw_message_dialog_get_extra_child (ADW_MESSAGE_DIALOG (self->dialog));
  if (extra == NULL || !GTK_IS_EDITABLE (extra))
    return FALSE;

  gtk_editable_set_text (GTK_EDITABLE (extra), text);

  return TRUE;
}

char *
usdtpay_window_describe (UsdtpayWindow *self)
{
  static const char *section_names[] = { "confirm", "offers", "awaiting" };
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (USDTPAY_IS_WINDOW (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "page");
  json_builder_add_string_value (builder, gtk_stack_get_visible_child_name (self->main_stack));
  json_builder_set_member_name (builder, "login_error");
  json_builder_add_string_value (builder, gtk_widget_get_visible (GTK_WIDGET (self->login_error))
                                          ? gtk_label_get_text (self->login_error) : "");
  json_builder_set_member_name (builder, "connection");
  json_builder_add_string_value (builder, gtk_label_get_text (self->connection_label));
  json_builder_set_member_name (builder, "feed_state");
  json_builder_add_int_value (builder, self->feed != NULL ? usdtpay_feed_get_state (self->feed) : 0);
  json_builder_set_member_name (builder, "last_seq");
  json_builder_add_int_value (builder, self->feed != NULL ? usdtpay_feed_get_last_seq (self->feed) : 0);
  json_builder_set_member_name (builder, "online");
  json_builder_add_boolean_value (builder, self->online);
  json_builder_set_member_name (builder, "auto_match");
  json_builder_add_boolean_value (builder, self->auto_match);
  json_builder_set_member_name (builder, "last_toast");
  json_builder_add_string_value (builder, self->last_toast != NULL ? self->last_toast : "");
  json_builder_set_member_name (builder, "dialog");
  json_builder_add_boolean_value (builder, self->dialog != NULL);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, self->support ? "support" : "merchant");
  json_builder_set_member_name (builder, "visible_page");
  json_builder_add_string_value (builder, adw_view_stack_get_visible_child_name (self->view_stack) != NULL
                                          ? adw_view_stack_get_visible_child_name (self->view_stack) : "");
  json_builder_set_member_name (builder, "switches_visible");
  json_builder_add_boolean_value (builder, gtk_widget_get_visible (GTK_WIDGET (self->online_switch)));
  json_builder_set_member_name (builder, "dialog_heading");
  json_builder_add_string_value (builder, self->dialog != NULL && ADW_IS_MESSAGE_DIALOG (self->dialog)
                                          && adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (self->dialog)) != NULL
                                          ? adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (self->dialog)) : "");
  usdtpay_wallet_page_describe (self->wallet_view, builder);
  json_builder_set_member_name (builder, "disputes");
  json_builder_begin_array (builder);
  for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (self->disputes)); j++)
    {
      g_autoptr(UsdtpayOrderObject) object = g_list_model_get_item (G_LIST_MODEL (self->disputes), j);

      json_builder_add_string_value (builder, usdtpay_order_object_get_id (object));
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "merchants");
  json_builder_begin_object (builder);
  for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (self->merchants)); j++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (G_LIST_MODEL (self->merchants), j);
      const char *name = gtk_string_object_get_string (item);

      json_builder_set_member_name (builder, name);
      json_builder_add_boolean_value (builder, GPOINTER_TO_INT (g_hash_table_lookup (self->suspended, name)) == 2);
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "appeals");
  json_builder_begin_object (builder);
  {
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init (&iter, self->appeals);
    while (g_hash_table_iter_next (&iter, &key, &value))
      {
        json_builder_set_member_name (builder, key);
        json_builder_add_string_value (builder, value);
      }
  }
  json_builder_end_object (builder);
  usdtpay_history_page_describe (self->history_page, builder);
  json_builder_set_member_name (builder, "keys_problem");
  json_builder_add_string_value (builder, self->keys_problem != NULL ? self->keys_problem : "");
  json_builder_set_member_name (builder, "keys_checking");
  json_builder_add_boolean_value (builder, self->keys_checking);
  json_builder_set_member_name (builder, "keys_pinned");
  json_builder_add_int_value (builder, self->keys != NULL ? (gint64)self->keys->keys->len : 0);
  json_builder_set_member_name (builder, "desk_frame_at");
  json_builder_add_int_value (builder, self->desk_frame_at);
  json_builder_set_member_name (builder, "methods");
  json_builder_begin_array (builder);
  for (guint m = 0; m < G_N_ELEMENTS (method_ids); m++)
    if (adw_expander_row_get_enable_expansion (self->method_rows[m]))
      json_builder_add_string_value (builder, method_ids[m]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "min");
  json_builder_add_string_value (builder, gtk_editable_get_text (GTK_EDITABLE (self->min_row)));
  json_builder_set_member_name (builder, "max");
  json_builder_add_string_value (builder, gtk_editable_get_text (GTK_EDITABLE (self->max_row)));
  json_builder_set_member_name (builder, "cap");
  json_builder_add_int_value (builder, gtk_spin_button_get_value_as_int (self->cap_spin));
  json_builder_set_member_name (builder, "width");
  json_builder_add_int_value (builder, gtk_widget_get_width (GTK_WIDGET (self)));
  json_builder_set_member_name (builder, "repeating");
  json_builder_add_int_value (builder, usdtpay_alerts_get_n_repeating (self->alerts));

  json_builder_set_member_name (builder, "sections");
  json_builder_begin_object (builder);
  for (guint i = 0; i < USDTPAY_N_SECTIONS; i++)
    {
      GListModel *model = usdtpay_order_store_get_section (self->store, i);

      json_builder_set_member_name (builder, section_names[i]);
      json_builder_begin_array (builder);
      for (guint j = 0; j < g_list_model_get_n_items (model); j++)
        {
          g_autoptr(UsdtpayOrderObject) object = g_list_model_get_item (model, j);

          json_builder_add_string_value (builder, usdtpay_order_object_get_id (object));
        }
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);

  json_builder_end_object (builder);

  root = json_builder_get_root (builder);

  return usdtpay_json_to_string (root, NULL);
}
