/* test-transaction.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-chain.h"

#define EIP155_KEY "0x4646464646464646464646464646464646464646464646464646464646464646"
#define EIP155_SIGNING_DATA "0xec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080"
#define EIP155_SIGNING_HASH "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53"
#define EIP155_SIGNED "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"

static void
eip155_example (UsdtpayTransaction *tx)
{
  usdtpay_transaction_init (tx, USDTPAY_TRANSACTION_LEGACY);
  tx->chain_id = 1;
  tx->nonce = 9;
  usdtpay_uint256_set_uint64 (&tx->gas_price, G_GUINT64_CONSTANT (20000000000));
  tx->gas_limit = 21000;
  tx->has_to = TRUE;
  g_assert_true (usdtpay_address_parse (&tx->to, "0x3535353535353535353535353535353535353535", NULL));
  usdtpay_uint256_set_uint64 (&tx->value, G_GUINT64_CONSTANT (1000000000000000000));
}

/* The worked example of EIP-155. */
static void
test_transaction_eip155 (void)
{
  g_auto(UsdtpayTransaction) tx = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayKey) key = NULL;
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(GBytes) raw = NULL;
  g_autofree char *payload_hex = NULL;
  g_autofree char *hash_hex = NULL;
  g_autofree char *raw_hex = NULL;
  guint8 hash[32];

  eip155_example (&tx);
  payload = usdtpay_transaction_encode_unsigned (&tx);
  payload_hex = usdtpay_hex_encode_bytes (payload);
  g_assert_cmpstr (payload_hex, ==, EIP155_SIGNING_DATA);

  usdtpay_transaction_signing_hash (&tx, hash);
  hash_hex = usdtpay_hex_encode (hash, 32);
  g_assert_cmpstr (hash_hex, ==, EIP155_SIGNING_HASH);

  key = usdtpay_key_new_from_hex (EIP155_KEY, &error);
  g_assert_no_error (error);
  raw = usdtpay_transaction_sign (&tx, key, &error);
  g_assert_no_error (error);
  raw_hex = usdtpay_hex_encode_bytes (raw);
  g_assert_cmpstr (raw_hex, ==, EIP155_SIGNED);
}

static void
test_transaction_decode_legacy (void)
{
  g_auto(UsdtpayTransaction) tx = { 0 };
  g_auto(UsdtpayTransaction) expected = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = usdtpay_hex_decode (EIP155_SIGNED, NULL);
  g_autoptr(GBytes) again = NULL;
  UsdtpaySignature signature;
  UsdtpayAddress sender;
  g_autofree char *sender_text = NULL;

  g_assert_true (usdtpay_transaction_decode (&tx, g_bytes_get_data (raw, NULL), g_bytes_get_size (raw),
                                             &signature, &error));
  g_assert_no_error (error);
  eip155_example (&expected);
  g_assert_cmpint (tx.type, ==, USDTPAY_TRANSACTION_LEGACY);
  g_assert_cmpuint (tx.chain_id, ==, 1);
  g_assert_cmpuint (tx.nonce, ==, 9);
  g_assert_cmpuint (tx.gas_limit, ==, 21000);
  g_assert_true (tx.has_to);
  g_assert_true (usdtpay_address_equal (&tx.to, &expected.to));
  g_assert_cmpint (usdtpay_uint256_compare (&tx.value, &expected.value), ==, 0);
  g_assert_cmpint (usdtpay_uint256_compare (&tx.gas_price, &expected.gas_price), ==, 0);
  g_assert_cmpuint (g_bytes_get_size (tx.data), ==, 0);

  again = usdtpay_transaction_encode_signed (&tx, &signature);
  g_assert_true (g_bytes_equal (raw, again));

  g_assert_true (usdtpay_transaction_recover_sender (&tx, &signature, &sender, &error));
  g_assert_no_error (error);
  sender_text = usdtpay_address_to_string (&sender);
  g_assert_cmpstr (sender_text, ==, "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");
}

