/* test-abi.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-chain.h"

static void
test_abi_selectors (void)
{
  guint8 sel[4];
  guint8 topic[32];
  g_autofree char *transfer = NULL;
  g_autofree char *balance_of = NULL;
  g_autofree char *topic_hex = NULL;

  usdtpay_abi_selector ("transfer(address,uint256)", sel);
  transfer = usdtpay_hex_encode (sel, 4);
  usdtpay_abi_selector ("balanceOf(address)", sel);
  balance_of = usdtpay_hex_encode (sel, 4);
  usdtpay_abi_event_topic ("Transfer(address,address,uint256)", topic);
  topic_hex = usdtpay_hex_encode (topic, 32);

  g_assert_cmpstr (transfer, ==, "0xa9059cbb");
  g_assert_cmpstr (balance_of, ==, "0x70a08231");
  g_assert_cmpstr (topic_hex, ==, USDTPAY_ABI_TRANSFER_TOPIC);
}

static void
test_abi_encode (void)
{
  UsdtpayAddress to;
  UsdtpayUint256 amount;
  g_autoptr(GBytes) transfer = NULL;
  g_autoptr(GBytes) balance_of = NULL;
  g_autofree char *transfer_hex = NULL;
  g_autofree char *balance_of_hex = NULL;

  g_assert_true (usdtpay_address_parse (&to, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", NULL));
  /* 12.5 USDT */
  g_assert_true (usdtpay_uint256_set_int64 (&amount, 12500000, NULL));

  transfer = usdtpay_abi_encode_transfer (&to, &amount);
  transfer_hex = usdtpay_hex_encode_bytes (transfer);
  g_assert_cmpstr (transfer_hex, ==,
                   "0xa9059cbb"
                   "0000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
                   "0000000000000000000000000000000000000000000000000000000000bebc20");

  balance_of = usdtpay_abi_encode_balance_of (&to);
  balance_of_hex = usdtpay_hex_encode_bytes (balance_of);
  g_assert_cmpstr (balance_of_hex, ==,
                   "0x70a08231"
                   "0000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
}

static void
test_abi_decode_uint256 (void)
{
  g_autoptr(GBytes) word = usdtpay_hex_decode ("0x0000000000000000000000000000000000000000000000000000000000bebc20", NULL);
  g_autoptr(GError) error = NULL;
  UsdtpayUint256 value;
  gint64 amount = 0;

  g_assert_true (usdtpay_abi_decode_uint256 (g_bytes_get_data (word, NULL), 32, &value, &error));
  g_assert_no_error (error);
  g_assert_true (usdtpay_uint256_to_int64 (&value, &amount, &error));
  g_assert_cmpint (amount, ==, 12500000);

  g_assert_false (usdtpay_abi_decode_uint256 (g_bytes_get_data (word, NULL), 31, &value, &error));
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_ABI);
}

