/* usdtpay-abi.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-chain"

#include "config.h"

#include <string.h>

#include "usdtpay-abi.h"
#include "usdtpay-chain-error.h"
#include "usdtpay-hex.h"
#include "usdtpay-keccak.h"

/**
 * usdtpay_abi_selector:
 * @signature: a canonical function signature such as `transfer(address,uint256)`
 * @selector: (out caller-allocates): the first 4 bytes of its Keccak-256
 */
void
usdtpay_abi_selector (const char *signature,
                      guint8      selector[4])
{
  guint8 hash[32];

  g_return_if_fail (signature != NULL);
  g_return_if_fail (selector != NULL);

  usdtpay_keccak256 ((const guint8 *)signature, strlen (signature), hash);
  memcpy (selector, hash, 4);
}

void
usdtpay_abi_event_topic (const char *signature,
                         guint8      topic[32])
{
  g_return_if_fail (signature != NULL);
  g_return_if_fail (topic != NULL);

  usdtpay_keccak256 ((const guint8 *)signature, strlen (signature), topic);
}

/* An address is a uint160 left-padded to 32 bytes. */
void
usdtpay_abi_encode_address_word (const UsdtpayAddress *address,
                                 guint8                word[32])
{
  g_return_if_fail (address != NULL);
  g_return_if_fail (word != NULL);

  memset (word, 0, 12);
  memcpy (word + 12, address->bytes, USDTPAY_ADDRESS_SIZE);
}

/**
 * usdtpay_abi_encode_transfer:
 *
 * Returns: (transfer full): call data for `transfer(address,uint256)`
 */
GBytes *
usdtpay_abi_encode_transfer (const UsdtpayAddress *to,
                             const UsdtpayUint256 *amount)
{
  guint8 *out;

  g_return_val_if_fail (to != NULL, NULL);
  g_return_val_if_fail (amount != NULL, NULL);

  out = g_malloc (4 + 64);
  usdtpay_abi_selector ("transfer(address,uint256)", out);
  usdtpay_abi_encode_address_word (to, out + 4);
  memcpy (out + 36, amount->bytes, 32);
  return g_bytes_new_take (out, 4 + 64);
}

/**
 * usdtpay_abi_encode_balance_of:
 *
 * Returns: (transfer full): call data for `balanceOf(address)`
 */
GBytes *
usdtpay_abi_encode_balance_of (const UsdtpayAddress *owner)
{
  guint8 *out;

  g_return_val_if_fail (owner != NULL, NULL);

  out = g_malloc (4 + 32);
  usdtpay_abi_selector ("balanceOf(address)", out);
  usdtpay_abi_encode_address_word (owner, out + 4);
  return g_bytes_new_take (out, 4 + 32);
}

/**
 * usdtpay_abi_decode_uint256:
 * @data: (array length=len): exactly one 32-byte word, as a `uint256`
 *   function returns it
 */
gboolean
usdtpay_abi_decode_uint256 (const guint8    *data,
                            gsize            len,
                            UsdtpayUint256  *out,
                            GError         **error)
{
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (len != 32)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_ABI,
                   "A uint256 result has 32 bytes, not %" G_GSIZE_FORMAT, len);
      return FALSE;
    }
  memcpy (out->bytes, data, 32);
  return TRUE;
}

gboolean
usdtpay_abi_decode_address_word (const guint8     word[32],
                                 UsdtpayAddress  *out,
                                 GError         **error)
{
  g_return_val_if_fail (word != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  for (guint i = 0; i < 12; i++)
    {
      if (word[i] != 0)
        {
          g_set_error_literal (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_ABI,
                               "An address word has non-zero padding");
          return FALSE;
        }
    }
  memcpy (out->bytes, word + 12, USDTPAY_ADDRESS_SIZE);
  return TRUE;
}

/**
 * usdtpay_abi_new_transfer_filter:
 * @token: the token contract
 * @to: (nullable): only transfers to this address; %NULL for all
 * @from_block: the first block
 * @to_block: the last block, inclusive
 *
 * Returns: (transfer full): an eth_getLogs filter object for the token's
 *   Transfer events
 */
JsonNode *
usdtpay_abi_new_transfer_filter (const UsdtpayAddress *token,
                                 const UsdtpayAddress *to,
                                 guint64               from_block,
                                 guint64               to_block)
{
  g_autofree char *token_text = NULL;
  g_autofree char *from_text = NULL;
  g_autofree char *to_text = NULL;
  JsonObject *filter;
  JsonArray *topics;
  JsonNode *node;

  g_return_val_if_fail (token != NULL, NULL);
  g_return_val_if_fail (from_block <= to_block, NULL);

  token_text = usdtpay_address_to_string (token);
  from_text = usdtpay_hex_encode_quantity (from_block);
  to_text = usdtpay_hex_encode_quantity (to_block);

  topics = json_array_new ();
  json_array_add_string_element (topics, USDTPAY_ABI_TRANSFER_TOPIC);
  if (to != NULL)
    {
      guint8 word[32];
      g_autofree char *word_text = NULL;

      usdtpay_abi_encode_address_word (to, word);
      word_text = usdtpay_hex_encode (word, sizeof word);
      json_array_add_null_element (topics);
      json_array_add_string_element (topics, word_text);
    }

  filter = json_object_new ();
  json_object_set_string_member (filter, "address", token_text);
  json_object_set_array_member (filter, "topics", topics);
  json_object_set_string_member (filter, "fromBlock", from_text);
  json_object_set_string_member (filter, "toBlock", to_text);

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, filter);
  return node;
}

