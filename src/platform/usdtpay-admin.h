/* usdtpay-admin.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "usdtpay-engine.h"

G_BEGIN_DECLS

/* The operator's admin commands, applied to an engine. The same code runs in
 * `usdtpay-platform admin` on a stopped database and, while the daemon runs,
 * inside the daemon, which the admin command reaches over a Unix socket
 * beside the database (owner-only). */

/* Applies @args ("add-shop", "shop1") to @engine, filling @change. @output
 * receives what the operator sees (a new key, a key list), or NULL. */
gboolean usdtpay_admin_apply           (UsdtpayEngine  *engine,
                                        const char * const *args,
                                        const char     *password_hash,
                                        const char     *scopes,
                                        UsdtpayChange  *change,
                                        char          **output,
                                        GError        **error);

char    *usdtpay_admin_socket_path     (const char     *db);

#define USDTPAY_TYPE_ADMIN_SERVICE (usdtpay_admin_service_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayAdminService, usdtpay_admin_service, USDTPAY, ADMIN_SERVICE, GObject)

UsdtpayAdminService *usdtpay_admin_service_new   (UsdtpayEngine  *engine,
                                                  const char     *db,
                                                  GError        **error);

/* Sends a command to the daemon serving @db. Returns FALSE with
 * G_IO_ERROR_NOT_FOUND when no daemon listens. */
gboolean usdtpay_admin_remote          (const char           *db,
                                        gboolean              dev,
                                        const char * const   *args,
                                        const char           *password_hash,
                                        const char           *scopes,
                                        char                **output,
                                        GError              **error);

G_END_DECLS
