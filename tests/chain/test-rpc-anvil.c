/* test-rpc-anvil.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The chain library against a real node: Anvil from the npm package of
 * Foundry, started on a free port in a temporary directory and stopped at
 * the end. Transactions are built and signed by our code; a test token is
 * compiled from TestToken.sol with the solc npm package. The packages come
 * from build-aux/install-npm-deps ($USDTPAY_NPM_DIR or ~/.cache/usdtpay/npm);
 * without them the test fails.
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <glib/gstdio.h>

#include "usdtpay-chain.h"

/* The first development account of Anvil's default mnemonic. */
#define DEV_KEY "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define DEV_ADDRESS "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"

static struct {
  char *npm_dir;
  char *tmpdir;
  GSubprocess *anvil;
  char *url;
  UsdtpayRpcClient *client;
  UsdtpayKey *key;
} node;

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
kill_with_parent (gpointer user_data)
{
  /* If the test aborts, the kernel stops Anvil with it. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static guint16
free_port (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);
  guint16 port;

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);
  return port;
}

static gboolean
start_anvil (GError **error)
{
  g_autofree char *anvil = g_build_filename (node.npm_dir, "node_modules", "@foundry-rs",
                                             "anvil-linux-amd64", "bin", "anvil", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *port = NULL;
  gint64 deadline;

  if (!g_file_test (anvil, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "anvil is missing at %s; run build-aux/install-npm-deps first "
                   "(it honours USDTPAY_NPM_DIR)", anvil);
      return FALSE;
    }

  port = g_strdup_printf ("%u", free_port ());
  node.url = g_strdup_printf ("http://127.0.0.1:%s", port);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_cwd (launcher, node.tmpdir);
  g_subprocess_launcher_setenv (launcher, "HOME", node.tmpdir, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, kill_with_parent, NULL, NULL);
  node.anvil = g_subprocess_launcher_spawn (launcher, error, anvil,
                                            "--host", "127.0.0.1", "--port", port,
                                            "--chain-id", "31337", NULL);
  if (node.anvil == NULL)
    return FALSE;

  node.client = usdtpay_rpc_client_new (node.url);
  usdtpay_rpc_client_set_timeout (node.client, 10);

  /* Ready when eth_chainId answers. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (TRUE)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) local_error = NULL;
      guint64 chain_id;

      usdtpay_rpc_client_chain_id_async (node.client, NULL, store_result_cb, &result);
      if (usdtpay_rpc_client_chain_id_finish (node.client, wait_for (&result), &chain_id, &local_error))
        return TRUE;
      if (g_get_monotonic_time () > deadline)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      "anvil did not answer on %s within 30 s: ", node.url);
          return FALSE;
        }
      g_usleep (100 * 1000);
    }
}

static void
stop_anvil (void)
{
  g_clear_object (&node.client);
  if (node.anvil != NULL)
    {
      g_subprocess_send_signal (node.anvil, SIGTERM);
      g_subprocess_wait (node.anvil, NULL, NULL);
      g_clear_object (&node.anvil);
    }
}

/* The temporary directory holds the token source, solc's output and
 * whatever Anvil leaves under its HOME.
 */
static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
    }
  g_rmdir (path);
}

/* Synchronous wrappers over the async API, for the test's linear story. */

static guint64
get_nonce (const UsdtpayAddress *address)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint64 nonce = 0;

  usdtpay_rpc_client_get_transaction_count_async (node.client, address, "pending", NULL,
                                                  store_result_cb, &result);
  g_assert_true (usdtpay_rpc_client_get_transaction_count_finish (node.client, wait_for (&result),
                                                                  &nonce, &error));
  g_assert_no_error (error);
  return nonce;
}

static void
get_balance (const UsdtpayAddress *address,
             UsdtpayUint256       *balance)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  usdtpay_rpc_client_get_balance_async (node.client, address, NULL, NULL, store_result_cb, &result);
  g_assert_true (usdtpay_rpc_client_get_balance_finish (node.client, wait_for (&result), balance, &error));
  g_assert_no_error (error);
}

static void
get_fees (UsdtpayUint256 *gas_price,
          UsdtpayUint256 *priority_fee)
{
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GError) error = NULL;

  usdtpay_rpc_client_gas_price_async (node.client, NULL, store_result_cb, &r1);
  usdtpay_rpc_client_max_priority_fee_async (node.client, NULL, store_result_cb, &r2);
  g_assert_true (usdtpay_rpc_client_gas_price_finish (node.client, wait_for (&r1), gas_price, &error));
  g_assert_no_error (error);
  g_assert_true (usdtpay_rpc_client_max_priority_fee_finish (node.client, wait_for (&r2), priority_fee, &error));
  g_assert_no_error (error);
  g_assert_false (usdtpay_uint256_is_zero (gas_price));
}

