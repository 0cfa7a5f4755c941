/* usdtpay-chain-book.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-chain-book"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "usdtpay-chain-book.h"

/* The engine's memory of the chain: registered wallets, deposits seen in
 * the escrow address's token logs, withdrawals, and the watcher's cursor.
 * Like the rest of the engine it changes on the main thread only, records
 * every change in a UsdtpayChange (chain records, meta values, ledger
 * transfers through usdtpay_engine_move(), events), and is rebuilt from the
 * store at start.
 */

#define NONCE_TTL_USEC      (10 * 60 * G_USEC_PER_SEC)
#define NONCES_PER_OWNER    5
#define RECENT_BLOCKS       128
#define META_LAST_BLOCK     "chain.last_block"
#define META_BLOCKS         "chain.blocks"
#define META_NEXT_NONCE     "chain.next_nonce"
#define META_CHAIN_ID       "chain.chain_id"
#define META_TOKEN          "chain.token"
#define META_ESCROW         "chain.escrow"

typedef struct
{
  char   *address;      /* EIP-55 */
  char   *owner;
  gint64  created_at;
} Wallet;

typedef struct
{
  char   *nonce;
  char   *message;
  gint64  expires_at;
} Nonce;

struct _UsdtpayChainBook
{
  GObject                 parent_instance;

  UsdtpayEngine          *engine;       /* owns us */

  /* Configuration (serve --rpc …) */
  gboolean                configured;
  char                   *rpc_url;
  UsdtpayAddress          token;
  UsdtpayAddress          escrow;
  char                   *token_text;
  char                   *escrow_text;
  UsdtpayKey             *hot_wallet;
  guint                   confirmations;
  guint64                 chain_id;
  char                   *stored_token;
  char                   *stored_escrow;

  GHashTable             *wallets;       /* lower-case address → Wallet* */
  GHashTable             *nonces;        /* owner → GPtrArray of Nonce* */
  GHashTable             *deposits;      /* id → UsdtpayDeposit* */
  GHashTable             *deposit_logs;  /* "txhash:index" → UsdtpayDeposit* */
  GPtrArray              *deposit_list;  /* UsdtpayDeposit*, in order seen */
  GPtrArray              *pending;       /* the ones still "seen", in order seen */
  GHashTable             *withdrawals;   /* id → UsdtpayWithdrawal* */
  GPtrArray              *withdrawal_list;

  gboolean                have_last_block;
  guint64                 last_block;
  GTree                  *blocks;        /* guint64* number → char* hash */
  guint64                 next_nonce;
  guint64                 head;

  UsdtpayChainTaskStatus  watcher;
  UsdtpayChainTaskStatus  sender;
};

G_DEFINE_FINAL_TYPE (UsdtpayChainBook, usdtpay_chain_book, G_TYPE_OBJECT)

static void
wallet_free (gpointer data)
{
  Wallet *wallet = data;

  g_free (wallet->address);
  g_free (wallet->owner);
  g_free (wallet);
}

static void
nonce_free (gpointer data)
{
  Nonce *nonce = data;

  g_free (nonce->nonce);
  g_free (nonce->message);
  g_free (nonce);
}

static void
deposit_free (gpointer data)
{
  UsdtpayDeposit *deposit = data;

  g_free (deposit->id);
  g_free (deposit->tx_hash);
  g_free (deposit->block_hash);
  g_free (deposit->sender);
  g_free (deposit->owner);
  g_free (deposit->state);
  g_free (deposit->reason);
  g_free (deposit->by);
  g_free (deposit);
}

static void
withdrawal_free (gpointer data)
{
  UsdtpayWithdrawal *withdrawal = data;

  g_free (withdrawal->id);
  g_free (withdrawal->owner);
  g_free (withdrawal->to);
  g_free (withdrawal->state);
  g_free (withdrawal->tx_hash);
  g_free (withdrawal->raw);
  g_free (withdrawal->deposit_id);
  g_free (withdrawal->error);
  g_free (withdrawal);
}

static void
set_str (char       **slot,
         const char  *value)
{
  if (g_strcmp0 (*slot, value) == 0)
    return;
  g_free (*slot);
  *slot = g_strdup (value);
}

static char *
new_id (const char *prefix)
{
  static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
  guint8 bytes[20];
  char id[20 + 1];

  randombytes_buf (bytes, sizeof bytes);
  for (guint i = 0; i < 20; i++)
    id[i] = alphabet[bytes[i] & 31];
  id[20] = '\0';

  return g_strconcat (prefix, id, NULL);
}

static char *
log_key (const char *tx_hash,
         gint64      log_index)
{
  return g_strdup_printf ("%s:%" G_GINT64_FORMAT, tx_hash, log_index);
}

static char *
owner_account (UsdtpayEngine *engine,
               const char    *owner)
{
  UsdtpayPrincipal *principal = usdtpay_engine_lookup_principal (engine, owner);

  if (principal != NULL && principal->role == USDTPAY_ROLE_SHOP)
    return g_strdup_printf ("shop:%s", owner);

  return g_strdup_printf ("merchant:%s:available", owner);
}

static gint64
now (UsdtpayChainBook *self)
{
  return usdtpay_engine_now (self->engine);
}

/* JSON */

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_money (JsonBuilder *builder,
           const char  *name,
           gint64       value)
{
  g_autofree char *text = usdtpay_usdt_format (value);

  add_string (builder, name, text);
}

static void
add_time (JsonBuilder *builder,
          const char  *name,
          gint64       value)
{
  g_autofree char *text = value ? usdtpay_time_format (value) : NULL;

  add_string (builder, name, text);
}

/* @wire: the API's shape (money strings, times); otherwise the stored one. */
static JsonNode *
deposit_to_json (const UsdtpayDeposit *deposit,
                 gboolean              wire)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string (builder, "id", deposit->id);
  add_string (builder, "tx_hash", deposit->tx_hash);
  add_int (builder, "log_index", deposit->log_index);
  add_int (builder, "block_number", deposit->block_number);
  add_string (builder, "block_hash", deposit->block_hash);
  add_string (builder, "from", deposit->sender);
  if (wire)
    add_money (builder, "amount", deposit->amount);
  else
    add_int (builder, "amount", deposit->amount);
  add_string (builder, "owner", deposit->owner);
  add_string (builder, "state", deposit->state);
  if (wire)
    {
      add_time (builder, "seen_at", deposit->seen_at);
      add_time (builder, "updated_at", deposit->updated_at);
    }
  else
    {
      add_int (builder, "transfer_id", deposit->transfer_id);
      add_int (builder, "seen_at", deposit->seen_at);
      add_int (builder, "updated_at", deposit->updated_at);
    }
  add_string (builder, "reason", deposit->reason);
  add_string (builder, "by", deposit->by);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static JsonNode *
