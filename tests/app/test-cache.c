/* test-cache.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include "usdtpay-cache.h"
#include "usdtpay-cache-filter.h"
#include "usdtpay-export.h"
#include "usdtpay-order-store.h"

static void
remove_cache_files (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_unlink (wal);
  g_unlink (shm);
  g_unlink (path);
}

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
    g_autoptr(UsdtpayOrder) open = make_order ("ord_open", 4, USDTPAY_ORDER_DISPUTED, t - 1000, NULL);
    g_autoptr(GPtrArray) empty = NULL;

    empty = load (cache, url, "alice", 10);
    g_assert_cmpuint (empty->len, ==, 0);

    usdtpay_cache_store (cache, url, "alice", a1);
    usdtpay_cache_store (cache, url, "alice", a2);
    /* An older version never replaces a newer one. */
    usdtpay_cache_store (cache, url, "alice", a_old);
    usdtpay_cache_store (cache, url, "alice", b);
    usdtpay_cache_store (cache, url, "alice", c);
    /* A dispute: not closed (closed_at 0), and oldest. */
    open->closed_at = 0;
    usdtpay_cache_store (cache, url, "alice", open);
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

    g_assert_cmpuint (orders->len, ==, 4);
    /* The open one whatever the limit, then the closed ones newest first. */
    o = g_ptr_array_index (orders, 0);
    g_assert_cmpstr (o->id, ==, "ord_open");
    g_ptr_array_remove_index (orders, 0);
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

    g_assert_cmpuint (two->len, ==, 3);
    g_assert_cmpstr (((UsdtpayOrder *)g_ptr_array_index (two, 0))->id, ==, "ord_open");
    g_assert_cmpstr (((UsdtpayOrder *)g_ptr_array_index (two, 1))->id, ==, "ord_c");
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

/* The wallet's top-ups in progress: per platform and account, oldest
 * first, committed when the store answers (another connection sees it),
 * gone once forgotten, and there when the cache is opened again. */
static void
top_up_stored_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  int *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (usdtpay_cache_store_top_up_finish (USDTPAY_CACHE (object), result, &error));
  g_assert_no_error (error);
  *done = 1;
}

static void
top_ups_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GPtrArray **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = usdtpay_cache_load_top_ups_finish (USDTPAY_CACHE (object), result, &error);
  g_assert_no_error (error);
}

static GPtrArray *
load_top_ups (UsdtpayCache *cache,
              const char   *platform,
              const char   *account)
{
  GPtrArray *out = GINT_TO_POINTER (1);

  usdtpay_cache_load_top_ups_async (cache, platform, account, NULL, top_ups_cb, &out);
  while (out == GINT_TO_POINTER (1))
    g_main_context_iteration (NULL, TRUE);

  return out;
}

static gint64
count_top_ups_elsewhere (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM wallet_top_ups", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return n;
}

/* Drops the test's reference and waits until the cache is finalized (its
 * queued writes committed): the last GTask's result may still hold it. */
