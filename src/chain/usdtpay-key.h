/* usdtpay-key.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "usdtpay-address.h"
#include "usdtpay-secp256k1.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_KEY (usdtpay_key_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayKey, usdtpay_key, USDTPAY, KEY, GObject)

UsdtpayKey           *usdtpay_key_new_random       (void);
UsdtpayKey           *usdtpay_key_new_from_secret  (const guint8      secret[32],
                                                    GError          **error);
UsdtpayKey           *usdtpay_key_new_from_hex     (const char       *hex,
                                                    GError          **error);
const UsdtpayAddress *usdtpay_key_get_address      (UsdtpayKey       *self);
char                 *usdtpay_key_dup_address_string (UsdtpayKey     *self);
const guint8         *usdtpay_key_get_public_key   (UsdtpayKey       *self);
void                  usdtpay_key_copy_secret      (UsdtpayKey       *self,
                                                    guint8            secret[32]);
char                 *usdtpay_key_dup_secret_hex   (UsdtpayKey       *self);
gboolean              usdtpay_key_sign_hash        (UsdtpayKey       *self,
                                                    const guint8      hash[32],
                                                    UsdtpaySignature *signature,
                                                    GError          **error);

G_END_DECLS