withdrawal_to_json (const UsdtpayWithdrawal *withdrawal,
                    gboolean                 wire)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string (builder, "id", withdrawal->id);
  add_string (builder, "owner", withdrawal->owner);
  add_string (builder, "to", withdrawal->to);
  if (wire)
    add_money (builder, "amount", withdrawal->amount);
  else
    add_int (builder, "amount", withdrawal->amount);
  add_string (builder, "state", withdrawal->state);
  json_builder_set_member_name (builder, "nonce");
  if (withdrawal->nonce >= 0)
    json_builder_add_int_value (builder, withdrawal->nonce);
  else
    json_builder_add_null_value (builder);
  add_string (builder, "tx_hash", withdrawal->tx_hash);
  json_builder_set_member_name (builder, "block_number");
  if (withdrawal->block_number > 0)
    json_builder_add_int_value (builder, withdrawal->block_number);
  else
    json_builder_add_null_value (builder);
  add_string (builder, "deposit", withdrawal->deposit_id);
  add_string (builder, "error", withdrawal->error);
  if (wire)
    {
      add_time (builder, "created_at", withdrawal->created_at);
      add_time (builder, "updated_at", withdrawal->updated_at);
    }
  else
    {
      /* The signed transaction stays in the store, never on the wire. */
      add_string (builder, "raw", withdrawal->raw);
      add_int (builder, "created_at", withdrawal->created_at);
      add_int (builder, "updated_at", withdrawal->updated_at);
    }
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static char *
member_dup (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;

  return g_strdup (json_node_get_string (node));
}

static gint64
member_int (JsonObject *object,
            const char *name,
            gint64      fallback)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return fallback;

  return json_node_get_int (node);
}

/* Persisting */

static void
persist_deposit (UsdtpayChange        *change,
                 const UsdtpayDeposit *deposit)
{
  g_autoptr(JsonNode) node = deposit_to_json (deposit, FALSE);
  g_autofree char *data = usdtpay_json_to_string (node, NULL);

  usdtpay_batch_put_chain (usdtpay_change_get_batch (change), "deposit", deposit->id, deposit->owner,
                           deposit->state, deposit->tx_hash, deposit->log_index, deposit->amount, data);
}

static void
persist_withdrawal (UsdtpayChange           *change,
                    const UsdtpayWithdrawal *withdrawal)
{
  g_autoptr(JsonNode) node = withdrawal_to_json (withdrawal, FALSE);
  g_autofree char *data = usdtpay_json_to_string (node, NULL);

  usdtpay_batch_put_chain (usdtpay_change_get_batch (change), "withdrawal", withdrawal->id,
                           withdrawal->owner, withdrawal->state, withdrawal->tx_hash, -1,
                           withdrawal->amount, data);
}

static void
persist_meta_int (UsdtpayChange *change,
                  const char    *key,
                  guint64        value)
{
  g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT, value);

  usdtpay_batch_put_meta (usdtpay_change_get_batch (change), key, text);
}

static void
emit_deposit (UsdtpayChainBook *self,
              UsdtpayChange    *change,
              UsdtpayEventType  type,
              UsdtpayDeposit   *deposit)
{
  g_autoptr(JsonNode) node = deposit_to_json (deposit, TRUE);
  const char *audience[] = { deposit->owner, NULL };

  usdtpay_engine_emit (self->engine, change, type, node, audience);
}

static void
emit_withdrawal (UsdtpayChainBook  *self,
                 UsdtpayChange     *change,
                 UsdtpayEventType   type,
                 UsdtpayWithdrawal *withdrawal)
{
  g_autoptr(JsonNode) node = withdrawal_to_json (withdrawal, TRUE);
  const char *audience[] = { withdrawal->owner, NULL };

  usdtpay_engine_emit (self->engine, change, type, node, audience);
}

/* Loading */

static gint
compare_block (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  guint64 x = *(const guint64 *)a;
  guint64 y = *(const guint64 *)b;

  return x < y ? -1 : x > y;
}

static void
remember_block (UsdtpayChainBook *self,
                guint64           number,
                const char       *hash)
{
  g_tree_replace (self->blocks, g_memdup2 (&number, sizeof number), g_strdup (hash));

  while (g_tree_nnodes (self->blocks) > RECENT_BLOCKS)
    {
      GTreeNode *first = g_tree_node_first (self->blocks);

      g_tree_remove (self->blocks, g_tree_node_key (first));
    }
}

static gboolean
load_record (UsdtpayChainBook  *self,
             const UsdtpayOp   *op,
             GError           **error)
{
  g_autoptr(JsonObject) object = usdtpay_json_parse_object (op->chain.data, strlen (op->chain.data), error);

  if (object == NULL)
    return FALSE;

  if (g_str_equal (op->chain.kind, "wallet"))
    {
      Wallet *wallet = g_new0 (Wallet, 1);

      wallet->address = member_dup (object, "address");
      wallet->owner = g_strdup (op->chain.owner);
      wallet->created_at = member_int (object, "created_at", 0);
      g_hash_table_replace (self->wallets, g_ascii_strdown (wallet->address, -1), wallet);
    }
  else if (g_str_equal (op->chain.kind, "deposit"))
    {
      UsdtpayDeposit *deposit = g_new0 (UsdtpayDeposit, 1);

      deposit->id = g_strdup (op->chain.id);
      deposit->tx_hash = member_dup (object, "tx_hash");
      deposit->log_index = member_int (object, "log_index", 0);
      deposit->block_number = member_int (object, "block_number", 0);
      deposit->block_hash = member_dup (object, "block_hash");
      deposit->sender = member_dup (object, "from");
      deposit->amount = member_int (object, "amount", 0);
      deposit->owner = member_dup (object, "owner");
      deposit->state = member_dup (object, "state");
      deposit->transfer_id = member_int (object, "transfer_id", 0);
      deposit->seen_at = member_int (object, "seen_at", 0);
      deposit->updated_at = member_int (object, "updated_at", 0);
      deposit->reason = member_dup (object, "reason");
      deposit->by = member_dup (object, "by");
      if (deposit->tx_hash == NULL || deposit->state == NULL || deposit->sender == NULL)
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "deposit %s is incomplete", deposit->id);
          deposit_free (deposit);
          return FALSE;
        }
      g_hash_table_insert (self->deposits, deposit->id, deposit);
      g_hash_table_insert (self->deposit_logs, log_key (deposit->tx_hash, deposit->log_index), deposit);
      g_ptr_array_add (self->deposit_list, deposit);
      if (g_str_equal (deposit->state, "seen"))
        g_ptr_array_add (self->pending, deposit);
    }
  else if (g_str_equal (op->chain.kind, "withdrawal"))
    {
      UsdtpayWithdrawal *withdrawal = g_new0 (UsdtpayWithdrawal, 1);

      withdrawal->id = g_strdup (op->chain.id);
      withdrawal->owner = member_dup (object, "owner");
      withdrawal->to = member_dup (object, "to");
      withdrawal->amount = member_int (object, "amount", 0);
      withdrawal->state = member_dup (object, "state");
      withdrawal->nonce = member_int (object, "nonce", -1);
      withdrawal->tx_hash = member_dup (object, "tx_hash");
      withdrawal->raw = member_dup (object, "raw");
      withdrawal->block_number = member_int (object, "block_number", 0);
      withdrawal->deposit_id = member_dup (object, "deposit");
      withdrawal->error = member_dup (object, "error");
      withdrawal->created_at = member_int (object, "created_at", 0);
      withdrawal->updated_at = member_int (object, "updated_at", 0);
      if (withdrawal->to == NULL || withdrawal->state == NULL)
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "withdrawal %s is incomplete",
                       withdrawal->id);
          withdrawal_free (withdrawal);
          return FALSE;
        }
      g_hash_table_insert (self->withdrawals, withdrawal->id, withdrawal);
      g_ptr_array_add (self->withdrawal_list, withdrawal);
    }
  else
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "unknown chain record kind %s",
                   op->chain.kind);
      return FALSE;
    }

  return TRUE;
}