#define TRANSFER_LOG \
  "{\"address\":\"0x5fbdb2315678afecb367f032d93f642f64180aa3\"," \
  "\"topics\":[\"0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef\"," \
  "\"0x000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266\"," \
  "\"0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8\"]," \
  "\"data\":\"0x00000000000000000000000000000000000000000000000000000000000f4240\"," \
  "\"blockHash\":\"0x1c2f2bd1c3ed6d6f7b38d1ec8b09a6c2d7c0cd2e7f7e5ad1e9ba6a7de0f0e0a1\"," \
  "\"blockNumber\":\"0x1b\"," \
  "\"transactionHash\":\"0x7d0c1f6a2f3b3b0f5bcf2e6b58e1a7f6e3d1c4b2a09f8e7d6c5b4a3928170605\"," \
  "\"transactionIndex\":\"0x0\",\"logIndex\":\"0x2\",\"removed\":false}"

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_abi_transfer_log (void)
{
  g_autoptr(JsonObject) log = parse_object (TRANSFER_LOG);
  g_autoptr(GError) error = NULL;
  UsdtpayTransferLog transfer;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *token = NULL;
  g_autofree char *tx = NULL;
  gint64 amount = 0;

  g_assert_true (usdtpay_abi_decode_transfer_log (log, &transfer, &error));
  g_assert_no_error (error);
  from = usdtpay_address_to_string (&transfer.from);
  to = usdtpay_address_to_string (&transfer.to);
  token = usdtpay_address_to_string (&transfer.token);
  tx = usdtpay_hex_encode (transfer.transaction_hash, 32);
  g_assert_cmpstr (from, ==, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  g_assert_cmpstr (to, ==, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  g_assert_cmpstr (token, ==, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
  g_assert_cmpstr (tx, ==, "0x7d0c1f6a2f3b3b0f5bcf2e6b58e1a7f6e3d1c4b2a09f8e7d6c5b4a3928170605");
  g_assert_true (usdtpay_uint256_to_int64 (&transfer.value, &amount, NULL));
  g_assert_cmpint (amount, ==, 1000000);
  g_assert_cmpuint (transfer.block_number, ==, 27);
  g_assert_cmpuint (transfer.log_index, ==, 2);
  g_assert_false (transfer.removed);
}

static void
check_log_refused (const char *from,
                   const char *to)
{
  g_autoptr(GString) text = g_string_new (TRANSFER_LOG);
  g_autoptr(JsonObject) log = NULL;
  g_autoptr(GError) error = NULL;
  UsdtpayTransferLog transfer;

  g_assert_cmpuint (g_string_replace (text, from, to, 1), ==, 1);
  log = parse_object (text->str);
  g_assert_false (usdtpay_abi_decode_transfer_log (log, &transfer, &error));
  g_assert_nonnull (error);
}

static void
test_abi_transfer_log_refused (void)
{
  /* Another event */
  check_log_refused ("0xddf252ad", "0x8c5be1e5");
  /* An ERC-721 Transfer: four topics, no data */
  check_log_refused ("\"],\"data\":\"0x00000000000000000000000000000000000000000000000000000000000f4240\"",
                     "\",\"0x0000000000000000000000000000000000000000000000000000000000000001\"],\"data\":\"0x\"");
  /* Dirty address padding */
  check_log_refused ("0x000000000000000000000000f39f", "0x000000000000000000000001f39f");
  /* Data of the wrong size */
  check_log_refused ("0f4240\"", "0f424000\"");
  /* Missing block number (a pending log) */
  check_log_refused ("\"blockNumber\":\"0x1b\"", "\"blockNumber\":null");
}

static void
test_abi_transfer_filter (void)
{
  UsdtpayAddress token, to;
  g_autoptr(JsonNode) all = NULL;
  g_autoptr(JsonNode) mine = NULL;
  g_autofree char *all_text = NULL;
  g_autofree char *mine_text = NULL;

  g_assert_true (usdtpay_address_parse (&token, "0x5FbDB2315678afecb367f032d93F642f64180aa3", NULL));
  g_assert_true (usdtpay_address_parse (&to, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", NULL));

  all = usdtpay_abi_new_transfer_filter (&token, NULL, 0, 26);
  all_text = json_to_string (all, FALSE);
  g_assert_cmpstr (all_text, ==,
                   "{\"address\":\"0x5FbDB2315678afecb367f032d93F642f64180aa3\","
                   "\"topics\":[\"" USDTPAY_ABI_TRANSFER_TOPIC "\"],"
                   "\"fromBlock\":\"0x0\",\"toBlock\":\"0x1a\"}");

  mine = usdtpay_abi_new_transfer_filter (&token, &to, 16, 16);
  mine_text = json_to_string (mine, FALSE);
  g_assert_cmpstr (mine_text, ==,
                   "{\"address\":\"0x5FbDB2315678afecb367f032d93F642f64180aa3\","
                   "\"topics\":[\"" USDTPAY_ABI_TRANSFER_TOPIC "\",null,"
                   "\"0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8\"],"
                   "\"fromBlock\":\"0x10\",\"toBlock\":\"0x10\"}");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chain/abi/selectors", test_abi_selectors);
  g_test_add_func ("/chain/abi/encode", test_abi_encode);
  g_test_add_func ("/chain/abi/decode-uint256", test_abi_decode_uint256);
  g_test_add_func ("/chain/abi/transfer-log", test_abi_transfer_log);
  g_test_add_func ("/chain/abi/transfer-log-refused", test_abi_transfer_log_refused);
  g_test_add_func ("/chain/abi/transfer-filter", test_abi_transfer_filter);

  return g_test_run ();
}
