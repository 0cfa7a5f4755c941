/* test-event.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-core.h"

static const struct
{
  const char *name;
  const char *key;
} expected_types[] = {
  { "order.created", "order" },
  { "order.offered", "order" },
  { "offer.withdrawn", "order" },
  { "order.matched", "order" },
  { "order.paid", "order" },
  { "order.completed", "order" },
  { "order.cancelled", "order" },
  { "order.expired", "order" },
  { "order.disputed", "order" },
  { "order.resolved", "order" },
  { "merchant.updated", "merchant" },
  { "balance.changed", "balance" },
  { "deposit.seen", "deposit" },
  { "deposit.credited", "deposit" },
  { "deposit.dropped", "deposit" },
  { "withdrawal.requested", "withdrawal" },
  { "withdrawal.sent", "withdrawal" },
  { "withdrawal.settled", "withdrawal" },
  { "withdrawal.failed", "withdrawal" },
  { "caught_up", NULL },
};

static JsonNode *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = usdtpay_json_parse_strict (text, strlen (text), &error);

  g_assert_no_error (error);
  return node;
}

static void
test_types (void)
{
  g_assert_cmpuint (G_N_ELEMENTS (expected_types), ==, USDTPAY_N_EVENT_TYPES);

  for (guint i = 0; i < G_N_ELEMENTS (expected_types); i++)
    {
      UsdtpayEventType type;

      g_assert_true (usdtpay_event_type_from_string (expected_types[i].name, &type));
      g_assert_cmpuint (type, ==, i);
      g_assert_cmpstr (usdtpay_event_type_to_string (type), ==, expected_types[i].name);
      g_assert_cmpstr (usdtpay_event_type_object_key (type), ==, expected_types[i].key);
      g_assert_cmpint (usdtpay_event_type_is_order (type), ==,
                       g_strcmp0 (expected_types[i].key, "order") == 0);
    }

  {
    UsdtpayEventType type = USDTPAY_EVENT_ORDER_PAID;

    g_assert_false (usdtpay_event_type_from_string ("order.unknown", &type));
    g_assert_false (usdtpay_event_type_from_string ("ack", &type));
    g_assert_false (usdtpay_event_type_from_string (NULL, &type));
    g_assert_cmpint (type, ==, USDTPAY_EVENT_ORDER_PAID);
  }
}

static void
test_encode (void)
{
  g_autoptr(JsonNode) object = parse ("{\"id\":\"ord_1\",\"version\":2,\"note\":\"a\\\"b\"}");
  g_autofree char *text = NULL;
  gsize length = 0;

  text = usdtpay_event_encode (17, USDTPAY_EVENT_ORDER_MATCHED,
                               G_GINT64_CONSTANT (1795659527123456), object, &length);
  g_assert_cmpstr (text, ==,
                   "{\"seq\":17,\"type\":\"order.matched\",\"at\":\"2026-11-26T02:18:47.123456Z\","
                   "\"order\":{\"id\":\"ord_1\",\"version\":2,\"note\":\"a\\\"b\"}}");
  g_assert_cmpuint (length, ==, strlen (text));

  {
    g_autoptr(JsonNode) balance = parse ("{\"available\":\"1.000000\",\"frozen\":\"0.000000\"}");
    g_autofree char *b = usdtpay_event_encode (1, USDTPAY_EVENT_BALANCE_CHANGED, 0, balance, NULL);

    g_assert_cmpstr (b, ==,
                     "{\"seq\":1,\"type\":\"balance.changed\",\"at\":\"1970-01-01T00:00:00.000000Z\","
                     "\"balance\":{\"available\":\"1.000000\",\"frozen\":\"0.000000\"}}");
  }
}

static void
test_round_trip (void)
{
  g_autoptr(JsonNode) object = parse ("{\"id\":\"ord_1\",\"n\":[1,2.5,true,null,\"\xe4\xb8\xad\"]}");

  for (guint i = 0; i < USDTPAY_N_EVENT_TYPES; i++)
    {
      g_autoptr(UsdtpayEvent) event = NULL;
      g_autoptr(UsdtpayEvent) copy = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;
      g_autofree char *again = NULL;
      gboolean control = usdtpay_event_type_object_key (i) == NULL;
      gint64 seq = 1000 + i;
      gint64 at = G_GINT64_CONSTANT (1795659527123456) + i;
      gsize length;

      text = usdtpay_event_encode (seq, i, at, control ? NULL : object, &length);

      /* The same bytes from an object serialised beforehand. */
      {
        g_autofree char *object_text = usdtpay_json_to_string (object, NULL);
        g_autofree char *raw = usdtpay_event_encode_raw (seq, i, at, control ? NULL : object_text,
                                                         control ? 0 : strlen (object_text), NULL);
        g_assert_cmpstr (raw, ==, text);
      }
      g_assert_true (usdtpay_json_validate (text, length, NULL));
      event = usdtpay_event_decode (text, length, &error);
      g_assert_no_error (error);
      g_assert_nonnull (event);
      g_assert_cmpint (event->seq, ==, seq);
      g_assert_cmpint (event->type, ==, i);
      g_assert_cmpint (event->at, ==, at);
      if (control)
        g_assert_null (event->object);
      else
        g_assert_true (json_node_equal (event->object, object));

      /* Encoding what was decoded gives the same bytes. */
      again = usdtpay_event_encode (event->seq, event->type, event->at, event->object, NULL);
      g_assert_cmpstr (again, ==, text);

      copy = usdtpay_event_copy (event);
      g_assert_cmpint (copy->seq, ==, event->seq);
      g_assert_cmpint (copy->type, ==, event->type);
      g_assert_cmpint (copy->at, ==, event->at);
      if (!control)
        g_assert_true (json_node_equal (copy->object, event->object));
    }
}

