/* usdtpay-withdrawals.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "usdtpay-chain.h"
#include "usdtpay-engine.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_WITHDRAWALS (usdtpay_withdrawals_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayWithdrawals, usdtpay_withdrawals, USDTPAY, WITHDRAWALS, GObject)

/* The sender: signs requested withdrawals with the hot wallet as EIP-1559
 * token transfers, one at a time with consecutive nonces, broadcasts them,
 * settles them after the confirmations and returns the funds of a failed
 * one. Retries with backoff when the node fails. */
UsdtpayWithdrawals *usdtpay_withdrawals_new   (UsdtpayEngine      *engine,
                                               UsdtpayRpcClient   *client);
void                usdtpay_withdrawals_start (UsdtpayWithdrawals *self);
void                usdtpay_withdrawals_stop  (UsdtpayWithdrawals *self);

G_END_DECLS
