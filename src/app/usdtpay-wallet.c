/* usdtpay-wallet.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-wallet"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "usdtpay-wallet.h"

/* Node calls of the page give up after this long: a node that does not
 * answer is shown as such rather than as a spinner forever. */
#define RPC_TIMEOUT_SECONDS 10

struct _UsdtpayWallet
{
  GObject           parent_instance;

  UsdtpayClient    *client;
  char             *platform;
  char             *account;
  UsdtpayKey       *key;

  /* GET /v1/chain */
  gboolean          has_chain;
  gboolean          has_chain_id;
  guint64           chain_id;
  char             *rpc_url;
  UsdtpayAddress    token;
  UsdtpayAddress    escrow;
  guint             confirmations;
  UsdtpayRpcClient *rpc;
};

G_DEFINE_FINAL_TYPE (UsdtpayWallet, usdtpay_wallet, G_TYPE_OBJECT)

const SecretSchema *
usdtpay_wallet_key_schema (void)
{
  static const SecretSchema schema = {
    "com.example.UsdtPay.WalletKey", SECRET_SCHEMA_NONE,
    {
      { "platform", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

static void
usdtpay_wallet_finalize (GObject *object)
{
  UsdtpayWallet *self = (UsdtpayWallet *)object;

  g_clear_object (&self->client);
  g_clear_object (&self->key);
  g_clear_object (&self->rpc);
  g_clear_pointer (&self->platform, g_free);
  g_clear_pointer (&self->account, g_free);
  g_clear_pointer (&self->rpc_url, g_free);

  G_OBJECT_CLASS (usdtpay_wallet_parent_class)->finalize (object);
}

static void
usdtpay_wallet_class_init (UsdtpayWalletClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = usdtpay_wallet_finalize;
}

static void
usdtpay_wallet_init (UsdtpayWallet *self)
{
}

UsdtpayWallet *
usdtpay_wallet_new (UsdtpayClient *client,
                    const char    *platform,
                    const char    *account)
{
  UsdtpayWallet *self;

  g_return_val_if_fail (USDTPAY_IS_CLIENT (client), NULL);
  g_return_val_if_fail (platform != NULL, NULL);
  g_return_val_if_fail (account != NULL, NULL);

  self = g_object_new (USDTPAY_TYPE_WALLET, NULL);
  self->client = g_object_ref (client);
  self->platform = g_strdup (platform);
  self->account = g_strdup (account);

  return self;
}

UsdtpayKey *
usdtpay_wallet_get_key (UsdtpayWallet *self)
{
  g_return_val_if_fail (USDTPAY_IS_WALLET (self), NULL);

  return self->key;
}

gboolean
usdtpay_wallet_has_chain (UsdtpayWallet *self)
{
  g_return_val_if_fail (USDTPAY_IS_WALLET (self), FALSE);

  return self->has_chain;
}

const char *
usdtpay_wallet_get_rpc_url (UsdtpayWallet *self)
{
  g_return_val_if_fail (USDTPAY_IS_WALLET (self), NULL);

  return self->rpc_url;
}

const UsdtpayAddress *
usdtpay_wallet_get_escrow (UsdtpayWallet *self)
{
  g_return_val_if_fail (USDTPAY_IS_WALLET (self), NULL);

  return self->has_chain ? &self->escrow : NULL;
}

guint
usdtpay_wallet_get_confirmations (UsdtpayWallet *self)
{
  g_return_val_if_fail (USDTPAY_IS_WALLET (self), 0);

  return self->confirmations;
}

/* Money and amounts */

gboolean
usdtpay_wallet_parse_amount (const char  *text,
                             gint64      *micro,
                             GError     **error)
{
  g_autofree char *stripped = NULL;
  gint64 value = 0;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (micro != NULL, FALSE);

  stripped = g_strstrip (g_strdup (text));
  if (*stripped == '\0')
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT, _("Enter an amount in USDT."));
      return FALSE;
    }
  if (!usdtpay_usdt_parse (stripped, &value, NULL))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT,
                   _("“%s” is not an amount: write it like 100 or 12.5, with at most 6 decimals."),
                   stripped);
      return FALSE;
    }
  if (value <= 0)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT, _("The amount must be above zero."));
      return FALSE;
    }

  *micro = value;
  return TRUE;
}

char *
usdtpay_wallet_format_eth (const UsdtpayUint256 *wei)
{
  g_autofree char *digits = NULL;
  GString *out;
  gsize len;
  gsize int_len;
  gsize frac_len = 18;

  g_return_val_if_fail (wei != NULL, NULL);

  digits = usdtpay_uint256_to_decimal (wei);
  len = strlen (digits);
  if (len < 19)
    {
      char *padded = g_strnfill (19 - len, '0');
      char *joined = g_strconcat (padded, digits, NULL);

      g_free (padded);
      g_free (digits);
      digits = joined;
      len = 19;
    }
  int_len = len - 18;

  while (frac_len > 6 && digits[int_len + frac_len - 1] == '0')
    frac_len--;

  out = g_string_new_len (digits, int_len);
  g_string_append_c (out, '.');
  g_string_append_len (out, digits + int_len, frac_len);

  return g_string_free (out, FALSE);
}

