/* usdtpay-secp256k1.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-chain"

#include "config.h"

#include <string.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <sodium.h>

#include "usdtpay-chain-error.h"
#include "usdtpay-secp256k1.h"

/* One signing context for the process, randomised once against side
 * channels. libsecp256k1 allows concurrent use of a context by functions
 * that take it const, which all of these do.
 */
static const secp256k1_context *
get_context (void)
{
  static secp256k1_context *context;

  if (g_once_init_enter (&context))
    {
      secp256k1_context *ctx = secp256k1_context_create (SECP256K1_CONTEXT_NONE);
      guint8 seed[32];

      if (sodium_init () < 0)
        g_error ("libsodium failed to initialise");
      randombytes_buf (seed, sizeof seed);
      if (!secp256k1_context_randomize (ctx, seed))
        g_error ("secp256k1 context randomisation failed");
      sodium_memzero (seed, sizeof seed);
      g_once_init_leave (&context, ctx);
    }

  return context;
}

gboolean
usdtpay_secp256k1_secret_is_valid (const guint8 secret[32])
{
  g_return_val_if_fail (secret != NULL, FALSE);

  return secp256k1_ec_seckey_verify (secp256k1_context_static, secret) == 1;
}

static gboolean
check_secret (const guint8  secret[32],
              GError      **error)
{
  if (!usdtpay_secp256k1_secret_is_valid (secret))
    {
      g_set_error_literal (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_KEY,
                           "Not a valid secp256k1 private key (zero or not below the group order)");
      return FALSE;
    }
  return TRUE;
}

static void
serialize_public_key (const secp256k1_pubkey *pubkey,
                      guint8                  public_key[64])
{
  guint8 buf[65];
  size_t len = sizeof buf;

  secp256k1_ec_pubkey_serialize (secp256k1_context_static, buf, &len, pubkey,
                                 SECP256K1_EC_UNCOMPRESSED);
  g_assert (len == 65 && buf[0] == 0x04);
  memcpy (public_key, buf + 1, 64);
}

/**
 * usdtpay_secp256k1_public_key:
 * @public_key: (out caller-allocates): X ‖ Y, 64 bytes, no 0x04 prefix
 */
gboolean
usdtpay_secp256k1_public_key (const guint8   secret[32],
                              guint8         public_key[64],
                              GError       **error)
{
  secp256k1_pubkey pubkey;

  g_return_val_if_fail (secret != NULL, FALSE);
  g_return_val_if_fail (public_key != NULL, FALSE);

  if (!check_secret (secret, error))
    return FALSE;
  if (!secp256k1_ec_pubkey_create (get_context (), &pubkey, secret))
    return check_secret (secret, error);
  serialize_public_key (&pubkey, public_key);
  return TRUE;
}

/**
 * usdtpay_secp256k1_sign:
 * @hash: the 32-byte message hash (RFC 6979 deterministic nonce)
 */
gboolean
usdtpay_secp256k1_sign (const guint8       secret[32],
                        const guint8       hash[32],
                        UsdtpaySignature  *signature,
                        GError           **error)
{
  secp256k1_ecdsa_recoverable_signature sig;
  guint8 compact[64];
  int recid = 0;

  g_return_val_if_fail (secret != NULL, FALSE);
  g_return_val_if_fail (hash != NULL, FALSE);
  g_return_val_if_fail (signature != NULL, FALSE);

  if (!check_secret (secret, error))
    return FALSE;
  if (!secp256k1_ecdsa_sign_recoverable (get_context (), &sig, hash, secret, NULL, NULL))
    {
      g_set_error_literal (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_KEY,
                           "secp256k1 signing failed");
      return FALSE;
    }
  secp256k1_ecdsa_recoverable_signature_serialize_compact (secp256k1_context_static,
                                                           compact, &recid, &sig);
  memcpy (signature->r, compact, 32);
  memcpy (signature->s, compact + 32, 32);
  signature->recovery_id = (guint8)recid;
  return TRUE;
}

gboolean
usdtpay_secp256k1_recover (const guint8             hash[32],
                           const UsdtpaySignature  *signature,
                           guint8                   public_key[64],
                           GError                 **error)
{
  secp256k1_ecdsa_recoverable_signature sig;
  secp256k1_pubkey pubkey;
  guint8 compact[64];

  g_return_val_if_fail (hash != NULL, FALSE);
  g_return_val_if_fail (signature != NULL, FALSE);
  g_return_val_if_fail (public_key != NULL, FALSE);

  if (signature->recovery_id > 1)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_SIGNATURE,
                   "Recovery id %u is not 0 or 1", signature->recovery_id);
      return FALSE;
    }
  memcpy (compact, signature->r, 32);
  memcpy (compact + 32, signature->s, 32);
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact (secp256k1_context_static, &sig,
                                                            compact, signature->recovery_id))
    {
      g_set_error_literal (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_SIGNATURE,
                           "Malformed signature (r or s out of range)");
      return FALSE;
    }
  if (!secp256k1_ecdsa_recover (secp256k1_context_static, &pubkey, &sig, hash))
    {
      g_set_error_literal (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_SIGNATURE,
                           "No public key recovers from this signature");
      return FALSE;
    }
  serialize_public_key (&pubkey, public_key);
  return TRUE;
}

gboolean
usdtpay_secp256k1_recover_address (const guint8             hash[32],
                                   const UsdtpaySignature  *signature,
                                   UsdtpayAddress          *address,
                                   GError                 **error)
{
  guint8 public_key[64];

  g_return_val_if_fail (address != NULL, FALSE);

  if (!usdtpay_secp256k1_recover (hash, signature, public_key, error))
    return FALSE;
  usdtpay_address_from_public_key (address, public_key);
  return TRUE;
}

/**
 * usdtpay_signature_to_bytes:
 * @out: (out caller-allocates): r ‖ s ‖ v with v = 27 + recovery id, the
 *   65-byte form of personal_sign
 */
void
usdtpay_signature_to_bytes (const UsdtpaySignature *self,
                            guint8                  out[USDTPAY_SIGNATURE_SIZE])
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL);

  memcpy (out, self->r, 32);
  memcpy (out + 32, self->s, 32);
  out[64] = (guint8)(27 + self->recovery_id);
}

/**
 * usdtpay_signature_from_bytes:
 *
 * Reads r ‖ s ‖ v, 65 bytes, with v one of 0, 1, 27, 28.
 */
gboolean
usdtpay_signature_from_bytes (UsdtpaySignature  *self,
                              const guint8      *data,
                              gsize              len,
                              GError           **error)
{
  guint8 v;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (len != USDTPAY_SIGNATURE_SIZE)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_SIGNATURE,
                   "A signature has 65 bytes, not %" G_GSIZE_FORMAT, len);
      return FALSE;
    }
  v = data[64];
  if (v >= 27)
    v -= 27;
  if (v > 1)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_SIGNATURE,
                   "Signature v byte %u is not 0, 1, 27 or 28", data[64]);
      return FALSE;
    }

  memcpy (self->r, data, 32);
  memcpy (self->s, data + 32, 32);
  self->recovery_id = v;
  return TRUE;
}
