/* usdtpay-address.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define USDTPAY_ADDRESS_SIZE 20

/* An account address: the last 20 bytes of the Keccak-256 of the 64-byte
 * public key. Shown with the EIP-55 mixed-case checksum.
 */
typedef struct
{
  guint8 bytes[USDTPAY_ADDRESS_SIZE];
} UsdtpayAddress;

gboolean  usdtpay_address_parse            (UsdtpayAddress       *self,
                                            const char           *text,
                                            GError              **error);
char     *usdtpay_address_to_string        (const UsdtpayAddress *self);
void      usdtpay_address_from_public_key  (UsdtpayAddress       *self,
                                            const guint8          public_key[64]);
gboolean  usdtpay_address_equal            (const UsdtpayAddress *a,
                                            const UsdtpayAddress *b);
gboolean  usdtpay_address_is_zero          (const UsdtpayAddress *self);

G_END_DECLS
