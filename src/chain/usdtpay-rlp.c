/* usdtpay-rlp.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-chain"

#include "config.h"

#include <string.h>

#include "usdtpay-chain-error.h"
#include "usdtpay-rlp.h"

/* Deeper nesting than any Ethereum structure needs; it bounds the recursion
 * of the decoder on hostile input.
 */
#define MAX_DEPTH 64

struct _UsdtpayRlpItem
{
  gatomicrefcount ref_count;
  gboolean is_list;
  GBytes *bytes;      /* byte string */
  GPtrArray *items;   /* list of UsdtpayRlpItem */
};

G_DEFINE_BOXED_TYPE (UsdtpayRlpItem, usdtpay_rlp_item,
                     usdtpay_rlp_item_ref, usdtpay_rlp_item_unref)

static UsdtpayRlpItem *
item_new (gboolean is_list)
{
  UsdtpayRlpItem *self = g_new0 (UsdtpayRlpItem, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->is_list = is_list;
  if (is_list)
    self->items = g_ptr_array_new_with_free_func ((GDestroyNotify)usdtpay_rlp_item_unref);
  return self;
}

UsdtpayRlpItem *
usdtpay_rlp_item_new_bytes (const guint8 *data,
                            gsize         len)
{
  UsdtpayRlpItem *self;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  self = item_new (FALSE);
  self->bytes = g_bytes_new (data, len);
  return self;
}

UsdtpayRlpItem *
usdtpay_rlp_item_new_gbytes (GBytes *bytes)
{
  UsdtpayRlpItem *self;

  g_return_val_if_fail (bytes != NULL, NULL);

  self = item_new (FALSE);
  self->bytes = g_bytes_ref (bytes);
  return self;
}

/**
 * usdtpay_rlp_item_new_uint64:
 *
 * Returns: the canonical integer encoding: big-endian without leading zeros,
 *   so 0 is the empty string.
 */
UsdtpayRlpItem *
usdtpay_rlp_item_new_uint64 (guint64 value)
{
  UsdtpayUint256 v;

  usdtpay_uint256_set_uint64 (&v, value);
  return usdtpay_rlp_item_new_uint256 (&v);
}

UsdtpayRlpItem *
usdtpay_rlp_item_new_uint256 (const UsdtpayUint256 *value)
{
  const guint8 *start;
  gsize len;

  g_return_val_if_fail (value != NULL, NULL);

  len = usdtpay_uint256_get_minimal (value, &start);
  return usdtpay_rlp_item_new_bytes (start, len);
}

UsdtpayRlpItem *
usdtpay_rlp_item_new_list (void)
{
  return item_new (TRUE);
}

UsdtpayRlpItem *
usdtpay_rlp_item_ref (UsdtpayRlpItem *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
usdtpay_rlp_item_unref (UsdtpayRlpItem *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_clear_pointer (&self->bytes, g_bytes_unref);
      g_clear_pointer (&self->items, g_ptr_array_unref);
      g_free (self);
    }
}

/**
 * usdtpay_rlp_item_append:
 * @self: a list
 * @child: (transfer full): the item to append
 */
void
usdtpay_rlp_item_append (UsdtpayRlpItem *self,
                         UsdtpayRlpItem *child)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->is_list);
  g_return_if_fail (child != NULL);

  g_ptr_array_add (self->items, child);
}

gboolean
usdtpay_rlp_item_is_list (const UsdtpayRlpItem *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->is_list;
}

/**
 * usdtpay_rlp_item_get_data:
 * @len: (out): the length
 *
 * Returns: (transfer none) (nullable): the bytes of a byte string; %NULL for a list
 */
const guint8 *
usdtpay_rlp_item_get_data (const UsdtpayRlpItem *self,
                           gsize                *len)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (len != NULL, NULL);

  if (self->is_list)
    {
      *len = 0;
      return NULL;
    }
  return g_bytes_get_data (self->bytes, len);
}