/* @a × @b as a 256-bit number, exactly. */
static void
uint256_mul_u64 (guint64         a,
                 guint64         b,
                 UsdtpayUint256 *out)
{
  guint64 a_lo = a & 0xffffffffu, a_hi = a >> 32;
  guint64 b_lo = b & 0xffffffffu, b_hi = b >> 32;
  guint64 lo_lo = a_lo * b_lo;
  guint64 hi_lo = a_hi * b_lo;
  guint64 lo_hi = a_lo * b_hi;
  guint64 hi_hi = a_hi * b_hi;
  guint64 cross = (lo_lo >> 32) + (hi_lo & 0xffffffffu) + lo_hi;
  guint64 low = (cross << 32) | (lo_lo & 0xffffffffu);
  guint64 high = hi_hi + (hi_lo >> 32) + (cross >> 32);

  memset (out->bytes, 0, sizeof out->bytes);
  for (guint i = 0; i < 8; i++)
    {
      out->bytes[31 - i] = (guint8)(low >> (8 * i));
      out->bytes[23 - i] = (guint8)(high >> (8 * i));
    }
}

static GError *
no_key_error (void)
{
  return g_error_new_literal (USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT,
                              _("There is no wallet key yet: create or import one first."));
}

static GError *
no_chain_error (void)
{
  return g_error_new_literal (USDTPAY_ERROR, USDTPAY_ERROR_UNAVAILABLE,
                              _("The platform has not said which chain it uses yet."));
}

/* The keyring */

static void
load_key_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UsdtpayWallet *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayKey) key = NULL;
  char *secret;

  secret = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (secret == NULL)
    {
      g_task_return_int (task, 0);
      return;
    }

  key = usdtpay_key_new_from_hex (secret, &error);
  secret_password_free (secret);
  if (key == NULL)
    {
      g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT,
                               _("The wallet key in the keyring is damaged: %s"), error->message);
      return;
    }

  g_set_object (&self->key, key);
  g_task_return_int (task, 1);
}

void
usdtpay_wallet_load_key_async (UsdtpayWallet       *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (USDTPAY_IS_WALLET (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, usdtpay_wallet_load_key_async);
  secret_password_lookup (usdtpay_wallet_key_schema (), cancellable, load_key_cb, task,
                          "platform", self->platform,
                          "account", self->account,
                          NULL);
}

gboolean
usdtpay_wallet_load_key_finish (UsdtpayWallet  *self,
                                GAsyncResult   *result,
                                gboolean       *found,
                                GError        **error)
{
  gssize value;

  g_return_val_if_fail (USDTPAY_IS_WALLET (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  value = g_task_propagate_int (G_TASK (result), error);
  if (value < 0)
    return FALSE;
  if (found != NULL)
    *found = value == 1;
  return TRUE;
}

static void
save_key_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UsdtpayWallet *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!secret_password_store_finish (result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_set_object (&self->key, g_task_get_task_data (task));
  g_task_return_boolean (task, TRUE);
}

void
usdtpay_wallet_save_key_async (UsdtpayWallet       *self,
                               UsdtpayKey          *key,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autofree char *label = NULL;
  char *hex;
  GTask *task;

  g_return_if_fail (USDTPAY_IS_WALLET (self));
  g_return_if_fail (USDTPAY_IS_KEY (key));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, usdtpay_wallet_save_key_async);
  g_task_set_task_data (task, g_object_ref (key), g_object_unref);

  /* Translators: the label of the keyring item; %s are an account and a URL */
  label = g_strdup_printf (_("UsdtPay wallet key of %s at %s"), self->account, self->platform);
  hex = usdtpay_key_dup_secret_hex (key);
  /* libsecret copies the secret into its own (wiped) memory at once. */
  secret_password_store (usdtpay_wallet_key_schema (), SECRET_COLLECTION_DEFAULT,
                         label, hex, cancellable, save_key_cb, task,
                         "platform", self->platform,
                         "account", self->account,
                         NULL);
  sodium_memzero (hex, strlen (hex));
  g_free (hex);
}

gboolean
usdtpay_wallet_save_key_finish (UsdtpayWallet  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (USDTPAY_IS_WALLET (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* GET /v1/chain */

gboolean
usdtpay_wallet_set_chain (UsdtpayWallet  *self,
                          JsonObject     *info,
                          GError        **error)
{
  const char *rpc_url = NULL;
  const char *token = NULL;
  const char *escrow = NULL;
  gint64 confirmations = 0;
  gint64 chain_id = 0;
  gint64 decimals = USDTPAY_USDT_DECIMALS;
  gboolean has_chain_id;
  UsdtpayAddress token_address;
  UsdtpayAddress escrow_address;
  JsonNode *node;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (USDTPAY_IS_WALLET (self), FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  if (!usdtpay_json_get_string (info, "rpc_url", FALSE, &rpc_url, &local_error) ||
      !usdtpay_json_get_string (info, "token", FALSE, &token, &local_error) ||
      !usdtpay_json_get_string (info, "escrow_address", FALSE, &escrow, &local_error) ||
      !usdtpay_json_get_int (info, "confirmations", FALSE, &confirmations, &local_error) ||
      !usdtpay_address_parse (&token_address, token, &local_error) ||
      !usdtpay_address_parse (&escrow_address, escrow, &local_error))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
                   _("The platform described its chain wrongly: %s"), local_error->message);
      return FALSE;
    }

  /* The same rule as for the platform: balances, nonces and fees read over
   * plain HTTP from another machine could be anyone's. */
  if (!usdtpay_client_check_url (rpc_url, NULL))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
                   _("The platform names its chain node at %s: the app talks to a node only over https:// "
                     "or on this machine."), rpc_url);
      return FALSE;
    }

  /* Amounts are micro-USDT: a token with other decimals would be misread. */
  if (!usdtpay_json_get_int (info, "decimals", TRUE, &decimals, &local_error) ||
      (json_object_has_member (info, "decimals") && decimals != USDTPAY_USDT_DECIMALS))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
                   _("The platform's token has %d decimals; this app handles USDT with 6."), (int)decimals);
      return FALSE;
    }

  node = json_object_get_member (info, "chain_id");
  has_chain_id = node != NULL && !JSON_NODE_HOLDS_NULL (node);
  if (has_chain_id &&
      (!usdtpay_json_get_int (info, "chain_id", FALSE, &chain_id, &local_error) || chain_id <= 0))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
                   _("The platform described its chain wrongly: %s"),
                   local_error != NULL ? local_error->message : "chain_id");
      return FALSE;
    }

  /* All checked: nothing above changed what the wallet knew. */
  self->has_chain_id = has_chain_id;
  self->chain_id = has_chain_id ? (guint64)chain_id : 0;
  self->token = token_address;
  self->escrow = escrow_address;
  self->confirmations = (guint)CLAMP (confirmations, 1, G_MAXUINT);
  if (self->rpc == NULL || g_strcmp0 (self->rpc_url, rpc_url) != 0)
    {
      g_free (self->rpc_url);
      self->rpc_url = g_strdup (rpc_url);
      g_clear_object (&self->rpc);
      self->rpc = usdtpay_rpc_client_new (rpc_url);
      usdtpay_rpc_client_set_timeout (self->rpc, RPC_TIMEOUT_SECONDS);
    }
  self->has_chain = TRUE;

  return TRUE;
}

