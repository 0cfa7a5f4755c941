/* test-cache.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "usdtpay-cache.h"
#include "usdtpay-order-store.h"

static UsdtpayOrder *
make_order (const char        *id,
            gint64             version,
            UsdtpayOrderState  state,
            gint64             closed_at,
            const char        *payer)
{
  UsdtpayOrder *order = usdtpay_order_new ();

  order->id = g_strdup (id);
  order->version = version;
  order->state = state;
  order->amount = 25 * USDTPAY_MICRO_PER_USDT + 1;
  order->fee = usdtpay_fee_compute (order->amount, USDTPAY_DEFAULT_FEE_BPS);
  order->net = order->amount - order->fee;
  order->fiat_amount = 18000;
  memcpy (order->fiat_currency, "CNY", 4);
  order->method = g_strdup ("wechat");
  order->external_id = g_strdup (id);
  order->customer_ref = g_strdup ("客户 7");
  order->payer_name = g_strdup (payer);
  order->shop = g_strdup ("shop");
  order->merchant = g_strdup ("alice");
  order->created_at = closed_at - 600 * G_USEC_PER_SEC;
  order->closed_at = closed_at;

  return order;
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GPtrArray **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = usdtpay_cache_load_finish (USDTPAY_CACHE (object), result, &error);
  g_assert_no_error (error);
}

static GPtrArray *
load (UsdtpayCache *cache,
      const char   *platform,
      const char   *merchant,
      guint         limit)
{
  GPtrArray *orders = NULL;

  usdtpay_cache_load_async (cache, platform, merchant, limit, NULL, loaded_cb, &orders);
  while (orders == NULL)
    g_main_context_iteration (NULL, TRUE);

  return orders;
}

static void
test_store_load (void)
{
  g_autofree char *dir = g_dir_make_tmp ("usdtpay-cache-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "sub", "cache.db", NULL);
  const char *url = "http://127.0.0.1:8080";
  gint64 t = G_GINT64_CONSTANT (1764100000) * G_USEC_PER_SEC;
  GStatBuf st;

  {
    g_autoptr(UsdtpayCache) cache = usdtpay_cache_new (path);
    g_autoptr(UsdtpayOrder) a1 = make_order ("ord_a", 3, USDTPAY_ORDER_DISPUTED, t, "Li Wei");
    g_autoptr(UsdtpayOrder) a2 = make_order ("ord_a", 4, USDTPAY_ORDER_COMPLETED, t + 10, "Li Wei");
    g_autoptr(UsdtpayOrder) a_old = make_order ("ord_a", 2, USDTPAY_ORDER_PAID, t - 10, "Li Wei");
    g_autoptr(UsdtpayOrder) b = make_order ("ord_b", 3, USDTPAY_ORDER_EXPIRED, t + 5, NULL);
    g_autoptr(UsdtpayOrder) c = make_order ("ord_c", 4, USDTPAY_ORDER_CANCELLED, t + 20, "王五");
    g_autoptr(UsdtpayOrder) other = make_order ("ord_d", 4, USDTPAY_ORDER_COMPLETED, t, NULL);
    g_autoptr(GPtrArray) empty = NULL;

    empty = load (cache, url, "alice", 10);
    g_assert_cmpuint (empty->len, ==, 0);

    usdtpay_cache_store (cache, url, "alice", a1);
    usdtpay_cache_store (cache, url, "alice", a2);
    /* An older version never replaces a newer one. */
    usdtpay_cache_store (cache, url, "alice", a_old);
    usdtpay_cache_store (cache, url, "alice", b);
    usdtpay_cache_store (cache, url, "alice", c);
    /* Kept apart by platform and merchant. */
    usdtpay_cache_store (cache, url, "bob", other);
    usdtpay_cache_store (cache, "https://pay.example.com", "alice", other);
    usdtpay_cache_flush (cache);
  }

  /* Readable by this user only. */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0077, ==, 0);

  /* A new cache on the same file: what was stored survived. */
  {
    g_autoptr(UsdtpayCache) cache = usdtpay_cache_new (path);
    g_autoptr(GPtrArray) orders = load (cache, url, "alice", 10);
    g_autoptr(GPtrArray) two = load (cache, url, "alice", 2);
    UsdtpayOrder *o;

    g_assert_cmpuint (orders->len, ==, 3);
    /* Newest first. */
    o = g_ptr_array_index (orders, 0);
    g_assert_cmpstr (o->id, ==, "ord_c");
    g_assert_cmpstr (o->payer_name, ==, "王五");
    g_assert_cmpstr (o->customer_ref, ==, "客户 7");
    o = g_ptr_array_index (orders, 1);
    g_assert_cmpstr (o->id, ==, "ord_a");
    g_assert_cmpint (o->version, ==, 4);
    g_assert_cmpint (o->state, ==, USDTPAY_ORDER_COMPLETED);
    g_assert_cmpint (o->amount, ==, 25 * USDTPAY_MICRO_PER_USDT + 1);
    g_assert_cmpint (o->fiat_amount, ==, 18000);
    o = g_ptr_array_index (orders, 2);
    g_assert_cmpstr (o->id, ==, "ord_b");
    g_assert_null (o->payer_name);

    g_assert_cmpuint (two->len, ==, 2);
  }

  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);
    g_autofree char *sub = g_path_get_dirname (path);

    g_unlink (wal);
    g_unlink (shm);
    g_unlink (path);
    g_rmdir (sub);
    g_rmdir (dir);
  }
}

