/* usdtpay-address.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-chain"

#include "config.h"

#include <string.h>

#include "usdtpay-address.h"
#include "usdtpay-chain-error.h"
#include "usdtpay-hex.h"
#include "usdtpay-keccak.h"

/* EIP-55: hex digit i is upper case when nibble i of keccak(lower-case hex
 * without 0x) is 8 or more. Writes 40 characters to @out.
 */
static void
checksum_digits (const UsdtpayAddress *self,
                 char                  out[40])
{
  static const char digits[] = "0123456789abcdef";
  guint8 hash[USDTPAY_KECCAK256_SIZE];

  for (guint i = 0; i < USDTPAY_ADDRESS_SIZE; i++)
    {
      out[2 * i] = digits[self->bytes[i] >> 4];
      out[2 * i + 1] = digits[self->bytes[i] & 0xf];
    }
  usdtpay_keccak256 ((const guint8 *)out, 40, hash);
  for (guint i = 0; i < 40; i++)
    {
      guint nibble = i % 2 == 0 ? hash[i / 2] >> 4 : hash[i / 2] & 0xf;

      if (nibble >= 8)
        out[i] = g_ascii_toupper (out[i]);
    }
}

/**
 * usdtpay_address_parse:
 * @self: (out caller-allocates): the address
 * @text: 40 hex digits with or without `0x`
 * @error: return location for a #GError
 *
 * All-lower-case and all-upper-case text carries no checksum and is
 * accepted; mixed case must be the exact EIP-55 form.
 */
gboolean
usdtpay_address_parse (UsdtpayAddress  *self,
                       const char      *text,
                       GError         **error)
{
  UsdtpayAddress addr;
  const char *digits;
  gboolean has_lower = FALSE;
  gboolean has_upper = FALSE;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  digits = usdtpay_hex_skip_prefix (text);
  if (strlen (digits) != 2 * USDTPAY_ADDRESS_SIZE)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_ADDRESS,
                   "Not an address: expected 40 hex digits, got %" G_GSIZE_FORMAT,
                   strlen (digits));
      return FALSE;
    }
  if (!usdtpay_hex_decode_fixed (digits, addr.bytes, USDTPAY_ADDRESS_SIZE, &local_error))
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_ADDRESS,
                   "Not an address: %s", local_error->message);
      return FALSE;
    }

  for (const char *p = digits; *p != '\0'; p++)
    {
      if (g_ascii_islower (*p))
        has_lower = TRUE;
      else if (g_ascii_isupper (*p))
        has_upper = TRUE;
    }

  if (has_lower && has_upper)
    {
      char expected[40];

      checksum_digits (&addr, expected);
      if (memcmp (expected, digits, 40) != 0)
        {
          g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_ADDRESS,
                       "Address %s has a wrong EIP-55 checksum (expected 0x%.40s)",
                       text, expected);
          return FALSE;
        }
    }

  *self = addr;
  return TRUE;
}

/**
 * usdtpay_address_to_string:
 *
 * Returns: (transfer full): `0x` and the 40 digits in EIP-55 case
 */
char *
usdtpay_address_to_string (const UsdtpayAddress *self)
{
  char *out;

  g_return_val_if_fail (self != NULL, NULL);

  out = g_malloc (43);
  out[0] = '0';
  out[1] = 'x';
  checksum_digits (self, out + 2);
  out[42] = '\0';
  return out;
}

/**
 * usdtpay_address_from_public_key:
 * @public_key: the uncompressed point X ‖ Y, without the 0x04 prefix
 */
void
usdtpay_address_from_public_key (UsdtpayAddress *self,
                                 const guint8    public_key[64])
{
  guint8 hash[USDTPAY_KECCAK256_SIZE];

  g_return_if_fail (self != NULL);
  g_return_if_fail (public_key != NULL);

  usdtpay_keccak256 (public_key, 64, hash);
  memcpy (self->bytes, hash + 12, USDTPAY_ADDRESS_SIZE);
}

gboolean
usdtpay_address_equal (const UsdtpayAddress *a,
                       const UsdtpayAddress *b)
{
  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  return memcmp (a->bytes, b->bytes, USDTPAY_ADDRESS_SIZE) == 0;
}

gboolean
usdtpay_address_is_zero (const UsdtpayAddress *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  for (guint i = 0; i < USDTPAY_ADDRESS_SIZE; i++)
    if (self->bytes[i] != 0)
      return FALSE;
  return TRUE;
}
