/* usdtpay-order-object.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "usdtpay-core.h"

G_BEGIN_DECLS

/* Where an order sits on the Orders page, in the order a merchant acts. */
typedef enum
{
  USDTPAY_SECTION_CONFIRM,
  USDTPAY_SECTION_OFFERS,
  USDTPAY_SECTION_AWAITING,
  USDTPAY_N_SECTIONS,
  USDTPAY_SECTION_NONE = USDTPAY_N_SECTIONS,
} UsdtpaySection;

#define USDTPAY_TYPE_ORDER_OBJECT (usdtpay_order_object_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayOrderObject, usdtpay_order_object, USDTPAY, ORDER_OBJECT, GObject)

/* A GObject around an UsdtpayOrder for list models: rows bind to its
 * display properties, which follow the order as it changes in place. */
UsdtpayOrderObject *usdtpay_order_object_new            (UsdtpayOrder       *order);
UsdtpayOrder       *usdtpay_order_object_get_order      (UsdtpayOrderObject *self);
void                usdtpay_order_object_set_order      (UsdtpayOrderObject *self,
                                                         UsdtpayOrder       *order);
const char         *usdtpay_order_object_get_id         (UsdtpayOrderObject *self);
/* The id's last four characters, upper case: how a merchant names an order aloud. */
char               *usdtpay_order_object_dup_short_id   (UsdtpayOrderObject *self);
UsdtpaySection      usdtpay_order_object_get_section    (UsdtpayOrderObject *self);
void                usdtpay_order_object_set_section    (UsdtpayOrderObject *self,
                                                         UsdtpaySection      section);
gboolean            usdtpay_order_object_get_busy       (UsdtpayOrderObject *self);
void                usdtpay_order_object_set_busy       (UsdtpayOrderObject *self,
                                                         gboolean            busy);
gboolean            usdtpay_order_object_get_seen       (UsdtpayOrderObject *self);
void                usdtpay_order_object_set_seen       (UsdtpayOrderObject *self,
                                                         gboolean            seen);
/* Recomputes the countdown against @now (µs since the epoch). */
void                usdtpay_order_object_tick           (UsdtpayOrderObject *self,
                                                         gint64              now);
const char         *usdtpay_order_object_get_fiat_text  (UsdtpayOrderObject *self);
const char         *usdtpay_order_object_get_usdt_text  (UsdtpayOrderObject *self);
const char         *usdtpay_order_object_get_fee_text   (UsdtpayOrderObject *self);
/* When the order was created, local time (:time-text). */
char               *usdtpay_order_object_dup_time_text  (UsdtpayOrderObject *self);

/* Display helpers shared with notifications and dialogs. */
const char         *usdtpay_method_display_name         (const char         *method);
const char         *usdtpay_order_state_display_name    (UsdtpayOrderState   state);
char               *usdtpay_order_format_fiat           (const UsdtpayOrder *order);
char               *usdtpay_format_countdown            (gint64              seconds);

G_END_DECLS