guint
usdtpay_rlp_item_get_n_items (const UsdtpayRlpItem *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->is_list ? self->items->len : 0;
}

/**
 * usdtpay_rlp_item_get_item:
 *
 * Returns: (transfer none): the child at @index of a list
 */
UsdtpayRlpItem *
usdtpay_rlp_item_get_item (const UsdtpayRlpItem *self,
                           guint                 index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (self->is_list, NULL);
  g_return_val_if_fail (index < self->items->len, NULL);

  return g_ptr_array_index (self->items, index);
}

/**
 * usdtpay_rlp_item_get_uint256:
 *
 * Reads a canonical integer: a byte string of at most 32 bytes without a
 * leading zero.
 */
gboolean
usdtpay_rlp_item_get_uint256 (const UsdtpayRlpItem  *self,
                              UsdtpayUint256        *out,
                              GError               **error)
{
  const guint8 *data;
  gsize len;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (self->is_list)
    {
      g_set_error_literal (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_RLP,
                           "Expected an integer, found a list");
      return FALSE;
    }
  data = g_bytes_get_data (self->bytes, &len);
  if (len > 32)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_OVERFLOW,
                   "An integer of %" G_GSIZE_FORMAT " bytes does not fit in 256 bits", len);
      return FALSE;
    }
  if (len > 0 && data[0] == 0)
    {
      g_set_error_literal (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_RLP,
                           "Integer with a leading zero byte");
      return FALSE;
    }

  memset (out->bytes, 0, 32);
  if (len > 0)
    memcpy (out->bytes + 32 - len, data, len);
  return TRUE;
}

gboolean
usdtpay_rlp_item_get_uint64 (const UsdtpayRlpItem  *self,
                             guint64               *out,
                             GError               **error)
{
  UsdtpayUint256 v;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  return usdtpay_rlp_item_get_uint256 (self, &v, error) &&
         usdtpay_uint256_to_uint64 (&v, out, error);
}

/* Encoding */

static void
append_length (GByteArray *out,
               guint8      short_base,
               guint8      long_base,
               gsize       len)
{
  if (len <= 55)
    {
      guint8 b = (guint8)(short_base + len);

      g_byte_array_append (out, &b, 1);
    }
  else
    {
      guint8 buf[9];
      guint n = 0;

      for (gsize v = len; v > 0; v >>= 8)
        n++;
      buf[0] = (guint8)(long_base + n);
      for (guint i = 0; i < n; i++)
        buf[n - i] = (guint8)(len >> (8 * i));
      g_byte_array_append (out, buf, n + 1);
    }
}

static void
encode_into (const UsdtpayRlpItem *item,
             GByteArray           *out)
{
  if (item->is_list)
    {
      g_autoptr(GByteArray) payload = g_byte_array_new ();

      for (guint i = 0; i < item->items->len; i++)
        encode_into (g_ptr_array_index (item->items, i), payload);
      append_length (out, 0xc0, 0xf7, payload->len);
      g_byte_array_append (out, payload->data, payload->len);
    }
  else
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (item->bytes, &len);

      if (len == 1 && data[0] < 0x80)
        {
          g_byte_array_append (out, data, 1);
          return;
        }
      append_length (out, 0x80, 0xb7, len);
      if (len > 0)
        g_byte_array_append (out, data, len);
    }
}

/**
 * usdtpay_rlp_encode:
 *
 * Returns: (transfer full): the RLP encoding of @item
 */
GBytes *
usdtpay_rlp_encode (const UsdtpayRlpItem *item)
{
  GByteArray *out;

  g_return_val_if_fail (item != NULL, NULL);

  out = g_byte_array_new ();
  encode_into (item, out);
  return g_byte_array_free_to_bytes (out);
}

/* Decoding */

static gboolean
fail (GError     **error,
      gsize        offset,
      const char  *what)
{
  g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_RLP,
               "Invalid RLP at byte %" G_GSIZE_FORMAT ": %s", offset, what);
  return FALSE;
}

