/* usdtpay-secrets.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-secrets"

#include "config.h"

#include <glib/gi18n.h>

#include "usdtpay-secrets.h"

const SecretSchema *
usdtpay_session_schema (void)
{
  static const SecretSchema schema = {
    "com.example.UsdtPay.Session", SECRET_SCHEMA_NONE,
    {
      { "platform", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

void
usdtpay_secrets_store_session_async (const char          *platform,
                                     const char          *username,
                                     const char          *token,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autofree char *label = NULL;

  g_return_if_fail (platform != NULL);
  g_return_if_fail (username != NULL);
  g_return_if_fail (token != NULL);

  /* Translators: the label of the keyring item; %s are a user and a URL */
  label = g_strdup_printf (_("UsdtPay session for %s at %s"), username, platform);
  secret_password_store (usdtpay_session_schema (), SECRET_COLLECTION_DEFAULT,
                         label, token, cancellable, callback, user_data,
                         "platform", platform,
                         "username", username,
                         NULL);
}

gboolean
usdtpay_secrets_store_session_finish (GAsyncResult  *result,
                                      GError       **error)
{
  return secret_password_store_finish (result, error);
}

void
usdtpay_secrets_lookup_session_async (const char          *platform,
                                      const char          *username,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (platform != NULL);
  g_return_if_fail (username != NULL);

  secret_password_lookup (usdtpay_session_schema (), cancellable, callback, user_data,
                          "platform", platform,
                          "username", username,
                          NULL);
}

char *
usdtpay_secrets_lookup_session_finish (GAsyncResult  *result,
                                       GError       **error)
{
  char *secret = secret_password_lookup_finish (result, error);
  char *copy;

  /* A plain copy: the token also travels in HTTP headers, which are plain
   * memory anyway; the keyring's copy is wiped. */
  copy = g_strdup (secret);
  secret_password_free (secret);

  return copy;
}

void
usdtpay_secrets_clear_session_async (const char          *platform,
                                     const char          *username,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (platform != NULL);
  g_return_if_fail (username != NULL);

  secret_password_clear (usdtpay_session_schema (), cancellable, callback, user_data,
                         "platform", platform,
                         "username", username,
                         NULL);
}

gboolean
usdtpay_secrets_clear_session_finish (GAsyncResult  *result,
                                      GError       **error)
{
  g_autoptr(GError) local_error = NULL;

  /* FALSE without an error means nothing was stored: that is success. */
  if (!secret_password_clear_finish (result, &local_error) && local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return TRUE;
}

const SecretSchema *
usdtpay_keys_schema (void)
{
  static const SecretSchema schema = {
    "com.example.UsdtPay.PlatformKeys", SECRET_SCHEMA_NONE,
    {
      { "platform", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

void
usdtpay_secrets_store_keys_async (const char          *platform,
                                  const char          *key_set_json,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autofree char *label = NULL;

  g_return_if_fail (platform != NULL);
  g_return_if_fail (key_set_json != NULL);

  /* Translators: the label of the keyring item; %s is a URL */
  label = g_strdup_printf (_("UsdtPay platform keys of %s"), platform);
  secret_password_store (usdtpay_keys_schema (), SECRET_COLLECTION_DEFAULT,
                         label, key_set_json, cancellable, callback, user_data,
                         "platform", platform,
                         NULL);
}

gboolean
usdtpay_secrets_store_keys_finish (GAsyncResult  *result,
                                   GError       **error)
{
  return secret_password_store_finish (result, error);
}

void
usdtpay_secrets_lookup_keys_async (const char          *platform,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (platform != NULL);

  secret_password_lookup (usdtpay_keys_schema (), cancellable, callback, user_data,
                          "platform", platform,
                          NULL);
}

char *
usdtpay_secrets_lookup_keys_finish (GAsyncResult  *result,
                                    GError       **error)
{
  char *secret = secret_password_lookup_finish (result, error);
  char *copy = g_strdup (secret);

  secret_password_free (secret);

  return copy;
}
