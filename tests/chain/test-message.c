/* test-message.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-chain.h"

#define MSG(s) (const guint8 *)(s), strlen (s)

/* The personal_sign hash of "hello world" as web3 libraries compute it
 * (hashMessage / eth_sign).
 */
static void
test_message_hash (void)
{
  guint8 hash[32];
  g_autofree char *hex = NULL;

  usdtpay_message_hash (MSG ("hello world"), hash);
  hex = usdtpay_hex_encode (hash, 32);
  g_assert_cmpstr (hex, ==, "0xd9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68");
}

static void
test_message_sign_recover (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayKey) key = usdtpay_key_new_random ();
  UsdtpaySignature signature;
  UsdtpaySignature parsed;
  UsdtpayAddress address;
  guint8 bytes[65];
  const char *message = "UsdtPay wallet registration nonce 8f1c2e";

  g_assert_true (usdtpay_message_sign (key, MSG (message), &signature, &error));
  g_assert_no_error (error);

  usdtpay_signature_to_bytes (&signature, bytes);
  g_assert_true (bytes[64] == 27 || bytes[64] == 28);
  g_assert_true (usdtpay_signature_from_bytes (&parsed, bytes, sizeof bytes, &error));
  g_assert_no_error (error);

  g_assert_true (usdtpay_message_recover (MSG (message), &parsed, &address, &error));
  g_assert_no_error (error);
  g_assert_true (usdtpay_address_equal (&address, usdtpay_key_get_address (key)));
  g_assert_true (usdtpay_message_verify (MSG (message), &parsed, usdtpay_key_get_address (key), &error));
  g_assert_no_error (error);

  /* v as 0/1 is accepted too. */
  bytes[64] -= 27;
  g_assert_true (usdtpay_signature_from_bytes (&parsed, bytes, sizeof bytes, &error));
  g_assert_cmpuint (parsed.recovery_id, ==, signature.recovery_id);

  /* Another message recovers to another address (or to none). */
  if (usdtpay_message_recover (MSG ("UsdtPay wallet registration nonce 8f1c2f"), &parsed, &address, NULL))
    g_assert_false (usdtpay_address_equal (&address, usdtpay_key_get_address (key)));
  g_assert_false (usdtpay_message_verify (MSG ("UsdtPay wallet registration nonce 8f1c2f"), &parsed,
                                          usdtpay_key_get_address (key), &error));
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_SIGNATURE);
}

/* Signing is deterministic (RFC 6979): one key, one message, one signature. */
static void
test_message_deterministic (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayKey) key =
    usdtpay_key_new_from_hex ("0x4646464646464646464646464646464646464646464646464646464646464646", &error);
  UsdtpaySignature a, b;

  g_assert_no_error (error);
  g_assert_true (usdtpay_message_sign (key, MSG ("hello"), &a, NULL));
  g_assert_true (usdtpay_message_sign (key, MSG ("hello"), &b, NULL));
  g_assert_cmpmem (a.r, 32, b.r, 32);
  g_assert_cmpmem (a.s, 32, b.s, 32);
  g_assert_cmpuint (a.recovery_id, ==, b.recovery_id);
  /* low s: the top bit of s is clear */
  g_assert_cmpuint (a.s[0] & 0x80, ==, 0);
}

static void
test_signature_refused (void)
{
  guint8 bytes[65];
  UsdtpaySignature sig;
  UsdtpayAddress address;
  g_autoptr(GError) error = NULL;

  memset (bytes, 0x11, sizeof bytes);
  bytes[64] = 29;
  g_assert_false (usdtpay_signature_from_bytes (&sig, bytes, sizeof bytes, &error));
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_SIGNATURE);
  g_clear_error (&error);

  g_assert_false (usdtpay_signature_from_bytes (&sig, bytes, 64, &error));
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_SIGNATURE);
  g_clear_error (&error);

  /* r = 0 is no signature at all */
  memset (bytes, 0, 32);
  bytes[64] = 27;
  g_assert_true (usdtpay_signature_from_bytes (&sig, bytes, sizeof bytes, &error));
  g_assert_false (usdtpay_message_recover (MSG ("x"), &sig, &address, &error));
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_SIGNATURE);
  g_clear_error (&error);

  /* r ≥ n does not parse */
  memset (bytes, 0xff, 64);
  g_assert_true (usdtpay_signature_from_bytes (&sig, bytes, sizeof bytes, &error));
  g_assert_false (usdtpay_message_recover (MSG ("x"), &sig, &address, &error));
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_SIGNATURE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chain/message/hash", test_message_hash);
  g_test_add_func ("/chain/message/sign-recover", test_message_sign_recover);
  g_test_add_func ("/chain/message/deterministic", test_message_deterministic);
  g_test_add_func ("/chain/message/signature-refused", test_signature_refused);

  return g_test_run ();
}
