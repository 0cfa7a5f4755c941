/* usdtpay-withdrawals.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-withdrawals"

#include "config.h"

#include <string.h>

#include "usdtpay-chain-book.h"
#include "usdtpay-withdrawals.h"

/* One sender, one step at a time, so nonces never collide: a withdrawal is
 * signed with the book's next nonce, and the signed transaction, its hash
 * and the next nonce are durable before it is broadcast. After a restart a
 * sent transaction is broadcast again from the stored bytes (the same hash:
 * the node takes it once). A sent transaction settles once its receipt is
 * the configured number of blocks deep; a reverted one, or one whose nonce
 * went to another transaction, fails and its funds go back.
 */

#define POLL_USEC        (300 * 1000)
#define BACKOFF_MIN_USEC (250 * 1000)
#define BACKOFF_MAX_USEC (5 * G_USEC_PER_SEC)
#define GAS_LIMIT        100000

struct _UsdtpayWithdrawals
{
  GObject            parent_instance;

  UsdtpayEngine     *engine;
  UsdtpayChainBook  *book;
  UsdtpayRpcClient  *client;
  GCancellable      *cancellable;
  guint              timeout_id;
  gboolean           running;
  gboolean           nonce_synced;

  /* The round in flight */
  GPtrArray         *sent;        /* UsdtpayWithdrawal*, borrowed from the book */
  guint              index;
  UsdtpayWithdrawal *current;
  GBytes            *raw;
  UsdtpayUint256     gas_price;
  gboolean           rechecked;
};

G_DEFINE_FINAL_TYPE (UsdtpayWithdrawals, usdtpay_withdrawals, G_TYPE_OBJECT)

static gboolean tick_cb (gpointer user_data);
static void check_next_sent (UsdtpayWithdrawals *self);

static void
schedule (UsdtpayWithdrawals *self,
          gint64              delay_usec)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (!self->running)
    return;
  self->timeout_id = g_timeout_add (MAX (delay_usec / 1000, 1), tick_cb, self);
}

static void
round_reset (UsdtpayWithdrawals *self)
{
  g_clear_pointer (&self->sent, g_ptr_array_unref);
  g_clear_pointer (&self->raw, g_bytes_unref);
  self->current = NULL;
  self->index = 0;
  self->rechecked = FALSE;
}

static void
round_failed (UsdtpayWithdrawals *self,
              const GError       *error)
{
  UsdtpayChainTaskStatus *status = usdtpay_chain_book_get_sender_status (self->book);
  gint64 delay;

  round_reset (self);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  delay = MIN (BACKOFF_MIN_USEC << MIN (status->failures, 10u), BACKOFF_MAX_USEC);
  usdtpay_chain_task_status_failed (status, error, delay);
  schedule (self, delay);
}

static void
round_done (UsdtpayWithdrawals *self,
            gboolean            more)
{
  round_reset (self);
  usdtpay_chain_task_status_ok (usdtpay_chain_book_get_sender_status (self->book));
  schedule (self, more ? 0 : POLL_USEC);
}

/* Commits @change, then calls @then (or ends the round). */
typedef struct
{
  UsdtpayWithdrawals *self;
  void              (*then) (UsdtpayWithdrawals *self);
} Commit;

static void
committed_cb (const GError *error,
              gpointer      user_data)
{
  Commit *commit = user_data;
  UsdtpayWithdrawals *self = commit->self;

  if (error != NULL)
    {
      g_critical ("The withdrawal sender stops: the store could not write: %s", error->message);
      self->running = FALSE;
      round_reset (self);
    }
  else if (self->running)
    commit->then (self);

  g_object_unref (self);
  g_free (commit);
}

static void
commit (UsdtpayWithdrawals *self,
        UsdtpayChange      *change,
        void              (*then) (UsdtpayWithdrawals *self))
{
  Commit *data = g_new0 (Commit, 1);

  data->self = g_object_ref (self);
  data->then = then;
  usdtpay_engine_commit (self->engine, change, committed_cb, data);
}

static gboolean
is_rpc_refusal (const GError *error,
                const char   *text)
{
  g_autofree char *lower = NULL;

  if (!g_error_matches (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_RPC))
    return FALSE;
  if (text == NULL)
    return TRUE;
  lower = g_ascii_strdown (error->message, -1);

  return strstr (lower, text) != NULL;
}

/* Signing and broadcasting the next requested withdrawal */

