/* usdtpay-server.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "usdtpay-engine.h"
#include "usdtpay-http.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_SERVER (usdtpay_server_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayServer, usdtpay_server, USDTPAY, SERVER, GObject)

/* The REST and WebSocket API over the engine, on the GLib main loop. */
UsdtpayServer *usdtpay_server_new          (UsdtpayEngine    *engine,
                                            GTlsCertificate  *certificate);
/* @address is "HOST:PORT"; port 0 picks a free one. Returns the base URL. */
char          *usdtpay_server_listen       (UsdtpayServer    *self,
                                            const char       *address,
                                            GError          **error);
/* Requests per second per key, session or customer token (0: no limit). */
void           usdtpay_server_set_rate_limit (UsdtpayServer *self,
                                              guint          rate_limit);
/* Stops taking requests; @callback runs once nothing is in flight. */
void           usdtpay_server_shutdown     (UsdtpayServer    *self,
                                            GSourceFunc       callback,
                                            gpointer          user_data);

/* For routes answered outside usdtpay-server.c: a request that waits for the
 * store is held, so that shutdown waits for its answer. */
void           usdtpay_server_hold_request    (UsdtpayServer    *self);
void           usdtpay_server_release_request (UsdtpayServer    *self);

G_END_DECLS
