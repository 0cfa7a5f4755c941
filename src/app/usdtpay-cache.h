/* usdtpay-cache.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "usdtpay-core.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_CACHE (usdtpay_cache_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayCache, usdtpay_cache, USDTPAY, CACHE, GObject)

/* The app's local copy of an account's orders, so History works offline:
 * an SQLite file (WAL), written and read in a worker thread, one statement
 * at a time and in the order asked; writes queued back to back share a
 * transaction, and `changed` is emitted (on the main context) once they
 * are committed. Orders are kept per platform and account (the logged-in
 * user), a newer version replacing an older one.
 *
 * Schema (PRAGMA user_version 4; migrations in usdtpay-cache.c, append
 * only): orders (platform, account, id, version, state (wire name),
 * created_at, matched_at, paid_at, completed_at, closed_at (µs, 0 = none),
 * amount, fee, net (micro-USDT), fiat_amount (minor units), fiat_currency,
 * method, merchant (the order's, NULL if none), shop, external_id,
 * customer_ref, payer_name, json (the whole order)), primary key
 * (platform, account, id), index orders_by_closed (platform, account,
 * closed_at DESC, id), and History's (version 3): indexes for its sort
 * orders and search, and orders_search, an FTS5 trigram index of
 * customer_ref kept in step by triggers; receipts (platform, id, seq, key_id, receipt,
 * signature, verified); events (platform, id, json); wallet_top_ups
 * (version 4: platform, account, tx_hash, amount (micro-USDT), sender,
 * nonce, raw (the signed transaction, 0x hex), sent_at (µs)), the Wallet page's
 * top-ups not yet credited or failed. Other readers open
 * the file read-only themselves (usdtpay_cache_get_path()). */
UsdtpayCache *usdtpay_cache_new          (const char           *path);
/* Queues @order for writing; returns at once. */
void          usdtpay_cache_store        (UsdtpayCache         *self,
                                          const char           *platform,
                                          const char           *account,
                                          const UsdtpayOrder   *order);
/* The orders not closed (disputes), then the newest @limit closed ones,
 * newest first (closed_at DESC, id), as a GPtrArray of UsdtpayOrder. */
void          usdtpay_cache_load_async   (UsdtpayCache         *self,
                                          const char           *platform,
                                          const char           *account,
                                          guint                 limit,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
GPtrArray    *usdtpay_cache_load_finish  (UsdtpayCache         *self,
                                          GAsyncResult         *result,
                                          GError              **error);
/* An order's signed receipt as the platform sent it (GET /v1/receipts/{id})
 * and whether it verified under the pinned key set when it was stored. */
typedef struct
{
  char     *id;
  gint64    seq;
  char     *key_id;
  char     *receipt;      /* the canonical text */
  char     *signature;    /* hex */
  gboolean  verified;
} UsdtpayCachedReceipt;

void          usdtpay_cached_receipt_free      (UsdtpayCachedReceipt *receipt);

/* Queues @receipt for writing (replacing an older seq of the same order). */
void          usdtpay_cache_store_receipt      (UsdtpayCache               *self,
                                                const char                 *platform,
                                                const UsdtpayCachedReceipt *receipt);
/* The stored receipt of order @id, or NULL without an error when none. */
void          usdtpay_cache_lookup_receipt_async  (UsdtpayCache         *self,
                                                   const char           *platform,
                                                   const char           *id,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
UsdtpayCachedReceipt *usdtpay_cache_lookup_receipt_finish (UsdtpayCache  *self,
                                                           GAsyncResult  *result,
                                                           GError       **error);

/* An order's timeline: the JSON text of GET /v1/orders/{id}/events, kept so
 * the detail shows it offline. Lookup returns NULL without an error when
 * none is stored. */
void          usdtpay_cache_store_events       (UsdtpayCache         *self,
                                                const char           *platform,
                                                const char           *id,
                                                const char           *events_json);
void          usdtpay_cache_lookup_events_async  (UsdtpayCache         *self,
                                                  const char           *platform,
                                                  const char           *id,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
char         *usdtpay_cache_lookup_events_finish (UsdtpayCache         *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

/* A top-up the wallet signed: kept from just before it is sent until the
 * platform credits it or it fails, so a restarted app follows it again. */
typedef struct
{
  char    *tx_hash;   /* 0x… */
  gint64   amount;    /* micro-USDT */
  guint64  nonce;
  char    *raw;       /* the signed transaction, 0x hex */
  gint64   sent_at;   /* µs since the epoch */
  char    *sender;    /* the wallet's address, 0x… */
} UsdtpayCachedTopUp;

void          usdtpay_cached_top_up_free       (UsdtpayCachedTopUp   *top_up);

/* Stores @top_up for @account on @platform; answers once it is committed. */
void          usdtpay_cache_store_top_up_async  (UsdtpayCache             *self,
                                                 const char               *platform,
                                                 const char               *account,
                                                 const UsdtpayCachedTopUp *top_up,
                                                 GCancellable             *cancellable,
                                                 GAsyncReadyCallback       callback,
                                                 gpointer                  user_data);
gboolean      usdtpay_cache_store_top_up_finish (UsdtpayCache             *self,
                                                 GAsyncResult             *result,
                                                 GError                  **error);
/* Queues the removal of a finished top-up. */
void          usdtpay_cache_forget_top_up       (UsdtpayCache         *self,
                                                 const char           *platform,
                                                 const char           *account,
                                                 const char           *tx_hash);
/* The account's stored top-ups, oldest first, as a GPtrArray of
 * UsdtpayCachedTopUp. */
void          usdtpay_cache_load_top_ups_async  (UsdtpayCache         *self,
                                                 const char           *platform,
                                                 const char           *account,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
GPtrArray    *usdtpay_cache_load_top_ups_finish (UsdtpayCache         *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

/* Opens the cache file at @path and brings its schema up to date (what
 * usdtpay_cache_new() does on first use), for a reader that runs without
 * a UsdtpayCache, such as --export-csv. Does nothing for a missing file. */
gboolean      usdtpay_cache_upgrade_file (const char           *path,
                                          GError              **error);

/* The file, for readers with their own read-only connection. */
const char   *usdtpay_cache_get_path     (UsdtpayCache         *self);

/* Waits until every queued write is done and committed (tests, and
 * shutdown). */
void          usdtpay_cache_flush        (UsdtpayCache         *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UsdtpayCachedReceipt, usdtpay_cached_receipt_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UsdtpayCachedTopUp, usdtpay_cached_top_up_free)

G_END_DECLS
