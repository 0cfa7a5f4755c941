/* test-order.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-core.h"

static UsdtpayOrder *
sample_order (void)
{
  UsdtpayOrder *order = usdtpay_order_new ();

  order->id = g_strdup ("ord_0123456789abcdefghjk");
  order->version = 4;
  order->state = USDTPAY_ORDER_PAID;
  order->amount = 1234500000;
  order->fee = usdtpay_fee_compute (order->amount, USDTPAY_DEFAULT_FEE_BPS);
  order->net = order->amount - order->fee;
  order->fiat_amount = 891234;
  memcpy (order->fiat_currency, "CNY", 4);
  order->method = g_strdup ("bank");
  order->external_id = g_strdup ("shop-order-\"42\"");
  order->customer_ref = g_strdup ("cust\xe4\xb8\xad");
  order->payer_name = g_strdup ("Zhang San");
  order->shop = g_strdup ("acme");
  order->merchant = g_strdup ("m1");
  order->return_url = NULL;
  order->created_at = G_GINT64_CONSTANT (1795659527123456);
  order->matched_at = order->created_at + 1000000;
  order->paid_at = order->created_at + 60000001;
  order->payment_deadline = order->matched_at + 15 * 60 * G_USEC_PER_SEC;
  order->confirm_deadline = order->paid_at + 30 * 60 * G_USEC_PER_SEC;
  order->offer_deadline = order->created_at + 60 * G_USEC_PER_SEC;
  return order;
}

static void
assert_orders_equal (const UsdtpayOrder *a,
                     const UsdtpayOrder *b)
{
  g_assert_cmpstr (a->id, ==, b->id);
  g_assert_cmpint (a->version, ==, b->version);
  g_assert_cmpint (a->state, ==, b->state);
  g_assert_cmpint (a->amount, ==, b->amount);
  g_assert_cmpint (a->fee, ==, b->fee);
  g_assert_cmpint (a->net, ==, b->net);
  g_assert_cmpint (a->fiat_amount, ==, b->fiat_amount);
  g_assert_cmpstr (a->fiat_currency, ==, b->fiat_currency);
  g_assert_cmpstr (a->method, ==, b->method);
  g_assert_cmpstr (a->external_id, ==, b->external_id);
  g_assert_cmpstr (a->customer_ref, ==, b->customer_ref);
  g_assert_cmpstr (a->payer_name, ==, b->payer_name);
  g_assert_cmpstr (a->shop, ==, b->shop);
  g_assert_cmpstr (a->merchant, ==, b->merchant);
  g_assert_cmpstr (a->return_url, ==, b->return_url);
  g_assert_cmpint (a->created_at, ==, b->created_at);
  g_assert_cmpint (a->matched_at, ==, b->matched_at);
  g_assert_cmpint (a->paid_at, ==, b->paid_at);
  g_assert_cmpint (a->completed_at, ==, b->completed_at);
  g_assert_cmpint (a->closed_at, ==, b->closed_at);
  g_assert_cmpint (a->payment_deadline, ==, b->payment_deadline);
  g_assert_cmpint (a->confirm_deadline, ==, b->confirm_deadline);
  g_assert_cmpint (a->offer_deadline, ==, b->offer_deadline);
}

static void
test_refcount (void)
{
  g_autoptr(UsdtpayOrder) order = sample_order ();
  g_autoptr(UsdtpayOrder) copy = NULL;
  UsdtpayOrder *ref;

  ref = usdtpay_order_ref (order);
  g_assert_true (ref == order);
  usdtpay_order_unref (ref);

  copy = usdtpay_order_copy (order);
  g_assert_true (copy != order);
  g_assert_true (copy->id != order->id);
  assert_orders_equal (order, copy);

  g_assert_true (G_TYPE_IS_BOXED (USDTPAY_TYPE_ORDER));
  {
    UsdtpayOrder *boxed = g_boxed_copy (USDTPAY_TYPE_ORDER, order);
    g_assert_true (boxed == order);
    g_boxed_free (USDTPAY_TYPE_ORDER, boxed);
  }

  {
    g_autoptr(UsdtpayOrder) fresh = usdtpay_order_new ();
    g_assert_cmpint (fresh->version, ==, 1);
    g_assert_cmpint (fresh->state, ==, USDTPAY_ORDER_PENDING);
    g_assert_null (fresh->id);
  }
}

static void
test_wire (void)
{
  g_autoptr(UsdtpayOrder) order = sample_order ();
  g_autoptr(JsonNode) node = usdtpay_order_to_node (order, NULL);
  g_autofree char *text = usdtpay_json_to_string (node, NULL);
  const char *expected =
    "{\"id\":\"ord_0123456789abcdefghjk\",\"version\":4,\"state\":\"paid\","
    "\"amount\":\"1234.500000\",\"fee\":\"3.703500\",\"net\":\"1230.796500\","
    "\"fiat_amount\":\"8912.34\",\"fiat_currency\":\"CNY\",\"method\":\"bank\","
    "\"external_id\":\"shop-order-\\\"42\\\"\",\"customer_ref\":\"cust\xe4\xb8\xad\","
    "\"payer_name\":\"Zhang San\",\"shop\":\"acme\",\"merchant\":\"m1\",\"return_url\":null,"
    "\"created_at\":\"2026-11-26T02:18:47.123456Z\",\"matched_at\":\"2026-11-26T02:18:48.123456Z\","
    "\"paid_at\":\"2026-11-26T02:19:47.123457Z\",\"completed_at\":null,\"closed_at\":null,"
    "\"payment_deadline\":\"2026-11-26T02:33:48.123456Z\","
    "\"confirm_deadline\":\"2026-11-26T02:49:47.123457Z\","
    "\"offer_deadline\":\"2026-11-26T02:19:47.123456Z\"}";

  g_assert_cmpstr (text, ==, expected);

  {
    g_autoptr(JsonNode) with_url = usdtpay_order_to_node (order, "https://pay.example/pay/x?t=abc");
    JsonObject *object = json_node_get_object (with_url);

    g_assert_cmpstr (json_object_get_string_member (object, "pay_url"), ==,
                     "https://pay.example/pay/x?t=abc");
    g_assert_false (json_object_has_member (json_node_get_object (node), "pay_url"));
  }

  /* Into a builder that is already inside an array. */
  {
    g_autoptr(JsonBuilder) builder = json_builder_new ();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *list = NULL;

    json_builder_begin_object (builder);
    json_builder_set_member_name (builder, "items");
    json_builder_begin_array (builder);
    usdtpay_order_to_json (order, builder, NULL);
    usdtpay_order_to_json (order, builder, NULL);
    json_builder_end_array (builder);
    json_builder_end_object (builder);
    root = json_builder_get_root (builder);
    list = usdtpay_json_to_string (root, NULL);
    g_assert_true (g_str_has_prefix (list, "{\"items\":[{\"id\":"));
    g_assert_true (usdtpay_json_validate (list, strlen (list), NULL));
  }

  /* A JPY order has no decimals, a KWD one three. */
  {
    g_autoptr(JsonNode) jpy_node = NULL;

    memcpy (order->fiat_currency, "JPY", 4);
    order->fiat_amount = 150000;
    jpy_node = usdtpay_order_to_node (order, NULL);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (jpy_node), "fiat_amount"), ==, "150000");
  }
}

