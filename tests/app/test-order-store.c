/* test-order-store.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "usdtpay-client.h"
#include "usdtpay-feed.h"
#include "usdtpay-order-store.h"

typedef struct
{
  guint position;
  guint removed;
  guint added;
} Change;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GArray     *changes)
{
  Change c = { position, removed, added };

  g_array_append_val (changes, c);
}

static UsdtpayOrder *
make_order (const char        *id,
            gint64             version,
            UsdtpayOrderState  state,
            const char        *merchant,
            gint64             created_at)
{
  UsdtpayOrder *order = usdtpay_order_new ();

  order->id = g_strdup (id);
  order->version = version;
  order->state = state;
  order->amount = 100 * USDTPAY_MICRO_PER_USDT;
  order->fee = usdtpay_fee_compute (order->amount, USDTPAY_DEFAULT_FEE_BPS);
  order->net = order->amount - order->fee;
  order->fiat_amount = 72000;
  memcpy (order->fiat_currency, "CNY", 4);
  order->method = g_strdup ("alipay");
  order->external_id = g_strdup (id);
  order->shop = g_strdup ("shop");
  order->merchant = g_strdup (merchant);
  order->created_at = created_at;
  order->offer_deadline = created_at + 60 * G_USEC_PER_SEC;
  order->payment_deadline = created_at + 900 * G_USEC_PER_SEC;
  order->confirm_deadline = created_at + 1800 * G_USEC_PER_SEC;

  return order;
}

static void
arrived_cb (UsdtpayOrderStore  *store,
            UsdtpayOrderObject *object,
            guint               section,
            GPtrArray          *arrivals)
{
  g_ptr_array_add (arrivals, g_strdup_printf ("%s:%u", usdtpay_order_object_get_id (object), section));
}

static void
test_version_rule (void)
{
  g_autoptr(UsdtpayOrderStore) store = usdtpay_order_store_new ();
  g_autoptr(UsdtpayOrder) v1 = make_order ("ord_a", 1, USDTPAY_ORDER_PENDING, NULL, 1000);
  g_autoptr(UsdtpayOrder) v2 = make_order ("ord_a", 2, USDTPAY_ORDER_MATCHED, "alice", 1000);
  g_autoptr(UsdtpayOrder) v4 = make_order ("ord_a", 4, USDTPAY_ORDER_COMPLETED, "alice", 1000);
  g_autoptr(UsdtpayOrder) v3 = make_order ("ord_a", 3, USDTPAY_ORDER_PAID, "alice", 1000);

  usdtpay_order_store_set_merchant (store, "alice");

  /* Not held: applied. */
  g_assert_cmpint (usdtpay_order_store_apply (store, v1, TRUE), ==, USDTPAY_APPLY_APPLIED);
  /* At or below the held version: ignored. */
  g_assert_cmpint (usdtpay_order_store_apply (store, v1, TRUE), ==, USDTPAY_APPLY_IGNORED);
  /* v+1: applied. */
  g_assert_cmpint (usdtpay_order_store_apply (store, v2, TRUE), ==, USDTPAY_APPLY_APPLIED);
  /* Skipped a version: refetch, nothing changes. */
  g_assert_cmpint (usdtpay_order_store_apply (store, v4, TRUE), ==, USDTPAY_APPLY_NEEDS_REFETCH);
  g_assert_cmpuint (g_list_model_get_n_items (usdtpay_order_store_get_section (store, USDTPAY_SECTION_AWAITING)), ==, 1);
  /* The refetched order (not from the feed) is applied whatever it skipped. */
  g_assert_cmpint (usdtpay_order_store_apply (store, v4, FALSE), ==, USDTPAY_APPLY_APPLIED);
  g_assert_cmpuint (g_list_model_get_n_items (usdtpay_order_store_get_section (store, USDTPAY_SECTION_AWAITING)), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (usdtpay_order_store_get_history (store)), ==, 1);
  /* An old event after the refetch is ignored. */
  g_assert_cmpint (usdtpay_order_store_apply (store, v3, TRUE), ==, USDTPAY_APPLY_IGNORED);
  g_assert_null (usdtpay_order_store_lookup (store, "ord_a"));
}