/* The platform's path: an order straight to an event's bytes. */
static void
test_order_event (void)
{
  g_autoptr(UsdtpayOrder) order = usdtpay_order_new ();
  g_autoptr(UsdtpayEvent) event = NULL;
  g_autoptr(UsdtpayOrder) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  GString *object = g_string_new (NULL);
  gsize length;

  order->id = g_strdup ("ord_abc");
  order->version = 3;
  order->state = USDTPAY_ORDER_MATCHED;
  order->amount = 100000000;
  order->fee = usdtpay_fee_compute (order->amount, 30);
  order->net = order->amount - order->fee;
  order->fiat_amount = 72000;
  memcpy (order->fiat_currency, "CNY", 4);
  order->method = g_strdup ("alipay");
  order->external_id = g_strdup ("e1");
  order->shop = g_strdup ("acme");
  order->merchant = g_strdup ("m1");
  order->created_at = G_GINT64_CONSTANT (1795659527000000);
  order->matched_at = G_GINT64_CONSTANT (1795659528000000);

  usdtpay_order_append_json (order, object, NULL);
  text = usdtpay_event_encode_raw (9, USDTPAY_EVENT_ORDER_MATCHED, order->matched_at,
                                   object->str, object->len, &length);
  g_string_free (object, TRUE);

  event = usdtpay_event_decode (text, length, &error);
  g_assert_no_error (error);
  g_assert_cmpint (event->type, ==, USDTPAY_EVENT_ORDER_MATCHED);
  back = usdtpay_order_from_json (json_node_get_object (event->object), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->id, ==, "ord_abc");
  g_assert_cmpint (back->version, ==, 3);
  g_assert_cmpint (back->fee, ==, 300000);
  g_assert_cmpint (back->matched_at, ==, order->matched_at);
  g_assert_null (back->payer_name);
}

static void
test_new_free (void)
{
  g_autoptr(JsonNode) object = parse ("{\"name\":\"m1\"}");
  g_autoptr(UsdtpayEvent) event = usdtpay_event_new (5, USDTPAY_EVENT_MERCHANT_UPDATED, 10, object);
  g_autoptr(UsdtpayEvent) control = usdtpay_event_new (9, USDTPAY_EVENT_CAUGHT_UP, 0, NULL);

  /* The event holds its own reference. */
  g_assert_true (event->object == object);
  g_assert_cmpint (event->seq, ==, 5);
  g_assert_null (control->object);

  g_assert_true (G_TYPE_IS_BOXED (USDTPAY_TYPE_EVENT));
  {
    UsdtpayEvent *boxed = g_boxed_copy (USDTPAY_TYPE_EVENT, event);
    g_assert_cmpint (boxed->type, ==, USDTPAY_EVENT_MERCHANT_UPDATED);
    g_boxed_free (USDTPAY_TYPE_EVENT, boxed);
  }
}