static void
chain_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UsdtpayWallet *self = g_task_get_source_object (task);
  g_autoptr(JsonObject) info = NULL;
  g_autoptr(GError) error = NULL;

  info = usdtpay_client_get_object_finish (USDTPAY_CLIENT (object), result, &error);
  if (info == NULL || !usdtpay_wallet_set_chain (self, info, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

void
usdtpay_wallet_load_chain_async (UsdtpayWallet       *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (USDTPAY_IS_WALLET (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, usdtpay_wallet_load_chain_async);
  usdtpay_client_get_object_async (self->client, "/v1/chain", cancellable, chain_loaded_cb, task);
}

gboolean
usdtpay_wallet_load_chain_finish (UsdtpayWallet  *self,
                                  GAsyncResult   *result,
                                  GError        **error)
{
  g_return_val_if_fail (USDTPAY_IS_WALLET (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Balances on chain */

typedef struct
{
  gint64         usdt;
  UsdtpayUint256 eth;
} Balances;

static GError *
node_error (UsdtpayWallet *self,
            GError        *error)
{
  GError *out;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  out = g_error_new (USDTPAY_ERROR, USDTPAY_ERROR_UNAVAILABLE,
                     _("The chain node at %s did not answer: %s"), self->rpc_url, error->message);
  return out;
}

static void
eth_balance_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UsdtpayWallet *self = g_task_get_source_object (task);
  Balances *balances = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!usdtpay_rpc_client_get_balance_finish (USDTPAY_RPC_CLIENT (object), result, &balances->eth, &error))
    {
      g_task_return_error (task, node_error (self, error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
token_balance_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UsdtpayWallet *self = g_task_get_source_object (task);
  Balances *balances = g_task_get_task_data (task);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  UsdtpayUint256 value;
  const guint8 *data;
  gsize len;

  answer = usdtpay_rpc_client_call_contract_finish (USDTPAY_RPC_CLIENT (object), result, &error);
  if (answer == NULL)
    {
      g_task_return_error (task, node_error (self, error));
      return;
    }

  data = g_bytes_get_data (answer, &len);
  if (!usdtpay_abi_decode_uint256 (data, len, &value, &error) ||
      !usdtpay_uint256_to_int64 (&value, &balances->usdt, &error))
    {
      g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
                               _("The token contract answered balanceOf wrongly: %s"), error->message);
      return;
    }

  usdtpay_rpc_client_get_balance_async (self->rpc, usdtpay_key_get_address (self->key), "latest",
                                        g_task_get_cancellable (task), eth_balance_cb,
                                        g_object_ref (task));
}

void
usdtpay_wallet_chain_balances_async (UsdtpayWallet       *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GBytes) call = NULL;

  g_return_if_fail (USDTPAY_IS_WALLET (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, usdtpay_wallet_chain_balances_async);
  g_task_set_task_data (task, g_new0 (Balances, 1), g_free);

  if (self->key == NULL)
    {
      g_task_return_error (task, no_key_error ());
      return;
    }
  if (!self->has_chain)
    {
      g_task_return_error (task, no_chain_error ());
      return;
    }

  call = usdtpay_abi_encode_balance_of (usdtpay_key_get_address (self->key));
  usdtpay_rpc_client_call_contract_async (self->rpc, &self->token, call, "latest", cancellable,
                                          token_balance_cb, g_object_ref (task));
}

gboolean
usdtpay_wallet_chain_balances_finish (UsdtpayWallet   *self,
                                      GAsyncResult    *result,
                                      gint64          *usdt_micro,
                                      UsdtpayUint256  *eth_wei,
                                      GError         **error)
{
  Balances *balances;

  g_return_val_if_fail (USDTPAY_IS_WALLET (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;

  balances = g_task_get_task_data (G_TASK (result));
  if (usdt_micro != NULL)
    *usdt_micro = balances->usdt;
  if (eth_wei != NULL)
    *eth_wei = balances->eth;
  return TRUE;
}

/* Registration */

static gboolean
items_hold_address (JsonObject           *answer,
                    const UsdtpayAddress *address)
{
  JsonArray *items;

  if (!json_object_has_member (answer, "items") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (answer, "items")))
    return FALSE;

  items = json_object_get_array_member (answer, "items");
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);
      const char *text = NULL;
      UsdtpayAddress other;

      if (JSON_NODE_HOLDS_OBJECT (node) &&
          usdtpay_json_get_string (json_node_get_object (node), "address", FALSE, &text, NULL) &&
          usdtpay_address_parse (&other, text, NULL) &&
          usdtpay_address_equal (&other, address))
        return TRUE;
    }

  return FALSE;
}

static void
wallets_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UsdtpayWallet *self = g_task_get_source_object (task);
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = usdtpay_client_get_object_finish (USDTPAY_CLIENT (object), result, &error);
  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_int (task, self->key != NULL &&
                           items_hold_address (answer, usdtpay_key_get_address (self->key)));
}

void
usdtpay_wallet_registered_async (UsdtpayWallet       *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (USDTPAY_IS_WALLET (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, usdtpay_wallet_registered_async);
  usdtpay_client_get_object_async (self->client, "/v1/wallets", cancellable, wallets_cb, task);
}

gboolean
usdtpay_wallet_registered_finish (UsdtpayWallet  *self,
                                  GAsyncResult   *result,
                                  gboolean       *registered,
                                  GError        **error)
{
  gssize value;

  g_return_val_if_fail (USDTPAY_IS_WALLET (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  value = g_task_propagate_int (G_TASK (result), error);
  if (value < 0)
    return FALSE;
  if (registered != NULL)
    *registered = value == 1;
  return TRUE;
}

static void
registered_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = usdtpay_client_post_object_finish (USDTPAY_CLIENT (object), result, &error);
  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
nonce_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UsdtpayWallet *self = g_task_get_source_object (task);
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *address = NULL;
  g_autofree char *signature_hex = NULL;
  const char *message = NULL;
  const char *nonce = NULL;
  guint8 bytes[USDTPAY_SIGNATURE_SIZE];
  UsdtpaySignature signature;

  answer = usdtpay_client_post_object_finish (USDTPAY_CLIENT (object), result, &error);
  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!usdtpay_json_get_string (answer, "message", FALSE, &message, &error) ||
      !usdtpay_json_get_string (answer, "nonce", FALSE, &nonce, &error))
    {
      g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
                               _("The platform's nonce answer is wrong: %s"), error->message);
      return;
    }

  if (!usdtpay_message_sign (self->key, (const guint8 *)message, strlen (message), &signature, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  usdtpay_signature_to_bytes (&signature, bytes);
  signature_hex = usdtpay_hex_encode (bytes, sizeof bytes);
  address = usdtpay_key_dup_address_string (self->key);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "address");
  json_builder_add_string_value (builder, address);
  json_builder_set_member_name (builder, "signature");
  json_builder_add_string_value (builder, signature_hex);
  json_builder_set_member_name (builder, "nonce");
  json_builder_add_string_value (builder, nonce);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  usdtpay_client_post_object_async (self->client, "/v1/wallets", body, g_task_get_cancellable (task),
                                    registered_cb, g_object_ref (task));
}

void
usdtpay_wallet_register_async (UsdtpayWallet       *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (USDTPAY_IS_WALLET (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, usdtpay_wallet_register_async);
  if (self->key == NULL)
    {
      g_task_return_error (task, no_key_error ());
      g_object_unref (task);
      return;
    }

  usdtpay_client_post_object_async (self->client, "/v1/wallets/nonce", NULL, cancellable, nonce_cb, task);
}

gboolean
usdtpay_wallet_register_finish (UsdtpayWallet  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (USDTPAY_IS_WALLET (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Top up: a token transfer signed here */

typedef struct
{
  gint64             micro;
  UsdtpayTransaction tx;
  guint64            base_fee;
  GBytes            *raw;
} TopUp;

static void
top_up_free (gpointer data)
{
  TopUp *top_up = data;

  usdtpay_transaction_clear (&top_up->tx);
  g_clear_pointer (&top_up->raw, g_bytes_unref);
  g_free (top_up);
}

static gboolean
return_node_error (GTask  *task,
                   GError *error)
{
  UsdtpayWallet *self = g_task_get_source_object (task);

  if (error == NULL)
    return FALSE;
  g_task_return_error (task, node_error (self, error));
  return TRUE;
}

static void
top_up_sent_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *hash;

  hash = usdtpay_rpc_client_send_raw_transaction_finish (USDTPAY_RPC_CLIENT (object), result, &error);
  if (hash == NULL)
    {
      if (g_error_matches (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_RPC))
        g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT,
                                 _("The chain node refused the transfer: %s"), error->message);
      else
        return_node_error (task, error);
      return;
    }

  g_free (hash);
  g_task_return_boolean (task, TRUE);
}

static void
top_up_eth_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UsdtpayWallet *self = g_task_get_source_object (task);
  TopUp *top_up = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = NULL;
  UsdtpayUint256 eth;
  UsdtpayUint256 cost;
  guint64 max_fee;

  if (!usdtpay_rpc_client_get_balance_finish (USDTPAY_RPC_CLIENT (object), result, &eth, &error))
    {
      return_node_error (task, error);
      return;
    }

  if (!usdtpay_uint256_to_uint64 (&top_up->tx.max_fee_per_gas, &max_fee, NULL))
    max_fee = G_MAXUINT64;
  uint256_mul_u64 (top_up->tx.gas_limit, max_fee, &cost);
  if (usdtpay_uint256_compare (&eth, &cost) < 0)
    {
      g_autofree char *have = usdtpay_wallet_format_eth (&eth);
      g_autofree char *need = usdtpay_wallet_format_eth (&cost);

      g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_INSUFFICIENT_FUNDS,
                               _("Not enough ETH for gas: the transfer may cost up to %s ETH and the wallet holds %s ETH."),
                               need, have);
      return;
    }

  raw = usdtpay_transaction_sign (&top_up->tx, self->key, &error);
  if (raw == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  top_up->raw = g_steal_pointer (&raw);
  g_task_return_boolean (task, TRUE);
}

static void
top_up_tip_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UsdtpayWallet *self = g_task_get_source_object (task);
  TopUp *top_up = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  UsdtpayUint256 tip_value;
  guint64 tip;
  guint64 max_fee;

  if (!usdtpay_rpc_client_max_priority_fee_finish (USDTPAY_RPC_CLIENT (object), result, &tip_value, &error))
    {
      return_node_error (task, error);
      return;
    }

  /* Twice the base fee plus the tip: room for six full blocks in a row. */
  if (!usdtpay_uint256_to_uint64 (&tip_value, &tip, NULL) ||
      !g_uint64_checked_mul (&max_fee, top_up->base_fee, 2) ||
      !g_uint64_checked_add (&max_fee, max_fee, tip))
    {
      g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
                               _("The chain node asks for an impossible gas price."));
      return;
    }
  usdtpay_uint256_set_uint64 (&top_up->tx.max_priority_fee_per_gas, tip);
  usdtpay_uint256_set_uint64 (&top_up->tx.max_fee_per_gas, max_fee);

  usdtpay_rpc_client_get_balance_async (self->rpc, usdtpay_key_get_address (self->key), "pending",
                                        g_task_get_cancellable (task), top_up_eth_cb, g_object_ref (task));
}

static void
top_up_block_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UsdtpayWallet *self = g_task_get_source_object (task);
  TopUp *top_up = g_task_get_task_data (task);
  g_autoptr(JsonObject) block = NULL;
  g_autoptr(GError) error = NULL;
  const char *base_fee = NULL;

  block = usdtpay_rpc_client_get_block_by_number_finish (USDTPAY_RPC_CLIENT (object), result, &error);
  if (block == NULL)
    {
      return_node_error (task, error);
      return;
    }
  if (!usdtpay_json_get_string (block, "baseFeePerGas", FALSE, &base_fee, NULL) ||
      !usdtpay_hex_parse_quantity (base_fee, &top_up->base_fee, NULL))
    {
      g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_UNAVAILABLE,
                               _("The chain has no base fee (EIP-1559 is not active there)."));
      return;
    }

  usdtpay_rpc_client_max_priority_fee_async (self->rpc, g_task_get_cancellable (task),
                                             top_up_tip_cb, g_object_ref (task));
}

static void
top_up_gas_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UsdtpayWallet *self = g_task_get_source_object (task);
  TopUp *top_up = g_task_get_task_data (task);
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) error = NULL;
  guint64 gas;

  answer = usdtpay_rpc_client_call_finish (USDTPAY_RPC_CLIENT (object), result, &error);
  if (answer == NULL)
    {
      if (g_error_matches (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_RPC))
        g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT,
                                 _("The token would refuse this transfer: %s"), error->message);
      else
        return_node_error (task, error);
      return;
    }
  if (!JSON_NODE_HOLDS_VALUE (answer) || json_node_get_value_type (answer) != G_TYPE_STRING ||
      !usdtpay_hex_parse_quantity (json_node_get_string (answer), &gas, NULL) || gas == 0 ||
      gas > G_MAXUINT64 / 2)
    {
      g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
                               _("The chain node answered eth_estimateGas wrongly."));
      return;
    }
  /* A fifth more than the estimate: the token's storage may change between
   * the estimate and the block. What is not used is not paid. */
  top_up->tx.gas_limit = gas + gas / 5;

  usdtpay_rpc_client_get_block_by_number_async (self->rpc, "latest", FALSE, g_task_get_cancellable (task),
                                                top_up_block_cb, g_object_ref (task));
}

