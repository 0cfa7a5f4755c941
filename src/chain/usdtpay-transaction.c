/* usdtpay-transaction.c
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
#include "usdtpay-rlp.h"
#include "usdtpay-transaction.h"

/* v = chain id × 2 + 35 + recovery id must fit in 64 bits. */
#define MAX_LEGACY_CHAIN_ID ((G_MAXUINT64 - 36) / 2)

void
usdtpay_transaction_init (UsdtpayTransaction     *self,
                          UsdtpayTransactionType  type)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (type == USDTPAY_TRANSACTION_LEGACY || type == USDTPAY_TRANSACTION_EIP1559);

  memset (self, 0, sizeof *self);
  self->type = type;
  self->data = g_bytes_new (NULL, 0);
}

void
usdtpay_transaction_clear (UsdtpayTransaction *self)
{
  g_return_if_fail (self != NULL);

  g_clear_pointer (&self->data, g_bytes_unref);
}

/**
 * usdtpay_transaction_set_data:
 * @data: (nullable): the call data; %NULL for none
 */
void
usdtpay_transaction_set_data (UsdtpayTransaction *self,
                              GBytes             *data)
{
  g_return_if_fail (self != NULL);

  g_clear_pointer (&self->data, g_bytes_unref);
  self->data = data != NULL ? g_bytes_ref (data) : g_bytes_new (NULL, 0);
}

/* The fields both the signing payload and the signed form start with. */
static UsdtpayRlpItem *
build_fields (const UsdtpayTransaction *self)
{
  UsdtpayRlpItem *list = usdtpay_rlp_item_new_list ();
  GBytes *data = self->data;

  if (self->type == USDTPAY_TRANSACTION_EIP1559)
    {
      usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_uint64 (self->chain_id));
      usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_uint64 (self->nonce));
      usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_uint256 (&self->max_priority_fee_per_gas));
      usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_uint256 (&self->max_fee_per_gas));
    }
  else
    {
      usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_uint64 (self->nonce));
      usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_uint256 (&self->gas_price));
    }
  usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_uint64 (self->gas_limit));
  if (self->has_to)
    usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_bytes (self->to.bytes, USDTPAY_ADDRESS_SIZE));
  else
    usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_bytes (NULL, 0));
  usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_uint256 (&self->value));
  if (data != NULL)
    usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_gbytes (data));
  else
    usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_bytes (NULL, 0));
  if (self->type == USDTPAY_TRANSACTION_EIP1559)
    usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_list ());

  return list;
}

static GBytes *
encode_typed (const UsdtpayTransaction *self,
              const UsdtpayRlpItem     *list)
{
  g_autoptr(GBytes) body = usdtpay_rlp_encode (list);

  if (self->type == USDTPAY_TRANSACTION_LEGACY)
    return g_steal_pointer (&body);
  else
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (body, &len);
      guint8 *out = g_malloc (len + 1);

      out[0] = (guint8)self->type;
      memcpy (out + 1, data, len);
      return g_bytes_new_take (out, len + 1);
    }
}

/**
 * usdtpay_transaction_encode_unsigned:
 *
 * Returns: (transfer full): the payload whose Keccak-256 is signed: for
 *   legacy, rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0])
 *   (EIP-155) or the first six fields for chain id 0; for EIP-1559,
 *   0x02 ‖ rlp([chainId, nonce, maxPriorityFee, maxFee, gas, to, value,
 *   data, accessList]).
 */
GBytes *
usdtpay_transaction_encode_unsigned (const UsdtpayTransaction *self)
{
  g_autoptr(UsdtpayRlpItem) list = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  list = build_fields (self);
  if (self->type == USDTPAY_TRANSACTION_LEGACY && self->chain_id != 0)
    {
      usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_uint64 (self->chain_id));
      usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_uint64 (0));
      usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_uint64 (0));
    }
  return encode_typed (self, list);
}

void
usdtpay_transaction_signing_hash (const UsdtpayTransaction *self,
                                  guint8                    hash[32])
{
  g_autoptr(GBytes) payload = NULL;
  gsize len;
  const guint8 *data;

  g_return_if_fail (self != NULL);
  g_return_if_fail (hash != NULL);

  payload = usdtpay_transaction_encode_unsigned (self);
  data = g_bytes_get_data (payload, &len);
  usdtpay_keccak256 (data, len, hash);
}

static UsdtpayRlpItem *
new_scalar_item (const guint8 value[32])
{
  UsdtpayUint256 v;

  memcpy (v.bytes, value, 32);
  return usdtpay_rlp_item_new_uint256 (&v);
}

