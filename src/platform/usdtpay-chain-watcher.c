/* usdtpay-chain-watcher.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-chain-watcher"

#include "config.h"

#include "usdtpay-chain-book.h"
#include "usdtpay-chain-watcher.h"

/* Follows the token's Transfer logs into the escrow address, one step at a
 * time: a step reads the node, decides, and commits what it found (the
 * deposits, the cursor, the credits) as one batch before the next step
 * starts, so a restart resumes exactly after the last durable step.
 *
 * Blocks deeper than the confirmations are read in ranges; the unconfirmed
 * tail one block at a time, each block's logs fetched by its hash (EIP-234)
 * so the logs and the hash we remember belong to the same block. Before a
 * step uses block n + 1 it checks that its parent is the block n we
 * remember; if not, the chain was reorganised: the watcher walks back
 * through the blocks it remembers to the newest one still canonical, and
 * rewinds there, dropping the uncredited deposits above it.
 */

#define POLL_USEC        (250 * 1000)
#define BACKOFF_MIN_USEC (250 * 1000)
#define BACKOFF_MAX_USEC (5 * G_USEC_PER_SEC)
#define RANGE_BLOCKS     2000

struct _UsdtpayChainWatcher
{
  GObject            parent_instance;

  UsdtpayEngine     *engine;
  UsdtpayChainBook  *book;
  UsdtpayRpcClient  *client;
  GCancellable      *cancellable;
  guint              timeout_id;
  gboolean           running;
  gboolean           chain_checked;
  guint64            range;       /* blocks per range; halved when a range fails */
  gboolean           in_range;    /* the step in flight reads a range */

  /* The step in flight */
  guint64            head;
  guint64            next;        /* first block of the step */
  guint64            last;        /* last block of the step */
  gboolean           single;      /* one block, logs by hash */
  char              *next_hash;
  char              *last_hash;
  JsonArray         *logs;
  GArray            *candidates;  /* ancestor search: block numbers, highest first */
  guint              candidate;
};

G_DEFINE_FINAL_TYPE (UsdtpayChainWatcher, usdtpay_chain_watcher, G_TYPE_OBJECT)

static gboolean step_cb (gpointer user_data);

static void
schedule (UsdtpayChainWatcher *self,
          gint64               delay_usec)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  self->timeout_id = g_timeout_add (MAX (delay_usec / 1000, 1), step_cb, self);
}

static void
step_reset (UsdtpayChainWatcher *self)
{
  g_clear_pointer (&self->next_hash, g_free);
  g_clear_pointer (&self->last_hash, g_free);
  g_clear_pointer (&self->logs, json_array_unref);
  g_clear_pointer (&self->candidates, g_array_unref);
  self->candidate = 0;
  self->in_range = FALSE;
}

static void
step_failed (UsdtpayChainWatcher *self,
             const GError        *error)
{
  UsdtpayChainTaskStatus *status = usdtpay_chain_book_get_watcher_status (self->book);
  gboolean was_range = self->in_range;
  gint64 delay;

  step_reset (self);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* A node that times out or limits the logs it returns gets smaller
   * ranges. */
  if (was_range)
    self->range = MAX (self->range / 2, 1);

  delay = BACKOFF_MIN_USEC << MIN (status->failures, 10u);
  delay = MIN (delay, BACKOFF_MAX_USEC);
  usdtpay_chain_task_status_failed (status, error, delay);
  schedule (self, delay);
}

typedef struct
{
  UsdtpayChainWatcher *self;
  gboolean             more;
} Commit;

static void
committed_cb (const GError *error,
              gpointer      user_data)
{
  Commit *commit = user_data;
  UsdtpayChainWatcher *self = commit->self;

  if (error != NULL)
    {
      /* The store refuses every later batch: stop watching. */
      g_critical ("The chain watcher stops: the store could not write: %s", error->message);
      self->running = FALSE;
    }
  else if (self->running)
    {
      usdtpay_chain_task_status_ok (usdtpay_chain_book_get_watcher_status (self->book));
      schedule (self, commit->more ? 0 : POLL_USEC);
    }

  g_object_unref (self);
  g_free (commit);
}

static void
commit (UsdtpayChainWatcher *self,
        UsdtpayChange       *change,
        gboolean             more)
{
  Commit *data = g_new0 (Commit, 1);

  data->self = g_object_ref (self);
  data->more = more;
  step_reset (self);
  usdtpay_engine_commit (self->engine, change, committed_cb, data);
}

/* Applying a step */

