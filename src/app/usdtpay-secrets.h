/* usdtpay-secrets.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsecret/secret.h>

G_BEGIN_DECLS

/* The session token lives in the Secret Service under this schema, keyed by
 * the platform URL and the username; never in a file. */
const SecretSchema *usdtpay_session_schema             (void) G_GNUC_CONST;

void      usdtpay_secrets_store_session_async   (const char          *platform,
                                                 const char          *username,
                                                 const char          *token,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean  usdtpay_secrets_store_session_finish  (GAsyncResult        *result,
                                                 GError             **error);
/* Returns NULL without an error when there is no stored session. */
void      usdtpay_secrets_lookup_session_async  (const char          *platform,
                                                 const char          *username,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
char     *usdtpay_secrets_lookup_session_finish (GAsyncResult        *result,
                                                 GError             **error);
void      usdtpay_secrets_clear_session_async   (const char          *platform,
                                                 const char          *username,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean  usdtpay_secrets_clear_session_finish  (GAsyncResult        *result,
                                                 GError             **error);

/* The platform's key set pinned at the first login (docs/receipts.md), as
 * the JSON text of usdtpay_key_set_to_json(), keyed by the platform URL. */
const SecretSchema *usdtpay_keys_schema                (void) G_GNUC_CONST;

void      usdtpay_secrets_store_keys_async      (const char          *platform,
                                                 const char          *key_set_json,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean  usdtpay_secrets_store_keys_finish     (GAsyncResult        *result,
                                                 GError             **error);
/* Returns NULL without an error when no key set is pinned. */
void      usdtpay_secrets_lookup_keys_async     (const char          *platform,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
char     *usdtpay_secrets_lookup_keys_finish    (GAsyncResult        *result,
                                                 GError             **error);

G_END_DECLS
