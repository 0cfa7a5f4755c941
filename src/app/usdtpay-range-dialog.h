/* usdtpay-range-dialog.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define USDTPAY_TYPE_RANGE_DIALOG (usdtpay_range_dialog_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayRangeDialog, usdtpay_range_dialog, USDTPAY, RANGE_DIALOG, AdwMessageDialog)

/* Asks for a From and a To day, both in the local time zone, To not before
 * From: while it is, a message says so and "apply" is disabled. Responses:
 * "cancel" (also Escape), "clear" (back to all dates) and "apply".
 * @from and @to are the days to start on (their local dates), or NULL for
 * today. */
UsdtpayRangeDialog *usdtpay_range_dialog_new         (GtkWindow          *parent,
                                                      GDateTime          *from,
                                                      GDateTime          *to);
/* Selects the two days, as clicks on the calendars would. */
void                usdtpay_range_dialog_select_days (UsdtpayRangeDialog *self,
                                                      GDateTime          *from,
                                                      GDateTime          *to);
/* The chosen days as 00:00 local time (new references). */
void                usdtpay_range_dialog_get_days    (UsdtpayRangeDialog *self,
                                                      GDateTime         **from,
                                                      GDateTime         **to);
/* Why the range cannot be applied, or NULL when it can. */
const char         *usdtpay_range_dialog_get_problem (UsdtpayRangeDialog *self);

/* The local day of @time at 00:00 local time. */
GDateTime          *usdtpay_local_day                (GDateTime          *time);
/* "1 Nov – 26 Nov 2026": the days from @from to @to, both included. */
char               *usdtpay_format_day_range         (GDateTime          *from,
                                                      GDateTime          *to);

G_END_DECLS
