/* usdtpay-hot-wallet.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "usdtpay-chain.h"

G_BEGIN_DECLS

/* The platform's hot-wallet key file: the secret as 64 hex digits and a
 * newline, mode 0600. */

/* Makes a new key at @path; refuses an existing file. Returns the key. */
UsdtpayKey *usdtpay_hot_wallet_create (const char  *path,
                                       GError     **error);
/* Refuses a file that is not a regular file owned by us, or that group or
 * others may read or write. The secret never reaches a message. */
UsdtpayKey *usdtpay_hot_wallet_load   (const char  *path,
                                       GError     **error);

G_END_DECLS
