/* usdtpay-chain-api.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "usdtpay-engine.h"
#include "usdtpay-server.h"

G_BEGIN_DECLS

/* The chain's part of the REST API: /v1/chain, /v1/wallets…,
 * /v1/withdrawals, /v1/deposits…. Returns FALSE when @parts is not one of
 * its paths. */
gboolean usdtpay_chain_api_route      (UsdtpayServer     *server,
                                       UsdtpayEngine     *engine,
                                       SoupServerMessage *msg,
                                       const char        *method,
                                       char             **parts,
                                       guint              n_parts,
                                       GHashTable        *query);
/* Adds "chain" to GET /v1/health when a chain is configured. */
void     usdtpay_chain_api_add_health (UsdtpayEngine     *engine,
                                       JsonBuilder       *builder);

G_END_DECLS
