/* usdtpay-wallet.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsecret/secret.h>

#include "usdtpay-chain.h"
#include "usdtpay-client.h"

G_BEGIN_DECLS

/* The merchant's wallet key and what it does on chain, without GTK: the key
 * in the Secret Service (one item per platform and account, never in a
 * file), the platform's chain (GET /v1/chain), balances from the node,
 * registration, top-ups signed here and sent to the escrow address, and
 * withdrawals asked of the platform. Every call is asynchronous. */

#define USDTPAY_TYPE_WALLET (usdtpay_wallet_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayWallet, usdtpay_wallet, USDTPAY, WALLET, GObject)

/* The Secret Service schema of wallet keys: "platform" (URL) and "account". */
const SecretSchema *usdtpay_wallet_key_schema          (void) G_GNUC_CONST;

UsdtpayWallet    *usdtpay_wallet_new                   (UsdtpayClient        *client,
                                                        const char           *platform,
                                                        const char           *account);
/* The key, once loaded or saved; NULL before. */
UsdtpayKey       *usdtpay_wallet_get_key               (UsdtpayWallet        *self);
/* Whether GET /v1/chain answered; then the getters below are meaningful. */
gboolean          usdtpay_wallet_has_chain             (UsdtpayWallet        *self);
const char       *usdtpay_wallet_get_rpc_url           (UsdtpayWallet        *self);
const UsdtpayAddress *usdtpay_wallet_get_escrow        (UsdtpayWallet        *self);
guint             usdtpay_wallet_get_confirmations     (UsdtpayWallet        *self);

/* Looks the key up in the keyring; TRUE with *@found FALSE when there is none. */
void              usdtpay_wallet_load_key_async        (UsdtpayWallet        *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean          usdtpay_wallet_load_key_finish       (UsdtpayWallet        *self,
                                                        GAsyncResult         *result,
                                                        gboolean             *found,
                                                        GError              **error);
/* Stores @key in the keyring (replacing the account's key) and then makes it
 * the wallet's key. */
void              usdtpay_wallet_save_key_async        (UsdtpayWallet        *self,
                                                        UsdtpayKey           *key,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean          usdtpay_wallet_save_key_finish       (UsdtpayWallet        *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

/* Takes GET /v1/chain's answer: refuses a malformed one, a token whose
 * decimals are not 6, and a node over plain HTTP that is not on loopback. */
gboolean          usdtpay_wallet_set_chain             (UsdtpayWallet        *self,
                                                        JsonObject           *info,
                                                        GError              **error);
/* GET /v1/chain, then usdtpay_wallet_set_chain(). */
void              usdtpay_wallet_load_chain_async      (UsdtpayWallet        *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean          usdtpay_wallet_load_chain_finish     (UsdtpayWallet        *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

/* The token's balanceOf and eth_getBalance of the key's address. */
void              usdtpay_wallet_chain_balances_async  (UsdtpayWallet        *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean          usdtpay_wallet_chain_balances_finish (UsdtpayWallet        *self,
                                                        GAsyncResult         *result,
                                                        gint64               *usdt_micro,
                                                        UsdtpayUint256       *eth_wei,
                                                        GError              **error);

/* GET /v1/wallets: whether the key's address is registered to the caller. */
void              usdtpay_wallet_registered_async      (UsdtpayWallet        *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean          usdtpay_wallet_registered_finish     (UsdtpayWallet        *self,
                                                        GAsyncResult         *result,
                                                        gboolean             *registered,
                                                        GError              **error);

/* POST /v1/wallets/nonce, the message signed here (EIP-191), POST /v1/wallets. */
void              usdtpay_wallet_register_async        (UsdtpayWallet        *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean          usdtpay_wallet_register_finish       (UsdtpayWallet        *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

/* A token transfer of @micro to the escrow address: checks the balances,
 * takes the pending nonce, estimates gas and fees and signs an EIP-1559
 * transaction here, without sending it. Returns the transaction hash
 * (0x…), with the signed transaction (0x hex) and its nonce, so the caller
 * can keep them before sending. */
void              usdtpay_wallet_sign_top_up_async     (UsdtpayWallet        *self,
                                                        gint64                micro,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
char             *usdtpay_wallet_sign_top_up_finish    (UsdtpayWallet        *self,
                                                        GAsyncResult         *result,
                                                        char                **raw,
                                                        guint64              *nonce,
                                                        GError              **error);
/* eth_sendRawTransaction of a signed top-up; a refusal is
 * USDTPAY_ERROR_CONFLICT with the node's reason. */
void              usdtpay_wallet_send_top_up_async     (UsdtpayWallet        *self,
                                                        const char           *raw,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean          usdtpay_wallet_send_top_up_finish    (UsdtpayWallet        *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

/* How far a top-up is: the confirmations of its block (0 while not mined)
 * and the platform's deposit state ("seen", "credited", …; NULL while the
 * platform has not seen it). Fails (USDTPAY_ERROR_CONFLICT) when the
 * transaction reverted. With @raw, @sender and @nonce, a transaction the
 * node no longer knows is sent again (*@resent TRUE), or fails when
 * another transaction of @sender has taken its nonce. */
void              usdtpay_wallet_track_top_up_async    (UsdtpayWallet        *self,
                                                        const char           *tx_hash,
                                                        const char           *raw,
                                                        const char           *sender,
                                                        guint64               nonce,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean          usdtpay_wallet_track_top_up_finish   (UsdtpayWallet        *self,
                                                        GAsyncResult         *result,
                                                        guint64              *confirmations,
                                                        char                **deposit_state,
                                                        gboolean             *resent,
                                                        GError              **error);

/* POST /v1/withdrawals {"amount"}: returns the withdrawal object. */
void              usdtpay_wallet_withdraw_async        (UsdtpayWallet        *self,
                                                        gint64                micro,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
JsonObject       *usdtpay_wallet_withdraw_finish       (UsdtpayWallet        *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

/* Parses a USDT amount typed by a person: strict decimal, above zero, at
 * most 6 decimals (USDTPAY_ERROR_INVALID_AMOUNT with a sentence otherwise). */
gboolean          usdtpay_wallet_parse_amount          (const char           *text,
                                                        gint64               *micro,
                                                        GError              **error);
/* @wei as ETH with 18 decimals, trailing zeros trimmed to at least 6. */
char             *usdtpay_wallet_format_eth            (const UsdtpayUint256 *wei);

G_END_DECLS
