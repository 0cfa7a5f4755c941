/* test-wallet.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-wallet.h"

static void
test_parse_amount (void)
{
  static const struct { const char *text; gint64 micro; } good[] = {
    { "100", 100000000 },
    { "12.5", 12500000 },
    { " 0.000001 ", 1 },
    { "9223372036854.775807", G_MAXINT64 },
  };
  static const char *bad[] = {
    "", "   ", "0", "0.000000", "-1", "+1", "1e3", "1.0000001", "01", ".5", "5.", "1,5",
    "9223372036854.775808", "abc", "１",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 micro = 0;

      g_assert_true (usdtpay_wallet_parse_amount (good[i].text, &micro, &error));
      g_assert_no_error (error);
      g_assert_cmpint (micro, ==, good[i].micro);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 micro = -7;

      g_assert_false (usdtpay_wallet_parse_amount (bad[i], &micro, &error));
      g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
      g_assert_cmpint (micro, ==, -7);
      /* A sentence for a person, never empty. */
      g_assert_cmpuint (strlen (error->message), >, 10);
    }
}

static void
test_format_eth (void)
{
  static const struct { const char *quantity; const char *text; } cases[] = {
    { "0x0", "0.000000" },
    { "0x1", "0.000000000000000001" },
    { "0xde0b6b3a7640000", "1.000000" },                      /* 1 ETH */
    { "0x21e19e0c9bab2400000", "10000.000000" },              /* 10 000 ETH */
    { "0x21e19e0c9bab23fffff", "9999.999999999999999999" },
    { "0x1bc16d674ec80001", "2.000000000000000001" },
    { "0x2386f26fc10000", "0.010000" },
    { "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "115792089237316195423570985008687907853269984665640564039457.584007913129639935" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      UsdtpayUint256 wei;
      g_autofree char *text = NULL;

      g_assert_true (usdtpay_uint256_parse_quantity (&wei, cases[i].quantity, NULL));
      text = usdtpay_wallet_format_eth (&wei);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static void
test_schema (void)
{
  const SecretSchema *schema = usdtpay_wallet_key_schema ();

  g_assert_cmpstr (schema->name, ==, "com.example.UsdtPay.WalletKey");
  g_assert_cmpstr (schema->attributes[0].name, ==, "platform");
  g_assert_cmpstr (schema->attributes[1].name, ==, "account");
  g_assert_null (schema->attributes[2].name);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/wallet/parse-amount", test_parse_amount);
  g_test_add_func ("/app/wallet/format-eth", test_format_eth);
  g_test_add_func ("/app/wallet/schema", test_schema);

  return g_test_run ();
}
