/* test-keccak.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-chain.h"

static char *
keccak_hex (const char *text,
            gsize       len)
{
  guint8 hash[32];

  usdtpay_keccak256 ((const guint8 *)text, len, hash);
  return usdtpay_hex_encode (hash, sizeof hash);
}

static void
test_keccak_known (void)
{
  g_autofree char *empty = keccak_hex ("", 0);
  g_autofree char *abc = keccak_hex ("abc", 3);
  g_autofree char *fox = keccak_hex ("The quick brown fox jumps over the lazy dog", 43);

  g_assert_cmpstr (empty, ==, "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  g_assert_cmpstr (abc, ==, "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  g_assert_cmpstr (fox, ==, "0x4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
}

/* Not SHA3-256: FIPS-202 pads with 0x06 and gives a7ffc6f8… for "". */
static void
test_keccak_not_sha3 (void)
{
  g_autofree char *empty = keccak_hex ("", 0);

  g_assert_cmpstr (empty, !=, "0xa7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
}

/* Feeding the same bytes in any split gives the one-shot digest, across
 * the 136-byte block boundary and the one-byte-left padding case (135).
 */
static void
test_keccak_incremental (void)
{
  static const gsize lengths[] = { 0, 1, 134, 135, 136, 137, 271, 272, 273, 1000 };
  guint8 data[1000];

  for (gsize i = 0; i < sizeof data; i++)
    data[i] = (guint8)(i * 7 + 3);

  for (guint l = 0; l < G_N_ELEMENTS (lengths); l++)
    {
      gsize len = lengths[l];
      guint8 whole[32];

      usdtpay_keccak256 (data, len, whole);
      for (gsize step = 1; step <= 200; step += 37)
        {
          UsdtpayKeccak ctx;
          guint8 parts[32];

          usdtpay_keccak_init (&ctx);
          for (gsize off = 0; off < len; off += step)
            usdtpay_keccak_update (&ctx, data + off, MIN (step, len - off));
          usdtpay_keccak_finish (&ctx, parts);
          g_assert_cmpmem (whole, 32, parts, 32);
        }
    }
}

/* Published digests of the 135- and 136-byte strings of 'a' would need a
 * reference; the one-byte-left case is checked against itself above and
 * against ethers in the cross-check. Here: the selectors every ERC-20
 * tool prints.
 */
static void
test_keccak_selectors (void)
{
  g_autofree char *transfer = keccak_hex ("transfer(address,uint256)", 25);
  g_autofree char *event = keccak_hex ("Transfer(address,address,uint256)", 33);

  g_assert_true (g_str_has_prefix (transfer, "0xa9059cbb"));
  g_assert_cmpstr (event, ==, USDTPAY_ABI_TRANSFER_TOPIC);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chain/keccak/known", test_keccak_known);
  g_test_add_func ("/chain/keccak/not-sha3", test_keccak_not_sha3);
  g_test_add_func ("/chain/keccak/incremental", test_keccak_incremental);
  g_test_add_func ("/chain/keccak/selectors", test_keccak_selectors);

  return g_test_run ();
}