static void
apply_step (UsdtpayChainWatcher *self)
{
  g_autoptr(UsdtpayChange) change = usdtpay_change_new ();
  guint n_logs = self->logs ? json_array_get_length (self->logs) : 0;

  for (guint i = 0; i < n_logs; i++)
    {
      JsonNode *node = json_array_get_element (self->logs, i);
      g_autoptr(GError) error = NULL;
      UsdtpayTransferLog log;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !usdtpay_abi_decode_transfer_log (json_node_get_object (node), &log, &error))
        {
          g_warning ("Skipping a log the node sent that is not a token Transfer: %s",
                     error ? error->message : "not an object");
          continue;
        }
      if (log.removed || log.block_number < self->next || log.block_number > self->last ||
          !usdtpay_address_equal (&log.token, usdtpay_chain_book_get_token (self->book)) ||
          !usdtpay_address_equal (&log.to, usdtpay_chain_book_get_escrow (self->book)))
        continue;
      usdtpay_chain_book_deposit_seen (self->book, &log, change);
    }

  if (self->in_range)
    self->range = MIN (self->range * 2, RANGE_BLOCKS);
  usdtpay_chain_book_set_last_block (self->book, self->last, self->last_hash, change);
  usdtpay_chain_book_credit_confirmed (self->book, change);
  commit (self, g_steal_pointer (&change), self->last < self->head);
}

static void
last_header_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(UsdtpayChainWatcher) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) block = NULL;

  block = usdtpay_rpc_client_get_block_by_number_finish (self->client, result, &error);
  if (block == NULL)
    {
      step_failed (self, error);
      return;
    }
  self->last_hash = g_strdup (json_object_get_string_member_with_default (block, "hash", NULL));
  apply_step (self);
}

static void
logs_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(UsdtpayChainWatcher) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *tag = NULL;

  self->logs = usdtpay_rpc_client_get_logs_finish (self->client, result, &error);
  if (self->logs == NULL)
    {
      step_failed (self, error);
      return;
    }

  if (self->single)
    {
      self->last_hash = g_strdup (self->next_hash);
      apply_step (self);
      return;
    }

  tag = usdtpay_rpc_block_tag_for_number (self->last);
  usdtpay_rpc_client_get_block_by_number_async (self->client, tag, FALSE, self->cancellable,
                                                last_header_cb, g_object_ref (self));
}

static void
fetch_logs (UsdtpayChainWatcher *self)
{
  g_autoptr(JsonNode) filter = usdtpay_abi_new_transfer_filter (usdtpay_chain_book_get_token (self->book),
                                                                usdtpay_chain_book_get_escrow (self->book),
                                                                self->next, self->last);

  if (self->single)
    {
      JsonObject *object = json_node_get_object (filter);

      json_object_remove_member (object, "fromBlock");
      json_object_remove_member (object, "toBlock");
      json_object_set_string_member (object, "blockHash", self->next_hash);
    }

  usdtpay_rpc_client_get_logs_async (self->client, filter, self->cancellable, logs_cb, g_object_ref (self));
}

/* Reorganisations */

static void search_next_candidate (UsdtpayChainWatcher *self);
static void search_ancestor (UsdtpayChainWatcher *self);

static void
candidate_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(UsdtpayChainWatcher) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) block = NULL;
  guint64 number = g_array_index (self->candidates, guint64, self->candidate);
  const char *known = usdtpay_chain_book_get_block_hash (self->book, number);
  const char *hash;

  block = usdtpay_rpc_client_get_block_by_number_finish (self->client, result, &error);
  if (block == NULL && !g_error_matches (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_NOT_FOUND))
    {
      step_failed (self, error);
      return;
    }

  /* A block the node no longer has is not canonical either. */
  hash = block ? json_object_get_string_member_with_default (block, "hash", NULL) : NULL;
  if (hash != NULL && g_strcmp0 (hash, known) == 0)
    {
      g_autoptr(UsdtpayChange) change = usdtpay_change_new ();
      g_autofree char *ancestor_hash = g_strdup (hash);

      usdtpay_chain_book_rewind (self->book, number, ancestor_hash, change);
      commit (self, g_steal_pointer (&change), TRUE);
      return;
    }

  self->candidate++;
  search_next_candidate (self);
}

