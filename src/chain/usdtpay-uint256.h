/* usdtpay-uint256.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* An unsigned 256-bit number as the EVM stores it: 32 bytes, big-endian.
 * Token amounts (USDT has 6 decimals) fit a gint64 of minor units; the
 * helpers refuse what does not fit instead of truncating.
 */
typedef struct
{
  guint8 bytes[32];
} UsdtpayUint256;

void      usdtpay_uint256_set_uint64      (UsdtpayUint256       *self,
                                           guint64               value);
gboolean  usdtpay_uint256_set_int64       (UsdtpayUint256       *self,
                                           gint64                value,
                                           GError              **error);
gboolean  usdtpay_uint256_to_uint64       (const UsdtpayUint256 *self,
                                           guint64              *out,
                                           GError              **error);
gboolean  usdtpay_uint256_to_int64        (const UsdtpayUint256 *self,
                                           gint64               *out,
                                           GError              **error);
gboolean  usdtpay_uint256_is_zero         (const UsdtpayUint256 *self);
int       usdtpay_uint256_compare         (const UsdtpayUint256 *a,
                                           const UsdtpayUint256 *b);
gboolean  usdtpay_uint256_parse_quantity  (UsdtpayUint256       *self,
                                           const char           *text,
                                           GError              **error);
char     *usdtpay_uint256_to_quantity     (const UsdtpayUint256 *self);
char     *usdtpay_uint256_to_decimal      (const UsdtpayUint256 *self);
gsize     usdtpay_uint256_get_minimal     (const UsdtpayUint256 *self,
                                           const guint8        **start);

G_END_DECLS