static gboolean
load_blocks (UsdtpayChainBook  *self,
             const char        *text,
             GError           **error)
{
  g_autoptr(JsonObject) object = usdtpay_json_parse_object (text, strlen (text), error);
  g_autoptr(GList) members = NULL;

  if (object == NULL)
    return FALSE;

  members = json_object_get_members (object);
  for (const GList *l = members; l != NULL; l = l->next)
    {
      guint64 number;

      if (!g_ascii_string_to_unsigned (l->data, 10, 0, G_MAXINT64, &number, error))
        return FALSE;
      remember_block (self, number, json_object_get_string_member (object, l->data));
    }

  return TRUE;
}

UsdtpayChainBook *
usdtpay_chain_book_new (UsdtpayEngine         *engine,
                        UsdtpayStoreSnapshot  *snapshot,
                        GError               **error)
{
  g_autoptr(UsdtpayChainBook) self = NULL;
  const char *text;

  g_return_val_if_fail (USDTPAY_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (snapshot != NULL, NULL);

  self = g_object_new (USDTPAY_TYPE_CHAIN_BOOK, NULL);
  self->engine = engine;

  for (guint i = 0; snapshot->chain_records != NULL && i < snapshot->chain_records->len; i++)
    if (!load_record (self, g_ptr_array_index (snapshot->chain_records, i), error))
      return NULL;

  if ((text = g_hash_table_lookup (snapshot->meta, META_LAST_BLOCK)) != NULL)
    {
      if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &self->last_block, error))
        return NULL;
      self->have_last_block = TRUE;
    }
  if ((text = g_hash_table_lookup (snapshot->meta, META_BLOCKS)) != NULL && !load_blocks (self, text, error))
    return NULL;
  if ((text = g_hash_table_lookup (snapshot->meta, META_NEXT_NONCE)) != NULL &&
      !g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &self->next_nonce, error))
    return NULL;
  if ((text = g_hash_table_lookup (snapshot->meta, META_CHAIN_ID)) != NULL &&
      !g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &self->chain_id, error))
    return NULL;
  self->stored_token = g_strdup (g_hash_table_lookup (snapshot->meta, META_TOKEN));
  self->stored_escrow = g_strdup (g_hash_table_lookup (snapshot->meta, META_ESCROW));

  return g_steal_pointer (&self);
}

static void
usdtpay_chain_book_finalize (GObject *object)
{
  UsdtpayChainBook *self = (UsdtpayChainBook *)object;

  g_clear_pointer (&self->wallets, g_hash_table_unref);
  g_clear_pointer (&self->nonces, g_hash_table_unref);
  g_clear_pointer (&self->deposit_logs, g_hash_table_unref);
  g_clear_pointer (&self->deposits, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->deposit_list, g_ptr_array_unref);
  g_clear_pointer (&self->withdrawals, g_hash_table_unref);
  g_clear_pointer (&self->withdrawal_list, g_ptr_array_unref);
  g_clear_pointer (&self->blocks, g_tree_unref);
  g_clear_object (&self->hot_wallet);
  g_free (self->rpc_url);
  g_free (self->token_text);
  g_free (self->escrow_text);
  g_free (self->stored_token);
  g_free (self->stored_escrow);
  g_free (self->watcher.error);
  g_free (self->sender.error);

  G_OBJECT_CLASS (usdtpay_chain_book_parent_class)->finalize (object);
}

static void
usdtpay_chain_book_class_init (UsdtpayChainBookClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = usdtpay_chain_book_finalize;
}

static void
usdtpay_chain_book_init (UsdtpayChainBook *self)
{
  self->wallets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, wallet_free);
  self->nonces = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
  self->deposits = g_hash_table_new (g_str_hash, g_str_equal);
  self->deposit_logs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->deposit_list = g_ptr_array_new_with_free_func (deposit_free);
  self->pending = g_ptr_array_new ();
  self->withdrawals = g_hash_table_new (g_str_hash, g_str_equal);
  self->withdrawal_list = g_ptr_array_new_with_free_func (withdrawal_free);
  self->blocks = g_tree_new_full (compare_block, NULL, g_free, g_free);
  self->confirmations = USDTPAY_CHAIN_DEFAULT_CONFIRMATIONS;
  self->watcher.ok = TRUE;
  self->sender.ok = TRUE;
}

/* Configuration */

gboolean
usdtpay_chain_book_configure (UsdtpayChainBook      *self,
                              const char            *rpc_url,
                              const UsdtpayAddress  *token,
                              UsdtpayKey            *hot_wallet,
                              guint                  confirmations,
                              GError               **error)
{
  g_autofree char *token_text = NULL;
  g_autofree char *escrow_text = NULL;

  g_return_val_if_fail (USDTPAY_IS_CHAIN_BOOK (self), FALSE);
  g_return_val_if_fail (rpc_url != NULL && token != NULL && USDTPAY_IS_KEY (hot_wallet), FALSE);

  token_text = usdtpay_address_to_string (token);
  escrow_text = usdtpay_key_dup_address_string (hot_wallet);

  /* The cursor, the nonces and the deposits belong to one token and one
   * escrow address: another one would re-read or skip their history. */
  if (self->stored_token != NULL && g_ascii_strcasecmp (self->stored_token, token_text) != 0)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "this database follows the token %s, not %s", self->stored_token, token_text);
      return FALSE;
    }
  if (self->stored_escrow != NULL && g_ascii_strcasecmp (self->stored_escrow, escrow_text) != 0)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "this database's escrow address is %s; the wallet key is for %s",
                   self->stored_escrow, escrow_text);
      return FALSE;
    }

  self->configured = TRUE;
  self->rpc_url = g_strdup (rpc_url);
  self->token = *token;
  self->escrow = *usdtpay_key_get_address (hot_wallet);
  self->token_text = g_steal_pointer (&token_text);
  self->escrow_text = g_steal_pointer (&escrow_text);
  self->hot_wallet = g_object_ref (hot_wallet);
  self->confirmations = MAX (confirmations, 1);

  return TRUE;
}

gboolean
usdtpay_chain_book_is_configured (UsdtpayChainBook *self)
{
  g_return_val_if_fail (USDTPAY_IS_CHAIN_BOOK (self), FALSE);

  return self->configured;
}

UsdtpayKey *
usdtpay_chain_book_get_hot_wallet (UsdtpayChainBook *self)
{
  return self->hot_wallet;
}

const UsdtpayAddress *
usdtpay_chain_book_get_token (UsdtpayChainBook *self)
{
  return &self->token;
}

const UsdtpayAddress *
usdtpay_chain_book_get_escrow (UsdtpayChainBook *self)
{
  return &self->escrow;
}

const char *
usdtpay_chain_book_get_rpc_url (UsdtpayChainBook *self)
{
  return self->rpc_url;
}

guint
usdtpay_chain_book_get_confirmations (UsdtpayChainBook *self)
{
  return self->confirmations;
}

guint64
usdtpay_chain_book_get_chain_id (UsdtpayChainBook *self)
{
  return self->chain_id;
}

void
usdtpay_chain_book_set_chain_id (UsdtpayChainBook *self,
                                 guint64           chain_id,
                                 UsdtpayChange    *change)
{
  g_return_if_fail (USDTPAY_IS_CHAIN_BOOK (self));

  if (self->chain_id != chain_id)
    {
      self->chain_id = chain_id;
      persist_meta_int (change, META_CHAIN_ID, chain_id);
    }
  if (self->stored_token == NULL)
    {
      self->stored_token = g_strdup (self->token_text);
      usdtpay_batch_put_meta (usdtpay_change_get_batch (change), META_TOKEN, self->token_text);
    }
  if (self->stored_escrow == NULL)
    {
      self->stored_escrow = g_strdup (self->escrow_text);
      usdtpay_batch_put_meta (usdtpay_change_get_batch (change), META_ESCROW, self->escrow_text);
    }
}

