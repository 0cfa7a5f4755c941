/* bench-csv-export.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Benchmark csv-export: a cache holding USDTPAY_BENCH_ORDERS (1,000,000)
 * completed orders, each with a really signed receipt, exported through
 * the app's own export code (usdtpay_export_csv, as the Export button and
 * --export-csv run it: count for the progress, filter, times and money
 * formatted, RFC 4180 quoting, neutralisation, tmp file, fsync, rename),
 * and `sqlite3 -csv -header` running the very same query text (the same
 * plain columns, the receipts join, the filter's WHERE with its parameters
 * set by .parameter, the same ORDER BY) into a file. Two rounds,
 * alternating; each side's best round counts. Prints name=value lines and
 * ratio=X (ours / sqlite3's wall time). */

#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <sqlite3.h>

#include "usdtpay-cache.h"
#include "usdtpay-export.h"

static const char crockford[] = "0123456789abcdefghjkmnpqrstvwxyz";

static char *
order_id (guint64 n)
{
  char id[25] = "ord_";

  for (int i = 23; i >= 4; i--)
    {
      id[i] = crockford[n % 32];
      n /= 32;
    }
  id[24] = '\0';

  return g_strdup (id);
}

static void
die_sqlite (sqlite3    *db,
            const char *what)
{
  g_printerr ("%s: %s\n", what, sqlite3_errmsg (db));
  exit (1);
}

/* A cache of @n_orders completed orders with really signed receipts, its
 * schema made by the app's cache. */
