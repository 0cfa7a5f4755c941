/* usdtpay-chain.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* usdtpay-chain: the chain library's primitives on the command line, for
 * operators and scripts. Hex goes in with or without 0x and comes out with
 * it; results go to stdout, errors to stderr with a non-zero exit (1 for a
 * refused input, 2 for a usage error).
 */

#define G_LOG_DOMAIN "usdtpay-chain"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <sodium.h>

#include "usdtpay-chain.h"

#define EXIT_USAGE 2

static const char usage_text[] =
  "Usage: usdtpay-chain COMMAND ARGS…\n"
  "\n"
  "Hex arguments may carry a 0x prefix; output hex always does. An argument\n"
  "given as “-” is read from standard input (one trailing newline removed),\n"
  "which keeps private keys out of the process list.\n"
  "\n"
  "Commands:\n"
  "  keccak HEX                  Keccak-256 of the bytes (HEX may be empty)\n"
  "  address PRIVKEY_HEX         the EIP-55 address of a private key\n"
  "  checksum ADDRESS            the EIP-55 form of an address; fails for a\n"
  "                              mixed-case address with a wrong checksum\n"
  "  rlp-encode JSON             RLP of a tree: a \"0x…\" string is bytes, an\n"
  "                              array is a list\n"
  "  rlp-decode HEX              that JSON tree; refuses non-canonical RLP\n"
  "  sign-tx JSON                a signed raw transaction from\n"
  "                              {\"type\":\"legacy\"|\"eip1559\",\"chainId\",\"nonce\",\n"
  "                               \"to\",\"value\",\"data\",\"gasLimit\",\"gasPrice\" or\n"
  "                               \"maxFeePerGas\"+\"maxPriorityFeePerGas\",\"privateKey\"}\n"
  "                              with 0x-hex quantities\n"
  "  sign-message PRIVKEY MESSAGE  the 65-byte EIP-191 personal_sign signature\n"
  "  recover MESSAGE SIGNATURE   the address that signed an EIP-191 message\n"
  "  --help                      this text\n";

/* Messages go out as UTF-8 whatever the locale: g_printerr() would turn
 * the library's quotation marks into “?” under LANG=C.
 */
static void
print_error (const char *message)
{
  fprintf (stderr, "usdtpay-chain: %s\n", message);
  fflush (stderr);
}

static int
usage_error (const char *message)
{
  print_error (message);
  fputs ("Try “usdtpay-chain --help”.\n", stderr);
  return EXIT_USAGE;
}

static int
fail (const GError *error)
{
  print_error (error->message);
  return EXIT_FAILURE;
}

static int
refuse (const char *message)
{
  print_error (message);
  return EXIT_FAILURE;
}

static void
print_line (const char *text)
{
  fputs (text, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

/* An argument, or standard input for “-”. */
static char *
read_argument (const char  *arg,
               GError     **error)
{
  GString *buf;
  char chunk[4096];
  size_t n;

  if (g_strcmp0 (arg, "-") != 0)
    return g_strdup (arg);

  buf = g_string_new (NULL);
  while ((n = fread (chunk, 1, sizeof chunk, stdin)) > 0)
    g_string_append_len (buf, chunk, (gssize)n);
  if (ferror (stdin))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not read standard input");
      g_string_free (buf, TRUE);
      return NULL;
    }
  if (buf->len > 0 && buf->str[buf->len - 1] == '\n')
    g_string_truncate (buf, buf->len - 1);
  if (buf->len > 0 && buf->str[buf->len - 1] == '\r')
    g_string_truncate (buf, buf->len - 1);
  return g_string_free (buf, FALSE);
}

static void
wipe_string (char *text)
{
  if (text != NULL)
    {
      sodium_memzero (text, strlen (text));
      g_free (text);
    }
}

static int
cmd_keccak (const char *arg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *input = NULL;
  g_autofree char *hex = NULL;
  guint8 hash[32];
  gsize len;
  const guint8 *data;

  if ((input = read_argument (arg, &error)) == NULL ||
      (bytes = usdtpay_hex_decode (input, &error)) == NULL)
    return fail (error);

  data = g_bytes_get_data (bytes, &len);
  usdtpay_keccak256 (data, len, hash);
  hex = usdtpay_hex_encode (hash, sizeof hash);
  print_line (hex);
  return EXIT_SUCCESS;
}

static UsdtpayKey *
load_key (const char  *arg,
          GError     **error)
{
  char *secret = read_argument (arg, error);
  UsdtpayKey *key;

  if (secret == NULL)
    return NULL;
  key = usdtpay_key_new_from_hex (g_strstrip (secret), error);
  wipe_string (secret);
  return key;
}

static int
cmd_address (const char *arg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayKey) key = NULL;
  g_autofree char *address = NULL;

  if ((key = load_key (arg, &error)) == NULL)
    return fail (error);

  address = usdtpay_key_dup_address_string (key);
  print_line (address);
  return EXIT_SUCCESS;
}