static void
top_up_nonce_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UsdtpayWallet *self = g_task_get_source_object (task);
  TopUp *top_up = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) params = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *data = NULL;

  if (!usdtpay_rpc_client_get_transaction_count_finish (USDTPAY_RPC_CLIENT (object), result,
                                                        &top_up->tx.nonce, &error))
    {
      return_node_error (task, error);
      return;
    }

  from = usdtpay_key_dup_address_string (self->key);
  to = usdtpay_address_to_string (&self->token);
  data = usdtpay_hex_encode_bytes (top_up->tx.data);

  builder = json_builder_new ();
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "from");
  json_builder_add_string_value (builder, from);
  json_builder_set_member_name (builder, "to");
  json_builder_add_string_value (builder, to);
  json_builder_set_member_name (builder, "data");
  json_builder_add_string_value (builder, data);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  params = json_builder_get_root (builder);

  usdtpay_rpc_client_call_async (self->rpc, "eth_estimateGas", params, g_task_get_cancellable (task),
                                 top_up_gas_cb, g_object_ref (task));
}

static void
top_up_token_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UsdtpayWallet *self = g_task_get_source_object (task);
  TopUp *top_up = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gint64 usdt = 0;

  if (!usdtpay_wallet_chain_balances_finish (self, result, &usdt, NULL, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (usdt < top_up->micro)
    {
      g_autofree char *have = usdtpay_usdt_format (usdt);
      g_autofree char *want = usdtpay_usdt_format (top_up->micro);

      g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_INSUFFICIENT_FUNDS,
                               _("The wallet holds %s USDT, less than %s USDT."), have, want);
      return;
    }

  usdtpay_rpc_client_get_transaction_count_async (self->rpc, usdtpay_key_get_address (self->key), "pending",
                                                  g_task_get_cancellable (task), top_up_nonce_cb,
                                                  g_object_ref (task));
}