static void
close_cache (UsdtpayCache **cache)
{
  gpointer weak = *cache;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_object_add_weak_pointer (G_OBJECT (*cache), &weak);
  g_clear_object (cache);
  while (weak != NULL && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  g_assert_null (weak);
}

static void
test_top_ups (void)
{
  g_autofree char *dir = g_dir_make_tmp ("usdtpay-cache-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  g_autoptr(UsdtpayCache) cache = usdtpay_cache_new (path);
  UsdtpayCachedTopUp a = { (char *)"0xaa", 100000000, 7, (char *)"0x02f8aa", 2000, (char *)"0x70997970" };
  UsdtpayCachedTopUp b = { (char *)"0xbb", 5000000, 8, (char *)"0x02f8bb", 1000, (char *)"0x70997970" };
  g_autoptr(GPtrArray) got = NULL;
  UsdtpayCachedTopUp *t;
  int done = 0;

  got = load_top_ups (cache, "https://p", "alice");
  g_assert_cmpuint (got->len, ==, 0);
  g_clear_pointer (&got, g_ptr_array_unref);

  usdtpay_cache_store_top_up_async (cache, "https://p", "alice", &a, NULL, top_up_stored_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  /* Committed before it answers. */
  g_assert_cmpint (count_top_ups_elsewhere (path), ==, 1);
  done = 0;
  usdtpay_cache_store_top_up_async (cache, "https://p", "alice", &b, NULL, top_up_stored_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  done = 0;
  usdtpay_cache_store_top_up_async (cache, "https://q", "alice", &a, NULL, top_up_stored_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);

  got = load_top_ups (cache, "https://p", "alice");
  g_assert_cmpuint (got->len, ==, 2);
  t = g_ptr_array_index (got, 0);
  g_assert_cmpstr (t->tx_hash, ==, "0xbb");
  t = g_ptr_array_index (got, 1);
  g_assert_cmpstr (t->tx_hash, ==, "0xaa");
  g_assert_cmpint (t->amount, ==, 100000000);
  g_assert_cmpuint (t->nonce, ==, 7);
  g_assert_cmpstr (t->raw, ==, "0x02f8aa");
  g_assert_cmpstr (t->sender, ==, "0x70997970");
  g_assert_cmpint (t->sent_at, ==, 2000);
  g_clear_pointer (&got, g_ptr_array_unref);
  got = load_top_ups (cache, "https://p", "bob");
  g_assert_cmpuint (got->len, ==, 0);
  g_clear_pointer (&got, g_ptr_array_unref);

  usdtpay_cache_forget_top_up (cache, "https://p", "alice", "0xbb");
  /* The cache's one worker runs jobs in order: this load comes after the
   * forget. */
  got = load_top_ups (cache, "https://p", "alice");
  g_assert_cmpuint (got->len, ==, 1);
  g_clear_pointer (&got, g_ptr_array_unref);
  close_cache (&cache);

  cache = usdtpay_cache_new (path);
  got = load_top_ups (cache, "https://p", "alice");
  g_assert_cmpuint (got->len, ==, 1);
  g_assert_cmpstr (((UsdtpayCachedTopUp *)g_ptr_array_index (got, 0))->tx_hash, ==, "0xaa");
  g_clear_pointer (&got, g_ptr_array_unref);
  got = load_top_ups (cache, "https://q", "alice");
  g_assert_cmpuint (got->len, ==, 1);
  g_clear_pointer (&got, g_ptr_array_unref);

  g_clear_object (&cache);
  remove_cache_files (path);
  g_rmdir (dir);
}

/* Migration: a cache file as the first release wrote it (schema v1, no
 * user_version), made here with its own SQL, opened by today's cache. */
static void
test_migrate_v1 (void)
{
  g_autofree char *dir = g_dir_make_tmp ("usdtpay-cache-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  const char *url = "http://127.0.0.1:8080";
  gint64 t = G_GINT64_CONSTANT (1764100000) * G_USEC_PER_SEC;
  g_autoptr(UsdtpayOrder) a = make_order ("ord_a", 6, USDTPAY_ORDER_COMPLETED, t, "Li Wei");
  g_autoptr(UsdtpayOrder) b = make_order ("ord_b", 4, USDTPAY_ORDER_CANCELLED, t + 10, NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  a->completed_at = t;
  a->paid_at = t - 100;
  a->matched_at = t - 200;
  g_free (b->merchant);
  b->merchant = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE orders (platform TEXT NOT NULL, merchant TEXT NOT NULL, id TEXT NOT NULL,"
    " version INTEGER NOT NULL, closed_at INTEGER NOT NULL, json TEXT NOT NULL,"
    " PRIMARY KEY (platform, merchant, id));"
    "CREATE INDEX orders_by_time ON orders (platform, merchant, closed_at);"
    "CREATE TABLE receipts (platform TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,"
    " key_id TEXT NOT NULL, receipt TEXT NOT NULL, signature TEXT NOT NULL, verified INTEGER NOT NULL,"
    " PRIMARY KEY (platform, id));"
    "CREATE TABLE events (platform TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL,"
    " PRIMARY KEY (platform, id));"
    "INSERT INTO receipts VALUES ('http://127.0.0.1:8080', 'ord_a', 9, 'k1', '{}', 'ab', 1);"
    "INSERT INTO events VALUES ('http://127.0.0.1:8080', 'ord_a', '[]');",
    NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "INSERT INTO orders VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1,
                                       &stmt, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < 3; i++)
    {
      UsdtpayOrder *o = i == 0 ? a : b;
      g_autoptr(JsonNode) node = usdtpay_order_to_node (o, NULL);
      g_autofree char *json = i < 2 ? usdtpay_json_to_string (node, NULL) : g_strdup ("{not json");

      sqlite3_bind_text (stmt, 1, url, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, i == 1 ? "bob" : "alice", -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, i == 2 ? "ord_broken" : o->id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 4, o->version);
      sqlite3_bind_int64 (stmt, 5, o->closed_at);
      sqlite3_bind_text (stmt, 6, json, -1, SQLITE_TRANSIENT);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  {
    g_autoptr(UsdtpayCache) cache = usdtpay_cache_new (path);
    g_autoptr(GPtrArray) alice = NULL;
    g_autoptr(GPtrArray) bob = NULL;
    UsdtpayOrder *o;

    /* usdtpay_cache_load_async() opens (and migrates) the file. */
    g_test_expect_message ("usdtpay-cache", G_LOG_LEVEL_WARNING, "*kept unread in the migration*");
    g_test_expect_message ("usdtpay-cache", G_LOG_LEVEL_WARNING, "*skipping an unreadable order*");
    alice = load (cache, url, "alice", 10);
    g_test_assert_expected_messages ();
    bob = load (cache, url, "bob", 10);
    g_assert_cmpuint (bob->len, ==, 1);
    o = g_ptr_array_index (bob, 0);
    g_assert_cmpstr (o->id, ==, "ord_b");
    g_assert_null (o->merchant);
    g_assert_cmpuint (alice->len, ==, 1);
    o = g_ptr_array_index (alice, 0);
    g_assert_cmpstr (o->payer_name, ==, "Li Wei");
    g_assert_cmpint (o->completed_at, ==, t);
    g_assert_cmpstr (usdtpay_cache_get_path (cache), ==, path);
  }

  /* What the migration made, read back with SQL. */
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  /* 2 the plain columns, 3 History's indexes, 4 the wallet's top-ups. */
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 4);
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
    "SELECT account, id, version, state, created_at, matched_at, paid_at, completed_at, closed_at,"
    " amount, fee, net, fiat_amount, fiat_currency, method, merchant, shop, external_id, customer_ref,"
    " payer_name, json FROM orders ORDER BY id", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 0), ==, "alice");
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 1), ==, "ord_a");
  g_assert_cmpint (sqlite3_column_int64 (stmt, 2), ==, 6);
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 3), ==, "completed");
  g_assert_cmpint (sqlite3_column_int64 (stmt, 4), ==, a->created_at);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 5), ==, a->matched_at);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 6), ==, a->paid_at);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 7), ==, a->completed_at);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 8), ==, a->closed_at);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 9), ==, a->amount);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 10), ==, a->fee);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 11), ==, a->net);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 12), ==, 18000);
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 13), ==, "CNY");
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 14), ==, "wechat");
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 15), ==, "alice");
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 16), ==, "shop");
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 17), ==, "ord_a");
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 18), ==, "客户 7");
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 19), ==, "Li Wei");
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 1), ==, "ord_b");
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 0), ==, "bob");
  g_assert_cmpint (sqlite3_column_type (stmt, 15), ==, SQLITE_NULL);
  g_assert_cmpint (sqlite3_column_type (stmt, 19), ==, SQLITE_NULL);
  /* Not lost: the unreadable one keeps its JSON. */
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 1), ==, "ord_broken");
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 20), ==, "{not json");
  g_assert_cmpint (sqlite3_column_type (stmt, 3), ==, SQLITE_NULL);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM receipts JOIN events USING (platform, id)",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  /* Opening it again migrates nothing more. */
  {
    g_autoptr(UsdtpayCache) cache = usdtpay_cache_new (path);
    g_autoptr(GPtrArray) bob = load (cache, url, "bob", 10);

    g_assert_cmpuint (bob->len, ==, 1);
  }

  remove_cache_files (path);
  g_rmdir (dir);
}

