/* usdtpay-abi.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "usdtpay-address.h"
#include "usdtpay-uint256.h"

G_BEGIN_DECLS

/* The slice of the Solidity ABI an ERC-20 token needs. */

/* keccak256("Transfer(address,address,uint256)") */
#define USDTPAY_ABI_TRANSFER_TOPIC "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"

/* One Transfer(address indexed from, address indexed to, uint256 value)
 * log as eth_getLogs reports it.
 */
typedef struct
{
  UsdtpayAddress token;
  UsdtpayAddress from;
  UsdtpayAddress to;
  UsdtpayUint256 value;
  guint64 block_number;
  guint8 block_hash[32];
  guint8 transaction_hash[32];
  guint64 log_index;
  gboolean removed;
} UsdtpayTransferLog;

void      usdtpay_abi_selector              (const char           *signature,
                                             guint8                selector[4]);
void      usdtpay_abi_event_topic           (const char           *signature,
                                             guint8                topic[32]);
void      usdtpay_abi_encode_address_word   (const UsdtpayAddress *address,
                                             guint8                word[32]);
GBytes   *usdtpay_abi_encode_transfer       (const UsdtpayAddress *to,
                                             const UsdtpayUint256 *amount);
GBytes   *usdtpay_abi_encode_balance_of     (const UsdtpayAddress *owner);
gboolean  usdtpay_abi_decode_uint256        (const guint8         *data,
                                             gsize                 len,
                                             UsdtpayUint256       *out,
                                             GError              **error);
gboolean  usdtpay_abi_decode_address_word   (const guint8          word[32],
                                             UsdtpayAddress       *out,
                                             GError              **error);
JsonNode *usdtpay_abi_new_transfer_filter    (const UsdtpayAddress *token,
                                             const UsdtpayAddress *to,
                                             guint64               from_block,
                                             guint64               to_block);
gboolean  usdtpay_abi_decode_transfer_log   (JsonObject           *log,
                                             UsdtpayTransferLog   *out,
                                             GError              **error);

G_END_DECLS
