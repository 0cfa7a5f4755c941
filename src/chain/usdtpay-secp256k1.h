/* usdtpay-secp256k1.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "usdtpay-address.h"

G_BEGIN_DECLS

#define USDTPAY_SIGNATURE_SIZE 65

/* A recoverable ECDSA signature over secp256k1: r, s (low-s, as
 * libsecp256k1 makes them) and the recovery id 0 or 1.
 */
typedef struct
{
  guint8 r[32];
  guint8 s[32];
  guint8 recovery_id;
} UsdtpaySignature;

gboolean  usdtpay_secp256k1_secret_is_valid   (const guint8            secret[32]);
gboolean  usdtpay_secp256k1_public_key        (const guint8            secret[32],
                                               guint8                  public_key[64],
                                               GError                **error);
gboolean  usdtpay_secp256k1_sign              (const guint8            secret[32],
                                               const guint8            hash[32],
                                               UsdtpaySignature       *signature,
                                               GError                **error);
gboolean  usdtpay_secp256k1_recover           (const guint8            hash[32],
                                               const UsdtpaySignature *signature,
                                               guint8                  public_key[64],
                                               GError                **error);
gboolean  usdtpay_secp256k1_recover_address   (const guint8            hash[32],
                                               const UsdtpaySignature *signature,
                                               UsdtpayAddress         *address,
                                               GError                **error);
void      usdtpay_signature_to_bytes          (const UsdtpaySignature *self,
                                               guint8                  out[USDTPAY_SIGNATURE_SIZE]);
gboolean  usdtpay_signature_from_bytes        (UsdtpaySignature       *self,
                                               const guint8           *data,
                                               gsize                   len,
                                               GError                **error);

G_END_DECLS