static void
test_sections_in_place (void)
{
  g_autoptr(UsdtpayOrderStore) store = usdtpay_order_store_new ();
  g_autoptr(GArray) offers_changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_autoptr(GArray) awaiting_changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_autoptr(GPtrArray) arrivals = g_ptr_array_new_with_free_func (g_free);
  GListModel *offers;
  GListModel *awaiting;
  g_autoptr(UsdtpayOrder) a = make_order ("ord_a", 1, USDTPAY_ORDER_PENDING, NULL, 3000);
  g_autoptr(UsdtpayOrder) b = make_order ("ord_b", 1, USDTPAY_ORDER_PENDING, NULL, 1000);
  g_autoptr(UsdtpayOrder) c = make_order ("ord_c", 1, USDTPAY_ORDER_PENDING, NULL, 2000);
  g_autoptr(UsdtpayOrder) c2 = make_order ("ord_c", 2, USDTPAY_ORDER_MATCHED, "alice", 2000);
  g_autoptr(UsdtpayOrder) b2 = make_order ("ord_b", 2, USDTPAY_ORDER_MATCHED, "bob", 1000);
  g_autoptr(UsdtpayOrder) a_ref = make_order ("ord_a", 2, USDTPAY_ORDER_PENDING, NULL, 3000);
  g_autoptr(UsdtpayOrderObject) first = NULL;
  UsdtpayOrderObject *held_a;
  Change *ch;

  usdtpay_order_store_set_merchant (store, "alice");
  offers = usdtpay_order_store_get_section (store, USDTPAY_SECTION_OFFERS);
  awaiting = usdtpay_order_store_get_section (store, USDTPAY_SECTION_AWAITING);
  g_signal_connect (offers, "items-changed", G_CALLBACK (items_changed_cb), offers_changes);
  g_signal_connect (awaiting, "items-changed", G_CALLBACK (items_changed_cb), awaiting_changes);
  g_signal_connect (store, "order-arrived", G_CALLBACK (arrived_cb), arrivals);

  usdtpay_order_store_apply (store, a, TRUE);
  usdtpay_order_store_apply (store, b, TRUE);
  usdtpay_order_store_apply (store, c, TRUE);

  /* Sorted oldest first, each insertion at its exact position. */
  g_assert_cmpuint (offers_changes->len, ==, 3);
  ch = &g_array_index (offers_changes, Change, 0);
  g_assert_cmpuint (ch->position, ==, 0); g_assert_cmpuint (ch->added, ==, 1); g_assert_cmpuint (ch->removed, ==, 0);
  ch = &g_array_index (offers_changes, Change, 1);
  g_assert_cmpuint (ch->position, ==, 0);
  ch = &g_array_index (offers_changes, Change, 2);
  g_assert_cmpuint (ch->position, ==, 1);
  first = g_list_model_get_item (offers, 0);
  g_assert_cmpstr (usdtpay_order_object_get_id (first), ==, "ord_b");

  /* A change that keeps an order in its section is no list change at all:
   * the row follows the object. */
  held_a = usdtpay_order_store_lookup (store, "ord_a");
  usdtpay_order_store_apply (store, a_ref, TRUE);
  g_assert_cmpuint (offers_changes->len, ==, 3);
  g_assert_true (usdtpay_order_store_lookup (store, "ord_a") == held_a);
  g_assert_true (usdtpay_order_object_get_order (held_a) == a_ref);

  /* Matched to us: leaves offers at its position, enters awaiting. */
  usdtpay_order_store_apply (store, c2, TRUE);
  ch = &g_array_index (offers_changes, Change, 3);
  g_assert_cmpuint (ch->position, ==, 1); g_assert_cmpuint (ch->removed, ==, 1); g_assert_cmpuint (ch->added, ==, 0);
  g_assert_cmpuint (awaiting_changes->len, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (awaiting), ==, 1);

  /* Matched to someone else: leaves, goes nowhere. */
  usdtpay_order_store_apply (store, b2, TRUE);
  ch = &g_array_index (offers_changes, Change, 4);
  g_assert_cmpuint (ch->position, ==, 0); g_assert_cmpuint (ch->removed, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (offers), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (usdtpay_order_store_get_history (store)), ==, 0);

  /* A withdrawn offer leaves at its position. */
  usdtpay_order_store_remove (store, "ord_a");
  ch = &g_array_index (offers_changes, Change, 5);
  g_assert_cmpuint (ch->position, ==, 0); g_assert_cmpuint (ch->removed, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (offers), ==, 0);

  g_assert_cmpuint (arrivals->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (arrivals, 0), ==, "ord_a:1");
  g_assert_cmpstr (g_ptr_array_index (arrivals, 3), ==, "ord_c:2");
}

