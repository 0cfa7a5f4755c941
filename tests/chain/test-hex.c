/* test-hex.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-chain.h"

static void
test_hex_round_trip (void)
{
  static const guint8 data[] = { 0x00, 0x01, 0xab, 0xff };
  g_autofree char *hex = usdtpay_hex_encode (data, sizeof data);
  g_autofree char *empty = usdtpay_hex_encode (NULL, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) back = NULL;
  g_autoptr(GBytes) bare = NULL;
  g_autoptr(GBytes) nothing = NULL;
  guint8 fixed[4];

  g_assert_cmpstr (hex, ==, "0x0001abff");
  g_assert_cmpstr (empty, ==, "0x");

  back = usdtpay_hex_decode ("0x0001ABff", &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (back, NULL), g_bytes_get_size (back), data, sizeof data);
  bare = usdtpay_hex_decode ("0001abff", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (back, bare));
  nothing = usdtpay_hex_decode ("", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (nothing), ==, 0);

  g_assert_true (usdtpay_hex_decode_fixed ("0X0001abff", fixed, 4, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (fixed, 4, data, 4);
}

static void
test_hex_refused (void)
{
  static const char * const bad[] = { "0x1", "abc", "0xzz", "0x 0", "0x0x00" };
  guint8 fixed[2] = { 7, 7 };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) bytes = usdtpay_hex_decode (bad[i], &error);

      g_assert_null (bytes);
      g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_HEX);
    }

  {
    g_autoptr(GError) error = NULL;

    g_assert_false (usdtpay_hex_decode_fixed ("0x0001ff", fixed, 2, &error));
    g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_HEX);
    g_assert_cmpuint (fixed[0], ==, 7);
  }
}

static void
test_hex_quantity (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *zero = usdtpay_hex_encode_quantity (0);
  g_autofree char *big = usdtpay_hex_encode_quantity (G_MAXUINT64);
  guint64 v = 0;

  g_assert_cmpstr (zero, ==, "0x0");
  g_assert_cmpstr (big, ==, "0xffffffffffffffff");

  g_assert_true (usdtpay_hex_parse_quantity ("0x1a", &v, &error));
  g_assert_cmpuint (v, ==, 26);
  g_assert_true (usdtpay_hex_parse_quantity ("0009", &v, &error));
  g_assert_cmpuint (v, ==, 9);
  g_assert_true (usdtpay_hex_parse_quantity ("0xffffffffffffffff", &v, &error));
  g_assert_cmpuint (v, ==, G_MAXUINT64);
  g_assert_no_error (error);

  g_assert_false (usdtpay_hex_parse_quantity ("0x10000000000000000", &v, &error));
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_OVERFLOW);
  g_clear_error (&error);
  g_assert_false (usdtpay_hex_parse_quantity ("0x", &v, &error));
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_HEX);
  g_clear_error (&error);
  g_assert_false (usdtpay_hex_parse_quantity ("-1", &v, &error));
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_HEX);
}

static void
test_uint256 (void)
{
  g_autoptr(GError) error = NULL;
  UsdtpayUint256 a, b, max;
  g_autofree char *q = NULL;
  g_autofree char *dec = NULL;
  g_autofree char *max_dec = NULL;
  g_autofree char *max_q = NULL;
  gint64 i64 = 0;
  guint64 u64 = 0;
  const guint8 *start;

  /* 1 ether in wei */
  g_assert_true (usdtpay_uint256_parse_quantity (&a, "0xde0b6b3a7640000", &error));
  g_assert_no_error (error);
  q = usdtpay_uint256_to_quantity (&a);
  g_assert_cmpstr (q, ==, "0xde0b6b3a7640000");
  dec = usdtpay_uint256_to_decimal (&a);
  g_assert_cmpstr (dec, ==, "1000000000000000000");
  g_assert_true (usdtpay_uint256_to_int64 (&a, &i64, &error));
  g_assert_cmpint (i64, ==, G_GINT64_CONSTANT (1000000000000000000));
  g_assert_cmpuint (usdtpay_uint256_get_minimal (&a, &start), ==, 8);

  /* USDT amounts: 6 decimals in a gint64 */
  g_assert_true (usdtpay_uint256_set_int64 (&b, G_GINT64_CONSTANT (1234567890123), &error));
  g_assert_true (usdtpay_uint256_to_uint64 (&b, &u64, &error));
  g_assert_cmpuint (u64, ==, G_GUINT64_CONSTANT (1234567890123));
  g_assert_cmpint (usdtpay_uint256_compare (&a, &b), >, 0);
  g_assert_false (usdtpay_uint256_set_int64 (&b, -1, &error));
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_OVERFLOW);
  g_clear_error (&error);

  /* 2^256 - 1 */
  memset (max.bytes, 0xff, 32);
  max_dec = usdtpay_uint256_to_decimal (&max);
  g_assert_cmpstr (max_dec, ==,
                   "115792089237316195423570985008687907853269984665640564039457584007913129639935");
  max_q = usdtpay_uint256_to_quantity (&max);
  g_assert_true (usdtpay_uint256_parse_quantity (&b, max_q, &error));
  g_assert_cmpint (usdtpay_uint256_compare (&max, &b), ==, 0);
  g_assert_false (usdtpay_uint256_to_uint64 (&max, &u64, &error));
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_OVERFLOW);
  g_clear_error (&error);

  /* 2^63 fits a guint64, not a gint64 */
  usdtpay_uint256_set_uint64 (&b, G_GUINT64_CONSTANT (1) << 63);
  g_assert_false (usdtpay_uint256_to_int64 (&b, &i64, &error));
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_OVERFLOW);
  g_clear_error (&error);

  /* 65 significant digits do not fit */
  g_assert_false (usdtpay_uint256_parse_quantity (&b, "0x1" "0000000000000000000000000000000000000000000000000000000000000000", &error));
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_OVERFLOW);
  g_clear_error (&error);

  usdtpay_uint256_set_uint64 (&b, 0);
  g_assert_true (usdtpay_uint256_is_zero (&b));
  g_clear_pointer (&q, g_free);
  q = usdtpay_uint256_to_quantity (&b);
  g_assert_cmpstr (q, ==, "0x0");
  g_clear_pointer (&dec, g_free);
  dec = usdtpay_uint256_to_decimal (&b);
  g_assert_cmpstr (dec, ==, "0");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chain/hex/round-trip", test_hex_round_trip);
  g_test_add_func ("/chain/hex/refused", test_hex_refused);
  g_test_add_func ("/chain/hex/quantity", test_hex_quantity);
  g_test_add_func ("/chain/uint256/conversions", test_uint256);

  return g_test_run ();
}