static int
cmd_checksum (const char *arg)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *input = NULL;
  g_autofree char *text = NULL;
  UsdtpayAddress address;

  if ((input = read_argument (arg, &error)) == NULL ||
      !usdtpay_address_parse (&address, input, &error))
    return fail (error);

  text = usdtpay_address_to_string (&address);
  print_line (text);
  return EXIT_SUCCESS;
}

static UsdtpayRlpItem *
rlp_from_json (JsonNode  *node,
               GError   **error)
{
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      g_autoptr(UsdtpayRlpItem) list = usdtpay_rlp_item_new_list ();

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          UsdtpayRlpItem *child = rlp_from_json (json_array_get_element (array, i), error);

          if (child == NULL)
            return NULL;
          usdtpay_rlp_item_append (list, child);
        }
      return g_steal_pointer (&list);
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      g_autoptr(GBytes) bytes = usdtpay_hex_decode (json_node_get_string (node), error);

      if (bytes == NULL)
        return NULL;
      return usdtpay_rlp_item_new_gbytes (bytes);
    }

  g_set_error_literal (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_RLP,
                       "An RLP tree in JSON holds only hex strings and arrays");
  return NULL;
}

static JsonNode *
rlp_to_json (const UsdtpayRlpItem *item)
{
  JsonNode *node;

  if (usdtpay_rlp_item_is_list (item))
    {
      JsonArray *array = json_array_new ();

      for (guint i = 0; i < usdtpay_rlp_item_get_n_items (item); i++)
        json_array_add_element (array, rlp_to_json (usdtpay_rlp_item_get_item (item, i)));
      node = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (node, array);
    }
  else
    {
      gsize len;
      const guint8 *data = usdtpay_rlp_item_get_data (item, &len);
      g_autofree char *hex = usdtpay_hex_encode (data, len);

      node = json_node_new (JSON_NODE_VALUE);
      json_node_set_string (node, hex);
    }

  return node;
}

static JsonNode *
parse_json (const char  *text,
            GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;

  if (!json_parser_load_from_data (parser, text, -1, error))
    {
      g_prefix_error (error, "Invalid JSON: ");
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE, "Invalid JSON: empty");
      return NULL;
    }
  return json_node_copy (root);
}

static int
cmd_rlp_encode (const char *arg)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *input = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(UsdtpayRlpItem) item = NULL;
  g_autoptr(GBytes) encoded = NULL;
  g_autofree char *hex = NULL;

  if ((input = read_argument (arg, &error)) == NULL ||
      (root = parse_json (input, &error)) == NULL ||
      (item = rlp_from_json (root, &error)) == NULL)
    return fail (error);

  encoded = usdtpay_rlp_encode (item);
  hex = usdtpay_hex_encode_bytes (encoded);
  print_line (hex);
  return EXIT_SUCCESS;
}

static int
cmd_rlp_decode (const char *arg)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *input = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(UsdtpayRlpItem) item = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *json = NULL;
  gsize len;
  const guint8 *data;

  if ((input = read_argument (arg, &error)) == NULL ||
      (bytes = usdtpay_hex_decode (input, &error)) == NULL)
    return fail (error);
  data = g_bytes_get_data (bytes, &len);
  if ((item = usdtpay_rlp_decode (data, len, &error)) == NULL)
    return fail (error);

  node = rlp_to_json (item);
  json = json_to_string (node, FALSE);
  print_line (json);
  return EXIT_SUCCESS;
}

/* sign-tx */

static const char *
member_string (JsonObject  *object,
               const char  *name,
               gboolean     required,
               GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_TRANSACTION,
                     "Transaction JSON lacks “%s”", name);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_TRANSACTION,
                   "Transaction JSON member “%s” must be a string", name);
      return NULL;
    }
  return json_node_get_string (node);
}

