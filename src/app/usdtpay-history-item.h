/* usdtpay-history-item.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "usdtpay-order-object.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_HISTORY_ITEM (usdtpay_history_item_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayHistoryItem, usdtpay_history_item, USDTPAY, HISTORY_ITEM, GObject)

/* One row of UsdtpayHistoryModel. It exists before its order is read (a
 * placeholder the view can bind to): :order is NULL until the page holding
 * the row arrives from the cache, then the order, kept current in place.
 * The model keeps the item of a row of its first page for the rows of the
 * next query at that position, so ::changed says whenever what the row
 * shows may have changed: another order, none, or the same order's fields
 * updated in place. */
UsdtpayHistoryItem *usdtpay_history_item_new       (void);
/* Borrowed; NULL while the row is not loaded. */
UsdtpayOrderObject *usdtpay_history_item_get_order (UsdtpayHistoryItem *self);
/* Takes a reference on @order (NULL empties the row again). The same
 * order id updates the existing UsdtpayOrderObject in place, so bound
 * labels and the selection follow. */
void                usdtpay_history_item_set_order (UsdtpayHistoryItem *self,
                                                    UsdtpayOrder       *order);
/* The order's id, or NULL while not loaded. */
const char         *usdtpay_history_item_get_id    (UsdtpayHistoryItem *self);
/* Whether the table keeps the row of this item without showing it (a
 * row past the last of a search's results, UsdtpayPacedModel); its cells
 * hide the row. Says ::changed. */
gboolean            usdtpay_history_item_get_hidden (UsdtpayHistoryItem *self);
void                usdtpay_history_item_set_hidden (UsdtpayHistoryItem *self,
                                                     gboolean            hidden);

G_END_DECLS