JsonNode *
usdtpay_chain_book_info_to_json (UsdtpayChainBook *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (USDTPAY_IS_CHAIN_BOOK (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "chain_id");
  if (self->chain_id != 0)
    json_builder_add_int_value (builder, self->chain_id);
  else
    json_builder_add_null_value (builder);
  add_string (builder, "rpc_url", self->rpc_url);
  add_string (builder, "token", self->token_text);
  add_int (builder, "decimals", 6);
  add_string (builder, "escrow_address", self->escrow_text);
  add_int (builder, "confirmations", self->confirmations);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* Health */

UsdtpayChainTaskStatus *
usdtpay_chain_book_get_watcher_status (UsdtpayChainBook *self)
{
  return &self->watcher;
}

UsdtpayChainTaskStatus *
usdtpay_chain_book_get_sender_status (UsdtpayChainBook *self)
{
  return &self->sender;
}

void
usdtpay_chain_task_status_ok (UsdtpayChainTaskStatus *status)
{
  if (!status->ok)
    g_message ("The chain node answers again after %u failures", status->failures);
  status->ok = TRUE;
  status->failures = 0;
  status->retry_at = 0;
  status->last_ok_at = g_get_real_time ();
  g_clear_pointer (&status->error, g_free);
}

void
usdtpay_chain_task_status_failed (UsdtpayChainTaskStatus *status,
                                  const GError           *error,
                                  gint64                  retry_in_usec)
{
  if (status->ok || g_strcmp0 (status->error, error->message) != 0)
    g_warning ("The chain node failed: %s; retrying in %" G_GINT64_FORMAT " ms", error->message,
               retry_in_usec / 1000);
  status->ok = FALSE;
  status->failures++;
  set_str (&status->error, error->message);
  status->retry_at = g_get_monotonic_time () + retry_in_usec;
}

void
usdtpay_chain_book_set_head (UsdtpayChainBook *self,
                             guint64           head)
{
  self->head = head;
}

guint64
usdtpay_chain_book_get_head (UsdtpayChainBook *self)
{
  return self->head;
}

static void
add_task_status (JsonBuilder            *builder,
                 const char             *name,
                 UsdtpayChainTaskStatus *status)
{
  gint64 wait = status->retry_at ? MAX (status->retry_at - g_get_monotonic_time (), 0) : 0;

  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  add_string (builder, "state", status->ok ? "ok" : "retrying");
  add_int (builder, "failures", status->failures);
  add_string (builder, "error", status->error);
  add_int (builder, "retry_in_ms", wait / 1000);
  add_time (builder, "last_ok_at", status->last_ok_at);
  json_builder_end_object (builder);
}

JsonNode *
usdtpay_chain_book_health_to_json (UsdtpayChainBook *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  guint pending_withdrawals = 0;

  g_return_val_if_fail (USDTPAY_IS_CHAIN_BOOK (self), NULL);

  for (guint i = 0; i < self->withdrawal_list->len; i++)
    {
      UsdtpayWithdrawal *withdrawal = g_ptr_array_index (self->withdrawal_list, i);

      if (g_str_equal (withdrawal->state, "requested") || g_str_equal (withdrawal->state, "sent"))
        pending_withdrawals++;
    }

  json_builder_begin_object (builder);
  add_string (builder, "rpc", (self->watcher.ok && self->sender.ok) ? "ok" : "unreachable");
  add_task_status (builder, "watcher", &self->watcher);
  add_task_status (builder, "sender", &self->sender);
  add_int (builder, "head", self->head);
  json_builder_set_member_name (builder, "last_block");
  if (self->have_last_block)
    json_builder_add_int_value (builder, self->last_block);
  else
    json_builder_add_null_value (builder);
  add_int (builder, "pending_deposits", usdtpay_chain_book_count_pending_deposits (self));
  add_int (builder, "pending_withdrawals", pending_withdrawals);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* Wallets */

char *
usdtpay_chain_book_issue_nonce (UsdtpayChainBook  *self,
                                UsdtpayPrincipal  *principal,
                                char             **nonce_out,
                                gint64            *expires_at)
{
  GPtrArray *list = g_hash_table_lookup (self->nonces, principal->name);
  Nonce *nonce = g_new0 (Nonce, 1);
  guint8 bytes[16];
  char hex[sizeof bytes * 2 + 1];
  gint64 issued = now (self);
  g_autofree char *issued_text = usdtpay_time_format (issued);

  g_return_val_if_fail (USDTPAY_IS_CHAIN_BOOK (self), NULL);

  randombytes_buf (bytes, sizeof bytes);
  sodium_bin2hex (hex, sizeof hex, bytes, sizeof bytes);

  nonce->nonce = g_strdup (hex);
  nonce->expires_at = issued + NONCE_TTL_USEC;
  nonce->message = g_strdup_printf ("UsdtPay wallet registration\n"
                                    "Account: %s\n"
                                    "Platform: %s\n"
                                    "Nonce: %s\n"
                                    "Issued: %s",
                                    principal->name, self->escrow_text ? self->escrow_text : "-",
                                    nonce->nonce, issued_text);

  if (list == NULL)
    {
      list = g_ptr_array_new_with_free_func (nonce_free);
      g_hash_table_insert (self->nonces, g_strdup (principal->name), list);
    }
  /* A few outstanding nonces, so two windows can register side by side. */
  while (list->len >= NONCES_PER_OWNER)
    g_ptr_array_remove_index (list, 0);
  g_ptr_array_add (list, nonce);

  *nonce_out = g_strdup (nonce->nonce);
  *expires_at = nonce->expires_at;

  return g_strdup (nonce->message);
}

static JsonNode *
wallet_to_json (const Wallet *wallet)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string (builder, "address", wallet->address);
  add_string (builder, "owner", wallet->owner);
  add_time (builder, "created_at", wallet->created_at);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static gboolean
check_members (JsonObject          *params,
               const char * const  *allowed,
               GError             **error)
{
  g_autoptr(GList) members = json_object_get_members (params);

  for (const GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (allowed, l->data))
      {
        g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "unknown member \"%s\"",
                     (const char *)l->data);
        return FALSE;
      }

  return TRUE;
}

static gboolean
parse_address (const char      *text,
               UsdtpayAddress  *address,
               GError         **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!usdtpay_address_parse (address, text, &local_error))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "address: %s", local_error->message);
      return FALSE;
    }

  return TRUE;
}

