/* usdtpay-chain-error.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-chain"

#include "config.h"

#include "usdtpay-chain-error.h"

G_DEFINE_QUARK (usdtpay-chain-error-quark, usdtpay_chain_error)
