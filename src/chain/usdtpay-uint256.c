/* usdtpay-uint256.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-chain"

#include "config.h"

#include <string.h>

#include "usdtpay-chain-error.h"
#include "usdtpay-hex.h"
#include "usdtpay-uint256.h"

void
usdtpay_uint256_set_uint64 (UsdtpayUint256 *self,
                            guint64         value)
{
  g_return_if_fail (self != NULL);

  memset (self->bytes, 0, sizeof self->bytes);
  for (guint i = 0; i < 8; i++)
    self->bytes[31 - i] = (guint8)(value >> (8 * i));
}

/**
 * usdtpay_uint256_set_int64:
 *
 * Refuses a negative @value: amounts on chain are unsigned.
 */
gboolean
usdtpay_uint256_set_int64 (UsdtpayUint256  *self,
                           gint64           value,
                           GError         **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (value < 0)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_OVERFLOW,
                   "A negative amount (%" G_GINT64_FORMAT ") has no uint256 form", value);
      return FALSE;
    }

  usdtpay_uint256_set_uint64 (self, (guint64)value);
  return TRUE;
}

gboolean
usdtpay_uint256_to_uint64 (const UsdtpayUint256  *self,
                           guint64               *out,
                           GError               **error)
{
  guint64 value = 0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  for (guint i = 0; i < 24; i++)
    {
      if (self->bytes[i] != 0)
        {
          g_autofree char *dec = usdtpay_uint256_to_decimal (self);

          g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_OVERFLOW,
                       "%s does not fit in 64 bits", dec);
          return FALSE;
        }
    }
  for (guint i = 24; i < 32; i++)
    value = (value << 8) | self->bytes[i];

  *out = value;
  return TRUE;
}

gboolean
usdtpay_uint256_to_int64 (const UsdtpayUint256  *self,
                          gint64                *out,
                          GError               **error)
{
  guint64 value;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!usdtpay_uint256_to_uint64 (self, &value, error))
    return FALSE;
  if (value > G_MAXINT64)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_OVERFLOW,
                   "%" G_GUINT64_FORMAT " does not fit in a signed 64-bit amount", value);
      return FALSE;
    }

  *out = (gint64)value;
  return TRUE;
}

gboolean
usdtpay_uint256_is_zero (const UsdtpayUint256 *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  for (guint i = 0; i < 32; i++)
    if (self->bytes[i] != 0)
      return FALSE;
  return TRUE;
}

int
usdtpay_uint256_compare (const UsdtpayUint256 *a,
                         const UsdtpayUint256 *b)
{
  g_return_val_if_fail (a != NULL, 0);
  g_return_val_if_fail (b != NULL, 0);

  return memcmp (a->bytes, b->bytes, 32);
}

/**
 * usdtpay_uint256_parse_quantity:
 * @text: up to 64 hex digits with or without `0x`; leading zeros accepted
 *
 * Leaves @self untouched on failure.
 */
gboolean
usdtpay_uint256_parse_quantity (UsdtpayUint256  *self,
                                const char      *text,
                                GError         **error)
{
  UsdtpayUint256 value = {{ 0 }};
  const char *digits;
  gsize n;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  digits = usdtpay_hex_skip_prefix (text);
  n = strlen (digits);
  if (n == 0)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_HEX,
                   "Empty hex quantity “%s”", text);
      return FALSE;
    }
  while (n > 64 && *digits == '0')
    {
      digits++;
      n--;
    }
  if (n > 64)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_OVERFLOW,
                   "Quantity %s does not fit in 256 bits", text);
      return FALSE;
    }

  /* Fill from the least significant digit. */
  for (gsize i = 0; i < n; i++)
    {
      int v = g_ascii_xdigit_value (digits[n - 1 - i]);

      if (v < 0)
        {
          g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_HEX,
                       "Not a hex quantity: “%s”", text);
          return FALSE;
        }
      value.bytes[31 - i / 2] |= (guint8)(i % 2 == 0 ? v : v << 4);
    }

  *self = value;
  return TRUE;
}

/**
 * usdtpay_uint256_get_minimal:
 * @start: (out): the first non-zero byte of @self
 *
 * Returns: how many bytes remain from @start: the big-endian form without
 *   leading zeros, as RLP wants it (0 for zero).
 */
gsize
usdtpay_uint256_get_minimal (const UsdtpayUint256  *self,
                             const guint8         **start)
{
  gsize i = 0;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (start != NULL, 0);

  while (i < 32 && self->bytes[i] == 0)
    i++;
  *start = self->bytes + i;
  return 32 - i;
}

char *
usdtpay_uint256_to_quantity (const UsdtpayUint256 *self)
{
  static const char digits[] = "0123456789abcdef";
  GString *out;
  gboolean leading = TRUE;

  g_return_val_if_fail (self != NULL, NULL);

  out = g_string_new ("0x");
  for (guint i = 0; i < 64; i++)
    {
      guint8 b = self->bytes[i / 2];
      guint v = i % 2 == 0 ? b >> 4 : b & 0xf;

      if (leading && v == 0)
        continue;
      leading = FALSE;
      g_string_append_c (out, digits[v]);
    }
  if (leading)
    g_string_append_c (out, '0');

  return g_string_free (out, FALSE);
}

char *
usdtpay_uint256_to_decimal (const UsdtpayUint256 *self)
{
  guint8 work[32];
  char buf[80];
  gsize pos = sizeof buf - 1;

  g_return_val_if_fail (self != NULL, NULL);

  memcpy (work, self->bytes, 32);
  buf[pos] = '\0';

  /* Repeated long division by 10 of the big-endian number. */
  do
    {
      guint rem = 0;
      gboolean nonzero = FALSE;

      for (guint i = 0; i < 32; i++)
        {
          guint cur = (rem << 8) | work[i];

          work[i] = (guint8)(cur / 10);
          rem = cur % 10;
          if (work[i] != 0)
            nonzero = TRUE;
        }
      buf[--pos] = (char)('0' + rem);
      if (!nonzero)
        break;
    }
  while (TRUE);

  return g_strdup (buf + pos);
}