static const char *
get_string_member (JsonObject  *object,
                   const char  *name,
                   GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_ABI,
                   "Log member “%s” is missing or not a string", name);
      return NULL;
    }
  return json_node_get_string (node);
}

static gboolean
get_word_member (JsonObject  *object,
                 const char  *name,
                 guint8       word[32],
                 GError     **error)
{
  const char *text = get_string_member (object, name, error);

  return text != NULL && usdtpay_hex_decode_fixed (text, word, 32, error);
}

static gboolean
get_quantity_member (JsonObject  *object,
                     const char  *name,
                     guint64     *out,
                     GError     **error)
{
  const char *text = get_string_member (object, name, error);

  return text != NULL && usdtpay_hex_parse_quantity (text, out, error);
}

/**
 * usdtpay_abi_decode_transfer_log:
 * @log: one object of an eth_getLogs answer
 * @out: (out caller-allocates): the decoded transfer
 *
 * Refuses a log that is not an ERC-20 Transfer: wrong topic 0, not three
 * topics (an ERC-721 Transfer has four), or data that is not one word.
 */
gboolean
usdtpay_abi_decode_transfer_log (JsonObject          *log,
                                 UsdtpayTransferLog  *out,
                                 GError             **error)
{
  UsdtpayTransferLog result = { 0 };
  JsonArray *topics;
  guint8 word[32];
  guint8 expected_topic[32];
  const char *text;
  g_autoptr(GBytes) data = NULL;
  gsize data_len;
  const guint8 *data_bytes;
  JsonNode *removed;

  g_return_val_if_fail (log != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!json_object_has_member (log, "topics") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (log, "topics")))
    {
      g_set_error_literal (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_ABI,
                           "Log has no topics array");
      return FALSE;
    }
  topics = json_object_get_array_member (log, "topics");
  if (json_array_get_length (topics) != 3)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_ABI,
                   "A Transfer log has 3 topics, not %u", json_array_get_length (topics));
      return FALSE;
    }

  usdtpay_hex_decode_fixed (USDTPAY_ABI_TRANSFER_TOPIC, expected_topic, 32, NULL);
  for (guint i = 0; i < 3; i++)
    {
      JsonNode *node = json_array_get_element (topics, i);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          g_set_error_literal (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_ABI,
                               "Log topic is not a string");
          return FALSE;
        }
      if (!usdtpay_hex_decode_fixed (json_node_get_string (node), word, 32, error))
        return FALSE;
      if (i == 0 && memcmp (word, expected_topic, 32) != 0)
        {
          g_set_error_literal (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_ABI,
                               "Log is not a Transfer event");
          return FALSE;
        }
      if (i > 0 && !usdtpay_abi_decode_address_word (word, i == 1 ? &result.from : &result.to, error))
        return FALSE;
    }

  if ((text = get_string_member (log, "data", error)) == NULL ||
      (data = usdtpay_hex_decode (text, error)) == NULL)
    return FALSE;
  data_bytes = g_bytes_get_data (data, &data_len);
  if (!usdtpay_abi_decode_uint256 (data_bytes, data_len, &result.value, error))
    return FALSE;

  if ((text = get_string_member (log, "address", error)) == NULL ||
      !usdtpay_address_parse (&result.token, text, error))
    return FALSE;

  if (!get_quantity_member (log, "blockNumber", &result.block_number, error) ||
      !get_quantity_member (log, "logIndex", &result.log_index, error) ||
      !get_word_member (log, "blockHash", result.block_hash, error) ||
      !get_word_member (log, "transactionHash", result.transaction_hash, error))
    return FALSE;

  removed = json_object_get_member (log, "removed");
  if (removed != NULL && JSON_NODE_HOLDS_VALUE (removed) &&
      json_node_get_value_type (removed) == G_TYPE_BOOLEAN)
    result.removed = json_node_get_boolean (removed);

  *out = result;
  return TRUE;
}