/* Reads one item header at data[*pos] within data[0..end). Sets the payload
 * start and length and whether it is a list, refusing every non-canonical
 * form.
 */
static gboolean
read_header (const guint8  *data,
             gsize          end,
             gsize         *pos,
             gboolean      *is_list,
             gsize         *payload_len,
             GError       **error)
{
  gsize start = *pos;
  guint8 prefix;

  if (start >= end)
    return fail (error, start, "truncated: item expected");

  prefix = data[start];
  if (prefix < 0x80)
    {
      /* The byte is its own payload. */
      *is_list = FALSE;
      *payload_len = 1;
      return TRUE;
    }

  if (prefix <= 0xb7 || (prefix >= 0xc0 && prefix <= 0xf7))
    {
      *is_list = prefix >= 0xc0;
      *payload_len = prefix - (*is_list ? 0xc0 : 0x80);
      *pos = start + 1;
      if (*payload_len > end - *pos)
        return fail (error, start, "truncated: payload runs past the end");
      if (!*is_list && *payload_len == 1 && data[*pos] < 0x80)
        return fail (error, start, "single byte below 0x80 must encode as itself");
      return TRUE;
    }
  else
    {
      guint n_len_bytes;
      gsize len = 0;

      *is_list = prefix >= 0xf8;
      n_len_bytes = prefix - (*is_list ? 0xf7 : 0xb7);
      if (n_len_bytes > end - start - 1)
        return fail (error, start, "truncated: length runs past the end");
      if (data[start + 1] == 0)
        return fail (error, start, "length with a leading zero byte");
      if (n_len_bytes > sizeof (gsize))
        return fail (error, start, "length too large");
      for (guint i = 0; i < n_len_bytes; i++)
        len = (len << 8) | data[start + 1 + i];
      if (len <= 55)
        return fail (error, start, "long form used for a length below 56");
      *pos = start + 1 + n_len_bytes;
      if (len > end - *pos)
        return fail (error, start, "truncated: payload runs past the end");
      *payload_len = len;
      return TRUE;
    }
}

static UsdtpayRlpItem *
decode_item (const guint8  *data,
             gsize          end,
             gsize         *pos,
             guint          depth,
             GError       **error)
{
  gsize start = *pos;
  gboolean is_list;
  gsize payload_len;
  g_autoptr(UsdtpayRlpItem) item = NULL;

  if (depth > MAX_DEPTH)
    {
      fail (error, start, "nested too deeply");
      return NULL;
    }

  if (!read_header (data, end, pos, &is_list, &payload_len, error))
    return NULL;

  if (!is_list)
    {
      item = usdtpay_rlp_item_new_bytes (data + *pos, payload_len);
      *pos += payload_len;
    }
  else
    {
      gsize list_end = *pos + payload_len;

      item = usdtpay_rlp_item_new_list ();
      while (*pos < list_end)
        {
          UsdtpayRlpItem *child = decode_item (data, list_end, pos, depth + 1, error);

          if (child == NULL)
            return NULL;
          usdtpay_rlp_item_append (item, child);
        }
    }

  return g_steal_pointer (&item);
}

/**
 * usdtpay_rlp_decode:
 * @data: (array length=len): exactly one RLP item
 * @error: return location for a #GError
 *
 * Refuses truncated input, trailing bytes and every non-canonical form: a
 * single byte below 0x80 wrapped in a string header, the long form for a
 * length below 56, and lengths with leading zero bytes.
 *
 * Returns: (transfer full): the tree, or %NULL with @error set
 */
UsdtpayRlpItem *
usdtpay_rlp_decode (const guint8  *data,
                    gsize          len,
                    GError       **error)
{
  g_autoptr(UsdtpayRlpItem) item = NULL;
  gsize pos = 0;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  item = decode_item (data, len, &pos, 0, error);
  if (item == NULL)
    return NULL;
  if (pos != len)
    {
      fail (error, pos, "trailing bytes after the item");
      return NULL;
    }

  return g_steal_pointer (&item);
}
