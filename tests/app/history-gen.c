/* history-gen.c — writes a cache file of N made-up orders, fast, for
 * History's tests and the history-filter benchmark.
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   history-gen CACHE PLATFORM ACCOUNT N [SEED [MERCHANTS]]
 *
 * The file gets the app's own schema (usdtpay_cache_upgrade_file(), with
 * every migration), then the orders in one transaction through one
 * prepared statement. The orders are spread over the two years before now:
 * ids "t" + 25 base32 characters, customer_ref "cust-NNNNNNN" (so one
 * search can match a single order), amounts 1.00 to 5000.00 USDT in cents,
 * fiat CNY at 7.2, methods and states mixed (mostly completed), merchants
 * m00..m49 (or MERCHANTS of them), and every 97th customer_ref absent.
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "usdtpay-cache.h"

static const char insert_sql[] =
  "INSERT INTO orders (platform, account, id, version, state, created_at, matched_at, paid_at, "
  "completed_at, closed_at, amount, fee, net, fiat_amount, fiat_currency, method, merchant, shop, "
  "external_id, customer_ref, payer_name, json) VALUES "
  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)";

static void
make_id (GRand *rand,
         char   id[27])
{
  static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

  id[0] = 't';
  for (guint i = 1; i < 26; i++)
    id[i] = alphabet[g_rand_int_range (rand, 0, 32)];
  id[26] = '\0';
}

int
main (int   argc,
      char *argv[])
{
  static const char *methods[] = { "bank", "alipay", "wechat" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(GPtrArray) dropped = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) remade = g_ptr_array_new_with_free_func (g_free);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  const char *path;
  const char *platform;
  const char *account;
  guint64 n;
  guint n_merchants;
  gint64 now = g_get_real_time ();
  gint64 started = g_get_monotonic_time ();

  if (argc < 5)
    {
      g_printerr ("usage: %s CACHE PLATFORM ACCOUNT N [SEED [MERCHANTS]]\n", argv[0]);
      return 2;
    }
  path = argv[1];
  platform = argv[2];
  account = argv[3];
  n = g_ascii_strtoull (argv[4], NULL, 10);
  rand = g_rand_new_with_seed (argc > 5 ? (guint32)g_ascii_strtoull (argv[5], NULL, 10) : 5);
  n_merchants = argc > 6 ? CLAMP ((guint)g_ascii_strtoull (argv[6], NULL, 10), 1, 100) : 50;

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      (!g_file_test (path, G_FILE_TEST_EXISTS) && !g_file_set_contents (path, "", 0, &error)))
    {
      g_printerr ("history-gen: cannot create %s: %s\n", path, error != NULL ? error->message : g_strerror (errno));
      return 1;
    }
  g_chmod (path, 0600);
  if (!usdtpay_cache_upgrade_file (path, &error))
    {
      g_printerr ("history-gen: %s\n", error->message);
      return 1;
    }

  if (sqlite3_open (path, &db) != SQLITE_OK)
    {
      g_printerr ("history-gen: %s\n", sqlite3_errmsg (db));
      return 1;
    }

  /* Loading is faster without the secondary indexes and the search index's
   * triggers: they are made again over the loaded rows, as the migrations
   * wrote them. */
  if (sqlite3_prepare_v2 (db, "SELECT name, sql FROM sqlite_schema WHERE tbl_name = 'orders' "
                          "AND type IN ('index', 'trigger') AND sql IS NOT NULL", -1, &stmt, NULL) != SQLITE_OK)
    {
      g_printerr ("history-gen: %s\n", sqlite3_errmsg (db));
      return 1;
    }
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_ptr_array_add (dropped, g_strdup_printf ("DROP %s %s",
                                                 g_str_has_prefix ((const char *)sqlite3_column_text (stmt, 1),
                                                                   "CREATE TRIGGER") ? "TRIGGER" : "INDEX",
                                                 (const char *)sqlite3_column_text (stmt, 0)));
      g_ptr_array_add (remade, g_strdup ((const char *)sqlite3_column_text (stmt, 1)));
    }
  sqlite3_finalize (stmt);
  stmt = NULL;

  if (sqlite3_exec (db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; BEGIN",
                    NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, insert_sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_printerr ("history-gen: %s\n", sqlite3_errmsg (db));
      return 1;
    }

  for (guint i = 0; i < dropped->len; i++)
    if (sqlite3_exec (db, g_ptr_array_index (dropped, i), NULL, NULL, NULL) != SQLITE_OK)
      {
        g_printerr ("history-gen: %s\n", sqlite3_errmsg (db));
        return 1;
      }

  for (guint64 i = 0; i < n; i++)
    {
      g_autoptr(UsdtpayOrder) order = usdtpay_order_new ();
      char id[27];
      guint pick = g_rand_int_range (rand, 0, 100);

      make_id (rand, id);
      order->id = g_strdup (id);
      order->version = 5;
      order->state = pick < 80 ? USDTPAY_ORDER_COMPLETED
                   : pick < 90 ? USDTPAY_ORDER_CANCELLED
                   : pick < 97 ? USDTPAY_ORDER_EXPIRED : USDTPAY_ORDER_DISPUTED;
      order->amount = (gint64)g_rand_int_range (rand, 100, 500001) * 10000;
      order->fee = usdtpay_fee_compute (order->amount, USDTPAY_DEFAULT_FEE_BPS);
      order->net = order->amount - order->fee;
      order->fiat_amount = order->amount / 10000 * 72 / 10;
      memcpy (order->fiat_currency, "CNY", 4);
      order->method = g_strdup (methods[g_rand_int_range (rand, 0, 3)]);
      order->external_id = g_strdup_printf ("ext-%" G_GUINT64_FORMAT, i);
      if (i % 97 != 0)
        order->customer_ref = g_strdup_printf ("cust-%07u", g_rand_int_range (rand, 0, 10000000));
      order->payer_name = g_strdup ("Li Wei");
      order->shop = g_strdup ("shop");
      order->merchant = g_strdup_printf ("m%02u", g_rand_int_range (rand, 0, n_merchants));
      order->created_at = now - (gint64)g_rand_double_range (rand, 60.0, 2 * 365 * 86400.0) * G_USEC_PER_SEC;
      order->matched_at = order->created_at + 20 * G_USEC_PER_SEC;
      if (order->state != USDTPAY_ORDER_EXPIRED)
        order->paid_at = order->created_at + 300 * G_USEC_PER_SEC;
      if (order->state == USDTPAY_ORDER_COMPLETED)
        order->completed_at = order->created_at + 600 * G_USEC_PER_SEC;
      if (order->state != USDTPAY_ORDER_DISPUTED)
        order->closed_at = order->created_at + 600 * G_USEC_PER_SEC;

      g_string_truncate (json, 0);
      usdtpay_order_append_json (order, json, NULL);

      sqlite3_bind_text (stmt, 1, platform, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, account, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, order->id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 4, order->version);
      sqlite3_bind_text (stmt, 5, usdtpay_order_state_to_string (order->state), -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 6, order->created_at);
      sqlite3_bind_int64 (stmt, 7, order->matched_at);
      sqlite3_bind_int64 (stmt, 8, order->paid_at);
      sqlite3_bind_int64 (stmt, 9, order->completed_at);
      sqlite3_bind_int64 (stmt, 10, order->closed_at);
      sqlite3_bind_int64 (stmt, 11, order->amount);
      sqlite3_bind_int64 (stmt, 12, order->fee);
      sqlite3_bind_int64 (stmt, 13, order->net);
      sqlite3_bind_int64 (stmt, 14, order->fiat_amount);
      sqlite3_bind_text (stmt, 15, order->fiat_currency, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 16, order->method, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 17, order->merchant, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 18, order->shop, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 19, order->external_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 20, order->customer_ref, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 21, order->payer_name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 22, json->str, (int)json->len, SQLITE_STATIC);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        {
          g_printerr ("history-gen: %s\n", sqlite3_errmsg (db));
          return 1;
        }
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
    }

  sqlite3_finalize (stmt);
  for (guint i = 0; i < remade->len; i++)
    if (sqlite3_exec (db, g_ptr_array_index (remade, i), NULL, NULL, NULL) != SQLITE_OK)
      {
        g_printerr ("history-gen: %s\n", sqlite3_errmsg (db));
        return 1;
      }
  if (sqlite3_exec (db, "INSERT INTO orders_search (orders_search) VALUES ('rebuild');"
                    "COMMIT; PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK)
    {
      g_printerr ("history-gen: %s\n", sqlite3_errmsg (db));
      return 1;
    }
  sqlite3_close (db);
  g_printerr ("history-gen: %" G_GUINT64_FORMAT " orders in %.1f s\n", n,
              (g_get_monotonic_time () - started) / 1e6);

  return 0;
}
