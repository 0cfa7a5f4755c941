/* usdtpay-batch.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-batch"

#include "config.h"

#include "usdtpay-batch.h"

struct _UsdtpayBatch
{
  GArray *ops;
};

static void
entry_clear (gpointer data)
{
  UsdtpayEntry *entry = data;

  g_free (entry->account);
}

void
usdtpay_principal_record_clear (UsdtpayPrincipalRecord *record)
{
  g_clear_pointer (&record->name, g_free);
  g_clear_pointer (&record->password_hash, g_free);
  g_clear_pointer (&record->settings, g_free);
}

void
usdtpay_op_clear (UsdtpayOp *op)
{
  switch (op->kind)
    {
    case USDTPAY_OP_ORDER_PUT:
      g_clear_pointer (&op->order.order, usdtpay_order_unref);
      g_clear_pointer (&op->order.json, g_bytes_unref);
      break;
    case USDTPAY_OP_EVENT_APPEND:
      g_free (op->event.order_id);
      g_strfreev (op->event.audience);
      g_bytes_unref (op->event.body);
      break;
    case USDTPAY_OP_TRANSFER:
      g_free (op->transfer.kind);
      g_free (op->transfer.order_id);
      g_array_unref (op->transfer.entries);
      break;
    case USDTPAY_OP_PRINCIPAL_PUT:
      usdtpay_principal_record_clear (&op->principal);
      break;
    case USDTPAY_OP_SESSION_PUT:
    case USDTPAY_OP_SESSION_DELETE:
      g_free (op->session.hash);
      g_free (op->session.principal);
      break;
    case USDTPAY_OP_API_KEY_PUT:
      g_free (op->api_key.hash);
      g_free (op->api_key.principal);
      g_free (op->api_key.prefix);
      g_free (op->api_key.scopes);
      break;
    case USDTPAY_OP_IDEMPOTENCY_PUT:
      g_free (op->idempotency.shop);
      g_free (op->idempotency.key);
      g_free (op->idempotency.body_hash);
      g_bytes_unref (op->idempotency.response);
      break;
    case USDTPAY_OP_META_PUT:
      g_free (op->meta.key);
      g_free (op->meta.value);
      break;
    case USDTPAY_OP_WEBHOOK_PUT:
      g_free (op->webhook.shop);
      g_free (op->webhook.url);
      g_free (op->webhook.secret);
      break;
    case USDTPAY_OP_DELIVERY_PUT:
      g_free (op->delivery.shop);
      g_free (op->delivery.event_id);
      g_free (op->delivery.event_type);
      g_free (op->delivery.order_id);
      g_clear_pointer (&op->delivery.body, g_bytes_unref);
      g_free (op->delivery.state);
      break;
    case USDTPAY_OP_DELIVERY_ATTEMPT:
      g_free (op->attempt.error);
      break;
    case USDTPAY_OP_RECEIPT_PUT:
      g_free (op->receipt.order_id);
      g_free (op->receipt.key_id);
      g_free (op->receipt.text);
      g_free (op->receipt.signature);
      break;
    case USDTPAY_OP_CHAIN_PUT:
      usdtpay_chain_op_clear (op);
      break;
    case USDTPAY_OP_PURGE:
      break;
    default:
      g_assert_not_reached ();
    }
}

void
usdtpay_chain_op_clear (UsdtpayOp *op)
{
  g_clear_pointer (&op->chain.kind, g_free);
  g_clear_pointer (&op->chain.id, g_free);
  g_clear_pointer (&op->chain.owner, g_free);
  g_clear_pointer (&op->chain.state, g_free);
  g_clear_pointer (&op->chain.tx_hash, g_free);
  g_clear_pointer (&op->chain.data, g_free);
}

UsdtpayBatch *
usdtpay_batch_new (void)
{
  UsdtpayBatch *batch = g_new0 (UsdtpayBatch, 1);

  batch->ops = g_array_new (FALSE, TRUE, sizeof (UsdtpayOp));
  g_array_set_clear_func (batch->ops, (GDestroyNotify)usdtpay_op_clear);

  return batch;
}

void
usdtpay_batch_free (UsdtpayBatch *batch)
{
  if (batch == NULL)
    return;

  g_array_unref (batch->ops);
  g_free (batch);
}

guint
usdtpay_batch_get_n_ops (UsdtpayBatch *batch)
{
  g_return_val_if_fail (batch != NULL, 0);

  return batch->ops->len;
}

const UsdtpayOp *
usdtpay_batch_get_op (UsdtpayBatch *batch,
                      guint         index)
{
  g_return_val_if_fail (batch != NULL, NULL);
  g_return_val_if_fail (index < batch->ops->len, NULL);

  return &g_array_index (batch->ops, UsdtpayOp, index);
}

static UsdtpayOp *
batch_push (UsdtpayBatch  *batch,
            UsdtpayOpKind  kind)
{
  UsdtpayOp op = { .kind = kind };

  g_array_append_val (batch->ops, op);

  return &g_array_index (batch->ops, UsdtpayOp, batch->ops->len - 1);
}

void
usdtpay_batch_put_order (UsdtpayBatch       *batch,
                         const UsdtpayOrder *order,
                         gint64              held,
                         GBytes             *json)
{
  UsdtpayOp *op;

  g_return_if_fail (batch != NULL);
  g_return_if_fail (order != NULL);
  g_return_if_fail (json != NULL);

  op = batch_push (batch, USDTPAY_OP_ORDER_PUT);
  op->order.order = usdtpay_order_copy (order);
  op->order.held = held;
  op->order.json = g_bytes_ref (json);
}

void
usdtpay_batch_append_event (UsdtpayBatch       *batch,
                            gint64              seq,
                            UsdtpayEventType    type,
                            gint64              at,
                            const char         *order_id,
                            const char * const *audience,
                            GBytes             *body)
{
  UsdtpayOp *op;

  g_return_if_fail (batch != NULL);
  g_return_if_fail (body != NULL);

  op = batch_push (batch, USDTPAY_OP_EVENT_APPEND);
  op->event.seq = seq;
  op->event.type = type;
  op->event.at = at;
  op->event.order_id = g_strdup (order_id);
  op->event.audience = g_strdupv ((char **)audience);
  op->event.body = g_bytes_ref (body);
}

void
usdtpay_batch_add_transfer (UsdtpayBatch *batch,
                            gint64        id,
                            gint64        at,
                            const char   *kind,
                            const char   *order_id,
                            GArray       *entries)
{
  UsdtpayOp *op;

  g_return_if_fail (batch != NULL);
  g_return_if_fail (entries != NULL);

  op = batch_push (batch, USDTPAY_OP_TRANSFER);
  op->transfer.id = id;
  op->transfer.at = at;
  op->transfer.kind = g_strdup (kind);
  op->transfer.order_id = g_strdup (order_id);
  op->transfer.entries = entries;
}

void
usdtpay_batch_put_principal (UsdtpayBatch                 *batch,
                             const UsdtpayPrincipalRecord *record)
{
  UsdtpayOp *op;

  g_return_if_fail (batch != NULL);
  g_return_if_fail (record != NULL);

  op = batch_push (batch, USDTPAY_OP_PRINCIPAL_PUT);
  op->principal = *record;
  op->principal.name = g_strdup (record->name);
  op->principal.password_hash = g_strdup (record->password_hash);
  op->principal.settings = g_strdup (record->settings);
}

void
usdtpay_batch_put_session (UsdtpayBatch *batch,
                           const char   *hash,
                           const char   *principal,
                           gint64        expires_at)
{
  UsdtpayOp *op;

  g_return_if_fail (batch != NULL);

  op = batch_push (batch, USDTPAY_OP_SESSION_PUT);
  op->session.hash = g_strdup (hash);
  op->session.principal = g_strdup (principal);
  op->session.expires_at = expires_at;
}

void
usdtpay_batch_delete_session (UsdtpayBatch *batch,
                              const char   *hash)
{
  UsdtpayOp *op;

  g_return_if_fail (batch != NULL);

  op = batch_push (batch, USDTPAY_OP_SESSION_DELETE);
  op->session.hash = g_strdup (hash);
}

void
usdtpay_batch_put_api_key (UsdtpayBatch *batch,
                           const char   *hash,
                           const char   *principal,
                           const char   *prefix,
                           const char   *scopes,
                           gint64        created_at,
                           gint64        revoked_at)
{
  UsdtpayOp *op;

  g_return_if_fail (batch != NULL);

  op = batch_push (batch, USDTPAY_OP_API_KEY_PUT);
  op->api_key.hash = g_strdup (hash);
  op->api_key.principal = g_strdup (principal);
  op->api_key.prefix = g_strdup (prefix);
  op->api_key.scopes = g_strdup (scopes);
  op->api_key.created_at = created_at;
  op->api_key.revoked_at = revoked_at;
}

void
usdtpay_batch_put_idempotency (UsdtpayBatch *batch,
                               const char   *shop,
                               const char   *key,
                               const char   *body_hash,
                               guint         status,
                               GBytes       *response,
                               gint64        created_at)
{
  UsdtpayOp *op;

  g_return_if_fail (batch != NULL);
  g_return_if_fail (response != NULL);

  op = batch_push (batch, USDTPAY_OP_IDEMPOTENCY_PUT);
  op->idempotency.shop = g_strdup (shop);
  op->idempotency.key = g_strdup (key);
  op->idempotency.body_hash = g_strdup (body_hash);
  op->idempotency.status = status;
  op->idempotency.response = g_bytes_ref (response);
  op->idempotency.created_at = created_at;
}

void
usdtpay_batch_put_meta (UsdtpayBatch *batch,
                        const char   *key,
                        const char   *value)
{
  UsdtpayOp *op;

  g_return_if_fail (batch != NULL);

  op = batch_push (batch, USDTPAY_OP_META_PUT);
  op->meta.key = g_strdup (key);
  op->meta.value = g_strdup (value);
}

void
usdtpay_batch_put_webhook (UsdtpayBatch               *batch,
                           const UsdtpayWebhookRecord *record)
{
  UsdtpayOp *op;

  g_return_if_fail (batch != NULL);
  g_return_if_fail (record != NULL);

  op = batch_push (batch, USDTPAY_OP_WEBHOOK_PUT);
  op->webhook.shop = g_strdup (record->shop);
  op->webhook.url = g_strdup (record->url);
  op->webhook.secret = g_strdup (record->secret);
  op->webhook.updated_at = record->updated_at;
}

void
usdtpay_batch_put_delivery (UsdtpayBatch                *batch,
                            const UsdtpayDeliveryRecord *record)
{
  UsdtpayOp *op;

  g_return_if_fail (batch != NULL);
  g_return_if_fail (record != NULL);
  g_return_if_fail (record->body != NULL);

  op = batch_push (batch, USDTPAY_OP_DELIVERY_PUT);
  op->delivery = *record;
  op->delivery.shop = g_strdup (record->shop);
  op->delivery.event_id = g_strdup (record->event_id);
  op->delivery.event_type = g_strdup (record->event_type);
  op->delivery.order_id = g_strdup (record->order_id);
  op->delivery.body = g_bytes_ref (record->body);
  op->delivery.state = g_strdup (record->state);
}

void
usdtpay_batch_add_attempt (UsdtpayBatch               *batch,
                           const UsdtpayAttemptRecord *record)
{
  UsdtpayOp *op;

  g_return_if_fail (batch != NULL);
  g_return_if_fail (record != NULL);

  op = batch_push (batch, USDTPAY_OP_DELIVERY_ATTEMPT);
  op->attempt = *record;
  op->attempt.error = g_strdup (record->error);
}

void
usdtpay_batch_put_receipt (UsdtpayBatch *batch,
                           const char   *order_id,
                           gint64        seq,
                           const char   *key_id,
                           const char   *text,
                           const char   *signature)
{
  UsdtpayOp *op;

  g_return_if_fail (batch != NULL);

  op = batch_push (batch, USDTPAY_OP_RECEIPT_PUT);
  op->receipt.order_id = g_strdup (order_id);
  op->receipt.seq = seq;
  op->receipt.key_id = g_strdup (key_id);
  op->receipt.text = g_strdup (text);
  op->receipt.signature = g_strdup (signature);
}

GArray *
usdtpay_entries_new (void)
{
  GArray *entries = g_array_sized_new (FALSE, TRUE, sizeof (UsdtpayEntry), 3);

  g_array_set_clear_func (entries, entry_clear);

  return entries;
}

void
usdtpay_entries_add (GArray     *entries,
                     const char *account,
                     gint64      amount)
{
  UsdtpayEntry entry = { g_strdup (account), amount };

  g_array_append_val (entries, entry);
}

void
usdtpay_batch_put_chain (UsdtpayBatch *batch,
                         const char   *kind,
                         const char   *id,
                         const char   *owner,
                         const char   *state,
                         const char   *tx_hash,
                         gint64        log_index,
                         gint64        amount,
                         const char   *data)
{
  UsdtpayOp *op;

  g_return_if_fail (batch != NULL);
  g_return_if_fail (kind != NULL && id != NULL && state != NULL && data != NULL);

  op = batch_push (batch, USDTPAY_OP_CHAIN_PUT);
  op->chain.kind = g_strdup (kind);
  op->chain.id = g_strdup (id);
  op->chain.owner = g_strdup (owner);
  op->chain.state = g_strdup (state);
  op->chain.tx_hash = g_strdup (tx_hash);
  op->chain.log_index = log_index;
  op->chain.amount = amount;
  op->chain.data = g_strdup (data);
}

void
usdtpay_batch_purge (UsdtpayBatch       *batch,
                     UsdtpayPurgeKind    what,
                     gint64              before,
                     guint               limit,
                     UsdtpayPurgeResult *result)
{
  UsdtpayOp *op;

  g_return_if_fail (batch != NULL);
  g_return_if_fail (limit > 0);
  g_return_if_fail (result != NULL);

  op = batch_push (batch, USDTPAY_OP_PURGE);
  op->purge.what = what;
  op->purge.before = before;
  op->purge.limit = limit;
  op->purge.result = result;
}
