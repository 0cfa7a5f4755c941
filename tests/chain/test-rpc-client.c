/* test-rpc-client.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The JSON-RPC client against an in-process HTTP server that answers what
 * each test tells it to: good answers, JSON-RPC errors, HTTP errors,
 * mismatched ids and garbage. The real node is in test-rpc-anvil.c.
 */

#include "config.h"

#include <libsoup/soup.h>

#include "usdtpay-chain.h"

typedef struct
{
  SoupServer *server;
  char *url;
  /* What the server answers next: a body template where %ID% becomes the
   * request's id, and a status.
   */
  char *answer;
  guint status;
  char *last_method;
  JsonNode *last_params;
} Fixture;

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  Fixture *f = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) request = soup_message_body_flatten (body);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GString) answer = g_string_new (f->answer);
  g_autofree char *id = NULL;
  JsonObject *object;

  g_assert_cmpstr (soup_server_message_get_method (msg), ==, "POST");
  g_assert_cmpstr (soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL),
                   ==, "application/json");
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (request, NULL),
                                             (gssize)g_bytes_get_size (request), NULL));
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (object, "jsonrpc"), ==, "2.0");
  id = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (object, "id"));
  g_free (f->last_method);
  f->last_method = g_strdup (json_object_get_string_member (object, "method"));
  g_clear_pointer (&f->last_params, json_node_unref);
  f->last_params = json_node_copy (json_object_get_member (object, "params"));

  g_string_replace (answer, "%ID%", id, 0);
  soup_server_message_set_status (msg, f->status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, answer->str, answer->len);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, NULL, server_cb, f, NULL);
  g_assert_true (soup_server_listen_local (f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (f->server);
  f->url = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  f->status = 200;
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->server);
  g_clear_pointer (&f->url, g_free);
  g_clear_pointer (&f->answer, g_free);
  g_clear_pointer (&f->last_method, g_free);
  g_clear_pointer (&f->last_params, json_node_unref);
}

static void
answer (Fixture    *f,
        guint       status,
        const char *body)
{
  g_free (f->answer);
  f->answer = g_strdup (body);
  f->status = status;
}

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
test_rpc_result (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(UsdtpayRpcClient) client = usdtpay_rpc_client_new (f->url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint64 chain_id = 0;

  answer (f, 200, "{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0x7a69\"}");
  usdtpay_rpc_client_chain_id_async (client, NULL, store_result_cb, &result);
  g_assert_true (usdtpay_rpc_client_chain_id_finish (client, wait_for (&result), &chain_id, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (chain_id, ==, 31337);
  g_assert_cmpstr (f->last_method, ==, "eth_chainId");
  g_assert_true (JSON_NODE_HOLDS_ARRAY (f->last_params));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (f->last_params)), ==, 0);
}

static void
test_rpc_params (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(UsdtpayRpcClient) client = usdtpay_rpc_client_new (f->url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) call = NULL;
  g_autoptr(GBytes) returned = NULL;
  UsdtpayAddress token, owner;
  UsdtpayUint256 balance;
  JsonArray *params;
  gint64 amount = 0;

  g_assert_true (usdtpay_address_parse (&token, "0x5FbDB2315678afecb367f032d93F642f64180aa3", NULL));
  g_assert_true (usdtpay_address_parse (&owner, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", NULL));
  call = usdtpay_abi_encode_balance_of (&owner);

  answer (f, 200, "{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0x00000000000000000000000000000000000000000000000000000000000f4240\"}");
  usdtpay_rpc_client_call_contract_async (client, &token, call, NULL, NULL, store_result_cb, &result);
  returned = usdtpay_rpc_client_call_contract_finish (client, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_true (usdtpay_abi_decode_uint256 (g_bytes_get_data (returned, NULL), g_bytes_get_size (returned),
                                             &balance, &error));
  g_assert_true (usdtpay_uint256_to_int64 (&balance, &amount, &error));
  g_assert_cmpint (amount, ==, 1000000);

  g_assert_cmpstr (f->last_method, ==, "eth_call");
  params = json_node_get_array (f->last_params);
  g_assert_cmpuint (json_array_get_length (params), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (params, 0), "to"), ==,
                   "0x5FbDB2315678afecb367f032d93F642f64180aa3");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (params, 0), "data"), ==,
                   "0x70a08231000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266");
  g_assert_cmpstr (json_array_get_string_element (params, 1), ==, "latest");
}

static void
test_rpc_error (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(UsdtpayRpcClient) client = usdtpay_rpc_client_new (f->url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autoptr(GBytes) raw = g_bytes_new_static ("\x01\x02", 2);

  answer (f, 200, "{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"error\":{\"code\":-32000,\"message\":\"nonce too low\"}}");
  usdtpay_rpc_client_send_raw_transaction_async (client, raw, NULL, store_result_cb, &result);
  hash = usdtpay_rpc_client_send_raw_transaction_finish (client, wait_for (&result), &error);
  g_assert_null (hash);
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_RPC);
  g_assert_nonnull (strstr (error->message, "-32000"));
  g_assert_nonnull (strstr (error->message, "nonce too low"));
  g_assert_nonnull (strstr (error->message, "eth_sendRawTransaction"));
  g_assert_cmpstr (json_array_get_string_element (json_node_get_array (f->last_params), 0), ==, "0x0102");
}

static void
check_call_fails (Fixture    *f,
                  guint       status,
                  const char *body,
                  GQuark      domain,
                  int         code)
{
  g_autoptr(UsdtpayRpcClient) client = usdtpay_rpc_client_new (f->url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint64 number = 0;

  answer (f, status, body);
  usdtpay_rpc_client_block_number_async (client, NULL, store_result_cb, &result);
  g_assert_false (usdtpay_rpc_client_block_number_finish (client, wait_for (&result), &number, &error));
  g_assert_error (error, domain, code);
}

static void
test_rpc_bad_answers (Fixture       *f,
                      gconstpointer  data)
{
  check_call_fails (f, 500, "Internal Server Error", USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_HTTP);
  check_call_fails (f, 429, "", USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_HTTP);
  check_call_fails (f, 200, "not json", USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_PROTOCOL);
  check_call_fails (f, 200, "[1]", USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_PROTOCOL);
  check_call_fails (f, 200, "{\"jsonrpc\":\"2.0\",\"id\":999999,\"result\":\"0x1\"}",
                    USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_PROTOCOL);
  check_call_fails (f, 200, "{\"jsonrpc\":\"2.0\",\"id\":%ID%}", USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_PROTOCOL);
  check_call_fails (f, 200, "{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":12}",
                    USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_PROTOCOL);
  check_call_fails (f, 200, "{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0xzz\"}",
                    USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_HEX);
  check_call_fails (f, 200, "{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0x10000000000000000\"}",
                    USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_OVERFLOW);
  /* A JSON-RPC error wins over the HTTP status some nodes send with it. */
  check_call_fails (f, 400, "{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"error\":{\"code\":-32601,\"message\":\"no\"}}",
                    USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_RPC);
}

static void
test_rpc_not_found (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(UsdtpayRpcClient) client = usdtpay_rpc_client_new (f->url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) receipt = NULL;

  answer (f, 200, "{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":null}");
  usdtpay_rpc_client_get_transaction_receipt_async (client,
                                                    "0x7d0c1f6a2f3b3b0f5bcf2e6b58e1a7f6e3d1c4b2a09f8e7d6c5b4a3928170605",
                                                    NULL, store_result_cb, &result);
  receipt = usdtpay_rpc_client_get_transaction_receipt_finish (client, wait_for (&result), &error);
  g_assert_null (receipt);
  g_assert_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_NOT_FOUND);
}

