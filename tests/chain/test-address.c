/* test-address.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-chain.h"

/* Every test address of EIP-55. The all-caps and all-lower ones are the
 * checksummed forms too.
 */
static const char * const eip55_addresses[] = {
  "0x52908400098527886E0F7030069857D2E4169EE7",
  "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
  "0xde709f2102306220921060314715629080e2fb77",
  "0x27b1fdb04752bbc536007a920d24acb045561c26",
  "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
  "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
  "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
  "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
};

static void
test_address_eip55 (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (eip55_addresses); i++)
    {
      const char *expected = eip55_addresses[i];
      g_autofree char *lower = g_ascii_strdown (expected + 2, -1);
      g_autofree char *upper = g_ascii_strup (expected + 2, -1);
      g_autoptr(GError) error = NULL;
      UsdtpayAddress a, b, c;
      g_autofree char *text = NULL;

      g_assert_true (usdtpay_address_parse (&a, expected, &error));
      g_assert_no_error (error);
      text = usdtpay_address_to_string (&a);
      g_assert_cmpstr (text, ==, expected);

      /* No checksum to check in one case only, with or without 0x. */
      g_assert_true (usdtpay_address_parse (&b, lower, &error));
      g_assert_no_error (error);
      g_assert_true (usdtpay_address_parse (&c, upper, &error));
      g_assert_no_error (error);
      g_assert_true (usdtpay_address_equal (&a, &b));
      g_assert_true (usdtpay_address_equal (&a, &c));
    }
}

static void
test_address_bad_checksum (void)
{
  for (guint i = 4; i < G_N_ELEMENTS (eip55_addresses); i++)
    {
      g_autofree char *wrong = g_strdup (eip55_addresses[i]);
      g_autoptr(GError) error = NULL;
      UsdtpayAddress a;

      /* Flip the case of the last letter: still mixed case, wrong checksum. */
      for (char *p = wrong + strlen (wrong) - 1; p > wrong + 1; p--)
        {
          if (g_ascii_isalpha (*p))
            {
              *p = g_ascii_islower (*p) ? g_ascii_toupper (*p) : g_ascii_tolower (*p);
              break;
            }
        }
      g_assert_false (usdtpay_address_parse (&a, wrong, &error));
      g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_ADDRESS);
    }
}

static void
test_address_malformed (void)
{
  static const char * const bad[] = {
    "",
    "0x",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA",      /* 19 bytes */
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00",  /* 21 bytes */
    "0x0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea",
    "0xgaaeb6053f3e94c9b9a09f33669435e7ef1beaed",
    " 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      UsdtpayAddress a;

      g_assert_false (usdtpay_address_parse (&a, bad[i], &error));
      g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_ADDRESS);
    }
}

/* Known keys: EIP-155's example sender, and the first of the well-known
 * development accounts (Hardhat/Anvil mnemonic).
 */
static void
test_key_known (void)
{
  static const struct {
    const char *secret;
    const char *address;
  } keys[] = {
    { "0x4646464646464646464646464646464646464646464646464646464646464646",
      "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F" },
    { "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
      "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266" },
    { "0x0000000000000000000000000000000000000000000000000000000000000001",
      "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(UsdtpayKey) key = usdtpay_key_new_from_hex (keys[i].secret, &error);
      g_autofree char *address = NULL;
      g_autofree char *secret = NULL;

      g_assert_no_error (error);
      address = usdtpay_key_dup_address_string (key);
      g_assert_cmpstr (address, ==, keys[i].address);
      secret = usdtpay_key_dup_secret_hex (key);
      g_assert_cmpstr (usdtpay_hex_skip_prefix (secret), ==, usdtpay_hex_skip_prefix (keys[i].secret));
    }
}

static void
test_key_invalid (void)
{
  static const char * const bad[] = {
    "0x0000000000000000000000000000000000000000000000000000000000000000",
    /* the group order n, and n + 1 */
    "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
    "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364142",
    "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "0x46464646",
    "not hex",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(UsdtpayKey) key = usdtpay_key_new_from_hex (bad[i], &error);

      g_assert_null (key);
      g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_KEY);
      /* The secret never appears in the message. */
      if (strlen (bad[i]) > 10)
        g_assert_null (strstr (error->message, bad[i] + 10));
    }

  /* n - 1 is the largest valid key. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(UsdtpayKey) key =
      usdtpay_key_new_from_hex ("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", &error);

    g_assert_no_error (error);
    g_assert_nonnull (key);
  }
}

static void
test_key_random (void)
{
  g_autoptr(UsdtpayKey) a = usdtpay_key_new_random ();
  g_autoptr(UsdtpayKey) b = usdtpay_key_new_random ();
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = usdtpay_key_dup_secret_hex (a);
  g_autoptr(UsdtpayKey) again = usdtpay_key_new_from_hex (secret, &error);
  UsdtpayAddress derived;

  g_assert_no_error (error);
  g_assert_false (usdtpay_address_equal (usdtpay_key_get_address (a), usdtpay_key_get_address (b)));
  g_assert_true (usdtpay_address_equal (usdtpay_key_get_address (a), usdtpay_key_get_address (again)));
  usdtpay_address_from_public_key (&derived, usdtpay_key_get_public_key (a));
  g_assert_true (usdtpay_address_equal (&derived, usdtpay_key_get_address (a)));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chain/address/eip55", test_address_eip55);
  g_test_add_func ("/chain/address/bad-checksum", test_address_bad_checksum);
  g_test_add_func ("/chain/address/malformed", test_address_malformed);
  g_test_add_func ("/chain/key/known", test_key_known);
  g_test_add_func ("/chain/key/invalid", test_key_invalid);
  g_test_add_func ("/chain/key/random", test_key_random);

  return g_test_run ();
}