static void
test_control (void)
{
  g_autofree char *caught_up = usdtpay_feed_encode_caught_up (42);
  g_autofree char *ack = usdtpay_feed_encode_ack (41);
  g_autoptr(UsdtpayEvent) event = NULL;
  g_autoptr(GError) error = NULL;
  gint64 seq = 0;

  g_assert_cmpstr (caught_up, ==, "{\"type\":\"caught_up\",\"seq\":42}");
  g_assert_cmpstr (ack, ==, "{\"type\":\"ack\",\"seq\":41}");

  event = usdtpay_event_decode (caught_up, strlen (caught_up), &error);
  g_assert_no_error (error);
  g_assert_cmpint (event->type, ==, USDTPAY_EVENT_CAUGHT_UP);
  g_assert_cmpint (event->seq, ==, 42);
  g_assert_null (event->object);

  g_assert_true (usdtpay_feed_decode_ack (ack, strlen (ack), &seq, &error));
  g_assert_no_error (error);
  g_assert_cmpint (seq, ==, 41);

  {
    static const char * const bad_acks[] = {
      "", "{}", "[]", "{\"type\":\"ack\"}", "{\"type\":\"ack\",\"seq\":\"4\"}",
      "{\"type\":\"ack\",\"seq\":-1}", "{\"type\":\"ack\",\"seq\":1.5}",
      "{\"type\":\"nack\",\"seq\":4}", "{\"seq\":4}", "{\"type\":5,\"seq\":4}",
      "{\"type\":\"ack\",\"seq\":4,\"seq\":5}", "{\"type\":\"ack\",\"seq\":04}",
      "{\"type\":\"ack\",\"seq\":4}x",
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad_acks); i++)
      {
        seq = 7;
        if (usdtpay_feed_decode_ack (bad_acks[i], strlen (bad_acks[i]), &seq, &error))
          g_error ("accepted ack %s", bad_acks[i]);
        g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL);
        g_assert_cmpint (seq, ==, 7);
        g_clear_error (&error);
      }
  }
}

static void
test_decode_refused (void)
{
  static const char * const bad[] = {
    "",
    "null",
    "[]",
    "{}",
    "{\"seq\":1,\"type\":\"order.paid\",\"at\":\"2026-11-26T02:18:47.123456Z\"}",
    "{\"seq\":1,\"type\":\"order.paid\",\"at\":\"2026-11-26T02:18:47.123456Z\",\"order\":null}",
    "{\"seq\":1,\"type\":\"order.paid\",\"at\":\"2026-11-26T02:18:47.123456Z\",\"order\":[]}",
    "{\"seq\":1,\"type\":\"order.paid\",\"at\":\"2026-11-26T02:18:47.123456Z\",\"merchant\":{}}",
    "{\"seq\":1,\"type\":\"order.paid\",\"order\":{}}",
    "{\"seq\":1,\"type\":\"order.paid\",\"at\":\"yesterday\",\"order\":{}}",
    "{\"seq\":1,\"type\":\"order.paid\",\"at\":5,\"order\":{}}",
    "{\"seq\":\"1\",\"type\":\"order.paid\",\"at\":\"2026-11-26T02:18:47.123456Z\",\"order\":{}}",
    "{\"seq\":0,\"type\":\"order.paid\",\"at\":\"2026-11-26T02:18:47.123456Z\",\"order\":{}}",
    "{\"seq\":-3,\"type\":\"order.paid\",\"at\":\"2026-11-26T02:18:47.123456Z\",\"order\":{}}",
    "{\"type\":\"order.paid\",\"at\":\"2026-11-26T02:18:47.123456Z\",\"order\":{}}",
    "{\"seq\":1,\"at\":\"2026-11-26T02:18:47.123456Z\",\"order\":{}}",
    "{\"seq\":1,\"type\":\"order.lost\",\"at\":\"2026-11-26T02:18:47.123456Z\",\"order\":{}}",
    "{\"seq\":1,\"type\":\"ack\"}",
    "{\"seq\":1,\"type\":null,\"at\":\"2026-11-26T02:18:47.123456Z\",\"order\":{}}",
    "{\"seq\":1,\"type\":\"order.paid\",\"type\":\"order.paid\",\"at\":\"2026-11-26T02:18:47.123456Z\",\"order\":{}}",
    "{\"seq\":1,\"type\":\"order.paid\",\"at\":\"2026-11-26T02:18:47.123456Z\",\"order\":{},}",
    "{\"type\":\"caught_up\"}",
    "{\"type\":\"caught_up\",\"seq\":-1}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(UsdtpayEvent) event = NULL;
      g_autoptr(GError) error = NULL;

      event = usdtpay_event_decode (bad[i], strlen (bad[i]), &error);
      if (event != NULL)
        g_error ("accepted %s", bad[i]);
      g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/event/types", test_types);
  g_test_add_func ("/core/event/encode", test_encode);
  g_test_add_func ("/core/event/round-trip", test_round_trip);
  g_test_add_func ("/core/event/order-event", test_order_event);
  g_test_add_func ("/core/event/new-free", test_new_free);
  g_test_add_func ("/core/event/control", test_control);
  g_test_add_func ("/core/event/decode-refused", test_decode_refused);

  return g_test_run ();
}
