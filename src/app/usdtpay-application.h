/* usdtpay-application.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define USDTPAY_TYPE_APPLICATION (usdtpay_application_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayApplication, usdtpay_application, USDTPAY, APPLICATION, AdwApplication)

UsdtpayApplication *usdtpay_application_new (void);

G_END_DECLS
