/* usdtpay-cache-filter.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>
#include <sqlite3.h>

#include "usdtpay-core.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_CACHE_FILTER (usdtpay_cache_filter_get_type ())

/* Which cached orders History shows and an export writes. Every string is
 * owned by the filter (g_free'd by usdtpay_cache_filter_free()).
 *
 * search: NULL or "" for none; otherwise an order matches when its id
 *   starts with the text, or its customer_ref contains it (both ignoring
 *   the case of ASCII letters; SQLite's LIKE), or, when the text parses as
 *   a USDT amount, its amount is exactly that, or, when it parses as an
 *   amount of the order's fiat currency, its fiat_amount is exactly that.
 * states: a mask of 1 << UsdtpayOrderState; 0 is every state.
 * from, to: closed_at >= from and closed_at < to (µs since the epoch);
 *   0 leaves that end open. With either bound set, orders that are not
 *   closed (closed_at 0) do not match.
 * method, merchant: NULL for all. */
typedef struct
{
  char   *platform;   /* required */
  char   *account;    /* required: whose cache the rows are in */
  char   *search;
  guint   states;
  gint64  from;
  gint64  to;
  char   *method;
  char   *merchant;
} UsdtpayCacheFilter;

GType               usdtpay_cache_filter_get_type     (void) G_GNUC_CONST;
UsdtpayCacheFilter *usdtpay_cache_filter_new          (const char               *platform,
                                                       const char               *account);
UsdtpayCacheFilter *usdtpay_cache_filter_copy         (const UsdtpayCacheFilter *filter);
void                usdtpay_cache_filter_free         (UsdtpayCacheFilter       *filter);

/* Appends " WHERE ..." over the orders table aliased `o`, using the
 * numbered parameters ?1 .. ?N, N = usdtpay_cache_filter_get_n_params().
 * A caller adding its own parameters numbers them from N + 1 (or uses a
 * plain `?` after this text, or named ones). */
void                usdtpay_cache_filter_append_where (const UsdtpayCacheFilter *filter,
                                                       GString                  *sql);
/* Binds ?1 .. ?N of @stmt, prepared from text made by append_where() for
 * the same filter (texts are copied: the filter may go at once). */
void                usdtpay_cache_filter_bind         (const UsdtpayCacheFilter *filter,
                                                       sqlite3_stmt             *stmt);
guint               usdtpay_cache_filter_get_n_params (const UsdtpayCacheFilter *filter);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UsdtpayCacheFilter, usdtpay_cache_filter_free)

G_END_DECLS