static void
search_next_candidate (UsdtpayChainWatcher *self)
{
  g_autofree char *tag = NULL;

  if (self->candidate >= self->candidates->len)
    {
      /* Deeper than every block we remember: go back below the oldest. */
      g_autoptr(UsdtpayChange) change = usdtpay_change_new ();
      guint64 oldest = self->candidates->len > 0
                     ? g_array_index (self->candidates, guint64, self->candidates->len - 1)
                     : self->next;

      g_critical ("Chain reorganisation deeper than the %u blocks remembered; rescanning from block %"
                  G_GUINT64_FORMAT, self->candidates->len, oldest > 0 ? oldest - 1 : 0);
      usdtpay_chain_book_rewind (self->book, oldest > 0 ? oldest - 1 : 0, NULL, change);
      commit (self, g_steal_pointer (&change), TRUE);
      return;
    }

  tag = usdtpay_rpc_block_tag_for_number (g_array_index (self->candidates, guint64, self->candidate));
  usdtpay_rpc_client_get_block_by_number_async (self->client, tag, FALSE, self->cancellable,
                                                candidate_cb, g_object_ref (self));
}

static void
next_header_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(UsdtpayChainWatcher) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) block = NULL;
  const char *known;
  const char *parent;

  block = usdtpay_rpc_client_get_block_by_number_finish (self->client, result, &error);
  if (block == NULL)
    {
      step_failed (self, error);
      return;
    }

  self->next_hash = g_strdup (json_object_get_string_member_with_default (block, "hash", NULL));
  parent = json_object_get_string_member_with_default (block, "parentHash", NULL);
  known = self->next > 0 ? usdtpay_chain_book_get_block_hash (self->book, self->next - 1) : NULL;
  if (self->next_hash == NULL || parent == NULL)
    {
      g_autoptr(GError) bad = g_error_new (USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
                                           "block %" G_GUINT64_FORMAT " has no hash", self->next);

      step_failed (self, bad);
      return;
    }

  if (known != NULL && g_ascii_strcasecmp (known, parent) != 0)
    {
      g_message ("Block %" G_GUINT64_FORMAT "'s parent is %s, not the %s we booked: reorganisation",
                 self->next, parent, known);
      search_ancestor (self);
      return;
    }

  fetch_logs (self);
}

static void
start_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(UsdtpayChainWatcher) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) block = NULL;
  g_autoptr(UsdtpayChange) change = NULL;

  block = usdtpay_rpc_client_get_block_by_number_finish (self->client, result, &error);
  if (block == NULL)
    {
      step_failed (self, error);
      return;
    }

  /* A new platform starts at the head: there is nothing to credit before. */
  change = usdtpay_change_new ();
  usdtpay_chain_book_set_last_block (self->book, self->head,
                                     json_object_get_string_member_with_default (block, "hash", NULL), change);
  g_message ("The chain watcher starts at block %" G_GUINT64_FORMAT, self->head);
  commit (self, g_steal_pointer (&change), FALSE);
}

static void
chain_id_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(UsdtpayChainWatcher) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayChange) change = NULL;
  guint64 chain_id = 0;

  if (!usdtpay_rpc_client_chain_id_finish (self->client, result, &chain_id, &error))
    {
      step_failed (self, error);
      return;
    }

  if (usdtpay_chain_book_get_chain_id (self->book) != 0 && usdtpay_chain_book_get_chain_id (self->book) != chain_id)
    {
      g_autoptr(GError) wrong = g_error_new (USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
                                             "the node serves chain %" G_GUINT64_FORMAT
                                             ", this database chain %" G_GUINT64_FORMAT,
                                             chain_id, usdtpay_chain_book_get_chain_id (self->book));

      step_failed (self, wrong);
      return;
    }

  self->chain_checked = TRUE;
  change = usdtpay_change_new ();
  usdtpay_chain_book_set_chain_id (self->book, chain_id, change);
  commit (self, g_steal_pointer (&change), TRUE);
}

static void
search_ancestor (UsdtpayChainWatcher *self)
{
  self->candidates = usdtpay_chain_book_dup_recent_blocks (self->book);
  self->candidate = 0;
  search_next_candidate (self);
}

/* No new block: the newest one we booked must still be the node's. */
static void
idle_header_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(UsdtpayChainWatcher) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) block = NULL;
  guint64 last = 0;
  const char *known;

  usdtpay_chain_book_get_last_block (self->book, &last);
  known = usdtpay_chain_book_get_block_hash (self->book, last);
  block = usdtpay_rpc_client_get_block_by_number_finish (self->client, result, &error);
  if (block == NULL && !g_error_matches (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_NOT_FOUND))
    {
      step_failed (self, error);
      return;
    }

  if (block == NULL || g_strcmp0 (json_object_get_string_member_with_default (block, "hash", NULL), known) != 0)
    {
      g_message ("Block %" G_GUINT64_FORMAT " is no longer the one we booked: reorganisation", last);
      search_ancestor (self);
      return;
    }

  usdtpay_chain_task_status_ok (usdtpay_chain_book_get_watcher_status (self->book));
  schedule (self, POLL_USEC);
}

