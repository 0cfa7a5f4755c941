/* usdtpay-confirm-dialog.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "usdtpay-order-object.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_CONFIRM_DIALOG (usdtpay_confirm_dialog_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayConfirmDialog, usdtpay_confirm_dialog, USDTPAY, CONFIRM_DIALOG, AdwMessageDialog)

/* Repeats exactly what must have arrived, and enables the destructive
 * "Release N USDT" response only once the merchant ticks "I have checked my
 * account". Responses: "cancel" (the default) and "release". */
UsdtpayConfirmDialog *usdtpay_confirm_dialog_new        (GtkWindow            *parent,
                                                         UsdtpayOrderObject   *object);
UsdtpayOrderObject   *usdtpay_confirm_dialog_get_object (UsdtpayConfirmDialog *self);
/* Ticks the check button, as the merchant would. */
void                  usdtpay_confirm_dialog_set_checked (UsdtpayConfirmDialog *self,
                                                          gboolean              checked);

G_END_DECLS