/* A type-2 token transfer: signed, decoded, and the sender recovered. */
static void
test_transaction_eip1559 (void)
{
  g_auto(UsdtpayTransaction) tx = { 0 };
  g_auto(UsdtpayTransaction) back = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayKey) key = usdtpay_key_new_random ();
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GBytes) call = NULL;
  g_autoptr(GBytes) again = NULL;
  UsdtpayAddress recipient;
  UsdtpayAddress sender;
  UsdtpayUint256 amount;
  UsdtpaySignature signature;
  const guint8 *bytes;

  g_assert_true (usdtpay_address_parse (&recipient, "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", NULL));
  g_assert_true (usdtpay_uint256_set_int64 (&amount, 25000000, NULL));
  call = usdtpay_abi_encode_transfer (&recipient, &amount);

  usdtpay_transaction_init (&tx, USDTPAY_TRANSACTION_EIP1559);
  tx.chain_id = 31337;
  tx.nonce = 0;
  usdtpay_uint256_set_uint64 (&tx.max_priority_fee_per_gas, 1000000000);
  usdtpay_uint256_set_uint64 (&tx.max_fee_per_gas, 30000000000);
  tx.gas_limit = 100000;
  tx.has_to = TRUE;
  g_assert_true (usdtpay_address_parse (&tx.to, "0x5FbDB2315678afecb367f032d93F642f64180aa3", NULL));
  usdtpay_transaction_set_data (&tx, call);

  raw = usdtpay_transaction_sign (&tx, key, &error);
  g_assert_no_error (error);
  bytes = g_bytes_get_data (raw, NULL);
  g_assert_cmpuint (bytes[0], ==, 0x02);

  g_assert_true (usdtpay_transaction_decode (&back, bytes, g_bytes_get_size (raw), &signature, &error));
  g_assert_no_error (error);
  g_assert_cmpint (back.type, ==, USDTPAY_TRANSACTION_EIP1559);
  g_assert_cmpuint (back.chain_id, ==, 31337);
  g_assert_cmpuint (back.gas_limit, ==, 100000);
  g_assert_true (g_bytes_equal (back.data, call));
  g_assert_cmpint (usdtpay_uint256_compare (&back.max_fee_per_gas, &tx.max_fee_per_gas), ==, 0);
  g_assert_cmpint (usdtpay_uint256_compare (&back.max_priority_fee_per_gas, &tx.max_priority_fee_per_gas), ==, 0);

  again = usdtpay_transaction_encode_signed (&back, &signature);
  g_assert_true (g_bytes_equal (raw, again));

  g_assert_true (usdtpay_transaction_recover_sender (&back, &signature, &sender, &error));
  g_assert_no_error (error);
  g_assert_true (usdtpay_address_equal (&sender, usdtpay_key_get_address (key)));
}

static void
test_transaction_contract_creation (void)
{
  g_auto(UsdtpayTransaction) tx = { 0 };
  g_auto(UsdtpayTransaction) back = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayKey) key = usdtpay_key_new_random ();
  g_autoptr(GBytes) code = g_bytes_new_static ("\x60\x00\x60\x00", 4);
  g_autoptr(GBytes) raw = NULL;
  UsdtpaySignature signature;

  usdtpay_transaction_init (&tx, USDTPAY_TRANSACTION_EIP1559);
  tx.chain_id = 1;
  tx.gas_limit = 53000;
  usdtpay_transaction_set_data (&tx, code);
  raw = usdtpay_transaction_sign (&tx, key, &error);
  g_assert_no_error (error);
  g_assert_true (usdtpay_transaction_decode (&back, g_bytes_get_data (raw, NULL), g_bytes_get_size (raw),
                                             &signature, &error));
  g_assert_no_error (error);
  g_assert_false (back.has_to);
  g_assert_true (g_bytes_equal (back.data, code));
}

static void
test_transaction_fee_order (void)
{
  g_auto(UsdtpayTransaction) tx = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayKey) key = usdtpay_key_new_random ();
  g_autoptr(GBytes) raw = NULL;

  usdtpay_transaction_init (&tx, USDTPAY_TRANSACTION_EIP1559);
  tx.chain_id = 1;
  tx.gas_limit = 21000;
  usdtpay_uint256_set_uint64 (&tx.max_fee_per_gas, 10);
  usdtpay_uint256_set_uint64 (&tx.max_priority_fee_per_gas, 11);
  raw = usdtpay_transaction_sign (&tx, key, &error);
  g_assert_null (raw);
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_TRANSACTION);
}

static void
check_decode_refused (const char *hex)
{
  g_auto(UsdtpayTransaction) tx = { 0 };
  g_autoptr(GBytes) raw = usdtpay_hex_decode (hex, NULL);
  g_autoptr(GError) error = NULL;
  UsdtpaySignature signature;

  g_assert_nonnull (raw);
  g_assert_false (usdtpay_transaction_decode (&tx, g_bytes_get_data (raw, NULL), g_bytes_get_size (raw),
                                              &signature, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == USDTPAY_CHAIN_ERROR);
  g_assert_null (tx.data);
}

static void
test_transaction_decode_refused (void)
{
  g_autofree char *truncated = g_strndup (EIP155_SIGNED, strlen (EIP155_SIGNED) - 2);
  g_autofree char *trailing = g_strconcat (EIP155_SIGNED, "00", NULL);

  check_decode_refused ("0x");
  check_decode_refused ("0x01c0");             /* type 1 is not supported */
  check_decode_refused ("0x02c0");             /* no fields */
  check_decode_refused ("0xc0");
  check_decode_refused (truncated);
  check_decode_refused (trailing);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chain/transaction/eip155", test_transaction_eip155);
  g_test_add_func ("/chain/transaction/decode-legacy", test_transaction_decode_legacy);
  g_test_add_func ("/chain/transaction/eip1559", test_transaction_eip1559);
  g_test_add_func ("/chain/transaction/contract-creation", test_transaction_contract_creation);
  g_test_add_func ("/chain/transaction/fee-order", test_transaction_fee_order);
  g_test_add_func ("/chain/transaction/decode-refused", test_transaction_decode_refused);

  return g_test_run ();
}
