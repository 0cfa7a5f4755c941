/* usdtpay-sqlite-store.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "usdtpay-store.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_SQLITE_STORE (usdtpay_sqlite_store_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpaySqliteStore, usdtpay_sqlite_store, USDTPAY, SQLITE_STORE, GObject)

/* Opens (creating and migrating as needed) the database at @path. A new
 * database is a dev database when @dev is TRUE; asking for @dev on an
 * existing production database fails. */
UsdtpaySqliteStore *usdtpay_sqlite_store_open (const char  *path,
                                               gboolean     dev,
                                               GError     **error);

G_END_DECLS