static void
after_refusal (UsdtpayWithdrawals *self)
{
  round_done (self, TRUE);
}

static void
broadcast_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(UsdtpayWithdrawals) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;

  hash = usdtpay_rpc_client_send_raw_transaction_finish (self->client, result, &error);
  if (hash == NULL && is_rpc_refusal (error, NULL) && !is_rpc_refusal (error, "already known"))
    {
      /* The node refused it outright (no gas money, a bad nonce): it will
       * never be mined. */
      g_autoptr(UsdtpayChange) change = usdtpay_change_new ();
      g_autofree char *why = g_strdup_printf ("the node refused the transaction: %s", error->message);

      g_warning ("Withdrawal %s failed: %s", self->current->id, why);
      usdtpay_chain_book_withdrawal_failed (self->book, self->current, why, change);
      if (is_rpc_refusal (error, "nonce"))
        self->nonce_synced = FALSE;   /* someone else spent it: ask the node again */
      else
        usdtpay_chain_book_release_nonce (self->book, self->current->nonce, change);
      commit (self, g_steal_pointer (&change), after_refusal);
      return;
    }
  if (hash == NULL && !is_rpc_refusal (error, "already known"))
    {
      /* Not reached the node: sent again from the stored bytes later. */
      round_failed (self, error);
      return;
    }

  g_message ("Withdrawal %s broadcast as %s (nonce %" G_GINT64_FORMAT ")", self->current->id,
             self->current->tx_hash, self->current->nonce);
  round_done (self, TRUE);
}

static void
broadcast (UsdtpayWithdrawals *self)
{
  usdtpay_rpc_client_send_raw_transaction_async (self->client, self->raw, self->cancellable, broadcast_cb,
                                                 g_object_ref (self));
}

static void
priority_fee_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(UsdtpayWithdrawals) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(UsdtpayTransaction) tx = { 0 };
  g_autoptr(UsdtpayChange) change = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autofree char *raw_hex = NULL;
  g_autofree char *hash_hex = NULL;
  UsdtpayUint256 priority;
  UsdtpayUint256 amount;
  UsdtpayAddress to;
  guint64 gas_price = 0;
  guint64 tip = 0;
  guint8 hash[32];

  if (!usdtpay_rpc_client_max_priority_fee_finish (self->client, result, &priority, &error) ||
      !usdtpay_uint256_to_uint64 (&self->gas_price, &gas_price, &error) ||
      !usdtpay_uint256_to_uint64 (&priority, &tip, &error))
    {
      round_failed (self, error);
      return;
    }
  if (gas_price > G_MAXUINT64 / 4 || tip > G_MAXUINT64 / 4)
    {
      g_autoptr(GError) absurd = g_error_new (USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
                                              "the node's gas price is out of range");

      round_failed (self, absurd);
      return;
    }

  usdtpay_transaction_init (&tx, USDTPAY_TRANSACTION_EIP1559);
  tx.chain_id = usdtpay_chain_book_get_chain_id (self->book);
  tx.nonce = usdtpay_chain_book_get_next_nonce (self->book);
  tx.gas_limit = GAS_LIMIT;
  usdtpay_uint256_set_uint64 (&tx.max_priority_fee_per_gas, tip);
  /* Room for the base fee to double before the transaction stalls. */
  usdtpay_uint256_set_uint64 (&tx.max_fee_per_gas, gas_price * 2 + tip);
  tx.has_to = TRUE;
  tx.to = *usdtpay_chain_book_get_token (self->book);
  if (!usdtpay_address_parse (&to, self->current->to, &error) ||
      !usdtpay_uint256_set_int64 (&amount, self->current->amount, &error))
    {
      round_failed (self, error);
      return;
    }
  data = usdtpay_abi_encode_transfer (&to, &amount);
  usdtpay_transaction_set_data (&tx, data);

  if (!(self->raw = usdtpay_transaction_sign (&tx, usdtpay_chain_book_get_hot_wallet (self->book), &error)))
    {
      round_failed (self, error);
      return;
    }
  usdtpay_transaction_hash_raw (self->raw, hash);
  hash_hex = usdtpay_hex_encode (hash, sizeof hash);
  raw_hex = usdtpay_hex_encode_bytes (self->raw);

  change = usdtpay_change_new ();
  usdtpay_chain_book_withdrawal_sent (self->book, self->current, tx.nonce, hash_hex, raw_hex, change);
  commit (self, g_steal_pointer (&change), broadcast);
}

