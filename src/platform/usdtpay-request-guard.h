/* usdtpay-request-guard.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define USDTPAY_TYPE_REQUEST_GUARD (usdtpay_request_guard_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayRequestGuard, usdtpay_request_guard, USDTPAY, REQUEST_GUARD, GObject)

/* The log domain of the access log: one line per answered request, at
 * G_LOG_LEVEL_INFO (shown with G_MESSAGES_DEBUG=usdtpay-access), and at
 * G_LOG_LEVEL_MESSAGE for 5xx answers. */
#define USDTPAY_ACCESS_LOG_DOMAIN "usdtpay-access"

/* Request ids and the per-key rate limit for one SoupServer.
 * @rate_limit is requests per second per key (0: no limit). */
UsdtpayRequestGuard *usdtpay_request_guard_new    (SoupServer          *server,
                                                   guint                rate_limit);
void                 usdtpay_request_guard_set_rate_limit (UsdtpayRequestGuard *self,
                                                           guint                rate_limit);
/* Gives @msg its request id (a sane incoming X-Request-Id, or a new one)
 * and sets the X-Request-Id answer header. Call first, from an early
 * handler. */
void                 usdtpay_request_guard_begin  (UsdtpayRequestGuard *self,
                                                   SoupServerMessage   *msg);
/* Takes a token from the caller's bucket (its bearer token, else the
 * page's ?t=, else its address). When it is empty, answers 429 with
 * Retry-After and returns FALSE. */
gboolean             usdtpay_request_guard_admit  (UsdtpayRequestGuard *self,
                                                   SoupServerMessage   *msg,
                                                   GHashTable          *query);
const char          *usdtpay_request_guard_get_id (SoupServerMessage   *msg);

G_END_DECLS
