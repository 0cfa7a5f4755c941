/* bench-alert-latency.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * From a feed message's arrival (the text as the WebSocket hands it over)
 * to ca_context_play() returning, and to the GNotification being sent:
 * decode, version rule, section placement, alert, notification, the same
 * code path as the app. Run inside apptest.py's session (a session bus and a
 * PulseAudio null sink). Prints p50, p99 and max over 1,000 events.
 */

#include "config.h"

#include "usdtpay-alerts.h"
#include "usdtpay-order-store.h"

#define N_EVENTS 1000

typedef struct
{
  GApplication      *app;
  UsdtpayAlerts     *alerts;
  gint64             arrived;
  gint64            *to_play;
  gint64            *to_notify;
  guint              n;
} Bench;

static void
arrived_cb (UsdtpayOrderStore  *store,
            UsdtpayOrderObject *object,
            guint               section,
            Bench              *b)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = NULL;

  usdtpay_alerts_alert (b->alerts, USDTPAY_ALERT_NEW_OFFER, object);
  b->to_play[b->n] = usdtpay_alerts_get_last_played_at (b->alerts) - b->arrived;

  notification = g_notification_new ("New Order Offered");
  g_notification_set_body (notification, usdtpay_order_object_get_fiat_text (object));
  g_notification_set_default_action_and_target (notification, "app.show-order", "s",
                                                usdtpay_order_object_get_id (object));
  id = g_strdup_printf ("order-%s", usdtpay_order_object_get_id (object));
  g_application_send_notification (b->app, id, notification);
  b->to_notify[b->n] = g_get_monotonic_time () - b->arrived;
}

static int
cmp_int64 (gconstpointer a,
           gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

static void
report (const char *what,
        gint64     *values,
        guint       n)
{
  qsort (values, n, sizeof *values, cmp_int64);
  g_print ("alert-latency %s: p50 %.3f ms, p99 %.3f ms, max %.3f ms over %u events\n",
           what, values[n / 2] / 1000.0, values[(n * 99) / 100] / 1000.0,
           values[n - 1] / 1000.0, n);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GApplication) app = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(UsdtpayAlerts) alerts = NULL;
  g_autoptr(UsdtpayOrderStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gint64 *to_play = g_new0 (gint64, N_EVENTS);
  g_autofree gint64 *to_notify = g_new0 (gint64, N_EVENTS);
  Bench b = { 0, };

  app = g_application_new ("com.example.UsdtPay.Bench", G_APPLICATION_DEFAULT_FLAGS);
  if (!g_application_register (app, NULL, &error))
    g_error ("register: %s", error->message);

  settings = g_settings_new (APPLICATION_ID);
  g_settings_set_uint (settings, "repeat-interval", 0);
  alerts = usdtpay_alerts_new (settings);
  store = usdtpay_order_store_new ();
  usdtpay_order_store_set_merchant (store, "alice");

  b.app = app;
  b.alerts = alerts;
  b.to_play = to_play;
  b.to_notify = to_notify;
  g_signal_connect (store, "order-arrived", G_CALLBACK (arrived_cb), &b);

  for (guint i = 0; i < N_EVENTS; i++)
    {
      g_autoptr(UsdtpayOrder) order = usdtpay_order_new ();
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(UsdtpayEvent) event = NULL;
      g_autoptr(UsdtpayOrder) decoded = NULL;
      g_autofree char *text = NULL;
      gsize len = 0;

      order->id = g_strdup_printf ("ord_bench%011u", i);
      order->version = 1;
      order->state = USDTPAY_ORDER_PENDING;
      order->amount = 100 * USDTPAY_MICRO_PER_USDT;
      order->fee = usdtpay_fee_compute (order->amount, USDTPAY_DEFAULT_FEE_BPS);
      order->net = order->amount - order->fee;
      order->fiat_amount = 72000;
      memcpy (order->fiat_currency, "CNY", 4);
      order->method = g_strdup ("alipay");
      order->external_id = g_strdup_printf ("bench-%u", i);
      order->shop = g_strdup ("shop");
      order->created_at = g_get_real_time ();
      order->offer_deadline = order->created_at + 60 * G_USEC_PER_SEC;
      node = usdtpay_order_to_node (order, NULL);
      text = usdtpay_event_encode (i + 1, USDTPAY_EVENT_ORDER_OFFERED, order->created_at, node, &len);

      /* The message has arrived. */
      b.arrived = g_get_monotonic_time ();
      b.n = i;
      event = usdtpay_event_decode (text, len, &error);
      g_assert_no_error (error);
      decoded = usdtpay_order_from_json (json_node_get_object (event->object), &error);
      g_assert_no_error (error);
      g_assert_cmpint (usdtpay_order_store_apply (store, decoded, TRUE), ==, USDTPAY_APPLY_APPLIED);
      g_assert_cmpint (to_play[i], >, 0);

      /* Let the bus and the sound server breathe, as between real events. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (i % 50 == 49)
        usdtpay_order_store_clear (store);
    }

  report ("to ca_context_play", to_play, N_EVENTS);
  report ("to GNotification sent", to_notify, N_EVENTS);

  return 0;
}