JsonNode *
usdtpay_chain_book_register_wallet (UsdtpayChainBook  *self,
                                    UsdtpayPrincipal  *principal,
                                    JsonObject        *params,
                                    UsdtpayChange     *change,
                                    gboolean          *created,
                                    GError           **error)
{
  static const char * const allowed[] = { "address", "signature", "nonce", NULL };
  const char *address_text = NULL;
  const char *signature_text = NULL;
  const char *nonce_text = NULL;
  g_autoptr(GBytes) signature_bytes = NULL;
  g_autofree char *canonical = NULL;
  g_autofree char *key = NULL;
  GPtrArray *list;
  UsdtpaySignature signature;
  UsdtpayAddress address;
  Wallet *wallet;
  gint64 at = now (self);
  const guint8 *data = NULL;
  gsize len = 0;

  g_return_val_if_fail (USDTPAY_IS_CHAIN_BOOK (self), NULL);

  if (!check_members (params, allowed, error) ||
      !usdtpay_json_get_string (params, "address", FALSE, &address_text, error) ||
      !usdtpay_json_get_string (params, "signature", FALSE, &signature_text, error) ||
      !usdtpay_json_get_string (params, "nonce", TRUE, &nonce_text, error) ||
      !parse_address (address_text, &address, error))
    return NULL;

  {
    g_autoptr(GError) local_error = NULL;

    if ((signature_bytes = usdtpay_hex_decode (signature_text, &local_error)) != NULL)
      data = g_bytes_get_data (signature_bytes, &len);
    if (signature_bytes == NULL || !usdtpay_signature_from_bytes (&signature, data, len, &local_error))
      {
        g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "signature: %s",
                     local_error->message);
        return NULL;
      }
  }
  canonical = usdtpay_address_to_string (&address);
  key = g_ascii_strdown (canonical, -1);

  if (self->configured && usdtpay_address_equal (&address, &self->escrow))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT, "that is the platform's escrow address");
      return NULL;
    }

  /* The signature must recover to the address over one of the caller's
   * outstanding nonce messages. */
  list = g_hash_table_lookup (self->nonces, principal->name);
  {
    gint found = -1;

    for (guint i = 0; list != NULL && i < list->len; i++)
      {
        Nonce *nonce = g_ptr_array_index (list, i);
        UsdtpayAddress signer;

        if (nonce->expires_at < at || (nonce_text != NULL && !g_str_equal (nonce_text, nonce->nonce)))
          continue;
        if (usdtpay_message_recover ((const guint8 *)nonce->message, strlen (nonce->message), &signature,
                                     &signer, NULL) &&
            usdtpay_address_equal (&signer, &address))
          {
            found = i;
            break;
          }
      }

    if (found < 0)
      {
        g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                     "the signature is not %s's over an outstanding nonce message of yours; "
                     "ask POST /v1/wallets/nonce for one and sign its message (EIP-191)", canonical);
        return NULL;
      }

    wallet = g_hash_table_lookup (self->wallets, key);
    if (wallet != NULL && !g_str_equal (wallet->owner, principal->name))
      {
        g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT,
                     "%s is registered to another account", canonical);
        return NULL;
      }
    g_ptr_array_remove_index (list, found);
  }

  *created = wallet == NULL;
  if (wallet == NULL)
    {
      g_autoptr(JsonNode) node = NULL;
      g_autofree char *record = NULL;

      wallet = g_new0 (Wallet, 1);
      wallet->address = g_strdup (canonical);
      wallet->owner = g_strdup (principal->name);
      wallet->created_at = at;
      g_hash_table_insert (self->wallets, g_strdup (key), wallet);

      node = wallet_to_json (wallet);
      json_object_set_int_member (json_node_get_object (node), "created_at", at);
      record = usdtpay_json_to_string (node, NULL);
      usdtpay_batch_put_chain (usdtpay_change_get_batch (change), "wallet", key, wallet->owner,
                               "registered", NULL, -1, 0, record);
    }

  return wallet_to_json (wallet);
}

static gint
compare_wallets (gconstpointer a,
                 gconstpointer b)
{
  const Wallet *x = *(const Wallet * const *)a;
  const Wallet *y = *(const Wallet * const *)b;

  if (x->created_at != y->created_at)
    return x->created_at < y->created_at ? -1 : 1;

  return g_strcmp0 (x->address, y->address);
}

static GPtrArray *
owner_wallets (UsdtpayChainBook *self,
               const char       *owner)
{
  GPtrArray *list = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->wallets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_str_equal (((Wallet *)value)->owner, owner))
      g_ptr_array_add (list, value);
  g_ptr_array_sort (list, compare_wallets);

  return list;
}

JsonNode *
usdtpay_chain_book_list_wallets (UsdtpayChainBook *self,
                                 UsdtpayPrincipal *principal)
{
  g_autoptr(GPtrArray) list = owner_wallets (self, principal->name);
  JsonArray *items = json_array_new ();
  JsonObject *object = json_object_new ();

  for (guint i = 0; i < list->len; i++)
    json_array_add_element (items, wallet_to_json (g_ptr_array_index (list, i)));
  json_object_set_array_member (object, "items", items);
  json_object_set_null_member (object, "next");

  return json_node_init_object (json_node_alloc (), object);
}

const char *
usdtpay_chain_book_wallet_owner (UsdtpayChainBook *self,
                                 const char       *address)
{
  g_autofree char *key = g_ascii_strdown (address, -1);
  Wallet *wallet = g_hash_table_lookup (self->wallets, key);

  return wallet ? wallet->owner : NULL;
}

/* The cursor */

gboolean
usdtpay_chain_book_get_last_block (UsdtpayChainBook *self,
                                   guint64          *number)
{
  *number = self->last_block;

  return self->have_last_block;
}

const char *
usdtpay_chain_book_get_block_hash (UsdtpayChainBook *self,
                                   guint64           number)
{
  return g_tree_lookup (self->blocks, &number);
}

static gboolean
collect_block_cb (gpointer key,
                  gpointer value,
                  gpointer user_data)
{
  g_array_prepend_val ((GArray *)user_data, *(guint64 *)key);

  return FALSE;
}

GArray *
usdtpay_chain_book_dup_recent_blocks (UsdtpayChainBook *self)
{
  GArray *numbers = g_array_new (FALSE, FALSE, sizeof (guint64));

  g_tree_foreach (self->blocks, collect_block_cb, numbers);

  return numbers;
}

static gboolean
build_block_cb (gpointer key,
                gpointer value,
                gpointer user_data)
{
  char name[32];

  g_snprintf (name, sizeof name, "%" G_GUINT64_FORMAT, *(guint64 *)key);
  json_builder_set_member_name (user_data, name);
  json_builder_add_string_value (user_data, value);

  return FALSE;
}

static void
persist_cursor (UsdtpayChainBook *self,
                UsdtpayChange    *change)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  g_tree_foreach (self->blocks, build_block_cb, builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  text = usdtpay_json_to_string (node, NULL);

  persist_meta_int (change, META_LAST_BLOCK, self->last_block);
  usdtpay_batch_put_meta (usdtpay_change_get_batch (change), META_BLOCKS, text);
}

void
usdtpay_chain_book_set_last_block (UsdtpayChainBook *self,
                                   guint64           number,
                                   const char       *hash,
                                   UsdtpayChange    *change)
{
  g_return_if_fail (USDTPAY_IS_CHAIN_BOOK (self));

  self->have_last_block = TRUE;
  self->last_block = number;
  if (hash != NULL)
    remember_block (self, number, hash);
  persist_cursor (self, change);
}