static void
fill_cache (const char *cache_path,
            const char *platform,
            guint64     n_orders)
{
  guint8 pk[crypto_sign_PUBLICKEYBYTES];
  guint8 sk[crypto_sign_SECRETKEYBYTES];
  g_autofree char *key_id = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *order_stmt = NULL;
  sqlite3_stmt *receipt_stmt = NULL;
  gint64 t0;

  crypto_sign_keypair (pk, sk);
  key_id = usdtpay_receipt_hex_encode (pk, 8);

  /* The app's cache makes its own schema. */
  {
    g_autoptr(UsdtpayCache) cache = usdtpay_cache_new (cache_path);
    g_autoptr(UsdtpayOrder) order = usdtpay_order_new ();

    order->id = g_strdup ("ord_00000000000000000000");
    order->state = USDTPAY_ORDER_EXPIRED;
    order->method = g_strdup ("bank");
    order->shop = g_strdup ("shop");
    memcpy (order->fiat_currency, "CNY", 4);
    order->created_at = 1;
    usdtpay_cache_store (cache, platform, "alice", order);
    usdtpay_cache_flush (cache);
  }

  if (sqlite3_open (cache_path, &db) != SQLITE_OK)
    die_sqlite (db, "open");
  sqlite3_exec (db, "DELETE FROM orders; BEGIN", NULL, NULL, NULL);
  if (sqlite3_prepare_v2 (db, "INSERT INTO orders (platform, account, id, version, state, created_at, "
                              "matched_at, paid_at, completed_at, closed_at, amount, fee, net, fiat_amount, "
                              "fiat_currency, method, merchant, shop, external_id, customer_ref, payer_name, json) "
                              "VALUES (?1, 'alice', ?2, 6, 'completed', ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, "
                              "'CNY', ?11, 'alice', 'shop', ?12, ?13, ?14, ?15)", -1, &order_stmt, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "INSERT INTO receipts (platform, id, seq, key_id, receipt, signature, verified) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)", -1, &receipt_stmt, NULL) != SQLITE_OK)
    die_sqlite (db, "prepare");

  t0 = g_get_monotonic_time ();
  for (guint64 i = 0; i < n_orders; i++)
    {
      g_autoptr(UsdtpayOrder) order = usdtpay_order_new ();
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(UsdtpayReceipt) receipt = NULL;
      g_autofree char *json = NULL;
      g_autofree char *text = NULL;
      g_autofree char *signature = NULL;
      gint64 base = 1795000000LL * G_USEC_PER_SEC + (gint64)i * 1000;
      gsize text_len = 0;

      order->id = order_id (i + 1);
      order->version = 6;
      order->state = USDTPAY_ORDER_COMPLETED;
      order->amount = 100 * USDTPAY_MICRO_PER_USDT + (gint64)(i % 1000000);
      order->fee = usdtpay_fee_compute (order->amount, USDTPAY_DEFAULT_FEE_BPS);
      order->net = order->amount - order->fee;
      order->fiat_amount = 72000 + (gint64)(i % 5000);
      memcpy (order->fiat_currency, "CNY", 4);
      order->method = g_strdup (i % 3 == 0 ? "bank" : i % 3 == 1 ? "alipay" : "wechat");
      order->external_id = g_strdup_printf ("ext-%" G_GUINT64_FORMAT, i);
      /* Every 10th customer reference would run as a formula. */
      order->customer_ref = i % 10 == 0 ? g_strdup_printf ("=cust%" G_GUINT64_FORMAT, i)
                                        : g_strdup_printf ("customer-%" G_GUINT64_FORMAT, i);
      order->payer_name = g_strdup (i % 2 == 0 ? "Li Wei" : "张三, \"Zhang\"");
      order->shop = g_strdup ("shop");
      order->merchant = g_strdup ("alice");
      order->created_at = base;
      order->matched_at = base + 1000000;
      order->paid_at = base + 60000000;
      order->completed_at = base + 120000000;
      order->closed_at = order->completed_at;

      node = usdtpay_order_to_node (order, NULL);
      json = usdtpay_json_to_string (node, NULL);
      receipt = usdtpay_receipt_new_for_order (order, "order.completed", (gint64)i * 6 + 6, key_id,
                                               order->completed_at + 1000);
      text = usdtpay_receipt_encode (receipt, &text_len);
      signature = usdtpay_ed25519_sign_hex (sk, text, text_len);

      sqlite3_bind_text (order_stmt, 1, platform, -1, SQLITE_STATIC);
      sqlite3_bind_text (order_stmt, 2, order->id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (order_stmt, 3, order->created_at);
      sqlite3_bind_int64 (order_stmt, 4, order->matched_at);
      sqlite3_bind_int64 (order_stmt, 5, order->paid_at);
      sqlite3_bind_int64 (order_stmt, 6, order->completed_at);
      sqlite3_bind_int64 (order_stmt, 7, order->amount);
      sqlite3_bind_int64 (order_stmt, 8, order->fee);
      sqlite3_bind_int64 (order_stmt, 9, order->net);
      sqlite3_bind_int64 (order_stmt, 10, order->fiat_amount);
      sqlite3_bind_text (order_stmt, 11, order->method, -1, SQLITE_STATIC);
      sqlite3_bind_text (order_stmt, 12, order->external_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (order_stmt, 13, order->customer_ref, -1, SQLITE_STATIC);
      sqlite3_bind_text (order_stmt, 14, order->payer_name, -1, SQLITE_STATIC);
      sqlite3_bind_text (order_stmt, 15, json, -1, SQLITE_STATIC);
      if (sqlite3_step (order_stmt) != SQLITE_DONE)
        die_sqlite (db, "insert order");
      sqlite3_reset (order_stmt);

      sqlite3_bind_text (receipt_stmt, 1, platform, -1, SQLITE_STATIC);
      sqlite3_bind_text (receipt_stmt, 2, order->id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (receipt_stmt, 3, receipt->seq);
      sqlite3_bind_text (receipt_stmt, 4, key_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (receipt_stmt, 5, text, (int)text_len, SQLITE_STATIC);
      sqlite3_bind_text (receipt_stmt, 6, signature, -1, SQLITE_STATIC);
      if (sqlite3_step (receipt_stmt) != SQLITE_DONE)
        die_sqlite (db, "insert receipt");
      sqlite3_reset (receipt_stmt);
    }
  if (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    die_sqlite (db, "commit");
  sqlite3_finalize (order_stmt);
  sqlite3_finalize (receipt_stmt);
  sqlite3_close (db);
  g_print ("orders=%" G_GUINT64_FORMAT "\n", n_orders);
  g_print ("setup_s=%.1f\n", (g_get_monotonic_time () - t0) / 1e6);
}

int
main (int   argc,
      char *argv[])
{
  const char *n_text = g_getenv ("USDTPAY_BENCH_ORDERS");
  guint64 n_orders = n_text != NULL ? g_ascii_strtoull (n_text, NULL, 10) : 1000000;
  g_autofree char *dir = g_dir_make_tmp ("usdtpay-bench-csv-XXXXXX", NULL);
  /* USDTPAY_BENCH_CACHE: a cache file to fill and keep, or to reuse when
   * it exists (holding USDTPAY_BENCH_ORDERS orders), for repeated runs. */
  const char *keep = g_getenv ("USDTPAY_BENCH_CACHE");
  gboolean reuse = keep != NULL && g_file_test (keep, G_FILE_TEST_IS_REGULAR);
  g_autofree char *cache_path = keep != NULL ? g_strdup (keep)
                                             : g_build_filename (dir, "usdtpay", "cache.db", NULL);
  g_autofree char *ours_path = g_build_filename (dir, "ours.csv", NULL);
  g_autofree char *theirs_path = g_build_filename (dir, "sqlite3.csv", NULL);
  const char *platform = "https://platform.example";
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayCacheFilter) filter = usdtpay_cache_filter_new ("https://platform.example", "alice");
  g_autofree char *export_sql = usdtpay_export_dup_sql (filter);
  UsdtpayExportProgress progress = { 0, };
  gint64 t0, t1, cpu0, cpu1;
  guint64 rows = 0;
  double ours_s = G_MAXDOUBLE, theirs_s = G_MAXDOUBLE, ours_cpu_s = 0;
  gint64 ours_bytes = 0, theirs_bytes = 0;
  GStatBuf st;

  if (sodium_init () < 0 || n_orders == 0)
    return 1;

  if (!reuse)
    fill_cache (cache_path, platform, n_orders);
  else
    g_print ("orders=%" G_GUINT64_FORMAT "\nreused_cache=%s\n", n_orders, cache_path);

  for (int round = 0; round < 2; round++)
    {
      struct timespec ts;
      g_autofree char *quoted_db = g_shell_quote (cache_path);
      g_autofree char *quoted_out = g_shell_quote (theirs_path);
      g_autofree char *quoted_sql = g_shell_quote (export_sql);
      g_autofree char *command = NULL;
      int status = 0;
      double s;

      /* Ours: the app's export code. */
      t0 = g_get_monotonic_time ();
      clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
      cpu0 = ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
      if (!usdtpay_export_csv (cache_path, filter, ours_path, &progress, NULL, &rows, &error))
        {
          g_printerr ("export: %s\n", error->message);
          return 1;
        }
      t1 = g_get_monotonic_time ();
      clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
      cpu1 = ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
      s = (t1 - t0) / 1e6;
      g_print ("round%d_ours_s=%.3f\n", round + 1, s);
      if (s < ours_s)
        {
          ours_s = s;
          ours_cpu_s = (cpu1 - cpu0) / 1e6;
        }
      g_stat (ours_path, &st);
      ours_bytes = st.st_size;
      if (rows != n_orders)
        {
          g_printerr ("exported %" G_GUINT64_FORMAT " rows of %" G_GUINT64_FORMAT "\n", rows, n_orders);
          return 1;
        }

      /* sqlite3's own CSV of the same query: the same plain columns and
       * join, its parameters set to the filter's values. */
      command = g_strdup_printf ("sqlite3 -csv -header -cmd \".parameter set ?1 '%s'\" "
                                 "-cmd \".parameter set ?2 'alice'\" %s %s > %s",
                                 platform, quoted_db, quoted_sql, quoted_out);
      t0 = g_get_monotonic_time ();
      if (!g_spawn_sync (NULL, (char *[]) { (char *)"/bin/sh", (char *)"-c", command, NULL }, NULL,
                         G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error) ||
          !g_spawn_check_wait_status (status, &error))
        {
          g_printerr ("sqlite3: %s\n", error->message);
          return 1;
        }
      s = (g_get_monotonic_time () - t0) / 1e6;
      g_print ("round%d_sqlite3_s=%.3f\n", round + 1, s);
      theirs_s = MIN (theirs_s, s);
      g_stat (theirs_path, &st);
      theirs_bytes = st.st_size;
    }

  /* Both wrote the same records (no cell here holds a line break). */
  {
    const char *paths[] = { ours_path, theirs_path };

    for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
      {
        FILE *f = fopen (paths[i], "rb");
        static char chunk[1 << 20];
        guint64 lines = 0;
        gsize n;

        if (f == NULL)
          return 1;
        while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
          for (const char *p = chunk; (p = memchr (p, '\n', n - (p - chunk))) != NULL; p++)
            lines++;
        fclose (f);
        if (lines != rows + 1)
          {
            g_printerr ("%s holds %" G_GUINT64_FORMAT " lines, not %" G_GUINT64_FORMAT "\n", paths[i],
                        lines, rows + 1);
            return 1;
          }
      }
  }

  g_print ("rows=%" G_GUINT64_FORMAT "\n", rows);
  g_print ("ours_s=%.3f\n", ours_s);
  g_print ("ours_cpu_s=%.3f\n", ours_cpu_s);
  g_print ("ours_us_per_row=%.2f\n", ours_s * 1e6 / MAX (rows, 1));
  g_print ("ours_bytes=%" G_GINT64_FORMAT "\n", ours_bytes);
  g_print ("ours_MB_per_s=%.1f\n", ours_bytes / 1e6 / ours_s);
  g_print ("sqlite3_s=%.3f\n", theirs_s);
  g_print ("sqlite3_bytes=%" G_GINT64_FORMAT "\n", theirs_bytes);
  g_print ("sqlite3_MB_per_s=%.1f\n", theirs_bytes / 1e6 / theirs_s);
  g_print ("ratio=%.2f\n", ours_s / theirs_s);

  g_unlink (ours_path);
  g_unlink (theirs_path);
  if (keep == NULL)
    {
      g_autofree char *wal = g_strconcat (cache_path, "-wal", NULL);
      g_autofree char *shm = g_strconcat (cache_path, "-shm", NULL);
      g_autofree char *sub = g_path_get_dirname (cache_path);

      g_unlink (wal);
      g_unlink (shm);
      g_unlink (cache_path);
      g_rmdir (sub);
    }
  g_rmdir (dir);

  return 0;
}
