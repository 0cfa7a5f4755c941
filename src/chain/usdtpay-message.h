/* usdtpay-message.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "usdtpay-address.h"
#include "usdtpay-key.h"
#include "usdtpay-secp256k1.h"

G_BEGIN_DECLS

/* EIP-191 version 0x45 ("personal_sign"): keccak256("\x19Ethereum Signed
 * Message:\n" ‖ decimal length ‖ message).
 */
void      usdtpay_message_hash     (const guint8            *message,
                                    gsize                    len,
                                    guint8                   hash[32]);
gboolean  usdtpay_message_sign     (UsdtpayKey              *key,
                                    const guint8            *message,
                                    gsize                    len,
                                    UsdtpaySignature        *signature,
                                    GError                 **error);
gboolean  usdtpay_message_recover  (const guint8            *message,
                                    gsize                    len,
                                    const UsdtpaySignature  *signature,
                                    UsdtpayAddress          *address,
                                    GError                 **error);
gboolean  usdtpay_message_verify   (const guint8            *message,
                                    gsize                    len,
                                    const UsdtpaySignature  *signature,
                                    const UsdtpayAddress    *address,
                                    GError                 **error);

G_END_DECLS