void
usdtpay_wallet_sign_top_up_async (UsdtpayWallet       *self,
                             gint64               micro,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GBytes) data = NULL;
  UsdtpayUint256 amount;
  TopUp *top_up;

  g_return_if_fail (USDTPAY_IS_WALLET (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, usdtpay_wallet_sign_top_up_async);

  if (micro <= 0)
    {
      g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT,
                               _("The amount must be above zero."));
      return;
    }
  if (self->key == NULL)
    {
      g_task_return_error (task, no_key_error ());
      return;
    }
  if (!self->has_chain || !self->has_chain_id)
    {
      g_task_return_error (task, no_chain_error ());
      return;
    }

  top_up = g_new0 (TopUp, 1);
  top_up->micro = micro;
  usdtpay_transaction_init (&top_up->tx, USDTPAY_TRANSACTION_EIP1559);
  top_up->tx.chain_id = self->chain_id;
  top_up->tx.has_to = TRUE;
  top_up->tx.to = self->token;
  usdtpay_uint256_set_uint64 (&amount, (guint64)micro);
  data = usdtpay_abi_encode_transfer (&self->escrow, &amount);
  usdtpay_transaction_set_data (&top_up->tx, data);
  g_task_set_task_data (task, top_up, top_up_free);

  usdtpay_wallet_chain_balances_async (self, cancellable, top_up_token_cb, g_object_ref (task));
}

