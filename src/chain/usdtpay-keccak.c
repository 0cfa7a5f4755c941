/* usdtpay-keccak.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-chain"

#include "config.h"

#include <string.h>

#include <nettle/sha3.h>

#include "usdtpay-keccak.h"

G_STATIC_ASSERT (sizeof (((struct sha3_state *)NULL)->a) == sizeof (((UsdtpayKeccak *)NULL)->lanes));

/* XOR one full block into the state (lanes are little-endian) and permute
 * with nettle's Keccak-f[1600].
 */
static void
absorb_block (UsdtpayKeccak *self,
              const guint8  *block)
{
  struct sha3_state state;

  for (guint i = 0; i < USDTPAY_KECCAK256_RATE / 8; i++)
    {
      guint64 lane;

      memcpy (&lane, block + 8 * i, 8);
      self->lanes[i] ^= GUINT64_FROM_LE (lane);
    }

  memcpy (state.a, self->lanes, sizeof state.a);
  sha3_permute (&state);
  memcpy (self->lanes, state.a, sizeof state.a);
}

void
usdtpay_keccak_init (UsdtpayKeccak *self)
{
  g_return_if_fail (self != NULL);

  memset (self, 0, sizeof *self);
}

void
usdtpay_keccak_update (UsdtpayKeccak *self,
                       const guint8  *data,
                       gsize          len)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || len == 0);

  if (self->index > 0)
    {
      gsize take = MIN (len, USDTPAY_KECCAK256_RATE - self->index);

      memcpy (self->block + self->index, data, take);
      self->index += take;
      data += take;
      len -= take;
      if (self->index < USDTPAY_KECCAK256_RATE)
        return;
      absorb_block (self, self->block);
      self->index = 0;
    }

  while (len >= USDTPAY_KECCAK256_RATE)
    {
      absorb_block (self, data);
      data += USDTPAY_KECCAK256_RATE;
      len -= USDTPAY_KECCAK256_RATE;
    }

  memcpy (self->block, data, len);
  self->index = len;
}

void
usdtpay_keccak_finish (UsdtpayKeccak *self,
                       guint8         digest[USDTPAY_KECCAK256_SIZE])
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (digest != NULL);

  /* Keccak's pad10*1 with the domain bit of the original submission. When
   * one byte is left, both bits land in it (0x81).
   */
  memset (self->block + self->index, 0, USDTPAY_KECCAK256_RATE - self->index);
  self->block[self->index] ^= 0x01;
  self->block[USDTPAY_KECCAK256_RATE - 1] ^= 0x80;
  absorb_block (self, self->block);

  for (guint i = 0; i < USDTPAY_KECCAK256_SIZE / 8; i++)
    {
      guint64 lane = GUINT64_TO_LE (self->lanes[i]);

      memcpy (digest + 8 * i, &lane, 8);
    }

  usdtpay_keccak_init (self);
}

/**
 * usdtpay_keccak256:
 * @data: (array length=len) (nullable): the input
 * @len: its length, may be 0
 * @digest: (out caller-allocates): 32 bytes
 */
void
usdtpay_keccak256 (const guint8 *data,
                   gsize         len,
                   guint8        digest[USDTPAY_KECCAK256_SIZE])
{
  UsdtpayKeccak ctx;

  g_return_if_fail (data != NULL || len == 0);

  usdtpay_keccak_init (&ctx);
  usdtpay_keccak_update (&ctx, data, len);
  usdtpay_keccak_finish (&ctx, digest);
}