/* A newer file than this build knows is refused, not damaged. */
static void
test_newer_refused (void)
{
  g_autofree char *dir = g_dir_make_tmp ("usdtpay-cache-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  g_assert_false (usdtpay_cache_upgrade_file (path, &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "newer"));

  remove_cache_files (path);
  g_rmdir (dir);
}

/* Filters: a varied set of orders, and for each filter the rows SQL
 * selects with append_where() + bind() against a selection made here in
 * C from the orders themselves. */

#define N_FILTER_ORDERS 240

static const char *filter_refs[] = { "Alpha-1", "alpha-2", "BETA", "客户 7", "50%_off", "x\\y", NULL };
static const char *filter_methods[] = { "bank", "alipay", "wechat" };
static const char *filter_merchants[] = { "alice", "bob", NULL };

static UsdtpayOrder *
filter_order (guint i,
              gint64 t0)
{
  UsdtpayOrder *o = usdtpay_order_new ();

  o->id = g_strdup_printf ("ord_%c%03u", "abc"[i % 3], i);
  o->version = 5;
  o->state = i % USDTPAY_N_ORDER_STATES;
  o->amount = (gint64)(10 + i % 7) * USDTPAY_MICRO_PER_USDT + (i % 2) * 500000;
  o->fee = 0;
  o->net = o->amount;
  if (i % 5 == 0)
    {
      memcpy (o->fiat_currency, "JPY", 4);
      o->fiat_amount = 1500 + i % 4;
    }
  else
    {
      memcpy (o->fiat_currency, "CNY", 4);
      o->fiat_amount = 7200 + (i % 4) * 50;
    }
  o->method = g_strdup (filter_methods[i % 3]);
  o->merchant = g_strdup (filter_merchants[i % 3]);
  o->shop = g_strdup ("shop");
  o->external_id = g_strdup_printf ("ext-%u", i);
  o->customer_ref = g_strdup (filter_refs[i % G_N_ELEMENTS (filter_refs)]);
  o->created_at = t0 + (gint64)i * G_USEC_PER_SEC;
  /* Every 8th is not closed (closed_at 0). */
  o->closed_at = i % 8 == 7 ? 0 : t0 + (gint64)i * 10 * G_USEC_PER_SEC;

  return o;
}

static gboolean
ascii_contains (const char *haystack,
                const char *needle,
                gboolean    prefix)
{
  g_autofree char *h = NULL;
  g_autofree char *n = NULL;

  if (haystack == NULL)
    return FALSE;
  h = g_ascii_strdown (haystack, -1);
  n = g_ascii_strdown (needle, -1);

  return prefix ? g_str_has_prefix (h, n) : strstr (h, n) != NULL;
}

static gboolean
filter_passes (const UsdtpayCacheFilter *f,
               const UsdtpayOrder       *o)
{
  if (g_strcmp0 (f->platform, "https://p") != 0 || g_strcmp0 (f->account, "alice") != 0)
    return FALSE;
  if (f->states != 0 && !(f->states & (1u << o->state)))
    return FALSE;
  if (f->from != 0 && o->closed_at < f->from)
    return FALSE;
  if (f->to != 0 && (o->closed_at == 0 || o->closed_at >= f->to))
    return FALSE;
  if (f->method != NULL && g_strcmp0 (f->method, o->method) != 0)
    return FALSE;
  if (f->merchant != NULL && g_strcmp0 (f->merchant, o->merchant) != 0)
    return FALSE;
  if (f->search != NULL && f->search[0] != '\0')
    {
      gint64 usdt, fiat;

      if (ascii_contains (o->id, f->search, TRUE) || ascii_contains (o->customer_ref, f->search, FALSE))
        return TRUE;
      if (usdtpay_usdt_parse (f->search, &usdt, NULL) && usdt == o->amount)
        return TRUE;
      if (usdtpay_fiat_parse (f->search, o->fiat_currency, &fiat, NULL) && fiat == o->fiat_amount)
        return TRUE;
      return FALSE;
    }

  return TRUE;
}

static GPtrArray *
select_ids (sqlite3                  *db,
            const UsdtpayCacheFilter *filter)
{
  g_autoptr(GString) sql = g_string_new ("SELECT o.id FROM orders o");
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt = NULL;
  int rc;

  usdtpay_cache_filter_append_where (filter, sql);
  /* The caller's own parameter after the filter's. */
  g_string_append_printf (sql, " ORDER BY o.closed_at DESC, o.id LIMIT ?%u",
                          usdtpay_cache_filter_get_n_params (filter) + 1);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql->str, -1, &stmt, NULL), ==, SQLITE_OK);
  usdtpay_cache_filter_bind (filter, stmt);
  g_assert_cmpint (sqlite3_bind_int (stmt, usdtpay_cache_filter_get_n_params (filter) + 1, 100000), ==,
                   SQLITE_OK);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *)sqlite3_column_text (stmt, 0)));
  g_assert_cmpint (rc, ==, SQLITE_DONE);
  sqlite3_finalize (stmt);

  return ids;
}