static void
gas_price_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(UsdtpayWithdrawals) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!usdtpay_rpc_client_gas_price_finish (self->client, result, &self->gas_price, &error))
    {
      round_failed (self, error);
      return;
    }

  usdtpay_rpc_client_max_priority_fee_async (self->client, self->cancellable, priority_fee_cb,
                                             g_object_ref (self));
}

static void
sign_next (UsdtpayWithdrawals *self)
{
  self->current = usdtpay_chain_book_next_withdrawal (self->book, "requested");
  if (self->current == NULL)
    {
      round_done (self, FALSE);
      return;
    }

  usdtpay_rpc_client_gas_price_async (self->client, self->cancellable, gas_price_cb, g_object_ref (self));
}

/* Following the sent ones */

static void
continue_checks (UsdtpayWithdrawals *self)
{
  self->index++;
  self->rechecked = FALSE;
  check_next_sent (self);
}

static void
fail_current (UsdtpayWithdrawals *self,
              const char         *why)
{
  g_autoptr(UsdtpayChange) change = usdtpay_change_new ();

  g_warning ("Withdrawal %s (%s) failed: %s", self->current->id, self->current->tx_hash, why);
  usdtpay_chain_book_withdrawal_failed (self->book, self->current, why, change);
  commit (self, g_steal_pointer (&change), continue_checks);
}

static void receipt_cb (GObject *object, GAsyncResult *result, gpointer user_data);

static void
rebroadcast_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(UsdtpayWithdrawals) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;

  hash = usdtpay_rpc_client_send_raw_transaction_finish (self->client, result, &error);
  if (hash == NULL && is_rpc_refusal (error, "nonce too low"))
    {
      /* Mined a moment ago, or replaced: the receipt tells. */
      if (!self->rechecked)
        {
          self->rechecked = TRUE;
          usdtpay_rpc_client_get_transaction_receipt_async (self->client, self->current->tx_hash,
                                                            self->cancellable, receipt_cb, g_object_ref (self));
          return;
        }
      fail_current (self, "dropped: its nonce went to another transaction");
      return;
    }
  if (hash == NULL && !is_rpc_refusal (error, NULL))
    {
      round_failed (self, error);
      return;
    }

  continue_checks (self);
}

static void
receipt_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(UsdtpayWithdrawals) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) receipt = NULL;
  guint confirmations = usdtpay_chain_book_get_confirmations (self->book);
  guint64 head = usdtpay_chain_book_get_head (self->book);
  const char *status;
  guint64 block = 0;

  receipt = usdtpay_rpc_client_get_transaction_receipt_finish (self->client, result, &error);
  if (receipt == NULL && g_error_matches (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_NOT_FOUND))
    {
      g_autoptr(GBytes) raw = NULL;

      g_clear_error (&error);
      if (self->rechecked)
        {
          fail_current (self, "dropped: its nonce went to another transaction");
          return;
        }
      /* Not mined (any more): send the same bytes again. */
      if (self->current->block_number != 0)
        {
          g_autoptr(UsdtpayChange) change = usdtpay_change_new ();

          usdtpay_chain_book_withdrawal_mined (self->book, self->current, 0, change);
          usdtpay_engine_commit (self->engine, g_steal_pointer (&change), NULL, NULL);
        }
      if (!(raw = usdtpay_hex_decode (self->current->raw, &error)))
        {
          /* Never failed on our side: the transaction may be on chain. */
          g_critical ("Withdrawal %s has unreadable signed bytes: %s", self->current->id, error->message);
          round_failed (self, error);
          return;
        }
      usdtpay_rpc_client_send_raw_transaction_async (self->client, raw, self->cancellable, rebroadcast_cb,
                                                     g_object_ref (self));
      return;
    }
  if (receipt == NULL)
    {
      round_failed (self, error);
      return;
    }

  status = json_object_get_string_member_with_default (receipt, "status", NULL);
  if (!usdtpay_hex_parse_quantity (json_object_get_string_member_with_default (receipt, "blockNumber", ""),
                                   &block, NULL) || status == NULL)
    {
      g_autoptr(GError) bad = g_error_new (USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
                                           "the receipt of %s has no block number or status",
                                           self->current->tx_hash);

      round_failed (self, bad);
      return;
    }
  if (g_str_equal (status, "0x0"))
    {
      fail_current (self, "the token transfer reverted on chain");
      return;
    }

  if (head >= block && head - block + 1 >= confirmations)
    {
      g_autoptr(UsdtpayChange) change = usdtpay_change_new ();

      g_message ("Withdrawal %s settled in block %" G_GUINT64_FORMAT, self->current->id, block);
      usdtpay_chain_book_withdrawal_mined (self->book, self->current, block, change);
      usdtpay_chain_book_withdrawal_settled (self->book, self->current, change);
      commit (self, g_steal_pointer (&change), continue_checks);
      return;
    }
  if ((guint64)self->current->block_number != block)
    {
      g_autoptr(UsdtpayChange) change = usdtpay_change_new ();

      usdtpay_chain_book_withdrawal_mined (self->book, self->current, block, change);
      commit (self, g_steal_pointer (&change), continue_checks);
      return;
    }

  continue_checks (self);
}

