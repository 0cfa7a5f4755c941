/* usdtpay-hex.c
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

/**
 * usdtpay_hex_encode:
 * @data: (array length=len) (nullable): the bytes
 * @len: how many
 *
 * Returns: (transfer full): `0x` and two lower-case hex digits per byte;
 *   `0x` alone for no bytes.
 */
char *
usdtpay_hex_encode (const guint8 *data,
                    gsize         len)
{
  static const char digits[] = "0123456789abcdef";
  char *out;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (len < (G_MAXSIZE - 3) / 2, NULL);

  out = g_malloc (2 * len + 3);
  out[0] = '0';
  out[1] = 'x';
  for (gsize i = 0; i < len; i++)
    {
      out[2 + 2 * i] = digits[data[i] >> 4];
      out[3 + 2 * i] = digits[data[i] & 0xf];
    }
  out[2 + 2 * len] = '\0';

  return out;
}

char *
usdtpay_hex_encode_bytes (GBytes *bytes)
{
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (bytes != NULL, NULL);

  data = g_bytes_get_data (bytes, &len);
  return usdtpay_hex_encode (data, len);
}

/**
 * usdtpay_hex_skip_prefix:
 * @text: hex text
 *
 * Returns: @text after a leading `0x` or `0X`, or @text itself.
 */
const char *
usdtpay_hex_skip_prefix (const char *text)
{
  g_return_val_if_fail (text != NULL, NULL);

  if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    return text + 2;
  return text;
}

static gboolean
decode_digits (const char *digits,
               gsize       n_digits,
               guint8     *out,
               GError    **error)
{
  for (gsize i = 0; i < n_digits; i += 2)
    {
      int hi = g_ascii_xdigit_value (digits[i]);
      int lo = g_ascii_xdigit_value (digits[i + 1]);

      if (hi < 0 || lo < 0)
        {
          g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_HEX,
                       "Not a hex digit at position %" G_GSIZE_FORMAT,
                       hi < 0 ? i : i + 1);
          return FALSE;
        }
      out[i / 2] = (guint8)((hi << 4) | lo);
    }

  return TRUE;
}

/**
 * usdtpay_hex_decode:
 * @text: an even number of hex digits, with or without `0x`; may be empty
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the bytes, or %NULL with @error set
 */
GBytes *
usdtpay_hex_decode (const char  *text,
                    GError     **error)
{
  const char *digits;
  gsize n_digits;
  g_autofree guint8 *out = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  digits = usdtpay_hex_skip_prefix (text);
  n_digits = strlen (digits);
  if (n_digits % 2 != 0)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_HEX,
                   "Hex has an odd number of digits (%" G_GSIZE_FORMAT ")", n_digits);
      return NULL;
    }

  out = g_malloc (n_digits / 2 + 1);
  if (!decode_digits (digits, n_digits, out, error))
    return NULL;

  return g_bytes_new_take (g_steal_pointer (&out), n_digits / 2);
}

/**
 * usdtpay_hex_decode_fixed:
 * @text: exactly 2 × @len hex digits, with or without `0x`
 * @out: (out caller-allocates) (array length=len): where the bytes go
 * @len: how many bytes are expected
 * @error: return location for a #GError
 */
gboolean
usdtpay_hex_decode_fixed (const char  *text,
                          guint8      *out,
                          gsize        len,
                          GError     **error)
{
  const char *digits;
  gsize n_digits;
  g_autofree guint8 *tmp = NULL;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  digits = usdtpay_hex_skip_prefix (text);
  n_digits = strlen (digits);
  if (n_digits != 2 * len)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_HEX,
                   "Expected %" G_GSIZE_FORMAT " hex digits, got %" G_GSIZE_FORMAT,
                   2 * len, n_digits);
      return FALSE;
    }

  /* Leave @out untouched on failure. */
  tmp = g_malloc (len + 1);
  if (!decode_digits (digits, n_digits, tmp, error))
    return FALSE;
  memcpy (out, tmp, len);

  return TRUE;
}

/**
 * usdtpay_hex_encode_quantity:
 * @value: a number
 *
 * Returns: (transfer full): a JSON-RPC quantity: `0x` and hex digits without
 *   leading zeros (`0x0` for zero).
 */
char *
usdtpay_hex_encode_quantity (guint64 value)
{
  return g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", value);
}

/**
 * usdtpay_hex_parse_quantity:
 * @text: hex digits with or without `0x`; leading zeros are accepted
 * @out: (out): the value
 * @error: return location for a #GError
 *
 * Parses a quantity that must fit in 64 bits.
 */
gboolean
usdtpay_hex_parse_quantity (const char  *text,
                            guint64     *out,
                            GError     **error)
{
  const char *digits;
  guint64 value = 0;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  digits = usdtpay_hex_skip_prefix (text);
  if (*digits == '\0')
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_HEX,
                   "Empty hex quantity “%s”", text);
      return FALSE;
    }

  for (const char *p = digits; *p != '\0'; p++)
    {
      int v = g_ascii_xdigit_value (*p);

      if (v < 0)
        {
          g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_HEX,
                       "Not a hex quantity: “%s”", text);
          return FALSE;
        }
      if (value > (G_MAXUINT64 >> 4))
        {
          g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_OVERFLOW,
                       "Quantity %s does not fit in 64 bits", text);
          return FALSE;
        }
      value = (value << 4) | (guint64)v;
    }

  *out = value;
  return TRUE;
}
