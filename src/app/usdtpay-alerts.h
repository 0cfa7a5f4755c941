/* usdtpay-alerts.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "usdtpay-order-object.h"

G_BEGIN_DECLS

typedef enum
{
  USDTPAY_ALERT_NEW_OFFER,
  USDTPAY_ALERT_MATCHED,
  USDTPAY_ALERT_PAID,
  USDTPAY_N_ALERTS
} UsdtpayAlertKind;

#define USDTPAY_TYPE_ALERTS (usdtpay_alerts_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayAlerts, usdtpay_alerts, USDTPAY, ALERTS, GObject)

/* Sound alerts through a plain libcanberra ca_context (its GTK helpers pull
 * in GTK 3). Each kind has its own freedesktop sound-theme event id and a
 * GSettings switch; an order waiting on the merchant sounds again every
 * "repeat-interval" seconds until it is seen or leaves its section. */
UsdtpayAlerts *usdtpay_alerts_new                (GSettings          *settings);
/* The GSettings key of @kind's switch. */
const char    *usdtpay_alerts_settings_key       (UsdtpayAlertKind    kind);
const char    *usdtpay_alerts_event_id           (UsdtpayAlertKind    kind);
/* Plays @kind's sound if its switch is on (or always with @force, for the
 * Play buttons in Preferences). Returns whether a sound was started. */
gboolean       usdtpay_alerts_play               (UsdtpayAlerts      *self,
                                                  UsdtpayAlertKind    kind,
                                                  gboolean            force);
/* Plays @kind for @object now and, for kinds that wait on the merchant,
 * again until @object is seen or leaves the section it is in now. */
void           usdtpay_alerts_alert              (UsdtpayAlerts      *self,
                                                  UsdtpayAlertKind    kind,
                                                  UsdtpayOrderObject *object);
/* The number of orders still being repeated. */
guint          usdtpay_alerts_get_n_repeating    (UsdtpayAlerts      *self);
/* Monotonic µs of the last ca_context_play() return; tests and benchmarks. */
gint64         usdtpay_alerts_get_last_played_at (UsdtpayAlerts      *self);

G_END_DECLS
