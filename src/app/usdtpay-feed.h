/* usdtpay-feed.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "usdtpay-client.h"

G_BEGIN_DECLS

typedef enum
{
  USDTPAY_FEED_OFFLINE,
  USDTPAY_FEED_CONNECTING,
  USDTPAY_FEED_CONNECTED,
  USDTPAY_FEED_RECONNECTING,
} UsdtpayFeedState;

#define USDTPAY_TYPE_FEED_STATE (usdtpay_feed_state_get_type ())
GType usdtpay_feed_state_get_type (void) G_GNUC_CONST;

#define USDTPAY_TYPE_FEED (usdtpay_feed_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayFeed, usdtpay_feed, USDTPAY, FEED, GObject)

/* The live feed (DESIGN.md "Events and the live feed"): a WebSocket to
 * /v1/feed?since=N that reconnects with exponential backoff and jitter,
 * resumes after the last event it handed out, ignores repeats, and
 * acknowledges what it handed out.
 *
 * Signals: "event" (UsdtpayEvent *, one per new seq, in order),
 * "caught-up" (the replay has ended), "unauthorized" (the session token was
 * refused; the feed stops). */
UsdtpayFeed      *usdtpay_feed_new              (UsdtpayClient *client);
void              usdtpay_feed_start            (UsdtpayFeed   *self,
                                                 gint64         since);
void              usdtpay_feed_stop             (UsdtpayFeed   *self);
UsdtpayFeedState  usdtpay_feed_get_state        (UsdtpayFeed   *self);
gint64            usdtpay_feed_get_last_seq     (UsdtpayFeed   *self);
/* Monotonic time (µs) of the next connection attempt while reconnecting. */
gint64            usdtpay_feed_get_retry_at     (UsdtpayFeed   *self);
/* Wall-clock time (µs) the current state began. */
gint64            usdtpay_feed_get_state_since  (UsdtpayFeed   *self);
/* Closes the connection as if the network dropped it (tests, and "retry now"). */
void              usdtpay_feed_reconnect_now    (UsdtpayFeed   *self);

/* The delay before reconnection attempt @attempt (0-based): 0.5 s doubling
 * to at most 30 s, with "equal jitter" (half fixed, half random). */
guint             usdtpay_feed_backoff_ms       (guint          attempt,
                                                 GRand         *rand);

G_END_DECLS
