/* usdtpay-chain.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "usdtpay-abi.h"
#include "usdtpay-address.h"
#include "usdtpay-chain-error.h"
#include "usdtpay-hex.h"
#include "usdtpay-keccak.h"
#include "usdtpay-key.h"
#include "usdtpay-message.h"
#include "usdtpay-rlp.h"
#include "usdtpay-rpc-client.h"
#include "usdtpay-secp256k1.h"
#include "usdtpay-transaction.h"
#include "usdtpay-uint256.h"
