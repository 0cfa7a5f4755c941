/* usdtpay-rpc-client.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "usdtpay-address.h"
#include "usdtpay-uint256.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_RPC_CLIENT (usdtpay_rpc_client_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayRpcClient, usdtpay_rpc_client, USDTPAY, RPC_CLIENT, GObject)

UsdtpayRpcClient *usdtpay_rpc_client_new                         (const char           *url);
const char       *usdtpay_rpc_client_get_url                     (UsdtpayRpcClient     *self);
guint             usdtpay_rpc_client_get_timeout                 (UsdtpayRpcClient     *self);
void              usdtpay_rpc_client_set_timeout                 (UsdtpayRpcClient     *self,
                                                                  guint                 seconds);

void              usdtpay_rpc_client_call_async                  (UsdtpayRpcClient     *self,
                                                                  const char           *method,
                                                                  JsonNode             *params,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
JsonNode         *usdtpay_rpc_client_call_finish                 (UsdtpayRpcClient     *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error);

void              usdtpay_rpc_client_chain_id_async              (UsdtpayRpcClient     *self,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
gboolean          usdtpay_rpc_client_chain_id_finish             (UsdtpayRpcClient     *self,
                                                                  GAsyncResult         *result,
                                                                  guint64              *chain_id,
                                                                  GError              **error);
void              usdtpay_rpc_client_block_number_async          (UsdtpayRpcClient     *self,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
gboolean          usdtpay_rpc_client_block_number_finish         (UsdtpayRpcClient     *self,
                                                                  GAsyncResult         *result,
                                                                  guint64              *number,
                                                                  GError              **error);
void              usdtpay_rpc_client_get_transaction_count_async (UsdtpayRpcClient     *self,
                                                                  const UsdtpayAddress *address,
                                                                  const char           *block,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
gboolean          usdtpay_rpc_client_get_transaction_count_finish (UsdtpayRpcClient    *self,
                                                                  GAsyncResult         *result,
                                                                  guint64              *count,
                                                                  GError              **error);
void              usdtpay_rpc_client_get_balance_async           (UsdtpayRpcClient     *self,
                                                                  const UsdtpayAddress *address,
                                                                  const char           *block,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
gboolean          usdtpay_rpc_client_get_balance_finish          (UsdtpayRpcClient     *self,
                                                                  GAsyncResult         *result,
                                                                  UsdtpayUint256       *balance,
                                                                  GError              **error);
void              usdtpay_rpc_client_gas_price_async             (UsdtpayRpcClient     *self,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
gboolean          usdtpay_rpc_client_gas_price_finish            (UsdtpayRpcClient     *self,
                                                                  GAsyncResult         *result,
                                                                  UsdtpayUint256       *price,
                                                                  GError              **error);
void              usdtpay_rpc_client_max_priority_fee_async      (UsdtpayRpcClient     *self,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
gboolean          usdtpay_rpc_client_max_priority_fee_finish     (UsdtpayRpcClient     *self,
                                                                  GAsyncResult         *result,
                                                                  UsdtpayUint256       *fee,
                                                                  GError              **error);
void              usdtpay_rpc_client_send_raw_transaction_async  (UsdtpayRpcClient     *self,
                                                                  GBytes               *raw,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
char             *usdtpay_rpc_client_send_raw_transaction_finish (UsdtpayRpcClient     *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error);
void              usdtpay_rpc_client_call_contract_async         (UsdtpayRpcClient     *self,
                                                                  const UsdtpayAddress *to,
                                                                  GBytes               *data,
                                                                  const char           *block,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
GBytes           *usdtpay_rpc_client_call_contract_finish        (UsdtpayRpcClient     *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error);
void              usdtpay_rpc_client_get_logs_async              (UsdtpayRpcClient     *self,
                                                                  JsonNode             *filter,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
JsonArray        *usdtpay_rpc_client_get_logs_finish             (UsdtpayRpcClient     *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error);
void              usdtpay_rpc_client_get_block_by_number_async   (UsdtpayRpcClient     *self,
                                                                  const char           *block,
                                                                  gboolean              full_transactions,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
JsonObject       *usdtpay_rpc_client_get_block_by_number_finish  (UsdtpayRpcClient     *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error);
void              usdtpay_rpc_client_get_transaction_receipt_async (UsdtpayRpcClient   *self,
                                                                  const char           *transaction_hash,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
JsonObject       *usdtpay_rpc_client_get_transaction_receipt_finish (UsdtpayRpcClient  *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error);

char             *usdtpay_rpc_block_tag_for_number               (guint64               number);

G_END_DECLS
