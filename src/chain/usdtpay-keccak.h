/* usdtpay-keccak.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define USDTPAY_KECCAK256_SIZE 32
#define USDTPAY_KECCAK256_RATE 136

/* Keccak-256 as Ethereum uses it: the original Keccak padding (0x01 … 0x80),
 * not the 0x06 of FIPS-202 SHA3-256. The struct lives on the stack.
 */
typedef struct
{
  /*< private >*/
  guint64 lanes[25];
  guint8  block[USDTPAY_KECCAK256_RATE];
  guint   index;
} UsdtpayKeccak;

void usdtpay_keccak_init     (UsdtpayKeccak *self);
void usdtpay_keccak_update   (UsdtpayKeccak *self,
                              const guint8  *data,
                              gsize          len);
void usdtpay_keccak_finish   (UsdtpayKeccak *self,
                              guint8         digest[USDTPAY_KECCAK256_SIZE]);
void usdtpay_keccak256       (const guint8  *data,
                              gsize          len,
                              guint8         digest[USDTPAY_KECCAK256_SIZE]);

G_END_DECLS
