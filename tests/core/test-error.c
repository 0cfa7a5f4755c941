/* test-error.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "usdtpay-core.h"

static const struct
{
  UsdtpayErrorCode  code;
  const char       *text;
  guint             status;
} expected[] = {
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

static void
test_codes (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(GError) error = g_error_new (USDTPAY_ERROR, expected[i].code, "x");
      UsdtpayErrorCode code = 0;

      g_assert_cmpstr (usdtpay_error_code_to_string (expected[i].code), ==, expected[i].text);
      g_assert_cmpuint (usdtpay_error_code_to_http_status (expected[i].code), ==, expected[i].status);
      g_assert_true (usdtpay_error_code_from_string (expected[i].text, &code));
      g_assert_cmpint (code, ==, expected[i].code);
      g_assert_cmpuint (usdtpay_error_to_http_status (error), ==, expected[i].status);
      g_assert_cmpstr (usdtpay_error_to_code_string (error), ==, expected[i].text);
    }
}

static void
test_unknown (void)
{
  g_autoptr(GError) io = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "disk");
  UsdtpayErrorCode code = USDTPAY_ERROR_CONFLICT;

  g_assert_false (usdtpay_error_code_from_string ("nope", &code));
  g_assert_false (usdtpay_error_code_from_string ("", &code));
  g_assert_false (usdtpay_error_code_from_string (NULL, &code));
  g_assert_cmpint (code, ==, USDTPAY_ERROR_CONFLICT);

  /* Errors of other domains are our bug as far as a client can tell. */
  g_assert_cmpuint (usdtpay_error_to_http_status (io), ==, 500);
  g_assert_cmpstr (usdtpay_error_to_code_string (io), ==, "internal");
  g_assert_cmpuint (usdtpay_error_code_to_http_status (0), ==, 500);
  g_assert_cmpuint (usdtpay_error_code_to_http_status (9999), ==, 500);
  g_assert_cmpstr (usdtpay_error_code_to_string (9999), ==, "internal");
}

static void
test_body (void)
{
  g_autoptr(GError) error = g_error_new_literal (USDTPAY_ERROR, USDTPAY_ERROR_NOT_FOUND,
                                                 "no order \"x\"\n");
  g_autofree char *body = NULL;
  gsize length = 0;

  body = usdtpay_json_error_body (error, &length);
  g_assert_cmpstr (body, ==, "{\"error\":{\"code\":\"not_found\",\"message\":\"no order \\\"x\\\"\\n\"}}");
  g_assert_cmpuint (length, ==, strlen (body));
  g_assert_true (usdtpay_json_validate (body, length, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/error/codes", test_codes);
  g_test_add_func ("/core/error/unknown", test_unknown);
  g_test_add_func ("/core/error/body", test_body);

  return g_test_run ();
}