/**
 * usdtpay_transaction_encode_signed:
 *
 * Returns: (transfer full): the raw transaction for eth_sendRawTransaction
 */
GBytes *
usdtpay_transaction_encode_signed (const UsdtpayTransaction *self,
                                   const UsdtpaySignature   *signature)
{
  g_autoptr(UsdtpayRlpItem) list = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (signature != NULL, NULL);
  g_return_val_if_fail (signature->recovery_id <= 1, NULL);

  list = build_fields (self);
  if (self->type == USDTPAY_TRANSACTION_EIP1559)
    usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_uint64 (signature->recovery_id));
  else if (self->chain_id == 0)
    usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_uint64 (27 + signature->recovery_id));
  else
    {
      g_return_val_if_fail (self->chain_id <= MAX_LEGACY_CHAIN_ID, NULL);
      usdtpay_rlp_item_append (list, usdtpay_rlp_item_new_uint64 (self->chain_id * 2 + 35 +
                                                                  signature->recovery_id));
    }
  usdtpay_rlp_item_append (list, new_scalar_item (signature->r));
  usdtpay_rlp_item_append (list, new_scalar_item (signature->s));

  return encode_typed (self, list);
}

/**
 * usdtpay_transaction_sign:
 *
 * Returns: (transfer full): the signed raw transaction, or %NULL with @error set
 */
GBytes *
usdtpay_transaction_sign (const UsdtpayTransaction  *self,
                          UsdtpayKey                *key,
                          GError                   **error)
{
  guint8 hash[32];
  UsdtpaySignature signature;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (USDTPAY_IS_KEY (key), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->type == USDTPAY_TRANSACTION_LEGACY && self->chain_id > MAX_LEGACY_CHAIN_ID)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_TRANSACTION,
                   "Chain id %" G_GUINT64_FORMAT " is too large for a legacy transaction",
                   self->chain_id);
      return NULL;
    }

  if (self->type == USDTPAY_TRANSACTION_EIP1559 &&
      usdtpay_uint256_compare (&self->max_priority_fee_per_gas, &self->max_fee_per_gas) > 0)
    {
      g_set_error_literal (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_TRANSACTION,
                           "The priority fee exceeds the maximum fee per gas; no node would take it");
      return NULL;
    }

  usdtpay_transaction_signing_hash (self, hash);
  if (!usdtpay_key_sign_hash (key, hash, &signature, error))
    return NULL;
  return usdtpay_transaction_encode_signed (self, &signature);
}

/**
 * usdtpay_transaction_hash_raw:
 * @raw: a signed raw transaction
 * @hash: (out caller-allocates): its transaction hash
 */
void
usdtpay_transaction_hash_raw (GBytes *raw,
                              guint8  hash[32])
{
  gsize len;
  const guint8 *data;

  g_return_if_fail (raw != NULL);
  g_return_if_fail (hash != NULL);

  data = g_bytes_get_data (raw, &len);
  usdtpay_keccak256 (data, len, hash);
}

static gboolean
invalid (GError     **error,
         const char  *what)
{
  g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_TRANSACTION,
               "Invalid transaction: %s", what);
  return FALSE;
}

static gboolean
get_scalar (UsdtpayRlpItem  *item,
            guint8           out[32],
            GError         **error)
{
  UsdtpayUint256 v;

  if (!usdtpay_rlp_item_get_uint256 (item, &v, error))
    return FALSE;
  memcpy (out, v.bytes, 32);
  return TRUE;
}

/**
 * usdtpay_transaction_decode:
 * @self: (out caller-allocates): the fields; release with usdtpay_transaction_clear()
 * @raw: (array length=len): a signed legacy or type-2 transaction
 * @signature: (out caller-allocates): its signature
 *
 * Only empty access lists are accepted. On failure @self holds nothing
 * that needs clearing.
 */
