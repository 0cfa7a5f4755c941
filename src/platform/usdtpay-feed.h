/* usdtpay-feed.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "usdtpay-engine.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_FEED (usdtpay_feed_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayFeed, usdtpay_feed, USDTPAY, FEED, GObject)

/* Server side of the live feed: replays a subscriber's events from the store,
 * then streams committed events, each serialised once and shared by every
 * subscriber in its audience. It bounds each connection's unacknowledged
 * events (libsoup 3.2 does not bound its send queue) and drops silent ones. */
UsdtpayFeed *usdtpay_feed_new            (UsdtpayEngine           *engine);
/* Takes over @connection for @principal's events after @since. @socket,
 * nullable, is its TCP socket: corked while a fan-out writes to it. */
void         usdtpay_feed_add_connection (UsdtpayFeed             *self,
                                          SoupWebsocketConnection *connection,
                                          GSocket                 *socket,
                                          UsdtpayPrincipal        *principal,
                                          gint64                   since);
guint        usdtpay_feed_get_n_connections (UsdtpayFeed         *self);
void         usdtpay_feed_close_all      (UsdtpayFeed             *self);

G_END_DECLS
