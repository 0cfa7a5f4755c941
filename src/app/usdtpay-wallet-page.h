/* usdtpay-wallet-page.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "usdtpay-cache.h"
#include "usdtpay-client.h"
#include "usdtpay-feed.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_WALLET_PAGE (usdtpay_wallet_page_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayWalletPage, usdtpay_wallet_page, USDTPAY, WALLET_PAGE, AdwBin)

/* Starts the page for a session (loads the key from the keyring, the chain,
 * the balances), or ends it with @client NULL. @feed's balance, deposit and
 * withdrawal events refresh what they change. @cache (may be NULL) keeps
 * the top-ups in progress across restarts; those of @platform and @account
 * are followed again, with the platform's withdrawals not yet settled. */
void      usdtpay_wallet_page_set_session  (UsdtpayWalletPage *self,
                                            UsdtpayClient     *client,
                                            UsdtpayFeed       *feed,
                                            UsdtpayCache      *cache,
                                            const char        *platform,
                                            const char        *account,
                                            gboolean           support);
/* Fetches everything again (also on map and after every action). */
void      usdtpay_wallet_page_refresh      (UsdtpayWalletPage *self);
/* Adds a "wallet" member describing what the page shows (tests). */
void      usdtpay_wallet_page_describe     (UsdtpayWalletPage *self,
                                            JsonBuilder       *builder);

G_END_DECLS
