/* usdtpay-transaction.h
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
#include "usdtpay-uint256.h"

G_BEGIN_DECLS

typedef enum
{
  USDTPAY_TRANSACTION_LEGACY = 0,  /* EIP-155 replay-protected (chain id 0: unprotected) */
  USDTPAY_TRANSACTION_EIP1559 = 2, /* type 2, with an empty access list */
} UsdtpayTransactionType;

/* A transaction's fields. gas_price is used by legacy transactions,
 * max_fee_per_gas and max_priority_fee_per_gas by EIP-1559 ones. Without
 * has_to it creates a contract. Initialise with usdtpay_transaction_init()
 * and release with usdtpay_transaction_clear().
 */
typedef struct
{
  UsdtpayTransactionType type;
  guint64 chain_id;
  guint64 nonce;
  UsdtpayUint256 gas_price;
  UsdtpayUint256 max_priority_fee_per_gas;
  UsdtpayUint256 max_fee_per_gas;
  guint64 gas_limit;
  gboolean has_to;
  UsdtpayAddress to;
  UsdtpayUint256 value;
  GBytes *data;
} UsdtpayTransaction;

void      usdtpay_transaction_init             (UsdtpayTransaction       *self,
                                                UsdtpayTransactionType    type);
void      usdtpay_transaction_clear            (UsdtpayTransaction       *self);
void      usdtpay_transaction_set_data         (UsdtpayTransaction       *self,
                                                GBytes                   *data);
GBytes   *usdtpay_transaction_encode_unsigned  (const UsdtpayTransaction *self);
void      usdtpay_transaction_signing_hash     (const UsdtpayTransaction *self,
                                                guint8                    hash[32]);
GBytes   *usdtpay_transaction_encode_signed    (const UsdtpayTransaction *self,
                                                const UsdtpaySignature   *signature);
GBytes   *usdtpay_transaction_sign             (const UsdtpayTransaction *self,
                                                UsdtpayKey               *key,
                                                GError                  **error);
void      usdtpay_transaction_hash_raw         (GBytes                   *raw,
                                                guint8                    hash[32]);
gboolean  usdtpay_transaction_decode           (UsdtpayTransaction       *self,
                                                const guint8             *raw,
                                                gsize                     len,
                                                UsdtpaySignature         *signature,
                                                GError                  **error);
gboolean  usdtpay_transaction_recover_sender   (const UsdtpayTransaction *self,
                                                const UsdtpaySignature   *signature,
                                                UsdtpayAddress           *sender,
                                                GError                  **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (UsdtpayTransaction, usdtpay_transaction_clear)

G_END_DECLS