/* Sends a raw transaction, checks the node's hash against ours, and waits
 * for a successful receipt.
 */
static JsonObject *
send_and_confirm (GBytes *raw)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *our_hash = NULL;
  guint8 digest[32];
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  usdtpay_rpc_client_send_raw_transaction_async (node.client, raw, NULL, store_result_cb, &result);
  hash = usdtpay_rpc_client_send_raw_transaction_finish (node.client, wait_for (&result), &error);
  g_assert_no_error (error);
  usdtpay_transaction_hash_raw (raw, digest);
  our_hash = usdtpay_hex_encode (digest, 32);
  g_assert_cmpstr (hash, ==, our_hash);

  while (TRUE)
    {
      g_autoptr(GAsyncResult) r = NULL;
      g_autoptr(JsonObject) receipt = NULL;

      usdtpay_rpc_client_get_transaction_receipt_async (node.client, hash, NULL, store_result_cb, &r);
      receipt = usdtpay_rpc_client_get_transaction_receipt_finish (node.client, wait_for (&r), &error);
      if (receipt != NULL)
        {
          g_assert_cmpstr (json_object_get_string_member (receipt, "transactionHash"), ==, hash);
          g_assert_cmpstr (json_object_get_string_member (receipt, "status"), ==, "0x1");
          return g_steal_pointer (&receipt);
        }
      g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_NOT_FOUND);
      g_clear_error (&error);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100 * 1000);
    }
}