static void
test_rpc_ids (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(UsdtpayRpcClient) client = usdtpay_rpc_client_new (f->url);
  GAsyncResult *results[5] = { NULL };

  /* Calls in flight together each get their own id, which the server
   * echoes; each finishes with its own answer.
   */
  answer (f, 200, "{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0x%ID%\"}");
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    usdtpay_rpc_client_block_number_async (client, NULL, store_result_cb, &results[i]);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 n = 0;

      g_assert_true (usdtpay_rpc_client_block_number_finish (client, wait_for (&results[i]), &n, &error));
      g_assert_no_error (error);
      /* "0x%ID%" reads the decimal id as hex: ids 1..5 are the same. */
      g_assert_cmpuint (n, ==, i + 1);
      g_clear_object (&results[i]);
    }
}

static void
test_rpc_cancel (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(UsdtpayRpcClient) client = usdtpay_rpc_client_new (f->url);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint64 n;

  answer (f, 200, "{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0x1\"}");
  usdtpay_rpc_client_block_number_async (client, cancellable, store_result_cb, &result);
  g_cancellable_cancel (cancellable);
  g_assert_false (usdtpay_rpc_client_block_number_finish (client, wait_for (&result), &n, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_rpc_unreachable (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(UsdtpayRpcClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  guint64 n;

  /* A port that was free a moment ago and has no listener now. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  url = g_strdup_printf ("http://127.0.0.1:%u/", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (socket, NULL);

  client = usdtpay_rpc_client_new (url);
  usdtpay_rpc_client_block_number_async (client, NULL, store_result_cb, &result);
  g_assert_false (usdtpay_rpc_client_block_number_finish (client, wait_for (&result), &n, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_nonnull (strstr (error->message, "eth_blockNumber"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/chain/rpc-client/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("result", test_rpc_result);
  ADD ("params", test_rpc_params);
  ADD ("error", test_rpc_error);
  ADD ("bad-answers", test_rpc_bad_answers);
  ADD ("not-found", test_rpc_not_found);
  ADD ("ids", test_rpc_ids);
  ADD ("cancel", test_rpc_cancel);
#undef ADD
  g_test_add_func ("/chain/rpc-client/unreachable", test_rpc_unreachable);

  return g_test_run ();
}
