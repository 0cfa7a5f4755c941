/* usdtpay-time.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Times are gint64 microseconds since the Unix epoch, UTC; 0 means "not set".
 * On the wire they are RFC 3339 UTC with six fractional digits:
 * "2026-11-26T02:18:47.123456Z". */
#define USDTPAY_TIME_BUF_SIZE 32

char       *usdtpay_time_format     (gint64       usec);
const char *usdtpay_time_format_buf (gint64       usec,
                                     char        *buf);
/* Accepts RFC 3339 with 'Z' or a numeric offset and 0–9 fractional digits. */
gboolean    usdtpay_time_parse      (const char  *text,
                                     gint64      *usec,
                                     GError     **error);

G_END_DECLS