static gboolean
member_uint256 (JsonObject      *object,
                const char      *name,
                gboolean         required,
                UsdtpayUint256  *out,
                GError         **error)
{
  const char *text = member_string (object, name, required, error);

  if (text == NULL)
    {
      usdtpay_uint256_set_uint64 (out, 0);
      return !required && (error == NULL || *error == NULL);
    }
  if (!usdtpay_uint256_parse_quantity (out, text, error))
    {
      g_prefix_error (error, "Transaction JSON member “%s”: ", name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
member_uint64 (JsonObject  *object,
               const char  *name,
               guint64     *out,
               GError     **error)
{
  const char *text = member_string (object, name, TRUE, error);

  if (text == NULL)
    return FALSE;
  if (!usdtpay_hex_parse_quantity (text, out, error))
    {
      g_prefix_error (error, "Transaction JSON member “%s”: ", name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_members (JsonObject  *object,
               GError     **error)
{
  static const char * const known[] = {
    "type", "chainId", "nonce", "to", "value", "data", "gasLimit", "gasPrice",
    "maxFeePerGas", "maxPriorityFeePerGas", "privateKey", NULL
  };
  g_autoptr(GList) members = json_object_get_members (object);

  for (const GList *l = members; l != NULL; l = l->next)
    {
      if (!g_strv_contains (known, l->data))
        {
          g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_INVALID_TRANSACTION,
                       "Unknown transaction JSON member “%s”", (const char *)l->data);
          return FALSE;
        }
    }
  return TRUE;
}

static int
cmd_sign_tx (const char *arg)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *input = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(UsdtpayKey) key = NULL;
  g_autoptr(GBytes) raw = NULL;
  g_autofree char *hex = NULL;
  g_auto(UsdtpayTransaction) tx = { 0 };
  JsonObject *object;
  const char *type;
  const char *text;

  input = read_argument (arg, &error);
  if (input == NULL || (root = parse_json (input, &error)) == NULL)
    {
      wipe_string (g_steal_pointer (&input));
      return fail (error);
    }
  wipe_string (g_steal_pointer (&input));

  if (!JSON_NODE_HOLDS_OBJECT (root))
    return refuse ("sign-tx wants a JSON object");
  object = json_node_get_object (root);
  if (!check_members (object, &error))
    return fail (error);

  if ((type = member_string (object, "type", TRUE, &error)) == NULL)
    return fail (error);
  if (g_str_equal (type, "legacy"))
    usdtpay_transaction_init (&tx, USDTPAY_TRANSACTION_LEGACY);
  else if (g_str_equal (type, "eip1559"))
    usdtpay_transaction_init (&tx, USDTPAY_TRANSACTION_EIP1559);
  else
    {
      g_autofree char *msg = g_strdup_printf ("Transaction type must be “legacy” or “eip1559”, not “%s”", type);

      return refuse (msg);
    }

  if (!member_uint64 (object, "chainId", &tx.chain_id, &error) ||
      !member_uint64 (object, "nonce", &tx.nonce, &error) ||
      !member_uint64 (object, "gasLimit", &tx.gas_limit, &error) ||
      !member_uint256 (object, "value", FALSE, &tx.value, &error))
    return fail (error);

  if (tx.type == USDTPAY_TRANSACTION_LEGACY)
    {
      if (json_object_has_member (object, "maxFeePerGas") ||
          json_object_has_member (object, "maxPriorityFeePerGas"))
        return refuse ("A legacy transaction takes gasPrice, not maxFeePerGas");
      if (!member_uint256 (object, "gasPrice", TRUE, &tx.gas_price, &error))
        return fail (error);
    }
  else
    {
      if (json_object_has_member (object, "gasPrice"))
        return refuse ("An eip1559 transaction takes maxFeePerGas and maxPriorityFeePerGas, not gasPrice");
      if (!member_uint256 (object, "maxFeePerGas", TRUE, &tx.max_fee_per_gas, &error) ||
          !member_uint256 (object, "maxPriorityFeePerGas", TRUE, &tx.max_priority_fee_per_gas, &error))
        return fail (error);
    }

  /* No recipient (absent, null or "") creates a contract. */
  text = member_string (object, "to", FALSE, &error);
  if (error != NULL)
    return fail (error);
  if (text != NULL && *usdtpay_hex_skip_prefix (text) != '\0')
    {
      if (!usdtpay_address_parse (&tx.to, text, &error))
        return fail (error);
      tx.has_to = TRUE;
    }

  text = member_string (object, "data", FALSE, &error);
  if (error != NULL)
    return fail (error);
  if (text != NULL)
    {
      g_autoptr(GBytes) data = usdtpay_hex_decode (text, &error);

      if (data == NULL)
        return fail (error);
      usdtpay_transaction_set_data (&tx, data);
    }

  if ((text = member_string (object, "privateKey", TRUE, &error)) == NULL ||
      (key = usdtpay_key_new_from_hex (text, &error)) == NULL)
    return fail (error);

  if ((raw = usdtpay_transaction_sign (&tx, key, &error)) == NULL)
    return fail (error);

  hex = usdtpay_hex_encode_bytes (raw);
  print_line (hex);
  return EXIT_SUCCESS;
}

static int
cmd_sign_message (const char *key_arg,
                  const char *message_arg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayKey) key = NULL;
  g_autofree char *message = NULL;
  g_autofree char *hex = NULL;
  UsdtpaySignature signature;
  guint8 bytes[USDTPAY_SIGNATURE_SIZE];

  if (g_str_equal (key_arg, "-") && g_str_equal (message_arg, "-"))
    return usage_error ("only one argument can come from standard input");

  if ((key = load_key (key_arg, &error)) == NULL ||
      (message = read_argument (message_arg, &error)) == NULL ||
      !usdtpay_message_sign (key, (const guint8 *)message, strlen (message), &signature, &error))
    return fail (error);

  usdtpay_signature_to_bytes (&signature, bytes);
  hex = usdtpay_hex_encode (bytes, sizeof bytes);
  print_line (hex);
  return EXIT_SUCCESS;
}

static int
cmd_recover (const char *message_arg,
             const char *signature_arg)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  g_autofree char *signature_text = NULL;
  g_autoptr(GBytes) signature_bytes = NULL;
  g_autofree char *text = NULL;
  UsdtpaySignature signature;
  UsdtpayAddress address;
  const guint8 *data;
  gsize len;

  if (g_str_equal (message_arg, "-") && g_str_equal (signature_arg, "-"))
    return usage_error ("only one argument can come from standard input");

  if ((message = read_argument (message_arg, &error)) == NULL ||
      (signature_text = read_argument (signature_arg, &error)) == NULL ||
      (signature_bytes = usdtpay_hex_decode (g_strstrip (signature_text), &error)) == NULL)
    return fail (error);

  data = g_bytes_get_data (signature_bytes, &len);
  if (!usdtpay_signature_from_bytes (&signature, data, len, &error) ||
      !usdtpay_message_recover ((const guint8 *)message, strlen (message), &signature, &address, &error))
    return fail (error);

  text = usdtpay_address_to_string (&address);
  print_line (text);
  return EXIT_SUCCESS;
}

int
main (int   argc,
      char *argv[])
{
  const char *command;
  int n_args;

  if (argc < 2)
    return usage_error ("missing command");

  command = argv[1];
  n_args = argc - 2;

  if (g_str_equal (command, "--help") || g_str_equal (command, "-h") ||
      g_str_equal (command, "help"))
    {
      fputs (usage_text, stdout);
      return EXIT_SUCCESS;
    }

#define EXPECT(n) \
  if (n_args != (n)) \
    { \
      g_autofree char *msg = g_strdup_printf ("%s takes %d argument%s", command, (n), (n) == 1 ? "" : "s"); \
      return usage_error (msg); \
    }

  if (g_str_equal (command, "keccak"))
    {
      EXPECT (1);
      return cmd_keccak (argv[2]);
    }
  if (g_str_equal (command, "address"))
    {
      EXPECT (1);
      return cmd_address (argv[2]);
    }
  if (g_str_equal (command, "checksum"))
    {
      EXPECT (1);
      return cmd_checksum (argv[2]);
    }
  if (g_str_equal (command, "rlp-encode"))
    {
      EXPECT (1);
      return cmd_rlp_encode (argv[2]);
    }
  if (g_str_equal (command, "rlp-decode"))
    {
      EXPECT (1);
      return cmd_rlp_decode (argv[2]);
    }
  if (g_str_equal (command, "sign-tx"))
    {
      EXPECT (1);
      return cmd_sign_tx (argv[2]);
    }
  if (g_str_equal (command, "sign-message"))
    {
      EXPECT (2);
      return cmd_sign_message (argv[2], argv[3]);
    }
  if (g_str_equal (command, "recover"))
    {
      EXPECT (2);
      return cmd_recover (argv[2], argv[3]);
    }
#undef EXPECT

  {
    g_autofree char *msg = g_strdup_printf ("unknown command “%s”", command);

    return usage_error (msg);
  }
}