static void
test_round_trip (void)
{
  for (guint i = 0; i < 2000; i++)
    {
      g_autoptr(UsdtpayOrder) order = sample_order ();
      g_autoptr(UsdtpayOrder) back = NULL;
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(JsonNode) reparsed = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;
      gsize length;
      static const char * const currencies[] = { "CNY", "JPY", "KWD", "USD", "VND", "CLF" };
      const char *pay_url;
      GString *direct;

      order->state = g_test_rand_int_range (0, USDTPAY_N_ORDER_STATES);
      order->version = g_test_rand_int_range (1, G_MAXINT32);
      order->amount = g_test_rand_int_range (1, G_MAXINT32) * (gint64)g_test_rand_int_range (1, 465);
      order->fee = usdtpay_fee_compute (order->amount, g_test_rand_int_range (0, 10001));
      order->net = order->amount - order->fee;
      order->fiat_amount = g_test_rand_int_range (1, G_MAXINT32);
      memcpy (order->fiat_currency, currencies[i % G_N_ELEMENTS (currencies)], 4);
      if (g_test_rand_bit ())
        g_clear_pointer (&order->merchant, g_free);
      if (g_test_rand_bit ())
        g_clear_pointer (&order->customer_ref, g_free);
      if (g_test_rand_bit ())
        g_clear_pointer (&order->payer_name, g_free);
      if (g_test_rand_bit ())
        order->return_url = g_strdup ("https://shop.example/back?x=1&y=\"2\"");
      if (g_test_rand_bit ())
        {
          g_free (order->payer_name);
          order->payer_name = g_strdup ("Tab\there, \"quote\", back\\slash, \x01, \xe4\xb8\xad\xe6\x96\x87");
        }
      order->completed_at = g_test_rand_bit () ? 0 : order->created_at + g_test_rand_int ();
      order->closed_at = g_test_rand_bit () ? 0 : order->created_at + g_test_rand_int ();
      order->matched_at = g_test_rand_bit () ? 0 : order->matched_at;

      pay_url = g_test_rand_bit () ? "https://x/pay/1?t=2" : NULL;
      node = usdtpay_order_to_node (order, pay_url);
      text = usdtpay_json_to_string (node, &length);

      /* The tree-free writer makes the same bytes. */
      direct = g_string_new (NULL);
      usdtpay_order_append_json (order, direct, pay_url);
      g_assert_cmpstr (direct->str, ==, text);
      g_string_free (direct, TRUE);

      reparsed = usdtpay_json_parse_strict (text, length, &error);
      g_assert_no_error (error);
      back = usdtpay_order_from_json (json_node_get_object (reparsed), &error);
      g_assert_no_error (error);
      g_assert_nonnull (back);
      assert_orders_equal (order, back);
    }
}

