/* usdtpay-qr.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @text as a QR code (libqrencode, error correction M), drawn as a
 * greyscale PNG with @scale pixels per module and the standard 4-module
 * quiet zone. */
GBytes *usdtpay_qr_png (const char  *text,
                        guint        scale,
                        GError     **error);

G_END_DECLS
