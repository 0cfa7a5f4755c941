/* usdtpay-order-store.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "usdtpay-order-object.h"

G_BEGIN_DECLS

typedef enum
{
  USDTPAY_APPLY_APPLIED,
  USDTPAY_APPLY_IGNORED,       /* a version the store already has, or older */
  USDTPAY_APPLY_NEEDS_REFETCH, /* a version skipped: fetch the order whole */
} UsdtpayApplyResult;

#define USDTPAY_TYPE_ORDER_STORE (usdtpay_order_store_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayOrderStore, usdtpay_order_store, USDTPAY, ORDER_STORE, GObject)

/* The merchant's open orders, one GListModel per section, changed in place:
 * every change is an items-changed at the exact position, never a rebuild.
 * Orders that close move to the history model, newest first.
 *
 * Signal "order-arrived" (UsdtpayOrderObject *, guint section): an order
 * entered a section (a new offer, matched to this merchant, paid).
 * Signal "order-closed" (UsdtpayOrderObject *): an order entered the
 * history or changed there. */
UsdtpayOrderStore  *usdtpay_order_store_new           (void);
void                usdtpay_order_store_set_merchant  (UsdtpayOrderStore *self,
                                                       const char        *merchant);
const char         *usdtpay_order_store_get_merchant  (UsdtpayOrderStore *self);
GListModel         *usdtpay_order_store_get_section   (UsdtpayOrderStore *self,
                                                       UsdtpaySection     section);
GListModel         *usdtpay_order_store_get_history   (UsdtpayOrderStore *self);
UsdtpayOrderObject *usdtpay_order_store_lookup        (UsdtpayOrderStore *self,
                                                       const char        *id);
/* Applies @order. With @from_feed, the feed's version rule: a held order at
 * version v ignores versions <= v, applies v+1 and asks for a refetch on
 * anything higher; an order not held is applied. Without it (a fetched or
 * action answer), any newer version is applied. */
UsdtpayApplyResult  usdtpay_order_store_apply         (UsdtpayOrderStore *self,
                                                       UsdtpayOrder      *order,
                                                       gboolean           from_feed);
/* Takes an order off the page (withdrawn offer, taken by another merchant). */
void                usdtpay_order_store_remove        (UsdtpayOrderStore *self,
                                                       const char        *id);
void                usdtpay_order_store_clear         (UsdtpayOrderStore *self);
/* Updates every countdown to @now (µs since the epoch). */
void                usdtpay_order_store_tick          (UsdtpayOrderStore *self,
                                                       gint64             now);
/* Marks every order in the sections as seen. */
void                usdtpay_order_store_mark_seen     (UsdtpayOrderStore *self);
UsdtpaySection      usdtpay_order_store_section_for   (UsdtpayOrderStore  *self,
                                                       const UsdtpayOrder *order);

G_END_DECLS
