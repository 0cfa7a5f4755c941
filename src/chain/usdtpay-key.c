/* usdtpay-key.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-chain"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "usdtpay-chain-error.h"
#include "usdtpay-hex.h"
#include "usdtpay-key.h"

/* A secp256k1 private key with its public key and address. The secret is
 * wiped when the object goes and never appears in a log or a property.
 */
struct _UsdtpayKey
{
  GObject parent_instance;

  guint8 secret[32];
  guint8 public_key[64];
  UsdtpayAddress address;
};

G_DEFINE_FINAL_TYPE (UsdtpayKey, usdtpay_key, G_TYPE_OBJECT)

static void
usdtpay_key_finalize (GObject *object)
{
  UsdtpayKey *self = (UsdtpayKey *)object;

  sodium_memzero (self->secret, sizeof self->secret);

  G_OBJECT_CLASS (usdtpay_key_parent_class)->finalize (object);
}

static void
usdtpay_key_class_init (UsdtpayKeyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = usdtpay_key_finalize;
}

static void
usdtpay_key_init (UsdtpayKey *self)
{
}

/**
 * usdtpay_key_new_from_secret:
 * @secret: 32 bytes, big-endian, in 1 … n-1
 *
 * Returns: (transfer full): the key, or %NULL with @error set
 */
UsdtpayKey *
usdtpay_key_new_from_secret (const guint8   secret[32],
                             GError       **error)
{
  g_autoptr(UsdtpayKey) self = NULL;

  g_return_val_if_fail (secret != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (USDTPAY_TYPE_KEY, NULL);
  memcpy (self->secret, secret, 32);
  if (!usdtpay_secp256k1_public_key (self->secret, self->public_key, error))
    return NULL;
  usdtpay_address_from_public_key (&self->address, self->public_key);

  return g_steal_pointer (&self);
}

/**
 * usdtpay_key_new_from_hex:
 * @hex: 64 hex digits with or without `0x`
 */
UsdtpayKey *
usdtpay_key_new_from_hex (const char  *hex,
                          GError     **error)
{
  guint8 secret[32];
  UsdtpayKey *self;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (hex != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!usdtpay_hex_decode_fixed (hex, secret, sizeof secret, &local_error))
    {
      /* The message must not echo the digits: they are the secret. */
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_KEY,
                   "A private key is 64 hex digits (32 bytes)");
      return NULL;
    }
  self = usdtpay_key_new_from_secret (secret, error);
  sodium_memzero (secret, sizeof secret);
  return self;
}

/**
 * usdtpay_key_new_random:
 *
 * Returns: (transfer full): a fresh key from the system's random source
 */
UsdtpayKey *
usdtpay_key_new_random (void)
{
  guint8 secret[32];
  UsdtpayKey *self = NULL;

  if (sodium_init () < 0)
    g_error ("libsodium failed to initialise");

  /* A 32-byte string is out of range with probability about 2^-128. */
  while (self == NULL)
    {
      randombytes_buf (secret, sizeof secret);
      if (usdtpay_secp256k1_secret_is_valid (secret))
        self = usdtpay_key_new_from_secret (secret, NULL);
    }
  sodium_memzero (secret, sizeof secret);

  return self;
}

const UsdtpayAddress *
usdtpay_key_get_address (UsdtpayKey *self)
{
  g_return_val_if_fail (USDTPAY_IS_KEY (self), NULL);

  return &self->address;
}

char *
usdtpay_key_dup_address_string (UsdtpayKey *self)
{
  g_return_val_if_fail (USDTPAY_IS_KEY (self), NULL);

  return usdtpay_address_to_string (&self->address);
}

/**
 * usdtpay_key_get_public_key:
 *
 * Returns: (transfer none): X ‖ Y, 64 bytes
 */
const guint8 *
usdtpay_key_get_public_key (UsdtpayKey *self)
{
  g_return_val_if_fail (USDTPAY_IS_KEY (self), NULL);

  return self->public_key;
}

void
usdtpay_key_copy_secret (UsdtpayKey *self,
                         guint8      secret[32])
{
  g_return_if_fail (USDTPAY_IS_KEY (self));
  g_return_if_fail (secret != NULL);

  memcpy (secret, self->secret, 32);
}

/**
 * usdtpay_key_dup_secret_hex:
 *
 * For exporting the key. Free the result with g_free() after wiping it.
 *
 * Returns: (transfer full): `0x` and 64 hex digits
 */
char *
usdtpay_key_dup_secret_hex (UsdtpayKey *self)
{
  g_return_val_if_fail (USDTPAY_IS_KEY (self), NULL);

  return usdtpay_hex_encode (self->secret, sizeof self->secret);
}

gboolean
usdtpay_key_sign_hash (UsdtpayKey        *self,
                       const guint8       hash[32],
                       UsdtpaySignature  *signature,
                       GError           **error)
{
  g_return_val_if_fail (USDTPAY_IS_KEY (self), FALSE);

  return usdtpay_secp256k1_sign (self->secret, hash, signature, error);
}