static int
compare_orders_newest_first (gconstpointer a,
                             gconstpointer b)
{
  const UsdtpayOrder *x = *(UsdtpayOrder **)a;
  const UsdtpayOrder *y = *(UsdtpayOrder **)b;

  if (x->closed_at != y->closed_at)
    return x->closed_at > y->closed_at ? -1 : 1;
  return strcmp (x->id, y->id);
}

static void
test_filter (void)
{
  g_autofree char *dir = g_dir_make_tmp ("usdtpay-cache-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  gint64 t0 = G_GINT64_CONSTANT (1764000000) * G_USEC_PER_SEC;
  g_autoptr(GPtrArray) orders = g_ptr_array_new_with_free_func ((GDestroyNotify)usdtpay_order_unref);
  g_autoptr(UsdtpayCacheFilter) base = usdtpay_cache_filter_new ("https://p", "alice");
  struct
  {
    const char *search;
    guint       states;
    gint64      from, to;
    const char *method, *merchant;
    guint       min_rows;
  } cases[] = {
    { NULL, 0, 0, 0, NULL, NULL, N_FILTER_ORDERS },
    { "", 0, 0, 0, NULL, NULL, N_FILTER_ORDERS },
    { NULL, 1u << USDTPAY_ORDER_COMPLETED, 0, 0, NULL, NULL, 10 },
    { NULL, (1u << USDTPAY_ORDER_COMPLETED) | (1u << USDTPAY_ORDER_DISPUTED), 0, 0, NULL, NULL, 20 },
    { NULL, (1u << USDTPAY_N_ORDER_STATES) - 1, 0, 0, NULL, NULL, N_FILTER_ORDERS },
    { NULL, 0, t0 + 500 * G_USEC_PER_SEC, 0, NULL, NULL, 100 },
    { NULL, 0, 0, t0 + 500 * G_USEC_PER_SEC, NULL, NULL, 20 },
    { NULL, 0, t0 + 500 * G_USEC_PER_SEC, t0 + 1000 * G_USEC_PER_SEC, NULL, NULL, 20 },
    { NULL, 0, t0 + 500 * G_USEC_PER_SEC, t0 + 500 * G_USEC_PER_SEC, NULL, NULL, 0 },
    { NULL, 0, 0, 0, "alipay", NULL, 50 },
    { NULL, 0, 0, 0, NULL, "bob", 50 },
    { NULL, 1u << USDTPAY_ORDER_CANCELLED, t0 + 100 * G_USEC_PER_SEC, 0, "bank", "alice", 1 },
    { "ord_b", 0, 0, 0, NULL, NULL, 50 },
    { "ORD_C01", 0, 0, 0, NULL, NULL, 3 },
    { "alpha", 0, 0, 0, NULL, NULL, 50 },
    { "HA-", 0, 0, 0, NULL, NULL, 50 },
    { "客户", 0, 0, 0, NULL, NULL, 20 },
    { "%_", 0, 0, 0, NULL, NULL, 20 },
    { "_", 0, 0, 0, NULL, NULL, 20 },
    { "\\", 0, 0, 0, NULL, NULL, 20 },
    { "12", 0, 0, 0, NULL, NULL, 15 },
    { "12.5", 0, 0, 0, NULL, NULL, 10 },
    { "73", 0, 0, 0, NULL, NULL, 10 },
    { "72.50", 0, 0, 0, NULL, NULL, 10 },
    { "1502", 0, 0, 0, NULL, NULL, 5 },
    { "15.02", 0, 0, 0, NULL, NULL, 0 },
    { "nothing at all", 0, 0, 0, NULL, NULL, 0 },
    { "beta", 1u << USDTPAY_ORDER_EXPIRED, 0, 0, "wechat", NULL, 0 },
  };
  sqlite3 *db = NULL;

  {
    g_autoptr(UsdtpayCache) cache = usdtpay_cache_new (path);

    for (guint i = 0; i < N_FILTER_ORDERS; i++)
      {
        g_autoptr(UsdtpayOrder) o = filter_order (i, t0);

        usdtpay_cache_store (cache, "https://p", "alice", o);
        g_ptr_array_add (orders, g_steal_pointer (&o));
      }
    /* Other platforms' and accounts' rows never show. */
    for (guint i = 0; i < 20; i++)
      {
        g_autoptr(UsdtpayOrder) o = filter_order (1000 + i, t0);

        usdtpay_cache_store (cache, "https://p", "bob", o);
        usdtpay_cache_store (cache, "https://q", "alice", o);
      }
    usdtpay_cache_flush (cache);
  }
  g_ptr_array_sort (orders, compare_orders_newest_first);

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(UsdtpayCacheFilter) filter = usdtpay_cache_filter_copy (base);
      g_autoptr(UsdtpayCacheFilter) copy = NULL;
      g_autoptr(GPtrArray) got = NULL;
      g_autoptr(GPtrArray) want = g_ptr_array_new ();

      filter->search = g_strdup (cases[c].search);
      filter->states = cases[c].states;
      filter->from = cases[c].from;
      filter->to = cases[c].to;
      filter->method = g_strdup (cases[c].method);
      filter->merchant = g_strdup (cases[c].merchant);
      /* A copy selects the same. */
      copy = usdtpay_cache_filter_copy (filter);

      got = select_ids (db, copy);
      for (guint i = 0; i < orders->len; i++)
        {
          UsdtpayOrder *o = g_ptr_array_index (orders, i);

          if (filter_passes (filter, o))
            g_ptr_array_add (want, o->id);
        }
      if (g_test_verbose ())
        g_printerr ("case %u: %u rows\n", c, want->len);
      g_assert_cmpuint (want->len, >=, cases[c].min_rows);
      g_assert_cmpuint (got->len, ==, want->len);
      for (guint i = 0; i < want->len; i++)
        g_assert_cmpstr (g_ptr_array_index (got, i), ==, g_ptr_array_index (want, i));
    }
  sqlite3_close (db);

  remove_cache_files (path);
  g_rmdir (dir);
}

