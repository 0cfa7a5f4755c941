/* usdtpay-order.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "usdtpay-order-state.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_ORDER (usdtpay_order_get_type ())

/* An order as both sides see it. A plain reference-counted struct (not a
 * GObject) because the platform holds hundreds of thousands of them. Times
 * are microseconds since the epoch (usdtpay-time.h), 0 when not set;
 * nullable strings are NULL when not set. Money is in minor units.
 */
typedef struct
{
  char              *id;
  gint64             version;
  UsdtpayOrderState  state;
  gint64             amount;           /* micro-USDT */
  gint64             fee;              /* micro-USDT */
  gint64             net;              /* amount - fee */
  gint64             fiat_amount;      /* minor units of fiat_currency */
  char               fiat_currency[4];
  char              *method;
  char              *external_id;
  char              *customer_ref;     /* nullable */
  char              *payer_name;       /* nullable */
  char              *shop;             /* the shop's name */
  char              *merchant;         /* nullable until matched */
  char              *return_url;       /* nullable */
  gint64             created_at;
  gint64             matched_at;
  gint64             paid_at;
  gint64             completed_at;
  gint64             closed_at;        /* when it became cancelled/expired/completed */
  gint64             payment_deadline;
  gint64             confirm_deadline;
  gint64             offer_deadline;   /* when an unmatched order expires */
} UsdtpayOrder;

GType         usdtpay_order_get_type   (void) G_GNUC_CONST;
UsdtpayOrder *usdtpay_order_new        (void);
UsdtpayOrder *usdtpay_order_ref        (UsdtpayOrder       *order);
void          usdtpay_order_unref      (UsdtpayOrder       *order);
/* A deep copy with a reference count of 1. */
UsdtpayOrder *usdtpay_order_copy       (const UsdtpayOrder *order);

/* Writes the order as a JSON object into @builder (which must be where a
 * value may go). @pay_url is included only when non-NULL: the owning shop's
 * answers and webhooks. */
void          usdtpay_order_to_json    (const UsdtpayOrder *order,
                                        JsonBuilder        *builder,
                                        const char         *pay_url);
JsonNode     *usdtpay_order_to_node    (const UsdtpayOrder *order,
                                        const char         *pay_url);
/* Appends the same object as usdtpay_order_to_json() to @out as compact JSON
 * text (the bytes usdtpay_json_to_string() makes of it), without building a
 * tree: the platform's path for answers and events. */
void          usdtpay_order_append_json (const UsdtpayOrder *order,
                                         GString            *out,
                                         const char         *pay_url);
/* Reads an order object (as written by usdtpay_order_to_json()). */
UsdtpayOrder *usdtpay_order_from_json  (JsonObject         *object,
                                        GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UsdtpayOrder, usdtpay_order_unref)

G_END_DECLS