char *
usdtpay_wallet_sign_top_up_finish (UsdtpayWallet  *self,
                                   GAsyncResult   *result,
                                   char          **raw,
                                   guint64        *nonce,
                                   GError        **error)
{
  TopUp *top_up;
  guint8 hash[32];

  g_return_val_if_fail (USDTPAY_IS_WALLET (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  top_up = g_task_get_task_data (G_TASK (result));
  usdtpay_transaction_hash_raw (top_up->raw, hash);
  if (raw != NULL)
    *raw = usdtpay_hex_encode_bytes (top_up->raw);
  if (nonce != NULL)
    *nonce = top_up->tx.nonce;
  return usdtpay_hex_encode (hash, sizeof hash);
}

static void
send_raw (UsdtpayWallet *self,
          GTask         *task,
          const char    *raw_hex)
{
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GError) error = NULL;

  raw = usdtpay_hex_decode (raw_hex, &error);
  if (raw == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  usdtpay_rpc_client_send_raw_transaction_async (self->rpc, raw, g_task_get_cancellable (task),
                                                 top_up_sent_cb, g_object_ref (task));
}

void
usdtpay_wallet_send_top_up_async (UsdtpayWallet       *self,
                                  const char          *raw,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (USDTPAY_IS_WALLET (self));
  g_return_if_fail (raw != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, usdtpay_wallet_send_top_up_async);
  if (!self->has_chain)
    {
      g_task_return_error (task, no_chain_error ());
      return;
    }

  send_raw (self, task, raw);
}

gboolean
usdtpay_wallet_send_top_up_finish (UsdtpayWallet  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  g_return_val_if_fail (USDTPAY_IS_WALLET (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Following a top-up */

typedef struct
{
  char    *tx_hash;
  char    *raw;            /* NULL: never sent again */
  gboolean has_sender;
  UsdtpayAddress sender;
  guint64  nonce;
  guint64  block;
  guint64  confirmations;
  char    *deposit_state;
  gboolean resent;
} Track;

static void
track_free (gpointer data)
{
  Track *track = data;

  g_free (track->tx_hash);
  g_free (track->raw);
  g_free (track->deposit_state);
  g_free (track);
}

static void
track_deposits_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Track *track = g_task_get_task_data (task);
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *items;

  answer = usdtpay_client_get_object_finish (USDTPAY_CLIENT (object), result, &error);
  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (json_object_has_member (answer, "items") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (answer, "items")))
    {
      items = json_object_get_array_member (answer, "items");
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonNode *node = json_array_get_element (items, i);
          const char *hash = NULL;
          const char *state = NULL;

          if (JSON_NODE_HOLDS_OBJECT (node) &&
              usdtpay_json_get_string (json_node_get_object (node), "tx_hash", FALSE, &hash, NULL) &&
              g_ascii_strcasecmp (hash, track->tx_hash) == 0 &&
              usdtpay_json_get_string (json_node_get_object (node), "state", FALSE, &state, NULL))
            {
              g_free (track->deposit_state);
              track->deposit_state = g_strdup (state);
              break;
            }
        }
    }

  g_task_return_boolean (task, TRUE);
}

static void
track_ask_platform (GTask *task)
{
  UsdtpayWallet *self = g_task_get_source_object (task);

  usdtpay_client_get_object_async (self->client, "/v1/deposits", g_task_get_cancellable (task),
                                   track_deposits_cb, g_object_ref (task));
}

static void
track_head_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Track *track = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint64 head = 0;

  if (!usdtpay_rpc_client_block_number_finish (USDTPAY_RPC_CLIENT (object), result, &head, &error))
    {
      return_node_error (task, error);
      return;
    }

  track->confirmations = head >= track->block ? head - track->block + 1 : 0;
  track_ask_platform (task);
}

static void
track_resent_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Track *track = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;

  hash = usdtpay_rpc_client_send_raw_transaction_finish (USDTPAY_RPC_CLIENT (object), result, &error);
  if (hash == NULL)
    {
      if (g_error_matches (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_RPC))
        g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT,
                                 _("The chain node dropped the transfer and refused it again: %s"),
                                 error->message);
      else
        return_node_error (task, error);
      return;
    }

  track->resent = TRUE;
  track_ask_platform (task);
}

