/* usdtpay-preferences-window.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define USDTPAY_TYPE_PREFERENCES_WINDOW (usdtpay_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayPreferencesWindow, usdtpay_preferences_window, USDTPAY, PREFERENCES_WINDOW, AdwPreferencesWindow)

UsdtpayPreferencesWindow *usdtpay_preferences_window_new (GtkWindow *parent,
                                                          GSettings *settings);

G_END_DECLS
