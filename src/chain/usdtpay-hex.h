/* usdtpay-hex.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char     *usdtpay_hex_encode            (const guint8 *data,
                                         gsize         len);
char     *usdtpay_hex_encode_bytes      (GBytes       *bytes);
const char *usdtpay_hex_skip_prefix     (const char   *text);
GBytes   *usdtpay_hex_decode            (const char   *text,
                                         GError      **error);
gboolean  usdtpay_hex_decode_fixed      (const char   *text,
                                         guint8       *out,
                                         gsize         len,
                                         GError      **error);
char     *usdtpay_hex_encode_quantity   (guint64       value);
gboolean  usdtpay_hex_parse_quantity    (const char   *text,
                                         guint64      *out,
                                         GError      **error);

G_END_DECLS