static void
track_nonce_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UsdtpayWallet *self = g_task_get_source_object (task);
  Track *track = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = NULL;
  guint64 mined = 0;

  if (!usdtpay_rpc_client_get_transaction_count_finish (USDTPAY_RPC_CLIENT (object), result, &mined, &error))
    {
      return_node_error (task, error);
      return;
    }

  /* Another transaction of the wallet's took its nonce: it can never be mined. */
  if (mined > track->nonce)
    {
      g_autofree char *nonce = g_strdup_printf ("%" G_GUINT64_FORMAT, track->nonce);

      /* Translators: %s is the transaction's nonce, a number */
      g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT,
                               _("The chain node dropped the transfer and another transaction from this "
                                 "wallet took its place (nonce %s); no USDT moved."),
                               nonce);
      return;
    }

  /* Dropped from the node's pool (or the node restarted): the same signed
   * transaction, sent again, is the one the merchant confirmed. */
  raw = usdtpay_hex_decode (track->raw, &error);
  if (raw == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  usdtpay_rpc_client_send_raw_transaction_async (self->rpc, raw, g_task_get_cancellable (task),
                                                 track_resent_cb, g_object_ref (task));
}

static void
track_pending_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UsdtpayWallet *self = g_task_get_source_object (task);
  Track *track = g_task_get_task_data (task);
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = usdtpay_rpc_client_call_finish (USDTPAY_RPC_CLIENT (object), result, &error);
  if (answer == NULL)
    {
      return_node_error (task, error);
      return;
    }

  if (!JSON_NODE_HOLDS_NULL (answer))
    {
      /* Waiting in the pool. */
      track_ask_platform (task);
      return;
    }

  usdtpay_rpc_client_get_transaction_count_async (self->rpc, &track->sender, "latest",
                                                  g_task_get_cancellable (task), track_nonce_cb,
                                                  g_object_ref (task));
}

