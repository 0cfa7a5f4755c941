/* usdtpay-pay-page.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "usdtpay-engine.h"

G_BEGIN_DECLS

/* The customer's payment page, GET /pay/{order_id}?t=TOKEN, and the
 * merchant's payment QR for it, GET /pay/{order_id}/method-qr.png?t=TOKEN.
 * Returns FALSE, answering nothing, for any path outside /pay/. */
gboolean usdtpay_pay_page_route    (UsdtpayEngine     *engine,
                                    SoupServerMessage *msg,
                                    const char        *method,
                                    const char        *path,
                                    GHashTable        *query);
/* GET /v1/orders/{id}/qr.png: the pay_url as a QR code, for the owning
 * shop only. */
void     usdtpay_pay_page_order_qr (UsdtpayEngine     *engine,
                                    SoupServerMessage *msg,
                                    const char        *method,
                                    const char        *order_id);

G_END_DECLS