static void
block_number_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(UsdtpayChainWatcher) self = user_data;
  g_autoptr(GError) error = NULL;
  guint64 last = 0;
  guint confirmations = usdtpay_chain_book_get_confirmations (self->book);

  if (!usdtpay_rpc_client_block_number_finish (self->client, result, &self->head, &error))
    {
      step_failed (self, error);
      return;
    }
  usdtpay_chain_book_set_head (self->book, self->head);

  if (!usdtpay_chain_book_get_last_block (self->book, &last))
    {
      g_autofree char *tag = usdtpay_rpc_block_tag_for_number (self->head);

      usdtpay_rpc_client_get_block_by_number_async (self->client, tag, FALSE, self->cancellable,
                                                    start_cb, g_object_ref (self));
      return;
    }

  if (last >= self->head)
    {
      g_autofree char *tag = usdtpay_rpc_block_tag_for_number (last);

      if (usdtpay_chain_book_get_block_hash (self->book, last) == NULL)
        {
          usdtpay_chain_task_status_ok (usdtpay_chain_book_get_watcher_status (self->book));
          schedule (self, POLL_USEC);
          return;
        }
      usdtpay_rpc_client_get_block_by_number_async (self->client, tag, FALSE, self->cancellable,
                                                    idle_header_cb, g_object_ref (self));
      return;
    }

  self->next = last + 1;
  if (self->head >= confirmations + self->next + 1)
    {
      /* Final blocks: a range, up to the start of the unconfirmed tail. */
      self->single = FALSE;
      self->last = MIN (self->next + self->range - 1, self->head - confirmations - 1);
      self->in_range = self->last > self->next;
    }
  else
    {
      self->single = TRUE;
      self->last = self->next;
    }

  {
    g_autofree char *tag = usdtpay_rpc_block_tag_for_number (self->next);

    usdtpay_rpc_client_get_block_by_number_async (self->client, tag, FALSE, self->cancellable,
                                                  next_header_cb, g_object_ref (self));
  }
}

static gboolean
step_cb (gpointer user_data)
{
  UsdtpayChainWatcher *self = user_data;

  self->timeout_id = 0;
  if (!self->running)
    return G_SOURCE_REMOVE;

  /* Once per start: the node must serve the database's chain. */
  if (!self->chain_checked)
    usdtpay_rpc_client_chain_id_async (self->client, self->cancellable, chain_id_cb, g_object_ref (self));
  else
    usdtpay_rpc_client_block_number_async (self->client, self->cancellable, block_number_cb,
                                           g_object_ref (self));

  return G_SOURCE_REMOVE;
}

static void
usdtpay_chain_watcher_dispose (GObject *object)
{
  UsdtpayChainWatcher *self = (UsdtpayChainWatcher *)object;

  usdtpay_chain_watcher_stop (self);
  step_reset (self);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (usdtpay_chain_watcher_parent_class)->dispose (object);
}

static void
usdtpay_chain_watcher_class_init (UsdtpayChainWatcherClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = usdtpay_chain_watcher_dispose;
}

static void
usdtpay_chain_watcher_init (UsdtpayChainWatcher *self)
{
  self->cancellable = g_cancellable_new ();
  self->range = RANGE_BLOCKS;
}

UsdtpayChainWatcher *
usdtpay_chain_watcher_new (UsdtpayEngine    *engine,
                           UsdtpayRpcClient *client)
{
  UsdtpayChainWatcher *self;

  g_return_val_if_fail (USDTPAY_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (USDTPAY_IS_RPC_CLIENT (client), NULL);

  self = g_object_new (USDTPAY_TYPE_CHAIN_WATCHER, NULL);
  self->engine = g_object_ref (engine);
  self->book = usdtpay_engine_get_chain_book (engine);
  self->client = g_object_ref (client);

  return self;
}

void
usdtpay_chain_watcher_start (UsdtpayChainWatcher *self)
{
  g_return_if_fail (USDTPAY_IS_CHAIN_WATCHER (self));
  g_return_if_fail (usdtpay_chain_book_is_configured (self->book));

  self->running = TRUE;
  schedule (self, 0);
}

void
usdtpay_chain_watcher_stop (UsdtpayChainWatcher *self)
{
  g_return_if_fail (USDTPAY_IS_CHAIN_WATCHER (self));

  self->running = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
}