static void
track_lookup (GTask *task)
{
  UsdtpayWallet *self = g_task_get_source_object (task);
  Track *track = g_task_get_task_data (task);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) params = NULL;

  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, track->tx_hash);
  json_builder_end_array (builder);
  params = json_builder_get_root (builder);

  usdtpay_rpc_client_call_async (self->rpc, "eth_getTransactionByHash", params, g_task_get_cancellable (task),
                                 track_pending_cb, g_object_ref (task));
}

static void
track_receipt_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UsdtpayWallet *self = g_task_get_source_object (task);
  Track *track = g_task_get_task_data (task);
  g_autoptr(JsonObject) receipt = NULL;
  g_autoptr(GError) error = NULL;
  const char *status = NULL;
  const char *block = NULL;

  receipt = usdtpay_rpc_client_get_transaction_receipt_finish (USDTPAY_RPC_CLIENT (object), result, &error);
  if (receipt == NULL)
    {
      if (g_error_matches (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_NOT_FOUND))
        {
          /* Not mined yet: is it still waiting in the node's pool? */
          track->confirmations = 0;
          if (track->raw != NULL && track->has_sender)
            track_lookup (task);
          else
            track_ask_platform (task);
        }
      else
        return_node_error (task, error);
      return;
    }

  if (usdtpay_json_get_string (receipt, "status", FALSE, &status, NULL) &&
      g_strcmp0 (status, "0x1") != 0)
    {
      g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT,
                               _("The transfer was mined but reverted; no USDT moved."));
      return;
    }
  if (!usdtpay_json_get_string (receipt, "blockNumber", FALSE, &block, NULL) ||
      !usdtpay_hex_parse_quantity (block, &track->block, NULL))
    {
      track->confirmations = 0;
      track_ask_platform (task);
      return;
    }

  usdtpay_rpc_client_block_number_async (self->rpc, g_task_get_cancellable (task), track_head_cb,
                                         g_object_ref (task));
}

void
usdtpay_wallet_track_top_up_async (UsdtpayWallet       *self,
                                   const char          *tx_hash,
                                   const char          *raw,
                                   const char          *sender,
                                   guint64              nonce,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task;
  Track *track;

  g_return_if_fail (USDTPAY_IS_WALLET (self));
  g_return_if_fail (tx_hash != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, usdtpay_wallet_track_top_up_async);
  track = g_new0 (Track, 1);
  track->tx_hash = g_strdup (tx_hash);
  track->raw = g_strdup (raw);
  track->has_sender = sender != NULL && usdtpay_address_parse (&track->sender, sender, NULL);
  track->nonce = nonce;
  g_task_set_task_data (task, track, track_free);

  if (!self->has_chain)
    {
      g_task_return_error (task, no_chain_error ());
      g_object_unref (task);
      return;
    }

  usdtpay_rpc_client_get_transaction_receipt_async (self->rpc, tx_hash, cancellable, track_receipt_cb, task);
}

gboolean
usdtpay_wallet_track_top_up_finish (UsdtpayWallet  *self,
                                    GAsyncResult   *result,
                                    guint64        *confirmations,
                                    char          **deposit_state,
                                    gboolean       *resent,
                                    GError        **error)
{
  Track *track;

  g_return_val_if_fail (USDTPAY_IS_WALLET (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;

  track = g_task_get_task_data (G_TASK (result));
  if (confirmations != NULL)
    *confirmations = track->confirmations;
  if (deposit_state != NULL)
    *deposit_state = g_strdup (track->deposit_state);
  if (resent != NULL)
    *resent = track->resent;
  return TRUE;
}

/* Withdrawals */

static void
withdrawn_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  JsonObject *answer;
  GError *error = NULL;

  answer = usdtpay_client_post_object_finish (USDTPAY_CLIENT (object), result, &error);
  if (answer == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, answer, (GDestroyNotify)json_object_unref);
}

void
usdtpay_wallet_withdraw_async (UsdtpayWallet       *self,
                               gint64               micro,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *amount = NULL;
  GTask *task;

  g_return_if_fail (USDTPAY_IS_WALLET (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, usdtpay_wallet_withdraw_async);
  if (micro <= 0)
    {
      g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT,
                               _("The amount must be above zero."));
      g_object_unref (task);
      return;
    }

  amount = usdtpay_usdt_format (micro);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "amount");
  json_builder_add_string_value (builder, amount);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  usdtpay_client_post_object_async (self->client, "/v1/withdrawals", body, cancellable, withdrawn_cb, task);
}

JsonObject *
usdtpay_wallet_withdraw_finish (UsdtpayWallet  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (USDTPAY_IS_WALLET (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