static void
test_from_json_refused (void)
{
  static const struct { const char *member; const char *json; } bad[] = {
    { "id", NULL },
    { "id", "\"\"" },
    { "id", "5" },
    { "version", NULL },
    { "version", "\"4\"" },
    { "version", "0" },
    { "version", "1.5" },
    { "state", "\"done\"" },
    { "state", NULL },
    { "amount", "1234.5" },
    { "amount", "\"1234.5000001\"" },
    { "amount", "\"0\"" },
    { "amount", "\"-1\"" },
    { "amount", "\"1000000000.000001\"" },
    { "fee", "\"5000\"" },
    { "net", "\"1.000000\"" },
    { "net", NULL },
    { "fiat_amount", "\"8912.345\"" },
    { "fiat_currency", "\"cny\"" },
    { "fiat_currency", "\"XXX\"" },
    { "method", NULL },
    { "method", "null" },
    { "external_id", "[]" },
    { "shop", NULL },
    { "merchant", "7" },
    { "customer_ref", "false" },
    { "created_at", NULL },
    { "created_at", "null" },
    { "created_at", "\"yesterday\"" },
    { "paid_at", "\"2026-11-26 02:19:47Z\"" },
    { "paid_at", "1795659527" },
    { "pay_url", "1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(UsdtpayOrder) order = sample_order ();
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) copy = NULL;
      g_autoptr(UsdtpayOrder) back = NULL;
      g_autoptr(GError) error = NULL;
      JsonObject *object;

      /* A mutable tree, so the test can spoil it. */
      usdtpay_order_to_json (order, builder, NULL);
      copy = json_builder_get_root (builder);
      object = json_node_get_object (copy);

      if (bad[i].json == NULL)
        json_object_remove_member (object, bad[i].member);
      else
        {
          g_autoptr(JsonNode) value = usdtpay_json_parse_strict (bad[i].json, strlen (bad[i].json), NULL);

          g_assert_nonnull (value);
          json_object_set_member (object, bad[i].member, g_steal_pointer (&value));
        }

      back = usdtpay_order_from_json (object, &error);
      if (back != NULL)
        g_error ("accepted %s = %s", bad[i].member, bad[i].json ? bad[i].json : "(absent)");
      g_assert_true (g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST) ||
                     g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/order/refcount", test_refcount);
  g_test_add_func ("/core/order/wire", test_wire);
  g_test_add_func ("/core/order/round-trip", test_round_trip);
  g_test_add_func ("/core/order/from-json-refused", test_from_json_refused);

  return g_test_run ();
}
