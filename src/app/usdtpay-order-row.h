/* usdtpay-order-row.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "usdtpay-order-object.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_ORDER_ROW (usdtpay_order_row_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayOrderRow, usdtpay_order_row, USDTPAY, ORDER_ROW, GtkWidget)

UsdtpayOrderObject *usdtpay_order_row_get_item (UsdtpayOrderRow    *self);
void                usdtpay_order_row_set_item (UsdtpayOrderRow    *self,
                                                UsdtpayOrderObject *item);

G_END_DECLS
