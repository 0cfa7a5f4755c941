/* test-rlp.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-chain.h"

static UsdtpayRlpItem *
str (const char *text)
{
  return usdtpay_rlp_item_new_bytes ((const guint8 *)text, strlen (text));
}

static UsdtpayRlpItem *
list (UsdtpayRlpItem *first,
      ...)
{
  UsdtpayRlpItem *l = usdtpay_rlp_item_new_list ();
  va_list args;

  va_start (args, first);
  for (UsdtpayRlpItem *it = first; it != NULL; it = va_arg (args, UsdtpayRlpItem *))
    usdtpay_rlp_item_append (l, it);
  va_end (args);
  return l;
}

static void
check_encoding (UsdtpayRlpItem *item,
                const char     *expected_hex)
{
  g_autoptr(UsdtpayRlpItem) owned = item;
  g_autoptr(GBytes) encoded = usdtpay_rlp_encode (owned);
  g_autofree char *hex = usdtpay_hex_encode_bytes (encoded);
  g_autoptr(UsdtpayRlpItem) decoded = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;
  const guint8 *data;

  g_assert_cmpstr (hex, ==, expected_hex);

  /* Decoding gives back a tree that encodes to the same bytes. */
  data = g_bytes_get_data (encoded, &len);
  decoded = usdtpay_rlp_decode (data, len, &error);
  g_assert_no_error (error);
  again = usdtpay_rlp_encode (decoded);
  g_assert_true (g_bytes_equal (encoded, again));
}

/* The examples of the Ethereum RLP specification. */
static void
test_rlp_spec_examples (void)
{
  check_encoding (str ("dog"), "0x83646f67");
  check_encoding (list (str ("cat"), str ("dog"), NULL), "0xc88363617483646f67");
  check_encoding (str (""), "0x80");
  check_encoding (usdtpay_rlp_item_new_list (), "0xc0");
  check_encoding (usdtpay_rlp_item_new_uint64 (0), "0x80");
  check_encoding (usdtpay_rlp_item_new_bytes ((const guint8 *)"\0", 1), "0x00");
  check_encoding (usdtpay_rlp_item_new_uint64 (15), "0x0f");
  check_encoding (usdtpay_rlp_item_new_uint64 (1024), "0x820400");
  /* The set-theoretic representation of three: [ [], [[]], [ [], [[]] ] ] */
  check_encoding (list (usdtpay_rlp_item_new_list (),
                        list (usdtpay_rlp_item_new_list (), NULL),
                        list (usdtpay_rlp_item_new_list (),
                              list (usdtpay_rlp_item_new_list (), NULL),
                              NULL),
                        NULL),
                  "0xc7c0c1c0c3c0c1c0");
  check_encoding (str ("Lorem ipsum dolor sit amet, consectetur adipisicing elit"),
                  "0xb8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069736963696e6720656c6974");
}

static void
test_rlp_long_list (void)
{
  g_autoptr(UsdtpayRlpItem) l = usdtpay_rlp_item_new_list ();
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(UsdtpayRlpItem) decoded = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *data;
  gsize len;

  /* 20 × "dog" is 80 bytes of payload: the long list form f8 50. */
  for (guint i = 0; i < 20; i++)
    usdtpay_rlp_item_append (l, str ("dog"));
  encoded = usdtpay_rlp_encode (l);
  data = g_bytes_get_data (encoded, &len);
  g_assert_cmpuint (len, ==, 82);
  g_assert_cmpuint (data[0], ==, 0xf8);
  g_assert_cmpuint (data[1], ==, 80);

  decoded = usdtpay_rlp_decode (data, len, &error);
  g_assert_no_error (error);
  g_assert_true (usdtpay_rlp_item_is_list (decoded));
  g_assert_cmpuint (usdtpay_rlp_item_get_n_items (decoded), ==, 20);
}

static void
check_refused (const char *hex)
{
  g_autoptr(GBytes) bytes = usdtpay_hex_decode (hex, NULL);
  g_autoptr(UsdtpayRlpItem) item = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *data;
  gsize len;

  g_assert_nonnull (bytes);
  data = g_bytes_get_data (bytes, &len);
  item = usdtpay_rlp_decode (data, len, &error);
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_RLP);
  g_assert_null (item);
}

static void
test_rlp_non_canonical (void)
{
  check_refused ("");                  /* nothing */
  check_refused ("0x8105");            /* a byte below 0x80 wrapped as a string */
  check_refused ("0x8100");
  check_refused ("0xb80100");          /* long form for a length below 56 */
  check_refused ("0xb837" "61616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161");
  check_refused ("0xf800");            /* long list form for an empty list */
  check_refused ("0xb90038" "00");     /* leading zero in the length */
  check_refused ("0x83646f");          /* truncated string */
  check_refused ("0xc88363617483646f");/* truncated list */
  check_refused ("0xb8");              /* truncated length */
  check_refused ("0x83646f6700");      /* trailing byte */
  check_refused ("0xc0c0");            /* two items */
  check_refused ("0xc3836461");        /* child runs past its list */
  check_refused ("0xbf0100000000000001"); /* length beyond the input */
}

static void
test_rlp_depth (void)
{
  /* 200 nested lists: valid RLP, but deeper than the decoder follows. */
  g_autoptr(UsdtpayRlpItem) item = usdtpay_rlp_item_new_list ();
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(UsdtpayRlpItem) decoded = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *data;
  gsize len;

  for (guint i = 0; i < 200; i++)
    {
      UsdtpayRlpItem *outer = usdtpay_rlp_item_new_list ();

      usdtpay_rlp_item_append (outer, g_steal_pointer (&item));
      item = outer;
    }
  encoded = usdtpay_rlp_encode (item);
  data = g_bytes_get_data (encoded, &len);
  decoded = usdtpay_rlp_decode (data, len, &error);
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_RLP);
  g_assert_null (decoded);
}

static void
test_rlp_integers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayRlpItem) item = usdtpay_rlp_item_new_uint64 (G_MAXUINT64);
  g_autoptr(UsdtpayRlpItem) padded = usdtpay_rlp_item_new_bytes ((const guint8 *)"\0\1", 2);
  g_autoptr(UsdtpayRlpItem) l = usdtpay_rlp_item_new_list ();
  guint64 v = 0;

  g_assert_true (usdtpay_rlp_item_get_uint64 (item, &v, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (v, ==, G_MAXUINT64);

  g_assert_false (usdtpay_rlp_item_get_uint64 (padded, &v, &error));
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_RLP);
  g_clear_error (&error);

  g_assert_false (usdtpay_rlp_item_get_uint64 (l, &v, &error));
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_RLP);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chain/rlp/spec-examples", test_rlp_spec_examples);
  g_test_add_func ("/chain/rlp/long-list", test_rlp_long_list);
  g_test_add_func ("/chain/rlp/non-canonical", test_rlp_non_canonical);
  g_test_add_func ("/chain/rlp/depth", test_rlp_depth);
  g_test_add_func ("/chain/rlp/integers", test_rlp_integers);

  return g_test_run ();
}