guint
usdtpay_chain_book_rewind (UsdtpayChainBook *self,
                           guint64           ancestor,
                           const char       *ancestor_hash,
                           UsdtpayChange    *change)
{
  guint dropped = 0;

  g_return_val_if_fail (USDTPAY_IS_CHAIN_BOOK (self), 0);

  while (g_tree_nnodes (self->blocks) > 0)
    {
      GTreeNode *last = g_tree_node_last (self->blocks);

      if (*(guint64 *)g_tree_node_key (last) <= ancestor)
        break;
      g_tree_remove (self->blocks, g_tree_node_key (last));
    }

  for (guint i = 0; i < self->deposit_list->len; i++)
    {
      UsdtpayDeposit *deposit = g_ptr_array_index (self->deposit_list, i);

      if ((guint64)deposit->block_number <= ancestor)
        continue;
      if (g_str_equal (deposit->state, "seen"))
        {
          g_ptr_array_remove (self->pending, deposit);
          set_str (&deposit->state, "dropped");
          deposit->updated_at = now (self);
          persist_deposit (change, deposit);
          emit_deposit (self, change, USDTPAY_EVENT_DEPOSIT_DROPPED, deposit);
          dropped++;
        }
      else if (!g_str_equal (deposit->state, "dropped"))
        g_critical ("Deposit %s (%s) was credited in block %" G_GINT64_FORMAT
                    ", which left the canonical chain: a reorganisation deeper than %u confirmations",
                    deposit->id, deposit->tx_hash, deposit->block_number, self->confirmations);
    }

  g_message ("Chain reorganisation: rewound to block %" G_GUINT64_FORMAT " (%s), %u deposits dropped",
             ancestor, ancestor_hash ? ancestor_hash : "?", dropped);
  usdtpay_chain_book_set_last_block (self, ancestor, ancestor_hash, change);

  return dropped;
}

/* Deposits */

void
usdtpay_chain_book_deposit_seen (UsdtpayChainBook         *self,
                                 const UsdtpayTransferLog *log,
                                 UsdtpayChange            *change)
{
  g_autofree char *tx_hash = usdtpay_hex_encode (log->transaction_hash, 32);
  g_autofree char *block_hash = usdtpay_hex_encode (log->block_hash, 32);
  g_autofree char *key = NULL;
  g_autofree char *sender = usdtpay_address_to_string (&log->from);
  g_autoptr(GError) error = NULL;
  UsdtpayDeposit *deposit;
  gint64 amount;

  g_return_if_fail (USDTPAY_IS_CHAIN_BOOK (self));

  key = log_key (tx_hash, log->log_index);
  if (!usdtpay_uint256_to_int64 (&log->value, &amount, &error) || amount > G_MAXINT64 / 4)
    {
      g_critical ("Transfer %s is too large to book (%s); support must handle it by hand",
                  key, error ? error->message : "over the ledger's range");
      return;
    }
  if (amount == 0)
    return;

  deposit = g_hash_table_lookup (self->deposit_logs, key);
  if (deposit != NULL)
    {
      /* The same log again: after a rewind, in its old or a new block. */
      if (g_str_equal (deposit->state, "dropped"))
        {
          g_ptr_array_add (self->pending, deposit);
          set_str (&deposit->state, "seen");
          deposit->block_number = log->block_number;
          set_str (&deposit->block_hash, block_hash);
          deposit->updated_at = now (self);
          persist_deposit (change, deposit);
          emit_deposit (self, change, USDTPAY_EVENT_DEPOSIT_SEEN, deposit);
        }
      else if (g_str_equal (deposit->state, "seen") && (guint64)deposit->block_number != log->block_number)
        {
          deposit->block_number = log->block_number;
          set_str (&deposit->block_hash, block_hash);
          persist_deposit (change, deposit);
        }
      return;
    }

  deposit = g_new0 (UsdtpayDeposit, 1);
  deposit->id = new_id ("dep_");
  deposit->tx_hash = g_strdup (tx_hash);
  deposit->log_index = log->log_index;
  deposit->block_number = log->block_number;
  deposit->block_hash = g_strdup (block_hash);
  deposit->sender = g_strdup (sender);
  deposit->amount = amount;
  deposit->owner = g_strdup (usdtpay_chain_book_wallet_owner (self, sender));
  deposit->state = g_strdup ("seen");
  deposit->seen_at = deposit->updated_at = now (self);

  g_hash_table_insert (self->deposits, deposit->id, deposit);
  g_hash_table_insert (self->deposit_logs, g_steal_pointer (&key), deposit);
  g_ptr_array_add (self->deposit_list, deposit);
  g_ptr_array_add (self->pending, deposit);

  g_message ("Deposit %s seen: %s from %s in block %" G_GINT64_FORMAT, deposit->id, deposit->tx_hash,
             deposit->sender, deposit->block_number);
  persist_deposit (change, deposit);
  emit_deposit (self, change, USDTPAY_EVENT_DEPOSIT_SEEN, deposit);
}

static void
credit_deposit (UsdtpayChainBook *self,
                UsdtpayDeposit   *deposit,
                UsdtpayChange    *change)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *account = NULL;
  const char *owner;

  /* Attribution is decided at credit time: a sender may register while its
   * deposit confirms. */
  owner = deposit->owner ? deposit->owner : usdtpay_chain_book_wallet_owner (self, deposit->sender);
  account = owner ? owner_account (self->engine, owner) : g_strdup (USDTPAY_ACCOUNT_UNATTRIBUTED);

  deposit->transfer_id = usdtpay_engine_move (self->engine, change, "deposit", "chain", account,
                                              deposit->amount, &error);
  g_assert (deposit->transfer_id > 0);

  set_str (&deposit->owner, owner);
  set_str (&deposit->state, owner ? "credited" : "unattributed");
  deposit->updated_at = now (self);
  persist_deposit (change, deposit);
  emit_deposit (self, change, USDTPAY_EVENT_DEPOSIT_CREDITED, deposit);
  g_message ("Deposit %s credited to %s (transfer %" G_GINT64_FORMAT ")", deposit->id, account,
             deposit->transfer_id);
}

guint
usdtpay_chain_book_credit_confirmed (UsdtpayChainBook *self,
                                     UsdtpayChange    *change)
{
  guint credited = 0;

  g_return_val_if_fail (USDTPAY_IS_CHAIN_BOOK (self), 0);

  if (!self->have_last_block)
    return 0;

  for (guint i = 0; i < self->pending->len;)
    {
      UsdtpayDeposit *deposit = g_ptr_array_index (self->pending, i);

      g_assert (g_str_equal (deposit->state, "seen"));
      if ((guint64)deposit->block_number > self->last_block ||
          self->last_block - deposit->block_number + 1 < self->confirmations)
        {
          i++;
          continue;
        }
      credit_deposit (self, deposit, change);
      g_ptr_array_remove_index (self->pending, i);
      credited++;
    }

  return credited;
}

guint
usdtpay_chain_book_count_pending_deposits (UsdtpayChainBook *self)
{
  return self->pending->len;
}

static gboolean
visible_to (UsdtpayCaller *caller,
            const char    *owner)
{
  if (caller->role == USDTPAY_ROLE_SUPPORT)
    return TRUE;

  return owner != NULL && caller->principal != NULL && g_str_equal (owner, caller->principal->name);
}

static gboolean
is_deposit_state (const char *state)
{
  static const char * const states[] = {
    "seen", "credited", "dropped", "unattributed", "assigned", "refunding", "refunded", NULL
  };

  return g_strv_contains (states, state);
}

JsonNode *
usdtpay_chain_book_list_deposits (UsdtpayChainBook  *self,
                                  UsdtpayCaller     *caller,
                                  const char        *state,
                                  GError           **error)
{
  JsonArray *items;
  JsonObject *object;

  g_return_val_if_fail (USDTPAY_IS_CHAIN_BOOK (self), NULL);

  if (state != NULL && !is_deposit_state (state))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "state must be one of seen, credited, dropped, unattributed, assigned, refunding, refunded");
      return NULL;
    }

  items = json_array_new ();
  for (guint i = self->deposit_list->len; i > 0; i--)
    {
      UsdtpayDeposit *deposit = g_ptr_array_index (self->deposit_list, i - 1);

      if (!visible_to (caller, deposit->owner) || (state != NULL && !g_str_equal (state, deposit->state)))
        continue;
      json_array_add_element (items, deposit_to_json (deposit, TRUE));
    }

  object = json_object_new ();
  json_object_set_array_member (object, "items", items);
  json_object_set_null_member (object, "next");
  json_object_set_int_member (object, "seq", usdtpay_engine_get_head_seq (self->engine));

  return json_node_init_object (json_node_alloc (), object);
}