static GThread *main_thread;

static void
changed_cb (UsdtpayCache *cache,
            guint        *count)
{
  /* On the main context's thread, never the cache's worker. */
  g_assert_true (g_thread_self () == main_thread);
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  (*count)++;
}

static void
count_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GPtrArray) orders = usdtpay_cache_load_finish (USDTPAY_CACHE (object), result, NULL);

  *(int *)user_data = orders != NULL ? (int)orders->len : -1;
}

static int
count_rows (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int n = -1;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  if (sqlite3_prepare_v2 (db, "SELECT count(*) FROM orders", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return n;
}

/* `changed`: on the main context, once queued writes are committed (a
 * reader's own connection sees them then), once for a burst, never for
 * reads. */
static void
test_changed (void)
{
  g_autofree char *dir = g_dir_make_tmp ("usdtpay-cache-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  gint64 t = G_GINT64_CONSTANT (1764100000) * G_USEC_PER_SEC;
  g_autoptr(UsdtpayCache) cache = usdtpay_cache_new (path);
  guint changed = 0;
  int loaded = -2;
  gint64 deadline;

  g_signal_connect (cache, "changed", G_CALLBACK (changed_cb), &changed);

  for (guint i = 0; i < 2500; i++)
    {
      g_autofree char *id = g_strdup_printf ("ord_%04u", i);
      g_autoptr(UsdtpayOrder) o = make_order (id, 4, USDTPAY_ORDER_COMPLETED, t + i, NULL);

      usdtpay_cache_store (cache, "https://p", "alice", o);
    }
  /* Not before the main context runs. */
  usdtpay_cache_flush (cache);
  g_assert_cmpuint (changed, ==, 0);
  g_assert_cmpint (count_rows (path), ==, 2500);
  while (changed == 0)
    g_main_context_iteration (NULL, TRUE);
  /* However many commits the burst took, one emission waited. */
  g_assert_cmpuint (changed, ==, 1);

  /* A read is no change. */
  usdtpay_cache_load_async (cache, "https://p", "alice", 5, NULL, count_cb, &loaded);
  while (loaded == -2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (loaded, ==, 5);
  deadline = g_get_monotonic_time () + 200 * 1000;
  while (g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (changed, ==, 1);

  /* An order stored on its own: changed again, and the row is visible to
   * another connection when it is. */
  {
    g_autoptr(UsdtpayOrder) o = make_order ("ord_late", 4, USDTPAY_ORDER_COMPLETED, t + 9999, NULL);

    usdtpay_cache_store (cache, "https://p", "alice", o);
  }
  while (changed == 1)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (count_rows (path), ==, 2501);

  g_clear_object (&cache);
  remove_cache_files (path);
  g_rmdir (dir);
}

/* The export's own writer against the core's usdtpay_csv_append_export_row()
 * over the same orders: byte for byte, texts that need quoting and
 * neutralising included; and the filter narrows it. */
static void
test_export_matches_core (void)
{
  g_autofree char *dir = g_dir_make_tmp ("usdtpay-cache-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  g_autofree char *csv_path = g_build_filename (dir, "out.csv", NULL);
  gint64 t = G_GINT64_CONSTANT (1764100000) * G_USEC_PER_SEC;
  static const char *texts[] = {
    "=1+2", "+SUM(A1)", "-2", "@cmd", "\tx", "\rx", "''+y", "'=x", "'plain", "plain, \"quoted\"",
    "line\nbreak", "客户 7", "\"", ",", "a\r\nb", NULL,
  };
  g_autoptr(GPtrArray) orders = g_ptr_array_new_with_free_func ((GDestroyNotify)usdtpay_order_unref);
  g_autoptr(GString) want = g_string_new (NULL);
  g_autoptr(UsdtpayCacheFilter) filter = usdtpay_cache_filter_new ("https://p", "alice");
  g_autoptr(GError) error = NULL;
  g_autofree char *got = NULL;
  UsdtpayExportProgress progress = { 0, };
  guint64 rows = 0;
  gsize full_length;

  {
    g_autoptr(UsdtpayCache) cache = usdtpay_cache_new (path);

    for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
      {
        g_autofree char *id = g_strdup_printf ("ord_%02u", i);
        UsdtpayOrder *o = make_order (id, 6, i % 4 == 3 ? USDTPAY_ORDER_CANCELLED : USDTPAY_ORDER_COMPLETED,
                                      t + (gint64)(i % 5) * G_USEC_PER_SEC, texts[(i + 3) % G_N_ELEMENTS (texts)]);

        g_free (o->customer_ref);
        o->customer_ref = g_strdup (texts[i]);
        o->completed_at = o->state == USDTPAY_ORDER_COMPLETED ? o->closed_at : 0;
        o->paid_at = o->closed_at - 1;
        if (i % 3 == 0)
          {
            memcpy (o->fiat_currency, "JPY", 4);
            o->fiat_amount = 1234;
          }
        if (i == 5)
          {
            g_free (o->merchant);
            o->merchant = NULL;
          }
        usdtpay_cache_store (cache, "https://p", "alice", o);
        if (o->state == USDTPAY_ORDER_COMPLETED)
          {
            g_autofree char *receipt = g_strdup_printf ("{\"id\":\"%s\",\"note\":\"a, \\\"b\\\"\"}", id);
            UsdtpayCachedReceipt r = { id, 10 + i, (char *)"k1", receipt, (char *)"00ff", TRUE };

            usdtpay_cache_store_receipt (cache, "https://p", &r);
          }
        g_ptr_array_add (orders, o);
      }
    /* And texts made up of the bytes that matter, 0 to 99 bytes long, at
     * every position of an eight-byte word (the writer reads words). */
    for (guint i = 0; i < 300; i++)
      {
        static const char *pieces[] = { "a", "\"", ",", "\r", "\n", "'", "=", "+", "-", "@", "\t", "客", "xyzw" };
        g_autofree char *id = g_strdup_printf ("ord_%03u", 100 + i);
        UsdtpayOrder *o = make_order (id, 6, USDTPAY_ORDER_CANCELLED, t - (gint64)i * G_USEC_PER_SEC, NULL);
        GString *ref = g_string_new (NULL);
        GString *payer = g_string_new (NULL);
        guint n = g_test_rand_int_range (0, 100);

        for (guint k = 0; k < n; k++)
          g_string_append (ref, pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))]);
        /* Mostly plain, a special byte somewhere or nowhere. */
        n = g_test_rand_int_range (0, 100);
        for (guint k = 0; k < n; k++)
          g_string_append (payer, g_test_rand_int_range (0, 20) == 0
                                  ? pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))] : "p");
        g_free (o->customer_ref);
        o->customer_ref = g_string_free (ref, FALSE);
        o->payer_name = g_string_free (payer, FALSE);
        usdtpay_cache_store (cache, "https://p", "alice", o);
        g_ptr_array_add (orders, o);
      }
    usdtpay_cache_flush (cache);
  }
  g_ptr_array_sort (orders, compare_orders_newest_first);

  usdtpay_csv_append_export_header (want);
  for (guint i = 0; i < orders->len; i++)
    {
      UsdtpayOrder *o = g_ptr_array_index (orders, i);
      guint n = (guint)g_ascii_strtoull (o->id + 4, NULL, 10);
      g_autofree char *receipt = g_strdup_printf ("{\"id\":\"%s\",\"note\":\"a, \\\"b\\\"\"}", o->id);
      gboolean signed_ = o->state == USDTPAY_ORDER_COMPLETED;

      usdtpay_csv_append_export_row (want, o, signed_ ? 10 + n : 0, signed_ ? "k1" : NULL,
                                     signed_ ? receipt : NULL, signed_ ? "00ff" : NULL);
    }

  g_assert_true (usdtpay_export_csv (path, filter, csv_path, &progress, NULL, &rows, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rows, ==, orders->len);
  g_assert_cmpint (progress.total, ==, (gint)orders->len);
  g_assert_cmpint (progress.done, ==, (gint)orders->len);
  g_assert_true (g_file_get_contents (csv_path, &got, NULL, NULL));
  g_assert_cmpstr (got, ==, want->str);
  full_length = strlen (got);
  g_clear_pointer (&got, g_free);

  /* Filtered: the cancelled ones alone, in the same order. */
  g_string_truncate (want, 0);
  usdtpay_csv_append_export_header (want);
  for (guint i = 0; i < orders->len; i++)
    {
      UsdtpayOrder *o = g_ptr_array_index (orders, i);

      if (o->state == USDTPAY_ORDER_CANCELLED)
        usdtpay_csv_append_export_row (want, o, 0, NULL, NULL, NULL);
    }
  filter->states = 1u << USDTPAY_ORDER_CANCELLED;
  g_assert_true (usdtpay_export_csv (path, filter, csv_path, NULL, NULL, &rows, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rows, ==, 304);
  g_assert_true (g_file_get_contents (csv_path, &got, NULL, NULL));
  g_assert_cmpstr (got, ==, want->str);

  /* Cancelled before it starts: an error, and no file (the old one stays). */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autofree char *fresh = g_build_filename (dir, "fresh.csv", NULL);
    g_autoptr(GDir) listing = NULL;
    const char *name;
    guint n_files = 0;

    g_cancellable_cancel (cancellable);
    filter->states = 0;
    /* Rows are checked every 1024: make sure the last check catches it. */
    g_assert_false (usdtpay_export_csv (path, filter, fresh, NULL, cancellable, &rows, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_false (g_file_test (fresh, G_FILE_TEST_EXISTS));
    listing = g_dir_open (dir, 0, NULL);
    while ((name = g_dir_read_name (listing)) != NULL)
      {
        g_assert_false (g_str_has_prefix (name, ".fresh.csv"));
        n_files++;
      }
    g_assert_cmpuint (n_files, >=, 2);
  }

  /* A write that fails (the file size limit: EFBIG) fails the export, in
   * the writer thread, and leaves no file. */
  {
    g_autofree char *big = g_build_filename (dir, "big.csv", NULL);
    g_autoptr(GDir) listing = NULL;
    struct rlimit saved, small;
    const char *name;

    signal (SIGXFSZ, SIG_IGN);
    g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
    small = saved;
    /* Above what SQLite's -shm takes, below the export. */
    small.rlim_cur = 40 * 1024;
    g_assert_cmpuint (full_length, >, small.rlim_cur + 16 * 1024);
    g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &small), ==, 0);
    g_assert_false (usdtpay_export_csv (path, filter, big, NULL, NULL, &rows, &error));
    g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
    g_assert_nonnull (error);
    g_assert_true (error->domain == G_IO_ERROR);
    g_assert_nonnull (strstr (error->message, "/.big.csv."));
    g_clear_error (&error);
    g_assert_false (g_file_test (big, G_FILE_TEST_EXISTS));
    listing = g_dir_open (dir, 0, NULL);
    while ((name = g_dir_read_name (listing)) != NULL)
      g_assert_false (g_str_has_prefix (name, ".big.csv"));
  }

  g_unlink (csv_path);
  remove_cache_files (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  main_thread = g_thread_self ();

  g_test_add_func ("/app/cache/store-load", test_store_load);
  g_test_add_func ("/app/cache/receipts", test_receipts);
  g_test_add_func ("/app/cache/top-ups", test_top_ups);
  g_test_add_func ("/app/cache/migrate-v1", test_migrate_v1);
  g_test_add_func ("/app/cache/newer-refused", test_newer_refused);
  g_test_add_func ("/app/cache/filter", test_filter);
  g_test_add_func ("/app/cache/changed", test_changed);
  g_test_add_func ("/app/cache/export-matches-core", test_export_matches_core);
  g_test_add_func ("/app/order-store/history-in-place", test_history_in_place);

  return g_test_run ();
}
