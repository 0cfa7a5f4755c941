/* usdtpay-error.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-error.h"

G_DEFINE_QUARK (usdtpay-error-quark, usdtpay_error)

typedef struct
{
  UsdtpayErrorCode  code;
  const char       *text;
  guint             status;
} ErrorInfo;

/* Indexed by code; entry 0 is unused because codes start at 1. */
static const ErrorInfo error_table[] = {
  { 0, NULL, 0 },
  { USDTPAY_ERROR_INVALID_REQUEST,        "invalid_request",        400 },
  { USDTPAY_ERROR_MALFORMED_JSON,         "malformed_json",         400 },
  { USDTPAY_ERROR_INVALID_AMOUNT,         "invalid_amount",         400 },
  { USDTPAY_ERROR_UNAUTHENTICATED,        "unauthenticated",        401 },
  { USDTPAY_ERROR_FORBIDDEN,              "forbidden",              403 },
  { USDTPAY_ERROR_NOT_FOUND,              "not_found",              404 },
  { USDTPAY_ERROR_METHOD_NOT_ALLOWED,     "method_not_allowed",     405 },
  { USDTPAY_ERROR_ILLEGAL_TRANSITION,     "illegal_transition",     409 },
  { USDTPAY_ERROR_ALREADY_TAKEN,          "already_taken",          409 },
  { USDTPAY_ERROR_DUPLICATE_EXTERNAL_ID,  "duplicate_external_id",  409 },
  { USDTPAY_ERROR_IDEMPOTENCY_MISMATCH,   "idempotency_key_reused", 409 },
  { USDTPAY_ERROR_INSUFFICIENT_FUNDS,     "insufficient_funds",     409 },
  { USDTPAY_ERROR_CONFLICT,               "conflict",               409 },
  { USDTPAY_ERROR_TOO_LARGE,              "payload_too_large",      413 },
  { USDTPAY_ERROR_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", 415 },
  { USDTPAY_ERROR_RATE_LIMITED,           "rate_limited",           429 },
  { USDTPAY_ERROR_INTERNAL,               "internal",               500 },
  { USDTPAY_ERROR_UNAVAILABLE,            "unavailable",            503 },
  { USDTPAY_ERROR_PROTOCOL,               "protocol_error",         502 },
  { USDTPAY_ERROR_CORRUPT,                "corrupt",                500 },
};

static const ErrorInfo *
lookup (UsdtpayErrorCode code)
{
  if ((guint)code < 1 || (guint)code >= G_N_ELEMENTS (error_table))
    return NULL;

  g_assert (error_table[code].code == code);
  return &error_table[code];
}

const char *
usdtpay_error_code_to_string (UsdtpayErrorCode code)
{
  const ErrorInfo *info = lookup (code);

  /* An unknown code is a bug on our side, so it reads as one. */
  return info != NULL ? info->text : "internal";
}

gboolean
usdtpay_error_code_from_string (const char       *text,
                                UsdtpayErrorCode *code)
{
  g_return_val_if_fail (code != NULL, FALSE);

  if (text == NULL)
    return FALSE;

  for (guint i = 1; i < G_N_ELEMENTS (error_table); i++)
    {
      if (strcmp (error_table[i].text, text) == 0)
        {
          *code = error_table[i].code;
          return TRUE;
        }
    }

  return FALSE;
}

guint
usdtpay_error_code_to_http_status (UsdtpayErrorCode code)
{
  const ErrorInfo *info = lookup (code);

  return info != NULL ? info->status : 500;
}

guint
usdtpay_error_to_http_status (const GError *error)
{
  g_return_val_if_fail (error != NULL, 500);

  if (error->domain != USDTPAY_ERROR)
    return 500;

  return usdtpay_error_code_to_http_status (error->code);
}

const char *
usdtpay_error_to_code_string (const GError *error)
{
  g_return_val_if_fail (error != NULL, "internal");

  if (error->domain != USDTPAY_ERROR)
    return "internal";

  return usdtpay_error_code_to_string (error->code);
}