static UsdtpayDeposit *
lookup_unattributed (UsdtpayChainBook  *self,
                     UsdtpayCaller     *caller,
                     const char        *id,
                     JsonObject        *params,
                     const char * const *allowed,
                     const char       **reason,
                     GError           **error)
{
  UsdtpayDeposit *deposit;

  if (caller->role != USDTPAY_ROLE_SUPPORT)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "only support may do that");
      return NULL;
    }
  if (!check_members (params, allowed, error) ||
      !usdtpay_json_get_string (params, "reason", FALSE, reason, error))
    return NULL;
  if (**reason == '\0' || strlen (*reason) > 1000)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "reason must be 1 to 1000 characters");
      return NULL;
    }
  if ((deposit = g_hash_table_lookup (self->deposits, id)) == NULL)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_NOT_FOUND, "no such deposit");
      return NULL;
    }
  if (!g_str_equal (deposit->state, "unattributed"))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_ILLEGAL_TRANSITION,
                   "the deposit is %s, not unattributed", deposit->state);
      return NULL;
    }

  return deposit;
}

JsonNode *
usdtpay_chain_book_assign_deposit (UsdtpayChainBook  *self,
                                   UsdtpayCaller     *caller,
                                   const char        *id,
                                   JsonObject        *params,
                                   UsdtpayChange     *change,
                                   GError           **error)
{
  static const char * const allowed[] = { "owner", "reason", NULL };
  g_autofree char *account = NULL;
  UsdtpayPrincipal *owner;
  UsdtpayDeposit *deposit;
  const char *owner_name = NULL;
  const char *reason = NULL;

  g_return_val_if_fail (USDTPAY_IS_CHAIN_BOOK (self), NULL);

  if (!(deposit = lookup_unattributed (self, caller, id, params, allowed, &reason, error)) ||
      !usdtpay_json_get_string (params, "owner", FALSE, &owner_name, error))
    return NULL;
  owner = usdtpay_engine_lookup_principal (self->engine, owner_name);
  if (owner == NULL || (owner->role != USDTPAY_ROLE_MERCHANT && owner->role != USDTPAY_ROLE_SHOP))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "owner must name a merchant or a shop");
      return NULL;
    }

  account = owner_account (self->engine, owner->name);
  if (usdtpay_engine_move (self->engine, change, "deposit-assign", USDTPAY_ACCOUNT_UNATTRIBUTED, account,
                           deposit->amount, error) == 0)
    return NULL;

  set_str (&deposit->owner, owner->name);
  set_str (&deposit->state, "assigned");
  set_str (&deposit->reason, reason);
  set_str (&deposit->by, caller->principal->name);
  deposit->updated_at = now (self);
  persist_deposit (change, deposit);
  emit_deposit (self, change, USDTPAY_EVENT_DEPOSIT_CREDITED, deposit);

  return deposit_to_json (deposit, TRUE);
}

static UsdtpayWithdrawal *
withdrawal_new (UsdtpayChainBook *self,
                const char       *owner,
                const char       *to,
                gint64            amount)
{
  UsdtpayWithdrawal *withdrawal = g_new0 (UsdtpayWithdrawal, 1);

  withdrawal->id = new_id ("wd_");
  withdrawal->owner = g_strdup (owner);
  withdrawal->to = g_strdup (to);
  withdrawal->amount = amount;
  withdrawal->state = g_strdup ("requested");
  withdrawal->nonce = -1;
  withdrawal->created_at = withdrawal->updated_at = now (self);
  g_hash_table_insert (self->withdrawals, withdrawal->id, withdrawal);
  g_ptr_array_add (self->withdrawal_list, withdrawal);

  return withdrawal;
}

JsonNode *
usdtpay_chain_book_refund_deposit (UsdtpayChainBook  *self,
                                   UsdtpayCaller     *caller,
                                   const char        *id,
                                   JsonObject        *params,
                                   UsdtpayChange     *change,
                                   GError           **error)
{
  static const char * const allowed[] = { "reason", NULL };
  UsdtpayWithdrawal *withdrawal;
  UsdtpayDeposit *deposit;
  const char *reason = NULL;

  g_return_val_if_fail (USDTPAY_IS_CHAIN_BOOK (self), NULL);

  if (!(deposit = lookup_unattributed (self, caller, id, params, allowed, &reason, error)))
    return NULL;
  if (!self->configured)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_UNAVAILABLE, "the platform has no chain configured");
      return NULL;
    }
  if (usdtpay_engine_move (self->engine, change, "refund", USDTPAY_ACCOUNT_UNATTRIBUTED,
                           USDTPAY_ACCOUNT_WITHDRAWALS_PENDING, deposit->amount, error) == 0)
    return NULL;

  withdrawal = withdrawal_new (self, NULL, deposit->sender, deposit->amount);
  withdrawal->deposit_id = g_strdup (deposit->id);
  persist_withdrawal (change, withdrawal);

  set_str (&deposit->state, "refunding");
  set_str (&deposit->reason, reason);
  set_str (&deposit->by, caller->principal->name);
  deposit->updated_at = now (self);
  persist_deposit (change, deposit);

  /* The audit record: the refund, who decided it and why. */
  {
    g_autoptr(JsonNode) node = withdrawal_to_json (withdrawal, TRUE);
    const char *audience[] = { NULL };

    json_object_set_string_member (json_node_get_object (node), "by", caller->principal->name);
    json_object_set_string_member (json_node_get_object (node), "reason", reason);
    usdtpay_engine_emit (self->engine, change, USDTPAY_EVENT_WITHDRAWAL_REQUESTED, node, audience);
  }

  return deposit_to_json (deposit, TRUE);
}

/* Withdrawals */

JsonNode *
usdtpay_chain_book_request_withdrawal (UsdtpayChainBook  *self,
                                       UsdtpayCaller     *caller,
                                       JsonObject        *params,
                                       UsdtpayChange     *change,
                                       GError           **error)
{
  static const char * const allowed[] = { "amount", "to", NULL };
  g_autoptr(GPtrArray) wallets = NULL;
  g_autofree char *account = NULL;
  UsdtpayWithdrawal *withdrawal;
  const Wallet *wallet = NULL;
  const char *to = NULL;
  gint64 amount = 0;

  g_return_val_if_fail (USDTPAY_IS_CHAIN_BOOK (self), NULL);

  if (!check_members (params, allowed, error) ||
      !usdtpay_json_get_usdt (params, "amount", FALSE, TRUE, &amount, error) ||
      !usdtpay_json_get_string (params, "to", TRUE, &to, error))
    return NULL;

  wallets = owner_wallets (self, caller->principal->name);
  if (to != NULL)
    {
      UsdtpayAddress address;

      if (!parse_address (to, &address, error))
        return NULL;
      for (guint i = 0; i < wallets->len; i++)
        {
          Wallet *candidate = g_ptr_array_index (wallets, i);

          if (g_ascii_strcasecmp (candidate->address, to) == 0)
            wallet = candidate;
        }
      if (wallet == NULL)
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                       "%s is not one of your registered wallets", to);
          return NULL;
        }
    }
  else if (wallets->len > 0)
    wallet = g_ptr_array_index (wallets, wallets->len - 1);
  else
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT,
                   "register a wallet first (POST /v1/wallets)");
      return NULL;
    }
  if (!self->configured)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_UNAVAILABLE, "the platform has no chain configured");
      return NULL;
    }

  account = owner_account (self->engine, caller->principal->name);
  if (usdtpay_engine_move (self->engine, change, "withdraw", account, USDTPAY_ACCOUNT_WITHDRAWALS_PENDING,
                           amount, error) == 0)
    return NULL;

  withdrawal = withdrawal_new (self, caller->principal->name, wallet->address, amount);
  persist_withdrawal (change, withdrawal);
  emit_withdrawal (self, change, USDTPAY_EVENT_WITHDRAWAL_REQUESTED, withdrawal);

  return withdrawal_to_json (withdrawal, TRUE);
}