static void
test_object_texts (void)
{
  g_autoptr(UsdtpayOrder) order = make_order ("ord_0123456789abcdefghjk", 1, USDTPAY_ORDER_PAID, "alice", g_get_real_time ());
  g_autoptr(UsdtpayOrderObject) object = usdtpay_order_object_new (order);
  g_autofree char *short_id = usdtpay_order_object_dup_short_id (object);
  g_autofree char *detail = NULL;
  g_autofree char *countdown = NULL;
  gboolean urgent = TRUE;

  g_assert_cmpstr (usdtpay_order_object_get_fiat_text (object), ==, "CNY 720.00");
  g_assert_cmpstr (usdtpay_order_object_get_usdt_text (object), ==, "100.000000 USDT");
  g_object_get (object, "detail-text", &detail, "countdown-text", &countdown, "urgent", &urgent, NULL);
  g_assert_cmpstr (detail, ==, "100.000000 USDT · fee 0.300000");
  g_assert_cmpstr (countdown, ==, "30:00 left");
  g_assert_false (urgent);
  g_assert_cmpstr (short_id, ==, "GHJK");

  /* Under two minutes the countdown is urgent. */
  usdtpay_order_object_tick (object, order->confirm_deadline - 90 * G_USEC_PER_SEC);
  g_clear_pointer (&countdown, g_free);
  g_object_get (object, "countdown-text", &countdown, "urgent", &urgent, NULL);
  g_assert_cmpstr (countdown, ==, "1:30 left");
  g_assert_true (urgent);

  g_assert_cmpstr (usdtpay_method_display_name ("wechat"), ==, "WeChat Pay");
  g_assert_cmpstr (usdtpay_method_display_name ("sepa"), ==, "sepa");
}

static void
test_check_url (void)
{
  static const char *good[] = {
    "https://pay.example.com", "https://pay.example.com/", "http://127.0.0.1:8080",
    "http://localhost:1", "http://[::1]:8080", "http://127.1.2.3",
  };
  static const char *bad[] = {
    "http://pay.example.com", "http://10.0.0.1:8080", "ftp://pay.example.com",
    "https://pay.example.com/v1", "https://user@pay.example.com", "https://pay.example.com?x=1",
    "pay.example.com", "", "http://", "https://pay.example.com#frag",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;

      if (!usdtpay_client_check_url (good[i], &error))
        g_error ("%s refused: %s", good[i], error->message);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      if (usdtpay_client_check_url (bad[i], &error))
        g_error ("%s accepted", bad[i]);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
}

static void
test_backoff (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  guint previous_max = 0;

  for (guint attempt = 0; attempt < 40; attempt++)
    {
      guint full = attempt < 16 ? MIN (500u << attempt, 30000u) : 30000u;
      guint lo = G_MAXUINT, hi = 0;

      for (guint i = 0; i < 200; i++)
        {
          guint d = usdtpay_feed_backoff_ms (attempt, rand);

          lo = MIN (lo, d);
          hi = MAX (hi, d);
        }

      /* Equal jitter: between half and the whole of the exponential step. */
      g_assert_cmpuint (lo, >=, full / 2);
      g_assert_cmpuint (hi, <=, full);
      /* Jitter really spreads the delays. */
      g_assert_cmpuint (hi - lo, >, full / 8);
      g_assert_cmpuint (hi, >=, previous_max / 2);
      previous_max = hi;
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/order-store/version-rule", test_version_rule);
  g_test_add_func ("/app/order-store/sections-in-place", test_sections_in_place);
  g_test_add_func ("/app/order-object/texts", test_object_texts);
  g_test_add_func ("/app/client/check-url", test_check_url);
  g_test_add_func ("/app/feed/backoff", test_backoff);

  return g_test_run ();
}