static void
test_anvil_basics (void)
{
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) block = NULL;
  g_autofree char *balance_text = NULL;
  g_autofree char *address = NULL;
  UsdtpayUint256 balance;
  guint64 chain_id = 0, number = 1;

  address = usdtpay_key_dup_address_string (node.key);
  g_assert_cmpstr (address, ==, DEV_ADDRESS);

  usdtpay_rpc_client_chain_id_async (node.client, NULL, store_result_cb, &r1);
  g_assert_true (usdtpay_rpc_client_chain_id_finish (node.client, wait_for (&r1), &chain_id, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (chain_id, ==, 31337);

  usdtpay_rpc_client_block_number_async (node.client, NULL, store_result_cb, &r2);
  g_assert_true (usdtpay_rpc_client_block_number_finish (node.client, wait_for (&r2), &number, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (number, ==, 0);

  usdtpay_rpc_client_get_block_by_number_async (node.client, "latest", FALSE, NULL, store_result_cb, &r3);
  block = usdtpay_rpc_client_get_block_by_number_finish (node.client, wait_for (&r3), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (block, "number"), ==, "0x0");

  /* 10 000 ETH */
  get_balance (usdtpay_key_get_address (node.key), &balance);
  balance_text = usdtpay_uint256_to_decimal (&balance);
  g_assert_cmpstr (balance_text, ==, "10000000000000000000000");
  g_assert_cmpuint (get_nonce (usdtpay_key_get_address (node.key)), ==, 0);
}

static void
test_anvil_eth_transfers (void)
{
  g_autoptr(UsdtpayKey) recipient = usdtpay_key_new_random ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw1 = NULL;
  g_autoptr(GBytes) raw2 = NULL;
  g_autoptr(JsonObject) receipt1 = NULL;
  g_autoptr(JsonObject) receipt2 = NULL;
  g_autoptr(GAsyncResult) again = NULL;
  g_autofree char *again_hash = NULL;
  g_autofree char *received = NULL;
  g_autofree char *recipient_text = usdtpay_key_dup_address_string (recipient);
  g_autofree char *recipient_lower = g_ascii_strdown (recipient_text, -1);
  g_auto(UsdtpayTransaction) tx1 = { 0 };
  g_auto(UsdtpayTransaction) tx2 = { 0 };
  UsdtpayUint256 gas_price, priority_fee, balance;
  guint64 nonce = get_nonce (usdtpay_key_get_address (node.key));

  get_fees (&gas_price, &priority_fee);

  /* 1.5 ETH in an EIP-1559 transaction */
  usdtpay_transaction_init (&tx1, USDTPAY_TRANSACTION_EIP1559);
  tx1.chain_id = 31337;
  tx1.nonce = nonce;
  tx1.max_priority_fee_per_gas = priority_fee;
  g_assert_true (usdtpay_uint256_parse_quantity (&tx1.max_fee_per_gas, "0x2540be400", NULL)); /* 10 gwei */
  g_assert_cmpint (usdtpay_uint256_compare (&tx1.max_fee_per_gas, &gas_price), >, 0);
  tx1.gas_limit = 21000;
  tx1.has_to = TRUE;
  tx1.to = *usdtpay_key_get_address (recipient);
  usdtpay_uint256_set_uint64 (&tx1.value, G_GUINT64_CONSTANT (1500000000000000000));
  raw1 = usdtpay_transaction_sign (&tx1, node.key, &error);
  g_assert_no_error (error);
  receipt1 = send_and_confirm (raw1);
  g_assert_cmpstr (json_object_get_string_member (receipt1, "to"), ==, recipient_lower);
  g_assert_cmpstr (json_object_get_string_member (receipt1, "type"), ==, "0x2");

  /* 0.25 ETH in a legacy EIP-155 transaction */
  usdtpay_transaction_init (&tx2, USDTPAY_TRANSACTION_LEGACY);
  tx2.chain_id = 31337;
  tx2.nonce = nonce + 1;
  tx2.gas_price = gas_price;
  tx2.gas_limit = 21000;
  tx2.has_to = TRUE;
  tx2.to = *usdtpay_key_get_address (recipient);
  usdtpay_uint256_set_uint64 (&tx2.value, G_GUINT64_CONSTANT (250000000000000000));
  raw2 = usdtpay_transaction_sign (&tx2, node.key, &error);
  g_assert_no_error (error);
  receipt2 = send_and_confirm (raw2);
  g_assert_cmpstr (json_object_get_string_member (receipt2, "type"), ==, "0x0");

  get_balance (usdtpay_key_get_address (recipient), &balance);
  received = usdtpay_uint256_to_decimal (&balance);
  g_assert_cmpstr (received, ==, "1750000000000000000");
  g_assert_cmpuint (get_nonce (usdtpay_key_get_address (node.key)), ==, nonce + 2);

  /* The same transaction again is a JSON-RPC error, not a second payment. */
  usdtpay_rpc_client_send_raw_transaction_async (node.client, raw1, NULL, store_result_cb, &again);
  again_hash = usdtpay_rpc_client_send_raw_transaction_finish (node.client, wait_for (&again), &error);
  g_assert_null (again_hash);
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_RPC);
  g_test_message ("resend: %s", error->message);
}

static GBytes *
compile_token (void)
{
  g_autofree char *solc = g_build_filename (node.npm_dir, "node_modules", "solc", "solc.js", NULL);
  g_autofree char *source = g_build_filename (g_getenv ("USDTPAY_SRCDIR"), "tests", "chain",
                                              "TestToken.sol", NULL);
  g_autofree char *copy = g_build_filename (node.tmpdir, "TestToken.sol", NULL);
  g_autofree char *bin_path = g_build_filename (node.tmpdir, "out", "TestToken_sol_TestToken.bin", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *bin = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *code;
  gsize len;

  if (!g_file_test (solc, G_FILE_TEST_EXISTS))
    g_error ("solc is missing at %s; run build-aux/install-npm-deps first", solc);

  g_assert_true (g_file_get_contents (source, &contents, &len, &error));
  g_assert_true (g_file_set_contents (copy, contents, (gssize)len, &error));

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_cwd (launcher, node.tmpdir);
  proc = g_subprocess_launcher_spawn (launcher, &error, "node", solc, "--bin", "--optimize",
                                      "-o", "out", "TestToken.sol", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (proc, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (bin_path, &bin, NULL, &error));
  g_assert_no_error (error);
  code = usdtpay_hex_decode (g_strstrip (bin), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (code), >, 100);
  return code;
}

static void
balance_of (const UsdtpayAddress *token,
            const UsdtpayAddress *owner,
            gint64               *amount)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) call = usdtpay_abi_encode_balance_of (owner);
  g_autoptr(GBytes) returned = NULL;
  UsdtpayUint256 value;

  usdtpay_rpc_client_call_contract_async (node.client, token, call, "latest", NULL, store_result_cb, &result);
  returned = usdtpay_rpc_client_call_contract_finish (node.client, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_true (usdtpay_abi_decode_uint256 (g_bytes_get_data (returned, NULL), g_bytes_get_size (returned),
                                             &value, &error));
  g_assert_no_error (error);
  g_assert_true (usdtpay_uint256_to_int64 (&value, amount, &error));
  g_assert_no_error (error);
}

/* Deploy the token, transfer 12.5 USDT, read balances and Transfer logs. */
static void
test_anvil_token (void)
{
  g_autoptr(GBytes) code = compile_token ();
  g_autoptr(UsdtpayKey) recipient = usdtpay_key_new_random ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) deploy_raw = NULL;
  g_autoptr(GBytes) transfer_raw = NULL;
  g_autoptr(GBytes) call = NULL;
  g_autoptr(JsonObject) deploy_receipt = NULL;
  g_autoptr(JsonObject) transfer_receipt = NULL;
  g_autoptr(JsonObject) filter = json_object_new ();
  g_autoptr(JsonNode) filter_node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonArray) logs = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *token_text = NULL;
  g_auto(UsdtpayTransaction) deploy = { 0 };
  g_auto(UsdtpayTransaction) transfer = { 0 };
  UsdtpayUint256 gas_price, priority_fee, amount;
  UsdtpayAddress token, zero = {{ 0 }};
  UsdtpayTransferLog mint_log, transfer_log;
  JsonArray *topics;
  guint64 nonce = get_nonce (usdtpay_key_get_address (node.key));
  gint64 held = 0;
  guint8 transfer_hash[32];

  get_fees (&gas_price, &priority_fee);

  usdtpay_transaction_init (&deploy, USDTPAY_TRANSACTION_EIP1559);
  deploy.chain_id = 31337;
  deploy.nonce = nonce;
  deploy.max_priority_fee_per_gas = priority_fee;
  g_assert_true (usdtpay_uint256_parse_quantity (&deploy.max_fee_per_gas, "0x2540be400", NULL));
  deploy.gas_limit = 2000000;
  usdtpay_transaction_set_data (&deploy, code);
  deploy_raw = usdtpay_transaction_sign (&deploy, node.key, &error);
  g_assert_no_error (error);
  deploy_receipt = send_and_confirm (deploy_raw);
  g_assert_true (usdtpay_address_parse (&token, json_object_get_string_member (deploy_receipt, "contractAddress"),
                                        &error));
  g_assert_no_error (error);
  token_text = usdtpay_address_to_string (&token);

  balance_of (&token, usdtpay_key_get_address (node.key), &held);
  g_assert_cmpint (held, ==, G_GINT64_CONSTANT (1000000000000));

  /* 12.5 USDT */
  g_assert_true (usdtpay_uint256_set_int64 (&amount, 12500000, NULL));
  call = usdtpay_abi_encode_transfer (usdtpay_key_get_address (recipient), &amount);
  usdtpay_transaction_init (&transfer, USDTPAY_TRANSACTION_EIP1559);
  transfer.chain_id = 31337;
  transfer.nonce = nonce + 1;
  transfer.max_priority_fee_per_gas = priority_fee;
  g_assert_true (usdtpay_uint256_parse_quantity (&transfer.max_fee_per_gas, "0x2540be400", NULL));
  transfer.gas_limit = 100000;
  transfer.has_to = TRUE;
  transfer.to = token;
  usdtpay_transaction_set_data (&transfer, call);
  transfer_raw = usdtpay_transaction_sign (&transfer, node.key, &error);
  g_assert_no_error (error);
  transfer_receipt = send_and_confirm (transfer_raw);
  usdtpay_transaction_hash_raw (transfer_raw, transfer_hash);

  balance_of (&token, usdtpay_key_get_address (recipient), &held);
  g_assert_cmpint (held, ==, 12500000);
  balance_of (&token, usdtpay_key_get_address (node.key), &held);
  g_assert_cmpint (held, ==, G_GINT64_CONSTANT (1000000000000) - 12500000);

  /* The token's Transfer logs: the mint, then ours. */
  json_object_set_string_member (filter, "address", token_text);
  json_object_set_string_member (filter, "fromBlock", "0x0");
  json_object_set_string_member (filter, "toBlock", "latest");
  topics = json_array_new ();
  json_array_add_string_element (topics, USDTPAY_ABI_TRANSFER_TOPIC);
  json_object_set_array_member (filter, "topics", topics);
  json_node_set_object (filter_node, filter);
  usdtpay_rpc_client_get_logs_async (node.client, filter_node, NULL, store_result_cb, &result);
  logs = usdtpay_rpc_client_get_logs_finish (node.client, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (logs), ==, 2);

  g_assert_true (usdtpay_abi_decode_transfer_log (json_array_get_object_element (logs, 0), &mint_log, &error));
  g_assert_no_error (error);
  g_assert_true (usdtpay_address_equal (&mint_log.from, &zero));
  g_assert_true (usdtpay_address_equal (&mint_log.to, usdtpay_key_get_address (node.key)));
  g_assert_true (usdtpay_address_equal (&mint_log.token, &token));

  g_assert_true (usdtpay_abi_decode_transfer_log (json_array_get_object_element (logs, 1), &transfer_log, &error));
  g_assert_no_error (error);
  g_assert_true (usdtpay_address_equal (&transfer_log.from, usdtpay_key_get_address (node.key)));
  g_assert_true (usdtpay_address_equal (&transfer_log.to, usdtpay_key_get_address (recipient)));
  g_assert_cmpint (usdtpay_uint256_compare (&transfer_log.value, &amount), ==, 0);
  g_assert_cmpmem (transfer_log.transaction_hash, 32, transfer_hash, 32);
  g_assert_cmpuint (transfer_log.block_number, >, mint_log.block_number);
  g_assert_false (transfer_log.removed);

  /* Only the transfers to the recipient, in the blocks up to ours. */
  {
    g_autoptr(GAsyncResult) r = NULL;
    g_autoptr(JsonNode) to_filter = usdtpay_abi_new_transfer_filter (&token, usdtpay_key_get_address (recipient),
                                                                     0, transfer_log.block_number);
    g_autoptr(JsonArray) to_logs = NULL;
    UsdtpayTransferLog only;

    usdtpay_rpc_client_get_logs_async (node.client, to_filter, NULL, store_result_cb, &r);
    to_logs = usdtpay_rpc_client_get_logs_finish (node.client, wait_for (&r), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (json_array_get_length (to_logs), ==, 1);
    g_assert_true (usdtpay_abi_decode_transfer_log (json_array_get_object_element (to_logs, 0), &only, &error));
    g_assert_no_error (error);
    g_assert_cmpmem (only.transaction_hash, 32, transfer_hash, 32);
    g_assert_cmpuint (only.log_index, ==, transfer_log.log_index);
  }
}

static void
test_anvil_errors (void)
{
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonObject) receipt = NULL;
  g_autoptr(JsonObject) block = NULL;

  usdtpay_rpc_client_call_async (node.client, "eth_noSuchMethod", NULL, NULL, store_result_cb, &r1);
  answer = usdtpay_rpc_client_call_finish (node.client, wait_for (&r1), &error);
  g_assert_null (answer);
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_RPC);
  g_clear_error (&error);

  usdtpay_rpc_client_get_transaction_receipt_async (node.client,
                                                    "0x7d0c1f6a2f3b3b0f5bcf2e6b58e1a7f6e3d1c4b2a09f8e7d6c5b4a3928170605",
                                                    NULL, store_result_cb, &r2);
  receipt = usdtpay_rpc_client_get_transaction_receipt_finish (node.client, wait_for (&r2), &error);
  g_assert_null (receipt);
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_NOT_FOUND);
  g_clear_error (&error);

  usdtpay_rpc_client_get_block_by_number_async (node.client, "0xf4240", FALSE, NULL, store_result_cb, &r3);
  block = usdtpay_rpc_client_get_block_by_number_finish (node.client, wait_for (&r3), &error);
  g_assert_null (block);
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_NOT_FOUND);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  node.npm_dir = g_strdup (g_getenv ("USDTPAY_NPM_DIR"));
  if (node.npm_dir == NULL || *node.npm_dir == '\0')
    {
      g_free (node.npm_dir);
      node.npm_dir = g_build_filename (g_get_home_dir (), ".cache", "usdtpay", "npm", NULL);
    }
  node.tmpdir = g_dir_make_tmp ("usdtpay-anvil-XXXXXX", &error);
  g_assert_no_error (error);
  node.key = usdtpay_key_new_from_hex (DEV_KEY, &error);
  g_assert_no_error (error);

  if (!start_anvil (&error))
    {
      g_printerr ("test-rpc-anvil: %s\n", error->message);
      stop_anvil ();
      return 1;
    }

  g_test_add_func ("/chain/anvil/basics", test_anvil_basics);
  g_test_add_func ("/chain/anvil/eth-transfers", test_anvil_eth_transfers);
  g_test_add_func ("/chain/anvil/token", test_anvil_token);
  g_test_add_func ("/chain/anvil/errors", test_anvil_errors);

  status = g_test_run ();

  stop_anvil ();
  remove_tree (node.tmpdir);
  g_clear_object (&node.key);
  g_clear_pointer (&node.url, g_free);
  g_clear_pointer (&node.tmpdir, g_free);
  g_clear_pointer (&node.npm_dir, g_free);

  return status;
}