JsonNode *
usdtpay_chain_book_list_withdrawals (UsdtpayChainBook *self,
                                     UsdtpayCaller    *caller)
{
  JsonArray *items = json_array_new ();
  JsonObject *object = json_object_new ();

  for (guint i = self->withdrawal_list->len; i > 0; i--)
    {
      UsdtpayWithdrawal *withdrawal = g_ptr_array_index (self->withdrawal_list, i - 1);

      if (visible_to (caller, withdrawal->owner))
        json_array_add_element (items, withdrawal_to_json (withdrawal, TRUE));
    }
  json_object_set_array_member (object, "items", items);
  json_object_set_null_member (object, "next");
  json_object_set_int_member (object, "seq", usdtpay_engine_get_head_seq (self->engine));

  return json_node_init_object (json_node_alloc (), object);
}

UsdtpayWithdrawal *
usdtpay_chain_book_next_withdrawal (UsdtpayChainBook *self,
                                    const char       *state)
{
  for (guint i = 0; i < self->withdrawal_list->len; i++)
    {
      UsdtpayWithdrawal *withdrawal = g_ptr_array_index (self->withdrawal_list, i);

      if (g_str_equal (withdrawal->state, state))
        return withdrawal;
    }

  return NULL;
}

GPtrArray *
usdtpay_chain_book_dup_withdrawals_in (UsdtpayChainBook *self,
                                       const char       *state)
{
  GPtrArray *list = g_ptr_array_new ();

  for (guint i = 0; i < self->withdrawal_list->len; i++)
    {
      UsdtpayWithdrawal *withdrawal = g_ptr_array_index (self->withdrawal_list, i);

      if (g_str_equal (withdrawal->state, state))
        g_ptr_array_add (list, withdrawal);
    }

  return list;
}

guint64
usdtpay_chain_book_get_next_nonce (UsdtpayChainBook *self)
{
  return self->next_nonce;
}

void
usdtpay_chain_book_withdrawal_sent (UsdtpayChainBook  *self,
                                    UsdtpayWithdrawal *withdrawal,
                                    guint64            nonce,
                                    const char        *tx_hash,
                                    const char        *raw,
                                    UsdtpayChange     *change)
{
  g_return_if_fail (USDTPAY_IS_CHAIN_BOOK (self));

  withdrawal->nonce = nonce;
  set_str (&withdrawal->tx_hash, tx_hash);
  set_str (&withdrawal->raw, raw);
  set_str (&withdrawal->state, "sent");
  withdrawal->updated_at = now (self);
  self->next_nonce = nonce + 1;
  persist_meta_int (change, META_NEXT_NONCE, self->next_nonce);
  persist_withdrawal (change, withdrawal);
  emit_withdrawal (self, change, USDTPAY_EVENT_WITHDRAWAL_SENT, withdrawal);
}

void
usdtpay_chain_book_withdrawal_mined (UsdtpayChainBook  *self,
                                     UsdtpayWithdrawal *withdrawal,
                                     gint64             block_number,
                                     UsdtpayChange     *change)
{
  if (withdrawal->block_number == block_number)
    return;
  withdrawal->block_number = block_number;
  withdrawal->updated_at = now (self);
  persist_withdrawal (change, withdrawal);
}

static UsdtpayDeposit *
refunded_deposit (UsdtpayChainBook  *self,
                  UsdtpayWithdrawal *withdrawal)
{
  return withdrawal->deposit_id ? g_hash_table_lookup (self->deposits, withdrawal->deposit_id) : NULL;
}

void
usdtpay_chain_book_withdrawal_settled (UsdtpayChainBook  *self,
                                       UsdtpayWithdrawal *withdrawal,
                                       UsdtpayChange     *change)
{
  UsdtpayDeposit *deposit = refunded_deposit (self, withdrawal);

  g_return_if_fail (USDTPAY_IS_CHAIN_BOOK (self));

  if (usdtpay_engine_move (self->engine, change, "withdraw-settle", USDTPAY_ACCOUNT_WITHDRAWALS_PENDING,
                           "chain", withdrawal->amount, NULL) == 0)
    g_assert_not_reached ();
  set_str (&withdrawal->state, "settled");
  withdrawal->updated_at = now (self);
  persist_withdrawal (change, withdrawal);
  emit_withdrawal (self, change, USDTPAY_EVENT_WITHDRAWAL_SETTLED, withdrawal);

  if (deposit != NULL)
    {
      set_str (&deposit->state, "refunded");
      deposit->updated_at = now (self);
      persist_deposit (change, deposit);
    }
}

void
usdtpay_chain_book_withdrawal_failed (UsdtpayChainBook  *self,
                                      UsdtpayWithdrawal *withdrawal,
                                      const char        *why,
                                      UsdtpayChange     *change)
{
  UsdtpayDeposit *deposit = refunded_deposit (self, withdrawal);
  g_autofree char *account = NULL;

  g_return_if_fail (USDTPAY_IS_CHAIN_BOOK (self));

  /* The funds go back where they came from: the owner's account, or the
   * unattributed deposit that was being refunded. */
  account = withdrawal->owner ? owner_account (self->engine, withdrawal->owner)
                              : g_strdup (USDTPAY_ACCOUNT_UNATTRIBUTED);
  if (usdtpay_engine_move (self->engine, change, "withdraw-fail", USDTPAY_ACCOUNT_WITHDRAWALS_PENDING,
                           account, withdrawal->amount, NULL) == 0)
    g_assert_not_reached ();
  set_str (&withdrawal->state, "failed");
  set_str (&withdrawal->error, why);
  withdrawal->updated_at = now (self);
  persist_withdrawal (change, withdrawal);
  emit_withdrawal (self, change, USDTPAY_EVENT_WITHDRAWAL_FAILED, withdrawal);

  if (deposit != NULL)
    {
      set_str (&deposit->state, "unattributed");
      deposit->updated_at = now (self);
      persist_deposit (change, deposit);
    }
}

void
usdtpay_chain_book_release_nonce (UsdtpayChainBook *self,
                                  guint64           nonce,
                                  UsdtpayChange    *change)
{
  if (self->next_nonce == nonce + 1)
    {
      self->next_nonce = nonce;
      persist_meta_int (change, META_NEXT_NONCE, self->next_nonce);
    }
}

void
usdtpay_chain_book_sync_nonce (UsdtpayChainBook *self,
                               guint64           chain_nonce,
                               UsdtpayChange    *change)
{
  if (chain_nonce > self->next_nonce)
    {
      self->next_nonce = chain_nonce;
      persist_meta_int (change, META_NEXT_NONCE, self->next_nonce);
    }
}
