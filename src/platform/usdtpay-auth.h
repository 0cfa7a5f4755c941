/* usdtpay-auth.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Passwords are argon2id (libsodium, interactive limits). Hashing costs
 * ~64 MiB and tens of milliseconds, so the daemon runs it in a small pool
 * of worker threads, never on the main loop. */
char     *usdtpay_password_hash          (const char           *password,
                                          GError              **error);
void      usdtpay_password_verify_async  (const char           *hash,
                                          const char           *password,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
gboolean  usdtpay_password_verify_finish (GAsyncResult         *result,
                                          GError              **error);

#define USDTPAY_TYPE_THROTTLE (usdtpay_throttle_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayThrottle, usdtpay_throttle, USDTPAY, THROTTLE, GObject)

/* Failed logins per key ("user:NAME", "addr:IP"): after a few failures each
 * further one doubles the wait, up to 15 minutes. */
UsdtpayThrottle *usdtpay_throttle_new     (void);
/* Returns FALSE, with the seconds to wait, while @key is locked out. */
gboolean         usdtpay_throttle_allow   (UsdtpayThrottle *self,
                                           const char      *key,
                                           gint64           now,
                                           guint           *retry_after);
void             usdtpay_throttle_failed  (UsdtpayThrottle *self,
                                           const char      *key,
                                           gint64           now);
void             usdtpay_throttle_reset   (UsdtpayThrottle *self,
                                           const char      *key);
/* Forgets keys whose last failure is long past, so the table stays small. */
void             usdtpay_throttle_prune   (UsdtpayThrottle *self,
                                           gint64           now);

G_END_DECLS
