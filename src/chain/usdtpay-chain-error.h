/* usdtpay-chain-error.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define USDTPAY_CHAIN_ERROR (usdtpay_chain_error_quark ())

typedef enum
{
  USDTPAY_CHAIN_ERROR_INVALID_HEX = 1,   /* not hex, odd length, wrong length */
  USDTPAY_CHAIN_ERROR_INVALID_ADDRESS,   /* wrong length or a wrong EIP-55 checksum */
  USDTPAY_CHAIN_ERROR_INVALID_KEY,       /* a private key outside 1 … n-1 */
  USDTPAY_CHAIN_ERROR_INVALID_SIGNATURE, /* malformed, or no key recovers from it */
  USDTPAY_CHAIN_ERROR_INVALID_RLP,       /* truncated, trailing or non-canonical RLP */
  USDTPAY_CHAIN_ERROR_INVALID_TRANSACTION,
  USDTPAY_CHAIN_ERROR_INVALID_ABI,       /* ABI data or a log of the wrong shape */
  USDTPAY_CHAIN_ERROR_OVERFLOW,          /* a number does not fit the target type */
  USDTPAY_CHAIN_ERROR_RPC,               /* the node answered with a JSON-RPC error */
  USDTPAY_CHAIN_ERROR_PROTOCOL,          /* the node's answer is not valid JSON-RPC */
  USDTPAY_CHAIN_ERROR_HTTP,              /* the node answered with an HTTP error status */
  USDTPAY_CHAIN_ERROR_NOT_FOUND,         /* the node answered null: no such block, receipt … */
} UsdtpayChainError;

GQuark usdtpay_chain_error_quark (void);

G_END_DECLS