gboolean
usdtpay_transaction_decode (UsdtpayTransaction  *self,
                            const guint8        *raw,
                            gsize                len,
                            UsdtpaySignature    *signature,
                            GError             **error)
{
  g_auto(UsdtpayTransaction) tx = { 0 };
  g_autoptr(UsdtpayRlpItem) list = NULL;
  UsdtpayRlpItem *to_item;
  UsdtpayRlpItem *data_item;
  const guint8 *bytes;
  gsize n;
  guint i = 0;
  guint64 v;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (raw != NULL || len == 0, FALSE);
  g_return_val_if_fail (signature != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (len == 0)
    return invalid (error, "empty");

  if (raw[0] == USDTPAY_TRANSACTION_EIP1559)
    {
      usdtpay_transaction_init (&tx, USDTPAY_TRANSACTION_EIP1559);
      raw++;
      len--;
    }
  else if (raw[0] >= 0xc0)
    usdtpay_transaction_init (&tx, USDTPAY_TRANSACTION_LEGACY);
  else
    return invalid (error, "unsupported transaction type");

  list = usdtpay_rlp_decode (raw, len, error);
  if (list == NULL)
    return FALSE;
  if (!usdtpay_rlp_item_is_list (list) ||
      usdtpay_rlp_item_get_n_items (list) != (tx.type == USDTPAY_TRANSACTION_EIP1559 ? 12u : 9u))
    return invalid (error, "wrong number of fields");

#define NEXT() usdtpay_rlp_item_get_item (list, i++)
  if (tx.type == USDTPAY_TRANSACTION_EIP1559)
    {
      if (!usdtpay_rlp_item_get_uint64 (NEXT (), &tx.chain_id, error) ||
          !usdtpay_rlp_item_get_uint64 (NEXT (), &tx.nonce, error) ||
          !usdtpay_rlp_item_get_uint256 (NEXT (), &tx.max_priority_fee_per_gas, error) ||
          !usdtpay_rlp_item_get_uint256 (NEXT (), &tx.max_fee_per_gas, error))
        return FALSE;
    }
  else
    {
      if (!usdtpay_rlp_item_get_uint64 (NEXT (), &tx.nonce, error) ||
          !usdtpay_rlp_item_get_uint256 (NEXT (), &tx.gas_price, error))
        return FALSE;
    }
  if (!usdtpay_rlp_item_get_uint64 (NEXT (), &tx.gas_limit, error))
    return FALSE;

  to_item = NEXT ();
  if (usdtpay_rlp_item_is_list (to_item))
    return invalid (error, "recipient is a list");
  bytes = usdtpay_rlp_item_get_data (to_item, &n);
  if (n == USDTPAY_ADDRESS_SIZE)
    {
      tx.has_to = TRUE;
      memcpy (tx.to.bytes, bytes, n);
    }
  else if (n != 0)
    return invalid (error, "recipient is not 20 bytes");

  if (!usdtpay_rlp_item_get_uint256 (NEXT (), &tx.value, error))
    return FALSE;
  data_item = NEXT ();
  if (usdtpay_rlp_item_is_list (data_item))
    return invalid (error, "data is a list");
  bytes = usdtpay_rlp_item_get_data (data_item, &n);
  g_clear_pointer (&tx.data, g_bytes_unref);
  tx.data = g_bytes_new (bytes, n);

  if (tx.type == USDTPAY_TRANSACTION_EIP1559)
    {
      UsdtpayRlpItem *access_list = NEXT ();

      if (!usdtpay_rlp_item_is_list (access_list) ||
          usdtpay_rlp_item_get_n_items (access_list) != 0)
        return invalid (error, "only an empty access list is supported");
    }

  if (!usdtpay_rlp_item_get_uint64 (NEXT (), &v, error) ||
      !get_scalar (NEXT (), signature->r, error) ||
      !get_scalar (NEXT (), signature->s, error))
    return FALSE;
#undef NEXT

  if (tx.type == USDTPAY_TRANSACTION_EIP1559)
    {
      if (v > 1)
        return invalid (error, "y parity is not 0 or 1");
      signature->recovery_id = (guint8)v;
    }
  else if (v == 27 || v == 28)
    {
      tx.chain_id = 0;
      signature->recovery_id = (guint8)(v - 27);
    }
  else if (v >= 35)
    {
      tx.chain_id = (v - 35) / 2;
      signature->recovery_id = (guint8)((v - 35) % 2);
    }
  else
    return invalid (error, "v is neither 27, 28 nor EIP-155");

  *self = tx;
  memset (&tx, 0, sizeof tx);
  return TRUE;
}

gboolean
usdtpay_transaction_recover_sender (const UsdtpayTransaction  *self,
                                    const UsdtpaySignature    *signature,
                                    UsdtpayAddress            *sender,
                                    GError                   **error)
{
  guint8 hash[32];

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (signature != NULL, FALSE);
  g_return_val_if_fail (sender != NULL, FALSE);

  usdtpay_transaction_signing_hash (self, hash);
  return usdtpay_secp256k1_recover_address (hash, signature, sender, error);
}
