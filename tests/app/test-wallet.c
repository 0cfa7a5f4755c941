/* test-wallet.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-wallet.h"

static void
test_parse_amount (void)
{
  static const struct { const char *text; gint64 micro; } good[] = {
    { "100", 100000000 },
    { "12.5", 12500000 },
    { " 0.000001 ", 1 },
    { "9223372036854.775807", G_MAXINT64 },
  };
  static const char *bad[] = {
    "", "   ", "0", "0.000000", "-1", "+1", "1e3", "1.0000001", "01", ".5", "5.", "1,5",
    "9223372036854.775808", "abc", "１",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 micro = 0;

      g_assert_true (usdtpay_wallet_parse_amount (good[i].text, &micro, &error));
      g_assert_no_error (error);
      g_assert_cmpint (micro, ==, good[i].micro);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 micro = -7;

      g_assert_false (usdtpay_wallet_parse_amount (bad[i], &micro, &error));
      g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
      g_assert_cmpint (micro, ==, -7);
      /* A sentence for a person, never empty. */
      g_assert_cmpuint (strlen (error->message), >, 10);
    }
}

static void
test_format_eth (void)
{
  static const struct { const char *quantity; const char *text; } cases[] = {
    { "0x0", "0.000000" },
    { "0x1", "0.000000000000000001" },
    { "0xde0b6b3a7640000", "1.000000" },                      /* 1 ETH */
    { "0x21e19e0c9bab2400000", "10000.000000" },              /* 10 000 ETH */
    { "0x21e19e0c9bab23fffff", "9999.999999999999999999" },
    { "0x1bc16d674ec80001", "2.000000000000000001" },
    { "0x2386f26fc10000", "0.010000" },
    { "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "115792089237316195423570985008687907853269984665640564039457.584007913129639935" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      UsdtpayUint256 wei;
      g_autofree char *text = NULL;

      g_assert_true (usdtpay_uint256_parse_quantity (&wei, cases[i].quantity, NULL));
      text = usdtpay_wallet_format_eth (&wei);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static void
test_schema (void)
{
  const SecretSchema *schema = usdtpay_wallet_key_schema ();

  g_assert_cmpstr (schema->name, ==, "com.example.UsdtPay.WalletKey");
  g_assert_cmpstr (schema->attributes[0].name, ==, "platform");
  g_assert_cmpstr (schema->attributes[1].name, ==, "account");
  g_assert_null (schema->attributes[2].name);
}

static JsonObject *
chain_info (const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

static void
test_set_chain (void)
{
  static const char *bad[] = {
    /* Another token's decimals. */
    "{\"chain_id\":1,\"rpc_url\":\"http://127.0.0.1:8545\",\"token\":\"0x5FbDB2315678afecb367f032d93F642f64180aa3\","
    "\"decimals\":18,\"escrow_address\":\"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\",\"confirmations\":12}",
    /* Plain HTTP to another machine. */
    "{\"chain_id\":1,\"rpc_url\":\"http://node.example.com:8545\",\"token\":\"0x5FbDB2315678afecb367f032d93F642f64180aa3\","
    "\"decimals\":6,\"escrow_address\":\"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\",\"confirmations\":12}",
    /* A wrong EIP-55 checksum (one letter's case changed). */
    "{\"chain_id\":1,\"rpc_url\":\"http://127.0.0.1:8545\",\"token\":\"0x5FbDB2315678afecb367f032d93F642f64180aA3\","
    "\"decimals\":6,\"escrow_address\":\"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\",\"confirmations\":12}",
    /* No escrow address. */
    "{\"chain_id\":1,\"rpc_url\":\"http://127.0.0.1:8545\",\"token\":\"0x5FbDB2315678afecb367f032d93F642f64180aa3\","
    "\"decimals\":6,\"confirmations\":12}",
  };
  g_autoptr(UsdtpayClient) client = usdtpay_client_new ("http://127.0.0.1:1", NULL);
  g_autoptr(UsdtpayWallet) wallet = usdtpay_wallet_new (client, "http://127.0.0.1:1", "alice");
  g_autoptr(JsonObject) good = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *escrow = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonObject) info = chain_info (bad[i]);
      g_autoptr(GError) local_error = NULL;

      g_assert_false (usdtpay_wallet_set_chain (wallet, info, &local_error));
      g_assert_error (local_error, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL);
      g_assert_false (usdtpay_wallet_has_chain (wallet));
    }

  /* The chain id is null until the platform's node answered once. */
  good = chain_info ("{\"chain_id\":null,\"rpc_url\":\"https://node.example.com\","
                     "\"token\":\"0x5FbDB2315678afecb367f032d93F642f64180aa3\",\"decimals\":6,"
                     "\"escrow_address\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\",\"confirmations\":3}");
  g_assert_true (usdtpay_wallet_set_chain (wallet, good, &error));
  g_assert_no_error (error);
  g_assert_true (usdtpay_wallet_has_chain (wallet));
  g_assert_cmpstr (usdtpay_wallet_get_rpc_url (wallet), ==, "https://node.example.com");
  g_assert_cmpuint (usdtpay_wallet_get_confirmations (wallet), ==, 3);
  escrow = usdtpay_address_to_string (usdtpay_wallet_get_escrow (wallet));
  g_assert_cmpstr (escrow, ==, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");

  /* A bad answer later changes nothing the wallet knew. */
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonObject) info = chain_info (bad[i]);
      g_autofree char *still = NULL;

      g_assert_false (usdtpay_wallet_set_chain (wallet, info, NULL));
      g_assert_true (usdtpay_wallet_has_chain (wallet));
      g_assert_cmpstr (usdtpay_wallet_get_rpc_url (wallet), ==, "https://node.example.com");
      still = usdtpay_address_to_string (usdtpay_wallet_get_escrow (wallet));
      g_assert_cmpstr (still, ==, escrow);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/wallet/parse-amount", test_parse_amount);
  g_test_add_func ("/app/wallet/format-eth", test_format_eth);
  g_test_add_func ("/app/wallet/schema", test_schema);
  g_test_add_func ("/app/wallet/set-chain", test_set_chain);

  return g_test_run ();
}