static void
closed_cb (UsdtpayOrderStore  *store,
           UsdtpayOrderObject *object,
           guint              *count)
{
  (*count)++;
}

static void
test_history_in_place (void)
{
  g_autoptr(UsdtpayOrderStore) store = usdtpay_order_store_new ();
  gint64 t = G_GINT64_CONSTANT (1764100000) * G_USEC_PER_SEC;
  g_autoptr(UsdtpayOrder) disputed = make_order ("ord_a", 5, USDTPAY_ORDER_DISPUTED, t, "Li Wei");
  g_autoptr(UsdtpayOrder) resolved = make_order ("ord_a", 6, USDTPAY_ORDER_COMPLETED, t + 1, "Li Wei");
  g_autoptr(UsdtpayOrder) older = make_order ("ord_a", 4, USDTPAY_ORDER_PAID, t - 1, "Li Wei");
  GListModel *history = usdtpay_order_store_get_history (store);
  g_autoptr(UsdtpayOrderObject) row = NULL;
  guint closed = 0;

  usdtpay_order_store_set_merchant (store, "alice");
  g_signal_connect (store, "order-closed", G_CALLBACK (closed_cb), &closed);

  usdtpay_order_store_apply (store, disputed, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (history), ==, 1);
  /* Resolved: the same History row, changed in place. */
  usdtpay_order_store_apply (store, resolved, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (history), ==, 1);
  row = g_list_model_get_item (history, 0);
  g_assert_cmpint (usdtpay_order_object_get_order (row)->state, ==, USDTPAY_ORDER_COMPLETED);
  g_assert_cmpuint (closed, ==, 2);
  /* An older copy (a cache read late) changes nothing. */
  g_assert_cmpint (usdtpay_order_store_apply (store, older, FALSE), ==, USDTPAY_APPLY_IGNORED);
  g_assert_cmpuint (g_list_model_get_n_items (history), ==, 1);
}

static void
receipt_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  UsdtpayCachedReceipt **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = usdtpay_cache_lookup_receipt_finish (USDTPAY_CACHE (object), result, &error);
  g_assert_no_error (error);
}

static UsdtpayCachedReceipt *
lookup_receipt (UsdtpayCache *cache,
                const char   *platform,
                const char   *id)
{
  UsdtpayCachedReceipt *out = GINT_TO_POINTER (1);

  usdtpay_cache_lookup_receipt_async (cache, platform, id, NULL, receipt_cb, &out);
  while (out == GINT_TO_POINTER (1))
    g_main_context_iteration (NULL, TRUE);

  return out;
}

/* The latest receipt of an order wins; an older seq never replaces it, and
 * a verified copy of the same seq replaces an unverified one, never the
 * other way round. Receipts are per platform. */
static void
test_receipts (void)
{
  g_autofree char *dir = g_dir_make_tmp ("usdtpay-cache-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  g_autoptr(UsdtpayCache) cache = usdtpay_cache_new (path);
  UsdtpayCachedReceipt r = { (char *)"ord_1", 10, (char *)"k1", (char *)"{\"a\":1}", (char *)"ab", FALSE };
  g_autoptr(UsdtpayCachedReceipt) got = NULL;

  g_assert_null (lookup_receipt (cache, "https://p", "ord_1"));

  usdtpay_cache_store_receipt (cache, "https://p", &r);
  got = lookup_receipt (cache, "https://p", "ord_1");
  g_assert_nonnull (got);
  g_assert_cmpint (got->seq, ==, 10);
  g_assert_cmpstr (got->receipt, ==, "{\"a\":1}");
  g_assert_false (got->verified);
  g_clear_pointer (&got, usdtpay_cached_receipt_free);

  r.verified = TRUE;
  usdtpay_cache_store_receipt (cache, "https://p", &r);
  r.verified = FALSE;
  r.signature = (char *)"cd";
  usdtpay_cache_store_receipt (cache, "https://p", &r);
  got = lookup_receipt (cache, "https://p", "ord_1");
  g_assert_true (got->verified);
  g_assert_cmpstr (got->signature, ==, "ab");
  g_clear_pointer (&got, usdtpay_cached_receipt_free);

  r.seq = 12;
  r.key_id = (char *)"k2";
  usdtpay_cache_store_receipt (cache, "https://p", &r);
  r.seq = 11;
  usdtpay_cache_store_receipt (cache, "https://p", &r);
  got = lookup_receipt (cache, "https://p", "ord_1");
  g_assert_cmpint (got->seq, ==, 12);
  g_assert_cmpstr (got->key_id, ==, "k2");
  g_assert_false (got->verified);
  g_clear_pointer (&got, usdtpay_cached_receipt_free);

  g_assert_null (lookup_receipt (cache, "https://other", "ord_1"));

  g_clear_object (&cache);
  g_unlink (path);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_unlink (wal);
    g_unlink (shm);
  }
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/cache/store-load", test_store_load);
  g_test_add_func ("/app/cache/receipts", test_receipts);
  g_test_add_func ("/app/order-store/history-in-place", test_history_in_place);

  return g_test_run ();
}
