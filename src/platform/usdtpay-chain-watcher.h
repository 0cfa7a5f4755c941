/* usdtpay-chain-watcher.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "usdtpay-chain.h"
#include "usdtpay-engine.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_CHAIN_WATCHER (usdtpay_chain_watcher_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayChainWatcher, usdtpay_chain_watcher, USDTPAY, CHAIN_WATCHER, GObject)

/* Books deposits into the escrow address from the token's Transfer logs,
 * credits them after the configured confirmations and follows
 * reorganisations. Retries with backoff when the node fails, and says so
 * in the chain book's watcher status. */
UsdtpayChainWatcher *usdtpay_chain_watcher_new   (UsdtpayEngine       *engine,
                                                  UsdtpayRpcClient    *client);
void                 usdtpay_chain_watcher_start (UsdtpayChainWatcher *self);
void                 usdtpay_chain_watcher_stop  (UsdtpayChainWatcher *self);

G_END_DECLS
