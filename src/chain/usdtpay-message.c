/* usdtpay-message.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-chain"

#include "config.h"

#include <string.h>

#include "usdtpay-chain-error.h"
#include "usdtpay-keccak.h"
#include "usdtpay-message.h"

void
usdtpay_message_hash (const guint8 *message,
                      gsize         len,
                      guint8        hash[32])
{
  static const char prefix[] = "\x19" "Ethereum Signed Message:\n";
  char decimal[32];
  UsdtpayKeccak ctx;

  g_return_if_fail (message != NULL || len == 0);
  g_return_if_fail (hash != NULL);

  g_snprintf (decimal, sizeof decimal, "%" G_GSIZE_FORMAT, len);
  usdtpay_keccak_init (&ctx);
  usdtpay_keccak_update (&ctx, (const guint8 *)prefix, strlen (prefix));
  usdtpay_keccak_update (&ctx, (const guint8 *)decimal, strlen (decimal));
  usdtpay_keccak_update (&ctx, message, len);
  usdtpay_keccak_finish (&ctx, hash);
}

gboolean
usdtpay_message_sign (UsdtpayKey        *key,
                      const guint8      *message,
                      gsize              len,
                      UsdtpaySignature  *signature,
                      GError           **error)
{
  guint8 hash[32];

  g_return_val_if_fail (USDTPAY_IS_KEY (key), FALSE);
  g_return_val_if_fail (message != NULL || len == 0, FALSE);
  g_return_val_if_fail (signature != NULL, FALSE);

  usdtpay_message_hash (message, len, hash);
  return usdtpay_key_sign_hash (key, hash, signature, error);
}

gboolean
usdtpay_message_recover (const guint8            *message,
                         gsize                    len,
                         const UsdtpaySignature  *signature,
                         UsdtpayAddress          *address,
                         GError                 **error)
{
  guint8 hash[32];

  g_return_val_if_fail (message != NULL || len == 0, FALSE);
  g_return_val_if_fail (signature != NULL, FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  usdtpay_message_hash (message, len, hash);
  return usdtpay_secp256k1_recover_address (hash, signature, address, error);
}

/**
 * usdtpay_message_verify:
 *
 * Returns: %TRUE if @signature over @message recovers to @address
 */
gboolean
usdtpay_message_verify (const guint8            *message,
                        gsize                    len,
                        const UsdtpaySignature  *signature,
                        const UsdtpayAddress    *address,
                        GError                 **error)
{
  UsdtpayAddress recovered;

  g_return_val_if_fail (address != NULL, FALSE);

  if (!usdtpay_message_recover (message, len, signature, &recovered, error))
    return FALSE;
  if (!usdtpay_address_equal (&recovered, address))
    {
      g_autofree char *want = usdtpay_address_to_string (address);
      g_autofree char *got = usdtpay_address_to_string (&recovered);

      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_SIGNATURE,
                   "The message was signed by %s, not %s", got, want);
      return FALSE;
    }
  return TRUE;
}
