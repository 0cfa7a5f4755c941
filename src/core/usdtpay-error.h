/* usdtpay-error.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define USDTPAY_ERROR (usdtpay_error_quark ())

/* One code per distinct outcome a client can act on. Each maps to one wire
 * code string and one HTTP status (usdtpay_error_code_to_string(),
 * usdtpay_error_code_to_http_status()).
 */
typedef enum
{
  USDTPAY_ERROR_INVALID_REQUEST = 1,    /* 400 invalid_request */
  USDTPAY_ERROR_MALFORMED_JSON,         /* 400 malformed_json */
  USDTPAY_ERROR_INVALID_AMOUNT,         /* 400 invalid_amount */
  USDTPAY_ERROR_UNAUTHENTICATED,        /* 401 unauthenticated */
  USDTPAY_ERROR_FORBIDDEN,              /* 403 forbidden */
  USDTPAY_ERROR_NOT_FOUND,              /* 404 not_found */
  USDTPAY_ERROR_METHOD_NOT_ALLOWED,     /* 405 method_not_allowed */
  USDTPAY_ERROR_ILLEGAL_TRANSITION,     /* 409 illegal_transition */
  USDTPAY_ERROR_ALREADY_TAKEN,          /* 409 already_taken */
  USDTPAY_ERROR_DUPLICATE_EXTERNAL_ID,  /* 409 duplicate_external_id */
  USDTPAY_ERROR_IDEMPOTENCY_MISMATCH,   /* 409 idempotency_key_reused */
  USDTPAY_ERROR_INSUFFICIENT_FUNDS,     /* 409 insufficient_funds */
  USDTPAY_ERROR_CONFLICT,               /* 409 conflict */
  USDTPAY_ERROR_TOO_LARGE,              /* 413 payload_too_large */
  USDTPAY_ERROR_UNSUPPORTED_MEDIA_TYPE, /* 415 unsupported_media_type */
  USDTPAY_ERROR_RATE_LIMITED,           /* 429 rate_limited */
  USDTPAY_ERROR_INTERNAL,               /* 500 internal */
  USDTPAY_ERROR_UNAVAILABLE,            /* 503 unavailable */
  USDTPAY_ERROR_PROTOCOL,               /* a peer broke the wire protocol (client side) */
  USDTPAY_ERROR_CORRUPT,                /* stored data disagrees with itself */
} UsdtpayErrorCode;

GQuark           usdtpay_error_quark                (void);
const char      *usdtpay_error_code_to_string       (UsdtpayErrorCode code);
gboolean         usdtpay_error_code_from_string     (const char       *text,
                                                     UsdtpayErrorCode *code);
guint            usdtpay_error_code_to_http_status  (UsdtpayErrorCode code);
guint            usdtpay_error_to_http_status       (const GError     *error);
const char      *usdtpay_error_to_code_string       (const GError     *error);

G_END_DECLS