static void
check_next_sent (UsdtpayWithdrawals *self)
{
  if (self->index >= self->sent->len)
    {
      g_clear_pointer (&self->sent, g_ptr_array_unref);
      sign_next (self);
      return;
    }

  self->current = g_ptr_array_index (self->sent, self->index);
  if (!g_str_equal (self->current->state, "sent"))
    {
      continue_checks (self);
      return;
    }
  usdtpay_rpc_client_get_transaction_receipt_async (self->client, self->current->tx_hash, self->cancellable,
                                                    receipt_cb, g_object_ref (self));
}

static void
start_checks (UsdtpayWithdrawals *self)
{
  self->sent = usdtpay_chain_book_dup_withdrawals_in (self->book, "sent");
  self->index = 0;
  check_next_sent (self);
}

static void
nonce_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(UsdtpayWithdrawals) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayChange) change = NULL;
  guint64 count = 0;

  if (!usdtpay_rpc_client_get_transaction_count_finish (self->client, result, &count, &error))
    {
      round_failed (self, error);
      return;
    }

  self->nonce_synced = TRUE;
  change = usdtpay_change_new ();
  usdtpay_chain_book_sync_nonce (self->book, count, change);
  commit (self, g_steal_pointer (&change), start_checks);
}

static gboolean
tick_cb (gpointer user_data)
{
  UsdtpayWithdrawals *self = user_data;

  self->timeout_id = 0;
  if (!self->running)
    return G_SOURCE_REMOVE;

  /* Signing needs the chain id and a head, which the watcher finds. */
  if (usdtpay_chain_book_get_chain_id (self->book) == 0 || usdtpay_chain_book_get_head (self->book) == 0)
    {
      schedule (self, POLL_USEC);
      return G_SOURCE_REMOVE;
    }

  if (!self->nonce_synced)
    usdtpay_rpc_client_get_transaction_count_async (self->client, usdtpay_chain_book_get_escrow (self->book),
                                                    "pending", self->cancellable, nonce_cb,
                                                    g_object_ref (self));
  else
    start_checks (self);

  return G_SOURCE_REMOVE;
}

static void
usdtpay_withdrawals_dispose (GObject *object)
{
  UsdtpayWithdrawals *self = (UsdtpayWithdrawals *)object;

  usdtpay_withdrawals_stop (self);
  round_reset (self);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (usdtpay_withdrawals_parent_class)->dispose (object);
}

static void
usdtpay_withdrawals_class_init (UsdtpayWithdrawalsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = usdtpay_withdrawals_dispose;
}

static void
usdtpay_withdrawals_init (UsdtpayWithdrawals *self)
{
  self->cancellable = g_cancellable_new ();
}

UsdtpayWithdrawals *
usdtpay_withdrawals_new (UsdtpayEngine    *engine,
                         UsdtpayRpcClient *client)
{
  UsdtpayWithdrawals *self;

  g_return_val_if_fail (USDTPAY_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (USDTPAY_IS_RPC_CLIENT (client), NULL);

  self = g_object_new (USDTPAY_TYPE_WITHDRAWALS, NULL);
  self->engine = g_object_ref (engine);
  self->book = usdtpay_engine_get_chain_book (engine);
  self->client = g_object_ref (client);

  return self;
}

void
usdtpay_withdrawals_start (UsdtpayWithdrawals *self)
{
  g_return_if_fail (USDTPAY_IS_WITHDRAWALS (self));

  self->running = TRUE;
  schedule (self, 0);
}

void
usdtpay_withdrawals_stop (UsdtpayWithdrawals *self)
{
  g_return_if_fail (USDTPAY_IS_WITHDRAWALS (self));

  self->running = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
}
